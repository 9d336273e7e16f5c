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
  sd_bus_slot  *slots[5];         /* (owned): vtables, enumerator, object manager, path guard */
  gulong        added_handler;
  gulong        removed_handler;
  GArray       *allowed_uids;     /* (element-type guint32) */
  GArray       *allowed_gids;     /* (element-type guint32) */
  char         *refusal;          /* (owned) (nullable): why changes are refused */
  GQueue        changed;          /* (element-type BgsExportedService): properties to announce */
  GQueue        ended;            /* (element-type RunWatch): runs ended, to deliver */
  GSource      *flush_source;     /* (owned) (nullable) */

  /* bgs-bus-callers.c: who waits for what. */
  GHashTable   *callers;          /* (element-type utf8 BgsCaller) (owned): with pending calls */
  guint         n_pending;        /* pending calls of every caller */
  guint         max_pending_per_caller;
  guint         max_pending;

  /* bgs-bus-pending.c: answers waiting for room in sd-bus's queue. */
  GQueue        outbox;           /* (element-type BgsPendingCall): answers sd-bus had no room for */
  GSource      *outbox_source;    /* (owned) (nullable): sends them once there is room */
  guint64       outbox_full_at;   /* sd-bus's queue length when it last refused one */

  /* bgs-bus-replies.c: answers lost. */
  guint32       lost_replies;     /* answers that could not be sent, ever */
  gboolean      lost_replies_changed;  /* LostReplies to announce */
  gint64        lost_logged_at;   /* monotonic µs of the last line about a lost answer */
  guint32       lost_unlogged;    /* lost since that line, not named in a line */
};

/* bgs-bus.c: an export on a peer-to-peer connection (the fuzz tests'). */
BgsBus  *bgs_bus_new_for_peer_fd     (BgsManager     *manager,
                                      int             fd,
                                      GError        **error);

/* bgs-bus-access.c: who may change state, decided in one place. */
gboolean bgs_bus_authorize           (BgsBus         *self,
                                      sd_bus_message *call,
                                      sd_bus_error   *error);

/* bgs-bus-errors.c: GError groups on the wire, as a(ssis). */
int      bgs_bus_append_error_list   (sd_bus_message *message,
                                      const GError   *group,
                                      gboolean        by_service);
int      bgs_bus_new_error_list_reply (sd_bus_message  *call,
                                       const GError    *error,
                                       sd_bus_message **reply);
int      bgs_bus_reply_error_list    (BgsBus         *bus,
                                      sd_bus_message *call,
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
typedef struct _BgsRunWatch BgsRunWatch;

typedef void (*BgsRunEndFunc) (BgsService   *service,
                               const GError *failures,
                               gpointer      user_data);

gboolean     bgs_bus_service_in_run   (BgsService     *service);
BgsRunWatch *bgs_bus_watch_run_end    (BgsBus         *bus,
                                       BgsService     *service,
                                       BgsRunEndFunc   func,
                                       gpointer        user_data,
                                       GDestroyNotify  destroy);
void         bgs_run_watch_cancel     (BgsRunWatch    *watch);
void         bgs_bus_deliver_run_ends (BgsBus         *bus);

/* bgs-bus-manager-iface.c and bgs-bus-service-iface.c: the vtables. */
int      bgs_bus_add_manager_iface   (BgsBus *self,
                                      sd_bus_slot **slot);
void     bgs_bus_announce_manager_changes (BgsBus *self);
int      bgs_bus_add_service_iface   (BgsBus *self,
                                      sd_bus_slot **vtable_slot,
                                      sd_bus_slot **enumerator_slot);

/* bgs-bus-pending.c: a method call answered when an operation ends, and
 * the answers that wait for room in sd-bus's outgoing queue. */
typedef struct _BgsPendingCall BgsPendingCall;

/* Who may make a call that waits: anyone (Wait), or only a caller allowed
 * to change state (Stop, Restart, StopAll), for whom places are kept. */
typedef enum
{
  BGS_CALLER_ANYONE,
  BGS_CALLER_ALLOWED,
} BgsCallerRight;

BgsPendingCall *bgs_pending_call_new      (BgsBus         *bus,
                                           sd_bus_message *call,
                                           BgsCallerRight  right,
                                           sd_bus_error   *error);
BgsBus         *bgs_pending_call_get_bus  (BgsPendingCall *self);
void            bgs_pending_call_on_drop  (BgsPendingCall *self,
                                           GDestroyNotify  drop,
                                           gpointer        data);
void            bgs_pending_call_finish   (BgsPendingCall *self,
                                           const GError   *failures);
void            bgs_pending_call_fail     (BgsPendingCall *self,
                                           const char     *name,
                                           const char     *format,
                                           ...) G_GNUC_PRINTF (3, 4);
void            bgs_pending_call_free     (BgsPendingCall *self);
void            bgs_pending_call_left     (BgsPendingCall *self);
void            bgs_bus_outbox_clear      (BgsBus         *bus);

/* bgs-bus-callers.c: pending calls by caller, their limits, callers that
 * leave the bus. */
typedef struct _BgsCaller BgsCaller;

BgsCaller *bgs_bus_callers_admit       (BgsBus         *bus,
                                        const char     *sender,
                                        BgsCallerRight  right,
                                        GList          *link,
                                        sd_bus_error   *error);
void       bgs_bus_callers_release     (BgsBus         *bus,
                                        BgsCaller      *caller,
                                        GList          *link);
void       bgs_bus_callers_init        (BgsBus         *bus);
void       bgs_bus_callers_clear       (BgsBus         *bus);

/* bgs-bus-replies.c: answers sent at once; those that cannot be sent are
 * counted and logged. */
int        bgs_bus_try_send_reply      (BgsBus         *bus,
                                        sd_bus_message *reply);
int        bgs_bus_send_reply          (BgsBus         *bus,
                                        sd_bus_message *call,
                                        sd_bus_message *reply);
int        bgs_bus_reply_empty         (BgsBus         *bus,
                                        sd_bus_message *call);
void       bgs_bus_count_lost_reply    (BgsBus         *bus,
                                        sd_bus_message *call,
                                        int             negative_errno);

/* bgs-bus-path-guard.c: calls on paths longer than any object's refused
 * before sd-bus looks for an object. */
int        bgs_bus_add_path_guard      (BgsBus         *self,
                                        sd_bus_slot   **slot);

G_END_DECLS
