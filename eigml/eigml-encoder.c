/* eigml-encoder.c: the encoder base class and its configuration
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "eigml-encoder.h"
#include "eigml-context-private.h"
#include "eigml-enum-types.h"
#include "eigml-error.h"
#include "eigml-tensor-private.h"
#include "engine/graph-cache.h"
#include "nn/encoder-private.h"

#include <json-glib/json-glib.h>
#include <string.h>

/* ---- configuration ------------------------------------------------------- */

G_DEFINE_BOXED_TYPE (EigmlEncoderConfig, eigml_encoder_config, eigml_encoder_config_copy,
                     eigml_encoder_config_free)

/**
 * eigml_encoder_config_new:
 * @kind: text or image
 *
 * Creates a configuration with the paper's encoders' sizes: for text,
 * bert-base-chinese (12 layers, hidden 768, 12 heads, FFN 3072, vocabulary
 * 21128, 512 positions, 2 token types, LayerNorm eps 1e-12, dropout 0.1);
 * for images, ViT-B/16 as ALBEF has it (12 layers, hidden 768, 12 heads,
 * FFN 3072, patches of 16) at the paper's 128 x 128 input, LayerNorm eps
 * 1e-6, no dropout.
 *
 * Returns: (transfer full): a new configuration
 *
 * Since: 1.0
 */
EigmlEncoderConfig *
eigml_encoder_config_new (EigmlEncoderKind kind)
{
  EigmlEncoderConfig *c = g_new0 (EigmlEncoderConfig, 1);

  c->kind = kind;
  c->n_layers = 12;
  c->hidden = 768;
  c->heads = 12;
  c->ffn = 3072;
  c->channels = 3;
  if (kind == EIGML_ENCODER_TEXT)
    {
      c->vocab_size = 21128;
      c->max_positions = 512;
      c->type_vocab_size = 2;
      c->layer_norm_eps = 1e-12f;
      c->dropout = 0.1f;
      c->attention_dropout = 0.1f;
      c->pooler = TRUE;
    }
  else
    {
      c->image_size = 128;
      c->patch_size = 16;
      c->layer_norm_eps = 1e-6f;
    }
  return c;
}

/**
 * eigml_encoder_config_copy:
 * @config: a configuration
 *
 * Returns: (transfer full): a copy of @config
 *
 * Since: 1.0
 */
EigmlEncoderConfig *
eigml_encoder_config_copy (const EigmlEncoderConfig *config)
{
  return g_memdup2 (config, sizeof *config);
}

/**
 * eigml_encoder_config_free:
 * @config: (nullable): a configuration
 *
 * Frees @config.
 *
 * Since: 1.0
 */
void
eigml_encoder_config_free (EigmlEncoderConfig *config)
{
  g_free (config);
}

/**
 * eigml_encoder_config_validate:
 * @config: a configuration
 * @error: return location for a #GError
 *
 * Checks that the sizes make an encoder: positive sizes, heads dividing the
 * hidden size, the patch size dividing the image size, probabilities in
 * [0, 1).
 *
 * Returns: %TRUE if @config is usable
 *
 * Since: 1.0
 */
