/* dataset-jsonl.c: Eigml's own JSON lines format, <split>.jsonl
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One example per line (see docs/datasets.md):
 *
 *   {"id": "d1", "dialogue": [{"speaker": "A", "text": "..."}],
 *    "sticker": "stickers/cat.png", "candidates": ["stickers/dog.png", ...],
 *    "emotion": [7 numbers] | "乐", "intent": {"xIntent": [...], ...}}
 *
 * A sticker id is the path of its image, relative to the dataset folder or
 * absolute. Loading keeps an EigmlLineEntry per example, the ids (to find
 * duplicates and join sidecars) and the stickers seen, from which the
 * negatives of lines without "candidates" are drawn.
 */
#include "config.h"

#include <string.h>

#include "eigml-error.h"
#include "dataset-private.h"

typedef struct
{
  EigmlDatasetCore *core;
  EigmlLineFile file;
  GArray *index;            /* EigmlLineEntry */
  GStringChunk *strings;    /* example and sticker ids */
  GHashTable *ids;          /* example id -> index + 1 */
  GPtrArray *universe;      /* sticker ids, in the order first seen */
  GHashTable *universe_set; /* sticker id -> position in universe + 1 */
  JsonParser *parser;       /* loading only */
} Jsonl;

/* What a line holds besides its turns. */
typedef struct
{
  char *id;
  const char *sticker;
  GPtrArray *candidates;    /* const char *, the positive among them; or NULL */
} Line;

static char *
sticker_path (EigmlDatasetCore *core,
              const char *sticker)
{
  return g_canonicalize_filename (sticker, core->folder);
}

static gboolean
check_file (EigmlDatasetCore *core,
            const EigmlJsonLoc *loc,
            const char *member,
            const char *sticker,
            GError **error)
{
  g_autofree char *path = sticker_path (core, sticker);

  if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return TRUE;
  eigml_dataset_set_error (error, loc, "field '%s': sticker '%s': no file %s", member, sticker,
                           path);
  return FALSE;
}

static gboolean
read_candidates (Jsonl *jl,
                 JsonArray *array,
                 const EigmlJsonLoc *loc,
                 gboolean loading,
                 Line *line,
                 GError **error)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  gboolean has_positive = FALSE;

  line->candidates = g_ptr_array_new ();
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      char member[32];
      const char *sticker;

      g_snprintf (member, sizeof member, "candidates[%u]", i);
      if (!eigml_json_read_text (node, loc, member, FALSE, &sticker, error))
        return FALSE;
      if (*sticker == '\0')
        {
          eigml_dataset_set_error (error, loc, "field '%s': expected a sticker, got an empty "
                                   "string", member);
          return FALSE;
        }
      if (!g_hash_table_add (seen, (gpointer) sticker))
        {
          eigml_dataset_set_error (error, loc, "field '%s': '%s' is already a candidate", member,
                                   sticker);
          return FALSE;
        }
      if (loading && !check_file (jl->core, loc, member, sticker, error))
        return FALSE;
      has_positive |= strcmp (sticker, line->sticker) == 0;
      g_ptr_array_add (line->candidates, (gpointer) sticker);
    }
  if (!has_positive)
    {
      eigml_dataset_set_error (error, loc, "field 'candidates': the sticker '%s' is not among "
                               "them", line->sticker);
      return FALSE;
    }
  return TRUE;
}

