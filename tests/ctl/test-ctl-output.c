/* test-ctl-output.c: unit tests of what bgservicectl prints and how it
 * decides, without a bus: escaping, column widths, the list, status and
 * error formats, the exit status precedence and bus name checks.
 */
#include "config.h"

#include <string.h>

#include "ctl-bus.h"
#include "ctl-exit.h"
#include "ctl-output.h"
#include "ctl-wire.h"

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

static void
test_state_fallback (void)
{
  g_autoptr (CtlServiceInfo) info = make_info ("a", NULL, TRUE, 1);

  g_assert_cmpstr (ctl_service_info_get_state (info), ==, "running");
  info->is_running = FALSE;
  g_assert_cmpstr (ctl_service_info_get_state (info), ==, "stopped");
  info->state = g_strdup ("stopping");
  g_assert_cmpstr (ctl_service_info_get_state (info), ==, "stopping");
}

static void
test_list_pipe (void)
{
  g_autoptr (GPtrArray) services = new_services ();
  g_autoptr (GString) out = g_string_new (NULL);

  g_ptr_array_add (services, make_info ("clock", "running", TRUE, 1));
  g_ptr_array_add (services, make_info ("tab\there", NULL, FALSE, 0));
  g_ptr_array_add (services, make_info ("日本語", "stopping", TRUE, 12));

  ctl_output_format_services (out, services, FALSE, 0);
  g_assert_cmpstr (out->str, ==,
                   "clock\trunning\t1\n"
                   "tab\\there\tstopped\t0\n"
                   "日本語\tstopping\t12\n");
}

static void
test_list_pipe_empty (void)
{
  g_autoptr (GPtrArray) services = new_services ();
  g_autoptr (GString) out = g_string_new (NULL);

  ctl_output_format_services (out, services, FALSE, 0);
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

  ctl_output_format_services (out, services, TRUE, 80);
  g_assert_cmpstr (out->str, ==,
                   "NAME    STATE      TASKS\n"
                   "clock   running        1\n"
                   "日本語  stopping  123456\n"
                   "web     stopped        0\n"
                   "\n"
                   "3 services, 2 running.\n");
}

static void
test_list_table_long_name (void)
{
  g_autoptr (GPtrArray) services = new_services ();
  g_autoptr (GString) out = g_string_new (NULL);
  const char *long_name = "a-name-far-too-long-for-a-narrow-terminal";

  g_ptr_array_add (services, make_info (long_name, "running", TRUE, 1));
  g_ptr_array_add (services, make_info ("web", "stopped", FALSE, 0));

  /* 40 columns leave 23 for names: the long one gets a line of its own. */
  ctl_output_format_services (out, services, TRUE, 40);
  g_assert_cmpstr (out->str, ==,
                   "NAME  STATE     TASKS\n"
                   "a-name-far-too-long-for-a-narrow-terminal\n"
                   "      running       1\n"
                   "web   stopped       0\n"
                   "\n"
                   "2 services, 1 running.\n");
}

static void
test_list_table_controls (void)
{
  g_autoptr (GPtrArray) services = new_services ();
  g_autoptr (GString) out = g_string_new (NULL);

  g_ptr_array_add (services, make_info ("evil\x1b[2J", "running\n", TRUE, 1));

  ctl_output_format_services (out, services, TRUE, 80);
  g_assert_null (strchr (out->str, '\x1b'));
  g_assert_nonnull (strstr (out->str, "evil\\x1b[2J  running\\n"));
}

static void
test_list_table_empty (void)
{
  g_autoptr (GPtrArray) services = new_services ();
  g_autoptr (GString) out = g_string_new (NULL);

  ctl_output_format_services (out, services, TRUE, 80);
  g_assert_cmpstr (out->str, ==, "No services.\n");
}

static void
test_status_block (void)
{
  g_autoptr (CtlServiceInfo) info = make_info ("clock", "running", TRUE, 2);
  g_autoptr (GString) out = g_string_new (NULL);

  ctl_output_format_status (out, info);
  g_assert_cmpstr (out->str, ==,
                   "clock\n"
                   "  state: running\n"
                   "  tasks: 2\n"
                   "  last errors: none\n");
}

static void
test_status_block_errors (void)
{
  g_autoptr (CtlServiceInfo) info = make_info ("web", "stopped", FALSE, 0);
  g_autoptr (GString) out = g_string_new (NULL);

  info->last_errors = new_task_errors ();
  g_ptr_array_add (info->last_errors,
                   make_task_error ("worker-0", "g-spawn-exit-error-quark", 3,
                                    "Child process exited with code 3"));
  g_ptr_array_add (info->last_errors,
                   make_task_error ("worker-1", "g-io-error-quark", -1, "two\nlines"));

  ctl_output_format_status (out, info);
  g_assert_cmpstr (out->str, ==,
                   "web\n"
                   "  state: stopped\n"
                   "  tasks: 0\n"
                   "  last errors:\n"
                   "    worker-0: Child process exited with code 3 (g-spawn-exit-error-quark 3)\n"
                   "    worker-1: two\\nlines (g-io-error-quark -1)\n");
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
  g_test_add_func ("/ctl/output/state-fallback", test_state_fallback);
  g_test_add_func ("/ctl/output/list-pipe", test_list_pipe);
  g_test_add_func ("/ctl/output/list-pipe-empty", test_list_pipe_empty);
  g_test_add_func ("/ctl/output/list-table", test_list_table);
  g_test_add_func ("/ctl/output/list-table-long-name", test_list_table_long_name);
  g_test_add_func ("/ctl/output/list-table-controls", test_list_table_controls);
  g_test_add_func ("/ctl/output/list-table-empty", test_list_table_empty);
  g_test_add_func ("/ctl/output/status", test_status_block);
  g_test_add_func ("/ctl/output/status-errors", test_status_block_errors);
  g_test_add_func ("/ctl/output/task-errors", test_task_errors);
  g_test_add_func ("/ctl/exit/precedence", test_exit_precedence);
  g_test_add_func ("/ctl/exit/from-error", test_exit_from_error);
  g_test_add_func ("/ctl/bus/names", test_bus_names);

  return g_test_run ();
}
