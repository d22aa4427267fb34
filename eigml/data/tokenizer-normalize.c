/* tokenizer-normalize.c: Hugging Face's BertNormalizer and BertPreTokenizer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The stages and their order are those of the `tokenizers` library (the
 * implementation behind BertTokenizerFast): clean the text, put spaces around
 * Chinese characters, strip accents (NFD, then drop non-spacing marks),
 * lower-case; then split on whitespace and isolate punctuation. The character
 * classes follow its definitions; the Unicode data is GLib's. See
 * docs/tokenizer.md for where this differs from the Python BertTokenizer.
 */
#include "config.h"

#include "data/tokenizer.h"

/* Rust's char::is_whitespace (the White_Space property), which the
 * tokenizers library uses for both cleaning and splitting */
gboolean
eigml_bert_is_whitespace (gunichar c)
{
  if (c < 0x80)
    return c == ' ' || (c >= 0x09 && c <= 0x0d);
  switch (c)
    {
    case 0x0085: case 0x00a0: case 0x1680:
    case 0x2028: case 0x2029: case 0x202f: case 0x205f: case 0x3000:
      return TRUE;
    default:
      return c >= 0x2000 && c <= 0x200a;
    }
}

/* Categories Cc, Cf, Co and Cs, except tab, newline and carriage return
 * (which are whitespace). Unassigned code points (Cn) are kept. */
gboolean
eigml_bert_is_control (gunichar c)
{
  if (c == '\t' || c == '\n' || c == '\r')
    return FALSE;
  if (c < 0x80)
    return c < 0x20 || c == 0x7f;
  switch (g_unichar_type (c))
    {
    case G_UNICODE_CONTROL:
    case G_UNICODE_FORMAT:
    case G_UNICODE_PRIVATE_USE:
    case G_UNICODE_SURROGATE:
      return TRUE;
    default:
      return FALSE;
    }
}

/* ASCII punctuation (all of !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~, symbols
 * included) and the Unicode punctuation categories P* */
gboolean
eigml_bert_is_punctuation (gunichar c)
{
  if (c < 0x80)
    return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) ||
           (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
  switch (g_unichar_type (c))
    {
    case G_UNICODE_CONNECT_PUNCTUATION:
    case G_UNICODE_DASH_PUNCTUATION:
    case G_UNICODE_CLOSE_PUNCTUATION:
    case G_UNICODE_FINAL_PUNCTUATION:
    case G_UNICODE_INITIAL_PUNCTUATION:
    case G_UNICODE_OTHER_PUNCTUATION:
    case G_UNICODE_OPEN_PUNCTUATION:
      return TRUE;
    default:
      return FALSE;
    }
}

/* The blocks of the tokenizers library's is_chinese_char, exactly: the
 * Python BertTokenizer starts the fifth range at 0x2B820 instead. */
gboolean
eigml_bert_is_chinese_char (gunichar c)
{
  return (c >= 0x4e00 && c <= 0x9fff) ||
         (c >= 0x3400 && c <= 0x4dbf) ||
         (c >= 0x20000 && c <= 0x2a6df) ||
         (c >= 0x2a700 && c <= 0x2b73f) ||
         (c >= 0x2b740 && c <= 0x2b81f) ||
         (c >= 0x2b920 && c <= 0x2ceaf) ||
         (c >= 0xf900 && c <= 0xfaff) ||
         (c >= 0x2f800 && c <= 0x2fa1f);
}

/* The full lower-case mapping (Rust's char::to_lowercase), character by
 * character: g_unichar_tolower only maps letters (Lu, Lt), so the few
 * numbers and symbols with a lower-case form are added here. U+0130 is the
 * one character whose lower case is two characters long; this returns its
 * first one. */
gunichar
eigml_bert_to_lower (gunichar c)
{
  if (c < 0x80)
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  if (c == 0x0130)
    return 'i';
  if (c >= 0x2160 && c <= 0x216f)
    return c + 0x10;                      /* Roman numerals (Nl) */
  if (c >= 0x24b6 && c <= 0x24cf)
    return c + 26;                        /* circled Latin capitals (So) */
  return g_unichar_tolower (c);
}

void
eigml_bert_append_lowercase (GArray *out,
                             gunichar c)
{
  gunichar lower = eigml_bert_to_lower (c);

  g_array_append_val (out, lower);
  if (c == 0x0130)
    {
      gunichar dot = 0x0307;

      g_array_append_val (out, dot);
    }
}

/* NFD in place on chars[first, len): the canonical decomposition of every
 * character, then the canonical ordering of combining marks. */
