/* SPDX-License-Identifier: MIT */
/* bgs-error-private.h: building BGS_ERROR_TASKS_FAILED groups. */
#pragma once

#include "bgs-error.h"

G_BEGIN_DECLS

GError   *bgs_error_new_group             (const char *owner,
                                           const char *noun,
                                           GPtrArray  *names,
                                           GPtrArray  *errors,
                                           guint64     n_dropped);

gboolean  bgs_error_is_cancellation       (const GError *error);

G_END_DECLS
