/* test-dataset.c: StickerChat, DSTC10-MOD and JSONL datasets: ids, text,
 * candidates, seeded order, bad records, sidecars and the line index
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every dataset is written here into a temporary folder: .npy stickers by
 * hand, MOD memes (an animated GIF, a PNG) with the image tests' fixtures.
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <gobject/gvaluecollector.h>

#include "eigml.h"
#include "data/dataset-private.h"
#include "test-images-fixtures.h"

/* ---- fixtures ---- */

static char *
make_dir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("eigml-dataset-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);

  if (dir != NULL)
    {
      const char *name;

      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          remove_tree (child);
        }
      g_dir_close (dir);
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

/* Writes dir/relative (folders made as needed); returns the full path. */
static char *
put_file (const char *dir,
          const char *relative,
          const char *contents,
          gssize length)
{
  g_autoptr (GError) error = NULL;
  char *path = g_build_filename (dir, relative, NULL);
  g_autofree char *parent = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (parent, 0755), ==, 0);
  g_file_set_contents (path, contents, length, &error);
  g_assert_no_error (error);
  return path;
}

static void
put_npy (const char *dir,
         const char *set,
         const char *sticker)
{
  static const guint8 pixels[2 * 2 * 3] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
  g_autoptr (GBytes) npy = fixture_npy (1, "{'descr': '|u1', 'fortran_order': False, "
                                        "'shape': (2, 2, 3), }", pixels, sizeof pixels);
  g_autofree char *relative = g_strdup_printf ("npy_stickers/%s/%s.npy", set, sticker);
  g_autofree char *path = put_file (dir, relative, g_bytes_get_data (npy, NULL),
                                    (gssize) g_bytes_get_size (npy));
}

/* A set with stickers s0 .. s<n-1>, and a mapping listing @mapping (or
 * none when NULL). */
static void
put_set (const char *dir,
         const char *set,
         guint n,
         const char *mapping)
{
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("s%u", i);

      put_npy (dir, set, name);
    }
  if (mapping != NULL)
    {
      g_autofree char *relative = g_strdup_printf ("npy_stickers/%s/emoji_mapping.txt", set);
      g_autofree char *path = put_file (dir, relative, mapping, -1);
    }
}

/* One StickerChat line; @context is the JSON list, @set and @sticker are
 * JSON values. */
static char *
sc_line (const char *context,
         const char *set,
         const char *sticker)
{
  return g_strdup_printf ("{\"context\": %s, \"current\": {\"from_id\": 7, \"reply_to_msg_id\": "
                          "null, \"sticker_set_id\": %s, \"sticker_id\": %s, "
                          "\"sticker_alt\": \"😀\"}}",
                          context, set, sticker);
}

/* Creates and loads a dataset of @dir, then the property name/value pairs
 * given after @split (NULL-terminated). */
static EigmlDataset *
open_dataset (const char *dir,
              EigmlDatasetFormat format,
              const char *split,
              const char *first_property,
              ...)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  g_autoptr (GArray) values = g_array_new (FALSE, TRUE, sizeof (GValue));
  GObjectClass *klass = g_type_class_ref (EIGML_TYPE_DATASET);
  EigmlDataset *dataset;
  va_list args;

  g_array_set_clear_func (values, (GDestroyNotify) g_value_unset);
  g_array_set_size (values, 3);
  g_ptr_array_add (names, "folder");
  g_value_set_string (g_value_init (&g_array_index (values, GValue, 0), G_TYPE_STRING), dir);
  g_ptr_array_add (names, "format");
  g_value_set_enum (g_value_init (&g_array_index (values, GValue, 1), EIGML_TYPE_DATASET_FORMAT),
                    format);
  g_ptr_array_add (names, "split");
  g_value_set_string (g_value_init (&g_array_index (values, GValue, 2), G_TYPE_STRING), split);
  va_start (args, first_property);
  for (const char *name = first_property; name != NULL; name = va_arg (args, const char *))
    {
      GParamSpec *pspec = g_object_class_find_property (klass, name);
      g_autofree char *collect_error = NULL;
      GValue value = G_VALUE_INIT;

      g_assert_nonnull (pspec);
      G_VALUE_COLLECT_INIT (&value, pspec->value_type, args, 0, &collect_error);
      g_assert_null (collect_error);
      g_ptr_array_add (names, (gpointer) name);
      g_array_append_val (values, value);
    }
  va_end (args);
  dataset = EIGML_DATASET (g_object_new_with_properties (EIGML_TYPE_DATASET, names->len,
                                                         (const char **) names->pdata,
                                                         (const GValue *) values->data));
  g_type_class_unref (klass);
  g_initable_init (G_INITABLE (dataset), NULL, &error);
  g_assert_no_error (error);
  return dataset;
}

