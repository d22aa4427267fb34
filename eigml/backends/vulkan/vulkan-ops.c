/* vulkan-ops.c: from a graph node to dispatches (pipeline, bindings, push
 * constants, grid)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One encoder per op family; each mirrors its shader's push-constant block
 * (shaders/NAME.comp) word for word and follows the CPU kernel's reading
 * of the node's parameters (eigml/backends/cpu/). Elementwise kernels use
 * 256 invocations per workgroup; row kernels one workgroup per row, sized
 * to the row (32 to 256); reductions and matrix products may emit a
 * second dispatch that combines partial results kept in the graph's
 * scratch buffer.
 */
#include "config.h"

#include "vulkan-encoder.h"

/* ---- elementwise --------------------------------------------------------- */

static gboolean
encode_fill (EigmlVkEncoder *enc,
             const EigmlNode *node,
             GError **error)
{
  EigmlVkDispatch *d = dispatch_wg (enc, node, "fill", ELEMENTWISE_WG, error);

  if (d == NULL)
    return FALSE;
  bind_node (d, 0, node, TRUE);
  push_u32 (d, (guint32) node->n_elements);
  push_f32 (d, node->fp[0]);
  return grid_elements (enc, d, node->n_elements, error);
}

static gboolean
encode_binary (EigmlVkEncoder *enc,
               const EigmlNode *node,
               GError **error)
{
  const EigmlNode *a = node->src[0], *b = node->src[1];
  EigmlVkDispatch *d = dispatch_wg (enc, node, "binary", ELEMENTWISE_WG, error);
  gint64 shape[4], sa[4], sb[4];

  if (d == NULL)
    return FALSE;
  bind_node (d, 0, a, FALSE);
  bind_node (d, 1, b, FALSE);
  bind_node (d, 2, node, TRUE);
  eigml_node_shape4 (node, shape);
  broadcast_strides4 (a, shape, sa);
  broadcast_strides4 (b, shape, sb);
  push_u32 (d, (guint32) node->n_elements);
  push_u32 (d, (guint32) node->ip[0]);
  push_u32 (d, a->n_elements == node->n_elements && b->n_elements == node->n_elements);
  for (int i = 0; i < 4; i++)
    push_u32 (d, (guint32) shape[i]);
  for (int i = 0; i < 4; i++)
    push_u32 (d, (guint32) sa[i]);
  for (int i = 0; i < 4; i++)
    push_u32 (d, (guint32) sb[i]);
  return grid_elements (enc, d, node->n_elements, error);
}

static gboolean
encode_scale (EigmlVkEncoder *enc,
              const EigmlNode *node,
              GError **error)
{
  EigmlVkDispatch *d = dispatch_wg (enc, node, "scale", ELEMENTWISE_WG, error);

  if (d == NULL)
    return FALSE;
  bind_node (d, 0, node->src[0], FALSE);
  bind_node (d, 1, node, TRUE);
  push_u32 (d, (guint32) node->n_elements);
  push_f32 (d, node->fp[0]);
  push_f32 (d, node->fp[1]);
  return grid_elements (enc, d, node->n_elements, error);
}

static gboolean
encode_unary (EigmlVkEncoder *enc,
              const EigmlNode *node,
              GError **error)
{
  gboolean backward = node->op == EIGML_OP_UNARY_BACKWARD;
  EigmlVkDispatch *d = dispatch_wg (enc, node, backward ? "unary_backward" : "unary",
                                    ELEMENTWISE_WG, error);
  guint slot = 0;

  if (d == NULL)
    return FALSE;
  bind_node (d, slot++, node->src[0], FALSE);
  if (backward)
    bind_node (d, slot++, node->src[1], FALSE);
  bind_node (d, slot, node, TRUE);
  push_u32 (d, (guint32) node->n_elements);
  push_u32 (d, (guint32) node->ip[0]);
  return grid_elements (enc, d, node->n_elements, error);
}

static gboolean
encode_acc (EigmlVkEncoder *enc,
            const EigmlNode *node,
            GError **error)
{
  EigmlVkDispatch *d = dispatch_wg (enc, node, "acc", ELEMENTWISE_WG, error);

  if (d == NULL)
    return FALSE;
  bind_node (d, 0, node->src[0], TRUE);
  bind_node (d, 1, node->src[1], FALSE);
  push_u32 (d, (guint32) node->n_elements);
  return grid_elements (enc, d, node->n_elements, error);
}

