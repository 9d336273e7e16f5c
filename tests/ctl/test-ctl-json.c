/* SPDX-License-Identifier: MIT */
/* test-ctl-json.c: unit tests of bgservicectl's JSON output (ctl-json.c),
 * without a bus: the JSON of list, status, show and the error lists is
 * built from fixed values, parsed back with json-glib's parser and
 * compared with those values, hostile strings included; and StopAll's
 * list is split by service as the JSON of stop --all needs it.
 */
#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "ctl-json.h"
#include "ctl-output.h"
#include "ctl-wire.h"

/* Fri 2026-11-27 12:00:01 UTC and 123456 µs, in µs since the epoch. */
#define FRIDAY_NOON_USEC  (G_GINT64_CONSTANT (1795780801) * G_TIME_SPAN_SECOND + 123456)

/* Strings no output may print raw: quotes, backslashes, every kind of
 * control (C0, DEL, C1), line separators and a bidirectional override. */
static const char * const hostile[] = {
  "quo\"te",
  "back\\slash\\",
  "new\nline\r\ttab",
  "esc\x1b[31mred\x07 nul-less \x01\x1f",
  ("del\x7f c1\xc2\x9b" "2J"),
  "ls\xe2\x80\xa8 ps\xe2\x80\xa9 rlo\xe2\x80\xae lri\xe2\x81\xa6",
  "日本語 {\"json\": [1]}",
  "",
};

static CtlTaskError *
make_task_error (const char *task,
                 const char *domain,
                 gint32      code,
                 const char *message)
{
  CtlTaskError *task_error = g_new0 (CtlTaskError, 1);

  task_error->task = g_strdup (task);
  task_error->domain = g_strdup (domain);
  task_error->code = code;
  task_error->message = g_strdup (message);

  return task_error;
}

static GPtrArray *
new_task_errors (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) ctl_task_error_free);
}

/* A service as GetAll describes it, every property read. */
static CtlServiceInfo *
make_info (const char *name,
           const char *state,
           gboolean    is_running,
           guint       n_tasks,
           guint       n_restarts)
{
  CtlServiceInfo *info = ctl_service_info_new ();

  info->name = g_strdup (name);
  info->path = g_strdup_printf ("/org/bgservice1/service/%u", n_tasks);
  info->state = g_strdup (state);
  info->is_running = is_running;
  info->n_tasks = n_tasks;
  info->n_restarts = n_restarts;
  info->restart = g_strdup ("on-failure");
  info->state_timestamp = FRIDAY_NOON_USEC;
  info->last_errors = new_task_errors ();
  info->properties_read = (1u << CTL_N_PROPERTIES) - 1;

  return info;
}

static GPtrArray *
new_services (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) ctl_service_info_free);
}

/* The output is safe on a terminal: no raw control, DEL, C1, separator or
 * bidirectional character; its only newlines are those of the layout,
 * and a compact one has a single line. */
static void
assert_safe (const char    *text,
             CtlOutputMode  mode)
{
  g_assert_true (g_utf8_validate (text, -1, NULL));
  g_assert_true (g_str_has_suffix (text, "\n"));
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '\n' && (mode == CTL_OUTPUT_JSON_PRETTY || p[1] == '\0'))
        continue;
      if (ctl_output_needs_escape (c))
        g_error ("U+%04X printed raw in:\n%s", c, text);
    }
}

/* Parses @text, which must be one JSON array; returns it. */
static JsonArray *
parse_array (JsonParser *parser,
             const char *text)
{
  g_autoptr (GError) error = NULL;
  JsonNode *root;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_nonnull (root);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (root));

  return json_node_get_array (root);
}

/* The members of @object, in order, as "a,b,c". */
static char *
member_names (JsonObject *object)
{
  g_autoptr (GList) members = json_object_get_members (object);
  g_autoptr (GString) names = g_string_new (NULL);

  for (GList *l = members; l != NULL; l = l->next)
    g_string_append_printf (names, "%s%s", names->len > 0 ? "," : "", (const char *) l->data);

  return g_string_free (g_steal_pointer (&names), FALSE);
}

static void
assert_members (JsonObject *object,
                const char *expected)
{
  g_autofree char *names = member_names (object);

  g_assert_cmpstr (names, ==, expected);
}

