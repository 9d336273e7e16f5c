/* SPDX-License-Identifier: MIT */
/* bgsd-module.c: Type=module, services made by shared objects.
 *
 * The module named by Module= is opened with GModule and its
 * BGS_MODULE_ENTRY_POINT (see bgs-module.h) creates the service. A module
 * stays loaded for the life of the daemon: its types cannot be unloaded
 * while objects of them may live.
 */
#include "config.h"

#include <gmodule.h>

#include "bgsd-module.h"

BgsService *
bgsd_module_create_service (const BgsdConfig        *config,
                            const BgsdServiceConfig *service,
                            GError                 **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(BgsService) created = NULL;
  BgsModuleCreateFunc create = NULL;
  GModule *module;

  module = g_module_open (service->module_path, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);
  if (module == NULL)
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "%s: [%s] Module: cannot load “%s”: %s", config->origin, service->group,
                   service->module_path, g_module_error ());
      return NULL;
    }

  if (!g_module_symbol (module, BGS_MODULE_ENTRY_POINT, (gpointer *) &create) || create == NULL)
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "%s: [%s] Module: “%s” does not export %s()", config->origin,
                   service->group, service->module_path, BGS_MODULE_ENTRY_POINT);
      g_module_close (module);
      return NULL;
    }

  g_module_make_resident (module);
  created = create (service->name, config->keyfile, service->group, &local);
  if (created == NULL)
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "%s: [%s] %s", config->origin, service->group,
                   local != NULL ? local->message : "the module created no service");
      return NULL;
    }

  if (!BGS_IS_SERVICE (created))
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "%s: [%s] Module: “%s” returned something that is not a BgsService",
                   config->origin, service->group, service->module_path);
      return NULL;
    }

  if (!g_str_equal (bgs_service_get_name (created), service->name))
    {
      g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                   "%s: [%s] Module: “%s” made a service named “%s”, not “%s”",
                   config->origin, service->group, service->module_path,
                   bgs_service_get_name (created), service->name);
      return NULL;
    }

  return g_steal_pointer (&created);
}
