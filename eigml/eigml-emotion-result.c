/* eigml-emotion-result.c: EigmlEmotionResult, and the names of the
 * emotion categories
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "eigml-emotion-annotator.h"
#include "data/dataset-private.h"
#include "data/emotion.h"

static const char *const english_names[] = {
  "good", "joy", "sadness", "anger", "fear", "disgust", "surprise", "none",
};

/**
 * eigml_emotion_get_name:
 * @emotion: an emotion category, or %EIGML_EMOTION_NONE
 * @chinese: whether to give the DUTIR (Chinese) name
 *
 * Names a category: 好 乐 哀 怒 惧 恶 惊 with @chinese, else good, joy,
 * sadness, anger, fear, disgust, surprise; %EIGML_EMOTION_NONE is 无 or
 * none.
 *
 * Returns: (transfer none): the name, or %NULL for a value that is no
 *   #EigmlEmotion
 *
 * Since: 1.0
 */
const char *
eigml_emotion_get_name (EigmlEmotion emotion,
                        gboolean chinese)
{
  if ((guint) emotion > EIGML_EMOTION_NONE)
    return NULL;
  if (!chinese)
    return english_names[emotion];
  return emotion == EIGML_EMOTION_NONE ? "无" : eigml_emotion_names[emotion];
}

/**
 * eigml_emotion_from_name:
 * @name: a name as [func@Eigml.Emotion.get_name] gives, Chinese or English
 *   (the English ones in any ASCII case)
 * @emotion: (out) (optional): return location for the category
 *
 * Reads a category name: 好 乐 哀 怒 惧 恶 惊 无, or good, joy, sadness,
 * anger, fear, disgust, surprise, none.
 *
 * Returns: whether @name names one
 *
 * Since: 1.0
 */
gboolean
eigml_emotion_from_name (const char *name,
                         EigmlEmotion *emotion)
{
  g_return_val_if_fail (name != NULL, FALSE);

  for (guint e = 0; e <= EIGML_EMOTION_NONE; e++)
    if (g_ascii_strcasecmp (name, english_names[e]) == 0 ||
        strcmp (name, eigml_emotion_get_name (e, TRUE)) == 0)
      {
        if (emotion != NULL)
          *emotion = e;
        return TRUE;
      }
  return FALSE;
}

/* ---- results ---- */

/**
 * EigmlEmotionResult:
 *
 * The emotion of a text or dialogue as cnsenti counts it: how many tokens
 * fell in each of the seven DUTIR categories, those counts normalised (the
 * paper's e_t), the label and the words that matched.
 *
 * A result is immutable and reference counted.
 *
 * Since: 1.0
 */
struct _EigmlEmotionResult
{
  gatomicrefcount ref_count;
  EigmlEmotion label;
  guint counts[EIGML_EMOTION_N_CATEGORIES];
  float distribution[EIGML_EMOTION_N_CATEGORIES];
  char **matched_words;                 /* NULL-terminated */
  EigmlEmotion *matched_emotions;
  guint n_matches;
};

G_DEFINE_BOXED_TYPE (EigmlEmotionResult, eigml_emotion_result, eigml_emotion_result_ref,
                     eigml_emotion_result_unref)

/**
 * eigml_emotion_result_ref:
 * @self: a result
 *
 * Acquires a reference on @self.
 *
 * Returns: (transfer full): @self
 *
 * Since: 1.0
 */
