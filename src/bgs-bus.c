/* SPDX-License-Identifier: MIT */
/* bgs-bus.c: BgsBus, a manager's services on D-Bus.
 *
 * The object owns the connection and its source on the thread-default
 * context, registers the two interfaces and the ObjectManager, and keeps
 * one BgsExportedService per member of the manager, following the
 * manager's service-added and service-removed signals.
 */
#include "config.h"

#include <unistd.h>

#include <systemd/sd-id128.h>

#include "bgs-bus-private.h"

/**
 * BgsBus:
 *
 * Exports a #BgsManager on D-Bus. Create it with bgs_bus_new_system(),
 * bgs_bus_new_session() or bgs_bus_new_for_address() on the thread and
 * context the manager belongs to, then take a well-known name with
 * bgs_bus_request_name() if clients should find it by name:
 *
 * |[<!-- language="C" -->
 *   g_autoptr(BgsBus) bus = bgs_bus_new_session (manager, &error);
 *   if (bus == NULL || !bgs_bus_request_name (bus, BGS_BUS_NAME, &error))
 *     g_error ("%s", error->message);
 * ]|
 *
 * Methods that change state are allowed to root, to the process's own
 * user, and to the users and groups given to bgs_bus_allow_uid() and
 * bgs_bus_allow_gid(). Calls that wait for their answer are limited per
 * caller and in all (bgs_bus_set_max_pending_calls()), and dropped when
 * their caller leaves the bus. Answers that could not be sent are counted
 * in the manager's `LostReplies` property. When the connection is lost the
 * #BgsBus::closed signal is emitted.
 *
 * Since: 0.1
 */

G_DEFINE_FINAL_TYPE (BgsBus, bgs_bus, G_TYPE_OBJECT)

enum {
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

enum {
  SLOT_MANAGER,
  SLOT_SERVICES,
  SLOT_ENUMERATOR,
  SLOT_OBJECT_MANAGER,
  SLOT_PATH_GUARD,
};

/* ---- members --------------------------------------------------------- */

static void
export_service (BgsBus     *self,
                BgsService *service,
                gboolean    announce)
{
  BgsExportedService *exported = bgs_exported_service_new (self, service);

  g_hash_table_replace (self->exported, (gpointer) bgs_service_get_name (service), exported);
  if (announce && bgs_bus_is_connected (self))
    sd_bus_emit_object_added (self->bus, bgs_exported_service_get_path (exported));
}

static void
unexport_service (BgsBus     *self,
                  BgsService *service)
{
  BgsExportedService *exported = g_hash_table_lookup (self->exported,
                                                      bgs_service_get_name (service));

  if (exported == NULL || bgs_exported_service_get_service (exported) != service)
    return;

  /* Announced while the object can still be found, to list its interfaces. */
  if (bgs_bus_is_connected (self))
    sd_bus_emit_object_removed (self->bus, bgs_exported_service_get_path (exported));
  g_hash_table_remove (self->exported, bgs_service_get_name (service));
}

static void
on_service_added (BgsManager *manager,
                  BgsService *service,
                  BgsBus     *self)
{
  export_service (self, service, TRUE);
}

static void
on_service_removed (BgsManager *manager,
                    BgsService *service,
                    BgsBus     *self)
{
  unexport_service (self, service);
}

/* ---- connection ------------------------------------------------------ */

static gboolean
on_connection_lost (gpointer user_data)
{
  BgsBus *self = user_data;

  g_warning ("The D-Bus connection was lost");
  g_clear_pointer (&self->source, g_source_unref);
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0);

  return G_SOURCE_REMOVE;
}

/* sd-bus could not process a message, most often for want of room to
 * queue its own answer: counted and logged as a lost answer. */
static void
on_process_error (int      negative_errno,
                  gpointer user_data)
{
  bgs_bus_count_lost_reply (user_data, NULL, negative_errno);
}

