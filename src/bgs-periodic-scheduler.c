/* SPDX-License-Identifier: MIT */
/* bgs-periodic-scheduler.c: one source for the periodic tasks of a context.
 *
 * GLib prepares and checks every source attached to a context at every
 * iteration of its main loop. A timeout source per periodic task, and a
 * cancellable source to end it, would make each iteration cost as much as
 * there are periodic tasks: a daemon with ten thousand of them would pay
 * that for every D-Bus call. So each context gets one scheduler, a GSource
 * that serves all its periodic tasks (its entries):
 *
 * - Ticks. The entries wait in a binary min-heap ordered by deadline, each
 *   knowing its index in the heap, so that adding or removing one costs
 *   O(log N). The source's ready time is the first deadline; a dispatch
 *   ticks what was due when it began, and an entry that ticked waits one
 *   interval from that time, as a GLib timeout does.
 *
 * - Cancellation. The tasks of one service share a cancellable (see
 *   bgs-task-set.h), so the entries sharing a cancellable form a group,
 *   with one "cancelled" handler for them all: a handler per entry would
 *   make disconnecting them quadratic, as GSignal looks handlers up in a
 *   list. The handler may run in any thread, inside g_cancellable_cancel():
 *   it only queues its group and wakes the source, and the dispatch ends
 *   the group's entries on the context's thread.
 *
 * - Lifetime. The scheduler of a context is made for its first entry and
 *   destroyed when its last entry leaves, so no source stays attached to
 *   a context that no longer runs periodic tasks.
 *
 * periodic_lock guards what the handler can reach from another thread,
 * and the map from contexts to schedulers; the heap and the groups'
 * entries belong to the context's thread and go unlocked.
 */
#include "config.h"

#include "bgs-periodic-scheduler.h"

/* heap_index of an entry that is not in the heap: it is ticking. */
#define NOT_IN_HEAP G_MAXUINT

/* The heap never shrinks below this many slots. */
#define HEAP_MIN_CAPACITY 64

/* One dispatch ticks at most this many entries, so that the other sources
 * of the context get their turn when many entries fall due at once; the
 * rest tick in the next iteration. */
#define TICKS_PER_DISPATCH_MAX 1024

/*
 * BgsPeriodicGroup: the entries of one scheduler that share a cancellable,
 * and the "cancelled" handler they share.
 *
 * A group is reference counted (an atomic box): the scheduler holds a
 * reference while the group has entries, and the handler holds one that
 * GSignal releases only once no emission can still be running it. So the
 * handler is disconnected without waiting for a running emission, which
 * g_cancellable_disconnect() would do, forever, if that emission were on
 * the same stack; a detached group tells a late handler that its
 * scheduler is gone.
 */
struct _BgsPeriodicGroup
{
  GCancellable         *cancellable;     /* (owned) (nullable): NULL once detached */
  gulong                handler_id;      /* 0: the handler ran at connection */
  GQueue                entries;         /* (element-type BgsPeriodicEntry) via group_link */

  /* Under periodic_lock: */
  BgsPeriodicScheduler *scheduler;       /* (unowned) (nullable): NULL once detached */
  gboolean              queued;          /* in scheduler->cancelled, until empty */
  GList                 cancelled_link;  /* in scheduler->cancelled; data: the group */
};

/*
 * BgsPeriodicScheduler: the GSource that ticks and ends the periodic
 * entries of one context. The map of schedulers holds a reference, and
 * the context another while the source is attached.
 */
struct _BgsPeriodicScheduler
{
  GSource            source;
  GMainContext      *context;         /* (unowned): the key in the map */
  BgsPeriodicEntry **heap;            /* min-heap by deadline, then order */
  guint              heap_len;
  guint              heap_capacity;
  guint64            next_order;
  guint              n_entries;       /* scheduled: in the heap or ticking */
  guint              dispatch_depth;  /* dispatches on the stack: it recurses */
  GHashTable        *groups;          /* GCancellable → BgsPeriodicGroup (owned) */

  GQueue             cancelled;       /* under periodic_lock: groups to end,
                                       * each until its last entry left */
};

static GMutex      periodic_lock;
static GHashTable *schedulers_by_context;  /* GMainContext → scheduler (owned) */

/* ---- the heap ---------------------------------------------------------- */

/* Entries due at the same time tick in the order they were scheduled. */
static gboolean
entry_is_before (const BgsPeriodicEntry *a,
                 const BgsPeriodicEntry *b)
{
  if (a->deadline != b->deadline)
    return a->deadline < b->deadline;

  return a->order < b->order;
}

static void
heap_set (BgsPeriodicScheduler *self,
          guint                 index,
          BgsPeriodicEntry     *entry)
{
  self->heap[index] = entry;
  entry->heap_index = index;
}

