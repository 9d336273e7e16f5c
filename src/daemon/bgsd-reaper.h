/* SPDX-License-Identifier: MIT */
/* bgsd-reaper.h: following the daemon's commands until they are reaped. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _BgsdReaperWatch BgsdReaperWatch;

/**
 * BgsdReaperFunc:
 * @code: how the process ended: CLD_EXITED, CLD_KILLED or CLD_DUMPED
 * @status: the exit status, or the signal that killed it
 * @user_data: the data given to bgsd_reaper_watch()
 *
 * Called once the process has ended, before it is reaped: its PID, and so
 * its process group, still cannot be reused. The watch is gone afterwards.
 */
typedef void (*BgsdReaperFunc) (int      code,
                                int      status,
                                gpointer user_data);

BgsdReaperWatch *bgsd_reaper_watch  (GPid              pid,
                                     BgsdReaperFunc    func,
                                     gpointer          user_data,
                                     GError          **error);
void             bgsd_reaper_forget (BgsdReaperWatch  *watch);

G_END_DECLS
