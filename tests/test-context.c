/* test-context.c: EigmlContext and EigmlTensor through the public API, and
 * the cross-backend promise that dropout masks are bit-identical
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "op-harness.h"
#include "eigml-enum-types.h"

#include <math.h>
#include <string.h>

static void
test_cpu_properties (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlContext) ctx = eigml_context_new (EIGML_BACKEND_CPU, NULL, &error);
  EigmlBackendKind kind;
  g_autofree char *name = NULL;
  gboolean software;

  g_assert_no_error (error);
  g_object_get (ctx, "backend", &kind, "device-name", &name, "is-software", &software, NULL);
  g_assert_cmpint (kind, ==, EIGML_BACKEND_CPU);
  g_assert_nonnull (strstr (name, "OpenBLAS"));
  g_assert_false (software);
}

static void
test_env_backend (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (EigmlContext) ctx = NULL;

      g_setenv ("EIGML_BACKEND", "cpu", TRUE);
      ctx = eigml_context_new (EIGML_BACKEND_VULKAN, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpint (eigml_context_get_backend (ctx), ==, EIGML_BACKEND_CPU);
      g_clear_object (&ctx);

      g_setenv ("EIGML_BACKEND", "quantum", TRUE);
      ctx = eigml_context_new (EIGML_BACKEND_CPU, NULL, &error);
      g_assert_null (ctx);
      g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
      g_assert_nonnull (strstr (error->message, "quantum"));
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

static void
test_tensor_api (void)
{
  g_autoptr (GError) error = NULL;
  gint64 shape[2] = { 2, 3 };
  float data[6] = { 1.0f, -2.5f, 0.1f, 65504.0f, 1e-8f, -0.0f };
  g_autoptr (EigmlTensor) h = eigml_tensor_new (EIGML_DTYPE_F16, shape, 2, &error);
  g_autoptr (EigmlTensor) f = NULL;
  g_autofree float *back = NULL;
  gsize n;
  gint64 bad[2] = { 2, -1 };

  g_assert_no_error (error);
  g_assert_cmpuint (eigml_tensor_get_n_bytes (h), ==, 12);
  g_assert_true (eigml_tensor_set_floats (h, data, 6, &error));
  back = eigml_tensor_dup_floats (h, &n, &error);
  g_assert_cmpuint (n, ==, 6);
  g_assert_cmpfloat (back[0], ==, 1.0f);
  g_assert_cmpfloat (back[1], ==, -2.5f);
  g_assert_cmpfloat (fabsf (back[2] - 0.1f), <, 1e-4f);
  g_assert_cmpfloat (back[3], ==, 65504.0f);
  g_assert_cmpfloat (back[4], ==, 0.0f);   /* below the smallest subnormal half */
  g_assert_true (signbit (back[5]));

  g_assert_null (eigml_tensor_new (EIGML_DTYPE_F32, bad, 2, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE);
  g_clear_error (&error);
  f = eigml_tensor_new_from_floats (shape, 2, data, 6, &error);
  g_assert_no_error (error);
  g_assert_false (eigml_tensor_reshape (f, shape, 1, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE);
  g_clear_error (&error);
  {
    g_autoptr (GBytes) b = g_bytes_new ("abc", 3);
    g_assert_false (eigml_tensor_set_bytes (f, b, &error));
    g_assert_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE);
    g_assert_nonnull (strstr (error->message, "24 bytes expected"));
  }
}

