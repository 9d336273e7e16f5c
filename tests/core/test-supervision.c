/* SPDX-License-Identifier: MIT */
/* test-supervision.c: runs, the failed state, restarts with backoff and
 * limits, results that belong to the run, and managers that supervise
 * their members.
 *
 * Timing is checked with lower bounds that must hold (a restart never
 * comes before its delay) and upper bounds generous enough for a loaded
 * machine; every wait for a state iterates the main context.
 */
#include "core-test-util.h"

#define TEST_ERROR (g_quark_from_static_string ("test-error-domain"))

/* A margin for "soon after": far above any scheduling delay. */
#define LATE_MS 2000

/* ---- helpers ------------------------------------------------------------ */

/* Recorder: what a supervised TestService went through. */
typedef struct
{
  GArray *states;      /* (element-type BgsServiceState): each notification */
  GArray *starts;      /* (element-type gint64): monotonic time of each start */
  guint   n_running;   /* notifications of is-running, ... */
  guint   n_stopped;   /* ... split by value */
  guint   n_run_ended;
  guint   n_task_failed;
} Recorder;

static void
on_state (BgsService *service,
          GParamSpec *pspec,
          Recorder   *recorder)
{
  BgsServiceState state = bgs_service_get_state (service);

  g_array_append_val (recorder->states, state);
}

static void
on_is_running (BgsService *service,
               GParamSpec *pspec,
               Recorder   *recorder)
{
  if (bgs_service_is_running (service))
    recorder->n_running++;
  else
    recorder->n_stopped++;
}

static void
on_run_ended (BgsService   *service,
              const GError *failures,
              Recorder     *recorder)
{
  recorder->n_run_ended++;
}

static void
on_task_failed (BgsService   *service,
                GTask        *task,
                const GError *error,
                Recorder     *recorder)
{
  recorder->n_task_failed++;
}

static void
record_start (TestService *service,
              gpointer     user_data)
{
  Recorder *recorder = user_data;
  gint64 now = g_get_monotonic_time ();

  g_array_append_val (recorder->starts, now);
}

static void
recorder_attach (Recorder    *recorder,
                 TestService *service)
{
  recorder->states = g_array_new (FALSE, FALSE, sizeof (BgsServiceState));
  recorder->starts = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_signal_connect (service, "notify::state", G_CALLBACK (on_state), recorder);
  g_signal_connect (service, "notify::is-running", G_CALLBACK (on_is_running), recorder);
  g_signal_connect (service, "run-ended", G_CALLBACK (on_run_ended), recorder);
  g_signal_connect (service, "task-failed", G_CALLBACK (on_task_failed), recorder);
  if (service->start_func == NULL)
    {
      service->start_func = record_start;
      service->start_data = recorder;
    }
}

static void
recorder_detach (Recorder    *recorder,
                 TestService *service)
{
  g_signal_handlers_disconnect_by_data (service, recorder);
  if (service->start_data == recorder)
    service->start_func = NULL;
  g_clear_pointer (&recorder->states, g_array_unref);
  g_clear_pointer (&recorder->starts, g_array_unref);
}

static gboolean
recorder_saw_state (const Recorder  *recorder,
                    BgsServiceState  state)
{
  for (guint i = 0; i < recorder->states->len; i++)
    if (g_array_index (recorder->states, BgsServiceState, i) == state)
      return TRUE;
  return FALSE;
}

/* The gap between start @i and start @i + 1, in ms. */
static double
start_gap_ms (const Recorder *recorder,
              guint           i)
{
  return (g_array_index (recorder->starts, gint64, i + 1) -
          g_array_index (recorder->starts, gint64, i)) / 1000.0;
}

/* A service whose start makes one task failing after @delay_ms with
 * "failure N" (N counting the starts), restarting as told. */
static TestService *
failing_service_new (const char     *name,
                     BgsRestartMode  mode,
                     guint           delay_ms,
                     guint           burst)
{
  TestService *service = test_service_new_fake (name, 0,
                                                g_error_new_literal (TEST_ERROR, 1, "failure"));

  g_object_set (service, "restart", mode, "restart-delay-ms", delay_ms,
                "start-limit-burst", burst, NULL);
  return service;
}

static BgsServiceState
state_of (gpointer service)
{
  return bgs_service_get_state (BGS_SERVICE (service));
}

/* ---- properties ------------------------------------------------------- */

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              guint      *count)
{
  (*count)++;
}

/* The restart policy's properties: defaults as documented, accessors, and
 * notifications only for real changes. */
