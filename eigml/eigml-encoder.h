/* eigml-encoder.h: encoders (BERT for text, ViT for images) and their config
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
#include <eigml/eigml-weights.h>

G_BEGIN_DECLS

typedef struct _EigmlEncoderConfig EigmlEncoderConfig;

/**
 * EigmlEncoderConfig:
 * @kind: text (BERT) or image (ViT)
 * @n_layers: number of transformer layers
 * @hidden: hidden size
 * @heads: attention heads (must divide @hidden)
 * @ffn: feed-forward (intermediate) size
 * @vocab_size: text: vocabulary size
 * @max_positions: text: position embeddings (the longest input)
 * @type_vocab_size: text: token type (segment) embeddings
 * @image_size: image: input side in pixels (square)
 * @patch_size: image: patch side in pixels (must divide @image_size)
 * @channels: image: input channels (3)
 * @layer_norm_eps: LayerNorm epsilon (BERT 1e-12, ViT 1e-6)
 * @dropout: hidden dropout probability in training
 * @attention_dropout: attention-probability dropout in training
 * @pooler: text: whether the BERT pooler (dense + tanh on [CLS]) exists
 *
 * The size of an encoder. The defaults of eigml_encoder_config_new() are
 * bert-base-chinese and ALBEF's ViT-B/16 at the paper's 128 x 128 input.
 *
 * Since: 1.0
 */
struct _EigmlEncoderConfig
{
  EigmlEncoderKind kind;
  guint n_layers;
  guint hidden;
  guint heads;
  guint ffn;
  guint vocab_size;
  guint max_positions;
  guint type_vocab_size;
  guint image_size;
  guint patch_size;
  guint channels;
  float layer_norm_eps;
  float dropout;
  float attention_dropout;
  gboolean pooler;
};

#define EIGML_TYPE_ENCODER_CONFIG (eigml_encoder_config_get_type ())

EIGML_AVAILABLE_IN_ALL
GType eigml_encoder_config_get_type (void) G_GNUC_CONST;
EIGML_AVAILABLE_IN_ALL
EigmlEncoderConfig *eigml_encoder_config_new (EigmlEncoderKind kind);
EIGML_AVAILABLE_IN_ALL
EigmlEncoderConfig *eigml_encoder_config_new_from_json (EigmlEncoderKind kind,
                                                        const char *path,
                                                        GError **error);
EIGML_AVAILABLE_IN_ALL
EigmlEncoderConfig *eigml_encoder_config_copy (const EigmlEncoderConfig *config);
EIGML_AVAILABLE_IN_ALL
void eigml_encoder_config_free (EigmlEncoderConfig *config);
EIGML_AVAILABLE_IN_ALL
gboolean eigml_encoder_config_validate (const EigmlEncoderConfig *config,
                                        GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EigmlEncoderConfig, eigml_encoder_config_free)

#define EIGML_TYPE_ENCODER (eigml_encoder_get_type ())

EIGML_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (EigmlEncoder, eigml_encoder, EIGML, ENCODER, GObject)

/**
 * EigmlEncoderClass:
 * @parent_class: the parent class
 *
 * The class of encoders. Its behaviour lives in #EigmlTextEncoder and
 * #EigmlImageEncoder.
 *
 * Since: 1.0
 */
struct _EigmlEncoderClass
{
  GObjectClass parent_class;

  /*< private >*/
  gpointer padding[12];
};

EIGML_AVAILABLE_IN_ALL
EigmlContext *eigml_encoder_get_context (EigmlEncoder *self);
EIGML_AVAILABLE_IN_ALL
const EigmlEncoderConfig *eigml_encoder_get_config (EigmlEncoder *self);
EIGML_AVAILABLE_IN_ALL
gint64 eigml_encoder_get_n_parameters (EigmlEncoder *self);
EIGML_AVAILABLE_IN_ALL
gboolean eigml_encoder_load_weights (EigmlEncoder *self,
                                     EigmlWeights *weights,
                                     const char *prefix,
                                     char ***missing,
                                     char ***unexpected,
                                     GError **error);
EIGML_AVAILABLE_IN_ALL
EigmlWeights *eigml_encoder_dup_weights (EigmlEncoder *self,
                                         GError **error);

G_END_DECLS
