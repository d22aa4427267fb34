/* eigml-image-processor.c: sticker images to model input tensors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "data/image.h"
#include "eigml-error.h"
#include "eigml-image-processor.h"
#include "eigml-tensor-private.h"

/**
 * EigmlImageProcessor:
 *
 * Turns sticker images into the input of the image encoder: a float tensor
 * `[3, S, S]` per image (`[N, 3, S, S]` for a batch), in the layout and with
 * the values torchvision produces for the reference pipeline:
 *
 * - decoding: PNG, JPEG, GIF (the first frame of an animation) and WebP
 *   through gdk-pixbuf, and StickerChat's NumPy `.npy` files (`uint8`,
 *   shape `(H, W, 3)`); transparent pixels are composited on white;
 * - evaluation (#EigmlImageProcessor:train off): `Resize((S, S),
 *   BICUBIC)` — PIL's bicubic with antialiasing, reproduced exactly;
 * - training (#EigmlImageProcessor:train on): `RandomResizedCrop(S,
 *   scale=(0.75, 1), ratio=(3/4, 4/3), BICUBIC)`, where the crop of image
 *   *index* at *epoch* is drawn from a counter-based generator keyed by
 *   #EigmlImageProcessor:seed, so it is the same whatever the batch, the
 *   order or the number of threads;
 * - `ToTensor` and `Normalize` with the ImageNet mean (0.485, 0.456, 0.406)
 *   and std (0.229, 0.224, 0.225) unless changed with
 *   eigml_image_processor_set_normalization().
 *
 * Every malformed, truncated or oversized input is a #GError naming the file
 * and what was expected; images beyond %EIGML_IMAGE_MAX_SIDE per side or
 * %EIGML_IMAGE_MAX_PIXELS are refused before their pixels are allocated.
 * See `docs/images.md`.
 *
 * The settings are read at the start of each call; a processor may be used
 * from several threads as long as none of them changes its settings.
 *
 * Since: 1.0
 */
struct _EigmlImageProcessor
{
  GObject parent_instance;

  EigmlImageSettings settings;
};

G_DEFINE_FINAL_TYPE (EigmlImageProcessor, eigml_image_processor, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_SIZE,
  PROP_TRAIN,
  PROP_SEED,
  PROP_SCALE_MIN,
  PROP_SCALE_MAX,
  PROP_RATIO_MIN,
  PROP_RATIO_MAX,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

static void
set_double (EigmlImageProcessor *self,
            double *field,
            double value,
            guint prop)
{
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), props[prop]);
}

