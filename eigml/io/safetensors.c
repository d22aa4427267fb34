/* safetensors.c: reading safetensors files
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The file is mapped, the header validated completely (lengths, JSON,
 * dtypes, shapes, offsets, overlaps, unique names) before a single tensor
 * is converted, and each tensor is converted once, straight from the
 * mapping into its EigmlTensor.
 */
#include "config.h"

#include "safetensors.h"
#include "eigml-error.h"

#include <json-glib/json-glib.h>
#include <string.h>

/* The header needs three levels (root, entry, shape); anything much deeper
 * is hostile, and json-glib's parser recurses once per level. */
#define MAX_JSON_DEPTH 8

static void
entry_free (gpointer data)
{
  EigmlSafetensorsEntry *entry = data;

  g_free (entry->name);
  g_free (entry);
}

void
eigml_safetensors_header_free (EigmlSafetensorsHeader *header)
{
  if (header == NULL)
    return;
  g_clear_pointer (&header->entries, g_ptr_array_unref);
  g_clear_pointer (&header->metadata, g_hash_table_unref);
  g_free (header);
}

/* Rejects nesting deeper than MAX_JSON_DEPTH before json-glib sees it. */
static gboolean
check_json_depth (const char *json,
                  gsize len,
                  const char *file,
                  GError **error)
{
  gboolean in_string = FALSE;
  guint depth = 0;

  for (gsize i = 0; i < len; i++)
    {
      char c = json[i];
      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if (c == '{' || c == '[')
        {
          if (++depth > MAX_JSON_DEPTH)
            {
              g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                           "%s: header at byte %" G_GSIZE_FORMAT ": JSON nesting: expected "
                           "at most %d levels, got more", file, 8 + i, MAX_JSON_DEPTH);
              return FALSE;
            }
        }
      else if ((c == '}' || c == ']') && depth > 0)
        depth--;
    }
  return TRUE;
}

/* json-glib keeps the last of duplicated keys silently; count every member
 * it parses per object so that duplicates can be refused. */
static void
on_object_member (JsonParser *parser,
                  JsonObject *object,
                  const char *member_name,
                  gpointer user_data)
{
  GHashTable *counts = user_data;

  g_hash_table_insert (counts, object,
                       GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (counts, object))
                                         + 1));
}

static gboolean
check_unique_members (GHashTable *counts,
                      JsonObject *object,
                      const char *file,
                      const char *what,
                      GError **error)
{
  guint parsed = GPOINTER_TO_UINT (g_hash_table_lookup (counts, object));

  if (parsed != json_object_get_size (object))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: header: %s: expected unique keys, got %u keys of which %u distinct",
                   file, what, parsed, json_object_get_size (object));
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_uint (JsonNode *node,
           const char *file,
           const char *name,
           const char *field,
           guint64 *value,
           GError **error)
{
  gint64 v;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: tensor '%s': %s: expected a non-negative integer, got %s",
                   file, name, field, node ? json_node_type_name (node) : "nothing");
      return FALSE;
    }
  v = json_node_get_int (node);
  if (v < 0)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: tensor '%s': %s: expected a non-negative integer, got %" G_GINT64_FORMAT,
                   file, name, field, v);
      return FALSE;
    }
  *value = (guint64) v;
  return TRUE;
}

