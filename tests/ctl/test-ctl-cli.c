/* SPDX-License-Identifier: MIT */
/* test-ctl-cli.c: tests of the bgservicectl program that need no daemon.
 *
 * Each test runs the built bgservicectl (path in $BGSERVICECTL) in a
 * controlled environment and checks its exit status and output: usage
 * errors, --help, connection errors, and buses on which nobody, or a
 * program other than bgserviced, owns the daemon's name (a private
 * dbus-daemon from GTestDBus). Tests with the real daemon live in
 * tests/dbus/.
 */
#include "config.h"

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>

/* Result: how a run of bgservicectl ended. */
typedef struct
{
  int   status;   /* exit status; -1 when killed by a signal */
  char *out;
  char *err;
} Result;

static void
result_clear (Result *self)
{
  g_clear_pointer (&self->out, g_free);
  g_clear_pointer (&self->err, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Result, result_clear)

/* The test's environment without any bus address, in a known locale; the
 * variables of @overrides ("NAME=VALUE", NULL-terminated) set on top. */
static char **
make_env (const char * const *overrides)
{
  char **env = g_get_environ ();

  env = g_environ_unsetenv (env, "DBUS_SESSION_BUS_ADDRESS");
  env = g_environ_unsetenv (env, "DBUS_SYSTEM_BUS_ADDRESS");
  env = g_environ_unsetenv (env, "XDG_RUNTIME_DIR");
  env = g_environ_unsetenv (env, "COLUMNS");
  env = g_environ_setenv (env, "LC_ALL", "C.UTF-8", TRUE);

  for (guint i = 0; overrides != NULL && overrides[i] != NULL; i++)
    {
      g_auto (GStrv) pair = g_strsplit (overrides[i], "=", 2);

      env = g_environ_setenv (env, pair[0], pair[1], TRUE);
    }

  return env;
}

/* Runs bgservicectl with the arguments of @args in the environment of
 * make_env (@overrides). */
static void
run_ctl_argv (Result             *result,
              const char * const *overrides,
              const char * const *args)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_auto (GStrv) env = make_env (overrides);
  g_autoptr (GError) error = NULL;
  const char *program = g_getenv ("BGSERVICECTL");
  int wait_status;

  g_assert_nonnull (program);
  g_ptr_array_add (argv, (char *) program);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);

  g_spawn_sync (NULL, (char **) argv->pdata, env, G_SPAWN_DEFAULT, NULL, NULL,
                &result->out, &result->err, &wait_status, &error);
  g_assert_no_error (error);

  result->status = WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1;
  g_test_message ("status %d\nstdout:\n%s\nstderr:\n%s",
                  result->status, result->out, result->err);
}

#define run_ctl(result, overrides, ...) \
  G_STMT_START { \
    const char * const run_args_[] = { __VA_ARGS__, NULL }; \
    run_ctl_argv ((result), (overrides), run_args_); \
  } G_STMT_END

static void
assert_contains (const char *haystack,
                 const char *needle)
{
  if (strstr (haystack, needle) == NULL)
    g_error ("“%s” not found in:\n%s", needle, haystack);
}

/* A usage error: exit 2, a message on stderr that names @what and says
 * where help is, nothing on stdout. */
static void
assert_usage_error (const Result *result,
                    const char   *what)
{
  g_assert_cmpint (result->status, ==, 2);
  g_assert_cmpstr (result->out, ==, "");
  g_assert_true (g_str_has_prefix (result->err, "bgservicectl: "));
  assert_contains (result->err, what);
  assert_contains (result->err, "--help");
}

static const char * const name_commands[] = {
  "status", "show", "start", "stop", "cancel", "restart", "wait", "is-active", "is-failed",
  "reset-failed",
};
static const char * const all_commands[] = {
  "list", "status", "show", "start", "stop", "cancel", "restart", "wait", "is-active",
  "is-failed", "reset-failed",
};

/* Whether @command takes --message. */
static gboolean
takes_message (const char *command)
{
  return strcmp (command, "stop") == 0 || strcmp (command, "restart") == 0 ||
         strcmp (command, "cancel") == 0;
}

static void
test_usage_no_command (void)
{
  g_auto (Result) result = { 0, };

  run_ctl_argv (&result, NULL, (const char * const[]) { NULL });
  assert_usage_error (&result, "no COMMAND given (list, status, show, start, stop, cancel, "
                      "restart, wait, is-active, is-failed, reset-failed)");
}

