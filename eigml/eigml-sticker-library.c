/* eigml-sticker-library.c: a collection of stickers with labels
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "eigml-sticker-library.h"
#include "eigml-error.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

/**
 * EigmlStickerLibrary:
 *
 * The stickers a dialogue's reply is chosen from: an id, an image file,
 * labels by language and an emotion class each. A library is read from a
 * JSON lines file (one sticker per line, as `tools/demo-data` writes
 * `data/demo/library.jsonl`: `{"id", "file", "label": {"en", "zh", ...},
 * "emotion"}`; `file` relative to the file's folder) or from a folder of
 * images (ids are the file names without extension). #EigmlRanker ranks a
 * whole library for a dialogue.
 *
 * Stickers are only ever added, never removed or changed, so the strings a
 * getter returns live as long as the library; reading a library from
 * several threads while one thread adds to it is safe (a server lists its
 * stickers while a new one is added).
 *
 * Since: 1.0
 */
typedef struct
{
  char *id;
  char *path;
  char *label_en;
  char *label_zh;
  char *emotion;
  char **keywords_en;  /* NULL-terminated, never NULL */
  char **keywords_zh;
  char *line;          /* the sticker as a JSON line, as saved */
} Sticker;

struct _EigmlStickerLibrary
{
  GObject parent_instance;

  GPtrArray *stickers;   /* Sticker* */
  GHashTable *by_id;     /* id -> index + 1 */
  GRWLock lock;          /* the array and the table; not the stickers */
  char *dir;             /* the folder of the file it was read from */
};

G_DEFINE_FINAL_TYPE (EigmlStickerLibrary, eigml_sticker_library, G_TYPE_OBJECT)

static void
sticker_free (gpointer data)
{
  Sticker *s = data;

  g_free (s->id);
  g_free (s->path);
  g_free (s->label_en);
  g_strfreev (s->keywords_en);
  g_strfreev (s->keywords_zh);
  g_free (s->label_zh);
  g_free (s->emotion);
  g_free (s->line);
  g_free (s);
}

static void
eigml_sticker_library_finalize (GObject *object)
{
  EigmlStickerLibrary *self = EIGML_STICKER_LIBRARY (object);

  g_hash_table_destroy (self->by_id);
  g_ptr_array_unref (self->stickers);
  g_rw_lock_clear (&self->lock);
  g_free (self->dir);
  G_OBJECT_CLASS (eigml_sticker_library_parent_class)->finalize (object);
}

static void
eigml_sticker_library_class_init (EigmlStickerLibraryClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = eigml_sticker_library_finalize;
}

static void
eigml_sticker_library_init (EigmlStickerLibrary *self)
{
  self->stickers = g_ptr_array_new_with_free_func (sticker_free);
  self->by_id = g_hash_table_new (g_str_hash, g_str_equal);
  g_rw_lock_init (&self->lock);
}

/**
 * eigml_sticker_library_new:
 *
 * Returns: (transfer full): an empty library
 *
 * Since: 1.0
 */
EigmlStickerLibrary *
eigml_sticker_library_new (void)
{
  return g_object_new (EIGML_TYPE_STICKER_LIBRARY, NULL);
}

static const char *const categories[] = { "好", "乐", "哀", "怒", "惧", "恶", "惊", NULL };

static gboolean
insert (EigmlStickerLibrary *self,
        Sticker *s,
        const char *where,
        GError **error)
{
  if (s->id == NULL || *s->id == '\0' || !g_utf8_validate (s->id, -1, NULL))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT, "%s: a sticker needs a non-empty id",
                   where);
      goto fail;
    }
  if (s->emotion != NULL && !g_strv_contains (categories, s->emotion))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: emotion \"%s\" is not one of 好 乐 哀 怒 惧 恶 惊", where, s->emotion);
      goto fail;
    }
  g_rw_lock_writer_lock (&self->lock);
  if (g_hash_table_contains (self->by_id, s->id))
    {
      g_rw_lock_writer_unlock (&self->lock);
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT, "%s: sticker id \"%s\" is there twice",
                   where, s->id);
      goto fail;
    }
  g_ptr_array_add (self->stickers, s);
  g_hash_table_insert (self->by_id, s->id, GUINT_TO_POINTER (self->stickers->len));
  g_rw_lock_writer_unlock (&self->lock);
  return TRUE;

