/* bgs-manager.c: BgsManager, a service made of named services.
 *
 * The manager overrides is_running, cancel and wait the way the reference
 * class allows for services that do not track tasks themselves: it runs
 * while a member runs, and its wait waits for every member, round after
 * round, until none runs, collecting one group per failed member.
 *
 * One round at a time serves every pending wait of the manager, as the
 * task set of a service does: a member hands each of its groups over once,
 * so each failure is reported once, by the first wait that completes after
 * it, whatever waits were cancelled meanwhile.
 */
#include "config.h"

#include "bgs-manager.h"
#include "bgs-service-private.h"
#include "bgs-wait-queue.h"

/**
 * BgsManager:
 *
 * A service whose work is done by other services, its members, each under
 * a unique valid name (see bgs_service_name_validate()). Starting the
 * manager starts every member; cancelling, waiting for and stopping it do
 * the same to every member. The error of a failed wait holds one
 * %BGS_ERROR_TASKS_FAILED group per failed member, named after it. Since a
 * manager is a service, managers nest.
 *
 * Like any service, a manager is only started when it does not run: to
 * start the members that do not run while others do, start them one by
 * one.
 */
struct _BgsManager
{
  BgsService         parent_instance;

  GHashTable        *members;      /* (element-type utf8 Member) (owned) */
  gboolean           was_running;  /* as last notified */

  BgsWaitQueue       waiters;
  GCancellable      *round;        /* (owned) (nullable): set while a round runs;
                                    * cancelled when nobody waits any more */
  guint              pending;      /* member waits of the round not done */
  BgsErrorCollector  failures;     /* member groups not reported yet */
};

G_DEFINE_FINAL_TYPE (BgsManager, bgs_manager, BGS_TYPE_SERVICE)

enum {
  SIGNAL_SERVICE_ADDED,
  SIGNAL_SERVICE_REMOVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Member: one service of the manager, and the handler that follows it. */
typedef struct
{
  BgsService *service;          /* (owned) */
  gulong      running_handler;
} Member;

static void
member_free (gpointer data)
{
  Member *member = data;

  g_clear_signal_handler (&member->running_handler, member->service);
  g_object_unref (member->service);
  g_free (member);
}

static gint
compare_by_name (gconstpointer a,
                 gconstpointer b)
{
  BgsService *sa = *(BgsService * const *) a;
  BgsService *sb = *(BgsService * const *) b;

  return strcmp (bgs_service_get_name (sa), bgs_service_get_name (sb));
}

/* The members sorted by name, each with a reference: safe to walk while
 * callbacks add or remove members. */
static GPtrArray *
dup_members (BgsManager *self)
{
  GPtrArray *members = bgs_manager_list (self);

  for (guint i = 0; i < members->len; i++)
    g_object_ref (members->pdata[i]);
  g_ptr_array_set_free_func (members, g_object_unref);

  return members;
}

static gboolean
bgs_manager_is_running (BgsService *service)
{
  BgsManager *self = BGS_MANAGER (service);
  GHashTableIter iter;
  Member *member;

  g_hash_table_iter_init (&iter, self->members);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &member))
    if (bgs_service_is_running (member->service))
      return TRUE;

  return FALSE;
}

static void
update_is_running (BgsManager *self)
{
  gboolean running = bgs_manager_is_running (BGS_SERVICE (self));

  if (running == self->was_running)
    return;

  self->was_running = running;
  bgs_service_notify_is_running (BGS_SERVICE (self));
}

static void
on_member_running_changed (BgsService *member,
                           GParamSpec *pspec,
                           BgsManager *self)
{
  update_is_running (self);
}

static void
bgs_manager_start (BgsService *service)
{
  g_autoptr(GPtrArray) members = dup_members (BGS_MANAGER (service));

  for (guint i = 0; i < members->len; i++)
    bgs_service_start (members->pdata[i]);
}

static void
bgs_manager_cancel (BgsService *service,
                    const char *message)
{
  g_autoptr(GPtrArray) members = dup_members (BGS_MANAGER (service));

  for (guint i = 0; i < members->len; i++)
    bgs_service_cancel (members->pdata[i], message);
}

/* ---- waiting --------------------------------------------------------- */

static void start_round (BgsManager *self);

/*
 * Completes every pending wait with the member groups gathered, as one
 * group; each waiter gets its own copy. Waits started by the callbacks
 * start a new round.
 */
static void
complete_waiters (BgsManager *self)
{
  g_autoptr(GError) group = NULL;
  g_autofree char *owner = NULL;

  owner = bgs_service_to_string (BGS_SERVICE (self));
  group = bgs_error_collector_steal_group (&self->failures, owner, "service");
  bgs_service_set_last_error (BGS_SERVICE (self), group);
  bgs_wait_queue_complete (&self->waiters, group);
}

