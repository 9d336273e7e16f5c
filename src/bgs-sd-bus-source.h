/* SPDX-License-Identifier: MIT */
/* bgs-sd-bus-source.h: an sd_bus driven by a GMainContext. */
#pragma once

#include <glib.h>
#include <systemd/sd-bus.h>

G_BEGIN_DECLS

/* Told of a message sd-bus could not process while the connection stays
 * open (most often an answer of its own it had no room to send). */
typedef void (*BgsSdBusErrorFunc) (int      negative_errno,
                                   gpointer user_data);

GSource *bgs_sd_bus_source_new            (sd_bus            *bus);
void     bgs_sd_bus_source_set_error_func (GSource           *source,
                                           BgsSdBusErrorFunc  func,
                                           gpointer           user_data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sd_bus, sd_bus_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (sd_bus_message, sd_bus_message_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (sd_bus_slot, sd_bus_slot_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (sd_bus_creds, sd_bus_creds_unref)

G_END_DECLS
