/* SPDX-License-Identifier: MIT */
/* bgs-service-name.c: what makes a service name acceptable.
 *
 * Names reach logs, terminals and D-Bus object paths, so a name must be
 * non-empty, at most 255 bytes of UTF-8, and free of control characters.
 */
#include "config.h"

#include "bgs-error.h"
#include "bgs-manager.h"
#include "bgs-service-private.h"

/* A copy of @name safe to print: valid UTF-8, controls escaped, short. */
static char *
printable_name (const char *name)
{
  g_autofree char *valid = g_utf8_make_valid (name, -1);
  GString *out = g_string_new (NULL);
  const char *p = valid;

  for (guint n_chars = 0; *p != '\0' && n_chars < 40; p = g_utf8_next_char (p), n_chars++)
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c))
        g_string_append_printf (out, "\\u%04X", c);
      else
        g_string_append_unichar (out, c);
    }
  if (*p != '\0')
    g_string_append (out, "…");

  return g_string_free (out, FALSE);
}

/**
 * bgs_service_name_validate:
 * @name: a candidate service name
 * @error: return location for a %BGS_ERROR_INVALID_ARGUMENT error
 *
 * Checks that @name can name a service in a #BgsManager: not empty, at most
 * 255 bytes, valid UTF-8, without control characters.
 *
 * Returns: %TRUE when @name is valid.
 *
 * Since: 0.1
 */
gboolean
bgs_service_name_validate (const char  *name,
                           GError     **error)
{
  gsize len;

  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  len = strlen (name);
  if (len == 0)
    {
      g_set_error_literal (error, BGS_ERROR, BGS_ERROR_INVALID_ARGUMENT,
                           "Service name is empty; give the service a name");
      return FALSE;
    }

  if (len > BGS_SERVICE_NAME_MAX)
    {
      g_autofree char *shown = printable_name (name);

      g_set_error (error, BGS_ERROR, BGS_ERROR_INVALID_ARGUMENT,
                   "Service name “%s” is %" G_GSIZE_FORMAT " bytes long; "
                   "the limit is %d", shown, len, BGS_SERVICE_NAME_MAX);
      return FALSE;
    }

  if (!g_utf8_validate (name, len, NULL))
    {
      g_autofree char *shown = printable_name (name);

      g_set_error (error, BGS_ERROR, BGS_ERROR_INVALID_ARGUMENT,
                   "Service name “%s” is not valid UTF-8", shown);
      return FALSE;
    }

  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c))
        {
          g_autofree char *shown = printable_name (name);

          g_set_error (error, BGS_ERROR, BGS_ERROR_INVALID_ARGUMENT,
                       "Service name “%s” holds the control character U+%04X "
                       "at byte %" G_GSIZE_FORMAT, shown, c, (gsize) (p - name));
          return FALSE;
        }
    }

  return TRUE;
}
