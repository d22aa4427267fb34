/* eigml-ranker.c: scoring and ranking stickers for a dialogue with a model
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "eigml-ranker.h"
#include "eigml-enum-types.h"
#include "eigml-error.h"
#include "train/batcher.h"
#include "eigml-tensor-private.h"
#include "nn/encoder-private.h"

#include <cblas.h>
#include <math.h>

#include <string.h>

#define SCORE_CHUNK 32

/**
 * EigmlRanker:
 *
 * Scores candidate stickers for a dialogue with an #EigmlModel: the
 * inference pass of docs/model.md (no dropout, no losses), whose score is
 * SAMM's p_final (or p_vl when SAMM is off), in [0, 1], higher is better.
 * Images are resized to the model's size (no crop). Passes are built once
 * per shape and reused; a ranker may be used from several threads (calls
 * are serialised).
 *
 * Intention knowledge comes from the dataset's examples (their file or
 * intent sidecar). Without an [class@Eigml.IntentSource] a dialogue that
 * has none gets empty knowledge; with one
 * ([method@Eigml.Ranker.set_intent_source]) the source infers it.
 *
 * Since: 1.0
 */
struct _EigmlRanker
{
  GObject parent_instance;

  EigmlModel *model;
  EigmlTokenizer *tokenizer;
  EigmlImageProcessor *images;
  EigmlTruncation truncation;
  EigmlEmotionAnnotator *annotator;
  EigmlIntentSource *intent_source;
  guint batch_size;
  GHashTable *passes;   /* "B:C" -> Pass */
  GMutex lock;

  /* whole-library retrieval */
  EigmlStickerLibrary *library;
  float *embeddings;    /* [n, D] */
  gboolean from_cache;
  guint first_stage;
  EigmlGraph *query;    /* the dialogue's embedding, B = 1 */
  EigmlNode *query_ids, *query_types, *query_mask, *query_out;
};

typedef struct
{
  EigmlGraph *graph;
  EigmlModelGraph mg;
} Pass;

enum
{
  SIGNAL_PROGRESS,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (EigmlRanker, eigml_ranker, G_TYPE_OBJECT)

static void
pass_free (gpointer data)
{
  Pass *p = data;

  eigml_graph_unref (p->graph);
  g_free (p);
}

static void
eigml_ranker_finalize (GObject *object)
{
  EigmlRanker *self = EIGML_RANKER (object);

  g_hash_table_destroy (self->passes);
  g_clear_object (&self->library);
  g_free (self->embeddings);
  g_clear_pointer (&self->query, eigml_graph_unref);
  g_clear_object (&self->images);
  g_clear_object (&self->annotator);
  g_clear_object (&self->intent_source);
  g_clear_object (&self->tokenizer);
  g_clear_object (&self->model);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (eigml_ranker_parent_class)->finalize (object);
}

static void
eigml_ranker_class_init (EigmlRankerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = eigml_ranker_finalize;

  /**
   * EigmlRanker::progress:
   * @self: the ranker
   * @done: examples scored so far
   * @total: examples to score
   *
   * Emitted by eigml_ranker_evaluate() after each batch, in the thread
   * that called it.
   *
   * Since: 1.0
   */
  signals[SIGNAL_PROGRESS] = g_signal_new ("progress", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
                                           2, G_TYPE_UINT, G_TYPE_UINT);
}

static void
eigml_ranker_init (EigmlRanker *self)
{
  self->passes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, pass_free);
  self->batch_size = 16;
  self->truncation = EIGML_TRUNCATION_KEEP_RECENT;
  self->first_stage = 64;
  g_mutex_init (&self->lock);
}

/**
 * eigml_ranker_new:
 * @model: a model
 * @tokenizer: the model's tokenizer (its vocabulary)
 *
 * Returns: (transfer full): a ranker
 *
 * Since: 1.0
 */
