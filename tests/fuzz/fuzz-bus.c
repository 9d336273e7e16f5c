/* SPDX-License-Identifier: MIT */
/* fuzz-bus.c: the D-Bus interfaces of a BgsBus, called by anyone.
 *
 * Each input is a session with a BgsBus: a manager with a few services is
 * exported on one end of a real peer-to-peer sd-bus connection (an AF_UNIX
 * socket pair, bgs_bus_new_for_peer_fd()), and a client sd_bus on the
 * other end sends it the method calls the input describes, while the
 * services' tasks really run, fail, restart and stop on the main context.
 * Everything goes through sd-bus as it would from busctl: message
 * building, authentication, the vtables' signature checks, dispatch, the
 * replies and signals.
 *
 * Who calls: the access check judges the effective UID the kernel recorded
 * for the socket (SO_PEERCRED) and that user's groups in the user
 * database, whatever groups the process holds. So that a caller can be
 * another user, with groups of its own, the target
 * starts, once, one small helper process per identity below, which drops
 * to that identity's user and groups and then makes socket pairs on
 * request, handing both ends over (SCM_RIGHTS). Without root the helpers
 * cannot drop, and every caller is this process's own user. No hook
 * replaces the real credentials.
 *
 * What is checked, besides the sanitizers and GLib's criticals (fatal):
 *   - a caller that may not change state never gets a successful answer
 *     to Start, Stop, Cancel, Restart, ResetFailed, StartAll or StopAll,
 *     even with a sender of its own choosing; a caller that may is never
 *     refused, when it sends no sender (the peer's credentials rule);
 *   - every call that expects an answer gets one once the services have
 *     been stopped, unless the connection was broken on purpose;
 *   - the bus, the manager and every service are finalized at the end:
 *     no reference is left behind (LeakSanitizer checks the rest).
 *
 * The input, byte by byte (what is missing reads as 0):
 *   IDENTITY  which caller (an index into identities[])
 *   ALLOWED   bits: which of the other users and groups may change state
 *   NSERVICES then that many SERVICEs
 *   then operations until the input ends, each an OP byte and its operands:
 *     call a method, settle (iterate until quiet), iterate once, add a
 *     service, remove one, act on a service from the library side, write
 *     raw bytes on the socket and hang up, close the client's end.
 * SERVICE is a NAME, a RESTART byte and up to four task bytes (see
 * read_service()); strings are a length byte and that many bytes.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bgservice.h>

#include "bgs-bus-private.h"
#include "fuzz-target.h"

#define FUZZ_MAX_INPUT     4096
#define MAX_OPS            48
#define MAX_SERVICES       8
#define MAX_TASKS          4
#define MAX_SETTLE_ROUNDS  200
#define QUIET_ROUNDS       3
#define MAX_STOP_ROUNDS    8

/* Warnings a hostile peer may cause: its connection lost, or an answer
 * that could not be sent (the checks below see that every call the peer
 * still waits for is answered). */
static const char * const allowed_warnings[] = {
  "The D-Bus connection was lost",
  "Could not answer ",
  "sd-bus could not process or answer a call",
  NULL,
};
#define ACCESS_DENIED "org.freedesktop.DBus.Error.AccessDenied"

/* ---- input ---------------------------------------------------------------- */

/* Input: the bytes of one input, consumed from the front. */
typedef struct
{
  const uint8_t *data;
  size_t         size;
} Input;

static guint8
take_byte (Input *input)
{
  guint8 byte;

  if (input->size == 0)
    return 0;
  byte = input->data[0];
  input->data++;
  input->size--;
  return byte;
}

/* A string: a length byte, then up to that many bytes (fewer when the
 * input ends). NUL bytes end it early, as C strings do. */
static char *
take_string (Input *input)
{
  size_t length = take_byte (input);
  char *text;

  length = MIN (length, input->size);
  text = g_strndup ((const char *) input->data, length);

  input->data += length;
  input->size -= length;
  return text;
}

/* ---- callers ---------------------------------------------------------------- */

/* Identity: a caller, as the kernel will record it for its socket. */
typedef struct
{
  const char *label;
  gboolean    self;       /* this process as it is; the fields are unused */
  uid_t       ruid;
  uid_t       euid;
  gid_t       gid;
  gid_t       groups[2];
  int         n_groups;
} Identity;

/* Users and groups no system account uses; ALLOWED picks among them. */
#define USER_A   4101
#define USER_B   4102
#define USER_C   4103
#define USER_D   4104
#define USER_E   4105
#define GROUP_X  4200
#define GROUP_Y  4201
#define NOBODY   65534

static const Identity identities[] = {
  { "this process", TRUE, 0, 0, 0, { 0 }, 0 },
  { "user A", FALSE, USER_A, USER_A, USER_A, { 0 }, 0 },
  { "user B in groups X and Y", FALSE, USER_B, USER_B, USER_B, { GROUP_X, GROUP_Y }, 2 },
  { "user C of primary group X", FALSE, USER_C, USER_C, GROUP_X, { 0 }, 0 },
  { "user D acting as user E", FALSE, USER_D, USER_E, USER_D, { 0 }, 0 },
  { "nobody", FALSE, NOBODY, NOBODY, NOBODY, { 0 }, 0 },
  { "root acting as user A", FALSE, 0, USER_A, USER_A, { GROUP_Y }, 1 },
};

#define N_IDENTITIES G_N_ELEMENTS (identities)

