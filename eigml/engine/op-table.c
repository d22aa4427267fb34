/* op-table.c: the op registry (names, backward rules, properties)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each op family keeps its shape rule and backward rule in one ops-*.c file,
 * its CPU kernel in backends/cpu/ and its shader in shaders/; this table
 * ties the names and backward rules together.
 */
#include "config.h"

#include "ops-private.h"

typedef struct
{
  const char *name;
  EigmlBackwardFunc backward;
  gboolean elementwise;   /* out[i] depends on in[i] only: may run in place */
} EigmlOpInfo;

static const EigmlOpInfo op_table[EIGML_OP_COUNT] = {
  [EIGML_OP_LEAF] = { "leaf", NULL, FALSE },
  [EIGML_OP_VIEW] = { "reshape", eigml_backward_shape, FALSE },
  [EIGML_OP_FILL] = { "fill", NULL, FALSE },
  [EIGML_OP_MATMUL] = { "matmul", eigml_backward_matmul, FALSE },
  [EIGML_OP_BINARY] = { "binary", eigml_backward_elementwise, TRUE },
  [EIGML_OP_SCALE] = { "scale", eigml_backward_elementwise, TRUE },
  [EIGML_OP_UNARY] = { "unary", eigml_backward_elementwise, TRUE },
  [EIGML_OP_UNARY_BACKWARD] = { "unary_backward", NULL, TRUE },
  [EIGML_OP_SOFTMAX] = { "softmax", eigml_backward_softmax, FALSE },
  [EIGML_OP_SOFTMAX_BACKWARD] = { "softmax_backward", NULL, FALSE },
  [EIGML_OP_LAYER_NORM] = { "layer_norm", eigml_backward_norm, FALSE },
  [EIGML_OP_LAYER_NORM_BACKWARD] = { "layer_norm_backward", NULL, FALSE },
  [EIGML_OP_L2_NORM] = { "l2_normalize", eigml_backward_norm, FALSE },
  [EIGML_OP_L2_NORM_BACKWARD] = { "l2_normalize_backward", NULL, FALSE },
  [EIGML_OP_EMBEDDING] = { "embedding", eigml_backward_embedding, FALSE },
  [EIGML_OP_EMBEDDING_BACKWARD] = { "embedding_backward", NULL, FALSE },
  [EIGML_OP_DROPOUT] = { "dropout", eigml_backward_dropout, TRUE },
  [EIGML_OP_PERMUTE] = { "permute", eigml_backward_shape, FALSE },
  [EIGML_OP_SLICE] = { "slice", eigml_backward_shape, FALSE },
  [EIGML_OP_PAD] = { "pad", eigml_backward_shape, FALSE },
  [EIGML_OP_CONCAT] = { "concat", eigml_backward_shape, FALSE },
  [EIGML_OP_BROADCAST] = { "broadcast", eigml_backward_shape, FALSE },
  [EIGML_OP_REDUCE] = { "reduce", eigml_backward_reduce, FALSE },
  [EIGML_OP_REDUCE_MAX_BACKWARD] = { "reduce_max_backward", NULL, FALSE },
  [EIGML_OP_CROSS_ENTROPY] = { "cross_entropy", eigml_backward_loss, FALSE },
  [EIGML_OP_CROSS_ENTROPY_BACKWARD] = { "cross_entropy_backward", NULL, FALSE },
  [EIGML_OP_BCE_LOGITS] = { "bce_with_logits", eigml_backward_loss, FALSE },
  [EIGML_OP_BCE_LOGITS_BACKWARD] = { "bce_with_logits_backward", NULL, FALSE },
  [EIGML_OP_KL_DIV] = { "kl_div", eigml_backward_loss, FALSE },
  [EIGML_OP_KL_DIV_BACKWARD] = { "kl_div_backward", NULL, FALSE },
  [EIGML_OP_ACC] = { "acc", NULL, FALSE },
  [EIGML_OP_CLIP_SCALE] = { "clip_scale", NULL, FALSE },
  [EIGML_OP_ADAMW] = { "adamw", NULL, FALSE },
};

const char *
eigml_op_get_name (EigmlOp op)
{
  if ((guint) op >= EIGML_OP_COUNT || op_table[op].name == NULL)
    return "invalid";
  return op_table[op].name;
}

EigmlBackwardFunc
eigml_op_get_backward (EigmlOp op)
{
  if ((guint) op >= EIGML_OP_COUNT)
    return NULL;
  return op_table[op].backward;
}

gboolean
eigml_op_is_elementwise (EigmlOp op)
{
  return (guint) op < EIGML_OP_COUNT && op_table[op].elementwise;
}

/* May @node write its output over source @src_index? Only for elementwise
 * ops, when that source has the output's shape and dtype. */
gboolean
eigml_op_writes_in_place (const EigmlNode *node,
                          guint src_index)
{
  const EigmlNode *src;

  if (!eigml_op_is_elementwise (node->op) || src_index >= node->n_src)
    return FALSE;
  if (node->op == EIGML_OP_DROPOUT && src_index != 0)
    return FALSE;
  src = node->src[src_index];
  return src->dtype == node->dtype && src->n_elements == node->n_elements &&
         eigml_node_same_shape (src, node);
}

/* ---- helpers shared by the builders -------------------------------------- */

gboolean
eigml_ops_check_dtype (EigmlGraph *g,
                       const char *op,
                       const char *what,
                       EigmlNode *node,
                       EigmlDType dtype)
{
  if (node->dtype == dtype)
    return TRUE;
  {
    g_autofree char *desc = eigml_node_describe (node);
    eigml_graph_set_error (g, EIGML_ERROR_DTYPE, "%s: %s %s must be %s", op, what, desc,
                           eigml_dtype_get_name (dtype));
  }
  return FALSE;
}

gboolean
eigml_ops_broadcast_shape (EigmlGraph *g,
                           const char *op,
                           EigmlNode *a,
                           EigmlNode *b,
                           guint *n_dims,
                           gint64 *shape)
{
  guint n = MAX (a->n_dims, b->n_dims);

  for (guint i = 0; i < n; i++)
    {
      gint64 da = i < n - a->n_dims ? 1 : a->shape[i - (n - a->n_dims)];
      gint64 db = i < n - b->n_dims ? 1 : b->shape[i - (n - b->n_dims)];

      if (da != db && da != 1 && db != 1)
        {
          g_autofree char *sa = eigml_node_describe (a);
          g_autofree char *sb = eigml_node_describe (b);
          eigml_graph_set_error (g, EIGML_ERROR_SHAPE,
                                 "%s: shapes do not broadcast: %s and %s differ at dimension %u "
                                 "(%" G_GINT64_FORMAT " vs %" G_GINT64_FORMAT ")",
                                 op, sa, sb, i, da, db);
          return FALSE;
        }
      shape[i] = MAX (da, db);
    }
  *n_dims = n;
  return TRUE;
}

gboolean
eigml_ops_normalize_axis (EigmlGraph *g,
                          const char *op,
                          EigmlNode *x,
                          gint axis,
                          guint *out)
{
  gint n = (gint) x->n_dims;

  if (axis < -n || axis >= n)
    {
      g_autofree char *desc = eigml_node_describe (x);
      eigml_graph_set_error (g, EIGML_ERROR_SHAPE, "%s: axis %d is out of range for %s", op,
                             axis, desc);
      return FALSE;
    }
  *out = (guint) (axis < 0 ? axis + n : axis);
  return TRUE;
}
