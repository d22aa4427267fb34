/* eigml-text-encoder.c: the BERT text encoder
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "eigml-text-encoder.h"
#include "eigml-error.h"
#include "eigml-tensor-private.h"
#include "engine/graph-cache.h"
#include "nn/encoder-private.h"

#include <string.h>

/**
 * EigmlTextEncoder:
 *
 * BERT, as Hugging Face's `BertModel` computes it: word + position +
 * token-type embeddings, LayerNorm (eps 1e-12), dropout, post-LN transformer
 * layers with a GELU (erf) feed-forward and an attention mask, and the
 * pooler (dense + tanh on the `[CLS]` state). Weights load from a Hugging
 * Face BERT checkpoint (`bert-base-chinese`) or ALBEF's text encoder.
 *
 * Since: 1.0
 */
struct _EigmlTextEncoder
{
  EigmlEncoder parent_instance;

  EigmlParam *word;
  EigmlParam *position;
  EigmlParam *token_type;
  EigmlLayerNorm ln;
  EigmlTransformerBlock *layers;
  guint n_layers;
  EigmlLinear pooler;
  gboolean has_pooler;
};

G_DEFINE_FINAL_TYPE (EigmlTextEncoder, eigml_text_encoder, EIGML_TYPE_ENCODER)

static void
eigml_text_encoder_finalize (GObject *object)
{
  EigmlTextEncoder *self = EIGML_TEXT_ENCODER (object);

  g_free (self->layers);
  G_OBJECT_CLASS (eigml_text_encoder_parent_class)->finalize (object);
}

static void
eigml_text_encoder_class_init (EigmlTextEncoderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = eigml_text_encoder_finalize;
}

static gboolean
text_init_params (EigmlEncoder *encoder,
                  EigmlParamStore *store,
                  const char *prefix,
                  GError **error)
{
  EigmlTextEncoder *self = EIGML_TEXT_ENCODER (encoder);
  const EigmlEncoderConfig *c = eigml_encoder_get_config (encoder);
  EigmlTransformerConfig block = {
    .hidden = c->hidden, .heads = c->heads, .ffn = c->ffn, .eps = c->layer_norm_eps,
    .dropout = c->dropout, .attn_dropout = c->attention_dropout, .pre_ln = FALSE,
  };
  gint64 word[2] = { c->vocab_size, c->hidden };
  gint64 pos[2] = { c->max_positions, c->hidden };
  gint64 types[2] = { c->type_vocab_size, c->hidden };
  g_autofree char *w = g_strconcat (prefix, "embeddings.word_embeddings.weight", NULL);
  g_autofree char *p = g_strconcat (prefix, "embeddings.position_embeddings.weight", NULL);
  g_autofree char *t = g_strconcat (prefix, "embeddings.token_type_embeddings.weight", NULL);
  g_autofree char *ln = g_strconcat (prefix, "embeddings.LayerNorm", NULL);
  g_autofree char *pooler = g_strconcat (prefix, "pooler.dense", NULL);

  self->word = eigml_param_store_add (store, w, 2, word, EIGML_INIT_NORMAL, 0.02f, TRUE, error);
  if (self->word == NULL)
    return FALSE;
  self->position = eigml_param_store_add (store, p, 2, pos, EIGML_INIT_NORMAL, 0.02f, TRUE, error);
  if (self->position == NULL)
    return FALSE;
  self->token_type = eigml_param_store_add (store, t, 2, types, EIGML_INIT_NORMAL, 0.02f, TRUE,
                                            error);
  if (self->token_type == NULL)
    return FALSE;
  if (!eigml_layer_norm_init (&self->ln, store, ln, c->hidden, c->layer_norm_eps, error))
    return FALSE;
  self->n_layers = c->n_layers;
  self->layers = g_new0 (EigmlTransformerBlock, c->n_layers);
  for (guint i = 0; i < c->n_layers; i++)
    {
      g_autofree char *name = g_strdup_printf ("%sencoder.layer.%u", prefix, i);
      if (!eigml_transformer_block_init (&self->layers[i], store, name, &block, error))
        return FALSE;
    }
  self->has_pooler = c->pooler;
  if (c->pooler &&
      !eigml_linear_init (&self->pooler, store, pooler, c->hidden, c->hidden, TRUE, 0.02f, error))
    return FALSE;
  return TRUE;
}

