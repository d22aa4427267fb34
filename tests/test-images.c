/* test-images.c: decoding (PNG, JPEG, GIF, WebP, .npy), hostile files,
 * the bicubic resize, the seeded random crop and batches
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every image is made here: by gdk-pixbuf's savers, by hand (.npy, GIF,
 * patched headers) or by cwebp/img2webp (Debian 'webp'). The comparison
 * with PIL and torchvision is tests/reference/test_images.py.
 */
#include "config.h"

#include <math.h>
#include <string.h>
#include <omp.h>

#include <glib/gstdio.h>

#include "eigml.h"
#include "eigml-tensor-private.h"
#include "test-images-fixtures.h"

static char *tmpdir;

/* Decodes @path and checks its size; returns the RGB pixels. */
static guint8 *
decode_ok (const char *path,
           guint width,
           guint height)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) rgb = NULL;
  guint w = 0, h = 0;

  rgb = eigml_image_decode_file (path, &w, &h, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (w, ==, width);
  g_assert_cmpuint (h, ==, height);
  g_assert_cmpuint (g_bytes_get_size (rgb), ==, (gsize) width * height * 3);
  return g_memdup2 (g_bytes_get_data (rgb, NULL), g_bytes_get_size (rgb));
}

/* The RGB a decoder must give for @pixels (3 or 4 channels). */
static guint8 *
expected_rgb (const guint8 *pixels,
              gsize n_pixels,
              guint channels)
{
  guint8 *out = g_malloc (n_pixels * 3);

  for (gsize i = 0; i < n_pixels; i++)
    for (guint c = 0; c < 3; c++)
      out[3 * i + c] = channels == 4 ? fixture_over_white (pixels[4 * i + c], pixels[4 * i + 3])
                                     : pixels[3 * i + c];
  return out;
}

static guint
max_abs_diff (const guint8 *a,
              const guint8 *b,
              gsize n)
{
  guint worst = 0;

  for (gsize i = 0; i < n; i++)
    worst = MAX (worst, (guint) ABS ((int) a[i] - (int) b[i]));
  return worst;
}

/* Decoding @data (also written to a file named @name) fails with @domain
 * and @code, the message names the file and contains @needle. */
static void
assert_rejected (const char *name,
                 GBytes *data,
                 GQuark domain,
                 int code,
                 const char *needle)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) bytes_error = NULL;
  g_autoptr (GBytes) rgb = NULL;
  g_autofree char *path = fixture_write (tmpdir, name, data);
  guint w = 0, h = 0;

  rgb = eigml_image_decode_file (path, &w, &h, &error);
  if (rgb != NULL)
    g_error ("%s: expected an error containing '%s', got a %u x %u image", name, needle, w, h);
  if (!g_error_matches (error, domain, code) || strstr (error->message, name) == NULL ||
      strstr (error->message, needle) == NULL)
    g_error ("%s: expected error %s/%d naming the file and '%s', got %s/%d: %s", name,
             g_quark_to_string (domain), code, needle,
             error ? g_quark_to_string (error->domain) : "none", error ? error->code : -1,
             error ? error->message : "(no error)");
  if (g_test_verbose ())
    g_test_message ("%s", error->message);
  /* the same from memory, named by the caller */
  rgb = eigml_image_decode_bytes (data, name, &w, &h, &bytes_error);
  g_assert_null (rgb);
  g_assert_error (bytes_error, domain, code);
  g_assert_nonnull (strstr (bytes_error->message, needle));
}

static void
test_npy_decode (void)
{
  g_autofree guint8 *pixels = fixture_pattern (7, 5, 3, 1);
  const char *dicts[] = {
    "{'descr': '|u1', 'fortran_order': False, 'shape': (5, 7, 3), }",
    "{\"shape\": (5L, 7L, 3L), \"descr\": \"|u1\", \"fortran_order\": False}",
    "{ 'fortran_order' : False , 'descr':'|u1','shape':(5,7,3,)}",
  };

  for (guint major = 1; major <= 3; major++)
    for (guint d = 0; d < G_N_ELEMENTS (dicts); d++)
      {
        g_autoptr (GBytes) npy = fixture_npy (major, dicts[d], pixels, 7 * 5 * 3);
        g_autofree char *name = g_strdup_printf ("ok-v%u-%u.npy", major, d);
        g_autofree char *path = fixture_write (tmpdir, name, npy);
        g_autofree guint8 *rgb = decode_ok (path, 7, 5);

        g_assert_cmpmem (rgb, 7 * 5 * 3, pixels, 7 * 5 * 3);
      }
}

typedef struct
{
  const char *dict;
  gsize data_bytes;     /* G_MAXSIZE: the 5 x 7 x 3 the header should say */
  const char *needle;
} NpyCase;

