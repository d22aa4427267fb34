/* tokenizer-vocab.c: vocab.txt and a model folder's tokenizer_config.json
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"
#include "dataset-private.h"

#include "data/tokenizer.h"
#include "eigml-error.h"

#include <json-glib/json-glib.h>
#include <string.h>

struct _EigmlVocab
{
  char *data;              /* the file, each line NUL-terminated in place */
  const char **pieces;     /* id -> piece, into data */
  guint n_pieces;
  GHashTable *ids;         /* piece -> GUINT_TO_POINTER (id + 1) */
  guint max_piece_bytes;
  guint n_duplicates;
};

void
eigml_vocab_free (EigmlVocab *vocab)
{
  if (vocab == NULL)
    return;
  g_clear_pointer (&vocab->ids, g_hash_table_unref);
  g_free (vocab->pieces);
  g_free (vocab->data);
  g_free (vocab);
}

/* One piece per line, its id the line's index from 0 (vocab.txt as BERT and
 * Hugging Face write it). Lines end at "\n"; a "\r" before it is dropped;
 * a last line without "\n" counts, an empty tail after the last "\n" does
 * not. A piece on several lines takes the id of its last line, as in
 * Hugging Face's load_vocab; every line keeps its piece for decoding. */
EigmlVocab *
eigml_vocab_new_from_data (const char *data,
                           gsize len,
                           const char *name,
                           GError **error)
{
  g_autoptr (EigmlVocab) vocab = g_new0 (EigmlVocab, 1);
  guint n_lines = 0;
  char *p;
  char *end;

  if (len > EIGML_VOCAB_MAX_FILE_SIZE)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: vocabulary file is %" G_GSIZE_FORMAT " bytes; at most %d are accepted",
                   name, len, EIGML_VOCAB_MAX_FILE_SIZE);
      return NULL;
    }
  if (len == 0)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: vocabulary is empty (expected one piece per line, got 0 lines)", name);
      return NULL;
    }

  vocab->data = g_malloc (len + 1);
  memcpy (vocab->data, data, len);
  vocab->data[len] = '\0';
  end = vocab->data + len;
  for (p = vocab->data; p < end; p++)
    if (*p == '\n')
      n_lines++;
  if (end[-1] != '\n')
    n_lines++;

  vocab->pieces = g_new (const char *, n_lines);
  vocab->ids = g_hash_table_new (g_str_hash, g_str_equal);
  p = vocab->data;
  for (guint line = 0; line < n_lines; line++)
    {
      char *nl = memchr (p, '\n', end - p);
      char *stop = nl ? nl : end;
      gsize n = stop - p;
      const char *bad;
      gpointer old;

      if (memchr (p, '\0', n) != NULL)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s:%u: piece holds a NUL byte (expected text)", name, line + 1);
          return NULL;
        }
      if (n > 0 && p[n - 1] == '\r')
        n--;
      p[n] = '\0';
      if (!g_utf8_validate (p, n, &bad))
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s:%u: piece is not valid UTF-8 (bad byte 0x%02x at column %u)",
                       name, line + 1, (guchar) *bad, (guint) (bad - p) + 1);
          return NULL;
        }
      vocab->pieces[line] = p;
      vocab->max_piece_bytes = MAX (vocab->max_piece_bytes, n);
      old = g_hash_table_lookup (vocab->ids, p);
      if (old != NULL)
        {
          vocab->n_duplicates++;
          g_debug ("%s:%u: piece '%s' already on line %u; its id is now %u",
                   name, line + 1, p, GPOINTER_TO_UINT (old), line);
        }
      g_hash_table_insert (vocab->ids, p, GUINT_TO_POINTER (line + 1));
      p = stop + 1;
    }
  vocab->n_pieces = n_lines;
  return g_steal_pointer (&vocab);
}

EigmlVocab *
eigml_vocab_load (const char *path,
                  GError **error)
{
  g_autoptr (GMappedFile) file = NULL;
  g_autoptr (GError) local_error = NULL;

  file = g_mapped_file_new (path, FALSE, &local_error);
  if (file == NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  "cannot read vocabulary %s: ", path);
      return NULL;
    }
  return eigml_vocab_new_from_data (g_mapped_file_get_contents (file),
                                    g_mapped_file_get_length (file), path, error);
}

gboolean
eigml_vocab_lookup (const EigmlVocab *vocab,
                    const char *piece,
                    gint32 *id)
{
  guint v = GPOINTER_TO_UINT (g_hash_table_lookup (vocab->ids, piece));

  if (v == 0)
    return FALSE;
  *id = (gint32) (v - 1);
  return TRUE;
}

