/* graph.c: graph construction, leaves, errors, autodiff driver, execution
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "graph.h"
#include "params.h"
#include "eigml-context-private.h"
#include "eigml-error.h"
#include "eigml-tensor-private.h"

#include <math.h>
#include <string.h>

/* ---- life cycle ---------------------------------------------------------- */

static void
node_free (gpointer data)
{
  EigmlNode *node = data;

  g_free (node->name);
  g_free ((gpointer) node->const_data);
  g_free (node);
}

EigmlGraph *
eigml_graph_new (EigmlContext *context)
{
  EigmlGraph *g;

  g_return_val_if_fail (EIGML_IS_CONTEXT (context), NULL);

  g = g_new0 (EigmlGraph, 1);
  g->ref_count = 1;
  g->context = g_object_ref (context);
  g->backend = eigml_context_get_backend_impl (context);
  g->nodes = g_ptr_array_new_with_free_func (node_free);
  g->inputs = g_ptr_array_new ();
  g->constants = g_ptr_array_new ();
  g->params = g_ptr_array_new_with_free_func ((GDestroyNotify) eigml_param_store_unref);
  return g;
}

EigmlGraph *
eigml_graph_ref (EigmlGraph *graph)
{
  g_return_val_if_fail (graph != NULL, NULL);
  g_atomic_int_inc (&graph->ref_count);
  return graph;
}

void
eigml_graph_unref (EigmlGraph *graph)
{
  if (graph == NULL || !g_atomic_int_dec_and_test (&graph->ref_count))
    return;
  if (graph->backend_data != NULL && graph->backend->vtable->graph_release != NULL)
    graph->backend->vtable->graph_release (graph->backend, graph);
  g_clear_pointer (&graph->arena, eigml_buffer_free);
  g_ptr_array_unref (graph->inputs);
  g_ptr_array_unref (graph->constants);
  g_ptr_array_unref (graph->nodes);
  g_ptr_array_unref (graph->params);
  g_clear_error (&graph->error);
  g_object_unref (graph->context);
  g_free (graph);
}

/* ---- errors -------------------------------------------------------------- */

void
eigml_graph_set_error (EigmlGraph *graph,
                       EigmlError code,
                       const char *format,
                       ...)
{
  va_list args;

  if (graph->error != NULL)
    return;
  va_start (args, format);
  graph->error = g_error_new_valist (EIGML_ERROR, code, format, args);
  va_end (args);
}

gboolean
eigml_graph_failed (EigmlGraph *graph)
{
  return graph->error != NULL;
}

const GError *
eigml_graph_get_error (EigmlGraph *graph)
{
  return graph->error;
}

gboolean
eigml_graph_propagate_error (EigmlGraph *graph,
                             GError **error)
{
  if (graph->error == NULL)
    return FALSE;
  if (error != NULL)
    *error = g_error_copy (graph->error);
  return TRUE;
}

/* ---- nodes --------------------------------------------------------------- */

gsize
eigml_node_nbytes (const EigmlNode *node)
{
  return (gsize) node->n_elements * eigml_dtype_get_size (node->dtype);
}

void
eigml_node_shape4 (const EigmlNode *node,
                   gint64 shape4[EIGML_MAX_DIMS])
{
  guint pad = EIGML_MAX_DIMS - node->n_dims;

  for (guint i = 0; i < EIGML_MAX_DIMS; i++)
    shape4[i] = i < pad ? 1 : node->shape[i - pad];
}

gboolean
eigml_node_same_shape (const EigmlNode *a,
                       const EigmlNode *b)
{
  if (a->n_dims != b->n_dims)
    return FALSE;
  for (guint i = 0; i < a->n_dims; i++)
    if (a->shape[i] != b->shape[i])
      return FALSE;
  return TRUE;
}

