/* tokenizer-wordpiece.c: special tokens, normalisation, pre-tokenisation
 * and WordPiece over one vocabulary
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "data/tokenizer.h"
#include "eigml-error.h"

#include <string.h>

void
eigml_wordpiece_init (EigmlWordPiece *wp)
{
  memset (wp, 0, sizeof *wp);
  wp->strip_accents = -1;
  wp->handle_chinese_chars = TRUE;
  for (guint i = 0; i < EIGML_N_SPECIAL; i++)
    wp->special_id[i] = -1;
  wp->never_split = g_ptr_array_new_with_free_func (g_free);
  wp->never_split_ids = g_array_new (FALSE, FALSE, sizeof (gint32));
}

void
eigml_wordpiece_clear (EigmlWordPiece *wp)
{
  g_clear_pointer (&wp->vocab, eigml_vocab_free);
  g_clear_pointer (&wp->name, g_free);
  for (guint i = 0; i < EIGML_N_SPECIAL; i++)
    g_clear_pointer (&wp->special[i], g_free);
  g_clear_pointer (&wp->never_split, g_ptr_array_unref);
  g_clear_pointer (&wp->never_split_ids, g_array_unref);
}

static gint
compare_longest_first (gconstpointer a,
                       gconstpointer b)
{
  const char *sa = *(const char **) a;
  const char *sb = *(const char **) b;
  gsize la = strlen (sa);
  gsize lb = strlen (sb);

  if (la != lb)
    return la < lb ? 1 : -1;
  return strcmp (sa, sb);
}

static void
add_never_split (EigmlWordPiece *wp,
                 const char *token)
{
  for (guint i = 0; i < wp->never_split->len; i++)
    if (g_str_equal (g_ptr_array_index (wp->never_split, i), token))
      return;
  g_ptr_array_add (wp->never_split, g_strdup (token));
}

gboolean
eigml_wordpiece_setup (EigmlWordPiece *wp,
                       EigmlVocab *vocab,
                       const char *name,
                       const EigmlTokenizerConfig *config,
                       GError **error)
{
  wp->vocab = vocab;
  wp->name = g_strdup (name);
  if (config != NULL && config->do_lower_case >= 0)
    wp->lowercase = config->do_lower_case;
  else
    wp->lowercase = eigml_vocab_looks_uncased (vocab);
  if (config != NULL)
    {
      wp->strip_accents = config->strip_accents;
      if (config->tokenize_chinese_chars >= 0)
        wp->handle_chinese_chars = config->tokenize_chinese_chars;
    }

  for (guint i = 0; i < EIGML_N_SPECIAL; i++)
    {
      const char *token = config && config->special[i] ? config->special[i]
                                                       : eigml_special_kind_default (i);
      gint32 id;

      wp->special[i] = g_strdup (token);
      if (eigml_vocab_lookup (vocab, token, &id))
        {
          wp->special_id[i] = id;
          add_never_split (wp, token);
        }
    }
  if (wp->special_id[EIGML_SPECIAL_UNK] < 0)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: no line holds the unknown token '%s' (expected it once among %u pieces)",
                   name, wp->special[EIGML_SPECIAL_UNK], eigml_vocab_get_size (vocab));
      return FALSE;
    }
  if (config != NULL)
    for (guint i = 0; i < config->additional_special->len; i++)
      {
        const char *token = g_ptr_array_index (config->additional_special, i);
        gint32 id;

        if (eigml_vocab_lookup (vocab, token, &id))
          add_never_split (wp, token);
      }

  g_ptr_array_sort (wp->never_split, compare_longest_first);
  for (guint i = 0; i < wp->never_split->len; i++)
    {
      const char *token = g_ptr_array_index (wp->never_split, i);
      gint32 id = -1;

      eigml_vocab_lookup (vocab, token, &id);
      g_array_append_val (wp->never_split_ids, id);
      wp->never_split_first_byte[(guchar) token[0]] = TRUE;
    }
  return TRUE;
}

gboolean
eigml_wordpiece_is_special_id (const EigmlWordPiece *wp,
                               gint32 id)
{
  for (guint i = 0; i < wp->never_split_ids->len; i++)
    if (g_array_index (wp->never_split_ids, gint32, i) == id)
      return TRUE;
  return FALSE;
}

/* UTF-8 validation that lets NUL bytes through (the cleaning drops them) */
static gboolean
validate_text (const char *text,
               gsize len,
               GError **error)
{
  const char *p = text;
  const char *end = text + len;

  while (p < end)
    {
      const char *bad;

      if (g_utf8_validate (p, end - p, &bad))
        return TRUE;
      if (*bad != '\0')
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "text is not valid UTF-8: byte 0x%02x at offset %" G_GSIZE_FORMAT,
                       (guchar) *bad, (gsize) (bad - text));
          return FALSE;
        }
      p = bad + 1;
    }
  return TRUE;
}

/* The working memory of one call: nothing is allocated per character or
 * per piece */
typedef struct
{
  GArray *chars;      /* gunichar: the normalized text of one segment */
  GArray *spans;      /* EigmlSpan into chars: its words */
  GString *word;      /* "##" + one word in UTF-8 */
  GArray *offsets;    /* guint: where each character of the word starts */
} Scratch;

static void
scratch_init (Scratch *s)
{
  s->chars = g_array_new (FALSE, FALSE, sizeof (gunichar));
  s->spans = g_array_new (FALSE, FALSE, sizeof (EigmlSpan));
  s->word = g_string_sized_new (64);
  s->offsets = g_array_new (FALSE, FALSE, sizeof (guint));
}

