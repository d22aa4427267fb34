/* graph-cache.c: prepared graphs kept per input-shape key
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "graph-cache.h"

struct _EigmlGraphCache
{
  guint max_entries;
  GHashTable *graphs;     /* key -> GList link in lru */
  GQueue lru;             /* most recent first; data = Entry */
  guint64 hits;
  guint64 misses;
};

typedef struct
{
  char *key;
  EigmlGraph *graph;
} Entry;

static void
entry_free (Entry *entry)
{
  g_free (entry->key);
  eigml_graph_unref (entry->graph);
  g_free (entry);
}

EigmlGraphCache *
eigml_graph_cache_new (guint max_entries)
{
  EigmlGraphCache *cache = g_new0 (EigmlGraphCache, 1);

  cache->max_entries = MAX (max_entries, 1);
  cache->graphs = g_hash_table_new (g_str_hash, g_str_equal);
  g_queue_init (&cache->lru);
  return cache;
}

void
eigml_graph_cache_clear (EigmlGraphCache *cache)
{
  Entry *entry;

  g_hash_table_remove_all (cache->graphs);
  while ((entry = g_queue_pop_head (&cache->lru)) != NULL)
    entry_free (entry);
}

void
eigml_graph_cache_free (EigmlGraphCache *cache)
{
  if (cache == NULL)
    return;
  eigml_graph_cache_clear (cache);
  g_hash_table_unref (cache->graphs);
  g_free (cache);
}

EigmlGraph *
eigml_graph_cache_get (EigmlGraphCache *cache,
                       const char *key,
                       EigmlGraphBuildFunc build,
                       gpointer user_data,
                       GError **error)
{
  GList *link = g_hash_table_lookup (cache->graphs, key);
  Entry *entry;
  EigmlGraph *graph;

  if (link != NULL)
    {
      cache->hits++;
      g_queue_unlink (&cache->lru, link);
      g_queue_push_head_link (&cache->lru, link);
      return ((Entry *) link->data)->graph;
    }

  cache->misses++;
  graph = build (key, user_data, error);
  if (graph == NULL)
    return NULL;
  if (!eigml_graph_prepare (graph, error))
    {
      eigml_graph_unref (graph);
      return NULL;
    }
  while (g_queue_get_length (&cache->lru) >= cache->max_entries)
    {
      Entry *old = g_queue_pop_tail (&cache->lru);
      g_hash_table_remove (cache->graphs, old->key);
      entry_free (old);
    }
  entry = g_new0 (Entry, 1);
  entry->key = g_strdup (key);
  entry->graph = graph;
  g_queue_push_head (&cache->lru, entry);
  g_hash_table_insert (cache->graphs, entry->key, cache->lru.head);
  return graph;
}

guint
eigml_graph_cache_get_size (EigmlGraphCache *cache)
{
  return g_queue_get_length (&cache->lru);
}

void
eigml_graph_cache_get_stats (EigmlGraphCache *cache,
                             guint64 *hits,
                             guint64 *misses)
{
  if (hits)
    *hits = cache->hits;
  if (misses)
    *misses = cache->misses;
}

/* Rounds @length up to a multiple of @multiple, at most @max_length. */
gint64
eigml_bucket_length (gint64 length,
                     gint64 multiple,
                     gint64 max_length)
{
  gint64 b;

  if (length <= 0)
    return MIN (multiple, max_length);
  b = ((length + multiple - 1) / multiple) * multiple;
  return MIN (b, max_length);
}