static void
test_policy_properties (void)
{
  g_autoptr(TestService) service = test_service_new ("policy");
  BgsService *s = BGS_SERVICE (service);
  BgsRestartMode mode;
  guint delay, max_delay, burst, interval, n_restarts;
  guint notified = 0;

  g_object_get (service, "restart", &mode, "restart-delay-ms", &delay,
                "restart-max-delay-ms", &max_delay, "start-limit-burst", &burst,
                "start-limit-interval-ms", &interval, "n-restarts", &n_restarts, NULL);
  g_assert_cmpint (mode, ==, BGS_RESTART_NO);
  g_assert_cmpuint (delay, ==, 100);
  g_assert_cmpuint (max_delay, ==, 0);
  g_assert_cmpuint (burst, ==, 5);
  g_assert_cmpuint (interval, ==, 10000);
  g_assert_cmpuint (n_restarts, ==, 0);
  g_assert_cmpint (bgs_service_get_state_timestamp (s), ==, 0);

  g_signal_connect (service, "notify::restart", G_CALLBACK (count_notify), &notified);
  bgs_service_set_restart (s, BGS_RESTART_ALWAYS);
  bgs_service_set_restart (s, BGS_RESTART_ALWAYS);
  g_assert_cmpuint (notified, ==, 1);
  g_assert_cmpint (bgs_service_get_restart (s), ==, BGS_RESTART_ALWAYS);

  bgs_service_set_restart_delay_ms (s, 7);
  bgs_service_set_restart_max_delay_ms (s, 70);
  bgs_service_set_start_limit_burst (s, 0);
  bgs_service_set_start_limit_interval_ms (s, 700);
  g_assert_cmpuint (bgs_service_get_restart_delay_ms (s), ==, 7);
  g_assert_cmpuint (bgs_service_get_restart_max_delay_ms (s), ==, 70);
  g_assert_cmpuint (bgs_service_get_start_limit_burst (s), ==, 0);
  g_assert_cmpuint (bgs_service_get_start_limit_interval_ms (s), ==, 700);

  /* The enum's nicks are the wire's and the configuration's words. */
  {
    g_autoptr(GEnumClass) modes = g_type_class_ref (BGS_TYPE_RESTART_MODE);
    g_autoptr(GEnumClass) states = g_type_class_ref (BGS_TYPE_SERVICE_STATE);

    g_assert_cmpstr (g_enum_get_value (modes, BGS_RESTART_ON_FAILURE)->value_nick, ==, "on-failure");
    g_assert_cmpstr (g_enum_get_value (states, BGS_SERVICE_STATE_RESTARTING)->value_nick, ==, "restarting");
    g_assert_cmpstr (g_enum_get_value (states, BGS_SERVICE_STATE_FAILED)->value_nick, ==, "failed");
  }
}

/* ---- the failed state --------------------------------------------------- */

/* Without a restart policy, a run that ends on its own with a failure
 * leaves the service failed, with last-error set and nobody waiting; a
 * start by hand starts it again; reset_failed makes it stopped. */
static void
test_failed_state (void)
{
  g_autoptr(TestService) service = test_service_new_fake ("fails", 0,
                                                          g_error_new_literal (TEST_ERROR, 1, "broke"));
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GError) last = NULL;
  g_autoptr(GPtrArray) failures = NULL;
  Recorder recorder = { 0 };
  gint64 before = g_get_real_time ();

  recorder_attach (&recorder, service);
  bgs_service_start (s);
  test_wait_until (state_of (s) == BGS_SERVICE_STATE_FAILED);
  g_assert_false (bgs_service_is_running (s));
  g_assert_cmpuint (recorder.n_run_ended, ==, 1);
  g_assert_cmpint (bgs_service_get_state_timestamp (s), >=, before);
  g_assert_cmpint (bgs_service_get_state_timestamp (s), <=, g_get_real_time ());

  last = bgs_service_dup_last_error (s);
  g_assert_error (last, BGS_ERROR, BGS_ERROR_TASKS_FAILED);
  g_assert_error (test_error_at (last, 0), TEST_ERROR, 1);
  failures = bgs_service_get_last_failures (s);
  g_assert_cmpuint (failures->len, ==, 1);
  g_assert_cmpstr (bgs_failure_get_service (failures->pdata[0]), ==, "fails");
  g_assert_cmpstr (bgs_failure_get_task (failures->pdata[0]), ==, "task-1");
  g_assert_cmpstr (bgs_failure_get_domain (failures->pdata[0]), ==, "test-error-domain");
  g_assert_cmpint (bgs_failure_get_code (failures->pdata[0]), ==, 1);
  g_assert_cmpstr (bgs_failure_get_message (failures->pdata[0]), ==, "broke");

  /* Reset: stopped, nothing to show, nothing counted. */
  bgs_service_reset_failed (s);
  g_assert_cmpint (state_of (s), ==, BGS_SERVICE_STATE_STOPPED);
  g_assert_null (bgs_service_dup_last_error (s));
  g_clear_pointer (&failures, g_ptr_array_unref);
  failures = bgs_service_get_last_failures (s);
  g_assert_cmpuint (failures->len, ==, 0);
  bgs_service_reset_failed (s);   /* not failed: nothing happens */
  g_assert_cmpint (state_of (s), ==, BGS_SERVICE_STATE_STOPPED);

  /* Failed again, then started by hand: running, then failed. */
  bgs_service_start (s);
  test_wait_until (state_of (s) == BGS_SERVICE_STATE_FAILED);
  service->start_delay_ms = TEST_FOREVER;
  bgs_service_start (s);
  g_assert_cmpint (state_of (s), ==, BGS_SERVICE_STATE_RUNNING);

  /* reset_failed does nothing to a running service. */
  bgs_service_reset_failed (s);
  g_assert_cmpint (state_of (s), ==, BGS_SERVICE_STATE_RUNNING);

  /* A run that was cancelled stops, even with failures of its own. */
  test_task_spawn (s, "failing", 0, g_error_new_literal (TEST_ERROR, 2, "before the stop"));
  test_wait_until (recorder.n_task_failed == 3);
  g_clear_error (&last);
  g_assert_false (bgs_service_stop (s, "test", NULL, &last));
  g_assert_cmpint (state_of (s), ==, BGS_SERVICE_STATE_STOPPED);

  recorder_detach (&recorder, service);
}

