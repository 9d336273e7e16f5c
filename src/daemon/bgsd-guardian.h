/* SPDX-License-Identifier: MIT */
/* bgsd-guardian.h: a process that kills the commands of a daemon that died. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The argument that runs bgserviced as the guardian: its only one. */
#define BGSD_GUARDIAN_ARG "--guardian"

gboolean bgsd_guardian_start       (GError **error);
void     bgsd_guardian_stop        (void);
guint    bgsd_guardian_add         (GPid     pgid);
void     bgsd_guardian_remove      (guint    slot);
void     bgsd_guardian_spawn_begin (void);
void     bgsd_guardian_spawn_end   (void);

int      bgsd_guardian_main        (void);

G_END_DECLS
