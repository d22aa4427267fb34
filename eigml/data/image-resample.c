/* image-resample.c: bicubic resize of RGB8 images, as PIL does it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The reference pipeline (PBR, torchvision's Resize and RandomResizedCrop on
 * PIL images) resizes with PIL's Image.resize(..., BICUBIC). To give a
 * pretrained model the pixels it was trained on, this file computes the
 * same function:
 *
 * - Keys' cubic convolution kernel with a = -0.5, support 2;
 * - when downscaling by a factor f > 1, the kernel is stretched by f
 *   (support 2f, weights k(x / f)): antialiasing;
 * - output pixel i is centred on input coordinate (i + 0.5) * in / out; its
 *   taps are the input pixels whose centres lie within the support (window
 *   ends rounded to nearest, clamped to the image), weights normalised to
 *   sum to 1 (so edges are renormalised, not padded);
 * - weights in fixed point with 22 fractional bits, rounded half away from
 *   zero; a pixel is sum + 2^21 shifted right by 22 and clamped to [0, 255];
 * - two passes, horizontal first, with the intermediate image in 8 bits;
 *   a pass whose size does not change is skipped.
 *
 * docs/images.md records the measured difference to PIL (none on the test
 * images).
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "image.h"

#define RESAMPLE_PRECISION_BITS 22

typedef struct
{
  guint ksize;          /* weights per output pixel (stride of weights) */
  guint *first;         /* first input pixel of each output pixel */
  guint *count;         /* how many input pixels it reads */
  gint32 *weights;      /* out_size * ksize fixed-point weights */
} ResampleKernel;

static double
cubic_weight (double x)
{
  const double a = -0.5;

  x = fabs (x);
  if (x < 1.0)
    return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  if (x < 2.0)
    return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
  return 0.0;
}

static void
kernel_init (ResampleKernel *k,
             guint in_size,
             guint out_size)
{
  double scale = (double) in_size / (double) out_size;
  double filter_scale = MAX (scale, 1.0);
  double support = 2.0 * filter_scale;
  double inverse_scale = 1.0 / filter_scale;
  g_autofree double *w = NULL;

  k->ksize = (guint) ceil (support) * 2 + 1;
  k->first = g_new (guint, out_size);
  k->count = g_new (guint, out_size);
  k->weights = g_new0 (gint32, (gsize) out_size * k->ksize);
  w = g_new (double, k->ksize);

  for (guint i = 0; i < out_size; i++)
    {
      double center = ((double) i + 0.5) * scale;
      double sum = 0.0;
      /* window ends rounded to nearest; C truncation is fine as both clamp */
      gint64 lo = (gint64) (center - support + 0.5);
      gint64 hi = (gint64) (center + support + 0.5);
      guint n;

      lo = MAX (lo, 0);
      hi = MIN (hi, (gint64) in_size);
      n = (guint) MIN (MAX (hi - lo, 0), (gint64) k->ksize);
      for (guint j = 0; j < n; j++)
        {
          w[j] = cubic_weight (((double) j + (double) lo - center + 0.5) * inverse_scale);
          sum += w[j];
        }
      for (guint j = 0; j < n; j++)
        {
          double v = sum != 0.0 ? w[j] / sum : w[j];
          double fixed = v * (double) (1 << RESAMPLE_PRECISION_BITS);

          k->weights[(gsize) i * k->ksize + j] = (gint32) (fixed < 0 ? fixed - 0.5 : fixed + 0.5);
        }
      k->first[i] = (guint) lo;
      k->count[i] = n;
    }
}

static void
kernel_clear (ResampleKernel *k)
{
  g_clear_pointer (&k->first, g_free);
  g_clear_pointer (&k->count, g_free);
  g_clear_pointer (&k->weights, g_free);
}

static inline guint8
clamp_fixed (gint64 sum)
{
  gint64 v = sum >> RESAMPLE_PRECISION_BITS;

  return (guint8) CLAMP (v, 0, 255);
}

