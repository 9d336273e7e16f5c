/* SPDX-License-Identifier: MIT */
/* clock.c: the clock example of Python's BackgroundService, with bgservice.
 *
 * ClockService is the smallest useful BgsService: its start spawns one
 * periodic task that prints the local time every interval. The base class
 * tracks that task, so it knows by itself whether the clock runs, how to
 * cancel it, and which errors to hand back when it stops.
 *
 * main() runs the clock on a GMainLoop inside a BgsServiceGuard, until
 * SIGINT or SIGTERM arrives or --ticks ticks were printed, and exits with
 * what the stop said: 0 when the task ended cleanly, 1 when it failed.
 *
 *   clock --interval=0.5 --ticks=4
 *   clock --format='%H:%M:%S'
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#include <glib-unix.h>
#include <bgservice.h>

#define DEFAULT_FORMAT "%Y-%m-%d %H:%M:%S"
#define EXIT_USAGE 2

/* ---- ClockService ---------------------------------------------------- */

/*
 * ClockService: prints the time every interval_ms milliseconds with
 * g_date_time_format(), and stops by itself after max_ticks ticks unless
 * that is 0. Only start is implemented: everything else is the base
 * class's, which works from the tasks the service spawned.
 */
#define CLOCK_TYPE_SERVICE (clock_service_get_type ())
G_DECLARE_FINAL_TYPE (ClockService, clock_service, CLOCK, SERVICE, BgsService)

struct _ClockService
{
  BgsService  parent_instance;

  guint       interval_ms;
  guint       max_ticks;     /* 0: tick until cancelled */
  char       *format;        /* as g_date_time_format() takes it */
  guint       ticks;         /* printed since the last start */
};

G_DEFINE_FINAL_TYPE (ClockService, clock_service, BGS_TYPE_SERVICE)

/* One tick of the periodic task, on the main context. */
static gboolean
clock_service_tick (BgsService  *service,
                    gpointer     user_data,
                    GError     **error)
{
  ClockService *self = CLOCK_SERVICE (service);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *text = g_date_time_format (now, self->format);

  /* Returning FALSE with an error fails the task. The service keeps the
   * error, and its next stop hands it back (see run_clock()). */
  if (text == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "Cannot format the time with “%s”", self->format);
      return FALSE;
    }

  g_print ("%s\n", text);
  fflush (stdout);  /* a line per tick, into a pipe too */

  /* Returning FALSE without an error ends the task cleanly. */
  self->ticks++;
  return self->max_ticks == 0 || self->ticks < self->max_ticks;
}

/* BgsServiceClass.start: called by bgs_service_start() when the clock does
 * not run. A task spawned here belongs to the service until it ends. */
static void
clock_service_start (BgsService *service)
{
  ClockService *self = CLOCK_SERVICE (service);

  self->ticks = 0;
  bgs_service_spawn_periodic (service, "tick", self->interval_ms,
                              clock_service_tick, NULL, NULL);
}

static void
clock_service_finalize (GObject *object)
{
  ClockService *self = CLOCK_SERVICE (object);

  g_free (self->format);

  G_OBJECT_CLASS (clock_service_parent_class)->finalize (object);
}

static void
clock_service_class_init (ClockServiceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  BgsServiceClass *service_class = BGS_SERVICE_CLASS (klass);

  object_class->finalize = clock_service_finalize;
  service_class->start = clock_service_start;
}

static void
clock_service_init (ClockService *self)
{
}

static ClockService *
clock_service_new (guint       interval_ms,
                   guint       max_ticks,
                   const char *format)
{
  ClockService *self = g_object_new (CLOCK_TYPE_SERVICE, "name", "clock", NULL);

  self->interval_ms = interval_ms;
  self->max_ticks = max_ticks;
  self->format = g_strdup (format);

  return self;
}

/* ---- the program ----------------------------------------------------- */

static gboolean
on_quit_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

/* With --ticks, or when a tick fails, the clock stops running by itself:
 * then there is nothing left to wait for. */
