/* vulkan-graph.c: a graph as one recorded command buffer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * graph_prepare encodes every node into dispatches (vulkan-ops.c) and
 * records them once into a command buffer that graph_compute resubmits on
 * every run, waiting on a fence with a bounded timeout.
 *
 * Barriers only where there is a hazard: the recorder keeps the byte
 * ranges (VkBuffer, start, end) read and written since the last barrier.
 * A dispatch that reads a range written since then (read after write), or
 * writes a range read or written since then (write after read or write),
 * gets one compute-to-compute memory barrier first, which resets both
 * sets. Independent nodes thus run without barriers between them; before
 * recording, dispatches are ordered by level in the conflict graph (see
 * schedule()) so that independent work sits between the same two barriers
 * (EIGML_VULKAN_NO_REORDER=1 keeps graph order).
 *
 * Descriptors are pushed (VK_KHR_push_descriptor) where the device has the
 * extension and EIGML_VULKAN_NO_PUSH_DESCRIPTORS is unset; otherwise each
 * dispatch gets its own set from a pool made at prepare time.
 *
 * Staging: when tensors are not host-mapped, the graph's inputs and
 * outputs get "mirrors" in a host-visible buffer of the graph. buffer_write
 * of an input lands in its mirror, and the command buffer begins by
 * copying the mirrors to the inputs; it ends by copying the outputs to
 * their mirrors, which buffer_read then serves. Uploads, run and
 * downloads are thus one submission.
 */
#include "config.h"

#include "vulkan-private.h"
#include "eigml-error.h"

#include <string.h>

typedef struct
{
  VkBuffer buffer;
  VkDeviceSize start;
  VkDeviceSize end;
} HazardRange;

typedef struct
{
  EigmlVkBuffer *buffer;
  gsize offset;
  gsize size;
  VkDeviceSize staging_offset;
  gboolean is_output;
  gboolean valid;          /* outputs: holds the result of the last run */
} Mirror;

typedef struct
{
  EigmlGraph *graph;
  VkCommandBuffer cmd;
  VkFence fence;
  VkDescriptorPool pool;
  EigmlBuffer *scratch;
  EigmlVkBlock *staging;
  GArray *mirrors;         /* Mirror */
  EigmlVulkanGraphStats stats;
} EigmlVkGraph;

/* ---- hazard tracking ----------------------------------------------------- */

static gboolean
overlaps_any (GArray *ranges,
              const HazardRange *r)
{
  for (guint i = 0; i < ranges->len; i++)
    {
      const HazardRange *o = &g_array_index (ranges, HazardRange, i);
      if (o->buffer == r->buffer && o->start < r->end && r->start < o->end)
        return TRUE;
    }
  return FALSE;
}

static HazardRange
resolve (const EigmlVkBinding *b,
         EigmlVkBuffer *scratch,
         VkDescriptorBufferInfo *info)
{
  EigmlVkBuffer *vb = b->buffer != NULL ? b->buffer : scratch;
  HazardRange r = {
    vb->block->buffer,
    vb->offset + b->offset,
    vb->offset + b->offset + b->size,
  };

  if (info != NULL)
    {
      info->buffer = r.buffer;
      info->offset = r.start;
      info->range = b->size;
    }
  return r;
}

/* ---- staging mirrors ----------------------------------------------------- */

static void
add_mirror (GArray *mirrors,
            EigmlVkBuffer *buffer,
            gsize offset,
            gsize size,
            gboolean is_output,
            VkDeviceSize *staging_size)
{
  Mirror m = { buffer, offset, size, 0, is_output, FALSE };

  for (guint i = 0; i < mirrors->len; i++)
    {
      Mirror *o = &g_array_index (mirrors, Mirror, i);
      if (o->buffer == buffer && o->offset == offset && o->size == size)
        return;
    }
  m.staging_offset = *staging_size;
  *staging_size += (size + 15) & ~(gsize) 15;
  g_array_append_val (mirrors, m);
}

static gboolean
written_by_graph (GArray *dispatches,
                  EigmlVkBuffer *buffer,
                  gsize offset,
                  gsize size)
{
  for (guint i = 0; i < dispatches->len; i++)
    {
      EigmlVkDispatch *d = &g_array_index (dispatches, EigmlVkDispatch, i);
      for (guint s = 0; s < d->n_bindings; s++)
        {
          EigmlVkBinding *b = &d->bindings[s];
          if (b->write && b->buffer == buffer && b->offset < offset + size &&
              offset < b->offset + b->size)
            return TRUE;
        }
    }
  return FALSE;
}

