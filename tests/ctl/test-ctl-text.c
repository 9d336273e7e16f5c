/* SPDX-License-Identifier: MIT */
/* test-ctl-text.c: unit tests of what bgservicectl added to its plain
 * output, without a bus: when it colours (environment, terminal), that
 * colours keep the columns aligned, list without legend, the KEY=VALUE
 * lines of show, --output's words, and the nearest word suggested for a
 * typo.
 */
#include "config.h"

#include <string.h>

#include "ctl-output.h"
#include "ctl-suggest.h"
#include "ctl-wire.h"

/* Fri 2026-11-27 12:00:01 UTC, in µs since the epoch. */
#define FRIDAY_NOON_USEC  (G_GINT64_CONSTANT (1795780801) * G_TIME_SPAN_SECOND)

#define GREEN   "\033[1;32m"
#define YELLOW  "\033[1;33m"
#define RED     "\033[1;31m"
#define RESET   "\033[0m"

static CtlTaskError *
make_task_error (const char *task,
                 const char *domain,
                 gint32      code,
                 const char *message)
{
  CtlTaskError *task_error = g_new0 (CtlTaskError, 1);

  task_error->task = g_strdup (task);
  task_error->domain = g_strdup (domain);
  task_error->code = code;
  task_error->message = g_strdup (message);

  return task_error;
}

/* A service as GetAll describes it, every property read. */
static CtlServiceInfo *
make_info (const char *name,
           const char *state,
           gboolean    is_running,
           guint       n_tasks,
           guint       n_restarts)
{
  CtlServiceInfo *info = ctl_service_info_new ();

  info->name = g_strdup (name);
  info->state = g_strdup (state);
  info->is_running = is_running;
  info->n_tasks = n_tasks;
  info->n_restarts = n_restarts;
  info->restart = g_strdup ("no");
  info->state_timestamp = FRIDAY_NOON_USEC;
  info->last_errors = g_ptr_array_new_with_free_func ((GDestroyNotify) ctl_task_error_free);
  info->properties_read = (1u << CTL_N_PROPERTIES) - 1;

  return info;
}

/* One service in each state, one with a wide name. */
static GPtrArray *
every_state (void)
{
  GPtrArray *services = g_ptr_array_new_with_free_func ((GDestroyNotify) ctl_service_info_free);

  g_ptr_array_add (services, make_info ("clock", "running", TRUE, 1, 0));
  g_ptr_array_add (services, make_info ("failer", "failed", FALSE, 0, 5));
  g_ptr_array_add (services, make_info ("idle 日本語", "stopped", FALSE, 0, 0));
  g_ptr_array_add (services, make_info ("retrier", "restarting", TRUE, 0, 1));
  g_ptr_array_add (services, make_info ("stubborn", "stopping", TRUE, 1, 0));

  return services;
}

/* @text without its SGR escape sequences. */
static char *
strip_colours (const char *text)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '\033' && p[1] == '[')
        {
          p = strchr (p, 'm');
          g_assert_nonnull (p);
          continue;
        }
      g_string_append_c (out, *p);
    }

  return g_string_free (out, FALSE);
}

static void
test_colour_decision (void)
{
  const char * const off[] = { "0", "false", "FALSE", "no", "No", "off", "n", "f" };
  const char * const on[] = { "1", "true", "yes", "on", "16", "256", "24bit", "" };

  /* Only a terminal gets colours; nothing forces them into a pipe. */
  g_assert_true (ctl_output_colour_wanted_for (TRUE, NULL, NULL, "xterm-256color"));
  g_assert_true (ctl_output_colour_wanted_for (TRUE, NULL, NULL, NULL));
  g_assert_false (ctl_output_colour_wanted_for (FALSE, NULL, NULL, "xterm"));
  g_assert_false (ctl_output_colour_wanted_for (FALSE, NULL, "1", "xterm"));
  g_assert_false (ctl_output_colour_wanted_for (FALSE, NULL, "true", "xterm"));

  /* NO_COLOR, whatever its value, even empty. */
  g_assert_false (ctl_output_colour_wanted_for (TRUE, "1", NULL, "xterm"));
  g_assert_false (ctl_output_colour_wanted_for (TRUE, "", NULL, "xterm"));
  g_assert_false (ctl_output_colour_wanted_for (TRUE, "0", "1", "xterm"));

  /* SYSTEMD_COLORS: the false words of systemd, in any case. */
  for (gsize i = 0; i < G_N_ELEMENTS (off); i++)
    g_assert_false (ctl_output_colour_wanted_for (TRUE, NULL, off[i], "xterm"));
  for (gsize i = 0; i < G_N_ELEMENTS (on); i++)
    g_assert_true (ctl_output_colour_wanted_for (TRUE, NULL, on[i], "xterm"));

  /* A dumb terminal shows escape sequences as they are. */
  g_assert_false (ctl_output_colour_wanted_for (TRUE, NULL, NULL, "dumb"));
}

