/* eigml-dataset.c: a dataset of dialogues and candidate stickers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "eigml-dataset.h"
#include "eigml-enum-types.h"
#include "eigml-error.h"
#include "data/dataset-private.h"

/**
 * EigmlDataset:
 *
 * The examples of one split of a sticker-response dataset: StickerChat,
 * DSTC10-MOD or Eigml's own JSON lines format (`docs/datasets.md` gives
 * every rule).
 *
 * A dataset is a folder, and a split names its file in it:
 *
 * - StickerChat: `release_<split>.json`, with the stickers in
 *   `npy_stickers/<sticker_set_id>/<sticker_id>.npy`;
 * - DSTC10-MOD: `c_<split>_task2.json` when it exists (meme retrieval),
 *   else `c_<split>.json` (training dialogues), with `img2id.json` and the
 *   images in `meme_set/`;
 * - JSONL: `<split>.jsonl`.
 *
 * [ctor@Eigml.Dataset.new_for_file] names one file instead; the folder is
 * then the file's.
 *
 * A dataset is created and loaded at once, with #GInitable:
 * [ctor@Eigml.Dataset.new] uses the default settings; to change them, give
 * the construct properties to g_initable_new() (in Python,
 * `Eigml.Dataset(folder=..., split=..., n_candidates=5)` then `init()`).
 * Loading reads every record once and checks it (JSON, fields, the
 * positive sticker's image file); a bad record is an %EIGML_ERROR_FORMAT
 * error naming the file, the line and the field, unless
 * [property@Eigml.Dataset:skip-bad] is set, which skips and counts it.
 *
 * JSON lines files are not kept in memory: the dataset keeps where each
 * line is (16 bytes per example) and reads it again for
 * [method@Eigml.Dataset.get_example]. Reading examples does not change the
 * dataset, so several threads can read at once; an example's candidates
 * and their order depend only on [property@Eigml.Dataset:seed] and the
 * example's index.
 *
 * Since: 1.0
 */
struct _EigmlDataset
{
  GObject parent_instance;

  char *folder_arg;
  char *file_arg;
  char *split_arg;
  char *emotion_file;
  char *intent_file;
  EigmlDatasetCore core;
  EigmlSidecar emotion;
  EigmlSidecar intents;
  gboolean loaded;
};

static void eigml_dataset_initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (EigmlDataset, eigml_dataset, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      eigml_dataset_initable_iface_init))

