/* SPDX-License-Identifier: MIT */
/* bench-bus-floor.c: the floor of bench-bus, a bare sd-bus server.
 *
 *   bench-bus-floor ADDRESS BUS-NAME
 *
 * Links libsystemd and nothing else: it connects to the bus at ADDRESS,
 * exports /org/bgservice1/service/idle with an org.bgservice1.Service
 * interface holding one property, IsRunning (b), whose getter answers
 * TRUE, takes BUS-NAME, prints "READY" on stdout, and serves in the
 * simplest loop sd-bus allows: sd_bus_process() until it has nothing left,
 * then sd_bus_wait(). This is the cost of answering the property with
 * sd-bus and no main loop library at all; bench-bus compares the
 * library's BgsBus against it. It exits when the connection is lost or on
 * SIGTERM.
 */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>

#include "bench-floor-server.h"

static int
get_is_running (sd_bus *bus, const char *path, const char *interface,
                const char *property, sd_bus_message *reply, void *userdata,
                sd_bus_error *error)
{
  return sd_bus_message_append (reply, "b", 1);
}

static const sd_bus_vtable floor_vtable[] = {
  SD_BUS_VTABLE_START (0),
  SD_BUS_PROPERTY ("IsRunning", "b", get_is_running, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
  SD_BUS_VTABLE_END
};

static int
fail (const char *what, int r)
{
  fprintf (stderr, "bench-bus-floor: %s: %s\n", what, strerror (-r));
  return 1;
}

int
main (int   argc,
      char *argv[])
{
  sd_bus *bus = NULL;
  int r;

  if (argc != 3)
    {
      fprintf (stderr, "Usage: %s ADDRESS BUS-NAME\n", argv[0]);
      return 2;
    }

  r = floor_server_connect (argv[1], &bus);
  if (r < 0)
    return fail ("cannot connect", r);

  r = sd_bus_add_object_vtable (bus, NULL, "/org/bgservice1/service/idle",
                                "org.bgservice1.Service", floor_vtable, NULL);
  if (r < 0)
    return fail ("cannot export the object", r);

  r = floor_server_run (bus, argv[2]);
  if (r < 0)
    return fail ("cannot own the bus name", r);
  return 0;
}
