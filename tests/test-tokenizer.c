/* test-tokenizer.c: EigmlTokenizer on hand-made cases with exact expected
 * pieces and ids, hostile vocabulary and configuration files, dialogue
 * packing, and `eigml vocab build`. The comparison with Hugging Face's
 * implementation on a large corpus is tests/reference/tokenizer-reference.mjs.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <eigml/eigml.h>
#include "data/tokenizer.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

/* A small uncased vocabulary: the id of a piece is its line */
static const char *const test_vocab[] = {
  "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",                   /* 0-4 */
  "[speaker1]", "hello", "world", ",", "!",                       /* 5-9 */
  "un", "##aff", "##able", "你", "好",                            /* 10-14 */
  "cafe", "##s", "a", "##a", "😀",                                /* 15-19 */
  "##😀", "?", ".", "'", "t",                                     /* 20-24 */
  "don", "play", "##ing", "i", "##\xcc\x87",                      /* 25-29: ##U+0307 */
  ":", "bob", "中", "文", "𠀀",                                   /* 30-34 */
  "\xe8\xb1\x88", "[", "]", "b", "##b",                          /* 35-39: U+8C48 */
  "。", "able", "x",                                              /* 40-42 */
};

typedef struct
{
  char *dir;
} Fixture;

static char *
write_file (const char *dir,
            const char *name,
            const char *contents,
            gssize len)
{
  g_autoptr (GError) error = NULL;
  char *path = g_build_filename (dir, name, NULL);

  g_file_set_contents (path, contents, len, &error);
  g_assert_no_error (error);
  return path;
}

static char *
write_vocab (const char *dir,
             const char *name,
             const char *const *pieces,
             guint n)
{
  g_autoptr (GString) text = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    g_string_append_printf (text, "%s\n", pieces[i]);
  return write_file (dir, name, text->str, text->len);
}

