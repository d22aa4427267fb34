/* test-weights-torch.c: PyTorch checkpoints and the restricted unpickler
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Checkpoints are written byte by byte (weights-testlib.c) in both torch.save
 * layouts; tests/reference/test_weights.py checks files from real PyTorch.
 */
#include "config.h"

#include "eigml.h"
#include "eigml-tensor-private.h"
#include "engine/half.h"
#include "weights-testlib.h"

#include <glib/gstdio.h>
#include <string.h>

static void
assert_floats (EigmlWeights *w,
               const char *name,
               const gint64 *shape,
               guint n_dims,
               const float *want,
               gsize n)
{
  EigmlTensor *t = eigml_weights_lookup (w, name);
  guint got_dims;
  const gint64 *got_shape;

  g_assert_nonnull (t);
  g_assert_cmpint (eigml_tensor_get_dtype (t), ==, EIGML_DTYPE_F32);
  got_shape = eigml_tensor_get_shape (t, &got_dims);
  g_assert_cmpmem (got_shape, got_dims * sizeof (gint64), shape, n_dims * sizeof (gint64));
  g_assert_cmpmem (eigml_tensor_peek_data (t), eigml_tensor_get_n_bytes (t), want, n * 4);
}

static void
check_reference_checkpoint (GByteArray *file)
{
  g_autofree char *path = write_tmp ("ref.pth", file->data, file->len);
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlWeights) w = eigml_weights_load (path, &error);
  EigmlTensor *i;

  g_assert_no_error (error);
  /* the state dict under 'model'; 'epoch' and 'lr' are not tensors */
  g_assert_cmpuint (eigml_weights_get_n_tensors (w), ==, 7);
  assert_floats (w, "w", (gint64[]) { 2, 3 }, 2,
                 (float[]) { 1.5f, -2.25f, 3.0f, 0.125f, -0.5f, 1e-3f }, 6);
  assert_floats (w, "t", (gint64[]) { 3, 2 }, 2,
                 (float[]) { 1.5f, 0.125f, -2.25f, -0.5f, 3.0f, 1e-3f }, 6);
  assert_floats (w, "s", (gint64[]) { 2 }, 1, (float[]) { -0.5f, 1e-3f }, 2);
  assert_floats (w, "h", (gint64[]) { 3 }, 1,
                 (float[]) { 1.0f, -2.0f, eigml_half_to_float (0x3555) }, 3);
  assert_floats (w, "bf", (gint64[]) { 2 }, 1, (float[]) { 1.0f, -5.0f }, 2);
  assert_floats (w, "scalar", NULL, 0, (float[]) { 42.0f }, 1);
  i = eigml_weights_lookup (w, "i");
  g_assert_cmpint (eigml_tensor_get_dtype (i), ==, EIGML_DTYPE_I32);
  g_assert_cmpmem (eigml_tensor_peek_data (i), 8, ((gint32[]) { -7, G_MAXINT32 }), 8);
}

static void
test_reference_zip (void)
{
  g_autoptr (GByteArray) file = build_reference_checkpoint_zip ();

  check_reference_checkpoint (file);
}

static void
test_reference_zip64 (void)
{
  g_autoptr (GByteArray) file = build_reference_checkpoint_zip64 ();

  check_reference_checkpoint (file);
  /* the zip64 record's entry counts disagreeing */
  file->data[file->len - 22 - 20 - 56 + 24] ^= 1;
  expect_load_error (file->data, file->len, EIGML_ERROR, EIGML_ERROR_UNSUPPORTED,
                     "zip64 end of central directory: expected a single-disk archive");
}

static void
test_reference_legacy (void)
{
  g_autoptr (GByteArray) file = build_reference_checkpoint_legacy ();

  check_reference_checkpoint (file);
}

