/* test-encoders.c: the BERT and ViT encoders: shapes, masking, batching,
 * checkpoint name mapping, position-embedding resize, errors, and the two
 * backends agreeing. (Equality with PyTorch's modules on the same weights is
 * the reference suite's job: tests/reference/.)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "op-harness.h"
#include "nn/encoder-private.h"
#include "eigml-tensor-private.h"

#include <glib/gstdio.h>

#include <math.h>
#include <string.h>

static EigmlEncoderConfig *
small_text_config (void)
{
  EigmlEncoderConfig *c = eigml_encoder_config_new (EIGML_ENCODER_TEXT);

  c->n_layers = 2;
  c->hidden = 64;
  c->heads = 4;
  c->ffn = 128;
  c->vocab_size = 100;
  c->max_positions = 32;
  return c;
}

static EigmlEncoderConfig *
small_image_config (void)
{
  EigmlEncoderConfig *c = eigml_encoder_config_new (EIGML_ENCODER_IMAGE);

  c->n_layers = 2;
  c->hidden = 64;
  c->heads = 4;
  c->ffn = 128;
  c->image_size = 32;
  c->patch_size = 8;
  return c;
}

static EigmlTensor *
ids_tensor (gint64 b,
            gint64 t,
            const gint32 *data)
{
  g_autoptr (GError) error = NULL;
  gint64 shape[2] = { b, t };
  EigmlTensor *out = eigml_tensor_new_from_ints (shape, 2, data, b * t, &error);

  g_assert_no_error (error);
  return out;
}

static void
test_text_mask (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlEncoderConfig) c = small_text_config ();
  g_autoptr (EigmlTextEncoder) enc = eigml_text_encoder_new (harness_context (EIGML_BACKEND_CPU), c,
                                                             &error);
  gint32 ids_a[18] = { 1, 5, 6, 7, 8, 9, 10, 11, 2, 1, 20, 21, 22, 23, 2, 0, 0, 0 };
  gint32 ids_b[18] = { 1, 5, 6, 7, 8, 9, 10, 11, 2, 1, 20, 21, 22, 23, 2, 77, 3, 99 };
  gint32 mask[18] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0 };
  g_autoptr (EigmlTensor) ta = ids_tensor (2, 9, ids_a), tb = ids_tensor (2, 9, ids_b);
  g_autoptr (EigmlTensor) tm = ids_tensor (2, 9, mask);
  g_autoptr (EigmlTensor) ha = NULL, hb = NULL, pooled = NULL;
  g_autofree float *a = NULL, *b = NULL, *p = NULL;
  gsize n, np;

  g_assert_no_error (error);
  g_assert_cmpint (eigml_encoder_get_n_parameters (EIGML_ENCODER (enc)), ==,
                   100 * 64 + 32 * 64 + 2 * 64 + 2 * 64 +
                   2 * (4 * (64 * 64 + 64) + 64 * 128 + 128 + 128 * 64 + 64 + 4 * 64) +
                   64 * 64 + 64);
  ha = eigml_text_encoder_encode (enc, ta, tm, NULL, &pooled, &error);
  g_assert_no_error (error);
  hb = eigml_text_encoder_encode (enc, tb, tm, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (eigml_tensor_get_dim (ha, 2), ==, 64);
  a = eigml_tensor_dup_floats (ha, &n, &error);
  b = eigml_tensor_dup_floats (hb, &n, &error);
  g_assert_cmpuint (n, ==, 2 * 9 * 64);
  /* attention never looks at padding: changing padded ids changes nothing
   * at the real tokens */
  for (gint64 s = 0; s < 2; s++)
    for (gint64 t = 0; t < 9; t++)
      for (gint64 j = 0; j < 64; j++)
        {
          gint64 i = (s * 9 + t) * 64 + j;
          g_assert_true (isfinite (a[i]));
          if (mask[s * 9 + t])
            g_assert_cmpfloat_with_epsilon (a[i], b[i], 1e-5);
        }
  /* ... while the padded positions themselves did change */
  g_assert_cmpfloat (fabs (a[(9 + 8) * 64] - b[(9 + 8) * 64]), >, 1e-4);
  p = eigml_tensor_dup_floats (pooled, &np, &error);
  g_assert_cmpuint (np, ==, 2 * 64);
  for (gsize i = 0; i < np; i++)
    g_assert_true (p[i] > -1.0f && p[i] < 1.0f);
}

