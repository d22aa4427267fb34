/* weights-testlib.h: byte-level writers of pickles, zips, torch.save
 * checkpoints and safetensors files, and load checks, for the weight tests
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * They write exactly the bytes torch.save and the safetensors format do
 * (checked against real PyTorch by tests/reference/test_weights.py), and
 * let a test write anything else too: hostile files are built from good
 * ones by changing a few bytes.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* pickle opcodes, protocol 2 (what torch.save writes) */
void pk_op (GByteArray *b, guint8 op);
void pk_proto (GByteArray *b);
void pk_str (GByteArray *b, const char *s);
void pk_int (GByteArray *b, gint64 v);
void pk_float (GByteArray *b, double v);
void pk_global (GByteArray *b, const char *module, const char *name);
void pk_binput (GByteArray *b, guint32 index);
void pk_binget (GByteArray *b, guint32 index);
void pk_int_tuple (GByteArray *b, const gint64 *v, guint n);
/* _rebuild_tensor_v2 (persistent storage id, offset, size, stride, False,
 * OrderedDict ()); @storage_type as "FloatStorage" */
void pk_tensor (GByteArray *b, const char *storage_type, const char *key, gint64 numel,
                gint64 offset, const gint64 *shape, const gint64 *strides, guint n_dims);
/* the same with a legacy (pre-1.6) persistent id, view metadata None */
void pk_tensor_legacy (GByteArray *b, const char *storage_type, const char *key, gint64 numel,
                       gint64 offset, const gint64 *shape, const gint64 *strides, guint n_dims);

typedef struct
{
  const char *name;
  const void *data;
  gsize size;
} ZipEntry;

/* A stored zip, each member's data aligned to 64 bytes as torch.save does. */
GByteArray *build_zip (const ZipEntry *entries, guint n_entries);
/* The same in zip64 form: 0xffffffff sizes and offsets in the directory,
 * the values in zip64 extra fields, zip64 end record and locator. */
GByteArray *build_zip64 (const ZipEntry *entries, guint n_entries);
/* The offset of member @index's local header in what build_zip () wrote. */
gsize zip_local_offset (GByteArray *zip, guint index);
/* The offset of the end of central directory record. */
gsize zip_eocd_offset (GByteArray *zip);

/* A safetensors file: header length, @json padded to 8 with spaces, data. */
GByteArray *build_safetensors (const char *json, const void *data, gsize size);

/* The reference checkpoint of the tests, in both torch layouts: a dict
 * {'model': OrderedDict (w: f32 [2, 3], t: transposed view of w's storage,
 * s: slice with offset, h: f16 [3], bf: bf16 [2], i: i64 [2], scalar: f32 []),
 * 'epoch': 3, 'lr': 0.5}. */
GByteArray *build_reference_checkpoint_zip (void);
/* The data.pkl of that checkpoint, with legacy persistent ids or not. */
GByteArray *build_reference_pickle (gboolean legacy);
/* {'model': OrderedDict (w: f32 [2, 2] view, strides (1, 2), offset 1 of
 * storage "0" of 6 floats)} in pickle protocol 4: FRAME, MEMOIZE,
 * SHORT_BINUNICODE, STACK_GLOBAL. */
GByteArray *build_protocol4_pickle (void);
GByteArray *build_reference_checkpoint_legacy (void);
GByteArray *build_reference_checkpoint_zip64 (void);
/* A torch.save zip of the given data.pkl and storages (key, bytes pairs). */
GByteArray *build_torch_zip (GByteArray *pkl, const ZipEntry *storages, guint n_storages);

void put_le64 (guint8 *p, guint64 v);

/* A temporary folder for the test's files, removed by weights_test_cleanup (). */
const char *weights_test_tmp_dir (void);
void weights_test_cleanup (void);
char *write_tmp (const char *name, const void *data, gsize size);
/* Writes @data to a file, loads it with eigml_weights_load () and expects
 * an error of @domain/@code whose message names the file and contains
 * @needle (when not NULL). */
void expect_load_error (const void *data, gsize size, GQuark domain, int code,
                        const char *needle);
/* Loads @data: success, or an EIGML_ERROR naming the file; never a crash. */
gboolean load_any (const void *data, gsize size);
/* The same through the readers' in-memory entry points: for loops over
 * thousands of variants of a file. */
gboolean load_any_in_memory (const void *data, gsize size);

G_END_DECLS
