/* SPDX-License-Identifier: MIT */
/* bgsd-reaper.c: following the daemon's commands until they are reaped.
 *
 * One SIGCHLD handler and one main loop source follow every command,
 * however many run, and hold no descriptor per command: a descriptor each
 * (a pidfd) would cap the commands at the open files limit less what their
 * output needs, and a source each (a GLib child watch) would make every
 * main loop iteration cost one check per command.
 *
 * The handler only writes to an eventfd, which the source watches. The
 * source then asks the kernel for the daemon's ended children, one at a
 * time (waitid() with WNOWAIT: looked at, not reaped), reports each to its
 * watch while the zombie still holds its PID and process group, and reaps
 * it by PID. A dispatch takes a bounded batch; when more may have ended,
 * it wakes itself for the next iteration. Since SIGCHLD does not queue,
 * nothing relies on one signal per child: every dispatch asks until the
 * kernel says no child has ended.
 *
 * Only watched processes are reaped. A child the daemon did not give to
 * the reaper (the guardian's first process, which its starter waits for)
 * is left to whoever waits for it; while such a zombie is the first the
 * kernel names, the watched processes are asked one by one instead.
 *
 * While it follows a command, the reaper tells the guardian its process
 * group (bgsd-guardian.c), and takes it back before reaping the leader.
 * Nothing else in the daemon may install a SIGCHLD handler (GLib does for
 * a child watch or a GSubprocess): the daemon would stop seeing its
 * commands end.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib-unix.h>
#include <gio/gio.h>

#include "bgsd-guardian.h"
#include "bgsd-reaper.h"
#include "bgsd-spawn.h"

/* The most ended processes one dispatch reaps. */
#define BATCH 64

struct _BgsdReaperWatch
{
  GPid            pid;
  guint           guard_slot;
  BgsdReaperFunc  func;        /* (nullable): NULL once forgotten */
  gpointer        user_data;
};

/* Reaper: the watched processes, the eventfd the handler writes to and its
 * source; the state of this file. */
typedef struct
{
  GHashTable *watches;         /* (owned): PID → (owned) BgsdReaperWatch */
  int         wake_fd;         /* the eventfd */
  GSource    *source;          /* (owned) (nullable) */
} Reaper;

static Reaper reaper = { .wake_fd = -1 };

static void
on_sigchld (int signal_number)
{
  int saved = errno;
  eventfd_t one = 1;
  ssize_t written;

  /* Async-signal-safe; a counter that is full (never here) wakes anyway. */
  written = write (reaper.wake_fd, &one, sizeof one);
  (void) written;
  errno = saved;
}

static void
wake_again (void)
{
  eventfd_write (reaper.wake_fd, 1);
}

/* Reports the end of the watch's process, reaps it, and frees the watch. */
static void
reap (BgsdReaperWatch *watch,
      const siginfo_t *ended)
{
  siginfo_t info;

  g_hash_table_steal (reaper.watches, GINT_TO_POINTER (watch->pid));
  bgsd_guardian_remove (watch->guard_slot);
  if (watch->func != NULL)
    watch->func (ended->si_code, ended->si_status, watch->user_data);

  while (waitid (P_PID, watch->pid, &info, WEXITED | WNOHANG) < 0 && errno == EINTR)
    ;
  g_free (watch);
}

/* Looks, without reaping, for an ended child; FALSE when none has ended. */
static gboolean
look_for_ended (idtype_t   which,
                id_t       id,
                siginfo_t *info)
{
  memset (info, 0, sizeof *info);
  while (waitid (which, id, info, WEXITED | WNOHANG | WNOWAIT) < 0)
    if (errno != EINTR)
      return FALSE;             /* ECHILD: no child at all */

  return info->si_pid != 0;
}

/* The slow way, while a child nobody watches waits to be reaped by its
 * own waiter: asks for each watched process. Returns how many it reaped. */
