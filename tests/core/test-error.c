/* SPDX-License-Identifier: MIT */
/* test-error.c: the BGS_ERROR domain and its BGS_ERROR_TASKS_FAILED groups.
 *
 * Groups are made the way users get them, by services whose tasks fail;
 * copying and freeing them is checked for memory errors by the ASan and
 * valgrind runs of this program.
 */
#include "core-test-util.h"

#define TEST_ERROR (g_quark_from_static_string ("test-error-domain"))

/* Ends a new task of @service named @name with @error (taken; NULL for
 * success), and iterates until the service has reaped it, so that tasks
 * complete in the order the test gives. */
static void
end_task_now (BgsService *service,
              const char *name,
              GError     *error)
{
  guint n_tasks = bgs_service_get_n_tasks (service);
  GTask *task = bgs_service_task_new (service, name);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);

  test_wait_until (bgs_service_get_n_tasks (service) == n_tasks);
}

/* A group of two failures, "alpha" then "beta", from the service "svc";
 * successes and cancellations in between leave no trace. */
static GError *
make_group (void)
{
  g_autoptr(TestService) service = test_service_new ("svc");
  BgsService *s = BGS_SERVICE (service);
  GError *error = NULL;

  end_task_now (s, "ok-before", NULL);
  end_task_now (s, "alpha", g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "not there"));
  end_task_now (s, "gone", g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "gone"));
  end_task_now (s, "beta", g_error_new_literal (TEST_ERROR, 42, "answer"));
  end_task_now (s, "ok-after", NULL);

  g_assert_false (bgs_service_wait (s, NULL, &error));
  g_assert_nonnull (error);

  return error;
}

/* Checks that @group is the group make_group() returns. */
static void
assert_is_made_group (const GError *group)
{
  GPtrArray *errors = bgs_error_get_errors (group);
  const char * const *names = bgs_error_get_names (group);
  const GError *alpha, *beta;

  g_assert_error (group, BGS_ERROR, BGS_ERROR_TASKS_FAILED);
  g_assert_cmpstr (group->message, ==,
                   "TestService[svc]: 2 tasks failed\n"
                   "  alpha: not there\n"
                   "  beta: answer");

  g_assert_nonnull (errors);
  g_assert_cmpuint (errors->len, ==, 2);
  alpha = g_ptr_array_index (errors, 0);
  beta = g_ptr_array_index (errors, 1);
  g_assert_error (alpha, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpstr (alpha->message, ==, "not there");
  g_assert_error (beta, TEST_ERROR, 42);
  g_assert_cmpstr (beta->message, ==, "answer");

  g_assert_nonnull (names);
  g_assert_cmpuint (g_strv_length ((char **) names), ==, 2);
  g_assert_cmpstr (names[0], ==, "alpha");
  g_assert_cmpstr (names[1], ==, "beta");
}

static void
dummy_init (GError *error)
{
}

static void
dummy_copy (const GError *src,
            GError       *dest)
{
}

static void
dummy_clear (GError *error)
{
}

/* BGS_ERROR is registered as an extended domain under the name "BgsError":
 * GLib complains when that name is registered a second time. */
static void
test_domain_extended (void)
{
  GQuark again;

  g_assert_cmpstr (g_quark_to_string (BGS_ERROR), ==, "BgsError");
  g_assert_cmpuint (BGS_ERROR, ==, bgs_error_quark ());

  g_test_expect_message ("GLib", G_LOG_LEVEL_CRITICAL,
                         "*extended error domain for BgsError more than once*");
  again = g_error_domain_register_static ("BgsError", sizeof (gpointer) * 2,
                                          dummy_init, dummy_copy, dummy_clear);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (again, ==, BGS_ERROR);

  /* The public codes, in their order. */
  g_assert_cmpint (BGS_ERROR_FAILED, ==, 0);
  g_assert_cmpint (BGS_ERROR_TASKS_FAILED, ==, 1);
  g_assert_cmpint (BGS_ERROR_NOT_FOUND, ==, 2);
  g_assert_cmpint (BGS_ERROR_EXISTS, ==, 3);
  g_assert_cmpint (BGS_ERROR_INVALID_ARGUMENT, ==, 4);
  g_assert_cmpint (BGS_ERROR_ACCESS_DENIED, ==, 5);
  g_assert_cmpint (BGS_ERROR_TIMED_OUT, ==, 6);
}

/* A group carries its errors, in completion order, each as the task
 * returned it, and the names of the failed tasks alongside. */
static void
test_group_list (void)
{
  g_autoptr(GError) group = make_group ();

  assert_is_made_group (group);
}

/* The group message: a header, then one indented "name: message" line
 * per failure; default task names appear; lines of multi-line messages
 * are indented too. */
static void
test_group_message (void)
{
  g_autoptr(TestService) service = test_service_new ("one");
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) second = NULL;

  end_task_now (s, NULL, g_error_new_literal (TEST_ERROR, 1, "first line\nsecond line"));
  g_assert_false (bgs_service_wait (s, NULL, &error));
  g_assert_error (error, BGS_ERROR, BGS_ERROR_TASKS_FAILED);
  g_assert_cmpstr (error->message, ==,
                   "TestService[one]: 1 task failed\n"
                   "  task-1: first line\n"
                   "  second line");
  g_assert_cmpstr (bgs_error_get_names (error)[0], ==, "task-1");

  /* The number counts the service's tasks, successful ones included. */
  end_task_now (s, NULL, NULL);
  end_task_now (s, NULL, g_error_new_literal (TEST_ERROR, 2, "third"));
  g_assert_false (bgs_service_wait (s, NULL, &second));
  g_assert_cmpstr (second->message, ==, "TestService[one]: 1 task failed\n  task-3: third");
}

