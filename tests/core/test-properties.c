/* SPDX-License-Identifier: MIT */
/* test-properties.c: the properties of BgsService, their notifications,
 * and the task-failed signal. */
#include "core-test-util.h"

#define TEST_ERROR (g_quark_from_static_string ("test-error-domain"))

/* NotifyLog: the notifications of one property, and the value it had at
 * each of them. */
typedef struct
{
  const char *property;
  guint       count;
  GArray     *values;  /* (element-type guint): booleans and counts */
} NotifyLog;

static void
notify_log_init (NotifyLog  *log,
                 const char *property)
{
  log->property = property;
  log->count = 0;
  log->values = g_array_new (FALSE, FALSE, sizeof (guint));
}

static void
notify_log_clear (NotifyLog *log)
{
  g_clear_pointer (&log->values, g_array_unref);
}

static void
on_notify (GObject    *object,
           GParamSpec *pspec,
           NotifyLog  *log)
{
  guint value = 0;

  /* A handler of every notify sees the other properties too. */
  if (g_strcmp0 (pspec->name, log->property) != 0)
    return;

  if (pspec->value_type == G_TYPE_BOOLEAN)
    {
      gboolean b;

      g_object_get (object, log->property, &b, NULL);
      value = (guint) b;
    }
  else if (pspec->value_type == G_TYPE_UINT)
    g_object_get (object, log->property, &value, NULL);

  log->count++;
  g_array_append_val (log->values, value);
}

static void
assert_values (const NotifyLog *log,
               const guint     *expected,
               guint            n_expected)
{
  g_assert_cmpuint (log->count, ==, n_expected);
  g_assert_cmpuint (log->values->len, ==, n_expected);
  for (guint i = 0; i < n_expected; i++)
    g_assert_cmpuint (g_array_index (log->values, guint, i), ==, expected[i]);
}

/* Ends a new task of @service with @error (taken; NULL for success), and
 * iterates until the service has reaped it. */
static void
end_task (GTask  *task,
          GError *error)
{
  BgsService *service = g_task_get_source_object (task);
  guint n_tasks = bgs_service_get_n_tasks (service);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);

  test_wait_until (bgs_service_get_n_tasks (service) == n_tasks - 1);
}

/* The properties as the API defines them. */
static void
test_pspecs (void)
{
  GObjectClass *klass = g_type_class_ref (BGS_TYPE_SERVICE);
  GParamSpec *pspec;

  pspec = g_object_class_find_property (klass, "name");
  g_assert_nonnull (pspec);
  g_assert_true (pspec->value_type == G_TYPE_STRING);
  g_assert_true (pspec->flags & G_PARAM_READABLE);
  g_assert_true (pspec->flags & G_PARAM_CONSTRUCT_ONLY);

  pspec = g_object_class_find_property (klass, "is-running");
  g_assert_nonnull (pspec);
  g_assert_true (pspec->value_type == G_TYPE_BOOLEAN);
  g_assert_true (pspec->flags & G_PARAM_READABLE);
  g_assert_false (pspec->flags & G_PARAM_WRITABLE);

  pspec = g_object_class_find_property (klass, "n-tasks");
  g_assert_nonnull (pspec);
  g_assert_true (pspec->value_type == G_TYPE_UINT);
  g_assert_true (pspec->flags & G_PARAM_READABLE);
  g_assert_false (pspec->flags & G_PARAM_WRITABLE);

  pspec = g_object_class_find_property (klass, "last-error");
  g_assert_nonnull (pspec);
  g_assert_true (pspec->value_type == G_TYPE_ERROR);
  g_assert_true (pspec->flags & G_PARAM_READABLE);
  g_assert_false (pspec->flags & G_PARAM_WRITABLE);

  g_assert_cmpuint (g_signal_lookup ("task-failed", BGS_TYPE_SERVICE), !=, 0);

  g_type_class_unref (klass);
}

