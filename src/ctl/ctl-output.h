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

void     ctl_output_append_escaped     (GString              *out,
                                        const char           *text);
char    *ctl_output_escape             (const char           *text);
gsize    ctl_output_width              (const char           *text);

void     ctl_output_format_services    (GString              *out,
                                        GPtrArray            *services,
                                        gboolean              table,
                                        guint                 columns);
void     ctl_output_format_status      (GString              *out,
                                        const CtlServiceInfo *info,
                                        gint64                now_usec,
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

gboolean ctl_output_is_terminal        (void);
guint    ctl_output_terminal_columns   (void);
void     ctl_output_print              (GString              *text);
void     ctl_output_print_error        (const char           *format,
                                        ...) G_GNUC_PRINTF (1, 2);

G_END_DECLS