EigmlRanker *
eigml_ranker_new (EigmlModel *model,
                  EigmlTokenizer *tokenizer)
{
  EigmlRanker *self;

  g_return_val_if_fail (EIGML_IS_MODEL (model), NULL);
  g_return_val_if_fail (EIGML_IS_TOKENIZER (tokenizer), NULL);

  self = g_object_new (EIGML_TYPE_RANKER, NULL);
  self->model = g_object_ref (model);
  self->tokenizer = g_object_ref (tokenizer);
  self->images = eigml_image_processor_new (eigml_model_get_config (model)->vision->image_size);
  eigml_image_processor_set_train (self->images, FALSE);
  return self;
}

/**
 * eigml_ranker_get_model:
 * @self: a ranker
 *
 * Returns: (transfer none): the model
 *
 * Since: 1.0
 */
EigmlModel *
eigml_ranker_get_model (EigmlRanker *self)
{
  g_return_val_if_fail (EIGML_IS_RANKER (self), NULL);
  return self->model;
}

/**
 * eigml_ranker_get_batch_size:
 * @self: a ranker
 *
 * Returns: how many dialogues eigml_ranker_evaluate() scores in one pass
 *
 * Since: 1.0
 */
guint
eigml_ranker_get_batch_size (EigmlRanker *self)
{
  g_return_val_if_fail (EIGML_IS_RANKER (self), 0);
  return self->batch_size;
}

/**
 * eigml_ranker_set_batch_size:
 * @self: a ranker
 * @batch_size: dialogues per pass (at least 1; default 16)
 *
 * Since: 1.0
 */
void
eigml_ranker_set_batch_size (EigmlRanker *self,
                             guint batch_size)
{
  g_return_if_fail (EIGML_IS_RANKER (self));
  g_return_if_fail (batch_size >= 1);
  self->batch_size = batch_size;
}

/**
 * eigml_ranker_get_truncation:
 * @self: a ranker
 *
 * Returns: which turns of a long dialogue are kept
 *
 * Since: 1.0
 */
EigmlTruncation
eigml_ranker_get_truncation (EigmlRanker *self)
{
  g_return_val_if_fail (EIGML_IS_RANKER (self), EIGML_TRUNCATION_KEEP_RECENT);
  return self->truncation;
}

/**
 * eigml_ranker_set_truncation:
 * @self: a ranker
 * @truncation: which turns of a long dialogue to keep (default: the most recent)
 *
 * Since: 1.0
 */
void
eigml_ranker_set_truncation (EigmlRanker *self,
                             EigmlTruncation truncation)
{
  g_return_if_fail (EIGML_IS_RANKER (self));
  self->truncation = truncation;
}

/**
 * eigml_ranker_get_emotion_annotator:
 * @self: a ranker
 *
 * Returns: (transfer none) (nullable): the annotator that gives dialogues
 *   their emotion
 *
 * Since: 1.0
 */
EigmlEmotionAnnotator *
eigml_ranker_get_emotion_annotator (EigmlRanker *self)
{
  g_return_val_if_fail (EIGML_IS_RANKER (self), NULL);
  return self->annotator;
}

/**
 * eigml_ranker_set_emotion_annotator:
 * @self: a ranker
 * @annotator: (nullable): an annotator, or %NULL
 *
 * With an annotator, a dialogue's emotion e_t is the annotator's (cnsenti's
 * counting, as the paper derives it) whenever the caller gives none, and
 * for dataset examples always, instead of their `emotion` field.
 *
 * Since: 1.0
 */
void
eigml_ranker_set_emotion_annotator (EigmlRanker *self,
                                    EigmlEmotionAnnotator *annotator)
{
  g_return_if_fail (EIGML_IS_RANKER (self));
  g_mutex_lock (&self->lock);
  g_set_object (&self->annotator, annotator);
  g_mutex_unlock (&self->lock);
}

/**
 * eigml_ranker_get_intent_source:
 * @self: a ranker
 *
 * Returns: (transfer none) (nullable): where knowledge comes from for
 *   dialogues that have none, or %NULL
 *
 * Since: 1.0
 */
EigmlIntentSource *
eigml_ranker_get_intent_source (EigmlRanker *self)
{
  g_return_val_if_fail (EIGML_IS_RANKER (self), NULL);
  return self->intent_source;
}

