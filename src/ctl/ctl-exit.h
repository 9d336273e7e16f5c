/* SPDX-License-Identifier: MIT */
/* ctl-exit.h: the exit statuses of bgservicectl and the error domain that
 * carries them.
 *
 * A command may handle several service names; each outcome is one of the
 * statuses below, and the command exits with the most severe one met (see
 * ctl_exit_worse() for the order).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * CtlExit: the exit statuses of bgservicectl, as its manual page lists them.
 *
 * The numbers are part of the public interface: scripts test them.
 */
typedef enum
{
  CTL_EXIT_SUCCESS         = 0,   /* everything asked was done */
  CTL_EXIT_TASKS_FAILED    = 1,   /* a task failed; its errors were printed */
  CTL_EXIT_FAILURE         = 2,   /* usage, connection or permission error */
  CTL_EXIT_NOT_RUNNING     = 3,   /* status: a named service does not run */
  CTL_EXIT_NO_SUCH_SERVICE = 4,   /* a name names no service */
} CtlExit;

/* is-failed: a named service has not failed. Status 1, as for
 * `systemctl is-failed`; it ranks where CTL_EXIT_TASKS_FAILED does. */
#define CTL_EXIT_NOT_FAILED CTL_EXIT_TASKS_FAILED

/* is-active: a named service is not active (no run under way). Status 3,
 * as for `systemctl is-active`, and as for status of a service that does
 * not run. */
#define CTL_EXIT_NOT_ACTIVE CTL_EXIT_NOT_RUNNING

/*
 * CtlError: errors of bgservicectl itself, in the CTL_ERROR domain. Their
 * messages are ready to be printed after "bgservicectl: " (once escaped:
 * they may quote what the daemon said).
 */
typedef enum
{
  CTL_ERROR_FAILED,           /* this request failed: exit 2, go on with the next name */
  CTL_ERROR_UNREACHABLE,      /* no daemon to talk to: exit 2, stop asking */
  CTL_ERROR_NO_SUCH_SERVICE,  /* exit 4 */
  CTL_ERROR_INTERRUPTED,      /* SIGINT or SIGTERM while waiting for the daemon */
} CtlError;

#define CTL_ERROR (ctl_error_quark ())
GQuark   ctl_error_quark        (void);

CtlExit  ctl_exit_worse         (CtlExit a,
                                 CtlExit b);
CtlExit  ctl_exit_from_error    (const GError *error);

G_END_DECLS
