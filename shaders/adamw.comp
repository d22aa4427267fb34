#version 450
/* adamw.comp: the AdamW step of cpu-optim.c, in place on (param, grad, m,
 * v); hyper = [lr, beta1, beta2, eps, weight_decay, 1 - beta1^t,
 * 1 - beta2^t, max_norm]; the gradient is zeroed after use. One invocation
 * per element.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, binding = 0) buffer P { float param[]; };
layout(std430, binding = 1) buffer G { float grad[]; };
layout(std430, binding = 2) buffer M { float m1[]; };
layout(std430, binding = 3) buffer V { float m2[]; };
layout(std430, binding = 4) readonly buffer H { float h[]; };
layout(std430, binding = 5) readonly buffer C { float clip[]; };

layout(push_constant) uniform Params
{
  uint n;
  uint use_weight_decay;
  uint has_clip;
} p;

void
main ()
{
  uint i = global_index ();

  if (i >= p.n)
    return;
  float lr = h[0], b1 = h[1], b2 = h[2], eps = h[3];
  float wd = p.use_weight_decay != 0 ? h[4] : 0.0;
  float step_size = lr / h[5];
  float bc2_sqrt = sqrt (h[6]);
  float decay = 1.0 - lr * wd;
  float c = p.has_clip != 0 ? clip[0] : 1.0;

  float gi = grad[i] * c;
  float mi = m1[i] + (1.0 - b1) * (gi - m1[i]);
  float vi = m2[i] * b2 + (1.0 - b2) * gi * gi;
  float denom = sqrt (vi) / bc2_sqrt + eps;
  param[i] = param[i] * decay - step_size * mi / denom;
  m1[i] = mi;
  m2[i] = vi;
  grad[i] = 0.0;
}
