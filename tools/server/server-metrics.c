/* server-metrics.c: GET /metrics in the Prometheus text format
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "server.h"

static const double latency_bounds[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                         0.5, 1, 2.5, 5, 10 };
#define N_LATENCY G_N_ELEMENTS (latency_bounds)
static const guint batch_bounds[] = { 1, 2, 4, 8, 16, 32, 64, 128 };
#define N_BATCH G_N_ELEMENTS (batch_bounds)

typedef struct
{
  guint64 buckets[N_LATENCY];   /* not cumulative; summed when written */
  guint64 count;
  double sum;
} Histogram;

struct _ServerMetrics
{
  GMutex lock;                  /* the worker thread records batches */
  GHashTable *requests;         /* "route\nstatus" -> guint64 * */
  Histogram latency[N_ROUTES];
  guint64 batch_buckets[N_BATCH];
  guint64 batch_count, batch_sum, batch_over;
};

ServerMetrics *
server_metrics_new (void)
{
  ServerMetrics *m = g_new0 (ServerMetrics, 1);

  g_mutex_init (&m->lock);
  m->requests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return m;
}

void
server_metrics_free (ServerMetrics *m)
{
  g_hash_table_destroy (m->requests);
  g_mutex_clear (&m->lock);
  g_free (m);
}

void
server_metrics_request (ServerMetrics *m,
                        ServerRoute route,
                        guint status,
                        double seconds)
{
  g_autofree char *key = g_strdup_printf ("%s\n%u", server_route_name (route), status);
  guint64 *count;
  Histogram *h = &m->latency[route];
  guint k = 0;

  g_mutex_lock (&m->lock);
  count = g_hash_table_lookup (m->requests, key);
  if (count == NULL)
    {
      count = g_new0 (guint64, 1);
      g_hash_table_insert (m->requests, g_steal_pointer (&key), count);
    }
  (*count)++;
  while (k < N_LATENCY && seconds > latency_bounds[k])
    k++;
  if (k < N_LATENCY)
    h->buckets[k]++;
  h->count++;
  h->sum += seconds;
  g_mutex_unlock (&m->lock);
}

void
server_metrics_batch (ServerMetrics *m,
                      guint size)
{
  guint k = 0;

  g_mutex_lock (&m->lock);
  while (k < N_BATCH && size > batch_bounds[k])
    k++;
  if (k < N_BATCH)
    m->batch_buckets[k]++;
  m->batch_count++;
  m->batch_sum += size;
  g_mutex_unlock (&m->lock);
}

static gint
compare_keys (gconstpointer a,
              gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

char *
server_metrics_format (ServerMetrics *m,
                       EigmlServer *server)
{
  GString *out = g_string_new (NULL);
  g_autofree gpointer *keys = NULL;
  guint n_keys = 0;

  g_mutex_lock (&m->lock);
  g_string_append (out, "# HELP eigml_http_requests_total HTTP requests answered, by route "
                        "and status.\n# TYPE eigml_http_requests_total counter\n");
  keys = g_hash_table_get_keys_as_array (m->requests, &n_keys);
  qsort (keys, n_keys, sizeof (gpointer), compare_keys);
  for (guint i = 0; i < n_keys; i++)
    {
      g_auto (GStrv) parts = g_strsplit (keys[i], "\n", 2);
      guint64 *count = g_hash_table_lookup (m->requests, keys[i]);

      g_string_append_printf (out, "eigml_http_requests_total{route=\"%s\",status=\"%s\"} %"
                              G_GUINT64_FORMAT "\n", parts[0], parts[1], *count);
    }

  g_string_append (out, "# HELP eigml_http_request_duration_seconds Time from a request's "
                        "headers to its answer, by route.\n"
                        "# TYPE eigml_http_request_duration_seconds histogram\n");
  for (guint r = 0; r < N_ROUTES; r++)
    {
      const Histogram *h = &m->latency[r];
      const char *name = server_route_name (r);
      guint64 cumulative = 0;
      char bound[G_ASCII_DTOSTR_BUF_SIZE], sum[G_ASCII_DTOSTR_BUF_SIZE];

      if (h->count == 0)
        continue;
      for (guint k = 0; k < N_LATENCY; k++)
        {
          cumulative += h->buckets[k];
          g_string_append_printf (out, "eigml_http_request_duration_seconds_bucket{route=\"%s\","
                                  "le=\"%s\"} %" G_GUINT64_FORMAT "\n", name,
                                  g_ascii_formatd (bound, sizeof bound, "%g", latency_bounds[k]),
                                  cumulative);
        }
      g_string_append_printf (out, "eigml_http_request_duration_seconds_bucket{route=\"%s\","
                              "le=\"+Inf\"} %" G_GUINT64_FORMAT "\n", name, h->count);
      g_string_append_printf (out, "eigml_http_request_duration_seconds_sum{route=\"%s\"} %s\n",
                              name, g_ascii_formatd (sum, sizeof sum, "%.6f", h->sum));
      g_string_append_printf (out, "eigml_http_request_duration_seconds_count{route=\"%s\"} %"
                              G_GUINT64_FORMAT "\n", name, h->count);
    }

  g_string_append (out, "# HELP eigml_select_batch_size Dialogues per model pass of the "
                        "select worker.\n# TYPE eigml_select_batch_size histogram\n");
  {
    guint64 cumulative = 0;

    for (guint k = 0; k < N_BATCH; k++)
      {
        cumulative += m->batch_buckets[k];
        g_string_append_printf (out, "eigml_select_batch_size_bucket{le=\"%u\"} %"
                                G_GUINT64_FORMAT "\n", batch_bounds[k], cumulative);
      }
    g_string_append_printf (out, "eigml_select_batch_size_bucket{le=\"+Inf\"} %" G_GUINT64_FORMAT
                            "\neigml_select_batch_size_sum %" G_GUINT64_FORMAT
                            "\neigml_select_batch_size_count %" G_GUINT64_FORMAT "\n",
                            m->batch_count, m->batch_sum, m->batch_count);
  }
  g_mutex_unlock (&m->lock);

  g_string_append_printf (out, "# HELP eigml_select_queue_depth Select requests waiting for "
                               "the worker.\n# TYPE eigml_select_queue_depth gauge\n"
                               "eigml_select_queue_depth %u\n",
                          server_batcher_get_depth (server->batcher));
  g_string_append_printf (out, "# HELP eigml_select_queue_capacity The queue's bound "
                               "(--queue-size); past it, 503.\n"
                               "# TYPE eigml_select_queue_capacity gauge\n"
                               "eigml_select_queue_capacity %u\n", server->queue_size);
  g_string_append_printf (out, "# HELP eigml_http_requests_in_flight Requests read and not "
                               "yet answered.\n# TYPE eigml_http_requests_in_flight gauge\n"
                               "eigml_http_requests_in_flight %u\n", server->in_flight);
  g_string_append_printf (out, "# HELP eigml_library_stickers Stickers in the library.\n"
                               "# TYPE eigml_library_stickers gauge\n"
                               "eigml_library_stickers %u\n",
                          eigml_sticker_library_get_n_stickers (server->library));
  return g_string_free (out, FALSE);
}