/* With no Vulkan driver at all: vulkan is NO_DEVICE, auto falls back to CPU. */
static void
test_vulkan_no_device (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (EigmlContext) ctx = NULL;

      /* a fresh process: the Vulkan loader has not read its environment yet */
      g_setenv ("VK_ICD_FILENAMES", "/nonexistent/icd.json", TRUE);
      g_setenv ("VK_DRIVER_FILES", "/nonexistent/icd.json", TRUE);
      ctx = eigml_context_new (EIGML_BACKEND_VULKAN, NULL, &error);
      g_assert_null (ctx);
      g_assert_error (error, EIGML_ERROR, EIGML_ERROR_NO_DEVICE);
      g_printerr ("message: %s\n", error->message);
      g_clear_error (&error);
      ctx = eigml_context_new (EIGML_BACKEND_AUTO, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpint (eigml_context_get_backend (ctx), ==, EIGML_BACKEND_CPU);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*message: *Vulkan*");
}

static void
test_vulkan_properties (void)
{
  EigmlContext *vk = harness_context (EIGML_BACKEND_VULKAN);
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlContext) autoctx = NULL;

  if (vk == NULL)
    {
      g_test_skip ("no Vulkan device (EIGML_TEST_ALLOW_NO_VULKAN is set)");
      return;
    }
  g_assert_cmpint (eigml_context_get_backend (vk), ==, EIGML_BACKEND_VULKAN);
  g_assert_nonnull (eigml_context_get_device_name (vk));
  /* auto never takes a software device: on lavapipe it chooses the CPU */
  autoctx = eigml_context_new (EIGML_BACKEND_AUTO, NULL, &error);
  g_assert_no_error (error);
  if (eigml_context_get_is_software (vk))
    g_assert_cmpint (eigml_context_get_backend (autoctx), ==, EIGML_BACKEND_CPU);
}

static float *
dropout_output (EigmlContext *ctx,
                gint64 n,
                float p,
                guint64 seed,
                guint64 offset)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlGraph) g = eigml_graph_new (ctx);
  EigmlNode *x = eigml_graph_input (g, "x", EIGML_DTYPE_F32, 1, &n);
  EigmlNode *a = eigml_op_dropout (g, x, p);
  EigmlNode *b = eigml_op_dropout (g, x, p); /* a second stream */
  EigmlNode *y = eigml_op_concat (g, (EigmlNode *[]) { a, b }, 2, 0);
  g_autofree float *ones = g_new (float, n);
  float *out;

  for (gint64 i = 0; i < n; i++)
    ones[i] = 1.0f + (float) (i % 13) * 0.25f;
  eigml_graph_mark_output (g, y);
  g_assert_true (eigml_graph_poison (g, &error));
  g_assert_true (eigml_graph_set_input_floats (g, x, ones, n, &error));
  g_assert_true (eigml_graph_set_rng (g, seed, offset, &error));
  g_assert_true (eigml_graph_compute (g, &error));
  out = eigml_graph_dup_floats (g, y, &error);
  g_assert_no_error (error);
  return out;
}

static void
test_dropout_bit_identical (void)
{
  EigmlContext *vk = harness_context (EIGML_BACKEND_VULKAN);
  const gint64 n = 100003;

  if (vk == NULL)
    {
      g_test_skip ("no Vulkan device (EIGML_TEST_ALLOW_NO_VULKAN is set)");
      return;
    }
  for (guint t = 0; t < 3; t++)
    {
      float p = 0.1f + 0.35f * t;
      guint64 seed = 0x123456789abcdefull * (t + 1), offset = 1000000007ull * t;
      g_autofree float *c = dropout_output (harness_context (EIGML_BACKEND_CPU), n, p, seed, offset);
      g_autofree float *v = dropout_output (vk, n, p, seed, offset);
      gint64 kept = 0;

      g_assert_cmpmem (c, 2 * n * sizeof (float), v, 2 * n * sizeof (float));
      for (gint64 i = 0; i < 2 * n; i++)
        kept += c[i] != 0.0f;
      g_test_message ("p = %.2f: kept %.4f", p, (double) kept / (2 * n));
      g_assert_cmpfloat (fabs ((double) kept / (2 * n) - (1.0 - p)), <, 0.01);
    }
}

int
main (int argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cpu/context/properties", test_cpu_properties);
  g_test_add_func ("/cpu/context/env-backend", test_env_backend);
  g_test_add_func ("/cpu/context/tensor-api", test_tensor_api);
  g_test_add_func ("/vulkan/context/no-device", test_vulkan_no_device);
  g_test_add_func ("/vulkan/context/properties", test_vulkan_properties);
  g_test_add_func ("/vulkan/context/dropout-bit-identical", test_dropout_bit_identical);
  {
    int status = g_test_run ();
    harness_cleanup ();
    return status;
  }
}
