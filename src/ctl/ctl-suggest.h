/* SPDX-License-Identifier: MIT */
/* ctl-suggest.h: "did you mean …?" for a mistyped command, option or
 * value: the nearest known word by edit distance, when it is near enough.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

guint        ctl_suggest_distance (const char         *a,
                                   const char         *b);
const char  *ctl_suggest_nearest  (const char         *typed,
                                   const char * const *known);

G_END_DECLS
