/* SPDX-License-Identifier: MIT */
/* bgsd-guardian.c: a process that kills the commands of a daemon that died.
 *
 * A daemon that is killed (SIGKILL, a crash) cannot stop its commands, and
 * outside systemd no cgroup ends them: they would run on under PID 1. The
 * guardian is bgserviced run again as `bgserviced --guardian`, a process
 * that outlives the daemon just long enough to kill every process group the
 * daemon had started, within milliseconds.
 *
 * The daemon writes what the guardian needs into a table in shared memory
 * (a memfd both map): the process group of each running command, stored
 * right after its spawn and cleared before its leader is reaped (the
 * zombie keeps the number from being reused meanwhile), and while a spawn
 * is under way the time it began. That costs no system call and never
 * blocks. The guardian holds one end of a socket pair and the daemon the
 * other: when the daemon dies, whatever the way, the kernel closes its end
 * and the guardian reads end-of-file. It then sends SIGKILL to every group
 * in the table, and exits. After a clean stop the table is empty.
 *
 * A command spawned just before the daemon died may have run before its
 * group was stored. When the table says a spawn was under way, the
 * guardian also kills what that spawn made: the processes of the daemon's
 * session that the dead daemon, or the process that adopts its orphans,
 * is the parent of, and that started no earlier than that spawn began. It
 * looks three times within half a second, as the spawn may still be on its
 * way to exec.
 *
 * The guardian is not a child of the daemon: its first process forks the
 * one that watches and exits, so that the daemon's children are its
 * commands only. It ignores the signals a terminal or a `kill` of the
 * daemon's group would send, and leads a process group of its own. The
 * daemon notices a guardian that died (its end of the socket hangs up) and
 * starts another, which maps the same table (one a second at most).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib-unix.h>

#include "bgsd-guardian.h"
#include "bgsd-spawn.h"

/* The most commands the table holds: as many as Linux allows processes
 * (PID_MAX_LIMIT on 64-bit machines). The table lives in a memfd, whose
 * pages cost memory only once written, so its size costs nothing. */
#define MAX_SLOTS (1u << 22)

/* The least time between two starts of a guardian, in µs. */
#define RESTART_INTERVAL_US G_USEC_PER_SEC

/* The guardian's process name (ps -o comm). */
#define GUARDIAN_NAME "bgsd-guardian"

/* The descriptor the guardian gets the table on; its end of the socket is stdin. */
#define TABLE_FD 3

/* When the guardian looks for what a spawn under way made, from the end
 * of the daemon on, in milliseconds. */
static const guint in_flight_scans_ms[] = { 0, 100, 400 };

/* Table: what the daemon tells the guardian, in shared memory. Written by
 * the daemon only, with atomic stores; read by the guardian once the
 * daemon has died. */
typedef struct
{
  gint32  daemon_pid;
  gint32  guardian_pid;   /* for messages: set by the guardian's first process */
  guint32 n_slots;
  guint32 high_water;     /* slots used so far: the guardian reads these */
  gint64  spawn_since;    /* boot-time clock ticks when a spawn under way began; 0: none */
  gint32  pgids[];        /* by slot; 0: free */
} Table;

/* Guard: the daemon's side; the state of this file. */
typedef struct
{
  Table   *table;         /* (nullable): mapped */
  gsize    table_size;
  int      memfd;
  int      link;          /* the daemon's end of the socket; -1: no guardian */
  GSource *watch;         /* (owned) (nullable): waits for the guardian's end to close,
                           * or for the time to start another */
  gint64   started_at;    /* monotonic µs when the last guardian started */
  GArray  *free_slots;    /* (owned): indices of free slots below high_water */
  gint64   tick_ns;       /* a clock tick of /proc/PID/stat, in nanoseconds */
  gboolean warned_full;
} Guard;

static Guard guard = { .memfd = -1, .link = -1 };

/* ---- the daemon's side ----------------------------------------------- */

static gboolean
make_table (GError **error)
{
  guard.table_size = sizeof (Table) + MAX_SLOTS * sizeof (gint32);
  guard.memfd = memfd_create ("bgserviced-guardian", MFD_CLOEXEC);
  if (guard.memfd < 0 || ftruncate (guard.memfd, (off_t) guard.table_size) < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot make the guardian's table: %s", g_strerror (saved));
      return FALSE;
    }

  guard.table = mmap (NULL, guard.table_size, PROT_READ | PROT_WRITE, MAP_SHARED, guard.memfd, 0);
  if (guard.table == MAP_FAILED)
    {
      int saved = errno;

      guard.table = NULL;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot map the guardian's table: %s", g_strerror (saved));
      return FALSE;
    }
  guard.table->daemon_pid = getpid ();
  guard.table->n_slots = MAX_SLOTS;
  guard.free_slots = g_array_new (FALSE, FALSE, sizeof (guint32));
  guard.tick_ns = G_TIME_SPAN_SECOND * 1000 / sysconf (_SC_CLK_TCK);
  return TRUE;
}

