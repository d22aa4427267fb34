/* philox.glsl: Philox4x32-10, bit-identical to eigml/engine/philox.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

uvec4
philox4x32_10 (uvec4 ctr,
               uvec2 key)
{
  for (int round = 0; round < 10; round++)
    {
      uint hi0, lo0, hi1, lo1;

      umulExtended (0xD2511F53u, ctr.x, hi0, lo0);
      umulExtended (0xCD9E8D57u, ctr.z, hi1, lo1);
      ctr = uvec4 (hi1 ^ ctr.y ^ key.x, lo1, hi0 ^ ctr.w ^ key.y, lo0);
      key += uvec2 (0x9E3779B9u, 0xBB67AE85u);
    }
  return ctr;
}

/* a uniform float in [0, 1) with 24 random bits, exact in binary32 */
float
philox_uniform (uint word)
{
  return float (word >> 8) * (1.0 / 16777216.0);
}