gboolean
eigml_encoder_config_validate (const EigmlEncoderConfig *config,
                               GError **error)
{
  const char *what = NULL;

  if (config->kind != EIGML_ENCODER_TEXT && config->kind != EIGML_ENCODER_IMAGE)
    what = "kind is neither text nor image";
  else if (config->n_layers == 0 || config->hidden == 0 || config->heads == 0 || config->ffn == 0)
    what = "n_layers, hidden, heads and ffn must be positive";
  else if (config->hidden % config->heads != 0)
    what = "heads must divide hidden";
  else if (!(config->layer_norm_eps > 0.0f))
    what = "layer_norm_eps must be positive";
  else if (!(config->dropout >= 0.0f && config->dropout < 1.0f) ||
           !(config->attention_dropout >= 0.0f && config->attention_dropout < 1.0f))
    what = "dropout probabilities must be in [0, 1)";
  else if (config->kind == EIGML_ENCODER_TEXT &&
           (config->vocab_size == 0 || config->max_positions == 0 || config->type_vocab_size == 0))
    what = "vocab_size, max_positions and type_vocab_size must be positive";
  else if (config->kind == EIGML_ENCODER_IMAGE &&
           (config->image_size == 0 || config->patch_size == 0 || config->channels == 0 ||
            config->image_size % config->patch_size != 0))
    what = "image_size, patch_size and channels must be positive, and patch_size must divide "
           "image_size";
  if (what == NULL)
    return TRUE;
  g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
               "encoder configuration: %s (layers %u, hidden %u, heads %u, ffn %u, vocab %u, "
               "positions %u, image %u, patch %u)", what, config->n_layers, config->hidden,
               config->heads, config->ffn, config->vocab_size, config->max_positions,
               config->image_size, config->patch_size);
  return FALSE;
}

static gboolean
json_uint (JsonObject *obj,
           const char *path,
           const char *member,
           guint *out,
           GError **error)
{
  JsonNode *node = json_object_get_member (obj, member);
  gint64 v;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
      (v = json_node_get_int (node)) <= 0 || v > G_MAXINT32)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: \"%s\" must be a positive integer", path, member);
      return FALSE;
    }
  *out = (guint) v;
  return TRUE;
}

static gboolean
json_float (JsonObject *obj,
            const char *path,
            const char *member,
            float *out,
            GError **error)
{
  JsonNode *node = json_object_get_member (obj, member);

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || (json_node_get_value_type (node) != G_TYPE_DOUBLE &&
                                        json_node_get_value_type (node) != G_TYPE_INT64))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT, "%s: \"%s\" must be a number", path,
                   member);
      return FALSE;
    }
  *out = (float) json_node_get_double (node);
  return TRUE;
}

/**
 * eigml_encoder_config_new_from_json:
 * @kind: text or image
 * @path: a JSON file: a Hugging Face BERT `config.json` for text; for
 *   images an object with the same member names (`num_hidden_layers`,
 *   `hidden_size`, ..., plus `image_size`, `patch_size`, `num_channels`)
 * @error: return location for a #GError
 *
 * Reads an encoder configuration. Members not present keep the defaults of
 * eigml_encoder_config_new(); an activation other than GELU and
 * position-embedding types other than "absolute" are errors.
 *
 * Returns: (transfer full) (nullable): the configuration
 *
 * Since: 1.0
 */
EigmlEncoderConfig *
eigml_encoder_config_new_from_json (EigmlEncoderKind kind,
                                    const char *path,
                                    GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();

  if (!json_parser_load_from_mapped_file (parser, path, error))
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT, "%s: not a JSON object", path);
      return NULL;
    }
  return eigml_encoder_config_from_json_object (kind,
                                                json_node_get_object (json_parser_get_root (parser)),
                                                path, error);
}

/* Reads the members of an encoder configuration from @obj; @path names it
 * in errors (a file, or "FILE: text_encoder"). */
