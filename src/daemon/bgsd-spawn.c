/* SPDX-License-Identifier: MIT */
/* bgsd-spawn.c: starting a process with vfork and exec, as the daemon's commands start.
 *
 * The new process borrows the spawning thread's memory (vfork()) until it
 * has executed the program, and that thread waits only until then, not for
 * the program to run: as little time in a big daemon as in a small one,
 * where a fork would copy page tables that grow with the daemon. Between
 * the vfork and the exec, the new process makes system calls and nothing
 * else (no allocation, no lock): a failed exec (ENOENT, EACCES, ENOEXEC,
 * ...) comes back through a close-on-exec pipe, which the exec closes when
 * it succeeds. The new process gets:
 *
 * - its own process group (setpgid), so that what it starts can be
 *   signalled with it;
 * - an empty signal mask, and every signal at its default action: the
 *   daemon may ignore some (SIGHUP while it loads, SIGPIPE under systemd,
 *   SIGINT and SIGQUIT when a shell started it in the background), and an
 *   ignored signal stays ignored across exec. Only the signals whose action
 *   the daemon changed are set back, a system call each: those found so at
 *   start, and those the daemon catches (bgsd_spawn_default_signal());
 *   setting all 64 took ~70 µs a spawn on a virtual machine. A module that
 *   ignores a signal goes unseen, and the commands inherit that;
 * - stdin from /dev/null: commands run in the background and never read
 *   the terminal the daemon may have been started from;
 * - the environment of the daemon without what the service manager set for
 *   the daemon alone (NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID);
 * - the soft RLIMIT_NOFILE the daemon was started with (below).
 *
 * No other descriptor reaches the program: every descriptor of the daemon
 * is close-on-exec. The daemon opens its own so (pipe2, eventfd,
 * SOCK_CLOEXEC, ...), and bgsd_spawn_init() marks those it inherited.
 *
 * The spawns happen in a thread of their own, with a table of descriptors
 * of its own (unshare(CLONE_FILES)) that holds next to nothing. A clone
 * copies its parent's table, and the exec then closes every copy: the
 * daemon holds a descriptor per running command (the read end of its
 * output pipe), so spawning from the daemon's own table would cost time
 * in proportion to the commands already running, and starting N of them
 * N² (at 10,000 commands, spawns took a third longer in the kernel's
 * dup_fd, filp_flush and dnotify_flush). The daemon's thread hands the
 * spawner thread the descriptors a command gets over a socket pair
 * (SCM_RIGHTS), with the request, and waits for its answer: a spawn is as
 * synchronous as before, for two messages more.
 *
 * RLIMIT_NOFILE: each running command costs the daemon a descriptor
 * when its output goes to a pipe, so the daemon raises its soft limit to
 * the hard limit at start, as systemd recommends for daemons that hold
 * many. Programs expect the usual soft limit, though (select() cannot take
 * a descriptor above 1023, and some programs close every descriptor up to
 * the limit): the new process sets the original one for itself before the
 * exec.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bgsd-spawn.h"

/* Variables the service manager meant for the daemon alone. */
static const char * const daemon_only_variables[] = {
  "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID",
};

/* The most descriptors a program gets from bgsd_spawn_process(). */
#define MAX_FDS 8

/* Spawner: what every spawn shares, made once at start; the state of this file. */
typedef struct
{
  gboolean           ready;
  char             **envp;          /* (owned) */
  int                null_fd;       /* /dev/null, for stdin; in the spawner thread's table */
  gboolean           limit_raised;  /* the daemon runs with a higher soft RLIMIT_NOFILE */
  struct rlimit      child_limit;   /* the RLIMIT_NOFILE commands get: the original one */
  int                link;          /* the daemon's end of the socket pair to the thread */
  int                thread_link;   /* the thread's end, in its own table */
  sigset_t           not_default;   /* signals whose action commands must get back */
} Spawner;

/* Request: one spawn the daemon's thread asks for. It stays in the
 * daemon's memory, shared with the spawner thread, which reads it while
 * the asking thread waits: only its descriptors travel. */
