/* SPDX-License-Identifier: MIT */
/* bgsd-output.c: where the stdout and stderr of a command go.
 *
 * To the journal when it is reachable: each command gets two streams of
 * its own (bgsd-journal-stream.c), tagged with the service name
 * (SYSLOG_IDENTIFIER), stdout at LOG_INFO and stderr at LOG_WARNING. A
 * journald that accepts no more connections counts as not reachable: the
 * main loop never waits for it.
 * journald reads them itself: the daemon keeps no descriptor of them. A
 * line may begin with a level prefix such as "<3>" to set its own
 * priority, as under systemd (SyslogLevelPrefix=yes). Whether the journal
 * is reachable is tried at every spawn while it is, so a journald that
 * goes is seen by the next command; once it was not, it is tried again a
 * second later at the earliest (each try costs a socket, a connect and a
 * close: a timer storm without journald paid them at every run), so a
 * journald that comes is seen within a second.
 *
 * Otherwise to the daemon's stderr (bgsd-stderr.c), each line as
 * "NAME: line". stdout and stderr share one pipe, so that lines keep the
 * order the command wrote them in and a command costs the daemon one
 * descriptor. The read ends of all commands sit in one epoll set, which
 * the main loop watches as a single source: a source per pipe would make
 * every loop iteration cost one check per command. Bytes that are not
 * UTF-8, and control characters other than tab, are written as \xNN:
 * whatever a command prints, a line stays one line of valid text. A line
 * too long for one write (BGSD_STDERR_LINE_MAX, prefix included) goes on
 * in the next line, prefixed again. When the command has ended, what it
 * left in the pipe is read, a last line without newline written, and the
 * pipe closed: a process it left behind that writes on gets EPIPE (or
 * SIGPIPE).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <syslog.h>
#include <unistd.h>

#include <glib-unix.h>

#include "bgsd-journal-stream.h"
#include "bgsd-output.h"
#include "bgsd-stderr.h"

/* A command's lines may set their own priority, as under systemd. */
#define LEVEL_PREFIX TRUE

/* What one read takes from a pipe: one main loop iteration's worth. */
#define READ_SIZE 16384

/* The reads left for a command that has ended: 256 KiB at most, in case
 * something it started keeps writing. */
#define DRAIN_READS 16

/* The most readable pipes one dispatch reads. */
#define BATCH 64

/* The longest character in UTF-8. */
#define UTF8_CHAR_MAX 4

/* The longest piece of a line: a character, or an escape \xNN. */
#define PIECE_MAX 4

/* Reader: one pipe from the command, read into "NAME: " lines. */
typedef struct
{
  int      fd;            /* the read end, non-blocking, in the epoll set; -1 once closed */
  GString *line;          /* (owned): the prefix, then the line so far, escaped */
  gsize    prefix_len;
  guchar   partial[UTF8_CHAR_MAX - 1];  /* the start of a character the next read ends */
  gsize    n_partial;
} Reader;

/* What a read found. */
typedef enum
{
  READ_SOME,
  READ_NOTHING_YET,
  READ_END,              /* end of file, or an error */
} ReadResult;

struct _BgsdOutput
{
  Reader *reader;         /* (owned) (nullable): stdout and stderr; none for the journal */
};

/* Pipes: the epoll set of every open read end, and its source; the state
 * of this file. */
typedef struct
{
  int      epoll_fd;
  GSource *source;        /* (owned) (nullable) */
} Pipes;

static Pipes pipes = { .epoll_fd = -1 };

/* ---- text ------------------------------------------------------------- */

static gboolean
is_plain_ascii (guchar byte)
{
  return byte == '\t' || (byte < 0x80 && !g_ascii_iscntrl (byte));
}

/*
 * What stands for the character at @data (@len > 0 bytes) in a line: the
 * character itself when it is plain (valid UTF-8, not a control character
 * other than tab), else its first byte as \xNN. Writes it to @piece and
 * returns its length, with the bytes of @data it stands for in @used.
 * Returns 0 when @data ends inside a character that may be valid, unless
 * @at_end: nothing more will come, the bytes are escaped.
 */
