/* vulkan-memory.c: device memory blocks, sub-allocation and staging copies
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Tensors live in a few large blocks (one VkDeviceMemory and one VkBuffer
 * over it each, at most 1 GiB and at most maxMemoryAllocationSize); a
 * buffer is an aligned range of a block, handed out from a sorted,
 * coalescing free list. A buffer larger than half a block gets a block of
 * its own. Where a memory type is both device-local and host-visible with
 * the device's main heap behind it (integrated GPUs, ReBAR, lavapipe) the
 * blocks stay mapped and the host reads and writes them directly;
 * otherwise every host access goes through a host-visible staging buffer
 * and vkCmdCopyBuffer. EIGML_VULKAN_FORCE_STAGING=1 forces the second path
 * so that it is tested on devices that would not need it.
 */
#include "config.h"

#include "vulkan-private.h"
#include "eigml-error.h"

#include <string.h>

#define BUFFER_USAGE (VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | \
                      VK_BUFFER_USAGE_TRANSFER_DST_BIT)
#define DEFAULT_BLOCK_SIZE ((VkDeviceSize) 256 << 20)
#define MAX_BLOCK_SIZE ((VkDeviceSize) 1 << 30)
#define STAGING_SIZE ((VkDeviceSize) 8 << 20)

static VkDeviceSize
align_up (VkDeviceSize x,
          VkDeviceSize alignment)
{
  return (x + alignment - 1) & ~(alignment - 1);
}

/* ---- memory types -------------------------------------------------------- */

static gint
find_memory_type (EigmlVulkanBackend *vk,
                  guint32 type_bits,
                  VkMemoryPropertyFlags required,
                  VkMemoryPropertyFlags avoid)
{
  for (guint32 i = 0; i < vk->mem_props.memoryTypeCount; i++)
    {
      VkMemoryPropertyFlags f = vk->mem_props.memoryTypes[i].propertyFlags;
      if ((type_bits & (1u << i)) && (f & required) == required && (f & avoid) == 0)
        return (gint) i;
    }
  return -1;
}

static VkDeviceSize
heap_size_of_type (EigmlVulkanBackend *vk,
                   guint32 type)
{
  return vk->mem_props.memoryHeaps[vk->mem_props.memoryTypes[type].heapIndex].size;
}

static gboolean
choose_memory_types (EigmlVulkanBackend *vk,
                     guint32 type_bits,
                     gboolean force_staging,
                     GError **error)
{
  const VkMemoryPropertyFlags DL = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
  const VkMemoryPropertyFlags HV = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT;
  const VkMemoryPropertyFlags HC = VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  const VkMemoryPropertyFlags SKIP = VK_MEMORY_PROPERTY_PROTECTED_BIT |
                                     VK_MEMORY_PROPERTY_LAZILY_ALLOCATED_BIT;
  VkDeviceSize largest_dl = 0;
  gint t;

  for (guint32 i = 0; i < vk->mem_props.memoryHeapCount; i++)
    if (vk->mem_props.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)
      largest_dl = MAX (largest_dl, vk->mem_props.memoryHeaps[i].size);

  /* mapped device memory, but only on the main heap (not a 256 MiB BAR) */
  t = find_memory_type (vk, type_bits, DL | HV | HC, SKIP);
  if (t < 0)
    t = find_memory_type (vk, type_bits, DL | HV, SKIP);
  if (t >= 0 && !force_staging && heap_size_of_type (vk, t) >= largest_dl)
    {
      vk->device_type = (guint32) t;
      vk->device_mappable = TRUE;
    }
  else
    {
      t = find_memory_type (vk, type_bits, DL, SKIP);
      if (t < 0)
        t = find_memory_type (vk, type_bits, 0, SKIP);
      if (t < 0)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_NO_DEVICE,
                       "no Vulkan device: %s has no memory type for storage buffers",
                       vk->props.deviceName);
          return FALSE;
        }
      vk->device_type = (guint32) t;
      vk->device_mappable = FALSE;
    }

  t = find_memory_type (vk, type_bits, HV | HC, SKIP);
  if (t < 0)
    t = find_memory_type (vk, type_bits, HV, SKIP);
  if (t < 0)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_NO_DEVICE,
                   "no Vulkan device: %s has no host-visible memory type",
                   vk->props.deviceName);
      return FALSE;
    }
  vk->staging_type = (guint32) t;
  return TRUE;
}