typedef struct
{
  const char         *program;
  const char * const *argv;
  guint               n_fds;
  guint               sent;         /* bit i: descriptor i travels with the request */
} Request;

/* Answer: what the spawner thread sends back. */
typedef struct
{
  pid_t pid;                        /* 0 when the spawn failed */
  int   error_number;
} Answer;

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
  struct rlimit raised;

  if (getrlimit (RLIMIT_NOFILE, &spawner.child_limit) < 0)
    return;

  raised = spawner.child_limit;
  raised.rlim_cur = spawner.child_limit.rlim_max;
  if (spawner.child_limit.rlim_cur == spawner.child_limit.rlim_max)
    return;

  /* prlimit(): the setrlimit system call may be filtered (systemd's
   * @resources), prlimit64 is not. */
  if (prlimit (0, RLIMIT_NOFILE, &raised, NULL) < 0)
    {
      g_warning ("Cannot raise the limit of open files to %ju: %s",
                 (uintmax_t) raised.rlim_cur, g_strerror (errno));
      return;
    }
  spawner.limit_raised = TRUE;
  g_debug ("Open files: up to %ju for the daemon, %ju for its commands",
           (uintmax_t) raised.rlim_cur, (uintmax_t) spawner.child_limit.rlim_cur);
}

static char **
make_environment (void)
{
  char **envp = g_get_environ ();

  for (guint i = 0; i < G_N_ELEMENTS (daemon_only_variables); i++)
    envp = g_environ_unsetenv (envp, daemon_only_variables[i]);
  return envp;
}

/* ---- the spawner thread ----------------------------------------------- */

/* @fd, or a copy of it numbered @n_targets or more when it is lower: the
 * descriptors the new process uses are then never in the way as it puts
 * its @n_targets descriptors in place. stdin, stdout and stderr stay open
 * in the thread's table, so for a command (three targets) nothing moves. */
static int
above_targets (int   fd,
               guint n_targets)
{
  int moved;

  if (fd >= (int) n_targets)
    return fd;
  moved = fcntl (fd, F_DUPFD_CLOEXEC, (int) n_targets);
  if (moved < 0)
    return fd;
  close (fd);
  return moved;
}

/* Reads a request and the descriptors that travel with it into @fds
 * (those that do not travel are /dev/null); FALSE once the daemon's end
 * is gone. */
