/* SPDX-License-Identifier: MIT */
/* fuzz-ctl-output.c: bgservicectl's output of what a daemon tells it.
 *
 * A daemon, or whoever answers on its bus name, chooses every name, state,
 * policy, path, number and error message that bgservicectl prints. Each
 * input describes such services; the target formats them the way every
 * command does (list on a terminal and in a pipe, status, show, the errors
 * of stop and StopAll, is-failed's states, and the JSON of each) and
 * checks what bgservicectl promises: the plain text holds no character a
 * terminal would act on (only newlines, the pipe's tabs and, when asked,
 * its own colours), a pipe gets one line per service, `show` only KEY=
 * lines, and the JSON parses back to the very strings it was given.
 *
 * The input is split at NUL bytes into fields, read in this order:
 *
 *   OPTIONS   letters: c colours, n no legend, w through the wire (the
 *             values go into real D-Bus replies, ListServices and a GetAll
 *             per service, which bgservicectl's readers take apart, as
 *             they do the daemon's), m through the wire as `list` reads
 *             them (one GetManagedObjects reply; m wins over w), p a
 *             filter for show follows
 *   COLUMNS   the terminal's width (decimal)
 *   NOW       now, in seconds since the epoch (decimal, up to year 9999)
 *   ZONE      which time zone (decimal, an index into a fixed list)
 *   FILTER    show --property=FILTER (commas), only with p
 *   then per service:
 *     NAME STATE RESTART PATH TIMESTAMP NTASKS NRESTARTS ISRUNNING
 *     PROPERTIES (decimal mask of the properties GetAll gave, through the
 *     wire; a service given directly is one read in full) NERRORS
 *     and NERRORS times: TASK DOMAIN CODE MESSAGE
 *
 * With m, the bits of PROPERTIES above the mask (1 << CtlProperty) say how
 * the service's object is made hostile (the values of the HOSTILE_*
 * flags): bits 8 to 15, of the properties given, those whose variant
 * holds another type (the whole reply must then be refused); 1 << 16 and
 * 1 << 17 another interface before and after org.bgservice1.Service (with
 * a State of its own, to be ignored); 1 << 18 a path outside the service
 * prefix; 1 << 19 an object without org.bgservice1.Service before it;
 * 1 << 20 no org.bgservice1.Service on the object at all (it is no
 * service then).
 *
 * Numbers are decimal text (what does not parse is 0); a STATE, RESTART or
 * PATH that is the single byte 0x7f stands for none (NULL). Strings are
 * made valid UTF-8, as D-Bus delivers only that; each raw field is also
 * given to the escaper on its own, invalid UTF-8 included.
 */
#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include <json-glib/json-glib.h>
#include <systemd/sd-bus.h>

#include "ctl-json.h"
#include "ctl-output.h"
#include "ctl-sd-bus.h"
#include "ctl-wire.h"
#include "fuzz-target.h"

#define FUZZ_MAX_INPUT     (64 * 1024)
#define MAX_SERVICES  32
#define MAX_ERRORS    16

/* The last second GDateTime can show: 9999-12-31 23:59:59 UTC. */
#define MAX_NOW_SECONDS G_GINT64_CONSTANT (253402300799)

#define NULL_FIELD "\x7f"

#define COLOUR_SEQUENCE_START "\033["

/* The time zones ZONE picks from, made once. */
static const char * const zone_names[] = {
  "UTC", "Europe/Berlin", "America/St_Johns", "Asia/Kathmandu", "Pacific/Chatham", "+05:30",
};
static GTimeZone *zones[G_N_ELEMENTS (zone_names)];

/* The sd_bus the test replies are made on: open on one end of a socket
 * pair, never used to send. */
static sd_bus *message_bus;

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  int fds[2];

  fuzz_log_init (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (zone_names); i++)
    {
      zones[i] = g_time_zone_new_identifier (zone_names[i]);
      if (zones[i] == NULL)
        zones[i] = g_time_zone_new_utc ();
    }

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
  g_assert_cmpint (sd_bus_new (&message_bus), >=, 0);
  g_assert_cmpint (sd_bus_set_fd (message_bus, fds[0], fds[0]), >=, 0);
  g_assert_cmpint (sd_bus_start (message_bus), >=, 0);
  return 0;
}

/* ---- reading the input -------------------------------------------------- */

/* Fields: the input cut at its NUL bytes, read one after the other. */
typedef struct
{
  char  **fields;   /* (owned) */
  guint   next;
} Fields;

/* The next field, or NULL when none is left. */
static const char *
fields_next (Fields *self)
{
  if (self->fields[self->next] == NULL)
    return NULL;

  return self->fields[self->next++];
}

/* The next field as a number up to @max, 0 when it is none or is
 * missing. */
static guint64
fields_next_number (Fields  *self,
                    guint64  max)
{
  const char *field = fields_next (self);

  return field != NULL ? MIN (g_ascii_strtoull (field, NULL, 10), max) : 0;
}

