/* eigml-model.c: the EIGML model — configuration, parameters, checkpoints
 * and the graph of one pass (docs/model.md)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "eigml-model.h"
#include "eigml-enum-types.h"
#include "eigml-error.h"
#include "eigml-tensor-private.h"
#include "model/model-build.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

/* ---- configuration ------------------------------------------------------- */

G_DEFINE_BOXED_TYPE (EigmlModelConfig, eigml_model_config, eigml_model_config_copy,
                     eigml_model_config_free)

/**
 * eigml_model_config_new:
 *
 * Returns: (transfer full): the paper's configuration (see #EigmlModelConfig)
 *
 * Since: 1.0
 */
EigmlModelConfig *
eigml_model_config_new (void)
{
  EigmlModelConfig *c = g_new0 (EigmlModelConfig, 1);

  c->text = eigml_encoder_config_new (EIGML_ENCODER_TEXT);
  c->text->pooler = FALSE;
  c->vision = eigml_encoder_config_new (EIGML_ENCODER_IMAGE);
  c->max_len = 128;
  c->knowledge_len = 32;
  c->n_candidates = 10;
  c->n_emotions = 7;
  c->proj_dim = 256;
  c->fusion_heads = 12;
  c->fusion_ffn = 3072;
  c->temperature = 0.07f;
  c->intra_temperature = 0.05f;
  c->intra_dropout = 0.1f;
  c->drop_path = 0.1f;
  c->samm_beta_init = 0.98f;
  eigml_model_config_set_w_e (c, 0.5f);
  eigml_model_config_set_w_i (c, 0.5f);
  c->components = EIGML_COMPONENTS_ALL;
  return c;
}

/**
 * eigml_model_config_set_w_e:
 * @config: a configuration
 * @w_e: the weight
 *
 * Sets every emotion weight (w_e, w'_e, w_e^t, w_e^v) to @w_e, as the
 * paper's Figure 5 varies them together.
 *
 * Since: 1.0
 */
void
eigml_model_config_set_w_e (EigmlModelConfig *config,
                            float w_e)
{
  config->w_e = config->w_e_prime = config->w_e_text = config->w_e_vision = w_e;
}

/**
 * eigml_model_config_set_w_i:
 * @config: a configuration
 * @w_i: the weight
 *
 * Sets every intention weight (w_i, w_i^t, w_i^v) to @w_i.
 *
 * Since: 1.0
 */
void
eigml_model_config_set_w_i (EigmlModelConfig *config,
                            float w_i)
{
  config->w_i = config->w_i_text = config->w_i_vision = w_i;
}

/**
 * eigml_model_config_copy:
 * @config: a configuration
 *
 * Returns: (transfer full): a copy
 *
 * Since: 1.0
 */
EigmlModelConfig *
eigml_model_config_copy (const EigmlModelConfig *config)
{
  EigmlModelConfig *c = g_memdup2 (config, sizeof *config);

  c->text = eigml_encoder_config_copy (config->text);
  c->vision = eigml_encoder_config_copy (config->vision);
  return c;
}

/**
 * eigml_model_config_free:
 * @config: a configuration
 *
 * Since: 1.0
 */
void
eigml_model_config_free (EigmlModelConfig *config)
{
  if (config == NULL)
    return;
  eigml_encoder_config_free (config->text);
  eigml_encoder_config_free (config->vision);
  g_free (config);
}

/**
 * eigml_model_config_validate:
 * @config: a configuration
 * @error: return location for a #GError
 *
 * Returns: %TRUE when the encoders are valid, their hidden sizes agree and
 *   every size, weight and probability is in range
 *
 * Since: 1.0
 */
gboolean
eigml_model_config_validate (const EigmlModelConfig *config,
                             GError **error)
{
  const char *what = NULL;
  float weights[7];

  g_return_val_if_fail (config != NULL, FALSE);
  if (config->text == NULL || config->vision == NULL)
    what = "both encoders must be configured";
  else if (config->text->kind != EIGML_ENCODER_TEXT || config->vision->kind != EIGML_ENCODER_IMAGE)
    what = "text_encoder must be a text and vision_encoder an image configuration";
  if (what == NULL && (!eigml_encoder_config_validate (config->text, error) ||
                       !eigml_encoder_config_validate (config->vision, error)))
    return FALSE;
  weights[0] = config->w_e;
  weights[1] = config->w_i;
  weights[2] = config->w_e_prime;
  weights[3] = config->w_e_text;
  weights[4] = config->w_e_vision;
  weights[5] = config->w_i_text;
  weights[6] = config->w_i_vision;
  if (what != NULL)
    ;
  else if (config->text->hidden != config->vision->hidden)
    what = "the encoders' hidden sizes differ";
  else if (config->max_len < 2 || config->max_len > config->text->max_positions)
    what = "max_len must be in [2, text_encoder.max_position_embeddings]";
  else if (config->knowledge_len < 2 || config->knowledge_len > config->text->max_positions)
    what = "knowledge_len must be in [2, text_encoder.max_position_embeddings]";
  else if (config->n_candidates < 2)
    what = "n_candidates must be at least 2";
  else if (config->n_emotions < 1)
    what = "n_emotions must be at least 1";
  else if (config->proj_dim < 1 || config->fusion_ffn < 1)
    what = "proj_dim and fusion_ffn must be positive";
  else if (config->fusion_heads < 1 || config->text->hidden % config->fusion_heads != 0)
    what = "fusion_heads must divide the hidden size";
  else if (!(config->temperature > 0.0f) || !(config->intra_temperature > 0.0f))
    what = "temperatures must be positive";
  else if (!(config->intra_dropout >= 0.0f && config->intra_dropout < 1.0f) ||
           !(config->drop_path >= 0.0f && config->drop_path < 1.0f))
    what = "intra_dropout and drop_path must be in [0, 1)";
  else if (!(config->samm_beta_init > 0.0f && config->samm_beta_init < 1.0f))
    what = "samm_beta_init must be in (0, 1)";
  else if ((config->components & ~EIGML_COMPONENTS_ALL) != 0)
    what = "unknown component bits";
  for (guint i = 0; what == NULL && i < G_N_ELEMENTS (weights); i++)
    if (!(weights[i] >= 0.0f && weights[i] <= 1e6f))
      what = "loss weights must be finite and non-negative";
  if (what != NULL)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT, "model config: %s", what);
      return FALSE;
    }
  return TRUE;
}

