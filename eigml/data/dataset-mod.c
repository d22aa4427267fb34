/* dataset-mod.c: DSTC10-MOD (Chinese): c_<split>_task2.json (meme
 * retrieval) or c_<split>.json (training dialogues), img2id.json and
 * meme_set/
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A MOD file is one JSON document: it is parsed once, turned into compact
 * records (texts in one string chunk, turns shared by all the examples of a
 * dialogue) and the tree is freed.
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "eigml-error.h"
#include "dataset-private.h"

typedef struct
{
  const char *speaker;
  const char *text;
} ModTurn;

typedef struct
{
  const char *id;
  guint32 line;
  guint32 first_turn;       /* into turns */
  guint32 n_turns;
  guint32 positive;         /* into memes */
  guint32 first_given;      /* into given */
  guint32 n_given;          /* 0: negatives drawn from all memes */
} ModExample;

typedef struct
{
  const char *img_id;       /* as img2id.json writes it */
  const char *path;
} ModMeme;

typedef struct
{
  EigmlDatasetCore *core;
  const char *file_name;
  GStringChunk *strings;
  GArray *turns;            /* ModTurn */
  GArray *examples;         /* ModExample */
  GArray *given;            /* guint32 meme of task-2 candidate sets */
  GArray *memes;            /* ModMeme */
  GHashTable *meme_index;   /* normalised img_id -> meme + 1 */
  GHashTable *ids;          /* example id -> index + 1 */
} Mod;

/* A turn as read, before it is kept. */
typedef struct
{
  char *speaker;
  const char *text;         /* in the tree; NULL or empty: no text */
  char *img_id;
  guint line;
} ReadTurn;

static void
read_turn_clear (gpointer data)
{
  ReadTurn *turn = data;

  g_free (turn->speaker);
  g_free (turn->img_id);
}

/* img_id "030", "30" and 30 are the same meme: digits compare as numbers. */
static char *
normalise_img_id (const char *img_id)
{
  const char *p = img_id;

  for (const char *c = img_id; *c != '\0'; c++)
    if (!g_ascii_isdigit (*c))
      return g_strdup (img_id);
  while (p[0] == '0' && p[1] != '\0')
    p++;
  return g_strdup (p);
}

static gboolean
meme_lookup (Mod *mod,
             const char *img_id,
             guint32 *meme)
{
  g_autofree char *key = normalise_img_id (img_id);
  gpointer found = g_hash_table_lookup (mod->meme_index, key);

  if (found == NULL)
    return FALSE;
  *meme = GPOINTER_TO_UINT (found) - 1;
  return TRUE;
}

static gboolean
unknown_meme (const EigmlJsonLoc *loc,
              const char *member,
              const char *img_id,
              GError **error)
{
  if (loc->base != NULL)
    eigml_dataset_set_error (error, loc, "field '%s.%s': '%s' is not a meme of img2id.json with "
                             "a file in meme_set/", loc->base, member, img_id);
  else
    eigml_dataset_set_error (error, loc, "field '%s': '%s' is not a meme of img2id.json with a "
                             "file in meme_set/", member, img_id);
  return FALSE;
}

static JsonNode *
read_document (const char *path,
               const EigmlJsonLoc *loc,
               EigmlJsonLines *lines,
               GError **error)
{
  g_autofree char *contents = NULL;
  gsize length = 0;
  GStatBuf st;

  if (g_stat (path, &st) == 0 && (guint64) st.st_size > EIGML_DATASET_MAX_DOCUMENT)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: %" G_GINT64_FORMAT " bytes (at most %u are read)", path,
                   (gint64) st.st_size, EIGML_DATASET_MAX_DOCUMENT);
      return NULL;
    }
  if (!g_file_get_contents (path, &contents, &length, error))
    return NULL;
  return eigml_json_parse (NULL, contents, length, loc, lines, error);
}

/* img2id.json: an object, image file name -> img_id. Memes whose file is
 * missing from meme_set/ are left out; an img_id given twice keeps its
 * first file. */
