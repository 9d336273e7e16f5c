/* SPDX-License-Identifier: MIT */
/* echo-server.c: a BgsService that wraps a library running its own work.
 *
 * EchoService serves the echo protocol on the loopback interface: every
 * line a client sends comes back to it. GIO's GSocketService does the work:
 * it runs its own accept loop on the main context, and hands every new
 * connection to its "incoming" signal. No GTask of the service runs, so the
 * task-based defaults of BgsService would think it never runs. Instead,
 * EchoService overrides is_running, cancel, wait_async and wait_finish to
 * follow the socket service and the open connections, as a subclass that
 * wraps a library with work of its own does.
 *
 * main() starts the service, prints the address it listens on, and stops
 * it on SIGINT or SIGTERM, or once it has served --serve connections.
 *
 *   echo-server --port=7777 &
 *   nc 127.0.0.1 7777
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#include <glib-unix.h>
#include <bgservice.h>

#define EXIT_USAGE 2

/* ---- EchoService ----------------------------------------------------- */

/*
 * EchoService: listens on 127.0.0.1:port (0 picks a free port) and echoes
 * every line. With max_connections, it stops listening after that many
 * connections and stops running once they have closed.
 *
 * The service runs while it listens or a connection is open. The base
 * class cannot see either, so the service notifies "is-running" itself and
 * keeps its own queue of pending waits.
 */
#define ECHO_TYPE_SERVICE (echo_service_get_type ())
G_DECLARE_FINAL_TYPE (EchoService, echo_service, ECHO, SERVICE, BgsService)

struct _EchoService
{
  BgsService      parent_instance;

  guint16         port;             /* asked for; 0 picks one */
  guint           max_connections;  /* 0: no limit */

  GSocketService *listener;         /* (owned) (nullable): while listening */
  guint16         bound_port;       /* the port the listener listens on */
  guint           n_accepted;       /* connections since the last start */
  guint           n_open;           /* connections not closed yet */
  GCancellable   *cancellable;      /* (owned): cancel() ends the connections */
  gboolean        was_running;      /* as last notified */
  GError         *failure;          /* (owned) (nullable): for the next wait */
  GQueue          waits;            /* (element-type GTask) (owned) */
};

G_DEFINE_FINAL_TYPE (EchoService, echo_service, BGS_TYPE_SERVICE)

/* EchoConnection: one client, read line by line and echoed back. */
typedef struct
{
  EchoService       *service;       /* (owned): keeps the service alive */
  GSocketConnection *connection;    /* (owned) */
  GDataInputStream  *input;         /* (owned) */
  GCancellable      *cancellable;   /* (owned): the service's at accept time */
  char              *line;          /* (owned) (nullable): being echoed */
} EchoConnection;

static void read_next_line (EchoConnection *conn);

static gboolean
echo_service_is_running (BgsService *service)
{
  EchoService *self = ECHO_SERVICE (service);

  return (self->listener != NULL && g_socket_service_is_active (self->listener))
         || self->n_open > 0;
}

/* Completes every pending wait with the failure kept for it, if any: each
 * failure is reported once, to the waits pending when the service stopped. */
static void
complete_waits (EchoService *self)
{
  GQueue waits = self->waits;
  g_autoptr(GError) failure = NULL;
  GTask *wait;

  if (g_queue_is_empty (&waits))
    return;

  /* A callback may start a new wait: it gets a queue of its own. */
  g_queue_init (&self->waits);
  failure = g_steal_pointer (&self->failure);

  while ((wait = g_queue_pop_head (&waits)) != NULL)
    {
      g_task_set_task_data (wait, NULL, NULL);  /* stops watching its cancellable */
      if (failure != NULL)
        g_task_return_error (wait, g_error_copy (failure));
      else
        g_task_return_boolean (wait, TRUE);
      g_object_unref (wait);
    }
}

/* Called after every change of the listener or the connections. The base
 * class only notifies "is-running" for the tasks it tracks: a service that
 * decides it by itself notifies it by itself. */