fail:
  sticker_free (s);
  return FALSE;
}

/* optional "keywords": {"en": [strings], "zh": [strings], ...} */
static gboolean
read_keywords (JsonObject *obj,
               const char *where,
               Sticker *s,
               GError **error)
{
  JsonNode *node = json_object_get_member (obj, "keywords");
  JsonObject *kw;
  const char *langs[2] = { "en", "zh" };
  char ***slots[2] = { &s->keywords_en, &s->keywords_zh };

  for (guint l = 0; l < 2; l++)
    *slots[l] = g_new0 (char *, 1);
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    goto bad;
  kw = json_node_get_object (node);
  for (guint l = 0; l < 2; l++)
    {
      JsonNode *list = json_object_get_member (kw, langs[l]);
      g_autoptr (GStrvBuilder) b = g_strv_builder_new ();
      JsonArray *a;

      if (list == NULL || JSON_NODE_HOLDS_NULL (list))
        continue;
      if (!JSON_NODE_HOLDS_ARRAY (list))
        goto bad;
      a = json_node_get_array (list);
      for (guint i = 0; i < json_array_get_length (a); i++)
        {
          JsonNode *e = json_array_get_element (a, i);

          if (!JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_STRING)
            goto bad;
          g_strv_builder_add (b, json_node_get_string (e));
        }
      g_strfreev (*slots[l]);
      *slots[l] = g_strv_builder_end (b);
    }
  return TRUE;

bad:
  g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
               "%s: field 'keywords': expected an object of string lists by language", where);
  return FALSE;
}

static char *
string_member (JsonObject *obj,
               const char *member)
{
  JsonNode *n = json_object_get_member (obj, member);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return g_strdup (json_node_get_string (n));
}

/**
 * eigml_sticker_library_new_from_file:
 * @path: a JSON lines file, one sticker per line
 * @error: return location for a #GError
 *
 * Reads a library: each line an object with `id` (string), `file` (the
 * image, relative to the file's folder or absolute), optional `label`
 * (object of language -> string), `emotion` (a DUTIR category or null).
 * Other members are kept as they are. Every image must exist. An error
 * names the file and line.
 *
 * Returns: (transfer full) (nullable): the library
 *
 * Since: 1.0
 */
EigmlStickerLibrary *
eigml_sticker_library_new_from_file (const char *path,
                                     GError **error)
{
  g_autoptr (EigmlStickerLibrary) self = eigml_sticker_library_new ();
  g_autofree char *text = NULL, *dir = g_path_get_dirname (path);
  g_auto (GStrv) lines = NULL;
  gsize length = 0;

  g_return_val_if_fail (path != NULL, NULL);
  if (!g_file_get_contents (path, &text, &length, error))
    return NULL;
  self->dir = g_strdup (dir);
  if (!g_utf8_validate_len (text, length, NULL))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT, "%s: not UTF-8", path);
      return NULL;
    }
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr (JsonParser) parser = json_parser_new ();
      g_autofree char *where = g_strdup_printf ("%s:%u", path, i + 1);
      g_autofree char *file = NULL;
      JsonObject *obj, *label;
      JsonNode *emo;
      Sticker *s;

      g_strstrip (lines[i]);
      if (lines[i][0] == '\0')
        continue;
      if (!json_parser_load_from_data (parser, lines[i], -1, error))
        {
          g_prefix_error (error, "%s: ", where);
          return NULL;
        }
      if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT, "%s: expected an object", where);
          return NULL;
        }
      obj = json_node_get_object (json_parser_get_root (parser));
      file = string_member (obj, "file");
      if (file == NULL)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s: field 'file': expected the image's file name", where);
          return NULL;
        }
      s = g_new0 (Sticker, 1);
      s->id = string_member (obj, "id");
      s->path = g_path_is_absolute (file) ? g_strdup (file) : g_build_filename (dir, file, NULL);
      s->line = g_strdup (lines[i]);
      label = json_object_has_member (obj, "label") &&
              JSON_NODE_HOLDS_OBJECT (json_object_get_member (obj, "label"))
                ? json_object_get_object_member (obj, "label") : NULL;
      if (label != NULL)
        {
          s->label_en = string_member (label, "en");
          s->label_zh = string_member (label, "zh");
        }
      if (!read_keywords (obj, where, s, error))
        {
          sticker_free (s);
          return NULL;
        }
      emo = json_object_get_member (obj, "emotion");
      if (emo != NULL && !JSON_NODE_HOLDS_NULL (emo))
        {
          s->emotion = string_member (obj, "emotion");
          if (s->emotion == NULL)
            {
              g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                           "%s: field 'emotion': expected a category or null", where);
              sticker_free (s);
              return NULL;
            }
        }
      if (!g_file_test (s->path, G_FILE_TEST_IS_REGULAR))
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "%s: image %s does not exist",
                       where, s->path);
          sticker_free (s);
          return NULL;
        }
      if (!insert (self, s, where, error))
        return NULL;
    }
  return g_steal_pointer (&self);
}