static gboolean
setup_mirrors (EigmlVulkanBackend *vk,
               EigmlVkGraph *vg,
               GArray *dispatches,
               GError **error)
{
  EigmlGraph *graph = vg->graph;
  VkDeviceSize staging_size = 0;

  vg->mirrors = g_array_new (FALSE, FALSE, sizeof (Mirror));
  if (vk->device_mappable || graph->arena == NULL)
    return TRUE;

  for (guint i = 0; i < graph->nodes->len; i++)
    {
      EigmlNode *node = g_ptr_array_index (graph->nodes, i);
      gboolean input = node->op == EIGML_OP_LEAF && node->leaf == EIGML_LEAF_INPUT;

      if (node->buffer != graph->arena)
        continue;
      /* an input some node updates in place keeps the direct path */
      if (input && !written_by_graph (dispatches, EIGML_VK_BUFFER (node->buffer), node->offset,
                                      node->n_bytes))
        add_mirror (vg->mirrors, EIGML_VK_BUFFER (node->buffer), node->offset, node->n_bytes,
                    FALSE, &staging_size);
      else if (!input && (node->flags & EIGML_NODE_OUTPUT))
        add_mirror (vg->mirrors, EIGML_VK_BUFFER (node->buffer), node->offset, node->n_bytes,
                    TRUE, &staging_size);
    }
  if (vg->mirrors->len == 0)
    return TRUE;
  vg->staging = eigml_vk_block_new_host (vk, staging_size, error);
  if (vg->staging == NULL)
    return FALSE;

  /* inputs start as what the device holds (the RNG state written at prepare) */
  for (guint i = 0; i < vg->mirrors->len; i++)
    {
      Mirror *m = &g_array_index (vg->mirrors, Mirror, i);
      if (!m->is_output &&
          !eigml_vk_buffer_read (&vk->parent, &m->buffer->parent, m->offset,
                                 vg->staging->mapped + m->staging_offset, m->size, error))
        return FALSE;
    }
  eigml_vk_block_flush (vk, vg->staging, 0, vg->staging->size);
  return TRUE;
}

typedef void (*MirrorOverlapFunc) (EigmlVkGraph *vg,
                                   Mirror *m,
                                   gsize start,
                                   gsize end,
                                   gpointer data);

/* Calls @func on the part of every input mirror that [offset, offset +
 * size) of @buffer overlaps; output mirrors it overlaps become stale. */
static void
for_each_input_overlap (EigmlVulkanBackend *vk,
                        EigmlVkBuffer *buffer,
                        gsize offset,
                        gsize size,
                        MirrorOverlapFunc func,
                        gpointer data)
{
  for (guint g = 0; g < vk->graphs->len; g++)
    {
      EigmlVkGraph *vg = g_ptr_array_index (vk->graphs, g);
      for (guint i = 0; i < vg->mirrors->len; i++)
        {
          Mirror *m = &g_array_index (vg->mirrors, Mirror, i);

          if (m->buffer != buffer || m->offset >= offset + size || offset >= m->offset + m->size)
            continue;
          if (m->is_output)
            {
              m->valid = FALSE;
              continue;
            }
          func (vg, m, MAX (m->offset, offset), MIN (m->offset + m->size, offset + size), data);
        }
    }
}

typedef struct
{
  gsize offset;
  gsize size;
  const guint8 *data;
  guint32 pattern;
  gboolean served;
} MirrorUpdate;

static void
mirror_copy_in (EigmlVkGraph *vg,
                Mirror *m,
                gsize start,
                gsize end,
                gpointer data)
{
  MirrorUpdate *u = data;

  memcpy (vg->staging->mapped + m->staging_offset + (start - m->offset),
          u->data + (start - u->offset), end - start);
  if (start == u->offset && end == u->offset + u->size)
    u->served = TRUE;
}

