/* SPDX-License-Identifier: MIT */
/* bgsd-child.c: a command run in its own process group.
 *
 * BgsdChild starts a command with GSubprocess as the leader of a new
 * process group, so that whatever the command starts can be signalled
 * with it. Terminating sends SIGTERM to the group, then SIGKILL once the
 * timeout has passed; when the leader has exited, what is left of the
 * group is killed at once. A child that ends after being terminated ends
 * with G_IO_ERROR_CANCELLED: it was stopped, it did not fail. Its stdout
 * and stderr go where bgsd-output.c says, tagged with the service name;
 * its output is closed when the leader has been reaped.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include "bgsd-child.h"
#include "bgsd-config.h"
#include "bgsd-output.h"

struct _BgsdChild
{
  GSubprocess *process;      /* (owned) */
  BgsdOutput  *output;       /* (owned) */
  char        *command;      /* (owned): for messages */
  GPid         pgid;         /* the group the leader made, its PID */
  gboolean     terminating;  /* we sent the signal that ends it */
  gboolean     exited;       /* the leader was reaped: its PID is free */
  GSource     *kill_timer;   /* (owned) (nullable) */
  GList        link;         /* in every_child */
};

/* Every child not freed yet, for bgsd_child_kill_all(). */
static GQueue every_child = G_QUEUE_INIT;

static void
become_group_leader (gpointer user_data)
{
  setpgid (0, 0);
}

static void
signal_group (BgsdChild *self,
              int        signal_number)
{
  if (self->pgid > 0 && kill (-self->pgid, signal_number) < 0 && errno != ESRCH)
    g_warning ("Cannot send signal %d to the processes of “%s”: %s",
               signal_number, self->command, g_strerror (errno));
}

/* Starts @argv for service @name; @command names it in messages. */
BgsdChild *
bgsd_child_spawn (const char * const  *argv,
                  const char          *command,
                  const char          *name,
                  GError             **error)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(BgsdOutput) output = NULL;
  const char *identifier;
  BgsdChild *self;

  g_subprocess_launcher_set_child_setup (launcher, become_group_leader, NULL, NULL);
  /* The service manager's messages are for the daemon, not its commands. */
  g_subprocess_launcher_unsetenv (launcher, "NOTIFY_SOCKET");
  g_subprocess_launcher_unsetenv (launcher, "WATCHDOG_USEC");
  g_subprocess_launcher_unsetenv (launcher, "WATCHDOG_PID");
  output = bgsd_output_new (name, launcher, error);
  if (output == NULL)
    return NULL;
  process = g_subprocess_launcher_spawnv (launcher, argv, error);
  if (process == NULL)
    return NULL;

  self = g_new0 (BgsdChild, 1);
  self->process = g_steal_pointer (&process);
  self->output = g_steal_pointer (&output);
  self->command = g_strdup (command);
  self->link.data = self;
  g_queue_push_tail_link (&every_child, &self->link);
  identifier = g_subprocess_get_identifier (self->process);
  /* GLib reaps in its worker thread: a command that ends at once may be
   * gone already, its PID free. Then there is no group left to signal. */
  if (identifier != NULL)
    self->pgid = (GPid) g_ascii_strtoll (identifier, NULL, 10);
  else
    self->exited = TRUE;

  return self;
}

GPid
bgsd_child_get_pid (BgsdChild *self)
{
  return self->pgid;
}

static gboolean
on_kill_timeout (gpointer user_data)
{
  BgsdChild *self = user_data;

  g_message ("“%s” did not end after SIGTERM; sending SIGKILL", self->command);
  g_clear_pointer (&self->kill_timer, g_source_unref);
  signal_group (self, SIGKILL);

  return G_SOURCE_REMOVE;
}

/*
 * Sends SIGTERM to the child's group, and SIGKILL after @timeout_ms
 * (BGSD_TIMEOUT_INFINITE: never; 0: at once).
 */
void
bgsd_child_terminate (BgsdChild *self,
                      guint      timeout_ms)
{
  if (self->terminating || self->exited)
    return;

  self->terminating = TRUE;
  signal_group (self, SIGTERM);

  if (timeout_ms == 0)
    signal_group (self, SIGKILL);
  else if (timeout_ms != BGSD_TIMEOUT_INFINITE)
    {
      self->kill_timer = g_timeout_source_new (timeout_ms);
      g_source_set_callback (self->kill_timer, on_kill_timeout, self, NULL);
      g_source_attach (self->kill_timer, g_main_context_get_thread_default ());
    }
}

static void
on_process_exited (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  BgsdChild *self = g_task_get_task_data (task);

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  self->exited = TRUE;
  bgsd_output_close (self->output);

  if (self->kill_timer != NULL)
    {
      g_source_destroy (self->kill_timer);
      g_clear_pointer (&self->kill_timer, g_source_unref);
    }

  if (self->terminating)
    {
      /* The leader is gone; what it left behind in its group goes too. */
      if (kill (-self->pgid, SIGKILL) < 0 && errno != ESRCH)
        g_debug ("Cannot kill what is left of “%s”: %s", self->command, g_strerror (errno));
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "“%s” was stopped", self->command);
      return;
    }

  if (g_subprocess_get_if_exited (self->process) && g_subprocess_get_exit_status (self->process) == 0)
    g_task_return_boolean (task, TRUE);
  else if (g_subprocess_get_if_exited (self->process))
    g_task_return_new_error (task, G_SPAWN_EXIT_ERROR, g_subprocess_get_exit_status (self->process),
                             "“%s” exited with status %d", self->command,
                             g_subprocess_get_exit_status (self->process));
  else
    g_task_return_new_error (task, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED,
                             "“%s” was killed by signal %d (%s), which bgserviced did not send",
                             self->command, g_subprocess_get_term_sig (self->process),
                             g_strsignal (g_subprocess_get_term_sig (self->process)));
}

/* Completes when the leader has exited: successfully for status 0, with
 * G_SPAWN_EXIT_ERROR for another status, G_SPAWN_ERROR for a signal, and
 * G_IO_ERROR_CANCELLED when bgsd_child_terminate() ended it. */
void
bgsd_child_wait_async (BgsdChild           *self,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  GTask *task = g_task_new (NULL, NULL, callback, user_data);

  g_task_set_task_data (task, self, NULL);
  g_subprocess_wait_async (self->process, NULL, on_process_exited, task);
}

gboolean
bgsd_child_wait_finish (BgsdChild     *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
bgsd_child_free (BgsdChild *self)
{
  g_queue_unlink (&every_child, &self->link);
  if (self->kill_timer != NULL)
    g_source_destroy (self->kill_timer);
  g_clear_pointer (&self->kill_timer, g_source_unref);
  g_clear_object (&self->process);
  g_clear_pointer (&self->output, bgsd_output_free);
  g_free (self->command);
  g_free (self);
}

/*
 * For a daemon that may not wait any longer: SIGKILL at once to the group
 * of every child whose leader has not been reaped. Each ends as a
 * terminated child does, cancelled. Returns how many groups were killed.
 */
guint
bgsd_child_kill_all (void)
{
  guint killed = 0;

  for (GList *l = every_child.head; l != NULL; l = l->next)
    {
      BgsdChild *self = l->data;

      if (self->exited)
        continue;
      if (self->kill_timer != NULL)
        {
          g_source_destroy (self->kill_timer);
          g_clear_pointer (&self->kill_timer, g_source_unref);
        }
      self->terminating = TRUE;
      signal_group (self, SIGKILL);
      killed++;
    }

  return killed;
}