static void
scratch_clear (Scratch *s)
{
  g_array_unref (s->chars);
  g_array_unref (s->spans);
  g_string_free (s->word, TRUE);
  g_array_unref (s->offsets);
}

/* Greedy longest-match-first WordPiece over one word, as Hugging Face's
 * WordpieceTokenizer: the whole word becomes the unknown token when it is
 * longer than 100 characters or when some position has no piece. */
static void
wordpiece (const EigmlWordPiece *wp,
           Scratch *s,
           const gunichar *word,
           guint n,
           GArray *ids)
{
  guint max_bytes = eigml_vocab_get_max_piece_bytes (wp->vocab);
  guint mark = ids->len;
  guint *offsets;
  char *buf;
  guint start = 0;

  if (n > EIGML_WORDPIECE_MAX_INPUT_CHARS)
    {
      g_array_append_val (ids, wp->special_id[EIGML_SPECIAL_UNK]);
      return;
    }
  g_string_truncate (s->word, 0);
  g_string_append_len (s->word, "##", 2);
  g_array_set_size (s->offsets, n + 1);
  offsets = (guint *) s->offsets->data;
  offsets[0] = 2;
  for (guint i = 0; i < n; i++)
    {
      g_string_append_unichar (s->word, word[i]);
      offsets[i + 1] = s->word->len;
    }
  buf = s->word->str;

  while (start < n)
    {
      /* the candidate is buf[key, offsets[end]): after the first piece,
       * "##" overwrites the end of the previous one, no longer needed */
      guint key = start == 0 ? offsets[0] : offsets[start] - 2;
      guint end;
      gint32 id = -1;

      if (start > 0)
        {
          buf[key] = '#';
          buf[key + 1] = '#';
        }
      for (end = n; end > start; end--)
        {
          char saved;
          gboolean found;

          if (offsets[end] - key > max_bytes)
            continue;
          saved = buf[offsets[end]];
          buf[offsets[end]] = '\0';
          found = eigml_vocab_lookup (wp->vocab, buf + key, &id);
          buf[offsets[end]] = saved;
          if (found)
            break;
        }
      if (end == start)
        {
          g_array_set_size (ids, mark);
          g_array_append_val (ids, wp->special_id[EIGML_SPECIAL_UNK]);
          return;
        }
      g_array_append_val (ids, id);
      start = end;
    }
}

static void
encode_segment (const EigmlWordPiece *wp,
                Scratch *s,
                const char *text,
                gsize len,
                GArray *ids,
                GPtrArray *words)
{
  EigmlBertNormalizer normalizer = {
    .lowercase = wp->lowercase,
    .strip_accents = wp->strip_accents < 0 ? wp->lowercase : wp->strip_accents,
    .handle_chinese_chars = wp->handle_chinese_chars,
  };
  const gunichar *chars;

  g_array_set_size (s->chars, 0);
  g_array_set_size (s->spans, 0);
  eigml_bert_normalize (&normalizer, text, len, s->chars);
  chars = (const gunichar *) s->chars->data;
  eigml_bert_pre_tokenize (chars, 0, s->chars->len, s->spans);
  for (guint i = 0; i < s->spans->len; i++)
    {
      const EigmlSpan *w = &g_array_index (s->spans, EigmlSpan, i);

      if (words != NULL)
        g_ptr_array_add (words, g_ucs4_to_utf8 (chars + w->start, w->end - w->start,
                                                NULL, NULL, NULL));
      else
        wordpiece (wp, s, chars + w->start, w->end - w->start, ids);
    }
}

/* The first special token in [text, end): leftmost, then longest, as
 * Hugging Face's added-token matching. It looks at the raw text, so a
 * special token is found only as written ("[cls]" is not "[CLS]"). */
static const char *
find_special (const EigmlWordPiece *wp,
              const char *text,
              const char *end,
              guint *which)
{
  for (const char *p = text; p < end; p++)
    {
      if (!wp->never_split_first_byte[(guchar) *p])
        continue;
      for (guint i = 0; i < wp->never_split->len; i++)
        {
          const char *token = g_ptr_array_index (wp->never_split, i);
          gsize n = strlen (token);

          if ((gsize) (end - p) >= n && memcmp (p, token, n) == 0)
            {
              *which = i;
              return p;
            }
        }
    }
  return NULL;
}

gboolean
eigml_wordpiece_encode (const EigmlWordPiece *wp,
                        const char *text,
                        gsize len,
                        GArray *ids,
                        GPtrArray *words,
                        GError **error)
{
  const char *p = text;
  const char *end = text + len;
  Scratch s;

  if (!validate_text (text, len, error))
    return FALSE;
  scratch_init (&s);
  while (p < end)
    {
      guint which = 0;
      const char *hit = find_special (wp, p, end, &which);
      const char *stop = hit ? hit : end;
      const char *token;

      if (stop > p)
        encode_segment (wp, &s, p, stop - p, ids, words);
      if (hit == NULL)
        break;
      token = g_ptr_array_index (wp->never_split, which);
      if (words != NULL)
        g_ptr_array_add (words, g_strdup (token));
      else
        g_array_append_val (ids, g_array_index (wp->never_split_ids, gint32, which));
      p = hit + strlen (token);
    }
  scratch_clear (&s);
  return TRUE;
}
