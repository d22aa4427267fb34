/* test-dataset.c: datasets: StickerChat (ids, text, candidates, bad
 * lines), the seeded candidate order, the line index and setup errors;
 * DSTC10-MOD, JSONL and sidecars are in test-dataset-formats.c
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every dataset is written by the test into a temporary folder
 * (test-dataset-fixtures.c).
 */
#include "config.h"

#include <string.h>

#include "eigml.h"
#include "data/dataset-private.h"
#include "test-dataset-fixtures.h"

static void
test_format_names (void)
{
  g_autoptr (GError) error = NULL;
  EigmlDatasetFormat format = EIGML_DATASET_FORMAT_JSONL;

  g_assert_true (eigml_dataset_format_from_string ("StickerChat", &format, NULL));
  g_assert_cmpint (format, ==, EIGML_DATASET_FORMAT_STICKERCHAT);
  g_assert_true (eigml_dataset_format_from_string ("mod", &format, NULL));
  g_assert_cmpint (format, ==, EIGML_DATASET_FORMAT_MOD);
  g_assert_true (eigml_dataset_format_from_string ("jsonl", &format, NULL));
  g_assert_cmpint (format, ==, EIGML_DATASET_FORMAT_JSONL);
  g_assert_false (eigml_dataset_format_from_string ("csv", &format, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr (eigml_dataset_format_to_string (EIGML_DATASET_FORMAT_MOD), ==, "mod");
}

static void
test_stickerchat (void)
{
  g_autofree char *dir = make_dir ();
  g_autofree char *l1 = sc_line ("[{\"text\": \"我 喜欢 你 ！\", \"reply_to_msg_id\": null, "
                                 "\"id\": 1, \"from_id\": 12345678901234567890}, "
                                 "{\"text\": \"I like 你 , ok 好 的\", \"from_id\": \"-5\"}]",
                                 "100", "\"s3\"");
  g_autofree char *l2 = sc_line ("[]", "200", "\"s1\"");
  g_autofree char *l3 = sc_line ("[{\"text\": null}]", "300", "\"s2\"");
  g_autofree char *file = g_strdup_printf ("\xef\xbb\xbf%s\n\n%s\r\n%s", l1, l2, l3);
  g_autoptr (EigmlDataset) dataset = NULL;
  g_autoptr (EigmlExample) e1 = NULL;
  g_autoptr (EigmlExample) e2 = NULL;
  g_autoptr (EigmlExample) e3 = NULL;
  g_autofree char *set1 = NULL;
  g_autofree char *set2 = NULL;
  g_autofree char *set3 = NULL;
  g_autofree char *path = NULL;

  /* set 100: 14 stickers; the mapping lists the positive, a repeat, a
   * .npy suffix and a sticker without a file, then s0 .. s13 */
  put_set (dir, "100", 14, "s3\t😀\ns9.npy\t😁\nmissing\t😂\ns9\t😁\r\ns1\t😃\ns0\t😄\n"
                           "s13\t😅\ns12\t😆\ns11\t😇\ns10\t😈\ns8\t😉\ns7\t😊\ns2\t😋\n");
  put_set (dir, "200", 4, "s0\t😀\ns1\t😀\ns2\t😀\ns3\t😀\n");
  put_set (dir, "300", 12, NULL);
  path = put_file (dir, "release_test.json", file, -1);

  dataset = open_dataset (dir, EIGML_DATASET_FORMAT_STICKERCHAT, "test", NULL);
  g_assert_cmpuint (eigml_dataset_get_n_examples (dataset), ==, 3);
  g_assert_cmpuint (eigml_dataset_get_n_skipped (dataset), ==, 0);
  g_assert_cmpuint (eigml_dataset_get_n_stickers (dataset), ==, 14 + 4 + 12);
  g_assert_cmpstr (eigml_dataset_get_file (dataset), ==, path);
  g_assert_cmpstr (eigml_dataset_get_split (dataset), ==, "test");

  e1 = get_example (dataset, 0);
  g_assert_cmpstr (eigml_example_get_id (e1), ==, "test:1");
  g_assert_cmpstr (eigml_example_get_source_file (e1), ==, path);
  g_assert_cmpuint (eigml_example_get_source_line (e1), ==, 1);
  g_assert_cmpuint (eigml_example_get_n_turns (e1), ==, 2);
  g_assert_cmpstr (eigml_example_get_turn_text (e1, 0), ==, "我喜欢你！");
  g_assert_cmpstr (eigml_example_get_turn_text (e1, 1), ==, "I like 你 , ok 好的");
  g_assert_cmpstr (eigml_example_get_turn_speaker (e1, 0), ==, "12345678901234567890");
  g_assert_cmpstr (eigml_example_get_turn_speaker (e1, 1), ==, "-5");
  g_assert_cmpstr (eigml_example_get_turn_texts (e1)[1], ==, "I like 你 , ok 好的");
  g_assert_null (eigml_example_get_turn_texts (e1)[2]);
  g_assert_cmpstr (eigml_example_get_turn_speakers (e1)[0], ==, "12345678901234567890");
  g_assert_null (eigml_example_get_emotion (e1, NULL));
  g_assert_null (eigml_example_get_intents (e1, "xWant"));
  /* the positive and the first 9 others in mapping order, s3 once */
  g_assert_cmpuint (eigml_example_get_n_candidates (e1), ==, 10);
  g_assert_cmpstr (positive_id (e1), ==, "100/s3");
  set1 = candidate_set (e1);
  g_assert_cmpstr (set1, ==, "100/s0 100/s1 100/s10 100/s11 100/s12 100/s13 100/s3 100/s7 "
                             "100/s8 100/s9");
  {
    g_autofree char *expected = g_build_filename (dir, "npy_stickers", "100", "s3.npy", NULL);

    g_assert_cmpstr (eigml_example_get_candidate_path (e1, eigml_example_get_positive (e1)), ==,
                     expected);
  }

  /* a set of 4: 6 padding candidates; the blank line still counts */
  e2 = get_example (dataset, 1);
  g_assert_cmpstr (eigml_example_get_id (e2), ==, "test:3");
  g_assert_cmpuint (eigml_example_get_source_line (e2), ==, 3);
  g_assert_cmpuint (eigml_example_get_n_turns (e2), ==, 0);
  g_assert_null (eigml_example_get_turn_texts (e2)[0]);
  set2 = candidate_set (e2);
  g_assert_cmpstr (set2, ==, "- - - - - - 200/s0 200/s1 200/s2 200/s3");
  g_assert_cmpstr (positive_id (e2), ==, "200/s1");

  /* no mapping: the files sorted by name */
  e3 = get_example (dataset, 2);
  g_assert_cmpstr (eigml_example_get_turn_text (e3, 0), ==, "");
  g_assert_cmpstr (eigml_example_get_turn_speaker (e3, 0), ==, "");
  set3 = candidate_set (e3);
  g_assert_cmpstr (set3, ==, "300/s0 300/s1 300/s10 300/s11 300/s2 300/s3 300/s4 300/s5 "
                             "300/s6 300/s7");
  remove_tree (dir);
}

static void
test_stickerchat_big_ids (void)
{
  g_autofree char *dir = make_dir ();
  const char *context = "[{\"text\": \"a\", \"from_id\": 9007199254740993}, "
                        "{\"text\": \"b\", \"from_id\": 98765432109876543210123}, "
                        "{\"text\": \"c\", \"from_id\": -9223372036854775809}]";
  g_autofree char *l1 = sc_line (context, "1234567890123456789", "9223372036854775807");
  g_autofree char *l2 = sc_line ("[]", "\"98765432109876543210\"", "18446744073709551616");
  g_autofree char *file = g_strconcat (l1, "\n", l2, "\n", NULL);
  g_autoptr (EigmlDataset) dataset = NULL;
  g_autoptr (EigmlExample) e1 = NULL;
  g_autoptr (EigmlExample) e2 = NULL;
  g_autofree char *path = NULL;

  put_npy (dir, "1234567890123456789", "9223372036854775807");
  put_npy (dir, "98765432109876543210", "18446744073709551616");
  path = put_file (dir, "release_big.json", file, -1);
  dataset = open_dataset (dir, EIGML_DATASET_FORMAT_STICKERCHAT, "big", NULL);
  e1 = get_example (dataset, 0);
  g_assert_cmpstr (positive_id (e1), ==, "1234567890123456789/9223372036854775807");
  g_assert_cmpstr (eigml_example_get_turn_speaker (e1, 0), ==, "9007199254740993");
  g_assert_cmpstr (eigml_example_get_turn_speaker (e1, 1), ==, "98765432109876543210123");
  g_assert_cmpstr (eigml_example_get_turn_speaker (e1, 2), ==, "-9223372036854775809");
  e2 = get_example (dataset, 1);
  g_assert_cmpstr (positive_id (e2), ==, "98765432109876543210/18446744073709551616");
  /* padding: a set of one */
  g_assert_cmpuint (eigml_example_get_n_candidates (e2), ==, 10);
  remove_tree (dir);
}

static void
test_stickerchat_bad_lines (void)
{
  static const BadLine bad[] = {
    { "{\"context\": [], \"current\": {\"sticker_set_id\": 1, \"sticker_id\": ", "not valid JSON" },
    { "{\"context\": [], \"current\": {\"sticker_set_id\": 1, \"sticker_id\": [1]}}",
      "field 'current.sticker_id': expected a string or integer, got an array" },
    { "{\"context\": []}", "missing field 'current'" },
    { "{\"current\": {\"sticker_set_id\": 1, \"sticker_id\": \"s0\"}}", "missing field 'context'" },
    { "{\"context\": [], \"current\": {\"sticker_set_id\": 1, \"sticker_id\": \"s9\"}}",
      "no file npy_stickers/1/s9.npy" },
    { "{\"context\": [{\"text\": \"caf\xe9\"}], \"current\": {\"sticker_set_id\": 1, "
      "\"sticker_id\": \"s0\"}}", "not valid UTF-8" },
    { "{\"context\": [{\"text\": 5}], \"current\": {\"sticker_set_id\": 1, \"sticker_id\": "
      "\"s0\"}}", "field 'context[0].text': expected a string, got an integer" },
    { "{\"context\": [7], \"current\": {\"sticker_set_id\": 1, \"sticker_id\": \"s0\"}}",
      "field 'context[0]': expected an object, got an integer" },
    { "{\"context\": [], \"current\": {\"sticker_set_id\": 1.5, \"sticker_id\": \"s0\"}}",
      "expected a string or integer, got a non-integer number" },
    { "{\"context\": [], \"current\": {\"sticker_set_id\": 1, \"sticker_id\": \"../1/s0\"}}",
      "cannot name a file" },
    { "{\"context\": [{\"text\": \"a\\u0000b\"}], \"current\": {\"sticker_set_id\": 1, "
      "\"sticker_id\": \"s0\"}}", "U+0000" },
    { "{\"context\": [], \"current\": {\"sticker_set_id\": 1, \"sticker_id\": \"s0\"}} {}",
      "text after the end of the value" },
    { "[1, 2]", "expected an object, got an array" },
    { "{'context': [], 'current': {'sticker_set_id': 1, 'sticker_id': 's0'}}",
      "single-quoted strings are not JSON" },
    { "{\"context\": [], /* c */ \"current\": {\"sticker_set_id\": 1, \"sticker_id\": 0}}",
      "comments are not JSON" },
    { "{\"context\": [], \"current\": {\"sticker_set_id\": 1, \"sticker_id\": \"s0\"}, "
      "\"x\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
      "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
      "nested deeper" },
  };
  const char *good = "{\"context\": [{\"text\": \"ok\"}], \"current\": {\"sticker_set_id\": 1, "
                     "\"sticker_id\": \"s0\"}}";
  g_autofree char *dir = make_dir ();
  g_autoptr (GString) all = g_string_new (NULL);
  g_autoptr (EigmlDataset) skipping = NULL;
  g_auto (GStrv) messages = NULL;

  put_set (dir, "1", 2, NULL);
  /* each bad line alone, after a good one: the load fails naming line 2 */
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *file = g_strconcat (good, "\n", bad[i].line, "\n", NULL);
      g_autofree char *path = put_file (dir, "release_bad.json", file, -1);
      g_autoptr (EigmlDataset) dataset = NULL;
      const char *needles[] = { "release_bad.json:2: ", bad[i].needle, NULL };

      dataset = g_object_new (EIGML_TYPE_DATASET, "folder", dir, "split", "bad", NULL);
      assert_load_fails (dataset, needles);
      g_assert_cmpuint (eigml_dataset_get_n_examples (dataset), ==, 0);
      g_string_append_printf (all, "%s\n%s\n", good, bad[i].line);
    }
  g_string_append (all, good);

  /* all of them with skip-bad: each skipped and counted */
  g_free (put_file (dir, "release_bad.json", all->str, (gssize) all->len));
  skipping = open_dataset (dir, EIGML_DATASET_FORMAT_STICKERCHAT, "bad", "skip-bad", TRUE, NULL);
  g_assert_cmpuint (eigml_dataset_get_n_examples (skipping), ==, G_N_ELEMENTS (bad) + 1);
  g_assert_cmpuint (eigml_dataset_get_n_skipped (skipping), ==, G_N_ELEMENTS (bad));
  messages = eigml_dataset_get_skipped_messages (skipping);
  g_assert_cmpuint (g_strv_length (messages), ==, G_N_ELEMENTS (bad));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *where = g_strdup_printf ("release_bad.json:%u: ", 2 * i + 2);
      g_autoptr (EigmlExample) example = get_example (skipping, i);
      g_autofree char *id = g_strdup_printf ("bad:%u", 2 * i + 1);

      g_assert_true (g_str_has_prefix (messages[i], where));
      g_assert_nonnull (strstr (messages[i], bad[i].needle));
      g_assert_cmpstr (eigml_example_get_id (example), ==, id);
    }
  remove_tree (dir);
}