static void
test_protocol4 (void)
{
  g_autoptr (GByteArray) pkl = build_protocol4_pickle ();
  static const float storage[6] = { 0, 1, 2, 3, 4, 5 };
  ZipEntry entry = { "0", storage, sizeof storage };
  g_autoptr (GByteArray) zip = build_torch_zip (pkl, &entry, 1);
  g_autofree char *path = write_tmp ("proto4.pt", zip->data, zip->len);
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlWeights) w = eigml_weights_load (path, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (eigml_weights_get_n_tensors (w), ==, 1);
  /* element [i][j] is storage[1 + i + 2 j] */
  assert_floats (w, "w", (gint64[]) { 2, 2 }, 2, (float[]) { 1, 3, 2, 4 }, 4);
}

static EigmlWeights *
load_pickle_with_six_floats (GByteArray *pkl)
{
  static const float storage[6] = { 0, 1, 2, 3, 4, 5 };
  ZipEntry entry = { "0", storage, sizeof storage };
  g_autoptr (GByteArray) zip = build_torch_zip (pkl, &entry, 1);
  g_autofree char *path = write_tmp ("six.pt", zip->data, zip->len);
  g_autoptr (GError) error = NULL;
  EigmlWeights *w = eigml_weights_load (path, &error);

  g_assert_no_error (error);
  return w;
}

static void
push_vector (GByteArray *b,
             gint64 offset)
{
  pk_tensor (b, "FloatStorage", "0", 6, offset, (gint64[]) { 2 }, (gint64[]) { 1 }, 1);
}

/* Opcodes torch.save rarely writes but Python's pickler may, and the rules
 * that pick and name the state dict. */
static void
test_opcodes_and_naming (void)
{
  g_autoptr (GByteArray) b = g_byte_array_new ();
  g_autoptr (EigmlWeights) w = NULL;
  g_auto (GStrv) names = NULL;

  /* {'encoder': {'w': t0, 'w': t2 (the last value wins)}, 3: {'x': t4},
   *  'step': 5, 'misc': (), 'list': [], 'f': -1.5, 'big': LONG1 -2, 'n': -70000}
   * built with DICT, LIST, MARK+TUPLE (empty), POP, POP_MARK */
  pk_proto (b);
  pk_op (b, '(');
  pk_str (b, "encoder");
  pk_op (b, '(');
  pk_str (b, "w");
  push_vector (b, 0);
  pk_str (b, "w");
  push_vector (b, 2);
  pk_op (b, 'd');
  pk_int (b, 3);
  pk_op (b, '}');
  pk_str (b, "x");
  push_vector (b, 4);
  pk_op (b, 's');
  pk_str (b, "step");
  pk_int (b, 5);
  pk_str (b, "misc");
  pk_op (b, '(');
  pk_op (b, 't');
  pk_str (b, "list");
  pk_op (b, '(');
  pk_op (b, 'l');
  pk_str (b, "f");
  pk_float (b, -1.5);
  pk_str (b, "big");
  pk_op (b, 0x8a);
  pk_op (b, 1);
  pk_op (b, 0xfe);
  pk_str (b, "n");
  pk_int (b, -70000);
  pk_op (b, 'd');
  /* a value pushed and popped, a mark pushed and popped */
  pk_int (b, 1);
  pk_op (b, '0');
  pk_op (b, '(');
  pk_int (b, 2);
  pk_op (b, '1');
  pk_op (b, '.');
  w = load_pickle_with_six_floats (b);
  names = eigml_weights_get_names (w);
  g_assert_cmpuint (g_strv_length (names), ==, 2);
  g_assert_cmpstr (names[0], ==, "3.x");
  g_assert_cmpstr (names[1], ==, "encoder.w");
  assert_floats (w, "encoder.w", (gint64[]) { 2 }, 1, (float[]) { 2, 3 }, 2);
  assert_floats (w, "3.x", (gint64[]) { 2 }, 1, (float[]) { 4, 5 }, 2);
  g_clear_object (&w);

  /* 'state_dict' is preferred over 'model' */
  g_byte_array_set_size (b, 0);
  pk_proto (b);
  pk_op (b, '}');
  pk_op (b, '(');
  pk_str (b, "model");
  pk_op (b, '}');
  pk_str (b, "m");
  push_vector (b, 0);
  pk_op (b, 's');
  pk_str (b, "state_dict");
  pk_op (b, '}');
  pk_str (b, "s");
  push_vector (b, 4);
  pk_op (b, 's');
  pk_op (b, 'u');
  pk_op (b, '.');
  w = load_pickle_with_six_floats (b);
  g_assert_cmpuint (eigml_weights_get_n_tensors (w), ==, 1);
  assert_floats (w, "s", (gint64[]) { 2 }, 1, (float[]) { 4, 5 }, 2);
}

