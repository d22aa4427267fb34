/* image-pipeline.c: decoded pixels and files to normalised tensors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One image: crop (training) or not, PIL-compatible bicubic resize to S x S
 * in 8 bits, then ToTensor and Normalize into [3, S, S] floats. A batch
 * runs one image per OpenMP iteration; every image writes only its own
 * slice and draws its crop from (seed, index, epoch), so the result does not
 * depend on the number of threads.
 */
#include "config.h"

#include "image.h"

void
eigml_image_preprocess (const EigmlImageSettings *s,
                        const guint8 *rgb,
                        guint width,
                        guint height,
                        guint64 index,
                        guint64 epoch,
                        float *out)
{
  EigmlCropBox box = { 0, 0, width, height };
  g_autofree guint8 *resized = g_malloc ((gsize) s->size * s->size * 3);
  const guint8 *origin;

  if (s->train)
    eigml_image_random_crop (width, height, &s->crop, s->seed, index, epoch, &box);
  origin = rgb + ((gsize) box.top * width + box.left) * 3;
  eigml_image_resize_rgb8 (origin, (gsize) width * 3, box.width, box.height, resized, s->size,
                           s->size);
  eigml_image_rgb8_to_chw (resized, s->size, s->mean, s->std, out);
}

gboolean
eigml_image_load_batch_into (const EigmlImageSettings *s,
                             const char *const *paths,
                             guint n_paths,
                             const guint64 *indices,
                             guint64 epoch,
                             float *out,
                             GError **error)
{
  g_autofree GError **errors = g_new0 (GError *, n_paths);
  gsize plane = (gsize) 3 * s->size * s->size;
  GError *first = NULL;
  guint first_at = 0;

#pragma omp parallel for schedule(dynamic, 1)
  for (gint64 i = 0; i < (gint64) n_paths; i++)
    {
      g_autoptr (GBytes) file = NULL;
      g_autoptr (GBytes) pixels = NULL;
      g_autofree char *name = NULL;
      guint width = 0, height = 0;

      file = eigml_image_read_file (paths[i], &errors[i]);
      if (file == NULL)
        continue;
      name = g_filename_display_name (paths[i]);
      pixels = eigml_image_decode (file, name, &width, &height, &errors[i]);
      if (pixels == NULL)
        continue;
      eigml_image_preprocess (s, g_bytes_get_data (pixels, NULL), width, height,
                              indices != NULL ? indices[i] : (guint64) i, epoch,
                              out + (gsize) i * plane);
    }

  /* report the first failure in batch order, whichever thread saw it */
  for (guint i = 0; i < n_paths; i++)
    {
      if (errors[i] != NULL && first == NULL)
        {
          first = g_steal_pointer (&errors[i]);
          first_at = i;
        }
      g_clear_error (&errors[i]);
    }
  if (first != NULL)
    {
      g_propagate_prefixed_error (error, first, "image batch, item %u of %u: ", first_at, n_paths);
      return FALSE;
    }
  return TRUE;
}
