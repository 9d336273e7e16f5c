/* SPDX-License-Identifier: MIT */
/* bgs-error.c: the BGS_ERROR extended domain and its error groups.
 *
 * A group (BGS_ERROR_TASKS_FAILED) owns, in its private data, the errors it
 * holds and the name of what raised each one. Groups are immutable once
 * made, so the getters hand out borrowed pointers.
 */
#include "config.h"

#include <gio/gio.h>

#include "bgs-error-private.h"
#include "bgs-failure-log.h"

typedef struct
{
  GPtrArray *errors;  /* (element-type GError) (owned) (nullable) */
  char     **names;   /* (array zero-terminated=1) (owned) (nullable) */
} BgsErrorPrivate;

static void
bgs_error_private_init (BgsErrorPrivate *priv)
{
  priv->errors = NULL;
  priv->names = NULL;
}

static void
bgs_error_private_copy (const BgsErrorPrivate *src,
                        BgsErrorPrivate       *dest)
{
  if (src->errors != NULL)
    dest->errors = g_ptr_array_copy (src->errors,
                                     (GCopyFunc) (void (*) (void)) g_error_copy,
                                     NULL);
  dest->names = g_strdupv (src->names);
}

static void
bgs_error_private_clear (BgsErrorPrivate *priv)
{
  g_clear_pointer (&priv->errors, g_ptr_array_unref);
  g_clear_pointer (&priv->names, g_strfreev);
}

/**
 * bgs_error_quark:
 *
 * Gets the quark of the %BGS_ERROR domain; use %BGS_ERROR instead.
 *
 * Returns: the quark of the error domain `BgsError`.
 *
 * Since: 0.1
 */
G_DEFINE_EXTENDED_ERROR (BgsError, bgs_error)

/**
 * bgs_error_get_errors:
 * @error: a #GError
 *
 * Gets the errors grouped in a %BGS_ERROR_TASKS_FAILED error, in the order
 * they happened. Each keeps the domain, code and message it was raised
 * with; none is a %G_IO_ERROR_CANCELLED. The errors of a #BgsManager are
 * themselves groups, one per failed member.
 *
 * Returns: (transfer none) (nullable) (element-type GError): the grouped
 *   errors, or %NULL when @error is not a %BGS_ERROR_TASKS_FAILED error.
 *
 * Since: 0.1
 */
GPtrArray *
bgs_error_get_errors (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  if (!g_error_matches (error, BGS_ERROR, BGS_ERROR_TASKS_FAILED))
    return NULL;

  return bgs_error_get_private (error)->errors;
}

/**
 * bgs_error_get_names:
 * @error: a #GError
 *
 * Gets the name of what raised each error of a group: the task name for a
 * service's group, the member name for a manager's. The n-th name belongs
 * to the n-th element of bgs_error_get_errors().
 *
 * Returns: (transfer none) (nullable) (array zero-terminated=1): the names,
 *   or %NULL when @error is not a %BGS_ERROR_TASKS_FAILED error.
 *
 * Since: 0.1
 */
const char * const *
bgs_error_get_names (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  if (!g_error_matches (error, BGS_ERROR, BGS_ERROR_TASKS_FAILED))
    return NULL;

  return (const char * const *) bgs_error_get_private (error)->names;
}

gboolean
bgs_error_is_cancellation (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* Appends @text to @message, each of its lines indented by two spaces. */
static void
append_indented (GString    *message,
                 const char *text)
{
  g_string_append (message, "  ");
  for (const char *p = text; *p != '\0'; p++)
    {
      g_string_append_c (message, *p);
      if (*p == '\n')
        g_string_append (message, "  ");
    }
}

static char *
format_group_message (const char      *owner,
                      const char      *noun,
                      const GPtrArray *names,
                      const GPtrArray *errors,
                      guint64          n_dropped)
{
  GString *message = g_string_new (NULL);

  g_string_append_printf (message, "%s: %u %s%s failed", owner, errors->len,
                          noun, errors->len == 1 ? "" : "s");
  if (n_dropped > 0)
    g_string_append_printf (message, " (%" G_GUINT64_FORMAT " earlier failure%s dropped: "
                            "a group keeps the newest %u)", n_dropped,
                            n_dropped == 1 ? " was" : "s were", BGS_FAILURE_LOG_MAX);

  for (guint i = 0; i < errors->len; i++)
    {
      const GError *error = errors->pdata[i];
      g_autofree char *line = g_strdup_printf ("%s: %s",
                                               (const char *) names->pdata[i],
                                               error->message);

      g_string_append_c (message, '\n');
      append_indented (message, line);
    }

  return g_string_free (message, FALSE);
}

/*
 * Makes a BGS_ERROR_TASKS_FAILED group of @owner ("Type[name]"), whose
 * parts are @noun ("task", "service"), holding @errors (taken), the n-th
 * raised by the n-th of @names (taken). @n_dropped counts older failures
 * left out, which the message mentions.
 */
GError *
bgs_error_new_group (const char *owner,
                     const char *noun,
                     GPtrArray  *names,
                     GPtrArray  *errors,
                     guint64     n_dropped)
{
  g_autofree char *message = format_group_message (owner, noun, names, errors, n_dropped);
  GError *group = g_error_new_literal (BGS_ERROR, BGS_ERROR_TASKS_FAILED, message);
  BgsErrorPrivate *priv = bgs_error_get_private (group);

  g_ptr_array_set_free_func (names, NULL);
  g_ptr_array_add (names, NULL);
  priv->names = (char **) g_ptr_array_free (names, FALSE);
  priv->errors = errors;

  return group;
}
