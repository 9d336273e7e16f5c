/* SPDX-License-Identifier: MIT */
/* bgsd-spawn.h: starting a process with vfork and exec, as the daemon's commands start. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

void  bgsd_spawn_init            (void);
void  bgsd_spawn_default_signal  (int                  signal_number);
GPid  bgsd_spawn_process         (const char          *program,
                                  const char * const  *argv,
                                  const int           *fds,
                                  guint                n_fds,
                                  GError             **error);

G_END_DECLS
