/* SPDX-License-Identifier: MIT */
/* bgs-bus-manager-iface.c: org.bgservice1.Manager at /org/bgservice1. */
#include "config.h"

#include "bgs-bus-private.h"

static int
get_version (sd_bus *bus, const char *path, const char *interface,
             const char *property, sd_bus_message *reply, void *userdata,
             sd_bus_error *error)
{
  return sd_bus_message_append (reply, "s", bgs_get_version ());
}

static int
get_lost_replies (sd_bus *bus, const char *path, const char *interface,
                  const char *property, sd_bus_message *reply, void *userdata,
                  sd_bus_error *error)
{
  BgsBus *self = userdata;

  return sd_bus_message_append (reply, "u", self->lost_replies);
}

/* Announces LostReplies when answers were lost since the last flush. */
void
bgs_bus_announce_manager_changes (BgsBus *self)
{
  if (!self->lost_replies_changed)
    return;

  self->lost_replies_changed = FALSE;
  if (bgs_bus_is_connected (self))
    sd_bus_emit_properties_changed (self->bus, BGS_BUS_ROOT_PATH, BGS_BUS_MANAGER_INTERFACE,
                                    "LostReplies", NULL);
}

static int
method_list_services (sd_bus_message *call, void *userdata, sd_bus_error *error)
{
  BgsBus *self = userdata;
  g_autoptr(sd_bus_message) reply = NULL;
  g_autoptr(GPtrArray) services = bgs_manager_list (self->manager);
  int r;

  r = sd_bus_message_new_method_return (call, &reply);
  if (r >= 0)
    r = sd_bus_message_open_container (reply, 'a', "(sbuo)");

  for (guint i = 0; i < services->len && r >= 0; i++)
    {
      BgsService *service = services->pdata[i];
      BgsExportedService *exported = g_hash_table_lookup (self->exported,
                                                          bgs_service_get_name (service));

      if (exported == NULL)
        continue;
      r = sd_bus_message_append (reply, "(sbuo)", bgs_service_get_name (service),
                                 bgs_service_is_running (service),
                                 bgs_service_get_n_tasks (service),
                                 bgs_exported_service_get_path (exported));
    }

  if (r >= 0)
    r = sd_bus_message_close_container (reply);
  if (r < 0)
    return r;

  return bgs_bus_send_reply (self, call, reply);
}

static int
method_get_service (sd_bus_message *call, void *userdata, sd_bus_error *error)
{
  BgsBus *self = userdata;
  g_autoptr(sd_bus_message) reply = NULL;
  BgsExportedService *exported;
  const char *name;
  int r;

  r = sd_bus_message_read (call, "s", &name);
  if (r < 0)
    return r;

  exported = g_hash_table_lookup (self->exported, name);
  if (exported == NULL)
    return sd_bus_error_setf (error, BGS_BUS_ERROR_NO_SUCH_SERVICE,
                              "No service is named “%s”; ListServices gives their names",
                              name);

  r = sd_bus_message_new_method_return (call, &reply);
  if (r >= 0)
    r = sd_bus_message_append (reply, "o", bgs_exported_service_get_path (exported));
  if (r < 0)
    return r;

  return bgs_bus_send_reply (self, call, reply);
}

static int
method_start_all (sd_bus_message *call, void *userdata, sd_bus_error *error)
{
  BgsBus *self = userdata;
  g_autoptr(GPtrArray) services = NULL;

  if (!bgs_bus_authorize (self, call, error))
    return -EACCES;

  /* Each member on its own: a manager only starts when none runs. */
  services = bgs_manager_list (self->manager);
  for (guint i = 0; i < services->len; i++)
    g_object_ref (services->pdata[i]);
  g_ptr_array_set_free_func (services, g_object_unref);
  for (guint i = 0; i < services->len; i++)
    bgs_service_start (services->pdata[i]);

  return bgs_bus_reply_empty (self, call);
}

/* StopAllOp: a StopAll waiting for the runs it stopped to end. */
typedef struct
{
  BgsPendingCall *pending;    /* (owned) */
  char           *owner;      /* (owned): the manager, "Type[name]" */
  guint           n_running;  /* runs not ended yet, plus one while starting */
  GHashTable     *watches;    /* (element-type BgsService BgsRunWatch): of runs not ended */
  GPtrArray      *names;      /* (element-type utf8) (owned): of failed services */
  GPtrArray      *errors;     /* (element-type GError) (owned): their groups */
} StopAllOp;

static void
stop_all_op_free (StopAllOp *op)
{
  g_free (op->owner);
  g_hash_table_unref (op->watches);
  g_clear_pointer (&op->names, g_ptr_array_unref);
  g_clear_pointer (&op->errors, g_ptr_array_unref);
  g_free (op);
}

