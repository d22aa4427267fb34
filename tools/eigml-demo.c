/* eigml-demo.c: `eigml demo`, a small transformer trained for a few steps
 * on each backend, printing the loss
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "eigml-tool.h"
#include "eigml-context-private.h"
#include "engine/graph.h"
#include "nn/nn.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define BATCH 8
#define LEN 12
#define VOCAB 16

static gboolean
train (EigmlContext *ctx,
       int steps,
       double *losses,
       double *ms_per_step,
       GError **error)
{
  g_autoptr (EigmlParamStore) store = eigml_param_store_new (ctx, 42);
  g_autoptr (EigmlGraph) g = eigml_graph_new (ctx);
  EigmlTransformerConfig block = { .hidden = 64, .heads = 4, .ffn = 128, .eps = 1e-12f,
                                   .dropout = 0.1f, .attn_dropout = 0.1f, .pre_ln = FALSE };
  EigmlToyModel model = { 0 };
  EigmlAdamWConfig adamw;
  EigmlNode *loss;
  gint64 t0;
  gboolean ok = FALSE;

  if (!eigml_toy_model_init (&model, store, VOCAB, 32, 2, &block, error))
    goto out;
  loss = eigml_toy_model_train_graph (g, &model, store, BATCH, LEN, error);
  if (loss == NULL || !eigml_graph_prepare (g, error))
    goto out;
  eigml_adamw_config_init_default (&adamw);
  adamw.lr = 3e-3f;
  printf ("  model: 2 post-LN transformer layers, hidden 64, 4 heads, %" G_GINT64_FORMAT
          " parameters; batch %d x %d tokens\n", eigml_param_store_count_elements (store), BATCH,
          LEN);
  t0 = g_get_monotonic_time ();
  for (int step = 0; step < steps; step++)
    {
      float value;
      if (!eigml_toy_model_train_step (g, &model, loss, &adamw, 42, (guint64) step, &value, error))
        goto out;
      losses[step] = value;
      printf ("  step %2d  loss %.5f\n", step + 1, value);
      fflush (stdout);
    }
  *ms_per_step = (g_get_monotonic_time () - t0) / 1000.0 / MAX (steps, 1);
  ok = TRUE;
out:
  eigml_toy_model_clear (&model);
  return ok;
}

int
eigml_tool_demo (int argc,
                 char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GOptionContext) options = g_option_context_new ("- train a small transformer on each backend");
  int steps = 20;
  g_autofree char *backends = g_strdup ("cpu,vulkan");
  GOptionEntry entries[] = {
    { "steps", 's', 0, G_OPTION_ARG_INT, &steps, "AdamW steps per backend (default 20)", "N" },
    { "backends", 'b', 0, G_OPTION_ARG_STRING, &backends,
      "comma-separated backends to run (default cpu,vulkan)", "LIST" },
    { NULL }
  };
  g_auto (GStrv) names = NULL;
  g_autofree double *first = NULL;
  gboolean have_first = FALSE;
  int status = 0;

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    return eigml_tool_fail ("demo", error);
  if (steps < 1 || steps > 100000)
    {
      fprintf (stderr, "eigml demo: --steps must be between 1 and 100000\n");
      return 2;
    }
  first = g_new0 (double, steps);
  names = g_strsplit (backends, ",", -1);
  printf ("Eigml demo: the toy task is to predict (token + 1) mod %d at every position.\n", VOCAB);
  for (guint i = 0; names[i] != NULL; i++)
    {
      EigmlBackendKind kind;
      g_autoptr (EigmlContext) ctx = NULL;
      g_autofree double *losses = g_new0 (double, steps);
      double ms = 0.0;

      if (!eigml_backend_kind_from_string (g_strstrip (names[i]), &kind, &error))
        return eigml_tool_fail ("demo", error);
      ctx = eigml_context_new (kind, NULL, &error);
      if (ctx == NULL)
        {
          printf ("\n%s backend: not available here: %s\n", names[i], error->message);
          g_clear_error (&error);
          continue;
        }
      printf ("\n%s backend on %s%s\n", eigml_backend_kind_to_string (eigml_context_get_backend (ctx)),
              eigml_context_get_device_name (ctx),
              eigml_context_get_is_software (ctx) ? " (a software device: correct, but slow)" : "");
      if (!train (ctx, steps, losses, &ms, &error))
        {
          status = eigml_tool_fail ("demo", error);
          g_clear_error (&error);
          continue;
        }
      printf ("  loss %.4f -> %.4f in %d steps, %.1f ms per step\n", losses[0], losses[steps - 1],
              steps, ms);
      if (!have_first)
        {
          memcpy (first, losses, steps * sizeof (double));
          have_first = TRUE;
        }
      else
        {
          double worst = 0.0;
          for (int s = 0; s < steps; s++)
            worst = MAX (worst, fabs (losses[s] - first[s]) / fabs (first[s]));
          printf ("  largest relative difference from the first backend's losses: %.2g\n", worst);
        }
    }
  return status;
}
