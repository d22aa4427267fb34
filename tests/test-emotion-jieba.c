/* test-emotion-jieba.c: the jieba-compatible segmentation on known
 * sentences, jieba's data and their errors, the reader of jieba's Python
 * tables, load time and speed
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "eigml.h"
#include "data/jieba.h"
#include "test-emotion.h"

#define TOKENS(...) ((const char *const[]) { __VA_ARGS__, NULL })

/* Expected tokens: jieba 0.42.1's jieba.lcut (Debian python3-jieba) */
static void
test_segment_known (void)
{
  g_autoptr (EigmlEmotionAnnotator) annotator = eigml_emotion_annotator_new_empty ();
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) tokens = NULL;

  emotion_assert_segments (annotator, "我来到北京清华大学",
                           TOKENS ("我", "来到", "北京", "清华大学"));
  /* 杭研 is no dictionary word: the HMM finds it */
  emotion_assert_segments (annotator, "他来到了网易杭研大厦",
                           TOKENS ("他", "来到", "了", "网易", "杭研", "大厦"));
  emotion_assert_segments (annotator, "小明硕士毕业于中国科学院计算所，后在日本京都大学深造",
                           TOKENS ("小明", "硕士", "毕业", "于", "中国科学院", "计算所", "，",
                                   "后", "在", "日本京都大学", "深造"));
  /* 好开心 is an HMM word, so 开心 is not a token here */
  emotion_assert_segments (annotator, "今天好开心啊", TOKENS ("今天", "好开心", "啊"));
  /* ASCII: one token per character outside the blocks, "\r\n" one token,
   * finalseg's numbers with a decimal part and a per cent sign; emoji
   * and full-width letters one code point per token */
  emotion_assert_segments (annotator,
                           "I don't like C++ 3.14% abc.12%x\r\n\xf0\x9f\x98\x80"
                           "\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbb\xef\xbc\xa1\xef\xbc\xa2",
                           TOKENS ("I", " ", "don", "'", "t", " ", "like", " ", "C++", " ",
                                   "3.14%", " ", "abc.12%", "x", "\r\n", "\xf0\x9f\x98\x80",
                                   "\xf0\x9f\x91\x8d", "\xf0\x9f\x8f\xbb", "\xef\xbc\xa1",
                                   "\xef\xbc\xa2"));
  emotion_assert_segments (annotator, "这个iPhone15真的很好用\xf0\x9f\x98\x82，价格¥5999。",
                           TOKENS ("这个", "iPhone15", "真的", "很", "好", "用",
                                   "\xf0\x9f\x98\x82", "，", "价格", "¥", "5999", "。"));
  emotion_assert_segments (annotator, "https://example.com/a?b=1&c=2 点这里",
                           TOKENS ("https", ":", "/", "/", "example", ".", "com", "/", "a", "?",
                                   "b", "=", "1", "&", "c", "=", "2", " ", "点", "这里"));
  emotion_assert_segments (annotator, "", (const char *const[]) { NULL });

  tokens = eigml_emotion_annotator_segment (annotator, "好\xff", &error);
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "byte 3"));
  g_assert_null (tokens);
}

/* ---- jieba data ---- */

/* A small jieba folder: the real HMM start and transition tables, an
 * emission table with two characters, a dictionary of three words. */
static char *
write_jieba_dir (const char *name,
                 const char *dict,
                 const char *emit)
{
  g_autofree char *finalseg = g_build_filename (EIGML_JIEBA_DEBIAN_DIR, "finalseg", NULL);
  g_autofree char *dir = g_build_filename (emotion_tmpdir, name, NULL);
  static const char *const tables[] = { "prob_start.py", "prob_trans.py" };
  g_autofree char *path = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    {
      g_autofree char *src = g_build_filename (finalseg, tables[i], NULL);
      g_autofree char *dst = g_build_filename (name, "finalseg", tables[i], NULL);
      g_autofree char *text = NULL;
      g_autoptr (GError) error = NULL;
      gsize len;

      g_file_get_contents (src, &text, &len, &error);
      g_assert_no_error (error);
      g_free (emotion_write_file (dst, text, (gssize) len));
    }
  g_free (path);
  path = g_build_filename (name, "finalseg", "prob_emit.py", NULL);
  g_free (emotion_write_file (path, emit, -1));
  g_free (path);
  path = g_build_filename (name, "dict.txt", NULL);
  g_free (emotion_write_file (path, dict, -1));
  return g_steal_pointer (&dir);
}