static gboolean
encode_dropout (EigmlVkEncoder *enc,
                const EigmlNode *node,
                GError **error)
{
  EigmlVkDispatch *d = dispatch_wg (enc, node, "dropout", ELEMENTWISE_WG, error);

  if (d == NULL)
    return FALSE;
  bind_node (d, 0, node->src[0], FALSE);
  bind_node (d, 1, node->src[1], FALSE);
  bind_node (d, 2, node, TRUE);
  push_u32 (d, (guint32) node->n_elements);
  push_u32 (d, (guint32) node->ip[0]);
  push_f32 (d, node->fp[0]);
  push_f32 (d, node->fp[1]);
  return grid_elements (enc, d, (node->n_elements + 3) / 4, error);
}

static gboolean
encode_bce (EigmlVkEncoder *enc,
            const EigmlNode *node,
            GError **error)
{
  gboolean backward = node->op == EIGML_OP_BCE_LOGITS_BACKWARD;
  EigmlVkDispatch *d = dispatch_wg (enc, node, "bce_logits", ELEMENTWISE_WG, error);

  if (d == NULL)
    return FALSE;
  bind_node (d, 0, node->src[0], FALSE);
  bind_node (d, 1, node->src[1], FALSE);
  bind_node (d, 2, backward ? node->src[2] : node->src[0], FALSE);
  bind_node (d, 3, node, TRUE);
  push_u32 (d, (guint32) node->n_elements);
  push_u32 (d, backward);
  return grid_elements (enc, d, node->n_elements, error);
}

static gboolean
encode_kl_div_backward (EigmlVkEncoder *enc,
                        const EigmlNode *node,
                        GError **error)
{
  EigmlVkDispatch *d = dispatch_wg (enc, node, "kl_div_backward", ELEMENTWISE_WG, error);

  if (d == NULL)
    return FALSE;
  for (guint i = 0; i < 3; i++)
    bind_node (d, i, node->src[i], FALSE);
  bind_node (d, 3, node, TRUE);
  push_u32 (d, (guint32) node->n_elements);
  push_u32 (d, (guint32) row_length (node));
  push_u32 (d, node->ip[0] != 0);
  return grid_elements (enc, d, node->n_elements, error);
}

static gboolean
encode_clip_scale (EigmlVkEncoder *enc,
                   const EigmlNode *node,
                   GError **error)
{
  EigmlVkDispatch *d = dispatch_wg (enc, node, "clip_scale", 32, error);

  if (d == NULL)
    return FALSE;
  bind_node (d, 0, node->src[0], FALSE);
  bind_node (d, 1, node->src[1], FALSE);
  bind_node (d, 2, node, TRUE);
  return grid_groups (enc, d, 1, error);
}

static gboolean
encode_adamw (EigmlVkEncoder *enc,
              const EigmlNode *node,
              GError **error)
{
  EigmlVkDispatch *d = dispatch_wg (enc, node, "adamw", ELEMENTWISE_WG, error);
  gboolean has_clip = node->n_src > 5 && node->src[5] != NULL;

  if (d == NULL)
    return FALSE;
  for (guint i = 0; i < 4; i++)
    bind_node (d, i, node->src[i], TRUE);
  bind_node (d, 4, node->src[4], FALSE);
  bind_node (d, 5, has_clip ? node->src[5] : node->src[4], FALSE);
  push_u32 (d, (guint32) node->n_elements);
  push_u32 (d, node->ip[0] != 0);
  push_u32 (d, has_clip);
  return grid_elements (enc, d, node->n_elements, error);
}

/* ---- copies -------------------------------------------------------------- */

