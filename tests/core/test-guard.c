/* SPDX-License-Identifier: MIT */
/* test-guard.c: BgsServiceGuard, the `async with` of C: Python's
 * BackgroundService scoped-use case, and the ways a guard can end. */
#include "core-test-util.h"

#define TEST_ERROR (g_quark_from_static_string ("test-error-domain"))

/* Python's case: `async with FakeService(sleep=...) as s:` runs the
 * service inside the scope and stops it at its end. */
static void
test_scope (void)
{
  g_autoptr(TestService) service = test_service_new_fake ("test", 60 * 1000, NULL);
  BgsService *s = BGS_SERVICE (service);

  {
    g_autoptr(BgsServiceGuard) guard = bgs_service_guard_new (s);

    g_assert_nonnull (guard);
    g_assert_true (bgs_service_is_running (s));
    test_iterate_for (20);
    g_assert_true (bgs_service_is_running (s));
  }

  g_assert_false (bgs_service_is_running (s));
  g_assert_cmpuint (service->n_starts, ==, 1);
  g_assert_cmpuint (bgs_service_get_n_tasks (s), ==, 0);
}

/* The guard holds a reference until it ends. */
static void
test_reference (void)
{
  TestService *service = test_service_new_fake ("test", TEST_FOREVER, NULL);
  g_autoptr(GError) error = NULL;
  gboolean finalized = FALSE;
  BgsServiceGuard *guard;

  g_object_weak_ref (G_OBJECT (service), test_weak_flag, &finalized);
  guard = bgs_service_guard_new (BGS_SERVICE (service));
  g_object_unref (service);
  g_assert_false (finalized);
  g_assert_true (bgs_service_is_running (BGS_SERVICE (service)));

  g_assert_true (bgs_service_guard_end (guard, &error));
  g_assert_no_error (error);
  g_assert_true (finalized);
}

/* bgs_service_guard_end() stops the service and returns its errors. */
static void
test_end_returns_errors (void)
{
  g_autoptr(TestService) service =
    test_service_new_fake ("test", 0, g_error_new_literal (TEST_ERROR, 7, "error"));
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GError) error = NULL;
  BgsServiceGuard *guard = bgs_service_guard_new (s);

  test_wait_until (!bgs_service_is_running (s));
  g_assert_false (bgs_service_guard_end (guard, &error));
  g_assert_error (error, BGS_ERROR, BGS_ERROR_TASKS_FAILED);
  g_assert_cmpuint (bgs_error_get_errors (error)->len, ==, 1);
  g_assert_error (test_error_at (error, 0), TEST_ERROR, 7);
  g_assert_false (bgs_service_is_running (s));
}

/* A failure from the stop itself (a task failing as it is cancelled). */
static void
test_end_returns_stop_errors (void)
{
  g_autoptr(TestService) service = test_service_new ("test");
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GError) error = NULL;
  BgsServiceGuard *guard = bgs_service_guard_new (s);

  test_task_spawn_failing_on_cancel (s, "cleanup", g_error_new_literal (TEST_ERROR, 8, "bad cleanup"));
  g_assert_false (bgs_service_guard_end (guard, &error));
  g_assert_error (error, BGS_ERROR, BGS_ERROR_TASKS_FAILED);
  g_assert_cmpstr (bgs_error_get_names (error)[0], ==, "cleanup");
}

/* bgs_service_guard_end() with a NULL error still stops and frees. */
static void
test_end_ignoring_errors (void)
{
  g_autoptr(TestService) service =
    test_service_new_fake ("test", 0, g_error_new_literal (TEST_ERROR, 7, "error"));
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GError) last = NULL;
  g_autoptr(GError) error = NULL;
  BgsServiceGuard *guard = bgs_service_guard_new (s);

  test_wait_until (!bgs_service_is_running (s));
  g_assert_false (bgs_service_guard_end (guard, NULL));
  g_assert_false (bgs_service_is_running (s));

  /* The error was reported (to nobody): the next stop succeeds. */
  last = bgs_service_dup_last_error (s);
  g_assert_error (last, BGS_ERROR, BGS_ERROR_TASKS_FAILED);
  g_assert_true (bgs_service_stop (s, NULL, NULL, &error));
  g_assert_no_error (error);
}

/* bgs_service_guard_free(), the g_autoptr cleanup, g_warning()s the
 * errors it cannot return. */
static void
test_free_warns (void)
{
  g_autoptr(TestService) service =
    test_service_new_fake ("warned", 0, g_error_new_literal (TEST_ERROR, 7, "the error"));
  BgsService *s = BGS_SERVICE (service);

  g_test_expect_message ("bgservice", G_LOG_LEVEL_WARNING,
                         "*TestService[warned]*TestService[warned]: 1 task failed*the error*");
  {
    g_autoptr(BgsServiceGuard) guard = bgs_service_guard_new (s);

    g_assert_nonnull (guard);
    test_wait_until (!bgs_service_is_running (s));
  }
  g_test_assert_expected_messages ();
  g_assert_false (bgs_service_is_running (s));
}

/* A clean stop warns about nothing (any warning would abort the test). */
static void
test_free_clean (void)
{
  g_autoptr(TestService) service = test_service_new_fake ("test", TEST_FOREVER, NULL);

  bgs_service_guard_free (bgs_service_guard_new (BGS_SERVICE (service)));
  g_assert_false (bgs_service_is_running (BGS_SERVICE (service)));
  bgs_service_guard_free (NULL);
}

/* A guard of a manager starts and stops its members. */
static void
test_manager (void)
{
  g_autoptr(BgsManager) manager = bgs_manager_new ("m");
  g_autoptr(TestService) a = test_service_new_fake ("a", TEST_FOREVER, NULL);
  g_autoptr(TestService) b = test_service_new_fake ("b", TEST_FOREVER, NULL);
  g_autoptr(GError) error = NULL;
  BgsServiceGuard *guard;

  g_assert_true (bgs_manager_add (manager, BGS_SERVICE (a), &error));
  g_assert_true (bgs_manager_add (manager, BGS_SERVICE (b), &error));
  guard = bgs_service_guard_new (BGS_SERVICE (manager));
  g_assert_true (bgs_service_is_running (BGS_SERVICE (a)));
  g_assert_true (bgs_service_is_running (BGS_SERVICE (b)));
  g_assert_true (bgs_service_guard_end (guard, &error));
  g_assert_no_error (error);
  g_assert_false (bgs_service_is_running (BGS_SERVICE (manager)));
  g_assert_false (bgs_service_is_running (BGS_SERVICE (a)));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/guard/reference/scope", test_scope);
  g_test_add_func ("/guard/reference", test_reference);
  g_test_add_func ("/guard/end/returns-errors", test_end_returns_errors);
  g_test_add_func ("/guard/end/returns-stop-errors", test_end_returns_stop_errors);
  g_test_add_func ("/guard/end/ignoring-errors", test_end_ignoring_errors);
  g_test_add_func ("/guard/free/warns", test_free_warns);
  g_test_add_func ("/guard/free/clean", test_free_clean);
  g_test_add_func ("/guard/manager", test_manager);

  return g_test_run ();
}
