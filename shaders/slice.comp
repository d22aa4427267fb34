#version 450
/* slice.comp: slice (y = x[..., start:start+len, ...]) and its inverse pad
 * (zeros around x placed at start) along one 4-d axis. An element is
 * (outer o, axis position a, inner i). 32-bit words: f32 and i32 alike.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, binding = 0) readonly buffer X { uint x[]; };
layout(std430, binding = 1) writeonly buffer Y { uint y[]; };

layout(push_constant) uniform Params
{
  uint n;
  uint inner;
  uint len_out;
  uint len_in;
  uint start;
  uint pad;       /* 0: slice, 1: pad */
} p;

void
main ()
{
  uint i = global_index ();

  if (i >= p.n)
    return;
  uint e = i % p.inner;
  uint t = i / p.inner;
  uint a = t % p.len_out;
  uint o = t / p.len_out;
  if (p.pad == 0)
    y[i] = x[(o * p.len_in + p.start + a) * p.inner + e];
  else if (a >= p.start && a < p.start + p.len_in)
    y[i] = x[(o * p.len_in + a - p.start) * p.inner + e];
  else
    y[i] = 0u;
}