/* A torch.save zip whose data.pkl is @pkl and whose one storage "0" holds
 * @n_floats floats; expects the given error. */
static void
expect_pickle_error (GByteArray *pkl,
                     gsize n_floats,
                     int code,
                     const char *needle)
{
  g_autofree float *floats = g_new0 (float, MAX (n_floats, 1));
  ZipEntry storage = { "0", floats, n_floats * sizeof (float) };
  g_autoptr (GByteArray) zip = build_torch_zip (pkl, &storage, n_floats ? 1 : 0);

  expect_load_error (zip->data, zip->len, EIGML_ERROR, code, needle);
}

/* PROTO, then an OrderedDict {'x': <what @body pushes>}. */
static GByteArray *
dict_of (void (*body) (GByteArray *b))
{
  GByteArray *b = g_byte_array_new ();

  pk_proto (b);
  pk_op (b, '}');
  pk_str (b, "x");
  body (b);
  pk_op (b, 's');
  pk_op (b, '.');
  return b;
}

static void
body_os_system (GByteArray *b)
{
  g_autofree char *marker = g_build_filename (weights_test_tmp_dir (), "pwned", NULL);
  g_autofree char *cmd = g_strdup_printf ("touch %s", marker);

  pk_global (b, "os", "system");
  pk_str (b, cmd);
  pk_op (b, 0x85);
  pk_op (b, 'R');
}

static void
body_builtins_eval (GByteArray *b)
{
  pk_str (b, "builtins");
  pk_str (b, "eval");
  pk_op (b, 0x93); /* STACK_GLOBAL */
  pk_str (b, "__import__('os').system('true')");
  pk_op (b, 0x85);
  pk_op (b, 'R');
}

static void
body_posix_system (GByteArray *b)
{
  pk_global (b, "posix", "system");
}

static void
body_torch_load (GByteArray *b)
{
  pk_global (b, "torch", "load");
}

static void
body_newobj (GByteArray *b)
{
  pk_global (b, "collections", "OrderedDict");
  pk_op (b, ')');
  pk_op (b, 0x81); /* NEWOBJ */
}

static void
body_binbytes (GByteArray *b)
{
  pk_op (b, 'C');
  pk_op (b, 1);
  pk_op (b, 'x');
}

static void
body_inst (GByteArray *b)
{
  pk_op (b, '(');
  pk_op (b, 'i');
}

static void
body_reduce_non_global (GByteArray *b)
{
  pk_str (b, "not callable");
  pk_op (b, ')');
  pk_op (b, 'R');
}

static void
body_build_on_list (GByteArray *b)
{
  pk_op (b, ']');
  pk_op (b, '}');
  pk_op (b, 'b');
}

static void
body_storage_called (GByteArray *b)
{
  pk_global (b, "torch", "FloatStorage");
  pk_op (b, ')');
  pk_op (b, 'R');
}

static void
test_refused (void)
{
  struct
  {
    void (*body) (GByteArray *);
    const char *needle;
  } cases[] = {
    { body_os_system, "global 'os.system' is not allowed" },
    { body_builtins_eval, "global 'builtins.eval' is not allowed" },
    { body_posix_system, "'posix.system'" },
    { body_torch_load, "'torch.load'" },
    { body_newobj, "opcode 0x81 (NEWOBJ) is not allowed" },
    { body_binbytes, "(SHORT_BINBYTES) is not allowed" },
    { body_inst, "(INST) is not allowed" },
    { body_reduce_non_global, "REDUCE: expected an allowed global to call, got str" },
    { body_build_on_list, "BUILD: setting the state of a list is not allowed" },
    { body_storage_called, "torch.FloatStorage may only tag a persistent id" },
  };
  g_autofree char *marker = g_build_filename (weights_test_tmp_dir (), "pwned", NULL);

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autoptr (GByteArray) pkl = dict_of (cases[c].body);
      expect_pickle_error (pkl, 0, EIGML_ERROR_UNSUPPORTED, cases[c].needle);
    }
  /* and nothing ran */
  g_assert_false (g_file_test (marker, G_FILE_TEST_EXISTS));
}

