/* philox.h: the Philox4x32-10 counter-based generator (Salmon et al., SC'11)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * shaders/philox.glsl implements the same function; a mask drawn on the CPU
 * and on Vulkan for the same key and counter is bit-identical.
 *
 * Dropout element i of stream s under key (seed) and offset (step):
 *   counter = (i / 4, s, offset_lo, offset_hi), key = (seed_lo, seed_hi),
 *   word = philox(counter, key)[i % 4], u = (word >> 8) * 2^-24,
 *   keep = u >= p.
 */
#pragma once

#include <glib.h>

#define EIGML_PHILOX_M0 0xD2511F53u
#define EIGML_PHILOX_M1 0xCD9E8D57u
#define EIGML_PHILOX_W0 0x9E3779B9u
#define EIGML_PHILOX_W1 0xBB67AE85u

static inline void
eigml_philox4x32_10 (const guint32 counter[4],
                     const guint32 key[2],
                     guint32 out[4])
{
  guint32 c0 = counter[0], c1 = counter[1], c2 = counter[2], c3 = counter[3];
  guint32 k0 = key[0], k1 = key[1];

  for (int round = 0; round < 10; round++)
    {
      guint64 p0 = (guint64) EIGML_PHILOX_M0 * c0;
      guint64 p1 = (guint64) EIGML_PHILOX_M1 * c2;
      guint32 hi0 = (guint32) (p0 >> 32), lo0 = (guint32) p0;
      guint32 hi1 = (guint32) (p1 >> 32), lo1 = (guint32) p1;

      c0 = hi1 ^ c1 ^ k0;
      c1 = lo1;
      c2 = hi0 ^ c3 ^ k1;
      c3 = lo0;
      k0 += EIGML_PHILOX_W0;
      k1 += EIGML_PHILOX_W1;
    }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

/* A uniform float in [0, 1) with 24 random bits, exact in binary32. */
static inline float
eigml_philox_uniform (guint32 word)
{
  return (float) (word >> 8) * (1.0f / 16777216.0f);
}

/* The word for element @index of @stream (see the comment at the top). */
static inline guint32
eigml_philox_word (guint64 seed,
                   guint64 offset,
                   guint32 stream,
                   guint64 index)
{
  guint32 counter[4] = { (guint32) (index >> 2), stream, (guint32) offset, (guint32) (offset >> 32) };
  guint32 key[2] = { (guint32) seed, (guint32) (seed >> 32) };
  guint32 out[4];

  eigml_philox4x32_10 (counter, key, out);
  return out[index & 3];
}