static void
eigml_image_processor_get_property (GObject *object,
                                    guint prop_id,
                                    GValue *value,
                                    GParamSpec *pspec)
{
  EigmlImageProcessor *self = EIGML_IMAGE_PROCESSOR (object);

  switch (prop_id)
    {
    case PROP_SIZE:
      g_value_set_uint (value, self->settings.size);
      break;
    case PROP_TRAIN:
      g_value_set_boolean (value, self->settings.train);
      break;
    case PROP_SEED:
      g_value_set_uint64 (value, self->settings.seed);
      break;
    case PROP_SCALE_MIN:
      g_value_set_double (value, self->settings.crop.scale_min);
      break;
    case PROP_SCALE_MAX:
      g_value_set_double (value, self->settings.crop.scale_max);
      break;
    case PROP_RATIO_MIN:
      g_value_set_double (value, self->settings.crop.ratio_min);
      break;
    case PROP_RATIO_MAX:
      g_value_set_double (value, self->settings.crop.ratio_max);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eigml_image_processor_set_property (GObject *object,
                                    guint prop_id,
                                    const GValue *value,
                                    GParamSpec *pspec)
{
  EigmlImageProcessor *self = EIGML_IMAGE_PROCESSOR (object);

  switch (prop_id)
    {
    case PROP_SIZE:
      self->settings.size = g_value_get_uint (value);
      break;
    case PROP_TRAIN:
      eigml_image_processor_set_train (self, g_value_get_boolean (value));
      break;
    case PROP_SEED:
      eigml_image_processor_set_seed (self, g_value_get_uint64 (value));
      break;
    case PROP_SCALE_MIN:
      set_double (self, &self->settings.crop.scale_min, g_value_get_double (value), prop_id);
      break;
    case PROP_SCALE_MAX:
      set_double (self, &self->settings.crop.scale_max, g_value_get_double (value), prop_id);
      break;
    case PROP_RATIO_MIN:
      set_double (self, &self->settings.crop.ratio_min, g_value_get_double (value), prop_id);
      break;
    case PROP_RATIO_MAX:
      set_double (self, &self->settings.crop.ratio_max, g_value_get_double (value), prop_id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eigml_image_processor_class_init (EigmlImageProcessorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->get_property = eigml_image_processor_get_property;
  object_class->set_property = eigml_image_processor_set_property;

  /**
   * EigmlImageProcessor:size:
   *
   * The side S of the square input the processor produces; the paper uses
   * 128.
   *
   * Since: 1.0
   */
  props[PROP_SIZE] =
    g_param_spec_uint ("size", NULL, NULL, 1, EIGML_IMAGE_MAX_INPUT_SIZE, 128,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * EigmlImageProcessor:train:
   *
   * Whether to apply the training augmentation (a random resized crop)
   * instead of the plain resize.
   *
   * Since: 1.0
   */
  props[PROP_TRAIN] = g_param_spec_boolean ("train", NULL, NULL, FALSE, rw);
  /**
   * EigmlImageProcessor:seed:
   *
   * The key of the random crops: with the same seed, image index and epoch,
   * the crop is the same.
   *
   * Since: 1.0
   */
  props[PROP_SEED] = g_param_spec_uint64 ("seed", NULL, NULL, 0, G_MAXUINT64, 42, rw);
  /**
   * EigmlImageProcessor:scale-min:
   *
   * The smallest fraction of the image area a random crop covers.
   *
   * Since: 1.0
   */
  props[PROP_SCALE_MIN] = g_param_spec_double ("scale-min", NULL, NULL, 0.0, 1.0, 0.75, rw);
  /**
   * EigmlImageProcessor:scale-max:
   *
   * The largest fraction of the image area a random crop covers.
   *
   * Since: 1.0
   */
  props[PROP_SCALE_MAX] = g_param_spec_double ("scale-max", NULL, NULL, 0.0, 1.0, 1.0, rw);
  /**
   * EigmlImageProcessor:ratio-min:
   *
   * The smallest width / height ratio of a random crop.
   *
   * Since: 1.0
   */
  props[PROP_RATIO_MIN] = g_param_spec_double ("ratio-min", NULL, NULL, 0.01, 100.0, 3.0 / 4.0, rw);
  /**
   * EigmlImageProcessor:ratio-max:
   *
   * The largest width / height ratio of a random crop.
   *
   * Since: 1.0
   */
  props[PROP_RATIO_MAX] = g_param_spec_double ("ratio-max", NULL, NULL, 0.01, 100.0, 4.0 / 3.0, rw);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
eigml_image_processor_init (EigmlImageProcessor *self)
{
  static const float imagenet_mean[3] = { 0.485f, 0.456f, 0.406f };
  static const float imagenet_std[3] = { 0.229f, 0.224f, 0.225f };

  self->settings.size = 128;
  self->settings.seed = 42;
  self->settings.crop.scale_min = 0.75;
  self->settings.crop.scale_max = 1.0;
  self->settings.crop.ratio_min = 3.0 / 4.0;
  self->settings.crop.ratio_max = 4.0 / 3.0;
  memcpy (self->settings.mean, imagenet_mean, sizeof self->settings.mean);
  memcpy (self->settings.std, imagenet_std, sizeof self->settings.std);
}

/**
 * eigml_image_processor_new:
 * @size: the side of the square model input, 1 to %EIGML_IMAGE_MAX_INPUT_SIZE
 *   (the paper uses 128)
 *
 * Creates a processor in evaluation mode with ImageNet normalisation.
 *
 * Returns: (transfer full): a new #EigmlImageProcessor
 *
 * Since: 1.0
 */
EigmlImageProcessor *
eigml_image_processor_new (guint size)
{
  g_return_val_if_fail (size >= 1 && size <= EIGML_IMAGE_MAX_INPUT_SIZE, NULL);
  return g_object_new (EIGML_TYPE_IMAGE_PROCESSOR, "size", size, NULL);
}

/**
 * eigml_image_processor_get_size:
 * @self: a processor
 *
 * Returns: the side of the square input @self produces
 *
 * Since: 1.0
 */
guint
eigml_image_processor_get_size (EigmlImageProcessor *self)
{
  g_return_val_if_fail (EIGML_IS_IMAGE_PROCESSOR (self), 0);
  return self->settings.size;
}

/**
 * eigml_image_processor_get_train:
 * @self: a processor
 *
 * Returns: whether @self applies the training augmentation
 *
 * Since: 1.0
 */
gboolean
eigml_image_processor_get_train (EigmlImageProcessor *self)
{
  g_return_val_if_fail (EIGML_IS_IMAGE_PROCESSOR (self), FALSE);
  return self->settings.train;
}

/**
 * eigml_image_processor_set_train:
 * @self: a processor
 * @train: whether to apply the training augmentation
 *
 * Switches between the random resized crop (training) and the plain resize
 * (evaluation).
 *
 * Since: 1.0
 */
void
eigml_image_processor_set_train (EigmlImageProcessor *self,
                                 gboolean train)
{
  g_return_if_fail (EIGML_IS_IMAGE_PROCESSOR (self));
  train = !!train;
  if (self->settings.train == train)
    return;
  self->settings.train = train;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_TRAIN]);
}

/**
 * eigml_image_processor_get_seed:
 * @self: a processor
 *
 * Returns: the key of the random crops
 *
 * Since: 1.0
 */
guint64
eigml_image_processor_get_seed (EigmlImageProcessor *self)
{
  g_return_val_if_fail (EIGML_IS_IMAGE_PROCESSOR (self), 0);
  return self->settings.seed;
}

/**
 * eigml_image_processor_set_seed:
 * @self: a processor
 * @seed: the key of the random crops
 *
 * Sets the key from which every crop is derived with the image's index and
 * the epoch.
 *
 * Since: 1.0
 */
void
eigml_image_processor_set_seed (EigmlImageProcessor *self,
                                guint64 seed)
{
  g_return_if_fail (EIGML_IS_IMAGE_PROCESSOR (self));
  if (self->settings.seed == seed)
    return;
  self->settings.seed = seed;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_SEED]);
}

/**
 * eigml_image_processor_get_mean:
 * @self: a processor
 * @n_values: (out): where to store the number of values, 3
 *
 * Returns: (array length=n_values) (transfer none): the per-channel (R, G,
 *   B) mean subtracted after scaling pixels to [0, 1]
 *
 * Since: 1.0
 */
const float *
eigml_image_processor_get_mean (EigmlImageProcessor *self,
                                gsize *n_values)
{
  g_return_val_if_fail (EIGML_IS_IMAGE_PROCESSOR (self), NULL);
  if (n_values != NULL)
    *n_values = 3;
  return self->settings.mean;
}

/**
 * eigml_image_processor_get_std:
 * @self: a processor
 * @n_values: (out): where to store the number of values, 3
 *
 * Returns: (array length=n_values) (transfer none): the per-channel (R, G,
 *   B) standard deviation divided by after the mean is subtracted
 *
 * Since: 1.0
 */
const float *
eigml_image_processor_get_std (EigmlImageProcessor *self,
                               gsize *n_values)
{
  g_return_val_if_fail (EIGML_IS_IMAGE_PROCESSOR (self), NULL);
  if (n_values != NULL)
    *n_values = 3;
  return self->settings.std;
}

/**
 * eigml_image_processor_set_normalization:
 * @self: a processor
 * @mean: (array length=n_mean): the per-channel mean (R, G, B)
 * @n_mean: the number of values in @mean, 3
 * @std: (array length=n_std): the per-channel standard deviation (R, G, B)
 * @n_std: the number of values in @std, 3
 * @error: return location for a #GError
 *
 * Sets the normalisation applied after scaling pixels to [0, 1]:
 * `(x - mean[c]) / std[c]`. Mean 0 and std 1 give the plain [0, 1] values.
 *
 * Returns: %TRUE, or %FALSE with @error set when an array does not hold 3
 *   finite values or a std is not positive
 *
 * Since: 1.0
 */
gboolean
eigml_image_processor_set_normalization (EigmlImageProcessor *self,
                                         const float *mean,
                                         gsize n_mean,
                                         const float *std,
                                         gsize n_std,
                                         GError **error)
{
  g_return_val_if_fail (EIGML_IS_IMAGE_PROCESSOR (self), FALSE);
  g_return_val_if_fail (mean != NULL || n_mean == 0, FALSE);
  g_return_val_if_fail (std != NULL || n_std == 0, FALSE);

  if (n_mean != 3 || n_std != 3)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "image normalisation: expected 3 mean and 3 std values (R, G, B), got %"
                   G_GSIZE_FORMAT " and %" G_GSIZE_FORMAT, n_mean, n_std);
      return FALSE;
    }
  for (guint c = 0; c < 3; c++)
    if (!isfinite (mean[c]) || !isfinite (std[c]) || !(std[c] > 0.0f))
      {
        g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                     "image normalisation: channel %u: expected a finite mean and a positive std, "
                     "got mean %g, std %g", c, mean[c], std[c]);
        return FALSE;
      }
  memcpy (self->settings.mean, mean, sizeof self->settings.mean);
  memcpy (self->settings.std, std, sizeof self->settings.std);
  return TRUE;
}

