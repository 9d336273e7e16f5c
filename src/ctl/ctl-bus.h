/* SPDX-License-Identifier: MIT */
/* ctl-bus.h: bgservicectl's connection to bgserviced, and the method calls
 * it makes over it.
 *
 * CtlBus knows which bus was asked for and under which name the daemon
 * should be, so that every failure can say what was tried and how to fix
 * it. Calls are made in batches (ctl_bus_call_all()): their replies are
 * awaited together, so that `stop a b c` stops the three services in
 * parallel, with at most CTL_BUS_MAX_IN_FLIGHT of them waiting at a time;
 * SIGINT or SIGTERM interrupts the wait.
 */
#pragma once

#include <glib.h>
#include <systemd/sd-bus.h>

G_BEGIN_DECLS

/* CtlBusKind: which bus to use (--system, --session, --address, --host,
 * --machine). */
typedef enum
{
  CTL_BUS_DEFAULT,    /* the system bus for root, else the session bus */
  CTL_BUS_SYSTEM,
  CTL_BUS_SESSION,
  CTL_BUS_ADDRESS,
  CTL_BUS_REMOTE,     /* the system bus of another host, over SSH */
  CTL_BUS_MACHINE,    /* the system bus of a local container */
} CtlBusKind;

/* How long a call may wait for its reply: sd-bus's default (25 s), or no
 * limit for the calls that wait for tasks to end (Stop, Restart, Wait). */
#define CTL_CALL_TIMEOUT_DEFAULT  ((guint64) 0)
#define CTL_CALL_TIMEOUT_NONE     G_MAXUINT64

/*
 * CTL_BUS_MAX_IN_FLIGHT: how many calls of a batch may wait for their
 * reply at a time. A bus limits the replies that one connection may wait
 * for (dbus-daemon's max_replies_per_connection: 128 on the system bus)
 * and refuses the calls beyond that limit; the other calls of a batch are
 * sent as replies come in. A bus that refuses calls all the same lowers
 * this bound for the rest of the command (see ctl_bus_call_all()).
 */
#define CTL_BUS_MAX_IN_FLIGHT 64

typedef struct _CtlBus CtlBus;

/*
 * CtlCall: one method call to the daemon and, once ctl_bus_call_all()
 * returned, its outcome: @reply on success, @error otherwise. Append the
 * arguments to @request before the call.
 */
typedef struct
{
  sd_bus_message *request;       /* (owned) */
  guint64         timeout_usec;
  sd_bus_message *reply;         /* (owned) (nullable) the method return */
  sd_bus_error    error;         /* set when the call failed */

  /*< private >*/
  CtlBus         *bus;
  sd_bus_slot    *slot;
  guint           attempts;      /* how many times it was sent */
  gint64          retry_at;      /* monotonic µs: when to send it again, once refused */
  gboolean        done;
} CtlCall;

gboolean    ctl_bus_name_is_valid  (const char  *name);

CtlBus     *ctl_bus_connect        (CtlBusKind   kind,
                                    const char  *target,
                                    const char  *bus_name,
                                    GError     **error);
void        ctl_bus_free           (CtlBus      *self);
const char *ctl_bus_get_name       (CtlBus      *self);

CtlCall    *ctl_call_new           (CtlBus      *bus,
                                    const char  *path,
                                    const char  *interface,
                                    const char  *member,
                                    guint64      timeout_usec,
                                    GError     **error);
void        ctl_call_free          (CtlCall     *self);

gboolean    ctl_bus_call_all       (CtlBus      *self,
                                    GPtrArray   *calls,
                                    GError     **error);
gboolean    ctl_bus_failure_concerns_call (CtlBus        *self,
                                           const CtlCall *call);
void        ctl_bus_explain_failure (CtlBus        *self,
                                     const CtlCall *call,
                                     const char    *action,
                                     const char    *service,
                                     GError       **error);

int         ctl_bus_get_interrupting_signal (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtlBus, ctl_bus_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtlCall, ctl_call_free)

G_END_DECLS
