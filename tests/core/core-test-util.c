/* SPDX-License-Identifier: MIT */
/* core-test-util.c: what the core tests share; see core-test-util.h. */
#include "core-test-util.h"

/* ---- TestService ------------------------------------------------------ */

G_DEFINE_FINAL_TYPE (TestService, test_service, BGS_TYPE_SERVICE)

static void
test_service_start (BgsService *service)
{
  TestService *self = TEST_SERVICE (service);

  self->n_starts++;

  for (guint i = 0; i < self->n_start_tasks; i++)
    test_task_spawn (service, NULL, self->start_delay_ms,
                     self->start_error != NULL ? g_error_copy (self->start_error) : NULL);

  if (self->start_func != NULL)
    self->start_func (self, self->start_data);
}

static void
test_service_finalize (GObject *object)
{
  TestService *self = TEST_SERVICE (object);

  g_clear_error (&self->start_error);

  G_OBJECT_CLASS (test_service_parent_class)->finalize (object);
}

static void
test_service_class_init (TestServiceClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_service_finalize;
  BGS_SERVICE_CLASS (klass)->start = test_service_start;
}

static void
test_service_init (TestService *self)
{
  self->start_delay_ms = TEST_FOREVER;
}

/* A service whose start() does nothing but count. */
TestService *
test_service_new (const char *name)
{
  return g_object_new (TEST_TYPE_SERVICE, "name", name, NULL);
}

/* The FakeService of the Python tests: start() makes one task that
 * ends after @delay_ms, failing with @error (taken) when it is set. */
TestService *
test_service_new_fake (const char *name,
                       int         delay_ms,
                       GError     *error)
{
  TestService *self = test_service_new (name);

  self->n_start_tasks = 1;
  self->start_delay_ms = delay_ms;
  self->start_error = error;

  return self;
}

/* ---- scripted tasks --------------------------------------------------- */

/* ScriptedTask: the task data of a scripted task. Both sources call back
 * into it; whichever fires first ends the task and removes the other. */
typedef struct
{
  GTask   *task;          /* (unowned): owns this struct */
  GError  *error;         /* (owned) (nullable): the task's own outcome */
  GError  *cancel_error;  /* (owned) (nullable): its outcome when cancelled */
  GSource *timer;         /* (owned) (nullable) */
  GSource *cancel_watch;  /* (owned) (nullable) */
} ScriptedTask;

