#version 450
/* concat.comp: y = concatenation of up to six sources along one 4-d axis;
 * one invocation per output element finds its source from the start
 * offsets. Unused source bindings repeat source 0. 32-bit words.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, binding = 0) readonly buffer S0 { uint s0[]; };
layout(std430, binding = 1) readonly buffer S1 { uint s1[]; };
layout(std430, binding = 2) readonly buffer S2 { uint s2[]; };
layout(std430, binding = 3) readonly buffer S3 { uint s3[]; };
layout(std430, binding = 4) readonly buffer S4 { uint s4[]; };
layout(std430, binding = 5) readonly buffer S5 { uint s5[]; };
layout(std430, binding = 6) writeonly buffer Y { uint y[]; };

layout(push_constant) uniform Params
{
  uint n;
  uint inner;
  uint len_out;
  uint n_src;
  uint start[7];  /* start[s] .. start[s + 1] along the axis is source s */
} p;

void
main ()
{
  uint i = global_index ();
  uint s = 0;

  if (i >= p.n)
    return;
  uint e = i % p.inner;
  uint t = i / p.inner;
  uint a = t % p.len_out;
  uint o = t / p.len_out;
  while (s + 1 < p.n_src && a >= p.start[s + 1])
    s++;
  uint len = p.start[s + 1] - p.start[s];
  uint j = (o * len + a - p.start[s]) * p.inner + e;
  uint v;
  switch (s)
    {
    case 0:
      v = s0[j];
      break;
    case 1:
      v = s1[j];
      break;
    case 2:
      v = s2[j];
      break;
    case 3:
      v = s3[j];
      break;
    case 4:
      v = s4[j];
      break;
    default:
      v = s5[j];
      break;
    }
  y[i] = v;
}
