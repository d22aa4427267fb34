/* vulkan-ops-reduce.c: encoders of reductions and matrix products, the ops
 * that may need a second pass over partial results
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A reduction whose outputs each cover many inputs is cut into chunks: a
 * first dispatch writes one partial per (output, chunk) into the graph's
 * scratch buffer, a second reduces the partials (recursively, if there are
 * still many). A matrix product with few output tiles and a long K (the
 * weight gradient dW = dY^T X, K = batch x sequence) is split along K the
 * same way and its partial products summed by the reduce shader.
 */
#include "config.h"

#include "vulkan-encoder.h"

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

gboolean
eigml_vk_encode_reduce (EigmlVkEncoder *enc,
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

gboolean
eigml_vk_encode_reduce_max_backward (EigmlVkEncoder *enc,
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

gboolean
eigml_vk_encode_matmul (EigmlVkEncoder *enc,
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
  /* WG, BM, BN, BK, TM, TN; the shared tiles take 12.4, 8.3 and 4.2 KiB */
  static const guint32 spec_large[6] = { 256, 128, 64, 16, 8, 4 };
  static const guint32 spec_medium[6] = { 256, 64, 64, 16, 4, 4 };
  static const guint32 spec_small[6] = { 256, 32, 32, 16, 2, 2 };
  const guint32 *spec = (m <= 32 || n <= 32) ? spec_small
                        : (m >= 128 && n >= 64) ? spec_large : spec_medium;

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
