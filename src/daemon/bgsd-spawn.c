/* SPDX-License-Identifier: MIT */
/* bgsd-spawn.c: starting a process with posix_spawn, as the daemon's commands start.
 *
 * glibc's posix_spawn() clones the daemon with CLONE_VM | CLONE_VFORK: the
 * new process borrows the daemon's memory until it has executed the
 * program, and the daemon's thread waits only until then, not for the
 * program to run. That takes as little time in a big daemon as in a small
 * one, where a fork would copy page tables that grow with the daemon. A
 * failed exec (ENOENT, EACCES, ENOEXEC, ...) comes back as the error of
 * posix_spawn(). No code of ours can run in the new process: what it needs
 * is said with attributes and file actions, most of them prepared once by
 * bgsd_spawn_init():
 *
 * - its own process group (POSIX_SPAWN_SETPGROUP with 0), so that what it
 *   starts can be signalled with it;
 * - an empty signal mask, and every signal at its default action: the
 *   daemon may ignore some (SIGHUP while it loads, SIGPIPE under systemd,
 *   SIGINT and SIGQUIT when a shell started it in the background), and an
 *   ignored signal stays ignored across exec;
 * - stdin from /dev/null: commands run in the background and never read
 *   the terminal the daemon may have been started from;
 * - the environment of the daemon without what the service manager set for
 *   the daemon alone (NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID);
 * - the soft RLIMIT_NOFILE the daemon was started with (below).
 *
 * No other descriptor reaches the program: every descriptor of the daemon
 * is close-on-exec. The daemon opens its own so (pipe2, pidfd_open,
 * SOCK_CLOEXEC, ...), and bgsd_spawn_init() marks those it inherited.
 *
 * RLIMIT_NOFILE: each running command costs the daemon descriptors (a
 * pidfd, and the read ends of its output pipes), so the daemon raises its
 * soft limit to the hard limit at start, as systemd recommends for daemons
 * that hold many. Programs expect the usual soft limit, though (select()
 * cannot take a descriptor above 1023, and some programs close every
 * descriptor up to the limit), and posix_spawn() has no attribute for it.
 * The clone copies the daemon's limits, so the daemon lowers its own soft
 * limit back for the time of the spawn: the command starts with exactly
 * the original limit, with no moment where it could see the raised one,
 * for two system calls per spawn. Meanwhile a descriptor that another
 * thread of the daemon opens fails with EMFILE if no number below the
 * original limit is free; the daemon's own work runs on the thread that
 * spawns.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bgsd-spawn.h"

/* Variables the service manager meant for the daemon alone. */
static const char * const daemon_only_variables[] = {
  "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID",
};

/* Spawner: what every spawn shares, made once at start; the state of this file. */
typedef struct
{
  gboolean           ready;
  posix_spawnattr_t  attr;
  char             **envp;          /* (owned) */
  int                null_fd;       /* /dev/null, for stdin */
  gboolean           limit_raised;  /* the daemon runs with a higher soft RLIMIT_NOFILE */
  struct rlimit      child_limit;   /* the RLIMIT_NOFILE commands get: the original one */
  struct rlimit      daemon_limit;  /* the RLIMIT_NOFILE the daemon runs with */
} Spawner;

static Spawner spawner;

/* Opens /dev/null on whichever of stdin, stdout and stderr is closed, so
 * that no descriptor the daemon opens later takes one of their numbers. */
static void
open_standard_fds (void)
{
  for (int fd = 0; fd <= 2; fd++)
    if (fcntl (fd, F_GETFD) < 0 && errno == EBADF && open ("/dev/null", O_RDWR) != fd)
      g_error ("Cannot open /dev/null in place of the closed descriptor %d: %s", fd,
               g_strerror (errno));
}

