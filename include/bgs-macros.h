/* SPDX-License-Identifier: MIT */
/* bgs-macros.h: export and inclusion guards shared by every public header.
 *
 * Only symbols marked BGS_AVAILABLE_IN_ALL leave libbgservice-1.so; the
 * library is built with hidden visibility by default.
 */
#pragma once

#if !defined (BGSERVICE_INSIDE) && !defined (BGSERVICE_COMPILATION)
# error "Only <bgservice.h> can be included directly."
#endif

#include <glib.h>

#if defined (__GNUC__) || defined (__clang__)
# define BGS_AVAILABLE_IN_ALL __attribute__ ((visibility ("default"))) extern
#else
# define BGS_AVAILABLE_IN_ALL extern
#endif
