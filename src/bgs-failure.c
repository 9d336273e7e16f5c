/* SPDX-License-Identifier: MIT */
/* bgs-failure.c: BgsFailure, one failure of a run as plain values; see
 * bgs-failure.h. */
#include "config.h"

#include <gio/gio.h>

#include "bgs-error.h"
#include "bgs-failure.h"

/**
 * BgsFailure:
 *
 * One failure of a run, as values that every language binding can read:
 * the service and the task that failed, and the domain, code and message
 * of the error the task returned. A %BGS_ERROR_TASKS_FAILED group holds its
 * failures where only C can reach them (bgs_error_get_errors());
 * bgs_service_get_last_failures() and bgs_error_list_failures() give them
 * as #BgsFailure values instead. Immutable and reference counted.
 *
 * Since: 0.1
 */
struct _BgsFailure
{
  gatomicrefcount  ref_count;
  char            *service;  /* (owned) (nullable) */
  char            *task;     /* (owned) (nullable) */
  GError          *error;    /* (owned) */
};

G_DEFINE_BOXED_TYPE (BgsFailure, bgs_failure, bgs_failure_ref, bgs_failure_unref)

static BgsFailure *
bgs_failure_new (const char   *service,
                 const char   *task,
                 const GError *error)
{
  BgsFailure *self = g_new0 (BgsFailure, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->service = g_strdup (service);
  self->task = g_strdup (task);
  self->error = g_error_copy (error);

  return self;
}

/**
 * bgs_failure_ref:
 * @self: a #BgsFailure
 *
 * Takes a reference on @self.
 *
 * Returns: (transfer full): @self, with one more reference.
 *
 * Since: 0.1
 */
BgsFailure *
bgs_failure_ref (BgsFailure *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * bgs_failure_unref:
 * @self: (transfer full): a #BgsFailure
 *
 * Drops a reference; the last one frees @self.
 *
 * Since: 0.1
 */
void
bgs_failure_unref (BgsFailure *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  g_free (self->service);
  g_free (self->task);
  g_error_free (self->error);
  g_free (self);
}

/**
 * bgs_failure_get_service:
 * @self: a #BgsFailure
 *
 * Gets the name of the service whose task failed: the service itself, or
 * for the failures of a #BgsManager, the member (the innermost one when
 * managers nest).
 *
 * Returns: (nullable): the service's name.
 *
 * Since: 0.1
 */
const char *
bgs_failure_get_service (const BgsFailure *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->service;
}

/**
 * bgs_failure_get_task:
 * @self: a #BgsFailure
 *
 * Gets the name of the task that failed.
 *
 * Returns: (nullable): the name of the task that failed, or %NULL when the
 *   failure was not a task's (a service that does its own work).
 *
 * Since: 0.1
 */
const char *
bgs_failure_get_task (const BgsFailure *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->task;
}

/**
 * bgs_failure_get_domain:
 * @self: a #BgsFailure
 *
 * Gets the domain of the error the task failed with.
 *
 * Returns: the error's domain as g_quark_to_string() gives it (and as it
 *   appears on D-Bus), such as `g-io-error-quark`.
 *
 * Since: 0.1
 */
const char *
bgs_failure_get_domain (const BgsFailure *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_quark_to_string (self->error->domain);
}

/**
 * bgs_failure_get_code:
 * @self: a #BgsFailure
 *
 * Gets the code of the error the task failed with.
 *
 * Returns: the error's code, within its domain.
 *
 * Since: 0.1
 */
int
bgs_failure_get_code (const BgsFailure *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->error->code;
}

/**
 * bgs_failure_get_message:
 * @self: a #BgsFailure
 *
 * Gets the message of the error the task failed with.
 *
 * Returns: the error's message.
 *
 * Since: 0.1
 */
const char *
bgs_failure_get_message (const BgsFailure *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->error->message;
}

/**
 * bgs_failure_to_error:
 * @self: a #BgsFailure
 *
 * Makes the #GError that the task failed with, domain, code and message
 * kept.
 *
 * Returns: (transfer full): a copy of the error the task returned.
 *
 * Since: 0.1
 */
GError *
bgs_failure_to_error (const BgsFailure *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_error_copy (self->error);
}

/* Adds the failures under @error, which @service raised, to @failures. A
 * group's parts are tasks of @service, or, when a part is a group itself,
 * a member of a manager. */
static void
collect_failures (GPtrArray    *failures,
                  const GError *error,
                  const char   *service,
                  const char   *task)
{
  GPtrArray *errors = bgs_error_get_errors (error);
  const char * const *names = bgs_error_get_names (error);

  if (errors == NULL)
    {
      g_ptr_array_add (failures, bgs_failure_new (service, task, error));
      return;
    }

  for (guint i = 0; i < errors->len; i++)
    {
      const GError *part = errors->pdata[i];

      if (bgs_error_get_errors (part) != NULL)
        collect_failures (failures, part, names[i], NULL);
      else
        collect_failures (failures, part, service, names[i]);
    }
}

/**
 * bgs_error_list_failures:
 * @error: a #GError: a %BGS_ERROR_TASKS_FAILED group, or any other error
 * @service: (nullable): the name of the service that raised @error
 *
 * Lists the failures an error holds, as values bindings can read. A group
 * gives one #BgsFailure per failed task, groups of members included (their
 * tasks name the member as their service); any other error gives one
 * failure of @service without a task.
 *
 * Returns: (transfer container) (element-type BgsFailure): the failures, in the
 *   order they happened. g_ptr_array_unref() frees the array and releases
 *   the failures with it.
 *
 * Since: 0.1
 */
GPtrArray *
bgs_error_list_failures (const GError *error,
                         const char   *service)
{
  GPtrArray *failures;

  g_return_val_if_fail (error != NULL, NULL);

  failures = g_ptr_array_new_with_free_func ((GDestroyNotify) bgs_failure_unref);
  collect_failures (failures, error, service, NULL);
  return failures;
}
