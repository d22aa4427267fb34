/* graph-cache.h: prepared graphs kept per input-shape key
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Building and preparing a graph (planning memory, recording the Vulkan
 * command buffer) is done once per distinct input shape. Model code pads
 * variable lengths up to a bucket (eigml_bucket_length) and asks the cache
 * for the graph of the bucket's key; a training loop re-records nothing.
 * The least recently used graph is dropped beyond max_entries.
 */
#pragma once

#include "graph.h"

G_BEGIN_DECLS

typedef struct _EigmlGraphCache EigmlGraphCache;

/* Builds (not necessarily prepares) the graph for @key. */
typedef EigmlGraph *(*EigmlGraphBuildFunc) (const char *key,
                                            gpointer user_data,
                                            GError **error);

EigmlGraphCache *eigml_graph_cache_new (guint max_entries);
void eigml_graph_cache_free (EigmlGraphCache *cache);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EigmlGraphCache, eigml_graph_cache_free)

EigmlGraph *eigml_graph_cache_get (EigmlGraphCache *cache,
                                   const char *key,
                                   EigmlGraphBuildFunc build,
                                   gpointer user_data,
                                   GError **error);
guint eigml_graph_cache_get_size (EigmlGraphCache *cache);
void eigml_graph_cache_get_stats (EigmlGraphCache *cache,
                                  guint64 *hits,
                                  guint64 *misses);
void eigml_graph_cache_clear (EigmlGraphCache *cache);

gint64 eigml_bucket_length (gint64 length,
                            gint64 multiple,
                            gint64 max_length);

G_END_DECLS