/* Ids, positions and candidate orders of a whole dataset, as one string. */
static char *
describe (EigmlDataset *dataset,
          gboolean reverse)
{
  guint n = eigml_dataset_get_n_examples (dataset);
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func (g_free);
  GString *out = g_string_new (NULL);

  g_ptr_array_set_size (rows, (int) n);
  for (guint k = 0; k < n; k++)
    {
      guint i = reverse ? n - 1 - k : k;
      g_autoptr (EigmlExample) example = get_example (dataset, i);
      GString *row = g_string_new (eigml_example_get_id (example));

      for (guint c = 0; c < eigml_example_get_n_candidates (example); c++)
        {
          const char *id = eigml_example_get_candidate_id (example, c);

          g_string_append_printf (row, " %s%s", id ? id : "-",
                                  c == eigml_example_get_positive (example) ? "*" : "");
        }
      rows->pdata[i] = g_string_free (row, FALSE);
    }
  for (guint i = 0; i < n; i++)
    g_string_append_printf (out, "%s\n", (char *) rows->pdata[i]);
  return g_string_free (out, FALSE);
}

typedef struct
{
  EigmlDataset *dataset;
  guint first;
  guint step;
  char **rows;
} ThreadRead;

static gpointer
read_every_other (gpointer data)
{
  ThreadRead *t = data;

  for (guint i = t->first; i < eigml_dataset_get_n_examples (t->dataset); i += t->step)
    {
      g_autoptr (EigmlExample) example = eigml_dataset_get_example (t->dataset, i, NULL);

      t->rows[i] = g_strdup_printf ("%s %u", eigml_example_get_id (example),
                                    eigml_example_get_positive (example));
    }
  return NULL;
}

