/* SPDX-License-Identifier: MIT */
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
 * Output formats (--output=plain; for JSON see ctl-json.c):
 *   list, on a terminal   a header, then aligned columns NAME STATE TASKS
 *                         RESTARTS and a count of the services (without
 *                         header and count for --no-legend)
 *   list, in a pipe       NAME<TAB>STATE<TAB>TASKS<TAB>RESTARTS, one service
 *                         a line
 *   status                a block per service, see ctl_output_format_status()
 *   show                  Key=value lines, see ctl_output_format_show()
 *   is-active, is-failed  the state of each service, one a line
 *   errors of a call      NAME: TASK: MESSAGE (DOMAIN CODE), one a line
 *
 * Colours (CTL_OUTPUT_COLOUR, on a terminal only: see
 * ctl_output_colour_wanted()): the state in list and status, green when
 * running, yellow when stopping or restarting, red when failed. The
 * escape sequences wrap the escaped text and take no column; padding goes
 * after them, so columns stay aligned.
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

#define COLOUR_GREEN      "\033[1;32m"
#define COLOUR_YELLOW     "\033[1;33m"
#define COLOUR_RED        "\033[1;31m"
#define COLOUR_RESET      "\033[0m"

/* The words of --output, in the order of CtlOutputMode. */
const char * const ctl_output_mode_names[] = {
  [CTL_OUTPUT_PLAIN] = "plain",
  [CTL_OUTPUT_JSON] = "json",
  [CTL_OUTPUT_JSON_PRETTY] = "json-pretty",
  NULL
};

/* Sets @mode to the CtlOutputMode that @text names; FALSE when it names
 * none. */
gboolean
ctl_output_mode_from_string (const char    *text,
                             CtlOutputMode *mode)
{
  for (guint i = 0; ctl_output_mode_names[i] != NULL; i++)
    if (strcmp (text, ctl_output_mode_names[i]) == 0)
      {
        *mode = i;
        return TRUE;
      }

  return FALSE;
}

/* Whether the terminal would act on @c instead of showing it: C0 and C1
 * controls, DEL, line and paragraph separators, bidirectional marks,
 * embeddings, overrides and isolates. */
gboolean
ctl_output_needs_escape (gunichar c)
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

/* Appends the escape of @c (see the top of the file). */
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

      if (ctl_output_needs_escape (c))
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

/* ListWidths: the widths of the columns of the list table. */
typedef struct
{
  gsize name;
  gsize state;
  gsize tasks;
  gsize restarts;
} ListWidths;

/* The widths before any service is seen: those of the headers, and for
 * STATE that of the widest state, so that the columns stay where they are
 * whatever the services do. */
static ListWidths
list_widths_init (void)
{
  ListWidths widths = { strlen ("NAME"), strlen ("STATE"), strlen ("TASKS"), strlen ("RESTARTS") };

  for (guint i = 0; ctl_wire_states[i] != NULL; i++)
    widths.state = MAX (widths.state, strlen (ctl_wire_states[i]));

  return widths;
}

/* How many columns the table needs besides the names, at least. */
static gsize
list_widths_others (const ListWidths *widths)
{
  return 3 * strlen (COLUMN_GAP) + widths->state + widths->tasks + widths->restarts;
}

/* Appends the number @value right-aligned in @width columns, after a gap. */
static void
append_number_column (GString *out,
                      guint32  value,
                      gsize    width)
{
  g_string_append_printf (out, COLUMN_GAP "%*" G_GUINT32_FORMAT, (int) width, value);
}

/* Appends "N services, N running[, N failed]." and a newline. */
static void
append_services_count (GString   *out,
                       GPtrArray *services)
{
  guint n_running = 0, n_failed = 0;

  for (guint i = 0; i < services->len; i++)
    {
      const CtlServiceInfo *info = services->pdata[i];

      if (info->is_running)
        n_running++;
      if (g_strcmp0 (ctl_service_info_get_state (info), BGS_BUS_STATE_FAILED) == 0)
        n_failed++;
    }

  g_string_append_printf (out, "%u %s, %u running", services->len,
                          services->len == 1 ? "service" : "services", n_running);
  if (n_failed > 0)
    g_string_append_printf (out, ", %u failed", n_failed);
  g_string_append (out, ".\n");
}

