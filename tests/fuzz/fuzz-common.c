/* SPDX-License-Identifier: MIT */
/* fuzz-common.c: what the fuzz targets share (see fuzz-target.h). */
#include "config.h"

#include <stdlib.h>

#include "fuzz-target.h"

static const char * const *fuzz_allowed_warnings;

/* The MESSAGE field of a structured log entry, or NULL. */
static const char *
find_message (const GLogField *fields,
              gsize            n_fields)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "MESSAGE") && fields[i].length < 0)
      return fields[i].value;

  return NULL;
}

/* Whether @message starts as one of the allowed warnings. */
static gboolean
is_allowed (const char *message)
{
  for (guint i = 0; message != NULL && fuzz_allowed_warnings != NULL &&
                    fuzz_allowed_warnings[i] != NULL; i++)
    if (g_str_has_prefix (message, fuzz_allowed_warnings[i]))
      return TRUE;

  return FALSE;
}

/* Aborts on errors, criticals and warnings other than those allowed,
 * after printing them; drops everything else. */
static GLogWriterOutput
fuzz_log_writer (GLogLevelFlags   level,
                 const GLogField *fields,
                 gsize            n_fields,
                 gpointer         user_data)
{
  const char *message = find_message (fields, n_fields);

  if ((level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL)) != 0 ||
      ((level & G_LOG_LEVEL_WARNING) != 0 && !is_allowed (message)))
    {
      g_log_writer_standard_streams (level, fields, n_fields, user_data);
      abort ();
    }

  return G_LOG_WRITER_HANDLED;
}

void
fuzz_log_init (const char * const *allowed_warnings)
{
  fuzz_allowed_warnings = allowed_warnings;
  g_log_set_writer_func (fuzz_log_writer, NULL, NULL);
}
