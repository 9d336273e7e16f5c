/* SPDX-License-Identifier: MIT */
/* bgs-manager.h: BgsManager, a service made of named services.
 *
 * A manager runs while any member runs; starting, cancelling, waiting for
 * and stopping it does the same to every member, and its error group holds
 * one group per failed member. Managers nest.
 */
#pragma once

#include "bgs-service.h"

G_BEGIN_DECLS

#define BGS_TYPE_MANAGER (bgs_manager_get_type ())

BGS_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (BgsManager, bgs_manager, BGS, MANAGER, BgsService)

BGS_AVAILABLE_IN_ALL G_GNUC_WARN_UNUSED_RESULT
BgsManager *bgs_manager_new    (const char  *name);
BGS_AVAILABLE_IN_ALL
gboolean    bgs_manager_add    (BgsManager  *self,
                                BgsService  *service,
                                GError     **error);
BGS_AVAILABLE_IN_ALL
gboolean    bgs_manager_remove (BgsManager  *self,
                                const char  *name,
                                GError     **error);
BGS_AVAILABLE_IN_ALL
BgsService *bgs_manager_lookup (BgsManager  *self,
                                const char  *name);
BGS_AVAILABLE_IN_ALL G_GNUC_WARN_UNUSED_RESULT
GPtrArray  *bgs_manager_list   (BgsManager  *self);

BGS_AVAILABLE_IN_ALL
gboolean    bgs_service_name_validate (const char  *name,
                                       GError     **error);

G_END_DECLS
