/* torch-state.c: storages, the state dict, and its tensors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The unpickler leaves tensors as views of storages; nothing is read until
 * the state dict has been chosen, so a checkpoint's optimizer state (often
 * twice the model) is never converted. Which dict is the state dict:
 *
 *  1. the top-level object, if it is a dict whose values are all tensors;
 *  2. else the value under "state_dict", "model_state_dict", "model" or
 *     "module" (first present that is a dict), again by these rules;
 *  3. else the object itself, flattened: nested dicts give names joined
 *     with '.', integer keys are written in decimal, and values that are
 *     neither tensors nor dicts (epochs, configs, lists) are skipped.
 */
#include "config.h"

#include "torch-private.h"
#include "eigml-error.h"

#include <string.h>

#define MAX_FLATTEN_DEPTH 32
#define MAX_SELECT_DEPTH 8

static const char *const state_dict_keys[] = {
  "state_dict", "model_state_dict", "model", "module",
};

static void
storage_free (gpointer data)
{
  EigmlTorchStorage *storage = data;

  g_free (storage->key);
  g_free (storage);
}

void
eigml_torch_loader_init (EigmlTorchLoader *loader,
                         const char *file,
                         const char *member,
                         gboolean legacy,
                         EigmlTorchStorageResolver resolve,
                         gpointer resolve_data)
{
  memset (loader, 0, sizeof *loader);
  loader->file = file;
  loader->member = member;
  loader->legacy = legacy;
  loader->resolve = resolve;
  loader->resolve_data = resolve_data;
  loader->storages = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, storage_free);
}

void
eigml_torch_loader_clear (EigmlTorchLoader *loader)
{
  g_clear_pointer (&loader->storages, g_hash_table_unref);
}

static EigmlTorchStorage *
get_storage (EigmlTorchLoader *loader,
             const char *key,
             EigmlSourceDType dtype,
             gint64 numel,
             GError **error)
{
  EigmlTorchStorage *storage = g_hash_table_lookup (loader->storages, key);

  if (storage != NULL)
    {
      if (storage->dtype != dtype || storage->numel != numel)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s: %s: storage '%s': expected the same type and size at every use, got "
                       "%s[%" G_GINT64_FORMAT "] and %s[%" G_GINT64_FORMAT "]", loader->file,
                       loader->member, key, eigml_source_dtype_safetensors_name (storage->dtype),
                       storage->numel, eigml_source_dtype_safetensors_name (dtype), numel);
          return NULL;
        }
      return storage;
    }
  storage = g_new0 (EigmlTorchStorage, 1);
  storage->key = g_strdup (key);
  storage->dtype = dtype;
  storage->numel = numel;
  g_hash_table_insert (loader->storages, storage->key, storage);
  return storage;
}

/**
 * eigml_torch_persistent_load:
 *
 * BINPERSID: ('storage', storage_type, key, location, numel), plus
 * view_metadata (None or (view_key, offset, size)) in the legacy format.
 */
