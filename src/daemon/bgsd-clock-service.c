/* SPDX-License-Identifier: MIT */
/* bgsd-clock-service.c: Type=clock, the time logged every IntervalSec=.
 *
 * The clock example of Python's BackgroundService, as a daemon service:
 * one periodic task that logs the local time. Useful to see that the
 * daemon is alive.
 */
#include "config.h"

#include "bgsd-clock-service.h"

struct _BgsdClockService
{
  BgsService parent_instance;

  guint      interval_ms;
};

G_DEFINE_FINAL_TYPE (BgsdClockService, bgsd_clock_service, BGS_TYPE_SERVICE)

static gboolean
log_time (BgsService  *service,
          gpointer     user_data,
          GError     **error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *text = g_date_time_format (now, "%Y-%m-%d %H:%M:%S %Z");

  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE,
                    "BGS_SERVICE", bgs_service_get_name (service),
                    "MESSAGE", "%s: the time is %s", bgs_service_get_name (service), text);
  return TRUE;
}

static void
bgsd_clock_service_start (BgsService *service)
{
  BgsdClockService *self = BGSD_CLOCK_SERVICE (service);

  bgs_service_spawn_periodic (service, "clock", self->interval_ms, log_time, NULL, NULL);
}

static void
bgsd_clock_service_class_init (BgsdClockServiceClass *klass)
{
  BGS_SERVICE_CLASS (klass)->start = bgsd_clock_service_start;
}

static void
bgsd_clock_service_init (BgsdClockService *self)
{
}

BgsService *
bgsd_clock_service_new (const BgsdServiceConfig *config)
{
  BgsdClockService *self = g_object_new (BGSD_TYPE_CLOCK_SERVICE, "name", config->name, NULL);

  self->interval_ms = config->interval_ms;
  return BGS_SERVICE (self);
}
