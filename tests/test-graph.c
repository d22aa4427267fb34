/* test-graph.c: the engine around the ops: autodiff bookkeeping, memory
 * planning, the optimizer, the graph cache, the RNG, and errors on bad input
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "op-harness.h"
#include "engine/graph-cache.h"
#include "engine/philox.h"
#include "backends/cpu/cpu-vecmath.h"

#include <math.h>
#include <string.h>

static EigmlContext *
cpu (void)
{
  return harness_context (EIGML_BACKEND_CPU);
}

static void
test_philox_kat (void)
{
  /* Known-answer vectors of Random123 (kat_vectors, philox4x32 10 rounds). */
  static const guint32 kat[][10] = {
    { 0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8 },
    { 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff,
      0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd },
    { 0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0,
      0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (kat); i++)
    {
      guint32 out[4];
      eigml_philox4x32_10 (kat[i], kat[i] + 4, out);
      for (guint j = 0; j < 4; j++)
        g_assert_cmphex (out[j], ==, kat[i][6 + j]);
    }
}

/* The CPU's vectorisable exp and normal CDF against libm in double. */
static void
test_vecmath_accuracy (void)
{
  double worst_exp = 0.0, worst_cdf = 0.0, worst_pdf = 0.0;

  for (double x = -87.0; x <= 88.0; x += 1.7e-3)
    {
      float xf = (float) x;
      worst_exp = MAX (worst_exp, fabs (cpu_expf (xf) / exp ((double) xf) - 1.0));
    }
  for (double x = -13.0; x <= 8.0; x += 3.1e-4)
    {
      float xf = (float) x;
      double cdf = 0.5 * erfc (-(double) xf / sqrt (2.0));
      double pdf = exp (-(double) xf * xf / 2.0) / sqrt (2.0 * G_PI);
      worst_cdf = MAX (worst_cdf, fabs (cpu_normal_cdf (xf) / cdf - 1.0));
      worst_pdf = MAX (worst_pdf, fabs (cpu_normal_pdf (xf) / pdf - 1.0));
    }
  g_test_message ("relative error: exp %.3g, Phi %.3g, phi %.3g", worst_exp, worst_cdf, worst_pdf);
  g_assert_cmpfloat (worst_exp, <, 2e-7);
  g_assert_cmpfloat (worst_cdf, <, 6e-7);
  g_assert_cmpfloat (worst_pdf, <, 4e-7);
  g_assert_cmpfloat (cpu_expf (-100.0f), ==, 0.0f);
  g_assert_cmpfloat (cpu_expf (-INFINITY), ==, 0.0f);
  g_assert_cmpfloat (cpu_normal_cdf (0.0f), ==, 0.5f);
}

static void
test_dropout_statistics (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlGraph) g = eigml_graph_new (cpu ());
  gint64 shape[1] = { 100000 };
  EigmlNode *x = eigml_graph_input (g, "x", EIGML_DTYPE_F32, 1, shape);
  EigmlNode *y = eigml_op_dropout (g, x, 0.3f);
  g_autofree float *ones = g_new (float, shape[0]);
  g_autofree float *a = NULL, *b = NULL;
  gint64 kept = 0, same = 0;

  eigml_graph_mark_output (g, y);
  for (gint64 i = 0; i < shape[0]; i++)
    ones[i] = 1.0f;
  g_assert_true (eigml_graph_set_input_floats (g, x, ones, shape[0], &error));
  g_assert_true (eigml_graph_set_rng (g, 1, 0, &error));
  g_assert_true (eigml_graph_compute (g, &error));
  a = eigml_graph_dup_floats (g, y, &error);
  g_assert_true (eigml_graph_set_rng (g, 1, 1, &error));
  g_assert_true (eigml_graph_compute (g, &error));
  b = eigml_graph_dup_floats (g, y, &error);
  g_assert_no_error (error);
  for (gint64 i = 0; i < shape[0]; i++)
    {
      g_assert_true (a[i] == 0.0f || a[i] == 1.0f / 0.7f);
      kept += a[i] != 0.0f;
      same += (a[i] != 0.0f) == (b[i] != 0.0f);
    }
  /* keep rate 0.7 within 5 standard deviations; another offset, another mask */
  g_assert_cmpfloat (fabs ((double) kept / shape[0] - 0.7), <, 5 * sqrt (0.21 / shape[0]));
  g_assert_cmpint (same, <, shape[0] * 0.65);
}

