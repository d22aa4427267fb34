/* image-structure.c: container checks that run before gdk-pixbuf decodes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gdk-pixbuf's loaders accept some broken files without an error: a PNG
 * cut short gives the rows it had (the rest uninitialised), a JPEG cut
 * short is finished with grey by libjpeg, webp-pixbuf-loader decodes what
 * it got. These walkers check that the container is complete first:
 *
 * - PNG: chunks from the signature to IEND, each with its length, type and
 *   CRC inside the data (the CRCs themselves are libpng's job);
 * - JPEG: marker segments from SOI to EOI, each length inside the data,
 *   entropy-coded scans skipped to the next marker;
 * - WebP: the RIFF size within the data, the first chunk VP8, VP8L or VP8X
 *   with its signature, every chunk inside the RIFF payload. The canvas
 *   size is checked against the limits here because webp-pixbuf-loader
 *   allocates even when "size-prepared" asks it not to.
 *
 * - GIF: the blocks up to the end of the first image (extensions and their
 *   sub-blocks, colour tables, image data sub-blocks), nothing but a block
 *   introducer between them, the first image within the budget. Only those
 *   bytes and a trailer are given to gdk-pixbuf: its GIF loader decodes
 *   every frame of an animation up front and skips bytes it does not
 *   understand until something looks like a block, so a small hostile file
 *   could otherwise make it allocate frame buffers of any size (found by
 *   fuzzing: 452 MB from 147 bytes).
 */
#include "config.h"

#include <string.h>

#include "eigml-error.h"
#include "image.h"

static guint32
read_le (const guint8 *p,
         guint n)
{
  guint32 v = 0;

  for (guint i = 0; i < n; i++)
    v |= (guint32) p[i] << (8 * i);
  return v;
}

static guint32
read_be (const guint8 *p,
         guint n)
{
  guint32 v = 0;

  for (guint i = 0; i < n; i++)
    v = v << 8 | p[i];
  return v;
}

/* A four-character code with unprintable bytes as \xNN. */
static char *
fourcc (const guint8 *p)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < 4; i++)
    if (g_ascii_isprint (p[i]))
      g_string_append_c (s, (char) p[i]);
    else
      g_string_append_printf (s, "\\x%02x", p[i]);
  return g_string_free (s, FALSE);
}

static gboolean
check_png (const guint8 *data,
           gsize size,
           const char *name,
           GError **error)
{
  gsize pos = 8;

  while (size - pos >= 12)
    {
      guint32 length = read_be (data + pos, 4);
      g_autofree char *type = fourcc (data + pos + 4);

      if (length > size - pos - 12)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s: corrupt or truncated PNG image: chunk '%s' at byte %" G_GSIZE_FORMAT
                       " declares %u bytes of data, expected at most the %" G_GSIZE_FORMAT
                       " left in the file", name, type, pos, length, size - pos - 12);
          return FALSE;
        }
      if (memcmp (data + pos + 4, "IEND", 4) == 0)
        return TRUE;
      pos += 12 + (gsize) length;
    }
  g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
               "%s: corrupt or truncated PNG image: expected chunks up to IEND, got the end of the "
               "data at byte %" G_GSIZE_FORMAT, name, size);
  return FALSE;
}

static gboolean
check_jpeg (const guint8 *data,
            gsize size,
            const char *name,
            GError **error)
{
  gsize pos = 2;   /* after SOI */

  while (pos < size)
    {
      guint marker;
      gsize length;

      if (data[pos] != 0xff)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s: corrupt or truncated JPEG image: expected a marker (FF xx) at byte %"
                       G_GSIZE_FORMAT ", got %02X", name, pos, data[pos]);
          return FALSE;
        }
      while (pos < size && data[pos] == 0xff)
        pos++;
      if (pos == size)
        break;
      marker = data[pos++];
      if (marker == 0xd9)
        return TRUE;
      if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7))
        continue;   /* markers without a length */
      if (size - pos < 2)
        break;
      length = read_be (data + pos, 2);
      if (length < 2 || length > size - pos)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s: corrupt or truncated JPEG image: segment FF%02X at byte %" G_GSIZE_FORMAT
                       " declares %" G_GSIZE_FORMAT " bytes, expected 2 to the %" G_GSIZE_FORMAT
                       " left in the file", name, marker, pos - 2, length, size - pos);
          return FALSE;
        }
      pos += length;
      if (marker != 0xda)
        continue;
      /* entropy-coded data: FF 00 is a stuffed byte, FF D0..D7 a restart */
      while (pos + 1 < size &&
             !(data[pos] == 0xff && data[pos + 1] != 0x00 && data[pos + 1] != 0xff &&
               (data[pos + 1] < 0xd0 || data[pos + 1] > 0xd7)))
        pos++;
      if (pos + 1 >= size)
        break;
    }
  g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
               "%s: corrupt or truncated JPEG image: expected segments up to the end-of-image marker "
               "FF D9, got the end of the data at byte %" G_GSIZE_FORMAT, name, size);
  return FALSE;
}

