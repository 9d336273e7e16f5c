/* SPDX-License-Identifier: MIT */
/* bench-soak.c: does bgserviced keep its memory over many Start/Stop cycles?
 *
 *   bench-soak [--cycles=N] [--warm-up=N] [--type=exec|clock] [--check]
 *
 * Runs a private dbus-daemon and a real bgserviced (the program $BGSERVICED
 * names; meson sets it) serving one service, "soak", that does not start
 * on its own: of Type=exec, running "sleep 600" (the default), or of
 * Type=clock. Then, from an sd-bus client of its own, N cycles (20,000 by
 * default) of org.bgservice1.Service.Start followed by Stop, each Stop
 * answered once the run has ended (the command killed and reaped).
 *
 * Figures: the daemon's resident memory (VmRSS of /proc/PID/status) once
 * it is ready, after the first --warm-up cycles (1,000 by default: the
 * allocator's pools and GLib's caches have grown to what the cycle needs),
 * every fifth of the run, and at the end; the ratio of the end to the
 * value after the warm-up, target <= 1.05; and cycles per second, for
 * diagnosis only.
 *
 * With --check the program exits 1 when the target is missed; it exits 2
 * on a usage error or when the benchmark itself fails (the daemon's log is
 * then printed). Children get PR_SET_PDEATHSIG: a benchmark that dies
 * takes dbus-daemon and bgserviced along, and bgserviced ends its
 * commands.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <systemd/sd-bus.h>

#define BUS_NAME       "org.bgservice1"
#define SERVICE_IFACE  "org.bgservice1.Service"
#define SOAK_PATH      "/org/bgservice1/service/soak"
#define READY_TIMEOUT_US (20 * G_USEC_PER_SEC)
#define CALL_TIMEOUT_US  (30 * G_USEC_PER_SEC)
#define N_REPORTS      5

#define TARGET_RATIO   1.05

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (sd_bus_error, sd_bus_error_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (sd_bus_message, sd_bus_message_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (sd_bus, sd_bus_flush_close_unref)

/* Soak: what the benchmark started, ended by soak_clear(). */
typedef struct
{
  char   *dir;          /* (owned): the temporary folder */
  GPid    bus_pid;      /* 0: not running */
  GPid    daemon_pid;   /* 0: not running */
  char   *address;      /* (owned) (nullable): of the private bus */
  char   *daemon_log;   /* (owned): bgserviced's stdout and stderr */
} Soak;

static Soak soak;

/* ---- processes --------------------------------------------------------- */

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* Ends @pid with SIGTERM, then SIGKILL after five seconds. */
static void
end_child (GPid *pid)
{
  if (*pid == 0)
    return;

  kill (*pid, SIGTERM);
  for (guint waited_ms = 0; waitpid (*pid, NULL, WNOHANG) == 0; waited_ms += 10)
    {
      if (waited_ms == 5000)
        kill (*pid, SIGKILL);
      g_usleep (10 * 1000);
    }
  *pid = 0;
}

static void
soak_clear (void)
{
  end_child (&soak.daemon_pid);
  end_child (&soak.bus_pid);
  if (soak.dir != NULL)
    {
      g_autoptr(GDir) dir = g_dir_open (soak.dir, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *path = g_build_filename (soak.dir, name, NULL);

          g_unlink (path);
        }
      g_rmdir (soak.dir);
    }
  g_clear_pointer (&soak.dir, g_free);
  g_clear_pointer (&soak.address, g_free);
  g_clear_pointer (&soak.daemon_log, g_free);
}

static void
on_fatal_signal (int signum)
{
  /* Async-signal-safe: the children die with this process anyway
   * (PR_SET_PDEATHSIG); only the folder stays behind. */
  signal (signum, SIG_DFL);
  raise (signum);
}

G_GNUC_PRINTF (1, 2) G_GNUC_NORETURN static void
fail (const char *format,
      ...)
{
  g_autofree char *log = NULL;
  va_list args;

  fflush (stdout);
  fprintf (stderr, "bench-soak: ");
  va_start (args, format);
  vfprintf (stderr, format, args);
  va_end (args);
  fprintf (stderr, "\n");
  if (soak.daemon_log != NULL && g_file_get_contents (soak.daemon_log, &log, NULL, NULL))
    fprintf (stderr, "--- bgserviced's log ---\n%s", log);
  exit (2);
}

static void
write_file (const char *name,
            const char *text,
            char      **path_out)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (soak.dir, name, NULL);

  if (!g_file_set_contents (path, text, -1, &error))
    fail ("%s", error->message);
  *path_out = path;
}

/* Starts @argv with stdout and stderr to @out_fd (-1: a pipe, whose reading
 * end goes to @pipe_out); returns its PID. */