static gboolean start_guardian (GError **error);

static void
forget_guardian (void)
{
  if (guard.watch != NULL)
    {
      g_source_destroy (guard.watch);
      g_clear_pointer (&guard.watch, g_source_unref);
    }
  if (guard.link >= 0)
    close (guard.link);
  guard.link = -1;
}

static gboolean
on_restart_time (gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  g_clear_pointer (&guard.watch, g_source_unref);
  if (!start_guardian (&error))
    g_warning ("Commands will outlive a daemon that is killed: %s", error->message);

  return G_SOURCE_REMOVE;
}

/* The guardian died: another starts, at once, or a second after the last
 * start when that one lived less, so that a guardian that cannot run does
 * not keep the daemon spawning. */
static gboolean
on_guardian_gone (int           fd,
                  GIOCondition  condition,
                  gpointer      user_data)
{
  gint64 lived = g_get_monotonic_time () - guard.started_at;
  guint delay_ms = lived < RESTART_INTERVAL_US
                   ? (guint) ((RESTART_INTERVAL_US - lived) / 1000) : 0;

  g_warning ("The guardian of the commands (PID %d) has gone; starting another",
             guard.table->guardian_pid);
  forget_guardian ();
  guard.watch = g_timeout_source_new (delay_ms);
  g_source_set_callback (guard.watch, on_restart_time, NULL, NULL);
  g_source_attach (guard.watch, NULL);
  return G_SOURCE_REMOVE;
}

/* Waits for the guardian's first process, which exits once the guardian
 * runs; returns whether it did. */
static gboolean
wait_first_process (GPid     pid,
                    GError **error)
{
  int status = 0;

  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      {
        int saved = errno;

        g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                     "Cannot wait for the guardian to start: %s", g_strerror (saved));
        return FALSE;
      }

  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      g_set_error (error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED,
                   "The guardian did not start (wait status %d)", status);
      return FALSE;
    }
  return TRUE;
}

/* Runs `bgserviced --guardian` on the table, linked to the daemon. */
static gboolean
start_guardian (GError **error)
{
  g_autofree char *program = g_file_read_link ("/proc/self/exe", error);
  const char *argv[] = { program, BGSD_GUARDIAN_ARG, NULL };
  int pair[2];
  int fds[TABLE_FD + 1];
  GPid pid;

  if (program == NULL)
    return FALSE;
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot link to the guardian: %s", g_strerror (saved));
      return FALSE;
    }

  fds[STDIN_FILENO] = pair[1];
  fds[STDOUT_FILENO] = -1;
  fds[STDERR_FILENO] = STDERR_FILENO;
  fds[TABLE_FD] = guard.memfd;
  pid = bgsd_spawn_process (program, argv, fds, G_N_ELEMENTS (fds), error);
  close (pair[1]);
  if (pid == 0 || !wait_first_process (pid, error))
    {
      close (pair[0]);
      return FALSE;
    }

  guard.link = pair[0];
  guard.started_at = g_get_monotonic_time ();
  guard.watch = g_unix_fd_source_new (guard.link, G_IO_IN | G_IO_HUP | G_IO_ERR);
  g_source_set_callback (guard.watch, G_SOURCE_FUNC (on_guardian_gone), NULL, NULL);
  g_source_attach (guard.watch, NULL);
  g_debug ("The guardian of the commands runs as PID %d", guard.table->guardian_pid);
  return TRUE;
}

/*
 * Starts the guardian, once, before the daemon starts commands. Without it
 * the daemon runs on, but commands outlive a daemon that is killed.
 */
gboolean
bgsd_guardian_start (GError **error)
{
  g_return_val_if_fail (guard.table == NULL, FALSE);

  return make_table (error) && start_guardian (error);
}

/* The daemon ends: the guardian exits (every command has ended by then;
 * one that has not is killed). */
void
bgsd_guardian_stop (void)
{
  forget_guardian ();
  if (guard.table != NULL)
    munmap (guard.table, guard.table_size);
  guard.table = NULL;
  if (guard.memfd >= 0)
    close (guard.memfd);
  guard.memfd = -1;
  g_clear_pointer (&guard.free_slots, g_array_unref);
}

