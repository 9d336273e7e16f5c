/* SPDX-License-Identifier: MIT */
/* ctl-json.c: the JSON that bgservicectl prints for --output=json (one
 * line) and --output=json-pretty (indented), built with json-glib.
 *
 * The schema is stable: keys are only ever added. Every command prints
 * one JSON array, with one object for each service, in the order of the
 * names given (list: the daemon's order, by name); names that name no
 * service are reported on standard error and left out. The exit status is
 * the same as with plain output. Numbers are JSON integers; a time is
 * both µs since the epoch (0: never) and an ISO 8601 string in UTC
 * (null: never).
 *
 *   list
 *     [{"name": "clock", "state": "running", "is_running": true,
 *       "n_tasks": 1, "n_restarts": 0, "path": "/org/bgservice1/service/clock"}]
 *
 *   status NAME…
 *     [{"name": "failer", "state": "failed", "is_running": false,
 *       "state_timestamp": 1795780801000000,
 *       "state_timestamp_iso": "2026-11-27T12:00:01.000000Z",
 *       "restart": "no", "n_restarts": 0, "n_tasks": 0,
 *       "last_errors": [ERROR…], "path": "/org/bgservice1/service/failer"}]
 *     ("restart" is null when the daemon does not tell it)
 *
 *   show NAME…  (one object for each service, keyed by D-Bus property
 *                name; -p picks keys; unknown names give no key)
 *     [{"Name": "clock", "IsRunning": true, "NTasks": 1, "LastErrors": [ERROR…],
 *       "State": "running", "StateTimestamp": 1795780801000000,
 *       "StateTimestampText": "Fri 2026-11-27 12:00:01 UTC",
 *       "NRestarts": 0, "Restart": "no"}]
 *     (StateTimestampText: local time, as status shows it; null: never)
 *
 *   stop, restart, wait NAME…  (every service reached, errors may be [])
 *   stop --all                 (the services whose runs it ended with failures)
 *     [{"service": "failer", "errors": [ERROR…]}]
 *
 *   ERROR
 *     {"task": "instance-1", "domain": "g-spawn-exit-error-quark", "code": 3,
 *      "message": "…"}
 *     ("task" is "" when the failure names no task)
 *
 * Strings are the daemon's, exact: json-glib escapes quotes, backslashes
 * and controls. What it leaves raw that a terminal would act on (U+001F,
 * which json-glib 1.6 forgets although JSON requires it escaped; DEL, C1
 * controls, line separators, bidirectional marks: see
 * ctl_output_needs_escape()) is then written as \uXXXX, which is the same
 * string to any JSON parser. JSON is never coloured.
 */
#include "config.h"

#include <json-glib/json-glib.h>

#include "ctl-json.h"

/* The keys of list and status. */
#define KEY_NAME                 "name"
#define KEY_STATE                "state"
#define KEY_IS_RUNNING           "is_running"
#define KEY_N_TASKS              "n_tasks"
#define KEY_N_RESTARTS           "n_restarts"
#define KEY_PATH                 "path"
#define KEY_STATE_TIMESTAMP      "state_timestamp"
#define KEY_STATE_TIMESTAMP_ISO  "state_timestamp_iso"
#define KEY_RESTART              "restart"
#define KEY_LAST_ERRORS          "last_errors"

/* The keys of error lists. */
#define KEY_SERVICE              "service"
#define KEY_ERRORS               "errors"
#define KEY_TASK                 "task"
#define KEY_DOMAIN               "domain"
#define KEY_CODE                 "code"
#define KEY_MESSAGE              "message"

#define PRETTY_INDENT            2

