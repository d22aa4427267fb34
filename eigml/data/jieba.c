/* jieba.c: jieba's default segmentation (accurate mode, HMM on) and the
 * process-wide cache of its data
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The steps, as jieba 0.42.1 takes them (Tokenizer.cut, __cut_DAG, calc,
 * get_DAG, finalseg.cut), all counted in code points:
 *
 * 1. The text splits into maximal runs of block characters (re_han_default:
 *    U+4E00–U+9FD5, A–Z, a–z, 0–9 and `+ # & . _ % -`) and the rest. Every
 *    character of the rest is a token of its own, except that "\r\n" is
 *    one token. (jieba first splits the rest at re_skip_default, `\r\n|\s`,
 *    but in accurate mode both sides end up one character per token, so
 *    which characters `\s` covers changes nothing.)
 * 2. In a block, the word graph links each position k to every i ≥ k such
 *    that block[k..i] is a dictionary word of frequency > 0 (or to k alone
 *    when there is none), walking i up while block[k..i] is a word or a
 *    prefix of one.
 * 3. From the end, route[k] is the best of log(freq(block[k..x]) or 1) −
 *    log(total) + route[x + 1] over the x linked from k, a tie going to the
 *    greater x (Python's max over (score, x) pairs).
 * 4. Following the route from 0, words of two or more characters are
 *    tokens; consecutive one-character steps gather in a buffer, which
 *    comes out as one token when it is one character, as its characters
 *    when it is a dictionary word, and otherwise through finalseg: its runs
 *    of U+4E00–U+9FD5 are cut by the HMM, and the rest splits at re_skip
 *    (`[a-zA-Z0-9]+(?:\.\d+)?%?`: each match and each stretch between
 *    matches is a token).
 *
 * finalseg's Force_Split_Words is filled only by jieba.add_word (w, 0) or
 * del_word, which nothing here does, so it is always empty.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "jieba.h"
#include "eigml-error.h"

struct _EigmlJieba
{
  guint ref_count;              /* under cache_lock */
  char *dir;
  EigmlJiebaDict *dict;
  EigmlJiebaHmm *hmm;
  double log_total;
};

/* A text being cut: its characters and their byte offsets. */
typedef struct
{
  const EigmlJieba *jieba;
  const char *text;
  gunichar *chars;
  gsize *offsets;               /* n + 1: offsets[i] is where chars[i] starts */
  GArray *tokens;
  /* scratch for one block */
  double *route_score;
  gsize *route_end;
  gboolean *ends;
} Cut;

static inline gboolean
is_han (gunichar c)
{
  return c >= 0x4E00 && c <= 0x9FD5;
}

/* re_han_default */
static inline gboolean
is_block_char (gunichar c)
{
  return is_han (c) || (c < 0x80 && (g_ascii_isalnum ((char) c) || c == '+' || c == '#' ||
                                     c == '&' || c == '.' || c == '_' || c == '%' || c == '-'));
}

static inline gboolean
is_ascii_alnum (gunichar c)
{
  return c < 0x80 && g_ascii_isalnum ((char) c);
}

/* characters [from, to) */
static inline void
emit (Cut *cut,
      gsize from,
      gsize to)
{
  EigmlJiebaToken token = { cut->offsets[from], cut->offsets[to] - cut->offsets[from] };

  g_array_append_val (cut->tokens, token);
}

static inline gboolean
lookup (Cut *cut,
        gsize from,
        gsize to,
        guint64 *freq)
{
  return eigml_jieba_dict_lookup (cut->jieba->dict, cut->text + cut->offsets[from],
                                  cut->offsets[to] - cut->offsets[from], freq);
}

/* finalseg's re_skip on characters [from, to), none of them Han: each
 * match of `[a-zA-Z0-9]+(?:\.\d+)?%?` and each stretch between matches is
 * a token. (\d is any decimal digit in Python; only ASCII ones reach
 * here.) */
static void
cut_skip (Cut *cut,
          gsize from,
          gsize to)
{
  gsize pending = from, i = from;

  while (i < to)
    {
      gsize j = i;

      if (!is_ascii_alnum (cut->chars[i]))
        {
          i++;
          continue;
        }
      while (j < to && is_ascii_alnum (cut->chars[j]))
        j++;
      if (j + 1 < to && cut->chars[j] == '.' && g_unichar_isdigit (cut->chars[j + 1]))
        {
          j += 2;
          while (j < to && g_unichar_isdigit (cut->chars[j]))
            j++;
        }
      if (j < to && cut->chars[j] == '%')
        j++;
      if (pending < i)
        emit (cut, pending, i);
      emit (cut, i, j);
      pending = i = j;
    }
  if (pending < to)
    emit (cut, pending, to);
}

