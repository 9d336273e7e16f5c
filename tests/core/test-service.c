/* SPDX-License-Identifier: MIT */
/* test-service.c: BgsService: start, cancel, wait, stop, and its lifetime.
 *
 * The first tests translate the test cases of Python's BackgroundService
 * (FakeService in the Frequenz SDK's test_background_service.py) to C;
 * the others check the rest of the service's API.
 */
#include "core-test-util.h"

#define TEST_ERROR (g_quark_from_static_string ("test-error-domain"))

/* ---- the Python class's own cases ------------------------------------- */

/* Default name: the decimal address of the instance, as Python's id(). */
static void
test_construction_defaults (void)
{
  g_autoptr(TestService) service = test_service_new (NULL);
  BgsService *s = BGS_SERVICE (service);
  g_autofree char *address = g_strdup_printf ("%" G_GUINTPTR_FORMAT, (guintptr) service);
  g_autofree char *expected = g_strdup_printf ("TestService[%s]", address);
  g_autofree char *string = bgs_service_to_string (s);
  g_autofree char *property = NULL;
  g_autoptr(GPtrArray) tasks = bgs_service_get_tasks (s);
  guint64 parsed = 0;

  g_assert_cmpstr (bgs_service_get_name (s), ==, address);
  g_assert_true (g_ascii_string_to_unsigned (bgs_service_get_name (s), 10, 0, G_MAXUINT64,
                                             &parsed, NULL));
  g_assert_cmpuint (parsed, ==, (guintptr) service);
  g_object_get (service, "name", &property, NULL);
  g_assert_cmpstr (property, ==, address);

  g_assert_cmpuint (tasks->len, ==, 0);
  g_assert_cmpuint (bgs_service_get_n_tasks (s), ==, 0);
  g_assert_false (bgs_service_is_running (s));
  g_assert_cmpstr (string, ==, expected);
  g_assert_null (bgs_service_dup_last_error (s));
  g_assert_cmpuint (service->n_starts, ==, 0);
}

static void
test_construction_custom (void)
{
  g_autoptr(TestService) service = test_service_new ("test");
  BgsService *s = BGS_SERVICE (service);
  g_autofree char *string = bgs_service_to_string (s);
  g_autoptr(GPtrArray) tasks = bgs_service_get_tasks (s);

  g_assert_cmpstr (bgs_service_get_name (s), ==, "test");
  g_assert_cmpuint (tasks->len, ==, 0);
  g_assert_false (bgs_service_is_running (s));
  g_assert_cmpstr (string, ==, "TestService[test]");
}

/* start, then await (wait) until the task ended by itself. */
static void
test_start_wait (void)
{
  g_autoptr(TestService) service = test_service_new_fake ("test", 20, NULL);
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GError) error = NULL;

  bgs_service_start (s);
  g_assert_true (bgs_service_is_running (s));
  g_assert_cmpuint (bgs_service_get_n_tasks (s), ==, 1);

  g_assert_true (bgs_service_wait (s, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (bgs_service_is_running (s));
  g_assert_cmpuint (bgs_service_get_n_tasks (s), ==, 0);
  g_assert_cmpuint (service->n_starts, ==, 1);
}

/* start, let it run, stop, and stop again: the second stop is a no-op. */
static void
test_start_stop_twice (void)
{
  g_autoptr(TestService) service = test_service_new_fake ("test", 60 * 1000, NULL);
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GError) error = NULL;

  bgs_service_start (s);
  g_assert_true (bgs_service_is_running (s));
  test_iterate_for (20);
  g_assert_true (bgs_service_is_running (s));

  g_assert_true (bgs_service_stop (s, "first", NULL, &error));
  g_assert_no_error (error);
  g_assert_false (bgs_service_is_running (s));

  g_assert_true (bgs_service_stop (s, "second", NULL, &error));
  g_assert_no_error (error);
  g_assert_false (bgs_service_is_running (s));
  g_assert_cmpuint (service->n_starts, ==, 1);
}

typedef enum
{
  CRASH_WAIT,
  CRASH_WAIT_ASYNC,
  CRASH_STOP,
  CRASH_STOP_ASYNC,
} CrashMethod;

/* The error of a crashed task comes back as a group holding it alone. */
static void
assert_crash_group (const GError *error)
{
  GPtrArray *errors;

  g_assert_error (error, BGS_ERROR, BGS_ERROR_TASKS_FAILED);
  errors = bgs_error_get_errors (error);
  g_assert_cmpuint (errors->len, ==, 1);
  g_assert_error ((const GError *) errors->pdata[0], TEST_ERROR, 7);
  g_assert_cmpstr (((GError *) errors->pdata[0])->message, ==, "error");
}

