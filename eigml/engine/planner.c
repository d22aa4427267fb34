/* planner.c: liveness-based memory planning for a graph
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The arena holds two regions: first the graph's inputs and constants
 * (written by the host, kept for the graph's life), then the activations.
 * Walking the nodes in execution order, each activation gets a block from a
 * best-fit free list; a block returns to the list after the last node that
 * reads it has run. An elementwise node whose source dies at that node and
 * has the same size takes over the source's block (in place). Views
 * (reshape) and in-place updates (ACC, ADAMW) share their source's storage.
 * Parameters and their gradients and moments live in their store's buffers.
 * Outputs are never reused.
 */
#include "config.h"

#include "graph.h"
#include "params.h"
#include "eigml-error.h"

#include <math.h>
#include <string.h>

typedef struct
{
  gsize offset;
  gsize size;
} Block;

typedef struct
{
  GArray *free_blocks;   /* Block, sorted by offset, coalesced */
  gsize top;             /* end of the highest block ever handed out */
} Allocator;

static gsize
align_up (gsize x,
          gsize alignment)
{
  return (x + alignment - 1) & ~(alignment - 1);
}

static gsize
allocator_alloc (Allocator *a,
                 gsize size)
{
  guint best = G_MAXUINT;
  gsize best_size = G_MAXSIZE;

  for (guint i = 0; i < a->free_blocks->len; i++)
    {
      Block *b = &g_array_index (a->free_blocks, Block, i);
      if (b->size >= size && b->size < best_size)
        {
          best = i;
          best_size = b->size;
        }
    }
  if (best != G_MAXUINT)
    {
      Block *b = &g_array_index (a->free_blocks, Block, best);
      gsize offset = b->offset;
      b->offset += size;
      b->size -= size;
      if (b->size == 0)
        g_array_remove_index (a->free_blocks, best);
      return offset;
    }
  /* Grow at the top; a free block touching the top is extended. */
  if (a->free_blocks->len > 0)
    {
      Block *last = &g_array_index (a->free_blocks, Block, a->free_blocks->len - 1);
      if (last->offset + last->size == a->top)
        {
          gsize offset = last->offset;
          a->top = offset + size;
          g_array_remove_index (a->free_blocks, a->free_blocks->len - 1);
          return offset;
        }
    }
  {
    gsize offset = a->top;
    a->top += size;
    return offset;
  }
}

static void
allocator_free (Allocator *a,
                gsize offset,
                gsize size)
{
  guint i = 0;
  Block nb = { offset, size };

  while (i < a->free_blocks->len && g_array_index (a->free_blocks, Block, i).offset < offset)
    i++;
  g_array_insert_val (a->free_blocks, i, nb);
  /* coalesce with the next, then with the previous */
  if (i + 1 < a->free_blocks->len)
    {
      Block *cur = &g_array_index (a->free_blocks, Block, i);
      Block *next = &g_array_index (a->free_blocks, Block, i + 1);
      if (cur->offset + cur->size == next->offset)
        {
          cur->size += next->size;
          g_array_remove_index (a->free_blocks, i + 1);
        }
    }
  if (i > 0)
    {
      Block *prev = &g_array_index (a->free_blocks, Block, i - 1);
      Block *cur = &g_array_index (a->free_blocks, Block, i);
      if (prev->offset + prev->size == cur->offset)
        {
          prev->size += cur->size;
          g_array_remove_index (a->free_blocks, i);
        }
    }
}

/* The node whose storage @node uses. */
static EigmlNode *
storage_root (EigmlNode *node)
{
  while (node->op == EIGML_OP_VIEW || node->op == EIGML_OP_ACC || node->op == EIGML_OP_ADAMW)
    node = node->src[0];
  return node;
}

static gboolean
is_arena_activation (EigmlNode *root)
{
  return root->op != EIGML_OP_LEAF;
}

