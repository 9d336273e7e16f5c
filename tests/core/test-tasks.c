/* SPDX-License-Identifier: MIT */
/* test-tasks.c: the tasks of a service: bgs_service_task_new(),
 * bgs_service_spawn_thread() and bgs_service_spawn_periodic(), and the
 * destroy notifies of the spawners on every path a task can end by. */
#include <string.h>

#include "core-test-util.h"

#define TEST_ERROR (g_quark_from_static_string ("test-error-domain"))

static GThread *main_thread;

/* ---- bgs_service_task_new ------------------------------------------------ */

static void
test_task_new (void)
{
  g_autoptr(TestService) service = test_service_new ("test");
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tasks = NULL;
  GTask *task = bgs_service_task_new (s, "named");
  GCancellable *cancellable = g_task_get_cancellable (task);

  g_assert_true (G_IS_TASK (task));
  g_assert_true (g_task_get_source_object (task) == (gpointer) s);
  g_assert_true (G_IS_CANCELLABLE (cancellable));
  g_assert_false (g_cancellable_is_cancelled (cancellable));
  g_assert_cmpstr (g_task_get_name (task), ==, "named");
  g_assert_true (bgs_service_is_running (s));
  g_assert_cmpuint (bgs_service_get_n_tasks (s), ==, 1);

  tasks = bgs_service_get_tasks (s);
  g_assert_cmpuint (tasks->len, ==, 1);
  g_assert_true (tasks->pdata[0] == task);

  bgs_service_cancel (s, "test");
  g_assert_true (g_cancellable_is_cancelled (cancellable));
  g_assert_true (bgs_service_is_running (s));
  g_assert_true (g_task_return_error_if_cancelled (task));
  g_object_unref (task);

  g_assert_true (bgs_service_wait (s, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (bgs_service_is_running (s));
}

/* Tasks made between two cancels share a cancellable; a cancel reaches
 * them all, and later tasks get a fresh one. */
static void
test_task_new_generations (void)
{
  g_autoptr(TestService) service = test_service_new ("test");
  BgsService *s = BGS_SERVICE (service);
  GTask *a = bgs_service_task_new (s, "a");
  GTask *b = bgs_service_task_new (s, "b");
  GTask *c, *d;

  g_assert_true (g_task_get_cancellable (a) == g_task_get_cancellable (b));
  bgs_service_cancel (s, NULL);
  g_assert_true (g_cancellable_is_cancelled (g_task_get_cancellable (b)));

  c = bgs_service_task_new (s, "c");
  d = bgs_service_task_new (s, "d");
  g_assert_true (g_task_get_cancellable (c) != g_task_get_cancellable (a));
  g_assert_true (g_task_get_cancellable (c) == g_task_get_cancellable (d));
  g_assert_false (g_cancellable_is_cancelled (g_task_get_cancellable (c)));

  g_task_return_error_if_cancelled (a);
  g_task_return_error_if_cancelled (b);
  g_task_return_boolean (c, TRUE);
  g_task_return_boolean (d, TRUE);
  g_object_unref (a);
  g_object_unref (b);
  g_object_unref (c);
  g_object_unref (d);
  test_service_stop_and_unref (g_steal_pointer (&service));
}

static gboolean
has_name (GPtrArray  *tasks,
          const char *name)
{
  for (guint i = 0; i < tasks->len; i++)
    if (g_strcmp0 (g_task_get_name (tasks->pdata[i]), name) == 0)
      return TRUE;

  return FALSE;
}

/* A task made without a name gets "task-N", N counting the service's
 * tasks, when the service lists it (or reports its failure). */
static void
test_task_new_default_name (void)
{
  g_autoptr(TestService) service = test_service_new ("test");
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GPtrArray) tasks = NULL;
  GTask *first = bgs_service_task_new (s, NULL);
  GTask *named = bgs_service_task_new (s, "x");
  GTask *third = bgs_service_task_new (s, NULL);

  g_assert_null (g_task_get_name (first));
  g_assert_null (g_task_get_name (third));

  tasks = bgs_service_get_tasks (s);
  g_assert_cmpuint (tasks->len, ==, 3);
  g_assert_true (has_name (tasks, "task-1"));
  g_assert_true (has_name (tasks, "x"));
  g_assert_true (has_name (tasks, "task-3"));
  g_assert_cmpstr (g_task_get_name (first), ==, "task-1");
  g_assert_cmpstr (g_task_get_name (named), ==, "x");
  g_assert_cmpstr (g_task_get_name (third), ==, "task-3");

  g_task_return_boolean (first, TRUE);
  g_task_return_boolean (named, TRUE);
  g_task_return_boolean (third, TRUE);
  g_object_unref (first);
  g_object_unref (named);
  g_object_unref (third);
  test_service_stop_and_unref (g_steal_pointer (&service));
}

/* bgs_service_get_tasks() lists the tasks without owning them. */
static void
test_get_tasks (void)
{
  g_autoptr(TestService) service = test_service_new ("test");
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GPtrArray) empty = bgs_service_get_tasks (s);
  GPtrArray *tasks;
  GTask *mine[5];

  g_assert_cmpuint (empty->len, ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (mine); i++)
    mine[i] = bgs_service_task_new (s, NULL);

  /* One ends, so that the set has a hole. */
  g_task_return_boolean (mine[1], TRUE);
  g_clear_object (&mine[1]);
  test_wait_until (bgs_service_get_n_tasks (s) == 4);

  tasks = bgs_service_get_tasks (s);
  g_assert_cmpuint (tasks->len, ==, 4);
  for (guint i = 0; i < G_N_ELEMENTS (mine); i++)
    if (mine[i] != NULL)
      {
        guint index;

        g_assert_true (g_ptr_array_find (tasks, mine[i], &index));
      }
  g_ptr_array_unref (tasks);

  for (guint i = 0; i < G_N_ELEMENTS (mine); i++)
    if (mine[i] != NULL)
      {
        g_assert_true (G_IS_TASK (mine[i]));
        g_task_return_boolean (mine[i], TRUE);
        g_object_unref (mine[i]);
      }
  test_service_stop_and_unref (g_steal_pointer (&service));
}

