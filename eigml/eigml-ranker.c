/* eigml-ranker.c: scoring and ranking stickers for a dialogue with a model
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "eigml-ranker.h"
#include "eigml-ranker-private.h"
#include "eigml-enum-types.h"
#include "eigml-error.h"
#include "eigml-selection-private.h"
#include "train/batcher.h"
#include "data/lexical.h"
#include "eigml-tensor-private.h"
#include "nn/encoder-private.h"

#include <cblas.h>
#include <math.h>

#include <string.h>

#define SCORE_CHUNK 32
/* dialogues per pass of eigml_ranker_select_many() */
#define SELECT_BATCH 16
/* the image encoder's outputs of a library are kept in memory up to this
 * size; above it the second stage encodes its candidates' images */
#define FEATURE_BYTES_MAX ((gsize) 512 << 20)

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
  float *features;      /* [n, P + 1, H] f_v, or NULL (FEATURE_BYTES_MAX) */
  EigmlLexical *lexical; /* BM25 over the stickers' labels and keywords */
  guint lexical_share;  /* first-stage places for lexical matches, at most */
  EigmlRankOrder order; /* of a whole-library ranking's candidates */
  gboolean from_cache;
  guint first_stage;
  GHashTable *queries;  /* B -> QueryPass: dialogue embeddings */
};

typedef struct
{
  EigmlGraph *graph;
  EigmlModelGraph mg;
} Pass;

static void query_pass_free (gpointer data);

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
  g_free (self->features);
  eigml_lexical_free (self->lexical);
  g_hash_table_destroy (self->queries);
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
  self->queries = g_hash_table_new_full (NULL, NULL, NULL, query_pass_free);
  self->batch_size = 16;
  self->truncation = EIGML_TRUNCATION_KEEP_RECENT;
  self->first_stage = 64;
  self->lexical_share = 64;
  self->order = EIGML_RANK_ORDER_LEXICAL;
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
          guint flags,
          GError **error)
{
  g_autofree char *key = g_strdup_printf ("%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT ":%u", B, C,
                                          flags);
  Pass *p = g_hash_table_lookup (self->passes, key);

  if (p != NULL)
    return p;
  p = g_new0 (Pass, 1);
  p->graph = eigml_graph_new (eigml_model_get_context (self->model));
  if (!eigml_model_build (self->model, p->graph, B, C, flags, &p->mg, error) ||
      !eigml_graph_prepare (p->graph, error))
    {
      pass_free (p);
      return NULL;
    }
  /* a few shapes stay; a stream of new ones must not grow without bound */
  if (g_hash_table_size (self->passes) >= 16)
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
  Pass *p = get_pass (self, batch->batch, batch->n_candidates, 0, error);

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
  return eigml_ranker_evaluate_shard (self, dataset, metrics, max_examples, 0, 1, cancellable,
                                      error);
}

/* eigml_ranker_evaluate() for shard @shard of @n_shards: the batches are
 * the ones the whole evaluation forms (batch_size examples with the same
 * number of candidates, in dataset order), and this shard scores batch j
 * when j % n_shards == shard; so every example gets the scores of the
 * same pass as in one process, and metrics merged from all shards are
 * those of one process, bit for bit. */
gboolean
eigml_ranker_evaluate_shard (EigmlRanker *self,
                             EigmlDataset *dataset,
                             EigmlMetrics *metrics,
                             guint max_examples,
                             guint shard,
                             guint n_shards,
                             GCancellable *cancellable,
                             GError **error)
{
  g_autoptr (GPtrArray) pending = g_ptr_array_new_with_free_func ((GDestroyNotify) eigml_example_unref);
  guint n, done = 0;
  guint64 batch_no = 0;
  gboolean ok = TRUE;

  g_return_val_if_fail (EIGML_IS_RANKER (self), FALSE);
  g_return_val_if_fail (EIGML_IS_DATASET (dataset), FALSE);
  g_return_val_if_fail (EIGML_IS_METRICS (metrics), FALSE);
  g_return_val_if_fail (n_shards >= 1 && shard < n_shards, FALSE);

#define FLUSH() \
  (batch_no++ % n_shards == shard ? flush (self, pending, metrics, error) \
                                  : (g_ptr_array_set_size (pending, 0), TRUE))

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
          ok = FLUSH ();
          done = i;
        }
      g_ptr_array_add (pending, ex);
      if (ok && pending->len == self->batch_size)
        {
          ok = FLUSH ();
          done = i + 1;
          g_mutex_unlock (&self->lock);
          g_signal_emit (self, signals[SIGNAL_PROGRESS], 0, done, n);
          g_mutex_lock (&self->lock);
        }
    }
  if (ok && pending->len > 0)
    ok = FLUSH ();
#undef FLUSH
  g_mutex_unlock (&self->lock);
  if (ok)
    g_signal_emit (self, signals[SIGNAL_PROGRESS], 0, n, n);
  return ok;
}

/* ---- whole-library retrieval --------------------------------------------- */

#define EMBED_CHUNK 32

/* floats of one sticker's image-encoder output f_v, [P + 1, H] */
static gsize
feature_row (EigmlModel *model)
{
  const EigmlModelConfig *c = eigml_model_get_config (model);
  gsize grid = c->vision->image_size / c->vision->patch_size;

  return (grid * grid + 1) * c->vision->hidden;
}

/* [n, D] embeddings of the library's stickers, and with @features their
 * image-encoder outputs [n, P + 1, H] */
