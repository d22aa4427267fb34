/* jieba-dict.c: jieba's prefix dictionary (dict.txt)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each line of dict.txt is `word freq [tag]`. jieba maps every word to its
 * frequency (a later line of the same word replacing an earlier one) and
 * every code-point prefix of a word that is not itself a word to 0, and
 * sums the frequencies of all lines. Here the words stay in the file's
 * buffer and one open-addressing table maps byte ranges of it (a word or a
 * prefix of one) to frequencies, so loading allocates twice and no key is
 * copied.
 */
#include "config.h"

#include <string.h>

#include "jieba.h"
#include "eigml-error.h"

/* dict.txt of jieba 0.42.1 is 5 MB; refuse what cannot be a dictionary. */
#define MAX_DICT_SIZE (1u << 30)

typedef struct
{
  guint32 offset;               /* of the key in the buffer */
  guint32 len;                  /* bytes; 0: an empty slot */
  guint64 freq;
} Slot;

struct _EigmlJiebaDict
{
  char *buffer;
  gsize buffer_len;
  Slot *slots;
  gsize mask;                   /* n slots - 1, a power of two minus one */
  guint n_entries;
  guint64 total;
};

/* FNV-1a, 64 bits, folded */
static inline guint64
hash_bytes (const char *s,
            gsize len)
{
  guint64 h = G_GUINT64_CONSTANT (0xcbf29ce484222325);

  for (gsize i = 0; i < len; i++)
    {
      h ^= (guchar) s[i];
      h *= G_GUINT64_CONSTANT (0x100000001b3);
    }
  return h ^ (h >> 29);
}

static inline Slot *
find_slot (const EigmlJiebaDict *dict,
           const char *key,
           gsize len)
{
  gsize i = hash_bytes (key, len) & dict->mask;

  for (;;)
    {
      Slot *slot = &dict->slots[i];

      if (slot->len == 0 ||
          (slot->len == len && memcmp (dict->buffer + slot->offset, key, len) == 0))
        return slot;
      i = (i + 1) & dict->mask;
    }
}

static void
grow (EigmlJiebaDict *dict)
{
  Slot *old = dict->slots;
  gsize old_n = dict->mask + 1;

  dict->mask = old_n * 2 - 1;
  dict->slots = g_new0 (Slot, dict->mask + 1);
  for (gsize i = 0; i < old_n; i++)
    if (old[i].len != 0)
      *find_slot (dict, dict->buffer + old[i].offset, old[i].len) = old[i];
  g_free (old);
}

/* @key lies in the buffer. A word sets its frequency; a prefix only adds
 * itself with 0. */
static void
insert (EigmlJiebaDict *dict,
        const char *key,
        gsize len,
        gboolean is_word,
        guint64 freq)
{
  Slot *slot = find_slot (dict, key, len);

  if (slot->len == 0)
    {
      slot->offset = (guint32) (key - dict->buffer);
      slot->len = (guint32) len;
      slot->freq = is_word ? freq : 0;
      /* keep the load under 1/2 */
      if (++dict->n_entries * 2 > dict->mask + 1)
        grow (dict);
    }
  else if (is_word)
    slot->freq = freq;
}