static void
test_colour_outside_a_terminal (void)
{
  /* The test's standard output is meson's pipe, not a terminal. */
  if (ctl_output_is_terminal ())
    {
      g_test_skip ("standard output is a terminal");
      return;
    }
  g_assert_false (ctl_output_colour_wanted ());
}

static void
test_list_table_colours (void)
{
  g_autoptr (GPtrArray) services = every_state ();
  g_autoptr (GString) plain = g_string_new (NULL);
  g_autoptr (GString) coloured = g_string_new (NULL);
  g_autofree char *stripped = NULL;

  ctl_output_format_services (plain, services, TRUE, 80, CTL_OUTPUT_FLAGS_NONE);
  ctl_output_format_services (coloured, services, TRUE, 80, CTL_OUTPUT_COLOUR);

  g_assert_cmpstr (coloured->str, ==,
                   "NAME         STATE       TASKS  RESTARTS\n"
                   "clock        " GREEN "running" RESET "         1         0\n"
                   "failer       " RED "failed" RESET "          0         5\n"
                   "idle 日本語  stopped         0         0\n"
                   "retrier      " YELLOW "restarting" RESET "      0         1\n"
                   "stubborn     " YELLOW "stopping" RESET "        1         0\n"
                   "\n"
                   "5 services, 3 running, 1 failed.\n");
  /* Colours take no column: without them, the plain table. */
  stripped = strip_colours (coloured->str);
  g_assert_cmpstr (stripped, ==, plain->str);
}

static void
test_list_pipe_never_coloured (void)
{
  g_autoptr (GPtrArray) services = every_state ();
  g_autoptr (GString) out = g_string_new (NULL);

  ctl_output_format_services (out, services, FALSE, 0, CTL_OUTPUT_COLOUR | CTL_OUTPUT_NO_LEGEND);
  g_assert_null (strchr (out->str, '\033'));
  g_assert_cmpstr (out->str, ==,
                   "clock\trunning\t1\t0\n"
                   "failer\tfailed\t0\t5\n"
                   "idle 日本語\tstopped\t0\t0\n"
                   "retrier\trestarting\t0\t1\n"
                   "stubborn\tstopping\t1\t0\n");
}

static void
test_list_table_colours_hostile_state (void)
{
  g_autoptr (GPtrArray) services = g_ptr_array_new_with_free_func ((GDestroyNotify) ctl_service_info_free);
  g_autoptr (GString) out = g_string_new (NULL);

  /* An unknown state, escaped, uncoloured; a name needing escapes. */
  g_ptr_array_add (services, make_info ("a\xe2\x80\xae" "b", "run\x1b[0ming", TRUE, 1, 0));
  g_ptr_array_add (services, make_info ("ok", "running", TRUE, 1, 0));
  ctl_output_format_services (out, services, TRUE, 80, CTL_OUTPUT_COLOUR);
  g_assert_cmpstr (out->str, ==,
                   "NAME        STATE          TASKS  RESTARTS\n"
                   "a\\u{202E}b  run\\x1b[0ming      1         0\n"
                   "ok          " GREEN "running" RESET "            1         0\n"
                   "\n"
                   "2 services, 2 running.\n");
}