static gsize
next_piece (const guchar *data,
            gsize         len,
            gboolean      at_end,
            char          piece[PIECE_MAX],
            gsize        *used)
{
  static const char hex[] = "0123456789abcdef";
  gsize n = g_utf8_skip[data[0]];
  gunichar c;

  if (is_plain_ascii (data[0]))
    {
      piece[0] = data[0];
      *used = 1;
      return 1;
    }

  c = g_utf8_get_char_validated ((const char *) data, len);
  /* Lead bytes of the old 5- and 6-byte forms start nothing valid. */
  if (c == (gunichar) -2 && len < n && n <= UTF8_CHAR_MAX && !at_end)
    return 0;

  if (c != (gunichar) -1 && c != (gunichar) -2 && !g_unichar_iscntrl (c))
    {
      memcpy (piece, data, n);
      *used = n;
      return n;
    }

  piece[0] = '\\';
  piece[1] = 'x';
  piece[2] = hex[data[0] >> 4];
  piece[3] = hex[data[0] & 0xf];
  *used = 1;
  return 4;
}

/* "NAME: ", escaped as output is (a valid service name needs no escaping). */
static char *
make_prefix (const char *name)
{
  GString *prefix = g_string_new (NULL);
  const guchar *p = (const guchar *) name;
  gsize len = strlen (name);

  for (gsize i = 0, used = 0; i < len; i += used)
    {
      char piece[PIECE_MAX];

      g_string_append_len (prefix, piece, next_piece (p + i, len - i, TRUE, piece, &used));
    }
  g_string_append (prefix, ": ");

  /* Service names have 255 bytes at most: a line always has room for text. */
  g_assert (prefix->len < BGSD_STDERR_LINE_MAX / 2);
  return g_string_free (prefix, FALSE);
}

/* ---- one pipe --------------------------------------------------------- */

/* Bytes the line can take before its newline. */
static gsize
room (Reader *r)
{
  return BGSD_STDERR_LINE_MAX - 1 - r->line->len;
}

static void
end_line (Reader *r)
{
  g_string_append_c (r->line, '\n');
  bgsd_stderr_write_line (r->line->str, r->line->len);
  g_string_truncate (r->line, r->prefix_len);
}

/* Adds a piece that must not be cut (a character or an escape); a line
 * too long for it ends first and goes on in the next. */
static void
add_piece (Reader     *r,
           const char *piece,
           gsize       len)
{
  if (len > room (r))
    end_line (r);
  g_string_append_len (r->line, piece, len);
}

/* Adds plain ASCII text, cut where lines get too long. */
static void
add_text (Reader       *r,
          const guchar *text,
          gsize         len)
{
  while (len > 0)
    {
      gsize n = MIN (len, room (r));

      if (n == 0)
        {
          end_line (r);
          continue;
        }
      g_string_append_len (r->line, (const char *) text, n);
      text += n;
      len -= n;
    }
}

/* Turns @len bytes of output into lines; keeps the start of a character
 * that @data ends in for the next read, unless @at_end. */
static void
feed (Reader       *r,
      const guchar *data,
      gsize         len,
      gboolean      at_end)
{
  gsize i = 0;

  while (i < len)
    {
      gsize run = 0;
      gsize used;
      gsize n;
      char piece[PIECE_MAX];

      while (i + run < len && is_plain_ascii (data[i + run]))
        run++;
      if (run > 0)
        {
          add_text (r, data + i, run);
          i += run;
        }
      else if (data[i] == '\n')
        {
          end_line (r);
          i++;
        }
      else if ((n = next_piece (data + i, len - i, at_end, piece, &used)) > 0)
        {
          add_piece (r, piece, n);
          i += used;
        }
      else
        break;
    }

  /* next_piece() waits for UTF8_CHAR_MAX - 1 bytes at most. */
  r->n_partial = len - i;
  g_assert (r->n_partial <= sizeof r->partial);
  memmove (r->partial, data + i, r->n_partial);
}

