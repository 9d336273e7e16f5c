/* SPDX-License-Identifier: MIT */
/* bgs-failure.h: BgsFailure, one failure of a run as plain values.
 *
 * A BGS_ERROR_TASKS_FAILED group keeps its failures in the GError's private
 * data, which language bindings cannot reach: they see a GError's domain,
 * code and message only. BgsFailure carries one failure (the service and
 * task it came from, the error's domain, code and message) as values any
 * language can read; bgs_service_get_last_failures() hands them out.
 */
#pragma once

#include <glib-object.h>

#include "bgs-macros.h"

G_BEGIN_DECLS

typedef struct _BgsFailure BgsFailure;

#define BGS_TYPE_FAILURE (bgs_failure_get_type ())
BGS_AVAILABLE_IN_ALL
GType        bgs_failure_get_type    (void) G_GNUC_CONST;

BGS_AVAILABLE_IN_ALL
BgsFailure  *bgs_failure_ref         (BgsFailure       *self);
BGS_AVAILABLE_IN_ALL
void         bgs_failure_unref       (BgsFailure       *self);

BGS_AVAILABLE_IN_ALL
const char  *bgs_failure_get_service (const BgsFailure *self);
BGS_AVAILABLE_IN_ALL
const char  *bgs_failure_get_task    (const BgsFailure *self);
BGS_AVAILABLE_IN_ALL
const char  *bgs_failure_get_domain  (const BgsFailure *self);
BGS_AVAILABLE_IN_ALL
int          bgs_failure_get_code    (const BgsFailure *self);
BGS_AVAILABLE_IN_ALL
const char  *bgs_failure_get_message (const BgsFailure *self);
BGS_AVAILABLE_IN_ALL G_GNUC_WARN_UNUSED_RESULT
GError      *bgs_failure_to_error    (const BgsFailure *self);

BGS_AVAILABLE_IN_ALL G_GNUC_WARN_UNUSED_RESULT
GPtrArray   *bgs_error_list_failures (const GError     *error,
                                      const char       *service);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BgsFailure, bgs_failure_unref)

G_END_DECLS
