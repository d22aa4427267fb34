/* dataset-stickerchat.c: StickerChat's release_<split>.json and
 * npy_stickers/
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Loading checks every line (JSON, fields, the positive's .npy file) and
 * keeps an EigmlLineEntry per example, 16 bytes. Each sticker set the
 * split names is listed once: its .npy files, sorted, and its candidate
 * order (emoji_mapping.txt order, or the sorted files when the set has no
 * mapping). An example is read again from its line when asked for.
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "eigml-error.h"
#include "dataset-private.h"

#define MAX_MAPPING_FILE (16u << 20)

typedef struct
{
  char **files;         /* the set's "<sticker_id>.npy", sorted by strcmp */
  guint n_files;
  guint32 *order;       /* candidate order, as indices into files */
  guint n_order;
} StickerSet;

typedef struct
{
  EigmlDatasetCore *core;
  EigmlLineFile file;
  GArray *index;            /* EigmlLineEntry */
  char *stickers_dir;       /* <folder>/npy_stickers */
  GHashTable *sets;         /* sticker_set_id -> StickerSet */
  JsonParser *parser;       /* loading only */
} StickerChat;

static void
sticker_set_free (gpointer data)
{
  StickerSet *set = data;

  g_strfreev (set->files);
  g_free (set->order);
  g_free (set);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static gssize
set_find (const StickerSet *set,
          const char *file_name)
{
  gsize lo = 0, hi = set->n_files;

  while (lo < hi)
    {
      gsize mid = lo + (hi - lo) / 2;
      int c = strcmp (file_name, set->files[mid]);

      if (c == 0)
        return (gssize) mid;
      if (c > 0)
        lo = mid + 1;
      else
        hi = mid;
    }
  return -1;
}

/* emoji_mapping.txt: lines "<sticker_id>\t<emoji>". The text before the
 * first tab names a sticker (a ".npy" suffix is accepted); stickers
 * without a file in the set, and repeats, are passed over. */
static void
set_read_mapping (StickerSet *set,
                  const char *contents,
                  gsize length)
{
  g_autofree guint8 *seen = g_malloc0 (set->n_files + 1);
  g_autoptr (GArray) order = g_array_new (FALSE, FALSE, sizeof (guint32));
  const char *p = contents, *end = contents + length;

  while (p < end)
    {
      const char *nl = memchr (p, '\n', (gsize) (end - p));
      const char *line_end = nl ? nl : end;
      const char *tab = memchr (p, '\t', (gsize) (line_end - p));
      g_autofree char *name = g_strndup (p, (gsize) ((tab ? tab : line_end) - p));
      g_autofree char *file_name = NULL;
      gssize found;

      p = nl ? nl + 1 : end;
      g_strstrip (name);
      if (*name == '\0')
        continue;
      file_name = g_str_has_suffix (name, ".npy") ? g_strdup (name)
                                                  : g_strconcat (name, ".npy", NULL);
      found = set_find (set, file_name);
      if (found < 0 || seen[found])
        continue;
      seen[found] = 1;
      g_array_append_val (order, found);
    }
  set->n_order = order->len;
  set->order = (guint32 *) g_array_free (g_steal_pointer (&order), FALSE);
}

/* Lists a set's folder; a set without a folder has no stickers. */
static StickerSet *
set_load (StickerChat *sc,
          const char *set_id,
          GError **error)
{
  g_autofree char *dir_path = g_build_filename (sc->stickers_dir, set_id, NULL);
  g_autofree char *mapping_path = g_build_filename (dir_path, "emoji_mapping.txt", NULL);
  g_autoptr (GPtrArray) files = g_ptr_array_new ();
  g_autofree char *contents = NULL;
  StickerSet *set = g_new0 (StickerSet, 1);
  gsize length = 0;
  GDir *dir;

  dir = g_dir_open (dir_path, 0, NULL);
  if (dir != NULL)
    {
      const char *name;

      while ((name = g_dir_read_name (dir)) != NULL)
        if (g_str_has_suffix (name, ".npy") && strlen (name) > 4)
          g_ptr_array_add (files, g_strdup (name));
      g_dir_close (dir);
    }
  g_ptr_array_sort (files, compare_names);
  set->n_files = files->len;
  g_ptr_array_add (files, NULL);
  set->files = (char **) g_ptr_array_free (g_steal_pointer (&files), FALSE);

  if (g_file_test (mapping_path, G_FILE_TEST_IS_REGULAR))
    {
      GStatBuf st;

      if (g_stat (mapping_path, &st) == 0 && st.st_size > MAX_MAPPING_FILE)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s: %" G_GINT64_FORMAT " bytes (at most %u are read)", mapping_path,
                       (gint64) st.st_size, MAX_MAPPING_FILE);
          sticker_set_free (set);
          return NULL;
        }
      if (!g_file_get_contents (mapping_path, &contents, &length, error))
        {
          sticker_set_free (set);
          return NULL;
        }
      set_read_mapping (set, contents, length);
    }
  else
    {
      set->n_order = set->n_files;
      set->order = g_new (guint32, set->n_files + 1);
      for (guint i = 0; i < set->n_files; i++)
        set->order[i] = i;
    }
  return set;
}

