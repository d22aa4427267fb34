/* weights-testlib.c: byte-level writers and load checks for the weight tests
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "weights-testlib.h"
#include "eigml.h"
#include "io/safetensors.h"
#include "io/torch.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

static char *tmp_dir;

const char *
weights_test_tmp_dir (void)
{
  if (tmp_dir == NULL)
    {
      tmp_dir = g_dir_make_tmp ("eigml-weights-XXXXXX", NULL);
      g_assert_nonnull (tmp_dir);
    }
  return tmp_dir;
}

static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

void
weights_test_cleanup (void)
{
  if (tmp_dir != NULL)
    remove_tree (tmp_dir);
  g_clear_pointer (&tmp_dir, g_free);
}

char *
write_tmp (const char *name,
           const void *data,
           gsize size)
{
  char *path = g_build_filename (weights_test_tmp_dir (), name, NULL);
  /* not g_file_set_contents (), whose fsync makes the bit-flip loops slow */
  FILE *f = fopen (path, "wb");

  g_assert_nonnull (f);
  g_assert_cmpuint (fwrite (data, 1, size, f), ==, size);
  g_assert_cmpint (fclose (f), ==, 0);
  return path;
}

void
expect_load_error (const void *data,
                   gsize size,
                   GQuark domain,
                   int code,
                   const char *needle)
{
  g_autofree char *path = write_tmp ("bad.bin", data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlWeights) w = eigml_weights_load (path, &error);

  g_assert_null (w);
  g_assert_error (error, domain, code);
  g_assert_nonnull (strstr (error->message, "bad.bin"));
  if (needle != NULL && strstr (error->message, needle) == NULL)
    g_error ("expected '%s' in: %s", needle, error->message);
}

gboolean
load_any (const void *data,
          gsize size)
{
  g_autofree char *path = write_tmp ("any.bin", data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlWeights) w = eigml_weights_load (path, &error);

  if (w == NULL)
    {
      g_assert_nonnull (error);
      g_assert_true (error->domain == EIGML_ERROR);
      g_assert_nonnull (strstr (error->message, "any.bin"));
    }
  return w != NULL;
}

void
put_le64 (guint8 *p,
          guint64 v)
{
  for (guint i = 0; i < 8; i++)
    p[i] = (guint8) (v >> (8 * i));
}

static void
put_le (GByteArray *b,
        guint64 v,
        guint n)
{
  for (guint i = 0; i < n; i++)
    {
      guint8 byte = (guint8) (v >> (8 * i));
      g_byte_array_append (b, &byte, 1);
    }
}

void
pk_op (GByteArray *b,
       guint8 op)
{
  g_byte_array_append (b, &op, 1);
}

void
pk_proto (GByteArray *b)
{
  pk_op (b, 0x80);
  pk_op (b, 2);
}

void
pk_str (GByteArray *b,
        const char *s)
{
  pk_op (b, 'X');
  put_le (b, strlen (s), 4);
  g_byte_array_append (b, (const guint8 *) s, strlen (s));
}

void
pk_int (GByteArray *b,
        gint64 v)
{
  if (v >= 0 && v < 256)
    {
      pk_op (b, 'K');
      put_le (b, (guint64) v, 1);
    }
  else if (v >= 0 && v < 65536)
    {
      pk_op (b, 'M');
      put_le (b, (guint64) v, 2);
    }
  else if (v >= G_MININT32 && v <= G_MAXINT32)
    {
      pk_op (b, 'J');
      put_le (b, (guint64) v, 4);
    }
  else
    {
      pk_op (b, 0x8a);
      pk_op (b, 8);
      put_le (b, (guint64) v, 8);
    }
}

void
pk_float (GByteArray *b,
          double v)
{
  guint64 bits;

  memcpy (&bits, &v, 8);
  pk_op (b, 'G');
  for (guint i = 8; i-- > 0;)
    pk_op (b, (guint8) (bits >> (8 * i)));
}

void
pk_global (GByteArray *b,
           const char *module,
           const char *name)
{
  pk_op (b, 'c');
  g_byte_array_append (b, (const guint8 *) module, strlen (module));
  pk_op (b, '\n');
  g_byte_array_append (b, (const guint8 *) name, strlen (name));
  pk_op (b, '\n');
}

