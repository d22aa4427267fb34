/* eigml-ranker-async.c: eigml_ranker_set_library() and
 * eigml_ranker_select() in a worker thread, for callers that must not
 * block their main loop (a GTK window, a server) and for bindings without
 * threads of their own (gjs)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "eigml-ranker.h"
#include "eigml-error.h"

/* the ranker serialises its calls, so the work may run in any thread */

typedef struct
{
  EigmlStickerLibrary *library;
  char *cache_dir;
} SetLibraryData;

static void
set_library_data_free (SetLibraryData *data)
{
  g_clear_object (&data->library);
  g_free (data->cache_dir);
  g_free (data);
}

static void
set_library_thread (GTask *task,
                    gpointer source_object,
                    gpointer task_data,
                    GCancellable *cancellable)
{
  SetLibraryData *data = task_data;
  GError *error = NULL;

  if (eigml_ranker_set_library (EIGML_RANKER (source_object), data->library, data->cache_dir,
                                cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/**
 * eigml_ranker_set_library_async:
 * @self: a ranker
 * @library: the stickers to rank
 * @cache_dir: (nullable) (type filename): as for eigml_ranker_set_library()
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called in the caller's thread-default main
 *   context when the library is ready
 * @user_data: data for @callback
 *
 * eigml_ranker_set_library() in a worker thread: computing a large
 * library's embeddings takes seconds, reading them from the cache
 * milliseconds.
 *
 * Since: 1.0
 */
void
eigml_ranker_set_library_async (EigmlRanker *self,
                                EigmlStickerLibrary *library,
                                const char *cache_dir,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  SetLibraryData *data;

  g_return_if_fail (EIGML_IS_RANKER (self));
  g_return_if_fail (EIGML_IS_STICKER_LIBRARY (library));

  data = g_new0 (SetLibraryData, 1);
  data->library = g_object_ref (library);
  data->cache_dir = g_strdup (cache_dir);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, eigml_ranker_set_library_async);
  g_task_set_task_data (task, data, (GDestroyNotify) set_library_data_free);
  g_task_run_in_thread (task, set_library_thread);
}

/**
 * eigml_ranker_set_library_finish:
 * @self: a ranker
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: as eigml_ranker_set_library()
 *
 * Since: 1.0
 */
gboolean
eigml_ranker_set_library_finish (EigmlRanker *self,
                                 GAsyncResult *result,
                                 GError **error)
{
  g_return_val_if_fail (EIGML_IS_RANKER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == eigml_ranker_set_library_async,
                        FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

typedef struct
{
  char **turns;
  char **candidates;   /* nullable */
  guint top_k;
} SelectData;

static void
select_data_free (SelectData *data)
{
  g_strfreev (data->turns);
  g_strfreev (data->candidates);
  g_free (data);
}

static void
select_thread (GTask *task,
               gpointer source_object,
               gpointer task_data,
               GCancellable *cancellable)
{
  SelectData *data = task_data;
  GError *error = NULL;
  EigmlSelection *selection;

  /* a request overtaken while it waited (the user typed on) is not run */
  if (g_task_return_error_if_cancelled (task))
    return;
  selection = eigml_ranker_select (EIGML_RANKER (source_object),
                                   (const char *const *) data->turns,
                                   (const char *const *) data->candidates, data->top_k, &error);
  if (selection != NULL)
    g_task_return_pointer (task, selection, g_object_unref);
  else
    g_task_return_error (task, error);
}

/**
 * eigml_ranker_select_async:
 * @self: a ranker with a library
 * @turns: (array zero-terminated=1): the dialogue, oldest turn first
 * @candidates: (array zero-terminated=1) (nullable): library ids of the
 *   stickers to rank, or %NULL for the whole library
 * @top_k: how many stickers to return
 * @cancellable: (nullable): a #GCancellable; cancelled before the worker
 *   starts, the request is not run
 * @callback: (scope async): called in the caller's thread-default main
 *   context with the selection
 * @user_data: data for @callback
 *
 * eigml_ranker_select() in a worker thread. Requests run one at a time,
 * in order; cancel the ones a newer request makes useless.
 *
 * Since: 1.0
 */
void
eigml_ranker_select_async (EigmlRanker *self,
                           const char * const *turns,
                           const char * const *candidates,
                           guint top_k,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  SelectData *data;

  g_return_if_fail (EIGML_IS_RANKER (self));
  g_return_if_fail (turns != NULL);

  data = g_new0 (SelectData, 1);
  data->turns = g_strdupv ((char **) turns);
  data->candidates = g_strdupv ((char **) candidates);
  data->top_k = top_k;
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, eigml_ranker_select_async);
  g_task_set_task_data (task, data, (GDestroyNotify) select_data_free);
  g_task_run_in_thread (task, select_thread);
}

/**
 * eigml_ranker_select_finish:
 * @self: a ranker
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the selection, as
 *   eigml_ranker_select()
 *
 * Since: 1.0
 */
EigmlSelection *
eigml_ranker_select_finish (EigmlRanker *self,
                            GAsyncResult *result,
                            GError **error)
{
  g_return_val_if_fail (EIGML_IS_RANKER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == eigml_ranker_select_async,
                        NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
