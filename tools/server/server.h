/* server.h: eigml-server's parts (docs/server.md)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <eigml/eigml.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* bodies: /v1/select and every other route, and POST /v1/stickers */
#define SERVER_BODY_MAX ((gsize) 64 << 10)
#define SERVER_UPLOAD_MAX ((gsize) 4 << 20)
/* POST /v1/select */
#define SERVER_MAX_TURNS 50
#define SERVER_MAX_TURN_CHARS 2000
#define SERVER_MAX_TOP_K 100
#define SERVER_DEFAULT_TOP_K 5
#define SERVER_MAX_CANDIDATES 1000
/* JSON nesting a body may have; deeper is refused before parsing */
#define SERVER_MAX_JSON_DEPTH 16
/* GET /v1/stickers */
#define SERVER_DEFAULT_PAGE 50
#define SERVER_MAX_PAGE 500

typedef enum
{
  ROUTE_INDEX,
  ROUTE_STATIC,
  ROUTE_HEALTH,
  ROUTE_STICKERS,
  ROUTE_STICKER,
  ROUTE_STICKER_IMAGE,
  ROUTE_SELECT,
  ROUTE_METRICS,
  ROUTE_OTHER,
  N_ROUTES
} ServerRoute;

typedef struct _ServerMetrics ServerMetrics;
typedef struct _ServerBatcher ServerBatcher;

typedef struct
{
  /* configuration */
  char *model_dir;
  char *library_path;      /* absolute */
  char *sticker_dir;       /* where added stickers' images go */
  char *token;             /* NULL: POST /v1/stickers is refused */
  guint queue_size;
  guint max_batch;
  guint batch_wait_ms;

  EigmlContext *context;
  EigmlModel *model;
  EigmlRanker *ranker;
  EigmlStickerLibrary *library;   /* the ranker's */

  SoupServer *soup;
  GPtrArray *sockets;      /* GSocket: the listening sockets */
  GMainContext *main_context;
  GMainLoop *loop;
  ServerMetrics *metrics;
  ServerBatcher *batcher;
  GHashTable *image_tags;  /* sticker id -> ImageTag (server-routes.c) */
  GMutex add_lock;         /* one POST /v1/stickers at a time */

  guint in_flight;         /* requests whose headers were read, not yet answered */
  gboolean draining;       /* SIGTERM/SIGINT: answering what came, accepting nothing */
} EigmlServer;

/* per request: set when libsoup starts it, read when it ends */
typedef struct
{
  gint64 start_us;         /* when its headers arrived */
  ServerRoute route;
  gboolean counted;        /* in EigmlServer.in_flight */
} RequestInfo;

RequestInfo *server_request_info (SoupServerMessage *msg);

/* server-http.c: answers */
void server_respond_json (SoupServerMessage *msg,
                          guint status,
                          JsonNode *root);
void server_respond_error (SoupServerMessage *msg,
                           guint status,
                           const char *field,
                           const char *format,
                           ...) G_GNUC_PRINTF (4, 5);
char *server_error_body (guint status,
                         const char *field,
                         const char *message);
gboolean server_token_equal (const char *expected,
                             const char *given);
guint server_json_depth (const char *data,
                         gsize length);
JsonNode *server_parse_body (SoupServerMessage *msg,
                             gsize max,
                             JsonObject **object);
const char *server_route_name (ServerRoute route);
const char *server_route_allow (ServerRoute route);
ServerRoute server_route_match (const char *path,
                                char **id);

/* server-routes.c: the handlers */
void server_add_handlers (EigmlServer *server);
void server_add_sticker_json (JsonBuilder *b,
                              EigmlStickerLibrary *library,
                              guint index);

/* server-select.c: POST /v1/select, batched on a worker thread */
ServerBatcher *server_batcher_new (EigmlServer *server);
void server_batcher_free (ServerBatcher *batcher);
void server_batcher_stop (ServerBatcher *batcher);
guint server_batcher_get_depth (ServerBatcher *batcher);
void server_handle_select (EigmlServer *server,
                           SoupServerMessage *msg);

/* server-metrics.c: Prometheus text */
ServerMetrics *server_metrics_new (void);
void server_metrics_free (ServerMetrics *metrics);
void server_metrics_request (ServerMetrics *metrics,
                             ServerRoute route,
                             guint status,
                             double seconds);
void server_metrics_batch (ServerMetrics *metrics,
                           guint size);
char *server_metrics_format (ServerMetrics *metrics,
                             EigmlServer *server);

G_END_DECLS