static gboolean
check_webp (const guint8 *data,
            gsize size,
            const char *name,
            GError **error)
{
  const guint8 *p = data + 20;
  guint32 first_size;
  gsize end, pos = 12;
  guint64 width, height;
  g_autofree char *tag = NULL;

  if (size < 30)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: WebP header: expected at least 30 bytes, got %" G_GSIZE_FORMAT, name, size);
      return FALSE;
    }
  end = (gsize) read_le (data + 4, 4) + 8;
  if (end > size || end < 30)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: corrupt or truncated WebP image: RIFF size: expected 22 to %" G_GSIZE_FORMAT
                   " (the file's size - 8), got %" G_GSIZE_FORMAT, name, size - 8, end - 8);
      return FALSE;
    }

  first_size = read_le (data + 16, 4);
  tag = fourcc (data + 12);
  if (memcmp (data + 12, "VP8 ", 4) == 0 && first_size >= 10 &&
      p[3] == 0x9d && p[4] == 0x01 && p[5] == 0x2a)
    {
      width = read_le (p + 6, 2) & 0x3fff;
      height = read_le (p + 8, 2) & 0x3fff;
    }
  else if (memcmp (data + 12, "VP8L", 4) == 0 && first_size >= 5 && p[0] == 0x2f)
    {
      guint32 bits = read_le (p + 1, 4);

      width = (bits & 0x3fff) + 1;
      height = ((bits >> 14) & 0x3fff) + 1;
    }
  else if (memcmp (data + 12, "VP8X", 4) == 0 && first_size >= 10)
    {
      width = (guint64) read_le (p + 4, 3) + 1;
      height = (guint64) read_le (p + 7, 3) + 1;
    }
  else
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: WebP header: expected a VP8, VP8L or VP8X chunk with its signature, got "
                   "chunk '%s' of %u bytes", name, tag, first_size);
      return FALSE;
    }
  if (!eigml_image_check_budget (name, width, height, size, error))
    return FALSE;

  /* an odd last chunk may end one byte short of its padding: pos > end */
  while (pos < end && end - pos >= 8)
    {
      guint32 length = read_le (data + pos + 4, 4);

      if (length > end - pos - 8)
        {
          g_autofree char *chunk = fourcc (data + pos);

          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s: corrupt or truncated WebP image: chunk '%s' at byte %" G_GSIZE_FORMAT
                       " declares %u bytes, expected at most the %" G_GSIZE_FORMAT " left in the "
                       "RIFF container", name, chunk, pos, length, end - pos - 8);
          return FALSE;
        }
      pos += 8 + (gsize) length + (length & 1);
    }
  return TRUE;
}

/* Skips data sub-blocks (length byte, data) up to the empty one. */
static gboolean
skip_sub_blocks (const guint8 *data,
                 gsize size,
                 gsize *pos)
{
  while (*pos < size)
    {
      guint length = data[*pos];

      if (length == 0)
        {
          (*pos)++;
          return TRUE;
        }
      if (length + 1 > size - *pos)
        return FALSE;
      *pos += length + 1;
    }
  return FALSE;
}

static gsize
color_table_size (guint flags)
{
  return flags & 0x80 ? (gsize) 3 << ((flags & 7) + 1) : 0;
}

/* Returns the length of the data up to the end of the first image. */
static gsize
walk_gif (const guint8 *data,
          gsize size,
          const char *name,
          GError **error)
{
  gsize pos = 13;
  const char *what = "the logical screen descriptor";

  if (size < 13)
    goto truncated;
  if (!eigml_image_check_budget (name, read_le (data + 6, 2), read_le (data + 8, 2), size, error))
    return 0;
  pos += color_table_size (data[10]);
  what = "the global colour table";
  while (pos < size)
    {
      gsize at = pos;

      switch (data[pos])
        {
        case 0x21:   /* extension: label, sub-blocks */
          pos += 2;
          what = "an extension";
          if (pos > size || !skip_sub_blocks (data, size, &pos))
            goto truncated;
          break;

        case 0x2c:   /* image: descriptor, local colour table, LZW code size, sub-blocks */
          what = "the first image";
          if (size - pos < 11)
            goto truncated;
          if (!eigml_image_check_budget (name, read_le (data + pos + 5, 2),
                                         read_le (data + pos + 7, 2), size, error))
            return 0;
          pos += 10 + color_table_size (data[pos + 9]);
          pos += 1;
          if (pos > size || !skip_sub_blocks (data, size, &pos))
            goto truncated;
          return pos;

        case 0x3b:
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s: corrupt or truncated GIF image: expected an image before the trailer "
                       "at byte %" G_GSIZE_FORMAT ", got none", name, at);
          return 0;

        default:
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s: corrupt or truncated GIF image: expected a block (21, 2C or 3B) at byte %"
                       G_GSIZE_FORMAT ", got %02X", name, at, data[at]);
          return 0;
        }
    }
truncated:
  g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
               "%s: corrupt or truncated GIF image: expected the whole of %s, got the end of the "
               "data at byte %" G_GSIZE_FORMAT, name, what, size);
  return 0;
}

GBytes *
eigml_image_check_structure (const char *format,
                             GBytes *bytes,
                             const char *name,
                             GError **error)
{
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  gboolean ok = TRUE;

  if (g_str_equal (format, "png"))
    ok = check_png (data, size, name, error);
  else if (g_str_equal (format, "jpeg"))
    ok = check_jpeg (data, size, name, error);
  else if (g_str_equal (format, "webp"))
    ok = check_webp (data, size, name, error);
  else if (g_str_equal (format, "gif"))
    {
      gsize end = walk_gif (data, size, name, error);
      GByteArray *first;

      if (end == 0)
        return NULL;
      /* the first image and a trailer: gdk-pixbuf sees one frame */
      first = g_byte_array_sized_new ((guint) end + 1);
      g_byte_array_append (first, data, (guint) end);
      g_byte_array_append (first, (const guint8 *) "\x3b", 1);
      return g_byte_array_free_to_bytes (first);
    }
  return ok ? g_bytes_ref (bytes) : NULL;
}
