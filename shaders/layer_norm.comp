#version 450
/* layer_norm.comp: y = (x - mean) / sqrt(var + eps) (* gamma + beta) along
 * the last axis; one workgroup per row, two passes (mean, then the mean
 * of squared deviations), not E[x^2] - mean^2
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "rows.glsl"

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer G { float gamma[]; };
layout(std430, binding = 2) readonly buffer B { float beta[]; };
layout(std430, binding = 3) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Params
{
  uint rows;
  uint c;
  float eps;
  uint flags;     /* bit 0: gamma, bit 1: beta */
} p;

void
main ()
{
  uint row = group_index ();
  uint lid = gl_LocalInvocationID.x;
  float mean = 0.0, var = 0.0;

  if (row >= p.rows)
    return;
  uint base = row * p.c;
  for (uint j = lid; j < p.c; j += WG_SIZE)
    mean += x[base + j];
  mean = row_sum (mean) / float (p.c);
  for (uint j = lid; j < p.c; j += WG_SIZE)
    {
      float d = x[base + j] - mean;
      var += d * d;
    }
  var = row_sum (var) / float (p.c);
  float rstd = 1.0 / sqrt (var + p.eps);
  for (uint j = lid; j < p.c; j += WG_SIZE)
    {
      float v = (x[base + j] - mean) * rstd;
      if ((p.flags & 1u) != 0)
        v *= gamma[j];
      if ((p.flags & 2u) != 0)
        v += beta[j];
      y[base + j] = v;
    }
}