static EigmlExample *
get_example (EigmlDataset *dataset,
             guint index)
{
  g_autoptr (GError) error = NULL;
  EigmlExample *example = eigml_dataset_get_example (dataset, index, &error);

  g_assert_no_error (error);
  g_assert_nonnull (example);
  return example;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Candidate ids, sorted, padding as "-", joined by spaces; checks there
 * is one positive, no id twice, and paths exist exactly for real ones. */
static char *
candidate_set (EigmlExample *example)
{
  g_autoptr (GPtrArray) ids = g_ptr_array_new ();
  GString *out = g_string_new (NULL);
  guint n = eigml_example_get_n_candidates (example);

  g_assert_cmpuint (eigml_example_get_positive (example), <, n);
  g_assert_nonnull (eigml_example_get_candidate_id (example, eigml_example_get_positive (example)));
  for (guint i = 0; i < n; i++)
    {
      const char *id = eigml_example_get_candidate_id (example, i);
      const char *path = eigml_example_get_candidate_path (example, i);

      g_assert_true ((id == NULL) == (path == NULL));
      if (path != NULL)
        {
          g_assert_true (g_path_is_absolute (path));
          g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
        }
      g_ptr_array_add (ids, (gpointer) (id ? id : "-"));
    }
  g_ptr_array_sort (ids, compare_strings);
  for (guint i = 0; i < ids->len; i++)
    {
      if (i > 0 && strcmp (ids->pdata[i], "-") != 0)
        g_assert_cmpstr (ids->pdata[i], !=, ids->pdata[i - 1]);
      g_string_append_printf (out, "%s%s", i ? " " : "", (char *) ids->pdata[i]);
    }
  return g_string_free (out, FALSE);
}

static const char *
positive_id (EigmlExample *example)
{
  return eigml_example_get_candidate_id (example, eigml_example_get_positive (example));
}

/* Loading fails with a FORMAT error whose message has every needle. */
static void
assert_load_fails (EigmlDataset *dataset,
                   const char *const *needles)
{
  g_autoptr (GError) error = NULL;

  g_assert_false (g_initable_init (G_INITABLE (dataset), NULL, &error));
  g_assert_nonnull (error);
  if (g_test_verbose ())
    g_test_message ("%s", error->message);
  for (guint i = 0; needles[i] != NULL; i++)
    if (strstr (error->message, needles[i]) == NULL)
      g_error ("expected '%s' in the error: %s", needles[i], error->message);
}

/* ---- tests ---- */

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
  g_autofree char *file = g_strdup_printf ("%s\n\n%s\r\n%s", l1, l2, l3);
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

typedef struct
{
  const char *line;
  const char *needle;
} BadLine;

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

/* meme_set/: an animated GIF, PNGs and a file img2id.json does not name */
static void
put_memes (const char *dir,
           guint n)
{
  static const guint8 palette[] = { 255, 0, 0, 0, 255, 0 };
  static const guint8 frame0[4] = { 0, 1, 1, 0 }, frame1[4] = { 1, 0, 0, 1 };
  const guint8 *frames[] = { frame0, frame1 };
  g_autoptr (GBytes) gif = fixture_gif (2, 2, 2, 2, palette, 2, -1, 2, frames);
  g_autofree guint8 *pixels = fixture_pattern (3, 3, 3, 7);
  g_autoptr (GBytes) png = fixture_pixbuf_save (pixels, 3, 3, 3, "png", NULL);
  g_autoptr (GString) img2id = g_string_new ("{\n");

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("meme_set/%u.%s", i, i == 0 ? "gif" : "png");
      GBytes *data = i == 0 ? gif : png;

      g_free (put_file (dir, name, g_bytes_get_data (data, NULL), (gssize) g_bytes_get_size (data)));
      g_string_append_printf (img2id, "%s  \"%u.%s\": \"%03u\"", i ? ",\n" : "", i,
                              i == 0 ? "gif" : "png", i);
    }
  /* named by img2id.json but absent from meme_set/: not a meme */
  g_string_append_printf (img2id, ",\n  \"gone.jpg\": \"%03u\"\n}\n", n);
  g_free (put_file (dir, "img2id.json", img2id->str, -1));
}

