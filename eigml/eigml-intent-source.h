/* eigml-intent-source.h: intention knowledge (the COMET relations) for
 * dialogues: from a sidecar file, or from an offline fallback
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

G_BEGIN_DECLS

/**
 * EIGML_INTENTS_N_RELATIONS:
 *
 * The number of COMET relations of #EigmlIntents: xIntent, xNeed, xWant
 * and xEffect, in that order (the order of the model's knowledge rows).
 *
 * Since: 1.0
 */
#define EIGML_INTENTS_N_RELATIONS 4

#define EIGML_TYPE_INTENTS (eigml_intents_get_type ())

typedef struct _EigmlIntents EigmlIntents;

EIGML_AVAILABLE_IN_ALL
GType eigml_intents_get_type (void) G_GNUC_CONST;

EIGML_AVAILABLE_IN_ALL
EigmlIntents *eigml_intents_new (const char * const *x_intent,
                                 const char * const *x_need,
                                 const char * const *x_want,
                                 const char * const *x_effect);
EIGML_AVAILABLE_IN_ALL
EigmlIntents *eigml_intents_ref (EigmlIntents *self);
EIGML_AVAILABLE_IN_ALL
void eigml_intents_unref (EigmlIntents *self);

EIGML_AVAILABLE_IN_ALL
const char * const *eigml_intents_get (EigmlIntents *self,
                                       const char *relation);
EIGML_AVAILABLE_IN_ALL
const char * const *eigml_intents_get_nth (EigmlIntents *self,
                                           guint index);
EIGML_AVAILABLE_IN_ALL
gboolean eigml_intents_is_empty (EigmlIntents *self);
EIGML_AVAILABLE_IN_ALL
gboolean eigml_intents_equal (EigmlIntents *a,
                              EigmlIntents *b);
EIGML_AVAILABLE_IN_ALL
char *eigml_intents_to_json (EigmlIntents *self,
                             const char *id);
EIGML_AVAILABLE_IN_ALL
const char * const *eigml_intents_get_relation_names (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EigmlIntents, eigml_intents_unref)

#define EIGML_TYPE_INTENT_SOURCE (eigml_intent_source_get_type ())

EIGML_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EigmlIntentSource, eigml_intent_source, EIGML, INTENT_SOURCE, GObject)

EIGML_AVAILABLE_IN_ALL
EigmlIntentSource *eigml_intent_source_new_from_sidecar (const char *path,
                                                         GError **error);
EIGML_AVAILABLE_IN_ALL
EigmlIntentSource *eigml_intent_source_new_fallback (void);

EIGML_AVAILABLE_IN_ALL
EigmlIntentSourceKind eigml_intent_source_get_kind (EigmlIntentSource *self);
EIGML_AVAILABLE_IN_ALL
const char *eigml_intent_source_get_path (EigmlIntentSource *self);
EIGML_AVAILABLE_IN_ALL
guint eigml_intent_source_get_n_ids (EigmlIntentSource *self);
EIGML_AVAILABLE_IN_ALL
gboolean eigml_intent_source_get_fallback_on_missing (EigmlIntentSource *self);
EIGML_AVAILABLE_IN_ALL
void eigml_intent_source_set_fallback_on_missing (EigmlIntentSource *self,
                                                  gboolean fallback_on_missing);

EIGML_AVAILABLE_IN_ALL
EigmlIntents *eigml_intent_source_lookup (EigmlIntentSource *self,
                                          const char *id,
                                          GError **error);
EIGML_AVAILABLE_IN_ALL
EigmlIntents *eigml_intent_source_infer (EigmlIntentSource *self,
                                         const char * const *turns,
                                         const char *emotion,
                                         const char *id,
                                         GError **error);

G_END_DECLS
