/* bgs-service.c: BgsService, an object that owns background tasks.
 *
 * The default implementation tracks tasks in a BgsTaskSet, collects their
 * failures in a BgsErrorCollector, and keeps a queue of pending waits that
 * all complete when the last task ends.
 */
#include "config.h"

#include "bgs-service-private.h"
#include "bgs-task-set.h"
#include "bgs-wait-queue.h"

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
 */

typedef struct
{
  char              *name;
  GMainContext      *context;
  BgsTaskSet         tasks;
  BgsErrorCollector  failures;    /* since the last wait completed */
  BgsWaitQueue       waiters;
  GError            *last_error;  /* (nullable): result of the last wait */
  gboolean           was_running; /* as last notified for the task set */
  gboolean           cancelled;   /* cancelled since it last stopped */
  BgsServiceState    state;       /* as last notified */
} BgsServicePrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (BgsService, bgs_service, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (BgsServiceState, bgs_service_state,
  G_DEFINE_ENUM_VALUE (BGS_SERVICE_STATE_STOPPED, "stopped"),
  G_DEFINE_ENUM_VALUE (BGS_SERVICE_STATE_RUNNING, "running"),
  G_DEFINE_ENUM_VALUE (BGS_SERVICE_STATE_STOPPING, "stopping"))

enum {
  PROP_0,
  PROP_NAME,
  PROP_IS_RUNNING,
  PROP_N_TASKS,
  PROP_LAST_ERROR,
  PROP_STATE,
  N_PROPS
};

enum {
  SIGNAL_TASK_FAILED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];
static guint notify_signal_id;
static GQuark n_tasks_quark;

const char bgs_spawned_task_tag[] = "bgs-spawned-task";

static inline BgsServicePrivate *
get_priv (BgsService *self)
{
  return bgs_service_get_instance_private (self);
}

/* ---- tracked tasks --------------------------------------------------- */

static void complete_waiters (BgsService *self);

/* n-tasks changes with every task: skip the notification, which GObject
 * makes costly, when nobody listens. A handler of every notification
 * ("notify" without a detail) listens too, though
 * g_signal_has_handler_pending() only counts it for detail 0; one lookup
 * for any notify handler keeps the usual case, no handler, as cheap as a
 * single check. */
static void
notify_n_tasks (BgsService *self)
{
  if (g_signal_handler_find (self, G_SIGNAL_MATCH_ID, notify_signal_id, 0,
                             NULL, NULL, NULL) == 0)
    return;

  if (g_signal_has_handler_pending (self, notify_signal_id, n_tasks_quark, FALSE) ||
      g_signal_has_handler_pending (self, notify_signal_id, 0, FALSE))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_TASKS]);
}

static void
update_is_running (BgsService *self)
{
  BgsServicePrivate *priv = get_priv (self);
  gboolean running = bgs_task_set_size (&priv->tasks) > 0;

  if (running == priv->was_running)
    return;

  priv->was_running = running;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IS_RUNNING]);
}

/* Collects @error for the next wait, then tells task-failed listeners. */
static void
record_failure (BgsService   *self,
                GTask        *task,
                const GError *error)
{
  BgsServicePrivate *priv = get_priv (self);

  g_debug ("%s: task %s failed: %s", priv->name, g_task_get_name (task),
           error->message);
  bgs_error_collector_take (&priv->failures, g_task_get_name (task),
                            g_error_copy (error));
  g_signal_emit (self, signals[SIGNAL_TASK_FAILED], 0, task, error);
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
  notify_n_tasks (self);

  if (bgs_task_set_size (&priv->tasks) == 0)
    update_is_running (self);
  /* Handlers of the notifications above may have started tasks again. */
  if (bgs_task_set_size (&priv->tasks) == 0)
    complete_waiters (self);
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

  notify_n_tasks (self);
  update_is_running (self);

  return task;
}

/* ---- waiting --------------------------------------------------------- */

/*
 * Completes every pending wait with the failures collected so far, as one
 * group. Waits started by the callbacks wait for the next time the set
 * empties.
 */
static void
complete_waiters (BgsService *self)
{
  BgsServicePrivate *priv = get_priv (self);
  g_autoptr(GError) group = NULL;
  g_autofree char *owner = NULL;

  if (bgs_wait_queue_is_empty (&priv->waiters))
    return;

  owner = bgs_service_to_string (self);
  group = bgs_error_collector_steal_group (&priv->failures, owner, "task");
  bgs_service_set_last_error (self, group);
  bgs_wait_queue_complete (&priv->waiters, group);
}

