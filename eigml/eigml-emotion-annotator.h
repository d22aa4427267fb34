/* eigml-emotion-annotator.h: cnsenti's emotion counting, on a
 * jieba-compatible segmentation
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(__EIGML_H_INSIDE__) && !defined(EIGML_COMPILATION)
#error "Only <eigml/eigml.h> can be included directly."
#endif

#include <glib-object.h>
#include <eigml/eigml-version-macros.h>
#include <eigml/eigml-types.h>
#include <eigml/eigml-dataset.h>

G_BEGIN_DECLS

EIGML_AVAILABLE_IN_ALL
const char *eigml_emotion_get_name (EigmlEmotion emotion,
                                    gboolean chinese);
EIGML_AVAILABLE_IN_ALL
gboolean eigml_emotion_from_name (const char *name,
                                  EigmlEmotion *emotion);

#define EIGML_TYPE_EMOTION_RESULT (eigml_emotion_result_get_type ())

typedef struct _EigmlEmotionResult EigmlEmotionResult;

EIGML_AVAILABLE_IN_ALL
GType eigml_emotion_result_get_type (void) G_GNUC_CONST;

EIGML_AVAILABLE_IN_ALL
EigmlEmotionResult *eigml_emotion_result_ref (EigmlEmotionResult *self);
EIGML_AVAILABLE_IN_ALL
void eigml_emotion_result_unref (EigmlEmotionResult *self);

EIGML_AVAILABLE_IN_ALL
EigmlEmotion eigml_emotion_result_get_label (EigmlEmotionResult *self);
EIGML_AVAILABLE_IN_ALL
const float *eigml_emotion_result_get_distribution (EigmlEmotionResult *self,
                                                    gsize *n_values);
EIGML_AVAILABLE_IN_ALL
const guint *eigml_emotion_result_get_counts (EigmlEmotionResult *self,
                                              gsize *n_values);
EIGML_AVAILABLE_IN_ALL
guint eigml_emotion_result_get_count (EigmlEmotionResult *self,
                                      EigmlEmotion emotion);
EIGML_AVAILABLE_IN_ALL
guint eigml_emotion_result_get_n_matches (EigmlEmotionResult *self);
EIGML_AVAILABLE_IN_ALL
const char * const *eigml_emotion_result_get_matched_words (EigmlEmotionResult *self);
EIGML_AVAILABLE_IN_ALL
const EigmlEmotion *eigml_emotion_result_get_matched_emotions (EigmlEmotionResult *self,
                                                               gsize *n_values);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EigmlEmotionResult, eigml_emotion_result_unref)

#define EIGML_TYPE_EMOTION_ANNOTATOR (eigml_emotion_annotator_get_type ())

EIGML_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EigmlEmotionAnnotator, eigml_emotion_annotator, EIGML, EMOTION_ANNOTATOR,
                      GObject)

EIGML_AVAILABLE_IN_ALL
EigmlEmotionAnnotator *eigml_emotion_annotator_new (GError **error);
EIGML_AVAILABLE_IN_ALL
EigmlEmotionAnnotator *eigml_emotion_annotator_new_empty (void);
EIGML_AVAILABLE_IN_ALL
EigmlEmotionAnnotator *eigml_emotion_annotator_new_for_jieba_dir (const char *jieba_dir);

EIGML_AVAILABLE_IN_ALL
gboolean eigml_emotion_annotator_load_lexicon (EigmlEmotionAnnotator *self,
                                               const char *path,
                                               GError **error);
EIGML_AVAILABLE_IN_ALL
gboolean eigml_emotion_annotator_load_default_lexicons (EigmlEmotionAnnotator *self,
                                                        GError **error);
EIGML_AVAILABLE_IN_ALL
void eigml_emotion_annotator_add_word (EigmlEmotionAnnotator *self,
                                       const char *word,
                                       EigmlEmotion emotion);
EIGML_AVAILABLE_IN_ALL
EigmlEmotion eigml_emotion_annotator_lookup (EigmlEmotionAnnotator *self,
                                             const char *word);
EIGML_AVAILABLE_IN_ALL
guint eigml_emotion_annotator_get_n_words (EigmlEmotionAnnotator *self);

EIGML_AVAILABLE_IN_ALL
const char *eigml_emotion_annotator_get_jieba_dir (EigmlEmotionAnnotator *self);
EIGML_AVAILABLE_IN_ALL
gboolean eigml_emotion_annotator_load_jieba (EigmlEmotionAnnotator *self,
                                             GError **error);
EIGML_AVAILABLE_IN_ALL
char **eigml_emotion_annotator_segment (EigmlEmotionAnnotator *self,
                                        const char *text,
                                        GError **error);

EIGML_AVAILABLE_IN_ALL
EigmlEmotionResult *eigml_emotion_annotator_annotate (EigmlEmotionAnnotator *self,
                                                      const char *text,
                                                      GError **error);
EIGML_AVAILABLE_IN_ALL
EigmlEmotionResult *eigml_emotion_annotator_annotate_dialogue (EigmlEmotionAnnotator *self,
                                                               const char * const *turns,
                                                               GError **error);

G_END_DECLS
