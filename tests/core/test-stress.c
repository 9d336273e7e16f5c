/* SPDX-License-Identifier: MIT */
/* test-stress.c: many tasks at once.
 *
 * 20,000 tasks, all waiting for their cancellable, are stopped at once:
 * the service must end with no task, no error, and its properties right.
 * The tasks react to the cancel with one handler on the cancellable they
 * share (a handler per task on one cancellable costs quadratic time in
 * GObject's signal code, whatever the library does).
 */
#include "core-test-util.h"

#define TEST_ERROR (g_quark_from_static_string ("test-error-domain"))
#define N_TASKS 20000

/* Many: the tasks of one round, and which of them fail when cancelled. */
typedef struct
{
  GPtrArray *tasks;      /* (element-type GTask) (owned) */
  guint      fail_every; /* 0: none fails; n: tasks 0, n, 2n... fail */
} Many;

static void
on_cancelled (GCancellable *cancellable,
              Many         *many)
{
  for (guint i = 0; i < many->tasks->len; i++)
    {
      GTask *task = many->tasks->pdata[i];

      if (many->fail_every != 0 && i % many->fail_every == 0)
        g_task_return_new_error (task, TEST_ERROR, (int) i, "task %u failed", i);
      else
        g_assert_true (g_task_return_error_if_cancelled (task));
    }
}

static void
on_notify_count (GObject    *object,
                 GParamSpec *pspec,
                 guint      *count)
{
  (*count)++;
}

/* Makes N_TASKS tasks in @service and stops it; returns the stop's error. */
static GError *
run_round (BgsService *service,
           guint       fail_every)
{
  Many many = { g_ptr_array_new_full (N_TASKS, g_object_unref), fail_every };
  g_autoptr(GCancellable) shared = NULL;
  GError *error = NULL;
  gint64 start, stopping;
  gulong handler;

  start = g_get_monotonic_time ();
  for (guint i = 0; i < N_TASKS; i++)
    g_ptr_array_add (many.tasks, bgs_service_task_new (service, NULL));

  /* The tasks of one generation share their cancellable. */
  shared = g_object_ref (g_task_get_cancellable (many.tasks->pdata[0]));
  for (guint i = 0; i < N_TASKS; i++)
    g_assert_true (g_task_get_cancellable (many.tasks->pdata[i]) == shared);
  handler = g_signal_connect (shared, "cancelled", G_CALLBACK (on_cancelled), &many);

  g_assert_cmpuint (bgs_service_get_n_tasks (service), ==, N_TASKS);
  g_assert_true (bgs_service_is_running (service));

  stopping = g_get_monotonic_time ();
  if (bgs_service_stop (service, "stress", NULL, &error))
    g_assert_no_error (error);
  g_test_message ("%u tasks: made in %.1f ms, stopped in %.1f ms", N_TASKS,
                  (stopping - start) / 1000.0, (g_get_monotonic_time () - stopping) / 1000.0);

  g_assert_cmpuint (bgs_service_get_n_tasks (service), ==, 0);
  g_assert_false (bgs_service_is_running (service));
  for (guint i = 0; i < N_TASKS; i++)
    g_assert_true (g_task_get_completed (many.tasks->pdata[i]));

  g_signal_handler_disconnect (shared, handler);
  g_ptr_array_unref (many.tasks);

  return error;
}

/* 20,000 tasks stopped cleanly, twice in a row on the same service. */
static void
test_many_tasks_stop (void)
{
  g_autoptr(TestService) service = test_service_new ("stress");
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GPtrArray) listed = NULL;
  guint running_notifications = 0;

  g_signal_connect (service, "notify::is-running", G_CALLBACK (on_notify_count),
                    &running_notifications);

  for (guint round = 0; round < 2; round++)
    {
      GError *error = run_round (s, 0);

      g_assert_no_error (error);
      g_assert_null (bgs_service_dup_last_error (s));
      g_assert_cmpuint (running_notifications, ==, 2 * (round + 1));
    }

  listed = bgs_service_get_tasks (s);
  g_assert_cmpuint (listed->len, ==, 0);
  g_signal_handlers_disconnect_by_data (service, &running_notifications);
}

/* 20,000 tasks, one in 1,000 failing as it is cancelled: the stop reports
 * exactly those, each once, in completion order, under its default name. */
static void
test_many_tasks_some_fail (void)
{
  g_autoptr(TestService) service = test_service_new ("stress");
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GError) error = run_round (s, 1000);
  g_autoptr(GError) again = NULL;
  GPtrArray *errors;
  const char * const *names;

  g_assert_error (error, BGS_ERROR, BGS_ERROR_TASKS_FAILED);
  errors = bgs_error_get_errors (error);
  names = bgs_error_get_names (error);
  g_assert_cmpuint (errors->len, ==, N_TASKS / 1000);
  g_assert_true (g_str_has_prefix (error->message, "TestService[stress]: 20 tasks failed\n"));

  for (guint i = 0; i < errors->len; i++)
    {
      g_autofree char *name = g_strdup_printf ("task-%u", i * 1000 + 1);

      g_assert_error ((const GError *) errors->pdata[i], TEST_ERROR, (int) (i * 1000));
      g_assert_cmpstr (names[i], ==, name);
    }

  g_assert_true (bgs_service_stop (s, NULL, NULL, &again));
  g_assert_no_error (again);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/stress/many-tasks-stop", test_many_tasks_stop);
  g_test_add_func ("/stress/many-tasks-some-fail", test_many_tasks_some_fail);

  return g_test_run ();
}