static const struct
{
  const char *name;
  EigmlComponents bit;
} component_names[] = {
  { "inter", EIGML_COMPONENT_INTER },
  { "intra", EIGML_COMPONENT_INTRA },
  { "eiks", EIGML_COMPONENT_EIKS },
  { "iega", EIGML_COMPONENT_IEGA },
  { "samm", EIGML_COMPONENT_SAMM },
  { "emotion", EIGML_COMPONENT_EMOTION },
  { "intention", EIGML_COMPONENT_INTENTION },
};

#define N_UINTS 7
#define N_FLOATS 12

static gboolean
member_uint (JsonNode *node,
             const char *where,
             const char *name,
             guint *out,
             GError **error)
{
  gint64 v;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
      (v = json_node_get_int (node)) <= 0 || v > G_MAXINT32)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: \"%s\" must be a positive integer", where, name);
      return FALSE;
    }
  *out = (guint) v;
  return TRUE;
}

static gboolean
member_float (JsonNode *node,
              const char *where,
              const char *name,
              float *out,
              GError **error)
{
  if (!JSON_NODE_HOLDS_VALUE (node) || (json_node_get_value_type (node) != G_TYPE_DOUBLE &&
                                        json_node_get_value_type (node) != G_TYPE_INT64))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT, "%s: \"%s\" must be a number", where,
                   name);
      return FALSE;
    }
  *out = (float) json_node_get_double (node);
  return TRUE;
}

static EigmlModelConfig *
config_from_object (JsonObject *obj,
                    const char *where,
                    GError **error)
{
  g_autoptr (EigmlModelConfig) c = eigml_model_config_new ();
  const struct
  {
    const char *name;
    guint *field;
  } uints[N_UINTS] = {
    { "max_len", &c->max_len }, { "knowledge_len", &c->knowledge_len },
    { "n_candidates", &c->n_candidates }, { "n_emotions", &c->n_emotions },
    { "proj_dim", &c->proj_dim }, { "fusion_heads", &c->fusion_heads },
    { "fusion_ffn", &c->fusion_ffn },
  };
  const struct
  {
    const char *name;
    float *field;
  } floats[N_FLOATS] = {
    { "temperature", &c->temperature }, { "intra_temperature", &c->intra_temperature },
    { "intra_dropout", &c->intra_dropout }, { "drop_path", &c->drop_path },
    { "w_e", &c->w_e }, { "w_i", &c->w_i }, { "w_e_prime", &c->w_e_prime },
    { "w_e_text", &c->w_e_text }, { "w_e_vision", &c->w_e_vision },
    { "w_i_text", &c->w_i_text }, { "w_i_vision", &c->w_i_vision },
    { "samm_beta_init", &c->samm_beta_init },
  };
  g_autoptr (GList) members = json_object_get_members (obj);
  JsonNode *node;

  /* group weights first, so that a single override wins whatever the order */
  if ((node = json_object_get_member (obj, "w_e")) != NULL)
    {
      float w;
      if (!member_float (node, where, "w_e", &w, error))
        return NULL;
      eigml_model_config_set_w_e (c, w);
    }
  if ((node = json_object_get_member (obj, "w_i")) != NULL)
    {
      float w;
      if (!member_float (node, where, "w_i", &w, error))
        return NULL;
      eigml_model_config_set_w_i (c, w);
    }

  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      gboolean known = FALSE;

      node = json_object_get_member (obj, name);
      if (g_str_equal (name, "text_encoder") || g_str_equal (name, "vision_encoder"))
        {
          gboolean text = g_str_equal (name, "text_encoder");
          g_autofree char *sub = g_strdup_printf ("%s: %s", where, name);
          EigmlEncoderConfig *e;

          if (!JSON_NODE_HOLDS_OBJECT (node))
            {
              g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT, "%s: must be an object", sub);
              return NULL;
            }
          e = eigml_encoder_config_from_json_object (text ? EIGML_ENCODER_TEXT
                                                          : EIGML_ENCODER_IMAGE,
                                                     json_node_get_object (node), sub, error);
          if (e == NULL)
            return NULL;
          if (text)
            {
              e->pooler = FALSE;
              eigml_encoder_config_free (c->text);
              c->text = e;
            }
          else
            {
              eigml_encoder_config_free (c->vision);
              c->vision = e;
            }
          continue;
        }
      if (g_str_equal (name, "pooling"))
        {
          const char *v = JSON_NODE_HOLDS_VALUE (node) &&
                              json_node_get_value_type (node) == G_TYPE_STRING
                            ? json_node_get_string (node) : NULL;

          if (g_strcmp0 (v, "cls") != 0 && g_strcmp0 (v, "mean") != 0)
            {
              g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                           "%s: \"pooling\" must be \"cls\" or \"mean\"", where);
              return NULL;
            }
          c->mean_pooling = g_str_equal (v, "mean");
          continue;
        }
      if (g_str_equal (name, "components"))
        {
          JsonObject *comp;
          g_autoptr (GList) keys = NULL;

          if (!JSON_NODE_HOLDS_OBJECT (node))
            {
              g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                           "%s: \"components\" must be an object of booleans", where);
              return NULL;
            }
          comp = json_node_get_object (node);
          keys = json_object_get_members (comp);
          for (GList *k = keys; k != NULL; k = k->next)
            {
              JsonNode *v = json_object_get_member (comp, k->data);
              guint i;

              for (i = 0; i < G_N_ELEMENTS (component_names); i++)
                if (g_str_equal (component_names[i].name, k->data))
                  break;
              if (i == G_N_ELEMENTS (component_names))
                {
                  g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                               "%s: unknown component \"%s\" (known: inter, intra, eiks, iega, "
                               "samm, emotion, intention)", where, (const char *) k->data);
                  return NULL;
                }
              if (!JSON_NODE_HOLDS_VALUE (v) || json_node_get_value_type (v) != G_TYPE_BOOLEAN)
                {
                  g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                               "%s: components.%s must be true or false", where,
                               (const char *) k->data);
                  return NULL;
                }
              if (json_node_get_boolean (v))
                c->components |= component_names[i].bit;
              else
                c->components &= ~component_names[i].bit;
            }
          continue;
        }
      for (guint i = 0; i < N_UINTS && !known; i++)
        if (g_str_equal (name, uints[i].name))
          {
            if (!member_uint (node, where, name, uints[i].field, error))
              return NULL;
            known = TRUE;
          }
      for (guint i = 0; i < N_FLOATS && !known; i++)
        if (g_str_equal (name, floats[i].name))
          {
            if (i >= 4 && i <= 5)
              known = TRUE;   /* w_e, w_i: read above */
            else if (!member_float (node, where, name, floats[i].field, error))
              return NULL;
            known = TRUE;
          }
      if (!known)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s: unknown member \"%s\" (see docs/model.md, \"Config file\")", where,
                       name);
          return NULL;
        }
    }
  if (!eigml_model_config_validate (c, error))
    {
      g_prefix_error (error, "%s: ", where);
      return NULL;
    }
  return g_steal_pointer (&c);
}

