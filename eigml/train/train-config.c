/* train-config.c: a trainer from a JSON config file (docs/training.md)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "eigml-trainer.h"
#include "eigml-trainer-private.h"
#include "eigml-enum-types.h"
#include "eigml-error.h"
#include "eigml-intent-source.h"
#include "model/model-private.h"

#include <json-glib/json-glib.h>
#include <string.h>

/* Sets PATH (a.b.c) in @root to @value (JSON when it parses, else a string). */
static gboolean
apply_override (JsonNode *root,
                const char *override,
                GError **error)
{
  const char *eq = strchr (override, '=');
  g_autofree char *path = NULL;
  g_auto (GStrv) keys = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *obj = json_node_get_object (root);
  JsonNode *value;
  guint n;

  if (eq == NULL || eq == override)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "override \"%s\": expected KEY.PATH=VALUE", override);
      return FALSE;
    }
  path = g_strndup (override, eq - override);
  keys = g_strsplit (path, ".", -1);
  n = g_strv_length (keys);
  for (guint i = 0; i + 1 < n; i++)
    {
      JsonNode *child = json_object_get_member (obj, keys[i]);

      if (child == NULL)
        {
          json_object_set_object_member (obj, keys[i], json_object_new ());
          child = json_object_get_member (obj, keys[i]);
        }
      if (!JSON_NODE_HOLDS_OBJECT (child))
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                       "override \"%s\": \"%s\" is not an object in the config", override, keys[i]);
          return FALSE;
        }
      obj = json_node_get_object (child);
    }
  if (json_parser_load_from_data (parser, eq + 1, -1, NULL) && json_parser_get_root (parser))
    value = json_node_copy (json_parser_get_root (parser));
  else
    {
      value = json_node_new (JSON_NODE_VALUE);
      json_node_set_string (value, eq + 1);
    }
  json_object_set_member (obj, keys[n - 1], value);
  return TRUE;
}

static char *
resolve (const char *base_dir,
         const char *path)
{
  if (g_path_is_absolute (path))
    return g_strdup (path);
  return g_build_filename (base_dir, path, NULL);
}

static const char *
get_string (JsonObject *obj,
            const char *where,
            const char *member,
            gboolean required,
            GError **error)
{
  JsonNode *n = json_object_get_member (obj, member);

  if (n == NULL)
    {
      if (required)
        g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT, "%s: \"%s\" is required", where,
                     member);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT, "%s: \"%s\" must be a string", where,
                   member);
      return NULL;
    }
  return json_node_get_string (n);
}

static gboolean
set_trainer_option (EigmlTrainer *trainer,
                    const char *where,
                    const char *member,
                    JsonNode *node,
                    GError **error)
{
  g_autofree char *name = g_strdelimit (g_strdup (member), "_", '-');
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (trainer), name);
  g_auto (GValue) v = G_VALUE_INIT;
  GType type;
  GType vt = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;

  if (pspec == NULL)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: train.%s is not a trainer option (see docs/training.md)", where, member);
      return FALSE;
    }
  type = G_PARAM_SPEC_VALUE_TYPE (pspec);
  g_value_init (&v, type);
  if (type == G_TYPE_DOUBLE && (vt == G_TYPE_DOUBLE || vt == G_TYPE_INT64))
    g_value_set_double (&v, json_node_get_double (node));
  else if ((type == G_TYPE_UINT || type == G_TYPE_UINT64) && vt == G_TYPE_INT64 &&
           json_node_get_int (node) >= 0)
    {
      if (type == G_TYPE_UINT)
        {
          if (json_node_get_int (node) > G_MAXUINT)
            goto bad;
          g_value_set_uint (&v, (guint) json_node_get_int (node));
        }
      else
        g_value_set_uint64 (&v, (guint64) json_node_get_int (node));
    }
  else if (type == G_TYPE_BOOLEAN && vt == G_TYPE_BOOLEAN)
    g_value_set_boolean (&v, json_node_get_boolean (node));
  else if (type == G_TYPE_STRING && vt == G_TYPE_STRING)
    g_value_set_string (&v, json_node_get_string (node));
  else if (G_TYPE_IS_ENUM (type) && vt == G_TYPE_STRING)
    {
      g_autoptr (GEnumClass) klass = g_type_class_ref (type);
      GEnumValue *ev = g_enum_get_value_by_nick (klass, json_node_get_string (node));

      if (ev == NULL)
        goto bad;
      g_value_set_enum (&v, ev->value);
    }
  else
    goto bad;
  if (!g_param_value_validate (pspec, &v))
    {
      g_object_set_property (G_OBJECT (trainer), name, &v);
      return TRUE;
    }
