/* SPDX-License-Identifier: MIT */
/* bgs-bus-callers.c: pending calls by caller, their limits, callers that
 * leave the bus.
 *
 * Wait is open to every local user, and Stop, Restart and StopAll may wait
 * long: each pending call holds its message and a watch until its answer.
 * A caller (a unique bus name) may have at most max_pending_per_caller of
 * them and the bus at most max_pending in all; the call beyond fails at
 * once with org.freedesktop.DBus.Error.LimitsExceeded and changes nothing.
 * Waits, which anyone may send, leave the last max_pending_per_caller
 * places of the total to the calls that need the right to change state:
 * a flood of Waits cannot keep an operator from stopping a service.
 *
 * A caller with pending calls is watched: one match on NameOwnerChanged
 * for its name, removed with its last pending call. When it leaves the
 * bus its calls are dropped (bgs_pending_call_left()). A caller may have
 * left before the match was in place: a NameHasOwner sent right after the
 * AddMatch, which the bus handles in order, tells.
 */
#include "config.h"

#include "bgs-bus-private.h"

struct _BgsCaller
{
  BgsBus      *bus;     /* (unowned): owns this */
  char        *name;    /* (owned): the unique name; the key in bus->callers */
  GQueue       calls;   /* (element-type BgsPendingCall) */
  sd_bus_slot *match;   /* (owned) (nullable): NameOwnerChanged for @name */
  sd_bus_slot *query;   /* (owned) (nullable): NameHasOwner for @name, until answered */
};

#define DBUS_SERVICE   "org.freedesktop.DBus"
#define DBUS_PATH      "/org/freedesktop/DBus"
#define DBUS_INTERFACE "org.freedesktop.DBus"

static void
caller_free (BgsCaller *caller)
{
  g_clear_pointer (&caller->match, sd_bus_slot_unref);
  g_clear_pointer (&caller->query, sd_bus_slot_unref);
  g_free (caller->name);
  g_free (caller);
}

/* @caller left the bus: every call of it is dropped, then it is freed. */
static void
caller_left (BgsCaller *caller)
{
  BgsBus *bus = caller->bus;
  GList *link;

  g_debug ("%s left the bus: dropping its %u pending call(s)", caller->name,
           caller->calls.length);
  g_hash_table_steal (bus->callers, caller->name);
  while ((link = g_queue_pop_head_link (&caller->calls)) != NULL)
    {
      bus->n_pending--;
      bgs_pending_call_left (link->data);
    }
  caller_free (caller);
}

static int
on_name_owner_changed (sd_bus_message *message,
                       void           *userdata,
                       sd_bus_error   *error)
{
  const char *name, *old_owner, *new_owner;

  if (sd_bus_message_read (message, "sss", &name, &old_owner, &new_owner) >= 0 &&
      *new_owner == '\0')
    caller_left (userdata);

  return 0;
}

static int
on_name_has_owner (sd_bus_message *reply,
                   void           *userdata,
                   sd_bus_error   *error)
{
  BgsCaller *caller = userdata;
  int has_owner = TRUE;

  g_clear_pointer (&caller->query, sd_bus_slot_unref);
  if (!sd_bus_message_is_method_error (reply, NULL) &&
      sd_bus_message_read (reply, "b", &has_owner) >= 0 && !has_owner)
    caller_left (caller);

  return 0;
}

/* The bus refused the match (it limits the rules of a connection, 512 on
 * a stock system bus): the caller's calls are answered as usual, only not
 * dropped early if it leaves. */
static int
on_match_installed (sd_bus_message *reply,
                    void           *userdata,
                    sd_bus_error   *error)
{
  BgsCaller *caller = userdata;
  const sd_bus_error *refusal = sd_bus_message_get_error (reply);

  if (refusal != NULL)
    g_debug ("Cannot watch %s leave the bus: %s", caller->name,
             refusal->message != NULL ? refusal->message : refusal->name);
  return 0;
}

/* Watches @caller's name until it leaves the bus. Without the watch its
 * calls are answered as usual, only not dropped early. */
static void
watch_caller (BgsCaller *caller)
{
  sd_bus *bus = caller->bus->bus;
  g_autofree char *rule = NULL;
  int r;

  rule = g_strdup_printf ("type='signal',sender='" DBUS_SERVICE "',path='" DBUS_PATH "',"
                          "interface='" DBUS_INTERFACE "',member='NameOwnerChanged',"
                          "arg0='%s'", caller->name);
  r = sd_bus_add_match_async (bus, &caller->match, rule, on_name_owner_changed,
                              on_match_installed, caller);
  if (r >= 0)
    r = sd_bus_call_method_async (bus, &caller->query, DBUS_SERVICE, DBUS_PATH, DBUS_INTERFACE,
                                  "NameHasOwner", on_name_has_owner, caller, "s", caller->name);
  if (r < 0)
    g_debug ("Cannot watch %s leave the bus: %s", caller->name, g_strerror (-r));
}