void
pk_binput (GByteArray *b,
           guint32 index)
{
  if (index < 256)
    {
      pk_op (b, 'q');
      put_le (b, index, 1);
    }
  else
    {
      pk_op (b, 'r');
      put_le (b, index, 4);
    }
}

void
pk_binget (GByteArray *b,
           guint32 index)
{
  if (index < 256)
    {
      pk_op (b, 'h');
      put_le (b, index, 1);
    }
  else
    {
      pk_op (b, 'j');
      put_le (b, index, 4);
    }
}

void
pk_int_tuple (GByteArray *b,
              const gint64 *v,
              guint n)
{
  if (n == 0)
    {
      pk_op (b, ')');
      return;
    }
  pk_op (b, '(');
  for (guint i = 0; i < n; i++)
    pk_int (b, v[i]);
  pk_op (b, 't');
}

static void
pk_tensor_common (GByteArray *b,
                  const char *storage_type,
                  const char *key,
                  gint64 numel,
                  gint64 offset,
                  const gint64 *shape,
                  const gint64 *strides,
                  guint n_dims,
                  gboolean legacy)
{
  pk_global (b, "torch._utils", "_rebuild_tensor_v2");
  pk_op (b, '(');
  /* the persistent id */
  pk_op (b, '(');
  pk_str (b, "storage");
  pk_global (b, "torch", storage_type);
  pk_str (b, key);
  pk_str (b, "cpu");
  pk_int (b, numel);
  if (legacy)
    pk_op (b, 'N');
  pk_op (b, 't');
  pk_op (b, 'Q');
  pk_int (b, offset);
  pk_int_tuple (b, shape, n_dims);
  pk_int_tuple (b, strides, n_dims);
  pk_op (b, 0x89);
  pk_global (b, "collections", "OrderedDict");
  pk_op (b, ')');
  pk_op (b, 'R');
  pk_op (b, 't');
  pk_op (b, 'R');
}

void
pk_tensor (GByteArray *b,
           const char *storage_type,
           const char *key,
           gint64 numel,
           gint64 offset,
           const gint64 *shape,
           const gint64 *strides,
           guint n_dims)
{
  pk_tensor_common (b, storage_type, key, numel, offset, shape, strides, n_dims, FALSE);
}

void
pk_tensor_legacy (GByteArray *b,
                  const char *storage_type,
                  const char *key,
                  gint64 numel,
                  gint64 offset,
                  const gint64 *shape,
                  const gint64 *strides,
                  guint n_dims)
{
  pk_tensor_common (b, storage_type, key, numel, offset, shape, strides, n_dims, TRUE);
}

