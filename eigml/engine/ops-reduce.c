/* ops-reduce.c: sum, mean, max and sum-of-squares reductions
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A REDUCE node keeps the reduced axes with size 1 (ip[1] is the bit mask
 * of reduced axes of the 4-d padded shape, ip[0] the kind); the public
 * builders drop them with a reshape unless asked to keep them.
 */
#include "config.h"

#include "ops-private.h"

EigmlNode *
eigml_op_reduce (EigmlGraph *g,
                 EigmlReduceKind kind,
                 EigmlNode *x,
                 guint axes_mask,
                 gboolean keep_dims)
{
  gint64 shape[EIGML_MAX_DIMS], dropped[EIGML_MAX_DIMS];
  guint n_dropped = 0, mask4 = 0;
  EigmlNode *node;

  if (!eigml_ops_ready (g, x))
    return NULL;
  if (!eigml_ops_check_dtype (g, "reduce", "x", x, EIGML_DTYPE_F32))
    return NULL;
  if (axes_mask == 0 || (axes_mask >> x->n_dims) != 0)
    {
      g_autofree char *sx = eigml_node_describe (x);
      eigml_graph_set_error (g, EIGML_ERROR_SHAPE, "reduce: axes 0x%x are not axes of %s",
                             axes_mask, sx);
      return NULL;
    }
  for (guint i = 0; i < x->n_dims; i++)
    {
      gboolean reduced = (axes_mask >> i) & 1;
      shape[i] = reduced ? 1 : x->shape[i];
      if (reduced)
        mask4 |= eigml_ops_axis_bit4 (x, i);
      else
        dropped[n_dropped++] = x->shape[i];
    }
  node = eigml_graph_new_node (g, EIGML_OP_REDUCE, EIGML_DTYPE_F32, x->n_dims, shape);
  if (node == NULL)
    return NULL;
  eigml_node_add_src (node, x);
  node->ip[0] = kind;
  node->ip[1] = (gint32) mask4;
  if (keep_dims)
    return node;
  return eigml_op_reshape (g, node, n_dropped, dropped);
}

static EigmlNode *
reduce_axis (EigmlGraph *g,
             EigmlReduceKind kind,
             const char *name,
             EigmlNode *x,
             gint axis,
             gboolean keep_dims)
{
  guint ax;

  if (!eigml_ops_ready (g, x))
    return NULL;
  if (!eigml_ops_normalize_axis (g, name, x, axis, &ax))
    return NULL;
  return eigml_op_reduce (g, kind, x, 1u << ax, keep_dims);
}

EigmlNode *
eigml_op_sum (EigmlGraph *g, EigmlNode *x, gint axis, gboolean keep_dims)
{
  return reduce_axis (g, EIGML_REDUCE_SUM, "sum", x, axis, keep_dims);
}

EigmlNode *
eigml_op_mean (EigmlGraph *g, EigmlNode *x, gint axis, gboolean keep_dims)
{
  return reduce_axis (g, EIGML_REDUCE_MEAN, "mean", x, axis, keep_dims);
}

EigmlNode *
eigml_op_max (EigmlGraph *g, EigmlNode *x, gint axis, gboolean keep_dims)
{
  return reduce_axis (g, EIGML_REDUCE_MAX, "max", x, axis, keep_dims);
}

EigmlNode *
eigml_op_sum_all (EigmlGraph *g, EigmlNode *x)
{
  if (!eigml_ops_ready (g, x))
    return NULL;
  if (x->n_dims == 0)
    return x;
  return eigml_op_reduce (g, EIGML_REDUCE_SUM, x, (1u << x->n_dims) - 1, FALSE);
}

EigmlNode *
eigml_op_mean_all (EigmlGraph *g, EigmlNode *x)
{
  if (!eigml_ops_ready (g, x))
    return NULL;
  if (x->n_dims == 0)
    return x;
  return eigml_op_reduce (g, EIGML_REDUCE_MEAN, x, (1u << x->n_dims) - 1, FALSE);
}

/* Sums x over the axes that broadcasting stretched, to the given shape. */
EigmlNode *
eigml_op_sum_to_shape (EigmlGraph *g,
                       EigmlNode *x,
                       guint n_dims,
                       const gint64 *shape)
{
  guint mask = 0;
  guint lead;
  EigmlNode *r;

  if (!eigml_ops_ready (g, x))
    return NULL;
  if (n_dims > x->n_dims)
    goto bad;
  lead = x->n_dims - n_dims;
  for (guint i = 0; i < x->n_dims; i++)
    {
      if (i < lead)
        {
          if (x->shape[i] != 1)
            mask |= 1u << i;
          continue;
        }
      if (shape[i - lead] == x->shape[i])
        continue;
      if (shape[i - lead] != 1)
        goto bad;
      mask |= 1u << i;
    }
  r = mask ? eigml_op_reduce (g, EIGML_REDUCE_SUM, x, mask, TRUE) : x;
  return eigml_op_reshape (g, r, n_dims, shape);

bad:
  {
    g_autofree char *sx = eigml_node_describe (x);
    g_autofree char *ss = eigml_shape_to_string (shape, n_dims);
    eigml_graph_set_error (g, EIGML_ERROR_SHAPE, "sum_to_shape: %s does not reduce to %s", sx,
                           ss);
  }
  return NULL;
}

void
eigml_backward_reduce (EigmlGraph *g,
                       EigmlNode *node,
                       EigmlNode *dy)
{
  EigmlNode *x = node->src[0];
  EigmlNode *dx = NULL;

  switch ((EigmlReduceKind) node->ip[0])
    {
    case EIGML_REDUCE_SUM:
      dx = eigml_op_broadcast_to (g, dy, x->n_dims, x->shape);
      break;

    case EIGML_REDUCE_MEAN:
      dx = eigml_op_scale (g, eigml_op_broadcast_to (g, dy, x->n_dims, x->shape),
                           (float) ((double) node->n_elements / (double) x->n_elements), 0.0f);
      break;

    case EIGML_REDUCE_SUMSQ:
      dx = eigml_op_scale (g, eigml_op_mul (g, x, dy), 2.0f, 0.0f);
      break;

    case EIGML_REDUCE_MAX:
      dx = eigml_graph_new_node (g, EIGML_OP_REDUCE_MAX_BACKWARD, EIGML_DTYPE_F32, x->n_dims,
                                 x->shape);
      if (dx != NULL)
        {
          eigml_node_add_src (dx, x);
          eigml_node_add_src (dx, node);
          eigml_node_add_src (dx, dy);
          dx->ip[1] = node->ip[1];
        }
      break;
    }
  eigml_graph_accumulate_grad (g, x, dx);
}