static void
test_npy_hostile (void)
{
  static const NpyCase cases[] = {
    { "{'descr': '<f4', 'fortran_order': False, 'shape': (5, 7, 3), }", G_MAXSIZE, "descr: expected '|u1'" },
    { "{'descr': '|i1', 'fortran_order': False, 'shape': (5, 7, 3), }", G_MAXSIZE, "got '|i1'" },
    { "{'descr': 17, 'fortran_order': False, 'shape': (5, 7, 3), }", G_MAXSIZE, "expected a string" },
    { "{'descr': '|u1', 'fortran_order': True, 'shape': (5, 7, 3), }", G_MAXSIZE, "fortran_order: expected False" },
    { "{'descr': '|u1', 'fortran_order': 0, 'shape': (5, 7, 3), }", G_MAXSIZE, "expected a string, True" },
    { "{'descr': '|u1', 'fortran_order': False, 'shape': (35, 3), }", G_MAXSIZE, "shape: expected (H, W, 3)" },
    { "{'descr': '|u1', 'fortran_order': False, 'shape': (5, 7, 1, 3), }", G_MAXSIZE, "got (5, 7, 1, 3)" },
    { "{'descr': '|u1', 'fortran_order': False, 'shape': (5, 7, 4), }", 5 * 7 * 4, "got (5, 7, 4)" },
    { "{'descr': '|u1', 'fortran_order': False, 'shape': (0, 7, 3), }", 0, "H, W > 0" },
    { "{'descr': '|u1', 'fortran_order': False, 'shape': (-5, 7, 3), }", G_MAXSIZE, "negative" },
    { "{'descr': '|u1', 'fortran_order': False, 'shape': (5, 8, 3), }", G_MAXSIZE, "needs 120 bytes" },
    { "{'descr': '|u1', 'fortran_order': False, 'shape': (5, 7, 3), }", 104, "got 104 (truncated" },
    { "{'descr': '|u1', 'fortran_order': False, 'shape': (5, 7, 3), }", 106, "trailing bytes" },
    { "{'descr': '|u1', 'fortran_order': False, 'shape': (1000000000000, 1000000000000, 3), }",
      G_MAXSIZE, "more than 2^64" },
    { "{'descr': '|u1', 'fortran_order': False, 'shape': (2000000000, 2000000000, 3), }",
      G_MAXSIZE, "needs 12000000000000000000 bytes" },
    { "{'descr': '|u1', 'fortran_order': False, 'shape': (99999999999999999999999, 7, 3), }",
      G_MAXSIZE, "fits in 64 bits" },
    { "{'descr': '|u1', 'fortran_order': False}", G_MAXSIZE, "expected a 'shape' key" },
    { "{'descr': '|u1', 'fortran_order': False, 'shape': (5, 7, 3), 'x': 1}", G_MAXSIZE, "got 'x'" },
    { "{'descr': '|u1', 'descr': '|u1', 'fortran_order': False, 'shape': (5, 7, 3)}", G_MAXSIZE, "a second 'descr'" },
    { "{'descr': '|u1', 'fortran_order': False, 'shape': (5, 7, 3)} junk", G_MAXSIZE, "only spaces after" },
    { "{'descr': '|u1, 'fortran_order': False, 'shape': (5, 7, 3)}", G_MAXSIZE, "or ',' after a value" },
    { "{'descr': '|u1', 'fortran_order': False, 'shape': (5, 7, 3)", G_MAXSIZE, "expected '}'" },
    { "{'descr': '\\x7c\\x75\\x31', 'fortran_order': False, 'shape': (5, 7, 3)}", G_MAXSIZE, "plain ASCII" },
    { "['descr', '|u1']", G_MAXSIZE, "expected '{'" },
    { "", G_MAXSIZE, "expected '{'" },
  };
  g_autofree guint8 *pixels = fixture_pattern (8, 6, 3, 2);   /* 144 bytes: the largest case */

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gsize n = cases[i].data_bytes == G_MAXSIZE ? 5 * 7 * 3 : cases[i].data_bytes;
      g_autoptr (GBytes) npy = fixture_npy (1, cases[i].dict, pixels, n);
      g_autofree char *name = g_strdup_printf ("hostile-%u.npy", i);

      assert_rejected (name, npy, EIGML_ERROR, EIGML_ERROR_FORMAT, cases[i].needle);
    }

  /* the preamble: version, header length beyond the file, a cut preamble */
  {
    g_autoptr (GBytes) good = fixture_npy (1, "{'descr': '|u1', 'fortran_order': False, "
                                           "'shape': (5, 7, 3), }", pixels, 105);
    g_autoptr (GBytes) v4 = fixture_mutate (good, g_bytes_get_size (good), 6, 1 ^ 4);
    g_autoptr (GBytes) v11 = fixture_mutate (good, g_bytes_get_size (good), 7, 1);
    g_autoptr (GBytes) long_header = fixture_mutate (good, g_bytes_get_size (good), 9, 0x40);
    g_autoptr (GBytes) cut_preamble = fixture_mutate (good, 9, 0, 0);
    g_autoptr (GBytes) cut_header = fixture_mutate (good, 40, 0, 0);
    g_autoptr (GBytes) v2 = fixture_npy (2, "{'descr': '|u1', 'fortran_order': False, "
                                         "'shape': (5, 7, 3), }", pixels, 105);
    g_autoptr (GBytes) v2_huge_len = fixture_mutate (v2, g_bytes_get_size (v2), 11, 0x80);
    g_autoptr (GBytes) v2_cut = fixture_mutate (v2, 11, 0, 0);

    assert_rejected ("v4.npy", v4, EIGML_ERROR, EIGML_ERROR_FORMAT, "version: expected");
    assert_rejected ("v11.npy", v11, EIGML_ERROR, EIGML_ERROR_FORMAT, "got 1.1");
    assert_rejected ("long-header.npy", long_header, EIGML_ERROR, EIGML_ERROR_FORMAT,
                     "header length: expected at most");
    assert_rejected ("cut-preamble.npy", cut_preamble, EIGML_ERROR, EIGML_ERROR_FORMAT,
                     "at least 10 bytes");
    assert_rejected ("cut-header.npy", cut_header, EIGML_ERROR, EIGML_ERROR_FORMAT, "header length");
    assert_rejected ("v2-huge-len.npy", v2_huge_len, EIGML_ERROR, EIGML_ERROR_FORMAT,
                     "header length");
    assert_rejected ("v2-cut.npy", v2_cut, EIGML_ERROR, EIGML_ERROR_FORMAT, "12 bytes of preamble");
  }

  /* well formed but beyond the size limit */
  {
    g_autofree guint8 *tall = g_malloc0 ((EIGML_IMAGE_MAX_SIDE + 1) * 3);
    g_autofree char *dict = g_strdup_printf ("{'descr': '|u1', 'fortran_order': False, "
                                             "'shape': (%d, 1, 3), }", EIGML_IMAGE_MAX_SIDE + 1);
    g_autoptr (GBytes) npy = fixture_npy (1, dict, tall, (EIGML_IMAGE_MAX_SIDE + 1) * 3);

    assert_rejected ("tall.npy", npy, EIGML_ERROR, EIGML_ERROR_OUT_OF_RANGE, "16385");
  }
}