static void
update_running (EchoService *self)
{
  gboolean running = echo_service_is_running (BGS_SERVICE (self));

  if (running == self->was_running)
    return;

  self->was_running = running;
  g_object_notify (G_OBJECT (self), "is-running");
  if (!running)
    complete_waits (self);
}

/* Ends a connection, whether the client closed it, it failed, or the
 * service cancelled it. */
static void
echo_connection_end (EchoConnection *conn,
                     const GError   *error)
{
  EchoService *self = conn->service;

  /* A client that vanishes is no failure of the service: log it only. */
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("A connection ended: %s", error->message);

  g_io_stream_close (G_IO_STREAM (conn->connection), NULL, NULL);
  g_object_unref (conn->connection);
  g_object_unref (conn->input);
  g_object_unref (conn->cancellable);
  g_free (conn->line);
  g_free (conn);

  self->n_open--;
  update_running (self);
  g_object_unref (self);
}

static void
on_line_written (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  EchoConnection *conn = user_data;
  g_autoptr(GError) error = NULL;

  g_clear_pointer (&conn->line, g_free);
  if (g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    read_next_line (conn);
  else
    echo_connection_end (conn, error);
}

static void
on_line_read (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  EchoConnection *conn = user_data;
  g_autoptr(GError) error = NULL;
  GOutputStream *output;
  gsize length;

  conn->line = g_data_input_stream_read_line_finish (conn->input, result, &length, &error);
  if (conn->line == NULL)  /* the client closed the connection, or an error */
    {
      echo_connection_end (conn, error);
      return;
    }

  /* The line comes without its newline: put it back in place of the nul. */
  conn->line[length] = '\n';
  output = g_io_stream_get_output_stream (G_IO_STREAM (conn->connection));
  g_output_stream_write_all_async (output, conn->line, length + 1, G_PRIORITY_DEFAULT,
                                   conn->cancellable, on_line_written, conn);
}

static void
read_next_line (EchoConnection *conn)
{
  g_data_input_stream_read_line_async (conn->input, G_PRIORITY_DEFAULT,
                                       conn->cancellable, on_line_read, conn);
}

/* Stops accepting connections and frees the port; open ones go on. */
static void
stop_listening (EchoService *self)
{
  if (self->listener == NULL)
    return;

  g_signal_handlers_disconnect_by_data (self->listener, self);
  g_socket_service_stop (self->listener);
  g_socket_listener_close (G_SOCKET_LISTENER (self->listener));
  g_clear_object (&self->listener);
  self->bound_port = 0;
  update_running (self);
}

/* GSocketService::incoming: a client connected. Returns TRUE to say the
 * connection is handled here. */
static gboolean
on_incoming (GSocketService    *listener,
             GSocketConnection *connection,
             GObject           *source_object,
             gpointer           user_data)
{
  EchoService *self = user_data;
  GInputStream *input = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  EchoConnection *conn = g_new0 (EchoConnection, 1);

  conn->service = g_object_ref (self);
  conn->connection = g_object_ref (connection);
  conn->input = g_data_input_stream_new (input);
  conn->cancellable = g_object_ref (self->cancellable);
  self->n_open++;
  self->n_accepted++;

  if (self->max_connections > 0 && self->n_accepted == self->max_connections)
    stop_listening (self);

  read_next_line (conn);
  return TRUE;
}

/* BgsServiceClass.start: listen, and let GSocketService do the rest. It
 * returns nothing, so a failure is kept for the next wait or stop, which
 * is where a service reports what went wrong. */
static void
echo_service_start (BgsService *service)
{
  EchoService *self = ECHO_SERVICE (service);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, self->port);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocketService) listener = g_socket_service_new ();
  g_autoptr(GError) error = NULL;

  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (listener), address,
                                      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                      NULL, &bound, &error))
    {
      g_clear_error (&self->failure);
      self->failure = g_steal_pointer (&error);
      return;
    }

  /* Cancelling this ends every connection accepted until the next start. */
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->n_accepted = 0;
  self->bound_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));

  g_signal_connect (listener, "incoming", G_CALLBACK (on_incoming), self);
  self->listener = g_steal_pointer (&listener);
  g_socket_service_start (self->listener);
  update_running (self);
}