static void
on_running_changed (BgsService *service,
                    GParamSpec *pspec,
                    gpointer    user_data)
{
  if (!bgs_service_is_running (service))
    g_main_loop_quit (user_data);
}

/* Runs @service until it stops by itself or a signal arrives, then stops
 * it. Returns what the stop returned. */
static gboolean
run_clock (BgsService  *service,
           GError     **error)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(BgsServiceGuard) guard = NULL;
  guint sigint = g_unix_signal_add (SIGINT, on_quit_signal, loop);
  guint sigterm = g_unix_signal_add (SIGTERM, on_quit_signal, loop);
  gulong handler = g_signal_connect (service, "notify::is-running",
                                     G_CALLBACK (on_running_changed), loop);
  gboolean stopped_cleanly;

  /* The guard starts the service, and g_autoptr() stops it however this
   * scope is left. Ending it by hand, as here, returns the errors of the
   * stop instead of logging them. */
  guard = bgs_service_guard_new (service);
  if (bgs_service_is_running (service))
    g_main_loop_run (loop);
  stopped_cleanly = bgs_service_guard_end (g_steal_pointer (&guard), error);

  g_signal_handler_disconnect (service, handler);
  g_source_remove (sigterm);
  g_source_remove (sigint);

  return stopped_cleanly;
}

/* A failed stop returns one BGS_ERROR_TASKS_FAILED error for all the tasks
 * that failed: its message names each of them, and bgs_error_get_errors()
 * gives the error each task returned, as it returned it. */
static void
print_failure (const GError *error)
{
  GPtrArray *errors = bgs_error_get_errors (error);
  const char * const *names = bgs_error_get_names (error);

  g_printerr ("clock: %s\n", error->message);
  for (guint i = 0; errors != NULL && i < errors->len; i++)
    {
      const GError *task_error = errors->pdata[i];

      g_printerr ("clock: task %s: error %d of %s\n", names[i],
                  task_error->code, g_quark_to_string (task_error->domain));
    }
}

static int
usage_error (const char *message)
{
  g_printerr ("clock: %s\nTry “clock --help”.\n", message);
  return EXIT_USAGE;
}

int
main (int    argc,
      char **argv)
{
  double interval = 1.0;
  int ticks = 0;
  g_autofree char *format = NULL;
  const GOptionEntry entries[] = {
    { "interval", 'i', 0, G_OPTION_ARG_DOUBLE, &interval,
      "Print the time every SECONDS (fractions allowed; default 1)", "SECONDS" },
    { "ticks", 'n', 0, G_OPTION_ARG_INT, &ticks,
      "Stop by itself after N ticks (default 0: run until SIGINT or SIGTERM)", "N" },
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format,
      "Print the time as FORMAT says, in the syntax of g_date_time_format(), "
      "much like strftime's (default “" DEFAULT_FORMAT "”)", "FORMAT" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(ClockService) clock_service = NULL;
  g_autoptr(GError) error = NULL;

  setlocale (LC_ALL, "");

  context = g_option_context_new ("- print the time until stopped");
  g_option_context_set_summary (context,
    "Prints the local time every interval from a bgservice task, until\n"
    "SIGINT or SIGTERM stops it, or until it has ticked --ticks times.");
  g_option_context_set_description (context,
    "Exit status: 0 when the clock stopped cleanly, 1 when its task failed\n"
    "(for instance on a FORMAT the locale cannot print), 2 on usage errors.");
  g_option_context_add_main_entries (context, entries, NULL);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    return usage_error (error->message);
  if (argc > 1)
    return usage_error ("Unexpected argument");
  if (!(interval >= 0.001 && interval <= G_MAXUINT / 1000))
    return usage_error ("--interval must be between 0.001 and 4294967 seconds");
  if (ticks < 0)
    return usage_error ("--ticks must not be negative");

  clock_service = clock_service_new ((guint) (interval * 1000 + 0.5), ticks,
                                     format != NULL ? format : DEFAULT_FORMAT);

  if (!run_clock (BGS_SERVICE (clock_service), &error))
    {
      print_failure (error);
      return EXIT_FAILURE;
    }

  return EXIT_SUCCESS;
}