static float *
compute_embeddings (EigmlRanker *self,
                    EigmlStickerLibrary *library,
                    float **features,
                    GCancellable *cancellable,
                    GError **error)
{
  EigmlModel *model = self->model;
  guint n = eigml_sticker_library_get_n_stickers (library);
  guint D = eigml_model_get_config (model)->proj_dim;
  guint patch = eigml_model_get_config (model)->vision->patch_size;
  gsize row = feature_row (model);
  guint chunk = MIN (n, EMBED_CHUNK);
  g_autoptr (EigmlGraph) g = eigml_graph_new (eigml_model_get_context (model));
  g_autofree float *out = g_new (float, (gsize) n * D);
  g_autofree float *feats = features ? g_new (float, (gsize) n * row) : NULL;
  EigmlNode *patches, *emb, *f_v = NULL;

  emb = eigml_model_build_sticker_embedding (model, g, chunk, &patches,
                                             features ? &f_v : NULL);
  if (emb == NULL || eigml_graph_propagate_error (g, error) || !eigml_graph_prepare (g, error))
    return NULL;
  for (guint start = 0; start < n; start += chunk)
    {
      guint len = MIN (chunk, n - start);
      g_autofree const char **paths = g_new0 (const char *, chunk + 1);
      g_autoptr (EigmlTensor) pixels = NULL, p = NULL;
      g_autofree float *part = NULL, *fpart = NULL;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      for (guint k = 0; k < chunk; k++)
        paths[k] = eigml_sticker_library_get_path (library, start + MIN (k, len - 1));
      pixels = eigml_image_processor_load_batch (self->images, paths, chunk, NULL, 0, 0, error);
      if (pixels == NULL || (p = eigml_image_patchify (pixels, patch, error)) == NULL ||
          !eigml_graph_set_input_tensor (g, patches, p, error) || !eigml_graph_compute (g, error) ||
          (part = eigml_graph_dup_floats (g, emb, error)) == NULL ||
          (f_v != NULL && (fpart = eigml_graph_dup_floats (g, f_v, error)) == NULL))
        {
          g_prefix_error (error, "sticker embeddings: ");
          return NULL;
        }
      memcpy (out + (gsize) start * D, part, (gsize) len * D * sizeof (float));
      if (feats != NULL)
        memcpy (feats + (gsize) start * row, fpart, (gsize) len * row * sizeof (float));
    }
  if (features != NULL)
    *features = g_steal_pointer (&feats);
  return g_steal_pointer (&out);
}

/* the text of sticker @i that the lexical first stage searches */
static char *
sticker_text (EigmlStickerLibrary *library,
              guint i)
{
  GString *t = g_string_new (NULL);
  const char *langs[2] = { "en", "zh" };

  for (guint l = 0; l < 2; l++)
    {
      const char *label = eigml_sticker_library_get_label (library, i, langs[l]);
      const char *const *kw = eigml_sticker_library_get_keywords (library, i, langs[l]);

      if (label != NULL)
        g_string_append_printf (t, "%s\n", label);
      for (guint k = 0; kw != NULL && kw[k] != NULL; k++)
        g_string_append_printf (t, "%s\n", kw[k]);
    }
  return g_string_free (t, FALSE);
}

static EigmlLexical *
build_lexical (EigmlStickerLibrary *library)
{
  EigmlLexical *lex = eigml_lexical_new ();
  guint n = eigml_sticker_library_get_n_stickers (library);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *text = sticker_text (library, i);

      eigml_lexical_add (lex, text);
    }
  return lex;
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
 * model (new weights) never reuses stale embeddings. Where they take at
 * most 512 MiB, the image encoder's outputs for every sticker are kept
 * (in memory and in the cache) too, so that the second stage of
 * eigml_ranker_select() runs only the fusion on its candidates.
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
  g_autofree float *emb = NULL, *feats = NULL;
  gboolean from_cache = FALSE, keep_features;
  gsize row;

  g_return_val_if_fail (EIGML_IS_RANKER (self), FALSE);
  g_return_val_if_fail (EIGML_IS_STICKER_LIBRARY (library), FALSE);

  n = eigml_sticker_library_get_n_stickers (library);
  D = eigml_model_get_config (self->model)->proj_dim;
  row = feature_row (self->model);
  keep_features = (gsize) n * row * sizeof (float) <= FEATURE_BYTES_MAX;
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
  name = g_strdup_printf ("embeddings-%.16s-%.16s%s.safetensors", lib_fp, model_fp,
                          keep_features ? "-f" : "");
  path = g_build_filename (dir, name, NULL);

  if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_autoptr (GError) local = NULL;
      g_autoptr (EigmlWeights) w = eigml_weights_load (path, &local);
      EigmlTensor *t = w ? eigml_weights_lookup (w, "embeddings") : NULL;
      gsize count = 0;

      EigmlTensor *f = w && keep_features ? eigml_weights_lookup (w, "features") : NULL;

      if (t != NULL && eigml_tensor_get_n_elements (t) == (gint64) n * D &&
          (!keep_features ||
           (f != NULL && eigml_tensor_get_n_elements (f) == (gint64) (n * row))))
        {
          emb = eigml_tensor_dup_floats (t, &count, &local);
          if (emb != NULL && keep_features &&
              (feats = eigml_tensor_dup_floats (f, &count, &local)) == NULL)
            g_clear_pointer (&emb, g_free);
        }
      if (emb != NULL)
        from_cache = TRUE;
      else
        g_message ("sticker embedding cache %s unusable (%s); computing again", path,
                   local ? local->message : "wrong size");
    }
  if (emb == NULL)
    {
      gint64 shape[2] = { n, D }, fshape[2] = { n, (gint64) row };
      g_autoptr (EigmlWeights) w = eigml_weights_new ();
      g_autoptr (EigmlTensor) t = NULL, f = NULL;

      emb = compute_embeddings (self, library, keep_features ? &feats : NULL, cancellable, error);
      if (emb == NULL)
        goto fail;
      t = eigml_tensor_new_from_floats (shape, 2, emb, (gsize) n * D, error);
      if (t == NULL)
        goto fail;
      eigml_weights_insert (w, "embeddings", t);
      if (feats != NULL)
        {
          f = eigml_tensor_new_from_floats (fshape, 2, feats, (gsize) n * row, error);
          if (f == NULL)
            goto fail;
          eigml_weights_insert (w, "features", f);
        }
      if (g_mkdir_with_parents (dir, 0755) != 0 || !eigml_weights_save_safetensors (w, path, NULL))
        g_message ("could not cache sticker embeddings in %s", path);
    }
  g_set_object (&self->library, library);
  g_free (self->embeddings);
  self->embeddings = g_steal_pointer (&emb);
  g_free (self->features);
  self->features = g_steal_pointer (&feats);
  eigml_lexical_free (self->lexical);
  self->lexical = build_lexical (library);
  self->from_cache = from_cache;
  g_mutex_unlock (&self->lock);
  return TRUE;