static void
heap_sift_up (BgsPeriodicScheduler *self,
              guint                 index)
{
  BgsPeriodicEntry *entry = self->heap[index];

  while (index > 0)
    {
      guint parent = (index - 1) / 2;

      if (!entry_is_before (entry, self->heap[parent]))
        break;
      heap_set (self, index, self->heap[parent]);
      index = parent;
    }
  heap_set (self, index, entry);
}

static void
heap_sift_down (BgsPeriodicScheduler *self,
                guint                 index)
{
  BgsPeriodicEntry *entry = self->heap[index];

  for (;;)
    {
      guint child = 2 * index + 1;

      if (child >= self->heap_len)
        break;
      if (child + 1 < self->heap_len &&
          entry_is_before (self->heap[child + 1], self->heap[child]))
        child++;
      if (!entry_is_before (self->heap[child], entry))
        break;
      heap_set (self, index, self->heap[child]);
      index = child;
    }
  heap_set (self, index, entry);
}

static void
heap_resize (BgsPeriodicScheduler *self,
             guint                 capacity)
{
  self->heap_capacity = capacity;
  self->heap = g_renew (BgsPeriodicEntry *, self->heap, capacity);
}

static void
heap_push (BgsPeriodicScheduler *self,
           BgsPeriodicEntry     *entry)
{
  if (self->heap_len == self->heap_capacity)
    heap_resize (self, MAX (HEAP_MIN_CAPACITY, self->heap_capacity * 2));

  entry->order = self->next_order++;
  heap_set (self, self->heap_len++, entry);
  heap_sift_up (self, entry->heap_index);
}

/* A heap three quarters empty gives half its array back: a context that
 * once ran many entries does not keep their room. */
static void
heap_remove (BgsPeriodicScheduler *self,
             BgsPeriodicEntry     *entry)
{
  guint index = entry->heap_index;
  BgsPeriodicEntry *last = self->heap[--self->heap_len];

  entry->heap_index = NOT_IN_HEAP;
  if (last != entry)
    {
      heap_set (self, index, last);
      heap_sift_up (self, index);
      heap_sift_down (self, last->heap_index);
    }

  if (self->heap_capacity > HEAP_MIN_CAPACITY && self->heap_len < self->heap_capacity / 4)
    heap_resize (self, self->heap_capacity / 2);
}

static BgsPeriodicEntry *
heap_first (BgsPeriodicScheduler *self)
{
  return self->heap_len > 0 ? self->heap[0] : NULL;
}

/* ---- groups ------------------------------------------------------------ */

/* The "cancelled" handler of a group, in whichever thread cancelled it:
 * queues the group for the next dispatch and wakes the source, both under
 * the lock, so that a detached group's scheduler is never touched. It
 * frees nothing. */
static void
on_group_cancelled (GCancellable *cancellable,
                    gpointer      user_data)
{
  BgsPeriodicGroup *group = user_data;
  BgsPeriodicScheduler *scheduler;

  g_mutex_lock (&periodic_lock);
  scheduler = group->scheduler;
  if (scheduler != NULL && !group->queued)
    {
      group->queued = TRUE;
      g_queue_push_tail_link (&scheduler->cancelled, &group->cancelled_link);
      g_source_set_ready_time (&scheduler->source, 0);
    }
  g_mutex_unlock (&periodic_lock);
}

static BgsPeriodicGroup *
group_new (BgsPeriodicScheduler *self,
           GCancellable         *cancellable)
{
  BgsPeriodicGroup *group = g_atomic_rc_box_new0 (BgsPeriodicGroup);

  group->cancellable = g_object_ref (cancellable);
  g_queue_init (&group->entries);
  group->cancelled_link.data = group;
  /* No other thread knows the group before it is connected. */
  group->scheduler = self;
  g_hash_table_insert (self->groups, cancellable, group);

  /* Not under the lock: a cancellable cancelled already runs the handler
   * right here. */
  group->handler_id = g_cancellable_connect (cancellable, G_CALLBACK (on_group_cancelled),
                                             g_atomic_rc_box_acquire (group),
                                             g_atomic_rc_box_release);
  return group;
}

/* Forgets @group, whose last entry has left. Once the lock is released a
 * handler running late, in another thread, finds the group detached; the
 * handler's own reference keeps the group alive until it returns. */
static void
group_detach (BgsPeriodicScheduler *self,
              BgsPeriodicGroup     *group)
{
  g_hash_table_remove (self->groups, group->cancellable);

  g_mutex_lock (&periodic_lock);
  group->scheduler = NULL;
  if (group->queued)
    {
      g_queue_unlink (&self->cancelled, &group->cancelled_link);
      group->queued = FALSE;
    }
  g_mutex_unlock (&periodic_lock);

  if (group->handler_id != 0)
    g_signal_handler_disconnect (group->cancellable, group->handler_id);
  g_clear_object (&group->cancellable);
  g_atomic_rc_box_release (group);
}

