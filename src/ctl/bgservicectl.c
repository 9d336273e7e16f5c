/* SPDX-License-Identifier: MIT */
/* bgservicectl.c: the command line of bgservicectl, the client of
 * bgserviced.
 *
 *   bgservicectl [--system | --session | --user | --address=ADDRESS |
 *                 --host=[USER@]HOST[:PORT] | --machine=NAME] [--bus-name=NAME]
 *                COMMAND [COMMAND OPTION…] [NAME…]
 *
 * Options are parsed twice: the options before the command by the main
 * GOptionContext (which stops at the command), the rest by a context of
 * the command's own, which knows the connection options too, so that
 * `bgservicectl stop --session web` works and `bgservicectl stop --help`
 * describes stop. The other options (CommandOptions: --output, --quiet,
 * --no-legend, --no-pager, --message, --all, --property) are known to both
 * contexts too, and checked against what the command takes once both are
 * parsed: `bgservicectl status -p State web` is a usage error that says
 * which commands take --property. A mistyped command or long option gets
 * the nearest known one suggested (ctl-suggest.c). Everything else is
 * dispatched to ctl-commands.c.
 */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ctl-bus.h"
#include "ctl-commands.h"
#include "ctl-exit.h"
#include "ctl-output.h"
#include "ctl-suggest.h"
#include "ctl-wire.h"

/* ConnectionOptions: where the daemon is; given before or after the command. */
typedef struct
{
  gboolean  system;
  gboolean  session;
  gboolean  user;      /* systemd's spelling of --session */
  char     *address;
  char     *host;
  char     *machine;
  char     *bus_name;
} ConnectionOptions;

