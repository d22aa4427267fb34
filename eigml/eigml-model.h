/* eigml-model.h: the EIGML model — configuration, parameters, checkpoints
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(__EIGML_H_INSIDE__) && !defined(EIGML_COMPILATION)
#error "Only <eigml/eigml.h> can be included directly."
#endif

#include <glib-object.h>
#include <eigml/eigml-version-macros.h>
#include <eigml/eigml-types.h>
#include <eigml/eigml-context.h>
#include <eigml/eigml-encoder.h>
#include <eigml/eigml-text-encoder.h>
#include <eigml/eigml-image-encoder.h>
#include <eigml/eigml-weights.h>

G_BEGIN_DECLS

typedef struct _EigmlModelConfig EigmlModelConfig;

/**
 * EigmlModelConfig:
 * @text: (not nullable): the text encoder (BERT)
 * @vision: (not nullable): the image encoder (ViT); its hidden size must
 *   equal the text encoder's
 * @max_len: dialogue tokens
 * @knowledge_len: tokens of one COMET relation's knowledge text
 * @n_candidates: candidates per dialogue when training
 * @n_emotions: emotion categories (7: the DUTIR categories)
 * @proj_dim: size of the contrastive projection spaces
 * @fusion_heads: attention heads of IEGA
 * @fusion_ffn: inner size of IEGA's MLP f_fuse
 * @temperature: τ of the inter-modality InfoNCE losses (eq 2, 3, 7)
 * @intra_temperature: τ of the intra-modality instance loss (eq 9)
 * @intra_dropout: dropout that draws the two views (eq 8–9)
 * @drop_path: stochastic-depth probability of IEGA (eq 16)
 * @w_e: w_e, weight of L_emo (eq 7)
 * @w_i: w_i, weight of L_int (eq 7)
 * @w_e_prime: w'_e, weight of L'_emo (eq 20)
 * @w_e_text: w_e^t (eq 10)
 * @w_e_vision: w_e^v (eq 10)
 * @w_i_text: w_i^t (eq 10)
 * @w_i_vision: w_i^v (eq 10)
 * @components: which parts of the model are on (ablations)
 * @mean_pooling: %FALSE (the paper): the encoders' [CLS] states are the
 *   dialogue, knowledge and sticker features; %TRUE: the mean of their
 *   token (or patch) states, for models trained from scratch
 * @samm_beta_init: SAMM's β (eq 19) before training, in (0, 1); 0.98 keeps
 *   the matching probability p_vl in charge of p_final at the start
 *   (`docs/model.md`, eq 17–19)
 *
 * The EIGML model's hyper-parameters; `docs/model.md` maps each to the
 * paper. eigml_model_config_new() gives the paper's model: bert-base-chinese,
 * ViT-B/16 at 128×128, every component on, all weights 0.5.
 *
 * Since: 1.0
 */
struct _EigmlModelConfig
{
  EigmlEncoderConfig *text;
  EigmlEncoderConfig *vision;
  guint max_len;
  guint knowledge_len;
  guint n_candidates;
  guint n_emotions;
  guint proj_dim;
  guint fusion_heads;
  guint fusion_ffn;
  float temperature;
  float intra_temperature;
  float intra_dropout;
  float drop_path;
  float w_e;
  float w_i;
  float w_e_prime;
  float w_e_text;
  float w_e_vision;
  float w_i_text;
  float w_i_vision;
  EigmlComponents components;
  gboolean mean_pooling;
  float samm_beta_init;
};

#define EIGML_TYPE_MODEL_CONFIG (eigml_model_config_get_type ())

EIGML_AVAILABLE_IN_ALL
GType eigml_model_config_get_type (void) G_GNUC_CONST;
EIGML_AVAILABLE_IN_ALL
EigmlModelConfig *eigml_model_config_new (void);
EIGML_AVAILABLE_IN_ALL
EigmlModelConfig *eigml_model_config_new_from_json (const char *path,
                                                    GError **error);
EIGML_AVAILABLE_IN_ALL
EigmlModelConfig *eigml_model_config_new_from_data (const char *data,
                                                    gssize length,
                                                    GError **error);
EIGML_AVAILABLE_IN_ALL
char *eigml_model_config_to_json (const EigmlModelConfig *config);
EIGML_AVAILABLE_IN_ALL
EigmlModelConfig *eigml_model_config_copy (const EigmlModelConfig *config);
EIGML_AVAILABLE_IN_ALL
void eigml_model_config_free (EigmlModelConfig *config);
EIGML_AVAILABLE_IN_ALL
gboolean eigml_model_config_validate (const EigmlModelConfig *config,
                                      GError **error);
EIGML_AVAILABLE_IN_ALL
void eigml_model_config_set_w_e (EigmlModelConfig *config,
                                 float w_e);
EIGML_AVAILABLE_IN_ALL
void eigml_model_config_set_w_i (EigmlModelConfig *config,
                                 float w_i);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EigmlModelConfig, eigml_model_config_free)

#define EIGML_TYPE_MODEL (eigml_model_get_type ())

EIGML_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EigmlModel, eigml_model, EIGML, MODEL, GObject)

EIGML_AVAILABLE_IN_ALL
EigmlModel *eigml_model_new (EigmlContext *context,
                             const EigmlModelConfig *config,
                             guint64 seed,
                             GError **error);
EIGML_AVAILABLE_IN_ALL
EigmlModel *eigml_model_new_from_checkpoint (EigmlContext *context,
                                             const char *path,
                                             GError **error);
EIGML_AVAILABLE_IN_ALL
EigmlContext *eigml_model_get_context (EigmlModel *self);
EIGML_AVAILABLE_IN_ALL
const EigmlModelConfig *eigml_model_get_config (EigmlModel *self);
EIGML_AVAILABLE_IN_ALL
EigmlTextEncoder *eigml_model_get_text_encoder (EigmlModel *self);
EIGML_AVAILABLE_IN_ALL
EigmlImageEncoder *eigml_model_get_image_encoder (EigmlModel *self);
EIGML_AVAILABLE_IN_ALL
gint64 eigml_model_get_n_parameters (EigmlModel *self);
EIGML_AVAILABLE_IN_ALL
gboolean eigml_model_load_weights (EigmlModel *self,
                                   EigmlWeights *weights,
                                   gboolean strict,
                                   GError **error);
EIGML_AVAILABLE_IN_ALL
gboolean eigml_model_load_encoders (EigmlModel *self,
                                    EigmlWeights *text_weights,
                                    EigmlWeights *vision_weights,
                                    GError **error);
EIGML_AVAILABLE_IN_ALL
EigmlWeights *eigml_model_dup_weights (EigmlModel *self,
                                       GError **error);
EIGML_AVAILABLE_IN_ALL
gboolean eigml_model_save (EigmlModel *self,
                           const char *directory,
                           GError **error);

G_END_DECLS
