/* test-images-fixtures.c: small image files for the image tests
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>

#include "test-images-fixtures.h"

static guint32
hash32 (guint32 x)
{
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

guint8 *
fixture_pattern (guint width,
                 guint height,
                 guint channels,
                 guint seed)
{
  guint8 *p = g_malloc ((gsize) width * height * channels);

  for (gsize i = 0; i < (gsize) width * height; i++)
    for (guint c = 0; c < channels; c++)
      {
        guint32 h = hash32 ((guint32) (i * channels + c) ^ (seed * 0x9e3779b9u));

        if (c == 3)
          /* a third opaque, a sixth fully transparent, the rest in between */
          p[i * channels + c] = h % 6 < 2 ? 255 : h % 6 == 2 ? 0 : (guint8) (h >> 8);
        else
          p[i * channels + c] = (guint8) (h >> 8);
      }
  return p;
}

guint8 *
fixture_smooth (guint width,
                guint height)
{
  guint8 *p = g_malloc ((gsize) width * height * 3);

  for (guint y = 0; y < height; y++)
    for (guint x = 0; x < width; x++)
      {
        guint8 *px = p + ((gsize) y * width + x) * 3;

        px[0] = (guint8) (255.0 * x / MAX (width - 1, 1));
        px[1] = (guint8) (255.0 * y / MAX (height - 1, 1));
        px[2] = (guint8) (128 + 100 * sin (x * 0.1) * cos (y * 0.07));
      }
  return p;
}

guint8
fixture_over_white (guint8 c,
                    guint8 a)
{
  return (guint8) floor ((c * a + 255.0 * (255 - a)) / 255.0 + 0.5);
}

GBytes *
fixture_npy (guint major,
             const char *dict,
             const guint8 *data,
             gsize n_data)
{
  gsize preamble = major == 1 ? 10 : 12;
  GString *header = g_string_new (dict);
  GByteArray *out = g_byte_array_new ();
  guint8 head[12] = { 0x93, 'N', 'U', 'M', 'P', 'Y', (guint8) major, 0 };

  while ((preamble + header->len + 1) % 64 != 0)
    g_string_append_c (header, ' ');
  g_string_append_c (header, '\n');
  head[8] = (guint8) header->len;
  head[9] = (guint8) (header->len >> 8);
  head[10] = (guint8) (header->len >> 16);
  head[11] = (guint8) (header->len >> 24);
  g_byte_array_append (out, head, (guint) preamble);
  g_byte_array_append (out, (const guint8 *) header->str, (guint) header->len);
  if (n_data > 0)
    g_byte_array_append (out, data, (guint) n_data);
  g_string_free (header, TRUE);
  return g_byte_array_free_to_bytes (out);
}

GBytes *
fixture_pixbuf_save (const guint8 *pixels,
                     guint width,
                     guint height,
                     guint channels,
                     const char *type,
                     const char *quality)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) copy = g_bytes_new (pixels, (gsize) width * height * channels);
  g_autoptr (GdkPixbuf) pixbuf = NULL;
  char *buffer = NULL;
  gsize size = 0;

  pixbuf = gdk_pixbuf_new_from_bytes (copy, GDK_COLORSPACE_RGB, channels == 4, 8, (int) width,
                                      (int) height, (int) (width * channels));
  if (quality != NULL)
    gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &size, type, &error, "quality", quality, NULL);
  else
    gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &size, type, &error, NULL);
  g_assert_no_error (error);
  return g_bytes_new_take (buffer, size);
}

static void
put16 (GByteArray *out,
       guint v)
{
  guint8 b[2] = { (guint8) v, (guint8) (v >> 8) };

  g_byte_array_append (out, b, 2);
}

/* LZW with a minimum code size of 7: codes are 8 bits wide as long as the
 * table stays below 256 entries, so a clear code every 100 literals keeps
 * every code one byte (an "uncompressed" GIF, valid for any decoder). */