static void
drop_source (GSource **source)
{
  if (*source == NULL)
    return;

  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static void
scripted_task_free (gpointer data)
{
  ScriptedTask *scripted = data;

  drop_source (&scripted->timer);
  drop_source (&scripted->cancel_watch);
  g_clear_error (&scripted->error);
  g_clear_error (&scripted->cancel_error);
  g_free (scripted);
}

/* Ends the task with @error (taken), or with success when it is NULL. */
static void
scripted_task_end (ScriptedTask *scripted,
                   GError       *error)
{
  drop_source (&scripted->timer);
  drop_source (&scripted->cancel_watch);

  if (error != NULL)
    g_task_return_error (scripted->task, error);
  else
    g_task_return_boolean (scripted->task, TRUE);
}

static gboolean
on_scripted_timer (gpointer user_data)
{
  ScriptedTask *scripted = user_data;

  scripted_task_end (scripted, g_steal_pointer (&scripted->error));
  return G_SOURCE_REMOVE;
}

static gboolean
on_scripted_cancelled (GCancellable *cancellable,
                       gpointer      user_data)
{
  ScriptedTask *scripted = user_data;
  GError *error = g_steal_pointer (&scripted->cancel_error);

  if (error == NULL)
    error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
  scripted_task_end (scripted, error);
  return G_SOURCE_REMOVE;
}

static GTask *
scripted_task_new (BgsService *service,
                   const char *name,
                   int         delay_ms,
                   GError     *error,
                   GError     *cancel_error)
{
  GMainContext *context = bgs_service_get_context (service);
  GTask *task = bgs_service_task_new (service, name);
  ScriptedTask *scripted = g_new0 (ScriptedTask, 1);

  scripted->task = task;
  scripted->error = error;
  scripted->cancel_error = cancel_error;

  if (delay_ms >= 0)
    {
      scripted->timer = g_timeout_source_new ((guint) delay_ms);
      g_source_set_callback (scripted->timer, on_scripted_timer, scripted, NULL);
      g_source_attach (scripted->timer, context);
    }

  scripted->cancel_watch = g_cancellable_source_new (g_task_get_cancellable (task));
  g_source_set_callback (scripted->cancel_watch, G_SOURCE_FUNC (on_scripted_cancelled),
                         scripted, NULL);
  g_source_attach (scripted->cancel_watch, context);

  g_task_set_task_data (task, scripted, scripted_task_free);
  g_object_unref (task);

  return task;
}

/*
 * Makes a task of @service that ends after @delay_ms (TEST_FOREVER: never
 * by itself), failing with @error (taken) when it is set; a cancel of the
 * service ends it first, as cancelled. Returns (transfer none) the task,
 * valid until it completes.
 */
GTask *
test_task_spawn (BgsService *service,
                 const char *name,
                 int         delay_ms,
                 GError     *error)
{
  return scripted_task_new (service, name, delay_ms, error, NULL);
}

/* A task that runs until cancelled, and then fails with @error (taken):
 * a crash during the cleanup of a cancelled task. */
GTask *
test_task_spawn_failing_on_cancel (BgsService *service,
                                   const char *name,
                                   GError     *error)
{
  return scripted_task_new (service, name, TEST_FOREVER, NULL, error);
}

/* ---- the main context ------------------------------------------------- */

/* 10 s for a condition to hold; valgrind runs 20 times slower or more. */
gint64
test_timeout_us (void)
{
  gint64 timeout = 10 * G_USEC_PER_SEC;

  if (g_getenv ("BGS_UNDER_VALGRIND") != NULL)
    timeout *= 20;

  return timeout;
}

static gboolean
on_wakeup (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

void
test_deadline_init (TestDeadline *self)
{
  self->deadline = g_get_monotonic_time () + test_timeout_us ();
  self->context = g_main_context_ref_thread_default ();
  self->wakeup = g_timeout_source_new (20);
  g_source_set_callback (self->wakeup, on_wakeup, NULL, NULL);
  g_source_attach (self->wakeup, self->context);
}

void
test_deadline_iterate (TestDeadline *self,
                       const char   *what,
                       const char   *file,
                       int           line)
{
  if (g_get_monotonic_time () > self->deadline)
    {
      g_autofree char *message = g_strdup_printf ("timed out waiting until %s", what);

      g_assertion_message (G_LOG_DOMAIN, file, line, G_STRFUNC, message);
    }

  g_main_context_iteration (self->context, TRUE);
}

void
test_deadline_clear (TestDeadline *self)
{
  g_source_destroy (self->wakeup);
  g_clear_pointer (&self->wakeup, g_source_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
}

/* Iterates the thread-default context for @ms milliseconds: only to show
 * that something does *not* happen. */
void
test_iterate_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  test_wait_until (g_get_monotonic_time () >= end);
}

void
test_store_result (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GAsyncResult **out = user_data;

  g_assert_null (*out);
  *out = g_object_ref (result);
}

const GError *
test_error_at (const GError *group,
               guint         index)
{
  GPtrArray *errors = bgs_error_get_errors (group);

  g_assert_nonnull (errors);
  g_assert_cmpuint (index, <, errors->len);

  return g_ptr_array_index (errors, index);
}

/* ---- small recorders ---------------------------------------------------- */

void
test_destroy_record (gpointer data)
{
  TestDestroyRecord *record = data;

  record->n_calls++;
  record->thread = g_thread_self ();
}

void
test_weak_flag (gpointer  data,
                GObject  *where_the_object_was)
{
  gboolean *flag = data;

  *flag = TRUE;
}

void
test_service_stop_and_unref (gpointer service)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (bgs_service_stop (service, "test over", NULL, &error));
  g_assert_no_error (error);
  g_assert_false (bgs_service_is_running (service));
  g_object_unref (service);
}