enum
{
  PROP_0,
  PROP_FOLDER,
  PROP_FILE,
  PROP_FORMAT,
  PROP_SPLIT,
  PROP_N_CANDIDATES,
  PROP_SEED,
  PROP_SKIP_BAD,
  PROP_EMOTION_FILE,
  PROP_INTENT_FILE,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

#define DEFAULT_N_CANDIDATES 10
#define DEFAULT_SEED 42

static const EigmlDatasetReader *
reader_for (EigmlDatasetFormat format)
{
  switch (format)
    {
    case EIGML_DATASET_FORMAT_STICKERCHAT:
      return &eigml_dataset_stickerchat_reader;
    case EIGML_DATASET_FORMAT_MOD:
      return &eigml_dataset_mod_reader;
    case EIGML_DATASET_FORMAT_JSONL:
    default:
      return &eigml_dataset_jsonl_reader;
    }
}

/* Frees what a load made, so a failed load can be tried again. */
static void
dataset_unload (EigmlDataset *self)
{
  EigmlDatasetCore *core = &self->core;

  if (core->data != NULL)
    core->reader->free (core->data);
  core->data = NULL;
  eigml_sidecar_clear (&self->emotion);
  eigml_sidecar_clear (&self->intents);
  g_clear_pointer (&core->folder, g_free);
  g_clear_pointer (&core->file, g_free);
  g_clear_pointer (&core->file_name, g_free);
  g_clear_pointer (&core->split, g_free);
  g_ptr_array_set_size (core->messages, 0);
  core->n_examples = core->n_stickers = core->n_skipped = 0;
  self->loaded = FALSE;
}

static void
eigml_dataset_finalize (GObject *object)
{
  EigmlDataset *self = EIGML_DATASET (object);

  dataset_unload (self);
  g_ptr_array_unref (self->core.messages);
  g_free (self->folder_arg);
  g_free (self->file_arg);
  g_free (self->split_arg);
  g_free (self->emotion_file);
  g_free (self->intent_file);
  G_OBJECT_CLASS (eigml_dataset_parent_class)->finalize (object);
}

static void
eigml_dataset_get_property (GObject *object,
                            guint prop_id,
                            GValue *value,
                            GParamSpec *pspec)
{
  EigmlDataset *self = EIGML_DATASET (object);

  switch (prop_id)
    {
    case PROP_FOLDER:
      g_value_set_string (value, eigml_dataset_get_folder (self));
      break;
    case PROP_FILE:
      g_value_set_string (value, eigml_dataset_get_file (self));
      break;
    case PROP_FORMAT:
      g_value_set_enum (value, self->core.format);
      break;
    case PROP_SPLIT:
      g_value_set_string (value, eigml_dataset_get_split (self));
      break;
    case PROP_N_CANDIDATES:
      g_value_set_uint (value, self->core.n_candidates);
      break;
    case PROP_SEED:
      g_value_set_uint64 (value, self->core.seed);
      break;
    case PROP_SKIP_BAD:
      g_value_set_boolean (value, self->core.skip_bad);
      break;
    case PROP_EMOTION_FILE:
      g_value_set_string (value, self->emotion_file);
      break;
    case PROP_INTENT_FILE:
      g_value_set_string (value, self->intent_file);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eigml_dataset_set_property (GObject *object,
                            guint prop_id,
                            const GValue *value,
                            GParamSpec *pspec)
{
  EigmlDataset *self = EIGML_DATASET (object);

  switch (prop_id)
    {
    case PROP_FOLDER:
      self->folder_arg = g_value_dup_string (value);
      break;
    case PROP_FILE:
      self->file_arg = g_value_dup_string (value);
      break;
    case PROP_FORMAT:
      self->core.format = g_value_get_enum (value);
      break;
    case PROP_SPLIT:
      self->split_arg = g_value_dup_string (value);
      break;
    case PROP_N_CANDIDATES:
      self->core.n_candidates = g_value_get_uint (value);
      break;
    case PROP_SEED:
      self->core.seed = g_value_get_uint64 (value);
      break;
    case PROP_SKIP_BAD:
      self->core.skip_bad = g_value_get_boolean (value);
      break;
    case PROP_EMOTION_FILE:
      self->emotion_file = g_value_dup_string (value);
      break;
    case PROP_INTENT_FILE:
      self->intent_file = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eigml_dataset_class_init (EigmlDatasetClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS |
                      G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = eigml_dataset_finalize;
  object_class->get_property = eigml_dataset_get_property;
  object_class->set_property = eigml_dataset_set_property;

  /**
   * EigmlDataset:folder: (type filename)
   *
   * The dataset folder; the split's file in it is named from
   * [property@Eigml.Dataset:split]. Give either this or
   * [property@Eigml.Dataset:file]. Once loaded it reads as the full path of
   * the folder in use.
   *
   * Since: 1.0
   */
  props[PROP_FOLDER] = g_param_spec_string ("folder", NULL, NULL, NULL, flags);
  /**
   * EigmlDataset:file: (type filename)
   *
   * One dataset file, named directly; the folder is its folder. Once
   * loaded it reads as the full path of the file in use.
   *
   * Since: 1.0
   */
  props[PROP_FILE] = g_param_spec_string ("file", NULL, NULL, NULL, flags);
  /**
   * EigmlDataset:format:
   *
   * The layout of the dataset.
   *
   * Since: 1.0
   */
  props[PROP_FORMAT] =
    g_param_spec_enum ("format", NULL, NULL, EIGML_TYPE_DATASET_FORMAT,
                       EIGML_DATASET_FORMAT_STICKERCHAT, flags);
  /**
   * EigmlDataset:split:
   *
   * The split, such as `"train"`, `"val"` or `"test"`: it names the file in
   * the folder and starts every example id. With
   * [property@Eigml.Dataset:file] it may be left unset: it is then taken
   * from the file name (`release_val.json`, `c_val_task2.json` and
   * `val.jsonl` all give `"val"`; another name gives the name without its
   * extension).
   *
   * Since: 1.0
   */
  props[PROP_SPLIT] = g_param_spec_string ("split", NULL, NULL, NULL, flags);
  /**
   * EigmlDataset:n-candidates:
   *
   * How many candidates an example has when the dataset draws them: the
   * positive and n - 1 negatives (StickerChat pads a small set with
   * padding candidates). Candidate lists given by the file (DSTC10-MOD
   * task 2, JSONL `candidates`) are used as they are.
   *
   * Since: 1.0
   */
  props[PROP_N_CANDIDATES] =
    g_param_spec_uint ("n-candidates", NULL, NULL, 1, EIGML_DATASET_MAX_CANDIDATES,
                       DEFAULT_N_CANDIDATES, flags);
  /**
   * EigmlDataset:seed:
   *
   * The seed of the candidate draws and orders: example i's candidates come
   * from a generator seeded with (seed, i) only.
   *
   * Since: 1.0
   */
  props[PROP_SEED] =
    g_param_spec_uint64 ("seed", NULL, NULL, 0, G_MAXUINT64, DEFAULT_SEED, flags);
  /**
   * EigmlDataset:skip-bad:
   *
   * Whether a malformed record (a line, a task-2 item, a dialogue) is
   * skipped and counted instead of failing the load; see
   * [method@Eigml.Dataset.get_skipped_messages]. Missing files and sidecar
   * errors still fail.
   *
   * Since: 1.0
   */
  props[PROP_SKIP_BAD] = g_param_spec_boolean ("skip-bad", NULL, NULL, FALSE, flags);
  /**
   * EigmlDataset:emotion-file: (type filename)
   *
   * An optional JSON lines file giving examples their emotion:
   * `{"id": "train:12", "emotion": [7 numbers]}` (好 乐 哀 怒 惧 恶 惊,
   * normalised to sum 1) or `{"id": ..., "emotion": "乐"}`. It overrides an
   * emotion the dataset file gives.
   *
   * Since: 1.0
   */
  props[PROP_EMOTION_FILE] = g_param_spec_string ("emotion-file", NULL, NULL, NULL, flags);
  /**
   * EigmlDataset:intent-file: (type filename)
   *
   * An optional JSON lines file giving examples their COMET intentions:
   * `{"id": "train:12", "xIntent": [...], "xNeed": [...], "xWant": [...],
   * "xEffect": [...]}`, lists of strings; a relation left out is empty. It
   * overrides intents the dataset file gives.
   *
   * Since: 1.0
   */
  props[PROP_INTENT_FILE] = g_param_spec_string ("intent-file", NULL, NULL, NULL, flags);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
eigml_dataset_init (EigmlDataset *self)
{
  self->core.n_candidates = DEFAULT_N_CANDIDATES;
  self->core.seed = DEFAULT_SEED;
  self->core.messages = g_ptr_array_new_with_free_func (g_free);
  self->core.reader = &eigml_dataset_jsonl_reader;
  self->emotion.file.fd = -1;
  self->intents.file.fd = -1;
}

static gboolean
eigml_dataset_initable_init (GInitable *initable,
                             GCancellable *cancellable,
                             GError **error)
{
  EigmlDataset *self = EIGML_DATASET (initable);
  EigmlDatasetCore *core = &self->core;

  if (self->loaded)
    return TRUE;
  dataset_unload (self);
  core->reader = reader_for (core->format);
  if (!eigml_dataset_core_resolve (core, self->folder_arg, self->file_arg, self->split_arg,
                                   error) ||
      !core->reader->load (core, cancellable, error) ||
      (self->emotion_file != NULL &&
       !eigml_sidecar_load (&self->emotion, core, self->emotion_file, FALSE, cancellable,
                            error)) ||
      (self->intent_file != NULL &&
       !eigml_sidecar_load (&self->intents, core, self->intent_file, TRUE, cancellable, error)))
    {
      dataset_unload (self);
      return FALSE;
    }
  self->loaded = TRUE;
  return TRUE;
}

static void
eigml_dataset_initable_iface_init (GInitableIface *iface)
{
  iface->init = eigml_dataset_initable_init;
}

/**
 * eigml_dataset_new:
 * @path: (type filename): the dataset folder
 * @format: its layout
 * @split: the split, such as `"train"`, `"val"` or `"test"`
 * @error: return location for a #GError
 *
 * Loads one split of a dataset with the default settings (10 candidates,
 * seed 42, no sidecars, bad records are errors). See #EigmlDataset for the
 * file names and for how to change the settings.
 *
 * Returns: (transfer full) (nullable): the dataset, or %NULL when a file is missing
 *   or a record is bad
 *
 * Since: 1.0
 */
EigmlDataset *
eigml_dataset_new (const char *path,
                   EigmlDatasetFormat format,
                   const char *split,
                   GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (split != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_initable_new (EIGML_TYPE_DATASET, NULL, error, "folder", path, "format", format,
                         "split", split, NULL);
}

/**
 * eigml_dataset_new_for_file:
 * @file: (type filename): a dataset file; the stickers (StickerChat's
 *   `npy_stickers/`, DSTC10-MOD's `img2id.json` and `meme_set/`) are
 *   beside it
 * @format: its layout
 * @error: return location for a #GError
 *
 * Loads one dataset file with the default settings; the split, which
 * starts the example ids, comes from the file name (see
 * [property@Eigml.Dataset:split]).
 *
 * Returns: (transfer full) (nullable): the dataset, or %NULL on error
 *
 * Since: 1.0
 */
EigmlDataset *
eigml_dataset_new_for_file (const char *file,
                            EigmlDatasetFormat format,
                            GError **error)
{
  g_return_val_if_fail (file != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_initable_new (EIGML_TYPE_DATASET, NULL, error, "file", file, "format", format, NULL);
}

/**
 * eigml_dataset_get_n_examples:
 * @self: a dataset
 *
 * Returns: the number of examples (skipped records not counted)
 *
 * Since: 1.0
 */
guint
eigml_dataset_get_n_examples (EigmlDataset *self)
{
  g_return_val_if_fail (EIGML_IS_DATASET (self), 0);

  return self->core.n_examples;
}

/**
 * eigml_dataset_get_example:
 * @self: a dataset
 * @index: an example, from 0 to [method@Eigml.Dataset.get_n_examples] - 1
 * @error: return location for a #GError
 *
 * Reads one example, its candidates drawn and shuffled for (seed, @index).
 * The same index always gives the same example, whichever thread asks and
 * in whichever order; several threads may call this at once.
 *
 * Returns: (transfer full) (nullable): the example, or %NULL when @index is out of
 *   range or the file changed since the dataset was loaded
 *
 * Since: 1.0
 */
EigmlExample *
eigml_dataset_get_example (EigmlDataset *self,
                           guint index,
                           GError **error)
{
  g_autoptr (EigmlExample) example = NULL;

  g_return_val_if_fail (EIGML_IS_DATASET (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!self->loaded)
    {
      g_set_error_literal (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                           "the dataset is not loaded: create it with eigml_dataset_new() or "
                           "initialise it with g_initable_init()");
      return NULL;
    }
  if (index >= self->core.n_examples)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_OUT_OF_RANGE,
                   "example %u of %s: expected an index below %u", index, self->core.file_name,
                   self->core.n_examples);
      return NULL;
    }
  example = self->core.reader->get (&self->core, index, error);
  if (example == NULL ||
      !eigml_sidecar_apply (&self->emotion, index, example, error) ||
      !eigml_sidecar_apply (&self->intents, index, example, error))
    return NULL;
  return g_steal_pointer (&example);
}

/**
 * eigml_dataset_get_n_skipped:
 * @self: a dataset
 *
 * Gives how many records [property@Eigml.Dataset:skip-bad] skipped: lines
 * (StickerChat, JSONL), task-2 items, and for DSTC10-MOD dialogues whole
 * dialogues with a malformed turn or single meme turns whose meme is
 * unknown.
 *
 * Returns: the number of skipped records
 *
 * Since: 1.0
 */
guint
eigml_dataset_get_n_skipped (EigmlDataset *self)
{
  g_return_val_if_fail (EIGML_IS_DATASET (self), 0);

  return self->core.n_skipped;
}

/**
 * eigml_dataset_get_skipped_messages:
 * @self: a dataset
 *
 * Gives why records were skipped, one message each ("file:line: field
 * ...: expected ..., got ..."), for the first 100 skipped records.
 *
 * Returns: (transfer full) (array zero-terminated=1): the messages
 *
 * Since: 1.0
 */
char **
eigml_dataset_get_skipped_messages (EigmlDataset *self)
{
  GPtrArray *messages;
  char **out;

  g_return_val_if_fail (EIGML_IS_DATASET (self), NULL);

  messages = self->core.messages;
  out = g_new (char *, messages->len + 1);
  for (guint i = 0; i < messages->len; i++)
    out[i] = g_strdup (messages->pdata[i]);
  out[messages->len] = NULL;
  return out;
}

/**
 * eigml_dataset_get_n_stickers:
 * @self: a dataset
 *
 * Gives the size of the sticker universe the candidates come from:
 * StickerChat, the `.npy` files of the sets the split's examples use;
 * DSTC10-MOD, the memes of `img2id.json` whose file is in `meme_set/`;
 * JSONL, the distinct stickers the file names.
 *
 * Returns: the number of stickers
 *
 * Since: 1.0
 */
guint
eigml_dataset_get_n_stickers (EigmlDataset *self)
{
  g_return_val_if_fail (EIGML_IS_DATASET (self), 0);

  return self->core.n_stickers;
}

/**
 * eigml_dataset_get_folder:
 * @self: a dataset
 *
 * Returns: (transfer none) (type filename) (nullable): the full path of
 *   the dataset folder, or the folder given before loading
 *
 * Since: 1.0
 */
const char *
eigml_dataset_get_folder (EigmlDataset *self)
{
  g_return_val_if_fail (EIGML_IS_DATASET (self), NULL);

  return self->loaded ? self->core.folder : self->folder_arg;
}

/**
 * eigml_dataset_get_file:
 * @self: a dataset
 *
 * Returns: (transfer none) (type filename) (nullable): the full path of
 *   the dataset file, or the file given before loading
 *
 * Since: 1.0
 */
const char *
eigml_dataset_get_file (EigmlDataset *self)
{
  g_return_val_if_fail (EIGML_IS_DATASET (self), NULL);

  return self->loaded ? self->core.file : self->file_arg;
}

/**
 * eigml_dataset_get_format:
 * @self: a dataset
 *
 * Returns: the dataset's layout
 *
 * Since: 1.0
 */
EigmlDatasetFormat
eigml_dataset_get_format (EigmlDataset *self)
{
  g_return_val_if_fail (EIGML_IS_DATASET (self), EIGML_DATASET_FORMAT_STICKERCHAT);

  return self->core.format;
}

/**
 * eigml_dataset_get_split:
 * @self: a dataset
 *
 * Returns: (transfer none) (nullable): the split that starts the example
 *   ids
 *
 * Since: 1.0
 */
const char *
eigml_dataset_get_split (EigmlDataset *self)
{
  g_return_val_if_fail (EIGML_IS_DATASET (self), NULL);

  return self->loaded ? self->core.split : self->split_arg;
}

/**
 * eigml_dataset_get_n_candidates:
 * @self: a dataset
 *
 * Returns: [property@Eigml.Dataset:n-candidates]
 *
 * Since: 1.0
 */
guint
eigml_dataset_get_n_candidates (EigmlDataset *self)
{
  g_return_val_if_fail (EIGML_IS_DATASET (self), 0);

  return self->core.n_candidates;
}

/**
 * eigml_dataset_get_seed:
 * @self: a dataset
 *
 * Returns: [property@Eigml.Dataset:seed]
 *
 * Since: 1.0
 */
guint64
eigml_dataset_get_seed (EigmlDataset *self)
{
  g_return_val_if_fail (EIGML_IS_DATASET (self), 0);

  return self->core.seed;
}

/**
 * eigml_dataset_get_skip_bad:
 * @self: a dataset
 *
 * Returns: [property@Eigml.Dataset:skip-bad]
 *
 * Since: 1.0
 */
gboolean
eigml_dataset_get_skip_bad (EigmlDataset *self)
{
  g_return_val_if_fail (EIGML_IS_DATASET (self), FALSE);

  return self->core.skip_bad;
}

/**
 * eigml_dataset_get_emotion_file:
 * @self: a dataset
 *
 * Returns: (transfer none) (type filename) (nullable):
 *   [property@Eigml.Dataset:emotion-file]
 *
 * Since: 1.0
 */
const char *
eigml_dataset_get_emotion_file (EigmlDataset *self)
{
  g_return_val_if_fail (EIGML_IS_DATASET (self), NULL);

  return self->emotion_file;
}

/**
 * eigml_dataset_get_intent_file:
 * @self: a dataset
 *
 * Returns: (transfer none) (type filename) (nullable):
 *   [property@Eigml.Dataset:intent-file]
 *
 * Since: 1.0
 */
const char *
eigml_dataset_get_intent_file (EigmlDataset *self)
{
  g_return_val_if_fail (EIGML_IS_DATASET (self), NULL);

  return self->intent_file;
}

gsize
eigml_dataset_get_index_bytes (EigmlDataset *self)
{
  g_return_val_if_fail (EIGML_IS_DATASET (self), 0);

  if (!self->loaded)
    return 0;
  return self->core.reader->index_bytes (&self->core) +
         eigml_sidecar_index_bytes (&self->emotion) + eigml_sidecar_index_bytes (&self->intents);
}

/**
 * eigml_dataset_format_to_string:
 * @format: a dataset format
 *
 * Returns: (transfer none): "stickerchat", "mod" or "jsonl"
 *
 * Since: 1.0
 */
const char *
eigml_dataset_format_to_string (EigmlDatasetFormat format)
{
  switch (format)
    {
    case EIGML_DATASET_FORMAT_STICKERCHAT:
      return "stickerchat";
    case EIGML_DATASET_FORMAT_MOD:
      return "mod";
    case EIGML_DATASET_FORMAT_JSONL:
      return "jsonl";
    default:
      return "invalid";
    }
}

/**
 * eigml_dataset_format_from_string:
 * @name: "stickerchat", "mod" or "jsonl" (case-insensitive)
 * @format: (out): return location for the format
 * @error: return location for a #GError
 *
 * Returns: %TRUE if @name names a dataset format
 *
 * Since: 1.0
 */
gboolean
eigml_dataset_format_from_string (const char *name,
                                  EigmlDatasetFormat *format,
                                  GError **error)
{
  static const EigmlDatasetFormat formats[] = { EIGML_DATASET_FORMAT_STICKERCHAT,
                                                EIGML_DATASET_FORMAT_MOD,
                                                EIGML_DATASET_FORMAT_JSONL };

  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (format != NULL, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    if (g_ascii_strcasecmp (name, eigml_dataset_format_to_string (formats[i])) == 0)
      {
        *format = formats[i];
        return TRUE;
      }
  g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
               "unknown dataset format '%s' (expected stickerchat, mod or jsonl)", name);
  return FALSE;
}