/* A chain of elementwise ops: memory reuse keeps the arena to a few tensors,
 * and ops whose input dies run in place. */
static void
test_planner_reuse (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlGraph) g = eigml_graph_new (cpu ());
  gint64 shape[2] = { 256, 1024 };
  EigmlNode *x = eigml_graph_input (g, "x", EIGML_DTYPE_F32, 2, shape);
  EigmlNode *h = x, *prev;
  gsize tensor = 256 * 1024 * sizeof (float);
  g_autofree float *data = g_new (float, 256 * 1024);
  g_autofree float *out = NULL;

  for (int i = 0; i < 20; i++)
    h = eigml_op_scale (g, h, 1.0f, 1.0f);
  prev = h;
  h = eigml_op_tanh (g, h);
  eigml_graph_mark_output (g, h);
  g_assert_true (eigml_graph_prepare (g, &error));
  g_assert_no_error (error);
  g_test_message ("arena %zu bytes, %zu without reuse", g->arena_size, g->arena_peak_naive);
  g_assert_cmpuint (g->arena_peak_naive, >=, 21 * tensor);
  g_assert_cmpuint (g->arena_size, <=, 3 * tensor);
  /* tanh's input dies at tanh: same block */
  g_assert_cmpuint (h->offset, ==, prev->offset);

  for (int i = 0; i < 256 * 1024; i++)
    data[i] = (float) (i % 7) * 0.1f - 0.3f;
  g_assert_true (eigml_graph_poison (g, &error));
  g_assert_true (eigml_graph_set_input_floats (g, x, data, 256 * 1024, &error));
  g_assert_true (eigml_graph_compute (g, &error));
  out = eigml_graph_dup_floats (g, h, &error);
  g_assert_no_error (error);
  for (int i = 0; i < 256 * 1024; i += 997)
    g_assert_cmpfloat_with_epsilon (out[i], tanhf (data[i] + 20.0f), 1e-6);
}

/* A tensor used several times gets the sum of its gradients. */
static void
test_grad_accumulation (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlGraph) g = eigml_graph_new (cpu ());
  gint64 shape[1] = { 5 };
  EigmlNode *x = eigml_graph_input (g, "x", EIGML_DTYPE_F32, 1, shape);
  EigmlNode *loss, *gx;
  float data[5] = { -2.0f, -0.5f, 0.0f, 1.0f, 3.0f };
  float grad[5];

  eigml_node_set_requires_grad (x, TRUE);
  /* L = sum(x*x + 3x - x) -> dL/dx = 2x + 2 */
  loss = eigml_op_sum_all (g, eigml_op_sub (g, eigml_op_add (g, eigml_op_mul (g, x, x),
                                                             eigml_op_scale (g, x, 3.0f, 0.0f)),
                                            x));
  g_assert_true (eigml_graph_backward (g, loss, &error));
  gx = eigml_graph_get_grad (g, x);
  g_assert_true (eigml_graph_set_input_floats (g, x, data, 5, &error));
  g_assert_true (eigml_graph_compute (g, &error));
  g_assert_true (eigml_graph_read (g, gx, grad, sizeof grad, &error));
  g_assert_no_error (error);
  for (int i = 0; i < 5; i++)
    g_assert_cmpfloat_with_epsilon (grad[i], 2.0f * data[i] + 2.0f, 1e-6);
}

