/* model-reference.c: Eigml's side of tests/reference/test_model.py
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   model-reference CONFIG.json WEIGHTS INPUTS OUT BACKEND
 *     builds the EIGML model of CONFIG (docs/model.md), loads WEIGHTS
 *     (every parameter, strictly), reads the inputs of one training step
 *     (INPUTS: the names of docs/model.md "Inputs", pixels [N, 3, S, S]
 *     instead of patches, and the dropout masks mask.*), runs the training
 *     pass with those masks and its backward, then an inference pass, and
 *     writes loss.<term>, scores, eval_scores and grad.<parameter> to OUT.
 */
#include "config.h"

#include <eigml/eigml.h>
#include "eigml-tensor-private.h"
#include "model/model-private.h"

#include <stdio.h>
#include <string.h>

static void
die (const char *what,
     GError *error)
{
  fprintf (stderr, "model-reference: %s: %s\n", what, error ? error->message : "failed");
  exit (1);
}

static EigmlTensor *
need (EigmlWeights *w,
      const char *name)
{
  EigmlTensor *t = eigml_weights_lookup (w, name);

  if (t == NULL)
    {
      fprintf (stderr, "model-reference: the inputs have no '%s'\n", name);
      exit (1);
    }
  return t;
}

static void
set_from (EigmlGraph *g,
          EigmlNode *node,
          EigmlWeights *inputs,
          const char *name)
{
  GError *error = NULL;

  if (node == NULL)
    return;
  if (!eigml_graph_set_input_tensor (g, node, need (inputs, name), &error))
    die (name, error);
}

static void
set_inputs (EigmlGraph *g,
            EigmlModelGraph *mg,
            EigmlWeights *inputs,
            EigmlTensor *patches)
{
  static const char *const masks[EIGML_N_MASKS] = {
    "mask.intra_t1", "mask.intra_t2", "mask.intra_v1", "mask.intra_v2", "mask.drop_path",
  };
  GError *error = NULL;

  set_from (g, mg->text_ids, inputs, "text_ids");
  set_from (g, mg->text_types, inputs, "text_types");
  set_from (g, mg->text_mask, inputs, "text_mask");
  set_from (g, mg->know_ids, inputs, "know_ids");
  set_from (g, mg->know_types, inputs, "know_types");
  set_from (g, mg->know_mask, inputs, "know_mask");
  set_from (g, mg->emo_dist, inputs, "emo_dist");
  set_from (g, mg->emo_label, inputs, "emo_label");
  set_from (g, mg->has_emo, inputs, "has_emo");
  set_from (g, mg->labels, inputs, "labels");
  set_from (g, mg->pos_select, inputs, "pos_select");
  for (guint i = 0; i < EIGML_N_MASKS; i++)
    set_from (g, mg->masks[i], inputs, masks[i]);
  if (!eigml_graph_set_input_tensor (g, mg->patches, patches, &error))
    die ("patches", error);
  if (mg->pos_index != NULL)
    {
      gint64 B = mg->batch, N = B * mg->n_candidates;
      gsize n_sel = 0;
      g_autofree float *sel = eigml_tensor_dup_floats (need (inputs, "pos_select"), &n_sel, &error);
      g_autofree gint32 *pos = g_new (gint32, B);
      g_autofree gint32 *diag = g_new (gint32, B);

      if (sel == NULL || n_sel != (gsize) (B * N))
        die ("pos_select", error);
      for (gint64 i = 0; i < B; i++)
        {
          pos[i] = -1;
          for (gint64 j = 0; j < N; j++)
            if (sel[i * N + j] == 1.0f)
              pos[i] = (gint32) j;
          diag[i] = (gint32) i;
        }
      if (!eigml_graph_set_input_ints (g, mg->pos_index, pos, B, &error) ||
          !eigml_graph_set_input_ints (g, mg->diag, diag, B, &error))
        die ("pos_index", error);
    }
}

static void
put (EigmlWeights *out,
     const char *name,
     EigmlGraph *g,
     EigmlNode *node)
{
  GError *error = NULL;
  g_autoptr (EigmlTensor) t = eigml_graph_dup_tensor (g, node, &error);

  if (t == NULL)
    die (name, error);
  eigml_weights_insert (out, name, t);
}

