/* SPDX-License-Identifier: MIT */
/* bgsd-child.h: a command run in its own process group. */
#pragma once

#include <gio/gio.h>

#include "bgsd-command.h"

G_BEGIN_DECLS

typedef struct _BgsdChild BgsdChild;

BgsdChild *bgsd_child_new         (BgsdCommand         *command,
                                   const char          *name,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data);
gboolean   bgsd_child_finish      (BgsdChild           *self,
                                   GAsyncResult        *result,
                                   GError             **error);
void       bgsd_child_terminate   (BgsdChild           *self,
                                   guint                timeout_ms);
void       bgsd_child_free        (BgsdChild           *self);

guint      bgsd_child_kill_all    (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BgsdChild, bgsd_child_free)

G_END_DECLS
