/* SPDX-License-Identifier: MIT */
/* bgsd-deadlines.c: one-shot timed calls, all on one main loop source.
 *
 * The daemon keeps a timer for every command being stopped (SIGKILL after
 * TimeoutStopSec=) and for every timer service (the next tick). As GLib
 * timeout sources, each would be prepared and checked in every main loop
 * iteration: with thousands of them, every D-Bus call and every spawn
 * would pay for all. Here they sit in one binary min-heap ordered by
 * deadline, and one source wakes at the earliest: adding and removing
 * cost O(log N), an iteration O(1).
 *
 * Deadlines belong to the thread-default main context of their first use,
 * the daemon's main loop; nothing here is thread-safe.
 */
#include "config.h"

#include "bgsd-deadlines.h"

/* BgsdDeadline: one timed call, and where it sits in the heap. */
struct _BgsdDeadline
{
  gint64            ready_time;   /* monotonic µs */
  guint64           order;        /* added earlier, called earlier among equal times */
  guint             index;        /* in the heap */
  BgsdDeadlineFunc  func;
  gpointer          user_data;
};

/* Deadlines: the heap and the source; the state of this file. */
typedef struct
{
  GPtrArray *heap;                /* BgsdDeadline, earliest first */
  GSource   *source;              /* (owned) (nullable) */
  guint64    n_added;
} Deadlines;

static Deadlines deadlines;

/* ---- the heap --------------------------------------------------------- */

static gboolean
earlier (const BgsdDeadline *a,
         const BgsdDeadline *b)
{
  return a->ready_time < b->ready_time
         || (a->ready_time == b->ready_time && a->order < b->order);
}

static BgsdDeadline *
at (guint index)
{
  return g_ptr_array_index (deadlines.heap, index);
}

static void
place (BgsdDeadline *deadline,
       guint         index)
{
  deadlines.heap->pdata[index] = deadline;
  deadline->index = index;
}

static void
sift_up (BgsdDeadline *deadline)
{
  guint index = deadline->index;

  while (index > 0 && earlier (deadline, at ((index - 1) / 2)))
    {
      place (at ((index - 1) / 2), index);
      index = (index - 1) / 2;
    }
  place (deadline, index);
}

static void
sift_down (BgsdDeadline *deadline)
{
  guint index = deadline->index;
  guint n = deadlines.heap->len;

  for (;;)
    {
      guint child = 2 * index + 1;

      if (child >= n)
        break;
      if (child + 1 < n && earlier (at (child + 1), at (child)))
        child++;
      if (!earlier (at (child), deadline))
        break;
      place (at (child), index);
      index = child;
    }
  place (deadline, index);
}

/* Takes @deadline out of the heap; the last one fills its place. */
static void
take_out (BgsdDeadline *deadline)
{
  BgsdDeadline *last = g_ptr_array_steal_index (deadlines.heap, deadlines.heap->len - 1);

  if (last == deadline)
    return;
  last->index = deadline->index;
  place (last, last->index);
  sift_down (last);
  sift_up (last);
}

/* ---- the source ------------------------------------------------------- */

static void
update_ready_time (void)
{
  g_source_set_ready_time (deadlines.source,
                           deadlines.heap->len > 0 ? at (0)->ready_time : -1);
}

/* Calls every deadline passed when the dispatch began; those added by the
 * calls wait for a later dispatch, however short their delay. */
static gboolean
on_ready (gpointer user_data)
{
  gint64 now = g_get_monotonic_time ();
  guint64 added_before = deadlines.n_added;

  while (deadlines.heap->len > 0 && at (0)->ready_time <= now && at (0)->order < added_before)
    {
      BgsdDeadline *deadline = at (0);
      BgsdDeadlineFunc func = deadline->func;
      gpointer data = deadline->user_data;

      take_out (deadline);
      g_free (deadline);
      func (data);
    }

  update_ready_time ();
  return G_SOURCE_CONTINUE;
}

/* The source is ready at its ready time, and only then. */
static gboolean
dispatch (GSource     *source,
          GSourceFunc  callback,
          gpointer     user_data)
{
  return on_ready (user_data);
}

static GSourceFuncs source_funcs = {
  .dispatch = dispatch,
};

static void
ensure_source (void)
{
  if (deadlines.source != NULL)
    return;

  deadlines.heap = g_ptr_array_new ();
  deadlines.source = g_source_new (&source_funcs, sizeof (GSource));
  g_source_set_static_name (deadlines.source, "bgserviced deadlines");
  g_source_attach (deadlines.source, g_main_context_get_thread_default ());
}

/* ---- public ----------------------------------------------------------- */

/* Calls @func with @user_data once, @delay_ms from now. */
BgsdDeadline *
bgsd_deadline_add (guint             delay_ms,
                   BgsdDeadlineFunc  func,
                   gpointer          user_data)
{
  BgsdDeadline *deadline = g_new (BgsdDeadline, 1);

  ensure_source ();
  deadline->ready_time = g_get_monotonic_time () + (gint64) delay_ms * 1000;
  deadline->order = deadlines.n_added++;
  deadline->func = func;
  deadline->user_data = user_data;
  deadline->index = deadlines.heap->len;
  g_ptr_array_add (deadlines.heap, deadline);
  sift_up (deadline);

  if (deadline->index == 0)
    update_ready_time ();
  return deadline;
}

/* Forgets a deadline that has not passed yet: its function is not called. */
void
bgsd_deadline_remove (BgsdDeadline *deadline)
{
  gboolean was_first = deadline->index == 0;

  take_out (deadline);
  g_free (deadline);
  if (was_first)
    update_ready_time ();
}
