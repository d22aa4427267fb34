/* safetensors-write.c: writing safetensors files, atomically
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Keys are written in byte order of their names (deterministic output);
 * data is laid out widest element type first, then by name, so that every
 * tensor starts at a multiple of its element size. The header is padded
 * with spaces so the data section starts at a multiple of 8. The file is
 * written to a temporary file in the same directory, synced, then renamed
 * over the destination: a crash leaves the old file or the new one.
 */
#include "config.h"

#include "safetensors.h"
#include "eigml-error.h"
#include "eigml-tensor-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

typedef struct
{
  const char *name;
  EigmlTensor *tensor;
  guint64 begin;
  guint64 end;
} WriteItem;

static const char *
dtype_name (EigmlDType dtype)
{
  switch (dtype)
    {
    case EIGML_DTYPE_F32:
      return "F32";
    case EIGML_DTYPE_F16:
      return "F16";
    case EIGML_DTYPE_I32:
      return "I32";
    default:
      g_assert_not_reached ();
    }
}

static int
compare_by_name (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (((const WriteItem *) a)->name, ((const WriteItem *) b)->name);
}

static int
compare_by_layout (gconstpointer a,
                   gconstpointer b)
{
  const WriteItem *ia = a, *ib = b;
  gsize sa = eigml_dtype_get_size (eigml_tensor_get_dtype (ia->tensor));
  gsize sb = eigml_dtype_get_size (eigml_tensor_get_dtype (ib->tensor));

  if (sa != sb)
    return sa > sb ? -1 : 1;
  return strcmp (ia->name, ib->name);
}

static void
append_json_string (GString *out,
                    const char *s)
{
  g_string_append_c (out, '"');
  for (const char *p = s; *p; p++)
    {
      guchar c = (guchar) *p;
      if (c == '"' || c == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, (char) c);
        }
      else if (c < 0x20)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_c (out, (char) c);
    }
  g_string_append_c (out, '"');
}

static gboolean
write_all (int fd,
           const void *buf,
           gsize len,
           const char *file,
           GError **error)
{
  const guint8 *p = buf;

  while (len > 0)
    {
      gssize n = write (fd, p, MIN (len, (gsize) 1 << 30));
      if (n < 0)
        {
          int saved = errno;
          if (saved == EINTR)
            continue;
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                       "%s: cannot write: %s", file, g_strerror (saved));
          return FALSE;
        }
      p += n;
      len -= (gsize) n;
    }
  return TRUE;
}

/* Writes a tensor's data little-endian, whatever the host's byte order. */
static gboolean
write_tensor_data (int fd,
                   EigmlTensor *tensor,
                   const char *file,
                   GError **error)
{
  const guint8 *data = eigml_tensor_peek_data (tensor);
  gsize n_bytes = eigml_tensor_get_n_bytes (tensor);
  gsize esize = eigml_dtype_get_size (eigml_tensor_get_dtype (tensor));
  guint8 chunk[65536];

  if (G_BYTE_ORDER == G_LITTLE_ENDIAN)
    return write_all (fd, data, n_bytes, file, error);
  for (gsize done = 0; done < n_bytes;)
    {
      gsize len = MIN (sizeof chunk, n_bytes - done);
      for (gsize i = 0; i < len; i += esize)
        for (gsize b = 0; b < esize; b++)
          chunk[i + b] = data[done + i + esize - 1 - b];
      if (!write_all (fd, chunk, len, file, error))
        return FALSE;
      done += len;
    }
  return TRUE;
}

static GString *
build_header (WriteItem *items,
              guint n_items)
{
  GString *json = g_string_new ("{\"__metadata__\":{\"format\":\"pt\"}");

  for (guint i = 0; i < n_items; i++)
    {
      guint n_dims;
      const gint64 *shape = eigml_tensor_get_shape (items[i].tensor, &n_dims);

      g_string_append_c (json, ',');
      append_json_string (json, items[i].name);
      g_string_append_printf (json, ":{\"dtype\":\"%s\",\"shape\":[",
                              dtype_name (eigml_tensor_get_dtype (items[i].tensor)));
      for (guint d = 0; d < n_dims; d++)
        g_string_append_printf (json, "%s%" G_GINT64_FORMAT, d ? "," : "", shape[d]);
      g_string_append_printf (json, "],\"data_offsets\":[%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT
                              "]}", items[i].begin, items[i].end);
    }
  g_string_append_c (json, '}');
  /* pad so that 8 + length is a multiple of 8, as the format asks */
  while (json->len % 8 != 0)
    g_string_append_c (json, ' ');
  return json;
}

/**
 * eigml_safetensors_save:
 * @path: the destination
 * @tensors: name -> #EigmlTensor (f32, f16 or i32)
 * @error: return location for a #GError
 *
 * Writes @tensors as a safetensors file, atomically.
 */
gboolean
eigml_safetensors_save (const char *path,
                        GHashTable *tensors,
                        GError **error)
{
  g_autofree char *file = g_filename_display_name (path);
  g_autofree char *tmp_path = NULL;
  g_autofree WriteItem *items = NULL;
  g_autoptr (GString) json = NULL;
  GHashTableIter iter;
  gpointer key, value;
  guint n_items = 0;
  guint64 offset = 0, header_len;
  int fd;

  items = g_new0 (WriteItem, MAX (g_hash_table_size (tensors), 1));
  g_hash_table_iter_init (&iter, tensors);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      if (!g_utf8_validate (key, -1, NULL) || strcmp (key, "__metadata__") == 0)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                       "%s: tensor name: expected UTF-8 other than '__metadata__', got '%s'",
                       file, (const char *) key);
          return FALSE;
        }
      items[n_items].name = key;
      items[n_items].tensor = value;
      n_items++;
    }

  /* data layout: widest elements first, then by name */
  qsort (items, n_items, sizeof (WriteItem), compare_by_layout);
  for (guint i = 0; i < n_items; i++)
    {
      items[i].begin = offset;
      offset += eigml_tensor_get_n_bytes (items[i].tensor);
      items[i].end = offset;
    }
  /* header: by name */
  qsort (items, n_items, sizeof (WriteItem), compare_by_name);
  json = build_header (items, n_items);
  qsort (items, n_items, sizeof (WriteItem), compare_by_layout);

  tmp_path = g_strdup_printf ("%s.XXXXXX", path);
  fd = g_mkstemp_full (tmp_path, O_WRONLY | O_CLOEXEC, 0666);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "%s: cannot create a temporary file beside it: %s", file, g_strerror (saved));
      return FALSE;
    }

  header_len = GUINT64_TO_LE ((guint64) json->len);
  {
    gboolean ok = write_all (fd, &header_len, 8, file, error)
                  && write_all (fd, json->str, json->len, file, error);
    for (guint i = 0; ok && i < n_items; i++)
      ok = write_tensor_data (fd, items[i].tensor, file, error);
    if (ok && fsync (fd) != 0)
      {
        int saved = errno;
        g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                     "%s: cannot sync to disk: %s", file, g_strerror (saved));
        ok = FALSE;
      }
    if (close (fd) != 0 && ok)
      {
        int saved = errno;
        g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                     "%s: cannot close: %s", file, g_strerror (saved));
        ok = FALSE;
      }
    if (ok && g_rename (tmp_path, path) != 0)
      {
        int saved = errno;
        g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                     "%s: cannot rename the temporary file over it: %s", file,
                     g_strerror (saved));
        ok = FALSE;
      }
    if (!ok)
      g_unlink (tmp_path);
    return ok;
  }
}
