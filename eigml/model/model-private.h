/* model-private.h: the EIGML heads and losses as graph builders
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * docs/model.md is the specification: every function here cites the
 * equations it builds. The encoders come from nn/encoder-private.h; the
 * heads live in the same parameter store as the encoders, so one AdamW
 * pass and one checkpoint cover the whole model.
 */
#pragma once

#include "eigml-model.h"
#include "engine/graph.h"
#include "engine/params.h"
#include "nn/nn.h"
#include "nn/encoder-private.h"

G_BEGIN_DECLS

#define EIGML_N_RELATIONS 4

typedef enum
{
  EIGML_LOSS_TOTAL,
  EIGML_LOSS_ITM,
  EIGML_LOSS_I2T,
  EIGML_LOSS_T2I,
  EIGML_LOSS_EMO,
  EIGML_LOSS_INT,
  EIGML_LOSS_EMO_PRIME,
  EIGML_LOSS_INTRA_EMO_T,
  EIGML_LOSS_INTRA_EMO_V,
  EIGML_LOSS_INTRA_INT_T,
  EIGML_LOSS_INTRA_INT_V,
  EIGML_LOSS_CON_T,
  EIGML_LOSS_CON_V,
  EIGML_LOSS_N_TERMS
} EigmlLossTerm;

/* "total", "itm", ... as the checkpoint logs and the reference test name them */
const char *eigml_loss_term_name (EigmlLossTerm term);

typedef enum
{
  EIGML_MASK_INTRA_T1,
  EIGML_MASK_INTRA_T2,
  EIGML_MASK_INTRA_V1,
  EIGML_MASK_INTRA_V2,
  EIGML_MASK_DROP_PATH,
  EIGML_N_MASKS
} EigmlMaskKind;

/* The heads of docs/model.md "Parameters". */
typedef struct
{
  EigmlLinear text_proj, vision_proj;
  EigmlLinear emo_head_v, int_head, emo_head_t;
  EigmlLinear intra[4];            /* t1, t2, v1, v2 */
  EigmlLinear delta1, delta2, gate;
  EigmlLinear q_text, q_ei, k_vis, v_vis, fuse1, fuse2;
  EigmlLayerNorm ln;
  EigmlLinear itm_head;
  EigmlParam *emo_embed;
  EigmlParam *alpha, *beta;
} EigmlHeads;

gboolean eigml_heads_init (EigmlHeads *self, EigmlParamStore *store,
                           const EigmlModelConfig *config, GError **error);

typedef enum
{
  EIGML_MODEL_GRAPH_TRAIN = 1 << 0,       /* dropout, stochastic depth, losses */
  EIGML_MODEL_GRAPH_EXTERNAL_MASKS = 1 << 1, /* dropout masks are inputs (the reference test) */
  /* inference: the image encoder's output f_v [N, P + 1, H] is an input
   * ("vision_features"), precomputed per sticker (whole-library ranking) */
  EIGML_MODEL_GRAPH_VISION_FEATURES = 1 << 2,
} EigmlModelGraphFlags;

/* One built pass; inputs are named as docs/model.md "Inputs". Nodes of
 * components a config turns off are NULL. */
typedef struct
{
  gint64 batch;                    /* B */
  gint64 n_candidates;             /* C */
  guint flags;
  EigmlNode *text_ids, *text_types, *text_mask;
  EigmlNode *know_ids, *know_types, *know_mask;
  EigmlNode *patches;              /* or NULL with VISION_FEATURES */
  EigmlNode *vision_features;      /* [N, P + 1, H] with VISION_FEATURES */
  EigmlNode *labels, *pos_select, *pos_index, *diag;
  EigmlNode *emo_dist, *emo_label, *has_emo;
  EigmlNode *masks[EIGML_N_MASKS];
  EigmlNode *scores;               /* [N]: p_final, or p_vl without SAMM */
  /* inference only, each [N] or NULL: the parts of the score (eq 17–19);
   * s_emo and s_int exist where the model has E_t/E_v (I'_t/I_v) */
  EigmlNode *p_vl, *s_emo, *s_int;
  EigmlNode *loss[EIGML_LOSS_N_TERMS];
} EigmlModelGraph;

EigmlParamStore *eigml_model_get_store (EigmlModel *self);
const EigmlHeads *eigml_model_get_heads (EigmlModel *self);

/* Builds the pass for @batch dialogues of @n_candidates candidates into
 * @g (creating its inputs); with TRAIN, also the losses (not backward). */
gboolean eigml_model_build (EigmlModel *self, EigmlGraph *g, gint64 batch, gint64 n_candidates,
                            guint flags, EigmlModelGraph *out, GError **error);

/* The first stage of whole-library retrieval: stickers and dialogues in
 * the contrastive space of eq 2–3, normalize(vision_proj(v)) and
 * normalize(text_proj(t)), [n, D]. Inputs are named "patches" and
 * "text_ids", "text_types", "text_mask". */
EigmlNode *eigml_model_build_sticker_embedding (EigmlModel *self, EigmlGraph *g, gint64 n,
                                                EigmlNode **patches, EigmlNode **features);
EigmlNode *eigml_model_build_dialogue_embedding (EigmlModel *self, EigmlGraph *g, gint64 n,
                                                 EigmlNode **ids, EigmlNode **types,
                                                 EigmlNode **mask);
/* SHA-256 of what sticker embeddings depend on (the image encoder and
 * vision_proj, with the config): embedding caches are keyed by it. */
char *eigml_model_get_image_fingerprint (EigmlModel *self, GError **error);

/* The host side of a batch, ready to copy into a graph built for the same
 * B and C (eigml/model/batch.c). Arrays are owned. */
typedef struct
{
  gint64 batch, n_candidates;
  gint64 max_len, knowledge_len;
  gint32 *text_ids, *text_types;   /* [B, T] */
  float *text_mask;                /* [B, T] additive */
  gint32 *know_ids, *know_types;   /* [B * R, Tk] */
  float *know_mask;                /* [B * R, Tk] */
  EigmlTensor *patches;            /* [N, P, 3 p p] */
  float *features;                 /* or [N, P + 1, H] for VISION_FEATURES passes */
  float *labels;                   /* [N] */
  gint32 *positive;                /* [B]: index of the positive among the candidates */
  float *emo_dist;                 /* [B, E] */
} EigmlModelBatch;

/* Allocates every array of a batch, zeroed (text masks 0: no padding). */
void eigml_model_batch_init (EigmlModelBatch *batch, gint64 n_dialogues, gint64 n_candidates,
                             gint64 max_len, gint64 knowledge_len, guint n_emotions);
void eigml_model_batch_clear (EigmlModelBatch *batch);
/* Copies @batch into the inputs of @mg (derived inputs: pos_select,
 * pos_index, diag, emo_label, has_emo). */
gboolean eigml_model_graph_set_batch (EigmlGraph *g, const EigmlModelGraph *mg,
                                      const EigmlModelBatch *batch, guint n_emotions,
                                      GError **error);
/* emo_label and has_emo from a distribution (docs/model.md "Inputs") */
gint32 eigml_emotion_label (const float *dist, guint n_emotions, float *has_emo);

JsonNode *eigml_model_config_to_json_node (const EigmlModelConfig *c);

G_END_DECLS
