#version 450
/* unary_backward.comp: dx = dy * f'(.) where the saved value r is x (GELU,
 * ReLU, log, square) or y (tanh, sigmoid, exp, sqrt), as in the CPU kernel
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, binding = 0) readonly buffer R { float r[]; };
layout(std430, binding = 1) readonly buffer DY { float dy[]; };
layout(std430, binding = 2) writeonly buffer DX { float dx[]; };

layout(push_constant) uniform Params
{
  uint n;
  uint kind;      /* EigmlUnaryKind */
} p;

void
main ()
{
  uint i = global_index ();
  float v, d;

  if (i >= p.n)
    return;
  v = r[i];
  switch (p.kind)
    {
    case 0:
      {
        float cdf = eigml_normal_cdf (v);
        float pdf = exp (-0.5 * v * v) * 0.39894228040143268;
        d = cdf + v * pdf;
      }
      break;
    case 1:
      d = 1.0 - v * v;
      break;
    case 2:
      d = v * (1.0 - v);
      break;
    case 3:
      d = v > 0.0 ? 1.0 : 0.0;
      break;
    case 4:
      d = v;
      break;
    case 5:
      d = 1.0 / v;
      break;
    case 6:
      d = 2.0 * v;
      break;
    default:
      d = 0.5 / v;
      break;
    }
  dx[i] = dy[i] * d;
}
