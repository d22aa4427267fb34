/* dist.c: data-parallel training over MPI (see dist.h)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "dist.h"
#include "eigml-error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_MPI
#include <mpi.h>
#endif

#define DEFAULT_TIMEOUT_S 60.0
#define TOKEN_TAG 7301
/* "are you alive?" on a timeout, answered by every rank that polls */
#define PING_TAG 7302
#define PONG_TAG 7303
#define PING_GRACE_US (5 * G_USEC_PER_SEC)
/* MPI counts are ints: large transfers go in pieces of this many bytes */
#define MAX_PIECE ((gsize) 1 << 30)

gboolean
eigml_dist_available (void)
{
#ifdef HAVE_MPI
  return TRUE;
#else
  return FALSE;
#endif
}

gboolean
eigml_dist_launched (guint *size)
{
  /* Open MPI, MPICH/Hydra and Slurm's PMI say so in the environment */
  static const char *const sizes[] = { "OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE",
                                       "SLURM_NTASKS", NULL };
  static const char *const ranks[] = { "OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK", NULL };

  if (size != NULL)
    *size = 0;
  for (guint i = 0; sizes[i] != NULL; i++)
    {
      const char *v = g_getenv (sizes[i]);
      /* Slurm sets SLURM_NTASKS for batch scripts too: only with a PMI rank */
      if (v != NULL && (i < 3 || g_getenv ("PMI_RANK") != NULL))
        {
          if (size != NULL)
            *size = (guint) g_ascii_strtoull (v, NULL, 10);
          return TRUE;
        }
    }
  for (guint i = 0; ranks[i] != NULL; i++)
    if (g_getenv (ranks[i]) != NULL)
      return TRUE;
  return FALSE;
}

#ifdef HAVE_MPI

struct _EigmlDist
{
  int rank, size, local_rank, local_size;
  gint64 timeout_us;
  guint64 seq;              /* collectives so far: the arrival tokens carry it */
  guint64 *token_in;        /* [size] */
  guint64 token_out;
  MPI_Request *token_req;   /* [2 (size - 1)]: receives, then sends */
};

EigmlDist *
eigml_dist_init (GError **error)
{
  EigmlDist *d;
  int provided = 0, initialized = 0;
  const char *env = g_getenv ("EIGML_MPI_TIMEOUT");
  MPI_Comm local;

  MPI_Initialized (&initialized);
  if (!initialized && MPI_Init_thread (NULL, NULL, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FAILED, "MPI_Init_thread failed");
      return NULL;
    }
  if (initialized)
    MPI_Query_thread (&provided);
  if (provided < MPI_THREAD_SERIALIZED)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_UNSUPPORTED,
                   "this MPI library gives thread level %d; Eigml's trainer calls MPI from its "
                   "worker thread and needs MPI_THREAD_SERIALIZED (%d)", provided,
                   MPI_THREAD_SERIALIZED);
      return NULL;
    }
  d = g_new0 (EigmlDist, 1);
  MPI_Comm_rank (MPI_COMM_WORLD, &d->rank);
  MPI_Comm_size (MPI_COMM_WORLD, &d->size);
  MPI_Comm_split_type (MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, d->rank, MPI_INFO_NULL, &local);
  MPI_Comm_rank (local, &d->local_rank);
  MPI_Comm_size (local, &d->local_size);
  MPI_Comm_free (&local);
  d->timeout_us = (gint64) (DEFAULT_TIMEOUT_S * G_USEC_PER_SEC);
  if (env != NULL && *env != '\0')
    {
      char *end = NULL;
      double s = g_ascii_strtod (env, &end);

      if (end == env || *end != '\0' || !(s > 0.0))
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                       "EIGML_MPI_TIMEOUT=%s: expected a number of seconds above 0", env);
          g_free (d);
          return NULL;
        }
      d->timeout_us = (gint64) (s * G_USEC_PER_SEC);
    }
  d->token_in = g_new0 (guint64, d->size);
  d->token_req = g_new (MPI_Request, 2 * (gsize) MAX (d->size - 1, 1));
  return d;
}

void
eigml_dist_finalize (EigmlDist *dist)
{
  if (dist == NULL)
    return;
  MPI_Finalize ();
  g_free (dist->token_in);
  g_free (dist->token_req);
  g_free (dist);
}

guint
eigml_dist_get_rank (EigmlDist *dist)
{
  return (guint) dist->rank;
}

