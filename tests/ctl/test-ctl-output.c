/* SPDX-License-Identifier: MIT */
/* test-ctl-output.c: unit tests of what bgservicectl prints and how it
 * decides, without a bus: escaping, column widths, the list, status,
 * since-time, is-failed and error formats, the exit status precedence and
 * bus name checks.
 */
#include "config.h"

#include <string.h>

#include "ctl-bus.h"
#include "ctl-exit.h"
#include "ctl-output.h"
#include "ctl-wire.h"

/* Fri 2026-11-27 12:00:01 UTC, in µs since the epoch. */
#define FRIDAY_NOON_USEC  (G_GINT64_CONSTANT (1795780801) * G_TIME_SPAN_SECOND)

/* A service as the daemon would describe it, never restarted. */
static CtlServiceInfo *
make_info (const char *name,
           const char *state,
           gboolean    is_running,
           guint       n_tasks)
{
  CtlServiceInfo *info = ctl_service_info_new ();

  info->name = g_strdup (name);
  info->state = g_strdup (state);
  info->is_running = is_running;
  info->n_tasks = n_tasks;

  return info;
}

/* make_info() with restarts counted. */
static CtlServiceInfo *
make_restarted_info (const char *name,
                     const char *state,
                     gboolean    is_running,
                     guint       n_tasks,
                     guint       n_restarts)
{
  CtlServiceInfo *info = make_info (name, state, is_running, n_tasks);

  info->n_restarts = n_restarts;

  return info;
}

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

static GPtrArray *
new_services (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) ctl_service_info_free);
}

static GPtrArray *
new_task_errors (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) ctl_task_error_free);
}

static void
assert_escaped (const char *text,
                const char *expected)
{
  g_autofree char *escaped = ctl_output_escape (text);

  g_assert_cmpstr (escaped, ==, expected);
}

static void
test_escape_plain (void)
{
  assert_escaped ("", "");
  assert_escaped ("clock", "clock");
  assert_escaped ("web server #2: ok", "web server #2: ok");
  assert_escaped ("back\\slash", "back\\slash");
  assert_escaped ("日本語のサービス", "日本語のサービス");
  assert_escaped ("cafe\xcc\x81", "cafe\xcc\x81");
}

static void
test_escape_controls (void)
{
  assert_escaped ("a\tb\nc\rd", "a\\tb\\nc\\rd");
  assert_escaped ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m");
  assert_escaped ("bell\a", "bell\\x07");
  assert_escaped ("del\x7f", "del\\x7f");
  /* C1: U+009B is a one-character CSI on some terminals. */
  assert_escaped ("csi\xc2\x9b" "2J", "csi\\u{009B}2J");
  /* Line separators and bidirectional overrides. */
  assert_escaped ("a\xe2\x80\xa8" "b", "a\\u{2028}b");
  assert_escaped ("abc\xe2\x80\xae" "fed", "abc\\u{202E}fed");
  assert_escaped ("\xe2\x81\xa6x\xe2\x81\xa9", "\\u{2066}x\\u{2069}");
}

static void
test_escape_invalid_utf8 (void)
{
  assert_escaped ("ab\xff" "cd", "ab\\xffcd");
  assert_escaped ("\xc3", "\\xc3");
  assert_escaped ("\xe6\x97", "\\xe6\\x97");
}

static void
test_width (void)
{
  g_assert_cmpuint (ctl_output_width (""), ==, 0);
  g_assert_cmpuint (ctl_output_width ("clock"), ==, 5);
  g_assert_cmpuint (ctl_output_width ("日本"), ==, 4);
  g_assert_cmpuint (ctl_output_width ("cafe\xcc\x81"), ==, 4);
  g_assert_cmpuint (ctl_output_width ("\\x1b"), ==, 4);
}

/* A service is printed only once every property was read: the state is
 * never guessed from IsRunning (a stopping service would look running). */