static void
mirror_fill (EigmlVkGraph *vg,
             Mirror *m,
             gsize start,
             gsize end,
             gpointer data)
{
  MirrorUpdate *u = data;

  /* offsets of fills and of tensors are multiples of 4 */
  for (gsize j = start; j + 4 <= end; j += 4)
    memcpy (vg->staging->mapped + m->staging_offset + (j - m->offset), &u->pattern, 4);
}

/* Called with vk->lock held, by buffer_write/read/fill on the staging path. */
gboolean
eigml_vk_mirrors_write (EigmlVulkanBackend *vk,
                        EigmlVkBuffer *buffer,
                        gsize offset,
                        const void *data,
                        gsize size)
{
  MirrorUpdate u = { offset, size, data, 0, FALSE };

  for_each_input_overlap (vk, buffer, offset, size, mirror_copy_in, &u);
  return u.served;
}

void
eigml_vk_mirrors_fill (EigmlVulkanBackend *vk,
                       EigmlVkBuffer *buffer,
                       gsize offset,
                       gsize size,
                       guint32 pattern)
{
  MirrorUpdate u = { offset, size, NULL, pattern, FALSE };

  for_each_input_overlap (vk, buffer, offset, size, mirror_fill, &u);
}

gboolean
eigml_vk_mirrors_read (EigmlVulkanBackend *vk,
                       EigmlVkBuffer *buffer,
                       gsize offset,
                       void *data,
                       gsize size,
                       gboolean patch_only)
{
  for (guint g = 0; g < vk->graphs->len; g++)
    {
      EigmlVkGraph *vg = g_ptr_array_index (vk->graphs, g);
      for (guint i = 0; i < vg->mirrors->len; i++)
        {
          Mirror *m = &g_array_index (vg->mirrors, Mirror, i);
          gsize start, end;

          if (m->buffer != buffer || m->offset >= offset + size || offset >= m->offset + m->size)
            continue;
          if (patch_only)
            {
              if (m->is_output)
                continue;
              start = MAX (m->offset, offset);
              end = MIN (m->offset + m->size, offset + size);
              memcpy ((guint8 *) data + (start - offset),
                      vg->staging->mapped + m->staging_offset + (start - m->offset), end - start);
            }
          else if ((!m->is_output || m->valid) && m->offset <= offset &&
                   offset + size <= m->offset + m->size)
            {
              eigml_vk_block_invalidate (vk, vg->staging, m->staging_offset, m->size);
              memcpy (data, vg->staging->mapped + m->staging_offset + (offset - m->offset), size);
              return TRUE;
            }
        }
    }
  return patch_only;
}

/* ---- scheduling ---------------------------------------------------------- */

typedef struct
{
  HazardRange range;
  guint write_level;       /* level of the last writer + 1, 0 if none */
  guint read_level;        /* highest level of a reader + 1, 0 if none */
} RangeHistory;

/* Levels: a dispatch goes one level above every earlier dispatch it
 * conflicts with (reads what it wrote, writes what it read or wrote).
 * Recording level by level keeps every conflicting pair in order and
 * groups independent dispatches between two barriers: the number of
 * barriers is the depth of the conflict graph, not the number of nodes
 * that happen to follow one another. The order within a level is graph
 * order. */
static guint *
schedule (GArray *dispatches,
          EigmlVkBuffer *scratch)
{
  guint n = dispatches->len;
  g_autofree guint *level = g_new0 (guint, MAX (n, 1));
  g_autoptr (GArray) history = g_array_new (FALSE, FALSE, sizeof (RangeHistory));
  guint *order = g_new (guint, MAX (n, 1));
  guint max_level = 0, k = 0;

  for (guint i = 0; i < n; i++)
    {
      EigmlVkDispatch *d = &g_array_index (dispatches, EigmlVkDispatch, i);
      HazardRange ranges[EIGML_VK_MAX_BINDINGS];
      guint lv = 0;

      for (guint s = 0; s < d->n_bindings; s++)
        {
          ranges[s] = resolve (&d->bindings[s], scratch, NULL);
          for (guint h = 0; h < history->len; h++)
            {
              RangeHistory *e = &g_array_index (history, RangeHistory, h);
              if (e->range.buffer != ranges[s].buffer || e->range.start >= ranges[s].end ||
                  ranges[s].start >= e->range.end)
                continue;
              lv = MAX (lv, e->write_level);
              if (d->bindings[s].write)
                lv = MAX (lv, e->read_level);
            }
        }
      level[i] = lv;
      max_level = MAX (max_level, lv);
      for (guint s = 0; s < d->n_bindings; s++)
        {
          RangeHistory e = { ranges[s], 0, 0 };
          if (d->bindings[s].write)
            e.write_level = lv + 1;
          else
            e.read_level = lv + 1;
          g_array_append_val (history, e);
        }
    }
  for (guint l = 0; l <= max_level && n > 0; l++)
    for (guint i = 0; i < n; i++)
      if (level[i] == l)
        order[k++] = i;
  return order;
}

