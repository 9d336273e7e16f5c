/* SPDX-License-Identifier: MIT */
/* bgsd-journal-stream.h: a stream to journald for a command's output. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

int bgsd_journal_stream_open (const char *identifier,
                              int         priority,
                              gboolean    level_prefix);

G_END_DECLS
