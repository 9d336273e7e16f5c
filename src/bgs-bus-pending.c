/* SPDX-License-Identifier: MIT */
/* bgs-bus-pending.c: a method call answered when an operation ends.
 *
 * Stop, Wait, Restart and StopAll reply when the service's asynchronous
 * operation completes. BgsPendingCall keeps the call message and the
 * BgsBus alive until then, so the loop never blocks and other calls are
 * answered meanwhile.
 */
#include "config.h"

#include "bgs-bus-private.h"

struct _BgsPendingCall
{
  BgsBus         *bus;   /* (owned) */
  sd_bus_message *call;  /* (owned) */
};

BgsPendingCall *
bgs_pending_call_new (BgsBus         *bus,
                      sd_bus_message *call)
{
  BgsPendingCall *self = g_new (BgsPendingCall, 1);

  self->bus = g_object_ref (bus);
  self->call = sd_bus_message_ref (call);

  return self;
}

sd_bus_message *
bgs_pending_call_get_message (BgsPendingCall *self)
{
  return self->call;
}

BgsBus *
bgs_pending_call_get_bus (BgsPendingCall *self)
{
  return self->bus;
}

/* Replies with the a(ssis) of @error, unless the connection is gone. */
void
bgs_pending_call_reply_errors (BgsPendingCall *self,
                               const GError   *error)
{
  if (!bgs_bus_is_connected (self->bus))
    return;

  /* Announce the state the operation left before its reply: a caller that
   * reads properties once answered sees them up to date. */
  bgs_bus_flush_changes (self->bus);
  bgs_bus_reply_error_list (self->call, error);
}

/* Fails the call with the D-Bus error @name, unless the connection is
 * gone; the state the operation left is announced first, as above. */
void
bgs_pending_call_fail (BgsPendingCall *self,
                       const char     *name,
                       const char     *format,
                       ...)
{
  va_list args;

  if (!bgs_bus_is_connected (self->bus))
    return;

  bgs_bus_flush_changes (self->bus);
  va_start (args, format);
  sd_bus_reply_method_errorfv (self->call, name, format, args);
  va_end (args);
}

void
bgs_pending_call_free (BgsPendingCall *self)
{
  sd_bus_message_unref (self->call);
  g_object_unref (self->bus);
  g_free (self);
}
