/* encoder-private.h: the encoders' engine-side API
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Model code (EigmlModel, the trainer) builds encoders into its own
 * parameter store and adds their nodes to its training graphs; the public
 * encode() functions use the same builders for inference.
 */
#pragma once

#include "eigml-encoder.h"
#include "eigml-text-encoder.h"
#include "eigml-image-encoder.h"
#include "eigml-tensor.h"
#include "engine/graph.h"
#include "engine/params.h"
#include "nn/nn.h"

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

EigmlEncoderConfig *eigml_encoder_config_from_json_object (EigmlEncoderKind kind, JsonObject *obj,
                                                           const char *path, GError **error);
void eigml_encoder_config_add_to_json (const EigmlEncoderConfig *c, JsonBuilder *b);

/* Where a loader finds checkpoint tensors by name (NULL: absent). */
typedef EigmlTensor *(*EigmlWeightLookup) (const char *name,
                                           gpointer user_data);

typedef struct
{
  /* creates the parameters under the encoder's prefix */
  gboolean (*init_params) (EigmlEncoder *self, EigmlParamStore *store, const char *prefix,
                           GError **error);
  /* copies checkpoint tensors (names after the checkpoint prefix) into the
   * parameters; adds the names it used to @used and the parameters it could
   * not fill to @missing */
  gboolean (*load) (EigmlEncoder *self, EigmlWeightLookup lookup, gpointer data,
                    const char *ckpt_prefix, GPtrArray *used, GPtrArray *missing,
                    GError **error);
  /* the checkpoint prefixes this encoder recognises, most specific first,
   * and the key (after the prefix) that identifies one */
  const char *const *prefixes;
  const char *probe_key;
} EigmlEncoderImpl;

void eigml_encoder_set_impl (EigmlEncoder *self, const EigmlEncoderImpl *impl);
EigmlParamStore *eigml_encoder_get_store (EigmlEncoder *self);
const char *eigml_encoder_get_prefix (EigmlEncoder *self);
/* Before g_initable_init: build the parameters into @store under @prefix
 * (the store is shared with a model) instead of an own store. */
void eigml_encoder_set_store (EigmlEncoder *self, EigmlParamStore *store, const char *prefix);
/* the parameter @name relative to the encoder's prefix */
EigmlParam *eigml_encoder_lookup_param (EigmlEncoder *self, const char *name);
GMutex *eigml_encoder_get_lock (EigmlEncoder *self);
gpointer eigml_encoder_get_graph_cache (EigmlEncoder *self);

/* Loads weights through @lookup. @names lists every name of the checkpoint
 * (for the prefix search and the unexpected-key report). */
gboolean eigml_encoder_load_from (EigmlEncoder *self, EigmlWeightLookup lookup, gpointer data,
                                  const char *const *names, const char *prefix,
                                  char ***missing, char ***unexpected, GError **error);
/* Copies @tensor into @param, checking the element count and shape. */
gboolean eigml_encoder_copy_param (EigmlEncoder *self, const char *param_name,
                                   const char *ckpt_name, EigmlTensor *tensor, GError **error);

/* graph builders: text ids/types [B, T] i32, mask additive [B, 1, 1, T]
 * f32 or NULL; image patches [B, P, C * p * p] f32 */
EigmlNode *eigml_text_encoder_build (EigmlTextEncoder *self, EigmlGraph *g, EigmlNode *ids,
                                     EigmlNode *mask, EigmlNode *types, gboolean train,
                                     EigmlNode **pooled);
EigmlNode *eigml_image_encoder_build (EigmlImageEncoder *self, EigmlGraph *g,
                                      EigmlNode *patches, gboolean train);
/* [B, C, S, S] pixels -> [B, (S / p)^2, C * p * p] patches, in the order of
 * a stride-p convolution's weight (c, ky, kx) and its output (row-major) */
EigmlTensor *eigml_image_patchify (EigmlTensor *pixels, guint patch, GError **error);

G_END_DECLS
