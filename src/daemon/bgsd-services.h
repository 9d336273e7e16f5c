/* SPDX-License-Identifier: MIT */
/* bgsd-services.h: a service from its configuration. */
#pragma once

#include "bgsd-config.h"

G_BEGIN_DECLS

BgsService *bgsd_service_create (const BgsdConfig        *config,
                                 const BgsdServiceConfig *service,
                                 GError                 **error);
gboolean    bgsd_services_check (const BgsdConfig        *config,
                                 GError                 **error);

G_END_DECLS