static void
test_png_exact (void)
{
  for (guint channels = 3; channels <= 4; channels++)
    {
      g_autofree guint8 *pixels = fixture_pattern (23, 17, channels, channels);
      g_autoptr (GBytes) png = fixture_pixbuf_save (pixels, 23, 17, channels, "png", NULL);
      g_autofree char *name = g_strdup_printf ("exact-%u.png", channels);
      g_autofree char *path = fixture_write (tmpdir, name, png);
      g_autofree guint8 *rgb = decode_ok (path, 23, 17);
      g_autofree guint8 *want = expected_rgb (pixels, 23 * 17, channels);

      g_assert_cmpmem (rgb, 23 * 17 * 3, want, 23 * 17 * 3);
    }
}

static void
test_alpha_on_white (void)
{
  /* transparent black, half-transparent red, opaque blue, 1/255 green */
  const guint8 rgba[16] = { 0, 0, 0, 0, 255, 0, 0, 128, 0, 0, 255, 255, 0, 255, 0, 1 };
  const guint8 want[12] = { 255, 255, 255, 255, 127, 127, 0, 0, 255, 254, 255, 254 };
  g_autoptr (GBytes) png = fixture_pixbuf_save (rgba, 2, 2, 4, "png", NULL);
  g_autofree char *path = fixture_write (tmpdir, "alpha.png", png);
  g_autofree guint8 *rgb = decode_ok (path, 2, 2);

  g_assert_cmpmem (rgb, 12, want, 12);
}

static void
test_jpeg_tolerance (void)
{
  g_autofree guint8 *pixels = fixture_smooth (40, 30);
  g_autoptr (GBytes) jpeg = fixture_pixbuf_save (pixels, 40, 30, 3, "jpeg", "95");
  g_autofree char *path = fixture_write (tmpdir, "smooth.jpg", jpeg);
  g_autofree guint8 *rgb = decode_ok (path, 40, 30);
  guint worst = max_abs_diff (rgb, pixels, 40 * 30 * 3);

  g_test_message ("JPEG q95: max |decoded - original| = %u", worst);
  g_assert_cmpuint (worst, <=, 16);
  g_assert_cmpuint (worst, >, 0);   /* lossy: a decoder that returned the source would be a bug */
}

static void
test_gif_first_frame (void)
{
  const guint8 palette[4 * 3] = { 255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30 };
  guint8 frame0[6 * 4], frame1[6 * 4];
  const guint8 *frames[2] = { frame0, frame1 };
  g_autoptr (GBytes) gif = NULL;
  g_autoptr (GBytes) still = NULL;
  g_autofree char *path = NULL;
  g_autofree char *still_path = NULL;
  g_autofree guint8 *rgb = NULL;
  g_autofree guint8 *still_rgb = NULL;

  for (guint i = 0; i < 24; i++)
    {
      frame0[i] = (guint8) (i % 4);      /* index 3 is transparent */
      frame1[i] = 1;
    }
  gif = fixture_gif (6, 4, 6, 4, palette, 4, 3, 2, frames);
  path = fixture_write (tmpdir, "anim.gif", gif);
  rgb = decode_ok (path, 6, 4);
  for (guint i = 0; i < 24; i++)
    {
      const guint8 *want = frame0[i] == 3 ? (const guint8[3]) { 255, 255, 255 } : palette + 3 * frame0[i];

      g_assert_cmpmem (rgb + 3 * i, 3, want, 3);
    }

  /* a still GIF without transparency keeps index 3's colour */
  still = fixture_gif (6, 4, 6, 4, palette, 4, -1, 1, frames);
  still_path = fixture_write (tmpdir, "still.gif", still);
  still_rgb = decode_ok (still_path, 6, 4);
  g_assert_cmpmem (still_rgb + 3 * 3, 3, palette + 9, 3);
}

