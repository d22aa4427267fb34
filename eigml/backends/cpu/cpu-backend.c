/* cpu-backend.c: the CPU backend (OpenBLAS GEMM, OpenMP-threaded kernels)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Buffers are 64-byte aligned host memory. A graph runs its nodes in order,
 * each through the kernel of its op; kernels thread their loops with OpenMP
 * and every matrix product goes to cblas_sgemm.
 */
#include "config.h"

#include "cpu-private.h"
#include "eigml-error.h"
#include "eigml-tensor-private.h"

#include <cblas.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const EigmlCpuKernel cpu_kernels[EIGML_OP_COUNT] = {
  [EIGML_OP_FILL] = eigml_cpu_fill,
  [EIGML_OP_MATMUL] = eigml_cpu_matmul,
  [EIGML_OP_BINARY] = eigml_cpu_binary,
  [EIGML_OP_SCALE] = eigml_cpu_scale,
  [EIGML_OP_UNARY] = eigml_cpu_unary,
  [EIGML_OP_UNARY_BACKWARD] = eigml_cpu_unary_backward,
  [EIGML_OP_SOFTMAX] = eigml_cpu_softmax,
  [EIGML_OP_SOFTMAX_BACKWARD] = eigml_cpu_softmax_backward,
  [EIGML_OP_LAYER_NORM] = eigml_cpu_layer_norm,
  [EIGML_OP_LAYER_NORM_BACKWARD] = eigml_cpu_layer_norm_backward,
  [EIGML_OP_L2_NORM] = eigml_cpu_l2_norm,
  [EIGML_OP_L2_NORM_BACKWARD] = eigml_cpu_l2_norm_backward,
  [EIGML_OP_EMBEDDING] = eigml_cpu_embedding,
  [EIGML_OP_EMBEDDING_BACKWARD] = eigml_cpu_embedding_backward,
  [EIGML_OP_DROPOUT] = eigml_cpu_dropout,
  [EIGML_OP_PERMUTE] = eigml_cpu_permute,
  [EIGML_OP_SLICE] = eigml_cpu_slice,
  [EIGML_OP_PAD] = eigml_cpu_pad,
  [EIGML_OP_CONCAT] = eigml_cpu_concat,
  [EIGML_OP_BROADCAST] = eigml_cpu_broadcast,
  [EIGML_OP_REDUCE] = eigml_cpu_reduce,
  [EIGML_OP_REDUCE_MAX_BACKWARD] = eigml_cpu_reduce_max_backward,
  [EIGML_OP_CROSS_ENTROPY] = eigml_cpu_cross_entropy,
  [EIGML_OP_CROSS_ENTROPY_BACKWARD] = eigml_cpu_cross_entropy_backward,
  [EIGML_OP_BCE_LOGITS] = eigml_cpu_bce_logits,
  [EIGML_OP_BCE_LOGITS_BACKWARD] = eigml_cpu_bce_logits_backward,
  [EIGML_OP_KL_DIV] = eigml_cpu_kl_div,
  [EIGML_OP_KL_DIV_BACKWARD] = eigml_cpu_kl_div_backward,
  [EIGML_OP_ACC] = eigml_cpu_acc,
  [EIGML_OP_CLIP_SCALE] = eigml_cpu_clip_scale,
  [EIGML_OP_ADAMW] = eigml_cpu_adamw,
};

static void
cpu_free (EigmlBackend *backend)
{
  g_free (backend->device_name);
  g_free (backend);
}

static EigmlBuffer *
cpu_buffer_new (EigmlBackend *backend,
                gsize size,
                GError **error)
{
  EigmlBuffer *buffer;
  void *mem = NULL;

  if (posix_memalign (&mem, 64, MAX (size, 64)) != 0 || mem == NULL)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_OUT_OF_MEMORY,
                   "cannot allocate %" G_GSIZE_FORMAT " bytes of host memory", size);
      return NULL;
    }
  buffer = g_new0 (EigmlBuffer, 1);
  buffer->backend = backend;
  buffer->size = size;
  buffer->host_ptr = mem;
  return buffer;
}

static void
cpu_buffer_free (EigmlBackend *backend,
                 EigmlBuffer *buffer)
{
  free (buffer->host_ptr);
  g_free (buffer);
}

static gboolean
cpu_buffer_write (EigmlBackend *backend,
                  EigmlBuffer *buffer,
                  gsize offset,
                  const void *data,
                  gsize size,
                  GError **error)
{
  memcpy (buffer->host_ptr + offset, data, size);
  return TRUE;
}