/* The ids ALLOWED's bits give to bgs_bus_allow_uid() and _gid(). */
static const struct {
  gboolean group;
  guint32  id;
} allowable[] = {
  { FALSE, USER_A }, { FALSE, USER_E }, { FALSE, NOBODY }, { TRUE, GROUP_X }, { TRUE, GROUP_Y },
};

/* Helper: the process that makes socket pairs as one identity. */
typedef struct
{
  pid_t pid;      /* 0: none, this identity is this process */
  int   control;  /* SOCK_SEQPACKET to the helper */
} Helper;

static Helper helpers[N_IDENTITIES];

/* In the helper: becomes @identity, says whether it could, then answers
 * each request with a new socket pair. Never returns. */
static void G_GNUC_NORETURN
helper_main (const Identity *identity,
             int             control)
{
  char ok;

  prctl (PR_SET_PDEATHSIG, SIGKILL);
  ok = setgroups ((size_t) identity->n_groups, identity->groups) == 0 &&
       setresgid (identity->gid, identity->gid, identity->gid) == 0 &&
       setresuid (identity->ruid, identity->euid, identity->euid) == 0;
  if (write (control, &ok, 1) != 1 || !ok)
    _exit (0);

  for (;;)
    {
      char request;
      int pair[2];
      char buffer[CMSG_SPACE (sizeof pair)] = { 0 };
      struct iovec iov = { &request, 1 };
      struct msghdr message = { .msg_iov = &iov, .msg_iovlen = 1,
                                .msg_control = buffer, .msg_controllen = sizeof buffer };
      struct cmsghdr *header = CMSG_FIRSTHDR (&message);

      if (read (control, &request, 1) != 1)
        _exit (0);
      if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, pair) < 0)
        _exit (1);

      header->cmsg_level = SOL_SOCKET;
      header->cmsg_type = SCM_RIGHTS;
      header->cmsg_len = CMSG_LEN (sizeof pair);
      memcpy (CMSG_DATA (header), pair, sizeof pair);
      if (sendmsg (control, &message, MSG_NOSIGNAL) != 1)
        _exit (1);
      close (pair[0]);
      close (pair[1]);
    }
}

/* Starts the helper of @identity; leaves it out when it cannot become
 * that identity (without root). */
static void
helper_start (guint index)
{
  const Identity *identity = &identities[index];
  int control[2];
  char ok = 0;
  pid_t pid;

  if (identity->self || geteuid () != 0)
    return;

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, control), ==, 0);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      close (control[0]);
      helper_main (identity, control[1]);
    }

  close (control[1]);
  if (read (control[0], &ok, 1) != 1 || !ok)
    {
      close (control[0]);
      waitpid (pid, NULL, 0);
      return;
    }

  helpers[index].pid = pid;
  helpers[index].control = control[0];
}

/* A connected socket pair made by identity @index (or by this process,
 * when it has no helper). */
static void
make_socket_pair (guint index,
                  int   pair[2])
{
  const Helper *helper = &helpers[index];
  char request = 1;
  char buffer[CMSG_SPACE (2 * sizeof (int))];
  struct iovec iov = { &request, 1 };
  struct msghdr message = { .msg_iov = &iov, .msg_iovlen = 1,
                            .msg_control = buffer, .msg_controllen = sizeof buffer };
  struct cmsghdr *header;
  ssize_t received;

  if (helper->pid == 0)
    {
      g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, pair), ==, 0);
      return;
    }

  /* libFuzzer's timeout alarm (SIGALRM, without SA_RESTART) interrupts
   * these waits now and then: retry. */
  do
    received = write (helper->control, &request, 1);
  while (received < 0 && errno == EINTR);
  if (received != 1)
    g_error ("Cannot ask the helper of %s: %s", identities[index].label, g_strerror (errno));
  do
    received = recvmsg (helper->control, &message, MSG_CMSG_CLOEXEC);
  while (received < 0 && errno == EINTR);
  if (received != 1)
    g_error ("No socket pair from the helper of %s: %s", identities[index].label,
             received < 0 ? g_strerror (errno) : "it is gone");
  header = CMSG_FIRSTHDR (&message);
  g_assert_nonnull (header);
  g_assert_cmpint (header->cmsg_type, ==, SCM_RIGHTS);
  memcpy (pair, CMSG_DATA (header), 2 * sizeof (int));
}

/* The identity a session really has: its own, or this process's when its
 * helper could not be started. */
static gboolean
identity_is_self (guint index)
{
  return helpers[index].pid == 0;
}

/* Whether the user database puts @uid in group @gid (as its primary
 * group or a member). The users of identities[] are in none of them: the
 * groups their processes hold must never count. */
static gboolean
user_in_group (uid_t uid,
               gid_t gid)
{
  struct passwd *user = getpwuid (uid);
  gid_t groups[64];
  int n_groups = G_N_ELEMENTS (groups);

  if (user == NULL)
    return FALSE;
  if (getgrouplist (user->pw_name, user->pw_gid, groups, &n_groups) < 0)
    g_error ("%s is in more than %u groups", user->pw_name, (guint) G_N_ELEMENTS (groups));
  for (int i = 0; i < n_groups; i++)
    if (groups[i] == gid)
      return TRUE;

  return FALSE;
}

/* Whether the caller @index may change state when @allowed_bits pick
 * the allowed users and groups: the rule of bgs-bus-access.c (root, this
 * process's user, an allowed user, or a user that the user database puts
 * in an allowed group). */
