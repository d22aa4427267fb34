/* cpu-rows.c: kernels that work row by row along the last axis: softmax,
 * LayerNorm, L2 normalisation, cross-entropy, KL divergence (and their
 * gradients), plus the elementwise BCE-with-logits
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One row is handled by one thread from start to end, so results do not
 * depend on the thread count.
 */
#include "config.h"

#include "cpu-private.h"
#include "cpu-vecmath.h"

#include <math.h>

static inline gint64
row_length (const EigmlNode *node)
{
  return node->n_dims ? node->shape[node->n_dims - 1] : 1;
}

typedef struct
{
  const float *x;
  const float *mask;
  float *y;
  gint64 c;
  gint64 shape[4];
  gint64 sm[4];
  float scale;
  gboolean log;
} SoftmaxArgs;

CPU_CLONES static void
softmax_rows (gint64 start,
              gint64 end,
              gpointer data)
{
  const SoftmaxArgs *a = data;
  gint64 c = a->c;

  for (gint64 r = start; r < end; r++)
    {
      const float *xr = a->x + r * c;
      float *yr = a->y + r * c;
      const float *mr = NULL;
      float max = -INFINITY, sum = 0.0f;

      if (a->mask)
        {
          gint64 i2 = r % a->shape[2], i1 = (r / a->shape[2]) % a->shape[1];
          gint64 i0 = r / (a->shape[2] * a->shape[1]);
          mr = a->mask + i0 * a->sm[0] + i1 * a->sm[1] + i2 * a->sm[2];
          for (gint64 j = 0; j < c; j++)
            yr[j] = xr[j] * a->scale + mr[j];
        }
      else
        {
#pragma omp simd
          for (gint64 j = 0; j < c; j++)
            yr[j] = xr[j] * a->scale;
        }
#pragma omp simd reduction(max:max)
      for (gint64 j = 0; j < c; j++)
        max = yr[j] > max ? yr[j] : max;
      if (max == -INFINITY)
        {
          /* every entry masked out: a zero row, not NaN */
          for (gint64 j = 0; j < c; j++)
            yr[j] = 0.0f;
          continue;
        }
      if (a->log)
        {
          float lse;
#pragma omp simd reduction(+:sum)
          for (gint64 j = 0; j < c; j++)
            sum += cpu_expf (yr[j] - max);
          lse = max + logf (sum);
#pragma omp simd
          for (gint64 j = 0; j < c; j++)
            yr[j] = yr[j] - lse;
        }
      else
        {
          float inv;
#pragma omp simd reduction(+:sum)
          for (gint64 j = 0; j < c; j++)
            {
              float e = cpu_expf (yr[j] - max);
              yr[j] = e;
              sum += e;
            }
          inv = 1.0f / sum;
#pragma omp simd
          for (gint64 j = 0; j < c; j++)
            yr[j] *= inv;
        }
    }
}

void
eigml_cpu_softmax (const EigmlNode *node)
{
  SoftmaxArgs a = { CPU_F32 (node->src[0]), node->ip[1] ? CPU_F32 (node->src[1]) : NULL,
                    CPU_F32 (node), row_length (node), { 0 }, { 0 }, node->fp[0], node->ip[0] };

  eigml_node_shape4 (node, a.shape);
  if (a.mask)
    cpu_broadcast_strides4 (node->src[1], a.shape, a.sm);
  cpu_parallel_ranges (node->n_elements / a.c, MAX (1, CPU_PARALLEL_MIN / 4 / a.c), softmax_rows,
                       &a);
}

void
eigml_cpu_softmax_backward (const EigmlNode *node)
{
  const float *y = CPU_F32 (node->src[0]);
  const float *dy = CPU_F32 (node->src[1]);
  float *dx = CPU_F32 (node);
  gint64 c = row_length (node), rows = node->n_elements / c;
  float scale = node->fp[0];
  gboolean log = node->ip[0];

#pragma omp parallel for schedule(static) if (node->n_elements > CPU_PARALLEL_MIN / 4)
  for (gint64 r = 0; r < rows; r++)
    {
      const float *yr = y + r * c, *dyr = dy + r * c;
      float *dxr = dx + r * c;
      float dot = 0.0f;

      if (log)
        {
          for (gint64 j = 0; j < c; j++)
            dot += dyr[j];
          for (gint64 j = 0; j < c; j++)
            dxr[j] = scale * (dyr[j] - expf (yr[j]) * dot);
        }
      else
        {
          for (gint64 j = 0; j < c; j++)
            dot += dyr[j] * yr[j];
          for (gint64 j = 0; j < c; j++)
            dxr[j] = scale * yr[j] * (dyr[j] - dot);
        }
    }
}

/* Two-pass mean and 1 / sqrt(biased variance + eps) of one row. */
static inline void
row_mean_rstd (const float *x,
               gint64 c,
               float eps,
               float *mean_out,
               float *rstd_out)
{
  float mean = 0.0f, var = 0.0f;

  for (gint64 j = 0; j < c; j++)
    mean += x[j];
  mean /= (float) c;
  for (gint64 j = 0; j < c; j++)
    {
      float d = x[j] - mean;
      var += d * d;
    }
  var /= (float) c;
  *mean_out = mean;
  *rstd_out = 1.0f / sqrtf (var + eps);
}