static void
fixture_setup (Fixture *f,
               gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("eigml-tokenizer-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
remove_tree (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        remove_tree (path);
      else
        g_unlink (path);
    }
  g_rmdir (dir);
}

static void
fixture_teardown (Fixture *f,
                  gconstpointer data)
{
  remove_tree (f->dir);
  g_free (f->dir);
}

static EigmlTokenizer *
load_test_vocab (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = write_vocab (f->dir, "vocab.txt", test_vocab, G_N_ELEMENTS (test_vocab));
  EigmlTokenizer *tok = eigml_tokenizer_new_from_file (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (tok);
  return tok;
}

/* "a b c" -> the pieces of text, compared as one string */
static void
assert_pieces (EigmlTokenizer *tok,
               const char *text,
               gssize len,
               const char *expected)
{
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) pieces = NULL;
  g_autofree char *joined = NULL;

  pieces = eigml_tokenizer_tokenize_len (tok, text, len < 0 ? strlen (text) : (gsize) len, &error);
  g_assert_no_error (error);
  joined = g_strjoinv (" ", pieces);
  if (!g_str_equal (joined, expected))
    g_error ("tokenize (\"%s\"): got \"%s\", expected \"%s\"", text, joined, expected);
}

static void
assert_ids (EigmlTokenizer *tok,
            const char *text,
            gboolean special,
            const gint32 *expected,
            gsize n_expected)
{
  g_autoptr (GError) error = NULL;
  gsize n = 999;
  g_autofree gint32 *ids = eigml_tokenizer_encode (tok, text, special, &n, &error);

  g_assert_no_error (error);
  g_assert_nonnull (ids);
  g_assert_cmpmem (ids, n * sizeof (gint32), expected, n_expected * sizeof (gint32));
}

static void
test_basic (Fixture *f,
            gconstpointer data)
{
  g_autoptr (EigmlTokenizer) tok = load_test_vocab (f);
  static const gint32 hello[] = { 2, 6, 8, 7, 9, 3 };
  static const gint32 mixed[] = { 6, 13, 14, 7, 9 };

  g_assert_true (eigml_tokenizer_get_do_lower_case (tok));
  g_assert_cmpuint (eigml_tokenizer_get_vocab_size (tok), ==, G_N_ELEMENTS (test_vocab));
  g_assert_cmpint (eigml_tokenizer_token_to_id (tok, "##aff"), ==, 11);
  g_assert_cmpint (eigml_tokenizer_token_to_id (tok, "nope"), ==, -1);
  g_assert_cmpstr (eigml_tokenizer_id_to_token (tok, 19), ==, "😀");
  g_assert_null (eigml_tokenizer_id_to_token (tok, -1));
  g_assert_null (eigml_tokenizer_id_to_token (tok, G_N_ELEMENTS (test_vocab)));

  assert_ids (tok, "Hello, World!", TRUE, hello, G_N_ELEMENTS (hello));
  assert_ids (tok, "", FALSE, NULL, 0);
  assert_ids (tok, "hello你好World!", FALSE, mixed, G_N_ELEMENTS (mixed));
  assert_pieces (tok, "unaffable", -1, "un ##aff ##able");
  assert_pieces (tok, "UNAFFABLE playing", -1, "un ##aff ##able play ##ing");
  assert_pieces (tok, "你 好", -1, "你 好");
  assert_pieces (tok, "中文hello", -1, "中 文 hello");
  assert_pieces (tok, "", -1, "");
  assert_pieces (tok, "   \t\n  ", -1, "");
  /* greedy longest match fails at "##ff": the whole word is unknown */
  assert_pieces (tok, "unff", -1, "[UNK]");
}

static void
test_accents_and_case (Fixture *f,
                       gconstpointer data)
{
  g_autoptr (EigmlTokenizer) tok = load_test_vocab (f);

  assert_pieces (tok, "Café CAFÉS cafe\xcc\x81", -1, "cafe cafe ##s cafe");
  /* U+0130: NFD gives I + U+0307, the mark goes, then "i" */
  assert_pieces (tok, "\xc4\xb0", -1, "i");
  /* Roman numeral and circled letters lower-case as Rust's to_lowercase */
  assert_pieces (tok, "\xe2\x92\xb6", -1, "[UNK]");

  /* cased: nothing lower-cased, accents kept */
  eigml_tokenizer_set_do_lower_case (tok, FALSE);
  assert_pieces (tok, "Hello hello", -1, "[UNK] hello");
  assert_pieces (tok, "café", -1, "[UNK]");
  /* lower-cased without stripping accents: U+0130 becomes i + U+0307 */
  eigml_tokenizer_set_do_lower_case (tok, TRUE);
  assert_pieces (tok, "\xc4\xb0", -1, "i");
}

static void
test_lowercase_keep_accents (Fixture *f,
                             gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlTokenizer) tok = NULL;
  g_autofree char *vocab = write_vocab (f->dir, "vocab.txt", test_vocab, G_N_ELEMENTS (test_vocab));
  g_autofree char *config = write_file (f->dir, "tokenizer_config.json",
                                        "{\"do_lower_case\": true, \"strip_accents\": false}", -1);

  tok = eigml_tokenizer_new_from_folder (f->dir, &error);
  g_assert_no_error (error);
  g_assert_true (eigml_tokenizer_get_do_lower_case (tok));
  assert_pieces (tok, "\xc4\xb0", -1, "i ##\xcc\x87");
  assert_pieces (tok, "Café", -1, "[UNK]");
}

static void
test_cleaning (Fixture *f,
               gconstpointer data)
{
  g_autoptr (EigmlTokenizer) tok = load_test_vocab (f);
  static const char with_nul[] = "hel\0lo world";

  /* dropped: NUL, U+FFFD, controls (Cc), format characters (Cf: zero-width
   * space, soft hyphen, BOM, ZWJ), private use (Co) */
  assert_pieces (tok, with_nul, sizeof with_nul - 1, "hello world");
  assert_pieces (tok, "hel\x01lo hel\xef\xbf\xbdlo hel\xe2\x80\x8blo", -1, "hello hello hello");
  assert_pieces (tok, "hel\xc2\xadlo \xef\xbb\xbfhello hel\xe2\x80\x8dlo hel\xee\x80\x80lo", -1,
                 "hello hello hello hello");
  /* U+0085 is a control character: dropped, it joins its neighbours */
  assert_pieces (tok, "hello\xc2\x85world", -1, "[UNK]");
  /* whitespace: tab, NBSP, ideographic space, line separator, em space */
  assert_pieces (tok, "hello\tworld\xc2\xa0hello\xe3\x80\x80world\xe2\x80\xa8" "a\xe2\x80\x83" "a", -1,
                 "hello world hello world a a");
  /* unassigned code points are kept (and unknown here) */
  assert_pieces (tok, "a\xcd\xb8" "a", -1, "[UNK]");
}

