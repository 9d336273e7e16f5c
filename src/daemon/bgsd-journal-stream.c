/* SPDX-License-Identifier: MIT */
/* bgsd-journal-stream.c: a stream to journald for a command's output.
 *
 * What sd_journal_stream_fd() opens, without its wait: a connection to
 * journald's stdout socket, readable by journald alone, that begins with a
 * header journald reads (the identifier, an empty unit name, the priority,
 * whether lines may carry a "<N>" level prefix, and no forwarding to
 * syslog, kmsg or the console, a line each); every line written to it
 * after is a journal entry. sd_journal_stream_fd() connects with a
 * blocking socket, so while journald accepts no more connections (stopped,
 * or stalled on its disk, its backlog full) the caller waits until it
 * does, and for the daemon that caller is the main loop. Here the connect
 * does not wait: a full backlog fails at once with EAGAIN, and the command
 * writes elsewhere. The descriptor is made blocking again before it is
 * returned, since the command gets it as its stdout or stderr.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bgsd-journal-stream.h"

#define JOURNAL_STDOUT_PATH "/run/systemd/journal/stdout"

/* Room for a burst of output while journald is slow to read, as
 * sd_journal_stream_fd() asks (the kernel caps it at net.core.wmem_max). */
#define STREAM_SEND_BUFFER (8 * 1024 * 1024)

static gboolean
write_header (int         fd,
              const char *identifier,
              int         priority,
              gboolean    level_prefix)
{
  g_autofree char *header = g_strdup_printf ("%s\n\n%d\n%d\n0\n0\n0\n", identifier, priority,
                                             level_prefix ? 1 : 0);
  size_t length = strlen (header);

  /* A new connection has all of its send buffer free: the header goes in
   * one write, or the stream is not usable. */
  return write (fd, header, length) == (ssize_t) length;
}

/* The socket was made with O_NONBLOCK as its only status flag. */
static gboolean
make_blocking (int fd)
{
  return fcntl (fd, F_SETFL, 0) == 0;
}

/*
 * Opens a stream to journald whose lines become entries tagged
 * @identifier at @priority (and, with @level_prefix, the priority a line's
 * "<N>" prefix gives). Returns the descriptor (close-on-exec), or a
 * negative errno: -ENOENT or -ECONNREFUSED without journald, -EAGAIN when
 * it accepts no more connections now.
 */
int
bgsd_journal_stream_open (const char *identifier,
                          int         priority,
                          gboolean    level_prefix)
{
  struct sockaddr_un address = { .sun_family = AF_UNIX, .sun_path = JOURNAL_STDOUT_PATH };
  int buffer = STREAM_SEND_BUFFER;
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int saved_errno;

  if (fd < 0)
    return -errno;

  errno = 0;  /* a short write of the header sets none */
  if (connect (fd, (struct sockaddr *) &address, sizeof address) == 0
      && shutdown (fd, SHUT_RD) == 0
      && write_header (fd, identifier, priority, level_prefix)
      && make_blocking (fd))
    {
      (void) setsockopt (fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
      return fd;
    }

  saved_errno = errno != 0 ? errno : EIO;
  close (fd);
  return -saved_errno;
}