fail:
  g_mutex_unlock (&self->lock);
  return FALSE;
}

/**
 * eigml_ranker_add_sticker:
 * @self: a ranker with a library (eigml_ranker_set_library())
 * @id: the new sticker's id (not in the library yet)
 * @path: (type filename): its image
 * @label_en: (nullable): an English label
 * @label_zh: (nullable): a Chinese label
 * @emotion: (nullable): its emotion class (好 乐 哀 怒 惧 恶 惊)
 * @error: return location for a #GError
 *
 * Adds a sticker to the ranker's library (eigml_sticker_library_add())
 * and computes its embedding, and its image-encoder outputs where the
 * ranker keeps them, for that sticker alone: the rest of the library is
 * not encoded again. Selections made after this call may return it. The
 * ranker's arrays and its library change together, under the ranker's
 * lock, so a selection running in another thread sees either the library
 * before the call or after it. The embedding cache on disk is not
 * rewritten (the next eigml_ranker_set_library() of the grown library
 * computes it).
 *
 * Returns: %TRUE when added; on error the library and the ranker are as
 *   they were
 *
 * Since: 1.0
 */
gboolean
eigml_ranker_add_sticker (EigmlRanker *self,
                          const char *id,
                          const char *path,
                          const char *label_en,
                          const char *label_zh,
                          const char *emotion,
                          GError **error)
{
  g_autoptr (EigmlStickerLibrary) one = NULL;
  g_autofree float *emb = NULL, *feats = NULL;
  guint n, D;
  gsize row;
  gboolean ok = FALSE;

  g_return_val_if_fail (EIGML_IS_RANKER (self), FALSE);
  g_return_val_if_fail (id != NULL && path != NULL, FALSE);

  if (self->library == NULL)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "the ranker has no library (eigml_ranker_set_library)");
      return FALSE;
    }
  if (eigml_sticker_library_lookup (self->library, id, NULL))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "sticker id \"%s\" is already in the library", id);
      return FALSE;
    }
  /* a one-sticker library checks the id, image and emotion as the real
   * one will, before anything is computed */
  one = eigml_sticker_library_new ();
  if (!eigml_sticker_library_add (one, id, path, label_en, label_zh, emotion, error))
    return FALSE;

  D = eigml_model_get_config (self->model)->proj_dim;
  row = feature_row (self->model);
  g_mutex_lock (&self->lock);
  emb = compute_embeddings (self, one, self->features != NULL ? &feats : NULL, NULL, error);
  if (emb == NULL)
    goto out;
  n = eigml_sticker_library_get_n_stickers (self->library);
  /* the arrays grow first: rows past the library's count are never read */
  self->embeddings = g_renew (float, self->embeddings, (gsize) (n + 1) * D);
  memcpy (self->embeddings + (gsize) n * D, emb, D * sizeof (float));
  if (self->features != NULL && (gsize) (n + 1) * row * sizeof (float) > FEATURE_BYTES_MAX)
    g_clear_pointer (&self->features, g_free);   /* the second stage encodes images again */
  else if (self->features != NULL)
    {
      self->features = g_renew (float, self->features, (gsize) (n + 1) * row);
      memcpy (self->features + (gsize) n * row, feats, row * sizeof (float));
    }
  ok = eigml_sticker_library_add (self->library, id, path, label_en, label_zh, emotion, error);
  if (ok)
    {
      g_autofree char *text = sticker_text (self->library, n);

      eigml_lexical_add (self->lexical, text);
    }

out:
  g_mutex_unlock (&self->lock);
  return ok;
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

/**
 * eigml_ranker_get_lexical_share:
 * @self: a ranker
 *
 * Returns: at most how many of the first stage's stickers come from the
 *   lexical match of the dialogue's words with the stickers' labels and
 *   keywords (BM25)
 *
 * Since: 1.0
 */
guint
eigml_ranker_get_lexical_share (EigmlRanker *self)
{
  g_return_val_if_fail (EIGML_IS_RANKER (self), 0);
  return self->lexical_share;
}

