/* SPDX-License-Identifier: MIT */
/* bgs-bus-pending.c: a method call answered when an operation ends.
 *
 * Stop, Wait, Restart and StopAll reply when the service's asynchronous
 * operation completes. BgsPendingCall keeps the call message and the
 * BgsBus alive until then, so the loop never blocks and other calls are
 * answered meanwhile.
 *
 * Each pending call counts against the limits of its caller and of the
 * bus (bgs-bus-callers.c) from the call until its answer is in sd-bus's
 * hands. When the caller leaves the bus first, the call's message is let
 * go at once and the operation's drop function, when it has one, forgets
 * the rest (a Wait); an operation without one (a Restart) goes on and
 * answers nobody.
 *
 * The outbox: an answer that sd-bus has no room for (its outgoing queue
 * is full, -ENOBUFS) waits here, still counted, and goes out in order as
 * soon as the queue is shorter than it was then. The limits on pending
 * calls are thus also the limits on answers held, and none is dropped for
 * want of room.
 */
#include "config.h"

#include "bgs-bus-private.h"

struct _BgsPendingCall
{
  BgsBus         *bus;          /* (owned) */
  sd_bus_message *call;         /* (owned) (nullable): NULL once the caller left */
  sd_bus_message *reply;        /* (owned) (nullable): set while in bus->outbox */
  BgsCaller      *caller;       /* (nullable): counted against it while set */
  GList           caller_link;  /* in the caller's calls while @caller is set */
  GList           outbox_link;  /* in bus->outbox while @held */
  gboolean        held;
  GDestroyNotify  drop;         /* (nullable): ends the operation if the caller leaves */
  gpointer        drop_data;
};

/*
 * A pending call for @call, counted against its sender, who has @right;
 * NULL with LimitsExceeded in @error when the sender or the bus already
 * has as many as the limits allow.
 */
BgsPendingCall *
bgs_pending_call_new (BgsBus         *bus,
                      sd_bus_message *call,
                      BgsCallerRight  right,
                      sd_bus_error   *error)
{
  BgsPendingCall *self = g_new0 (BgsPendingCall, 1);

  self->caller_link.data = self;
  self->outbox_link.data = self;
  self->caller = bgs_bus_callers_admit (bus, sd_bus_message_get_sender (call), right,
                                        &self->caller_link, error);
  if (self->caller == NULL)
    {
      g_free (self);
      return NULL;
    }

  self->bus = g_object_ref (bus);
  self->call = sd_bus_message_ref (call);
  return self;
}

/* What ends the operation when the caller leaves before its answer:
 * @drop (@data) must free @self, through whatever owns it. */
void
bgs_pending_call_on_drop (BgsPendingCall *self,
                          GDestroyNotify  drop,
                          gpointer        data)
{
  self->drop = drop;
  self->drop_data = data;
}

/* Frees @self without answering. */
void
bgs_pending_call_free (BgsPendingCall *self)
{
  if (self->caller != NULL)
    bgs_bus_callers_release (self->bus, self->caller, &self->caller_link);
  if (self->held)
    g_queue_unlink (&self->bus->outbox, &self->outbox_link);

  g_clear_pointer (&self->reply, sd_bus_message_unref);
  g_clear_pointer (&self->call, sd_bus_message_unref);
  g_object_unref (self->bus);
  g_free (self);
}

/* ---- the outbox ------------------------------------------------------ */

/* OutboxSource: ready when the held answers may go out. */
typedef struct
{
  GSource  source;
  BgsBus  *bus;   /* (unowned): the held calls keep it alive */
} OutboxSource;

/* Sends the answer of @self; FALSE when sd-bus has no room for it. Frees
 * @self otherwise: sent, or lost and counted. */
static gboolean
send_answer (BgsPendingCall *self)
{
  int r = bgs_bus_try_send_reply (self->bus, self->reply);

  if (r == -ENOBUFS)
    {
      uint64_t queued = 0;

      sd_bus_get_n_queued_write (self->bus->bus, &queued);
      self->bus->outbox_full_at = queued;
      return FALSE;
    }
  if (r < 0)
    bgs_bus_count_lost_reply (self->bus, self->call, r);

  bgs_pending_call_free (self);
  return TRUE;
}

/* Whether sd-bus's outgoing queue is shorter than when it last refused an
 * answer, or the connection is gone (then nothing waits any longer). */
static gboolean
outbox_prepare (GSource *source,
                gint    *timeout_ms)
{
  BgsBus *bus = ((OutboxSource *) source)->bus;
  uint64_t queued;

  *timeout_ms = -1;
  if (!bgs_bus_is_connected (bus))
    return TRUE;

  return sd_bus_get_n_queued_write (bus->bus, &queued) >= 0 && queued < bus->outbox_full_at;
}