/*
 * Tells the guardian about a command's process group; returns the slot to
 * give bgsd_guardian_remove() before its leader is reaped (0 when there is
 * no guardian, or no room).
 */
guint
bgsd_guardian_add (GPid pgid)
{
  guint32 index;

  if (guard.table == NULL)
    return 0;

  if (guard.free_slots->len > 0)
    {
      index = g_array_index (guard.free_slots, guint32, guard.free_slots->len - 1);
      g_array_set_size (guard.free_slots, guard.free_slots->len - 1);
      __atomic_store_n (&guard.table->pgids[index], pgid, __ATOMIC_RELEASE);
      return index + 1;
    }

  index = guard.table->high_water;
  if (index == guard.table->n_slots)
    {
      if (!guard.warned_full)
        g_warning ("The guardian's table is full: more commands will outlive a daemon that "
                   "is killed");
      guard.warned_full = TRUE;
      return 0;
    }
  __atomic_store_n (&guard.table->pgids[index], pgid, __ATOMIC_RELEASE);
  __atomic_store_n (&guard.table->high_water, index + 1, __ATOMIC_RELEASE);
  return index + 1;
}

/* The leader of the group in @slot is about to be reaped. */
void
bgsd_guardian_remove (guint slot)
{
  guint32 index = slot - 1;

  if (slot == 0 || guard.table == NULL)
    return;

  __atomic_store_n (&guard.table->pgids[index], 0, __ATOMIC_RELEASE);
  g_array_append_val (guard.free_slots, index);
}

/* Boot-time clock ticks, as /proc/PID/stat counts a process's start. */
static gint64
boot_ticks (void)
{
  struct timespec now;

  clock_gettime (CLOCK_BOOTTIME, &now);
  return ((gint64) now.tv_sec * G_TIME_SPAN_SECOND * 1000 + now.tv_nsec) / guard.tick_ns;
}

/* A command is being spawned: until bgsd_guardian_spawn_end(), the guardian
 * cannot know its group from the table. */
void
bgsd_guardian_spawn_begin (void)
{
  if (guard.table != NULL)
    __atomic_store_n (&guard.table->spawn_since, MAX (boot_ticks (), 1), __ATOMIC_RELEASE);
}

/* The command spawned last is in the table, or was never started. */
void
bgsd_guardian_spawn_end (void)
{
  if (guard.table != NULL)
    __atomic_store_n (&guard.table->spawn_since, 0, __ATOMIC_RELEASE);
}

/* ---- the guardian ---------------------------------------------------- */

/* Stat: what the guardian reads of a process in /proc/PID/stat. */
typedef struct
{
  pid_t   ppid;
  pid_t   pgrp;
  pid_t   session;
  guint64 start_ticks;
  gboolean guardian;   /* named GUARDIAN_NAME: a guardian, of this daemon or another */
} Stat;