static gboolean
encode_copy_strided (EigmlVkEncoder *enc,
                     const EigmlNode *node,
                     GError **error)
{
  const EigmlNode *x = node->src[0];
  EigmlVkDispatch *d = dispatch_wg (enc, node, "copy_strided", ELEMENTWISE_WG, error);
  gint64 shape[4], sx[4];

  if (d == NULL)
    return FALSE;
  eigml_node_shape4 (node, shape);
  if (node->op == EIGML_OP_PERMUTE)
    {
      gint64 xshape[4], xs[4];
      eigml_node_shape4 (x, xshape);
      strides4 (xshape, xs);
      for (int i = 0; i < 4; i++)
        sx[i] = xs[node->ip[i]];
    }
  else
    broadcast_strides4 (x, shape, sx);
  bind_node (d, 0, x, FALSE);
  bind_node (d, 1, node, TRUE);
  push_u32 (d, (guint32) node->n_elements);
  for (int i = 0; i < 4; i++)
    push_u32 (d, (guint32) shape[i]);
  for (int i = 0; i < 4; i++)
    push_u32 (d, (guint32) sx[i]);
  return grid_elements (enc, d, node->n_elements, error);
}

static gint64
inner_size (const EigmlNode *node,
            int axis4)
{
  gint64 shape[4], inner = 1;

  eigml_node_shape4 (node, shape);
  for (int i = axis4 + 1; i < 4; i++)
    inner *= shape[i];
  return inner;
}

static gint64
dim4 (const EigmlNode *node,
      int axis4)
{
  gint64 shape[4];

  eigml_node_shape4 (node, shape);
  return shape[axis4];
}

static gboolean
encode_slice (EigmlVkEncoder *enc,
              const EigmlNode *node,
              GError **error)
{
  const EigmlNode *x = node->src[0];
  int axis = node->ip[0];
  EigmlVkDispatch *d = dispatch_wg (enc, node, "slice", ELEMENTWISE_WG, error);

  if (d == NULL)
    return FALSE;
  bind_node (d, 0, x, FALSE);
  bind_node (d, 1, node, TRUE);
  push_u32 (d, (guint32) node->n_elements);
  push_u32 (d, (guint32) inner_size (node, axis));
  push_u32 (d, (guint32) dim4 (node, axis));
  push_u32 (d, (guint32) dim4 (x, axis));
  push_u32 (d, (guint32) node->ip[1]);
  push_u32 (d, node->op == EIGML_OP_PAD);
  return grid_elements (enc, d, node->n_elements, error);
}

static gboolean
encode_concat (EigmlVkEncoder *enc,
               const EigmlNode *node,
               GError **error)
{
  int axis = node->ip[0];
  EigmlVkDispatch *d = dispatch_wg (enc, node, "concat", ELEMENTWISE_WG, error);
  guint32 start = 0;

  if (d == NULL)
    return FALSE;
  for (guint s = 0; s < 6; s++)
    bind_node (d, s, node->src[s < node->n_src ? s : 0], FALSE);
  bind_node (d, 6, node, TRUE);
  push_u32 (d, (guint32) node->n_elements);
  push_u32 (d, (guint32) inner_size (node, axis));
  push_u32 (d, (guint32) dim4 (node, axis));
  push_u32 (d, node->n_src);
  for (guint s = 0; s < 7; s++)
    {
      push_u32 (d, start);
      if (s < node->n_src)
        start += (guint32) dim4 (node->src[s], axis);
    }
  return grid_elements (enc, d, node->n_elements, error);
}

static gboolean
encode_embedding (EigmlVkEncoder *enc,
                  const EigmlNode *node,
                  GError **error)
{
  const EigmlNode *table = node->src[0];
  EigmlVkDispatch *d = dispatch_wg (enc, node, "embedding", ELEMENTWISE_WG, error);

  if (d == NULL)
    return FALSE;
  bind_node (d, 0, table, FALSE);
  bind_node (d, 1, node->src[1], FALSE);
  bind_node (d, 2, node, TRUE);
  push_u32 (d, (guint32) node->n_elements);
  push_u32 (d, (guint32) table->shape[1]);
  push_u32 (d, (guint32) table->shape[0]);
  return grid_elements (enc, d, node->n_elements, error);
}

