/* SPDX-License-Identifier: MIT */
/* bgsd-daemon.c: the running daemon.
 *
 * BgsdDaemon puts a configuration to work: a BgsManager holding one
 * service per [Service] group, exported on D-Bus by a BgsBus under the
 * configured name, with systemd told at each step. SIGTERM and SIGINT stop
 * every service and end the loop; SIGHUP reloads the configuration,
 * applying added, removed and changed services.
 */
#include "config.h"

#include <signal.h>

#include <glib-unix.h>

#include "bgsd-daemon.h"
#include "bgsd-notify.h"
#include "bgsd-services.h"

typedef struct
{
  const BgsdDaemonOptions *options;
  GMainLoop               *loop;
  BgsManager              *manager;
  BgsBus                  *bus;
  BgsdConfig              *config;
  char                    *owned_name;
  int                      exit_status;
  gboolean                 stopping;
  gboolean                 reloading;
  guint                    replacing;  /* services a reload is still stopping */
} BgsdDaemon;

#define DEFAULT_CONFIG_PATH SYSCONFDIR "/bgservice/bgserviced.conf"

/* ---- status ---------------------------------------------------------- */

static void
update_status (BgsdDaemon *daemon)
{
  g_autoptr(GPtrArray) services = bgs_manager_list (daemon->manager);
  g_autofree char *status = NULL;
  guint running = 0;
  guint failed = 0;

  for (guint i = 0; i < services->len; i++)
    {
      running += bgs_service_is_running (services->pdata[i]);
      failed += bgs_service_get_state (services->pdata[i]) == BGS_SERVICE_STATE_FAILED;
    }

  if (daemon->stopping)
    status = g_strdup_printf ("Stopping: %u of %u services still running", running, services->len);
  else
    status = g_strdup_printf ("%u services, %u running, %u failed", services->len, running, failed);
  bgsd_notify_status (status);
}

static gboolean
cancel_late_start (gpointer user_data)
{
  BgsService *service = user_data;

  bgs_service_cancel (service, "the daemon is stopping");
  return G_SOURCE_REMOVE;
}

static void
on_member_state_changed (BgsService *service,
                         GParamSpec *pspec,
                         BgsdDaemon *daemon)
{
  update_status (daemon);

  /* Started while the daemon stops, by a call that came meanwhile (Start,
   * StartAll, Restart): cancelled too, once its start is over (a cancel
   * leaves alone the tasks created after it), so that the stop ends. */
  if (daemon->stopping && bgs_service_get_state (service) == BGS_SERVICE_STATE_RUNNING)
    g_idle_add_full (G_PRIORITY_DEFAULT, cancel_late_start, g_object_ref (service),
                     g_object_unref);
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
  g_signal_connect (service, "notify::state", G_CALLBACK (on_member_state_changed), daemon);
  g_signal_connect (service, "task-failed", G_CALLBACK (on_task_failed), daemon);
  update_status (daemon);
}

