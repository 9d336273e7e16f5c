/* SPDX-License-Identifier: MIT */
/* ctl-output.h: what bgservicectl prints, and how.
 *
 * Everything that came from the daemon or the command line is escaped
 * before it is printed (ctl_output_escape()), so that no name or message
 * can move the cursor, change colours or break a line of a pipe format.
 * The formatters write into a GString, so that tests can read them.
 */
#pragma once

#include <glib.h>

#include "ctl-wire.h"

G_BEGIN_DECLS

/* CtlOutputMode: what --output asks for; ctl_output_mode_names[] gives the
 * words, in this order. */
typedef enum
{
  CTL_OUTPUT_PLAIN,         /* text for people, and tab-separated lines for pipes */
  CTL_OUTPUT_JSON,          /* one line of JSON (see ctl-json.c) */
  CTL_OUTPUT_JSON_PRETTY,   /* the same JSON, indented */
} CtlOutputMode;

extern const char * const ctl_output_mode_names[];

/* CtlOutputFlags: how plain text is dressed. */
typedef enum
{
  CTL_OUTPUT_FLAGS_NONE = 0,
  CTL_OUTPUT_NO_LEGEND  = 1 << 0,   /* list: no header, no count */
  CTL_OUTPUT_COLOUR     = 1 << 1,   /* states in colour (a terminal only) */
} CtlOutputFlags;

/* What `show` prints after StateTimestamp: the same time, for people. */
#define CTL_SHOW_STATE_TIMESTAMP_TEXT "StateTimestampText"

gboolean ctl_output_mode_from_string   (const char           *text,
                                        CtlOutputMode        *mode);

gboolean ctl_output_needs_escape       (gunichar              c);
void     ctl_output_append_escaped     (GString              *out,
                                        const char           *text);
char    *ctl_output_escape             (const char           *text);
gsize    ctl_output_width              (const char           *text);

void     ctl_output_format_services    (GString              *out,
                                        GPtrArray            *services,
                                        gboolean              table,
                                        guint                 columns,
                                        CtlOutputFlags        flags);
void     ctl_output_format_status      (GString              *out,
                                        const CtlServiceInfo *info,
                                        gint64                now_usec,
                                        GTimeZone            *zone,
                                        CtlOutputFlags        flags);
gboolean ctl_output_property_wanted    (const char * const   *properties,
                                        const char           *name);
void     ctl_output_format_show        (GString              *out,
                                        const CtlServiceInfo *info,
                                        const char * const   *properties,
                                        GTimeZone            *zone);
void     ctl_output_format_timestamp   (GString              *out,
                                        guint64               timestamp_usec,
                                        GTimeZone            *zone);
void     ctl_output_format_since       (GString              *out,
                                        guint64               timestamp_usec,
                                        gint64                now_usec,
                                        GTimeZone            *zone);
void     ctl_output_format_state       (GString              *out,
                                        const char           *state);
void     ctl_output_format_task_errors (GString              *out,
                                        const char           *service,
                                        GPtrArray            *errors);

gboolean ctl_output_colour_wanted_for  (gboolean              terminal,
                                        const char           *no_color,
                                        const char           *systemd_colors,
                                        const char           *term);
gboolean ctl_output_colour_wanted      (void);
gboolean ctl_output_is_terminal        (void);
guint    ctl_output_terminal_columns   (void);
void     ctl_output_print              (GString              *text);
void     ctl_output_print_error        (const char           *format,
                                        ...) G_GNUC_PRINTF (1, 2);

G_END_DECLS