void
eigml_cpu_layer_norm (const EigmlNode *node)
{
  const float *x = CPU_F32 (node->src[0]);
  gboolean has_gamma = node->ip[0] & 1, has_beta = node->ip[0] & 2;
  const float *gamma = has_gamma ? CPU_F32 (node->src[1]) : NULL;
  const float *beta = has_beta ? CPU_F32 (node->src[has_gamma ? 2 : 1]) : NULL;
  float *y = CPU_F32 (node);
  gint64 c = row_length (node), rows = node->n_elements / c;
  float eps = node->fp[0];

#pragma omp parallel for schedule(static) if (node->n_elements > CPU_PARALLEL_MIN / 4)
  for (gint64 r = 0; r < rows; r++)
    {
      const float *xr = x + r * c;
      float *yr = y + r * c;
      float mean, rstd;

      row_mean_rstd (xr, c, eps, &mean, &rstd);
      for (gint64 j = 0; j < c; j++)
        {
          float v = (xr[j] - mean) * rstd;
          if (gamma)
            v *= gamma[j];
          if (beta)
            v += beta[j];
          yr[j] = v;
        }
    }
}

/* dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), g = dy * gamma */
void
eigml_cpu_layer_norm_backward (const EigmlNode *node)
{
  const float *x = CPU_F32 (node->src[0]);
  const float *dy = CPU_F32 (node->src[1]);
  const float *gamma = node->ip[0] ? CPU_F32 (node->src[2]) : NULL;
  float *dx = CPU_F32 (node);
  gint64 c = row_length (node), rows = node->n_elements / c;
  float eps = node->fp[0];

#pragma omp parallel for schedule(static) if (node->n_elements > CPU_PARALLEL_MIN / 4)
  for (gint64 r = 0; r < rows; r++)
    {
      const float *xr = x + r * c, *dyr = dy + r * c;
      float *dxr = dx + r * c;
      float mean, rstd, mg = 0.0f, mgx = 0.0f;

      row_mean_rstd (xr, c, eps, &mean, &rstd);
      for (gint64 j = 0; j < c; j++)
        {
          float gj = gamma ? dyr[j] * gamma[j] : dyr[j];
          mg += gj;
          mgx += gj * (xr[j] - mean) * rstd;
        }
      mg /= (float) c;
      mgx /= (float) c;
      for (gint64 j = 0; j < c; j++)
        {
          float gj = gamma ? dyr[j] * gamma[j] : dyr[j];
          float xhat = (xr[j] - mean) * rstd;
          dxr[j] = rstd * (gj - mg - xhat * mgx);
        }
    }
}

void
eigml_cpu_l2_norm (const EigmlNode *node)
{
  const float *x = CPU_F32 (node->src[0]);
  float *y = CPU_F32 (node);
  gint64 c = row_length (node), rows = node->n_elements / c;
  float eps = node->fp[0];

#pragma omp parallel for schedule(static) if (node->n_elements > CPU_PARALLEL_MIN / 4)
  for (gint64 r = 0; r < rows; r++)
    {
      const float *xr = x + r * c;
      float *yr = y + r * c;
      float ss = 0.0f, inv;

      for (gint64 j = 0; j < c; j++)
        ss += xr[j] * xr[j];
      inv = 1.0f / fmaxf (sqrtf (ss), eps);
      for (gint64 j = 0; j < c; j++)
        yr[j] = xr[j] * inv;
    }
}

/* Above eps: dx = (dy - y (dy . y)) / ||x||; at or below: dx = dy / eps. */
void
eigml_cpu_l2_norm_backward (const EigmlNode *node)
{
  const float *x = CPU_F32 (node->src[0]);
  const float *dy = CPU_F32 (node->src[1]);
  float *dx = CPU_F32 (node);
  gint64 c = row_length (node), rows = node->n_elements / c;
  float eps = node->fp[0];

#pragma omp parallel for schedule(static) if (node->n_elements > CPU_PARALLEL_MIN / 4)
  for (gint64 r = 0; r < rows; r++)
    {
      const float *xr = x + r * c, *dyr = dy + r * c;
      float *dxr = dx + r * c;
      float ss = 0.0f, norm, dot = 0.0f;

      for (gint64 j = 0; j < c; j++)
        ss += xr[j] * xr[j];
      norm = sqrtf (ss);
      if (norm <= eps)
        {
          for (gint64 j = 0; j < c; j++)
            dxr[j] = dyr[j] / eps;
          continue;
        }
      for (gint64 j = 0; j < c; j++)
        dot += dyr[j] * xr[j];
      dot /= norm;
      for (gint64 j = 0; j < c; j++)
        dxr[j] = (dyr[j] - (xr[j] / norm) * dot) / norm;
    }
}

