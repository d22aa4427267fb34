/* image-decode.c: files and buffers to packed RGB8 pixels
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * PNG, JPEG, GIF and WebP go through gdk-pixbuf (WebP through Debian's
 * webp-pixbuf-loader, found at run time); .npy through image-npy.c. The
 * format is recognised from the first bytes and only these four gdk-pixbuf
 * loaders are ever asked, so no other loader (SVG, TGA, ICO, ...) sees
 * untrusted data.
 *
 * Size guard: gdk-pixbuf reports the dimensions through "size-prepared"
 * before it allocates the pixel buffer; when they exceed the limits the
 * handler asks for a 0 x 0 image, which makes the PNG, JPEG and GIF loaders
 * stop without allocating (the mechanism of gdk_pixbuf_get_file_info(),
 * which works on memory as well as on files here). webp-pixbuf-loader 0.2
 * ignores that request and allocates anyway, so the size of a WebP image is
 * read from its first chunk before it is decoded (image-structure.c).
 *
 * Decompression bombs: a compressed image may hold at most
 * EIGML_IMAGE_PIXELS_PER_BYTE pixels per byte of file (at least
 * EIGML_IMAGE_PIXEL_FLOOR), so what gdk-pixbuf and Eigml allocate is
 * bounded by the size of the input, not by what its header claims.
 *
 * Completeness: image-structure.c checks that a PNG, JPEG or WebP container
 * is whole before decoding (the loaders accept some truncated files), and a
 * PNG must deliver every row ("area-updated") to count as decoded; of a GIF
 * only the blocks up to the end of the first image reach gdk-pixbuf.
 *
 * Alpha is composited on opaque white and rounded to nearest:
 * c' = round ((c * a + 255 * (255 - a)) / 255), which is bit-identical to
 * PIL's Image.alpha_composite() over a white RGBA background.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <gdk-pixbuf/gdk-pixbuf.h>

#include "eigml-error.h"
#include "image.h"

typedef struct
{
  const char *loader;   /* gdk-pixbuf's name for the format */
  const char *label;    /* for messages */
} ImageFormat;

static const ImageFormat format_png = { "png", "PNG" };
static const ImageFormat format_jpeg = { "jpeg", "JPEG" };
static const ImageFormat format_gif = { "gif", "GIF" };
static const ImageFormat format_webp = { "webp", "WebP" };

typedef struct
{
  const char *name;
  gboolean refused;
  int width;
  int height;
  GError *error;        /* why the size was refused */
  guint8 *rows_seen;    /* one flag per row, set by "area-updated" */
  gsize data_size;      /* bytes of compressed data */
} SizeGuard;

gboolean
eigml_image_check_dimensions (const char *name,
                              guint64 width,
                              guint64 height,
                              GError **error)
{
  if (width == 0 || height == 0 || width > EIGML_IMAGE_MAX_SIDE || height > EIGML_IMAGE_MAX_SIDE ||
      width * height > EIGML_IMAGE_MAX_PIXELS)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_OUT_OF_RANGE,
                   "%s: size: expected 1 to %d pixels per side and at most %d pixels, "
                   "got %" G_GUINT64_FORMAT " x %" G_GUINT64_FORMAT, name, EIGML_IMAGE_MAX_SIDE,
                   EIGML_IMAGE_MAX_PIXELS, width, height);
      return FALSE;
    }
  return TRUE;
}

gboolean
eigml_image_check_budget (const char *name,
                          guint64 width,
                          guint64 height,
                          gsize data_size,
                          GError **error)
{
  guint64 budget = MAX ((guint64) data_size * EIGML_IMAGE_PIXELS_PER_BYTE,
                        (guint64) EIGML_IMAGE_PIXEL_FLOOR);

  if (!eigml_image_check_dimensions (name, width, height, error))
    return FALSE;
  if (width * height > budget)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_OUT_OF_RANGE,
                   "%s: size: expected at most %" G_GUINT64_FORMAT " pixels from %" G_GSIZE_FORMAT
                   " bytes of compressed data (%d per byte, at least %d), got %" G_GUINT64_FORMAT
                   " x %" G_GUINT64_FORMAT, name, budget, data_size, EIGML_IMAGE_PIXELS_PER_BYTE,
                   EIGML_IMAGE_PIXEL_FLOOR, width, height);
      return FALSE;
    }
  return TRUE;
}

