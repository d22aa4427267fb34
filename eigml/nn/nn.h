/* nn.h: layers built from engine ops: Linear, LayerNorm, multi-head
 * attention and the transformer block (post-LN as BERT, pre-LN as ViT)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A layer is a plain struct of parameters in an EigmlParamStore, named as
 * Hugging Face BERT names them (weight [out, in], as PyTorch stores it), so
 * that pretrained weights map onto them one to one. Forward functions add
 * nodes to a graph; gradients come from the graph's autodiff.
 */
#pragma once

#include "engine/graph.h"
#include "engine/params.h"

G_BEGIN_DECLS

typedef struct
{
  EigmlParam *weight;   /* [out, in] */
  EigmlParam *bias;     /* [out] or NULL */
  gint64 in_features;
  gint64 out_features;
} EigmlLinear;

typedef struct
{
  EigmlParam *gamma;    /* "weight" */
  EigmlParam *beta;     /* "bias" */
  float eps;
} EigmlLayerNorm;

typedef struct
{
  gint64 hidden;
  gint64 heads;
  gint64 ffn;
  float eps;            /* LayerNorm epsilon: BERT 1e-12, ViT 1e-6 */
  float dropout;        /* hidden dropout */
  float attn_dropout;   /* attention-probability dropout */
  gboolean pre_ln;      /* ViT (pre-LN, timm names) or BERT (post-LN, Hugging Face names) */
} EigmlTransformerConfig;

typedef struct
{
  EigmlTransformerConfig config;
  EigmlLinear query, key, value, attn_out, ffn_in, ffn_out;
  EigmlLayerNorm ln_attn, ln_ffn;
} EigmlTransformerBlock;

gboolean eigml_linear_init (EigmlLinear *self, EigmlParamStore *store, const char *prefix,
                            gint64 in_features, gint64 out_features, gboolean bias,
                            float init_std, GError **error);
EigmlNode *eigml_linear_forward (EigmlGraph *g, const EigmlLinear *self, EigmlNode *x);

gboolean eigml_layer_norm_init (EigmlLayerNorm *self, EigmlParamStore *store,
                                const char *prefix, gint64 features, float eps, GError **error);
EigmlNode *eigml_layer_norm_forward (EigmlGraph *g, const EigmlLayerNorm *self, EigmlNode *x);

gboolean eigml_transformer_block_init (EigmlTransformerBlock *self, EigmlParamStore *store,
                                       const char *prefix, const EigmlTransformerConfig *config,
                                       GError **error);
/* [B, T, H] -> [B, heads, T, H / heads], for attention */
EigmlNode *eigml_split_heads (EigmlGraph *g, EigmlNode *x, gint64 heads);

/* x [B, T, hidden]; mask: additive, broadcastable to [B, heads, T, T]
 * (usually [B, 1, 1, T], 0 for tokens, -1e4 or -inf for padding), or NULL.
 * Dropout is applied only when @train. */
EigmlNode *eigml_transformer_block_forward (EigmlGraph *g, const EigmlTransformerBlock *self,
                                            EigmlNode *x, EigmlNode *mask, gboolean train);

G_END_DECLS

/* A small token classifier used by the demo, the training test and the
 * bench: embeddings + positions, transformer blocks, a linear head. The
 * toy task: at every position predict (token + 1) mod vocab. */
typedef struct
{
  gint64 vocab;
  gint64 max_len;
  EigmlTransformerConfig block;
  guint n_layers;
  EigmlParam *tok_embed;
  EigmlParam *pos_embed;
  EigmlLayerNorm ln_embed;
  EigmlTransformerBlock *layers;
  EigmlLinear head;
} EigmlToyModel;

gboolean eigml_toy_model_init (EigmlToyModel *self, EigmlParamStore *store, gint64 vocab,
                               gint64 max_len, guint n_layers,
                               const EigmlTransformerConfig *block, GError **error);
void eigml_toy_model_clear (EigmlToyModel *self);
/* Builds forward + backward + AdamW for [batch, len] token ids; returns the
 * mean loss node, with inputs "tokens" and "targets". */
EigmlNode *eigml_toy_model_train_graph (EigmlGraph *g, const EigmlToyModel *self,
                                        EigmlParamStore *store, gint64 batch, gint64 len,
                                        GError **error);
void eigml_toy_model_make_batch (guint64 seed, guint64 step, gint64 vocab, gint64 batch,
                                 gint64 len, gint32 *tokens, gint32 *targets);
/* One step (0-based) on the graph of eigml_toy_model_train_graph(): the
 * batch of @step, the RNG state, the AdamW scalars, compute; the loss out. */
gboolean eigml_toy_model_train_step (EigmlGraph *g, const EigmlToyModel *self, EigmlNode *loss,
                                     const EigmlAdamWConfig *adamw, guint64 seed, guint64 step,
                                     float *loss_out, GError **error);

/* Bicubic resize of a [ih, iw, c] grid to [oh, ow, c], as
 * torch.nn.functional.interpolate(mode='bicubic', align_corners=False). */
void eigml_interpolate_bicubic (const float *in, gint64 ih, gint64 iw, gint64 c, float *out,
                                gint64 oh, gint64 ow);
