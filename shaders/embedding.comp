#version 450
/* embedding.comp: y[i, :] = table[ids[i], :], a zero row for an id outside
 * [0, V); one invocation per output element
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, binding = 0) readonly buffer Table { float table[]; };
layout(std430, binding = 1) readonly buffer Ids { int ids[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Params
{
  uint n;
  uint d;
  uint v;
} p;

void
main ()
{
  uint i = global_index ();

  if (i >= p.n)
    return;
  int id = ids[i / p.d];
  y[i] = id >= 0 && uint (id) < p.v ? table[uint (id) * p.d + i % p.d] : 0.0;
}
