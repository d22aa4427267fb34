/* eigml-example.c: one dialogue with its candidate stickers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "eigml-dataset.h"
#include "data/dataset-private.h"

/**
 * EigmlExample:
 *
 * One example of an [class@Eigml.Dataset]: a dialogue (its turns, oldest
 * first, each with its speaker), the candidate stickers that could answer
 * it, which of them is the right one, and optionally the dialogue's emotion
 * and COMET intentions.
 *
 * An example is immutable and reference counted; it can be passed between
 * threads.
 *
 * A candidate has a sticker id and an image path; a padding candidate (a
 * StickerChat set with fewer stickers than the dataset's
 * [property@Eigml.Dataset:n-candidates]) has neither, and is meant to be
 * rendered as a uniform grey (127) image, as PBR does.
 *
 * Since: 1.0
 */

G_DEFINE_BOXED_TYPE (EigmlExample, eigml_example, eigml_example_ref, eigml_example_unref)

EigmlExample *
eigml_example_new (char *id,
                   const char *source_file,
                   guint source_line)
{
  EigmlExample *self = g_new0 (EigmlExample, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->id = id;
  self->source_file = g_strdup (source_file);
  self->source_line = source_line;
  self->texts = g_ptr_array_new_with_free_func (g_free);
  self->speakers = g_ptr_array_new_with_free_func (g_free);
  self->candidate_ids = g_ptr_array_new_with_free_func (g_free);
  self->candidate_paths = g_ptr_array_new_with_free_func (g_free);
  return self;
}

/* Takes @text. */
void
eigml_example_add_turn (EigmlExample *self,
                        const char *speaker,
                        char *text)
{
  g_ptr_array_add (self->texts, text);
  g_ptr_array_add (self->speakers, g_strdup (speaker ? speaker : ""));
}

/* Takes @path; both NULL adds a padding candidate. The first candidate
 * added is the positive. */
void
eigml_example_add_candidate (EigmlExample *self,
                             const char *id,
                             char *path)
{
  g_ptr_array_add (self->candidate_ids, g_strdup (id));
  g_ptr_array_add (self->candidate_paths, path);
}

/* Pads the candidates to @pad_to with padding candidates, then shuffles
 * them (Fisher-Yates from the last position down, each swap partner drawn
 * from @rng), so the positive, added first, lands anywhere. */
void
eigml_example_finish (EigmlExample *self,
                      guint pad_to,
                      EigmlRandom *rng)
{
  GPtrArray *ids = self->candidate_ids;
  GPtrArray *paths = self->candidate_paths;

  while (ids->len < pad_to)
    eigml_example_add_candidate (self, NULL, NULL);
  self->positive = 0;
  for (guint i = ids->len; i-- > 1;)
    {
      guint j = (guint) eigml_random_below (rng, (guint64) i + 1);
      gpointer tmp;

      tmp = ids->pdata[i];
      ids->pdata[i] = ids->pdata[j];
      ids->pdata[j] = tmp;
      tmp = paths->pdata[i];
      paths->pdata[i] = paths->pdata[j];
      paths->pdata[j] = tmp;
      if (self->positive == i)
        self->positive = j;
      else if (self->positive == j)
        self->positive = i;
    }
  g_ptr_array_add (self->texts, NULL);
  g_ptr_array_add (self->speakers, NULL);
}

/* @emotion: EIGML_EMOTION_N_CATEGORIES values summing to 1 */
void
eigml_example_set_emotion (EigmlExample *self,
                           const float *emotion)
{
  memcpy (self->emotion, emotion, sizeof self->emotion);
  self->has_emotion = TRUE;
}

/* Takes the lists, leaving @intents empty. */
void
eigml_example_take_intents (EigmlExample *self,
                            char **intents[EIGML_INTENT_N_RELATIONS])
{
  eigml_relation_lists_clear (self->intents);
  for (guint r = 0; r < EIGML_INTENT_N_RELATIONS; r++)
    self->intents[r] = g_steal_pointer (&intents[r]);
}

/**
 * eigml_example_ref:
 * @self: an example
 *
 * Acquires a reference on @self.
 *
 * Returns: (transfer full): @self
 *
 * Since: 1.0
 */
EigmlExample *
eigml_example_ref (EigmlExample *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * eigml_example_unref:
 * @self: (transfer full): an example
 *
 * Releases a reference on @self, freeing it with the last one.
 *
 * Since: 1.0
 */
void
eigml_example_unref (EigmlExample *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_free (self->id);
  g_free (self->source_file);
  g_ptr_array_unref (self->texts);
  g_ptr_array_unref (self->speakers);
  g_ptr_array_unref (self->candidate_ids);
  g_ptr_array_unref (self->candidate_paths);
  eigml_relation_lists_clear (self->intents);
  g_free (self);
}

/**
 * eigml_example_get_id:
 * @self: an example
 *
 * Gives the example's id, stable across loads of the same file:
 *
 * - StickerChat: `"<split>:<line>"`, the 1-based line of the example in
 *   `release_<split>.json` (`"train:1234"`);
 * - DSTC10-MOD meme retrieval (task 2): `"<split>:<index>"`, the 0-based
 *   position of the item in the file's list;
 * - DSTC10-MOD training dialogues: `"<split>:<dialogue key>:<turn>"`, the
 *   0-based position of the meme turn in its dialogue
 *   (`"train:dialogue 43992:2"`);
 * - JSONL: the line's `id`, or `"<file name>:<line>"` when it has none.
 *
 * Sidecar files name examples by this id.
 *
 * Returns: (transfer none): the id
 *
 * Since: 1.0
 */
const char *
eigml_example_get_id (EigmlExample *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->id;
}

/**
 * eigml_example_get_source_file:
 * @self: an example
 *
 * Returns: (transfer none) (type filename): the full path of the file the
 *   example was read from
 *
 * Since: 1.0
 */
const char *
eigml_example_get_source_file (EigmlExample *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->source_file;
}

/**
 * eigml_example_get_source_line:
 * @self: an example
 *
 * Gives the line of the source file where the example starts: its line in
 * a JSON lines file, the line where its item (task 2) or its meme turn
 * (training dialogues) starts in a DSTC10-MOD file.
 *
 * Returns: the 1-based line, or 0 when it is not known (a DSTC10-MOD file
 *   with a key given twice)
 *
 * Since: 1.0
 */
guint
eigml_example_get_source_line (EigmlExample *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->source_line;
}

/**
 * eigml_example_get_n_turns:
 * @self: an example
 *
 * Gives the number of turns of the dialogue before the sticker reply. It
 * may be 0: a reply that opens a dialogue has no context.
 *
 * Returns: the number of turns
 *
 * Since: 1.0
 */
guint
eigml_example_get_n_turns (EigmlExample *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->texts->len - 1;
}

/**
 * eigml_example_get_turn_text:
 * @self: an example
 * @index: a turn, from 0 (the oldest) to [method@Eigml.Example.get_n_turns] - 1
 *
 * Gives a turn's text. StickerChat's word-segmentation spaces between
 * Chinese characters are removed (see `docs/datasets.md`); other formats
 * give the text as stored.
 *
 * Returns: (transfer none): the text, UTF-8, possibly empty
 *
 * Since: 1.0
 */
const char *
eigml_example_get_turn_text (EigmlExample *self,
                             guint index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index + 1 < self->texts->len, NULL);

  return self->texts->pdata[index];
}

/**
 * eigml_example_get_turn_speaker:
 * @self: an example
 * @index: a turn, from 0 (the oldest) to [method@Eigml.Example.get_n_turns] - 1
 *
 * Gives who said a turn: StickerChat's `from_id` (digits), DSTC10-MOD's
 * `speaker_id` (`"[speaker1]"`), JSONL's `speaker`; the empty string when
 * the file does not say.
 *
 * Returns: (transfer none): the speaker
 *
 * Since: 1.0
 */
const char *
eigml_example_get_turn_speaker (EigmlExample *self,
                                guint index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index + 1 < self->speakers->len, NULL);

  return self->speakers->pdata[index];
}