/* The caller left: the runs go on ending, nobody waits for them. */
static void
stop_all_op_drop (gpointer user_data)
{
  StopAllOp *op = user_data;
  GHashTableIter iter;
  BgsRunWatch *watch;

  g_hash_table_iter_init (&iter, op->watches);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &watch))
    bgs_run_watch_cancel (watch);
  bgs_pending_call_free (op->pending);
  stop_all_op_free (op);
}

/* One stopped run ended; the last one answers, by service. */
static void
on_member_stopped (BgsService   *service,
                   const GError *failures,
                   gpointer      user_data)
{
  StopAllOp *op = user_data;
  g_autoptr(GError) group = NULL;

  g_hash_table_remove (op->watches, service);
  if (failures != NULL)
    {
      g_ptr_array_add (op->names, g_strdup (bgs_service_get_name (service)));
      g_ptr_array_add (op->errors, g_error_copy (failures));
    }

  if (--op->n_running > 0)
    return;

  if (op->errors->len > 0)
    group = bgs_error_new_group (op->owner, "service", g_steal_pointer (&op->names),
                                 g_steal_pointer (&op->errors), 0);
  bgs_pending_call_finish (op->pending, group);
  stop_all_op_free (op);
}

/* Watches every run of @services under way for @pending; NULL when none
 * is. */
static StopAllOp *
stop_all_op_new (BgsBus         *self,
                 GPtrArray      *services,
                 BgsPendingCall *pending)
{
  StopAllOp *op = g_new0 (StopAllOp, 1);

  op->pending = pending;
  op->owner = bgs_service_to_string (BGS_SERVICE (self->manager));
  op->watches = g_hash_table_new (NULL, NULL);
  op->names = g_ptr_array_new_with_free_func (g_free);
  op->errors = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
  op->n_running = 1;

  for (guint i = 0; i < services->len; i++)
    if (bgs_bus_service_in_run (services->pdata[i]))
      {
        op->n_running++;
        g_hash_table_insert (op->watches, services->pdata[i],
                             bgs_bus_watch_run_end (self, services->pdata[i],
                                                    on_member_stopped, op, NULL));
      }

  bgs_pending_call_on_drop (pending, stop_all_op_drop, op);
  return op;
}

static gboolean
any_in_run (GPtrArray *services)
{
  for (guint i = 0; i < services->len; i++)
    if (bgs_bus_service_in_run (services->pdata[i]))
      return TRUE;

  return FALSE;
}

/* StopAll: cancels every member, and answers with the failures of the
 * runs it stopped, once they all ended. */
static int
method_stop_all (sd_bus_message *call, void *userdata, sd_bus_error *error)
{
  BgsBus *self = userdata;
  g_autoptr(GPtrArray) services = NULL;
  BgsPendingCall *pending;
  const char *message;
  StopAllOp *op;
  int r;

  if (!bgs_bus_authorize (self, call, error))
    return -EACCES;
  r = sd_bus_message_read (call, "s", &message);
  if (r < 0)
    return r;

  services = bgs_manager_list (self->manager);
  if (!any_in_run (services))
    {
      bgs_service_cancel (BGS_SERVICE (self->manager), message);
      bgs_bus_flush_changes (self);
      return bgs_bus_reply_error_list (self, call, NULL);
    }

  pending = bgs_pending_call_new (self, call, BGS_CALLER_ALLOWED, error);
  if (pending == NULL)
    return -sd_bus_error_get_errno (error);

  op = stop_all_op_new (self, services, pending);
  bgs_service_cancel (BGS_SERVICE (self->manager), message);
  on_member_stopped (BGS_SERVICE (self->manager), NULL, op);
  return 1;
}

static const sd_bus_vtable manager_vtable[] = {
  SD_BUS_VTABLE_START (0),
  SD_BUS_PROPERTY ("Version", "s", get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
  SD_BUS_PROPERTY ("LostReplies", "u", get_lost_replies, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_METHOD_WITH_NAMES ("ListServices", "", "",
                            "a(sbuo)", SD_BUS_PARAM (services),
                            method_list_services, SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_METHOD_WITH_NAMES ("GetService", "s", SD_BUS_PARAM (name),
                            "o", SD_BUS_PARAM (path),
                            method_get_service, SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_METHOD_WITH_NAMES ("StartAll", "", "", "", "",
                            method_start_all, SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_METHOD_WITH_NAMES ("StopAll", "s", SD_BUS_PARAM (message),
                            BGS_BUS_ERROR_LIST_TYPE, SD_BUS_PARAM (errors),
                            method_stop_all, SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_VTABLE_END
};

/* Serves org.bgservice1.Manager at the root object. */
int
bgs_bus_add_manager_iface (BgsBus       *self,
                           sd_bus_slot **slot)
{
  return sd_bus_add_object_vtable (self->bus, slot, BGS_BUS_ROOT_PATH,
                                   BGS_BUS_MANAGER_INTERFACE, manager_vtable, self);
}
