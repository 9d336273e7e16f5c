/* SPDX-License-Identifier: MIT */
/* bgs-failure-log.h: the failures one service has seen, numbered. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A group holds at most this many failures; older ones are dropped. */
#define BGS_FAILURE_LOG_MAX 1000

/*
 * BgsFailureLog: the failures of a service (each with the name of what
 * raised it: a task, or a member service), in the order they happened.
 * Every failure gets a sequence number, so that a run, a wait or the
 * last-error property can each say "the failures from N to M" without a
 * copy of its own: one failure is stored once, however many readers it
 * has. The log keeps the newest BGS_FAILURE_LOG_MAX failures; a range
 * that reaches further back counts what was dropped.
 *
 * Stored in a ring: adding and dropping are O(1), and an empty log
 * allocates nothing.
 */
typedef struct
{
  char   *name;   /* (owned) */
  GError *error;  /* (owned) */
} BgsFailureEntry;

typedef struct
{
  BgsFailureEntry *ring;      /* (array length=capacity) (owned) (nullable) */
  guint            capacity;
  guint            head;      /* index of the oldest entry */
  guint            len;
  guint64          first;     /* sequence number of the oldest entry */
} BgsFailureLog;

void     bgs_failure_log_clear         (BgsFailureLog *self);
void     bgs_failure_log_take          (BgsFailureLog *self,
                                        const char    *name,
                                        GError        *error);
void     bgs_failure_log_forget_before (BgsFailureLog *self,
                                        guint64        sequence);
GError  *bgs_failure_log_group         (const BgsFailureLog *self,
                                        guint64        from,
                                        guint64        to,
                                        const char    *owner,
                                        const char    *noun);

/* The sequence number the next failure will get. */
static inline guint64
bgs_failure_log_end (const BgsFailureLog *self)
{
  return self->first + self->len;
}

G_END_DECLS