/* The next field made valid UTF-8, or NULL for the none marker or none
 * left when @nullable. */
static char *
fields_next_string (Fields   *self,
                    gboolean  nullable)
{
  const char *field = fields_next (self);

  if (field == NULL)
    return nullable ? NULL : g_strdup ("");
  if (nullable && strcmp (field, NULL_FIELD) == 0)
    return NULL;

  return g_utf8_make_valid (field, -1);
}

/* ---- checks ------------------------------------------------------------- */

/* Whether @text is a colour sequence bgservicectl writes ("ESC[…m"), and
 * how long it is. */
static gsize
colour_sequence_length (const char *text)
{
  static const char * const sequences[] = {
    "\033[1;32m", "\033[1;33m", "\033[1;31m", "\033[0m",
  };

  for (guint i = 0; i < G_N_ELEMENTS (sequences); i++)
    if (g_str_has_prefix (text, sequences[i]))
      return strlen (sequences[i]);

  return 0;
}

/* Plain text is valid UTF-8 and holds nothing a terminal acts on but
 * newlines, tabs when @tabs, and bgservicectl's colours when @colours. */
static void
assert_printable (const char *text,
                  gboolean    tabs,
                  gboolean    colours)
{
  g_assert_true (g_utf8_validate (text, -1, NULL));

  for (const char *p = text; *p != '\0';)
    {
      gunichar c = g_utf8_get_char (p);
      gsize colour = colours ? colour_sequence_length (p) : 0;

      if (colour > 0)
        {
          p += colour;
          continue;
        }
      if (c != '\n' && !(tabs && c == '\t'))
        g_assert_false (ctl_output_needs_escape (c));
      p = g_utf8_next_char (p);
    }
}

/* The escaper on one raw field: printable output, and text that needs no
 * escape comes out as it went in. */
static void
check_escape (const char *raw)
{
  g_autofree char *escaped = ctl_output_escape (raw);
  gboolean safe = g_utf8_validate (raw, -1, NULL);

  assert_printable (escaped, FALSE, FALSE);
  for (const char *p = raw; safe && *p != '\0'; p = g_utf8_next_char (p))
    if (ctl_output_needs_escape (g_utf8_get_char (p)))
      safe = FALSE;
  if (safe)
    g_assert_cmpstr (escaped, ==, raw);

  /* Widths are asked of escaped text only, and never of more columns
   * than it has bytes. */
  g_assert_cmpuint (ctl_output_width (escaped), <=, 2 * strlen (escaped));
}

/* How many times @c occurs in @text. */
static guint
count_char (const char *text,
            char        c)
{
  guint n = 0;

  for (const char *p = strchr (text, c); p != NULL; p = strchr (p + 1, c))
    n++;

  return n;
}

/* Parses JSON output: an array of @n_expected objects. */
static JsonArray *
parse_json_array (JsonParser *parser,
                  const char *text,
                  guint       n_expected)
{
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  assert_printable (text, FALSE, FALSE);
  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (root));
  g_assert_cmpuint (json_array_get_length (json_node_get_array (root)), ==, n_expected);

  return json_node_get_array (root);
}

/* The string member @key of the @index-th object of @array, which must be
 * @expected exactly (NULL: null). */
static void
assert_json_string (JsonArray  *array,
                    guint       index,
                    const char *key,
                    const char *expected)
{
  JsonObject *object = json_array_get_object_element (array, index);

  g_assert_true (json_object_has_member (object, key));
  if (expected == NULL)
    g_assert_true (json_object_get_null_member (object, key));
  else
    g_assert_cmpstr (json_object_get_string_member (object, key), ==, expected);
}

/* Every error of a JSON error list is the task error it came from. */
static void
assert_json_errors (JsonArray *array,
                    GPtrArray *errors)
{
  g_assert_cmpuint (json_array_get_length (array), ==, errors != NULL ? errors->len : 0);

  for (guint i = 0; errors != NULL && i < errors->len; i++)
    {
      const CtlTaskError *expected = errors->pdata[i];
      JsonObject *object = json_array_get_object_element (array, i);

      g_assert_cmpstr (json_object_get_string_member (object, "task"), ==, expected->task);
      g_assert_cmpstr (json_object_get_string_member (object, "domain"), ==, expected->domain);
      g_assert_cmpint (json_object_get_int_member (object, "code"), ==, expected->code);
      g_assert_cmpstr (json_object_get_string_member (object, "message"), ==, expected->message);
    }
}

/* ---- the wire ----------------------------------------------------------- */

/* A method return to read from, built by @append; sealed as if received. */
static sd_bus_message *
new_reply (void)
{
  sd_bus_message *message = NULL;

  g_assert_cmpint (sd_bus_message_new (message_bus, &message, SD_BUS_MESSAGE_METHOD_RETURN), >=, 0);
  return message;
}

