#version 450
/* dropout.comp: y = keep ? x * scale : 0 with the Philox mask of
 * eigml/engine/philox.h; one invocation per group of four elements (one
 * Philox call). state = (seed lo, seed hi, offset lo, offset hi).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "philox.glsl"

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer State { uint state[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Params
{
  uint n;
  uint stream;
  float prob;     /* drop probability */
  float scale;    /* 1 / (1 - p), computed on the host */
} p;

void
main ()
{
  uint g = global_index ();
  uvec4 words;

  if (g >= (p.n + 3) / 4)
    return;
  words = philox4x32_10 (uvec4 (g, p.stream, state[2], state[3]), uvec2 (state[0], state[1]));
  for (uint j = 0; j < 4; j++)
    {
      uint i = g * 4 + j;
      if (i < p.n)
        y[i] = philox_uniform (words[j]) >= p.prob ? x[i] * p.scale : 0.0;
    }
}
