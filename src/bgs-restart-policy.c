/* SPDX-License-Identifier: MIT */
/* bgs-restart-policy.c: restart delays and the start limit; see
 * bgs-restart-policy.h. */
#include "config.h"

#include "bgs-restart-policy.h"

/*
 * The delay before restart number @restart_number (1 for the first):
 * delay_ms × 2^(n−1), capped at max_delay_ms when that is not 0, else
 * delay_ms every time. A cap below delay_ms caps the first delay too.
 */
guint
bgs_restart_policy_delay_ms (const BgsRestartPolicy *self,
                             guint                   restart_number)
{
  guint64 delay = self->delay_ms;

  if (self->max_delay_ms == 0 || self->delay_ms == 0)
    return self->delay_ms;

  for (guint i = 1; i < restart_number && delay < self->max_delay_ms; i++)
    delay *= 2;

  return (guint) MIN (delay, (guint64) self->max_delay_ms);
}

/* Forgets the restarts that happened before the window ending at @when. */
static void
drop_before_window (BgsStartLimit          *self,
                    const BgsRestartPolicy *policy,
                    gint64                  when)
{
  gint64 window_start = when - (gint64) policy->interval_ms * 1000;
  guint n_old = 0;

  if (self->times == NULL)
    return;

  while (n_old < self->times->len && g_array_index (self->times, gint64, n_old) <= window_start)
    n_old++;
  g_array_remove_range (self->times, 0, n_old);
}

/*
 * Whether a restart at @when (monotonic µs) stays within the limit: fewer
 * than `burst` restarts in the `interval_ms` before it. A zero interval
 * means no limit; a zero burst, with an interval, allows none.
 */
gboolean
bgs_start_limit_allows (BgsStartLimit          *self,
                        const BgsRestartPolicy *policy,
                        gint64                  when)
{
  if (policy->interval_ms == 0)
    return TRUE;

  drop_before_window (self, policy, when);
  return (self->times != NULL ? self->times->len : 0) < policy->burst;
}

/* Notes a restart at @when. Only the newest `burst` restarts can matter to
 * the limit, so no more are kept. */
void
bgs_start_limit_record (BgsStartLimit          *self,
                        const BgsRestartPolicy *policy,
                        gint64                  when)
{
  if (policy->interval_ms == 0)
    return;

  if (self->times == NULL)
    self->times = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_array_append_val (self->times, when);
  if (self->times->len > policy->burst)
    g_array_remove_range (self->times, 0, self->times->len - policy->burst);
}

void
bgs_start_limit_clear (BgsStartLimit *self)
{
  g_clear_pointer (&self->times, g_array_unref);
}
