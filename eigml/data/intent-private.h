/* intent-private.h: EigmlIntents' fields and the offline fallback of
 * EigmlIntentSource (private)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "eigml-intent-source.h"

G_BEGIN_DECLS

struct _EigmlIntents
{
  gatomicrefcount ref_count;
  char **relations[EIGML_INTENTS_N_RELATIONS];  /* never NULL; may be empty */
};

/* Takes the four lists (NULL ones become empty), leaving @relations NULL. */
EigmlIntents *eigml_intents_new_take (char **relations[EIGML_INTENTS_N_RELATIONS]);

/* ---- the fallback (intent-fallback.c) ---- */

typedef enum
{
  EIGML_FALLBACK_LANGUAGE_UNKNOWN,  /* no Han character and no Latin word */
  EIGML_FALLBACK_LANGUAGE_ZH,
  EIGML_FALLBACK_LANGUAGE_EN,
} EigmlFallbackLanguage;

/* The most strings of one relation that the fallback writes. */
#define EIGML_FALLBACK_MAX_STRINGS 5

/* The cues found in @text, as bits (1 << cue), and its language. */
guint32 eigml_intent_fallback_detect (const char *text,
                                      EigmlFallbackLanguage *language);
guint eigml_intent_fallback_get_n_cues (void);
const char *eigml_intent_fallback_cue_name (guint cue);

/* The four relations for @turns (oldest first; NULL: none) and an emotion
 * category (0..6 in DUTIR order, or -1). Deterministic. */
void eigml_intent_fallback_infer (const char * const *turns,
                                  int emotion,
                                  char **out[EIGML_INTENTS_N_RELATIONS]);

G_END_DECLS
