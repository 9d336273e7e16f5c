/* SPDX-License-Identifier: MIT */
/* bgsd-config.c: reading and checking the configuration of bgserviced.
 *
 * The file is a GKeyFile with one [Daemon] group and one [Service NAME]
 * group per service. Everything is checked before anything runs: unknown
 * groups and keys, keys that do not apply to the service's type, values,
 * commands that cannot be executed. Every error names the file, the group
 * and the key, and says what would be right.
 */
#include "config.h"

#include <grp.h>
#include <pwd.h>
#include <stdlib.h>

#include "bgsd-config.h"
#include "bgsd-timespan.h"

#define SERVICE_GROUP_PREFIX "Service "
#define DEFAULT_CONFIG_RESOURCE "/org/bgservice1/bgserviced/default.conf"

/* Where a value is being read from, for error messages. */
typedef struct
{
  const char *origin;
  const char *base_dir;
  GKeyFile   *keyfile;
  GHashTable *programs;   /* (element-type utf8 filename): argv[0] -> the file it runs */
} Parser;

static void G_GNUC_PRINTF (6, 7)
set_error (GError       **error,
           const Parser  *parser,
           const char    *group,
           const char    *key,
           GKeyFileError  code,
           const char    *format,
           ...)
{
  g_autofree char *problem = NULL;
  va_list args;

  va_start (args, format);
  problem = g_strdup_vprintf (format, args);
  va_end (args);

  if (key != NULL)
    g_set_error (error, G_KEY_FILE_ERROR, code, "%s: [%s] %s: %s",
                 parser->origin, group, key, problem);
  else
    g_set_error (error, G_KEY_FILE_ERROR, code, "%s: [%s]: %s",
                 parser->origin, group, problem);
}

const char *
bgsd_service_type_to_string (BgsdServiceType type)
{
  static const char * const names[] = { "exec", "timer", "clock", "module" };

  return names[type];
}

static void
service_config_free (gpointer data)
{
  BgsdServiceConfig *service = data;

  g_free (service->name);
  g_free (service->group);
  g_clear_pointer (&service->command, bgsd_command_unref);
  g_free (service->module_path);
  g_free (service->fingerprint);
  g_free (service);
}

void
bgsd_config_free (BgsdConfig *config)
{
  if (config == NULL)
    return;

  g_free (config->origin);
  g_clear_pointer (&config->keyfile, g_key_file_unref);
  g_free (config->bus_name);
  g_array_unref (config->control_uids);
  g_array_unref (config->control_gids);
  g_hash_table_unref (config->by_name);
  g_ptr_array_unref (config->services);
  g_free (config);
}

const BgsdServiceConfig *
bgsd_config_lookup (const BgsdConfig *config,
                    const char       *name)
{
  return g_hash_table_lookup (config->by_name, name);
}

/* ---- duplicates ------------------------------------------------------ */

/*
 * GKeyFile merges a group that appears twice and keeps the last of a key
 * set twice, silently. An operator who wrote either most likely made a
 * mistake, so the raw text is scanned for them first.
 */
static gboolean
check_no_duplicates (const Parser  *parser,
                     const char    *data,
                     GError       **error)
{
  g_auto(GStrv) lines = g_strsplit (data, "\n", -1);
  g_autoptr(GHashTable) groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *group = NULL;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = g_strstrip (lines[i]);
      const char *equals;

      if (*line == '\0' || *line == '#')
        continue;

      if (*line == '[' && g_str_has_suffix (line, "]"))
        {
          g_free (group);
          group = g_strndup (line + 1, strlen (line) - 2);
          if (!g_hash_table_add (groups, g_strdup (group)))
            {
              set_error (error, parser, group, NULL, G_KEY_FILE_ERROR_GROUP_NOT_FOUND,
                         "the group appears twice (line %u); merge the two", i + 1);
              return FALSE;
            }
          g_hash_table_remove_all (keys);
          continue;
        }

      equals = strchr (line, '=');
      if (group != NULL && equals != NULL)
        {
          g_autofree char *key = g_strstrip (g_strndup (line, (gsize) (equals - line)));

          if (!g_hash_table_add (keys, g_strdup (key)))
            {
              set_error (error, parser, group, key, G_KEY_FILE_ERROR_INVALID_VALUE,
                         "set twice (line %u); keep one", i + 1);
              return FALSE;
            }
        }
    }

  return TRUE;
}

/* ---- values ---------------------------------------------------------- */