/**
 * eigml_ranker_set_intent_source:
 * @self: a ranker
 * @source: (nullable): an intent source, or %NULL for none (the default)
 *
 * Sets where the intention knowledge comes from for dialogues that have
 * none: every dialogue of eigml_ranker_score(), and the examples of
 * eigml_ranker_score_example() and eigml_ranker_evaluate() whose dataset
 * gives no intents (an example with intents keeps its own). The source
 * gets the dialogue's turns, the category of its emotion distribution's
 * first maximum (when it has one over the seven DUTIR categories) and the
 * example's id (none for eigml_ranker_score(), so a sidecar source needs
 * [property@Eigml.IntentSource:fallback-on-missing] there).
 *
 * Since: 1.0
 */
void
eigml_ranker_set_intent_source (EigmlRanker *self,
                                EigmlIntentSource *source)
{
  g_return_if_fail (EIGML_IS_RANKER (self));
  g_return_if_fail (source == NULL || EIGML_IS_INTENT_SOURCE (source));

  g_mutex_lock (&self->lock);
  g_set_object (&self->intent_source, source);
  g_mutex_unlock (&self->lock);
}

static Pass *
get_pass (EigmlRanker *self,
          gint64 B,
          gint64 C,
          GError **error)
{
  g_autofree char *key = g_strdup_printf ("%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT, B, C);
  Pass *p = g_hash_table_lookup (self->passes, key);

  if (p != NULL)
    return p;
  p = g_new0 (Pass, 1);
  p->graph = eigml_graph_new (eigml_model_get_context (self->model));
  if (!eigml_model_build (self->model, p->graph, B, C, 0, &p->mg, error) ||
      !eigml_graph_prepare (p->graph, error))
    {
      pass_free (p);
      return NULL;
    }
  /* a few shapes stay; a stream of new ones must not grow without bound */
  if (g_hash_table_size (self->passes) >= 8)
    g_hash_table_remove_all (self->passes);
  g_hash_table_insert (self->passes, g_steal_pointer (&key), p);
  return p;
}

/* scores of a filled batch, [B * C] */
static float *
run (EigmlRanker *self,
     const EigmlModelBatch *batch,
     GError **error)
{
  Pass *p = get_pass (self, batch->batch, batch->n_candidates, error);

  if (p == NULL)
    return NULL;
  if (!eigml_model_graph_set_batch (p->graph, &p->mg, batch,
                                    eigml_model_get_config (self->model)->n_emotions, error) ||
      !eigml_graph_compute (p->graph, error))
    return NULL;
  return eigml_graph_dup_floats (p->graph, p->mg.scores, error);
}

static EigmlBatcher
batcher (EigmlRanker *self)
{
  EigmlBatcher b = { self->tokenizer, self->images, eigml_model_get_config (self->model),
                     self->truncation, self->annotator, self->intent_source };
  return b;
}

/**
 * eigml_ranker_score:
 * @self: a ranker
 * @turns: (array zero-terminated=1): the dialogue's turns, oldest first
 * @emotion: (array length=n_emotion) (nullable): the dialogue's emotion
 *   distribution over the model's categories, or %NULL for none
 * @n_emotion: its length: 0, or the model's `n_emotions`
 * @stickers: (array zero-terminated=1) (element-type filename): candidate
 *   sticker images
 * @n_scores: (out): the number of scores (one per sticker)
 * @error: return location for a #GError
 *
 * Scores each sticker as the next reply to the dialogue, 32 stickers per
 * pass. The dialogue's intention knowledge comes from the ranker's intent
 * source ([method@Eigml.Ranker.set_intent_source], without an id), and is
 * empty without one.
 *
 * Returns: (array length=n_scores) (transfer full) (nullable): the scores
 *   in [0, 1], in the order of @stickers
 *
 * Since: 1.0
 */
float *
eigml_ranker_score (EigmlRanker *self,
                    const char * const *turns,
                    const float *emotion,
                    gsize n_emotion,
                    const char * const *stickers,
                    gsize *n_scores,
                    GError **error)
{
  EigmlModelBatch batch;
  EigmlBatcher b;
  g_autoptr (EigmlIntents) intents = NULL;
  const char *const *knowledge[EIGML_N_RELATIONS];
  guint n;
  float *scores;

  g_return_val_if_fail (EIGML_IS_RANKER (self), NULL);
  g_return_val_if_fail (turns != NULL && stickers != NULL && n_scores != NULL, NULL);

  *n_scores = 0;
  n = g_strv_length ((char **) stickers);
  if (n == 0)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT, "no stickers to score");
      return NULL;
    }
  if (emotion != NULL && n_emotion != eigml_model_get_config (self->model)->n_emotions)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE,
                   "emotion: %" G_GSIZE_FORMAT " values for a model of %u categories", n_emotion,
                   eigml_model_get_config (self->model)->n_emotions);
      return NULL;
    }
  /* A candidate's score depends on the dialogue and on it alone: long
   * lists go in chunks of the same size (the last one padded), so memory
   * stays bounded and one pass shape serves them all. */
  scores = g_new (float, n);
  g_mutex_lock (&self->lock);
  b = batcher (self);
  if (self->intent_source != NULL)
    {
      intents = eigml_intent_source_infer (self->intent_source, turns,
                                           eigml_batcher_emotion_category (emotion, n_emotion),
                                           NULL, error);
      if (intents == NULL)
        goto fail;
    }
  eigml_batcher_intents_rows (intents, knowledge);
  for (guint start = 0; start < n; start += SCORE_CHUNK)
    {
      guint len = MIN (SCORE_CHUNK, n - start), width = n <= SCORE_CHUNK ? n : SCORE_CHUNK;
      g_autofree const char **chunk = g_new0 (const char *, width + 1);
      g_autofree float *part = NULL;

      for (guint k = 0; k < width; k++)
        chunk[k] = stickers[start + MIN (k, len - 1)];
      if (!eigml_batcher_fill_dialogue (&b, turns, emotion, intents ? knowledge : NULL, chunk,
                                        width, &batch, error))
        goto fail;
      part = run (self, &batch, error);
      eigml_model_batch_clear (&batch);
      if (part == NULL)
        goto fail;
      memcpy (scores + start, part, len * sizeof (float));
    }
  g_mutex_unlock (&self->lock);
  *n_scores = n;
  return scores;