/* BgsServiceClass.cancel: stop listening, and cancel the pending reads and
 * writes of every open connection, which then closes (see
 * echo_connection_end()). The service runs until the last one has. */
static void
echo_service_cancel (BgsService *service,
                     const char *message)
{
  EchoService *self = ECHO_SERVICE (service);

  if (message != NULL)
    g_debug ("Cancelling %s: %s", bgs_service_get_name (service), message);

  stop_listening (self);
  g_cancellable_cancel (self->cancellable);
}

/* Fails one wait whose cancellable was cancelled; the service goes on. */
static gboolean
on_wait_cancelled (GCancellable *cancellable,
                   gpointer      user_data)
{
  GTask *wait = user_data;
  EchoService *self = g_task_get_source_object (wait);

  if (g_queue_remove (&self->waits, wait))
    {
      g_task_return_new_error (wait, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               "Waiting for %s was cancelled",
                               bgs_service_get_name (BGS_SERVICE (self)));
      g_object_unref (wait);
    }

  return G_SOURCE_REMOVE;
}

static void
destroy_source (gpointer source)
{
  g_source_destroy (source);
  g_source_unref (source);
}

/* BgsServiceClass.wait_async: completes when the service stops running,
 * at once if it does not run. */
static void
echo_service_wait_async (BgsService          *service,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  EchoService *self = ECHO_SERVICE (service);
  GTask *wait = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (wait, echo_service_wait_async);
  /* Only on_wait_cancelled() turns a wait into a cancellation. */
  g_task_set_check_cancellable (wait, FALSE);

  if (cancellable != NULL)
    {
      GSource *watch = g_cancellable_source_new (cancellable);

      g_source_set_callback (watch, G_SOURCE_FUNC (on_wait_cancelled), wait, NULL);
      g_source_attach (watch, bgs_service_get_context (service));
      g_task_set_task_data (wait, watch, destroy_source);
    }

  g_queue_push_tail (&self->waits, wait);
  if (!echo_service_is_running (service))
    complete_waits (self);
}

/* BgsServiceClass.wait_finish: the failure of a start (an address in use,
 * say) comes back here, as GIO reported it. */
static gboolean
echo_service_wait_finish (BgsService    *service,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, service), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
echo_service_dispose (GObject *object)
{
  stop_listening (ECHO_SERVICE (object));

  G_OBJECT_CLASS (echo_service_parent_class)->dispose (object);
}

static void
echo_service_finalize (GObject *object)
{
  EchoService *self = ECHO_SERVICE (object);

  /* Pending waits and open connections hold a reference: none is left. */
  g_clear_object (&self->cancellable);
  g_clear_error (&self->failure);

  G_OBJECT_CLASS (echo_service_parent_class)->finalize (object);
}

static void
echo_service_class_init (EchoServiceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  BgsServiceClass *service_class = BGS_SERVICE_CLASS (klass);

  object_class->dispose = echo_service_dispose;
  object_class->finalize = echo_service_finalize;

  service_class->start = echo_service_start;
  service_class->is_running = echo_service_is_running;
  service_class->cancel = echo_service_cancel;
  service_class->wait_async = echo_service_wait_async;
  service_class->wait_finish = echo_service_wait_finish;
}

static void
echo_service_init (EchoService *self)
{
  self->cancellable = g_cancellable_new ();
  g_queue_init (&self->waits);
}

static EchoService *
echo_service_new (guint16 port,
                  guint   max_connections)
{
  EchoService *self = g_object_new (ECHO_TYPE_SERVICE, "name", "echo", NULL);

  self->port = port;
  self->max_connections = max_connections;

  return self;
}

/* The port the service listens on, or 0 when it does not listen. */
static guint16
echo_service_get_port (EchoService *self)
{
  return self->bound_port;
}

/* ---- the program ----------------------------------------------------- */

