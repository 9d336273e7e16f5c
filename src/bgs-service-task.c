/* SPDX-License-Identifier: MIT */
/* bgs-service-task.c: the tasks a service tracks, and two spawners.
 *
 * bgs_service_task_new() hands the caller a bare tracked task. The spawners
 * build on it: the task's data is a closure the library owns, released on
 * the service's context when the task ends (see on_tracked_task_done()),
 * which is where the caller's destroy notify runs, exactly once.
 */
#include "config.h"

#include "bgs-periodic-scheduler.h"
#include "bgs-service-private.h"
#include "bgs-service-task.h"

/**
 * bgs_service_task_new:
 * @self: a #BgsService
 * @name: (nullable): the task's name, for errors and logs; %NULL picks
 *   `task-N`, N counting the service's tasks
 *
 * Makes a task tracked by @self. Its source object is @self; its
 * cancellable (g_task_get_cancellable()) is cancelled by
 * bgs_service_cancel(), and is shared with the other tasks created since
 * the last cancel, so cancel the task through the service rather than
 * through that cancellable. Its completion callback belongs to the
 * service, which completes it on its own context.
 *
 * Drive the work and end it with any g_task_return_*(): values are
 * discarded, errors other than %G_IO_ERROR_CANCELLED are collected for the
 * next wait or stop. Do not change the task's callback, source tag or
 * check-cancellable flag.
 *
 * A task made without @name gets its default name (g_task_set_name()) the
 * first time the service reports it: when it fails, or when
 * bgs_service_get_tasks() lists it. Until then g_task_get_name() gives
 * %NULL. Naming every task up front would make GIO copy the name at
 * creation and build a new string at every completion, which costs about
 * a quarter of the task itself.
 *
 * Returns: (transfer full): the new task.
 *
 * Since: 0.1
 */
GTask *
bgs_service_task_new (BgsService *self,
                      const char *name)
{
  g_return_val_if_fail (BGS_IS_SERVICE (self), NULL);

  return bgs_service_track_new_task (self, name, NULL, bgs_service_task_new);
}

/* ---- threads --------------------------------------------------------- */

typedef struct
{
  BgsThreadFunc  func;
  gpointer       user_data;
  GDestroyNotify destroy;
} ThreadClosure;

static void
thread_closure_free (gpointer data)
{
  ThreadClosure *closure = data;

  if (closure->destroy != NULL)
    closure->destroy (closure->user_data);
  g_free (closure);
}

static void
run_thread_func (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  ThreadClosure *closure = task_data;
  GError *error = NULL;

  if (closure->func (source_object, cancellable, closure->user_data, &error))
    g_task_return_boolean (task, TRUE);
  else if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_new_error (task, BGS_ERROR, BGS_ERROR_FAILED,
                             "Thread task %s failed without saying why",
                             g_task_get_name (task));
}

/**
 * bgs_service_spawn_thread:
 * @self: a #BgsService
 * @name: (nullable): the task's name; %NULL picks `thread-N`
 * @func: (scope notified): the work, run in GIO's thread pool
 * @user_data: (closure func): data for @func
 * @destroy: (destroy user_data) (nullable): frees @user_data
 *
 * Runs @func in a worker thread as a task of @self. Returning %FALSE with
 * an error fails the task; @func should poll its cancellable and return
 * when it is cancelled. @destroy runs once, on the service's context, when
 * the task has ended.
 *
 * Returns: (transfer none): the task, valid until it completes.
 *
 * Since: 0.1
 */
GTask *
bgs_service_spawn_thread (BgsService     *self,
                          const char     *name,
                          BgsThreadFunc   func,
                          gpointer        user_data,
                          GDestroyNotify  destroy)
{
  ThreadClosure *closure;
  GTask *task;

  g_return_val_if_fail (BGS_IS_SERVICE (self), NULL);
  g_return_val_if_fail (func != NULL, NULL);

  closure = g_new (ThreadClosure, 1);
  closure->func = func;
  closure->user_data = user_data;
  closure->destroy = destroy;

  task = bgs_service_track_new_task (self, name, "thread", (gpointer) bgs_spawned_task_tag);
  g_task_set_task_data (task, closure, thread_closure_free);
  g_task_run_in_thread (task, run_thread_func);
  g_object_unref (task);

  return task;
}

/* ---- periodic -------------------------------------------------------- */

/* The ticks and the cancellation of periodic tasks come from the
 * scheduler of the service's context (bgs-periodic-scheduler.c), which
 * serves them all with one source: a task adds none of its own. */
