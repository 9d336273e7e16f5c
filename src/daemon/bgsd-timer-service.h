/* SPDX-License-Identifier: MIT */
/* bgsd-timer-service.h: Type=timer, a command run every IntervalSec=. */
#pragma once

#include "bgsd-config.h"

G_BEGIN_DECLS

#define BGSD_TYPE_TIMER_SERVICE (bgsd_timer_service_get_type ())
G_DECLARE_FINAL_TYPE (BgsdTimerService, bgsd_timer_service, BGSD, TIMER_SERVICE, BgsService)

BgsService *bgsd_timer_service_new (const BgsdServiceConfig *config);

G_END_DECLS