EigmlEncoderConfig *
eigml_encoder_config_from_json_object (EigmlEncoderKind kind,
                                       JsonObject *obj,
                                       const char *path,
                                       GError **error)
{
  g_autoptr (EigmlEncoderConfig) c = eigml_encoder_config_new (kind);
  const char *act, *pos_type;

  if (!json_uint (obj, path, "num_hidden_layers", &c->n_layers, error) ||
      !json_uint (obj, path, "hidden_size", &c->hidden, error) ||
      !json_uint (obj, path, "num_attention_heads", &c->heads, error) ||
      !json_uint (obj, path, "intermediate_size", &c->ffn, error) ||
      !json_uint (obj, path, "vocab_size", &c->vocab_size, error) ||
      !json_uint (obj, path, "max_position_embeddings", &c->max_positions, error) ||
      !json_uint (obj, path, "type_vocab_size", &c->type_vocab_size, error) ||
      !json_uint (obj, path, "image_size", &c->image_size, error) ||
      !json_uint (obj, path, "patch_size", &c->patch_size, error) ||
      !json_uint (obj, path, "num_channels", &c->channels, error) ||
      !json_float (obj, path, "layer_norm_eps", &c->layer_norm_eps, error) ||
      !json_float (obj, path, "hidden_dropout_prob", &c->dropout, error) ||
      !json_float (obj, path, "attention_probs_dropout_prob", &c->attention_dropout, error))
    return NULL;
  act = json_object_get_string_member_with_default (obj, "hidden_act", "gelu");
  if (g_strcmp0 (act, "gelu") != 0)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_UNSUPPORTED,
                   "%s: hidden_act \"%s\" is not supported (expected \"gelu\", the erf form)",
                   path, act ? act : "(not a string)");
      return NULL;
    }
  pos_type = json_object_get_string_member_with_default (obj, "position_embedding_type",
                                                         "absolute");
  if (g_strcmp0 (pos_type, "absolute") != 0)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_UNSUPPORTED,
                   "%s: position_embedding_type \"%s\" is not supported (expected \"absolute\")",
                   path, pos_type ? pos_type : "(not a string)");
      return NULL;
    }
  if (!eigml_encoder_config_validate (c, error))
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }
  return g_steal_pointer (&c);
}

/* The members eigml_encoder_config_from_json_object() reads. */
void
eigml_encoder_config_add_to_json (const EigmlEncoderConfig *c,
                                  JsonBuilder *b)
{
  json_builder_set_member_name (b, "num_hidden_layers");
  json_builder_add_int_value (b, c->n_layers);
  json_builder_set_member_name (b, "hidden_size");
  json_builder_add_int_value (b, c->hidden);
  json_builder_set_member_name (b, "num_attention_heads");
  json_builder_add_int_value (b, c->heads);
  json_builder_set_member_name (b, "intermediate_size");
  json_builder_add_int_value (b, c->ffn);
  json_builder_set_member_name (b, "layer_norm_eps");
  json_builder_add_double_value (b, c->layer_norm_eps);
  json_builder_set_member_name (b, "hidden_dropout_prob");
  json_builder_add_double_value (b, c->dropout);
  json_builder_set_member_name (b, "attention_probs_dropout_prob");
  json_builder_add_double_value (b, c->attention_dropout);
  if (c->kind == EIGML_ENCODER_TEXT)
    {
      json_builder_set_member_name (b, "vocab_size");
      json_builder_add_int_value (b, c->vocab_size);
      json_builder_set_member_name (b, "max_position_embeddings");
      json_builder_add_int_value (b, c->max_positions);
      json_builder_set_member_name (b, "type_vocab_size");
      json_builder_add_int_value (b, c->type_vocab_size);
    }
  else
    {
      json_builder_set_member_name (b, "image_size");
      json_builder_add_int_value (b, c->image_size);
      json_builder_set_member_name (b, "patch_size");
      json_builder_add_int_value (b, c->patch_size);
      json_builder_set_member_name (b, "num_channels");
      json_builder_add_int_value (b, c->channels);
    }
}

/* ---- the encoder --------------------------------------------------------- */

/**
 * EigmlEncoder:
 *
 * An encoder: a transformer that turns a dialogue (#EigmlTextEncoder, BERT)
 * or sticker images (#EigmlImageEncoder, ViT) into hidden states. Its
 * parameters are initialised randomly (BERT's N(0, 0.02) truncated) and can
 * be loaded from published checkpoints.
 *
 * Since: 1.0
 */
typedef struct
{
  EigmlContext *context;
  EigmlEncoderConfig *config;
  EigmlParamStore *store;
  char *prefix;
  const EigmlEncoderImpl *impl;
  EigmlGraphCache *graphs;
  GMutex lock;
  gboolean initialised;
} EigmlEncoderPrivate;

