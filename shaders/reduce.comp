#version 450
/* reduce.comp: sum / max (of values or of their squares) over any set of
 * axes of a contiguous 4-d tensor, keepdim. The reduction of each output
 * may be cut into chunks, each giving a partial that a second dispatch of
 * this shader reduces (one output over millions of inputs uses many
 * workgroups that way).
 *
 * MODE 0: one workgroup per (output, chunk), a strided loop then a
 *         shared-memory tree: for reductions along the innermost axis.
 * MODE 1: one invocation per (output, chunk), a serial loop: neighbouring
 *         invocations read neighbouring addresses when the innermost axis
 *         is kept.
 * Sums are compensated (each addition's rounding error is kept with
 * TwoSum, and carried through the tree), so they come close to the CPU
 * kernel's double accumulation.
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

/* a + b = s + e exactly (Knuth's TwoSum) */
vec2
two_sum (float a,
         float b)
{
  precise float s = a + b;
  precise float bp = s - a;
  precise float e = (a - (s - bp)) + (b - bp);
  return vec2 (s, e);
}

/* compensated workgroup sum of (sum, error) pairs */
float
group_sum (vec2 v)
{
  uint lid = gl_LocalInvocationID.x;

  row_red_a[lid] = v.x;
  row_red_b[lid] = v.y;
  barrier ();
  for (uint s = WG_SIZE / 2; s > 0; s >>= 1)
    {
      if (lid < s)
        {
          vec2 t = two_sum (row_red_a[lid], row_red_a[lid + s]);
          precise float e = row_red_b[lid] + row_red_b[lid + s] + t.y;
          row_red_a[lid] = t.x;
          row_red_b[lid] = e;
        }
      barrier ();
    }
  precise float r = row_red_a[0] + row_red_b[0];
  barrier ();
  return r;
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

  if (p.op == 1)
    {
      uint first = MODE == 0 ? gl_LocalInvocationID.x : 0;
      uint step = MODE == 0 ? WG_SIZE : 1;
      acc = NEG_INF;
      for (uint k = k0 + first; k < k1; k += step)
        {
          float v = load (base, k);
          acc = v > acc ? v : acc;
        }
      if (MODE == 0)
        acc = row_max (acc);
    }
  else
    {
      uint first = MODE == 0 ? gl_LocalInvocationID.x : 0;
      uint step = MODE == 0 ? WG_SIZE : 1;
      vec2 se = vec2 (0.0);
      for (uint k = k0 + first; k < k1; k += step)
        {
          vec2 t = two_sum (se.x, load (base, k));
          precise float e = se.y + t.y;
          se = vec2 (t.x, e);
        }
      if (MODE == 0)
        acc = group_sum (se);
      else
        {
          precise float r = se.x + se.y;
          acc = r;
        }
    }
  if (MODE == 0 && gl_LocalInvocationID.x != 0)
    return;

  if (p.divisor != 1.0)
    acc /= p.divisor;
  y[p.out_layout == 0 ? o * p.chunks + c : c * p.n_out + o] = acc;
}
