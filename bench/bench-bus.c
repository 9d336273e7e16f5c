/* SPDX-License-Identifier: MIT */
/* bench-bus.c: the cost of BgsBus against a bare sd-bus server.
 *
 *   bench-bus [--rounds=N] [--window-ms=MS] [--check]
 *   bench-bus --hammer=floor|ours [--in-flight=N] [--window-ms=MS]
 *
 * The second form, for profilers, sets everything up, prints the servers'
 * process IDs, waits a second (time to attach perf -p), then reads
 * IsRunning from one server only, N calls in flight, for one window.
 *
 * Processes, all started by this program and all ended by it, on success,
 * on failure and on a fatal signal (each child also gets PR_SET_PDEATHSIG,
 * so even a SIGKILL of this program takes them along; only the temporary
 * directory is then left behind):
 *
 *   dbus-daemon      a private bus, with a config file written to a
 *                    temporary directory (the "Failed to set fd limit"
 *                    warning goes to dbus-daemon.log there, with the rest
 *                    of its chatter);
 *   bench-bus-floor  the floor: a bare sd-bus server that links libsystemd
 *                    only and serves in sd_bus_process() + sd_bus_wait()
 *                    (see bench-bus-floor.c), owning
 *                    org.bgservice1.BenchFloor;
 *   bench-bus --serve-ours ADDRESS NAME
 *                    ours: this program again, linking libbgservice-1: a
 *                    BgsManager holding two services, "idle" (one task
 *                    waiting for its cancellation) and "many" (10,000 such
 *                    tasks), exported with BgsBus on a GMainLoop, owning
 *                    org.bgservice1.BenchOurs;
 *   this program     the client, an sd-bus connection of its own.
 *
 * Both servers answer org.freedesktop.DBus.Properties.Get
 * ("org.bgservice1.Service", "IsRunning") at /org/bgservice1/service/idle,
 * through the same dbus-daemon. The floor is a separate program so that it
 * carries nothing but libsystemd.
 *
 * Figures:
 *
 *   reads/s   property reads answered per second, counted over a window of
 *             --window-ms, with 1 call in flight and with 64 in flight (an
 *             asynchronous call is issued again from each reply until the
 *             window closes; replies after it are drained, not counted).
 *             At each depth, each of --rounds rounds (61 by default, of
 *             100 ms windows) measures floor and ours back to back, the
 *             first of the two alternating between rounds. Many short
 *             windows pair the two servers closely in time: on a shared
 *             machine, 9 rounds of 500 ms let one burst of the neighbours'
 *             load swing the ratio by 0.2 and more. The figures are
 *             medians over the rounds, and
 *             ours/floor is the median of each round's own ratio, the
 *             steadiest figure a shared machine gives. Target: >= 0.85 at
 *             both depths. Beside them, for diagnosis only: each server's
 *             CPU time per read (all its threads, from the scheduler's
 *             schedstat, drained calls included).
 *
 *   Stop      org.bgservice1.Service.Stop("bench") on "many" while its
 *             10,000 tasks run, timed from just before the call is sent to
 *             the reply (which comes once every task has ended); then
 *             Start, wait until NTasks is 10,000 again, and repeat, once
 *             per round up to 15 times. Target: every Stop (the max)
 *             < 200 ms. Beside
 *             it, for diagnosis: our server's CPU time during the Stop.
 *
 * With --check the program exits 1 when a target is missed; it exits 2 on
 * a usage error or when the benchmark itself fails.
 */
#define _GNU_SOURCE  /* pipe2() */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>
#include <bgservice.h>

#include "bench-floor-server.h"

#define SERVICE_IFACE     "org.bgservice1.Service"
#define PROPERTIES_IFACE  "org.freedesktop.DBus.Properties"
#define FLOOR_BUS_NAME    "org.bgservice1.BenchFloor"
#define OURS_BUS_NAME     "org.bgservice1.BenchOurs"
#define IDLE_PATH         "/org/bgservice1/service/idle"
#define MANY_PATH         "/org/bgservice1/service/many"
#define MANY_TASKS        10000
#define DEEP_IN_FLIGHT    64
#define STARTUP_TIMEOUT_MS 20000
#define MAX_STOPS         15

