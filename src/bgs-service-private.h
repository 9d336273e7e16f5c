/* bgs-service-private.h: what the library's own files use of BgsService. */
#pragma once

#include "bgs-service.h"
#include "bgs-error-private.h"

G_BEGIN_DECLS

GTask *bgs_service_track_new_task    (BgsService  *self,
                                      const char  *name,
                                      const char  *default_prefix,
                                      gpointer     source_tag);
void   bgs_service_notify_is_running (BgsService  *self);
void   bgs_service_set_last_error    (BgsService  *self,
                                      const GError *error);

/* Spawned tasks carry this source tag: their task data is the library's
 * own closure, released on the service's context when the task ends. */
extern const char bgs_spawned_task_tag[];

G_END_DECLS