static EigmlModelConfig *
config_from_root (JsonNode *root,
                  const char *where,
                  GError **error)
{
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT, "%s: not a JSON object", where);
      return NULL;
    }
  return config_from_object (json_node_get_object (root), where, error);
}

/**
 * eigml_model_config_new_from_json:
 * @path: a JSON file (docs/model.md, "Config file")
 * @error: return location for a #GError
 *
 * Reads a model configuration. Members not present keep the defaults of
 * eigml_model_config_new(); unknown members are errors.
 *
 * Returns: (transfer full) (nullable): the configuration
 *
 * Since: 1.0
 */
EigmlModelConfig *
eigml_model_config_new_from_json (const char *path,
                                  GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();

  g_return_val_if_fail (path != NULL, NULL);
  if (!json_parser_load_from_mapped_file (parser, path, error))
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }
  return config_from_root (json_parser_get_root (parser), path, error);
}

/**
 * eigml_model_config_new_from_data:
 * @data: JSON text
 * @length: its length, or -1 when it is nul-terminated
 * @error: return location for a #GError
 *
 * As eigml_model_config_new_from_json(), from memory.
 *
 * Returns: (transfer full) (nullable): the configuration
 *
 * Since: 1.0
 */
EigmlModelConfig *
eigml_model_config_new_from_data (const char *data,
                                  gssize length,
                                  GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();

  g_return_val_if_fail (data != NULL, NULL);
  if (!json_parser_load_from_data (parser, data, length, error))
    {
      g_prefix_error (error, "model config: ");
      return NULL;
    }
  return config_from_root (json_parser_get_root (parser), "model config", error);
}

/* the node of a configuration; also used by the trainer's config files */
JsonNode *
eigml_model_config_to_json_node (const EigmlModelConfig *c)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "text_encoder");
  json_builder_begin_object (b);
  eigml_encoder_config_add_to_json (c->text, b);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "vision_encoder");
  json_builder_begin_object (b);
  eigml_encoder_config_add_to_json (c->vision, b);
  json_builder_end_object (b);
#define U(f) json_builder_set_member_name (b, #f); json_builder_add_int_value (b, c->f)
#define F(f) json_builder_set_member_name (b, #f); json_builder_add_double_value (b, c->f)
  U (max_len); U (knowledge_len); U (n_candidates); U (n_emotions); U (proj_dim);
  U (fusion_heads); U (fusion_ffn);
  F (temperature); F (intra_temperature); F (intra_dropout); F (drop_path);
  F (w_e); F (w_i); F (w_e_prime); F (w_e_text); F (w_e_vision); F (w_i_text); F (w_i_vision);
  F (samm_beta_init);
