/* SPDX-License-Identifier: MIT */
/* bgs-periodic-scheduler.h: one source for the periodic tasks of a context. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * BgsPeriodicEntry: one periodic task, as the scheduler of its main
 * context sees it. Its owner embeds it and hands it to
 * bgs_periodic_entry_start(); from then on the scheduler calls @on_tick
 * every interval, or @on_cancelled once when the entry's cancellable is
 * cancelled, until bgs_periodic_entry_stop().
 *
 * Every entry of a context shares that context's one GSource, for its
 * ticks and its cancellation alike: a main loop iteration costs the same
 * whether the context runs one periodic task or a hundred thousand. See
 * bgs-periodic-scheduler.c.
 *
 * Entries are started, stopped and called back on the thread that runs
 * their context; only their cancellable may be cancelled from anywhere.
 */
typedef struct _BgsPeriodicEntry BgsPeriodicEntry;
typedef struct _BgsPeriodicScheduler BgsPeriodicScheduler;
typedef struct _BgsPeriodicGroup BgsPeriodicGroup;

/* A tick of @entry. Returns TRUE to tick again one interval after this
 * tick, and then @entry must still be scheduled; FALSE when the callback
 * has stopped @entry (it may have freed it too): the scheduler forgets it. */
typedef gboolean (*BgsPeriodicTickFunc)      (BgsPeriodicEntry *entry);

/* The cancellable of @entry was cancelled. The scheduler has stopped
 * @entry already, and does not touch it after the call: it may be freed. */
typedef void     (*BgsPeriodicCancelledFunc) (BgsPeriodicEntry *entry);

struct _BgsPeriodicEntry
{
  BgsPeriodicScheduler    *scheduler;    /* (unowned) (nullable): NULL when stopped */
  BgsPeriodicGroup        *group;        /* (unowned) (nullable): its cancellable's */
  GList                    group_link;   /* in group->entries; data: the entry */
  gint64                   deadline;     /* monotonic µs of the next tick */
  gint64                   interval_us;
  guint64                  order;        /* breaks ties between equal deadlines */
  guint                    heap_index;   /* in the scheduler's heap, or none */
  BgsPeriodicTickFunc      on_tick;
  BgsPeriodicCancelledFunc on_cancelled;
};

void bgs_periodic_entry_start (BgsPeriodicEntry         *entry,
                               GMainContext             *context,
                               GCancellable             *cancellable,
                               guint                     interval_ms,
                               BgsPeriodicTickFunc       on_tick,
                               BgsPeriodicCancelledFunc  on_cancelled);
void bgs_periodic_entry_stop  (BgsPeriodicEntry         *entry);

G_END_DECLS
