/* SPDX-License-Identifier: MIT */
/* bgs-bus-run-watch.c: calls answered when a service's run ends.
 *
 * Wait, Stop, Restart and StopAll answer with the failures of the run
 * they waited for. Those belong to the run, not to the caller: every
 * caller gets the same list, and nothing is taken from LastErrors or
 * from another caller. A watch follows the run-ended signal of one
 * service; the runs that ended are delivered once the bus has announced
 * the properties the end changed (see bgs_bus_flush_changes()), so a
 * caller that reads them after its answer sees them up to date. A watch
 * whose caller left the bus is cancelled, delivered or not.
 */
#include "config.h"

#include "bgs-bus-private.h"

/* BgsRunWatch: one caller waiting for the end of one service's run. */
struct _BgsRunWatch
{
  BgsBus         *bus;        /* (owned) */
  BgsService     *service;    /* (owned) */
  gulong          handler;
  GError         *failures;   /* (owned) (nullable): the run's, once it ended */
  BgsRunEndFunc   func;
  gpointer        user_data;  /* handed to @func, or to @destroy when cancelled */
  GDestroyNotify  destroy;    /* (nullable) */
  gboolean        ended;      /* @link is in bus->ended */
  GList           link;
};

static void
run_watch_free (BgsRunWatch *watch)
{
  g_clear_signal_handler (&watch->handler, watch->service);
  g_clear_error (&watch->failures);
  g_object_unref (watch->service);
  g_object_unref (watch->bus);
  g_free (watch);
}

static void
on_run_ended (BgsService   *service,
              const GError *failures,
              BgsRunWatch  *watch)
{
  g_clear_signal_handler (&watch->handler, service);
  if (failures != NULL)
    watch->failures = g_error_copy (failures);
  watch->ended = TRUE;
  g_queue_push_tail_link (&watch->bus->ended, &watch->link);
  bgs_bus_schedule_flush (watch->bus);
}

/* Whether a run of @service is under way: it is running, stopping or
 * restarting. */
gboolean
bgs_bus_service_in_run (BgsService *service)
{
  BgsServiceState state = bgs_service_get_state (service);

  return state == BGS_SERVICE_STATE_RUNNING || state == BGS_SERVICE_STATE_STOPPING ||
         state == BGS_SERVICE_STATE_RESTARTING;
}

/*
 * Calls @func once the current run of @service ended, with the run's
 * failures and @user_data, which @func then owns; only for a service in a
 * run. Returns the watch, valid until @func was called or
 * bgs_run_watch_cancel().
 */
BgsRunWatch *
bgs_bus_watch_run_end (BgsBus         *bus,
                       BgsService     *service,
                       BgsRunEndFunc   func,
                       gpointer        user_data,
                       GDestroyNotify  destroy)
{
  BgsRunWatch *watch = g_new0 (BgsRunWatch, 1);

  watch->bus = g_object_ref (bus);
  watch->service = g_object_ref (service);
  watch->func = func;
  watch->user_data = user_data;
  watch->destroy = destroy;
  watch->link.data = watch;
  watch->handler = g_signal_connect (service, "run-ended", G_CALLBACK (on_run_ended), watch);

  return watch;
}

/* Forgets @watch without calling its function: its data goes to the
 * destroy function instead. */
void
bgs_run_watch_cancel (BgsRunWatch *watch)
{
  if (watch->ended)
    g_queue_unlink (&watch->bus->ended, &watch->link);
  if (watch->destroy != NULL)
    watch->destroy (watch->user_data);
  run_watch_free (watch);
}

/* Calls back every watch whose run ended. Callbacks may add more. */
void
bgs_bus_deliver_run_ends (BgsBus *bus)
{
  GList *link;

  while ((link = g_queue_pop_head_link (&bus->ended)) != NULL)
    {
      BgsRunWatch *watch = link->data;

      watch->ended = FALSE;
      watch->func (watch->service, watch->failures, watch->user_data);
      run_watch_free (watch);
    }
}
