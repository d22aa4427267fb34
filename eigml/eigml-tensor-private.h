/* eigml-tensor-private.h: engine-side helpers around EigmlTensor
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "eigml-tensor.h"

G_BEGIN_DECLS

gboolean eigml_shape_validate (const gint64 *shape,
                               guint n_dims,
                               gint64 *n_elements_out,
                               GError **error);
char *eigml_shape_to_string (const gint64 *shape,
                             guint n_dims);
const void *eigml_tensor_peek_data (EigmlTensor *self);
void *eigml_tensor_peek_data_mutable (EigmlTensor *self);

G_END_DECLS
