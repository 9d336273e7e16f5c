/* SPDX-License-Identifier: MIT */
/* bench-tasks.c: the cost of a service's tasks against raw GTask.
 *
 * Workload, the same through both paths: N tasks that each wait on their
 * cancellable (a "cancelled" handler returns the task cancelled), then one
 * stop of all and the reaping of every task. The floor is raw GTask with
 * one GCancellable shared by all tasks, the cheapest way GIO offers.
 *
 * Runs alternate raw and library, several rounds, and the medians are
 * printed. With --check the program exits 1 when a target is
 * missed at the largest N: (spawn + stop) <= 1.3 x raw, memory per task
 * <= 1.25 x raw, and 10k->100k growth <= 1.3 x raw's growth.
 */
#include <malloc.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>

#include <bgservice.h>

/* BenchService: a service whose tasks the benchmark creates itself. */
#define BENCH_TYPE_SERVICE (bench_service_get_type ())
G_DECLARE_FINAL_TYPE (BenchService, bench_service, BENCH, SERVICE, BgsService)

struct _BenchService
{
  BgsService parent_instance;
};

G_DEFINE_FINAL_TYPE (BenchService, bench_service, BGS_TYPE_SERVICE)

static void
bench_service_start (BgsService *service)
{
}

static void
bench_service_class_init (BenchServiceClass *klass)
{
  BGS_SERVICE_CLASS (klass)->start = bench_service_start;
}

static void
bench_service_init (BenchService *self)
{
}

/* Figures of one run of the workload. */
typedef struct
{
  double spawn_ms;
  double stop_ms;
  double bytes_per_task;
} Run;

/* CPU time of this thread, in microseconds: immune to the other tenants
 * of a shared machine, unlike the wall clock. The workload runs on one
 * thread, so nothing is missed. */
static gint64
cpu_time_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static size_t
heap_in_use (void)
{
  struct mallinfo2 info = mallinfo2 ();

  return info.uordblks + info.hblkhd;
}

/* The task's own work: when cancelled, return, then drop our reference. */
static void
on_cancelled (GCancellable *cancellable,
              GTask        *task)
{
  g_task_return_error_if_cancelled (task);
  g_object_unref (task);
}

static void
wait_on_cancellable (GTask *task)
{
  g_cancellable_connect (g_task_get_cancellable (task), G_CALLBACK (on_cancelled), task, NULL);
}

static void
on_raw_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  guint *remaining = user_data;

  (*remaining)--;
}

static Run
run_raw (guint n)
{
  GCancellable *shared = g_cancellable_new ();
  guint remaining = n;
  size_t heap_before = heap_in_use ();
  gint64 t0 = cpu_time_us ();
  gint64 t1, t2;
  Run run;

  for (guint i = 0; i < n; i++)
    wait_on_cancellable (g_task_new (NULL, shared, on_raw_done, &remaining));
  t1 = cpu_time_us ();
  run.bytes_per_task = (double) (heap_in_use () - heap_before) / n;

  g_cancellable_cancel (shared);
  while (remaining > 0)
    g_main_context_iteration (NULL, TRUE);
  t2 = cpu_time_us ();

  g_object_unref (shared);
  run.spawn_ms = (t1 - t0) / 1000.0;
  run.stop_ms = (t2 - t1) / 1000.0;
  return run;
}