static void
connection_options_clear (ConnectionOptions *self)
{
  g_clear_pointer (&self->address, g_free);
  g_clear_pointer (&self->host, g_free);
  g_clear_pointer (&self->machine, g_free);
  g_clear_pointer (&self->bus_name, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ConnectionOptions, connection_options_clear)

/* CommandOptions: the options besides the connection's; given before or
 * after the command. */
typedef struct
{
  char      *output;       /* (nullable) --output */
  gboolean   quiet;
  gboolean   no_legend;
  gboolean   no_pager;     /* accepted, as systemctl's: there is no pager */
  gboolean   all;
  char     **properties;   /* (nullable) --property, each maybe a comma-separated list */
  char      *message;      /* (nullable) --message */
} CommandOptions;

static void
command_options_clear (CommandOptions *self)
{
  g_clear_pointer (&self->output, g_free);
  g_clear_pointer (&self->properties, g_strfreev);
  g_clear_pointer (&self->message, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CommandOptions, command_options_clear)

/* CommandFlags: what a command takes besides the connection options,
 * --quiet, --no-legend and --no-pager (which every command takes). */
typedef enum
{
  TAKES_NAMES    = 1 << 0,   /* NAME…, at least one (none with --all) */
  TAKES_MESSAGE  = 1 << 1,   /* --message */
  TAKES_OUTPUT   = 1 << 2,   /* --output */
  TAKES_ALL      = 1 << 3,   /* --all instead of NAME… */
  TAKES_PROPERTY = 1 << 4,   /* --property */
} CommandFlags;

/* Command: a command of bgservicectl and its documentation. */
typedef struct
{
  const char     *name;
  const char     *arguments;     /* after the name in the usage line */
  CommandFlags    flags;
  const char     *summary;       /* for COMMAND --help */
  const char     *exit_status;   /* for COMMAND --help */
  const char     *interrupted;   /* (nullable) what goes on after Ctrl-C */
  CtlCommandFunc  run;
} Command;

static const Command commands[] = {
  {
    "list", "", TAKES_OUTPUT,
    "List the services of bgserviced, running or not, with their state\n"
    "(running, stopping, restarting, stopped or failed), their number of\n"
    "tasks and how many times they were restarted automatically since they\n"
    "were last started by hand.\n"
    "\n"
    "On a terminal: a header, aligned columns and a count (--no-legend: the\n"
    "columns only), the state in colour. In a pipe: one line a service,\n"
    "NAME, STATE, TASKS and RESTARTS separated by tabs, no header.\n"
    "--output=json: [{\"name\", \"state\", \"is_running\", \"n_tasks\",\n"
    "\"n_restarts\", \"path\"}, …].",
    "  0  the list was printed\n"
    "  2  bgserviced could not be reached",
    NULL,
    ctl_command_list,
  },
  {
    "status", "NAME…", TAKES_NAMES | TAKES_OUTPUT,
    "Show each named service, one block a service: its state and since\n"
    "when, its automatic restarts and restart policy, its number of tasks,\n"
    "and the errors of its last run (restarts included), one a line.\n"
    "A restarting service runs; a failed or stopped one does not.\n"
    "--output=json: [{\"name\", \"state\", \"is_running\", \"state_timestamp\"\n"
    "(µs), \"state_timestamp_iso\", \"restart\", \"n_restarts\", \"n_tasks\",\n"
    "\"last_errors\": [{\"task\", \"domain\", \"code\", \"message\"}, …], \"path\"}, …].",
    "  0  every named service is running\n"
    "  2  bgserviced could not be reached\n"
    "  3  a named service is not running\n"
    "  4  no such service",
    NULL,
    ctl_command_status,
  },
  {
    "show", "[--property=PROP…] NAME…", TAKES_NAMES | TAKES_OUTPUT | TAKES_PROPERTY,
    "Show the properties of each named service as systemctl show does: one\n"
    "KEY=VALUE line a property, under its D-Bus name (Name, IsRunning,\n"
    "NTasks, LastErrors, State, StateTimestamp, NRestarts, Restart), a blank\n"
    "line between services. IsRunning is yes or no; LastErrors is the\n"
    "errors of the last run on one line, “TASK: MESSAGE (DOMAIN CODE)”\n"
    "separated by “; ”; StateTimestamp is in µs since the epoch (0: never),\n"
    "followed by StateTimestampText, the same time as status shows it.\n"
    "--property picks properties (repeat it, or separate them with commas);\n"
    "a property that does not exist prints nothing.\n"
    "--output=json: [{\"Name\": …, \"IsRunning\": …, …}, …], the same keys.",
    "  0  the properties were printed\n"
    "  2  bgserviced could not be reached\n"
    "  4  no such service",
    NULL,
    ctl_command_show,
  },
  {
    "start", "NAME…|--all", TAKES_NAMES | TAKES_ALL,
    "Start the named services, or with --all every service that does not\n"
    "run. Starting a running service does nothing. Prints nothing on\n"
    "success.",
    "  0  started\n"
    "  2  not allowed, or bgserviced could not be reached\n"
    "  4  no such service",
    NULL,
    ctl_command_start,
  },
  {
    "stop", "[--message=MSG] NAME…|--all", TAKES_NAMES | TAKES_MESSAGE | TAKES_OUTPUT | TAKES_ALL,
    "Stop the named services, or with --all every service: cancel their\n"
    "tasks and any pending restart (with MSG as the reason) and wait until\n"
    "every task has ended, all services at once. Each failure of the run a\n"
    "stop ended is printed on its own line:\n"
    "  NAME: TASK: MESSAGE (DOMAIN CODE)\n"
    "Stopping a service that does not run does nothing and prints nothing\n"
    "(status and wait show the errors of its last run). This can take as\n"
    "long as the tasks take to end; Ctrl-C stops waiting, not stopping.\n"
    "--output=json: [{\"service\", \"errors\": [{\"task\", \"domain\", \"code\",\n"
    "\"message\"}, …]}, …], one object a named service; with --all, one a\n"
    "service whose run ended with failures.",
    "  0  stopped, no task failed\n"
    "  1  a task failed (its errors are printed)\n"
    "  2  not allowed, or bgserviced could not be reached\n"
    "  4  no such service",
    "bgserviced goes on stopping the services",
    ctl_command_stop,
  },
  {
    "cancel", "[--message=MSG] NAME…", TAKES_NAMES | TAKES_MESSAGE,
    "Cancel the tasks that the named services run now, and any pending\n"
    "restart (with MSG as the reason), without waiting for the tasks to end:\n"
    "the services are stopping until they have, then stopped; nothing\n"
    "restarts them. Prints nothing on success; wait or stop then tell the\n"
    "errors of the run.",
    "  0  cancelled\n"
    "  2  not allowed, or bgserviced could not be reached\n"
    "  4  no such service",
    NULL,
    ctl_command_cancel,
  },
  {
    "restart", "[--message=MSG] NAME…", TAKES_NAMES | TAKES_MESSAGE | TAKES_OUTPUT,
    "Restart the named services: stop them as stop does, then start them.\n"
    "The errors of the stop are printed as stop prints them (also as JSON).",
    "  0  restarted, no task failed while stopping\n"
    "  1  a task failed (its errors are printed)\n"
    "  2  not allowed, or bgserviced could not be reached\n"
    "  4  no such service",
    "bgserviced goes on restarting the services",
    ctl_command_restart,
  },
  {
    "wait", "NAME…", TAKES_NAMES | TAKES_OUTPUT,
    "Wait until the current run of each named service has ended (its\n"
    "automatic restarts included), then print every failure of that run as\n"
    "stop does (also as JSON). A service that does not run answers at once\n"
    "with the failures of its last run: waiting for a failed service exits 1.\n"
    "Waiting changes nothing and is open to every user.",
    "  0  the runs ended, none with a failure\n"
    "  1  a task failed (its errors are printed)\n"
    "  2  bgserviced could not be reached\n"
    "  4  no such service",
    NULL,
    ctl_command_wait,
  },
  {
    "is-active", "NAME…", TAKES_NAMES,
    "Print the state of each named service, one a line, in the order\n"
    "given; tell by the exit status whether every one of them is active: a\n"
    "run is under way (running, stopping or restarting; as for status). A\n"
    "NAME that names no service gets no line: it is reported on standard\n"
    "error, and the exit status is 4. With --quiet, only the exit status.",
    "  0  every named service is active\n"
    "  2  bgserviced could not be reached\n"
    "  3  a named service is not active (stopped or failed)\n"
    "  4  no such service",
    NULL,
    ctl_command_is_active,
  },
  {
    "is-failed", "NAME…", TAKES_NAMES,
    "Print the state of each named service, one a line, in the order\n"
    "given; tell by the exit status whether every one of them failed (its\n"
    "last run ended with failures and no restart follows). A NAME that\n"
    "names no service gets no line: it is reported on standard error, and\n"
    "the exit status is 4. With --quiet, only the exit status.",
    "  0  every named service failed\n"
    "  1  a named service has not failed\n"
    "  2  bgserviced could not be reached\n"
    "  4  no such service",
    NULL,
    ctl_command_is_failed,
  },
  {
    "reset-failed", "NAME…", TAKES_NAMES,
    "Make the named failed services stopped, with no last errors and no\n"
    "restarts counted. A service that has not failed is left as it is.\n"
    "Prints nothing on success.",
    "  0  reset, or nothing to reset\n"
    "  2  not allowed, or bgserviced could not be reached\n"
    "  4  no such service",
    NULL,
    ctl_command_reset_failed,
  },
};

static const char commands_summary[] =
  "Control the background services that bgserviced hosts, over D-Bus.\n"
  "\n"
  "Commands:\n"
  "  list                       List the services, their state, tasks and restarts\n"
  "  status NAME…               Show the state, restarts, tasks and last errors\n"
  "  show [-p PROP…] NAME…      Show the properties as KEY=VALUE lines\n"
  "  start NAME…|--all          Start services\n"
  "  stop [--message=MSG] NAME…|--all\n"
  "                             Stop services and print the errors of their tasks\n"
  "  cancel [--message=MSG] NAME…\n"
  "                             Cancel the tasks of services, without waiting\n"
  "  restart NAME…              Stop, then start services\n"
  "  wait NAME…                 Wait until the runs of services end; print their errors\n"
  "  is-active NAME…            Print the states; exit 0 if every service runs\n"
  "  is-failed NAME…            Print the states; exit 0 if every service failed\n"
  "  reset-failed NAME…         Make failed services stopped\n"
  "  help [COMMAND]             Show this help, or the help of COMMAND\n"
  "\n"
  "“bgservicectl COMMAND --help” tells more about COMMAND.";

static const char main_description[] =
  "The daemon is found on the system bus when bgservicectl runs as root,\n"
  "else on the session bus, under the bus name org.bgservice1. Changing\n"
  "services (start, stop, cancel, restart, reset-failed) takes root or a\n"
  "user or group that the daemon's configuration names in ControlUsers= or\n"
  "ControlGroups=; reading (list, status, show, wait, is-active, is-failed)\n"
  "is open to everyone.\n"
  "\n"
  "Other hosts and containers:\n"
  "  --host=[USER@]HOST[:PORT] (-H) talks to bgserviced on the system bus\n"
  "  of HOST through ssh, as “systemctl -H” does: HOST needs sshd and\n"
  "  systemd-stdio-bridge, and what may be changed there is decided for\n"
  "  the user that ssh logs in as.\n"
  "  --machine=NAME (-M) talks to bgserviced on the system bus of a local\n"
  "  container (“machinectl list” shows them).\n"
  "    bgservicectl -H admin@web1 status clock\n"
  "    bgservicectl -M web-container list\n"
  "\n"
  "Output:\n"
  "  On a terminal, list prints a header and aligned columns; in a pipe it\n"
  "  prints NAME, STATE, TASKS and RESTARTS separated by tabs, one service\n"
  "  a line.\n"
  "  Errors of tasks go to standard output, one a line:\n"
  "    NAME: TASK: MESSAGE (DOMAIN CODE)\n"
  "  Errors of bgservicectl itself go to standard error.\n"
  "  --output=json (or json-pretty, indented) prints a JSON array instead,\n"
  "  for list, status, show, stop, restart and wait; the exit status stays.\n"
  "  --quiet prints nothing on standard output but the errors of tasks.\n"
  "  On a terminal, states are in colour: never in a pipe, nor in JSON, nor\n"
  "  when NO_COLOR is set or SYSTEMD_COLORS=0.\n"
  "\n"
  "Exit status:\n"
  "  0  success\n"
  "  1  a task failed; its errors are printed, one a line (is-failed: a\n"
  "     named service has not failed)\n"
  "  2  usage error, bgserviced could not be reached, or it refused\n"
  "  3  status, is-active: a named service is not running\n"
  "  4  no such service\n"
  "  With several NAMEs, every one is handled; the exit status is the most\n"
  "  severe met, in the order 2, 4, 1, 3, 0.\n"
  "\n"
  "Examples:\n"
  "  bgservicectl list\n"
  "  bgservicectl status clock\n"
  "  sudo bgservicectl stop --message='maintenance' web worker\n"
  "  bgservicectl --session restart clock\n"
  "  bgservicectl is-failed web && sudo bgservicectl reset-failed web\n"
  "  bgservicectl list | cut -f1\n"
  "  bgservicectl -o json status clock | jq '.[0].state'\n"
  "  bgservicectl show -p State,NRestarts web\n"
  "  bgservicectl -q is-active web || sudo bgservicectl start web\n"
  "  bgservicectl list | awk -F'\\t' '$2 == \"running\" { print $1 }'";

static void
add_connection_entries (GOptionContext    *context,
                        ConnectionOptions *options)
{
  const GOptionEntry entries[] = {
    { "system", 0, 0, G_OPTION_ARG_NONE, &options->system,
      "Talk to bgserviced on the system bus (the default for root)", NULL },
    { "session", 0, 0, G_OPTION_ARG_NONE, &options->session,
      "Talk to bgserviced on the session bus (the default for other users)", NULL },
    { "user", 0, 0, G_OPTION_ARG_NONE, &options->user,
      "Talk to bgserviced on the session bus (the same as --session)", NULL },
    { "address", 0, 0, G_OPTION_ARG_STRING, &options->address,
      "Talk to bgserviced on the bus at ADDRESS (a D-Bus address)", "ADDRESS" },
    { "host", 'H', 0, G_OPTION_ARG_STRING, &options->host,
      "Talk to bgserviced on the system bus of HOST, over SSH", "[USER@]HOST[:PORT]" },
    { "machine", 'M', 0, G_OPTION_ARG_STRING, &options->machine,
      "Talk to bgserviced on the system bus of the local container NAME", "NAME" },
    { "bus-name", 0, 0, G_OPTION_ARG_STRING, &options->bus_name,
      "The bus name of bgserviced (default: " BGS_BUS_NAME ")", "BUSNAME" },
    G_OPTION_ENTRY_NULL
  };

  g_option_context_add_main_entries (context, entries, NULL);
}

/* The entries of CommandOptions. Those whose flag is not in @shown are
 * hidden from the help: they still parse, to be refused with a message
 * that says which commands take them (see check_command_options()). */
static void
add_command_entries (GOptionContext *context,
                     CommandOptions *options,
                     CommandFlags    shown)
{
#define SHOWN_IF(flag) ((shown & (flag)) != 0 ? 0 : G_OPTION_FLAG_HIDDEN)
  const GOptionEntry entries[] = {
    { "output", 'o', SHOWN_IF (TAKES_OUTPUT), G_OPTION_ARG_STRING, &options->output,
      "Print plain text (the default), json, or json-pretty (json, indented)", "MODE" },
    { "property", 'p', SHOWN_IF (TAKES_PROPERTY), G_OPTION_ARG_STRING_ARRAY, &options->properties,
      "Show only the property PROP (repeat it, or separate names with commas)", "PROP" },
    { "all", 0, SHOWN_IF (TAKES_ALL), G_OPTION_ARG_NONE, &options->all,
      "Every service, instead of NAME…", NULL },
    { "message", 'm', SHOWN_IF (TAKES_MESSAGE), G_OPTION_ARG_FILENAME, &options->message,
      "Why the services stop, passed to their tasks' cancellation", "MSG" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &options->quiet,
      "Print nothing on standard output but the errors of tasks; the exit status tells", NULL },
    { "no-legend", 0, 0, G_OPTION_ARG_NONE, &options->no_legend,
      "Leave out the header and the count of list", NULL },
    { "no-pager", 0, 0, G_OPTION_ARG_NONE, &options->no_pager,
      "Accepted, as systemctl's: bgservicectl uses no pager", NULL },
    G_OPTION_ENTRY_NULL
  };
#undef SHOWN_IF

  g_option_context_add_main_entries (context, entries, NULL);
}

static GOptionContext *
new_main_context (ConnectionOptions *connection,
                  CommandOptions    *options,
                  gboolean          *version)
{
  GOptionContext *context = g_option_context_new ("COMMAND [NAME…]");
  const GOptionEntry entries[] = {
    { "version", 0, 0, G_OPTION_ARG_NONE, version,
      "Show the version of bgservicectl and exit", NULL },
    G_OPTION_ENTRY_NULL
  };

  /* Stop at the command: what follows it is the command's. */
  g_option_context_set_strict_posix (context, TRUE);
  g_option_context_set_summary (context, commands_summary);
  g_option_context_set_description (context, main_description);
  add_connection_entries (context, connection);
  add_command_entries (context, options, TAKES_OUTPUT);
  g_option_context_add_main_entries (context, entries, NULL);

  return context;
}

static GOptionContext *
new_command_context (const Command      *command,
                     ConnectionOptions  *connection,
                     CommandOptions     *options,
                     char             ***names)
{
  g_autofree char *usage = g_strjoin (*command->arguments != '\0' ? " " : "",
                                      command->name, command->arguments, NULL);
  g_autofree char *description = g_strdup_printf ("Exit status:\n%s", command->exit_status);
  GOptionContext *context = g_option_context_new (usage);
  const GOptionEntry name_entries[] = {
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, names, NULL, NULL },
    G_OPTION_ENTRY_NULL
  };

  g_option_context_set_summary (context, command->summary);
  g_option_context_set_description (context, description);
  add_command_entries (context, options, command->flags);
  add_connection_entries (context, connection);
  g_option_context_add_main_entries (context, name_entries, NULL);

  return context;
}

/* The names of the commands, then "help", NULL-terminated: the words a
 * user may have meant by an unknown command. */
static GPtrArray *
known_commands (void)
{
  GPtrArray *names = g_ptr_array_new ();

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    g_ptr_array_add (names, (char *) commands[i].name);
  g_ptr_array_add (names, (char *) "help");
  g_ptr_array_add (names, NULL);

  return names;
}

/* The names of the commands, "list, status, …", for messages. */
static char *
command_names (void)
{
  g_autoptr (GString) names = g_string_new (NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    g_string_append_printf (names, "%s%s", i > 0 ? ", " : "", commands[i].name);

  return g_string_free (g_steal_pointer (&names), FALSE);
}

/* The names of the commands that take @flag, "stop, cancel and restart",
 * for messages. */
static char *
commands_taking (CommandFlags flag)
{
  g_autoptr (GPtrArray) takers = g_ptr_array_new ();
  g_autoptr (GString) text = g_string_new (NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if ((commands[i].flags & flag) != 0)
      g_ptr_array_add (takers, (char *) commands[i].name);

  for (guint i = 0; i < takers->len; i++)
    {
      if (i > 0)
        g_string_append (text, i + 1 < takers->len ? ", " : " and ");
      g_string_append (text, takers->pdata[i]);
    }

  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* The command called @name, or NULL. */
static const Command *
find_command (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (commands[i].name, name) == 0)
      return &commands[i];

  return NULL;
}

static CtlExit
usage_error (const char *hint_command,
             const char *format,
             ...) G_GNUC_PRINTF (2, 3);

/* Prints a usage error and where to find help; returns 2. */
static CtlExit
usage_error (const char *hint_command,
             const char *format,
             ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  ctl_output_print_error ("%s", message);
  if (hint_command != NULL)
    g_printerr ("Run “bgservicectl %s --help” for its usage.\n", hint_command);
  else
    g_printerr ("Run “bgservicectl --help” for the commands and options.\n");

  return CTL_EXIT_FAILURE;
}

/* An unknown command: the nearest one suggested, or the list of them. */
static CtlExit
unknown_command_error (const char *typed)
{
  g_autoptr (GPtrArray) known = known_commands ();
  const char *nearest = ctl_suggest_nearest (typed, (const char * const *) known->pdata);
  g_autofree char *names = NULL;

  if (nearest != NULL)
    return usage_error (NULL, "unknown command “%s”; did you mean “%s”?", typed, nearest);

  names = command_names ();
  return usage_error (NULL, "unknown command “%s” (the commands: %s, help)", typed, names);
}

/*
 * The long options that @context shows in its help ("--output", …),
 * NULL-terminated: the options a user may have meant. They are read from
 * the help text, where GLib lists every option the context shows, so that
 * no list here can forget one.
 */
static GPtrArray *
shown_long_options (GOptionContext *context)
{
  g_autofree char *help = g_option_context_get_help (context, FALSE, NULL);
  GPtrArray *options = g_ptr_array_new_with_free_func (g_free);

  for (const char *p = strstr (help, "--"); p != NULL; p = strstr (p, "--"))
    {
      const char *end = p + 2;
      g_autofree char *option = NULL;

      while (g_ascii_isalnum (*end) || *end == '-')
        end++;
      option = g_strndup (p, end - p);
      if (g_ascii_isalpha (p[2]) &&
          !g_ptr_array_find_with_equal_func (options, option, g_str_equal, NULL))
        g_ptr_array_add (options, g_steal_pointer (&option));
      p = end;
    }
  g_ptr_array_add (options, NULL);

  return options;
}

/* The argument of @argv that GOption's @message names: the longest one it
 * quotes (GOption quotes the whole argument, "--outptu=json"), or NULL. */
static const char *
find_named_argument (int          argc,
                     char       **argv,
                     const char  *message)
{
  const char *found = NULL;

  for (int i = 1; i < argc; i++)
    if (argv[i][0] == '-' && strstr (message, argv[i]) != NULL &&
        (found == NULL || strlen (argv[i]) > strlen (found)))
      found = argv[i];

  return found;
}

/*
 * A failed parse of @argv by @context: a mistyped long option gets the
 * nearest option of @context suggested; any other error is shown as
 * GOption words it. Returns 2.
 */
static CtlExit
option_error (GOptionContext *context,
              const char     *hint_command,
              int             argc,
              char          **argv,
              const GError   *error)
{
  const char *typed = NULL;

  if (g_error_matches (error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION))
    typed = find_named_argument (argc, argv, error->message);

  if (typed != NULL && g_str_has_prefix (typed, "--"))
    {
      g_autofree char *option = g_strndup (typed, strcspn (typed, "="));
      g_autoptr (GPtrArray) known = shown_long_options (context);
      const char *nearest = ctl_suggest_nearest (option, (const char * const *) known->pdata);

      if (nearest != NULL)
        return usage_error (hint_command, "unknown option “%s”; did you mean “%s”?",
                            option, nearest);
    }

  return usage_error (hint_command, "%s", error->message);
}

static void
print_help (GOptionContext *context)
{
  g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);

  fputs (help, stdout);
}

/* help [COMMAND] */
static CtlExit
run_help (GOptionContext *main_context,
          int             argc,
          char          **argv)
{
  const Command *command;
  g_auto (ConnectionOptions) connection = { 0, };
  g_auto (CommandOptions) options = { 0, };
  g_auto (GStrv) names = NULL;
  g_autoptr (GOptionContext) context = NULL;

  if (argc <= 2)
    {
      print_help (main_context);
      return CTL_EXIT_SUCCESS;
    }
  if (argc > 3)
    return usage_error ("help", "help takes one COMMAND at most");

  command = find_command (argv[2]);
  if (command == NULL)
    return unknown_command_error (argv[2]);

  context = new_command_context (command, &connection, &options, &names);
  print_help (context);

  return CTL_EXIT_SUCCESS;
}

/* The connection options before the command, overridden by those after.
 * @address is set to what ctl_bus_connect() takes with @kind: the address,
 * the host or the machine. */
static CtlExit
check_connection (const ConnectionOptions *before,
                  const ConnectionOptions *after,
                  CtlBusKind              *kind,
                  const char             **address,
                  const char             **bus_name)
{
  gboolean system = before->system || after->system;
  gboolean session = before->session || after->session;
  gboolean user = before->user || after->user;
  const char *host = after->host != NULL ? after->host : before->host;
  const char *machine = after->machine != NULL ? after->machine : before->machine;
  const char *given[5];
  guint n_given = 0;

  *address = after->address != NULL ? after->address : before->address;
  *bus_name = after->bus_name != NULL ? after->bus_name : before->bus_name;
  if (*bus_name == NULL)
    *bus_name = BGS_BUS_NAME;

  /* One way to a bus; --user is --session, so both together are one. */
  if (system)
    given[n_given++] = "--system";
  if (session || user)
    given[n_given++] = session ? "--session" : "--user";
  if (*address != NULL)
    given[n_given++] = "--address";
  if (host != NULL)
    given[n_given++] = "--host";
  if (machine != NULL)
    given[n_given++] = "--machine";
  if (n_given > 1)
    return usage_error (NULL, "%s and %s exclude each other; give one of --system, "
                        "--session (or --user), --address, --host and --machine",
                        given[0], given[1]);

  if (host != NULL && *host == '\0')
    return usage_error (NULL, "--host needs a host: [USER@]HOST[:PORT]");
  if (machine != NULL && *machine == '\0')
    return usage_error (NULL, "--machine needs the NAME of a container");

  if (system)
    *kind = CTL_BUS_SYSTEM;
  else if (session || user)
    *kind = CTL_BUS_SESSION;
  else if (*address != NULL)
    *kind = CTL_BUS_ADDRESS;
  else if (host != NULL)
    *kind = CTL_BUS_REMOTE;
  else if (machine != NULL)
    *kind = CTL_BUS_MACHINE;
  else
    *kind = CTL_BUS_DEFAULT;

  /* sd-bus says only "Connection refused" to an address it cannot parse. */
  if (*kind == CTL_BUS_ADDRESS && strchr (*address, ':') == NULL)
    return usage_error (NULL, "--address: “%s” is not a D-Bus address "
                        "(for instance unix:path=/run/bgservice/bus)", *address);

  if (!ctl_bus_name_is_valid (*bus_name))
    return usage_error (NULL, "--bus-name: “%s” is not a valid D-Bus bus name "
                        "(for instance " BGS_BUS_NAME ")", *bus_name);

  if (*kind == CTL_BUS_REMOTE)
    *address = host;
  else if (*kind == CTL_BUS_MACHINE)
    *address = machine;

  return CTL_EXIT_SUCCESS;
}

/* Connects and runs @command; prints what stopped it early, if anything. */
static CtlExit
run_command (const Command           *command,
             CtlBusKind               kind,
             const char              *address,
             const char              *bus_name,
             const CtlCommandOptions *options)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (CtlBus) bus = NULL;
  CtlExit status;

  bus = ctl_bus_connect (kind, address, bus_name, &error);
  if (bus == NULL)
    {
      ctl_output_print_error ("%s", error->message);
      return CTL_EXIT_FAILURE;
    }

  status = command->run (bus, options, &error);
  if (g_error_matches (error, CTL_ERROR, CTL_ERROR_INTERRUPTED))
    {
      fflush (stdout);
      ctl_output_print_error ("%s%s%s", error->message,
                              command->interrupted != NULL ? "; " : "",
                              command->interrupted != NULL ? command->interrupted : "");
      return CTL_EXIT_FAILURE;
    }
  if (error != NULL)
    {
      ctl_output_print_error ("%s", error->message);
      return ctl_exit_worse (status, ctl_exit_from_error (error));
    }

  return status;
}

/* Refuses @option, which @command does not take (it lacks @flag). */
static CtlExit
option_not_taken (const Command *command,
                  const char    *option,
                  CommandFlags   flag)
{
  g_autofree char *takers = commands_taking (flag);

  return usage_error (command->name, "%s applies to %s, not to %s",
                      option, takers, command->name);
}

/* The property names of every --property given before and after the
 * command, each maybe a comma-separated list, empty names left out; NULL
 * when there was none. */
static char **
merge_properties (char * const *before,
                  char * const *after)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  char * const *lists[] = { before, after };

  if (before == NULL && after == NULL)
    return NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (lists); i++)
    for (guint j = 0; lists[i] != NULL && lists[i][j] != NULL; j++)
      {
        g_auto (GStrv) names = g_strsplit (lists[i][j], ",", -1);

        for (guint k = 0; names[k] != NULL; k++)
          if (names[k][0] != '\0')
            g_strv_builder_add (builder, names[k]);
      }

  return g_strv_builder_end (builder);
}

