/* SPDX-License-Identifier: MIT */
/* bgsd-status.c: the daemon's one-line summary for systemd (STATUS=).
 *
 * BgsdStatus counts the services, those that run and those that failed,
 * and tells systemd ("N services, R running, F failed", or while the
 * daemon stops "Stopping: R of N services still running"). The counts
 * are kept up to date one service at a time: each change of a service
 * moves them by what that service now adds, so a change costs the same
 * with ten services as with a hundred thousand. The summary goes out at
 * most once per STATUS_INTERVAL_MS (a start of ten thousand services
 * sends a handful, not ten thousand), and at once on
 * bgsd_status_flush(), which the daemon calls before READY=1 and
 * STOPPING=1 so that systemd has the exact figures then.
 */
#include "config.h"

#include "bgsd-notify.h"
#include "bgsd-status.h"

/* At most four summaries a second. */
#define STATUS_INTERVAL_MS 250

struct _BgsdStatus
{
  GHashTable *counted;      /* (element-type BgsService Counted) (owned) */
  guint       n_running;
  guint       n_failed;
  gboolean    stopping;
  gint64      last_sent;    /* g_get_monotonic_time() of the last summary */
  guint       timer;        /* the next summary, when one is due */
};

/* Counted: what one service adds to the counts, and its handler. */
typedef struct
{
  BgsdStatus *status;
  BgsService *service;      /* (unowned): removed before it goes */
  gulong      handler;
  gboolean    running;
  gboolean    failed;
} Counted;

static void
send_summary (BgsdStatus *self)
{
  guint n = g_hash_table_size (self->counted);
  g_autofree char *text = NULL;

  g_clear_handle_id (&self->timer, g_source_remove);
  self->last_sent = g_get_monotonic_time ();

  if (self->stopping)
    text = g_strdup_printf ("Stopping: %u of %u services still running", self->n_running, n);
  else
    text = g_strdup_printf ("%u services, %u running, %u failed", n, self->n_running,
                            self->n_failed);
  bgsd_notify_status (text);
}

static gboolean
on_timer (gpointer user_data)
{
  BgsdStatus *self = user_data;

  self->timer = 0;
  send_summary (self);
  return G_SOURCE_REMOVE;
}

/* The counts changed: the summary goes out now, or once the interval
 * since the last one has passed. */
static void
schedule_summary (BgsdStatus *self)
{
  gint64 elapsed_ms;

  if (self->timer != 0)
    return;

  elapsed_ms = (g_get_monotonic_time () - self->last_sent) / 1000;
  if (elapsed_ms >= STATUS_INTERVAL_MS)
    send_summary (self);
  else
    self->timer = g_timeout_add (STATUS_INTERVAL_MS - (guint) elapsed_ms, on_timer, self);
}

static void
add_counts (BgsdStatus    *self,
            const Counted *counted)
{
  self->n_running += counted->running ? 1 : 0;
  self->n_failed += counted->failed ? 1 : 0;
}

static void
take_counts (BgsdStatus    *self,
             const Counted *counted)
{
  self->n_running -= counted->running ? 1 : 0;
  self->n_failed -= counted->failed ? 1 : 0;
}

/* Reads @counted's service again and moves the counts by the difference.
 * A service runs while it is in a run: running, stopping or restarting. */
static void
recount (Counted *counted)
{
  BgsServiceState state = bgs_service_get_state (counted->service);
  gboolean running = state == BGS_SERVICE_STATE_RUNNING || state == BGS_SERVICE_STATE_STOPPING ||
                     state == BGS_SERVICE_STATE_RESTARTING;
  gboolean failed = state == BGS_SERVICE_STATE_FAILED;

  if (running == counted->running && failed == counted->failed)
    return;

  take_counts (counted->status, counted);
  counted->running = running;
  counted->failed = failed;
  add_counts (counted->status, counted);
  schedule_summary (counted->status);
}

static void
on_service_changed (BgsService *service,
                    GParamSpec *pspec,
                    Counted    *counted)
{
  recount (counted);
}

static void
counted_free (gpointer data)
{
  Counted *counted = data;

  g_clear_signal_handler (&counted->handler, counted->service);
  g_free (counted);
}

BgsdStatus *
bgsd_status_new (void)
{
  BgsdStatus *self = g_new0 (BgsdStatus, 1);

  self->counted = g_hash_table_new_full (NULL, NULL, NULL, counted_free);
  self->last_sent = G_MININT64 / 2;
  return self;
}

void
bgsd_status_free (BgsdStatus *self)
{
  if (self == NULL)
    return;

  g_clear_handle_id (&self->timer, g_source_remove);
  g_hash_table_unref (self->counted);
  g_free (self);
}

/* Counts @service from now on, until bgsd_status_remove(). */
void
bgsd_status_add (BgsdStatus *self,
                 BgsService *service)
{
  Counted *counted = g_new0 (Counted, 1);

  counted->status = self;
  counted->service = service;
  counted->handler = g_signal_connect (service, "notify::state",
                                       G_CALLBACK (on_service_changed), counted);
  g_hash_table_replace (self->counted, service, counted);
  recount (counted);
  schedule_summary (self);
}

void
bgsd_status_remove (BgsdStatus *self,
                    BgsService *service)
{
  Counted *counted = g_hash_table_lookup (self->counted, service);

  if (counted == NULL)
    return;

  take_counts (self, counted);
  g_hash_table_remove (self->counted, service);
  schedule_summary (self);
}

/* The daemon stops: the summary says how many services still run. */
void
bgsd_status_set_stopping (BgsdStatus *self)
{
  self->stopping = TRUE;
  schedule_summary (self);
}

/* Sends the summary now, so that it is exact when systemd is told more. */
void
bgsd_status_flush (BgsdStatus *self)
{
  send_summary (self);
}