/* ---- blocks -------------------------------------------------------------- */

static EigmlVkBlock *
block_new (EigmlVulkanBackend *vk,
           VkDeviceSize size,
           guint32 type,
           gboolean map,
           gboolean dedicated,
           GError **error)
{
  EigmlVkBlock *block = g_new0 (EigmlVkBlock, 1);
  VkBufferCreateInfo buffer_info = {
    .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
    .size = size,
    .usage = BUFFER_USAGE,
    .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
  };
  VkMemoryRequirements req;
  VkMemoryAllocateInfo alloc_info = { .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO };
  EigmlVkRange all = { 0, size };

  block->size = size;
  block->dedicated = dedicated;
  block->free_ranges = g_array_new (FALSE, FALSE, sizeof (EigmlVkRange));
  g_array_append_val (block->free_ranges, all);

  if (!eigml_vk_check (vkCreateBuffer (vk->device, &buffer_info, NULL, &block->buffer),
                       "vkCreateBuffer", error))
    goto fail;
  vkGetBufferMemoryRequirements (vk->device, block->buffer, &req);
  if (!(req.memoryTypeBits & (1u << type)))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_DEVICE,
                   "memory type %u cannot hold a storage buffer", type);
      goto fail;
    }
  alloc_info.allocationSize = req.size;
  alloc_info.memoryTypeIndex = type;
  if (!eigml_vk_check (vkAllocateMemory (vk->device, &alloc_info, NULL, &block->memory),
                       "vkAllocateMemory", error))
    {
      g_prefix_error (error, "allocating %" G_GUINT64_FORMAT " bytes of Vulkan memory: ",
                      (guint64) req.size);
      goto fail;
    }
  if (!eigml_vk_check (vkBindBufferMemory (vk->device, block->buffer, block->memory, 0),
                       "vkBindBufferMemory", error))
    goto fail;
  block->coherent = (vk->mem_props.memoryTypes[type].propertyFlags &
                     VK_MEMORY_PROPERTY_HOST_COHERENT_BIT) != 0;
  if (map)
    {
      void *ptr = NULL;
      if (!eigml_vk_check (vkMapMemory (vk->device, block->memory, 0, VK_WHOLE_SIZE, 0, &ptr),
                           "vkMapMemory", error))
        goto fail;
      block->mapped = ptr;
    }
  return block;

fail:
  eigml_vk_block_free (vk, block);
  return NULL;
}

void
eigml_vk_block_free (EigmlVulkanBackend *vk,
                     EigmlVkBlock *block)
{
  if (block == NULL)
    return;
  if (block->mapped != NULL)
    vkUnmapMemory (vk->device, block->memory);
  if (block->buffer != VK_NULL_HANDLE)
    vkDestroyBuffer (vk->device, block->buffer, NULL);
  if (block->memory != VK_NULL_HANDLE)
    vkFreeMemory (vk->device, block->memory, NULL);
  g_array_unref (block->free_ranges);
  g_free (block);
}

EigmlVkBlock *
eigml_vk_block_new_host (EigmlVulkanBackend *vk,
                         VkDeviceSize size,
                         GError **error)
{
  return block_new (vk, align_up (MAX (size, 4), 256), vk->staging_type, TRUE, TRUE, error);
}

/* Flush / invalidate a mapped range of non-coherent memory, widened to
 * nonCoherentAtomSize as the spec requires. */
static VkMappedMemoryRange
atom_range (EigmlVulkanBackend *vk,
            EigmlVkBlock *block,
            VkDeviceSize offset,
            VkDeviceSize size)
{
  VkDeviceSize start = offset / vk->non_coherent_atom * vk->non_coherent_atom;
  VkDeviceSize end = MIN (align_up (offset + size, vk->non_coherent_atom), block->size);
  VkMappedMemoryRange r = {
    .sType = VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE,
    .memory = block->memory,
    .offset = start,
    .size = end == block->size ? VK_WHOLE_SIZE : end - start,
  };
  return r;
}

