/* eigml-image-encoder.c: the ViT image encoder
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "eigml-image-encoder.h"
#include "eigml-error.h"
#include "eigml-tensor-private.h"
#include "engine/graph-cache.h"
#include "nn/encoder-private.h"

#include <string.h>

/**
 * EigmlImageEncoder:
 *
 * ViT, as timm's `VisionTransformer` (and ALBEF's visual encoder) computes
 * it: patch embedding (a stride-p convolution, run as one matrix product
 * over patches), a `[CLS]` token, learned position embeddings, pre-LN
 * transformer blocks (LayerNorm eps 1e-6, GELU) and a final LayerNorm.
 * Position embeddings of a checkpoint made for another grid (224 x 224 ->
 * 14 x 14, or 256 -> 16 x 16) are resized bicubically to the input's grid
 * when loaded, as ALBEF does (8 x 8 for the paper's 128 x 128 stickers).
 *
 * Since: 1.0
 */
struct _EigmlImageEncoder
{
  EigmlEncoder parent_instance;

  EigmlLinear patch;        /* weight [hidden, channels * patch * patch] */
  EigmlParam *cls;          /* [1, 1, hidden] */
  EigmlParam *pos;          /* [1, 1 + patches, hidden] */
  EigmlTransformerBlock *blocks;
  guint n_layers;
  EigmlLayerNorm norm;
};

G_DEFINE_FINAL_TYPE (EigmlImageEncoder, eigml_image_encoder, EIGML_TYPE_ENCODER)

static void
eigml_image_encoder_finalize (GObject *object)
{
  EigmlImageEncoder *self = EIGML_IMAGE_ENCODER (object);

  g_free (self->blocks);
  G_OBJECT_CLASS (eigml_image_encoder_parent_class)->finalize (object);
}

static void
eigml_image_encoder_class_init (EigmlImageEncoderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = eigml_image_encoder_finalize;
}

static gint64
grid_side (const EigmlEncoderConfig *c)
{
  return c->image_size / c->patch_size;
}

static gboolean
image_init_params (EigmlEncoder *encoder,
                   EigmlParamStore *store,
                   const char *prefix,
                   GError **error)
{
  EigmlImageEncoder *self = EIGML_IMAGE_ENCODER (encoder);
  const EigmlEncoderConfig *c = eigml_encoder_get_config (encoder);
  EigmlTransformerConfig block = {
    .hidden = c->hidden, .heads = c->heads, .ffn = c->ffn, .eps = c->layer_norm_eps,
    .dropout = c->dropout, .attn_dropout = c->attention_dropout, .pre_ln = TRUE,
  };
  gint64 g = grid_side (c);
  gint64 cls_shape[3] = { 1, 1, c->hidden };
  gint64 pos_shape[3] = { 1, 1 + g * g, c->hidden };
  g_autofree char *patch = g_strconcat (prefix, "patch_embed.proj", NULL);
  g_autofree char *cls = g_strconcat (prefix, "cls_token", NULL);
  g_autofree char *pos = g_strconcat (prefix, "pos_embed", NULL);
  g_autofree char *norm = g_strconcat (prefix, "norm", NULL);

  if (!eigml_linear_init (&self->patch, store, patch, (gint64) c->channels * c->patch_size *
                                                      c->patch_size, c->hidden, TRUE, 0.02f,
                          error))
    return FALSE;
  self->cls = eigml_param_store_add (store, cls, 3, cls_shape, EIGML_INIT_NORMAL, 0.02f, FALSE,
                                     error);
  if (self->cls == NULL)
    return FALSE;
  self->pos = eigml_param_store_add (store, pos, 3, pos_shape, EIGML_INIT_NORMAL, 0.02f, FALSE,
                                     error);
  if (self->pos == NULL)
    return FALSE;
  self->n_layers = c->n_layers;
  self->blocks = g_new0 (EigmlTransformerBlock, c->n_layers);
  for (guint i = 0; i < c->n_layers; i++)
    {
      g_autofree char *name = g_strdup_printf ("%sblocks.%u", prefix, i);
      if (!eigml_transformer_block_init (&self->blocks[i], store, name, &block, error))
        return FALSE;
    }
  return eigml_layer_norm_init (&self->norm, store, norm, c->hidden, c->layer_norm_eps, error);
}

