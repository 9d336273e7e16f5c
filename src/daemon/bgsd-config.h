/* SPDX-License-Identifier: MIT */
/* bgsd-config.h: the configuration of bgserviced. */
#pragma once

#include <bgservice.h>

#include "bgsd-command.h"

G_BEGIN_DECLS

typedef enum {
  BGSD_SERVICE_EXEC,
  BGSD_SERVICE_TIMER,
  BGSD_SERVICE_CLOCK,
  BGSD_SERVICE_MODULE,
} BgsdServiceType;

/* Timeouts given as "infinity": never send SIGKILL. */
#define BGSD_TIMEOUT_INFINITE G_MAXUINT

/* BgsdServiceConfig: one `[Service NAME]` group, checked. */
typedef struct
{
  char            *name;
  char            *group;
  BgsdServiceType  type;
  gboolean         auto_start;
  BgsdCommand     *command;          /* exec, timer */
  guint            instances;        /* exec */
  guint            interval_ms;      /* timer, clock */
  guint            timeout_stop_ms;  /* exec, timer; BGSD_TIMEOUT_INFINITE */
  char            *module_path;      /* module: absolute */
  /* What the service does when its run ends, for every type (systemd's
   * Restart=, RestartSec=, RestartMaxDelaySec=, StartLimitBurst= and
   * StartLimitIntervalSec=). */
  BgsRestartMode   restart;
  guint            restart_delay_ms;         /* before the first restart */
  guint            restart_max_delay_ms;     /* >= restart_delay_ms; equal: no backoff */
  guint            start_limit_burst;        /* starts allowed within the interval */
  guint            start_limit_interval_ms;  /* 0: starts are not limited */
  char            *fingerprint;      /* every key and value: equal when unchanged */
} BgsdServiceConfig;

/* BgsdConfig: a whole configuration file, checked. */
typedef struct
{
  char      *origin;         /* the file's path, or a description */
  GKeyFile  *keyfile;        /* (nullable): the file, kept only for module services to read */
  char      *bus_name;       /* (nullable): not set in the file */
  GArray    *control_uids;   /* (element-type guint32) */
  GArray    *control_gids;   /* (element-type guint32) */
  guint      max_pending_calls_per_caller;  /* MaxPendingCallsPerCaller= */
  guint      max_pending_calls;             /* MaxPendingCalls= */
  GPtrArray *services;       /* (element-type BgsdServiceConfig): file order */
  GHashTable *by_name;       /* (element-type utf8 BgsdServiceConfig): the same, by name */
} BgsdConfig;

BgsdConfig *bgsd_config_load_file    (const char  *path,
                                      GError     **error);
BgsdConfig *bgsd_config_load_default (GError     **error);
BgsdConfig *bgsd_config_load_data    (const char  *data,
                                      gsize        length,
                                      const char  *origin,
                                      const char  *base_dir,
                                      GError     **error);
void        bgsd_config_free         (BgsdConfig  *config);

const BgsdServiceConfig *bgsd_config_lookup (const BgsdConfig *config,
                                             const char       *name);

const char *bgsd_service_type_to_string (BgsdServiceType type);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BgsdConfig, bgsd_config_free)

G_END_DECLS