static void
test_mod_task2 (void)
{
  const char *task2 =
    "[\n"
    "  {\n"
    "    \"history\": [\n"
    "      {\"speaker_id\": \"[speaker1]\", \"emotion_id\": 5, \"img_id\": \"030\", \"txt\": \"今天 下雨\"},\n"
    "      {\"speaker_id\": \"[speaker2]\", \"img_id\": \"007\"},\n"
    "      {\"speaker_id\": \"[speaker1]\", \"txt\": \"\"},\n"
    "      {\"speaker_id\": \"[speaker2]\", \"txt\": \"明天呢？\"}\n"
    "    ],\n"
    "    \"candidate\": {\"speaker_id\": \"[speaker1]\", \"set\": [\"001\", \"2\", 3, \"004\", \"005\", \"006\", \"007\", \"008\", \"009\", \"010\", \"011\"]},\n"
    "    \"answer\": {\"speaker_id\": \"[speaker1]\", \"img_id\": \"009\"}\n"
    "  },\n"
    "  {\"history\": [], \"candidate\": {\"set\": [\"000\", \"012\", \"013\"]}, \"answer\": {\"img_id\": 12}}\n"
    "]\n";
  g_autofree char *dir = make_dir ();
  g_autofree char *path = NULL;
  g_autoptr (EigmlDataset) dataset = NULL;
  g_autoptr (EigmlExample) e0 = NULL;
  g_autoptr (EigmlExample) e1 = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *set0 = NULL;
  g_autofree char *set1 = NULL;
  g_autoptr (GBytes) rgb = NULL;
  guint w = 0, h = 0;

  put_memes (dir, 31);
  path = put_file (dir, "c_val_task2.json", task2, -1);
  /* the dialogue file of the same split is not read when task 2 exists */
  g_free (put_file (dir, "c_val.json", "not JSON", -1));
  dataset = open_dataset (dir, EIGML_DATASET_FORMAT_MOD, "val", NULL);
  g_assert_cmpuint (eigml_dataset_get_n_examples (dataset), ==, 2);
  g_assert_cmpuint (eigml_dataset_get_n_stickers (dataset), ==, 31);
  g_assert_cmpstr (eigml_dataset_get_file (dataset), ==, path);

  e0 = get_example (dataset, 0);
  g_assert_cmpstr (eigml_example_get_id (e0), ==, "val:0");
  g_assert_cmpuint (eigml_example_get_source_line (e0), ==, 2);
  /* turns with text only, as written (no space removal) */
  g_assert_cmpuint (eigml_example_get_n_turns (e0), ==, 2);
  g_assert_cmpstr (eigml_example_get_turn_text (e0, 0), ==, "今天 下雨");
  g_assert_cmpstr (eigml_example_get_turn_speaker (e0, 1), ==, "[speaker2]");
  g_assert_cmpstr (eigml_example_get_turn_text (e0, 1), ==, "明天呢？");
  /* the given set, as img2id.json spells the ids */
  g_assert_cmpuint (eigml_example_get_n_candidates (e0), ==, 11);
  set0 = candidate_set (e0);
  g_assert_cmpstr (set0, ==, "001 002 003 004 005 006 007 008 009 010 011");
  g_assert_cmpstr (positive_id (e0), ==, "009");

  e1 = get_example (dataset, 1);
  g_assert_cmpstr (eigml_example_get_id (e1), ==, "val:1");
  g_assert_cmpuint (eigml_example_get_source_line (e1), ==, 12);
  g_assert_cmpuint (eigml_example_get_n_turns (e1), ==, 0);
  set1 = candidate_set (e1);
  g_assert_cmpstr (set1, ==, "000 012 013");
  g_assert_cmpstr (positive_id (e1), ==, "012");
  /* meme 000 is the animated GIF; it decodes (first frame) */
  for (guint c = 0; c < 3; c++)
    if (g_strcmp0 (eigml_example_get_candidate_id (e1, c), "000") == 0)
      rgb = eigml_image_decode_file (eigml_example_get_candidate_path (e1, c), &w, &h, &error);
  g_assert_no_error (error);
  g_assert_nonnull (rgb);
  g_assert_cmpuint (w, ==, 2);
  remove_tree (dir);
}

