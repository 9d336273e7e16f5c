/* SPDX-License-Identifier: MIT */
/* ctl-commands.c: what each command asks the daemon, and what it prints.
 *
 * A command that takes names first resolves every name with
 * Manager.GetService (never building object paths itself), then makes one
 * call on each service found, all in one batch: `stop a b c` waits for the
 * three stops together, not one after the other (ctl-bus.c bounds how many
 * wait at a time). Output follows the order of the names on the command
 * line. `start --all` and `stop --all` call the manager instead (StartAll,
 * StopAll); `list` reads every service in one call,
 * ObjectManager.GetManagedObjects, and falls back to ListServices and one
 * Properties.GetAll a service when that call is refused.
 *
 * No state is printed that was not read: a service whose properties could
 * not all be read is reported on standard error (exit status 2) and left
 * out, and a daemon that does not answer ends the command with nothing
 * printed.
 *
 * Each command builds its whole output, plain (ctl-output.c) or JSON
 * (ctl-json.c), before printing it; --quiet drops it, except the errors
 * of tasks that stop, restart and wait report.
 */
#include "config.h"

#include <string.h>

#include "ctl-commands.h"
#include "ctl-json.h"
#include "ctl-output.h"
#include "ctl-sd-bus.h"
#include "ctl-wire.h"

#define DEFAULT_STOP_MESSAGE    "stopped with bgservicectl"
#define DEFAULT_RESTART_MESSAGE "restarted with bgservicectl"
#define DEFAULT_CANCEL_MESSAGE  "cancelled with bgservicectl"

/* Target: a service named on the command line, once GetService found it,
 * and the call of the current batch made on it. */
typedef struct
{
  const char *name;   /* as the user gave it */
  char       *path;   /* (owned) */
  CtlCall    *call;   /* (owned) (nullable) */
} Target;

static void
target_free (Target *self)
{
  if (self == NULL)
    return;

  g_free (self->path);
  g_clear_pointer (&self->call, ctl_call_free);
  g_free (self);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Target, target_free)

/* Runs the calls of a batch: the `call` of each target. */
static gboolean
call_targets (CtlBus     *bus,
              GPtrArray  *targets,
              GError    **error)
{
  g_autoptr (GPtrArray) calls = g_ptr_array_new ();

  for (guint i = 0; i < targets->len; i++)
    {
      Target *target = targets->pdata[i];

      g_ptr_array_add (calls, target->call);
    }

  return ctl_bus_call_all (bus, calls, error);
}

/*
 * The failure of a target's call: printed, and folded into @status; or,
 * when the daemon cannot be reached at all, returned in @error, and
 * FALSE: every other call would fail the same way.
 */
static gboolean
handle_failure (CtlBus      *bus,
                Target      *target,
                const char  *action,
                CtlExit     *status,
                GError     **error)
{
  g_autoptr (GError) failure = NULL;

  ctl_bus_explain_failure (bus, target->call, action, target->name, &failure);
  if (g_error_matches (failure, CTL_ERROR, CTL_ERROR_UNREACHABLE))
    {
      g_propagate_error (error, g_steal_pointer (&failure));
      return FALSE;
    }

  ctl_output_print_error ("%s", failure->message);
  *status = ctl_exit_worse (*status, ctl_exit_from_error (failure));
  return TRUE;
}

/* Builds a GetService call for each valid name. */
static gboolean
prepare_lookups (CtlBus              *bus,
                 const char * const  *names,
                 GPtrArray           *targets,
                 CtlExit             *status,
                 GError             **error)
{
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autoptr (Target) target = g_new0 (Target, 1);
      int r;

      /* D-Bus carries UTF-8 only; no service has another name. */
      if (!g_utf8_validate (names[i], -1, NULL))
        {
          ctl_output_print_error ("no such service: %s (not valid UTF-8)", names[i]);
          *status = ctl_exit_worse (*status, CTL_EXIT_NO_SUCH_SERVICE);
          continue;
        }

      target->name = names[i];
      target->call = ctl_call_new (bus, BGS_BUS_ROOT_PATH, BGS_BUS_MANAGER_INTERFACE,
                                   "GetService", CTL_CALL_TIMEOUT_DEFAULT, error);
      if (target->call == NULL)
        return FALSE;
      r = sd_bus_message_append (target->call->request, "s", target->name);
      if (r < 0)
        {
          g_set_error (error, CTL_ERROR, CTL_ERROR_FAILED,
                       "cannot ask for service “%s”: %s", target->name, g_strerror (-r));
          return FALSE;
        }
      g_ptr_array_add (targets, g_steal_pointer (&target));
    }

  return TRUE;
}

