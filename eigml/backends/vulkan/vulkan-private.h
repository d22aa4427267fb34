/* vulkan-private.h: shared by the files of the Vulkan backend
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The backend is split by concern: vulkan-device.c (instance, device choice,
 * features, life cycle), vulkan-memory.c (blocks, sub-allocation, staging),
 * vulkan-pipeline.c (SPIR-V, pipelines, the on-disk pipeline cache),
 * vulkan-ops.c (one encoder per op: bindings, push constants, grid) and
 * vulkan-graph.c (recording, hazard tracking, submission).
 */
#pragma once

#include <vulkan/vulkan.h>

#include "engine/graph.h"
#include "vulkan-backend.h"

G_BEGIN_DECLS

/* The universal descriptor set layout: this many storage buffers. */
#define EIGML_VK_MAX_BINDINGS 8
/* Push constants: 32 words (the 128 bytes every device offers). */
#define EIGML_VK_PUSH_WORDS 32
#define EIGML_VK_MAX_SPEC 8

typedef struct _EigmlVkBlock EigmlVkBlock;
typedef struct _EigmlVkBuffer EigmlVkBuffer;
typedef struct _EigmlVkPipeline EigmlVkPipeline;
typedef struct _EigmlVulkanBackend EigmlVulkanBackend;

/* One VkDeviceMemory with one VkBuffer over all of it. */
struct _EigmlVkBlock
{
  VkDeviceMemory memory;
  VkBuffer buffer;
  VkDeviceSize size;
  guint8 *mapped;          /* persistent mapping, or NULL */
  gboolean coherent;
  gboolean dedicated;      /* holds exactly one buffer; freed with it */
  GArray *free_ranges;     /* EigmlVkRange, sorted by offset, coalesced */
  guint n_live;
};

typedef struct
{
  VkDeviceSize offset;
  VkDeviceSize size;
} EigmlVkRange;

struct _EigmlVkBuffer
{
  EigmlBuffer parent;
  EigmlVkBlock *block;
  VkDeviceSize offset;     /* of this buffer inside block->buffer */
  VkDeviceSize alloc_size;
};

struct _EigmlVkPipeline
{
  VkPipeline pipeline;
  char *key;
};

struct _EigmlVulkanBackend
{
  EigmlBackend parent;

  VkInstance instance;
  VkDebugUtilsMessengerEXT messenger;
  PFN_vkDestroyDebugUtilsMessengerEXT destroy_messenger;
  VkPhysicalDevice physical;
  VkDevice device;
  VkQueue queue;
  guint32 queue_family;
  VkPhysicalDeviceProperties props;
  VkPhysicalDeviceMemoryProperties mem_props;
  guint32 api_version;

  /* limits and probed features */
  VkDeviceSize max_storage_range;
  VkDeviceSize max_allocation;
  VkDeviceSize non_coherent_atom;
  guint32 max_group_count[3];
  guint32 max_group_invocations;
  guint32 max_shared_memory;
  EigmlVulkanFeatures features;

  /* memory */
  guint32 device_type;           /* memory type of tensors */
  gboolean device_mappable;      /* tensors are mapped (no staging) */
  guint32 staging_type;
  VkDeviceSize block_size;
  GPtrArray *blocks;             /* EigmlVkBlock*, sub-allocated */
  EigmlVkBlock *staging;         /* for buffer read/write/fill with staging */
  VkCommandPool command_pool;
  VkCommandBuffer transfer_cmd;
  VkFence transfer_fence;
  guint64 timeout_ns;
  gboolean lost;                 /* a wait timed out or the device was lost */

  /* descriptors and pipelines */
  PFN_vkCmdPushDescriptorSetKHR cmd_push_descriptor_set;
  VkDescriptorSetLayout set_layout;
  VkPipelineLayout pipeline_layout;
  VkPipelineCache pipeline_cache;
  char *pipeline_cache_path;
  EigmlVulkanCacheStatus cache_status;
  GHashTable *shader_modules;    /* name -> VkShaderModule (boxed) */
  GHashTable *pipelines;         /* key -> EigmlVkPipeline* */

  gboolean reorder;              /* record by conflict level (vulkan-graph.c) */
  GPtrArray *graphs;             /* EigmlVkGraph* with staging mirrors */
  GRecMutex lock;
};

#define EIGML_VK_BACKEND(b) ((EigmlVulkanBackend *) (b))
#define EIGML_VK_BUFFER(b) ((EigmlVkBuffer *) (b))

/* vulkan-device.c */
const char *eigml_vk_result_to_string (VkResult result);
gboolean eigml_vk_check (VkResult result,
                         const char *what,
                         GError **error);
const char *eigml_vk_device_type_to_string (VkPhysicalDeviceType type);

/* vulkan-memory.c */
gboolean eigml_vk_memory_init (EigmlVulkanBackend *vk,
                               GError **error);