static gboolean
is_image (const char *name)
{
  static const char *const ext[] = { ".png", ".jpg", ".jpeg", ".gif", ".webp", ".npy", NULL };
  g_autofree char *lower = g_ascii_strdown (name, -1);

  for (guint i = 0; ext[i] != NULL; i++)
    if (g_str_has_suffix (lower, ext[i]))
      return TRUE;
  return FALSE;
}

static gint
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/**
 * eigml_sticker_library_new_from_folder:
 * @folder: a folder of images (PNG, JPEG, GIF, WebP, .npy)
 * @error: return location for a #GError
 *
 * A library of every image in @folder (not its subfolders), in file-name
 * order; ids are the names without their extension, without labels or
 * emotion.
 *
 * Returns: (transfer full) (nullable): the library
 *
 * Since: 1.0
 */
EigmlStickerLibrary *
eigml_sticker_library_new_from_folder (const char *folder,
                                       GError **error)
{
  g_autoptr (EigmlStickerLibrary) self = eigml_sticker_library_new ();
  g_autoptr (GDir) dir = g_dir_open (folder, 0, error);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (dir == NULL)
    return NULL;
  while ((name = g_dir_read_name (dir)) != NULL)
    if (is_image (name))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      const char *n = g_ptr_array_index (names, i);
      const char *dot = strrchr (n, '.');
      Sticker *s = g_new0 (Sticker, 1);

      s->id = g_strndup (n, dot - n);
      s->path = g_build_filename (folder, n, NULL);
      s->keywords_en = g_new0 (char *, 1);
      s->keywords_zh = g_new0 (char *, 1);
      if (!insert (self, s, folder, error))
        return NULL;
    }
  if (self->stickers->len == 0)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT, "%s has no sticker images",
                   folder);
      return NULL;
    }
  return g_steal_pointer (&self);
}

/**
 * eigml_sticker_library_get_n_stickers:
 * @self: a library
 *
 * Returns: the number of stickers
 *
 * Since: 1.0
 */
guint
eigml_sticker_library_get_n_stickers (EigmlStickerLibrary *self)
{
  guint n;

  g_return_val_if_fail (EIGML_IS_STICKER_LIBRARY (self), 0);
  g_rw_lock_reader_lock (&self->lock);
  n = self->stickers->len;
  g_rw_lock_reader_unlock (&self->lock);
  return n;
}

static Sticker *
get (EigmlStickerLibrary *self,
     guint index)
{
  Sticker *s = NULL;
  guint n;

  g_return_val_if_fail (EIGML_IS_STICKER_LIBRARY (self), NULL);
  g_rw_lock_reader_lock (&self->lock);
  n = self->stickers->len;
  if (index < n)
    s = g_ptr_array_index (self->stickers, index);
  g_rw_lock_reader_unlock (&self->lock);
  g_return_val_if_fail (index < n, NULL);
  return s;
}

/**
 * eigml_sticker_library_get_id:
 * @self: a library
 * @index: a sticker's index
 *
 * Returns: (transfer none): its id
 *
 * Since: 1.0
 */
const char *
eigml_sticker_library_get_id (EigmlStickerLibrary *self,
                              guint index)
{
  Sticker *s = get (self, index);
  return s ? s->id : NULL;
}