static void
test_list_no_legend (void)
{
  g_autoptr (GPtrArray) services = every_state ();
  g_autoptr (GPtrArray) none = g_ptr_array_new ();
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (GString) empty = g_string_new (NULL);

  ctl_output_format_services (out, services, TRUE, 80, CTL_OUTPUT_NO_LEGEND);
  g_assert_cmpstr (out->str, ==,
                   "clock        running         1         0\n"
                   "failer       failed          0         5\n"
                   "idle 日本語  stopped         0         0\n"
                   "retrier      restarting      0         1\n"
                   "stubborn     stopping        1         0\n");

  /* No "No services." either. */
  ctl_output_format_services (empty, none, TRUE, 80, CTL_OUTPUT_NO_LEGEND);
  g_assert_cmpstr (empty->str, ==, "");
}

static void
test_status_colours (void)
{
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr (CtlServiceInfo) failed = make_info ("failer", "failed", FALSE, 0, 0);
  g_autoptr (CtlServiceInfo) stopped = make_info ("idle", "stopped", FALSE, 0, 0);
  g_autoptr (GString) out = g_string_new (NULL);

  ctl_output_format_status (out, failed, FRIDAY_NOON_USEC + 2 * G_TIME_SPAN_SECOND, utc,
                            CTL_OUTPUT_COLOUR);
  ctl_output_format_status (out, stopped, FRIDAY_NOON_USEC, utc, CTL_OUTPUT_COLOUR);
  g_assert_cmpstr (out->str, ==,
                   "failer\n"
                   "  state: " RED "failed" RESET " since Fri 2026-11-27 12:00:01 UTC; 2s ago\n"
                   "  restarts: 0 (Restart=no)\n"
                   "  tasks: 0\n"
                   "  last errors: none\n"
                   "idle\n"
                   "  state: stopped since Fri 2026-11-27 12:00:01 UTC; 0ms ago\n"
                   "  restarts: 0 (Restart=no)\n"
                   "  tasks: 0\n"
                   "  last errors: none\n");
}

static void
test_show_every_property (void)
{
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr (CtlServiceInfo) info = make_info ("failer", "failed", FALSE, 0, 2);
  g_autoptr (GString) out = g_string_new (NULL);

  g_ptr_array_add (info->last_errors,
                   make_task_error ("instance-1", "g-spawn-exit-error-quark", 3, "exited; badly"));
  g_ptr_array_add (info->last_errors, make_task_error ("", "g-io-error-quark", 14, "no task"));
  ctl_output_format_show (out, info, NULL, utc);
  g_assert_cmpstr (out->str, ==,
                   "Name=failer\n"
                   "IsRunning=no\n"
                   "NTasks=0\n"
                   "LastErrors=instance-1: exited; badly (g-spawn-exit-error-quark 3); "
                   "no task (g-io-error-quark 14)\n"
                   "State=failed\n"
                   "StateTimestamp=1795780801000000\n"
                   "StateTimestampText=Fri 2026-11-27 12:00:01 UTC\n"
                   "NRestarts=2\n"
                   "Restart=no\n");
}

static void
test_show_properties (void)
{
  const char * const picked[] = { "NTasks", "Nope", "StateTimestampText", "IsRunning", "state",
                                  NULL };
  const char * const none[] = { NULL };
  g_autoptr (GTimeZone) tokyo = g_time_zone_new_identifier ("Asia/Tokyo");
  g_autoptr (CtlServiceInfo) info = make_info ("clock", "running", TRUE, 1, 0);
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (GString) nothing = g_string_new (NULL);

  if (tokyo == NULL)
    {
      g_test_skip ("no time zone data (tzdata)");
      return;
    }

  /* In the interface's order; unknown names (case counts) print nothing;
   * the text of the time in the zone given. */
  ctl_output_format_show (out, info, picked, tokyo);
  g_assert_cmpstr (out->str, ==,
                   "IsRunning=yes\n"
                   "NTasks=1\n"
                   "StateTimestampText=Fri 2026-11-27 21:00:01 JST\n");

  ctl_output_format_show (nothing, info, none, tokyo);
  g_assert_cmpstr (nothing->str, ==, "");
}