static void
group_add_entry (BgsPeriodicScheduler *self,
                 BgsPeriodicEntry     *entry,
                 GCancellable         *cancellable)
{
  BgsPeriodicGroup *group = g_hash_table_lookup (self->groups, cancellable);

  if (group == NULL)
    group = group_new (self, cancellable);

  entry->group = group;
  entry->group_link.data = entry;
  g_queue_push_tail_link (&group->entries, &entry->group_link);
}

static void
group_remove_entry (BgsPeriodicScheduler *self,
                    BgsPeriodicEntry     *entry)
{
  BgsPeriodicGroup *group = entry->group;

  if (group == NULL)
    return;

  entry->group = NULL;
  g_queue_unlink (&group->entries, &entry->group_link);
  if (g_queue_is_empty (&group->entries))
    group_detach (self, group);
}

/* ---- the scheduler ------------------------------------------------------ */

/* Makes the source dispatch by @time at the latest. Under the lock, as a
 * handler may be asking for an immediate dispatch meanwhile. */
static void
scheduler_wake_by (BgsPeriodicScheduler *self,
                   gint64                time)
{
  gint64 ready_time;

  g_mutex_lock (&periodic_lock);
  ready_time = g_source_get_ready_time (&self->source);
  if (ready_time == -1 || ready_time > time)
    g_source_set_ready_time (&self->source, time);
  g_mutex_unlock (&periodic_lock);
}

/* After a dispatch: the next one comes at the first deadline, or at once
 * when a group waits to be ended. Removing an entry does not move the
 * ready time, which may thus come early: the dispatch then finds nothing
 * due and comes here. */
static void
scheduler_rearm (BgsPeriodicScheduler *self)
{
  BgsPeriodicEntry *first = heap_first (self);
  gint64 ready_time = first != NULL ? first->deadline : -1;

  g_mutex_lock (&periodic_lock);
  if (!g_queue_is_empty (&self->cancelled))
    ready_time = 0;
  g_source_set_ready_time (&self->source, ready_time);
  g_mutex_unlock (&periodic_lock);
}

/* Unmaps and destroys the scheduler, which has no entry left. */
static void
scheduler_retire (BgsPeriodicScheduler *self)
{
  g_mutex_lock (&periodic_lock);
  g_hash_table_remove (schedulers_by_context, self->context);
  if (g_hash_table_size (schedulers_by_context) == 0)
    g_clear_pointer (&schedulers_by_context, g_hash_table_unref);
  g_mutex_unlock (&periodic_lock);

  g_source_destroy (&self->source);
  g_source_unref (&self->source);
}

/* The first entry of the first cancelled group, or NULL. A group stays
 * queued until its last entry leaves it (see group_detach()), so that a
 * dispatch nested in an @on_cancelled callback carries on with it: the
 * callback may be waiting for the rest of the group to end. */
static BgsPeriodicEntry *
scheduler_next_cancelled (BgsPeriodicScheduler *self)
{
  BgsPeriodicEntry *entry = NULL;
  GList *link;

  g_mutex_lock (&periodic_lock);
  link = g_queue_peek_head_link (&self->cancelled);
  if (link != NULL)
    {
      BgsPeriodicGroup *group = link->data;

      /* Queued groups have entries: the empty ones are detached. */
      entry = g_queue_peek_head (&group->entries);
      g_assert (entry != NULL);
    }
  g_mutex_unlock (&periodic_lock);

  return entry;
}

/* Stops the entries of the cancelled groups and tells their owners. */
static void
scheduler_end_cancelled (BgsPeriodicScheduler *self)
{
  BgsPeriodicEntry *entry;

  while ((entry = scheduler_next_cancelled (self)) != NULL)
    {
      BgsPeriodicCancelledFunc on_cancelled = entry->on_cancelled;

      bgs_periodic_entry_stop (entry);
      on_cancelled (entry);
    }
}

/* Ticks @entry, due at @now. */
static void
scheduler_tick (BgsPeriodicScheduler *self,
                BgsPeriodicEntry     *entry,
                gint64                now)
{
  /* Out of the heap while it ticks: a dispatch nested in the callback
   * (one that iterates the context) must not tick it again. */
  heap_remove (self, entry);
  if (!entry->on_tick (entry))
    return;

  g_assert (entry->scheduler == self);
  entry->deadline = now + entry->interval_us;
  heap_push (self, entry);
}

