/* SPDX-License-Identifier: MIT */
/* ctl-commands.h: the commands of bgservicectl (list, status, show,
 * start, stop, cancel, restart, wait, is-active, is-failed, reset-failed),
 * each a function of the same shape.
 */
#pragma once

#include <glib.h>

#include "ctl-bus.h"
#include "ctl-exit.h"
#include "ctl-output.h"

G_BEGIN_DECLS

/*
 * CtlCommandOptions: what the command line asks of a command, checked by
 * the caller (which options the command takes, how many names).
 */
typedef struct
{
  const char * const *names;        /* (array zero-terminated=1) the service names given */
  const char         *message;      /* (nullable) --message, for stop, restart and cancel */
  CtlOutputMode       output;       /* --output */
  CtlOutputFlags      flags;        /* --no-legend; colours (a terminal, plain output) */
  gboolean            quiet;        /* --quiet: nothing on standard output but task errors */
  gboolean            all;          /* --all, for start and stop: every service */
  const char * const *properties;   /* (array zero-terminated=1) (nullable) --property, for show */
} CtlCommandOptions;

/*
 * CtlCommandFunc:
 * @bus: the connection to the daemon
 * @options: the names and options given
 * @error: set when the command had to stop early: the daemon cannot be
 *   reached (%CTL_ERROR_UNREACHABLE) or a signal interrupted the wait
 *   (%CTL_ERROR_INTERRUPTED); the error is not printed yet
 *
 * Runs a command. Problems with single names are printed on standard
 * error as they are met and folded into the returned status; the
 * output goes to standard output.
 *
 * Returns: the exit status (ignored when @error is set)
 */
typedef CtlExit (*CtlCommandFunc) (CtlBus                  *bus,
                                   const CtlCommandOptions *options,
                                   GError                 **error);

CtlExit ctl_command_list         (CtlBus *bus, const CtlCommandOptions *options, GError **error);
CtlExit ctl_command_status       (CtlBus *bus, const CtlCommandOptions *options, GError **error);
CtlExit ctl_command_show         (CtlBus *bus, const CtlCommandOptions *options, GError **error);
CtlExit ctl_command_start        (CtlBus *bus, const CtlCommandOptions *options, GError **error);
CtlExit ctl_command_stop         (CtlBus *bus, const CtlCommandOptions *options, GError **error);
CtlExit ctl_command_cancel       (CtlBus *bus, const CtlCommandOptions *options, GError **error);
CtlExit ctl_command_restart      (CtlBus *bus, const CtlCommandOptions *options, GError **error);
CtlExit ctl_command_wait         (CtlBus *bus, const CtlCommandOptions *options, GError **error);
CtlExit ctl_command_is_active    (CtlBus *bus, const CtlCommandOptions *options, GError **error);
CtlExit ctl_command_is_failed    (CtlBus *bus, const CtlCommandOptions *options, GError **error);
CtlExit ctl_command_reset_failed (CtlBus *bus, const CtlCommandOptions *options, GError **error);

G_END_DECLS
