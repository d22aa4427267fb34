/* graph-exec.c: preparing, feeding, computing and reading a graph
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

/* ---- execution ----------------------------------------------------------- */

gboolean
eigml_graph_prepare (EigmlGraph *graph,
                     GError **error)
{
  EigmlBackend *backend = graph->backend;

  if (graph->prepared)
    return TRUE;
  if (eigml_graph_propagate_error (graph, error))
    return FALSE;

  for (guint i = 0; i < graph->params->len; i++)
    if (!eigml_param_store_allocate (g_ptr_array_index (graph->params, i), error))
      return FALSE;

  /* Check again, now that sources are attached. */
  for (guint i = 0; i < graph->nodes->len; i++)
    {
      EigmlNode *node = g_ptr_array_index (graph->nodes, i);
      if (node->op == EIGML_OP_LEAF || node->op == EIGML_OP_VIEW)
        continue;
      if (backend->vtable->supports_node != NULL &&
          !backend->vtable->supports_node (backend, node, error))
        return FALSE;
    }

  if (!eigml_graph_plan_memory (graph, error))
    return FALSE;

  for (guint i = 0; i < graph->constants->len; i++)
    {
      EigmlNode *node = g_ptr_array_index (graph->constants, i);
      if (!eigml_buffer_write (node->buffer, node->offset, node->const_data,
                               eigml_node_nbytes (node), error))
        return FALSE;
    }
  if (graph->rng != NULL)
    {
      guint32 zero[4] = { 0, 0, 0, 0 };
      if (!eigml_buffer_write (graph->rng->buffer, graph->rng->offset, zero, sizeof zero, error))
        return FALSE;
    }

  if (!backend->vtable->graph_prepare (backend, graph, error))
    return FALSE;
  graph->prepared = TRUE;
  return TRUE;
}

void
eigml_graph_set_check_finite (EigmlGraph *graph,
                              gboolean check)
{
  graph->check_finite = check;
}

static gboolean
check_input_node (EigmlGraph *graph,
                  EigmlNode *node,
                  GError **error)
{
  if (node == NULL || node->op != EIGML_OP_LEAF || node->leaf != EIGML_LEAF_INPUT ||
      !g_ptr_array_find (graph->inputs, node, NULL))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "set_input: the node is not an input of this graph");
      return FALSE;
    }
  return eigml_graph_prepare (graph, error);
}

gboolean
eigml_graph_set_input (EigmlGraph *graph,
                       EigmlNode *node,
                       const void *data,
                       gsize n_bytes,
                       GError **error)
{
  if (!check_input_node (graph, node, error))
    return FALSE;
  if (n_bytes != eigml_node_nbytes (node))
    {
      g_autofree char *desc = eigml_node_describe (node);
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE,
                   "input %s takes %" G_GSIZE_FORMAT " bytes, got %" G_GSIZE_FORMAT,
                   desc, eigml_node_nbytes (node), n_bytes);
      return FALSE;
    }
  if (node->dtype == EIGML_DTYPE_I32 && (node->flags & EIGML_NODE_CHECK_IDS))
    {
      const gint32 *ids = data;
      for (gint64 i = 0; i < node->n_elements; i++)
        if (ids[i] >= node->id_limit || (ids[i] < 0 && (node->flags & EIGML_NODE_IDS_NONNEG)))
          {
            g_autofree char *desc = eigml_node_describe (node);
            g_set_error (error, EIGML_ERROR, EIGML_ERROR_OUT_OF_RANGE,
                         "input %s: value %d at index %" G_GINT64_FORMAT
                         " is outside the valid range [%s, %d)",
                         desc, ids[i], i,
                         (node->flags & EIGML_NODE_IDS_NONNEG) ? "0" : "-inf (negative: ignored)",
                         node->id_limit);
            return FALSE;
          }
    }
  if (node->dtype == EIGML_DTYPE_F32 && graph->check_finite)
    {
      const float *x = data;
      for (gint64 i = 0; i < node->n_elements; i++)
        if (!isfinite (x[i]))
          {
            g_autofree char *desc = eigml_node_describe (node);
            g_set_error (error, EIGML_ERROR, EIGML_ERROR_NON_FINITE,
                         "input %s: element %" G_GINT64_FORMAT " is %s", desc, i,
                         isnan (x[i]) ? "NaN" : "infinite");
            return FALSE;
          }
    }
  if (!eigml_buffer_write (node->buffer, node->offset, data, n_bytes, error))
    return FALSE;
  node->flags |= EIGML_NODE_INPUT_SET;
  return TRUE;
}

