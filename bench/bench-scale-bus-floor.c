/* SPDX-License-Identifier: MIT */
/* bench-scale-bus-floor.c: the floor of bench-scale for the bus.
 *
 *   bench-scale-bus-floor ADDRESS BUS-NAME N
 *
 * A bare sd-bus server, linking libsystemd only, with the objects
 * bgserviced exports for N services named s000000, s000001, ...: the
 * root /org/bgservice1 with org.bgservice1.Manager and an ObjectManager,
 * and one object per service at /org/bgservice1/service/<label>
 * (sd_bus_path_encode()) with org.bgservice1.Service, every member with
 * the same name and signature. Each object is registered on its own, the
 * plainest way sd-bus offers. It takes BUS-NAME, prints "READY" and
 * serves in sd_bus_process() + sd_bus_wait() until the connection is
 * lost or SIGTERM. Getters answer constants and methods answer empty:
 * bench-scale compares walks of the tree (busctl tree), which read the
 * introspection only.
 */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>

#include "bench-floor-server.h"

#define ROOT_PATH "/org/bgservice1"
#define SERVICE_PREFIX ROOT_PATH "/service"
#define ERROR_LIST "a(ssis)"

static int
get_string (sd_bus *bus, const char *path, const char *interface, const char *property,
            sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
  return sd_bus_message_append (reply, "s", "");
}

static int
get_boolean (sd_bus *bus, const char *path, const char *interface, const char *property,
             sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
  return sd_bus_message_append (reply, "b", 0);
}

static int
get_number (sd_bus *bus, const char *path, const char *interface, const char *property,
            sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
  return sd_bus_message_append_basic (reply, property[0] == 'S' ? 't' : 'u',
                                      &(uint64_t) { 0 });
}

static int
get_errors (sd_bus *bus, const char *path, const char *interface, const char *property,
            sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
  return sd_bus_message_append (reply, ERROR_LIST, 0);
}

static int
reply_empty (sd_bus_message *call, void *userdata, sd_bus_error *error)
{
  return sd_bus_reply_method_return (call, "");
}

static int
reply_errors (sd_bus_message *call, void *userdata, sd_bus_error *error)
{
  return sd_bus_reply_method_return (call, ERROR_LIST, 0);
}

static const sd_bus_vtable manager_vtable[] = {
  SD_BUS_VTABLE_START (0),
  SD_BUS_PROPERTY ("Version", "s", get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
  SD_BUS_METHOD_WITH_NAMES ("ListServices", "", "", "a(sbuo)", SD_BUS_PARAM (services),
                            reply_empty, SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_METHOD_WITH_NAMES ("GetService", "s", SD_BUS_PARAM (name), "o", SD_BUS_PARAM (path),
                            reply_empty, SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_METHOD_WITH_NAMES ("StartAll", "", "", "", "", reply_empty, SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_METHOD_WITH_NAMES ("StopAll", "s", SD_BUS_PARAM (message), ERROR_LIST,
                            SD_BUS_PARAM (errors), reply_errors, SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_VTABLE_END
};

static const sd_bus_vtable service_vtable[] = {
  SD_BUS_VTABLE_START (0),
  SD_BUS_PROPERTY ("Name", "s", get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
  SD_BUS_PROPERTY ("IsRunning", "b", get_boolean, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_PROPERTY ("NTasks", "u", get_number, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_PROPERTY ("LastErrors", ERROR_LIST, get_errors, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_PROPERTY ("State", "s", get_string, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_PROPERTY ("StateTimestamp", "t", get_number, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_PROPERTY ("NRestarts", "u", get_number, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_PROPERTY ("Restart", "s", get_string, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_METHOD_WITH_NAMES ("Start", "", "", "", "", reply_empty, SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_METHOD_WITH_NAMES ("Stop", "s", SD_BUS_PARAM (message), ERROR_LIST,
                            SD_BUS_PARAM (errors), reply_errors, SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_METHOD_WITH_NAMES ("Cancel", "s", SD_BUS_PARAM (message), "", "",
                            reply_empty, SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_METHOD_WITH_NAMES ("Wait", "", "", ERROR_LIST, SD_BUS_PARAM (errors),
                            reply_errors, SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_METHOD_WITH_NAMES ("Restart", "s", SD_BUS_PARAM (message), ERROR_LIST,
                            SD_BUS_PARAM (errors), reply_errors, SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_METHOD_WITH_NAMES ("ResetFailed", "", "", "", "", reply_empty,
                            SD_BUS_VTABLE_UNPRIVILEGED),
  SD_BUS_SIGNAL_WITH_NAMES ("TaskFailed", "ssis",
                            SD_BUS_PARAM (task) SD_BUS_PARAM (domain)
                            SD_BUS_PARAM (code) SD_BUS_PARAM (message), 0),
  SD_BUS_VTABLE_END
};

static int
fail (const char *what, int r)
{
  fprintf (stderr, "bench-scale-bus-floor: %s: %s\n", what, strerror (-r));
  return 1;
}

/* One object per service, as bench-scale names them. */
static int
export_services (sd_bus *bus,
                 long    n)
{
  for (long i = 0; i < n; i++)
    {
      char name[32];
      char *path = NULL;
      int r;

      snprintf (name, sizeof name, "s%06ld", i);
      r = sd_bus_path_encode (SERVICE_PREFIX, name, &path);
      if (r >= 0)
        r = sd_bus_add_object_vtable (bus, NULL, path, "org.bgservice1.Service",
                                      service_vtable, NULL);
      free (path);
      if (r < 0)
        return r;
    }

  return 0;
}

int
main (int   argc,
      char *argv[])
{
  sd_bus *bus = NULL;
  int r;

  if (argc != 4)
    {
      fprintf (stderr, "Usage: %s ADDRESS BUS-NAME N\n", argv[0]);
      return 2;
    }

  r = floor_server_connect (argv[1], &bus);
  if (r < 0)
    return fail ("cannot connect", r);

  r = sd_bus_add_object_vtable (bus, NULL, ROOT_PATH, "org.bgservice1.Manager",
                                manager_vtable, NULL);
  if (r >= 0)
    r = sd_bus_add_object_manager (bus, NULL, ROOT_PATH);
  if (r >= 0)
    r = export_services (bus, atol (argv[3]));
  if (r < 0)
    return fail ("cannot export the objects", r);

  r = floor_server_run (bus, argv[2]);
  if (r < 0)
    return fail ("cannot own the bus name", r);
  return 0;
}