static Run
run_library (guint n)
{
  BgsService *service = g_object_new (BENCH_TYPE_SERVICE, "name", "bench", NULL);
  g_autoptr(GError) error = NULL;
  size_t heap_before = heap_in_use ();
  gint64 t0 = cpu_time_us ();
  gint64 t1, t2;
  Run run;

  for (guint i = 0; i < n; i++)
    wait_on_cancellable (bgs_service_task_new (service, NULL));
  t1 = cpu_time_us ();
  run.bytes_per_task = (double) (heap_in_use () - heap_before) / n;

  if (!bgs_service_stop (service, "benchmark", NULL, &error))
    g_error ("stop failed: %s", error->message);
  t2 = cpu_time_us ();

  g_assert (bgs_service_get_n_tasks (service) == 0);
  g_object_unref (service);
  run.spawn_ms = (t1 - t0) / 1000.0;
  run.stop_ms = (t2 - t1) / 1000.0;
  return run;
}

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
median (double *values,
        guint   n)
{
  qsort (values, n, sizeof *values, compare_doubles);
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

/* Medians over the rounds of one N, field by field. */
typedef struct
{
  Run    raw;
  Run    lib;
  double time_ratio;  /* median of the rounds' own lib/raw ratios */
} Figures;

static Figures
measure (guint n,
         guint rounds)
{
  g_autofree double *raw_spawn = g_new (double, rounds), *raw_stop = g_new (double, rounds);
  g_autofree double *lib_spawn = g_new (double, rounds), *lib_stop = g_new (double, rounds);
  g_autofree double *raw_mem = g_new (double, rounds), *lib_mem = g_new (double, rounds);
  g_autofree double *raw_total = g_new (double, rounds), *lib_total = g_new (double, rounds);
  g_autofree double *ratio = g_new (double, rounds);
  Figures figures;

  for (guint r = 0; r < rounds; r++)
    {
      /* Alternate which path goes first, so drift hurts both alike. */
      Run raw, lib;

      if (r % 2 == 0)
        {
          raw = run_raw (n);
          lib = run_library (n);
        }
      else
        {
          lib = run_library (n);
          raw = run_raw (n);
        }

      raw_spawn[r] = raw.spawn_ms;
      raw_stop[r] = raw.stop_ms;
      raw_mem[r] = raw.bytes_per_task;
      raw_total[r] = raw.spawn_ms + raw.stop_ms;
      lib_spawn[r] = lib.spawn_ms;
      lib_stop[r] = lib.stop_ms;
      lib_mem[r] = lib.bytes_per_task;
      lib_total[r] = lib.spawn_ms + lib.stop_ms;
      ratio[r] = lib_total[r] / raw_total[r];
    }

  figures.raw = (Run) { median (raw_spawn, rounds), median (raw_stop, rounds), median (raw_mem, rounds) };
  figures.lib = (Run) { median (lib_spawn, rounds), median (lib_stop, rounds), median (lib_mem, rounds) };
  /* The total's own median is steadier than the sum of two medians. */
  figures.raw.stop_ms = median (raw_total, rounds) - figures.raw.spawn_ms;
  figures.lib.stop_ms = median (lib_total, rounds) - figures.lib.spawn_ms;
  /* Two runs side by side share the machine's mood: their ratio is the
   * steadiest figure this noisy machine gives. */
  figures.time_ratio = median (ratio, rounds);
  return figures;
}

/*
 * Memory per task, measured in a fresh process (this program, re-run with
 * --once): in a warm process, blocks freed by earlier rounds are reused and
 * hide part of what tasks really take.
 */
static double
cold_bytes_per_task (const char *self_exe,
                     const char *path,
                     guint       n)
{
  g_autofree char *mode = g_strdup_printf ("--once=%s", path);
  g_autofree char *count = g_strdup_printf ("%u", n);
  const char *argv[] = { self_exe, mode, count, NULL };
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  double spawn_ms, stop_ms, bytes;
  int status;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                     &out, NULL, &status, &error) ||
      !g_spawn_check_wait_status (status, &error))
    g_error ("measuring memory in a fresh process failed: %s", error->message);
  if (sscanf (out, "spawn %lf ms, stop %lf ms, %lf bytes/task", &spawn_ms, &stop_ms, &bytes) != 3)
    g_error ("unexpected output of %s %s: %s", self_exe, mode, out);

  return bytes;
}

static void
measure_memory (Figures    *figures,
                const char *self_exe,
                guint       n)
{
  double raw[3], lib[3];

  for (guint r = 0; r < G_N_ELEMENTS (raw); r++)
    {
      raw[r] = cold_bytes_per_task (self_exe, "raw", n);
      lib[r] = cold_bytes_per_task (self_exe, "lib", n);
    }
  figures->raw.bytes_per_task = median (raw, G_N_ELEMENTS (raw));
  figures->lib.bytes_per_task = median (lib, G_N_ELEMENTS (lib));
}