static gboolean
has_key (const Parser *parser,
         const char   *group,
         const char   *key)
{
  return g_key_file_has_key (parser->keyfile, group, key, NULL);
}

/* What a `…Sec=` key may hold besides spans above 0. */
typedef enum {
  SPAN_ABOVE_ZERO       = 0,
  SPAN_ZERO_ALLOWED     = 1 << 0,
  SPAN_INFINITY_ALLOWED = 1 << 1,  /* read as BGSD_TIMEOUT_INFINITE */
} SpanRules;

/* The longest finite span in milliseconds (about 49.7 days): a guint
 * holds one more, BGSD_TIMEOUT_INFINITE. */
#define MAX_SPAN_MS (BGSD_TIMEOUT_INFINITE - 1)

#define INFINITY_HINT "; “infinity” is allowed too"

/*
 * Reads a `…Sec=` key: a time span as systemd writes one ("1.5", "250ms",
 * "1min 30s"; see bgsd-timespan.c), in milliseconds. A span that is not a
 * whole number of milliseconds is rounded up: no wait is shorter than
 * written, and no span above 0 becomes 0. Spans longer than MAX_SPAN_MS
 * are refused, not cut short.
 */
static gboolean
read_span (const Parser  *parser,
           const char    *group,
           const char    *key,
           SpanRules      rules,
           guint         *out_ms,
           GError       **error)
{
  g_autofree char *raw = g_key_file_get_value (parser->keyfile, group, key, NULL);
  g_autoptr(GError) local = NULL;
  gboolean allow_infinity = (rules & SPAN_INFINITY_ALLOWED) != 0;
  guint64 usec, ms;

  g_strstrip (raw);
  if (!bgsd_timespan_parse (raw, allow_infinity, &usec, &local))
    {
      set_error (error, parser, group, key, G_KEY_FILE_ERROR_INVALID_VALUE,
                 "“%s” is not a time span: %s%s", raw, local->message,
                 allow_infinity ? INFINITY_HINT : "");
      return FALSE;
    }

  if (usec == BGSD_TIMESPAN_INFINITY)
    {
      *out_ms = BGSD_TIMEOUT_INFINITE;
      return TRUE;
    }

  if (usec == 0 && !(rules & SPAN_ZERO_ALLOWED))
    {
      set_error (error, parser, group, key, G_KEY_FILE_ERROR_INVALID_VALUE,
                 "“%s” is zero; give a span above 0, like 1s or 500ms", raw);
      return FALSE;
    }

  ms = usec / 1000 + (usec % 1000 != 0 ? 1 : 0);
  if (ms > MAX_SPAN_MS)
    {
      set_error (error, parser, group, key, G_KEY_FILE_ERROR_INVALID_VALUE,
                 "“%s” is too long; the longest span is %ums (about 49 days)%s",
                 raw, MAX_SPAN_MS, allow_infinity ? INFINITY_HINT : "");
      return FALSE;
    }

  *out_ms = (guint) ms;
  return TRUE;
}

static gboolean
read_boolean (const Parser  *parser,
              const char    *group,
              const char    *key,
              gboolean      *out,
              GError       **error)
{
  g_autoptr(GError) local = NULL;
  gboolean value = g_key_file_get_boolean (parser->keyfile, group, key, &local);

  if (local != NULL)
    {
      g_autofree char *raw = g_key_file_get_value (parser->keyfile, group, key, NULL);

      set_error (error, parser, group, key, G_KEY_FILE_ERROR_INVALID_VALUE,
                 "“%s” is not a boolean; use true or false", raw);
      return FALSE;
    }

  *out = value;
  return TRUE;
}

static gboolean
read_count (const Parser  *parser,
            const char    *group,
            const char    *key,
            guint          min,
            guint          max,
            guint         *out,
            GError       **error)
{
  g_autofree char *raw = g_key_file_get_value (parser->keyfile, group, key, NULL);
  guint64 value;

  g_strstrip (raw);
  if (!g_ascii_string_to_unsigned (raw, 10, min, max, &value, NULL))
    {
      set_error (error, parser, group, key, G_KEY_FILE_ERROR_INVALID_VALUE,
                 "“%s” is not a whole number from %u to %u", raw, min, max);
      return FALSE;
    }

  *out = (guint) value;
  return TRUE;
}

