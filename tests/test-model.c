/* test-model.c: the EIGML model's passes on a tiny configuration: every
 * ablation builds, runs and yields exactly its loss terms; configs read
 * and write; checkpoints round-trip; the full model overfits 32 examples.
 * (Agreement with PyTorch is tests/reference/test_model.py.)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "op-harness.h"
#include "model/model-build.h"

#include <glib/gstdio.h>
#include <math.h>

#define TINY_CONFIG \
  "{\"text_encoder\": {\"hidden_size\": 32, \"num_hidden_layers\": 1, \"num_attention_heads\": 2," \
  " \"intermediate_size\": 64, \"vocab_size\": 60, \"max_position_embeddings\": 16}," \
  " \"vision_encoder\": {\"hidden_size\": 32, \"num_hidden_layers\": 1, \"num_attention_heads\": 2," \
  " \"intermediate_size\": 64, \"image_size\": 16, \"patch_size\": 8}," \
  " \"max_len\": 9, \"knowledge_len\": 5, \"n_candidates\": 4, \"proj_dim\": 16," \
  " \"fusion_heads\": 2, \"fusion_ffn\": 48, \"intra_dropout\": 0.25, \"drop_path\": 0.25"

static EigmlModelConfig *
tiny_config (EigmlComponents components)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *json = g_strconcat (TINY_CONFIG, "}", NULL);
  EigmlModelConfig *c = eigml_model_config_new_from_data (json, -1, &error);

  g_assert_no_error (error);
  c->components = components;
  return c;
}

/* A batch of B dialogues, candidate images keyed by (dialogue, candidate)
 * so that a model can learn which one is the positive. */
static void
make_batch (const EigmlModelConfig *c,
            gint64 B,
            guint64 seed,
            EigmlModelBatch *b)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed ((guint32) seed);
  gint64 C = c->n_candidates, N = B * C, T = c->max_len, Tk = c->knowledge_len;
  gint64 R = EIGML_N_RELATIONS, E = c->n_emotions;
  gint64 grid = c->vision->image_size / c->vision->patch_size;
  gint64 pd = 3 * c->vision->patch_size * c->vision->patch_size;
  gint64 pshape[3] = { N, grid * grid, pd };
  g_autofree float *pix = g_new (float, N * grid * grid * pd);

  eigml_model_batch_init (b, B, C, T, Tk, (guint) E);
  for (gint64 i = 0; i < B; i++)
    {
      gint64 len = 3 + g_rand_int_range (rand, 0, (gint32) T - 2);

      for (gint64 k = 0; k < T; k++)
        {
          b->text_ids[i * T + k] = k < len ? g_rand_int_range (rand, 1, 60) : 0;
          b->text_mask[i * T + k] = k < len ? 0.0f : -10000.0f;
        }
      for (gint64 r = 0; r < R; r++)
        for (gint64 k = 0; k < Tk; k++)
          {
            b->know_ids[(i * R + r) * Tk + k] = k < 3 ? g_rand_int_range (rand, 1, 60) : 0;
            b->know_mask[(i * R + r) * Tk + k] = k < 3 ? 0.0f : -10000.0f;
          }
      b->positive[i] = g_rand_int_range (rand, 0, (gint32) C);
      b->labels[i * C + b->positive[i]] = 1.0f;
      if (i % 3 != 2)   /* every third dialogue has no emotion */
        b->emo_dist[i * E + g_rand_int_range (rand, 0, (gint32) E)] = 1.0f;
    }
  for (gint64 k = 0; k < N * grid * grid * pd; k++)
    pix[k] = (float) g_rand_double_range (rand, -1.5, 1.5);
  b->patches = eigml_tensor_new_from_floats (pshape, 3, pix, N * grid * grid * pd, NULL);
}

static void
assert_terms (const EigmlModelGraph *mg,
              const char *const *want)
{
  for (guint i = 0; i < EIGML_LOSS_N_TERMS; i++)
    {
      gboolean expected = g_strv_contains (want, eigml_loss_term_name (i));

      if (expected != (mg->loss[i] != NULL))
        g_error ("loss term '%s' is %s", eigml_loss_term_name (i),
                 expected ? "missing" : "present but switched off");
    }
}