static gboolean
settings_snapshot (EigmlImageProcessor *self,
                   EigmlImageSettings *s,
                   GError **error)
{
  *s = self->settings;
  if (s->crop.scale_min > s->crop.scale_max || s->crop.ratio_min > s->crop.ratio_max)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "random crop: expected scale-min <= scale-max and ratio-min <= ratio-max, got "
                   "scale %g..%g, ratio %g..%g", s->crop.scale_min, s->crop.scale_max,
                   s->crop.ratio_min, s->crop.ratio_max);
      return FALSE;
    }
  return TRUE;
}

static EigmlTensor *
new_output (const EigmlImageSettings *s,
            guint n,
            GError **error)
{
  gint64 shape[4] = { n, 3, s->size, s->size };

  return n == 0 ? eigml_tensor_new (EIGML_DTYPE_F32, shape + 1, 3, error)
                : eigml_tensor_new (EIGML_DTYPE_F32, shape, 4, error);
}

/**
 * eigml_image_processor_get_crop:
 * @self: a processor
 * @width: the image width in pixels
 * @height: the image height in pixels
 * @index: the image's index in its dataset
 * @epoch: the training epoch
 * @left: (out) (optional): the crop's left column
 * @top: (out) (optional): the crop's top row
 * @crop_width: (out) (optional): the crop's width
 * @crop_height: (out) (optional): the crop's height
 * @error: return location for a #GError
 *
 * Gives the rectangle the training augmentation crops from a @width x
 * @height image with this @index at this @epoch, before it is resized to
 * the input size. It does not depend on #EigmlImageProcessor:train.
 *
 * Returns: %TRUE, or %FALSE with @error set when the size is outside the
 *   limits or the crop ranges are inverted
 *
 * Since: 1.0
 */
