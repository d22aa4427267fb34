/* torch.c: PyTorch checkpoints (torch.save), read without Python
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Two layouts exist:
 *  - zip (torch >= 1.6, the default since): <archive>/data.pkl holds the
 *    pickled object, <archive>/data/<key> each storage's raw bytes,
 *    stored uncompressed and read in place from the mapped file;
 *  - legacy (torch < 1.6, or _use_new_zipfile_serialization=False): five
 *    pickles in a row (magic number, protocol version, system info, the
 *    object, the list of storage keys), then each storage as an int64
 *    element count followed by its bytes, in the order of that list.
 * The still older tar layout (torch < 0.4) is refused.
 */
#include "config.h"

#include "torch-private.h"
#include "zip.h"
#include "eigml-error.h"

#include <string.h>

/* PROTO 2, LONG1 of 10 bytes: torch's magic number 0x1950a86a20f9469cfc6c */
static const guint8 legacy_magic[] = {
  0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19,
};
#define LEGACY_PROTOCOL_VERSION 1001

gboolean
eigml_torch_is_candidate (const guint8 *data,
                          gsize size)
{
  return eigml_zip_is_candidate (data, size)
         || (size >= sizeof legacy_magic && memcmp (data, legacy_magic, sizeof legacy_magic) == 0);
}

static gsize
output_cap_for (gsize file_size)
{
  if (file_size > (G_MAXSIZE - (1u << 20)) / EIGML_TORCH_OUTPUT_FACTOR)
    return G_MAXSIZE;
  return file_size * EIGML_TORCH_OUTPUT_FACTOR + (1u << 20);
}

/**
 * eigml_torch_load_pickle:
 * @pickle: the pickled object (a data.pkl)
 * @size: its size
 * @file: the file's display name, for messages
 * @member: the pickle's name inside the file, for messages
 * @resolve: finds each storage's bytes
 * @user_data: for @resolve
 * @output_cap: the most bytes the converted tensors may take
 * @error: return location for a #GError
 *
 * The zip layout's second half, also what the pickle fuzzer drives.
 */
GHashTable *
eigml_torch_load_pickle (const guint8 *pickle,
                         gsize size,
                         const char *file,
                         const char *member,
                         EigmlTorchStorageResolver resolve,
                         gpointer user_data,
                         gsize output_cap,
                         GError **error)
{
  g_autoptr (EigmlPickle) unpickler = eigml_pickle_new (file, member);
  EigmlTorchLoader loader;
  EigmlPickleValue *root;
  GHashTable *tensors = NULL;

  eigml_torch_loader_init (&loader, file, member, FALSE, resolve, user_data);
  root = eigml_pickle_load (unpickler, pickle, size, NULL, eigml_torch_persistent_load, &loader,
                            error);
  if (root != NULL)
    tensors = eigml_torch_collect_tensors (&loader, root, output_cap, error);
  eigml_torch_loader_clear (&loader);
  return tensors;
}

typedef struct
{
  EigmlZipArchive *zip;
  const char *file;
  const char *prefix;
} ZipStorages;

static gboolean
resolve_zip_storage (const char *key,
                     EigmlSourceDType dtype,
                     gint64 numel,
                     const guint8 **data,
                     gsize *size,
                     gpointer user_data,
                     GError **error)
{
  ZipStorages *zs = user_data;
  g_autofree char *name = g_strdup_printf ("%s/data/%s", zs->prefix, key);
  const EigmlZipMember *member = eigml_zip_lookup (zs->zip, name);

  if (member == NULL)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: storage '%s': expected a zip member '%s', found none", zs->file, key,
                   name);
      return FALSE;
    }
  return eigml_zip_member_data (zs->zip, member, TRUE, data, size, error);
}

/* The archive's folder: the one top-level folder holding data.pkl. */
static char *
find_archive_prefix (EigmlZipArchive *zip,
                     const char *file,
                     GError **error)
{
  g_autoptr (GString) seen = g_string_new (NULL);
  char *prefix = NULL;

  for (guint i = 0; i < eigml_zip_get_n_members (zip); i++)
    {
      const char *name = eigml_zip_get_member (zip, i)->name;
      const char *slash = strchr (name, '/');
      if (i < 6)
        g_string_append_printf (seen, "%s'%s'", i ? ", " : "", name);
      if (slash == NULL || slash == name || strcmp (slash, "/data.pkl") != 0)
        continue;
      if (prefix != NULL)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s: expected one <archive>/data.pkl member, got '%s/data.pkl' and '%s'",
                       file, prefix, name);
          g_free (prefix);
          return NULL;
        }
      prefix = g_strndup (name, (gsize) (slash - name));
    }
  if (prefix == NULL)
    g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                 "%s: expected a zip archive written by torch.save, with an <archive>/data.pkl "
                 "member; found none among %u members (%s%s)", file,
                 eigml_zip_get_n_members (zip), seen->str,
                 eigml_zip_get_n_members (zip) > 6 ? ", ..." : "");
  return prefix;
}