fail:
  g_mutex_unlock (&self->lock);
  g_free (scores);
  return NULL;
}

/**
 * eigml_ranker_score_example:
 * @self: a ranker
 * @example: a dataset example
 * @n_scores: (out): the number of scores (one per candidate)
 * @error: return location for a #GError
 *
 * Scores the example's candidates, with its emotion and intention
 * knowledge; an example without intents gets them from the ranker's
 * intent source, when it has one.
 *
 * Returns: (array length=n_scores) (transfer full) (nullable): the scores
 *
 * Since: 1.0
 */
float *
eigml_ranker_score_example (EigmlRanker *self,
                            EigmlExample *example,
                            gsize *n_scores,
                            GError **error)
{
  EigmlModelBatch batch;
  EigmlBatcher b;
  guint n;
  float *scores = NULL;

  g_return_val_if_fail (EIGML_IS_RANKER (self), NULL);
  g_return_val_if_fail (example != NULL && n_scores != NULL, NULL);

  *n_scores = 0;
  n = eigml_example_get_n_candidates (example);
  g_mutex_lock (&self->lock);
  b = batcher (self);
  if (eigml_batcher_fill (&b, &example, 1, NULL, 0, n, &batch, error))
    {
      scores = run (self, &batch, error);
      eigml_model_batch_clear (&batch);
    }
  g_mutex_unlock (&self->lock);
  if (scores != NULL)
    *n_scores = n;
  return scores;
}