/*
 * Resolves @names into targets with their object paths. The names that
 * name no service are reported (exit status 4) and left out.
 */
static GPtrArray *
resolve_targets (CtlBus              *bus,
                 const char * const  *names,
                 CtlExit             *status,
                 GError             **error)
{
  g_autoptr (GPtrArray) targets = g_ptr_array_new_with_free_func ((GDestroyNotify) target_free);
  g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func ((GDestroyNotify) target_free);

  if (!prepare_lookups (bus, names, targets, status, error) ||
      !call_targets (bus, targets, error))
    return NULL;

  for (guint i = 0; i < targets->len; i++)
    {
      Target *target = targets->pdata[i];

      if (target->call->reply == NULL)
        {
          if (!handle_failure (bus, target, "look up", status, error))
            return NULL;
          continue;
        }

      if (!ctl_wire_read_path (target->call->reply, &target->path, error))
        return NULL;
      g_clear_pointer (&target->call, ctl_call_free);
      g_ptr_array_add (found, g_steal_pointer (&targets->pdata[i]));
    }

  return g_steal_pointer (&found);
}

/*
 * Gives each target a call of @member of @interface, with @argument as its
 * only argument unless %NULL, and makes them.
 */
static gboolean
call_on_targets (CtlBus      *bus,
                 GPtrArray   *targets,
                 const char  *interface,
                 const char  *member,
                 const char  *argument,
                 guint64      timeout_usec,
                 GError     **error)
{
  for (guint i = 0; i < targets->len; i++)
    {
      Target *target = targets->pdata[i];
      int r = 0;

      target->call = ctl_call_new (bus, target->path, interface, member, timeout_usec, error);
      if (target->call == NULL)
        return FALSE;
      if (argument != NULL)
        r = sd_bus_message_append (target->call->request, "s", argument);
      if (r < 0)
        {
          g_set_error (error, CTL_ERROR, CTL_ERROR_FAILED,
                       "cannot pass “%s” to %s: %s", argument, member, g_strerror (-r));
          return FALSE;
        }
    }

  return call_targets (bus, targets, error);
}

/* A Properties.GetAll call for the org.bgservice1.Service properties of
 * the object at @path, the service @name. */
static CtlCall *
new_get_all_call (CtlBus      *bus,
                  const char  *path,
                  const char  *name,
                  GError     **error)
{
  g_autoptr (CtlCall) call = NULL;
  int r;

  call = ctl_call_new (bus, path, CTL_WIRE_PROPERTIES, "GetAll", CTL_CALL_TIMEOUT_DEFAULT, error);
  if (call == NULL)
    return NULL;
  r = sd_bus_message_append (call->request, "s", BGS_BUS_SERVICE_INTERFACE);
  if (r < 0)
    {
      g_set_error (error, CTL_ERROR, CTL_ERROR_FAILED,
                   "cannot ask for the properties of “%s”: %s", name, g_strerror (-r));
      return NULL;
    }

  return g_steal_pointer (&call);
}

/*
 * Calls @member of the manager, with @argument as its only argument
 * unless %NULL; @action says what it does, for messages. Returns the call
 * with its reply, or %NULL with the failure explained in @error.
 */