/* An ERROR object of the schema holds @task_error exactly. */
static void
assert_task_error (JsonNode           *node,
                   const CtlTaskError *task_error)
{
  JsonObject *object = json_node_get_object (node);

  assert_members (object, "task,domain,code,message");
  g_assert_cmpstr (json_object_get_string_member (object, "task"), ==, task_error->task);
  g_assert_cmpstr (json_object_get_string_member (object, "domain"), ==, task_error->domain);
  g_assert_cmpint (json_object_get_int_member (object, "code"), ==, task_error->code);
  g_assert_cmpstr (json_object_get_string_member (object, "message"), ==, task_error->message);
}

static void
assert_task_errors (JsonArray *array,
                    GPtrArray *errors)
{
  g_assert_cmpuint (json_array_get_length (array), ==, errors->len);
  for (guint i = 0; i < errors->len; i++)
    assert_task_error (json_array_get_element (array, i), errors->pdata[i]);
}

/* Services with hostile names, states and errors. */
static GPtrArray *
hostile_services (void)
{
  GPtrArray *services = new_services ();

  for (gsize i = 0; i < G_N_ELEMENTS (hostile); i++)
    {
      CtlServiceInfo *info = make_info (hostile[i], i % 2 ? "running" : hostile[i],
                                        i % 2, i, 2 * i);

      g_ptr_array_add (info->last_errors,
                       make_task_error (hostile[i], hostile[i], -(gint32) i, hostile[i]));
      g_ptr_array_add (services, info);
    }

  return services;
}

static void
check_list (CtlOutputMode mode)
{
  g_autoptr (GPtrArray) services = hostile_services ();
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonArray *array;

  ctl_json_format_services (out, services, mode);
  assert_safe (out->str, mode);
  array = parse_array (parser, out->str);

  g_assert_cmpuint (json_array_get_length (array), ==, services->len);
  for (guint i = 0; i < services->len; i++)
    {
      const CtlServiceInfo *info = services->pdata[i];
      JsonObject *object = json_array_get_object_element (array, i);

      assert_members (object, "name,state,is_running,n_tasks,n_restarts,path");
      g_assert_cmpstr (json_object_get_string_member (object, "name"), ==, info->name);
      g_assert_cmpstr (json_object_get_string_member (object, "state"), ==, info->state);
      g_assert_cmpint (json_object_get_boolean_member (object, "is_running"), ==, info->is_running);
      g_assert_cmpint (json_object_get_int_member (object, "n_tasks"), ==, info->n_tasks);
      g_assert_cmpint (json_object_get_int_member (object, "n_restarts"), ==, info->n_restarts);
      g_assert_cmpstr (json_object_get_string_member (object, "path"), ==, info->path);
    }
}

static void
test_list (void)
{
  check_list (CTL_OUTPUT_JSON);
  check_list (CTL_OUTPUT_JSON_PRETTY);
}

static void
test_list_empty_and_no_path (void)
{
  g_autoptr (GPtrArray) services = new_services ();
  g_autoptr (GString) empty = g_string_new (NULL);
  g_autoptr (GString) out = g_string_new (NULL);
  CtlServiceInfo *info = ctl_service_info_new ();

  ctl_json_format_services (empty, services, CTL_OUTPUT_JSON);
  g_assert_cmpstr (empty->str, ==, "[]\n");

  /* No path: null. */
  info->name = g_strdup ("a");
  info->state = g_strdup ("running");
  info->is_running = TRUE;
  g_ptr_array_add (services, info);
  ctl_json_format_services (out, services, CTL_OUTPUT_JSON);
  g_assert_cmpstr (out->str, ==, "[{\"name\":\"a\",\"state\":\"running\",\"is_running\":true,"
                   "\"n_tasks\":0,\"n_restarts\":0,\"path\":null}]\n");
}

static void
test_pretty_is_indented_compact_is_one_line (void)
{
  g_autoptr (GPtrArray) services = new_services ();
  g_autoptr (GString) compact = g_string_new (NULL);
  g_autoptr (GString) pretty = g_string_new (NULL);

  g_ptr_array_add (services, make_info ("clock", "running", TRUE, 1, 0));
  ctl_json_format_services (compact, services, CTL_OUTPUT_JSON);
  ctl_json_format_services (pretty, services, CTL_OUTPUT_JSON_PRETTY);

  g_assert_cmpstr (compact->str, ==, "[{\"name\":\"clock\",\"state\":\"running\",\"is_running\":true,"
                   "\"n_tasks\":1,\"n_restarts\":0,\"path\":\"/org/bgservice1/service/1\"}]\n");
  g_assert_cmpstr (pretty->str, ==,
                   "[\n"
                   "  {\n"
                   "    \"name\" : \"clock\",\n"
                   "    \"state\" : \"running\",\n"
                   "    \"is_running\" : true,\n"
                   "    \"n_tasks\" : 1,\n"
                   "    \"n_restarts\" : 0,\n"
                   "    \"path\" : \"/org/bgservice1/service/1\"\n"
                   "  }\n"
                   "]\n");
}

