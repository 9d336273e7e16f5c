/* SPDX-License-Identifier: MIT */
/* bgsd-module.h: Type=module, services made by shared objects. */
#pragma once

#include "bgsd-config.h"

G_BEGIN_DECLS

BgsService *bgsd_module_create_service (const BgsdConfig        *config,
                                        const BgsdServiceConfig *service,
                                        GError                 **error);

G_END_DECLS
