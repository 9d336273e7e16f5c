/* SPDX-License-Identifier: MIT */
/* bgsd-daemon.c: the running daemon.
 *
 * BgsdDaemon puts a configuration to work: a BgsManager holding one
 * service per [Service] group, exported on D-Bus by a BgsBus under the
 * configured name, with systemd told at each step. SIGTERM and SIGINT stop
 * every service and end the loop, and a second one kills what still runs;
 * SIGHUP reloads the configuration, and one during a reload asks for one
 * more reload after it. Which services exist and may run is decided by
 * the BgsdAuthority (bgsd-authority.c).
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>

#include <glib-unix.h>

#include "bgsd-authority.h"
#include "bgsd-daemon.h"
#include "bgsd-notify.h"
#include "bgsd-services.h"
#include "bgsd-spawn.h"
#include "bgsd-status.h"

typedef struct
{
  const BgsdDaemonOptions *options;
  GMainLoop               *loop;
  BgsManager              *manager;
  BgsdAuthority           *authority;
  BgsdStatus              *status;          /* STATUS=, counted as services change */
  BgsBus                  *bus;
  BgsdConfig              *config;
  char                    *owned_name;
  int                      exit_status;
  gboolean                 reloading;
  gboolean                 reload_again;    /* a SIGHUP came during the reload */
  guint                    reload_source;   /* the reload asked for meanwhile */
  guint                    finish_source;   /* every service stopped: exit */
  guint                    give_up_source;  /* killed: the last wait */
} BgsdDaemon;

#define DEFAULT_CONFIG_PATH SYSCONFDIR "/bgservice/bgserviced.conf"

/* Once every command was killed, how long the daemon still waits for the
 * work that no signal ends (a module's thread that ignores cancellation). */
#define KILL_PATIENCE_MS 1000

static gboolean
is_stopping (BgsdDaemon *daemon)
{
  return bgsd_authority_get_phase (daemon->authority) != BGSD_PHASE_SERVING;
}

static void
on_task_failed (BgsService   *service,
                GTask        *task,
                const GError *error,
                BgsdDaemon   *daemon)
{
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING,
                    "BGS_SERVICE", bgs_service_get_name (service),
                    "BGS_TASK", g_task_get_name (task),
                    "MESSAGE", "%s: task %s failed: %s", bgs_service_get_name (service),
                    g_task_get_name (task), error->message);
}

static void
on_member_added (BgsManager *manager,
                 BgsService *service,
                 BgsdDaemon *daemon)
{
  g_signal_connect (service, "task-failed", G_CALLBACK (on_task_failed), daemon);
  bgsd_status_add (daemon->status, service);
}

static void
on_member_removed (BgsManager *manager,
                   BgsService *service,
                   BgsdDaemon *daemon)
{
  g_signal_handlers_disconnect_by_data (service, daemon);
  bgsd_status_remove (daemon->status, service);
}

/* Logs each failure of the last run of @service, one line per task;
 * returns whether there was one. */
static gboolean
log_last_failures (BgsService *service)
{
  g_autoptr(GPtrArray) failures = bgs_service_get_last_failures (service);

  for (guint i = 0; i < failures->len; i++)
    {
      const BgsFailure *failure = failures->pdata[i];
      const char *task = bgs_failure_get_task (failure) != NULL ? bgs_failure_get_task (failure) : "";

      g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING,
                        "BGS_SERVICE", bgs_failure_get_service (failure),
                        "BGS_TASK", task,
                        "MESSAGE", "%s: task %s had failed: %s (%s %d)",
                        bgs_failure_get_service (failure), task, bgs_failure_get_message (failure),
                        bgs_failure_get_domain (failure), bgs_failure_get_code (failure));
    }

  return failures->len > 0;
}

/* ---- the bus ----------------------------------------------------------- */

static void
on_bus_closed (BgsBus     *bus,
               BgsdDaemon *daemon);