static void
test_escapes_are_json_escapes (void)
{
  g_autoptr (GPtrArray) services = new_services ();
  g_autoptr (GString) out = g_string_new (NULL);

  g_ptr_array_add (services, make_info ("a\"b\\c\nd\x1b" "e\x7f" "f\xc2\x9bg\xe2\x80\xa8h\xe2\x80\xaei"
                                        "\x1f" "j", "running", TRUE, 1, 0));
  ctl_json_format_services (out, services, CTL_OUTPUT_JSON);

  /* json-glib's escapes, then \uXXXX for what it leaves raw: U+001F (which
   * json-glib 1.6 forgets), C1, separators, bidirectional overrides. */
  g_assert_true (g_str_has_prefix (out->str, "[{\"name\":\"a\\\"b\\\\c\\nd\\u001be\\u007ff"
                                   "\\u009Bg\\u2028h\\u202Ei\\u001Fj\","));
}

static void
check_status (CtlOutputMode mode)
{
  g_autoptr (GPtrArray) services = hostile_services ();
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  CtlServiceInfo *never = make_info ("never", "stopped", FALSE, 0, 0);
  JsonArray *array;

  /* A state that never changed; a policy the daemon did not tell. */
  never->state_timestamp = 0;
  g_clear_pointer (&never->restart, g_free);
  g_ptr_array_add (services, never);

  ctl_json_format_status (out, services, mode);
  assert_safe (out->str, mode);
  array = parse_array (parser, out->str);

  g_assert_cmpuint (json_array_get_length (array), ==, services->len);
  for (guint i = 0; i < services->len; i++)
    {
      const CtlServiceInfo *info = services->pdata[i];
      JsonObject *object = json_array_get_object_element (array, i);

      assert_members (object, "name,state,is_running,state_timestamp,state_timestamp_iso,"
                      "restart,n_restarts,n_tasks,last_errors,path");
      g_assert_cmpstr (json_object_get_string_member (object, "name"), ==, info->name);
      g_assert_cmpstr (json_object_get_string_member (object, "state"), ==, info->state);
      g_assert_cmpint (json_object_get_boolean_member (object, "is_running"), ==, info->is_running);
      g_assert_cmpint (json_object_get_int_member (object, "state_timestamp"), ==,
                       info->state_timestamp);
      g_assert_cmpint (json_object_get_int_member (object, "n_restarts"), ==, info->n_restarts);
      g_assert_cmpint (json_object_get_int_member (object, "n_tasks"), ==, info->n_tasks);
      g_assert_cmpstr (json_object_get_string_member (object, "path"), ==, info->path);
      assert_task_errors (json_object_get_array_member (object, "last_errors"), info->last_errors);

      if (info == never)
        {
          g_assert_true (json_object_get_null_member (object, "state_timestamp_iso"));
          g_assert_true (json_object_get_null_member (object, "restart"));
        }
      else
        {
          g_assert_cmpstr (json_object_get_string_member (object, "state_timestamp_iso"), ==,
                           "2026-11-27T12:00:01.123456Z");
          g_assert_cmpstr (json_object_get_string_member (object, "restart"), ==, "on-failure");
        }
    }
}

static void
test_status (void)
{
  check_status (CTL_OUTPUT_JSON);
  check_status (CTL_OUTPUT_JSON_PRETTY);
}

static void
test_status_iso_is_utc_whatever_the_zone (void)
{
  g_autoptr (GPtrArray) services = new_services ();
  g_autoptr (GString) out = g_string_new (NULL);
  CtlServiceInfo *info = make_info ("a", "failed", FALSE, 0, 0);

  /* A whole second; then the largest time GDateTime holds, and past it. */
  info->state_timestamp = G_GINT64_CONSTANT (1795780801) * G_TIME_SPAN_SECOND;
  g_ptr_array_add (services, info);
  g_setenv ("TZ", "Asia/Tokyo", TRUE);
  ctl_json_format_status (out, services, CTL_OUTPUT_JSON);
  g_unsetenv ("TZ");
  g_assert_nonnull (strstr (out->str, "\"state_timestamp_iso\":\"2026-11-27T12:00:01.000000Z\""));

  g_string_truncate (out, 0);
  info->state_timestamp = G_MAXUINT64;
  ctl_json_format_status (out, services, CTL_OUTPUT_JSON);
  g_assert_nonnull (strstr (out->str, "\"state_timestamp_iso\":null"));
}

