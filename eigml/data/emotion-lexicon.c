/* emotion-lexicon.c: emotion lexicon files and the English word rule
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "emotion.h"
#include "eigml-error.h"
#include "eigml-emotion-annotator.h"

/* U+2019 RIGHT SINGLE QUOTATION MARK, the typographic apostrophe */
#define RSQUO "\xe2\x80\x99"
#define RSQUO_LEN 3

gsize
eigml_emotion_normalize (char *word,
                         gsize len)
{
  gsize out = 0;

  for (gsize i = 0; i < len; )
    {
      if (i + RSQUO_LEN <= len && memcmp (word + i, RSQUO, RSQUO_LEN) == 0)
        {
          word[out++] = '\'';
          i += RSQUO_LEN;
        }
      else
        word[out++] = g_ascii_tolower (word[i++]);
    }
  return out;
}

gboolean
eigml_emotion_is_english_run (const char *text,
                              gsize len)
{
  for (gsize i = 0; i < len; )
    {
      if ((guchar) text[i] < 0x80)
        i++;
      else if (i + RSQUO_LEN <= len && memcmp (text + i, RSQUO, RSQUO_LEN) == 0)
        i += RSQUO_LEN;
      else
        return FALSE;
    }
  return TRUE;
}

/* The length of an apostrophe at text[i], or 0 */
static inline gsize
apostrophe_at (const char *text,
               gsize len,
               gsize i)
{
  if (text[i] == '\'')
    return 1;
  if (i + RSQUO_LEN <= len && memcmp (text + i, RSQUO, RSQUO_LEN) == 0)
    return RSQUO_LEN;
  return 0;
}

void
eigml_emotion_english_words (const char *text,
                             gsize len,
                             GString *scratch,
                             EigmlEmotionWordFunc fn,
                             gpointer user_data)
{
  gsize i = 0;

  while (i < len)
    {
      gsize start = i, a;

      if (!g_ascii_isalpha (text[i]))
        {
          i++;
          continue;
        }
      for (;;)
        {
          while (i < len && g_ascii_isalpha (text[i]))
            i++;
          /* an apostrophe joins only when a letter follows it */
          if (i < len && (a = apostrophe_at (text, len, i)) > 0 &&
              i + a < len && g_ascii_isalpha (text[i + a]))
            i += a;
          else
            break;
        }
      g_string_truncate (scratch, 0);
      g_string_append_len (scratch, text + start, i - start);
      g_string_truncate (scratch, eigml_emotion_normalize (scratch->str, scratch->len));
      fn (scratch->str, user_data);
    }
}

static inline gboolean
is_blank (char c)
{
  return c == ' ' || c == '\t';
}

/* Trims spaces (not tabs: they separate fields) */
static void
trim_spaces (const char **s,
             gsize *len)
{
  while (*len > 0 && (*s)[0] == ' ')
    (*s)++, (*len)--;
  while (*len > 0 && (*s)[*len - 1] == ' ')
    (*len)--;
}

gboolean
eigml_emotion_lexicon_parse (const char *path,
                             const char *data,
                             gsize len,
                             GPtrArray *words,
                             GByteArray *emotions,
                             GError **error)
{
  const char *end = data + len, *line = data;
  guint line_no = 0;

  if (len >= 3 && memcmp (data, "\xef\xbb\xbf", 3) == 0)
    line += 3;
  while (line < end)
    {
      const char *nl = memchr (line, '\n', end - line);
      const char *next = nl ? nl + 1 : end;
      gsize line_len = (nl ? nl : end) - line;
      const char *word, *category, *tab, *p;
      gsize word_len, category_len;
      g_autofree char *category_name = NULL;
      EigmlEmotion emotion;
      char *normalized;
      guint8 e;

      line_no++;
      if (line_len > 0 && line[line_len - 1] == '\r')
        line_len--;
      if (memchr (line, '\0', line_len) != NULL)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s:%u: the line holds a NUL byte", path, line_no);
          return FALSE;
        }
      if (!g_utf8_validate_len (line, line_len, &p))
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s:%u: the line is not valid UTF-8 (at byte %" G_GSIZE_FORMAT ")",
                       path, line_no, (gsize) (p - line) + 1);
          return FALSE;
        }
      for (p = line; p < line + line_len && is_blank (*p); p++)
        ;
      if (p == line + line_len || *p == '#')
        {
          line = next;
          continue;
        }

      tab = memchr (line, '\t', line_len);
      if (tab == NULL || memchr (tab + 1, '\t', line + line_len - tab - 1) != NULL)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s:%u: expected 'word<TAB>category' (one tab), got '%.*s'", path,
                       line_no, (int) MIN (line_len, 80), line);
          return FALSE;
        }
      word = line;
      word_len = tab - line;
      category = tab + 1;
      category_len = line + line_len - category;
      trim_spaces (&word, &word_len);
      trim_spaces (&category, &category_len);
      if (word_len == 0)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s:%u: the word before the tab is empty", path, line_no);
          return FALSE;
        }
      category_name = g_strndup (category, category_len);
      if (!eigml_emotion_from_name (category_name, &emotion) || emotion == EIGML_EMOTION_NONE)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s:%u: '%s' is not an emotion category (expected one of 好 乐 哀 怒 惧 "
                       "恶 惊, or good, joy, sadness, anger, fear, disgust, surprise)",
                       path, line_no, category_name);
          return FALSE;
        }
      normalized = g_strndup (word, word_len);
      normalized[eigml_emotion_normalize (normalized, word_len)] = '\0';
      g_ptr_array_add (words, normalized);
      e = (guint8) emotion;
      g_byte_array_append (emotions, &e, 1);
      line = next;
    }
  return TRUE;
}