static gboolean
flush (EigmlRanker *self,
       GPtrArray *pending,
       EigmlMetrics *metrics,
       GError **error)
{
  EigmlModelBatch batch;
  EigmlBatcher b = batcher (self);
  g_autofree float *scores = NULL;
  guint C;

  if (pending->len == 0)
    return TRUE;
  C = eigml_example_get_n_candidates (g_ptr_array_index (pending, 0));
  if (!eigml_batcher_fill (&b, (EigmlExample **) pending->pdata, pending->len, NULL, 0, C, &batch,
                           error))
    return FALSE;
  scores = run (self, &batch, error);
  eigml_model_batch_clear (&batch);
  if (scores == NULL)
    return FALSE;
  for (guint i = 0; i < pending->len; i++)
    {
      EigmlExample *ex = g_ptr_array_index (pending, i);

      if (!eigml_metrics_add_positive (metrics, eigml_example_get_id (ex), scores + (gsize) i * C,
                                       C, eigml_example_get_positive (ex), error))
        return FALSE;
    }
  g_ptr_array_set_size (pending, 0);
  return TRUE;
}

/**
 * eigml_ranker_evaluate:
 * @self: a ranker
 * @dataset: the examples
 * @metrics: where each example's scores go
 * @max_examples: score only the first this many (0: all)
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Scores every example of @dataset in order, in batches of
 * [property@Eigml.Ranker:batch-size] examples with the same number of
 * candidates, and adds each to @metrics. Emits ::progress after each batch.
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
eigml_ranker_evaluate (EigmlRanker *self,
                       EigmlDataset *dataset,
                       EigmlMetrics *metrics,
                       guint max_examples,
                       GCancellable *cancellable,
                       GError **error)
{
  g_autoptr (GPtrArray) pending = g_ptr_array_new_with_free_func ((GDestroyNotify) eigml_example_unref);
  guint n, done = 0;
  gboolean ok = TRUE;

  g_return_val_if_fail (EIGML_IS_RANKER (self), FALSE);
  g_return_val_if_fail (EIGML_IS_DATASET (dataset), FALSE);
  g_return_val_if_fail (EIGML_IS_METRICS (metrics), FALSE);

  n = eigml_dataset_get_n_examples (dataset);
  if (max_examples > 0 && max_examples < n)
    n = max_examples;
  g_mutex_lock (&self->lock);
  for (guint i = 0; i < n && ok; i++)
    {
      EigmlExample *ex;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          ok = FALSE;
          break;
        }
      ex = eigml_dataset_get_example (dataset, i, error);
      if (ex == NULL)
        {
          ok = FALSE;
          break;
        }
      if (pending->len > 0 &&
          eigml_example_get_n_candidates (ex) !=
            eigml_example_get_n_candidates (g_ptr_array_index (pending, 0)))
        {
          ok = flush (self, pending, metrics, error);
          done = i;
        }
      g_ptr_array_add (pending, ex);
      if (ok && pending->len == self->batch_size)
        {
          ok = flush (self, pending, metrics, error);
          done = i + 1;
          g_mutex_unlock (&self->lock);
          g_signal_emit (self, signals[SIGNAL_PROGRESS], 0, done, n);
          g_mutex_lock (&self->lock);
        }
    }
  if (ok)
    ok = flush (self, pending, metrics, error);
  g_mutex_unlock (&self->lock);
  if (ok)
    g_signal_emit (self, signals[SIGNAL_PROGRESS], 0, n, n);
  return ok;
}

/* ---- whole-library retrieval --------------------------------------------- */

#define EMBED_CHUNK 32

