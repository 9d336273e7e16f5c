/* SPDX-License-Identifier: MIT */
/* bgs-bus-replies.c: answers sent, and those that could not be.
 *
 * Every answer the interfaces build goes out through here. An answer that
 * cannot be sent (sd-bus's outgoing queue is full, memory ran out) is
 * never dropped silently: it is counted in the manager's LostReplies
 * property, announced like any property, and logged with the call and
 * the caller, at most one line per second; the line says how many more
 * were lost since the last one. Failures sd-bus meets while processing a
 * message itself (an answer to Get or Introspect it could not queue) are
 * counted the same way. Answers of pending calls first wait for room
 * (bgs-bus-pending.c) and are lost only if sending fails otherwise.
 */
#include "config.h"

#include "bgs-bus-private.h"

/* How long the log stays quiet after a line about a lost answer. */
#define LOST_LOG_INTERVAL_US G_USEC_PER_SEC

/* Sends @reply; returns 0 or the negative errno of sd_bus_send(),
 * -ENOBUFS when its outgoing queue is full. Counts nothing. */
int
bgs_bus_try_send_reply (BgsBus         *bus,
                        sd_bus_message *reply)
{
  int r = sd_bus_send (bus->bus, reply, NULL);

  return r < 0 ? r : 0;
}

/*
 * Sends @reply, the answer to @call, at once; when that fails it is
 * counted and logged as lost. Returns 1, for a method handler: the call
 * was handled either way.
 */
int
bgs_bus_send_reply (BgsBus         *bus,
                    sd_bus_message *call,
                    sd_bus_message *reply)
{
  int r = bgs_bus_try_send_reply (bus, reply);

  if (r < 0)
    bgs_bus_count_lost_reply (bus, call, r);
  return 1;
}

/* Answers @call with no arguments, as bgs_bus_send_reply(). */
int
bgs_bus_reply_empty (BgsBus         *bus,
                     sd_bus_message *call)
{
  g_autoptr(sd_bus_message) reply = NULL;
  int r = sd_bus_message_new_method_return (call, &reply);

  if (r < 0)
    {
      bgs_bus_count_lost_reply (bus, call, r);
      return 1;
    }

  return bgs_bus_send_reply (bus, call, reply);
}

/* Says what was lost, unless a line did less than a second ago. */
static void
log_lost_reply (BgsBus         *bus,
                sd_bus_message *call,
                int             negative_errno)
{
  gint64 now = g_get_monotonic_time ();

  if (bus->lost_logged_at != 0 && now - bus->lost_logged_at < LOST_LOG_INTERVAL_US)
    {
      bus->lost_unlogged++;
      return;
    }

  if (call != NULL)
    g_warning ("Could not answer %s of %s: %s (%u more answers lost since the last "
               "such line, %u since start-up)",
               sd_bus_message_get_member (call),
               sd_bus_message_get_sender (call) != NULL ? sd_bus_message_get_sender (call) : "a peer",
               g_strerror (-negative_errno), bus->lost_unlogged, bus->lost_replies);
  else
    g_warning ("sd-bus could not process or answer a call: %s (%u more answers lost since "
               "the last such line, %u since start-up)",
               g_strerror (-negative_errno), bus->lost_unlogged, bus->lost_replies);
  bus->lost_logged_at = now;
  bus->lost_unlogged = 0;
}

/*
 * Counts an answer to @call (NULL: one sd-bus did not say) that could not
 * be sent, for LostReplies and the log.
 */
void
bgs_bus_count_lost_reply (BgsBus         *bus,
                          sd_bus_message *call,
                          int             negative_errno)
{
  if (bus->lost_replies < G_MAXUINT32)
    bus->lost_replies++;
  log_lost_reply (bus, call, negative_errno);

  bus->lost_replies_changed = TRUE;
  bgs_bus_schedule_flush (bus);
}
