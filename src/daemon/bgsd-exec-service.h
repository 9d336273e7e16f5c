/* SPDX-License-Identifier: MIT */
/* bgsd-exec-service.h: Type=exec, commands that run as tasks. */
#pragma once

#include "bgsd-config.h"

G_BEGIN_DECLS

#define BGSD_TYPE_EXEC_SERVICE (bgsd_exec_service_get_type ())
G_DECLARE_FINAL_TYPE (BgsdExecService, bgsd_exec_service, BGSD, EXEC_SERVICE, BgsService)

BgsService *bgsd_exec_service_new (const BgsdServiceConfig *config);

G_END_DECLS
