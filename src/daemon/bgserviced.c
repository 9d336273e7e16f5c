/* SPDX-License-Identifier: MIT */
/* bgserviced.c: the command line of the daemon. */
#include "config.h"

#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bgsd-daemon.h"
#include "bgsd-guardian.h"
#include "bgsd-spawn.h"
#include "bgsd-stderr.h"

/* How long command output still queued at exit may take to reach stderr. */
#define STDERR_EXIT_TIMEOUT_MS 1000

/* What the command line asked for. */
typedef struct
{
  gboolean  system;
  gboolean  session;
  char     *address;
  char     *config;
  char     *bus_name;
  gboolean  check_config;
  gboolean  version;
  gboolean  verbose;
} Arguments;

static void
arguments_clear (Arguments *args)
{
  g_free (args->address);
  g_free (args->config);
  g_free (args->bus_name);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Arguments, arguments_clear)

static gboolean
parse_arguments (int        *argc,
                 char     ***argv,
                 Arguments  *args,
                 GError    **error)
{
  GOptionEntry entries[] = {
    { "system", 0, 0, G_OPTION_ARG_NONE, &args->system,
      "Use the system bus (the default when run as root)", NULL },
    { "session", 0, 0, G_OPTION_ARG_NONE, &args->session,
      "Use the session bus (the default otherwise)", NULL },
    { "address", 0, 0, G_OPTION_ARG_STRING, &args->address,
      "Use the bus at ADDRESS, such as unix:path=/run/bus", "ADDRESS" },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &args->config,
      "Read the configuration from FILE (default: " SYSCONFDIR "/bgservice/bgserviced.conf, "
      "or the built-in one when that does not exist)", "FILE" },
    { "bus-name", 0, 0, G_OPTION_ARG_STRING, &args->bus_name,
      "Own NAME on the bus instead of BusName= (default: " BGS_BUS_NAME ")", "NAME" },
    { "check-config", 0, 0, G_OPTION_ARG_NONE, &args->check_config,
      "Only read and check the configuration, then exit", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &args->version, "Print the version and exit", NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &args->verbose, "Log debugging messages too", NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- host background services on D-Bus");

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context,
    "Runs the services of a configuration file and lets busctl and bgservicectl\n"
    "control them over D-Bus (" BGS_BUS_NAME ", object " BGS_BUS_ROOT_PATH ").");
  g_option_context_set_description (context,
    "Signals: SIGTERM or SIGINT stop every service and exit; SIGHUP reloads the\n"
    "configuration.\n"
    "\n"
    "Exit status: 0 every service stopped cleanly; 1 a task failed, or the bus\n"
    "was lost; 2 usage error; 78 bad configuration (the message names the file,\n"
    "the group and the key).\n"
    "\n"
    "Example: bgserviced --session --config=./bgserviced.conf --verbose");

  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;

  if (*argc > 1)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION,
                   "Unexpected argument “%s”; bgserviced takes only options", (*argv)[1]);
      return FALSE;
    }

  if (args->system + args->session + (args->address != NULL) > 1)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           "--system, --session and --address choose the bus: give one at most");
      return FALSE;
    }

  if (args->bus_name != NULL && (!g_dbus_is_name (args->bus_name) || g_dbus_is_unique_name (args->bus_name)))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--bus-name: “%s” is not a well-known D-Bus name (like org.example.Name)",
                   args->bus_name);
      return FALSE;
    }

  return TRUE;
}

static BgsdBusKind
choose_bus (const Arguments *args)
{
  if (args->address != NULL)
    return BGSD_BUS_ADDRESS;
  if (args->system)
    return BGSD_BUS_SYSTEM;
  if (args->session)
    return BGSD_BUS_SESSION;
  return geteuid () == 0 ? BGSD_BUS_SYSTEM : BGSD_BUS_SESSION;
}

int
main (int   argc,
      char *argv[])
{
  g_auto(Arguments) args = { 0 };
  g_autoptr(GError) error = NULL;
  BgsdDaemonOptions options = { 0 };
  BgsdConfig *config;
  int status;

  /* bgserviced started again by itself, to guard its commands. */
  if (argc == 2 && strcmp (argv[1], BGSD_GUARDIAN_ARG) == 0)
    return bgsd_guardian_main ();

  setlocale (LC_ALL, "");
  /* A reload asked for while the configuration and modules load must not
   * kill the daemon; the handler of SIGHUP comes with the main loop. */
  signal (SIGHUP, SIG_IGN);

  if (!parse_arguments (&argc, &argv, &args, &error))
    {
      g_printerr ("bgserviced: %s\nTry “bgserviced --help”.\n", error->message);
      return BGSD_EXIT_USAGE;
    }

  if (args.version)
    {
      g_print ("bgserviced %s\n", PACKAGE_VERSION);
      return BGSD_EXIT_OK;
    }

  if (args.verbose)
    g_log_set_debug_enabled (TRUE);

  config = bgsd_daemon_load_config (args.config, &error);
  if (config == NULL)
    {
      g_printerr ("bgserviced: %s\n", error->message);
      return BGSD_EXIT_CONFIG;
    }

  if (args.check_config)
    {
      g_print ("%s: OK, %u services\n", config->origin, config->services->len);
      bgsd_config_free (config);
      return BGSD_EXIT_OK;
    }

  options.bus_kind = choose_bus (&args);
  options.bus_address = args.address;
  options.bus_name = args.bus_name;
  options.config_path = args.config;

  bgsd_spawn_init ();
  if (!bgsd_guardian_start (&error))
    {
      g_warning ("Commands will outlive a daemon that is killed: %s", error->message);
      g_clear_error (&error);
    }

  status = bgsd_daemon_run (&options, config);
  bgsd_guardian_stop ();
  bgsd_stderr_finish (STDERR_EXIT_TIMEOUT_MS);
  return status;
}
