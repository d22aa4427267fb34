#version 450
/* softmax_backward.comp: dx from (y, dy), one workgroup per row
 *   softmax:     dx = scale * y * (dy - sum(dy * y))
 *   log-softmax: dx = scale * (dy - exp(y) * sum(dy))
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "rows.glsl"

layout(std430, binding = 0) readonly buffer Yv { float y[]; };
layout(std430, binding = 1) readonly buffer DY { float dy[]; };
layout(std430, binding = 2) writeonly buffer DX { float dx[]; };

layout(push_constant) uniform Params
{
  uint rows;
  uint c;
  float scale;
  uint log_softmax;
} p;

void
main ()
{
  uint row = group_index ();
  uint lid = gl_LocalInvocationID.x;
  float dot = 0.0;

  if (row >= p.rows)
    return;
  uint base = row * p.c;
  if (p.log_softmax != 0)
    {
      for (uint j = lid; j < p.c; j += WG_SIZE)
        dot += dy[base + j];
      dot = row_sum (dot);
      for (uint j = lid; j < p.c; j += WG_SIZE)
        dx[base + j] = p.scale * (dy[base + j] - exp (y[base + j]) * dot);
    }
  else
    {
      for (uint j = lid; j < p.c; j += WG_SIZE)
        dot += dy[base + j] * y[base + j];
      dot = row_sum (dot);
      for (uint j = lid; j < p.c; j += WG_SIZE)
        dx[base + j] = p.scale * y[base + j] * (dy[base + j] - dot);
    }
}
