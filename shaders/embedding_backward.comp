#version 450
/* embedding_backward.comp: dtable[v, :] = sum over i with ids[i] = v of
 * dy[i, :], deterministic and without atomics: one invocation per (column,
 * block of table rows) zeroes its rows, then walks all ids in order and
 * adds the ones that fall in its block, so every sum runs in id order as
 * on the CPU
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(std430, binding = 0) readonly buffer Ids { int ids[]; };
layout(std430, binding = 1) readonly buffer DY { float dy[]; };
layout(std430, binding = 2) buffer DT { float dt[]; };

layout(push_constant) uniform Params
{
  uint n_ids;
  uint d;
  uint v;
  uint rows_per_block;
  uint n_blocks;
} p;

void
main ()
{
  uint t = global_index ();

  if (t >= p.d * p.n_blocks)
    return;
  uint j = t % p.d;
  uint v0 = (t / p.d) * p.rows_per_block;
  uint v1 = min (v0 + p.rows_per_block, p.v);
  for (uint r = v0; r < v1; r++)
    dt[r * p.d + j] = 0.0;
  for (uint i = 0; i < p.n_ids; i++)
    {
      int id = ids[i];
      if (id >= int (v0) && id < int (v1))
        dt[uint (id) * p.d + j] += dy[i * p.d + j];
    }
}