/* Old BERT checkpoints name LayerNorm parameters gamma and beta. */
static EigmlTensor *
lookup_with_aliases (EigmlWeightLookup lookup,
                     gpointer data,
                     const char *name,
                     char **found)
{
  EigmlTensor *t = lookup (name, data);

  *found = g_strdup (name);
  if (t == NULL && (g_str_has_suffix (name, "LayerNorm.weight") ||
                    g_str_has_suffix (name, "LayerNorm.bias")))
    {
      gboolean weight = g_str_has_suffix (name, "weight");
      g_autofree char *stem = g_strndup (name, strlen (name) - strlen (weight ? "weight" : "bias"));
      g_free (*found);
      *found = g_strconcat (stem, weight ? "gamma" : "beta", NULL);
      t = lookup (*found, data);
    }
  return t;
}

static gboolean
text_load (EigmlEncoder *encoder,
           EigmlWeightLookup lookup,
           gpointer data,
           const char *ckpt_prefix,
           GPtrArray *used,
           GPtrArray *missing,
           GError **error)
{
  EigmlParamStore *store = eigml_encoder_get_store (encoder);
  const char *prefix = eigml_encoder_get_prefix (encoder);
  GPtrArray *params = eigml_param_store_get_params (store);
  gsize plen = strlen (prefix);

  for (guint i = 0; i < params->len; i++)
    {
      EigmlParam *param = g_ptr_array_index (params, i);
      const char *rel;
      g_autofree char *ckpt = NULL;
      g_autofree char *found = NULL;
      EigmlTensor *t;

      if (strncmp (param->name, prefix, plen) != 0)
        continue;
      rel = param->name + plen;
      ckpt = g_strconcat (ckpt_prefix, rel, NULL);
      t = lookup_with_aliases (lookup, data, ckpt, &found);
      if (t == NULL)
        {
          g_ptr_array_add (missing, g_strdup (ckpt));
          continue;
        }
      if (!eigml_encoder_copy_param (encoder, rel, found, t, error))
        return FALSE;
      g_ptr_array_add (used, g_steal_pointer (&found));
    }
  /* a buffer, not a parameter: expected, not unexpected */
  {
    g_autofree char *ids = g_strconcat (ckpt_prefix, "embeddings.position_ids", NULL);
    if (lookup (ids, data) != NULL)
      g_ptr_array_add (used, g_steal_pointer (&ids));
  }
  return TRUE;
}

static const char *const text_prefixes[] = {
  "bert.", "text_encoder.bert.", "text_encoder.", "module.bert.", "", NULL
};

static const EigmlEncoderImpl text_impl = {
  .init_params = text_init_params,
  .load = text_load,
  .prefixes = text_prefixes,
  .probe_key = "embeddings.word_embeddings.weight",
};

static void
eigml_text_encoder_init (EigmlTextEncoder *self)
{
  eigml_encoder_set_impl (EIGML_ENCODER (self), &text_impl);
}

/**
 * eigml_text_encoder_new:
 * @context: the context to run on
 * @config: the sizes; its kind must be %EIGML_ENCODER_TEXT
 * @error: return location for a #GError
 *
 * Creates a BERT encoder with random weights (N(0, 0.02), truncated at 2
 * standard deviations; LayerNorm 1 and 0), ready to encode or to load a
 * checkpoint.
 *
 * Returns: (transfer full) (nullable): a new text encoder
 *
 * Since: 1.0
 */
EigmlTextEncoder *
eigml_text_encoder_new (EigmlContext *context,
                        const EigmlEncoderConfig *config,
                        GError **error)
{
  g_return_val_if_fail (EIGML_IS_CONTEXT (context), NULL);
  g_return_val_if_fail (config != NULL, NULL);

  if (config->kind != EIGML_ENCODER_TEXT)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "a text encoder needs a text configuration");
      return NULL;
    }
  return g_initable_new (EIGML_TYPE_TEXT_ENCODER, NULL, error, "context", context, "config",
                         config, NULL);
}

