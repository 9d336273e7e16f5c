/* SPDX-License-Identifier: MIT */
/* core-test-util.h: what the core tests share.
 *
 * - TestService: a BgsService whose start() counts its calls, makes the
 *   scripted tasks it was configured with and runs a hook of the test.
 * - Scripted tasks: tasks of a service that end after a delay (with or
 *   without an error), or never, and always end cancelled when the
 *   service cancels them first.
 * - test_wait_until(): iterates the thread-default main context until a
 *   condition holds, failing the test after a generous timeout; no test
 *   sleeps to synchronise.
 */
#pragma once

#include <bgservice.h>

G_BEGIN_DECLS

/* ---- TestService ------------------------------------------------------ */

#define TEST_TYPE_SERVICE (test_service_get_type ())
G_DECLARE_FINAL_TYPE (TestService, test_service, TEST, SERVICE, BgsService)

typedef void (*TestStartFunc) (TestService *self,
                               gpointer     user_data);

struct _TestService
{
  BgsService    parent_instance;

  guint         n_starts;       /* calls of the start vfunc */

  /* What start() makes: n_start_tasks scripted tasks, each ending after
   * start_delay_ms (TEST_FOREVER: only when cancelled), failing with a
   * copy of start_error when it is set. */
  guint         n_start_tasks;
  int           start_delay_ms;
  GError       *start_error;    /* (owned) (nullable) */

  TestStartFunc start_func;     /* (nullable): run after the tasks are made */
  gpointer      start_data;
};

TestService *test_service_new      (const char  *name);
TestService *test_service_new_fake (const char  *name,
                                    int          delay_ms,
                                    GError      *error);

/* ---- scripted tasks --------------------------------------------------- */

/* A delay that never ends: the task only ends when it is cancelled. */
#define TEST_FOREVER (-1)

GTask *test_task_spawn                   (BgsService *service,
                                          const char *name,
                                          int         delay_ms,
                                          GError     *error);
GTask *test_task_spawn_failing_on_cancel (BgsService *service,
                                          const char *name,
                                          GError     *error);

/* ---- the main context ------------------------------------------------- */

/* Deadline of one test_wait_until(): a wake-up source keeps a blocking
 * iteration from sleeping past it. */
typedef struct
{
  gint64        deadline;
  GMainContext *context;
  GSource      *wakeup;
} TestDeadline;

gint64 test_timeout_us        (void);
void   test_deadline_init     (TestDeadline *self);
void   test_deadline_iterate  (TestDeadline *self,
                               const char   *what,
                               const char   *file,
                               int           line);
void   test_deadline_clear    (TestDeadline *self);
void   test_iterate_for       (guint         ms);

#define test_wait_until(cond)                                            \
  G_STMT_START {                                                         \
    TestDeadline test_deadline_;                                         \
    test_deadline_init (&test_deadline_);                                \
    while (!(cond))                                                      \
      test_deadline_iterate (&test_deadline_, #cond, __FILE__, __LINE__); \
    test_deadline_clear (&test_deadline_);                               \
  } G_STMT_END

/* A GAsyncReadyCallback storing a reference on the result in the
 * GAsyncResult * that @user_data points to. */
void test_store_result (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data);

/* The @index-th error of the group @group, checked to be there. */
const GError *test_error_at (const GError *group,
                             guint         index);

/* ---- small recorders ---------------------------------------------------- */

/* Counts the calls of a GDestroyNotify, and where they happened. */
typedef struct
{
  guint    n_calls;
  GThread *thread;   /* of the last call */
} TestDestroyRecord;

void test_destroy_record (gpointer data);

/* Sets *(gboolean *) @data when the object it watches is finalized. */
void test_weak_flag      (gpointer  data,
                          GObject  *where_the_object_was);

/* A running service must not leak out of a test: stops it, checks it
 * stopped cleanly and drops the reference. */
void test_service_stop_and_unref (gpointer service);

G_END_DECLS