static gboolean
register_objects (BgsBus  *self,
                  GError **error)
{
  int r;

  r = bgs_bus_add_path_guard (self, &self->slots[SLOT_PATH_GUARD]);
  if (r >= 0)
    r = bgs_bus_add_manager_iface (self, &self->slots[SLOT_MANAGER]);
  if (r >= 0)
    r = bgs_bus_add_service_iface (self, &self->slots[SLOT_SERVICES],
                                   &self->slots[SLOT_ENUMERATOR]);
  if (r >= 0)
    r = sd_bus_add_object_manager (self->bus, &self->slots[SLOT_OBJECT_MANAGER],
                                   BGS_BUS_ROOT_PATH);
  if (r < 0)
    {
      bgs_bus_set_error_from_errno (error, r, "Cannot register the D-Bus objects");
      return FALSE;
    }

  return TRUE;
}

/* Takes @bus, a started connection, and exports @manager on it. */
static BgsBus *
bgs_bus_new_on (BgsManager  *manager,
                sd_bus      *bus,
                GError     **error)
{
  g_autoptr(BgsBus) self = g_object_new (BGS_TYPE_BUS, NULL);
  g_autoptr(GPtrArray) services = NULL;

  self->bus = bus;
  self->manager = g_object_ref (manager);
  self->context = g_main_context_ref_thread_default ();
  self->source = bgs_sd_bus_source_new (bus);
  g_source_set_callback (self->source, on_connection_lost, self, NULL);
  bgs_sd_bus_source_set_error_func (self->source, on_process_error, self);
  g_source_attach (self->source, self->context);

  if (!register_objects (self, error))
    return NULL;

  services = bgs_manager_list (manager);
  for (guint i = 0; i < services->len; i++)
    export_service (self, services->pdata[i], FALSE);
  self->added_handler = g_signal_connect (manager, "service-added",
                                          G_CALLBACK (on_service_added), self);
  self->removed_handler = g_signal_connect (manager, "service-removed",
                                            G_CALLBACK (on_service_removed), self);

  return g_steal_pointer (&self);
}

/**
 * bgs_bus_new_system:
 * @manager: the manager to export
 * @error: return location for an error
 *
 * Connects to the system bus and exports @manager there.
 *
 * Returns: (transfer full) (nullable): the export, or %NULL with @error set.
 *
 * Since: 0.1
 */