EigmlNode *
eigml_text_encoder_build (EigmlTextEncoder *self,
                          EigmlGraph *g,
                          EigmlNode *ids,
                          EigmlNode *mask,
                          EigmlNode *types,
                          gboolean train,
                          EigmlNode **pooled)
{
  const EigmlEncoderConfig *c = eigml_encoder_get_config (EIGML_ENCODER (self));
  EigmlNode *x;
  gint64 len;

  if (pooled)
    *pooled = NULL;
  if (ids == NULL || eigml_graph_failed (g))
    return NULL;
  if (ids->n_dims != 2 || ids->shape[1] > c->max_positions)
    {
      g_autofree char *desc = eigml_node_describe (ids);
      eigml_graph_set_error (g, EIGML_ERROR_SHAPE,
                             "text encoder: ids %s must be [batch, tokens] with at most %u tokens",
                             desc, c->max_positions);
      return NULL;
    }
  len = ids->shape[1];
  x = eigml_op_embedding (g, eigml_graph_param (g, self->word), ids);
  x = eigml_op_add (g, x, eigml_op_slice (g, eigml_graph_param (g, self->position), 0, 0, len));
  if (types != NULL)
    x = eigml_op_add (g, x, eigml_op_embedding (g, eigml_graph_param (g, self->token_type), types));
  else
    x = eigml_op_add (g, x, eigml_op_slice (g, eigml_graph_param (g, self->token_type), 0, 0, 1));
  x = eigml_layer_norm_forward (g, &self->ln, x);
  if (train)
    x = eigml_op_dropout (g, x, c->dropout);
  for (guint i = 0; i < self->n_layers; i++)
    x = eigml_transformer_block_forward (g, &self->layers[i], x, mask, train);
  if (pooled != NULL && self->has_pooler && x != NULL)
    {
      gint64 shape[2] = { x->shape[0], x->shape[2] };
      EigmlNode *cls = eigml_op_reshape (g, eigml_op_slice (g, x, 1, 0, 1), 2, shape);
      *pooled = eigml_op_tanh (g, eigml_linear_forward (g, &self->pooler, cls));
    }
  return x;
}

typedef struct
{
  EigmlTextEncoder *self;
  gint64 batch, len;
  gboolean with_mask, with_types;
} TextGraphSpec;

static EigmlGraph *
build_text_graph (const char *key,
                  gpointer user_data,
                  GError **error)
{
  TextGraphSpec *spec = user_data;
  EigmlEncoder *encoder = EIGML_ENCODER (spec->self);
  g_autoptr (EigmlGraph) g = eigml_graph_new (eigml_encoder_get_context (encoder));
  gint64 ids_shape[2] = { spec->batch, spec->len };
  gint64 mask_shape[4] = { spec->batch, 1, 1, spec->len };
  EigmlNode *ids, *mask = NULL, *types = NULL, *hidden, *pooled = NULL;

  ids = eigml_graph_input (g, "ids", EIGML_DTYPE_I32, 2, ids_shape);
  if (spec->with_mask)
    mask = eigml_graph_input (g, "mask", EIGML_DTYPE_F32, 4, mask_shape);
  if (spec->with_types)
    types = eigml_graph_input (g, "types", EIGML_DTYPE_I32, 2, ids_shape);
  hidden = eigml_text_encoder_build (spec->self, g, ids, mask, types, FALSE, &pooled);
  if (hidden != NULL)
    hidden->name = g_strdup ("hidden");
  if (pooled != NULL)
    {
      pooled->name = g_strdup ("pooled");
      eigml_graph_mark_output (g, pooled);
    }
  eigml_graph_mark_output (g, hidden);
  if (eigml_graph_propagate_error (g, error))
    return NULL;
  return g_steal_pointer (&g);
}

static gboolean
check_ids_tensor (EigmlTensor *t,
                  const char *what,
                  const gint64 *want_shape,
                  GError **error)
{
  guint n_dims;
  const gint64 *shape = eigml_tensor_get_shape (t, &n_dims);

  if (eigml_tensor_get_dtype (t) != EIGML_DTYPE_I32)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_DTYPE, "text encoder: %s must be i32, got %s",
                   what, eigml_dtype_get_name (eigml_tensor_get_dtype (t)));
      return FALSE;
    }
  if (n_dims != 2 || (want_shape != NULL && (shape[0] != want_shape[0] ||
                                             shape[1] != want_shape[1])))
    {
      g_autofree char *have = eigml_tensor_describe (t);
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE,
                   "text encoder: %s must be [batch, tokens]%s, got %s", what,
                   want_shape ? " like the ids" : "", have);
      return FALSE;
    }
  return TRUE;
}