/* Parameter gradients accumulate over runs until the optimizer consumes them. */
static void
test_param_grad_accumulates (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlParamStore) store = eigml_param_store_new (cpu (), 1);
  gint64 shape[1] = { 3 };
  EigmlParam *w = eigml_param_store_add (store, "w", 1, shape, EIGML_INIT_CONSTANT, 2.0f, TRUE,
                                         &error);
  g_autoptr (EigmlGraph) g = eigml_graph_new (cpu ());
  EigmlNode *x = eigml_graph_input (g, "x", EIGML_DTYPE_F32, 1, shape);
  EigmlNode *loss = eigml_op_sum_all (g, eigml_op_mul (g, eigml_graph_param (g, w), x));
  float data[3] = { 1.0f, -2.0f, 0.5f };
  float grad[3];

  g_assert_true (eigml_graph_backward (g, loss, &error));
  g_assert_true (eigml_graph_set_input_floats (g, x, data, 3, &error));
  g_assert_true (eigml_graph_compute (g, &error));
  g_assert_true (eigml_graph_compute (g, &error));
  g_assert_true (eigml_param_read (w, EIGML_LEAF_PARAM_GRAD, grad, 3, &error));
  g_assert_no_error (error);
  for (int i = 0; i < 3; i++)
    g_assert_cmpfloat (grad[i], ==, 2.0f * data[i]);
  g_assert_true (eigml_param_store_zero_grads (store, &error));
  g_assert_true (eigml_param_read (w, EIGML_LEAF_PARAM_GRAD, grad, 3, &error));
  for (int i = 0; i < 3; i++)
    g_assert_cmpfloat (grad[i], ==, 0.0f);
}

/* AdamW with clipping against a float64 transcription of torch.optim.AdamW
 * and torch.nn.utils.clip_grad_norm_. */
static void
test_adamw_reference (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlParamStore) store = eigml_param_store_new (cpu (), 3);
  gint64 sa[1] = { 4 }, sb[2] = { 2, 3 };
  EigmlParam *a = eigml_param_store_add (store, "a", 1, sa, EIGML_INIT_NORMAL, 1.0f, TRUE, &error);
  EigmlParam *b = eigml_param_store_add (store, "b", 2, sb, EIGML_INIT_NORMAL, 1.0f, FALSE, &error);
  g_autoptr (EigmlGraph) g = eigml_graph_new (cpu ());
  EigmlNode *loss;
  EigmlAdamWConfig cfg;
  double pa[4], pb[6], ma[4] = { 0 }, mb[6] = { 0 }, va[4] = { 0 }, vb[6] = { 0 };
  float fa[4], fb[6];

  /* L = sum(a^3) / 3 + sum(b^2) -> da = a^2, db = 2 b */
  loss = eigml_op_add (g, eigml_op_scale (g, eigml_op_sum_all (g, eigml_op_mul (g, eigml_op_mul (
                                                                  g, eigml_graph_param (g, a),
                                                                  eigml_graph_param (g, a)),
                                                                eigml_graph_param (g, a))),
                                          1.0f / 3.0f, 0.0f),
                       eigml_op_sum_all (g, eigml_op_unary (g, EIGML_UNARY_SQUARE,
                                                            eigml_graph_param (g, b))));
  g_assert_true (eigml_graph_backward (g, loss, &error));
  /* the global norm in several windows of the flat gradient buffer */
  g_setenv ("EIGML_GRAD_NORM_WINDOW", "64", TRUE);
  g_assert_true (eigml_graph_add_adamw (g, store, &error));
  g_unsetenv ("EIGML_GRAD_NORM_WINDOW");
  g_assert_no_error (error);
  {
    guint windows = 0;
    for (guint i = 0; i < g->nodes->len; i++)
      windows += ((EigmlNode *) g_ptr_array_index (g->nodes, i))->leaf == EIGML_LEAF_GRAD_ALL;
    g_assert_cmpuint (windows, ==, 2);
  }
  eigml_adamw_config_init_default (&cfg);
  cfg.lr = 0.1f;
  cfg.weight_decay = 0.05f;
  cfg.max_grad_norm = 1.5f;

  g_assert_true (eigml_param_read (a, EIGML_LEAF_PARAM, fa, 4, &error));
  g_assert_true (eigml_param_read (b, EIGML_LEAF_PARAM, fb, 6, &error));
  for (int i = 0; i < 4; i++)
    pa[i] = fa[i];
  for (int i = 0; i < 6; i++)
    pb[i] = fb[i];

  for (int step = 1; step <= 4; step++)
    {
      double ga[4], gb[6], norm = 0.0, clip;
      double lr = cfg.lr, b1 = cfg.beta1, b2 = cfg.beta2;
      double bc1 = 1.0 - pow (b1, step), bc2 = 1.0 - pow (b2, step);

      g_assert_true (eigml_graph_set_adamw_step (g, &cfg, cfg.lr, (guint64) step, &error));
      g_assert_true (eigml_graph_compute (g, &error));
      g_assert_no_error (error);

      for (int i = 0; i < 4; i++)
        {
          ga[i] = pa[i] * pa[i];
          norm += ga[i] * ga[i];
        }
      for (int i = 0; i < 6; i++)
        {
          gb[i] = 2.0 * pb[i];
          norm += gb[i] * gb[i];
        }
      norm = sqrt (norm);
      clip = MIN (1.0, cfg.max_grad_norm / (norm + 1e-6));
      for (int i = 0; i < 10; i++)
        {
          gboolean is_a = i < 4;
          double *p = is_a ? &pa[i] : &pb[i - 4], *m = is_a ? &ma[i] : &mb[i - 4];
          double *v = is_a ? &va[i] : &vb[i - 4], gr = (is_a ? ga[i] : gb[i - 4]) * clip;
          double wd = is_a ? cfg.weight_decay : 0.0;
          *p *= 1.0 - lr * wd;
          *m = b1 * *m + (1.0 - b1) * gr;
          *v = b2 * *v + (1.0 - b2) * gr * gr;
          *p -= (lr / bc1) * *m / (sqrt (*v) / sqrt (bc2) + cfg.eps);
        }
      g_assert_true (eigml_param_read (a, EIGML_LEAF_PARAM, fa, 4, &error));
      g_assert_true (eigml_param_read (b, EIGML_LEAF_PARAM, fb, 6, &error));
      for (int i = 0; i < 4; i++)
        g_assert_cmpfloat (fabs (fa[i] - pa[i]), <=, 1e-5 * MAX (1.0, fabs (pa[i])));
      for (int i = 0; i < 6; i++)
        g_assert_cmpfloat (fabs (fb[i] - pb[i]), <=, 1e-5 * MAX (1.0, fabs (pb[i])));
      /* the gradient was consumed */
      g_assert_true (eigml_param_read (a, EIGML_LEAF_PARAM_GRAD, fa, 4, &error));
      for (int i = 0; i < 4; i++)
        g_assert_cmpfloat (fa[i], ==, 0.0f);
    }
}