/* ---- restarts ----------------------------------------------------------- */

/* A task fails: task-failed, the run's other tasks are cancelled, the state
 * is restarting (the service still counts as running), then the class's
 * start runs again after the delay. */
static void
test_restart_on_failure (void)
{
  g_autoptr(TestService) service = test_service_new ("worker");
  BgsService *s = BGS_SERVICE (service);
  Recorder recorder = { 0 };
  GTask *survivor;
  guint n_restarts_notified = 0;

  g_object_set (service, "restart", BGS_RESTART_ON_FAILURE, "restart-delay-ms", 50, NULL);
  recorder_attach (&recorder, service);
  g_signal_connect (service, "notify::n-restarts", G_CALLBACK (count_notify), &n_restarts_notified);

  bgs_service_start (s);
  survivor = test_task_spawn (s, "long", TEST_FOREVER, NULL);
  test_task_spawn (s, "short", 10, g_error_new_literal (TEST_ERROR, 3, "short-lived"));
  g_assert_true (bgs_service_is_running (s));
  /* From the restart on, start() makes one task that ends cleanly. */
  service->n_start_tasks = 1;
  service->start_delay_ms = 30;

  test_wait_until (state_of (s) == BGS_SERVICE_STATE_RESTARTING);
  g_assert_cmpuint (recorder.n_task_failed, ==, 1);
  g_assert_true (g_cancellable_is_cancelled (g_task_get_cancellable (survivor)));
  g_assert_true (bgs_service_is_running (s));

  test_wait_until (service->n_starts == 2);
  g_assert_cmpint (state_of (s), ==, BGS_SERVICE_STATE_RUNNING);
  g_assert_cmpuint (bgs_service_get_n_restarts (s), ==, 1);
  g_assert_cmpuint (n_restarts_notified, ==, 1);
  g_assert_cmpfloat (start_gap_ms (&recorder, 0), >=, 50 - 1);
  g_assert_cmpfloat (start_gap_ms (&recorder, 0), <, 50 + LATE_MS);

  /* is-running never dropped; the run has not ended. */
  g_assert_cmpuint (recorder.n_running, ==, 1);
  g_assert_cmpuint (recorder.n_stopped, ==, 0);
  g_assert_cmpuint (recorder.n_run_ended, ==, 0);

  /* last-error was set at the restart, without a wait. */
  {
    g_autoptr(GError) last = bgs_service_dup_last_error (s);

    g_assert_error (test_error_at (last, 0), TEST_ERROR, 3);
  }

  /* A run whose restarted work ended cleanly is over; it had failures. */
  recorder_detach (&recorder, service);
  test_wait_until (!bgs_service_is_running (s));
  g_assert_cmpint (state_of (s), ==, BGS_SERVICE_STATE_FAILED);
  g_assert_cmpuint (bgs_service_get_n_restarts (s), ==, 1);

  /* A start by hand counts from 0 again. */
  bgs_service_start (s);
  g_assert_cmpuint (bgs_service_get_n_restarts (s), ==, 0);
  g_assert_cmpint (state_of (s), ==, BGS_SERVICE_STATE_RUNNING);
  test_wait_until (!bgs_service_is_running (s));
}

