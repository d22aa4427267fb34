#version 450
/* l2_norm.comp: y = x / max(||x||, eps) along the last axis; one
 * workgroup per row
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "rows.glsl"

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer Y { float y[]; };

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
  float ss = 0.0;

  if (row >= p.rows)
    return;
  uint base = row * p.c;
  for (uint j = lid; j < p.c; j += WG_SIZE)
    ss += x[base + j] * x[base + j];
  ss = row_sum (ss);
  float inv = 1.0 / max (sqrt (ss), p.eps);
  for (uint j = lid; j < p.c; j += WG_SIZE)
    y[base + j] = x[base + j] * inv;
}