/* The escape sequence that colours @state, or NULL for none. */
static const char *
state_colour (const char *state)
{
  if (strcmp (state, BGS_BUS_STATE_RUNNING) == 0)
    return COLOUR_GREEN;
  if (strcmp (state, BGS_BUS_STATE_STOPPING) == 0 ||
      strcmp (state, BGS_BUS_STATE_RESTARTING) == 0)
    return COLOUR_YELLOW;
  if (strcmp (state, BGS_BUS_STATE_FAILED) == 0)
    return COLOUR_RED;

  return NULL;
}

/* Appends @escaped, the escape of @state, in its colour when @flags say
 * so, then pads it with spaces to @width columns (0: no padding). */
static void
append_state (GString        *out,
              const char     *state,
              const char     *escaped,
              gsize           width,
              CtlOutputFlags  flags)
{
  const char *colour = (flags & CTL_OUTPUT_COLOUR) != 0 ? state_colour (state) : NULL;

  if (colour != NULL)
    g_string_append (out, colour);
  g_string_append (out, escaped);
  if (colour != NULL)
    g_string_append (out, COLOUR_RESET);
  append_padded (out, "", width > ctl_output_width (escaped) ? width - ctl_output_width (escaped) : 0);
}

/* The list on a terminal: a header, aligned columns, a count. */
static void
format_services_table (GString        *out,
                       GPtrArray      *services,
                       guint           columns,
                       CtlOutputFlags  flags)
{
  gboolean legend = (flags & CTL_OUTPUT_NO_LEGEND) == 0;

  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) states = g_ptr_array_new_with_free_func (g_free);
  ListWidths widths = list_widths_init ();
  gsize name_limit;

  if (services->len == 0)
    {
      if (legend)
        g_string_append (out, "No services.\n");
      return;
    }

  /* Names wider than what leaves room for the other columns do not
   * widen their column for everyone (see below). */
  name_limit = MAX (columns, MIN_NAME_COLUMN + list_widths_others (&widths))
               - list_widths_others (&widths);

  for (guint i = 0; i < services->len; i++)
    {
      const CtlServiceInfo *info = services->pdata[i];
      char *name = ctl_output_escape (info->name);
      char *state = ctl_output_escape (ctl_service_info_get_state (info));
      gsize width = ctl_output_width (name);
      g_autofree char *tasks = g_strdup_printf ("%" G_GUINT32_FORMAT, info->n_tasks);
      g_autofree char *restarts = g_strdup_printf ("%" G_GUINT32_FORMAT, info->n_restarts);

      if (width <= name_limit)
        widths.name = MAX (widths.name, width);
      widths.state = MAX (widths.state, ctl_output_width (state));
      widths.tasks = MAX (widths.tasks, strlen (tasks));
      widths.restarts = MAX (widths.restarts, strlen (restarts));
      g_ptr_array_add (names, name);
      g_ptr_array_add (states, state);
    }

  if (legend)
    {
      append_padded (out, "NAME", widths.name);
      g_string_append (out, COLUMN_GAP);
      append_padded (out, "STATE", widths.state);
      g_string_append_printf (out, COLUMN_GAP "%*s" COLUMN_GAP "%*s\n",
                              (int) widths.tasks, "TASKS", (int) widths.restarts, "RESTARTS");
    }

  for (guint i = 0; i < services->len; i++)
    {
      const CtlServiceInfo *info = services->pdata[i];

      /* Like df(1): a name too wide for its column gets a line of its
       * own, and the other columns stay aligned on the next. */
      if (ctl_output_width (names->pdata[i]) > widths.name)
        {
          g_string_append (out, names->pdata[i]);
          g_string_append_c (out, '\n');
          append_padded (out, "", widths.name);
        }
      else
        {
          append_padded (out, names->pdata[i], widths.name);
        }
      g_string_append (out, COLUMN_GAP);
      append_state (out, ctl_service_info_get_state (info), states->pdata[i], widths.state, flags);
      append_number_column (out, info->n_tasks, widths.tasks);
      append_number_column (out, info->n_restarts, widths.restarts);
      g_string_append_c (out, '\n');
    }

  if (legend)
    {
      g_string_append_c (out, '\n');
      append_services_count (out, services);
    }
}