/* finalseg.cut on characters [from, to) */
static void
cut_hmm (Cut *cut,
         gsize from,
         gsize to)
{
  gsize i = from;

  while (i < to)
    {
      gsize j = i;

      if (!is_han (cut->chars[i]))
        {
          while (j < to && !is_han (cut->chars[j]))
            j++;
          cut_skip (cut, i, j);
        }
      else
        {
          gsize start = i;

          while (j < to && is_han (cut->chars[j]))
            j++;
          eigml_jieba_hmm_cut (cut->jieba->hmm, cut->chars + i, j - i, cut->ends + i);
          for (gsize k = i; k < j; k++)
            if (cut->ends[k])
              {
                emit (cut, start, k + 1);
                start = k + 1;
              }
        }
      i = j;
    }
}

/* The buffer of one-character steps, characters [from, to) */
static void
flush_singles (Cut *cut,
               gsize from,
               gsize to)
{
  guint64 freq = 0;

  if (to - from == 0)
    return;
  if (to - from == 1)
    emit (cut, from, to);
  else if (!lookup (cut, from, to, &freq) || freq == 0)
    cut_hmm (cut, from, to);
  else
    for (gsize k = from; k < to; k++)
      emit (cut, k, k + 1);
}

/* __cut_DAG on the block of characters [from, to) */
static void
cut_block (Cut *cut,
           gsize from,
           gsize to)
{
  double *score = cut->route_score;
  gsize *end = cut->route_end;
  gsize singles = from;

  /* route[i] for i in [from, to], stored at i */
  score[to] = 0.0;
  end[to] = to;
  for (gsize k = to; k-- > from; )
    {
      gboolean linked = FALSE;
      guint64 freq;

      for (gsize i = k; i < to && lookup (cut, k, i + 1, &freq); i++)
        {
          double s;

          if (freq == 0)
            continue;
          s = log ((double) freq) - cut->jieba->log_total + score[i + 1];
          if (!linked || s >= score[k])
            {
              score[k] = s;
              end[k] = i;
            }
          linked = TRUE;
        }
      if (!linked)
        {
          /* log (1): the character is no word */
          score[k] = 0.0 - cut->jieba->log_total + score[k + 1];
          end[k] = k;
        }
    }

  for (gsize x = from; x < to; )
    {
      gsize y = end[x] + 1;

      if (y - x == 1)
        {
          x = y;
          continue;
        }
      flush_singles (cut, singles, x);
      emit (cut, x, y);
      x = singles = y;
    }
  flush_singles (cut, singles, to);
}

gboolean
eigml_jieba_cut (const EigmlJieba *jieba,
                 const char *text,
                 gsize len,
                 GArray *tokens,
                 GError **error)
{
  g_autofree gunichar *chars = NULL;
  g_autofree gsize *offsets = NULL;
  g_autofree double *route_score = NULL;
  g_autofree gsize *route_end = NULL;
  g_autofree gboolean *ends = NULL;
  const char *bad;
  gsize n = 0;
  Cut cut;

  g_return_val_if_fail (jieba != NULL, FALSE);
  g_return_val_if_fail (text != NULL || len == 0, FALSE);

  if (!g_utf8_validate_len (text, len, &bad))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "the text is not valid UTF-8 (at byte %" G_GSIZE_FORMAT ")",
                   (gsize) (bad - text));
      return FALSE;
    }
  if (len == 0)
    return TRUE;
  chars = g_new (gunichar, len);
  offsets = g_new (gsize, len + 1);
  for (const char *p = text; p < text + len; p = g_utf8_next_char (p))
    {
      offsets[n] = p - text;
      chars[n++] = g_utf8_get_char (p);
    }
  offsets[n] = len;
  route_score = g_new (double, n + 1);
  route_end = g_new (gsize, n + 1);
  ends = g_new (gboolean, n);
  cut = (Cut) { jieba, text, chars, offsets, tokens, route_score, route_end, ends };

  for (gsize i = 0; i < n; )
    {
      gsize j = i + 1;

      if (is_block_char (chars[i]))
        {
          while (j < n && is_block_char (chars[j]))
            j++;
          cut_block (&cut, i, j);
        }
      else
        {
          if (chars[i] == '\r' && j < n && chars[j] == '\n')
            j++;
          emit (&cut, i, j);
        }
      i = j;
    }
  return TRUE;
}

