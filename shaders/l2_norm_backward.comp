#version 450
/* l2_norm_backward.comp: above eps dx = (dy - y (dy . y)) / ||x||, at or
 * below it dx = dy / eps; one workgroup per row
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "rows.glsl"

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer DY { float dy[]; };
layout(std430, binding = 2) writeonly buffer DX { float dx[]; };

layout(push_constant) uniform Params
{
  uint rows;
  uint c;
  float eps;
} p;

void
main ()
{
  uint row = group_index ();
  uint lid = gl_LocalInvocationID.x;
  float ss = 0.0, dot = 0.0;

  if (row >= p.rows)
    return;
  uint base = row * p.c;
  for (uint j = lid; j < p.c; j += WG_SIZE)
    ss += x[base + j] * x[base + j];
  ss = row_sum (ss);
  float norm = sqrt (ss);
  if (norm <= p.eps)
    {
      for (uint j = lid; j < p.c; j += WG_SIZE)
        dx[base + j] = dy[base + j] / p.eps;
      return;
    }
  for (uint j = lid; j < p.c; j += WG_SIZE)
    dot += dy[base + j] * x[base + j];
  dot = row_sum (dot) / norm;
  for (uint j = lid; j < p.c; j += WG_SIZE)
    dx[base + j] = (dy[base + j] - (x[base + j] / norm) * dot) / norm;
}
