#version 450
/* kl_div_backward.comp: d/dlp = dy p (lp - lq + 1) (0 where p = 0),
 * d/dlq = -dy p; one invocation per element
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, binding = 0) readonly buffer LP { float lp[]; };
layout(std430, binding = 1) readonly buffer LQ { float lq[]; };
layout(std430, binding = 2) readonly buffer DY { float dy[]; };
layout(std430, binding = 3) writeonly buffer DX { float dx[]; };

layout(push_constant) uniform Params
{
  uint n;
  uint c;
  uint wrt_q;
} p;

void
main ()
{
  uint i = global_index ();

  if (i >= p.n)
    return;
  float g = dy[i / p.c];
  float pr = exp (lp[i]);
  if (p.wrt_q != 0)
    dx[i] = -g * pr;
  else
    dx[i] = pr > 0.0 ? g * pr * (lp[i] - lq[i] + 1.0) : 0.0;
}
