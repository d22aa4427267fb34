/* ops-loss.c: cross-entropy, binary cross-entropy with logits, KL divergence
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * All three return the loss per row (or per element for BCE), unreduced;
 * callers take the mean or sum they need, so masking and weighting stay
 * ordinary graph ops.
 *
 * CROSS_ENTROPY(logits [..., C], targets i32 [...]) -> [...]:
 *   logsumexp(row) - row[target]; a negative target is ignored (loss 0,
 *   no gradient), like PyTorch's ignore_index = -100. A target >= C is an
 *   error when the targets are a graph input, else ignored.
 * BCE_LOGITS(x, t) -> max(x, 0) - x t + log(1 + exp(-|x|)), elementwise.
 * KL_DIV(lp, lq) -> sum exp(lp) (lp - lq) over the last axis: KL(p || q) for
 *   distributions given as log-probabilities.
 */
#include "config.h"

#include "ops-private.h"

static gboolean
same_shape_check (EigmlGraph *g,
                  const char *op,
                  EigmlNode *a,
                  EigmlNode *b)
{
  if (eigml_node_same_shape (a, b))
    return TRUE;
  {
    g_autofree char *sa = eigml_node_describe (a);
    g_autofree char *sb = eigml_node_describe (b);
    eigml_graph_set_error (g, EIGML_ERROR_SHAPE, "%s: %s and %s must have the same shape", op,
                           sa, sb);
  }
  return FALSE;
}

EigmlNode *
eigml_op_cross_entropy (EigmlGraph *g,
                        EigmlNode *logits,
                        EigmlNode *targets)
{
  EigmlNode *node;
  gboolean ok;

  if (!eigml_ops_ready (g, logits) || !eigml_ops_ready (g, targets))
    return NULL;
  if (!eigml_ops_check_dtype (g, "cross_entropy", "logits", logits, EIGML_DTYPE_F32) ||
      !eigml_ops_check_dtype (g, "cross_entropy", "targets", targets, EIGML_DTYPE_I32))
    return NULL;
  ok = logits->n_dims >= 1 && targets->n_dims + 1 == logits->n_dims;
  for (guint i = 0; ok && i < targets->n_dims; i++)
    ok = targets->shape[i] == logits->shape[i];
  if (!ok)
    {
      g_autofree char *sl = eigml_node_describe (logits);
      g_autofree char *st = eigml_node_describe (targets);
      eigml_graph_set_error (g, EIGML_ERROR_SHAPE,
                             "cross_entropy: targets %s must have the shape of logits %s "
                             "without its last (class) axis", st, sl);
      return NULL;
    }
  node = eigml_graph_new_node (g, EIGML_OP_CROSS_ENTROPY, EIGML_DTYPE_F32,
                               targets->n_dims, targets->shape);
  if (node == NULL)
    return NULL;
  eigml_node_add_src (node, logits);
  eigml_node_add_src (node, targets);
  if (targets->op == EIGML_OP_LEAF && targets->leaf == EIGML_LEAF_INPUT)
    {
      /* Checked as < C; negative targets mean "ignore". */
      gint32 classes = (gint32) logits->shape[logits->n_dims - 1];
      if (!(targets->flags & EIGML_NODE_CHECK_IDS) || classes < targets->id_limit)
        targets->id_limit = classes;
      targets->flags |= EIGML_NODE_CHECK_IDS;
    }
  return node;
}

EigmlNode *
eigml_op_bce_with_logits (EigmlGraph *g,
                          EigmlNode *logits,
                          EigmlNode *targets)
{
  EigmlNode *node;

  if (!eigml_ops_ready (g, logits) || !eigml_ops_ready (g, targets))
    return NULL;
  if (!eigml_ops_check_dtype (g, "bce_with_logits", "logits", logits, EIGML_DTYPE_F32) ||
      !eigml_ops_check_dtype (g, "bce_with_logits", "targets", targets, EIGML_DTYPE_F32) ||
      !same_shape_check (g, "bce_with_logits", logits, targets))
    return NULL;
  node = eigml_graph_new_node (g, EIGML_OP_BCE_LOGITS, EIGML_DTYPE_F32, logits->n_dims,
                               logits->shape);
  if (node == NULL)
    return NULL;
  eigml_node_add_src (node, logits);
  eigml_node_add_src (node, targets);
  return node;
}

