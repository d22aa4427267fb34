#version 450
/* matmul.comp: C = op(A) op(B), op = identity or transpose, batched, with
 * optional split-K
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A workgroup computes a BM x BN tile of C; each invocation a TM x TN
 * block of it, strided by BM / TM rows and BN / TN columns so neighbouring
 * invocations write neighbouring columns. K is walked in steps of BK
 * through two shared-memory tiles (A as [BK][BM + 1], B as [BK][BN + 1]:
 * the +1 staggers the banks). Loads are guarded, so M, N and K need not be
 * multiples of the tile. Tile sizes are specialization constants; the
 * default 64 x 64 x 16 tile uses 8.3 KiB of shared memory. No subgroup
 * operation is used.
 *
 * Grid: x = column tiles, y = row tiles, z = batch x split (split-major);
 * it is dispatched with vkCmdDispatchBase when a dimension exceeds the
 * device's group count limit. Batch b reads A at b * stride_a and B at
 * b * stride_b (0 for an operand shared by all batches). With split-K,
 * split s covers K range [s * k_chunk, (s + 1) * k_chunk) and writes its
 * partial product at s * split_stride, for a second pass to sum.
 */
#extension GL_GOOGLE_include_directive : require

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG_SIZE = 256;
layout(constant_id = 1) const uint BM = 64;
layout(constant_id = 2) const uint BN = 64;
layout(constant_id = 3) const uint BK = 16;
layout(constant_id = 4) const uint TM = 4;
layout(constant_id = 5) const uint TN = 4;

layout(std430, binding = 0) readonly buffer A { float a[]; };
layout(std430, binding = 1) readonly buffer B { float b[]; };
layout(std430, binding = 2) writeonly buffer C { float c[]; };

layout(push_constant) uniform Params
{
  uint m;
  uint n;
  uint k;
  uint trans_a;
  uint trans_b;
  uint stride_a;
  uint stride_b;
  uint stride_c;
  uint batch;
  uint k_chunk;
  uint split_stride;
} p;

const uint SA = BM + 1;
const uint SB = BN + 1;

shared float tile_a[BK * SA];
shared float tile_b[BK * SB];

void
main ()
{
  uint lid = gl_LocalInvocationID.x;
  uint tx = lid % (BN / TN);
  uint ty = lid / (BN / TN);
  uint row0 = gl_WorkGroupID.y * BM;
  uint col0 = gl_WorkGroupID.x * BN;
  uint bi = gl_WorkGroupID.z % p.batch;
  uint split = gl_WorkGroupID.z / p.batch;
  uint k0 = split * p.k_chunk;
  uint k1 = min (k0 + p.k_chunk, p.k);
  uint a_base = bi * p.stride_a;
  uint b_base = bi * p.stride_b;
  float acc[TM * TN];

  for (uint i = 0; i < TM * TN; i++)
    acc[i] = 0.0;

  for (uint kt = k0; kt < k1; kt += BK)
    {
      /* A tile: consecutive invocations read consecutive addresses */
      for (uint e = lid; e < BM * BK; e += WG_SIZE)
        {
          uint mm, kk;
          if (p.trans_a != 0)
            {
              kk = e / BM;
              mm = e % BM;
            }
          else
            {
              mm = e / BK;
              kk = e % BK;
            }
          uint gm = row0 + mm, gk = kt + kk;
          float v = 0.0;
          if (gm < p.m && gk < k1)
            v = p.trans_a != 0 ? a[a_base + gk * p.m + gm] : a[a_base + gm * p.k + gk];
          tile_a[kk * SA + mm] = v;
        }
      for (uint e = lid; e < BN * BK; e += WG_SIZE)
        {
          uint nn, kk;
          if (p.trans_b != 0)
            {
              nn = e / BK;
              kk = e % BK;
            }
          else
            {
              kk = e / BN;
              nn = e % BN;
            }
          uint gn = col0 + nn, gk = kt + kk;
          float v = 0.0;
          if (gn < p.n && gk < k1)
            v = p.trans_b != 0 ? b[b_base + gn * p.k + gk] : b[b_base + gk * p.n + gn];
          tile_b[kk * SB + nn] = v;
        }
      barrier ();

      for (uint kk = 0; kk < BK; kk++)
        {
          float av[TM], bv[TN];
          for (uint i = 0; i < TM; i++)
            av[i] = tile_a[kk * SA + ty + i * (BM / TM)];
          for (uint j = 0; j < TN; j++)
            bv[j] = tile_b[kk * SB + tx + j * (BN / TN)];
          for (uint i = 0; i < TM; i++)
            for (uint j = 0; j < TN; j++)
              acc[i * TN + j] += av[i] * bv[j];
        }
      barrier ();
    }

  uint c_base = split * p.split_stride + bi * p.stride_c;
  for (uint i = 0; i < TM; i++)
    {
      uint gm = row0 + ty + i * (BM / TM);
      if (gm >= p.m)
        continue;
      for (uint j = 0; j < TN; j++)
        {
          uint gn = col0 + tx + j * (BN / TN);
          if (gn < p.n)
            c[c_base + gm * p.n + gn] = acc[i * TN + j];
        }
    }
}
