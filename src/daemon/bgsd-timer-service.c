/* SPDX-License-Identifier: MIT */
/* bgsd-timer-service.c: Type=timer, a command run every IntervalSec=.
 *
 * One task runs the command every interval, the first time one interval
 * after start. A run that fails ends the task with its error. A run still
 * going when the next tick comes delays that tick until it ends. Cancelling
 * terminates a run in progress (SIGTERM, then SIGKILL after
 * TimeoutStopSec=) and ends the task as cancelled.
 *
 * Neither the ticks nor the cancellation take a main loop source of their
 * own (see bgsd-deadlines.c): the next tick is a deadline, and a handler
 * on the task's cancellable sees the cancel. The handler may end the task
 * at once: GTask defers the callback of a cancelled task to a later main
 * loop iteration, so nothing runs inside the cancel.
 */
#include "config.h"

#include "bgsd-child.h"
#include "bgsd-deadlines.h"
#include "bgsd-timer-service.h"

struct _BgsdTimerService
{
  BgsService   parent_instance;

  BgsdCommand *command;  /* (owned): a reference */
  guint        interval_ms;
  guint        timeout_stop_ms;
};

G_DEFINE_FINAL_TYPE (BgsdTimerService, bgsd_timer_service, BGS_TYPE_SERVICE)

/* Schedule: the state of the timer's task, its task data. */
typedef struct
{
  BgsdTimerService *service;       /* (unowned): the task holds it */
  GTask            *task;          /* (unowned): owns this */
  BgsdChild        *run;           /* (owned) (nullable): the run in progress */
  BgsdDeadline     *next_tick;     /* (owned) (nullable) */
  GCancellable     *cancellable;   /* (owned): the task's */
  gulong            cancelled_id;  /* its handler; 0 if it was cancelled already */
  gboolean          tick_missed;   /* a tick came during a run */
  gboolean          ended;         /* the task was returned */
} Schedule;

static void
stop_ticking (Schedule *schedule)
{
  g_clear_pointer (&schedule->next_tick, bgsd_deadline_remove);
}

static void
schedule_free (Schedule *schedule)
{
  stop_ticking (schedule);
  g_cancellable_disconnect (schedule->cancellable, schedule->cancelled_id);
  g_object_unref (schedule->cancellable);
  g_clear_pointer (&schedule->run, bgsd_child_free);
  g_free (schedule);
}

static void
schedule_end (Schedule *schedule,
              GError   *error)
{
  stop_ticking (schedule);
  schedule->ended = TRUE;

  if (error != NULL)
    g_task_return_error (schedule->task, error);
  else
    g_task_return_boolean (schedule->task, TRUE);
}

static void start_run (Schedule *schedule);

static void
on_run_exited (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Schedule *schedule = user_data;
  GError *error = NULL;

  if (!bgsd_child_finish (schedule->run, result, &error))
    {
      g_clear_pointer (&schedule->run, bgsd_child_free);
      schedule_end (schedule, error);
      return;
    }

  g_clear_pointer (&schedule->run, bgsd_child_free);

  /* The run ended by itself, cleanly, after the task was cancelled (it
   * may have exited before SIGTERM could reach it): no tick is coming any
   * more, so the task ends here, as cancelled. */
  if (g_cancellable_is_cancelled (g_task_get_cancellable (schedule->task)))
    {
      schedule_end (schedule, g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                           "The timer was stopped"));
      return;
    }

  if (schedule->tick_missed)
    {
      schedule->tick_missed = FALSE;
      start_run (schedule);
    }
}

/* A run that cannot start ends as a run that failed, in on_run_exited(). */
static void
start_run (Schedule *schedule)
{
  schedule->run = bgsd_child_new (schedule->service->command,
                                  bgs_service_get_name (BGS_SERVICE (schedule->service)),
                                  on_run_exited, schedule);
}

static void
on_tick (gpointer user_data)
{
  Schedule *schedule = user_data;

  schedule->next_tick = bgsd_deadline_add (schedule->service->interval_ms, on_tick, schedule);
  if (schedule->run != NULL)
    schedule->tick_missed = TRUE;
  else
    start_run (schedule);
}

static void
on_cancelled (GCancellable *cancellable,
              gpointer      user_data)
{
  Schedule *schedule = user_data;

  if (schedule->ended)
    return;
  if (schedule->run != NULL)
    {
      /* The run ends as cancelled, and so does the task, in on_run_exited(). */
      stop_ticking (schedule);
      bgsd_child_terminate (schedule->run, schedule->service->timeout_stop_ms);
    }
  else
    schedule_end (schedule, g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                         "The timer was stopped"));
}

static void
bgsd_timer_service_start (BgsService *service)
{
  BgsdTimerService *self = BGSD_TIMER_SERVICE (service);
  g_autoptr(GTask) task = bgs_service_task_new (service, "timer");
  Schedule *schedule = g_new0 (Schedule, 1);

  schedule->service = self;
  schedule->task = task;
  schedule->next_tick = bgsd_deadline_add (self->interval_ms, on_tick, schedule);
  g_task_set_task_data (task, schedule, (GDestroyNotify) schedule_free);
  schedule->cancellable = g_object_ref (g_task_get_cancellable (task));
  schedule->cancelled_id = g_cancellable_connect (schedule->cancellable,
                                                  G_CALLBACK (on_cancelled), schedule, NULL);
}

static void
bgsd_timer_service_finalize (GObject *object)
{
  BgsdTimerService *self = BGSD_TIMER_SERVICE (object);

  g_clear_pointer (&self->command, bgsd_command_unref);

  G_OBJECT_CLASS (bgsd_timer_service_parent_class)->finalize (object);
}

static void
bgsd_timer_service_class_init (BgsdTimerServiceClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = bgsd_timer_service_finalize;
  BGS_SERVICE_CLASS (klass)->start = bgsd_timer_service_start;
}

static void
bgsd_timer_service_init (BgsdTimerService *self)
{
}

BgsService *
bgsd_timer_service_new (const BgsdServiceConfig *config)
{
  BgsdTimerService *self = g_object_new (BGSD_TYPE_TIMER_SERVICE, "name", config->name, NULL);

  self->command = bgsd_command_ref (config->command);
  self->interval_ms = config->interval_ms;
  self->timeout_stop_ms = config->timeout_stop_ms;

  return BGS_SERVICE (self);
}
