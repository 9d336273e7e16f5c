/* SPDX-License-Identifier: MIT */
/* ctl-bus.c: connecting to bgserviced and calling its methods.
 *
 * The connection is plain sd-bus, without an event loop: ctl_bus_call_all()
 * sends the calls of a batch, then alternates sd_bus_process() and ppoll()
 * on the bus socket until every call has its reply. At most a window of
 * calls wait for their reply at a time (CTL_BUS_MAX_IN_FLIGHT, lowered when
 * the bus refuses calls with LimitsExceeded), the next ones being sent as
 * replies come in; a refused call is sent again a little later, a bounded
 * number of times (see on_reply()). SIGINT and SIGTERM are
 * blocked outside ppoll() and unblocked inside it, so a Ctrl-C always
 * lands in the wait (never in the middle of sd-bus) and ends it at once;
 * the caller then cleans up and dies of the same signal (see
 * ctl_bus_get_interrupting_signal()).
 *
 * Another host's system bus (--host) is reached through ssh running
 * systemd-stdio-bridge there, a container's (--machine) through its
 * namespaces; ctl_bus_connect() waits until such a bus is ready, so that
 * a host or container that cannot be reached is told at once, by name.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "ctl-bus.h"
#include "ctl-exit.h"
#include "ctl-sd-bus.h"
#include "ctl-wire.h"

#define SYSTEM_BUS_DEFAULT_ADDRESS "unix:path=/run/dbus/system_bus_socket"

/* A call refused with LimitsExceeded is sent again after RETRY_DELAY_USEC,
 * then after twice as long each time, and given up after MAX_ATTEMPTS
 * sends: 10 + 20 + … + 640 ms, 1.27 s of waiting in all. */
#define MAX_ATTEMPTS     8
#define RETRY_DELAY_USEC (10 * G_TIME_SPAN_MILLISECOND)

/* Batch: the calls of one ctl_bus_call_all() and how far they went. */
typedef struct
{
  GPtrArray *calls;      /* (element-type CtlCall) */
  guint      next;       /* the index of the first call never sent */
  GQueue     refused;    /* (element-type CtlCall) waiting to be sent again */
  guint      n_pending;  /* calls without outcome */
} Batch;

struct _CtlBus
{
  sd_bus     *bus;              /* (owned) */
  CtlBusKind  kind;             /* never CTL_BUS_DEFAULT */
  char       *address;          /* (nullable) as tried, for messages */
  char       *target;           /* (nullable) the host or machine */
  char       *where;            /* "the session bus", … for messages */
  char       *where_exactly;    /* the same, with the address */
  char       *name;             /* the daemon's bus name */
  Batch      *batch;            /* (nullable) the calls being made */
  guint       n_in_flight;      /* calls sent whose reply has not come */
  guint       window;           /* how many may be in flight at most */
  gboolean    access_hinted;    /* the AccessDenied hint was given once */
};

/* The signal that interrupted a wait for replies, or 0. */
static volatile sig_atomic_t interrupting_signal;

/*
 * D-Bus bus names: a unique name (":1.42") or a well-known name of at
 * least two dot-separated elements of [A-Za-z0-9_-], not starting with a
 * digit, 255 bytes at most.
 */
gboolean
ctl_bus_name_is_valid (const char *name)
{
  gboolean unique = name[0] == ':';
  guint n_elements = 1;
  gboolean element_start = TRUE;
  const char *p;

  if (strlen (name) > 255 || name[unique ? 1 : 0] == '\0')
    return FALSE;

  for (p = unique ? name + 1 : name; *p != '\0'; p++)
    {
      if (*p == '.')
        {
          if (element_start)
            return FALSE;
          n_elements++;
          element_start = TRUE;
          continue;
        }
      if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-')
        return FALSE;
      if (element_start && !unique && g_ascii_isdigit (*p))
        return FALSE;
      element_start = FALSE;
    }

  return !element_start && n_elements >= 2;
}

static CtlBusKind
resolve_kind (CtlBusKind kind)
{
  if (kind != CTL_BUS_DEFAULT)
    return kind;

  return geteuid () == 0 ? CTL_BUS_SYSTEM : CTL_BUS_SESSION;
}

/* The address sd-bus will try for @kind, as far as the environment tells;
 * NULL for a session bus without any address. */