static CtlCall *
call_manager (CtlBus      *bus,
              const char  *member,
              const char  *argument,
              guint64      timeout_usec,
              const char  *action,
              GError     **error)
{
  g_autoptr (CtlCall) call = NULL;
  g_autoptr (GPtrArray) batch = g_ptr_array_new ();
  int r = 0;

  call = ctl_call_new (bus, BGS_BUS_ROOT_PATH, BGS_BUS_MANAGER_INTERFACE, member,
                       timeout_usec, error);
  if (call == NULL)
    return NULL;
  if (argument != NULL)
    r = sd_bus_message_append (call->request, "s", argument);
  if (r < 0)
    {
      g_set_error (error, CTL_ERROR, CTL_ERROR_FAILED,
                   "cannot pass “%s” to %s: %s", argument, member, g_strerror (-r));
      return NULL;
    }
  g_ptr_array_add (batch, call);
  if (!ctl_bus_call_all (bus, batch, error))
    return NULL;
  if (call->reply == NULL)
    {
      ctl_bus_explain_failure (bus, call, action, NULL, error);
      return NULL;
    }

  return g_steal_pointer (&call);
}

/* ListServices: the name, path, and running or not, of every service. */
static GPtrArray *
list_services (CtlBus  *bus,
               GError **error)
{
  g_autoptr (CtlCall) list_call = NULL;
  GPtrArray *services = NULL;

  list_call = call_manager (bus, "ListServices", NULL, CTL_CALL_TIMEOUT_DEFAULT,
                            "list the services", error);
  if (list_call == NULL)
    return NULL;
  if (!ctl_wire_read_services (list_call->reply, &services, error))
    return NULL;

  return services;
}

/* Prints @out, unless --quiet. */
static void
print_output (const CtlCommandOptions *options,
              GString                 *out)
{
  if (!options->quiet)
    ctl_output_print (out);
}

/*
 * Leaves out of @services, with a message and exit status 2, each service
 * whose properties were not all read: what is printed of a service is what
 * the daemon said, never a default.
 */
static void
keep_fully_read (GPtrArray *services,
                 CtlExit   *status)
{
  for (guint i = 0; i < services->len;)
    {
      g_autoptr (GError) failure = NULL;

      if (ctl_service_info_check_read (services->pdata[i], &failure))
        {
          i++;
          continue;
        }
      ctl_output_print_error ("%s", failure->message);
      *status = ctl_exit_worse (*status, CTL_EXIT_FAILURE);
      g_ptr_array_remove_index (services, i);
    }
}

/*
 * The failure of a call that read the properties of @info: printed and
 * folded into @status, or, when the daemon cannot be reached, returned in
 * @error (FALSE). A service that went away since ListServices found it is
 * left out silently (*@gone set): it is no more.
 */
static gboolean
handle_read_failure (CtlBus          *bus,
                     const CtlCall   *call,
                     CtlServiceInfo  *info,
                     gboolean        *gone,
                     CtlExit         *status,
                     GError         **error)
{
  g_autoptr (GError) failure = NULL;

  ctl_bus_explain_failure (bus, call, "get the state of", info->name, &failure);
  *gone = g_error_matches (failure, CTL_ERROR, CTL_ERROR_NO_SUCH_SERVICE);
  if (*gone)
    return TRUE;
  if (g_error_matches (failure, CTL_ERROR, CTL_ERROR_UNREACHABLE))
    {
      g_propagate_error (error, g_steal_pointer (&failure));
      return FALSE;
    }

  ctl_output_print_error ("%s", failure->message);
  *status = ctl_exit_worse (*status, CTL_EXIT_FAILURE);
  return TRUE;
}

/*
 * Reads all the properties of each service of @services (from
 * ListServices), one GetAll a service, all in one batch. Returns the
 * services whose properties were read; the others are reported, as
 * handle_read_failure() says.
 */
