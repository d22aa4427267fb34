/* test-tokenizer-dialogue.c: dialogue packing with exact ids, both
 * truncations, and `eigml vocab build` (part of test-tokenizer)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <eigml/eigml.h>
#include "data/tokenizer.h"

#include <glib/gstdio.h>
#include <string.h>

void test_tokenizer_add_dialogue_tests (void);

/* ids: [PAD] 0, [UNK] 1, [CLS] 2, [SEP] 3, [speaker1] 4, hello 5, world 6,
 * bob 7, : 8, 你 9, 好 10, un 11, ##aff 12, ##able 13, ! 14 */
static const char vocab_text[] =
  "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[speaker1]\nhello\nworld\nbob\n:\n你\n好\nun\n##aff\n##able\n!\n";

static const char *const turns[] = { "hello world", "你好", "unaffable!", NULL };
static const char *const speakers[] = { "[speaker1]", "Bob", "", NULL };

static EigmlTokenizer *
dialogue_tokenizer (char **dir_out)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("eigml-dialogue-XXXXXX", &error);
  g_autofree char *path = NULL;
  EigmlTokenizer *tok;

  g_assert_no_error (error);
  path = g_build_filename (dir, "vocab.txt", NULL);
  g_file_set_contents (path, vocab_text, -1, &error);
  g_assert_no_error (error);
  tok = eigml_tokenizer_new_from_file (path, &error);
  g_assert_no_error (error);
  g_unlink (path);
  if (dir_out)
    *dir_out = g_steal_pointer (&dir);
  else
    g_rmdir (dir);
  return tok;
}

