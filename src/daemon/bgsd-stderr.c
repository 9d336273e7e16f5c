/* SPDX-License-Identifier: MIT */
/* bgsd-stderr.c: whole lines to the daemon's stderr, never blocking the loop.
 *
 * Lines of command output wait in a bounded queue and reach stderr only
 * while it takes them without blocking: poll() says POLLOUT, and each
 * write() holds whole lines, PIPE_BUF bytes at most, which a pipe that
 * polls writable takes at once and unmixed with other writers. When stderr
 * does not take them (its reader stopped reading), a watch on the main
 * loop writes the queue once it can; the lines that do not fit in the
 * queue meanwhile are dropped and counted, and a line saying how many
 * takes their place. A stderr without a reader drops the queue rather
 * than raise SIGPIPE. The flags of stderr stay as they are: its file
 * description is shared with whoever started the daemon.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>

#include "bgsd-stderr.h"

/* What the queue holds at most: sixteen of the longest lines. */
#define QUEUE_MAX (16 * BGSD_STDERR_LINE_MAX)

/* Room kept for the line that counts dropped lines. */
#define NOTICE_MAX 128

/* Queue: the lines not written yet; the state of this file. */
typedef struct
{
  GByteArray *lines;      /* (owned) (nullable): whole lines, from @head on */
  gsize       head;       /* bytes of @lines written already */
  GSource    *watch;      /* (owned) (nullable): waits for stderr to take more */
  guint64     n_dropped;  /* lines dropped since the last notice */
} Queue;

static Queue queue;

static gsize
queued (void)
{
  return queue.lines == NULL ? 0 : queue.lines->len - queue.head;
}

static void
empty_queue (void)
{
  if (queue.lines != NULL)
    g_byte_array_set_size (queue.lines, 0);
  queue.head = 0;
}

/* stderr is gone (no reader, closed, hung up): what waits is dropped. */
static void
drop_queued (void)
{
  for (gsize i = queue.head; i < queue.lines->len; i++)
    if (queue.lines->data[i] == '\n')
      queue.n_dropped++;
  empty_queue ();
}

/* The bytes of the next write(): the whole lines within PIPE_BUF bytes. */
static gsize
next_write_len (void)
{
  const guint8 *start = queue.lines->data + queue.head;
  gsize len = MIN (queued (), BGSD_STDERR_LINE_MAX);

  for (gsize end = len; end > 0; end--)
    if (start[end - 1] == '\n')
      return end;
  return len;
}

/* Writes queued lines while stderr takes them without blocking. Returns
 * TRUE once the queue is empty, FALSE when stderr would block first. */
static gboolean
write_queued (void)
{
  while (queued () > 0)
    {
      struct pollfd pfd = { .fd = STDERR_FILENO, .events = POLLOUT };
      gssize written;

      if (poll (&pfd, 1, 0) < 0 && errno == EINTR)
        continue;
      if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL))
        {
          drop_queued ();
          break;
        }
      if (!(pfd.revents & POLLOUT))
        return FALSE;

      written = write (STDERR_FILENO, queue.lines->data + queue.head, next_write_len ());
      if (written < 0 && errno == EINTR)
        continue;
      if (written < 0 && errno == EAGAIN)
        return FALSE;       /* someone made the file description non-blocking */
      if (written < 0)
        {
          drop_queued ();
          break;
        }
      queue.head += written;
    }

  empty_queue ();
  return TRUE;
}

static gboolean
on_stderr_writable (int           fd,
                    GIOCondition  condition,
                    gpointer      user_data)
{
  if (!write_queued ())
    return G_SOURCE_CONTINUE;

  g_clear_pointer (&queue.watch, g_source_unref);
  return G_SOURCE_REMOVE;
}

/*
 * Writes what stderr takes now; the rest goes out from the main loop as
 * stderr takes it. Call it after a batch of bgsd_stderr_write_line().
 */
void
bgsd_stderr_flush (void)
{
  if (queue.watch != NULL || write_queued ())
    return;

  queue.watch = g_unix_fd_source_new (STDERR_FILENO, G_IO_OUT);
  g_source_set_callback (queue.watch, G_SOURCE_FUNC (on_stderr_writable), NULL, NULL);
  g_source_attach (queue.watch, g_main_context_get_thread_default ());
}

/* Whether @len more bytes fit in the queue as it is; makes space for them. */
static gboolean
reserve (gsize len)
{
  if (queued () + len > QUEUE_MAX)
    return FALSE;

  if (queue.lines == NULL)
    queue.lines = g_byte_array_sized_new (QUEUE_MAX);
  else if (queue.lines->len + len > QUEUE_MAX)
    {
      g_byte_array_remove_range (queue.lines, 0, queue.head);
      queue.head = 0;
    }
  return TRUE;
}

/* Whether @len more bytes fit in the queue, once what stderr takes now is
 * written (unless the watch says it takes nothing). */
static gboolean
make_room (gsize len)
{
  if (queued () + len > QUEUE_MAX && queue.watch == NULL)
    bgsd_stderr_flush ();
  return reserve (len);
}

static void
append (const char *data,
        gsize       len)
{
  g_byte_array_append (queue.lines, (const guint8 *) data, len);
}

static void
append_notice (void)
{
  char notice[NOTICE_MAX];
  int len = g_snprintf (notice, sizeof notice,
                        "bgserviced: %" G_GUINT64_FORMAT " lines of command output were dropped: "
                        "stderr did not take them\n", queue.n_dropped);

  append (notice, MIN ((gsize) len, sizeof notice - 1));
  queue.n_dropped = 0;
}

/*
 * Queues @line (@len bytes, BGSD_STDERR_LINE_MAX at most, the last a
 * newline) for stderr, or drops it when the queue is full.
 */
void
bgsd_stderr_write_line (const char *line,
                        gsize       len)
{
  g_return_if_fail (len > 0 && len <= BGSD_STDERR_LINE_MAX && line[len - 1] == '\n');

  if (!make_room (len + (queue.n_dropped > 0 ? NOTICE_MAX : 0)))
    {
      queue.n_dropped++;
      return;
    }
  if (queue.n_dropped > 0)
    append_notice ();
  append (line, len);
}

/*
 * At exit: gives stderr up to @timeout_ms to take what is queued, then
 * drops the rest.
 */
void
bgsd_stderr_finish (guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * G_TIME_SPAN_MILLISECOND;

  if (queue.watch != NULL)
    {
      g_source_destroy (queue.watch);
      g_clear_pointer (&queue.watch, g_source_unref);
    }
  if (queue.n_dropped > 0 && reserve (NOTICE_MAX))
    append_notice ();

  while (!write_queued ())
    {
      struct pollfd pfd = { .fd = STDERR_FILENO, .events = POLLOUT };
      gint64 left_ms = (deadline - g_get_monotonic_time ()) / G_TIME_SPAN_MILLISECOND;

      if (left_ms <= 0 || poll (&pfd, 1, (int) left_ms) == 0)
        break;
    }

  g_clear_pointer (&queue.lines, g_byte_array_unref);
  queue.head = 0;
}