/**
 * eigml_ranker_set_lexical_share:
 * @self: a ranker
 * @share: at most how many of the first stage's stickers come from the
 *   lexical match (default 64: all of the default first stage when enough
 *   stickers match); 0: the contrastive space alone
 *
 * The first stage of whole-library ranking is hybrid: up to @share stickers
 * whose labels or keywords (in any language of the library) best match the
 * dialogue's words by BM25 (English words; Chinese characters and their
 * bigrams), then the nearest stickers in the model's contrastive space fill
 * the rest. The full model ranks them all; a dialogue without a matching
 * word gets the contrastive space's nearest only.
 *
 * Since: 1.0
 */
void
eigml_ranker_set_lexical_share (EigmlRanker *self,
                                guint share)
{
  g_return_if_fail (EIGML_IS_RANKER (self));
  self->lexical_share = share;
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
 * eigml_ranker_get_order:
 * @self: a ranker
 *
 * Returns: how a whole-library ranking orders the stickers the full model
 *   scored
 *
 * Since: 1.0
 */
EigmlRankOrder
eigml_ranker_get_order (EigmlRanker *self)
{
  g_return_val_if_fail (EIGML_IS_RANKER (self), EIGML_RANK_ORDER_MODEL);
  return self->order;
}

/**
 * eigml_ranker_set_order:
 * @self: a ranker
 * @order: the order of a whole-library ranking (default
 *   %EIGML_RANK_ORDER_LEXICAL)
 *
 * How [method@Eigml.Ranker.select] (without candidates) and
 * [method@Eigml.Ranker.rank_library] order the first stage's stickers once
 * the full model has scored them ([enum@Eigml.RankOrder]). The default puts
 * the stickers whose labels or keywords match the dialogue's words first,
 * in the order of that match, and the others after them by the model's
 * score: the small default model, trained from scratch, orders typed chat
 * poorly on its own, and the library's words are strong evidence
 * (docs/results.md, "Typed dialogues", measures the three orders). The
 * scores stay the model's, so the order need not be by score;
 * [method@Eigml.Selection.get_lexical_rank] says where each sticker stands
 * in the lexical match.
 *
 * Since: 1.0
 */
void
eigml_ranker_set_order (EigmlRanker *self,
                        EigmlRankOrder order)
{
  g_return_if_fail (EIGML_IS_RANKER (self));
  g_return_if_fail (order <= EIGML_RANK_ORDER_LEXICAL);
  self->order = order;
}

#define FUSION_K 60.0   /* reciprocal rank fusion's constant (Cormack et al., 2009) */

typedef struct
{
  guint pos;              /* candidate position */
  guint model_rank;       /* 1-based */
  guint lex_rank;         /* 1-based; 0: no lexical match */
  double fused;
} Ordered;

static gint
compare_fused (gconstpointer a,
               gconstpointer b)
{
  const Ordered *x = a, *y = b;

  if (x->fused != y->fused)
    return x->fused > y->fused ? -1 : 1;
  return x->model_rank < y->model_rank ? -1 : x->model_rank > y->model_rank;
}

static gint
compare_lexical_first (gconstpointer a,
                       gconstpointer b)
{
  const Ordered *x = a, *y = b;

  if ((x->lex_rank != 0) != (y->lex_rank != 0))
    return x->lex_rank != 0 ? -1 : 1;
  if (x->lex_rank != y->lex_rank)
    return x->lex_rank < y->lex_rank ? -1 : 1;
  return x->model_rank < y->model_rank ? -1 : x->model_rank > y->model_rank;
}

/* The final order of @n candidates (@out[n]: candidate positions, best
 * first) from the model's @scores (strided by @stride floats) and the
 * candidates' 1-based lexical ranks (@lex_rank, nullable: model order).
 * Model order: by score, ties by position. */
static void
order_candidates (EigmlRankOrder order,
                  const float *scores,
                  gsize stride,
                  const guint *lex_rank,
                  guint n,
                  guint *out)
{
  g_autofree Hit *hits = g_new (Hit, MAX (n, 1));
  g_autofree Ordered *o = NULL;

  for (guint k = 0; k < n; k++)
    {
      hits[k].index = k;
      hits[k].score = scores[(gsize) k * stride];
    }
  qsort (hits, n, sizeof (Hit), compare_hits);
  if (lex_rank == NULL || order == EIGML_RANK_ORDER_MODEL)
    {
      for (guint r = 0; r < n; r++)
        out[r] = hits[r].index;
      return;
    }
  o = g_new (Ordered, MAX (n, 1));
  for (guint r = 0; r < n; r++)
    {
      guint k = hits[r].index;

      o[r].pos = k;
      o[r].model_rank = r + 1;
      o[r].lex_rank = lex_rank[k];
      o[r].fused = 1.0 / (FUSION_K + (double) (r + 1)) +
                   (lex_rank[k] != 0 ? 1.0 / (FUSION_K + (double) lex_rank[k]) : 0.0);
    }
  qsort (o, n, sizeof (Ordered),
         order == EIGML_RANK_ORDER_FUSED ? compare_fused : compare_lexical_first);
  for (guint r = 0; r < n; r++)
    out[r] = o[r].pos;
}

/* The dialogue-embedding pass for B dialogues (B a power of two) */
typedef struct
{
  EigmlGraph *graph;
  EigmlNode *ids, *types, *mask, *out;
} QueryPass;

static void
query_pass_free (gpointer data)
{
  QueryPass *qp = data;

  eigml_graph_unref (qp->graph);
  g_free (qp);
}

static QueryPass *
get_query_pass (EigmlRanker *self,
                guint B,
                GError **error)
{
  QueryPass *qp = g_hash_table_lookup (self->queries, GUINT_TO_POINTER (B));

  if (qp != NULL)
    return qp;
  qp = g_new0 (QueryPass, 1);
  qp->graph = eigml_graph_new (eigml_model_get_context (self->model));
  qp->out = eigml_model_build_dialogue_embedding (self->model, qp->graph, B, &qp->ids,
                                                  &qp->types, &qp->mask);
  if (qp->out == NULL || eigml_graph_propagate_error (qp->graph, error) ||
      !eigml_graph_prepare (qp->graph, error))
    {
      query_pass_free (qp);
      return NULL;
    }
  g_hash_table_insert (self->queries, GUINT_TO_POINTER (B), qp);
  return qp;
}

/* The first stage for @n dialogues: the cosine of each dialogue's
 * embedding with every sticker's, [n, n_stickers] (one pass over up to
 * SELECT_BATCH dialogues, then one matrix product). Called with the lock
 * held. */
static float *
first_stage_many_locked (EigmlRanker *self,
                         const char *const *const *turns,
                         guint n,
                         GError **error)
{
  const EigmlModelConfig *c = eigml_model_get_config (self->model);
  guint N = eigml_sticker_library_get_n_stickers (self->library), D = c->proj_dim;
  gsize T = c->max_len;
  g_autofree float *sims = g_new (float, (gsize) n * N);

  for (guint start = 0; start < n; start += SELECT_BATCH)
    {
      guint len = MIN (SELECT_BATCH, n - start), B = 1;
      g_autofree gint32 *ids = NULL, *types = NULL, *attention = NULL;
      g_autofree float *mask = NULL, *q = NULL;
      QueryPass *qp;

      while (B < len)
        B <<= 1;
      if ((qp = get_query_pass (self, B, error)) == NULL)
        return NULL;
      ids = g_new (gint32, B * T);
      types = g_new (gint32, B * T);
      attention = g_new (gint32, B * T);
      mask = g_new (float, B * T);
      for (guint b = 0; b < B; b++)
        {
          /* rows past @len repeat the last dialogue */
          if (b >= len)
            {
              memcpy (ids + b * T, ids + (len - 1) * T, T * sizeof (gint32));
              memcpy (types + b * T, types + (len - 1) * T, T * sizeof (gint32));
              memcpy (attention + b * T, attention + (len - 1) * T, T * sizeof (gint32));
            }
          else if (!eigml_tokenizer_encode_dialogue_into (self->tokenizer, turns[start + b], NULL,
                                                          T, self->truncation, ids + b * T,
                                                          types + b * T, attention + b * T,
                                                          error))
            return NULL;
        }
      for (gsize k = 0; k < B * T; k++)
        mask[k] = attention[k] ? 0.0f : -10000.0f;
      if (!eigml_graph_set_input_ints (qp->graph, qp->ids, ids, B * T, error) ||
          !eigml_graph_set_input_ints (qp->graph, qp->types, types, B * T, error) ||
          !eigml_graph_set_input_floats (qp->graph, qp->mask, mask, B * T, error) ||
          !eigml_graph_compute (qp->graph, error) ||
          (q = eigml_graph_dup_floats (qp->graph, qp->out, error)) == NULL)
        return NULL;
      /* sims[len, N] = q[len, D] · embeddings[N, D]ᵀ */
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, (int) len, (int) N, (int) D, 1.0f, q,
                   (int) D, self->embeddings, (int) D, 0.0f, sims + (gsize) start * N, (int) N);
    }
  return g_steal_pointer (&sims);
}