/**
 * eigml_sticker_library_get_path:
 * @self: a library
 * @index: a sticker's index
 *
 * Returns: (transfer none) (type filename): its image file
 *
 * Since: 1.0
 */
const char *
eigml_sticker_library_get_path (EigmlStickerLibrary *self,
                                guint index)
{
  Sticker *s = get (self, index);
  return s ? s->path : NULL;
}

/**
 * eigml_sticker_library_get_label:
 * @self: a library
 * @index: a sticker's index
 * @language: "en" or "zh"
 *
 * Returns: (transfer none) (nullable): its label in @language
 *
 * Since: 1.0
 */
const char *
eigml_sticker_library_get_label (EigmlStickerLibrary *self,
                                 guint index,
                                 const char *language)
{
  Sticker *s = get (self, index);

  if (s == NULL || language == NULL)
    return NULL;
  return g_str_equal (language, "zh") ? s->label_zh : g_str_equal (language, "en") ? s->label_en
                                                                                 : NULL;
}

/**
 * eigml_sticker_library_get_keywords:
 * @self: a library
 * @index: a sticker's index
 * @language: "en" or "zh"
 *
 * Returns: (transfer none) (array zero-terminated=1) (nullable): its
 *   keywords in @language (the optional `keywords` of its JSON line; empty
 *   when it has none), or %NULL for another language or a bad index
 *
 * Since: 1.0
 */
const char * const *
eigml_sticker_library_get_keywords (EigmlStickerLibrary *self,
                                    guint index,
                                    const char *language)
{
  Sticker *s = get (self, index);

  if (s == NULL || language == NULL)
    return NULL;
  return (const char *const *) (g_str_equal (language, "zh") ? s->keywords_zh
                                : g_str_equal (language, "en") ? s->keywords_en : NULL);
}

/**
 * eigml_sticker_library_get_emotion:
 * @self: a library
 * @index: a sticker's index
 *
 * Returns: (transfer none) (nullable): its emotion class (好 乐 哀 怒 惧 恶
 *   惊), or %NULL
 *
 * Since: 1.0
 */
const char *
eigml_sticker_library_get_emotion (EigmlStickerLibrary *self,
                                   guint index)
{
  Sticker *s = get (self, index);
  return s ? s->emotion : NULL;
}

/**
 * eigml_sticker_library_lookup:
 * @self: a library
 * @id: a sticker id
 * @index: (out) (optional): its index
 *
 * Returns: whether the library has a sticker @id
 *
 * Since: 1.0
 */
gboolean
eigml_sticker_library_lookup (EigmlStickerLibrary *self,
                              const char *id,
                              guint *index)
{
  gpointer v;

  g_return_val_if_fail (EIGML_IS_STICKER_LIBRARY (self), FALSE);
  g_rw_lock_reader_lock (&self->lock);
  v = id ? g_hash_table_lookup (self->by_id, id) : NULL;
  g_rw_lock_reader_unlock (&self->lock);
  if (v != NULL && index != NULL)
    *index = GPOINTER_TO_UINT (v) - 1;
  return v != NULL;
}

/**
 * eigml_sticker_library_add:
 * @self: a library
 * @id: a new sticker id
 * @path: (type filename): its image
 * @label_en: (nullable): an English label
 * @label_zh: (nullable): a Chinese label
 * @emotion: (nullable): its emotion class
 * @error: return location for a #GError
 *
 * Adds a sticker (in memory; eigml_sticker_library_save() writes the
 * library). The image must exist. In a library read from a file, an image
 * inside that file's folder is saved relative to it.
 *
 * Returns: %TRUE when added
 *
 * Since: 1.0
 */