static void
test_seeded_order (void)
{
  const guint n = 2000;
  g_autofree char *dir = make_dir ();
  g_autoptr (GString) file = g_string_new (NULL);
  g_autoptr (EigmlDataset) a = NULL;
  g_autoptr (EigmlDataset) b = NULL;
  g_autoptr (EigmlDataset) c = NULL;
  g_autofree char *da = NULL;
  g_autofree char *db = NULL;
  g_autofree char *db_reverse = NULL;
  g_autofree char *dc = NULL;
  guint positions[10] = { 0 };
  g_auto (GStrv) rows = g_new0 (char *, n + 1);
  ThreadRead halves[2];
  GThread *threads[2];

  put_set (dir, "1", 25, NULL);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *sticker = g_strdup_printf ("\"s%u\"", i % 25);
      g_autofree char *line = sc_line ("[{\"text\": \"hi\"}]", "1", sticker);

      g_string_append_printf (file, "%s\n", line);
    }
  g_free (put_file (dir, "release_train.json", file->str, (gssize) file->len));
  a = open_dataset (dir, EIGML_DATASET_FORMAT_STICKERCHAT, "train", NULL);
  b = open_dataset (dir, EIGML_DATASET_FORMAT_STICKERCHAT, "train", "seed", (guint64) 42, NULL);
  c = open_dataset (dir, EIGML_DATASET_FORMAT_STICKERCHAT, "train", "seed", (guint64) 43, NULL);
  da = describe (a, FALSE);
  db = describe (b, FALSE);
  db_reverse = describe (b, TRUE);
  dc = describe (c, FALSE);
  g_assert_cmpstr (da, ==, db);
  g_assert_cmpstr (db, ==, db_reverse);
  g_assert_cmpstr (db, !=, dc);

  /* the positive's position is uniform: 200 expected in each of 10, the
   * standard deviation is 13.4 */
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (EigmlExample) example = get_example (a, i);

      positions[eigml_example_get_positive (example)]++;
    }
  for (guint p = 0; p < 10; p++)
    {
      if (g_test_verbose ())
        g_test_message ("position %u: %u", p, positions[p]);
      g_assert_cmpuint (positions[p], >, 140);
      g_assert_cmpuint (positions[p], <, 260);
    }

  /* two threads reading alternate examples see what one thread sees */
  for (guint t = 0; t < 2; t++)
    {
      halves[t] = (ThreadRead) { b, t, 2, rows };
      threads[t] = g_thread_new ("reader", read_every_other, &halves[t]);
    }
  for (guint t = 0; t < 2; t++)
    g_thread_join (threads[t]);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (EigmlExample) example = get_example (a, i);
      g_autofree char *expected = g_strdup_printf ("%s %u", eigml_example_get_id (example),
                                                   eigml_example_get_positive (example));

      g_assert_cmpstr (rows[i], ==, expected);
    }
  remove_tree (dir);
}

