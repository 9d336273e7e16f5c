/* SPDX-License-Identifier: MIT */
/* bgs-service-guard.h: scoped use of a service, the `async with` of C.
 *
 *   g_autoptr (BgsServiceGuard) guard = bgs_service_guard_new (service);
 *
 * starts the service, and stops it when the guard goes out of scope.
 */
#pragma once

#include "bgs-service.h"

G_BEGIN_DECLS

/**
 * BgsServiceGuard:
 *
 * Keeps a service started for as long as the guard lives. Opaque.
 *
 * Since: 0.1
 */
typedef struct _BgsServiceGuard BgsServiceGuard;

BGS_AVAILABLE_IN_ALL G_GNUC_WARN_UNUSED_RESULT
BgsServiceGuard *bgs_service_guard_new  (BgsService       *service);
BGS_AVAILABLE_IN_ALL
gboolean         bgs_service_guard_end  (BgsServiceGuard  *guard,
                                         GError          **error);
BGS_AVAILABLE_IN_ALL
void             bgs_service_guard_free (BgsServiceGuard  *guard);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BgsServiceGuard, bgs_service_guard_free)

G_END_DECLS
