/* SPDX-License-Identifier: MIT */
/* bgs-service-private.h: what the library's own files use of BgsService. */
#pragma once

#include "bgs-service.h"
#include "bgs-error-private.h"
#include "bgs-lifecycle.h"

G_BEGIN_DECLS

/* The longest service name, in bytes (see bgs_service_name_validate()). */
#define BGS_SERVICE_NAME_MAX 255

/* The properties and signals the lifecycle (bgs-lifecycle.c) announces. */
typedef enum {
  BGS_SERVICE_CHANGE_IS_RUNNING,
  BGS_SERVICE_CHANGE_STATE,
  BGS_SERVICE_CHANGE_LAST_ERROR,
  BGS_SERVICE_CHANGE_N_RESTARTS,
} BgsServiceChange;

GTask        *bgs_service_track_new_task (BgsService       *self,
                                          const char       *name,
                                          const char       *default_prefix,
                                          gpointer          source_tag);
BgsLifecycle *bgs_service_get_lifecycle  (BgsService       *self);
void          bgs_service_notify_change  (BgsService       *self,
                                          BgsServiceChange  change);
void          bgs_service_emit_run_ended (BgsService       *self,
                                          const GError     *failures);

/* Spawned tasks carry this source tag: their task data is the library's
 * own closure, released on the service's context when the task ends. */
extern const char bgs_spawned_task_tag[];

G_END_DECLS