static void
test_webp (void)
{
  g_autofree guint8 *pixels = fixture_pattern (19, 13, 4, 7);
  g_autofree guint8 *other = fixture_pattern (19, 13, 4, 8);
  g_autofree guint8 *smooth = fixture_smooth (32, 24);
  g_autoptr (GBytes) png = fixture_pixbuf_save (pixels, 19, 13, 4, "png", NULL);
  g_autoptr (GBytes) png2 = fixture_pixbuf_save (other, 19, 13, 4, "png", NULL);
  g_autoptr (GBytes) lossy = fixture_pixbuf_save (smooth, 32, 24, 3, "webp", "90");
  g_autofree char *png_path = fixture_write (tmpdir, "webp-src.png", png);
  g_autofree char *png2_path = fixture_write (tmpdir, "webp-src2.png", png2);
  g_autofree char *lossless = g_build_filename (tmpdir, "lossless.webp", NULL);
  g_autofree char *anim = g_build_filename (tmpdir, "anim.webp", NULL);
  g_autofree char *lossy_path = fixture_write (tmpdir, "lossy.webp", lossy);
  const char *cwebp[] = { "cwebp", "-quiet", "-lossless", "-exact", png_path, "-o", lossless, NULL };
  const char *img2webp[] = { "img2webp", "-lossless", png_path, "-d", "100",
                             png2_path, "-o", anim, NULL };
  g_autofree guint8 *want = expected_rgb (pixels, 19 * 13, 4);
  g_autofree guint8 *rgb = NULL;
  g_autofree guint8 *anim_rgb = NULL;
  g_autofree guint8 *lossy_rgb = NULL;
  guint worst;

  fixture_run_tool (cwebp);
  rgb = decode_ok (lossless, 19, 13);
  g_assert_cmpmem (rgb, 19 * 13 * 3, want, 19 * 13 * 3);

  fixture_run_tool (img2webp);
  anim_rgb = decode_ok (anim, 19, 13);
  g_assert_cmpmem (anim_rgb, 19 * 13 * 3, want, 19 * 13 * 3);

  lossy_rgb = decode_ok (lossy_path, 32, 24);
  worst = max_abs_diff (lossy_rgb, smooth, 32 * 24 * 3);
  g_test_message ("WebP q90: max |decoded - original| = %u", worst);
  g_assert_cmpuint (worst, <=, 40);
  g_assert_cmpuint (worst, >, 0);
}

