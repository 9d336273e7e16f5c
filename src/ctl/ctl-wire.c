/* SPDX-License-Identifier: MIT */
/* ctl-wire.c: reading the replies of bgserviced.
 *
 * Each reader takes a method return positioned at its first argument and
 * fills plain GLib values. A reply of another shape than the interface's
 * is an error (CTL_ERROR_FAILED) that says so, never a crash: the owner of
 * the bus name may be another program or another version.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "ctl-exit.h"
#include "ctl-wire.h"

/* Every State this client knows, NULL-terminated: for the width of the
 * STATE column, which should not change with what the services do now. */
const char * const ctl_wire_states[] = {
  BGS_BUS_STATE_STOPPED,
  BGS_BUS_STATE_RUNNING,
  BGS_BUS_STATE_STOPPING,
  BGS_BUS_STATE_RESTARTING,
  BGS_BUS_STATE_FAILED,
  NULL
};

/* The D-Bus names of the CtlProperty values, in their order. */
const char * const ctl_wire_property_names[CTL_N_PROPERTIES + 1] = {
  [CTL_PROPERTY_NAME] = "Name",
  [CTL_PROPERTY_IS_RUNNING] = "IsRunning",
  [CTL_PROPERTY_N_TASKS] = "NTasks",
  [CTL_PROPERTY_LAST_ERRORS] = "LastErrors",
  [CTL_PROPERTY_STATE] = "State",
  [CTL_PROPERTY_STATE_TIMESTAMP] = "StateTimestamp",
  [CTL_PROPERTY_N_RESTARTS] = "NRestarts",
  [CTL_PROPERTY_RESTART] = "Restart",
  [CTL_N_PROPERTIES] = NULL,
};

/* Frees a CtlTaskError. */
void
ctl_task_error_free (CtlTaskError *self)
{
  if (self == NULL)
    return;

  g_free (self->task);
  g_free (self->domain);
  g_free (self->message);
  g_free (self);
}

/* A CtlServiceInfo that knows nothing yet. */
CtlServiceInfo *
ctl_service_info_new (void)
{
  return g_new0 (CtlServiceInfo, 1);
}

/* Frees a CtlServiceInfo. */
void
ctl_service_info_free (CtlServiceInfo *self)
{
  if (self == NULL)
    return;

  g_free (self->name);
  g_free (self->path);
  g_free (self->state);
  g_free (self->restart);
  g_clear_pointer (&self->last_errors, g_ptr_array_unref);
  g_free (self);
}

/* The State property as read. Only a service whose properties were all
 * read (ctl_service_info_check_read()) is printed: the state is never
 * guessed (from IsRunning, "stopping" would look "running"). */
const char *
ctl_service_info_get_state (const CtlServiceInfo *self)
{
  g_return_val_if_fail (self->state != NULL, "");

  return self->state;
}

/*
 * ctl_service_info_check_read:
 * @self: a service whose properties were read
 *
 * Checks that the daemon told every property of org.bgservice1.Service
 * this client knows, so that what is printed of the service is what the
 * daemon said, never a default. Fails (%CTL_ERROR_FAILED) naming the first
 * property missing.
 */
gboolean
ctl_service_info_check_read (const CtlServiceInfo  *self,
                             GError               **error)
{
  for (guint i = 0; i < CTL_N_PROPERTIES; i++)
    if ((self->properties_read & (1u << i)) == 0)
      {
        g_set_error (error, CTL_ERROR, CTL_ERROR_FAILED,
                     "the daemon did not tell the %s of service “%s” "
                     "(is the owner of the bus name a bgserviced of another version?)",
                     ctl_wire_property_names[i],
                     self->name != NULL ? self->name : self->path);
        return FALSE;
      }

  return TRUE;
}

/* Sets @error to say which part of a reply could not be read; returns FALSE. */
static gboolean
fail_read (int          r,
           const char  *what,
           GError     **error)
{
  g_set_error (error, CTL_ERROR, CTL_ERROR_FAILED,
               "cannot read %s in the reply of the daemon: %s "
               "(is the owner of the bus name a bgserviced of another version?)",
               what, g_strerror (-r));
  return FALSE;
}

/* Reads one (ssis) struct; returns like sd_bus_message_read(): 0 at the end
 * of the array, > 0 with an element, < 0 on error. */
