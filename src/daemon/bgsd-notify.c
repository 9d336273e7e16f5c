/* SPDX-License-Identifier: MIT */
/* bgsd-notify.c: telling systemd what the daemon is doing.
 *
 * The sd_notify() protocol: datagrams to the socket in $NOTIFY_SOCKET.
 * Without that variable (not started by systemd) every call does nothing.
 * The watchdog pings at half of $WATCHDOG_USEC, from the main loop, so a
 * loop that hangs stops the pings and systemd restarts the daemon.
 */
#include "config.h"

#include <systemd/sd-daemon.h>

#include "bgsd-notify.h"

static char *last_status;

static void
notify (const char *state)
{
  int r = sd_notify (0, state);

  if (r < 0)
    g_warning ("Cannot notify the service manager (%s): %s", state, g_strerror (-r));
}

void
bgsd_notify_ready (void)
{
  notify ("READY=1");
}

void
bgsd_notify_reloading (void)
{
  notify ("RELOADING=1");
}

void
bgsd_notify_stopping (void)
{
  notify ("STOPPING=1");
}

/* Sends STATUS=@status, unless it is the status sent last. */
void
bgsd_notify_status (const char *status)
{
  g_autofree char *state = NULL;

  if (g_strcmp0 (status, last_status) == 0)
    return;

  g_free (last_status);
  last_status = g_strdup (status);
  state = g_strconcat ("STATUS=", status, NULL);
  notify (state);
}

static gboolean
on_watchdog (gpointer user_data)
{
  notify ("WATCHDOG=1");
  return G_SOURCE_CONTINUE;
}

/* Pings the watchdog at half its period, when systemd asked for one. */
void
bgsd_notify_start_watchdog (void)
{
  uint64_t usec = 0;
  int r = sd_watchdog_enabled (0, &usec);

  if (r <= 0 || usec == 0)
    return;

  g_debug ("Watchdog every %" G_GUINT64_FORMAT " µs: pinging twice as often", usec);
  g_timeout_add (MAX (1, (guint) (usec / 2000)), on_watchdog, NULL);
  notify ("WATCHDOG=1");
}