static float *
compute_embeddings (EigmlRanker *self,
                    EigmlStickerLibrary *library,
                    GCancellable *cancellable,
                    GError **error)
{
  EigmlModel *model = self->model;
  guint n = eigml_sticker_library_get_n_stickers (library);
  guint D = eigml_model_get_config (model)->proj_dim;
  guint patch = eigml_model_get_config (model)->vision->patch_size;
  guint chunk = MIN (n, EMBED_CHUNK);
  g_autoptr (EigmlGraph) g = eigml_graph_new (eigml_model_get_context (model));
  g_autofree float *out = g_new (float, (gsize) n * D);
  EigmlNode *patches, *emb;

  emb = eigml_model_build_sticker_embedding (model, g, chunk, &patches);
  if (emb == NULL || eigml_graph_propagate_error (g, error) || !eigml_graph_prepare (g, error))
    return NULL;
  for (guint start = 0; start < n; start += chunk)
    {
      guint len = MIN (chunk, n - start);
      g_autofree const char **paths = g_new0 (const char *, chunk + 1);
      g_autoptr (EigmlTensor) pixels = NULL, p = NULL;
      g_autofree float *part = NULL;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      for (guint k = 0; k < chunk; k++)
        paths[k] = eigml_sticker_library_get_path (library, start + MIN (k, len - 1));
      pixels = eigml_image_processor_load_batch (self->images, paths, chunk, NULL, 0, 0, error);
      if (pixels == NULL || (p = eigml_image_patchify (pixels, patch, error)) == NULL ||
          !eigml_graph_set_input_tensor (g, patches, p, error) || !eigml_graph_compute (g, error) ||
          (part = eigml_graph_dup_floats (g, emb, error)) == NULL)
        {
          g_prefix_error (error, "sticker embeddings: ");
          return NULL;
        }
      memcpy (out + (gsize) start * D, part, (gsize) len * D * sizeof (float));
    }
  return g_steal_pointer (&out);
}

/**
 * eigml_ranker_set_library:
 * @self: a ranker
 * @library: the stickers eigml_ranker_rank_library() ranks
 * @cache_dir: (nullable) (type filename): where sticker embeddings are
 *   cached; %NULL for `$XDG_CACHE_HOME/eigml/library`
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Prepares whole-library retrieval: every sticker's embedding in the
 * model's contrastive space (normalize(vision_proj(ViT [CLS])), eq 2–3),
 * computed once and cached on disk in a file named by the library's
 * fingerprint and the model's image fingerprint, so a changed library or
 * model (new weights) never reuses stale embeddings.
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
eigml_ranker_set_library (EigmlRanker *self,
                          EigmlStickerLibrary *library,
                          const char *cache_dir,
                          GCancellable *cancellable,
                          GError **error)
{
  guint n, D;
  g_autofree char *lib_fp = NULL, *model_fp = NULL, *dir = NULL, *name = NULL, *path = NULL;
  g_autofree float *emb = NULL;
  gboolean from_cache = FALSE;

  g_return_val_if_fail (EIGML_IS_RANKER (self), FALSE);
  g_return_val_if_fail (EIGML_IS_STICKER_LIBRARY (library), FALSE);

  n = eigml_sticker_library_get_n_stickers (library);
  D = eigml_model_get_config (self->model)->proj_dim;
  if (n == 0)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT, "the library is empty");
      return FALSE;
    }
  lib_fp = eigml_sticker_library_get_fingerprint (library);
  g_mutex_lock (&self->lock);
  model_fp = eigml_model_get_image_fingerprint (self->model, error);
  if (model_fp == NULL)
    goto fail;
  dir = cache_dir ? g_strdup (cache_dir)
                  : g_build_filename (g_get_user_cache_dir (), "eigml", "library", NULL);
  name = g_strdup_printf ("embeddings-%.16s-%.16s.safetensors", lib_fp, model_fp);
  path = g_build_filename (dir, name, NULL);

  if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_autoptr (GError) local = NULL;
      g_autoptr (EigmlWeights) w = eigml_weights_load (path, &local);
      EigmlTensor *t = w ? eigml_weights_lookup (w, "embeddings") : NULL;
      gsize count = 0;

      if (t != NULL && eigml_tensor_get_n_elements (t) == (gint64) n * D)
        emb = eigml_tensor_dup_floats (t, &count, &local);
      if (emb != NULL)
        from_cache = TRUE;
      else
        g_message ("sticker embedding cache %s unusable (%s); computing again", path,
                   local ? local->message : "wrong size");
    }
  if (emb == NULL)
    {
      gint64 shape[2] = { n, D };
      g_autoptr (EigmlWeights) w = eigml_weights_new ();
      g_autoptr (EigmlTensor) t = NULL;

      emb = compute_embeddings (self, library, cancellable, error);
      if (emb == NULL)
        goto fail;
      t = eigml_tensor_new_from_floats (shape, 2, emb, (gsize) n * D, error);
      if (t == NULL)
        goto fail;
      eigml_weights_insert (w, "embeddings", t);
      if (g_mkdir_with_parents (dir, 0755) != 0 || !eigml_weights_save_safetensors (w, path, NULL))
        g_message ("could not cache sticker embeddings in %s", path);
    }
  g_set_object (&self->library, library);
  g_free (self->embeddings);
  self->embeddings = g_steal_pointer (&emb);
  self->from_cache = from_cache;
  g_mutex_unlock (&self->lock);
  return TRUE;

fail:
  g_mutex_unlock (&self->lock);
  return FALSE;
}

/**
 * eigml_ranker_get_library:
 * @self: a ranker
 *
 * Returns: (transfer none) (nullable): the library of
 *   eigml_ranker_set_library()
 *
 * Since: 1.0
 */
