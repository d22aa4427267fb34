/* interp.c: bicubic resize as torch.nn.functional.interpolate does it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * mode='bicubic', align_corners=False, no antialiasing: for output index x,
 * the source coordinate is (x + 0.5) * in / out - 0.5 (not clamped), the
 * four taps around it are clamped to the border and weighted by Keys'
 * cubic convolution with A = -0.75. Separable: along x for the four rows,
 * then along y. Used once at load time, on the CPU, to resize a ViT's
 * position embeddings from the checkpoint's grid to the input's (ALBEF's
 * interpolate_pos_embed does exactly this call).
 */
#include "config.h"

#include "nn.h"

#include <math.h>

#define CUBIC_A (-0.75)

static void
cubic_weights (double t,
               double w[4])
{
  double x;

  /* taps at distance 1 + t, t, 1 - t, 2 - t */
  x = t + 1.0;
  w[0] = ((CUBIC_A * (x - 5.0) * x + 8.0 * CUBIC_A) * x) - 4.0 * CUBIC_A;
  x = t;
  w[1] = ((CUBIC_A + 2.0) * x - (CUBIC_A + 3.0)) * x * x + 1.0;
  x = 1.0 - t;
  w[2] = ((CUBIC_A + 2.0) * x - (CUBIC_A + 3.0)) * x * x + 1.0;
  x = 2.0 - t;
  w[3] = ((CUBIC_A * (x - 5.0) * x + 8.0 * CUBIC_A) * x) - 4.0 * CUBIC_A;
}

static inline gint64
clamp_index (gint64 i,
             gint64 size)
{
  return i < 0 ? 0 : (i >= size ? size - 1 : i);
}

/* in: [ih, iw, c] channel-last; out: [oh, ow, c] */
void
eigml_interpolate_bicubic (const float *in,
                           gint64 ih,
                           gint64 iw,
                           gint64 c,
                           float *out,
                           gint64 oh,
                           gint64 ow)
{
  double sy = (double) ih / (double) oh, sx = (double) iw / (double) ow;

  for (gint64 y = 0; y < oh; y++)
    {
      double ry = sy * (y + 0.5) - 0.5;
      gint64 y0 = (gint64) floor (ry);
      double wy[4];

      cubic_weights (ry - (double) y0, wy);
      for (gint64 x = 0; x < ow; x++)
        {
          double rx = sx * (x + 0.5) - 0.5;
          gint64 x0 = (gint64) floor (rx);
          double wx[4];

          cubic_weights (rx - (double) x0, wx);
          for (gint64 ch = 0; ch < c; ch++)
            {
              double acc = 0.0;
              for (int i = 0; i < 4; i++)
                {
                  gint64 yy = clamp_index (y0 - 1 + i, ih);
                  double row = 0.0;
                  for (int j = 0; j < 4; j++)
                    {
                      gint64 xx = clamp_index (x0 - 1 + j, iw);
                      row += wx[j] * in[(yy * iw + xx) * c + ch];
                    }
                  acc += wy[i] * row;
                }
              out[(y * ow + x) * c + ch] = (float) acc;
            }
        }
    }
}