static void
test_usage_unknown_command (void)
{
  g_auto (Result) result = { 0, };

  run_ctl (&result, NULL, "frobnicate", "clock");
  assert_usage_error (&result, "unknown command “frobnicate”");
  assert_contains (result.err, "(the commands: list, status, show, start, stop, cancel, "
                   "restart, wait, is-active, is-failed, reset-failed, help)");
}

static void
test_usage_command_spelling (void)
{
  /* systemctl's spellings only: no underscores, no abbreviations. */
  const char * const wrong[] = { "is_failed", "isfailed", "reset_failed", "reset" };

  for (gsize i = 0; i < G_N_ELEMENTS (wrong); i++)
    {
      g_auto (Result) result = { 0, };
      g_autofree char *expected = g_strdup_printf ("unknown command “%s”", wrong[i]);

      run_ctl (&result, NULL, wrong[i], "clock");
      assert_usage_error (&result, expected);
    }
}

static void
test_usage_missing_name (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (name_commands); i++)
    {
      g_auto (Result) result = { 0, };
      g_autofree char *hint = g_strdup_printf ("bgservicectl %s --help", name_commands[i]);

      run_ctl (&result, NULL, name_commands[i]);
      assert_usage_error (&result, "needs the NAME of at least one service");
      assert_contains (result.err, hint);
    }
}

static void
test_usage_extra_name (void)
{
  g_auto (Result) result = { 0, };

  run_ctl (&result, NULL, "list", "clock");
  assert_usage_error (&result, "list takes no NAME");
}

static void
test_usage_bad_option (void)
{
  g_auto (Result) before = { 0, };
  g_auto (Result) after = { 0, };
  g_auto (Result) message = { 0, };

  run_ctl (&before, NULL, "--frobnicate", "list");
  assert_usage_error (&before, "--frobnicate");

  run_ctl (&after, NULL, "stop", "--frobnicate", "clock");
  assert_usage_error (&after, "--frobnicate");
  assert_contains (after.err, "bgservicectl stop --help");

  /* --message belongs to stop and restart only. */
  run_ctl (&message, NULL, "start", "--message=hi", "clock");
  assert_usage_error (&message, "--message");

  for (gsize i = 0; i < G_N_ELEMENTS (name_commands); i++)
    {
      g_auto (Result) result = { 0, };
      g_autofree char *hint = g_strdup_printf ("bgservicectl %s --help", name_commands[i]);

      if (takes_message (name_commands[i]))
        continue;
      run_ctl (&result, NULL, name_commands[i], "-m", "hi", "clock");
      assert_usage_error (&result, "-m");
      assert_contains (result.err, hint);
    }
}