#define TARGET_READ_RATIO 0.85
#define TARGET_STOP_MS    200.0

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (sd_bus_error, sd_bus_error_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (sd_bus_message, sd_bus_message_unref)

/* ==== ours: the server that links the library =========================== */

/* BenchService: a service whose tasks each wait for their cancellation. */
#define BENCH_TYPE_SERVICE (bench_service_get_type ())
G_DECLARE_FINAL_TYPE (BenchService, bench_service, BENCH, SERVICE, BgsService)

struct _BenchService
{
  BgsService parent_instance;
  guint      n_tasks;
};

G_DEFINE_FINAL_TYPE (BenchService, bench_service, BGS_TYPE_SERVICE)

/* A task's whole work: when its cancellable fires, it returns cancelled and
 * the reference handed to this handler is dropped. */
static void
on_task_cancelled (GCancellable *cancellable,
                   GTask        *task)
{
  g_task_return_error_if_cancelled (task);
  g_object_unref (task);
}

static void
bench_service_start (BgsService *service)
{
  BenchService *self = BENCH_SERVICE (service);

  for (guint i = 0; i < self->n_tasks; i++)
    {
      GTask *task = bgs_service_task_new (service, NULL);

      g_cancellable_connect (g_task_get_cancellable (task),
                             G_CALLBACK (on_task_cancelled), task, NULL);
    }
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

static void
add_bench_service (BgsManager *manager,
                   const char *name,
                   guint       n_tasks)
{
  g_autoptr(BenchService) service = g_object_new (BENCH_TYPE_SERVICE, "name", name, NULL);
  g_autoptr(GError) error = NULL;

  service->n_tasks = n_tasks;
  if (!bgs_manager_add (manager, BGS_SERVICE (service), &error))
    g_error ("cannot add the service %s: %s", name, error->message);
}

static void
on_bus_closed (BgsBus    *bus,
               GMainLoop *loop)
{
  g_main_loop_quit (loop);
}

/* Runs until the bus goes away or SIGTERM (default action) ends it. */
static int
serve_ours (const char *address,
            const char *bus_name)
{
  g_autoptr(BgsManager) manager = bgs_manager_new ("bench");
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(BgsBus) bus = NULL;
  g_autoptr(GError) error = NULL;

  add_bench_service (manager, "idle", 1);
  add_bench_service (manager, "many", MANY_TASKS);
  bgs_service_start (BGS_SERVICE (manager));

  bus = bgs_bus_new_for_address (manager, address, &error);
  if (bus == NULL || !bgs_bus_request_name (bus, bus_name, &error))
    {
      fprintf (stderr, "bench-bus --serve-ours: %s\n", error->message);
      return 1;
    }
  g_signal_connect (bus, "closed", G_CALLBACK (on_bus_closed), loop);

  printf ("READY\n");
  fflush (stdout);

  g_main_loop_run (loop);
  /* The tasks of a lost bus need no orderly end: the process ends. */
  _exit (0);
}

/* ==== child processes and clean-up ====================================== */

static pid_t children[3];        /* dbus-daemon, floor, ours */
static guint n_children;
static char *temp_dir;           /* (owned) (nullable) */
static char *temp_files[3];      /* (owned): what temp_dir holds */
static volatile sig_atomic_t cleaning;

/* Async-signal-safe: what a dying benchmark can still do. The children
 * are reaped too, so that none outlives this process. */
static void
kill_children_now (void)
{
  for (guint i = 0; i < n_children; i++)
    if (children[i] > 0)
      kill (children[i], SIGKILL);
  for (guint i = 0; i < n_children; i++)
    if (children[i] > 0)
      waitpid (children[i], NULL, 0);
}

static void
remove_temp_files (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (temp_files); i++)
    if (temp_files[i] != NULL)
      unlink (temp_files[i]);
  if (temp_dir != NULL)
    rmdir (temp_dir);
}

static void
on_fatal_signal (int signum)
{
  if (!cleaning)
    {
      cleaning = 1;
      kill_children_now ();
      remove_temp_files ();
    }
  signal (signum, SIG_DFL);
  raise (signum);
}

/* Waits up to @timeout_ms for @pid to end. */
static gboolean
reap (pid_t pid,
      guint timeout_ms)
{
  for (guint waited = 0; ; waited += 10)
    {
      pid_t r = waitpid (pid, NULL, WNOHANG);

      if (r == pid || (r < 0 && errno == ECHILD))
        return TRUE;
      if (waited >= timeout_ms)
        return FALSE;
      g_usleep (10 * 1000);
    }
}

/* The orderly end, from atexit(): servers first, then the bus. Each gets
 * SIGTERM and two seconds, then SIGKILL. */
static void
clean_up (void)
{
  if (cleaning)
    return;
  cleaning = 1;

  for (guint i = n_children; i-- > 0;)
    {
      if (children[i] <= 0)
        continue;
      kill (children[i], SIGTERM);
      if (!reap (children[i], 2000))
        {
          kill (children[i], SIGKILL);
          reap (children[i], 2000);
        }
      children[i] = 0;
    }

  remove_temp_files ();
  for (guint i = 0; i < G_N_ELEMENTS (temp_files); i++)
    g_clear_pointer (&temp_files[i], g_free);
  g_clear_pointer (&temp_dir, g_free);
}

static void
install_clean_up (void)
{
  static const int fatal_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGABRT, SIGSEGV, SIGBUS };

  atexit (clean_up);
  for (guint i = 0; i < G_N_ELEMENTS (fatal_signals); i++)
    signal (fatal_signals[i], on_fatal_signal);
  /* A server that dies must not kill the client writing to it. */
  signal (SIGPIPE, SIG_IGN);
}

