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
 *
 * EigmlIntentSource reads intent sidecars too, through
 * eigml_sidecar_parse_intents(), more strictly: there a line holds "id" and
 * the relations and nothing else.
 */
#include "config.h"

#include "eigml-error.h"
#include "dataset-private.h"

typedef struct
{
  EigmlSidecar *sidecar;
  guint n_unmatched;
} SidecarLoad;

/* The object of one sidecar line, and its id in *@id. */
static JsonNode *
parse_object (const char *text,
              gsize length,
              const EigmlJsonLoc *loc,
              char **id,
              GError **error)
{
  g_autoptr (JsonNode) root = NULL;

  root = eigml_json_parse (NULL, text, length, loc, NULL, error);
  if (root == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      eigml_dataset_set_error (error, loc, "expected an object, got %s", eigml_json_kind (root));
      return NULL;
    }
  if (!eigml_json_read_id (eigml_json_member (json_node_get_object (root), "id"), loc, "id", id,
                           error))
    return NULL;
  return g_steal_pointer (&root);
}

/* One line of an intent sidecar, {"id": ..., "xIntent": [...], ...}: sets
 * *@id and the four lists of @intents (a missing relation is an empty
 * list). @members says whether members other than "id" and the relations
 * are passed over (the dataset's sidecar, so that one file can also hold
 * the emotion) or are errors (EigmlIntentSource). */
gboolean
eigml_sidecar_parse_intents (const char *text,
                             gsize length,
                             const EigmlJsonLoc *loc,
                             EigmlRelationMembers members,
                             char **id,
                             char **intents[EIGML_INTENT_N_RELATIONS],
                             GError **error)
{
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *found = NULL;

  root = parse_object (text, length, loc, &found, error);
  if (root == NULL ||
      !eigml_json_read_intents (json_node_get_object (root), loc, members, intents, error))
    return FALSE;
  *id = g_steal_pointer (&found);
  return TRUE;
}

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
  float emotion[EIGML_EMOTION_N_CATEGORIES];

  if (sidecar->intents)
    {
      char **intents[EIGML_INTENT_N_RELATIONS] = { NULL };

      if (!eigml_sidecar_parse_intents (text, length, &loc, EIGML_RELATIONS_OTHERS_IGNORED, id,
                                        intents, error))
        return FALSE;
      if (example != NULL)
        eigml_example_take_intents (example, intents);
      eigml_relation_lists_clear (intents);
      return TRUE;
    }
  root = parse_object (text, length, &loc, id, error);
  if (root == NULL ||
      !eigml_json_read_emotion (eigml_json_member (json_node_get_object (root), "emotion"), &loc,
                                "emotion", emotion, error))
    return FALSE;
  if (example != NULL)
    eigml_example_set_emotion (example, emotion);
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
