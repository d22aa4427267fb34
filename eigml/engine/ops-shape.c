/* ops-shape.c: reshape, permute, slice, concat, broadcast
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every tensor is contiguous. A reshape is a view that shares its source's
 * memory; the other shape ops copy. Kernel parameters are expressed on the
 * 4-d shape padded with leading 1s, so each kernel handles every rank:
 *   PERMUTE   ip[0..3] = source axis of each output axis (4-d)
 *   SLICE     ip[0] = axis (4-d), ip[1] = start
 *   PAD       ip[0] = axis (4-d), ip[1] = start (inverse of SLICE)
 *   CONCAT    ip[0] = axis (4-d); sources in order
 *   BROADCAST src[0] stretched on its size-1 axes
 */
#include "config.h"

#include "ops-private.h"

EigmlNode *
eigml_op_reshape (EigmlGraph *g,
                  EigmlNode *x,
                  guint n_dims,
                  const gint64 *shape)
{
  EigmlNode *node;
  gint64 n;
  g_autoptr (GError) error = NULL;

  if (!eigml_ops_ready (g, x))
    return NULL;
  if (!eigml_shape_validate (shape, n_dims, &n, &error))
    {
      eigml_graph_set_error (g, EIGML_ERROR_SHAPE, "reshape: %s", error->message);
      return NULL;
    }
  if (n != x->n_elements)
    {
      g_autofree char *sx = eigml_node_describe (x);
      g_autofree char *ss = eigml_shape_to_string (shape, n_dims);
      eigml_graph_set_error (g, EIGML_ERROR_SHAPE,
                             "reshape: cannot view %s (%" G_GINT64_FORMAT " elements) as %s (%"
                             G_GINT64_FORMAT " elements)", sx, x->n_elements, ss, n);
      return NULL;
    }
  if (n_dims == x->n_dims && memcmp (shape, x->shape, n_dims * sizeof (gint64)) == 0)
    return x;
  node = eigml_graph_new_node (g, EIGML_OP_VIEW, x->dtype, n_dims, shape);
  if (node != NULL)
    eigml_node_add_src (node, x);
  return node;
}

EigmlNode *
eigml_op_permute (EigmlGraph *g,
                  EigmlNode *x,
                  const guint *perm)
{
  gint64 shape[EIGML_MAX_DIMS];
  guint seen = 0, pad;
  gboolean identity = TRUE;
  EigmlNode *node;

  if (!eigml_ops_ready (g, x))
    return NULL;
  for (guint i = 0; i < x->n_dims; i++)
    {
      if (perm[i] >= x->n_dims || (seen & (1u << perm[i])))
        {
          g_autofree char *sx = eigml_node_describe (x);
          eigml_graph_set_error (g, EIGML_ERROR_SHAPE,
                                 "permute: the permutation of %s is not valid (axis %u -> %u)",
                                 sx, i, perm[i]);
          return NULL;
        }
      seen |= 1u << perm[i];
      shape[i] = x->shape[perm[i]];
      if (perm[i] != i)
        identity = FALSE;
    }
  if (identity)
    return x;
  node = eigml_graph_new_node (g, EIGML_OP_PERMUTE, x->dtype, x->n_dims, shape);
  if (node == NULL)
    return NULL;
  eigml_node_add_src (node, x);
  pad = EIGML_MAX_DIMS - x->n_dims;
  for (guint i = 0; i < EIGML_MAX_DIMS; i++)
    node->ip[i] = i < pad ? (gint32) i : (gint32) (perm[i - pad] + pad);
  return node;
}

