/* SPDX-License-Identifier: MIT */
/* bgsd-child.c: a command run in its own process group.
 *
 * A BgsdChild is one run of a command: spawned as the leader of a new
 * process group (bgsd-spawn.c), so that whatever the command starts can be
 * signalled with it, and followed until it ends (bgsd-reaper.c), its stdout
 * and stderr going where bgsd-output.c says, tagged with the service name.
 * Terminating sends SIGTERM to the group, then SIGKILL once the timeout has
 * passed; when the leader has exited, what is left of the group is killed
 * at once. A child that ends after being terminated ends with
 * G_IO_ERROR_CANCELLED: it was stopped, it did not fail.
 *
 * Spawning has a budget per main loop iteration: SPAWN_BATCH spawns, and
 * more while they took less than SPAWN_SLICE_US together. A spawn waits
 * until the program runs, a few milliseconds on a busy machine, so an
 * iteration never waits for more than a handful. A child made within the
 * budget is spawned at once; past it, children wait in a queue that the
 * next iterations work through, oldest first. A thousand timers that tick
 * together, or a start of many instances, so spawn over many iterations,
 * and D-Bus calls are answered in between, while the few commands of a
 * small service run by the time the call that started them returns.
 * Whatever goes wrong, a spawn that fails included, reaches the callback
 * (in a later iteration), never the caller of bgsd_child_new().
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bgsd-child.h"
#include "bgsd-command.h"
#include "bgsd-config.h"
#include "bgsd-deadlines.h"
#include "bgsd-guardian.h"
#include "bgsd-output.h"
#include "bgsd-reaper.h"
#include "bgsd-spawn.h"

/* The spawns of one main loop iteration: SPAWN_BATCH, then more while
 * they took less than SPAWN_SLICE_US together. */
#define SPAWN_BATCH 4
#define SPAWN_SLICE_US 2000

typedef enum
{
  CHILD_QUEUED,
  CHILD_RUNNING,
  CHILD_ENDED,
} ChildState;

struct _BgsdChild
{
  BgsdCommand      *command;      /* (owned): a reference */
  const char       *name;         /* (unowned): the service's, which outlives its runs */
  GTask            *task;         /* (owned) (nullable): until the child ends */
  ChildState        state;
  GList             link;         /* in the queue, then in the running list */
  GPid              pgid;         /* the group the leader made, its PID, once spawned */
  BgsdReaperWatch  *watch;        /* (nullable): while the leader runs */
  BgsdOutput       *output;       /* (owned) (nullable): once spawned */
  gboolean          terminating;  /* we sent the signal that ends it, or will */
  BgsdDeadline     *kill_timer;   /* (owned) (nullable): SIGKILL when it passes */
};

/* Children: those waiting for their spawn and those running; the state of
 * this file. */
typedef struct
{
  GQueue   queue;       /* BgsdChild, oldest first */
  GQueue   running;     /* BgsdChild */
  GSource *spawner;     /* (owned) (nullable): works through the queue */
  guint    n_spawned;   /* spawns in this iteration */
  gint64   spawn_time;  /* µs they took */
} Children;

static Children children = { G_QUEUE_INIT, G_QUEUE_INIT, NULL, 0, 0 };

static void
drop_kill_timer (BgsdChild *self)
{
  g_clear_pointer (&self->kill_timer, bgsd_deadline_remove);
}

static void
signal_group (BgsdChild *self,
              int        signal_number)
{
  if (self->pgid > 0 && kill (-self->pgid, signal_number) < 0 && errno != ESRCH)
    g_warning ("Cannot send signal %d to the processes of “%s”: %s",
               signal_number, self->command->line, g_strerror (errno));
}

/* The child has ended, with @error (taken) or successfully when it is NULL.
 * The callback may free @self. */
static void
end (BgsdChild *self,
     GError    *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->task);

  self->state = CHILD_ENDED;
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/* What the end of a leader that nobody terminated means: NULL for status 0. */
static GError *
error_from_status (const char *command,
                   int         code,
                   int         status)
{
  if (code == CLD_EXITED && status == 0)
    return NULL;
  if (code == CLD_EXITED)
    return g_error_new (G_SPAWN_EXIT_ERROR, status, "“%s” exited with status %d", command, status);
  if (code == CLD_KILLED || code == CLD_DUMPED)
    return g_error_new (G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED,
                        "“%s” was killed by signal %d (%s), which bgserviced did not send",
                        command, status, g_strsignal (status));
  return g_error_new (G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED,
                      "“%s” ended, but something else took its exit status", command);
}