static void
test_streaming (void)
{
  const guint n = 20000;
  g_autofree char *dir = make_dir ();
  g_autoptr (GString) file = g_string_new (NULL);
  g_autoptr (EigmlDataset) dataset = NULL;
  guint picks[] = { 0, n / 2, n - 1 };

  put_set (dir, "77", 12, NULL);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *context = g_strdup_printf ("[{\"text\": \"第 %u 行\", \"from_id\": %u}, "
                                                  "{\"text\": \"%s\", \"from_id\": 2}]",
                                                  i + 1, i, i % 2 ? "好 的" : "ok");
      g_autofree char *sticker = g_strdup_printf ("\"s%u\"", i % 12);
      g_autofree char *line = sc_line (context, "77", sticker);

      g_string_append_printf (file, "%s\n", line);
    }
  g_free (put_file (dir, "release_train.json", file->str, (gssize) file->len));
  dataset = open_dataset (dir, EIGML_DATASET_FORMAT_STICKERCHAT, "train", NULL);
  g_assert_cmpuint (eigml_dataset_get_n_examples (dataset), ==, n);
  /* 16 bytes per example, against about 250 per line of text */
  g_assert_cmpuint (eigml_dataset_get_index_bytes (dataset), ==, (gsize) n * 16);
  g_assert_cmpuint (file->len, >, (gsize) n * 200);
  for (guint k = 0; k < G_N_ELEMENTS (picks); k++)
    {
      guint i = picks[k];
      g_autoptr (EigmlExample) example = get_example (dataset, i);
      g_autofree char *id = g_strdup_printf ("train:%u", i + 1);
      g_autofree char *text = g_strdup_printf ("第 %u 行", i + 1);
      g_autofree char *speaker = g_strdup_printf ("%u", i);
      g_autofree char *sticker = g_strdup_printf ("77/s%u", i % 12);

      g_assert_cmpstr (eigml_example_get_id (example), ==, id);
      g_assert_cmpuint (eigml_example_get_source_line (example), ==, i + 1);
      g_assert_cmpstr (eigml_example_get_turn_text (example, 0), ==, text);
      g_assert_cmpstr (eigml_example_get_turn_speaker (example, 0), ==, speaker);
      g_assert_cmpstr (eigml_example_get_turn_text (example, 1), ==, i % 2 ? "好的" : "ok");
      g_assert_cmpstr (positive_id (example), ==, sticker);
    }
  remove_tree (dir);
}

