/* cpu-matmul.c: matrix products through OpenBLAS
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each batch is one cblas_sgemm. Many small products (attention heads) are
 * spread over threads instead, each calling a single-threaded GEMM, which
 * OpenBLAS runs faster than one threaded call per small product. OpenBLAS
 * built for OpenMP (what Eigml links on Debian) runs single-threaded inside
 * a parallel region by itself; the pthread build must be told.
 */
#include "config.h"

#include "cpu-private.h"

#include <cblas.h>
#include <omp.h>

void
eigml_cpu_matmul (const EigmlNode *node)
{
  const EigmlNode *a = node->src[0], *b = node->src[1];
  gboolean ta = node->ip[0], tb = node->ip[1];
  gint64 m = node->shape[node->n_dims - 2];
  gint64 n = node->shape[node->n_dims - 1];
  gint64 k = ta ? a->shape[a->n_dims - 2] : a->shape[a->n_dims - 1];
  gint64 batch = node->n_elements / (m * n);
  gint64 stride_a = node->ip[2] ? 0 : m * k;
  gint64 stride_b = node->ip[3] ? 0 : k * n;
  const float *pa = CPU_F32 (a), *pb = CPU_F32 (b);
  float *pc = CPU_F32 (node);
  gint64 lda = ta ? m : k, ldb = tb ? k : n;
  enum CBLAS_TRANSPOSE opa = ta ? CblasTrans : CblasNoTrans;
  enum CBLAS_TRANSPOSE opb = tb ? CblasTrans : CblasNoTrans;

  if (batch == 1 || m * n * k >= 256 * 256 * 256)
    {
      for (gint64 i = 0; i < batch; i++)
        cblas_sgemm (CblasRowMajor, opa, opb, m, n, k, 1.0f, pa + i * stride_a, lda,
                     pb + i * stride_b, ldb, 0.0f, pc + i * m * n, n);
      return;
    }

  {
    gboolean openmp_blas = openblas_get_parallel () == 2;
    int saved = openblas_get_num_threads ();

    if (!openmp_blas)
      openblas_set_num_threads (1);
#pragma omp parallel for schedule(static)
    for (gint64 i = 0; i < batch; i++)
      cblas_sgemm (CblasRowMajor, opa, opb, m, n, k, 1.0f, pa + i * stride_a, lda,
                   pb + i * stride_b, ldb, 0.0f, pc + i * m * n, n);
    if (!openmp_blas)
      openblas_set_num_threads (saved);
  }
}
