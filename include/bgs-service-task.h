/* SPDX-License-Identifier: MIT */
/* bgs-service-task.h: tasks tracked by a BgsService.
 *
 * Every task made here is tracked by its service: the service runs while it
 * runs, bgs_service_cancel() cancels it, and its error (if not a
 * cancellation) reaches the next wait or stop of the service.
 */
#pragma once

#include "bgs-service.h"

G_BEGIN_DECLS

/**
 * BgsThreadFunc:
 * @service: the service that owns the task.
 * @cancellable: cancelled when the service cancels the task; poll it.
 * @user_data: the data given to bgs_service_spawn_thread().
 * @error: return location for the error that fails the task.
 *
 * Work run in GIO's thread pool by bgs_service_spawn_thread().
 *
 * Returns: %TRUE when the work succeeded, %FALSE with @error set when it
 *   failed.
 *
 * Since: 0.1
 */
typedef gboolean (*BgsThreadFunc) (BgsService    *service,
                                   GCancellable  *cancellable,
                                   gpointer       user_data,
                                   GError       **error);

/**
 * BgsTickFunc:
 * @service: the service that owns the task.
 * @user_data: the data given to bgs_service_spawn_periodic().
 * @error: return location for the error that fails the task.
 *
 * Called on the service's context at every tick of a periodic task.
 *
 * Returns: %TRUE to be called again; %FALSE to end the task, which fails
 *   when @error is set and ends cleanly otherwise.
 *
 * Since: 0.1
 */
typedef gboolean (*BgsTickFunc) (BgsService  *service,
                                 gpointer     user_data,
                                 GError     **error);

BGS_AVAILABLE_IN_ALL G_GNUC_WARN_UNUSED_RESULT
GTask *bgs_service_task_new       (BgsService     *self,
                                   const char     *name);
BGS_AVAILABLE_IN_ALL
GTask *bgs_service_spawn_thread   (BgsService     *self,
                                   const char     *name,
                                   BgsThreadFunc   func,
                                   gpointer        user_data,
                                   GDestroyNotify  destroy);
BGS_AVAILABLE_IN_ALL
GTask *bgs_service_spawn_periodic (BgsService     *self,
                                   const char     *name,
                                   guint           interval_ms,
                                   BgsTickFunc     func,
                                   gpointer        user_data,
                                   GDestroyNotify  destroy);

G_END_DECLS
