/* batcher.h: dataset examples into the host arrays of a model pass
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "eigml-dataset.h"
#include "eigml-emotion-annotator.h"
#include "eigml-image-processor.h"
#include "eigml-intent-source.h"
#include "eigml-tokenizer.h"
#include "model/model-private.h"

G_BEGIN_DECLS

typedef struct
{
  EigmlTokenizer *tokenizer;
  EigmlImageProcessor *images;     /* train mode: seeded crops; else resize */
  const EigmlModelConfig *config;
  EigmlTruncation truncation;
  /* when set, e_t comes from this annotator on the dialogue's turns (the
   * paper's cnsenti), not from the dataset's emotion field */
  EigmlEmotionAnnotator *annotator;
  /* NULL: examples without intents get empty knowledge; else this source
   * infers theirs (from the turns, the emotion's category and the id) */
  EigmlIntentSource *intent_source;
} EigmlBatcher;

/* e_t of a dialogue from @annotator into @dist[7] (zeros: no emotion) */
gboolean eigml_batcher_annotate (EigmlEmotionAnnotator *annotator, const char *const *turns,
                                 float *dist, guint n_emotions, GError **error);

/* The COMET relations in the order of the model's knowledge rows. */
extern const char *const eigml_relation_names[EIGML_N_RELATIONS];

/* The DUTIR category of an emotion distribution's first maximum, or NULL
 * when it is all zero or not over the 7 categories. */
const char *eigml_batcher_emotion_category (const float *emotion, gsize n_emotion);

/* The four relations of @intents as eigml_batcher_fill_dialogue takes them. */
void eigml_batcher_intents_rows (EigmlIntents *intents,
                                 const char *const *rows[EIGML_N_RELATIONS]);

/* Fills @out for @n examples of @n_candidates candidates each. @indices
 * (the examples' dataset indices) and @epoch choose the training crops.
 * Padding candidates (no image) are grey 127 images, as PBR pads. */
gboolean eigml_batcher_fill (const EigmlBatcher *self, EigmlExample **examples, guint n,
                             const guint64 *indices, guint64 epoch, gint64 n_candidates,
                             EigmlModelBatch *out, GError **error);

/* One dialogue given directly (eigml select, the server): turns, an
 * emotion distribution (or NULL) and the four relations' knowledge (or
 * NULL), against @n_paths candidate images. */
gboolean eigml_batcher_fill_dialogue (const EigmlBatcher *self, const char *const *turns,
                                      const float *emotion, const char *const *const *intents,
                                      const char *const *paths, guint n_paths,
                                      EigmlModelBatch *out, GError **error);

/* Several dialogues at once (the ranker's selections): dialogue b has
 * @turns[b], the distribution @emotion + b * E (the model's n_emotions;
 * all zero: none) and the knowledge rows @intents[b] (or NULL), against
 * @n_candidates candidates: @features ([n * C, P + 1, H], taken) when not
 * NULL, for passes built with EIGML_MODEL_GRAPH_VISION_FEATURES, else the
 * images @paths[b * C + k]. */
gboolean eigml_batcher_fill_queries (const EigmlBatcher *self, guint n,
                                     const char *const *const *turns, const float *emotion,
                                     const char *const *const *const *intents,
                                     guint n_candidates, const char *const *paths, float *features,
                                     EigmlModelBatch *out, GError **error);

G_END_DECLS
