/* ctl-output.c: escaping, column widths and the output formats.
 *
 * Escaping: a character that a terminal would act on instead of showing
 * (C0 and C1 controls, DEL, line and paragraph separators, bidirectional
 * overrides) is written as an escape: \t, \n and \r for those three,
 * \xNN for the other ASCII controls and for bytes that are not UTF-8,
 * \u{XXXX} for the other code points. Everything else, backslashes
 * included, is written as it is: service names cannot hold controls (the
 * daemon refuses them), so escapes only ever show in messages, where they
 * are for safety, not for a round trip.
 *
 * Output formats:
 *   list, on a terminal   a header, then aligned columns NAME STATE TASKS
 *                         and a count of the services
 *   list, in a pipe       NAME<TAB>STATE<TAB>TASKS, one service a line
 *   status                a block per service, see ctl_output_format_status()
 *   errors of a call      NAME: TASK: MESSAGE (DOMAIN CODE), one a line
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ctl-output.h"

#define DEFAULT_COLUMNS   80
#define MIN_NAME_COLUMN   16
#define COLUMN_GAP        "  "

static gboolean
needs_escape (gunichar c)
{
  if (c < 0x20 || (c >= 0x7f && c < 0xa0))
    return TRUE;   /* C0, DEL, C1 */

  switch (c)
    {
    case 0x061c:   /* ARABIC LETTER MARK */
    case 0x200e:   /* LEFT-TO-RIGHT MARK */
    case 0x200f:   /* RIGHT-TO-LEFT MARK */
    case 0x2028:   /* LINE SEPARATOR */
    case 0x2029:   /* PARAGRAPH SEPARATOR */
      return TRUE;
    default:
      /* The bidirectional embeddings, overrides and isolates. */
      return (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
    }
}

static void
append_escape (GString  *out,
               gunichar  c)
{
  switch (c)
    {
    case '\t':
      g_string_append (out, "\\t");
      break;
    case '\n':
      g_string_append (out, "\\n");
      break;
    case '\r':
      g_string_append (out, "\\r");
      break;
    default:
      if (c < 0x80)
        g_string_append_printf (out, "\\x%02x", c);
      else
        g_string_append_printf (out, "\\u{%04X}", c);
      break;
    }
}

/* Appends @text to @out with the characters a terminal would act on
 * escaped (see the top of the file). @text need not be valid UTF-8. */
void
ctl_output_append_escaped (GString    *out,
                           const char *text)
{
  const char *p = text;

  while (*p != '\0')
    {
      gunichar c = g_utf8_get_char_validated (p, -1);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          g_string_append_printf (out, "\\x%02x", (guchar) *p);
          p++;
          continue;
        }

      if (needs_escape (c))
        append_escape (out, c);
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
      p = g_utf8_next_char (p);
    }
}

/* A copy of @text safe to print on a terminal or in a line of a pipe. */
char *
ctl_output_escape (const char *text)
{
  GString *out = g_string_new (NULL);

  ctl_output_append_escaped (out, text);

  return g_string_free (out, FALSE);
}

/* How many terminal columns @text, valid UTF-8 without controls (escaped
 * text), takes: wide (East Asian) characters take two, combining marks
 * and other zero-width characters none. */
gsize
ctl_output_width (const char *text)
{
  gsize width = 0;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iszerowidth (c))
        continue;
      width += g_unichar_iswide (c) ? 2 : 1;
    }

  return width;
}

/* Appends @text (escaped) and pads it with spaces to @width columns. */
static void
append_padded (GString    *out,
               const char *escaped,
               gsize       width)
{
  gsize used = ctl_output_width (escaped);

  g_string_append (out, escaped);
  for (; used < width; used++)
    g_string_append_c (out, ' ');
}

static void
format_services_table (GString   *out,
                       GPtrArray *services,
                       guint      columns)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) states = g_ptr_array_new_with_free_func (g_free);
  gsize name_width = strlen ("NAME"), state_width = strlen ("stopping"), tasks_width = strlen ("TASKS");
  gsize name_limit;
  guint n_running = 0;

  if (services->len == 0)
    {
      g_string_append (out, "No services.\n");
      return;
    }

  /* Names wider than what leaves room for the other columns do not
   * widen their column for everyone (see below). */
  name_limit = MAX (columns, (guint) MIN_NAME_COLUMN + 17) - 17;

  for (guint i = 0; i < services->len; i++)
    {
      const CtlServiceInfo *info = services->pdata[i];
      char *name = ctl_output_escape (info->name);
      char *state = ctl_output_escape (ctl_service_info_get_state (info));
      gsize width = ctl_output_width (name);
      g_autofree char *tasks = g_strdup_printf ("%u", info->n_tasks);

      if (width <= name_limit)
        name_width = MAX (name_width, width);
      state_width = MAX (state_width, ctl_output_width (state));
      tasks_width = MAX (tasks_width, strlen (tasks));
      if (info->is_running)
        n_running++;
      g_ptr_array_add (names, name);
      g_ptr_array_add (states, state);
    }

  append_padded (out, "NAME", name_width);
  g_string_append (out, COLUMN_GAP);
  append_padded (out, "STATE", state_width);
  g_string_append_printf (out, COLUMN_GAP "%*s\n", (int) tasks_width, "TASKS");

  for (guint i = 0; i < services->len; i++)
    {
      const CtlServiceInfo *info = services->pdata[i];

      /* Like df(1): a name too wide for its column gets a line of its
       * own, and the other columns stay aligned on the next. */
      if (ctl_output_width (names->pdata[i]) > name_width)
        {
          g_string_append (out, names->pdata[i]);
          g_string_append_c (out, '\n');
          append_padded (out, "", name_width);
        }
      else
        {
          append_padded (out, names->pdata[i], name_width);
        }
      g_string_append (out, COLUMN_GAP);
      append_padded (out, states->pdata[i], state_width);
      g_string_append_printf (out, COLUMN_GAP "%*u\n", (int) tasks_width, info->n_tasks);
    }

  g_string_append_printf (out, "\n%u %s, %u running.\n", services->len,
                          services->len == 1 ? "service" : "services", n_running);
}