static gboolean
cpu_buffer_read (EigmlBackend *backend,
                 EigmlBuffer *buffer,
                 gsize offset,
                 void *data,
                 gsize size,
                 GError **error)
{
  memcpy (data, buffer->host_ptr + offset, size);
  return TRUE;
}

static gboolean
cpu_buffer_fill (EigmlBackend *backend,
                 EigmlBuffer *buffer,
                 gsize offset,
                 gsize size,
                 guint32 pattern,
                 GError **error)
{
  guint32 *p = (guint32 *) (buffer->host_ptr + offset);

  if (pattern == 0)
    memset (p, 0, size);
  else
    for (gsize i = 0; i < size / 4; i++)
      p[i] = pattern;
  return TRUE;
}

static gboolean
cpu_supports_node (EigmlBackend *backend,
                   const EigmlNode *node,
                   GError **error)
{
  if (cpu_kernels[node->op] == NULL)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_UNSUPPORTED,
                   "the CPU backend has no kernel for %s", eigml_op_get_name (node->op));
      return FALSE;
    }
  return TRUE;
}

static gboolean
cpu_graph_prepare (EigmlBackend *backend,
                   EigmlGraph *graph,
                   GError **error)
{
  return TRUE;
}

/* EIGML_PROFILE=1 prints, per op, the time the CPU kernels took over the
 * graph's runs when the graph is released. */
typedef struct
{
  double seconds[EIGML_OP_COUNT];
  guint64 calls[EIGML_OP_COUNT];
  guint64 runs;
  GHashTable *by_node;   /* EIGML_PROFILE=2: "op shape <- sources" -> double[2] */
} CpuProfile;

static char *
profile_key (const EigmlNode *node)
{
  GString *s = g_string_new (eigml_op_get_name (node->op));
  g_autofree char *shape = eigml_shape_to_string (node->shape, node->n_dims);

  g_string_append_printf (s, " %s", shape);
  for (guint i = 0; i < node->n_src; i++)
    if (node->src[i] != NULL)
      {
        g_autofree char *src = eigml_shape_to_string (node->src[i]->shape, node->src[i]->n_dims);
        g_string_append_printf (s, "%s%s", i ? ", " : " <- ", src);
      }
  if (node->op == EIGML_OP_MATMUL)
    g_string_append_printf (s, " %s%s", node->ip[0] ? "T" : "N", node->ip[1] ? "T" : "N");
  return g_string_free (s, FALSE);
}

static gboolean
cpu_graph_compute (EigmlBackend *backend,
                   EigmlGraph *graph,
                   GError **error)
{
  CpuProfile *profile = graph->backend_data;

  if (profile == NULL && g_getenv ("EIGML_PROFILE") != NULL)
    {
      profile = graph->backend_data = g_new0 (CpuProfile, 1);
      if (g_str_equal (g_getenv ("EIGML_PROFILE"), "2"))
        profile->by_node = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
    }
  for (guint i = 0; i < graph->nodes->len; i++)
    {
      const EigmlNode *node = g_ptr_array_index (graph->nodes, i);
      gint64 t0 = 0;

      if (node->op == EIGML_OP_LEAF || node->op == EIGML_OP_VIEW)
        continue;
      if (profile)
        t0 = g_get_monotonic_time ();
      cpu_kernels[node->op] (node);
      if (graph->node_hook != NULL)
        graph->node_hook (graph, i, graph->node_hook_data);
      if (profile)
        {
          double dt = (g_get_monotonic_time () - t0) / 1e6;
          profile->seconds[node->op] += dt;
          profile->calls[node->op]++;
          if (profile->by_node != NULL)
            {
              char *key = profile_key (node);
              double *v = g_hash_table_lookup (profile->by_node, key);
              if (v == NULL)
                {
                  v = g_new0 (double, 2);
                  g_hash_table_insert (profile->by_node, key, v);
                }
              else
                g_free (key);
              v[0] += dt;
              v[1] += 1;
            }
        }
    }
  if (profile)
    profile->runs++;
  return TRUE;
}

