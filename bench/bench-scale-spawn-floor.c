/* SPDX-License-Identifier: MIT */
/* bench-scale-spawn-floor.c: the floor of bench-scale for processes.
 *
 *   bench-scale-spawn-floor --group N COMMAND [ARG...]
 *   bench-scale-spawn-floor --serial SECONDS COMMAND [ARG...]
 *
 * --group starts N copies of COMMAND in one loop of posix_spawnp(), each
 * leading a process group of its own (POSIX_SPAWN_SETPGROUP) with the
 * signal mask emptied and SIGTERM and SIGINT back at their default
 * action, as a supervisor must start them; prints "READY" on stdout; then
 * on a line read from stdin sends SIGTERM to every group, reaps every
 * child, and prints "STOPPED". That is the least a supervisor of N
 * commands does, with nothing else around it.
 *
 * --serial runs COMMAND again and again, one at a time (spawn, wait), for
 * SECONDS, then prints how many runs ended per second.
 */
#define _GNU_SOURCE

#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* The attributes every child starts with. */
static void
init_attributes (posix_spawnattr_t *attributes)
{
  sigset_t empty, defaults;

  sigemptyset (&empty);
  sigemptyset (&defaults);
  sigaddset (&defaults, SIGTERM);
  sigaddset (&defaults, SIGINT);
  posix_spawnattr_init (attributes);
  posix_spawnattr_setflags (attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                        POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup (attributes, 0);
  posix_spawnattr_setsigmask (attributes, &empty);
  posix_spawnattr_setsigdefault (attributes, &defaults);
}

static pid_t
spawn (const posix_spawnattr_t *attributes,
       char                   **argv)
{
  pid_t pid;
  int r = posix_spawnp (&pid, argv[0], NULL, attributes, argv, environ);

  if (r != 0)
    {
      fprintf (stderr, "bench-scale-spawn-floor: cannot run %s: %s\n", argv[0], strerror (r));
      exit (1);
    }
  return pid;
}

static int
run_group (long    n,
           char  **argv)
{
  posix_spawnattr_t attributes;
  pid_t *pids = calloc ((size_t) n, sizeof (pid_t));
  char line[64];

  if (pids == NULL)
    return 1;

  init_attributes (&attributes);
  for (long i = 0; i < n; i++)
    pids[i] = spawn (&attributes, argv);
  printf ("READY\n");
  fflush (stdout);

  if (fgets (line, sizeof line, stdin) == NULL)
    line[0] = '\0';

  for (long i = 0; i < n; i++)
    kill (-pids[i], SIGTERM);
  for (long i = 0; i < n; i++)
    while (waitpid (pids[i], NULL, 0) < 0)
      ;
  printf ("STOPPED\n");
  fflush (stdout);

  posix_spawnattr_destroy (&attributes);
  free (pids);
  return 0;
}

static double
now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static int
run_serial (double   seconds,
            char   **argv)
{
  posix_spawnattr_t attributes;
  double start = now ();
  double elapsed;
  long runs = 0;

  init_attributes (&attributes);
  do
    {
      pid_t pid = spawn (&attributes, argv);

      while (waitpid (pid, NULL, 0) < 0)
        ;
      runs++;
      elapsed = now () - start;
    }
  while (elapsed < seconds);

  printf ("%.1f\n", (double) runs / elapsed);
  posix_spawnattr_destroy (&attributes);
  return 0;
}

int
main (int   argc,
      char *argv[])
{
  if (argc >= 4 && strcmp (argv[1], "--group") == 0)
    return run_group (atol (argv[2]), argv + 3);
  if (argc >= 4 && strcmp (argv[1], "--serial") == 0)
    return run_serial (atof (argv[2]), argv + 3);

  fprintf (stderr, "Usage: %s --group N COMMAND [ARG...]\n"
                   "       %s --serial SECONDS COMMAND [ARG...]\n", argv[0], argv[0]);
  return 2;
}