/* Checks that @program (a path) can be executed. */
static gboolean
check_executable (const Parser  *parser,
                  const char    *group,
                  const char    *program,
                  GError       **error)
{
  if (!g_file_test (program, G_FILE_TEST_IS_EXECUTABLE) ||
      g_file_test (program, G_FILE_TEST_IS_DIR))
    {
      set_error (error, parser, group, "Exec", G_KEY_FILE_ERROR_INVALID_VALUE,
                 "“%s” %s", program,
                 g_file_test (program, G_FILE_TEST_EXISTS)
                   ? "cannot be executed (not an executable file)"
                   : "does not exist");
      return FALSE;
    }

  return TRUE;
}

/*
 * Finds the program @argv0 names, a path as it is, a bare name in PATH,
 * and checks that it can be executed. Returns the file, or NULL. Each
 * program is looked for once per file, however many services run it.
 */
static const char *
find_program (const Parser  *parser,
              const char    *group,
              const char    *argv0,
              GError       **error)
{
  const char *known = g_hash_table_lookup (parser->programs, argv0);
  g_autofree char *program = NULL;

  if (known != NULL)
    return known;

  if (strchr (argv0, '/') != NULL)
    program = g_strdup (argv0);
  else
    program = g_find_program_in_path (argv0);

  if (program == NULL)
    {
      set_error (error, parser, group, "Exec", G_KEY_FILE_ERROR_INVALID_VALUE,
                 "command “%s” is not in PATH (%s); give its full path",
                 argv0, g_getenv ("PATH") != NULL ? g_getenv ("PATH") : "unset");
      return NULL;
    }

  if (!check_executable (parser, group, program, error))
    return NULL;

  known = program;
  g_hash_table_insert (parser->programs, g_strdup (argv0), g_steal_pointer (&program));
  return known;
}

/* Splits a command line the way a shell would, without running one, and
 * finds the program it runs. */
static gboolean
read_command (const Parser       *parser,
              const char         *group,
              BgsdServiceConfig  *service,
              GError            **error)
{
  g_autoptr(GError) local = NULL;
  g_auto(GStrv) words = NULL;
  g_autofree char *line = g_key_file_get_value (parser->keyfile, group, "Exec", NULL);
  const char *program;

  g_strstrip (line);
  if (!g_shell_parse_argv (line, NULL, &words, &local))
    {
      set_error (error, parser, group, "Exec", G_KEY_FILE_ERROR_INVALID_VALUE,
                 "cannot split “%s” into a command: %s (quote as a shell would; "
                 "no shell runs it)", line, local->message);
      return FALSE;
    }

  program = find_program (parser, group, words[0], error);
  if (program == NULL)
    return FALSE;

  service->command = bgsd_command_new (line, words, program);
  return TRUE;
}

static gboolean
read_module_path (const Parser       *parser,
                  const char         *group,
                  BgsdServiceConfig  *service,
                  GError            **error)
{
  g_autofree char *raw = g_key_file_get_value (parser->keyfile, group, "Module", NULL);

  g_strstrip (raw);
  if (*raw == '\0')
    {
      set_error (error, parser, group, "Module", G_KEY_FILE_ERROR_INVALID_VALUE,
                 "is empty; give the path of a shared object");
      return FALSE;
    }

  service->module_path = g_path_is_absolute (raw) ? g_strdup (raw)
                                                  : g_build_filename (parser->base_dir, raw, NULL);
  if (!g_file_test (service->module_path, G_FILE_TEST_IS_REGULAR))
    {
      set_error (error, parser, group, "Module", G_KEY_FILE_ERROR_INVALID_VALUE,
                 "“%s” is not a file", service->module_path);
      return FALSE;
    }

  return TRUE;
}

/* ---- service groups -------------------------------------------------- */

#define ALL_TYPES (1 << BGSD_SERVICE_EXEC | 1 << BGSD_SERVICE_TIMER | \
                   1 << BGSD_SERVICE_CLOCK | 1 << BGSD_SERVICE_MODULE)

/* The keys a service group may hold, and the types each one applies to. */
static const struct {
  const char *key;
  guint       types;  /* bit per BgsdServiceType */
} service_keys[] = {
  { "Type", ALL_TYPES },
  { "AutoStart", ALL_TYPES },
  { "Exec", 1 << BGSD_SERVICE_EXEC | 1 << BGSD_SERVICE_TIMER },
  { "Instances", 1 << BGSD_SERVICE_EXEC },
  { "IntervalSec", 1 << BGSD_SERVICE_TIMER | 1 << BGSD_SERVICE_CLOCK },
  { "TimeoutStopSec", 1 << BGSD_SERVICE_EXEC | 1 << BGSD_SERVICE_TIMER },
  { "Module", 1 << BGSD_SERVICE_MODULE },
  { "Restart", ALL_TYPES },
  { "RestartSec", ALL_TYPES },
  { "RestartMaxDelaySec", ALL_TYPES },
  { "StartLimitBurst", ALL_TYPES },
  { "StartLimitIntervalSec", ALL_TYPES },
};