/* The value a task returns is discarded, and freed. */
static void
test_task_new_value_discarded (void)
{
  g_autoptr(TestService) service = test_service_new ("test");
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GError) error = NULL;
  TestDestroyRecord record = { 0, };
  GTask *task = bgs_service_task_new (s, "value");

  g_task_return_pointer (task, &record, test_destroy_record);
  g_object_unref (task);
  g_assert_true (bgs_service_wait (s, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (record.n_calls, ==, 1);
}

/* ---- threads ------------------------------------------------------------ */

typedef enum
{
  THREAD_SUCCEED,
  THREAD_FAIL,
  THREAD_FALSE_WITHOUT_ERROR,
  THREAD_UNTIL_CANCELLED,
} ThreadMode;

/* ThreadWork: the user data of a thread task. Its first member lets
 * test_destroy_record() be the destroy notify. */
typedef struct
{
  TestDestroyRecord destroyed;
  ThreadMode        mode;
  int               started;      /* atomic */
  GThread          *thread;       /* where the work ran */
  BgsService       *service;      /* what the work was given */
  GCancellable     *cancellable;
  gboolean          saw_cancel;
} ThreadWork;

static gboolean
thread_work (BgsService    *service,
             GCancellable  *cancellable,
             gpointer       user_data,
             GError       **error)
{
  ThreadWork *work = user_data;
  gint64 deadline = g_get_monotonic_time () + test_timeout_us ();

  work->thread = g_thread_self ();
  work->service = service;
  work->cancellable = cancellable;
  g_atomic_int_set (&work->started, 1);

  switch (work->mode)
    {
    case THREAD_SUCCEED:
      return TRUE;

    case THREAD_FAIL:
      g_set_error_literal (error, TEST_ERROR, 11, "thread failed");
      return FALSE;

    case THREAD_FALSE_WITHOUT_ERROR:
      return FALSE;

    case THREAD_UNTIL_CANCELLED:
      /* The work polls its cancellable, as the API asks. */
      while (!g_cancellable_is_cancelled (cancellable))
        {
          if (g_get_monotonic_time () > deadline)
            {
              g_set_error_literal (error, TEST_ERROR, 12, "never cancelled");
              return FALSE;
            }
          g_usleep (1000);
        }
      work->saw_cancel = TRUE;
      g_cancellable_set_error_if_cancelled (cancellable, error);
      return FALSE;
    }

  g_assert_not_reached ();
}

/* The work runs in another thread with the service and the task's
 * cancellable; the task is named eagerly. */
static void
test_thread_runs (void)
{
  g_autoptr(TestService) service = test_service_new ("test");
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GError) error = NULL;
  ThreadWork work = { .mode = THREAD_SUCCEED };
  g_autoptr(GTask) task = NULL;

  task = g_object_ref (bgs_service_spawn_thread (s, NULL, thread_work, &work, test_destroy_record));
  g_assert_true (G_IS_TASK (task));
  g_assert_cmpstr (g_task_get_name (task), ==, "thread-1");
  g_assert_true (g_task_get_source_object (task) == (gpointer) s);
  g_assert_true (bgs_service_is_running (s));

  g_assert_true (bgs_service_wait (s, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (work.thread != main_thread);
  g_assert_true (work.service == s);
  g_assert_true (work.cancellable == g_task_get_cancellable (task));
  g_assert_cmpuint (work.destroyed.n_calls, ==, 1);
  g_assert_true (work.destroyed.thread == main_thread);
}

/* FALSE with an error fails the task with that error; FALSE without one
 * fails it too, with a BGS_ERROR_FAILED. */
static void
test_thread_fails (gconstpointer data)
{
  ThreadMode mode = GPOINTER_TO_INT (data);
  g_autoptr(TestService) service = test_service_new ("test");
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GError) error = NULL;
  ThreadWork work = { .mode = mode };
  const GError *failure;

  bgs_service_spawn_thread (s, "worker", thread_work, &work, test_destroy_record);
  g_assert_false (bgs_service_wait (s, NULL, &error));
  g_assert_error (error, BGS_ERROR, BGS_ERROR_TASKS_FAILED);
  g_assert_cmpuint (bgs_error_get_errors (error)->len, ==, 1);
  g_assert_cmpstr (bgs_error_get_names (error)[0], ==, "worker");

  failure = test_error_at (error, 0);
  if (mode == THREAD_FAIL)
    {
      g_assert_error (failure, TEST_ERROR, 11);
      g_assert_cmpstr (failure->message, ==, "thread failed");
    }
  else
    {
      g_assert_error (failure, BGS_ERROR, BGS_ERROR_FAILED);
      g_assert_nonnull (strstr (failure->message, "worker"));
    }

  g_assert_cmpuint (work.destroyed.n_calls, ==, 1);
  g_assert_true (work.destroyed.thread == main_thread);
}

/* The work sees the cancel of the service, and the task ends cleanly. */
static void
test_thread_cancel (void)
{
  g_autoptr(TestService) service = test_service_new ("test");
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GError) error = NULL;
  ThreadWork work = { .mode = THREAD_UNTIL_CANCELLED };

  bgs_service_spawn_thread (s, "poller", thread_work, &work, test_destroy_record);
  test_wait_until (g_atomic_int_get (&work.started));
  test_iterate_for (10);
  g_assert_true (bgs_service_is_running (s));
  g_assert_cmpuint (work.destroyed.n_calls, ==, 0);

  g_assert_true (bgs_service_stop (s, "test", NULL, &error));
  g_assert_no_error (error);
  g_assert_true (work.saw_cancel);
  g_assert_cmpuint (work.destroyed.n_calls, ==, 1);
  g_assert_true (work.destroyed.thread == main_thread);
}