void
eigml_vk_block_flush (EigmlVulkanBackend *vk,
                      EigmlVkBlock *block,
                      VkDeviceSize offset,
                      VkDeviceSize size)
{
  VkMappedMemoryRange r;

  if (block->coherent || size == 0)
    return;
  r = atom_range (vk, block, offset, size);
  if (vkFlushMappedMemoryRanges (vk->device, 1, &r) != VK_SUCCESS)
    g_debug ("vkFlushMappedMemoryRanges failed");
}

void
eigml_vk_block_invalidate (EigmlVulkanBackend *vk,
                           EigmlVkBlock *block,
                           VkDeviceSize offset,
                           VkDeviceSize size)
{
  VkMappedMemoryRange r;

  if (block->coherent || size == 0)
    return;
  r = atom_range (vk, block, offset, size);
  if (vkInvalidateMappedMemoryRanges (vk->device, 1, &r) != VK_SUCCESS)
    g_debug ("vkInvalidateMappedMemoryRanges failed");
}

static gboolean
block_alloc_range (EigmlVkBlock *block,
                   VkDeviceSize size,
                   VkDeviceSize *offset_out)
{
  guint best = G_MAXUINT;
  VkDeviceSize best_size = G_MAXUINT64;

  /* best fit; every offset and size is a multiple of the alignment */
  for (guint i = 0; i < block->free_ranges->len; i++)
    {
      EigmlVkRange *r = &g_array_index (block->free_ranges, EigmlVkRange, i);
      if (r->size >= size && r->size < best_size)
        {
          best = i;
          best_size = r->size;
        }
    }
  if (best == G_MAXUINT)
    return FALSE;
  {
    EigmlVkRange *r = &g_array_index (block->free_ranges, EigmlVkRange, best);
    *offset_out = r->offset;
    r->offset += size;
    r->size -= size;
    if (r->size == 0)
      g_array_remove_index (block->free_ranges, best);
  }
  block->n_live++;
  return TRUE;
}

static void
block_free_range (EigmlVkBlock *block,
                  VkDeviceSize offset,
                  VkDeviceSize size)
{
  EigmlVkRange nr = { offset, size };
  guint i = 0;

  while (i < block->free_ranges->len &&
         g_array_index (block->free_ranges, EigmlVkRange, i).offset < offset)
    i++;
  g_array_insert_val (block->free_ranges, i, nr);
  if (i + 1 < block->free_ranges->len)
    {
      EigmlVkRange *cur = &g_array_index (block->free_ranges, EigmlVkRange, i);
      EigmlVkRange *next = &g_array_index (block->free_ranges, EigmlVkRange, i + 1);
      if (cur->offset + cur->size == next->offset)
        {
          cur->size += next->size;
          g_array_remove_index (block->free_ranges, i + 1);
        }
    }
  if (i > 0)
    {
      EigmlVkRange *prev = &g_array_index (block->free_ranges, EigmlVkRange, i - 1);
      EigmlVkRange *cur = &g_array_index (block->free_ranges, EigmlVkRange, i);
      if (prev->offset + prev->size == cur->offset)
        {
          prev->size += cur->size;
          g_array_remove_index (block->free_ranges, i);
        }
    }
  block->n_live--;
}

/* ---- set-up -------------------------------------------------------------- */

