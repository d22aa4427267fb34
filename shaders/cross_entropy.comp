#version 450
/* cross_entropy.comp: loss[r] = logsumexp(row) - row[target]; a target
 * outside [0, C) gives 0. One workgroup per row.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "rows.glsl"

layout(std430, binding = 0) readonly buffer L { float logits[]; };
layout(std430, binding = 1) readonly buffer T { int targets[]; };
layout(std430, binding = 2) writeonly buffer Y { float loss[]; };

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
  int t = targets[row];
  if (t < 0 || uint (t) >= p.c)
    {
      if (lid == 0)
        loss[row] = 0.0;
      return;
    }
  uint base = row * p.c;
  for (uint j = lid; j < p.c; j += WG_SIZE)
    if (logits[base + j] > mx)
      mx = logits[base + j];
  mx = row_max (mx);
  for (uint j = lid; j < p.c; j += WG_SIZE)
    sum += exp (logits[base + j] - mx);
  sum = row_sum (sum);
  if (lid == 0)
    loss[row] = mx + log (sum) - logits[base + uint (t)];
}
