/* SPDX-License-Identifier: MIT */
/* test-manager.c: BgsManager, a service made of named services: its
 * members, their names, and start/cancel/wait/stop over them, nested. */
#include <string.h>

#include "core-test-util.h"

#define TEST_ERROR (g_quark_from_static_string ("test-error-domain"))

static void
add_ok (BgsManager *manager,
        gpointer    service)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (bgs_manager_add (manager, service, &error));
  g_assert_no_error (error);
}

/* Ends @task (taken) with @error (taken; NULL: success) and iterates until
 * its service has reaped it. */
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

static void
on_notify_count (GObject    *object,
                 GParamSpec *pspec,
                 guint      *count)
{
  (*count)++;
}

/* ---- members -------------------------------------------------------------- */

static void
test_new (void)
{
  g_autoptr(BgsManager) named = bgs_manager_new ("m");
  g_autoptr(BgsManager) unnamed = bgs_manager_new (NULL);
  g_autoptr(GPtrArray) members = bgs_manager_list (named);
  g_autofree char *address = g_strdup_printf ("%" G_GUINTPTR_FORMAT, (guintptr) unnamed);
  g_autofree char *string = bgs_service_to_string (BGS_SERVICE (named));
  g_autoptr(GError) error = NULL;

  g_assert_true (BGS_IS_SERVICE (named));
  g_assert_true (BGS_IS_MANAGER (named));
  g_assert_cmpstr (bgs_service_get_name (BGS_SERVICE (named)), ==, "m");
  g_assert_cmpstr (bgs_service_get_name (BGS_SERVICE (unnamed)), ==, address);
  g_assert_cmpstr (string, ==, "BgsManager[m]");
  g_assert_cmpuint (members->len, ==, 0);
  g_assert_false (bgs_service_is_running (BGS_SERVICE (named)));

  /* An empty manager starts, waits and stops at once. */
  bgs_service_start (BGS_SERVICE (named));
  g_assert_false (bgs_service_is_running (BGS_SERVICE (named)));
  g_assert_true (bgs_service_wait (BGS_SERVICE (named), NULL, &error));
  g_assert_true (bgs_service_stop (BGS_SERVICE (named), NULL, NULL, &error));
  g_assert_no_error (error);
}

static void
assert_list (BgsManager         *manager,
             const char * const *names)
{
  g_autoptr(GPtrArray) members = bgs_manager_list (manager);

  g_assert_cmpuint (members->len, ==, g_strv_length ((char **) names));
  for (guint i = 0; i < members->len; i++)
    {
      g_assert_cmpstr (bgs_service_get_name (members->pdata[i]), ==, names[i]);
      g_assert_true (bgs_manager_lookup (manager, names[i]) == members->pdata[i]);
    }
}

/* add, lookup, list (sorted by name) and remove; the manager holds a
 * reference on each member. */
static void
test_add_remove (void)
{
  g_autoptr(BgsManager) manager = bgs_manager_new ("m");
  g_autoptr(GError) error = NULL;
  const char *names[] = { "delta", "alpha", "charlie", "bravo" };
  gboolean finalized[G_N_ELEMENTS (names)] = { FALSE, };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      TestService *service = test_service_new (names[i]);

      g_object_weak_ref (G_OBJECT (service), test_weak_flag, &finalized[i]);
      add_ok (manager, service);
      g_assert_true (bgs_manager_lookup (manager, names[i]) == BGS_SERVICE (service));
      g_object_unref (service);
      g_assert_false (finalized[i]);
    }

  assert_list (manager, (const char *[]) { "alpha", "bravo", "charlie", "delta", NULL });
  g_assert_null (bgs_manager_lookup (manager, "echo"));
  g_assert_null (bgs_manager_lookup (manager, ""));

  g_assert_true (bgs_manager_remove (manager, "charlie", &error));
  g_assert_no_error (error);
  g_assert_true (finalized[2]);
  g_assert_null (bgs_manager_lookup (manager, "charlie"));
  assert_list (manager, (const char *[]) { "alpha", "bravo", "delta", NULL });

  /* Removing an unknown name, or the same twice, fails with NOT_FOUND. */
  g_assert_false (bgs_manager_remove (manager, "charlie", &error));
  g_assert_error (error, BGS_ERROR, BGS_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "charlie"));
  g_clear_error (&error);
  g_assert_false (bgs_manager_remove (manager, "nobody", &error));
  g_assert_error (error, BGS_ERROR, BGS_ERROR_NOT_FOUND);
  g_clear_error (&error);
  assert_list (manager, (const char *[]) { "alpha", "bravo", "delta", NULL });

  /* The members go with the manager. */
  g_clear_object (&manager);
  g_assert_true (finalized[0] && finalized[1] && finalized[3]);
}

