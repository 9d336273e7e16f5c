/* SPDX-License-Identifier: MIT */
/* bgs-bus-exported.c: one service as a D-Bus object.
 *
 * BgsExportedService follows its service's signals: TaskFailed goes out as
 * it happens; property changes are gathered and announced in one
 * PropertiesChanged per service and main-loop iteration, so that stopping
 * ten thousand tasks sends one signal, not ten thousand. The answers of
 * calls that waited for a run to end go out right after
 * (bgs-bus-run-watch.c).
 */
#include "config.h"

#include <stdlib.h>

#include "bgs-bus-private.h"

/* Each library property the object follows, and the D-Bus properties
 * that change with it. */
static const struct {
  const char *property;
  const char *wire_names[3];
} followed_properties[] = {
  { "is-running", { "IsRunning" } },
  { "n-tasks", { "NTasks" } },
  { "last-error", { "LastErrors" } },
  { "state", { "State", "StateTimestamp" } },
  { "n-restarts", { "NRestarts" } },
  { "restart", { "Restart" } },
};

#define N_FOLLOWED G_N_ELEMENTS (followed_properties)

struct _BgsExportedService
{
  BgsBus            *bus;        /* (unowned): owns this */
  BgsService        *service;    /* (owned) */
  char              *path;       /* (owned) */
  gulong             handlers[2];  /* notify, task-failed */
  guint              changed;    /* bit i: followed_properties[i] changed */
  GList              changed_link;  /* in bus->changed while @changed != 0 */
};

static gboolean
on_flush (gpointer user_data)
{
  BgsBus *bus = user_data;

  g_clear_pointer (&bus->flush_source, g_source_unref);
  bgs_bus_flush_changes (bus);

  return G_SOURCE_REMOVE;
}

/* Announces one service's changed properties in one signal. */
static void
announce_changes (BgsExportedService *self)
{
  const char *names[N_FOLLOWED * G_N_ELEMENTS (followed_properties[0].wire_names) + 1];
  guint n = 0;

  for (guint i = 0; i < N_FOLLOWED; i++)
    if (self->changed & (1u << i))
      for (guint w = 0; w < G_N_ELEMENTS (followed_properties[i].wire_names); w++)
        if (followed_properties[i].wire_names[w] != NULL)
          names[n++] = followed_properties[i].wire_names[w];
  names[n] = NULL;
  self->changed = 0;

  if (bgs_bus_is_connected (self->bus))
    sd_bus_emit_properties_changed_strv (self->bus->bus, self->path, BGS_BUS_SERVICE_INTERFACE,
                                         (char **) names);
}

/* Announces, in one signal per service (and one for the manager), every
 * property changed since the last flush; then answers the calls whose run
 * ended. */
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
    announce_changes (link->data);
  bgs_bus_announce_manager_changes (bus);

  bgs_bus_deliver_run_ends (bus);
}

/* Makes sure a flush comes, in a later iteration of the loop. */
void
bgs_bus_schedule_flush (BgsBus *bus)
{
  if (bus->flush_source != NULL)
    return;

  bus->flush_source = g_idle_source_new ();
  g_source_set_priority (bus->flush_source, G_PRIORITY_DEFAULT);
  g_source_set_callback (bus->flush_source, on_flush, bus, NULL);
  g_source_set_static_name (bus->flush_source, "[bgservice] PropertiesChanged");
  g_source_attach (bus->flush_source, bus->context);
}

static void
on_property_notify (BgsService *service,
                    GParamSpec *pspec,
                    gpointer    user_data)
{
  BgsExportedService *self = user_data;

  for (guint i = 0; i < N_FOLLOWED; i++)
    if (g_str_equal (pspec->name, followed_properties[i].property))
      {
        if (self->changed == 0)
          g_queue_push_tail_link (&self->bus->changed, &self->changed_link);
        self->changed |= 1u << i;
        bgs_bus_schedule_flush (self->bus);
      }
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

  sd_bus_emit_signal (self->bus->bus, self->path, BGS_BUS_SERVICE_INTERFACE, "TaskFailed",
                      "ssis", g_task_get_name (task) != NULL ? g_task_get_name (task) : "",
                      g_quark_to_string (error->domain), error->code, error->message);
}

BgsExportedService *
bgs_exported_service_new (BgsBus     *bus,
                          BgsService *service)
{
  BgsExportedService *self = g_new0 (BgsExportedService, 1);

  self->bus = bus;
  self->service = g_object_ref (service);
  self->changed_link.data = self;
  if (sd_bus_path_encode (BGS_BUS_SERVICE_PATH_PREFIX, bgs_service_get_name (service), &self->path) < 0)
    g_error ("Out of memory encoding an object path");

  /* One handler for every property, not one each: thousands of services
   * each pay for every handler. */
  self->handlers[0] = g_signal_connect (service, "notify", G_CALLBACK (on_property_notify), self);
  self->handlers[1] = g_signal_connect (service, "task-failed", G_CALLBACK (on_task_failed), self);

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