static void
run_pass (EigmlContext *ctx,
          EigmlComponents components,
          const char *const *terms)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlModelConfig) c = tiny_config (components);
  g_autoptr (EigmlModel) model = eigml_model_new (ctx, c, 7, &error);
  g_autoptr (EigmlGraph) g = eigml_graph_new (ctx);
  g_autoptr (EigmlGraph) ge = eigml_graph_new (ctx);
  EigmlModelBatch b;
  EigmlModelGraph mg, me;
  g_autofree float *scores = NULL;

  g_assert_no_error (error);
  make_batch (c, 3, 5, &b);
  eigml_model_build (model, g, 3, c->n_candidates, EIGML_MODEL_GRAPH_TRAIN, &mg, &error);
  g_assert_no_error (error);
  assert_terms (&mg, terms);
  eigml_graph_backward (g, mg.loss[EIGML_LOSS_TOTAL], &error);
  g_assert_no_error (error);
  eigml_graph_prepare (g, &error);
  g_assert_no_error (error);
  eigml_graph_set_check_finite (g, TRUE);
  g_assert_true (eigml_graph_set_rng (g, 42, 0, &error));
  g_assert_true (eigml_model_graph_set_batch (g, &mg, &b, c->n_emotions, &error));
  g_assert_true (eigml_graph_poison (g, &error));
  eigml_graph_compute (g, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < EIGML_LOSS_N_TERMS; i++)
    if (mg.loss[i] != NULL)
      {
        float v = NAN;
        g_assert_true (eigml_graph_read (g, mg.loss[i], &v, sizeof v, &error));
        g_assert_true (isfinite (v));
        g_assert_cmpfloat (v, >=, -1e-6);
      }

  eigml_model_build (model, ge, 3, c->n_candidates, 0, &me, &error);
  g_assert_no_error (error);
  eigml_graph_prepare (ge, &error);
  g_assert_no_error (error);
  eigml_model_graph_set_batch (ge, &me, &b, c->n_emotions, &error);
  g_assert_no_error (error);
  eigml_graph_poison (ge, &error);
  eigml_graph_compute (ge, &error);
  g_assert_no_error (error);
  scores = eigml_graph_dup_floats (ge, me.scores, &error);
  g_assert_no_error (error);
  for (gint64 i = 0; i < 3 * c->n_candidates; i++)
    g_assert_true (scores[i] > 0.0f && scores[i] < 1.0f);
  eigml_model_batch_clear (&b);
}

static void
test_ablations (void)
{
  EigmlContext *ctx = harness_context (EIGML_BACKEND_CPU);
  const char *const all[] = { "total", "itm", "i2t", "t2i", "emo", "int", "emo_prime",
                              "intra_emo_t", "intra_emo_v", "intra_int_t", "intra_int_v",
                              "con_t", "con_v", NULL };
  const char *const no_inter[] = { "total", "itm", "i2t", "t2i", "emo_prime", "intra_emo_t",
                                   "intra_emo_v", "intra_int_t", "intra_int_v", "con_t", "con_v",
                                   NULL };
  const char *const no_intra[] = { "total", "itm", "i2t", "t2i", "emo", "int", "emo_prime", NULL };
  const char *const no_eiks[] = { "total", "itm", "i2t", "t2i", "emo", "int", "intra_emo_t",
                                  "intra_emo_v", "intra_int_t", "intra_int_v", "con_t", "con_v",
                                  NULL };
  const char *const no_emotion[] = { "total", "itm", "i2t", "t2i", "int", "intra_int_t",
                                     "intra_int_v", "con_t", "con_v", NULL };
  const char *const no_intention[] = { "total", "itm", "i2t", "t2i", "emo", "intra_emo_t",
                                       "intra_emo_v", "con_t", "con_v", NULL };
  const char *const base[] = { "total", "itm", "i2t", "t2i", NULL };

  run_pass (ctx, EIGML_COMPONENTS_ALL, all);
  run_pass (ctx, EIGML_COMPONENTS_ALL & ~EIGML_COMPONENT_INTER, no_inter);
  run_pass (ctx, EIGML_COMPONENTS_ALL & ~EIGML_COMPONENT_INTRA, no_intra);
  run_pass (ctx, EIGML_COMPONENTS_ALL & ~EIGML_COMPONENT_EIKS, no_eiks);
  run_pass (ctx, EIGML_COMPONENTS_ALL & ~EIGML_COMPONENT_IEGA, all);
  run_pass (ctx, EIGML_COMPONENTS_ALL & ~EIGML_COMPONENT_SAMM, all);
  run_pass (ctx, EIGML_COMPONENTS_ALL & ~EIGML_COMPONENT_EMOTION, no_emotion);
  run_pass (ctx, EIGML_COMPONENTS_ALL & ~EIGML_COMPONENT_INTENTION, no_intention);
  run_pass (ctx, EIGML_COMPONENTS_NONE, base);
}