static void
test_bombs (void)
{
  const guint deep = 20000;

  /* nested dicts 20000 deep: refused when flattened, without recursing */
  {
    g_autoptr (GByteArray) b = g_byte_array_new ();
    pk_proto (b);
    pk_op (b, '}');
    for (guint i = 0; i < deep; i++)
      {
        pk_str (b, "a");
        pk_op (b, '}');
      }
    for (guint i = 0; i < deep; i++)
      pk_op (b, 's');
    pk_op (b, '.');
    expect_pickle_error (b, 0, EIGML_ERROR_FORMAT, "expected nesting of at most 32 levels");
  }
  /* a dict containing itself */
  {
    g_autoptr (GByteArray) b = g_byte_array_new ();
    pk_proto (b);
    pk_op (b, '}');
    pk_binput (b, 0);
    pk_str (b, "self");
    pk_binget (b, 0);
    pk_op (b, 's');
    pk_op (b, '.');
    expect_pickle_error (b, 0, EIGML_ERROR_FORMAT, "a dict containing itself?");
  }
  /* lists 20000 deep: built (no recursion), hold no tensors */
  {
    g_autoptr (GByteArray) b = g_byte_array_new ();
    pk_proto (b);
    pk_op (b, '}');
    pk_str (b, "model");
    for (guint i = 0; i < deep; i++)
      pk_op (b, ']');
    for (guint i = 1; i < deep; i++)
      pk_op (b, 'a');
    pk_op (b, 's');
    pk_op (b, '.');
    expect_pickle_error (b, 0, EIGML_ERROR_FORMAT, "got a dict with keys 'model' and no tensors");
  }
  /* 2 MB of EMPTY_DICT: the memory budget stops it */
  {
    g_autoptr (GByteArray) b = g_byte_array_new ();
    pk_proto (b);
    g_byte_array_set_size (b, 2 + (2u << 20));
    memset (b->data + 2, '}', 2u << 20);
    pk_op (b, '.');
    expect_pickle_error (b, 0, EIGML_ERROR_FORMAT, "a pickle bomb?");
  }
  /* a list of 4 million None: within what 4 MB may cost, then over it */
  {
    g_autoptr (GByteArray) b = g_byte_array_new ();
    pk_proto (b);
    pk_op (b, ']');
    pk_op (b, '(');
    g_byte_array_set_size (b, b->len + (4u << 20));
    memset (b->data + b->len - (4u << 20), 'N', 4u << 20);
    pk_op (b, 'e');
    pk_op (b, '.');
    expect_pickle_error (b, 0, EIGML_ERROR_FORMAT, "APPENDS");
  }
  /* huge memo indices cost nothing; a missing one is an error */
  {
    g_autoptr (GByteArray) b = g_byte_array_new ();
    pk_proto (b);
    pk_op (b, '}');
    pk_binput (b, 0xffffffffu);
    pk_binget (b, 0xfffffffeu);
    pk_op (b, '.');
    expect_pickle_error (b, 0, EIGML_ERROR_FORMAT,
                         "memo index 4294967294: expected a stored value");
  }
  /* a string claiming 4 GiB */
  {
    g_autoptr (GByteArray) b = g_byte_array_new ();
    pk_proto (b);
    pk_op (b, 'X');
    for (guint i = 0; i < 4; i++)
      pk_op (b, 0xff);
    pk_op (b, '.');
    expect_pickle_error (b, 0, EIGML_ERROR_FORMAT, "expected 4294967295 argument bytes, got 1");
  }
  /* a million marks, no STOP */
  {
    g_autoptr (GByteArray) b = g_byte_array_new ();
    pk_proto (b);
    g_byte_array_set_size (b, 2 + 1000000);
    memset (b->data + 2, '(', 1000000);
    expect_pickle_error (b, 0, EIGML_ERROR_FORMAT, "expected a STOP opcode, got the end");
  }
}