/* Many threads at once, some failing: each failure is reported once. */
static void
test_thread_many (void)
{
  g_autoptr(TestService) service = test_service_new ("test");
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GError) error = NULL;
  ThreadWork works[16];

  for (guint i = 0; i < G_N_ELEMENTS (works); i++)
    {
      works[i] = (ThreadWork) { .mode = i % 4 == 0 ? THREAD_FAIL : THREAD_SUCCEED };
      bgs_service_spawn_thread (s, NULL, thread_work, &works[i], test_destroy_record);
    }

  g_assert_false (bgs_service_wait (s, NULL, &error));
  g_assert_cmpuint (bgs_error_get_errors (error)->len, ==, 4);
  for (guint i = 0; i < G_N_ELEMENTS (works); i++)
    g_assert_cmpuint (works[i].destroyed.n_calls, ==, 1);
}

/* ---- periodic ------------------------------------------------------------- */

/* TickWork: the user data of a periodic task; see ThreadWork. */
typedef struct
{
  TestDestroyRecord destroyed;
  guint             interval_ms;
  guint             stop_at;      /* the tick that returns FALSE; 0: never */
  gboolean          fail;         /* ... with an error */
  guint             ticks;
  gint64            first_tick;   /* monotonic time of each */
  gint64            last_tick;
  BgsService       *service;
  GThread          *thread;
} TickWork;