gboolean
eigml_vk_memory_init (EigmlVulkanBackend *vk,
                      GError **error)
{
  VkBufferCreateInfo probe_info = {
    .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
    .size = 4096,
    .usage = BUFFER_USAGE,
    .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
  };
  VkBuffer probe = VK_NULL_HANDLE;
  VkMemoryRequirements req;
  const char *env_staging = g_getenv ("EIGML_VULKAN_FORCE_STAGING");
  const char *env_block = g_getenv ("EIGML_VULKAN_BLOCK_SIZE");
  gboolean force_staging = env_staging != NULL && g_str_equal (env_staging, "1");
  VkCommandPoolCreateInfo pool_info = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
    .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
    .queueFamilyIndex = vk->queue_family,
  };
  VkCommandBufferAllocateInfo cmd_info = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
    .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
    .commandBufferCount = 1,
  };
  VkFenceCreateInfo fence_info = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };

  vk->blocks = g_ptr_array_new ();
  if (!eigml_vk_check (vkCreateBuffer (vk->device, &probe_info, NULL, &probe),
                       "vkCreateBuffer", error))
    return FALSE;
  vkGetBufferMemoryRequirements (vk->device, probe, &req);
  vkDestroyBuffer (vk->device, probe, NULL);
  if (!choose_memory_types (vk, req.memoryTypeBits, force_staging, error))
    return FALSE;

  vk->block_size = MIN (DEFAULT_BLOCK_SIZE, vk->max_allocation);
  vk->block_size = MIN (vk->block_size, heap_size_of_type (vk, vk->device_type) / 4);
  if (env_block != NULL && *env_block != '\0')
    {
      /* for tests: small blocks make multi-block cases cheap */
      guint64 v = g_ascii_strtoull (env_block, NULL, 10);
      if (v > 0)
        vk->block_size = MIN ((VkDeviceSize) v, MAX_BLOCK_SIZE);
    }
  vk->block_size = MAX (align_up (vk->block_size, vk->parent.alignment), vk->parent.alignment);

  if (!eigml_vk_check (vkCreateCommandPool (vk->device, &pool_info, NULL, &vk->command_pool),
                       "vkCreateCommandPool", error))
    return FALSE;
  cmd_info.commandPool = vk->command_pool;
  if (!eigml_vk_check (vkAllocateCommandBuffers (vk->device, &cmd_info, &vk->transfer_cmd),
                       "vkAllocateCommandBuffers", error))
    return FALSE;
  if (!eigml_vk_check (vkCreateFence (vk->device, &fence_info, NULL, &vk->transfer_fence),
                       "vkCreateFence", error))
    return FALSE;
  g_debug ("Vulkan memory: tensors in type %u (%s), staging type %u, blocks of %"
           G_GUINT64_FORMAT " bytes", vk->device_type,
           vk->device_mappable ? "mapped" : "through staging", vk->staging_type,
           (guint64) vk->block_size);
  return TRUE;
}

void
eigml_vk_memory_finish (EigmlVulkanBackend *vk)
{
  if (vk->blocks != NULL)
    {
      for (guint i = 0; i < vk->blocks->len; i++)
        eigml_vk_block_free (vk, g_ptr_array_index (vk->blocks, i));
      g_clear_pointer (&vk->blocks, g_ptr_array_unref);
    }
  if (vk->staging != NULL)
    eigml_vk_block_free (vk, g_steal_pointer (&vk->staging));
  if (vk->transfer_fence != VK_NULL_HANDLE)
    vkDestroyFence (vk->device, vk->transfer_fence, NULL);
  if (vk->command_pool != VK_NULL_HANDLE)
    vkDestroyCommandPool (vk->device, vk->command_pool, NULL);
}

/* ---- synchronisation helpers --------------------------------------------- */

void
eigml_vk_cmd_global_barrier (VkCommandBuffer cmd,
                             VkPipelineStageFlags src_stages,
                             VkAccessFlags src_access,
                             VkPipelineStageFlags dst_stages,
                             VkAccessFlags dst_access)
{
  VkMemoryBarrier barrier = {
    .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
    .srcAccessMask = src_access,
    .dstAccessMask = dst_access,
  };

  vkCmdPipelineBarrier (cmd, src_stages, dst_stages, 0, 1, &barrier, 0, NULL, 0, NULL);
}