/* The list in a pipe: NAME, STATE, TASKS and RESTARTS separated by tabs. */
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
      g_string_append_printf (out, "\t%" G_GUINT32_FORMAT "\t%" G_GUINT32_FORMAT "\n",
                              info->n_tasks, info->n_restarts);
    }
}

/*
 * ctl_output_format_services:
 * @services: (element-type CtlServiceInfo): the services, in order
 * @table: %TRUE for a terminal: a header, aligned columns, a count;
 *   %FALSE for a pipe: tab-separated fields, nothing else
 * @columns: the width of the terminal, for @table
 * @flags: for @table: without header and count, in colour
 *
 * Formats the output of `list`: each service's name, state, number of
 * tasks and number of automatic restarts.
 */
void
ctl_output_format_services (GString        *out,
                            GPtrArray      *services,
                            gboolean        table,
                            guint           columns,
                            CtlOutputFlags  flags)
{
  if (table)
    format_services_table (out, services, columns, flags);
  else
    format_services_lines (out, services);
}

/* Appends "TASK: MESSAGE (DOMAIN CODE)", or "MESSAGE (DOMAIN CODE)" when
 * the failure names no task. */
static void
append_task_error_text (GString            *out,
                        const CtlTaskError *task_error)
{
  if (*task_error->task != '\0')
    {
      ctl_output_append_escaped (out, task_error->task);
      g_string_append (out, ": ");
    }
  ctl_output_append_escaped (out, task_error->message);
  g_string_append (out, " (");
  ctl_output_append_escaped (out, task_error->domain);
  g_string_append_printf (out, " %" G_GINT32_FORMAT ")", task_error->code);
}

/* Appends "TASK: MESSAGE (DOMAIN CODE)" and a newline. */
static void
append_task_error (GString            *out,
                   const CtlTaskError *task_error)
{
  append_task_error_text (out, task_error);
  g_string_append_c (out, '\n');
}

/* SpanUnit: a unit of a time span as `status` writes it, as systemd does. */
typedef struct
{
  const char *suffix;
  guint64     usec;
} SpanUnit;

static const SpanUnit span_units[] = {
  { "d", G_TIME_SPAN_DAY },
  { "h", G_TIME_SPAN_HOUR },
  { "min", G_TIME_SPAN_MINUTE },
  { "s", G_TIME_SPAN_SECOND },
};

/* Appends @usec as systemd writes a span, to the two largest units that
 * it holds: "250ms", "45s", "3min 2s", "1h", "2d 3h". */
static void
append_span (GString *out,
             guint64  usec)
{
  if (usec < G_TIME_SPAN_SECOND)
    {
      g_string_append_printf (out, "%" G_GUINT64_FORMAT "ms", usec / 1000);
      return;
    }

  for (guint i = 0; i < G_N_ELEMENTS (span_units); i++)
    {
      const SpanUnit *unit = &span_units[i];
      const SpanUnit *next = i + 1 < G_N_ELEMENTS (span_units) ? &span_units[i + 1] : NULL;
      guint64 count = usec / unit->usec;
      guint64 rest;

      if (count == 0)
        continue;

      g_string_append_printf (out, "%" G_GUINT64_FORMAT "%s", count, unit->suffix);
      rest = next != NULL ? (usec % unit->usec) / next->usec : 0;
      if (rest > 0)
        g_string_append_printf (out, " %" G_GUINT64_FORMAT "%s", rest, next->suffix);
      return;
    }
}

