/* eigml-dataset.h: StickerChat, DSTC10-MOD and JSONL datasets, and their
 * examples
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(__EIGML_H_INSIDE__) && !defined(EIGML_COMPILATION)
#error "Only <eigml/eigml.h> can be included directly."
#endif

#include <gio/gio.h>
#include <eigml/eigml-version-macros.h>
#include <eigml/eigml-types.h>

G_BEGIN_DECLS

/**
 * EIGML_EMOTION_N_CATEGORIES:
 *
 * The number of emotion categories of an example's emotion distribution:
 * the seven categories of the DUTIR emotion ontology, in the order 好 (good),
 * 乐 (joy), 哀 (sadness), 怒 (anger), 惧 (fear), 恶 (disgust), 惊 (surprise).
 *
 * Since: 1.0
 */
#define EIGML_EMOTION_N_CATEGORIES 7

#define EIGML_TYPE_EXAMPLE (eigml_example_get_type ())

typedef struct _EigmlExample EigmlExample;

EIGML_AVAILABLE_IN_ALL
GType eigml_example_get_type (void) G_GNUC_CONST;

EIGML_AVAILABLE_IN_ALL
EigmlExample *eigml_example_ref (EigmlExample *self);
EIGML_AVAILABLE_IN_ALL
void eigml_example_unref (EigmlExample *self);

EIGML_AVAILABLE_IN_ALL
const char *eigml_example_get_id (EigmlExample *self);
EIGML_AVAILABLE_IN_ALL
const char *eigml_example_get_source_file (EigmlExample *self);
EIGML_AVAILABLE_IN_ALL
guint eigml_example_get_source_line (EigmlExample *self);

EIGML_AVAILABLE_IN_ALL
guint eigml_example_get_n_turns (EigmlExample *self);
EIGML_AVAILABLE_IN_ALL
const char *eigml_example_get_turn_text (EigmlExample *self,
                                         guint index);
EIGML_AVAILABLE_IN_ALL
const char *eigml_example_get_turn_speaker (EigmlExample *self,
                                            guint index);
EIGML_AVAILABLE_IN_ALL
const char * const *eigml_example_get_turn_texts (EigmlExample *self);
EIGML_AVAILABLE_IN_ALL
const char * const *eigml_example_get_turn_speakers (EigmlExample *self);

EIGML_AVAILABLE_IN_ALL
guint eigml_example_get_n_candidates (EigmlExample *self);
EIGML_AVAILABLE_IN_ALL
const char *eigml_example_get_candidate_id (EigmlExample *self,
                                            guint index);
EIGML_AVAILABLE_IN_ALL
const char *eigml_example_get_candidate_path (EigmlExample *self,
                                              guint index);
EIGML_AVAILABLE_IN_ALL
guint eigml_example_get_positive (EigmlExample *self);

EIGML_AVAILABLE_IN_ALL
gboolean eigml_example_has_emotion (EigmlExample *self);
EIGML_AVAILABLE_IN_ALL
const float *eigml_example_get_emotion (EigmlExample *self,
                                        gsize *n_values);
EIGML_AVAILABLE_IN_ALL
gboolean eigml_example_has_intents (EigmlExample *self);
EIGML_AVAILABLE_IN_ALL
const char * const *eigml_example_get_intents (EigmlExample *self,
                                               const char *relation);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EigmlExample, eigml_example_unref)

#define EIGML_TYPE_DATASET (eigml_dataset_get_type ())

EIGML_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EigmlDataset, eigml_dataset, EIGML, DATASET, GObject)

EIGML_AVAILABLE_IN_ALL
EigmlDataset *eigml_dataset_new (const char *path,
                                 EigmlDatasetFormat format,
                                 const char *split,
                                 GError **error);
EIGML_AVAILABLE_IN_ALL
EigmlDataset *eigml_dataset_new_for_file (const char *file,
                                          EigmlDatasetFormat format,
                                          GError **error);

EIGML_AVAILABLE_IN_ALL
guint eigml_dataset_get_n_examples (EigmlDataset *self);
EIGML_AVAILABLE_IN_ALL
EigmlExample *eigml_dataset_get_example (EigmlDataset *self,
                                         guint index,
                                         GError **error);
EIGML_AVAILABLE_IN_ALL
guint eigml_dataset_get_n_skipped (EigmlDataset *self);
EIGML_AVAILABLE_IN_ALL
char **eigml_dataset_get_skipped_messages (EigmlDataset *self);
EIGML_AVAILABLE_IN_ALL
guint eigml_dataset_get_n_stickers (EigmlDataset *self);

EIGML_AVAILABLE_IN_ALL
const char *eigml_dataset_get_folder (EigmlDataset *self);
EIGML_AVAILABLE_IN_ALL
const char *eigml_dataset_get_file (EigmlDataset *self);
EIGML_AVAILABLE_IN_ALL
EigmlDatasetFormat eigml_dataset_get_format (EigmlDataset *self);
EIGML_AVAILABLE_IN_ALL
const char *eigml_dataset_get_split (EigmlDataset *self);
EIGML_AVAILABLE_IN_ALL
guint eigml_dataset_get_n_candidates (EigmlDataset *self);
EIGML_AVAILABLE_IN_ALL
guint64 eigml_dataset_get_seed (EigmlDataset *self);
EIGML_AVAILABLE_IN_ALL
gboolean eigml_dataset_get_skip_bad (EigmlDataset *self);
EIGML_AVAILABLE_IN_ALL
const char *eigml_dataset_get_emotion_file (EigmlDataset *self);
EIGML_AVAILABLE_IN_ALL
const char *eigml_dataset_get_intent_file (EigmlDataset *self);

EIGML_AVAILABLE_IN_ALL
const char *eigml_dataset_format_to_string (EigmlDatasetFormat format);
EIGML_AVAILABLE_IN_ALL
gboolean eigml_dataset_format_from_string (const char *name,
                                           EigmlDatasetFormat *format,
                                           GError **error);

G_END_DECLS