static GHashTable *
load_zip (const guint8 *data,
          gsize size,
          const char *file,
          GError **error)
{
  g_autoptr (EigmlZipArchive) zip = NULL;
  g_autofree char *prefix = NULL;
  g_autofree char *member_name = NULL;
  g_autofree char *other = NULL;
  const EigmlZipMember *member;
  const guint8 *pkl, *order;
  gsize pkl_size, order_size;
  ZipStorages zs;

  zip = eigml_zip_open (data, size, file, error);
  if (zip == NULL || (prefix = find_archive_prefix (zip, file, error)) == NULL)
    return NULL;

  other = g_strdup_printf ("%s/constants.pkl", prefix);
  if (eigml_zip_lookup (zip, other) != NULL)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_UNSUPPORTED,
                   "%s: expected a torch.save checkpoint, got a TorchScript archive "
                   "(torch.jit.save; it has %s); save model.state_dict() with torch.save",
                   file, other);
      return NULL;
    }
  g_free (other);
  other = g_strdup_printf ("%s/byteorder", prefix);
  member = eigml_zip_lookup (zip, other);
  if (member != NULL)
    {
      if (!eigml_zip_member_data (zip, member, TRUE, &order, &order_size, error))
        return NULL;
      if (order_size != 6 || memcmp (order, "little", 6) != 0)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_UNSUPPORTED,
                       "%s: %s: expected 'little' (little-endian storages), got '%.*s'", file,
                       other, (int) MIN (order_size, 16), (const char *) order);
          return NULL;
        }
    }

  member_name = g_strdup_printf ("%s/data.pkl", prefix);
  member = eigml_zip_lookup (zip, member_name);
  if (!eigml_zip_member_data (zip, member, TRUE, &pkl, &pkl_size, error))
    return NULL;
  zs.zip = zip;
  zs.file = file;
  zs.prefix = prefix;
  return eigml_torch_load_pickle (pkl, pkl_size, file, member_name, resolve_zip_storage, &zs,
                                  output_cap_for (size), error);
}

/* The legacy layout's storages: after the key list, for each key an int64
 * element count and the bytes. */
static gboolean
read_legacy_storages (EigmlTorchLoader *loader,
                      EigmlPickleValue *keys,
                      const guint8 *data,
                      gsize size,
                      gsize pos,
                      GError **error)
{
  if (keys->kind != EIGML_PICKLE_LIST)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: storage key list: expected a list, got %s", loader->file,
                   eigml_pickle_kind_name (keys->kind));
      return FALSE;
    }
  for (guint i = 0; i < keys->list->len; i++)
    {
      EigmlPickleValue *key = keys->list->pdata[i];
      EigmlTorchStorage *storage;
      guint64 numel = 0, n_bytes;

      if (key->kind != EIGML_PICKLE_STRING
          || (storage = g_hash_table_lookup (loader->storages, key->str.data)) == NULL
          || storage->root != NULL)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s: storage key list, item %u: expected the key of a storage the object "
                       "uses, got %s", loader->file, i,
                       key->kind == EIGML_PICKLE_STRING ? key->str.data : "a non-string");
          return FALSE;
        }
      if (storage->resolved)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s: storage key list: expected each key once, got '%s' twice",
                       loader->file, storage->key);
          return FALSE;
        }
      if (size - pos < 8)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s: storage '%s' at byte %" G_GSIZE_FORMAT ": expected an 8-byte element "
                       "count, got the end of the file", loader->file, storage->key, pos);
          return FALSE;
        }
      for (guint b = 0; b < 8; b++)
        numel |= (guint64) data[pos + b] << (8 * b);
      pos += 8;
      if (numel != (guint64) storage->numel)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s: storage '%s' at byte %" G_GSIZE_FORMAT ": element count: expected %"
                       G_GINT64_FORMAT " (from the object), got %" G_GUINT64_FORMAT,
                       loader->file, storage->key, pos - 8, storage->numel, numel);
          return FALSE;
        }
      if (__builtin_mul_overflow (numel, eigml_source_dtype_size (storage->dtype), &n_bytes)
          || n_bytes > size - pos)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s: storage '%s' at byte %" G_GSIZE_FORMAT ": expected %" G_GUINT64_FORMAT
                       " elements of %s, got only %" G_GSIZE_FORMAT " bytes left in the file",
                       loader->file, storage->key, pos, numel,
                       eigml_source_dtype_safetensors_name (storage->dtype), size - pos);
          return FALSE;
        }
      storage->data = data + pos;
      storage->data_size = (gsize) n_bytes;
      storage->resolved = TRUE;
      pos += (gsize) n_bytes;
    }
  return TRUE;
}

