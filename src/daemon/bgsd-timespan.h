/* SPDX-License-Identifier: MIT */
/* bgsd-timespan.h: time spans written as systemd writes them ("1min 30s"). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What bgsd_timespan_parse() gives for "infinity". */
#define BGSD_TIMESPAN_INFINITY G_MAXUINT64

gboolean bgsd_timespan_parse (const char  *text,
                              gboolean     allow_infinity,
                              guint64     *out_usec,
                              GError     **error);

G_END_DECLS