/* The first stage of one dialogue, [n_stickers]. Called with the lock held. */
static float *
first_stage_locked (EigmlRanker *self,
                    const char *const *turns,
                    GError **error)
{
  const char *const *one[1] = { turns };

  return first_stage_many_locked (self, one, 1, error);
}

/* The first stage's K candidates for one dialogue (library indices into
 * @out[K]): up to lexical_share stickers whose labels or keywords match
 * the dialogue's words best (BM25, best first), then the nearest in the
 * contrastive space (@sims) that are not already in; @lex_ranks[K]: each
 * candidate's 1-based rank in the lexical match (0: its words do not
 * match). Called with the lock held. */
static guint
first_stage_candidates (EigmlRanker *self,
                        const char *const *turns,
                        const float *sims,
                        guint top_k,
                        guint **out,
                        guint **lex_ranks)
{
  guint n = eigml_sticker_library_get_n_stickers (self->library);
  guint K = MIN (n, MAX (self->first_stage, top_k)), taken = 0;
  g_autofree Hit *hits = g_new (Hit, n);
  g_autofree gboolean *chosen = g_new0 (gboolean, n);
  g_autofree guint *rank_of = g_new0 (guint, n);
  guint *cand = g_new (guint, K);
  guint *ranks = g_new (guint, K);

  if (self->lexical_share > 0 && self->lexical != NULL &&
      eigml_lexical_get_n_docs (self->lexical) == n)
    {
      g_autofree char *text = g_strjoinv ("\n", (char **) turns);
      g_autofree float *lex = g_new (float, n);
      guint matches = eigml_lexical_score (self->lexical, text, lex);
      guint share = MIN (MIN (self->lexical_share, K), matches);

      for (guint k = 0; k < n; k++)
        {
          hits[k].index = k;
          hits[k].score = lex[k];
        }
      qsort (hits, n, sizeof (Hit), compare_hits);
      for (guint k = 0; k < matches; k++)
        rank_of[hits[k].index] = k + 1;
      for (guint k = 0; k < share; k++)
        {
          cand[taken++] = hits[k].index;
          chosen[hits[k].index] = TRUE;
        }
    }
  for (guint k = 0; k < n; k++)
    {
      hits[k].index = k;
      hits[k].score = sims[k];
    }
  qsort (hits, n, sizeof (Hit), compare_hits);
  for (guint k = 0; k < n && taken < K; k++)
    if (!chosen[hits[k].index])
      cand[taken++] = hits[k].index;
  for (guint k = 0; k < taken; k++)
    ranks[k] = rank_of[cand[k]];
  *out = cand;
  *lex_ranks = ranks;
  return taken;
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
 * @lexical_ranks: (out) (optional) (array length=n_results) (transfer full):
 *   where each stands in the lexical match of the dialogue's words (1: the
 *   best match; 0: its words do not match), as
 *   [method@Eigml.Selection.get_lexical_rank]
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
                           guint **lexical_ranks,
                           gsize *n_results,
                           GError **error)
{
  guint K = 0;
  g_autofree float *sims = NULL, *full = NULL;
  g_autofree Hit *hits = NULL;
  g_autofree guint *cand = NULL, *lex_ranks = NULL, *final = NULL;
  g_autofree const char **paths = NULL;
  gsize n_full = 0;
  EigmlRankOrder order;

  g_return_val_if_fail (EIGML_IS_RANKER (self), FALSE);
  g_return_val_if_fail (turns != NULL && indices != NULL && scores != NULL && n_results != NULL,
                        FALSE);
  *indices = NULL;
  *scores = NULL;
  *n_results = 0;
  if (lexical_ranks != NULL)
    *lexical_ranks = NULL;
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
  /* first stage: lexical matches and the nearest in the contrastive space */
  g_mutex_lock (&self->lock);
  sims = first_stage_locked (self, turns, error);
  if (sims != NULL)
    K = first_stage_candidates (self, turns, sims, top_k, &cand, &lex_ranks);
  order = self->order;
  g_mutex_unlock (&self->lock);
  if (sims == NULL)
    return FALSE;
  hits = g_new (Hit, K);
  for (guint i = 0; i < K; i++)
    hits[i].index = cand[i];

  /* second stage: the full model on the nearest K */
  paths = g_new0 (const char *, K + 1);
  for (guint i = 0; i < K; i++)
    paths[i] = eigml_sticker_library_get_path (self->library, hits[i].index);
  full = eigml_ranker_score (self, turns, emotion, n_emotion, paths, &n_full, error);
  if (full == NULL)
    return FALSE;
  final = g_new (guint, MAX (K, 1));
  order_candidates (order, full, 1, lex_ranks, K, final);

  *n_results = MIN (top_k, K);
  *indices = g_new (guint, *n_results);
  *scores = g_new (float, *n_results);
  if (lexical_ranks != NULL)
    *lexical_ranks = g_new (guint, MAX (*n_results, 1));
  for (gsize i = 0; i < *n_results; i++)
    {
      (*indices)[i] = hits[final[i]].index;
      (*scores)[i] = full[final[i]];
      if (lexical_ranks != NULL)
        (*lexical_ranks)[i] = lex_ranks[final[i]];
    }
  return TRUE;
}