static void
test_mod_task2_bad (void)
{
  static const BadLine bad[] = {
    { "{\"history\": [], \"candidate\": {\"set\": [\"001\", \"002\"]}, \"answer\": {\"img_id\": \"003\"}}",
      "c_bad_task2.json:3: field '[1].candidate.set': the answer '003' is not in it" },
    { "{\"history\": [], \"candidate\": {\"set\": [\"001\", \"099\"]}, \"answer\": {\"img_id\": \"001\"}}",
      "c_bad_task2.json:3: field '[1].candidate.set[1]': '099' is not a meme" },
    { "{\"history\": [], \"candidate\": {\"set\": [\"001\", \"1\"]}, \"answer\": {\"img_id\": \"001\"}}",
      "field '[1].candidate.set[1]': '1' is already in the set" },
    { "{\"history\": [], \"answer\": {\"img_id\": \"031\"}}",
      "field '[1].answer.img_id': '031' is not a meme" },
    { "{\"history\": [{\"txt\": 3}], \"answer\": {\"img_id\": \"001\"}}",
      "field '[1].history[0].txt': expected a string, got an integer" },
    { "{\"history\": {}, \"answer\": {\"img_id\": \"001\"}}",
      "field '[1].history': expected an array, got an object" },
    { "{\"history\": []}", "missing field '[1].answer'" },
  };
  const char *good = "{\"history\": [{\"txt\": \"hi\"}], \"answer\": {\"img_id\": \"001\"}}";
  g_autofree char *dir = make_dir ();
  g_autoptr (GString) all = g_string_new ("[\n");
  g_autoptr (EigmlDataset) skipping = NULL;
  g_autoptr (EigmlExample) drawn = NULL;
  g_autofree char *drawn_set = NULL;

  put_memes (dir, 8);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *file = g_strdup_printf ("[\n%s,\n%s\n]\n", good, bad[i].line);
      g_autoptr (EigmlDataset) dataset = NULL;
      const char *needles[] = { bad[i].needle, NULL };

      g_free (put_file (dir, "c_bad_task2.json", file, -1));
      dataset = g_object_new (EIGML_TYPE_DATASET, "folder", dir, "split", "bad",
                              "format", EIGML_DATASET_FORMAT_MOD, NULL);
      assert_load_fails (dataset, needles);
      g_string_append_printf (all, "%s,\n%s,\n", good, bad[i].line);
    }
  g_string_append_printf (all, "%s\n]\n", good);
  g_free (put_file (dir, "c_bad_task2.json", all->str, -1));
  skipping = open_dataset (dir, EIGML_DATASET_FORMAT_MOD, "bad", "skip-bad", TRUE, NULL);
  g_assert_cmpuint (eigml_dataset_get_n_skipped (skipping), ==, G_N_ELEMENTS (bad));
  g_assert_cmpuint (eigml_dataset_get_n_examples (skipping), ==, G_N_ELEMENTS (bad) + 1);
  /* an item without "candidate": 9 negatives drawn from the 8 memes, so 7
   * of them and 2 padding */
  drawn = get_example (skipping, 1);
  g_assert_cmpstr (eigml_example_get_id (drawn), ==, "bad:2");
  drawn_set = candidate_set (drawn);
  g_assert_cmpstr (drawn_set, ==, "- - 000 001 002 003 004 005 006 007");

  /* a document that is neither a list nor an object */
  {
    g_autoptr (EigmlDataset) dataset = NULL;
    const char *needles[] = { "c_bad_task2.json: expected a list", NULL };

    g_free (put_file (dir, "c_bad_task2.json", "\"x\"", -1));
    dataset = g_object_new (EIGML_TYPE_DATASET, "folder", dir, "split", "bad",
                            "format", EIGML_DATASET_FORMAT_MOD, NULL);
    assert_load_fails (dataset, needles);
  }
  remove_tree (dir);
}

