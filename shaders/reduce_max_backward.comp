#version 450
/* reduce_max_backward.comp: dx = dy / ties at the maxima of each reduced
 * group, 0 elsewhere (the gradient is shared equally among ties).
 * MODE 0: one workgroup per output; MODE 1: one invocation per output.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "rows.glsl"

layout(constant_id = 1) const uint MODE = 0;

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer YM { float ymax[]; };
layout(std430, binding = 2) readonly buffer DY { float dy[]; };
layout(std430, binding = 3) writeonly buffer DX { float dx[]; };

layout(push_constant) uniform Params
{
  uint xshape[4];
  uint mask;
  uint n_out;
  uint count;
} p;

uint xs[4];

uint
output_base (uint o)
{
  uint base = 0;

  for (int a = 3; a >= 0; a--)
    {
      if ((p.mask & (1u << a)) == 0)
        {
          base += (o % p.xshape[a]) * xs[a];
          o /= p.xshape[a];
        }
    }
  return base;
}

uint
reduced_offset (uint k)
{
  uint off = 0;

  for (int a = 3; a >= 0; a--)
    {
      if ((p.mask & (1u << a)) != 0)
        {
          off += (k % p.xshape[a]) * xs[a];
          k /= p.xshape[a];
        }
    }
  return off;
}

void
main ()
{
  uint o, first, step;
  float ties = 0.0;

  xs[3] = 1;
  xs[2] = p.xshape[3];
  xs[1] = xs[2] * p.xshape[2];
  xs[0] = xs[1] * p.xshape[1];

  if (MODE == 0)
    {
      o = group_index ();
      first = gl_LocalInvocationID.x;
      step = WG_SIZE;
    }
  else
    {
      o = global_index ();
      first = 0;
      step = 1;
    }
  if (o >= p.n_out)
    return;

  uint base = output_base (o);
  float m = ymax[o];
  for (uint k = first; k < p.count; k += step)
    if (x[base + reduced_offset (k)] == m)
      ties += 1.0;
  if (MODE == 0)
    ties = row_sum (ties);
  float g = dy[o] / ties;
  for (uint k = first; k < p.count; k += step)
    {
      uint i = base + reduced_offset (k);
      dx[i] = x[i] == m ? g : 0.0;
    }
}