static void
test_check_read (void)
{
  g_autoptr (CtlServiceInfo) info = make_info ("a", "stopping", TRUE, 1);
  g_autoptr (GError) error = NULL;

  info->properties_read = (1u << CTL_N_PROPERTIES) - 1;
  g_assert_true (ctl_service_info_check_read (info, &error));
  g_assert_no_error (error);

  info->properties_read &= ~(1u << CTL_PROPERTY_STATE);
  g_assert_false (ctl_service_info_check_read (info, &error));
  g_assert_error (error, CTL_ERROR, CTL_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==,
                   "the daemon did not tell the State of service “a” (is the owner of the "
                   "bus name a bgserviced of another version?)");
  g_clear_error (&error);

  /* Without its Name, a service is told by its path. */
  g_clear_pointer (&info->name, g_free);
  info->path = g_strdup ("/org/bgservice1/service/a");
  info->properties_read = 0;
  g_assert_false (ctl_service_info_check_read (info, &error));
  g_assert_cmpstr (error->message, ==,
                   "the daemon did not tell the Name of service “/org/bgservice1/service/a” "
                   "(is the owner of the bus name a bgserviced of another version?)");
}

static void
test_list_pipe (void)
{
  g_autoptr (GPtrArray) services = new_services ();
  g_autoptr (GString) out = g_string_new (NULL);

  g_ptr_array_add (services, make_info ("clock", "running", TRUE, 1));
  g_ptr_array_add (services, make_info ("tab\there", "stopped", FALSE, 0));
  g_ptr_array_add (services, make_info ("日本語", "stopping", TRUE, 12));
  g_ptr_array_add (services, make_restarted_info ("web", "restarting", TRUE, 0, 3));
  g_ptr_array_add (services, make_restarted_info ("worker", "failed", FALSE, 0, 1));

  ctl_output_format_services (out, services, FALSE, 0, CTL_OUTPUT_FLAGS_NONE);
  g_assert_cmpstr (out->str, ==,
                   "clock\trunning\t1\t0\n"
                   "tab\\there\tstopped\t0\t0\n"
                   "日本語\tstopping\t12\t0\n"
                   "web\trestarting\t0\t3\n"
                   "worker\tfailed\t0\t1\n");
}

static void
test_list_pipe_empty (void)
{
  g_autoptr (GPtrArray) services = new_services ();
  g_autoptr (GString) out = g_string_new (NULL);

  ctl_output_format_services (out, services, FALSE, 0, CTL_OUTPUT_FLAGS_NONE);
  g_assert_cmpstr (out->str, ==, "");
}

static void
test_list_table (void)
{
  g_autoptr (GPtrArray) services = new_services ();
  g_autoptr (GString) out = g_string_new (NULL);

  g_ptr_array_add (services, make_info ("clock", "running", TRUE, 1));
  g_ptr_array_add (services, make_info ("日本語", "stopping", TRUE, 123456));
  g_ptr_array_add (services, make_info ("web", "stopped", FALSE, 0));

  ctl_output_format_services (out, services, TRUE, 80, CTL_OUTPUT_FLAGS_NONE);
  /* STATE is as wide as "restarting" even when no service restarts. */
  g_assert_cmpstr (out->str, ==,
                   "NAME    STATE        TASKS  RESTARTS\n"
                   "clock   running          1         0\n"
                   "日本語  stopping    123456         0\n"
                   "web     stopped          0         0\n"
                   "\n"
                   "3 services, 2 running.\n");
}

static void
test_list_table_supervision (void)
{
  g_autoptr (GPtrArray) services = new_services ();
  g_autoptr (GString) out = g_string_new (NULL);

  g_ptr_array_add (services, make_restarted_info ("api", "restarting", TRUE, 0, 2));
  g_ptr_array_add (services, make_restarted_info ("clock", "running", TRUE, 1, 1234567890));
  g_ptr_array_add (services, make_restarted_info ("web", "failed", FALSE, 0, 1));
  g_ptr_array_add (services, make_info ("worker", "failed", FALSE, 0));

  /* A restarting service runs; failed ones are counted apart. */
  ctl_output_format_services (out, services, TRUE, 80, CTL_OUTPUT_FLAGS_NONE);
  g_assert_cmpstr (out->str, ==,
                   "NAME    STATE       TASKS    RESTARTS\n"
                   "api     restarting      0           2\n"
                   "clock   running         1  1234567890\n"
                   "web     failed          0           1\n"
                   "worker  failed          0           0\n"
                   "\n"
                   "4 services, 2 running, 2 failed.\n");
}