static int
read_task_error (sd_bus_message  *message,
                 CtlTaskError   **out)
{
  const char *task, *domain, *text;
  int32_t code;
  CtlTaskError *element;
  int r;

  r = sd_bus_message_read (message, BGS_BUS_ERROR_ENTRY_TYPE, &task, &domain, &code, &text);
  if (r <= 0)
    return r;

  element = g_new0 (CtlTaskError, 1);
  element->task = g_strdup (task);
  element->domain = g_strdup (domain);
  element->code = code;
  element->message = g_strdup (text);
  *out = element;

  return 1;
}

/* Reads an error list, a(ssis), into an array of CtlTaskError. */
gboolean
ctl_wire_read_task_errors (sd_bus_message  *message,
                           GPtrArray      **out_errors,
                           GError         **error)
{
  g_autoptr (GPtrArray) errors = g_ptr_array_new_with_free_func ((GDestroyNotify) ctl_task_error_free);
  CtlTaskError *element = NULL;
  int r;

  r = sd_bus_message_enter_container (message, SD_BUS_TYPE_ARRAY, BGS_BUS_ERROR_ENTRY_TYPE);
  if (r <= 0)
    return fail_read (r < 0 ? r : -ENXIO, "the error list", error);

  while ((r = read_task_error (message, &element)) > 0)
    g_ptr_array_add (errors, g_steal_pointer (&element));
  if (r < 0)
    return fail_read (r, "the error list", error);

  r = sd_bus_message_exit_container (message);
  if (r < 0)
    return fail_read (r, "the error list", error);

  *out_errors = g_steal_pointer (&errors);
  return TRUE;
}

/* Reads the reply of ListServices, a(sbuo), into an array of
 * CtlServiceInfo in the daemon's order (by name). */
gboolean
ctl_wire_read_services (sd_bus_message  *message,
                        GPtrArray      **out_services,
                        GError         **error)
{
  g_autoptr (GPtrArray) services = g_ptr_array_new_with_free_func ((GDestroyNotify) ctl_service_info_free);
  const char *name, *path;
  int is_running;
  uint32_t n_tasks;
  int r;

  r = sd_bus_message_enter_container (message, SD_BUS_TYPE_ARRAY, "(sbuo)");
  if (r <= 0)
    return fail_read (r < 0 ? r : -ENXIO, "the list of services", error);

  while ((r = sd_bus_message_read (message, "(sbuo)", &name, &is_running, &n_tasks, &path)) > 0)
    {
      CtlServiceInfo *info = ctl_service_info_new ();

      info->name = g_strdup (name);
      info->is_running = is_running != 0;
      info->n_tasks = n_tasks;
      info->path = g_strdup (path);
      g_ptr_array_add (services, info);
    }
  if (r < 0)
    return fail_read (r, "the list of services", error);

  r = sd_bus_message_exit_container (message);
  if (r < 0)
    return fail_read (r, "the list of services", error);

  *out_services = g_steal_pointer (&services);
  return TRUE;
}

/* Reads the reply of GetService, an object path. */
gboolean
ctl_wire_read_path (sd_bus_message  *message,
                    char           **out_path,
                    GError         **error)
{
  const char *path;
  int r;

  r = sd_bus_message_read (message, "o", &path);
  if (r <= 0)
    return fail_read (r < 0 ? r : -ENXIO, "the object path of the service", error);

  *out_path = g_strdup (path);
  return TRUE;
}

/* Reads a v(s) into @field, replacing what it held. */
static int
read_string_variant (sd_bus_message  *message,
                     char           **field)
{
  const char *text;
  int r;

  r = sd_bus_message_read (message, "v", "s", &text);
  if (r > 0)
    {
      g_free (*field);
      *field = g_strdup (text);
    }

  return r;
}

/* Reads the a(ssis) of a variant into @field, replacing what it held. */
static int
read_task_errors_variant (sd_bus_message  *message,
                          GPtrArray      **field)
{
  g_autoptr (GPtrArray) errors = NULL;
  int r;

  r = sd_bus_message_enter_container (message, SD_BUS_TYPE_VARIANT, BGS_BUS_ERROR_LIST_TYPE);
  if (r <= 0)
    return r < 0 ? r : -ENXIO;
  if (!ctl_wire_read_task_errors (message, &errors, NULL))
    return -EBADMSG;
  g_clear_pointer (field, g_ptr_array_unref);
  *field = g_steal_pointer (&errors);

  return sd_bus_message_exit_container (message);
}

/* The CtlProperty called @key, or CTL_N_PROPERTIES for a property this
 * client does not know. */