/*
 * Ends the cancelled groups, then ticks the entries due when the dispatch
 * began, first deadline first. Entries ticked here are due again one
 * interval later, so none ticks twice in one dispatch. Groups cancelled
 * by a tick (on this thread) are ended before the next tick.
 *
 * The source may recurse: a callback that iterates the context (say, to
 * stop its service) must see cancellations handled meanwhile. Everything
 * below reads the heap and the queues afresh after each callback, and the
 * scheduler is only retired by the outermost dispatch.
 */
static gboolean
scheduler_dispatch (GSource     *source,
                    GSourceFunc  callback,
                    gpointer     user_data)
{
  BgsPeriodicScheduler *self = (BgsPeriodicScheduler *) source;
  gint64 now = g_source_get_time (source);
  guint budget = TICKS_PER_DISPATCH_MAX;
  BgsPeriodicEntry *first;

  self->dispatch_depth++;
  scheduler_end_cancelled (self);
  while (budget > 0 && (first = heap_first (self)) != NULL && first->deadline <= now)
    {
      budget--;
      scheduler_tick (self, first, now);
      scheduler_end_cancelled (self);
    }
  self->dispatch_depth--;

  if (self->n_entries == 0 && self->dispatch_depth == 0)
    {
      scheduler_retire (self);
      return G_SOURCE_REMOVE;
    }

  scheduler_rearm (self);
  return G_SOURCE_CONTINUE;
}

/* Entries and groups all left before the last reference went. */
static void
scheduler_finalize (GSource *source)
{
  BgsPeriodicScheduler *self = (BgsPeriodicScheduler *) source;

  g_free (self->heap);
  g_hash_table_unref (self->groups);
}

static GSourceFuncs scheduler_funcs = {
  .dispatch = scheduler_dispatch,
  .finalize = scheduler_finalize,
};

/* The scheduler of @context, made and attached if it has none. */
static BgsPeriodicScheduler *
scheduler_for_context (GMainContext *context)
{
  BgsPeriodicScheduler *self;

  g_mutex_lock (&periodic_lock);
  if (schedulers_by_context == NULL)
    schedulers_by_context = g_hash_table_new (NULL, NULL);

  self = g_hash_table_lookup (schedulers_by_context, context);
  if (self == NULL)
    {
      GSource *source = g_source_new (&scheduler_funcs, sizeof (BgsPeriodicScheduler));

      self = (BgsPeriodicScheduler *) source;
      self->context = context;
      self->groups = g_hash_table_new (NULL, NULL);
      g_queue_init (&self->cancelled);
      g_source_set_static_name (source, "bgs periodic scheduler");
      g_source_set_can_recurse (source, TRUE);
      g_source_attach (source, context);
      g_hash_table_insert (schedulers_by_context, context, self);
    }
  g_mutex_unlock (&periodic_lock);

  return self;
}

/* ---- entries ------------------------------------------------------------ */

/*
 * Schedules @entry on the scheduler of @context: @on_tick runs every
 * @interval_ms, the first time one interval from now, until @cancellable
 * (nullable) is cancelled, which runs @on_cancelled instead, or until
 * bgs_periodic_entry_stop(). @entry must not be scheduled already.
 */
void
bgs_periodic_entry_start (BgsPeriodicEntry         *entry,
                          GMainContext             *context,
                          GCancellable             *cancellable,
                          guint                     interval_ms,
                          BgsPeriodicTickFunc       on_tick,
                          BgsPeriodicCancelledFunc  on_cancelled)
{
  BgsPeriodicScheduler *self = scheduler_for_context (context);

  g_assert (entry->scheduler == NULL);

  entry->scheduler = self;
  entry->group = NULL;
  entry->on_tick = on_tick;
  entry->on_cancelled = on_cancelled;
  entry->interval_us = (gint64) interval_ms * 1000;
  entry->deadline = g_get_monotonic_time () + entry->interval_us;
  self->n_entries++;

  heap_push (self, entry);
  if (cancellable != NULL)
    group_add_entry (self, entry, cancellable);
  if (entry->heap_index == 0)
    scheduler_wake_by (self, entry->deadline);
}

/*
 * Unschedules @entry: no tick or cancellation reaches it afterwards. Does
 * nothing if it is not scheduled. The last entry to leave a scheduler
 * destroys it, or leaves that to the dispatch under way.
 */
void
bgs_periodic_entry_stop (BgsPeriodicEntry *entry)
{
  BgsPeriodicScheduler *self = entry->scheduler;

  if (self == NULL)
    return;

  entry->scheduler = NULL;
  if (entry->heap_index != NOT_IN_HEAP)
    heap_remove (self, entry);
  group_remove_entry (self, entry);

  if (--self->n_entries == 0 && self->dispatch_depth == 0)
    scheduler_retire (self);
}