static inline gboolean
is_py_bytes_space (char c)
{
  /* what bytes.strip() removes */
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static gboolean
parse_freq (const char *s,
            gsize len,
            guint64 *out)
{
  guint64 v = 0;
  gsize i = 0;

  if (i < len && s[i] == '+')
    i++;
  if (i == len)
    return FALSE;
  for (; i < len; i++)
    {
      if (!g_ascii_isdigit (s[i]) || v > (G_MAXUINT64 - 9) / 10)
        return FALSE;
      v = v * 10 + (guint64) (s[i] - '0');
    }
  *out = v;
  return TRUE;
}

static gboolean
load_line (EigmlJiebaDict *dict,
           const char *path,
           guint line_no,
           const char *line,
           gsize len,
           GError **error)
{
  const char *word = line, *field, *end, *p;
  gsize word_len, field_len;
  guint64 freq;

  while (len > 0 && is_py_bytes_space (line[len - 1]))
    len--;
  while (len > 0 && is_py_bytes_space (*word))
    word++, len--;
  end = word + len;
  if (!g_utf8_validate_len (word, len, NULL))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s:%u: the line is not valid UTF-8", path, line_no);
      return FALSE;
    }
  /* `word, freq = line.split (' ')[:2]` */
  p = memchr (word, ' ', len);
  if (p == NULL || p == word)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s:%u: expected 'word frequency [tag]', got '%.*s'", path, line_no,
                   (int) MIN (len, 80), word);
      return FALSE;
    }
  word_len = p - word;
  field = p + 1;
  p = memchr (field, ' ', end - field);
  field_len = (p ? p : end) - field;
  if (!parse_freq (field, field_len, &freq))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s:%u: the frequency of '%.*s' is '%.*s', expected a non-negative "
                   "decimal integer", path, line_no, (int) word_len, word,
                   (int) MIN (field_len, 40), field);
      return FALSE;
    }
  if (dict->total > G_MAXUINT64 - freq)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_OUT_OF_RANGE,
                   "%s:%u: the frequencies add up to more than 2^64", path, line_no);
      return FALSE;
    }
  dict->total += freq;
  insert (dict, word, word_len, TRUE, freq);
  /* every code-point prefix, the word itself included as in jieba */
  for (const char *q = g_utf8_next_char (word); q < word + word_len; q = g_utf8_next_char (q))
    insert (dict, word, q - word, FALSE, 0);
  return TRUE;
}

EigmlJiebaDict *
eigml_jieba_dict_load (const char *path,
                       GError **error)
{
  g_autoptr (EigmlJiebaDict) dict = g_new0 (EigmlJiebaDict, 1);
  const char *line, *end;
  guint line_no = 0;

  if (!g_file_get_contents (path, &dict->buffer, &dict->buffer_len, error))
    return NULL;
  if (dict->buffer_len > MAX_DICT_SIZE)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: %" G_GSIZE_FORMAT " bytes is too large for a jieba dictionary "
                   "(at most 1 GiB)", path, dict->buffer_len);
      return NULL;
    }
  dict->mask = (1u << 16) - 1;
  dict->slots = g_new0 (Slot, dict->mask + 1);
  end = dict->buffer + dict->buffer_len;
  for (line = dict->buffer; line < end; )
    {
      const char *nl = memchr (line, '\n', end - line);
      const char *next = nl ? nl + 1 : end;

      line_no++;
      if (memchr (line, '\0', next - line) != NULL)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s:%u: the line holds a NUL byte", path, line_no);
          return NULL;
        }
      if (!load_line (dict, path, line_no, line, next - line, error))
        return NULL;
      line = next;
    }
  if (dict->total == 0)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: the dictionary has no word with a frequency above 0", path);
      return NULL;
    }
  return g_steal_pointer (&dict);
}

void
eigml_jieba_dict_free (EigmlJiebaDict *dict)
{
  if (dict == NULL)
    return;
  g_free (dict->buffer);
  g_free (dict->slots);
  g_free (dict);
}

gboolean
eigml_jieba_dict_lookup (const EigmlJiebaDict *dict,
                         const char *word,
                         gsize len,
                         guint64 *freq)
{
  const Slot *slot;

  if (len == 0 || len > G_MAXUINT32)
    return FALSE;
  slot = find_slot (dict, word, len);
  if (slot->len == 0)
    return FALSE;
  *freq = slot->freq;
  return TRUE;
}

guint64
eigml_jieba_dict_get_total (const EigmlJiebaDict *dict)
{
  return dict->total;
}

guint
eigml_jieba_dict_get_n_entries (const EigmlJiebaDict *dict)
{
  return dict->n_entries;
}
