/* SPDX-License-Identifier: MIT */
/* bench-floor-server.h: what the benchmarks' bare sd-bus servers share (bench-bus connects its client with it too). */
#pragma once

#include <systemd/sd-bus.h>

int floor_server_connect (const char  *address,
                          sd_bus     **out);
int floor_server_run     (sd_bus      *bus,
                          const char  *name);
