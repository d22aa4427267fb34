/* emotion.h: emotion lexicons and the English word rule of
 * EigmlEmotionAnnotator (private)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

#include "eigml-emotion-annotator.h"

G_BEGIN_DECLS

/* The largest lexicon file read. */
#define EIGML_EMOTION_MAX_LEXICON_SIZE (256u << 20)

/* The form in which words are looked up, written in place: ASCII letters
 * lower-cased and U+2019 (’) made an ASCII apostrophe. Returns the new
 * length (never longer). */
gsize eigml_emotion_normalize (char *word,
                               gsize len);

/* Whether a token takes part in the English word rule: all its characters
 * are ASCII or U+2019. */
gboolean eigml_emotion_is_english_run (const char *text,
                                       gsize len);

/* Calls @fn for each English word in text[0..len): a maximal run of ASCII
 * letters, possibly joined by single apostrophes (' or ’) between letters,
 * passed normalised (NUL-terminated, valid during the call). */
typedef void (*EigmlEmotionWordFunc) (const char *word,
                                      gpointer user_data);
void eigml_emotion_english_words (const char *text,
                                  gsize len,
                                  GString *scratch,
                                  EigmlEmotionWordFunc fn,
                                  gpointer user_data);

/* Parses a lexicon file's contents, adding each entry's normalised word
 * (char *) to @words and its category (guint8) to @emotions; FALSE with
 * an error naming @path and the line on the first bad line. */
gboolean eigml_emotion_lexicon_parse (const char *path,
                                      const char *data,
                                      gsize len,
                                      GPtrArray *words,
                                      GByteArray *emotions,
                                      GError **error);

/* A result of @counts, taking @words (char *) and @emotions (EigmlEmotion):
 * the matches in text order (eigml-emotion-result.c) */
EigmlEmotionResult *eigml_emotion_result_new (const guint counts[EIGML_EMOTION_N_CATEGORIES],
                                              GPtrArray *words,
                                              GArray *emotions);

G_END_DECLS