static EigmlSafetensorsEntry *
parse_entry (const char *file,
             const char *name,
             JsonNode *node,
             guint64 data_size,
             GError **error)
{
  g_autoptr (GError) local_error = NULL;
  EigmlSafetensorsEntry *entry;
  JsonObject *object;
  JsonNode *dtype_node, *shape_node, *offsets_node;
  JsonArray *shape, *offsets;
  const char *dtype_name;
  guint64 n_bytes, begin, end;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: tensor '%s': expected an object {dtype, shape, data_offsets}, got %s",
                   file, name, json_node_type_name (node));
      return NULL;
    }
  object = json_node_get_object (node);
  dtype_node = json_object_get_member (object, "dtype");
  shape_node = json_object_get_member (object, "shape");
  offsets_node = json_object_get_member (object, "data_offsets");

  if (dtype_node == NULL || !JSON_NODE_HOLDS_VALUE (dtype_node)
      || json_node_get_value_type (dtype_node) != G_TYPE_STRING)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: tensor '%s': dtype: expected a string, got %s", file, name,
                   dtype_node ? json_node_type_name (dtype_node) : "nothing");
      return NULL;
    }
  if (shape_node == NULL || !JSON_NODE_HOLDS_ARRAY (shape_node))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: tensor '%s': shape: expected an array, got %s", file, name,
                   shape_node ? json_node_type_name (shape_node) : "nothing");
      return NULL;
    }
  if (offsets_node == NULL || !JSON_NODE_HOLDS_ARRAY (offsets_node))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: tensor '%s': data_offsets: expected an array [begin, end], got %s",
                   file, name, offsets_node ? json_node_type_name (offsets_node) : "nothing");
      return NULL;
    }

  entry = g_new0 (EigmlSafetensorsEntry, 1);
  entry->name = g_strdup (name);

  dtype_name = json_node_get_string (dtype_node);
  if (!eigml_source_dtype_from_safetensors (dtype_name, &entry->dtype))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_UNSUPPORTED,
                   "%s: tensor '%s': dtype: '%s' is not a dtype this reader knows "
                   "(expected F32, F16, BF16, I64, I32, I16, I8, U8, BOOL, ...)",
                   file, name, dtype_name);
      entry_free (entry);
      return NULL;
    }

  shape = json_node_get_array (shape_node);
  if (json_array_get_length (shape) > EIGML_SOURCE_MAX_DIMS)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: tensor '%s': shape: expected at most %d dimensions, got %u",
                   file, name, EIGML_SOURCE_MAX_DIMS, json_array_get_length (shape));
      entry_free (entry);
      return NULL;
    }
  entry->n_dims = json_array_get_length (shape);
  n_bytes = eigml_source_dtype_size (entry->dtype);
  for (guint i = 0; i < entry->n_dims; i++)
    {
      g_autofree char *field = g_strdup_printf ("shape[%u]", i);
      guint64 dim;
      if (!read_uint (json_array_get_element (shape, i), file, name, field, &dim, error))
        {
          entry_free (entry);
          return NULL;
        }
      if (dim > G_MAXINT64 || __builtin_mul_overflow (n_bytes, dim, &n_bytes))
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s: tensor '%s': shape: the size in bytes overflows 64 bits at "
                       "dimension %u", file, name, i);
          entry_free (entry);
          return NULL;
        }
      entry->shape[i] = (gint64) dim;
    }

  offsets = json_node_get_array (offsets_node);
  if (json_array_get_length (offsets) != 2)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: tensor '%s': data_offsets: expected 2 integers [begin, end], got %u "
                   "elements", file, name, json_array_get_length (offsets));
      entry_free (entry);
      return NULL;
    }
  if (!read_uint (json_array_get_element (offsets, 0), file, name, "data_offsets[0]", &begin,
                  error)
      || !read_uint (json_array_get_element (offsets, 1), file, name, "data_offsets[1]", &end,
                     error))
    {
      entry_free (entry);
      return NULL;
    }
  if (begin > end)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: tensor '%s': data_offsets: expected begin <= end, got [%" G_GUINT64_FORMAT
                   ", %" G_GUINT64_FORMAT "]", file, name, begin, end);
      entry_free (entry);
      return NULL;
    }
  if (end > data_size)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: tensor '%s': data_offsets: expected end <= %" G_GUINT64_FORMAT
                   " (the size of the data section), got %" G_GUINT64_FORMAT,
                   file, name, data_size, end);
      entry_free (entry);
      return NULL;
    }
  if (end - begin != n_bytes)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: tensor '%s': data_offsets: expected %" G_GUINT64_FORMAT
                   " bytes (shape x %s size), got %" G_GUINT64_FORMAT " ([%" G_GUINT64_FORMAT
                   ", %" G_GUINT64_FORMAT "])", file, name, n_bytes, dtype_name, end - begin,
                   begin, end);
      entry_free (entry);
      return NULL;
    }
  entry->begin = begin;
  entry->end = end;
  return entry;
}