static void
test_punctuation (Fixture *f,
                  gconstpointer data)
{
  g_autoptr (EigmlTokenizer) tok = load_test_vocab (f);

  assert_pieces (tok, "hello,world!!", -1, "hello , world ! !");
  assert_pieces (tok, "don't", -1, "don ' t");
  /* ASCII symbols count as punctuation; Unicode P* categories too */
  assert_pieces (tok, "a$a", -1, "a [UNK] a");
  assert_pieces (tok, "hello。world", -1, "hello 。 world");
  assert_pieces (tok, "hello\xe2\x80\x94world", -1, "hello [UNK] world");
  /* a symbol outside ASCII (So) is not punctuation */
  assert_pieces (tok, "a\xc2\xa9" "a", -1, "[UNK]");
}

static void
test_chinese_and_emoji (Fixture *f,
                        gconstpointer data)
{
  g_autoptr (EigmlTokenizer) tok = load_test_vocab (f);

  /* Extension B and compatibility ideographs are split one per token; NFD
   * (uncased) maps compatibility ideograph U+F900 to U+8C48 */
  assert_pieces (tok, "a𠀀b\xef\xa4\x80", -1, "a 𠀀 b \xe8\xb1\x88");
  /* U+2B820: Python's ranges include it, the Rust library's do not */
  assert_pieces (tok, "a\xf0\xab\xa0\xa0", -1, "[UNK]");
  /* Hiragana is not split (a word of its own, unknown here) */
  assert_pieces (tok, "你こん好", -1, "你 [UNK] 好");
  assert_pieces (tok, "😀😀 😀", -1, "😀 ##😀 😀");
  /* ZWJ (Cf) vanishes, variation selector 16 (Mn) is stripped */
  assert_pieces (tok, "😀\xe2\x80\x8d😀\xef\xb8\x8f", -1, "😀 ##😀");

  /* cased: no NFD, so U+F900 stays itself, and U+FE0F stays */
  eigml_tokenizer_set_do_lower_case (tok, FALSE);
  assert_pieces (tok, "\xef\xa4\x80", -1, "[UNK]");
  assert_pieces (tok, "😀\xef\xb8\x8f", -1, "[UNK]");
}

static void
test_long_words (Fixture *f,
                 gconstpointer data)
{
  g_autoptr (EigmlTokenizer) tok = load_test_vocab (f);
  g_autofree char *a100 = g_strnfill (100, 'a');
  g_autofree char *a101 = g_strnfill (101, 'a');
  g_autoptr (GString) expected = g_string_new ("a");
  g_autoptr (GString) long_accents = g_string_new (NULL);

  for (guint i = 1; i < 100; i++)
    g_string_append (expected, " ##a");
  assert_pieces (tok, a100, -1, expected->str);
  assert_pieces (tok, a101, -1, "[UNK]");
  /* the limit counts characters after normalisation: 101 accented letters
   * are 101 characters once the accents go */
  for (guint i = 0; i < 101; i++)
    g_string_append (long_accents, "\xc3\xa1");
  assert_pieces (tok, long_accents->str, -1, "[UNK]");
  g_string_truncate (long_accents, 200);
  assert_pieces (tok, long_accents->str, -1, expected->str);
}