/* Typed inputs: the dtype and the element count are checked before bytes. */
static gboolean
set_typed_input (EigmlGraph *graph,
                 EigmlNode *node,
                 EigmlDType dtype,
                 const void *data,
                 gsize n,
                 GError **error)
{
  if (node != NULL && node->dtype != dtype)
    {
      g_autofree char *desc = eigml_node_describe (node);
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_DTYPE, "input %s: got %s values", desc,
                   eigml_dtype_get_name (dtype));
      return FALSE;
    }
  if (node != NULL && (gint64) n != node->n_elements)
    {
      g_autofree char *desc = eigml_node_describe (node);
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE,
                   "input %s takes %" G_GINT64_FORMAT " values, got %" G_GSIZE_FORMAT,
                   desc, node->n_elements, n);
      return FALSE;
    }
  return eigml_graph_set_input (graph, node, data, n * eigml_dtype_get_size (dtype), error);
}

gboolean
eigml_graph_set_input_floats (EigmlGraph *graph,
                              EigmlNode *node,
                              const float *data,
                              gsize n,
                              GError **error)
{
  return set_typed_input (graph, node, EIGML_DTYPE_F32, data, n, error);
}

gboolean
eigml_graph_set_input_ints (EigmlGraph *graph,
                            EigmlNode *node,
                            const gint32 *data,
                            gsize n,
                            GError **error)
{
  return set_typed_input (graph, node, EIGML_DTYPE_I32, data, n, error);
}

gboolean
eigml_graph_set_input_tensor (EigmlGraph *graph,
                              EigmlNode *node,
                              EigmlTensor *tensor,
                              GError **error)
{
  guint n_dims;
  const gint64 *shape;

  g_return_val_if_fail (EIGML_IS_TENSOR (tensor), FALSE);
  if (!check_input_node (graph, node, error))
    return FALSE;
  shape = eigml_tensor_get_shape (tensor, &n_dims);
  if (eigml_tensor_get_dtype (tensor) != node->dtype)
    {
      g_autofree char *desc = eigml_node_describe (node);
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_DTYPE, "input %s: got a %s tensor", desc,
                   eigml_dtype_get_name (eigml_tensor_get_dtype (tensor)));
      return FALSE;
    }
  if (n_dims != node->n_dims || memcmp (shape, node->shape, n_dims * sizeof (gint64)) != 0)
    {
      g_autofree char *desc = eigml_node_describe (node);
      g_autofree char *got = eigml_shape_to_string (shape, n_dims);
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE, "input %s: got a tensor of shape %s",
                   desc, got);
      return FALSE;
    }
  return eigml_graph_set_input (graph, node, eigml_tensor_peek_data (tensor),
                                eigml_tensor_get_n_bytes (tensor), error);
}

gboolean
eigml_graph_set_rng (EigmlGraph *graph,
                     guint64 seed,
                     guint64 offset,
                     GError **error)
{
  guint32 state[4] = { (guint32) seed, (guint32) (seed >> 32), (guint32) offset,
                       (guint32) (offset >> 32) };

  if (graph->rng == NULL)
    return TRUE; /* no random op in this graph */
  if (!eigml_graph_prepare (graph, error))
    return FALSE;
  return eigml_buffer_write (graph->rng->buffer, graph->rng->offset, state, sizeof state, error);
}

gboolean
eigml_graph_set_node_hook (EigmlGraph *graph,
                           EigmlGraphNodeHook hook,
                           gpointer user_data)
{
  graph->node_hook = hook;
  graph->node_hook_data = user_data;
  return graph->backend->kind == EIGML_BACKEND_CPU;
}

gboolean
eigml_graph_compute (EigmlGraph *graph,
                     GError **error)
{
  if (!eigml_graph_prepare (graph, error))
    return FALSE;
  for (guint i = 0; i < graph->inputs->len; i++)
    {
      EigmlNode *node = g_ptr_array_index (graph->inputs, i);
      if (!(node->flags & (EIGML_NODE_INPUT_SET | EIGML_NODE_RNG)))
        {
          g_autofree char *desc = eigml_node_describe (node);
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                       "compute: input %s was never set", desc);
          return FALSE;
        }
    }
  if (!graph->backend->vtable->graph_compute (graph->backend, graph, error))
    return FALSE;
  graph->run_count++;
  return TRUE;
}