guint
eigml_dist_get_size (EigmlDist *dist)
{
  return (guint) dist->size;
}

guint
eigml_dist_get_local_rank (EigmlDist *dist)
{
  return (guint) dist->local_rank;
}

guint
eigml_dist_get_local_size (EigmlDist *dist)
{
  return (guint) dist->local_size;
}

double
eigml_dist_get_timeout (EigmlDist *dist)
{
  return dist->timeout_us / (double) G_USEC_PER_SEC;
}

void
eigml_dist_abort (EigmlDist *dist,
                  int code,
                  const char *format,
                  ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  fprintf (stderr, "eigml: rank %d of %d: %s\n", dist->rank, dist->size, message);
  fflush (stderr);
  MPI_Abort (MPI_COMM_WORLD, code);
  abort ();
}

/* Every rank tells every other that it reached collective number seq. */
static void
post_tokens (EigmlDist *d)
{
  int k = 0;

  d->seq++;
  d->token_out = d->seq;
  for (int p = 0; p < d->size; p++)
    if (p != d->rank)
      MPI_Irecv (&d->token_in[p], 1, MPI_UINT64_T, p, TOKEN_TAG, MPI_COMM_WORLD,
                 &d->token_req[k++]);
  for (int p = 0; p < d->size; p++)
    if (p != d->rank)
      MPI_Isend (&d->token_out, 1, MPI_UINT64_T, p, TOKEN_TAG, MPI_COMM_WORLD,
                 &d->token_req[k++]);
}

/* Every rank waiting in a collective answers pings, so that a rank that
 * timed out can tell the ranks that hang (or died) from the ones that wait
 * like itself. */
