/* SPDX-License-Identifier: MIT */
/* bgs-bus-access.c: who may change the state of exported services.
 *
 * Every state-changing method (Start, Stop, Cancel, Restart, ResetFailed,
 * StartAll, StopAll) asks bgs_bus_authorize() before it does anything:
 * root, the daemon's own user, and the users and groups the owner allowed
 * may; the others get org.freedesktop.DBus.Error.AccessDenied. Reading is
 * open.
 *
 * Who the caller is comes from the bus: the effective UID of its
 * connection. Its groups are those of that UID in the user database
 * (getpwuid_r(), getgrouplist()), not those its process holds, which it
 * may change, and which a process reusing its PID would hold.
 */
#include "config.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include "bgs-bus-private.h"

static gboolean
array_holds (GArray  *ids,
             guint32  id)
{
  for (guint i = 0; i < ids->len; i++)
    if (g_array_index (ids, guint32, i) == id)
      return TRUE;

  return FALSE;
}

/*
 * The effective UID of the sender of @call, as the bus knows it (the
 * credentials of its connection; no look into /proc, whose PID may be
 * another process's by now). The lookup is a call to the bus; a signal
 * that interrupts the wait for its answer makes it start again, so that
 * signals never turn a caller away.
 */
static int
caller_uid (sd_bus_message *call,
            uid_t          *uid)
{
  g_autoptr(sd_bus_creds) creds = NULL;
  int r;

  do
    {
      g_clear_pointer (&creds, sd_bus_creds_unref);
      r = sd_bus_query_sender_creds (call, SD_BUS_CREDS_EUID, &creds);
    }
  while (r == -EINTR);

  if (r < 0)
    return r;
  return sd_bus_creds_get_euid (creds, uid);
}

/*
 * The groups of @uid in the user database: its primary group and those
 * that list it as a member, whatever groups the caller's process holds
 * now. FALSE when the database does not know @uid.
 */
static gboolean
user_groups (uid_t   uid,
             GArray *gids)
{
  g_autofree char *buffer = NULL;
  struct passwd entry, *found = NULL;
  gsize size = 1024;
  int n_groups = 32;
  int r;

  do
    {
      size *= 2;
      buffer = g_realloc (buffer, size);
      r = getpwuid_r (uid, &entry, buffer, size, &found);
    }
  while ((r == ERANGE && size < 1024 * 1024) || r == EINTR);
  if (r != 0 || found == NULL)
    return FALSE;

  for (;;)
    {
      int n = n_groups;

      g_array_set_size (gids, n_groups);
      if (getgrouplist (entry.pw_name, entry.pw_gid, (gid_t *) gids->data, &n) >= 0)
        {
          g_array_set_size (gids, n);
          return TRUE;
        }
      n_groups = MAX (n, n_groups * 2);
    }
}

static gboolean
uid_in_allowed_group (BgsBus *self,
                      uid_t   uid)
{
  g_autoptr(GArray) gids = g_array_new (FALSE, FALSE, sizeof (gid_t));

  if (self->allowed_gids->len == 0 || !user_groups (uid, gids))
    return FALSE;

  for (guint i = 0; i < gids->len; i++)
    if (array_holds (self->allowed_gids, g_array_index (gids, gid_t, i)))
      return TRUE;

  return FALSE;
}

/* ---- shutting down --------------------------------------------------- */

/* Once bgs_bus_refuse_changes() was called, no caller may change state:
 * sets @error to ShuttingDown and returns TRUE. */
static gboolean
refuse_while_shutting_down (BgsBus         *self,
                            sd_bus_message *call,
                            sd_bus_error   *error)
{
  if (self->refusal == NULL)
    return FALSE;

  sd_bus_error_setf (error, BGS_BUS_ERROR_SHUTTING_DOWN, "%s; %s is refused",
                     self->refusal, sd_bus_message_get_member (call));
  return TRUE;
}