static void
put_lzw_image (GByteArray *out,
               const guint8 *indices,
               gsize n)
{
  GByteArray *codes = g_byte_array_new ();
  guint8 min_code_size = 7, clear = 128, end = 129;

  for (gsize i = 0; i < n; i++)
    {
      if (i % 100 == 0)
        g_byte_array_append (codes, &clear, 1);
      g_byte_array_append (codes, &indices[i], 1);
    }
  g_byte_array_append (codes, &end, 1);

  g_byte_array_append (out, &min_code_size, 1);
  for (guint off = 0; off < codes->len; off += 255)
    {
      guint8 len = (guint8) MIN (255u, codes->len - off);

      g_byte_array_append (out, &len, 1);
      g_byte_array_append (out, codes->data + off, len);
    }
  g_byte_array_append (out, (const guint8 *) "\0", 1);
  g_byte_array_free (codes, TRUE);
}

GBytes *
fixture_gif (guint screen_width,
             guint screen_height,
             guint width,
             guint height,
             const guint8 *palette,
             guint n_colors,
             int transparent,
             guint n_frames,
             const guint8 *const *frames)
{
  GByteArray *out = g_byte_array_new ();
  guint8 table[128 * 3] = { 0 };
  guint8 screen_flags = 0x80 | 0x70 | 6;   /* global table of 2^(6+1) = 128 colours */
  guint8 zero = 0;

  g_assert_cmpuint (n_colors, <=, 128);
  memcpy (table, palette, n_colors * 3);
  g_byte_array_append (out, (const guint8 *) "GIF89a", 6);
  put16 (out, screen_width);
  put16 (out, screen_height);
  g_byte_array_append (out, &screen_flags, 1);
  g_byte_array_append (out, &zero, 1);      /* background colour index */
  g_byte_array_append (out, &zero, 1);      /* aspect */
  g_byte_array_append (out, table, sizeof table);
  for (guint f = 0; f < n_frames; f++)
    {
      /* graphic control: dispose to background, 100 ms, transparency */
      guint8 gce[8] = { 0x21, 0xf9, 4, (guint8) (2 << 2 | (transparent >= 0)), 10, 0,
                        (guint8) MAX (transparent, 0), 0 };
      guint8 image_flags = 0;

      g_byte_array_append (out, gce, sizeof gce);
      g_byte_array_append (out, (const guint8 *) "\x2c", 1);
      put16 (out, 0);
      put16 (out, 0);
      put16 (out, width);
      put16 (out, height);
      g_byte_array_append (out, &image_flags, 1);
      put_lzw_image (out, frames[f], (gsize) width * height);
    }
  g_byte_array_append (out, (const guint8 *) "\x3b", 1);
  return g_byte_array_free_to_bytes (out);
}

static guint32
crc32_png (const guint8 *data,
           gsize n)
{
  guint32 crc = 0xffffffffu;

  for (gsize i = 0; i < n; i++)
    {
      crc ^= data[i];
      for (int k = 0; k < 8; k++)
        crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
    }
  return crc ^ 0xffffffffu;
}

static void
put_be32 (guint8 *p,
          guint32 v)
{
  p[0] = (guint8) (v >> 24);
  p[1] = (guint8) (v >> 16);
  p[2] = (guint8) (v >> 8);
  p[3] = (guint8) v;
}

GBytes *
fixture_png_resize_header (GBytes *png,
                           guint32 width,
                           guint32 height)
{
  gsize size = 0;
  guint8 *copy = g_memdup2 (g_bytes_get_data (png, &size), g_bytes_get_size (png));

  /* signature (8), IHDR length (4), "IHDR" at 12, data at 16, CRC at 29 */
  g_assert_cmpuint (size, >, 33);
  g_assert_cmpmem (copy + 12, 4, "IHDR", 4);
  put_be32 (copy + 16, width);
  put_be32 (copy + 20, height);
  put_be32 (copy + 29, crc32_png (copy + 12, 17));
  return g_bytes_new_take (copy, size);
}