static gboolean
tick_work (BgsService  *service,
           gpointer     user_data,
           GError     **error)
{
  TickWork *work = user_data;
  gint64 now = g_get_monotonic_time ();

  work->ticks++;
  if (work->ticks == 1)
    work->first_tick = now;
  work->last_tick = now;
  work->service = service;
  work->thread = g_thread_self ();

  if (work->ticks != work->stop_at)
    return TRUE;

  if (work->fail)
    g_set_error (error, TEST_ERROR, 21, "tick %u failed", work->ticks);
  return FALSE;
}

/* The first tick comes one interval after the spawn, on the service's
 * thread; FALSE without an error ends the task cleanly, and no tick
 * follows. */
static void
test_periodic_ends_cleanly (void)
{
  g_autoptr(TestService) service = test_service_new ("test");
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GError) error = NULL;
  TickWork work = { .interval_ms = 30, .stop_at = 3 };
  gint64 spawned = g_get_monotonic_time ();
  GTask *task;

  task = bgs_service_spawn_periodic (s, NULL, work.interval_ms, tick_work, &work,
                                     test_destroy_record);
  g_assert_cmpstr (g_task_get_name (task), ==, "periodic-1");
  g_assert_true (bgs_service_is_running (s));
  g_assert_cmpuint (work.ticks, ==, 0);

  g_assert_true (bgs_service_wait (s, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (work.ticks, ==, 3);
  g_assert_cmpint (work.first_tick - spawned, >=, work.interval_ms * 1000);
  g_assert_cmpint (work.last_tick - spawned, >=, 3 * work.interval_ms * 1000);
  g_assert_true (work.service == s);
  g_assert_true (work.thread == main_thread);
  g_assert_cmpuint (work.destroyed.n_calls, ==, 1);
  g_assert_true (work.destroyed.thread == main_thread);

  test_iterate_for (3 * work.interval_ms);
  g_assert_cmpuint (work.ticks, ==, 3);
  g_assert_cmpuint (work.destroyed.n_calls, ==, 1);
}

/* FALSE with an error fails the task with it. */
static void
test_periodic_fails (void)
{
  g_autoptr(TestService) service = test_service_new ("test");
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GError) error = NULL;
  TickWork work = { .interval_ms = 5, .stop_at = 2, .fail = TRUE };

  bgs_service_spawn_periodic (s, "ticker", work.interval_ms, tick_work, &work,
                              test_destroy_record);
  g_assert_false (bgs_service_wait (s, NULL, &error));
  g_assert_error (error, BGS_ERROR, BGS_ERROR_TASKS_FAILED);
  g_assert_cmpuint (bgs_error_get_errors (error)->len, ==, 1);
  g_assert_cmpstr (bgs_error_get_names (error)[0], ==, "ticker");
  g_assert_error (test_error_at (error, 0), TEST_ERROR, 21);
  g_assert_cmpstr (test_error_at (error, 0)->message, ==,
                   "tick 2 failed");
  g_assert_cmpuint (work.ticks, ==, 2);
  g_assert_cmpuint (work.destroyed.n_calls, ==, 1);

  test_iterate_for (4 * work.interval_ms);
  g_assert_cmpuint (work.ticks, ==, 2);
}