/* g_error_copy() copies the list deeply: the copy outlives the original. */
static void
test_copy (void)
{
  GError *group = make_group ();
  GError *copy = g_error_copy (group);
  GError *copy_of_copy;
  GPtrArray *errors = bgs_error_get_errors (group);
  GPtrArray *copied = bgs_error_get_errors (copy);

  g_assert_true (copied != errors);
  for (guint i = 0; i < errors->len; i++)
    g_assert_true (copied->pdata[i] != errors->pdata[i]);
  g_assert_true (bgs_error_get_names (copy) != bgs_error_get_names (group));
  g_assert_true (bgs_error_get_names (copy)[0] != bgs_error_get_names (group)[0]);

  g_error_free (group);
  assert_is_made_group (copy);

  copy_of_copy = g_error_copy (copy);
  g_error_free (copy);
  assert_is_made_group (copy_of_copy);
  g_error_free (copy_of_copy);
}

/* g_error_free() frees the list: the memory checkers of the ASan and
 * valgrind runs fail this test if anything stays behind. */
static void
test_free (void)
{
  GError *group = make_group ();
  GError *propagated = NULL;
  GError *prefixed = NULL;

  g_error_free (group);

  group = make_group ();
  g_clear_error (&group);
  g_assert_null (group);

  g_propagate_error (&propagated, make_group ());
  assert_is_made_group (propagated);
  g_clear_error (&propagated);

  g_propagate_prefixed_error (&prefixed, make_group (), "while testing: ");
  g_assert_true (g_str_has_prefix (prefixed->message, "while testing: TestService[svc]"));
  g_assert_cmpuint (bgs_error_get_errors (prefixed)->len, ==, 2);
  g_clear_error (&prefixed);
}