/* A sticker of a set as a candidate: id "<set>/<sticker>", its .npy path */
static void
add_candidate (StickerChat *sc,
               EigmlExample *example,
               const char *set_id,
               const char *file_name)
{
  g_autofree char *id = g_strdup_printf ("%s/%.*s", set_id, (int) strlen (file_name) - 4,
                                         file_name);

  eigml_example_add_candidate (example, id,
                               g_build_filename (sc->stickers_dir, set_id, file_name, NULL));
}

/* Reads one line into an example (turns and positive); with @candidates,
 * adds the negatives and shuffles them for example @index. During loading
 * (@loading) new sets are listed; afterwards the set table is only read. */
static EigmlExample *
parse_line (StickerChat *sc,
            JsonParser *parser,
            const char *text,
            gsize length,
            const EigmlLineEntry *entry,
            gboolean loading,
            gboolean candidates,
            guint index,
            GError **error)
{
  EigmlDatasetCore *core = sc->core;
  EigmlJsonLoc loc = { sc->file.name, entry->line, NULL };
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (EigmlExample) example = NULL;
  g_autofree char *set_id = NULL;
  g_autofree char *sticker_id = NULL;
  g_autofree char *file_name = NULL;
  JsonObject *object, *current;
  JsonArray *context;
  StickerSet *set;
  gssize positive;

  root = eigml_json_parse (parser, text, length, &loc, NULL, error);
  if (root == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      eigml_dataset_set_error (error, &loc, "expected an object, got %s", eigml_json_kind (root));
      return NULL;
    }
  object = json_node_get_object (root);
  context = eigml_json_read_array (eigml_json_member (object, "context"), &loc, "context", error);
  if (context == NULL)
    return NULL;
  current = eigml_json_read_object (eigml_json_member (object, "current"), &loc, "current", error);
  if (current == NULL)
    return NULL;
  loc.base = "current";
  if (!eigml_json_read_id (eigml_json_member (current, "sticker_set_id"), &loc, "sticker_set_id",
                           &set_id, error) ||
      !eigml_dataset_check_name (set_id, &loc, "sticker_set_id", error) ||
      !eigml_json_read_id (eigml_json_member (current, "sticker_id"), &loc, "sticker_id",
                           &sticker_id, error) ||
      !eigml_dataset_check_name (sticker_id, &loc, "sticker_id", error))
    return NULL;

  example = eigml_example_new (g_strdup_printf ("%s:%u", core->split, entry->line),
                               sc->file.path, entry->line);
  for (guint t = 0; t < json_array_get_length (context); t++)
    {
      char base[48];
      JsonObject *turn;
      g_autofree char *speaker = NULL;
      const char *turn_text;

      g_snprintf (base, sizeof base, "context[%u]", t);
      loc.base = NULL;
      turn = eigml_json_read_object (json_array_get_element (context, t), &loc, base, error);
      if (turn == NULL)
        return NULL;
      loc.base = base;
      if (!eigml_json_read_text (eigml_json_member (turn, "text"), &loc, "text", TRUE, &turn_text,
                                 error) ||
          !eigml_json_read_optional_id (eigml_json_member (turn, "from_id"), &loc, "from_id",
                                        &speaker, error))
        return NULL;
      eigml_example_add_turn (example, speaker, eigml_dataset_join_cjk (turn_text ? turn_text : ""));
    }

  set = g_hash_table_lookup (sc->sets, set_id);
  if (set == NULL && loading)
    {
      set = set_load (sc, set_id, error);
      if (set == NULL)
        return NULL;
      g_hash_table_insert (sc->sets, g_strdup (set_id), set);
      core->n_stickers += set->n_files;
    }
  file_name = g_strconcat (sticker_id, ".npy", NULL);
  positive = set ? set_find (set, file_name) : -1;
  if (positive < 0)
    {
      eigml_dataset_set_error (error, &loc, "sticker %s/%s: no file npy_stickers/%s/%s",
                               set_id, sticker_id, set_id, file_name);
      return NULL;
    }
  add_candidate (sc, example, set_id, file_name);
  if (candidates)
    {
      EigmlRandom rng;

      /* the set's other stickers, compared by file, never the positive */
      for (guint i = 0; i < set->n_order && example->candidate_ids->len < core->n_candidates; i++)
        {
          if ((gssize) set->order[i] != positive)
            add_candidate (sc, example, set_id, set->files[set->order[i]]);
        }
      eigml_random_init (&rng, core->seed, index);
      eigml_example_finish (example, core->n_candidates, &rng);
    }
  return g_steal_pointer (&example);
}