int
main (int argc,
      char **argv)
{
  GError *error = NULL;
  g_autoptr (EigmlContext) ctx = NULL;
  g_autoptr (EigmlModelConfig) config = NULL;
  g_autoptr (EigmlModel) model = NULL;
  g_autoptr (EigmlWeights) weights = NULL, inputs = NULL, out = NULL;
  g_autoptr (EigmlTensor) patches = NULL;
  g_autoptr (EigmlGraph) g = NULL, ge = NULL;
  EigmlModelGraph mg, me;
  EigmlBackendKind backend;
  const gint64 *ids_shape, *label_shape;
  GPtrArray *params;

  if (argc != 6)
    {
      fprintf (stderr, "usage: model-reference CONFIG WEIGHTS INPUTS OUT cpu|vulkan\n");
      return 2;
    }
  if (!eigml_backend_kind_from_string (argv[5], &backend, &error) ||
      (ctx = eigml_context_new (backend, NULL, &error)) == NULL)
    die ("context", error);
  if ((config = eigml_model_config_new_from_json (argv[1], &error)) == NULL ||
      (model = eigml_model_new (ctx, config, 1, &error)) == NULL)
    die ("model", error);
  if ((weights = eigml_weights_load (argv[2], &error)) == NULL ||
      !eigml_model_load_weights (model, weights, TRUE, &error))
    die ("weights", error);
  if ((inputs = eigml_weights_load (argv[3], &error)) == NULL)
    die ("inputs", error);
  if ((patches = eigml_image_patchify (need (inputs, "pixels"), config->vision->patch_size,
                                       &error)) == NULL)
    die ("pixels", error);
  ids_shape = eigml_tensor_get_shape (need (inputs, "text_ids"), NULL);
  label_shape = eigml_tensor_get_shape (need (inputs, "labels"), NULL);

  /* the training pass with the given masks, and its backward */
  g = eigml_graph_new (ctx);
  if (!eigml_model_build (model, g, ids_shape[0], label_shape[0] / ids_shape[0],
                          EIGML_MODEL_GRAPH_TRAIN | EIGML_MODEL_GRAPH_EXTERNAL_MASKS, &mg, &error) ||
      !eigml_graph_backward (g, mg.loss[EIGML_LOSS_TOTAL], &error) ||
      !eigml_graph_prepare (g, &error))
    die ("training pass", error);
  eigml_graph_set_check_finite (g, TRUE);
  set_inputs (g, &mg, inputs, patches);
  if (!eigml_param_store_zero_grads (eigml_model_get_store (model), &error) ||
      !eigml_graph_poison (g, &error) || !eigml_graph_compute (g, &error))
    die ("training pass", error);

  out = eigml_weights_new ();
  for (guint i = 0; i < EIGML_LOSS_N_TERMS; i++)
    if (mg.loss[i] != NULL)
      {
        g_autofree char *name = g_strconcat ("loss.", eigml_loss_term_name (i), NULL);
        put (out, name, g, mg.loss[i]);
      }
  put (out, "scores", g, mg.scores);
  params = eigml_param_store_get_params (eigml_model_get_store (model));
  for (guint i = 0; i < params->len; i++)
    {
      EigmlParam *p = g_ptr_array_index (params, i);
      g_autofree float *grad = eigml_param_dup (p, EIGML_LEAF_PARAM_GRAD, &error);
      g_autofree char *name = g_strconcat ("grad.", p->name, NULL);
      g_autoptr (EigmlTensor) t = NULL;

      if (grad == NULL ||
          (t = eigml_tensor_new_from_floats (p->shape, p->n_dims, grad, p->n_elements,
                                             &error)) == NULL)
        die (name, error);
      eigml_weights_insert (out, name, t);
    }

  /* the inference pass */
  ge = eigml_graph_new (ctx);
  if (!eigml_model_build (model, ge, ids_shape[0], label_shape[0] / ids_shape[0], 0, &me,
                          &error) ||
      !eigml_graph_prepare (ge, &error))
    die ("inference pass", error);
  set_inputs (ge, &me, inputs, patches);
  if (!eigml_graph_poison (ge, &error) || !eigml_graph_compute (ge, &error))
    die ("inference pass", error);
  put (out, "eval_scores", ge, me.scores);

  if (!eigml_weights_save_safetensors (out, argv[4], &error))
    die ("output", error);
  return 0;
}