static void
test_name (void)
{
  g_autoptr(TestService) named = test_service_new ("given");
  g_autoptr(TestService) unnamed = test_service_new (NULL);
  g_autofree char *name = NULL;
  g_autofree char *default_name = NULL;

  g_object_get (named, "name", &name, NULL);
  g_assert_cmpstr (name, ==, "given");

  g_object_get (unnamed, "name", &default_name, NULL);
  g_assert_cmpstr (default_name, ==, bgs_service_get_name (BGS_SERVICE (unnamed)));
  g_assert_cmpstr (default_name, !=, "");
}

/* is-running is notified on every change, and only then. */
static void
test_is_running (void)
{
  g_autoptr(TestService) service = test_service_new ("test");
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GError) error = NULL;
  NotifyLog log;
  GTask *a, *b;
  gboolean running = TRUE;

  notify_log_init (&log, "is-running");
  g_signal_connect (service, "notify::is-running", G_CALLBACK (on_notify), &log);

  g_object_get (service, "is-running", &running, NULL);
  g_assert_false (running);

  a = bgs_service_task_new (s, "a");
  assert_values (&log, (guint[]) { TRUE }, 1);
  b = bgs_service_task_new (s, "b");
  assert_values (&log, (guint[]) { TRUE }, 1);

  end_task (a, NULL);
  assert_values (&log, (guint[]) { TRUE }, 1);
  end_task (b, g_error_new_literal (TEST_ERROR, 1, "b failed"));
  assert_values (&log, (guint[]) { TRUE, FALSE }, 2);

  /* Nothing changes: no notification. */
  bgs_service_cancel (s, "idle");
  g_assert_false (bgs_service_wait (s, NULL, &error));
  g_clear_error (&error);
  g_assert_true (bgs_service_stop (s, NULL, NULL, &error));
  assert_values (&log, (guint[]) { TRUE, FALSE }, 2);

  /* A start and a stop: one notification each. */
  service->n_start_tasks = 2;
  bgs_service_start (s);
  assert_values (&log, (guint[]) { TRUE, FALSE, TRUE }, 3);
  g_assert_true (bgs_service_stop (s, NULL, NULL, &error));
  assert_values (&log, (guint[]) { TRUE, FALSE, TRUE, FALSE }, 4);

  g_signal_handlers_disconnect_by_data (service, &log);
  notify_log_clear (&log);
}

/* n-tasks is notified at every change to handlers of notify::n-tasks. */
static void
test_n_tasks (void)
{
  g_autoptr(TestService) service = test_service_new ("test");
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GError) error = NULL;
  NotifyLog log;
  GTask *tasks[3];

  notify_log_init (&log, "n-tasks");
  g_signal_connect (service, "notify::n-tasks", G_CALLBACK (on_notify), &log);

  for (guint i = 0; i < 3; i++)
    tasks[i] = bgs_service_task_new (s, NULL);
  assert_values (&log, (guint[]) { 1, 2, 3 }, 3);

  for (guint i = 0; i < 3; i++)
    end_task (tasks[i], NULL);
  assert_values (&log, (guint[]) { 1, 2, 3, 2, 1, 0 }, 6);

  /* Cancelled tasks count too. */
  test_task_spawn (s, NULL, TEST_FOREVER, NULL);
  g_assert_true (bgs_service_stop (s, NULL, NULL, &error));
  assert_values (&log, (guint[]) { 1, 2, 3, 2, 1, 0, 1, 0 }, 8);

  g_signal_handlers_disconnect_by_data (service, &log);
  notify_log_clear (&log);
}

/* A handler of every notification ("notify" without detail) is a handler
 * connected too: it sees every change of n-tasks. */
