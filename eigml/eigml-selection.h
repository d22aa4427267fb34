/* eigml-selection.h: the stickers a ranker selected for one dialogue
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
#include <eigml/eigml-intent-source.h>

G_BEGIN_DECLS

#define EIGML_TYPE_SELECTION (eigml_selection_get_type ())
EIGML_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EigmlSelection, eigml_selection, EIGML, SELECTION, GObject)

EIGML_AVAILABLE_IN_ALL
guint eigml_selection_get_n_results (EigmlSelection *self);
EIGML_AVAILABLE_IN_ALL
const char *eigml_selection_get_sticker_id (EigmlSelection *self,
                                            guint rank);
EIGML_AVAILABLE_IN_ALL
guint eigml_selection_get_sticker_index (EigmlSelection *self,
                                         guint rank);
EIGML_AVAILABLE_IN_ALL
float eigml_selection_get_score (EigmlSelection *self,
                                 guint rank);
EIGML_AVAILABLE_IN_ALL
float eigml_selection_get_p_vl (EigmlSelection *self,
                                guint rank);
EIGML_AVAILABLE_IN_ALL
float eigml_selection_get_s_emo (EigmlSelection *self,
                                 guint rank);
EIGML_AVAILABLE_IN_ALL
float eigml_selection_get_s_int (EigmlSelection *self,
                                 guint rank);
EIGML_AVAILABLE_IN_ALL
guint eigml_selection_get_lexical_rank (EigmlSelection *self,
                                        guint rank);
EIGML_AVAILABLE_IN_ALL
EigmlEmotion eigml_selection_get_emotion (EigmlSelection *self);
EIGML_AVAILABLE_IN_ALL
const float *eigml_selection_get_emotion_distribution (EigmlSelection *self,
                                                       gsize *n_values);
EIGML_AVAILABLE_IN_ALL
EigmlIntents *eigml_selection_get_intents (EigmlSelection *self);

G_END_DECLS