static gboolean
identity_may_change (guint index,
                     guint allowed_bits)
{
  const Identity *identity = &identities[index];
  uid_t uid = identity_is_self (index) ? geteuid () : identity->euid;

  if (uid == 0 || uid == geteuid ())
    return TRUE;

  for (guint i = 0; i < G_N_ELEMENTS (allowable); i++)
    {
      if (!(allowed_bits & (1u << i)))
        continue;
      if (!allowable[i].group && allowable[i].id == uid)
        return TRUE;
      if (allowable[i].group && user_in_group (uid, allowable[i].id))
        return TRUE;
    }

  return FALSE;
}

/* ---- FuzzService ---------------------------------------------------------- */

/* TaskKind: how a task of a FuzzService ends (besides being cancelled). */
typedef enum
{
  TASK_FOREVER,            /* only when cancelled */
  TASK_SUCCEEDS,           /* after its delay */
  TASK_FAILS,              /* after its delay, with its error */
  TASK_FAILS_ON_CANCEL,    /* only when cancelled, with its error */
} TaskKind;

/* FuzzService: a service whose start() makes the tasks its script says:
 * each ends after a number of main-loop iterations, or never, with or
 * without an error; a cancel ends every one of them. */
#define FUZZ_TYPE_SERVICE (fuzz_service_get_type ())
G_DECLARE_FINAL_TYPE (FuzzService, fuzz_service, FUZZ, SERVICE, BgsService)

struct _FuzzService
{
  BgsService  parent_instance;
  guint       n_tasks;
  guint8      script[MAX_TASKS];   /* kind in bits 0-1, delay in bits 2-7 */
  char       *task_name;           /* (owned) (nullable) */
  char       *error_message;       /* (owned) */
};

G_DEFINE_FINAL_TYPE (FuzzService, fuzz_service, BGS_TYPE_SERVICE)

/* ScriptTask: the data of one task; freed with the task. */
typedef struct
{
  GTask    *task;           /* (unowned): owns this */
  TaskKind  kind;
  guint     countdown;      /* iterations left */
  GError   *error;          /* (owned) (nullable) */
  GSource  *ticker;         /* (owned) (nullable) */
  GSource  *cancel_watch;   /* (owned) (nullable) */
} ScriptTask;