bad:
  g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT, "%s: train.%s: expected %s", where,
               member,
               type == G_TYPE_DOUBLE ? "a number"
               : type == G_TYPE_BOOLEAN ? "true or false"
               : type == G_TYPE_STRING ? "a string"
               : G_TYPE_IS_ENUM (type) ? "one of the names in docs/training.md"
               : "a non-negative integer in range");
  return FALSE;
}

static EigmlDataset *
open_split (JsonObject *data,
            const char *where,
            const char *base_dir,
            const char *split,
            guint n_candidates,
            guint64 seed,
            GError **error)
{
  const char *path, *format_name, *emo, *intent;
  g_autofree char *folder = NULL, *emo_path = NULL, *intent_path = NULL;
  EigmlDatasetFormat format;
  gboolean skip_bad;

  if ((path = get_string (data, where, "path", TRUE, error)) == NULL ||
      (format_name = get_string (data, where, "format", TRUE, error)) == NULL)
    return NULL;
  if (!eigml_dataset_format_from_string (format_name, &format, error))
    {
      g_prefix_error (error, "%s: data.format: ", where);
      return NULL;
    }
  emo = get_string (data, where, "emotion_file", FALSE, error);
  if (emo == NULL && error && *error)
    return NULL;
  intent = get_string (data, where, "intent_file", FALSE, error);
  if (intent == NULL && error && *error)
    return NULL;
  skip_bad = json_object_get_boolean_member_with_default (data, "skip_bad", FALSE);
  folder = resolve (base_dir, path);
  emo_path = emo ? resolve (base_dir, emo) : NULL;
  intent_path = intent ? resolve (base_dir, intent) : NULL;
  return g_initable_new (EIGML_TYPE_DATASET, NULL, error, "folder", folder, "format", format,
                         "split", split, "n-candidates", n_candidates, "seed", seed,
                         "skip-bad", skip_bad, "emotion-file", emo_path, "intent-file",
                         intent_path, NULL);
}

/**
 * eigml_trainer_new_from_config:
 * @context: where the model computes
 * @path: a training config (JSON; docs/training.md)
 * @overrides: (array zero-terminated=1) (nullable): `KEY.PATH=VALUE`
 *   changes applied to the config before it is read, e.g.
 *   `train.lr=1e-4` or `model.components.eiks=false`
 * @error: return location for a #GError
 *
 * Builds the model (random, from pretrained encoders, or from a
 * checkpoint), its tokenizer, the training and validation datasets and a
 * trainer with the config's options. Relative paths are relative to the
 * config file's folder.
 *
 * Returns: (transfer full) (nullable): the trainer
 *
 * Since: 1.0
 */