/* ---- selections: whole dialogues, with the parts of their scores -------- */

typedef const char *const *KnowRows[EIGML_N_RELATIONS];

typedef struct
{
  guint *cand;             /* library indices of the candidates */
  guint n_cand;
  EigmlEmotion emotion;
  float *dist;             /* [E] */
  EigmlIntents *intents;
  float *parts;            /* [n_cand, EIGML_SELECTION_N_PARTS] */
  guint *lex_ranks;        /* [n_cand] of a whole-library query, else NULL */
} Query;

static void
query_clear (Query *q)
{
  g_free (q->cand);
  g_free (q->lex_ranks);
  g_free (q->dist);
  g_free (q->parts);
  g_clear_pointer (&q->intents, eigml_intents_unref);
}

/* emotion, knowledge and candidates of request @i; with the lock held */
static gboolean
prepare_query_locked (EigmlRanker *self,
                      const EigmlSelectRequest *r,
                      guint i,
                      Query *q,
                      GError **error)
{
  const EigmlModelConfig *c = eigml_model_get_config (self->model);

  if (r->turns == NULL || r->top_k == 0)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "request %u: %s", i, r->turns == NULL ? "no dialogue" : "top_k must be at least 1");
      return FALSE;
    }
  q->dist = g_new0 (float, c->n_emotions);
  q->emotion = EIGML_EMOTION_NONE;
  if (self->annotator != NULL)
    {
      g_autoptr (EigmlEmotionResult) er =
        eigml_emotion_annotator_annotate_dialogue (self->annotator, r->turns, error);
      const float *d;
      gsize nd = 0;

      if (er == NULL)
        return FALSE;
      d = eigml_emotion_result_get_distribution (er, &nd);
      if (nd != c->n_emotions)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE,
                       "the annotator gives %" G_GSIZE_FORMAT
                       " emotion categories; the model has %u", nd, c->n_emotions);
          return FALSE;
        }
      memcpy (q->dist, d, nd * sizeof (float));
      q->emotion = eigml_emotion_result_get_label (er);
    }
  if (self->intent_source != NULL)
    {
      q->intents = eigml_intent_source_infer (self->intent_source, r->turns,
                                              eigml_batcher_emotion_category (q->dist,
                                                                              c->n_emotions),
                                              NULL, error);
      if (q->intents == NULL)
        return FALSE;
    }
  if (r->candidates != NULL)
    {
      q->n_cand = g_strv_length ((char **) r->candidates);
      if (q->n_cand == 0)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                       "request %u: an empty candidate list", i);
          return FALSE;
        }
      q->cand = g_new (guint, q->n_cand);
      for (guint k = 0; k < q->n_cand; k++)
        if (!eigml_sticker_library_lookup (self->library, r->candidates[k], &q->cand[k]))
          {
            g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                         "request %u: candidates[%u]: no sticker \"%s\" in the library", i, k,
                         r->candidates[k]);
            return FALSE;
          }
    }
  /* else: the whole library, whose first stage select_many runs for all
   * such requests at once (candidates_from_sims) */
  return TRUE;
}