static GByteArray *
build_zip_full (const ZipEntry *entries,
                guint n_entries,
                gboolean zip64)
{
  GByteArray *b = g_byte_array_new ();
  g_autofree guint64 *offsets = g_new0 (guint64, MAX (n_entries, 1));
  g_autofree guint32 *crcs = g_new0 (guint32, MAX (n_entries, 1));
  gsize cd_start;

  for (guint i = 0; i < n_entries; i++)
    {
      gsize name_len = strlen (entries[i].name);
      gsize pad;

      offsets[i] = b->len;
      crcs[i] = (guint32) crc32_z (0, entries[i].data, entries[i].size);
      /* data aligned to 64 like torch.save: pad with an extra field */
      pad = (64 - (b->len + 30 + name_len + 4) % 64) % 64;
      put_le (b, 0x04034b50u, 4);
      put_le (b, 20, 2);          /* version needed */
      put_le (b, 0, 2);           /* flags */
      put_le (b, 0, 2);           /* stored */
      put_le (b, 0, 4);           /* time, date */
      put_le (b, crcs[i], 4);
      put_le (b, entries[i].size, 4);
      put_le (b, entries[i].size, 4);
      put_le (b, name_len, 2);
      put_le (b, 4 + pad, 2);
      g_byte_array_append (b, (const guint8 *) entries[i].name, name_len);
      put_le (b, 0x4246, 2);      /* "FB", as torch names its padding field */
      put_le (b, pad, 2);
      for (gsize p = 0; p < pad; p++)
        pk_op (b, 'Z');
      g_byte_array_append (b, entries[i].data, entries[i].size);
    }
  cd_start = b->len;
  for (guint i = 0; i < n_entries; i++)
    {
      gsize name_len = strlen (entries[i].name);
      put_le (b, 0x02014b50u, 4);
      put_le (b, 20, 2);
      put_le (b, 20, 2);
      put_le (b, 0, 2);
      put_le (b, 0, 2);
      put_le (b, 0, 4);
      put_le (b, crcs[i], 4);
      /* zip64: sizes and offset all ones, the values in extra field 1 */
      put_le (b, zip64 ? 0xffffffffu : entries[i].size, 4);
      put_le (b, zip64 ? 0xffffffffu : entries[i].size, 4);
      put_le (b, name_len, 2);
      put_le (b, zip64 ? 28 : 0, 2); /* extra */
      put_le (b, 0, 2);           /* comment */
      put_le (b, 0, 2);           /* disk */
      put_le (b, 0, 2);
      put_le (b, 0, 4);
      put_le (b, zip64 ? 0xffffffffu : offsets[i], 4);
      g_byte_array_append (b, (const guint8 *) entries[i].name, name_len);
      if (zip64)
        {
          put_le (b, 1, 2);
          put_le (b, 24, 2);
          put_le (b, entries[i].size, 8);
          put_le (b, entries[i].size, 8);
          put_le (b, offsets[i], 8);
        }
    }
  if (zip64)
    {
      gsize record = b->len;
      put_le (b, 0x06064b50u, 4);
      put_le (b, 44, 8);          /* size of the rest of the record */
      put_le (b, 45, 2);
      put_le (b, 45, 2);
      put_le (b, 0, 4);
      put_le (b, 0, 4);
      put_le (b, n_entries, 8);
      put_le (b, n_entries, 8);
      put_le (b, record - cd_start, 8);
      put_le (b, cd_start, 8);
      put_le (b, 0x07064b50u, 4); /* locator */
      put_le (b, 0, 4);
      put_le (b, record, 8);
      put_le (b, 1, 4);
      put_le (b, 0x06054b50u, 4);
      put_le (b, 0, 4);
      put_le (b, 0xffff, 2);
      put_le (b, 0xffff, 2);
      put_le (b, 0xffffffffu, 4);
      put_le (b, 0xffffffffu, 4);
      put_le (b, 0, 2);
      return b;
    }
  put_le (b, 0x06054b50u, 4);
  put_le (b, 0, 2);
  put_le (b, 0, 2);
  put_le (b, n_entries, 2);
  put_le (b, n_entries, 2);
  put_le (b, b->len - 12 - cd_start, 4); /* directory size: up to this record */
  put_le (b, cd_start, 4);
  put_le (b, 0, 2);
  return b;
}

GByteArray *
build_zip (const ZipEntry *entries,
           guint n_entries)
{
  return build_zip_full (entries, n_entries, FALSE);
}

GByteArray *
build_zip64 (const ZipEntry *entries,
             guint n_entries)
{
  return build_zip_full (entries, n_entries, TRUE);
}

gsize
zip_eocd_offset (GByteArray *zip)
{
  return zip->len - 22;
}

gsize
zip_local_offset (GByteArray *zip,
                  guint index)
{
  const guint8 *eocd = zip->data + zip_eocd_offset (zip);
  gsize pos = eocd[16] | eocd[17] << 8 | eocd[18] << 16 | (gsize) eocd[19] << 24;

  for (guint i = 0;; i++)
    {
      const guint8 *p = zip->data + pos;
      if (i == index)
        return p[42] | p[43] << 8 | p[44] << 16 | (gsize) p[45] << 24;
      pos += 46 + (p[28] | p[29] << 8) + (p[30] | p[31] << 8) + (p[32] | p[33] << 8);
    }
}

GByteArray *
build_safetensors (const char *json,
                   const void *data,
                   gsize size)
{
  GByteArray *b = g_byte_array_new ();
  gsize len = strlen (json);
  gsize padded = (len + 7) / 8 * 8;

  put_le (b, padded, 8);
  g_byte_array_append (b, (const guint8 *) json, len);
  for (gsize i = len; i < padded; i++)
    pk_op (b, ' ');
  if (size > 0)
    g_byte_array_append (b, data, size);
  return b;
}