static void
bgs_service_real_wait_async (BgsService          *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  BgsServicePrivate *priv = get_priv (self);

  bgs_wait_queue_add (&priv->waiters, self, cancellable, callback, user_data,
                      bgs_service_real_wait_async);

  if (bgs_task_set_size (&priv->tasks) == 0)
    complete_waiters (self);
}

static gboolean
bgs_service_real_wait_finish (BgsService    *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- default cancel and is_running ------------------------------------ */

static gboolean
bgs_service_real_is_running (BgsService *self)
{
  return bgs_task_set_size (&get_priv (self)->tasks) > 0;
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

/* ---- state ----------------------------------------------------------- */

static void
update_state (BgsService *self)
{
  BgsServicePrivate *priv = get_priv (self);
  BgsServiceState state = bgs_service_get_state (self);

  if (state == priv->state)
    return;

  priv->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

/*
 * Follows is-running however it is notified (subclasses that override
 * is_running notify it themselves): a service that stopped is no longer
 * on its way to stopped.
 */
static void
bgs_service_dispatch_properties_changed (GObject     *object,
                                         guint        n_pspecs,
                                         GParamSpec **pspecs)
{
  BgsService *self = BGS_SERVICE (object);

  G_OBJECT_CLASS (bgs_service_parent_class)->dispatch_properties_changed (object, n_pspecs, pspecs);

  for (guint i = 0; i < n_pspecs; i++)
    if (pspecs[i] == properties[PROP_IS_RUNNING])
      {
        if (!bgs_service_is_running (self))
          get_priv (self)->cancelled = FALSE;
        update_state (self);
        break;
      }
}

/* ---- GObject --------------------------------------------------------- */

static void
bgs_service_constructed (GObject *object)
{
  BgsServicePrivate *priv = get_priv (BGS_SERVICE (object));

  G_OBJECT_CLASS (bgs_service_parent_class)->constructed (object);

  /* As Python's id(): the decimal address of the instance. */
  if (priv->name == NULL)
    priv->name = g_strdup_printf ("%" G_GUINTPTR_FORMAT, (guintptr) object);
}

static void
bgs_service_finalize (GObject *object)
{
  BgsServicePrivate *priv = get_priv (BGS_SERVICE (object));

  bgs_task_set_clear (&priv->tasks);
  bgs_error_collector_clear (&priv->failures);
  g_clear_error (&priv->last_error);
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
      g_value_set_boxed (value, get_priv (self)->last_error);
      break;
    case PROP_STATE:
      g_value_set_enum (value, bgs_service_get_state (self));
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
  BgsServicePrivate *priv = get_priv (BGS_SERVICE (object));

  switch (prop_id)
    {
    case PROP_NAME:
      priv->name = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
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
   */
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_STATIC_STRINGS);

  /**
   * BgsService:is-running:
   *
   * Whether the service runs: by default, whether any task of it has not
   * completed yet. Notified on every change.
   */
  properties[PROP_IS_RUNNING] =
    g_param_spec_boolean ("is-running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * BgsService:n-tasks:
   *
   * How many tasks the service tracks now. Notified on every change.
   */
  properties[PROP_N_TASKS] =
    g_param_spec_uint ("n-tasks", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * BgsService:last-error:
   *
   * The %BGS_ERROR_TASKS_FAILED group that the last completed wait or stop
   * returned, or %NULL when it succeeded. Notified when it changes.
   */
  properties[PROP_LAST_ERROR] =
    g_param_spec_boxed ("last-error", NULL, NULL, G_TYPE_ERROR,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * BgsService:state:
   *
   * What the service is doing: stopped, running, or stopping (cancelled
   * and still running). Notified when it changes.
   */
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, BGS_TYPE_SERVICE_STATE,
                       BGS_SERVICE_STATE_STOPPED,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
  notify_signal_id = g_signal_lookup ("notify", G_TYPE_OBJECT);
  n_tasks_quark = g_quark_from_static_string ("n-tasks");

  /**
   * BgsService::task-failed:
   * @self: the service
   * @task: the task that failed
   * @error: its error, never a %G_IO_ERROR_CANCELLED
   *
   * Emitted on the service's context as soon as a task ends with an error
   * other than a cancellation. The error is also kept for the next wait
   * or stop.
   */
  signals[SIGNAL_TASK_FAILED] =
    g_signal_new ("task-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  G_TYPE_TASK, G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
bgs_service_init (BgsService *self)
{
  BgsServicePrivate *priv = get_priv (self);

  priv->context = g_main_context_ref_thread_default ();
  bgs_task_set_init (&priv->tasks);
  bgs_wait_queue_init (&priv->waiters, priv->context, NULL, NULL);
}

/* ---- what other library files use ------------------------------------- */

void
bgs_service_notify_is_running (BgsService *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IS_RUNNING]);
}

static gboolean
same_error (const GError *a,
            const GError *b)
{
  if (a == NULL || b == NULL)
    return a == b;

  return a->domain == b->domain && a->code == b->code && g_str_equal (a->message, b->message);
}

/* Records the result of a completed wait (NULL for success); notifies
 * last-error when it changed. */
void
bgs_service_set_last_error (BgsService   *self,
                            const GError *error)
{
  BgsServicePrivate *priv = get_priv (self);

  if (same_error (priv->last_error, error))
    return;

  g_clear_error (&priv->last_error);
  if (error != NULL)
    priv->last_error = g_error_copy (error);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ERROR]);
}

/* ---- public API ------------------------------------------------------ */

/**
 * bgs_service_get_name:
 * @self: a #BgsService
 *
 * Returns: (transfer none): the name of @self.
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
 * Returns: whether @self runs (see #BgsService:is-running).
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
 * Returns: what @self is doing (see #BgsService:state).
 */
BgsServiceState
bgs_service_get_state (BgsService *self)
{
  g_return_val_if_fail (BGS_IS_SERVICE (self), BGS_SERVICE_STATE_STOPPED);

  if (!bgs_service_is_running (self))
    return BGS_SERVICE_STATE_STOPPED;

  return get_priv (self)->cancelled ? BGS_SERVICE_STATE_STOPPING : BGS_SERVICE_STATE_RUNNING;
}

/**
 * bgs_service_get_n_tasks:
 * @self: a #BgsService
 *
 * Returns: how many tasks @self tracks now.
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
 * Returns: (transfer full): `TypeName[name]`, as Python's str() of the
 *   reference class.
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
 * Returns: (transfer full) (nullable): a copy of #BgsService:last-error.
 */
GError *
bgs_service_dup_last_error (BgsService *self)
{
  BgsServicePrivate *priv;

  g_return_val_if_fail (BGS_IS_SERVICE (self), NULL);

  priv = get_priv (self);
  return priv->last_error != NULL ? g_error_copy (priv->last_error) : NULL;
}

/**
 * bgs_service_start:
 * @self: a #BgsService
 *
 * Starts @self by calling #BgsServiceClass.start, unless it already runs.
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

  if (!bgs_service_is_running (self))
    klass->start (self);
}

/**
 * bgs_service_cancel:
 * @self: a #BgsService
 * @message: (nullable): why, for the logs
 *
 * Cancels every task @self tracks at this moment; tasks created later are
 * not affected. Cancelled tasks end without error.
 */
void
bgs_service_cancel (BgsService *self,
                    const char *message)
{
  g_return_if_fail (BGS_IS_SERVICE (self));

  if (bgs_service_is_running (self))
    get_priv (self)->cancelled = TRUE;
  BGS_SERVICE_GET_CLASS (self)->cancel (self, message);
  update_state (self);
}

/**
 * bgs_service_wait_async:
 * @self: a #BgsService
 * @cancellable: (nullable): cancels the waiting, not the tasks
 * @callback: (scope async): called when no task remains
 * @user_data: (closure): data for @callback
 *
 * Waits until @self has no task left, tasks created while waiting
 * included. Every wait pending at that moment completes with the same
 * result: the failures of the tasks since the last completed wait.
 */
void
bgs_service_wait_async (BgsService          *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_return_if_fail (BGS_IS_SERVICE (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  BGS_SERVICE_GET_CLASS (self)->wait_async (self, cancellable, callback, user_data);
}

/**
 * bgs_service_wait_finish:
 * @self: a #BgsService
 * @result: the #GAsyncResult given to the callback
 * @error: return location for an error
 *
 * Returns: %TRUE when no task failed. Otherwise %FALSE with @error set to
 *   a %BGS_ERROR_TASKS_FAILED group, or to %G_IO_ERROR_CANCELLED when the
 *   waiting was cancelled (the failures then wait for the next wait).
 */
gboolean
bgs_service_wait_finish (BgsService    *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_autoptr(GError) local = NULL;

  g_return_val_if_fail (BGS_IS_SERVICE (self), FALSE);
  g_return_val_if_fail (G_IS_ASYNC_RESULT (result), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* Whatever the class, a completed wait is the service's last result. */
  if (BGS_SERVICE_GET_CLASS (self)->wait_finish (self, result, &local))
    {
      bgs_service_set_last_error (self, NULL);
      return TRUE;
    }

  /* FALSE without an error: the class refused @result (a failed
   * g_return_val_if_fail(), such as a result of another service). No wait
   * completed, so last-error stays, and there is nothing to propagate. */
  if (local == NULL)
    return FALSE;

  if (!bgs_error_is_cancellation (local))
    bgs_service_set_last_error (self, local);
  g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
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
 * Returns: as bgs_service_wait_finish().
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