/* Every member wait of the round is done: wait again, or finish. */
static void
finish_round (BgsManager *self)
{
  /* A cancelled round served waits that are gone; waits that came while
   * it wound down need a round of their own. */
  if (g_cancellable_is_cancelled (self->round))
    g_clear_object (&self->round);

  if (bgs_wait_queue_is_empty (&self->waiters))
    {
      g_clear_object (&self->round);
      return;
    }

  if (bgs_manager_is_running (BGS_SERVICE (self)))
    {
      start_round (self);
      return;
    }

  g_clear_object (&self->round);
  complete_waiters (self);
}

/* A member wait is done: its group, if any, is the manager's to report.
 * A cancelled member wait leaves the member its failures. */
static void
on_member_waited (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(BgsManager) self = user_data;
  BgsService *member = BGS_SERVICE (source);
  GError *error = NULL;

  /* The collector drops cancellations. */
  if (!bgs_service_wait_finish (member, result, &error))
    bgs_error_collector_take (&self->failures, bgs_service_get_name (member), error);

  if (--self->pending == 0)
    finish_round (self);
}

/* Waits once for every member, with the round's cancellable. */
static void
start_round (BgsManager *self)
{
  g_autoptr(GPtrArray) members = dup_members (self);

  if (self->round == NULL)
    self->round = g_cancellable_new ();

  /* One more than the member waits, so that a wait completing inside
   * bgs_service_wait_async() cannot end the round before the loop does. */
  self->pending = members->len + 1;
  for (guint i = 0; i < members->len; i++)
    bgs_service_wait_async (members->pdata[i], self->round, on_member_waited,
                            g_object_ref (self));

  if (--self->pending == 0)
    finish_round (self);
}

/* Nobody waits any more: end the round. Groups already handed over stay
 * in self->failures for the next wait. */
static void
on_waits_abandoned (gpointer owner)
{
  BgsManager *self = owner;

  if (self->round != NULL)
    g_cancellable_cancel (self->round);
}

static void
bgs_manager_wait_async (BgsService          *service,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  BgsManager *self = BGS_MANAGER (service);

  bgs_wait_queue_add (&self->waiters, service, cancellable, callback, user_data,
                      bgs_manager_wait_async);

  /* A round that is winding down starts the next one when it ends. */
  if (self->round == NULL)
    start_round (self);
}

static gboolean
bgs_manager_wait_finish (BgsService    *service,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, service), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- GObject --------------------------------------------------------- */

static void
bgs_manager_finalize (GObject *object)
{
  BgsManager *self = BGS_MANAGER (object);

  /* Pending waits and rounds hold references: none is left here. */
  g_warn_if_fail (bgs_wait_queue_is_empty (&self->waiters));
  g_clear_object (&self->round);
  g_clear_pointer (&self->members, g_hash_table_unref);
  bgs_error_collector_clear (&self->failures);

  G_OBJECT_CLASS (bgs_manager_parent_class)->finalize (object);
}

static void
bgs_manager_class_init (BgsManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  BgsServiceClass *service_class = BGS_SERVICE_CLASS (klass);

  object_class->finalize = bgs_manager_finalize;

  service_class->start = bgs_manager_start;
  service_class->is_running = bgs_manager_is_running;
  service_class->cancel = bgs_manager_cancel;
  service_class->wait_async = bgs_manager_wait_async;
  service_class->wait_finish = bgs_manager_wait_finish;

  /**
   * BgsManager::service-added:
   * @self: the manager
   * @service: the member just added
   *
   * Emitted after bgs_manager_add() added a member.
   */
  signals[SIGNAL_SERVICE_ADDED] =
    g_signal_new ("service-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, BGS_TYPE_SERVICE);

  /**
   * BgsManager::service-removed:
   * @self: the manager
   * @service: the member just removed
   *
   * Emitted after bgs_manager_remove() removed a member; @service is still
   * alive during the emission.
   */
  signals[SIGNAL_SERVICE_REMOVED] =
    g_signal_new ("service-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, BGS_TYPE_SERVICE);
}

static void
bgs_manager_init (BgsManager *self)
{
  self->members = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, member_free);
  bgs_wait_queue_init (&self->waiters, bgs_service_get_context (BGS_SERVICE (self)),
                       on_waits_abandoned, self);
}

/* ---- public API ------------------------------------------------------ */

/**
 * bgs_manager_new:
 * @name: (nullable): the manager's name; %NULL for the default
 *
 * Returns: (transfer full): a new manager without members.
 */
BgsManager *
bgs_manager_new (const char *name)
{
  return g_object_new (BGS_TYPE_MANAGER, "name", name, NULL);
}

/* Whether @service is a member of @self or of a manager below it. */
static gboolean
holds_service (BgsManager *self,
               BgsService *service)
{
  GHashTableIter iter;
  Member *member;

  g_hash_table_iter_init (&iter, self->members);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &member))
    if (member->service == service ||
        (BGS_IS_MANAGER (member->service) && holds_service (BGS_MANAGER (member->service), service)))
      return TRUE;

  return FALSE;
}

