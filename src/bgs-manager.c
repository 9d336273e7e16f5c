/* SPDX-License-Identifier: MIT */
/* bgs-manager.c: BgsManager, a service made of named services.
 *
 * A member counts as busy work of the manager while it is in a run (its
 * state is running, stopping or restarting), so the manager's lifecycle
 * (bgs-lifecycle.c) applies to the members as a whole the same rules a
 * service applies to its tasks: the manager's run lasts while any member's
 * does, a member's run that ended with failures is one failure of the
 * manager's run (its group, named after the member), and a member that
 * ended failed makes the manager restart every member, as its own restart
 * policy says (one for all).
 */
#include "config.h"

#include "bgs-manager.h"
#include "bgs-service-private.h"

/**
 * BgsManager:
 *
 * A service whose work is done by other services, its members, each under
 * a unique valid name (see bgs_service_name_validate()). Starting the
 * manager starts every member; cancelling, waiting for and stopping it do
 * the same to every member. The error of a failed wait holds one
 * %BGS_ERROR_TASKS_FAILED group per failed run of a member, named after
 * it. Since a manager is a service, managers nest.
 *
 * A manager's own restart policy (#BgsService:restart and the settings
 * that go with it) supervises its members as a whole: with
 * %BGS_RESTART_ON_FAILURE, a member whose run ends
 * %BGS_SERVICE_STATE_FAILED (its own policy, if any, having given up)
 * makes the manager cancel every other member and, after the delay, start
 * them all again. Members' own policies act first, so supervision trees
 * compose.
 *
 * Like any service, a manager is only started when it does not run: to
 * start the members that do not run while others do, start them one by
 * one.
 *
 * Since: 0.1
 */
struct _BgsManager
{
  BgsService   parent_instance;

  GHashTable  *members;  /* (element-type utf8 Member) (owned) */
};

G_DEFINE_FINAL_TYPE (BgsManager, bgs_manager, BGS_TYPE_SERVICE)

