/* SPDX-License-Identifier: MIT */
/* bgs-lifecycle.c: the state, runs, failures, waits and restarts of one
 * service; see bgs-lifecycle.h. */
#include "config.h"

#include "bgs-error-private.h"
#include "bgs-lifecycle.h"
#include "bgs-service-private.h"

static void end_run    (BgsLifecycle *self);
static void work_ended (BgsLifecycle *self);

void
bgs_lifecycle_init (BgsLifecycle *self,
                    BgsService   *owner,
                    GMainContext *context)
{
  *self = (BgsLifecycle) {
    .owner = owner,
    .noun = "task",
    .end_state = BGS_SERVICE_STATE_STOPPED,
    .state = BGS_SERVICE_STATE_STOPPED,
    .policy = BGS_RESTART_POLICY_DEFAULT,
  };
  bgs_wait_queue_init (&self->waiters, context, NULL, NULL);
}

/* Only once nothing runs: a run, a pending restart and a wait all hold a
 * reference on the owner. */
void
bgs_lifecycle_clear (BgsLifecycle *self)
{
  g_warn_if_fail (self->restart_source == NULL);
  g_warn_if_fail (bgs_wait_queue_is_empty (&self->waiters));

  bgs_failure_log_clear (&self->failures);
  bgs_start_limit_clear (&self->limit);
  g_clear_error (&self->last_error);
}

/* ---- state ----------------------------------------------------------- */

BgsServiceState
bgs_lifecycle_get_state (const BgsLifecycle *self)
{
  if (!self->in_run)
    return self->end_state;
  if (self->cancelled)
    return BGS_SERVICE_STATE_STOPPING;
  if (self->restart_wanted || self->restart_source != NULL)
    return BGS_SERVICE_STATE_RESTARTING;
  return BGS_SERVICE_STATE_RUNNING;
}

/*
 * Notifies what changed since the last notification: last-error, state,
 * is-running (which a class with its own work notifies itself). Handlers
 * may change the service again; each notification reads the values of
 * its moment, so the last one tells the truth.
 */
static void
announce (BgsLifecycle *self)
{
  BgsServiceState state;

  if (self->last_error_changed)
    {
      self->last_error_changed = FALSE;
      bgs_service_notify_change (self->owner, BGS_SERVICE_CHANGE_LAST_ERROR);
    }

  state = bgs_lifecycle_get_state (self);
  if (state != self->state)
    {
      self->state = state;
      self->state_time = g_get_real_time ();
      bgs_service_notify_change (self->owner, BGS_SERVICE_CHANGE_STATE);
    }

  if (!self->own_work && self->running != self->in_run)
    {
      self->running = self->in_run;
      bgs_service_notify_change (self->owner, BGS_SERVICE_CHANGE_IS_RUNNING);
    }
}

/* ---- failures -------------------------------------------------------- */

static GError *
make_group (BgsLifecycle *self,
            guint64       from,
            guint64       to)
{
  g_autofree char *owner = NULL;

  if (from >= to)
    return NULL;

  owner = bgs_service_to_string (self->owner);
  return bgs_failure_log_group (&self->failures, from, to, owner, self->noun);
}

/* Frees the failures that no wait, run or last-error can show again. */
static void
forget_unneeded (BgsLifecycle *self)
{
  guint64 keep = self->waited;

  if (self->in_run)
    keep = MIN (keep, self->run_start);
  if (self->last_error == NULL && self->last_from < self->last_to)
    keep = MIN (keep, self->last_from);

  bgs_failure_log_forget_before (&self->failures, keep);
}

/*
 * Makes last-error the failures from @from to @to. Built now with @build
 * (the end of a run: later failures cannot push it out of the log), else
 * when first read (a restart: hot, and often nobody reads it).
 */
static void
set_last_error (BgsLifecycle *self,
                guint64       from,
                guint64       to,
                gboolean      build)
{
  if (from >= to && self->last_from >= self->last_to)
    return;

  self->last_from = from;
  self->last_to = to;
  g_clear_error (&self->last_error);
  if (build)
    self->last_error = make_group (self, from, to);
  self->last_error_changed = TRUE;
}

/* A restart is coming: last-error shows the run's failures so far, so that
 * a restarting service says why. */
static void
show_run_failures (BgsLifecycle *self)
{
  set_last_error (self, self->run_start, bgs_failure_log_end (&self->failures), FALSE);
}

const GError *
bgs_lifecycle_peek_last_error (BgsLifecycle *self)
{
  if (self->last_error == NULL && self->last_from < self->last_to)
    self->last_error = make_group (self, self->last_from, self->last_to);

  return self->last_error;
}

