/* ops-elementwise.c: binary ops with broadcasting, scale, unary activations,
 * fill, accumulate
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Broadcasting follows NumPy: shapes are aligned on the right and an axis
 * of size 1 stretches to the other operand's size. The gradient of a
 * stretched operand is summed back to its shape (eigml_op_sum_to_shape).
 */
#include "config.h"

#include "ops-private.h"

EigmlNode *
eigml_op_binary (EigmlGraph *g,
                 EigmlBinaryKind kind,
                 EigmlNode *a,
                 EigmlNode *b)
{
  static const char *names[] = { "add", "sub", "mul", "div" };
  gint64 shape[EIGML_MAX_DIMS];
  guint n_dims;
  EigmlNode *node;

  if (!eigml_ops_ready (g, a) || !eigml_ops_ready (g, b))
    return NULL;
  if ((guint) kind >= G_N_ELEMENTS (names))
    {
      eigml_graph_set_error (g, EIGML_ERROR_INVALID_ARGUMENT, "binary: unknown operation %d", kind);
      return NULL;
    }
  if (!eigml_ops_check_dtype (g, names[kind], "a", a, EIGML_DTYPE_F32) ||
      !eigml_ops_check_dtype (g, names[kind], "b", b, EIGML_DTYPE_F32))
    return NULL;
  if (!eigml_ops_broadcast_shape (g, names[kind], a, b, &n_dims, shape))
    return NULL;
  node = eigml_graph_new_node (g, EIGML_OP_BINARY, EIGML_DTYPE_F32, n_dims, shape);
  if (node == NULL)
    return NULL;
  eigml_node_add_src (node, a);
  eigml_node_add_src (node, b);
  node->ip[0] = kind;
  return node;
}

EigmlNode *
eigml_op_add (EigmlGraph *g, EigmlNode *a, EigmlNode *b)
{
  return eigml_op_binary (g, EIGML_BINARY_ADD, a, b);
}

EigmlNode *
eigml_op_sub (EigmlGraph *g, EigmlNode *a, EigmlNode *b)
{
  return eigml_op_binary (g, EIGML_BINARY_SUB, a, b);
}

EigmlNode *
eigml_op_mul (EigmlGraph *g, EigmlNode *a, EigmlNode *b)
{
  return eigml_op_binary (g, EIGML_BINARY_MUL, a, b);
}

EigmlNode *
eigml_op_div (EigmlGraph *g, EigmlNode *a, EigmlNode *b)
{
  return eigml_op_binary (g, EIGML_BINARY_DIV, a, b);
}

/* x [..., N] + bias [N]: an add whose shape rule is stricter than
 * broadcasting, so that a wrong bias is caught where it is made. */
EigmlNode *
eigml_op_bias_add (EigmlGraph *g,
                   EigmlNode *x,
                   EigmlNode *bias)
{
  if (!eigml_ops_ready (g, x) || !eigml_ops_ready (g, bias))
    return NULL;
  if (bias->n_dims != 1 || x->n_dims < 1 || bias->shape[0] != x->shape[x->n_dims - 1])
    {
      g_autofree char *sx = eigml_node_describe (x);
      g_autofree char *sb = eigml_node_describe (bias);
      eigml_graph_set_error (g, EIGML_ERROR_SHAPE,
                             "bias_add: bias %s must be 1-d with the size of the last axis of %s",
                             sb, sx);
      return NULL;
    }
  return eigml_op_binary (g, EIGML_BINARY_ADD, x, bias);
}

EigmlNode *
eigml_op_scale (EigmlGraph *g,
                EigmlNode *x,
                float scale,
                float shift)
{
  EigmlNode *node;

  if (!eigml_ops_ready (g, x))
    return NULL;
  if (!eigml_ops_check_dtype (g, "scale", "x", x, EIGML_DTYPE_F32))
    return NULL;
  node = eigml_graph_new_node (g, EIGML_OP_SCALE, EIGML_DTYPE_F32, x->n_dims, x->shape);
  if (node == NULL)
    return NULL;
  eigml_node_add_src (node, x);
  node->fp[0] = scale;
  node->fp[1] = shift;
  return node;
}

EigmlNode *
eigml_op_fill (EigmlGraph *g,
               guint n_dims,
               const gint64 *shape,
               float value)
{
  EigmlNode *node;

  if (eigml_graph_failed (g))
    return NULL;
  node = eigml_graph_new_node (g, EIGML_OP_FILL, EIGML_DTYPE_F32, n_dims, shape);
  if (node != NULL)
    node->fp[0] = value;
  return node;
}

EigmlNode *
eigml_op_unary (EigmlGraph *g,
                EigmlUnaryKind kind,
                EigmlNode *x)
{
  static const char *names[] = { "gelu", "tanh", "sigmoid", "relu", "exp", "log", "square",
                                 "sqrt" };
  EigmlNode *node;

  if (!eigml_ops_ready (g, x))
    return NULL;
  if ((guint) kind >= G_N_ELEMENTS (names))
    {
      eigml_graph_set_error (g, EIGML_ERROR_INVALID_ARGUMENT, "unary: unknown function %d", kind);
      return NULL;
    }
  if (!eigml_ops_check_dtype (g, names[kind], "x", x, EIGML_DTYPE_F32))
    return NULL;
  node = eigml_graph_new_node (g, EIGML_OP_UNARY, EIGML_DTYPE_F32, x->n_dims, x->shape);
  if (node == NULL)
    return NULL;
  eigml_node_add_src (node, x);
  node->ip[0] = kind;
  return node;
}

EigmlNode *
eigml_op_gelu (EigmlGraph *g, EigmlNode *x)
{
  return eigml_op_unary (g, EIGML_UNARY_GELU, x);
}