/**
 * eigml_example_get_turn_texts:
 * @self: an example
 *
 * Gives all turns' texts at once, oldest first, as
 * [method@Eigml.Tokenizer.encode_dialogue] takes them.
 *
 * Returns: (transfer none) (array zero-terminated=1): the texts
 *
 * Since: 1.0
 */
const char * const *
eigml_example_get_turn_texts (EigmlExample *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return (const char * const *) self->texts->pdata;
}

/**
 * eigml_example_get_turn_speakers:
 * @self: an example
 *
 * Gives all turns' speakers at once, oldest first.
 *
 * Returns: (transfer none) (array zero-terminated=1): the speakers
 *
 * Since: 1.0
 */
const char * const *
eigml_example_get_turn_speakers (EigmlExample *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return (const char * const *) self->speakers->pdata;
}

/**
 * eigml_example_get_n_candidates:
 * @self: an example
 *
 * Gives the number of candidate stickers, padding included: the dataset's
 * [property@Eigml.Dataset:n-candidates], or the size of the candidate list
 * the file gives (DSTC10-MOD task 2, JSONL `candidates`).
 *
 * Returns: the number of candidates
 *
 * Since: 1.0
 */
guint
eigml_example_get_n_candidates (EigmlExample *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->candidate_ids->len;
}