static GHashTable *
load_legacy (const guint8 *data,
             gsize size,
             const char *file,
             GError **error)
{
  g_autoptr (EigmlPickle) unpickler = eigml_pickle_new (file, NULL);
  EigmlPickleValue *header[3], *root, *keys, *little;
  EigmlTorchLoader loader;
  GHashTable *tensors = NULL;
  gsize pos = 0, used;

  for (guint i = 0; i < 3; i++)
    {
      header[i] = eigml_pickle_load (unpickler, data + pos, size - pos, &used, NULL, NULL, error);
      if (header[i] == NULL)
        return NULL;
      pos += used;
    }
  if (header[1]->kind != EIGML_PICKLE_INT || header[1]->integer != LEGACY_PROTOCOL_VERSION)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_UNSUPPORTED,
                   "%s: legacy torch.save protocol version: expected %d, got %s%" G_GINT64_FORMAT,
                   file, LEGACY_PROTOCOL_VERSION,
                   header[1]->kind == EIGML_PICKLE_INT ? "" : "a non-integer ",
                   header[1]->kind == EIGML_PICKLE_INT ? header[1]->integer : 0);
      return NULL;
    }
  if (header[2]->kind != EIGML_PICKLE_DICT
      || ((little = eigml_pickle_dict_lookup (header[2], "little_endian")) != NULL
          && (little->kind != EIGML_PICKLE_BOOL || !little->boolean)))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_UNSUPPORTED,
                   "%s: legacy torch.save system info: expected a dict saying little_endian=True, "
                   "got %s", file,
                   header[2]->kind == EIGML_PICKLE_DICT ? "big-endian" : "another value");
      return NULL;
    }

  eigml_torch_loader_init (&loader, file, "object pickle", TRUE, NULL, NULL);
  root = eigml_pickle_load (unpickler, data + pos, size - pos, &used, eigml_torch_persistent_load,
                            &loader, error);
  if (root != NULL)
    {
      pos += used;
      keys = eigml_pickle_load (unpickler, data + pos, size - pos, &used, NULL, NULL, error);
      if (keys != NULL && read_legacy_storages (&loader, keys, data, size, pos + used, error))
        tensors = eigml_torch_collect_tensors (&loader, root, output_cap_for (size), error);
    }
  eigml_torch_loader_clear (&loader);
  return tensors;
}

/**
 * eigml_torch_load_data:
 * @data: the whole file
 * @size: its size
 * @file: the file's display name, for messages
 * @error: return location for a #GError
 *
 * Returns: (transfer full): name -> #EigmlTensor, from the state dict
 */
GHashTable *
eigml_torch_load_data (const guint8 *data,
                       gsize size,
                       const char *file,
                       GError **error)
{
  if (eigml_zip_is_candidate (data, size))
    return load_zip (data, size, file, error);
  if (size >= sizeof legacy_magic && memcmp (data, legacy_magic, sizeof legacy_magic) == 0)
    return load_legacy (data, size, file, error);
  if (size >= 262 && memcmp (data + 257, "ustar", 5) == 0)
    g_set_error (error, EIGML_ERROR, EIGML_ERROR_UNSUPPORTED,
                 "%s: expected a zip or legacy torch.save file, got the tar layout of "
                 "torch < 0.4, which is not supported; load and re-save it with a recent torch",
                 file);
  else
    g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                 "%s: expected a torch.save file (a zip archive, or a pickle starting with "
                 "torch's magic number), got other bytes", file);
  return NULL;
}

GHashTable *
eigml_torch_load (const char *path,
                  GError **error)
{
  g_autoptr (GMappedFile) mapped = NULL;
  g_autofree char *file = g_filename_display_name (path);

  mapped = g_mapped_file_new (path, FALSE, error);
  if (mapped == NULL)
    return NULL;
  return eigml_torch_load_data ((const guint8 *) g_mapped_file_get_contents (mapped),
                                g_mapped_file_get_length (mapped), file, error);
}
