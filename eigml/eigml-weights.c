/* eigml-weights.c: named collections of tensors, loaded from weight files
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "eigml-weights.h"
#include "eigml-error.h"
#include "io/safetensors.h"
#include "io/torch.h"

#include <string.h>

/**
 * EigmlWeights:
 *
 * A set of tensors by name, as a model's weights are stored.
 *
 * eigml_weights_load() reads a safetensors file, a PyTorch checkpoint
 * written by `torch.save` (zip or legacy layout, read with a restricted
 * unpickler that refuses anything but a state dict), or a Hugging Face model
 * folder. Floating-point tensors become f32, integer ones i32. Names are
 * kept as the file spells them; mapping them onto a model is the model's
 * business. eigml_weights_save_safetensors() writes the set back out.
 *
 * Since: 1.0
 */
struct _EigmlWeights
{
  GObject parent_instance;

  GHashTable *tensors; /* name -> EigmlTensor */
};

G_DEFINE_FINAL_TYPE (EigmlWeights, eigml_weights, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_N_TENSORS,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

/* Files looked for in a model folder, in order of preference. */
static const char *const folder_candidates[] = { "model.safetensors", "pytorch_model.bin" };

static void
eigml_weights_finalize (GObject *object)
{
  EigmlWeights *self = EIGML_WEIGHTS (object);

  g_clear_pointer (&self->tensors, g_hash_table_unref);
  G_OBJECT_CLASS (eigml_weights_parent_class)->finalize (object);
}

static void
eigml_weights_get_property (GObject *object,
                            guint prop_id,
                            GValue *value,
                            GParamSpec *pspec)
{
  EigmlWeights *self = EIGML_WEIGHTS (object);

  switch (prop_id)
    {
    case PROP_N_TENSORS:
      g_value_set_uint (value, g_hash_table_size (self->tensors));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eigml_weights_class_init (EigmlWeightsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = eigml_weights_finalize;
  object_class->get_property = eigml_weights_get_property;

  /**
   * EigmlWeights:n-tensors:
   *
   * The number of tensors in the set.
   *
   * Since: 1.0
   */
  props[PROP_N_TENSORS] = g_param_spec_uint ("n-tensors", NULL, NULL, 0, G_MAXUINT, 0,
                                             G_PARAM_READABLE | G_PARAM_STATIC_STRINGS
                                             | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
eigml_weights_init (EigmlWeights *self)
{
  self->tensors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
}

/**
 * eigml_weights_new:
 *
 * Creates an empty set.
 *
 * Returns: (transfer full): a new #EigmlWeights
 *
 * Since: 1.0
 */
EigmlWeights *
eigml_weights_new (void)
{
  return g_object_new (EIGML_TYPE_WEIGHTS, NULL);
}

static char *
find_in_folder (const char *folder,
                GError **error)
{
  g_autofree char *display = g_filename_display_name (folder);
  static const char *const sharded[] = {
    "model.safetensors.index.json", "pytorch_model.bin.index.json",
  };

  for (guint i = 0; i < G_N_ELEMENTS (folder_candidates); i++)
    {
      g_autofree char *path = g_build_filename (folder, folder_candidates[i], NULL);
      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&path);
    }
  for (guint i = 0; i < G_N_ELEMENTS (sharded); i++)
    {
      g_autofree char *path = g_build_filename (folder, sharded[i], NULL);
      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_UNSUPPORTED,
                       "%s: expected model.safetensors or pytorch_model.bin, found only the "
                       "sharded checkpoint %s, which is not supported", display, sharded[i]);
          return NULL;
        }
    }
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
               "%s: expected model.safetensors or pytorch_model.bin in this folder, found neither",
               display);
  return NULL;
}

/**
 * eigml_weights_load:
 * @path: (type filename): a safetensors file, a `torch.save` checkpoint
 *   (`.bin`, `.pth`, `.pt`), or a folder holding `model.safetensors` or else
 *   `pytorch_model.bin`
 * @error: return location for a #GError
 *
 * Loads every tensor of a weight file. The format is recognised by the
 * file's first bytes, not its name. The file is mapped, never read whole:
 * each tensor is converted straight from the mapping into its own
 * #EigmlTensor (f32 for F32, F16 and BF16; i32 for integer types, which
 * must fit). A checkpoint holding more than a state dict (for example
 * `{'model': state_dict, 'optimizer': ...}`) gives the state dict found
 * under `state_dict`, `model_state_dict`, `model` or `module`.
 *
 * Any malformed, truncated or hostile file is an %EIGML_ERROR_FORMAT error
 * naming the file and the field; unsupported content (a pickle naming a
 * global outside the allow-list, a float64 tensor, more than 4 dimensions)
 * is %EIGML_ERROR_UNSUPPORTED or %EIGML_ERROR_SHAPE.
 *
 * Returns: (transfer full) (nullable): the weights, or %NULL on error
 *
 * Since: 1.0
 */
EigmlWeights *
eigml_weights_load (const char *path,
                    GError **error)
{
  g_autoptr (EigmlWeights) self = NULL;
  g_autoptr (GMappedFile) mapped = NULL;
  g_autoptr (GHashTable) tensors = NULL;
  g_autofree char *file_path = NULL;
  g_autofree char *file = NULL;
  const guint8 *data;
  gsize size;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      file_path = find_in_folder (path, error);
      if (file_path == NULL)
        return NULL;
    }
  else
    file_path = g_strdup (path);
  file = g_filename_display_name (file_path);

  mapped = g_mapped_file_new (file_path, FALSE, error);
  if (mapped == NULL)
    return NULL;
  data = (const guint8 *) g_mapped_file_get_contents (mapped);
  size = g_mapped_file_get_length (mapped);

  if (eigml_torch_is_candidate (data, size))
    tensors = eigml_torch_load_data (data, size, file, error);
  else if (eigml_safetensors_is_candidate (data, size))
    tensors = eigml_safetensors_load_data (data, size, file, error);
  else
    {
      g_autoptr (GString) head = g_string_new (NULL);
      for (gsize i = 0; i < MIN (size, 8); i++)
        g_string_append_printf (head, "%s%02x", i ? " " : "", data[i]);
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: expected a safetensors file (8-byte header length, then '{') or a "
                   "torch.save checkpoint (zip, or torch's legacy pickle), got a file of %"
                   G_GSIZE_FORMAT " bytes starting with [%s]", file, size, head->str);
      return NULL;
    }
  if (tensors == NULL)
    return NULL;

  self = eigml_weights_new ();
  g_clear_pointer (&self->tensors, g_hash_table_unref);
  self->tensors = g_steal_pointer (&tensors);
  return g_steal_pointer (&self);
}