static char *
guess_address (CtlBusKind  kind,
               const char *address)
{
  const char *env;

  switch (kind)
    {
    case CTL_BUS_SYSTEM:
      env = g_getenv ("DBUS_SYSTEM_BUS_ADDRESS");
      return g_strdup (env != NULL ? env : SYSTEM_BUS_DEFAULT_ADDRESS);
    case CTL_BUS_SESSION:
      env = g_getenv ("DBUS_SESSION_BUS_ADDRESS");
      if (env != NULL)
        return g_strdup (env);
      env = g_getenv ("XDG_RUNTIME_DIR");
      return env != NULL ? g_strdup_printf ("unix:path=%s/bus", env) : NULL;
    case CTL_BUS_REMOTE:
    case CTL_BUS_MACHINE:
      return NULL;
    case CTL_BUS_ADDRESS:
    case CTL_BUS_DEFAULT:
    default:
      return g_strdup (address);
    }
}

static char *
describe_where (CtlBusKind  kind,
                const char *address)
{
  switch (kind)
    {
    case CTL_BUS_SYSTEM:
      return g_strdup ("the system bus");
    case CTL_BUS_SESSION:
      return g_strdup ("the session bus");
    case CTL_BUS_REMOTE:
      return g_strdup_printf ("the system bus of %s", address);
    case CTL_BUS_MACHINE:
      return g_strdup_printf ("the system bus of machine %s", address);
    case CTL_BUS_ADDRESS:
    case CTL_BUS_DEFAULT:
    default:
      return g_strdup_printf ("the bus at %s", address);
    }
}

static int
open_bus (CtlBus *self)
{
  int r;

  switch (self->kind)
    {
    case CTL_BUS_SYSTEM:
      return sd_bus_open_system (&self->bus);
    case CTL_BUS_SESSION:
      return sd_bus_open_user (&self->bus);
    case CTL_BUS_REMOTE:
      /* Runs `ssh -xT [-p PORT] -- [USER@]HOST systemd-stdio-bridge`. */
      return sd_bus_open_system_remote (&self->bus, self->target);
    case CTL_BUS_MACHINE:
      return sd_bus_open_system_machine (&self->bus, self->target);
    case CTL_BUS_ADDRESS:
    case CTL_BUS_DEFAULT:
    default:
      r = sd_bus_new (&self->bus);
      if (r >= 0)
        r = sd_bus_set_address (self->bus, self->address);
      if (r >= 0)
        r = sd_bus_set_bus_client (self->bus, 1);
      if (r >= 0)
        r = sd_bus_start (self->bus);
      return r;
    }
}

/* Says why the connection to the bus failed (@why: what sd-bus said) and
 * how to fix it. */
static void
set_connect_error (CtlBus      *self,
                   const char  *why,
                   GError     **error)
{
  const char *hint;

  switch (self->kind)
    {
    case CTL_BUS_SYSTEM:
      hint = "is the D-Bus system bus running? For a daemon on your session bus use --session";
      break;
    case CTL_BUS_SESSION:
      hint = "is a D-Bus session running (see DBUS_SESSION_BUS_ADDRESS)? "
             "For the system daemon use --system";
      break;
    case CTL_BUS_REMOTE:
      hint = "the remote host needs sshd and systemd-stdio-bridge (part of systemd), "
             "and ssh must be able to log in there as that user";
      break;
    case CTL_BUS_MACHINE:
      hint = "is that container running? “machinectl list” shows those that are";
      break;
    case CTL_BUS_ADDRESS:
    case CTL_BUS_DEFAULT:
    default:
      hint = "check the address given with --address (for instance unix:path=/run/bgservice/bus)";
      break;
    }

  if (self->kind == CTL_BUS_SESSION && self->address == NULL)
    g_set_error (error, CTL_ERROR, CTL_ERROR_UNREACHABLE,
                 "cannot connect to the session bus: neither DBUS_SESSION_BUS_ADDRESS "
                 "nor XDG_RUNTIME_DIR is set; for the system daemon use --system");
  else if (self->kind == CTL_BUS_REMOTE)
    g_set_error (error, CTL_ERROR, CTL_ERROR_UNREACHABLE,
                 "cannot reach %s over SSH: %s; %s", self->target, why, hint);
  else if (self->kind == CTL_BUS_ADDRESS || self->address == NULL)
    g_set_error (error, CTL_ERROR, CTL_ERROR_UNREACHABLE,
                 "cannot connect to %s: %s; %s", self->where, why, hint);
  else
    g_set_error (error, CTL_ERROR, CTL_ERROR_UNREACHABLE,
                 "cannot connect to %s at %s: %s; %s",
                 self->where, self->address, why, hint);
}