static GPtrArray *
read_all_properties (CtlBus     *bus,
                     GPtrArray  *services,
                     CtlExit    *status,
                     GError    **error)
{
  g_autoptr (GPtrArray) calls = g_ptr_array_new_with_free_func ((GDestroyNotify) ctl_call_free);
  g_autoptr (GPtrArray) read = g_ptr_array_new_with_free_func ((GDestroyNotify) ctl_service_info_free);

  for (guint i = 0; i < services->len; i++)
    {
      CtlServiceInfo *info = services->pdata[i];
      CtlCall *call = new_get_all_call (bus, info->path, info->name, error);

      if (call == NULL)
        return NULL;
      g_ptr_array_add (calls, call);
    }
  if (!ctl_bus_call_all (bus, calls, error))
    return NULL;

  for (guint i = 0; i < services->len; i++)
    {
      CtlCall *call = calls->pdata[i];
      gboolean gone = FALSE;

      if (call->reply == NULL)
        {
          if (!handle_read_failure (bus, call, services->pdata[i], &gone, status, error))
            return NULL;
          continue;
        }
      if (!ctl_wire_read_service_properties (call->reply, services->pdata[i], error))
        return NULL;
      g_ptr_array_add (read, g_steal_pointer (&services->pdata[i]));
    }

  return g_steal_pointer (&read);
}

/*
 * Every service with all its properties, sorted by name: one
 * GetManagedObjects; when the daemon or the bus refuses it (a bgserviced
 * without ObjectManager, a bus policy that does not allow it, a reply too
 * big for the daemon to make), ListServices and a GetAll a service.
 */
static GPtrArray *
read_every_service (CtlBus   *bus,
                    CtlExit  *status,
                    GError  **error)
{
  g_autoptr (CtlCall) call = NULL;
  g_autoptr (GPtrArray) batch = g_ptr_array_new ();
  g_autoptr (GPtrArray) listed = NULL;
  GPtrArray *services = NULL;

  call = ctl_call_new (bus, BGS_BUS_ROOT_PATH, CTL_WIRE_OBJECT_MANAGER, "GetManagedObjects",
                       CTL_CALL_TIMEOUT_DEFAULT, error);
  if (call == NULL)
    return NULL;
  g_ptr_array_add (batch, call);
  if (!ctl_bus_call_all (bus, batch, error))
    return NULL;

  if (call->reply != NULL)
    return ctl_wire_read_managed_objects (call->reply, &services, error) ? services : NULL;

  if (!ctl_bus_failure_concerns_call (bus, call))
    {
      ctl_bus_explain_failure (bus, call, "list the services", NULL, error);
      return NULL;
    }

  g_debug ("GetManagedObjects failed (%s: %s); reading the services one by one",
           call->error.name, call->error.message);
  listed = list_services (bus, error);
  if (listed == NULL)
    return NULL;

  return read_all_properties (bus, listed, status, error);
}

/* list: every service with its state, tasks and restarts. */
CtlExit
ctl_command_list (CtlBus                   *bus,
                  const CtlCommandOptions  *options,
                  GError                  **error)
{
  CtlExit status = CTL_EXIT_SUCCESS;
  g_autoptr (GPtrArray) services = NULL;
  g_autoptr (GString) out = g_string_new (NULL);
  gboolean table = ctl_output_is_terminal ();

  services = read_every_service (bus, &status, error);
  if (services == NULL)
    return CTL_EXIT_FAILURE;
  keep_fully_read (services, &status);

  if (options->output != CTL_OUTPUT_PLAIN)
    ctl_json_format_services (out, services, options->output);
  else
    ctl_output_format_services (out, services, table,
                                table ? ctl_output_terminal_columns () : 0, options->flags);
  print_output (options, out);

  return status;
}

/*
 * The properties of each named service, as CtlServiceInfo, in the order
 * of @names; names that name no service, and services that cannot tell,
 * are reported (@action says what was tried) and left out. show prints
 * the properties read; the other commands keep_fully_read().
 */