/* Checks that --output names an output mode; sets @mode. */
static CtlExit
check_output_mode (const Command *command,
                   const char    *output,
                   CtlOutputMode *mode)
{
  const char *nearest;
  g_autofree char *modes = NULL;

  if (output == NULL || ctl_output_mode_from_string (output, mode))
    return CTL_EXIT_SUCCESS;

  nearest = ctl_suggest_nearest (output, ctl_output_mode_names);
  if (nearest != NULL)
    return usage_error (command->name, "--output: unknown mode “%s”; did you mean “%s”?",
                        output, nearest);

  modes = g_strjoinv (", ", (char **) ctl_output_mode_names);
  return usage_error (command->name, "--output: unknown mode “%s” (the modes: %s)",
                      output, modes);
}

/*
 * Checks the options given before (@before) and after (@after) @command,
 * and @names, against what the command takes, and fills @options: after
 * the command overrides before it, --property lists add up (kept in
 * @properties).
 */
static CtlExit
check_command_options (const Command         *command,
                       const CommandOptions  *before,
                       const CommandOptions  *after,
                       char                 **names,
                       char                ***properties,
                       CtlCommandOptions     *options)
{
  static const char * const no_names[] = { NULL };
  const char *output = after->output != NULL ? after->output : before->output;
  const char *message = after->message != NULL ? after->message : before->message;
  gboolean quiet = before->quiet || after->quiet;
  gboolean all = before->all || after->all;
  gboolean no_legend = before->no_legend || after->no_legend;
  CtlOutputMode mode = CTL_OUTPUT_PLAIN;
  CtlExit status;

  status = check_output_mode (command, output, &mode);
  if (status != CTL_EXIT_SUCCESS)
    return status;
  if (output != NULL && (command->flags & TAKES_OUTPUT) == 0)
    return option_not_taken (command, "--output", TAKES_OUTPUT);
  if (message != NULL && (command->flags & TAKES_MESSAGE) == 0)
    return option_not_taken (command, "--message", TAKES_MESSAGE);
  if (all && (command->flags & TAKES_ALL) == 0)
    return option_not_taken (command, "--all", TAKES_ALL);
  if ((before->properties != NULL || after->properties != NULL) &&
      (command->flags & TAKES_PROPERTY) == 0)
    return option_not_taken (command, "--property", TAKES_PROPERTY);
  if (quiet && mode != CTL_OUTPUT_PLAIN)
    return usage_error (command->name, "--quiet and --output=%s exclude each other", output);

  if (all && names != NULL)
    return usage_error (command->name, "%s --all takes no NAME (got “%s”)",
                        command->name, names[0]);
  if ((command->flags & TAKES_NAMES) != 0 && !all && names == NULL)
    return usage_error (command->name, "%s needs the NAME of at least one service%s",
                        command->name, (command->flags & TAKES_ALL) != 0 ? ", or --all" : "");
  if ((command->flags & TAKES_NAMES) == 0 && names != NULL)
    return usage_error (command->name, "%s takes no NAME (got “%s”)",
                        command->name, names[0]);
  if (message != NULL && !g_utf8_validate (message, -1, NULL))
    return usage_error (command->name, "--message is not valid UTF-8");

  *properties = merge_properties (before->properties, after->properties);
  options->names = names != NULL ? (const char * const *) names : no_names;
  options->message = message;
  options->output = mode;
  options->quiet = quiet;
  options->all = all;
  options->properties = (const char * const *) *properties;
  options->flags = CTL_OUTPUT_FLAGS_NONE;
  if (no_legend)
    options->flags |= CTL_OUTPUT_NO_LEGEND;
  if (mode == CTL_OUTPUT_PLAIN && ctl_output_colour_wanted ())
    options->flags |= CTL_OUTPUT_COLOUR;

  return CTL_EXIT_SUCCESS;
}

