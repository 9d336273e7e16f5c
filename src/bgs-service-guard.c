/* SPDX-License-Identifier: MIT */
/* bgs-service-guard.c: BgsServiceGuard, a service started for a scope. */
#include "config.h"

#include "bgs-service-guard.h"

/*
 * BgsServiceGuard: holds a reference on a service it started, and stops it
 * when the guard ends; with g_autoptr() that is the end of the scope.
 */
struct _BgsServiceGuard
{
  BgsService *service;  /* (owned) */
};

/**
 * bgs_service_guard_new: (skip)
 * @service: a #BgsService
 *
 * Takes a reference on @service and starts it.
 *
 * Returns: (transfer full): a guard to end with bgs_service_guard_end() or
 *   bgs_service_guard_free().
 *
 * Since: 0.1
 */
BgsServiceGuard *
bgs_service_guard_new (BgsService *service)
{
  BgsServiceGuard *guard;

  g_return_val_if_fail (BGS_IS_SERVICE (service), NULL);

  guard = g_new (BgsServiceGuard, 1);
  guard->service = g_object_ref (service);
  bgs_service_start (service);

  return guard;
}

/**
 * bgs_service_guard_end: (skip)
 * @guard: (transfer full): a #BgsServiceGuard
 * @error: return location for the errors of the service's tasks
 *
 * Stops the service (bgs_service_stop()), drops the guard's reference and
 * frees @guard.
 *
 * Returns: %TRUE when the service stopped without task failures.
 *
 * Since: 0.1
 */
gboolean
bgs_service_guard_end (BgsServiceGuard  *guard,
                       GError          **error)
{
  gboolean stopped;

  g_return_val_if_fail (guard != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  stopped = bgs_service_stop (guard->service, "guard ended", NULL, error);
  g_object_unref (guard->service);
  g_free (guard);

  return stopped;
}

/**
 * bgs_service_guard_free: (skip)
 * @guard: (transfer full) (nullable): a #BgsServiceGuard
 *
 * Like bgs_service_guard_end(), but logs the errors of the service's tasks
 * with g_warning() instead of returning them. The cleanup function of
 * g_autoptr(BgsServiceGuard).
 *
 * Since: 0.1
 */
void
bgs_service_guard_free (BgsServiceGuard *guard)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *service = NULL;

  if (guard == NULL)
    return;

  service = bgs_service_to_string (guard->service);
  if (!bgs_service_guard_end (guard, &error))
    g_warning ("Stopping %s at the end of its guard failed: %s", service, error->message);
}
