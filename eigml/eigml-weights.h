/* eigml-weights.h: named collections of tensors, loaded from weight files
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(__EIGML_H_INSIDE__) && !defined(EIGML_COMPILATION)
#error "Only <eigml/eigml.h> can be included directly."
#endif

#include <glib-object.h>
#include <eigml/eigml-version-macros.h>
#include <eigml/eigml-tensor.h>

G_BEGIN_DECLS

#define EIGML_TYPE_WEIGHTS (eigml_weights_get_type ())

EIGML_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EigmlWeights, eigml_weights, EIGML, WEIGHTS, GObject)

EIGML_AVAILABLE_IN_ALL
EigmlWeights *eigml_weights_new (void);
EIGML_AVAILABLE_IN_ALL
EigmlWeights *eigml_weights_load (const char *path,
                                  GError **error);

EIGML_AVAILABLE_IN_ALL
guint eigml_weights_get_n_tensors (EigmlWeights *self);
EIGML_AVAILABLE_IN_ALL
char **eigml_weights_get_names (EigmlWeights *self);
EIGML_AVAILABLE_IN_ALL
EigmlTensor *eigml_weights_lookup (EigmlWeights *self,
                                   const char *name);
EIGML_AVAILABLE_IN_ALL
void eigml_weights_insert (EigmlWeights *self,
                           const char *name,
                           EigmlTensor *tensor);
EIGML_AVAILABLE_IN_ALL
gboolean eigml_weights_remove (EigmlWeights *self,
                               const char *name);
EIGML_AVAILABLE_IN_ALL
gboolean eigml_weights_save_safetensors (EigmlWeights *self,
                                         const char *path,
                                         GError **error);

G_END_DECLS
