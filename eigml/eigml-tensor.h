/* eigml-tensor.h: host tensors
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

G_BEGIN_DECLS

/**
 * EIGML_TENSOR_MAX_DIMS:
 *
 * The largest number of dimensions a tensor can have.
 *
 * Since: 1.0
 */
#define EIGML_TENSOR_MAX_DIMS 4

#define EIGML_TYPE_TENSOR (eigml_tensor_get_type ())

EIGML_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EigmlTensor, eigml_tensor, EIGML, TENSOR, GObject)

EIGML_AVAILABLE_IN_ALL
EigmlTensor *eigml_tensor_new (EigmlDType dtype,
                               const gint64 *shape,
                               guint n_dims,
                               GError **error);
EIGML_AVAILABLE_IN_ALL
EigmlTensor *eigml_tensor_new_from_floats (const gint64 *shape,
                                           guint n_dims,
                                           const float *data,
                                           gsize n_data,
                                           GError **error);
EIGML_AVAILABLE_IN_ALL
EigmlTensor *eigml_tensor_new_from_ints (const gint64 *shape,
                                         guint n_dims,
                                         const gint32 *data,
                                         gsize n_data,
                                         GError **error);
EIGML_AVAILABLE_IN_ALL
EigmlTensor *eigml_tensor_new_from_bytes (EigmlDType dtype,
                                          const gint64 *shape,
                                          guint n_dims,
                                          GBytes *bytes,
                                          GError **error);

EIGML_AVAILABLE_IN_ALL
EigmlDType eigml_tensor_get_dtype (EigmlTensor *self);
EIGML_AVAILABLE_IN_ALL
guint eigml_tensor_get_n_dims (EigmlTensor *self);
EIGML_AVAILABLE_IN_ALL
const gint64 *eigml_tensor_get_shape (EigmlTensor *self,
                                      guint *n_dims);
EIGML_AVAILABLE_IN_ALL
gint64 eigml_tensor_get_dim (EigmlTensor *self,
                             guint axis);
EIGML_AVAILABLE_IN_ALL
gint64 eigml_tensor_get_n_elements (EigmlTensor *self);
EIGML_AVAILABLE_IN_ALL
gsize eigml_tensor_get_n_bytes (EigmlTensor *self);

EIGML_AVAILABLE_IN_ALL
GBytes *eigml_tensor_get_bytes (EigmlTensor *self);
EIGML_AVAILABLE_IN_ALL
gboolean eigml_tensor_set_bytes (EigmlTensor *self,
                                 GBytes *bytes,
                                 GError **error);
EIGML_AVAILABLE_IN_ALL
float *eigml_tensor_dup_floats (EigmlTensor *self,
                                gsize *n_data,
                                GError **error);
EIGML_AVAILABLE_IN_ALL
gboolean eigml_tensor_set_floats (EigmlTensor *self,
                                  const float *data,
                                  gsize n_data,
                                  GError **error);
EIGML_AVAILABLE_IN_ALL
gint32 *eigml_tensor_dup_ints (EigmlTensor *self,
                               gsize *n_data,
                               GError **error);
EIGML_AVAILABLE_IN_ALL
gboolean eigml_tensor_reshape (EigmlTensor *self,
                               const gint64 *shape,
                               guint n_dims,
                               GError **error);
EIGML_AVAILABLE_IN_ALL
char *eigml_tensor_describe (EigmlTensor *self);

G_END_DECLS
