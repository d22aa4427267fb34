#version 450
/* softmax.comp: y = softmax(x * scale + mask) or its log along the last
 * axis; one workgroup per row: max, sum of exp, normalise (three strided
 * passes, shared-memory trees in between). The optional additive mask
 * broadcasts over the leading axes (strides sm, 0 where stretched). A row
 * whose entries are all -inf gives zeros, as on the CPU.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "rows.glsl"

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer M { float m[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Params
{
  uint rows;
  uint c;
  uint shape1;    /* 4-d shape axes 1 and 2, to place a row in the mask */
  uint shape2;
  uint sm0;
  uint sm1;
  uint sm2;
  float scale;
  uint log_softmax;
  uint has_mask;
} p;

uint base, mbase;

float
value (uint j)
{
  float v = x[base + j] * p.scale;
  if (p.has_mask != 0)
    v += m[mbase + j];
  return v;
}

void
main ()
{
  uint row = group_index ();
  uint lid = gl_LocalInvocationID.x;
  float mx = NEG_INF, sum = 0.0;

  if (row >= p.rows)
    return;
  base = row * p.c;
  mbase = 0;
  if (p.has_mask != 0)
    {
      uint i2 = row % p.shape2;
      uint i1 = (row / p.shape2) % p.shape1;
      uint i0 = row / (p.shape2 * p.shape1);
      mbase = i0 * p.sm0 + i1 * p.sm1 + i2 * p.sm2;
    }

  for (uint j = lid; j < p.c; j += WG_SIZE)
    {
      float v = value (j);
      if (v > mx)
        mx = v;
    }
  mx = row_max (mx);
  if (mx == NEG_INF)
    {
      /* every entry masked out: a zero row, not NaN */
      for (uint j = lid; j < p.c; j += WG_SIZE)
        y[base + j] = 0.0;
      return;
    }
  for (uint j = lid; j < p.c; j += WG_SIZE)
    sum += exp (value (j) - mx);
  sum = row_sum (sum);
  if (p.log_softmax != 0)
    {
      float lse = mx + log (sum);
      for (uint j = lid; j < p.c; j += WG_SIZE)
        y[base + j] = value (j) - lse;
    }
  else
    {
      float inv = 1.0 / sum;
      for (uint j = lid; j < p.c; j += WG_SIZE)
        y[base + j] = exp (value (j) - mx) * inv;
    }
}
