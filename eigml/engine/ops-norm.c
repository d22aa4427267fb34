/* ops-norm.c: LayerNorm and L2 normalisation along the last axis
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * LayerNorm: y = (x - mean) / sqrt(var + eps) * gamma + beta, the biased
 * variance computed in two passes (mean first), as PyTorch does. gamma and
 * beta are optional ([C] each); ip[0] bit 0 = has gamma, bit 1 = has beta.
 * L2: y = x / max(||x||, eps), as torch.nn.functional.normalize.
 */
#include "config.h"

#include "ops-private.h"

static gboolean
check_affine (EigmlGraph *g,
              EigmlNode *x,
              EigmlNode *p,
              const char *what)
{
  if (p == NULL)
    return TRUE;
  if (!eigml_ops_check_dtype (g, "layer_norm", what, p, EIGML_DTYPE_F32))
    return FALSE;
  if (p->n_dims != 1 || p->shape[0] != x->shape[x->n_dims - 1])
    {
      g_autofree char *sx = eigml_node_describe (x);
      g_autofree char *sp = eigml_node_describe (p);
      eigml_graph_set_error (g, EIGML_ERROR_SHAPE,
                             "layer_norm: %s %s must be 1-d with the size of the last axis of %s",
                             what, sp, sx);
      return FALSE;
    }
  return TRUE;
}

EigmlNode *
eigml_op_layer_norm (EigmlGraph *g,
                     EigmlNode *x,
                     EigmlNode *gamma,
                     EigmlNode *beta,
                     float eps)
{
  EigmlNode *node;

  if (!eigml_ops_ready (g, x) || (gamma && !eigml_ops_ready (g, gamma)) ||
      (beta && !eigml_ops_ready (g, beta)))
    return NULL;
  if (!eigml_ops_check_dtype (g, "layer_norm", "x", x, EIGML_DTYPE_F32))
    return NULL;
  if (x->n_dims < 1)
    {
      eigml_graph_set_error (g, EIGML_ERROR_SHAPE, "layer_norm: x must have at least one axis");
      return NULL;
    }
  if (!(eps > 0.0f))
    {
      eigml_graph_set_error (g, EIGML_ERROR_INVALID_ARGUMENT,
                             "layer_norm: eps must be positive, got %g", eps);
      return NULL;
    }
  if (!check_affine (g, x, gamma, "gamma") || !check_affine (g, x, beta, "beta"))
    return NULL;
  node = eigml_graph_new_node (g, EIGML_OP_LAYER_NORM, EIGML_DTYPE_F32, x->n_dims, x->shape);
  if (node == NULL)
    return NULL;
  eigml_node_add_src (node, x);
  node->ip[0] = 0;
  if (gamma)
    {
      eigml_node_add_src (node, gamma);
      node->ip[0] |= 1;
    }
  if (beta)
    {
      eigml_node_add_src (node, beta);
      node->ip[0] |= 2;
    }
  node->fp[0] = eps;
  return node;
}

EigmlNode *
eigml_op_l2_normalize (EigmlGraph *g,
                       EigmlNode *x,
                       float eps)
{
  EigmlNode *node;

  if (!eigml_ops_ready (g, x))
    return NULL;
  if (!eigml_ops_check_dtype (g, "l2_normalize", "x", x, EIGML_DTYPE_F32))
    return NULL;
  if (x->n_dims < 1 || !(eps > 0.0f))
    {
      eigml_graph_set_error (g, EIGML_ERROR_INVALID_ARGUMENT,
                             "l2_normalize: x needs an axis and eps must be positive");
      return NULL;
    }
  node = eigml_graph_new_node (g, EIGML_OP_L2_NORM, EIGML_DTYPE_F32, x->n_dims, x->shape);
  if (node == NULL)
    return NULL;
  eigml_node_add_src (node, x);
  node->fp[0] = eps;
  return node;
}

void
eigml_backward_norm (EigmlGraph *g,
                     EigmlNode *node,
                     EigmlNode *dy)
{
  EigmlNode *x = node->src[0];

  if (node->op == EIGML_OP_L2_NORM)
    {
      EigmlNode *dx = eigml_graph_new_node (g, EIGML_OP_L2_NORM_BACKWARD, EIGML_DTYPE_F32,
                                            x->n_dims, x->shape);
      if (dx == NULL)
        return;
      eigml_node_add_src (dx, x);
      eigml_node_add_src (dx, dy);
      dx->fp[0] = node->fp[0];
      eigml_graph_accumulate_grad (g, x, dx);
      return;
    }

  {
    gboolean has_gamma = node->ip[0] & 1, has_beta = node->ip[0] & 2;
    EigmlNode *gamma = has_gamma ? node->src[1] : NULL;
    EigmlNode *beta = has_beta ? node->src[has_gamma ? 2 : 1] : NULL;
    float eps = node->fp[0];

    if (x->flags & EIGML_NODE_NEEDS_GRAD)
      {
        EigmlNode *dx = eigml_graph_new_node (g, EIGML_OP_LAYER_NORM_BACKWARD, EIGML_DTYPE_F32,
                                              x->n_dims, x->shape);
        if (dx == NULL)
          return;
        eigml_node_add_src (dx, x);
        eigml_node_add_src (dx, dy);
        if (gamma)
          eigml_node_add_src (dx, gamma);
        dx->ip[0] = gamma ? 1 : 0;
        dx->fp[0] = eps;
        eigml_graph_accumulate_grad (g, x, dx);
      }
    if (gamma && (gamma->flags & EIGML_NODE_NEEDS_GRAD))
      {
        /* dgamma = sum over rows of dy * xhat; xhat is recomputed (cheap, row-wise). */
        EigmlNode *xhat = eigml_op_layer_norm (g, x, NULL, NULL, eps);
        eigml_graph_accumulate_grad (g, gamma,
                                     eigml_op_sum_to_shape (g, eigml_op_mul (g, dy, xhat), 1,
                                                            gamma->shape));
      }
    if (beta && (beta->flags & EIGML_NODE_NEEDS_GRAD))
      eigml_graph_accumulate_grad (g, beta, eigml_op_sum_to_shape (g, dy, 1, beta->shape));
  }
}
