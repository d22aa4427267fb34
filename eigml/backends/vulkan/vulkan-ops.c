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

#include "vulkan-private.h"
#include "eigml-error.h"

#include <string.h>

#define ELEMENTWISE_WG 256u

/* ---- helpers ------------------------------------------------------------- */

static guint32
ceil_div (guint64 a,
          guint64 b)
{
  return (guint32) ((a + b - 1) / b);
}

static guint32
f32_bits (float f)
{
  guint32 u;

  memcpy (&u, &f, sizeof u);
  return u;
}

static EigmlVkDispatch *
dispatch_new (EigmlVkEncoder *enc,
              const EigmlNode *node,
              const char *shader,
              const guint32 *spec,
              guint n_spec,
              GError **error)
{
  EigmlVkPipeline *pipeline = eigml_vk_pipeline_get (enc->vk, shader, spec, n_spec, error);
  EigmlVkDispatch *d;

  if (pipeline == NULL)
    return NULL;
  g_array_set_size (enc->dispatches, enc->dispatches->len + 1);
  d = &g_array_index (enc->dispatches, EigmlVkDispatch, enc->dispatches->len - 1);
  memset (d, 0, sizeof *d);
  d->pipeline = pipeline;
  d->node = node;
  return d;
}

static EigmlVkDispatch *
dispatch_wg (EigmlVkEncoder *enc,
             const EigmlNode *node,
             const char *shader,
             guint32 wg,
             GError **error)
{
  return dispatch_new (enc, node, shader, &wg, 1, error);
}

static EigmlVkBinding
node_binding (const EigmlNode *node,
              gboolean write)
{
  EigmlVkBinding b = {
    .buffer = EIGML_VK_BUFFER (node->buffer),
    .offset = node->offset,
    .size = MAX ((eigml_node_nbytes (node) + 3) & ~(gsize) 3, 4),
    .write = write,
  };
  return b;
}

static void
bind (EigmlVkDispatch *d,
      guint slot,
      EigmlVkBinding b)
{
  d->bindings[slot] = b;
  d->n_bindings = MAX (d->n_bindings, slot + 1);
}

static void
bind_node (EigmlVkDispatch *d,
           guint slot,
           const EigmlNode *node,
           gboolean write)
{
  bind (d, slot, node_binding (node, write));
}

static VkDeviceSize
scratch_alloc (EigmlVkEncoder *enc,
               VkDeviceSize bytes)
{
  VkDeviceSize align = enc->vk->parent.alignment;
  VkDeviceSize offset = (enc->scratch_size + align - 1) & ~(align - 1);

  enc->scratch_size = offset + MAX (bytes, 4);
  return offset;
}

static EigmlVkBinding
scratch_binding (VkDeviceSize offset,
                 VkDeviceSize size,
                 gboolean write)
{
  EigmlVkBinding b = { NULL, offset, size, write };
  return b;
}

static void
push_u32 (EigmlVkDispatch *d,
          guint32 v)
{
  g_assert (d->push_words < EIGML_VK_PUSH_WORDS);
  d->push[d->push_words++] = v;
}

static void
push_f32 (EigmlVkDispatch *d,
          float v)
{
  push_u32 (d, f32_bits (v));
}

/* G workgroups as a 2-d grid within the device's limits */
static gboolean
grid_groups (EigmlVkEncoder *enc,
             EigmlVkDispatch *d,
             guint64 n_groups,
             GError **error)
{
  guint64 gx = MAX (MIN (n_groups, enc->vk->max_group_count[0]), 1);
  guint64 gy = (MAX (n_groups, 1) + gx - 1) / gx;

  if (gy > enc->vk->max_group_count[1])
    {
      g_autofree char *desc = eigml_node_describe (d->node);
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_UNSUPPORTED,
                   "%s needs %" G_GUINT64_FORMAT " workgroups, more than the device allows",
                   desc, n_groups);
      return FALSE;
    }
  d->groups[0] = (guint32) gx;
  d->groups[1] = (guint32) gy;
  d->groups[2] = 1;
  return TRUE;
}

