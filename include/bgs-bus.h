/* SPDX-License-Identifier: MIT */
/* bgs-bus.h: BgsBus, a manager's services on D-Bus.
 *
 * A BgsBus owns an sd-bus connection driven by the thread-default
 * GMainContext and exports a BgsManager on it: the manager at
 * /org/bgservice1 (org.bgservice1.Manager, ObjectManager) and each member at
 * /org/bgservice1/service/<label> (org.bgservice1.Service), members added
 * or removed later included.
 */
#pragma once

#include "bgs-manager.h"
#include "bgs-wire.h"

G_BEGIN_DECLS

#define BGS_TYPE_BUS (bgs_bus_get_type ())

BGS_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (BgsBus, bgs_bus, BGS, BUS, GObject)


BGS_AVAILABLE_IN_ALL G_GNUC_WARN_UNUSED_RESULT
BgsBus     *bgs_bus_new_system      (BgsManager  *manager,
                                     GError     **error);
BGS_AVAILABLE_IN_ALL G_GNUC_WARN_UNUSED_RESULT
BgsBus     *bgs_bus_new_session     (BgsManager  *manager,
                                     GError     **error);
BGS_AVAILABLE_IN_ALL G_GNUC_WARN_UNUSED_RESULT
BgsBus     *bgs_bus_new_for_address (BgsManager  *manager,
                                     const char  *address,
                                     GError     **error);

BGS_AVAILABLE_IN_ALL
gboolean    bgs_bus_request_name    (BgsBus      *self,
                                     const char  *name,
                                     GError     **error);
BGS_AVAILABLE_IN_ALL
gboolean    bgs_bus_release_name    (BgsBus      *self,
                                     const char  *name,
                                     GError     **error);
BGS_AVAILABLE_IN_ALL
const char *bgs_bus_get_unique_name (BgsBus      *self);
BGS_AVAILABLE_IN_ALL
BgsManager *bgs_bus_get_manager     (BgsBus      *self);
BGS_AVAILABLE_IN_ALL
gboolean    bgs_bus_is_connected    (BgsBus      *self);

BGS_AVAILABLE_IN_ALL
void        bgs_bus_allow_uid       (BgsBus      *self,
                                     guint32      uid);
BGS_AVAILABLE_IN_ALL
void        bgs_bus_allow_gid       (BgsBus      *self,
                                     guint32      gid);
BGS_AVAILABLE_IN_ALL
void        bgs_bus_clear_allowed   (BgsBus      *self);
BGS_AVAILABLE_IN_ALL
void        bgs_bus_refuse_changes  (BgsBus      *self,
                                     const char  *reason);

G_END_DECLS