/* ---- recording ----------------------------------------------------------- */

static gboolean
allocate_descriptor_sets (EigmlVulkanBackend *vk,
                          EigmlVkGraph *vg,
                          GArray *dispatches,
                          VkDescriptorSet *sets,
                          GError **error)
{
  guint n_descriptors = 0;
  VkDescriptorPoolSize pool_size = { VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 0 };
  VkDescriptorPoolCreateInfo pool_info = {
    .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
    .maxSets = dispatches->len,
    .poolSizeCount = 1,
    .pPoolSizes = &pool_size,
  };
  g_autofree VkDescriptorSetLayout *layouts = g_new (VkDescriptorSetLayout, dispatches->len);
  VkDescriptorSetAllocateInfo alloc_info = {
    .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
    .descriptorSetCount = dispatches->len,
    .pSetLayouts = layouts,
  };

  /* every set has the universal layout: EIGML_VK_MAX_BINDINGS buffers */
  n_descriptors = dispatches->len * EIGML_VK_MAX_BINDINGS;
  pool_size.descriptorCount = n_descriptors;
  if (!eigml_vk_check (vkCreateDescriptorPool (vk->device, &pool_info, NULL, &vg->pool),
                       "vkCreateDescriptorPool", error))
    return FALSE;
  for (guint i = 0; i < dispatches->len; i++)
    layouts[i] = vk->set_layout;
  alloc_info.descriptorPool = vg->pool;
  if (!eigml_vk_check (vkAllocateDescriptorSets (vk->device, &alloc_info, sets),
                       "vkAllocateDescriptorSets", error))
    return FALSE;
  vg->stats.n_descriptor_sets = dispatches->len;

  for (guint i = 0; i < dispatches->len; i++)
    {
      EigmlVkDispatch *d = &g_array_index (dispatches, EigmlVkDispatch, i);
      VkDescriptorBufferInfo infos[EIGML_VK_MAX_BINDINGS];
      VkWriteDescriptorSet writes[EIGML_VK_MAX_BINDINGS];

      for (guint s = 0; s < d->n_bindings; s++)
        {
          resolve (&d->bindings[s], EIGML_VK_BUFFER (vg->scratch), &infos[s]);
          writes[s] = (VkWriteDescriptorSet) {
            .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
            .dstSet = sets[i],
            .dstBinding = s,
            .descriptorCount = 1,
            .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
            .pBufferInfo = &infos[s],
          };
        }
      vkUpdateDescriptorSets (vk->device, d->n_bindings, writes, 0, NULL);
    }
  return TRUE;
}

static void
record_copies (EigmlVkGraph *vg,
               EigmlVkBlock *arena_block,
               gboolean outputs)
{
  g_autoptr (GArray) regions = g_array_new (FALSE, FALSE, sizeof (VkBufferCopy));

  for (guint i = 0; i < vg->mirrors->len; i++)
    {
      Mirror *m = &g_array_index (vg->mirrors, Mirror, i);
      VkBufferCopy r;

      if (m->is_output != outputs)
        continue;
      if (outputs)
        r = (VkBufferCopy) { m->buffer->offset + m->offset, m->staging_offset, m->size };
      else
        r = (VkBufferCopy) { m->staging_offset, m->buffer->offset + m->offset, m->size };
      g_array_append_val (regions, r);
    }
  if (regions->len == 0)
    return;
  if (outputs)
    {
      vkCmdCopyBuffer (vg->cmd, arena_block->buffer, vg->staging->buffer, regions->len,
                       (VkBufferCopy *) regions->data);
      vg->stats.n_downloads = regions->len;
    }
  else
    {
      vkCmdCopyBuffer (vg->cmd, vg->staging->buffer, arena_block->buffer, regions->len,
                       (VkBufferCopy *) regions->data);
      vg->stats.n_uploads = regions->len;
    }
}