static void eigml_encoder_initable_iface_init (GInitableIface *iface);

G_DEFINE_ABSTRACT_TYPE_WITH_CODE (EigmlEncoder, eigml_encoder, G_TYPE_OBJECT,
                                  G_ADD_PRIVATE (EigmlEncoder)
                                  G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                         eigml_encoder_initable_iface_init))

enum
{
  PROP_0,
  PROP_CONTEXT,
  PROP_CONFIG,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

static void
eigml_encoder_finalize (GObject *object)
{
  EigmlEncoderPrivate *priv = eigml_encoder_get_instance_private (EIGML_ENCODER (object));

  g_clear_pointer (&priv->graphs, eigml_graph_cache_free);
  g_clear_pointer (&priv->store, eigml_param_store_unref);
  g_clear_pointer (&priv->config, eigml_encoder_config_free);
  g_clear_object (&priv->context);
  g_free (priv->prefix);
  g_mutex_clear (&priv->lock);
  G_OBJECT_CLASS (eigml_encoder_parent_class)->finalize (object);
}

static void
eigml_encoder_get_property (GObject *object,
                            guint prop_id,
                            GValue *value,
                            GParamSpec *pspec)
{
  EigmlEncoderPrivate *priv = eigml_encoder_get_instance_private (EIGML_ENCODER (object));

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_value_set_object (value, priv->context);
      break;
    case PROP_CONFIG:
      g_value_set_boxed (value, priv->config);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eigml_encoder_set_property (GObject *object,
                            guint prop_id,
                            const GValue *value,
                            GParamSpec *pspec)
{
  EigmlEncoderPrivate *priv = eigml_encoder_get_instance_private (EIGML_ENCODER (object));

  switch (prop_id)
    {
    case PROP_CONTEXT:
      priv->context = g_value_dup_object (value);
      break;
    case PROP_CONFIG:
      priv->config = g_value_dup_boxed (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eigml_encoder_class_init (EigmlEncoderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = eigml_encoder_finalize;
  object_class->get_property = eigml_encoder_get_property;
  object_class->set_property = eigml_encoder_set_property;

  /**
   * EigmlEncoder:context:
   *
   * The context whose backend runs the encoder.
   *
   * Since: 1.0
   */
  props[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL, EIGML_TYPE_CONTEXT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * EigmlEncoder:config:
   *
   * The encoder's sizes.
   *
   * Since: 1.0
   */
  props[PROP_CONFIG] =
    g_param_spec_boxed ("config", NULL, NULL, EIGML_TYPE_ENCODER_CONFIG,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
eigml_encoder_init (EigmlEncoder *self)
{
  EigmlEncoderPrivate *priv = eigml_encoder_get_instance_private (self);

  g_mutex_init (&priv->lock);
  priv->graphs = eigml_graph_cache_new (8);
}

static gboolean
eigml_encoder_initable_init (GInitable *initable,
                             GCancellable *cancellable,
                             GError **error)
{
  EigmlEncoder *self = EIGML_ENCODER (initable);
  EigmlEncoderPrivate *priv = eigml_encoder_get_instance_private (self);

  if (priv->initialised)
    return TRUE;
  if (priv->context == NULL || priv->config == NULL || priv->impl == NULL)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "an encoder needs a context and a configuration");
      return FALSE;
    }
  if (!eigml_encoder_config_validate (priv->config, error))
    return FALSE;
  if (priv->store == NULL)
    {
      priv->store = eigml_param_store_new (priv->context, 42);
      priv->prefix = g_strdup ("");
    }
  if (!priv->impl->init_params (self, priv->store, priv->prefix, error))
    return FALSE;
  priv->initialised = TRUE;
  return TRUE;
}

static void
eigml_encoder_initable_iface_init (GInitableIface *iface)
{
  iface->init = eigml_encoder_initable_init;
}

/**
 * eigml_encoder_get_context:
 * @self: an encoder
 *
 * Returns: (transfer none): the encoder's context
 *
 * Since: 1.0
 */
EigmlContext *
eigml_encoder_get_context (EigmlEncoder *self)
{
  EigmlEncoderPrivate *priv = eigml_encoder_get_instance_private (self);

  g_return_val_if_fail (EIGML_IS_ENCODER (self), NULL);
  return priv->context;
}

/**
 * eigml_encoder_get_config:
 * @self: an encoder
 *
 * Returns: (transfer none): the encoder's configuration
 *
 * Since: 1.0
 */
const EigmlEncoderConfig *
eigml_encoder_get_config (EigmlEncoder *self)
{
  EigmlEncoderPrivate *priv = eigml_encoder_get_instance_private (self);

  g_return_val_if_fail (EIGML_IS_ENCODER (self), NULL);
  return priv->config;
}

/**
 * eigml_encoder_get_n_parameters:
 * @self: an encoder
 *
 * Returns: the number of parameters (weights) of the encoder
 *
 * Since: 1.0
 */
gint64
eigml_encoder_get_n_parameters (EigmlEncoder *self)
{
  EigmlEncoderPrivate *priv = eigml_encoder_get_instance_private (self);
  GPtrArray *params;
  gsize plen;
  gint64 n = 0;

  g_return_val_if_fail (EIGML_IS_ENCODER (self), 0);
  if (priv->store == NULL)
    return 0;
  params = eigml_param_store_get_params (priv->store);
  plen = strlen (priv->prefix);
  for (guint i = 0; i < params->len; i++)
    {
      EigmlParam *p = g_ptr_array_index (params, i);
      if (strncmp (p->name, priv->prefix, plen) == 0)
        n += p->n_elements;
    }
  return n;
}

/* ---- private API --------------------------------------------------------- */

void
eigml_encoder_set_impl (EigmlEncoder *self,
                        const EigmlEncoderImpl *impl)
{
  EigmlEncoderPrivate *priv = eigml_encoder_get_instance_private (self);

  priv->impl = impl;
}

EigmlParamStore *
eigml_encoder_get_store (EigmlEncoder *self)
{
  EigmlEncoderPrivate *priv = eigml_encoder_get_instance_private (self);

  return priv->store;
}

const char *
eigml_encoder_get_prefix (EigmlEncoder *self)
{
  EigmlEncoderPrivate *priv = eigml_encoder_get_instance_private (self);

  return priv->prefix;
}

void
eigml_encoder_set_store (EigmlEncoder *self,
                         EigmlParamStore *store,
                         const char *prefix)
{
  EigmlEncoderPrivate *priv = eigml_encoder_get_instance_private (self);

  g_return_if_fail (!priv->initialised);
  g_clear_pointer (&priv->store, eigml_param_store_unref);
  priv->store = eigml_param_store_ref (store);
  g_free (priv->prefix);
  priv->prefix = g_strdup (prefix ? prefix : "");
}

EigmlParam *
eigml_encoder_lookup_param (EigmlEncoder *self,
                            const char *name)
{
  EigmlEncoderPrivate *priv = eigml_encoder_get_instance_private (self);
  g_autofree char *full = g_strconcat (priv->prefix, name, NULL);

  return eigml_param_store_lookup (priv->store, full);
}

GMutex *
eigml_encoder_get_lock (EigmlEncoder *self)
{
  EigmlEncoderPrivate *priv = eigml_encoder_get_instance_private (self);

  return &priv->lock;
}

gpointer
eigml_encoder_get_graph_cache (EigmlEncoder *self)
{
  EigmlEncoderPrivate *priv = eigml_encoder_get_instance_private (self);

  return priv->graphs;
}

gboolean
eigml_encoder_copy_param (EigmlEncoder *self,
                          const char *param_name,
                          const char *ckpt_name,
                          EigmlTensor *tensor,
                          GError **error)
{
  EigmlParam *param = eigml_encoder_lookup_param (self, param_name);
  g_autofree float *data = NULL;
  gsize n = 0;

  if (param == NULL)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "internal: the encoder has no parameter '%s'", param_name);
      return FALSE;
    }
  if (eigml_tensor_get_n_elements (tensor) != param->n_elements)
    {
      g_autofree char *have = eigml_tensor_describe (tensor);
      g_autofree char *want = eigml_shape_to_string (param->shape, param->n_dims);
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE,
                   "checkpoint tensor '%s' is %s; parameter '%s' needs %s", ckpt_name, have,
                   param_name, want);
      return FALSE;
    }
  data = eigml_tensor_dup_floats (tensor, &n, error);
  if (data == NULL)
    {
      g_prefix_error (error, "checkpoint tensor '%s': ", ckpt_name);
      return FALSE;
    }
  return eigml_param_write (param, EIGML_LEAF_PARAM, data, n, error);
}

static gboolean
has_name (const char *const *names,
          const char *name)
{
  for (guint i = 0; names[i] != NULL; i++)
    if (g_str_equal (names[i], name))
      return TRUE;
  return FALSE;
}

gboolean
eigml_encoder_load_from (EigmlEncoder *self,
                         EigmlWeightLookup lookup,
                         gpointer data,
                         const char *const *names,
                         const char *prefix,
                         char ***missing_out,
                         char ***unexpected_out,
                         GError **error)
{
  EigmlEncoderPrivate *priv = eigml_encoder_get_instance_private (self);
  g_autoptr (GPtrArray) used = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) missing = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) unexpected = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *found_prefix = NULL;
  gboolean ok;

  if (missing_out)
    *missing_out = NULL;
  if (unexpected_out)
    *unexpected_out = NULL;
  if (!eigml_param_store_allocate (priv->store, error))
    return FALSE;

  if (prefix != NULL)
    found_prefix = g_strdup (prefix);
  else
    for (guint i = 0; priv->impl->prefixes[i] != NULL && found_prefix == NULL; i++)
      {
        g_autofree char *probe = g_strconcat (priv->impl->prefixes[i], priv->impl->probe_key, NULL);
        if (has_name (names, probe))
          found_prefix = g_strdup (priv->impl->prefixes[i]);
      }
  if (found_prefix == NULL)
    {
      g_autofree char *tried = g_strjoinv ("', '", (char **) priv->impl->prefixes);
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "the checkpoint has no '%s' under any known prefix ('%s'); "
                   "is it the right model?", priv->impl->probe_key, tried);
      return FALSE;
    }

