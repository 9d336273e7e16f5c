/* SPDX-License-Identifier: MIT */
/* bgs-failure-log.c: the failures one service has seen; see
 * bgs-failure-log.h. */
#include "config.h"

#include "bgs-error-private.h"
#include "bgs-failure-log.h"

static BgsFailureEntry *
entry_at (const BgsFailureLog *self,
          guint                index)
{
  return &self->ring[(self->head + index) % self->capacity];
}

static void
entry_clear (BgsFailureEntry *entry)
{
  g_clear_pointer (&entry->name, g_free);
  g_clear_error (&entry->error);
}

static void
drop_oldest (BgsFailureLog *self)
{
  entry_clear (entry_at (self, 0));
  self->head = (self->head + 1) % self->capacity;
  self->len--;
  self->first++;
}

/* Makes room for one more entry: grows the ring until it holds
 * BGS_FAILURE_LOG_MAX entries, then drops the oldest. */
static void
make_room (BgsFailureLog *self)
{
  guint capacity;
  BgsFailureEntry *ring;

  if (self->len < self->capacity)
    return;
  if (self->capacity == BGS_FAILURE_LOG_MAX)
    {
      drop_oldest (self);
      return;
    }

  capacity = MIN (BGS_FAILURE_LOG_MAX, MAX (4, self->capacity * 2));
  ring = g_new (BgsFailureEntry, capacity);
  for (guint i = 0; i < self->len; i++)
    ring[i] = *entry_at (self, i);
  g_free (self->ring);
  self->ring = ring;
  self->capacity = capacity;
  self->head = 0;
}

void
bgs_failure_log_clear (BgsFailureLog *self)
{
  while (self->len > 0)
    drop_oldest (self);
  g_clear_pointer (&self->ring, g_free);
  self->capacity = 0;
  self->head = 0;
}

/* Adds @error (taken) raised by @name. */
void
bgs_failure_log_take (BgsFailureLog *self,
                      const char    *name,
                      GError        *error)
{
  BgsFailureEntry *entry;

  make_room (self);
  entry = entry_at (self, self->len++);
  entry->name = g_strdup (name != NULL ? name : "(unnamed)");
  entry->error = error;
}

/* Frees the failures numbered below @sequence: no reader needs them. An
 * emptied log frees its ring. */
void
bgs_failure_log_forget_before (BgsFailureLog *self,
                               guint64        sequence)
{
  while (self->len > 0 && self->first < sequence)
    drop_oldest (self);
  if (self->len == 0)
    {
      self->first = MAX (self->first, sequence);
      g_clear_pointer (&self->ring, g_free);
      self->capacity = 0;
      self->head = 0;
    }
}

/*
 * The failures numbered from @from to @to (excluded) as one
 * BGS_ERROR_TASKS_FAILED group of @owner ("Type[name]") whose parts are
 * @noun ("task", "service"); NULL when there were none. Failures of the
 * range the log no longer holds are counted in the group's message.
 */
GError *
bgs_failure_log_group (const BgsFailureLog *self,
                       guint64              from,
                       guint64              to,
                       const char          *owner,
                       const char          *noun)
{
  guint64 start = MAX (from, self->first);
  guint64 n_dropped = start > from ? MIN (start, to) - from : 0;
  GPtrArray *names;
  GPtrArray *errors;

  if (from >= to)
    return NULL;

  names = g_ptr_array_new_with_free_func (g_free);
  errors = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
  for (guint64 sequence = start; sequence < to; sequence++)
    {
      const BgsFailureEntry *entry = entry_at (self, (guint) (sequence - self->first));

      g_ptr_array_add (names, g_strdup (entry->name));
      g_ptr_array_add (errors, g_error_copy (entry->error));
    }

  return bgs_error_new_group (owner, noun, names, errors, n_dropped);
}