const char *
eigml_vocab_get_piece (const EigmlVocab *vocab,
                       gint32 id)
{
  if (id < 0 || (guint) id >= vocab->n_pieces)
    return NULL;
  return vocab->pieces[id];
}

guint
eigml_vocab_get_size (const EigmlVocab *vocab)
{
  return vocab->n_pieces;
}

guint
eigml_vocab_get_max_piece_bytes (const EigmlVocab *vocab)
{
  return vocab->max_piece_bytes;
}

guint
eigml_vocab_get_n_duplicates (const EigmlVocab *vocab)
{
  return vocab->n_duplicates;
}

gboolean
eigml_vocab_looks_uncased (const EigmlVocab *vocab)
{
  for (guint i = 0; i < vocab->n_pieces; i++)
    {
      const char *piece = vocab->pieces[i];
      gsize n = strlen (piece);

      /* markers such as [CLS], [unused1], <S> are not text */
      if (n >= 2 && ((piece[0] == '[' && piece[n - 1] == ']') ||
                     (piece[0] == '<' && piece[n - 1] == '>')))
        continue;
      for (const char *p = piece; *p; p = g_utf8_next_char (p))
        {
          gunichar c = g_utf8_get_char (p);

          if (eigml_bert_to_lower (c) != c)
            return FALSE;
        }
    }
  return TRUE;
}

/* tokenizer_config.json / special_tokens_map.json */

static const char *const special_defaults[EIGML_N_SPECIAL] = {
  [EIGML_SPECIAL_UNK] = "[UNK]",
  [EIGML_SPECIAL_SEP] = "[SEP]",
  [EIGML_SPECIAL_PAD] = "[PAD]",
  [EIGML_SPECIAL_CLS] = "[CLS]",
  [EIGML_SPECIAL_MASK] = "[MASK]",
};

static const char *const special_fields[EIGML_N_SPECIAL] = {
  [EIGML_SPECIAL_UNK] = "unk_token",
  [EIGML_SPECIAL_SEP] = "sep_token",
  [EIGML_SPECIAL_PAD] = "pad_token",
  [EIGML_SPECIAL_CLS] = "cls_token",
  [EIGML_SPECIAL_MASK] = "mask_token",
};

const char *
eigml_special_kind_default (EigmlSpecialKind kind)
{
  return special_defaults[kind];
}

void
eigml_tokenizer_config_init (EigmlTokenizerConfig *config)
{
  memset (config, 0, sizeof *config);
  config->do_lower_case = -1;
  config->strip_accents = -1;
  config->tokenize_chinese_chars = -1;
  config->additional_special = g_ptr_array_new_with_free_func (g_free);
}

void
eigml_tokenizer_config_clear (EigmlTokenizerConfig *config)
{
  for (guint i = 0; i < EIGML_N_SPECIAL; i++)
    g_clear_pointer (&config->special[i], g_free);
  g_clear_pointer (&config->additional_special, g_ptr_array_unref);
}


/* -1 for null, else 0 or 1 */
static gboolean
read_bool (JsonObject *root,
           const char *field,
           gboolean nullable,
           int *out,
           const char *path,
           GError **error)
{
  JsonNode *node = json_object_get_member (root, field);

  if (node == NULL)
    return TRUE;
  if (nullable && JSON_NODE_HOLDS_NULL (node))
    {
      *out = -1;
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: field '%s': expected true or false%s, got %s",
                   path, field, nullable ? " or null" : "", eigml_json_kind (node));
      return FALSE;
    }
  *out = json_node_get_boolean (node) ? 1 : 0;
  return TRUE;
}

/* A token is a string, or an object with a "content" string (Hugging
 * Face's serialised AddedToken) */
static char *
read_token (JsonNode *node,
            const char *field,
            const char *path,
            GError **error)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonNode *content = json_object_get_member (json_node_get_object (node), "content");

      if (content == NULL)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s: field '%s': expected a string or an object with a \"content\" string, "
                       "got an object without \"content\"", path, field);
          return NULL;
        }
      node = content;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: field '%s': expected a token string, got %s",
                   path, field, eigml_json_kind (node));
      return NULL;
    }
  if (*json_node_get_string (node) == '\0')
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: field '%s': expected a token, got an empty string", path, field);
      return NULL;
    }
  return g_strdup (json_node_get_string (node));
}

static gboolean
read_max_length (JsonObject *root,
                 const char *field,
                 gint64 *out,
                 const char *path,
                 GError **error)
{
  JsonNode *node = json_object_get_member (root, field);
  double value;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) ||
      (json_node_get_value_type (node) != G_TYPE_INT64 &&
       json_node_get_value_type (node) != G_TYPE_DOUBLE))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: field '%s': expected a positive integer, got %s",
                   path, field, eigml_json_kind (node));
      return FALSE;
    }
  value = json_node_get_value_type (node) == G_TYPE_INT64 ? (double) json_node_get_int (node)
                                                           : json_node_get_double (node);
  if (!(value >= 1))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: field '%s': expected a positive integer, got %g", path, field, value);
      return FALSE;
    }
  /* Hugging Face writes int(1e30) for "no limit" */
  *out = value > EIGML_TOKENIZER_MAX_LENGTH_LIMIT ? 0 : (gint64) value;
  return TRUE;
}