EigmlNode *
eigml_op_transpose (EigmlGraph *g,
                    EigmlNode *x,
                    guint axis0,
                    guint axis1)
{
  guint perm[EIGML_MAX_DIMS];

  if (!eigml_ops_ready (g, x))
    return NULL;
  if (axis0 >= x->n_dims || axis1 >= x->n_dims)
    {
      g_autofree char *sx = eigml_node_describe (x);
      eigml_graph_set_error (g, EIGML_ERROR_SHAPE, "transpose: axes %u and %u of %s", axis0,
                             axis1, sx);
      return NULL;
    }
  for (guint i = 0; i < x->n_dims; i++)
    perm[i] = i;
  perm[axis0] = axis1;
  perm[axis1] = axis0;
  return eigml_op_permute (g, x, perm);
}

EigmlNode *
eigml_op_slice (EigmlGraph *g,
                EigmlNode *x,
                gint axis,
                gint64 start,
                gint64 length)
{
  guint ax;
  gint64 shape[EIGML_MAX_DIMS];
  EigmlNode *node;

  if (!eigml_ops_ready (g, x))
    return NULL;
  if (!eigml_ops_normalize_axis (g, "slice", x, axis, &ax))
    return NULL;
  if (start < 0 || length <= 0 || start + length > x->shape[ax])
    {
      g_autofree char *sx = eigml_node_describe (x);
      eigml_graph_set_error (g, EIGML_ERROR_SHAPE,
                             "slice: [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
                             ") is outside axis %u of %s", start, start + length, ax, sx);
      return NULL;
    }
  if (length == x->shape[ax])
    return x;
  memcpy (shape, x->shape, sizeof shape);
  shape[ax] = length;
  node = eigml_graph_new_node (g, EIGML_OP_SLICE, x->dtype, x->n_dims, shape);
  if (node == NULL)
    return NULL;
  eigml_node_add_src (node, x);
  node->ip[0] = (gint32) (EIGML_MAX_DIMS - x->n_dims + ax);
  node->ip[1] = (gint32) start;
  return node;
}

/* The gradient of a slice: dy placed at [start, start + len) along the axis
 * of a zero tensor shaped like the sliced source. */
static EigmlNode *
op_pad (EigmlGraph *g,
        EigmlNode *dy,
        EigmlNode *like,
        gint32 axis4,
        gint32 start)
{
  EigmlNode *node = eigml_graph_new_node (g, EIGML_OP_PAD, dy->dtype, like->n_dims, like->shape);

  if (node == NULL)
    return NULL;
  eigml_node_add_src (node, dy);
  node->ip[0] = axis4;
  node->ip[1] = start;
  return node;
}

EigmlNode *
eigml_op_concat (EigmlGraph *g,
                 EigmlNode **xs,
                 guint n,
                 gint axis)
{
  guint ax;
  gint64 shape[EIGML_MAX_DIMS];
  EigmlNode *node;

  if (n == 0 || n > EIGML_MAX_SRC)
    {
      eigml_graph_set_error (g, EIGML_ERROR_INVALID_ARGUMENT,
                             "concat: %u inputs (between 1 and %d are supported)", n,
                             EIGML_MAX_SRC);
      return NULL;
    }
  for (guint i = 0; i < n; i++)
    if (!eigml_ops_ready (g, xs[i]))
      return NULL;
  if (n == 1)
    return xs[0];
  if (!eigml_ops_normalize_axis (g, "concat", xs[0], axis, &ax))
    return NULL;
  memcpy (shape, xs[0]->shape, sizeof shape);
  for (guint i = 1; i < n; i++)
    {
      gboolean ok = xs[i]->n_dims == xs[0]->n_dims && xs[i]->dtype == xs[0]->dtype;
      for (guint d = 0; ok && d < xs[0]->n_dims; d++)
        if (d != ax && xs[i]->shape[d] != xs[0]->shape[d])
          ok = FALSE;
      if (!ok)
        {
          g_autofree char *s0 = eigml_node_describe (xs[0]);
          g_autofree char *si = eigml_node_describe (xs[i]);
          eigml_graph_set_error (g, EIGML_ERROR_SHAPE,
                                 "concat: input %u %s does not match input 0 %s outside axis %u",
                                 i, si, s0, ax);
          return NULL;
        }
      shape[ax] += xs[i]->shape[ax];
    }
  node = eigml_graph_new_node (g, EIGML_OP_CONCAT, xs[0]->dtype, xs[0]->n_dims, shape);
  if (node == NULL)
    return NULL;
  for (guint i = 0; i < n; i++)
    eigml_node_add_src (node, xs[i]);
  node->ip[0] = (gint32) (EIGML_MAX_DIMS - xs[0]->n_dims + ax);
  return node;
}