static gboolean
load_memes (Mod *mod,
            GError **error)
{
  EigmlDatasetCore *core = mod->core;
  g_autofree char *path = g_build_filename (core->folder, "img2id.json", NULL);
  g_autofree char *meme_dir = g_build_filename (core->folder, "meme_set", NULL);
  EigmlJsonLoc loc = { "img2id.json", 0, NULL };
  EigmlJsonLines lines;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GList) members = NULL;
  JsonObject *object;
  guint ordinal = 0;
  gboolean ok = TRUE;

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR) || !g_file_test (meme_dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                   "%s: DSTC10-MOD needs img2id.json and the meme_set/ folder beside %s",
                   core->folder, core->file_name);
      return FALSE;
    }
  eigml_json_lines_init (&lines);
  root = read_document (path, &loc, &lines, error);
  if (root == NULL)
    ok = FALSE;
  else if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      eigml_dataset_set_error (error, &loc, "expected an object (image file name -> img_id), "
                               "got %s", eigml_json_kind (root));
      ok = FALSE;
    }
  if (!ok)
    {
      eigml_json_lines_clear (&lines);
      return FALSE;
    }
  object = json_node_get_object (root);
  members = json_object_get_members (object);
  for (GList *l = members; l != NULL && ok; l = l->next, ordinal++)
    {
      const char *name = l->data;
      g_autofree char *img_id = NULL;
      g_autofree char *key = NULL;
      g_autofree char *meme_path = NULL;
      ModMeme meme;

      loc.line = lines.depth1->len == json_object_get_size (object) && ordinal < lines.depth1->len
                   ? g_array_index (lines.depth1, guint32, ordinal) : 0;
      if (!eigml_json_read_id (json_object_get_member (object, name), &loc, name, &img_id,
                               error) ||
          !eigml_dataset_check_name (name, &loc, name, error))
        {
          ok = FALSE;
          break;
        }
      meme_path = g_build_filename (meme_dir, name, NULL);
      key = normalise_img_id (img_id);
      if (!g_file_test (meme_path, G_FILE_TEST_IS_REGULAR) ||
          g_hash_table_contains (mod->meme_index, key))
        continue;
      meme.img_id = g_string_chunk_insert (mod->strings, img_id);
      meme.path = g_string_chunk_insert (mod->strings, meme_path);
      g_array_append_val (mod->memes, meme);
      g_hash_table_insert (mod->meme_index, g_string_chunk_insert (mod->strings, key),
                           GUINT_TO_POINTER (mod->memes->len));
    }
  eigml_json_lines_clear (&lines);
  return ok;
}

/* A turn {speaker_id, txt?, img_id?, emotion_id?}; emotion_id is MOD's
 * own label set, not read. */
static gboolean
read_turn (JsonNode *node,
           const EigmlJsonLoc *loc,
           const char *where,
           gboolean want_img,
           ReadTurn *turn,
           GError **error)
{
  g_autofree char *path = loc->base ? g_strconcat (loc->base, where[0] == '[' ? "" : ".", where,
                                                   NULL)
                                    : g_strdup (where);
  EigmlJsonLoc at = { loc->file, loc->line, path };
  JsonObject *object;

  object = eigml_json_read_object (node, loc, where, error);
  if (object == NULL)
    return FALSE;
  return eigml_json_read_optional_id (eigml_json_member (object, "speaker_id"), &at, "speaker_id",
                                      &turn->speaker, error) &&
         eigml_json_read_text (eigml_json_member (object, "txt"), &at, "txt", TRUE, &turn->text,
                               error) &&
         (!want_img || eigml_json_read_optional_id (eigml_json_member (object, "img_id"), &at,
                                                    "img_id", &turn->img_id, error));
}

/* Keeps a turn's text, when it has one: a turn with only a meme is no
 * part of a history. */
static gboolean
keep_turn (Mod *mod,
           const ReadTurn *read)
{
  ModTurn turn;

  if (read->text == NULL || *read->text == '\0')
    return FALSE;
  turn.speaker = g_string_chunk_insert_const (mod->strings, read->speaker ? read->speaker : "");
  turn.text = g_string_chunk_insert (mod->strings, read->text);
  g_array_append_val (mod->turns, turn);
  return TRUE;
}

static void
add_example (Mod *mod,
             ModExample *example,
             const char *id)
{
  example->id = g_string_chunk_insert (mod->strings, id);
  g_array_append_val (mod->examples, *example);
  g_hash_table_insert (mod->ids, (gpointer) example->id, GUINT_TO_POINTER (mod->examples->len));
}

/* Task 2: [{history, candidate: {set}, answer: {img_id}}]. Without
 * "candidate", the negatives are drawn as for the dialogues. */