static void
test_config (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlModelConfig) c = tiny_config (EIGML_COMPONENTS_ALL & ~EIGML_COMPONENT_SAMM);
  g_autofree char *json = NULL;
  g_autoptr (EigmlModelConfig) back = NULL;
  const char *bad[][2] = {
    { "{\"w_e\": \"high\"}", "\"w_e\" must be a number" },
    { "{\"max_len\": -3}", "\"max_len\" must be a positive integer" },
    { "{\"max_lenght\": 12}", "unknown member \"max_lenght\"" },
    { "{\"components\": {\"samm\": 1}}", "components.samm must be true or false" },
    { "{\"components\": {\"sam\": true}}", "unknown component \"sam\"" },
    { "{\"fusion_heads\": 5}", "fusion_heads must divide" },
    { "{\"vision_encoder\": {\"hidden_size\": 64, \"num_attention_heads\": 4}}", "hidden sizes differ" },
    { "{\"drop_path\": 1.0}", "drop_path must be in [0, 1)" },
    { "{\"pooling\": \"max\"}", "\"pooling\" must be \"cls\" or \"mean\"" },
    { "{\"samm_beta_init\": 1.0}", "samm_beta_init must be in (0, 1)" },
    { "{\"samm_beta_init\": 0}", "samm_beta_init must be in (0, 1)" },
    { "[1, 2]", "not a JSON object" },
    { "{\"text_encoder\": 3}", "text_encoder: must be an object" },
  };

  c->w_e_prime = 0.75f;
  c->temperature = 0.1f;
  c->mean_pooling = TRUE;
  c->samm_beta_init = 0.75f;
  json = eigml_model_config_to_json (c);
  back = eigml_model_config_new_from_data (json, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->components, ==, c->components);
  g_assert_cmpfloat (back->w_e_prime, ==, 0.75f);
  g_assert_cmpfloat (back->w_e, ==, 0.5f);
  g_assert_cmpfloat_with_epsilon (back->temperature, 0.1f, 1e-7);
  g_assert_cmpuint (back->text->hidden, ==, 32);
  g_assert_cmpuint (back->vision->image_size, ==, 16);
  g_assert_cmpuint (back->fusion_ffn, ==, 48);
  g_assert_true (back->mean_pooling);
  g_assert_cmpfloat_with_epsilon (back->samm_beta_init, 0.75f, 1e-7);

  {
    /* a single override wins over its group, whatever the member order */
    g_autoptr (EigmlModelConfig) o = eigml_model_config_new_from_data (
      "{\"w_e_text\": 0.1, \"w_e\": 0.25, \"w_i\": 1.0}", -1, &error);
    g_assert_no_error (error);
    g_assert_cmpfloat (o->w_e, ==, 0.25f);
    g_assert_cmpfloat (o->w_e_vision, ==, 0.25f);
    g_assert_cmpfloat (o->w_e_text, ==, 0.1f);
    g_assert_cmpfloat (o->w_i_vision, ==, 1.0f);
  }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (EigmlModelConfig) x = eigml_model_config_new_from_data (bad[i][0], -1, &error);
      g_assert_null (x);
      g_assert_nonnull (error);
      if (strstr (error->message, bad[i][1]) == NULL)
        g_error ("config %s: error \"%s\" lacks \"%s\"", bad[i][0], error->message, bad[i][1]);
      g_clear_error (&error);
    }
}