static void
test_setup_errors (void)
{
  g_autofree char *dir = make_dir ();
  g_autofree char *missing = g_build_filename (dir, "nothing", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlDataset) dataset = NULL;
  g_autoptr (EigmlDataset) bare = NULL;
  g_autoptr (EigmlExample) example = NULL;

  g_assert_null (eigml_dataset_new (missing, EIGML_DATASET_FORMAT_STICKERCHAT, "train", &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR);
  g_clear_error (&error);
  g_assert_null (eigml_dataset_new (dir, EIGML_DATASET_FORMAT_STICKERCHAT, "train", &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_assert_nonnull (strstr (error->message, "no release_train.json"));
  g_clear_error (&error);
  g_free (put_file (dir, "release_train.json", "", -1));
  g_assert_null (eigml_dataset_new (dir, EIGML_DATASET_FORMAT_STICKERCHAT, "train", &error));
  g_assert_nonnull (strstr (error->message, "no npy_stickers/ folder"));
  g_clear_error (&error);
  g_assert_null (eigml_dataset_new (dir, EIGML_DATASET_FORMAT_MOD, "train", &error));
  g_assert_nonnull (strstr (error->message, "no c_train_task2.json or c_train.json"));
  g_clear_error (&error);
  g_assert_null (eigml_dataset_new (dir, EIGML_DATASET_FORMAT_JSONL, "a/b", &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (g_initable_new (EIGML_TYPE_DATASET, NULL, &error, "folder", dir, "file", dir,
                                 NULL));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* an empty file is an empty dataset */
  g_free (put_file (dir, "empty.jsonl", "\n\n", -1));
  dataset = eigml_dataset_new (dir, EIGML_DATASET_FORMAT_JSONL, "empty", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (eigml_dataset_get_n_examples (dataset), ==, 0);
  g_assert_null (eigml_dataset_get_example (dataset, 0, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_OUT_OF_RANGE);
  g_clear_error (&error);

  bare = g_object_new (EIGML_TYPE_DATASET, NULL);
  example = eigml_dataset_get_example (bare, 0, &error);
  g_assert_null (example);
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
  remove_tree (dir);
}

int
main (int argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cpu/dataset/format-names", test_format_names);
  g_test_add_func ("/cpu/dataset/stickerchat/examples", test_stickerchat);
  g_test_add_func ("/cpu/dataset/stickerchat/big-ids", test_stickerchat_big_ids);
  g_test_add_func ("/cpu/dataset/stickerchat/bad-lines", test_stickerchat_bad_lines);
  g_test_add_func ("/cpu/dataset/seeded-order", test_seeded_order);
  test_dataset_add_format_tests ();
  g_test_add_func ("/cpu/dataset/streaming", test_streaming);
  g_test_add_func ("/cpu/dataset/setup-errors", test_setup_errors);
  return g_test_run ();
}