static gboolean
encode_embedding_backward (EigmlVkEncoder *enc,
                           const EigmlNode *node,
                           GError **error)
{
  gint64 v = node->shape[0], dcols = node->shape[1];
  EigmlVkDispatch *d = dispatch_wg (enc, node, "embedding_backward", 64, error);
  gint64 n_blocks, rows_per_block;

  if (d == NULL)
    return FALSE;
  /* enough invocations to fill a GPU, without rescanning the ids too often */
  n_blocks = CLAMP ((8192 + dcols - 1) / dcols, 1, MIN (v, 64));
  rows_per_block = (v + n_blocks - 1) / n_blocks;
  n_blocks = (v + rows_per_block - 1) / rows_per_block;
  bind_node (d, 0, node->src[0], FALSE);
  bind_node (d, 1, node->src[1], FALSE);
  bind_node (d, 2, node, TRUE);
  push_u32 (d, (guint32) node->src[0]->n_elements);
  push_u32 (d, (guint32) dcols);
  push_u32 (d, (guint32) v);
  push_u32 (d, (guint32) rows_per_block);
  push_u32 (d, (guint32) n_blocks);
  return grid_groups (enc, d, ceil_div ((guint64) dcols * n_blocks, 64), error);
}

/* ---- rows ---------------------------------------------------------------- */

static EigmlVkDispatch *
row_dispatch (EigmlVkEncoder *enc,
              const EigmlNode *node,
              const char *shader,
              gint64 c,
              GError **error)
{
  return dispatch_wg (enc, node, shader, row_wg (c), error);
}

static gboolean
encode_softmax (EigmlVkEncoder *enc,
                const EigmlNode *node,
                GError **error)
{
  gint64 c = row_length (node), rows = node->n_elements / c;
  gboolean has_mask = node->ip[1] != 0;
  EigmlVkDispatch *d = row_dispatch (enc, node, "softmax", c, error);
  gint64 shape[4], sm[4] = { 0, 0, 0, 0 };

  if (d == NULL)
    return FALSE;
  eigml_node_shape4 (node, shape);
  if (has_mask)
    broadcast_strides4 (node->src[1], shape, sm);
  bind_node (d, 0, node->src[0], FALSE);
  bind_node (d, 1, has_mask ? node->src[1] : node->src[0], FALSE);
  bind_node (d, 2, node, TRUE);
  push_u32 (d, (guint32) rows);
  push_u32 (d, (guint32) c);
  push_u32 (d, (guint32) shape[1]);
  push_u32 (d, (guint32) shape[2]);
  for (int i = 0; i < 3; i++)
    push_u32 (d, (guint32) sm[i]);
  push_f32 (d, node->fp[0]);
  push_u32 (d, node->ip[0] != 0);
  push_u32 (d, has_mask);
  return grid_groups (enc, d, rows, error);
}

static gboolean
encode_softmax_backward (EigmlVkEncoder *enc,
                         const EigmlNode *node,
                         GError **error)
{
  gint64 c = row_length (node), rows = node->n_elements / c;
  EigmlVkDispatch *d = row_dispatch (enc, node, "softmax_backward", c, error);

  if (d == NULL)
    return FALSE;
  bind_node (d, 0, node->src[0], FALSE);
  bind_node (d, 1, node->src[1], FALSE);
  bind_node (d, 2, node, TRUE);
  push_u32 (d, (guint32) rows);
  push_u32 (d, (guint32) c);
  push_f32 (d, node->fp[0]);
  push_u32 (d, node->ip[0] != 0);
  return grid_groups (enc, d, rows, error);
}

static gboolean
encode_layer_norm (EigmlVkEncoder *enc,
                   const EigmlNode *node,
                   GError **error)
{
  gint64 c = row_length (node), rows = node->n_elements / c;
  gboolean has_gamma = node->ip[0] & 1, has_beta = (node->ip[0] & 2) != 0;
  const EigmlNode *x = node->src[0];
  EigmlVkDispatch *d = row_dispatch (enc, node, "layer_norm", c, error);

  if (d == NULL)
    return FALSE;
  bind_node (d, 0, x, FALSE);
  bind_node (d, 1, has_gamma ? node->src[1] : x, FALSE);
  bind_node (d, 2, has_beta ? node->src[has_gamma ? 2 : 1] : x, FALSE);
  bind_node (d, 3, node, TRUE);
  push_u32 (d, (guint32) rows);
  push_u32 (d, (guint32) c);
  push_f32 (d, node->fp[0]);
  push_u32 (d, (guint32) (node->ip[0] & 3));
  return grid_groups (enc, d, rows, error);
}

