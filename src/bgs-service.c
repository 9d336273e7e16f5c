/* SPDX-License-Identifier: MIT */
/* bgs-service.c: BgsService, an object that owns background tasks.
 *
 * The default implementation tracks tasks in a BgsTaskSet and reports
 * them to the service's BgsLifecycle (bgs-lifecycle.c), which owns the
 * state, the runs and their failures, the waits and the restarts. This
 * file holds the GObject side: properties, signals and the public API.
 */
#include "config.h"

#include "bgs-failure.h"
#include "bgs-service-private.h"
#include "bgs-task-set.h"
#include "bgs-wire.h"

/**
 * BgsService:
 *
 * An object that owns background tasks: it starts them (in
 * #BgsServiceClass.start), tracks them, cancels them, waits for them, and
 * hands back every error they raised, aggregated in one
 * %BGS_ERROR_TASKS_FAILED error. Cancellation is never an error.
 *
 * A service belongs to the thread-default #GMainContext of the thread that
 * created it: its tasks complete there, its signals are emitted there, and
 * its functions are called from there. A running task holds a reference on
 * its service, so a service is not finalized while it runs.
 *
 * Since: 0.1
 */

typedef struct
{
  char          *name;
  GMainContext  *context;
  BgsTaskSet     tasks;
  gboolean       tasks_busy;      /* the task set counts as busy */
  gboolean       own_work_busy;   /* own work: the class says it runs */
  BgsLifecycle   lifecycle;
} BgsServicePrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (BgsService, bgs_service, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (BgsServiceState, bgs_service_state,
  G_DEFINE_ENUM_VALUE (BGS_SERVICE_STATE_STOPPED, BGS_BUS_STATE_STOPPED),
  G_DEFINE_ENUM_VALUE (BGS_SERVICE_STATE_RUNNING, BGS_BUS_STATE_RUNNING),
  G_DEFINE_ENUM_VALUE (BGS_SERVICE_STATE_STOPPING, BGS_BUS_STATE_STOPPING),
  G_DEFINE_ENUM_VALUE (BGS_SERVICE_STATE_RESTARTING, BGS_BUS_STATE_RESTARTING),
  G_DEFINE_ENUM_VALUE (BGS_SERVICE_STATE_FAILED, BGS_BUS_STATE_FAILED))

G_DEFINE_ENUM_TYPE (BgsRestartMode, bgs_restart_mode,
  G_DEFINE_ENUM_VALUE (BGS_RESTART_NO, BGS_BUS_RESTART_NO),
  G_DEFINE_ENUM_VALUE (BGS_RESTART_ON_FAILURE, BGS_BUS_RESTART_ON_FAILURE),
  G_DEFINE_ENUM_VALUE (BGS_RESTART_ALWAYS, BGS_BUS_RESTART_ALWAYS))

enum {
  PROP_0,
  PROP_NAME,
  PROP_IS_RUNNING,
  PROP_N_TASKS,
  PROP_LAST_ERROR,
  PROP_STATE,
  PROP_RESTART,
  PROP_RESTART_DELAY_MS,
  PROP_RESTART_MAX_DELAY_MS,
  PROP_START_LIMIT_BURST,
  PROP_START_LIMIT_INTERVAL_MS,
  PROP_N_RESTARTS,
  N_PROPS
};

enum {
  SIGNAL_TASK_FAILED,
  SIGNAL_RUN_ENDED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];
static guint notify_signal_id;

const char bgs_spawned_task_tag[] = "bgs-spawned-task";

static inline BgsServicePrivate *
get_priv (BgsService *self)
{
  return bgs_service_get_instance_private (self);
}

/* ---- tracked tasks --------------------------------------------------- */

/* Properties that change with every task or restart (n-tasks, n-restarts,
 * last-error) are only notified when someone listens: GObject makes a
 * notification costly. A handler of every notification ("notify" without
 * a detail) listens too, though g_signal_has_handler_pending() only counts
 * it for detail 0; one lookup for any notify handler keeps the usual case,
 * no handler, as cheap as a single check. */
static void
notify_if_listened (BgsService *self,
                    GParamSpec *pspec)
{
  if (g_signal_handler_find (self, G_SIGNAL_MATCH_ID, notify_signal_id, 0,
                             NULL, NULL, NULL) == 0)
    return;

  if (g_signal_has_handler_pending (self, notify_signal_id,
                                    g_param_spec_get_name_quark (pspec), FALSE) ||
      g_signal_has_handler_pending (self, notify_signal_id, 0, FALSE))
    g_object_notify_by_pspec (G_OBJECT (self), pspec);
}

/* The task set is busy while it is not empty; tells the lifecycle when
 * that changes. */
static void
sync_tasks_busy (BgsService *self)
{
  BgsServicePrivate *priv = get_priv (self);
  gboolean busy = bgs_task_set_size (&priv->tasks) > 0;

  if (busy == priv->tasks_busy)
    return;

  priv->tasks_busy = busy;
  if (busy)
    bgs_lifecycle_busy (&priv->lifecycle);
  else
    bgs_lifecycle_idle (&priv->lifecycle);
}

/* Collects @error for the run and the next wait, tells task-failed
 * listeners, then lets the restart policy act. */
static void
record_failure (BgsService   *self,
                GTask        *task,
                const GError *error)
{
  BgsServicePrivate *priv = get_priv (self);

  g_debug ("%s: task %s failed: %s", priv->name, g_task_get_name (task),
           error->message);
  bgs_lifecycle_add_failure (&priv->lifecycle, g_task_get_name (task), g_error_copy (error));
  g_signal_emit (self, signals[SIGNAL_TASK_FAILED], 0, task, error);
  bgs_lifecycle_failed (&priv->lifecycle);
}

/* The completion callback of every tracked task; @user_data is its slot. */
static void
on_tracked_task_done (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  BgsService *self = BGS_SERVICE (source);
  BgsServicePrivate *priv = get_priv (self);
  GTask *task = G_TASK (result);
  gsize slot = GPOINTER_TO_SIZE (user_data);
  g_autoptr(GError) error = NULL;
  gboolean failed;

  /* Ends a spawned task's closure here, on the service's context. */
  if (g_task_get_source_tag (task) == bgs_spawned_task_tag)
    g_task_set_task_data (task, NULL, NULL);

  if (g_task_had_error (task))
    g_task_propagate_pointer (task, &error);

  failed = error != NULL && !bgs_error_is_cancellation (error);
  if (failed)
    bgs_task_set_ensure_name (&priv->tasks, slot, "task");

  /* Out of the set before anyone hears of it: a task-failed handler may
   * wait for the service, and must not wait for this task. GTask keeps
   * @task alive during this callback. */
  bgs_task_set_remove (&priv->tasks, slot);
  if (failed)
    record_failure (self, task, error);
  notify_if_listened (self, properties[PROP_N_TASKS]);
  sync_tasks_busy (self);
}

/*
 * Makes a task tracked by @self: its source object is @self, its cancellable
 * the current generation's, and its completion callback the service's.
 * The task completes on the service's context whichever context is the
 * thread-default one now.
 *
 * A task without @name gets "@default_prefix-N", N counting the service's
 * tasks. With a NULL @default_prefix, it is only named when the library
 * reports it (see bgs_service_task_new() for why).
 */
GTask *
bgs_service_track_new_task (BgsService *self,
                            const char *name,
                            const char *default_prefix,
                            gpointer    source_tag)
{
  BgsServicePrivate *priv = get_priv (self);
  GCancellable *cancellable = bgs_task_set_cancellable (&priv->tasks);
  GMainContext *current = g_main_context_get_thread_default ();
  gboolean foreign_context = (current != NULL ? current : g_main_context_default ()) != priv->context;
  gsize slot = bgs_task_set_reserve (&priv->tasks);
  guint64 serial;
  GTask *task;

  if (G_UNLIKELY (foreign_context))
    g_main_context_push_thread_default (priv->context);
  task = g_task_new (self, cancellable, on_tracked_task_done, GSIZE_TO_POINTER (slot));
  if (G_UNLIKELY (foreign_context))
    g_main_context_pop_thread_default (priv->context);

  /* Errors must reach the service even when the task was cancelled. */
  g_task_set_check_cancellable (task, FALSE);
  (g_task_set_source_tag) (task, source_tag);

  serial = bgs_task_set_fill (&priv->tasks, slot, task);
  if (name != NULL)
    g_task_set_name (task, name);
  else if (default_prefix != NULL)
    bgs_task_name_default (task, default_prefix, serial);

  notify_if_listened (self, properties[PROP_N_TASKS]);
  sync_tasks_busy (self);

  return task;
}

/* ---- the default implementation --------------------------------------- */

/* A run is under way: tasks run or a restart is pending. */
static gboolean
bgs_service_real_is_running (BgsService *self)
{
  return get_priv (self)->lifecycle.in_run;
}

static void
bgs_service_real_cancel (BgsService *self,
                         const char *message)
{
  BgsServicePrivate *priv = get_priv (self);

  if (bgs_task_set_size (&priv->tasks) == 0)
    return;

  g_debug ("%s: cancelling %u tasks%s%s", priv->name,
           bgs_task_set_size (&priv->tasks),
           message != NULL ? ": " : "", message != NULL ? message : "");
  bgs_task_set_cancel (&priv->tasks);
}

/* The waits of the lifecycle: they complete when the run ends. */
static void
bgs_service_real_wait_async (BgsService          *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  bgs_lifecycle_wait_async (&get_priv (self)->lifecycle, cancellable, callback, user_data);
}

static gboolean
bgs_service_real_wait_finish (BgsService    *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Own work: follows is-running, which the class notifies, as the busy
 * state of its work. */
static void
bgs_service_dispatch_properties_changed (GObject     *object,
                                         guint        n_pspecs,
                                         GParamSpec **pspecs)
{
  BgsService *self = BGS_SERVICE (object);
  BgsServicePrivate *priv = get_priv (self);

  G_OBJECT_CLASS (bgs_service_parent_class)->dispatch_properties_changed (object, n_pspecs, pspecs);

  if (!priv->lifecycle.own_work)
    return;

  for (guint i = 0; i < n_pspecs; i++)
    if (pspecs[i] == properties[PROP_IS_RUNNING])
      {
        gboolean busy = BGS_SERVICE_GET_CLASS (self)->is_running (self);

        if (busy != priv->own_work_busy)
          {
            priv->own_work_busy = busy;
            if (busy)
              bgs_lifecycle_busy (&priv->lifecycle);
            else
              bgs_lifecycle_idle (&priv->lifecycle);
          }
        break;
      }
}

/* ---- GObject --------------------------------------------------------- */

static void
bgs_service_constructed (GObject *object)
{
  BgsService *self = BGS_SERVICE (object);
  BgsServicePrivate *priv = get_priv (self);
  BgsServiceClass *klass = BGS_SERVICE_GET_CLASS (self);

  G_OBJECT_CLASS (bgs_service_parent_class)->constructed (object);

  /* As Python's id(): the decimal address of the instance. */
  if (priv->name == NULL)
    priv->name = g_strdup_printf ("%" G_GUINTPTR_FORMAT, (guintptr) object);

  /* Known only now: during instance init, the class is still the base's. */
  priv->lifecycle.collects = klass->wait_async != bgs_service_real_wait_async;
  priv->lifecycle.own_work = priv->lifecycle.collects ||
                             klass->is_running != bgs_service_real_is_running;
}

static void
bgs_service_finalize (GObject *object)
{
  BgsServicePrivate *priv = get_priv (BGS_SERVICE (object));

  bgs_task_set_clear (&priv->tasks);
  bgs_lifecycle_clear (&priv->lifecycle);
  g_clear_pointer (&priv->context, g_main_context_unref);
  g_clear_pointer (&priv->name, g_free);

  G_OBJECT_CLASS (bgs_service_parent_class)->finalize (object);
}

static void
bgs_service_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  BgsService *self = BGS_SERVICE (object);
  BgsLifecycle *lifecycle = &get_priv (self)->lifecycle;

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, bgs_service_get_name (self));
      break;
    case PROP_IS_RUNNING:
      g_value_set_boolean (value, bgs_service_is_running (self));
      break;
    case PROP_N_TASKS:
      g_value_set_uint (value, bgs_service_get_n_tasks (self));
      break;
    case PROP_LAST_ERROR:
      g_value_set_boxed (value, bgs_lifecycle_peek_last_error (lifecycle));
      break;
    case PROP_STATE:
      g_value_set_enum (value, bgs_service_get_state (self));
      break;
    case PROP_RESTART:
      g_value_set_enum (value, lifecycle->policy.mode);
      break;
    case PROP_RESTART_DELAY_MS:
      g_value_set_uint (value, lifecycle->policy.delay_ms);
      break;
    case PROP_RESTART_MAX_DELAY_MS:
      g_value_set_uint (value, lifecycle->policy.max_delay_ms);
      break;
    case PROP_START_LIMIT_BURST:
      g_value_set_uint (value, lifecycle->policy.burst);
      break;
    case PROP_START_LIMIT_INTERVAL_MS:
      g_value_set_uint (value, lifecycle->policy.interval_ms);
      break;
    case PROP_N_RESTARTS:
      g_value_set_uint (value, lifecycle->n_restarts);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bgs_service_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  BgsService *self = BGS_SERVICE (object);

  switch (prop_id)
    {
    case PROP_NAME:
      get_priv (self)->name = g_value_dup_string (value);
      break;
    case PROP_RESTART:
      bgs_service_set_restart (self, g_value_get_enum (value));
      break;
    case PROP_RESTART_DELAY_MS:
      bgs_service_set_restart_delay_ms (self, g_value_get_uint (value));
      break;
    case PROP_RESTART_MAX_DELAY_MS:
      bgs_service_set_restart_max_delay_ms (self, g_value_get_uint (value));
      break;
    case PROP_START_LIMIT_BURST:
      bgs_service_set_start_limit_burst (self, g_value_get_uint (value));
      break;
    case PROP_START_LIMIT_INTERVAL_MS:
      bgs_service_set_start_limit_interval_ms (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* The properties of the restart policy. */
static void
install_restart_properties (void)
{
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  const BgsRestartPolicy defaults = BGS_RESTART_POLICY_DEFAULT;

  /**
   * BgsService:restart:
   *
   * When the service starts itself again after a run ended without
   * anyone cancelling it: never (the default), after a task failed, or
   * always. Only services that track their tasks in the base class
   * restart (and #BgsManager, which restarts its members as a whole).
   *
   * Since: 0.1
   */
  properties[PROP_RESTART] =
    g_param_spec_enum ("restart", NULL, NULL, BGS_TYPE_RESTART_MODE, defaults.mode, flags);

  /**
   * BgsService:restart-delay-ms:
   *
   * How long to wait, once the tasks of a failed run have ended, before
   * the first automatic restart, in milliseconds. Default 100.
   *
   * Since: 0.1
   */
  properties[PROP_RESTART_DELAY_MS] =
    g_param_spec_uint ("restart-delay-ms", NULL, NULL, 0, G_MAXUINT, defaults.delay_ms, flags);

  /**
   * BgsService:restart-max-delay-ms:
   *
   * 0 (the default): every restart waits #BgsService:restart-delay-ms.
   * Otherwise the delay doubles at each restart of a run, up to this many
   * milliseconds. A value below #BgsService:restart-delay-ms caps the
   * first delay too: every restart then waits this long.
   *
   * Since: 0.1
   */
  properties[PROP_RESTART_MAX_DELAY_MS] =
    g_param_spec_uint ("restart-max-delay-ms", NULL, NULL, 0, G_MAXUINT,
                       defaults.max_delay_ms, flags);

  /**
   * BgsService:start-limit-burst:
   *
   * At most this many automatic restarts within
   * #BgsService:start-limit-interval-ms; the one after that does not
   * happen, and the service ends %BGS_SERVICE_STATE_FAILED. 0 allows none.
   * Default 5.
   *
   * Since: 0.1
   */
  properties[PROP_START_LIMIT_BURST] =
    g_param_spec_uint ("start-limit-burst", NULL, NULL, 0, G_MAXUINT, defaults.burst, flags);

  /**
   * BgsService:start-limit-interval-ms:
   *
   * The window of #BgsService:start-limit-burst, in milliseconds; 0 means
   * no limit. Default 10000.
   *
   * Since: 0.1
   */
  properties[PROP_START_LIMIT_INTERVAL_MS] =
    g_param_spec_uint ("start-limit-interval-ms", NULL, NULL, 0, G_MAXUINT,
                       defaults.interval_ms, flags);

  /**
   * BgsService:n-restarts:
   *
   * How many automatic restarts happened since the service was last
   * started by hand (bgs_service_start() on a service that did not run)
   * or reset (bgs_service_reset_failed()).
   *
   * Since: 0.1
   */
  properties[PROP_N_RESTARTS] =
    g_param_spec_uint ("n-restarts", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
}

static void
bgs_service_class_init (BgsServiceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = bgs_service_constructed;
  object_class->finalize = bgs_service_finalize;
  object_class->get_property = bgs_service_get_property;
  object_class->set_property = bgs_service_set_property;
  object_class->dispatch_properties_changed = bgs_service_dispatch_properties_changed;

  klass->is_running = bgs_service_real_is_running;
  klass->cancel = bgs_service_real_cancel;
  klass->wait_async = bgs_service_real_wait_async;
  klass->wait_finish = bgs_service_real_wait_finish;

  /**
   * BgsService:name:
   *
   * The name of the service. When none is given, the decimal address of
   * the instance, as Python's id() would give.
   *
   * Since: 0.1
   */
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_STATIC_STRINGS);

  /**
   * BgsService:is-running:
   *
   * Whether the service runs: by default, whether a run is under way (a
   * task of it has not completed yet, or a restart is pending). Notified
   * on every change.
   *
   * Since: 0.1
   */
  properties[PROP_IS_RUNNING] =
    g_param_spec_boolean ("is-running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * BgsService:n-tasks:
   *
   * How many tasks the service tracks now. Notified on every change.
   *
   * Since: 0.1
   */
  properties[PROP_N_TASKS] =
    g_param_spec_uint ("n-tasks", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * BgsService:last-error:
   *
   * Every failure of the most recent run, automatic restarts included, as
   * one %BGS_ERROR_TASKS_FAILED group; %NULL after a run without failures.
   * Set when a restart is coming (so a restarting service tells why) and
   * when a run ends, whether or not anyone waits; reading it consumes
   * nothing. Bindings, which cannot see
   * inside a group, read the same failures with
   * bgs_service_get_last_failures().
   *
   * Since: 0.1
   */
  properties[PROP_LAST_ERROR] =
    g_param_spec_boxed ("last-error", NULL, NULL, G_TYPE_ERROR,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * BgsService:state:
   *
   * What the service is doing (see #BgsServiceState). Notified when it
   * changes; bgs_service_get_state_timestamp() tells when.
   *
   * Since: 0.1
   */
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, BGS_TYPE_SERVICE_STATE,
                       BGS_SERVICE_STATE_STOPPED,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  install_restart_properties ();
  g_object_class_install_properties (object_class, N_PROPS, properties);
  notify_signal_id = g_signal_lookup ("notify", G_TYPE_OBJECT);

  /**
   * BgsService::task-failed:
   * @self: the service
   * @task: the task that failed
   * @error: its error, never a %G_IO_ERROR_CANCELLED
   *
   * Emitted on the service's context as soon as a task ends with an error
   * other than a cancellation, before the restart policy acts on it. The
   * error is also kept for last-error and the next wait or stop.
   *
   * Since: 0.1
   */
  signals[SIGNAL_TASK_FAILED] =
    g_signal_new ("task-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  G_TYPE_TASK, G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);

  /**
   * BgsService::run-ended:
   * @self: the service
   * @failures: (nullable): every failure of the run, restarts included, as
   *   a %BGS_ERROR_TASKS_FAILED group; %NULL when there was none
   *
   * Emitted on the service's context when a run ends: no task remains and
   * no restart follows. The state (stopped or failed) and last-error are
   * already those the run left; their notifications and the completion of
   * pending waits follow the emission.
   *
   * Since: 0.1
   */
  signals[SIGNAL_RUN_ENDED] =
    g_signal_new ("run-ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
bgs_service_init (BgsService *self)
{
  BgsServicePrivate *priv = get_priv (self);

  priv->context = g_main_context_ref_thread_default ();
  bgs_task_set_init (&priv->tasks);
  bgs_lifecycle_init (&priv->lifecycle, self, priv->context);
}

/* ---- what other library files use ------------------------------------- */

BgsLifecycle *
bgs_service_get_lifecycle (BgsService *self)
{
  return &get_priv (self)->lifecycle;
}

void
bgs_service_notify_change (BgsService       *self,
                           BgsServiceChange  change)
{
  switch (change)
    {
    case BGS_SERVICE_CHANGE_IS_RUNNING:
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IS_RUNNING]);
      break;
    case BGS_SERVICE_CHANGE_STATE:
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
      break;
    case BGS_SERVICE_CHANGE_LAST_ERROR:
      notify_if_listened (self, properties[PROP_LAST_ERROR]);
      break;
    case BGS_SERVICE_CHANGE_N_RESTARTS:
      notify_if_listened (self, properties[PROP_N_RESTARTS]);
      break;
    }
}

void
bgs_service_emit_run_ended (BgsService   *self,
                            const GError *failures)
{
  g_signal_emit (self, signals[SIGNAL_RUN_ENDED], 0, failures);
}

/* ---- public API ------------------------------------------------------ */

/**
 * bgs_service_get_name:
 * @self: a #BgsService
 *
 * Gets the name of @self (see #BgsService:name).
 *
 * Returns: (transfer none): the name of @self.
 *
 * Since: 0.1
 */
const char *
bgs_service_get_name (BgsService *self)
{
  g_return_val_if_fail (BGS_IS_SERVICE (self), NULL);

  return get_priv (self)->name;
}

/**
 * bgs_service_get_context:
 * @self: a #BgsService
 *
 * Gets the context the service belongs to: the thread-default context of
 * the thread that created it.
 *
 * Returns: (transfer none): the #GMainContext of @self.
 *
 * Since: 0.1
 */
GMainContext *
bgs_service_get_context (BgsService *self)
{
  g_return_val_if_fail (BGS_IS_SERVICE (self), NULL);

  return get_priv (self)->context;
}

/**
 * bgs_service_is_running:
 * @self: a #BgsService
 *
 * Tells whether @self runs.
 *
 * Returns: whether @self runs (see #BgsService:is-running).
 *
 * Since: 0.1
 */
gboolean
bgs_service_is_running (BgsService *self)
{
  g_return_val_if_fail (BGS_IS_SERVICE (self), FALSE);

  return BGS_SERVICE_GET_CLASS (self)->is_running (self);
}

/**
 * bgs_service_get_state:
 * @self: a #BgsService
 *
 * Gets what @self is doing.
 *
 * Returns: what @self is doing (see #BgsService:state).
 *
 * Since: 0.1
 */
BgsServiceState
bgs_service_get_state (BgsService *self)
{
  g_return_val_if_fail (BGS_IS_SERVICE (self), BGS_SERVICE_STATE_STOPPED);

  return bgs_lifecycle_get_state (&get_priv (self)->lifecycle);
}

/**
 * bgs_service_get_state_timestamp:
 * @self: a #BgsService
 *
 * Gets when #BgsService:state last changed, as g_get_real_time() gives
 * time: microseconds since the epoch.
 *
 * Returns: the time of the last change of state, or 0 when the state never
 *   changed.
 *
 * Since: 0.1
 */
gint64
bgs_service_get_state_timestamp (BgsService *self)
{
  g_return_val_if_fail (BGS_IS_SERVICE (self), 0);

  return get_priv (self)->lifecycle.state_time;
}

/**
 * bgs_service_get_n_tasks:
 * @self: a #BgsService
 *
 * Gets how many tasks @self tracks (see #BgsService:n-tasks).
 *
 * Returns: how many tasks @self tracks now.
 *
 * Since: 0.1
 */
guint
bgs_service_get_n_tasks (BgsService *self)
{
  g_return_val_if_fail (BGS_IS_SERVICE (self), 0);

  return bgs_task_set_size (&get_priv (self)->tasks);
}

/**
 * bgs_service_get_tasks:
 * @self: a #BgsService
 *
 * Lists the tasks @self tracks now. Tasks created without a name get
 * their default name here.
 *
 * Returns: (transfer container) (element-type GTask): the tasks.
 *
 * Since: 0.1
 */
GPtrArray *
bgs_service_get_tasks (BgsService *self)
{
  g_return_val_if_fail (BGS_IS_SERVICE (self), NULL);

  return bgs_task_set_snapshot (&get_priv (self)->tasks, "task");
}

/**
 * bgs_service_to_string:
 * @self: a #BgsService
 *
 * Describes @self for logs and messages: its type and its name.
 *
 * Returns: (transfer full): `TypeName[name]`, such as
 *   `BgsManager[bgserviced]`.
 *
 * Since: 0.1
 */
char *
bgs_service_to_string (BgsService *self)
{
  g_return_val_if_fail (BGS_IS_SERVICE (self), NULL);

  return g_strdup_printf ("%s[%s]", G_OBJECT_TYPE_NAME (self), get_priv (self)->name);
}

/**
 * bgs_service_dup_last_error:
 * @self: a #BgsService
 *
 * Gets every failure of the most recent run of @self, automatic restarts
 * included, as one %BGS_ERROR_TASKS_FAILED group.
 *
 * Returns: (transfer full) (nullable): a copy of #BgsService:last-error.
 *
 * Since: 0.1
 */
GError *
bgs_service_dup_last_error (BgsService *self)
{
  const GError *last;

  g_return_val_if_fail (BGS_IS_SERVICE (self), NULL);

  last = bgs_lifecycle_peek_last_error (&get_priv (self)->lifecycle);
  return last != NULL ? g_error_copy (last) : NULL;
}

/**
 * bgs_service_get_last_failures:
 * @self: a #BgsService
 *
 * Lists every failure of the most recent run, automatic restarts
 * included: the failures #BgsService:last-error groups, as values that
 * language bindings can read (a #GError's group cannot cross into them).
 *
 * Returns: (transfer container) (element-type BgsFailure): the failures, oldest
 *   first; empty after a run without failures. g_ptr_array_unref() frees
 *   the array and releases the failures with it.
 *
 * Since: 0.1
 */
GPtrArray *
bgs_service_get_last_failures (BgsService *self)
{
  const GError *last;

  g_return_val_if_fail (BGS_IS_SERVICE (self), NULL);

  last = bgs_lifecycle_peek_last_error (&get_priv (self)->lifecycle);
  if (last == NULL)
    return g_ptr_array_new_with_free_func ((GDestroyNotify) bgs_failure_unref);
  return bgs_error_list_failures (last, get_priv (self)->name);
}

/**
 * bgs_service_get_n_restarts:
 * @self: a #BgsService
 *
 * Gets how many automatic restarts @self made since it was last started
 * by hand.
 *
 * Returns: the number of automatic restarts since @self was last started
 *   by hand (see #BgsService:n-restarts).
 *
 * Since: 0.1
 */
guint
bgs_service_get_n_restarts (BgsService *self)
{
  g_return_val_if_fail (BGS_IS_SERVICE (self), 0);

  return get_priv (self)->lifecycle.n_restarts;
}

/**
 * bgs_service_reset_failed:
 * @self: a #BgsService
 *
 * Makes a %BGS_SERVICE_STATE_FAILED service %BGS_SERVICE_STATE_STOPPED,
 * with no last error and no restarts counted, as an operator does once
 * the failure is dealt with. Does nothing to a service in any other state,
 * running ones included. The failures still reach the next wait or stop
 * that has not reported them.
 *
 * Since: 0.1
 */
void
bgs_service_reset_failed (BgsService *self)
{
  g_return_if_fail (BGS_IS_SERVICE (self));

  bgs_lifecycle_reset_failed (&get_priv (self)->lifecycle);
}

/* ---- restart policy ---------------------------------------------------- */

/**
 * bgs_service_get_restart:
 * @self: a #BgsService
 *
 * Gets when @self starts itself again.
 *
 * Returns: when @self restarts (see #BgsService:restart).
 *
 * Since: 0.1
 */
BgsRestartMode
bgs_service_get_restart (BgsService *self)
{
  g_return_val_if_fail (BGS_IS_SERVICE (self), BGS_RESTART_NO);

  return get_priv (self)->lifecycle.policy.mode;
}

/* Sets one setting of the restart policy; notifies @prop when it changed. */
static void
set_policy_value (BgsService *self,
                  guint      *field,
                  guint       value,
                  guint       prop)
{
  if (*field == value)
    return;

  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

/**
 * bgs_service_set_restart:
 * @self: a #BgsService
 * @mode: when @self should restart
 *
 * Sets #BgsService:restart. A run under way follows the new mode from its
 * next failure or end on.
 *
 * Since: 0.1
 */
void
bgs_service_set_restart (BgsService     *self,
                         BgsRestartMode  mode)
{
  BgsRestartPolicy *policy;

  g_return_if_fail (BGS_IS_SERVICE (self));
  g_return_if_fail (mode <= BGS_RESTART_ALWAYS);

  policy = &get_priv (self)->lifecycle.policy;
  if (policy->mode == mode)
    return;

  policy->mode = mode;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RESTART]);
}

/**
 * bgs_service_get_restart_delay_ms:
 * @self: a #BgsService
 *
 * Gets how long @self waits before its first automatic restart.
 *
 * Returns: #BgsService:restart-delay-ms.
 *
 * Since: 0.1
 */
guint
bgs_service_get_restart_delay_ms (BgsService *self)
{
  g_return_val_if_fail (BGS_IS_SERVICE (self), 0);

  return get_priv (self)->lifecycle.policy.delay_ms;
}

/**
 * bgs_service_set_restart_delay_ms:
 * @self: a #BgsService
 * @delay_ms: milliseconds before the first automatic restart
 *
 * Sets #BgsService:restart-delay-ms.
 *
 * Since: 0.1
 */
void
bgs_service_set_restart_delay_ms (BgsService *self,
                                  guint       delay_ms)
{
  g_return_if_fail (BGS_IS_SERVICE (self));

  set_policy_value (self, &get_priv (self)->lifecycle.policy.delay_ms, delay_ms,
                    PROP_RESTART_DELAY_MS);
}

/**
 * bgs_service_get_restart_max_delay_ms:
 * @self: a #BgsService
 *
 * Gets the longest delay before an automatic restart of @self; 0 when
 * the delay does not grow.
 *
 * Returns: #BgsService:restart-max-delay-ms.
 *
 * Since: 0.1
 */
guint
bgs_service_get_restart_max_delay_ms (BgsService *self)
{
  g_return_val_if_fail (BGS_IS_SERVICE (self), 0);

  return get_priv (self)->lifecycle.policy.max_delay_ms;
}

/**
 * bgs_service_set_restart_max_delay_ms:
 * @self: a #BgsService
 * @max_delay_ms: the longest restart delay; 0 for no backoff
 *
 * Sets #BgsService:restart-max-delay-ms: the restart delay doubles at
 * each restart up to @max_delay_ms. A value below
 * #BgsService:restart-delay-ms is not an error: it caps every delay.
 *
 * Since: 0.1
 */
void
bgs_service_set_restart_max_delay_ms (BgsService *self,
                                      guint       max_delay_ms)
{
  g_return_if_fail (BGS_IS_SERVICE (self));

  set_policy_value (self, &get_priv (self)->lifecycle.policy.max_delay_ms, max_delay_ms,
                    PROP_RESTART_MAX_DELAY_MS);
}

/**
 * bgs_service_get_start_limit_burst:
 * @self: a #BgsService
 *
 * Gets how many automatic restarts the start limit of @self allows.
 *
 * Returns: #BgsService:start-limit-burst.
 *
 * Since: 0.1
 */
guint
bgs_service_get_start_limit_burst (BgsService *self)
{
  g_return_val_if_fail (BGS_IS_SERVICE (self), 0);

  return get_priv (self)->lifecycle.policy.burst;
}

/**
 * bgs_service_set_start_limit_burst:
 * @self: a #BgsService
 * @burst: automatic restarts allowed within the start limit's interval
 *
 * Sets #BgsService:start-limit-burst.
 *
 * Since: 0.1
 */
void
bgs_service_set_start_limit_burst (BgsService *self,
                                   guint       burst)
{
  g_return_if_fail (BGS_IS_SERVICE (self));

  set_policy_value (self, &get_priv (self)->lifecycle.policy.burst, burst,
                    PROP_START_LIMIT_BURST);
}

/**
 * bgs_service_get_start_limit_interval_ms:
 * @self: a #BgsService
 *
 * Gets the window in which the start limit of @self counts restarts.
 *
 * Returns: #BgsService:start-limit-interval-ms.
 *
 * Since: 0.1
 */
guint
bgs_service_get_start_limit_interval_ms (BgsService *self)
{
  g_return_val_if_fail (BGS_IS_SERVICE (self), 0);

  return get_priv (self)->lifecycle.policy.interval_ms;
}

/**
 * bgs_service_set_start_limit_interval_ms:
 * @self: a #BgsService
 * @interval_ms: the start limit's window in milliseconds; 0 for no limit
 *
 * Sets #BgsService:start-limit-interval-ms.
 *
 * Since: 0.1
 */
void
bgs_service_set_start_limit_interval_ms (BgsService *self,
                                         guint       interval_ms)
{
  g_return_if_fail (BGS_IS_SERVICE (self));

  set_policy_value (self, &get_priv (self)->lifecycle.policy.interval_ms, interval_ms,
                    PROP_START_LIMIT_INTERVAL_MS);
}

/**
 * bgs_service_start:
 * @self: a #BgsService
 *
 * Starts @self by calling #BgsServiceClass.start, unless it already runs
 * (a pending automatic restart counts as running). A start by hand sets
 * #BgsService:n-restarts back to 0 and gives the start limit a fresh
 * window; it also starts a %BGS_SERVICE_STATE_FAILED service.
 *
 * Since: 0.1
 */
void
bgs_service_start (BgsService *self)
{
  BgsServiceClass *klass;

  g_return_if_fail (BGS_IS_SERVICE (self));

  klass = BGS_SERVICE_GET_CLASS (self);
  if (klass->start == NULL)
    {
      g_critical ("%s does not implement BgsServiceClass.start", G_OBJECT_TYPE_NAME (self));
      return;
    }

  if (bgs_service_is_running (self))
    return;

  bgs_lifecycle_will_start (&get_priv (self)->lifecycle);
  klass->start (self);
}

/**
 * bgs_service_cancel:
 * @self: a #BgsService
 * @message: (nullable): why, for the logs
 *
 * Cancels every task @self tracks at this moment; tasks created later are
 * not affected. Cancelled tasks end without error. The run will not
 * restart, and a pending restart is dropped.
 *
 * Since: 0.1
 */
void
bgs_service_cancel (BgsService *self,
                    const char *message)
{
  g_return_if_fail (BGS_IS_SERVICE (self));

  bgs_lifecycle_cancel (&get_priv (self)->lifecycle);
  BGS_SERVICE_GET_CLASS (self)->cancel (self, message);
}

/**
 * bgs_service_wait_async:
 * @self: a #BgsService
 * @cancellable: (nullable): cancels the waiting, not the tasks
 * @callback: (scope async): called when the run ends
 * @user_data: (closure): data for @callback
 *
 * Waits until the current run of @self ends: no task left (tasks created
 * while waiting included) and no restart pending. Completes at once when
 * no run is under way. Every wait pending at that moment completes with
 * the same result: every failure since the last completed wait, of every
 * run and restart, in order (at most 1,000: a group keeps the newest).
 *
 * Since: 0.1
 */
void
bgs_service_wait_async (BgsService          *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_return_if_fail (BGS_IS_SERVICE (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  /* A task-failed handler waits with the failed task out of the set. */
  sync_tasks_busy (self);
  bgs_lifecycle_wait_async (&get_priv (self)->lifecycle, cancellable, callback, user_data);
}

/**
 * bgs_service_wait_finish:
 * @self: a #BgsService
 * @result: the #GAsyncResult given to the callback
 * @error: return location for an error
 *
 * Finishes bgs_service_wait_async().
 *
 * Returns: %TRUE when nothing failed. Otherwise %FALSE with @error set to
 *   a %BGS_ERROR_TASKS_FAILED group, or to %G_IO_ERROR_CANCELLED when the
 *   waiting was cancelled (the failures then wait for the next wait).
 *
 * Since: 0.1
 */
gboolean
bgs_service_wait_finish (BgsService    *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (BGS_IS_SERVICE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == bgs_service_wait_async, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/*
 * The synchronous wait (@stop FALSE) or stop: starts it with the service's
 * context as the thread-default one, and iterates that context until it
 * completes. Returns its result.
 */
static GAsyncResult *
run_to_completion (BgsService   *self,
                   gboolean      stop,
                   const char   *message,
                   GCancellable *cancellable)
{
  GMainContext *context = get_priv (self)->context;
  GAsyncResult *result = NULL;

  g_main_context_push_thread_default (context);
  if (stop)
    bgs_service_stop_async (self, message, cancellable, store_result, &result);
  else
    bgs_service_wait_async (self, cancellable, store_result, &result);
  while (result == NULL)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);

  return result;
}

/**
 * bgs_service_wait:
 * @self: a #BgsService
 * @cancellable: (nullable): cancels the waiting, not the tasks
 * @error: return location for an error
 *
 * The synchronous bgs_service_wait_async(): iterates the service's context
 * until the wait completes.
 *
 * Returns: as bgs_service_wait_finish().
 *
 * Since: 0.1
 */
gboolean
bgs_service_wait (BgsService    *self,
                  GCancellable  *cancellable,
                  GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (BGS_IS_SERVICE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  result = run_to_completion (self, FALSE, NULL, cancellable);
  return bgs_service_wait_finish (self, result, error);
}

static void
on_stop_waited (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (bgs_service_wait_finish (BGS_SERVICE (source), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/**
 * bgs_service_stop_async:
 * @self: a #BgsService
 * @message: (nullable): why, for the logs
 * @cancellable: (nullable): cancels the waiting, not the tasks
 * @callback: (scope async): called when the service stopped
 * @user_data: (closure): data for @callback
 *
 * Cancels @self, then waits for it: bgs_service_cancel() then
 * bgs_service_wait_async(). Stopping a stopped service does nothing and
 * succeeds, unless failures are still waiting to be reported.
 *
 * Since: 0.1
 */
void
bgs_service_stop_async (BgsService          *self,
                        const char          *message,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (BGS_IS_SERVICE (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, bgs_service_stop_async);
  g_task_set_check_cancellable (task, FALSE);

  bgs_service_cancel (self, message);
  bgs_service_wait_async (self, cancellable, on_stop_waited, task);
}

/**
 * bgs_service_stop_finish:
 * @self: a #BgsService
 * @result: the #GAsyncResult given to the callback
 * @error: return location for an error
 *
 * Finishes bgs_service_stop_async().
 *
 * Returns: as bgs_service_wait_finish().
 *
 * Since: 0.1
 */
gboolean
bgs_service_stop_finish (BgsService    *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (BGS_IS_SERVICE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * bgs_service_stop:
 * @self: a #BgsService
 * @message: (nullable): why, for the logs
 * @cancellable: (nullable): cancels the waiting, not the tasks
 * @error: return location for an error
 *
 * The synchronous bgs_service_stop_async(): iterates the service's context
 * until every task has ended.
 *
 * Returns: as bgs_service_wait_finish().
 *
 * Since: 0.1
 */
gboolean
bgs_service_stop (BgsService    *self,
                  const char    *message,
                  GCancellable  *cancellable,
                  GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (BGS_IS_SERVICE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  result = run_to_completion (self, TRUE, message, cancellable);
  return bgs_service_stop_finish (self, result, error);
}
