/* eigml-server.c: the sticker server — an HTTP API over EigmlRanker and a
 * web page (docs/server.md)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "server/server.h"
#include "engine/backend.h"

#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>
#include <unistd.h>

/* how long SIGTERM waits for requests in flight before exiting anyway */
#define DRAIN_TIMEOUT_S 60

/* $EIGML_DATA_DIR/NAME, the source tree's data/NAME, then the installed
 * one: the first that exists */
static char *
find_data (const char *name)
{
  const char *env = g_getenv ("EIGML_DATA_DIR");
  g_autofree char *in_env = env ? g_build_filename (env, name, NULL) : NULL;
  g_autofree char *in_source = g_build_filename (EIGML_SOURCE_DIR, "data", name, NULL);
  g_autofree char *installed = g_build_filename (EIGML_DATADIR, name, NULL);

  if (in_env != NULL && g_file_test (in_env, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&in_env);
  if (g_file_test (in_source, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&in_source);
  if (g_file_test (installed, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&installed);
  return NULL;
}

static gboolean
load_model (EigmlServer *server,
            const char *backend_name,
            const char *intent_source_name,
            const char *order_name,
            GError **error)
{
  g_autoptr (GEnumClass) orders = g_type_class_ref (EIGML_TYPE_RANK_ORDER);
  GEnumValue *order = g_enum_get_value_by_nick (orders, order_name ? order_name : "lexical");
  EigmlBackendKind backend = EIGML_BACKEND_AUTO;
  g_autoptr (EigmlTokenizer) tokenizer = NULL;
  g_autoptr (EigmlEmotionAnnotator) annotator = NULL;
  g_autoptr (EigmlIntentSource) intents = NULL;
  g_autoptr (EigmlStickerLibrary) library = NULL;
  g_autofree char *vocab = g_build_filename (server->model_dir, "vocab.txt", NULL);

  if (backend_name != NULL && !eigml_backend_kind_from_string (backend_name, &backend, error))
    return FALSE;
  if (order == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--order is lexical, fused or model, not %s", order_name);
      return FALSE;
    }
  if (intent_source_name == NULL || g_str_equal (intent_source_name, "fallback"))
    intents = eigml_intent_source_new_fallback ();
  else if (!g_str_equal (intent_source_name, "none"))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--intent-source is none or fallback, not %s", intent_source_name);
      return FALSE;
    }
  server->context = eigml_context_new (backend, NULL, error);
  if (server->context == NULL)
    return FALSE;
  server->model = eigml_model_new_from_checkpoint (server->context, server->model_dir, error);
  if (server->model == NULL)
    return FALSE;
  tokenizer = eigml_tokenizer_new_from_file (vocab, error);
  if (tokenizer == NULL)
    return FALSE;
  annotator = eigml_emotion_annotator_new (error);
  if (annotator == NULL)
    return FALSE;
  library = eigml_sticker_library_new_from_file (server->library_path, error);
  if (library == NULL)
    return FALSE;
  server->ranker = eigml_ranker_new (server->model, tokenizer);
  eigml_ranker_set_emotion_annotator (server->ranker, annotator);
  eigml_ranker_set_intent_source (server->ranker, intents);
  eigml_ranker_set_order (server->ranker, (EigmlRankOrder) order->value);
  /* the sticker embeddings: from the cache, or computed now (once) */
  if (!eigml_ranker_set_library (server->ranker, library, NULL, NULL, error))
    return FALSE;
  server->library = g_object_ref (library);
  return TRUE;
}

static gboolean
load_tls (SoupServer *soup,
          const char *cert,
          const char *key,
          GError **error)
{
  g_autoptr (GTlsCertificate) tls = NULL;

  if (cert == NULL && key == NULL)
    return TRUE;
  if (cert == NULL || key == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   "--tls-cert and --tls-key go together");
      return FALSE;
    }
  tls = g_tls_certificate_new_from_files (cert, key, error);
  if (tls == NULL)
    return FALSE;
  g_object_set (soup, "tls-certificate", tls, NULL);
  return TRUE;
}

/* Listening sockets are made here, not by libsoup, so that SIGTERM can
 * close them (stop accepting) while libsoup finishes the requests in
 * flight; soup_server_disconnect() would drop those too. */
static gboolean
listen_on (EigmlServer *server,
           const char *host,
           guint port,
           gboolean https,
           GError **error)
{
  g_autoptr (GResolver) resolver = g_resolver_get_default ();
  g_autolist (GInetAddress) addresses = NULL;
  g_autoptr (GInetAddress) literal = g_inet_address_new_from_string (host);

  if (literal != NULL)
    addresses = g_list_prepend (NULL, g_object_ref (literal));
  else if ((addresses = g_resolver_lookup_by_name (resolver, host, NULL, error)) == NULL)
    return FALSE;
  for (GList *l = addresses; l != NULL; l = l->next)
    {
      g_autoptr (GSocketAddress) address = g_inet_socket_address_new (l->data, port);
      g_autoptr (GSocket) socket = NULL;
      g_autoptr (GSocketAddress) bound = NULL;
      g_autoptr (GError) local = NULL;

      socket = g_socket_new (g_socket_address_get_family (address), G_SOCKET_TYPE_STREAM,
                             G_SOCKET_PROTOCOL_TCP, &local);
      if (socket != NULL)
        g_socket_set_listen_backlog (socket, 256);
      if (socket == NULL || !g_socket_bind (socket, address, TRUE, &local) ||
          !g_socket_listen (socket, &local) ||
          !soup_server_listen_socket (server->soup, socket,
                                      https ? SOUP_SERVER_LISTEN_HTTPS : 0, &local))
        {
          /* one address of a name may fail (no IPv6); the first must not */
          if (server->sockets->len == 0 && l->next == NULL)
            {
              g_propagate_prefixed_error (error, g_steal_pointer (&local), "listening on %s: ",
                                          host);
              return FALSE;
            }
          continue;
        }
      bound = g_socket_get_local_address (socket, NULL);
      if (port == 0 && bound != NULL)
        port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
      g_ptr_array_add (server->sockets, g_steal_pointer (&socket));
    }
  if (server->sockets->len == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "could not listen on %s", host);
      return FALSE;
    }
  return TRUE;
}