static void
test_show_never_changed_and_partial (void)
{
  const char * const times[] = { "StateTimestamp", "StateTimestampText", NULL };
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr (CtlServiceInfo) info = make_info ("idle", "stopped", FALSE, 0, 0);
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (GString) partial = g_string_new (NULL);

  info->state_timestamp = 0;
  ctl_output_format_show (out, info, times, utc);
  g_assert_cmpstr (out->str, ==, "StateTimestamp=0\nStateTimestampText=\n");

  /* What the daemon did not give is not shown; nor its text. */
  info->properties_read = 1u << CTL_PROPERTY_NAME | 1u << CTL_PROPERTY_RESTART;
  ctl_output_format_show (partial, info, NULL, utc);
  g_assert_cmpstr (partial->str, ==, "Name=idle\nRestart=no\n");
}

static void
test_show_hostile_values (void)
{
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr (CtlServiceInfo) info = make_info ("a\"b\\c", "running", TRUE, 1, 0);
  g_autoptr (GString) out = g_string_new (NULL);
  const char * const picked[] = { "Name", "LastErrors", NULL };

  g_ptr_array_add (info->last_errors,
                   make_task_error ("t\nx", "d\x1b", 1, "line\nbreak\xc2\x9b" "2J \xe2\x80\xa8"));
  ctl_output_format_show (out, info, picked, utc);
  /* One line a property, whatever the values hold. */
  g_assert_cmpstr (out->str, ==,
                   "Name=a\"b\\c\n"
                   "LastErrors=t\\nx: line\\nbreak\\u{009B}2J \\u{2028} (d\\x1b 1)\n");
}

static void
test_task_error_without_task (void)
{
  g_autoptr (GPtrArray) errors = g_ptr_array_new_with_free_func ((GDestroyNotify) ctl_task_error_free);
  g_autoptr (GString) out = g_string_new (NULL);

  g_ptr_array_add (errors, make_task_error ("", "g-io-error-quark", 1, "failed"));
  g_ptr_array_add (errors, make_task_error ("t", "g-io-error-quark", 2, "also"));
  ctl_output_format_task_errors (out, "web", errors);
  g_assert_cmpstr (out->str, ==,
                   "web: failed (g-io-error-quark 1)\n"
                   "web: t: also (g-io-error-quark 2)\n");
}

static void
test_output_modes (void)
{
  CtlOutputMode mode = CTL_OUTPUT_JSON;

  g_assert_true (ctl_output_mode_from_string ("plain", &mode));
  g_assert_cmpint (mode, ==, CTL_OUTPUT_PLAIN);
  g_assert_true (ctl_output_mode_from_string ("json", &mode));
  g_assert_cmpint (mode, ==, CTL_OUTPUT_JSON);
  g_assert_true (ctl_output_mode_from_string ("json-pretty", &mode));
  g_assert_cmpint (mode, ==, CTL_OUTPUT_JSON_PRETTY);

  for (const char * const *bad = (const char * const[]) { "", "JSON", "json ", "short", "xml", NULL };
       *bad != NULL; bad++)
    {
      mode = CTL_OUTPUT_JSON_PRETTY;
      g_assert_false (ctl_output_mode_from_string (*bad, &mode));
      g_assert_cmpint (mode, ==, CTL_OUTPUT_JSON_PRETTY);
    }
}

static void
test_distance (void)
{
  g_assert_cmpuint (ctl_suggest_distance ("", ""), ==, 0);
  g_assert_cmpuint (ctl_suggest_distance ("status", "status"), ==, 0);
  g_assert_cmpuint (ctl_suggest_distance ("", "stop"), ==, 4);
  g_assert_cmpuint (ctl_suggest_distance ("stop", ""), ==, 4);
  /* A swap of neighbours is one edit. */
  g_assert_cmpuint (ctl_suggest_distance ("stauts", "status"), ==, 1);
  g_assert_cmpuint (ctl_suggest_distance ("tsop", "stop"), ==, 1);
  g_assert_cmpuint (ctl_suggest_distance ("sotp", "stop"), ==, 1);
  /* Insertions, deletions, substitutions. */
  g_assert_cmpuint (ctl_suggest_distance ("is_failed", "is-failed"), ==, 1);
  g_assert_cmpuint (ctl_suggest_distance ("lst", "list"), ==, 1);
  g_assert_cmpuint (ctl_suggest_distance ("listt", "list"), ==, 1);
  g_assert_cmpuint (ctl_suggest_distance ("kitten", "sitting"), ==, 3);
  /* Characters, not bytes. */
  g_assert_cmpuint (ctl_suggest_distance ("日本", "日本語"), ==, 1);
  g_assert_cmpuint (ctl_suggest_distance ("stätus", "status"), ==, 1);
}

