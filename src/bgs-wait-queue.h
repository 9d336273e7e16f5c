/* SPDX-License-Identifier: MIT */
/* bgs-wait-queue.h: the pending waits of one service. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * BgsWaitQueue: the waits pending on one service, each a GTask. They all
 * complete together, with the same result, when the service is done
 * (bgs_wait_queue_complete()). A wait's own cancellable takes it out of
 * the queue alone, failing it with G_IO_ERROR_CANCELLED; the service's
 * work goes on, and @on_abandoned tells the owner when no wait is left.
 *
 * Waits hand their result over whether or not their cancellable fired
 * meanwhile (check-cancellable is off): a failure given to a wait is
 * never turned into a cancellation, and so never lost.
 */
typedef struct
{
  GQueue        waiters;       /* (element-type GTask) (owned) */
  GMainContext *context;       /* (unowned): the owner's */
  void        (*on_abandoned) (gpointer owner);
  gpointer      owner;
} BgsWaitQueue;

void     bgs_wait_queue_init     (BgsWaitQueue  *self,
                                  GMainContext  *context,
                                  void         (*on_abandoned) (gpointer owner),
                                  gpointer       owner);
void     bgs_wait_queue_add      (BgsWaitQueue        *self,
                                  gpointer             source_object,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data,
                                  gpointer             source_tag);
void     bgs_wait_queue_complete (BgsWaitQueue  *self,
                                  const GError  *result);

static inline gboolean
bgs_wait_queue_is_empty (const BgsWaitQueue *self)
{
  return self->waiters.head == NULL;
}

G_END_DECLS
