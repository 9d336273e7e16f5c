/* SPDX-License-Identifier: MIT */
/* bgs-bus-service-iface.c: org.bgservice1.Service.
 *
 * One fallback vtable serves every service below
 * /org/bgservice1/service: find_service() decodes the label of the path
 * (sd_bus_path_encode() escaping) and looks the name up in a hash table,
 * and a node enumerator lists the children for introspection and
 * ObjectManager, only when asked about the prefix or a path above it.
 */
#include "config.h"

#include <stdlib.h>

#include "bgs-bus-private.h"

static BgsService *
service_of (void *userdata)
{
  return bgs_exported_service_get_service (userdata);
}

/* ---- properties ------------------------------------------------------ */

static int
get_name (sd_bus *bus, const char *path, const char *interface,
          const char *property, sd_bus_message *reply, void *userdata,
          sd_bus_error *error)
{
  return sd_bus_message_append (reply, "s", bgs_service_get_name (service_of (userdata)));
}

static int
get_is_running (sd_bus *bus, const char *path, const char *interface,
                const char *property, sd_bus_message *reply, void *userdata,
                sd_bus_error *error)
{
  return sd_bus_message_append (reply, "b", bgs_service_is_running (service_of (userdata)));
}

static int
get_n_tasks (sd_bus *bus, const char *path, const char *interface,
             const char *property, sd_bus_message *reply, void *userdata,
             sd_bus_error *error)
{
  return sd_bus_message_append (reply, "u", bgs_service_get_n_tasks (service_of (userdata)));
}

static int
get_last_errors (sd_bus *bus, const char *path, const char *interface,
                 const char *property, sd_bus_message *reply, void *userdata,
                 sd_bus_error *error)
{
  g_autoptr(GError) last = bgs_service_dup_last_error (service_of (userdata));

  return bgs_bus_append_error_list (reply, last, FALSE);
}

/* The nick of @value in @enum_type: the wire's word for it. */
static const char *
enum_nick (GType enum_type,
           int   value)
{
  g_autoptr(GEnumClass) values = g_type_class_ref (enum_type);

  return g_enum_get_value (values, value)->value_nick;
}

static int
get_state (sd_bus *bus, const char *path, const char *interface,
           const char *property, sd_bus_message *reply, void *userdata,
           sd_bus_error *error)
{
  return sd_bus_message_append (reply, "s", enum_nick (BGS_TYPE_SERVICE_STATE,
                                                       bgs_service_get_state (service_of (userdata))));
}

static int
get_state_timestamp (sd_bus *bus, const char *path, const char *interface,
                     const char *property, sd_bus_message *reply, void *userdata,
                     sd_bus_error *error)
{
  return sd_bus_message_append (reply, "t",
                                (guint64) bgs_service_get_state_timestamp (service_of (userdata)));
}

static int
get_n_restarts (sd_bus *bus, const char *path, const char *interface,
                const char *property, sd_bus_message *reply, void *userdata,
                sd_bus_error *error)
{
  return sd_bus_message_append (reply, "u", bgs_service_get_n_restarts (service_of (userdata)));
}

static int
get_restart (sd_bus *bus, const char *path, const char *interface,
             const char *property, sd_bus_message *reply, void *userdata,
             sd_bus_error *error)
{
  return sd_bus_message_append (reply, "s", enum_nick (BGS_TYPE_RESTART_MODE,
                                                       bgs_service_get_restart (service_of (userdata))));
}

/* ---- methods --------------------------------------------------------- */

static BgsBus *
bus_of (void *userdata)
{
  return bgs_exported_service_get_bus (userdata);
}

static int
method_start (sd_bus_message *call, void *userdata, sd_bus_error *error)
{
  if (!bgs_bus_authorize (bus_of (userdata), call, error))
    return -EACCES;

  bgs_service_start (service_of (userdata));
  return bgs_bus_reply_empty (bus_of (userdata), call);
}

static int
method_cancel (sd_bus_message *call, void *userdata, sd_bus_error *error)
{
  const char *message;
  int r;

  if (!bgs_bus_authorize (bus_of (userdata), call, error))
    return -EACCES;
  r = sd_bus_message_read (call, "s", &message);
  if (r < 0)
    return r;

  bgs_service_cancel (service_of (userdata), message);
  return bgs_bus_reply_empty (bus_of (userdata), call);
}

/* Answers a call that waited for the run to end with the run's failures. */
static void
reply_with_failures (BgsService   *service,
                     const GError *failures,
                     gpointer      user_data)
{
  bgs_pending_call_finish (user_data, failures);
}

/*
 * Restart, once the run it stopped has ended: starts the service that has
 * the name now, then answers with the stopped run's failures. The owner
 * may have replaced the service meanwhile (the new one starts) or removed
 * it (nothing starts: NoSuchService); once changes are refused, nothing
 * starts either (ShuttingDown).
 */