#undef U
#undef F
  json_builder_set_member_name (b, "pooling");
  json_builder_add_string_value (b, c->mean_pooling ? "mean" : "cls");
  json_builder_set_member_name (b, "components");
  json_builder_begin_object (b);
  for (guint i = 0; i < G_N_ELEMENTS (component_names); i++)
    {
      json_builder_set_member_name (b, component_names[i].name);
      json_builder_add_boolean_value (b, (c->components & component_names[i].bit) != 0);
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/**
 * eigml_model_config_to_json:
 * @config: a configuration
 *
 * Returns: (transfer full): @config as JSON that
 *   eigml_model_config_new_from_data() reads back to an equal configuration
 *
 * Since: 1.0
 */
char *
eigml_model_config_to_json (const EigmlModelConfig *config)
{
  g_autoptr (JsonNode) root = eigml_model_config_to_json_node (config);

  return json_to_string (root, TRUE);
}

/* ---- heads --------------------------------------------------------------- */

static gboolean
linear (EigmlLinear *l,
        EigmlParamStore *store,
        const char *name,
        gint64 in,
        gint64 out,
        GError **error)
{
  return eigml_linear_init (l, store, name, in, out, TRUE, 0.02f, error);
}

gboolean
eigml_heads_init (EigmlHeads *h,
                  EigmlParamStore *store,
                  const EigmlModelConfig *c,
                  GError **error)
{
  gint64 H = c->text->hidden, D = c->proj_dim, E = c->n_emotions, F = c->fusion_ffn;
  gboolean emotion = eigml_model_has (c, EIGML_COMPONENT_EMOTION);
  gboolean intention = eigml_model_has (c, EIGML_COMPONENT_INTENTION);
  gboolean intra = eigml_model_has (c, EIGML_COMPONENT_INTRA);
  gboolean eiks = eigml_model_eiks_active (c);
  static const char *const intra_names[4] = { "intra_t1", "intra_t2", "intra_v1", "intra_v2" };

  memset (h, 0, sizeof *h);
  if (!linear (&h->text_proj, store, "text_proj", H, D, error) ||
      !linear (&h->vision_proj, store, "vision_proj", H, D, error))
    return FALSE;
  if (eigml_model_needs_e_t (c))
    {
      gint64 shape[2] = { E + 1, H };

      h->emo_embed = eigml_param_store_add (store, "emo_embed.weight", 2, shape,
                                            EIGML_INIT_NORMAL, 0.02f, TRUE, error);
      if (h->emo_embed == NULL)
        return FALSE;
    }
  if (eigml_model_needs_e_v (c) && !linear (&h->emo_head_v, store, "emo_head_v", H, H, error))
    return FALSE;
  if (emotion && (eiks || intra) && !linear (&h->emo_head_t, store, "emo_head_t", H, E, error))
    return FALSE;
  if (eigml_model_needs_i_v (c) && !linear (&h->int_head, store, "int_head", H, H, error))
    return FALSE;
  if (intra)
    for (guint i = 0; i < 4; i++)
      if (!linear (&h->intra[i], store, intra_names[i], H, D, error))
        return FALSE;
  if (eigml_model_needs_eiks_refine (c) &&
      (!linear (&h->delta1, store, "eiks.delta1", H, H, error) ||
               !linear (&h->delta2, store, "eiks.delta2", H, H, error) ||
               !linear (&h->gate, store, "eiks.gate", 2 * H, H, error)))
    return FALSE;
  if (!linear (&h->q_text, store, "iega.q_text", H, H, error) ||
      (eigml_model_iega_active (c) && !linear (&h->q_ei, store, "iega.q_ei", H, H, error)) ||
      !linear (&h->k_vis, store, "iega.k_vis", H, H, error) ||
      !linear (&h->v_vis, store, "iega.v_vis", H, H, error) ||
      !eigml_layer_norm_init (&h->ln, store, "iega.ln", H, 1e-12f, error) ||
      !linear (&h->fuse1, store, "iega.fuse1", H, F, error) ||
      !linear (&h->fuse2, store, "iega.fuse2", F, H, error) ||
      !linear (&h->itm_head, store, "itm_head", H, 1, error))
    return FALSE;
  if (eigml_model_samm_active (c))
    {
      gint64 one = 1;

      if (emotion && intention &&
          (h->alpha = eigml_param_store_add (store, "samm.alpha", 1, &one, EIGML_INIT_ZEROS, 0.0f,
                                             FALSE, error)) == NULL)
        return FALSE;
      /* β = sigmoid (samm.beta) starts at samm_beta_init (docs/model.md, eq 17–19) */
      float b0 = c->samm_beta_init;

      if ((h->beta = eigml_param_store_add (store, "samm.beta", 1, &one, EIGML_INIT_CONSTANT,
                                            logf (b0 / (1.0f - b0)), FALSE, error)) == NULL)
        return FALSE;
    }
  return TRUE;
}

static const char *const loss_names[EIGML_LOSS_N_TERMS] = {
  "total", "itm", "i2t", "t2i", "emo", "int", "emo_prime", "intra_emo_t", "intra_emo_v",
  "intra_int_t", "intra_int_v", "con_t", "con_v",
};

const char *
eigml_loss_term_name (EigmlLossTerm term)
{
  g_return_val_if_fail (term < EIGML_LOSS_N_TERMS, NULL);
  return loss_names[term];
}

/* ---- the model ----------------------------------------------------------- */

/**
 * EigmlModel:
 *
 * The EIGML model: a BERT text encoder and a ViT image encoder, the
 * dual-level contrastive heads, EIKS, IEGA and SAMM (docs/model.md), in one
 * parameter store. Checkpoints are folders holding `model.safetensors` and
 * `config.json`.
 *
 * Since: 1.0
 */
struct _EigmlModel
{
  GObject parent_instance;

  EigmlContext *context;
  EigmlModelConfig *config;
  EigmlParamStore *store;
  EigmlTextEncoder *text;
  EigmlImageEncoder *vision;
  EigmlHeads heads;
};

G_DEFINE_FINAL_TYPE (EigmlModel, eigml_model, G_TYPE_OBJECT)

static void
eigml_model_finalize (GObject *object)
{
  EigmlModel *self = EIGML_MODEL (object);

  g_clear_object (&self->text);
  g_clear_object (&self->vision);
  g_clear_pointer (&self->store, eigml_param_store_unref);
  g_clear_pointer (&self->config, eigml_model_config_free);
  g_clear_object (&self->context);
  G_OBJECT_CLASS (eigml_model_parent_class)->finalize (object);
}

static void
eigml_model_class_init (EigmlModelClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = eigml_model_finalize;
}

static void
eigml_model_init (EigmlModel *self)
{
}

/**
 * eigml_model_new:
 * @context: a context
 * @config: the configuration
 * @seed: seed of the random initialisation
 * @error: return location for a #GError
 *
 * Creates a model with randomly initialised parameters (BERT's N(0, 0.02)
 * truncated; see docs/model.md).
 *
 * Returns: (transfer full) (nullable): the model
 *
 * Since: 1.0
 */
EigmlModel *
eigml_model_new (EigmlContext *context,
                 const EigmlModelConfig *config,
                 guint64 seed,
                 GError **error)
{
  g_autoptr (EigmlModel) self = NULL;

  g_return_val_if_fail (EIGML_IS_CONTEXT (context), NULL);
  g_return_val_if_fail (config != NULL, NULL);

  if (!eigml_model_config_validate (config, error))
    return NULL;
  self = g_object_new (EIGML_TYPE_MODEL, NULL);
  self->context = g_object_ref (context);
  self->config = eigml_model_config_copy (config);
  self->config->text->pooler = FALSE;
  self->store = eigml_param_store_new (context, seed);
  self->text = g_object_new (EIGML_TYPE_TEXT_ENCODER, "context", context, "config",
                             self->config->text, NULL);
  eigml_encoder_set_store (EIGML_ENCODER (self->text), self->store, "text_encoder.");
  if (!g_initable_init (G_INITABLE (self->text), NULL, error))
    return NULL;
  self->vision = g_object_new (EIGML_TYPE_IMAGE_ENCODER, "context", context, "config",
                               self->config->vision, NULL);
  eigml_encoder_set_store (EIGML_ENCODER (self->vision), self->store, "visual_encoder.");
  if (!g_initable_init (G_INITABLE (self->vision), NULL, error))
    return NULL;
  if (!eigml_heads_init (&self->heads, self->store, self->config, error) ||
      !eigml_param_store_allocate (self->store, error))
    return NULL;
  return g_steal_pointer (&self);
}

/**
 * eigml_model_new_from_checkpoint:
 * @context: a context
 * @path: a checkpoint folder (`config.json`, `model.safetensors`)
 * @error: return location for a #GError
 *
 * Loads a model saved by eigml_model_save() or by the trainer. Every
 * parameter must be present with its shape, and nothing else.
 *
 * Returns: (transfer full) (nullable): the model
 *
 * Since: 1.0
 */
EigmlModel *
eigml_model_new_from_checkpoint (EigmlContext *context,
                                 const char *path,
                                 GError **error)
{
  g_autofree char *config_path = g_build_filename (path, "config.json", NULL);
  g_autofree char *weights_path = g_build_filename (path, "model.safetensors", NULL);
  g_autoptr (EigmlModelConfig) config = NULL;
  g_autoptr (EigmlWeights) weights = NULL;
  g_autoptr (EigmlModel) self = NULL;

  g_return_val_if_fail (EIGML_IS_CONTEXT (context), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "%s: not a checkpoint folder (expected config.json and model.safetensors)",
                   path);
      return NULL;
    }
  config = eigml_model_config_new_from_json (config_path, error);
  if (config == NULL)
    return NULL;
  weights = eigml_weights_load (weights_path, error);
  if (weights == NULL)
    return NULL;
  self = eigml_model_new (context, config, 0, error);
  if (self == NULL || !eigml_model_load_weights (self, weights, TRUE, error))
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }
  return g_steal_pointer (&self);
}

