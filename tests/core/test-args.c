/* SPDX-License-Identifier: MIT */
/* test-args.c: bad input to the public functions.
 *
 * Every public function checks its arguments with g_return_val_if_fail():
 * a NULL or non-service object, a missing name, a bad interval, an error
 * already set. Each check logs one critical in the "bgservice" domain and
 * returns, doing nothing; g_test_expect_message() catches it (any other
 * critical aborts the test).
 */
#include "core-test-util.h"

#define EXPECT_CRITICAL(pattern, statement)                                  \
  G_STMT_START {                                                             \
    g_test_expect_message ("bgservice", G_LOG_LEVEL_CRITICAL, pattern);      \
    statement;                                                               \
    g_test_assert_expected_messages ();                                      \
  } G_STMT_END

#define ASSERTION "*assertion*failed*"

static gboolean
thread_func (BgsService    *service,
             GCancellable  *cancellable,
             gpointer       user_data,
             GError       **error)
{
  return TRUE;
}

static gboolean
tick_func (BgsService  *service,
           gpointer     user_data,
           GError     **error)
{
  return FALSE;
}

static void
never_called (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_assert_not_reached ();
}

/* NULL, and an object that is not a service, to every BgsService function. */
static void
test_service_functions (gconstpointer data)
{
  g_autoptr(GObject) plain = g_object_new (G_TYPE_OBJECT, NULL);
  BgsService *bad = GPOINTER_TO_INT (data) ? (BgsService *) plain : NULL;
  GError *error = NULL;

  EXPECT_CRITICAL ("*bgs_service_get_name*" ASSERTION, g_assert_null (bgs_service_get_name (bad)));
  EXPECT_CRITICAL (ASSERTION, g_assert_false (bgs_service_is_running (bad)));
  EXPECT_CRITICAL (ASSERTION, g_assert_cmpuint (bgs_service_get_n_tasks (bad), ==, 0));
  EXPECT_CRITICAL (ASSERTION, g_assert_null (bgs_service_get_tasks (bad)));
  EXPECT_CRITICAL (ASSERTION, g_assert_null (bgs_service_to_string (bad)));
  EXPECT_CRITICAL (ASSERTION, g_assert_null (bgs_service_get_context (bad)));
  EXPECT_CRITICAL (ASSERTION, g_assert_null (bgs_service_dup_last_error (bad)));
  EXPECT_CRITICAL ("*bgs_service_start*" ASSERTION, bgs_service_start (bad));
  EXPECT_CRITICAL ("*bgs_service_cancel*" ASSERTION, bgs_service_cancel (bad, "x"));
  EXPECT_CRITICAL (ASSERTION, bgs_service_wait_async (bad, NULL, never_called, NULL));
  EXPECT_CRITICAL (ASSERTION, g_assert_false (bgs_service_wait (bad, NULL, &error)));
  EXPECT_CRITICAL (ASSERTION, bgs_service_stop_async (bad, "x", NULL, never_called, NULL));
  EXPECT_CRITICAL (ASSERTION, g_assert_false (bgs_service_stop (bad, "x", NULL, &error)));
  g_assert_no_error (error);

  EXPECT_CRITICAL ("*bgs_service_task_new*" ASSERTION,
                   g_assert_null (bgs_service_task_new (bad, "x")));
  EXPECT_CRITICAL (ASSERTION, g_assert_null (bgs_service_spawn_thread (bad, "x", thread_func,
                                                                      NULL, NULL)));
  EXPECT_CRITICAL (ASSERTION, g_assert_null (bgs_service_spawn_periodic (bad, "x", 10, tick_func,
                                                                        NULL, NULL)));

  EXPECT_CRITICAL (ASSERTION, g_assert_null (bgs_service_guard_new (bad)));
  test_iterate_for (10);
}