static void
test_checkpoint (void)
{
  EigmlContext *ctx = harness_context (EIGML_BACKEND_CPU);
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlModelConfig) c = tiny_config (EIGML_COMPONENTS_ALL);
  g_autoptr (EigmlModel) a = eigml_model_new (ctx, c, 3, &error);
  g_autoptr (EigmlModel) b = NULL;
  g_autoptr (EigmlWeights) wa = NULL, wb = NULL;
  g_autofree char *dir = g_dir_make_tmp ("eigml-model-XXXXXX", &error);
  g_auto (GStrv) names = NULL;

  g_assert_no_error (error);
  g_assert_true (eigml_model_save (a, dir, &error));
  g_assert_no_error (error);
  b = eigml_model_new_from_checkpoint (ctx, dir, &error);
  g_assert_no_error (error);
  g_assert_cmpint (eigml_model_get_n_parameters (a), ==, eigml_model_get_n_parameters (b));
  wa = eigml_model_dup_weights (a, &error);
  wb = eigml_model_dup_weights (b, &error);
  names = eigml_weights_get_names (wa);
  g_assert_cmpuint (g_strv_length (names), ==, eigml_weights_get_n_tensors (wb));
  {
    /* SAMM's β starts at samm_beta_init: sigmoid (samm.beta) = 0.98 */
    gsize nb = 0;
    g_autofree float *beta = eigml_tensor_dup_floats (eigml_weights_lookup (wa, "samm.beta"),
                                                      &nb, NULL);
    g_assert_cmpuint (nb, ==, 1);
    g_assert_cmpfloat_with_epsilon (1.0 / (1.0 + exp (-beta[0])), 0.98, 1e-6);
  }
  for (guint i = 0; names[i] != NULL; i++)
    {
      gsize nx = 0;
      g_autofree float *x = eigml_tensor_dup_floats (eigml_weights_lookup (wa, names[i]), &nx, NULL);
      EigmlTensor *ty = eigml_weights_lookup (wb, names[i]);
      g_autofree float *y = NULL;
      gsize n = 0;

      g_assert_nonnull (ty);
      y = eigml_tensor_dup_floats (ty, &n, NULL);
      g_assert_cmpuint (n, ==, nx);
      g_assert_cmpmem (x, n * sizeof (float), y, n * sizeof (float));
    }

  /* a checkpoint of another configuration is refused, naming the tensors */
  {
    g_autoptr (EigmlModelConfig) c2 = tiny_config (EIGML_COMPONENTS_NONE);
    g_autoptr (EigmlModel) m2 = eigml_model_new (ctx, c2, 3, &error);
    g_assert_false (eigml_model_load_weights (m2, wa, TRUE, &error));
    g_assert_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT);
    g_assert_nonnull (strstr (error->message, "unexpected"));
    g_clear_error (&error);
  }
  /* a head of the wrong shape */
  {
    gint64 shape[2] = { 3, 3 };
    float nine[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
    g_autoptr (EigmlTensor) t = eigml_tensor_new_from_floats (shape, 2, nine, 9, NULL);
    eigml_weights_insert (wa, "itm_head.weight", t);
    g_assert_false (eigml_model_load_weights (b, wa, TRUE, &error));
    g_assert_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE);
    g_assert_nonnull (strstr (error->message, "itm_head.weight"));
    g_clear_error (&error);
  }
  /* no folder, no config */
  g_assert_null (eigml_model_new_from_checkpoint (ctx, "/nonexistent/ckpt", &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  {
    g_autofree char *cfg = g_build_filename (dir, "config.json", NULL);
    g_assert_true (g_file_set_contents (cfg, "{\"proj_dim\": ", -1, NULL));
    g_assert_null (eigml_model_new_from_checkpoint (ctx, dir, &error));
    g_assert_nonnull (error);
    g_assert_nonnull (strstr (error->message, "config.json"));
    g_clear_error (&error);
    g_unlink (cfg);
  }
  {
    g_autofree char *w = g_build_filename (dir, "model.safetensors", NULL);
    g_unlink (w);
  }
  g_rmdir (dir);
}


/* Mean average precision (one positive: 1 / rank; ties count against) */
static double
batch_map (const float *scores,
           const gint32 *positive,
           gint64 B,
           gint64 C)
{
  double sum = 0.0;

  for (gint64 i = 0; i < B; i++)
    {
      float p = scores[i * C + positive[i]];
      gint64 rank = 1;

      for (gint64 k = 0; k < C; k++)
        if (k != positive[i] && scores[i * C + k] >= p)
          rank++;
      sum += 1.0 / (double) rank;
    }
  return sum / (double) B;
}

/* The full model learns 32 examples (4 batches of 8, 10 candidates each):
 * training MAP >= 0.95 from inference passes. */
static void
test_overfit (void)
{
  EigmlContext *ctx = harness_context (EIGML_BACKEND_CPU);
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlModelConfig) c = tiny_config (EIGML_COMPONENTS_ALL);
  g_autoptr (EigmlModel) model = NULL;
  g_autoptr (EigmlGraph) g = eigml_graph_new (ctx);
  g_autoptr (EigmlGraph) ge = eigml_graph_new (ctx);
  EigmlModelBatch batches[4];
  EigmlModelGraph mg, me;
  EigmlAdamWConfig adamw;
  double map = 0.0, first_map = 0.0;
  guint64 step = 0;
  const gint64 B = 8;

  c->n_candidates = 10;
  model = eigml_model_new (ctx, c, 11, &error);
  g_assert_no_error (error);
  for (guint k = 0; k < 4; k++)
    make_batch (c, B, 100 + k, &batches[k]);
  eigml_model_build (model, g, B, 10, EIGML_MODEL_GRAPH_TRAIN, &mg, &error);
  g_assert_no_error (error);
  eigml_graph_backward (g, mg.loss[EIGML_LOSS_TOTAL], &error);
  g_assert_no_error (error);
  eigml_graph_add_adamw (g, eigml_model_get_store (model), &error);
  g_assert_no_error (error);
  eigml_graph_prepare (g, &error);
  g_assert_no_error (error);
  eigml_model_build (model, ge, B, 10, 0, &me, &error);
  g_assert_no_error (error);
  eigml_graph_prepare (ge, &error);
  g_assert_no_error (error);
  eigml_adamw_config_init_default (&adamw);
  adamw.lr = 2e-3f;
  adamw.max_grad_norm = 1.0f;

  for (guint epoch = 0; epoch < 60; epoch++)
    {
      if (epoch % 10 == 0 || epoch == 59)
        {
          map = 0.0;
          for (guint k = 0; k < 4; k++)
            {
              g_autofree float *scores = NULL;

              eigml_model_graph_set_batch (ge, &me, &batches[k], c->n_emotions, &error);
              eigml_graph_compute (ge, &error);
              g_assert_no_error (error);
              scores = eigml_graph_dup_floats (ge, me.scores, &error);
              map += batch_map (scores, batches[k].positive, B, 10) / 4.0;
            }
          if (epoch == 0)
            first_map = map;
          g_test_message ("epoch %u: training MAP %.4f", epoch, map);
          if (map >= 0.95)
            break;
        }
      for (guint k = 0; k < 4; k++, step++)
        {
          float loss = NAN;

          eigml_model_graph_set_batch (g, &mg, &batches[k], c->n_emotions, &error);
          eigml_graph_set_rng (g, 42, step, &error);
          eigml_graph_set_adamw_step (g, &adamw, adamw.lr, step + 1, &error);
          eigml_graph_compute (g, &error);
          g_assert_no_error (error);
          eigml_graph_read (g, mg.loss[EIGML_LOSS_TOTAL], &loss, sizeof loss, &error);
          g_assert_true (isfinite (loss));
        }
    }
  g_assert_cmpfloat (first_map, <, 0.6);
  g_assert_cmpfloat (map, >=, 0.95);
  for (guint k = 0; k < 4; k++)
    eigml_model_batch_clear (&batches[k]);
}