static GByteArray *
build_torch_zip_full (GByteArray *pkl,
                      const ZipEntry *storages,
                      guint n_storages,
                      gboolean zip64)
{
  g_autofree ZipEntry *entries = g_new0 (ZipEntry, n_storages + 2);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

  entries[0] = (ZipEntry) { "archive/data.pkl", pkl->data, pkl->len };
  for (guint i = 0; i < n_storages; i++)
    {
      char *name = g_strdup_printf ("archive/data/%s", storages[i].name);
      g_ptr_array_add (names, name);
      entries[i + 1] = (ZipEntry) { name, storages[i].data, storages[i].size };
    }
  entries[n_storages + 1] = (ZipEntry) { "archive/version", "3\n", 2 };
  return build_zip_full (entries, n_storages + 2, zip64);
}

GByteArray *
build_torch_zip (GByteArray *pkl,
                 const ZipEntry *storages,
                 guint n_storages)
{
  return build_torch_zip_full (pkl, storages, n_storages, FALSE);
}

/* The reference checkpoint's storages (see the header). */
static const float ref_w[6] = { 1.5f, -2.25f, 3.0f, 0.125f, -0.5f, 1e-3f };
static const guint16 ref_h[3] = { 0x3c00, 0xc000, 0x3555 };
static const guint16 ref_bf[2] = { 0x3f80, 0xc0a0 };
static const gint64 ref_i[2] = { -7, G_MAXINT32 };
static const float ref_scalar[1] = { 42.0f };

static const ZipEntry ref_storages[] = {
  { "0", ref_w, sizeof ref_w },
  { "1", ref_h, sizeof ref_h },
  { "2", ref_bf, sizeof ref_bf },
  { "3", ref_i, sizeof ref_i },
  { "4", ref_scalar, sizeof ref_scalar },
};

GByteArray *
build_reference_pickle (gboolean legacy)
{
  GByteArray *b = g_byte_array_new ();
  void (*tensor) (GByteArray *, const char *, const char *, gint64, gint64, const gint64 *,
                  const gint64 *, guint) = legacy ? pk_tensor_legacy : pk_tensor;

  pk_proto (b);
  pk_op (b, '}');
  pk_op (b, '(');
  pk_str (b, "model");
  pk_global (b, "collections", "OrderedDict");
  pk_op (b, ')');
  pk_op (b, 'R');
  pk_op (b, '(');
  /* w: a parameter */
  pk_str (b, "w");
  pk_global (b, "torch._utils", "_rebuild_parameter");
  tensor (b, "FloatStorage", "0", 6, 0, (gint64[]) { 2, 3 }, (gint64[]) { 3, 1 }, 2);
  pk_op (b, 0x88);
  pk_global (b, "collections", "OrderedDict");
  pk_op (b, ')');
  pk_op (b, 'R');
  pk_op (b, 0x87);
  pk_op (b, 'R');
  /* t: w transposed; s: w[1, 1:] */
  pk_str (b, "t");
  tensor (b, "FloatStorage", "0", 6, 0, (gint64[]) { 3, 2 }, (gint64[]) { 1, 3 }, 2);
  pk_str (b, "s");
  tensor (b, "FloatStorage", "0", 6, 4, (gint64[]) { 2 }, (gint64[]) { 1 }, 1);
  pk_str (b, "h");
  tensor (b, "HalfStorage", "1", 3, 0, (gint64[]) { 3 }, (gint64[]) { 1 }, 1);
  pk_str (b, "bf");
  tensor (b, "BFloat16Storage", "2", 2, 0, (gint64[]) { 2 }, (gint64[]) { 1 }, 1);
  pk_str (b, "i");
  tensor (b, "LongStorage", "3", 2, 0, (gint64[]) { 2 }, (gint64[]) { 1 }, 1);
  pk_str (b, "scalar");
  tensor (b, "FloatStorage", "4", 1, 0, NULL, NULL, 0);
  pk_op (b, 'u');
  pk_str (b, "epoch");
  pk_int (b, 3);
  pk_str (b, "lr");
  pk_float (b, 0.5);
  pk_op (b, 'u');
  pk_op (b, '.');
  return b;
}

