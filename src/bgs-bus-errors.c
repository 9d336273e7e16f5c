/* SPDX-License-Identifier: MIT */
/* bgs-bus-errors.c: error groups on the wire.
 *
 * An error list is a(ssis): (name, GError domain as g_quark_to_string(),
 * code, message), one entry per error a task raised. Groups are flattened
 * to their leaves, so each entry keeps the real domain and code. Names of
 * nested members are joined with '/'.
 */
#include "config.h"

#include <gio/gio.h>

#include "bgs-bus-private.h"

/* @text, or when it is not UTF-8 (a module may raise any bytes in a
 * GError), a copy in *@copy with U+FFFD for the bytes that are not: D-Bus
 * carries UTF-8 only, and sd-bus refuses the whole message otherwise. */
static const char *
valid_utf8 (const char  *text,
            char       **copy)
{
  if (g_utf8_validate (text, -1, NULL))
    return text;

  *copy = g_utf8_make_valid (text, -1);
  return *copy;
}

static int
append_entry (sd_bus_message *message,
              const char     *name,
              const GError   *error,
              const char     *text)
{
  g_autofree char *valid_name = NULL;
  g_autofree char *valid_domain = NULL;
  g_autofree char *valid_text = NULL;

  return sd_bus_message_append (message, BGS_BUS_ERROR_ENTRY_TYPE,
                                valid_utf8 (name != NULL ? name : "", &valid_name),
                                valid_utf8 (g_quark_to_string (error->domain), &valid_domain),
                                error->code, valid_utf8 (text, &valid_text));
}

static gboolean
is_group (const GError *error)
{
  return bgs_error_get_errors (error) != NULL;
}

/*
 * Appends the leaves under @error. @head is the service a leaf belongs to
 * (by_service lists only), @tail the path of names below it.
 */
static int
append_leaves (sd_bus_message *message,
               const GError   *error,
               const char     *head,
               const char     *tail,
               gboolean        by_service)
{
  GPtrArray *errors = bgs_error_get_errors (error);
  const char * const *names = bgs_error_get_names (error);
  g_autofree char *text = NULL;

  if (!is_group (error))
    {
      if (!by_service)
        return append_entry (message, tail, error, error->message);

      text = tail != NULL ? g_strdup_printf ("%s: %s", tail, error->message) : NULL;
      return append_entry (message, head, error, text != NULL ? text : error->message);
    }

  for (guint i = 0; i < errors->len; i++)
    {
      g_autofree char *path = tail != NULL ? g_strconcat (tail, "/", names[i], NULL)
                                           : g_strdup (names[i]);
      int r = append_leaves (message, errors->pdata[i], head, path, by_service);

      if (r < 0)
        return r;
    }

  return 0;
}

/*
 * Appends @group (nullable: an empty list) as an a(ssis). With @by_service,
 * @group is a manager's: the first field of each entry is the member, and
 * the task's name leads the message.
 */
int
bgs_bus_append_error_list (sd_bus_message *message,
                           const GError   *group,
                           gboolean        by_service)
{
  int r = sd_bus_message_open_container (message, 'a', BGS_BUS_ERROR_ENTRY_TYPE);

  if (r < 0 || group == NULL)
    goto close;

  if (!is_group (group))
    {
      r = append_entry (message, NULL, group, group->message);
      goto close;
    }

  for (guint i = 0; i < bgs_error_get_errors (group)->len && r >= 0; i++)
    {
      const char *name = bgs_error_get_names (group)[i];
      const GError *child = bgs_error_get_errors (group)->pdata[i];

      r = by_service ? append_leaves (message, child, name, NULL, TRUE)
                     : append_leaves (message, child, NULL, name, FALSE);
    }

close:
  if (r < 0)
    return r;
  return sd_bus_message_close_container (message);
}

/*
 * Builds the answer to @call: the a(ssis) of @error (NULL or a group). Any
 * other error becomes a D-Bus error reply, and so does a list sd-bus
 * cannot build: the caller waits for an answer.
 */
int
bgs_bus_new_error_list_reply (sd_bus_message  *call,
                              const GError    *error,
                              sd_bus_message **reply)
{
  g_autoptr(sd_bus_message) message = NULL;
  g_autofree char *valid_message = NULL;
  gboolean by_service = g_strcmp0 (sd_bus_message_get_interface (call),
                                   BGS_BUS_MANAGER_INTERFACE) == 0;
  int r;

  if (error != NULL && !is_group (error))
    {
      r = sd_bus_message_new_method_errorf (call, &message, SD_BUS_ERROR_FAILED, "%s",
                                            valid_utf8 (error->message, &valid_message));
    }
  else
    {
      r = sd_bus_message_new_method_return (call, &message);
      if (r >= 0)
        r = bgs_bus_append_error_list (message, error, by_service);
      if (r < 0)
        {
          g_clear_pointer (&message, sd_bus_message_unref);
          r = sd_bus_message_new_method_errno (call, &message, r, NULL);
        }
    }

  if (r >= 0)
    *reply = g_steal_pointer (&message);
  return r;
}

/*
 * Answers @call at once with the a(ssis) of @error, as
 * bgs_bus_new_error_list_reply() builds it; an answer that cannot be sent
 * is counted (bgs_bus_send_reply()). Returns 1.
 */
int
bgs_bus_reply_error_list (BgsBus         *bus,
                          sd_bus_message *call,
                          const GError   *error)
{
  g_autoptr(sd_bus_message) reply = NULL;
  int r = bgs_bus_new_error_list_reply (call, error, &reply);

  if (r < 0)
    {
      bgs_bus_count_lost_reply (bus, call, r);
      return 1;
    }

  return bgs_bus_send_reply (bus, call, reply);
}

/* Sets @error from a negative errno that sd-bus returned; returns it. */
int
bgs_bus_set_error_from_errno (GError     **error,
                              int          negative_errno,
                              const char  *what)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (-negative_errno),
               "%s: %s", what, g_strerror (-negative_errno));
  return negative_errno;
}