GBytes *
eigml_image_read_file (const char *path,
                       GError **error)
{
  g_autofree guint8 *buffer = NULL;
  g_autofree char *display = g_filename_display_name (path);
  struct stat st;
  gsize size, got = 0;
  int fd, saved_errno;

  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    {
      saved_errno = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "%s: cannot open: %s", display, g_strerror (saved_errno));
      return NULL;
    }
  if (fstat (fd, &st) != 0)
    {
      saved_errno = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "%s: cannot stat: %s", display, g_strerror (saved_errno));
      close (fd);
      return NULL;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: expected a regular file, got %s",
                   display, S_ISDIR (st.st_mode) ? "a directory" : "a special file");
      close (fd);
      return NULL;
    }
  if (st.st_size > EIGML_IMAGE_MAX_FILE_SIZE)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_OUT_OF_RANGE,
                   "%s: file size: expected at most %d bytes for an image, got %" G_GINT64_FORMAT,
                   display, EIGML_IMAGE_MAX_FILE_SIZE, (gint64) st.st_size);
      close (fd);
      return NULL;
    }
  size = (gsize) st.st_size;
  buffer = g_malloc (MAX (size, 1));
  /* the file may shrink while it is read: keep what is there */
  while (got < size)
    {
      gssize n = read (fd, buffer + got, size - got);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          saved_errno = errno;
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                       "%s: cannot read: %s", display, g_strerror (saved_errno));
          close (fd);
          return NULL;
        }
      if (n == 0)
        break;
      got += (gsize) n;
    }
  close (fd);
  return g_bytes_new_take (g_steal_pointer (&buffer), got);
}

static const ImageFormat *
sniff_format (const guint8 *data,
              gsize size)
{
  if (size >= 8 && memcmp (data, "\x89PNG\r\n\x1a\n", 8) == 0)
    return &format_png;
  if (size >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff)
    return &format_jpeg;
  if (size >= 6 && (memcmp (data, "GIF87a", 6) == 0 || memcmp (data, "GIF89a", 6) == 0))
    return &format_gif;
  if (size >= 12 && memcmp (data, "RIFF", 4) == 0 && memcmp (data + 8, "WEBP", 4) == 0)
    return &format_webp;
  return NULL;
}

static void
on_size_prepared (GdkPixbufLoader *loader,
                  int width,
                  int height,
                  gpointer user_data)
{
  SizeGuard *guard = user_data;

  guard->width = width;
  guard->height = height;
  if (guard->refused)
    return;
  if (width <= 0 || height <= 0 ||
      !eigml_image_check_budget (guard->name, (guint64) width, (guint64) height, guard->data_size,
                                 &guard->error))
    {
      guard->refused = TRUE;
      gdk_pixbuf_loader_set_size (loader, 0, 0);
      return;
    }
  g_free (guard->rows_seen);
  guard->rows_seen = g_malloc0 ((gsize) height);
}

static void
on_area_updated (GdkPixbufLoader *loader,
                 int x,
                 int y,
                 int width,
                 int height,
                 gpointer user_data)
{
  SizeGuard *guard = user_data;

  if (guard->rows_seen == NULL)
    return;
  for (int row = MAX (y, 0); row < y + height && row < guard->height; row++)
    guard->rows_seen[row] = 1;
}

/* The number of rows no "area-updated" covered. */
static int
rows_missing (const SizeGuard *guard)
{
  int missing = 0;

  if (guard->rows_seen == NULL)
    return guard->height;
  for (int row = 0; row < guard->height; row++)
    missing += !guard->rows_seen[row];
  return missing;
}

/* Straight RGB(A)8 rows of a pixbuf to packed RGB8 over white. */
static GBytes *
pixbuf_to_rgb8 (GdkPixbuf *pixbuf,
                const char *name,
                const ImageFormat *format,
                guint *width_out,
                guint *height_out,
                GError **error)
{
  int width = gdk_pixbuf_get_width (pixbuf);
  int height = gdk_pixbuf_get_height (pixbuf);
  int channels = gdk_pixbuf_get_n_channels (pixbuf);
  int rowstride = gdk_pixbuf_get_rowstride (pixbuf);
  gsize length = gdk_pixbuf_get_byte_length (pixbuf);
  const guint8 *pixels = gdk_pixbuf_read_pixels (pixbuf);
  guint8 *out;

  if (!eigml_image_check_dimensions (name, (guint64) MAX (width, 0), (guint64) MAX (height, 0), error))
    return NULL;
  if (gdk_pixbuf_get_colorspace (pixbuf) != GDK_COLORSPACE_RGB ||
      gdk_pixbuf_get_bits_per_sample (pixbuf) != 8 ||
      (channels != 3 && channels != 4) || (channels == 4) != gdk_pixbuf_get_has_alpha (pixbuf) ||
      rowstride < width * channels ||
      length < (gsize) (height - 1) * (gsize) rowstride + (gsize) width * (gsize) channels)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: the %s decoder returned an unexpected pixel layout: expected 8-bit RGB or "
                   "RGBA, got %d channels of %d bits, row stride %d for width %d",
                   name, format->label, channels, gdk_pixbuf_get_bits_per_sample (pixbuf), rowstride,
                   width);
      return NULL;
    }

  out = g_malloc ((gsize) width * (gsize) height * 3);
  for (int y = 0; y < height; y++)
    {
      const guint8 *row = pixels + (gsize) y * (gsize) rowstride;
      guint8 *dst = out + (gsize) y * (gsize) width * 3;

      if (channels == 3)
        {
          memcpy (dst, row, (gsize) width * 3);
          continue;
        }
      for (int x = 0; x < width; x++)
        {
          guint a = row[4 * x + 3];

          for (int c = 0; c < 3; c++)
            dst[3 * x + c] = (guint8) ((row[4 * x + c] * a + 255 * (255 - a) + 127) / 255);
        }
    }
  *width_out = (guint) width;
  *height_out = (guint) height;
  return g_bytes_new_take (out, (gsize) width * (gsize) height * 3);
}