static void
answer_pings (EigmlDist *d)
{
  for (;;)
    {
      int flag = 0;
      MPI_Status st;
      guint64 v;

      MPI_Iprobe (MPI_ANY_SOURCE, PING_TAG, MPI_COMM_WORLD, &flag, &st);
      if (!flag)
        return;
      MPI_Recv (&v, 1, MPI_UINT64_T, st.MPI_SOURCE, PING_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      /* eight bytes go eagerly: this send does not wait for the receiver */
      MPI_Send (&v, 1, MPI_UINT64_T, st.MPI_SOURCE, PONG_TAG, MPI_COMM_WORLD);
    }
}

/* The ranks that do not answer a ping within the grace time. */
static guint
silent_ranks (EigmlDist *d,
              GString *out)
{
  g_autofree guint64 *pong = g_new0 (guint64, d->size);
  g_autofree MPI_Request *reqs = g_new (MPI_Request, 2 * (gsize) d->size);
  g_autofree int *answered = g_new0 (int, d->size);
  guint64 ping = d->seq;
  gint64 deadline = g_get_monotonic_time () + MIN (d->timeout_us, PING_GRACE_US);
  guint n = 0;
  int k = 0;

  for (int p = 0; p < d->size; p++)
    if (p != d->rank)
      MPI_Irecv (&pong[p], 1, MPI_UINT64_T, p, PONG_TAG, MPI_COMM_WORLD, &reqs[p]);
  for (int p = 0; p < d->size; p++)
    if (p != d->rank)
      MPI_Isend (&ping, 1, MPI_UINT64_T, p, PING_TAG, MPI_COMM_WORLD, &reqs[d->size + k++]);
  for (;;)
    {
      gboolean all = TRUE;

      answer_pings (d);
      for (int p = 0; p < d->size; p++)
        if (p != d->rank && !answered[p])
          {
            MPI_Test (&reqs[p], &answered[p], MPI_STATUS_IGNORE);
            all = all && answered[p];
          }
      if (all || g_get_monotonic_time () > deadline)
        break;
      g_usleep (1000);
    }
  for (int p = 0; p < d->size; p++)
    if (p != d->rank && !answered[p])
      {
        g_string_append_printf (out, "%s%d", n ? ", " : "", p);
        n++;
      }
  return n;
}

static G_NORETURN void
timed_out (EigmlDist *d,
           const char *what)
{
  g_autoptr (GString) missing = g_string_new (NULL);
  g_autoptr (GString) silent = g_string_new (NULL);
  double limit = d->timeout_us / (double) G_USEC_PER_SEC;
  guint n_missing = 0, n_silent;
  int k = 0;

  for (int p = 0; p < d->size; p++)
    if (p != d->rank)
      {
        int arrived = 0;

        MPI_Test (&d->token_req[k++], &arrived, MPI_STATUS_IGNORE);
        if (!arrived)
          {
            g_string_append_printf (missing, "%s%d", n_missing ? ", " : "", p);
            n_missing++;
          }
      }
  n_silent = silent_ranks (d, silent);
  if (n_silent > 0)
    eigml_dist_abort (d, 3, "rank%s %s did not respond (lost, hung, or busy longer than the "
                      "limit) while this rank waited %.0f s for %s; stopping the job "
                      "(EIGML_MPI_TIMEOUT sets the limit)", n_silent > 1 ? "s" : "",
                      silent->str, limit, what);
  if (n_missing > 0)
    eigml_dist_abort (d, 3, "rank%s %s did not reach %s within %.0f s; stopping the job "
                      "(EIGML_MPI_TIMEOUT sets the limit)", n_missing > 1 ? "s" : "",
                      missing->str, what, limit);
  eigml_dist_abort (d, 3, "%s did not complete within %.0f s although every rank reached it "
                    "and responds; stopping the job", what, limit);
}

/* Polls @reqs and the arrival tokens until all are done or the deadline. */
static void
wait_deadline (EigmlDist *d,
               MPI_Request *reqs,
               int n,
               const char *what)
{
  gint64 deadline = g_get_monotonic_time () + d->timeout_us;
  int n_tokens = 2 * (d->size - 1);
  guint spins = 0;

  for (;;)
    {
      int done = 0, tokens_done = 0;

      MPI_Testall (n, reqs, &done, MPI_STATUSES_IGNORE);
      MPI_Testall (n_tokens, d->token_req, &tokens_done, MPI_STATUSES_IGNORE);
      if (done && tokens_done)
        break;
      if (g_get_monotonic_time () > deadline)
        timed_out (d, what);
      answer_pings (d);
      /* spin briefly (the usual case: the others are a moment behind), then
       * yield the core to the ranks and threads that still compute */
      if (++spins > 2000)
        g_usleep (200);
    }
  for (int p = 0; p < d->size; p++)
    if (p != d->rank && d->token_in[p] != d->seq)
      eigml_dist_abort (d, 4, "rank %d is at collective #%" G_GUINT64_FORMAT " while this rank "
                        "is at #%" G_GUINT64_FORMAT " (%s): the ranks are out of step",
                        p, d->token_in[p], d->seq, what);
}

void
eigml_dist_bcast (EigmlDist *dist,
                  void *data,
                  gsize n_bytes,
                  const char *what)
{
  g_autofree MPI_Request *reqs = g_new (MPI_Request, n_bytes / MAX_PIECE + 1);
  int n = 0;

  post_tokens (dist);
  for (gsize off = 0; off < n_bytes || (n_bytes == 0 && n == 0); off += MAX_PIECE)
    {
      int len = (int) MIN (MAX_PIECE, n_bytes - off);
      MPI_Ibcast ((guint8 *) data + off, len, MPI_BYTE, 0, MPI_COMM_WORLD, &reqs[n++]);
      if (n_bytes == 0)
        break;
    }
  wait_deadline (dist, reqs, n, what);
}

gboolean
eigml_dist_bcast_buffer (EigmlDist *dist,
                         EigmlBuffer *buffer,
                         gsize n_bytes,
                         const char *what,
                         GError **error)
{
  g_autofree guint8 *staging = NULL;
  guint8 *p = buffer->host_ptr;

  if (p == NULL)
    {
      p = staging = g_malloc (MAX (n_bytes, 1));
      if (dist->rank == 0 && !eigml_buffer_read (buffer, 0, p, n_bytes, error))
        return FALSE;
    }
  eigml_dist_bcast (dist, p, n_bytes, what);
  if (staging != NULL && dist->rank != 0 && !eigml_buffer_write (buffer, 0, p, n_bytes, error))
    return FALSE;
  return TRUE;
}

void
eigml_dist_allreduce_sum (EigmlDist *dist,
                          double *values,
                          guint n,
                          const char *what)
{
  MPI_Request req;

  post_tokens (dist);
  MPI_Iallreduce (MPI_IN_PLACE, values, (int) n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD, &req);
  wait_deadline (dist, &req, 1, what);
}

gboolean
eigml_dist_check_same (EigmlDist *dist,
                       guint64 value,
                       const char *what,
                       GError **error)
{
  g_autofree guint64 *all = g_new (guint64, dist->size);
  GString *differ = g_string_new (NULL);
  MPI_Request req;

  post_tokens (dist);
  MPI_Iallgather (&value, 1, MPI_UINT64_T, all, 1, MPI_UINT64_T, MPI_COMM_WORLD, &req);
  wait_deadline (dist, &req, 1, what);
  for (int p = 1; p < dist->size; p++)
    if (all[p] != all[0])
      g_string_append_printf (differ, "%s%d", differ->len ? ", " : "", p);
  if (differ->len > 0)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FAILED,
                   "%s: rank(s) %s differ from rank 0 (%016" G_GINT64_MODIFIER "x)", what,
                   differ->str, all[0]);
      g_string_free (differ, TRUE);
      return FALSE;
    }
  g_string_free (differ, TRUE);
  return TRUE;
}