/* A cancel stops the ticks, cleanly. */
static void
test_periodic_cancel (void)
{
  g_autoptr(TestService) service = test_service_new ("test");
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GError) error = NULL;
  TickWork work = { .interval_ms = 5 };
  guint ticks;

  bgs_service_spawn_periodic (s, NULL, work.interval_ms, tick_work, &work, test_destroy_record);
  test_wait_until (work.ticks >= 2);
  g_assert_cmpuint (work.destroyed.n_calls, ==, 0);

  g_assert_true (bgs_service_stop (s, "test", NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (work.destroyed.n_calls, ==, 1);
  g_assert_true (work.destroyed.thread == main_thread);

  ticks = work.ticks;
  test_iterate_for (4 * work.interval_ms);
  g_assert_cmpuint (work.ticks, ==, ticks);
}

/* A cancel before the first tick: no tick at all. */
static void
test_periodic_cancel_before_tick (void)
{
  g_autoptr(TestService) service = test_service_new ("test");
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GError) error = NULL;
  TickWork work = { .interval_ms = 60 * 1000 };

  bgs_service_spawn_periodic (s, NULL, work.interval_ms, tick_work, &work, test_destroy_record);
  g_assert_true (bgs_service_stop (s, "test", NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (work.ticks, ==, 0);
  g_assert_cmpuint (work.destroyed.n_calls, ==, 1);
}

/* The sources attached to @context. Source ids count up from 1 in each
 * context, so a probe attached now has the highest id of all. */
static guint
count_sources (GMainContext *context)
{
  GSource *probe = g_idle_source_new ();
  guint last = g_source_attach (probe, context);
  guint n = 0;

  for (guint id = 1; id < last; id++)
    if (g_main_context_find_source_by_id (context, id) != NULL)
      n++;

  g_source_destroy (probe);
  g_source_unref (probe);
  return n;
}

/* Periodic tasks add no source of their own: the tasks of two services on
 * one context share one, which leaves with the last of them. */
static void
test_periodic_shares_one_source (void)
{
  GMainContext *context = g_main_context_new ();
  TestService *services[2];
  TickWork work = { .interval_ms = 60 * 1000 };

  g_main_context_push_thread_default (context);
  for (guint i = 0; i < G_N_ELEMENTS (services); i++)
    services[i] = test_service_new ("many");
  g_assert_cmpuint (count_sources (context), ==, 0);

  for (guint i = 0; i < 1000; i++)
    bgs_service_spawn_periodic (BGS_SERVICE (services[i % 2]), NULL, work.interval_ms,
                                tick_work, &work, NULL);
  g_assert_cmpuint (bgs_service_get_n_tasks (BGS_SERVICE (services[0])), ==, 500);
  g_assert_cmpuint (count_sources (context), <=, 2);

  for (guint i = 0; i < G_N_ELEMENTS (services); i++)
    test_service_stop_and_unref (services[i]);
  while (g_main_context_iteration (context, FALSE))
    ;
  g_assert_cmpuint (work.ticks, ==, 0);
  g_assert_cmpuint (count_sources (context), ==, 0);

  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
}

/* OrderTick: the user data of a task that logs its interval in a shared
 * log at its only tick. */
typedef struct
{
  guint   interval_ms;
  GArray *log;  /* (element-type guint) */
} OrderTick;

static gboolean
tick_log_interval (BgsService  *service,
                   gpointer     user_data,
                   GError     **error)
{
  OrderTick *tick = user_data;

  g_array_append_val (tick->log, tick->interval_ms);
  return FALSE;
}

/* Tasks all due by the time the context runs tick first deadline first,
 * whatever the order they were spawned in. */
static void
test_periodic_deadline_order (void)
{
  enum { N = 50 };
  g_autoptr(TestService) service = test_service_new ("order");
  g_autoptr(GArray) log = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GError) error = NULL;
  OrderTick ticks[N];
  guint longest = 0;

  /* Intervals 3 ms apart, spawned in a scrambled order. */
  for (guint i = 0; i < N; i++)
    {
      ticks[i] = (OrderTick) { .interval_ms = 2 + 3 * ((i * 17) % N), .log = log };
      longest = MAX (longest, ticks[i].interval_ms);
      bgs_service_spawn_periodic (BGS_SERVICE (service), NULL, ticks[i].interval_ms,
                                  tick_log_interval, &ticks[i], NULL);
    }

  /* Not to synchronise: the point is that every task is due at once. */
  g_usleep ((longest + 20) * 1000);
  g_assert_true (bgs_service_wait (BGS_SERVICE (service), NULL, &error));
  g_assert_no_error (error);

  g_assert_cmpuint (log->len, ==, N);
  for (guint i = 1; i < N; i++)
    g_assert_cmpuint (g_array_index (log, guint, i - 1), <, g_array_index (log, guint, i));
}

/* Stopping one service ends its periodic tasks only: those of another
 * service on the same context tick on. */
static void
test_periodic_cancel_one_service (void)
{
  enum { N = 3 };
  g_autoptr(TestService) stopped = test_service_new ("stopped");
  g_autoptr(TestService) ticking = test_service_new ("ticking");
  g_autoptr(GError) error = NULL;
  TickWork stopped_work[N], ticking_work[N];
  guint stopped_ticks[N], ticking_ticks[N];

  for (guint i = 0; i < N; i++)
    {
      stopped_work[i] = (TickWork) { .interval_ms = 5 };
      ticking_work[i] = (TickWork) { .interval_ms = 5 + i };
      bgs_service_spawn_periodic (BGS_SERVICE (stopped), NULL, stopped_work[i].interval_ms,
                                  tick_work, &stopped_work[i], test_destroy_record);
      bgs_service_spawn_periodic (BGS_SERVICE (ticking), NULL, ticking_work[i].interval_ms,
                                  tick_work, &ticking_work[i], test_destroy_record);
    }
  for (guint i = 0; i < N; i++)
    test_wait_until (stopped_work[i].ticks >= 1 && ticking_work[i].ticks >= 1);

  g_assert_true (bgs_service_stop (BGS_SERVICE (stopped), "test", NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < N; i++)
    {
      g_assert_cmpuint (stopped_work[i].destroyed.n_calls, ==, 1);
      stopped_ticks[i] = stopped_work[i].ticks;
      ticking_ticks[i] = ticking_work[i].ticks;
    }

  for (guint i = 0; i < N; i++)
    test_wait_until (ticking_work[i].ticks >= ticking_ticks[i] + 2);
  g_assert_true (bgs_service_is_running (BGS_SERVICE (ticking)));
  for (guint i = 0; i < N; i++)
    {
      g_assert_cmpuint (stopped_work[i].ticks, ==, stopped_ticks[i]);
      g_assert_cmpuint (ticking_work[i].destroyed.n_calls, ==, 0);
    }

  g_assert_true (bgs_service_stop (BGS_SERVICE (ticking), "test", NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < N; i++)
    g_assert_cmpuint (ticking_work[i].destroyed.n_calls, ==, 1);
}

static gpointer
cancel_soon (gpointer data)
{
  /* Gives the main thread time to block in its iteration, so that the
   * cancel has to wake it up. */
  g_usleep (20 * 1000);
  g_cancellable_cancel (data);
  g_object_unref (data);
  return NULL;
}

static gboolean
on_give_up (gpointer user_data)
{
  gboolean *gave_up = user_data;

  *gave_up = TRUE;
  return G_SOURCE_REMOVE;
}

/* A cancel from another thread, while the context sleeps with nothing
 * due for a minute, wakes it up and ends the task there, cleanly. */
static void
test_periodic_cancel_from_thread (void)
{
  g_autoptr(TestService) service = test_service_new ("test");
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GError) error = NULL;
  TickWork work = { .interval_ms = 60 * 1000 };
  gboolean gave_up = FALSE;
  GThread *canceller;
  GTask *task;
  guint give_up;

  task = bgs_service_spawn_periodic (s, NULL, work.interval_ms, tick_work, &work,
                                     test_destroy_record);
  canceller = g_thread_new ("canceller", cancel_soon,
                            g_object_ref (g_task_get_cancellable (task)));

  /* No test_wait_until(): its wake-ups would hide a cancel that does not
   * wake the context. */
  give_up = g_timeout_add (test_timeout_us () / 1000, on_give_up, &gave_up);
  while (bgs_service_get_n_tasks (s) > 0 && !gave_up)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (gave_up);
  g_source_remove (give_up);
  g_thread_join (canceller);

  g_assert_cmpuint (work.ticks, ==, 0);
  g_assert_cmpuint (work.destroyed.n_calls, ==, 1);
  g_assert_true (work.destroyed.thread == main_thread);
  g_assert_true (bgs_service_wait (s, NULL, &error));
  g_assert_no_error (error);
}

/* The tick of a task cancelled long before its first one. */
static gboolean
tick_never (BgsService  *service,
            gpointer     user_data,
            GError     **error)
{
  g_assert_not_reached ();
}

/* A hundred thousand periodic tasks on one service, sharing one
 * cancellable, start and stop in well under a second: a "cancelled"
 * handler per task, say, would make the stop quadratic and time the
 * test out. */
static void
test_periodic_many_cancelled (void)
{
  g_autoptr(TestService) service = test_service_new ("crowd");
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 100000; i++)
    bgs_service_spawn_periodic (s, NULL, 60 * 1000, tick_never, NULL, NULL);
  g_assert_cmpuint (bgs_service_get_n_tasks (s), ==, 100000);

  g_assert_true (bgs_service_stop (s, "test", NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (bgs_service_get_n_tasks (s), ==, 0);
}

/* ---- destroy notifies ---------------------------------------------------- */

typedef enum
{
  END_THREAD_SUCCEED,
  END_THREAD_FAIL,
  END_THREAD_FALSE,
  END_THREAD_CANCEL,
  END_PERIODIC_CLEAN,
  END_PERIODIC_FAIL,
  END_PERIODIC_CANCEL,
  END_PERIODIC_CANCEL_EARLY,
} EndPath;

/* DestroyCheck: what the service looked like when the destroy ran. */
typedef struct
{
  TestDestroyRecord *record;
  guint              n_at_reap;  /* destroy calls when n-tasks dropped */
  gboolean           reaped;
} DestroyCheck;

static void
on_n_tasks (BgsService   *service,
            GParamSpec   *pspec,
            DestroyCheck *check)
{
  if (bgs_service_get_n_tasks (service) == 0 && !check->reaped)
    {
      check->reaped = TRUE;
      check->n_at_reap = check->record->n_calls;
    }
}

/* The destroy notify of a spawned task runs once, on the service's
 * thread, by the time the service has reaped the task, whichever way the
 * task ended; and no sooner. */
static void
test_destroy_notify (gconstpointer data)
{
  EndPath path = GPOINTER_TO_INT (data);
  g_autoptr(TestService) service = test_service_new ("test");
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GError) error = NULL;
  ThreadWork thread = { 0, };
  TickWork tick = { .interval_ms = 5 };
  TestDestroyRecord *record;
  DestroyCheck check = { 0, };
  gboolean expect_failure = FALSE;

  g_signal_connect (service, "notify::n-tasks", G_CALLBACK (on_n_tasks), &check);

  switch (path)
    {
    case END_THREAD_SUCCEED:
    case END_THREAD_FAIL:
    case END_THREAD_FALSE:
    case END_THREAD_CANCEL:
      thread.mode = (path == END_THREAD_SUCCEED ? THREAD_SUCCEED :
                     path == END_THREAD_FAIL ? THREAD_FAIL :
                     path == END_THREAD_FALSE ? THREAD_FALSE_WITHOUT_ERROR :
                     THREAD_UNTIL_CANCELLED);
      expect_failure = path == END_THREAD_FAIL || path == END_THREAD_FALSE;
      record = &thread.destroyed;
      bgs_service_spawn_thread (s, NULL, thread_work, &thread, test_destroy_record);
      if (path == END_THREAD_CANCEL)
        {
          test_wait_until (g_atomic_int_get (&thread.started));
          g_assert_cmpuint (record->n_calls, ==, 0);
          bgs_service_cancel (s, "test");
        }
      break;

    case END_PERIODIC_CLEAN:
    case END_PERIODIC_FAIL:
    case END_PERIODIC_CANCEL:
    case END_PERIODIC_CANCEL_EARLY:
      if (path == END_PERIODIC_CLEAN || path == END_PERIODIC_FAIL)
        tick.stop_at = 2;
      tick.fail = path == END_PERIODIC_FAIL;
      if (path == END_PERIODIC_CANCEL_EARLY)
        tick.interval_ms = 60 * 1000;
      expect_failure = path == END_PERIODIC_FAIL;
      record = &tick.destroyed;
      bgs_service_spawn_periodic (s, NULL, tick.interval_ms, tick_work, &tick,
                                  test_destroy_record);
      if (path == END_PERIODIC_CANCEL)
        test_wait_until (tick.ticks >= 1);
      g_assert_cmpuint (record->n_calls, ==, 0);
      if (path == END_PERIODIC_CANCEL || path == END_PERIODIC_CANCEL_EARLY)
        bgs_service_cancel (s, "test");
      break;

    default:
      g_assert_not_reached ();
    }

  check.record = record;
  g_assert_cmpuint (record->n_calls, ==, 0);
  g_assert_cmpint (bgs_service_wait (s, NULL, &error), !=, expect_failure);
  g_assert_true (expect_failure == (error != NULL));

  g_assert_true (check.reaped);
  g_assert_cmpuint (check.n_at_reap, ==, 1);
  g_assert_cmpuint (record->n_calls, ==, 1);
  g_assert_true (record->thread == main_thread);

  g_signal_handlers_disconnect_by_data (service, &check);
}

/* A NULL destroy notify is fine. */
static void
test_destroy_notify_null (void)
{
  g_autoptr(TestService) service = test_service_new ("test");
  BgsService *s = BGS_SERVICE (service);
  g_autoptr(GError) error = NULL;
  ThreadWork thread = { .mode = THREAD_SUCCEED };
  TickWork tick = { .interval_ms = 5, .stop_at = 1 };

  bgs_service_spawn_thread (s, NULL, thread_work, &thread, NULL);
  bgs_service_spawn_periodic (s, NULL, tick.interval_ms, tick_work, &tick, NULL);
  g_assert_true (bgs_service_wait (s, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (tick.ticks, ==, 1);
  g_assert_cmpuint (thread.destroyed.n_calls, ==, 0);
}

/* Spawned tasks keep their service alive too, and run their destroy
 * notify before it goes. */
static void
test_spawned_keep_service_alive (void)
{
  TestService *service = test_service_new ("alive");
  BgsService *s = BGS_SERVICE (service);
  TickWork tick = { .interval_ms = 5, .stop_at = 3 };
  ThreadWork thread = { .mode = THREAD_SUCCEED };
  gboolean finalized = FALSE;

  g_object_weak_ref (G_OBJECT (service), test_weak_flag, &finalized);
  bgs_service_spawn_periodic (s, NULL, tick.interval_ms, tick_work, &tick, test_destroy_record);
  bgs_service_spawn_thread (s, NULL, thread_work, &thread, test_destroy_record);
  g_object_unref (service);
  g_assert_false (finalized);

  test_wait_until (finalized);
  g_assert_cmpuint (tick.ticks, ==, 3);
  g_assert_cmpuint (tick.destroyed.n_calls, ==, 1);
  g_assert_cmpuint (thread.destroyed.n_calls, ==, 1);
}

static void
add_destroy_test (const char *path,
                  EndPath     end)
{
  g_autofree char *test_path = g_strconcat ("/tasks/destroy-notify/", path, NULL);

  g_test_add_data_func (test_path, GINT_TO_POINTER (end), test_destroy_notify);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  main_thread = g_thread_self ();

  g_test_add_func ("/tasks/task-new", test_task_new);
  g_test_add_func ("/tasks/task-new/generations", test_task_new_generations);
  g_test_add_func ("/tasks/task-new/default-name", test_task_new_default_name);
  g_test_add_func ("/tasks/task-new/value-discarded", test_task_new_value_discarded);
  g_test_add_func ("/tasks/get-tasks", test_get_tasks);
  g_test_add_func ("/tasks/thread/runs", test_thread_runs);
  g_test_add_data_func ("/tasks/thread/fails", GINT_TO_POINTER (THREAD_FAIL), test_thread_fails);
  g_test_add_data_func ("/tasks/thread/false-without-error",
                        GINT_TO_POINTER (THREAD_FALSE_WITHOUT_ERROR), test_thread_fails);
  g_test_add_func ("/tasks/thread/cancel", test_thread_cancel);
  g_test_add_func ("/tasks/thread/many", test_thread_many);
  g_test_add_func ("/tasks/periodic/ends-cleanly", test_periodic_ends_cleanly);
  g_test_add_func ("/tasks/periodic/fails", test_periodic_fails);
  g_test_add_func ("/tasks/periodic/cancel", test_periodic_cancel);
  g_test_add_func ("/tasks/periodic/cancel-before-tick", test_periodic_cancel_before_tick);
  g_test_add_func ("/tasks/periodic/shares-one-source", test_periodic_shares_one_source);
  g_test_add_func ("/tasks/periodic/deadline-order", test_periodic_deadline_order);
  g_test_add_func ("/tasks/periodic/cancel-one-service", test_periodic_cancel_one_service);
  g_test_add_func ("/tasks/periodic/cancel-from-thread", test_periodic_cancel_from_thread);
  g_test_add_func ("/tasks/periodic/many-cancelled", test_periodic_many_cancelled);
  add_destroy_test ("thread-succeed", END_THREAD_SUCCEED);
  add_destroy_test ("thread-fail", END_THREAD_FAIL);
  add_destroy_test ("thread-false", END_THREAD_FALSE);
  add_destroy_test ("thread-cancel", END_THREAD_CANCEL);
  add_destroy_test ("periodic-clean", END_PERIODIC_CLEAN);
  add_destroy_test ("periodic-fail", END_PERIODIC_FAIL);
  add_destroy_test ("periodic-cancel", END_PERIODIC_CANCEL);
  add_destroy_test ("periodic-cancel-early", END_PERIODIC_CANCEL_EARLY);
  g_test_add_func ("/tasks/destroy-notify/null", test_destroy_notify_null);
  g_test_add_func ("/tasks/spawned-keep-service-alive", test_spawned_keep_service_alive);

  return g_test_run ();
}
