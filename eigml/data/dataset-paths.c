/* dataset-paths.c: where a dataset's files are, from a folder and a split
 * or from one file
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The names are those of DATA.md ("File naming the tools accept").
 */
#include "config.h"

#include <string.h>

#include "eigml-error.h"
#include "dataset-private.h"

/* The split a file name gives: release_<split>.json, c_<split>_task2.json,
 * c_<split>.json, <split>.jsonl, else the name without its extension. */
static char *
split_from_file_name (EigmlDatasetFormat format,
                      const char *name)
{
  const char *dot = strrchr (name, '.');
  gsize stem = dot && dot != name ? (gsize) (dot - name) : strlen (name);

  if (format == EIGML_DATASET_FORMAT_STICKERCHAT && g_str_has_prefix (name, "release_") &&
      g_str_has_suffix (name, ".json") && strlen (name) > strlen ("release_.json"))
    return g_strndup (name + 8, strlen (name) - strlen ("release_.json"));
  if (format == EIGML_DATASET_FORMAT_MOD && g_str_has_prefix (name, "c_") &&
      g_str_has_suffix (name, "_task2.json") && strlen (name) > strlen ("c__task2.json"))
    return g_strndup (name + 2, strlen (name) - strlen ("c__task2.json"));
  if (format == EIGML_DATASET_FORMAT_MOD && g_str_has_prefix (name, "c_") &&
      g_str_has_suffix (name, ".json") && strlen (name) > strlen ("c_.json"))
    return g_strndup (name + 2, strlen (name) - strlen ("c_.json"));
  return g_strndup (name, stem);
}

/* The split's file in the folder, as the tools name it. */
static char *
file_for_split (EigmlDatasetFormat format,
                const char *folder,
                const char *split,
                GError **error)
{
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;

  switch (format)
    {
    case EIGML_DATASET_FORMAT_STICKERCHAT:
      name = g_strdup_printf ("release_%s.json", split);
      break;
    case EIGML_DATASET_FORMAT_MOD:
      name = g_strdup_printf ("c_%s_task2.json", split);
      path = g_build_filename (folder, name, NULL);
      if (g_file_test (path, G_FILE_TEST_EXISTS))
        return g_steal_pointer (&path);
      g_clear_pointer (&name, g_free);
      g_clear_pointer (&path, g_free);
      name = g_strdup_printf ("c_%s.json", split);
      break;
    case EIGML_DATASET_FORMAT_JSONL:
    default:
      name = g_strdup_printf ("%s.jsonl", split);
      break;
    }
  path = g_build_filename (folder, name, NULL);
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&path);
  if (format == EIGML_DATASET_FORMAT_MOD)
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                 "%s: no c_%s_task2.json or c_%s.json for the %s split", folder, split, split,
                 split);
  else
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "%s: no %s for the %s split", folder,
                 name, split);
  return NULL;
}

/* Fills core->folder, file, file_name and split from what was given:
 * either a folder and a split, or a file (and maybe a split). */
gboolean
eigml_dataset_core_resolve (EigmlDatasetCore *core,
                            const char *folder,
                            const char *file,
                            const char *split,
                            GError **error)
{
  if ((folder == NULL) == (file == NULL))
    {
      g_set_error_literal (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                           "a dataset needs either a folder (and a split) or a file");
      return FALSE;
    }
  if (split != NULL && (*split == '\0' || strchr (split, '/')))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "split '%s': expected a name without '/', such as train, val or test",
                   split);
      return FALSE;
    }
  if (folder != NULL)
    {
      if (split == NULL)
        {
          g_set_error_literal (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                               "a dataset folder needs a split, such as train, val or test");
          return FALSE;
        }
      core->folder = g_canonicalize_filename (folder, NULL);
      if (!g_file_test (core->folder, G_FILE_TEST_IS_DIR))
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR,
                       "%s: expected a dataset folder, got %s", folder,
                       g_file_test (core->folder, G_FILE_TEST_EXISTS) ? "a file" : "nothing");
          return FALSE;
        }
      core->file = file_for_split (core->format, core->folder, split, error);
      if (core->file == NULL)
        return FALSE;
      core->split = g_strdup (split);
    }
  else
    {
      core->file = g_canonicalize_filename (file, NULL);
      core->folder = g_path_get_dirname (core->file);
    }
  core->file_name = g_path_get_basename (core->file);
  if (core->split == NULL)
    core->split = split ? g_strdup (split)
                                  : split_from_file_name (core->format, core->file_name);
  if (!g_file_test (core->file, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "%s: expected a %s file, got %s",
                   core->file, eigml_dataset_format_to_string (core->format),
                   g_file_test (core->file, G_FILE_TEST_EXISTS) ? "something else" : "nothing");
      return FALSE;
    }
  return TRUE;
}