/**
 * eigml_text_encoder_encode:
 * @self: a text encoder
 * @ids: token ids, i32 [batch, tokens]
 * @attention_mask: (nullable): i32 [batch, tokens], 1 for tokens and 0 for
 *   padding (attention never looks at padding); %NULL: no padding
 * @token_types: (nullable): i32 [batch, tokens] segment ids; %NULL: all 0
 * @pooled: (out) (optional) (transfer full) (nullable): the pooler's output
 *   [batch, hidden], if the encoder has a pooler
 * @error: return location for a #GError
 *
 * Runs the encoder (inference: no dropout). Graphs are prepared once per
 * input shape and kept; calls from several threads are serialised.
 *
 * Returns: (transfer full) (nullable): the last layer's hidden states, f32
 *   [batch, tokens, hidden]
 *
 * Since: 1.0
 */
EigmlTensor *
eigml_text_encoder_encode (EigmlTextEncoder *self,
                           EigmlTensor *ids,
                           EigmlTensor *attention_mask,
                           EigmlTensor *token_types,
                           EigmlTensor **pooled,
                           GError **error)
{
  EigmlEncoder *encoder = EIGML_ENCODER (self);
  const EigmlEncoderConfig *c;
  TextGraphSpec spec = { self };
  const gint64 *shape;
  g_autofree char *key = NULL;
  EigmlGraph *g;
  g_autoptr (EigmlTensor) hidden = NULL;
  GMutex *lock;

  g_return_val_if_fail (EIGML_IS_TEXT_ENCODER (self), NULL);
  g_return_val_if_fail (EIGML_IS_TENSOR (ids), NULL);

  if (pooled)
    *pooled = NULL;
  c = eigml_encoder_get_config (encoder);
  if (!check_ids_tensor (ids, "ids", NULL, error))
    return NULL;
  shape = eigml_tensor_get_shape (ids, NULL);
  if (attention_mask && !check_ids_tensor (attention_mask, "attention_mask", shape, error))
    return NULL;
  if (token_types && !check_ids_tensor (token_types, "token_types", shape, error))
    return NULL;
  if (shape[1] > c->max_positions)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE,
                   "text encoder: %" G_GINT64_FORMAT " tokens, at most %u (max_positions)",
                   shape[1], c->max_positions);
      return NULL;
    }
  spec.batch = shape[0];
  spec.len = shape[1];
  spec.with_mask = attention_mask != NULL;
  spec.with_types = token_types != NULL;
  key = g_strdup_printf ("%" G_GINT64_FORMAT "x%" G_GINT64_FORMAT "%s%s", spec.batch, spec.len,
                         spec.with_mask ? "m" : "", spec.with_types ? "t" : "");

  lock = eigml_encoder_get_lock (encoder);
  g_mutex_lock (lock);
  g = eigml_graph_cache_get (eigml_encoder_get_graph_cache (encoder), key, build_text_graph, &spec,
                             error);
  if (g == NULL)
    goto out;
  if (!eigml_graph_set_input_tensor (g, eigml_graph_find (g, "ids"), ids, error))
    goto out;
  if (attention_mask)
    {
      const gint32 *m = eigml_tensor_peek_data (attention_mask);
      gint64 n = eigml_tensor_get_n_elements (attention_mask);
      g_autofree float *add = g_new (float, n);
      for (gint64 i = 0; i < n; i++)
        {
          if (m[i] != 0 && m[i] != 1)
            {
              g_set_error (error, EIGML_ERROR, EIGML_ERROR_OUT_OF_RANGE,
                           "text encoder: attention_mask element %" G_GINT64_FORMAT
                           " is %d; expected 0 or 1", i, m[i]);
              goto out;
            }
          /* as Hugging Face: 0 for tokens, a large negative for padding */
          add[i] = m[i] ? 0.0f : -10000.0f;
        }
      if (!eigml_graph_set_input_floats (g, eigml_graph_find (g, "mask"), add, n, error))
        goto out;
    }
  if (token_types &&
      !eigml_graph_set_input_tensor (g, eigml_graph_find (g, "types"), token_types, error))
    goto out;
  if (!eigml_graph_compute (g, error))
    goto out;
  hidden = eigml_graph_dup_tensor (g, eigml_graph_find (g, "hidden"), error);
  if (hidden != NULL && pooled != NULL && eigml_graph_find (g, "pooled") != NULL)
    {
      *pooled = eigml_graph_dup_tensor (g, eigml_graph_find (g, "pooled"), error);
      if (*pooled == NULL)
        g_clear_object (&hidden);
    }
out:
  g_mutex_unlock (lock);
  return g_steal_pointer (&hidden);
}