  g_mutex_lock (&priv->lock);
  ok = priv->impl->load (self, lookup, data, found_prefix, used, missing, error);
  /* graphs keep no copy of weights, but a reload is a new model: forget them */
  eigml_graph_cache_clear (priv->graphs);
  g_mutex_unlock (&priv->lock);
  if (!ok)
    return FALSE;

  for (guint i = 0; names[i] != NULL; i++)
    {
      gboolean was_used = FALSE;
      if (!g_str_has_prefix (names[i], found_prefix))
        continue; /* another model's part (e.g. ALBEF's text encoder) */
      for (guint j = 0; j < used->len && !was_used; j++)
        was_used = g_str_equal (names[i], g_ptr_array_index (used, j));
      if (!was_used)
        g_ptr_array_add (unexpected, g_strdup (names[i]));
    }
  if (missing->len > 0)
    g_debug ("%u parameters not in the checkpoint keep their initial values: %s%s",
               missing->len, (char *) g_ptr_array_index (missing, 0),
               missing->len > 1 ? ", ..." : "");
  g_ptr_array_add (missing, NULL);
  g_ptr_array_add (unexpected, NULL);
  if (missing_out)
    *missing_out = (char **) g_ptr_array_steal (missing, NULL);
  if (unexpected_out)
    *unexpected_out = (char **) g_ptr_array_steal (unexpected, NULL);
  return TRUE;
}

