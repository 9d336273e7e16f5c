/* SPDX-License-Identifier: MIT */
/* bgs-service.h: BgsService, an object that owns background tasks.
 *
 * A service starts tasks (GTask objects completing on its GMainContext),
 * reports whether any still runs, cancels them, waits for them and, when
 * they are done, hands back every error they raised as one
 * BGS_ERROR_TASKS_FAILED group. Cancellation is never an error.
 */
#pragma once

#include <gio/gio.h>

#include "bgs-macros.h"

G_BEGIN_DECLS

/**
 * BgsServiceState:
 * @BGS_SERVICE_STATE_STOPPED: no run is under way; the last one, if any,
 *   was stopped or ended without failures.
 * @BGS_SERVICE_STATE_RUNNING: a run is under way.
 * @BGS_SERVICE_STATE_STOPPING: a run is under way, but the service was
 *   cancelled: it is on its way to stopped and will not restart.
 * @BGS_SERVICE_STATE_RESTARTING: the run failed (or, under
 *   %BGS_RESTART_ALWAYS, ended) and will start again: its tasks wind down
 *   or the restart delay runs. The service counts as running.
 * @BGS_SERVICE_STATE_FAILED: the last run ended on its own with failures,
 *   or hit the start limit, and will not restart. bgs_service_start()
 *   starts it again; bgs_service_reset_failed() makes it stopped.
 *
 * What a service is doing, as #BgsService:state says.
 *
 * Since: 0.1
 */
typedef enum {
  BGS_SERVICE_STATE_STOPPED,
  BGS_SERVICE_STATE_RUNNING,
  BGS_SERVICE_STATE_STOPPING,
  BGS_SERVICE_STATE_RESTARTING,
  BGS_SERVICE_STATE_FAILED,
} BgsServiceState;

#define BGS_TYPE_SERVICE_STATE (bgs_service_state_get_type ())
BGS_AVAILABLE_IN_ALL
GType bgs_service_state_get_type (void) G_GNUC_CONST;

/**
 * BgsRestartMode:
 * @BGS_RESTART_NO: a run that ends is never started again.
 * @BGS_RESTART_ON_FAILURE: a run in which a task failed is started again
 *   (its other tasks are cancelled first), unless it was cancelled.
 * @BGS_RESTART_ALWAYS: as %BGS_RESTART_ON_FAILURE, and a run whose tasks
 *   all ended cleanly is started again too.
 *
 * When a service starts itself again, as #BgsService:restart says. Restarts
 * wait #BgsService:restart-delay-ms (doubling up to
 * #BgsService:restart-max-delay-ms) and are limited by
 * #BgsService:start-limit-burst within #BgsService:start-limit-interval-ms.
 *
 * Since: 0.1
 */
typedef enum {
  BGS_RESTART_NO,
  BGS_RESTART_ON_FAILURE,
  BGS_RESTART_ALWAYS,
} BgsRestartMode;

#define BGS_TYPE_RESTART_MODE (bgs_restart_mode_get_type ())
BGS_AVAILABLE_IN_ALL
GType bgs_restart_mode_get_type (void) G_GNUC_CONST;

#define BGS_TYPE_SERVICE (bgs_service_get_type ())

BGS_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (BgsService, bgs_service, BGS, SERVICE, GObject)

/**
 * BgsServiceClass:
 * @parent_class: the parent class.
 * @start: starts the tasks the service needs. Required. Called by
 *   bgs_service_start() only while the service is not running.
 * @is_running: whether the service runs. The default is true while a run
 *   is under way: a tracked task has not completed, or a restart is
 *   pending.
 * @cancel: cancels the work. The default cancels every task tracked at the
 *   time of the call.
 * @wait_async: waits until the work is done. Do not chain up: the default
 *   is the base class's own wait, which bgs_service_wait_async() uses.
 * @wait_finish: finishes @wait_async; fails when work failed.
 *
 * The class of #BgsService. A subclass wrapping a library that runs its own
 * work overrides @is_running, @cancel, @wait_async and @wait_finish instead of
 * tracking tasks, and notifies #BgsService:is-running itself. The base class
 * then follows is-running to tell runs apart, and calls the subclass's
 * @wait_async each time its work ends (or when someone waits while nothing
 * runs) to learn the failures of the work: they become the run's, named
 * after the parts of a %BGS_ERROR_TASKS_FAILED group or after the service.
 * Such a service does not restart by itself; a #BgsManager holding it can
 * restart it with the others.
 *
 * Since: 0.1
 */
struct _BgsServiceClass
{
  GObjectClass parent_class;