/* Seals @message and rewinds it, so that it reads as a received one. */
static void
seal (sd_bus_message *message)
{
  static uint64_t cookie = 1;

  g_assert_cmpint (sd_bus_message_seal (message, cookie++, 0), >=, 0);
  g_assert_cmpint (sd_bus_message_rewind (message, TRUE), >=, 0);
}

/* The object path the reply carries: the service's own when it is one,
 * else its name escaped as the daemon would. */
static char *
wire_path (const CtlServiceInfo *info)
{
  char *path = NULL;

  if (info->path != NULL && sd_bus_object_path_is_valid (info->path))
    return g_strdup (info->path);

  g_assert_cmpint (sd_bus_path_encode (BGS_BUS_SERVICE_PATH_PREFIX, info->name, &path), >=, 0);
  return path;
}

/* Appends an a(ssis) error list. */
static void
append_errors (sd_bus_message *message,
               GPtrArray      *errors)
{
  g_assert_cmpint (sd_bus_message_open_container (message, 'a', BGS_BUS_ERROR_ENTRY_TYPE), >=, 0);
  for (guint i = 0; errors != NULL && i < errors->len; i++)
    {
      const CtlTaskError *entry = errors->pdata[i];

      g_assert_cmpint (sd_bus_message_append (message, BGS_BUS_ERROR_ENTRY_TYPE, entry->task,
                                              entry->domain, entry->code, entry->message), >=, 0);
    }
  g_assert_cmpint (sd_bus_message_close_container (message), >=, 0);
}

/* Appends one {sv} of Properties.GetAll for @property of @described. */
static void
append_property (sd_bus_message       *message,
                 const CtlServiceInfo *described,
                 CtlProperty           property)
{
  const char *name = ctl_wire_property_names[property];
  int r = 0;

  g_assert_cmpint (sd_bus_message_open_container (message, 'e', "sv"), >=, 0);
  g_assert_cmpint (sd_bus_message_append (message, "s", name), >=, 0);
  switch (property)
    {
    case CTL_PROPERTY_NAME:
      r = sd_bus_message_append (message, "v", "s", described->name);
      break;
    case CTL_PROPERTY_IS_RUNNING:
      r = sd_bus_message_append (message, "v", "b", described->is_running);
      break;
    case CTL_PROPERTY_N_TASKS:
      r = sd_bus_message_append (message, "v", "u", described->n_tasks);
      break;
    case CTL_PROPERTY_LAST_ERRORS:
      r = sd_bus_message_open_container (message, 'v', BGS_BUS_ERROR_LIST_TYPE);
      append_errors (message, described->last_errors);
      if (r >= 0)
        r = sd_bus_message_close_container (message);
      break;
    case CTL_PROPERTY_STATE:
      r = sd_bus_message_append (message, "v", "s", ctl_service_info_get_state (described));
      break;
    case CTL_PROPERTY_STATE_TIMESTAMP:
      r = sd_bus_message_append (message, "v", "t", described->state_timestamp);
      break;
    case CTL_PROPERTY_N_RESTARTS:
      r = sd_bus_message_append (message, "v", "u", described->n_restarts);
      break;
    case CTL_PROPERTY_RESTART:
      r = sd_bus_message_append (message, "v", "s",
                                 described->restart != NULL ? described->restart : "");
      break;
    case CTL_N_PROPERTIES:
    default:
      g_assert_not_reached ();
    }
  g_assert_cmpint (r, >=, 0);
  g_assert_cmpint (sd_bus_message_close_container (message), >=, 0);
}

/* bgservicectl prints nothing of a service the daemon did not tell
 * everything of: it says which property is missing, and exits 2. */
static void
drop_not_read_in_full (GPtrArray *services)
{
  for (guint i = services->len; i-- > 0;)
    {
      g_autoptr(GError) missing = NULL;

      if (ctl_service_info_check_read (services->pdata[i], &missing))
        continue;
      g_assert_nonnull (missing);
      g_assert_true (g_utf8_validate (missing->message, -1, NULL));
      g_ptr_array_remove_index (services, i);
    }
}

/*
 * Sends @described through the wire: ListServices's a(sbuo), then each
 * service's GetAll a{sv} with the properties its mask names (and one this
 * client does not know), read back by bgservicectl's readers. Returns what
 * bgservicectl would know of the services.
 */