static void
test_special_tokens (Fixture *f,
                     gconstpointer data)
{
  g_autoptr (EigmlTokenizer) tok = load_test_vocab (f);
  static const gint32 ids[] = { 2, 6, 3, 4, 38, 1 };

  assert_pieces (tok, "[CLS]hello[SEP]", -1, "[CLS] hello [SEP]");
  assert_ids (tok, "[CLS]Hello [SEP][MASK]b[UNK]", FALSE, ids, G_N_ELEMENTS (ids));
  /* found in the raw text only as written, so never lower-cased */
  assert_pieces (tok, "[cls]", -1, "[ [UNK] ]");
  assert_pieces (tok, "un[MASK]able", -1, "un [MASK] able");
  assert_pieces (tok, "[[MASK]]", -1, "[ [MASK] ]");
  assert_pieces (tok, "[MASK", -1, "[ [UNK]");
  /* [speaker1] is a piece, not a special token: it is split */
  assert_pieces (tok, "[speaker1]", -1, "[ [UNK] ]");
}

static void
test_invalid_utf8 (Fixture *f,
                   gconstpointer data)
{
  g_autoptr (EigmlTokenizer) tok = load_test_vocab (f);
  static const char *const bad[] = { "hello\xff", "\xc3", "ok \xed\xa0\x80 surrogate", "\xf4\x90\x80\x80" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      gsize n = 7;
      g_autofree gint32 *ids = eigml_tokenizer_encode (tok, bad[i], TRUE, &n, &error);
      g_auto (GStrv) pieces = NULL;

      g_assert_null (ids);
      g_assert_cmpuint (n, ==, 0);
      g_assert_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT);
      g_assert_nonnull (strstr (error->message, "not valid UTF-8"));
      g_assert_nonnull (strstr (error->message, "offset"));
      g_clear_error (&error);
      pieces = eigml_tokenizer_tokenize (tok, bad[i], &error);
      g_assert_null (pieces);
      g_assert_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT);
    }
}

static void
assert_vocab_error (const char *path,
                    GQuark domain,
                    int code,
                    const char *fragment)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlTokenizer) tok = eigml_tokenizer_new_from_file (path, &error);

  g_assert_null (tok);
  g_assert_error (error, domain, code);
  if (strstr (error->message, fragment) == NULL)
    g_error ("error \"%s\" lacks \"%s\"", error->message, fragment);
  if (domain == EIGML_ERROR && strstr (error->message, path) == NULL)
    g_error ("error \"%s\" does not name %s", error->message, path);
}

static void
test_vocab_files (Fixture *f,
                  gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlTokenizer) tok = NULL;
  g_autofree char *missing = g_build_filename (f->dir, "missing.txt", NULL);
  g_autofree char *empty = write_file (f->dir, "empty.txt", "", 0);
  g_autofree char *no_unk = write_file (f->dir, "no-unk.txt", "[CLS]\nhello\n", -1);
  g_autofree char *bad_utf8 = write_file (f->dir, "bad.txt", "[UNK]\nok\nb\xffu\n", -1);
  g_autofree char *nul = write_file (f->dir, "nul.txt", "[UNK]\nx\0y\n", 10);
  g_autofree char *dups = write_file (f->dir, "dups.txt", "[UNK]\nx\r\ny\nx\n\nz", -1);
  g_autofree char *only_unk = write_file (f->dir, "only-unk.txt", "[UNK]", -1);

  assert_vocab_error (missing, G_FILE_ERROR, G_FILE_ERROR_NOENT, "missing.txt");
  assert_vocab_error (empty, EIGML_ERROR, EIGML_ERROR_FORMAT, "empty");
  assert_vocab_error (no_unk, EIGML_ERROR, EIGML_ERROR_FORMAT, "'[UNK]'");
  assert_vocab_error (bad_utf8, EIGML_ERROR, EIGML_ERROR_FORMAT, ":3: piece is not valid UTF-8");
  assert_vocab_error (nul, EIGML_ERROR, EIGML_ERROR_FORMAT, ":2: piece holds a NUL byte");

  /* a duplicated piece takes its last line's id, every line keeps its piece;
   * "\r\n" endings, an empty line, a last line without "\n" */
  tok = eigml_tokenizer_new_from_file (dups, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (eigml_tokenizer_get_vocab_size (tok), ==, 6);
  g_assert_cmpint (eigml_tokenizer_token_to_id (tok, "x"), ==, 3);
  g_assert_cmpstr (eigml_tokenizer_id_to_token (tok, 1), ==, "x");
  g_assert_cmpstr (eigml_tokenizer_id_to_token (tok, 4), ==, "");
  g_assert_cmpint (eigml_tokenizer_token_to_id (tok, "z"), ==, 5);
  g_assert_cmpint (eigml_tokenizer_token_to_id (tok, "x\r"), ==, -1);
  g_clear_object (&tok);

  /* huge files are refused before anything is read or allocated: a sparse
   * file costs no disk */
  {
    g_autofree char *huge = g_build_filename (f->dir, "huge.txt", NULL);
    g_autoptr (EigmlVocab) vocab = NULL;
    int fd = g_open (huge, O_CREAT | O_WRONLY, 0644);

    g_assert_cmpint (fd, >=, 0);
    g_assert_cmpint (ftruncate (fd, (off_t) EIGML_VOCAB_MAX_FILE_SIZE + 1), ==, 0);
    close (fd);
    assert_vocab_error (huge, EIGML_ERROR, EIGML_ERROR_FORMAT, "at most");
    vocab = eigml_vocab_new_from_data ("x", G_MAXSIZE, "lying length", &error);
    g_assert_null (vocab);
    g_assert_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT);
    g_clear_error (&error);
    g_unlink (huge);
  }

  /* a vocabulary of [UNK] alone works: everything is unknown */
  tok = eigml_tokenizer_new_from_file (only_unk, &error);
  g_assert_no_error (error);
  assert_pieces (tok, "Hello, you", -1, "[UNK] [UNK] [UNK]");
  {
    gsize n = 0;
    g_autofree gint32 *ids = eigml_tokenizer_encode (tok, "x", TRUE, &n, &error);

    g_assert_null (ids);
    g_assert_error (error, EIGML_ERROR, EIGML_ERROR_UNSUPPORTED);
    g_assert_nonnull (strstr (error->message, "[CLS]"));
  }
}