static void
test_start_crash (gconstpointer data)
{
  CrashMethod method = GPOINTER_TO_INT (data);
  g_autoptr(TestService) service =
    test_service_new_fake ("test", 0, g_error_new_literal (TEST_ERROR, 7, "error"));
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok = TRUE;

  bgs_service_start (s);

  switch (method)
    {
    case CRASH_WAIT:
      ok = bgs_service_wait (s, NULL, &error);
      break;
    case CRASH_WAIT_ASYNC:
      bgs_service_wait_async (s, NULL, test_store_result, &result);
      test_wait_until (result != NULL);
      ok = bgs_service_wait_finish (s, result, &error);
      break;
    case CRASH_STOP:
      /* As the Python test's asyncio.sleep(0): let the task crash first. */
      test_wait_until (!bgs_service_is_running (s));
      ok = bgs_service_stop (s, "test", NULL, &error);
      break;
    case CRASH_STOP_ASYNC:
      test_wait_until (!bgs_service_is_running (s));
      bgs_service_stop_async (s, "test", NULL, test_store_result, &result);
      test_wait_until (result != NULL);
      ok = bgs_service_stop_finish (s, result, &error);
      break;
    }

  g_assert_false (ok);
  assert_crash_group (error);
  g_assert_false (bgs_service_is_running (s));
}

/* A task that fails while it is being cancelled: stop reports it. */
static void
test_crash_during_stop (void)
{
  g_autoptr(TestService) service = test_service_new ("test");
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GError) error = NULL;

  test_task_spawn_failing_on_cancel (s, "cleanup", g_error_new_literal (TEST_ERROR, 7, "error"));
  test_task_spawn (s, "quiet", TEST_FOREVER, NULL);
  g_assert_false (bgs_service_stop (s, "test", NULL, &error));
  assert_crash_group (error);
  g_assert_cmpstr (bgs_error_get_names (error)[0], ==, "cleanup");
}

/* async with FakeService() as s: see test-guard.c. */

/* ---- start ------------------------------------------------------------- */

/* start does nothing while the service runs. */
static void
test_start_idempotent (void)
{
  g_autoptr(TestService) service = test_service_new_fake ("test", TEST_FOREVER, NULL);
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GError) error = NULL;

  bgs_service_start (s);
  bgs_service_start (s);
  bgs_service_start (s);
  g_assert_cmpuint (service->n_starts, ==, 1);
  g_assert_cmpuint (bgs_service_get_n_tasks (s), ==, 1);

  g_assert_true (bgs_service_stop (s, NULL, NULL, &error));
  bgs_service_start (s);
  g_assert_cmpuint (service->n_starts, ==, 2);
  g_assert_cmpuint (bgs_service_get_n_tasks (s), ==, 1);
  g_assert_true (bgs_service_stop (s, NULL, NULL, &error));
  g_assert_no_error (error);
}

/* ---- cancel ------------------------------------------------------------- */

/* cancel reaches the tasks present at the time of the call only. */
static void
test_cancel_only_present (void)
{
  g_autoptr(TestService) service = test_service_new ("test");
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GTask) before = g_object_ref (test_task_spawn (s, "before", TEST_FOREVER, NULL));
  g_autoptr(GTask) after = NULL;
  g_autoptr(GError) error = NULL;

  bgs_service_cancel (s, "only the first");
  after = g_object_ref (test_task_spawn (s, "after", TEST_FOREVER, NULL));

  g_assert_true (g_cancellable_is_cancelled (g_task_get_cancellable (before)));
  g_assert_false (g_cancellable_is_cancelled (g_task_get_cancellable (after)));

  test_wait_until (g_task_get_completed (before));
  test_iterate_for (30);
  g_assert_false (g_task_get_completed (after));
  g_assert_true (bgs_service_is_running (s));
  g_assert_cmpuint (bgs_service_get_n_tasks (s), ==, 1);

  /* A cancel without message, on an idle generation, then for real. */
  bgs_service_cancel (s, NULL);
  test_wait_until (g_task_get_completed (after));
  g_assert_false (bgs_service_is_running (s));
  g_assert_true (bgs_service_wait (s, NULL, &error));
  g_assert_no_error (error);

  /* Cancelling a service that does not run does nothing. */
  bgs_service_cancel (s, "idle");
  g_assert_false (bgs_service_is_running (s));
}

typedef struct
{
  BgsService *service;
  GTask      *created;  /* (owned) */
} CancelHandlerData;