/* Marks close-on-exec whatever the daemon inherited above stderr. */
static void
mark_inherited_fds (void)
{
  if (close_range (3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    g_warning ("Cannot mark inherited descriptors close-on-exec, commands may get them: %s",
               g_strerror (errno));
}

static void
raise_fd_limit (void)
{
  if (getrlimit (RLIMIT_NOFILE, &spawner.child_limit) < 0)
    return;

  spawner.daemon_limit = spawner.child_limit;
  spawner.daemon_limit.rlim_cur = spawner.child_limit.rlim_max;
  if (spawner.child_limit.rlim_cur == spawner.child_limit.rlim_max)
    return;

  /* prlimit(): the setrlimit system call may be filtered (systemd's
   * @resources), prlimit64 is not. */
  if (prlimit (0, RLIMIT_NOFILE, &spawner.daemon_limit, NULL) < 0)
    {
      g_warning ("Cannot raise the limit of open files to %ju: %s",
                 (uintmax_t) spawner.daemon_limit.rlim_cur, g_strerror (errno));
      return;
    }
  spawner.limit_raised = TRUE;
  g_debug ("Open files: up to %ju for the daemon, %ju for its commands",
           (uintmax_t) spawner.daemon_limit.rlim_cur, (uintmax_t) spawner.child_limit.rlim_cur);
}

static void
set_fd_limit (const struct rlimit *limit)
{
  if (spawner.limit_raised && prlimit (0, RLIMIT_NOFILE, limit, NULL) < 0)
    g_warning ("Cannot set the limit of open files to %ju: %s", (uintmax_t) limit->rlim_cur,
               g_strerror (errno));
}

static char **
make_environment (void)
{
  char **envp = g_get_environ ();

  for (guint i = 0; i < G_N_ELEMENTS (daemon_only_variables); i++)
    envp = g_environ_unsetenv (envp, daemon_only_variables[i]);
  return envp;
}

static void
make_attributes (posix_spawnattr_t *attr)
{
  sigset_t signals;

  posix_spawnattr_init (attr);
  posix_spawnattr_setflags (attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK
                                  | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup (attr, 0);
  sigemptyset (&signals);
  posix_spawnattr_setsigmask (attr, &signals);
  sigfillset (&signals);
  posix_spawnattr_setsigdefault (attr, &signals);
}

/*
 * Prepares the daemon for spawning, once, at start and before anything
 * else opens a descriptor: stdin, stdout and stderr open, inherited
 * descriptors close-on-exec, RLIMIT_NOFILE raised, and what every spawn
 * shares made.
 */
void
bgsd_spawn_init (void)
{
  g_return_if_fail (!spawner.ready);

  open_standard_fds ();
  mark_inherited_fds ();
  raise_fd_limit ();
  spawner.null_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  if (spawner.null_fd < 0)
    g_error ("Cannot open /dev/null: %s", g_strerror (errno));
  spawner.envp = make_environment ();
  make_attributes (&spawner.attr);
  spawner.ready = TRUE;
}

/* The GSpawnError that stands for the errno of a failed exec. */
static GSpawnError
spawn_error_from_errno (int error_number)
{
  switch (error_number)
    {
    case EACCES: return G_SPAWN_ERROR_ACCES;
    case EPERM: return G_SPAWN_ERROR_PERM;
    case E2BIG: return G_SPAWN_ERROR_TOO_BIG;
    case ENOEXEC: return G_SPAWN_ERROR_NOEXEC;
    case ENAMETOOLONG: return G_SPAWN_ERROR_NAMETOOLONG;
    case ENOENT: return G_SPAWN_ERROR_NOENT;
    case ENOMEM: return G_SPAWN_ERROR_NOMEM;
    case ENOTDIR: return G_SPAWN_ERROR_NOTDIR;
    case ELOOP: return G_SPAWN_ERROR_LOOP;
    case ETXTBSY: return G_SPAWN_ERROR_TXTBUSY;
    case EIO: return G_SPAWN_ERROR_IO;
    case ENFILE: return G_SPAWN_ERROR_NFILE;
    case EMFILE: return G_SPAWN_ERROR_MFILE;
    case EINVAL: return G_SPAWN_ERROR_INVAL;
    case EISDIR: return G_SPAWN_ERROR_ISDIR;
    case ELIBBAD: return G_SPAWN_ERROR_LIBBAD;
    default: return G_SPAWN_ERROR_FAILED;
    }
}

/*
 * Runs @argv (argv[0] searched in PATH when it has no slash) as the leader
 * of a new process group; returns its PID once the program is executing.
 * Its descriptor i is @fds[i] for i < @n_fds (-1: /dev/null), and it gets
 * no other. Fails with G_SPAWN_ERROR when the program cannot be executed.
 */
GPid
bgsd_spawn_process (const char * const  *argv,
                    const int           *fds,
                    guint                n_fds,
                    GError             **error)
{
  posix_spawn_file_actions_t actions;
  pid_t pid = 0;
  int r;

  g_return_val_if_fail (spawner.ready, 0);

  posix_spawn_file_actions_init (&actions);
  for (guint i = 0; i < n_fds; i++)
    posix_spawn_file_actions_adddup2 (&actions, fds[i] >= 0 ? fds[i] : spawner.null_fd, (int) i);

  set_fd_limit (&spawner.child_limit);
  r = posix_spawnp (&pid, argv[0], &actions, &spawner.attr, (char * const *) argv, spawner.envp);
  set_fd_limit (&spawner.daemon_limit);
  posix_spawn_file_actions_destroy (&actions);

  if (r != 0)
    {
      g_set_error (error, G_SPAWN_ERROR, spawn_error_from_errno (r), "Cannot execute “%s”: %s",
                   argv[0], g_strerror (r));
      return 0;
    }
  return pid;
}