/**
 * bgs_bus_refuse_changes:
 * @self: a #BgsBus
 * @reason: why, for the callers: "bgserviced is shutting down"
 *
 * From now on, every method that changes state (Start, Stop, Cancel,
 * Restart, ResetFailed, StartAll, StopAll) fails at once for every caller
 * with %BGS_BUS_ERROR_SHUTTING_DOWN and @reason in its message, and
 * nothing changes. A Restart whose stop was under way is answered with
 * that error once the run ended, without starting the service again.
 * Reading goes on as before. Meant for a program that is shutting down:
 * it stops its services itself, and no call should start one again. There
 * is no way back.
 *
 * Since: 0.1
 */
void
bgs_bus_refuse_changes (BgsBus     *self,
                        const char *reason)
{
  g_return_if_fail (BGS_IS_BUS (self));
  g_return_if_fail (reason != NULL);

  g_free (self->refusal);
  self->refusal = g_strdup (reason);
}

/*
 * Decides whether the sender of @call may change state. When it may not,
 * sets @error to AccessDenied, saying who asked and who may.
 */
gboolean
bgs_bus_authorize (BgsBus         *self,
                   sd_bus_message *call,
                   sd_bus_error   *error)
{
  uid_t uid;

  if (refuse_while_shutting_down (self, call, error))
    return FALSE;

  if (caller_uid (call, &uid) < 0)
    {
      sd_bus_error_setf (error, SD_BUS_ERROR_ACCESS_DENIED,
                         "Cannot tell who %s is, so %s.%s is refused",
                         sd_bus_message_get_sender (call),
                         sd_bus_message_get_interface (call),
                         sd_bus_message_get_member (call));
      return FALSE;
    }

  if (uid == 0 || uid == geteuid () || array_holds (self->allowed_uids, uid) ||
      uid_in_allowed_group (self, uid))
    return TRUE;

  g_info ("Refused %s.%s to UID %u (%s)", sd_bus_message_get_interface (call),
          sd_bus_message_get_member (call), (guint) uid,
          sd_bus_message_get_sender (call));
  sd_bus_error_setf (error, SD_BUS_ERROR_ACCESS_DENIED,
                     "UID %u may not call %s: only root, the daemon's own user "
                     "and the users and groups in ControlUsers= and "
                     "ControlGroups= of its configuration may change services",
                     (guint) uid, sd_bus_message_get_member (call));
  return FALSE;
}

/**
 * bgs_bus_allow_uid:
 * @self: a #BgsBus
 * @uid: a user ID
 *
 * Lets @uid call the methods that change state. Root and the process's
 * own user always may.
 *
 * Since: 0.1
 */
void
bgs_bus_allow_uid (BgsBus  *self,
                   guint32  uid)
{
  g_return_if_fail (BGS_IS_BUS (self));

  if (!array_holds (self->allowed_uids, uid))
    g_array_append_val (self->allowed_uids, uid);
}

/**
 * bgs_bus_allow_gid:
 * @self: a #BgsBus
 * @gid: a group ID
 *
 * Lets members of @gid (primary or supplementary) call the methods that
 * change state.
 *
 * Since: 0.1
 */
void
bgs_bus_allow_gid (BgsBus  *self,
                   guint32  gid)
{
  g_return_if_fail (BGS_IS_BUS (self));

  if (!array_holds (self->allowed_gids, gid))
    g_array_append_val (self->allowed_gids, gid);
}

/**
 * bgs_bus_clear_allowed:
 * @self: a #BgsBus
 *
 * Forgets the users and groups given to bgs_bus_allow_uid() and
 * bgs_bus_allow_gid().
 *
 * Since: 0.1
 */
void
bgs_bus_clear_allowed (BgsBus *self)
{
  g_return_if_fail (BGS_IS_BUS (self));

  g_array_set_size (self->allowed_uids, 0);
  g_array_set_size (self->allowed_gids, 0);
}