/**
 * eigml_example_get_candidate_id:
 * @self: an example
 * @index: a candidate, from 0 to [method@Eigml.Example.get_n_candidates] - 1
 *
 * Gives a candidate's sticker id: `"<sticker_set_id>/<sticker_id>"` for
 * StickerChat, the `img_id` of `img2id.json` for DSTC10-MOD, the sticker
 * as the file writes it for JSONL.
 *
 * Returns: (transfer none) (nullable): the sticker id, or %NULL for a
 *   padding candidate
 *
 * Since: 1.0
 */
const char *
eigml_example_get_candidate_id (EigmlExample *self,
                                guint index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < self->candidate_ids->len, NULL);

  return self->candidate_ids->pdata[index];
}

/**
 * eigml_example_get_candidate_path:
 * @self: an example
 * @index: a candidate, from 0 to [method@Eigml.Example.get_n_candidates] - 1
 *
 * Gives the full path of a candidate's image, which
 * [method@Eigml.ImageProcessor.load_file] reads.
 *
 * Returns: (transfer none) (nullable) (type filename): the path, or %NULL
 *   for a padding candidate (to be shown as a grey 127 image)
 *
 * Since: 1.0
 */
const char *
eigml_example_get_candidate_path (EigmlExample *self,
                                  guint index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < self->candidate_paths->len, NULL);

  return self->candidate_paths->pdata[index];
}

/**
 * eigml_example_get_positive:
 * @self: an example
 *
 * Gives the position of the right sticker among the candidates. Every
 * example has exactly one; no other candidate is the same sticker.
 *
 * Returns: the index of the positive candidate
 *
 * Since: 1.0
 */
guint
eigml_example_get_positive (EigmlExample *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->positive;
}

/**
 * eigml_example_has_emotion:
 * @self: an example
 *
 * Returns: whether the dataset file or an emotion sidecar gives the
 *   example an emotion (see [method@Eigml.Example.get_emotion])
 *
 * Since: 1.0
 */
gboolean
eigml_example_has_emotion (EigmlExample *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->has_emotion;
}

/**
 * eigml_example_get_emotion:
 * @self: an example
 * @n_values: (out) (optional): return location for the number of values,
 *   %EIGML_EMOTION_N_CATEGORIES or 0
 *
 * Gives the dialogue's emotion, when the file or an emotion sidecar gives
 * one: a distribution over the seven DUTIR categories 好 乐 哀 怒 惧 恶 惊,
 * in that order, summing to 1.
 *
 * Returns: (transfer none) (array length=n_values) (nullable): the
 *   distribution, or %NULL when the example has none
 *
 * Since: 1.0
 */
const float *
eigml_example_get_emotion (EigmlExample *self,
                           gsize *n_values)
{
  if (n_values != NULL)
    *n_values = 0;
  g_return_val_if_fail (self != NULL, NULL);

  if (!self->has_emotion)
    return NULL;
  if (n_values != NULL)
    *n_values = EIGML_EMOTION_N_CATEGORIES;
  return self->emotion;
}

/**
 * eigml_example_has_intents:
 * @self: an example
 *
 * Returns: whether the dataset file or an intent sidecar gives the example
 *   COMET intentions (see [method@Eigml.Example.get_intents]); bindings
 *   may show a missing list and an empty one alike
 *
 * Since: 1.0
 */
gboolean
eigml_example_has_intents (EigmlExample *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->intents[0] != NULL;
}

/**
 * eigml_example_get_intents:
 * @self: an example
 * @relation: a COMET relation: `"xIntent"`, `"xNeed"`, `"xWant"` or
 *   `"xEffect"`
 *
 * Gives the COMET inferences of one relation for the dialogue, when the
 * file or an intent sidecar gives them.
 *
 * Returns: (transfer none) (array zero-terminated=1) (nullable): the
 *   inferences (possibly none), or %NULL when the example has no intents
 *
 * Since: 1.0
 */
const char * const *
eigml_example_get_intents (EigmlExample *self,
                           const char *relation)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (relation != NULL, NULL);

  for (guint r = 0; r < EIGML_INTENT_N_RELATIONS; r++)
    if (strcmp (relation, eigml_intent_relations[r]) == 0)
      return (const char * const *) self->intents[r];
  g_return_val_if_reached (NULL);
}