/**
 * bgs_manager_add:
 * @self: a #BgsManager
 * @service: the service to add, under its name
 * @error: return location for an error
 *
 * Adds @service as a member, taking a reference. Adding does not start it.
 *
 * Returns: %TRUE on success; %FALSE with %BGS_ERROR_INVALID_ARGUMENT when
 *   the name of @service is not valid (see bgs_service_name_validate()) or
 *   @service is @self or a manager holding @self, or %BGS_ERROR_EXISTS
 *   when a member has that name.
 */
gboolean
bgs_manager_add (BgsManager  *self,
                 BgsService  *service,
                 GError     **error)
{
  const char *name;
  Member *member;

  g_return_val_if_fail (BGS_IS_MANAGER (self), FALSE);
  g_return_val_if_fail (BGS_IS_SERVICE (service), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (service == BGS_SERVICE (self) ||
      (BGS_IS_MANAGER (service) && holds_service (BGS_MANAGER (service), BGS_SERVICE (self))))
    {
      g_set_error (error, BGS_ERROR, BGS_ERROR_INVALID_ARGUMENT,
                   "%s cannot be a member of %s: it would contain itself",
                   bgs_service_get_name (service), bgs_service_get_name (BGS_SERVICE (self)));
      return FALSE;
    }

  name = bgs_service_get_name (service);
  if (!bgs_service_name_validate (name, error))
    return FALSE;

  if (g_hash_table_contains (self->members, name))
    {
      g_set_error (error, BGS_ERROR, BGS_ERROR_EXISTS,
                   "%s already has a service named “%s”; remove it first or "
                   "choose another name",
                   bgs_service_get_name (BGS_SERVICE (self)), name);
      return FALSE;
    }

  member = g_new0 (Member, 1);
  member->service = g_object_ref (service);
  member->running_handler = g_signal_connect (service, "notify::is-running",
                                              G_CALLBACK (on_member_running_changed),
                                              self);
  g_hash_table_insert (self->members, (gpointer) bgs_service_get_name (service), member);
  update_is_running (self);
  g_signal_emit (self, signals[SIGNAL_SERVICE_ADDED], 0, service);

  return TRUE;
}

/**
 * bgs_manager_remove:
 * @self: a #BgsManager
 * @name: the name of the member to remove
 * @error: return location for an error
 *
 * Removes a member and drops the manager's reference on it. Removing does
 * not stop it.
 *
 * Returns: %TRUE on success; %FALSE with %BGS_ERROR_NOT_FOUND when no
 *   member has that name.
 */
gboolean
bgs_manager_remove (BgsManager  *self,
                    const char  *name,
                    GError     **error)
{
  g_autoptr(BgsService) service = NULL;
  Member *member;

  g_return_val_if_fail (BGS_IS_MANAGER (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  member = g_hash_table_lookup (self->members, name);
  if (member == NULL)
    {
      g_set_error (error, BGS_ERROR, BGS_ERROR_NOT_FOUND,
                   "%s has no service named “%s”",
                   bgs_service_get_name (BGS_SERVICE (self)), name);
      return FALSE;
    }

  service = g_object_ref (member->service);
  g_hash_table_remove (self->members, name);
  update_is_running (self);
  g_signal_emit (self, signals[SIGNAL_SERVICE_REMOVED], 0, service);

  return TRUE;
}

/**
 * bgs_manager_lookup:
 * @self: a #BgsManager
 * @name: a member name
 *
 * Returns: (transfer none) (nullable): the member named @name, or %NULL.
 */
BgsService *
bgs_manager_lookup (BgsManager *self,
                    const char *name)
{
  Member *member;

  g_return_val_if_fail (BGS_IS_MANAGER (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  member = g_hash_table_lookup (self->members, name);
  return member != NULL ? member->service : NULL;
}

/**
 * bgs_manager_list:
 * @self: a #BgsManager
 *
 * Returns: (transfer container) (element-type BgsService): the members,
 *   sorted by name.
 */
GPtrArray *
bgs_manager_list (BgsManager *self)
{
  GPtrArray *services;
  GHashTableIter iter;
  Member *member;

  g_return_val_if_fail (BGS_IS_MANAGER (self), NULL);

  services = g_ptr_array_sized_new (g_hash_table_size (self->members));
  g_hash_table_iter_init (&iter, self->members);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &member))
    g_ptr_array_add (services, member->service);
  g_ptr_array_sort (services, compare_by_name);

  return services;
}