static gboolean
receive_request (Request **request,
                 int       fds[MAX_FDS])
{
  char control[CMSG_SPACE (MAX_FDS * sizeof (int))];
  struct iovec data = { request, sizeof *request };
  struct msghdr message = {
    .msg_iov = &data, .msg_iovlen = 1,
    .msg_control = control, .msg_controllen = sizeof control,
  };
  struct cmsghdr *header;
  int received[MAX_FDS];
  guint n_received = 0;
  ssize_t n;

  while ((n = recvmsg (spawner.thread_link, &message, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
    ;
  if (n != sizeof *request)
    return FALSE;

  for (header = CMSG_FIRSTHDR (&message); header != NULL; header = CMSG_NXTHDR (&message, header))
    if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_RIGHTS)
      {
        n_received = (header->cmsg_len - CMSG_LEN (0)) / sizeof (int);
        memcpy (received, CMSG_DATA (header), n_received * sizeof (int));
      }

  for (guint i = 0, next = 0; i < (*request)->n_fds; i++)
    fds[i] = ((*request)->sent & (1u << i)) && next < n_received
             ? above_targets (received[next++], (*request)->n_fds) : spawner.null_fd;
  return TRUE;
}

/* In the new process, between vfork() and exec: system calls only, on
 * the spawning thread's stack. Tells a failure through @error_pipe. */
static void G_GNUC_NORETURN
become_program (const Request *request,
                const int      fds[MAX_FDS],
                int            error_pipe)
{
  struct sigaction default_action = { .sa_handler = SIG_DFL };
  sigset_t none;
  int error_number;

  /* The thread blocks every signal, so none arrives until the mask is
   * emptied, just before the exec, and by then no handler of the daemon
   * is left to run in this process. */
  for (int number = 1; number < NSIG; number++)
    if (sigismember (&spawner.not_default, number) == 1)
      sigaction (number, &default_action, NULL);
  if (setpgid (0, 0) < 0)
    goto failed;
  for (guint i = 0; i < request->n_fds; i++)
    if (dup2 (fds[i], (int) i) < 0)
      goto failed;
  if (spawner.limit_raised && prlimit (0, RLIMIT_NOFILE, &spawner.child_limit, NULL) < 0)
    goto failed;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  execve (request->program, (char * const *) request->argv, spawner.envp);

failed:
  error_number = errno;
  if (write (error_pipe, &error_number, sizeof error_number) < 0)
    error_number = 0;
  _exit (127);
}

/* Runs the program of @request in a new process; its answer. execve(),
 * unlike execvp(), does not run a file without "#!" with /bin/sh: such a
 * file fails with ENOEXEC, as under systemd. */
static Answer
vfork_and_exec (const Request *request,
                const int      fds[MAX_FDS])
{
  Answer answer = { 0, 0 };
  int error_pipe[2];
  pid_t pid;

  if (pipe2 (error_pipe, O_CLOEXEC) < 0)
    return (Answer) { 0, errno };
  error_pipe[1] = above_targets (error_pipe[1], request->n_fds);

  pid = vfork ();
  if (pid == 0)
    become_program (request, fds, error_pipe[1]);
  if (pid < 0)
    answer.error_number = errno;
  close (error_pipe[1]);

  if (pid > 0)
    {
      ssize_t n;

      while ((n = read (error_pipe[0], &answer.error_number, sizeof answer.error_number)) < 0
             && errno == EINTR)
        ;
      if (n == sizeof answer.error_number)
        /* The program could not run: the new process has exited. */
        while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
          ;
      else
        answer = (Answer) { pid, 0 };
    }

  close (error_pipe[0]);
  return answer;
}

/* Keeps only stdin, stdout, stderr and the descriptors in @keep (sorted,
 * -1 ended) of the thread's own table. */
static void
close_all_but (const int *keep)
{
  unsigned int from = 3;

  for (; *keep >= 0; keep++)
    {
      if ((unsigned int) *keep > from)
        close_range (from, (unsigned int) *keep - 1, 0);
      from = MAX (from, (unsigned int) *keep + 1);
    }
  close_range (from, ~0U, 0);
}

static void *
run_spawner_thread (gpointer data)
{
  int keep[] = { MIN (spawner.thread_link, spawner.null_fd),
                 MAX (spawner.thread_link, spawner.null_fd), -1 };
  Request *request;
  int fds[MAX_FDS];

  /* A table of its own, with what spawning needs and nothing more. */
  if (unshare (CLONE_FILES) == 0)
    close_all_but (keep);
  else
    g_warning ("Spawning takes longer as more commands run: no table of descriptors of its own "
               "for the spawning thread (%s)", g_strerror (errno));
  spawner.null_fd = above_targets (spawner.null_fd, MAX_FDS);

  while (receive_request (&request, fds))
    {
      Answer answer = vfork_and_exec (request, fds);

      for (guint i = 0; i < request->n_fds; i++)
        if (fds[i] != spawner.null_fd)
          close (fds[i]);
      if (send (spawner.thread_link, &answer, sizeof answer, MSG_NOSIGNAL) < 0)
        break;
    }
  return NULL;
}

/* The signals whose action is not the default one, as the daemon starts. */
static void
find_signals_not_default (void)
{
  sigemptyset (&spawner.not_default);
  for (int number = 1; number < NSIG; number++)
    {
      struct sigaction action;

      if (sigaction (number, NULL, &action) == 0 && action.sa_handler != SIG_DFL)
        sigaddset (&spawner.not_default, number);
    }
}

/* The thread, and the socket pair to it. Signals are the daemon thread's
 * business: the spawner thread blocks them all. */
static void
start_spawner_thread (void)
{
  int pair[2];
  sigset_t all;
  sigset_t old;
  GThread *thread;

  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
    g_error ("Cannot make the link to the spawning thread: %s", g_strerror (errno));
  spawner.link = pair[0];
  spawner.thread_link = pair[1];

  sigfillset (&all);
  pthread_sigmask (SIG_SETMASK, &all, &old);
  thread = g_thread_new ("bgsd-spawner", run_spawner_thread, NULL);
  pthread_sigmask (SIG_SETMASK, &old, NULL);
  g_thread_unref (thread);
}

/*
 * Prepares the daemon for spawning, once, at start and before anything
 * else opens a descriptor: stdin, stdout and stderr open, inherited
 * descriptors close-on-exec, RLIMIT_NOFILE raised, what every spawn
 * shares made, and the spawner thread started.
 */
void
bgsd_spawn_init (void)
{
  g_return_if_fail (!spawner.ready);

  open_standard_fds ();
  mark_inherited_fds ();
  raise_fd_limit ();
  find_signals_not_default ();
  spawner.null_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  if (spawner.null_fd < 0)
    g_error ("Cannot open /dev/null: %s", g_strerror (errno));
  spawner.envp = make_environment ();
  start_spawner_thread ();
  spawner.ready = TRUE;
}

/*
 * The daemon catches or ignores @signal_number from now on: every command
 * spawned later gets it at its default action. Call it before changing
 * the action, from the daemon's thread.
 */
void
bgsd_spawn_default_signal (int signal_number)
{
  g_return_if_fail (spawner.ready);

  sigaddset (&spawner.not_default, signal_number);
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

/* Sends @request and the descriptors of @fds that are not -1. */
static gboolean
send_request (Request   *request,
              const int *fds)
{
  char control[CMSG_SPACE (MAX_FDS * sizeof (int))] = { 0 };
  struct iovec data = { &request, sizeof request };
  struct msghdr message = { .msg_iov = &data, .msg_iovlen = 1 };
  int sent[MAX_FDS];
  guint n_sent = 0;
  ssize_t n;

  for (guint i = 0; i < request->n_fds; i++)
    if (fds[i] >= 0)
      {
        sent[n_sent++] = fds[i];
        request->sent |= 1u << i;
      }

  if (n_sent > 0)
    {
      struct cmsghdr *header;

      message.msg_control = control;
      message.msg_controllen = CMSG_SPACE (n_sent * sizeof (int));
      header = CMSG_FIRSTHDR (&message);
      header->cmsg_level = SOL_SOCKET;
      header->cmsg_type = SCM_RIGHTS;
      header->cmsg_len = CMSG_LEN (n_sent * sizeof (int));
      memcpy (CMSG_DATA (header), sent, n_sent * sizeof (int));
    }

  while ((n = sendmsg (spawner.link, &message, MSG_NOSIGNAL)) < 0 && errno == EINTR)
    ;
  return n == sizeof request;
}

static Answer
ask_spawner_thread (Request   *request,
                    const int *fds)
{
  Answer answer = { 0, EPIPE };
  ssize_t n = -1;

  if (send_request (request, fds))
    while ((n = recv (spawner.link, &answer, sizeof answer, 0)) < 0 && errno == EINTR)
      ;
  if (n != sizeof answer)
    {
      answer.pid = 0;
      answer.error_number = n < 0 ? errno : EPIPE;
    }
  return answer;
}

/*
 * Runs the file @program, a path, with @argv as the leader of a new
 * process group; returns its PID once the program is executing. Its
 * descriptor i is @fds[i] for i < @n_fds (-1: /dev/null), and it gets no
 * other. Fails with G_SPAWN_ERROR when the program cannot be executed.
 */
GPid
bgsd_spawn_process (const char          *program,
                    const char * const  *argv,
                    const int           *fds,
                    guint                n_fds,
                    GError             **error)
{
  Request request = { program, argv, n_fds, 0 };
  Answer answer;

  g_return_val_if_fail (spawner.ready, 0);
  g_return_val_if_fail (strchr (program, '/') != NULL, 0);
  g_return_val_if_fail (n_fds <= MAX_FDS, 0);

  answer = ask_spawner_thread (&request, fds);

  if (answer.pid == 0)
    {
      g_set_error (error, G_SPAWN_ERROR, spawn_error_from_errno (answer.error_number),
                   "Cannot execute “%s”: %s", program, g_strerror (answer.error_number));
      return 0;
    }
  return answer.pid;
}
