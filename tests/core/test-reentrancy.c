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

/* NestedTick: a periodic task whose first tick iterates the context for
 * several of its intervals, and how its neighbour ticked meanwhile. */
typedef struct
{
  guint  ticks;
  guint  depth;             /* its ticks on the stack */
  guint  max_depth;
  guint *neighbour_ticks;
  guint  neighbour_nested;  /* the neighbour's ticks inside the first */
} NestedTick;

static gboolean
tick_iterating (BgsService  *service,
                gpointer     user_data,
                GError     **error)
{
  NestedTick *nested = user_data;

  nested->ticks++;
  nested->depth++;
  nested->max_depth = MAX (nested->max_depth, nested->depth);
  if (nested->ticks == 1)
    {
      guint before = *nested->neighbour_ticks;

      test_iterate_for (40);
      nested->neighbour_nested = *nested->neighbour_ticks - before;
    }
  nested->depth--;

  return nested->ticks < 3;
}

static gboolean
tick_count (BgsService  *service,
            gpointer     user_data,
            GError     **error)
{
  guint *ticks = user_data;

  (*ticks)++;
  return TRUE;
}

/* A tick function that iterates the context: the other periodic tasks
 * tick meanwhile, but its own task does not tick again inside it. */
static void
test_tick_iterates_context (void)
{
  g_autoptr(TestService) service = test_service_new ("nested");
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GError) error = NULL;
  guint neighbour_ticks = 0;
  NestedTick nested = { .neighbour_ticks = &neighbour_ticks };

  bgs_service_spawn_periodic (s, "nesting", 5, tick_iterating, &nested, NULL);
  bgs_service_spawn_periodic (s, "neighbour", 5, tick_count, &neighbour_ticks, NULL);

  test_wait_until (bgs_service_get_n_tasks (s) == 1);
  g_assert_cmpuint (nested.ticks, ==, 3);
  g_assert_cmpuint (nested.max_depth, ==, 1);
  g_assert_cmpuint (nested.neighbour_nested, >=, 2);

  g_assert_true (bgs_service_stop (s, "test", NULL, &error));
  g_assert_no_error (error);
}

/* A notify::n-tasks handler that stops the service synchronously once
 * the first of its periodic tasks has ended cancelled: the others, whose
 * cancellation comes after, must still end inside that stop. */
static void
stop_on_first_end (BgsService *service,
                   GParamSpec *pspec,
                   gpointer    user_data)
{
  gboolean *stopped = user_data;
  g_autoptr(GError) error = NULL;

  if (*stopped || bgs_service_get_n_tasks (service) != 2)
    return;

  *stopped = TRUE;
  g_assert_true (bgs_service_stop (service, "from the handler", NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (bgs_service_get_n_tasks (service), ==, 0);
}

static void
test_stop_inside_periodic_cancel (void)
{
  g_autoptr(TestService) service = test_service_new ("cancelled");
  BgsService *s = BGS_SERVICE (service);
  gboolean stopped = FALSE;

  for (guint i = 0; i < 3; i++)
    bgs_service_spawn_periodic (s, NULL, 60 * 1000, tick_count, NULL, NULL);
  g_signal_connect (service, "notify::n-tasks", G_CALLBACK (stop_on_first_end), &stopped);

  bgs_service_cancel (s, "test");
  test_wait_until (bgs_service_get_n_tasks (s) == 0);

  g_assert_true (stopped);
  g_assert_false (bgs_service_is_running (s));
  g_signal_handlers_disconnect_by_data (service, &stopped);
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
  g_test_add_func ("/reentrancy/tick-iterates-context", test_tick_iterates_context);
  g_test_add_func ("/reentrancy/stop-inside-periodic-cancel", test_stop_inside_periodic_cancel);
  g_test_add_func ("/reentrancy/wait-outlasts-restart-in-notify", test_wait_outlasts_restart_in_notify);

  return g_test_run ();
}