/* What sd-bus answers to a host or machine name that it cannot parse. */
static void
set_invalid_target_error (CtlBus  *self,
                          GError **error)
{
  if (self->kind == CTL_BUS_REMOTE)
    g_set_error (error, CTL_ERROR, CTL_ERROR_UNREACHABLE,
                 "--host: “%s” is not [USER@]HOST[:PORT] (for instance admin@web1 or "
                 "web1:2222)", self->target);
  else
    g_set_error (error, CTL_ERROR, CTL_ERROR_UNREACHABLE,
                 "--machine: “%s” is not a valid machine name (a host name, as "
                 "“machinectl list” shows them)", self->target);
}

/* What sd-bus leaves to ssh to find out, and ssh says unclearly, if at all:
 * a user name that is empty ("@HOST": ssh prints its usage), no ssh. */
static gboolean
check_ssh (CtlBus  *self,
           GError **error)
{
  g_autofree char *ssh = NULL;

  if (self->target[0] == '@')
    {
      set_invalid_target_error (self, error);
      return FALSE;
    }

  /* sd-bus runs "ssh" from PATH; without it, the child just exits. */
  ssh = g_find_program_in_path ("ssh");
  if (ssh == NULL)
    {
      set_connect_error (self, "there is no ssh program in PATH (install OpenSSH's client)",
                         error);
      return FALSE;
    }

  return TRUE;
}

static int wait_for_bus (sd_bus         *bus,
                         const sigset_t *mask,
                         gint64          until);

/*
 * Runs a new connection until it is ready for calls (authenticated, Hello
 * answered). For a bus behind ssh or in a container, this is where an
 * unreachable host shows: ssh (which says why on standard error) or the
 * bridge exits, and the connection ends. sd-bus bounds the wait (its
 * authentication and Hello timeouts); Ctrl-C ends the program as usual.
 */
static gboolean
wait_until_ready (CtlBus  *self,
                  GError **error)
{
  int r;

  while ((r = sd_bus_is_ready (self->bus)) == 0)
    {
      if (sd_bus_is_open (self->bus) <= 0)
        {
          set_connect_error (self, "the connection ended before the bus answered", error);
          return FALSE;
        }
      r = sd_bus_process (self->bus, NULL);
      if (r == 0)
        r = wait_for_bus (self->bus, NULL, G_MAXINT64);
      if (r < 0 && r != -EINTR)
        break;
    }
  if (r < 0)
    {
      set_connect_error (self, g_strerror (-r), error);
      return FALSE;
    }

  return TRUE;
}

/*
 * ctl_bus_connect:
 * @kind: the bus to use
 * @target: (nullable): the address (%CTL_BUS_ADDRESS), [USER@]HOST[:PORT]
 *   (%CTL_BUS_REMOTE) or the machine name (%CTL_BUS_MACHINE)
 * @bus_name: the daemon's bus name
 *
 * Connects to a bus. Whether the daemon is there shows with the first
 * call (which may also start it, by D-Bus activation).
 */