GBytes *
fixture_jpeg_resize_header (GBytes *jpeg,
                            guint16 width,
                            guint16 height)
{
  gsize size = 0;
  guint8 *copy = g_memdup2 (g_bytes_get_data (jpeg, &size), g_bytes_get_size (jpeg));
  gsize i = 2;

  /* walk the marker segments to SOF0 (baseline) or SOF2 (progressive) */
  while (i + 9 < size && copy[i] == 0xff && copy[i + 1] != 0xc0 && copy[i + 1] != 0xc2)
    i += 2 + ((gsize) copy[i + 2] << 8 | copy[i + 3]);
  g_assert_true (i + 9 < size && copy[i] == 0xff);
  copy[i + 5] = (guint8) (height >> 8);
  copy[i + 6] = (guint8) height;
  copy[i + 7] = (guint8) (width >> 8);
  copy[i + 8] = (guint8) width;
  return g_bytes_new_take (copy, size);
}

GBytes *
fixture_mutate (GBytes *data,
                gsize length,
                gsize flip_at,
                guint8 mask)
{
  guint8 *copy;

  g_assert_cmpuint (length, <=, g_bytes_get_size (data));
  copy = g_memdup2 (g_bytes_get_data (data, NULL), MAX (length, 1));
  if (mask != 0)
    {
      g_assert_cmpuint (flip_at, <, length);
      copy[flip_at] ^= mask;
    }
  return g_bytes_new_take (copy, length);
}

void
fixture_run_tool (const char *const *argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *program = g_find_program_in_path (argv[0]);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  if (program == NULL)
    g_error ("%s is needed to make test images: install the Debian package 'webp' "
             "(tools/setup-deps)", argv[0]);
  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status,
                &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("%s failed: %s\n%s", argv[0], error->message, err);
}

char *
fixture_write (const char *dir,
               const char *name,
               GBytes *data)
{
  g_autoptr (GError) error = NULL;
  char *path = g_build_filename (dir, name, NULL);

  g_file_set_contents (path, g_bytes_get_data (data, NULL), (gssize) g_bytes_get_size (data), &error);
  g_assert_no_error (error);
  return path;
}

/* An independent float64 bicubic (a = -0.5, support stretched when
 * shrinking, normalised taps), one pass per axis without rounding. */
void
fixture_reference_resize (const guint8 *src,
                          guint sw,
                          guint sh,
                          double *dst,
                          guint dw,
                          guint dh)
{
  g_autofree double *tmp = g_new0 (double, (gsize) dw * sh * 3);

  for (int pass = 0; pass < 2; pass++)
    {
      guint in = pass == 0 ? sw : sh, out = pass == 0 ? dw : dh;
      double scale = (double) in / out, fs = MAX (scale, 1.0);

      for (guint o = 0; o < out; o++)
        {
          double center = (o + 0.5) * scale, total = 0.0;
          double w[4096];
          int lo = MAX (0, (int) floor (center - 2.0 * fs)), hi = MIN ((int) in, (int) ceil (center + 2.0 * fs));

          for (int j = lo; j < hi; j++)
            {
              double x = fabs ((j + 0.5 - center) / fs);
              w[j - lo] = x < 1 ? (1.5 * x - 2.5) * x * x + 1 : x < 2 ? ((-0.5 * x + 2.5) * x - 4) * x + 2 : 0;
              total += w[j - lo];
            }
          for (guint k = 0; k < (pass == 0 ? sh : dw); k++)
            for (guint c = 0; c < 3; c++)
              {
                double sum = 0.0;

                for (int j = lo; j < hi; j++)
                  sum += w[j - lo] * (pass == 0 ? src[((gsize) k * sw + j) * 3 + c]
                                                : tmp[((gsize) j * dw + k) * 3 + c]);
                if (pass == 0)
                  tmp[((gsize) k * dw + o) * 3 + c] = sum / total;
                else
                  dst[((gsize) o * dw + k) * 3 + c] = CLAMP (sum / total, 0.0, 255.0);
              }
        }
    }
}
