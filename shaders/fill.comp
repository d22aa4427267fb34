#version 450
/* fill.comp: y = value (any 32-bit pattern); one invocation per element
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, binding = 0) writeonly buffer Y { uint y[]; };

layout(push_constant) uniform Params
{
  uint n;
  uint value;
} p;

void
main ()
{
  uint i = global_index ();

  if (i < p.n)
    y[i] = p.value;
}