static gboolean
load_line (const char *text,
           gsize length,
           const EigmlLineEntry *entry,
           gpointer user_data,
           GError **error)
{
  StickerChat *sc = user_data;
  GError *reason = NULL;
  EigmlExample *example;

  example = parse_line (sc, sc->parser, text, length, entry, TRUE, FALSE, 0, &reason);
  if (example == NULL)
    return eigml_dataset_core_reject (sc->core, reason, error);
  eigml_example_unref (example);
  g_array_append_val (sc->index, *entry);
  return TRUE;
}

static void
stickerchat_free (gpointer data)
{
  StickerChat *sc = data;

  eigml_line_file_close (&sc->file);
  g_clear_pointer (&sc->index, g_array_unref);
  g_clear_pointer (&sc->sets, g_hash_table_unref);
  g_clear_object (&sc->parser);
  g_free (sc->stickers_dir);
  g_free (sc);
}

static gboolean
stickerchat_load (EigmlDatasetCore *core,
                  GCancellable *cancellable,
                  GError **error)
{
  StickerChat *sc = g_new0 (StickerChat, 1);

  sc->file.fd = -1;
  core->data = sc;
  sc->core = core;
  sc->index = g_array_new (FALSE, FALSE, sizeof (EigmlLineEntry));
  sc->sets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, sticker_set_free);
  sc->stickers_dir = g_build_filename (core->folder, "npy_stickers", NULL);
  if (!g_file_test (sc->stickers_dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                   "%s: no npy_stickers/ folder beside %s (StickerChat keeps its stickers there)",
                   core->folder, core->file_name);
      return FALSE;
    }
  if (!eigml_line_file_open (&sc->file, core->file, error))
    return FALSE;
  sc->parser = json_parser_new_immutable ();
  if (!eigml_line_file_scan (&sc->file, core, load_line, sc, cancellable, error))
    return FALSE;
  g_clear_object (&sc->parser);
  core->n_examples = sc->index->len;
  return TRUE;
}

static EigmlExample *
stickerchat_get (EigmlDatasetCore *core,
                 guint index,
                 GError **error)
{
  StickerChat *sc = core->data;
  const EigmlLineEntry *entry = &g_array_index (sc->index, EigmlLineEntry, index);
  g_autofree char *text = eigml_line_file_read (&sc->file, entry, error);

  if (text == NULL)
    return NULL;
  return parse_line (sc, NULL, text, entry->length, entry, FALSE, TRUE, index, error);
}

/* "<split>:<line>" */
static gboolean
stickerchat_find (EigmlDatasetCore *core,
                  const char *id,
                  guint *index)
{
  StickerChat *sc = core->data;
  gsize split_len = strlen (core->split);
  guint64 line;
  gssize found;

  if (strncmp (id, core->split, split_len) != 0 || id[split_len] != ':' ||
      !g_ascii_string_to_unsigned (id + split_len + 1, 10, 1, G_MAXUINT32, &line, NULL))
    return FALSE;
  found = eigml_line_index_find (sc->index, (guint) line);
  if (found < 0)
    return FALSE;
  *index = (guint) found;
  return TRUE;
}

static gsize
stickerchat_index_bytes (EigmlDatasetCore *core)
{
  StickerChat *sc = core->data;

  return (gsize) sc->index->len * sizeof (EigmlLineEntry);
}

const EigmlDatasetReader eigml_dataset_stickerchat_reader = {
  stickerchat_load,
  stickerchat_get,
  stickerchat_find,
  stickerchat_index_bytes,
  stickerchat_free,
};
