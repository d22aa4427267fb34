/* lexical.c: a BM25 index over the stickers' labels and keywords
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "lexical.h"

#include <math.h>
#include <string.h>

#define BM25_K1 1.2f
#define BM25_B 0.75f

typedef struct
{
  guint doc;
  guint tf;
} Posting;

struct _EigmlLexical
{
  GHashTable *postings;   /* term -> GArray of Posting, by document */
  GArray *lengths;        /* guint terms per document */
  guint64 total_length;
};

static void
postings_free (gpointer data)
{
  g_array_unref (data);
}

EigmlLexical *
eigml_lexical_new (void)
{
  EigmlLexical *self = g_new0 (EigmlLexical, 1);

  self->postings = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, postings_free);
  self->lengths = g_array_new (FALSE, FALSE, sizeof (guint));
  return self;
}

void
eigml_lexical_free (EigmlLexical *self)
{
  if (self == NULL)
    return;
  g_hash_table_destroy (self->postings);
  g_array_unref (self->lengths);
  g_free (self);
}

/* English function words that say nothing about a sticker, sorted (for
 * bsearch). Several are also two-letter country codes that emojibase gives
 * flags as keywords ("to": Tonga, "so": Somalia, "in": India), which
 * typed chat would otherwise match. Written for Eigml. */
static const char *const stop_words[] = {
  "am", "an", "and", "are", "aren", "as", "at", "be", "been", "but", "by", "could", "did",
  "didn", "do", "does", "doesn", "don", "for", "from", "had", "has", "have", "he", "her",
  "him", "his", "how", "if", "im", "in", "into", "is", "isn", "it", "its", "just", "ll", "me",
  "my", "not", "of", "on", "or", "our", "re", "she", "so", "than", "that", "the", "their",
  "them", "then", "there", "these", "they", "this", "to", "too", "us", "ve", "was", "wasn",
  "we", "were", "what", "when", "which", "who", "will", "with", "would", "you", "your"
};

static gint
compare_word (gconstpointer key,
              gconstpointer item)
{
  return strcmp (key, *(const char *const *) item);
}

/* a term the index leaves out: one ASCII letter or digit, or a stop word */
static gboolean
is_stop (const char *word,
         gsize len)
{
  return len < 2 || bsearch (word, stop_words, G_N_ELEMENTS (stop_words), sizeof (char *),
                             compare_word) != NULL;
}

static gboolean
is_ideograph (gunichar c)
{
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0xF900 && c <= 0xFAFF);
}

/* Negation: the words a negator governs are other terms than the same
 * words unnegated ("不开心" is not "开心", "not happy" is not "happy"), so
 * that a dialogue saying one does not match stickers that say the other.
 * A Chinese negator marks the next two characters of its run, an English
 * one the words after it up to the end of the clause (punctuation or
 * "but"), as sentiment analysis has long done (Das and Chen, 2001; Pang,
 * Lee and Vaithyanathan, 2002); marked terms get NEGATED in front. */
#define NEGATED "\u00ac"

static gboolean
is_chinese_negator (gunichar c)
{
  return c == 0x4E0D /* 不 */ || c == 0x6CA1 /* 没 */ || c == 0x522B /* 别 */ ||
         c == 0x672A /* 未 */ || c == 0x65E0 /* 无 */ || c == 0x83AB /* 莫 */ ||
         c == 0x52FF /* 勿 */;
}

static gboolean
is_english_negator (const char *word)
{
  static const char *const negators[] = { "no", "not", "never", "don", "didn", "doesn",
                                          "isn", "wasn", "aren", "nothing", NULL };

  return g_strv_contains (negators, word);
}

/* @n bytes of @a, then @m of @b, marked when @negated */
static char *
term (gboolean negated,
      const char *a,
      gsize n,
      const char *b,
      gsize m)
{
  GString *t = g_string_new (negated ? NEGATED : NULL);

  g_string_append_len (t, a, n);
  g_string_append_len (t, b, m);
  return g_string_free (t, FALSE);
}