static gboolean
record (EigmlVulkanBackend *vk,
        EigmlVkGraph *vg,
        GArray *dispatches,
        GError **error)
{
  VkCommandBufferBeginInfo begin = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO };
  g_autofree VkDescriptorSet *sets = NULL;
  g_autoptr (GArray) reads = g_array_new (FALSE, FALSE, sizeof (HazardRange));
  g_autoptr (GArray) writes = g_array_new (FALSE, FALSE, sizeof (HazardRange));
  EigmlVkBlock *arena_block = vg->graph->arena ? EIGML_VK_BUFFER (vg->graph->arena)->block
                                               : NULL;
  EigmlVkBuffer *scratch = EIGML_VK_BUFFER (vg->scratch);
  VkPipeline bound = VK_NULL_HANDLE;
  g_autofree guint *order = NULL;

  if (vk->reorder)
    order = schedule (dispatches, scratch);
  if (vk->cmd_push_descriptor_set == NULL && dispatches->len > 0)
    {
      sets = g_new0 (VkDescriptorSet, dispatches->len);
      if (!allocate_descriptor_sets (vk, vg, dispatches, sets, error))
        return FALSE;
    }

  if (!eigml_vk_check (vkBeginCommandBuffer (vg->cmd, &begin), "vkBeginCommandBuffer", error))
    return FALSE;

  /* what earlier submissions (runs, transfers) wrote or read is done */
  eigml_vk_cmd_global_barrier (vg->cmd,
                               VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT |
                               VK_PIPELINE_STAGE_TRANSFER_BIT,
                               VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
                               VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT |
                               VK_PIPELINE_STAGE_TRANSFER_BIT,
                               VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                               VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT);
  vg->stats.n_fixed_barriers++;
  if (vg->staging != NULL)
    {
      record_copies (vg, arena_block, FALSE);
      if (vg->stats.n_uploads > 0)
        {
          eigml_vk_cmd_global_barrier (vg->cmd, VK_PIPELINE_STAGE_TRANSFER_BIT,
                                       VK_ACCESS_TRANSFER_WRITE_BIT,
                                       VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT |
                                       VK_PIPELINE_STAGE_TRANSFER_BIT,
                                       VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                                       VK_ACCESS_TRANSFER_READ_BIT);
          vg->stats.n_fixed_barriers++;
        }
    }

  for (guint k = 0; k < dispatches->len; k++)
    {
      guint i = order != NULL ? order[k] : k;
      EigmlVkDispatch *d = &g_array_index (dispatches, EigmlVkDispatch, i);
      VkDescriptorBufferInfo infos[EIGML_VK_MAX_BINDINGS];
      HazardRange ranges[EIGML_VK_MAX_BINDINGS];
      gboolean hazard = FALSE;

      for (guint s = 0; s < d->n_bindings; s++)
        {
          ranges[s] = resolve (&d->bindings[s], scratch, &infos[s]);
          if (overlaps_any (writes, &ranges[s]) ||
              (d->bindings[s].write && overlaps_any (reads, &ranges[s])))
            hazard = TRUE;
        }
      if (hazard)
        {
          eigml_vk_cmd_global_barrier (vg->cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                                       VK_ACCESS_SHADER_WRITE_BIT,
                                       VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                                       VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT);
          vg->stats.n_barriers++;
          g_array_set_size (reads, 0);
          g_array_set_size (writes, 0);
        }
      for (guint s = 0; s < d->n_bindings; s++)
        g_array_append_val (d->bindings[s].write ? writes : reads, ranges[s]);

      if (d->pipeline->pipeline != bound)
        {
          vkCmdBindPipeline (vg->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, d->pipeline->pipeline);
          bound = d->pipeline->pipeline;
        }
      if (sets != NULL)
        vkCmdBindDescriptorSets (vg->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, vk->pipeline_layout, 0,
                                 1, &sets[i], 0, NULL);
      else
        {
          VkWriteDescriptorSet w[EIGML_VK_MAX_BINDINGS];
          for (guint s = 0; s < d->n_bindings; s++)
            w[s] = (VkWriteDescriptorSet) {
              .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
              .dstBinding = s,
              .descriptorCount = 1,
              .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
              .pBufferInfo = &infos[s],
            };
          vk->cmd_push_descriptor_set (vg->cmd, VK_PIPELINE_BIND_POINT_COMPUTE,
                                       vk->pipeline_layout, 0, d->n_bindings, w);
        }
      if (d->push_words > 0)
        vkCmdPushConstants (vg->cmd, vk->pipeline_layout, VK_SHADER_STAGE_COMPUTE_BIT, 0,
                            d->push_words * 4, d->push);
      if (d->base[0] || d->base[1] || d->base[2])
        vkCmdDispatchBase (vg->cmd, d->base[0], d->base[1], d->base[2], d->groups[0],
                           d->groups[1], d->groups[2]);
      else
        vkCmdDispatch (vg->cmd, d->groups[0], d->groups[1], d->groups[2]);
      vg->stats.n_dispatches++;
    }

  if (vg->staging != NULL)
    {
      gboolean has_outputs = FALSE;
      for (guint i = 0; i < vg->mirrors->len; i++)
        has_outputs |= g_array_index (vg->mirrors, Mirror, i).is_output;
      if (has_outputs)
        {
          eigml_vk_cmd_global_barrier (vg->cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                                       VK_ACCESS_SHADER_WRITE_BIT,
                                       VK_PIPELINE_STAGE_TRANSFER_BIT,
                                       VK_ACCESS_TRANSFER_READ_BIT);
          vg->stats.n_fixed_barriers++;
          record_copies (vg, arena_block, TRUE);
        }
    }
  /* results visible to the host after the fence */
  eigml_vk_cmd_global_barrier (vg->cmd,
                               VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT |
                               VK_PIPELINE_STAGE_TRANSFER_BIT,
                               VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
                               VK_PIPELINE_STAGE_HOST_BIT, VK_ACCESS_HOST_READ_BIT);
  vg->stats.n_fixed_barriers++;
  return eigml_vk_check (vkEndCommandBuffer (vg->cmd), "vkEndCommandBuffer", error);
}

