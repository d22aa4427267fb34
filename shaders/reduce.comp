#version 450
/* reduce.comp: sum / max (of values or of their squares) over any set of
 * axes of a contiguous 4-d tensor, keepdim. The reduction of each output
 * may be cut into chunks, each giving a partial that a second dispatch of
 * this shader reduces (one output over millions of inputs uses many
 * workgroups that way).
 *
 * MODE 0: one workgroup per (output, chunk), a strided loop then a
 *         shared-memory tree: for reductions along the innermost axis.
 * MODE 1: one invocation per (output, chunk), a serial compensated
 *         (Kahan) sum: neighbouring invocations read neighbouring
 *         addresses when the innermost axis is kept.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "rows.glsl"

layout(constant_id = 1) const uint MODE = 0;

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer Y { float y[]; };

layout(push_constant) uniform Params
{
  uint xshape[4];
  uint mask;        /* bit a set: 4-d axis a is reduced */
  uint n_out;
  uint count;       /* elements reduced per output */
  uint chunks;
  uint chunk_len;
  uint op;          /* 0: sum, 1: max */
  uint square;      /* reduce v * v (sum of squares) */
  float divisor;    /* the result is divided by it (mean) */
  uint out_layout;  /* 0: y[o * chunks + c], 1: y[c * n_out + o] */
} p;

uint xs[4];

uint
output_base (uint o)
{
  uint base = 0;

  for (int a = 3; a >= 0; a--)
    {
      if ((p.mask & (1u << a)) == 0)
        {
          base += (o % p.xshape[a]) * xs[a];
          o /= p.xshape[a];
        }
    }
  return base;
}

uint
reduced_offset (uint k)
{
  uint off = 0;

  for (int a = 3; a >= 0; a--)
    {
      if ((p.mask & (1u << a)) != 0)
        {
          off += (k % p.xshape[a]) * xs[a];
          k /= p.xshape[a];
        }
    }
  return off;
}

float
load (uint base,
      uint k)
{
  float v = x[base + reduced_offset (k)];
  return p.square != 0 ? v * v : v;
}

void
main ()
{
  uint o, c;
  float acc;

  xs[3] = 1;
  xs[2] = p.xshape[3];
  xs[1] = xs[2] * p.xshape[2];
  xs[0] = xs[1] * p.xshape[1];

  if (MODE == 0)
    {
      uint g = group_index ();
      if (g >= p.n_out * p.chunks)
        return;
      o = g / p.chunks;
      c = g % p.chunks;
    }
  else
    {
      uint t = global_index ();
      if (t >= p.n_out * p.chunks)
        return;
      o = t % p.n_out;
      c = t / p.n_out;
    }

  uint base = output_base (o);
  uint k0 = c * p.chunk_len;
  uint k1 = min (k0 + p.chunk_len, p.count);

  if (MODE == 0)
    {
      acc = p.op == 1 ? NEG_INF : 0.0;
      for (uint k = k0 + gl_LocalInvocationID.x; k < k1; k += WG_SIZE)
        {
          float v = load (base, k);
          if (p.op == 1)
            acc = v > acc ? v : acc;
          else
            acc += v;
        }
      acc = p.op == 1 ? row_max (acc) : row_sum (acc);
      if (gl_LocalInvocationID.x != 0)
        return;
    }
  else if (p.op == 1)
    {
      acc = NEG_INF;
      for (uint k = k0; k < k1; k++)
        {
          float v = load (base, k);
          acc = v > acc ? v : acc;
        }
    }
  else
    {
      precise float s = 0.0, comp = 0.0;
      for (uint k = k0; k < k1; k++)
        {
          precise float yk = load (base, k) - comp;
          precise float tk = s + yk;
          comp = (tk - s) - yk;
          s = tk;
        }
      acc = s;
    }

  if (p.divisor != 1.0)
    acc /= p.divisor;
  y[p.out_layout == 0 ? o * p.chunks + c : c * p.n_out + o] = acc;
}