/* Adds "@key": @value, or "@key": null when @value is NULL. */
static void
add_string_member (JsonBuilder *builder,
                   const char  *key,
                   const char  *value)
{
  json_builder_set_member_name (builder, key);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
add_int_member (JsonBuilder *builder,
                const char  *key,
                gint64       value)
{
  json_builder_set_member_name (builder, key);
  json_builder_add_int_value (builder, value);
}

static void
add_boolean_member (JsonBuilder *builder,
                    const char  *key,
                    gboolean     value)
{
  json_builder_set_member_name (builder, key);
  json_builder_add_boolean_value (builder, value);
}

/* Adds an array of ERROR objects (see the top of the file); an empty one
 * for NULL. */
static void
add_task_errors (JsonBuilder *builder,
                 GPtrArray   *errors)
{
  json_builder_begin_array (builder);
  for (guint i = 0; errors != NULL && i < errors->len; i++)
    {
      const CtlTaskError *task_error = errors->pdata[i];

      json_builder_begin_object (builder);
      add_string_member (builder, KEY_TASK, task_error->task);
      add_string_member (builder, KEY_DOMAIN, task_error->domain);
      add_int_member (builder, KEY_CODE, task_error->code);
      add_string_member (builder, KEY_MESSAGE, task_error->message);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

/* @timestamp_usec as ISO 8601 in UTC, to the µs: "2026-11-27T12:00:01.000000Z";
 * NULL for 0 (never) or a time GDateTime cannot hold. */
static char *
format_iso8601 (guint64 timestamp_usec)
{
  g_autoptr (GDateTime) seconds = NULL;
  g_autoptr (GDateTime) when = NULL;

  if (timestamp_usec == 0)
    return NULL;
  seconds = g_date_time_new_from_unix_utc ((gint64) (timestamp_usec / G_TIME_SPAN_SECOND));
  if (seconds != NULL)
    when = g_date_time_add (seconds, (GTimeSpan) (timestamp_usec % G_TIME_SPAN_SECOND));
  if (when == NULL)
    return NULL;

  return g_date_time_format (when, "%Y-%m-%dT%H:%M:%S.%fZ");
}

/*
 * Appends the JSON of @root to @out, one line or indented as @mode says,
 * and a newline; the code points a terminal would act on are written as
 * \uXXXX (see the top of the file).
 */
static void
finish (GString       *out,
        JsonBuilder   *builder,
        CtlOutputMode  mode)
{
  g_autoptr (JsonNode) root = json_builder_get_root (builder);
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, mode == CTL_OUTPUT_JSON_PRETTY);
  json_generator_set_indent (generator, PRETTY_INDENT);
  text = json_generator_to_data (generator, NULL);

  /* json-glib writes every newline of a string as \n: a raw one is the
   * indentation's, outside strings. */
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c != '\n' && ctl_output_needs_escape (c))
        g_string_append_printf (out, "\\u%04X", c);
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
    }
  g_string_append_c (out, '\n');
}

/* list: see the top of the file. */
void
ctl_json_format_services (GString       *out,
                          GPtrArray     *services,
                          CtlOutputMode  mode)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_array (builder);
  for (guint i = 0; i < services->len; i++)
    {
      const CtlServiceInfo *info = services->pdata[i];

      json_builder_begin_object (builder);
      add_string_member (builder, KEY_NAME, info->name);
      add_string_member (builder, KEY_STATE, ctl_service_info_get_state (info));
      add_boolean_member (builder, KEY_IS_RUNNING, info->is_running);
      add_int_member (builder, KEY_N_TASKS, info->n_tasks);
      add_int_member (builder, KEY_N_RESTARTS, info->n_restarts);
      add_string_member (builder, KEY_PATH, info->path);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  finish (out, builder, mode);
}