EigmlPickleValue *
eigml_torch_persistent_load (EigmlPickle *pickle,
                             EigmlPickleValue *pid,
                             gpointer user_data,
                             GError **error)
{
  EigmlTorchLoader *loader = user_data;
  guint expected = loader->legacy ? 6 : 5;
  EigmlPickleValue **item;
  EigmlTorchStorage *storage;

  if (pid->kind != EIGML_PICKLE_TUPLE || pid->tuple.n_items != expected)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: %s: persistent id: expected a tuple of %u items ('storage', type, key, "
                   "location, numel%s), got a %s of %u", loader->file, loader->member, expected,
                   loader->legacy ? ", view" : "", eigml_pickle_kind_name (pid->kind),
                   pid->kind == EIGML_PICKLE_TUPLE ? pid->tuple.n_items : 1);
      return NULL;
    }
  item = pid->tuple.items;
  if (item[0]->kind != EIGML_PICKLE_STRING || strcmp (item[0]->str.data, "storage") != 0
      || item[1]->kind != EIGML_PICKLE_GLOBAL
      || item[1]->global.id != EIGML_PICKLE_GLOBAL_STORAGE_TYPE
      || item[2]->kind != EIGML_PICKLE_STRING || item[3]->kind != EIGML_PICKLE_STRING
      || item[4]->kind != EIGML_PICKLE_INT || item[4]->integer < 0)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: %s: persistent id: expected ('storage', torch.<T>Storage, key, location, "
                   "numel >= 0), got (%s, %s, %s, %s, %s)", loader->file, loader->member,
                   eigml_pickle_kind_name (item[0]->kind), eigml_pickle_kind_name (item[1]->kind),
                   eigml_pickle_kind_name (item[2]->kind), eigml_pickle_kind_name (item[3]->kind),
                   eigml_pickle_kind_name (item[4]->kind));
      return NULL;
    }
  storage = get_storage (loader, item[2]->str.data, item[1]->global.dtype, item[4]->integer, error);
  if (storage == NULL)
    return NULL;

  if (loader->legacy && item[5]->kind != EIGML_PICKLE_NONE)
    {
      EigmlPickleValue *view = item[5];
      EigmlTorchStorage *slice;
      if (view->kind != EIGML_PICKLE_TUPLE || view->tuple.n_items != 3
          || view->tuple.items[0]->kind != EIGML_PICKLE_STRING
          || view->tuple.items[1]->kind != EIGML_PICKLE_INT
          || view->tuple.items[2]->kind != EIGML_PICKLE_INT
          || view->tuple.items[1]->integer < 0 || view->tuple.items[2]->integer < 0)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s: %s: persistent id of storage '%s': view metadata: expected None or "
                       "(key, offset >= 0, size >= 0), got %s", loader->file, loader->member,
                       storage->key, eigml_pickle_kind_name (view->kind));
          return NULL;
        }
      if (strcmp (view->tuple.items[0]->str.data, storage->key) == 0)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s: %s: storage '%s': expected a view key other than its own", loader->file,
                       loader->member, storage->key);
          return NULL;
        }
      slice = get_storage (loader, view->tuple.items[0]->str.data, storage->dtype,
                           view->tuple.items[2]->integer, error);
      if (slice == NULL)
        return NULL;
      if (slice->root != NULL && (slice->root != storage
                                  || slice->view_offset != view->tuple.items[1]->integer))
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s: %s: storage view '%s': expected one definition, got two", loader->file,
                       loader->member, slice->key);
          return NULL;
        }
      slice->root = storage;
      slice->view_offset = view->tuple.items[1]->integer;
      storage = slice;
    }
  return eigml_pickle_new_storage (pickle, storage, storage->dtype);
}

static gboolean
resolve_storage (EigmlTorchLoader *loader,
                 EigmlTorchStorage *storage,
                 guint depth,
                 GError **error)
{
  gsize esize = eigml_source_dtype_size (storage->dtype);
  guint64 n_bytes;

  if (storage->resolved)
    return TRUE;
  if (__builtin_mul_overflow ((guint64) storage->numel, esize, &n_bytes) || n_bytes > G_MAXSIZE)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: storage '%s': numel: %" G_GINT64_FORMAT " elements overflow the address "
                   "space", loader->file, storage->key, storage->numel);
      return FALSE;
    }
  if (storage->root != NULL)
    {
      if (depth > 0 || !resolve_storage (loader, storage->root, depth + 1, error))
        {
          if (depth > 0)
            g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                         "%s: storage '%s': expected a view of a whole storage, got a view of a "
                         "view", loader->file, storage->key);
          return FALSE;
        }
      if (storage->view_offset > storage->root->numel
          || storage->numel > storage->root->numel - storage->view_offset)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s: storage view '%s': elements [%" G_GINT64_FORMAT ", +%" G_GINT64_FORMAT
                       "): expected within storage '%s' of %" G_GINT64_FORMAT " elements",
                       loader->file, storage->key, storage->view_offset, storage->numel,
                       storage->root->key, storage->root->numel);
          return FALSE;
        }
      storage->data = storage->root->data + (gsize) storage->view_offset * esize;
      storage->data_size = (gsize) n_bytes;
      storage->resolved = TRUE;
      return TRUE;
    }
  if (loader->resolve == NULL)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: storage '%s': expected its data in the file, found none", loader->file,
                   storage->key);
      return FALSE;
    }
  if (!loader->resolve (storage->key, storage->dtype, storage->numel, &storage->data,
                        &storage->data_size, loader->resolve_data, error))
    return FALSE;
  if (storage->data_size != n_bytes)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: storage '%s': expected %" G_GUINT64_FORMAT " bytes (%" G_GINT64_FORMAT
                   " x %s), got %" G_GSIZE_FORMAT, loader->file, storage->key, n_bytes,
                   storage->numel, eigml_source_dtype_safetensors_name (storage->dtype),
                   storage->data_size);
      return FALSE;
    }
  storage->resolved = TRUE;
  return TRUE;
}