/* The keys a service of @type takes, for messages: "Type, AutoStart, …". */
static char *
list_keys_of_type (BgsdServiceType type)
{
  GString *list = g_string_new (NULL);

  for (guint k = 0; k < G_N_ELEMENTS (service_keys); k++)
    if (service_keys[k].types & (1u << type))
      g_string_append_printf (list, "%s%s", list->len > 0 ? ", " : "", service_keys[k].key);

  return g_string_free (list, FALSE);
}

static gboolean
read_type (const Parser     *parser,
           const char       *group,
           BgsdServiceType  *type,
           GError          **error)
{
  g_autofree char *raw = g_key_file_get_value (parser->keyfile, group, "Type", NULL);

  if (raw == NULL)
    {
      set_error (error, parser, group, "Type", G_KEY_FILE_ERROR_KEY_NOT_FOUND,
                 "missing; set it to exec, timer, clock or module");
      return FALSE;
    }

  g_strstrip (raw);
  for (BgsdServiceType t = BGSD_SERVICE_EXEC; t <= BGSD_SERVICE_MODULE; t++)
    if (g_str_equal (raw, bgsd_service_type_to_string (t)))
      {
        *type = t;
        return TRUE;
      }

  set_error (error, parser, group, "Type", G_KEY_FILE_ERROR_INVALID_VALUE,
             "“%s” is not a service type; use exec, timer, clock or module", raw);
  return FALSE;
}

/* Rejects keys the daemon does not know (unless a module takes them),
 * and keys of other types. */
static gboolean
check_service_keys (const Parser     *parser,
                    const char       *group,
                    BgsdServiceType   type,
                    GError          **error)
{
  g_auto(GStrv) keys = g_key_file_get_keys (parser->keyfile, group, NULL, NULL);

  for (guint i = 0; keys[i] != NULL; i++)
    {
      guint k;

      for (k = 0; k < G_N_ELEMENTS (service_keys); k++)
        if (g_str_equal (keys[i], service_keys[k].key))
          break;

      if (k == G_N_ELEMENTS (service_keys))
        {
          g_autofree char *known = NULL;

          /* A module reads the keys the daemon does not know. */
          if (type == BGSD_SERVICE_MODULE)
            continue;
          known = list_keys_of_type (type);
          set_error (error, parser, group, keys[i], G_KEY_FILE_ERROR_KEY_NOT_FOUND,
                     "unknown key; a Type=%s service takes %s",
                     bgsd_service_type_to_string (type), known);
          return FALSE;
        }

      if (!(service_keys[k].types & (1u << type)))
        {
          set_error (error, parser, group, keys[i], G_KEY_FILE_ERROR_INVALID_VALUE,
                     "does not apply to a Type=%s service; remove it or change Type",
                     bgsd_service_type_to_string (type));
          return FALSE;
        }
    }

  return TRUE;
}

/* Restart=: systemd's names for the modes bgservice has, which are the
 * nicks of BgsRestartMode. */
static gboolean
read_restart_mode (const Parser    *parser,
                   const char      *group,
                   BgsRestartMode  *out_mode,
                   GError         **error)
{
  g_autofree char *raw = g_key_file_get_value (parser->keyfile, group, "Restart", NULL);
  g_autoptr(GEnumClass) modes = g_type_class_ref (BGS_TYPE_RESTART_MODE);
  GEnumValue *mode;

  g_strstrip (raw);
  mode = g_enum_get_value_by_nick (modes, raw);
  if (mode != NULL)
    {
      *out_mode = mode->value;
      return TRUE;
    }

  set_error (error, parser, group, "Restart", G_KEY_FILE_ERROR_INVALID_VALUE,
             "“%s” is not a restart mode; use " BGS_BUS_RESTART_NO ", " BGS_BUS_RESTART_ON_FAILURE
             " or " BGS_BUS_RESTART_ALWAYS, raw);
  return FALSE;
}

/*
 * Restart=, RestartSec=, RestartMaxDelaySec=, StartLimitBurst= and
 * StartLimitIntervalSec=, which every type takes. Without
 * RestartMaxDelaySec=, restarts wait RestartSec= each time (no backoff).
 */