static void
on_cancelled_create_task (GCancellable      *cancellable,
                          CancelHandlerData *data)
{
  if (data->created == NULL)
    data->created = g_object_ref (test_task_spawn (data->service, "born-in-cancel",
                                                   TEST_FOREVER, NULL));
}

/* A task made while the cancel runs (by a "cancelled" handler) came after
 * the cancel: it is not cancelled. */
static void
test_cancel_handler_creates_task (void)
{
  g_autoptr(TestService) service = test_service_new ("test");
  BgsService *s = BGS_SERVICE (service);
  GTask *first = test_task_spawn (s, "first", TEST_FOREVER, NULL);
  CancelHandlerData data = { s, NULL };

  g_signal_connect (g_task_get_cancellable (first), "cancelled",
                    G_CALLBACK (on_cancelled_create_task), &data);
  bgs_service_cancel (s, "test");

  g_assert_nonnull (data.created);
  g_assert_false (g_cancellable_is_cancelled (g_task_get_cancellable (data.created)));
  test_wait_until (bgs_service_get_n_tasks (s) == 1);
  test_iterate_for (20);
  g_assert_false (g_task_get_completed (data.created));

  g_clear_object (&data.created);
  test_service_stop_and_unref (g_steal_pointer (&service));
}

/* ---- wait --------------------------------------------------------------- */

typedef struct
{
  BgsService *service;
  GTask      *first;   /* (owned) */
  GTask      *second;  /* (owned) (nullable) */
  GError     *error;   /* (owned) (nullable): the second task's outcome */

  /* What the wait saw when it completed. */
  GAsyncResult *result;  /* (owned) (nullable) */
  gboolean      second_made;
  guint         n_tasks;
} Chain;

/* The first task of a chain: when it is due, it makes the second task,
 * then ends. */
static gboolean
on_first_due (gpointer user_data)
{
  Chain *chain = user_data;

  chain->second = g_object_ref (test_task_spawn (chain->service, "second", 20,
                                                 g_steal_pointer (&chain->error)));
  g_task_return_boolean (chain->first, TRUE);
  return G_SOURCE_REMOVE;
}

static void
on_chain_waited (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Chain *chain = user_data;

  chain->result = g_object_ref (result);
  chain->second_made = chain->second != NULL;
  chain->n_tasks = bgs_service_get_n_tasks (BGS_SERVICE (source));
}

static void
chain_init (Chain      *chain,
            BgsService *service,
            GError     *error)
{
  GSource *due = g_timeout_source_new (20);

  *chain = (Chain) { service, bgs_service_task_new (service, "first"), NULL, error,
                     NULL, FALSE, G_MAXUINT };
  g_source_set_callback (due, on_first_due, chain, NULL);
  g_source_attach (due, NULL);
  g_source_unref (due);
}

static void
chain_clear (Chain *chain)
{
  g_clear_object (&chain->first);
  g_clear_object (&chain->second);
  g_clear_object (&chain->result);
  g_clear_error (&chain->error);
}

/* wait also waits for the tasks made while it waits: a task that makes
 * another one before it ends, while the service is waited for. With
 * @data, the second task fails and its error reaches the wait. */
static void
test_wait_new_tasks (gconstpointer data)
{
  gboolean fail = GPOINTER_TO_INT (data);
  g_autoptr(TestService) service = test_service_new ("chain");
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GError) error = NULL;
  Chain chain;
  gboolean ok;

  chain_init (&chain, s, fail ? g_error_new_literal (TEST_ERROR, 3, "second failed") : NULL);

  bgs_service_wait_async (s, NULL, on_chain_waited, &chain);
  test_wait_until (chain.result != NULL);
  /* The second task existed, and had ended: the service had no task. */
  g_assert_true (chain.second_made);
  g_assert_cmpuint (chain.n_tasks, ==, 0);
  g_assert_true (g_task_get_completed (chain.second));

  ok = bgs_service_wait_finish (s, chain.result, &error);
  if (fail)
    {
      g_assert_false (ok);
      g_assert_error (error, BGS_ERROR, BGS_ERROR_TASKS_FAILED);
      g_assert_cmpuint (bgs_error_get_errors (error)->len, ==, 1);
      g_assert_cmpstr (bgs_error_get_names (error)[0], ==, "second");
      g_assert_error (test_error_at (error, 0), TEST_ERROR, 3);
    }
  else
    {
      g_assert_true (ok);
      g_assert_no_error (error);
    }

  chain_clear (&chain);
}

/* The same chain, waited for synchronously. */
static void
test_wait_new_tasks_sync (void)
{
  g_autoptr(TestService) service = test_service_new ("chain");
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GError) error = NULL;
  Chain chain;

  chain_init (&chain, s, NULL);

  g_assert_true (bgs_service_wait (s, NULL, &error));
  g_assert_no_error (error);
  g_assert_nonnull (chain.second);
  g_assert_true (g_task_get_completed (chain.second));
  g_assert_cmpuint (bgs_service_get_n_tasks (s), ==, 0);

  chain_clear (&chain);
}