static guint
reap_watched_one_by_one (guint limit)
{
  g_autoptr(GPtrArray) ended = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer watch;
  guint n = 0;

  g_hash_table_iter_init (&iter, reaper.watches);
  while (ended->len < limit && g_hash_table_iter_next (&iter, NULL, &watch))
    {
      siginfo_t info;

      if (look_for_ended (P_PID, ((BgsdReaperWatch *) watch)->pid, &info))
        g_ptr_array_add (ended, watch);
    }

  for (; n < ended->len; n++)
    {
      BgsdReaperWatch *w = ended->pdata[n];
      siginfo_t info;

      /* Reaped after the walk, which reaping would disturb. */
      if (look_for_ended (P_PID, w->pid, &info))
        reap (w, &info);
    }
  return n;
}

static gboolean
on_wake (int           fd,
         GIOCondition  condition,
         gpointer      user_data)
{
  eventfd_t count;
  siginfo_t info;
  guint n = 0;

  eventfd_read (reaper.wake_fd, &count);
  while (n < BATCH && look_for_ended (P_ALL, 0, &info))
    {
      BgsdReaperWatch *watch = g_hash_table_lookup (reaper.watches, GINT_TO_POINTER (info.si_pid));

      if (watch == NULL)
        {
          n += reap_watched_one_by_one (BATCH - n);
          break;
        }
      reap (watch, &info);
      n++;
    }

  if (n == BATCH)
    wake_again ();
  return G_SOURCE_CONTINUE;
}

/* The handler, the eventfd and its source, at the first watch. */
static gboolean
ensure_started (GError **error)
{
  struct sigaction action = { .sa_handler = on_sigchld, .sa_flags = SA_RESTART | SA_NOCLDSTOP };
  sigset_t sigchld;
  int saved;

  if (reaper.source != NULL)
    return TRUE;

  /* Whatever the daemon inherited: an ignored SIGCHLD would have the
   * kernel reap the commands, a blocked one would never wake the loop. */
  sigemptyset (&sigchld);
  sigaddset (&sigchld, SIGCHLD);
  reaper.wake_fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  bgsd_spawn_default_signal (SIGCHLD);
  if (reaper.wake_fd >= 0 && sigaction (SIGCHLD, &action, NULL) == 0
      && pthread_sigmask (SIG_UNBLOCK, &sigchld, NULL) == 0)
    {
      reaper.watches = g_hash_table_new_full (NULL, NULL, NULL, g_free);
      reaper.source = g_unix_fd_source_new (reaper.wake_fd, G_IO_IN);
      g_source_set_static_name (reaper.source, "bgserviced reaper");
      g_source_set_callback (reaper.source, G_SOURCE_FUNC (on_wake), NULL, NULL);
      g_source_attach (reaper.source, g_main_context_get_thread_default ());
      /* Children that ended before the handler was there. */
      wake_again ();
      return TRUE;
    }

  saved = errno;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
               "Cannot watch for the end of commands: %s", g_strerror (saved));
  if (reaper.wake_fd >= 0)
    close (reaper.wake_fd);
  reaper.wake_fd = -1;
  return FALSE;
}

/*
 * Follows @pid, a child of the daemon that leads its own process group,
 * until it ends: then calls @func (see BgsdReaperFunc) and reaps it.
 * Fails only when the reaper cannot start (out of descriptors at the
 * first command); the caller must then end and reap @pid itself.
 */
BgsdReaperWatch *
bgsd_reaper_watch (GPid             pid,
                   BgsdReaperFunc   func,
                   gpointer         user_data,
                   GError         **error)
{
  BgsdReaperWatch *watch;

  if (!ensure_started (error))
    return NULL;

  watch = g_new0 (BgsdReaperWatch, 1);
  watch->pid = pid;
  watch->func = func;
  watch->user_data = user_data;
  watch->guard_slot = bgsd_guardian_add (pid);
  g_hash_table_insert (reaper.watches, GINT_TO_POINTER (pid), watch);
  return watch;
}

/* Nobody waits for @watch's process any more: it is reaped silently. */
void
bgsd_reaper_forget (BgsdReaperWatch *watch)
{
  watch->func = NULL;
  watch->user_data = NULL;
}
