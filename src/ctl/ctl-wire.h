/* SPDX-License-Identifier: MIT */
/* ctl-wire.h: the bgservice D-Bus interface as bgservicectl sees it.
 *
 * The values its replies carry (CtlTaskError, CtlServiceInfo) and the
 * readers that turn reply messages into those values. The names of the
 * interface come from bgs-wire.h, which the library uses too. Nothing here
 * sends anything: see ctl-bus.h.
 */
#pragma once

#include <glib.h>
#include <systemd/sd-bus.h>

#include "bgs-wire.h"

G_BEGIN_DECLS

#define CTL_WIRE_PROPERTIES        "org.freedesktop.DBus.Properties"
#define CTL_WIRE_OBJECT_MANAGER    "org.freedesktop.DBus.ObjectManager"

extern const char * const ctl_wire_states[];

/*
 * CtlProperty: the properties of org.bgservice1.Service this client knows,
 * in the order of data/org.bgservice1.Service.xml (the order `show` prints
 * them in); ctl_wire_property_names[] gives their D-Bus names.
 */
typedef enum
{
  CTL_PROPERTY_NAME,
  CTL_PROPERTY_IS_RUNNING,
  CTL_PROPERTY_N_TASKS,
  CTL_PROPERTY_LAST_ERRORS,
  CTL_PROPERTY_STATE,
  CTL_PROPERTY_STATE_TIMESTAMP,
  CTL_PROPERTY_N_RESTARTS,
  CTL_PROPERTY_RESTART,
  CTL_N_PROPERTIES
} CtlProperty;

extern const char * const ctl_wire_property_names[CTL_N_PROPERTIES + 1];

/*
 * CtlTaskError: one element of an error list, a(ssis) on the wire: what
 * failed (a task of a service), the GError domain as a string, its code
 * and its message.
 */
typedef struct
{
  char   *task;
  char   *domain;
  gint32  code;
  char   *message;
} CtlTaskError;

void ctl_task_error_free (CtlTaskError *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtlTaskError, ctl_task_error_free)

/*
 * CtlServiceInfo: what bgservicectl knows of one service: its properties,
 * from Properties.GetAll or ObjectManager.GetManagedObjects, and its
 * object path; ListServices gives a first name, is_running, n_tasks and
 * path, which the properties replace. What the daemon did not tell keeps
 * its zero value, and its bit of properties_read stays 0: nothing is
 * printed of a service whose State was not read (see
 * ctl_service_info_check_read()).
 */
typedef struct
{
  char       *name;
  char       *path;             /* (nullable) its object path */
  char       *state;            /* (nullable) one of ctl_wire_states, or newer */
  guint64     state_timestamp;  /* µs since the epoch of the last State change; 0: never */
  gboolean    is_running;       /* a run is under way (restarting included) */
  guint32     n_tasks;
  guint32     n_restarts;       /* automatic restarts since the last start by hand */
  char       *restart;          /* (nullable) the policy: "no", "on-failure", "always" */
  GPtrArray  *last_errors;      /* (element-type CtlTaskError) (nullable) of the last run */
  guint       properties_read;  /* bit 1 << CtlProperty for each property GetAll gave */
} CtlServiceInfo;

CtlServiceInfo *ctl_service_info_new        (void);
void            ctl_service_info_free       (CtlServiceInfo *self);
const char     *ctl_service_info_get_state  (const CtlServiceInfo *self);
gboolean        ctl_service_info_check_read (const CtlServiceInfo  *self,
                                             GError               **error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtlServiceInfo, ctl_service_info_free)

/*
 * CtlServiceErrors: the failures of the runs a call ended, for one service:
 * the reply of Stop, Restart or Wait on that service, or its part of the
 * reply of Manager.StopAll.
 */
typedef struct
{
  char      *service;
  GPtrArray *errors;    /* (element-type CtlTaskError) */
} CtlServiceErrors;

CtlServiceErrors *ctl_service_errors_new  (const char *service,
                                           GPtrArray  *errors);
void              ctl_service_errors_free (CtlServiceErrors *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CtlServiceErrors, ctl_service_errors_free)

GPtrArray *ctl_wire_split_by_service (GPtrArray *stop_all_errors);

gboolean ctl_wire_read_task_errors (sd_bus_message  *message,
                                    GPtrArray      **out_errors,
                                    GError         **error);
gboolean ctl_wire_read_services    (sd_bus_message  *message,
                                    GPtrArray      **out_services,
                                    GError         **error);
gboolean ctl_wire_read_path        (sd_bus_message  *message,
                                    char           **out_path,
                                    GError         **error);
gboolean ctl_wire_read_service_properties (sd_bus_message  *message,
                                           CtlServiceInfo  *info,
                                           GError         **error);
gboolean ctl_wire_read_managed_objects    (sd_bus_message  *message,
                                           GPtrArray      **out_services,
                                           GError         **error);

G_END_DECLS