static CtlProperty
lookup_property (const char *key)
{
  for (guint i = 0; i < CTL_N_PROPERTIES; i++)
    if (strcmp (key, ctl_wire_property_names[i]) == 0)
      return i;

  return CTL_N_PROPERTIES;
}

/* Reads one property of org.bgservice1.Service from a variant; properties
 * this client does not know are skipped. Returns < 0 on a bad reply. */
static int
read_property (sd_bus_message  *message,
               const char      *key,
               CtlServiceInfo  *info)
{
  CtlProperty property = lookup_property (key);
  int flag;   /* sd-bus reads a boolean into an int */
  int r;

  switch (property)
    {
    case CTL_PROPERTY_NAME:
      r = read_string_variant (message, &info->name);
      break;
    case CTL_PROPERTY_STATE:
      r = read_string_variant (message, &info->state);
      break;
    case CTL_PROPERTY_RESTART:
      r = read_string_variant (message, &info->restart);
      break;
    case CTL_PROPERTY_STATE_TIMESTAMP:
      r = sd_bus_message_read (message, "v", "t", &info->state_timestamp);
      break;
    case CTL_PROPERTY_N_TASKS:
      r = sd_bus_message_read (message, "v", "u", &info->n_tasks);
      break;
    case CTL_PROPERTY_N_RESTARTS:
      r = sd_bus_message_read (message, "v", "u", &info->n_restarts);
      break;
    case CTL_PROPERTY_LAST_ERRORS:
      r = read_task_errors_variant (message, &info->last_errors);
      break;
    case CTL_PROPERTY_IS_RUNNING:
      r = sd_bus_message_read (message, "v", "b", &flag);
      if (r > 0)
        info->is_running = flag != 0;
      break;
    case CTL_N_PROPERTIES:
    default:
      return sd_bus_message_skip (message, "v");
    }

  if (r > 0)
    info->properties_read |= 1u << property;
  return r;
}

/* Reads the reply of Properties.GetAll on a service, a{sv}, into @info. */
gboolean
ctl_wire_read_service_properties (sd_bus_message  *message,
                                  CtlServiceInfo  *info,
                                  GError         **error)
{
  const char *key;
  int r;

  r = sd_bus_message_enter_container (message, SD_BUS_TYPE_ARRAY, "{sv}");
  if (r <= 0)
    return fail_read (r < 0 ? r : -ENXIO, "the properties of the service", error);

  while ((r = sd_bus_message_enter_container (message, SD_BUS_TYPE_DICT_ENTRY, "sv")) > 0)
    {
      r = sd_bus_message_read (message, "s", &key);
      if (r > 0)
        r = read_property (message, key, info);
      if (r >= 0)
        r = sd_bus_message_exit_container (message);
      if (r < 0)
        break;
    }
  if (r < 0)
    return fail_read (r, "the properties of the service", error);

  r = sd_bus_message_exit_container (message);
  if (r < 0)
    return fail_read (r, "the properties of the service", error);

  return TRUE;
}

/* A CtlServiceErrors of @service; takes @errors. */
CtlServiceErrors *
ctl_service_errors_new (const char *service,
                        GPtrArray  *errors)
{
  CtlServiceErrors *self = g_new0 (CtlServiceErrors, 1);

  self->service = g_strdup (service);
  self->errors = errors;

  return self;
}

/* Frees a CtlServiceErrors. */
void
ctl_service_errors_free (CtlServiceErrors *self)
{
  if (self == NULL)
    return;

  g_free (self->service);
  g_clear_pointer (&self->errors, g_ptr_array_unref);
  g_free (self);
}

/*
 * ctl_wire_split_by_service:
 * @stop_all_errors: (element-type CtlTaskError): the reply of
 *   Manager.StopAll, whose entries are (service, domain, code,
 *   "TASK: MESSAGE")
 *
 * Groups the entries of StopAll by service, in the order the services
 * first appear, each entry made a task error as Stop would give it: the
 * task is what its message holds before the first ": " (a task name that
 * holds ": " itself cannot be told apart), or "" when it holds none.
 *
 * Returns: (element-type CtlServiceErrors) (transfer full): the groups
 */