static void
test_param_store (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlParamStore) s1 = eigml_param_store_new (cpu (), 42);
  g_autoptr (EigmlParamStore) s2 = eigml_param_store_new (cpu (), 42);
  gint64 shape[2] = { 100, 50 };
  EigmlParam *p1 = eigml_param_store_add (s1, "w", 2, shape, EIGML_INIT_NORMAL, 0.02f, TRUE, &error);
  EigmlParam *p2 = eigml_param_store_add (s2, "w", 2, shape, EIGML_INIT_NORMAL, 0.02f, TRUE, &error);
  g_autofree float *a = NULL, *b = NULL;
  double sum = 0.0, sumsq = 0.0, max = 0.0;

  g_assert_no_error (error);
  g_assert_null (eigml_param_store_add (s1, "w", 2, shape, EIGML_INIT_ZEROS, 0, TRUE, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  a = eigml_param_dup (p1, EIGML_LEAF_PARAM, &error);
  b = eigml_param_dup (p2, EIGML_LEAF_PARAM, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (a, 5000 * sizeof (float), b, 5000 * sizeof (float));
  for (int i = 0; i < 5000; i++)
    {
      sum += a[i];
      sumsq += a[i] * a[i];
      max = MAX (max, fabs (a[i]));
    }
  g_assert_cmpfloat (fabs (sum / 5000), <, 0.002);
  /* truncated at 2 std: std is 0.02 * 0.88 */
  g_assert_cmpfloat (fabs (sqrt (sumsq / 5000) - 0.0176), <, 0.001);
  g_assert_cmpfloat (max, <=, 0.04 + 1e-6);
  /* frozen after allocation */
  g_assert_null (eigml_param_store_add (s1, "late", 1, shape, EIGML_INIT_ZEROS, 0, TRUE, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (eigml_param_write (p1, EIGML_LEAF_PARAM, a, 7, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE);
}

static EigmlGraph *
build_for_key (const char *key,
               gpointer user_data,
               GError **error)
{
  EigmlGraph *g = eigml_graph_new (cpu ());
  gint64 shape[1] = { g_ascii_strtoll (key, NULL, 10) };
  EigmlNode *x = eigml_graph_input (g, "x", EIGML_DTYPE_F32, 1, shape);

  (*(int *) user_data)++;
  eigml_graph_mark_output (g, eigml_op_scale (g, x, 2.0f, 0.0f));
  return g;
}

static void
test_graph_cache (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlGraphCache) cache = eigml_graph_cache_new (2);
  int builds = 0;
  EigmlGraph *a, *b;
  guint64 hits, misses;

  g_assert_cmpint (eigml_bucket_length (1, 16, 512), ==, 16);
  g_assert_cmpint (eigml_bucket_length (17, 16, 512), ==, 32);
  g_assert_cmpint (eigml_bucket_length (600, 16, 512), ==, 512);

  a = eigml_graph_cache_get (cache, "16", build_for_key, &builds, &error);
  b = eigml_graph_cache_get (cache, "16", build_for_key, &builds, &error);
  g_assert_no_error (error);
  g_assert_true (a == b);
  g_assert_true (a->prepared);
  g_assert_cmpint (builds, ==, 1);
  eigml_graph_cache_get (cache, "32", build_for_key, &builds, &error);
  eigml_graph_cache_get (cache, "16", build_for_key, &builds, &error); /* 16 most recent */
  eigml_graph_cache_get (cache, "48", build_for_key, &builds, &error); /* evicts 32 */
  g_assert_cmpuint (eigml_graph_cache_get_size (cache), ==, 2);
  eigml_graph_cache_get (cache, "16", build_for_key, &builds, &error);
  g_assert_cmpint (builds, ==, 3);
  eigml_graph_cache_get (cache, "32", build_for_key, &builds, &error);
  g_assert_cmpint (builds, ==, 4);
  eigml_graph_cache_get_stats (cache, &hits, &misses);
  g_assert_cmpuint (hits, ==, 3);
  g_assert_cmpuint (misses, ==, 4);
}

/* ---- errors -------------------------------------------------------------- */

static void
assert_graph_error (EigmlGraph *g,
                    EigmlError code,
                    const char *fragment)
{
  g_autoptr (GError) error = NULL;

  g_assert_false (eigml_graph_prepare (g, &error));
  g_assert_error (error, EIGML_ERROR, (gint) code);
  g_test_message ("error: %s", error->message);
  if (fragment != NULL && strstr (error->message, fragment) == NULL)
    g_error ("error message '%s' does not mention '%s'", error->message, fragment);
}

static void
test_error_shapes (void)
{
  gint64 s23[2] = { 2, 3 }, s24[2] = { 2, 4 }, s5[1] = { 5 };

  {
    g_autoptr (EigmlGraph) g = eigml_graph_new (cpu ());
    EigmlNode *a = eigml_graph_input (g, "a", EIGML_DTYPE_F32, 2, s23);
    EigmlNode *b = eigml_graph_input (g, "b", EIGML_DTYPE_F32, 2, s24);
    /* the failure is sticky: later builders return NULL, prepare reports the first */
    EigmlNode *y = eigml_op_matmul (g, a, b, FALSE, FALSE);
    g_assert_null (y);
    g_assert_null (eigml_op_gelu (g, y));
    assert_graph_error (g, EIGML_ERROR_SHAPE, "'a' (input f32[2, 3])");
  }
  {
    g_autoptr (EigmlGraph) g = eigml_graph_new (cpu ());
    EigmlNode *a = eigml_graph_input (g, "a", EIGML_DTYPE_F32, 2, s23);
    EigmlNode *b = eigml_graph_input (g, "b", EIGML_DTYPE_F32, 1, s5);
    eigml_op_add (g, a, b);
    assert_graph_error (g, EIGML_ERROR_SHAPE, "do not broadcast");
  }
  {
    g_autoptr (EigmlGraph) g = eigml_graph_new (cpu ());
    EigmlNode *a = eigml_graph_input (g, "a", EIGML_DTYPE_F32, 2, s23);
    eigml_op_bias_add (g, a, eigml_graph_input (g, "bias", EIGML_DTYPE_F32, 1, s5));
    assert_graph_error (g, EIGML_ERROR_SHAPE, "bias");
  }
  {
    g_autoptr (EigmlGraph) g = eigml_graph_new (cpu ());
    EigmlNode *a = eigml_graph_input (g, "a", EIGML_DTYPE_F32, 2, s23);
    eigml_op_reshape (g, a, 1, s5);
    assert_graph_error (g, EIGML_ERROR_SHAPE, "6 elements");
  }
  {
    g_autoptr (EigmlGraph) g = eigml_graph_new (cpu ());
    EigmlNode *a = eigml_graph_input (g, "a", EIGML_DTYPE_F32, 2, s23);
    eigml_op_slice (g, a, 1, 2, 2);
    assert_graph_error (g, EIGML_ERROR_SHAPE, "outside axis 1");
  }
  {
    g_autoptr (EigmlGraph) g = eigml_graph_new (cpu ());
    gint64 bad[2] = { 2, 0 };
    g_assert_null (eigml_graph_input (g, "zero", EIGML_DTYPE_F32, 2, bad));
    assert_graph_error (g, EIGML_ERROR_SHAPE, "positive");
  }
}

static void
test_error_dtypes (void)
{
  gint64 s23[2] = { 2, 3 }, s2[1] = { 2 };

  {
    g_autoptr (EigmlGraph) g = eigml_graph_new (cpu ());
    EigmlNode *t = eigml_graph_input (g, "table", EIGML_DTYPE_F32, 2, s23);
    EigmlNode *ids = eigml_graph_input (g, "ids", EIGML_DTYPE_F32, 1, s2);
    eigml_op_embedding (g, t, ids);
    assert_graph_error (g, EIGML_ERROR_DTYPE, "must be i32");
  }
  {
    g_autoptr (EigmlGraph) g = eigml_graph_new (cpu ());
    EigmlNode *a = eigml_graph_input (g, "a", EIGML_DTYPE_I32, 2, s23);
    eigml_op_tanh (g, a);
    assert_graph_error (g, EIGML_ERROR_DTYPE, "must be f32");
  }
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (EigmlGraph) g = eigml_graph_new (cpu ());
    EigmlNode *a = eigml_graph_input (g, "a", EIGML_DTYPE_F32, 1, s2);
    gint32 ints[2] = { 1, 2 };
    eigml_graph_mark_output (g, eigml_op_tanh (g, a));
    g_assert_false (eigml_graph_set_input_ints (g, a, ints, 2, &error));
    g_assert_error (error, EIGML_ERROR, EIGML_ERROR_DTYPE);
  }
}

static void
test_error_inputs (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlGraph) g = eigml_graph_new (cpu ());
  gint64 table_shape[2] = { 10, 4 }, ids_shape[1] = { 3 };
  EigmlNode *table = eigml_graph_input (g, "table", EIGML_DTYPE_F32, 2, table_shape);
  EigmlNode *ids = eigml_graph_input (g, "ids", EIGML_DTYPE_I32, 1, ids_shape);
  EigmlNode *y = eigml_op_embedding (g, table, ids);
  EigmlNode *hidden = eigml_op_scale (g, y, 2.0f, 0.0f);
  EigmlNode *out = eigml_op_tanh (g, hidden);
  float tdata[40] = { 0 };
  gint32 bad_ids[3] = { 0, 10, 2 }, neg_ids[3] = { 0, -1, 2 }, good_ids[3] = { 9, 0, 3 };

  eigml_graph_mark_output (g, out);
  eigml_graph_set_check_finite (g, TRUE);

  /* compute before every input is set */
  g_assert_false (eigml_graph_compute (g, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "never set"));
  g_clear_error (&error);

  g_assert_false (eigml_graph_set_input_ints (g, ids, bad_ids, 3, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_OUT_OF_RANGE);
  g_assert_nonnull (strstr (error->message, "value 10 at index 1"));
  g_clear_error (&error);
  g_assert_false (eigml_graph_set_input_ints (g, ids, neg_ids, 3, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_OUT_OF_RANGE);
  g_clear_error (&error);
  g_assert_false (eigml_graph_set_input_ints (g, ids, good_ids, 2, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE);
  g_clear_error (&error);
  g_assert_true (eigml_graph_set_input_ints (g, ids, good_ids, 3, &error));

  tdata[17] = NAN;
  g_assert_false (eigml_graph_set_input_floats (g, table, tdata, 40, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_NON_FINITE);
  g_assert_nonnull (strstr (error->message, "element 17 is NaN"));
  g_clear_error (&error);
  tdata[17] = INFINITY;
  g_assert_false (eigml_graph_set_input_floats (g, table, tdata, 40, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_NON_FINITE);
  g_clear_error (&error);
  tdata[17] = 1.0f;
  g_assert_true (eigml_graph_set_input_floats (g, table, tdata, 40, &error));
  g_assert_true (eigml_graph_compute (g, &error));
  g_assert_no_error (error);
  g_assert_true (eigml_graph_check_finite (g, out, &error));

  /* an intermediate that is not an output may have been overwritten */
  {
    float buf[12];
    g_assert_false (eigml_graph_read (g, hidden, buf, sizeof buf, &error));
    g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
    g_assert_false (eigml_graph_read (g, out, buf, 8, &error));
    g_assert_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE);
    g_clear_error (&error);
  }
  /* a node of another graph is not an input here */
  {
    g_autoptr (EigmlGraph) other = eigml_graph_new (cpu ());
    EigmlNode *foreign = eigml_graph_input (other, "ids", EIGML_DTYPE_I32, 1, ids_shape);
    g_assert_false (eigml_graph_set_input_ints (g, foreign, good_ids, 3, &error));
    g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
  }
  /* no nodes after prepare */
  g_assert_null (eigml_op_tanh (g, out));
  g_assert_true (eigml_graph_failed (g));
}

static void
test_error_backward (void)
{
  g_autoptr (GError) error = NULL;
  gint64 s3[1] = { 3 };

  {
    g_autoptr (EigmlGraph) g = eigml_graph_new (cpu ());
    EigmlNode *x = eigml_graph_input (g, "x", EIGML_DTYPE_F32, 1, s3);
    eigml_node_set_requires_grad (x, TRUE);
    g_assert_false (eigml_graph_backward (g, eigml_op_tanh (g, x), &error));
    g_assert_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE);
    g_assert_nonnull (strstr (error->message, "single f32 value"));
    g_clear_error (&error);
  }
  {
    g_autoptr (EigmlGraph) g = eigml_graph_new (cpu ());
    EigmlNode *x = eigml_graph_input (g, "x", EIGML_DTYPE_F32, 1, s3);
    g_assert_false (eigml_graph_backward (g, eigml_op_sum_all (g, x), &error));
    g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
  }
  {
    /* an additive mask is a constant */
    g_autoptr (EigmlGraph) g = eigml_graph_new (cpu ());
    EigmlNode *x = eigml_graph_input (g, "x", EIGML_DTYPE_F32, 1, s3);
    EigmlNode *m = eigml_graph_input (g, "m", EIGML_DTYPE_F32, 1, s3);
    eigml_node_set_requires_grad (m, TRUE);
    eigml_op_softmax (g, x, m, 1.0f);
    assert_graph_error (g, EIGML_ERROR_UNSUPPORTED, "mask");
  }
}

int
main (int argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cpu/graph/philox-kat", test_philox_kat);
  g_test_add_func ("/cpu/graph/dropout-statistics", test_dropout_statistics);
  g_test_add_func ("/cpu/graph/vecmath-accuracy", test_vecmath_accuracy);
  g_test_add_func ("/cpu/graph/planner-reuse", test_planner_reuse);
  g_test_add_func ("/cpu/graph/grad-accumulation", test_grad_accumulation);
  g_test_add_func ("/cpu/graph/param-grad-accumulates", test_param_grad_accumulates);
  g_test_add_func ("/cpu/graph/adamw-reference", test_adamw_reference);
  g_test_add_func ("/cpu/graph/param-store", test_param_store);
  g_test_add_func ("/cpu/graph/cache", test_graph_cache);
  g_test_add_func ("/cpu/graph/error/shapes", test_error_shapes);
  g_test_add_func ("/cpu/graph/error/dtypes", test_error_dtypes);
  g_test_add_func ("/cpu/graph/error/inputs", test_error_inputs);
  g_test_add_func ("/cpu/graph/error/backward", test_error_backward);
  {
    int status = g_test_run ();
    harness_cleanup ();
    return status;
  }
}