/* ON_FAILURE leaves a clean run alone; ALWAYS restarts it too. */
static void
test_restart_clean_runs (void)
{
  g_autoptr(TestService) on_failure = test_service_new_fake ("on-failure", 5, NULL);
  g_autoptr(TestService) always = test_service_new_fake ("always", 5, NULL);
  g_autoptr(GError) error = NULL;

  g_object_set (on_failure, "restart", BGS_RESTART_ON_FAILURE, "restart-delay-ms", 0, NULL);
  g_object_set (always, "restart", BGS_RESTART_ALWAYS, "restart-delay-ms", 0,
                "start-limit-interval-ms", 0, NULL);

  bgs_service_start (BGS_SERVICE (on_failure));
  bgs_service_start (BGS_SERVICE (always));
  test_wait_until (always->n_starts >= 4);

  g_assert_cmpuint (on_failure->n_starts, ==, 1);
  g_assert_cmpint (state_of (on_failure), ==, BGS_SERVICE_STATE_STOPPED);
  g_assert_true (bgs_service_is_running (BGS_SERVICE (always)));

  /* Stopped by hand: stopped, not failed, and never restarted again. */
  g_assert_true (bgs_service_stop (BGS_SERVICE (always), "enough", NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (state_of (always), ==, BGS_SERVICE_STATE_STOPPED);
  {
    guint starts = always->n_starts;

    test_iterate_for (30);
    g_assert_cmpuint (always->n_starts, ==, starts);
  }
}

/* The delay doubles at each restart up to the cap; without a cap it stays;
 * a cap below the delay caps every delay. */
static void
test_backoff (void)
{
  static const struct {
    guint delay, max;
    guint expected[4];
  } cases[] = {
    { 40, 250, { 40, 80, 160, 250 } },
    { 40, 0, { 40, 40, 40, 40 } },
    { 80, 30, { 30, 30, 30, 30 } },
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autoptr(TestService) service = failing_service_new ("backoff", BGS_RESTART_ON_FAILURE,
                                                            cases[c].delay, 10);
      Recorder recorder = { 0 };

      g_object_set (service, "restart-max-delay-ms", cases[c].max, NULL);
      recorder_attach (&recorder, service);
      bgs_service_start (BGS_SERVICE (service));
      test_wait_until (recorder.starts->len >= 5);

      for (guint i = 0; i < 4; i++)
        {
          g_test_message ("case %u, restart %u: %.1f ms, expected %u", c, i + 1,
                          start_gap_ms (&recorder, i), cases[c].expected[i]);
          g_assert_cmpfloat (start_gap_ms (&recorder, i), >=, cases[c].expected[i] - 1);
          g_assert_cmpfloat (start_gap_ms (&recorder, i), <, cases[c].expected[i] + LATE_MS);
        }

      recorder_detach (&recorder, service);
      bgs_service_stop (BGS_SERVICE (service), NULL, NULL, NULL);
    }
}

/* The restart that would be the burst + 1-th within the interval does not
 * happen: the service ends failed, with every failure of every attempt. */
static void
test_start_limit (void)
{
  g_autoptr(TestService) service = failing_service_new ("limited", BGS_RESTART_ON_FAILURE, 0, 3);
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) last = NULL;
  Recorder recorder = { 0 };

  recorder_attach (&recorder, service);
  bgs_service_start (s);
  bgs_service_wait_async (s, NULL, test_store_result, &result);
  test_wait_until (result != NULL);

  g_assert_cmpint (state_of (s), ==, BGS_SERVICE_STATE_FAILED);
  g_assert_cmpuint (service->n_starts, ==, 4);
  g_assert_cmpuint (bgs_service_get_n_restarts (s), ==, 3);
  g_assert_cmpuint (recorder.n_run_ended, ==, 1);
  g_assert_true (recorder_saw_state (&recorder, BGS_SERVICE_STATE_RESTARTING));

  /* The wait, last-error and the run-ended signal agree: four failures. */
  g_assert_false (bgs_service_wait_finish (s, result, &error));
  g_assert_cmpuint (bgs_error_get_errors (error)->len, ==, 4);
  last = bgs_service_dup_last_error (s);
  g_assert_cmpstr (last->message, ==, error->message);

  /* Under ALWAYS, clean runs hit the limit too, and fail without errors. */
  g_clear_error (&error);
  g_clear_error (&service->start_error);
  g_object_set (service, "restart", BGS_RESTART_ALWAYS, "start-limit-burst", 2, NULL);
  bgs_service_start (s);
  test_wait_until (state_of (s) == BGS_SERVICE_STATE_FAILED);
  g_assert_cmpuint (bgs_service_get_n_restarts (s), ==, 2);
  g_assert_null (bgs_service_dup_last_error (s));

  /* A burst of 0 never restarts. */
  g_object_set (service, "start-limit-burst", 0, NULL);
  bgs_service_start (s);
  test_wait_until (state_of (s) == BGS_SERVICE_STATE_FAILED);
  g_assert_cmpuint (bgs_service_get_n_restarts (s), ==, 0);

  recorder_detach (&recorder, service);
}

/* Restarts spread wider than the interval are never limited; an interval
 * of 0 means no limit at all. */
static void
test_start_limit_window (void)
{
  g_autoptr(TestService) spread = failing_service_new ("spread", BGS_RESTART_ON_FAILURE, 60, 1);
  g_autoptr(TestService) unlimited = failing_service_new ("unlimited", BGS_RESTART_ON_FAILURE, 0, 1);

  g_object_set (spread, "start-limit-interval-ms", 40, NULL);
  g_object_set (unlimited, "start-limit-interval-ms", 0, NULL);
  bgs_service_start (BGS_SERVICE (spread));
  bgs_service_start (BGS_SERVICE (unlimited));

  test_wait_until (spread->n_starts >= 5 && unlimited->n_starts >= 20);
  g_assert_cmpint (state_of (spread), !=, BGS_SERVICE_STATE_FAILED);
  g_assert_cmpint (state_of (unlimited), !=, BGS_SERVICE_STATE_FAILED);

  bgs_service_cancel (BGS_SERVICE (spread), NULL);
  bgs_service_cancel (BGS_SERVICE (unlimited), NULL);
  test_wait_until (!bgs_service_is_running (BGS_SERVICE (spread)) &&
                   !bgs_service_is_running (BGS_SERVICE (unlimited)));
}

/* Cancel or stop during the delay drops the pending restart; during the
 * wind-down of a failed run, they turn the restart into a stop. */
static void
test_cancel_drops_restart (void)
{
  g_autoptr(TestService) service = failing_service_new ("dropped", BGS_RESTART_ON_FAILURE, 10000, 5);
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GError) error = NULL;
  Recorder recorder = { 0 };
  GTask *stubborn;

  recorder_attach (&recorder, service);
  bgs_service_start (s);
  test_wait_until (state_of (s) == BGS_SERVICE_STATE_RESTARTING &&
                   bgs_service_get_n_tasks (s) == 0);
  g_assert_true (bgs_service_is_running (s));

  /* Restarting says why before the restart comes. */
  {
    g_autoptr(GError) last = bgs_service_dup_last_error (s);

    g_assert_error (test_error_at (last, 0), TEST_ERROR, 1);
  }

  /* Stop during the delay: the run ends at once with its failure. */
  g_assert_false (bgs_service_stop (s, "no restart", NULL, &error));
  g_assert_error (test_error_at (error, 0), TEST_ERROR, 1);
  g_assert_cmpint (state_of (s), ==, BGS_SERVICE_STATE_STOPPED);
  g_assert_false (bgs_service_is_running (s));
  g_assert_cmpuint (recorder.n_run_ended, ==, 1);
  test_iterate_for (20);
  g_assert_cmpuint (service->n_starts, ==, 1);
  g_clear_error (&error);

  /* Cancel while the failed run's other tasks wind down: a task that
   * ignores its cancellable keeps the run going until it ends. */
  g_clear_error (&service->start_error);
  service->n_start_tasks = 0;
  bgs_service_start (s);
  stubborn = bgs_service_task_new (s, "stubborn");
  test_task_spawn (s, "failing", 0, g_error_new_literal (TEST_ERROR, 2, "again"));
  test_wait_until (state_of (s) == BGS_SERVICE_STATE_RESTARTING);
  bgs_service_cancel (s, "not now");
  g_assert_cmpint (state_of (s), ==, BGS_SERVICE_STATE_STOPPING);
  g_task_return_boolean (stubborn, TRUE);
  g_object_unref (stubborn);
  test_wait_until (!bgs_service_is_running (s));
  g_assert_cmpint (state_of (s), ==, BGS_SERVICE_STATE_STOPPED);
  g_assert_cmpuint (service->n_starts, ==, 2);

  recorder_detach (&recorder, service);
}