static GPtrArray *
get_named_services (CtlBus              *bus,
                    const char * const  *names,
                    const char          *action,
                    CtlExit             *status,
                    GError             **error)
{
  g_autoptr (GPtrArray) targets = NULL;
  g_autoptr (GPtrArray) services = g_ptr_array_new_with_free_func ((GDestroyNotify) ctl_service_info_free);

  targets = resolve_targets (bus, names, status, error);
  if (targets == NULL ||
      !call_on_targets (bus, targets, CTL_WIRE_PROPERTIES, "GetAll",
                        BGS_BUS_SERVICE_INTERFACE, CTL_CALL_TIMEOUT_DEFAULT, error))
    return NULL;

  for (guint i = 0; i < targets->len; i++)
    {
      Target *target = targets->pdata[i];
      g_autoptr (CtlServiceInfo) info = ctl_service_info_new ();

      if (target->call->reply == NULL)
        {
          if (!handle_failure (bus, target, action, status, error))
            return NULL;
          continue;
        }
      if (!ctl_wire_read_service_properties (target->call->reply, info, error))
        return NULL;
      if (info->name == NULL)
        info->name = g_strdup (target->name);
      info->path = g_strdup (target->path);
      g_ptr_array_add (services, g_steal_pointer (&info));
    }

  return g_steal_pointer (&services);
}

/* status: every property of each service; 3 when one does not run. */
CtlExit
ctl_command_status (CtlBus                   *bus,
                    const CtlCommandOptions  *options,
                    GError                  **error)
{
  CtlExit status = CTL_EXIT_SUCCESS;
  g_autoptr (GPtrArray) services = NULL;
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (GTimeZone) zone = g_time_zone_new_local ();
  gint64 now_usec;

  services = get_named_services (bus, options->names, "get the status of", &status, error);
  if (services == NULL)
    return CTL_EXIT_FAILURE;
  keep_fully_read (services, &status);

  /* Now, after the replies: no state can have been entered later. */
  now_usec = g_get_real_time ();

  for (guint i = 0; i < services->len; i++)
    {
      const CtlServiceInfo *info = services->pdata[i];

      if (options->output == CTL_OUTPUT_PLAIN)
        {
          if (out->len > 0)
            g_string_append_c (out, '\n');
          ctl_output_format_status (out, info, now_usec, zone, options->flags);
        }
      /* IsRunning: a restarting service runs; a failed one does not. */
      if (!info->is_running)
        status = ctl_exit_worse (status, CTL_EXIT_NOT_RUNNING);
    }
  if (options->output != CTL_OUTPUT_PLAIN)
    ctl_json_format_status (out, services, options->output);

  print_output (options, out);

  return status;
}

/* show: the properties of each service, as KEY=VALUE lines, a blank line
 * between services; or as JSON. */
CtlExit
ctl_command_show (CtlBus                   *bus,
                  const CtlCommandOptions  *options,
                  GError                  **error)
{
  CtlExit status = CTL_EXIT_SUCCESS;
  g_autoptr (GPtrArray) services = NULL;
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (GTimeZone) zone = g_time_zone_new_local ();

  services = get_named_services (bus, options->names, "get the properties of", &status, error);
  if (services == NULL)
    return CTL_EXIT_FAILURE;

  if (options->output != CTL_OUTPUT_PLAIN)
    ctl_json_format_show (out, services, options->properties, zone, options->output);
  else
    for (guint i = 0; i < services->len; i++)
      {
        if (i > 0)
          g_string_append_c (out, '\n');
        ctl_output_format_show (out, services->pdata[i], options->properties, zone);
      }

  print_output (options, out);

  return status;
}

/* is-failed: the state of each service; 0 when every one failed, else 1. */
CtlExit
ctl_command_is_failed (CtlBus                   *bus,
                       const CtlCommandOptions  *options,
                       GError                  **error)
{
  CtlExit status = CTL_EXIT_SUCCESS;
  g_autoptr (GPtrArray) services = NULL;
  g_autoptr (GString) out = g_string_new (NULL);

  services = get_named_services (bus, options->names, "get the state of", &status, error);
  if (services == NULL)
    return CTL_EXIT_FAILURE;
  keep_fully_read (services, &status);

  for (guint i = 0; i < services->len; i++)
    {
      const char *state = ctl_service_info_get_state (services->pdata[i]);

      ctl_output_format_state (out, state);
      if (strcmp (state, BGS_BUS_STATE_FAILED) != 0)
        status = ctl_exit_worse (status, CTL_EXIT_NOT_FAILED);
    }

  print_output (options, out);

  return status;
}

/* is-active: the state of each service; 0 when a run of every one is under
 * way (IsRunning: running, stopping or restarting), else 3. */