static gboolean
connect_bus (BgsdDaemon  *daemon,
             GError     **error)
{
  switch (daemon->options->bus_kind)
    {
    case BGSD_BUS_SYSTEM:
      daemon->bus = bgs_bus_new_system (daemon->manager, error);
      break;
    case BGSD_BUS_SESSION:
      daemon->bus = bgs_bus_new_session (daemon->manager, error);
      break;
    case BGSD_BUS_ADDRESS:
      daemon->bus = bgs_bus_new_for_address (daemon->manager, daemon->options->bus_address, error);
      break;
    }

  if (daemon->bus == NULL)
    return FALSE;

  g_signal_connect (daemon->bus, "closed", G_CALLBACK (on_bus_closed), daemon);
  return TRUE;
}

static void
apply_access (BgsdDaemon *daemon)
{
  bgs_bus_clear_allowed (daemon->bus);
  for (guint i = 0; i < daemon->config->control_uids->len; i++)
    bgs_bus_allow_uid (daemon->bus, g_array_index (daemon->config->control_uids, guint32, i));
  for (guint i = 0; i < daemon->config->control_gids->len; i++)
    bgs_bus_allow_gid (daemon->bus, g_array_index (daemon->config->control_gids, guint32, i));
  bgs_bus_set_max_pending_calls (daemon->bus, daemon->config->max_pending_calls_per_caller,
                                 daemon->config->max_pending_calls);
}

static const char *
wanted_bus_name (BgsdDaemon *daemon)
{
  if (daemon->options->bus_name != NULL)
    return daemon->options->bus_name;
  if (daemon->config->bus_name != NULL)
    return daemon->config->bus_name;
  return BGS_BUS_NAME;
}

/* Owns the wanted name; a name owned before is released once the new one
 * is held. */
static gboolean
claim_bus_name (BgsdDaemon  *daemon,
                GError     **error)
{
  const char *wanted = wanted_bus_name (daemon);
  g_autoptr(GError) local = NULL;

  if (g_strcmp0 (wanted, daemon->owned_name) == 0)
    return TRUE;

  if (!bgs_bus_request_name (daemon->bus, wanted, error))
    return FALSE;

  if (daemon->owned_name != NULL && !bgs_bus_release_name (daemon->bus, daemon->owned_name, &local))
    g_warning ("%s", local->message);

  g_free (daemon->owned_name);
  daemon->owned_name = g_strdup (wanted);
  g_message ("Serving %s as %s on the bus", BGS_BUS_ROOT_PATH, wanted);
  return TRUE;
}

/* ---- stopping -------------------------------------------------------- */

/*
 * Every service stopped, and what the stop left to do at default priority
 * is done: the bus has announced the last states and answered the calls
 * waiting for the runs the stop ended (Wait, Stop, Restart, StopAll).
 *
 * The daemon leaves failed work behind when the last run of a service had
 * failures: the run the stop ended, or an earlier one that left the
 * service failed and nobody reset. Those are logged, and make the exit
 * status 1.
 */
static gboolean
finish_stopping (gpointer user_data)
{
  BgsdDaemon *daemon = user_data;
  g_autoptr(GPtrArray) services = bgs_manager_list (daemon->manager);

  daemon->finish_source = 0;
  for (guint i = 0; i < services->len; i++)
    if (log_last_failures (services->pdata[i]))
      daemon->exit_status = BGSD_EXIT_TASKS_FAILED;

  bgsd_status_flush (daemon->status);
  g_message ("Every service stopped; exiting with status %d", daemon->exit_status);
  g_main_loop_quit (daemon->loop);
  return G_SOURCE_REMOVE;
}

static void
on_all_stopped (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  BgsdDaemon *daemon = user_data;

  bgs_service_stop_finish (BGS_SERVICE (source), result, NULL);
  daemon->finish_source = g_idle_add_full (G_PRIORITY_LOW, finish_stopping, daemon, NULL);
}