static gboolean
outbox_dispatch (GSource     *source,
                 GSourceFunc  callback,
                 gpointer     user_data)
{
  BgsBus *bus = ((OutboxSource *) source)->bus;

  while (!g_queue_is_empty (&bus->outbox))
    {
      BgsPendingCall *pending = bus->outbox.head->data;

      if (!bgs_bus_is_connected (bus))
        bgs_pending_call_free (pending);
      else if (!send_answer (pending))
        return G_SOURCE_CONTINUE;
    }

  g_clear_pointer (&bus->outbox_source, g_source_unref);
  return G_SOURCE_REMOVE;
}

static GSourceFuncs outbox_funcs = {
  .prepare = outbox_prepare,
  .dispatch = outbox_dispatch,
};

/* Holds the answer of @self (its @reply set) until sd-bus has room. */
static void
hold (BgsPendingCall *self)
{
  BgsBus *bus = self->bus;

  self->held = TRUE;
  g_queue_push_tail_link (&bus->outbox, &self->outbox_link);
  if (bus->outbox_source != NULL)
    return;

  g_debug ("sd-bus's outgoing queue is full (%" G_GUINT64_FORMAT " messages): answers "
           "wait for room", bus->outbox_full_at);
  bus->outbox_source = g_source_new (&outbox_funcs, sizeof (OutboxSource));
  ((OutboxSource *) bus->outbox_source)->bus = bus;
  g_source_set_static_name (bus->outbox_source, "[bgservice] answers waiting for room");
  g_source_attach (bus->outbox_source, bus->context);
}

/* Frees every held answer unsent: the bus goes away. */
void
bgs_bus_outbox_clear (BgsBus *bus)
{
  while (!g_queue_is_empty (&bus->outbox))
    bgs_pending_call_free (bus->outbox.head->data);

  if (bus->outbox_source != NULL)
    {
      g_source_destroy (bus->outbox_source);
      g_clear_pointer (&bus->outbox_source, g_source_unref);
    }
}

/* ---- answering --------------------------------------------------------- */

BgsBus *
bgs_pending_call_get_bus (BgsPendingCall *self)
{
  return self->bus;
}

/*
 * Whether an answer is still wanted: the caller has not left and the
 * connection is open. When it is not, frees @self and returns FALSE.
 * When it is, announces the state the operation left first: a caller that
 * reads properties once answered sees them up to date.
 */
static gboolean
prepare_answer (BgsPendingCall *self)
{
  self->drop = NULL;
  if (self->call == NULL || !bgs_bus_is_connected (self->bus))
    {
      bgs_pending_call_free (self);
      return FALSE;
    }

  bgs_bus_flush_changes (self->bus);
  return TRUE;
}

/* Sends @reply (built with @r, a negative errno when that failed), held
 * behind the answers held already, if any: they go out in order. Frees
 * @self once the answer is in sd-bus's hands or counted as lost. */
static void
answer (BgsPendingCall *self,
        sd_bus_message *reply,
        int             r)
{
  if (r < 0)
    {
      bgs_bus_count_lost_reply (self->bus, self->call, r);
      bgs_pending_call_free (self);
      return;
    }

  self->reply = reply;
  if (!g_queue_is_empty (&self->bus->outbox) || !send_answer (self))
    hold (self);
}

/*
 * Answers with the a(ssis) of @failures and frees @self. Not an error
 * when the caller has left or the connection is gone: the answer goes
 * nowhere.
 */
void
bgs_pending_call_finish (BgsPendingCall *self,
                         const GError   *failures)
{
  sd_bus_message *reply = NULL;
  int r;

  if (!prepare_answer (self))
    return;

  r = bgs_bus_new_error_list_reply (self->call, failures, &reply);
  answer (self, reply, r);
}

/* Fails the call with the D-Bus error @name and frees @self, as
 * bgs_pending_call_finish() answers. */
void
bgs_pending_call_fail (BgsPendingCall *self,
                       const char     *name,
                       const char     *format,
                       ...)
{
  g_autofree char *text = NULL;
  sd_bus_message *reply = NULL;
  va_list args;
  int r;

  if (!prepare_answer (self))
    return;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  r = sd_bus_message_new_method_errorf (self->call, &reply, name, "%s", text);
  answer (self, reply, r);
}

/* The caller of @self left the bus: its message goes, and the operation is
 * dropped when it can be. Its caller already let go of it. */
void
bgs_pending_call_left (BgsPendingCall *self)
{
  self->caller = NULL;
  g_clear_pointer (&self->call, sd_bus_message_unref);

  if (self->held)
    bgs_pending_call_free (self);
  else if (self->drop != NULL)
    self->drop (self->drop_data);
}