EigmlNode *
eigml_op_kl_div (EigmlGraph *g,
                 EigmlNode *log_p,
                 EigmlNode *log_q)
{
  EigmlNode *node;

  if (!eigml_ops_ready (g, log_p) || !eigml_ops_ready (g, log_q))
    return NULL;
  if (!eigml_ops_check_dtype (g, "kl_div", "log_p", log_p, EIGML_DTYPE_F32) ||
      !eigml_ops_check_dtype (g, "kl_div", "log_q", log_q, EIGML_DTYPE_F32) ||
      !same_shape_check (g, "kl_div", log_p, log_q))
    return NULL;
  if (log_p->n_dims < 1)
    {
      eigml_graph_set_error (g, EIGML_ERROR_SHAPE, "kl_div: inputs need a class axis");
      return NULL;
    }
  node = eigml_graph_new_node (g, EIGML_OP_KL_DIV, EIGML_DTYPE_F32, log_p->n_dims - 1,
                               log_p->shape);
  if (node == NULL)
    return NULL;
  eigml_node_add_src (node, log_p);
  eigml_node_add_src (node, log_q);
  return node;
}

static EigmlNode *
loss_backward_node (EigmlGraph *g,
                    EigmlOp op,
                    EigmlNode *like,
                    EigmlNode *a,
                    EigmlNode *b,
                    EigmlNode *dy,
                    gint32 which)
{
  EigmlNode *dx = eigml_graph_new_node (g, op, EIGML_DTYPE_F32, like->n_dims, like->shape);

  if (dx == NULL)
    return NULL;
  eigml_node_add_src (dx, a);
  eigml_node_add_src (dx, b);
  eigml_node_add_src (dx, dy);
  dx->ip[0] = which;
  return dx;
}

void
eigml_backward_loss (EigmlGraph *g,
                     EigmlNode *node,
                     EigmlNode *dy)
{
  EigmlNode *a = node->src[0], *b = node->src[1];

  switch (node->op)
    {
    case EIGML_OP_CROSS_ENTROPY:
      eigml_graph_accumulate_grad (g, a, loss_backward_node (g, EIGML_OP_CROSS_ENTROPY_BACKWARD,
                                                             a, a, b, dy, 0));
      break;

    case EIGML_OP_BCE_LOGITS:
      if (a->flags & EIGML_NODE_NEEDS_GRAD)
        eigml_graph_accumulate_grad (g, a, loss_backward_node (g, EIGML_OP_BCE_LOGITS_BACKWARD,
                                                               a, a, b, dy, 0));
      if (b->flags & EIGML_NODE_NEEDS_GRAD)
        /* d/dt = -x */
        eigml_graph_accumulate_grad (g, b, eigml_op_scale (g, eigml_op_mul (g, dy, a), -1.0f,
                                                           0.0f));
      break;

    case EIGML_OP_KL_DIV:
      if (a->flags & EIGML_NODE_NEEDS_GRAD)
        eigml_graph_accumulate_grad (g, a, loss_backward_node (g, EIGML_OP_KL_DIV_BACKWARD,
                                                               a, a, b, dy, 0));
      if (b->flags & EIGML_NODE_NEEDS_GRAD)
        eigml_graph_accumulate_grad (g, b, loss_backward_node (g, EIGML_OP_KL_DIV_BACKWARD,
                                                               b, a, b, dy, 1));
      break;

    default:
      g_assert_not_reached ();
    }
}
