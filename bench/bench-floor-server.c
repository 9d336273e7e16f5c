/* SPDX-License-Identifier: MIT */
/* bench-floor-server.c: what the benchmarks' bare sd-bus servers share.
 *
 * A floor server is the least a program can do to serve what bgserviced
 * serves: a connection to the bus, the objects its caller exported, its
 * name, and a loop of sd_bus_process() and sd_bus_wait(), nothing else.
 * It prints READY once it owns its name, for the benchmark to start. */
#include <stdint.h>
#include <stdio.h>

#include "bench-floor-server.h"

/* Connects to the bus at @address as a bus client; *@out is the
 * connection, also when it fails (NULL or not started). */
int
floor_server_connect (const char  *address,
                      sd_bus     **out)
{
  sd_bus *bus = NULL;
  int r = sd_bus_new (&bus);

  if (r >= 0)
    r = sd_bus_set_address (bus, address);
  if (r >= 0)
    r = sd_bus_set_bus_client (bus, 1);
  if (r >= 0)
    r = sd_bus_start (bus);
  *out = bus;
  return r;
}

/* Owns @name, says READY and serves until the connection ends; closes
 * @bus. Returns a negative errno when @name cannot be owned. */
int
floor_server_run (sd_bus     *bus,
                  const char *name)
{
  int r = sd_bus_request_name (bus, name, 0);

  if (r < 0)
    {
      sd_bus_flush_close_unref (bus);
      return r;
    }

  printf ("READY\n");
  fflush (stdout);

  for (;;)
    {
      r = sd_bus_process (bus, NULL);
      if (r < 0)
        break;
      if (r > 0)
        continue;

      r = sd_bus_wait (bus, UINT64_MAX);
      if (r < 0)
        break;
    }

  sd_bus_flush_close_unref (bus);
  return 0;
}