static gboolean
read_restart_keys (const Parser       *parser,
                   const char         *group,
                   BgsdServiceConfig  *service,
                   GError            **error)
{
  if (has_key (parser, group, "Restart") &&
      !read_restart_mode (parser, group, &service->restart, error))
    return FALSE;

  if (has_key (parser, group, "RestartSec") &&
      !read_span (parser, group, "RestartSec", SPAN_ZERO_ALLOWED,
                  &service->restart_delay_ms, error))
    return FALSE;

  service->restart_max_delay_ms = service->restart_delay_ms;
  if (has_key (parser, group, "RestartMaxDelaySec"))
    {
      if (!read_span (parser, group, "RestartMaxDelaySec", SPAN_ZERO_ALLOWED,
                      &service->restart_max_delay_ms, error))
        return FALSE;
      if (service->restart_max_delay_ms < service->restart_delay_ms)
        {
          g_autofree char *raw = g_key_file_get_value (parser->keyfile, group,
                                                       "RestartMaxDelaySec", NULL);

          set_error (error, parser, group, "RestartMaxDelaySec", G_KEY_FILE_ERROR_INVALID_VALUE,
                     "“%s” is shorter than RestartSec (%ums); it must be at least "
                     "RestartSec's value (or leave it out: then every restart waits RestartSec)",
                     g_strstrip (raw), service->restart_delay_ms);
          return FALSE;
        }
    }

  return (!has_key (parser, group, "StartLimitBurst") ||
          read_count (parser, group, "StartLimitBurst", 0, G_MAXUINT,
                      &service->start_limit_burst, error)) &&
         (!has_key (parser, group, "StartLimitIntervalSec") ||
          read_span (parser, group, "StartLimitIntervalSec", SPAN_ZERO_ALLOWED,
                     &service->start_limit_interval_ms, error));
}

static gboolean
require_key (const Parser  *parser,
             const char    *group,
             const char    *key,
             const char    *why,
             GError       **error)
{
  if (g_key_file_has_key (parser->keyfile, group, key, NULL))
    return TRUE;

  set_error (error, parser, group, key, G_KEY_FILE_ERROR_KEY_NOT_FOUND, "missing; %s", why);
  return FALSE;
}

