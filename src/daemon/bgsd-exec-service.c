/* SPDX-License-Identifier: MIT */
/* bgsd-exec-service.c: Type=exec, commands that run as tasks.
 *
 * Each of the Instances= copies of the command is one task. Exit status 0
 * ends the task cleanly, another status fails it with G_SPAWN_EXIT_ERROR,
 * a signal nobody sent fails it with G_SPAWN_ERROR. Cancelling the task
 * terminates the command's process group (SIGTERM, then SIGKILL after
 * TimeoutStopSec=), and a task ended that way counts as cancelled.
 *
 * Cancellation is followed with a handler on the task's cancellable, not
 * a source: a source per instance would make every main loop iteration
 * cost one check per running command. The handler only sends a signal
 * (and arms a deadline), which is safe inside the cancel that runs it.
 */
#include "config.h"

#include "bgsd-child.h"
#include "bgsd-exec-service.h"

struct _BgsdExecService
{
  BgsService   parent_instance;

  BgsdCommand *command;  /* (owned): a reference */
  guint        instances;
  guint        timeout_stop_ms;
};

G_DEFINE_FINAL_TYPE (BgsdExecService, bgsd_exec_service, BGS_TYPE_SERVICE)

/* Instance: one running copy of the command, the data of its task. */
typedef struct
{
  BgsdExecService *service;       /* (unowned): the task holds it */
  BgsdChild       *child;         /* (owned) */
  GCancellable    *cancellable;   /* (owned): the task's */
  gulong           cancelled_id;  /* its handler; 0 if it was cancelled already */
} Instance;

static void
instance_free (Instance *instance)
{
  g_cancellable_disconnect (instance->cancellable, instance->cancelled_id);
  g_object_unref (instance->cancellable);
  bgsd_child_free (instance->child);
  g_free (instance);
}

static void
on_instance_exited (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Instance *instance = g_task_get_task_data (task);
  GError *error = NULL;

  if (bgsd_child_finish (instance->child, result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
on_instance_cancelled (GCancellable *cancellable,
                       gpointer      user_data)
{
  Instance *instance = user_data;

  bgsd_child_terminate (instance->child, instance->service->timeout_stop_ms);
}

static void
start_instance (BgsdExecService *self,
                guint            number)
{
  g_autofree char *name = g_strdup_printf ("instance-%u", number);
  GTask *task = bgs_service_task_new (BGS_SERVICE (self), name);
  Instance *instance = g_new0 (Instance, 1);

  instance->service = self;
  g_task_set_task_data (task, instance, (GDestroyNotify) instance_free);
  /* The task, held by the callback, completes when the command has ended. */
  instance->child = bgsd_child_new (self->command, bgs_service_get_name (BGS_SERVICE (self)),
                                    on_instance_exited, task);
  instance->cancellable = g_object_ref (g_task_get_cancellable (task));
  instance->cancelled_id = g_cancellable_connect (instance->cancellable,
                                                  G_CALLBACK (on_instance_cancelled),
                                                  instance, NULL);
}

static void
bgsd_exec_service_start (BgsService *service)
{
  BgsdExecService *self = BGSD_EXEC_SERVICE (service);

  for (guint i = 1; i <= self->instances; i++)
    start_instance (self, i);
}

static void
bgsd_exec_service_finalize (GObject *object)
{
  BgsdExecService *self = BGSD_EXEC_SERVICE (object);

  g_clear_pointer (&self->command, bgsd_command_unref);

  G_OBJECT_CLASS (bgsd_exec_service_parent_class)->finalize (object);
}

static void
bgsd_exec_service_class_init (BgsdExecServiceClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = bgsd_exec_service_finalize;
  BGS_SERVICE_CLASS (klass)->start = bgsd_exec_service_start;
}

static void
bgsd_exec_service_init (BgsdExecService *self)
{
}

BgsService *
bgsd_exec_service_new (const BgsdServiceConfig *config)
{
  BgsdExecService *self = g_object_new (BGSD_TYPE_EXEC_SERVICE, "name", config->name, NULL);

  self->command = bgsd_command_ref (config->command);
  self->instances = config->instances;
  self->timeout_stop_ms = config->timeout_stop_ms;

  return BGS_SERVICE (self);
}