static gboolean
read_item (Mod *mod,
           JsonNode *node,
           guint i,
           guint line,
           GError **error)
{
  EigmlDatasetCore *core = mod->core;
  EigmlJsonLoc loc = { mod->file_name, line, NULL };
  g_autoptr (GArray) turns = g_array_new (FALSE, TRUE, sizeof (ReadTurn));
  g_autoptr (GArray) given = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autofree char *answer_id = NULL;
  g_autofree char *id = NULL;
  char base[32], member[48];
  JsonObject *item, *answer, *candidate;
  JsonArray *history, *set;
  ModExample example = { NULL, line, 0, 0, 0, 0, 0 };
  gboolean has_answer = FALSE;
  JsonNode *candidate_node;

  g_array_set_clear_func (turns, read_turn_clear);
  g_snprintf (base, sizeof base, "[%u]", i);
  item = eigml_json_read_object (node, &loc, base, error);
  if (item == NULL)
    return FALSE;
  loc.base = base;
  history = eigml_json_read_array (eigml_json_member (item, "history"), &loc, "history", error);
  if (history == NULL)
    return FALSE;
  g_array_set_size (turns, json_array_get_length (history));
  for (guint t = 0; t < turns->len; t++)
    {
      g_snprintf (member, sizeof member, "history[%u]", t);
      if (!read_turn (json_array_get_element (history, t), &loc, member, FALSE,
                      &g_array_index (turns, ReadTurn, t), error))
        return FALSE;
    }
  answer = eigml_json_read_object (eigml_json_member (item, "answer"), &loc, "answer", error);
  if (answer == NULL)
    return FALSE;
  g_snprintf (member, sizeof member, "%s.answer", base);
  loc.base = member;
  if (!eigml_json_read_id (eigml_json_member (answer, "img_id"), &loc, "img_id", &answer_id,
                           error))
    return FALSE;
  if (!meme_lookup (mod, answer_id, &example.positive))
    return unknown_meme (&loc, "img_id", answer_id, error);

  loc.base = base;
  candidate_node = eigml_json_member (item, "candidate");
  if (candidate_node != NULL && !JSON_NODE_HOLDS_NULL (candidate_node))
    {
      candidate = eigml_json_read_object (candidate_node, &loc, "candidate", error);
      if (candidate == NULL)
        return FALSE;
      g_snprintf (member, sizeof member, "%s.candidate", base);
      loc.base = member;
      set = eigml_json_read_array (eigml_json_member (candidate, "set"), &loc, "set", error);
      if (set == NULL)
        return FALSE;
      for (guint c = 0; c < json_array_get_length (set); c++)
        {
          g_autofree char *img_id = NULL;
          char where[32];
          guint32 meme;

          g_snprintf (where, sizeof where, "set[%u]", c);
          if (!eigml_json_read_id (json_array_get_element (set, c), &loc, where, &img_id, error))
            return FALSE;
          if (!meme_lookup (mod, img_id, &meme))
            return unknown_meme (&loc, where, img_id, error);
          for (guint k = 0; k < given->len; k++)
            if (g_array_index (given, guint32, k) == meme)
              {
                eigml_dataset_set_error (error, &loc, "field '%s.%s': '%s' is already in the set",
                                         member, where, img_id);
                return FALSE;
              }
          has_answer |= meme == example.positive;
          g_array_append_val (given, meme);
        }
      if (!has_answer)
        {
          eigml_dataset_set_error (error, &loc, "field '%s.set': the answer '%s' is not in it",
                                   member, answer_id);
          return FALSE;
        }
      example.first_given = mod->given->len;
      example.n_given = given->len;
      g_array_append_vals (mod->given, given->data, given->len);
    }

  example.first_turn = mod->turns->len;
  for (guint t = 0; t < turns->len; t++)
    keep_turn (mod, &g_array_index (turns, ReadTurn, t));
  example.n_turns = mod->turns->len - example.first_turn;
  id = g_strdup_printf ("%s:%u", core->split, i);
  add_example (mod, &example, id);
  return TRUE;
}

/* The line of turn @t of the dialogue that is depth-1 value @d, or 0. */
static guint
turn_line (const EigmlJsonLines *lines,
           const guint32 *first2,
           gboolean lines_ok,
           guint d,
           guint t,
           guint n_turns)
{
  guint32 begin, count;

  if (!lines_ok)
    return 0;
  begin = first2[d];
  count = first2[d + 1] - begin;
  if (count != n_turns || t >= count)
    return 0;
  return g_array_index (lines->depth2, guint32, begin + t);
}

/* Training dialogues: {"dialogue N": [turns]}. Every turn with an img_id
 * is an example; its history is the text of the turns before it. */
