/* SPDX-License-Identifier: MIT */
/* test-reentrancy.c: callbacks that turn back to the service.
 *
 * Handlers and task functions may stop, wait for or restart the service
 * that called them. These cases once hung, read freed memory, or ended a
 * wait while tasks ran.
 */
#include "core-test-util.h"

/* A task-failed handler that stops the service synchronously: the failed
 * task must not be waited for, and its error comes back. */
static void
stop_in_handler (BgsService   *service,
                 GTask        *task,
                 const GError *error,
                 gpointer      user_data)
{
  gboolean *stopped_with_error = user_data;
  g_autoptr(GError) stop_error = NULL;

  *stopped_with_error = !bgs_service_stop (service, "from the handler", NULL, &stop_error) &&
                        g_error_matches (stop_error, BGS_ERROR, BGS_ERROR_TASKS_FAILED);
}

static void
test_stop_inside_task_failed (void)
{
  g_autoptr(TestService) service = test_service_new ("reentrant");
  g_autoptr(GTask) task = NULL;
  gboolean stopped_with_error = FALSE;

  g_signal_connect (service, "task-failed", G_CALLBACK (stop_in_handler), &stopped_with_error);
  task = bgs_service_task_new (BGS_SERVICE (service), "doomed");
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "boom");

  test_wait_until (!bgs_service_is_running (BGS_SERVICE (service)));

  g_assert_true (stopped_with_error);
  g_assert_cmpuint (bgs_service_get_n_tasks (BGS_SERVICE (service)), ==, 0);
}

/* A tick function that stops its own service synchronously, then asks to
 * end: the closure must survive the nested iteration. */
static gboolean
stop_from_tick (BgsService  *service,
                gpointer     user_data,
                GError     **error)
{
  g_autoptr(GError) stop_error = NULL;

  bgs_service_stop (service, "from the tick", NULL, &stop_error);
  return FALSE;
}

static void
test_stop_inside_tick (void)
{
  g_autoptr(TestService) service = test_service_new ("ticker");
  TestDestroyRecord destroyed = { 0 };

  bgs_service_spawn_periodic (BGS_SERVICE (service), "tick", 5, stop_from_tick,
                              &destroyed, test_destroy_record);

  test_wait_until (destroyed.n_calls > 0);
  test_iterate_for (20);

  g_assert_cmpuint (destroyed.n_calls, ==, 1);
  g_assert_true (destroyed.thread == g_thread_self ());
  g_assert_false (bgs_service_is_running (BGS_SERVICE (service)));
}

/* A notify::is-running handler that restarts the work: a pending wait goes
 * on waiting for the new task. */
static void
restart_when_stopped (BgsService *service,
                      GParamSpec *pspec,
                      gpointer    user_data)
{
  guint *restarts = user_data;

  if (!bgs_service_is_running (service) && (*restarts)++ == 0)
    test_task_spawn (service, "second", 20, NULL);
}

static void
test_wait_outlasts_restart_in_notify (void)
{
  g_autoptr(TestService) service = test_service_new ("phoenix");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  guint restarts = 0;

  test_task_spawn (BGS_SERVICE (service), "first", 5, NULL);
  g_signal_connect (service, "notify::is-running", G_CALLBACK (restart_when_stopped), &restarts);
  bgs_service_wait_async (BGS_SERVICE (service), NULL, test_store_result, &result);

  test_wait_until (result != NULL);

  g_assert_cmpuint (restarts, >=, 1);
  g_assert_cmpuint (bgs_service_get_n_tasks (BGS_SERVICE (service)), ==, 0);
  g_assert_true (bgs_service_wait_finish (BGS_SERVICE (service), result, &error));
  g_assert_no_error (error);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/reentrancy/stop-inside-task-failed", test_stop_inside_task_failed);
  g_test_add_func ("/reentrancy/stop-inside-tick", test_stop_inside_tick);
  g_test_add_func ("/reentrancy/wait-outlasts-restart-in-notify", test_wait_outlasts_restart_in_notify);

  return g_test_run ();
}
