/* SPDX-License-Identifier: MIT */
/* bgs-sd-bus-source.c: an sd_bus driven by a GMainContext.
 *
 * BgsSdBusSource polls the bus's file descriptor for the events sd-bus asks
 * for, wakes up at the bus's own deadline (method call timeouts), and
 * dispatches by running sd_bus_process() until it has nothing left to do.
 *
 * prepare() and check() only ask sd-bus; they keep no state of their own
 * between calls. GLib does not promise a check() after every prepare(), and
 * an adapter that half-processes the bus in between breaks. Events and the
 * deadline are asked again before every poll, since every process and every
 * send (a reply sent by any other source's callback) can change them.
 *
 * sd_bus_process() also fails when one message goes wrong while the
 * connection stays open: an answer sd-bus sends itself (a property, an
 * introspection) that its full outgoing queue refuses. Only a closed
 * connection ends the source; any other failure goes to the error function
 * and processing goes on with the next message.
 *
 * No thread is involved: the bus is only touched from the context the
 * source is attached to.
 *
 * The source may recurse (g_source_set_can_recurse()). GLib "blocks" a
 * source that may not while it dispatches, by taking its descriptor out of
 * the context's poll set and putting it back afterwards; each of the two
 * wakes the context up (an eventfd write), and the next poll() returns at
 * once for the wake-up alone: two writes, a read and an empty iteration
 * per dispatch, nearly doubling the system calls of a property read.
 * Instead the source blocks itself, and only when it must: when a handler
 * runs a nested main loop, prepare() finds the dispatch still on the stack,
 * takes the descriptor out of the poll set, and dispatch() puts it back
 * when it returns; check() and dispatch() do nothing meanwhile, so
 * sd_bus_process() is never re-entered. Those flags describe the call
 * stack, not the bus: events and deadline are still asked of sd-bus before
 * every poll.
 */
#include "config.h"

#include <poll.h>

#include "bgs-sd-bus-source.h"

/* Messages processed per dispatch before other sources get a turn. */
#define MAX_MESSAGES_PER_DISPATCH 64

typedef struct
{
  GSource            source;
  sd_bus            *bus;           /* (owned) */
  GPollFD            pollfd;
  gboolean           dispatching;   /* bus_source_dispatch() is on the stack */
  gboolean           poll_removed;  /* @pollfd taken out by a nested iteration */
  BgsSdBusErrorFunc  error_func;    /* (nullable) */
  gpointer           error_data;
} BgsSdBusSource;

static gushort
poll_events_to_gio (int events)
{
  gushort condition = 0;

  if (events & POLLIN)
    condition |= G_IO_IN;
  if (events & POLLOUT)
    condition |= G_IO_OUT;

  return condition;
}

/* The bus's deadline, absolute on CLOCK_MONOTONIC in µs (the clock of
 * g_get_monotonic_time()), or -1 for none. */
static gint64
bus_deadline (sd_bus *bus)
{
  uint64_t usec;

  if (sd_bus_get_timeout (bus, &usec) < 0 || usec == UINT64_MAX)
    return -1;

  return (gint64) MIN (usec, (uint64_t) G_MAXINT64);
}

static gboolean
bus_source_prepare (GSource *source,
                    gint    *timeout_ms)
{
  BgsSdBusSource *self = (BgsSdBusSource *) source;
  int events;
  gint64 deadline;
  gint64 now;

  /* A main loop nested in one of our handlers: sd-bus must not be
   * re-entered, so stop polling until the dispatch returns. */
  if (self->dispatching)
    {
      if (!self->poll_removed)
        {
          g_source_remove_poll (source, &self->pollfd);
          self->poll_removed = TRUE;
        }
      *timeout_ms = -1;
      return FALSE;
    }

  events = sd_bus_get_events (self->bus);
  deadline = bus_deadline (self->bus);
  self->pollfd.events = events > 0 ? poll_events_to_gio (events) : 0;

  if (deadline < 0)
    {
      *timeout_ms = -1;
      return FALSE;
    }

  now = g_get_monotonic_time ();
  if (deadline <= now)
    {
      *timeout_ms = 0;
      return TRUE;
    }

  /* Round up, so that the wake-up is never before the deadline. */
  *timeout_ms = (gint) MIN ((deadline - now + 999) / 1000, G_MAXINT);
  return FALSE;
}

