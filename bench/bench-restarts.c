/* SPDX-License-Identifier: MIT */
/* bench-restarts.c: the cost of automatic restarts against restarts by hand.
 *
 * Workload: a service whose start() makes one task that fails at once,
 * started N + 1 times in a row. The floor does it by hand, as a program
 * without supervision would: wait for the failed run
 * (bgs_service_wait_async()), then bgs_service_start() again. The library
 * path lets the service's restart policy do it: Restart=on-failure, delay
 * 0, no start limit, so that the run restarts N times on its own.
 *
 * Both paths run on one thread's main context; the figure is the thread's
 * CPU time, immune to the other tenants of a shared machine. Runs
 * alternate floor and library, several rounds, and the medians are
 * printed. With --check the program exits 1 when the library path costs
 * more than 1.2 x the floor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <bgservice.h>

#define DEFAULT_RESTARTS 10000
#define TARGET_RATIO 1.2

static GQuark
bench_error_quark (void)
{
  return g_quark_from_static_string ("bench-restarts-error");
}

/* FailingService: each of its first @limit starts makes one task that
 * fails at once; the next start makes nothing, which ends the run. Both
 * paths start it @limit + 1 times: @limit restarts. */
#define BENCH_TYPE_FAILING_SERVICE (failing_service_get_type ())
G_DECLARE_FINAL_TYPE (FailingService, failing_service, BENCH, FAILING_SERVICE, BgsService)

struct _FailingService
{
  BgsService parent_instance;
  guint      starts;
  guint      limit;
};

G_DEFINE_FINAL_TYPE (FailingService, failing_service, BGS_TYPE_SERVICE)

static void
failing_service_start (BgsService *service)
{
  FailingService *self = BENCH_FAILING_SERVICE (service);
  GTask *task;

  if (++self->starts > self->limit)
    return;

  task = bgs_service_task_new (service, "doomed");
  g_task_return_new_error (task, bench_error_quark (), 1, "failed at once");
  g_object_unref (task);
}

static void
failing_service_class_init (FailingServiceClass *klass)
{
  BGS_SERVICE_CLASS (klass)->start = failing_service_start;
}

static void
failing_service_init (FailingService *self)
{
}

static FailingService *
failing_service_new (guint limit)
{
  FailingService *self = g_object_new (BENCH_TYPE_FAILING_SERVICE, "name", "bench", NULL);

  self->limit = limit;
  return self;
}

static gint64
cpu_time_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* ---- the floor: restarts by hand ---------------------------------------- */

static void
on_waited_by_hand (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  FailingService *self = BENCH_FAILING_SERVICE (source);
  g_autoptr(GError) error = NULL;

  bgs_service_wait_finish (BGS_SERVICE (self), result, &error);
  if (self->starts > self->limit)
    return;

  bgs_service_start (BGS_SERVICE (self));
  bgs_service_wait_async (BGS_SERVICE (self), NULL, on_waited_by_hand, NULL);
}

static double
run_by_hand (guint restarts)
{
  g_autoptr(FailingService) service = failing_service_new (restarts);
  gint64 start = cpu_time_us ();

  bgs_service_start (BGS_SERVICE (service));
  bgs_service_wait_async (BGS_SERVICE (service), NULL, on_waited_by_hand, NULL);
  while (service->starts <= service->limit)
    g_main_context_iteration (NULL, TRUE);

  return (cpu_time_us () - start) / 1000.0;
}

/* ---- the library: automatic restarts ------------------------------------ */

static double
run_automatic (guint restarts)
{
  g_autoptr(FailingService) service = failing_service_new (restarts);
  gint64 start;

  g_object_set (service, "restart", BGS_RESTART_ON_FAILURE, "restart-delay-ms", 0,
                "start-limit-interval-ms", 0, NULL);
  start = cpu_time_us ();
  bgs_service_start (BGS_SERVICE (service));
  while (bgs_service_is_running (BGS_SERVICE (service)))
    g_main_context_iteration (NULL, TRUE);

  g_assert (bgs_service_get_n_restarts (BGS_SERVICE (service)) == restarts);
  return (cpu_time_us () - start) / 1000.0;
}

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
median (double *values,
        guint   n)
{
  qsort (values, n, sizeof (double), compare_doubles);
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

int
main (int   argc,
      char *argv[])
{
  guint rounds = 7;
  guint restarts = DEFAULT_RESTARTS;
  gboolean check = FALSE;
  g_autofree double *by_hand = NULL;
  g_autofree double *automatic = NULL;
  g_autofree double *ratios = NULL;
  double ratio;

  for (int i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--check"))
        check = TRUE;
      else if (g_str_has_prefix (argv[i], "--rounds="))
        rounds = MAX (1, atoi (argv[i] + strlen ("--rounds=")));
      else if (g_str_has_prefix (argv[i], "--restarts="))
        restarts = MAX (1, atoi (argv[i] + strlen ("--restarts=")));
      else
        {
          fprintf (stderr, "Usage: %s [--rounds=N] [--restarts=N] [--check]\n", argv[0]);
          return 2;
        }
    }

  by_hand = g_new (double, rounds);
  automatic = g_new (double, rounds);
  ratios = g_new (double, rounds);

  printf ("# %u restarts of a service whose task fails at once; thread CPU time\n"
          "# floor: by hand (wait for the failed run, then start again)\n", restarts);
  printf ("%6s %12s %12s %8s\n", "round", "by_hand_ms", "auto_ms", "ratio");
  for (guint r = 0; r < rounds; r++)
    {
      by_hand[r] = run_by_hand (restarts);
      automatic[r] = run_automatic (restarts);
      ratios[r] = automatic[r] / by_hand[r];
      printf ("%6u %12.2f %12.2f %8.3f\n", r + 1, by_hand[r], automatic[r], ratios[r]);
    }

  ratio = median (ratios, rounds);
  printf ("\n# medians: by hand %.2f ms, automatic %.2f ms\n",
          median (by_hand, rounds), median (automatic, rounds));
  printf ("restart cycle automatic/by-hand, paired  %.3f  (target <= %.2f) %s\n",
          ratio, TARGET_RATIO, ratio <= TARGET_RATIO ? "ok" : "MISSED");

  return check && ratio > TARGET_RATIO ? 1 : 0;
}