/* rows [row0, row0 + n_rows) of src, each resampled to dst_width */
static void
resample_rows (const guint8 *src,
               gsize src_stride,
               guint row0,
               guint n_rows,
               const ResampleKernel *k,
               guint8 *dst,
               guint dst_width)
{
  const gint64 half = (gint64) 1 << (RESAMPLE_PRECISION_BITS - 1);

  for (guint y = 0; y < n_rows; y++)
    {
      const guint8 *row = src + (gsize) (row0 + y) * src_stride;
      guint8 *out = dst + (gsize) y * dst_width * 3;

      for (guint x = 0; x < dst_width; x++)
        {
          const gint32 *w = k->weights + (gsize) x * k->ksize;
          const guint8 *in = row + (gsize) k->first[x] * 3;
          gint64 r = half, g = half, b = half;

          for (guint j = 0; j < k->count[x]; j++)
            {
              r += (gint64) in[3 * j] * w[j];
              g += (gint64) in[3 * j + 1] * w[j];
              b += (gint64) in[3 * j + 2] * w[j];
            }
          out[3 * x] = clamp_fixed (r);
          out[3 * x + 1] = clamp_fixed (g);
          out[3 * x + 2] = clamp_fixed (b);
        }
    }
}

/* each output row from a window of src rows; first[] relative to src */
static void
resample_columns (const guint8 *src,
                  gsize src_stride,
                  guint width,
                  const ResampleKernel *k,
                  gint64 first_shift,
                  guint8 *dst,
                  guint dst_height)
{
  const gint64 half = (gint64) 1 << (RESAMPLE_PRECISION_BITS - 1);

  for (guint y = 0; y < dst_height; y++)
    {
      const gint32 *w = k->weights + (gsize) y * k->ksize;
      const guint8 *in = src + (gsize) ((gint64) k->first[y] - first_shift) * src_stride;
      guint8 *out = dst + (gsize) y * width * 3;

      for (guint x = 0; x < width * 3; x++)
        {
          gint64 sum = half;

          for (guint j = 0; j < k->count[y]; j++)
            sum += (gint64) in[(gsize) j * src_stride + x] * w[j];
          out[x] = clamp_fixed (sum);
        }
    }
}

void
eigml_image_resize_rgb8 (const guint8 *src,
                         gsize src_stride,
                         guint src_width,
                         guint src_height,
                         guint8 *dst,
                         guint dst_width,
                         guint dst_height)
{
  gboolean horizontal = src_width != dst_width;
  gboolean vertical = src_height != dst_height;
  ResampleKernel kh = { 0 }, kv = { 0 };
  g_autofree guint8 *temp = NULL;
  guint row_first = 0, row_last = src_height;

  g_return_if_fail (src_width > 0 && src_height > 0 && dst_width > 0 && dst_height > 0);

  if (!horizontal && !vertical)
    {
      for (guint y = 0; y < src_height; y++)
        memcpy (dst + (gsize) y * dst_width * 3, src + (gsize) y * src_stride, (gsize) src_width * 3);
      return;
    }
  if (vertical)
    {
      kernel_init (&kv, src_height, dst_height);
      /* only the rows some output row reads need the horizontal pass */
      row_first = kv.first[0];
      row_last = kv.first[dst_height - 1] + kv.count[dst_height - 1];
    }
  if (horizontal)
    {
      kernel_init (&kh, src_width, dst_width);
      if (!vertical)
        {
          resample_rows (src, src_stride, 0, src_height, &kh, dst, dst_width);
          kernel_clear (&kh);
          return;
        }
      temp = g_malloc ((gsize) (row_last - row_first) * dst_width * 3);
      resample_rows (src, src_stride, row_first, row_last - row_first, &kh, temp, dst_width);
      resample_columns (temp, (gsize) dst_width * 3, dst_width, &kv, row_first, dst, dst_height);
    }
  else
    {
      resample_columns (src, src_stride, src_width, &kv, 0, dst, dst_height);
    }
  kernel_clear (&kh);
  kernel_clear (&kv);
}

void
eigml_image_rgb8_to_chw (const guint8 *rgb,
                         guint size,
                         const float mean[3],
                         const float std[3],
                         float *out)
{
  gsize plane = (gsize) size * size;

  /* float32 operations in torchvision's order: ToTensor divides by 255,
   * Normalize subtracts the mean and divides by the std */
  for (guint c = 0; c < 3; c++)
    for (gsize i = 0; i < plane; i++)
      out[c * plane + i] = ((float) rgb[3 * i + c] / 255.0f - mean[c]) / std[c];
}
