/* SPDX-License-Identifier: MIT */
/* bgsd-deadlines.h: one-shot timed calls, all on one main loop source. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _BgsdDeadline BgsdDeadline;

/**
 * BgsdDeadlineFunc:
 * @user_data: the data given to bgsd_deadline_add()
 *
 * Called once the deadline has passed. The deadline is gone by then:
 * forget its handle, and do not remove it.
 */
typedef void (*BgsdDeadlineFunc) (gpointer user_data);

BgsdDeadline *bgsd_deadline_add    (guint             delay_ms,
                                    BgsdDeadlineFunc  func,
                                    gpointer          user_data);
void          bgsd_deadline_remove (BgsdDeadline     *deadline);

G_END_DECLS
