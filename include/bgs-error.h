/* SPDX-License-Identifier: MIT */
/* bgs-error.h: the BGS_ERROR domain and aggregated task errors.
 *
 * BGS_ERROR is an extended GError domain: an error with the code
 * BGS_ERROR_TASKS_FAILED carries the list of the errors it groups, which
 * g_error_copy() copies and g_error_free() frees with it.
 */
#pragma once

#include "bgs-macros.h"

G_BEGIN_DECLS

/**
 * BGS_ERROR:
 *
 * The error domain of bgservice. Its string (as g_quark_to_string() gives
 * it, and as it appears on D-Bus) is `BgsError`.
 *
 * Since: 0.1
 */
#define BGS_ERROR (bgs_error_quark ())

/**
 * BgsError:
 * @BGS_ERROR_FAILED: a failure that fits no other code.
 * @BGS_ERROR_TASKS_FAILED: one or more tasks failed; the grouped errors are
 *   in bgs_error_get_errors(), the names of what failed in
 *   bgs_error_get_names().
 * @BGS_ERROR_NOT_FOUND: no service has the name that was asked for.
 * @BGS_ERROR_EXISTS: a service with that name already exists.
 * @BGS_ERROR_INVALID_ARGUMENT: an argument (a name, a setting) is not valid.
 * @BGS_ERROR_ACCESS_DENIED: the caller may not do this.
 * @BGS_ERROR_TIMED_OUT: the operation took longer than it was allowed.
 *
 * Error codes of the %BGS_ERROR domain.
 *
 * Since: 0.1
 */
typedef enum {
  BGS_ERROR_FAILED,
  BGS_ERROR_TASKS_FAILED,
  BGS_ERROR_NOT_FOUND,
  BGS_ERROR_EXISTS,
  BGS_ERROR_INVALID_ARGUMENT,
  BGS_ERROR_ACCESS_DENIED,
  BGS_ERROR_TIMED_OUT,
} BgsError;

BGS_AVAILABLE_IN_ALL
GQuark              bgs_error_quark      (void);
BGS_AVAILABLE_IN_ALL
GPtrArray          *bgs_error_get_errors (const GError *error);
BGS_AVAILABLE_IN_ALL
const char * const *bgs_error_get_names  (const GError *error);

G_END_DECLS
