#version 450
/* layer_norm_backward.comp: dx = rstd (g - mean(g) - xhat mean(g xhat)),
 * g = dy * gamma; one workgroup per row
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "rows.glsl"

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer DY { float dy[]; };
layout(std430, binding = 2) readonly buffer G { float gamma[]; };
layout(std430, binding = 3) writeonly buffer DX { float dx[]; };

layout(push_constant) uniform Params
{
  uint rows;
  uint c;
  float eps;
  uint has_gamma;
} p;

void
main ()
{
  uint row = group_index ();
  uint lid = gl_LocalInvocationID.x;
  float mean = 0.0, var = 0.0;
  vec2 sums = vec2 (0.0);

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
      float g = p.has_gamma != 0 ? dy[base + j] * gamma[j] : dy[base + j];
      sums += vec2 (g, g * (x[base + j] - mean) * rstd);
    }
  sums = row_sum2 (sums) / float (p.c);
  for (uint j = lid; j < p.c; j += WG_SIZE)
    {
      float g = p.has_gamma != 0 ? dy[base + j] * gamma[j] : dy[base + j];
      float xhat = (x[base + j] - mean) * rstd;
      dx[base + j] = rstd * (g - sums.x - xhat * sums.y);
    }
}