/* The shutdown: from now on calls that would change a service fail, and
 * every service stops. */
static void
stop_daemon (BgsdDaemon *daemon,
             const char *why)
{
  g_message ("Stopping every service: %s", why);
  bgsd_authority_shut_down (daemon->authority, daemon->bus, why, on_all_stopped, daemon);
  bgsd_status_set_stopping (daemon->status);
  bgsd_status_flush (daemon->status);
  bgsd_notify_stopping ();
}

/* Killed, yet some work has not ended: the daemon exits all the same. */
static gboolean
give_up (gpointer user_data)
{
  BgsdDaemon *daemon = user_data;

  daemon->give_up_source = 0;
  g_warning ("Some work did not end %d ms after SIGKILL; exiting all the same", KILL_PATIENCE_MS);
  g_main_loop_quit (daemon->loop);
  return G_SOURCE_REMOVE;
}

/*
 * Asked again to stop, while the services stop: the grace period is over.
 * The process group of every command gets SIGKILL, and the daemon exits as
 * soon as the runs have ended, with status 1: its stop was cut short.
 * When nothing ran any more, the exit under way is left as it is.
 */
static void
kill_daemon (BgsdDaemon *daemon)
{
  guint killed;

  if (bgsd_authority_get_phase (daemon->authority) == BGSD_PHASE_KILLING ||
      !bgs_service_is_running (BGS_SERVICE (daemon->manager)))
    return;

  killed = bgsd_authority_kill (daemon->authority);
  g_warning ("Asked again to stop: not waiting any longer; sent SIGKILL to %u process %s",
             killed, killed == 1 ? "group" : "groups");
  daemon->exit_status = BGSD_EXIT_KILLED;
  daemon->give_up_source = g_timeout_add (KILL_PATIENCE_MS, give_up, daemon);
}

static gboolean
on_terminate (gpointer user_data)
{
  BgsdDaemon *daemon = user_data;

  if (is_stopping (daemon))
    kill_daemon (daemon);
  else
    stop_daemon (daemon, "the daemon was asked to stop");
  return G_SOURCE_CONTINUE;
}

static void
on_bus_closed (BgsBus     *bus,
               BgsdDaemon *daemon)
{
  /* Without the bus nobody can control the services: systemd restarts us. */
  daemon->exit_status = BGSD_EXIT_FAILURE;
  if (!is_stopping (daemon))
    stop_daemon (daemon, "the D-Bus connection was lost");
}

/* ---- reloading ------------------------------------------------------- */

static gboolean reload_later (gpointer user_data);

/* Every service a reload replaces or removes has stopped (the authority
 * calls this): the reload is over, and one asked for meanwhile begins. */
static void
finish_reload (gpointer user_data)
{
  BgsdDaemon *daemon = user_data;

  if (!daemon->reloading)
    return;

  daemon->reloading = FALSE;
  /* Stopping began during the reload: systemd was told STOPPING=1 already. */
  if (is_stopping (daemon))
    {
      g_message ("The reload ends unfinished: the daemon stops");
      return;
    }

  g_message ("Configuration reloaded from %s", daemon->config->origin);
  bgsd_status_flush (daemon->status);
  bgsd_notify_ready ();

  if (daemon->reload_again)
    {
      daemon->reload_again = FALSE;
      daemon->reload_source = g_idle_add (reload_later, daemon);
    }
}

/* Applies @config in place of the current configuration. */
static void
apply_config (BgsdDaemon *daemon,
              BgsdConfig *config)
{
  g_autoptr(BgsdConfig) old = daemon->config;
  g_autoptr(GError) error = NULL;

  daemon->config = config;
  apply_access (daemon);
  if (!claim_bus_name (daemon, &error))
    g_warning ("Keeping the bus name %s: %s", daemon->owned_name, error->message);

  bgsd_authority_apply (daemon->authority, old, config);
}

