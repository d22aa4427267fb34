/* make-image-seeds.c: writes the image fuzz targets' seed corpora
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   make-image-seeds FILE...   each FILE's base name says what to write
 *
 * Small valid files of every format, made by the unit tests' fixtures
 * (tests/test-images-fixtures.c) at build time, so no binary file is
 * committed.
 */
#include "config.h"

#include <string.h>

#include "test-images-fixtures.h"

#define NPY_DICT "{'descr': '|u1', 'fortran_order': False, 'shape': (5, 6, 3), }"

static GBytes *
seed_for (const char *name)
{
  g_autofree guint8 *rgb = fixture_pattern (6, 5, 3, 1);
  g_autofree guint8 *rgba = fixture_pattern (6, 5, 4, 2);
  const guint8 palette[4 * 3] = { 255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255 };
  guint8 frame0[30], frame1[30];
  const guint8 *frames[2] = { frame0, frame1 };

  for (guint i = 0; i < 30; i++)
    {
      frame0[i] = (guint8) (i % 4);
      frame1[i] = (guint8) ((i / 3) % 4);
    }
  if (strcmp (name, "seed-npy-v1.npy") == 0 || strcmp (name, "seed-image.npy") == 0)
    return fixture_npy (1, NPY_DICT, rgb, 6 * 5 * 3);
  if (strcmp (name, "seed-npy-v2.npy") == 0)
    return fixture_npy (2, NPY_DICT, rgb, 6 * 5 * 3);
  if (strcmp (name, "seed-npy-py2.npy") == 0)
    return fixture_npy (1, "{\"shape\": (5L, 6L, 3L), \"fortran_order\": False, \"descr\": \"|u1\"}",
                        rgb, 6 * 5 * 3);
  if (strcmp (name, "seed-image.png") == 0)
    return fixture_pixbuf_save (rgb, 6, 5, 3, "png", NULL);
  if (strcmp (name, "seed-image-rgba.png") == 0)
    return fixture_pixbuf_save (rgba, 6, 5, 4, "png", NULL);
  if (strcmp (name, "seed-image.jpg") == 0)
    return fixture_pixbuf_save (rgb, 6, 5, 3, "jpeg", "80");
  if (strcmp (name, "seed-image-anim.gif") == 0)
    return fixture_gif (6, 5, 6, 5, palette, 4, 3, 2, frames);
  if (strcmp (name, "seed-image.webp") == 0)
    return fixture_pixbuf_save (rgba, 6, 5, 4, "webp", "80");
  return NULL;
}

int
main (int argc,
      char **argv)
{
  for (int i = 1; i < argc; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *base = g_path_get_basename (argv[i]);
      g_autoptr (GBytes) seed = seed_for (base);

      if (seed == NULL)
        {
          g_printerr ("make-image-seeds: no seed called %s\n", base);
          return 1;
        }
      if (!g_file_set_contents (argv[i], g_bytes_get_data (seed, NULL),
                                (gssize) g_bytes_get_size (seed), &error))
        {
          g_printerr ("make-image-seeds: %s\n", error->message);
          return 1;
        }
    }
  return 0;
}