void eigml_vk_memory_finish (EigmlVulkanBackend *vk);
EigmlBuffer *eigml_vk_buffer_new (EigmlBackend *backend,
                                  gsize size,
                                  GError **error);
void eigml_vk_buffer_free (EigmlBackend *backend,
                           EigmlBuffer *buffer);
gboolean eigml_vk_buffer_write (EigmlBackend *backend,
                                EigmlBuffer *buffer,
                                gsize offset,
                                const void *data,
                                gsize size,
                                GError **error);
gboolean eigml_vk_buffer_read (EigmlBackend *backend,
                               EigmlBuffer *buffer,
                               gsize offset,
                               void *data,
                               gsize size,
                               GError **error);
gboolean eigml_vk_buffer_fill (EigmlBackend *backend,
                               EigmlBuffer *buffer,
                               gsize offset,
                               gsize size,
                               guint32 pattern,
                               GError **error);
EigmlVkBlock *eigml_vk_block_new_host (EigmlVulkanBackend *vk,
                                       VkDeviceSize size,
                                       GError **error);
void eigml_vk_block_free (EigmlVulkanBackend *vk,
                          EigmlVkBlock *block);
void eigml_vk_block_flush (EigmlVulkanBackend *vk,
                           EigmlVkBlock *block,
                           VkDeviceSize offset,
                           VkDeviceSize size);
void eigml_vk_block_invalidate (EigmlVulkanBackend *vk,
                                EigmlVkBlock *block,
                                VkDeviceSize offset,
                                VkDeviceSize size);
gboolean eigml_vk_wait_fence (EigmlVulkanBackend *vk,
                              VkFence fence,
                              const char *what,
                              GError **error);
void eigml_vk_cmd_global_barrier (VkCommandBuffer cmd,
                                  VkPipelineStageFlags src_stages,
                                  VkAccessFlags src_access,
                                  VkPipelineStageFlags dst_stages,
                                  VkAccessFlags dst_access);

/* vulkan-pipeline.c */
gboolean eigml_vk_pipelines_init (EigmlVulkanBackend *vk,
                                  GError **error);
void eigml_vk_pipelines_finish (EigmlVulkanBackend *vk);
EigmlVkPipeline *eigml_vk_pipeline_get (EigmlVulkanBackend *vk,
                                        const char *shader,
                                        const guint32 *spec,
                                        guint n_spec,
                                        GError **error);

/* vulkan-ops.c: a node becomes one or more dispatches */
typedef struct
{
  EigmlVkBuffer *buffer;   /* NULL: the graph's scratch buffer */
  VkDeviceSize offset;     /* inside the EigmlBuffer (or the scratch) */
  VkDeviceSize size;
  gboolean write;
} EigmlVkBinding;

typedef struct
{
  EigmlVkPipeline *pipeline;
  const EigmlNode *node;
  guint n_bindings;
  EigmlVkBinding bindings[EIGML_VK_MAX_BINDINGS];
  guint32 push[EIGML_VK_PUSH_WORDS];
  guint push_words;
  guint32 groups[3];
  guint32 base[3];         /* vkCmdDispatchBase offsets (matmul grids) */
} EigmlVkDispatch;

typedef struct
{
  EigmlVulkanBackend *vk;
  GArray *dispatches;        /* EigmlVkDispatch */
  VkDeviceSize scratch_size; /* bytes of scratch the dispatches use */
} EigmlVkEncoder;

gboolean eigml_vk_supports_node (EigmlBackend *backend,
                                 const EigmlNode *node,
                                 GError **error);
gboolean eigml_vk_encode_node (EigmlVkEncoder *encoder,
                               const EigmlNode *node,
                               GError **error);

/* vulkan-graph.c */
gboolean eigml_vk_graph_prepare (EigmlBackend *backend,
                                 EigmlGraph *graph,
                                 GError **error);
gboolean eigml_vk_graph_compute (EigmlBackend *backend,
                                 EigmlGraph *graph,
                                 GError **error);
void eigml_vk_graph_release (EigmlBackend *backend,
                             EigmlGraph *graph);
/* Staging mirrors of graph inputs and outputs (see vulkan-graph.c):
 * return TRUE when the access was served entirely from a mirror. */
gboolean eigml_vk_mirrors_write (EigmlVulkanBackend *vk,
                                 EigmlVkBuffer *buffer,
                                 gsize offset,
                                 const void *data,
                                 gsize size);
void eigml_vk_mirrors_fill (EigmlVulkanBackend *vk,
                            EigmlVkBuffer *buffer,
                            gsize offset,
                            gsize size,
                            guint32 pattern);
gboolean eigml_vk_mirrors_read (EigmlVulkanBackend *vk,
                                EigmlVkBuffer *buffer,
                                gsize offset,
                                void *data,
                                gsize size,
                                gboolean patch_only);

G_END_DECLS