/* Reads the configuration again and applies it; a bad one changes nothing. */
static void
reload (BgsdDaemon *daemon)
{
  g_autoptr(GError) error = NULL;
  BgsdConfig *config;

  g_message ("Reloading the configuration");
  daemon->reloading = TRUE;
  bgsd_notify_reloading ();

  config = bgsd_daemon_load_config (daemon->options->config_path, &error);
  if (config == NULL)
    {
      g_warning ("Reload failed, the previous configuration stays: %s", error->message);
      daemon->reloading = FALSE;
      bgsd_notify_status ("Reload failed; running the previous configuration");
      bgsd_notify_ready ();
      return;
    }

  apply_config (daemon, config);
}

/* The reload a SIGHUP asked for during the last one. */
static gboolean
reload_later (gpointer user_data)
{
  BgsdDaemon *daemon = user_data;

  daemon->reload_source = 0;
  if (!is_stopping (daemon))
    reload (daemon);
  return G_SOURCE_REMOVE;
}

/*
 * SIGHUP. During a reload, the file may have changed after it was read:
 * exactly one more reload follows, however many SIGHUPs came. While the
 * daemon stops, nothing is reloaded.
 */
static gboolean
on_sighup (gpointer user_data)
{
  BgsdDaemon *daemon = user_data;

  if (is_stopping (daemon))
    g_message ("Ignoring SIGHUP: the daemon stops");
  else if (daemon->reload_source != 0)
    g_debug ("SIGHUP: a reload is about to begin already");
  else if (daemon->reloading)
    {
      g_message ("SIGHUP during a reload: one more reload follows it%s",
                 daemon->reload_again ? " already" : "");
      daemon->reload_again = TRUE;
    }
  else
    reload (daemon);

  return G_SOURCE_CONTINUE;
}

/* ---- running --------------------------------------------------------- */

/*
 * Loads @config_path, or when it is NULL the default file, or when that
 * does not exist the built-in configuration. A module that cannot be
 * loaded or refuses its keys makes the configuration bad too, so that
 * --check-config says so and a reload keeps the running services.
 */
BgsdConfig *
bgsd_daemon_load_config (const char  *config_path,
                         GError     **error)
{
  g_autoptr(BgsdConfig) config = NULL;

  if (config_path != NULL)
    config = bgsd_config_load_file (config_path, error);
  else if (g_file_test (DEFAULT_CONFIG_PATH, G_FILE_TEST_EXISTS))
    config = bgsd_config_load_file (DEFAULT_CONFIG_PATH, error);
  else
    config = bgsd_config_load_default (error);

  if (config == NULL || !bgsd_services_check (config, error))
    return NULL;

  return g_steal_pointer (&config);
}

static void
daemon_clear (BgsdDaemon *daemon)
{
  g_clear_handle_id (&daemon->reload_source, g_source_remove);
  g_clear_handle_id (&daemon->finish_source, g_source_remove);
  g_clear_handle_id (&daemon->give_up_source, g_source_remove);
  g_clear_pointer (&daemon->authority, bgsd_authority_free);
  g_clear_pointer (&daemon->status, bgsd_status_free);
  if (daemon->manager != NULL)
    {
      g_autoptr(GPtrArray) services = bgs_manager_list (daemon->manager);

      for (guint i = 0; i < services->len; i++)
        g_signal_handlers_disconnect_by_data (services->pdata[i], daemon);
      g_signal_handlers_disconnect_by_data (daemon->manager, daemon);
    }
  if (daemon->bus != NULL)
    g_signal_handlers_disconnect_by_data (daemon->bus, daemon);

  g_clear_object (&daemon->bus);
  g_clear_object (&daemon->manager);
  g_clear_pointer (&daemon->config, bgsd_config_free);
  g_clear_pointer (&daemon->loop, g_main_loop_unref);
  g_clear_pointer (&daemon->owned_name, g_free);
}

/* Builds the services, owns the name, starts the auto-start services and
 * tells systemd; returns BGSD_EXIT_OK, or the status to exit with. */