/* A start by hand does nothing while a restart is pending: the service
 * counts as running. */
static void
test_start_while_restarting (void)
{
  g_autoptr(TestService) service = failing_service_new ("pending", BGS_RESTART_ON_FAILURE, 10000, 5);
  BgsService *s = BGS_SERVICE (service);

  bgs_service_start (s);
  test_wait_until (state_of (s) == BGS_SERVICE_STATE_RESTARTING && bgs_service_get_n_tasks (s) == 0);
  bgs_service_start (s);
  g_assert_cmpuint (service->n_starts, ==, 1);
  g_assert_cmpint (state_of (s), ==, BGS_SERVICE_STATE_RESTARTING);
  bgs_service_cancel (s, NULL);
  g_assert_false (bgs_service_is_running (s));
}

/* A policy turned off while a failed run winds down: no restart, failed. */
static void
test_policy_changed_during_wind_down (void)
{
  g_autoptr(TestService) service = test_service_new ("changed");
  BgsService *s = BGS_SERVICE (service);

  GTask *stubborn;

  bgs_service_set_restart (s, BGS_RESTART_ON_FAILURE);
  bgs_service_start (s);
  stubborn = bgs_service_task_new (s, "stubborn");
  test_task_spawn (s, "failing", 0, g_error_new_literal (TEST_ERROR, 1, "x"));
  test_wait_until (state_of (s) == BGS_SERVICE_STATE_RESTARTING);
  bgs_service_set_restart (s, BGS_RESTART_NO);
  g_task_return_boolean (stubborn, TRUE);
  g_object_unref (stubborn);
  test_wait_until (!bgs_service_is_running (s));
  g_assert_cmpint (state_of (s), ==, BGS_SERVICE_STATE_FAILED);
  g_assert_cmpuint (service->n_starts, ==, 1);
}