static void
on_member_removed (BgsManager *manager,
                   BgsService *service,
                   BgsdDaemon *daemon)
{
  g_signal_handlers_disconnect_by_data (service, daemon);
  update_status (daemon);
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

/* ---- services -------------------------------------------------------- */

static gboolean
add_service (BgsdDaemon               *daemon,
             const BgsdServiceConfig  *service_config,
             gboolean                  start,
             GError                  **error)
{
  g_autoptr(BgsService) service = bgsd_service_create (daemon->config, service_config, error);

  if (service == NULL || !bgs_manager_add (daemon->manager, service, error))
    return FALSE;

  if (start && service_config->auto_start)
    bgs_service_start (service);
  return TRUE;
}

static gboolean
add_services (BgsdDaemon  *daemon,
              GError     **error)
{
  for (guint i = 0; i < daemon->config->services->len; i++)
    if (!add_service (daemon, daemon->config->services->pdata[i], FALSE, error))
      return FALSE;

  return TRUE;
}

static void
start_auto_services (BgsdDaemon *daemon)
{
  for (guint i = 0; i < daemon->config->services->len; i++)
    {
      const BgsdServiceConfig *config = daemon->config->services->pdata[i];

      if (config->auto_start)
        bgs_service_start (bgs_manager_lookup (daemon->manager, config->name));
    }
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

static void on_all_stopped (GObject      *source,
                            GAsyncResult *result,
                            gpointer      user_data);

/*
 * Every service stopped, and what the stop left to do at default priority
 * is done: the bus has announced the last states and answered the calls
 * waiting for the runs the stop ended (Wait, Stop, Restart, StopAll). A
 * Restart answered then started its service again: that is stopped too.
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
  g_autoptr(GPtrArray) services = NULL;

  if (bgs_service_is_running (BGS_SERVICE (daemon->manager)))
    {
      bgs_service_stop_async (BGS_SERVICE (daemon->manager), "the daemon is stopping", NULL,
                              on_all_stopped, daemon);
      return G_SOURCE_REMOVE;
    }

  services = bgs_manager_list (daemon->manager);
  for (guint i = 0; i < services->len; i++)
    if (log_last_failures (services->pdata[i]))
      daemon->exit_status = BGSD_EXIT_TASKS_FAILED;

  g_message ("Every service stopped; exiting with status %d", daemon->exit_status);
  g_main_loop_quit (daemon->loop);
  return G_SOURCE_REMOVE;
}

static void
on_all_stopped (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  bgs_service_stop_finish (BGS_SERVICE (source), result, NULL);
  g_idle_add_full (G_PRIORITY_LOW, finish_stopping, user_data, NULL);
}

static void
stop_daemon (BgsdDaemon *daemon,
             const char *why)
{
  if (daemon->stopping)
    return;

  g_message ("Stopping every service: %s", why);
  daemon->stopping = TRUE;
  bgsd_notify_stopping ();
  update_status (daemon);
  bgs_service_stop_async (BGS_SERVICE (daemon->manager), why, NULL, on_all_stopped, daemon);
}

static gboolean
on_terminate (gpointer user_data)
{
  stop_daemon (user_data, "the daemon was asked to stop");
  return G_SOURCE_CONTINUE;
}

static void
on_bus_closed (BgsBus     *bus,
               BgsdDaemon *daemon)
{
  /* Without the bus nobody can control the services: systemd restarts us. */
  daemon->exit_status = BGSD_EXIT_FAILURE;
  stop_daemon (daemon, "the D-Bus connection was lost");
}

/* ---- reloading ------------------------------------------------------- */

static void
finish_reload (BgsdDaemon *daemon)
{
  if (daemon->replacing > 0)
    return;

  daemon->reloading = FALSE;
  g_message ("Configuration reloaded from %s", daemon->config->origin);
  update_status (daemon);

  /* Stopping began during the reload: systemd was told STOPPING=1 already. */
  if (!daemon->stopping)
    bgsd_notify_ready ();
}

/* ReplaceOp: a service a reload stops, then removes or replaces. */
typedef struct
{
  BgsdDaemon        *daemon;
  char              *name;
  BgsdServiceConfig *replacement;  /* (unowned, in daemon->config) (nullable) */
} ReplaceOp;

static void
on_replaced_service_stopped (GObject      *source,
                             GAsyncResult *result,
                             gpointer      user_data)
{
  ReplaceOp *op = user_data;
  BgsdDaemon *daemon = op->daemon;
  g_autoptr(GError) error = NULL;

  if (!bgs_service_stop_finish (BGS_SERVICE (source), result, &error))
    g_warning ("Stopping %s for the reload: %s", op->name, error->message);

  bgs_manager_remove (daemon->manager, op->name, NULL);
  g_clear_error (&error);
  /* When the daemon began stopping meanwhile, the replacement is added but
   * not started: the stop under way would never end otherwise. */
  if (op->replacement != NULL && !add_service (daemon, op->replacement, !daemon->stopping, &error))
    g_warning ("%s is not running after the reload: %s", op->name, error->message);
  else if (op->replacement == NULL)
    g_message ("Removed service %s", op->name);
  else
    g_message ("Restarted service %s with its new settings", op->name);

  g_free (op->name);
  g_free (op);
  daemon->replacing--;
  finish_reload (daemon);
}

static void
replace_service (BgsdDaemon        *daemon,
                 const char        *name,
                 BgsdServiceConfig *replacement)
{
  BgsService *service = bgs_manager_lookup (daemon->manager, name);
  g_autoptr(GError) error = NULL;
  ReplaceOp *op;

  /* A service an earlier reload could not re-create is not running: the
   * change is an addition. */
  if (service == NULL)
    {
      if (replacement != NULL && !add_service (daemon, replacement, TRUE, &error))
        g_warning ("%s is not running after the reload: %s", name, error->message);
      return;
    }

  op = g_new0 (ReplaceOp, 1);
  op->daemon = daemon;
  op->name = g_strdup (name);
  op->replacement = replacement;
  daemon->replacing++;
  bgs_service_stop_async (service, "configuration reloaded", NULL, on_replaced_service_stopped, op);
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

  daemon->replacing++;  /* until every operation below is under way */
  for (guint i = 0; i < old->services->len; i++)
    {
      const BgsdServiceConfig *before = old->services->pdata[i];
      const BgsdServiceConfig *after = bgsd_config_lookup (config, before->name);

      if (after == NULL || !g_str_equal (after->fingerprint, before->fingerprint))
        replace_service (daemon, before->name, (BgsdServiceConfig *) after);
    }

  for (guint i = 0; i < config->services->len; i++)
    {
      const BgsdServiceConfig *after = config->services->pdata[i];

      g_clear_error (&error);
      if (bgsd_config_lookup (old, after->name) == NULL)
        {
          if (add_service (daemon, after, TRUE, &error))
            g_message ("Added service %s", after->name);
          else
            g_warning ("Cannot add service %s: %s", after->name, error->message);
        }
    }

  daemon->replacing--;
  finish_reload (daemon);
}

static gboolean
on_reload (gpointer user_data)
{
  BgsdDaemon *daemon = user_data;
  g_autoptr(GError) error = NULL;
  BgsdConfig *config;

  if (daemon->stopping || daemon->reloading)
    {
      g_message ("Ignoring SIGHUP: %s", daemon->stopping ? "stopping" : "a reload is under way");
      return G_SOURCE_CONTINUE;
    }

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
      return G_SOURCE_CONTINUE;
    }

  apply_config (daemon, config);
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
  g_signal_connect (daemon->manager, "service-added", G_CALLBACK (on_member_added), daemon);
  g_signal_connect (daemon->manager, "service-removed", G_CALLBACK (on_member_removed), daemon);

  if (!add_services (daemon, &error))
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

  start_auto_services (daemon);
  update_status (daemon);
  bgsd_notify_ready ();
  bgsd_notify_start_watchdog ();
  g_message ("bgserviced %s ready with %u services from %s", PACKAGE_VERSION,
             daemon->config->services->len, daemon->config->origin);
  return BGSD_EXIT_OK;
}