static void
test_case_detection (Fixture *f,
                     gconstpointer data)
{
  static const char *const cased[] = { "[UNK]", "[CLS]", "hello", "Hello" };
  static const char *const uncased[] = { "[UNK]", "[CLS]", "<S>", "[unused1]", "hello", "你", "##ß" };
  g_autoptr (GError) error = NULL;
  g_autofree char *cased_path = write_vocab (f->dir, "cased.txt", cased, G_N_ELEMENTS (cased));
  g_autofree char *uncased_path = write_vocab (f->dir, "uncased.txt", uncased, G_N_ELEMENTS (uncased));
  g_autoptr (EigmlTokenizer) a = eigml_tokenizer_new_from_file (cased_path, &error);
  g_autoptr (EigmlTokenizer) b = eigml_tokenizer_new_from_file (uncased_path, &error);

  g_assert_no_error (error);
  g_assert_false (eigml_tokenizer_get_do_lower_case (a));
  g_assert_true (eigml_tokenizer_get_do_lower_case (b));
}

static void
test_folder (Fixture *f,
             gconstpointer data)
{
  static const char *const pieces[] = { "<unk>", "[CLS]", "[SEP]", "<pad>", "Hello", "你好",
                                        "你", "好", "<extra>", "##好", "[UNK]" };
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlTokenizer) tok = NULL;
  g_autofree char *vocab = write_vocab (f->dir, "vocab.txt", pieces, G_N_ELEMENTS (pieces));
  g_autofree char *config = write_file (f->dir, "tokenizer_config.json",
    "{\"do_lower_case\": true, \"tokenize_chinese_chars\": false, \"model_max_length\": 128,"
    " \"unk_token\": {\"__type\": \"AddedToken\", \"content\": \"<unk>\"},"
    " \"additional_special_tokens\": [\"<extra>\"], \"pad_token\": \"[PAD]\"}", -1);
  g_autofree char *map = write_file (f->dir, "special_tokens_map.json",
                                     "{\"pad_token\": \"<pad>\"}", -1);
  g_auto (GStrv) words = NULL;

  tok = eigml_tokenizer_new_from_folder (f->dir, &error);
  g_assert_no_error (error);
  g_assert_true (eigml_tokenizer_get_do_lower_case (tok));
  g_assert_cmpuint (eigml_tokenizer_get_max_length (tok), ==, 128);
  /* Chinese characters not split: "你好" is one word; the unknown token is
   * <unk>; <extra> is never split; [UNK] is an ordinary piece here */
  assert_pieces (tok, "你好 好好 Hello <extra>x[UNK]", -1, "你好 好 ##好 <unk> <extra> <unk> <unk> <unk> <unk>");
  words = eigml_tokenizer_pre_tokenize_len (tok, "好好 <extra>!", strlen ("好好 <extra>!"), &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (words, ((const char *const[]) { "好好", "<extra>", "!", NULL }));
  {
    g_autoptr (EigmlTensor) t = eigml_tokenizer_encode_dialogue (tok, (const char *const[]) { "好", NULL },
                                                                 NULL, 4, EIGML_TRUNCATION_KEEP_RECENT,
                                                                 &error);
    g_autofree gint32 *v = NULL;
    static const gint32 expected[] = { 1, 7, 2, 3, 0, 0, 0, 0, 1, 1, 1, 0 };

    g_assert_no_error (error);
    gsize n_v = 0;

    v = eigml_tensor_dup_ints (t, &n_v, &error);
    g_assert_cmpmem (v, sizeof expected, expected, sizeof expected);
  }
}

