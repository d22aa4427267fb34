/* test-weights.c: EigmlWeights and the safetensors reader and writer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * PyTorch checkpoints are tested in test-weights-torch.c; files written by
 * real PyTorch in tests/reference/test_weights.py.
 */
#include "config.h"

#include "eigml.h"
#include "eigml-tensor-private.h"
#include "engine/half.h"
#include "weights-testlib.h"

#include <glib/gstdio.h>
#include <string.h>

static EigmlTensor *
random_floats (const gint64 *shape,
               guint n_dims,
               GRand *rand)
{
  g_autoptr (EigmlTensor) t = eigml_tensor_new (EIGML_DTYPE_F32, shape, n_dims, NULL);
  float *p = eigml_tensor_peek_data_mutable (t);

  for (gint64 i = 0; i < eigml_tensor_get_n_elements (t); i++)
    p[i] = (float) g_rand_double_range (rand, -3, 3);
  return g_steal_pointer (&t);
}

static void
assert_same_tensor (EigmlTensor *a,
                    EigmlTensor *b)
{
  g_autofree char *da = eigml_tensor_describe (a);
  g_autofree char *db = eigml_tensor_describe (b);

  g_assert_cmpstr (da, ==, db);
  g_assert_cmpmem (eigml_tensor_peek_data (a), eigml_tensor_get_n_bytes (a),
                   eigml_tensor_peek_data (b), eigml_tensor_get_n_bytes (b));
}

static void
count_notify (GObject *object,
              GParamSpec *pspec,
              gpointer user_data)
{
  (*(guint *) user_data)++;
}

/* Inserts @tensor and drops the caller's reference. */
static void
insert_owned (EigmlWeights *w,
              const char *name,
              EigmlTensor *tensor)
{
  eigml_weights_insert (w, name, tensor);
  g_object_unref (tensor);
}

static void
test_api (void)
{
  g_autoptr (EigmlWeights) w = eigml_weights_new ();
  g_autoptr (EigmlTensor) t = eigml_tensor_new (EIGML_DTYPE_F32, (gint64[]) { 2 }, 1, NULL);
  g_autoptr (EigmlTensor) u = eigml_tensor_new (EIGML_DTYPE_I32, NULL, 0, NULL);
  g_auto (GStrv) names = NULL;
  guint notified = 0;

  g_signal_connect (w, "notify::n-tensors", G_CALLBACK (count_notify), &notified);
  g_assert_cmpuint (eigml_weights_get_n_tensors (w), ==, 0);
  eigml_weights_insert (w, "b.weight", t);
  eigml_weights_insert (w, "a", u);
  eigml_weights_insert (w, "a", t); /* replaces: no new count */
  g_assert_cmpuint (notified, ==, 2);
  g_assert_cmpuint (eigml_weights_get_n_tensors (w), ==, 2);
  g_assert_true (eigml_weights_lookup (w, "a") == t);
  g_assert_null (eigml_weights_lookup (w, "c"));
  names = eigml_weights_get_names (w);
  g_assert_cmpuint (g_strv_length (names), ==, 2);
  g_assert_cmpstr (names[0], ==, "a");
  g_assert_cmpstr (names[1], ==, "b.weight");
  g_assert_true (eigml_weights_remove (w, "a"));
  g_assert_false (eigml_weights_remove (w, "a"));
  g_assert_cmpuint (notified, ==, 3);
  g_assert_cmpuint (eigml_weights_get_n_tensors (w), ==, 1);
}