static void
test_list_table_unknown_state (void)
{
  g_autoptr (GPtrArray) services = new_services ();
  g_autoptr (GString) out = g_string_new (NULL);

  /* A newer daemon's state, wider than any known one, widens the column. */
  g_ptr_array_add (services, make_info ("clock", "reconfiguring", TRUE, 1));

  ctl_output_format_services (out, services, TRUE, 80, CTL_OUTPUT_FLAGS_NONE);
  g_assert_cmpstr (out->str, ==,
                   "NAME   STATE          TASKS  RESTARTS\n"
                   "clock  reconfiguring      1         0\n"
                   "\n"
                   "1 service, 1 running.\n");
}

static void
test_list_table_long_name (void)
{
  g_autoptr (GPtrArray) services = new_services ();
  g_autoptr (GString) out = g_string_new (NULL);
  const char *long_name = "a-name-far-too-long-for-a-narrow-terminal";

  g_ptr_array_add (services, make_info (long_name, "running", TRUE, 1));
  g_ptr_array_add (services, make_info ("web", "stopped", FALSE, 0));

  /* 60 columns leave 31 for names: the long one gets a line of its own. */
  ctl_output_format_services (out, services, TRUE, 60, CTL_OUTPUT_FLAGS_NONE);
  g_assert_cmpstr (out->str, ==,
                   "NAME  STATE       TASKS  RESTARTS\n"
                   "a-name-far-too-long-for-a-narrow-terminal\n"
                   "      running         1         0\n"
                   "web   stopped         0         0\n"
                   "\n"
                   "2 services, 1 running.\n");

  /* 70 leave 41: it fits. */
  g_string_truncate (out, 0);
  ctl_output_format_services (out, services, TRUE, 70, CTL_OUTPUT_FLAGS_NONE);
  g_assert_cmpstr (out->str, ==,
                   "NAME                                       STATE       TASKS  RESTARTS\n"
                   "a-name-far-too-long-for-a-narrow-terminal  running         1         0\n"
                   "web                                        stopped         0         0\n"
                   "\n"
                   "2 services, 1 running.\n");
}

static void
test_list_table_controls (void)
{
  g_autoptr (GPtrArray) services = new_services ();
  g_autoptr (GString) out = g_string_new (NULL);

  g_ptr_array_add (services, make_info ("evil\x1b[2J", "running\n", TRUE, 1));

  ctl_output_format_services (out, services, TRUE, 80, CTL_OUTPUT_FLAGS_NONE);
  g_assert_null (strchr (out->str, '\x1b'));
  g_assert_nonnull (strstr (out->str, "evil\\x1b[2J  running\\n  "));
}

static void
test_list_table_empty (void)
{
  g_autoptr (GPtrArray) services = new_services ();
  g_autoptr (GString) out = g_string_new (NULL);

  ctl_output_format_services (out, services, TRUE, 80, CTL_OUTPUT_FLAGS_NONE);
  g_assert_cmpstr (out->str, ==, "No services.\n");
}

/* The block of `status` for @info at FRIDAY_NOON_USEC + @age_usec, in UTC. */
static char *
format_status (const CtlServiceInfo *info,
               gint64                age_usec)
{
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  GString *out = g_string_new (NULL);

  ctl_output_format_status (out, info, FRIDAY_NOON_USEC + age_usec, utc, CTL_OUTPUT_FLAGS_NONE);

  return g_string_free (out, FALSE);
}

static void
test_status_block (void)
{
  g_autoptr (CtlServiceInfo) info = make_info ("clock", "running", TRUE, 2);
  g_autofree char *text = NULL;

  info->state_timestamp = FRIDAY_NOON_USEC;
  info->restart = g_strdup ("no");
  text = format_status (info, 3 * G_TIME_SPAN_MINUTE + 2 * G_TIME_SPAN_SECOND);
  g_assert_cmpstr (text, ==,
                   "clock\n"
                   "  state: running since Fri 2026-11-27 12:00:01 UTC; 3min 2s ago\n"
                   "  restarts: 0 (Restart=no)\n"
                   "  tasks: 2\n"
                   "  last errors: none\n");
}

