/* eigml-image-encoder.h: the ViT image encoder
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

#define EIGML_TYPE_IMAGE_ENCODER (eigml_image_encoder_get_type ())

EIGML_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EigmlImageEncoder, eigml_image_encoder, EIGML, IMAGE_ENCODER, EigmlEncoder)

EIGML_AVAILABLE_IN_ALL
EigmlImageEncoder *eigml_image_encoder_new (EigmlContext *context,
                                            const EigmlEncoderConfig *config,
                                            GError **error);
EIGML_AVAILABLE_IN_ALL
EigmlTensor *eigml_image_encoder_encode (EigmlImageEncoder *self,
                                         EigmlTensor *pixels,
                                         GError **error);

G_END_DECLS
