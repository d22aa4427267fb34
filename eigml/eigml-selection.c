/* eigml-selection.c: the stickers a ranker selected for one dialogue
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "eigml-selection-private.h"

#include <math.h>

/**
 * EigmlSelection:
 *
 * What [method@Eigml.Ranker.select] found for one dialogue: the best
 * stickers, best first, each with its score and the parts of the score
 * (docs/model.md, eq 17–19), and what the ranker read in the dialogue: its
 * emotion (the ranker's annotator) and its intention knowledge (the
 * ranker's intent source). Immutable, so it may be shared between threads.
 *
 * Since: 1.0
 */
struct _EigmlSelection
{
  GObject parent_instance;

  guint n;
  char **ids;        /* [n + 1] */
  guint *indices;    /* [n] */
  float *parts;      /* [n, EIGML_SELECTION_N_PARTS] */
  guint *lexical_ranks; /* [n] (1-based; 0: no match), or NULL */
  EigmlEmotion emotion;
  float *distribution;
  gsize n_distribution;
  EigmlIntents *intents;
};

G_DEFINE_FINAL_TYPE (EigmlSelection, eigml_selection, G_TYPE_OBJECT)

static void
eigml_selection_finalize (GObject *object)
{
  EigmlSelection *self = EIGML_SELECTION (object);

  g_strfreev (self->ids);
  g_free (self->indices);
  g_free (self->parts);
  g_free (self->lexical_ranks);
  g_free (self->distribution);
  g_clear_pointer (&self->intents, eigml_intents_unref);
  G_OBJECT_CLASS (eigml_selection_parent_class)->finalize (object);
}

static void
eigml_selection_class_init (EigmlSelectionClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = eigml_selection_finalize;
}

static void
eigml_selection_init (EigmlSelection *self)
{
  self->emotion = EIGML_EMOTION_NONE;
}

/* Takes @ids (n + 1, NULL-terminated), @indices, @parts, @lexical_ranks
 * (nullable), @distribution. */
EigmlSelection *
eigml_selection_new_take (guint n,
                          char **ids,
                          guint *indices,
                          float *parts,
                          guint *lexical_ranks,
                          EigmlEmotion emotion,
                          float *distribution,
                          gsize n_distribution,
                          EigmlIntents *intents)
{
  EigmlSelection *self = g_object_new (EIGML_TYPE_SELECTION, NULL);

  self->n = n;
  self->ids = ids;
  self->indices = indices;
  self->parts = parts;
  self->lexical_ranks = lexical_ranks;
  self->emotion = emotion;
  self->distribution = distribution;
  self->n_distribution = n_distribution;
  self->intents = intents ? eigml_intents_ref (intents) : NULL;
  return self;
}

/**
 * eigml_selection_get_n_results:
 * @self: a selection
 *
 * Returns: how many stickers it holds
 *
 * Since: 1.0
 */
guint
eigml_selection_get_n_results (EigmlSelection *self)
{
  g_return_val_if_fail (EIGML_IS_SELECTION (self), 0);
  return self->n;
}

/**
 * eigml_selection_get_sticker_id:
 * @self: a selection
 * @rank: 0 for the best sticker
 *
 * Returns: (transfer none): the sticker's library id
 *
 * Since: 1.0
 */
const char *
eigml_selection_get_sticker_id (EigmlSelection *self,
                                guint rank)
{
  g_return_val_if_fail (EIGML_IS_SELECTION (self), NULL);
  g_return_val_if_fail (rank < self->n, NULL);
  return self->ids[rank];
}

/**
 * eigml_selection_get_sticker_index:
 * @self: a selection
 * @rank: 0 for the best sticker
 *
 * Returns: the sticker's index in the ranker's library
 *
 * Since: 1.0
 */
guint
eigml_selection_get_sticker_index (EigmlSelection *self,
                                   guint rank)
{
  g_return_val_if_fail (EIGML_IS_SELECTION (self), 0);
  g_return_val_if_fail (rank < self->n, 0);
  return self->indices[rank];
}

static float
part (EigmlSelection *self,
      guint rank,
      guint which)
{
  g_return_val_if_fail (EIGML_IS_SELECTION (self), NAN);
  g_return_val_if_fail (rank < self->n, NAN);
  return self->parts[(gsize) rank * EIGML_SELECTION_N_PARTS + which];
}