/**
 * eigml_model_get_context:
 * @self: a model
 *
 * Returns: (transfer none): the context
 *
 * Since: 1.0
 */
EigmlContext *
eigml_model_get_context (EigmlModel *self)
{
  g_return_val_if_fail (EIGML_IS_MODEL (self), NULL);
  return self->context;
}

/**
 * eigml_model_get_config:
 * @self: a model
 *
 * Returns: (transfer none): the configuration
 *
 * Since: 1.0
 */
const EigmlModelConfig *
eigml_model_get_config (EigmlModel *self)
{
  g_return_val_if_fail (EIGML_IS_MODEL (self), NULL);
  return self->config;
}

/**
 * eigml_model_get_text_encoder:
 * @self: a model
 *
 * Returns: (transfer none): the text encoder, sharing the model's parameters
 *
 * Since: 1.0
 */
EigmlTextEncoder *
eigml_model_get_text_encoder (EigmlModel *self)
{
  g_return_val_if_fail (EIGML_IS_MODEL (self), NULL);
  return self->text;
}

/**
 * eigml_model_get_image_encoder:
 * @self: a model
 *
 * Returns: (transfer none): the image encoder, sharing the model's parameters
 *
 * Since: 1.0
 */
EigmlImageEncoder *
eigml_model_get_image_encoder (EigmlModel *self)
{
  g_return_val_if_fail (EIGML_IS_MODEL (self), NULL);
  return self->vision;
}

/**
 * eigml_model_get_n_parameters:
 * @self: a model
 *
 * Returns: the number of scalar parameters
 *
 * Since: 1.0
 */
gint64
eigml_model_get_n_parameters (EigmlModel *self)
{
  g_return_val_if_fail (EIGML_IS_MODEL (self), 0);
  return eigml_param_store_count_elements (self->store);
}

EigmlParamStore *
eigml_model_get_store (EigmlModel *self)
{
  return self->store;
}

const EigmlHeads *
eigml_model_get_heads (EigmlModel *self)
{
  return &self->heads;
}

static gboolean
is_encoder_name (const char *name)
{
  return g_str_has_prefix (name, "text_encoder.") || g_str_has_prefix (name, "visual_encoder.");
}

static gboolean
join_list (GPtrArray *into,
           char **list)
{
  for (guint i = 0; list != NULL && list[i] != NULL; i++)
    g_ptr_array_add (into, g_strdup (list[i]));
  return list != NULL && list[0] != NULL;
}

static char *
summarise (GPtrArray *names)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < names->len && i < 8; i++)
    g_string_append_printf (s, "%s'%s'", i ? ", " : "", (char *) g_ptr_array_index (names, i));
  if (names->len > 8)
    g_string_append_printf (s, " and %u more", names->len - 8);
  return g_string_free (s, FALSE);
}