gboolean
eigml_graph_plan_memory (EigmlGraph *graph,
                         GError **error)
{
  EigmlBackend *backend = graph->backend;
  gsize alignment = backend->alignment;
  guint n = graph->nodes->len;
  g_autofree guint *last_use = g_new0 (guint, n);
  g_autofree gboolean *keep = g_new0 (gboolean, n);
  g_autofree gsize *act_offset = g_new0 (gsize, n);
  Allocator alloc = { g_array_new (FALSE, FALSE, sizeof (Block)), 0 };
  gsize static_size = 0, naive = 0;

  /* liveness: the last node that reads each storage root */
  for (guint i = 0; i < n; i++)
    {
      EigmlNode *node = g_ptr_array_index (graph->nodes, i);
      EigmlNode *root = storage_root (node);

      last_use[root->id] = MAX (last_use[root->id], i);
      for (guint s = 0; s < node->n_src; s++)
        if (node->src[s] != NULL)
          {
            EigmlNode *sr = storage_root (node->src[s]);
            last_use[sr->id] = MAX (last_use[sr->id], i);
          }
      if (node->flags & EIGML_NODE_OUTPUT)
        keep[root->id] = TRUE;
    }

  /* static region: inputs and constants */
  for (guint i = 0; i < n; i++)
    {
      EigmlNode *node = g_ptr_array_index (graph->nodes, i);
      if (node->op == EIGML_OP_LEAF &&
          (node->leaf == EIGML_LEAF_INPUT || node->leaf == EIGML_LEAF_CONSTANT))
        {
          act_offset[i] = static_size;
          static_size += align_up (MAX (eigml_node_nbytes (node), 4), alignment);
        }
    }

  /* activations */
  for (guint i = 0; i < n; i++)
    {
      EigmlNode *node = g_ptr_array_index (graph->nodes, i);
      gsize size = align_up (MAX (eigml_node_nbytes (node), 4), alignment);
      gboolean placed = FALSE;

      if (node->op == EIGML_OP_LEAF || storage_root (node) != node)
        continue;
      if (eigml_node_nbytes (node) > backend->max_tensor_bytes)
        {
          g_autofree char *desc = eigml_node_describe (node);
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_OUT_OF_MEMORY,
                       "%s needs %" G_GSIZE_FORMAT " bytes; the %s backend addresses at most %"
                       G_GSIZE_FORMAT " bytes per tensor", desc, eigml_node_nbytes (node),
                       backend->vtable->name, backend->max_tensor_bytes);
          g_array_unref (alloc.free_blocks);
          return FALSE;
        }
      naive += size;

      /* in place over a source that dies here */
      for (guint s = 0; s < node->n_src && !placed; s++)
        {
          EigmlNode *sr;
          if (!eigml_op_writes_in_place (node, s))
            continue;
          sr = storage_root (node->src[s]);
          if (is_arena_activation (sr) && last_use[sr->id] == i && !keep[sr->id] &&
              align_up (MAX (eigml_node_nbytes (sr), 4), alignment) == size)
            {
              /* a source used twice by this node is fine: elementwise */
              act_offset[i] = act_offset[sr->id];
              keep[sr->id] = TRUE; /* its block now belongs to this node */
              last_use[sr->id] = G_MAXUINT;
              placed = TRUE;
            }
        }
      if (!placed)
        act_offset[i] = allocator_alloc (&alloc, size);

      /* free what dies here (each root once) */
      for (guint s = 0; s < node->n_src; s++)
        {
          EigmlNode *sr;
          gboolean dup = FALSE;
          if (node->src[s] == NULL)
            continue;
          sr = storage_root (node->src[s]);
          for (guint t = 0; t < s; t++)
            if (node->src[t] != NULL && storage_root (node->src[t]) == sr)
              dup = TRUE;
          if (dup || !is_arena_activation (sr) || keep[sr->id] || last_use[sr->id] != i)
            continue;
          allocator_free (&alloc, act_offset[sr->id],
                          align_up (MAX (eigml_node_nbytes (sr), 4), alignment));
        }
      /* a result nobody reads is dead at once */
      if (last_use[i] == i && !keep[i])
        allocator_free (&alloc, act_offset[i], size);
    }
  g_array_unref (alloc.free_blocks);

  graph->arena_size = static_size + alloc.top;
  graph->arena_peak_naive = static_size + naive;
  g_clear_pointer (&graph->arena, eigml_buffer_free);
  graph->arena = eigml_buffer_new (backend, MAX (graph->arena_size, alignment), error);
  if (graph->arena == NULL)
    return FALSE;

  for (guint i = 0; i < n; i++)
    {
      EigmlNode *node = g_ptr_array_index (graph->nodes, i);
      EigmlNode *root = storage_root (node);

      node->n_bytes = eigml_node_nbytes (node);
      if (root->op == EIGML_OP_LEAF)
        {
          switch (root->leaf)
            {
            case EIGML_LEAF_INPUT:
            case EIGML_LEAF_CONSTANT:
              node->buffer = graph->arena;
              node->offset = act_offset[root->id];
              break;
            case EIGML_LEAF_GRAD_ALL:
              /* a window of the flat gradient buffer, at byte offset ip[0..1] */
              node->buffer = eigml_param_store_get_buffer (root->store, EIGML_LEAF_GRAD_ALL);
              node->offset = (gsize) ((guint64) (guint32) root->ip[0] |
                                      ((guint64) (guint32) root->ip[1] << 32));
              break;
            default:
              node->buffer = eigml_param_store_get_buffer (root->param->store, root->leaf);
              node->offset = root->param->offset;
              break;
            }
          if (node->buffer == NULL)
            {
              g_autofree char *desc = eigml_node_describe (node);
              g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                           "%s has no storage (parameter store not allocated?)", desc);
              return FALSE;
            }
        }
      else
        {
          node->buffer = graph->arena;
          node->offset = static_size + act_offset[root->id];
        }
    }
  graph->arena_static_size = static_size;
  return TRUE;
}

gboolean
eigml_graph_poison (EigmlGraph *graph,
                    GError **error)
{
  if (!eigml_graph_prepare (graph, error))
    return FALSE;
  if (graph->arena_size <= graph->arena_static_size)
    return TRUE;
  /* quiet NaN */
  return eigml_buffer_fill (graph->arena, graph->arena_static_size,
                            (graph->arena_size - graph->arena_static_size) & ~(gsize) 3,
                            0x7fc00000u, error);
}