static char *
listening_url (EigmlServer *server,
               gboolean https)
{
  g_autoptr (GSocketAddress) address =
    g_socket_get_local_address (g_ptr_array_index (server->sockets, 0), NULL);
  GInetSocketAddress *inet = G_INET_SOCKET_ADDRESS (address);
  g_autofree char *host = g_inet_address_to_string (g_inet_socket_address_get_address (inet));
  gboolean v6 = g_inet_address_get_family (g_inet_socket_address_get_address (inet)) ==
                G_SOCKET_FAMILY_IPV6;

  return g_strdup_printf ("%s://%s%s%s:%u/", https ? "https" : "http", v6 ? "[" : "", host,
                          v6 ? "]" : "", g_inet_socket_address_get_port (inet));
}

static void
maybe_quit (EigmlServer *server)
{
  if (server->draining && server->in_flight == 0)
    g_main_loop_quit (server->loop);
}

static void
on_request_done (SoupServer *soup,
                 SoupServerMessage *msg,
                 gpointer data)
{
  EigmlServer *server = data;
  RequestInfo *info = server_request_info (msg);
  double seconds = info->start_us ? (g_get_monotonic_time () - info->start_us) / 1e6 : 0.0;

  server_metrics_request (server->metrics, info->route, soup_server_message_get_status (msg),
                          seconds);
  if (info->counted)
    {
      info->counted = FALSE;
      server->in_flight--;
      maybe_quit (server);
    }
}

