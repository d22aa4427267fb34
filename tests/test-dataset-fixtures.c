/* test-dataset-fixtures.c: dataset folders written by the dataset tests:
 * StickerChat stickers and lines, DSTC10-MOD memes, and checks shared by
 * the tests
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <gobject/gvaluecollector.h>

#include "test-dataset-fixtures.h"
#include "test-images-fixtures.h"

char *
make_dir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("eigml-dataset-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

void
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
char *
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

void
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
void
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
char *
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
EigmlDataset *
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

EigmlExample *
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
char *
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

const char *
positive_id (EigmlExample *example)
{
  return eigml_example_get_candidate_id (example, eigml_example_get_positive (example));
}

/* Loading fails with a FORMAT error whose message has every needle. */
void
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

/* meme_set/: an animated GIF, PNGs and a file img2id.json does not name */
void
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
