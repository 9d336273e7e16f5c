/* SPDX-License-Identifier: MIT */
/* bgs-task-set.h: the running tasks of one service. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * BgsTaskSet: the tasks a service tracks, and the cancellable they share.
 *
 * Tasks created between two cancels form a generation and share one
 * GCancellable: one cancellable for many tasks is the cheapest way GIO
 * offers to cancel them together (a cancellable per task costs about 40%
 * more). bgs_task_set_cancel() cancels the current generation and the
 * next task starts a new one, so a cancel reaches exactly the tasks that
 * existed when it was called.
 *
 * Tasks live in slots of one array: a slot keeps its index for as long as
 * its task runs, so the index is the task's callback data, and adding or
 * removing a task is O(1) without any allocation of its own. Free slots
 * form a list through the array. When the last task ends the array starts
 * over, so a service that runs in bursts does not fragment it.
 */
typedef struct
{
  GTask   *task;   /* (owned) (nullable): NULL when the slot is free */
  union {
    guint64 serial;     /* while in use: the task's creation number */
    gsize   next_free;  /* while free: index + 1 of the next free slot */
  };
} BgsTaskSlot;

typedef struct
{
  BgsTaskSlot  *slots;
  gsize         n_slots;     /* slots in use or on the free list */
  gsize         capacity;
  gsize         first_free;  /* index + 1 of a free slot, 0 for none */
  guint         size;        /* tasks tracked */
  guint64       serial;      /* tasks ever added */
  GCancellable *generation;  /* (owned) (nullable): shared by new tasks */
} BgsTaskSet;

void          bgs_task_set_init        (BgsTaskSet *self);
void          bgs_task_set_clear       (BgsTaskSet *self);
GCancellable *bgs_task_set_cancellable (BgsTaskSet *self);
gsize         bgs_task_set_reserve     (BgsTaskSet *self);
guint64       bgs_task_set_fill        (BgsTaskSet *self,
                                        gsize       slot,
                                        GTask      *task);
void          bgs_task_set_remove      (BgsTaskSet *self,
                                        gsize       slot);
void          bgs_task_set_ensure_name (BgsTaskSet *self,
                                        gsize       slot,
                                        const char *prefix);
void          bgs_task_set_cancel      (BgsTaskSet *self);
GPtrArray    *bgs_task_set_snapshot    (BgsTaskSet *self,
                                        const char *default_prefix);

void          bgs_task_name_default    (GTask      *task,
                                        const char *prefix,
                                        guint64     serial);

static inline guint
bgs_task_set_size (const BgsTaskSet *self)
{
  return self->size;
}

G_END_DECLS