/* A name already taken fails with EXISTS and changes nothing; so does
 * adding the same service twice. */
static void
test_duplicate (void)
{
  g_autoptr(BgsManager) manager = bgs_manager_new ("m");
  g_autoptr(TestService) first = test_service_new ("same");
  g_autoptr(TestService) second = test_service_new ("same");
  g_autoptr(GError) error = NULL;

  add_ok (manager, first);
  g_assert_false (bgs_manager_add (manager, BGS_SERVICE (second), &error));
  g_assert_error (error, BGS_ERROR, BGS_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_false (bgs_manager_add (manager, BGS_SERVICE (first), &error));
  g_assert_error (error, BGS_ERROR, BGS_ERROR_EXISTS);

  g_assert_true (bgs_manager_lookup (manager, "same") == BGS_SERVICE (first));
  assert_list (manager, (const char *[]) { "same", NULL });
}

/* A manager cannot be its own member. */
static void
test_add_itself (void)
{
  g_autoptr(BgsManager) manager = bgs_manager_new ("m");
  g_autoptr(GError) error = NULL;

  g_assert_false (bgs_manager_add (manager, BGS_SERVICE (manager), &error));
  g_assert_error (error, BGS_ERROR, BGS_ERROR_INVALID_ARGUMENT);
  assert_list (manager, (const char *[]) { NULL });
}

/* Nor a member of a manager it holds, however deep: no cycles. */
static void
test_add_cycle (void)
{
  g_autoptr(BgsManager) top = bgs_manager_new ("top");
  g_autoptr(BgsManager) middle = bgs_manager_new ("middle");
  g_autoptr(BgsManager) bottom = bgs_manager_new ("bottom");
  g_autoptr(GError) error = NULL;

  g_assert_true (bgs_manager_add (top, BGS_SERVICE (middle), NULL));
  g_assert_true (bgs_manager_add (middle, BGS_SERVICE (bottom), NULL));
  g_assert_false (bgs_manager_add (bottom, BGS_SERVICE (top), &error));
  g_assert_error (error, BGS_ERROR, BGS_ERROR_INVALID_ARGUMENT);
  g_assert_false (bgs_service_is_running (BGS_SERVICE (top)));
}

/* ---- names -------------------------------------------------------------- */

static void
assert_name_invalid (const char *name)
{
  g_autoptr(BgsManager) manager = bgs_manager_new ("m");
  g_autoptr(TestService) service = test_service_new (name);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) members = NULL;

  g_assert_false (bgs_service_name_validate (name, &error));
  g_assert_error (error, BGS_ERROR, BGS_ERROR_INVALID_ARGUMENT);
  /* The message is safe to print: UTF-8, on one line. */
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  g_assert_null (strchr (error->message, '\n'));
  g_clear_error (&error);

  g_assert_false (bgs_manager_add (manager, BGS_SERVICE (service), &error));
  g_assert_error (error, BGS_ERROR, BGS_ERROR_INVALID_ARGUMENT);
  members = bgs_manager_list (manager);
  g_assert_cmpuint (members->len, ==, 0);
}