static void
test_mod_dialogues (void)
{
  const char *dialogues =
    "{\n"
    "  \"dialogue 1\": [\n"
    "    {\"speaker_id\": \"[speaker1]\", \"img_id\": \"003\", \"emotion_id\": 2},\n"
    "    {\"speaker_id\": \"[speaker2]\", \"txt\": \"你好\"},\n"
    "    {\"speaker_id\": \"[speaker1]\", \"img_id\": \"004\", \"txt\": \"看这个\"},\n"
    "    {\"speaker_id\": \"[speaker2]\", \"txt\": \"\"},\n"
    "    {\"speaker_id\": \"[speaker2]\", \"img_id\": 5}\n"
    "  ],\n"
    "  \"dialogue 2\": [{\"speaker_id\": \"[speaker1]\", \"txt\": \"only text\"}],\n"
    "  \"dialogue 3\": [\n"
    "    {\"speaker_id\": \"[speaker1]\", \"txt\": \"a\"},\n"
    "    {\"speaker_id\": \"[speaker2]\", \"txt\": 1}\n"
    "  ],\n"
    "  \"dialogue 4\": [{\"speaker_id\": \"[speaker1]\", \"txt\": \"b\", \"img_id\": \"777\"},\n"
    "                 {\"speaker_id\": \"[speaker2]\", \"img_id\": \"001\"}]\n"
    "}\n";
  g_autofree char *dir = make_dir ();
  g_autofree char *path = NULL;
  g_autoptr (EigmlDataset) dataset = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) messages = NULL;
  g_autoptr (EigmlExample) e0 = NULL;
  g_autoptr (EigmlExample) e1 = NULL;
  g_autoptr (EigmlExample) e2 = NULL;
  g_autoptr (EigmlExample) e3 = NULL;

  put_memes (dir, 12);
  path = put_file (dir, "c_train.json", dialogues, -1);
  {
    g_autoptr (EigmlDataset) strict = eigml_dataset_new (dir, EIGML_DATASET_FORMAT_MOD, "train",
                                                         &error);

    g_assert_null (strict);
    g_assert_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT);
    g_assert_nonnull (strstr (error->message, "c_train.json:12: "
                                              "field '\"dialogue 3\"[1].txt': expected a string"));
    g_clear_error (&error);
  }
  dataset = g_initable_new (EIGML_TYPE_DATASET, NULL, &error, "file", path,
                            "format", EIGML_DATASET_FORMAT_MOD, "skip-bad", TRUE, NULL);
  g_assert_no_error (error);
  g_assert_cmpstr (eigml_dataset_get_split (dataset), ==, "train");
  /* dialogue 3 (a bad turn) and dialogue 4's unknown meme are skipped */
  g_assert_cmpuint (eigml_dataset_get_n_skipped (dataset), ==, 2);
  messages = eigml_dataset_get_skipped_messages (dataset);
  g_assert_nonnull (strstr (messages[1], "c_train.json:14: field '\"dialogue 4\"[0].img_id': "
                                         "'777' is not a meme"));
  g_assert_cmpuint (eigml_dataset_get_n_examples (dataset), ==, 4);

  /* a meme that opens a dialogue: no history */
  e0 = get_example (dataset, 0);
  g_assert_cmpstr (eigml_example_get_id (e0), ==, "train:dialogue 1:0");
  g_assert_cmpuint (eigml_example_get_source_line (e0), ==, 3);
  g_assert_cmpuint (eigml_example_get_n_turns (e0), ==, 0);
  g_assert_cmpstr (positive_id (e0), ==, "003");
  g_assert_cmpuint (eigml_example_get_n_candidates (e0), ==, 10);
  g_free (candidate_set (e0));
  /* the meme turn's own text is not its history */
  e1 = get_example (dataset, 1);
  g_assert_cmpstr (eigml_example_get_id (e1), ==, "train:dialogue 1:2");
  g_assert_cmpuint (eigml_example_get_source_line (e1), ==, 5);
  g_assert_cmpuint (eigml_example_get_n_turns (e1), ==, 1);
  g_assert_cmpstr (eigml_example_get_turn_text (e1, 0), ==, "你好");
  g_assert_cmpstr (positive_id (e1), ==, "004");
  /* but later ones have it; empty texts are no turns */
  e2 = get_example (dataset, 2);
  g_assert_cmpstr (eigml_example_get_id (e2), ==, "train:dialogue 1:4");
  g_assert_cmpuint (eigml_example_get_n_turns (e2), ==, 2);
  g_assert_cmpstr (eigml_example_get_turn_text (e2, 1), ==, "看这个");
  g_assert_cmpstr (eigml_example_get_turn_speaker (e2, 1), ==, "[speaker1]");
  g_assert_cmpstr (positive_id (e2), ==, "005");
  e3 = get_example (dataset, 3);
  g_assert_cmpstr (eigml_example_get_id (e3), ==, "train:dialogue 4:1");
  g_assert_cmpuint (eigml_example_get_n_turns (e3), ==, 1);
  remove_tree (dir);
}

