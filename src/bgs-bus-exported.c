/* bgs-bus-exported.c: one service as a D-Bus object.
 *
 * BgsExportedService follows its service's signals: TaskFailed goes out as
 * it happens; property changes are gathered and announced in one
 * PropertiesChanged per service and main-loop iteration, so that stopping
 * ten thousand tasks sends one signal, not ten thousand.
 */
#include "config.h"

#include <stdlib.h>

#include "bgs-bus-private.h"

typedef enum {
  CHANGED_IS_RUNNING  = 1 << 0,
  CHANGED_N_TASKS     = 1 << 1,
  CHANGED_LAST_ERRORS = 1 << 2,
  CHANGED_STATE       = 1 << 3,
} ChangedProperties;

struct _BgsExportedService
{
  BgsBus            *bus;        /* (unowned): owns this */
  BgsService        *service;    /* (owned) */
  char              *path;       /* (owned) */
  gulong             handlers[5];
  ChangedProperties  changed;
  GList              changed_link;  /* in bus->changed while @changed != 0 */
};

static const struct {
  const char        *signal;
  ChangedProperties  property;
} followed_properties[] = {
  { "notify::is-running", CHANGED_IS_RUNNING },
  { "notify::n-tasks", CHANGED_N_TASKS },
  { "notify::last-error", CHANGED_LAST_ERRORS },
  { "notify::state", CHANGED_STATE },
};

static gboolean
on_flush (gpointer user_data)
{
  BgsBus *bus = user_data;

  g_clear_pointer (&bus->flush_source, g_source_unref);
  bgs_bus_flush_changes (bus);

  return G_SOURCE_REMOVE;
}

/* Announces, in one signal per service, every property changed since the
 * last flush. */
void
bgs_bus_flush_changes (BgsBus *bus)
{
  GList *link;

  if (bus->flush_source != NULL)
    {
      g_source_destroy (bus->flush_source);
      g_clear_pointer (&bus->flush_source, g_source_unref);
    }

  while ((link = g_queue_pop_head_link (&bus->changed)) != NULL)
    {
      BgsExportedService *self = link->data;
      const char *names[5];
      guint n = 0;

      if (self->changed & CHANGED_IS_RUNNING)
        names[n++] = "IsRunning";
      if (self->changed & CHANGED_N_TASKS)
        names[n++] = "NTasks";
      if (self->changed & CHANGED_LAST_ERRORS)
        names[n++] = "LastErrors";
      if (self->changed & CHANGED_STATE)
        names[n++] = "State";
      names[n] = NULL;
      self->changed = 0;

      if (bgs_bus_is_connected (bus))
        sd_bus_emit_properties_changed_strv (bus->bus, self->path, BGS_BUS_SERVICE_IFACE,
                                             (char **) names);
    }
}

static void
mark_changed (BgsExportedService *self,
              ChangedProperties   property)
{
  BgsBus *bus = self->bus;

  if (self->changed == 0)
    g_queue_push_tail_link (&bus->changed, &self->changed_link);
  self->changed |= property;

  if (bus->flush_source == NULL)
    {
      bus->flush_source = g_idle_source_new ();
      g_source_set_priority (bus->flush_source, G_PRIORITY_DEFAULT);
      g_source_set_callback (bus->flush_source, on_flush, bus, NULL);
      g_source_set_static_name (bus->flush_source, "[bgservice] PropertiesChanged");
      g_source_attach (bus->flush_source, bus->context);
    }
}

static void
on_property_notify (BgsService *service,
                    GParamSpec *pspec,
                    gpointer    user_data)
{
  BgsExportedService *self = user_data;

  for (guint i = 0; i < G_N_ELEMENTS (followed_properties); i++)
    if (g_str_equal (pspec->name, followed_properties[i].signal + strlen ("notify::")))
      mark_changed (self, followed_properties[i].property);
}

static void
on_task_failed (BgsService   *service,
                GTask        *task,
                const GError *error,
                gpointer      user_data)
{
  BgsExportedService *self = user_data;

  if (!bgs_bus_is_connected (self->bus))
    return;

  sd_bus_emit_signal (self->bus->bus, self->path, BGS_BUS_SERVICE_IFACE, "TaskFailed",
                      "ssis", g_task_get_name (task) != NULL ? g_task_get_name (task) : "",
                      g_quark_to_string (error->domain), error->code, error->message);
}

BgsExportedService *
bgs_exported_service_new (BgsBus     *bus,
                          BgsService *service)
{
  BgsExportedService *self = g_new0 (BgsExportedService, 1);
  guint i;

  self->bus = bus;
  self->service = g_object_ref (service);
  self->changed_link.data = self;
  if (sd_bus_path_encode (BGS_BUS_SERVICE_PREFIX, bgs_service_get_name (service), &self->path) < 0)
    g_error ("Out of memory encoding an object path");

  for (i = 0; i < G_N_ELEMENTS (followed_properties); i++)
    self->handlers[i] = g_signal_connect (service, followed_properties[i].signal,
                                          G_CALLBACK (on_property_notify), self);
  self->handlers[i] = g_signal_connect (service, "task-failed",
                                        G_CALLBACK (on_task_failed), self);

  return self;
}

void
bgs_exported_service_free (BgsExportedService *self)
{
  if (self->changed != 0)
    g_queue_unlink (&self->bus->changed, &self->changed_link);

  for (guint i = 0; i < G_N_ELEMENTS (self->handlers); i++)
    g_clear_signal_handler (&self->handlers[i], self->service);

  g_object_unref (self->service);
  free (self->path);
  g_free (self);
}

BgsBus *
bgs_exported_service_get_bus (BgsExportedService *self)
{
  return self->bus;
}

BgsService *
bgs_exported_service_get_service (BgsExportedService *self)
{
  return self->service;
}

const char *
bgs_exported_service_get_path (BgsExportedService *self)
{
  return self->path;
}
