/* SPDX-License-Identifier: MIT */
/* bgs-version.c: the version of the library that is running. */
#include "config.h"

#include "bgs-version.h"

/**
 * bgs_get_version:
 *
 * Gets the version of the library that runs, which may be newer than
 * that of the headers a program was built with.
 *
 * Returns: the version of the library at run time, such as "0.1.0"; compare
 *   with %BGS_VERSION_S for the headers' version.
 *
 * Since: 0.1
 */
const char *
bgs_get_version (void)
{
  return PACKAGE_VERSION;
}
