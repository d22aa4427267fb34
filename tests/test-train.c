/* test-train.c: a small transformer (2 layers, hidden 64) trained for 30
 * AdamW steps on the toy task: the loss must fall by at least half, and the
 * CPU and Vulkan backends must agree step by step (1e-4 relative).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "op-harness.h"
#include "nn/nn.h"

#include <math.h>

#define STEPS 30
#define BATCH 8
#define LEN 12
#define VOCAB 16

static void
train (EigmlContext *ctx,
       double losses[STEPS])
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlParamStore) store = eigml_param_store_new (ctx, 42);
  g_autoptr (EigmlGraph) g = eigml_graph_new (ctx);
  EigmlTransformerConfig block = { .hidden = 64, .heads = 4, .ffn = 128, .eps = 1e-12f,
                                   .dropout = 0.1f, .attn_dropout = 0.1f, .pre_ln = FALSE };
  EigmlToyModel model = { 0 };
  EigmlAdamWConfig adamw;
  EigmlNode *loss;

  g_assert_true (eigml_toy_model_init (&model, store, VOCAB, 32, 2, &block, &error));
  g_assert_no_error (error);
  loss = eigml_toy_model_train_graph (g, &model, store, BATCH, LEN, &error);
  g_assert_no_error (error);
  g_assert_nonnull (loss);
  eigml_adamw_config_init_default (&adamw);
  adamw.lr = 3e-3f;

  for (int step = 0; step < STEPS; step++)
    {
      float value = NAN;
      g_assert_true (eigml_graph_poison (g, &error));
      g_assert_true (eigml_toy_model_train_step (g, &model, loss, &adamw, 42, (guint64) step,
                                                 &value, &error));
      g_assert_no_error (error);
      g_assert_true (isfinite (value));
      losses[step] = value;
      g_test_message ("%s step %2d loss %.6f", eigml_backend_kind_to_string (
                        eigml_context_get_backend (ctx)), step, value);
    }
  eigml_toy_model_clear (&model);
}

static void
test_train_cpu (void)
{
  double losses[STEPS];

  train (harness_context (EIGML_BACKEND_CPU), losses);
  g_assert_cmpfloat (losses[STEPS - 1], <=, losses[0] / 2.0);
}

static void
test_train_vulkan (void)
{
  EigmlContext *vk = harness_context (EIGML_BACKEND_VULKAN);
  double cpu[STEPS], gpu[STEPS];

  if (vk == NULL)
    {
      g_test_skip ("no Vulkan device (EIGML_TEST_ALLOW_NO_VULKAN is set)");
      return;
    }
  train (harness_context (EIGML_BACKEND_CPU), cpu);
  train (vk, gpu);
  for (int step = 0; step < STEPS; step++)
    if (!(fabs (cpu[step] - gpu[step]) <= 1e-4 * fabs (cpu[step])))
      g_error ("step %d: CPU loss %.8f, Vulkan loss %.8f (relative difference %.3g > 1e-4)", step,
               cpu[step], gpu[step], fabs (cpu[step] - gpu[step]) / fabs (cpu[step]));
  g_assert_cmpfloat (gpu[STEPS - 1], <=, gpu[0] / 2.0);
}

int
main (int argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cpu/train/toy-transformer", test_train_cpu);
  g_test_add_func ("/vulkan/train/toy-transformer", test_train_vulkan);
  {
    int status = g_test_run ();
    harness_cleanup ();
    return status;
  }
}