static void
test_roundtrip (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  g_autoptr (EigmlWeights) w = eigml_weights_new ();
  g_autoptr (EigmlWeights) back = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (weights_test_tmp_dir (), "round.safetensors", NULL);
  g_autofree char *path2 = g_build_filename (weights_test_tmp_dir (), "round2.safetensors", NULL);
  g_autofree char *bytes = NULL, *bytes2 = NULL;
  g_auto (GStrv) names = NULL;
  gsize len, len2;
  guint64 header_len;
  static const gint32 ints[] = { G_MININT32, -1, 0, 1, G_MAXINT32, 12345 };
  g_autoptr (EigmlTensor) i32 = eigml_tensor_new_from_ints ((gint64[]) { 2, 3 }, 2, ints, 6, NULL);
  g_autoptr (EigmlTensor) f16 = eigml_tensor_new (EIGML_DTYPE_F16, (gint64[]) { 3 }, 1, NULL);
  g_autoptr (EigmlTensor) scalar = eigml_tensor_new_from_floats (NULL, 0, (float[]) { -0.0f }, 1,
                                                                 NULL);
  g_autoptr (GDir) dir = NULL;
  const char *entry;

  insert_owned (w, "z.4d", random_floats ((gint64[]) { 2, 1, 3, 5 }, 4, rand));
  insert_owned (w, "emb.weight", random_floats ((gint64[]) { 7, 3 }, 2, rand));
  eigml_weights_insert (w, "ids", i32);
  eigml_weights_insert (w, "half", f16);
  eigml_weights_insert (w, "s", scalar);
  eigml_weights_insert (w, "name \"with\" quotes\\ and \xc3\xa9", scalar);
  g_assert_true (eigml_tensor_set_floats (f16, (float[]) { 1.0f, -2.5f, 65504.0f }, 3, NULL));

  g_assert_true (eigml_weights_save_safetensors (w, path, &error));
  g_assert_no_error (error);
  back = eigml_weights_load (path, &error);
  g_assert_no_error (error);
  names = eigml_weights_get_names (w);
  g_assert_cmpuint (eigml_weights_get_n_tensors (back), ==, g_strv_length (names));
  for (char **n = names; *n; n++)
    {
      EigmlTensor *orig = eigml_weights_lookup (w, *n);
      EigmlTensor *got = eigml_weights_lookup (back, *n);
      g_assert_nonnull (got);
      if (eigml_tensor_get_dtype (orig) == EIGML_DTYPE_F16)
        {
          /* f16 is written as F16 and read back as f32, exactly */
          gsize n_data;
          g_autofree float *want = eigml_tensor_dup_floats (orig, &n_data, NULL);
          g_assert_cmpint (eigml_tensor_get_dtype (got), ==, EIGML_DTYPE_F32);
          g_assert_cmpmem (want, n_data * 4, eigml_tensor_peek_data (got),
                           eigml_tensor_get_n_bytes (got));
        }
      else
        assert_same_tensor (orig, got);
    }

  /* the layout the format asks for: header padded with spaces to 8 */
  g_assert_true (g_file_get_contents (path, &bytes, &len, NULL));
  memcpy (&header_len, bytes, 8);
  header_len = GUINT64_FROM_LE (header_len);
  g_assert_cmpuint ((8 + header_len) % 8, ==, 0);
  g_assert_cmpint (bytes[8], ==, '{');
  g_assert_cmpint (bytes[8 + header_len - 1], ==, ' ');
  /* keys sorted: "emb.weight" comes before "half", "ids", "s", "z.4d" */
  {
    const char *json = bytes + 8;
    gsize n = (gsize) header_len;
    g_assert_true (g_strstr_len (json, n, "\"emb.weight\"") < g_strstr_len (json, n, "\"half\""));
    g_assert_true (g_strstr_len (json, n, "\"s\"") < g_strstr_len (json, n, "\"z.4d\""));
    g_assert_nonnull (g_strstr_len (json, n, "\"__metadata__\":{\"format\":\"pt\"}"));
  }

  /* deterministic: the loaded copy writes the same bytes, except that the
   * f16 tensor now is f32 */
  eigml_weights_remove (back, "half");
  eigml_weights_insert (back, "half", f16);
  g_assert_true (eigml_weights_save_safetensors (back, path2, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path2, &bytes2, &len2, NULL));
  g_assert_cmpmem (bytes, len, bytes2, len2);

  /* saving over an existing file leaves no temporary file behind */
  g_assert_true (eigml_weights_save_safetensors (w, path, &error));
  g_assert_no_error (error);
  dir = g_dir_open (weights_test_tmp_dir (), 0, NULL);
  while ((entry = g_dir_read_name (dir)) != NULL)
    g_assert_null (strstr (entry, ".safetensors."));
}