/* The other arguments of the service functions. */
static void
test_service_arguments (void)
{
  g_autoptr(TestService) service = test_service_new ("args");
  g_autoptr(TestService) other = test_service_new ("other");
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GObject) plain = g_object_new (G_TYPE_OBJECT, NULL);
  g_autoptr(GError) set = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "already");
  g_autoptr(GAsyncResult) result = NULL;
  GError *error = set;

  /* A cancellable that is not one. */
  EXPECT_CRITICAL (ASSERTION, bgs_service_wait_async (s, (GCancellable *) plain, never_called, NULL));
  EXPECT_CRITICAL (ASSERTION, bgs_service_stop_async (s, NULL, (GCancellable *) plain,
                                                      never_called, NULL));

  /* An error already set. */
  EXPECT_CRITICAL (ASSERTION, g_assert_false (bgs_service_wait (s, NULL, &error)));
  EXPECT_CRITICAL (ASSERTION, g_assert_false (bgs_service_stop (s, NULL, NULL, &error)));
  g_assert_true (error == set);

  /* A missing result, and a result of another service. */
  error = NULL;
  EXPECT_CRITICAL (ASSERTION, g_assert_false (bgs_service_wait_finish (s, NULL, &error)));
  EXPECT_CRITICAL (ASSERTION, g_assert_false (bgs_service_stop_finish (s, NULL, &error)));
  bgs_service_wait_async (BGS_SERVICE (other), NULL, test_store_result, &result);
  test_wait_until (result != NULL);
  EXPECT_CRITICAL (ASSERTION, g_assert_false (bgs_service_wait_finish (s, result, &error)));
  EXPECT_CRITICAL (ASSERTION, g_assert_false (bgs_service_stop_finish (s, result, &error)));
  g_assert_no_error (error);

  /* Spawners without work, or with a zero interval. */
  EXPECT_CRITICAL (ASSERTION, g_assert_null (bgs_service_spawn_thread (s, "x", NULL, NULL, NULL)));
  EXPECT_CRITICAL (ASSERTION, g_assert_null (bgs_service_spawn_periodic (s, "x", 0, tick_func,
                                                                        NULL, NULL)));
  EXPECT_CRITICAL (ASSERTION, g_assert_null (bgs_service_spawn_periodic (s, "x", 10, NULL,
                                                                        NULL, NULL)));

  /* None of it made a task. */
  g_assert_cmpuint (bgs_service_get_n_tasks (s), ==, 0);
  g_assert_false (bgs_service_is_running (s));
}

static void
test_error_functions (void)
{
  EXPECT_CRITICAL (ASSERTION, g_assert_null (bgs_error_get_errors (NULL)));
  EXPECT_CRITICAL (ASSERTION, g_assert_null (bgs_error_get_names (NULL)));
}

static void
test_guard_functions (void)
{
  GError *set = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "already");
  g_autoptr(TestService) service = test_service_new ("guarded");
  BgsServiceGuard *guard;

  EXPECT_CRITICAL (ASSERTION, g_assert_false (bgs_service_guard_end (NULL, NULL)));

  guard = bgs_service_guard_new (BGS_SERVICE (service));
  EXPECT_CRITICAL (ASSERTION, g_assert_false (bgs_service_guard_end (guard, &set)));
  g_assert_true (bgs_service_guard_end (guard, NULL));
  g_error_free (set);
}

/* NULL, a non-manager service and a non-service object to every
 * BgsManager function; NULL names; a NULL name to validate. */