/* Other errors have no list, including a TASKS_FAILED error made by hand. */
static void
test_other_errors (void)
{
  g_autoptr(GError) io = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "io");
  g_autoptr(GError) failed = g_error_new_literal (BGS_ERROR, BGS_ERROR_FAILED, "failed");
  g_autoptr(GError) not_found = g_error_new_literal (BGS_ERROR, BGS_ERROR_NOT_FOUND, "nf");
  g_autoptr(GError) by_hand = g_error_new_literal (BGS_ERROR, BGS_ERROR_TASKS_FAILED, "hand");
  g_autoptr(GError) by_hand_copy = NULL;

  g_assert_null (bgs_error_get_errors (io));
  g_assert_null (bgs_error_get_names (io));
  g_assert_null (bgs_error_get_errors (failed));
  g_assert_null (bgs_error_get_names (failed));
  g_assert_null (bgs_error_get_errors (not_found));
  g_assert_null (bgs_error_get_names (not_found));
  g_assert_null (bgs_error_get_errors (by_hand));
  g_assert_null (bgs_error_get_names (by_hand));

  by_hand_copy = g_error_copy (by_hand);
  g_assert_null (bgs_error_get_errors (by_hand_copy));
  g_assert_null (bgs_error_get_names (by_hand_copy));
}

static gboolean
thread_returns_cancelled (BgsService    *service,
                          GCancellable  *cancellable,
                          gpointer       user_data,
                          GError       **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "thread gave up");
  return FALSE;
}

static gboolean
tick_forever (BgsService  *service,
              gpointer     user_data,
              GError     **error)
{
  return TRUE;
}

/* Whatever way a task is cancelled, the cancellation never reaches the
 * group; the one real failure does. */
static void
test_never_cancelled (void)
{
  g_autoptr(TestService) service = test_service_new ("mixed");
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GError) error = NULL;
  GPtrArray *errors;

  test_task_spawn (s, "until-cancelled", TEST_FOREVER, NULL);
  test_task_spawn (s, "says-cancelled", 0,
                   g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "by itself"));
  test_task_spawn (s, "real-failure", 0, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "real"));
  bgs_service_spawn_thread (s, "thread", thread_returns_cancelled, NULL, NULL);
  bgs_service_spawn_periodic (s, "periodic", 1000, tick_forever, NULL, NULL);

  test_wait_until (bgs_service_get_n_tasks (s) == 2);
  g_assert_false (bgs_service_stop (s, "test", NULL, &error));
  g_assert_error (error, BGS_ERROR, BGS_ERROR_TASKS_FAILED);

  errors = bgs_error_get_errors (error);
  g_assert_cmpuint (errors->len, ==, 1);
  for (guint i = 0; i < errors->len; i++)
    g_assert_false (g_error_matches (errors->pdata[i], G_IO_ERROR, G_IO_ERROR_CANCELLED));
  g_assert_error ((const GError *) errors->pdata[0], G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_cmpstr (bgs_error_get_names (error)[0], ==, "real-failure");
  g_assert_cmpstr (error->message, ==, "TestService[mixed]: 1 task failed\n  real-failure: real");
}

static int
find_name (const GError *group,
           const char   *name)
{
  const char * const *names = bgs_error_get_names (group);

  for (int i = 0; names != NULL && names[i] != NULL; i++)
    if (g_strcmp0 (names[i], name) == 0)
      return i;

  return -1;
}

/* The member group named @name in @group; fails the test if it is not
 * there or not a group. */
static const GError *
member_group (const GError *group,
              const char   *name)
{
  int i = find_name (group, name);
  const GError *member;

  g_assert_cmpint (i, >=, 0);
  member = g_ptr_array_index (bgs_error_get_errors (group), i);
  g_assert_error (member, BGS_ERROR, BGS_ERROR_TASKS_FAILED);

  return member;
}

static TestService *
add_failing (BgsManager *manager,
             const char *name,
             guint       n_failures)
{
  TestService *service = test_service_new (name);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < n_failures; i++)
    {
      g_autofree char *task = g_strdup_printf ("t%u", i + 1);

      test_task_spawn (BGS_SERVICE (service), task, 0,
                       g_error_new (TEST_ERROR, (int) i, "boom-%s-%u", name, i + 1));
    }

  g_assert_true (bgs_manager_add (manager, BGS_SERVICE (service), &error));
  g_assert_no_error (error);
  g_object_unref (service);

  return service;
}

