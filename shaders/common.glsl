/* common.glsl: included by every compute shader
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Conventions shared with eigml/backends/vulkan/vulkan-ops.c:
 * - descriptor set 0 holds up to 8 storage buffers; every tensor is bound
 *   as its own sub-range, so index 0 is its first element;
 * - push constants are at most 32 words (128 bytes);
 * - specialization constant 0 is the workgroup size;
 * - G workgroups are dispatched as a 2-d grid (min(G, max_x), ceil(G / max_x))
 *   that group_index() linearises; invocations past the end return early.
 */

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG_SIZE = 256;

uint
group_index ()
{
  return gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
}

uint
global_index ()
{
  return group_index () * WG_SIZE + gl_LocalInvocationID.x;
}

#define NEG_INF uintBitsToFloat (0xff800000u)

/* ---- special functions (the CPU kernels use libm) ------------------------ */

/* log(erfc(a)) for 1 <= a < 3.93: a polynomial in a - 2.5 fitted (minimax,
 * made for Eigml) to relative accuracy 1e-8; evaluated in float, erfc
 * comes out within 1.5e-6 relative */
float
eigml_log_erfc (float a)
{
  float u = a - 2.5;
  float q = 1.628043037e-06;
  q = fma (q, u, -1.328159487e-05);
  q = fma (q, u, 7.734679821e-05);
  q = fma (q, u, -4.202368436e-04);
  q = fma (q, u, 2.165208803e-03);
  q = fma (q, u, -1.085843146e-02);
  q = fma (q, u, -9.438936710e-01);
  q = fma (q, u, -5.352680683e+00);
  q = fma (q, u, -7.806815147e+00);
  return q;
}

/* erf with |error| < 1.2e-7 (about 2 ulp): x P(x^2) below 1 (a fit made
 * for Eigml), 1 - erfc above, +-1 from 3.93 on (where 1 - erfc rounds to 1) */
float
eigml_erf (float x)
{
  float a = abs (x);

  if (a < 1.0)
    {
      float t = x * x;
      float p = 7.889377594e-05;
      p = fma (p, t, -8.020924870e-04);
      p = fma (p, t, 5.189545918e-03);
      p = fma (p, t, -2.685444988e-02);
      p = fma (p, t, 1.128360033e-01);
      p = fma (p, t, -3.761262596e-01);
      p = fma (p, t, 1.128379107e+00);
      return x * p;
    }
  if (a >= 3.93)
    return sign (x);
  return sign (x) * (1.0 - exp (eigml_log_erfc (a)));
}

/* erfc(a) for a >= 0, accurate relative to its value where that is small
 * (no 1 - erf cancellation); 0 from 3.93 on, where erf is +-1 */
float
eigml_erfc_pos (float a)
{
  if (a < 1.0)
    return 1.0 - eigml_erf (a);
  if (a < 3.93)
    return exp (eigml_log_erfc (a));
  return 0.0;
}

/* the standard normal CDF, Phi(x) = (1 + erf(x / sqrt 2)) / 2, computed
 * without the cancellation of 1 + erf for negative x */
float
eigml_normal_cdf (float x)
{
  float h = 0.5 * eigml_erfc_pos (abs (x) * 0.70710678118654752);
  return x < 0.0 ? h : 1.0 - h;
}

/* sigmoid without overflow: exp of a non-positive argument only */
float
eigml_sigmoid (float x)
{
  if (x >= 0.0)
    return 1.0 / (1.0 + exp (-x));
  {
    float e = exp (x);
    return e / (1.0 + e);
  }
}

/* tanh without overflow (some drivers compute (e^2x - 1) / (e^2x + 1)) and
 * with relative accuracy near 0: an odd polynomial below 0.625 (relative
 * error < 2e-7), (1 - e^-2a) / (1 + e^-2a) above. */
float
eigml_tanh (float x)
{
  float a = abs (x);
  float r;

  if (a < 0.625)
    {
      float t = a * a;
      float p = 2.133267699e-03;
      p = fma (p, t, -8.164705709e-03);
      p = fma (p, t, 2.169428766e-02);
      p = fma (p, t, -5.394519866e-02);
      p = fma (p, t, 1.333318800e-01);
      p = fma (p, t, -3.333332837e-01);
      p = fma (p, t, 1.0);
      r = a * p;
    }
  else if (a > 9.1)
    r = 1.0;
  else
    {
      float t = exp (-2.0 * a);
      r = (1.0 - t) / (1.0 + t);
    }
  return x < 0.0 ? -r : r;
}

/* log(1 + x) for x >= 0, accurate for small x (GLSL has no log1p) */
float
eigml_log1p (float x)
{
  float u = 1.0 + x;
  if (u == 1.0)
    return x;
  return log (u) * (x / (u - 1.0));
}