gboolean
eigml_vk_wait_fence (EigmlVulkanBackend *vk,
                     VkFence fence,
                     const char *what,
                     GError **error)
{
  VkResult r = vkWaitForFences (vk->device, 1, &fence, VK_TRUE, vk->timeout_ns);

  if (r == VK_SUCCESS)
    return eigml_vk_check (vkResetFences (vk->device, 1, &fence), "vkResetFences", error);
  vk->lost = TRUE;
  if (r == VK_TIMEOUT)
    g_set_error (error, EIGML_ERROR, EIGML_ERROR_DEVICE,
                 "the Vulkan device did not finish %s within %" G_GUINT64_FORMAT
                 " ms (EIGML_VULKAN_TIMEOUT_MS); the backend is unusable now",
                 what, vk->timeout_ns / 1000000);
  else
    g_set_error (error, EIGML_ERROR, EIGML_ERROR_DEVICE,
                 "waiting for %s failed: %s; the backend is unusable now", what,
                 eigml_vk_result_to_string (r));
  return FALSE;
}

static gboolean
check_not_lost (EigmlVulkanBackend *vk,
                GError **error)
{
  if (!vk->lost)
    return TRUE;
  g_set_error (error, EIGML_ERROR, EIGML_ERROR_DEVICE,
               "the Vulkan device %s timed out or was lost earlier", vk->parent.device_name);
  return FALSE;
}

/* ---- buffers ------------------------------------------------------------- */

EigmlBuffer *
eigml_vk_buffer_new (EigmlBackend *backend,
                     gsize size,
                     GError **error)
{
  EigmlVulkanBackend *vk = EIGML_VK_BACKEND (backend);
  VkDeviceSize alloc_size = align_up (MAX (size, 4), backend->alignment);
  EigmlVkBlock *block = NULL;
  VkDeviceSize offset = 0;
  EigmlVkBuffer *buffer;

  if (alloc_size > vk->max_allocation)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_OUT_OF_MEMORY,
                   "a buffer of %" G_GSIZE_FORMAT " bytes is larger than %s allows in one "
                   "allocation (%" G_GUINT64_FORMAT " bytes)", size, backend->device_name,
                   (guint64) vk->max_allocation);
      return NULL;
    }

  g_rec_mutex_lock (&vk->lock);
  if (alloc_size > vk->block_size / 2)
    {
      block = block_new (vk, alloc_size, vk->device_type, vk->device_mappable, TRUE, error);
      if (block == NULL)
        {
          g_rec_mutex_unlock (&vk->lock);
          return NULL;
        }
      block_alloc_range (block, alloc_size, &offset);
      g_ptr_array_add (vk->blocks, block);
    }
  else
    {
      for (guint i = 0; i < vk->blocks->len && block == NULL; i++)
        {
          EigmlVkBlock *b = g_ptr_array_index (vk->blocks, i);
          if (!b->dedicated && block_alloc_range (b, alloc_size, &offset))
            block = b;
        }
      if (block == NULL)
        {
          block = block_new (vk, vk->block_size, vk->device_type, vk->device_mappable, FALSE,
                             error);
          if (block == NULL)
            {
              g_rec_mutex_unlock (&vk->lock);
              return NULL;
            }
          g_ptr_array_add (vk->blocks, block);
          block_alloc_range (block, alloc_size, &offset);
        }
    }
  g_rec_mutex_unlock (&vk->lock);

  buffer = g_new0 (EigmlVkBuffer, 1);
  buffer->parent.backend = backend;
  buffer->parent.size = size;
  buffer->parent.host_ptr = block->mapped != NULL ? block->mapped + offset : NULL;
  buffer->block = block;
  buffer->offset = offset;
  buffer->alloc_size = alloc_size;
  return &buffer->parent;
}