/* {'t': <one tensor of storage "0" (@numel floats, given type)>} */
static GByteArray *
one_tensor_pickle (const char *storage_type,
                   gint64 numel,
                   gint64 offset,
                   const gint64 *shape,
                   const gint64 *strides,
                   guint n_dims)
{
  GByteArray *b = g_byte_array_new ();

  pk_proto (b);
  pk_op (b, '}');
  pk_str (b, "t");
  pk_tensor (b, storage_type, "0", numel, offset, shape, strides, n_dims);
  pk_op (b, 's');
  pk_op (b, '.');
  return b;
}

static void
test_hostile_tensors (void)
{
  struct
  {
    gint64 numel, offset;
    gint64 shape[5], strides[5];
    guint n_dims;
    gsize n_floats;
    int code;
    const char *needle;
  } cases[] = {
    { 6, 2, { 2, 3 }, { 3, 1 }, 2, 6, EIGML_ERROR_FORMAT,
      "tensor 't': reaches element 7 of its storage; expected below the storage size 6" },
    { 6, 0, { 2, 3 }, { -3, 1 }, 2, 6, EIGML_ERROR_FORMAT, "stride[0]: expected >= 0, got -3" },
    { 6, -1, { 2 }, { 1 }, 1, 6, EIGML_ERROR_FORMAT, "storage offset: expected >= 0, got -1" },
    { 6, 0, { 100, 100 }, { 0, 0 }, 2, 6, EIGML_ERROR_FORMAT, "expanded views" },
    { 6, 0, { 1, 1, 1, 2, 3 }, { 6, 6, 6, 3, 1 }, 5, 6, EIGML_ERROR_SHAPE,
      "tensor 't': expected at most 4 dimensions, got 5" },
    { 6, 0, { G_MAXINT64 / 2, 3 }, { G_MAXINT64 / 2, 1 }, 2, 6, EIGML_ERROR_FORMAT,
      "overflow 64 bits" },
    { 10, 0, { 2 }, { 1 }, 1, 6, EIGML_ERROR_FORMAT,
      "storage '0': expected 40 bytes (10 x F32), got 24" },
    { 6, 0, { 2 }, { 1 }, 1, 0, EIGML_ERROR_FORMAT, "expected a zip member 'archive/data/0'" },
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autoptr (GByteArray) pkl = one_tensor_pickle ("FloatStorage", cases[c].numel,
                                                      cases[c].offset, cases[c].shape,
                                                      cases[c].strides, cases[c].n_dims);
      expect_pickle_error (pkl, cases[c].n_floats, cases[c].code, cases[c].needle);
    }

  /* a float64 storage: refused by name when it is in the state dict */
  {
    g_autoptr (GByteArray) pkl = one_tensor_pickle ("DoubleStorage", 3, 0, (gint64[]) { 3 },
                                                    (gint64[]) { 1 }, 1);
    expect_pickle_error (pkl, 6, EIGML_ERROR_UNSUPPORTED, "tensor 't': dtype F64 (float64)");
  }
  /* an int64 value outside i32 */
  {
    g_autoptr (GByteArray) pkl = one_tensor_pickle ("LongStorage", 1, 0, (gint64[]) { 1 },
                                                    (gint64[]) { 1 }, 1);
    gint64 big = -((gint64) 1 << 40);
    ZipEntry storage = { "0", &big, 8 };
    g_autoptr (GByteArray) zip = build_torch_zip (pkl, &storage, 1);
    expect_load_error (zip->data, zip->len, EIGML_ERROR, EIGML_ERROR_OUT_OF_RANGE,
                       "got -1099511627776");
  }
  /* one key with two storage types */
  {
    g_autoptr (GByteArray) b = g_byte_array_new ();
    pk_proto (b);
    pk_op (b, '}');
    pk_op (b, '(');
    pk_str (b, "a");
    pk_tensor (b, "FloatStorage", "0", 2, 0, (gint64[]) { 2 }, (gint64[]) { 1 }, 1);
    pk_str (b, "b");
    pk_tensor (b, "IntStorage", "0", 2, 0, (gint64[]) { 2 }, (gint64[]) { 1 }, 1);
    pk_op (b, 'u');
    pk_op (b, '.');
    expect_pickle_error (b, 2, EIGML_ERROR_FORMAT, "expected the same type and size at every use");
  }
  /* a persistent id of the wrong shape */
  {
    g_autoptr (GByteArray) b = g_byte_array_new ();
    pk_proto (b);
    pk_str (b, "storage");
    pk_op (b, 0x85);
    pk_op (b, 'Q');
    pk_op (b, '.');
    expect_pickle_error (b, 0, EIGML_ERROR_FORMAT, "persistent id: expected a tuple of 5 items");
  }
  /* 100 views of one 256 KiB storage: more than 8 times the file */
  {
    g_autoptr (GByteArray) b = g_byte_array_new ();
    pk_proto (b);
    pk_op (b, '}');
    pk_op (b, '(');
    for (guint i = 0; i < 100; i++)
      {
        g_autofree char *name = g_strdup_printf ("v%u", i);
        pk_str (b, name);
        pk_tensor (b, "FloatStorage", "0", 65536, 0, (gint64[]) { 65536 }, (gint64[]) { 1 }, 1);
      }
    pk_op (b, 'u');
    pk_op (b, '.');
    expect_pickle_error (b, 65536, EIGML_ERROR_FORMAT, "8 times the file's size");
  }
}