static void
test_usage_exclusive_buses (void)
{
  const char * const pairs[][2] = {
    { "--system", "--session" },
    { "--system", "--address=unix:path=/nonexistent" },
    { "--session", "--address=unix:path=/nonexistent" },
    { "--user", "--system" },
    { "--user", "--address=unix:path=/nonexistent" },
    { "--host=web1", "--system" },
    { "--host=web1", "--session" },
    { "--user", "--host=web1" },
    { "--host=web1", "--address=unix:path=/nonexistent" },
    { "--host=web1", "--machine=box" },
    { "--system", "--machine=box" },
    { "--machine=box", "--user" },
    { "--machine=box", "--address=unix:path=/nonexistent" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (pairs); i++)
    {
      g_auto (Result) result = { 0, };
      g_auto (Result) split = { 0, };

      run_ctl (&result, NULL, pairs[i][0], pairs[i][1], "list");
      assert_usage_error (&result, "exclude each other");

      /* One before the command, one after: the same. */
      run_ctl (&split, NULL, pairs[i][0], "status", pairs[i][1], "clock");
      assert_usage_error (&split, "exclude each other");
    }
}

/* --user is systemd's spelling of --session: both together are one bus. */
static void
test_usage_user_is_session (void)
{
  g_auto (Result) result = { 0, };

  run_ctl (&result, NULL, "--user", "list", "--session");
  g_assert_cmpint (result.status, ==, 2);
  g_assert_cmpstr (result.out, ==, "");
  g_assert_cmpstr (result.err, ==, "bgservicectl: cannot connect to the session bus: neither "
                   "DBUS_SESSION_BUS_ADDRESS nor XDG_RUNTIME_DIR is set; for the system "
                   "daemon use --system\n");
}

static void
test_usage_bad_host (void)
{
  const char * const invalid[] = { "@web1", "web1:x/y", "admin@" };
  g_auto (Result) empty = { 0, };

  run_ctl (&empty, NULL, "-H", "", "list");
  assert_usage_error (&empty, "--host needs a host: [USER@]HOST[:PORT]");

  /* Caught before ssh runs: nothing but bgservicectl's message. */
  for (gsize i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_auto (Result) result = { 0, };
      g_autofree char *option = g_strdup_printf ("--host=%s", invalid[i]);
      g_autofree char *expected = g_strdup_printf (
          "bgservicectl: --host: “%s” is not [USER@]HOST[:PORT] (for instance admin@web1 "
          "or web1:2222)\n", invalid[i]);

      run_ctl (&result, NULL, option, "list");
      g_assert_cmpint (result.status, ==, 2);
      g_assert_cmpstr (result.out, ==, "");
      g_assert_cmpstr (result.err, ==, expected);
    }
}

static void
test_usage_bad_machine (void)
{
  g_auto (Result) empty = { 0, };
  g_auto (Result) invalid = { 0, };

  run_ctl (&empty, NULL, "status", "--machine=", "clock");
  assert_usage_error (&empty, "--machine needs the NAME of a container");

  run_ctl (&invalid, NULL, "-M", "no such/machine", "list");
  g_assert_cmpint (invalid.status, ==, 2);
  g_assert_cmpstr (invalid.out, ==, "");
  g_assert_cmpstr (invalid.err, ==, "bgservicectl: --machine: “no such/machine” is not a "
                   "valid machine name (a host name, as “machinectl list” shows them)\n");
}

static void
test_usage_bad_bus_name (void)
{
  g_auto (Result) result = { 0, };

  run_ctl (&result, NULL, "--bus-name=bgservice", "list");
  assert_usage_error (&result, "“bgservice” is not a valid D-Bus bus name");
}

static void
test_usage_bad_address (void)
{
  g_auto (Result) result = { 0, };

  run_ctl (&result, NULL, "--address=nonsense", "list");
  assert_usage_error (&result, "“nonsense” is not a D-Bus address");
}

static void
test_usage_help_too_many (void)
{
  g_auto (Result) result = { 0, };
  g_auto (Result) unknown = { 0, };

  run_ctl (&result, NULL, "help", "stop", "start");
  assert_usage_error (&result, "help takes one COMMAND at most");

  run_ctl (&unknown, NULL, "help", "frobnicate");
  assert_usage_error (&unknown, "unknown command “frobnicate”");
}

/* A usage error whose message is exactly "bgservicectl: @message". */
static void
assert_usage_message (const Result *result,
                      const char   *message)
{
  g_autofree char *line = g_strdup_printf ("bgservicectl: %s\n", message);

  assert_usage_error (result, message);
  g_assert_true (g_str_has_prefix (result->err, line));
}

static void
test_usage_command_suggestion (void)
{
  const char * const typos[][2] = {
    { "stauts", "status" }, { "lsit", "list" }, { "is_active", "is-active" },
    { "restrat", "restart" }, { "shwo", "show" }, { "cancle", "cancel" }, { "hlep", "help" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (typos); i++)
    {
      g_auto (Result) result = { 0, };
      g_auto (Result) help = { 0, };
      g_autofree char *expected = g_strdup_printf ("unknown command “%s”; did you mean “%s”?",
                                                   typos[i][0], typos[i][1]);

      run_ctl (&result, NULL, typos[i][0], "clock");
      assert_usage_message (&result, expected);
      assert_contains (result.err, "bgservicectl --help");

      run_ctl (&help, NULL, "help", typos[i][0]);
      assert_usage_message (&help, expected);
    }
}

static void
test_usage_option_suggestion (void)
{
  g_auto (Result) before = { 0, };
  g_auto (Result) after = { 0, };
  g_auto (Result) valued = { 0, };
  g_auto (Result) far = { 0, };
  g_auto (Result) connection = { 0, };

  run_ctl (&before, NULL, "--outptu=json", "list");
  assert_usage_message (&before, "unknown option “--outptu”; did you mean “--output”?");

  run_ctl (&after, NULL, "show", "--proprety", "State", "clock");
  assert_usage_message (&after, "unknown option “--proprety”; did you mean “--property”?");
  assert_contains (after.err, "bgservicectl show --help");

  run_ctl (&valued, NULL, "list", "--no-legnd");
  assert_usage_message (&valued, "unknown option “--no-legnd”; did you mean “--no-legend”?");

  /* The connection options are suggested too. */
  run_ctl (&connection, NULL, "status", "--sesion", "clock");
  assert_usage_message (&connection, "unknown option “--sesion”; did you mean “--session”?");

  /* Nothing near: GOption's own words. */
  run_ctl (&far, NULL, "list", "--frobnicate");
  assert_usage_error (&far, "--frobnicate");
  g_assert_null (strstr (far.err, "did you mean"));
}

static void
test_usage_output_mode (void)
{
  g_auto (Result) unknown = { 0, };
  g_auto (Result) typo = { 0, };

  run_ctl (&unknown, NULL, "-o", "xml", "list");
  assert_usage_message (&unknown, "--output: unknown mode “xml” (the modes: plain, json, "
                        "json-pretty)");

  run_ctl (&typo, NULL, "status", "--output=json_pretty", "clock");
  assert_usage_message (&typo, "--output: unknown mode “json_pretty”; did you mean "
                        "“json-pretty”?");
}

static void
test_usage_options_not_taken (void)
{
  const char * const cases[][5] = {
    /* arguments, then the message */
    { "start", "-o", "json", "clock",
      "--output applies to list, status, show, stop, restart and wait, not to start" },
    { "-o", "plain", "is-failed", "clock",
      "--output applies to list, status, show, stop, restart and wait, not to is-failed" },
    { "status", "-p", "State", "clock", "--property applies to show, not to status" },
    { "--property=State", "list", NULL, NULL, "--property applies to show, not to list" },
    { "restart", "--all", NULL, NULL, "--all applies to start and stop, not to restart" },
    { "wait", "--all", NULL, NULL, "--all applies to start and stop, not to wait" },
    { "start", "--message=hi", "clock", NULL,
      "--message applies to stop, cancel and restart, not to start" },
    { "is-active", "-m", "hi", "clock",
      "--message applies to stop, cancel and restart, not to is-active" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto (Result) result = { 0, };
      const char *args[5] = { 0, };
      gsize n = 0;

      for (gsize j = 0; j < 4 && cases[i][j] != NULL; j++)
        args[n++] = cases[i][j];
      run_ctl_argv (&result, NULL, args);
      assert_usage_message (&result, cases[i][4]);
    }
}

static void
test_usage_all_and_names (void)
{
  g_auto (Result) start = { 0, };
  g_auto (Result) stop = { 0, };
  g_auto (Result) none = { 0, };
  g_auto (Result) before = { 0, };

  run_ctl (&start, NULL, "start", "--all", "clock");
  assert_usage_message (&start, "start --all takes no NAME (got “clock”)");

  run_ctl (&stop, NULL, "stop", "web", "--all", "--message=x");
  assert_usage_message (&stop, "stop --all takes no NAME (got “web”)");

  run_ctl (&none, NULL, "stop");
  assert_usage_message (&none, "stop needs the NAME of at least one service, or --all");

  /* --all before the command counts as after it. */
  run_ctl (&before, NULL, "--all", "start", "clock");
  assert_usage_message (&before, "start --all takes no NAME (got “clock”)");
}

static void
test_usage_quiet_and_json (void)
{
  g_auto (Result) result = { 0, };
  g_auto (Result) split = { 0, };

  run_ctl (&result, NULL, "list", "-q", "-o", "json");
  assert_usage_message (&result, "--quiet and --output=json exclude each other");

  run_ctl (&split, NULL, "--quiet", "status", "--output=json-pretty", "clock");
  assert_usage_message (&split, "--quiet and --output=json-pretty exclude each other");
}

/* --no-pager and --no-legend go with every command, before or after it,
 * and so does --quiet: the command goes on to connect. */
static void
test_options_every_command_takes (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (all_commands); i++)
    {
      g_auto (Result) result = { 0, };
      const char *name = strcmp (all_commands[i], "list") == 0 ? NULL : "clock";

      run_ctl (&result, NULL, "--address=unix:path=/nonexistent", "--no-pager",
               all_commands[i], "--no-legend", "-q", name);
      g_assert_cmpint (result.status, ==, 2);
      g_assert_cmpstr (result.out, ==, "");
      assert_contains (result.err, "bgservicectl: cannot connect to the bus at "
                       "unix:path=/nonexistent");
    }
}

static void
test_help_options (void)
{
  g_auto (Result) main_help = { 0, };
  g_auto (Result) show = { 0, };
  g_auto (Result) start = { 0, };
  g_auto (Result) cancel = { 0, };

  run_ctl (&main_help, NULL, "--help");
  assert_contains (main_help.out, "-o, --output=MODE");
  assert_contains (main_help.out, "-q, --quiet");
  assert_contains (main_help.out, "--no-legend");
  assert_contains (main_help.out, "--no-pager");
  assert_contains (main_help.out, "NO_COLOR");
  /* What only some commands take is in their own help. */
  g_assert_null (strstr (main_help.out, "--property=PROP"));
  g_assert_null (strstr (main_help.out, "Every service, instead of NAME…"));

  run_ctl (&show, NULL, "show", "--help");
  assert_contains (show.out, "Usage:\n  bgservicectl [OPTION…] show [--property=PROP…] NAME…\n");
  assert_contains (show.out, "-p, --property=PROP");
  assert_contains (show.out, "-o, --output=MODE");
  assert_contains (show.out, "StateTimestampText");
  assert_contains (show.out, "  4  no such service");
  g_assert_null (strstr (show.out, "--message"));

  run_ctl (&start, NULL, "start", "--help");
  assert_contains (start.out, "Usage:\n  bgservicectl [OPTION…] start NAME…|--all\n");
  assert_contains (start.out, "--all ");
  assert_contains (start.out, "Every service, instead of NAME…");
  g_assert_null (strstr (start.out, "--output"));
  g_assert_null (strstr (start.out, "--property"));

  run_ctl (&cancel, NULL, "help", "cancel");
  assert_contains (cancel.out, "Usage:\n  bgservicectl [OPTION…] cancel [--message=MSG] NAME…\n");
  assert_contains (cancel.out, "without waiting for the tasks to end");
}

static void
assert_main_help (const Result *result)
{
  g_assert_cmpint (result->status, ==, 0);
  g_assert_cmpstr (result->err, ==, "");
  assert_contains (result->out, "Usage:\n  bgservicectl [OPTION…] COMMAND [NAME…]");
  for (gsize i = 0; i < G_N_ELEMENTS (all_commands); i++)
    {
      g_autofree char *line = g_strdup_printf ("\n  %s ", all_commands[i]);

      assert_contains (result->out, line);
    }
  assert_contains (result->out, "--system");
  assert_contains (result->out, "--session");
  assert_contains (result->out, "--address=ADDRESS");
  assert_contains (result->out, "--user ");
  assert_contains (result->out, "-H, --host=[USER@]HOST[:PORT]");
  assert_contains (result->out, "-M, --machine=NAME");
  assert_contains (result->out, "--bus-name=BUSNAME");
  assert_contains (result->out, "Other hosts and containers:");
  assert_contains (result->out, "Exit status:");
  assert_contains (result->out, "  0  success");
  assert_contains (result->out, "  1  a task failed");
  assert_contains (result->out, "(is-failed: a\n     named service has not failed)");
  assert_contains (result->out, "  2  usage error");
  assert_contains (result->out, "  3  status, is-active: a named service is not running");
  assert_contains (result->out, "  4  no such service");
  assert_contains (result->out, "Examples:");
}

static void
test_help_main (void)
{
  const char * const spellings[] = { "--help", "-h", "help" };

  for (gsize i = 0; i < G_N_ELEMENTS (spellings); i++)
    {
      g_auto (Result) result = { 0, };

      run_ctl (&result, NULL, spellings[i]);
      assert_main_help (&result);
    }
}

static void
test_help_command (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (all_commands); i++)
    {
      const char *command = all_commands[i];
      g_auto (Result) after = { 0, };
      g_auto (Result) help = { 0, };
      g_autofree char *usage = g_strdup_printf ("Usage:\n  bgservicectl [OPTION…] %s", command);

      run_ctl (&after, NULL, command, "--help");
      g_assert_cmpint (after.status, ==, 0);
      g_assert_cmpstr (after.err, ==, "");
      assert_contains (after.out, usage);
      assert_contains (after.out, "Exit status:");
      assert_contains (after.out, "--address=ADDRESS");
      assert_contains (after.out, "-H, --host=[USER@]HOST[:PORT]");
      assert_contains (after.out, "-M, --machine=NAME");

      /* `help COMMAND` says the same. */
      run_ctl (&help, NULL, "help", command);
      g_assert_cmpint (help.status, ==, 0);
      g_assert_cmpstr (help.out, ==, after.out);

      if (takes_message (command))
        assert_contains (after.out, "--message=MSG");
      else
        g_assert_null (strstr (after.out, "--message"));
    }
}

/* COMMAND --help, with its exit status, checked. */
static void
run_command_help (Result     *result,
                  const char *command)
{
  g_autofree char *usage = g_strdup_printf ("Usage:\n  bgservicectl [OPTION…] %s NAME…\n",
                                            command);

  run_ctl (result, NULL, command, "--help");
  g_assert_cmpint (result->status, ==, 0);
  g_assert_cmpstr (result->err, ==, "");
  assert_contains (result->out, usage);
}

static void
test_help_is_failed (void)
{
  g_auto (Result) result = { 0, };

  run_command_help (&result, "is-failed");
  assert_contains (result.out, "Print the state of each named service, one a line");
  assert_contains (result.out, "Exit status:\n"
                   "  0  every named service failed\n"
                   "  1  a named service has not failed\n"
                   "  2  bgserviced could not be reached\n"
                   "  4  no such service\n");
}

static void
test_help_reset_failed (void)
{
  g_auto (Result) result = { 0, };

  run_command_help (&result, "reset-failed");
  assert_contains (result.out, "Make the named failed services stopped");
  assert_contains (result.out, "Exit status:\n"
                   "  0  reset, or nothing to reset\n"
                   "  2  not allowed, or bgserviced could not be reached\n"
                   "  4  no such service\n");
}

static void
test_help_supervision (void)
{
  g_auto (Result) main_help = { 0, };
  g_auto (Result) list = { 0, };
  g_auto (Result) status = { 0, };
  g_auto (Result) wait = { 0, };

  /* The main help says who may reset and who may ask. */
  run_ctl (&main_help, NULL, "--help");
  assert_contains (main_help.out, "(start, stop, cancel, restart, reset-failed)");
  assert_contains (main_help.out, "(list, status, show, wait, is-active, is-failed)");
  assert_contains (main_help.out, "NAME, STATE, TASKS and RESTARTS separated by tabs");

  run_ctl (&list, NULL, "list", "--help");
  assert_contains (list.out, "(running, stopping, restarting, stopped or failed)");
  assert_contains (list.out, "NAME, STATE, TASKS and RESTARTS separated by tabs");

  run_ctl (&status, NULL, "status", "--help");
  assert_contains (status.out, "A restarting service runs; a failed or stopped one does not.");

  run_ctl (&wait, NULL, "wait", "--help");
  assert_contains (wait.out, "waiting for a failed service exits 1");
}

static void
test_help_version (void)
{
  g_auto (Result) result = { 0, };

  run_ctl (&result, NULL, "--version");
  g_assert_cmpint (result.status, ==, 0);
  g_assert_cmpstr (result.out, ==, "bgservicectl " PACKAGE_VERSION "\n");
}

static void
test_connect_no_socket (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (all_commands); i++)
    {
      g_auto (Result) result = { 0, };
      const char *name = strcmp (all_commands[i], "list") == 0 ? NULL : "clock";

      run_ctl (&result, NULL, "--address=unix:path=/nonexistent", all_commands[i], name);
      g_assert_cmpint (result.status, ==, 2);
      g_assert_cmpstr (result.out, ==, "");
      assert_contains (result.err, "bgservicectl: cannot connect to the bus at "
                       "unix:path=/nonexistent: No such file or directory");
    }
}

