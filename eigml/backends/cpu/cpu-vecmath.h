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
 *  - cpu_normal_cdf: Phi(x), relative accuracy in both tails (below).
 * tests/op-cases-math.c checks GELU and softmax against float64 references;
 * tests/test-graph.c checks these functions directly.
 */
#pragma once

#include <glib.h>
#include <string.h>

static inline __attribute__ ((always_inline)) float
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

/* exp(-x^2 / 2) with x^2 split into its rounded value and the rounding
 * error (Veltkamp/Dekker), so the result keeps its relative accuracy where
 * x^2 is large and its last bits matter. */
static inline __attribute__ ((always_inline)) float
cpu_exp_neg_half_square (float x)
{
  float hi = x * x;
  float c = 4097.0f * x;
  float xh = c - (c - x);
  float xl = x - xh;
  float lo = ((xh * xh - hi) + 2.0f * xh * xl) + xl * xl;

  return cpu_expf (-0.5f * hi) * (1.0f - 0.5f * lo);
}

/* The standard normal CDF Phi(x) = (1 + erf(x / sqrt 2)) / 2, with relative
 * accuracy in both tails (GELU and its gradient need it where they are
 * small): an odd Taylor series of erf to x^13 for |x| / sqrt 2 < 0.5, else
 * Phi(-|x|) = t/2 exp(-x^2/2 + P(t)), t = 1 / (1 + |x| / (2 sqrt 2)), with P
 * of degree 9 fitted by least squares to log(erfc) on [0.5, 10] (relative
 * error 1.3e-9 in exact arithmetic; a few 1e-7 in float). */
static inline __attribute__ ((always_inline)) float
cpu_normal_cdf (float x)
{
  float a = x < 0.0f ? -x : x;
  float z = a * 0.70710678118654752f;
  float z2 = z * z;
  float s = 1.0f / 9360.0f;
  float t, p, tail, small;

  s = s * z2 - 1.0f / 1320.0f;
  s = s * z2 + 1.0f / 216.0f;
  s = s * z2 - 1.0f / 42.0f;
  s = s * z2 + 1.0f / 10.0f;
  s = s * z2 - 1.0f / 3.0f;
  s = s * z2 + 1.0f;
  small = 0.5f * 1.12837916709551257f * z * s;          /* erf(z) / 2 */

  t = 1.0f / (1.0f + 0.5f * z);
  p = 2.594264074e-01f;
  p = p * t - 1.218033252e+00f;
  p = p * t + 2.245230185e+00f;
  p = p * t - 1.942677369e+00f;
  p = p * t + 8.058655237e-01f;
  p = p * t - 4.030855684e-01f;
  p = p * t + 1.526623080e-01f;
  p = p * t + 3.654299933e-01f;
  p = p * t + 1.000756073e+00f;
  p = p * t - 1.265538134e+00f;
  tail = 0.5f * t * cpu_exp_neg_half_square (a) * cpu_expf (p);  /* Phi(-|x|) */

  if (z < 0.5f)
    return x < 0.0f ? 0.5f - small : 0.5f + small;
  return x < 0.0f ? tail : 1.0f - tail;
}

/* The standard normal density. */
static inline __attribute__ ((always_inline)) float
cpu_normal_pdf (float x)
{
  return 0.398942280401432678f * cpu_exp_neg_half_square (x);
}