static void
assert_name_valid (const char *name)
{
  g_autoptr(BgsManager) manager = bgs_manager_new ("m");
  g_autoptr(TestService) service = test_service_new (name);
  g_autoptr(GError) error = NULL;

  g_assert_true (bgs_service_name_validate (name, &error));
  g_assert_no_error (error);
  add_ok (manager, service);
  g_assert_true (bgs_manager_lookup (manager, name) == BGS_SERVICE (service));
}

/* Names: not empty, at most 255 bytes, UTF-8, no control characters. */
static void
test_names (void)
{
  g_autofree char *bytes_255 = g_strnfill (255, 'x');
  g_autofree char *bytes_256 = g_strnfill (256, 'x');
  g_autofree char *long_utf8 = NULL;
  g_autoptr(GString) utf8_255 = g_string_new (NULL);
  g_autoptr(TestService) unnamed = test_service_new (NULL);

  assert_name_valid ("a");
  assert_name_valid ("clock");
  assert_name_valid ("with space");
  assert_name_valid ("sérvice ✓ 時計");
  assert_name_valid (bytes_255);
  assert_name_valid (bgs_service_get_name (BGS_SERVICE (unnamed)));

  /* 255 bytes of two-byte characters and one more byte: the limit is in
   * bytes, not characters. */
  for (guint i = 0; i < 127; i++)
    g_string_append (utf8_255, "é");
  g_string_append_c (utf8_255, 'x');
  g_assert_cmpuint (utf8_255->len, ==, 255);
  assert_name_valid (utf8_255->str);
  long_utf8 = g_strconcat (utf8_255->str, "y", NULL);
  assert_name_invalid (long_utf8);

  assert_name_invalid ("");
  assert_name_invalid (bytes_256);
  assert_name_invalid ("bad\xff");
  assert_name_invalid ("\xc3");          /* a truncated sequence */
  assert_name_invalid ("\xc0\xaf");      /* an overlong '/' */
  assert_name_invalid ("a\nb");
  assert_name_invalid ("tab\t");
  assert_name_invalid ("\x01");
  assert_name_invalid ("del\x7f");
  assert_name_invalid ("nel\xc2\x85");   /* U+0085 NEXT LINE, a C1 control */
  assert_name_invalid ("\xc2\x9f");      /* U+009F, the last C1 control */
  assert_name_invalid ("esc\x1b[31m");
}

/* ---- running ---------------------------------------------------------------- */