/* Waiting for a service that does not run succeeds, in a later
 * iteration of the context (never inside the call), as GIO does. */
static void
test_wait_not_running (void)
{
  g_autoptr(TestService) service = test_service_new ("idle");
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  bgs_service_wait_async (s, NULL, test_store_result, &result);
  g_assert_null (result);
  test_wait_until (result != NULL);
  g_assert_true (bgs_service_wait_finish (s, result, &error));
  g_assert_no_error (error);

  g_assert_true (bgs_service_wait (s, NULL, &error));
  g_assert_no_error (error);
}

/* wait's cancellable cancels the waiting only: the tasks go on, and the
 * failures stay for the next wait. */
static void
test_wait_cancellable (void)
{
  g_autoptr(TestService) service = test_service_new ("test");
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) late = NULL;
  GTask *early;

  early = bgs_service_task_new (s, "early");
  g_task_return_new_error (early, TEST_ERROR, 1, "early failure");
  g_object_unref (early);
  late = bgs_service_task_new (s, "late");
  test_wait_until (bgs_service_get_n_tasks (s) == 1);

  bgs_service_wait_async (s, cancellable, test_store_result, &result);
  test_iterate_for (10);
  g_assert_null (result);
  g_cancellable_cancel (cancellable);
  test_wait_until (result != NULL);
  g_assert_false (bgs_service_wait_finish (s, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  /* The task goes on, uncancelled. */
  g_assert_true (bgs_service_is_running (s));
  g_assert_false (g_cancellable_is_cancelled (g_task_get_cancellable (late)));
  g_assert_false (g_task_get_completed (late));
  g_assert_null (bgs_service_dup_last_error (s));

  /* The next wait gets the failure from before the cancelled wait. */
  g_task_return_new_error (late, TEST_ERROR, 2, "late failure");
  g_assert_false (bgs_service_wait (s, NULL, &error));
  g_assert_error (error, BGS_ERROR, BGS_ERROR_TASKS_FAILED);
  g_assert_cmpuint (bgs_error_get_errors (error)->len, ==, 2);
  g_assert_cmpstr (bgs_error_get_names (error)[0], ==, "early");
  g_assert_cmpstr (bgs_error_get_names (error)[1], ==, "late");
  g_clear_error (&error);

  g_assert_true (bgs_service_wait (s, NULL, &error));
  g_assert_no_error (error);
}

/* A wait whose cancellable was cancelled before it started, on a service
 * that runs, is cancelled; the service is not. */
static void
test_wait_cancelled_before (void)
{
  g_autoptr(TestService) service = test_service_new ("test");
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  GTask *task = test_task_spawn (s, "runs", TEST_FOREVER, NULL);

  g_cancellable_cancel (cancellable);
  g_assert_false (bgs_service_wait (s, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (bgs_service_is_running (s));
  g_assert_false (g_cancellable_is_cancelled (g_task_get_cancellable (task)));

  test_service_stop_and_unref (g_steal_pointer (&service));
}

static gboolean
cancel_later (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

/* The synchronous wait, cancelled while it iterates. */
static void
test_wait_sync_cancellable (void)
{
  g_autoptr(TestService) service = test_service_new ("test");
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  GTask *task = test_task_spawn (s, "runs", TEST_FOREVER, NULL);

  g_timeout_add (20, cancel_later, cancellable);
  g_assert_false (bgs_service_wait (s, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (bgs_service_is_running (s));
  g_assert_false (g_task_get_completed (task));

  test_service_stop_and_unref (g_steal_pointer (&service));
}

/* Every wait pending when the last task ends gets the same result; one
 * cancelled meanwhile does not take the errors from the others. */
static void
test_wait_concurrent (void)
{
  g_autoptr(TestService) service = test_service_new ("test");
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  GAsyncResult *results[4] = { NULL, };
  GError *errors[3] = { NULL, };
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) last = NULL;
  GTask *task = bgs_service_task_new (s, "only");

  for (guint i = 0; i < 3; i++)
    bgs_service_wait_async (s, NULL, test_store_result, &results[i]);
  bgs_service_wait_async (s, cancellable, test_store_result, &results[3]);

  g_cancellable_cancel (cancellable);
  test_wait_until (results[3] != NULL);
  for (guint i = 0; i < 3; i++)
    g_assert_null (results[i]);
  g_assert_false (bgs_service_wait_finish (s, results[3], &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  g_task_return_new_error (task, TEST_ERROR, 5, "shared");
  g_object_unref (task);
  test_wait_until (results[0] != NULL && results[1] != NULL && results[2] != NULL);

  for (guint i = 0; i < 3; i++)
    {
      g_assert_false (bgs_service_wait_finish (s, results[i], &errors[i]));
      g_assert_error (errors[i], BGS_ERROR, BGS_ERROR_TASKS_FAILED);
      g_assert_cmpstr (errors[i]->message, ==, "TestService[test]: 1 task failed\n  only: shared");
      g_assert_cmpuint (bgs_error_get_errors (errors[i])->len, ==, 1);
      g_assert_error (test_error_at (errors[i], 0), TEST_ERROR, 5);
    }
  /* Each waiter owns its copy. */
  g_assert_true (errors[0] != errors[1]);
  g_assert_true (bgs_error_get_errors (errors[0]) != bgs_error_get_errors (errors[1]));

  last = bgs_service_dup_last_error (s);
  g_assert_nonnull (last);
  g_assert_cmpstr (last->message, ==, errors[0]->message);

  /* Reported once: the next wait succeeds. */
  g_clear_error (&error);
  g_assert_true (bgs_service_wait (s, NULL, &error));
  g_assert_no_error (error);

  for (guint i = 0; i < 4; i++)
    g_object_unref (results[i]);
  for (guint i = 0; i < 3; i++)
    g_error_free (errors[i]);
}

/* ---- stop ---------------------------------------------------------------- */

/* stop = cancel + wait: every task ends cancelled, and cleanly. */
static void
test_stop_cancels_and_waits (void)
{
  g_autoptr(TestService) service = test_service_new ("test");
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GError) error = NULL;
  GTask *tasks[3];

  for (guint i = 0; i < G_N_ELEMENTS (tasks); i++)
    tasks[i] = g_object_ref (test_task_spawn (s, NULL, TEST_FOREVER, NULL));
  g_assert_cmpuint (bgs_service_get_n_tasks (s), ==, 3);

  g_assert_true (bgs_service_stop (s, "test", NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (bgs_service_get_n_tasks (s), ==, 0);
  g_assert_false (bgs_service_is_running (s));
  g_assert_null (bgs_service_dup_last_error (s));

  for (guint i = 0; i < G_N_ELEMENTS (tasks); i++)
    {
      g_assert_true (g_task_get_completed (tasks[i]));
      g_assert_true (g_cancellable_is_cancelled (g_task_get_cancellable (tasks[i])));
      g_object_unref (tasks[i]);
    }
}

static void
test_stop_async (void)
{
  g_autoptr(TestService) service = test_service_new_fake ("test", TEST_FOREVER, NULL);
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) again = NULL;
  g_autoptr(GError) error = NULL;

  bgs_service_start (s);
  bgs_service_stop_async (s, "test", NULL, test_store_result, &result);
  g_assert_null (result);
  test_wait_until (result != NULL);
  g_assert_true (bgs_service_stop_finish (s, result, &error));
  g_assert_no_error (error);
  g_assert_false (bgs_service_is_running (s));

  bgs_service_stop_async (s, NULL, NULL, test_store_result, &again);
  test_wait_until (again != NULL);
  g_assert_true (bgs_service_stop_finish (s, again, &error));
  g_assert_no_error (error);
}

/* Cancellation is never an error: neither tasks ended by a cancel nor
 * tasks ending with G_IO_ERROR_CANCELLED by themselves. */
static void
test_cancellation_not_error (void)
{
  g_autoptr(TestService) service = test_service_new ("test");
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GError) error = NULL;
  GTask *own;

  test_task_spawn (s, "a", TEST_FOREVER, NULL);
  test_task_spawn (s, "b", TEST_FOREVER, NULL);
  own = bgs_service_task_new (s, "gives-up");
  g_task_return_new_error (own, G_IO_ERROR, G_IO_ERROR_CANCELLED, "gave up");
  g_object_unref (own);

  g_assert_true (bgs_service_stop (s, "test", NULL, &error));
  g_assert_no_error (error);
  g_assert_null (bgs_service_dup_last_error (s));
}

/* Every error is reported exactly once: by the first wait or stop that
 * completes after it. */
static void
test_errors_reported_once (void)
{
  g_autoptr(TestService) service =
    test_service_new_fake ("test", 0, g_error_new_literal (TEST_ERROR, 7, "error"));
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GError) error = NULL;

  bgs_service_start (s);
  g_assert_false (bgs_service_wait (s, NULL, &error));
  assert_crash_group (error);
  g_clear_error (&error);

  g_assert_true (bgs_service_wait (s, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (bgs_service_stop (s, NULL, NULL, &error));
  g_assert_no_error (error);

  /* A second run fails once more: one error, not two. */
  bgs_service_start (s);
  g_assert_false (bgs_service_stop (s, NULL, NULL, &error));
  g_assert_error (error, BGS_ERROR, BGS_ERROR_TASKS_FAILED);
  g_clear_error (&error);
  g_assert_true (bgs_service_stop (s, NULL, NULL, &error));
  g_assert_no_error (error);
}

/* ---- to_string ------------------------------------------------------------ */

static void
test_to_string (void)
{
  g_autoptr(TestService) named = test_service_new ("a name");
  g_autoptr(BgsManager) manager = bgs_manager_new ("m");
  g_autofree char *named_string = bgs_service_to_string (BGS_SERVICE (named));
  g_autofree char *manager_string = bgs_service_to_string (BGS_SERVICE (manager));

  g_assert_cmpstr (named_string, ==, "TestService[a name]");
  g_assert_cmpstr (manager_string, ==, "BgsManager[m]");
}

/* ---- lifetime ---------------------------------------------------------------- */

/* A running task keeps its service alive after the last user reference. */
static void
test_task_keeps_service_alive (void)
{
  TestService *service = test_service_new ("alive");
  BgsService *s = BGS_SERVICE (service);
  gboolean finalized = FALSE;
  GTask *task;

  g_object_weak_ref (G_OBJECT (service), test_weak_flag, &finalized);
  task = bgs_service_task_new (s, "holder");
  g_object_unref (service);

  g_assert_false (finalized);
  test_iterate_for (20);
  g_assert_false (finalized);
  g_assert_true (bgs_service_is_running (g_task_get_source_object (task)));

  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
  test_wait_until (finalized);
}

/* The same with a task that ends by itself, failing: its error dies with
 * the service (the memory checkers watch). */
static void
test_task_keeps_service_alive_failing (void)
{
  TestService *service = test_service_new ("alive");
  gboolean finalized = FALSE;

  g_object_weak_ref (G_OBJECT (service), test_weak_flag, &finalized);
  test_task_spawn (BGS_SERVICE (service), "fails", 20, g_error_new_literal (TEST_ERROR, 1, "x"));
  g_object_unref (service);
  g_assert_false (finalized);
  test_wait_until (finalized);
}

/* ---- the context ------------------------------------------------------------- */

/* A service belongs to the thread-default context it was made in: its
 * tasks complete there, even those made while another context is the
 * thread-default one, and the synchronous wait iterates it. */
static void
test_context (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(TestService) service = NULL;
  g_autoptr(GError) error = NULL;
  BgsService *s;
  GTask *task;

  g_main_context_push_thread_default (context);
  service = test_service_new ("elsewhere");
  g_main_context_pop_thread_default (context);
  s = BGS_SERVICE (service);
  g_assert_true (bgs_service_get_context (s) == context);

  task = bgs_service_task_new (s, "t");
  g_task_return_new_error (task, TEST_ERROR, 9, "on the service's context");
  g_object_unref (task);

  /* Nothing completes on the default context. */
  test_iterate_for (20);
  g_assert_cmpuint (bgs_service_get_n_tasks (s), ==, 1);

  g_assert_false (bgs_service_wait (s, NULL, &error));
  g_assert_error (error, BGS_ERROR, BGS_ERROR_TASKS_FAILED);
  g_assert_cmpuint (bgs_service_get_n_tasks (s), ==, 0);
}

/* ---- a subclass with its own work ---------------------------------------- */

/*
 * CustomService: a service that tracks no task, overriding is_running,
 * cancel and wait, as a subclass wrapping a library
 * with tasks of its own. Its "work" runs from start() until cancel(), and
 * ends then with a copy of @failure, when set.
 */
#define CUSTOM_TYPE_SERVICE (custom_service_get_type ())
G_DECLARE_FINAL_TYPE (CustomService, custom_service, CUSTOM, SERVICE, BgsService)

struct _CustomService
{
  BgsService  parent_instance;
  gboolean    running;
  guint       n_cancels;
  GQueue      waiters;   /* (element-type GTask) (owned) */
  GError     *failure;   /* (owned) (nullable) */
};

G_DEFINE_FINAL_TYPE (CustomService, custom_service, BGS_TYPE_SERVICE)

/* Hands the outcome of the work to the pending waits, if any; without
 * waits, it stays for the next one. */
static void
custom_service_complete (CustomService *self)
{
  GTask *waiter;

  if (g_queue_is_empty (&self->waiters))
    return;

  while ((waiter = g_queue_pop_head (&self->waiters)) != NULL)
    {
      if (self->failure != NULL)
        g_task_return_error (waiter, g_error_copy (self->failure));
      else
        g_task_return_boolean (waiter, TRUE);
      g_object_unref (waiter);
    }
  g_clear_error (&self->failure);
}

static void
custom_service_start (BgsService *service)
{
  CustomService *self = CUSTOM_SERVICE (service);

  self->running = TRUE;
  g_object_notify (G_OBJECT (self), "is-running");
}

static gboolean
custom_service_is_running (BgsService *service)
{
  return CUSTOM_SERVICE (service)->running;
}

static void
custom_service_cancel (BgsService *service,
                       const char *message)
{
  CustomService *self = CUSTOM_SERVICE (service);

  self->n_cancels++;
  if (!self->running)
    return;

  self->running = FALSE;
  g_object_notify (G_OBJECT (self), "is-running");
  custom_service_complete (self);
}

static void
custom_service_wait_async (BgsService          *service,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  CustomService *self = CUSTOM_SERVICE (service);

  g_queue_push_tail (&self->waiters, g_task_new (self, cancellable, callback, user_data));
  if (!self->running)
    custom_service_complete (self);
}

static gboolean
custom_service_wait_finish (BgsService    *service,
                            GAsyncResult  *result,
                            GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
custom_service_finalize (GObject *object)
{
  CustomService *self = CUSTOM_SERVICE (object);

  g_assert_true (g_queue_is_empty (&self->waiters));
  g_clear_error (&self->failure);

  G_OBJECT_CLASS (custom_service_parent_class)->finalize (object);
}

static void
custom_service_class_init (CustomServiceClass *klass)
{
  BgsServiceClass *service_class = BGS_SERVICE_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = custom_service_finalize;
  service_class->start = custom_service_start;
  service_class->is_running = custom_service_is_running;
  service_class->cancel = custom_service_cancel;
  service_class->wait_async = custom_service_wait_async;
  service_class->wait_finish = custom_service_wait_finish;
}

static void
custom_service_init (CustomService *self)
{
  g_queue_init (&self->waiters);
}

/* start, stop, wait, last-error, the guard and a manager all go through
 * the overrides of a subclass that tracks no task. */
static void
test_subclass_overrides (void)
{
  g_autoptr(CustomService) custom = g_object_new (CUSTOM_TYPE_SERVICE, "name", "custom", NULL);
  g_autoptr(BgsManager) manager = bgs_manager_new ("m");
  BgsService *s = BGS_SERVICE (custom);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) last = NULL;
  g_autoptr(GPtrArray) failures = NULL;

  bgs_service_start (s);
  g_assert_true (bgs_service_is_running (s));
  g_assert_cmpuint (bgs_service_get_n_tasks (s), ==, 0);
  bgs_service_start (s);   /* runs: not started again, nothing breaks */

  g_assert_true (bgs_service_stop (s, "test", NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (custom->n_cancels, ==, 1);
  g_assert_false (bgs_service_is_running (s));

  /* A failure of the work, which the class's wait gives: the run's
   * failure, named after the service, in stop's group and last-error. */
  bgs_service_start (s);
  custom->failure = g_error_new_literal (BGS_ERROR, BGS_ERROR_FAILED, "custom failure");
  g_assert_false (bgs_service_stop (s, "test", NULL, &error));
  g_assert_error (error, BGS_ERROR, BGS_ERROR_TASKS_FAILED);
  g_assert_cmpstr (bgs_error_get_names (error)[0], ==, "custom");
  g_assert_error (test_error_at (error, 0), BGS_ERROR, BGS_ERROR_FAILED);
  g_clear_error (&error);
  last = bgs_service_dup_last_error (s);
  g_assert_error (last, BGS_ERROR, BGS_ERROR_TASKS_FAILED);
  g_clear_error (&last);
  /* Stopped, not failed: it was cancelled. No restarts for its own work. */
  g_assert_cmpint (bgs_service_get_state (s), ==, BGS_SERVICE_STATE_STOPPED);
  g_assert_true (bgs_service_wait (s, NULL, &error));
  failures = bgs_service_get_last_failures (s);
  g_assert_cmpuint (failures->len, ==, 1);
  g_assert_cmpstr (bgs_failure_get_service (failures->pdata[0]), ==, "custom");
  g_assert_cmpstr (bgs_failure_get_task (failures->pdata[0]), ==, "custom");
  g_assert_cmpstr (bgs_failure_get_message (failures->pdata[0]), ==, "custom failure");

  /* A failure of a start that never ran: a wait asks the class, and the
   * failure makes a failed run of its own. */
  custom->failure = g_error_new_literal (TEST_ERROR, 6, "could not start");
  g_assert_false (bgs_service_wait (s, NULL, &error));
  g_assert_error (test_error_at (error, 0), TEST_ERROR, 6);
  g_clear_error (&error);
  g_assert_cmpint (bgs_service_get_state (s), ==, BGS_SERVICE_STATE_FAILED);
  bgs_service_reset_failed (s);
  g_assert_null (bgs_service_dup_last_error (s));

  /* In a manager: is-running follows it, and its error is the member's. */
  g_assert_true (bgs_manager_add (manager, s, &error));
  bgs_service_start (BGS_SERVICE (manager));
  g_assert_true (bgs_service_is_running (BGS_SERVICE (manager)));
  custom->failure = g_error_new_literal (TEST_ERROR, 5, "in a manager");
  g_assert_false (bgs_service_stop (BGS_SERVICE (manager), "test", NULL, &error));
  g_assert_false (bgs_service_is_running (BGS_SERVICE (manager)));
  g_assert_error (error, BGS_ERROR, BGS_ERROR_TASKS_FAILED);
  g_assert_cmpstr (bgs_error_get_names (error)[0], ==, "custom");
  g_assert_error (test_error_at (test_error_at (error, 0), 0), TEST_ERROR, 5);
  g_clear_error (&error);

  /* The manager's wait took nothing from the member's own. */
  g_assert_false (bgs_service_wait (s, NULL, &error));
  g_assert_error (test_error_at (error, 0), TEST_ERROR, 5);
  g_clear_error (&error);

  /* A guard. */
  g_assert_true (bgs_service_guard_end (bgs_service_guard_new (s), &error));
  g_assert_no_error (error);
  g_assert_false (bgs_service_is_running (s));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/service/reference/construction-defaults", test_construction_defaults);
  g_test_add_func ("/service/reference/construction-custom", test_construction_custom);
  g_test_add_func ("/service/reference/start-wait", test_start_wait);
  g_test_add_func ("/service/reference/start-stop-twice", test_start_stop_twice);
  g_test_add_data_func ("/service/reference/crash/wait", GINT_TO_POINTER (CRASH_WAIT),
                        test_start_crash);
  g_test_add_data_func ("/service/reference/crash/wait-async",
                        GINT_TO_POINTER (CRASH_WAIT_ASYNC), test_start_crash);
  g_test_add_data_func ("/service/reference/crash/stop", GINT_TO_POINTER (CRASH_STOP),
                        test_start_crash);
  g_test_add_data_func ("/service/reference/crash/stop-async",
                        GINT_TO_POINTER (CRASH_STOP_ASYNC), test_start_crash);
  g_test_add_func ("/service/crash-during-stop", test_crash_during_stop);
  g_test_add_func ("/service/start/idempotent", test_start_idempotent);
  g_test_add_func ("/service/cancel/only-present", test_cancel_only_present);
  g_test_add_func ("/service/cancel/handler-creates-task", test_cancel_handler_creates_task);
  g_test_add_data_func ("/service/wait/new-tasks", GINT_TO_POINTER (FALSE), test_wait_new_tasks);
  g_test_add_data_func ("/service/wait/new-failing-task", GINT_TO_POINTER (TRUE),
                        test_wait_new_tasks);
  g_test_add_func ("/service/wait/new-tasks-sync", test_wait_new_tasks_sync);
  g_test_add_func ("/service/wait/not-running", test_wait_not_running);
  g_test_add_func ("/service/wait/cancellable", test_wait_cancellable);
  g_test_add_func ("/service/wait/cancelled-before", test_wait_cancelled_before);
  g_test_add_func ("/service/wait/sync-cancellable", test_wait_sync_cancellable);
  g_test_add_func ("/service/wait/concurrent", test_wait_concurrent);
  g_test_add_func ("/service/stop/cancels-and-waits", test_stop_cancels_and_waits);
  g_test_add_func ("/service/stop/async", test_stop_async);
  g_test_add_func ("/service/cancellation-not-error", test_cancellation_not_error);
  g_test_add_func ("/service/errors-reported-once", test_errors_reported_once);
  g_test_add_func ("/service/to-string", test_to_string);
  g_test_add_func ("/service/lifetime/task-keeps-alive", test_task_keeps_service_alive);
  g_test_add_func ("/service/lifetime/task-keeps-alive-failing",
                   test_task_keeps_service_alive_failing);
  g_test_add_func ("/service/context", test_context);
  g_test_add_func ("/service/subclass-overrides", test_subclass_overrides);

  return g_test_run ();
}