/* Overwrites a 16- or 32-bit little-endian field. */
static void
poke (GByteArray *b,
      gsize offset,
      guint64 value,
      guint n)
{
  for (guint i = 0; i < n; i++)
    b->data[offset + i] = (guint8) (value >> (8 * i));
}

static gsize
central_entry (GByteArray *zip,
               guint index)
{
  const guint8 *eocd = zip->data + zip_eocd_offset (zip);
  gsize pos = eocd[16] | eocd[17] << 8 | eocd[18] << 16 | (gsize) eocd[19] << 24;

  for (guint i = 0; i < index; i++)
    pos += 46 + (zip->data[pos + 28] | zip->data[pos + 29] << 8);
  return pos;
}

static void
test_hostile_zip (void)
{
  struct
  {
    guint entry;          /* central directory entry to change, or G_MAXUINT */
    gsize field;          /* offset in it (or in the file) */
    guint64 value;
    guint n;
    int code;
    const char *needle;
  } cases[] = {
    { 0, 42, 0x00fffff0, 4, EIGML_ERROR_FORMAT, "local header offset: expected at most" },
    { 0, 20, 0x00100000, 4, EIGML_ERROR_FORMAT, "it runs past it" },
    { 0, 10, 8, 2, EIGML_ERROR_UNSUPPORTED, "compression method: expected 0" },
    { 0, 16, 0x12345678, 4, EIGML_ERROR_FORMAT, "CRC-32: expected 0x12345678" },
    { 0, 8, 1, 2, EIGML_ERROR_UNSUPPORTED, "encrypted" },
    { 1, 42, 0, 4, EIGML_ERROR_FORMAT, "local header name" },
    { G_MAXUINT, 8, 1000 | (1000 << 16), 4, EIGML_ERROR_FORMAT,
      "zip entry count: expected at most" },
    { G_MAXUINT, 16, 0xffffffff, 4, EIGML_ERROR_FORMAT, "zip64 end of central directory locator" },
    { G_MAXUINT, 16, 0x7fffffff, 4, EIGML_ERROR_FORMAT, "zip central directory [" },
    { G_MAXUINT, 4, 1, 2, EIGML_ERROR_UNSUPPORTED, "multi-disk" },
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autoptr (GByteArray) zip = build_reference_checkpoint_zip ();
      gsize base = cases[c].entry == G_MAXUINT ? zip_eocd_offset (zip)
                                               : central_entry (zip, cases[c].entry);
      if (cases[c].field == 20 && cases[c].entry != G_MAXUINT)
        poke (zip, base + 24, cases[c].value, 4); /* both sizes of a stored member */
      poke (zip, base + cases[c].field, cases[c].value, cases[c].n);
      expect_load_error (zip->data, zip->len, EIGML_ERROR, cases[c].code, cases[c].needle);
    }

  /* data.pkl's sizes reaching into the next member's local header */
  {
    g_autoptr (GByteArray) zip = build_reference_checkpoint_zip ();
    gsize entry = central_entry (zip, 0);
    guint64 size = zip_local_offset (zip, 1) - 64 + 1; /* data.pkl's data is at 64 */
    poke (zip, entry + 20, size, 4);
    poke (zip, entry + 24, size, 4);
    expect_load_error (zip->data, zip->len, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "expected no overlap with member 'archive/data/0'");
  }
  /* a flipped byte in a storage: its CRC says so */
  {
    g_autoptr (GByteArray) zip = build_reference_checkpoint_zip ();
    gsize local = zip_local_offset (zip, 1);
    gsize data = local + 30 + (zip->data[local + 26] | zip->data[local + 27] << 8)
                 + (zip->data[local + 28] | zip->data[local + 29] << 8);
    zip->data[data + 5] ^= 0x10;
    expect_load_error (zip->data, zip->len, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "zip member 'archive/data/0': CRC-32");
  }
  /* a storage of 20 MiB, whose CRC is computed in pieces: intact, then with
   * one bit flipped in its last piece */
  {
    const gint64 numel = 5 << 20;
    g_autoptr (GByteArray) pkl = one_tensor_pickle ("FloatStorage", numel, 0,
                                                    (gint64[]) { numel }, (gint64[]) { 1 }, 1);
    g_autofree float *floats = g_new (float, numel);
    ZipEntry storage = { "0", floats, numel * sizeof (float) };
    g_autoptr (GByteArray) zip = NULL;
    g_autofree char *path = NULL;
    g_autoptr (EigmlWeights) w = NULL;
    g_autoptr (GError) error = NULL;

    for (gint64 i = 0; i < numel; i++)
      floats[i] = (float) i;
    zip = build_torch_zip (pkl, &storage, 1);
    path = write_tmp ("big.pt", zip->data, zip->len);
    w = eigml_weights_load (path, &error);
    g_assert_no_error (error);
    g_assert_cmpmem (eigml_tensor_peek_data (eigml_weights_lookup (w, "t")), numel * 4, floats,
                     numel * 4);
    zip->data[zip_local_offset (zip, 2) - 100] ^= 0x02; /* inside storage "0", near its end */
    expect_load_error (zip->data, zip->len, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "zip member 'archive/data/0': CRC-32");
  }
  /* the end record cut off */
  {
    g_autoptr (GByteArray) zip = build_reference_checkpoint_zip ();
    expect_load_error (zip->data, zip->len - 10, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "not a zip archive, or truncated");
  }
  /* zips that are not torch.save checkpoints */
  {
    ZipEntry dup[] = { { "a/data.pkl", "x", 1 }, { "a/data.pkl", "y", 1 } };
    ZipEntry other[] = { { "readme.txt", "hi", 2 } };
    ZipEntry script[] = { { "m/data.pkl", "\x80\x02N.", 4 }, { "m/constants.pkl", "", 0 } };
    ZipEntry order[] = { { "m/data.pkl", "\x80\x02N.", 4 }, { "m/byteorder", "big", 3 } };
    g_autoptr (GByteArray) z1 = build_zip (dup, 2);
    g_autoptr (GByteArray) z2 = build_zip (other, 1);
    g_autoptr (GByteArray) z3 = build_zip (script, 2);
    g_autoptr (GByteArray) z4 = build_zip (order, 2);
    expect_load_error (z1->data, z1->len, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "expected unique names");
    expect_load_error (z2->data, z2->len, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "with an <archive>/data.pkl member; found none among 1 members "
                       "('readme.txt')");
    expect_load_error (z3->data, z3->len, EIGML_ERROR, EIGML_ERROR_UNSUPPORTED, "TorchScript");
    expect_load_error (z4->data, z4->len, EIGML_ERROR, EIGML_ERROR_UNSUPPORTED,
                       "expected 'little'");
  }
}