/* is-running follows the members, and is notified on every change. */
static void
test_is_running (void)
{
  g_autoptr(BgsManager) manager = bgs_manager_new ("m");
  g_autoptr(TestService) a = test_service_new_fake ("a", TEST_FOREVER, NULL);
  g_autoptr(TestService) b = test_service_new_fake ("b", TEST_FOREVER, NULL);
  g_autoptr(TestService) late = test_service_new_fake ("late", TEST_FOREVER, NULL);
  BgsService *m = BGS_SERVICE (manager);
  g_autoptr(GError) error = NULL;
  guint count = 0;

  g_signal_connect (manager, "notify::is-running", G_CALLBACK (on_notify_count), &count);
  add_ok (manager, a);
  add_ok (manager, b);
  g_assert_false (bgs_service_is_running (m));
  g_assert_cmpuint (count, ==, 0);

  bgs_service_start (BGS_SERVICE (a));
  g_assert_true (bgs_service_is_running (m));
  g_assert_cmpuint (count, ==, 1);
  bgs_service_start (BGS_SERVICE (b));
  g_assert_cmpuint (count, ==, 1);

  g_assert_true (bgs_service_stop (BGS_SERVICE (a), NULL, NULL, &error));
  g_assert_true (bgs_service_is_running (m));
  g_assert_cmpuint (count, ==, 1);
  g_assert_true (bgs_service_stop (BGS_SERVICE (b), NULL, NULL, &error));
  g_assert_false (bgs_service_is_running (m));
  g_assert_cmpuint (count, ==, 2);

  /* Removing the member that runs, adding one that runs. */
  bgs_service_start (BGS_SERVICE (a));
  g_assert_cmpuint (count, ==, 3);
  g_assert_true (bgs_manager_remove (manager, "a", &error));
  g_assert_false (bgs_service_is_running (m));
  g_assert_cmpuint (count, ==, 4);
  g_assert_true (bgs_service_is_running (BGS_SERVICE (a)));  /* not stopped */

  bgs_service_start (BGS_SERVICE (late));
  add_ok (manager, late);
  g_assert_true (bgs_service_is_running (m));
  g_assert_cmpuint (count, ==, 5);

  /* A removed member no longer moves the manager. */
  g_assert_true (bgs_service_stop (BGS_SERVICE (a), NULL, NULL, &error));
  g_assert_cmpuint (count, ==, 5);

  g_assert_true (bgs_service_stop (m, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count, ==, 6);
  g_signal_handlers_disconnect_by_data (manager, &count);
}

/* start, cancel and stop reach every member. */
static void
test_start_cancel_stop (void)
{
  g_autoptr(BgsManager) manager = bgs_manager_new ("m");
  BgsService *m = BGS_SERVICE (manager);
  TestService *members[3];
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (members); i++)
    {
      g_autofree char *name = g_strdup_printf ("member-%u", i);

      members[i] = test_service_new_fake (name, TEST_FOREVER, NULL);
      add_ok (manager, members[i]);
      g_object_unref (members[i]);
    }

  bgs_service_start (m);
  bgs_service_start (m);
  for (guint i = 0; i < G_N_ELEMENTS (members); i++)
    {
      g_assert_cmpuint (members[i]->n_starts, ==, 1);
      g_assert_true (bgs_service_is_running (BGS_SERVICE (members[i])));
    }
  g_assert_true (bgs_service_is_running (m));

  bgs_service_cancel (m, "test");
  test_wait_until (!bgs_service_is_running (m));
  for (guint i = 0; i < G_N_ELEMENTS (members); i++)
    g_assert_false (bgs_service_is_running (BGS_SERVICE (members[i])));
  g_assert_true (bgs_service_wait (m, NULL, &error));
  g_assert_no_error (error);

  bgs_service_start (m);
  for (guint i = 0; i < G_N_ELEMENTS (members); i++)
    g_assert_cmpuint (members[i]->n_starts, ==, 2);
  g_assert_true (bgs_service_stop (m, "test", NULL, &error));
  g_assert_no_error (error);
  g_assert_false (bgs_service_is_running (m));
  for (guint i = 0; i < G_N_ELEMENTS (members); i++)
    g_assert_false (bgs_service_is_running (BGS_SERVICE (members[i])));

  g_assert_true (bgs_service_stop (m, "again", NULL, &error));
  g_assert_no_error (error);
}

