/* SPDX-License-Identifier: MIT */
/* bgs-bus-path-guard.c: calls on paths no object can have, refused early.
 *
 * To find the object of a method call sd-bus tries its path and then each
 * of its prefixes, and a fallback vtable is asked about each: the work
 * grows with the square of the path's length. A path of 64 KiB, the most
 * sd-bus accepts, cost a second of the loop per call. No object of a
 * BgsBus has a path longer than the service prefix and a label, and a
 * label, sd_bus_path_encode() of a name, takes at most three bytes ("_xx")
 * per byte of the name: a filter, which sd-bus runs before it looks for
 * an object, answers calls on longer paths as sd-bus answers a call on no
 * object, after reading the path once. org.freedesktop.DBus.Peer, which
 * sd-bus answers on any path without looking for an object, is let
 * through.
 */
#include "config.h"

#include <string.h>

#include "bgs-bus-private.h"
#include "bgs-service-private.h"

/* The longest path of an object of a BgsBus, in bytes. */
#define LONGEST_PATH (sizeof (BGS_BUS_SERVICE_PATH_PREFIX "/") - 1 + 3 * BGS_SERVICE_NAME_MAX)

G_STATIC_ASSERT (sizeof (BGS_BUS_ROOT_PATH) - 1 < LONGEST_PATH);

static gboolean
path_too_long (sd_bus_message *message)
{
  const char *path = sd_bus_message_get_path (message);

  return path != NULL && strnlen (path, LONGEST_PATH + 1) > LONGEST_PATH;
}

static int
refuse_long_paths (sd_bus_message *message,
                   void           *userdata,
                   sd_bus_error   *error)
{
  g_autoptr(sd_bus_message) reply = NULL;
  uint8_t type;
  int r;

  if (sd_bus_message_get_type (message, &type) < 0 || type != SD_BUS_MESSAGE_METHOD_CALL ||
      !path_too_long (message) ||
      g_strcmp0 (sd_bus_message_get_interface (message), "org.freedesktop.DBus.Peer") == 0)
    return 0;

  if (!sd_bus_message_get_expect_reply (message))
    return 1;

  r = sd_bus_message_new_method_errorf (message, &reply, SD_BUS_ERROR_UNKNOWN_OBJECT,
                                        "Unknown object: no object here has a path longer "
                                        "than %zu bytes", LONGEST_PATH);
  if (r < 0)
    {
      bgs_bus_count_lost_reply (userdata, message, r);
      return 1;
    }

  return bgs_bus_send_reply (userdata, message, reply);
}

/* Installs the filter on the connection of @self. */
int
bgs_bus_add_path_guard (BgsBus       *self,
                        sd_bus_slot **slot)
{
  return sd_bus_add_filter (self->bus, slot, refuse_long_paths, self);
}