/* status: see the top of the file. */
void
ctl_json_format_status (GString       *out,
                        GPtrArray     *services,
                        CtlOutputMode  mode)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_array (builder);
  for (guint i = 0; i < services->len; i++)
    {
      const CtlServiceInfo *info = services->pdata[i];
      g_autofree char *iso = format_iso8601 (info->state_timestamp);

      json_builder_begin_object (builder);
      add_string_member (builder, KEY_NAME, info->name);
      add_string_member (builder, KEY_STATE, ctl_service_info_get_state (info));
      add_boolean_member (builder, KEY_IS_RUNNING, info->is_running);
      add_int_member (builder, KEY_STATE_TIMESTAMP, (gint64) info->state_timestamp);
      add_string_member (builder, KEY_STATE_TIMESTAMP_ISO, iso);
      add_string_member (builder, KEY_RESTART, info->restart);
      add_int_member (builder, KEY_N_RESTARTS, info->n_restarts);
      add_int_member (builder, KEY_N_TASKS, info->n_tasks);
      json_builder_set_member_name (builder, KEY_LAST_ERRORS);
      add_task_errors (builder, info->last_errors);
      add_string_member (builder, KEY_PATH, info->path);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  finish (out, builder, mode);
}

/* Adds the value of @property of @info under its D-Bus name. */
static void
add_property_member (JsonBuilder          *builder,
                     const CtlServiceInfo *info,
                     CtlProperty           property)
{
  const char *key = ctl_wire_property_names[property];

  switch (property)
    {
    case CTL_PROPERTY_NAME:
      add_string_member (builder, key, info->name);
      break;
    case CTL_PROPERTY_IS_RUNNING:
      add_boolean_member (builder, key, info->is_running);
      break;
    case CTL_PROPERTY_N_TASKS:
      add_int_member (builder, key, info->n_tasks);
      break;
    case CTL_PROPERTY_LAST_ERRORS:
      json_builder_set_member_name (builder, key);
      add_task_errors (builder, info->last_errors);
      break;
    case CTL_PROPERTY_STATE:
      add_string_member (builder, key, ctl_service_info_get_state (info));
      break;
    case CTL_PROPERTY_STATE_TIMESTAMP:
      add_int_member (builder, key, (gint64) info->state_timestamp);
      break;
    case CTL_PROPERTY_N_RESTARTS:
      add_int_member (builder, key, info->n_restarts);
      break;
    case CTL_PROPERTY_RESTART:
      add_string_member (builder, key, info->restart);
      break;
    case CTL_N_PROPERTIES:
    default:
      g_assert_not_reached ();
    }
}

/* show: see the top of the file; the same properties as the plain form
 * (ctl_output_format_show()), in the same order. */
void
ctl_json_format_show (GString            *out,
                      GPtrArray          *services,
                      const char * const *properties,
                      GTimeZone          *zone,
                      CtlOutputMode       mode)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_array (builder);
  for (guint i = 0; i < services->len; i++)
    {
      const CtlServiceInfo *info = services->pdata[i];

      json_builder_begin_object (builder);
      for (CtlProperty property = 0; property < CTL_N_PROPERTIES; property++)
        {
          if ((info->properties_read & (1u << property)) == 0)
            continue;
          if (ctl_output_property_wanted (properties, ctl_wire_property_names[property]))
            add_property_member (builder, info, property);
          if (property == CTL_PROPERTY_STATE_TIMESTAMP &&
              ctl_output_property_wanted (properties, CTL_SHOW_STATE_TIMESTAMP_TEXT))
            {
              g_autoptr (GString) text = g_string_new (NULL);

              ctl_output_format_timestamp (text, info->state_timestamp, zone);
              add_string_member (builder, CTL_SHOW_STATE_TIMESTAMP_TEXT,
                                 text->len > 0 ? text->str : NULL);
            }
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  finish (out, builder, mode);
}

/* stop, restart, wait and stop --all: see the top of the file. @reports:
 * (element-type CtlServiceErrors). */
void
ctl_json_format_service_errors (GString       *out,
                                GPtrArray     *reports,
                                CtlOutputMode  mode)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_array (builder);
  for (guint i = 0; i < reports->len; i++)
    {
      const CtlServiceErrors *report = reports->pdata[i];

      json_builder_begin_object (builder);
      add_string_member (builder, KEY_SERVICE, report->service);
      json_builder_set_member_name (builder, KEY_ERRORS);
      add_task_errors (builder, report->errors);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  finish (out, builder, mode);
}