/* Copies rows [row0, row0 + rows) of a checkpoint tensor (its first axis)
 * into a parameter: timm fuses query, key and value in one attn.qkv. */
static gboolean
copy_rows (EigmlEncoder *encoder,
           const char *param_name,
           const char *ckpt_name,
           EigmlTensor *t,
           gint64 row0,
           gint64 rows,
           GError **error)
{
  EigmlParam *param = eigml_encoder_lookup_param (encoder, param_name);
  gint64 total = eigml_tensor_get_dim (t, 0);
  gint64 per_row;
  g_autofree float *data = NULL;
  gsize n;

  if (param == NULL || total < row0 + rows || total == 0)
    {
      g_autofree char *desc = eigml_tensor_describe (t);
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE,
                   "checkpoint tensor '%s' is %s; expected %" G_GINT64_FORMAT
                   " rows for a fused query/key/value", ckpt_name, desc, 3 * rows);
      return FALSE;
    }
  per_row = eigml_tensor_get_n_elements (t) / total;
  if (per_row * rows != param->n_elements)
    {
      g_autofree char *desc = eigml_tensor_describe (t);
      g_autofree char *want = eigml_shape_to_string (param->shape, param->n_dims);
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE,
                   "checkpoint tensor '%s' is %s; a third of it must fit parameter '%s' %s",
                   ckpt_name, desc, param_name, want);
      return FALSE;
    }
  data = eigml_tensor_dup_floats (t, &n, error);
  if (data == NULL)
    return FALSE;
  return eigml_param_write (param, EIGML_LEAF_PARAM, data + row0 * per_row,
                            (gsize) (rows * per_row), error);
}

/* pos_embed [1, 1 + g0 * g0, hidden] -> [1, 1 + g * g, hidden]: the class
 * token's row kept, the grid resized bicubically */
static gboolean
load_pos_embed (EigmlImageEncoder *self,
                const char *ckpt_name,
                EigmlTensor *t,
                GError **error)
{
  EigmlEncoder *encoder = EIGML_ENCODER (self);
  const EigmlEncoderConfig *c = eigml_encoder_get_config (encoder);
  gint64 g = grid_side (c), hidden = c->hidden;
  gint64 n = eigml_tensor_get_n_elements (t), tokens = n / MAX (hidden, 1), g0;
  g_autofree float *src = NULL, *dst = NULL;
  gsize n_src;

  g0 = 0;
  while ((g0 + 1) * (g0 + 1) <= tokens - 1)
    g0++;
  if (n != tokens * hidden || g0 * g0 != tokens - 1 || g0 == 0)
    {
      g_autofree char *desc = eigml_tensor_describe (t);
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE,
                   "checkpoint tensor '%s' is %s; expected [1, 1 + n * n, %" G_GINT64_FORMAT
                   "] (a class token and a square grid)", ckpt_name, desc, hidden);
      return FALSE;
    }
  if (g0 == g)
    return eigml_encoder_copy_param (encoder, "pos_embed", ckpt_name, t, error);
  src = eigml_tensor_dup_floats (t, &n_src, error);
  if (src == NULL)
    return FALSE;
  dst = g_new (float, (1 + g * g) * hidden);
  memcpy (dst, src, hidden * sizeof (float));
  eigml_interpolate_bicubic (src + hidden, g0, g0, hidden, dst + hidden, g, g);
  g_debug ("%s: position embeddings resized from %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT
           " to %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT, ckpt_name, g0, g0, g, g);
  return eigml_param_write (self->pos, EIGML_LEAF_PARAM, dst, (1 + g * g) * hidden, error);
}