static gboolean
grid_elements (EigmlVkEncoder *enc,
               EigmlVkDispatch *d,
               guint64 n,
               GError **error)
{
  return grid_groups (enc, d, (n + ELEMENTWISE_WG - 1) / ELEMENTWISE_WG, error);
}

/* a power of two from 32 to 256 that covers a row of @c */
static guint32
row_wg (gint64 c)
{
  guint32 wg = 32;

  while (wg < 256 && wg < c)
    wg *= 2;
  return wg;
}

static gint64
row_length (const EigmlNode *node)
{
  return node->n_dims ? node->shape[node->n_dims - 1] : 1;
}

static void
strides4 (const gint64 shape4[4],
          gint64 strides[4])
{
  strides[3] = 1;
  for (int i = 2; i >= 0; i--)
    strides[i] = strides[i + 1] * shape4[i + 1];
}

static void
broadcast_strides4 (const EigmlNode *src,
                    const gint64 out_shape4[4],
                    gint64 strides[4])
{
  gint64 shape4[4];

  eigml_node_shape4 (src, shape4);
  strides4 (shape4, strides);
  for (int i = 0; i < 4; i++)
    if (shape4[i] == 1 && out_shape4[i] != 1)
      strides[i] = 0;
}

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

/* ---- reductions ---------------------------------------------------------- */

/* Reduces @x (a contiguous 4-d tensor of shape @xshape) over the axes in
 * @mask into @y, in one dispatch or, when each output covers many inputs,
 * through partials in scratch and a further (recursive) pass. */
static gboolean
emit_reduce (EigmlVkEncoder *enc,
             const EigmlNode *node,
             EigmlVkBinding x,
             EigmlVkBinding y,
             const guint64 xshape[4],
             guint mask,
             guint op,
             gboolean square,
             float divisor,
             GError **error)
{
  guint64 n_out = 1, count = 1, chunks, chunk_len;
  guint32 spec[2];
  guint mode;
  EigmlVkDispatch *d;
  EigmlVkBinding partial_out;
  VkDeviceSize partial_offset = 0;

  for (int a = 0; a < 4; a++)
    {
      if ((mask >> a) & 1)
        count *= xshape[a];
      else
        n_out *= xshape[a];
    }

  if (count <= 32)
    mode = 1;
  else if ((mask & 8) || n_out < 64)
    mode = 0;
  else
    mode = 1;
  if (mode == 0)
    chunks = MIN ((256 + n_out - 1) / n_out, (count + 2047) / 2048);
  else if (count > 32)
    chunks = MIN ((16384 + n_out - 1) / n_out, (count + 63) / 64);
  else
    chunks = 1;
  chunks = CLAMP (chunks, 1, 1024);
  chunk_len = (count + chunks - 1) / chunks;
  chunks = (count + chunk_len - 1) / chunk_len;

  spec[0] = mode == 0 ? (chunk_len >= 1024 ? 256 : 64) : ELEMENTWISE_WG;
  spec[1] = mode;
  d = dispatch_new (enc, node, "reduce", spec, 2, error);
  if (d == NULL)
    return FALSE;
  if (chunks > 1)
    {
      partial_offset = scratch_alloc (enc, n_out * chunks * sizeof (float));
      partial_out = scratch_binding (partial_offset, n_out * chunks * sizeof (float), TRUE);
    }
  else
    partial_out = y;
  bind (d, 0, x);
  bind (d, 1, partial_out);
  for (int a = 0; a < 4; a++)
    push_u32 (d, (guint32) xshape[a]);
  push_u32 (d, mask);
  push_u32 (d, (guint32) n_out);
  push_u32 (d, (guint32) count);
  push_u32 (d, (guint32) chunks);
  push_u32 (d, (guint32) chunk_len);
  push_u32 (d, op);
  push_u32 (d, square);
  push_f32 (d, chunks > 1 ? 1.0f : divisor);
  push_u32 (d, mode == 0 ? 0 : 1);
  if (!(mode == 0 ? grid_groups (enc, d, n_out * chunks, error)
                  : grid_groups (enc, d, (n_out * chunks + ELEMENTWISE_WG - 1) / ELEMENTWISE_WG,
                                 error)))
    return FALSE;

  if (chunks > 1)
    {
      guint64 pshape[4] = { 1, 1, mode == 0 ? n_out : chunks, mode == 0 ? chunks : n_out };
      EigmlVkBinding px = partial_out;

      px.write = FALSE;
      return emit_reduce (enc, node, px, y, pshape, mode == 0 ? 8 : 4, op, FALSE, divisor,
                          error);
    }
  return TRUE;
}