/* The leader has ended; it is reaped once this returns. */
static void
on_leader_ended (int      code,
                 int      status,
                 gpointer user_data)
{
  BgsdChild *self = user_data;

  self->watch = NULL;
  g_queue_unlink (&children.running, &self->link);
  bgsd_output_close (self->output);
  drop_kill_timer (self);

  if (self->terminating)
    {
      /* What the leader left behind in its group goes too. Not reaped
       * yet, the leader keeps the group's number from being reused. */
      signal_group (self, SIGKILL);
      end (self, g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, "“%s” was stopped",
                              self->command->line));
      return;
    }

  end (self, error_from_status (self->command->line, code, status));
}

/* A leader the reaper cannot follow must not run unsupervised. */
static void
kill_and_reap (GPid pid)
{
  kill (-pid, SIGKILL);
  while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
    ;
}

/* Spawns the leader, with its output, and has the reaper follow it. The
 * guardian learns the new group before the spawn counts as over. */
static gboolean
spawn_leader (BgsdChild  *self,
              GError    **error)
{
  int fds[] = { -1, -1, -1 };   /* stdin: /dev/null */
  GPid pid;

  self->output = bgsd_output_new (self->name, &fds[STDOUT_FILENO], error);
  if (self->output == NULL)
    return FALSE;

  bgsd_guardian_spawn_begin ();
  pid = bgsd_spawn_process (self->command->program, (const char * const *) self->command->argv,
                            fds, G_N_ELEMENTS (fds), error);
  close (fds[STDOUT_FILENO]);
  if (fds[STDERR_FILENO] != fds[STDOUT_FILENO])
    close (fds[STDERR_FILENO]);
  if (pid != 0)
    self->watch = bgsd_reaper_watch (pid, on_leader_ended, self, error);
  bgsd_guardian_spawn_end ();

  if (pid != 0 && self->watch == NULL)
    kill_and_reap (pid);
  if (self->watch == NULL)
    {
      bgsd_output_close (self->output);
      return FALSE;
    }

  self->pgid = pid;
  return TRUE;
}

static gboolean
within_budget (void)
{
  return children.n_spawned < SPAWN_BATCH || children.spawn_time < SPAWN_SLICE_US;
}

/* Spawns the child, or ends it when it was terminated meanwhile. */
static void
launch (BgsdChild *self)
{
  GError *error = NULL;
  gint64 began = g_get_monotonic_time ();

  if (self->terminating)
    error = g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, "“%s” was stopped before it started",
                         self->command->line);
  else
    {
      spawn_leader (self, &error);
      children.n_spawned++;
      children.spawn_time += g_get_monotonic_time () - began;
    }

  if (error != NULL)
    {
      end (self, error);
      return;
    }

  self->state = CHILD_RUNNING;
  g_queue_push_tail_link (&children.running, &self->link);
  g_debug ("%s: started “%s” as PID %d", self->name, self->command->line, (int) self->pgid);
}

/* A new iteration: a new budget. */
static gboolean
spawner_prepare (GSource *source,
                 gint    *timeout)
{
  children.n_spawned = 0;
  children.spawn_time = 0;
  *timeout = -1;
  return children.queue.length > 0;
}

static gboolean
spawner_check (GSource *source)
{
  return children.queue.length > 0;
}

/* Launches from the queue what the budget allows; those that were
 * terminated meanwhile (at its head) end whatever the budget. */
static gboolean
spawner_dispatch (GSource     *source,
                  GSourceFunc  callback,
                  gpointer     user_data)
{
  while (children.queue.length > 0
         && (((BgsdChild *) children.queue.head->data)->terminating || within_budget ()))
    launch (g_queue_pop_head_link (&children.queue)->data);

  return G_SOURCE_CONTINUE;
}

static GSourceFuncs spawner_funcs = {
  .prepare = spawner_prepare,
  .check = spawner_check,
  .dispatch = spawner_dispatch,
};