GBytes **
eigml_dist_gather (EigmlDist *dist,
                   GBytes *mine,
                   const char *what)
{
  gsize n_mine = 0;
  const guint8 *data = g_bytes_get_data (mine, &n_mine);
  guint64 len = n_mine;
  g_autofree guint64 *lens = dist->rank == 0 ? g_new (guint64, dist->size) : NULL;
  g_autofree int *counts = NULL, *displs = NULL;
  g_autofree guint8 *all = NULL;
  g_autofree char *what_sizes = g_strdup_printf ("%s (sizes)", what);
  GBytes **out = NULL;
  MPI_Request req;
  gsize total = 0;

  post_tokens (dist);
  MPI_Igather (&len, 1, MPI_UINT64_T, lens, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD, &req);
  wait_deadline (dist, &req, 1, what_sizes);
  if (dist->rank == 0)
    {
      counts = g_new (int, dist->size);
      displs = g_new (int, dist->size);
      for (int p = 0; p < dist->size; p++)
        {
          if (total + lens[p] > G_MAXINT)
            eigml_dist_abort (dist, 5, "%s: more than 2 GiB to gather", what);
          counts[p] = (int) lens[p];
          displs[p] = (int) total;
          total += lens[p];
        }
      all = g_malloc (MAX (total, 1));
    }
  post_tokens (dist);
  MPI_Igatherv (data, (int) n_mine, MPI_BYTE, all, counts, displs, MPI_BYTE, 0, MPI_COMM_WORLD,
                &req);
  wait_deadline (dist, &req, 1, what);
  if (dist->rank == 0)
    {
      out = g_new0 (GBytes *, dist->size);
      for (int p = 0; p < dist->size; p++)
        out[p] = g_bytes_new (all + displs[p], (gsize) counts[p]);
    }
  return out;
}

void
eigml_dist_barrier (EigmlDist *dist,
                    const char *what)
{
  MPI_Request req;

  post_tokens (dist);
  MPI_Ibarrier (MPI_COMM_WORLD, &req);
  wait_deadline (dist, &req, 1, what);
}

/* ---- the gradient all-reduce --------------------------------------------- */

typedef struct
{
  gsize first, count;     /* floats of the flat gradient buffer */
  guint ready;            /* the graph node after which its gradients are final */
} Bucket;

struct _EigmlGradSync
{
  EigmlDist *dist;
  EigmlBuffer *grads;
  gsize n_floats;
  float *host;            /* the gradient buffer's host memory, or a staging copy */
  gboolean staged;
  gboolean overlap;
  Bucket *buckets;        /* in the order they are posted (by ready node) */
  guint n_buckets;
  guint next;             /* buckets posted so far this step */
  MPI_Request *reqs;      /* [n_buckets + 1]: the last sums the extra values */
  gboolean armed;
  guint64 step;
};

static int
compare_ready (gconstpointer a,
               gconstpointer b)
{
  const Bucket *x = a, *y = b;

  if (x->ready != y->ready)
    return x->ready < y->ready ? -1 : 1;
  /* ties: the bucket nearer the end of the buffer first, as built */
  return x->first > y->first ? -1 : (x->first < y->first);
}

static int
compare_offset (gconstpointer a,
                gconstpointer b)
{
  const EigmlParam *x = *(EigmlParam * const *) a, *y = *(EigmlParam * const *) b;

  return x->offset < y->offset ? -1 : (x->offset > y->offset);
}

static void
post_bucket (EigmlGradSync *s,
             guint i)
{
  MPI_Iallreduce (MPI_IN_PLACE, s->host + s->buckets[i].first, (int) s->buckets[i].count,
                  MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &s->reqs[i]);
}