static void
test_connect_no_session_bus (void)
{
  g_auto (Result) result = { 0, };

  run_ctl (&result, NULL, "--session", "list");
  g_assert_cmpint (result.status, ==, 2);
  assert_contains (result.err, "cannot connect to the session bus: neither "
                   "DBUS_SESSION_BUS_ADDRESS nor XDG_RUNTIME_DIR is set");
  assert_contains (result.err, "--system");
}

static void
test_connect_no_system_bus (void)
{
  const char * const env[] = { "DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent", NULL };
  g_auto (Result) result = { 0, };

  run_ctl (&result, env, "--system", "status", "clock");
  g_assert_cmpint (result.status, ==, 2);
  assert_contains (result.err, "cannot connect to the system bus at unix:path=/nonexistent");
  assert_contains (result.err, "--session");
}

/* No ssh to run: said before sd-bus's child would fail without a word. */
static void
test_connect_no_ssh (void)
{
  const char * const env[] = { "PATH=/nonexistent", NULL };
  g_auto (Result) result = { 0, };

  run_ctl (&result, env, "--host=admin@web1", "list");
  g_assert_cmpint (result.status, ==, 2);
  g_assert_cmpstr (result.out, ==, "");
  assert_contains (result.err, "bgservicectl: cannot reach admin@web1 over SSH: there is no "
                   "ssh program in PATH");
}