static void
assert_packed (EigmlTokenizer *tok,
               const char *const *speaker_list,
               guint max_length,
               EigmlTruncation truncation,
               const gint32 *expected,
               guint n_expected)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlTensor) t = NULL;
  g_autofree gint32 *v = NULL;
  g_autofree gint32 *ids = g_new (gint32, max_length);
  g_autofree gint32 *types = g_new (gint32, max_length);
  g_autofree gint32 *mask = g_new (gint32, max_length);
  gsize n = 0;

  t = eigml_tokenizer_encode_dialogue (tok, turns, speaker_list, max_length, truncation, &error);
  g_assert_no_error (error);
  g_assert_cmpint (eigml_tensor_get_dtype (t), ==, EIGML_DTYPE_I32);
  g_assert_cmpint (eigml_tensor_get_dim (t, 0), ==, 3);
  g_assert_cmpint (eigml_tensor_get_dim (t, 1), ==, max_length);
  v = eigml_tensor_dup_ints (t, &n, &error);
  g_assert_no_error (error);
  for (guint k = 0; k < max_length; k++)
    {
      g_assert_cmpint (v[k], ==, k < n_expected ? expected[k] : 0);
      g_assert_cmpint (v[max_length + k], ==, 0);
      g_assert_cmpint (v[2 * max_length + k], ==, k < n_expected ? 1 : 0);
    }

  /* the same into caller arrays */
  g_assert_true (eigml_tokenizer_encode_dialogue_into (tok, turns, speaker_list, max_length,
                                                       truncation, ids, types, mask, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (ids, max_length * sizeof (gint32), v, max_length * sizeof (gint32));
  g_assert_cmpmem (mask, max_length * sizeof (gint32), v + 2 * max_length,
                   max_length * sizeof (gint32));
}

#define PACK(spk, len, trunc, ...)                                                   \
  G_STMT_START {                                                                     \
    static const gint32 e_[] = { __VA_ARGS__ };                                      \
    assert_packed (tok, spk, len, EIGML_TRUNCATION_##trunc, e_, G_N_ELEMENTS (e_));  \
  } G_STMT_END

static void
test_dialogue_layout (void)
{
  g_autoptr (EigmlTokenizer) tok = dialogue_tokenizer (NULL);

  /* everything fits: [CLS] [speaker1] hello world [SEP] bob : 你 好 [SEP]
   * un ##aff ##able ! [SEP], then padding */
  PACK (speakers, 20, KEEP_RECENT, 2, 4, 5, 6, 3, 7, 8, 9, 10, 3, 11, 12, 13, 14, 3);
  PACK (speakers, 15, KEEP_BEGINNING, 2, 4, 5, 6, 3, 7, 8, 9, 10, 3, 11, 12, 13, 14, 3);
  PACK (speakers, 15, NONE, 2, 4, 5, 6, 3, 7, 8, 9, 10, 3, 11, 12, 13, 14, 3);
  /* no speakers */
  PACK (NULL, 16, KEEP_RECENT, 2, 5, 6, 3, 9, 10, 3, 11, 12, 13, 14, 3);
}

static void
test_dialogue_keep_recent (void)
{
  g_autoptr (EigmlTokenizer) tok = dialogue_tokenizer (NULL);

  /* the oldest turn goes whole; turn 1 keeps its speaker and its last id */
  PACK (speakers, 10, KEEP_RECENT, 2, 7, 8, 10, 3, 11, 12, 13, 14, 3);
  /* two slots left for turn 1: no room for its speaker, its last id stays */
  PACK (speakers, 8, KEEP_RECENT, 2, 10, 3, 11, 12, 13, 14, 3);
  /* exactly the last turn */
  PACK (speakers, 6, KEEP_RECENT, 2, 11, 12, 13, 14, 3);
  /* one slot left over: not enough for an id and a [SEP], so padding */
  PACK (speakers, 7, KEEP_RECENT, 2, 11, 12, 13, 14, 3);
  /* the last turn itself is cut from its start */
  PACK (speakers, 4, KEEP_RECENT, 2, 13, 14, 3);
  /* no room for any turn */
  PACK (speakers, 2, KEEP_RECENT, 2);
}

static void
test_dialogue_keep_beginning (void)
{
  g_autoptr (EigmlTokenizer) tok = dialogue_tokenizer (NULL);

  PACK (speakers, 10, KEEP_BEGINNING, 2, 4, 5, 6, 3, 7, 8, 9, 10, 3);
  /* turn 1 cut at its end, without its speaker (no room) */
  PACK (speakers, 8, KEEP_BEGINNING, 2, 4, 5, 6, 3, 9, 10, 3);
  PACK (speakers, 9, KEEP_BEGINNING, 2, 4, 5, 6, 3, 7, 8, 9, 3);
  PACK (speakers, 3, KEEP_BEGINNING, 2, 5, 3);
  PACK (NULL, 6, KEEP_BEGINNING, 2, 5, 6, 3, 9, 3);
}

static void
test_dialogue_errors (void)
{
  g_autoptr (EigmlTokenizer) tok = dialogue_tokenizer (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlTensor) t = NULL;
  static const char *const two[] = { "a", "b", NULL };
  static const char *const bad[] = { "hello", "bad \xff", NULL };
  static const char *const none[] = { NULL };

  t = eigml_tokenizer_encode_dialogue (tok, turns, two, 8, EIGML_TRUNCATION_KEEP_RECENT, &error);
  g_assert_null (t);
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "got 2 speakers for 3 turns"));
  g_clear_error (&error);

  t = eigml_tokenizer_encode_dialogue (tok, turns, NULL, 1, EIGML_TRUNCATION_KEEP_RECENT, &error);
  g_assert_null (t);
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_OUT_OF_RANGE);
  g_clear_error (&error);
  t = eigml_tokenizer_encode_dialogue (tok, turns, NULL, 1u << 30, EIGML_TRUNCATION_KEEP_RECENT,
                                       &error);
  g_assert_null (t);
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_OUT_OF_RANGE);
  g_clear_error (&error);
  t = eigml_tokenizer_encode_dialogue (tok, turns, speakers, 14, EIGML_TRUNCATION_NONE, &error);
  g_assert_null (t);
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_OUT_OF_RANGE);
  g_assert_nonnull (strstr (error->message, "3 turns need 15 ids"));
  g_clear_error (&error);
  t = eigml_tokenizer_encode_dialogue (tok, turns, NULL, 8, (EigmlTruncation) 7, &error);
  g_assert_null (t);
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  t = eigml_tokenizer_encode_dialogue (tok, bad, NULL, 8, EIGML_TRUNCATION_KEEP_RECENT, &error);
  g_assert_null (t);
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "turn 1"));
  g_clear_error (&error);

  /* no turns; 0 means the max-length property */
  eigml_tokenizer_set_max_length (tok, 5);
  t = eigml_tokenizer_encode_dialogue (tok, none, NULL, 0, EIGML_TRUNCATION_KEEP_RECENT, &error);
  g_assert_no_error (error);
  g_assert_cmpint (eigml_tensor_get_dim (t, 1), ==, 5);
}

static void
test_dialogue_needs_specials (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("eigml-dialogue-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "vocab.txt", NULL);
  g_autoptr (EigmlTokenizer) tok = NULL;
  g_autoptr (EigmlTensor) t = NULL;

  g_file_set_contents (path, "[UNK]\n[CLS]\n[SEP]\nhello\n", -1, &error);
  g_assert_no_error (error);
  tok = eigml_tokenizer_new_from_file (path, &error);
  g_assert_no_error (error);
  t = eigml_tokenizer_encode_dialogue (tok, turns, NULL, 8, EIGML_TRUNCATION_KEEP_RECENT, &error);
  g_assert_null (t);
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "'[PAD]'"));
  g_unlink (path);
  g_rmdir (dir);
}

/* eigml vocab build, through the eigml binary (EIGML_TOOL, set by meson) */

static const char corpus_text[] =
  "Hello hello HELLO world, playing played player!\n"
  "hello 你好，世界！ playing games 😀😀\n"
  "player plays play playing replay\n"
  "Café café naïve 中文 中文 中文\n"
  "unique\n";

static int
run_tool (const char *const *argv,
          char **err)
{
  g_autoptr (GError) error = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, err,
                &status, &error);
  g_assert_no_error (error);
  return g_spawn_check_wait_status (status, NULL) ? 0 : 1;
}