static void
on_node (EigmlGraph *graph,
         guint node_id,
         gpointer user_data)
{
  EigmlGradSync *s = user_data;
  int done;

  if (!s->armed)
    return;
  while (s->next < s->n_buckets && s->buckets[s->next].ready <= node_id)
    {
      post_bucket (s, s->next);
      s->next++;
    }
  /* non-blocking collectives progress only inside MPI calls */
  if (s->next > 0)
    MPI_Testall ((int) s->next, s->reqs, &done, MPI_STATUSES_IGNORE);
}

EigmlGradSync *
eigml_grad_sync_new (EigmlDist *dist,
                     EigmlParamStore *store,
                     EigmlGraph *graph,
                     gsize bucket_bytes)
{
  EigmlGradSync *s = g_new0 (EigmlGradSync, 1);
  GPtrArray *all = eigml_param_store_get_params (store);
  /* a copy without the store's free function, to sort */
  g_autoptr (GPtrArray) params = g_ptr_array_sized_new (all->len);
  g_autofree guint *ready = g_new0 (guint, all->len);
  GArray *buckets = g_array_new (FALSE, FALSE, sizeof (Bucket));
  gsize end, bytes = 0;
  guint last_ready = 0;

  for (guint i = 0; i < all->len; i++)
    g_ptr_array_add (params, g_ptr_array_index (all, i));
  s->dist = dist;
  s->grads = eigml_param_store_get_buffer (store, EIGML_LEAF_PARAM_GRAD);
  s->n_floats = eigml_param_store_get_total_bytes (store) / sizeof (float);

  /* where each parameter's gradient becomes final: the last ACC into it */
  for (guint i = 0; i < graph->nodes->len; i++)
    {
      EigmlNode *node = g_ptr_array_index (graph->nodes, i);

      if (node->op == EIGML_OP_ACC && node->src[0]->op == EIGML_OP_LEAF &&
          node->src[0]->leaf == EIGML_LEAF_PARAM_GRAD && node->src[0]->param != NULL)
        ready[node->src[0]->param->index] = i;
    }

  /* buckets from the end of the buffer: the heads come last in it and
   * first out of backward */
  g_ptr_array_sort (params, compare_offset);
  end = eigml_param_store_get_total_bytes (store);
  for (guint k = params->len; k-- > 0;)
    {
      EigmlParam *p = g_ptr_array_index (params, k);

      bytes += (gsize) p->n_elements * sizeof (float);
      last_ready = MAX (last_ready, ready[p->index]);
      if (bytes >= bucket_bytes || k == 0)
        {
          gsize start = k == 0 ? 0 : p->offset;
          Bucket b = { start / sizeof (float), (end - start) / sizeof (float), last_ready };

          g_array_append_val (buckets, b);
          end = start;
          bytes = 0;
          last_ready = 0;
        }
    }
  g_array_sort (buckets, compare_ready);
  s->n_buckets = buckets->len;
  s->buckets = (Bucket *) g_array_free (buckets, FALSE);
  s->reqs = g_new (MPI_Request, s->n_buckets + 1);

  s->host = (float *) s->grads->host_ptr;
  s->staged = s->host == NULL;
  if (s->staged)
    s->host = g_new (float, MAX (s->n_floats, 1));
  /* overlap where the backend runs nodes one by one on the host */
  if (!s->staged && eigml_graph_set_node_hook (graph, on_node, s))
    s->overlap = TRUE;
  else
    eigml_graph_set_node_hook (graph, NULL, NULL);
  return s;
}

void
eigml_grad_sync_free (EigmlGradSync *sync)
{
  if (sync == NULL)
    return;
  if (sync->staged)
    g_free (sync->host);
  g_free (sync->buckets);
  g_free (sync->reqs);
  g_free (sync);
}

gboolean
eigml_grad_sync_overlaps (EigmlGradSync *sync)
{
  return sync->overlap;
}

guint
eigml_grad_sync_get_n_buckets (EigmlGradSync *sync)
{
  return sync->n_buckets;
}

void
eigml_grad_sync_begin (EigmlGradSync *sync,
                       guint64 step)
{
  sync->step = step;
  sync->next = 0;
  sync->armed = sync->overlap;
}