static void
test_jsonl (void)
{
  const char *lines =
    "{\"id\": \"d1\", \"dialogue\": [{\"speaker\": \"A\", \"text\": \"I like it\"}, "
    "{\"speaker\": \"B\", \"text\": \"我 也 是\"}], \"sticker\": \"stickers/cat.png\", "
    "\"candidates\": [\"stickers/dog.png\", \"stickers/cat.png\", \"stickers/owl.png\"], "
    "\"emotion\": [2, 0, 0, 0, 0, 1, 1], \"intent\": {\"xIntent\": [\"to share\"], "
    "\"xWant\": [\"a reply\", \"fun\"]}}\n"
    "{\"dialogue\": [], \"sticker\": \"stickers/owl.png\", \"emotion\": \"惊\"}\n"
    "{\"id\": 42, \"dialogue\": [{\"text\": \"hi\"}], \"sticker\": \"%s\"}\n";
  g_autofree char *dir = make_dir ();
  g_autofree char *bird = NULL;
  g_autofree char *text = NULL;
  g_autoptr (EigmlDataset) dataset = NULL;
  g_autoptr (EigmlExample) e0 = NULL;
  g_autoptr (EigmlExample) e1 = NULL;
  g_autoptr (EigmlExample) e2 = NULL;
  g_autofree char *set0 = NULL;
  g_autofree char *set1 = NULL;
  const float *emotion;
  gsize n_values = 99;

  g_free (put_file (dir, "stickers/cat.png", "x", -1));
  g_free (put_file (dir, "stickers/dog.png", "x", -1));
  g_free (put_file (dir, "stickers/owl.png", "x", -1));
  bird = put_file (dir, "elsewhere/bird.png", "x", -1);
  text = g_strdup_printf (lines, bird);
  g_free (put_file (dir, "dev.jsonl", text, -1));
  dataset = open_dataset (dir, EIGML_DATASET_FORMAT_JSONL, "dev", "n-candidates", 3, NULL);
  g_assert_cmpuint (eigml_dataset_get_n_examples (dataset), ==, 3);
  g_assert_cmpuint (eigml_dataset_get_n_stickers (dataset), ==, 4);

  e0 = get_example (dataset, 0);
  g_assert_cmpstr (eigml_example_get_id (e0), ==, "d1");
  g_assert_cmpstr (eigml_example_get_turn_text (e0, 1), ==, "我 也 是");
  g_assert_cmpstr (eigml_example_get_turn_speaker (e0, 0), ==, "A");
  set0 = candidate_set (e0);
  g_assert_cmpstr (set0, ==, "stickers/cat.png stickers/dog.png stickers/owl.png");
  g_assert_cmpstr (positive_id (e0), ==, "stickers/cat.png");
  emotion = eigml_example_get_emotion (e0, &n_values);
  g_assert_cmpuint (n_values, ==, 7);
  g_assert_cmpfloat_with_epsilon (emotion[0], 0.5f, 1e-6);
  g_assert_cmpfloat_with_epsilon (emotion[5], 0.25f, 1e-6);
  g_assert_cmpstrv (eigml_example_get_intents (e0, "xIntent"), ((const char *[]) { "to share", NULL }));
  g_assert_cmpstrv (eigml_example_get_intents (e0, "xWant"), ((const char *[]) { "a reply", "fun", NULL }));
  g_assert_cmpstrv (eigml_example_get_intents (e0, "xNeed"), ((const char *[]) { NULL }));

  e1 = get_example (dataset, 1);
  g_assert_cmpstr (eigml_example_get_id (e1), ==, "dev.jsonl:2");
  g_assert_cmpuint (eigml_example_get_n_turns (e1), ==, 0);
  emotion = eigml_example_get_emotion (e1, NULL);
  g_assert_cmpfloat (emotion[6], ==, 1.0f);
  g_assert_cmpfloat (emotion[0], ==, 0.0f);
  g_assert_null (eigml_example_get_intents (e1, "xEffect"));
  /* drawn from the stickers the file names: 3 candidates, owl once */
  g_assert_cmpuint (eigml_example_get_n_candidates (e1), ==, 3);
  set1 = candidate_set (e1);
  g_assert_nonnull (strstr (set1, "stickers/owl.png"));
  g_assert_cmpstr (positive_id (e1), ==, "stickers/owl.png");

  e2 = get_example (dataset, 2);
  g_assert_cmpstr (eigml_example_get_id (e2), ==, "42");
  g_assert_cmpstr (eigml_example_get_turn_speaker (e2, 0), ==, "");
  g_assert_cmpstr (positive_id (e2), ==, bird);
  g_assert_cmpstr (eigml_example_get_candidate_path (e2, eigml_example_get_positive (e2)), ==,
                   bird);
  remove_tree (dir);
}

