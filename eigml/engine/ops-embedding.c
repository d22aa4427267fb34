/* ops-embedding.c: embedding gather and dropout
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * EMBEDDING: y[..., :] = table[ids[...], :]. Ids that reach a kernel out of
 * range give a zero row (never a read outside the table); ids given as graph
 * inputs are checked when set, with an error naming the index.
 * EMBEDDING_BACKWARD: dtable[v] = sum of dy rows whose id is v, summed in
 * the order of the ids on both backends (deterministic, no atomics).
 *
 * DROPOUT: y = x * keep / (1 - p) with keep drawn by Philox (philox.h) from
 * the graph's RNG state (src[1]) and the node's stream (ip[0]); its
 * gradient is the same dropout applied to dy.
 */
#include "config.h"

#include "ops-private.h"

EigmlNode *
eigml_op_embedding (EigmlGraph *g,
                    EigmlNode *table,
                    EigmlNode *ids)
{
  gint64 shape[EIGML_MAX_DIMS];
  EigmlNode *node;

  if (!eigml_ops_ready (g, table) || !eigml_ops_ready (g, ids))
    return NULL;
  if (!eigml_ops_check_dtype (g, "embedding", "table", table, EIGML_DTYPE_F32) ||
      !eigml_ops_check_dtype (g, "embedding", "ids", ids, EIGML_DTYPE_I32))
    return NULL;
  if (table->n_dims != 2 || ids->n_dims >= EIGML_MAX_DIMS)
    {
      g_autofree char *st = eigml_node_describe (table);
      g_autofree char *si = eigml_node_describe (ids);
      eigml_graph_set_error (g, EIGML_ERROR_SHAPE,
                             "embedding: table %s must be 2-d and ids %s at most 3-d", st, si);
      return NULL;
    }
  if (table->shape[0] > G_MAXINT32)
    {
      eigml_graph_set_error (g, EIGML_ERROR_SHAPE, "embedding: table has too many rows");
      return NULL;
    }
  for (guint i = 0; i < ids->n_dims; i++)
    shape[i] = ids->shape[i];
  shape[ids->n_dims] = table->shape[1];
  node = eigml_graph_new_node (g, EIGML_OP_EMBEDDING, EIGML_DTYPE_F32, ids->n_dims + 1, shape);
  if (node == NULL)
    return NULL;
  eigml_node_add_src (node, table);
  eigml_node_add_src (node, ids);
  if (ids->op == EIGML_OP_LEAF && ids->leaf == EIGML_LEAF_INPUT)
    {
      gint32 rows = (gint32) table->shape[0];
      if (!(ids->flags & EIGML_NODE_CHECK_IDS) || rows < ids->id_limit)
        ids->id_limit = rows;
      ids->flags |= EIGML_NODE_CHECK_IDS | EIGML_NODE_IDS_NONNEG;
    }
  return node;
}

void
eigml_backward_embedding (EigmlGraph *g,
                          EigmlNode *node,
                          EigmlNode *dy)
{
  EigmlNode *table = node->src[0];
  EigmlNode *dtable = eigml_graph_new_node (g, EIGML_OP_EMBEDDING_BACKWARD, EIGML_DTYPE_F32,
                                            table->n_dims, table->shape);

  if (dtable == NULL)
    return;
  eigml_node_add_src (dtable, node->src[1]);
  eigml_node_add_src (dtable, dy);
  eigml_graph_accumulate_grad (g, table, dtable);
}

static EigmlNode *
rng_node (EigmlGraph *g)
{
  if (g->rng == NULL)
    {
      gint64 shape[1] = { 4 };
      g->rng = eigml_graph_input (g, "rng.state", EIGML_DTYPE_I32, 1, shape);
      if (g->rng != NULL)
        g->rng->flags |= EIGML_NODE_RNG;
    }
  return g->rng;
}

static EigmlNode *
dropout_node (EigmlGraph *g,
              EigmlNode *x,
              float p,
              float keep_scale,
              gint32 stream)
{
  EigmlNode *node = eigml_graph_new_node (g, EIGML_OP_DROPOUT, EIGML_DTYPE_F32, x->n_dims,
                                          x->shape);

  if (node == NULL)
    return NULL;
  eigml_node_add_src (node, x);
  eigml_node_add_src (node, rng_node (g));
  node->fp[0] = p;
  node->fp[1] = keep_scale;
  node->ip[0] = stream;
  return node;
}

EigmlNode *
eigml_op_dropout (EigmlGraph *g,
                  EigmlNode *x,
                  float p)
{
  if (!eigml_ops_ready (g, x))
    return NULL;
  if (!eigml_ops_check_dtype (g, "dropout", "x", x, EIGML_DTYPE_F32))
    return NULL;
  if (!(p >= 0.0f && p < 1.0f))
    {
      eigml_graph_set_error (g, EIGML_ERROR_INVALID_ARGUMENT,
                             "dropout: probability %g is outside [0, 1)", p);
      return NULL;
    }
  if (p == 0.0f)
    return x;
  /* The keep scale is computed once on the host, so both backends multiply
   * by the same float and agree bit for bit. */
  return dropout_node (g, x, p, 1.0f / (1.0f - p), (gint32) g->next_stream++);
}

void
eigml_backward_dropout (EigmlGraph *g,
                        EigmlNode *node,
                        EigmlNode *dy)
{
  eigml_graph_accumulate_grad (g, node->src[0],
                               dropout_node (g, dy, node->fp[0], node->fp[1], node->ip[0]));
}