/* BusFixture: a private dbus-daemon on which nobody owns org.bgservice1. */
typedef struct
{
  GTestDBus  *bus;
  const char *address;
  char       *address_env[3];
} BusFixture;

static void
bus_setup (BusFixture    *fixture,
           gconstpointer  data)
{
  g_autofree char *dbus_daemon = g_find_program_in_path ("dbus-daemon");

  if (dbus_daemon == NULL)
    {
      g_test_skip ("dbus-daemon is not installed");
      return;
    }

  fixture->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (fixture->bus);
  fixture->address = g_test_dbus_get_bus_address (fixture->bus);
  fixture->address_env[0] = g_strdup_printf ("DBUS_SESSION_BUS_ADDRESS=%s", fixture->address);
  fixture->address_env[1] = g_strdup_printf ("DBUS_SYSTEM_BUS_ADDRESS=%s", fixture->address);
}

static void
bus_teardown (BusFixture    *fixture,
              gconstpointer  data)
{
  g_free (fixture->address_env[0]);
  g_free (fixture->address_env[1]);
  if (fixture->bus != NULL)
    {
      g_test_dbus_down (fixture->bus);
      g_object_unref (fixture->bus);
    }
}

static void
test_no_owner_address (BusFixture    *fixture,
                       gconstpointer  data)
{
  g_autofree char *address_option = NULL;
  g_autofree char *expected = NULL;

  if (fixture->bus == NULL)
    return;

  address_option = g_strdup_printf ("--address=%s", fixture->address);
  expected = g_strdup_printf ("bgservicectl: no bgserviced on the bus at %s "
                              "(org.bgservice1 has no owner)", fixture->address);

  for (gsize i = 0; i < G_N_ELEMENTS (all_commands); i++)
    {
      g_auto (Result) result = { 0, };
      const char *name = strcmp (all_commands[i], "list") == 0 ? NULL : "clock";

      run_ctl (&result, NULL, address_option, all_commands[i], name);
      g_assert_cmpint (result.status, ==, 2);
      g_assert_cmpstr (result.out, ==, "");
      assert_contains (result.err, expected);
    }
}