/**
 * eigml_model_load_weights:
 * @self: a model
 * @weights: tensors named as docs/model.md "Parameters" lists them
 * @strict: whether a missing or unexpected tensor is an error
 * @error: return location for a #GError
 *
 * Copies @weights into the model. The encoders' tensors (under
 * `text_encoder.` and `visual_encoder.`) go through the encoders' loaders,
 * so Hugging Face and timm layouts are accepted there; the heads need
 * exactly their shapes. Without @strict, missing parameters keep their
 * values and unexpected tensors are ignored (with a warning).
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
eigml_model_load_weights (EigmlModel *self,
                          EigmlWeights *weights,
                          gboolean strict,
                          GError **error)
{
  g_autoptr (GPtrArray) missing = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) unexpected = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv) names = NULL;
  GPtrArray *params;

  g_return_val_if_fail (EIGML_IS_MODEL (self), FALSE);
  g_return_val_if_fail (EIGML_IS_WEIGHTS (weights), FALSE);

  for (guint e = 0; e < 2; e++)
    {
      EigmlEncoder *enc = e == 0 ? EIGML_ENCODER (self->text) : EIGML_ENCODER (self->vision);
      const char *prefix = e == 0 ? "text_encoder." : "visual_encoder.";
      g_auto (GStrv) m = NULL, u = NULL;

      if (!eigml_encoder_load_weights (enc, weights, prefix, &m, &u, error))
        {
          g_prefix_error (error, "%s ", prefix);
          return FALSE;
        }
      join_list (missing, m);
      join_list (unexpected, u);
    }

  params = eigml_param_store_get_params (self->store);
  for (guint i = 0; i < params->len; i++)
    {
      EigmlParam *p = g_ptr_array_index (params, i);
      EigmlTensor *t;
      g_autofree float *data = NULL;
      gsize n = 0;

      if (is_encoder_name (p->name))
        continue;
      t = eigml_weights_lookup (weights, p->name);
      if (t == NULL)
        {
          g_ptr_array_add (missing, g_strdup (p->name));
          continue;
        }
      if (eigml_tensor_get_n_elements (t) != p->n_elements)
        {
          g_autofree char *have = eigml_tensor_describe (t);
          g_autofree char *want = eigml_shape_to_string (p->shape, p->n_dims);
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE,
                       "checkpoint tensor '%s' is %s; the model needs %s", p->name, have, want);
          return FALSE;
        }
      data = eigml_tensor_dup_floats (t, &n, error);
      if (data == NULL || !eigml_param_write (p, EIGML_LEAF_PARAM, data, n, error))
        {
          g_prefix_error (error, "checkpoint tensor '%s': ", p->name);
          return FALSE;
        }
    }
  names = eigml_weights_get_names (weights);
  for (guint i = 0; names[i] != NULL; i++)
    if (!is_encoder_name (names[i]) && eigml_param_store_lookup (self->store, names[i]) == NULL)
      g_ptr_array_add (unexpected, g_strdup (names[i]));

  if (missing->len > 0 || unexpected->len > 0)
    {
      g_autofree char *m = summarise (missing);
      g_autofree char *u = summarise (unexpected);

      if (strict)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "the weights do not fit this model's configuration: %u missing%s%s, "
                       "%u unexpected%s%s", missing->len, missing->len ? " " : "", m,
                       unexpected->len, unexpected->len ? " " : "", u);
          return FALSE;
        }
      if (missing->len > 0)
        g_message ("model weights: %u parameters not in the checkpoint kept their values: %s",
                   missing->len, m);
      if (unexpected->len > 0)
        g_message ("model weights: %u tensors of the checkpoint were not used: %s",
                   unexpected->len, u);
    }
  return TRUE;
}

/**
 * eigml_model_load_encoders:
 * @self: a model
 * @text_weights: (nullable): a BERT checkpoint (Hugging Face names, any prefix)
 * @vision_weights: (nullable): a ViT checkpoint (timm or ALBEF names)
 * @error: return location for a #GError
 *
 * Loads pretrained encoders (bert-base-chinese, ALBEF's ViT-B/16) into the
 * model before training; the heads keep their random initialisation.
 * Missing encoder parameters are errors.
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
eigml_model_load_encoders (EigmlModel *self,
                           EigmlWeights *text_weights,
                           EigmlWeights *vision_weights,
                           GError **error)
{
  for (guint e = 0; e < 2; e++)
    {
      EigmlWeights *w = e == 0 ? text_weights : vision_weights;
      EigmlEncoder *enc = e == 0 ? EIGML_ENCODER (self->text) : EIGML_ENCODER (self->vision);
      g_auto (GStrv) missing = NULL;

      if (w == NULL)
        continue;
      if (!eigml_encoder_load_weights (enc, w, NULL, &missing, NULL, error))
        return FALSE;
      if (missing != NULL && missing[0] != NULL)
        {
          g_autofree char *list = g_strjoinv ("', '", missing);
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "the %s checkpoint lacks '%s'", e == 0 ? "text" : "image", list);
          return FALSE;
        }
    }
  return TRUE;
}

/**
 * eigml_model_dup_weights:
 * @self: a model
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): every parameter under its checkpoint
 *   name (docs/model.md)
 *
 * Since: 1.0
 */
EigmlWeights *
eigml_model_dup_weights (EigmlModel *self,
                         GError **error)
{
  g_autoptr (EigmlWeights) out = eigml_weights_new ();
  GPtrArray *params;

  g_return_val_if_fail (EIGML_IS_MODEL (self), NULL);
  params = eigml_param_store_get_params (self->store);
  for (guint i = 0; i < params->len; i++)
    {
      EigmlParam *p = g_ptr_array_index (params, i);
      g_autofree float *data = eigml_param_dup (p, EIGML_LEAF_PARAM, error);
      g_autoptr (EigmlTensor) t = NULL;

      if (data == NULL)
        return NULL;
      t = eigml_tensor_new_from_floats (p->shape, p->n_dims, data, p->n_elements, error);
      if (t == NULL)
        return NULL;
      eigml_weights_insert (out, p->name, t);
    }
  return g_steal_pointer (&out);
}

/**
 * eigml_model_save:
 * @self: a model
 * @directory: a folder (created when missing)
 * @error: return location for a #GError
 *
 * Writes `config.json` and `model.safetensors` into @directory, each
 * atomically (a temporary file renamed over the old one).
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
eigml_model_save (EigmlModel *self,
                  const char *directory,
                  GError **error)
{
  g_autoptr (EigmlWeights) w = NULL;
  g_autofree char *json = NULL;
  g_autofree char *config_path = g_build_filename (directory, "config.json", NULL);
  g_autofree char *weights_path = g_build_filename (directory, "model.safetensors", NULL);

  g_return_val_if_fail (EIGML_IS_MODEL (self), FALSE);
  if (g_mkdir_with_parents (directory, 0755) != 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "%s: %s", directory,
                   g_strerror (saved));
      return FALSE;
    }
  w = eigml_model_dup_weights (self, error);
  if (w == NULL || !eigml_weights_save_safetensors (w, weights_path, error))
    return FALSE;
  json = eigml_model_config_to_json (self->config);
  return g_file_set_contents (config_path, json, -1, error);
}

/* ---- one pass ------------------------------------------------------------ */

/* The feature of a sequence [n, T, H]: its [CLS] state, or with
 * mean_pooling the mean of its states where @mask (additive, [n, 1, 1, T],
 * 0 or -10000; NULL: all) is 0. */