BgsBus *
bgs_bus_new_system (BgsManager  *manager,
                    GError     **error)
{
  sd_bus *bus = NULL;
  int r;

  g_return_val_if_fail (BGS_IS_MANAGER (manager), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  r = sd_bus_open_system (&bus);
  if (r < 0)
    {
      bgs_bus_set_error_from_errno (error, r, "Cannot connect to the system bus");
      return NULL;
    }

  return bgs_bus_new_on (manager, bus, error);
}

/**
 * bgs_bus_new_session:
 * @manager: the manager to export
 * @error: return location for an error
 *
 * Connects to the session bus (`DBUS_SESSION_BUS_ADDRESS`) and exports
 * @manager there.
 *
 * Returns: (transfer full) (nullable): the export, or %NULL with @error set.
 *
 * Since: 0.1
 */
BgsBus *
bgs_bus_new_session (BgsManager  *manager,
                     GError     **error)
{
  sd_bus *bus = NULL;
  int r;

  g_return_val_if_fail (BGS_IS_MANAGER (manager), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  r = sd_bus_open_user (&bus);
  if (r < 0)
    {
      bgs_bus_set_error_from_errno (error, r, "Cannot connect to the session bus "
                                    "(is DBUS_SESSION_BUS_ADDRESS set?)");
      return NULL;
    }

  return bgs_bus_new_on (manager, bus, error);
}

/**
 * bgs_bus_new_for_address:
 * @manager: the manager to export
 * @address: a D-Bus address, such as `unix:path=/run/my-bus`
 * @error: return location for an error
 *
 * Connects, as a bus client, to the bus at @address and exports @manager
 * there.
 *
 * Returns: (transfer full) (nullable): the export, or %NULL with @error set.
 *
 * Since: 0.1
 */
BgsBus *
bgs_bus_new_for_address (BgsManager  *manager,
                         const char  *address,
                         GError     **error)
{
  g_autoptr(sd_bus) bus = NULL;
  g_autofree char *what = NULL;
  int r;

  g_return_val_if_fail (BGS_IS_MANAGER (manager), NULL);
  g_return_val_if_fail (address != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  r = sd_bus_new (&bus);
  if (r >= 0)
    r = sd_bus_set_address (bus, address);
  if (r >= 0)
    r = sd_bus_set_bus_client (bus, TRUE);
  if (r >= 0)
    r = sd_bus_start (bus);
  if (r < 0)
    {
      what = g_strdup_printf ("Cannot connect to the bus at %s", address);
      bgs_bus_set_error_from_errno (error, r, what);
      return NULL;
    }

  return bgs_bus_new_on (manager, g_steal_pointer (&bus), error);
}

/*
 * bgs_bus_new_for_peer_fd:
 * @manager: the manager to export
 * @fd: a connected AF_UNIX stream socket, taken: the export closes it
 * @error: return location for an error
 *
 * Exports @manager on a peer-to-peer connection over @fd, as its server:
 * no bus daemon, one client at the other end, which authenticates as
 * EXTERNAL or ANONYMOUS. The caller's credentials are those the kernel
 * recorded for the socket (SO_PEERCRED, SO_PEERGROUPS), so access control
 * judges whoever made it. Private: the fuzz tests call the vtables
 * through it.
 *
 * Returns: (transfer full) (nullable): the export, or %NULL with @error set.
 */
BgsBus *
bgs_bus_new_for_peer_fd (BgsManager  *manager,
                         int          fd,
                         GError     **error)
{
  g_autoptr(sd_bus) bus = NULL;
  sd_id128_t id;
  int r;

  g_return_val_if_fail (BGS_IS_MANAGER (manager), NULL);
  g_return_val_if_fail (fd >= 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  r = sd_id128_randomize (&id);
  if (r >= 0)
    r = sd_bus_new (&bus);
  if (r >= 0)
    r = sd_bus_set_fd (bus, fd, fd);
  if (r < 0)
    {
      close (fd);
      bgs_bus_set_error_from_errno (error, r, "Cannot serve the peer-to-peer connection");
      return NULL;
    }

  r = sd_bus_set_server (bus, TRUE, id);
  if (r >= 0)
    r = sd_bus_set_anonymous (bus, TRUE);
  if (r >= 0)
    r = sd_bus_start (bus);
  if (r < 0)
    {
      bgs_bus_set_error_from_errno (error, r, "Cannot serve the peer-to-peer connection");
      return NULL;
    }

  return bgs_bus_new_on (manager, g_steal_pointer (&bus), error);
}

/**
 * bgs_bus_request_name:
 * @self: a #BgsBus
 * @name: a well-known bus name, such as %BGS_BUS_NAME
 * @error: return location for an error
 *
 * Takes @name on the bus, waiting for the bus's answer (at most sd-bus's
 * method call timeout, 25 s unless `$SYSTEMD_BUS_TIMEOUT` says otherwise).
 * Fails with %G_IO_ERROR_EXISTS when someone else owns it, with
 * %G_IO_ERROR_PERMISSION_DENIED when the bus policy forbids it, and with
 * another error, whose message says that no answer came, when the bus
 * never answered.
 *
 * Returns: %TRUE when @self owns @name.
 *
 * Since: 0.1
 */
gboolean
bgs_bus_request_name (BgsBus      *self,
                      const char  *name,
                      GError     **error)
{
  g_autofree char *what = NULL;
  int r;

  g_return_val_if_fail (BGS_IS_BUS (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  r = sd_bus_request_name (self->bus, name, 0);
  if (r >= 0)
    return TRUE;

  if (r == -EEXIST)
    what = g_strdup_printf ("Cannot own the bus name %s: another process owns it "
                            "(is another bgserviced running?)", name);
  else if (r == -EACCES || r == -EPERM)
    what = g_strdup_printf ("Cannot own the bus name %s: the bus policy does not "
                            "allow this user (see org.bgservice1.conf)", name);
  else if (r == -EIO || r == -ETIMEDOUT)
    what = g_strdup_printf ("Cannot own the bus name %s: no answer came from the bus "
                            "(does its policy drop the replies it sends this user? "
                            "dbus-daemon then logs \"Rejected receive message\")", name);
  else
    what = g_strdup_printf ("Cannot own the bus name %s", name);

  bgs_bus_set_error_from_errno (error, r, what);
  return FALSE;
}

/**
 * bgs_bus_release_name:
 * @self: a #BgsBus
 * @name: a bus name @self owns
 * @error: return location for an error
 *
 * Gives @name back to the bus.
 *
 * Returns: %TRUE on success.
 *
 * Since: 0.1
 */
gboolean
bgs_bus_release_name (BgsBus      *self,
                      const char  *name,
                      GError     **error)
{
  int r;

  g_return_val_if_fail (BGS_IS_BUS (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  r = sd_bus_release_name (self->bus, name);
  if (r < 0)
    {
      bgs_bus_set_error_from_errno (error, r, "Cannot release the bus name");
      return FALSE;
    }

  return TRUE;
}

/**
 * bgs_bus_get_unique_name:
 * @self: a #BgsBus
 *
 * Gets the unique name the bus gave the connection of @self.
 *
 * Returns: (transfer none) (nullable): the unique name of the connection,
 *   such as `:1.42`, or %NULL when it is not connected.
 *
 * Since: 0.1
 */
const char *
bgs_bus_get_unique_name (BgsBus *self)
{
  const char *name = NULL;

  g_return_val_if_fail (BGS_IS_BUS (self), NULL);

  if (sd_bus_get_unique_name (self->bus, &name) < 0)
    return NULL;

  return name;
}

/**
 * bgs_bus_get_manager:
 * @self: a #BgsBus
 *
 * Gets the manager whose services @self exports.
 *
 * Returns: (transfer none): the exported manager.
 *
 * Since: 0.1
 */
BgsManager *
bgs_bus_get_manager (BgsBus *self)
{
  g_return_val_if_fail (BGS_IS_BUS (self), NULL);

  return self->manager;
}

/**
 * bgs_bus_is_connected:
 * @self: a #BgsBus
 *
 * Tells whether the connection of @self to the bus is open; when it
 * closes, #BgsBus::closed is emitted.
 *
 * Returns: whether the connection is still open.
 *
 * Since: 0.1
 */
gboolean
bgs_bus_is_connected (BgsBus *self)
{
  g_return_val_if_fail (BGS_IS_BUS (self), FALSE);

  return self->bus != NULL && sd_bus_is_open (self->bus) > 0;
}

/* ---- GObject --------------------------------------------------------- */

static void
bgs_bus_dispose (GObject *object)
{
  BgsBus *self = BGS_BUS (object);

  if (self->manager != NULL)
    {
      g_clear_signal_handler (&self->added_handler, self->manager);
      g_clear_signal_handler (&self->removed_handler, self->manager);
    }

  if (self->exported != NULL)
    {
      bgs_bus_flush_changes (self);
      g_hash_table_remove_all (self->exported);
    }

  bgs_bus_callers_clear (self);
  bgs_bus_outbox_clear (self);

  for (guint i = 0; i < G_N_ELEMENTS (self->slots); i++)
    g_clear_pointer (&self->slots[i], sd_bus_slot_unref);

  if (self->source != NULL)
    {
      g_source_destroy (self->source);
      g_clear_pointer (&self->source, g_source_unref);
    }

  g_clear_pointer (&self->bus, sd_bus_flush_close_unref);
  g_clear_object (&self->manager);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (bgs_bus_parent_class)->dispose (object);
}

static void
bgs_bus_finalize (GObject *object)
{
  BgsBus *self = BGS_BUS (object);

  g_clear_pointer (&self->exported, g_hash_table_unref);
  g_clear_pointer (&self->callers, g_hash_table_unref);
  g_array_unref (self->allowed_uids);
  g_array_unref (self->allowed_gids);
  g_free (self->refusal);

  G_OBJECT_CLASS (bgs_bus_parent_class)->finalize (object);
}

static void
bgs_bus_class_init (BgsBusClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bgs_bus_dispose;
  object_class->finalize = bgs_bus_finalize;

  /**
   * BgsBus::closed:
   * @self: the export
   *
   * Emitted once when the D-Bus connection is lost (the bus went away).
   *
   * Since: 0.1
   */
  signals[SIGNAL_CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
bgs_bus_init (BgsBus *self)
{
  self->exported = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                          (GDestroyNotify) bgs_exported_service_free);
  self->allowed_uids = g_array_new (FALSE, FALSE, sizeof (guint32));
  self->allowed_gids = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_queue_init (&self->changed);
  g_queue_init (&self->ended);
  g_queue_init (&self->outbox);
  bgs_bus_callers_init (self);
}