static int
compare_strings (const void *a,
                 const void *b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

/* Every key and value of @group, sorted, and the program of @command
 * (nullable), which PATH may have changed: two groups with the same
 * fingerprint configure the same service. */
static char *
fingerprint_group (GKeyFile          *keyfile,
                   const char        *group,
                   const BgsdCommand *command)
{
  g_auto(GStrv) keys = g_key_file_get_keys (keyfile, group, NULL, NULL);
  GString *fingerprint = g_string_new (NULL);
  char *copy;

  qsort (keys, g_strv_length (keys), sizeof (char *), compare_strings);
  for (guint i = 0; keys[i] != NULL; i++)
    {
      g_autofree char *value = g_key_file_get_value (keyfile, group, keys[i], NULL);

      g_string_append_printf (fingerprint, "%s=%s\n", keys[i], value);
    }
  /* No key has parentheses in its name. */
  if (command != NULL)
    g_string_append_printf (fingerprint, "(program)=%s\n", command->program);

  /* Kept as long as the service: a copy of its length, not the
   * GString's buffer, which is a power of two. */
  copy = g_strndup (fingerprint->str, fingerprint->len);
  g_string_free (fingerprint, TRUE);
  return copy;
}

static BgsdServiceConfig *
read_service (const Parser  *parser,
              const char    *group,
              GError       **error)
{
  g_autoptr(GError) local = NULL;
  BgsdServiceConfig *service = g_new0 (BgsdServiceConfig, 1);
  gboolean ok;

  service->group = g_strdup (group);
  service->name = g_strdup (group + strlen (SERVICE_GROUP_PREFIX));
  service->auto_start = TRUE;
  service->instances = 1;
  service->interval_ms = 1000;
  service->timeout_stop_ms = 5000;
  service->restart = BGS_RESTART_NO;
  service->restart_delay_ms = 100;
  service->start_limit_burst = 5;
  service->start_limit_interval_ms = 10000;

  if (!bgs_service_name_validate (service->name, &local))
    {
      set_error (error, parser, group, NULL, G_KEY_FILE_ERROR_INVALID_VALUE, "%s", local->message);
      service_config_free (service);
      return NULL;
    }

  ok = read_type (parser, group, &service->type, error) &&
       check_service_keys (parser, group, service->type, error) &&
       (!has_key (parser, group, "AutoStart") ||
        read_boolean (parser, group, "AutoStart", &service->auto_start, error));
  if (!ok)
    {
      service_config_free (service);
      return NULL;
    }

  switch (service->type)
    {
    case BGSD_SERVICE_EXEC:
      ok = require_key (parser, group, "Exec", "a Type=exec service runs a command", error) &&
           read_command (parser, group, service, error) &&
           (!has_key (parser, group, "Instances") ||
            read_count (parser, group, "Instances", 1, 10000, &service->instances, error));
      break;
    case BGSD_SERVICE_TIMER:
      ok = require_key (parser, group, "Exec", "a Type=timer service runs a command", error) &&
           read_command (parser, group, service, error);
      break;
    case BGSD_SERVICE_MODULE:
      ok = require_key (parser, group, "Module", "a Type=module service is made by a module", error) &&
           read_module_path (parser, group, service, error);
      break;
    case BGSD_SERVICE_CLOCK:
      break;
    }

  ok = ok && (!has_key (parser, group, "IntervalSec") ||
              read_span (parser, group, "IntervalSec", SPAN_ABOVE_ZERO,
                         &service->interval_ms, error));
  ok = ok && (!has_key (parser, group, "TimeoutStopSec") ||
              read_span (parser, group, "TimeoutStopSec",
                         SPAN_ZERO_ALLOWED | SPAN_INFINITY_ALLOWED,
                         &service->timeout_stop_ms, error));
  ok = ok && read_restart_keys (parser, group, service, error);

  if (!ok)
    {
      service_config_free (service);
      return NULL;
    }

  service->fingerprint = fingerprint_group (parser->keyfile, group, service->command);
  return service;
}

/* ---- the daemon group ------------------------------------------------- */

/* Splits a list written with spaces, commas or semicolons. */
static GStrv
split_list (const char *raw)
{
  g_auto(GStrv) parts = g_strsplit_set (raw, " \t,;", -1);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; parts[i] != NULL; i++)
    if (*parts[i] != '\0')
      g_strv_builder_add (builder, parts[i]);

  return g_strv_builder_end (builder);
}

static gboolean
parse_id (const char *text,
          guint32    *id)
{
  guint64 value;

  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT32 - 1, &value, NULL))
    return FALSE;

  *id = (guint32) value;
  return TRUE;
}

/* A user (or, with @group, a group) given by name or number. */
static gboolean
resolve_id (const char *text,
            gboolean    group,
            guint32    *id)
{
  struct passwd *user_entry;
  struct group *group_entry;

  if (parse_id (text, id))
    return TRUE;

  if (group)
    {
      group_entry = getgrnam (text);
      if (group_entry != NULL)
        *id = group_entry->gr_gid;
      return group_entry != NULL;
    }

  user_entry = getpwnam (text);
  if (user_entry != NULL)
    *id = user_entry->pw_uid;
  return user_entry != NULL;
}

static gboolean
read_ids (const Parser  *parser,
          const char    *key,
          gboolean       groups,
          GArray        *ids,
          GError       **error)
{
  g_autofree char *raw = g_key_file_get_value (parser->keyfile, "Daemon", key, NULL);
  g_auto(GStrv) names = split_list (raw);

  for (guint i = 0; names[i] != NULL; i++)
    {
      guint32 id;

      if (!resolve_id (names[i], groups, &id))
        {
          set_error (error, parser, "Daemon", key, G_KEY_FILE_ERROR_INVALID_VALUE,
                     "no %s is named “%s”; give a name this system knows, or a number",
                     groups ? "group" : "user", names[i]);
          return FALSE;
        }
      g_array_append_val (ids, id);
    }

  return TRUE;
}

/* MaxPendingCallsPerCaller= and MaxPendingCalls=: how many calls may wait
 * for their answer (see bgs_bus_set_max_pending_calls()). */
static gboolean
read_pending_limits (const Parser  *parser,
                     BgsdConfig    *config,
                     GError       **error)
{
  return (!has_key (parser, "Daemon", "MaxPendingCallsPerCaller") ||
          read_count (parser, "Daemon", "MaxPendingCallsPerCaller", 1, G_MAXINT,
                      &config->max_pending_calls_per_caller, error)) &&
         (!has_key (parser, "Daemon", "MaxPendingCalls") ||
          read_count (parser, "Daemon", "MaxPendingCalls", 1, G_MAXINT,
                      &config->max_pending_calls, error));
}