CtlExit
ctl_command_is_active (CtlBus                   *bus,
                       const CtlCommandOptions  *options,
                       GError                  **error)
{
  CtlExit status = CTL_EXIT_SUCCESS;
  g_autoptr (GPtrArray) services = NULL;
  g_autoptr (GString) out = g_string_new (NULL);

  services = get_named_services (bus, options->names, "get the state of", &status, error);
  if (services == NULL)
    return CTL_EXIT_FAILURE;
  keep_fully_read (services, &status);

  for (guint i = 0; i < services->len; i++)
    {
      const CtlServiceInfo *info = services->pdata[i];

      ctl_output_format_state (out, ctl_service_info_get_state (info));
      if (!info->is_running)
        status = ctl_exit_worse (status, CTL_EXIT_NOT_ACTIVE);
    }

  print_output (options, out);

  return status;
}

/*
 * start, cancel and reset-failed: @member, a method without reply values,
 * with @argument as its only argument unless %NULL, on each service;
 * prints nothing when all went well. @action says what it does, for
 * messages.
 */
static CtlExit
run_plain_method (CtlBus              *bus,
                  const char * const  *names,
                  const char          *member,
                  const char          *argument,
                  const char          *action,
                  GError             **error)
{
  CtlExit status = CTL_EXIT_SUCCESS;
  g_autoptr (GPtrArray) targets = NULL;

  targets = resolve_targets (bus, names, &status, error);
  if (targets == NULL ||
      !call_on_targets (bus, targets, BGS_BUS_SERVICE_INTERFACE, member,
                        argument, CTL_CALL_TIMEOUT_DEFAULT, error))
    return CTL_EXIT_FAILURE;

  for (guint i = 0; i < targets->len; i++)
    {
      Target *target = targets->pdata[i];

      if (target->call->reply == NULL &&
          !handle_failure (bus, target, action, &status, error))
        return CTL_EXIT_FAILURE;
    }

  return status;
}

/* start: Start on each service; with --all, StartAll. */
CtlExit
ctl_command_start (CtlBus                   *bus,
                   const CtlCommandOptions  *options,
                   GError                  **error)
{
  g_autoptr (CtlCall) call = NULL;

  if (!options->all)
    return run_plain_method (bus, options->names, "Start", NULL, "start", error);

  call = call_manager (bus, "StartAll", NULL, CTL_CALL_TIMEOUT_DEFAULT,
                       "start every service", error);

  return call != NULL ? CTL_EXIT_SUCCESS : CTL_EXIT_FAILURE;
}

/* cancel: Cancel on each service, which replies at once. */
CtlExit
ctl_command_cancel (CtlBus                   *bus,
                    const CtlCommandOptions  *options,
                    GError                  **error)
{
  return run_plain_method (bus, options->names, "Cancel",
                           options->message != NULL ? options->message : DEFAULT_CANCEL_MESSAGE,
                           "cancel", error);
}

/* reset-failed: ResetFailed on each service. */
CtlExit
ctl_command_reset_failed (CtlBus                   *bus,
                          const CtlCommandOptions  *options,
                          GError                  **error)
{
  return run_plain_method (bus, options->names, "ResetFailed", NULL,
                           "reset the failed state of", error);
}

/*
 * Prints the failures of @reports (element-type CtlServiceErrors), plain
 * or JSON: the errors of tasks, printed even with --quiet (which does not
 * go with JSON). Returns 1 when a report lists any failure, else 0.
 */
static CtlExit
print_service_errors (const CtlCommandOptions *options,
                      GPtrArray               *reports)
{
  g_autoptr (GString) out = g_string_new (NULL);
  CtlExit status = CTL_EXIT_SUCCESS;

  for (guint i = 0; i < reports->len; i++)
    {
      const CtlServiceErrors *report = reports->pdata[i];

      if (options->output == CTL_OUTPUT_PLAIN)
        ctl_output_format_task_errors (out, report->service, report->errors);
      if (report->errors->len > 0)
        status = CTL_EXIT_TASKS_FAILED;
    }
  if (options->output != CTL_OUTPUT_PLAIN)
    ctl_json_format_service_errors (out, reports, options->output);

  ctl_output_print (out);

  return status;
}

