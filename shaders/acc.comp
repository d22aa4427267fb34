#version 450
/* acc.comp: dst += v, in place; one invocation per element
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, binding = 0) buffer Dst { float dst[]; };
layout(std430, binding = 1) readonly buffer V { float v[]; };

layout(push_constant) uniform Params
{
  uint n;
} p;

void
main ()
{
  uint i = global_index ();

  if (i < p.n)
    dst[i] += v[i];
}