/* one pass over queries [0, n) of @q; with the lock held */
static gboolean
score_queries_locked (EigmlRanker *self,
                      const EigmlSelectRequest *requests,
                      Query *q,
                      guint n,
                      GError **error)
{
  const EigmlModelConfig *c = eigml_model_get_config (self->model);
  guint B = 1, C = 0, E = c->n_emotions;
  gsize row = feature_row (self->model);
  g_autofree const char **paths = NULL;
  g_autofree const char *const **turns = NULL;
  g_autofree KnowRows *knowledge = NULL;
  g_autofree const char *const *const **intents = NULL;
  g_autofree float *emotion = NULL, *features = NULL;
  float *out[EIGML_SELECTION_N_PARTS] = { NULL };   /* freed below: g_autofree on an array
                                                   * would free its first element only */
  gboolean ok = TRUE;
  EigmlNode *nodes[EIGML_SELECTION_N_PARTS];
  EigmlModelBatch batch;
  EigmlBatcher b = batcher (self);
  Pass *p;

  /* few pass shapes: B a power of two, padded with the last dialogue;
   * candidate lists padded with their last candidate. A candidate's score
   * depends on its dialogue alone, so padding changes no result. */
  while (B < n)
    B <<= 1;
  for (guint i = 0; i < n; i++)
    C = MAX (C, q[i].n_cand);
  turns = g_new0 (const char *const *, B);
  knowledge = g_new0 (KnowRows, B);
  intents = g_new0 (const char *const *const *, B);
  emotion = g_new (float, (gsize) B * E);
  if (self->features != NULL)
    features = g_new (float, (gsize) B * C * row);
  else
    paths = g_new0 (const char *, (gsize) B * C + 1);
  for (guint bi = 0; bi < B; bi++)
    {
      const Query *x = &q[MIN (bi, n - 1)];

      turns[bi] = requests[MIN (bi, n - 1)].turns;
      memcpy (emotion + (gsize) bi * E, x->dist, E * sizeof (float));
      if (x->intents != NULL)
        {
          eigml_batcher_intents_rows (x->intents, knowledge[bi]);
          intents[bi] = knowledge[bi];
        }
      for (guint k = 0; k < C; k++)
        {
          guint idx = x->cand[MIN (k, x->n_cand - 1)];
          gsize at = (gsize) bi * C + k;

          if (features != NULL)
            memcpy (features + at * row, self->features + (gsize) idx * row,
                    row * sizeof (float));
          else
            paths[at] = eigml_sticker_library_get_path (self->library, idx);
        }
    }
  p = get_pass (self, B, C, features != NULL ? EIGML_MODEL_GRAPH_VISION_FEATURES : 0, error);
  if (p == NULL ||
      !eigml_batcher_fill_queries (&b, B, turns, emotion, intents, C, paths,
                                   g_steal_pointer (&features), &batch, error))
    return FALSE;
  if (!eigml_model_graph_set_batch (p->graph, &p->mg, &batch, E, error) ||
      !eigml_graph_compute (p->graph, error))
    {
      eigml_model_batch_clear (&batch);
      return FALSE;
    }
  eigml_model_batch_clear (&batch);
  nodes[EIGML_SELECTION_SCORE] = p->mg.scores;
  nodes[EIGML_SELECTION_P_VL] = p->mg.p_vl;
  nodes[EIGML_SELECTION_S_EMO] = p->mg.s_emo;
  nodes[EIGML_SELECTION_S_INT] = p->mg.s_int;
  for (guint k = 0; ok && k < EIGML_SELECTION_N_PARTS; k++)
    if (nodes[k] != NULL && (out[k] = eigml_graph_dup_floats (p->graph, nodes[k], error)) == NULL)
      ok = FALSE;
  for (guint i = 0; ok && i < n; i++)
    {
      q[i].parts = g_new (float, (gsize) q[i].n_cand * EIGML_SELECTION_N_PARTS);
      for (guint k = 0; k < q[i].n_cand; k++)
        for (guint j = 0; j < EIGML_SELECTION_N_PARTS; j++)
          q[i].parts[(gsize) k * EIGML_SELECTION_N_PARTS + j] =
            out[j] ? out[j][(gsize) i * C + k] : NAN;
    }
  for (guint k = 0; k < EIGML_SELECTION_N_PARTS; k++)
    g_free (out[k]);
  return ok;
}

