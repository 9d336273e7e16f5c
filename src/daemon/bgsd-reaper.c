/* SPDX-License-Identifier: MIT */
/* bgsd-reaper.c: following the daemon's commands until they are reaped.
 *
 * Each command the daemon spawns gets a pidfd, and every pidfd sits in one
 * epoll set, which the main loop watches as a single source. A pidfd turns
 * readable when its process has ended; a dispatch takes what epoll says is
 * ready (a bounded batch: the rest stay ready for the next iteration), so
 * the work per ending command does not grow with the number of commands,
 * as it does with one main loop source each (GLib polls and checks every
 * source in every iteration). Reaping goes through the pidfd too
 * (waitid(P_PIDFD)): only the daemon's own commands are reaped, never a
 * child that other code in the process started and waits for.
 *
 * While it follows a command, the reaper tells the guardian its process
 * group (bgsd-guardian.c), and takes it back before reaping the leader.
 *
 * Without pidfds (pidfd_open() fails with ENOSYS: Linux before 5.3, or
 * valgrind), each command gets a GLib child watch instead, a source of its
 * own, which reaps before it reports: the guardian then forgets the group,
 * and a terminated command's leftovers are killed, just after the reap.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib-unix.h>
#include <gio/gio.h>

#include "bgsd-guardian.h"
#include "bgsd-reaper.h"

/* The most ended processes one dispatch takes. */
#define BATCH 64

struct _BgsdReaperWatch
{
  GPid            pid;
  int             pidfd;       /* -1 with a child watch */
  guint           guard_slot;
  BgsdReaperFunc  func;        /* (nullable): NULL once forgotten */
  gpointer        user_data;
};

/* Reaper: the epoll set and its source; the state of this file. */
typedef struct
{
  int      epoll_fd;
  GSource *source;             /* (owned) (nullable) */
} Reaper;

static Reaper reaper = { .epoll_fd = -1 };

/* The process has ended: the guardian forgets it, and the function is told. */
static void
report (BgsdReaperWatch *watch,
        int              code,
        int              status)
{
  bgsd_guardian_remove (watch->guard_slot);
  if (watch->func != NULL)
    watch->func (code, status, watch->user_data);
}

/* Reports the end of the watch's process, reaps it, and frees the watch. */
static void
reap (BgsdReaperWatch *watch)
{
  siginfo_t info = { 0 };
  int code = 0;
  int status = 0;

  /* Looked at, not reaped: the zombie keeps its PID and group. */
  if (waitid (P_PIDFD, watch->pidfd, &info, WEXITED | WNOHANG | WNOWAIT) == 0)
    {
      if (info.si_pid == 0)
        return;                 /* not ended after all: stays in the set */
      code = info.si_code;
      status = info.si_status;
    }
  else
    g_warning ("PID %d ended but was reaped elsewhere: %s", (int) watch->pid, g_strerror (errno));

  report (watch, code, status);
  waitid (P_PIDFD, watch->pidfd, &info, WEXITED | WNOHANG);
  /* Out of the set first: closing would not do it while a command being
   * spawned still holds a copy of the pidfd, until its exec closes it. */
  epoll_ctl (reaper.epoll_fd, EPOLL_CTL_DEL, watch->pidfd, NULL);
  close (watch->pidfd);
  g_free (watch);
}

static gboolean
on_ended (int           fd,
          GIOCondition  condition,
          gpointer      user_data)
{
  struct epoll_event events[BATCH];
  int n = epoll_wait (reaper.epoll_fd, events, BATCH, 0);

  for (int i = 0; i < n; i++)
    reap (events[i].data.ptr);

  return G_SOURCE_CONTINUE;
}

static gboolean
ensure_epoll (GError **error)
{
  if (reaper.epoll_fd >= 0)
    return TRUE;

  reaper.epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
  if (reaper.epoll_fd < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot make the set of commands to wait for: %s", g_strerror (saved));
      return FALSE;
    }

  reaper.source = g_unix_fd_source_new (reaper.epoll_fd, G_IO_IN);
  g_source_set_callback (reaper.source, G_SOURCE_FUNC (on_ended), NULL, NULL);
  g_source_attach (reaper.source, g_main_context_get_thread_default ());
  return TRUE;
}

static void
on_child_exited (GPid     pid,
                 gint     wait_status,
                 gpointer user_data)
{
  BgsdReaperWatch *watch = user_data;

  if (WIFEXITED (wait_status))
    report (watch, CLD_EXITED, WEXITSTATUS (wait_status));
  else
    report (watch, WCOREDUMP (wait_status) ? CLD_DUMPED : CLD_KILLED, WTERMSIG (wait_status));
  g_free (watch);
}

/* Without pidfds: a GLib child watch, which reaps on its own. */
static void
watch_without_pidfd (BgsdReaperWatch *watch)
{
  GSource *source = g_child_watch_source_new (watch->pid);

  watch->pidfd = -1;
  g_source_set_callback (source, G_SOURCE_FUNC (on_child_exited), watch, NULL);
  g_source_attach (source, g_main_context_get_thread_default ());
  g_source_unref (source);
}

/* Puts the watch's process in the epoll set, or without pidfds under a
 * child watch. */
static gboolean
follow (BgsdReaperWatch  *watch,
        GError          **error)
{
  struct epoll_event event = { .events = EPOLLIN, .data.ptr = watch };
  int saved;

  if (!ensure_epoll (error))
    return FALSE;

  watch->pidfd = pidfd_open (watch->pid, 0);
  if (watch->pidfd < 0 && errno == ENOSYS)
    {
      watch_without_pidfd (watch);
      return TRUE;
    }
  if (watch->pidfd >= 0 && epoll_ctl (reaper.epoll_fd, EPOLL_CTL_ADD, watch->pidfd, &event) == 0)
    return TRUE;

  saved = errno;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
               "Cannot follow PID %d: %s", (int) watch->pid, g_strerror (saved));
  if (watch->pidfd >= 0)
    close (watch->pidfd);
  return FALSE;
}

/*
 * Follows @pid, a child of the daemon that leads its own process group,
 * until it ends: then calls @func (see BgsdReaperFunc) and reaps it.
 * Fails when no pidfd can be opened for it (out of descriptors); the
 * caller must then end and reap it itself.
 */
BgsdReaperWatch *
bgsd_reaper_watch (GPid             pid,
                   BgsdReaperFunc   func,
                   gpointer         user_data,
                   GError         **error)
{
  BgsdReaperWatch *watch = g_new0 (BgsdReaperWatch, 1);

  watch->pid = pid;
  watch->func = func;
  watch->user_data = user_data;
  if (!follow (watch, error))
    {
      g_free (watch);
      return NULL;
    }

  watch->guard_slot = bgsd_guardian_add (pid);
  return watch;
}

/* Nobody waits for @watch's process any more: it is reaped silently. */
void
bgsd_reaper_forget (BgsdReaperWatch *watch)
{
  watch->func = NULL;
  watch->user_data = NULL;
}