static void
test_nearest (void)
{
  const char * const commands[] = {
    "list", "status", "show", "start", "stop", "cancel", "restart", "wait", "is-active",
    "is-failed", "reset-failed", "help", NULL
  };
  const char * const options[] = { "--output", "--quiet", "--no-legend", "--no-pager",
                                   "--message", "--all", "--property", "--help", NULL };

  g_assert_cmpstr (ctl_suggest_nearest ("stauts", commands), ==, "status");
  g_assert_cmpstr (ctl_suggest_nearest ("is_failed", commands), ==, "is-failed");
  g_assert_cmpstr (ctl_suggest_nearest ("isactive", commands), ==, "is-active");
  g_assert_cmpstr (ctl_suggest_nearest ("restrat", commands), ==, "restart");
  g_assert_cmpstr (ctl_suggest_nearest ("reset-faild", commands), ==, "reset-failed");
  g_assert_cmpstr (ctl_suggest_nearest ("lsit", commands), ==, "list");
  g_assert_cmpstr (ctl_suggest_nearest ("Stop", commands), ==, "stop");
  /* The nearest: "stat" is one edit from "start", two from "status". */
  g_assert_cmpstr (ctl_suggest_nearest ("stat", commands), ==, "start");
  /* On a tie, the first: "shop" is one edit from "show" and from "stop". */
  g_assert_cmpstr (ctl_suggest_nearest ("shop", commands), ==, "show");

  /* Too far: nothing rather than nonsense. */
  g_assert_null (ctl_suggest_nearest ("frobnicate", commands));
  g_assert_null (ctl_suggest_nearest ("x", commands));
  g_assert_null (ctl_suggest_nearest ("reset", commands));
  g_assert_null (ctl_suggest_nearest ("", commands));
  g_assert_null (ctl_suggest_nearest ("\xff\xfe", commands));

  g_assert_cmpstr (ctl_suggest_nearest ("--outptu", options), ==, "--output");
  g_assert_cmpstr (ctl_suggest_nearest ("--qiet", options), ==, "--quiet");
  g_assert_cmpstr (ctl_suggest_nearest ("--no-legends", options), ==, "--no-legend");
  g_assert_cmpstr (ctl_suggest_nearest ("--properties", options), ==, "--property");
  g_assert_null (ctl_suggest_nearest ("--frobnicate", options));

  g_assert_cmpstr (ctl_suggest_nearest ("jsno", ctl_output_mode_names), ==, "json");
  g_assert_cmpstr (ctl_suggest_nearest ("json_pretty", ctl_output_mode_names), ==, "json-pretty");
  g_assert_null (ctl_suggest_nearest ("xml", ctl_output_mode_names));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ctl/colour/decision", test_colour_decision);
  g_test_add_func ("/ctl/colour/outside-a-terminal", test_colour_outside_a_terminal);
  g_test_add_func ("/ctl/colour/list-table", test_list_table_colours);
  g_test_add_func ("/ctl/colour/list-pipe", test_list_pipe_never_coloured);
  g_test_add_func ("/ctl/colour/list-hostile-state", test_list_table_colours_hostile_state);
  g_test_add_func ("/ctl/colour/status", test_status_colours);
  g_test_add_func ("/ctl/output/list-no-legend", test_list_no_legend);
  g_test_add_func ("/ctl/output/show", test_show_every_property);
  g_test_add_func ("/ctl/output/show-properties", test_show_properties);
  g_test_add_func ("/ctl/output/show-never-changed-and-partial", test_show_never_changed_and_partial);
  g_test_add_func ("/ctl/output/show-hostile-values", test_show_hostile_values);
  g_test_add_func ("/ctl/output/task-error-without-task", test_task_error_without_task);
  g_test_add_func ("/ctl/output/modes", test_output_modes);
  g_test_add_func ("/ctl/suggest/distance", test_distance);
  g_test_add_func ("/ctl/suggest/nearest", test_nearest);

  return g_test_run ();
}
