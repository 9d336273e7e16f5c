/* SPDX-License-Identifier: MIT */
/* bgs-bus-private.h: what the files of the D-Bus export share. */
#pragma once

#include "bgs-bus.h"
#include "bgs-error.h"
#include "bgs-version.h"
#include "bgs-sd-bus-source.h"
#include "bgs-error-private.h"

G_BEGIN_DECLS

typedef struct _BgsExportedService BgsExportedService;

struct _BgsBus
{
  GObject       parent_instance;

  sd_bus       *bus;              /* (owned) */
  GMainContext *context;          /* (owned): where everything runs */
  GSource      *source;           /* (owned) (nullable): drives @bus until it closes */
  BgsManager   *manager;          /* (owned) */
  GHashTable   *exported;         /* (element-type utf8 BgsExportedService) (owned) */
  sd_bus_slot  *slots[4];         /* (owned): vtables, enumerator, object manager */
  gulong        added_handler;
  gulong        removed_handler;
  GArray       *allowed_uids;     /* (element-type guint32) */
  GArray       *allowed_gids;     /* (element-type guint32) */
  char         *refusal;          /* (owned) (nullable): why changes are refused */
  GQueue        changed;          /* (element-type BgsExportedService): properties to announce */
  GQueue        ended;            /* (element-type RunWatch): runs ended, to deliver */
  GSource      *flush_source;     /* (owned) (nullable) */
};

/* bgs-bus-access.c: who may change state, decided in one place. */
gboolean bgs_bus_authorize           (BgsBus         *self,
                                      sd_bus_message *call,
                                      sd_bus_error   *error);

/* bgs-bus-errors.c: GError groups on the wire, as a(ssis). */
int      bgs_bus_append_error_list   (sd_bus_message *message,
                                      const GError   *group,
                                      gboolean        by_service);
void     bgs_bus_reply_error_list    (sd_bus_message *call,
                                      const GError   *error);
int      bgs_bus_set_error_from_errno (GError      **error,
                                       int           negative_errno,
                                       const char   *what);

/* bgs-bus-exported.c: one exported service. */
BgsExportedService *bgs_exported_service_new       (BgsBus             *bus,
                                                    BgsService         *service);
void                bgs_exported_service_free      (BgsExportedService *self);
BgsService         *bgs_exported_service_get_service (BgsExportedService *self);
BgsBus             *bgs_exported_service_get_bus   (BgsExportedService *self);
const char         *bgs_exported_service_get_path  (BgsExportedService *self);
void                bgs_bus_flush_changes          (BgsBus             *self);
void                bgs_bus_schedule_flush         (BgsBus             *self);

/* bgs-bus-run-watch.c: calls answered when a service's run ends. */
typedef void (*BgsRunEndFunc) (BgsService   *service,
                               const GError *failures,
                               gpointer      user_data);

gboolean bgs_bus_service_in_run      (BgsService     *service);
void     bgs_bus_watch_run_end       (BgsBus         *bus,
                                      BgsService     *service,
                                      BgsRunEndFunc   func,
                                      gpointer        user_data);
void     bgs_bus_deliver_run_ends    (BgsBus         *bus);

/* bgs-bus-manager-iface.c and bgs-bus-service-iface.c: the vtables. */
int      bgs_bus_add_manager_iface   (BgsBus *self,
                                      sd_bus_slot **slot);
int      bgs_bus_add_service_iface   (BgsBus *self,
                                      sd_bus_slot **vtable_slot,
                                      sd_bus_slot **enumerator_slot);

/* bgs-bus-pending.c: a method call answered when an operation ends. */
typedef struct _BgsPendingCall BgsPendingCall;

BgsPendingCall *bgs_pending_call_new     (BgsBus         *bus,
                                          sd_bus_message *call);
sd_bus_message *bgs_pending_call_get_message (BgsPendingCall *self);
BgsBus         *bgs_pending_call_get_bus (BgsPendingCall *self);
void            bgs_pending_call_reply_errors (BgsPendingCall *self,
                                               const GError   *error);
void            bgs_pending_call_fail    (BgsPendingCall *self,
                                          const char     *name,
                                          const char     *format,
                                          ...) G_GNUC_PRINTF (3, 4);
void            bgs_pending_call_free    (BgsPendingCall *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BgsPendingCall, bgs_pending_call_free)

G_END_DECLS
