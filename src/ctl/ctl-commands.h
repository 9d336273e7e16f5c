/* ctl-commands.h: the commands of bgservicectl (list, status, start,
 * stop, restart, wait, is-failed, reset-failed), each a function of the
 * same shape.
 */
#pragma once

#include <glib.h>

#include "ctl-bus.h"
#include "ctl-exit.h"

G_BEGIN_DECLS

/*
 * CtlCommandFunc:
 * @bus: the connection to the daemon
 * @names: (array zero-terminated=1): the service names given, already
 *   checked for number by the caller
 * @message: (nullable): --message, for stop and restart
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
typedef CtlExit (*CtlCommandFunc) (CtlBus             *bus,
                                   const char * const *names,
                                   const char         *message,
                                   GError            **error);

CtlExit ctl_command_list         (CtlBus *bus, const char * const *names, const char *message, GError **error);
CtlExit ctl_command_status       (CtlBus *bus, const char * const *names, const char *message, GError **error);
CtlExit ctl_command_start        (CtlBus *bus, const char * const *names, const char *message, GError **error);
CtlExit ctl_command_stop         (CtlBus *bus, const char * const *names, const char *message, GError **error);
CtlExit ctl_command_restart      (CtlBus *bus, const char * const *names, const char *message, GError **error);
CtlExit ctl_command_wait         (CtlBus *bus, const char * const *names, const char *message, GError **error);
CtlExit ctl_command_is_failed    (CtlBus *bus, const char * const *names, const char *message, GError **error);
CtlExit ctl_command_reset_failed (CtlBus *bus, const char * const *names, const char *message, GError **error);

G_END_DECLS
