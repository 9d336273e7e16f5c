/* SPDX-License-Identifier: MIT */
/* bgsd-stderr.h: whole lines to the daemon's stderr, never blocking the loop. */
#pragma once

#include <limits.h>

#include <glib.h>

G_BEGIN_DECLS

/* The longest line, its newline included: written with one write(), it
 * reaches a pipe whole and cannot block once the pipe polls writable. */
#define BGSD_STDERR_LINE_MAX PIPE_BUF

void bgsd_stderr_write_line (const char *line,
                             gsize       len);
void bgsd_stderr_flush      (void);
void bgsd_stderr_finish     (guint       timeout_ms);

G_END_DECLS