/* ---- results of runs ------------------------------------------------------ */

/* A wait pending across restarts completes when the run ends, with every
 * failure in order; runs nobody waited for reach the next wait. */
static void
test_failures_across_runs (void)
{
  g_autoptr(TestService) service = failing_service_new ("history", BGS_RESTART_ON_FAILURE, 0, 2);
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GError) error = NULL;
  GPtrArray *errors;

  /* Two runs of three failures each, nobody waiting. */
  bgs_service_start (s);
  test_wait_until (state_of (s) == BGS_SERVICE_STATE_FAILED);
  bgs_service_start (s);
  test_wait_until (state_of (s) == BGS_SERVICE_STATE_FAILED);

  g_assert_false (bgs_service_wait (s, NULL, &error));
  errors = bgs_error_get_errors (error);
  g_assert_cmpuint (errors->len, ==, 6);
  for (guint i = 0; i < errors->len; i++)
    {
      g_autofree char *expected = g_strdup_printf ("task-%u", i + 1);

      g_assert_cmpstr (bgs_error_get_names (error)[i], ==, expected);
    }
  g_clear_error (&error);

  /* Reported once to the library's waits; last-error still shows the last
   * run's three. */
  g_assert_true (bgs_service_wait (s, NULL, &error));
  {
    g_autoptr(GPtrArray) failures = bgs_service_get_last_failures (s);

    g_assert_cmpuint (failures->len, ==, 3);
    g_assert_cmpstr (bgs_failure_get_task (failures->pdata[0]), ==, "task-4");
  }
}

/* A group holds at most 1,000 failures, the newest, and says how many
 * older ones it dropped. */
static void
test_failure_cap (void)
{
  g_autoptr(TestService) service = failing_service_new ("flood", BGS_RESTART_ALWAYS, 0, 1);
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) last = NULL;
  g_autofree char *newest = NULL;
  g_autofree char *dropped = NULL;
  Recorder recorder = { 0 };
  GPtrArray *errors;

  g_object_set (service, "start-limit-interval-ms", 0, NULL);
  recorder_attach (&recorder, service);
  bgs_service_start (s);
  test_wait_until (recorder.n_task_failed >= 1005);
  g_assert_false (bgs_service_stop (s, NULL, NULL, &error));

  /* The stop may have cancelled the last start's task before it failed. */
  errors = bgs_error_get_errors (error);
  g_assert_cmpuint (errors->len, ==, 1000);
  newest = g_strdup_printf ("task-%u", recorder.n_task_failed);
  g_assert_cmpstr (bgs_error_get_names (error)[999], ==, newest);
  dropped = g_strdup_printf ("(%u earlier failures were dropped", recorder.n_task_failed - 1000);
  g_assert_nonnull (strstr (error->message, dropped));
  last = bgs_service_dup_last_error (s);
  g_assert_cmpuint (bgs_error_get_errors (last)->len, ==, 1000);
  g_assert_cmpstr (last->message, ==, error->message);
  recorder_detach (&recorder, service);
}

/* run-ended: once per run, after restarts, with the run's failures; the
 * state is already the end state. */
static void
on_run_ended_check (BgsService   *service,
                    const GError *failures,
                    gpointer      user_data)
{
  guint *count = user_data;

  (*count)++;
  g_assert_false (bgs_service_is_running (service));
  g_assert_cmpint (bgs_service_get_state (service), ==, BGS_SERVICE_STATE_FAILED);
  g_assert_cmpuint (bgs_error_get_errors (failures)->len, ==, 2);
}

static void
test_run_ended_signal (void)
{
  g_autoptr(TestService) service = failing_service_new ("signalled", BGS_RESTART_ON_FAILURE, 0, 1);
  guint count = 0;

  g_signal_connect (service, "run-ended", G_CALLBACK (on_run_ended_check), &count);
  bgs_service_start (BGS_SERVICE (service));
  test_wait_until (state_of (service) == BGS_SERVICE_STATE_FAILED);
  test_iterate_for (10);
  g_assert_cmpuint (count, ==, 1);
}

/* Failures as values: groups of members name the member; other errors
 * give one failure without a task. */
