/* SPDX-License-Identifier: MIT */
/* bgservice.h: the only header users of libbgservice-1 include. */
#pragma once

#define BGSERVICE_INSIDE
# include "bgs-version.h"
# include "bgs-error.h"
# include "bgs-failure.h"
# include "bgs-service.h"
# include "bgs-service-task.h"
# include "bgs-service-guard.h"
# include "bgs-manager.h"
# include "bgs-wire.h"
# include "bgs-bus.h"
# include "bgs-module.h"
#undef BGSERVICE_INSIDE