gboolean
eigml_grad_sync_finish (EigmlGradSync *sync,
                        double *extra,
                        guint n_extra,
                        GError **error)
{
  g_autofree char *what = g_strdup_printf ("the gradient all-reduce of step %" G_GUINT64_FORMAT,
                                           sync->step);

  sync->armed = FALSE;
  if (sync->staged &&
      !eigml_buffer_read (sync->grads, 0, sync->host, sync->n_floats * sizeof (float), error))
    return FALSE;
  /* the arrival tokens go now, after this rank's backward: a rank that
   * hangs inside backward is the one named */
  post_tokens (sync->dist);
  for (; sync->next < sync->n_buckets; sync->next++)
    post_bucket (sync, sync->next);
  MPI_Iallreduce (MPI_IN_PLACE, extra, (int) n_extra, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD,
                  &sync->reqs[sync->n_buckets]);
  wait_deadline (sync->dist, sync->reqs, (int) sync->n_buckets + 1, what);
  if (sync->staged &&
      !eigml_buffer_write (sync->grads, 0, sync->host, sync->n_floats * sizeof (float), error))
    return FALSE;
  return TRUE;
}

#else /* !HAVE_MPI */

struct _EigmlDist
{
  int unused;
};

struct _EigmlGradSync
{
  int unused;
};

EigmlDist *
eigml_dist_init (GError **error)
{
  g_set_error (error, EIGML_ERROR, EIGML_ERROR_UNSUPPORTED,
               "this build of Eigml has no MPI support (configure with -Dmpi=enabled and "
               "libopenmpi-dev installed); several ranks would train separate models");
  return NULL;
}

void eigml_dist_finalize (EigmlDist *dist) { g_free (dist); }
guint eigml_dist_get_rank (EigmlDist *dist) { return 0; }
guint eigml_dist_get_size (EigmlDist *dist) { return 1; }
guint eigml_dist_get_local_rank (EigmlDist *dist) { return 0; }
guint eigml_dist_get_local_size (EigmlDist *dist) { return 1; }
double eigml_dist_get_timeout (EigmlDist *dist) { return DEFAULT_TIMEOUT_S; }

void
eigml_dist_abort (EigmlDist *dist,
                  int code,
                  const char *format,
                  ...)
{
  va_list args;

  va_start (args, format);
  vfprintf (stderr, format, args);
  va_end (args);
  fputc ('\n', stderr);
  exit (code);
}

void eigml_dist_bcast (EigmlDist *dist, void *data, gsize n_bytes, const char *what) { }
gboolean
eigml_dist_bcast_buffer (EigmlDist *dist, EigmlBuffer *buffer, gsize n_bytes, const char *what,
                         GError **error)
{
  return TRUE;
}
void eigml_dist_allreduce_sum (EigmlDist *dist, double *values, guint n, const char *what) { }
gboolean
eigml_dist_check_same (EigmlDist *dist, guint64 value, const char *what, GError **error)
{
  return TRUE;
}
GBytes **
eigml_dist_gather (EigmlDist *dist, GBytes *mine, const char *what)
{
  GBytes **out = g_new0 (GBytes *, 1);
  out[0] = g_bytes_ref (mine);
  return out;
}
void eigml_dist_barrier (EigmlDist *dist, const char *what) { }
EigmlGradSync *
eigml_grad_sync_new (EigmlDist *dist, EigmlParamStore *store, EigmlGraph *graph,
                     gsize bucket_bytes)
{
  return g_new0 (EigmlGradSync, 1);
}
void eigml_grad_sync_free (EigmlGradSync *sync) { g_free (sync); }
gboolean eigml_grad_sync_overlaps (EigmlGradSync *sync) { return FALSE; }
guint eigml_grad_sync_get_n_buckets (EigmlGradSync *sync) { return 0; }
void eigml_grad_sync_begin (EigmlGradSync *sync, guint64 step) { }
gboolean
eigml_grad_sync_finish (EigmlGradSync *sync, double *extra, guint n_extra, GError **error)
{
  return TRUE;
}

#endif /* HAVE_MPI */

gboolean
eigml_dist_hash_buffer (EigmlBuffer *buffer,
                        gsize n_bytes,
                        guint64 *hash,
                        GError **error)
{
  g_autofree guint8 *staging = NULL;
  const guint8 *p = buffer->host_ptr;
  guint64 h = 0xcbf29ce484222325ull;

  if (p == NULL)
    {
      staging = g_malloc (MAX (n_bytes, 1));
      if (!eigml_buffer_read (buffer, 0, staging, n_bytes, error))
        return FALSE;
      p = staging;
    }
  for (gsize i = 0; i < n_bytes; i++)
    h = (h ^ p[i]) * 0x100000001b3ull;
  *hash = h;
  return TRUE;
}