/* Records @error (taken), raised by @name. Cancellations are not failures. */
void
bgs_lifecycle_add_failure (BgsLifecycle *self,
                           const char   *name,
                           GError       *error)
{
  if (bgs_error_is_cancellation (error))
    {
      g_error_free (error);
      return;
    }

  bgs_failure_log_take (&self->failures, name, error);
}

/* ---- waits ------------------------------------------------------------ */

/* Completes every pending wait with the failures since the last completed
 * wait. */
static void
complete_waiters (BgsLifecycle *self)
{
  g_autoptr(GError) group = NULL;
  guint64 end = bgs_failure_log_end (&self->failures);

  if (bgs_wait_queue_is_empty (&self->waiters))
    return;

  group = make_group (self, self->waited, end);
  self->waited = end;
  bgs_wait_queue_complete (&self->waiters, group);
  forget_unneeded (self);
}

/* Own work: the failures the class's wait gave, one per part of a group. */
static void
add_collected (BgsLifecycle *self,
               const GError *error)
{
  GPtrArray *parts = bgs_error_get_errors (error);

  if (parts == NULL)
    {
      bgs_lifecycle_add_failure (self, bgs_service_get_name (self->owner), g_error_copy (error));
      return;
    }

  for (guint i = 0; i < parts->len; i++)
    bgs_lifecycle_add_failure (self, bgs_error_get_names (error)[i],
                               g_error_copy (parts->pdata[i]));
}

static void
on_collected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(BgsService) owner = user_data;
  BgsLifecycle *self = bgs_service_get_lifecycle (owner);
  g_autoptr(GError) error = NULL;
  guint64 before = bgs_failure_log_end (&self->failures);

  if (!BGS_SERVICE_GET_CLASS (owner)->wait_finish (owner, result, &error) && error != NULL)
    add_collected (self, error);

  self->n_collecting--;
  if (self->n_busy > 0 || self->n_collecting > 0)
    return;

  /* Failures without a run (a start that failed before anything ran)
   * make a run of their own, which failed. */
  if (!self->in_run && bgs_failure_log_end (&self->failures) > before)
    {
      self->in_run = TRUE;
      self->run_start = before;
    }

  if (self->in_run)
    end_run (self);
  else
    complete_waiters (self);
}

/* Own work: asks the class's wait for the failures of the work. */
static void
collect (BgsLifecycle *self)
{
  self->n_collecting++;
  BGS_SERVICE_GET_CLASS (self->owner)->wait_async (self->owner, NULL, on_collected,
                                                   g_object_ref (self->owner));
}

void
bgs_lifecycle_wait_async (BgsLifecycle        *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  bgs_wait_queue_add (&self->waiters, self->owner, cancellable, callback, user_data,
                      bgs_service_wait_async);

  if (self->in_run || self->n_collecting > 0)
    return;
  if (self->collects)
    collect (self);
  else
    complete_waiters (self);
}

/* ---- runs ------------------------------------------------------------- */

static void
begin_run (BgsLifecycle *self)
{
  self->in_run = TRUE;
  self->cancelled = FALSE;
  self->restart_wanted = FALSE;
  self->limit_hit = FALSE;
  self->run_start = bgs_failure_log_end (&self->failures);
  announce (self);
}

/*
 * The run is over: it failed when it ended on its own with failures, or
 * hit the start limit. last-error, run-ended and the notifications tell
 * so, in that order; then the waits complete, unless a handler began a
 * new run, which they wait for.
 */
static void
end_run (BgsLifecycle *self)
{
  g_autoptr(BgsService) owner = g_object_ref (self->owner);
  g_autoptr(GError) failures = NULL;
  guint64 end = bgs_failure_log_end (&self->failures);
  gboolean failed = self->limit_hit || (!self->cancelled && end > self->run_start);

  self->in_run = FALSE;
  self->cancelled = FALSE;
  self->restart_wanted = FALSE;
  self->limit_hit = FALSE;
  self->end_state = failed ? BGS_SERVICE_STATE_FAILED : BGS_SERVICE_STATE_STOPPED;
  set_last_error (self, self->run_start, end, TRUE);

  if (self->last_error != NULL)
    failures = g_error_copy (self->last_error);
  bgs_service_emit_run_ended (owner, failures);
  announce (self);

  if (!self->in_run)
    complete_waiters (self);
  forget_unneeded (self);
}

static gboolean
should_restart (const BgsLifecycle *self)
{
  return !self->cancelled && !self->own_work && self->policy.mode != BGS_RESTART_NO &&
         (self->restart_wanted || self->policy.mode == BGS_RESTART_ALWAYS);
}