enum {
  SIGNAL_SERVICE_ADDED,
  SIGNAL_SERVICE_REMOVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Member: one service of the manager, and what the manager follows of it. */
typedef struct
{
  BgsManager *manager;          /* (unowned): owns this */
  BgsService *service;          /* (owned) */
  gboolean    in_run;           /* counted as busy work of the manager */
  gulong      state_handler;
  gulong      run_ended_handler;
} Member;

static BgsLifecycle *
lifecycle_of (BgsManager *self)
{
  return bgs_service_get_lifecycle (BGS_SERVICE (self));
}

static gboolean
state_is_in_run (BgsServiceState state)
{
  return state == BGS_SERVICE_STATE_RUNNING || state == BGS_SERVICE_STATE_STOPPING ||
         state == BGS_SERVICE_STATE_RESTARTING;
}

/* Counts @member as busy work of the manager while it is in a run. */
static void
set_member_in_run (Member   *member,
                   gboolean  in_run)
{
  if (in_run == member->in_run)
    return;

  member->in_run = in_run;
  if (in_run)
    bgs_lifecycle_busy (lifecycle_of (member->manager));
  else
    bgs_lifecycle_idle (lifecycle_of (member->manager));
}

static void
on_member_state (BgsService *service,
                 GParamSpec *pspec,
                 Member     *member)
{
  set_member_in_run (member, state_is_in_run (bgs_service_get_state (service)));
}

/* A member's run is over: its failures are the manager's, and a member
 * that ended failed may restart them all. */
static void
on_member_run_ended (BgsService   *service,
                     const GError *failures,
                     Member       *member)
{
  BgsLifecycle *lifecycle = lifecycle_of (member->manager);
  g_autoptr(BgsManager) manager = g_object_ref (member->manager);
  gboolean failed = bgs_service_get_state (service) == BGS_SERVICE_STATE_FAILED;

  if (failures != NULL)
    bgs_lifecycle_add_failure (lifecycle, bgs_service_get_name (service), g_error_copy (failures));
  if (failed)
    bgs_lifecycle_failed (lifecycle);
  /* @member may be gone: a handler above may have removed it. */
  member = g_hash_table_lookup (manager->members, bgs_service_get_name (service));
  if (member != NULL && member->service == service)
    set_member_in_run (member, state_is_in_run (bgs_service_get_state (service)));
}

static void
member_free (gpointer data)
{
  Member *member = data;

  g_clear_signal_handler (&member->state_handler, member->service);
  g_clear_signal_handler (&member->run_ended_handler, member->service);
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

/* ---- GObject --------------------------------------------------------- */

static void
bgs_manager_finalize (GObject *object)
{
  BgsManager *self = BGS_MANAGER (object);

  g_clear_pointer (&self->members, g_hash_table_unref);

  G_OBJECT_CLASS (bgs_manager_parent_class)->finalize (object);
}

static void
bgs_manager_class_init (BgsManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  BgsServiceClass *service_class = BGS_SERVICE_CLASS (klass);

  object_class->finalize = bgs_manager_finalize;

  service_class->start = bgs_manager_start;
  service_class->cancel = bgs_manager_cancel;

  /**
   * BgsManager::service-added:
   * @self: the manager
   * @service: the member just added
   *
   * Emitted after bgs_manager_add() added a member.
   *
   * Since: 0.1
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
   *
   * Since: 0.1
   */
  signals[SIGNAL_SERVICE_REMOVED] =
    g_signal_new ("service-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, BGS_TYPE_SERVICE);
}

static void
bgs_manager_init (BgsManager *self)
{
  self->members = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, member_free);
  lifecycle_of (self)->noun = "service";
}

/* ---- public API ------------------------------------------------------ */

/**
 * bgs_manager_new:
 * @name: (nullable): the manager's name; %NULL for the default
 *
 * Makes a manager: a service whose work is that of its members (see
 * bgs_manager_add()).
 *
 * Returns: (transfer full): a new manager without members.
 *
 * Since: 0.1
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
 * Adds @service as a member, taking a reference. Adding does not start it;
 * a member that runs is part of the manager's run from now on.
 *
 * Returns: %TRUE on success; %FALSE with %BGS_ERROR_INVALID_ARGUMENT when
 *   the name of @service is not valid (see bgs_service_name_validate()) or
 *   @service is @self or a manager holding @self, or %BGS_ERROR_EXISTS
 *   when a member has that name.
 *
 * Since: 0.1
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
  member->manager = self;
  member->service = g_object_ref (service);
  member->state_handler = g_signal_connect (service, "notify::state",
                                            G_CALLBACK (on_member_state), member);
  member->run_ended_handler = g_signal_connect (service, "run-ended",
                                                G_CALLBACK (on_member_run_ended), member);
  g_hash_table_insert (self->members, (gpointer) bgs_service_get_name (service), member);
  set_member_in_run (member, state_is_in_run (bgs_service_get_state (service)));
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
 * not stop it, but the manager no longer waits for it.
 *
 * Returns: %TRUE on success; %FALSE with %BGS_ERROR_NOT_FOUND when no
 *   member has that name.
 *
 * Since: 0.1
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

  /* No longer the manager's work: a run of the manager that only waited
   * for it ends. */
  service = g_object_ref (member->service);
  g_hash_table_steal (self->members, name);
  set_member_in_run (member, FALSE);
  member_free (member);
  g_signal_emit (self, signals[SIGNAL_SERVICE_REMOVED], 0, service);

  return TRUE;
}

/**
 * bgs_manager_lookup:
 * @self: a #BgsManager
 * @name: a member name
 *
 * Finds the member of @self named @name.
 *
 * Returns: (transfer none) (nullable): the member named @name, or %NULL.
 *
 * Since: 0.1
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
 * Lists the members of @self.
 *
 * Returns: (transfer container) (element-type BgsService): the members,
 *   sorted by name.
 *
 * Since: 0.1
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
