/* SPDX-License-Identifier: MIT */
/* bgs-module.h: the entry point of a bgserviced module.
 *
 * A `Type=module` service of bgserviced is made by a shared object (a
 * GModule) named by `Module=`. The module exports one function, named
 * BGS_MODULE_ENTRY_POINT, of type BgsModuleCreateFunc:
 *
 *   G_MODULE_EXPORT BgsService *
 *   bgs_module_create_service (const char  *name,
 *                              GKeyFile    *config,
 *                              const char  *group,
 *                              GError     **error);
 *
 * The daemon calls it on its main thread every time the service is
 * (re)created from the configuration, and also when it checks a
 * configuration (start-up, reload, --check-config), then drops that
 * service unstarted: creating must not have side effects. The module stays
 * loaded.
 */
#pragma once

#include "bgs-service.h"

G_BEGIN_DECLS

/**
 * BGS_MODULE_ENTRY_POINT:
 *
 * The name of the function a bgserviced module exports.
 *
 * Since: 0.1
 */
#define BGS_MODULE_ENTRY_POINT "bgs_module_create_service"

/**
 * BgsModuleCreateFunc:
 * @name: the service name, from the `[Service NAME]` group; the new
 *   service must carry it as its #BgsService:name
 * @config: the whole configuration file
 * @group: the service's group in @config, to read the module's own keys
 *   from (any key the daemon does not know belongs to the module)
 * @error: return location for an error; use %G_KEY_FILE_ERROR or
 *   %BGS_ERROR_INVALID_ARGUMENT for bad settings, naming the key
 *
 * Creates the service of a `Type=module` group, not started.
 *
 * Returns: (transfer full) (nullable): the service, or %NULL with @error
 *   set.
 *
 * Since: 0.1
 */
typedef BgsService *(*BgsModuleCreateFunc) (const char  *name,
                                            GKeyFile    *config,
                                            const char  *group,
                                            GError     **error);

/**
 * bgs_module_create_service: (skip)
 * @name: see #BgsModuleCreateFunc
 * @config: see #BgsModuleCreateFunc
 * @group: see #BgsModuleCreateFunc
 * @error: see #BgsModuleCreateFunc
 *
 * The entry point itself, declared so that a module's definition is
 * checked against it. The library does not define it: modules do.
 *
 * Returns: (transfer full) (nullable): the service.
 *
 * Since: 0.1
 */
BgsService *bgs_module_create_service (const char  *name,
                                       GKeyFile    *config,
                                       const char  *group,
                                       GError     **error);

G_END_DECLS