static GBytes *
decode_with_pixbuf (GBytes *data,
                    const char *name,
                    const ImageFormat *format,
                    guint *width,
                    guint *height,
                    GError **error)
{
  g_autoptr (GdkPixbufLoader) loader = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GBytes) checked = NULL;
  SizeGuard guard = { name, FALSE, -1, -1, NULL, NULL, g_bytes_get_size (data) };
  GdkPixbuf *pixbuf;
  gboolean written, closed;
  int missing;

  /* what gdk-pixbuf may see: a complete container (for a GIF, only up to
   * the end of its first image) */
  checked = eigml_image_check_structure (format->loader, data, name, error);
  if (checked == NULL)
    return NULL;
  loader = gdk_pixbuf_loader_new_with_type (format->loader, &local_error);
  if (loader == NULL)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_UNSUPPORTED,
                   "%s: no gdk-pixbuf loader for %s images (%s)%s", name, format->label,
                   local_error->message,
                   format == &format_webp ? "; install webp-pixbuf-loader" : "");
      return NULL;
    }
  g_signal_connect (loader, "size-prepared", G_CALLBACK (on_size_prepared), &guard);
  g_signal_connect (loader, "area-updated", G_CALLBACK (on_area_updated), &guard);
  written = gdk_pixbuf_loader_write_bytes (loader, checked, &local_error);
  /* close even after a failed write: a loader finalised unclosed warns */
  closed = gdk_pixbuf_loader_close (loader, written ? &local_error : NULL);
  missing = rows_missing (&guard);
  g_clear_pointer (&guard.rows_seen, g_free);

  if (guard.refused)
    {
      if (guard.error != NULL)
        g_propagate_error (error, guard.error);
      else
        g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                     "%s: %s header: expected positive dimensions, got %d x %d", name,
                     format->label, guard.width, guard.height);
      return NULL;
    }
  if (!written || !closed)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT, "%s: corrupt or truncated %s image: %s",
                   name, format->label,
                   local_error != NULL ? local_error->message : "the decoder gave no reason");
      return NULL;
    }
  if (format == &format_png && missing > 0)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: corrupt or truncated PNG image: expected %d rows of pixel data, got %d",
                   name, guard.height, guard.height - missing);
      return NULL;
    }
  pixbuf = gdk_pixbuf_loader_get_pixbuf (loader);
  if (pixbuf == NULL)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: corrupt or truncated %s image: expected a picture, the decoder produced none",
                   name, format->label);
      return NULL;
    }
  /* for an animation gdk-pixbuf returns its static image: the first frame */
  return pixbuf_to_rgb8 (pixbuf, name, format, width, height, error);
}

GBytes *
eigml_image_decode (GBytes *data,
                    const char *name,
                    guint *width,
                    guint *height,
                    GError **error)
{
  gsize size = 0;
  const guint8 *bytes = g_bytes_get_data (data, &size);
  const ImageFormat *format;

  if (size == 0)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: expected an image, got an empty file (0 bytes)", name);
      return NULL;
    }
  if (eigml_image_is_npy (bytes, size))
    {
      gsize offset = 0;

      if (!eigml_image_npy_parse (bytes, size, name, width, height, &offset, error))
        return NULL;
      return g_bytes_new_from_bytes (data, offset, (gsize) *width * (gsize) *height * 3);
    }
  format = sniff_format (bytes, size);
  if (format == NULL)
    {
      GString *head = g_string_new (NULL);

      for (gsize i = 0; i < MIN (size, 8); i++)
        g_string_append_printf (head, "%s%02x", i ? " " : "", bytes[i]);
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: format: expected PNG, JPEG, GIF, WebP or .npy, got a file starting with %s",
                   name, head->str);
      g_string_free (head, TRUE);
      return NULL;
    }
  return decode_with_pixbuf (data, name, format, width, height, error);
}