static gboolean
bus_source_check (GSource *source)
{
  BgsSdBusSource *self = (BgsSdBusSource *) source;
  gint64 deadline;

  if (self->dispatching)
    return FALSE;
  if (self->pollfd.revents != 0)
    return TRUE;

  deadline = bus_deadline (self->bus);
  return deadline >= 0 && deadline <= g_get_monotonic_time ();
}

static gboolean
bus_source_dispatch (GSource     *source,
                     GSourceFunc  callback,
                     gpointer     user_data)
{
  BgsSdBusSource *self = (BgsSdBusSource *) source;
  int r = 0;

  if (self->dispatching)
    return G_SOURCE_CONTINUE;

  self->dispatching = TRUE;
  for (guint i = 0; i < MAX_MESSAGES_PER_DISPATCH; i++)
    {
      r = sd_bus_process (self->bus, NULL);
      if (r <= 0)
        break;
    }
  self->dispatching = FALSE;

  if (self->poll_removed)
    {
      self->poll_removed = FALSE;
      if (!g_source_is_destroyed (source))
        g_source_add_poll (source, &self->pollfd);
    }

  if (r < 0 && sd_bus_is_open (self->bus) > 0)
    {
      /* One message failed; the rest, if any, come at the next dispatch. */
      if (self->error_func != NULL)
        self->error_func (r, self->error_data);
      return G_SOURCE_CONTINUE;
    }

  if (r < 0)
    {
      /* The connection is gone: tell the owner, and stop polling a
       * descriptor sd-bus has closed. */
      if (callback != NULL)
        callback (user_data);
      return G_SOURCE_REMOVE;
    }

  /* More left after the cap: sd_bus_get_timeout() now says 0, so the next
   * prepare() makes the source ready again at once. */
  return G_SOURCE_CONTINUE;
}

static void
bus_source_finalize (GSource *source)
{
  BgsSdBusSource *self = (BgsSdBusSource *) source;

  g_clear_pointer (&self->bus, sd_bus_unref);
}

static GSourceFuncs bus_source_funcs = {
  .prepare = bus_source_prepare,
  .check = bus_source_check,
  .dispatch = bus_source_dispatch,
  .finalize = bus_source_finalize,
};

/*
 * Makes a source that drives @bus (a reference is taken) once attached to
 * a context. Its callback, a GSourceFunc, runs when the connection is lost;
 * the source then removes itself.
 */
GSource *
bgs_sd_bus_source_new (sd_bus *bus)
{
  GSource *source = g_source_new (&bus_source_funcs, sizeof (BgsSdBusSource));
  BgsSdBusSource *self = (BgsSdBusSource *) source;

  self->bus = sd_bus_ref (bus);
  self->pollfd.fd = sd_bus_get_fd (bus);
  self->pollfd.events = 0;
  g_source_add_poll (source, &self->pollfd);
  /* Not blocked by GLib while dispatching: see the top of this file. */
  g_source_set_can_recurse (source, TRUE);
  g_source_set_static_name (source, "[bgservice] sd-bus");

  return source;
}

/* Calls @func with the error of each message sd-bus fails to process while
 * the connection stays open. */
void
bgs_sd_bus_source_set_error_func (GSource           *source,
                                  BgsSdBusErrorFunc  func,
                                  gpointer           user_data)
{
  BgsSdBusSource *self = (BgsSdBusSource *) source;

  self->error_func = func;
  self->error_data = user_data;
}
