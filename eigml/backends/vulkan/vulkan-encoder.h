/* vulkan-encoder.h: helpers shared by the op encoders (vulkan-ops.c,
 * vulkan-ops-reduce.c)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * An encoder appends dispatches to a list: pipeline (shader and
 * specialization constants), bindings (tensors or the graph's scratch),
 * push constants in the order of the shader's block, and the grid.
 */
#pragma once

#include "vulkan-private.h"
#include "eigml-error.h"

#include <string.h>

G_BEGIN_DECLS

#define ELEMENTWISE_WG 256u

/* ---- helpers ------------------------------------------------------------- */

static inline guint32
ceil_div (guint64 a,
          guint64 b)
{
  return (guint32) ((a + b - 1) / b);
}

static inline guint32
f32_bits (float f)
{
  guint32 u;

  memcpy (&u, &f, sizeof u);
  return u;
}

static inline EigmlVkDispatch *
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

static inline EigmlVkDispatch *
dispatch_wg (EigmlVkEncoder *enc,
             const EigmlNode *node,
             const char *shader,
             guint32 wg,
             GError **error)
{
  return dispatch_new (enc, node, shader, &wg, 1, error);
}

static inline EigmlVkBinding
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

static inline void
bind (EigmlVkDispatch *d,
      guint slot,
      EigmlVkBinding b)
{
  d->bindings[slot] = b;
  d->n_bindings = MAX (d->n_bindings, slot + 1);
}

static inline void
bind_node (EigmlVkDispatch *d,
           guint slot,
           const EigmlNode *node,
           gboolean write)
{
  bind (d, slot, node_binding (node, write));
}

static inline VkDeviceSize
scratch_alloc (EigmlVkEncoder *enc,
               VkDeviceSize bytes)
{
  VkDeviceSize align = enc->vk->parent.alignment;
  VkDeviceSize offset = (enc->scratch_size + align - 1) & ~(align - 1);

  enc->scratch_size = offset + MAX (bytes, 4);
  return offset;
}

static inline EigmlVkBinding
scratch_binding (VkDeviceSize offset,
                 VkDeviceSize size,
                 gboolean write)
{
  EigmlVkBinding b = { NULL, offset, size, write };
  return b;
}

static inline void
push_u32 (EigmlVkDispatch *d,
          guint32 v)
{
  g_assert (d->push_words < EIGML_VK_PUSH_WORDS);
  d->push[d->push_words++] = v;
}

static inline void
push_f32 (EigmlVkDispatch *d,
          float v)
{
  push_u32 (d, f32_bits (v));
}

/* G workgroups as a 2-d grid within the device's limits */
static inline gboolean
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

static inline gboolean
grid_elements (EigmlVkEncoder *enc,
               EigmlVkDispatch *d,
               guint64 n,
               GError **error)
{
  return grid_groups (enc, d, (n + ELEMENTWISE_WG - 1) / ELEMENTWISE_WG, error);
}

/* a power of two from 32 to 256 that covers a row of @c */
static inline guint32
row_wg (gint64 c)
{
  guint32 wg = 32;

  while (wg < 256 && wg < c)
    wg *= 2;
  return wg;
}

static inline gint64
row_length (const EigmlNode *node)
{
  return node->n_dims ? node->shape[node->n_dims - 1] : 1;
}

static inline void
strides4 (const gint64 shape4[4],
          gint64 strides[4])
{
  strides[3] = 1;
  for (int i = 2; i >= 0; i--)
    strides[i] = strides[i + 1] * shape4[i + 1];
}

static inline void
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

/* vulkan-ops-reduce.c */
gboolean eigml_vk_encode_reduce (EigmlVkEncoder *enc,
                                 const EigmlNode *node,
                                 GError **error);
gboolean eigml_vk_encode_reduce_max_backward (EigmlVkEncoder *enc,
                                              const EigmlNode *node,
                                              GError **error);
gboolean eigml_vk_encode_matmul (EigmlVkEncoder *enc,
                                 const EigmlNode *node,
                                 GError **error);

G_END_DECLS