static void
drop_source (GSource **source)
{
  if (*source == NULL)
    return;

  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static void
script_task_free (gpointer data)
{
  ScriptTask *script = data;

  drop_source (&script->ticker);
  drop_source (&script->cancel_watch);
  g_clear_error (&script->error);
  g_free (script);
}

/* Ends the task, with @error (taken) or successfully. */
static void
script_task_end (ScriptTask *script,
                 GError     *error)
{
  drop_source (&script->ticker);
  drop_source (&script->cancel_watch);

  if (error != NULL)
    g_task_return_error (script->task, error);
  else
    g_task_return_boolean (script->task, TRUE);
}

static gboolean
on_script_tick (gpointer user_data)
{
  ScriptTask *script = user_data;

  if (script->countdown-- > 0)
    return G_SOURCE_CONTINUE;

  g_clear_pointer (&script->ticker, g_source_unref);
  script_task_end (script, script->kind == TASK_FAILS ? g_steal_pointer (&script->error) : NULL);
  return G_SOURCE_REMOVE;
}

static gboolean
on_script_cancelled (GCancellable *cancellable,
                     gpointer      user_data)
{
  ScriptTask *script = user_data;
  GError *error = NULL;

  if (script->kind == TASK_FAILS_ON_CANCEL)
    error = g_steal_pointer (&script->error);
  else
    error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");

  g_clear_pointer (&script->cancel_watch, g_source_unref);
  script_task_end (script, error);
  return G_SOURCE_REMOVE;
}

/* Makes the task @script_byte describes. */
static void
fuzz_service_spawn (FuzzService *self,
                    guint8       script_byte,
                    guint        index)
{
  BgsService *service = BGS_SERVICE (self);
  GMainContext *context = bgs_service_get_context (service);
  GTask *task = bgs_service_task_new (service, self->task_name);
  ScriptTask *script = g_new0 (ScriptTask, 1);

  script->task = task;
  script->kind = script_byte & 3;
  script->countdown = script_byte >> 2;
  script->error = g_error_new (G_IO_ERROR, (int) index + 1, "%s", self->error_message);

  if (script->kind == TASK_SUCCEEDS || script->kind == TASK_FAILS)
    {
      script->ticker = g_idle_source_new ();
      g_source_set_priority (script->ticker, G_PRIORITY_DEFAULT);
      g_source_set_callback (script->ticker, on_script_tick, script, NULL);
      g_source_attach (script->ticker, context);
    }

  script->cancel_watch = g_cancellable_source_new (g_task_get_cancellable (task));
  g_source_set_callback (script->cancel_watch, G_SOURCE_FUNC (on_script_cancelled), script, NULL);
  g_source_attach (script->cancel_watch, context);

  g_task_set_task_data (task, script, script_task_free);
  g_object_unref (task);
}

static void
fuzz_service_start (BgsService *service)
{
  FuzzService *self = FUZZ_SERVICE (service);

  for (guint i = 0; i < self->n_tasks; i++)
    fuzz_service_spawn (self, self->script[i], i);
}

static void
fuzz_service_finalize (GObject *object)
{
  FuzzService *self = FUZZ_SERVICE (object);

  g_free (self->task_name);
  g_free (self->error_message);

  G_OBJECT_CLASS (fuzz_service_parent_class)->finalize (object);
}

static void
fuzz_service_class_init (FuzzServiceClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = fuzz_service_finalize;
  BGS_SERVICE_CLASS (klass)->start = fuzz_service_start;
}

static void
fuzz_service_init (FuzzService *self)
{
}

/* ---- the session ------------------------------------------------------------ */

/* Expectation: what the access check must answer a call. */
typedef enum
{
  EXPECT_ANYTHING,
  EXPECT_NOT_REFUSED,   /* the caller may: never AccessDenied */
  EXPECT_NO_SUCCESS,    /* the caller may not: never a method return */
} Expectation;

/* Call: one method call that expects an answer. */
typedef struct
{
  Expectation  expect;
  gboolean     answered;
  char        *member;   /* (owned): for messages */
} Call;

/* Session: everything one input sets up. */
typedef struct
{
  GMainContext *context;     /* (owned) */
  BgsManager   *manager;     /* (owned) */
  BgsBus       *bus;         /* (owned) */
  sd_bus       *client;      /* (owned) (nullable): closed by an operation */
  GPtrArray    *services;    /* (element-type BgsService) (owned): every one made */
  GPtrArray    *calls;       /* (element-type Call) (owned) */
  guint         identity;
  gboolean      may_change;
  gboolean      broken;      /* the connection was broken on purpose */
  gboolean      keep_invalid_utf8;
} Session;

static void
call_free (gpointer data)
{
  Call *call = data;

  g_free (call->member);
  g_free (call);
}

/* Service names worth trying besides those of the input: escaping in
 * paths (sd_bus_path_encode()), lengths, characters. */
static const char * const fixed_names[] = {
  "clock", "web", "a", "_61", "dienst-ü", "with space", "x/y", "-", "..", "évé.nt_1",
  "名前", "a_2f", "tab\ttab",
};

/* The longest name allowed, 255 bytes. */
static char long_name[256];

/* A service name from the input: one of fixed_names, the longest, or a
 * string of the input. */
static char *
take_name (Input *input)
{
  guint8 choice = take_byte (input);

  if (choice < G_N_ELEMENTS (fixed_names))
    return g_strdup (fixed_names[choice]);
  if (choice == 255)
    return g_strdup (long_name);

  return take_string (input);
}

/* Strings the services carry: made valid UTF-8 unless the session keeps
 * them as they are (a module may raise any bytes in a GError). */
static char *
session_string (Session *session,
                char    *text)
{
  char *valid;

  if (session->keep_invalid_utf8)
    return text;

  valid = g_utf8_make_valid (text, -1);
  g_free (text);
  return valid;
}

/*
 * A FuzzService from the input: NAME, then RESTART (bits 0-1: the
 * policy; bits 2-3: one less than the restarts allowed in a minute; a
 * service without a limit that fails at once would restart as fast as
 * the loop turns, and slow the fuzzer to a crawl), then NTASKS
 * and that many script bytes, a task name and an error message. NULL
 * when the name is not a valid service name.
 */
static BgsService *
read_service (Session *session,
              Input   *input)
{
  g_autofree char *name = take_name (input);
  guint8 restart = take_byte (input);
  g_autoptr(FuzzService) self = NULL;

  if (!bgs_service_name_validate (name, NULL))
    return NULL;

  self = g_object_new (FUZZ_TYPE_SERVICE, "name", name,
                       "restart", MIN (restart & 3, BGS_RESTART_ALWAYS),
                       "restart-delay-ms", 0,
                       "start-limit-burst", 1 + ((restart >> 2) & 3),
                       "start-limit-interval-ms", 60000,
                       NULL);
  self->n_tasks = take_byte (input);
  self->n_tasks = MIN (self->n_tasks, MAX_TASKS);
  for (guint i = 0; i < self->n_tasks; i++)
    self->script[i] = take_byte (input);
  self->task_name = session_string (session, take_string (input));
  self->error_message = session_string (session, take_string (input));
  if (*self->task_name == '\0')
    g_clear_pointer (&self->task_name, g_free);

  return BGS_SERVICE (g_steal_pointer (&self));
}

/* Adds a service read from the input to the manager, if its name is
 * valid and free. */
static void
add_service (Session *session,
             Input   *input)
{
  g_autoptr(BgsService) service = read_service (session, input);

  if (service == NULL || session->services->len >= MAX_SERVICES)
    return;
  if (!bgs_manager_add (session->manager, service, NULL))
    return;

  g_ptr_array_add (session->services, g_steal_pointer (&service));
}

/* The @choice-th service of the session (modulo), or NULL without any. */
static BgsService *
pick_service (Session *session,
              guint8   choice)
{
  if (session->services->len == 0)
    return NULL;

  return session->services->pdata[choice % session->services->len];
}

/* ---- the main loop ---------------------------------------------------------- */

/* Lets the client read and write what it can; FALSE when it did nothing. */
static gboolean
process_client (Session *session)
{
  gboolean progress = FALSE;
  int r;

  if (session->client == NULL)
    return FALSE;

  while ((r = sd_bus_process (session->client, NULL)) > 0)
    progress = TRUE;
  if (r < 0 && !session->broken)
    g_error ("The client lost its connection: %s", g_strerror (-r));

  return progress;
}

/* One iteration of the server's context, then the client. */
static gboolean
iterate_once (Session *session)
{
  gboolean progress = g_main_context_iteration (session->context, FALSE);

  return process_client (session) || progress;
}

/* Iterates until nothing happens for a few rounds (or a bound). */
static void
settle (Session *session)
{
  guint quiet = 0;

  for (guint i = 0; i < MAX_SETTLE_ROUNDS && quiet < QUIET_ROUNDS; i++)
    quiet = iterate_once (session) ? 0 : quiet + 1;
}

/* FUZZ_BUS_VERBOSE set: every answer is printed, to see what an input
 * does. */
static gboolean verbose;

/* ---- method calls ------------------------------------------------------------- */

static const char * const members[] = {
  "ListServices", "GetService", "StartAll", "StopAll",
  "Start", "Stop", "Cancel", "Wait", "Restart", "ResetFailed",
  "Get", "GetAll", "Set", "Introspect", "Ping", "GetMachineId", "GetManagedObjects",
};

static const char * const interfaces[] = {
  BGS_BUS_MANAGER_INTERFACE, BGS_BUS_SERVICE_INTERFACE, "org.freedesktop.DBus.Properties",
  "org.freedesktop.DBus.Introspectable", "org.freedesktop.DBus.Peer",
  "org.freedesktop.DBus.ObjectManager",
};

static const char * const properties[] = {
  "Name", "IsRunning", "NTasks", "LastErrors", "State", "StateTimestamp", "NRestarts",
  "Restart", "Version",
};

/* Whether @member changes state, and with which signature. */
static const char *
changing_signature (const char *interface,
                    const char *member)
{
  static const struct {
    const char *interface;
    const char *member;
    const char *signature;
  } changing[] = {
    { BGS_BUS_SERVICE_INTERFACE, "Start", "" },
    { BGS_BUS_SERVICE_INTERFACE, "Stop", "s" },
    { BGS_BUS_SERVICE_INTERFACE, "Cancel", "s" },
    { BGS_BUS_SERVICE_INTERFACE, "Restart", "s" },
    { BGS_BUS_SERVICE_INTERFACE, "ResetFailed", "" },
    { BGS_BUS_MANAGER_INTERFACE, "StartAll", "" },
    { BGS_BUS_MANAGER_INTERFACE, "StopAll", "s" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (changing); i++)
    if ((interface == NULL || g_str_equal (interface, changing[i].interface)) &&
        g_str_equal (member, changing[i].member))
      return changing[i].signature;

  return NULL;
}

/* The object path of a call, by the kind @choice picks. */
static char *
take_path (Session *session,
           Input   *input,
           guint8   choice)
{
  BgsService *service;
  g_autofree char *label = NULL;
  char *path = NULL;

  switch (choice % 8)
    {
    case 0:
      return g_strdup (BGS_BUS_ROOT_PATH);
    case 1:
    case 7:
      service = pick_service (session, take_byte (input));
      if (service == NULL)
        return g_strdup (BGS_BUS_SERVICE_PATH_PREFIX);
      g_assert_cmpint (sd_bus_path_encode (BGS_BUS_SERVICE_PATH_PREFIX,
                                           bgs_service_get_name (service), &path), >=, 0);
      if (choice % 8 == 7)
        {
          char *child = g_strconcat (path, "/child", NULL);

          free (path);
          return child;
        }
      label = g_strdup (path);
      free (path);
      return g_steal_pointer (&label);
    case 2:
      return g_strdup ("/");
    case 3:
      return g_strdup (BGS_BUS_SERVICE_PATH_PREFIX);
    case 4:
      label = take_string (input);
      g_assert_cmpint (sd_bus_path_encode (BGS_BUS_SERVICE_PATH_PREFIX, label, &path), >=, 0);
      g_free (label);
      label = g_strdup (path);
      free (path);
      return g_steal_pointer (&label);
    case 5:
      label = take_string (input);
      if (sd_bus_object_path_is_valid (label))
        return g_steal_pointer (&label);
      return g_strdup (BGS_BUS_ROOT_PATH);
    case 6:
    default:
      {
        GString *long_path = g_string_new (BGS_BUS_SERVICE_PATH_PREFIX);
        guint n = take_byte (input);

        for (guint i = 0; i < n; i++)
          g_string_append (long_path, "/_2f");
        return g_string_free (long_path, FALSE);
      }
    }
}

/* Appends one basic value of @type, from the input. */
static int
append_basic (Session        *session,
              sd_bus_message *message,
              char            type,
              Input          *input)
{
  g_autofree char *text = NULL;
  guint64 number = 0;
  double real;
  int flag;

  for (guint i = 0; i < 8; i++)
    number = number << 8 | take_byte (input);

  switch (type)
    {
    case 's':
      text = session_string (session, take_string (input));
      return sd_bus_message_append_basic (message, 's', text);
    case 'o':
      text = take_string (input);
      return sd_bus_message_append_basic (message, 'o',
                                          sd_bus_object_path_is_valid (text) ? text : "/");
    case 'g':
      text = take_string (input);
      return sd_bus_message_append_basic (message, 'g',
                                          g_variant_is_signature (text) ? text : "s");
    case 'b':
      flag = number & 1;
      return sd_bus_message_append_basic (message, 'b', &flag);
    case 'd':
      memcpy (&real, &number, sizeof real);
      return sd_bus_message_append_basic (message, 'd', &real);
    default:
      /* y n q i u x t: the low bytes of @number, in host order. */
      return sd_bus_message_append_basic (message, type, &number);
    }
}

/* Appends up to three arguments of types the input picks. */
static int
append_arbitrary (Session        *session,
                  sd_bus_message *message,
                  Input          *input)
{
  static const char basic[] = "ybnqiuxtdsog";
  guint n = take_byte (input) % 4;
  int r = 0;

  for (guint i = 0; i < n && r >= 0; i++)
    {
      guint8 kind = take_byte (input);

      switch (kind % 5)
        {
        case 0:
        case 1:
          r = append_basic (session, message, basic[(kind / 5) % (sizeof basic - 1)], input);
          break;
        case 2:
          r = sd_bus_message_open_container (message, 'v', "s");
          if (r >= 0)
            r = append_basic (session, message, 's', input);
          if (r >= 0)
            r = sd_bus_message_close_container (message);
          break;
        case 3:
          r = sd_bus_message_open_container (message, 'a', "s");
          for (guint e = 0; r >= 0 && e < (guint) (kind / 5) % 4; e++)
            r = append_basic (session, message, 's', input);
          if (r >= 0)
            r = sd_bus_message_close_container (message);
          break;
        case 4:
        default:
          r = sd_bus_message_open_container (message, 'a', BGS_BUS_ERROR_ENTRY_TYPE);
          if (r >= 0 && (kind & 0x80))
            r = sd_bus_message_append (message, BGS_BUS_ERROR_ENTRY_TYPE, "t", "d", 1, "m");
          if (r >= 0)
            r = sd_bus_message_close_container (message);
          break;
        }
    }

  return r;
}

/* Appends the arguments @member takes, with values of the input. */
static int
append_natural (Session        *session,
                sd_bus_message *message,
                const char     *member,
                Input          *input)
{
  g_autofree char *text = NULL;
  guint8 choice;

  if (g_str_equal (member, "Get") || g_str_equal (member, "GetAll") ||
      g_str_equal (member, "Set"))
    {
      choice = take_byte (input);
      text = choice < G_N_ELEMENTS (interfaces) ? g_strdup (interfaces[choice]) : take_string (input);
      if (sd_bus_message_append (message, "s", text) < 0)
        return sd_bus_message_append (message, "s", "");
      if (g_str_equal (member, "GetAll"))
        return 0;

      g_clear_pointer (&text, g_free);
      choice = take_byte (input);
      text = choice < G_N_ELEMENTS (properties) ? g_strdup (properties[choice]) : take_string (input);
      if (sd_bus_message_append (message, "s", text) < 0 &&
          sd_bus_message_append (message, "s", "") < 0)
        return -EINVAL;
      if (g_str_equal (member, "Get"))
        return 0;
      return sd_bus_message_append (message, "v", "u", (guint32) take_byte (input));
    }

  if (g_str_equal (member, "GetService"))
    {
      text = take_name (input);
      text = session_string (session, g_steal_pointer (&text));
      return sd_bus_message_append_basic (message, 's', text);
    }

  if (g_str_equal (member, "Stop") || g_str_equal (member, "Cancel") ||
      g_str_equal (member, "Restart") || g_str_equal (member, "StopAll"))
    return append_basic (session, message, 's', input);

  return 0;
}

/* Reads an a(ssis) error list through to its end. */
static void
read_error_list (sd_bus_message *reply)
{
  const char *task, *domain, *text;
  int32_t code;
  int r;

  g_assert_cmpint (sd_bus_message_enter_container (reply, 'a', BGS_BUS_ERROR_ENTRY_TYPE), >, 0);
  while ((r = sd_bus_message_read (reply, BGS_BUS_ERROR_ENTRY_TYPE, &task, &domain, &code, &text)) > 0)
    g_assert_true (g_utf8_validate (text, -1, NULL));
  g_assert_cmpint (r, ==, 0);
  g_assert_cmpint (sd_bus_message_exit_container (reply), >=, 0);
}

/* Reads ListServices's a(sbuo): each path is its name's. */
static void
read_service_list (sd_bus_message *reply)
{
  const char *name, *path;
  uint32_t n_tasks;
  int running, r;

  g_assert_cmpint (sd_bus_message_enter_container (reply, 'a', "(sbuo)"), >, 0);
  while ((r = sd_bus_message_read (reply, "(sbuo)", &name, &running, &n_tasks, &path)) > 0)
    {
      char *decoded = NULL;

      g_assert_cmpint (sd_bus_path_decode (path, BGS_BUS_SERVICE_PATH_PREFIX, &decoded), >, 0);
      g_assert_cmpstr (decoded, ==, name);
      free (decoded);
    }
  g_assert_cmpint (r, ==, 0);
  g_assert_cmpint (sd_bus_message_exit_container (reply), >=, 0);
}

/* The answer to a call: checked against what access control must say,
 * and read through when it is one of the interface's own. */
static int
on_reply (sd_bus_message *reply,
          void           *user_data,
          sd_bus_error   *ret_error)
{
  Call *call = user_data;
  const sd_bus_error *error = sd_bus_message_get_error (reply);

  call->answered = TRUE;
  if (verbose)
    g_printerr ("fuzz-bus: %s: %s%s%s\n", call->member, error != NULL ? error->name : "answered",
                error != NULL ? ": " : "", error != NULL ? error->message : "");

  if (error != NULL)
    {
      if (call->expect == EXPECT_NOT_REFUSED && g_str_equal (error->name, ACCESS_DENIED))
        g_error ("%s refused to a caller that may call it: %s", call->member, error->message);
      return 0;
    }

  if (call->expect == EXPECT_NO_SUCCESS)
    g_error ("%s succeeded for a caller that may not change state", call->member);

  if (sd_bus_message_has_signature (reply, BGS_BUS_ERROR_LIST_TYPE))
    read_error_list (reply);
  else if (sd_bus_message_has_signature (reply, "a(sbuo)"))
    read_service_list (reply);

  return 0;
}

/*
 * A method call, as the input describes it: PATHKIND-and-INTERFACE byte
 * (bits 0-2 the path, 3-5 the interface, 6 arbitrary arguments instead of
 * the member's own, 7 a sender of its own), MEMBER byte, FLAGS byte (bit 0
 * no reply expected, bit 1 a destination), then the path's, member's and
 * arguments' operands.
 */
static void
send_call (Session *session,
           Input   *input)
{
  guint8 shape = take_byte (input);
  guint8 member_choice = take_byte (input);
  guint8 flags = take_byte (input);
  g_autoptr(sd_bus_message) message = NULL;
  g_autofree char *path = take_path (session, input, shape & 7);
  g_autofree char *interface = NULL;
  g_autofree char *member = NULL;
  g_autofree char *sender = NULL;
  const char *signature;
  gboolean wants_reply = !(flags & 1);
  Call *call;
  int r;

  if (session->client == NULL)
    return;

  switch ((shape >> 3) & 7)
    {
    case 6:
      interface = NULL;
      break;
    case 7:
      interface = take_string (input);
      if (!sd_bus_interface_name_is_valid (interface))
        g_clear_pointer (&interface, g_free);
      break;
    default:
      interface = g_strdup (interfaces[(shape >> 3) & 7]);
      break;
    }

  member = member_choice < G_N_ELEMENTS (members) ? g_strdup (members[member_choice])
                                                   : take_string (input);
  if (!sd_bus_member_name_is_valid (member))
    {
      g_free (member);
      member = g_strdup ("Ping");
    }

  r = sd_bus_message_new_method_call (session->client, &message, NULL, path, interface, member);
  g_assert_cmpint (r, >=, 0);
  if (shape & 0x80)
    {
      sender = take_string (input);
      if (sd_bus_message_set_sender (message, sender) < 0)
        sd_bus_message_set_sender (message, ":1.7");
    }
  if (flags & 2)
    sd_bus_message_set_destination (message, BGS_BUS_NAME);

  if (shape & 0x40)
    r = append_arbitrary (session, message, input);
  else
    r = append_natural (session, message, member, input);
  if (verbose)
    g_printerr ("fuzz-bus: call %s %s.%s (%s)%s\n", path, interface != NULL ? interface : "(none)",
                member, r < 0 ? "not sent" : sd_bus_message_get_signature (message, TRUE),
                sender != NULL ? " with a sender" : "");
  if (r < 0)
    return;   /* a string sd-bus refuses to send (not UTF-8): nothing goes out */

  call = g_new0 (Call, 1);
  call->member = g_strdup (member);
  g_ptr_array_add (session->calls, call);

  /* Access: a call of a method that changes state, with its signature,
   * reaches the check. The peer's credentials decide; a sender the peer
   * chose can only get it refused. */
  signature = changing_signature (interface, member);
  if (signature != NULL && g_str_equal (sd_bus_message_get_signature (message, TRUE), signature))
    {
      if (!session->may_change)
        call->expect = EXPECT_NO_SUCCESS;
      else if (sender == NULL)
        call->expect = EXPECT_NOT_REFUSED;
    }

  if (wants_reply)
    {
      r = sd_bus_call_async (session->client, NULL, message, on_reply, call, 0);
    }
  else
    {
      call->answered = TRUE;
      g_assert_cmpint (sd_bus_message_set_expect_reply (message, FALSE), >=, 0);
      r = sd_bus_send (session->client, message, NULL);
    }
  g_assert_cmpint (r, >=, 0);
}

/* ---- other operations --------------------------------------------------------- */

/* What the daemon itself may do to a service: start, cancel, reset. */
static void
act_on_service (Session *session,
                Input   *input)
{
  guint8 action = take_byte (input);
  BgsService *service = pick_service (session, take_byte (input));

  if (service == NULL)
    return;

  switch (action % 4)
    {
    case 0:
      bgs_service_start (service);
      break;
    case 1:
      bgs_service_cancel (service, "fuzz");
      break;
    case 2:
      bgs_service_reset_failed (service);
      break;
    case 3:
    default:
      bgs_service_set_restart (service, (action >> 2) % 3);
      break;
    }
}

static void close_client (Session *session);

/* Writes bytes of the input on the client's socket, between messages,
 * and hangs up: what follows garbage on a stream is garbage too. Sending
 * more would only let a header that announces a body of up to 128 MiB
 * (sd-bus's limit) make the server grow its read buffer to that size at
 * every wake-up while the client sends its next calls: sd-bus's cost,
 * seen only on a peer-to-peer connection (a bus daemon passes on valid
 * messages alone), not the daemon's. */
static void
write_raw (Session *session,
           Input   *input)
{
  g_autofree char *bytes = NULL;
  size_t length = take_byte (input);
  uint64_t queued = 1;

  length = MIN (length, input->size);
  if (session->client == NULL || length == 0)
    return;

  /* Only between whole messages, once sd-bus wrote all it queued (and
   * never sd_bus_flush(): it would wait for a server that only this
   * thread runs). */
  settle (session);
  if (session->client == NULL || sd_bus_get_n_queued_write (session->client, &queued) < 0 ||
      queued > 0)
    return;
  session->broken = TRUE;
  bytes = g_memdup2 (input->data, length);
  input->data += length;
  input->size -= length;
  if (write (sd_bus_get_fd (session->client), bytes, length) < 0)
    g_assert_cmpint (errno, ==, EAGAIN);
  close_client (session);
}

/* Closes the client's end; the server sees its peer go, maybe before it
 * read all that was sent. Never sd_bus_flush_close_unref(): its flush
 * waits for a server that only this thread runs, and blocks for sd-bus's
 * whole timeout when the server does not read everything. */
static void
close_client (Session *session)
{
  session->broken = TRUE;
  g_clear_pointer (&session->client, sd_bus_close_unref);
}

/* ---- the whole session -------------------------------------------------------- */

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_log_init (allowed_warnings);

  verbose = g_getenv ("FUZZ_BUS_VERBOSE") != NULL;
  memset (long_name, 'n', sizeof long_name - 1);
  for (guint i = 0; i < N_IDENTITIES; i++)
    helper_start (i);

  return 0;
}

/* Stops every service, answers what waited, and checks that nothing is
 * left: every call answered, every object finalized. */
static void
session_end (Session *session)
{
  /* Sized once: the weak pointers below point into it. */
  g_autoptr(GPtrArray) gone = g_ptr_array_sized_new (session->services->len);
  gpointer bus = session->bus, manager = session->manager;

  /* As the daemon does on its way out: every run ends. A Restart that
   * waited starts its service again once the stop ended its run, so
   * again, until no run is left. */
  for (guint round = 0; round < MAX_STOP_ROUNDS; round++)
    {
      gboolean in_run = FALSE;

      bgs_service_stop (BGS_SERVICE (session->manager), "fuzz session over", NULL, NULL);
      for (guint i = 0; i < session->services->len; i++)
        bgs_service_stop (session->services->pdata[i], "fuzz session over", NULL, NULL);
      settle (session);

      for (guint i = 0; i < session->services->len; i++)
        in_run |= bgs_service_get_state (session->services->pdata[i]) != BGS_SERVICE_STATE_STOPPED &&
                  bgs_service_get_state (session->services->pdata[i]) != BGS_SERVICE_STATE_FAILED;
      if (!in_run)
        break;
      if (round + 1 == MAX_STOP_ROUNDS)
        g_error ("Services still run after %u stops", MAX_STOP_ROUNDS);
    }

  for (guint i = 0; i < session->calls->len && !session->broken; i++)
    {
      const Call *call = session->calls->pdata[i];

      if (!call->answered)
        g_error ("%s got no answer, though every service stopped", call->member);
    }

  g_clear_pointer (&session->client, sd_bus_close_unref);

  g_object_add_weak_pointer (bus, &bus);
  g_object_add_weak_pointer (manager, &manager);
  for (guint i = 0; i < session->services->len; i++)
    {
      g_ptr_array_add (gone, session->services->pdata[i]);
      g_object_add_weak_pointer (session->services->pdata[i], &gone->pdata[i]);
    }

  g_clear_object (&session->bus);
  g_clear_object (&session->manager);
  g_clear_pointer (&session->services, g_ptr_array_unref);
  while (g_main_context_iteration (session->context, FALSE))
    ;

  if (bus != NULL)
    g_error ("The BgsBus outlived the session");
  if (manager != NULL)
    g_error ("The manager outlived the session");
  for (guint i = 0; i < gone->len; i++)
    if (gone->pdata[i] != NULL)
      g_error ("A service outlived the session");

  g_ptr_array_unref (session->calls);
  g_main_context_pop_thread_default (session->context);
  g_main_context_unref (session->context);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  Input input = { data, size };
  Session session = { 0, };
  g_autoptr(GError) error = NULL;
  guint allowed_bits, n_services;
  int pair[2];

  if (size > FUZZ_MAX_INPUT)
    return 0;

  session.identity = take_byte (&input) % N_IDENTITIES;
  allowed_bits = take_byte (&input);
  session.keep_invalid_utf8 = (allowed_bits & 0x80) != 0;
  session.may_change = identity_may_change (session.identity, allowed_bits);

  session.context = g_main_context_new ();
  g_main_context_push_thread_default (session.context);
  session.manager = bgs_manager_new ("fuzz");
  session.services = g_ptr_array_new_with_free_func (g_object_unref);
  session.calls = g_ptr_array_new_with_free_func (call_free);

  n_services = take_byte (&input) % (MAX_SERVICES + 1);
  for (guint i = 0; i < n_services; i++)
    add_service (&session, &input);

  make_socket_pair (session.identity, pair);
  session.bus = bgs_bus_new_for_peer_fd (session.manager, pair[0], &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (allowable); i++)
    if (allowed_bits & (1u << i))
      {
        if (allowable[i].group)
          bgs_bus_allow_gid (session.bus, allowable[i].id);
        else
          bgs_bus_allow_uid (session.bus, allowable[i].id);
      }

  g_assert_cmpint (sd_bus_new (&session.client), >=, 0);
  g_assert_cmpint (sd_bus_set_fd (session.client, pair[1], pair[1]), >=, 0);
  g_assert_cmpint (sd_bus_set_anonymous (session.client, TRUE), >=, 0);
  g_assert_cmpint (sd_bus_start (session.client), >=, 0);

  for (guint op = 0; op < MAX_OPS && input.size > 0; op++)
    {
      guint8 code = take_byte (&input);

      switch (code % 12)
        {
        case 0: case 1: case 2: case 3: case 4:
          send_call (&session, &input);
          break;
        case 5:
          settle (&session);
          break;
        case 6:
          iterate_once (&session);
          break;
        case 7:
          add_service (&session, &input);
          break;
        case 8:
          {
            BgsService *service = pick_service (&session, take_byte (&input));

            if (service != NULL)
              bgs_manager_remove (session.manager, bgs_service_get_name (service), NULL);
          }
          break;
        case 9:
          act_on_service (&session, &input);
          break;
        case 10:
          write_raw (&session, &input);
          break;
        case 11:
        default:
          close_client (&session);
          break;
        }
    }

  settle (&session);
  session_end (&session);
  return 0;
}