static gboolean
image_load (EigmlEncoder *encoder,
            EigmlWeightLookup lookup,
            gpointer data,
            const char *ckpt_prefix,
            GPtrArray *used,
            GPtrArray *missing,
            GError **error)
{
  EigmlImageEncoder *self = EIGML_IMAGE_ENCODER (encoder);
  EigmlParamStore *store = eigml_encoder_get_store (encoder);
  const char *prefix = eigml_encoder_get_prefix (encoder);
  GPtrArray *params = eigml_param_store_get_params (store);
  gsize plen = strlen (prefix);
  gint64 hidden = eigml_encoder_get_config (encoder)->hidden;

  for (guint i = 0; i < params->len; i++)
    {
      EigmlParam *param = g_ptr_array_index (params, i);
      const char *rel, *qkv_part;
      g_autofree char *ckpt = NULL;
      EigmlTensor *t;

      if (strncmp (param->name, prefix, plen) != 0)
        continue;
      rel = param->name + plen;
      ckpt = g_strconcat (ckpt_prefix, rel, NULL);
      t = lookup (ckpt, data);
      if (t != NULL)
        {
          gboolean ok = g_str_equal (rel, "pos_embed")
                          ? load_pos_embed (self, ckpt, t, error)
                          : eigml_encoder_copy_param (encoder, rel, ckpt, t, error);
          if (!ok)
            return FALSE;
          g_ptr_array_add (used, g_steal_pointer (&ckpt));
          continue;
        }

      /* timm's fused attn.qkv.{weight,bias}: rows [q; k; v] */
      qkv_part = NULL;
      if (strstr (rel, ".attn.query.") != NULL)
        qkv_part = ".attn.query.";
      else if (strstr (rel, ".attn.key.") != NULL)
        qkv_part = ".attn.key.";
      else if (strstr (rel, ".attn.value.") != NULL)
        qkv_part = ".attn.value.";
      if (qkv_part != NULL)
        {
          const char *at = strstr (rel, qkv_part);
          g_autofree char *head = g_strndup (rel, at - rel);
          g_autofree char *fused = g_strconcat (ckpt_prefix, head, ".attn.qkv.",
                                                at + strlen (qkv_part), NULL);
          gint64 which = qkv_part[6] == 'q' ? 0 : (qkv_part[6] == 'k' ? 1 : 2);
          t = lookup (fused, data);
          if (t != NULL)
            {
              if (!copy_rows (encoder, rel, fused, t, which * hidden, hidden, error))
                return FALSE;
              if (which == 0)
                g_ptr_array_add (used, g_steal_pointer (&fused));
              continue;
            }
        }
      g_ptr_array_add (missing, g_steal_pointer (&ckpt));
    }
  return TRUE;
}

static const char *const image_prefixes[] = {
  "visual_encoder.", "module.visual_encoder.", "vit.", "", NULL
};

static const EigmlEncoderImpl image_impl = {
  .init_params = image_init_params,
  .load = image_load,
  .prefixes = image_prefixes,
  .probe_key = "patch_embed.proj.weight",
};

static void
eigml_image_encoder_init (EigmlImageEncoder *self)
{
  eigml_encoder_set_impl (EIGML_ENCODER (self), &image_impl);
}

/**
 * eigml_image_encoder_new:
 * @context: the context to run on
 * @config: the sizes; its kind must be %EIGML_ENCODER_IMAGE
 * @error: return location for a #GError
 *
 * Creates a ViT encoder with random weights, ready to encode or to load a
 * checkpoint.
 *
 * Returns: (transfer full) (nullable): a new image encoder
 *
 * Since: 1.0
 */
EigmlImageEncoder *
eigml_image_encoder_new (EigmlContext *context,
                         const EigmlEncoderConfig *config,
                         GError **error)
{
  g_return_val_if_fail (EIGML_IS_CONTEXT (context), NULL);
  g_return_val_if_fail (config != NULL, NULL);

  if (config->kind != EIGML_ENCODER_IMAGE)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "an image encoder needs an image configuration");
      return NULL;
    }
  return g_initable_new (EIGML_TYPE_IMAGE_ENCODER, NULL, error, "context", context, "config",
                         config, NULL);
}

