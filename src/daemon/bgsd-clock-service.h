/* SPDX-License-Identifier: MIT */
/* bgsd-clock-service.h: Type=clock, the time logged every IntervalSec=. */
#pragma once

#include "bgsd-config.h"

G_BEGIN_DECLS

#define BGSD_TYPE_CLOCK_SERVICE (bgsd_clock_service_get_type ())
G_DECLARE_FINAL_TYPE (BgsdClockService, bgsd_clock_service, BGSD, CLOCK_SERVICE, BgsService)

BgsService *bgsd_clock_service_new (const BgsdServiceConfig *config);

G_END_DECLS
