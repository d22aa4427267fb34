#version 450
/* binary.comp: y = a (+ - * /) b with 4-d broadcasting; one invocation per
 * element. Strides are 0 on the axes an operand is stretched along; with
 * direct = 1 both operands have y's shape and are indexed like y.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, binding = 0) readonly buffer A { float a[]; };
layout(std430, binding = 1) readonly buffer B { float b[]; };
layout(std430, binding = 2) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Params
{
  uint n;
  uint kind;      /* EigmlBinaryKind */
  uint direct;
  uint shape[4];  /* of y */
  uint sa[4];
  uint sb[4];
} p;

void
main ()
{
  uint i = global_index ();
  uint ia = i, ib = i;
  float va, vb, r;

  if (i >= p.n)
    return;
  if (p.direct == 0)
    {
      uint i3 = i % p.shape[3];
      uint t = i / p.shape[3];
      uint i2 = t % p.shape[2];
      t /= p.shape[2];
      uint i1 = t % p.shape[1];
      uint i0 = t / p.shape[1];
      ia = i0 * p.sa[0] + i1 * p.sa[1] + i2 * p.sa[2] + i3 * p.sa[3];
      ib = i0 * p.sb[0] + i1 * p.sb[1] + i2 * p.sb[2] + i3 * p.sb[3];
    }
  va = a[ia];
  vb = b[ib];
  switch (p.kind)
    {
    case 0:
      r = va + vb;
      break;
    case 1:
      r = va - vb;
      break;
    case 2:
      r = va * vb;
      break;
    default:
      r = va / vb;
      break;
    }
  y[i] = r;
}