static void
test_n_tasks_generic_handler (void)
{
  g_autoptr(TestService) service = test_service_new ("test");
  BgsService *s = BGS_SERVICE (service);
  NotifyLog log;
  GTask *task;

  notify_log_init (&log, "n-tasks");
  g_signal_connect (service, "notify", G_CALLBACK (on_notify), &log);

  task = bgs_service_task_new (s, NULL);
  assert_values (&log, (guint[]) { 1 }, 1);
  end_task (task, NULL);
  assert_values (&log, (guint[]) { 1, 0 }, 2);

  g_signal_handlers_disconnect_by_data (service, &log);
  notify_log_clear (&log);
}

/* The value of n-tasks is right with or without a handler. */
static void
test_n_tasks_value (void)
{
  g_autoptr(TestService) service = test_service_new ("test");
  BgsService *s = BGS_SERVICE (service);
  guint n = G_MAXUINT;
  GTask *task;

  task = bgs_service_task_new (s, NULL);
  g_object_get (service, "n-tasks", &n, NULL);
  g_assert_cmpuint (n, ==, 1);
  end_task (task, NULL);
  g_object_get (service, "n-tasks", &n, NULL);
  g_assert_cmpuint (n, ==, 0);
}

/* last-error holds the failures of the last run, set when the run ends
 * whether or not anyone waits; waits and reads consume nothing. */
static void
test_last_error (void)
{
  g_autoptr(TestService) service = test_service_new ("test");
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) property = NULL;
  g_autoptr(GError) dup = NULL;
  NotifyLog log;
  GTask *task;

  notify_log_init (&log, "last-error");
  g_signal_connect (service, "notify::last-error", G_CALLBACK (on_notify), &log);

  g_object_get (service, "last-error", &property, NULL);
  g_assert_null (property);

  /* The run ends with its only task failing: last-error without a wait. */
  end_task (bgs_service_task_new (s, "bad"), g_error_new_literal (TEST_ERROR, 4, "four"));
  g_assert_cmpuint (log.count, ==, 1);
  g_object_get (service, "last-error", &property, NULL);
  dup = bgs_service_dup_last_error (s);
  g_assert_error (property, BGS_ERROR, BGS_ERROR_TASKS_FAILED);
  g_assert_cmpuint (bgs_error_get_errors (property)->len, ==, 1);
  g_assert_error (test_error_at (property, 0), TEST_ERROR, 4);
  g_assert_cmpstr (dup->message, ==, property->message);
  g_clear_error (&dup);

  /* The wait reports the same failures and leaves last-error alone. */
  g_assert_false (bgs_service_wait (s, NULL, &error));
  g_assert_cmpstr (error->message, ==, property->message);
  g_assert_cmpuint (log.count, ==, 1);
  dup = bgs_service_dup_last_error (s);
  g_assert_nonnull (dup);
  g_clear_error (&dup);
  g_clear_error (&property);
  g_clear_error (&error);

  /* A new run keeps the last run's failures until it ends. */
  task = bgs_service_task_new (s, "runs");
  dup = bgs_service_dup_last_error (s);
  g_assert_nonnull (dup);
  g_clear_error (&dup);

  /* A run that ends cleanly clears it, once. */
  end_task (task, NULL);
  g_assert_cmpuint (log.count, ==, 2);
  g_object_get (service, "last-error", &property, NULL);
  g_assert_null (property);
  g_assert_null (bgs_service_dup_last_error (s));

  g_assert_true (bgs_service_wait (s, NULL, &error));
  g_assert_true (bgs_service_stop (s, NULL, NULL, &error));
  g_assert_cmpuint (log.count, ==, 2);

  g_signal_handlers_disconnect_by_data (service, &log);
  notify_log_clear (&log);
}

/* TaskFailedLog: what task-failed handed to its handler. */
typedef struct
{
  guint      count;
  GPtrArray *tasks;    /* (element-type GTask) (owned) */
  GPtrArray *names;    /* (element-type utf8) (owned): task names then */
  GPtrArray *errors;   /* (element-type GError) (owned) */
  guint      n_tasks;  /* n-tasks at the last emission */
} TaskFailedLog;