EigmlEmotionResult *
eigml_emotion_result_ref (EigmlEmotionResult *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * eigml_emotion_result_unref:
 * @self: (transfer full): a result
 *
 * Releases a reference on @self, freeing it with the last one.
 *
 * Since: 1.0
 */
void
eigml_emotion_result_unref (EigmlEmotionResult *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_strfreev (self->matched_words);
  g_free (self->matched_emotions);
  g_free (self);
}

/**
 * eigml_emotion_result_get_label:
 * @self: a result
 *
 * Gives the category with the most matches, the first in DUTIR order
 * (好 乐 哀 怒 惧 恶 惊) among equal counts; %EIGML_EMOTION_NONE when no
 * word matched.
 *
 * Returns: the label
 *
 * Since: 1.0
 */
EigmlEmotion
eigml_emotion_result_get_label (EigmlEmotionResult *self)
{
  g_return_val_if_fail (self != NULL, EIGML_EMOTION_NONE);

  return self->label;
}

/**
 * eigml_emotion_result_get_distribution:
 * @self: a result
 * @n_values: (out) (optional): return location for the number of values,
 *   always %EIGML_EMOTION_N_CATEGORIES
 *
 * Gives e_t: the counts divided by their sum, in DUTIR order, or all
 * zeros when no word matched.
 *
 * Returns: (transfer none) (array length=n_values): the distribution
 *
 * Since: 1.0
 */
const float *
eigml_emotion_result_get_distribution (EigmlEmotionResult *self,
                                       gsize *n_values)
{
  if (n_values != NULL)
    *n_values = 0;
  g_return_val_if_fail (self != NULL, NULL);

  if (n_values != NULL)
    *n_values = EIGML_EMOTION_N_CATEGORIES;
  return self->distribution;
}

/**
 * eigml_emotion_result_get_counts:
 * @self: a result
 * @n_values: (out) (optional): return location for the number of values,
 *   always %EIGML_EMOTION_N_CATEGORIES
 *
 * Gives the number of tokens counted in each category, in DUTIR order
 * (cnsenti's `emotion_count`).
 *
 * Returns: (transfer none) (array length=n_values): the counts
 *
 * Since: 1.0
 */
const guint *
eigml_emotion_result_get_counts (EigmlEmotionResult *self,
                                 gsize *n_values)
{
  if (n_values != NULL)
    *n_values = 0;
  g_return_val_if_fail (self != NULL, NULL);

  if (n_values != NULL)
    *n_values = EIGML_EMOTION_N_CATEGORIES;
  return self->counts;
}

/**
 * eigml_emotion_result_get_count:
 * @self: a result
 * @emotion: a category (not %EIGML_EMOTION_NONE)
 *
 * Returns: the number of tokens counted in @emotion
 *
 * Since: 1.0
 */
guint
eigml_emotion_result_get_count (EigmlEmotionResult *self,
                                EigmlEmotion emotion)
{
  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail ((guint) emotion < EIGML_EMOTION_N_CATEGORIES, 0);

  return self->counts[emotion];
}

/**
 * eigml_emotion_result_get_n_matches:
 * @self: a result
 *
 * Returns: the number of tokens that matched a lexicon word: the sum of
 *   the counts
 *
 * Since: 1.0
 */
guint
eigml_emotion_result_get_n_matches (EigmlEmotionResult *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->n_matches;
}

/**
 * eigml_emotion_result_get_matched_words:
 * @self: a result
 *
 * Gives the tokens that matched, in the order of the text, each time it
 * matched, in their lexicon form (ASCII letters lower-cased, ’ written
 * as ').
 *
 * Returns: (transfer none) (array zero-terminated=1): the words
 *
 * Since: 1.0
 */
const char * const *
eigml_emotion_result_get_matched_words (EigmlEmotionResult *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return (const char * const *) self->matched_words;
}

/**
 * eigml_emotion_result_get_matched_emotions:
 * @self: a result
 * @n_values: (out) (optional): return location for the number of
 *   matches
 *
 * Gives the category each matched word counted in, in the order of
 * [method@Eigml.EmotionResult.get_matched_words].
 *
 * Returns: (transfer none) (array length=n_values): the categories
 *
 * Since: 1.0
 */
const EigmlEmotion *
eigml_emotion_result_get_matched_emotions (EigmlEmotionResult *self,
                                           gsize *n_values)
{
  if (n_values != NULL)
    *n_values = 0;
  g_return_val_if_fail (self != NULL, NULL);

  if (n_values != NULL)
    *n_values = self->n_matches;
  return self->matched_emotions;
}

/* Takes @words (char *, not NULL-terminated) and @emotions (EigmlEmotion),
 * one per match in text order, and @counts. */
EigmlEmotionResult *
eigml_emotion_result_new (const guint counts[EIGML_EMOTION_N_CATEGORIES],
                          GPtrArray *words,
                          GArray *emotions)
{
  EigmlEmotionResult *result = g_new0 (EigmlEmotionResult, 1);
  guint total = 0;

  g_atomic_ref_count_init (&result->ref_count);
  memcpy (result->counts, counts, sizeof result->counts);
  result->label = EIGML_EMOTION_NONE;
  for (guint e = 0; e < EIGML_EMOTION_N_CATEGORIES; e++)
    {
      total += counts[e];
      /* strictly more: the first maximum in DUTIR order */
      if (counts[e] > 0 &&
          (result->label == EIGML_EMOTION_NONE || counts[e] > counts[result->label]))
        result->label = e;
    }
  for (guint e = 0; e < EIGML_EMOTION_N_CATEGORIES && total > 0; e++)
    result->distribution[e] = (float) ((double) counts[e] / (double) total);
  result->n_matches = words->len;
  g_ptr_array_add (words, NULL);
  result->matched_words = (char **) g_ptr_array_free (words, FALSE);
  result->matched_emotions = (EigmlEmotion *) (void *) g_array_free (emotions, FALSE);
  return result;
}