EigmlTensor *
eigml_image_patchify (EigmlTensor *pixels,
                      guint patch,
                      GError **error)
{
  guint n_dims;
  const gint64 *shape = eigml_tensor_get_shape (pixels, &n_dims);
  const float *src;
  float *dst;
  gint64 b, c, h, w, gh, gw, per;
  gint64 out_shape[3];
  g_autoptr (EigmlTensor) out = NULL;

  if (eigml_tensor_get_dtype (pixels) != EIGML_DTYPE_F32 || n_dims != 4 || patch == 0 ||
      shape[2] % patch != 0 || shape[3] % patch != 0)
    {
      g_autofree char *desc = eigml_tensor_describe (pixels);
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE,
                   "image encoder: pixels %s must be f32 [batch, channels, height, width] with "
                   "sides that are multiples of the patch size %u", desc, patch);
      return NULL;
    }
  b = shape[0];
  c = shape[1];
  h = shape[2];
  w = shape[3];
  gh = h / patch;
  gw = w / patch;
  per = c * patch * patch;
  out_shape[0] = b;
  out_shape[1] = gh * gw;
  out_shape[2] = per;
  out = eigml_tensor_new (EIGML_DTYPE_F32, out_shape, 3, error);
  if (out == NULL)
    return NULL;
  src = eigml_tensor_peek_data (pixels);
  dst = eigml_tensor_peek_data_mutable (out);
#pragma omp parallel for collapse(2) schedule(static) if (b * gh * gw * per > 65536)
  for (gint64 i = 0; i < b; i++)
    for (gint64 py = 0; py < gh; py++)
      for (gint64 px = 0; px < gw; px++)
        {
          float *d = dst + ((i * gh + py) * gw + px) * per;
          for (gint64 ch = 0; ch < c; ch++)
            for (guint ky = 0; ky < patch; ky++)
              memcpy (d + (ch * patch + ky) * patch,
                      src + ((i * c + ch) * h + py * patch + ky) * w + px * patch,
                      patch * sizeof (float));
        }
  return g_steal_pointer (&out);
}

EigmlNode *
eigml_image_encoder_build (EigmlImageEncoder *self,
                           EigmlGraph *g,
                           EigmlNode *patches,
                           gboolean train)
{
  const EigmlEncoderConfig *c = eigml_encoder_get_config (EIGML_ENCODER (self));
  gint64 n_patches = grid_side (c) * grid_side (c);
  gint64 per = (gint64) c->channels * c->patch_size * c->patch_size;
  EigmlNode *x, *cls, *parts[2];
  gint64 cls_shape[3];

  if (patches == NULL || eigml_graph_failed (g))
    return NULL;
  if (patches->n_dims != 3 || patches->shape[1] != n_patches || patches->shape[2] != per)
    {
      g_autofree char *desc = eigml_node_describe (patches);
      eigml_graph_set_error (g, EIGML_ERROR_SHAPE,
                             "image encoder: patches %s must be [batch, %" G_GINT64_FORMAT ", %"
                             G_GINT64_FORMAT "]", desc, n_patches, per);
      return NULL;
    }
  x = eigml_linear_forward (g, &self->patch, patches);
  cls_shape[0] = patches->shape[0];
  cls_shape[1] = 1;
  cls_shape[2] = c->hidden;
  cls = eigml_op_broadcast_to (g, eigml_graph_param (g, self->cls), 3, cls_shape);
  parts[0] = cls;
  parts[1] = x;
  x = eigml_op_concat (g, parts, 2, 1);
  x = eigml_op_add (g, x, eigml_graph_param (g, self->pos));
  if (train)
    x = eigml_op_dropout (g, x, c->dropout);
  for (guint i = 0; i < self->n_layers; i++)
    x = eigml_transformer_block_forward (g, &self->blocks[i], x, NULL, train);
  return eigml_layer_norm_forward (g, &self->norm, x);
}

