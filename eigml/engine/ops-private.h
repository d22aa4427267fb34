/* ops-private.h: helpers shared by the op builders
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "graph.h"
#include "eigml-error.h"
#include "eigml-tensor-private.h"

#include <string.h>

G_BEGIN_DECLS

/* Returns FALSE (and leaves the graph's sticky error as it is) when a
 * source is missing because an earlier builder failed. */
static inline gboolean
eigml_ops_ready (EigmlGraph *g,
                 EigmlNode *a)
{
  return a != NULL && !eigml_graph_failed (g);
}

gboolean eigml_ops_check_dtype (EigmlGraph *g,
                                const char *op,
                                const char *what,
                                EigmlNode *node,
                                EigmlDType dtype);
gboolean eigml_ops_broadcast_shape (EigmlGraph *g,
                                    const char *op,
                                    EigmlNode *a,
                                    EigmlNode *b,
                                    guint *n_dims,
                                    gint64 *shape);
gboolean eigml_ops_normalize_axis (EigmlGraph *g,
                                   const char *op,
                                   EigmlNode *x,
                                   gint axis,
                                   guint *out);
/* Bit (EIGML_MAX_DIMS - n_dims + axis) of the 4-d padded shape. */
static inline guint
eigml_ops_axis_bit4 (const EigmlNode *x,
                     guint axis)
{
  return 1u << (EIGML_MAX_DIMS - x->n_dims + axis);
}

G_END_DECLS