/**
 * eigml_selection_get_score:
 * @self: a selection
 * @rank: 0 for the best sticker
 *
 * Returns: the sticker's score: SAMM's p_final (eq 19), or p_vl for a model
 *   without SAMM; in [0, 1]
 *
 * Since: 1.0
 */
float
eigml_selection_get_score (EigmlSelection *self,
                           guint rank)
{
  return part (self, rank, EIGML_SELECTION_SCORE);
}

/**
 * eigml_selection_get_p_vl:
 * @self: a selection
 * @rank: 0 for the best sticker
 *
 * Returns: the matching head's probability p_vl (eq 19)
 *
 * Since: 1.0
 */
float
eigml_selection_get_p_vl (EigmlSelection *self,
                          guint rank)
{
  return part (self, rank, EIGML_SELECTION_P_VL);
}

/**
 * eigml_selection_get_s_emo:
 * @self: a selection
 * @rank: 0 for the best sticker
 *
 * Returns: the emotion similarity s_emo = (1 + cos(E_t, E_v)) / 2 (eq 17),
 *   or NaN for a model without the emotion embeddings
 *
 * Since: 1.0
 */
float
eigml_selection_get_s_emo (EigmlSelection *self,
                           guint rank)
{
  return part (self, rank, EIGML_SELECTION_S_EMO);
}

/**
 * eigml_selection_get_s_int:
 * @self: a selection
 * @rank: 0 for the best sticker
 *
 * Returns: the intention similarity s_int = (1 + cos(I'_t, I_v)) / 2
 *   (eq 17), or NaN for a model without intention
 *
 * Since: 1.0
 */
float
eigml_selection_get_s_int (EigmlSelection *self,
                           guint rank)
{
  return part (self, rank, EIGML_SELECTION_S_INT);
}

/**
 * eigml_selection_get_lexical_rank:
 * @self: a selection
 * @rank: 0 for the best sticker
 *
 * Returns: where the sticker stands in the lexical match of the dialogue's
 *   words with the library's labels and keywords (1: the best match), or 0
 *   when its words do not match (and for selections of given candidates,
 *   which have no lexical match); [enum@Eigml.RankOrder] says how it counts
 *   in the order
 *
 * Since: 1.0
 */
guint
eigml_selection_get_lexical_rank (EigmlSelection *self,
                                  guint rank)
{
  g_return_val_if_fail (EIGML_IS_SELECTION (self), 0);
  g_return_val_if_fail (rank < self->n, 0);
  return self->lexical_ranks != NULL ? self->lexical_ranks[rank] : 0;
}

/**
 * eigml_selection_get_emotion:
 * @self: a selection
 *
 * Returns: the dialogue's emotion label (%EIGML_EMOTION_NONE without an
 *   annotator, or when no emotion word was found)
 *
 * Since: 1.0
 */
EigmlEmotion
eigml_selection_get_emotion (EigmlSelection *self)
{
  g_return_val_if_fail (EIGML_IS_SELECTION (self), EIGML_EMOTION_NONE);
  return self->emotion;
}

/**
 * eigml_selection_get_emotion_distribution:
 * @self: a selection
 * @n_values: (out): the number of values (the model's categories)
 *
 * Returns: (array length=n_values) (transfer none): the dialogue's emotion
 *   distribution e_t over the DUTIR categories; all zero for no emotion
 *
 * Since: 1.0
 */
const float *
eigml_selection_get_emotion_distribution (EigmlSelection *self,
                                          gsize *n_values)
{
  g_return_val_if_fail (EIGML_IS_SELECTION (self), NULL);
  g_return_val_if_fail (n_values != NULL, NULL);
  *n_values = self->n_distribution;
  return self->distribution;
}

/**
 * eigml_selection_get_intents:
 * @self: a selection
 *
 * Returns: (transfer none) (nullable): the intention knowledge the model
 *   read for the dialogue, or %NULL when the ranker has no intent source
 *
 * Since: 1.0
 */
EigmlIntents *
eigml_selection_get_intents (EigmlSelection *self)
{
  g_return_val_if_fail (EIGML_IS_SELECTION (self), NULL);
  return self->intents;
}