typedef struct
{
  BgsPeriodicEntry entry;        /* first: the scheduler hands it back */
  GTask         *task;           /* (unowned): owns this closure */
  BgsTickFunc    func;
  gpointer       user_data;
  GDestroyNotify destroy;
  gboolean       ended;          /* the task was returned */
  gboolean       ticking;        /* @func is on the stack */
  gboolean       release_due;    /* released while ticking: free after */
} PeriodicClosure;

static inline PeriodicClosure *
periodic_closure_of (BgsPeriodicEntry *entry)
{
  return (PeriodicClosure *) entry;
}

/* The task data's destroy notify. A @func that iterates the context (a
 * synchronous stop, say) can see its own task end meanwhile: the closure
 * then outlives the call, and on_periodic_tick() frees it. */
static void
periodic_closure_free (gpointer data)
{
  PeriodicClosure *closure = data;

  if (closure->ticking)
    {
      closure->release_due = TRUE;
      return;
    }

  bgs_periodic_entry_stop (&closure->entry);
  if (closure->destroy != NULL)
    closure->destroy (closure->user_data);
  g_free (closure);
}

/* Ends the task once: no tick or cancellation reaches it afterwards. The
 * task may complete, and free the closure, before this returns. */
static void
periodic_end (PeriodicClosure *closure,
              GError          *error)
{
  if (closure->ended)
    {
      g_clear_error (&error);
      return;
    }

  closure->ended = TRUE;
  bgs_periodic_entry_stop (&closure->entry);

  if (error != NULL)
    g_task_return_error (closure->task, error);
  else
    g_task_return_boolean (closure->task, TRUE);
}

/* Returns whether the task ticks on; when not, the closure may be gone. */
static gboolean
on_periodic_tick (BgsPeriodicEntry *entry)
{
  PeriodicClosure *closure = periodic_closure_of (entry);
  BgsService *service = g_task_get_source_object (closure->task);
  GError *error = NULL;
  gboolean again;

  closure->ticking = TRUE;
  again = closure->func (service, closure->user_data, &error);
  closure->ticking = FALSE;

  if (closure->release_due)
    {
      /* The task ended while @func ran (it iterated the context). */
      g_clear_error (&error);
      periodic_closure_free (closure);
      return FALSE;
    }

  if (again && !closure->ended)
    {
      g_clear_error (&error);
      return TRUE;
    }

  periodic_end (closure, error);
  return FALSE;
}

static void
on_periodic_cancelled (BgsPeriodicEntry *entry)
{
  PeriodicClosure *closure = periodic_closure_of (entry);

  periodic_end (closure, g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                      "Periodic task %s was cancelled",
                                      g_task_get_name (closure->task)));
}

/**
 * bgs_service_spawn_periodic:
 * @self: a #BgsService
 * @name: (nullable): the task's name; %NULL picks `periodic-N`
 * @interval_ms: the period, in milliseconds; more than 0
 * @func: (scope notified): called at every tick
 * @user_data: (closure func): data for @func
 * @destroy: (destroy user_data) (nullable): frees @user_data
 *
 * Calls @func on the service's context every @interval_ms, the first time
 * one interval from now, until the task is cancelled or @func returns
 * %FALSE: the task then fails if @func set an error, and ends cleanly if
 * not. @destroy runs once, on the service's context, when the task has
 * ended.
 *
 * Returns: (transfer none): the task, valid until it completes.
 *
 * Since: 0.1
 */
GTask *
bgs_service_spawn_periodic (BgsService     *self,
                            const char     *name,
                            guint           interval_ms,
                            BgsTickFunc     func,
                            gpointer        user_data,
                            GDestroyNotify  destroy)
{
  PeriodicClosure *closure;
  GTask *task;

  g_return_val_if_fail (BGS_IS_SERVICE (self), NULL);
  g_return_val_if_fail (interval_ms > 0, NULL);
  g_return_val_if_fail (func != NULL, NULL);

  task = bgs_service_track_new_task (self, name, "periodic", (gpointer) bgs_spawned_task_tag);

  closure = g_new0 (PeriodicClosure, 1);
  closure->task = task;
  closure->func = func;
  closure->user_data = user_data;
  closure->destroy = destroy;
  bgs_periodic_entry_start (&closure->entry, bgs_service_get_context (self),
                            g_task_get_cancellable (task), interval_ms,
                            on_periodic_tick, on_periodic_cancelled);
  g_task_set_task_data (task, closure, periodic_closure_free);
  g_object_unref (task);

  return task;
}