static gboolean
on_drain_timeout (gpointer data)
{
  EigmlServer *server = data;

  g_printerr ("eigml-server: %u requests still in flight after %d s; exiting\n",
              server->in_flight, DRAIN_TIMEOUT_S);
  g_main_loop_quit (server->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
on_signal (gpointer data)
{
  EigmlServer *server = data;

  if (server->draining)
    return G_SOURCE_CONTINUE;
  g_printerr ("eigml-server: stopping: accepting no new connections, finishing %u requests\n",
              server->in_flight);
  server->draining = TRUE;
  for (guint i = 0; i < server->sockets->len; i++)
    {
      GSocket *socket = g_ptr_array_index (server->sockets, i);

      /* wakes libsoup's accept watch, which then removes itself */
      g_socket_shutdown (socket, TRUE, FALSE, NULL);
      g_socket_close (socket, NULL);
    }
  g_timeout_add_seconds (DRAIN_TIMEOUT_S, on_drain_timeout, server);
  maybe_quit (server);
  return G_SOURCE_CONTINUE;
}

static void
server_clear (EigmlServer *server)
{
  if (server->batcher != NULL)
    server_batcher_free (server->batcher);
  g_clear_object (&server->soup);
  g_clear_pointer (&server->sockets, g_ptr_array_unref);
  g_clear_pointer (&server->image_tags, g_hash_table_destroy);
  g_clear_pointer (&server->metrics, server_metrics_free);
  g_clear_object (&server->ranker);
  g_clear_object (&server->library);
  g_clear_object (&server->model);
  g_clear_object (&server->context);
  g_clear_pointer (&server->loop, g_main_loop_unref);
  g_free (server->model_dir);
  g_free (server->library_path);
  g_free (server->sticker_dir);
  g_free (server->token);
  g_mutex_clear (&server->add_lock);
}

int
main (int argc,
      char **argv)
{
  g_autoptr (GOptionContext) options = g_option_context_new ("- the Eigml sticker server");
  g_autoptr (GError) error = NULL;
  g_autofree char *host = NULL, *model = NULL, *library = NULL, *token = NULL;
  g_autofree char *cert = NULL, *key = NULL, *backend = NULL, *intent_source = NULL;
  g_autofree char *url = NULL, *library_dir = NULL, *order = NULL;
  gint port = 8080, queue_size = 64, max_batch = 16, batch_wait_ms = 2;
  GOptionEntry entries[] = {
    { "host", 0, 0, G_OPTION_ARG_STRING, &host, "the address to listen on (127.0.0.1)", "HOST" },
    { "port", 'p', 0, G_OPTION_ARG_INT, &port, "the port (8080; 0: any free port)", "PORT" },
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model,
      "a model folder: config.json, model.safetensors, vocab.txt (the default model)", "DIR" },
    { "library", 'l', 0, G_OPTION_ARG_FILENAME, &library,
      "the sticker library, JSON lines (data/demo/library.jsonl)", "FILE" },
    { "token", 't', 0, G_OPTION_ARG_STRING, &token,
      "the bearer token POST /v1/stickers needs (or EIGML_SERVER_TOKEN; without one, adding "
      "stickers is off)", "TOKEN" },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &cert, "serve HTTPS with this PEM certificate",
      "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &key, "the certificate's PEM private key", "FILE" },
    { "backend", 'b', 0, G_OPTION_ARG_STRING, &backend, "auto, cpu or vulkan", "NAME" },
    { "intent-source", 0, 0, G_OPTION_ARG_STRING, &intent_source,
      "the dialogues' intention knowledge: fallback (default) or none (docs/intent.md)",
      "NAME" },
    { "order", 0, 0, G_OPTION_ARG_STRING, &order,
      "the order of a whole-library selection: lexical (default: the stickers whose words "
      "match first), fused (with the model's) or model (docs/server.md)", "NAME" },
    { "queue-size", 0, 0, G_OPTION_ARG_INT, &queue_size,
      "select requests that may wait; past them, 503 (64)", "N" },
    { "max-batch", 0, 0, G_OPTION_ARG_INT, &max_batch,
      "select requests scored together (16)", "N" },
    { "batch-wait-ms", 0, 0, G_OPTION_ARG_INT, &batch_wait_ms,
      "how long a request waits for others to share its pass (2)", "MS" },
    { NULL }
  };
  EigmlServer server = { 0 };
  int status = 0;

  eigml_cpu_blas_reexec_if_generic (argv);
  setlocale (LC_ALL, "");
  g_option_context_add_main_entries (options, entries, NULL);
  g_option_context_set_description (options,
    "The HTTP API (docs/server.md): GET / (the web page), GET /v1/health,\n"
    "GET /v1/stickers, GET /v1/stickers/ID, GET /v1/stickers/ID/image,\n"
    "POST /v1/select, POST /v1/stickers (with the token), GET /metrics.\n"
    "SIGTERM or SIGINT finishes the requests in flight and exits 0.");
  if (!g_option_context_parse (options, &argc, &argv, &error))
    {
      g_printerr ("eigml-server: %s\n", error->message);
      return 2;
    }
  if (port < 0 || port > 65535 || queue_size < 1 || max_batch < 1 || batch_wait_ms < 0 ||
      batch_wait_ms > 10000)
    {
      g_printerr ("eigml-server: --port is 0 to 65535, --queue-size and --max-batch at least 1, "
                  "--batch-wait-ms 0 to 10000\n");
      return 2;
    }
  if (token == NULL && g_getenv ("EIGML_SERVER_TOKEN") != NULL &&
      *g_getenv ("EIGML_SERVER_TOKEN") != '\0')
    token = g_strdup (g_getenv ("EIGML_SERVER_TOKEN"));
  if (model == NULL && (model = find_data ("default-model")) == NULL)
    {
      g_printerr ("eigml-server: no default model found (data/default-model); pass --model "
                  "DIR\n");
      return 2;
    }
  if (library == NULL && (library = find_data ("demo/library.jsonl")) == NULL)
    {
      g_printerr ("eigml-server: no sticker library: pass --library FILE (tools/demo-data "
                  "builds data/demo/library.jsonl)\n");
      return 2;
    }

  g_mutex_init (&server.add_lock);
  server.model_dir = g_canonicalize_filename (model, NULL);
  server.library_path = g_canonicalize_filename (library, NULL);
  library_dir = g_path_get_dirname (server.library_path);
  server.sticker_dir = g_build_filename (library_dir, "stickers", NULL);
  server.token = g_steal_pointer (&token);
  server.queue_size = (guint) queue_size;
  server.max_batch = (guint) max_batch;
  server.batch_wait_ms = (guint) batch_wait_ms;
  server.main_context = g_main_context_default ();
  server.loop = g_main_loop_new (server.main_context, FALSE);
  server.sockets = g_ptr_array_new_with_free_func (g_object_unref);
  server.metrics = server_metrics_new ();

  if (!load_model (&server, backend, intent_source, order, &error))
    {
      g_printerr ("eigml-server: %s\n", error->message);
      status = 1;
      goto out;
    }
  server.soup = soup_server_new ("server-header", "eigml-server/" PACKAGE_VERSION " ", NULL);
  if (!load_tls (server.soup, cert, key, &error) ||
      !listen_on (&server, host ? host : "127.0.0.1", (guint) port, cert != NULL, &error))
    {
      g_printerr ("eigml-server: %s\n", error->message);
      status = 1;
      goto out;
    }
  server_add_handlers (&server);
  g_signal_connect (server.soup, "request-finished", G_CALLBACK (on_request_done), &server);
  g_signal_connect (server.soup, "request-aborted", G_CALLBACK (on_request_done), &server);
  server.batcher = server_batcher_new (&server);
  g_unix_signal_add (SIGTERM, on_signal, &server);
  g_unix_signal_add (SIGINT, on_signal, &server);

  url = listening_url (&server, cert != NULL);
  printf ("eigml-server: listening on %s\n", url);
  fflush (stdout);
  g_printerr ("eigml-server: model %s (%s, %s), %u stickers from %s%s\n", server.model_dir,
              eigml_backend_kind_to_string (eigml_context_get_backend (server.context)),
              eigml_context_get_device_name (server.context),
              eigml_sticker_library_get_n_stickers (server.library), server.library_path,
              server.token ? "; adding stickers on" : "");

  g_main_loop_run (server.loop);
  server_batcher_stop (server.batcher);
  g_printerr ("eigml-server: stopped\n");

out:
  server_clear (&server);
  return status;
}