static double
total_ms (const Run *run)
{
  return run->spawn_ms + run->stop_ms;
}

int
main (int   argc,
      char *argv[])
{
  static const guint sizes[] = { 1000, 10000, 100000 };
  gboolean check = FALSE;
  guint rounds = 15;
  Figures figures[G_N_ELEMENTS (sizes)];
  double time_ratio, mem_ratio, growth_ratio;
  gboolean ok;
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);

  for (int i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--check"))
        check = TRUE;
      else if (g_str_has_prefix (argv[i], "--rounds="))
        rounds = MAX (1, atoi (argv[i] + strlen ("--rounds=")));
      else if (g_str_has_prefix (argv[i], "--once=") && i + 1 < argc)
        {
          /* One run of one path, for profilers: --once=raw|lib N */
          guint n = (guint) atoi (argv[i + 1]);
          Run run = g_str_equal (argv[i], "--once=raw") ? run_raw (n) : run_library (n);

          printf ("spawn %.2f ms, stop %.2f ms, %.1f bytes/task\n",
                  run.spawn_ms, run.stop_ms, run.bytes_per_task);
          return 0;
        }
      else
        {
          fprintf (stderr, "Usage: %s [--rounds=N] [--check] | --once=raw|lib N\n", argv[0]);
          return 2;
        }
    }

  /* Warm up the type system, the slice allocator and the heap. */
  run_raw (10000);
  run_library (10000);

  printf ("# floor: raw GTask, one GCancellable shared by all tasks\n"
          "# times: thread CPU time, median of %u interleaved rounds\n"
          "# memory: heap growth while N tasks wait, fresh process, median of 3\n", rounds);
  printf ("%8s %6s %10s %10s %10s %12s\n", "N", "path", "spawn_ms", "stop_ms", "total_ms", "bytes/task");
  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      Figures *f = &figures[s];

      *f = measure (sizes[s], rounds);
      measure_memory (f, self_exe, sizes[s]);
      printf ("%8u %6s %10.2f %10.2f %10.2f %12.1f\n", sizes[s], "raw",
              f->raw.spawn_ms, f->raw.stop_ms, total_ms (&f->raw), f->raw.bytes_per_task);
      printf ("%8u %6s %10.2f %10.2f %10.2f %12.1f\n", sizes[s], "lib",
              f->lib.spawn_ms, f->lib.stop_ms, total_ms (&f->lib), f->lib.bytes_per_task);
      printf ("%8u %6s %10s %10s %10.3f %12.3f\n", sizes[s], "ratio", "", "",
              f->time_ratio,
              f->lib.bytes_per_task / f->raw.bytes_per_task);
    }

  time_ratio = figures[2].time_ratio;
  mem_ratio = figures[2].lib.bytes_per_task / figures[2].raw.bytes_per_task;
  growth_ratio = (total_ms (&figures[2].lib) / total_ms (&figures[1].lib)) /
                 (total_ms (&figures[2].raw) / total_ms (&figures[1].raw));

  printf ("\n# targets at N=100000\n");
  printf ("time   lib/raw (spawn+stop), paired  %.3f  (target <= 1.30) %s\n",
          time_ratio, time_ratio <= 1.30 ? "ok" : "MISSED");
  printf ("memory lib/raw per task            %.3f  (target <= 1.25) %s\n",
          mem_ratio, mem_ratio <= 1.25 ? "ok" : "MISSED");
  printf ("growth 10k->100k, lib/raw          %.3f  (target <= 1.30) %s\n",
          growth_ratio, growth_ratio <= 1.30 ? "ok" : "MISSED");

  ok = time_ratio <= 1.30 && mem_ratio <= 1.25 && growth_ratio <= 1.30;
  return check && !ok ? 1 : 0;
}