static void
assert_folder_error (Fixture *f,
                     const char *config,
                     const char *fragment,
                     const char *file)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlTokenizer) tok = NULL;
  g_autofree char *path = write_file (f->dir, "tokenizer_config.json", config, -1);

  tok = eigml_tokenizer_new_from_folder (f->dir, &error);
  g_assert_null (tok);
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT);
  if (strstr (error->message, fragment) == NULL || strstr (error->message, file) == NULL)
    g_error ("error \"%s\" lacks \"%s\" or \"%s\"", error->message, fragment, file);
}

static void
test_folder_errors (Fixture *f,
                    gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlTokenizer) tok = NULL;
  g_autofree char *nowhere = g_build_filename (f->dir, "nowhere", NULL);
  g_autofree char *vocab = NULL;

  tok = eigml_tokenizer_new_from_folder (nowhere, &error);
  g_assert_null (tok);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR);
  g_clear_error (&error);
  tok = eigml_tokenizer_new_from_folder (f->dir, &error);
  g_assert_null (tok);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_assert_nonnull (strstr (error->message, "vocab.txt"));
  g_clear_error (&error);

  vocab = write_vocab (f->dir, "vocab.txt", test_vocab, G_N_ELEMENTS (test_vocab));
  assert_folder_error (f, "{\"do_lower_case\": \"yes\"}",
                       "field 'do_lower_case': expected true or false, got a string", "tokenizer_config.json");
  assert_folder_error (f, "{\"strip_accents\": 1}",
                       "field 'strip_accents': expected true or false or null, got an integer", "tokenizer_config.json");
  assert_folder_error (f, "{\"model_max_length\": -3}",
                       "field 'model_max_length': expected a positive integer, got -3", "tokenizer_config.json");
  assert_folder_error (f, "{\"unk_token\": 7}", "field 'unk_token': expected a token string, got an integer", "tokenizer_config.json");
  assert_folder_error (f, "{\"unk_token\": {\"lstrip\": true}}", "without \"content\"", "tokenizer_config.json");
  assert_folder_error (f, "{\"additional_special_tokens\": [\"ok\", []]}",
                       "field 'additional_special_tokens[1]'", "tokenizer_config.json");
  assert_folder_error (f, "[1, 2]", "expected a JSON object, got an array", "tokenizer_config.json");
  assert_folder_error (f, "{\"do_lower_case\": tru", "not valid JSON", "tokenizer_config.json");
  assert_folder_error (f, "", "expected a JSON object, got nothing", "tokenizer_config.json");
  assert_folder_error (f, "{\"unk_token\": \"<missing>\"}", "'<missing>'", "vocab.txt");

  /* a huge configuration file is refused before it is parsed */
  {
    g_autofree char *path = g_build_filename (f->dir, "tokenizer_config.json", NULL);
    int fd = g_open (path, O_CREAT | O_WRONLY | O_TRUNC, 0644);

    g_assert_cmpint (fd, >=, 0);
    g_assert_cmpint (ftruncate (fd, (off_t) EIGML_TOKENIZER_CONFIG_MAX_FILE_SIZE + 1), ==, 0);
    close (fd);
    tok = eigml_tokenizer_new_from_folder (f->dir, &error);
    g_assert_null (tok);
    g_assert_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT);
    g_assert_nonnull (strstr (error->message, "at most"));
    g_clear_error (&error);
  }

  /* "no limit" as Hugging Face writes it */
  g_free (write_file (f->dir, "tokenizer_config.json",
                      "{\"model_max_length\": 1000000000000000019884624838656}", -1));
  tok = eigml_tokenizer_new_from_folder (f->dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (eigml_tokenizer_get_max_length (tok), ==, 512);
}