static gboolean
is_flat_state_dict (EigmlPickleValue *value)
{
  if (value->kind != EIGML_PICKLE_DICT)
    return FALSE;
  for (guint i = 0; i < value->dict.values->len; i++)
    if (((EigmlPickleValue *) value->dict.values->pdata[i])->kind != EIGML_PICKLE_TENSOR)
      return FALSE;
  return TRUE;
}

static EigmlPickleValue *
select_state_dict (EigmlPickleValue *root)
{
  for (guint depth = 0; depth < MAX_SELECT_DEPTH; depth++)
    {
      EigmlPickleValue *child = NULL;
      if (root->kind != EIGML_PICKLE_DICT || is_flat_state_dict (root))
        return root;
      for (guint k = 0; k < G_N_ELEMENTS (state_dict_keys) && child == NULL; k++)
        {
          child = eigml_pickle_dict_lookup (root, state_dict_keys[k]);
          if (child != NULL && child->kind != EIGML_PICKLE_DICT)
            child = NULL;
        }
      if (child == NULL)
        return root;
      root = child;
    }
  return root;
}

typedef struct
{
  EigmlTorchLoader *loader;
  GPtrArray *names;     /* of char*, owned */
  GPtrArray *tensors;   /* of EigmlPickleValue* */
  GHashTable *seen;     /* names */
} Flattener;

static gboolean
flatten (Flattener *f,
         EigmlPickleValue *dict,
         const char *prefix,
         guint depth,
         GError **error)
{
  if (depth > MAX_FLATTEN_DEPTH)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: %s: dict '%s': expected nesting of at most %d levels, got deeper "
                   "(a dict containing itself?)", f->loader->file, f->loader->member, prefix,
                   MAX_FLATTEN_DEPTH);
      return FALSE;
    }
  for (guint i = 0; i < dict->dict.keys->len; i++)
    {
      EigmlPickleValue *key = dict->dict.keys->pdata[i];
      EigmlPickleValue *value = dict->dict.values->pdata[i];
      g_autofree char *key_str = NULL;
      g_autofree char *name = NULL;

      if (value->kind != EIGML_PICKLE_TENSOR && value->kind != EIGML_PICKLE_DICT)
        continue;
      if (key->kind == EIGML_PICKLE_STRING)
        key_str = g_strdup (key->str.data);
      else if (key->kind == EIGML_PICKLE_INT)
        key_str = g_strdup_printf ("%" G_GINT64_FORMAT, key->integer);
      else
        continue;
      name = prefix[0] ? g_strconcat (prefix, ".", key_str, NULL) : g_steal_pointer (&key_str);
      if (value->kind == EIGML_PICKLE_DICT)
        {
          if (!flatten (f, value, name, depth + 1, error))
            return FALSE;
          continue;
        }
      if (g_hash_table_contains (f->seen, name))
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s: %s: tensor name '%s': expected unique names, got it twice "
                       "(a key with dots and a nested dict?)", f->loader->file, f->loader->member,
                       name);
          return FALSE;
        }
      g_hash_table_add (f->seen, name);
      g_ptr_array_add (f->names, g_steal_pointer (&name));
      g_ptr_array_add (f->tensors, value);
    }
  return TRUE;
}