static GPid
spawn (const char *const *argv,
       int                out_fd,
       int               *pipe_out)
{
  g_autoptr(GError) error = NULL;
  GPid pid;

  GSpawnFlags flags = G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD;

  /* A pipe is for dbus-daemon's address; its chatter goes nowhere. */
  if (out_fd < 0)
    flags |= G_SPAWN_STDERR_TO_DEV_NULL;
  if (!g_spawn_async_with_pipes_and_fds (NULL, argv, NULL, flags,
                                         die_with_parent, NULL, -1, out_fd,
                                         out_fd < 0 ? -1 : out_fd, NULL, NULL, 0,
                                         &pid, NULL, out_fd < 0 ? pipe_out : NULL, NULL, &error))
    fail ("cannot run %s: %s", argv[0], error->message);

  return pid;
}

/* Starts the private bus; sets soak.address. */
static void
start_bus (void)
{
  g_autofree char *config = NULL;
  g_autofree char *socket = g_build_filename (soak.dir, "bus", NULL);
  g_autofree char *text = g_strdup_printf (
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
    "</busconfig>\n", socket);
  g_autofree char *config_arg = NULL;
  g_autoptr(GIOChannel) channel = NULL;
  gsize terminator;
  int out;

  write_file ("bus.conf", text, &config);
  config_arg = g_strconcat ("--config-file=", config, NULL);
  soak.bus_pid = spawn ((const char *[]) { "dbus-daemon", config_arg, "--nofork",
                                           "--print-address", NULL }, -1, &out);

  channel = g_io_channel_unix_new (out);
  g_io_channel_set_close_on_unref (channel, TRUE);
  if (g_io_channel_read_line (channel, &soak.address, NULL, &terminator, NULL) !=
      G_IO_STATUS_NORMAL || soak.address == NULL)
    fail ("dbus-daemon did not print its address");
  soak.address[terminator] = '\0';
}

/* Starts bgserviced with the one service, of @type. */
static void
start_daemon (const char *type)
{
  const char *program = g_getenv ("BGSERVICED");
  g_autofree char *config = NULL;
  g_autofree char *service = g_strdup_printf (
    "[Service soak]\nType=%s\nAutoStart=false\n%s", type,
    g_str_equal (type, "exec") ? "Exec=sleep 600\n" : "IntervalSec=60\n");
  g_autofree char *config_arg = NULL;
  g_autofree char *address_arg = g_strconcat ("--address=", soak.address, NULL);
  int log_fd;

  if (program == NULL)
    fail ("$BGSERVICED must name the bgserviced to run (meson test --benchmark sets it)");

  write_file ("bgserviced.conf", service, &config);
  config_arg = g_strconcat ("--config=", config, NULL);
  soak.daemon_log = g_build_filename (soak.dir, "bgserviced.log", NULL);
  log_fd = g_open (soak.daemon_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (log_fd < 0)
    fail ("%s: %s", soak.daemon_log, g_strerror (errno));

  soak.daemon_pid = spawn ((const char *[]) { program, address_arg, config_arg, NULL },
                           log_fd, NULL);
  close (log_fd);
}

/* The resident memory of @pid, in KiB. */
static guint64
rss_kib (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", pid);
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents (path, &status, NULL, NULL) ||
      (line = strstr (status, "\nVmRSS:")) == NULL)
    fail ("cannot read the memory of bgserviced (PID %d): did it exit?", pid);

  return g_ascii_strtoull (line + strlen ("\nVmRSS:"), NULL, 10);
}

/* ---- the client -------------------------------------------------------- */

static sd_bus *
connect_client (void)
{
  sd_bus *bus = NULL;
  int r;

  r = sd_bus_new (&bus);
  if (r >= 0)
    r = sd_bus_set_address (bus, soak.address);
  if (r >= 0)
    r = sd_bus_set_bus_client (bus, 1);
  if (r >= 0)
    r = sd_bus_start (bus);
  if (r < 0)
    fail ("cannot connect to %s: %s", soak.address, g_strerror (-r));

  return bus;
}

/* Waits until bgserviced owns its name. */
static void
wait_ready (sd_bus *bus)
{
  gint64 deadline = g_get_monotonic_time () + READY_TIMEOUT_US;

  for (;;)
    {
      g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
      g_autoptr(sd_bus_message) reply = NULL;
      int owned = 0;

      if (sd_bus_call_method (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                              "org.freedesktop.DBus", "NameHasOwner", &error, &reply,
                              "s", BUS_NAME) >= 0 &&
          sd_bus_message_read (reply, "b", &owned) >= 0 && owned)
        return;
      if (waitpid (soak.daemon_pid, NULL, WNOHANG) == soak.daemon_pid)
        {
          soak.daemon_pid = 0;
          fail ("bgserviced exited before it owned %s", BUS_NAME);
        }
      if (g_get_monotonic_time () > deadline)
        fail ("bgserviced did not own %s within %d s", BUS_NAME,
              (int) (READY_TIMEOUT_US / G_USEC_PER_SEC));
      g_usleep (20 * 1000);
    }
}