static gboolean
read_dialogues (Mod *mod,
                JsonObject *object,
                const EigmlJsonLines *lines,
                GError **error)
{
  EigmlDatasetCore *core = mod->core;
  g_autoptr (GList) members = json_object_get_members (object);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree guint32 *first2 = NULL;
  guint n_members = json_object_get_size (object);
  gboolean lines_ok = lines->depth1->len == n_members;
  guint d = 0;

  /* where each dialogue's turns start among the depth-2 values */
  first2 = g_new0 (guint32, lines->depth1->len + 1);
  for (guint k = 0, p = 0; k <= lines->depth1->len; k++)
    {
      while (p < lines->depth2_parent->len && g_array_index (lines->depth2_parent, guint32, p) < k)
        p++;
      first2[k] = p;
    }

  for (GList *l = members; l != NULL; l = l->next, d++)
    {
      const char *key = l->data;
      guint dialogue_line = lines_ok ? g_array_index (lines->depth1, guint32, d) : 0;
      EigmlJsonLoc loc = { mod->file_name, dialogue_line, NULL };
      g_autoptr (GArray) turns = g_array_new (FALSE, TRUE, sizeof (ReadTurn));
      g_autofree char *base = NULL;
      GError *reason = NULL;
      guint first_turn, n_text = 0;
      JsonArray *dialogue;

      if (!g_hash_table_add (seen, (gpointer) key))
        continue;
      g_array_set_clear_func (turns, read_turn_clear);
      base = g_strdup_printf ("\"%s\"", key);
      dialogue = eigml_json_read_array (json_object_get_member (object, key), &loc, base, &reason);
      if (dialogue != NULL)
        {
          g_array_set_size (turns, json_array_get_length (dialogue));
          loc.base = base;
          for (guint t = 0; t < turns->len && reason == NULL; t++)
            {
              char where[32];
              ReadTurn *turn = &g_array_index (turns, ReadTurn, t);

              g_snprintf (where, sizeof where, "[%u]", t);
              turn->line = turn_line (lines, first2, lines_ok, d, t, turns->len);
              loc.line = turn->line ? turn->line : dialogue_line;
              read_turn (json_array_get_element (dialogue, t), &loc, where, TRUE, turn, &reason);
            }
        }
      if (reason != NULL)
        {
          if (!eigml_dataset_core_reject (core, reason, error))
            return FALSE;
          continue;
        }

      first_turn = mod->turns->len;
      for (guint t = 0; t < turns->len; t++)
        {
          ReadTurn *turn = &g_array_index (turns, ReadTurn, t);

          if (turn->img_id != NULL)
            {
              ModExample example = { NULL, turn->line, first_turn, n_text, 0, 0, 0 };

              if (meme_lookup (mod, turn->img_id, &example.positive))
                {
                  g_autofree char *id = g_strdup_printf ("%s:%s:%u", core->split, key, t);

                  add_example (mod, &example, id);
                }
              else
                {
                  g_autofree char *path = g_strdup_printf ("%s[%u]", base, t);
                  EigmlJsonLoc at = { mod->file_name, turn->line ? turn->line : dialogue_line,
                                      path };

                  unknown_meme (&at, "img_id", turn->img_id, &reason);
                  if (!eigml_dataset_core_reject (core, g_steal_pointer (&reason), error))
                    return FALSE;
                }
            }
          if (keep_turn (mod, turn))
            n_text++;
        }
    }
  return TRUE;
}

