/* SPDX-License-Identifier: MIT */
/* bgs-bus-access.c: who may change the state of exported services.
 *
 * Every state-changing method (Start, Stop, Cancel, Restart, StartAll,
 * StopAll) asks bgs_bus_authorize() before it does anything: root, the
 * daemon's own user, and the users and groups the owner allowed may; the
 * others get org.freedesktop.DBus.Error.AccessDenied. Reading is open.
 */
#include "config.h"

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

/* The effective UID of the caller, or the real one when the bus only
 * knows that. */
static int
caller_uid (sd_bus_creds *creds,
            uid_t        *uid)
{
  if (sd_bus_creds_get_euid (creds, uid) >= 0)
    return 0;

  return sd_bus_creds_get_uid (creds, uid);
}

static gboolean
caller_in_allowed_group (BgsBus       *self,
                         sd_bus_creds *creds)
{
  const gid_t *gids = NULL;
  gid_t gid;
  int n;

  if (self->allowed_gids->len == 0)
    return FALSE;

  if (sd_bus_creds_get_egid (creds, &gid) >= 0 && array_holds (self->allowed_gids, gid))
    return TRUE;
  if (sd_bus_creds_get_gid (creds, &gid) >= 0 && array_holds (self->allowed_gids, gid))
    return TRUE;

  n = sd_bus_creds_get_supplementary_gids (creds, &gids);
  for (int i = 0; i < n; i++)
    if (array_holds (self->allowed_gids, gids[i]))
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
  g_autoptr(sd_bus_creds) creds = NULL;
  uid_t uid;
  int r;

  if (refuse_while_shutting_down (self, call, error))
    return FALSE;

  r = sd_bus_query_sender_creds (call,
                                 SD_BUS_CREDS_UID | SD_BUS_CREDS_EUID |
                                 SD_BUS_CREDS_GID | SD_BUS_CREDS_EGID |
                                 SD_BUS_CREDS_SUPPLEMENTARY_GIDS |
                                 SD_BUS_CREDS_AUGMENT,
                                 &creds);
  if (r < 0 || caller_uid (creds, &uid) < 0)
    {
      sd_bus_error_setf (error, SD_BUS_ERROR_ACCESS_DENIED,
                         "Cannot tell who %s is, so %s.%s is refused",
                         sd_bus_message_get_sender (call),
                         sd_bus_message_get_interface (call),
                         sd_bus_message_get_member (call));
      return FALSE;
    }

  if (uid == 0 || uid == geteuid () || array_holds (self->allowed_uids, uid) ||
      caller_in_allowed_group (self, creds))
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
