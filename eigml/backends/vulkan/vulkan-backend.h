/* vulkan-backend.h: what the Vulkan backend tells tests and tools about
 * itself (private API, not installed)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#include "engine/backend.h"

G_BEGIN_DECLS

typedef struct _EigmlGraph EigmlGraph;

/* Optional device capabilities, probed at start for later shader variants. */
typedef struct
{
  gboolean fp16_storage;         /* storageBuffer16BitAccess */
  gboolean fp16_arithmetic;      /* shaderFloat16 */
  gboolean subgroup_arithmetic;  /* in compute shaders */
  gboolean cooperative_matrix;   /* VK_KHR_cooperative_matrix */
  gboolean push_descriptors;     /* VK_KHR_push_descriptor present */
  guint32 subgroup_size;
} EigmlVulkanFeatures;

typedef enum
{
  EIGML_VULKAN_CACHE_DISABLED,   /* EIGML_VULKAN_PIPELINE_CACHE=none */
  EIGML_VULKAN_CACHE_ABSENT,     /* no file yet: started empty */
  EIGML_VULKAN_CACHE_LOADED,     /* a valid file was loaded */
  EIGML_VULKAN_CACHE_REJECTED,   /* a file was there but did not validate */
} EigmlVulkanCacheStatus;

typedef struct
{
  EigmlVulkanFeatures features;
  gboolean uses_push_descriptors;
  gboolean uses_staging;         /* tensors are not host-mapped */
  guint32 vendor_id;
  guint32 device_id;
  guint64 block_size;            /* sub-allocation block size */
  guint n_blocks;                /* live blocks, dedicated ones included */
  guint n_pipelines;             /* pipelines created so far */
  EigmlVulkanCacheStatus cache_status;
  const char *cache_path;        /* NULL when disabled */
} EigmlVulkanInfo;

/* Counts for one prepared graph. Barriers between dispatches are counted
 * in n_barriers; the fixed ones at the start and end of the command buffer
 * (host and transfer synchronisation) in n_fixed_barriers. */
typedef struct
{
  guint n_dispatches;
  guint n_barriers;
  guint n_fixed_barriers;
  guint n_uploads;               /* staging copies recorded at the start */
  guint n_downloads;             /* ... and at the end */
  guint n_descriptor_sets;       /* allocated sets (0 with push descriptors) */
  guint64 scratch_bytes;
} EigmlVulkanGraphStats;

gboolean eigml_vulkan_backend_get_info (EigmlBackend *backend,
                                        EigmlVulkanInfo *info);
gboolean eigml_vulkan_graph_get_stats (EigmlGraph *graph,
                                       EigmlVulkanGraphStats *stats);

G_END_DECLS
