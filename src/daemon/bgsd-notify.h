/* SPDX-License-Identifier: MIT */
/* bgsd-notify.h: telling systemd what the daemon is doing. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void bgsd_notify_ready     (void);
void bgsd_notify_reloading (void);
void bgsd_notify_stopping  (void);
void bgsd_notify_status    (const char *status);
void bgsd_notify_start_watchdog (void);

G_END_DECLS
