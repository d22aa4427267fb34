#version 450
/* clip_scale.comp: y = min(1, max_norm / (sqrt(sumsq) + 1e-6)), or 1 when
 * max_norm = hyper[7] <= 0; a single invocation
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, binding = 0) readonly buffer S { float sumsq[]; };
layout(std430, binding = 1) readonly buffer H { float hyper[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };

void
main ()
{
  if (global_index () != 0)
    return;
  float max_norm = hyper[7];
  y[0] = max_norm > 0.0 ? min (1.0, max_norm / (sqrt (sumsq[0]) + 1e-6)) : 1.0;
}
