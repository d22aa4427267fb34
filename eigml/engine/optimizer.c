/* optimizer.c: the AdamW step with global-norm gradient clipping
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * eigml_graph_add_adamw() appends to a graph: the sum of squares of every
 * gradient of a store (one reduction over its flat gradient buffer), the
 * clip factor min(1, max_norm / (norm + 1e-6)), and one ADAMW node per
 * trainable parameter that updates value, m and v in place and zeroes the
 * gradient for the next accumulation. Per-step scalars (learning rate, bias
 * corrections) are an input of the graph, so a step never re-records.
 */
#include "config.h"

#include "graph.h"
#include "params.h"
#include "eigml-context-private.h"
#include "eigml-error.h"
#include "eigml-tensor-private.h"

#include <math.h>
#include <string.h>

/* ---- optimizer ----------------------------------------------------------- */

void
eigml_adamw_config_init_default (EigmlAdamWConfig *config)
{
  /* PyTorch's AdamW defaults, with the paper's learning rate. */
  config->lr = 5e-5f;
  config->beta1 = 0.9f;
  config->beta2 = 0.999f;
  config->eps = 1e-8f;
  config->weight_decay = 0.01f;
  config->max_grad_norm = 1.0f;
}

#define ADAMW_HYPER_NAME "adamw.hyper"
#define ADAMW_NORM_NAME "adamw.grad_sumsq"

gboolean
eigml_graph_add_adamw (EigmlGraph *graph,
                       EigmlParamStore *store,
                       GError **error)
{
  gint64 hyper_shape[1] = { 8 };
  EigmlNode *hyper, *grad_all, *sumsq, *clip;
  GPtrArray *params;

  if (eigml_graph_propagate_error (graph, error))
    return FALSE;
  if (eigml_graph_find (graph, ADAMW_HYPER_NAME) != NULL)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "the graph already has an optimizer step");
      return FALSE;
    }
  if (!eigml_param_store_allocate (store, error))
    return FALSE;
  if (!eigml_param_store_ensure_optimizer_state (store, error))
    return FALSE;
  if (!g_ptr_array_find (graph->params, store, NULL))
    g_ptr_array_add (graph->params, eigml_param_store_ref (store));

  hyper = eigml_graph_input (graph, ADAMW_HYPER_NAME, EIGML_DTYPE_F32, 1, hyper_shape);

  /* The gradients are one flat buffer: the global norm is a reduction over
   * it, in windows no larger than the backend can bind at once (lavapipe
   * binds 128 MiB; a BERT-base + ViT-B store is 800 MiB). The windows are
   * read after every gradient has been accumulated: the ACC nodes come
   * earlier in creation order, which is execution order. */
  {
    EigmlBackend *backend = eigml_context_get_backend_impl (graph->context);
    gsize total = eigml_param_store_get_total_bytes (store);
    gsize window = MIN (backend->max_tensor_bytes, (gsize) 64 << 20) & ~(backend->alignment - 1);
    const char *env = g_getenv ("EIGML_GRAD_NORM_WINDOW"); /* tests: many windows */

    if (env != NULL && g_ascii_strtoull (env, NULL, 10) >= backend->alignment)
      window = g_ascii_strtoull (env, NULL, 10) & ~(backend->alignment - 1);

    sumsq = NULL;
    for (gsize offset = 0; offset < total && !eigml_graph_failed (graph); offset += window)
      {
        gint64 shape[1] = { (gint64) (MIN (window, total - offset) / sizeof (float)) };
        EigmlNode *partial;

        grad_all = eigml_graph_new_node (graph, EIGML_OP_LEAF, EIGML_DTYPE_F32, 1, shape);
        if (grad_all == NULL)
          break;
        grad_all->leaf = EIGML_LEAF_GRAD_ALL;
        grad_all->name = g_strdup_printf ("adamw.grads@%" G_GSIZE_FORMAT, offset);
        grad_all->store = store;
        grad_all->ip[0] = (gint32) (guint32) offset;
        grad_all->ip[1] = (gint32) (guint32) ((guint64) offset >> 32);
        partial = eigml_op_reduce (graph, EIGML_REDUCE_SUMSQ, grad_all, 0x1, TRUE);
        sumsq = sumsq == NULL ? partial : eigml_op_add (graph, sumsq, partial);
      }
  }
  if (sumsq != NULL)
    {
      sumsq->name = g_strdup (ADAMW_NORM_NAME);
      sumsq->flags |= EIGML_NODE_OUTPUT;
    }
  clip = NULL;
  if (sumsq != NULL)
    {
      gint64 one[1] = { 1 };
      clip = eigml_graph_new_node (graph, EIGML_OP_CLIP_SCALE, EIGML_DTYPE_F32, 1, one);
      if (clip != NULL)
        {
          eigml_node_add_src (clip, sumsq);
          /* max_norm is hyper[7], set per step; <= 0 disables clipping */
          eigml_node_add_src (clip, hyper);
        }
    }

  params = eigml_param_store_get_params (store);
  for (guint i = 0; i < params->len && !eigml_graph_failed (graph); i++)
    {
      EigmlParam *param = g_ptr_array_index (params, i);
      EigmlNode *node;

      if (!param->trainable)
        continue;
      node = eigml_graph_new_node (graph, EIGML_OP_ADAMW, EIGML_DTYPE_F32, param->n_dims,
                                   param->shape);
      if (node == NULL)
        break;
      node->flags |= EIGML_NODE_WRITES_SRC;
      eigml_node_add_src (node, eigml_graph_param_leaf (graph, param, EIGML_LEAF_PARAM));
      eigml_node_add_src (node, eigml_graph_param_leaf (graph, param, EIGML_LEAF_PARAM_GRAD));
      eigml_node_add_src (node, eigml_graph_param_leaf (graph, param, EIGML_LEAF_PARAM_M));
      eigml_node_add_src (node, eigml_graph_param_leaf (graph, param, EIGML_LEAF_PARAM_V));
      eigml_node_add_src (node, hyper);
      eigml_node_add_src (node, clip);
      node->ip[0] = param->decay ? 1 : 0;
      node->name = g_strconcat (param->name, ".adamw", NULL);
    }
  return !eigml_graph_propagate_error (graph, error);
}

/* hyper = [lr, beta1, beta2, eps, weight_decay, 1 - beta1^t, 1 - beta2^t, max_norm] */
gboolean
eigml_graph_set_adamw_step (EigmlGraph *graph,
                            const EigmlAdamWConfig *config,
                            float lr,
                            guint64 step,
                            GError **error)
{
  EigmlNode *hyper = eigml_graph_find (graph, ADAMW_HYPER_NAME);
  float values[8];

  if (hyper == NULL)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "the graph has no optimizer step (call eigml_graph_add_adamw first)");
      return FALSE;
    }
  if (step == 0)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "AdamW steps count from 1");
      return FALSE;
    }
  values[0] = lr;
  values[1] = config->beta1;
  values[2] = config->beta2;
  values[3] = config->eps;
  values[4] = config->weight_decay;
  values[5] = (float) (1.0 - pow (config->beta1, (double) step));
  values[6] = (float) (1.0 - pow (config->beta2, (double) step));
  values[7] = config->max_grad_norm;
  return eigml_graph_set_input_floats (graph, hyper, values, 8, error);
}

EigmlNode *
eigml_graph_get_grad_norm (EigmlGraph *graph)
{
  return eigml_graph_find (graph, ADAMW_NORM_NAME);
}