static BgsCaller *
caller_new (BgsBus     *bus,
            const char *name)
{
  BgsCaller *caller = g_new0 (BgsCaller, 1);

  caller->bus = bus;
  caller->name = g_strdup (name);
  g_queue_init (&caller->calls);
  g_hash_table_insert (bus->callers, caller->name, caller);
  /* No name: a peer-to-peer connection, whose end closes the bus. */
  if (*name != '\0')
    watch_caller (caller);

  return caller;
}

/* How many calls of callers with @right may wait in all: the places kept
 * for allowed callers exist only when the total leaves room for them. */
static guint
places_for (BgsBus         *bus,
            BgsCallerRight  right)
{
  if (right == BGS_CALLER_ALLOWED || bus->max_pending <= bus->max_pending_per_caller)
    return bus->max_pending;
  return bus->max_pending - bus->max_pending_per_caller;
}

/*
 * Counts @link (a pending call's) against @sender, who has @right, and the
 * bus; returns the caller it now belongs to, or NULL with LimitsExceeded
 * in @error when either is at its limit.
 */
BgsCaller *
bgs_bus_callers_admit (BgsBus         *bus,
                       const char     *sender,
                       BgsCallerRight  right,
                       GList          *link,
                       sd_bus_error   *error)
{
  const char *name = sender != NULL ? sender : "";
  BgsCaller *caller = g_hash_table_lookup (bus->callers, name);
  guint n_calls = caller != NULL ? caller->calls.length : 0;

  if (n_calls >= bus->max_pending_per_caller)
    {
      sd_bus_error_setf (error, SD_BUS_ERROR_LIMITS_EXCEEDED,
                         "%s has %u calls waiting for their answer, as many as one "
                         "caller may; call again once some are answered", name, n_calls);
      return NULL;
    }
  if (bus->n_pending >= places_for (bus, right))
    {
      sd_bus_error_setf (error, SD_BUS_ERROR_LIMITS_EXCEEDED,
                         "%u calls wait for their answer, as many as all callers "
                         "together may; call again later", bus->n_pending);
      return NULL;
    }

  if (caller == NULL)
    caller = caller_new (bus, name);
  g_queue_push_tail_link (&caller->calls, link);
  bus->n_pending++;

  return caller;
}

/* @link (a pending call's) no longer counts against @caller; a caller
 * left without calls is no longer watched. */
void
bgs_bus_callers_release (BgsBus    *bus,
                         BgsCaller *caller,
                         GList     *link)
{
  g_queue_unlink (&caller->calls, link);
  bus->n_pending--;
  if (g_queue_is_empty (&caller->calls))
    g_hash_table_remove (bus->callers, caller->name);
}

void
bgs_bus_callers_init (BgsBus *bus)
{
  bus->callers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                        (GDestroyNotify) caller_free);
  bus->max_pending_per_caller = BGS_BUS_DEFAULT_MAX_PENDING_PER_CALLER;
  bus->max_pending = BGS_BUS_DEFAULT_MAX_PENDING;
}

/* Drops every pending call, as if each caller had left: the bus goes
 * away. */
void
bgs_bus_callers_clear (BgsBus *bus)
{
  GHashTableIter iter;
  BgsCaller *caller;

  if (bus->callers == NULL)
    return;

  g_hash_table_iter_init (&iter, bus->callers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &caller))
    {
      caller_left (caller);
      g_hash_table_iter_init (&iter, bus->callers);
    }
}

/**
 * bgs_bus_set_max_pending_calls:
 * @self: a #BgsBus
 * @per_caller: how many calls one caller may have waiting, at least 1
 * @total: how many calls all callers together may have waiting, at least 1
 *
 * Sets the limits on calls that wait for their answer (`Wait`, and `Stop`,
 * `Restart` and `StopAll` while the runs they stop end): a call beyond
 * them fails at once with `org.freedesktop.DBus.Error.LimitsExceeded` and
 * changes nothing. When @total is above @per_caller, `Wait` calls, which
 * anyone may make, fill at most @total − @per_caller places: the rest is
 * kept for the calls of callers allowed to change state, so that waiting
 * callers cannot keep an operator from stopping a service. A caller is a
 * connection to the bus (a unique name);
 * when it leaves, its waiting calls are dropped. Calls waiting already
 * stay. The defaults are %BGS_BUS_DEFAULT_MAX_PENDING_PER_CALLER and
 * %BGS_BUS_DEFAULT_MAX_PENDING.
 *
 * Since: 0.1
 */
void
bgs_bus_set_max_pending_calls (BgsBus *self,
                               guint   per_caller,
                               guint   total)
{
  g_return_if_fail (BGS_IS_BUS (self));
  g_return_if_fail (per_caller > 0);
  g_return_if_fail (total > 0);

  self->max_pending_per_caller = per_caller;
  self->max_pending = total;
}

/**
 * bgs_bus_get_n_pending_calls:
 * @self: a #BgsBus
 *
 * Counts the calls that wait for their answer, of every caller, answers
 * waiting for room to be sent included.
 *
 * Returns: the number of waiting calls.
 *
 * Since: 0.1
 */
guint
bgs_bus_get_n_pending_calls (BgsBus *self)
{
  g_return_val_if_fail (BGS_IS_BUS (self), 0);

  return self->n_pending;
}