/* Calls @method of the service; fails the benchmark on an error answer, or
 * on a Stop that reports failures of the run. */
static void
call (sd_bus     *bus,
      const char *method)
{
  g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
  g_autoptr(sd_bus_message) call_message = NULL;
  g_autoptr(sd_bus_message) reply = NULL;
  gboolean stop = g_str_equal (method, "Stop");
  int r;

  r = sd_bus_message_new_method_call (bus, &call_message, BUS_NAME, SOAK_PATH, SERVICE_IFACE,
                                      method);
  if (r >= 0 && stop)
    r = sd_bus_message_append (call_message, "s", "soak");
  if (r >= 0)
    r = sd_bus_call (bus, call_message, CALL_TIMEOUT_US, &error, &reply);
  if (r < 0)
    fail ("%s failed: %s", method, error.message != NULL ? error.message : g_strerror (-r));

  if (stop)
    {
      r = sd_bus_message_enter_container (reply, 'a', "(ssis)");
      if (r < 0 || sd_bus_message_at_end (reply, FALSE) <= 0)
        fail ("Stop reported failures of the run, or an answer not understood");
    }
}

/* ---- main -------------------------------------------------------------- */

int
main (int   argc,
      char *argv[])
{
  int cycles = 20000, warm_up = 1000;
  gboolean check = FALSE;
  g_autofree char *type = NULL;
  GOptionEntry entries[] = {
    { "cycles", 0, 0, G_OPTION_ARG_INT, &cycles, "Start/Stop cycles in all (20000)", "N" },
    { "warm-up", 0, 0, G_OPTION_ARG_INT, &warm_up, "cycles before the reference figure (1000)", "N" },
    { "type", 0, 0, G_OPTION_ARG_STRING, &type, "type of the service: exec (default) or clock", "TYPE" },
    { "check", 0, 0, G_OPTION_ARG_NONE, &check, "exit 1 when the target is missed", NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- bgserviced's memory over Start/Stop cycles");
  g_autoptr(GError) error = NULL;
  g_autoptr(sd_bus) bus = NULL;
  guint64 at_start, after_warm_up = 0, at_end;
  gint64 started_us;
  double ratio;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "bench-soak: %s\n", error->message);
      return 2;
    }
  if (type == NULL)
    type = g_strdup ("exec");
  if (warm_up < 1 || cycles <= warm_up || (!g_str_equal (type, "exec") && !g_str_equal (type, "clock")))
    {
      fprintf (stderr, "bench-soak: need 1 <= --warm-up < --cycles and --type=exec|clock\n");
      return 2;
    }

  signal (SIGINT, on_fatal_signal);
  signal (SIGTERM, on_fatal_signal);
  atexit (soak_clear);
  soak.dir = g_dir_make_tmp ("bench-soak-XXXXXX", &error);
  if (soak.dir == NULL)
    fail ("%s", error->message);

  start_bus ();
  start_daemon (type);
  bus = connect_client ();
  wait_ready (bus);
  at_start = rss_kib (soak.daemon_pid);
  printf ("bench-soak: %d Start/Stop cycles of one %s service over D-Bus\n", cycles, type);
  printf ("  daemon RSS when ready:        %8" G_GUINT64_FORMAT " KiB\n", at_start);

  started_us = g_get_monotonic_time ();
  for (int i = 1; i <= cycles; i++)
    {
      call (bus, "Start");
      call (bus, "Stop");
      if (i == warm_up)
        {
          after_warm_up = rss_kib (soak.daemon_pid);
          printf ("  after %6d cycles:           %8" G_GUINT64_FORMAT " KiB (reference)\n",
                  i, after_warm_up);
        }
      else if (i % (cycles / N_REPORTS) == 0 && i != cycles)
        printf ("  after %6d cycles:           %8" G_GUINT64_FORMAT " KiB\n", i,
                rss_kib (soak.daemon_pid));
      fflush (stdout);
    }

  at_end = rss_kib (soak.daemon_pid);
  ratio = (double) at_end / (double) after_warm_up;
  printf ("  after %6d cycles (end):     %8" G_GUINT64_FORMAT " KiB\n", cycles, at_end);
  printf ("  end / after %d cycles:     %8.3f (target <= %.2f)%s\n", warm_up, ratio,
          TARGET_RATIO, ratio <= TARGET_RATIO ? "" : "  MISSED");
  printf ("  cycles/s:                     %8.0f\n",
          cycles / ((g_get_monotonic_time () - started_us) / (double) G_USEC_PER_SEC));

  return check && ratio > TARGET_RATIO ? 1 : 0;
}