static gboolean
encode_layer_norm_backward (EigmlVkEncoder *enc,
                            const EigmlNode *node,
                            GError **error)
{
  gint64 c = row_length (node), rows = node->n_elements / c;
  gboolean has_gamma = node->ip[0] != 0;
  EigmlVkDispatch *d = row_dispatch (enc, node, "layer_norm_backward", c, error);

  if (d == NULL)
    return FALSE;
  bind_node (d, 0, node->src[0], FALSE);
  bind_node (d, 1, node->src[1], FALSE);
  bind_node (d, 2, has_gamma ? node->src[2] : node->src[0], FALSE);
  bind_node (d, 3, node, TRUE);
  push_u32 (d, (guint32) rows);
  push_u32 (d, (guint32) c);
  push_f32 (d, node->fp[0]);
  push_u32 (d, has_gamma);
  return grid_groups (enc, d, rows, error);
}

static gboolean
encode_l2_norm (EigmlVkEncoder *enc,
                const EigmlNode *node,
                GError **error)
{
  gboolean backward = node->op == EIGML_OP_L2_NORM_BACKWARD;
  gint64 c = row_length (node), rows = node->n_elements / c;
  EigmlVkDispatch *d = row_dispatch (enc, node, backward ? "l2_norm_backward" : "l2_norm", c,
                                     error);
  guint slot = 0;

  if (d == NULL)
    return FALSE;
  bind_node (d, slot++, node->src[0], FALSE);
  if (backward)
    bind_node (d, slot++, node->src[1], FALSE);
  bind_node (d, slot, node, TRUE);
  push_u32 (d, (guint32) rows);
  push_u32 (d, (guint32) c);
  push_f32 (d, node->fp[0]);
  return grid_groups (enc, d, rows, error);
}

/* CROSS_ENTROPY(+BACKWARD) and KL_DIV: rows of the first source */
static gboolean
encode_loss_rows (EigmlVkEncoder *enc,
                  const EigmlNode *node,
                  GError **error)
{
  const EigmlNode *x = node->src[0];
  gint64 c = row_length (x), rows = x->n_elements / c;
  const char *shader = node->op == EIGML_OP_CROSS_ENTROPY ? "cross_entropy"
                       : node->op == EIGML_OP_CROSS_ENTROPY_BACKWARD ? "cross_entropy_backward"
                       : "kl_div";
  guint n_in = node->op == EIGML_OP_CROSS_ENTROPY_BACKWARD ? 3 : 2;
  EigmlVkDispatch *d = row_dispatch (enc, node, shader, c, error);

  if (d == NULL)
    return FALSE;
  for (guint i = 0; i < n_in; i++)
    bind_node (d, i, node->src[i], FALSE);
  bind_node (d, n_in, node, TRUE);
  push_u32 (d, (guint32) rows);
  push_u32 (d, (guint32) c);
  return grid_groups (enc, d, rows, error);
}

/* ---- the table ----------------------------------------------------------- */

typedef gboolean (*EncodeFunc) (EigmlVkEncoder *enc,
                                const EigmlNode *node,
                                GError **error);