static gboolean
parse_metadata (const char *file,
                JsonNode *node,
                GHashTable *metadata,
                GError **error)
{
  g_autoptr (GList) members = NULL;
  JsonObject *object;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: header: __metadata__: expected an object of strings, got %s",
                   file, json_node_type_name (node));
      return FALSE;
    }
  object = json_node_get_object (node);
  members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonNode *value = json_object_get_member (object, l->data);
      if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_STRING)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s: header: __metadata__['%s']: expected a string, got %s",
                       file, (const char *) l->data, json_node_type_name (value));
          return FALSE;
        }
      g_hash_table_insert (metadata, g_strdup (l->data), g_strdup (json_node_get_string (value)));
    }
  return TRUE;
}

static int
compare_by_begin (gconstpointer a,
                  gconstpointer b)
{
  const EigmlSafetensorsEntry *ea = *(EigmlSafetensorsEntry **) a;
  const EigmlSafetensorsEntry *eb = *(EigmlSafetensorsEntry **) b;

  if (ea->begin != eb->begin)
    return ea->begin < eb->begin ? -1 : 1;
  return ea->end < eb->end ? -1 : ea->end > eb->end;
}

static gboolean
check_no_overlap (EigmlSafetensorsHeader *header,
                  const char *file,
                  GError **error)
{
  g_autoptr (GPtrArray) sorted = g_ptr_array_new ();
  EigmlSafetensorsEntry *prev = NULL;

  for (guint i = 0; i < header->entries->len; i++)
    g_ptr_array_add (sorted, header->entries->pdata[i]);
  g_ptr_array_sort (sorted, compare_by_begin);
  for (guint i = 0; i < sorted->len; i++)
    {
      EigmlSafetensorsEntry *entry = sorted->pdata[i];
      if (entry->begin == entry->end)
        continue; /* an empty tensor occupies no bytes */
      if (prev != NULL && entry->begin < prev->end)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s: tensor '%s': data_offsets: expected no overlap with tensor '%s' "
                       "([%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT "]), got [%" G_GUINT64_FORMAT
                       ", %" G_GUINT64_FORMAT "]", file, entry->name, prev->name, prev->begin,
                       prev->end, entry->begin, entry->end);
          return FALSE;
        }
      prev = entry;
    }
  return TRUE;
}

/* Whether the bytes look like a safetensors file (used to detect the
 * format): a JSON object after the 8-byte length. The length itself is not
 * looked at, so that a lying one gets the parser's precise message. */
gboolean
eigml_safetensors_is_candidate (const guint8 *data,
                                gsize size)
{
  return size >= 9 && data[8] == '{';
}

/**
 * eigml_safetensors_parse_header:
 * @data: the whole file
 * @size: its size
 * @file: the file's display name, for messages
 * @error: return location for a #GError
 *
 * Validates the header completely: length within the file, JSON object,
 * unique names, known dtypes, shapes whose byte size matches data_offsets,
 * offsets within the data section, no two tensors overlapping.
 */