/* Appends the time @when, in its own time zone, the way systemd does:
 * "Fri 2026-11-27 12:00:01 UTC". The day of the week is in English
 * whatever the locale, as systemd writes it. */
static void
append_date_time (GString   *out,
                  GDateTime *when)
{
  static const char * const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };

  g_string_append_printf (out, "%s %04d-%02d-%02d %02d:%02d:%02d ",
                          days[g_date_time_get_day_of_week (when) - 1],
                          g_date_time_get_year (when), g_date_time_get_month (when),
                          g_date_time_get_day_of_month (when), g_date_time_get_hour (when),
                          g_date_time_get_minute (when), g_date_time_get_second (when));
  ctl_output_append_escaped (out, g_date_time_get_timezone_abbreviation (when));
}

/* @timestamp_usec (µs since the epoch) in @zone, to the second; NULL when
 * GDateTime cannot hold it (past the year 9999). */
static GDateTime *
date_time_from_usec (guint64    timestamp_usec,
                     GTimeZone *zone)
{
  g_autoptr (GDateTime) utc = NULL;

  utc = g_date_time_new_from_unix_utc ((gint64) (timestamp_usec / G_TIME_SPAN_SECOND));
  if (utc == NULL)
    return NULL;

  return g_date_time_to_timezone (utc, zone);
}

/*
 * ctl_output_format_timestamp:
 * @timestamp_usec: when something happened, in µs since the epoch; 0:
 *   never
 * @zone: the time zone to show it in (the local one)
 *
 * Appends the time as `status` shows it, "Fri 2026-11-27 12:00:01 UTC";
 * nothing for 0 or a time that cannot be shown (past the year 9999).
 */
void
ctl_output_format_timestamp (GString   *out,
                             guint64    timestamp_usec,
                             GTimeZone *zone)
{
  g_autoptr (GDateTime) when = NULL;

  if (timestamp_usec == 0)
    return;
  when = date_time_from_usec (timestamp_usec, zone);
  if (when != NULL)
    append_date_time (out, when);
}

/*
 * ctl_output_format_since:
 * @timestamp_usec: when something happened, in µs since the epoch
 * @now_usec: now, in µs since the epoch (g_get_real_time())
 * @zone: the time zone to show @timestamp_usec in (the local one)
 *
 * Appends when something happened and how long ago, as `systemctl status`
 * does: "Fri 2026-11-27 12:00:01 UTC; 3min 2s ago" (or "…; 2s in the
 * future" when the clock went back since). Appends nothing when
 * @timestamp_usec is not a time that can be shown (past the year 9999).
 */
void
ctl_output_format_since (GString   *out,
                         guint64    timestamp_usec,
                         gint64     now_usec,
                         GTimeZone *zone)
{
  g_autoptr (GDateTime) when = date_time_from_usec (timestamp_usec, zone);
  gint64 age;

  if (when == NULL)
    return;

  /* GDateTime stops at the year 9999: the timestamp fits a gint64. */
  age = now_usec - (gint64) timestamp_usec;
  append_date_time (out, when);
  g_string_append (out, "; ");
  append_span (out, (guint64) ABS (age));
  g_string_append (out, age >= 0 ? " ago" : " in the future");
}

/* Appends "  state: STATE", with " since …" when the daemon told when the
 * service entered it, and a newline. */
static void
append_state_line (GString              *out,
                   const CtlServiceInfo *info,
                   gint64                now_usec,
                   GTimeZone            *zone,
                   CtlOutputFlags        flags)
{
  g_autoptr (GString) since = g_string_new (NULL);
  g_autofree char *state = ctl_output_escape (ctl_service_info_get_state (info));

  g_string_append (out, "  state: ");
  append_state (out, ctl_service_info_get_state (info), state, 0, flags);
  if (info->state_timestamp != 0)
    ctl_output_format_since (since, info->state_timestamp, now_usec, zone);
  if (since->len > 0)
    g_string_append_printf (out, " since %s", since->str);
  g_string_append_c (out, '\n');
}

/* Appends "  restarts: N (Restart=POLICY)" and a newline; without the
 * policy when the daemon did not tell it. */