const char emotion_small_emit[] =
  "from __future__ import unicode_literals\n"
  "# two characters\n"
  "P={'B': {'\\u4e00': -1.0}, 'E': {u'\\u4e8c': -1.0},\n"
  " 'M': {}, \"S\": {'\\x41': -2, '\\u4e09': -0.5}}\n";

static void
assert_jieba_error (const char *dict,
                    const char *emit,
                    GQuark domain,
                    gint code,
                    const char *message)
{
  g_autofree char *dir = write_jieba_dir ("badjieba", dict, emit);
  g_autoptr (EigmlEmotionAnnotator) annotator = eigml_emotion_annotator_new_for_jieba_dir (dir);
  g_autoptr (EigmlEmotionResult) result = NULL;
  g_autoptr (GError) error = NULL;

  result = eigml_emotion_annotator_annotate (annotator, "一二三", &error);
  g_assert_null (result);
  g_assert_error (error, domain, code);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, message));
}

static void
test_jieba_data (void)
{
  g_autofree char *dir = write_jieba_dir ("smalljieba", "一二 3 n\n二 5\n四 7\n",
                                          emotion_small_emit);
  g_autoptr (EigmlEmotionAnnotator) annotator = eigml_emotion_annotator_new_for_jieba_dir (dir);
  g_autoptr (EigmlEmotionAnnotator) env_annotator = NULL;
  g_autofree char *missing = g_build_filename (emotion_tmpdir, "nojieba", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *canonical = g_canonicalize_filename (dir, NULL);
  g_autofree char *property = NULL;

  g_assert_cmpstr (eigml_emotion_annotator_get_jieba_dir (annotator), ==, canonical);
  g_object_get (annotator, "jieba-dir", &property, NULL);
  g_assert_cmpstr (property, ==, canonical);
  g_assert_true (eigml_emotion_annotator_load_jieba (annotator, &error));
  g_assert_no_error (error);
  /* 一二 is a word; 三三 goes through the HMM: S S */
  emotion_assert_segments (annotator, "一二三三四", TOKENS ("一二", "三", "三", "四"));

  /* $EIGML_JIEBA_DIR replaces the default, not a folder given */
  g_setenv ("EIGML_JIEBA_DIR", dir, TRUE);
  env_annotator = eigml_emotion_annotator_new_empty ();
  g_assert_cmpstr (eigml_emotion_annotator_get_jieba_dir (env_annotator), ==, canonical);
  g_clear_object (&env_annotator);
  env_annotator = eigml_emotion_annotator_new_for_jieba_dir (EIGML_JIEBA_DEBIAN_DIR);
  g_assert_cmpstr (eigml_emotion_annotator_get_jieba_dir (env_annotator), ==,
                   EIGML_JIEBA_DEBIAN_DIR);
  g_unsetenv ("EIGML_JIEBA_DIR");
  g_clear_object (&env_annotator);
  env_annotator = eigml_emotion_annotator_new_empty ();
  g_assert_cmpstr (eigml_emotion_annotator_get_jieba_dir (env_annotator), ==,
                   EIGML_JIEBA_DEBIAN_DIR);

  /* a missing folder is an error of the first use, every time */
  g_clear_object (&annotator);
  annotator = eigml_emotion_annotator_new_for_jieba_dir (missing);
  for (guint i = 0; i < 2; i++)
    {
      g_auto (GStrv) tokens = eigml_emotion_annotator_segment (annotator, "你好", &error);

      g_assert_null (tokens);
      g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
      g_assert_nonnull (strstr (error->message, "python3-jieba"));
      g_assert_nonnull (strstr (error->message, "EIGML_JIEBA_DIR"));
      g_clear_error (&error);
    }

  assert_jieba_error ("一二 3\n二 x\n", emotion_small_emit, EIGML_ERROR, EIGML_ERROR_FORMAT,
                      "dict.txt:2: the frequency of '二' is 'x'");
  assert_jieba_error ("一二 3\n\n", emotion_small_emit, EIGML_ERROR, EIGML_ERROR_FORMAT,
                      "dict.txt:2: expected 'word frequency [tag]'");
  assert_jieba_error ("一二 3\n\xe4\xb8 3\n", emotion_small_emit, EIGML_ERROR, EIGML_ERROR_FORMAT,
                      "dict.txt:2: the line is not valid UTF-8");
  assert_jieba_error ("一二 0\n", emotion_small_emit, EIGML_ERROR, EIGML_ERROR_FORMAT,
                      "no word with a frequency above 0");
  assert_jieba_error ("一二 3\n", "P={'B': {}, 'E': {},\n 'M': {}, 'S': {'\\u4e00': -1.0 -2}}\n",
                      EIGML_ERROR, EIGML_ERROR_FORMAT,
                      "prob_emit.py:2:32: expected ',' or '}' in the dict");
  assert_jieba_error ("一二 3\n", "P={'B': {}, 'E': {}, 'M': {}}\n", EIGML_ERROR,
                      EIGML_ERROR_FORMAT,
                      "prob_emit.py: expected an entry for each of the states");
  assert_jieba_error ("一二 3\n", "P={'B': {}, 'E': {}, 'M': {}, 'S': {'ab': 1.0}}\n", EIGML_ERROR,
                      EIGML_ERROR_FORMAT, "state S: expected one character mapped to a number");
  assert_jieba_error ("一二 3\n", "P={'B': {}, 'E': {}, 'M': {}, 'X': {}}\n", EIGML_ERROR,
                      EIGML_ERROR_FORMAT, "'X' is not a state");
  assert_jieba_error ("一二 3\n", "Q = {}\n", EIGML_ERROR, EIGML_ERROR_FORMAT,
                      "prob_emit.py:1:1: expected 'P = {...}'");
}

typedef struct
{
  const char *text;
  const char *message;          /* NULL: valid */
} PyCase;

static void
test_python_literals (void)
{
  static const PyCase cases[] = {
    { "P = {}", NULL },
    { "# c\nfrom __future__ import unicode_literals\nimport os\n\nP={'a':1,}\n", NULL },
    { "P={'\\u4e00': -3.14e+100, \"\\U0001F600\": +.5, u'\\x41\\101\\n': 1e-3,\n"
      "   'a' \"b\": {'c': - 2.0}, r'\\d': 0}  # end\n;", NULL },
    { "P = {'a': 1", "x.py:1:12: expected ',' or '}' in the dict" },
    { "P = {'a: 1}", "x.py:1:6: the string is not closed on its line" },
    { "P = {'a': 0x10}", "x.py:1:11: expected a decimal number" },
    { "P = {'a': 1_0}", "x.py:1:11: expected a decimal number" },
    { "P = {'a': [1]}", "x.py:1:11: expected a number or a dict" },
    { "P = {1: 1}", "x.py:1:6: expected a string key or '}'" },
    { "P = {b'a': 1}", "x.py:1:6: bytes literals are not supported here" },
    { "P = {'''a''': 1}", "x.py:1:6: triple-quoted strings are not supported here" },
    { "P = {'\\ud800': 1}", "x.py:1:7: the escape gives U+D800" },
    { "P = {'\\u4e0': 1}", "x.py:1:7: a \\u escape needs 4 hexadecimal digits" },
    { "P = {'\\0': 1}", "x.py:1:7: the escape gives U+0000" },
    { "P = {'a': 1} P", "x.py:1:14: expected the end of the file after the dict" },
    { "P = 1", "x.py:1:5: expected a dict after 'P ='" },
    { "\n\n  x = {}", "x.py:3:3: expected 'P = {...}'" },
    { "P = {'a': 1.2.3}", "x.py:1:11: expected a number, got '1.2.3'" },
    { "P = {'a': \xff}", "x.py:1:11: not valid UTF-8" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GVariant) v = eigml_jieba_parse_python_dict ("x.py", cases[i].text,
                                                              strlen (cases[i].text), &error);

      if (cases[i].message == NULL)
        {
          g_assert_no_error (error);
          g_assert_nonnull (v);
          continue;
        }
      g_assert_null (v);
      g_assert_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, cases[i].message));
    }

  /* values */
  {
    const char *text = cases[2].text;
    g_autoptr (GError) error = NULL;
    g_autoptr (GVariant) v = eigml_jieba_parse_python_dict ("x.py", text, strlen (text), &error);
    g_autoptr (GVariant) inner = NULL;
    GVariantDict dict;
    double d;

    g_assert_no_error (error);
    g_variant_dict_init (&dict, v);
    g_assert_true (g_variant_dict_lookup (&dict, "一", "d", &d));
    g_assert_cmpfloat (d, ==, -3.14e100);
    g_assert_true (g_variant_dict_lookup (&dict, "\xf0\x9f\x98\x80", "d", &d));
    g_assert_cmpfloat (d, ==, 0.5);
    g_assert_true (g_variant_dict_lookup (&dict, "AA\n", "d", &d));
    g_assert_cmpfloat (d, ==, 1e-3);
    g_assert_true (g_variant_dict_lookup (&dict, "\\d", "d", &d));
    g_assert_cmpfloat (d, ==, 0.0);
    inner = g_variant_dict_lookup_value (&dict, "ab", G_VARIANT_TYPE_VARDICT);
    g_assert_nonnull (inner);
    g_assert_true (g_variant_lookup (inner, "c", "d", &d));
    g_assert_cmpfloat (d, ==, -2.0);
    g_variant_dict_clear (&dict);
  }
}