/* Reads one line; the strings of @line live as long as @root. */
static EigmlExample *
parse_line (Jsonl *jl,
            JsonParser *parser,
            const char *text,
            gsize length,
            const EigmlLineEntry *entry,
            gboolean loading,
            JsonNode **root,
            Line *line,
            GError **error)
{
  EigmlDatasetCore *core = jl->core;
  EigmlJsonLoc loc = { jl->file.name, entry->line, NULL };
  g_autoptr (EigmlExample) example = NULL;
  JsonObject *object, *intent;
  JsonArray *dialogue, *candidates;
  JsonNode *node;

  *root = eigml_json_parse (parser, text, length, &loc, NULL, error);
  if (*root == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (*root))
    {
      eigml_dataset_set_error (error, &loc, "expected an object, got %s", eigml_json_kind (*root));
      return NULL;
    }
  object = json_node_get_object (*root);
  if (!eigml_json_read_optional_id (eigml_json_member (object, "id"), &loc, "id", &line->id,
                                    error))
    return NULL;
  if (line->id == NULL)
    line->id = g_strdup_printf ("%s:%u", jl->file.name, entry->line);
  dialogue = eigml_json_read_array (eigml_json_member (object, "dialogue"), &loc, "dialogue",
                                    error);
  if (dialogue == NULL ||
      !eigml_json_read_text (eigml_json_member (object, "sticker"), &loc, "sticker", FALSE,
                             &line->sticker, error))
    return NULL;
  if (*line->sticker == '\0')
    {
      eigml_dataset_set_error (error, &loc, "field 'sticker': expected a sticker, got an empty "
                               "string");
      return NULL;
    }
  if (loading && !check_file (core, &loc, "sticker", line->sticker, error))
    return NULL;
  node = eigml_json_member (object, "candidates");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      candidates = eigml_json_read_array (node, &loc, "candidates", error);
      if (candidates == NULL || !read_candidates (jl, candidates, &loc, loading, line, error))
        return NULL;
    }

  example = eigml_example_new (g_strdup (line->id), jl->file.path, entry->line);
  for (guint t = 0; t < json_array_get_length (dialogue); t++)
    {
      char base[48];
      JsonObject *turn;
      g_autofree char *speaker = NULL;
      const char *turn_text;

      g_snprintf (base, sizeof base, "dialogue[%u]", t);
      loc.base = NULL;
      turn = eigml_json_read_object (json_array_get_element (dialogue, t), &loc, base, error);
      if (turn == NULL)
        return NULL;
      loc.base = base;
      if (!eigml_json_read_text (eigml_json_member (turn, "text"), &loc, "text", FALSE,
                                 &turn_text, error) ||
          !eigml_json_read_optional_id (eigml_json_member (turn, "speaker"), &loc, "speaker",
                                        &speaker, error))
        return NULL;
      eigml_example_add_turn (example, speaker, g_strdup (turn_text));
    }
  loc.base = NULL;

  node = eigml_json_member (object, "emotion");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      float emotion[EIGML_EMOTION_N_CATEGORIES];

      if (!eigml_json_read_emotion (node, &loc, "emotion", emotion, error))
        return NULL;
      eigml_example_set_emotion (example, emotion);
    }
  node = eigml_json_member (object, "intent");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      char **intents[EIGML_INTENT_N_RELATIONS] = { NULL };

      intent = eigml_json_read_object (node, &loc, "intent", error);
      loc.base = "intent";
      if (intent == NULL ||
          !eigml_json_read_intents (intent, &loc, EIGML_RELATIONS_ONLY, intents, error))
        return NULL;
      eigml_example_take_intents (example, intents);
    }
  return g_steal_pointer (&example);
}

static void
line_clear (Line *line)
{
  g_clear_pointer (&line->id, g_free);
  g_clear_pointer (&line->candidates, g_ptr_array_unref);
}

static void
universe_add (Jsonl *jl,
              const char *sticker)
{
  char *kept;

  if (g_hash_table_contains (jl->universe_set, sticker))
    return;
  kept = g_string_chunk_insert_const (jl->strings, sticker);
  g_ptr_array_add (jl->universe, kept);
  g_hash_table_insert (jl->universe_set, kept, GUINT_TO_POINTER (jl->universe->len));
}

static gboolean
load_line (const char *text,
           gsize length,
           const EigmlLineEntry *entry,
           gpointer user_data,
           GError **error)
{
  Jsonl *jl = user_data;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (EigmlExample) example = NULL;
  Line line = { NULL };
  GError *reason = NULL;
  gpointer previous;

  example = parse_line (jl, jl->parser, text, length, entry, TRUE, &root, &line, &reason);
  if (example != NULL && (previous = g_hash_table_lookup (jl->ids, line.id)) != NULL)
    {
      EigmlJsonLoc loc = { jl->file.name, entry->line, NULL };
      const EigmlLineEntry *first = &g_array_index (jl->index, EigmlLineEntry,
                                                    GPOINTER_TO_UINT (previous) - 1);

      eigml_dataset_set_error (&reason, &loc, "field 'id': '%s' is already the id of line %u",
                               line.id, first->line);
    }
  if (reason != NULL)
    {
      line_clear (&line);
      return eigml_dataset_core_reject (jl->core, reason, error);
    }
  g_array_append_val (jl->index, *entry);
  g_hash_table_insert (jl->ids, g_string_chunk_insert (jl->strings, line.id),
                       GUINT_TO_POINTER (jl->index->len));
  universe_add (jl, line.sticker);
  for (guint i = 0; line.candidates != NULL && i < line.candidates->len; i++)
    universe_add (jl, line.candidates->pdata[i]);
  line_clear (&line);
  return TRUE;
}

