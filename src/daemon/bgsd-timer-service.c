/* SPDX-License-Identifier: MIT */
/* bgsd-timer-service.c: Type=timer, a command run every IntervalSec=.
 *
 * One task runs the command every interval, the first time one interval
 * after start. A run that fails ends the task with its error. A run still
 * going when the next tick comes delays that tick until it ends. Cancelling
 * terminates a run in progress (SIGTERM, then SIGKILL after
 * TimeoutStopSec=) and ends the task as cancelled.
 */
#include "config.h"

#include "bgsd-child.h"
#include "bgsd-timer-service.h"

struct _BgsdTimerService
{
  BgsService  parent_instance;

  char      **argv;
  char       *command;
  guint       interval_ms;
  guint       timeout_stop_ms;
};

G_DEFINE_FINAL_TYPE (BgsdTimerService, bgsd_timer_service, BGS_TYPE_SERVICE)

/* Schedule: the state of the timer's task, its task data. */
typedef struct
{
  BgsdTimerService *service;       /* (unowned): the task holds it */
  GTask            *task;          /* (unowned): owns this */
  BgsdChild        *run;           /* (owned) (nullable): the run in progress */
  GSource          *ticker;        /* (owned) */
  GSource          *cancel_watch;  /* (owned) */
  gboolean          tick_missed;   /* a tick came during a run */
} Schedule;

static void
drop_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static void
schedule_free (Schedule *schedule)
{
  drop_source (&schedule->ticker);
  drop_source (&schedule->cancel_watch);
  g_clear_pointer (&schedule->run, bgsd_child_free);
  g_free (schedule);
}

static void
schedule_end (Schedule *schedule,
              GError   *error)
{
  drop_source (&schedule->ticker);
  drop_source (&schedule->cancel_watch);

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
  schedule->run = bgsd_child_new ((const char * const *) schedule->service->argv,
                                  schedule->service->command,
                                  bgs_service_get_name (BGS_SERVICE (schedule->service)),
                                  on_run_exited, schedule);
}

static gboolean
on_tick (gpointer user_data)
{
  Schedule *schedule = user_data;

  if (schedule->run != NULL)
    schedule->tick_missed = TRUE;
  else
    start_run (schedule);

  return G_SOURCE_CONTINUE;
}

static gboolean
on_cancelled (GCancellable *cancellable,
              gpointer      user_data)
{
  Schedule *schedule = user_data;

  g_clear_pointer (&schedule->cancel_watch, g_source_unref);
  if (schedule->run != NULL)
    {
      /* The run ends as cancelled, and so does the task, in on_run_exited(). */
      drop_source (&schedule->ticker);
      bgsd_child_terminate (schedule->run, schedule->service->timeout_stop_ms);
    }
  else
    schedule_end (schedule, g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                         "The timer was stopped"));

  return G_SOURCE_REMOVE;
}

static GSource *
attach (GSource     *source,
        GSourceFunc  func,
        gpointer     data,
        BgsService  *service)
{
  g_source_set_callback (source, func, data, NULL);
  g_source_attach (source, bgs_service_get_context (service));
  return source;
}

static void
bgsd_timer_service_start (BgsService *service)
{
  BgsdTimerService *self = BGSD_TIMER_SERVICE (service);
  g_autoptr(GTask) task = bgs_service_task_new (service, "timer");
  Schedule *schedule = g_new0 (Schedule, 1);

  schedule->service = self;
  schedule->task = task;
  schedule->ticker = attach (g_timeout_source_new (self->interval_ms), on_tick, schedule, service);
  schedule->cancel_watch = attach (g_cancellable_source_new (g_task_get_cancellable (task)),
                                   G_SOURCE_FUNC (on_cancelled), schedule, service);
  g_task_set_task_data (task, schedule, (GDestroyNotify) schedule_free);
}

static void
bgsd_timer_service_finalize (GObject *object)
{
  BgsdTimerService *self = BGSD_TIMER_SERVICE (object);

  g_strfreev (self->argv);
  g_free (self->command);

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

  self->argv = g_strdupv (config->argv);
  self->command = g_strdup (config->exec);
  self->interval_ms = config->interval_ms;
  self->timeout_stop_ms = config->timeout_stop_ms;

  return BGS_SERVICE (self);
}