/* Checks the group of outer, as built by test_nested(). */
static void
assert_nested_group (const GError *group)
{
  const GError *inner, *direct, *leaf_a, *leaf_b;
  g_auto(GStrv) lines = NULL;

  g_assert_error (group, BGS_ERROR, BGS_ERROR_TASKS_FAILED);
  g_assert_cmpuint (bgs_error_get_errors (group)->len, ==, 2);
  g_assert_cmpint (find_name (group, "clean"), ==, -1);

  direct = member_group (group, "direct");
  g_assert_cmpuint (bgs_error_get_errors (direct)->len, ==, 1);
  g_assert_cmpstr (test_error_at (direct, 0)->message, ==, "boom-direct-1");

  inner = member_group (group, "inner");
  g_assert_cmpuint (bgs_error_get_errors (inner)->len, ==, 2);
  leaf_a = member_group (inner, "leaf-a");
  leaf_b = member_group (inner, "leaf-b");
  g_assert_cmpuint (bgs_error_get_errors (leaf_a)->len, ==, 1);
  g_assert_cmpuint (bgs_error_get_errors (leaf_b)->len, ==, 2);
  g_assert_error (test_error_at (leaf_b, 1), TEST_ERROR, 1);

  /* The message names every failed member, at every level, and every
   * task with its message. */
  lines = g_strsplit (group->message, "\n", -1);
  g_assert_cmpstr (lines[0], ==, "BgsManager[outer]: 2 services failed");
  g_assert_true (g_strv_contains ((const char * const *) lines,
                                  "  direct: TestService[direct]: 1 task failed"));
  g_assert_true (g_strv_contains ((const char * const *) lines, "    t1: boom-direct-1"));
  g_assert_true (g_strv_contains ((const char * const *) lines,
                                  "  inner: BgsManager[inner]: 2 services failed"));
  g_assert_true (g_strv_contains ((const char * const *) lines,
                                  "    leaf-a: TestService[leaf-a]: 1 task failed"));
  g_assert_true (g_strv_contains ((const char * const *) lines, "      t1: boom-leaf-a-1"));
  g_assert_true (g_strv_contains ((const char * const *) lines,
                                  "    leaf-b: TestService[leaf-b]: 2 tasks failed"));
  g_assert_true (g_strv_contains ((const char * const *) lines, "      t1: boom-leaf-b-1"));
  g_assert_true (g_strv_contains ((const char * const *) lines, "      t2: boom-leaf-b-2"));
  g_assert_cmpuint (g_strv_length (lines), ==, 1 + 2 + 1 + 2 + 3);
}

/* The group of a manager holds one group per failed member; a manager
 * inside it gives a group of groups. Copies are deep at every level. */
static void
test_nested (void)
{
  g_autoptr(BgsManager) outer = bgs_manager_new ("outer");
  g_autoptr(BgsManager) inner = bgs_manager_new ("inner");
  g_autoptr(GError) error = NULL;
  GError *copy;

  add_failing (outer, "direct", 1);
  add_failing (outer, "clean", 0);
  add_failing (inner, "leaf-a", 1);
  add_failing (inner, "leaf-b", 2);
  g_assert_true (bgs_manager_add (outer, BGS_SERVICE (inner), &error));

  /* Every failure happens before the stop, so none is cancelled away. */
  test_wait_until (!bgs_service_is_running (BGS_SERVICE (outer)));
  g_assert_false (bgs_service_stop (BGS_SERVICE (outer), "test", NULL, &error));
  assert_nested_group (error);

  copy = g_error_copy (error);
  g_clear_error (&error);
  assert_nested_group (copy);
  g_error_free (copy);

  g_assert_true (bgs_service_stop (BGS_SERVICE (outer), "again", NULL, &error));
  g_assert_no_error (error);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/error/domain-extended", test_domain_extended);
  g_test_add_func ("/error/group/list", test_group_list);
  g_test_add_func ("/error/group/message", test_group_message);
  g_test_add_func ("/error/copy", test_copy);
  g_test_add_func ("/error/free", test_free);
  g_test_add_func ("/error/other-errors", test_other_errors);
  g_test_add_func ("/error/never-cancelled", test_never_cancelled);
  g_test_add_func ("/error/nested", test_nested);

  return g_test_run ();
}