static EigmlSelection *
make_selection (EigmlRanker *self,
                Query *q,
                guint top_k,
                EigmlRankOrder order)
{
  const EigmlModelConfig *c = eigml_model_get_config (self->model);
  g_autofree guint *final = g_new (guint, q->n_cand);
  guint n = MIN (top_k, q->n_cand);
  char **ids = g_new0 (char *, n + 1);
  guint *indices = g_new (guint, n);
  float *parts = g_new (float, (gsize) n * EIGML_SELECTION_N_PARTS);
  guint *lex_ranks = q->lex_ranks != NULL ? g_new (guint, n) : NULL;

  /* best first (by score, or with the lexical match for a whole-library
   * query: set_order); ties keep the candidates' order */
  order_candidates (order, q->parts + EIGML_SELECTION_SCORE, EIGML_SELECTION_N_PARTS,
                    q->lex_ranks, q->n_cand, final);
  for (guint r = 0; r < n; r++)
    {
      guint k = final[r];

      if (lex_ranks != NULL)
        lex_ranks[r] = q->lex_ranks[k];
      indices[r] = q->cand[k];
      ids[r] = g_strdup (eigml_sticker_library_get_id (self->library, q->cand[k]));
      memcpy (parts + (gsize) r * EIGML_SELECTION_N_PARTS,
              q->parts + (gsize) k * EIGML_SELECTION_N_PARTS,
              EIGML_SELECTION_N_PARTS * sizeof (float));
    }
  return eigml_selection_new_take (n, ids, indices, parts, lex_ranks, q->emotion,
                                   g_memdup2 (q->dist, c->n_emotions * sizeof (float)),
                                   c->n_emotions, q->intents);
}

/**
 * eigml_ranker_select_many: (skip)
 * @self: a ranker with a library (eigml_ranker_set_library())
 * @requests: (array length=n_requests): the dialogues
 * @n_requests: their number
 * @error: return location for a #GError
 *
 * eigml_ranker_select() for several dialogues at once: their second
 * stages share model passes of up to 16 dialogues, which is much faster
 * than one call each (a server batches the requests that arrive
 * together). Each result equals what eigml_ranker_select() gives for its
 * request alone (within float rounding). One bad request fails the call.
 *
 * Returns: (transfer full) (element-type EigmlSelection) (nullable): one
 *   selection per request, in order
 *
 * Since: 1.0
 */
GPtrArray *
eigml_ranker_select_many (EigmlRanker *self,
                          const EigmlSelectRequest *requests,
                          guint n_requests,
                          GError **error)
{
  g_autoptr (GPtrArray) out = NULL;
  Query *q;
  gboolean ok = TRUE;
  EigmlRankOrder order;

  g_return_val_if_fail (EIGML_IS_RANKER (self), NULL);
  g_return_val_if_fail (requests != NULL || n_requests == 0, NULL);

  if (self->library == NULL)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "the ranker has no library (eigml_ranker_set_library)");
      return NULL;
    }
  out = g_ptr_array_new_full (n_requests, g_object_unref);
  q = g_new0 (Query, MAX (n_requests, 1));
  g_mutex_lock (&self->lock);
  order = self->order;
  for (guint i = 0; ok && i < n_requests; i++)
    ok = prepare_query_locked (self, &requests[i], i, &q[i], error);
  if (ok)
    {
      /* the first stage of every whole-library request, in shared passes */
      g_autofree guint *which = g_new (guint, MAX (n_requests, 1));
      g_autofree const char *const **turns = g_new (const char *const *, MAX (n_requests, 1));
      g_autofree float *sims = NULL;
      guint m = 0, N = eigml_sticker_library_get_n_stickers (self->library);

      for (guint i = 0; i < n_requests; i++)
        if (requests[i].candidates == NULL)
          {
            which[m] = i;
            turns[m++] = requests[i].turns;
          }
      if (m > 0 && (sims = first_stage_many_locked (self, turns, m, error)) == NULL)
        ok = FALSE;
      for (guint j = 0; ok && j < m; j++)
        q[which[j]].n_cand = first_stage_candidates (self, turns[j], sims + (gsize) j * N,
                                                     requests[which[j]].top_k, &q[which[j]].cand,
                                                     &q[which[j]].lex_ranks);
    }
  for (guint start = 0; ok && start < n_requests; start += SELECT_BATCH)
    ok = score_queries_locked (self, requests + start, q + start,
                               MIN (SELECT_BATCH, n_requests - start), error);
  g_mutex_unlock (&self->lock);
  for (guint i = 0; ok && i < n_requests; i++)
    g_ptr_array_add (out, make_selection (self, &q[i], requests[i].top_k, order));
  for (guint i = 0; i < n_requests; i++)
    query_clear (&q[i]);
  g_free (q);
  return ok ? g_steal_pointer (&out) : NULL;
}

/**
 * eigml_ranker_select:
 * @self: a ranker with a library (eigml_ranker_set_library())
 * @turns: (array zero-terminated=1): the dialogue, oldest turn first
 * @candidates: (array zero-terminated=1) (nullable): library ids of the
 *   stickers to rank, or %NULL to rank the whole library in two stages
 *   (eigml_ranker_rank_library())
 * @top_k: how many stickers to return
 * @error: return location for a #GError
 *
 * Selects stickers for the dialogue and says why: the dialogue's emotion
 * comes from the ranker's annotator (none without one) and its intention
 * knowledge from its intent source (none without one); each sticker comes
 * with its score and the score's parts (p_vl, s_emo, s_int). Ties keep the
 * order of @candidates (or of the first stage).
 *
 * Returns: (transfer full) (nullable): the selection
 *
 * Since: 1.0
 */
EigmlSelection *
eigml_ranker_select (EigmlRanker *self,
                     const char * const *turns,
                     const char * const *candidates,
                     guint top_k,
                     GError **error)
{
  EigmlSelectRequest r = { turns, candidates, top_k };
  g_autoptr (GPtrArray) all = NULL;

  g_return_val_if_fail (EIGML_IS_RANKER (self), NULL);
  g_return_val_if_fail (turns != NULL, NULL);
  all = eigml_ranker_select_many (self, &r, 1, error);
  return all ? g_object_ref (g_ptr_array_index (all, 0)) : NULL;
}
