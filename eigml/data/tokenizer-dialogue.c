/* tokenizer-dialogue.c: packing the turns of a dialogue into one sequence
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Layout: [CLS], then for each kept turn its speaker ids, its text ids and
 * [SEP]; then [PAD] up to max_length. Token type 0 everywhere; attention
 * mask 1 on every id that is not padding.
 *
 * Which turns are kept (docs/tokenizer.md):
 *  - KEEP_RECENT walks from the newest turn back, keeping whole turns while
 *    they fit. The first turn that does not fit whole is cut from its start:
 *    it keeps its speaker ids (when they fit beside at least one text id),
 *    the last text ids that fit, and its [SEP]. Older turns are dropped.
 *  - KEEP_BEGINNING walks from the oldest turn forward the same way; the
 *    first turn that does not fit keeps its first text ids; later turns are
 *    dropped.
 * A cut turn needs room for one text id and its [SEP]; with less room it is
 * dropped too. An empty turn is never cut: it fits whole or is dropped.
 */
#include "config.h"

#include "data/tokenizer.h"
#include "eigml-error.h"
#include "eigml-tensor-private.h"

#include <string.h>

typedef struct
{
  guint turn;            /* index of the cut turn, or G_MAXUINT */
  gboolean speaker;      /* whether it keeps its speaker ids */
  guint text_start;      /* its kept text ids */
  guint text_len;
} Cut;

/* How much of turn t fits in r slots, when it does not fit whole */
static gboolean
cut_turn (const EigmlPackedTurn *t,
          guint index,
          guint r,
          gboolean keep_end,
          Cut *cut)
{
  guint n_keep;

  if (t->n_text == 0 || r < 2)
    return FALSE;
  cut->turn = index;
  cut->speaker = r >= t->n_speaker + 2;
  n_keep = r - 1 - (cut->speaker ? t->n_speaker : 0);
  cut->text_start = keep_end ? t->n_text - n_keep : 0;
  cut->text_len = n_keep;
  return TRUE;
}

void
eigml_dialogue_pack (const gint32 *flat,
                     const EigmlPackedTurn *turns,
                     guint n_turns,
                     guint max_length,
                     EigmlTruncation truncation,
                     gint32 cls_id,
                     gint32 sep_id,
                     gint32 pad_id,
                     gint32 *ids,
                     gint32 *token_type_ids,
                     gint32 *attention_mask)
{
  Cut cut = { G_MAXUINT, TRUE, 0, 0 };
  guint r = max_length - 1;
  guint first;
  guint last;
  guint pos = 0;

  g_return_if_fail (max_length >= 2);

  if (truncation == EIGML_TRUNCATION_KEEP_BEGINNING)
    {
      first = 0;
      for (last = 0; last < n_turns; last++)
        {
          const EigmlPackedTurn *t = &turns[last];
          guint cost = t->n_speaker + t->n_text + 1;

          if (cost <= r)
            {
              r -= cost;
              continue;
            }
          if (cut_turn (t, last, r, FALSE, &cut))
            last++;
          break;
        }
    }
  else
    {
      last = n_turns;
      for (first = n_turns; first > 0; first--)
        {
          const EigmlPackedTurn *t = &turns[first - 1];
          guint cost = t->n_speaker + t->n_text + 1;

          if (cost <= r)
            {
              r -= cost;
              continue;
            }
          if (cut_turn (t, first - 1, r, TRUE, &cut))
            first--;
          break;
        }
    }

  ids[pos++] = cls_id;
  for (guint i = first; i < last; i++)
    {
      const EigmlPackedTurn *t = &turns[i];
      const gint32 *text = flat + t->start + t->n_speaker;
      gboolean speaker = TRUE;
      guint text_start = 0;
      guint text_len = t->n_text;

      if (i == cut.turn)
        {
          speaker = cut.speaker;
          text_start = cut.text_start;
          text_len = cut.text_len;
        }
      if (speaker)
        for (guint k = 0; k < t->n_speaker; k++)
          ids[pos++] = flat[t->start + k];
      for (guint k = 0; k < text_len; k++)
        ids[pos++] = text[text_start + k];
      ids[pos++] = sep_id;
    }
  g_assert (pos <= max_length);

  for (guint k = 0; k < max_length; k++)
    {
      if (k >= pos)
        ids[k] = pad_id;
      token_type_ids[k] = 0;
      attention_mask[k] = k < pos ? 1 : 0;
    }
}

