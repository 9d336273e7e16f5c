/* SPDX-License-Identifier: MIT */
/* bench-scale-tick.c: the command bench-scale's timers run.
 *
 *   bench-scale-tick FILE
 *
 * Appends one byte to FILE and exits: the size of FILE counts the runs,
 * whoever ran them (bgserviced's timers, or the floor's serial loop).
 */
#include <fcntl.h>
#include <unistd.h>

int
main (int   argc,
      char *argv[])
{
  int fd;

  if (argc != 2)
    return 2;

  fd = open (argv[1], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0 || write (fd, ".", 1) != 1)
    return 1;

  close (fd);
  return 0;
}