/* Out of the epoll set, then closed. */
static void
close_pipe (Reader *r)
{
  epoll_ctl (pipes.epoll_fd, EPOLL_CTL_DEL, r->fd, NULL);
  close (r->fd);
  r->fd = -1;
}

static void
reader_free (Reader *r)
{
  if (r->fd >= 0)
    close_pipe (r);
  g_string_free (r->line, TRUE);
  g_free (r);
}

static ReadResult
read_once (Reader *r)
{
  guchar buffer[sizeof r->partial + READ_SIZE];
  gssize n;

  memcpy (buffer, r->partial, r->n_partial);
  n = read (r->fd, buffer + r->n_partial, READ_SIZE);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return READ_NOTHING_YET;
  if (n <= 0)
    return READ_END;

  feed (r, buffer, r->n_partial + n, FALSE);
  return READ_SOME;
}

/* The output has ended: its last line goes out, newline or not. */
static void
finish (Reader *r)
{
  guchar rest[sizeof r->partial];
  gsize n = r->n_partial;

  if (r->fd < 0)
    return;

  memcpy (rest, r->partial, n);
  feed (r, rest, n, TRUE);
  if (r->line->len > r->prefix_len)
    end_line (r);

  close_pipe (r);
}

/* Reads once from each pipe epoll says is readable, a bounded batch: the
 * others stay readable for the next iteration. */
static gboolean
on_readable (int           fd,
             GIOCondition  condition,
             gpointer      user_data)
{
  struct epoll_event events[BATCH];
  int n = epoll_wait (pipes.epoll_fd, events, BATCH, 0);

  for (int i = 0; i < n; i++)
    {
      Reader *r = events[i].data.ptr;

      if (r->fd >= 0 && read_once (r) == READ_END)
        finish (r);
    }
  bgsd_stderr_flush ();

  return G_SOURCE_CONTINUE;
}

static gboolean
ensure_epoll (GError **error)
{
  int saved;

  if (pipes.epoll_fd >= 0)
    return TRUE;

  pipes.epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
  if (pipes.epoll_fd >= 0)
    {
      pipes.source = g_unix_fd_source_new (pipes.epoll_fd, G_IO_IN);
      g_source_set_static_name (pipes.source, "bgserviced command output");
      g_source_set_callback (pipes.source, G_SOURCE_FUNC (on_readable), NULL, NULL);
      g_source_attach (pipes.source, g_main_context_get_thread_default ());
      return TRUE;
    }

  saved = errno;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
               "Cannot make the set of output pipes: %s", g_strerror (saved));
  return FALSE;
}

/* The error of a pipe that could not be opened; running out of
 * descriptors names the limit, and what raises it. */
static void
set_pipe_error (GError **error,
                int      error_number)
{
  struct rlimit limit;

  if (error_number == EMFILE && getrlimit (RLIMIT_NOFILE, &limit) == 0)
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (error_number),
                 "Cannot open a pipe for the output of the command: %s (bgserviced reached "
                 "its limit of %llu open descriptors: it holds about one per running command "
                 "whose output does not go to the journal; raise LimitNOFILE= of its unit)",
                 g_strerror (error_number), (unsigned long long) limit.rlim_cur);
  else
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (error_number),
                 "Cannot open a pipe for the output of the command: %s",
                 g_strerror (error_number));
}

/* A pipe read into lines of @prefix; its write end, for the command, in
 * @child_end. */