/* Loads Debian's data afresh and reports the time; a megabyte of chat
 * text is segmented and its speed reported */
static void
test_jieba_load_time (void)
{
  g_autofree char *dict_path = g_build_filename (EIGML_JIEBA_DEBIAN_DIR, "dict.txt", NULL);
  g_autofree char *finalseg = g_build_filename (EIGML_JIEBA_DEBIAN_DIR, "finalseg", NULL);
  g_autoptr (EigmlJiebaDict) dict = NULL;
  g_autoptr (EigmlJiebaHmm) hmm = NULL;
  g_autoptr (EigmlJieba) jieba = NULL;
  g_autoptr (GArray) tokens = g_array_new (FALSE, FALSE, sizeof (EigmlJiebaToken));
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  gint64 t0, t1, t2, t3;
  guint64 freq = 0;

  t0 = g_get_monotonic_time ();
  dict = eigml_jieba_dict_load (dict_path, &error);
  g_assert_no_error (error);
  t1 = g_get_monotonic_time ();
  hmm = eigml_jieba_hmm_load (finalseg, &error);
  g_assert_no_error (error);
  t2 = g_get_monotonic_time ();
  g_test_message ("jieba data: dict.txt (%u entries, total %" G_GUINT64_FORMAT ") in %.3f s, "
                  "HMM tables in %.3f s", eigml_jieba_dict_get_n_entries (dict),
                  eigml_jieba_dict_get_total (dict), (t1 - t0) / 1e6, (t2 - t1) / 1e6);
  /* jieba 0.42.1: 349,046 lines summing to 60,101,967; a prefix maps to 0 */
  g_assert_cmpuint (eigml_jieba_dict_get_total (dict), ==, 60101967);
  g_assert_true (eigml_jieba_dict_lookup (dict, "清华大学", strlen ("清华大学"), &freq));
  g_assert_cmpuint (freq, >, 0);
  g_assert_true (eigml_jieba_dict_lookup (dict, "清华大", strlen ("清华大"), &freq));
  g_assert_cmpuint (freq, ==, 0);
  g_assert_false (eigml_jieba_dict_lookup (dict, "华清大学", strlen ("华清大学"), &freq));

  jieba = eigml_jieba_get (NULL, &error);
  g_assert_no_error (error);
  while (text->len < (1u << 20))
    g_string_append (text, "小明硕士毕业于中国科学院计算所，后在日本京都大学深造。"
                     "哈哈哈今天好开心啊😀 ok see you tomorrow 3.5%的利率\n");
  t2 = g_get_monotonic_time ();
  g_assert_true (eigml_jieba_cut (jieba, text->str, text->len, tokens, &error));
  t3 = g_get_monotonic_time ();
  g_test_message ("segmented %.2f MB into %u tokens in %.3f s (%.1f MB/s)", text->len / 1e6,
                  tokens->len, (t3 - t2) / 1e6, text->len / 1e6 / ((t3 - t2) / 1e6));
}

void
emotion_add_jieba_tests (void)
{
  g_test_add_func ("/emotion/jieba/load-time", test_jieba_load_time);
  g_test_add_func ("/emotion/jieba/segment-known", test_segment_known);
  g_test_add_func ("/emotion/jieba/data", test_jieba_data);
  g_test_add_func ("/emotion/jieba/python-literals", test_python_literals);
}