/* ---- the backend's graph entry points ------------------------------------ */

static void
vk_graph_free (EigmlVulkanBackend *vk,
               EigmlVkGraph *vg)
{
  g_ptr_array_remove (vk->graphs, vg);
  /* after a timeout the command buffer may still be pending */
  if (vk->lost)
    vkDeviceWaitIdle (vk->device);
  if (vg->pool != VK_NULL_HANDLE)
    vkDestroyDescriptorPool (vk->device, vg->pool, NULL);
  if (vg->cmd != VK_NULL_HANDLE)
    vkFreeCommandBuffers (vk->device, vk->command_pool, 1, &vg->cmd);
  if (vg->fence != VK_NULL_HANDLE)
    vkDestroyFence (vk->device, vg->fence, NULL);
  g_clear_pointer (&vg->scratch, eigml_buffer_free);
  if (vg->staging != NULL)
    eigml_vk_block_free (vk, vg->staging);
  g_clear_pointer (&vg->mirrors, g_array_unref);
  g_free (vg);
}

gboolean
eigml_vk_graph_prepare (EigmlBackend *backend,
                        EigmlGraph *graph,
                        GError **error)
{
  EigmlVulkanBackend *vk = EIGML_VK_BACKEND (backend);
  EigmlVkEncoder enc = { vk, g_array_new (FALSE, FALSE, sizeof (EigmlVkDispatch)), 0 };
  EigmlVkGraph *vg;
  VkCommandBufferAllocateInfo cmd_info = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
    .commandPool = vk->command_pool,
    .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
    .commandBufferCount = 1,
  };
  VkFenceCreateInfo fence_info = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
  gboolean ok = FALSE;

  if (graph->backend_data != NULL)
    eigml_vk_graph_release (backend, graph);

  g_rec_mutex_lock (&vk->lock);
  vg = g_new0 (EigmlVkGraph, 1);
  vg->graph = graph;

  for (guint i = 0; i < graph->nodes->len; i++)
    {
      const EigmlNode *node = g_ptr_array_index (graph->nodes, i);
      if (node->op == EIGML_OP_LEAF || node->op == EIGML_OP_VIEW)
        continue;
      if (!eigml_vk_encode_node (&enc, node, error))
        goto out;
    }
  if (enc.scratch_size > 0)
    {
      vg->scratch = eigml_vk_buffer_new (backend, enc.scratch_size, error);
      if (vg->scratch == NULL)
        goto out;
      vg->stats.scratch_bytes = enc.scratch_size;
    }
  if (!setup_mirrors (vk, vg, enc.dispatches, error))
    goto out;
  if (!eigml_vk_check (vkAllocateCommandBuffers (vk->device, &cmd_info, &vg->cmd),
                       "vkAllocateCommandBuffers", error) ||
      !eigml_vk_check (vkCreateFence (vk->device, &fence_info, NULL, &vg->fence),
                       "vkCreateFence", error))
    goto out;
  if (!record (vk, vg, enc.dispatches, error))
    goto out;

  g_ptr_array_add (vk->graphs, vg);
  graph->backend_data = vg;
  g_debug ("Vulkan graph prepared: %u dispatches, %u barriers (+%u fixed), %u descriptor "
           "sets, %u uploads, %u downloads, %" G_GUINT64_FORMAT " bytes of scratch",
           vg->stats.n_dispatches, vg->stats.n_barriers, vg->stats.n_fixed_barriers,
           vg->stats.n_descriptor_sets, vg->stats.n_uploads, vg->stats.n_downloads,
           vg->stats.scratch_bytes);
  ok = TRUE;

