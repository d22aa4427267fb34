#version 450
/* bce_logits.comp: binary cross-entropy with logits, elementwise:
 *   forward:  max(x, 0) - x t + log(1 + exp(-|x|))
 *   backward: dy (sigmoid(x) - t)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer T { float t[]; };
layout(std430, binding = 2) readonly buffer DY { float dy[]; };
layout(std430, binding = 3) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Params
{
  uint n;
  uint backward;
} p;

void
main ()
{
  uint i = global_index ();

  if (i >= p.n)
    return;
  float v = x[i];
  if (p.backward != 0)
    y[i] = dy[i] * (eigml_sigmoid (v) - t[i]);
  else
    y[i] = max (v, 0.0) - v * t[i] + eigml_log1p (exp (-abs (v)));
}