static gboolean
on_restart_due (gpointer user_data)
{
  BgsService *owner = user_data;
  BgsLifecycle *self = bgs_service_get_lifecycle (owner);

  g_clear_pointer (&self->restart_source, g_source_unref);
  self->restart_wanted = FALSE;
  self->n_restarts++;
  bgs_start_limit_record (&self->limit, &self->policy, g_get_monotonic_time ());
  bgs_service_notify_change (owner, BGS_SERVICE_CHANGE_N_RESTARTS);
  announce (self);

  /* A handler may have cancelled the service meanwhile. */
  if (self->in_run && !self->cancelled)
    {
      g_debug ("%s: restart %u", bgs_service_get_name (owner), self->n_restarts);
      BGS_SERVICE_GET_CLASS (owner)->start (owner);
      /* A start that began nothing has ended already. */
      work_ended (self);
    }

  return G_SOURCE_REMOVE;
}

/* Restarts after the delay, unless that would pass the start limit. */
static void
plan_restart (BgsLifecycle *self)
{
  guint delay_ms = bgs_restart_policy_delay_ms (&self->policy, self->n_restarts + 1);
  gint64 when = g_get_monotonic_time () + (gint64) delay_ms * 1000;

  if (!bgs_start_limit_allows (&self->limit, &self->policy, when))
    {
      g_debug ("%s: not restarting: %u restarts within %u ms", bgs_service_get_name (self->owner),
               self->policy.burst, self->policy.interval_ms);
      self->limit_hit = TRUE;
      end_run (self);
      return;
    }

  self->restart_wanted = TRUE;
  show_run_failures (self);
  self->restart_source = g_timeout_source_new (delay_ms);
  g_source_set_callback (self->restart_source, on_restart_due, g_object_ref (self->owner),
                         g_object_unref);
  g_source_set_static_name (self->restart_source, "[bgservice] restart");
  g_source_attach (self->restart_source, bgs_service_get_context (self->owner));
  announce (self);
}

/* Nothing is busy any more: the run ends, restarts or, for own work, asks
 * the class for its failures first. */
static void
work_ended (BgsLifecycle *self)
{
  if (self->n_busy > 0 || !self->in_run)
    return;

  if (self->collects)
    collect (self);
  else if (self->n_collecting > 0)
    return;
  else if (should_restart (self))
    plan_restart (self);
  else
    end_run (self);
}

void
bgs_lifecycle_busy (BgsLifecycle *self)
{
  if (self->n_busy++ > 0)
    return;

  if (!self->in_run)
    begin_run (self);
}

void
bgs_lifecycle_idle (BgsLifecycle *self)
{
  g_return_if_fail (self->n_busy > 0);

  if (--self->n_busy == 0)
    work_ended (self);
}

/*
 * Something failed in a way that restarts the run, if the policy says so:
 * a task, or a member that ended failed. The run's other work is
 * cancelled; the restart follows once it has ended.
 */
void
bgs_lifecycle_failed (BgsLifecycle *self)
{
  if (!self->in_run || self->cancelled || self->restart_wanted || self->own_work ||
      self->policy.mode == BGS_RESTART_NO)
    return;

  self->restart_wanted = TRUE;
  show_run_failures (self);
  announce (self);
  if (self->in_run && self->restart_wanted && !self->cancelled)
    BGS_SERVICE_GET_CLASS (self->owner)->cancel (self->owner, "restarting after a failure");
}

/* A start by hand: the restart count and the start limit begin afresh. */
void
bgs_lifecycle_will_start (BgsLifecycle *self)
{
  bgs_start_limit_clear (&self->limit);
  if (self->n_restarts == 0)
    return;

  self->n_restarts = 0;
  bgs_service_notify_change (self->owner, BGS_SERVICE_CHANGE_N_RESTARTS);
}

/* A cancel by hand: the run will not restart; a pending restart is
 * dropped, which ends a run whose work had ended. */
void
bgs_lifecycle_cancel (BgsLifecycle *self)
{
  if (!self->in_run)
    return;

  self->cancelled = TRUE;
  self->restart_wanted = FALSE;
  if (self->restart_source != NULL)
    {
      g_source_destroy (self->restart_source);
      g_clear_pointer (&self->restart_source, g_source_unref);
    }
  announce (self);

  if (self->in_run && self->n_busy == 0 && self->n_collecting == 0)
    end_run (self);
}

/* A failed service becomes stopped, without failures or restarts. */
void
bgs_lifecycle_reset_failed (BgsLifecycle *self)
{
  guint64 end = bgs_failure_log_end (&self->failures);

  if (self->in_run || self->end_state != BGS_SERVICE_STATE_FAILED)
    return;

  self->end_state = BGS_SERVICE_STATE_STOPPED;
  set_last_error (self, end, end, TRUE);
  bgs_lifecycle_will_start (self);
  announce (self);
  forget_unneeded (self);
}
