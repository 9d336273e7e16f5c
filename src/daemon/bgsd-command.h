/* SPDX-License-Identifier: MIT */
/* bgsd-command.h: the command of an exec or timer service. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * BgsdCommand: what Exec= says to run, read once with the configuration
 * and shared, never changed, by the configuration, the service and every
 * run of it (a reference each).
 */
typedef struct
{
  char  *line;     /* Exec= as written, for messages */
  char **argv;     /* the line split as a shell would; argv[0] as written */
  char  *program;  /* the file executed: argv[0], found in PATH when the line was read */
} BgsdCommand;

BgsdCommand *bgsd_command_new   (const char        *line,
                                 char             **argv,
                                 const char        *program);
BgsdCommand *bgsd_command_ref   (BgsdCommand       *self);
void         bgsd_command_unref (BgsdCommand       *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BgsdCommand, bgsd_command_unref)

G_END_DECLS