/**
 * eigml_weights_get_n_tensors:
 * @self: a set of weights
 *
 * Returns: the number of tensors in @self
 *
 * Since: 1.0
 */
guint
eigml_weights_get_n_tensors (EigmlWeights *self)
{
  g_return_val_if_fail (EIGML_IS_WEIGHTS (self), 0);
  return g_hash_table_size (self->tensors);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/**
 * eigml_weights_get_names:
 * @self: a set of weights
 *
 * Returns: (transfer full) (array zero-terminated=1): the names of the
 *   tensors, sorted by byte value
 *
 * Since: 1.0
 */
char **
eigml_weights_get_names (EigmlWeights *self)
{
  GHashTableIter iter;
  gpointer key;
  char **names;
  guint n = 0;

  g_return_val_if_fail (EIGML_IS_WEIGHTS (self), NULL);

  names = g_new0 (char *, g_hash_table_size (self->tensors) + 1);
  g_hash_table_iter_init (&iter, self->tensors);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    names[n++] = g_strdup (key);
  qsort (names, n, sizeof (char *), compare_names);
  return names;
}

/**
 * eigml_weights_lookup:
 * @self: a set of weights
 * @name: a tensor name
 *
 * Returns: (transfer none) (nullable): the tensor called @name, or %NULL
 *
 * Since: 1.0
 */
EigmlTensor *
eigml_weights_lookup (EigmlWeights *self,
                      const char *name)
{
  g_return_val_if_fail (EIGML_IS_WEIGHTS (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  return g_hash_table_lookup (self->tensors, name);
}

/**
 * eigml_weights_insert:
 * @self: a set of weights
 * @name: the tensor's name (UTF-8)
 * @tensor: the tensor; @self keeps a reference, not a copy
 *
 * Adds @tensor under @name, replacing any tensor of that name.
 *
 * Since: 1.0
 */
void
eigml_weights_insert (EigmlWeights *self,
                      const char *name,
                      EigmlTensor *tensor)
{
  guint before;

  g_return_if_fail (EIGML_IS_WEIGHTS (self));
  g_return_if_fail (name != NULL && g_utf8_validate (name, -1, NULL));
  g_return_if_fail (EIGML_IS_TENSOR (tensor));

  before = g_hash_table_size (self->tensors);
  g_hash_table_insert (self->tensors, g_strdup (name), g_object_ref (tensor));
  if (g_hash_table_size (self->tensors) != before)
    g_object_notify_by_pspec (G_OBJECT (self), props[PROP_N_TENSORS]);
}

/**
 * eigml_weights_remove:
 * @self: a set of weights
 * @name: a tensor name
 *
 * Removes the tensor called @name.
 *
 * Returns: %TRUE if there was one
 *
 * Since: 1.0
 */
gboolean
eigml_weights_remove (EigmlWeights *self,
                      const char *name)
{
  g_return_val_if_fail (EIGML_IS_WEIGHTS (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  if (!g_hash_table_remove (self->tensors, name))
    return FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_N_TENSORS]);
  return TRUE;
}

/**
 * eigml_weights_save_safetensors:
 * @self: a set of weights
 * @path: (type filename): the file to write
 * @error: return location for a #GError
 *
 * Writes @self as a safetensors file: keys sorted, f32, f16 and i32 tensors
 * as F32, F16 and I32, metadata `{"format": "pt"}` so that Hugging Face
 * libraries accept it. The file is written beside @path under a temporary
 * name, synced and renamed over @path, so a crash never leaves a partial
 * file at @path.
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
eigml_weights_save_safetensors (EigmlWeights *self,
                                const char *path,
                                GError **error)
{
  g_return_val_if_fail (EIGML_IS_WEIGHTS (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return eigml_safetensors_save (path, self->tensors, error);
}