static guint
count_strv (const char * const *strv)
{
  guint n = 0;

  while (strv[n] != NULL)
    n++;
  return n;
}

/**
 * eigml_tokenizer_encode_dialogue_into: (skip)
 * @self: a tokenizer
 * @turns: (array zero-terminated=1): the turns, oldest first
 * @speakers: (array zero-terminated=1) (nullable): who said each turn
 * @max_length: the sequence length, or 0 for
 *   [property@Eigml.Tokenizer:max-length]
 * @truncation: which turns to keep when they do not all fit
 * @ids: (out caller-allocates): room for the resolved @max_length ids
 * @token_type_ids: (out caller-allocates): room for as many token types
 * @attention_mask: (out caller-allocates): room for as many mask values
 * @error: return location for a #GError
 *
 * [method@Eigml.Tokenizer.encode_dialogue], writing into the caller's
 * arrays (a row of a batch, say) instead of a new tensor. Each array must
 * hold the sequence length: @max_length, or the tokenizer's
 * [property@Eigml.Tokenizer:max-length] when @max_length is 0.
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
eigml_tokenizer_encode_dialogue_into (EigmlTokenizer *self,
                                      const char * const *turns,
                                      const char * const *speakers,
                                      guint max_length,
                                      EigmlTruncation truncation,
                                      gint32 *ids,
                                      gint32 *token_type_ids,
                                      gint32 *attention_mask,
                                      GError **error)
{
  const EigmlWordPiece *wp;
  g_autoptr (GArray) flat = NULL;
  g_autoptr (GArray) packed = NULL;
  guint n_turns;

  g_return_val_if_fail (EIGML_IS_TOKENIZER (self), FALSE);
  g_return_val_if_fail (turns != NULL, FALSE);
  g_return_val_if_fail (ids != NULL && token_type_ids != NULL && attention_mask != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  wp = eigml_tokenizer_get_wordpiece (self, error);
  if (wp == NULL)
    return FALSE;
  if (max_length == 0)
    max_length = eigml_tokenizer_get_max_length (self);
  if (max_length < 2 || max_length > EIGML_TOKENIZER_MAX_LENGTH_LIMIT)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_OUT_OF_RANGE,
                   "dialogue: max_length is %u; expected 2 to %u ([CLS] and one [SEP] at least)",
                   max_length, EIGML_TOKENIZER_MAX_LENGTH_LIMIT);
      return FALSE;
    }
  if (truncation != EIGML_TRUNCATION_KEEP_RECENT && truncation != EIGML_TRUNCATION_KEEP_BEGINNING &&
      truncation != EIGML_TRUNCATION_NONE)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "dialogue: truncation is %d; expected an EigmlTruncation value",
                   (int) truncation);
      return FALSE;
    }
  for (guint k = EIGML_SPECIAL_SEP; k <= EIGML_SPECIAL_CLS; k++)
    if (wp->special_id[k] < 0)
      {
        g_set_error (error, EIGML_ERROR, EIGML_ERROR_UNSUPPORTED,
                     "%s: packing a dialogue needs the token '%s', which the vocabulary lacks",
                     wp->name, wp->special[k]);
        return FALSE;
      }
  n_turns = count_strv (turns);
  if (speakers != NULL && count_strv (speakers) != n_turns)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "dialogue: got %u speakers for %u turns (expected one per turn)",
                   count_strv (speakers), n_turns);
      return FALSE;
    }

  flat = g_array_new (FALSE, FALSE, sizeof (gint32));
  packed = g_array_sized_new (FALSE, FALSE, sizeof (EigmlPackedTurn), n_turns);
  for (guint i = 0; i < n_turns; i++)
    {
      EigmlPackedTurn t = { flat->len, 0, 0 };
      const char *speaker = speakers ? speakers[i] : NULL;

      if (speaker != NULL && *speaker != '\0')
        {
          gint32 id;

          /* a speaker token of the vocabulary ("[speaker1]"), else the name
           * as text followed by ':' */
          if (eigml_vocab_lookup (wp->vocab, speaker, &id))
            g_array_append_val (flat, id);
          else
            {
              g_autofree char *label = g_strconcat (speaker, ":", NULL);

              if (!eigml_wordpiece_encode (wp, label, strlen (label), flat, NULL, error))
                {
                  g_prefix_error (error, "dialogue: speaker of turn %u: ", i);
                  return FALSE;
                }
            }
          t.n_speaker = flat->len - t.start;
        }
      if (!eigml_wordpiece_encode (wp, turns[i], strlen (turns[i]), flat, NULL, error))
        {
          g_prefix_error (error, "dialogue: turn %u: ", i);
          return FALSE;
        }
      t.n_text = flat->len - t.start - t.n_speaker;
      g_array_append_val (packed, t);
    }

  if (truncation == EIGML_TRUNCATION_NONE && flat->len + n_turns + 1 > max_length)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_OUT_OF_RANGE,
                   "dialogue: %u turns need %u ids with [CLS] and [SEP]; max_length is %u "
                   "and truncation is NONE", n_turns, flat->len + n_turns + 1, max_length);
      return FALSE;
    }
  eigml_dialogue_pack ((const gint32 *) flat->data, (const EigmlPackedTurn *) packed->data,
                       n_turns, max_length, truncation,
                       wp->special_id[EIGML_SPECIAL_CLS], wp->special_id[EIGML_SPECIAL_SEP],
                       wp->special_id[EIGML_SPECIAL_PAD], ids, token_type_ids, attention_mask);
  return TRUE;
}

