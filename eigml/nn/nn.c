/* nn.c: Linear, LayerNorm, multi-head attention, transformer block
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "nn.h"
#include "eigml-error.h"

#include <math.h>

gboolean
eigml_linear_init (EigmlLinear *self,
                   EigmlParamStore *store,
                   const char *prefix,
                   gint64 in_features,
                   gint64 out_features,
                   gboolean bias,
                   float init_std,
                   GError **error)
{
  g_autofree char *wname = g_strconcat (prefix, ".weight", NULL);
  g_autofree char *bname = g_strconcat (prefix, ".bias", NULL);
  gint64 wshape[2] = { out_features, in_features };

  self->in_features = in_features;
  self->out_features = out_features;
  self->weight = eigml_param_store_add (store, wname, 2, wshape, EIGML_INIT_NORMAL, init_std, TRUE,
                                        error);
  if (self->weight == NULL)
    return FALSE;
  self->bias = NULL;
  if (bias)
    {
      self->bias = eigml_param_store_add (store, bname, 1, &out_features, EIGML_INIT_ZEROS, 0.0f,
                                          FALSE, error);
      if (self->bias == NULL)
        return FALSE;
    }
  return TRUE;
}

/* y = x Wᵀ + b over the last axis of x */
EigmlNode *
eigml_linear_forward (EigmlGraph *g,
                      const EigmlLinear *self,
                      EigmlNode *x)
{
  EigmlNode *y = eigml_op_matmul (g, x, eigml_graph_param (g, self->weight), FALSE, TRUE);

  if (self->bias != NULL)
    y = eigml_op_bias_add (g, y, eigml_graph_param (g, self->bias));
  return y;
}

gboolean
eigml_layer_norm_init (EigmlLayerNorm *self,
                       EigmlParamStore *store,
                       const char *prefix,
                       gint64 features,
                       float eps,
                       GError **error)
{
  g_autofree char *gname = g_strconcat (prefix, ".weight", NULL);
  g_autofree char *bname = g_strconcat (prefix, ".bias", NULL);

  self->eps = eps;
  /* no weight decay on normalisation parameters, as BERT's recipe */
  self->gamma = eigml_param_store_add (store, gname, 1, &features, EIGML_INIT_ONES, 0.0f, FALSE,
                                       error);
  if (self->gamma == NULL)
    return FALSE;
  self->beta = eigml_param_store_add (store, bname, 1, &features, EIGML_INIT_ZEROS, 0.0f, FALSE,
                                      error);
  return self->beta != NULL;
}

EigmlNode *
eigml_layer_norm_forward (EigmlGraph *g,
                          const EigmlLayerNorm *self,
                          EigmlNode *x)
{
  return eigml_op_layer_norm (g, x, eigml_graph_param (g, self->gamma),
                              eigml_graph_param (g, self->beta), self->eps);
}

gboolean
eigml_transformer_block_init (EigmlTransformerBlock *self,
                              EigmlParamStore *store,
                              const char *prefix,
                              const EigmlTransformerConfig *config,
                              GError **error)
{
  const float std = 0.02f; /* BERT's initializer_range */
  gint64 h = config->hidden;
  /* BERT (Hugging Face) and ViT (timm) parameter names; the fused timm
   * attn.qkv is split into query/key/value when weights are loaded */
  gboolean vit = config->pre_ln;
  struct
  {
    EigmlLinear *layer;
    const char *name;
    gint64 in, out;
  } linears[] = {
    { &self->query, vit ? "attn.query" : "attention.self.query", h, h },
    { &self->key, vit ? "attn.key" : "attention.self.key", h, h },
    { &self->value, vit ? "attn.value" : "attention.self.value", h, h },
    { &self->attn_out, vit ? "attn.proj" : "attention.output.dense", h, h },
    { &self->ffn_in, vit ? "mlp.fc1" : "intermediate.dense", h, config->ffn },
    { &self->ffn_out, vit ? "mlp.fc2" : "output.dense", config->ffn, h },
  };

  if (config->heads <= 0 || h % config->heads != 0)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "%s: hidden size %" G_GINT64_FORMAT " is not a multiple of %" G_GINT64_FORMAT
                   " heads", prefix, h, config->heads);
      return FALSE;
    }
  self->config = *config;
  for (guint i = 0; i < G_N_ELEMENTS (linears); i++)
    {
      g_autofree char *name = g_strconcat (prefix, ".", linears[i].name, NULL);
      if (!eigml_linear_init (linears[i].layer, store, name, linears[i].in, linears[i].out, TRUE,
                              std, error))
        return FALSE;
    }
  {
    g_autofree char *a = g_strconcat (prefix, vit ? ".norm1" : ".attention.output.LayerNorm", NULL);
    g_autofree char *f = g_strconcat (prefix, vit ? ".norm2" : ".output.LayerNorm", NULL);
    if (!eigml_layer_norm_init (&self->ln_attn, store, a, h, config->eps, error) ||
        !eigml_layer_norm_init (&self->ln_ffn, store, f, h, config->eps, error))
      return FALSE;
  }
  return TRUE;
}

