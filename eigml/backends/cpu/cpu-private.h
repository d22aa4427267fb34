/* cpu-private.h: shared by the CPU kernels
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "engine/graph.h"

#include <omp.h>

G_BEGIN_DECLS

typedef void (*EigmlCpuKernel) (const EigmlNode *node);

#define CPU_PTR(node) ((void *) ((node)->buffer->host_ptr + (node)->offset))
#define CPU_F32(node) ((float *) CPU_PTR (node))
#define CPU_I32(node) ((gint32 *) CPU_PTR (node))

/* Below this many elements a loop stays on one thread. */
#define CPU_PARALLEL_MIN 16384

/* Hot loops are compiled for AVX-512, AVX2 and the baseline, and the best
 * the CPU runs is picked when the library loads (GCC function
 * multiversioning). Clones are chosen by ISA feature, not "arch=": those
 * match exact CPU models, so a CPU newer than the compiler would get the
 * baseline. They are plain functions over a range, called from an OpenMP
 * region, because an OpenMP region's body would not be cloned. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CPU_CLONES __attribute__ ((target_clones ("avx512f", "avx2", "default")))
#else
#define CPU_CLONES
#endif

typedef void (*CpuRangeFunc) (gint64 start, gint64 end, gpointer data);

/* Splits [0, n) into one contiguous range per thread (none below 2 * @grain). */
static inline void
cpu_parallel_ranges (gint64 n,
                     gint64 grain,
                     CpuRangeFunc func,
                     gpointer data)
{
  if (n < 2 * grain)
    {
      func (0, n, data);
      return;
    }
#pragma omp parallel
  {
    gint64 nt = omp_get_num_threads (), t = omp_get_thread_num ();
    func (n * t / nt, n * (t + 1) / nt, data);
  }
}

/* Row-major strides of a 4-d shape. */
static inline void
cpu_strides4 (const gint64 shape4[4],
              gint64 strides4[4])
{
  strides4[3] = 1;
  for (int i = 2; i >= 0; i--)
    strides4[i] = strides4[i + 1] * shape4[i + 1];
}

/* Strides of @src as it broadcasts to @out_shape4: 0 on stretched axes. */
static inline void
cpu_broadcast_strides4 (const EigmlNode *src,
                        const gint64 out_shape4[4],
                        gint64 strides4[4])
{
  gint64 shape4[4];

  eigml_node_shape4 (src, shape4);
  cpu_strides4 (shape4, strides4);
  for (int i = 0; i < 4; i++)
    if (shape4[i] == 1 && out_shape4[i] != 1)
      strides4[i] = 0;
}

void eigml_cpu_matmul (const EigmlNode *node);
void eigml_cpu_fill (const EigmlNode *node);
void eigml_cpu_binary (const EigmlNode *node);
void eigml_cpu_scale (const EigmlNode *node);
void eigml_cpu_unary (const EigmlNode *node);
void eigml_cpu_unary_backward (const EigmlNode *node);
void eigml_cpu_acc (const EigmlNode *node);
void eigml_cpu_dropout (const EigmlNode *node);
void eigml_cpu_softmax (const EigmlNode *node);
void eigml_cpu_softmax_backward (const EigmlNode *node);
void eigml_cpu_layer_norm (const EigmlNode *node);
void eigml_cpu_layer_norm_backward (const EigmlNode *node);
void eigml_cpu_l2_norm (const EigmlNode *node);
void eigml_cpu_l2_norm_backward (const EigmlNode *node);
void eigml_cpu_cross_entropy (const EigmlNode *node);
void eigml_cpu_cross_entropy_backward (const EigmlNode *node);
void eigml_cpu_bce_logits (const EigmlNode *node);
void eigml_cpu_bce_logits_backward (const EigmlNode *node);
void eigml_cpu_kl_div (const EigmlNode *node);
void eigml_cpu_kl_div_backward (const EigmlNode *node);
void eigml_cpu_embedding (const EigmlNode *node);
void eigml_cpu_embedding_backward (const EigmlNode *node);
void eigml_cpu_permute (const EigmlNode *node);
void eigml_cpu_slice (const EigmlNode *node);
void eigml_cpu_pad (const EigmlNode *node);
void eigml_cpu_concat (const EigmlNode *node);
void eigml_cpu_broadcast (const EigmlNode *node);
void eigml_cpu_reduce (const EigmlNode *node);
void eigml_cpu_reduce_max_backward (const EigmlNode *node);
void eigml_cpu_clip_scale (const EigmlNode *node);
void eigml_cpu_adamw (const EigmlNode *node);

G_END_DECLS