static void
jsonl_free (gpointer data)
{
  Jsonl *jl = data;

  eigml_line_file_close (&jl->file);
  g_clear_pointer (&jl->index, g_array_unref);
  g_clear_pointer (&jl->ids, g_hash_table_unref);
  g_clear_pointer (&jl->universe_set, g_hash_table_unref);
  g_clear_pointer (&jl->universe, g_ptr_array_unref);
  g_clear_pointer (&jl->strings, g_string_chunk_free);
  g_clear_object (&jl->parser);
  g_free (jl);
}

static gboolean
jsonl_load (EigmlDatasetCore *core,
            GCancellable *cancellable,
            GError **error)
{
  Jsonl *jl = g_new0 (Jsonl, 1);

  jl->file.fd = -1;
  core->data = jl;
  jl->core = core;
  jl->index = g_array_new (FALSE, FALSE, sizeof (EigmlLineEntry));
  jl->strings = g_string_chunk_new (4096);
  jl->ids = g_hash_table_new (g_str_hash, g_str_equal);
  jl->universe = g_ptr_array_new ();
  jl->universe_set = g_hash_table_new (g_str_hash, g_str_equal);
  if (!eigml_line_file_open (&jl->file, core->file, error))
    return FALSE;
  jl->parser = json_parser_new_immutable ();
  if (!eigml_line_file_scan (&jl->file, core, load_line, jl, cancellable, error))
    return FALSE;
  g_clear_object (&jl->parser);
  core->n_examples = jl->index->len;
  core->n_stickers = jl->universe->len;
  return TRUE;
}

static EigmlExample *
jsonl_get (EigmlDatasetCore *core,
           guint index,
           GError **error)
{
  Jsonl *jl = core->data;
  const EigmlLineEntry *entry = &g_array_index (jl->index, EigmlLineEntry, index);
  g_autofree char *text = eigml_line_file_read (&jl->file, entry, error);
  g_autoptr (JsonNode) root = NULL;
  EigmlExample *example;
  Line line = { NULL };
  EigmlRandom rng;

  if (text == NULL)
    return NULL;
  example = parse_line (jl, NULL, text, entry->length, entry, FALSE, &root, &line, error);
  if (example == NULL)
    {
      line_clear (&line);
      return NULL;
    }
  eigml_random_init (&rng, core->seed, index);
  eigml_example_add_candidate (example, line.sticker, sticker_path (core, line.sticker));
  if (line.candidates != NULL)
    {
      for (guint i = 0; i < line.candidates->len; i++)
        if (strcmp (line.candidates->pdata[i], line.sticker) != 0)
          eigml_example_add_candidate (example, line.candidates->pdata[i],
                                       sticker_path (core, line.candidates->pdata[i]));
      eigml_example_finish (example, 0, &rng);
    }
  else
    {
      guint position = GPOINTER_TO_UINT (g_hash_table_lookup (jl->universe_set, line.sticker));
      g_autofree guint *others = g_new (guint, core->n_candidates);
      guint n_others;

      n_others = eigml_random_pick_others (&rng, jl->universe->len,
                                           position > 0 ? position - 1 : G_MAXUINT,
                                           core->n_candidates - 1, others);
      for (guint i = 0; i < n_others; i++)
        {
          const char *sticker = jl->universe->pdata[others[i]];

          eigml_example_add_candidate (example, sticker, sticker_path (core, sticker));
        }
      eigml_example_finish (example, core->n_candidates, &rng);
    }
  line_clear (&line);
  return example;
}

static gboolean
jsonl_find (EigmlDatasetCore *core,
            const char *id,
            guint *index)
{
  Jsonl *jl = core->data;
  gpointer found = g_hash_table_lookup (jl->ids, id);

  if (found == NULL)
    return FALSE;
  *index = GPOINTER_TO_UINT (found) - 1;
  return TRUE;
}

static gsize
jsonl_index_bytes (EigmlDatasetCore *core)
{
  Jsonl *jl = core->data;

  /* the index and the hashed ids (the table's own nodes estimated at 3
   * words each) */
  return (gsize) jl->index->len * sizeof (EigmlLineEntry) +
         g_hash_table_size (jl->ids) * 3 * sizeof (gpointer);
}

const EigmlDatasetReader eigml_dataset_jsonl_reader = {
  jsonl_load,
  jsonl_get,
  jsonl_find,
  jsonl_index_bytes,
  jsonl_free,
};