void
eigml_cpu_cross_entropy (const EigmlNode *node)
{
  const EigmlNode *nl = node->src[0];
  const float *logits = CPU_F32 (nl);
  const gint32 *targets = CPU_I32 (node->src[1]);
  float *loss = CPU_F32 (node);
  gint64 c = nl->shape[nl->n_dims - 1], rows = node->n_elements;

#pragma omp parallel for schedule(static) if (nl->n_elements > CPU_PARALLEL_MIN / 4)
  for (gint64 r = 0; r < rows; r++)
    {
      const float *xr = logits + r * c;
      gint32 t = targets[r];
      float max = -INFINITY, sum = 0.0f;

      if (t < 0 || t >= c)
        {
          loss[r] = 0.0f;
          continue;
        }
      for (gint64 j = 0; j < c; j++)
        max = xr[j] > max ? xr[j] : max;
      for (gint64 j = 0; j < c; j++)
        sum += expf (xr[j] - max);
      loss[r] = max + logf (sum) - xr[t];
    }
}

void
eigml_cpu_cross_entropy_backward (const EigmlNode *node)
{
  const float *logits = CPU_F32 (node->src[0]);
  const gint32 *targets = CPU_I32 (node->src[1]);
  const float *dy = CPU_F32 (node->src[2]);
  float *dx = CPU_F32 (node);
  gint64 c = row_length (node), rows = node->n_elements / c;

#pragma omp parallel for schedule(static) if (node->n_elements > CPU_PARALLEL_MIN / 4)
  for (gint64 r = 0; r < rows; r++)
    {
      const float *xr = logits + r * c;
      float *dxr = dx + r * c;
      gint32 t = targets[r];
      float max = -INFINITY, sum = 0.0f, inv;

      if (t < 0 || t >= c)
        {
          for (gint64 j = 0; j < c; j++)
            dxr[j] = 0.0f;
          continue;
        }
      for (gint64 j = 0; j < c; j++)
        max = xr[j] > max ? xr[j] : max;
      for (gint64 j = 0; j < c; j++)
        sum += expf (xr[j] - max);
      inv = 1.0f / sum;
      for (gint64 j = 0; j < c; j++)
        dxr[j] = dy[r] * (expf (xr[j] - max) * inv - (j == t ? 1.0f : 0.0f));
    }
}

void
eigml_cpu_bce_logits (const EigmlNode *node)
{
  const float *x = CPU_F32 (node->src[0]);
  const float *t = CPU_F32 (node->src[1]);
  float *y = CPU_F32 (node);
  gint64 n = node->n_elements;

#pragma omp parallel for schedule(static) if (n > CPU_PARALLEL_MIN / 4)
  for (gint64 i = 0; i < n; i++)
    y[i] = fmaxf (x[i], 0.0f) - x[i] * t[i] + log1pf (expf (-fabsf (x[i])));
}

void
eigml_cpu_bce_logits_backward (const EigmlNode *node)
{
  const float *x = CPU_F32 (node->src[0]);
  const float *t = CPU_F32 (node->src[1]);
  const float *dy = CPU_F32 (node->src[2]);
  float *dx = CPU_F32 (node);
  gint64 n = node->n_elements;

#pragma omp parallel for schedule(static) if (n > CPU_PARALLEL_MIN / 4)
  for (gint64 i = 0; i < n; i++)
    {
      float s = x[i] >= 0.0f ? 1.0f / (1.0f + expf (-x[i])) : expf (x[i]) / (1.0f + expf (x[i]));
      dx[i] = dy[i] * (s - t[i]);
    }
}

void
eigml_cpu_kl_div (const EigmlNode *node)
{
  const EigmlNode *np = node->src[0];
  const float *lp = CPU_F32 (np), *lq = CPU_F32 (node->src[1]);
  float *y = CPU_F32 (node);
  gint64 c = np->shape[np->n_dims - 1], rows = node->n_elements;

#pragma omp parallel for schedule(static) if (np->n_elements > CPU_PARALLEL_MIN / 4)
  for (gint64 r = 0; r < rows; r++)
    {
      float s = 0.0f;
      for (gint64 j = 0; j < c; j++)
        {
          float p = expf (lp[r * c + j]);
          /* 0 log 0 = 0: an impossible class adds nothing */
          if (p > 0.0f)
            s += p * (lp[r * c + j] - lq[r * c + j]);
        }
      y[r] = s;
    }
}

/* d/dlp = dy p (lp - lq + 1), d/dlq = -dy p */
void
eigml_cpu_kl_div_backward (const EigmlNode *node)
{
  const float *lp = CPU_F32 (node->src[0]), *lq = CPU_F32 (node->src[1]);
  const float *dy = CPU_F32 (node->src[2]);
  float *dx = CPU_F32 (node);
  gint64 c = row_length (node), rows = node->n_elements / c;
  gboolean wrt_q = node->ip[0];

#pragma omp parallel for schedule(static) if (node->n_elements > CPU_PARALLEL_MIN / 4)
  for (gint64 r = 0; r < rows; r++)
    for (gint64 j = 0; j < c; j++)
      {
        gint64 i = r * c + j;
        float p = expf (lp[i]);
        if (wrt_q)
          dx[i] = -dy[r] * p;
        else
          dx[i] = p > 0.0f ? dy[r] * p * (lp[i] - lq[i] + 1.0f) : 0.0f;
      }
}
