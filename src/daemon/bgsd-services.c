/* SPDX-License-Identifier: MIT */
/* bgsd-services.c: a service from its configuration, whatever its type. */
#include "config.h"

#include "bgsd-clock-service.h"
#include "bgsd-exec-service.h"
#include "bgsd-module.h"
#include "bgsd-services.h"
#include "bgsd-timer-service.h"

static BgsService *
create_by_type (const BgsdConfig        *config,
                const BgsdServiceConfig *service,
                GError                 **error)
{
  switch (service->type)
    {
    case BGSD_SERVICE_EXEC:
      return bgsd_exec_service_new (service);
    case BGSD_SERVICE_TIMER:
      return bgsd_timer_service_new (service);
    case BGSD_SERVICE_CLOCK:
      return bgsd_clock_service_new (service);
    case BGSD_SERVICE_MODULE:
      return bgsd_module_create_service (config, service, error);
    }

  g_assert_not_reached ();
}

/* The service of a [Service] group, with the group's restart policy. */
BgsService *
bgsd_service_create (const BgsdConfig        *config,
                     const BgsdServiceConfig *service,
                     GError                 **error)
{
  BgsService *created = create_by_type (config, service, error);

  if (created == NULL)
    return NULL;

  bgs_service_set_restart (created, service->restart);
  bgs_service_set_restart_delay_ms (created, service->restart_delay_ms);
  bgs_service_set_restart_max_delay_ms (created, service->restart_max_delay_ms);
  bgs_service_set_start_limit_burst (created, service->start_limit_burst);
  bgs_service_set_start_limit_interval_ms (created, service->start_limit_interval_ms);
  return created;
}

/*
 * Checks what only the modules can: that each Type=module service's module
 * loads, exports its entry point and accepts its keys. The services made
 * are dropped unstarted (a module stays loaded: see bgsd-module.c).
 */
gboolean
bgsd_services_check (const BgsdConfig  *config,
                     GError           **error)
{
  for (guint i = 0; i < config->services->len; i++)
    {
      const BgsdServiceConfig *service = config->services->pdata[i];
      g_autoptr(BgsService) created = NULL;

      if (service->type != BGSD_SERVICE_MODULE)
        continue;

      created = bgsd_module_create_service (config, service, error);
      if (created == NULL)
        return FALSE;
    }

  return TRUE;
}