static gboolean
read_stat (const char *pid,
           Stat       *stat_out)
{
  char path[64];
  char text[1024];
  const char *after_name;
  ssize_t n;
  int fd;

  g_snprintf (path, sizeof path, "/proc/%s/stat", pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return FALSE;
  n = read (fd, text, sizeof text - 1);
  close (fd);
  if (n <= 0)
    return FALSE;
  text[n] = '\0';

  /* The name is in parentheses and may hold anything, parentheses too. */
  after_name = strrchr (text, ')');
  stat_out->guardian = after_name != NULL
                       && after_name - text == (ptrdiff_t) (strlen (pid) + strlen (" (" GUARDIAN_NAME))
                       && g_str_has_prefix (text + strlen (pid), " (" GUARDIAN_NAME ")");
  return after_name != NULL
         && sscanf (after_name + 1, " %*c %d %d %d %*d %*d %*u %*u %*u %*u %*u %*u %*u"
                    " %*d %*d %*d %*d %*d %*d %" G_GUINT64_FORMAT,
                    &stat_out->ppid, &stat_out->pgrp, &stat_out->session,
                    &stat_out->start_ticks) == 4;
}

/* Whether @process may be what the spawn under way when the daemon died
 * made: in the daemon's session, a child of the dead daemon or of whoever
 * adopted its orphans, started since the spawn began. */
static gboolean
is_from_spawn (const Stat  *process,
               const Table *table,
               gint64       since)
{
  return !process->guardian && process->session == getsid (0)
         && (process->ppid == table->daemon_pid || process->ppid == getppid ())
         && process->start_ticks >= (guint64) since;
}

/* Kills what the spawn under way made (see the top of the file); returns
 * how many processes or groups. */
static guint
kill_spawn_in_flight (const Table *table,
                      gint64       since)
{
  g_autofree char *self = g_strdup_printf ("%d", (int) getpid ());
  DIR *proc = opendir ("/proc");
  struct dirent *entry;
  guint killed = 0;

  while (proc != NULL && (entry = readdir (proc)) != NULL)
    {
      Stat process;
      pid_t pid = atoi (entry->d_name);

      if (pid <= 0 || g_str_equal (entry->d_name, self) || !read_stat (entry->d_name, &process)
          || !is_from_spawn (&process, table, since))
        continue;
      /* Its group, when it made its own; else it is still on its way there. */
      killed += kill (process.pgrp == pid ? -pid : pid, SIGKILL) == 0;
    }

  if (proc != NULL)
    closedir (proc);
  return killed;
}

/* The daemon has died: kills its commands; returns how many groups. */
static guint
kill_commands (const Table *table)
{
  guint32 high_water = MIN (__atomic_load_n (&table->high_water, __ATOMIC_ACQUIRE), table->n_slots);
  gint64 since = __atomic_load_n (&table->spawn_since, __ATOMIC_ACQUIRE);
  guint killed = 0;

  for (guint32 i = 0; i < high_water; i++)
    {
      gint32 pgid = __atomic_load_n (&table->pgids[i], __ATOMIC_ACQUIRE);

      killed += pgid > 0 && kill (-pgid, SIGKILL) == 0;
    }

  for (guint i = 0; since != 0 && i < G_N_ELEMENTS (in_flight_scans_ms); i++)
    {
      g_usleep ((in_flight_scans_ms[i] - (i > 0 ? in_flight_scans_ms[i - 1] : 0)) * 1000);
      killed += kill_spawn_in_flight (table, since);
    }
  return killed;
}

/* Blocks until the daemon's end of the socket closes. */
static void
wait_for_daemon_end (void)
{
  char buffer[64];

  for (;;)
    {
      ssize_t n = read (STDIN_FILENO, buffer, sizeof buffer);

      if (n == 0 || (n < 0 && errno != EINTR))
        return;
    }
}

/* The table bgserviced passed, mapped; NULL when this is not bgserviced's doing. */
static Table *
map_table (void)
{
  struct stat link_stat;
  struct stat table_stat;
  void *table;

  if (fstat (STDIN_FILENO, &link_stat) < 0 || !S_ISSOCK (link_stat.st_mode)
      || fstat (TABLE_FD, &table_stat) < 0 || !S_ISREG (table_stat.st_mode)
      || (gsize) table_stat.st_size < sizeof (Table))
    return NULL;

  table = mmap (NULL, table_stat.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, TABLE_FD, 0);
  close (TABLE_FD);
  if (table == MAP_FAILED)
    return NULL;
  /* A table holds the slots it says, however its size was read. */
  if (((Table *) table)->n_slots > (table_stat.st_size - sizeof (Table)) / sizeof (gint32))
    return NULL;
  return table;
}

/*
 * `bgserviced --guardian`: stdin is the guardian's end of the socket,
 * descriptor 3 the table. Returns once the guardian runs (the exit status
 * of the first process); the guardian itself exits when it is done.
 */
int
bgsd_guardian_main (void)
{
  static const int ignored[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPIPE };
  Table *table = map_table ();
  guint killed;
  pid_t pid;

  if (table == NULL)
    {
      fprintf (stderr, "bgserviced: %s is for bgserviced itself, to start its guardian\n",
               BGSD_GUARDIAN_ARG);
      return 2;
    }

  for (guint i = 0; i < G_N_ELEMENTS (ignored); i++)
    signal (ignored[i], SIG_IGN);

  pid = fork ();
  if (pid < 0)
    return 1;
  if (pid > 0)
    {
      __atomic_store_n (&table->guardian_pid, pid, __ATOMIC_RELEASE);
      return 0;
    }

  setpgid (0, 0);
  prctl (PR_SET_NAME, GUARDIAN_NAME);
  wait_for_daemon_end ();
  killed = kill_commands (table);
  if (killed > 0)
    fprintf (stderr, "bgserviced: the daemon (PID %d) has died; its guardian killed the process "
             "groups of %u commands\n", (int) table->daemon_pid, killed);
  _exit (0);
}