static void
test_no_owner_session (BusFixture    *fixture,
                       gconstpointer  data)
{
  g_auto (Result) result = { 0, };

  if (fixture->bus == NULL)
    return;

  run_ctl (&result, (const char * const *) fixture->address_env, "--session", "status", "clock");
  g_assert_cmpint (result.status, ==, 2);
  assert_contains (result.err, "bgservicectl: no bgserviced on the session bus "
                   "(org.bgservice1 has no owner); is it running? "
                   "For the system daemon use --system");
}

static void
test_no_owner_system (BusFixture    *fixture,
                      gconstpointer  data)
{
  g_auto (Result) result = { 0, };

  if (fixture->bus == NULL)
    return;

  run_ctl (&result, (const char * const *) fixture->address_env, "--system", "stop", "clock");
  g_assert_cmpint (result.status, ==, 2);
  assert_contains (result.err, "bgservicectl: no bgserviced on the system bus "
                   "(org.bgservice1 has no owner); is it running?");
  assert_contains (result.err, "--session");
}

/* Without --system or --session: the system bus for root, else the session bus. */
static void
test_no_owner_default_bus (BusFixture    *fixture,
                           gconstpointer  data)
{
  g_auto (Result) result = { 0, };

  if (fixture->bus == NULL)
    return;

  run_ctl (&result, (const char * const *) fixture->address_env, "list");
  g_assert_cmpint (result.status, ==, 2);
  if (geteuid () == 0)
    assert_contains (result.err, "no bgserviced on the system bus");
  else
    assert_contains (result.err, "no bgserviced on the session bus");
}