static gboolean
check_readable (EigmlGraph *graph,
                EigmlNode *node,
                GError **error)
{
  if (node == NULL)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT, "read: node is NULL");
      return FALSE;
    }
  if (!graph->prepared || node->buffer == NULL)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "read: the graph has not been prepared and computed");
      return FALSE;
    }
  if (node->op != EIGML_OP_LEAF && !(node->flags & EIGML_NODE_OUTPUT) &&
      !(node->flags & EIGML_NODE_WRITES_SRC))
    {
      g_autofree char *desc = eigml_node_describe (node);
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "read: %s is not an output; mark it with eigml_graph_mark_output() "
                   "before preparing, or its memory is reused", desc);
      return FALSE;
    }
  return TRUE;
}

gboolean
eigml_graph_read (EigmlGraph *graph,
                  EigmlNode *node,
                  void *data,
                  gsize n_bytes,
                  GError **error)
{
  if (!check_readable (graph, node, error))
    return FALSE;
  if (n_bytes != eigml_node_nbytes (node))
    {
      g_autofree char *desc = eigml_node_describe (node);
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE,
                   "read: %s holds %" G_GSIZE_FORMAT " bytes, asked for %" G_GSIZE_FORMAT,
                   desc, eigml_node_nbytes (node), n_bytes);
      return FALSE;
    }
  return eigml_buffer_read (node->buffer, node->offset, data, n_bytes, error);
}

float *
eigml_graph_dup_floats (EigmlGraph *graph,
                        EigmlNode *node,
                        GError **error)
{
  g_autofree float *out = NULL;

  if (!check_readable (graph, node, error))
    return NULL;
  if (node->dtype != EIGML_DTYPE_F32)
    {
      g_autofree char *desc = eigml_node_describe (node);
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_DTYPE, "read: %s is not f32", desc);
      return NULL;
    }
  out = g_new (float, MAX (1, node->n_elements));
  if (!eigml_graph_read (graph, node, out, eigml_node_nbytes (node), error))
    return NULL;
  return g_steal_pointer (&out);
}

EigmlTensor *
eigml_graph_dup_tensor (EigmlGraph *graph,
                        EigmlNode *node,
                        GError **error)
{
  g_autoptr (EigmlTensor) tensor = NULL;

  if (!check_readable (graph, node, error))
    return NULL;
  tensor = eigml_tensor_new (node->dtype, node->shape, node->n_dims, error);
  if (tensor == NULL)
    return NULL;
  if (!eigml_graph_read (graph, node, eigml_tensor_peek_data_mutable (tensor),
                         eigml_node_nbytes (node), error))
    return NULL;
  return g_steal_pointer (&tensor);
}

gboolean
eigml_graph_check_finite (EigmlGraph *graph,
                          EigmlNode *node,
                          GError **error)
{
  g_autofree float *x = eigml_graph_dup_floats (graph, node, error);

  if (x == NULL)
    return FALSE;
  for (gint64 i = 0; i < node->n_elements; i++)
    if (!isfinite (x[i]))
      {
        g_autofree char *desc = eigml_node_describe (node);
        g_set_error (error, EIGML_ERROR, EIGML_ERROR_NON_FINITE,
                     "%s: element %" G_GINT64_FORMAT " is %s", desc, i,
                     isnan (x[i]) ? "NaN" : "infinite");
        return FALSE;
      }
  return TRUE;
}

char *
eigml_graph_describe (EigmlGraph *graph)
{
  GString *s = g_string_new (NULL);

  g_string_append_printf (s, "graph: %u nodes, arena %" G_GSIZE_FORMAT " bytes (%"
                          G_GSIZE_FORMAT " without reuse)\n",
                          graph->nodes->len, graph->arena_size, graph->arena_peak_naive);
  for (guint i = 0; i < graph->nodes->len; i++)
    {
      EigmlNode *node = g_ptr_array_index (graph->nodes, i);
      g_autofree char *desc = eigml_node_describe (node);
      g_string_append_printf (s, "  %4u %s @%" G_GSIZE_FORMAT, i, desc, node->offset);
      for (guint k = 0; k < node->n_src; k++)
        g_string_append_printf (s, "%s#%u", k ? "," : " <- ", node->src[k] ? node->src[k]->id : 0);
      g_string_append_c (s, '\n');
    }
  return g_string_free (s, FALSE);
}