typedef struct
{
  EigmlImageEncoder *self;
  gint64 batch;
} ImageGraphSpec;

static EigmlGraph *
build_image_graph (const char *key,
                   gpointer user_data,
                   GError **error)
{
  ImageGraphSpec *spec = user_data;
  EigmlEncoder *encoder = EIGML_ENCODER (spec->self);
  const EigmlEncoderConfig *c = eigml_encoder_get_config (encoder);
  g_autoptr (EigmlGraph) g = eigml_graph_new (eigml_encoder_get_context (encoder));
  gint64 side = grid_side (c);
  gint64 shape[3] = { spec->batch, side * side, (gint64) c->channels * c->patch_size * c->patch_size };
  EigmlNode *patches = eigml_graph_input (g, "patches", EIGML_DTYPE_F32, 3, shape);
  EigmlNode *out = eigml_image_encoder_build (spec->self, g, patches, FALSE);

  if (out != NULL)
    out->name = g_strdup ("hidden");
  eigml_graph_mark_output (g, out);
  if (eigml_graph_propagate_error (g, error))
    return NULL;
  return g_steal_pointer (&g);
}

/**
 * eigml_image_encoder_encode:
 * @self: an image encoder
 * @pixels: f32 [batch, channels, image_size, image_size], normalised as the
 *   encoder was trained (see #EigmlImageProcessor)
 * @error: return location for a #GError
 *
 * Runs the encoder (inference). Graphs are prepared once per batch size and
 * kept; calls from several threads are serialised.
 *
 * Returns: (transfer full) (nullable): f32 [batch, 1 + patches, hidden]:
 *   the `[CLS]` state first, then one per patch in row-major order
 *
 * Since: 1.0
 */
EigmlTensor *
eigml_image_encoder_encode (EigmlImageEncoder *self,
                            EigmlTensor *pixels,
                            GError **error)
{
  EigmlEncoder *encoder = EIGML_ENCODER (self);
  const EigmlEncoderConfig *c;
  ImageGraphSpec spec = { self };
  g_autoptr (EigmlTensor) patches = NULL;
  g_autoptr (EigmlTensor) hidden = NULL;
  g_autofree char *key = NULL;
  const gint64 *shape;
  guint n_dims;
  EigmlGraph *g;
  GMutex *lock;

  g_return_val_if_fail (EIGML_IS_IMAGE_ENCODER (self), NULL);
  g_return_val_if_fail (EIGML_IS_TENSOR (pixels), NULL);

  c = eigml_encoder_get_config (encoder);
  shape = eigml_tensor_get_shape (pixels, &n_dims);
  if (n_dims != 4 || shape[1] != c->channels || shape[2] != c->image_size ||
      shape[3] != c->image_size)
    {
      g_autofree char *desc = eigml_tensor_describe (pixels);
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE,
                   "image encoder: pixels %s must be [batch, %u, %u, %u]", desc, c->channels,
                   c->image_size, c->image_size);
      return NULL;
    }
  patches = eigml_image_patchify (pixels, c->patch_size, error);
  if (patches == NULL)
    return NULL;
  spec.batch = shape[0];
  key = g_strdup_printf ("%" G_GINT64_FORMAT, spec.batch);

  lock = eigml_encoder_get_lock (encoder);
  g_mutex_lock (lock);
  g = eigml_graph_cache_get (eigml_encoder_get_graph_cache (encoder), key, build_image_graph, &spec,
                             error);
  if (g != NULL &&
      eigml_graph_set_input_tensor (g, eigml_graph_find (g, "patches"), patches, error) &&
      eigml_graph_compute (g, error))
    hidden = eigml_graph_dup_tensor (g, eigml_graph_find (g, "hidden"), error);
  g_mutex_unlock (lock);
  return g_steal_pointer (&hidden);
}
