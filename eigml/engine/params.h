/* params.h: named parameters and their persistent storage
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A store lays its parameters out in four flat buffers (values, gradients,
 * AdamW first and second moments) at the same offsets, so the global
 * gradient norm is one reduction over the gradient buffer. Parameters are
 * added first; the store is then allocated once (frozen) and initialised.
 */
#pragma once

#include <glib.h>
#include "graph.h"

G_BEGIN_DECLS

typedef enum
{
  EIGML_INIT_ZEROS,
  EIGML_INIT_ONES,
  EIGML_INIT_CONSTANT,   /* arg */
  EIGML_INIT_NORMAL,     /* mean 0, std arg, truncated at 2 std as BERT/timm do */
  EIGML_INIT_UNIFORM,    /* [-arg, arg) */
} EigmlInit;

struct _EigmlParam
{
  EigmlParamStore *store;   /* not a reference: the store owns its params */
  char *name;
  guint index;
  guint n_dims;
  gint64 shape[EIGML_MAX_DIMS];
  gint64 n_elements;
  gsize offset;             /* bytes, the same in every flat buffer */
  gboolean decay;           /* weight decay applies */
  gboolean trainable;
  EigmlInit init;
  float init_arg;
};

EigmlParamStore *eigml_param_store_new (EigmlContext *context,
                                        guint64 seed);
EigmlParamStore *eigml_param_store_ref (EigmlParamStore *store);
void eigml_param_store_unref (EigmlParamStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EigmlParamStore, eigml_param_store_unref)

EigmlParam *eigml_param_store_add (EigmlParamStore *store,
                                   const char *name,
                                   guint n_dims,
                                   const gint64 *shape,
                                   EigmlInit init,
                                   float init_arg,
                                   gboolean decay,
                                   GError **error);
EigmlParam *eigml_param_store_lookup (EigmlParamStore *store,
                                      const char *name);
GPtrArray *eigml_param_store_get_params (EigmlParamStore *store);
EigmlContext *eigml_param_store_get_context (EigmlParamStore *store);
gsize eigml_param_store_get_total_bytes (EigmlParamStore *store);
gint64 eigml_param_store_count_elements (EigmlParamStore *store);
gboolean eigml_param_store_is_allocated (EigmlParamStore *store);
gboolean eigml_param_store_allocate (EigmlParamStore *store,
                                     GError **error);
gboolean eigml_param_store_ensure_optimizer_state (EigmlParamStore *store,
                                                   GError **error);
EigmlBuffer *eigml_param_store_get_buffer (EigmlParamStore *store,
                                           EigmlLeafKind kind);

gboolean eigml_param_read (EigmlParam *param,
                           EigmlLeafKind kind,
                           float *out,
                           gsize n,
                           GError **error);
gboolean eigml_param_write (EigmlParam *param,
                            EigmlLeafKind kind,
                            const float *data,
                            gsize n,
                            GError **error);
float *eigml_param_dup (EigmlParam *param,
                        EigmlLeafKind kind,
                        GError **error);
gboolean eigml_param_store_zero_grads (EigmlParamStore *store,
                                       GError **error);

G_END_DECLS