GPtrArray *
eigml_lexical_terms (const char *text)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GString) word = g_string_new (NULL);
  gunichar prev = 0;
  gboolean prev_negated = FALSE, english_negation = FALSE;
  guint scope = 0;   /* characters of the run a Chinese negator still governs */

  if (text == NULL || !g_utf8_validate (text, -1, NULL))
    return out;
  for (const char *p = text;; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c < 0x80 && g_ascii_isalnum ((char) c))
        g_string_append_c (word, g_ascii_tolower ((char) c));
      else if (word->len > 0)
        {
          gboolean negator = is_english_negator (word->str);

          if (g_str_equal (word->str, "but"))
            english_negation = FALSE;
          else if (!is_stop (word->str, word->len))
            g_ptr_array_add (out, term (english_negation && !negator, word->str, word->len,
                                        NULL, 0));
          english_negation |= negator;
          g_string_truncate (word, 0);
        }
      /* a sentence's end ends an English negation's reach */
      if (c == '.' || c == '!' || c == '?' || c == ',' || c == ';' || c == '\n' ||
          c == 0x3002 || c == 0xFF01 || c == 0xFF1F || c == 0xFF0C)
        english_negation = FALSE;
      if (is_ideograph (c))
        {
          char cur[8], before[8];
          gint n = g_unichar_to_utf8 (c, cur);
          gboolean negated = scope > 0;

          g_ptr_array_add (out, term (negated, cur, n, NULL, 0));
          if (prev != 0)
            {
              gint m = g_unichar_to_utf8 (prev, before);

              g_ptr_array_add (out, term (negated && prev_negated, before, m, cur, n));
            }
          scope = is_chinese_negator (c) ? 2 : scope > 0 ? scope - 1 : 0;
          prev = c;
          prev_negated = negated;
        }
      else
        {
          prev = 0;
          prev_negated = FALSE;
          scope = 0;
        }
      if (c == 0)
        break;
    }
  return out;
}

void
eigml_lexical_add (EigmlLexical *self,
                   const char *text)
{
  g_autoptr (GPtrArray) terms = eigml_lexical_terms (text);
  g_autoptr (GHashTable) tf = g_hash_table_new (g_str_hash, g_str_equal);
  guint doc = self->lengths->len, len = terms->len;
  GHashTableIter it;
  gpointer key, value;

  for (guint i = 0; i < terms->len; i++)
    {
      const char *t = g_ptr_array_index (terms, i);

      g_hash_table_insert (tf, (gpointer) t,
                           GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (tf, t)) + 1));
    }
  g_hash_table_iter_init (&it, tf);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      GArray *list = g_hash_table_lookup (self->postings, key);
      Posting post = { doc, GPOINTER_TO_UINT (value) };

      if (list == NULL)
        {
          list = g_array_new (FALSE, FALSE, sizeof (Posting));
          g_hash_table_insert (self->postings, g_strdup (key), list);
        }
      g_array_append_val (list, post);
    }
  g_array_append_val (self->lengths, len);
  self->total_length += len;
}

guint
eigml_lexical_get_n_docs (EigmlLexical *self)
{
  return self->lengths->len;
}

guint
eigml_lexical_score (EigmlLexical *self,
                     const char *query,
                     float *scores)
{
  g_autoptr (GPtrArray) terms = eigml_lexical_terms (query);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  guint n = self->lengths->len, hits = 0;
  float avg = n > 0 ? (float) self->total_length / (float) n : 1.0f;

  memset (scores, 0, n * sizeof (float));
  if (avg <= 0.0f)
    avg = 1.0f;
  for (guint i = 0; i < terms->len; i++)
    {
      const char *t = g_ptr_array_index (terms, i);
      GArray *list;
      float idf;

      /* each query term once */
      if (!g_hash_table_add (seen, (gpointer) t))
        continue;
      list = g_hash_table_lookup (self->postings, t);
      if (list == NULL)
        continue;
      idf = logf (1.0f + ((float) n - (float) list->len + 0.5f) / ((float) list->len + 0.5f));
      for (guint k = 0; k < list->len; k++)
        {
          const Posting *p = &g_array_index (list, Posting, k);
          float len = (float) g_array_index (self->lengths, guint, p->doc);
          float tf = (float) p->tf;

          scores[p->doc] += idf * tf * (BM25_K1 + 1.0f) /
                            (tf + BM25_K1 * (1.0f - BM25_B + BM25_B * len / avg));
        }
    }
  for (guint d = 0; d < n; d++)
    hits += scores[d] > 0.0f;
  return hits;
}