/* Parses what follows the command and runs it. */
static CtlExit
dispatch (const Command           *command,
          const ConnectionOptions *before,
          const CommandOptions    *before_options,
          int                      argc,
          char                   **argv)
{
  g_auto (ConnectionOptions) after = { 0, };
  g_auto (CommandOptions) after_options = { 0, };
  g_auto (GStrv) names = NULL;
  g_auto (GStrv) properties = NULL;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  const char *address, *bus_name;
  CtlBusKind kind = CTL_BUS_DEFAULT;
  CtlCommandOptions options = { 0, };
  CtlExit status;

  context = new_command_context (command, &after, &after_options, &names);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return option_error (context, command->name, argc, argv, error);

  status = check_connection (before, &after, &kind, &address, &bus_name);
  if (status != CTL_EXIT_SUCCESS)
    return status;

  status = check_command_options (command, before_options, &after_options, names,
                                  &properties, &options);
  if (status != CTL_EXIT_SUCCESS)
    return status;

  return run_command (command, kind, address, bus_name, &options);
}

static CtlExit
run (int    argc,
     char **argv)
{
  g_auto (ConnectionOptions) before = { 0, };
  g_auto (CommandOptions) before_options = { 0, };
  gboolean version = FALSE;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  const Command *command;

  context = new_main_context (&before, &before_options, &version);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return option_error (context, NULL, argc, argv, error);

  if (version)
    {
      printf ("bgservicectl %s\n", PACKAGE_VERSION);
      return CTL_EXIT_SUCCESS;
    }
  if (argc < 2)
    {
      g_autofree char *known = command_names ();

      return usage_error (NULL, "no COMMAND given (%s)", known);
    }

  if (strcmp (argv[1], "help") == 0)
    return run_help (context, argc, argv);

  command = find_command (argv[1]);
  if (command == NULL)
    return unknown_command_error (argv[1]);

  /* argv[1], the command, stands for the program name of the second parse. */
  return dispatch (command, &before, &before_options, argc - 1, argv + 1);
}

/* Flushes standard output; a failed write (a full disk, a closed pipe
 * that did not kill us) is an error, not a silent loss. */
static CtlExit
finish_output (CtlExit status)
{
  if (fflush (stdout) != 0 || ferror (stdout))
    {
      ctl_output_print_error ("cannot write the output: %s", g_strerror (errno));
      return CTL_EXIT_FAILURE;
    }

  return status;
}

int
main (int    argc,
      char **argv)
{
  CtlExit status;
  int signo;

  setlocale (LC_ALL, "");
  g_set_prgname ("bgservicectl");

  status = finish_output (run (argc, argv));

  /* Interrupted while waiting for the daemon: now that everything is
   * cleaned up, die of the signal, as the caller expects. */
  signo = ctl_bus_get_interrupting_signal ();
  if (signo != 0)
    {
      signal (signo, SIG_DFL);
      raise (signo);
    }

  return status;
}