/* The training pass (Philox dropout, stochastic depth) and its gradients
 * agree between backends. */
static void
test_vulkan_matches_cpu (void)
{
  EigmlContext *vk = harness_context (EIGML_BACKEND_VULKAN);
  EigmlContext *ctxs[2] = { harness_context (EIGML_BACKEND_CPU), vk };
  float losses[2][EIGML_LOSS_N_TERMS];
  float *grads[2] = { NULL, NULL };
  g_autoptr (EigmlModelConfig) c = tiny_config (g_getenv ("EIGML_TEST_COMPONENTS") ? (EigmlComponents) atoi (g_getenv ("EIGML_TEST_COMPONENTS")) : EIGML_COMPONENTS_ALL);
  gsize n_grad = 0;

  if (vk == NULL)
    {
      g_test_skip ("no Vulkan device (EIGML_TEST_ALLOW_NO_VULKAN is set)");
      return;
    }
  for (guint k = 0; k < 2; k++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (EigmlModel) model = eigml_model_new (ctxs[k], c, 9, &error);
      g_autoptr (EigmlGraph) g = eigml_graph_new (ctxs[k]);
      EigmlModelBatch b;
      EigmlModelGraph mg;
      GPtrArray *params;
      GArray *all = g_array_new (FALSE, FALSE, sizeof (float));

      make_batch (c, 3, 21, &b);
      eigml_model_build (model, g, 3, c->n_candidates, EIGML_MODEL_GRAPH_TRAIN, &mg, &error);
      eigml_graph_backward (g, mg.loss[EIGML_LOSS_TOTAL], &error);
      eigml_graph_prepare (g, &error);
      eigml_graph_set_rng (g, 42, 3, &error);
      eigml_model_graph_set_batch (g, &mg, &b, c->n_emotions, &error);
      eigml_param_store_zero_grads (eigml_model_get_store (model), &error);
      eigml_graph_poison (g, &error);
      eigml_graph_compute (g, &error);
      g_assert_no_error (error);
      for (guint i = 0; i < EIGML_LOSS_N_TERMS; i++)
        if (mg.loss[i] == NULL)
          losses[k][i] = 0.0f;
        else
          eigml_graph_read (g, mg.loss[i], &losses[k][i], sizeof (float), &error);
      g_assert_no_error (error);
      params = eigml_param_store_get_params (eigml_model_get_store (model));
      for (guint i = 0; i < params->len; i++)
        {
          EigmlParam *p = g_ptr_array_index (params, i);
          g_autofree float *gr = eigml_param_dup (p, EIGML_LEAF_PARAM_GRAD, &error);
          g_array_append_vals (all, gr, p->n_elements);
        }
      n_grad = all->len;
      grads[k] = (float *) g_array_free (all, FALSE);
      eigml_model_batch_clear (&b);
    }
  for (guint i = 0; i < EIGML_LOSS_N_TERMS; i++)
    g_test_message ("loss %-12s CPU %.8f Vulkan %.8f", eigml_loss_term_name (i), losses[0][i],
                    losses[1][i]);
  for (guint i = 0; i < EIGML_LOSS_N_TERMS; i++)
    if (!(fabsf (losses[0][i] - losses[1][i]) <= 1e-4f * fmaxf (fabsf (losses[0][i]), 1e-3f)))
      g_error ("loss %s: CPU %.8f, Vulkan %.8f", eigml_loss_term_name (i), losses[0][i],
               losses[1][i]);
  {
    double max_diff = 0.0, max_ref = 0.0;
    for (gsize i = 0; i < n_grad; i++)
      {
        max_diff = fmax (max_diff, fabs ((double) grads[0][i] - grads[1][i]));
        max_ref = fmax (max_ref, fabs ((double) grads[0][i]));
      }
    g_test_message ("gradients: max difference %.3g, max value %.3g", max_diff, max_ref);
    g_assert_cmpfloat (max_ref, >, 0.0);
    g_assert_cmpfloat (max_diff, <=, 1e-4 * max_ref);
  }
  g_free (grads[0]);
  g_free (grads[1]);
}