static EigmlTensor *
weights_lookup (const char *name,
                gpointer data)
{
  return eigml_weights_lookup (data, name);
}

/**
 * eigml_encoder_load_weights:
 * @self: an encoder
 * @weights: a checkpoint, e.g. from eigml_weights_load() on a downloaded
 *   `bert-base-chinese` folder or on `ALBEF.pth`
 * @prefix: (nullable): the prefix of the encoder's tensors in the
 *   checkpoint; %NULL finds it (text: "bert.", "text_encoder.", "" ...;
 *   image: "visual_encoder.", "" ...)
 * @missing: (out) (optional) (transfer full) (array zero-terminated=1):
 *   the checkpoint names the encoder looked for and did not find (those
 *   parameters keep their values)
 * @unexpected: (out) (optional) (transfer full) (array zero-terminated=1):
 *   the checkpoint's names under the prefix that the encoder did not use
 * @error: return location for a #GError
 *
 * Copies a checkpoint's tensors into the encoder. Hugging Face BERT names
 * (with old `gamma`/`beta` LayerNorm names) and timm/ALBEF ViT names are
 * understood: a fused `attn.qkv` is split, a patch-embedding convolution
 * flattened, and position embeddings of another grid resized bicubically as
 * ALBEF does. A tensor whose shape does not fit is an %EIGML_ERROR_SHAPE
 * error naming it.
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
eigml_encoder_load_weights (EigmlEncoder *self,
                            EigmlWeights *weights,
                            const char *prefix,
                            char ***missing,
                            char ***unexpected,
                            GError **error)
{
  g_auto (GStrv) names = NULL;

  g_return_val_if_fail (EIGML_IS_ENCODER (self), FALSE);
  g_return_val_if_fail (EIGML_IS_WEIGHTS (weights), FALSE);

  names = eigml_weights_get_names (weights);
  return eigml_encoder_load_from (self, weights_lookup, weights, (const char *const *) names, prefix,
                                  missing, unexpected, error);
}

/**
 * eigml_encoder_dup_weights:
 * @self: an encoder
 * @error: return location for a #GError
 *
 * Copies the encoder's parameters out, under Eigml's names (Hugging Face's
 * for BERT; timm's for ViT, with query, key and value apart and the patch
 * embedding as a matrix), e.g. to save them with
 * eigml_weights_save_safetensors(); eigml_encoder_load_weights() reads them
 * back.
 *
 * Returns: (transfer full) (nullable): the parameters
 *
 * Since: 1.0
 */
EigmlWeights *
eigml_encoder_dup_weights (EigmlEncoder *self,
                           GError **error)
{
  EigmlEncoderPrivate *priv = eigml_encoder_get_instance_private (self);
  g_autoptr (EigmlWeights) out = eigml_weights_new ();
  GPtrArray *params;
  gsize plen;

  g_return_val_if_fail (EIGML_IS_ENCODER (self), NULL);
  if (!eigml_param_store_allocate (priv->store, error))
    return NULL;
  params = eigml_param_store_get_params (priv->store);
  plen = strlen (priv->prefix);
  for (guint i = 0; i < params->len; i++)
    {
      EigmlParam *p = g_ptr_array_index (params, i);
      g_autofree float *data = NULL;
      g_autoptr (EigmlTensor) t = NULL;

      if (strncmp (p->name, priv->prefix, plen) != 0)
        continue;
      data = eigml_param_dup (p, EIGML_LEAF_PARAM, error);
      if (data == NULL)
        return NULL;
      t = eigml_tensor_new_from_floats (p->shape, p->n_dims, data, p->n_elements, error);
      if (t == NULL)
        return NULL;
      eigml_weights_insert (out, p->name + plen, t);
    }
  return g_steal_pointer (&out);
}