static Reader *
reader_new (const char  *prefix,
            int         *child_end,
            GError     **error)
{
  struct epoll_event event = { .events = EPOLLIN };
  Reader *r;
  int fds[2];

  if (!ensure_epoll (error))
    return NULL;
  if (pipe2 (fds, O_CLOEXEC) < 0)
    {
      set_pipe_error (error, errno);
      return NULL;
    }
  /* Only the daemon's end: the command writes as it would to a terminal. */
  fcntl (fds[0], F_SETFL, O_NONBLOCK);

  r = g_new0 (Reader, 1);
  r->fd = fds[0];
  r->line = g_string_new (prefix);
  r->prefix_len = r->line->len;
  event.data.ptr = r;
  if (epoll_ctl (pipes.epoll_fd, EPOLL_CTL_ADD, r->fd, &event) < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot watch the output of the command: %s", g_strerror (saved));
      close (fds[1]);
      reader_free (r);
      return NULL;
    }

  *child_end = fds[1];
  return r;
}

/* The command has ended: reads what it left in the pipe, then finishes. */
static void
reader_close (Reader *r)
{
  for (guint i = 0; r->fd >= 0 && i < DRAIN_READS; i++)
    if (read_once (r) != READ_SOME)
      break;
  finish (r);
}


/* ---- the journal ------------------------------------------------------ */

/* Says where command output goes when that changes: at the first command,
 * and when journald comes or goes. */
static void
note_destination (gboolean journal,
                  int      error_code)
{
  static int last = -1;

  if (last == journal)
    return;
  last = journal;

  if (journal)
    g_message ("Command output goes to the journal, tagged with the service name");
  else
    g_message ("Command output goes to stderr as “SERVICE: line”: the journal is not reachable (%s)",
               g_strerror (error_code));
}

/* How long the journal is not asked again once it was not reachable. */
#define JOURNAL_RETRY_US G_USEC_PER_SEC

/* Opens two journal streams tagged @name for the command, in @child_fds,
 * when the journal takes them; FALSE when it does not. */
static gboolean
connect_journal (const char *name,
                 int         child_fds[2])
{
  static gint64 next_try;
  int out;
  int err;

  if (next_try != 0 && g_get_monotonic_time () < next_try)
    return FALSE;

  out = bgsd_journal_stream_open (name, LOG_INFO, LEVEL_PREFIX);
  err = out < 0 ? out : bgsd_journal_stream_open (name, LOG_WARNING, LEVEL_PREFIX);
  if (err < 0)
    {
      if (out >= 0)
        close (out);
      next_try = g_get_monotonic_time () + JOURNAL_RETRY_US;
      note_destination (FALSE, -err);
      return FALSE;
    }

  next_try = 0;

  child_fds[0] = out;
  child_fds[1] = err;
  note_destination (TRUE, 0);
  return TRUE;
}

/* ---- the output of one command ---------------------------------------- */

/*
 * Chooses where the output of the next command of service @name goes, and
 * opens the descriptors the command gets as stdout and stderr, in
 * @child_fds: one descriptor for both when the output goes to a pipe. The
 * caller closes them (once each) when the command has them. Fails when
 * no pipe can be opened (the daemon is out of file descriptors). Call
 * bgsd_output_close() once the command has ended.
 */
BgsdOutput *
bgsd_output_new (const char  *name,
                 int          child_fds[2],
                 GError     **error)
{
  g_autoptr(BgsdOutput) self = g_new0 (BgsdOutput, 1);
  g_autofree char *prefix = NULL;

  if (connect_journal (name, child_fds))
    return g_steal_pointer (&self);

  prefix = make_prefix (name);
  self->reader = reader_new (prefix, &child_fds[0], error);
  if (self->reader == NULL)
    return NULL;
  child_fds[1] = child_fds[0];

  return g_steal_pointer (&self);
}

/* The command has ended: what it wrote last goes out, and the pipes close. */
void
bgsd_output_close (BgsdOutput *self)
{
  if (self->reader != NULL)
    reader_close (self->reader);
  bgsd_stderr_flush ();
}

void
bgsd_output_free (BgsdOutput *self)
{
  g_clear_pointer (&self->reader, reader_free);
  g_free (self);
}