G_GNUC_PRINTF (1, 2) G_GNUC_NORETURN static void
fail (const char *format,
      ...)
{
  va_list args;

  fflush (stdout);
  fprintf (stderr, "bench-bus: ");
  va_start (args, format);
  vfprintf (stderr, format, args);
  va_end (args);
  fprintf (stderr, "\n");
  exit (2);
}

/*
 * Starts @argv with its stdout on a pipe whose reading end is returned in
 * @out_fd, and its stderr on @stderr_fd when that is not -1. The child is
 * killed if this process dies.
 */
static void
spawn_child (const char *const *argv,
             int                stderr_fd,
             int               *out_fd)
{
  int fds[2];
  pid_t parent = getpid ();
  pid_t pid;

  g_assert (n_children < G_N_ELEMENTS (children));
  if (pipe2 (fds, O_CLOEXEC) < 0)
    fail ("pipe: %s", g_strerror (errno));

  fflush (stdout);
  fflush (stderr);
  pid = fork ();
  if (pid < 0)
    fail ("fork: %s", g_strerror (errno));

  if (pid == 0)
    {
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      if (getppid () != parent)
        _exit (127);
      if (dup2 (fds[1], STDOUT_FILENO) < 0 ||
          (stderr_fd >= 0 && dup2 (stderr_fd, STDERR_FILENO) < 0))
        _exit (127);
      signal (SIGPIPE, SIG_DFL);
      execvp (argv[0], (char **) argv);
      fprintf (stderr, "bench-bus: cannot run %s: %s\n", argv[0], strerror (errno));
      _exit (127);
    }

  children[n_children++] = pid;
  close (fds[1]);
  *out_fd = fds[0];
}