static char *
describe_keys (EigmlPickleValue *value)
{
  GString *s = g_string_new (NULL);

  if (value->kind != EIGML_PICKLE_DICT)
    {
      g_string_append (s, eigml_pickle_kind_name (value->kind));
      return g_string_free (s, FALSE);
    }
  g_string_append (s, "a dict with keys ");
  for (guint i = 0; i < value->dict.keys->len && i < 8; i++)
    {
      EigmlPickleValue *key = value->dict.keys->pdata[i];
      if (key->kind == EIGML_PICKLE_STRING)
        g_string_append_printf (s, "%s'%s'", i ? ", " : "", key->str.data);
      else
        g_string_append_printf (s, "%s<%s>", i ? ", " : "", eigml_pickle_kind_name (key->kind));
    }
  if (value->dict.keys->len > 8)
    g_string_append (s, ", ...");
  if (value->dict.keys->len == 0)
    g_string_assign (s, "an empty dict");
  return g_string_free (s, FALSE);
}

/**
 * eigml_torch_collect_tensors:
 * @loader: the loader whose storages @root refers to
 * @root: the unpickled object
 * @output_cap: the most bytes the converted tensors may take in all
 * @error: return location for a #GError
 *
 * Picks the state dict (see the top of this file), checks every tensor of
 * it against its storage, then converts them.
 *
 * Returns: (transfer full): name -> #EigmlTensor
 */
GHashTable *
eigml_torch_collect_tensors (EigmlTorchLoader *loader,
                             EigmlPickleValue *root,
                             gsize output_cap,
                             GError **error)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) tensors = g_ptr_array_new ();
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) result = NULL;
  g_autofree EigmlSourceTensor *views = NULL;
  Flattener f = { loader, names, tensors, seen };
  EigmlPickleValue *state = select_state_dict (root);
  gsize total = 0;

  if (state->kind != EIGML_PICKLE_DICT || !flatten (&f, state, "", 0, error))
    {
      if (state->kind != EIGML_PICKLE_DICT)
        g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                     "%s: %s: expected a dict of tensors (a state dict), got %s", loader->file,
                     loader->member, eigml_pickle_kind_name (state->kind));
      return NULL;
    }
  if (names->len == 0)
    {
      g_autofree char *keys = describe_keys (state);
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: %s: expected a state dict with tensors, got %s and no tensors",
                   loader->file, loader->member, keys);
      return NULL;
    }

  /* everything checked before anything is allocated */
  views = g_new0 (EigmlSourceTensor, names->len);
  for (guint i = 0; i < names->len; i++)
    {
      EigmlPickleValue *t = tensors->pdata[i];
      EigmlTorchStorage *storage = t->tensor->storage->storage.data;
      EigmlSourceTensor *view = &views[i];
      gsize n_bytes;

      if (!resolve_storage (loader, storage, 0, error))
        return NULL;
      view->file = loader->file;
      view->name = names->pdata[i];
      view->dtype = storage->dtype;
      view->data = storage->data;
      view->data_size = storage->data_size;
      view->n_dims = t->tensor->n_dims;
      view->offset = t->tensor->offset;
      memcpy (view->shape, t->tensor->shape, sizeof view->shape);
      memcpy (view->strides, t->tensor->strides, sizeof view->strides);
      if (!eigml_source_tensor_check_bounds (view, error)
          || !eigml_source_tensor_output_size (view, &n_bytes, error))
        return NULL;
      if (n_bytes > output_cap - total)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s: tensor '%s': the converted tensors would need more than %"
                       G_GSIZE_FORMAT " bytes, %d times the file's size (too many views of "
                       "shared storages)", loader->file, view->name, output_cap,
                       EIGML_TORCH_OUTPUT_FACTOR);
          return NULL;
        }
      total += n_bytes;
    }

  result = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  for (guint i = 0; i < names->len; i++)
    {
      EigmlTensor *tensor = eigml_source_tensor_materialize (&views[i], error);
      if (tensor == NULL)
        return NULL;
      g_hash_table_insert (result, g_strdup (views[i].name), tensor);
    }
  return g_steal_pointer (&result);
}