static void
test_decode (Fixture *f,
             gconstpointer data)
{
  g_autoptr (EigmlTokenizer) tok = load_test_vocab (f);
  static const gint32 ids[] = { 2, 6, 8, 7, 9, 10, 11, 12, 25, 23, 24, 22, 3, 0 };
  static const gint32 lead[] = { 11, 12, 21 };
  static const gint32 bad[] = { 6, 43 };
  g_autoptr (GError) error = NULL;
  g_autofree char *all = eigml_tokenizer_decode (tok, ids, G_N_ELEMENTS (ids), FALSE, &error);
  g_autofree char *text = eigml_tokenizer_decode (tok, ids, G_N_ELEMENTS (ids), TRUE, &error);
  g_autofree char *glued = eigml_tokenizer_decode (tok, lead, G_N_ELEMENTS (lead), TRUE, &error);
  g_autofree char *none = eigml_tokenizer_decode (tok, NULL, 0, TRUE, &error);
  g_autofree char *fail = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (all, ==, "[CLS] hello, world! unaffable don't. [SEP] [PAD]");
  g_assert_cmpstr (text, ==, "hello, world! unaffable don't.");
  /* a leading continuation keeps its "##", as in Hugging Face */
  g_assert_cmpstr (glued, ==, "##affable?");
  g_assert_cmpstr (none, ==, "");
  fail = eigml_tokenizer_decode (tok, bad, G_N_ELEMENTS (bad), FALSE, &error);
  g_assert_null (fail);
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_OUT_OF_RANGE);
  g_assert_nonnull (strstr (error->message, "id 43 at position 1"));
}

static void
count_notify (GObject *object,
              GParamSpec *pspec,
              gpointer data)
{
  (*(guint *) data)++;
}

static void
test_properties (Fixture *f,
                 gconstpointer data)
{
  g_autoptr (EigmlTokenizer) tok = load_test_vocab (f);
  g_autoptr (EigmlTokenizer) bare = g_object_new (EIGML_TYPE_TOKENIZER, NULL);
  g_autoptr (GError) error = NULL;
  guint notified = 0;
  gboolean lower = TRUE;
  guint max = 0;
  gsize n = 0;
  g_autofree gint32 *ids = NULL;

  g_signal_connect (tok, "notify", G_CALLBACK (count_notify), &notified);
  g_object_set (tok, "do-lower-case", FALSE, "max-length", 64, NULL);
  g_object_set (tok, "do-lower-case", FALSE, "max-length", 64, NULL);
  g_assert_cmpuint (notified, ==, 2);
  g_object_get (tok, "do-lower-case", &lower, "max-length", &max, NULL);
  g_assert_false (lower);
  g_assert_cmpuint (max, ==, 64);

  /* an object made without a vocabulary says so */
  ids = eigml_tokenizer_encode (bare, "x", FALSE, &n, &error);
  g_assert_null (ids);
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
  g_assert_cmpuint (eigml_tokenizer_get_vocab_size (bare), ==, 0);
  g_assert_cmpint (eigml_tokenizer_token_to_id (bare, "x"), ==, -1);
}

/* Random bytes, valid or not, and random vocabulary files never crash:
 * each gives a result or an error */
