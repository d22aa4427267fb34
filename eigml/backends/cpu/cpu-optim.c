/* cpu-optim.c: gradient clipping factor and the AdamW update
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * hyper = [lr, beta1, beta2, eps, weight_decay, 1 - beta1^t, 1 - beta2^t,
 * max_norm]; the update is PyTorch's torch.optim.AdamW (decoupled decay,
 * bias correction), applied to the gradient times the clip factor. The
 * gradient is zeroed afterwards so the next backward accumulates afresh.
 */
#include "config.h"

#include "cpu-private.h"

#include <math.h>

void
eigml_cpu_clip_scale (const EigmlNode *node)
{
  float sumsq = CPU_F32 (node->src[0])[0];
  float max_norm = CPU_F32 (node->src[1])[7];
  float *y = CPU_F32 (node);

  y[0] = max_norm > 0.0f ? fminf (1.0f, max_norm / (sqrtf (sumsq) + 1e-6f)) : 1.0f;
}

void
eigml_cpu_adamw (const EigmlNode *node)
{
  float *p = CPU_F32 (node->src[0]);
  float *g = CPU_F32 (node->src[1]);
  float *m = CPU_F32 (node->src[2]);
  float *v = CPU_F32 (node->src[3]);
  const float *h = CPU_F32 (node->src[4]);
  float clip = node->src[5] ? CPU_F32 (node->src[5])[0] : 1.0f;
  float lr = h[0], b1 = h[1], b2 = h[2], eps = h[3];
  float wd = node->ip[0] ? h[4] : 0.0f;
  float step_size = lr / h[5];
  float bc2_sqrt = sqrtf (h[6]);
  float decay = 1.0f - lr * wd;
  gint64 n = node->n_elements;

#pragma omp parallel for schedule(static) if (n > CPU_PARALLEL_MIN)
  for (gint64 i = 0; i < n; i++)
    {
      float gi = g[i] * clip;
      float mi = m[i] + (1.0f - b1) * (gi - m[i]);
      float vi = v[i] * b2 + (1.0f - b2) * gi * gi;
      float denom = sqrtf (vi) / bc2_sqrt + eps;
      p[i] = p[i] * decay - step_size * mi / denom;
      m[i] = mi;
      v[i] = vi;
      g[i] = 0.0f;
    }
}