static void
test_text_errors (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlEncoderConfig) c = small_text_config ();
  g_autoptr (EigmlTextEncoder) enc = eigml_text_encoder_new (harness_context (EIGML_BACKEND_CPU), c,
                                                             &error);
  gint32 ids[4] = { 1, 2, 3, 100 };
  gint32 bad_mask[4] = { 1, 1, 2, 1 };
  gint64 long_shape[2] = { 1, 33 };
  g_autoptr (EigmlTensor) t = ids_tensor (1, 4, ids);
  g_autoptr (EigmlTensor) m = ids_tensor (1, 4, bad_mask);
  g_autoptr (EigmlTensor) long_ids = eigml_tensor_new (EIGML_DTYPE_I32, long_shape, 2, &error);
  g_autoptr (EigmlTensor) f = eigml_tensor_new (EIGML_DTYPE_F32, long_shape, 2, &error);

  g_assert_no_error (error);
  /* id 100 is outside a vocabulary of 100 */
  g_assert_null (eigml_text_encoder_encode (enc, t, NULL, NULL, NULL, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_OUT_OF_RANGE);
  g_clear_error (&error);
  ids[3] = 4;
  g_clear_object (&t);
  t = ids_tensor (1, 4, ids);
  g_assert_null (eigml_text_encoder_encode (enc, t, m, NULL, NULL, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_OUT_OF_RANGE);
  g_assert_nonnull (strstr (error->message, "expected 0 or 1"));
  g_clear_error (&error);
  g_assert_null (eigml_text_encoder_encode (enc, long_ids, NULL, NULL, NULL, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE);
  g_assert_nonnull (strstr (error->message, "at most 32"));
  g_clear_error (&error);
  g_assert_null (eigml_text_encoder_encode (enc, f, NULL, NULL, NULL, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_DTYPE);
  g_clear_error (&error);

  c->heads = 5;
  g_assert_null (eigml_text_encoder_new (harness_context (EIGML_BACKEND_CPU), c, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "heads must divide hidden"));
  g_clear_error (&error);
  c->heads = 4;
  c->kind = EIGML_ENCODER_IMAGE;
  g_assert_null (eigml_text_encoder_new (harness_context (EIGML_BACKEND_CPU), c, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
}

static void
test_config_json (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("eigml-config-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "config.json", NULL);
  g_autoptr (EigmlEncoderConfig) c = NULL;

  g_assert_true (g_file_set_contents (path,
                                      "{\"architectures\": [\"BertForMaskedLM\"], "
                                      "\"hidden_size\": 256, \"num_hidden_layers\": 4, "
                                      "\"num_attention_heads\": 8, \"intermediate_size\": 1024, "
                                      "\"vocab_size\": 21128, \"max_position_embeddings\": 512, "
                                      "\"type_vocab_size\": 2, \"layer_norm_eps\": 1e-12, "
                                      "\"hidden_act\": \"gelu\", \"hidden_dropout_prob\": 0.1}",
                                      -1, &error));
  c = eigml_encoder_config_new_from_json (EIGML_ENCODER_TEXT, path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (c->hidden, ==, 256);
  g_assert_cmpuint (c->n_layers, ==, 4);
  g_assert_cmpuint (c->heads, ==, 8);
  g_assert_cmpuint (c->ffn, ==, 1024);
  g_assert_cmpfloat (c->layer_norm_eps, ==, 1e-12f);

  g_assert_true (g_file_set_contents (path, "{\"hidden_act\": \"relu\"}", -1, &error));
  g_assert_null (eigml_encoder_config_new_from_json (EIGML_ENCODER_TEXT, path, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_UNSUPPORTED);
  g_clear_error (&error);
  g_assert_true (g_file_set_contents (path, "{\"hidden_size\": -3}", -1, &error));
  g_assert_null (eigml_encoder_config_new_from_json (EIGML_ENCODER_TEXT, path, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "hidden_size"));
  g_clear_error (&error);
  g_assert_true (g_file_set_contents (path, "[1, 2", -1, &error));
  g_assert_null (eigml_encoder_config_new_from_json (EIGML_ENCODER_TEXT, path, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_patchify (void)
{
  g_autoptr (GError) error = NULL;
  gint64 shape[4] = { 2, 3, 8, 12 };
  g_autoptr (EigmlTensor) px = eigml_tensor_new (EIGML_DTYPE_F32, shape, 4, &error);
  g_autoptr (EigmlTensor) patches = NULL;
  float *data = eigml_tensor_peek_data_mutable (px);
  const float *out;

  for (gint64 i = 0; i < 2 * 3 * 8 * 12; i++)
    data[i] = (float) i;
  patches = eigml_image_patchify (px, 4, &error);
  g_assert_no_error (error);
  g_assert_cmpint (eigml_tensor_get_dim (patches, 1), ==, 2 * 3);
  g_assert_cmpint (eigml_tensor_get_dim (patches, 2), ==, 3 * 4 * 4);
  out = eigml_tensor_peek_data (patches);
  for (gint64 b = 0; b < 2; b++)
    for (gint64 py = 0; py < 2; py++)
      for (gint64 px_ = 0; px_ < 3; px_++)
        for (gint64 c = 0; c < 3; c++)
          for (gint64 ky = 0; ky < 4; ky++)
            for (gint64 kx = 0; kx < 4; kx++)
              g_assert_cmpfloat (out[((b * 6 + py * 3 + px_) * 3 + c) * 16 + ky * 4 + kx], ==,
                                 data[((b * 3 + c) * 8 + py * 4 + ky) * 12 + px_ * 4 + kx]);
  g_clear_object (&patches);
  g_assert_null (eigml_image_patchify (px, 5, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE);
}

static void
test_image_batching (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlEncoderConfig) c = small_image_config ();
  g_autoptr (EigmlImageEncoder) enc = eigml_image_encoder_new (harness_context (EIGML_BACKEND_CPU),
                                                               c, &error);
  gint64 shape[4] = { 3, 3, 32, 32 }, one[4] = { 1, 3, 32, 32 };
  g_autoptr (EigmlTensor) px = eigml_tensor_new (EIGML_DTYPE_F32, shape, 4, &error);
  g_autoptr (EigmlTensor) all = NULL;
  g_autofree float *h = NULL;
  float *data = eigml_tensor_peek_data_mutable (px);
  gsize n;

  g_assert_no_error (error);
  for (gint64 i = 0; i < 3 * 3 * 32 * 32; i++)
    data[i] = sinf ((float) i * 0.37f);
  all = eigml_image_encoder_encode (enc, px, &error);
  g_assert_no_error (error);
  g_assert_cmpint (eigml_tensor_get_dim (all, 1), ==, 1 + 16);
  h = eigml_tensor_dup_floats (all, &n, &error);
  g_assert_cmpuint (n, ==, 3 * 17 * 64);
  for (gint64 b = 0; b < 3; b++)
    {
      g_autoptr (EigmlTensor) single = eigml_tensor_new_from_floats (one, 4,
                                                                     data + b * 3 * 32 * 32,
                                                                     3 * 32 * 32, &error);
      g_autoptr (EigmlTensor) hs = eigml_image_encoder_encode (enc, single, &error);
      g_autofree float *s = eigml_tensor_dup_floats (hs, &n, &error);
      g_assert_no_error (error);
      for (gsize i = 0; i < n; i++)
        {
          g_assert_true (isfinite (s[i]));
          g_assert_cmpfloat_with_epsilon (s[i], h[b * n + i], 1e-4);
        }
    }
  {
    gint64 bad[4] = { 1, 3, 16, 16 };
    g_autoptr (EigmlTensor) small = eigml_tensor_new (EIGML_DTYPE_F32, bad, 4, &error);
    g_assert_null (eigml_image_encoder_encode (enc, small, &error));
    g_assert_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE);
  }
}

/* ---- checkpoint name mapping --------------------------------------------- */

static EigmlTensor *
table_lookup (const char *name,
              gpointer data)
{
  return g_hash_table_lookup (data, name);
}

static EigmlTensor *
ramp (guint n_dims,
      const gint64 *shape,
      float base)
{
  g_autoptr (GError) error = NULL;
  EigmlTensor *t = eigml_tensor_new (EIGML_DTYPE_F32, shape, n_dims, &error);
  float *d = eigml_tensor_peek_data_mutable (t);

  for (gint64 i = 0; i < eigml_tensor_get_n_elements (t); i++)
    d[i] = base + 0.001f * (float) i;
  return t;
}

static void
assert_param_equals (EigmlEncoder *enc,
                     const char *name,
                     const float *want,
                     gint64 n)
{
  g_autoptr (GError) error = NULL;
  EigmlParam *p = eigml_encoder_lookup_param (enc, name);
  g_autofree float *have = NULL;

  g_assert_nonnull (p);
  g_assert_cmpint (p->n_elements, ==, n);
  have = eigml_param_dup (p, EIGML_LEAF_PARAM, &error);
  g_assert_no_error (error);
  for (gint64 i = 0; i < n; i++)
    if (have[i] != want[i])
      g_error ("parameter %s element %" G_GINT64_FORMAT ": %g, expected %g", name, i, have[i],
               want[i]);
}

static gboolean
strv_has (char **strv,
          const char *s)
{
  return strv != NULL && g_strv_contains ((const char *const *) strv, s);
}

static void
test_load_bert_names (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlEncoderConfig) c = small_text_config ();
  g_autoptr (EigmlTextEncoder) enc = NULL;
  g_autoptr (GHashTable) ckpt = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                       g_object_unref);
  GPtrArray *params;
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  g_auto (GStrv) missing = NULL, unexpected = NULL;
  gint64 ids_shape[2] = { 1, 32 };
  float base = 0.0f;

  c->n_layers = 1;
  enc = eigml_text_encoder_new (harness_context (EIGML_BACKEND_CPU), c, &error);
  g_assert_no_error (error);
  params = eigml_param_store_get_params (eigml_encoder_get_store (EIGML_ENCODER (enc)));
  for (guint i = 0; i < params->len; i++)
    {
      EigmlParam *p = g_ptr_array_index (params, i);
      g_autofree char *name = NULL;

      if (g_str_has_prefix (p->name, "pooler."))
        continue; /* left out: must be reported missing */
      if (g_str_equal (p->name, "embeddings.LayerNorm.weight"))
        name = g_strdup ("bert.embeddings.LayerNorm.gamma"); /* the old name */
      else
        name = g_strconcat ("bert.", p->name, NULL);
      g_hash_table_insert (ckpt, g_steal_pointer (&name), ramp (p->n_dims, p->shape, base));
      base += 1.0f;
    }
  g_hash_table_insert (ckpt, g_strdup ("bert.embeddings.position_ids"),
                       eigml_tensor_new (EIGML_DTYPE_I32, ids_shape, 2, NULL));
  g_hash_table_insert (ckpt, g_strdup ("bert.unknown.weight"), ramp (1, ids_shape + 1, 0.5f));
  g_hash_table_insert (ckpt, g_strdup ("cls.predictions.bias"), ramp (1, ids_shape + 1, 0.5f));
  {
    GHashTableIter iter;
    gpointer key;
    g_hash_table_iter_init (&iter, ckpt);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      g_ptr_array_add (names, key);
    g_ptr_array_add (names, NULL);
  }

  g_assert_true (eigml_encoder_load_from (EIGML_ENCODER (enc), table_lookup, ckpt,
                                          (const char *const *) names->pdata, NULL, &missing,
                                          &unexpected, &error));
  g_assert_no_error (error);
  g_assert_true (strv_has (missing, "bert.pooler.dense.weight"));
  g_assert_true (strv_has (missing, "bert.pooler.dense.bias"));
  g_assert_cmpuint (g_strv_length (missing), ==, 2);
  g_assert_true (strv_has (unexpected, "bert.unknown.weight"));
  g_assert_cmpuint (g_strv_length (unexpected), ==, 1);
  {
    EigmlTensor *t = g_hash_table_lookup (ckpt, "bert.encoder.layer.0.attention.self.key.weight");
    assert_param_equals (EIGML_ENCODER (enc), "encoder.layer.0.attention.self.key.weight",
                         eigml_tensor_peek_data (t), eigml_tensor_get_n_elements (t));
    t = g_hash_table_lookup (ckpt, "bert.embeddings.LayerNorm.gamma");
    assert_param_equals (EIGML_ENCODER (enc), "embeddings.LayerNorm.weight",
                         eigml_tensor_peek_data (t), eigml_tensor_get_n_elements (t));
  }

  /* a wrong shape is an error naming the tensor */
  {
    gint64 wrong[2] = { 100, 63 };
    g_hash_table_insert (ckpt, g_strdup ("bert.embeddings.word_embeddings.weight"),
                         ramp (2, wrong, 0.0f));
    g_clear_pointer (&missing, g_strfreev);
    g_clear_pointer (&unexpected, g_strfreev);
    g_assert_false (eigml_encoder_load_from (EIGML_ENCODER (enc), table_lookup, ckpt,
                                             (const char *const *) names->pdata, NULL, &missing,
                                             &unexpected, &error));
    g_assert_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE);
    g_assert_nonnull (strstr (error->message, "bert.embeddings.word_embeddings.weight"));
  }
}

static void
test_load_vit_names (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlEncoderConfig) c = small_image_config ();
  g_autoptr (EigmlImageEncoder) enc = NULL;
  g_autoptr (GHashTable) ckpt = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                       g_object_unref);
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  g_auto (GStrv) missing = NULL, unexpected = NULL;
  gint64 conv[4] = { 64, 3, 8, 8 }, cls[3] = { 1, 1, 64 }, pos[3] = { 1, 1 + 36, 64 };
  gint64 qkv_w[2] = { 192, 64 }, qkv_b[1] = { 192 }, vec[1] = { 64 };
  gint64 fc1[2] = { 128, 64 }, fc1b[1] = { 128 }, fc2[2] = { 64, 128 }, proj[2] = { 64, 64 };
  EigmlTensor *t;

  c->n_layers = 1;
  enc = eigml_image_encoder_new (harness_context (EIGML_BACKEND_CPU), c, &error);
  g_assert_no_error (error);
#define ADD(name, nd, shape, base) \
  g_hash_table_insert (ckpt, g_strdup ("visual_encoder." name), ramp (nd, shape, base))
  ADD ("patch_embed.proj.weight", 4, conv, 1.0f);
  ADD ("patch_embed.proj.bias", 1, vec, 2.0f);
  ADD ("cls_token", 3, cls, 3.0f);
  ADD ("pos_embed", 3, pos, 4.0f);   /* a 6 x 6 grid for a 4 x 4 input grid */
  ADD ("blocks.0.norm1.weight", 1, vec, 5.0f);
  ADD ("blocks.0.norm1.bias", 1, vec, 6.0f);
  ADD ("blocks.0.attn.qkv.weight", 2, qkv_w, 7.0f);
  ADD ("blocks.0.attn.qkv.bias", 1, qkv_b, 8.0f);
  ADD ("blocks.0.attn.proj.weight", 2, proj, 9.0f);
  ADD ("blocks.0.attn.proj.bias", 1, vec, 10.0f);
  ADD ("blocks.0.norm2.weight", 1, vec, 11.0f);
  ADD ("blocks.0.norm2.bias", 1, vec, 12.0f);
  ADD ("blocks.0.mlp.fc1.weight", 2, fc1, 13.0f);
  ADD ("blocks.0.mlp.fc1.bias", 1, fc1b, 14.0f);
  ADD ("blocks.0.mlp.fc2.weight", 2, fc2, 15.0f);
  ADD ("blocks.0.mlp.fc2.bias", 1, vec, 16.0f);
  ADD ("norm.weight", 1, vec, 17.0f);
  /* norm.bias left out */
#undef ADD
  g_hash_table_insert (ckpt, g_strdup ("text_encoder.embeddings.word_embeddings.weight"),
                       ramp (2, fc1, 0.0f)); /* ALBEF's other half: not ours, not unexpected */
  {
    GHashTableIter iter;
    gpointer key;
    g_hash_table_iter_init (&iter, ckpt);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      g_ptr_array_add (names, key);
    g_ptr_array_add (names, NULL);
  }
  g_assert_true (eigml_encoder_load_from (EIGML_ENCODER (enc), table_lookup, ckpt,
                                          (const char *const *) names->pdata, NULL, &missing,
                                          &unexpected, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (missing), ==, 1);
  g_assert_true (strv_has (missing, "visual_encoder.norm.bias"));
  g_assert_cmpuint (g_strv_length (unexpected), ==, 0);

  /* the fused qkv split in thirds of its rows */
  t = g_hash_table_lookup (ckpt, "visual_encoder.blocks.0.attn.qkv.weight");
  assert_param_equals (EIGML_ENCODER (enc), "blocks.0.attn.query.weight",
                       eigml_tensor_peek_data (t), 64 * 64);
  assert_param_equals (EIGML_ENCODER (enc), "blocks.0.attn.key.weight",
                       (const float *) eigml_tensor_peek_data (t) + 64 * 64, 64 * 64);
  assert_param_equals (EIGML_ENCODER (enc), "blocks.0.attn.value.weight",
                       (const float *) eigml_tensor_peek_data (t) + 2 * 64 * 64, 64 * 64);
  t = g_hash_table_lookup (ckpt, "visual_encoder.blocks.0.attn.qkv.bias");
  assert_param_equals (EIGML_ENCODER (enc), "blocks.0.attn.value.bias",
                       (const float *) eigml_tensor_peek_data (t) + 128, 64);
  /* the conv weight flattened as (c, ky, kx) */
  t = g_hash_table_lookup (ckpt, "visual_encoder.patch_embed.proj.weight");
  assert_param_equals (EIGML_ENCODER (enc), "patch_embed.proj.weight", eigml_tensor_peek_data (t),
                       64 * 192);
  /* position embeddings: class row kept, the 6 x 6 grid resized to 4 x 4 */
  {
    const float *src = eigml_tensor_peek_data (g_hash_table_lookup (ckpt,
                                                                    "visual_encoder.pos_embed"));
    float want[17 * 64];
    memcpy (want, src, 64 * sizeof (float));
    eigml_interpolate_bicubic (src + 64, 6, 6, 64, want + 64, 4, 4);
    assert_param_equals (EIGML_ENCODER (enc), "pos_embed", want, 17 * 64);
  }
}

/* Keys' cubic: the taps' weights sum to 1 (constants stay), a sample at a
 * whole coordinate is returned exactly (a same-size resize is the
 * identity), and mirroring the input mirrors the output. Equality with
 * torch's interpolate is in the reference suite. */
static void
test_bicubic_properties (void)
{
  float in[10 * 10 * 2], mirrored[10 * 10 * 2], out[7 * 7 * 2], same[10 * 10 * 2];
  float out_m[7 * 7 * 2];

  for (int y = 0; y < 10; y++)
    for (int x = 0; x < 10; x++)
      {
        in[(y * 10 + x) * 2] = 3.5f;
        in[(y * 10 + x) * 2 + 1] = sinf (0.7f * x) * cosf (0.3f * y);
      }
  for (int y = 0; y < 10; y++)
    for (int x = 0; x < 10; x++)
      for (int ch = 0; ch < 2; ch++)
        mirrored[(y * 10 + x) * 2 + ch] = in[(y * 10 + (9 - x)) * 2 + ch];
  eigml_interpolate_bicubic (in, 10, 10, 2, out, 7, 7);
  for (int i = 0; i < 49; i++)
    g_assert_cmpfloat_with_epsilon (out[2 * i], 3.5f, 1e-5);
  eigml_interpolate_bicubic (in, 10, 10, 2, same, 10, 10);
  for (int i = 0; i < 200; i++)
    g_assert_cmpfloat_with_epsilon (same[i], in[i], 1e-6);
  eigml_interpolate_bicubic (mirrored, 10, 10, 2, out_m, 7, 7);
  for (int y = 0; y < 7; y++)
    for (int x = 0; x < 7; x++)
      g_assert_cmpfloat_with_epsilon (out_m[(y * 7 + x) * 2 + 1], out[(y * 7 + (6 - x)) * 2 + 1],
                                      1e-5);
}

static void
test_vulkan_matches_cpu (void)
{
  g_autoptr (GError) error = NULL;
  EigmlContext *vk = harness_context (EIGML_BACKEND_VULKAN);
  g_autoptr (EigmlEncoderConfig) tc = small_text_config ();
  g_autoptr (EigmlEncoderConfig) ic = small_image_config ();
  gint32 ids[14] = { 1, 5, 6, 7, 8, 9, 2, 1, 50, 51, 52, 2, 0, 0 };
  gint32 mask[14] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0 };
  gint64 px_shape[4] = { 2, 3, 32, 32 };

  if (vk == NULL)
    {
      g_test_skip ("no Vulkan device (EIGML_TEST_ALLOW_NO_VULKAN is set)");
      return;
    }
  {
    g_autoptr (EigmlTextEncoder) cpu = eigml_text_encoder_new (harness_context (EIGML_BACKEND_CPU),
                                                               tc, &error);
    g_autoptr (EigmlTextEncoder) gpu = eigml_text_encoder_new (vk, tc, &error);
    g_autoptr (EigmlTensor) t = ids_tensor (2, 7, ids), m = ids_tensor (2, 7, mask);
    g_autoptr (EigmlTensor) hc = eigml_text_encoder_encode (cpu, t, m, NULL, NULL, &error);
    g_autoptr (EigmlTensor) hg = eigml_text_encoder_encode (gpu, t, m, NULL, NULL, &error);
    g_autofree float *a = NULL, *b = NULL;
    gsize n;
    double max_ref = 0.0, max_diff = 0.0;

    g_assert_no_error (error);
    a = eigml_tensor_dup_floats (hc, &n, &error);
    b = eigml_tensor_dup_floats (hg, &n, &error);
    for (gsize i = 0; i < n; i++)
      {
        max_ref = MAX (max_ref, fabs (a[i]));
        max_diff = MAX (max_diff, fabs (a[i] - b[i]));
      }
    g_assert_cmpfloat (max_diff / max_ref, <=, 1e-4);
  }
  {
    g_autoptr (EigmlImageEncoder) cpu = eigml_image_encoder_new (
      harness_context (EIGML_BACKEND_CPU), ic, &error);
    g_autoptr (EigmlImageEncoder) gpu = eigml_image_encoder_new (vk, ic, &error);
    g_autoptr (EigmlTensor) px = eigml_tensor_new (EIGML_DTYPE_F32, px_shape, 4, &error);
    g_autoptr (EigmlTensor) hc = NULL, hg = NULL;
    g_autofree float *a = NULL, *b = NULL;
    float *d = eigml_tensor_peek_data_mutable (px);
    gsize n;
    double max_ref = 0.0, max_diff = 0.0;

    for (gint64 i = 0; i < 2 * 3 * 32 * 32; i++)
      d[i] = cosf ((float) i * 0.11f);
    hc = eigml_image_encoder_encode (cpu, px, &error);
    hg = eigml_image_encoder_encode (gpu, px, &error);
    g_assert_no_error (error);
    a = eigml_tensor_dup_floats (hc, &n, &error);
    b = eigml_tensor_dup_floats (hg, &n, &error);
    for (gsize i = 0; i < n; i++)
      {
        max_ref = MAX (max_ref, fabs (a[i]));
        max_diff = MAX (max_diff, fabs (a[i] - b[i]));
      }
    g_assert_cmpfloat (max_diff / max_ref, <=, 1e-4);
  }
}

/* Training mode: dropout on, a loss, gradients of every parameter; the
 * same RNG state draws the same masks on both backends, so losses and
 * gradients agree, and a different RNG offset changes the loss. */
static double
train_step (EigmlContext *ctx,
            const EigmlEncoderConfig *c,
            guint64 rng_offset,
            float **grad_out,
            gint64 *n_grad)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlTextEncoder) enc = eigml_text_encoder_new (ctx, c, &error);
  g_autoptr (EigmlGraph) g = eigml_graph_new (ctx);
  gint64 shape[2] = { 2, 6 };
  gint32 ids[12] = { 2, 10, 11, 12, 13, 3, 2, 20, 21, 22, 3, 0 };
  EigmlNode *x, *hidden, *pooled = NULL, *loss;
  EigmlParam *p;
  float value = NAN;

  g_assert_no_error (error);
  x = eigml_graph_input (g, "ids", EIGML_DTYPE_I32, 2, shape);
  hidden = eigml_text_encoder_build (enc, g, x, NULL, NULL, TRUE, &pooled);
  loss = eigml_op_add (g, eigml_op_mean_all (g, eigml_op_unary (g, EIGML_UNARY_SQUARE, hidden)),
                       eigml_op_sum_all (g, pooled));
  g_assert_true (eigml_graph_backward (g, loss, &error));
  g_assert_true (eigml_graph_set_input_ints (g, x, ids, 12, &error));
  g_assert_true (eigml_graph_set_rng (g, 42, rng_offset, &error));
  g_assert_true (eigml_graph_compute (g, &error));
  g_assert_true (eigml_graph_read (g, loss, &value, sizeof value, &error));
  g_assert_no_error (error);
  p = eigml_encoder_lookup_param (EIGML_ENCODER (enc), "encoder.layer.0.attention.self.query.weight");
  *grad_out = eigml_param_dup (p, EIGML_LEAF_PARAM_GRAD, &error);
  *n_grad = p->n_elements;
  g_assert_no_error (error);
  return value;
}

static void
test_train_mode (void)
{
  EigmlContext *vk = harness_context (EIGML_BACKEND_VULKAN);
  g_autoptr (EigmlEncoderConfig) c = small_text_config ();
  g_autofree float *gc = NULL, *gv = NULL, *gc2 = NULL;
  gint64 n;
  double lc, lv, lc2, max_ref = 0.0, max_diff = 0.0;

  if (vk == NULL)
    {
      g_test_skip ("no Vulkan device (EIGML_TEST_ALLOW_NO_VULKAN is set)");
      return;
    }
  c->dropout = 0.2f;
  c->attention_dropout = 0.2f;
  lc = train_step (harness_context (EIGML_BACKEND_CPU), c, 5, &gc, &n);
  lv = train_step (vk, c, 5, &gv, &n);
  lc2 = train_step (harness_context (EIGML_BACKEND_CPU), c, 6, &gc2, &n);
  g_assert_cmpfloat (fabs (lc - lv), <=, 1e-4 * fabs (lc));
  g_assert_cmpfloat (fabs (lc - lc2), >, 1e-4 * fabs (lc)); /* other masks */
  for (gint64 i = 0; i < n; i++)
    {
      max_ref = MAX (max_ref, fabs (gc[i]));
      max_diff = MAX (max_diff, fabs (gc[i] - gv[i]));
    }
  g_assert_cmpfloat (max_ref, >, 0.0);
  g_assert_cmpfloat (max_diff / max_ref, <=, 1e-4);
}

int
main (int argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cpu/encoders/text-mask", test_text_mask);
  g_test_add_func ("/cpu/encoders/text-errors", test_text_errors);
  g_test_add_func ("/cpu/encoders/config-json", test_config_json);
  g_test_add_func ("/cpu/encoders/patchify", test_patchify);
  g_test_add_func ("/cpu/encoders/image-batching", test_image_batching);
  g_test_add_func ("/cpu/encoders/load-bert-names", test_load_bert_names);
  g_test_add_func ("/cpu/encoders/load-vit-names", test_load_vit_names);
  g_test_add_func ("/cpu/encoders/bicubic", test_bicubic_properties);
  g_test_add_func ("/vulkan/encoders/matches-cpu", test_vulkan_matches_cpu);
  g_test_add_func ("/vulkan/encoders/train-mode", test_train_mode);
  {
    int status = g_test_run ();
    harness_cleanup ();
    return status;
  }
}