static const char *
node_kind_name (const EigmlNode *node)
{
  static const char *leaf_names[] = {
    [EIGML_LEAF_INPUT] = "input", [EIGML_LEAF_CONSTANT] = "constant",
    [EIGML_LEAF_PARAM] = "parameter", [EIGML_LEAF_PARAM_GRAD] = "gradient",
    [EIGML_LEAF_PARAM_M] = "moment", [EIGML_LEAF_PARAM_V] = "moment",
    [EIGML_LEAF_GRAD_ALL] = "gradients",
  };

  if (node->op == EIGML_OP_LEAF && (guint) node->leaf < G_N_ELEMENTS (leaf_names) &&
      leaf_names[node->leaf] != NULL)
    return leaf_names[node->leaf];
  return eigml_op_get_name (node->op);
}

char *
eigml_node_describe (const EigmlNode *node)
{
  g_autofree char *shape = eigml_shape_to_string (node->shape, node->n_dims);

  if (node->name != NULL)
    return g_strdup_printf ("'%s' (%s %s%s)", node->name, node_kind_name (node),
                            eigml_dtype_get_name (node->dtype), shape);
  return g_strdup_printf ("#%u (%s %s%s)", node->id, node_kind_name (node),
                          eigml_dtype_get_name (node->dtype), shape);
}

EigmlNode *
eigml_graph_new_node (EigmlGraph *graph,
                      EigmlOp op,
                      EigmlDType dtype,
                      guint n_dims,
                      const gint64 *shape)
{
  EigmlNode *node;
  gint64 n;
  g_autoptr (GError) error = NULL;

  if (graph->prepared)
    {
      eigml_graph_set_error (graph, EIGML_ERROR_INVALID_ARGUMENT,
                             "cannot add a %s node: the graph is already prepared",
                             eigml_op_get_name (op));
      return NULL;
    }
  if (!eigml_shape_validate (shape, n_dims, &n, &error))
    {
      eigml_graph_set_error (graph, EIGML_ERROR_SHAPE, "%s: %s", eigml_op_get_name (op),
                             error->message);
      return NULL;
    }
  node = g_new0 (EigmlNode, 1);
  node->id = graph->nodes->len;
  node->op = op;
  node->dtype = dtype;
  node->n_dims = n_dims;
  for (guint i = 0; i < n_dims; i++)
    node->shape[i] = shape[i];
  node->n_elements = n;
  g_ptr_array_add (graph->nodes, node);

  /* The backend must be able to run every node: no silent fallback. */
  if (op != EIGML_OP_LEAF && op != EIGML_OP_VIEW &&
      graph->backend->vtable->supports_node != NULL)
    {
      g_autoptr (GError) local = NULL;
      /* Sources are added after creation; the check runs again at prepare. */
      if (!graph->backend->vtable->supports_node (graph->backend, node, &local))
        eigml_graph_set_error (graph, EIGML_ERROR_UNSUPPORTED, "%s", local->message);
    }
  return node;
}

void
eigml_node_add_src (EigmlNode *node,
                    EigmlNode *src)
{
  g_assert (node->n_src < EIGML_MAX_SRC);
  node->src[node->n_src++] = src;
}

/* ---- leaves -------------------------------------------------------------- */

EigmlNode *
eigml_graph_input (EigmlGraph *graph,
                   const char *name,
                   EigmlDType dtype,
                   guint n_dims,
                   const gint64 *shape)
{
  EigmlNode *node;
  g_autoptr (GError) shape_error = NULL;

  if (!eigml_shape_validate (shape, n_dims, NULL, &shape_error))
    {
      eigml_graph_set_error (graph, EIGML_ERROR_SHAPE, "input '%s': %s", name ? name : "?",
                             shape_error->message);
      return NULL;
    }
  if (dtype == EIGML_DTYPE_F16)
    {
      eigml_graph_set_error (graph, EIGML_ERROR_DTYPE,
                             "input '%s': f16 inputs are not supported yet (use f32)",
                             name ? name : "?");
      return NULL;
    }
  node = eigml_graph_new_node (graph, EIGML_OP_LEAF, dtype, n_dims, shape);
  if (node == NULL)
    return NULL;
  node->leaf = EIGML_LEAF_INPUT;
  node->name = g_strdup (name);
  g_ptr_array_add (graph->inputs, node);
  return node;
}