static void
test_jsonl_bad (void)
{
  static const BadLine bad[] = {
    { "{\"id\": \"a\", \"dialogue\": [], \"sticker\": \"s.png\"}", "field 'id': 'a' is already the id of line 1" },
    { "{\"dialogue\": [], \"sticker\": \"nope.png\"}", "field 'sticker': sticker 'nope.png': no file" },
    { "{\"dialogue\": [], \"sticker\": \"s.png\", \"candidates\": [\"t.png\"]}", "the sticker 's.png' is not among them" },
    { "{\"dialogue\": [], \"sticker\": \"s.png\", \"candidates\": [\"s.png\", \"s.png\"]}", "'s.png' is already a candidate" },
    { "{\"dialogue\": [], \"sticker\": \"s.png\", \"emotion\": [1, 2]}", "field 'emotion': expected 7 numbers" },
    { "{\"dialogue\": [], \"sticker\": \"s.png\", \"emotion\": \"happy\"}", "got 'happy'" },
    { "{\"dialogue\": [], \"sticker\": \"s.png\", \"emotion\": [0, 0, 0, 0, 0, 0, 0]}", "positive sum" },
    { "{\"dialogue\": [], \"sticker\": \"s.png\", \"emotion\": [1, -1, 0, 0, 0, 0, 0]}", "value 1: expected a finite number >= 0" },
    { "{\"dialogue\": [], \"sticker\": \"s.png\", \"intent\": {\"xintent\": []}}", "field 'intent.xintent': not a COMET relation" },
    { "{\"dialogue\": [], \"sticker\": \"s.png\", \"intent\": {\"xNeed\": [1]}}", "field 'intent.xNeed': item 0: expected a string" },
    { "{\"dialogue\": [{\"speaker\": \"A\"}], \"sticker\": \"s.png\"}", "missing field 'dialogue[0].text'" },
    { "{\"dialogue\": [], \"sticker\": \"\"}", "field 'sticker': expected a sticker" },
  };
  const char *good = "{\"id\": \"a\", \"dialogue\": [], \"sticker\": \"s.png\"}";
  g_autofree char *dir = make_dir ();

  g_free (put_file (dir, "s.png", "x", -1));
  g_free (put_file (dir, "t.png", "x", -1));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *file = g_strconcat (good, "\n", bad[i].line, "\n", NULL);
      g_autoptr (EigmlDataset) dataset = NULL;
      const char *needles[] = { "bad.jsonl:2: ", bad[i].needle, NULL };

      g_free (put_file (dir, "bad.jsonl", file, -1));
      dataset = g_object_new (EIGML_TYPE_DATASET, "folder", dir, "split", "bad",
                              "format", EIGML_DATASET_FORMAT_JSONL, NULL);
      assert_load_fails (dataset, needles);
    }
  remove_tree (dir);
}