static gboolean
read_daemon_group (const Parser  *parser,
                   BgsdConfig    *config,
                   GError       **error)
{
  static const char * const known[] = { "BusName", "ControlUsers", "ControlGroups",
                                        "MaxPendingCallsPerCaller", "MaxPendingCalls", NULL };
  g_auto(GStrv) keys = g_key_file_get_keys (parser->keyfile, "Daemon", NULL, NULL);

  for (guint i = 0; keys[i] != NULL; i++)
    if (!g_strv_contains (known, keys[i]))
      {
        set_error (error, parser, "Daemon", keys[i], G_KEY_FILE_ERROR_KEY_NOT_FOUND,
                   "unknown key; [Daemon] takes BusName, ControlUsers, ControlGroups, "
                   "MaxPendingCallsPerCaller and MaxPendingCalls");
        return FALSE;
      }

  if (has_key (parser, "Daemon", "BusName"))
    {
      config->bus_name = g_key_file_get_value (parser->keyfile, "Daemon", "BusName", NULL);
      g_strstrip (config->bus_name);
      if (!g_dbus_is_name (config->bus_name) || g_dbus_is_unique_name (config->bus_name))
        {
          set_error (error, parser, "Daemon", "BusName", G_KEY_FILE_ERROR_INVALID_VALUE,
                     "“%s” is not a well-known D-Bus name (like org.example.Name)",
                     config->bus_name);
          return FALSE;
        }
    }

  return (!has_key (parser, "Daemon", "ControlUsers") ||
          read_ids (parser, "ControlUsers", FALSE, config->control_uids, error)) &&
         (!has_key (parser, "Daemon", "ControlGroups") ||
          read_ids (parser, "ControlGroups", TRUE, config->control_gids, error)) &&
         read_pending_limits (parser, config, error);
}


/* ---- loading --------------------------------------------------------- */

/*
 * GKeyFile quotes a line it cannot read, but says neither where it is nor
 * in which group. Finds the first line that is no group header, setting
 * or comment, and says both.
 */
static void
set_syntax_error (GError       **error,
                  const Parser  *parser,
                  const char    *text,
                  const GError  *key_file_error)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  g_autofree char *group = NULL;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = g_strstrip (lines[i]);

      if (*line == '\0' || *line == '#')
        continue;
      if (*line == '[' && g_str_has_suffix (line, "]"))
        {
          g_free (group);
          group = g_strndup (line + 1, strlen (line) - 2);
          continue;
        }
      if (strchr (line, '=') != NULL && group != NULL)
        continue;

      if (group != NULL)
        g_set_error (error, G_KEY_FILE_ERROR, key_file_error->code,
                     "%s: [%s] line %u: “%s” is neither a [Group] header nor a Key=Value setting",
                     parser->origin, group, i + 1, line);
      else
        g_set_error (error, G_KEY_FILE_ERROR, key_file_error->code,
                     "%s: line %u: “%s” comes before any [Group] header",
                     parser->origin, i + 1, line);
      return;
    }

  g_set_error (error, G_KEY_FILE_ERROR, key_file_error->code, "%s: %s",
               parser->origin, key_file_error->message);
}

/*
 * GKeyFile reads a C string, which a NUL byte ends: what follows would be
 * dropped without a word. So the raw bytes are checked first, NUL bytes
 * and bytes that are not UTF-8 alike, and the first bad one is named by
 * its line and column (in bytes).
 */
static gboolean
check_text (const Parser  *parser,
            const char    *data,
            gsize          length,
            GError       **error)
{
  const char *bad = NULL;
  const char *line_start = data;
  guint line = 1;

  if (g_utf8_validate_len (data, length, &bad))
    return TRUE;

  for (const char *p = data; p < bad; p++)
    if (*p == '\n')
      {
        line++;
        line_start = p + 1;
      }

  if (*bad == '\0')
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_UNKNOWN_ENCODING,
                 "%s: line %u, column %u: a NUL byte; a configuration is text, "
                 "and nothing after it would be read", parser->origin, line,
                 (guint) (bad - line_start) + 1);
  else
    g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_UNKNOWN_ENCODING,
                 "%s: line %u, column %u: byte 0x%02x is not valid UTF-8; "
                 "write the file in UTF-8", parser->origin, line,
                 (guint) (bad - line_start) + 1, (guchar) *bad);
  return FALSE;
}