static void
start_and_reply (BgsService   *service,
                 const GError *failures,
                 gpointer      user_data)
{
  BgsPendingCall *pending = user_data;
  BgsBus *bus = bgs_pending_call_get_bus (pending);
  const char *name = bgs_service_get_name (service);
  BgsExportedService *now = g_hash_table_lookup (bus->exported, name);

  if (bus->refusal != NULL)
    bgs_pending_call_fail (pending, BGS_BUS_ERROR_SHUTTING_DOWN,
                           "%s; “%s” was stopped and is not started again", bus->refusal, name);
  else if (now == NULL)
    bgs_pending_call_fail (pending, BGS_BUS_ERROR_NO_SUCH_SERVICE,
                           "“%s” was removed while it stopped; it is not started again", name);
  else
    {
      bgs_service_start (bgs_exported_service_get_service (now));
      bgs_pending_call_finish (pending, failures);
    }
}

/* Answers @call at once with the failures of no run, after announcing
 * what the call changed. */
static int
reply_no_failures (BgsBus         *bus,
                   sd_bus_message *call)
{
  bgs_bus_flush_changes (bus);
  return bgs_bus_reply_error_list (bus, call, NULL);
}

/*
 * Stop and Restart: authorized, then, when a run is under way, cancelled;
 * @on_ended answers once it has ended. With @droppable the wait is
 * forgotten if the caller leaves the bus first; else @on_ended still runs,
 * answering nobody. Returns 1 when the answer is on its way, 0 when no
 * run was under way (nothing was done), or a negative errno with @error
 * set.
 */
static int
stop_run (sd_bus_message *call,
          void           *userdata,
          sd_bus_error   *error,
          BgsRunEndFunc   on_ended,
          gboolean        droppable)
{
  BgsBus *bus = bus_of (userdata);
  BgsService *service = service_of (userdata);
  BgsPendingCall *pending;
  BgsRunWatch *watch;
  const char *message;
  int r;

  if (!bgs_bus_authorize (bus, call, error))
    return -EACCES;
  r = sd_bus_message_read (call, "s", &message);
  if (r < 0)
    return r;

  if (!bgs_bus_service_in_run (service))
    return 0;

  pending = bgs_pending_call_new (bus, call, BGS_CALLER_ALLOWED, error);
  if (pending == NULL)
    return -sd_bus_error_get_errno (error);

  /* Watched first: a cancel can end the run at once (a pending restart). */
  watch = bgs_bus_watch_run_end (bus, service, on_ended, pending,
                                 (GDestroyNotify) bgs_pending_call_free);
  if (droppable)
    bgs_pending_call_on_drop (pending, (GDestroyNotify) bgs_run_watch_cancel, watch);
  bgs_service_cancel (service, message);
  return 1;
}

static int
method_stop (sd_bus_message *call, void *userdata, sd_bus_error *error)
{
  int r = stop_run (call, userdata, error, reply_with_failures, TRUE);

  return r == 0 ? reply_no_failures (bus_of (userdata), call) : r;
}

/* Restart: a caller that leaves does not undo the start that follows. */
static int
method_restart (sd_bus_message *call, void *userdata, sd_bus_error *error)
{
  int r = stop_run (call, userdata, error, start_and_reply, FALSE);

  if (r != 0)
    return r;

  bgs_service_start (service_of (userdata));
  return reply_no_failures (bus_of (userdata), call);
}

/* Wait: the failures of the run under way once it ends, or at once those
 * of the last run. Open to everyone, since it changes nothing. */
static int
method_wait (sd_bus_message *call, void *userdata, sd_bus_error *error)
{
  BgsBus *bus = bus_of (userdata);
  BgsService *service = service_of (userdata);
  g_autoptr(GError) last = NULL;
  BgsPendingCall *pending;
  BgsRunWatch *watch;

  if (!bgs_bus_service_in_run (service))
    {
      last = bgs_service_dup_last_error (service);
      return bgs_bus_reply_error_list (bus, call, last);
    }

  pending = bgs_pending_call_new (bus, call, BGS_CALLER_ANYONE, error);
  if (pending == NULL)
    return -sd_bus_error_get_errno (error);

  watch = bgs_bus_watch_run_end (bus, service, reply_with_failures, pending,
                                 (GDestroyNotify) bgs_pending_call_free);
  bgs_pending_call_on_drop (pending, (GDestroyNotify) bgs_run_watch_cancel, watch);
  return 1;
}

static int
method_reset_failed (sd_bus_message *call, void *userdata, sd_bus_error *error)
{
  if (!bgs_bus_authorize (bus_of (userdata), call, error))
    return -EACCES;

  bgs_service_reset_failed (service_of (userdata));
  return bgs_bus_reply_empty (bus_of (userdata), call);
}