static void
test_no_owner_bus_name (BusFixture    *fixture,
                        gconstpointer  data)
{
  g_auto (Result) result = { 0, };

  if (fixture->bus == NULL)
    return;

  run_ctl (&result, (const char * const *) fixture->address_env,
           "--session", "--bus-name=org.example.Services", "wait", "clock");
  g_assert_cmpint (result.status, ==, 2);
  assert_contains (result.err, "no bgserviced on the session bus "
                   "(org.example.Services has no owner)");
}

/* The name is owned, by a program that is not bgserviced. */
static void
test_owner_not_bgserviced (BusFixture    *fixture,
                           gconstpointer  data)
{
  g_autoptr (GDBusConnection) connection = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *address_option = NULL;
  g_auto (Result) list = { 0, };
  g_auto (Result) stop = { 0, };
  guint32 outcome;

  if (fixture->bus == NULL)
    return;

  connection = g_dbus_connection_new_for_address_sync (fixture->address,
                                                       G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                       G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                       NULL, NULL, &error);
  g_assert_no_error (error);
  reply = g_dbus_connection_call_sync (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "RequestName",
                                       g_variant_new ("(su)", "org.bgservice1", 4),
                                       G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE,
                                       -1, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(u)", &outcome);
  g_assert_cmpuint (outcome, ==, 1);

  /* GDBus answers UnknownMethod for objects nobody exported. */
  address_option = g_strdup_printf ("--address=%s", fixture->address);
  run_ctl (&list, NULL, address_option, "list");
  g_assert_cmpint (list.status, ==, 2);
  assert_contains (list.err, "the owner of org.bgservice1 on the bus at");
  assert_contains (list.err, "does not answer as bgserviced does");

  run_ctl (&stop, NULL, address_option, "stop", "clock", "web");
  g_assert_cmpint (stop.status, ==, 2);
  assert_contains (stop.err, "does not answer as bgserviced does");
  /* Said once, not once a name. */
  g_assert_null (strstr (strstr (stop.err, "does not answer") + 1, "does not answer"));

  g_dbus_connection_close_sync (connection, NULL, &error);
  g_assert_no_error (error);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ctl/usage/no-command", test_usage_no_command);
  g_test_add_func ("/ctl/usage/unknown-command", test_usage_unknown_command);
  g_test_add_func ("/ctl/usage/command-spelling", test_usage_command_spelling);
  g_test_add_func ("/ctl/usage/missing-name", test_usage_missing_name);
  g_test_add_func ("/ctl/usage/extra-name", test_usage_extra_name);
  g_test_add_func ("/ctl/usage/bad-option", test_usage_bad_option);
  g_test_add_func ("/ctl/usage/exclusive-buses", test_usage_exclusive_buses);
  g_test_add_func ("/ctl/usage/user-is-session", test_usage_user_is_session);
  g_test_add_func ("/ctl/usage/bad-host", test_usage_bad_host);
  g_test_add_func ("/ctl/usage/bad-machine", test_usage_bad_machine);
  g_test_add_func ("/ctl/usage/bad-bus-name", test_usage_bad_bus_name);
  g_test_add_func ("/ctl/usage/bad-address", test_usage_bad_address);
  g_test_add_func ("/ctl/usage/help-too-many", test_usage_help_too_many);
  g_test_add_func ("/ctl/usage/command-suggestion", test_usage_command_suggestion);
  g_test_add_func ("/ctl/usage/option-suggestion", test_usage_option_suggestion);
  g_test_add_func ("/ctl/usage/output-mode", test_usage_output_mode);
  g_test_add_func ("/ctl/usage/options-not-taken", test_usage_options_not_taken);
  g_test_add_func ("/ctl/usage/all-and-names", test_usage_all_and_names);
  g_test_add_func ("/ctl/usage/quiet-and-json", test_usage_quiet_and_json);
  g_test_add_func ("/ctl/usage/options-every-command-takes", test_options_every_command_takes);
  g_test_add_func ("/ctl/help/options", test_help_options);
  g_test_add_func ("/ctl/help/main", test_help_main);
  g_test_add_func ("/ctl/help/command", test_help_command);
  g_test_add_func ("/ctl/help/is-failed", test_help_is_failed);
  g_test_add_func ("/ctl/help/reset-failed", test_help_reset_failed);
  g_test_add_func ("/ctl/help/supervision", test_help_supervision);
  g_test_add_func ("/ctl/help/version", test_help_version);
  g_test_add_func ("/ctl/connect/no-socket", test_connect_no_socket);
  g_test_add_func ("/ctl/connect/no-session-bus", test_connect_no_session_bus);
  g_test_add_func ("/ctl/connect/no-system-bus", test_connect_no_system_bus);
  g_test_add_func ("/ctl/connect/no-ssh", test_connect_no_ssh);
  g_test_add ("/ctl/no-owner/address", BusFixture, NULL,
              bus_setup, test_no_owner_address, bus_teardown);
  g_test_add ("/ctl/no-owner/session", BusFixture, NULL,
              bus_setup, test_no_owner_session, bus_teardown);
  g_test_add ("/ctl/no-owner/system", BusFixture, NULL,
              bus_setup, test_no_owner_system, bus_teardown);
  g_test_add ("/ctl/no-owner/default-bus", BusFixture, NULL,
              bus_setup, test_no_owner_default_bus, bus_teardown);
  g_test_add ("/ctl/no-owner/bus-name", BusFixture, NULL,
              bus_setup, test_no_owner_bus_name, bus_teardown);
  g_test_add ("/ctl/no-owner/not-bgserviced", BusFixture, NULL,
              bus_setup, test_owner_not_bgserviced, bus_teardown);

  return g_test_run ();
}