EigmlStickerLibrary *
eigml_ranker_get_library (EigmlRanker *self)
{
  g_return_val_if_fail (EIGML_IS_RANKER (self), NULL);
  return self->library;
}

/**
 * eigml_ranker_get_library_from_cache:
 * @self: a ranker
 *
 * Returns: whether the library's embeddings were read from the cache
 *   rather than computed
 *
 * Since: 1.0
 */
gboolean
eigml_ranker_get_library_from_cache (EigmlRanker *self)
{
  g_return_val_if_fail (EIGML_IS_RANKER (self), FALSE);
  return self->from_cache;
}

/**
 * eigml_ranker_get_first_stage_size:
 * @self: a ranker
 *
 * Returns: how many stickers the first stage passes to the full model
 *
 * Since: 1.0
 */
guint
eigml_ranker_get_first_stage_size (EigmlRanker *self)
{
  g_return_val_if_fail (EIGML_IS_RANKER (self), 0);
  return self->first_stage;
}

/**
 * eigml_ranker_set_first_stage_size:
 * @self: a ranker
 * @size: stickers the full model rescores (default 64)
 *
 * Since: 1.0
 */
void
eigml_ranker_set_first_stage_size (EigmlRanker *self,
                                   guint size)
{
  g_return_if_fail (EIGML_IS_RANKER (self));
  g_return_if_fail (size >= 1);
  self->first_stage = size;
}

typedef struct
{
  guint index;
  float score;
} Hit;