static void
test_list_failures (void)
{
  g_autoptr(GError) plain = g_error_new_literal (TEST_ERROR, 8, "plain");
  g_autoptr(GPtrArray) from_plain = bgs_error_list_failures (plain, "svc");
  g_autoptr(BgsManager) manager = bgs_manager_new ("m");
  g_autoptr(TestService) member = test_service_new_fake ("member", 0,
                                                         g_error_new_literal (TEST_ERROR, 9, "nine"));
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) from_manager = NULL;
  g_autoptr(GError) copy = NULL;

  g_assert_cmpuint (from_plain->len, ==, 1);
  g_assert_cmpstr (bgs_failure_get_service (from_plain->pdata[0]), ==, "svc");
  g_assert_null (bgs_failure_get_task (from_plain->pdata[0]));
  copy = bgs_failure_to_error (from_plain->pdata[0]);
  g_assert_error (copy, TEST_ERROR, 8);

  g_assert_true (bgs_manager_add (manager, BGS_SERVICE (member), NULL));
  bgs_service_start (BGS_SERVICE (manager));
  g_assert_false (bgs_service_wait (BGS_SERVICE (manager), NULL, &error));
  from_manager = bgs_service_get_last_failures (BGS_SERVICE (manager));
  g_assert_cmpuint (from_manager->len, ==, 1);
  g_assert_cmpstr (bgs_failure_get_service (from_manager->pdata[0]), ==, "member");
  g_assert_cmpstr (bgs_failure_get_task (from_manager->pdata[0]), ==, "task-1");
  g_assert_cmpint (bgs_failure_get_code (from_manager->pdata[0]), ==, 9);
}

/* ---- managers ----------------------------------------------------------- */

/* one_for_all: a member that ends failed makes the manager cancel the
 * others and start them all again after the manager's delay. */
static void
test_manager_one_for_all (void)
{
  g_autoptr(BgsManager) manager = bgs_manager_new ("supervisor");
  BgsService *m = BGS_SERVICE (manager);
  g_autoptr(TestService) crasher = test_service_new_fake ("crasher", 10,
                                                          g_error_new_literal (TEST_ERROR, 1, "crash"));
  g_autoptr(TestService) steady = test_service_new_fake ("steady", TEST_FOREVER, NULL);
  g_autoptr(GError) error = NULL;

  g_object_set (manager, "restart", BGS_RESTART_ON_FAILURE, "restart-delay-ms", 20, NULL);
  g_assert_true (bgs_manager_add (manager, BGS_SERVICE (crasher), NULL));
  g_assert_true (bgs_manager_add (manager, BGS_SERVICE (steady), NULL));

  bgs_service_start (m);
  test_wait_until (steady->n_starts == 2);
  g_assert_cmpuint (crasher->n_starts, ==, 2);
  g_assert_cmpuint (bgs_service_get_n_restarts (m), ==, 1);
  g_assert_cmpint (state_of (m), ==, BGS_SERVICE_STATE_RUNNING);
  g_assert_cmpint (state_of (steady), ==, BGS_SERVICE_STATE_RUNNING);

  /* The manager's last-error holds the member's group. */
  {
    g_autoptr(GError) last = bgs_service_dup_last_error (m);

    g_assert_cmpstr (bgs_error_get_names (last)[0], ==, "crasher");
    g_assert_error (test_error_at (test_error_at (last, 0), 0), TEST_ERROR, 1);
  }

  /* Stopped by hand: no restart of anyone. */
  g_assert_false (bgs_service_stop (m, NULL, NULL, &error));
  g_assert_cmpint (state_of (m), ==, BGS_SERVICE_STATE_STOPPED);
  test_iterate_for (50);
  g_assert_cmpuint (steady->n_starts, ==, 2);
}

/* one_for_one first: a member's own policy restarts it alone; the manager
 * only acts once the member gives up (its start limit). */
static void
test_manager_one_for_one_first (void)
{
  g_autoptr(BgsManager) manager = bgs_manager_new ("tree");
  BgsService *m = BGS_SERVICE (manager);
  g_autoptr(TestService) crasher = failing_service_new ("crasher", BGS_RESTART_ON_FAILURE, 0, 2);
  g_autoptr(TestService) steady = test_service_new_fake ("steady", TEST_FOREVER, NULL);

  g_object_set (manager, "restart", BGS_RESTART_ON_FAILURE, "restart-delay-ms", 0,
                "start-limit-burst", 1, NULL);
  g_assert_true (bgs_manager_add (manager, BGS_SERVICE (crasher), NULL));
  g_assert_true (bgs_manager_add (manager, BGS_SERVICE (steady), NULL));

  bgs_service_start (m);
  /* The crasher restarts itself twice, fails, the manager restarts both;
   * again, and the manager's own limit (1) makes it fail. */
  test_wait_until (state_of (m) == BGS_SERVICE_STATE_FAILED);
  g_assert_cmpuint (crasher->n_starts, ==, 6);
  g_assert_cmpuint (steady->n_starts, ==, 2);
  g_assert_cmpuint (bgs_service_get_n_restarts (m), ==, 1);
  g_assert_false (bgs_service_is_running (BGS_SERVICE (steady)));
  g_assert_cmpint (state_of (crasher), ==, BGS_SERVICE_STATE_FAILED);

  /* The manager's run: two groups of three failures of the crasher. */
  {
    g_autoptr(GError) last = bgs_service_dup_last_error (m);

    g_assert_cmpuint (bgs_error_get_errors (last)->len, ==, 2);
    g_assert_cmpuint (bgs_error_get_errors (test_error_at (last, 1))->len, ==, 3);
  }
}