  void     (*start)       (BgsService          *self);
  gboolean (*is_running)  (BgsService          *self);
  void     (*cancel)      (BgsService          *self,
                           const char          *message);
  void     (*wait_async)  (BgsService          *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data);
  gboolean (*wait_finish) (BgsService          *self,
                           GAsyncResult        *result,
                           GError             **error);

  /*< private >*/
  gpointer _reserved[8];
};

BGS_AVAILABLE_IN_ALL
const char *bgs_service_get_name    (BgsService *self);
BGS_AVAILABLE_IN_ALL
gboolean    bgs_service_is_running  (BgsService *self);
BGS_AVAILABLE_IN_ALL
BgsServiceState bgs_service_get_state (BgsService *self);
BGS_AVAILABLE_IN_ALL
guint       bgs_service_get_n_tasks (BgsService *self);
BGS_AVAILABLE_IN_ALL G_GNUC_WARN_UNUSED_RESULT
GPtrArray  *bgs_service_get_tasks   (BgsService *self);
BGS_AVAILABLE_IN_ALL G_GNUC_WARN_UNUSED_RESULT
char       *bgs_service_to_string   (BgsService *self);

BGS_AVAILABLE_IN_ALL
void        bgs_service_start       (BgsService *self);
BGS_AVAILABLE_IN_ALL
void        bgs_service_cancel      (BgsService *self,
                                     const char *message);

BGS_AVAILABLE_IN_ALL
void        bgs_service_wait_async  (BgsService          *self,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);
BGS_AVAILABLE_IN_ALL
gboolean    bgs_service_wait_finish (BgsService          *self,
                                     GAsyncResult        *result,
                                     GError             **error);
BGS_AVAILABLE_IN_ALL
gboolean    bgs_service_wait        (BgsService          *self,
                                     GCancellable        *cancellable,
                                     GError             **error);

BGS_AVAILABLE_IN_ALL
void        bgs_service_stop_async  (BgsService          *self,
                                     const char          *message,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);
BGS_AVAILABLE_IN_ALL
gboolean    bgs_service_stop_finish (BgsService          *self,
                                     GAsyncResult        *result,
                                     GError             **error);
BGS_AVAILABLE_IN_ALL
gboolean    bgs_service_stop        (BgsService          *self,
                                     const char          *message,
                                     GCancellable        *cancellable,
                                     GError             **error);

BGS_AVAILABLE_IN_ALL
GMainContext *bgs_service_get_context    (BgsService *self);
BGS_AVAILABLE_IN_ALL G_GNUC_WARN_UNUSED_RESULT
GError       *bgs_service_dup_last_error (BgsService *self);
BGS_AVAILABLE_IN_ALL G_GNUC_WARN_UNUSED_RESULT
GPtrArray    *bgs_service_get_last_failures (BgsService *self);
BGS_AVAILABLE_IN_ALL
gint64        bgs_service_get_state_timestamp (BgsService *self);
BGS_AVAILABLE_IN_ALL
guint         bgs_service_get_n_restarts (BgsService *self);
BGS_AVAILABLE_IN_ALL
void          bgs_service_reset_failed   (BgsService *self);

BGS_AVAILABLE_IN_ALL
BgsRestartMode bgs_service_get_restart   (BgsService     *self);
BGS_AVAILABLE_IN_ALL
void           bgs_service_set_restart   (BgsService     *self,
                                          BgsRestartMode  mode);
BGS_AVAILABLE_IN_ALL
guint          bgs_service_get_restart_delay_ms (BgsService *self);
BGS_AVAILABLE_IN_ALL
void           bgs_service_set_restart_delay_ms (BgsService *self,
                                                 guint       delay_ms);
BGS_AVAILABLE_IN_ALL
guint          bgs_service_get_restart_max_delay_ms (BgsService *self);
BGS_AVAILABLE_IN_ALL
void           bgs_service_set_restart_max_delay_ms (BgsService *self,
                                                     guint       max_delay_ms);
BGS_AVAILABLE_IN_ALL
guint          bgs_service_get_start_limit_burst (BgsService *self);
BGS_AVAILABLE_IN_ALL
void           bgs_service_set_start_limit_burst (BgsService *self,
                                                  guint       burst);
BGS_AVAILABLE_IN_ALL
guint          bgs_service_get_start_limit_interval_ms (BgsService *self);
BGS_AVAILABLE_IN_ALL
void           bgs_service_set_start_limit_interval_ms (BgsService *self,
                                                        guint       interval_ms);

G_END_DECLS