/* Reads one line from a child's stdout, waiting at most @timeout_ms. */
static char *
read_line (int         fd,
           guint       timeout_ms,
           const char *who)
{
  GString *line = g_string_new (NULL);
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (;;)
    {
      struct pollfd pfd = { .fd = fd, .events = POLLIN };
      gint64 left = deadline - g_get_monotonic_time ();
      char c;
      ssize_t n;

      if (left <= 0)
        fail ("%s did not answer within %u ms", who, timeout_ms);
      if (poll (&pfd, 1, (int) ((left + 999) / 1000)) < 0 && errno != EINTR)
        fail ("poll: %s", g_strerror (errno));
      if (pfd.revents == 0)
        continue;

      n = read (fd, &c, 1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        fail ("%s exited before it was ready (output so far: \"%s\")", who, line->str);
      if (c == '\n')
        return g_string_free (line, FALSE);
      g_string_append_c (line, c);
    }
}

static void
write_bus_config (const char *path,
                  const char *socket_path)
{
  g_autofree char *config = g_strdup_printf (
    "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
    " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
    "<busconfig>\n"
    "  <type>session</type>\n"
    "  <listen>unix:path=%s</listen>\n"
    "  <auth>EXTERNAL</auth>\n"
    "  <policy context=\"default\">\n"
    "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
    "    <allow eavesdrop=\"true\"/>\n"
    "    <allow own=\"*\"/>\n"
    "  </policy>\n"
    "  <limit name=\"max_replies_per_connection\">50000</limit>\n"
    "</busconfig>\n", socket_path);
  g_autoptr(GError) error = NULL;

  if (!g_file_set_contents (path, config, -1, &error))
    fail ("%s", error->message);
}

/* Starts the private bus; returns its address. */
static char *
start_bus (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *config_arg = NULL;
  char *address;
  int log_fd, out_fd;

  temp_dir = g_dir_make_tmp ("bench-bus-XXXXXX", &error);
  if (temp_dir == NULL)
    fail ("%s", error->message);
  temp_files[0] = g_build_filename (temp_dir, "bus.conf", NULL);
  temp_files[1] = g_build_filename (temp_dir, "bus", NULL);
  temp_files[2] = g_build_filename (temp_dir, "dbus-daemon.log", NULL);

  write_bus_config (temp_files[0], temp_files[1]);
  log_fd = open (temp_files[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (log_fd < 0)
    fail ("%s: %s", temp_files[2], g_strerror (errno));

  config_arg = g_strconcat ("--config-file=", temp_files[0], NULL);
  spawn_child ((const char *[]) { "dbus-daemon", config_arg, "--nofork", "--print-address", NULL },
               log_fd, &out_fd);
  close (log_fd);

  address = read_line (out_fd, STARTUP_TIMEOUT_MS, "dbus-daemon");
  close (out_fd);
  return address;
}

/* Starts a server and waits for its "READY"; returns its process ID. */
static pid_t
start_server (const char *const *argv,
              const char        *who)
{
  g_autofree char *line = NULL;
  int out_fd;

  spawn_child (argv, -1, &out_fd);
  line = read_line (out_fd, STARTUP_TIMEOUT_MS, who);
  if (!g_str_equal (line, "READY"))
    fail ("%s said \"%s\", not READY", who, line);
  close (out_fd);

  return children[n_children - 1];
}

/* ==== the client ======================================================== */

static guint64
now_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (guint64) ts.tv_sec * G_USEC_PER_SEC + (guint64) ts.tv_nsec / 1000;
}

static sd_bus *
connect_client (const char *address)
{
  sd_bus *bus = NULL;
  int r = floor_server_connect (address, &bus);

  if (r < 0)
    fail ("cannot connect to %s: %s", address, g_strerror (-r));

  return bus;
}

/* Calls of one measurement of property reads. */
typedef struct
{
  sd_bus     *bus;
  const char *destination;
  guint       outstanding;
  guint64     replies;     /* received before the deadline */
  guint64     deadline_us;
} Flight;

static void issue_read (Flight *flight);

static int
on_read_reply (sd_bus_message *reply,
               void           *user_data,
               sd_bus_error   *ret_error)
{
  Flight *flight = user_data;
  int value = 0;
  int r;

  flight->outstanding--;
  if (sd_bus_message_is_method_error (reply, NULL))
    fail ("reading IsRunning from %s failed: %s", flight->destination,
          sd_bus_message_get_error (reply)->message);

  r = sd_bus_message_read (reply, "v", "b", &value);
  if (r < 0 || !value)
    fail ("%s answered IsRunning with %s", flight->destination,
          r < 0 ? g_strerror (-r) : "FALSE");

  if (now_us () < flight->deadline_us)
    {
      flight->replies++;
      issue_read (flight);
    }

  return 0;
}

static void
issue_read (Flight *flight)
{
  int r = sd_bus_call_method_async (flight->bus, NULL, flight->destination, IDLE_PATH,
                                    PROPERTIES_IFACE, "Get", on_read_reply, flight,
                                    "ss", SERVICE_IFACE, "IsRunning");

  if (r < 0)
    fail ("cannot send a call to %s: %s", flight->destination, g_strerror (-r));
  flight->outstanding++;
}

/* Runs the client's bus until no call of @flight is outstanding. */
static void
drain (Flight *flight)
{
  while (flight->outstanding > 0)
    {
      int r = sd_bus_process (flight->bus, NULL);

      if (r > 0)
        continue;
      if (r == 0)
        r = sd_bus_wait (flight->bus, UINT64_MAX);
      if (r < 0 && r != -EINTR)
        fail ("the client's connection failed: %s", g_strerror (-r));
    }
}

/* The time every thread of @pid has run on a CPU, in ns, from the
 * scheduler's own accounting (the first field of schedstat). */
static guint64
cpu_time_ns (pid_t pid)
{
  g_autofree char *task_dir = g_strdup_printf ("/proc/%d/task", (int) pid);
  g_autoptr(GDir) dir = g_dir_open (task_dir, 0, NULL);
  const char *tid;
  guint64 total = 0;

  if (dir == NULL)
    fail ("cannot read %s", task_dir);
  while ((tid = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (task_dir, tid, "schedstat", NULL);
      g_autofree char *text = NULL;

      if (g_file_get_contents (path, &text, NULL, NULL))
        total += g_ascii_strtoull (text, NULL, 10);
    }

  return total;
}

/* One measurement of property reads. */
typedef struct
{
  double rate;        /* replies per second */
  double cpu_us;      /* the server's CPU time per reply, µs */
} Reads;

/* Property reads from @destination, served by process @server, with
 * @depth calls in flight, over a window of @window_ms. */
static Reads
measure_reads (sd_bus     *bus,
               const char *destination,
               pid_t       server,
               guint       depth,
               guint       window_ms)
{
  Flight flight = { .bus = bus, .destination = destination };
  guint64 cpu_before = cpu_time_ns (server);
  guint64 cpu_after;

  flight.deadline_us = now_us () + (guint64) window_ms * 1000;
  for (guint i = 0; i < depth; i++)
    issue_read (&flight);
  drain (&flight);
  cpu_after = cpu_time_ns (server);

  return (Reads) {
    .rate = flight.replies * 1000.0 / window_ms,
    /* The drained calls were served too: count them all. */
    .cpu_us = (cpu_after - cpu_before) / 1000.0 / MAX (1, flight.replies + depth),
  };
}

static guint32
read_n_tasks (sd_bus *bus)
{
  g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
  g_autoptr(sd_bus_message) reply = NULL;
  guint32 n = 0;
  int r;

  r = sd_bus_call_method (bus, OURS_BUS_NAME, MANY_PATH, PROPERTIES_IFACE, "Get",
                          &error, &reply, "ss", SERVICE_IFACE, "NTasks");
  if (r >= 0)
    r = sd_bus_message_read (reply, "v", "u", &n);
  if (r < 0)
    fail ("reading NTasks failed: %s", error.message ? error.message : g_strerror (-r));

  return n;
}

static void
wait_for_n_tasks (sd_bus  *bus,
                  guint32  wanted)
{
  guint64 deadline = now_us () + 10 * G_USEC_PER_SEC;
  guint32 n;

  while ((n = read_n_tasks (bus)) != wanted)
    {
      if (now_us () > deadline)
        fail ("the service \"many\" has %u tasks, not %u, after 10 s", n, wanted);
      g_usleep (1000);
    }
}

static void
call_start (sd_bus *bus)
{
  g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
  int r = sd_bus_call_method (bus, OURS_BUS_NAME, MANY_PATH, SERVICE_IFACE, "Start",
                              &error, NULL, "");

  if (r < 0)
    fail ("Start failed: %s", error.message ? error.message : g_strerror (-r));
}

/* Counts the entries of the a(ssis) @reply holds. */
static guint
count_errors (sd_bus_message *reply)
{
  const char *name, *domain, *message;
  int code;
  guint n = 0;
  int r;

  r = sd_bus_message_enter_container (reply, 'a', "(ssis)");
  while (r > 0 && (r = sd_bus_message_read (reply, "(ssis)", &name, &domain, &code, &message)) > 0)
    n++;
  if (r < 0)
    fail ("cannot read the reply of Stop: %s", g_strerror (-r));

  return n;
}

/* One Stop of "many" running its 10,000 tasks: ms from call to reply, and
 * the CPU time our server (@server) spent meanwhile in @cpu_ms. */
static double
measure_stop (sd_bus *bus,
              pid_t   server,
              double *cpu_ms)
{
  g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
  g_autoptr(sd_bus_message) reply = NULL;
  guint64 t0, t1, cpu0, cpu1;
  guint n_errors;
  int r;

  wait_for_n_tasks (bus, MANY_TASKS);
  /* Let the server finish what the Start left for later (notifications). */
  g_usleep (50 * 1000);

  cpu0 = cpu_time_ns (server);
  t0 = now_us ();
  r = sd_bus_call_method (bus, OURS_BUS_NAME, MANY_PATH, SERVICE_IFACE, "Stop",
                          &error, &reply, "s", "bench");
  t1 = now_us ();
  cpu1 = cpu_time_ns (server);
  *cpu_ms = (cpu1 - cpu0) / 1e6;
  if (r < 0)
    fail ("Stop failed: %s", error.message ? error.message : g_strerror (-r));

  n_errors = count_errors (reply);
  if (n_errors != 0)
    fail ("Stop answered %u errors, expected none", n_errors);
  if (read_n_tasks (bus) != 0)
    fail ("Stop answered while tasks still ran");

  call_start (bus);
  return (t1 - t0) / 1000.0;
}

/* ==== figures =========================================================== */

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* The median of @n values; sorts a copy. */
static double
median (const double *values,
        guint         n)
{
  g_autofree double *sorted = g_memdup2 (values, n * sizeof *values);

  qsort (sorted, n, sizeof *sorted, compare_doubles);
  return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

static double
maximum (const double *values,
         guint         n)
{
  double max = values[0];

  for (guint i = 1; i < n; i++)
    max = MAX (max, values[i]);
  return max;
}

typedef struct
{
  double floor;       /* median reads/s */
  double ours;        /* median reads/s */
  double ratio;       /* median of the rounds' ours/floor */
  double floor_cpu;   /* median server CPU µs per read */
  double ours_cpu;
} ReadFigures;

static const char *
verdict (gboolean ok)
{
  return ok ? "ok" : "MISSED";
}

int
main (int   argc,
      char *argv[])
{
  static const guint depths[] = { 1, DEEP_IN_FLIGHT };
  gboolean check = FALSE;
  const char *hammer = NULL;
  guint hammer_depth = 1;
  guint rounds = 61;
  guint window_ms = 100;
  guint n_stops;
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *self_dir = NULL;
  g_autofree char *floor_exe = NULL;
  g_autofree char *address = NULL;
  pid_t floor_pid, ours_pid;
  ReadFigures reads[G_N_ELEMENTS (depths)];
  g_autofree double *stop_ms = NULL;
  g_autofree double *stop_cpu_ms = NULL;
  double stop_median, stop_max;
  gboolean ok = TRUE;
  sd_bus *client;

  if (argc == 4 && g_str_equal (argv[1], "--serve-ours"))
    return serve_ours (argv[2], argv[3]);

  for (int i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--check"))
        check = TRUE;
      else if (g_str_has_prefix (argv[i], "--rounds="))
        rounds = MAX (1, atoi (argv[i] + strlen ("--rounds=")));
      else if (g_str_has_prefix (argv[i], "--window-ms="))
        window_ms = MAX (10, atoi (argv[i] + strlen ("--window-ms=")));
      else if (g_str_equal (argv[i], "--hammer=floor"))
        hammer = FLOOR_BUS_NAME;
      else if (g_str_equal (argv[i], "--hammer=ours"))
        hammer = OURS_BUS_NAME;
      else if (g_str_has_prefix (argv[i], "--in-flight="))
        hammer_depth = MAX (1, atoi (argv[i] + strlen ("--in-flight=")));
      else
        {
          fprintf (stderr, "Usage: %s [--rounds=N] [--window-ms=MS] [--check]\n"
                   "       %s --hammer=floor|ours [--in-flight=N] [--window-ms=MS]\n",
                   argv[0], argv[0]);
          return 2;
        }
    }
  if (self_exe == NULL)
    fail ("cannot find this program through /proc/self/exe");
  self_dir = g_path_get_dirname (self_exe);
  floor_exe = g_build_filename (self_dir, "bench-bus-floor", NULL);

  install_clean_up ();
  address = start_bus ();
  floor_pid = start_server ((const char *[]) { floor_exe, address, FLOOR_BUS_NAME, NULL },
                            "the floor server");
  ours_pid = start_server ((const char *[]) { self_exe, "--serve-ours", address, OURS_BUS_NAME, NULL },
                           "our server");
  client = connect_client (address);

  if (hammer != NULL)
    {
      pid_t server = g_str_equal (hammer, FLOOR_BUS_NAME) ? floor_pid : ours_pid;
      Reads got;

      printf ("# pids: dbus-daemon %d, floor %d, ours %d, client %d\n",
              (int) children[0], (int) floor_pid, (int) ours_pid, (int) getpid ());
      fflush (stdout);
      g_usleep (G_USEC_PER_SEC);
      got = measure_reads (client, hammer, server, hammer_depth, window_ms);
      printf ("%s, %u in flight: %.0f reads/s, %.0f served, server CPU %.1f us/read\n",
              hammer, hammer_depth, got.rate, got.rate * window_ms / 1000 + hammer_depth,
              got.cpu_us);
      sd_bus_flush_close_unref (client);
      clean_up ();
      return 0;
    }

  /* Warm up both servers, the bus and the client. */
  for (guint d = 0; d < G_N_ELEMENTS (depths); d++)
    {
      measure_reads (client, FLOOR_BUS_NAME, floor_pid, depths[d], 200);
      measure_reads (client, OURS_BUS_NAME, ours_pid, depths[d], 200);
    }

  printf ("# bench-bus: Properties.Get(\"%s\", \"IsRunning\") at %s\n", SERVICE_IFACE, IDLE_PATH);
  printf ("# through one private dbus-daemon; client: sd-bus, in this process\n");
  printf ("# floor: bench-bus-floor, bare sd-bus (sd_bus_process + sd_bus_wait)\n");
  printf ("# ours:  libbgservice-1 BgsBus on a GMainLoop\n");
  printf ("# reads/s: replies within %u ms windows, median of %u interleaved rounds\n",
          window_ms, rounds);
  printf ("# ours/floor: median of each round's own ratio\n");
  printf ("# cpu_us: the server's CPU time per read (all its threads, schedstat), median\n");
  printf ("%9s %14s %14s %11s %13s %12s\n", "in_flight", "floor_reads/s", "ours_reads/s",
          "ours/floor", "floor_cpu_us", "ours_cpu_us");

  for (guint d = 0; d < G_N_ELEMENTS (depths); d++)
    {
      g_autofree double *floor_rate = g_new (double, rounds);
      g_autofree double *ours_rate = g_new (double, rounds);
      g_autofree double *floor_cpu = g_new (double, rounds);
      g_autofree double *ours_cpu = g_new (double, rounds);
      g_autofree double *ratio = g_new (double, rounds);

      for (guint r = 0; r < rounds; r++)
        {
          Reads floor_reads, ours_reads;

          /* Alternate which server goes first, so drift hurts both alike. */
          if (r % 2 == 0)
            {
              floor_reads = measure_reads (client, FLOOR_BUS_NAME, floor_pid, depths[d], window_ms);
              ours_reads = measure_reads (client, OURS_BUS_NAME, ours_pid, depths[d], window_ms);
            }
          else
            {
              ours_reads = measure_reads (client, OURS_BUS_NAME, ours_pid, depths[d], window_ms);
              floor_reads = measure_reads (client, FLOOR_BUS_NAME, floor_pid, depths[d], window_ms);
            }
          floor_rate[r] = floor_reads.rate;
          ours_rate[r] = ours_reads.rate;
          floor_cpu[r] = floor_reads.cpu_us;
          ours_cpu[r] = ours_reads.cpu_us;
          ratio[r] = ours_rate[r] / floor_rate[r];
        }

      reads[d] = (ReadFigures) {
        median (floor_rate, rounds), median (ours_rate, rounds), median (ratio, rounds),
        median (floor_cpu, rounds), median (ours_cpu, rounds),
      };
      printf ("%9u %14.0f %14.0f %11.3f %13.1f %12.1f\n", depths[d], reads[d].floor,
              reads[d].ours, reads[d].ratio, reads[d].floor_cpu, reads[d].ours_cpu);
      fflush (stdout);
    }

  n_stops = MIN (rounds, MAX_STOPS);
  stop_ms = g_new (double, n_stops);
  stop_cpu_ms = g_new (double, n_stops);
  for (guint r = 0; r < n_stops; r++)
    stop_ms[r] = measure_stop (client, ours_pid, &stop_cpu_ms[r]);
  stop_median = median (stop_ms, n_stops);
  stop_max = maximum (stop_ms, n_stops);

  printf ("\n# Stop(\"bench\") of a service running %u tasks, call to reply, %u times\n",
          MANY_TASKS, n_stops);
  printf ("stop_ms  median %.1f  max %.1f  (each:", stop_median, stop_max);
  for (guint r = 0; r < n_stops; r++)
    printf (" %.1f", stop_ms[r]);
  printf (")\n");
  printf ("# our server's CPU time meanwhile: median %.1f ms\n", median (stop_cpu_ms, n_stops));

  printf ("\n# targets\n");
  for (guint d = 0; d < G_N_ELEMENTS (depths); d++)
    {
      gboolean met = reads[d].ratio >= TARGET_READ_RATIO;

      printf ("reads/s ours/floor, %2u in flight  %7.3f  (target >= %.2f) %s\n",
              depths[d], reads[d].ratio, TARGET_READ_RATIO, verdict (met));
      ok = ok && met;
    }
  printf ("Stop of %u tasks, max ms        %7.1f  (target < %.0f) %s\n",
          MANY_TASKS, stop_max, TARGET_STOP_MS, verdict (stop_max < TARGET_STOP_MS));
  ok = ok && stop_max < TARGET_STOP_MS;
  fflush (stdout);

  sd_bus_flush_close_unref (client);
  clean_up ();

  return check && !ok ? 1 : 0;
}
