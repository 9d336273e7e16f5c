/* SPDX-License-Identifier: MIT */
/* bgs-task-set.c: the running tasks of one service; see bgs-task-set.h. */
#include "config.h"

#include <string.h>

#include "bgs-task-set.h"

/* Arrays above this many slots are freed, not kept, when the set empties. */
#define KEEP_SLOTS_MAX 4096

void
bgs_task_set_init (BgsTaskSet *self)
{
  *self = (BgsTaskSet) { 0 };
}

/* Only for a set whose tasks have all completed. */
void
bgs_task_set_clear (BgsTaskSet *self)
{
  g_warn_if_fail (self->size == 0);
  g_clear_pointer (&self->slots, g_free);
  g_clear_object (&self->generation);
}

/* The cancellable of the current generation, made on first use. A
 * generation someone cancelled directly (through a task's cancellable,
 * not the service) is over too: new tasks must not be born cancelled. */
GCancellable *
bgs_task_set_cancellable (BgsTaskSet *self)
{
  if (self->generation != NULL && g_cancellable_is_cancelled (self->generation))
    g_clear_object (&self->generation);
  if (self->generation == NULL)
    self->generation = g_cancellable_new ();

  return self->generation;
}

/* Picks the slot of the next task; fill it with bgs_task_set_fill(). */
gsize
bgs_task_set_reserve (BgsTaskSet *self)
{
  gsize slot;

  if (self->first_free != 0)
    {
      slot = self->first_free - 1;
      self->first_free = self->slots[slot].next_free;
      return slot;
    }

  if (self->n_slots == self->capacity)
    {
      self->capacity = MAX (16, self->capacity * 2);
      self->slots = g_renew (BgsTaskSlot, self->slots, self->capacity);
    }

  return self->n_slots++;
}

/* Tracks @task, with a reference, in a reserved @slot; returns its serial
 * number (1 for the service's first task). */
guint64
bgs_task_set_fill (BgsTaskSet *self,
                   gsize       slot,
                   GTask      *task)
{
  self->slots[slot].task = g_object_ref (task);
  self->slots[slot].serial = ++self->serial;
  self->size++;

  return self->serial;
}


/* Writes "@prefix-@serial" into @buffer without the cost of printf. */
static const char *
format_default_name (char        buffer[64],
                     const char *prefix,
                     guint64     serial)
{
  char digits[24];
  gsize n_digits = 0;
  gsize len = strlen (prefix);

  g_assert (len < 64 - sizeof digits - 2);
  do
    {
      digits[n_digits++] = (char) ('0' + serial % 10);
      serial /= 10;
    }
  while (serial != 0);

  memcpy (buffer, prefix, len);
  buffer[len++] = '-';
  while (n_digits > 0)
    buffer[len++] = digits[--n_digits];
  buffer[len] = '\0';

  return buffer;
}

/* Names @task "@prefix-@serial". */
void
bgs_task_name_default (GTask      *task,
                       const char *prefix,
                       guint64     serial)
{
  char buffer[64];

  g_task_set_name (task, format_default_name (buffer, prefix, serial));
}

/* Gives the task of @slot its default name, unless it has a name. */
void
bgs_task_set_ensure_name (BgsTaskSet *self,
                          gsize       slot,
                          const char *prefix)
{
  BgsTaskSlot *s = &self->slots[slot];

  if (g_task_get_name (s->task) == NULL)
    bgs_task_name_default (s->task, prefix, s->serial);
}

/* Stops tracking the task of @slot and drops the set's reference. */
void
bgs_task_set_remove (BgsTaskSet *self,
                     gsize       slot)
{
  GTask *task = self->slots[slot].task;

  self->slots[slot].task = NULL;
  self->slots[slot].next_free = self->first_free;
  self->first_free = slot + 1;
  self->size--;

  if (self->size == 0)
    {
      self->n_slots = 0;
      self->first_free = 0;
      if (self->capacity > KEEP_SLOTS_MAX)
        {
          g_clear_pointer (&self->slots, g_free);
          self->capacity = 0;
        }
    }

  g_object_unref (task);
}

/*
 * Cancels every task tracked now. The generation is detached before it is
 * cancelled, so tasks created by "cancelled" handlers are not cancelled.
 */
void
bgs_task_set_cancel (BgsTaskSet *self)
{
  g_autoptr(GCancellable) generation = g_steal_pointer (&self->generation);

  if (generation != NULL)
    g_cancellable_cancel (generation);
}

/* The tracked tasks, each named (see bgs_task_set_ensure_name()). */
GPtrArray *
bgs_task_set_snapshot (BgsTaskSet *self,
                       const char *default_prefix)
{
  GPtrArray *tasks = g_ptr_array_sized_new (self->size);

  for (gsize i = 0; i < self->n_slots; i++)
    if (self->slots[i].task != NULL)
      {
        bgs_task_set_ensure_name (self, i, default_prefix);
        g_ptr_array_add (tasks, self->slots[i].task);
      }

  return tasks;
}