void
eigml_vk_buffer_free (EigmlBackend *backend,
                      EigmlBuffer *buffer)
{
  EigmlVulkanBackend *vk = EIGML_VK_BACKEND (backend);
  EigmlVkBuffer *vb = EIGML_VK_BUFFER (buffer);
  EigmlVkBlock *block = vb->block;

  g_rec_mutex_lock (&vk->lock);
  block_free_range (block, vb->offset, vb->alloc_size);
  if (block->n_live == 0)
    {
      guint n_empty = 0;
      /* keep one empty shared block for the next graph, free the rest */
      for (guint i = 0; i < vk->blocks->len; i++)
        {
          EigmlVkBlock *b = g_ptr_array_index (vk->blocks, i);
          if (!b->dedicated && b->n_live == 0)
            n_empty++;
        }
      if (block->dedicated || n_empty > 1)
        {
          g_ptr_array_remove (vk->blocks, block);
          eigml_vk_block_free (vk, block);
        }
    }
  g_rec_mutex_unlock (&vk->lock);
  g_free (vb);
}

/* ---- host access through staging ----------------------------------------- */

static gboolean
ensure_staging (EigmlVulkanBackend *vk,
                GError **error)
{
  if (vk->staging != NULL)
    return TRUE;
  vk->staging = eigml_vk_block_new_host (vk, STAGING_SIZE, error);
  return vk->staging != NULL;
}

static gboolean
transfer_begin (EigmlVulkanBackend *vk,
                GError **error)
{
  VkCommandBufferBeginInfo begin = {
    .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
    .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
  };

  if (!check_not_lost (vk, error))
    return FALSE;
  if (!eigml_vk_check (vkResetCommandBuffer (vk->transfer_cmd, 0), "vkResetCommandBuffer",
                       error) ||
      !eigml_vk_check (vkBeginCommandBuffer (vk->transfer_cmd, &begin), "vkBeginCommandBuffer",
                       error))
    return FALSE;
  /* everything submitted before (graphs) is done with the memory */
  eigml_vk_cmd_global_barrier (vk->transfer_cmd,
                               VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT |
                               VK_PIPELINE_STAGE_TRANSFER_BIT,
                               VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
                               VK_PIPELINE_STAGE_TRANSFER_BIT,
                               VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT);
  return TRUE;
}

static gboolean
transfer_submit (EigmlVulkanBackend *vk,
                 const char *what,
                 GError **error)
{
  VkSubmitInfo submit = {
    .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
    .commandBufferCount = 1,
    .pCommandBuffers = &vk->transfer_cmd,
  };

  /* make the copies visible to the host and to later submissions */
  eigml_vk_cmd_global_barrier (vk->transfer_cmd, VK_PIPELINE_STAGE_TRANSFER_BIT,
                               VK_ACCESS_TRANSFER_WRITE_BIT,
                               VK_PIPELINE_STAGE_HOST_BIT,
                               VK_ACCESS_HOST_READ_BIT | VK_ACCESS_HOST_WRITE_BIT);
  if (!eigml_vk_check (vkEndCommandBuffer (vk->transfer_cmd), "vkEndCommandBuffer", error) ||
      !eigml_vk_check (vkQueueSubmit (vk->queue, 1, &submit, vk->transfer_fence),
                       "vkQueueSubmit", error))
    return FALSE;
  return eigml_vk_wait_fence (vk, vk->transfer_fence, what, error);
}

static gboolean
staging_upload (EigmlVulkanBackend *vk,
                EigmlVkBuffer *vb,
                gsize offset,
                const guint8 *data,
                gsize size,
                GError **error)
{
  if (!ensure_staging (vk, error))
    return FALSE;
  while (size > 0)
    {
      gsize chunk = MIN (size, vk->staging->size);
      VkBufferCopy region = { 0, vb->offset + offset, chunk };

      memcpy (vk->staging->mapped, data, chunk);
      eigml_vk_block_flush (vk, vk->staging, 0, chunk);
      if (!transfer_begin (vk, error))
        return FALSE;
      vkCmdCopyBuffer (vk->transfer_cmd, vk->staging->buffer, vb->block->buffer, 1, &region);
      if (!transfer_submit (vk, "a buffer upload", error))
        return FALSE;
      data += chunk;
      offset += chunk;
      size -= chunk;
    }
  return TRUE;
}