static gboolean
encode_reduce (EigmlVkEncoder *enc,
               const EigmlNode *node,
               GError **error)
{
  const EigmlNode *x = node->src[0];
  EigmlReduceKind kind = node->ip[0];
  gint64 shape[4];
  guint64 xshape[4];
  guint64 count = 1;
  guint mask = (guint) node->ip[1] & 0xf;

  eigml_node_shape4 (x, shape);
  for (int a = 0; a < 4; a++)
    {
      xshape[a] = (guint64) shape[a];
      if ((mask >> a) & 1)
        count *= xshape[a];
    }
  return emit_reduce (enc, node, node_binding (x, FALSE), node_binding (node, TRUE), xshape, mask,
                      kind == EIGML_REDUCE_MAX ? 1 : 0, kind == EIGML_REDUCE_SUMSQ,
                      kind == EIGML_REDUCE_MEAN ? (float) count : 1.0f, error);
}

static gboolean
encode_reduce_max_backward (EigmlVkEncoder *enc,
                            const EigmlNode *node,
                            GError **error)
{
  const EigmlNode *x = node->src[0];
  guint mask = (guint) node->ip[1] & 0xf;
  gint64 shape[4];
  guint64 n_out = (guint64) node->src[1]->n_elements;
  guint64 count = (guint64) x->n_elements / n_out;
  guint32 spec[2];
  EigmlVkDispatch *d;

  spec[1] = count <= 32 || (!(mask & 8) && n_out >= 64) ? 1 : 0;
  spec[0] = spec[1] == 1 ? ELEMENTWISE_WG : (count >= 1024 ? 256 : 64);
  d = dispatch_new (enc, node, "reduce_max_backward", spec, 2, error);
  if (d == NULL)
    return FALSE;
  eigml_node_shape4 (x, shape);
  for (guint i = 0; i < 3; i++)
    bind_node (d, i, node->src[i], FALSE);
  bind_node (d, 3, node, TRUE);
  for (int a = 0; a < 4; a++)
    push_u32 (d, (guint32) shape[a]);
  push_u32 (d, mask);
  push_u32 (d, (guint32) n_out);
  push_u32 (d, (guint32) count);
  if (spec[1] == 1)
    return grid_groups (enc, d, (n_out + ELEMENTWISE_WG - 1) / ELEMENTWISE_WG, error);
  return grid_groups (enc, d, n_out, error);
}

/* ---- matrix product ------------------------------------------------------ */