CtlBus *
ctl_bus_connect (CtlBusKind   kind,
                 const char  *target,
                 const char  *bus_name,
                 GError     **error)
{
  g_autoptr (CtlBus) self = g_new0 (CtlBus, 1);
  gboolean remote;
  int r;

  self->kind = resolve_kind (kind);
  remote = self->kind == CTL_BUS_REMOTE || self->kind == CTL_BUS_MACHINE;
  self->address = guess_address (self->kind, target);
  self->target = remote ? g_strdup (target) : NULL;
  self->where = describe_where (self->kind, target);
  if (self->kind == CTL_BUS_ADDRESS || self->address == NULL)
    self->where_exactly = g_strdup (self->where);
  else
    self->where_exactly = g_strdup_printf ("%s (%s)", self->where, self->address);
  self->name = g_strdup (bus_name);
  self->window = CTL_BUS_MAX_IN_FLIGHT;

  if (!ctl_bus_name_is_valid (bus_name))
    {
      g_set_error (error, CTL_ERROR, CTL_ERROR_UNREACHABLE,
                   "“%s” is not a valid D-Bus bus name (for instance org.bgservice1)",
                   bus_name);
      return NULL;
    }

  if (self->kind == CTL_BUS_REMOTE && !check_ssh (self, error))
    return NULL;

  r = open_bus (self);
  if (r == -EINVAL && remote)
    {
      set_invalid_target_error (self, error);
      return NULL;
    }
  if (r < 0)
    {
      set_connect_error (self, g_strerror (-r), error);
      return NULL;
    }
  if (remote && !wait_until_ready (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

void
ctl_bus_free (CtlBus *self)
{
  if (self == NULL)
    return;

  g_clear_pointer (&self->bus, sd_bus_flush_close_unref);
  g_free (self->address);
  g_free (self->target);
  g_free (self->where);
  g_free (self->where_exactly);
  g_free (self->name);
  g_free (self);
}

/* The bus name under which the daemon is called. */
const char *
ctl_bus_get_name (CtlBus *self)
{
  return self->name;
}

/*
 * ctl_call_new:
 * @bus: the connection
 * @path: the object
 * @interface: its interface
 * @member: the method
 * @timeout_usec: %CTL_CALL_TIMEOUT_DEFAULT or %CTL_CALL_TIMEOUT_NONE
 *
 * Creates a call to a method of the daemon; append its arguments to
 * `request`, then make it with ctl_bus_call_all().
 */
CtlCall *
ctl_call_new (CtlBus      *bus,
              const char  *path,
              const char  *interface,
              const char  *member,
              guint64      timeout_usec,
              GError     **error)
{
  g_autoptr (CtlCall) self = g_new0 (CtlCall, 1);
  int r;

  self->bus = bus;
  self->timeout_usec = timeout_usec;
  self->error = SD_BUS_ERROR_NULL;

  r = sd_bus_message_new_method_call (bus->bus, &self->request, bus->name,
                                      path, interface, member);
  if (r < 0)
    {
      g_set_error (error, CTL_ERROR, CTL_ERROR_FAILED,
                   "cannot make a call of %s.%s on %s: %s",
                   interface, member, path, g_strerror (-r));
      return NULL;
    }

  return g_steal_pointer (&self);
}

void
ctl_call_free (CtlCall *self)
{
  if (self == NULL)
    return;

  /* Unreferencing the slot of a call still waiting forgets its reply. */
  g_clear_pointer (&self->slot, sd_bus_slot_unref);
  g_clear_pointer (&self->request, sd_bus_message_unref);
  g_clear_pointer (&self->reply, sd_bus_message_unref);
  sd_bus_error_free (&self->error);
  g_free (self);
}

/* Gives @self its outcome: it leaves the batch's count of calls to wait for. */
static void
finish_call (CtlCall *self)
{
  if (self->done)
    return;

  self->done = TRUE;
  if (self->bus->batch != NULL)
    self->bus->batch->n_pending--;
}

/* How long a call refused @attempts times waits before it is sent again. */
static gint64
retry_delay (guint attempts)
{
  return RETRY_DELAY_USEC << MIN (attempts - 1, MAX_ATTEMPTS);
}

/*
 * A call that the bus refused for its limits (LimitsExceeded, the replies
 * this connection waits for being as many as it allows): the bus allows no
 * more calls in flight than are now, so the window shrinks to that, and
 * the call waits its delay, then a free place in the window.
 */
static void
requeue_refused (CtlCall *self)
{
  CtlBus *bus = self->bus;

  bus->window = MAX (1, MIN (bus->window, bus->n_in_flight));
  self->retry_at = g_get_monotonic_time () + retry_delay (self->attempts);
  g_queue_push_tail (&bus->batch->refused, self);
}

static gboolean is_unreachable (CtlBus             *self,
                                const sd_bus_error *failure);

/* Fails every call of @batch not sent yet, or waiting to be sent again,
 * with @failure, which says that the daemon cannot be reached: they would
 * fail the same way, each after its timeout. */
static void
abandon_unsent (Batch              *batch,
                const sd_bus_error *failure)
{
  CtlCall *call;

  for (; batch->next < batch->calls->len; batch->next++)
    {
      call = batch->calls->pdata[batch->next];
      sd_bus_error_copy (&call->error, failure);
      finish_call (call);
    }
  while ((call = g_queue_pop_head (&batch->refused)) != NULL)
    {
      sd_bus_error_copy (&call->error, failure);
      finish_call (call);
    }
}

static int
on_reply (sd_bus_message *message,
          void           *user_data,
          sd_bus_error   *ret_error)
{
  CtlCall *self = user_data;
  const sd_bus_error *failure = sd_bus_message_get_error (message);

  self->bus->n_in_flight--;
  if (sd_bus_error_has_name (failure, SD_BUS_ERROR_LIMITS_EXCEEDED) &&
      self->attempts < MAX_ATTEMPTS)
    {
      requeue_refused (self);
      return 1;
    }

  if (failure != NULL)
    sd_bus_error_copy (&self->error, failure);
  else
    self->reply = sd_bus_message_ref (message);
  finish_call (self);
  if (failure != NULL && is_unreachable (self->bus, failure))
    abandon_unsent (self->bus->batch, failure);

  return 1;
}

static void
fail_call (CtlCall *self,
           int      r)
{
  if (self->done)
    return;

  sd_bus_error_set_errno (&self->error, r);
  finish_call (self);
}

/* A copy of @self's request, to send it again: a message once sent is
 * sealed with its cookie, which a second send would reuse. */
static int
copy_request (CtlCall *self)
{
  sd_bus_message *sent = self->request;
  g_autoptr (sd_bus_message) copy = NULL;
  int r;

  r = sd_bus_message_new_method_call (self->bus->bus, &copy,
                                      sd_bus_message_get_destination (sent),
                                      sd_bus_message_get_path (sent),
                                      sd_bus_message_get_interface (sent),
                                      sd_bus_message_get_member (sent));
  if (r >= 0)
    r = sd_bus_message_rewind (sent, TRUE);
  if (r >= 0)
    r = sd_bus_message_copy (copy, sent, TRUE);
  if (r < 0)
    return r;

  sd_bus_message_unref (self->request);
  self->request = g_steal_pointer (&copy);
  return 0;
}

/* Sends @self (again, when it was refused before); a call that cannot be
 * sent fails at once. */
static void
send_call (CtlCall *self)
{
  int r = 0;

  g_clear_pointer (&self->slot, sd_bus_slot_unref);
  if (self->attempts > 0)
    r = copy_request (self);
  if (r >= 0)
    r = sd_bus_call_async (self->bus->bus, &self->slot, self->request,
                           on_reply, self, self->timeout_usec);
  self->attempts++;
  if (r < 0)
    {
      fail_call (self, r);
      return;
    }

  self->bus->n_in_flight++;
}

/* The next call to send: a refused one whose delay is over, else the next
 * one never sent; %NULL when none may go now. */
static CtlCall *
next_call (Batch  *batch,
           gint64  now)
{
  for (GList *l = batch->refused.head; l != NULL; l = l->next)
    {
      CtlCall *call = l->data;

      if (call->retry_at <= now)
        {
          g_queue_delete_link (&batch->refused, l);
          return call;
        }
    }

  if (batch->next < batch->calls->len)
    return batch->calls->pdata[batch->next++];

  return NULL;
}

/* Sends calls of the batch while the window has room. */
static void
send_calls (CtlBus *self)
{
  gint64 now = g_get_monotonic_time ();

  while (self->n_in_flight < self->window)
    {
      CtlCall *call = next_call (self->batch, now);

      if (call == NULL)
        break;
      send_call (call);
    }
}

/* When the first refused call of the batch is due to be sent again, in
 * monotonic µs; G_MAXINT64 when none waits. */
static gint64
next_retry_time (const Batch *batch)
{
  gint64 first = G_MAXINT64;

  for (const GList *l = batch->refused.head; l != NULL; l = l->next)
    first = MIN (first, ((const CtlCall *) l->data)->retry_at);

  return first;
}

static void
on_signal (int signo)
{
  interrupting_signal = signo;
}

/* Catches @signo with @action, unless it is ignored (as for a command run
 * in the background by a shell): then it stays ignored. */
static void
catch_signal (int                     signo,
              const struct sigaction *action,
              struct sigaction       *old_action)
{
  sigaction (signo, NULL, old_action);
  if (old_action->sa_handler != SIG_IGN)
    sigaction (signo, action, NULL);
}

/* Sleeps until the bus has something to do, a call timed out, @until
 * (monotonic µs; G_MAXINT64: no such time) came, or one of the signals
 * that @mask leaves unblocked arrived (-EINTR). */
static int
wait_for_bus (sd_bus         *bus,
              const sigset_t *mask,
              gint64          until)
{
  struct pollfd pollfd = { 0, };
  struct timespec timeout, *timeout_p = NULL;
  uint64_t bus_until;
  int r;

  pollfd.fd = sd_bus_get_fd (bus);
  if (pollfd.fd < 0)
    return pollfd.fd;
  r = sd_bus_get_events (bus);
  if (r < 0)
    return r;
  pollfd.events = r;

  /* An absolute CLOCK_MONOTONIC time in µs, the clock of g_get_monotonic_time(). */
  r = sd_bus_get_timeout (bus, &bus_until);
  if (r < 0)
    return r;
  if (bus_until < (uint64_t) until)
    until = (gint64) bus_until;
  if (until != G_MAXINT64)
    {
      gint64 now = g_get_monotonic_time ();
      gint64 left = until > now ? until - now : 0;

      timeout.tv_sec = left / G_USEC_PER_SEC;
      timeout.tv_nsec = (left % G_USEC_PER_SEC) * 1000;
      timeout_p = &timeout;
    }

  if (ppoll (&pollfd, 1, timeout_p, mask) < 0)
    return -errno;

  return 0;
}

/* Runs the bus until every call of the batch is done or a signal came. */
static void
run_until_done (CtlBus   *self,
                sigset_t *wait_mask)
{
  Batch *batch = self->batch;
  int r = 0;

  while (batch->n_pending > 0 && interrupting_signal == 0)
    {
      send_calls (self);
      r = sd_bus_process (self->bus, NULL);
      if (r > 0)
        continue;
      if (r == 0)
        r = wait_for_bus (self->bus, wait_mask, next_retry_time (batch));
      if (r < 0 && r != -EINTR)
        break;
    }

  /* A broken connection: the calls sd-bus did not fail itself, sent or
   * not, fail here. */
  if (r < 0 && r != -EINTR)
    for (guint i = 0; i < batch->calls->len; i++)
      fail_call (batch->calls->pdata[i], r);
}

/*
 * ctl_bus_call_all:
 * @self: the connection
 * @calls: (element-type CtlCall): the calls to make
 *
 * Makes every call, then waits until each has its reply or failed; the
 * outcome is in each CtlCall. At most CTL_BUS_MAX_IN_FLIGHT calls wait for
 * their reply at a time, the others are sent, in their order, as replies
 * come in. A call that the bus refuses with LimitsExceeded is sent again
 * after a short delay, at most MAX_ATTEMPTS times in all, and lowers the
 * number of calls sent at a time to as many as were waiting (at least
 * one), for this batch and the next; its outcome is the last refusal once
 * the attempts are spent.
 *
 * Fails only when SIGINT or SIGTERM interrupted the wait
 * (%CTL_ERROR_INTERRUPTED): the calls not done then stay without outcome,
 * and their replies will be ignored.
 */
gboolean
ctl_bus_call_all (CtlBus     *self,
                  GPtrArray  *calls,
                  GError    **error)
{
  Batch batch = { calls, 0, G_QUEUE_INIT, calls->len };
  struct sigaction action = { 0, }, old_int, old_term;
  sigset_t blocked, old_mask, wait_mask;

  self->batch = &batch;

  /* Deliver SIGINT and SIGTERM only inside ppoll(), to on_signal(). */
  sigemptyset (&blocked);
  sigaddset (&blocked, SIGINT);
  sigaddset (&blocked, SIGTERM);
  sigprocmask (SIG_BLOCK, &blocked, &old_mask);
  wait_mask = old_mask;
  sigdelset (&wait_mask, SIGINT);
  sigdelset (&wait_mask, SIGTERM);
  action.sa_handler = on_signal;
  sigemptyset (&action.sa_mask);
  catch_signal (SIGINT, &action, &old_int);
  catch_signal (SIGTERM, &action, &old_term);

  run_until_done (self, &wait_mask);

  /* Back to the default actions first: a signal that came while they were
   * blocked, outside ppoll(), then ends the program as it would have. */
  sigaction (SIGINT, &old_int, NULL);
  sigaction (SIGTERM, &old_term, NULL);
  sigprocmask (SIG_SETMASK, &old_mask, NULL);

  g_queue_clear (&batch.refused);
  self->batch = NULL;

  if (interrupting_signal != 0)
    {
      g_set_error_literal (error, CTL_ERROR, CTL_ERROR_INTERRUPTED,
                           interrupting_signal == SIGINT ? "interrupted" : "terminated");
      return FALSE;
    }

  return TRUE;
}

/* The signal that interrupted ctl_bus_call_all(), or 0: once everything
 * is cleaned up, the program should die of it, as if it had not caught it
 * (so that a shell loop running it stops too). */
int
ctl_bus_get_interrupting_signal (void)
{
  return interrupting_signal;
}

static void
set_no_owner_error (CtlBus  *self,
                    GError **error)
{
  g_autofree char *hint = NULL;

  switch (self->kind)
    {
    case CTL_BUS_SYSTEM:
      hint = g_strdup ("is it running? Start it with “systemctl start bgserviced”; "
                       "for a daemon on your session bus use --session");
      break;
    case CTL_BUS_SESSION:
      hint = g_strdup ("is it running? For the system daemon use --system");
      break;
    case CTL_BUS_REMOTE:
    case CTL_BUS_MACHINE:
      hint = g_strdup_printf ("is it running there? Start it with “systemctl %s %s start "
                              "bgserviced”", self->kind == CTL_BUS_REMOTE ? "-H" : "-M",
                              self->target);
      break;
    case CTL_BUS_ADDRESS:
    case CTL_BUS_DEFAULT:
    default:
      hint = g_strdup ("is it running on that bus, under that name (see --bus-name)?");
      break;
    }

  g_set_error (error, CTL_ERROR, CTL_ERROR_UNREACHABLE,
               "no bgserviced on %s (%s has no owner); %s",
               self->where, self->name, hint);
}

static gboolean
has_name_prefix (const sd_bus_error *failure,
                 const char         *prefix)
{
  return failure->name != NULL && g_str_has_prefix (failure->name, prefix);
}

/* sd_bus_error_has_names() needs libsystemd 247; the build accepts 246. */
static gboolean
has_any_name (const sd_bus_error *failure,
              const char * const *names)
{
  for (guint i = 0; names[i] != NULL; i++)
    if (sd_bus_error_has_name (failure, names[i]))
      return TRUE;

  return FALSE;
}

static const char * const no_owner_errors[] = {
  SD_BUS_ERROR_SERVICE_UNKNOWN,
  SD_BUS_ERROR_NAME_HAS_NO_OWNER,
  NULL
};

static const char * const not_understood_errors[] = {
  SD_BUS_ERROR_UNKNOWN_METHOD,
  SD_BUS_ERROR_UNKNOWN_INTERFACE,
  SD_BUS_ERROR_UNKNOWN_OBJECT,
  SD_BUS_ERROR_UNKNOWN_PROPERTY,
  NULL
};

static const char * const no_reply_errors[] = {
  SD_BUS_ERROR_NO_REPLY,
  SD_BUS_ERROR_TIMEOUT,
  NULL
};

/* Whether @failure says that the daemon cannot be reached over this
 * connection: nobody owns its name, D-Bus activation failed, no reply
 * came, or the bus kept refusing the calls. */
static gboolean
is_unreachable (CtlBus             *self,
                const sd_bus_error *failure)
{
  return has_any_name (failure, no_owner_errors) ||
         has_name_prefix (failure, "org.freedesktop.DBus.Error.Spawn.") ||
         has_any_name (failure, no_reply_errors) ||
         sd_bus_error_has_name (failure, SD_BUS_ERROR_DISCONNECTED) ||
         sd_bus_error_has_name (failure, SD_BUS_ERROR_LIMITS_EXCEEDED) ||
         sd_bus_is_open (self->bus) <= 0;
}

/*
 * ctl_bus_failure_concerns_call:
 * @self: the connection
 * @call: a call that failed
 *
 * Whether the failure of @call concerns that call only: the daemon
 * answered it, with an error (it does not know the method, the caller may
 * not call it, it could not make the reply), or the bus refused it for its
 * policy. Then another call, asking for the same another way, may work.
 * Otherwise the daemon cannot be reached (see ctl_bus_explain_failure()).
 */
gboolean
ctl_bus_failure_concerns_call (CtlBus        *self,
                               const CtlCall *call)
{
  return !is_unreachable (self, &call->error);
}

/*
 * ctl_bus_explain_failure:
 * @self: the connection
 * @call: a call that failed
 * @action: what the call was to do, as a verb: "stop", "look up"
 * @service: (nullable): the service it was done to, as the user named it
 *
 * Turns the failure of @call into a CTL_ERROR whose message says what
 * went wrong and, where it can, how to fix it. The code tells what
 * follows: %CTL_ERROR_NO_SUCH_SERVICE (exit 4), %CTL_ERROR_UNREACHABLE
 * (exit 2; the next calls would fail the same way), or %CTL_ERROR_FAILED
 * (exit 2 for this call only).
 */
void
ctl_bus_explain_failure (CtlBus        *self,
                         const CtlCall *call,
                         const char    *action,
                         const char    *service,
                         GError       **error)
{
  const sd_bus_error *failure = &call->error;
  g_autofree char *text = NULL;
  g_autofree char *target = NULL;

  /* Some bindings end their messages with a newline. */
  text = g_strdup (failure->message != NULL ? failure->message : failure->name);
  g_strchomp (text);

  if (service != NULL)
    target = g_strdup_printf ("%s “%s”", action, service);
  else
    target = g_strdup (action);

  if (sd_bus_error_has_name (failure, BGS_BUS_ERROR_NO_SUCH_SERVICE) ||
      (service != NULL && sd_bus_error_has_name (failure, SD_BUS_ERROR_UNKNOWN_OBJECT)))
    {
      /* UnknownObject: the service went away after GetService found it. */
      g_set_error (error, CTL_ERROR, CTL_ERROR_NO_SUCH_SERVICE, "no such service: %s",
                   service == NULL ? text : service[0] == '\0' ? "\"\" (an empty name)" : service);
    }
  else if (sd_bus_error_has_name (failure, SD_BUS_ERROR_ACCESS_DENIED))
    {
      g_set_error (error, CTL_ERROR, CTL_ERROR_FAILED,
                   "not allowed to %s: %s%s", target, text,
                   self->access_hinted ? "" :
                   self->kind == CTL_BUS_REMOTE ?
                   " (log in there as root, with --host=root@HOST for instance, or as a "
                   "user named, or in a group named, in ControlUsers= or ControlGroups= "
                   "of the [Daemon] section of bgserviced.conf there)" :
                   " (run bgservicectl as root, with sudo for instance, or have your "
                   "user or group named in ControlUsers= or ControlGroups= of the "
                   "[Daemon] section of bgserviced.conf)");
      self->access_hinted = TRUE;
    }
  else if (has_any_name (failure, no_owner_errors))
    {
      set_no_owner_error (self, error);
    }
  else if (has_any_name (failure, not_understood_errors))
    {
      g_set_error (error, CTL_ERROR, CTL_ERROR_UNREACHABLE,
                   "the owner of %s on %s does not answer as bgserviced does "
                   "(%s); is it bgserviced, of a version that has this command?",
                   self->name, self->where, text);
    }
  else if (has_name_prefix (failure, "org.freedesktop.DBus.Error.Spawn."))
    {
      g_set_error (error, CTL_ERROR, CTL_ERROR_UNREACHABLE,
                   "cannot start bgserviced (%s) on %s by D-Bus activation: %s",
                   self->name, self->where, text);
    }
  else if (sd_bus_is_open (self->bus) <= 0 &&
           (has_any_name (failure, no_reply_errors) ||
            sd_bus_error_has_name (failure, SD_BUS_ERROR_DISCONNECTED) ||
            has_name_prefix (failure, "System.Error.")))
    {
      /* Our own connection closed: the bus refused us, or went away; a
       * remote bus accepted us already (wait_until_ready()), so its ssh
       * or bridge ended. */
      g_set_error (error, CTL_ERROR, CTL_ERROR_UNREACHABLE,
                   "lost the connection to %s while trying to %s: %s; %s",
                   self->where_exactly, target, text,
                   self->kind == CTL_BUS_REMOTE ?
                   "the ssh connection or systemd-stdio-bridge ended" :
                   "does that bus accept connections from this user?");
    }
  else if (has_any_name (failure, no_reply_errors))
    {
      g_set_error (error, CTL_ERROR, CTL_ERROR_UNREACHABLE,
                   "no reply from bgserviced (%s on %s) to %s: %s",
                   self->name, self->where, target, text);
    }
  else if (sd_bus_error_has_name (failure, SD_BUS_ERROR_DISCONNECTED) ||
           has_name_prefix (failure, "System.Error."))
    {
      g_set_error (error, CTL_ERROR, CTL_ERROR_UNREACHABLE,
                   "lost the connection to %s while trying to %s: %s",
                   self->where_exactly, target, text);
    }
  else if (sd_bus_error_has_name (failure, SD_BUS_ERROR_LIMITS_EXCEEDED))
    {
      /* Refused MAX_ATTEMPTS times (on_reply()), with fewer and fewer
       * calls in flight: the bus will not pass on this connection's calls. */
      g_set_error (error, CTL_ERROR, CTL_ERROR_UNREACHABLE,
                   "%s refused %u times to pass on the call to %s to bgserviced (%s): "
                   "%s (%s)", self->where_exactly, call->attempts, target, self->name,
                   text, failure->name);
    }
  else if (sd_bus_error_has_name (failure, SD_BUS_ERROR_INVALID_ARGS))
    {
      g_set_error (error, CTL_ERROR, CTL_ERROR_FAILED,
                   "cannot %s: invalid argument: %s", target, text);
    }
  else
    {
      g_set_error (error, CTL_ERROR, CTL_ERROR_FAILED,
                   "cannot %s: %s (%s)", target, text,
                   failure->name != NULL ? failure->name : "unknown error");
    }
}