static void
test_corrupt (void)
{
  g_autofree guint8 *pixels = fixture_pattern (31, 29, 3, 9);
  g_autoptr (GBytes) png = fixture_pixbuf_save (pixels, 31, 29, 3, "png", NULL);
  g_autoptr (GBytes) jpeg = fixture_pixbuf_save (pixels, 31, 29, 3, "jpeg", "90");
  g_autoptr (GBytes) webp = fixture_pixbuf_save (pixels, 31, 29, 3, "webp", "90");
  const guint8 palette[6] = { 0, 0, 0, 255, 255, 255 };
  g_autofree guint8 *indices = g_malloc0 (31 * 29);
  const guint8 *frames[1] = { indices };
  g_autoptr (GBytes) gif = fixture_gif (31, 29, 31, 29, palette, 2, -1, 1, frames);
  static const guint8 odd_webp[31] = { 'R', 'I', 'F', 'F', 23, 0, 0, 0, 'W', 'E', 'B', 'P',
                                       'V', 'P', '8', 'L', 11, 0, 0, 0, 0x2f, 0, 0, 0, 0,
                                       0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
  gsize n_png = g_bytes_get_size (png), n_jpeg = g_bytes_get_size (jpeg);
  gsize n_gif = g_bytes_get_size (gif), n_webp = g_bytes_get_size (webp);
  struct
  {
    const char *name;
    GBytes *data;
    const char *needle;
  } cases[] = {
    { "cut.png", fixture_mutate (png, n_png / 2, 0, 0), "corrupt or truncated PNG" },
    { "flip.png", fixture_mutate (png, n_png, n_png / 2, 0x10), "corrupt or truncated PNG" },
    { "header-only.png", fixture_mutate (png, 20, 0, 0), "corrupt or truncated PNG" },
    { "cut.jpg", fixture_mutate (jpeg, n_jpeg / 2, 0, 0), "corrupt or truncated JPEG" },
    { "soi-only.jpg", fixture_mutate (jpeg, 3, 0, 0), "corrupt or truncated JPEG" },
    { "cut.gif", fixture_mutate (gif, n_gif / 2, 0, 0), "corrupt or truncated GIF" },
    { "header-only.gif", fixture_mutate (gif, 13, 0, 0), "corrupt or truncated GIF" },
    /* a stray byte where a block must start (gdk-pixbuf would skip it) */
    { "stray.gif", fixture_mutate (gif, n_gif, 13 + 384, 0x2c ^ 0x27), "expected a block (21, 2C or 3B)" },
    { "no-image.gif", fixture_gif (4, 4, 4, 4, palette, 2, -1, 0, frames), "expected an image before the trailer" },
    { "cut.webp", fixture_mutate (webp, n_webp / 2, 0, 0), "corrupt or truncated WebP" },
    { "flip.webp", fixture_mutate (webp, n_webp, 12, 0x20), "WebP header" },
    { "tiny.webp", fixture_mutate (webp, 16, 0, 0), "WebP header" },
    /* a last chunk of odd length without its pad byte (a fuzzing find:
     * the chunk walk read past the end) */
    { "odd-chunk.webp", g_bytes_new_static (odd_webp, sizeof odd_webp), "corrupt or truncated WebP" },
    { "empty.png", g_bytes_new_static ("", 0), "empty file" },
    { "image.bmp", g_bytes_new_static ("BM\x36\0\0\0\0\0\0\0\x36\0\0\0", 14), "got a file starting with 42 4d" },
    { "image.svg", g_bytes_new_static ("<svg xmlns='http://www.w3.org/2000/svg'/>", 41), "expected PNG, JPEG, GIF, WebP or .npy" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      assert_rejected (cases[i].name, cases[i].data, EIGML_ERROR, EIGML_ERROR_FORMAT, cases[i].needle);
      g_bytes_unref (cases[i].data);
    }

  /* files that are not there or not files */
  {
    g_autoptr (GError) error = NULL;
    g_autofree char *missing = g_build_filename (tmpdir, "missing.png", NULL);
    guint w, h;

    g_assert_null (eigml_image_decode_file (missing, &w, &h, &error));
    g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
    g_assert_nonnull (strstr (error->message, "missing.png"));
    g_clear_error (&error);
    g_assert_null (eigml_image_decode_file (tmpdir, &w, &h, &error));
    g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL);
    g_assert_nonnull (strstr (error->message, "directory"));
  }
}

/* An 8 x 8 GIF whose image descriptor claims @width x @height. */
static GBytes *
gif_frame_resized (const guint8 *palette,
                   const guint8 *const *frames,
                   guint16 width,
                   guint16 height)
{
  g_autoptr (GBytes) gif = fixture_gif (8, 8, 8, 8, palette, 2, -1, 1, frames);
  gsize at = 13 + 384 + 8;    /* header, screen, global table, graphic control */
  guint8 *copy = g_memdup2 (g_bytes_get_data (gif, NULL), g_bytes_get_size (gif));

  g_assert_cmpint (copy[at], ==, 0x2c);
  copy[at + 5] = (guint8) width;
  copy[at + 6] = (guint8) (width >> 8);
  copy[at + 7] = (guint8) height;
  copy[at + 8] = (guint8) (height >> 8);
  return g_bytes_new_take (copy, g_bytes_get_size (gif));
}

static void
test_huge_dimensions (void)
{
  g_autofree guint8 *pixels = fixture_pattern (8, 8, 3, 3);
  g_autoptr (GBytes) png = fixture_pixbuf_save (pixels, 8, 8, 3, "png", NULL);
  g_autoptr (GBytes) jpeg = fixture_pixbuf_save (pixels, 8, 8, 3, "jpeg", "90");
  const guint8 palette[6] = { 0, 0, 0, 255, 255, 255 };
  g_autofree guint8 *indices = g_malloc0 (64);
  const guint8 *frames[1] = { indices };
  /* VP8L: signature 0x2f, then 14 bits width - 1, 14 bits height - 1 */
  const guint8 vp8l[] = { 'R', 'I', 'F', 'F', 24, 0, 0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8', 'L',
                          10, 0, 0, 0, 0x2f, 0xff, 0xff, 0xff, 0x0f, 0, 0, 0, 0, 0, 0, 0 };
  /* VP8X: flags, then 24 bits canvas width - 1, 24 bits height - 1 */
  const guint8 vp8x[] = { 'R', 'I', 'F', 'F', 24, 0, 0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8', 'X',
                          10, 0, 0, 0, 0x02, 0, 0, 0, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0 };
  struct
  {
    const char *name;
    GBytes *data;
    const char *needle;
  } cases[] = {
    { "huge.png", fixture_png_resize_header (png, 100000, 100000), "got 100000 x 100000" },
    { "wide.png", fixture_png_resize_header (png, EIGML_IMAGE_MAX_SIDE + 1, 1), "got 16385 x 1" },
    { "many.png", fixture_png_resize_header (png, 9000, 9000), "got 9000 x 9000" },
    { "huge.jpg", fixture_jpeg_resize_header (jpeg, 60000, 60000), "got 60000 x 60000" },
    { "huge.gif", fixture_gif (20000, 20000, 8, 8, palette, 2, -1, 1, frames), "got 20000 x 20000" },
    { "huge-vp8l.webp", g_bytes_new_static (vp8l, sizeof vp8l), "got 16384 x 16384" },
    { "huge-vp8x.webp", g_bytes_new_static (vp8x, sizeof vp8x), "got 16777216 x 1" },
    /* within the limits, but far more pixels than the file could hold */
    { "bomb.png", fixture_png_resize_header (png, 4000, 4000), "bytes of compressed data" },
    { "bomb.jpg", fixture_jpeg_resize_header (jpeg, 5000, 5000), "bytes of compressed data" },
    { "bomb.gif", fixture_gif (4000, 2000, 8, 8, palette, 2, -1, 1, frames), "got 4000 x 2000" },
    /* a small screen with a huge first frame (a fuzzing find: gdk-pixbuf
     * allocates the frame's buffer whatever the screen) */
    { "frame-bomb.gif", gif_frame_resized (palette, frames, 16000, 4000), "got 16000 x 4000" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      assert_rejected (cases[i].name, cases[i].data, EIGML_ERROR, EIGML_ERROR_OUT_OF_RANGE,
                       cases[i].needle);
      g_bytes_unref (cases[i].data);
    }

  /* a flat 2048 x 1024 image compresses well but within the budget */
  {
    g_autofree guint8 *flat = g_malloc ((gsize) 2048 * 1024 * 3);
    g_autoptr (GBytes) big = NULL;
    g_autofree char *path = NULL;
    g_autofree guint8 *rgb = NULL;

    memset (flat, 200, (gsize) 2048 * 1024 * 3);
    big = fixture_pixbuf_save (flat, 2048, 1024, 3, "png", NULL);
    g_test_message ("flat 2048 x 1024 PNG: %" G_GSIZE_FORMAT " bytes", g_bytes_get_size (big));
    path = fixture_write (tmpdir, "flat-big.png", big);
    rgb = decode_ok (path, 2048, 1024);
    g_assert_cmpmem (rgb, (gsize) 2048 * 1024 * 3, flat, (gsize) 2048 * 1024 * 3);
  }
}

static void
test_resize (void)
{
  static const guint sizes[][2] = { { 37, 53 }, { 300, 200 }, { 128, 128 }, { 11, 20 }, { 1, 1 }, { 500, 3 } };
  g_autoptr (EigmlImageProcessor) proc = eigml_image_processor_new (64);
  const float zero[3] = { 0, 0, 0 }, one[3] = { 1, 1, 1 };
  g_autoptr (GError) error = NULL;

  eigml_image_processor_set_normalization (proc, zero, 3, one, 3, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      guint w = sizes[i][0], h = sizes[i][1];
      g_autofree guint8 *pixels = fixture_smooth (w, h);
      g_autofree guint8 *flat = g_malloc ((gsize) w * h * 3);
      g_autoptr (GBytes) bytes = g_bytes_new (pixels, (gsize) w * h * 3);
      g_autoptr (GBytes) flat_bytes = NULL;
      g_autoptr (EigmlTensor) t = eigml_image_processor_process (proc, bytes, w, h, 0, 0, &error);
      g_autoptr (EigmlTensor) tf = NULL;
      const float *out, *outf;
      g_autofree double *ref = g_new (double, 64 * 64 * 3);
      double worst = 0.0, sum = 0.0;

      g_assert_no_error (error);
      out = eigml_tensor_peek_data (t);
      fixture_reference_resize (pixels, w, h, ref, 64, 64);
      for (guint c = 0; c < 3; c++)
        for (guint p = 0; p < 64 * 64; p++)
          {
            double d = fabs (out[c * 64 * 64 + p] * 255.0 - ref[p * 3 + c]);

            worst = MAX (worst, d);
            sum += d;
          }
      g_test_message ("%ux%u -> 64: max %.3f, mean %.4f (8-bit units) from float64 bicubic", w, h,
                      worst, sum / (64 * 64 * 3));
      g_assert_cmpfloat (worst, <=, 2.0);
      g_assert_cmpfloat (sum / (64 * 64 * 3), <=, 0.5);

      /* a flat image stays flat exactly, whatever the scale */
      for (gsize k = 0; k < (gsize) w * h; k++)
        memcpy (flat + 3 * k, (const guint8[3]) { 200, 13, 0 }, 3);
      flat_bytes = g_bytes_new (flat, (gsize) w * h * 3);
      tf = eigml_image_processor_process (proc, flat_bytes, w, h, 0, 0, &error);
      g_assert_no_error (error);
      outf = eigml_tensor_peek_data (tf);
      for (guint p = 0; p < 64 * 64; p++)
        {
          g_assert_cmpfloat (outf[p], ==, 200.0f / 255.0f);
          g_assert_cmpfloat (outf[64 * 64 + p], ==, 13.0f / 255.0f);
          g_assert_cmpfloat (outf[2 * 64 * 64 + p], ==, 0.0f);
        }
    }

  /* same size: the pixels themselves */
  {
    g_autofree guint8 *pixels = fixture_pattern (64, 64, 3, 4);
    g_autoptr (GBytes) bytes = g_bytes_new (pixels, 64 * 64 * 3);
    g_autoptr (EigmlTensor) t = eigml_image_processor_process (proc, bytes, 64, 64, 0, 0, &error);
    const float *out = eigml_tensor_peek_data (t);

    g_assert_no_error (error);
    for (guint c = 0; c < 3; c++)
      for (guint p = 0; p < 64 * 64; p++)
        g_assert_cmpfloat (out[c * 64 * 64 + p], ==, pixels[3 * p + c] / 255.0f);
  }
}

static void
test_normalization (void)
{
  const guint8 value[3] = { 200, 17, 255 };
  g_autoptr (EigmlImageProcessor) proc = eigml_image_processor_new (5);
  g_autoptr (GBytes) bytes = g_bytes_new (value, 3);
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlTensor) t = eigml_image_processor_process (proc, bytes, 1, 1, 0, 0, &error);
  const float mean[3] = { 0.485f, 0.456f, 0.406f }, std[3] = { 0.229f, 0.224f, 0.225f };
  const float bad_std[3] = { 1.0f, 0.0f, 1.0f };
  const float *out;
  gsize n = 0;

  g_assert_no_error (error);
  g_assert_cmpint (eigml_tensor_get_n_dims (t), ==, 3);
  g_assert_cmpint (eigml_tensor_get_dim (t, 0), ==, 3);
  g_assert_cmpint (eigml_tensor_get_dim (t, 1), ==, 5);
  out = eigml_tensor_peek_data (t);
  for (guint c = 0; c < 3; c++)
    for (guint p = 0; p < 25; p++)
      g_assert_cmpfloat (out[c * 25 + p], ==, ((float) value[c] / 255.0f - mean[c]) / std[c]);
  g_assert_cmpmem (eigml_image_processor_get_mean (proc, &n), sizeof mean, mean, sizeof mean);
  g_assert_cmpuint (n, ==, 3);

  g_assert_false (eigml_image_processor_set_normalization (proc, mean, 2, std, 3, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (eigml_image_processor_set_normalization (proc, mean, 3, bad_std, 3, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "channel 1"));
  g_clear_error (&error);

  /* pixels that do not match the stated size */
  g_assert_null (eigml_image_processor_process (proc, bytes, 2, 1, 0, 0, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE);
  g_clear_error (&error);

  /* inverted crop ranges */
  g_object_set (proc, "train", TRUE, "scale-min", 0.9, "scale-max", 0.8, NULL);
  g_assert_null (eigml_image_processor_process (proc, bytes, 1, 1, 0, 0, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "scale-min"));
}

static void
test_crop (void)
{
  g_autoptr (EigmlImageProcessor) proc = eigml_image_processor_new (32);
  g_autoptr (GError) error = NULL;
  guint n_same_epoch = 0, n_same_seed = 0;
  double scale_sum = 0.0;
  const guint W = 1000, H = 800, N = 2000;

  for (guint64 i = 0; i < N; i++)
    {
      guint l, t, w, h, l2, t2, w2, h2, l3, t3, w3, h3;
      double area, ratio;

      g_assert_true (eigml_image_processor_get_crop (proc, W, H, i, 3, &l, &t, &w, &h, &error));
      g_assert_no_error (error);
      eigml_image_processor_get_crop (proc, W, H, i, 3, &l2, &t2, &w2, &h2, NULL);
      g_assert_true (l == l2 && t == t2 && w == w2 && h == h2);   /* reproducible */
      g_assert_cmpuint (l + w, <=, W);
      g_assert_cmpuint (t + h, <=, H);
      area = (double) w * h / (W * H);
      ratio = (double) w / h;
      g_assert_cmpfloat (area, >=, 0.75 - 0.005);
      g_assert_cmpfloat (area, <=, 1.0);
      g_assert_cmpfloat (ratio, >=, 0.75 - 0.005);
      g_assert_cmpfloat (ratio, <=, 4.0 / 3.0 + 0.005);
      scale_sum += area;

      eigml_image_processor_get_crop (proc, W, H, i, 4, &l3, &t3, &w3, &h3, NULL);
      n_same_epoch += l == l3 && t == t3 && w == w3 && h == h3;
      eigml_image_processor_set_seed (proc, 7);
      eigml_image_processor_get_crop (proc, W, H, i, 3, &l3, &t3, &w3, &h3, NULL);
      n_same_seed += l == l3 && t == t3 && w == w3 && h == h3;
      eigml_image_processor_set_seed (proc, 42);
    }
  /* crops that fit are accepted more often when they are small, so the
   * mean area is below the middle of [0.75, 1]: torchvision 0.14's
   * get_params gives 0.8431 (std 0.065) over 20000 draws on 1000 x 800 */
  g_test_message ("mean crop area %.4f; same crop at another epoch %u/%u, another seed %u/%u",
                  scale_sum / N, n_same_epoch, N, n_same_seed, N);
  g_assert_cmpfloat (fabs (scale_sum / N - 0.8431), <, 0.008);
  g_assert_cmpuint (n_same_epoch, <, N / 100);
  g_assert_cmpuint (n_same_seed, <, N / 100);

  /* training output = the crop's pixels resized, as eval does */
  {
    g_autofree guint8 *pixels = fixture_pattern (50, 40, 3, 5);
    g_autoptr (GBytes) bytes = g_bytes_new (pixels, 50 * 40 * 3);
    guint l, t, w, h;
    g_autofree guint8 *crop = NULL;
    g_autoptr (GBytes) crop_bytes = NULL;
    g_autoptr (EigmlTensor) augmented = NULL;
    g_autoptr (EigmlTensor) plain = NULL;

    eigml_image_processor_get_crop (proc, 50, 40, 11, 2, &l, &t, &w, &h, &error);
    g_assert_no_error (error);
    g_assert_true (w < 50 || h < 40);
    crop = g_malloc ((gsize) w * h * 3);
    for (guint y = 0; y < h; y++)
      memcpy (crop + (gsize) y * w * 3, pixels + ((gsize) (t + y) * 50 + l) * 3, (gsize) w * 3);
    crop_bytes = g_bytes_new (crop, (gsize) w * h * 3);
    plain = eigml_image_processor_process (proc, crop_bytes, w, h, 11, 2, &error);
    g_assert_no_error (error);
    eigml_image_processor_set_train (proc, TRUE);
    augmented = eigml_image_processor_process (proc, bytes, 50, 40, 11, 2, &error);
    g_assert_no_error (error);
    g_assert_cmpmem (eigml_tensor_peek_data (augmented), eigml_tensor_get_n_bytes (augmented),
                     eigml_tensor_peek_data (plain), eigml_tensor_get_n_bytes (plain));
  }
}

static void
test_batch (void)
{
  g_autoptr (EigmlImageProcessor) proc = eigml_image_processor_new (24);
  g_autoptr (GError) error = NULL;
  g_autofree guint8 *a = fixture_pattern (64, 64, 4, 11);
  g_autofree guint8 *b = fixture_pattern (13, 41, 3, 12);
  g_autoptr (GBytes) png = fixture_pixbuf_save (a, 64, 64, 4, "png", NULL);
  g_autoptr (GBytes) jpeg = fixture_pixbuf_save (b, 13, 41, 3, "jpeg", "90");
  g_autoptr (GBytes) npy = fixture_npy (1, "{'descr': '|u1', 'fortran_order': False, "
                                        "'shape': (41, 13, 3), }", b, 13 * 41 * 3);
  g_autofree char *p0 = fixture_write (tmpdir, "batch-0.png", png);
  g_autofree char *p1 = fixture_write (tmpdir, "batch-1.jpg", jpeg);
  g_autofree char *p2 = fixture_write (tmpdir, "batch-2.npy", npy);
  g_autofree char *missing = g_build_filename (tmpdir, "batch-missing.png", NULL);
  const char *paths[5] = { p0, p1, p2, p0, p2 };
  const char *bad_paths[4] = { p0, p1, missing, p2 };
  const guint64 indices[5] = { 7, 1000000007, 3, 8, 3 };
  const gsize plane = 3 * 24 * 24;

  eigml_image_processor_set_train (proc, TRUE);
  for (int threads = 1; threads <= 4; threads += 3)
    {
      g_autoptr (EigmlTensor) batch = NULL;
      g_autoptr (EigmlTensor) batch_default = NULL;
      const float *data;

      omp_set_num_threads (threads);
      batch = eigml_image_processor_load_batch (proc, paths, 5, indices, 5, 9, &error);
      g_assert_no_error (error);
      g_assert_cmpint (eigml_tensor_get_n_dims (batch), ==, 4);
      g_assert_cmpint (eigml_tensor_get_dim (batch, 0), ==, 5);
      data = eigml_tensor_peek_data (batch);
      for (guint i = 0; i < 5; i++)
        {
          guint w, h;
          g_autoptr (GBytes) rgb = eigml_image_decode_file (paths[i], &w, &h, &error);
          g_autoptr (EigmlTensor) one = eigml_image_processor_process (proc, rgb, w, h, indices[i], 9, &error);

          g_assert_no_error (error);
          g_assert_cmpmem (data + i * plane, plane * sizeof (float), eigml_tensor_peek_data (one),
                           plane * sizeof (float));
        }
      /* same file, different index: different crop (items 0 and 3) */
      g_assert_true (memcmp (data, data + 3 * plane, plane * sizeof (float)) != 0);
      /* same file, same index: same crop (items 2 and 4) */
      g_assert_cmpmem (data + 2 * plane, plane * sizeof (float), data + 4 * plane, plane * sizeof (float));

      /* without indices, item i has index i */
      batch_default = eigml_image_processor_load_batch (proc, paths, 3, NULL, 0, 9, &error);
      g_assert_no_error (error);
      {
        guint w, h;
        g_autoptr (GBytes) rgb = eigml_image_decode_file (p1, &w, &h, &error);
        g_autoptr (EigmlTensor) one = eigml_image_processor_process (proc, rgb, w, h, 1, 9, &error);

        g_assert_cmpmem ((const float *) eigml_tensor_peek_data (batch_default) + plane,
                         plane * sizeof (float), eigml_tensor_peek_data (one), plane * sizeof (float));
      }
    }
  omp_set_num_threads (2);

  /* the first failing item, by position, names its file */
  g_assert_null (eigml_image_processor_load_batch (proc, bad_paths, 4, NULL, 0, 0, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_assert_nonnull (strstr (error->message, "item 2 of 4"));
  g_assert_nonnull (strstr (error->message, "batch-missing.png"));
  g_clear_error (&error);
  g_assert_null (eigml_image_processor_load_batch (proc, paths, 5, indices, 4, 0, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (eigml_image_processor_load_batch (proc, paths, 0, NULL, 0, 0, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
}

static void
test_load_bytes_equals_file (void)
{
  g_autoptr (EigmlImageProcessor) proc = eigml_image_processor_new (16);
  g_autofree guint8 *rgba = fixture_pattern (21, 18, 4, 21);
  g_autofree guint8 *smooth = fixture_smooth (21, 18);
  const guint8 palette[6] = { 0, 0, 0, 255, 255, 255 };
  const guint8 *frames[1] = { rgba };
  GBytes *files[] = {
    fixture_pixbuf_save (rgba, 21, 18, 4, "png", NULL),
    fixture_pixbuf_save (smooth, 21, 18, 3, "jpeg", "90"),
    fixture_gif (21, 18, 21, 18, palette, 2, -1, 1, frames),
    fixture_pixbuf_save (rgba, 21, 18, 4, "webp", "90"),
    fixture_npy (1, "{'descr': '|u1', 'fortran_order': False, 'shape': (18, 21, 3), }", smooth,
                 21 * 18 * 3),
  };
  const char *names[] = { "bytes.png", "bytes.jpg", "bytes.gif", "bytes.webp", "bytes.npy" };

  /* GIF indices must be palette entries: keep the low bit of the pattern */
  for (guint i = 0; i < 21 * 18; i++)
    rgba[i] &= 1;
  g_bytes_unref (files[2]);
  files[2] = fixture_gif (21, 18, 21, 18, palette, 2, -1, 1, frames);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *path = fixture_write (tmpdir, names[i], files[i]);
      g_autoptr (EigmlTensor) from_file = NULL;
      g_autoptr (EigmlTensor) from_bytes = NULL;

      from_file = eigml_image_processor_load_file (proc, path, &error);
      g_assert_no_error (error);
      from_bytes = eigml_image_processor_load_bytes (proc, files[i], &error);
      g_assert_no_error (error);
      g_assert_cmpmem (eigml_tensor_peek_data (from_file), eigml_tensor_get_n_bytes (from_file),
                       eigml_tensor_peek_data (from_bytes), eigml_tensor_get_n_bytes (from_bytes));
      g_bytes_unref (files[i]);
    }
}

static void
remove_tmpdir (void)
{
  g_autoptr (GDir) dir = g_dir_open (tmpdir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (tmpdir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (tmpdir);
}

int
main (int argc,
      char **argv)
{
  g_autoptr (GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("eigml-images-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/cpu/images/npy/decode", test_npy_decode);
  g_test_add_func ("/cpu/images/npy/hostile", test_npy_hostile);
  g_test_add_func ("/cpu/images/png/exact", test_png_exact);
  g_test_add_func ("/cpu/images/png/alpha-on-white", test_alpha_on_white);
  g_test_add_func ("/cpu/images/jpeg/tolerance", test_jpeg_tolerance);
  g_test_add_func ("/cpu/images/gif/first-frame", test_gif_first_frame);
  g_test_add_func ("/cpu/images/webp/decode", test_webp);
  g_test_add_func ("/cpu/images/corrupt", test_corrupt);
  g_test_add_func ("/cpu/images/huge-dimensions", test_huge_dimensions);
  g_test_add_func ("/cpu/images/resize", test_resize);
  g_test_add_func ("/cpu/images/normalization", test_normalization);
  g_test_add_func ("/cpu/images/random-crop", test_crop);
  g_test_add_func ("/cpu/images/batch", test_batch);
  g_test_add_func ("/cpu/images/bytes-equal-file", test_load_bytes_equals_file);
  status = g_test_run ();
  remove_tmpdir ();
  g_free (tmpdir);
  return status;
}
