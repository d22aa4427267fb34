#version 450
/* cross_entropy_backward.comp: dlogits = dy[r] (softmax(row) - onehot(t));
 * zero for a target outside [0, C). One workgroup per row.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "rows.glsl"

layout(std430, binding = 0) readonly buffer L { float logits[]; };
layout(std430, binding = 1) readonly buffer T { int targets[]; };
layout(std430, binding = 2) readonly buffer DY { float dy[]; };
layout(std430, binding = 3) writeonly buffer DX { float dx[]; };

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
  float mx = NEG_INF, sum = 0.0;

  if (row >= p.rows)
    return;
  uint base = row * p.c;
  int t = targets[row];
  if (t < 0 || uint (t) >= p.c)
    {
      for (uint j = lid; j < p.c; j += WG_SIZE)
        dx[base + j] = 0.0;
      return;
    }
  for (uint j = lid; j < p.c; j += WG_SIZE)
    if (logits[base + j] > mx)
      mx = logits[base + j];
  mx = row_max (mx);
  for (uint j = lid; j < p.c; j += WG_SIZE)
    sum += exp (logits[base + j] - mx);
  sum = row_sum (sum);
  float inv = 1.0 / sum;
  float g = dy[row];
  for (uint j = lid; j < p.c; j += WG_SIZE)
    dx[base + j] = g * (exp (logits[base + j] - mx) * inv - (j == uint (t) ? 1.0 : 0.0));
}