static void
append_restarts_line (GString              *out,
                      const CtlServiceInfo *info)
{
  g_string_append_printf (out, "  restarts: %" G_GUINT32_FORMAT, info->n_restarts);
  if (info->restart != NULL)
    {
      g_string_append (out, " (Restart=");
      ctl_output_append_escaped (out, info->restart);
      g_string_append_c (out, ')');
    }
  g_string_append_c (out, '\n');
}

/*
 * ctl_output_format_status:
 * @info: a service, with its properties read
 * @now_usec: now, in µs since the epoch (g_get_real_time())
 * @zone: the time zone to show times in (the local one)
 * @flags: %CTL_OUTPUT_COLOUR for the state in colour
 *
 * Formats the block `status` prints for a service:
 *
 *   NAME
 *     state: running since Fri 2026-11-27 12:00:01 UTC; 3min 2s ago
 *     restarts: 0 (Restart=on-failure)
 *     tasks: 2
 *     last errors: none
 *
 * ("since …" only when the state ever changed), or, when tasks failed in
 * the last run, one line for each failure:
 *
 *     last errors:
 *       TASK: MESSAGE (DOMAIN CODE)
 */
void
ctl_output_format_status (GString              *out,
                          const CtlServiceInfo *info,
                          gint64                now_usec,
                          GTimeZone            *zone,
                          CtlOutputFlags        flags)
{
  ctl_output_append_escaped (out, info->name);
  g_string_append_c (out, '\n');
  append_state_line (out, info, now_usec, zone, flags);
  append_restarts_line (out, info);
  g_string_append_printf (out, "  tasks: %" G_GUINT32_FORMAT "\n", info->n_tasks);

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
 * ctl_output_property_wanted:
 * @properties: (array zero-terminated=1) (nullable): the properties of
 *   `show --property`, or %NULL for every one
 * @name: a property `show` can print
 *
 * Returns: whether `show` prints @name
 */
gboolean
ctl_output_property_wanted (const char * const *properties,
                            const char         *name)
{
  return properties == NULL || g_strv_contains (properties, name);
}

/* Appends "KEY=" for `show`. */
static void
append_key (GString    *out,
            const char *key)
{
  g_string_append (out, key);
  g_string_append_c (out, '=');
}

/* Appends the value of @property of @info as `show` prints it: booleans
 * as yes and no, the last errors on one line separated by "; ". */
static void
append_show_value (GString              *out,
                   const CtlServiceInfo *info,
                   CtlProperty           property)
{
  switch (property)
    {
    case CTL_PROPERTY_NAME:
      ctl_output_append_escaped (out, info->name);
      break;
    case CTL_PROPERTY_IS_RUNNING:
      g_string_append (out, info->is_running ? "yes" : "no");
      break;
    case CTL_PROPERTY_N_TASKS:
      g_string_append_printf (out, "%" G_GUINT32_FORMAT, info->n_tasks);
      break;
    case CTL_PROPERTY_LAST_ERRORS:
      for (guint i = 0; info->last_errors != NULL && i < info->last_errors->len; i++)
        {
          if (i > 0)
            g_string_append (out, "; ");
          append_task_error_text (out, info->last_errors->pdata[i]);
        }
      break;
    case CTL_PROPERTY_STATE:
      ctl_output_append_escaped (out, ctl_service_info_get_state (info));
      break;
    case CTL_PROPERTY_STATE_TIMESTAMP:
      g_string_append_printf (out, "%" G_GUINT64_FORMAT, info->state_timestamp);
      break;
    case CTL_PROPERTY_N_RESTARTS:
      g_string_append_printf (out, "%" G_GUINT32_FORMAT, info->n_restarts);
      break;
    case CTL_PROPERTY_RESTART:
      if (info->restart != NULL)
        ctl_output_append_escaped (out, info->restart);
      break;
    case CTL_N_PROPERTIES:
    default:
      g_assert_not_reached ();
    }
}

/*
 * ctl_output_format_show:
 * @info: a service, with its properties read
 * @properties: (array zero-terminated=1) (nullable): the properties to
 *   print (`show --property`), %NULL for every one; names this client
 *   does not know print nothing
 * @zone: the time zone of StateTimestampText (the local one)
 *
 * Formats what `show` prints for a service, as `systemctl show` does: one
 * KEY=VALUE line for each property the daemon gave, in the order of the
 * interface, under its D-Bus name, values escaped:
 *
 *   Name=clock
 *   IsRunning=yes
 *   NTasks=1
 *   LastErrors=TASK: MESSAGE (DOMAIN CODE); TASK: MESSAGE (DOMAIN CODE)
 *   State=running
 *   StateTimestamp=1795780801000000
 *   StateTimestampText=Fri 2026-11-27 12:00:01 UTC
 *   NRestarts=0
 *   Restart=no
 *
 * StateTimestampText is StateTimestamp for people, as `status` shows it,
 * empty when the state never changed (StateTimestamp=0).
 */
void
ctl_output_format_show (GString              *out,
                        const CtlServiceInfo *info,
                        const char * const   *properties,
                        GTimeZone            *zone)
{
  for (CtlProperty property = 0; property < CTL_N_PROPERTIES; property++)
    {
      const char *key = ctl_wire_property_names[property];

      if ((info->properties_read & (1u << property)) == 0)
        continue;

      if (ctl_output_property_wanted (properties, key))
        {
          append_key (out, key);
          append_show_value (out, info, property);
          g_string_append_c (out, '\n');
        }

      if (property == CTL_PROPERTY_STATE_TIMESTAMP &&
          ctl_output_property_wanted (properties, CTL_SHOW_STATE_TIMESTAMP_TEXT))
        {
          append_key (out, CTL_SHOW_STATE_TIMESTAMP_TEXT);
          ctl_output_format_timestamp (out, info->state_timestamp, zone);
          g_string_append_c (out, '\n');
        }
    }
}

/*
 * ctl_output_format_state:
 * @state: a service's State
 *
 * Formats the line `is-failed` prints for a service: its state.
 */
void
ctl_output_format_state (GString    *out,
                         const char *state)
{
  ctl_output_append_escaped (out, state);
  g_string_append_c (out, '\n');
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

/* Whether @value is one of the words systemd reads as false. */
static gboolean
is_false_word (const char *value)
{
  const char * const words[] = { "0", "no", "n", "false", "f", "off" };

  for (gsize i = 0; i < G_N_ELEMENTS (words); i++)
    if (g_ascii_strcasecmp (value, words[i]) == 0)
      return TRUE;

  return FALSE;
}

/*
 * ctl_output_colour_wanted_for:
 * @terminal: whether standard output is a terminal
 * @no_color: (nullable): $NO_COLOR
 * @systemd_colors: (nullable): $SYSTEMD_COLORS
 * @term: (nullable): $TERM
 *
 * Decides whether plain output is coloured, as systemd decides: only on a
 * terminal (never in a pipe), and not when NO_COLOR is set (to any value,
 * even empty), when SYSTEMD_COLORS is a false word (0, no, false, off, n,
 * f, in any case) or when TERM is "dumb". SYSTEMD_COLORS cannot force
 * colours into a pipe.
 */
gboolean
ctl_output_colour_wanted_for (gboolean    terminal,
                              const char *no_color,
                              const char *systemd_colors,
                              const char *term)
{
  if (!terminal || no_color != NULL)
    return FALSE;
  if (systemd_colors != NULL && is_false_word (systemd_colors))
    return FALSE;

  return g_strcmp0 (term, "dumb") != 0;
}

/* ctl_output_colour_wanted_for() for this process: its standard output
 * and environment. */
gboolean
ctl_output_colour_wanted (void)
{
  return ctl_output_colour_wanted_for (ctl_output_is_terminal (), g_getenv ("NO_COLOR"),
                                       g_getenv ("SYSTEMD_COLORS"), g_getenv ("TERM"));
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