static gboolean
mod_load (EigmlDatasetCore *core,
          GCancellable *cancellable,
          GError **error)
{
  Mod *mod = g_new0 (Mod, 1);
  EigmlJsonLoc loc;
  EigmlJsonLines lines;
  g_autoptr (JsonNode) root = NULL;
  gboolean ok = TRUE;

  core->data = mod;
  mod->core = core;
  mod->file_name = core->file_name;
  mod->strings = g_string_chunk_new (64 * 1024);
  mod->turns = g_array_new (FALSE, FALSE, sizeof (ModTurn));
  mod->examples = g_array_new (FALSE, FALSE, sizeof (ModExample));
  mod->given = g_array_new (FALSE, FALSE, sizeof (guint32));
  mod->memes = g_array_new (FALSE, FALSE, sizeof (ModMeme));
  mod->meme_index = g_hash_table_new (g_str_hash, g_str_equal);
  mod->ids = g_hash_table_new (g_str_hash, g_str_equal);

  if (!load_memes (mod, error))
    return FALSE;
  core->n_stickers = mod->memes->len;

  loc = (EigmlJsonLoc) { core->file_name, 0, NULL };
  eigml_json_lines_init (&lines);
  root = read_document (core->file, &loc, &lines, error);
  if (root == NULL)
    ok = FALSE;
  else if (JSON_NODE_HOLDS_ARRAY (root))
    {
      JsonArray *items = json_node_get_array (root);
      guint n = json_array_get_length (items);
      gboolean lines_ok = lines.depth1->len == n;

      for (guint i = 0; i < n && ok; i++)
        {
          GError *reason = NULL;

          if (!read_item (mod, json_array_get_element (items, i), i,
                          lines_ok ? g_array_index (lines.depth1, guint32, i) : 0, &reason))
            ok = eigml_dataset_core_reject (core, reason, error);
          if (ok && i % 4096 == 4095)
            ok = !g_cancellable_set_error_if_cancelled (cancellable, error);
        }
    }
  else if (JSON_NODE_HOLDS_OBJECT (root))
    ok = read_dialogues (mod, json_node_get_object (root), &lines, error);
  else
    {
      eigml_dataset_set_error (error, &loc, "expected a list (meme retrieval, task 2) or an "
                               "object (dialogues), got %s", eigml_json_kind (root));
      ok = FALSE;
    }
  eigml_json_lines_clear (&lines);
  if (ok)
    ok = !g_cancellable_set_error_if_cancelled (cancellable, error);
  core->n_examples = mod->examples->len;
  return ok;
}

static EigmlExample *
mod_get (EigmlDatasetCore *core,
         guint index,
         GError **error)
{
  Mod *mod = core->data;
  const ModExample *record = &g_array_index (mod->examples, ModExample, index);
  const ModMeme *positive = &g_array_index (mod->memes, ModMeme, record->positive);
  EigmlExample *example;
  EigmlRandom rng;

  example = eigml_example_new (g_strdup (record->id), core->file, record->line);
  for (guint t = 0; t < record->n_turns; t++)
    {
      const ModTurn *turn = &g_array_index (mod->turns, ModTurn, record->first_turn + t);

      eigml_example_add_turn (example, turn->speaker, g_strdup (turn->text));
    }
  eigml_random_init (&rng, core->seed, index);
  eigml_example_add_candidate (example, positive->img_id, g_strdup (positive->path));
  if (record->n_given > 0)
    {
      for (guint c = 0; c < record->n_given; c++)
        {
          guint32 meme = g_array_index (mod->given, guint32, record->first_given + c);
          const ModMeme *m = &g_array_index (mod->memes, ModMeme, meme);

          if (meme != record->positive)
            eigml_example_add_candidate (example, m->img_id, g_strdup (m->path));
        }
      eigml_example_finish (example, 0, &rng);
    }
  else
    {
      g_autofree guint *others = g_new (guint, core->n_candidates);
      guint n_others;

      n_others = eigml_random_pick_others (&rng, mod->memes->len, record->positive,
                                           core->n_candidates - 1, others);
      for (guint c = 0; c < n_others; c++)
        {
          const ModMeme *m = &g_array_index (mod->memes, ModMeme, others[c]);

          eigml_example_add_candidate (example, m->img_id, g_strdup (m->path));
        }
      eigml_example_finish (example, core->n_candidates, &rng);
    }
  return example;
}

static gboolean
mod_find (EigmlDatasetCore *core,
          const char *id,
          guint *index)
{
  Mod *mod = core->data;
  gpointer found = g_hash_table_lookup (mod->ids, id);

  if (found == NULL)
    return FALSE;
  *index = GPOINTER_TO_UINT (found) - 1;
  return TRUE;
}

static gsize
mod_index_bytes (EigmlDatasetCore *core)
{
  Mod *mod = core->data;

  return (gsize) mod->examples->len * sizeof (ModExample) +
         (gsize) mod->turns->len * sizeof (ModTurn) + (gsize) mod->given->len * sizeof (guint32);
}

static void
mod_free (gpointer data)
{
  Mod *mod = data;

  g_clear_pointer (&mod->turns, g_array_unref);
  g_clear_pointer (&mod->examples, g_array_unref);
  g_clear_pointer (&mod->given, g_array_unref);
  g_clear_pointer (&mod->memes, g_array_unref);
  g_clear_pointer (&mod->meme_index, g_hash_table_unref);
  g_clear_pointer (&mod->ids, g_hash_table_unref);
  g_clear_pointer (&mod->strings, g_string_chunk_free);
  g_free (mod);
}

const EigmlDatasetReader eigml_dataset_mod_reader = {
  mod_load,
  mod_get,
  mod_find,
  mod_index_bytes,
  mod_free,
};
