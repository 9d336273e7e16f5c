/* SPDX-License-Identifier: MIT */
/* bgsd-command.c: the command of an exec or timer service.
 *
 * A command is read once, when the configuration is, and kept by a
 * reference: ten thousand services hold one copy each, not one in the
 * configuration and another in the service.
 */
#include "config.h"

#include "bgsd-command.h"

static void
command_clear (gpointer data)
{
  BgsdCommand *self = data;

  g_free (self->line);
  g_strfreev (self->argv);
  g_free (self->program);
}

/* A command that runs @program with @argv (copied: each word to its own
 * length), written as @line. */
BgsdCommand *
bgsd_command_new (const char  *line,
                  char       **argv,
                  const char  *program)
{
  BgsdCommand *self = g_rc_box_new0 (BgsdCommand);

  self->line = g_strdup (line);
  self->argv = g_strdupv (argv);
  self->program = g_strdup (program);
  return self;
}

BgsdCommand *
bgsd_command_ref (BgsdCommand *self)
{
  return g_rc_box_acquire (self);
}

void
bgsd_command_unref (BgsdCommand *self)
{
  g_rc_box_release_full (self, command_clear);
}
