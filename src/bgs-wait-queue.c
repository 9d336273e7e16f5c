/* SPDX-License-Identifier: MIT */
/* bgs-wait-queue.c: the pending waits of one service; see bgs-wait-queue.h. */
#include "config.h"

#include "bgs-service.h"
#include "bgs-wait-queue.h"

/* WaitWatch: a wait's link to its queue, and the source that fires when
 * its cancellable does; the task data of a wait that has a cancellable. */
typedef struct
{
  BgsWaitQueue *queue;  /* (unowned): lives in the service the wait holds */
  GSource      *source; /* (owned) */
} WaitWatch;

static void
wait_watch_free (gpointer data)
{
  WaitWatch *watch = data;

  g_source_destroy (watch->source);
  g_source_unref (watch->source);
  g_free (watch);
}

void
bgs_wait_queue_init (BgsWaitQueue  *self,
                     GMainContext  *context,
                     void         (*on_abandoned) (gpointer owner),
                     gpointer       owner)
{
  g_queue_init (&self->waiters);
  self->context = context;
  self->on_abandoned = on_abandoned;
  self->owner = owner;
}

/* Fails one wait whose cancellable fired; the others wait on. */
static gboolean
on_wait_cancelled (GCancellable *cancellable,
                   gpointer      user_data)
{
  GTask *waiter = user_data;
  WaitWatch *watch = g_task_get_task_data (waiter);
  BgsWaitQueue *queue = watch->queue;
  GList *link = g_queue_find (&queue->waiters, waiter);

  if (link == NULL)
    return G_SOURCE_REMOVE;

  g_queue_delete_link (&queue->waiters, link);
  g_task_return_new_error (waiter, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                           "Waiting for %s was cancelled",
                           bgs_service_get_name (g_task_get_source_object (waiter)));
  g_object_unref (waiter);

  if (g_queue_is_empty (&queue->waiters) && queue->on_abandoned != NULL)
    queue->on_abandoned (queue->owner);

  return G_SOURCE_REMOVE;
}

/* Queues a wait on @source_object (the service) for @callback. */
void
bgs_wait_queue_add (BgsWaitQueue        *self,
                    gpointer             source_object,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data,
                    gpointer             source_tag)
{
  GTask *waiter = g_task_new (source_object, cancellable, callback, user_data);

  g_task_set_source_tag (waiter, source_tag);
  g_task_set_check_cancellable (waiter, FALSE);

  if (cancellable != NULL)
    {
      WaitWatch *watch = g_new (WaitWatch, 1);

      watch->queue = self;
      watch->source = g_cancellable_source_new (cancellable);
      g_source_set_callback (watch->source, G_SOURCE_FUNC (on_wait_cancelled), waiter, NULL);
      g_source_attach (watch->source, self->context);
      g_task_set_task_data (waiter, watch, wait_watch_free);
    }

  g_queue_push_tail (&self->waiters, waiter);
}

/*
 * Completes every wait queued now with @result: success when it is NULL,
 * else a copy of it for each. Waits queued by the callbacks stay for the
 * next time.
 */
void
bgs_wait_queue_complete (BgsWaitQueue *self,
                         const GError *result)
{
  GQueue waiters = self->waiters;
  GTask *waiter;

  g_queue_init (&self->waiters);
  while ((waiter = g_queue_pop_head (&waiters)) != NULL)
    {
      g_task_set_task_data (waiter, NULL, NULL);
      if (result != NULL)
        g_task_return_error (waiter, g_error_copy (result));
      else
        g_task_return_boolean (waiter, TRUE);
      g_object_unref (waiter);
    }
}