static BgsdConfig *
config_new (const char *origin)
{
  BgsdConfig *config = g_new0 (BgsdConfig, 1);

  config->origin = g_strdup (origin);
  config->control_uids = g_array_new (FALSE, FALSE, sizeof (guint32));
  config->control_gids = g_array_new (FALSE, FALSE, sizeof (guint32));
  config->max_pending_calls_per_caller = BGS_BUS_DEFAULT_MAX_PENDING_PER_CALLER;
  config->max_pending_calls = BGS_BUS_DEFAULT_MAX_PENDING;
  config->services = g_ptr_array_new_with_free_func (service_config_free);
  config->by_name = g_hash_table_new (g_str_hash, g_str_equal);

  return config;
}

static gboolean
read_groups (const Parser  *parser,
             BgsdConfig    *config,
             GError       **error)
{
  g_auto(GStrv) groups = g_key_file_get_groups (parser->keyfile, NULL);

  for (guint i = 0; groups[i] != NULL; i++)
    {
      if (g_str_equal (groups[i], "Daemon"))
        {
          if (!read_daemon_group (parser, config, error))
            return FALSE;
        }
      else if (g_str_has_prefix (groups[i], SERVICE_GROUP_PREFIX))
        {
          BgsdServiceConfig *service = read_service (parser, groups[i], error);

          if (service == NULL)
            return FALSE;
          g_ptr_array_add (config->services, service);
          g_hash_table_insert (config->by_name, service->name, service);
        }
      else
        {
          set_error (error, parser, groups[i], NULL, G_KEY_FILE_ERROR_GROUP_NOT_FOUND,
                     "unknown group; use [Daemon] or [Service NAME]");
          return FALSE;
        }
    }

  return TRUE;
}

static gboolean
has_module_service (const BgsdConfig *config)
{
  for (guint i = 0; i < config->services->len; i++)
    if (((BgsdServiceConfig *) config->services->pdata[i])->type == BGSD_SERVICE_MODULE)
      return TRUE;
  return FALSE;
}

/*
 * Reads a configuration from @data. @origin names it in errors, @base_dir
 * anchors relative Module= paths.
 */
BgsdConfig *
bgsd_config_load_data (const char  *data,
                       gsize        length,
                       const char  *origin,
                       const char  *base_dir,
                       GError     **error)
{
  g_autoptr(BgsdConfig) config = config_new (origin);
  g_autoptr(GError) local = NULL;
  g_autofree char *text = NULL;
  /* Kept only when a module service will read its own keys: the daemon
   * keeps what it needs of the others, and a key file costs about a
   * kilobyte per service. */
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autoptr(GHashTable) programs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  Parser parser = { origin, base_dir, keyfile, programs };

  if (!check_text (&parser, data, length, error))
    return NULL;

  text = g_strndup (data, length);
  if (!g_key_file_load_from_data (keyfile, text, (gsize) -1, G_KEY_FILE_NONE, &local))
    {
      set_syntax_error (error, &parser, text, local);
      return NULL;
    }

  if (!check_no_duplicates (&parser, text, error) || !read_groups (&parser, config, error))
    return NULL;

  if (has_module_service (config))
    config->keyfile = g_steal_pointer (&keyfile);
  return g_steal_pointer (&config);
}

BgsdConfig *
bgsd_config_load_file (const char  *path,
                       GError     **error)
{
  g_autoptr(GError) local = NULL;
  g_autofree char *data = NULL;
  g_autofree char *absolute = g_canonicalize_filename (path, NULL);
  g_autofree char *base_dir = g_path_get_dirname (absolute);
  gsize length;

  if (!g_file_get_contents (path, &data, &length, &local))
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_NOT_FOUND,
                   "%s: cannot read the configuration: %s", path, local->message);
      return NULL;
    }

  return bgsd_config_load_data (data, length, path, base_dir, error);
}

/* The configuration built into the daemon, for machines without a file. */
BgsdConfig *
bgsd_config_load_default (GError **error)
{
  g_autoptr(GBytes) bytes = g_resources_lookup_data (DEFAULT_CONFIG_RESOURCE,
                                                     G_RESOURCE_LOOKUP_FLAGS_NONE, error);
  gsize length;
  const char *data;

  if (bytes == NULL)
    return NULL;

  data = g_bytes_get_data (bytes, &length);
  return bgsd_config_load_data (data, length, "(built-in default configuration)", "/", error);
}