EigmlNode *
eigml_graph_constant (EigmlGraph *graph,
                      const char *name,
                      guint n_dims,
                      const gint64 *shape,
                      const float *data)
{
  EigmlNode *node = eigml_graph_new_node (graph, EIGML_OP_LEAF, EIGML_DTYPE_F32, n_dims, shape);

  if (node == NULL)
    return NULL;
  node->leaf = EIGML_LEAF_CONSTANT;
  node->name = g_strdup (name);
  node->const_data = g_memdup2 (data, eigml_node_nbytes (node));
  g_ptr_array_add (graph->constants, node);
  return node;
}

EigmlNode *
eigml_graph_param_leaf (EigmlGraph *graph,
            EigmlParam *param,
            EigmlLeafKind kind)
{
  EigmlNode *node;
  const char *suffix[] = { [EIGML_LEAF_PARAM] = "", [EIGML_LEAF_PARAM_GRAD] = ".grad",
                           [EIGML_LEAF_PARAM_M] = ".adam_m", [EIGML_LEAF_PARAM_V] = ".adam_v" };

  for (guint i = 0; i < graph->nodes->len; i++)
    {
      node = g_ptr_array_index (graph->nodes, i);
      if (node->op == EIGML_OP_LEAF && node->leaf == kind && node->param == param)
        return node;
    }
  node = eigml_graph_new_node (graph, EIGML_OP_LEAF, EIGML_DTYPE_F32, param->n_dims, param->shape);
  if (node == NULL)
    return NULL;
  node->leaf = kind;
  node->param = param;
  node->name = g_strconcat (param->name, suffix[kind], NULL);
  if (kind == EIGML_LEAF_PARAM && param->trainable)
    node->flags |= EIGML_NODE_NEEDS_GRAD;
  if (!g_ptr_array_find (graph->params, param->store, NULL))
    g_ptr_array_add (graph->params, eigml_param_store_ref (param->store));
  return node;
}

EigmlNode *
eigml_graph_param (EigmlGraph *graph,
                   EigmlParam *param)
{
  if (param == NULL)
    {
      eigml_graph_set_error (graph, EIGML_ERROR_INVALID_ARGUMENT, "parameter is NULL");
      return NULL;
    }
  if (eigml_param_store_get_context (param->store) != graph->context)
    {
      eigml_graph_set_error (graph, EIGML_ERROR_INVALID_ARGUMENT,
                             "parameter '%s' belongs to another context", param->name);
      return NULL;
    }
  return eigml_graph_param_leaf (graph, param, EIGML_LEAF_PARAM);
}

void
eigml_node_set_requires_grad (EigmlNode *node,
                              gboolean requires_grad)
{
  if (node == NULL)
    return;
  if (requires_grad)
    node->flags |= EIGML_NODE_NEEDS_GRAD;
  else
    node->flags &= ~EIGML_NODE_NEEDS_GRAD;
}

void
eigml_graph_mark_output (EigmlGraph *graph,
                         EigmlNode *node)
{
  if (node == NULL)
    return;
  if (graph->prepared)
    {
      eigml_graph_set_error (graph, EIGML_ERROR_INVALID_ARGUMENT,
                             "cannot mark an output after the graph is prepared");
      return;
    }
  node->flags |= EIGML_NODE_OUTPUT;
}

EigmlNode *
eigml_graph_find (EigmlGraph *graph,
                  const char *name)
{
  for (guint i = 0; i < graph->nodes->len; i++)
    {
      EigmlNode *node = g_ptr_array_index (graph->nodes, i);
      if (node->name != NULL && g_str_equal (node->name, name))
        return node;
    }
  return NULL;
}

/* ---- autodiff ------------------------------------------------------------ */