EigmlSafetensorsHeader *
eigml_safetensors_parse_header (const guint8 *data,
                                gsize size,
                                const char *file,
                                GError **error)
{
  g_autoptr (EigmlSafetensorsHeader) header = NULL;
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GHashTable) counts = NULL;
  g_autoptr (GHashTable) names = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GList) members = NULL;
  JsonNode *root;
  JsonObject *object;
  guint64 n;
  gsize data_size;

  if (size < 8)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: header length: expected 8 bytes, got a file of %" G_GSIZE_FORMAT " bytes",
                   file, size);
      return NULL;
    }
  memcpy (&n, data, 8);
  n = GUINT64_FROM_LE (n);
  if (n > size - 8)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: header length: expected at most %" G_GSIZE_FORMAT
                   " (the file's size less 8), got %" G_GUINT64_FORMAT, file, size - 8, n);
      return NULL;
    }
  if (n > EIGML_SAFETENSORS_MAX_HEADER)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: header length: expected at most %d bytes, got %" G_GUINT64_FORMAT,
                   file, EIGML_SAFETENSORS_MAX_HEADER, n);
      return NULL;
    }
  if (n < 2 || data[8] != '{')
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: header: expected a JSON object starting with '{' at byte 8, got %s",
                   file, n == 0 ? "an empty header" : "another byte");
      return NULL;
    }
  if (!check_json_depth ((const char *) data + 8, n, file, error))
    return NULL;

  counts = g_hash_table_new (NULL, NULL);
  parser = json_parser_new_immutable ();
  g_signal_connect (parser, "object-member", G_CALLBACK (on_object_member), counts);
  if (!json_parser_load_from_data (parser, (const char *) data + 8, (gssize) n, &local_error))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: header: expected valid JSON, got an error: %s", file,
                   local_error->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: header: expected a JSON object, got %s", file,
                   root ? json_node_type_name (root) : "nothing");
      return NULL;
    }
  object = json_node_get_object (root);
  if (!check_unique_members (counts, object, file, "tensor names", error))
    return NULL;

  header = g_new0 (EigmlSafetensorsHeader, 1);
  header->entries = g_ptr_array_new_with_free_func (entry_free);
  header->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  header->data_start = 8 + (gsize) n;
  data_size = size - header->data_start;

  members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      JsonNode *node = json_object_get_member (object, name);
      EigmlSafetensorsEntry *entry;

      if (strcmp (name, "__metadata__") == 0)
        {
          if (!parse_metadata (file, node, header->metadata, error))
            return NULL;
          continue;
        }
      if (JSON_NODE_HOLDS_OBJECT (node)
          && !check_unique_members (counts, json_node_get_object (node), file, name, error))
        return NULL;
      entry = parse_entry (file, name, node, data_size, error);
      if (entry == NULL)
        return NULL;
      g_ptr_array_add (header->entries, entry);
    }
  if (!check_no_overlap (header, file, error))
    return NULL;
  return g_steal_pointer (&header);
}

/**
 * eigml_safetensors_load_data:
 * @data: the whole file
 * @size: its size
 * @file: the file's display name, for messages
 * @error: return location for a #GError
 *
 * Returns: (transfer full): name -> #EigmlTensor; floats become f32,
 *   integers i32
 */
GHashTable *
eigml_safetensors_load_data (const guint8 *data,
                             gsize size,
                             const char *file,
                             GError **error)
{
  g_autoptr (EigmlSafetensorsHeader) header = NULL;
  g_autoptr (GHashTable) tensors = NULL;
  g_autofree EigmlSourceTensor *views = NULL;

  header = eigml_safetensors_parse_header (data, size, file, error);
  if (header == NULL)
    return NULL;

  /* Check every tensor can be converted before allocating any of them. */
  views = g_new0 (EigmlSourceTensor, MAX (header->entries->len, 1));
  for (guint i = 0; i < header->entries->len; i++)
    {
      EigmlSafetensorsEntry *entry = header->entries->pdata[i];
      EigmlSourceTensor *view = &views[i];
      gsize n_bytes;

      view->file = file;
      view->name = entry->name;
      view->dtype = entry->dtype;
      view->data = data + header->data_start + entry->begin;
      view->data_size = entry->end - entry->begin;
      view->n_dims = entry->n_dims;
      memcpy (view->shape, entry->shape, sizeof (view->shape));
      eigml_source_tensor_set_contiguous (view);
      if (!eigml_source_tensor_check_bounds (view, error)
          || !eigml_source_tensor_output_size (view, &n_bytes, error))
        return NULL;
    }

  tensors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  for (guint i = 0; i < header->entries->len; i++)
    {
      EigmlTensor *tensor = eigml_source_tensor_materialize (&views[i], error);
      if (tensor == NULL)
        return NULL;
      g_hash_table_insert (tensors, g_strdup (views[i].name), tensor);
    }
  return g_steal_pointer (&tensors);
}

/**
 * eigml_safetensors_load:
 * @path: a safetensors file
 * @error: return location for a #GError
 *
 * Maps @path and converts every tensor (see eigml_safetensors_load_data()).
 */
GHashTable *
eigml_safetensors_load (const char *path,
                        GError **error)
{
  g_autoptr (GMappedFile) mapped = NULL;
  g_autofree char *file = g_filename_display_name (path);

  mapped = g_mapped_file_new (path, FALSE, error);
  if (mapped == NULL)
    return NULL;
  return eigml_safetensors_load_data ((const guint8 *) g_mapped_file_get_contents (mapped),
                                      g_mapped_file_get_length (mapped), file, error);
}
