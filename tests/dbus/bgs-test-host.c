/* SPDX-License-Identifier: MIT */
/* bgs-test-host.c: a program that exports services made with the library.
 *
 * The D-Bus tests use bgserviced for what a configuration can express, and
 * this host for what only code can: thousands of GTasks, errors of any
 * domain, names no config group would hold, tasks slow to stop. It links
 * the real library and exports with the real BgsBus; only the services are
 * the test's own.
 *
 *   bgs-test-host --address=ADDR [--bus-name=NAME] [--tasks=N]
 *                 [--slow-ms=MS] [--failing-restart-ms=MS] [--service=NAME]...
 *
 * Services: "many" (N tasks waiting for their cancellation), "failing"
 * (two tasks that fail at start, one G_IO_ERROR_PERMISSION_DENIED, one in
 * the domain "bgs-test-error-quark" with code 42; with --failing-restart-ms
 * it restarts on failure after MS milliseconds, so that its failed run
 * stays under way that long), "slow" (one task that ends MS milliseconds
 * after it is cancelled), and one idle service per --service NAME. Prints "READY" once the name is owned, every service
 * started and the failing tasks ended; SIGTERM stops everything and exits 0, or 1 if a task failed.
 */
#include <stdio.h>

#include <glib-unix.h>
#include <bgservice.h>

/* TestService: starts the tasks its kind calls for. */
typedef enum { KIND_MANY, KIND_FAILING, KIND_SLOW, KIND_IDLE } Kind;

#define TEST_TYPE_SERVICE (test_service_get_type ())
G_DECLARE_FINAL_TYPE (TestService, test_service, TEST, SERVICE, BgsService)

struct _TestService
{
  BgsService parent_instance;
  Kind       kind;
  guint      n_tasks;
  guint      slow_ms;
};

G_DEFINE_FINAL_TYPE (TestService, test_service, BGS_TYPE_SERVICE)

static void
return_cancelled (GCancellable *cancellable,
                  GTask        *task)
{
  g_task_return_error_if_cancelled (task);
}

/* A task that ends when its cancellable fires, like most real tasks. */
static void
spawn_waiting_task (BgsService *service,
                    const char *name)
{
  g_autoptr(GTask) task = bgs_service_task_new (service, name);

  g_cancellable_connect (g_task_get_cancellable (task), G_CALLBACK (return_cancelled),
                         g_object_ref (task), g_object_unref);
}

static gboolean
end_slow_task (gpointer user_data)
{
  g_task_return_error_if_cancelled (user_data);
  return G_SOURCE_REMOVE;
}

static gboolean
on_slow_cancelled (GCancellable *cancellable,
                   gpointer      user_data)
{
  GTask *task = user_data;
  TestService *self = g_task_get_source_object (task);

  g_timeout_add_full (G_PRIORITY_DEFAULT, self->slow_ms, end_slow_task,
                      g_object_ref (task), g_object_unref);
  return G_SOURCE_REMOVE;
}

static void
spawn_slow_task (TestService *self)
{
  g_autoptr(GTask) task = bgs_service_task_new (BGS_SERVICE (self), "slow");
  GSource *watch = g_cancellable_source_new (g_task_get_cancellable (task));

  g_source_set_callback (watch, G_SOURCE_FUNC (on_slow_cancelled), g_object_ref (task),
                         g_object_unref);
  g_source_attach (watch, NULL);
  g_source_unref (watch);
}

static void
spawn_failing_tasks (BgsService *service)
{
  g_autoptr(GTask) denied = bgs_service_task_new (service, "denied");
  g_autoptr(GTask) custom = bgs_service_task_new (service, "custom");

  g_task_return_new_error (denied, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                           "not allowed to do that");
  g_task_return_new_error (custom, g_quark_from_static_string ("bgs-test-error-quark"), 42,
                           "the answer was wrong");
}

static void
test_service_start (BgsService *service)
{
  TestService *self = TEST_SERVICE (service);

  switch (self->kind)
    {
    case KIND_MANY:
      for (guint i = 0; i < self->n_tasks; i++)
        spawn_waiting_task (service, NULL);
      break;
    case KIND_FAILING:
      spawn_failing_tasks (service);
      break;
    case KIND_SLOW:
      spawn_slow_task (self);
      break;
    case KIND_IDLE:
      spawn_waiting_task (service, "idle");
      break;
    }
}