gboolean
eigml_sticker_library_add (EigmlStickerLibrary *self,
                           const char *id,
                           const char *path,
                           const char *label_en,
                           const char *label_zh,
                           const char *emotion,
                           GError **error)
{
  Sticker *s;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *prefix = NULL;
  const char *file = path;

  g_return_val_if_fail (EIGML_IS_STICKER_LIBRARY (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "image %s does not exist", path);
      return FALSE;
    }
  /* keep a library and its images movable together */
  prefix = self->dir ? g_strconcat (self->dir, G_DIR_SEPARATOR_S, NULL) : NULL;
  if (prefix != NULL && g_str_has_prefix (path, prefix) && path[strlen (prefix)] != '\0')
    file = path + strlen (prefix);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, id ? id : "");
  json_builder_set_member_name (b, "file");
  json_builder_add_string_value (b, file);
  json_builder_set_member_name (b, "label");
  json_builder_begin_object (b);
  if (label_en)
    {
      json_builder_set_member_name (b, "en");
      json_builder_add_string_value (b, label_en);
    }
  if (label_zh)
    {
      json_builder_set_member_name (b, "zh");
      json_builder_add_string_value (b, label_zh);
    }
  json_builder_end_object (b);
  json_builder_set_member_name (b, "emotion");
  if (emotion)
    json_builder_add_string_value (b, emotion);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);

  s = g_new0 (Sticker, 1);
  s->id = g_strdup (id);
  s->path = g_strdup (path);
  s->label_en = g_strdup (label_en);
  s->label_zh = g_strdup (label_zh);
  s->emotion = g_strdup (emotion);
  s->keywords_en = g_new0 (char *, 1);
  s->keywords_zh = g_new0 (char *, 1);
  s->line = json_to_string (root, FALSE);
  return insert (self, s, "new sticker", error);
}

/**
 * eigml_sticker_library_save:
 * @self: a library
 * @path: a JSON lines file
 * @error: return location for a #GError
 *
 * Writes the library, atomically (a temporary file renamed over @path):
 * a crash never leaves a partial library. Stickers read from a file keep
 * their line as read; their `file` stays relative to that file's folder.
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
eigml_sticker_library_save (EigmlStickerLibrary *self,
                            const char *path,
                            GError **error)
{
  g_autoptr (GString) out = g_string_new (NULL);

  g_return_val_if_fail (EIGML_IS_STICKER_LIBRARY (self), FALSE);
  g_rw_lock_reader_lock (&self->lock);
  for (guint i = 0; i < self->stickers->len; i++)
    {
      Sticker *s = g_ptr_array_index (self->stickers, i);

      if (s->line != NULL)
        g_string_append (out, s->line);
      else
        {
          g_autofree char *id = g_strescape (s->id, NULL);
          g_autofree char *file = g_strescape (s->path, NULL);
          g_string_append_printf (out, "{\"id\": \"%s\", \"file\": \"%s\"}", id, file);
        }
      g_string_append_c (out, '\n');
    }
  g_rw_lock_reader_unlock (&self->lock);
  return g_file_set_contents_full (path, out->str, (gssize) out->len,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}

/**
 * eigml_sticker_library_get_fingerprint:
 * @self: a library
 *
 * A hash of every sticker's id and image (path, size, modification time
 * to the nanosecond, inode): it changes when a sticker or an image file
 * changes. Embedding caches are
 * keyed by it.
 *
 * Returns: (transfer full): a hex SHA-256
 *
 * Since: 1.0
 */
char *
eigml_sticker_library_get_fingerprint (EigmlStickerLibrary *self)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);

  g_return_val_if_fail (EIGML_IS_STICKER_LIBRARY (self), NULL);
  g_rw_lock_reader_lock (&self->lock);
  for (guint i = 0; i < self->stickers->len; i++)
    {
      Sticker *s = g_ptr_array_index (self->stickers, i);
      GStatBuf st = { 0 };
      char stamp[64];

      g_checksum_update (sum, (const guchar *) s->id, -1);
      g_checksum_update (sum, (const guchar *) "\x1f", 1);
      g_checksum_update (sum, (const guchar *) s->path, -1);
      if (g_stat (s->path, &st) == 0)
        {
          g_snprintf (stamp, sizeof stamp,
                      "\x1f%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT ".%09ld:%" G_GUINT64_FORMAT,
                      (gint64) st.st_size, (gint64) st.st_mtime, (long) st.st_mtim.tv_nsec,
                      (guint64) st.st_ino);
          g_checksum_update (sum, (const guchar *) stamp, -1);
        }
      g_checksum_update (sum, (const guchar *) "\n", 1);
    }
  g_rw_lock_reader_unlock (&self->lock);
  return g_strdup (g_checksum_get_string (sum));
}
