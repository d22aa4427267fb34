/* eigml-image-processor.h: sticker images to model input tensors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(__EIGML_H_INSIDE__) && !defined(EIGML_COMPILATION)
#error "Only <eigml/eigml.h> can be included directly."
#endif

#include <glib-object.h>
#include <eigml/eigml-version-macros.h>
#include <eigml/eigml-tensor.h>

G_BEGIN_DECLS

/**
 * EIGML_IMAGE_MAX_SIDE:
 *
 * The largest width or height, in pixels, of an image Eigml decodes;
 * larger images are refused with %EIGML_ERROR_OUT_OF_RANGE before any
 * pixel memory is allocated.
 *
 * Since: 1.0
 */
#define EIGML_IMAGE_MAX_SIDE 16384

/**
 * EIGML_IMAGE_MAX_PIXELS:
 *
 * The largest number of pixels (width times height) of an image Eigml
 * decodes: 8192 x 8192, at most 256 MiB as decoded RGBA.
 *
 * Since: 1.0
 */
#define EIGML_IMAGE_MAX_PIXELS 67108864

/**
 * EIGML_IMAGE_MAX_FILE_SIZE:
 *
 * The largest image file, in bytes, Eigml reads (256 MiB).
 *
 * Since: 1.0
 */
#define EIGML_IMAGE_MAX_FILE_SIZE 268435456

/**
 * EIGML_IMAGE_MAX_INPUT_SIZE:
 *
 * The largest side of the square model input an #EigmlImageProcessor
 * produces.
 *
 * Since: 1.0
 */
#define EIGML_IMAGE_MAX_INPUT_SIZE 4096

#define EIGML_TYPE_IMAGE_PROCESSOR (eigml_image_processor_get_type ())

EIGML_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EigmlImageProcessor, eigml_image_processor, EIGML, IMAGE_PROCESSOR, GObject)

EIGML_AVAILABLE_IN_ALL
EigmlImageProcessor *eigml_image_processor_new (guint size);

EIGML_AVAILABLE_IN_ALL
guint eigml_image_processor_get_size (EigmlImageProcessor *self);
EIGML_AVAILABLE_IN_ALL
gboolean eigml_image_processor_get_train (EigmlImageProcessor *self);
EIGML_AVAILABLE_IN_ALL
void eigml_image_processor_set_train (EigmlImageProcessor *self,
                                      gboolean train);
EIGML_AVAILABLE_IN_ALL
guint64 eigml_image_processor_get_seed (EigmlImageProcessor *self);
EIGML_AVAILABLE_IN_ALL
void eigml_image_processor_set_seed (EigmlImageProcessor *self,
                                     guint64 seed);
EIGML_AVAILABLE_IN_ALL
const float *eigml_image_processor_get_mean (EigmlImageProcessor *self,
                                             gsize *n_values);
EIGML_AVAILABLE_IN_ALL
const float *eigml_image_processor_get_std (EigmlImageProcessor *self,
                                            gsize *n_values);
EIGML_AVAILABLE_IN_ALL
gboolean eigml_image_processor_set_normalization (EigmlImageProcessor *self,
                                                  const float *mean,
                                                  gsize n_mean,
                                                  const float *std,
                                                  gsize n_std,
                                                  GError **error);

EIGML_AVAILABLE_IN_ALL
gboolean eigml_image_processor_get_crop (EigmlImageProcessor *self,
                                         guint width,
                                         guint height,
                                         guint64 index,
                                         guint64 epoch,
                                         guint *left,
                                         guint *top,
                                         guint *crop_width,
                                         guint *crop_height,
                                         GError **error);

EIGML_AVAILABLE_IN_ALL
EigmlTensor *eigml_image_processor_process (EigmlImageProcessor *self,
                                            GBytes *pixels,
                                            guint width,
                                            guint height,
                                            guint64 index,
                                            guint64 epoch,
                                            GError **error);
EIGML_AVAILABLE_IN_ALL
EigmlTensor *eigml_image_processor_load_file (EigmlImageProcessor *self,
                                              const char *path,
                                              GError **error);
EIGML_AVAILABLE_IN_ALL
EigmlTensor *eigml_image_processor_load_bytes (EigmlImageProcessor *self,
                                               GBytes *bytes,
                                               GError **error);
EIGML_AVAILABLE_IN_ALL
EigmlTensor *eigml_image_processor_load_batch (EigmlImageProcessor *self,
                                               const char *const *paths,
                                               guint n_paths,
                                               const guint64 *indices,
                                               guint n_indices,
                                               guint64 epoch,
                                               GError **error);

EIGML_AVAILABLE_IN_ALL
GBytes *eigml_image_decode_file (const char *path,
                                 guint *width,
                                 guint *height,
                                 GError **error);
EIGML_AVAILABLE_IN_ALL
GBytes *eigml_image_decode_bytes (GBytes *bytes,
                                  const char *name,
                                  guint *width,
                                  guint *height,
                                  GError **error);

G_END_DECLS