static EigmlNode *
pool (EigmlModel *self,
      EigmlGraph *g,
      EigmlNode *x,
      EigmlNode *mask)
{
  gint64 s3[3];

  if (!self->config->mean_pooling || x == NULL)
    return eigml_mo_cls (g, x);
  if (mask == NULL)
    return eigml_op_mean (g, x, 1, FALSE);
  s3[0] = x->shape[0];
  s3[1] = x->shape[1];
  s3[2] = 1;
  /* (mask + 10000) / 10000: 1 on tokens, 0 on padding, exactly */
  mask = eigml_op_reshape (g, eigml_op_scale (g, mask, 1e-4f, 1.0f), 3, s3);
  return eigml_op_div (g, eigml_op_sum (g, eigml_op_mul (g, x, mask), 1, FALSE),
                       eigml_op_sum (g, mask, 1, FALSE));
}


static EigmlNode *
input (EigmlGraph *g,
       const char *name,
       EigmlDType dtype,
       guint n_dims,
       gint64 d0,
       gint64 d1,
       gint64 d2,
       gint64 d3)
{
  gint64 shape[4] = { d0, d1, d2, d3 };

  return eigml_graph_input (g, name, dtype, n_dims, shape);
}

gboolean
eigml_model_build (EigmlModel *self,
                   EigmlGraph *g,
                   gint64 batch,
                   gint64 n_candidates,
                   guint flags,
                   EigmlModelGraph *out,
                   GError **error)
{
  const EigmlModelConfig *c = self->config;
  gint64 B = batch, C = n_candidates, N = B * C, T = c->max_len, Tk = c->knowledge_len;
  gint64 R = EIGML_N_RELATIONS, H = c->text->hidden, E = c->n_emotions;
  gint64 grid = c->vision->image_size / c->vision->patch_size;
  gint64 patch_dim = (gint64) c->vision->channels * c->vision->patch_size * c->vision->patch_size;
  gboolean train = (flags & EIGML_MODEL_GRAPH_TRAIN) != 0;
  gboolean intention = eigml_model_has (c, EIGML_COMPONENT_INTENTION);
  EigmlModelPass pass = { 0 };
  EigmlModelPass *p = &pass;

  g_return_val_if_fail (EIGML_IS_MODEL (self), FALSE);
  if (batch < 1 || n_candidates < 1 || (train && (batch < 1 || n_candidates < 2)))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "a model pass needs at least one dialogue and %s candidates (got %" G_GINT64_FORMAT
                   " and %" G_GINT64_FORMAT ")", train ? "two" : "one", batch, n_candidates);
      return FALSE;
    }
  memset (out, 0, sizeof *out);
  out->batch = B;
  out->n_candidates = C;
  out->flags = flags;
  p->g = g;
  p->config = c;
  p->heads = &self->heads;
  p->out = out;
  p->train = train;
  p->B = B;
  p->C = C;
  p->N = N;
  p->H = H;

  out->text_ids = input (g, "text_ids", EIGML_DTYPE_I32, 2, B, T, 0, 0);
  out->text_types = input (g, "text_types", EIGML_DTYPE_I32, 2, B, T, 0, 0);
  out->text_mask = input (g, "text_mask", EIGML_DTYPE_F32, 4, B, 1, 1, T);
  if (flags & EIGML_MODEL_GRAPH_VISION_FEATURES)
    out->vision_features = input (g, "vision_features", EIGML_DTYPE_F32, 3, N, grid * grid + 1, H,
                                  0);
  else
    out->patches = input (g, "patches", EIGML_DTYPE_F32, 3, N, grid * grid, patch_dim, 0);
  if (intention)
    {
      out->know_ids = input (g, "know_ids", EIGML_DTYPE_I32, 2, B * R, Tk, 0, 0);
      out->know_types = input (g, "know_types", EIGML_DTYPE_I32, 2, B * R, Tk, 0, 0);
      out->know_mask = input (g, "know_mask", EIGML_DTYPE_F32, 4, B * R, 1, 1, Tk);
    }
  if (eigml_model_needs_e_t (c))
    out->emo_label = input (g, "emo_label", EIGML_DTYPE_I32, 1, B, 0, 0, 0);
  if (eigml_model_eiks_active (c))
    {
      out->emo_dist = input (g, "emo_dist", EIGML_DTYPE_F32, 2, B, E, 0, 0);
      out->has_emo = input (g, "has_emo", EIGML_DTYPE_F32, 2, B, 1, 0, 0);
    }
  if (train)
    {
      out->labels = input (g, "labels", EIGML_DTYPE_F32, 1, N, 0, 0, 0);
      out->pos_select = input (g, "pos_select", EIGML_DTYPE_F32, 2, B, N, 0, 0);
      out->pos_index = input (g, "pos_index", EIGML_DTYPE_I32, 1, B, 0, 0, 0);
      out->diag = input (g, "diag", EIGML_DTYPE_I32, 1, B, 0, 0, 0);
    }

  /* encoders */
  p->f_t = eigml_text_encoder_build (self->text, g, out->text_ids, out->text_mask,
                                     out->text_types, train, NULL);
  p->t = pool (self, g, p->f_t, out->text_mask);
  p->f_v = out->vision_features != NULL
             ? out->vision_features
             : eigml_image_encoder_build (self->vision, g, out->patches, train);
  p->v = pool (self, g, p->f_v, NULL);
  if (train)
    p->v_pos = eigml_op_matmul (g, out->pos_select, p->v, FALSE, FALSE);
  if (intention)
    {
      gint64 s_brh[3] = { B, R, H };
      EigmlNode *k = eigml_text_encoder_build (self->text, g, out->know_ids, out->know_mask,
                                               out->know_types, train, NULL);

      p->i_t = eigml_op_reshape (g, pool (self, g, k, out->know_mask), 3, s_brh);
      if (eigml_model_needs_i_v (c))
        p->i_v = eigml_linear_forward (g, &self->heads.int_head, p->v);
    }
  if (eigml_model_needs_e_t (c))
    p->e_t = eigml_op_embedding (g, eigml_graph_param (g, self->heads.emo_embed),
                                 out->emo_label);
  if (eigml_model_needs_e_v (c))
    p->e_v = eigml_linear_forward (g, &self->heads.emo_head_v, p->v);

  if (intention)
    eigml_eiks_build (p);
  if (train)
    {
      eigml_dlcf_inter (p);
      eigml_dlcf_intra (p);
    }
  eigml_iega_build (p);
  eigml_samm_build (p);

  if (train)
    {
      const float w[EIGML_LOSS_N_TERMS] = {
        [EIGML_LOSS_ITM] = 1.0f, [EIGML_LOSS_I2T] = 1.0f, [EIGML_LOSS_T2I] = 1.0f,
        [EIGML_LOSS_EMO] = c->w_e, [EIGML_LOSS_INT] = c->w_i, [EIGML_LOSS_EMO_PRIME] = c->w_e_prime,
        [EIGML_LOSS_INTRA_EMO_T] = c->w_e_text, [EIGML_LOSS_INTRA_EMO_V] = c->w_e_vision,
        [EIGML_LOSS_INTRA_INT_T] = c->w_i_text, [EIGML_LOSS_INTRA_INT_V] = c->w_i_vision,
        [EIGML_LOSS_CON_T] = 1.0f, [EIGML_LOSS_CON_V] = 1.0f,
      };
      EigmlNode *total = NULL;

      for (guint i = 1; i < EIGML_LOSS_N_TERMS; i++)
        {
          EigmlNode *term;

          if (out->loss[i] == NULL)
            continue;
          out->loss[i] = eigml_mo_scalar (g, out->loss[i]);
          term = w[i] == 1.0f ? out->loss[i] : eigml_op_scale (g, out->loss[i], w[i], 0.0f);
          total = total == NULL ? term : eigml_op_add (g, total, term);
        }
      out->loss[EIGML_LOSS_TOTAL] = total;
      for (guint i = 0; i < EIGML_LOSS_N_TERMS; i++)
        if (out->loss[i] != NULL)
          eigml_graph_mark_output (g, out->loss[i]);
    }
  if (out->scores != NULL)
    eigml_graph_mark_output (g, out->scores);
  if (!train)
    {
      if (out->p_vl != NULL)
        eigml_graph_mark_output (g, out->p_vl);
      if (out->s_emo != NULL)
        eigml_graph_mark_output (g, out->s_emo);
      if (out->s_int != NULL)
        eigml_graph_mark_output (g, out->s_int);
    }
  if (eigml_graph_propagate_error (g, error))
    return FALSE;
  if (out->scores == NULL || (train && out->loss[EIGML_LOSS_TOTAL] == NULL))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FAILED, "internal: the model pass is incomplete");
      return FALSE;
    }
  return TRUE;
}