/* Every prefix of both layouts fails cleanly; every bit flip of the zip
 * and of the legacy file either loads or fails cleanly. */
static void
test_truncation_and_bitflips (void)
{
  GByteArray *files[3] = { build_reference_checkpoint_zip (), build_reference_checkpoint_legacy (),
                           build_reference_checkpoint_zip64 () };

  for (guint f = 0; f < G_N_ELEMENTS (files); f++)
    {
      GByteArray *b = files[f];
      guint loaded = 0;
      for (gsize cut = 0; cut < b->len; cut++)
        g_assert_false (load_any_in_memory (b->data, cut));
      for (gsize cut = 0; cut < b->len; cut += 16)
        {
          g_autofree char *p = write_tmp ("cut.pth", b->data, cut);
          g_autoptr (GError) error = NULL;
          g_autoptr (EigmlWeights) w = eigml_weights_load (p, &error);
          g_assert_null (w);
          g_assert_true (error->domain == EIGML_ERROR);
          g_assert_nonnull (strstr (error->message, "cut.pth"));
        }
      for (gsize i = 0; i < b->len; i++)
        for (guint bit = 0; bit < 8; bit++)
          {
            b->data[i] ^= (guint8) (1 << bit);
            loaded += load_any_in_memory (b->data, b->len);
            b->data[i] ^= (guint8) (1 << bit);
          }
      /* flips in padding and unused fields load; most others must not */
      g_assert_cmpuint (loaded, <, b->len * 8 / 2);
      g_byte_array_unref (b);
    }
}