static const sd_bus_vtable service_vtable[] = {
  SD_BUS_VTABLE_START (0),
  SD_BUS_PROPERTY ("Name", "s", get_name, 0, SD_BUS_VTABLE_PROPERTY_CONST),
  SD_BUS_PROPERTY ("IsRunning", "b", get_is_running, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_PROPERTY ("NTasks", "u", get_n_tasks, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_PROPERTY ("LastErrors", BGS_BUS_ERROR_LIST_TYPE, get_last_errors, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_PROPERTY ("State", "s", get_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_PROPERTY ("StateTimestamp", "t", get_state_timestamp, 0,
                   SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_PROPERTY ("NRestarts", "u", get_n_restarts, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_PROPERTY ("Restart", "s", get_restart, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_METHOD_WITH_NAMES ("Start", "", "", "", "",
                            method_start, SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_METHOD_WITH_NAMES ("Stop", "s", SD_BUS_PARAM (message),
                            BGS_BUS_ERROR_LIST_TYPE, SD_BUS_PARAM (errors),
                            method_stop, SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_METHOD_WITH_NAMES ("Cancel", "s", SD_BUS_PARAM (message), "", "",
                            method_cancel, SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_METHOD_WITH_NAMES ("Wait", "", "", BGS_BUS_ERROR_LIST_TYPE, SD_BUS_PARAM (errors),
                            method_wait, SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_METHOD_WITH_NAMES ("Restart", "s", SD_BUS_PARAM (message),
                            BGS_BUS_ERROR_LIST_TYPE, SD_BUS_PARAM (errors),
                            method_restart, SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_METHOD_WITH_NAMES ("ResetFailed", "", "", "", "",
                            method_reset_failed, SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_SIGNAL_WITH_NAMES ("TaskFailed", "ssis",
                            SD_BUS_PARAM (task) SD_BUS_PARAM (domain)
                            SD_BUS_PARAM (code) SD_BUS_PARAM (message), 0),
  SD_BUS_VTABLE_END
};

/* ---- objects --------------------------------------------------------- */

static int
find_service (sd_bus *bus, const char *path, const char *interface,
              void *userdata, void **found, sd_bus_error *error)
{
  BgsBus *self = userdata;
  char *name = NULL;
  BgsExportedService *exported;
  int r;

  r = sd_bus_path_decode (path, BGS_BUS_SERVICE_PATH_PREFIX, &name);
  if (r <= 0)
    return r;

  exported = g_hash_table_lookup (self->exported, name);
  free (name);
  if (exported == NULL)
    return 0;

  *found = exported;
  return 1;
}

/*
 * Whether the children asked for under @prefix may hold services: sd-bus
 * asks the enumerator with the path being introspected (or whose managed
 * objects are listed), and keeps the children below it. Services are
 * leaves right below the service prefix, so only @prefix at or above it
 * has any; introspecting one service must not list them all.
 */
static gboolean
prefix_holds_services (const char *prefix)
{
  gsize length = strlen (prefix);

  if (g_str_equal (prefix, "/"))
    return TRUE;

  return strncmp (BGS_BUS_SERVICE_PATH_PREFIX, prefix, length) == 0 &&
         (BGS_BUS_SERVICE_PATH_PREFIX[length] == '/' || BGS_BUS_SERVICE_PATH_PREFIX[length] == '\0');
}

static int
enumerate_services (sd_bus *bus, const char *prefix, void *userdata,
                    char ***nodes, sd_bus_error *error)
{
  BgsBus *self = userdata;
  GHashTableIter iter;
  BgsExportedService *exported;
  guint n_services = prefix_holds_services (prefix) ? g_hash_table_size (self->exported) : 0;
  char **paths = calloc (n_services + 1, sizeof (char *));
  gsize n = 0;

  if (paths == NULL)
    return -ENOMEM;

  g_hash_table_iter_init (&iter, self->exported);
  while (n < n_services && g_hash_table_iter_next (&iter, NULL, (gpointer *) &exported))
    {
      paths[n] = strdup (bgs_exported_service_get_path (exported));
      if (paths[n] == NULL)
        {
          while (n > 0)
            free (paths[--n]);
          free (paths);
          return -ENOMEM;
        }
      n++;
    }

  *nodes = paths;
  return 0;
}

/* Serves org.bgservice1.Service for every exported service. */
int
bgs_bus_add_service_iface (BgsBus       *self,
                           sd_bus_slot **vtable_slot,
                           sd_bus_slot **enumerator_slot)
{
  int r;

  r = sd_bus_add_fallback_vtable (self->bus, vtable_slot, BGS_BUS_SERVICE_PATH_PREFIX,
                                  BGS_BUS_SERVICE_INTERFACE, service_vtable,
                                  find_service, self);
  if (r < 0)
    return r;

  return sd_bus_add_node_enumerator (self->bus, enumerator_slot, BGS_BUS_SERVICE_PATH_PREFIX,
                                     enumerate_services, self);
}
