/* dataset-sidecar.c: emotion and intent sidecar files, joined to examples
 * by id
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A sidecar is JSON lines, one object per example:
 *
 *   {"id": "train:12", "emotion": [7 numbers] | "乐"}
 *   {"id": "train:12", "xIntent": [...], "xNeed": [...], "xWant": [...], "xEffect": [...]}
 *
 * Loading checks every line and keeps, per example, where its line is; the
 * line is parsed again when the example is read. Lines whose id names no
 * example of the dataset (another split, a skipped record) are passed
 * over. Sidecar errors always stop the load: skip-bad is for the dataset's
 * own records.
 */
#include "config.h"

#include "eigml-error.h"
#include "dataset-private.h"

typedef struct
{
  EigmlSidecar *sidecar;
  guint n_unmatched;
} SidecarLoad;

/* Parses a sidecar line; on success sets *id and fills @example when it is
 * not NULL. */
static gboolean
parse_line (EigmlSidecar *sidecar,
            const char *text,
            gsize length,
            const EigmlLineEntry *entry,
            char **id,
            EigmlExample *example,
            GError **error)
{
  EigmlJsonLoc loc = { sidecar->file.name, entry->line, NULL };
  g_autoptr (JsonNode) root = NULL;
  JsonObject *object;

  root = eigml_json_parse (NULL, text, length, &loc, NULL, error);
  if (root == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      eigml_dataset_set_error (error, &loc, "expected an object, got %s", eigml_json_kind (root));
      return FALSE;
    }
  object = json_node_get_object (root);
  if (!eigml_json_read_id (eigml_json_member (object, "id"), &loc, "id", id, error))
    return FALSE;
  if (sidecar->intents)
    {
      char **intents[EIGML_INTENT_N_RELATIONS] = { NULL };

      if (!eigml_json_read_intents (object, &loc, FALSE, intents, error))
        return FALSE;
      if (example != NULL)
        eigml_example_take_intents (example, intents);
      eigml_intents_clear (intents);
    }
  else
    {
      float emotion[EIGML_EMOTION_N_CATEGORIES];

      if (!eigml_json_read_emotion (eigml_json_member (object, "emotion"), &loc, "emotion",
                                    emotion, error))
        return FALSE;
      if (example != NULL)
        eigml_example_set_emotion (example, emotion);
    }
  return TRUE;
}

static gboolean
load_line (const char *text,
           gsize length,
           const EigmlLineEntry *entry,
           gpointer user_data,
           GError **error)
{
  SidecarLoad *load = user_data;
  EigmlSidecar *sidecar = load->sidecar;
  EigmlDatasetCore *core = sidecar->core;
  g_autofree char *id = NULL;
  EigmlLineEntry *slot;
  guint index;

  if (!parse_line (sidecar, text, length, entry, &id, NULL, error))
    return FALSE;
  if (!core->reader->find (core, id, &index))
    {
      load->n_unmatched++;
      return TRUE;
    }
  slot = &g_array_index (sidecar->entries, EigmlLineEntry, index);
  if (slot->length > 0)
    {
      EigmlJsonLoc loc = { sidecar->file.name, entry->line, NULL };

      eigml_dataset_set_error (error, &loc, "field 'id': '%s' is already given on line %u", id,
                               slot->line);
      return FALSE;
    }
  *slot = *entry;
  return TRUE;
}

gboolean
eigml_sidecar_load (EigmlSidecar *sidecar,
                    EigmlDatasetCore *core,
                    const char *path,
                    gboolean intents,
                    GCancellable *cancellable,
                    GError **error)
{
  SidecarLoad load = { sidecar, 0 };

  sidecar->core = core;
  sidecar->intents = intents;
  sidecar->entries = g_array_new (FALSE, TRUE, sizeof (EigmlLineEntry));
  g_array_set_size (sidecar->entries, core->n_examples);
  if (!eigml_line_file_open (&sidecar->file, path, error) ||
      !eigml_line_file_scan (&sidecar->file, NULL, load_line, &load, cancellable, error))
    return FALSE;
  if (load.n_unmatched > 0)
    g_debug ("%s: %u lines name no example of %s", sidecar->file.name, load.n_unmatched,
             core->file_name);
  return TRUE;
}

/* Adds example @index's emotion or intents, when the sidecar has them. */
gboolean
eigml_sidecar_apply (EigmlSidecar *sidecar,
                     guint index,
                     EigmlExample *example,
                     GError **error)
{
  const EigmlLineEntry *entry;
  g_autofree char *text = NULL;
  g_autofree char *id = NULL;

  if (sidecar->entries == NULL)
    return TRUE;
  entry = &g_array_index (sidecar->entries, EigmlLineEntry, index);
  if (entry->length == 0)
    return TRUE;
  text = eigml_line_file_read (&sidecar->file, entry, error);
  return text != NULL && parse_line (sidecar, text, entry->length, entry, &id, example, error);
}

gsize
eigml_sidecar_index_bytes (EigmlSidecar *sidecar)
{
  return sidecar->entries ? (gsize) sidecar->entries->len * sizeof (EigmlLineEntry) : 0;
}

void
eigml_sidecar_clear (EigmlSidecar *sidecar)
{
  eigml_line_file_close (&sidecar->file);
  g_clear_pointer (&sidecar->entries, g_array_unref);
}