static const EncodeFunc encoders[EIGML_OP_COUNT] = {
  [EIGML_OP_FILL] = encode_fill,
  [EIGML_OP_MATMUL] = eigml_vk_encode_matmul,
  [EIGML_OP_BINARY] = encode_binary,
  [EIGML_OP_SCALE] = encode_scale,
  [EIGML_OP_UNARY] = encode_unary,
  [EIGML_OP_UNARY_BACKWARD] = encode_unary,
  [EIGML_OP_SOFTMAX] = encode_softmax,
  [EIGML_OP_SOFTMAX_BACKWARD] = encode_softmax_backward,
  [EIGML_OP_LAYER_NORM] = encode_layer_norm,
  [EIGML_OP_LAYER_NORM_BACKWARD] = encode_layer_norm_backward,
  [EIGML_OP_L2_NORM] = encode_l2_norm,
  [EIGML_OP_L2_NORM_BACKWARD] = encode_l2_norm,
  [EIGML_OP_EMBEDDING] = encode_embedding,
  [EIGML_OP_EMBEDDING_BACKWARD] = encode_embedding_backward,
  [EIGML_OP_DROPOUT] = encode_dropout,
  [EIGML_OP_PERMUTE] = encode_copy_strided,
  [EIGML_OP_SLICE] = encode_slice,
  [EIGML_OP_PAD] = encode_slice,
  [EIGML_OP_CONCAT] = encode_concat,
  [EIGML_OP_BROADCAST] = encode_copy_strided,
  [EIGML_OP_REDUCE] = eigml_vk_encode_reduce,
  [EIGML_OP_REDUCE_MAX_BACKWARD] = eigml_vk_encode_reduce_max_backward,
  [EIGML_OP_CROSS_ENTROPY] = encode_loss_rows,
  [EIGML_OP_CROSS_ENTROPY_BACKWARD] = encode_loss_rows,
  [EIGML_OP_BCE_LOGITS] = encode_bce,
  [EIGML_OP_BCE_LOGITS_BACKWARD] = encode_bce,
  [EIGML_OP_KL_DIV] = encode_loss_rows,
  [EIGML_OP_KL_DIV_BACKWARD] = encode_kl_div_backward,
  [EIGML_OP_ACC] = encode_acc,
  [EIGML_OP_CLIP_SCALE] = encode_clip_scale,
  [EIGML_OP_ADAMW] = encode_adamw,
};

static gboolean
is_copy_op (EigmlOp op)
{
  return op == EIGML_OP_PERMUTE || op == EIGML_OP_SLICE || op == EIGML_OP_PAD ||
         op == EIGML_OP_CONCAT || op == EIGML_OP_BROADCAST;
}

gboolean
eigml_vk_supports_node (EigmlBackend *backend,
                        const EigmlNode *node,
                        GError **error)
{
  if ((guint) node->op >= EIGML_OP_COUNT || encoders[node->op] == NULL)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_UNSUPPORTED,
                   "the Vulkan backend has no kernel for %s", eigml_op_get_name (node->op));
      return FALSE;
    }
  /* copies move 32-bit words; every other kernel computes in f32 */
  if (is_copy_op (node->op) ? eigml_dtype_get_size (node->dtype) != 4
                            : node->dtype != EIGML_DTYPE_F32)
    {
      g_autofree char *desc = eigml_node_describe (node);
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_UNSUPPORTED,
                   "the Vulkan backend cannot run %s on %s data", desc,
                   eigml_dtype_get_name (node->dtype));
      return FALSE;
    }
  if (node->op == EIGML_OP_CONCAT && node->n_src > 6)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_UNSUPPORTED,
                   "the Vulkan backend concatenates at most 6 tensors at once, got %u",
                   node->n_src);
      return FALSE;
    }
  return TRUE;
}

gboolean
eigml_vk_encode_node (EigmlVkEncoder *enc,
                      const EigmlNode *node,
                      GError **error)
{
  guint first = enc->dispatches->len;

  if (!eigml_vk_supports_node (&enc->vk->parent, node, error))
    return FALSE;
  for (guint i = 0; i < node->n_src; i++)
    if (node->src[i] != NULL && node->src[i]->buffer == NULL)
      {
        g_autofree char *desc = eigml_node_describe (node->src[i]);
        g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                     "%s has no memory (not planned)", desc);
        return FALSE;
      }
  if (!encoders[node->op] (enc, node, error))
    return FALSE;

  /* every bound range must fit maxStorageBufferRange */
  for (guint i = first; i < enc->dispatches->len; i++)
    {
      EigmlVkDispatch *d = &g_array_index (enc->dispatches, EigmlVkDispatch, i);
      for (guint s = 0; s < d->n_bindings; s++)
        if (d->bindings[s].size > enc->vk->max_storage_range)
          {
            g_autofree char *desc = eigml_node_describe (node);
            g_set_error (error, EIGML_ERROR, EIGML_ERROR_UNSUPPORTED,
                         "%s binds %" G_GUINT64_FORMAT " bytes; %s addresses at most %"
                         G_GUINT64_FORMAT " bytes per storage buffer", desc,
                         (guint64) d->bindings[s].size, enc->vk->parent.device_name,
                         (guint64) enc->vk->max_storage_range);
            return FALSE;
          }
    }
  return TRUE;
}
