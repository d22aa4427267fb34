/* image.h: image decoding, resampling and augmentation behind
 * EigmlImageProcessor (private)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Pixels travel as packed RGB8: rows of width * 3 bytes, no padding, top row
 * first. Every function that reads a file or a buffer checks sizes against
 * the bytes actually present before it allocates anything.
 */
#pragma once

#include <glib.h>

#include "eigml-image-processor.h"

G_BEGIN_DECLS

/* A compressed image (PNG, JPEG, GIF, WebP) may decode to at most this many
 * pixels per byte of file, and always to EIGML_IMAGE_PIXEL_FLOOR: 4 KiB of
 * RGBA per input byte beyond 16 MiB, so a small file cannot claim a huge
 * canvas; any sticker-sized image (up to 2048 x 2048) is always accepted. */
#define EIGML_IMAGE_PIXELS_PER_BYTE 1024
#define EIGML_IMAGE_PIXEL_FLOOR (1 << 22)

/* image-npy.c: NumPy .npy (StickerChat stickers) */

gboolean eigml_image_is_npy (const guint8 *data,
                             gsize size);
gboolean eigml_image_npy_parse (const guint8 *data,
                                gsize size,
                                const char *name,
                                guint *width,
                                guint *height,
                                gsize *data_offset,
                                GError **error);

/* image-decode.c: PNG, JPEG, GIF, WebP through gdk-pixbuf, and .npy;
 * image-structure.c: container checks before decoding */

GBytes *eigml_image_read_file (const char *path,
                               GError **error);
GBytes *eigml_image_decode (GBytes *data,
                            const char *name,
                            guint *width,
                            guint *height,
                            GError **error);
GBytes *eigml_image_check_structure (const char *format,
                                     GBytes *data,
                                     const char *name,
                                     GError **error);
gboolean eigml_image_check_dimensions (const char *name,
                                       guint64 width,
                                       guint64 height,
                                       GError **error);
gboolean eigml_image_check_budget (const char *name,
                                   guint64 width,
                                   guint64 height,
                                   gsize data_size,
                                   GError **error);

/* image-resample.c: PIL-compatible bicubic resize and the tensor layout */

void eigml_image_resize_rgb8 (const guint8 *src,
                              gsize src_stride,
                              guint src_width,
                              guint src_height,
                              guint8 *dst,
                              guint dst_width,
                              guint dst_height);
void eigml_image_rgb8_to_chw (const guint8 *rgb,
                              guint size,
                              const float mean[3],
                              const float std[3],
                              float *out);

/* image-augment.c: RandomResizedCrop parameters from Philox */

typedef struct
{
  double scale_min;
  double scale_max;
  double ratio_min;
  double ratio_max;
} EigmlCropRange;

typedef struct
{
  guint left;
  guint top;
  guint width;
  guint height;
} EigmlCropBox;

void eigml_image_random_crop (guint width,
                              guint height,
                              const EigmlCropRange *range,
                              guint64 seed,
                              guint64 index,
                              guint64 epoch,
                              EigmlCropBox *box);

/* image-pipeline.c: decoded pixels and files to normalised tensors */

typedef struct
{
  guint size;
  gboolean train;
  guint64 seed;
  EigmlCropRange crop;
  float mean[3];
  float std[3];
} EigmlImageSettings;

void eigml_image_preprocess (const EigmlImageSettings *settings,
                             const guint8 *rgb,
                             guint width,
                             guint height,
                             guint64 index,
                             guint64 epoch,
                             float *out);
gboolean eigml_image_load_batch_into (const EigmlImageSettings *settings,
                                      const char *const *paths,
                                      guint n_paths,
                                      const guint64 *indices,
                                      guint64 epoch,
                                      float *out,
                                      GError **error);

G_END_DECLS