GByteArray *
build_protocol4_pickle (void)
{
  GByteArray *b = g_byte_array_new ();
  gsize frame_at;
  static const guint8 short_str[] = { 0x8c };

  pk_op (b, 0x80);
  pk_op (b, 4);
  pk_op (b, 0x95);                 /* FRAME: length patched below */
  frame_at = b->len;
  put_le (b, 0, 8);
  pk_op (b, '}');
  pk_op (b, 0x94);                 /* MEMOIZE -> 0 */
  g_byte_array_append (b, short_str, 1);
  pk_op (b, 5);
  g_byte_array_append (b, (const guint8 *) "model", 5);
  pk_op (b, 0x94);                 /* 1 */
  g_byte_array_append (b, short_str, 1);
  pk_op (b, 11);
  g_byte_array_append (b, (const guint8 *) "collections", 11);
  g_byte_array_append (b, short_str, 1);
  pk_op (b, 11);
  g_byte_array_append (b, (const guint8 *) "OrderedDict", 11);
  pk_op (b, 0x93);                 /* STACK_GLOBAL */
  pk_op (b, 0x94);                 /* 2 */
  pk_op (b, ')');
  pk_op (b, 'R');
  pk_op (b, 0x94);                 /* 3 */
  g_byte_array_append (b, short_str, 1);
  pk_op (b, 1);
  pk_op (b, 'w');
  pk_tensor (b, "FloatStorage", "0", 6, 1, (gint64[]) { 2, 2 }, (gint64[]) { 1, 2 }, 2);
  pk_op (b, 's');
  pk_op (b, 's');
  pk_op (b, '.');
  put_le64 (b->data + frame_at, b->len - frame_at - 8);
  return b;
}

GByteArray *
build_reference_checkpoint_zip (void)
{
  g_autoptr (GByteArray) pkl = build_reference_pickle (FALSE);

  return build_torch_zip (pkl, ref_storages, G_N_ELEMENTS (ref_storages));
}

GByteArray *
build_reference_checkpoint_zip64 (void)
{
  g_autoptr (GByteArray) pkl = build_reference_pickle (FALSE);

  return build_torch_zip_full (pkl, ref_storages, G_N_ELEMENTS (ref_storages), TRUE);
}

GByteArray *
build_reference_checkpoint_legacy (void)
{
  GByteArray *b = g_byte_array_new ();
  g_autoptr (GByteArray) main_pickle = build_reference_pickle (TRUE);
  static const guint8 magic[] = {
    0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, '.',
  };

  g_byte_array_append (b, magic, sizeof magic);
  pk_proto (b);
  pk_int (b, 1001);
  pk_op (b, '.');
  pk_proto (b);
  pk_op (b, '}');
  pk_op (b, '(');
  pk_str (b, "protocol_version");
  pk_int (b, 1001);
  pk_str (b, "little_endian");
  pk_op (b, 0x88);
  pk_op (b, 'u');
  pk_op (b, '.');
  g_byte_array_append (b, main_pickle->data, main_pickle->len);
  pk_proto (b);
  pk_op (b, ']');
  pk_op (b, '(');
  for (guint i = 0; i < G_N_ELEMENTS (ref_storages); i++)
    pk_str (b, ref_storages[i].name);
  pk_op (b, 'e');
  pk_op (b, '.');
  for (guint i = 0; i < G_N_ELEMENTS (ref_storages); i++)
    {
      static const gsize esize[] = { 4, 2, 2, 8, 4 };
      put_le (b, ref_storages[i].size / esize[i], 8);
      g_byte_array_append (b, ref_storages[i].data, ref_storages[i].size);
    }
  return b;
}

gboolean
load_any_in_memory (const void *data,
                    gsize size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) tensors = NULL;

  /* the dispatch of eigml_weights_load (), without the file system */
  if (eigml_torch_is_candidate (data, size))
    tensors = eigml_torch_load_data (data, size, "mem.bin", &error);
  else if (eigml_safetensors_is_candidate (data, size))
    tensors = eigml_safetensors_load_data (data, size, "mem.bin", &error);
  else
    return FALSE;
  if (tensors == NULL)
    {
      g_assert_nonnull (error);
      g_assert_true (error->domain == EIGML_ERROR);
      g_assert_nonnull (strstr (error->message, "mem.bin"));
    }
  return tensors != NULL;
}