/* Launches the child now when the budget allows and none waits, else
 * queues it. */
static void
launch_or_queue (BgsdChild *self)
{
  if (children.spawner == NULL)
    {
      children.spawner = g_source_new (&spawner_funcs, sizeof (GSource));
      g_source_set_static_name (children.spawner, "bgserviced spawner");
      g_source_attach (children.spawner, g_main_context_get_thread_default ());
    }

  if (children.queue.length == 0 && within_budget ())
    launch (self);
  else
    g_queue_push_tail_link (&children.queue, &self->link);
}

/*
 * Runs @command for service @name, which must outlive the child. @callback
 * comes once the command has ended, or could not start; get the outcome
 * with bgsd_child_finish(). Free the child afterwards, not before.
 */
BgsdChild *
bgsd_child_new (BgsdCommand         *command,
                const char          *name,
                GAsyncReadyCallback  callback,
                gpointer             user_data)
{
  BgsdChild *self = g_new0 (BgsdChild, 1);

  self->command = bgsd_command_ref (command);
  self->name = name;
  self->task = g_task_new (NULL, NULL, callback, user_data);
  self->link.data = self;
  launch_or_queue (self);
  return self;
}

/* Successful for exit status 0; G_SPAWN_EXIT_ERROR for another status,
 * G_SPAWN_ERROR for a signal or a command that could not start, the error
 * of the output for output that could not be set up, and
 * G_IO_ERROR_CANCELLED when bgsd_child_terminate() ended it. */
gboolean
bgsd_child_finish (BgsdChild     *self,
                   GAsyncResult  *result,
                   GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_kill_timeout (gpointer user_data)
{
  BgsdChild *self = user_data;

  g_message ("“%s” did not end after SIGTERM; sending SIGKILL", self->command->line);
  self->kill_timer = NULL;
  signal_group (self, SIGKILL);
}

/*
 * Sends SIGTERM to the child's group, and SIGKILL after @timeout_ms
 * (BGSD_TIMEOUT_INFINITE: never; 0: at once). A child still waiting for
 * its spawn is not spawned: it ends as stopped, soon.
 */
void
bgsd_child_terminate (BgsdChild *self,
                      guint      timeout_ms)
{
  if (self->terminating || self->state == CHILD_ENDED)
    return;

  self->terminating = TRUE;
  if (self->state == CHILD_QUEUED)
    {
      g_queue_unlink (&children.queue, &self->link);
      g_queue_push_head_link (&children.queue, &self->link);
      return;
    }

  signal_group (self, SIGTERM);
  if (timeout_ms == 0)
    signal_group (self, SIGKILL);
  else if (timeout_ms != BGSD_TIMEOUT_INFINITE)
    self->kill_timer = bgsd_deadline_add (timeout_ms, on_kill_timeout, self);
}

/*
 * For a daemon that may not wait any longer: SIGKILL now to the process
 * group of every command the daemon runs, exec and timer ones alike, and
 * the commands still waiting for their spawn never start. Each ends as
 * stopped (G_IO_ERROR_CANCELLED), through its callback, as the main loop
 * goes on. Returns how many groups were killed.
 */
guint
bgsd_child_kill_all (void)
{
  for (GList *l = children.queue.head; l != NULL; l = l->next)
    ((BgsdChild *) l->data)->terminating = TRUE;

  for (GList *l = children.running.head; l != NULL; l = l->next)
    {
      BgsdChild *child = l->data;

      child->terminating = TRUE;
      drop_kill_timer (child);
      signal_group (child, SIGKILL);
    }

  return children.running.length;
}

/* Frees @self; one still running is killed, as nobody would watch it. */
void
bgsd_child_free (BgsdChild *self)
{
  if (self->state == CHILD_QUEUED)
    g_queue_unlink (&children.queue, &self->link);
  else if (self->state == CHILD_RUNNING)
    {
      g_queue_unlink (&children.running, &self->link);
      signal_group (self, SIGKILL);
      bgsd_reaper_forget (self->watch);
    }

  drop_kill_timer (self);
  g_clear_object (&self->task);
  g_clear_pointer (&self->output, bgsd_output_free);
  bgsd_command_unref (self->command);
  g_free (self);
}