/* A manager in a manager: start, is-running and stop go all the way. */
static void
test_nested (void)
{
  g_autoptr(BgsManager) outer = bgs_manager_new ("outer");
  g_autoptr(BgsManager) inner = bgs_manager_new ("inner");
  g_autoptr(TestService) leaf = test_service_new_fake ("leaf", TEST_FOREVER, NULL);
  g_autoptr(TestService) sibling = test_service_new_fake ("sibling", 0,
                                                          g_error_new_literal (TEST_ERROR, 1, "x"));
  g_autoptr(GError) error = NULL;
  guint count = 0;

  add_ok (inner, leaf);
  add_ok (outer, inner);
  add_ok (outer, sibling);
  g_signal_connect (outer, "notify::is-running", G_CALLBACK (on_notify_count), &count);

  bgs_service_start (BGS_SERVICE (outer));
  g_assert_cmpuint (leaf->n_starts, ==, 1);
  g_assert_cmpuint (sibling->n_starts, ==, 1);
  g_assert_true (bgs_service_is_running (BGS_SERVICE (inner)));
  g_assert_true (bgs_service_is_running (BGS_SERVICE (outer)));
  g_assert_cmpuint (count, ==, 1);

  /* The sibling crashes; the leaf keeps outer running. */
  test_wait_until (!bgs_service_is_running (BGS_SERVICE (sibling)));
  g_assert_true (bgs_service_is_running (BGS_SERVICE (outer)));
  g_assert_cmpuint (count, ==, 1);

  g_assert_false (bgs_service_stop (BGS_SERVICE (outer), "test", NULL, &error));
  g_assert_error (error, BGS_ERROR, BGS_ERROR_TASKS_FAILED);
  g_assert_cmpuint (bgs_error_get_errors (error)->len, ==, 1);
  g_assert_cmpstr (bgs_error_get_names (error)[0], ==, "sibling");
  g_assert_false (bgs_service_is_running (BGS_SERVICE (leaf)));
  g_assert_false (bgs_service_is_running (BGS_SERVICE (outer)));
  g_assert_cmpuint (count, ==, 2);
  g_clear_error (&error);

  /* Members kept their own last-error. */
  {
    g_autoptr(GError) sibling_last = bgs_service_dup_last_error (BGS_SERVICE (sibling));
    g_autoptr(GError) outer_last = bgs_service_dup_last_error (BGS_SERVICE (outer));

    g_assert_error (sibling_last, BGS_ERROR, BGS_ERROR_TASKS_FAILED);
    g_assert_error (outer_last, BGS_ERROR, BGS_ERROR_TASKS_FAILED);
  }

  g_assert_true (bgs_service_stop (BGS_SERVICE (outer), "again", NULL, &error));
  g_assert_no_error (error);
  g_signal_handlers_disconnect_by_data (outer, &count);
}

/* ---- waiting ------------------------------------------------------------------ */

typedef struct
{
  GTask      *first;   /* (owned): a task of member a */
  BgsService *b;
  GTask      *late;    /* (owned) (nullable): the task it makes in b */
} RoundData;

static gboolean
on_first_due (gpointer user_data)
{
  RoundData *data = user_data;

  data->late = g_object_ref (test_task_spawn (data->b, "late", 20, NULL));
  g_task_return_boolean (data->first, TRUE);
  return G_SOURCE_REMOVE;
}

/* The wait of a manager lasts until no member runs, members that start
 * running while it waits included. */
static void
test_wait_rounds (void)
{
  g_autoptr(BgsManager) manager = bgs_manager_new ("m");
  g_autoptr(TestService) a = test_service_new ("a");
  g_autoptr(TestService) b = test_service_new ("b");
  g_autoptr(GError) error = NULL;
  RoundData data = { NULL, BGS_SERVICE (b), NULL };

  add_ok (manager, a);
  add_ok (manager, b);
  data.first = bgs_service_task_new (BGS_SERVICE (a), "first");
  g_timeout_add (20, on_first_due, &data);

  g_assert_true (bgs_service_wait (BGS_SERVICE (manager), NULL, &error));
  g_assert_no_error (error);
  g_assert_nonnull (data.late);
  g_assert_true (g_task_get_completed (data.late));
  g_assert_false (bgs_service_is_running (BGS_SERVICE (manager)));

  g_clear_object (&data.first);
  g_clear_object (&data.late);
}

/* Members removed while the manager waits are no longer waited for. */
static void
test_wait_removed_member (void)
{
  g_autoptr(BgsManager) manager = bgs_manager_new ("m");
  g_autoptr(TestService) a = test_service_new_fake ("a", TEST_FOREVER, NULL);
  g_autoptr(GError) error = NULL;

  add_ok (manager, a);
  bgs_service_start (BGS_SERVICE (a));
  g_assert_true (bgs_manager_remove (manager, "a", &error));
  g_assert_true (bgs_service_wait (BGS_SERVICE (manager), NULL, &error));
  g_assert_no_error (error);
  g_assert_true (bgs_service_is_running (BGS_SERVICE (a)));
  g_assert_true (bgs_service_stop (BGS_SERVICE (a), NULL, NULL, &error));
}