EigmlTrainer *
eigml_trainer_new_from_config (EigmlContext *context,
                               const char *path,
                               const char * const *overrides,
                               GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *base_dir = NULL, *vocab_path = NULL, *output = NULL, *ckpt = NULL;
  g_autoptr (EigmlModelConfig) mconfig = NULL;
  g_autoptr (EigmlModel) model = NULL;
  g_autoptr (EigmlTokenizer) tokenizer = NULL;
  g_autoptr (EigmlDataset) train = NULL, validation = NULL;
  g_autoptr (EigmlTrainer) trainer = NULL;
  JsonNode *root, *node;
  JsonObject *obj, *data, *topts = NULL;
  const char *s;
  guint64 seed = 42;
  static const char *const known[] = { "model", "vocab", "init", "data", "train", "output", NULL };

  g_return_val_if_fail (EIGML_IS_CONTEXT (context), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  if (!json_parser_load_from_mapped_file (parser, path, error))
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT, "%s: not a JSON object", path);
      return NULL;
    }
  for (guint i = 0; overrides != NULL && overrides[i] != NULL; i++)
    if (!apply_override (root, overrides[i], error))
      return NULL;
  obj = json_node_get_object (root);
  {
    g_autoptr (GList) members = json_object_get_members (obj);
    for (GList *l = members; l != NULL; l = l->next)
      if (!g_strv_contains (known, l->data))
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s: unknown member \"%s\" (known: model, vocab, init, data, train, output)",
                       path, (const char *) l->data);
          return NULL;
        }
  }
  base_dir = g_path_get_dirname (path);

  /* init: where the weights come from */
  node = json_object_get_member (obj, "init");
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node) &&
      (s = get_string (json_node_get_object (node), path, "checkpoint", FALSE, error)) != NULL)
    ckpt = resolve (base_dir, s);
  else if (error != NULL && *error != NULL)
    return NULL;
  else if (node != NULL && !JSON_NODE_HOLDS_OBJECT (node) &&
           !(JSON_NODE_HOLDS_VALUE (node) &&
             g_strcmp0 (json_node_get_string (node), "random") == 0))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: \"init\" must be \"random\" or an object with \"checkpoint\" or "
                   "\"text_encoder\"/\"vision_encoder\"", path);
      return NULL;
    }

  /* the model */
  node = json_object_get_member (obj, "model");
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_STRING)
    {
      g_autofree char *mpath = resolve (base_dir, json_node_get_string (node));
      mconfig = eigml_model_config_new_from_json (mpath, error);
    }
  else if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    {
      g_autofree char *text = json_to_string (node, FALSE);
      mconfig = eigml_model_config_new_from_data (text, -1, error);
      if (mconfig == NULL)
        g_prefix_error (error, "%s: model: ", path);
    }
  else if (node == NULL && ckpt != NULL)
    {
      g_autofree char *cpath = g_build_filename (ckpt, "config.json", NULL);
      mconfig = eigml_model_config_new_from_json (cpath, error);
    }
  else
    g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                 "%s: \"model\" must be a model config object or a file name", path);
  if (mconfig == NULL)
    return NULL;

  node = json_object_get_member (obj, "train");
  if (node != NULL)
    {
      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT, "%s: \"train\" must be an object",
                       path);
          return NULL;
        }
      topts = json_node_get_object (node);
      if (json_object_has_member (topts, "seed"))
        {
          JsonNode *sn = json_object_get_member (topts, "seed");
          if (JSON_NODE_HOLDS_VALUE (sn) && json_node_get_value_type (sn) == G_TYPE_INT64 &&
              json_node_get_int (sn) >= 0)
            seed = (guint64) json_node_get_int (sn);
        }
    }

  model = eigml_model_new (context, mconfig, seed, error);
  if (model == NULL)
    return NULL;
  if (ckpt != NULL)
    {
      g_autofree char *wpath = g_build_filename (ckpt, "model.safetensors", NULL);
      g_autoptr (EigmlWeights) w = eigml_weights_load (wpath, error);

      if (w == NULL || !eigml_model_load_weights (model, w, TRUE, error))
        {
          g_prefix_error (error, "%s: init.checkpoint: ", path);
          return NULL;
        }
    }
  else if ((node = json_object_get_member (obj, "init")) != NULL && JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *init = json_node_get_object (node);
      g_autoptr (EigmlWeights) tw = NULL, vw = NULL;
      const char *t = get_string (init, path, "text_encoder", FALSE, error);
      const char *v = t != NULL || error == NULL || *error == NULL
                        ? get_string (init, path, "vision_encoder", FALSE, error) : NULL;

      if (error != NULL && *error != NULL)
        return NULL;
      if (t != NULL)
        {
          g_autofree char *p = resolve (base_dir, t);
          if ((tw = eigml_weights_load (p, error)) == NULL)
            return NULL;
        }
      if (v != NULL)
        {
          g_autofree char *p = resolve (base_dir, v);
          if ((vw = eigml_weights_load (p, error)) == NULL)
            return NULL;
        }
      if (!eigml_model_load_encoders (model, tw, vw, error))
        {
          g_prefix_error (error, "%s: init: ", path);
          return NULL;
        }
    }

  /* the vocabulary */
  s = get_string (obj, path, "vocab", FALSE, error);
  if (s == NULL && error != NULL && *error != NULL)
    return NULL;
  if (s != NULL)
    vocab_path = resolve (base_dir, s);
  else if (ckpt != NULL)
    vocab_path = g_build_filename (ckpt, "vocab.txt", NULL);
  else
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: \"vocab\" (a BERT vocab.txt) is required", path);
      return NULL;
    }
  tokenizer = eigml_tokenizer_new_from_file (vocab_path, error);
  if (tokenizer == NULL)
    return NULL;
  if (eigml_tokenizer_get_vocab_size (tokenizer) > mconfig->text->vocab_size)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "%s: the vocabulary has %u tokens but the text encoder's vocab_size is %u",
                   path, eigml_tokenizer_get_vocab_size (tokenizer), mconfig->text->vocab_size);
      return NULL;
    }

  /* the data */
  node = json_object_get_member (obj, "data");
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: \"data\" must be an object with path, format, train and validation", path);
      return NULL;
    }
  data = json_node_get_object (node);
  s = get_string (data, path, "train", FALSE, error);
  if (error != NULL && *error != NULL)
    return NULL;
  train = open_split (data, path, base_dir, s ? s : "train", mconfig->n_candidates, seed, error);
  if (train == NULL)
    return NULL;
  s = get_string (data, path, "validation", FALSE, error);
  if (error != NULL && *error != NULL)
    return NULL;
  if (s != NULL && *s != '\0')
    {
      validation = open_split (data, path, base_dir, s, mconfig->n_candidates, seed, error);
      if (validation == NULL)
        return NULL;
    }

  trainer = eigml_trainer_new (model, tokenizer, train, validation);
  s = get_string (data, path, "emotion_source", FALSE, error);
  if (error != NULL && *error != NULL)
    return NULL;
  if (s != NULL && g_str_equal (s, "annotator"))
    {
      g_autoptr (EigmlEmotionAnnotator) annotator = eigml_emotion_annotator_new (error);

      if (annotator == NULL)
        {
          g_prefix_error (error, "%s: data.emotion_source: ", path);
          return NULL;
        }
      eigml_trainer_set_emotion_annotator (trainer, annotator);
    }
  else if (s != NULL && !g_str_equal (s, "dataset"))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: data.emotion_source: expected \"dataset\" or \"annotator\", got \"%s\"",
                   path, s);
      return NULL;
    }
  s = get_string (data, path, "intent_source", FALSE, error);
  if (error != NULL && *error != NULL)
    return NULL;
  if (g_strcmp0 (s, "fallback") == 0)
    {
      g_autoptr (EigmlIntentSource) fallback = eigml_intent_source_new_fallback ();

      g_object_set (trainer, "intent-source", fallback, NULL);
    }
  else if (s != NULL && strcmp (s, "none") != 0)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: data.intent_source: expected \"none\" or \"fallback\", got \"%s\"", path,
                   s);
      return NULL;
    }
  if (topts != NULL)
    {
      g_autoptr (GList) members = json_object_get_members (topts);
      for (GList *l = members; l != NULL; l = l->next)
        if (!set_trainer_option (trainer, path, l->data,
                                 json_object_get_member (topts, l->data), error))
          return NULL;
    }
  s = get_string (obj, path, "output", FALSE, error);
  if (error != NULL && *error != NULL)
    return NULL;
  if (s != NULL)
    {
      output = resolve (base_dir, s);
      g_object_set (trainer, "output-dir", output, NULL);
    }
  return g_steal_pointer (&trainer);
}
