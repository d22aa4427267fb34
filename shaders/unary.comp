#version 450
/* unary.comp: y = f(x) for GELU (erf form), tanh, sigmoid, ReLU, exp, log,
 * square, sqrt; one invocation per element
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
  uint kind;      /* EigmlUnaryKind */
} p;

void
main ()
{
  uint i = global_index ();
  float v, r;

  if (i >= p.n)
    return;
  v = x[i];
  switch (p.kind)
    {
    case 0:
      r = v * eigml_normal_cdf (v);
      break;
    case 1:
      r = eigml_tanh (v);
      break;
    case 2:
      r = eigml_sigmoid (v);
      break;
    case 3:
      r = v > 0.0 ? v : 0.0;
      break;
    case 4:
      r = exp (v);
      break;
    case 5:
      r = log (v);
      break;
    case 6:
      r = v * v;
      break;
    default:
      r = sqrt (v);
      break;
    }
  y[i] = r;
}