static void
test_vocab_build (void)
{
  const char *tool = g_getenv ("EIGML_TOOL");
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *corpus = NULL;
  g_autofree char *bad = NULL;
  g_autofree char *out1 = NULL;
  g_autofree char *out2 = NULL;
  g_autofree char *text1 = NULL;
  g_autofree char *text2 = NULL;
  g_autofree char *err = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (EigmlTokenizer) tok = NULL;
  g_auto (GStrv) pieces = NULL;
  g_autofree char *joined = NULL;

  if (tool == NULL)
    {
      g_test_fail_printf ("EIGML_TOOL is not set: run this test through meson");
      return;
    }
  dir = g_dir_make_tmp ("eigml-vocab-build-XXXXXX", &error);
  g_assert_no_error (error);
  corpus = g_build_filename (dir, "corpus.txt", NULL);
  bad = g_build_filename (dir, "bad.txt", NULL);
  out1 = g_build_filename (dir, "vocab1.txt", NULL);
  out2 = g_build_filename (dir, "vocab2.txt", NULL);
  g_file_set_contents (corpus, corpus_text, -1, &error);
  g_assert_no_error (error);
  g_file_set_contents (bad, "fine\nnot \xc3\x28 fine\n", -1, &error);
  g_assert_no_error (error);

  g_assert_cmpint (run_tool ((const char *const[]) { tool, "vocab", "build", "--corpus", corpus,
                                                     "--size", "100", "--min-count", "2",
                                                     "--special", "[speaker1]", "--output", out1,
                                                     NULL }, NULL), ==, 0);
  g_assert_cmpint (run_tool ((const char *const[]) { tool, "vocab", "build", "--corpus", corpus,
                                                     "--size", "100", "--min-count", "2",
                                                     "--special", "[speaker1]", "--output", out2,
                                                     NULL }, NULL), ==, 0);
  g_file_get_contents (out1, &text1, NULL, &error);
  g_assert_no_error (error);
  g_file_get_contents (out2, &text2, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text1, ==, text2);

  lines = g_strsplit (text1, "\n", -1);
  g_assert_cmpstr (lines[0], ==, "[PAD]");
  g_assert_cmpstr (lines[1], ==, "[UNK]");
  g_assert_cmpstr (lines[2], ==, "[CLS]");
  g_assert_cmpstr (lines[3], ==, "[SEP]");
  g_assert_cmpstr (lines[4], ==, "[MASK]");
  g_assert_cmpstr (lines[5], ==, "[speaker1]");
  g_assert_cmpuint (g_strv_length (lines), <=, 101);
  /* every CJK character and punctuation mark, even seen once; the most
   * frequent character ("l") alone and as a continuation; frequent pieces */
  for (const char *const *want = (const char *const[]) { "你", "好", "世", "界", "中", "文", "，", "！",
                                                          ",", "!", "l", "##l", "hello", "play",
                                                          "playing", "##ing", NULL };
       *want; want++)
    if (!g_strv_contains ((const char *const *) lines, *want))
      g_test_fail_printf ("built vocabulary lacks '%s'", *want);
  /* uncased by default: no upper case, accents stripped; seen once only */
  g_assert_false (g_strv_contains ((const char *const *) lines, "Hello"));
  g_assert_false (g_strv_contains ((const char *const *) lines, "unique"));

  tok = eigml_tokenizer_new_from_file (out1, &error);
  g_assert_no_error (error);
  g_assert_true (eigml_tokenizer_get_do_lower_case (tok));
  pieces = eigml_tokenizer_tokenize (tok, "HELLO 世界, playing Café!", &error);
  g_assert_no_error (error);
  joined = g_strjoinv (" ", pieces);
  g_assert_cmpstr (joined, ==, "hello 世 界 , playing cafe !");

  /* bad corpus: the file and line are named */
  g_assert_cmpint (run_tool ((const char *const[]) { tool, "vocab", "build", "--corpus", bad,
                                                     "--output", out2, NULL }, &err), ==, 1);
  g_assert_nonnull (strstr (err, "bad.txt:2: not valid UTF-8"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_tool ((const char *const[]) { tool, "vocab", "build", "--corpus", out2,
                                                     "--size", "0", "--output", out2, NULL }, &err),
                   ==, 1);

  g_unlink (corpus);
  g_unlink (bad);
  g_unlink (out1);
  g_unlink (out2);
  g_rmdir (dir);
}

void
test_tokenizer_add_dialogue_tests (void)
{
  g_test_add_func ("/tokenizer/dialogue/layout", test_dialogue_layout);
  g_test_add_func ("/tokenizer/dialogue/keep-recent", test_dialogue_keep_recent);
  g_test_add_func ("/tokenizer/dialogue/keep-beginning", test_dialogue_keep_beginning);
  g_test_add_func ("/tokenizer/dialogue/errors", test_dialogue_errors);
  g_test_add_func ("/tokenizer/dialogue/needs-specials", test_dialogue_needs_specials);
  g_test_add_func ("/tokenizer/vocab-build", test_vocab_build);
}
