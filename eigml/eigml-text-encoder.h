/* eigml-text-encoder.h: the BERT text encoder
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(__EIGML_H_INSIDE__) && !defined(EIGML_COMPILATION)
#error "Only <eigml/eigml.h> can be included directly."
#endif

#include <eigml/eigml-encoder.h>
#include <eigml/eigml-tensor.h>

G_BEGIN_DECLS

#define EIGML_TYPE_TEXT_ENCODER (eigml_text_encoder_get_type ())

EIGML_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EigmlTextEncoder, eigml_text_encoder, EIGML, TEXT_ENCODER, EigmlEncoder)

EIGML_AVAILABLE_IN_ALL
EigmlTextEncoder *eigml_text_encoder_new (EigmlContext *context,
                                          const EigmlEncoderConfig *config,
                                          GError **error);
EIGML_AVAILABLE_IN_ALL
EigmlTensor *eigml_text_encoder_encode (EigmlTextEncoder *self,
                                        EigmlTensor *ids,
                                        EigmlTensor *attention_mask,
                                        EigmlTensor *token_types,
                                        EigmlTensor **pooled,
                                        GError **error);

G_END_DECLS