EigmlNode *
eigml_op_broadcast_to (EigmlGraph *g,
                       EigmlNode *x,
                       guint n_dims,
                       const gint64 *shape)
{
  EigmlNode *node;
  gboolean same = n_dims == x->n_dims;

  if (!eigml_ops_ready (g, x))
    return NULL;
  if (n_dims < x->n_dims || n_dims > EIGML_MAX_DIMS)
    goto bad;
  for (guint i = 0; i < x->n_dims; i++)
    {
      gint64 have = x->shape[i], want = shape[n_dims - x->n_dims + i];
      if (have != want && have != 1)
        goto bad;
      if (have != want)
        same = FALSE;
    }
  if (same)
    return x;
  node = eigml_graph_new_node (g, EIGML_OP_BROADCAST, x->dtype, n_dims, shape);
  if (node != NULL)
    eigml_node_add_src (node, x);
  return node;

bad:
  {
    g_autofree char *sx = eigml_node_describe (x);
    g_autofree char *ss = eigml_shape_to_string (shape, n_dims);
    eigml_graph_set_error (g, EIGML_ERROR_SHAPE, "broadcast: cannot stretch %s to %s", sx, ss);
  }
  return NULL;
}

void
eigml_backward_shape (EigmlGraph *g,
                      EigmlNode *node,
                      EigmlNode *dy)
{
  EigmlNode *x = node->src[0];

  switch (node->op)
    {
    case EIGML_OP_VIEW:
      eigml_graph_accumulate_grad (g, x, eigml_op_reshape (g, dy, x->n_dims, x->shape));
      break;

    case EIGML_OP_PERMUTE:
      {
        guint inverse[EIGML_MAX_DIMS];
        guint pad = EIGML_MAX_DIMS - x->n_dims;
        for (guint i = 0; i < x->n_dims; i++)
          inverse[node->ip[i + pad] - pad] = i;
        eigml_graph_accumulate_grad (g, x, eigml_op_permute (g, dy, inverse));
      }
      break;

    case EIGML_OP_SLICE:
      eigml_graph_accumulate_grad (g, x, op_pad (g, dy, x, node->ip[0], node->ip[1]));
      break;

    case EIGML_OP_PAD:
      {
        guint ax = (guint) node->ip[0] - (EIGML_MAX_DIMS - node->n_dims);
        eigml_graph_accumulate_grad (g, x, eigml_op_slice (g, dy, (gint) ax, node->ip[1],
                                                           x->shape[ax]));
      }
      break;

    case EIGML_OP_CONCAT:
      {
        guint ax = (guint) node->ip[0] - (EIGML_MAX_DIMS - node->n_dims);
        gint64 start = 0;
        for (guint i = 0; i < node->n_src; i++)
          {
            EigmlNode *xi = node->src[i];
            if (xi->flags & EIGML_NODE_NEEDS_GRAD)
              eigml_graph_accumulate_grad (g, xi, eigml_op_slice (g, dy, (gint) ax, start,
                                                                  xi->shape[ax]));
            start += xi->shape[ax];
          }
      }
      break;

    case EIGML_OP_BROADCAST:
      eigml_graph_accumulate_grad (g, x, eigml_op_sum_to_shape (g, dy, x->n_dims, x->shape));
      break;

    default:
      g_assert_not_reached ();
    }
}