static int
start_daemon (BgsdDaemon *daemon)
{
  g_autoptr(GError) error = NULL;

  daemon->manager = bgs_manager_new ("bgserviced");
  daemon->status = bgsd_status_new ();
  g_signal_connect (daemon->manager, "service-added", G_CALLBACK (on_member_added), daemon);
  g_signal_connect (daemon->manager, "service-removed", G_CALLBACK (on_member_removed), daemon);
  daemon->authority = bgsd_authority_new (daemon->manager, finish_reload, daemon);

  if (!bgsd_authority_add_all (daemon->authority, daemon->config, &error))
    {
      g_printerr ("bgserviced: %s\n", error->message);
      return BGSD_EXIT_CONFIG;
    }

  if (!connect_bus (daemon, &error) || !claim_bus_name (daemon, &error))
    {
      g_printerr ("bgserviced: %s\n", error->message);
      return BGSD_EXIT_FAILURE;
    }
  apply_access (daemon);

  bgsd_authority_start_auto (daemon->authority);
  bgsd_status_flush (daemon->status);
  bgsd_notify_ready ();
  bgsd_notify_start_watchdog ();
  g_message ("bgserviced %s ready with %u services from %s", PACKAGE_VERSION,
             daemon->config->services->len, daemon->config->origin);
  return BGSD_EXIT_OK;
}

/* Handles @signal_number with @handler in the main loop; the commands
 * still get it at its default action. */
static guint
catch_signal (int          signal_number,
              GSourceFunc  handler,
              BgsdDaemon  *daemon)
{
  bgsd_spawn_default_signal (signal_number);
  return g_unix_signal_add (signal_number, handler, daemon);
}

/* The signals the daemon handles in its main loop while it runs. */
static const struct
{
  int         number;
  GSourceFunc handler;
} caught_signals[] = {
  { SIGTERM, on_terminate },
  { SIGINT, on_terminate },
  { SIGHUP, on_sighup },
};

/*
 * The daemon winds down: the signals it caught are ignored from now on.
 * Removing their sources (@signal_sources) gives them back their default
 * action, which is to die: one that comes late (a third of three sent
 * together, a reload asked for meanwhile) must not turn the exit status
 * into a kill. Blocked until they are ignored, so none finds the default
 * action in between; one pending then is dropped.
 */
static void
ignore_signals_from_now (const guint *signal_sources)
{
  sigset_t blocked;

  sigemptyset (&blocked);
  for (guint i = 0; i < G_N_ELEMENTS (caught_signals); i++)
    sigaddset (&blocked, caught_signals[i].number);
  pthread_sigmask (SIG_BLOCK, &blocked, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (caught_signals); i++)
    {
      g_source_remove (signal_sources[i]);
      signal (caught_signals[i].number, SIG_IGN);
    }
  pthread_sigmask (SIG_UNBLOCK, &blocked, NULL);
}

/* Runs @config (taken) until a signal stops the daemon; returns the exit
 * status. */
int
bgsd_daemon_run (const BgsdDaemonOptions *options,
                 BgsdConfig              *config)
{
  BgsdDaemon daemon = { .options = options, .config = config };
  guint signal_sources[G_N_ELEMENTS (caught_signals)];
  int status;

  daemon.loop = g_main_loop_new (NULL, FALSE);
  /* Before connecting and starting anything, so that a signal during
   * start-up is handled once the loop runs, not fatal. */
  for (guint i = 0; i < G_N_ELEMENTS (caught_signals); i++)
    signal_sources[i] = catch_signal (caught_signals[i].number, caught_signals[i].handler,
                                      &daemon);

  status = start_daemon (&daemon);
  if (status == BGSD_EXIT_OK)
    {
      g_main_loop_run (daemon.loop);
      status = daemon.exit_status;
    }

  ignore_signals_from_now (signal_sources);
  daemon_clear (&daemon);
  return status;
}
