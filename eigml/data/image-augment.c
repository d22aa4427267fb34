/* image-augment.c: RandomResizedCrop parameters, reproducible per image
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The algorithm is torchvision's RandomResizedCrop.get_params: up to ten
 * attempts, each drawing an area fraction s uniform in [scale_min,
 * scale_max] and a log aspect ratio uniform in [log ratio_min, log
 * ratio_max]; w = round (sqrt (A s r)), h = round (sqrt (A s / r)) (round
 * half to even, as Python's round); the first attempt that fits takes a
 * uniform top-left corner. When none fits, a centre crop clamped to the
 * ratio range.
 *
 * The draws come from Philox4x32-10 instead of a stateful generator, so
 * the crop of image @index at @epoch depends on nothing else (not the
 * batch, the order of loading or the number of threads):
 *
 *   epoch key = Philox ((epoch_lo, epoch_hi, "CROP", 0), (seed_lo, seed_hi))[0..1]
 *   attempt a = Philox ((a, 0, index_lo, index_hi), epoch key)
 *             -> words u_scale, u_ratio, u_top, u_left, each / 2^32 in [0, 1)
 */
#include "config.h"

#include <math.h>

#include "engine/philox.h"
#include "image.h"

#define CROP_DOMAIN 0x43524f50u   /* "CROP" */
#define CROP_ATTEMPTS 10

static inline double
unit_interval (guint32 word)
{
  return (double) word * (1.0 / 4294967296.0);
}

void
eigml_image_random_crop (guint width,
                         guint height,
                         const EigmlCropRange *range,
                         guint64 seed,
                         guint64 index,
                         guint64 epoch,
                         EigmlCropBox *box)
{
  const guint32 seed_key[2] = { (guint32) seed, (guint32) (seed >> 32) };
  const guint32 epoch_counter[4] = { (guint32) epoch, (guint32) (epoch >> 32), CROP_DOMAIN, 0 };
  double area = (double) width * (double) height;
  double log_lo = log (range->ratio_min);
  double log_hi = log (range->ratio_max);
  double in_ratio, w, h;
  guint32 derived[4];
  guint32 key[2];

  eigml_philox4x32_10 (epoch_counter, seed_key, derived);
  key[0] = derived[0];
  key[1] = derived[1];

  for (guint32 attempt = 0; attempt < CROP_ATTEMPTS; attempt++)
    {
      const guint32 counter[4] = { attempt, 0, (guint32) index, (guint32) (index >> 32) };
      guint32 r[4];
      double target, aspect;

      eigml_philox4x32_10 (counter, key, r);
      target = area * (range->scale_min + (range->scale_max - range->scale_min) * unit_interval (r[0]));
      aspect = exp (log_lo + (log_hi - log_lo) * unit_interval (r[1]));
      w = nearbyint (sqrt (target * aspect));
      h = nearbyint (sqrt (target / aspect));
      if (w > 0 && w <= width && h > 0 && h <= height)
        {
          box->width = (guint) w;
          box->height = (guint) h;
          box->top = (guint) floor (unit_interval (r[2]) * ((double) height - h + 1));
          box->left = (guint) floor (unit_interval (r[3]) * ((double) width - w + 1));
          return;
        }
    }

  in_ratio = (double) width / (double) height;
  if (in_ratio < range->ratio_min)
    {
      w = width;
      h = nearbyint (w / range->ratio_min);
    }
  else if (in_ratio > range->ratio_max)
    {
      h = height;
      w = nearbyint (h * range->ratio_max);
    }
  else
    {
      w = width;
      h = height;
    }
  box->width = (guint) CLAMP (w, 1, width);
  box->height = (guint) CLAMP (h, 1, height);
  box->top = (height - box->height) / 2;
  box->left = (width - box->width) / 2;
}
