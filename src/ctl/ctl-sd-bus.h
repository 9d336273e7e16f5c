/* SPDX-License-Identifier: MIT */
/* ctl-sd-bus.h: g_autoptr() and g_auto() support for the sd-bus types that
 * bgservicectl holds.
 *
 * sd-bus has its own _cleanup_ macros, but they are not public API; this
 * header teaches GLib's cleanup attributes the sd-bus destructors instead,
 * so that every file of the client frees sd-bus objects the same way it
 * frees GLib ones.
 */
#pragma once

#include <glib.h>
#include <systemd/sd-bus.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sd_bus, sd_bus_flush_close_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (sd_bus_message, sd_bus_message_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (sd_bus_slot, sd_bus_slot_unref)

/* An sd_bus_error lives on the stack: g_auto (sd_bus_error) e = SD_BUS_ERROR_NULL; */
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (sd_bus_error, sd_bus_error_free)
