#version 450
/* copy_strided.comp: y[i] = x[offset of i under 4-d strides]; permute
 * (strides of the source axes in output order) and broadcast (0 on the
 * stretched axes). Moves 32-bit words: f32 and i32 alike.
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
  uint shape[4];  /* of y */
  uint sx[4];
} p;

void
main ()
{
  uint i = global_index ();

  if (i >= p.n)
    return;
  uint i3 = i % p.shape[3];
  uint t = i / p.shape[3];
  uint i2 = t % p.shape[2];
  t /= p.shape[2];
  uint i1 = t % p.shape[1];
  uint i0 = t / p.shape[1];
  y[i] = x[i0 * p.sx[0] + i1 * p.sx[1] + i2 * p.sx[2] + i3 * p.sx[3]];
}
