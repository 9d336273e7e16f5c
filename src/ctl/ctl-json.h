/* SPDX-License-Identifier: MIT */
/* ctl-json.h: bgservicectl's JSON output (--output=json, json-pretty).
 *
 * The schema is described atop ctl-json.c and in the README; the
 * formatters write into a GString, so that tests can parse it back.
 */
#pragma once

#include <glib.h>

#include "ctl-output.h"
#include "ctl-wire.h"

G_BEGIN_DECLS

void ctl_json_format_services       (GString            *out,
                                     GPtrArray          *services,
                                     CtlOutputMode       mode);
void ctl_json_format_status         (GString            *out,
                                     GPtrArray          *services,
                                     CtlOutputMode       mode);
void ctl_json_format_show           (GString            *out,
                                     GPtrArray          *services,
                                     const char * const *properties,
                                     GTimeZone          *zone,
                                     CtlOutputMode       mode);
void ctl_json_format_service_errors (GString            *out,
                                     GPtrArray          *reports,
                                     CtlOutputMode       mode);

G_END_DECLS
