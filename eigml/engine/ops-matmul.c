/* ops-matmul.c: matrix products with transpose flags and batching
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * y = op(a) op(b), op(x) = x or xᵀ on the last two axes. Leading (batch)
 * axes must be equal, or one operand has none and is shared by every batch
 * (its batch stride is 0). When b is shared and a is not transposed, the
 * batch folds into the rows of one large product instead, which is what a
 * Linear layer does (y = x Wᵀ with x [B, T, K]).
 *
 * Kernel parameters: ip[0] trans_a, ip[1] trans_b, ip[2] a shared across the
 * batch, ip[3] b shared across the batch.
 */
#include "config.h"

#include "ops-private.h"

static gint64
batch_count (EigmlNode *x)
{
  gint64 n = 1;

  for (guint i = 0; i + 2 < x->n_dims; i++)
    n *= x->shape[i];
  return n;
}

EigmlNode *
eigml_op_matmul (EigmlGraph *g,
                 EigmlNode *a,
                 EigmlNode *b,
                 gboolean trans_a,
                 gboolean trans_b)
{
  gint64 m, ka, kb, n;
  gint64 shape[EIGML_MAX_DIMS];
  guint n_dims;
  gboolean a_shared = FALSE, b_shared = FALSE;
  EigmlNode *node;

  if (!eigml_ops_ready (g, a) || !eigml_ops_ready (g, b))
    return NULL;
  if (!eigml_ops_check_dtype (g, "matmul", "a", a, EIGML_DTYPE_F32) ||
      !eigml_ops_check_dtype (g, "matmul", "b", b, EIGML_DTYPE_F32))
    return NULL;
  if (a->n_dims < 2 || b->n_dims < 2)
    {
      g_autofree char *sa = eigml_node_describe (a);
      g_autofree char *sb = eigml_node_describe (b);
      eigml_graph_set_error (g, EIGML_ERROR_SHAPE,
                             "matmul: both operands need at least 2 dimensions, got %s and %s",
                             sa, sb);
      return NULL;
    }

  m = trans_a ? a->shape[a->n_dims - 1] : a->shape[a->n_dims - 2];
  ka = trans_a ? a->shape[a->n_dims - 2] : a->shape[a->n_dims - 1];
  kb = trans_b ? b->shape[b->n_dims - 1] : b->shape[b->n_dims - 2];
  n = trans_b ? b->shape[b->n_dims - 2] : b->shape[b->n_dims - 1];
  if (ka != kb)
    {
      g_autofree char *sa = eigml_node_describe (a);
      g_autofree char *sb = eigml_node_describe (b);
      eigml_graph_set_error (g, EIGML_ERROR_SHAPE,
                             "matmul: inner dimensions differ: %s%s has %" G_GINT64_FORMAT
                             " columns, %s%s has %" G_GINT64_FORMAT " rows",
                             sa, trans_a ? "ᵀ" : "", ka, sb, trans_b ? "ᵀ" : "", kb);
      return NULL;
    }

  if (a->n_dims > 2 && b->n_dims == 2 && !trans_a)
    {
      /* Fold the batch into the rows: one large product. */
      gint64 rows = batch_count (a) * a->shape[a->n_dims - 2];
      gint64 flat[2] = { rows, ka };
      EigmlNode *a2 = eigml_op_reshape (g, a, 2, flat);
      EigmlNode *y = eigml_op_matmul (g, a2, b, FALSE, trans_b);

      if (y == NULL)
        return NULL;
      for (guint i = 0; i + 1 < a->n_dims; i++)
        shape[i] = a->shape[i];
      shape[a->n_dims - 1] = n;
      return eigml_op_reshape (g, y, a->n_dims, shape);
    }

  if (a->n_dims == b->n_dims)
    {
      for (guint i = 0; i + 2 < a->n_dims; i++)
        if (a->shape[i] != b->shape[i])
          {
            g_autofree char *sa = eigml_node_describe (a);
            g_autofree char *sb = eigml_node_describe (b);
            eigml_graph_set_error (g, EIGML_ERROR_SHAPE,
                                   "matmul: batch dimensions differ: %s and %s", sa, sb);
            return NULL;
          }
      n_dims = a->n_dims;
      for (guint i = 0; i + 2 < n_dims; i++)
        shape[i] = a->shape[i];
    }
  else if (a->n_dims == 2)
    {
      a_shared = TRUE;
      n_dims = b->n_dims;
      for (guint i = 0; i + 2 < n_dims; i++)
        shape[i] = b->shape[i];
    }
  else if (b->n_dims == 2)
    {
      b_shared = TRUE;
      n_dims = a->n_dims;
      for (guint i = 0; i + 2 < n_dims; i++)
        shape[i] = a->shape[i];
    }
  else
    {
      g_autofree char *sa = eigml_node_describe (a);
      g_autofree char *sb = eigml_node_describe (b);
      eigml_graph_set_error (g, EIGML_ERROR_SHAPE,
                             "matmul: batch dimensions differ: %s and %s "
                             "(batches must be equal, or one operand 2-d)", sa, sb);
      return NULL;
    }
  shape[n_dims - 2] = m;
  shape[n_dims - 1] = n;

  node = eigml_graph_new_node (g, EIGML_OP_MATMUL, EIGML_DTYPE_F32, n_dims, shape);
  if (node == NULL)
    return NULL;
  eigml_node_add_src (node, a);
  eigml_node_add_src (node, b);
  node->ip[0] = trans_a ? 1 : 0;
  node->ip[1] = trans_b ? 1 : 0;
  node->ip[2] = a_shared ? 1 : 0;
  node->ip[3] = b_shared ? 1 : 0;
  return node;
}

/* The gradient of an operand shared across the batch is summed over it. */
static EigmlNode *
unbatch (EigmlGraph *g,
         EigmlNode *grad,
         EigmlNode *operand)
{
  if (grad == NULL || grad->n_dims == operand->n_dims)
    return grad;
  return eigml_op_sum_to_shape (g, grad, operand->n_dims, operand->shape);
}

void
eigml_backward_matmul (EigmlGraph *g,
                       EigmlNode *node,
                       EigmlNode *dy)
{
  EigmlNode *a = node->src[0], *b = node->src[1];
  gboolean ta = node->ip[0], tb = node->ip[1];

  if (a->flags & EIGML_NODE_NEEDS_GRAD)
    {
      EigmlNode *da;
      if (!ta)
        da = tb ? eigml_op_matmul (g, dy, b, FALSE, FALSE) : eigml_op_matmul (g, dy, b, FALSE, TRUE);
      else
        da = tb ? eigml_op_matmul (g, b, dy, TRUE, TRUE) : eigml_op_matmul (g, b, dy, FALSE, TRUE);
      eigml_graph_accumulate_grad (g, a, unbatch (g, da, a));
    }
  if (b->flags & EIGML_NODE_NEEDS_GRAD)
    {
      EigmlNode *db;
      if (!tb)
        db = ta ? eigml_op_matmul (g, a, dy, FALSE, FALSE) : eigml_op_matmul (g, a, dy, TRUE, FALSE);
      else
        db = ta ? eigml_op_matmul (g, dy, a, TRUE, TRUE) : eigml_op_matmul (g, dy, a, TRUE, FALSE);
      eigml_graph_accumulate_grad (g, b, unbatch (g, db, b));
    }
}
