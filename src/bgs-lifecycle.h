/* SPDX-License-Identifier: MIT */
/* bgs-lifecycle.h: the state, runs, failures, waits and restarts of one
 * service. */
#pragma once

#include "bgs-failure-log.h"
#include "bgs-restart-policy.h"
#include "bgs-wait-queue.h"

G_BEGIN_DECLS

/*
 * BgsLifecycle: the rules of supervision, written once for every service.
 *
 * A run lasts from the moment work begins until no work remains and no
 * restart is pending; automatic restarts belong to the run they restart.
 * The owner says what is busy (bgs_lifecycle_busy() and
 * bgs_lifecycle_idle(), counted: the task set while it is not empty, each
 * member of a manager while it is in a run, the work of a class that does
 * its own), which failures happened (bgs_lifecycle_add_failure()), when
 * one should make the run restart (bgs_lifecycle_failed()), and when it
 * is cancelled or started by hand. The lifecycle decides the rest: the
 * state, when a run ends and whether it restarts, what last-error holds,
 * and when the waits complete. It notifies the owner's properties itself.
 *
 * A class with its own work (it overrides wait) gets no restarts; when its
 * work ends, the lifecycle calls the class's wait to learn the failures,
 * and ends the run once it has answered.
 */
typedef struct
{
  BgsService       *owner;           /* (unowned): embeds this */
  const char       *noun;            /* what fails in the owner: "task" or "service" */
  gboolean          own_work;        /* the class says itself whether it runs: no restarts */
  gboolean          collects;        /* the class has its own wait, which gives the failures */

  /* What runs now. */
  guint             n_busy;          /* busy things, see above */
  guint             n_collecting;    /* own work: the class's waits not answered yet */
  gboolean          in_run;
  gboolean          cancelled;       /* the run was cancelled: no restart */
  gboolean          restart_wanted;  /* a failure asked for a restart */
  gboolean          limit_hit;       /* the run ends because of the start limit */
  GSource          *restart_source;  /* (owned) (nullable): the pending restart */
  BgsServiceState   end_state;       /* STOPPED or FAILED: the state between runs */

  /* As last notified. */
  BgsServiceState   state;
  gint64            state_time;      /* real time, µs; 0 before the first change */
  gboolean          running;

  /* Failures, by sequence number in @failures. */
  BgsFailureLog     failures;
  guint64           run_start;       /* the current (or last) run's first */
  guint64           waited;          /* the first the next completed wait reports */
  guint64           last_from;       /* last-error is [last_from, last_to) */
  guint64           last_to;
  GError           *last_error;      /* (owned) (nullable): last-error, once built */
  gboolean          last_error_changed;
  BgsWaitQueue      waiters;

  /* Restarts. */
  BgsRestartPolicy  policy;
  guint             n_restarts;      /* since the last start by hand */
  BgsStartLimit     limit;
} BgsLifecycle;

void            bgs_lifecycle_init          (BgsLifecycle        *self,
                                             BgsService          *owner,
                                             GMainContext        *context);
void            bgs_lifecycle_clear         (BgsLifecycle        *self);

void            bgs_lifecycle_busy          (BgsLifecycle        *self);
void            bgs_lifecycle_idle          (BgsLifecycle        *self);
void            bgs_lifecycle_add_failure   (BgsLifecycle        *self,
                                             const char          *name,
                                             GError              *error);
void            bgs_lifecycle_failed        (BgsLifecycle        *self);
void            bgs_lifecycle_will_start    (BgsLifecycle        *self);
void            bgs_lifecycle_cancel        (BgsLifecycle        *self);
void            bgs_lifecycle_reset_failed  (BgsLifecycle        *self);

void            bgs_lifecycle_wait_async    (BgsLifecycle        *self,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);

BgsServiceState bgs_lifecycle_get_state     (const BgsLifecycle  *self);
const GError   *bgs_lifecycle_peek_last_error (BgsLifecycle      *self);

G_END_DECLS