static gint
compare_hits (gconstpointer a,
              gconstpointer b)
{
  const Hit *x = a, *y = b;

  if (x->score != y->score)
    return x->score > y->score ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

/**
 * eigml_ranker_rank_library:
 * @self: a ranker with a library (eigml_ranker_set_library())
 * @turns: (array zero-terminated=1): the dialogue, oldest turn first
 * @emotion: (array length=n_emotion) (nullable): its emotion distribution
 * @n_emotion: 0 or the model's `n_emotions`
 * @top_k: how many stickers to return
 * @indices: (out) (array length=n_results) (transfer full): the best
 *   stickers' library indices, best first
 * @scores: (out) (array length=n_results) (transfer full): their scores
 * @n_results: (out): min(@top_k, library size)
 * @error: return location for a #GError
 *
 * Ranks the whole library in two stages: the dialogue's embedding against
 * every sticker's (one matrix–vector product) keeps the
 * [property@Eigml.Ranker:first-stage-size] nearest, then the full model
 * (fusion and SAMM) scores those; ties keep library order.
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
eigml_ranker_rank_library (EigmlRanker *self,
                           const char * const *turns,
                           const float *emotion,
                           gsize n_emotion,
                           guint top_k,
                           guint **indices,
                           float **scores,
                           gsize *n_results,
                           GError **error)
{
  const EigmlModelConfig *c;
  guint n, D, K;
  g_autofree gint32 *ids = NULL, *types = NULL, *attention = NULL;
  g_autofree float *mask = NULL, *q = NULL, *sims = NULL, *full = NULL;
  g_autofree Hit *hits = NULL;
  g_autofree const char **paths = NULL;
  gsize n_full = 0;

  g_return_val_if_fail (EIGML_IS_RANKER (self), FALSE);
  g_return_val_if_fail (turns != NULL && indices != NULL && scores != NULL && n_results != NULL,
                        FALSE);
  *indices = NULL;
  *scores = NULL;
  *n_results = 0;
  if (self->library == NULL)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "the ranker has no library (eigml_ranker_set_library)");
      return FALSE;
    }
  if (top_k == 0)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT, "top_k must be at least 1");
      return FALSE;
    }
  c = eigml_model_get_config (self->model);
  n = eigml_sticker_library_get_n_stickers (self->library);
  D = c->proj_dim;

  /* first stage: the dialogue's embedding against every sticker's */
  ids = g_new (gint32, c->max_len);
  types = g_new (gint32, c->max_len);
  attention = g_new (gint32, c->max_len);
  mask = g_new (float, c->max_len);
  g_mutex_lock (&self->lock);
  if (self->query == NULL)
    {
      self->query = eigml_graph_new (eigml_model_get_context (self->model));
      self->query_out = eigml_model_build_dialogue_embedding (self->model, self->query, 1,
                                                              &self->query_ids,
                                                              &self->query_types,
                                                              &self->query_mask);
      if (self->query_out == NULL || eigml_graph_propagate_error (self->query, error) ||
          !eigml_graph_prepare (self->query, error))
        {
          g_clear_pointer (&self->query, eigml_graph_unref);
          g_mutex_unlock (&self->lock);
          return FALSE;
        }
    }
  if (!eigml_tokenizer_encode_dialogue_into (self->tokenizer, turns, NULL, c->max_len,
                                             self->truncation, ids, types, attention, error))
    {
      g_mutex_unlock (&self->lock);
      return FALSE;
    }
  for (guint k = 0; k < c->max_len; k++)
    mask[k] = attention[k] ? 0.0f : -10000.0f;
  if (!eigml_graph_set_input_ints (self->query, self->query_ids, ids, c->max_len, error) ||
      !eigml_graph_set_input_ints (self->query, self->query_types, types, c->max_len, error) ||
      !eigml_graph_set_input_floats (self->query, self->query_mask, mask, c->max_len, error) ||
      !eigml_graph_compute (self->query, error) ||
      (q = eigml_graph_dup_floats (self->query, self->query_out, error)) == NULL)
    {
      g_mutex_unlock (&self->lock);
      return FALSE;
    }
  sims = g_new (float, n);
  cblas_sgemv (CblasRowMajor, CblasNoTrans, (int) n, (int) D, 1.0f, self->embeddings, (int) D, q, 1,
               0.0f, sims, 1);
  g_mutex_unlock (&self->lock);

  hits = g_new (Hit, n);
  for (guint i = 0; i < n; i++)
    {
      hits[i].index = i;
      hits[i].score = sims[i];
    }
  qsort (hits, n, sizeof (Hit), compare_hits);
  K = MIN (n, MAX (self->first_stage, top_k));

  /* second stage: the full model on the nearest K */
  paths = g_new0 (const char *, K + 1);
  for (guint i = 0; i < K; i++)
    paths[i] = eigml_sticker_library_get_path (self->library, hits[i].index);
  full = eigml_ranker_score (self, turns, emotion, n_emotion, paths, &n_full, error);
  if (full == NULL)
    return FALSE;
  for (guint i = 0; i < K; i++)
    hits[i].score = full[i];
  qsort (hits, K, sizeof (Hit), compare_hits);

  *n_results = MIN (top_k, K);
  *indices = g_new (guint, *n_results);
  *scores = g_new (float, *n_results);
  for (gsize i = 0; i < *n_results; i++)
    {
      (*indices)[i] = hits[i].index;
      (*scores)[i] = hits[i].score;
    }
  return TRUE;
}