static void
decompose_canonical (GArray *chars,
                     guint first)
{
  guint n = chars->len;
  gboolean any = FALSE;

  for (guint i = first; i < n && !any; i++)
    any = g_array_index (chars, gunichar, i) >= 0xc0;
  if (!any)
    return;

  {
    g_autoptr (GArray) tmp = g_array_sized_new (FALSE, FALSE, sizeof (gunichar), n - first);
    gunichar *p;

    g_array_append_vals (tmp, &g_array_index (chars, gunichar, first), n - first);
    g_array_set_size (chars, first);
    for (guint i = 0; i < tmp->len; i++)
      {
        gunichar c = g_array_index (tmp, gunichar, i);
        gunichar buf[G_UNICHAR_MAX_DECOMPOSITION_LENGTH];
        gsize m;

        if (c < 0xc0)
          {
            g_array_append_val (chars, c);
            continue;
          }
        m = g_unichar_fully_decompose (c, FALSE, buf, G_N_ELEMENTS (buf));
        g_array_append_vals (chars, buf, m);
      }

    /* canonical ordering: a stable sort by combining class inside each run
     * of characters whose class is not 0 */
    p = (gunichar *) chars->data;
    for (guint i = first + 1; i < chars->len; i++)
      {
        int cc = g_unichar_combining_class (p[i]);
        guint j = i;

        if (cc == 0)
          continue;
        while (j > first && g_unichar_combining_class (p[j - 1]) > cc)
          {
            gunichar t = p[j];

            p[j] = p[j - 1];
            p[j - 1] = t;
            j--;
          }
      }
  }
}

void
eigml_bert_normalize (const EigmlBertNormalizer *normalizer,
                      const char *text,
                      gsize len,
                      GArray *out)
{
  const char *p = text;
  const char *end = text + len;
  guint first = out->len;

  /* clean_text, then handle_chinese_chars */
  while (p < end)
    {
      gunichar c;

      if ((guchar) *p < 0x80)
        c = (guchar) *p++;
      else
        {
          c = g_utf8_get_char (p);
          p = g_utf8_next_char (p);
        }
      if (c == 0 || c == 0xfffd || eigml_bert_is_control (c))
        continue;
      if (eigml_bert_is_whitespace (c))
        c = ' ';
      if (normalizer->handle_chinese_chars && c >= 0x3400 && eigml_bert_is_chinese_char (c))
        {
          const gunichar spaced[3] = { ' ', c, ' ' };

          g_array_append_vals (out, spaced, 3);
        }
      else
        g_array_append_val (out, c);
    }

  if (normalizer->strip_accents)
    {
      gunichar *chars;
      guint kept = first;

      decompose_canonical (out, first);
      chars = (gunichar *) out->data;
      for (guint i = first; i < out->len; i++)
        if (chars[i] < 0x300 || g_unichar_type (chars[i]) != G_UNICODE_NON_SPACING_MARK)
          chars[kept++] = chars[i];
      g_array_set_size (out, kept);
    }

  if (normalizer->lowercase)
    {
      guint n = out->len;
      guint i = first;
      gunichar *chars = (gunichar *) out->data;

      for (; i < n && chars[i] != 0x0130; i++)
        chars[i] = eigml_bert_to_lower (chars[i]);
      if (i < n)
        {
          /* rare: U+0130 grows, so rebuild the rest */
          g_autoptr (GArray) tmp = g_array_sized_new (FALSE, FALSE, sizeof (gunichar), n - i);

          g_array_append_vals (tmp, &g_array_index (out, gunichar, i), n - i);
          g_array_set_size (out, i);
          for (guint k = 0; k < tmp->len; k++)
            eigml_bert_append_lowercase (out, g_array_index (tmp, gunichar, k));
        }
    }
}

void
eigml_bert_pre_tokenize (const gunichar *chars,
                         guint first,
                         guint n,
                         GArray *words)
{
  guint start = first;

  for (guint i = first; i < n; i++)
    {
      gunichar c = chars[i];
      gboolean space = eigml_bert_is_whitespace (c);

      if (!space && !eigml_bert_is_punctuation (c))
        continue;
      if (i > start)
        {
          EigmlSpan word = { start, i };

          g_array_append_val (words, word);
        }
      if (!space)
        {
          EigmlSpan punct = { i, i + 1 };

          g_array_append_val (words, punct);
        }
      start = i + 1;
    }
  if (n > start)
    {
      EigmlSpan word = { start, n };

      g_array_append_val (words, word);
    }
}