static void
test_hostile_input (Fixture *f,
                    gconstpointer data)
{
  g_autoptr (EigmlTokenizer) tok = load_test_vocab (f);
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  static const char *const atoms[] = { "a", "##", "[CLS]", "[", "你", "😀", "\xcc\x81", "\xc4\xb0",
                                       "\xe2\x80\x8d", " ", "\n", "\xff", "\xc3", "\0", "!", "A" };

  for (guint round = 0; round < 400; round++)
    {
      g_autoptr (GString) text = g_string_new (NULL);
      g_autoptr (GError) error = NULL;
      guint len = g_rand_int_range (rand, 0, 300);
      g_autofree gint32 *ids = NULL;
      g_autofree char *path = NULL;
      g_autoptr (EigmlTokenizer) other = NULL;
      gsize n = 0;

      for (guint i = 0; i < len; i++)
        {
          const char *atom = atoms[g_rand_int_range (rand, 0, G_N_ELEMENTS (atoms))];

          if (g_rand_boolean (rand))
            g_string_append_len (text, atom, MAX (1, strlen (atom)));
          else
            g_string_append_c (text, (char) g_rand_int_range (rand, 0, 256));
        }
      ids = eigml_tokenizer_encode_len (tok, text->str, text->len, TRUE, &n, &error);
      g_assert_true ((ids != NULL) == (error == NULL));
      if (ids != NULL)
        {
          g_assert_cmpuint (n, >=, 2);
          for (gsize i = 0; i < n; i++)
            g_assert_cmpint (ids[i], <, (gint32) G_N_ELEMENTS (test_vocab));
        }
      g_clear_error (&error);

      /* the same bytes as a vocabulary, with [UNK] on the first line */
      g_string_prepend (text, "[UNK]\n");
      path = write_file (f->dir, "random.txt", text->str, text->len);
      other = eigml_tokenizer_new_from_file (path, &error);
      g_assert_true ((other != NULL) == (error == NULL));
      if (error != NULL)
        g_assert_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT);
    }
}

/* One tokenizer, several threads: each gets the single-threaded ids */
typedef struct
{
  EigmlTokenizer *tok;
  const char *text;
  const gint32 *expected;
  gsize n_expected;
} ThreadJob;

static gpointer
encode_many (gpointer data)
{
  ThreadJob *job = data;

  for (guint i = 0; i < 200; i++)
    {
      gsize n = 0;
      g_autofree gint32 *ids = eigml_tokenizer_encode (job->tok, job->text, TRUE, &n, NULL);

      if (ids == NULL || n != job->n_expected ||
          memcmp (ids, job->expected, n * sizeof (gint32)) != 0)
        return GINT_TO_POINTER (1);
    }
  return NULL;
}

static void
test_threads (Fixture *f,
              gconstpointer data)
{
  g_autoptr (EigmlTokenizer) tok = load_test_vocab (f);
  const char *text = "Hello, World! 你好 unaffable CAFÉS 😀😀 [MASK] don't";
  g_autoptr (GError) error = NULL;
  gsize n = 0;
  g_autofree gint32 *expected = eigml_tokenizer_encode (tok, text, TRUE, &n, &error);
  ThreadJob job = { tok, text, expected, n };
  GThread *threads[4];

  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 19);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("encode", encode_many, &job);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_assert_null (g_thread_join (threads[i]));
}

void test_tokenizer_add_dialogue_tests (void);

int
main (int argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) g_test_add ("/tokenizer/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("basic", test_basic);
  ADD ("accents-and-case", test_accents_and_case);
  ADD ("lowercase-keep-accents", test_lowercase_keep_accents);
  ADD ("cleaning", test_cleaning);
  ADD ("punctuation", test_punctuation);
  ADD ("chinese-and-emoji", test_chinese_and_emoji);
  ADD ("long-words", test_long_words);
  ADD ("special-tokens", test_special_tokens);
  ADD ("invalid-utf8", test_invalid_utf8);
  ADD ("vocab-files", test_vocab_files);
  ADD ("case-detection", test_case_detection);
  ADD ("folder", test_folder);
  ADD ("folder-errors", test_folder_errors);
  ADD ("decode", test_decode);
  ADD ("properties", test_properties);
  ADD ("hostile-input", test_hostile_input);
  ADD ("threads", test_threads);
#undef ADD
  test_tokenizer_add_dialogue_tests ();
  return g_test_run ();
}