GPtrArray *
ctl_wire_split_by_service (GPtrArray *stop_all_errors)
{
  g_autoptr (GPtrArray) groups = g_ptr_array_new_with_free_func ((GDestroyNotify) ctl_service_errors_free);
  g_autoptr (GHashTable) by_service = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < stop_all_errors->len; i++)
    {
      const CtlTaskError *entry = stop_all_errors->pdata[i];
      CtlServiceErrors *group = g_hash_table_lookup (by_service, entry->task);
      CtlTaskError *task_error = g_new0 (CtlTaskError, 1);
      const char *separator = strstr (entry->message, ": ");

      if (group == NULL)
        {
          group = ctl_service_errors_new (entry->task, g_ptr_array_new_with_free_func (
                                            (GDestroyNotify) ctl_task_error_free));
          g_ptr_array_add (groups, group);
          g_hash_table_insert (by_service, group->service, group);
        }

      task_error->task = separator != NULL ? g_strndup (entry->message, separator - entry->message)
                                           : g_strdup ("");
      task_error->message = g_strdup (separator != NULL ? separator + 2 : entry->message);
      task_error->domain = g_strdup (entry->domain);
      task_error->code = entry->code;
      g_ptr_array_add (group->errors, task_error);
    }

  return g_steal_pointer (&groups);
}

/* Orders services by name as the daemon does (ListServices): bytewise. */
static int
compare_by_name (gconstpointer a,
                 gconstpointer b)
{
  const CtlServiceInfo *first = *(const CtlServiceInfo * const *) a;
  const CtlServiceInfo *second = *(const CtlServiceInfo * const *) b;
  int by_name = g_strcmp0 (first->name, second->name);

  return by_name != 0 ? by_name : g_strcmp0 (first->path, second->path);
}

/* Reads the interfaces of one object, a{sa{sv}}: the properties of
 * org.bgservice1.Service into a new CtlServiceInfo added to @services; an
 * object without that interface adds nothing, the others are skipped. */
static int
read_object_interfaces (sd_bus_message *message,
                        const char     *path,
                        GPtrArray      *services)
{
  const char *interface;
  int r;

  r = sd_bus_message_enter_container (message, SD_BUS_TYPE_ARRAY, "{sa{sv}}");
  if (r <= 0)
    return r < 0 ? r : -ENXIO;

  while ((r = sd_bus_message_enter_container (message, SD_BUS_TYPE_DICT_ENTRY, "sa{sv}")) > 0)
    {
      r = sd_bus_message_read (message, "s", &interface);
      if (r > 0 && strcmp (interface, BGS_BUS_SERVICE_INTERFACE) == 0)
        {
          g_autoptr (CtlServiceInfo) info = ctl_service_info_new ();

          info->path = g_strdup (path);
          if (!ctl_wire_read_service_properties (message, info, NULL))
            return -EBADMSG;
          g_ptr_array_add (services, g_steal_pointer (&info));
        }
      else if (r > 0)
        r = sd_bus_message_skip (message, "a{sv}");
      if (r >= 0)
        r = sd_bus_message_exit_container (message);
      if (r < 0)
        return r;
    }
  if (r < 0)
    return r;

  return sd_bus_message_exit_container (message);
}

/*
 * ctl_wire_read_managed_objects:
 *
 * Reads the reply of ObjectManager.GetManagedObjects at the manager's
 * path, a{oa{sa{sv}}}, into an array of CtlServiceInfo, one for each
 * object that has the interface org.bgservice1.Service, with its path and
 * its properties, sorted by name as ListServices sorts them.
 */
gboolean
ctl_wire_read_managed_objects (sd_bus_message  *message,
                               GPtrArray      **out_services,
                               GError         **error)
{
  g_autoptr (GPtrArray) services = g_ptr_array_new_with_free_func ((GDestroyNotify) ctl_service_info_free);
  const char *path;
  int r;

  r = sd_bus_message_enter_container (message, SD_BUS_TYPE_ARRAY, "{oa{sa{sv}}}");
  if (r <= 0)
    return fail_read (r < 0 ? r : -ENXIO, "the objects of the daemon", error);

  while ((r = sd_bus_message_enter_container (message, SD_BUS_TYPE_DICT_ENTRY, "oa{sa{sv}}")) > 0)
    {
      r = sd_bus_message_read (message, "o", &path);
      if (r > 0)
        r = read_object_interfaces (message, path, services);
      if (r >= 0)
        r = sd_bus_message_exit_container (message);
      if (r < 0)
        break;
    }
  if (r >= 0)
    r = sd_bus_message_exit_container (message);
  if (r < 0)
    return fail_read (r, "the objects of the daemon", error);

  g_ptr_array_sort (services, compare_by_name);
  *out_services = g_steal_pointer (&services);
  return TRUE;
}
