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

#include <cblas.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

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

static gboolean
cpu_graph_compute (EigmlBackend *backend,
                   EigmlGraph *graph,
                   GError **error)
{
  for (guint i = 0; i < graph->nodes->len; i++)
    {
      const EigmlNode *node = g_ptr_array_index (graph->nodes, i);
      if (node->op == EIGML_OP_LEAF || node->op == EIGML_OP_VIEW)
        continue;
      cpu_kernels[node->op] (node);
    }
  return TRUE;
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
  .graph_release = NULL,
};

EigmlBackend *
eigml_cpu_backend_new (GError **error)
{
  EigmlBackend *backend = g_new0 (EigmlBackend, 1);
  g_autofree char *config = g_strstrip (g_strdup (openblas_get_config ()));

  backend->vtable = &cpu_vtable;
  backend->kind = EIGML_BACKEND_CPU;
  backend->device_name = g_strdup_printf ("CPU (%s; %d BLAS threads, %d kernel threads)",
                                          config, openblas_get_num_threads (),
                                          omp_get_max_threads ());
  backend->is_software = FALSE;
  backend->alignment = 64;
  backend->max_tensor_bytes = G_MAXSIZE / 4;
  return backend;
}
