/* SPDX-License-Identifier: MIT */
/* bgsd-daemon.h: the running daemon. */
#pragma once

#include "bgsd-config.h"

G_BEGIN_DECLS

/* How the daemon reaches its bus. */
typedef enum {
  BGSD_BUS_SYSTEM,
  BGSD_BUS_SESSION,
  BGSD_BUS_ADDRESS,
} BgsdBusKind;

typedef struct
{
  BgsdBusKind  bus_kind;
  const char  *bus_address;    /* BGSD_BUS_ADDRESS */
  const char  *bus_name;       /* (nullable): overrides the configuration's */
  const char  *config_path;    /* (nullable): the default file, or the
                                * built-in configuration without one */
} BgsdDaemonOptions;

/* Exit statuses, as bgserviced(8) lists them. */
enum {
  BGSD_EXIT_OK = 0,
  BGSD_EXIT_TASKS_FAILED = 1,
  BGSD_EXIT_FAILURE = 1,        /* the bus cannot be reached or was lost */
  BGSD_EXIT_KILLED = 1,         /* a second signal cut the stop short */
  BGSD_EXIT_USAGE = 2,
  BGSD_EXIT_CONFIG = 78,
};

BgsdConfig *bgsd_daemon_load_config (const char  *config_path,
                                     GError     **error);
int         bgsd_daemon_run         (const BgsdDaemonOptions *options,
                                     BgsdConfig              *config);

G_END_DECLS