static void
check_show (CtlOutputMode mode)
{
  g_autoptr (GPtrArray) services = hostile_services ();
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  JsonArray *array;

  ctl_json_format_show (out, services, NULL, utc, mode);
  assert_safe (out->str, mode);
  array = parse_array (parser, out->str);

  g_assert_cmpuint (json_array_get_length (array), ==, services->len);
  for (guint i = 0; i < services->len; i++)
    {
      const CtlServiceInfo *info = services->pdata[i];
      JsonObject *object = json_array_get_object_element (array, i);

      /* The D-Bus names, in the interface's order. */
      assert_members (object, "Name,IsRunning,NTasks,LastErrors,State,StateTimestamp,"
                      "StateTimestampText,NRestarts,Restart");
      g_assert_cmpstr (json_object_get_string_member (object, "Name"), ==, info->name);
      g_assert_cmpint (json_object_get_boolean_member (object, "IsRunning"), ==, info->is_running);
      g_assert_cmpint (json_object_get_int_member (object, "NTasks"), ==, info->n_tasks);
      assert_task_errors (json_object_get_array_member (object, "LastErrors"), info->last_errors);
      g_assert_cmpstr (json_object_get_string_member (object, "State"), ==, info->state);
      g_assert_cmpint (json_object_get_int_member (object, "StateTimestamp"), ==,
                       info->state_timestamp);
      g_assert_cmpstr (json_object_get_string_member (object, "StateTimestampText"), ==,
                       "Fri 2026-11-27 12:00:01 UTC");
      g_assert_cmpint (json_object_get_int_member (object, "NRestarts"), ==, info->n_restarts);
      g_assert_cmpstr (json_object_get_string_member (object, "Restart"), ==, info->restart);
    }
}

static void
test_show (void)
{
  check_show (CTL_OUTPUT_JSON);
  check_show (CTL_OUTPUT_JSON_PRETTY);
}

static void
test_show_properties (void)
{
  const char * const picked[] = { "Restart", "Nope", "StateTimestampText", "Name", NULL };
  const char * const none[] = { NULL };
  g_autoptr (GPtrArray) services = new_services ();
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (GString) nothing = g_string_new (NULL);
  g_autoptr (GString) partial = g_string_new (NULL);
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  CtlServiceInfo *info = make_info ("clock", "running", TRUE, 1, 0);

  info->state_timestamp = 0;
  g_ptr_array_add (services, info);

  /* In the interface's order, whatever the order asked; unknown names
   * give no key; a time that never was is null. */
  ctl_json_format_show (out, services, picked, utc, CTL_OUTPUT_JSON);
  g_assert_cmpstr (out->str, ==,
                   "[{\"Name\":\"clock\",\"StateTimestampText\":null,\"Restart\":\"on-failure\"}]\n");

  ctl_json_format_show (nothing, services, none, utc, CTL_OUTPUT_JSON);
  g_assert_cmpstr (nothing->str, ==, "[{}]\n");

  /* A property the daemon did not give has no key. */
  info->properties_read = 1u << CTL_PROPERTY_NAME | 1u << CTL_PROPERTY_N_TASKS;
  ctl_json_format_show (partial, services, NULL, utc, CTL_OUTPUT_JSON);
  g_assert_cmpstr (partial->str, ==, "[{\"Name\":\"clock\",\"NTasks\":1}]\n");
}

static void
check_service_errors (CtlOutputMode mode)
{
  g_autoptr (GPtrArray) reports = g_ptr_array_new_with_free_func ((GDestroyNotify) ctl_service_errors_free);
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonArray *array;

  for (gsize i = 0; i < G_N_ELEMENTS (hostile); i++)
    {
      GPtrArray *errors = new_task_errors ();

      /* Every other service stopped cleanly: an empty list. */
      for (gsize j = 0; i % 2 == 0 && j < G_N_ELEMENTS (hostile); j++)
        g_ptr_array_add (errors, make_task_error (hostile[j], hostile[i], G_MININT32 + j,
                                                  hostile[(i + j) % G_N_ELEMENTS (hostile)]));
      g_ptr_array_add (reports, ctl_service_errors_new (hostile[i], errors));
    }

  ctl_json_format_service_errors (out, reports, mode);
  assert_safe (out->str, mode);
  array = parse_array (parser, out->str);

  g_assert_cmpuint (json_array_get_length (array), ==, reports->len);
  for (guint i = 0; i < reports->len; i++)
    {
      const CtlServiceErrors *report = reports->pdata[i];
      JsonObject *object = json_array_get_object_element (array, i);

      assert_members (object, "service,errors");
      g_assert_cmpstr (json_object_get_string_member (object, "service"), ==, report->service);
      assert_task_errors (json_object_get_array_member (object, "errors"), report->errors);
    }
}

