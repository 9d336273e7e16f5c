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
 * describes stop. Everything else is dispatched to ctl-commands.c.
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

/* Command: a command of bgservicectl and its documentation. */
typedef struct
{
  const char     *name;
  const char     *arguments;     /* after the name in the usage line */
  gboolean        needs_names;   /* at least one NAME; else none */
  gboolean        takes_message; /* --message */
  const char     *summary;       /* for COMMAND --help */
  const char     *exit_status;   /* for COMMAND --help */
  const char     *interrupted;   /* (nullable) what goes on after Ctrl-C */
  CtlCommandFunc  run;
} Command;

static const Command commands[] = {
  {
    "list", "", FALSE, FALSE,
    "List the services of bgserviced, running or not, with their state\n"
    "(running, stopping, restarting, stopped or failed), their number of\n"
    "tasks and how many times they were restarted automatically since they\n"
    "were last started by hand.\n"
    "\n"
    "On a terminal: a header, aligned columns and a count. In a pipe: one\n"
    "line a service, NAME, STATE, TASKS and RESTARTS separated by tabs, no\n"
    "header.",
    "  0  the list was printed\n"
    "  2  bgserviced could not be reached",
    NULL,
    ctl_command_list,
  },
  {
    "status", "NAME…", TRUE, FALSE,
    "Show each named service, one block a service: its state and since\n"
    "when, its automatic restarts and restart policy, its number of tasks,\n"
    "and the errors of its last run (restarts included), one a line.\n"
    "A restarting service runs; a failed or stopped one does not.",
    "  0  every named service is running\n"
    "  2  bgserviced could not be reached\n"
    "  3  a named service is not running\n"
    "  4  no such service",
    NULL,
    ctl_command_status,
  },
  {
    "start", "NAME…", TRUE, FALSE,
    "Start the named services. Starting a running service does nothing.\n"
    "Prints nothing on success.",
    "  0  started\n"
    "  2  not allowed, or bgserviced could not be reached\n"
    "  4  no such service",
    NULL,
    ctl_command_start,
  },
  {
    "stop", "[--message=MSG] NAME…", TRUE, TRUE,
    "Stop the named services: cancel their tasks and any pending restart\n"
    "(with MSG as the reason) and wait until every task has ended, all\n"
    "services at once. Each failure of the run a stop ended is printed on\n"
    "its own line:\n"
    "  NAME: TASK: MESSAGE (DOMAIN CODE)\n"
    "Stopping a service that does not run does nothing and prints nothing\n"
    "(status and wait show the errors of its last run). This can take as\n"
    "long as the tasks take to end; Ctrl-C stops waiting, not stopping.",
    "  0  stopped, no task failed\n"
    "  1  a task failed (its errors are printed)\n"
    "  2  not allowed, or bgserviced could not be reached\n"
    "  4  no such service",
    "bgserviced goes on stopping the services",
    ctl_command_stop,
  },
  {
    "restart", "[--message=MSG] NAME…", TRUE, TRUE,
    "Restart the named services: stop them as stop does, then start them.\n"
    "The errors of the stop are printed as stop prints them.",
    "  0  restarted, no task failed while stopping\n"
    "  1  a task failed (its errors are printed)\n"
    "  2  not allowed, or bgserviced could not be reached\n"
    "  4  no such service",
    "bgserviced goes on restarting the services",
    ctl_command_restart,
  },
  {
    "wait", "NAME…", TRUE, FALSE,
    "Wait until the current run of each named service has ended (its\n"
    "automatic restarts included), then print every failure of that run as\n"
    "stop does. A service that does not run answers at once with the\n"
    "failures of its last run: waiting for a failed service exits 1.\n"
    "Waiting changes nothing and is open to every user.",
    "  0  the runs ended, none with a failure\n"
    "  1  a task failed (its errors are printed)\n"
    "  2  bgserviced could not be reached\n"
    "  4  no such service",
    NULL,
    ctl_command_wait,
  },
  {
    "is-failed", "NAME…", TRUE, FALSE,
    "Print the state of each named service, one a line, in the order\n"
    "given; tell by the exit status whether every one of them failed (its\n"
    "last run ended with failures and no restart follows). A NAME that\n"
    "names no service gets no line: it is reported on standard error, and\n"
    "the exit status is 4.",
    "  0  every named service failed\n"
    "  1  a named service has not failed\n"
    "  2  bgserviced could not be reached\n"
    "  4  no such service",
    NULL,
    ctl_command_is_failed,
  },
  {
    "reset-failed", "NAME…", TRUE, FALSE,
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
  "  start NAME…                Start services\n"
  "  stop [--message=MSG] NAME…\n"
  "                             Stop services and print the errors of their tasks\n"
  "  restart NAME…              Stop, then start services\n"
  "  wait NAME…                 Wait until the runs of services end; print their errors\n"
  "  is-failed NAME…            Print the states; exit 0 if every service failed\n"
  "  reset-failed NAME…         Make failed services stopped\n"
  "  help [COMMAND]             Show this help, or the help of COMMAND\n"
  "\n"
  "“bgservicectl COMMAND --help” tells more about COMMAND.";

static const char main_description[] =
  "The daemon is found on the system bus when bgservicectl runs as root,\n"
  "else on the session bus, under the bus name org.bgservice1. Changing\n"
  "services (start, stop, restart, reset-failed) takes root or a user or\n"
  "group that the daemon's configuration names in ControlUsers= or\n"
  "ControlGroups=; reading (list, status, wait, is-failed) is open to\n"
  "everyone.\n"
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
  "\n"
  "Exit status:\n"
  "  0  success\n"
  "  1  a task failed; its errors are printed, one a line (is-failed: a\n"
  "     named service has not failed)\n"
  "  2  usage error, bgserviced could not be reached, or it refused\n"
  "  3  status: a named service is not running\n"
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

static GOptionContext *
new_main_context (ConnectionOptions *connection,
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
  g_option_context_add_main_entries (context, entries, NULL);

  return context;
}

static GOptionContext *
new_command_context (const Command      *command,
                     ConnectionOptions  *connection,
                     char              **message,
                     char             ***names)
{
  g_autofree char *usage = g_strjoin (*command->arguments != '\0' ? " " : "",
                                      command->name, command->arguments, NULL);
  g_autofree char *description = g_strdup_printf ("Exit status:\n%s", command->exit_status);
  GOptionContext *context = g_option_context_new (usage);
  const GOptionEntry message_entries[] = {
    { "message", 'm', 0, G_OPTION_ARG_FILENAME, message,
      "Why the services stop, passed to their tasks' cancellation", "MSG" },
    G_OPTION_ENTRY_NULL
  };
  const GOptionEntry name_entries[] = {
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, names, NULL, NULL },
    G_OPTION_ENTRY_NULL
  };

  g_option_context_set_summary (context, command->summary);
  g_option_context_set_description (context, description);
  if (command->takes_message)
    g_option_context_add_main_entries (context, message_entries, NULL);
  add_connection_entries (context, connection);
  g_option_context_add_main_entries (context, name_entries, NULL);

  return context;
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
  g_autofree char *message = NULL;
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
    return usage_error (NULL, "unknown command “%s”", argv[2]);

  context = new_command_context (command, &connection, &message, &names);
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
run_command (const Command      *command,
             CtlBusKind          kind,
             const char         *address,
             const char         *bus_name,
             const char * const *names,
             const char         *message)
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

  status = command->run (bus, names, message, &error);
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

/* Parses what follows the command and runs it. */
static CtlExit
dispatch (const Command           *command,
          const ConnectionOptions *before,
          int                      argc,
          char                   **argv)
{
  g_auto (ConnectionOptions) after = { 0, };
  g_autofree char *message = NULL;
  g_auto (GStrv) names = NULL;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  const char *address, *bus_name;
  const char * const no_names[] = { NULL };
  CtlBusKind kind = CTL_BUS_DEFAULT;
  CtlExit status;

  context = new_command_context (command, &after, &message, &names);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return usage_error (command->name, "%s", error->message);

  status = check_connection (before, &after, &kind, &address, &bus_name);
  if (status != CTL_EXIT_SUCCESS)
    return status;

  if (command->needs_names && names == NULL)
    return usage_error (command->name, "%s needs the NAME of at least one service",
                        command->name);
  if (!command->needs_names && names != NULL)
    return usage_error (command->name, "%s takes no NAME (got “%s”)",
                        command->name, names[0]);
  if (message != NULL && !g_utf8_validate (message, -1, NULL))
    return usage_error (command->name, "--message is not valid UTF-8");

  return run_command (command, kind, address, bus_name,
                      names != NULL ? (const char * const *) names : no_names,
                      message);
}

static CtlExit
run (int    argc,
     char **argv)
{
  g_auto (ConnectionOptions) before = { 0, };
  gboolean version = FALSE;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  const Command *command;

  context = new_main_context (&before, &version);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return usage_error (NULL, "%s", error->message);

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
    {
      g_autofree char *known = command_names ();

      return usage_error (NULL, "unknown command “%s” (the commands: %s, help)",
                          argv[1], known);
    }

  /* argv[1], the command, stands for the program name of the second parse. */
  return dispatch (command, &before, argc - 1, argv + 1);
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