static void
cpu_graph_release (EigmlBackend *backend,
                   EigmlGraph *graph)
{
  CpuProfile *profile = graph->backend_data;
  double total = 0.0;

  if (profile == NULL)
    return;
  for (guint op = 0; op < EIGML_OP_COUNT; op++)
    total += profile->seconds[op];
  g_printerr ("eigml profile: graph of %u nodes, %" G_GUINT64_FORMAT " runs, %.2f ms per run\n",
              graph->nodes->len, profile->runs, 1000.0 * total / MAX (profile->runs, 1));
  for (guint op = 0; op < EIGML_OP_COUNT; op++)
    if (profile->calls[op] > 0)
      g_printerr ("  %-24s %6" G_GUINT64_FORMAT " calls %9.2f ms per run %5.1f%%\n",
                  eigml_op_get_name (op), profile->calls[op] / MAX (profile->runs, 1),
                  1000.0 * profile->seconds[op] / MAX (profile->runs, 1),
                  100.0 * profile->seconds[op] / MAX (total, 1e-12));
  if (profile->by_node != NULL)
    {
      GHashTableIter iter;
      gpointer key, value;
      g_hash_table_iter_init (&iter, profile->by_node);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          double *v = value;
          g_printerr ("    %8.2f ms per run  %s (x%.0f)\n",
                      1000.0 * v[0] / MAX (profile->runs, 1), (char *) key,
                      v[1] / MAX (profile->runs, 1));
        }
      g_hash_table_unref (profile->by_node);
    }
  g_clear_pointer (&graph->backend_data, g_free);
}

static const EigmlBackendVTable cpu_vtable = {
  .name = "cpu",
  .free = cpu_free,
  .buffer_new = cpu_buffer_new,
  .buffer_free = cpu_buffer_free,
  .buffer_write = cpu_buffer_write,
  .buffer_read = cpu_buffer_read,
  .buffer_fill = cpu_buffer_fill,
  .supports_node = cpu_supports_node,
  .graph_prepare = cpu_graph_prepare,
  .graph_compute = cpu_graph_compute,
  .graph_release = cpu_graph_release,
};

/* OpenBLAS 0.3.21 (Debian 12) does not recognise recent CPUs (e.g. Xeon
 * family 6 model 207) and falls back to its generic "Prescott" kernels,
 * four times slower than its AVX-512 ones on the same machine. The core is
 * chosen when OpenBLAS loads, from OPENBLAS_CORETYPE; this returns the type
 * to set, or NULL when OpenBLAS already made a good choice. */
const char *
eigml_cpu_blas_better_coretype (void)
{
  const char *core = openblas_get_corename ();

  if (g_getenv ("OPENBLAS_CORETYPE") != NULL || core == NULL ||
      g_ascii_strcasecmp (core, "prescott") != 0)
    return NULL;
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init ();
  if (__builtin_cpu_supports ("avx512f") && __builtin_cpu_supports ("avx512cd") &&
      __builtin_cpu_supports ("avx512bw") && __builtin_cpu_supports ("avx512dq") &&
      __builtin_cpu_supports ("avx512vl"))
    return "SkylakeX";
  if (__builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma"))
    return "Haswell";
#endif
  return NULL;
}

void
eigml_cpu_blas_reexec_if_generic (char **argv)
{
  const char *better = eigml_cpu_blas_better_coretype ();

  if (better == NULL || g_getenv ("EIGML_NO_REEXEC") != NULL)
    return;
  g_setenv ("OPENBLAS_CORETYPE", better, TRUE);
  g_setenv ("EIGML_NO_REEXEC", "1", TRUE);
  execv ("/proc/self/exe", argv);
}

EigmlBackend *
eigml_cpu_backend_new (GError **error)
{
  EigmlBackend *backend = g_new0 (EigmlBackend, 1);
  const char *better = eigml_cpu_blas_better_coretype ();
  static gsize warned = 0;

  if (better != NULL && g_once_init_enter (&warned))
    {
      g_message ("OpenBLAS did not recognise this CPU and runs its generic Prescott kernels; "
                 "set OPENBLAS_CORETYPE=%s before starting the program for several times faster "
                 "matrix products (the eigml tools do this themselves)", better);
      g_once_init_leave (&warned, 1);
    }
  backend->vtable = &cpu_vtable;
  backend->kind = EIGML_BACKEND_CPU;
  backend->device_name = g_strdup_printf ("CPU (OpenBLAS %s kernels, %d threads; "
                                          "%d kernel threads)",
                                          openblas_get_corename (), openblas_get_num_threads (),
                                          omp_get_max_threads ());
  backend->is_software = FALSE;
  backend->alignment = 64;
  backend->max_tensor_bytes = G_MAXSIZE / 4;
  return backend;
}
