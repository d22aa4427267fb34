/* cpu-vecmath.h: exp and erf written so that loops over them vectorise
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * glibc's expf and erff are scalar calls (its vector versions need
 * -ffast-math), which keeps GELU and softmax loops from vectorising. These
 * are branch-free (selects only), so `#pragma omp simd` loops over them
 * become vector code:
 *  - cpu_expf: range reduction x = n ln2 + r, degree-7 polynomial for e^r,
 *    2^n built in the exponent bits; relative error below 2e-7 on
 *    [-87, 88]; 0 below -87.3 (no subnormal results), exp(88) above 88.
 *  - cpu_erff: odd Taylor series to x^13 for |x| < 0.5, and Abramowitz &
 *    Stegun 7.1.26 (|error| <= 1.5e-7) above; absolute error below 2e-7.
 * tests/op-cases-math.c checks GELU and softmax against float64 references.
 */
#pragma once

#include <glib.h>
#include <string.h>

static inline float
cpu_expf (float x)
{
  const float log2e = 1.44269504088896341f;
  const float ln2_hi = 0.693359375f;
  const float ln2_lo = -2.12194440e-4f;
  float xc = x > 88.0f ? 88.0f : (x < -87.3f ? -87.3f : x);
  /* round to nearest through the 1.5 * 2^23 trick */
  float n = (xc * log2e + 12582912.0f) - 12582912.0f;
  float r = xc - n * ln2_hi - n * ln2_lo;
  float p = 1.0f / 5040.0f;
  gint32 bits;
  float scale;

  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  bits = ((gint32) n + 127) << 23;
  memcpy (&scale, &bits, sizeof scale);
  return x < -87.3f ? 0.0f : p * scale;
}

static inline float
cpu_erff (float x)
{
  float a = x < 0.0f ? -x : x;
  float a2 = a * a;
  /* |x| < 0.5: 2/sqrt(pi) (x - x^3/3 + x^5/10 - x^7/42 + x^9/216 - x^11/1320 + x^13/9360) */
  float s = 1.0f / 9360.0f;
  float t, poly, big, small;

  s = s * a2 - 1.0f / 1320.0f;
  s = s * a2 + 1.0f / 216.0f;
  s = s * a2 - 1.0f / 42.0f;
  s = s * a2 + 1.0f / 10.0f;
  s = s * a2 - 1.0f / 3.0f;
  s = s * a2 + 1.0f;
  small = 1.12837916709551257f * a * s;
  /* |x| >= 0.5: 1 - (a1 t + ... + a5 t^5) exp(-x^2), t = 1 / (1 + p x) */
  t = 1.0f / (1.0f + 0.3275911f * a);
  poly = 1.061405429f;
  poly = poly * t - 1.453152027f;
  poly = poly * t + 1.421413741f;
  poly = poly * t - 0.284496736f;
  poly = poly * t + 0.254829592f;
  big = 1.0f - poly * t * cpu_expf (-a2);
  t = a < 0.5f ? small : big;
  return x < 0.0f ? -t : t;
}