static void
test_save_errors (void)
{
  g_autoptr (EigmlWeights) w = eigml_weights_new ();
  g_autoptr (EigmlTensor) t = eigml_tensor_new (EIGML_DTYPE_F32, (gint64[]) { 2 }, 1, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *missing = g_build_filename (weights_test_tmp_dir (), "no-such-dir",
                                              "x.safetensors", NULL);

  eigml_weights_insert (w, "t", t);
  g_assert_false (eigml_weights_save_safetensors (w, missing, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_assert_nonnull (strstr (error->message, "x.safetensors"));
  g_clear_error (&error);

  eigml_weights_insert (w, "__metadata__", t);
  g_assert_false (eigml_weights_save_safetensors (w, missing, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
}

/* Every dtype the reader knows, hand-written. */
static void
test_dtypes (void)
{
  static const guint8 data[] = {
    0x00, 0x3c, 0x00, 0xc0,                         /* F16 1, -2 */
    0x80, 0x3f, 0xa0, 0xc0,                         /* BF16 1, -5 */
    0xf9, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* I64 -7 */
    0xff, 0xff, 0xff, 0x7f, 0x00, 0x00, 0x00, 0x00, /* I64 2^31 - 1 */
    0x01, 0x00, 0x02, 0xff,                         /* BOOL 1 0 1 1 (any non-zero is true) */
    0xff, 0x80,                                     /* U8 255 128 */
    0xff, 0x80,                                     /* I8 -1 -128 */
    0x00, 0x80,                                     /* I16 -32768 */
    0xff, 0xff,                                     /* U16 65535 */
  };
  const char *json = "{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
                     "\"bf\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[4,8]},"
                     "\"l\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[8,24]},"
                     "\"b\":{\"dtype\":\"BOOL\",\"shape\":[2,2],\"data_offsets\":[24,28]},"
                     "\"u8\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[28,30]},"
                     "\"i8\":{\"dtype\":\"I8\",\"shape\":[2],\"data_offsets\":[30,32]},"
                     "\"i16\":{\"dtype\":\"I16\",\"shape\":[],\"data_offsets\":[32,34]},"
                     "\"u16\":{\"dtype\":\"U16\",\"shape\":[1],\"data_offsets\":[34,36]},"
                     "\"__metadata__\":{\"format\":\"pt\"}}";
  g_autoptr (GByteArray) file = build_safetensors (json, data, sizeof data);
  g_autofree char *path = write_tmp ("dtypes.safetensors", file->data, file->len);
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlWeights) w = eigml_weights_load (path, &error);
  struct
  {
    const char *name;
    gboolean is_float;
    double want[4];
    guint n;
  } cases[] = {
    { "h", TRUE, { 1, -2 }, 2 },
    { "bf", TRUE, { 1, -5 }, 2 },
    { "l", FALSE, { -7, G_MAXINT32 }, 2 },
    { "b", FALSE, { 1, 0, 1, 1 }, 4 },
    { "u8", FALSE, { 255, 128 }, 2 },
    { "i8", FALSE, { -1, -128 }, 2 },
    { "i16", FALSE, { -32768 }, 1 },
    { "u16", FALSE, { 65535 }, 1 },
  };

  g_assert_no_error (error);
  g_assert_cmpuint (eigml_weights_get_n_tensors (w), ==, G_N_ELEMENTS (cases));
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      EigmlTensor *t = eigml_weights_lookup (w, cases[c].name);
      g_assert_nonnull (t);
      g_assert_cmpint (eigml_tensor_get_n_elements (t), ==, cases[c].n);
      g_assert_cmpint (eigml_tensor_get_dtype (t), ==,
                       cases[c].is_float ? EIGML_DTYPE_F32 : EIGML_DTYPE_I32);
      for (guint i = 0; i < cases[c].n; i++)
        {
          double got;
          if (cases[c].is_float)
            got = ((const float *) eigml_tensor_peek_data (t))[i];
          else
            got = ((const gint32 *) eigml_tensor_peek_data (t))[i];
          g_assert_cmpfloat (got, ==, cases[c].want[i]);
        }
    }
  g_assert_cmpuint (eigml_tensor_get_n_dims (eigml_weights_lookup (w, "i16")), ==, 0);
}

/* A valid one-tensor header with @dtype/@shape/@offsets substituted. */
static GByteArray *
one_tensor (const char *entry,
            gsize data_size)
{
  g_autofree char *json = g_strdup_printf ("{\"t\":%s}", entry);
  g_autofree guint8 *data = g_malloc0 (MAX (data_size, 1));

  return build_safetensors (json, data, data_size);
}

static void
test_unsupported (void)
{
  struct
  {
    const char *entry;
    gsize data_size;
    int code;
    const char *needle;
  } cases[] = {
    { "{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]}", 16, EIGML_ERROR_UNSUPPORTED,
      "'t': dtype F64" },
    { "{\"dtype\":\"U64\",\"shape\":[1],\"data_offsets\":[0,8]}", 8, EIGML_ERROR_UNSUPPORTED,
      "U64" },
    { "{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,16]}", 16, EIGML_ERROR_UNSUPPORTED,
      "'F128'" },
    { "{\"dtype\":\"F32\",\"shape\":[1,1,1,1,2],\"data_offsets\":[0,8]}", 8, EIGML_ERROR_SHAPE,
      "tensor 't': expected at most 4 dimensions, got 5" },
    { "{\"dtype\":\"F32\",\"shape\":[3,0],\"data_offsets\":[0,0]}", 0, EIGML_ERROR_UNSUPPORTED,
      "no elements" },
    { "{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}", 8, 0, NULL }, /* zero fits */
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autoptr (GByteArray) file = one_tensor (cases[c].entry, cases[c].data_size);
      if (cases[c].needle == NULL)
        load_any (file->data, file->len);
      else
        expect_load_error (file->data, file->len, EIGML_ERROR, cases[c].code, cases[c].needle);
    }

  /* an int64 that does not fit i32 */
  {
    guint8 data[16] = { 0 };
    g_autoptr (GByteArray) file = NULL;
    put_le64 (data + 8, (guint64) G_MAXINT32 + 1);
    file = build_safetensors ("{\"t\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]}}",
                              data, sizeof data);
    expect_load_error (file->data, file->len, EIGML_ERROR, EIGML_ERROR_OUT_OF_RANGE,
                       "tensor 't': element 1: expected a value in the i32 range");
  }
}

static void
test_hostile_header (void)
{
  struct
  {
    const char *json;
    gsize data_size;
    const char *needle;
  } cases[] = {
    { "{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4,
      "expected end <= 4 (the size of the data section), got 8" },
    { "{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8,
      "expected begin <= end" },
    { "{\"t\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8,
      "expected 12 bytes (shape x F32 size), got 8" },
    { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
      "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12,
      "expected no overlap with tensor 'a'" },
    { "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
      "\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8,
      "expected unique keys" },
    { "{\"t\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
      "expected unique keys" },
    { "{\"t\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4,
      "shape[0]: expected a non-negative integer, got -1" },
    { "{\"t\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4,
      "shape[0]: expected a non-negative integer" },
    { "{\"t\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4611686018427387904],"
      "\"data_offsets\":[0,4]}}", 4, "overflows 64 bits" },
    { "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4,
      "data_offsets: expected 2 integers" },
    { "{\"t\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, "shape: expected an array" },
    { "{\"t\":{\"dtype\":7,\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
      "dtype: expected a string" },
    { "{\"t\":[1,2]}", 0, "expected an object {dtype, shape, data_offsets}" },
    { "{\"__metadata__\":{\"format\":1}}", 0, "__metadata__['format']: expected a string" },
    { "{\"__metadata__\":[]}", 0, "__metadata__: expected an object" },
    { "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}", 4,
      "expected valid JSON" },
    { "{\"t\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}", 0,
      "JSON nesting: expected at most 8 levels" },
    { "{\"t\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1],"
      "\"data_offsets\":[0,4]}}", 4, "expected at most 16 dimensions, got 17" },
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autofree guint8 *data = g_malloc0 (MAX (cases[c].data_size, 1));
      g_autoptr (GByteArray) file = build_safetensors (cases[c].json, data, cases[c].data_size);
      expect_load_error (file->data, file->len, EIGML_ERROR, EIGML_ERROR_FORMAT, cases[c].needle);
    }

  /* lying header lengths */
  {
    g_autoptr (GByteArray) file = one_tensor ("{\"dtype\":\"F32\",\"shape\":[1],"
                                              "\"data_offsets\":[0,4]}", 4);
    put_le64 (file->data, file->len - 7);
    expect_load_error (file->data, file->len, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "header length: expected at most");
    put_le64 (file->data, G_MAXUINT64);
    expect_load_error (file->data, file->len, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "got 18446744073709551615");
    put_le64 (file->data, 0);
    expect_load_error (file->data, file->len, EIGML_ERROR, EIGML_ERROR_FORMAT, NULL);
  }
  /* not a weight file at all */
  expect_load_error ("hello, world", 12, EIGML_ERROR, EIGML_ERROR_FORMAT,
                     "starting with [68 65 6c 6c 6f 2c 20 77]");
  expect_load_error ("", 0, EIGML_ERROR, EIGML_ERROR_FORMAT, "a file of 0 bytes");
}

/* Every prefix of a valid file fails cleanly; every single-bit flip of
 * its header either loads or fails cleanly. */
static void
test_truncation_and_bitflips (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);
  g_autoptr (EigmlWeights) w = eigml_weights_new ();
  g_autofree char *path = g_build_filename (weights_test_tmp_dir (), "good.safetensors", NULL);
  g_autofree char *bytes = NULL;
  gsize len, header_end;
  guint64 header_len;

  insert_owned (w, "a", random_floats ((gint64[]) { 3, 2 }, 2, rand));
  insert_owned (w, "b", random_floats ((gint64[]) { 5 }, 1, rand));
  g_assert_true (eigml_weights_save_safetensors (w, path, NULL));
  g_assert_true (g_file_get_contents (path, &bytes, &len, NULL));

  for (gsize cut = 0; cut < len; cut++)
    g_assert_false (load_any_in_memory (bytes, cut));
  for (gsize cut = 0; cut < len; cut += 16)
    {
      g_autofree char *p = write_tmp ("cut.bin", bytes, cut);
      g_autoptr (GError) error = NULL;
      g_autoptr (EigmlWeights) got = eigml_weights_load (p, &error);
      g_assert_null (got);
      g_assert_true (error->domain == EIGML_ERROR);
      g_assert_nonnull (strstr (error->message, "cut.bin"));
    }

  memcpy (&header_len, bytes, 8);
  header_end = 8 + GUINT64_FROM_LE (header_len);
  for (gsize i = 0; i < header_end; i++)
    for (guint bit = 0; bit < 8; bit++)
      {
        bytes[i] ^= (char) (1 << bit);
        load_any_in_memory (bytes, len);
        bytes[i] ^= (char) (1 << bit);
      }
}

static void
test_folder (void)
{
  g_autofree char *folder = g_build_filename (weights_test_tmp_dir (), "model", NULL);
  g_autofree char *st = g_build_filename (folder, "model.safetensors", NULL);
  g_autofree char *bin = g_build_filename (folder, "pytorch_model.bin", NULL);
  g_autofree char *index = g_build_filename (folder, "model.safetensors.index.json", NULL);
  g_autoptr (GByteArray) ckpt = build_reference_checkpoint_zip ();
  g_autoptr (EigmlWeights) w = eigml_weights_new ();
  g_autoptr (EigmlTensor) t = eigml_tensor_new (EIGML_DTYPE_F32, (gint64[]) { 1 }, 1, NULL);
  g_autoptr (GError) error = NULL;
  EigmlWeights *got;

  g_assert_cmpint (g_mkdir_with_parents (folder, 0755), ==, 0);
  got = eigml_weights_load (folder, &error);
  g_assert_null (got);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_assert_nonnull (strstr (error->message, "model.safetensors or pytorch_model.bin"));
  g_clear_error (&error);

  g_assert_true (g_file_set_contents (index, "{}", 2, NULL));
  got = eigml_weights_load (folder, &error);
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "sharded"));
  g_clear_error (&error);

  /* only the checkpoint: it is loaded */
  g_assert_true (g_file_set_contents (bin, (const char *) ckpt->data, ckpt->len, NULL));
  got = eigml_weights_load (folder, &error);
  g_assert_no_error (error);
  g_assert_nonnull (eigml_weights_lookup (got, "w"));
  g_object_unref (got);

  /* both: the safetensors file wins */
  eigml_weights_insert (w, "only-in-safetensors", t);
  g_assert_true (eigml_weights_save_safetensors (w, st, NULL));
  got = eigml_weights_load (folder, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (eigml_weights_get_n_tensors (got), ==, 1);
  g_assert_nonnull (eigml_weights_lookup (got, "only-in-safetensors"));
  g_object_unref (got);

  /* a file that is no weight file, a path that does not exist */
  got = eigml_weights_load (index, &error);
  g_assert_null (got);
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT);
  g_clear_error (&error);
  got = eigml_weights_load ("/nonexistent/eigml/weights", &error);
  g_assert_null (got);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
}

int
main (int argc,
      char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/weights/api", test_api);
  g_test_add_func ("/weights/safetensors/roundtrip", test_roundtrip);
  g_test_add_func ("/weights/safetensors/save-errors", test_save_errors);
  g_test_add_func ("/weights/safetensors/dtypes", test_dtypes);
  g_test_add_func ("/weights/safetensors/unsupported", test_unsupported);
  g_test_add_func ("/weights/safetensors/hostile-header", test_hostile_header);
  g_test_add_func ("/weights/safetensors/truncation-and-bitflips", test_truncation_and_bitflips);
  g_test_add_func ("/weights/folder", test_folder);
  ret = g_test_run ();

  weights_test_cleanup ();
  return ret;
}