static void
test_status_block_never_changed (void)
{
  g_autoptr (CtlServiceInfo) info = make_info ("idle", "stopped", FALSE, 0);
  g_autofree char *text = NULL;

  /* StateTimestamp 0: no since; no Restart property: no policy. */
  text = format_status (info, 0);
  g_assert_cmpstr (text, ==,
                   "idle\n"
                   "  state: stopped\n"
                   "  restarts: 0\n"
                   "  tasks: 0\n"
                   "  last errors: none\n");
}

static void
test_status_block_errors (void)
{
  g_autoptr (CtlServiceInfo) info = make_restarted_info ("web", "failed", FALSE, 0, 2);
  g_autofree char *text = NULL;

  info->state_timestamp = FRIDAY_NOON_USEC;
  info->restart = g_strdup ("on-failure");
  info->last_errors = new_task_errors ();
  g_ptr_array_add (info->last_errors,
                   make_task_error ("worker-0", "g-spawn-exit-error-quark", 3,
                                    "Child process exited with code 3"));
  g_ptr_array_add (info->last_errors,
                   make_task_error ("worker-1", "g-io-error-quark", -1, "two\nlines"));

  text = format_status (info, 250 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpstr (text, ==,
                   "web\n"
                   "  state: failed since Fri 2026-11-27 12:00:01 UTC; 250ms ago\n"
                   "  restarts: 2 (Restart=on-failure)\n"
                   "  tasks: 0\n"
                   "  last errors:\n"
                   "    worker-0: Child process exited with code 3 (g-spawn-exit-error-quark 3)\n"
                   "    worker-1: two\\nlines (g-io-error-quark -1)\n");
}

static void
test_status_block_hostile_values (void)
{
  g_autoptr (CtlServiceInfo) info = make_info ("x", "fail\x1b[2Jed", FALSE, 0);
  g_autofree char *text = NULL;

  /* What a daemon that is not bgserviced could answer stays one line each. */
  info->restart = g_strdup ("no\nrestarts: 9");
  text = format_status (info, 0);
  g_assert_cmpstr (text, ==,
                   "x\n"
                   "  state: fail\\x1b[2Jed\n"
                   "  restarts: 0 (Restart=no\\nrestarts: 9)\n"
                   "  tasks: 0\n"
                   "  last errors: none\n");
}

/* What ctl_output_format_since() says of FRIDAY_NOON_USEC at @age_usec
 * after it, in @zone. */
static char *
format_since (gint64      age_usec,
              const char *zone_identifier)
{
  g_autoptr (GTimeZone) zone = g_time_zone_new_identifier (zone_identifier);
  GString *out = g_string_new (NULL);

  g_assert_nonnull (zone);
  ctl_output_format_since (out, FRIDAY_NOON_USEC, FRIDAY_NOON_USEC + age_usec, zone);

  return g_string_free (out, FALSE);
}

static void
assert_since (gint64      age_usec,
              const char *expected_age)
{
  g_autofree char *text = format_since (age_usec, "UTC");
  g_autofree char *expected = g_strdup_printf ("Fri 2026-11-27 12:00:01 UTC; %s", expected_age);

  g_assert_cmpstr (text, ==, expected);
}

static void
test_since_spans (void)
{
  /* The two largest units, as systemd writes spans. */
  assert_since (0, "0ms ago");
  assert_since (999, "0ms ago");
  assert_since (250 * G_TIME_SPAN_MILLISECOND, "250ms ago");
  assert_since (G_TIME_SPAN_SECOND, "1s ago");
  assert_since (45 * G_TIME_SPAN_SECOND + 999 * G_TIME_SPAN_MILLISECOND, "45s ago");
  assert_since (3 * G_TIME_SPAN_MINUTE + 2 * G_TIME_SPAN_SECOND, "3min 2s ago");
  assert_since (G_TIME_SPAN_HOUR, "1h ago");
  assert_since (G_TIME_SPAN_HOUR + 59 * G_TIME_SPAN_SECOND, "1h ago");
  assert_since (G_TIME_SPAN_HOUR + 5 * G_TIME_SPAN_MINUTE + 7 * G_TIME_SPAN_SECOND, "1h 5min ago");
  assert_since (2 * G_TIME_SPAN_DAY + 3 * G_TIME_SPAN_HOUR + 4 * G_TIME_SPAN_MINUTE, "2d 3h ago");
  assert_since (400 * G_TIME_SPAN_DAY, "400d ago");
  /* The clock went back since. */
  assert_since (-5 * G_TIME_SPAN_SECOND, "5s in the future");
}

static void
test_since_zones (void)
{
  g_autofree char *truncated = format_since (0, "UTC");
  g_autofree char *east = NULL;
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr (GString) sunday = g_string_new (NULL);
  g_autoptr (GTimeZone) plus_one = g_time_zone_new_identifier ("+01:00");
  /* Sun 2027-01-03 23:30:00 UTC, Mon 00:30 one hour east. */
  guint64 sunday_usec = G_GUINT64_CONSTANT (1799019000) * G_TIME_SPAN_SECOND;

  g_assert_cmpstr (truncated, ==, "Fri 2026-11-27 12:00:01 UTC; 0ms ago");

  east = format_since (G_TIME_SPAN_SECOND, "+01:00");
  g_assert_cmpstr (east, ==, "Fri 2026-11-27 13:00:01 +01:00; 1s ago");

  ctl_output_format_since (sunday, sunday_usec + 999999, sunday_usec + G_TIME_SPAN_MINUTE, utc);
  g_assert_cmpstr (sunday->str, ==, "Sun 2027-01-03 23:30:00 UTC; 59s ago");
  g_string_truncate (sunday, 0);
  ctl_output_format_since (sunday, sunday_usec, sunday_usec, plus_one);
  g_assert_cmpstr (sunday->str, ==, "Mon 2027-01-04 00:30:00 +01:00; 0ms ago");
}

static void
test_since_out_of_range (void)
{
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (CtlServiceInfo) info = make_info ("x", "running", TRUE, 0);
  g_autofree char *text = NULL;

  /* Past the year 9999: nothing, rather than a wrong date. */
  ctl_output_format_since (out, G_MAXUINT64, FRIDAY_NOON_USEC, utc);
  g_assert_cmpstr (out->str, ==, "");

  info->state_timestamp = G_MAXUINT64;
  text = format_status (info, 0);
  g_assert_true (g_str_has_prefix (text, "x\n  state: running\n  restarts: 0\n"));
}

static void
test_is_failed_lines (void)
{
  g_autoptr (GString) out = g_string_new (NULL);

  ctl_output_format_state (out, BGS_BUS_STATE_FAILED);
  ctl_output_format_state (out, BGS_BUS_STATE_RESTARTING);
  ctl_output_format_state (out, "odd\nstate\x1b");
  g_assert_cmpstr (out->str, ==, "failed\nrestarting\nodd\\nstate\\x1b\n");
}

static void
test_task_errors (void)
{
  g_autoptr (GPtrArray) errors = new_task_errors ();
  g_autoptr (GString) out = g_string_new (NULL);

  ctl_output_format_task_errors (out, "web", errors);
  g_assert_cmpstr (out->str, ==, "");

  g_ptr_array_add (errors, make_task_error ("worker-0", "g-spawn-exit-error-quark", 3,
                                            "Child process exited with code 3"));
  g_ptr_array_add (errors, make_task_error ("tick", "bgs-error-quark", 0, "\x1b]0;title\a"));
  ctl_output_format_task_errors (out, "web", errors);
  g_assert_cmpstr (out->str, ==,
                   "web: worker-0: Child process exited with code 3 (g-spawn-exit-error-quark 3)\n"
                   "web: tick: \\x1b]0;title\\x07 (bgs-error-quark 0)\n");
}

static void
test_exit_precedence (void)
{
  const CtlExit order[] = {
    CTL_EXIT_SUCCESS, CTL_EXIT_NOT_RUNNING, CTL_EXIT_TASKS_FAILED,
    CTL_EXIT_NO_SUCH_SERVICE, CTL_EXIT_FAILURE,
  };

  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    for (guint j = 0; j < G_N_ELEMENTS (order); j++)
      {
        CtlExit expected = order[MAX (i, j)];

        g_assert_cmpint (ctl_exit_worse (order[i], order[j]), ==, expected);
      }
}

static void
test_exit_from_error (void)
{
  g_autoptr (GError) missing = g_error_new_literal (CTL_ERROR, CTL_ERROR_NO_SUCH_SERVICE, "x");
  g_autoptr (GError) failed = g_error_new_literal (CTL_ERROR, CTL_ERROR_FAILED, "x");
  g_autoptr (GError) unreachable = g_error_new_literal (CTL_ERROR, CTL_ERROR_UNREACHABLE, "x");
  g_autoptr (GError) other = g_error_new_literal (g_quark_from_static_string ("test-other-error"), 0, "x");

  g_assert_cmpint (ctl_exit_from_error (NULL), ==, CTL_EXIT_SUCCESS);
  g_assert_cmpint (ctl_exit_from_error (missing), ==, CTL_EXIT_NO_SUCH_SERVICE);
  g_assert_cmpint (ctl_exit_from_error (failed), ==, CTL_EXIT_FAILURE);
  g_assert_cmpint (ctl_exit_from_error (unreachable), ==, CTL_EXIT_FAILURE);
  g_assert_cmpint (ctl_exit_from_error (other), ==, CTL_EXIT_FAILURE);
}

static void
test_bus_names (void)
{
  const char *valid[] = {
    "org.bgservice1", "org.example.My_Daemon-2", ":1.42", "a.b", "_a.-b",
  };
  const char *invalid[] = {
    "", "org", ":", ".org.x", "org..x", "org.x.", "1org.x", "org.2x",
    "org.x y", "org/x.y", "org.ü.x",
  };
  g_autofree char *too_long = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (valid); i++)
    g_assert_true (ctl_bus_name_is_valid (valid[i]));
  for (gsize i = 0; i < G_N_ELEMENTS (invalid); i++)
    g_assert_false (ctl_bus_name_is_valid (invalid[i]));

  too_long = g_strnfill (256, 'a');
  too_long[1] = '.';
  g_assert_false (ctl_bus_name_is_valid (too_long));
  too_long[255] = '\0';
  g_assert_true (ctl_bus_name_is_valid (too_long));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ctl/escape/plain", test_escape_plain);
  g_test_add_func ("/ctl/escape/controls", test_escape_controls);
  g_test_add_func ("/ctl/escape/invalid-utf8", test_escape_invalid_utf8);
  g_test_add_func ("/ctl/output/width", test_width);
  g_test_add_func ("/ctl/output/check-read", test_check_read);
  g_test_add_func ("/ctl/output/list-pipe", test_list_pipe);
  g_test_add_func ("/ctl/output/list-pipe-empty", test_list_pipe_empty);
  g_test_add_func ("/ctl/output/list-table", test_list_table);
  g_test_add_func ("/ctl/output/list-table-supervision", test_list_table_supervision);
  g_test_add_func ("/ctl/output/list-table-unknown-state", test_list_table_unknown_state);
  g_test_add_func ("/ctl/output/list-table-long-name", test_list_table_long_name);
  g_test_add_func ("/ctl/output/list-table-controls", test_list_table_controls);
  g_test_add_func ("/ctl/output/list-table-empty", test_list_table_empty);
  g_test_add_func ("/ctl/output/status", test_status_block);
  g_test_add_func ("/ctl/output/status-never-changed", test_status_block_never_changed);
  g_test_add_func ("/ctl/output/status-errors", test_status_block_errors);
  g_test_add_func ("/ctl/output/status-hostile-values", test_status_block_hostile_values);
  g_test_add_func ("/ctl/output/since-spans", test_since_spans);
  g_test_add_func ("/ctl/output/since-zones", test_since_zones);
  g_test_add_func ("/ctl/output/since-out-of-range", test_since_out_of_range);
  g_test_add_func ("/ctl/output/is-failed", test_is_failed_lines);
  g_test_add_func ("/ctl/output/task-errors", test_task_errors);
  g_test_add_func ("/ctl/exit/precedence", test_exit_precedence);
  g_test_add_func ("/ctl/exit/from-error", test_exit_from_error);
  g_test_add_func ("/ctl/bus/names", test_bus_names);

  return g_test_run ();
}