void
eigml_graph_accumulate_grad (EigmlGraph *g,
                             EigmlNode *node,
                             EigmlNode *contribution)
{
  if (contribution == NULL || eigml_graph_failed (g))
    return;
  if (!(node->flags & EIGML_NODE_NEEDS_GRAD))
    return;
  if (!eigml_node_same_shape (node, contribution))
    {
      g_autofree char *a = eigml_node_describe (node);
      g_autofree char *b = eigml_node_describe (contribution);
      eigml_graph_set_error (g, EIGML_ERROR_SHAPE,
                             "internal: gradient %s does not match the shape of %s", b, a);
      return;
    }
  if (node->grad == NULL)
    node->grad = contribution;
  else
    node->grad = eigml_op_add (g, node->grad, contribution);
}

gboolean
eigml_graph_backward (EigmlGraph *graph,
                      EigmlNode *loss,
                      GError **error)
{
  guint n_forward;

  if (eigml_graph_propagate_error (graph, error))
    return FALSE;
  if (loss == NULL)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT, "backward: loss is NULL");
      return FALSE;
    }
  if (loss->n_elements != 1 || loss->dtype != EIGML_DTYPE_F32)
    {
      g_autofree char *desc = eigml_node_describe (loss);
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE,
                   "backward: the loss must be a single f32 value, got %s", desc);
      return FALSE;
    }
  if (graph->has_backward)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "backward: the graph already has a backward pass");
      return FALSE;
    }

  /* Which nodes does a gradient flow to? A node needs one when a source does. */
  n_forward = graph->nodes->len;
  for (guint i = 0; i < n_forward; i++)
    {
      EigmlNode *node = g_ptr_array_index (graph->nodes, i);
      if (node->op == EIGML_OP_LEAF || (node->flags & EIGML_NODE_NO_GRAD))
        continue;
      for (guint s = 0; s < node->n_src; s++)
        if (node->src[s]->flags & EIGML_NODE_NEEDS_GRAD)
          node->flags |= EIGML_NODE_NEEDS_GRAD;
    }
  if (!(loss->flags & EIGML_NODE_NEEDS_GRAD))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "backward: the loss does not depend on any trainable parameter or input "
                   "that requires a gradient");
      return FALSE;
    }

  graph->loss = loss;
  loss->flags |= EIGML_NODE_OUTPUT;
  loss->grad = eigml_op_fill (graph, loss->n_dims, loss->shape, 1.0f);

  for (guint i = n_forward; i-- > 0;)
    {
      EigmlNode *node = g_ptr_array_index (graph->nodes, i);
      EigmlBackwardFunc backward;

      if (node->grad == NULL)
        continue;
      /* Every consumer of a leaf comes after it, so its gradient is complete
       * here: a parameter's is added to the store now, not after the whole
       * backward pass, so that the data-parallel trainer can all-reduce it
       * while the rest of backward runs (eigml_graph_set_node_hook) and the
       * planner frees it sooner. The same additions, so the same values. */
      if (node->op == EIGML_OP_LEAF)
        {
          if (node->leaf == EIGML_LEAF_PARAM)
            eigml_op_acc (graph, eigml_graph_param_leaf (graph, node->param,
                                                         EIGML_LEAF_PARAM_GRAD),
                          node->grad);
          else
            node->grad->flags |= EIGML_NODE_OUTPUT;
          continue;
        }
      backward = eigml_op_get_backward (node->op);
      if (backward == NULL)
        {
          g_autofree char *desc = eigml_node_describe (node);
          eigml_graph_set_error (graph, EIGML_ERROR_UNSUPPORTED,
                                 "backward: %s has no gradient rule", desc);
          break;
        }
      backward (graph, node, node->grad);
      if (eigml_graph_failed (graph))
        break;
    }

  graph->has_backward = TRUE;
  return !eigml_graph_propagate_error (graph, error);
}

EigmlNode *
eigml_graph_get_grad (EigmlGraph *graph,
                      EigmlNode *node)
{
  if (node == NULL)
    return NULL;
  if (node->op == EIGML_OP_LEAF && node->leaf == EIGML_LEAF_PARAM)
    return eigml_graph_param_leaf (graph, node->param, EIGML_LEAF_PARAM_GRAD);
  return node->grad;
}