/* ---- the first stage of whole-library retrieval -------------------------- */

EigmlNode *
eigml_model_build_sticker_embedding (EigmlModel *self,
                                     EigmlGraph *g,
                                     gint64 n,
                                     EigmlNode **patches,
                                     EigmlNode **features)
{
  const EigmlModelConfig *c = self->config;
  gint64 grid = c->vision->image_size / c->vision->patch_size;
  gint64 shape[3] = { n, grid * grid,
                      (gint64) c->vision->channels * c->vision->patch_size * c->vision->patch_size };
  EigmlNode *out, *f_v;

  *patches = eigml_graph_input (g, "patches", EIGML_DTYPE_F32, 3, shape);
  f_v = eigml_image_encoder_build (self->vision, g, *patches, FALSE);
  out = eigml_mo_normalize (g, eigml_linear_forward (g, &self->heads.vision_proj,
                                                     pool (self, g, f_v, NULL)));
  if (out != NULL)
    eigml_graph_mark_output (g, out);
  if (features != NULL)
    {
      *features = f_v;
      if (f_v != NULL)
        eigml_graph_mark_output (g, f_v);
    }
  return out;
}

EigmlNode *
eigml_model_build_dialogue_embedding (EigmlModel *self,
                                      EigmlGraph *g,
                                      gint64 n,
                                      EigmlNode **ids,
                                      EigmlNode **types,
                                      EigmlNode **mask)
{
  gint64 T = self->config->max_len;
  EigmlNode *out;

  *ids = input (g, "text_ids", EIGML_DTYPE_I32, 2, n, T, 0, 0);
  *types = input (g, "text_types", EIGML_DTYPE_I32, 2, n, T, 0, 0);
  *mask = input (g, "text_mask", EIGML_DTYPE_F32, 4, n, 1, 1, T);
  out = eigml_mo_normalize (g, eigml_linear_forward (g, &self->heads.text_proj,
                                                     pool (self, g, eigml_text_encoder_build (
                                                             self->text, g, *ids, *mask, *types,
                                                             FALSE, NULL),
                                                           *mask)));
  if (out != NULL)
    eigml_graph_mark_output (g, out);
  return out;
}

char *
eigml_model_get_image_fingerprint (EigmlModel *self,
                                   GError **error)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autoptr (JsonNode) vision = NULL;
  GPtrArray *params = eigml_param_store_get_params (self->store);
  g_autofree char *json = NULL;
  JsonBuilder *b = json_builder_new ();

  json_builder_begin_object (b);
  eigml_encoder_config_add_to_json (self->config->vision, b);
  json_builder_set_member_name (b, "proj_dim");
  json_builder_add_int_value (b, self->config->proj_dim);
  json_builder_end_object (b);
  vision = json_builder_get_root (b);
  g_object_unref (b);
  json = json_to_string (vision, FALSE);
  g_checksum_update (sum, (const guchar *) json, -1);
  for (guint i = 0; i < params->len; i++)
    {
      EigmlParam *p = g_ptr_array_index (params, i);
      g_autofree float *v = NULL;

      if (!g_str_has_prefix (p->name, "visual_encoder.") && !g_str_has_prefix (p->name, "vision_proj."))
        continue;
      v = eigml_param_dup (p, EIGML_LEAF_PARAM, error);
      if (v == NULL)
        return NULL;
      g_checksum_update (sum, (const guchar *) p->name, -1);
      g_checksum_update (sum, (const guchar *) v, p->n_elements * sizeof (float));
    }
  return g_strdup (g_checksum_get_string (sum));
}