gboolean
eigml_image_processor_get_crop (EigmlImageProcessor *self,
                                guint width,
                                guint height,
                                guint64 index,
                                guint64 epoch,
                                guint *left,
                                guint *top,
                                guint *crop_width,
                                guint *crop_height,
                                GError **error)
{
  EigmlImageSettings s;
  EigmlCropBox box;

  g_return_val_if_fail (EIGML_IS_IMAGE_PROCESSOR (self), FALSE);

  if (!settings_snapshot (self, &s, error) ||
      !eigml_image_check_dimensions ("crop", width, height, error))
    return FALSE;
  eigml_image_random_crop (width, height, &s.crop, s.seed, index, epoch, &box);
  if (left != NULL)
    *left = box.left;
  if (top != NULL)
    *top = box.top;
  if (crop_width != NULL)
    *crop_width = box.width;
  if (crop_height != NULL)
    *crop_height = box.height;
  return TRUE;
}

/**
 * eigml_image_processor_process:
 * @self: a processor
 * @pixels: decoded pixels: packed 8-bit RGB rows, top row first, as
 *   eigml_image_decode_file() returns them
 * @width: the image width in pixels
 * @height: the image height in pixels
 * @index: the image's index in its dataset (chooses the crop when training)
 * @epoch: the training epoch (chooses the crop when training)
 * @error: return location for a #GError
 *
 * Preprocesses decoded pixels: the random resized crop for (@index,
 * @epoch) when #EigmlImageProcessor:train is set, else the resize, then
 * scaling to [0, 1] and normalisation.
 *
 * Returns: (transfer full): a float tensor `[3, S, S]`, or %NULL with
 *   @error set when the size of @pixels is not @width x @height x 3
 *
 * Since: 1.0
 */