/* Runs @config (taken) until a signal stops the daemon; returns the exit
 * status. */
int
bgsd_daemon_run (const BgsdDaemonOptions *options,
                 BgsdConfig              *config)
{
  BgsdDaemon daemon = { .options = options, .config = config };
  guint signal_sources[3];
  int status;

  daemon.loop = g_main_loop_new (NULL, FALSE);
  /* Before connecting and starting anything, so that a signal during
   * start-up is handled once the loop runs, not fatal. */
  signal_sources[0] = g_unix_signal_add (SIGTERM, on_terminate, &daemon);
  signal_sources[1] = g_unix_signal_add (SIGINT, on_terminate, &daemon);
  signal_sources[2] = g_unix_signal_add (SIGHUP, on_reload, &daemon);

  status = start_daemon (&daemon);
  if (status == BGSD_EXIT_OK)
    {
      g_main_loop_run (daemon.loop);
      status = daemon.exit_status;
    }

  /* Removing the sources gives the signals back their default action,
   * which for SIGHUP is to die: a reload asked for while the daemon winds
   * down must not turn a clean exit into a kill. */
  for (guint i = 0; i < G_N_ELEMENTS (signal_sources); i++)
    g_source_remove (signal_sources[i]);
  signal (SIGHUP, SIG_IGN);
  daemon_clear (&daemon);
  return status;
}
