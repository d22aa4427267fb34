/* eigml-ranker.h: scoring and ranking stickers for a dialogue with a model
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(__EIGML_H_INSIDE__) && !defined(EIGML_COMPILATION)
#error "Only <eigml/eigml.h> can be included directly."
#endif

#include <gio/gio.h>
#include <eigml/eigml-version-macros.h>
#include <eigml/eigml-model.h>
#include <eigml/eigml-tokenizer.h>
#include <eigml/eigml-dataset.h>
#include <eigml/eigml-intent-source.h>
#include <eigml/eigml-metrics.h>
#include <eigml/eigml-sticker-library.h>
#include <eigml/eigml-emotion-annotator.h>
#include <eigml/eigml-selection.h>

G_BEGIN_DECLS

#define EIGML_TYPE_RANKER (eigml_ranker_get_type ())

EIGML_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EigmlRanker, eigml_ranker, EIGML, RANKER, GObject)

EIGML_AVAILABLE_IN_ALL
EigmlRanker *eigml_ranker_new (EigmlModel *model,
                               EigmlTokenizer *tokenizer);
EIGML_AVAILABLE_IN_ALL
EigmlModel *eigml_ranker_get_model (EigmlRanker *self);
EIGML_AVAILABLE_IN_ALL
guint eigml_ranker_get_batch_size (EigmlRanker *self);
EIGML_AVAILABLE_IN_ALL
void eigml_ranker_set_batch_size (EigmlRanker *self,
                                  guint batch_size);
EIGML_AVAILABLE_IN_ALL
EigmlTruncation eigml_ranker_get_truncation (EigmlRanker *self);
EIGML_AVAILABLE_IN_ALL
void eigml_ranker_set_truncation (EigmlRanker *self,
                                  EigmlTruncation truncation);

EIGML_AVAILABLE_IN_ALL
EigmlEmotionAnnotator *eigml_ranker_get_emotion_annotator (EigmlRanker *self);
EIGML_AVAILABLE_IN_ALL
void eigml_ranker_set_emotion_annotator (EigmlRanker *self,
                                         EigmlEmotionAnnotator *annotator);
EIGML_AVAILABLE_IN_ALL
EigmlIntentSource *eigml_ranker_get_intent_source (EigmlRanker *self);
EIGML_AVAILABLE_IN_ALL
void eigml_ranker_set_intent_source (EigmlRanker *self,
                                     EigmlIntentSource *source);

EIGML_AVAILABLE_IN_ALL
float *eigml_ranker_score (EigmlRanker *self,
                           const char * const *turns,
                           const float *emotion,
                           gsize n_emotion,
                           const char * const *stickers,
                           gsize *n_scores,
                           GError **error);
EIGML_AVAILABLE_IN_ALL
float *eigml_ranker_score_example (EigmlRanker *self,
                                   EigmlExample *example,
                                   gsize *n_scores,
                                   GError **error);
EIGML_AVAILABLE_IN_ALL
gboolean eigml_ranker_evaluate (EigmlRanker *self,
                                EigmlDataset *dataset,
                                EigmlMetrics *metrics,
                                guint max_examples,
                                GCancellable *cancellable,
                                GError **error);

EIGML_AVAILABLE_IN_ALL
gboolean eigml_ranker_set_library (EigmlRanker *self,
                                   EigmlStickerLibrary *library,
                                   const char *cache_dir,
                                   GCancellable *cancellable,
                                   GError **error);
EIGML_AVAILABLE_IN_ALL
EigmlStickerLibrary *eigml_ranker_get_library (EigmlRanker *self);
EIGML_AVAILABLE_IN_ALL
gboolean eigml_ranker_add_sticker (EigmlRanker *self,
                                   const char *id,
                                   const char *path,
                                   const char *label_en,
                                   const char *label_zh,
                                   const char *emotion,
                                   GError **error);
EIGML_AVAILABLE_IN_ALL
gboolean eigml_ranker_get_library_from_cache (EigmlRanker *self);
EIGML_AVAILABLE_IN_ALL
guint eigml_ranker_get_first_stage_size (EigmlRanker *self);
EIGML_AVAILABLE_IN_ALL
void eigml_ranker_set_first_stage_size (EigmlRanker *self,
                                        guint size);
EIGML_AVAILABLE_IN_ALL
guint eigml_ranker_get_lexical_share (EigmlRanker *self);
EIGML_AVAILABLE_IN_ALL
void eigml_ranker_set_lexical_share (EigmlRanker *self,
                                     guint share);
EIGML_AVAILABLE_IN_ALL
EigmlRankOrder eigml_ranker_get_order (EigmlRanker *self);
EIGML_AVAILABLE_IN_ALL
void eigml_ranker_set_order (EigmlRanker *self,
                             EigmlRankOrder order);
EIGML_AVAILABLE_IN_ALL
gboolean eigml_ranker_rank_library (EigmlRanker *self,
                                    const char * const *turns,
                                    const float *emotion,
                                    gsize n_emotion,
                                    guint top_k,
                                    guint **indices,
                                    float **scores,
                                    guint **lexical_ranks,
                                    gsize *n_results,
                                    GError **error);

/**
 * EigmlSelectRequest: (skip)
 * @turns: the dialogue, oldest turn first (%NULL-terminated)
 * @candidates: (nullable): library ids of the stickers to rank
 *   (%NULL-terminated), or %NULL for the whole library (two stages)
 * @top_k: how many stickers to return (at least 1)
 *
 * One dialogue of eigml_ranker_select_many().
 *
 * Since: 1.0
 */
typedef struct
{
  const char *const *turns;
  const char *const *candidates;
  guint top_k;
} EigmlSelectRequest;

EIGML_AVAILABLE_IN_ALL
EigmlSelection *eigml_ranker_select (EigmlRanker *self,
                                     const char * const *turns,
                                     const char * const *candidates,
                                     guint top_k,
                                     GError **error);
EIGML_AVAILABLE_IN_ALL
GPtrArray *eigml_ranker_select_many (EigmlRanker *self,
                                     const EigmlSelectRequest *requests,
                                     guint n_requests,
                                     GError **error);

EIGML_AVAILABLE_IN_ALL
void eigml_ranker_set_library_async (EigmlRanker *self,
                                     EigmlStickerLibrary *library,
                                     const char *cache_dir,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer user_data);
EIGML_AVAILABLE_IN_ALL
gboolean eigml_ranker_set_library_finish (EigmlRanker *self,
                                          GAsyncResult *result,
                                          GError **error);
EIGML_AVAILABLE_IN_ALL
void eigml_ranker_select_async (EigmlRanker *self,
                                const char * const *turns,
                                const char * const *candidates,
                                guint top_k,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data);
EIGML_AVAILABLE_IN_ALL
EigmlSelection *eigml_ranker_select_finish (EigmlRanker *self,
                                            GAsyncResult *result,
                                            GError **error);

G_END_DECLS