EigmlTensor *
eigml_image_processor_process (EigmlImageProcessor *self,
                               GBytes *pixels,
                               guint width,
                               guint height,
                               guint64 index,
                               guint64 epoch,
                               GError **error)
{
  g_autoptr (EigmlTensor) out = NULL;
  EigmlImageSettings s;
  gsize size = 0;
  const guint8 *data;

  g_return_val_if_fail (EIGML_IS_IMAGE_PROCESSOR (self), NULL);
  g_return_val_if_fail (pixels != NULL, NULL);

  data = g_bytes_get_data (pixels, &size);
  if (!settings_snapshot (self, &s, error) ||
      !eigml_image_check_dimensions ("pixels", width, height, error))
    return NULL;
  if (size != (gsize) width * height * 3)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE,
                   "pixels: expected %u x %u x 3 = %" G_GSIZE_FORMAT " bytes of RGB, got %"
                   G_GSIZE_FORMAT, width, height, (gsize) width * height * 3, size);
      return NULL;
    }
  out = new_output (&s, 0, error);
  if (out == NULL)
    return NULL;
  eigml_image_preprocess (&s, data, width, height, index, epoch,
                          eigml_tensor_peek_data_mutable (out));
  return g_steal_pointer (&out);
}

static EigmlTensor *
load_one (EigmlImageProcessor *self,
          GBytes *data,
          const char *name,
          GError **error)
{
  g_autoptr (GBytes) pixels = NULL;
  guint width = 0, height = 0;

  pixels = eigml_image_decode (data, name, &width, &height, error);
  if (pixels == NULL)
    return NULL;
  return eigml_image_processor_process (self, pixels, width, height, 0, 0, error);
}

/**
 * eigml_image_processor_load_file:
 * @self: a processor
 * @path: (type filename): an image file: PNG, JPEG, GIF, WebP or `.npy`
 * @error: return location for a #GError
 *
 * Decodes and preprocesses one image. In training mode the crop is the one
 * of index 0 at epoch 0; use eigml_image_processor_load_batch() to choose.
 *
 * Returns: (transfer full): a float tensor `[3, S, S]`, or %NULL with
 *   @error set (%G_FILE_ERROR when the file cannot be read, %EIGML_ERROR
 *   when it is not a valid image or is too large)
 *
 * Since: 1.0
 */