/**
 * eigml_tokenizer_encode_dialogue:
 * @self: a tokenizer
 * @turns: (array zero-terminated=1): the turns, oldest first
 * @speakers: (array zero-terminated=1) (nullable): who said each turn, one
 *   entry per turn (an empty string for none), or %NULL for no speakers
 * @max_length: the sequence length, or 0 for
 *   [property@Eigml.Tokenizer:max-length]
 * @truncation: which turns to keep when they do not all fit
 * @error: return location for a #GError
 *
 * Packs a dialogue into one sequence for BERT: `[CLS]`, then each turn
 * followed by `[SEP]`, then `[PAD]` up to @max_length.
 *
 * A turn with a speaker starts with the speaker's token when the
 * vocabulary has a piece spelled exactly so (e.g. `[speaker1]`); otherwise
 * with the speaker's name tokenized as text followed by `:`.
 *
 * When the turns do not fit, %EIGML_TRUNCATION_KEEP_RECENT keeps the most
 * recent whole turns and cuts the next older one from its start (keeping
 * its speaker and its end); %EIGML_TRUNCATION_KEEP_BEGINNING keeps the
 * oldest whole turns and cuts the next one at its end. A cut turn keeps
 * its `[SEP]`; docs/tokenizer.md has the details. %EIGML_TRUNCATION_NONE
 * makes a dialogue that does not fit an error.
 *
 * Returns: (transfer full): an %EIGML_DTYPE_I32 tensor of shape
 *   [3, max_length]: row 0 the input ids, row 1 the token type ids (all 0),
 *   row 2 the attention mask (1 on tokens, 0 on padding); %NULL on error
 *
 * Since: 1.0
 */
EigmlTensor *
eigml_tokenizer_encode_dialogue (EigmlTokenizer *self,
                                 const char * const *turns,
                                 const char * const *speakers,
                                 guint max_length,
                                 EigmlTruncation truncation,
                                 GError **error)
{
  g_autoptr (EigmlTensor) tensor = NULL;
  gint64 shape[2];
  gint32 *data;

  g_return_val_if_fail (EIGML_IS_TOKENIZER (self), NULL);
  g_return_val_if_fail (turns != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (max_length == 0)
    max_length = eigml_tokenizer_get_max_length (self);
  if (max_length < 2 || max_length > EIGML_TOKENIZER_MAX_LENGTH_LIMIT)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_OUT_OF_RANGE,
                   "dialogue: max_length is %u; expected 2 to %u ([CLS] and one [SEP] at least)",
                   max_length, EIGML_TOKENIZER_MAX_LENGTH_LIMIT);
      return NULL;
    }
  shape[0] = 3;
  shape[1] = max_length;
  tensor = eigml_tensor_new (EIGML_DTYPE_I32, shape, 2, error);
  if (tensor == NULL)
    return NULL;
  data = eigml_tensor_peek_data_mutable (tensor);
  if (!eigml_tokenizer_encode_dialogue_into (self, turns, speakers, max_length, truncation,
                                             data, data + max_length, data + 2 * max_length,
                                             error))
    return NULL;
  return g_steal_pointer (&tensor);
}