static void
test_service_class_init (TestServiceClass *klass)
{
  BGS_SERVICE_CLASS (klass)->start = test_service_start;
}

static void
test_service_init (TestService *self)
{
}

static void
add_service (BgsManager *manager,
             const char *name,
             Kind        kind,
             guint       n_tasks,
             guint       slow_ms)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestService) service = g_object_new (TEST_TYPE_SERVICE, "name", name, NULL);

  service->kind = kind;
  service->n_tasks = n_tasks;
  service->slow_ms = slow_ms;
  if (!bgs_manager_add (manager, BGS_SERVICE (service), &error))
    g_error ("cannot add %s: %s", name, error->message);
}

static gboolean
say_ready (gpointer user_data)
{
  g_print ("READY\n");
  fflush (stdout);
  return G_SOURCE_REMOVE;
}

typedef struct
{
  GMainLoop  *loop;
  BgsManager *manager;
  int         status;
} Host;

static void
on_stopped (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Host *host = user_data;
  g_autoptr(GError) error = NULL;

  if (!bgs_service_stop_finish (BGS_SERVICE (source), result, &error))
    {
      g_printerr ("%s\n", error->message);
      host->status = 1;
    }
  g_main_loop_quit (host->loop);
}

static gboolean
on_sigterm (gpointer user_data)
{
  Host *host = user_data;

  bgs_service_stop_async (BGS_SERVICE (host->manager), "SIGTERM", NULL, on_stopped, host);
  return G_SOURCE_REMOVE;
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *address = NULL;
  g_autofree char *bus_name = NULL;
  g_auto(GStrv) names = NULL;
  gint n_tasks = 0, slow_ms = 500, failing_restart_ms = 0;
  GOptionEntry entries[] = {
    { "address", 0, 0, G_OPTION_ARG_STRING, &address, "Bus address", "ADDRESS" },
    { "bus-name", 0, 0, G_OPTION_ARG_STRING, &bus_name, "Name to own", "NAME" },
    { "tasks", 0, 0, G_OPTION_ARG_INT, &n_tasks, "Tasks of the service “many”", "N" },
    { "slow-ms", 0, 0, G_OPTION_ARG_INT, &slow_ms, "How slowly “slow” stops", "MS" },
    { "failing-restart-ms", 0, 0, G_OPTION_ARG_INT, &failing_restart_ms,
      "Restart “failing” on failure after MS", "MS" },
    /* Bytes as given, whatever the locale: names are UTF-8 on the wire. */
    { "service", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &names, "An idle service", "NAME" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- export test services");
  g_autoptr(GError) error = NULL;
  g_autoptr(BgsBus) bus = NULL;
  Host host = { 0 };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || address == NULL)
    {
      g_printerr ("bgs-test-host: %s\n", error != NULL ? error->message : "--address is required");
      return 2;
    }

  host.loop = g_main_loop_new (NULL, FALSE);
  host.manager = bgs_manager_new ("test-host");
  add_service (host.manager, "many", KIND_MANY, (guint) MAX (n_tasks, 0), 0);
  add_service (host.manager, "failing", KIND_FAILING, 0, 0);
  if (failing_restart_ms > 0)
    {
      BgsService *failing = bgs_manager_lookup (host.manager, "failing");

      bgs_service_set_restart (failing, BGS_RESTART_ON_FAILURE);
      bgs_service_set_restart_delay_ms (failing, (guint) failing_restart_ms);
    }
  add_service (host.manager, "slow", KIND_SLOW, 0, (guint) MAX (slow_ms, 0));
  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    add_service (host.manager, names[i], KIND_IDLE, 0, 0);

  bus = bgs_bus_new_for_address (host.manager, address, &error);
  if (bus == NULL || !bgs_bus_request_name (bus, bus_name != NULL ? bus_name : BGS_BUS_NAME, &error))
    {
      g_printerr ("bgs-test-host: %s\n", error->message);
      return 1;
    }

  bgs_service_start (BGS_SERVICE (host.manager));
  g_unix_signal_add (SIGTERM, on_sigterm, &host);
  /* After the tasks that end at once ("failing") have ended: those
   * complete at the default priority, before this. */
  g_idle_add_full (G_PRIORITY_LOW, say_ready, NULL, NULL);

  g_main_loop_run (host.loop);

  g_clear_object (&bus);
  g_object_unref (host.manager);
  g_main_loop_unref (host.loop);
  return host.status;
}
