#version 450
/* scale.comp: y = x * scale + shift; one invocation per element
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Params
{
  uint n;
  float scale;
  float shift;
} p;

void
main ()
{
  uint i = global_index ();

  if (i < p.n)
    y[i] = x[i] * p.scale + p.shift;
}