/* [B, T, H] -> [B, heads, T, H / heads] */
EigmlNode *
eigml_split_heads (EigmlGraph *g,
             EigmlNode *x,
             gint64 heads)
{
  static const guint perm[4] = { 0, 2, 1, 3 };
  gint64 shape[4];

  if (x == NULL)
    return NULL;
  shape[0] = x->shape[0];
  shape[1] = x->shape[1];
  shape[2] = heads;
  shape[3] = x->shape[2] / heads;
  return eigml_op_permute (g, eigml_op_reshape (g, x, 4, shape), perm);
}

static EigmlNode *
merge_heads (EigmlGraph *g,
             EigmlNode *x)
{
  static const guint perm[4] = { 0, 2, 1, 3 };
  EigmlNode *t;
  gint64 shape[3];

  t = eigml_op_permute (g, x, perm);
  if (t == NULL)
    return NULL;
  shape[0] = t->shape[0];
  shape[1] = t->shape[1];
  shape[2] = t->shape[2] * t->shape[3];
  return eigml_op_reshape (g, t, 3, shape);
}

static EigmlNode *
attention (EigmlGraph *g,
           const EigmlTransformerBlock *self,
           EigmlNode *x,
           EigmlNode *mask,
           gboolean train)
{
  const EigmlTransformerConfig *c = &self->config;
  EigmlNode *q = eigml_split_heads (g, eigml_linear_forward (g, &self->query, x), c->heads);
  EigmlNode *k = eigml_split_heads (g, eigml_linear_forward (g, &self->key, x), c->heads);
  EigmlNode *v = eigml_split_heads (g, eigml_linear_forward (g, &self->value, x), c->heads);
  float scale = 1.0f / sqrtf ((float) (c->hidden / c->heads));
  EigmlNode *scores = eigml_op_matmul (g, q, k, FALSE, TRUE);
  EigmlNode *p = eigml_op_softmax (g, scores, mask, scale);

  if (train)
    p = eigml_op_dropout (g, p, c->attn_dropout);
  return eigml_linear_forward (g, &self->attn_out, merge_heads (g, eigml_op_matmul (g, p, v,
                                                                                    FALSE, FALSE)));
}

static EigmlNode *
feed_forward (EigmlGraph *g,
              const EigmlTransformerBlock *self,
              EigmlNode *x)
{
  return eigml_linear_forward (g, &self->ffn_out,
                               eigml_op_gelu (g, eigml_linear_forward (g, &self->ffn_in, x)));
}

EigmlNode *
eigml_transformer_block_forward (EigmlGraph *g,
                                 const EigmlTransformerBlock *self,
                                 EigmlNode *x,
                                 EigmlNode *mask,
                                 gboolean train)
{
  float p = train ? self->config.dropout : 0.0f;

  if (x != NULL && (x->n_dims != 3 || x->shape[2] != self->config.hidden))
    {
      g_autofree char *desc = eigml_node_describe (x);
      eigml_graph_set_error (g, EIGML_ERROR_SHAPE,
                             "transformer block: input %s must be [batch, tokens, %" G_GINT64_FORMAT
                             "]", desc, self->config.hidden);
      return NULL;
    }
  if (self->config.pre_ln)
    {
      /* ViT: x + attn(LN(x)), then x + mlp(LN(x)) */
      EigmlNode *a = attention (g, self, eigml_layer_norm_forward (g, &self->ln_attn, x), mask,
                                train);
      x = eigml_op_add (g, x, eigml_op_dropout (g, a, p));
      a = feed_forward (g, self, eigml_layer_norm_forward (g, &self->ln_ffn, x));
      return eigml_op_add (g, x, eigml_op_dropout (g, a, p));
    }
  /* BERT: LN(x + attn(x)), then LN(x + ffn(x)) */
  x = eigml_layer_norm_forward (g, &self->ln_attn,
                                eigml_op_add (g, x, eigml_op_dropout (g, attention (g, self, x,
                                                                                    mask, train),
                                                                      p)));
  return eigml_layer_norm_forward (g, &self->ln_ffn,
                                   eigml_op_add (g, x, eigml_op_dropout (g, feed_forward (g, self,
                                                                                          x), p)));
}