/* What the callbacks of main() share. */
typedef struct
{
  BgsService *service;
  GMainLoop  *loop;
  gboolean    stopping;
  gboolean    stopped;
  gboolean    stopped_cleanly;
  GError     *error;
} Program;

static void
on_stopped (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Program *program = user_data;

  program->stopped = TRUE;
  program->stopped_cleanly = bgs_service_stop_finish (BGS_SERVICE (source), result,
                                                      &program->error);
  g_main_loop_quit (program->loop);
}

/* Stops the service once, whoever asks first. When it no longer runs, the
 * stop has nothing to cancel and only collects the failures. */
static void
request_stop (Program    *program,
              const char *why)
{
  if (program->stopping)
    return;

  program->stopping = TRUE;
  bgs_service_stop_async (program->service, why, NULL, on_stopped, program);
}

static gboolean
on_quit_signal (gpointer user_data)
{
  request_stop (user_data, "stopped by a signal");
  return G_SOURCE_CONTINUE;
}

/* With --serve, the service stops running by itself. */
static void
on_running_changed (BgsService *service,
                    GParamSpec *pspec,
                    gpointer    user_data)
{
  if (!bgs_service_is_running (service))
    request_stop (user_data, "done serving");
}

static int
usage_error (const char *message)
{
  g_printerr ("echo-server: %s\nTry “echo-server --help”.\n", message);
  return EXIT_USAGE;
}

int
main (int    argc,
      char **argv)
{
  int port = 0;
  int serve = 0;
  const GOptionEntry entries[] = {
    { "port", 'p', 0, G_OPTION_ARG_INT, &port,
      "Listen on 127.0.0.1:PORT (default 0: pick a free port)", "PORT" },
    { "serve", 'n', 0, G_OPTION_ARG_INT, &serve,
      "Accept N connections, then stop once they have closed "
      "(default 0: serve until SIGINT or SIGTERM)", "N" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(EchoService) service = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GError) error = NULL;
  Program program = { NULL, };
  guint sigint, sigterm;

  setlocale (LC_ALL, "");

  context = g_option_context_new ("- echo every line back to its sender");
  g_option_context_set_summary (context,
    "Serves the echo protocol on the loopback interface with a bgservice\n"
    "service that wraps GSocketService. Prints “Listening on ADDRESS:PORT”\n"
    "once clients may connect.");
  g_option_context_set_description (context,
    "Exit status: 0 when the server stopped cleanly, 1 when it failed\n"
    "(for instance when the port is in use), 2 on usage errors.");
  g_option_context_add_main_entries (context, entries, NULL);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    return usage_error (error->message);
  if (argc > 1)
    return usage_error ("Unexpected argument");
  if (port < 0 || port > G_MAXUINT16)
    return usage_error ("--port must be between 0 and 65535");
  if (serve < 0)
    return usage_error ("--serve must not be negative");

  service = echo_service_new (port, serve);
  loop = g_main_loop_new (NULL, FALSE);
  program.service = BGS_SERVICE (service);
  program.loop = loop;

  sigint = g_unix_signal_add (SIGINT, on_quit_signal, &program);
  sigterm = g_unix_signal_add (SIGTERM, on_quit_signal, &program);
  g_signal_connect (service, "notify::is-running", G_CALLBACK (on_running_changed), &program);

  bgs_service_start (BGS_SERVICE (service));
  if (bgs_service_is_running (BGS_SERVICE (service)))
    {
      g_print ("Listening on 127.0.0.1:%u\n", echo_service_get_port (service));
      fflush (stdout);
    }
  else
    {
      /* The start failed: the stop hands back why. */
      request_stop (&program, "could not start");
    }

  if (!program.stopped)
    g_main_loop_run (loop);

  g_signal_handlers_disconnect_by_data (service, &program);
  g_source_remove (sigterm);
  g_source_remove (sigint);

  if (!program.stopped_cleanly)
    {
      g_printerr ("echo-server: %s\n", program.error->message);
      g_error_free (program.error);
      return EXIT_FAILURE;
    }

  return EXIT_SUCCESS;
}