static gboolean
encode_matmul (EigmlVkEncoder *enc,
               const EigmlNode *node,
               GError **error)
{
  const EigmlNode *a = node->src[0], *b = node->src[1];
  gboolean ta = node->ip[0] != 0, tb = node->ip[1] != 0;
  guint64 m = (guint64) node->shape[node->n_dims - 2];
  guint64 n = (guint64) node->shape[node->n_dims - 1];
  guint64 k = (guint64) (ta ? a->shape[a->n_dims - 2] : a->shape[a->n_dims - 1]);
  guint64 batch = (guint64) node->n_elements / (m * n);
  guint64 tiles, splits = 1, k_chunk = k, gx, gy, gz;
  /* WG, BM, BN, BK, TM, TN */
  guint32 spec_large[6] = { 256, 64, 64, 16, 4, 4 };
  guint32 spec_small[6] = { 256, 32, 32, 16, 2, 2 };
  const guint32 *spec = (m <= 32 || n <= 32) ? spec_small : spec_large;

  guint32 bm = spec[1], bn = spec[2], bk = spec[3];
  EigmlVkBinding out = node_binding (node, TRUE);
  VkDeviceSize partial_offset = 0;
  guint32 *maxg = enc->vk->max_group_count;

  gx = (n + bn - 1) / bn;
  gy = (m + bm - 1) / bm;
  tiles = gx * gy * batch;
  /* split-K when a long K would leave the device with few tiles */
  if (tiles < 64 && k >= 1024)
    {
      splits = MIN ((64 + tiles - 1) / tiles, k / 256);
      splits = CLAMP (splits, 1, 32);
      k_chunk = ((k + splits - 1) / splits + bk - 1) / bk * bk;
      splits = (k + k_chunk - 1) / k_chunk;
    }
  if (splits > 1)
    {
      VkDeviceSize bytes = splits * batch * m * n * sizeof (float);
      if (bytes > enc->vk->max_storage_range)
        {
          splits = 1;
          k_chunk = k;
        }
      else
        {
          partial_offset = scratch_alloc (enc, bytes);
          out = scratch_binding (partial_offset, bytes, TRUE);
        }
    }
  gz = batch * splits;

  /* a grid beyond the device limits is cut into several based dispatches */
  for (guint64 z0 = 0; z0 < gz; z0 += maxg[2])
    for (guint64 y0 = 0; y0 < gy; y0 += maxg[1])
      for (guint64 x0 = 0; x0 < gx; x0 += maxg[0])
        {
          EigmlVkDispatch *d = dispatch_new (enc, node, "matmul", spec, 6, error);
          if (d == NULL)
            return FALSE;
          bind_node (d, 0, a, FALSE);
          bind_node (d, 1, b, FALSE);
          bind (d, 2, out);
          push_u32 (d, (guint32) m);
          push_u32 (d, (guint32) n);
          push_u32 (d, (guint32) k);
          push_u32 (d, ta);
          push_u32 (d, tb);
          push_u32 (d, node->ip[2] ? 0 : (guint32) (m * k));
          push_u32 (d, node->ip[3] ? 0 : (guint32) (k * n));
          push_u32 (d, (guint32) (m * n));
          push_u32 (d, (guint32) batch);
          push_u32 (d, (guint32) k_chunk);
          push_u32 (d, (guint32) (batch * m * n));
          d->base[0] = (guint32) x0;
          d->base[1] = (guint32) y0;
          d->base[2] = (guint32) z0;
          d->groups[0] = (guint32) MIN (gx - x0, maxg[0]);
          d->groups[1] = (guint32) MIN (gy - y0, maxg[1]);
          d->groups[2] = (guint32) MIN (gz - z0, maxg[2]);
        }

  if (splits > 1)
    {
      guint64 pshape[4] = { 1, 1, splits, batch * m * n };
      EigmlVkBinding px = out;
      px.write = FALSE;
      return emit_reduce (enc, node, px, node_binding (node, TRUE), pshape, 4, 0, FALSE, 1.0f,
                          error);
    }
  return TRUE;
}

/* ---- the table ----------------------------------------------------------- */

typedef gboolean (*EncodeFunc) (EigmlVkEncoder *enc,
                                const EigmlNode *node,
                                GError **error);

static const EncodeFunc encoders[EIGML_OP_COUNT] = {
  [EIGML_OP_FILL] = encode_fill,
  [EIGML_OP_MATMUL] = encode_matmul,
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
  [EIGML_OP_REDUCE] = encode_reduce,
  [EIGML_OP_REDUCE_MAX_BACKWARD] = encode_reduce_max_backward,
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