EigmlTensor *
eigml_image_processor_load_file (EigmlImageProcessor *self,
                                 const char *path,
                                 GError **error)
{
  g_autoptr (GBytes) data = NULL;
  g_autofree char *name = NULL;

  g_return_val_if_fail (EIGML_IS_IMAGE_PROCESSOR (self), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  data = eigml_image_read_file (path, error);
  if (data == NULL)
    return NULL;
  name = g_filename_display_name (path);
  return load_one (self, data, name, error);
}

/**
 * eigml_image_processor_load_bytes:
 * @self: a processor
 * @bytes: the contents of an image file: PNG, JPEG, GIF, WebP or `.npy`
 * @error: return location for a #GError
 *
 * Decodes and preprocesses one image held in memory, as
 * eigml_image_processor_load_file() does for a file.
 *
 * Returns: (transfer full): a float tensor `[3, S, S]`, or %NULL with
 *   @error set
 *
 * Since: 1.0
 */
EigmlTensor *
eigml_image_processor_load_bytes (EigmlImageProcessor *self,
                                  GBytes *bytes,
                                  GError **error)
{
  g_return_val_if_fail (EIGML_IS_IMAGE_PROCESSOR (self), NULL);
  g_return_val_if_fail (bytes != NULL, NULL);

  return load_one (self, bytes, "image data", error);
}

/**
 * eigml_image_processor_load_batch:
 * @self: a processor
 * @paths: (array length=n_paths) (element-type filename): image files
 * @n_paths: the number of files, at least 1
 * @indices: (array length=n_indices) (nullable): the dataset index of each
 *   image, which with @epoch chooses its crop in training mode; %NULL for
 *   0, 1, 2, ...
 * @n_indices: the number of indices: 0 or @n_paths
 * @epoch: the training epoch
 * @error: return location for a #GError
 *
 * Decodes and preprocesses @n_paths images in parallel (OpenMP threads)
 * into one tensor. The result is the same as loading each image alone
 * with eigml_image_processor_process() and the same index and epoch,
 * whatever the number of threads.
 *
 * Returns: (transfer full): a float tensor `[N, 3, S, S]`, or %NULL with
 *   @error set for the first image (in order) that failed
 *
 * Since: 1.0
 */
EigmlTensor *
eigml_image_processor_load_batch (EigmlImageProcessor *self,
                                  const char *const *paths,
                                  guint n_paths,
                                  const guint64 *indices,
                                  guint n_indices,
                                  guint64 epoch,
                                  GError **error)
{
  g_autoptr (EigmlTensor) out = NULL;
  EigmlImageSettings s;

  g_return_val_if_fail (EIGML_IS_IMAGE_PROCESSOR (self), NULL);
  g_return_val_if_fail (paths != NULL || n_paths == 0, NULL);
  g_return_val_if_fail (indices != NULL || n_indices == 0, NULL);

  if (n_paths == 0 || (indices != NULL && n_indices != n_paths))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "image batch: expected at least one path and 0 or %u indices, got %u paths and "
                   "%u indices", n_paths, n_paths, n_indices);
      return NULL;
    }
  if (!settings_snapshot (self, &s, error))
    return NULL;
  out = new_output (&s, n_paths, error);
  if (out == NULL)
    return NULL;
  if (!eigml_image_load_batch_into (&s, paths, n_paths, indices, epoch,
                                    eigml_tensor_peek_data_mutable (out), error))
    return NULL;
  return g_steal_pointer (&out);
}

/**
 * eigml_image_decode_file:
 * @path: (type filename): an image file: PNG, JPEG, GIF, WebP or `.npy`
 * @width: (out): where to store the width in pixels
 * @height: (out): where to store the height in pixels
 * @error: return location for a #GError
 *
 * Decodes an image to 8-bit RGB without resizing: the first frame of an
 * animation, transparent pixels composited on white.
 *
 * Returns: (transfer full): packed RGB rows (`width * 3` bytes each, top
 *   row first), or %NULL with @error set
 *
 * Since: 1.0
 */
GBytes *
eigml_image_decode_file (const char *path,
                         guint *width,
                         guint *height,
                         GError **error)
{
  g_autoptr (GBytes) data = NULL;
  g_autofree char *name = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (width != NULL && height != NULL, NULL);

  data = eigml_image_read_file (path, error);
  if (data == NULL)
    return NULL;
  name = g_filename_display_name (path);
  return eigml_image_decode (data, name, width, height, error);
}

/**
 * eigml_image_decode_bytes:
 * @bytes: the contents of an image file: PNG, JPEG, GIF, WebP or `.npy`
 * @name: (nullable): what to call the data in error messages (a file
 *   name or URL); %NULL for "image data"
 * @width: (out): where to store the width in pixels
 * @height: (out): where to store the height in pixels
 * @error: return location for a #GError
 *
 * Decodes an image held in memory, as eigml_image_decode_file() does.
 *
 * Returns: (transfer full): packed RGB rows (`width * 3` bytes each, top
 *   row first), or %NULL with @error set
 *
 * Since: 1.0
 */
GBytes *
eigml_image_decode_bytes (GBytes *bytes,
                          const char *name,
                          guint *width,
                          guint *height,
                          GError **error)
{
  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (width != NULL && height != NULL, NULL);

  return eigml_image_decode (bytes, name != NULL ? name : "image data", width, height, error);
}
