/* SPDX-License-Identifier: MIT */
/* bgs-hello-module.c: an example bgserviced module.
 *
 * A `Type=module` service is made by a shared object like this one. It
 * exports bgs_module_create_service() (see bgs-module.h), which reads the
 * module's own keys from the service's group and returns a new BgsService.
 * `meson install --prefix=/usr` puts this one with the examples:
 *
 *   [Service greeter]
 *   Type=module
 *   Module=/usr/share/doc/bgservice/examples/module/libbgs-hello-module.so
 *   Greeting=hello from a module     # what to log (required)
 *   PeriodSec=2                      # how often (default 1)
 *   FailAfter=3                      # optional: fail the task on that tick
 */
#include <gmodule.h>
#include <bgservice.h>

/* HelloService: logs a greeting periodically; can fail on purpose, to show
 * how a failure travels to Wait, Stop and the TaskFailed signal. */
#define HELLO_TYPE_SERVICE (hello_service_get_type ())
G_DECLARE_FINAL_TYPE (HelloService, hello_service, HELLO, SERVICE, BgsService)

struct _HelloService
{
  BgsService  parent_instance;

  char       *greeting;
  guint       period_ms;
  guint       fail_after;  /* 0: never */
  guint       ticks;
};

G_DEFINE_FINAL_TYPE (HelloService, hello_service, BGS_TYPE_SERVICE)

static gboolean
greet (BgsService  *service,
       gpointer     user_data,
       GError     **error)
{
  HelloService *self = HELLO_SERVICE (service);

  self->ticks++;
  if (self->fail_after != 0 && self->ticks >= self->fail_after)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "failing on purpose after %u greetings (FailAfter=%u)",
                   self->ticks, self->fail_after);
      return FALSE;
    }

  g_message ("%s: %s (%u)", bgs_service_get_name (service), self->greeting, self->ticks);
  return TRUE;
}

static void
hello_service_start (BgsService *service)
{
  HelloService *self = HELLO_SERVICE (service);

  self->ticks = 0;
  bgs_service_spawn_periodic (service, "greet", self->period_ms, greet, NULL, NULL);
}

static void
hello_service_finalize (GObject *object)
{
  g_free (HELLO_SERVICE (object)->greeting);

  G_OBJECT_CLASS (hello_service_parent_class)->finalize (object);
}

static void
hello_service_class_init (HelloServiceClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hello_service_finalize;
  BGS_SERVICE_CLASS (klass)->start = hello_service_start;
}

static void
hello_service_init (HelloService *self)
{
}

/* The keys of the group that are the module's (the daemon checked its own). */
static gboolean
check_keys (GKeyFile    *config,
            const char  *group,
            GError     **error)
{
  static const char * const known[] = {
    /* The daemon's own keys... */
    "Type", "AutoStart", "Module", "Restart", "RestartSec", "RestartMaxDelaySec",
    "StartLimitBurst", "StartLimitIntervalSec",
    /* ... and the module's. */
    "Greeting", "PeriodSec", "FailAfter", NULL
  };
  g_auto(GStrv) keys = g_key_file_get_keys (config, group, NULL, NULL);

  for (guint i = 0; keys[i] != NULL; i++)
    if (!g_strv_contains (known, keys[i]))
      {
        g_set_error (error, BGS_ERROR, BGS_ERROR_INVALID_ARGUMENT,
                     "%s: unknown key; the hello module takes Greeting, PeriodSec "
                     "and FailAfter", keys[i]);
        return FALSE;
      }

  return TRUE;
}

G_MODULE_EXPORT BgsService *
bgs_module_create_service (const char  *name,
                           GKeyFile    *config,
                           const char  *group,
                           GError     **error)
{
  g_autoptr(GError) local = NULL;
  g_autofree char *greeting = NULL;
  HelloService *self;
  double period = 1;
  gint fail_after = 0;

  if (!check_keys (config, group, error))
    return NULL;

  greeting = g_key_file_get_string (config, group, "Greeting", NULL);
  if (greeting == NULL)
    {
      g_set_error_literal (error, BGS_ERROR, BGS_ERROR_INVALID_ARGUMENT,
                           "Greeting: missing; say what to log");
      return NULL;
    }

  if (g_key_file_has_key (config, group, "PeriodSec", NULL))
    {
      period = g_key_file_get_double (config, group, "PeriodSec", &local);
      if (local != NULL || period <= 0 || period > 86400)
        {
          g_set_error_literal (error, BGS_ERROR, BGS_ERROR_INVALID_ARGUMENT,
                               "PeriodSec: give seconds, above 0 and at most 86400");
          return NULL;
        }
    }

  if (g_key_file_has_key (config, group, "FailAfter", NULL))
    {
      fail_after = g_key_file_get_integer (config, group, "FailAfter", &local);
      if (local != NULL || fail_after < 1)
        {
          g_set_error_literal (error, BGS_ERROR, BGS_ERROR_INVALID_ARGUMENT,
                               "FailAfter: give a whole number of greetings, 1 or more");
          return NULL;
        }
    }

  self = g_object_new (HELLO_TYPE_SERVICE, "name", name, NULL);
  self->greeting = g_steal_pointer (&greeting);
  self->period_ms = MAX (1, (guint) (period * 1000));
  self->fail_after = (guint) fail_after;

  return BGS_SERVICE (self);
}