EigmlNode *
eigml_op_tanh (EigmlGraph *g, EigmlNode *x)
{
  return eigml_op_unary (g, EIGML_UNARY_TANH, x);
}

EigmlNode *
eigml_op_sigmoid (EigmlGraph *g, EigmlNode *x)
{
  return eigml_op_unary (g, EIGML_UNARY_SIGMOID, x);
}

EigmlNode *
eigml_op_relu (EigmlGraph *g, EigmlNode *x)
{
  return eigml_op_unary (g, EIGML_UNARY_RELU, x);
}

EigmlNode *
eigml_op_acc (EigmlGraph *g,
              EigmlNode *dst,
              EigmlNode *value)
{
  EigmlNode *node;

  if (!eigml_ops_ready (g, dst) || !eigml_ops_ready (g, value))
    return NULL;
  if (!eigml_node_same_shape (dst, value))
    {
      g_autofree char *sd = eigml_node_describe (dst);
      g_autofree char *sv = eigml_node_describe (value);
      eigml_graph_set_error (g, EIGML_ERROR_SHAPE, "acc: %s and %s differ in shape", sd, sv);
      return NULL;
    }
  node = eigml_graph_new_node (g, EIGML_OP_ACC, EIGML_DTYPE_F32, dst->n_dims, dst->shape);
  if (node == NULL)
    return NULL;
  node->flags |= EIGML_NODE_WRITES_SRC;
  eigml_node_add_src (node, dst);
  eigml_node_add_src (node, value);
  return node;
}

/* The unary backward kernels read x for some functions and y for others,
 * whichever gives the derivative most cheaply and accurately. */
static gboolean
unary_backward_uses_output (EigmlUnaryKind kind)
{
  switch (kind)
    {
    case EIGML_UNARY_TANH:
    case EIGML_UNARY_SIGMOID:
    case EIGML_UNARY_EXP:
    case EIGML_UNARY_SQRT:
      return TRUE;
    default:
      return FALSE;
    }
}

static EigmlNode *
unary_backward (EigmlGraph *g,
                EigmlNode *node,
                EigmlNode *dy)
{
  EigmlUnaryKind kind = node->ip[0];
  EigmlNode *ref = unary_backward_uses_output (kind) ? node : node->src[0];
  EigmlNode *dx = eigml_graph_new_node (g, EIGML_OP_UNARY_BACKWARD, EIGML_DTYPE_F32,
                                        node->n_dims, node->shape);

  if (dx == NULL)
    return NULL;
  eigml_node_add_src (dx, ref);
  eigml_node_add_src (dx, dy);
  dx->ip[0] = kind;
  return dx;
}

void
eigml_backward_elementwise (EigmlGraph *g,
                            EigmlNode *node,
                            EigmlNode *dy)
{
  EigmlNode *a = node->src[0];
  EigmlNode *b = node->n_src > 1 ? node->src[1] : NULL;

  switch (node->op)
    {
    case EIGML_OP_SCALE:
      eigml_graph_accumulate_grad (g, a, eigml_op_scale (g, dy, node->fp[0], 0.0f));
      return;

    case EIGML_OP_UNARY:
      eigml_graph_accumulate_grad (g, a, unary_backward (g, node, dy));
      return;

    case EIGML_OP_BINARY:
      break;

    default:
      g_assert_not_reached ();
    }

  switch ((EigmlBinaryKind) node->ip[0])
    {
    case EIGML_BINARY_ADD:
      if (a->flags & EIGML_NODE_NEEDS_GRAD)
        eigml_graph_accumulate_grad (g, a, eigml_op_sum_to_shape (g, dy, a->n_dims, a->shape));
      if (b->flags & EIGML_NODE_NEEDS_GRAD)
        eigml_graph_accumulate_grad (g, b, eigml_op_sum_to_shape (g, dy, b->n_dims, b->shape));
      break;

    case EIGML_BINARY_SUB:
      if (a->flags & EIGML_NODE_NEEDS_GRAD)
        eigml_graph_accumulate_grad (g, a, eigml_op_sum_to_shape (g, dy, a->n_dims, a->shape));
      if (b->flags & EIGML_NODE_NEEDS_GRAD)
        {
          EigmlNode *db = eigml_op_sum_to_shape (g, dy, b->n_dims, b->shape);
          eigml_graph_accumulate_grad (g, b, eigml_op_scale (g, db, -1.0f, 0.0f));
        }
      break;

    case EIGML_BINARY_MUL:
      if (a->flags & EIGML_NODE_NEEDS_GRAD)
        eigml_graph_accumulate_grad (g, a,
                                     eigml_op_sum_to_shape (g, eigml_op_mul (g, dy, b),
                                                            a->n_dims, a->shape));
      if (b->flags & EIGML_NODE_NEEDS_GRAD)
        eigml_graph_accumulate_grad (g, b,
                                     eigml_op_sum_to_shape (g, eigml_op_mul (g, dy, a),
                                                            b->n_dims, b->shape));
      break;

    case EIGML_BINARY_DIV:
      if (a->flags & EIGML_NODE_NEEDS_GRAD)
        eigml_graph_accumulate_grad (g, a,
                                     eigml_op_sum_to_shape (g, eigml_op_div (g, dy, b),
                                                            a->n_dims, a->shape));
      if (b->flags & EIGML_NODE_NEEDS_GRAD)
        {
          /* d(a/b)/db = -(a/b)/b = -y/b */
          EigmlNode *t = eigml_op_div (g, eigml_op_mul (g, dy, node), b);
          t = eigml_op_sum_to_shape (g, t, b->n_dims, b->shape);
          eigml_graph_accumulate_grad (g, b, eigml_op_scale (g, t, -1.0f, 0.0f));
        }
      break;
    }
}