/*
 * stop, restart and wait: a method that replies with the failures of a
 * run once it has ended, which may take long: no timeout. Exit 1 when a
 * reply lists any failure.
 */
static CtlExit
run_task_errors_method (CtlBus                   *bus,
                        const CtlCommandOptions  *options,
                        const char               *member,
                        const char               *message,
                        const char               *action,
                        GError                  **error)
{
  CtlExit status = CTL_EXIT_SUCCESS;
  g_autoptr (GPtrArray) targets = NULL;
  g_autoptr (GPtrArray) reports = g_ptr_array_new_with_free_func ((GDestroyNotify) ctl_service_errors_free);
  g_autoptr (GError) unreachable = NULL;

  targets = resolve_targets (bus, options->names, &status, error);
  if (targets == NULL ||
      !call_on_targets (bus, targets, BGS_BUS_SERVICE_INTERFACE, member,
                        message, CTL_CALL_TIMEOUT_NONE, error))
    return CTL_EXIT_FAILURE;

  for (guint i = 0; i < targets->len; i++)
    {
      Target *target = targets->pdata[i];
      g_autoptr (GPtrArray) task_errors = NULL;

      /* The failures of the calls the daemon answered are printed even
       * when it went away before answering the others (whose failure is
       * told once, at the end). */
      if (target->call->reply == NULL)
        {
          if (unreachable == NULL)
            handle_failure (bus, target, action, &status, &unreachable);
          continue;
        }
      if (!ctl_wire_read_task_errors (target->call->reply, &task_errors, error))
        return CTL_EXIT_FAILURE;
      g_ptr_array_add (reports, ctl_service_errors_new (target->name,
                                                        g_steal_pointer (&task_errors)));
    }

  status = ctl_exit_worse (status, print_service_errors (options, reports));

  if (unreachable != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&unreachable));
      return CTL_EXIT_FAILURE;
    }

  return status;
}

/* stop --all: StopAll; prints the failures of the runs it ended, by
 * service. */
static CtlExit
stop_all (CtlBus                   *bus,
          const CtlCommandOptions  *options,
          GError                  **error)
{
  g_autoptr (CtlCall) call = NULL;
  g_autoptr (GPtrArray) entries = NULL;
  g_autoptr (GPtrArray) reports = NULL;

  call = call_manager (bus, "StopAll",
                       options->message != NULL ? options->message : DEFAULT_STOP_MESSAGE,
                       CTL_CALL_TIMEOUT_NONE, "stop every service", error);
  if (call == NULL || !ctl_wire_read_task_errors (call->reply, &entries, error))
    return CTL_EXIT_FAILURE;

  reports = ctl_wire_split_by_service (entries);

  return print_service_errors (options, reports);
}

/* stop: Stop on each service; prints the failures of the runs it ended.
 * With --all, StopAll. */
CtlExit
ctl_command_stop (CtlBus                   *bus,
                  const CtlCommandOptions  *options,
                  GError                  **error)
{
  if (options->all)
    return stop_all (bus, options, error);

  return run_task_errors_method (bus, options, "Stop",
                                 options->message != NULL ? options->message : DEFAULT_STOP_MESSAGE,
                                 "stop", error);
}

/* restart: Restart on each service; prints the failures of the runs it ended. */
CtlExit
ctl_command_restart (CtlBus                   *bus,
                     const CtlCommandOptions  *options,
                     GError                  **error)
{
  return run_task_errors_method (bus, options, "Restart",
                                 options->message != NULL ? options->message : DEFAULT_RESTART_MESSAGE,
                                 "restart", error);
}

/* wait: Wait on each service; prints the failures of the runs it waited for
 * (or of the last runs, for services that do not run). */
CtlExit
ctl_command_wait (CtlBus                   *bus,
                  const CtlCommandOptions  *options,
                  GError                  **error)
{
  return run_task_errors_method (bus, options, "Wait", NULL, "wait for", error);
}