/* A cancelled wait of the manager loses no error: the member groups it
 * had gathered (the member was done) reach the next wait, once. */
static void
test_wait_cancelled_member_done (void)
{
  g_autoptr(BgsManager) manager = bgs_manager_new ("m");
  g_autoptr(TestService) a =
    test_service_new_fake ("a", 0, g_error_new_literal (TEST_ERROR, 1, "a failed"));
  g_autoptr(TestService) b = test_service_new_fake ("b", TEST_FOREVER, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) a_last = NULL;
  const GError *member;

  add_ok (manager, a);
  add_ok (manager, b);
  bgs_service_start (BGS_SERVICE (manager));
  test_wait_until (!bgs_service_is_running (BGS_SERVICE (a)));

  bgs_service_wait_async (BGS_SERVICE (manager), cancellable, test_store_result, &result);
  /* a's wait completes within the manager's: a hands its group over. */
  test_wait_until ((a_last = bgs_service_dup_last_error (BGS_SERVICE (a))) != NULL);
  g_cancellable_cancel (cancellable);
  test_wait_until (result != NULL);
  g_assert_false (bgs_service_wait_finish (BGS_SERVICE (manager), result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_true (bgs_service_is_running (BGS_SERVICE (b)));

  g_assert_false (bgs_service_stop (BGS_SERVICE (manager), "test", NULL, &error));
  g_assert_error (error, BGS_ERROR, BGS_ERROR_TASKS_FAILED);
  g_assert_cmpuint (bgs_error_get_errors (error)->len, ==, 1);
  g_assert_cmpstr (bgs_error_get_names (error)[0], ==, "a");
  member = test_error_at (error, 0);
  g_assert_cmpuint (bgs_error_get_errors (member)->len, ==, 1);
  g_assert_error (test_error_at (member, 0), TEST_ERROR, 1);
  g_clear_error (&error);

  g_assert_true (bgs_service_stop (BGS_SERVICE (manager), "again", NULL, &error));
  g_assert_no_error (error);
}

/* The same when the member still runs: it keeps its failures itself. */
static void
test_wait_cancelled_member_running (void)
{
  g_autoptr(BgsManager) manager = bgs_manager_new ("m");
  g_autoptr(TestService) a = test_service_new ("a");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  const GError *member;

  add_ok (manager, a);
  test_task_spawn (BGS_SERVICE (a), "keeps-running", TEST_FOREVER, NULL);

  bgs_service_wait_async (BGS_SERVICE (manager), cancellable, test_store_result, &result);
  end_task (bgs_service_task_new (BGS_SERVICE (a), "fails"),
            g_error_new_literal (TEST_ERROR, 2, "failed meanwhile"));
  g_cancellable_cancel (cancellable);
  test_wait_until (result != NULL);
  g_assert_false (bgs_service_wait_finish (BGS_SERVICE (manager), result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  g_assert_false (bgs_service_stop (BGS_SERVICE (manager), "test", NULL, &error));
  g_assert_error (error, BGS_ERROR, BGS_ERROR_TASKS_FAILED);
  g_assert_cmpuint (bgs_error_get_errors (error)->len, ==, 1);
  member = test_error_at (error, 0);
  g_assert_cmpuint (bgs_error_get_errors (member)->len, ==, 1);
  g_assert_cmpstr (bgs_error_get_names (member)[0], ==, "fails");
  g_clear_error (&error);

  g_assert_true (bgs_service_stop (BGS_SERVICE (manager), "again", NULL, &error));
  g_assert_no_error (error);
}

/* Two waits of a manager at once, one of them cancelled: the other
 * reports each member failure exactly once, and the next wait none. */
static void
test_wait_concurrent_one_cancelled (void)
{
  g_autoptr(BgsManager) manager = bgs_manager_new ("m");
  g_autoptr(TestService) a =
    test_service_new_fake ("a", 0, g_error_new_literal (TEST_ERROR, 1, "a failed"));
  g_autoptr(TestService) b = test_service_new ("b");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) cancelled = NULL;
  g_autoptr(GAsyncResult) completed = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) a_last = NULL;
  GTask *b_task;

  add_ok (manager, a);
  add_ok (manager, b);
  b_task = bgs_service_task_new (BGS_SERVICE (b), "b-task");
  bgs_service_start (BGS_SERVICE (a));

  bgs_service_wait_async (BGS_SERVICE (manager), cancellable, test_store_result, &cancelled);
  bgs_service_wait_async (BGS_SERVICE (manager), NULL, test_store_result, &completed);
  test_wait_until ((a_last = bgs_service_dup_last_error (BGS_SERVICE (a))) != NULL);

  g_cancellable_cancel (cancellable);
  test_wait_until (cancelled != NULL);
  g_assert_false (bgs_service_wait_finish (BGS_SERVICE (manager), cancelled, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_null (completed);

  end_task (b_task, NULL);
  test_wait_until (completed != NULL);
  g_assert_false (bgs_service_wait_finish (BGS_SERVICE (manager), completed, &error));
  g_assert_error (error, BGS_ERROR, BGS_ERROR_TASKS_FAILED);
  g_assert_cmpuint (bgs_error_get_errors (error)->len, ==, 1);
  g_assert_cmpstr (bgs_error_get_names (error)[0], ==, "a");
  g_clear_error (&error);

  g_assert_true (bgs_service_wait (BGS_SERVICE (manager), NULL, &error));
  g_assert_no_error (error);
}

/* Concurrent waits of a manager all get the same result. */
static void
test_wait_concurrent (void)
{
  g_autoptr(BgsManager) manager = bgs_manager_new ("m");
  g_autoptr(TestService) a = test_service_new ("a");
  GAsyncResult *results[3] = { NULL, };
  g_autoptr(GError) error = NULL;
  GTask *task;

  add_ok (manager, a);
  task = bgs_service_task_new (BGS_SERVICE (a), "t");
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    bgs_service_wait_async (BGS_SERVICE (manager), NULL, test_store_result, &results[i]);
  test_iterate_for (10);
  g_task_return_new_error (task, TEST_ERROR, 3, "shared");
  g_object_unref (task);
  test_wait_until (results[0] != NULL && results[1] != NULL && results[2] != NULL);

  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    {
      g_assert_false (bgs_service_wait_finish (BGS_SERVICE (manager), results[i], &error));
      g_assert_error (error, BGS_ERROR, BGS_ERROR_TASKS_FAILED);
      g_assert_cmpuint (bgs_error_get_errors (error)->len, ==, 1);
      g_clear_error (&error);
      g_object_unref (results[i]);
    }

  g_assert_true (bgs_service_wait (BGS_SERVICE (manager), NULL, &error));
  g_assert_no_error (error);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/manager/new", test_new);
  g_test_add_func ("/manager/add-remove", test_add_remove);
  g_test_add_func ("/manager/duplicate", test_duplicate);
  g_test_add_func ("/manager/add-itself", test_add_itself);
  g_test_add_func ("/manager/add-cycle", test_add_cycle);
  g_test_add_func ("/manager/names", test_names);
  g_test_add_func ("/manager/is-running", test_is_running);
  g_test_add_func ("/manager/start-cancel-stop", test_start_cancel_stop);
  g_test_add_func ("/manager/nested", test_nested);
  g_test_add_func ("/manager/wait/rounds", test_wait_rounds);
  g_test_add_func ("/manager/wait/removed-member", test_wait_removed_member);
  g_test_add_func ("/manager/wait/cancelled-member-done", test_wait_cancelled_member_done);
  g_test_add_func ("/manager/wait/cancelled-member-running", test_wait_cancelled_member_running);
  g_test_add_func ("/manager/wait/concurrent", test_wait_concurrent);
  g_test_add_func ("/manager/wait/concurrent-one-cancelled", test_wait_concurrent_one_cancelled);

  return g_test_run ();
}