/* ---- loading and the cache ---- */

/* resolved folder → EigmlJieba, for as long as someone holds it */
static GMutex cache_lock;
static GHashTable *cache;

char *
eigml_jieba_resolve_dir (const char *dir)
{
  const char *env = g_getenv ("EIGML_JIEBA_DIR");

  if (dir == NULL || *dir == '\0')
    dir = env != NULL && *env != '\0' ? env : EIGML_JIEBA_DEBIAN_DIR;
  return g_canonicalize_filename (dir, NULL);
}

static EigmlJieba *
jieba_load (const char *dir,
            GError **error)
{
  g_autofree char *dict_path = g_build_filename (dir, "dict.txt", NULL);
  g_autofree char *finalseg = g_build_filename (dir, "finalseg", NULL);
  g_autoptr (EigmlJiebaDict) dict = NULL;
  g_autoptr (EigmlJiebaHmm) hmm = NULL;
  EigmlJieba *jieba;

  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                   "%s: no jieba data folder there (install Debian's python3-jieba, or point "
                   "EIGML_JIEBA_DIR at a folder holding dict.txt and finalseg/prob_*.py)", dir);
      return NULL;
    }
  dict = eigml_jieba_dict_load (dict_path, error);
  if (dict == NULL)
    return NULL;
  hmm = eigml_jieba_hmm_load (finalseg, error);
  if (hmm == NULL)
    return NULL;
  jieba = g_new0 (EigmlJieba, 1);
  jieba->ref_count = 1;
  jieba->dir = g_strdup (dir);
  jieba->dict = g_steal_pointer (&dict);
  jieba->hmm = g_steal_pointer (&hmm);
  jieba->log_total = log ((double) eigml_jieba_dict_get_total (jieba->dict));
  return jieba;
}

EigmlJieba *
eigml_jieba_get (const char *dir,
                 GError **error)
{
  g_autofree char *resolved = eigml_jieba_resolve_dir (dir);
  EigmlJieba *jieba, *other;

  g_mutex_lock (&cache_lock);
  jieba = cache ? g_hash_table_lookup (cache, resolved) : NULL;
  if (jieba != NULL)
    jieba->ref_count++;
  g_mutex_unlock (&cache_lock);
  if (jieba != NULL)
    return jieba;

  /* loaded unlocked: a second thread loading the same folder meanwhile
   * keeps the first copy cached */
  jieba = jieba_load (resolved, error);
  if (jieba == NULL)
    return NULL;
  g_mutex_lock (&cache_lock);
  if (cache == NULL)
    cache = g_hash_table_new (g_str_hash, g_str_equal);
  other = g_hash_table_lookup (cache, resolved);
  if (other == NULL)
    g_hash_table_insert (cache, jieba->dir, jieba);
  else
    other->ref_count++;
  g_mutex_unlock (&cache_lock);
  if (other != NULL)
    {
      eigml_jieba_unref (jieba);
      jieba = other;
    }
  return jieba;
}

EigmlJieba *
eigml_jieba_ref (EigmlJieba *jieba)
{
  g_mutex_lock (&cache_lock);
  jieba->ref_count++;
  g_mutex_unlock (&cache_lock);
  return jieba;
}

void
eigml_jieba_unref (EigmlJieba *jieba)
{
  gboolean last;

  if (jieba == NULL)
    return;
  g_mutex_lock (&cache_lock);
  last = --jieba->ref_count == 0;
  if (last && cache != NULL && g_hash_table_lookup (cache, jieba->dir) == jieba)
    {
      g_hash_table_remove (cache, jieba->dir);
      if (g_hash_table_size (cache) == 0)
        g_clear_pointer (&cache, g_hash_table_unref);
    }
  g_mutex_unlock (&cache_lock);
  if (!last)
    return;
  eigml_jieba_dict_free (jieba->dict);
  eigml_jieba_hmm_free (jieba->hmm);
  g_free (jieba->dir);
  g_free (jieba);
}

const char *
eigml_jieba_get_dir (const EigmlJieba *jieba)
{
  return jieba->dir;
}

const EigmlJiebaDict *
eigml_jieba_get_dict (const EigmlJieba *jieba)
{
  return jieba->dict;
}
