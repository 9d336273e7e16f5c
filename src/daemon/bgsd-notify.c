/* SPDX-License-Identifier: MIT */
/* bgsd-notify.c: telling systemd what the daemon is doing.
 *
 * The sd_notify() protocol: datagrams to the AF_UNIX socket that
 * $NOTIFY_SOCKET names (a path, or "@name" in the abstract namespace).
 * Without that variable (not started by systemd) every call does nothing.
 *
 * Nothing here waits for the service manager. sd_notify() blocks while
 * the manager's socket is full (the kernel keeps net.unix.max_dgram_qlen
 * datagrams unread, 10 by default), which would hold the main loop, and
 * with it every bus call, until the manager read again. Here a message
 * that cannot go out at once waits, in order, and is tried again every
 * RETRY_INTERVAL_MS; of a STATUS= line or a watchdog ping that waits last,
 * only the newest is kept.
 *
 * The watchdog pings at half of $WATCHDOG_USEC, from the main loop, so a
 * loop that hangs stops the pings and systemd restarts the daemon.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>

#include "bgsd-notify.h"

#define RETRY_INTERVAL_MS 100

/* Notifier: the daemon's one socket to the manager, and what waits to go
 * out through it. */
static struct
{
  int     fd;           /* non-blocking datagram socket; -1 until needed */
  GQueue  waiting;      /* (element-type utf8) (owned): not sent yet, oldest first */
  guint   retry;        /* the next try, while messages wait */
  char   *last_status;  /* the STATUS= text sent or queued last */
} notifier = { .fd = -1, .waiting = G_QUEUE_INIT };

typedef enum
{
  SEND_DONE,      /* sent, or failed for good (and logged) */
  SEND_FULL,      /* the manager's socket is full: try again later */
} SendOutcome;

/* Fills @address from $NOTIFY_SOCKET, as sd_notify() reads it. */
static gboolean
manager_address (const char         *name,
                 struct sockaddr_un *address,
                 socklen_t          *length)
{
  size_t n = strlen (name);

  if ((name[0] != '/' && name[0] != '@') || n < 2 || n > sizeof address->sun_path)
    return FALSE;

  memset (address, 0, sizeof *address);
  address->sun_family = AF_UNIX;
  memcpy (address->sun_path, name, n);
  if (name[0] == '@')
    address->sun_path[0] = '\0';
  /* A path counts its terminating NUL when there is room for one. */
  *length = offsetof (struct sockaddr_un, sun_path) + n
            + (name[0] == '/' && n < sizeof address->sun_path ? 1 : 0);
  return TRUE;
}

static SendOutcome
send_datagram (const char *name,
               const char *message)
{
  struct sockaddr_un address;
  socklen_t length;

  if (!manager_address (name, &address, &length))
    {
      g_warning ("Cannot notify the service manager (%s): NOTIFY_SOCKET=%s is neither "
                 "an absolute path nor an @abstract name", message, name);
      return SEND_DONE;
    }

  if (notifier.fd < 0)
    notifier.fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (notifier.fd >= 0)
    {
      if (sendto (notifier.fd, message, strlen (message), MSG_NOSIGNAL | MSG_DONTWAIT,
                  (struct sockaddr *) &address, length) >= 0)
        return SEND_DONE;
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return SEND_FULL;
    }

  g_warning ("Cannot notify the service manager (%s): %s", message, g_strerror (errno));
  return SEND_DONE;
}

/* Whether @newer makes @older, waiting before it, worth nothing. */
static gboolean
supersedes (const char *newer,
            const char *older)
{
  if (g_str_has_prefix (newer, "STATUS=") && g_str_has_prefix (older, "STATUS="))
    return TRUE;
  return g_str_equal (newer, "WATCHDOG=1") && g_str_equal (older, "WATCHDOG=1");
}

static gboolean
on_retry (gpointer user_data)
{
  const char *name = g_getenv ("NOTIFY_SOCKET");
  const char *message;

  while ((message = g_queue_peek_head (&notifier.waiting)) != NULL)
    {
      if (name != NULL && send_datagram (name, message) == SEND_FULL)
        return G_SOURCE_CONTINUE;
      g_free (g_queue_pop_head (&notifier.waiting));
    }

  g_message ("The service manager reads its notification socket again");
  notifier.retry = 0;
  return G_SOURCE_REMOVE;
}

static void
wait_to_send (const char *message)
{
  const char *last = g_queue_peek_tail (&notifier.waiting);

  if (last != NULL && supersedes (message, last))
    g_free (g_queue_pop_tail (&notifier.waiting));
  g_queue_push_tail (&notifier.waiting, g_strdup (message));

  if (notifier.retry == 0)
    {
      g_warning ("The service manager's notification socket is full: what the daemon "
                 "tells it (%s) waits until it reads again", message);
      notifier.retry = g_timeout_add (RETRY_INTERVAL_MS, on_retry, NULL);
    }
}

/* Sends @message now, or after those that wait, without blocking. */
static void
notify (const char *message)
{
  const char *name = g_getenv ("NOTIFY_SOCKET");

  if (name == NULL)
    return;
  if (g_queue_is_empty (&notifier.waiting) && send_datagram (name, message) == SEND_DONE)
    return;
  wait_to_send (message);
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
  g_autofree char *message = NULL;

  if (g_strcmp0 (status, notifier.last_status) == 0)
    return;

  g_free (notifier.last_status);
  notifier.last_status = g_strdup (status);
  message = g_strconcat ("STATUS=", status, NULL);
  notify (message);
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