static gboolean
staging_download (EigmlVulkanBackend *vk,
                  EigmlVkBuffer *vb,
                  gsize offset,
                  guint8 *data,
                  gsize size,
                  GError **error)
{
  if (!ensure_staging (vk, error))
    return FALSE;
  while (size > 0)
    {
      gsize chunk = MIN (size, vk->staging->size);
      VkBufferCopy region = { vb->offset + offset, 0, chunk };

      if (!transfer_begin (vk, error))
        return FALSE;
      vkCmdCopyBuffer (vk->transfer_cmd, vb->block->buffer, vk->staging->buffer, 1, &region);
      if (!transfer_submit (vk, "a buffer download", error))
        return FALSE;
      eigml_vk_block_invalidate (vk, vk->staging, 0, chunk);
      memcpy (data, vk->staging->mapped, chunk);
      data += chunk;
      offset += chunk;
      size -= chunk;
    }
  return TRUE;
}

gboolean
eigml_vk_buffer_write (EigmlBackend *backend,
                       EigmlBuffer *buffer,
                       gsize offset,
                       const void *data,
                       gsize size,
                       GError **error)
{
  EigmlVulkanBackend *vk = EIGML_VK_BACKEND (backend);
  EigmlVkBuffer *vb = EIGML_VK_BUFFER (buffer);
  gboolean ok = TRUE;

  if (buffer->host_ptr != NULL)
    {
      memcpy (buffer->host_ptr + offset, data, size);
      eigml_vk_block_flush (vk, vb->block, vb->offset + offset, size);
      return TRUE;
    }
  g_rec_mutex_lock (&vk->lock);
  /* a graph input goes to its staging mirror, uploaded by the graph itself */
  if (!eigml_vk_mirrors_write (vk, vb, offset, data, size))
    ok = staging_upload (vk, vb, offset, data, size, error);
  g_rec_mutex_unlock (&vk->lock);
  return ok;
}

gboolean
eigml_vk_buffer_read (EigmlBackend *backend,
                      EigmlBuffer *buffer,
                      gsize offset,
                      void *data,
                      gsize size,
                      GError **error)
{
  EigmlVulkanBackend *vk = EIGML_VK_BACKEND (backend);
  EigmlVkBuffer *vb = EIGML_VK_BUFFER (buffer);
  gboolean ok = TRUE;

  if (buffer->host_ptr != NULL)
    {
      eigml_vk_block_invalidate (vk, vb->block, vb->offset + offset, size);
      memcpy (data, buffer->host_ptr + offset, size);
      return TRUE;
    }
  g_rec_mutex_lock (&vk->lock);
  if (!eigml_vk_mirrors_read (vk, vb, offset, data, size, FALSE))
    {
      ok = staging_download (vk, vb, offset, data, size, error);
      /* inputs written since the last run are newer in their mirrors */
      if (ok)
        eigml_vk_mirrors_read (vk, vb, offset, data, size, TRUE);
    }
  g_rec_mutex_unlock (&vk->lock);
  return ok;
}

gboolean
eigml_vk_buffer_fill (EigmlBackend *backend,
                      EigmlBuffer *buffer,
                      gsize offset,
                      gsize size,
                      guint32 pattern,
                      GError **error)
{
  EigmlVulkanBackend *vk = EIGML_VK_BACKEND (backend);
  EigmlVkBuffer *vb = EIGML_VK_BUFFER (buffer);
  gboolean ok;

  if (buffer->host_ptr != NULL)
    {
      guint32 *p = (guint32 *) (buffer->host_ptr + offset);
      if (pattern == 0)
        memset (p, 0, size);
      else
        for (gsize i = 0; i < size / 4; i++)
          p[i] = pattern;
      eigml_vk_block_flush (vk, vb->block, vb->offset + offset, size);
      return TRUE;
    }
  g_rec_mutex_lock (&vk->lock);
  eigml_vk_mirrors_fill (vk, vb, offset, size, pattern);
  ok = transfer_begin (vk, error);
  if (ok)
    {
      vkCmdFillBuffer (vk->transfer_cmd, vb->block->buffer, vb->offset + offset, size, pattern);
      ok = transfer_submit (vk, "a buffer fill", error);
    }
  g_rec_mutex_unlock (&vk->lock);
  return ok;
}