static GPtrArray *
through_the_wire (GPtrArray *described)
{
  g_autoptr(sd_bus_message) list = new_reply ();
  g_autoptr(GPtrArray) services = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (sd_bus_message_open_container (list, 'a', "(sbuo)"), >=, 0);
  for (guint i = 0; i < described->len; i++)
    {
      const CtlServiceInfo *info = described->pdata[i];
      g_autofree char *path = wire_path (info);

      g_assert_cmpint (sd_bus_message_append (list, "(sbuo)", info->name, info->is_running,
                                              info->n_tasks, path), >=, 0);
    }
  g_assert_cmpint (sd_bus_message_close_container (list), >=, 0);
  seal (list);

  g_assert_true (ctl_wire_read_services (list, &services, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (services->len, ==, described->len);

  for (guint i = 0; i < described->len; i++)
    {
      const CtlServiceInfo *info = described->pdata[i];
      CtlServiceInfo *read = services->pdata[i];
      g_autoptr(sd_bus_message) all = new_reply ();

      g_assert_cmpstr (read->name, ==, info->name);
      g_assert_cmpint (sd_bus_message_open_container (all, 'a', "{sv}"), >=, 0);
      g_assert_cmpint (sd_bus_message_append (all, "{sv}", "FuturePropertyOfFuzz", "as", 2, "a", "b"), >=, 0);
      for (CtlProperty property = 0; property < CTL_N_PROPERTIES; property++)
        if (info->properties_read & (1u << property))
          append_property (all, info, property);
      g_assert_cmpint (sd_bus_message_close_container (all), >=, 0);
      seal (all);

      g_assert_true (ctl_wire_read_service_properties (all, read, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (read->properties_read, ==, info->properties_read & ((1u << CTL_N_PROPERTIES) - 1));
    }

  drop_not_read_in_full (services);
  return g_steal_pointer (&services);
}

/* ---- the wire as `list` reads it ---------------------------------------- */

/* How the object of a service is made hostile with m: the bits of
 * PROPERTIES above the mask, shifted down (see the top). */
enum
{
  HOSTILE_WRONG_TYPES      = (1u << CTL_N_PROPERTIES) - 1,  /* a bit per CtlProperty */
  HOSTILE_INTERFACE_BEFORE = 1u << 8,
  HOSTILE_INTERFACE_AFTER  = 1u << 9,
  HOSTILE_OUTSIDE_PREFIX   = 1u << 10,
  HOSTILE_OBJECT_BEFORE    = 1u << 11,
  HOSTILE_NOT_A_SERVICE    = 1u << 12,
};

/* An interface bgservicectl does not know, on a service's object. */
#define OTHER_INTERFACE "org.bgservice1.FuzzOther"

/* Where an object outside the service prefix lives. */
#define OUTSIDE_PREFIX "/org/bgservice1/elsewhere"

/* Appends one {sv} for @property whose variant holds another type than
 * org.bgservice1.Service gives it. */
static void
append_wrong_property (sd_bus_message *message,
                       CtlProperty     property)
{
  const char *name = ctl_wire_property_names[property];
  int r;

  switch (property)
    {
    case CTL_PROPERTY_NAME:
    case CTL_PROPERTY_STATE:
    case CTL_PROPERTY_RESTART:
    case CTL_PROPERTY_IS_RUNNING:
    case CTL_PROPERTY_STATE_TIMESTAMP:
      r = sd_bus_message_append (message, "{sv}", name, "u", 7);
      break;
    case CTL_PROPERTY_N_TASKS:
    case CTL_PROPERTY_N_RESTARTS:
      r = sd_bus_message_append (message, "{sv}", name, "t", G_GUINT64_CONSTANT (7));
      break;
    case CTL_PROPERTY_LAST_ERRORS:
      r = sd_bus_message_append (message, "{sv}", name, "as", 1, "wrong");
      break;
    case CTL_N_PROPERTIES:
    default:
      g_assert_not_reached ();
    }
  g_assert_cmpint (r, >=, 0);
}

/* Appends a {sa{sv}} of an interface other than org.bgservice1.Service,
 * whose properties share names with the service's: none may be read. */
static void
append_other_interface (sd_bus_message *message,
                        const char     *interface)
{
  g_assert_cmpint (sd_bus_message_open_container (message, 'e', "sa{sv}"), >=, 0);
  g_assert_cmpint (sd_bus_message_append (message, "s", interface), >=, 0);
  g_assert_cmpint (sd_bus_message_append (message, "a{sv}", 3,
                                          "Name", "s", "not-a-service",
                                          "State", "u", 3,
                                          "LastErrors", "s", "none"), >=, 0);
  g_assert_cmpint (sd_bus_message_close_container (message), >=, 0);
}

/* Appends the {oa{sa{sv}}} of the object of @described at @path. */
static void
append_object (sd_bus_message       *message,
               const CtlServiceInfo *described,
               guint                 hostile,
               const char           *path)
{
  g_assert_cmpint (sd_bus_message_open_container (message, 'e', "oa{sa{sv}}"), >=, 0);
  g_assert_cmpint (sd_bus_message_append (message, "o", path), >=, 0);
  g_assert_cmpint (sd_bus_message_open_container (message, 'a', "{sa{sv}}"), >=, 0);
  if (hostile & HOSTILE_INTERFACE_BEFORE)
    append_other_interface (message, OTHER_INTERFACE);
  if (!(hostile & HOSTILE_NOT_A_SERVICE))
    {
      g_assert_cmpint (sd_bus_message_open_container (message, 'e', "sa{sv}"), >=, 0);
      g_assert_cmpint (sd_bus_message_append (message, "s", BGS_BUS_SERVICE_INTERFACE), >=, 0);
      g_assert_cmpint (sd_bus_message_open_container (message, 'a', "{sv}"), >=, 0);
      g_assert_cmpint (sd_bus_message_append (message, "{sv}", "FuturePropertyOfFuzz", "as", 2, "a", "b"), >=, 0);
      for (CtlProperty property = 0; property < CTL_N_PROPERTIES; property++)
        {
          if (!(described->properties_read & (1u << property)))
            continue;
          if (hostile & (1u << property))
            append_wrong_property (message, property);
          else
            append_property (message, described, property);
        }
      g_assert_cmpint (sd_bus_message_close_container (message), >=, 0);
      g_assert_cmpint (sd_bus_message_close_container (message), >=, 0);
    }
  if (hostile & HOSTILE_INTERFACE_AFTER)
    append_other_interface (message, CTL_WIRE_PROPERTIES);
  g_assert_cmpint (sd_bus_message_close_container (message), >=, 0);
  g_assert_cmpint (sd_bus_message_close_container (message), >=, 0);
}

/* A copy of the task errors @errors; an empty list for NULL, as the wire
 * gives none as an empty a(ssis). */
static GPtrArray *
copy_task_errors (GPtrArray *errors)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func ((GDestroyNotify) ctl_task_error_free);

  for (guint i = 0; errors != NULL && i < errors->len; i++)
    {
      const CtlTaskError *entry = errors->pdata[i];
      CtlTaskError *element = g_new0 (CtlTaskError, 1);

      element->task = g_strdup (entry->task);
      element->domain = g_strdup (entry->domain);
      element->code = entry->code;
      element->message = g_strdup (entry->message);
      g_ptr_array_add (copy, element);
    }

  return copy;
}

/* What bgservicectl should know of @described after reading its object
 * at @path: the properties given, zero for the others. */
static CtlServiceInfo *
expected_service (const CtlServiceInfo *described,
                  const char           *path)
{
  CtlServiceInfo *expected = ctl_service_info_new ();
  guint given = described->properties_read;

  expected->path = g_strdup (path);
  expected->properties_read = given;
  if (given & (1u << CTL_PROPERTY_NAME))
    expected->name = g_strdup (described->name);
  if (given & (1u << CTL_PROPERTY_IS_RUNNING))
    expected->is_running = described->is_running;
  if (given & (1u << CTL_PROPERTY_N_TASKS))
    expected->n_tasks = described->n_tasks;
  if (given & (1u << CTL_PROPERTY_LAST_ERRORS))
    expected->last_errors = copy_task_errors (described->last_errors);
  if (given & (1u << CTL_PROPERTY_STATE))
    expected->state = g_strdup (ctl_service_info_get_state (described));
  if (given & (1u << CTL_PROPERTY_STATE_TIMESTAMP))
    expected->state_timestamp = described->state_timestamp;
  if (given & (1u << CTL_PROPERTY_N_RESTARTS))
    expected->n_restarts = described->n_restarts;
  if (given & (1u << CTL_PROPERTY_RESTART))
    expected->restart = g_strdup (described->restart != NULL ? described->restart : "");

  return expected;
}

/* The order `list` promises: by name, bytewise, then by path. */
static int
compare_services (gconstpointer a,
                  gconstpointer b)
{
  const CtlServiceInfo *first = *(const CtlServiceInfo * const *) a;
  const CtlServiceInfo *second = *(const CtlServiceInfo * const *) b;
  int by_name = g_strcmp0 (first->name, second->name);

  return by_name != 0 ? by_name : g_strcmp0 (first->path, second->path);
}

/* @read holds exactly what @expected does. */
static void
assert_same_service (const CtlServiceInfo *read,
                     const CtlServiceInfo *expected)
{
  g_assert_cmpstr (read->path, ==, expected->path);
  g_assert_cmpuint (read->properties_read, ==, expected->properties_read);
  g_assert_cmpstr (read->name, ==, expected->name);
  g_assert_cmpstr (read->state, ==, expected->state);
  g_assert_cmpstr (read->restart, ==, expected->restart);
  g_assert_cmpuint (read->state_timestamp, ==, expected->state_timestamp);
  g_assert_cmpint (read->is_running, ==, expected->is_running);
  g_assert_cmpuint (read->n_tasks, ==, expected->n_tasks);
  g_assert_cmpuint (read->n_restarts, ==, expected->n_restarts);
  g_assert_true ((read->last_errors == NULL) == (expected->last_errors == NULL));
  if (expected->last_errors == NULL)
    return;
  g_assert_cmpuint (read->last_errors->len, ==, expected->last_errors->len);
  for (guint i = 0; i < expected->last_errors->len; i++)
    {
      const CtlTaskError *got = read->last_errors->pdata[i];
      const CtlTaskError *want = expected->last_errors->pdata[i];

      g_assert_cmpstr (got->task, ==, want->task);
      g_assert_cmpstr (got->domain, ==, want->domain);
      g_assert_cmpint (got->code, ==, want->code);
      g_assert_cmpstr (got->message, ==, want->message);
    }
}

/*
 * Sends @described through the wire as `list` asks for it: one reply of
 * ObjectManager.GetManagedObjects, a{oa{sa{sv}}}, an object per service
 * made hostile as @hostile says for each, read back by bgservicectl's
 * reader. Returns what bgservicectl would print services of: nothing when
 * it must refuse the reply.
 */
static GPtrArray *
through_managed_objects (GPtrArray   *described,
                         const guint *hostile)
{
  g_autoptr(sd_bus_message) reply = new_reply ();
  g_autoptr(GPtrArray) expected = g_ptr_array_new_with_free_func ((GDestroyNotify) ctl_service_info_free);
  g_autoptr(GPtrArray) services = NULL;
  g_autoptr(GError) error = NULL;
  gboolean refused = FALSE;

  g_assert_cmpint (sd_bus_message_open_container (reply, 'a', "{oa{sa{sv}}}"), >=, 0);
  for (guint i = 0; i < described->len; i++)
    {
      const CtlServiceInfo *info = described->pdata[i];
      g_autofree char *path = NULL;

      if (hostile[i] & HOSTILE_OBJECT_BEFORE)
        {
          g_assert_cmpint (sd_bus_message_open_container (reply, 'e', "oa{sa{sv}}"), >=, 0);
          g_assert_cmpint (sd_bus_message_append (reply, "o", BGS_BUS_ROOT_PATH), >=, 0);
          g_assert_cmpint (sd_bus_message_open_container (reply, 'a', "{sa{sv}}"), >=, 0);
          append_other_interface (reply, BGS_BUS_MANAGER_INTERFACE);
          g_assert_cmpint (sd_bus_message_close_container (reply), >=, 0);
          g_assert_cmpint (sd_bus_message_close_container (reply), >=, 0);
        }

      if (hostile[i] & HOSTILE_OUTSIDE_PREFIX)
        g_assert_cmpint (sd_bus_path_encode (OUTSIDE_PREFIX, info->name, &path), >=, 0);
      else
        path = wire_path (info);
      append_object (reply, info, hostile[i], path);

      if (hostile[i] & HOSTILE_NOT_A_SERVICE)
        continue;
      if (hostile[i] & info->properties_read & HOSTILE_WRONG_TYPES)
        refused = TRUE;
      g_ptr_array_add (expected, expected_service (info, path));
    }
  g_assert_cmpint (sd_bus_message_close_container (reply), >=, 0);
  seal (reply);

  /* A property of another type is a reply of another shape: bgservicectl
   * says so and prints no service. */
  if (refused)
    {
      g_assert_false (ctl_wire_read_managed_objects (reply, &services, &error));
      g_assert_nonnull (error);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      return g_ptr_array_new_with_free_func ((GDestroyNotify) ctl_service_info_free);
    }

  g_assert_true (ctl_wire_read_managed_objects (reply, &services, &error));
  g_assert_no_error (error);

  /* The same stable sort of the same order: services of the same name
   * and path keep their order in both. */
  g_ptr_array_sort (expected, compare_services);
  g_assert_cmpuint (services->len, ==, expected->len);
  for (guint i = 0; i < services->len; i++)
    assert_same_service (services->pdata[i], expected->pdata[i]);

  drop_not_read_in_full (services);
  return g_steal_pointer (&services);
}

/* ---- the formats -------------------------------------------------------- */

/* The last errors of @info as StopAll would give them, by service, read
 * by bgservicectl and split again as `stop --all` does. */
static void
check_stop_all (GPtrArray *services)
{
  g_autoptr(sd_bus_message) reply = new_reply ();
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) ctl_task_error_free);
  g_autoptr(GPtrArray) read = NULL;
  g_autoptr(GPtrArray) groups = NULL;
  g_autoptr(GString) plain = g_string_new (NULL);
  g_autoptr(GString) json = g_string_new (NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  guint n_lines = 0;

  for (guint i = 0; i < services->len; i++)
    {
      const CtlServiceInfo *info = services->pdata[i];

      for (guint e = 0; info->last_errors != NULL && e < info->last_errors->len; e++)
        {
          const CtlTaskError *task_error = info->last_errors->pdata[e];
          CtlTaskError *entry = g_new0 (CtlTaskError, 1);

          entry->task = g_strdup (info->name);
          entry->domain = g_strdup (task_error->domain);
          entry->code = task_error->code;
          entry->message = g_strdup_printf ("%s: %s", task_error->task, task_error->message);
          g_ptr_array_add (entries, entry);
        }
    }

  append_errors (reply, entries);
  seal (reply);
  g_assert_true (ctl_wire_read_task_errors (reply, &read, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (read->len, ==, entries->len);

  groups = ctl_wire_split_by_service (read);
  for (guint i = 0; i < groups->len; i++)
    {
      const CtlServiceErrors *group = groups->pdata[i];

      ctl_output_format_task_errors (plain, group->service, group->errors);
      n_lines += group->errors->len;
    }
  assert_printable (plain->str, FALSE, FALSE);
  g_assert_cmpuint (count_char (plain->str, '\n'), ==, n_lines);
  g_assert_cmpuint (n_lines, ==, entries->len);

  ctl_json_format_service_errors (json, groups, CTL_OUTPUT_JSON);
  parse_json_array (parser, json->str, groups->len);
}

/* list, status, show, is-failed and the errors of stop and wait, in
 * plain text and JSON, with the checks of the top of the file. */
static void
check_formats (GPtrArray          *services,
               guint               columns,
               gint64              now_usec,
               GTimeZone          *zone,
               const char * const *filter,
               CtlOutputFlags      flags)
{
  gboolean colours = (flags & CTL_OUTPUT_COLOUR) != 0;
  g_autoptr(GString) table = g_string_new (NULL);
  g_autoptr(GString) lines = g_string_new (NULL);
  g_autoptr(GString) json = g_string_new (NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonArray *array;

  ctl_output_format_services (table, services, TRUE, columns, flags);
  assert_printable (table->str, FALSE, colours);

  ctl_output_format_services (lines, services, FALSE, columns, flags);
  assert_printable (lines->str, TRUE, FALSE);
  g_assert_cmpuint (count_char (lines->str, '\n'), ==, services->len);
  g_assert_cmpuint (count_char (lines->str, '\t'), ==, 3 * services->len);

  for (guint i = 0; i < services->len; i++)
    {
      const CtlServiceInfo *info = services->pdata[i];
      g_autoptr(GString) status = g_string_new (NULL);
      g_autoptr(GString) show = g_string_new (NULL);
      g_autoptr(GString) state = g_string_new (NULL);
      g_autoptr(GString) errors = g_string_new (NULL);
      g_auto(GStrv) show_lines = NULL;

      ctl_output_format_status (status, info, now_usec, zone, flags);
      assert_printable (status->str, FALSE, colours);

      ctl_output_format_show (show, info, filter, zone);
      assert_printable (show->str, FALSE, FALSE);
      show_lines = g_strsplit (show->str, "\n", -1);
      for (guint l = 0; show_lines[l] != NULL && show_lines[l + 1] != NULL; l++)
        {
          const char *equals = strchr (show_lines[l], '=');
          g_autofree char *key = NULL;

          g_assert_nonnull (equals);
          key = g_strndup (show_lines[l], equals - show_lines[l]);
          g_assert_true (g_strv_contains (ctl_wire_property_names, key) ||
                         g_str_equal (key, CTL_SHOW_STATE_TIMESTAMP_TEXT));
          g_assert_true (ctl_output_property_wanted (filter, key));
        }

      ctl_output_format_state (state, ctl_service_info_get_state (info));
      assert_printable (state->str, FALSE, FALSE);
      g_assert_cmpuint (count_char (state->str, '\n'), ==, 1);

      if (info->last_errors != NULL)
        {
          ctl_output_format_task_errors (errors, info->name, info->last_errors);
          assert_printable (errors->str, FALSE, FALSE);
          g_assert_cmpuint (count_char (errors->str, '\n'), ==, info->last_errors->len);
        }
    }

  for (CtlOutputMode mode = CTL_OUTPUT_JSON; mode <= CTL_OUTPUT_JSON_PRETTY; mode++)
    {
      g_string_truncate (json, 0);
      ctl_json_format_services (json, services, mode);
      array = parse_json_array (parser, json->str, services->len);
      for (guint i = 0; i < services->len; i++)
        {
          const CtlServiceInfo *info = services->pdata[i];

          assert_json_string (array, i, "name", info->name);
          assert_json_string (array, i, "state", ctl_service_info_get_state (info));
          assert_json_string (array, i, "path", info->path);
        }

      g_string_truncate (json, 0);
      ctl_json_format_status (json, services, mode);
      array = parse_json_array (parser, json->str, services->len);
      for (guint i = 0; i < services->len; i++)
        {
          const CtlServiceInfo *info = services->pdata[i];
          JsonObject *object = json_array_get_object_element (array, i);

          assert_json_string (array, i, "name", info->name);
          assert_json_string (array, i, "restart", info->restart);
          assert_json_errors (json_object_get_array_member (object, "last_errors"),
                              info->last_errors);
        }

      g_string_truncate (json, 0);
      ctl_json_format_show (json, services, filter, zone, mode);
      array = parse_json_array (parser, json->str, services->len);
      for (guint i = 0; i < services->len; i++)
        {
          const CtlServiceInfo *info = services->pdata[i];
          JsonObject *object = json_array_get_object_element (array, i);

          if (json_object_has_member (object, "Name"))
            assert_json_string (array, i, "Name", info->name);
        }
    }

  check_stop_all (services);
}

/* ---- the services ------------------------------------------------------- */

/* One CtlTaskError from four fields. */
static CtlTaskError *
read_task_error (Fields *fields)
{
  CtlTaskError *task_error = g_new0 (CtlTaskError, 1);

  task_error->task = fields_next_string (fields, FALSE);
  task_error->domain = fields_next_string (fields, FALSE);
  task_error->code = (gint32) (guint32) fields_next_number (fields, G_MAXUINT32);
  task_error->message = fields_next_string (fields, FALSE);

  return task_error;
}

/* One service from its fields; NULL when no field is left. Sets
 * *@hostile to the bits of PROPERTIES above the mask (see the top). */
static CtlServiceInfo *
read_service (Fields *fields,
              guint  *hostile)
{
  guint properties;

  g_autoptr(CtlServiceInfo) info = NULL;
  guint n_errors;

  if (fields->fields[fields->next] == NULL)
    return NULL;

  info = ctl_service_info_new ();
  info->name = fields_next_string (fields, FALSE);
  /* Given directly, a service is one read in full, as bgservicectl
   * prints only those: every property told, a State even if empty. */
  info->state = fields_next_string (fields, TRUE);
  if (info->state == NULL)
    info->state = g_strdup ("");
  info->restart = fields_next_string (fields, TRUE);
  info->path = fields_next_string (fields, TRUE);
  info->state_timestamp = fields_next_number (fields, G_MAXUINT64);
  info->n_tasks = (guint32) fields_next_number (fields, G_MAXUINT32);
  info->n_restarts = (guint32) fields_next_number (fields, G_MAXUINT32);
  info->is_running = fields_next_number (fields, 1) != 0;
  properties = (guint) fields_next_number (fields, G_MAXUINT32);
  info->properties_read = properties & ((1u << CTL_N_PROPERTIES) - 1);
  *hostile = properties >> CTL_N_PROPERTIES;

  n_errors = (guint) fields_next_number (fields, MAX_ERRORS);
  if (n_errors > 0)
    info->last_errors = g_ptr_array_new_with_free_func ((GDestroyNotify) ctl_task_error_free);
  for (guint i = 0; i < n_errors; i++)
    g_ptr_array_add (info->last_errors, read_task_error (fields));

  return g_steal_pointer (&info);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) filter = NULL;
  g_autoptr(GPtrArray) services = g_ptr_array_new_with_free_func ((GDestroyNotify) ctl_service_info_free);
  Fields fields = { NULL, 0 };
  CtlServiceInfo *info;
  guint hostile[MAX_SERVICES] = { 0 };
  const char *options, *field;
  CtlOutputFlags flags = CTL_OUTPUT_FLAGS_NONE;
  guint columns;
  gint64 now_seconds;
  GTimeZone *zone;

  if (size > FUZZ_MAX_INPUT)
    return 0;

  /* Fields end at NUL bytes: a string that ends the text ends the input. */
  text = g_malloc (size + 1);
  memcpy (text, data, size);
  text[size] = '\0';
  {
    g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
    const char *end = text + size;

    for (const char *p = text; p <= end; p += strlen (p) + 1)
      g_strv_builder_add (builder, p);
    fields.fields = g_strv_builder_end (builder);
  }

  for (guint i = 0; fields.fields[i] != NULL; i++)
    check_escape (fields.fields[i]);

  options = fields_next (&fields);
  if (options == NULL)
    options = "";
  if (strchr (options, 'c') != NULL)
    flags |= CTL_OUTPUT_COLOUR;
  if (strchr (options, 'n') != NULL)
    flags |= CTL_OUTPUT_NO_LEGEND;
  columns = (guint) fields_next_number (&fields, G_MAXUINT16);
  now_seconds = (gint64) fields_next_number (&fields, MAX_NOW_SECONDS);
  zone = zones[fields_next_number (&fields, G_MAXUINT64) % G_N_ELEMENTS (zones)];
  if (strchr (options, 'p') != NULL && (field = fields_next (&fields)) != NULL)
    filter = g_strsplit (field, ",", -1);

  while (services->len < MAX_SERVICES && (info = read_service (&fields, &hostile[services->len])) != NULL)
    g_ptr_array_add (services, info);

  if (strchr (options, 'm') != NULL)
    {
      g_autoptr(GPtrArray) read = through_managed_objects (services, hostile);

      check_formats (read, columns, now_seconds * G_USEC_PER_SEC, zone,
                     (const char * const *) filter, flags);
    }
  else if (strchr (options, 'w') != NULL)
    {
      g_autoptr(GPtrArray) read = through_the_wire (services);

      check_formats (read, columns, now_seconds * G_USEC_PER_SEC, zone,
                     (const char * const *) filter, flags);
    }
  else
    {
      for (guint i = 0; i < services->len; i++)
        ((CtlServiceInfo *) services->pdata[i])->properties_read = (1u << CTL_N_PROPERTIES) - 1;
      check_formats (services, columns, now_seconds * G_USEC_PER_SEC, zone,
                     (const char * const *) filter, flags);
    }

  g_strfreev (fields.fields);
  return 0;
}
