/* ops-softmax.c: softmax and log-softmax along the last axis
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * y = softmax(scale * x + mask) where the optional additive mask broadcasts
 * to x (e.g. [B, 1, 1, T] over attention scores [B, H, T, T]; -1e4 or -inf
 * entries hide keys). ip[0] = 1 for log-softmax, ip[1] = 1 when a mask is
 * present (src[1]); fp[0] = scale. A row whose entries are all -inf gives 0
 * (softmax) rather than NaN, so fully padded rows stay finite.
 */
#include "config.h"

#include "ops-private.h"

static EigmlNode *
softmax_common (EigmlGraph *g,
                EigmlNode *x,
                EigmlNode *mask,
                float scale,
                gboolean log)
{
  const char *name = log ? "log_softmax" : "softmax";
  EigmlNode *node;

  if (!eigml_ops_ready (g, x) || (mask != NULL && !eigml_ops_ready (g, mask)))
    return NULL;
  if (!eigml_ops_check_dtype (g, name, "x", x, EIGML_DTYPE_F32))
    return NULL;
  if (x->n_dims < 1)
    {
      eigml_graph_set_error (g, EIGML_ERROR_SHAPE, "%s: x must have at least one axis", name);
      return NULL;
    }
  if (mask != NULL)
    {
      gint64 shape[EIGML_MAX_DIMS];
      guint n_dims;

      if (!eigml_ops_check_dtype (g, name, "mask", mask, EIGML_DTYPE_F32))
        return NULL;
      if (!eigml_ops_broadcast_shape (g, name, x, mask, &n_dims, shape))
        return NULL;
      if (n_dims != x->n_dims || memcmp (shape, x->shape, n_dims * sizeof (gint64)) != 0 ||
          mask->shape[mask->n_dims - 1] != x->shape[x->n_dims - 1])
        {
          g_autofree char *sx = eigml_node_describe (x);
          g_autofree char *sm = eigml_node_describe (mask);
          eigml_graph_set_error (g, EIGML_ERROR_SHAPE,
                                 "%s: mask %s must broadcast to %s and match its last axis",
                                 name, sm, sx);
          return NULL;
        }
      if (mask->flags & EIGML_NODE_NEEDS_GRAD)
        {
          eigml_graph_set_error (g, EIGML_ERROR_UNSUPPORTED,
                                 "%s: the additive mask is a constant and takes no gradient",
                                 name);
          return NULL;
        }
    }
  node = eigml_graph_new_node (g, EIGML_OP_SOFTMAX, EIGML_DTYPE_F32, x->n_dims, x->shape);
  if (node == NULL)
    return NULL;
  eigml_node_add_src (node, x);
  if (mask != NULL)
    eigml_node_add_src (node, mask);
  node->ip[0] = log ? 1 : 0;
  node->ip[1] = mask != NULL ? 1 : 0;
  node->fp[0] = scale;
  return node;
}

EigmlNode *
eigml_op_softmax (EigmlGraph *g,
                  EigmlNode *x,
                  EigmlNode *mask,
                  float scale)
{
  return softmax_common (g, x, mask, scale, FALSE);
}

EigmlNode *
eigml_op_log_softmax (EigmlGraph *g,
                      EigmlNode *x,
                      EigmlNode *mask,
                      float scale)
{
  return softmax_common (g, x, mask, scale, TRUE);
}

/* softmax:     dx = scale * y * (dy - sum(dy * y))
 * log-softmax: dx = scale * (dy - exp(y) * sum(dy)) */
void
eigml_backward_softmax (EigmlGraph *g,
                        EigmlNode *node,
                        EigmlNode *dy)
{
  EigmlNode *dx = eigml_graph_new_node (g, EIGML_OP_SOFTMAX_BACKWARD, EIGML_DTYPE_F32,
                                        node->n_dims, node->shape);

  if (dx == NULL)
    return;
  eigml_node_add_src (dx, node);
  eigml_node_add_src (dx, dy);
  dx->ip[0] = node->ip[0];
  dx->fp[0] = node->fp[0];
  eigml_graph_accumulate_grad (g, node->src[0], dx);
}
