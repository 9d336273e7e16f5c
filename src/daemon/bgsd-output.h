/* SPDX-License-Identifier: MIT */
/* bgsd-output.h: where the stdout and stderr of a command go. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _BgsdOutput BgsdOutput;

BgsdOutput *bgsd_output_new   (const char  *name,
                               int          child_fds[2],
                               GError     **error);
void        bgsd_output_close (BgsdOutput  *self);
void        bgsd_output_free  (BgsdOutput  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BgsdOutput, bgsd_output_free)

G_END_DECLS
