/* bgs-error-private.h: building BGS_ERROR_TASKS_FAILED groups. */
#pragma once

#include "bgs-error.h"

G_BEGIN_DECLS

/*
 * BgsErrorCollector: the failures gathered between two waits of a service,
 * each with the name of what failed (a task, or a member service), in the
 * order they happened. Empty collectors allocate nothing.
 */
typedef struct
{
  GPtrArray *names;   /* (element-type utf8) (owned) */
  GPtrArray *errors;  /* (element-type GError) (owned) */
} BgsErrorCollector;

void      bgs_error_collector_clear       (BgsErrorCollector *self);
gboolean  bgs_error_collector_is_empty    (const BgsErrorCollector *self);
void      bgs_error_collector_take        (BgsErrorCollector *self,
                                           const char        *name,
                                           GError            *error);
GError   *bgs_error_collector_steal_group (BgsErrorCollector *self,
                                           const char        *owner,
                                           const char        *noun);

gboolean  bgs_error_is_cancellation       (const GError *error);

G_END_DECLS