static void
test_legacy_errors (void)
{
  g_autoptr (GByteArray) good = build_reference_checkpoint_legacy ();
  /* bytes 18-19: the protocol version pickle's BININT2 1001 */
  g_autoptr (GByteArray) version = g_byte_array_new_take (g_memdup2 (good->data, good->len),
                                                          good->len);
  g_autoptr (GByteArray) count = g_byte_array_new_take (g_memdup2 (good->data, good->len),
                                                        good->len);
  /* the storages at the end: 6 f32, 3 f16, 2 bf16, 2 i64, 1 f32, each after its count */
  gsize first_storage = good->len - (8 + 24) - (8 + 6) - (8 + 4) - (8 + 16) - (8 + 4);

  version->data[18] ^= 1;
  expect_load_error (version->data, version->len, EIGML_ERROR, EIGML_ERROR_UNSUPPORTED,
                     "protocol version: expected 1001");
  put_le64 (count->data + first_storage, 7);
  expect_load_error (count->data, count->len, EIGML_ERROR, EIGML_ERROR_FORMAT,
                     "element count: expected 6 (from the object), got 7");
}

int
main (int argc,
      char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/weights/torch/reference-zip", test_reference_zip);
  g_test_add_func ("/weights/torch/reference-zip64", test_reference_zip64);
  g_test_add_func ("/weights/torch/reference-legacy", test_reference_legacy);
  g_test_add_func ("/weights/torch/protocol4", test_protocol4);
  g_test_add_func ("/weights/torch/opcodes-and-naming", test_opcodes_and_naming);
  g_test_add_func ("/weights/torch/refused", test_refused);
  g_test_add_func ("/weights/torch/bombs", test_bombs);
  g_test_add_func ("/weights/torch/hostile-tensors", test_hostile_tensors);
  g_test_add_func ("/weights/torch/hostile-zip", test_hostile_zip);
  g_test_add_func ("/weights/torch/legacy-errors", test_legacy_errors);
  g_test_add_func ("/weights/torch/truncation-and-bitflips", test_truncation_and_bitflips);
  ret = g_test_run ();
  weights_test_cleanup ();
  return ret;
}