static void
on_task_failed (BgsService    *service,
                GTask         *task,
                const GError  *error,
                TaskFailedLog *log)
{
  log->count++;
  g_ptr_array_add (log->tasks, g_object_ref (task));
  g_ptr_array_add (log->names, g_strdup (g_task_get_name (task)));
  g_ptr_array_add (log->errors, g_error_copy (error));
  log->n_tasks = bgs_service_get_n_tasks (service);
}

/* task-failed is emitted as each task fails, before any wait, never for
 * a cancellation; the error is still collected for the next wait. */
static void
test_task_failed (void)
{
  g_autoptr(TestService) service = test_service_new ("test");
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GError) error = NULL;
  TaskFailedLog log = { 0, };
  GTask *first, *unnamed, *gives_up;

  log.tasks = g_ptr_array_new_with_free_func (g_object_unref);
  log.names = g_ptr_array_new_with_free_func (g_free);
  log.errors = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
  g_signal_connect (service, "task-failed", G_CALLBACK (on_task_failed), &log);

  test_task_spawn (s, "other", TEST_FOREVER, NULL);
  first = g_object_ref (test_task_spawn (s, "first", 0, g_error_new_literal (TEST_ERROR, 1, "one")));
  test_wait_until (log.count == 1);
  g_assert_true (log.tasks->pdata[0] == first);
  g_assert_cmpstr (log.names->pdata[0], ==, "first");
  g_assert_error ((const GError *) log.errors->pdata[0], TEST_ERROR, 1);
  g_assert_cmpstr (((GError *) log.errors->pdata[0])->message, ==, "one");
  g_object_unref (first);

  /* A task without a name has its default name when the signal comes:
   * "task-3", being the service's third task. */
  unnamed = bgs_service_task_new (s, NULL);
  g_assert_null (g_task_get_name (unnamed));
  g_task_return_new_error (unnamed, TEST_ERROR, 2, "two");
  g_object_unref (unnamed);
  test_wait_until (log.count == 2);
  g_assert_cmpstr (log.names->pdata[1], ==, "task-3");

  /* Cancellations, by the service or by the task itself, are not failures. */
  gives_up = bgs_service_task_new (s, "gives-up");
  g_task_return_new_error (gives_up, G_IO_ERROR, G_IO_ERROR_CANCELLED, "gave up");
  g_object_unref (gives_up);
  test_wait_until (bgs_service_get_n_tasks (s) == 1);
  bgs_service_cancel (s, "test");
  test_wait_until (!bgs_service_is_running (s));
  g_assert_cmpuint (log.count, ==, 2);

  /* The wait still gets both failures. */
  g_assert_false (bgs_service_wait (s, NULL, &error));
  g_assert_cmpuint (bgs_error_get_errors (error)->len, ==, 2);
  g_assert_cmpstr (bgs_error_get_names (error)[0], ==, "first");
  g_assert_cmpstr (bgs_error_get_names (error)[1], ==, "task-3");
  g_assert_cmpuint (log.count, ==, 2);

  g_signal_handlers_disconnect_by_data (service, &log);
  g_ptr_array_unref (log.tasks);
  g_ptr_array_unref (log.names);
  g_ptr_array_unref (log.errors);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/properties/pspecs", test_pspecs);
  g_test_add_func ("/properties/name", test_name);
  g_test_add_func ("/properties/is-running", test_is_running);
  g_test_add_func ("/properties/n-tasks", test_n_tasks);
  g_test_add_func ("/properties/n-tasks/generic-handler", test_n_tasks_generic_handler);
  g_test_add_func ("/properties/n-tasks/value", test_n_tasks_value);
  g_test_add_func ("/properties/last-error", test_last_error);
  g_test_add_func ("/properties/task-failed", test_task_failed);

  return g_test_run ();
}