out:
  if (!ok)
    vk_graph_free (vk, vg);
  g_rec_mutex_unlock (&vk->lock);
  g_array_unref (enc.dispatches);
  return ok;
}

gboolean
eigml_vk_graph_compute (EigmlBackend *backend,
                        EigmlGraph *graph,
                        GError **error)
{
  EigmlVulkanBackend *vk = EIGML_VK_BACKEND (backend);
  EigmlVkGraph *vg = graph->backend_data;
  VkSubmitInfo submit = {
    .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
    .commandBufferCount = 1,
  };
  gboolean ok;

  if (vg == NULL)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "the graph was not prepared on the Vulkan backend");
      return FALSE;
    }
  g_rec_mutex_lock (&vk->lock);
  if (vk->lost)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_DEVICE,
                   "the Vulkan device %s timed out or was lost earlier", backend->device_name);
      g_rec_mutex_unlock (&vk->lock);
      return FALSE;
    }
  if (vg->staging != NULL)
    eigml_vk_block_flush (vk, vg->staging, 0, vg->staging->size);
  submit.pCommandBuffers = &vg->cmd;
  ok = eigml_vk_check (vkQueueSubmit (vk->queue, 1, &submit, vg->fence), "vkQueueSubmit", error) &&
       eigml_vk_wait_fence (vk, vg->fence, "the graph", error);
  if (ok && vg->staging != NULL)
    {
      eigml_vk_block_invalidate (vk, vg->staging, 0, vg->staging->size);
      for (guint i = 0; i < vg->mirrors->len; i++)
        {
          Mirror *m = &g_array_index (vg->mirrors, Mirror, i);
          if (m->is_output)
            m->valid = TRUE;
        }
    }
  g_rec_mutex_unlock (&vk->lock);
  return ok;
}

void
eigml_vk_graph_release (EigmlBackend *backend,
                        EigmlGraph *graph)
{
  EigmlVulkanBackend *vk = EIGML_VK_BACKEND (backend);
  EigmlVkGraph *vg = graph->backend_data;

  if (vg == NULL)
    return;
  g_rec_mutex_lock (&vk->lock);
  vk_graph_free (vk, vg);
  graph->backend_data = NULL;
  g_rec_mutex_unlock (&vk->lock);
}

gboolean
eigml_vulkan_graph_get_stats (EigmlGraph *graph,
                              EigmlVulkanGraphStats *stats)
{
  EigmlVkGraph *vg;

  g_return_val_if_fail (stats != NULL, FALSE);
  memset (stats, 0, sizeof *stats);
  if (graph == NULL || graph->backend == NULL || graph->backend->kind != EIGML_BACKEND_VULKAN ||
      graph->backend_data == NULL)
    return FALSE;
  vg = graph->backend_data;
  *stats = vg->stats;
  return TRUE;
}