/* json-glib 1.6 wraps integer literals beyond 64 bits (Hugging Face writes
 * int(1e30) = 1000000000000000019884624838656 for "no limit") to garbage:
 * such literals are read as floating-point numbers instead. */
static GString *
widen_huge_integers (const char *data,
                     gsize len)
{
  GString *out = g_string_sized_new (len + 16);
  gsize i = 0;

  while (i < len)
    {
      char c = data[i];

      if (c == '"')
        {
          gsize j = i + 1;

          while (j < len && data[j] != '"')
            j += data[j] == '\\' ? 2 : 1;
          j = MIN (j + 1, len);
          g_string_append_len (out, data + i, j - i);
          i = j;
        }
      else if (g_ascii_isdigit (c))
        {
          gsize j = i;

          while (j < len && g_ascii_isdigit (data[j]))
            j++;
          g_string_append_len (out, data + i, j - i);
          if (j - i > 18 && (j == len || (data[j] != '.' && data[j] != 'e' && data[j] != 'E')))
            g_string_append (out, ".0");
          i = j;
        }
      else
        {
          g_string_append_c (out, c);
          i++;
        }
    }
  return out;
}

gboolean
eigml_tokenizer_config_load (EigmlTokenizerConfig *config,
                             const char *path,
                             GError **error)
{
  g_autoptr (GMappedFile) file = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GString) text = NULL;
  JsonNode *root_node;
  JsonObject *root;
  JsonNode *extra;
  gsize len;

  file = g_mapped_file_new (path, FALSE, &local_error);
  if (file == NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  "cannot read tokenizer configuration %s: ", path);
      return FALSE;
    }
  len = g_mapped_file_get_length (file);
  if (len > EIGML_TOKENIZER_CONFIG_MAX_FILE_SIZE)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: file is %" G_GSIZE_FORMAT " bytes; at most %d are accepted",
                   path, len, EIGML_TOKENIZER_CONFIG_MAX_FILE_SIZE);
      return FALSE;
    }
  text = widen_huge_integers (len ? g_mapped_file_get_contents (file) : "", len);
  if (!json_parser_load_from_data (parser, text->str, text->len, &local_error))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT, "%s: not valid JSON: %s",
                   path, local_error->message);
      return FALSE;
    }
  root_node = json_parser_get_root (parser);
  if (root_node == NULL || !JSON_NODE_HOLDS_OBJECT (root_node))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: expected a JSON object, got %s",
                   path, root_node ? eigml_json_kind (root_node) : "nothing");
      return FALSE;
    }
  root = json_node_get_object (root_node);

  if (!read_bool (root, "do_lower_case", FALSE, &config->do_lower_case, path, error) ||
      !read_bool (root, "strip_accents", TRUE, &config->strip_accents, path, error) ||
      !read_bool (root, "tokenize_chinese_chars", FALSE, &config->tokenize_chinese_chars,
                  path, error) ||
      !read_max_length (root, "max_len", &config->model_max_length, path, error) ||
      !read_max_length (root, "model_max_length", &config->model_max_length, path, error))
    return FALSE;

  for (guint i = 0; i < EIGML_N_SPECIAL; i++)
    {
      JsonNode *node = json_object_get_member (root, special_fields[i]);
      char *token;

      if (node == NULL || JSON_NODE_HOLDS_NULL (node))
        continue;
      token = read_token (node, special_fields[i], path, error);
      if (token == NULL)
        return FALSE;
      g_free (config->special[i]);
      config->special[i] = token;
    }

  extra = json_object_get_member (root, "additional_special_tokens");
  if (extra != NULL && !JSON_NODE_HOLDS_NULL (extra))
    {
      JsonArray *array;

      if (!JSON_NODE_HOLDS_ARRAY (extra))
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s: field 'additional_special_tokens': expected an array, got %s",
                       path, eigml_json_kind (extra));
          return FALSE;
        }
      array = json_node_get_array (extra);
      g_ptr_array_set_size (config->additional_special, 0);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          g_autofree char *field = g_strdup_printf ("additional_special_tokens[%u]", i);
          char *token = read_token (json_array_get_element (array, i), field, path, error);

          if (token == NULL)
            return FALSE;
          g_ptr_array_add (config->additional_special, token);
        }
    }
  return TRUE;
}