/* Managers nest: a failed member deep down restarts the nearest manager
 * with a policy, and no other. */
static void
test_manager_nested_supervision (void)
{
  g_autoptr(BgsManager) top = bgs_manager_new ("top");
  g_autoptr(BgsManager) inner = bgs_manager_new ("inner");
  g_autoptr(TestService) crasher = test_service_new_fake ("crasher", 5,
                                                          g_error_new_literal (TEST_ERROR, 1, "deep"));
  g_autoptr(TestService) sibling = test_service_new_fake ("sibling", TEST_FOREVER, NULL);

  g_object_set (inner, "restart", BGS_RESTART_ON_FAILURE, "restart-delay-ms", 0, NULL);
  g_assert_true (bgs_manager_add (inner, BGS_SERVICE (crasher), NULL));
  g_assert_true (bgs_manager_add (top, BGS_SERVICE (inner), NULL));
  g_assert_true (bgs_manager_add (top, BGS_SERVICE (sibling), NULL));

  bgs_service_start (BGS_SERVICE (top));
  test_wait_until (bgs_service_get_n_restarts (BGS_SERVICE (inner)) >= 2);
  g_assert_cmpuint (sibling->n_starts, ==, 1);
  g_assert_cmpint (state_of (top), ==, BGS_SERVICE_STATE_RUNNING);
  g_assert_cmpuint (bgs_service_get_n_restarts (BGS_SERVICE (top)), ==, 0);

  bgs_service_stop (BGS_SERVICE (top), NULL, NULL, NULL);
  g_assert_false (bgs_service_is_running (BGS_SERVICE (inner)));
}

/* Removing a member that runs lets a manager's run end without it. */
static void
test_manager_remove_running (void)
{
  g_autoptr(BgsManager) manager = bgs_manager_new ("m");
  g_autoptr(TestService) member = test_service_new_fake ("member", TEST_FOREVER, NULL);

  g_assert_true (bgs_manager_add (manager, BGS_SERVICE (member), NULL));
  bgs_service_start (BGS_SERVICE (manager));
  g_assert_true (bgs_service_is_running (BGS_SERVICE (manager)));
  g_assert_true (bgs_manager_remove (manager, "member", NULL));
  g_assert_false (bgs_service_is_running (BGS_SERVICE (manager)));
  g_assert_true (bgs_service_is_running (BGS_SERVICE (member)));
  bgs_service_stop (BGS_SERVICE (member), NULL, NULL, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/supervision/policy-properties", test_policy_properties);
  g_test_add_func ("/supervision/failed-state", test_failed_state);
  g_test_add_func ("/supervision/restart/on-failure", test_restart_on_failure);
  g_test_add_func ("/supervision/restart/clean-runs", test_restart_clean_runs);
  g_test_add_func ("/supervision/restart/backoff", test_backoff);
  g_test_add_func ("/supervision/restart/start-limit", test_start_limit);
  g_test_add_func ("/supervision/restart/start-limit-window", test_start_limit_window);
  g_test_add_func ("/supervision/restart/cancel-drops-restart", test_cancel_drops_restart);
  g_test_add_func ("/supervision/restart/start-while-restarting", test_start_while_restarting);
  g_test_add_func ("/supervision/restart/policy-changed", test_policy_changed_during_wind_down);
  g_test_add_func ("/supervision/results/across-runs", test_failures_across_runs);
  g_test_add_func ("/supervision/results/cap", test_failure_cap);
  g_test_add_func ("/supervision/results/run-ended", test_run_ended_signal);
  g_test_add_func ("/supervision/results/list-failures", test_list_failures);
  g_test_add_func ("/supervision/manager/one-for-all", test_manager_one_for_all);
  g_test_add_func ("/supervision/manager/one-for-one-first", test_manager_one_for_one_first);
  g_test_add_func ("/supervision/manager/nested", test_manager_nested_supervision);
  g_test_add_func ("/supervision/manager/remove-running", test_manager_remove_running);

  return g_test_run ();
}