static void
test_service_errors (void)
{
  check_service_errors (CTL_OUTPUT_JSON);
  check_service_errors (CTL_OUTPUT_JSON_PRETTY);
}

static void
test_service_errors_empty (void)
{
  g_autoptr (GPtrArray) reports = g_ptr_array_new_with_free_func ((GDestroyNotify) ctl_service_errors_free);
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (GString) clean = g_string_new (NULL);

  ctl_json_format_service_errors (out, reports, CTL_OUTPUT_JSON);
  g_assert_cmpstr (out->str, ==, "[]\n");

  g_ptr_array_add (reports, ctl_service_errors_new ("web", new_task_errors ()));
  ctl_json_format_service_errors (clean, reports, CTL_OUTPUT_JSON);
  g_assert_cmpstr (clean->str, ==, "[{\"service\":\"web\",\"errors\":[]}]\n");
}

/* StopAll's entries, (service, domain, code, "TASK: MESSAGE"), grouped by
 * service in the order they first come, the task split off. */
static void
test_split_by_service (void)
{
  g_autoptr (GPtrArray) entries = new_task_errors ();
  g_autoptr (GPtrArray) groups = NULL;
  const CtlServiceErrors *web, *db;
  const CtlTaskError *e;

  g_ptr_array_add (entries, make_task_error ("web", "g-io-error-quark", 14, "worker: denied: really"));
  g_ptr_array_add (entries, make_task_error ("db", "d", 1, "no task named"));
  g_ptr_array_add (entries, make_task_error ("web", "e", -2, "sub/task: \"quoted\"\n"));
  g_ptr_array_add (entries, make_task_error ("db", "d", 2, ": empty task"));

  groups = ctl_wire_split_by_service (entries);
  g_assert_cmpuint (groups->len, ==, 2);
  web = groups->pdata[0];
  db = groups->pdata[1];
  g_assert_cmpstr (web->service, ==, "web");
  g_assert_cmpstr (db->service, ==, "db");
  g_assert_cmpuint (web->errors->len, ==, 2);
  g_assert_cmpuint (db->errors->len, ==, 2);

  e = web->errors->pdata[0];
  g_assert_cmpstr (e->task, ==, "worker");
  g_assert_cmpstr (e->message, ==, "denied: really");
  g_assert_cmpstr (e->domain, ==, "g-io-error-quark");
  g_assert_cmpint (e->code, ==, 14);
  e = web->errors->pdata[1];
  g_assert_cmpstr (e->task, ==, "sub/task");
  g_assert_cmpstr (e->message, ==, "\"quoted\"\n");
  g_assert_cmpint (e->code, ==, -2);
  e = db->errors->pdata[0];
  g_assert_cmpstr (e->task, ==, "");
  g_assert_cmpstr (e->message, ==, "no task named");
  e = db->errors->pdata[1];
  g_assert_cmpstr (e->task, ==, "");
  g_assert_cmpstr (e->message, ==, "empty task");
}

static void
test_split_nothing (void)
{
  g_autoptr (GPtrArray) entries = new_task_errors ();
  g_autoptr (GPtrArray) groups = ctl_wire_split_by_service (entries);

  g_assert_cmpuint (groups->len, ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ctl/json/list", test_list);
  g_test_add_func ("/ctl/json/list-empty-and-no-path", test_list_empty_and_no_path);
  g_test_add_func ("/ctl/json/pretty-and-compact", test_pretty_is_indented_compact_is_one_line);
  g_test_add_func ("/ctl/json/escapes", test_escapes_are_json_escapes);
  g_test_add_func ("/ctl/json/status", test_status);
  g_test_add_func ("/ctl/json/status-iso-utc", test_status_iso_is_utc_whatever_the_zone);
  g_test_add_func ("/ctl/json/show", test_show);
  g_test_add_func ("/ctl/json/show-properties", test_show_properties);
  g_test_add_func ("/ctl/json/service-errors", test_service_errors);
  g_test_add_func ("/ctl/json/service-errors-empty", test_service_errors_empty);
  g_test_add_func ("/ctl/wire/split-by-service", test_split_by_service);
  g_test_add_func ("/ctl/wire/split-nothing", test_split_nothing);

  return g_test_run ();
}