static void
test_sidecars (void)
{
  g_autofree char *dir = make_dir ();
  g_autofree char *l1 = sc_line ("[{\"text\": \"a\"}]", "1", "\"s0\"");
  g_autofree char *l2 = sc_line ("[{\"text\": \"b\"}]", "1", "\"s1\"");
  g_autofree char *data = g_strconcat (l1, "\n", l2, "\n", l1, "\n", NULL);
  g_autofree char *emotions = NULL;
  g_autofree char *intents = NULL;
  g_autoptr (EigmlDataset) dataset = NULL;
  g_autoptr (EigmlExample) e0 = NULL;
  g_autoptr (EigmlExample) e1 = NULL;
  g_autoptr (EigmlExample) e2 = NULL;
  const float *emotion;

  put_set (dir, "1", 3, NULL);
  g_free (put_file (dir, "release_val.json", data, -1));
  emotions = put_file (dir, "emotion.jsonl",
                       "{\"id\": \"val:3\", \"emotion\": \"怒\"}\n"
                       "{\"id\": \"train:1\", \"emotion\": \"乐\"}\n"
                       "{\"id\": \"val:1\", \"emotion\": [0, 1, 1, 0, 0, 0, 2.0]}\n", -1);
  intents = put_file (dir, "intent.jsonl",
                      "{\"id\": \"val:2\", \"xIntent\": [\"to greet\"], \"xNeed\": [], "
                      "\"xWant\": [\"an answer\"], \"xEffect\": [\"smiles\"], \"source\": \"comet\"}\n",
                      -1);
  dataset = open_dataset (dir, EIGML_DATASET_FORMAT_STICKERCHAT, "val", "emotion-file", emotions,
                          "intent-file", intents, NULL);
  e0 = get_example (dataset, 0);
  emotion = eigml_example_get_emotion (e0, NULL);
  g_assert_nonnull (emotion);
  g_assert_cmpfloat_with_epsilon (emotion[6], 0.5f, 1e-6);
  g_assert_cmpfloat_with_epsilon (emotion[1], 0.25f, 1e-6);
  g_assert_null (eigml_example_get_intents (e0, "xIntent"));
  e1 = get_example (dataset, 1);
  g_assert_null (eigml_example_get_emotion (e1, NULL));
  g_assert_cmpstrv (eigml_example_get_intents (e1, "xIntent"), ((const char *[]) { "to greet", NULL }));
  g_assert_cmpstrv (eigml_example_get_intents (e1, "xNeed"), ((const char *[]) { NULL }));
  g_assert_cmpstrv (eigml_example_get_intents (e1, "xEffect"), ((const char *[]) { "smiles", NULL }));
  e2 = get_example (dataset, 2);
  g_assert_cmpfloat (eigml_example_get_emotion (e2, NULL)[3], ==, 1.0f);

  /* a duplicate id and a malformed line are errors naming the sidecar */
  {
    const char *needles[] = { "emotion.jsonl:2: field 'id': 'val:1' is already given on line 1",
                              NULL };
    g_autoptr (EigmlDataset) bad = NULL;

    g_free (put_file (dir, "emotion.jsonl", "{\"id\": \"val:1\", \"emotion\": \"乐\"}\n"
                                            "{\"id\": \"val:1\", \"emotion\": \"哀\"}\n", -1));
    bad = g_object_new (EIGML_TYPE_DATASET, "folder", dir, "split", "val", "emotion-file",
                        emotions, "skip-bad", TRUE, NULL);
    assert_load_fails (bad, needles);
  }
  {
    const char *needles[] = { "intent.jsonl:1: field 'xWant': expected an array, got a string",
                              NULL };
    g_autoptr (EigmlDataset) bad = NULL;

    g_free (put_file (dir, "intent.jsonl", "{\"id\": \"val:1\", \"xWant\": \"x\"}\n", -1));
    bad = g_object_new (EIGML_TYPE_DATASET, "folder", dir, "split", "val", "intent-file",
                        intents, NULL);
    assert_load_fails (bad, needles);
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
  g_test_add_func ("/cpu/dataset/mod/task2", test_mod_task2);
  g_test_add_func ("/cpu/dataset/mod/task2-bad", test_mod_task2_bad);
  g_test_add_func ("/cpu/dataset/mod/dialogues", test_mod_dialogues);
  g_test_add_func ("/cpu/dataset/jsonl/examples", test_jsonl);
  g_test_add_func ("/cpu/dataset/jsonl/bad-lines", test_jsonl_bad);
  g_test_add_func ("/cpu/dataset/sidecars", test_sidecars);
  g_test_add_func ("/cpu/dataset/streaming", test_streaming);
  g_test_add_func ("/cpu/dataset/setup-errors", test_setup_errors);
  return g_test_run ();
}