static void
test_manager_functions (void)
{
  g_autoptr(BgsManager) manager = bgs_manager_new ("m");
  g_autoptr(TestService) service = test_service_new ("s");
  g_autoptr(GObject) plain = g_object_new (G_TYPE_OBJECT, NULL);
  BgsManager *not_manager = (BgsManager *) service;
  GError *set = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "already");
  GError *error = NULL;

  EXPECT_CRITICAL (ASSERTION, g_assert_false (bgs_manager_add (NULL, BGS_SERVICE (service), &error)));
  EXPECT_CRITICAL (ASSERTION, g_assert_false (bgs_manager_add (not_manager, BGS_SERVICE (service),
                                                               &error)));
  EXPECT_CRITICAL (ASSERTION, g_assert_false (bgs_manager_add (manager, NULL, &error)));
  EXPECT_CRITICAL (ASSERTION, g_assert_false (bgs_manager_add (manager, (BgsService *) plain,
                                                               &error)));
  EXPECT_CRITICAL (ASSERTION, g_assert_false (bgs_manager_add (manager, BGS_SERVICE (service),
                                                               &set)));

  EXPECT_CRITICAL (ASSERTION, g_assert_false (bgs_manager_remove (NULL, "s", &error)));
  EXPECT_CRITICAL (ASSERTION, g_assert_false (bgs_manager_remove (not_manager, "s", &error)));
  EXPECT_CRITICAL (ASSERTION, g_assert_false (bgs_manager_remove (manager, NULL, &error)));

  EXPECT_CRITICAL (ASSERTION, g_assert_null (bgs_manager_lookup (NULL, "s")));
  EXPECT_CRITICAL (ASSERTION, g_assert_null (bgs_manager_lookup (not_manager, "s")));
  EXPECT_CRITICAL (ASSERTION, g_assert_null (bgs_manager_lookup (manager, NULL)));

  EXPECT_CRITICAL (ASSERTION, g_assert_null (bgs_manager_list (NULL)));
  EXPECT_CRITICAL (ASSERTION, g_assert_null (bgs_manager_list ((BgsManager *) plain)));

  EXPECT_CRITICAL (ASSERTION, g_assert_false (bgs_service_name_validate (NULL, &error)));
  EXPECT_CRITICAL (ASSERTION, g_assert_false (bgs_service_name_validate ("ok", &set)));

  g_assert_no_error (error);
  g_assert_null (bgs_manager_lookup (manager, "s"));
  g_error_free (set);
}

/* NoStartService: a subclass that forgot the required start vfunc. */
#define NO_START_TYPE_SERVICE (no_start_service_get_type ())
G_DECLARE_FINAL_TYPE (NoStartService, no_start_service, NO_START, SERVICE, BgsService)

struct _NoStartService
{
  BgsService parent_instance;
};

G_DEFINE_FINAL_TYPE (NoStartService, no_start_service, BGS_TYPE_SERVICE)

static void
no_start_service_class_init (NoStartServiceClass *klass)
{
}

static void
no_start_service_init (NoStartService *self)
{
}

static void
test_missing_start (void)
{
  g_autoptr(NoStartService) service = g_object_new (NO_START_TYPE_SERVICE, "name", "lazy", NULL);

  EXPECT_CRITICAL ("*NoStartService does not implement*start*",
                   bgs_service_start (BGS_SERVICE (service)));
  g_assert_false (bgs_service_is_running (BGS_SERVICE (service)));
}

/* BgsService is abstract; BgsManager is final. */
static void
test_types (void)
{
  g_assert_true (G_TYPE_IS_ABSTRACT (BGS_TYPE_SERVICE));
  g_assert_true (G_TYPE_IS_FINAL (BGS_TYPE_MANAGER));
  g_assert_true (g_type_is_a (BGS_TYPE_MANAGER, BGS_TYPE_SERVICE));
}

/* The same bad call in a child process, with criticals fatal as GLib
 * programs often run: it aborts there, and nothing else happens first. */
static void
test_fatal_in_subprocess (void)
{
  if (g_test_subprocess ())
    {
      g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR);
      bgs_service_start (NULL);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*bgservice-CRITICAL*bgs_service_start*assertion*failed*");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_data_func ("/args/service/null", GINT_TO_POINTER (FALSE), test_service_functions);
  g_test_add_data_func ("/args/service/not-a-service", GINT_TO_POINTER (TRUE),
                        test_service_functions);
  g_test_add_func ("/args/service/arguments", test_service_arguments);
  g_test_add_func ("/args/error", test_error_functions);
  g_test_add_func ("/args/guard", test_guard_functions);
  g_test_add_func ("/args/manager", test_manager_functions);
  g_test_add_func ("/args/missing-start", test_missing_start);
  g_test_add_func ("/args/types", test_types);
  g_test_add_func ("/args/fatal-in-subprocess", test_fatal_in_subprocess);

  return g_test_run ();
}
