/* SPDX-License-Identifier: MIT */
/* ctl-exit.c: how the outcomes of several service names add up to one exit
 * status.
 *
 * The most severe outcome wins, in this order:
 *
 *   2 (usage, connection, permission)  the request could not be made at all
 *   4 (no such service)                the request named something wrong
 *   1 (a task failed)                  the request was done; tasks failed
 *   3 (status: not running)            a fact, not a failure
 *   0 (success)
 *
 * So `bgservicectl stop a nosuch` exits 4 even when a's tasks failed (their
 * errors are printed all the same), and a script that sees 1 knows that
 * every name was valid and reached.
 */
#include "config.h"

#include "ctl-exit.h"

G_DEFINE_QUARK (bgservicectl-error-quark, ctl_error)

static int
severity (CtlExit status)
{
  switch (status)
    {
    case CTL_EXIT_SUCCESS:
      return 0;
    case CTL_EXIT_NOT_RUNNING:
      return 1;
    case CTL_EXIT_TASKS_FAILED:
      return 2;
    case CTL_EXIT_NO_SUCH_SERVICE:
      return 3;
    case CTL_EXIT_FAILURE:
    default:
      return 4;
    }
}

/* The more severe of two outcomes (see the order at the top of the file). */
CtlExit
ctl_exit_worse (CtlExit a,
                CtlExit b)
{
  return severity (b) > severity (a) ? b : a;
}

/* The exit status an error leads to: 4 for CTL_ERROR_NO_SUCH_SERVICE,
 * 2 for any other error, 0 for none. */
CtlExit
ctl_exit_from_error (const GError *error)
{
  if (error == NULL)
    return CTL_EXIT_SUCCESS;
  if (g_error_matches (error, CTL_ERROR, CTL_ERROR_NO_SUCH_SERVICE))
    return CTL_EXIT_NO_SUCH_SERVICE;

  return CTL_EXIT_FAILURE;
}