static void
format_services_lines (GString   *out,
                       GPtrArray *services)
{
  for (guint i = 0; i < services->len; i++)
    {
      const CtlServiceInfo *info = services->pdata[i];

      ctl_output_append_escaped (out, info->name);
      g_string_append_c (out, '\t');
      ctl_output_append_escaped (out, ctl_service_info_get_state (info));
      g_string_append_printf (out, "\t%u\n", info->n_tasks);
    }
}

/*
 * ctl_output_format_services:
 * @services: (element-type CtlServiceInfo): the services, in order
 * @table: %TRUE for a terminal: a header, aligned columns, a count;
 *   %FALSE for a pipe: tab-separated fields, nothing else
 * @columns: the width of the terminal, for @table
 *
 * Formats the output of `list`: each service's name, state and number of
 * tasks.
 */
void
ctl_output_format_services (GString   *out,
                            GPtrArray *services,
                            gboolean   table,
                            guint      columns)
{
  if (table)
    format_services_table (out, services, columns);
  else
    format_services_lines (out, services);
}

/* Appends "TASK: MESSAGE (DOMAIN CODE)" and a newline. */
static void
append_task_error (GString            *out,
                   const CtlTaskError *task_error)
{
  ctl_output_append_escaped (out, task_error->task);
  g_string_append (out, ": ");
  ctl_output_append_escaped (out, task_error->message);
  g_string_append (out, " (");
  ctl_output_append_escaped (out, task_error->domain);
  g_string_append_printf (out, " %" G_GINT32_FORMAT ")\n", task_error->code);
}

/*
 * ctl_output_format_status:
 * @info: a service, with its properties read
 *
 * Formats the block `status` prints for a service:
 *
 *   NAME
 *     state: running
 *     tasks: 2
 *     last errors: none
 *
 * or, when its last wait or stop saw tasks fail, one line for each:
 *
 *     last errors:
 *       TASK: MESSAGE (DOMAIN CODE)
 */
void
ctl_output_format_status (GString              *out,
                          const CtlServiceInfo *info)
{
  ctl_output_append_escaped (out, info->name);
  g_string_append (out, "\n  state: ");
  ctl_output_append_escaped (out, ctl_service_info_get_state (info));
  g_string_append_printf (out, "\n  tasks: %u\n", info->n_tasks);

  if (info->last_errors == NULL || info->last_errors->len == 0)
    {
      g_string_append (out, "  last errors: none\n");
      return;
    }

  g_string_append (out, "  last errors:\n");
  for (guint i = 0; i < info->last_errors->len; i++)
    {
      g_string_append (out, "    ");
      append_task_error (out, info->last_errors->pdata[i]);
    }
}

/*
 * ctl_output_format_task_errors:
 * @service: the service the errors are of, as the user named it
 * @errors: (element-type CtlTaskError): what Stop, Restart or Wait returned
 *
 * Formats one line for each error: "SERVICE: TASK: MESSAGE (DOMAIN CODE)".
 */
void
ctl_output_format_task_errors (GString    *out,
                               const char *service,
                               GPtrArray  *errors)
{
  for (guint i = 0; i < errors->len; i++)
    {
      ctl_output_append_escaped (out, service);
      g_string_append (out, ": ");
      append_task_error (out, errors->pdata[i]);
    }
}

/* Whether standard output is a terminal (a person reads) or not (a
 * program reads). */
gboolean
ctl_output_is_terminal (void)
{
  return isatty (STDOUT_FILENO) == 1;
}

/* The width of the terminal on standard output; $COLUMNS or 80 if unknown. */
guint
ctl_output_terminal_columns (void)
{
  struct winsize size = { 0, };
  const char *env;
  guint64 columns;

  if (ioctl (STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0)
    return size.ws_col;

  env = g_getenv ("COLUMNS");
  if (env != NULL && g_ascii_string_to_unsigned (env, 10, 1, G_MAXUINT16, &columns, NULL))
    return (guint) columns;

  return DEFAULT_COLUMNS;
}

/* Writes @text to standard output as it is (it was escaped when formatted). */
void
ctl_output_print (GString *text)
{
  fwrite (text->str, 1, text->len, stdout);
}

/* Prints "bgservicectl: MESSAGE" on standard error, MESSAGE escaped. */
void
ctl_output_print_error (const char *format,
                        ...)
{
  g_autofree char *message = NULL;
  g_autofree char *escaped = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  escaped = ctl_output_escape (message);
  g_printerr ("bgservicectl: %s\n", escaped);
}