/* EIKS' exclusion mask: 1 at the row maximum, ties share (eq 11) */
static void
test_argmax_share (void)
{
  const EigmlBackendKind kinds[2] = { EIGML_BACKEND_CPU, EIGML_BACKEND_VULKAN };

  for (guint k = 0; k < 2; k++)
    {
      EigmlContext *ctx = harness_context (kinds[k]);
      g_autoptr (GError) error = NULL;
      g_autoptr (EigmlGraph) g = NULL;
      gint64 shape[2] = { 3, 4 };
      const float x[12] = { 1, 5, 2, 3, -1, -2, -0.5f, -3, 2, 2, 1, 0 };
      const float want[12] = { 0, 1, 0, 0, 0, 0, 1, 0, 0.5f, 0.5f, 0, 0 };
      float out[12];
      EigmlNode *in, *y;

      if (ctx == NULL)
        continue;
      g = eigml_graph_new (ctx);
      in = eigml_graph_input (g, "x", EIGML_DTYPE_F32, 2, shape);
      y = eigml_mo_argmax_share (g, in, 1);
      g_assert_true (y->flags & EIGML_NODE_NO_GRAD);
      eigml_graph_mark_output (g, y);
      eigml_graph_prepare (g, &error);
      eigml_graph_set_input_floats (g, in, x, 12, &error);
      eigml_graph_poison (g, &error);
      eigml_graph_compute (g, &error);
      eigml_graph_read (g, y, out, sizeof out, &error);
      g_assert_no_error (error);
      g_assert_cmpmem (out, sizeof out, want, sizeof want);
    }
}

int
main (int argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cpu/model/config", test_config);
  g_test_add_func ("/cpu/model/ablations", test_ablations);
  g_test_add_func ("/cpu/model/checkpoint", test_checkpoint);
  g_test_add_func ("/cpu/model/overfit", test_overfit);
  g_test_add_func ("/vulkan/model/argmax-share", test_argmax_share);
  g_test_add_func ("/vulkan/model/matches-cpu", test_vulkan_matches_cpu);
  {
    int status = g_test_run ();
    harness_cleanup ();
    return status;
  }
}
