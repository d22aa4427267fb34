#version 450
/* kl_div.comp: y[r] = sum exp(lp) (lp - lq) over the row, 0 log 0 = 0;
 * one workgroup per row
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "rows.glsl"

layout(std430, binding = 0) readonly buffer LP { float lp[]; };
layout(std430, binding = 1) readonly buffer LQ { float lq[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Params
{
  uint rows;
  uint c;
} p;

void
main ()
{
  uint row = group_index ();
  uint lid = gl_LocalInvocationID.x;
  float s = 0.0;

  if (row >= p.rows)
    return;
  uint base = row * p.c;
  for (uint j = lid; j < p.c; j += WG_SIZE)
    {
      float pr = exp (lp[base + j]);
      if (pr > 0.0)
        s += pr * (lp[base + j] - lq[base + j]);
    }
  s = row_sum (s);
  if (lid == 0)
    y[row] = s;
}
