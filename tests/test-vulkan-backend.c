/* test-vulkan-backend.c: the Vulkan backend itself (device choice, memory,
 * staging, pipeline cache, barriers, descriptors, timeouts)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The per-op numerical comparison with the CPU backend is test-ops.c; this
 * file tests the machinery around the kernels. It runs on whatever Vulkan
 * device the machine has (lavapipe in CI); the backend reads its
 * environment variables when it is created, so a test sets them, creates a
 * backend and unsets them again. Tests that need a pristine Vulkan loader
 * (no driver at all) or that leave the device unusable (timeout) run in a
 * subprocess.
 */
#include "config.h"

#include "op-cases.h"
#include "backends/vulkan/vulkan-backend.h"
#include "engine/graph.h"
#include "eigml-context-private.h"
#include "eigml-error.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------- */

/* Sets NULL-terminated name/value pairs, creates a Vulkan context, restores
 * the previous values. */
static EigmlContext *
vulkan_context_with_env (const char *const *env,
                         GError **error)
{
  GPtrArray *saved = g_ptr_array_new_with_free_func (g_free);
  EigmlContext *context;

  for (guint i = 0; env != NULL && env[i] != NULL; i += 2)
    {
      g_ptr_array_add (saved, g_strdup (env[i]));
      g_ptr_array_add (saved, g_strdup (g_getenv (env[i])));
      g_setenv (env[i], env[i + 1], TRUE);
    }
  context = eigml_context_new (EIGML_BACKEND_VULKAN, NULL, error);
  for (guint i = 0; i < saved->len; i += 2)
    {
      const char *value = g_ptr_array_index (saved, i + 1);
      if (value != NULL)
        g_setenv (g_ptr_array_index (saved, i), value, TRUE);
      else
        g_unsetenv (g_ptr_array_index (saved, i));
    }
  g_ptr_array_unref (saved);
  return context;
}

static EigmlContext *
vulkan_context (const char *const *env)
{
  g_autoptr (GError) error = NULL;
  EigmlContext *context = vulkan_context_with_env (env, &error);

  g_assert_no_error (error);
  g_assert_nonnull (context);
  return context;
}

static EigmlVulkanInfo
backend_info (EigmlContext *context)
{
  EigmlVulkanInfo info;

  g_assert_true (eigml_vulkan_backend_get_info (eigml_context_get_backend_impl (context), &info));
  return info;
}

static float *
random_floats (GRand *rand,
               gsize n,
               double lo,
               double hi)
{
  float *x = g_new (float, MAX (n, 1));

  for (gsize i = 0; i < n; i++)
    x[i] = (float) g_rand_double_range (rand, lo, hi);
  return x;
}

static gboolean
device_is_software_by_name (const char *name)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);

  return strstr (lower, "llvmpipe") != NULL || strstr (lower, "lavapipe") != NULL ||
         strstr (lower, "swiftshader") != NULL;
}

/* ---- device -------------------------------------------------------------- */

static void
test_context (void)
{
  g_autoptr (EigmlContext) context = vulkan_context (NULL);
  const char *name = eigml_context_get_device_name (context);
  EigmlVulkanInfo info = backend_info (context);
  EigmlBackend *backend = eigml_context_get_backend_impl (context);

  g_assert_cmpint (eigml_context_get_backend (context), ==, EIGML_BACKEND_VULKAN);
  g_assert_nonnull (name);
  g_assert_cmpstr (name, !=, "");
  if (device_is_software_by_name (name))
    g_assert_true (eigml_context_get_is_software (context));
  g_test_message ("device %s (vendor 0x%04x), software %d, push descriptors %d, staging %d, "
                  "fp16 storage %d, subgroup arithmetic %d (size %u), coopmat %d", name,
                  info.vendor_id, eigml_context_get_is_software (context),
                  info.uses_push_descriptors, info.uses_staging, info.features.fp16_storage,
                  info.features.subgroup_arithmetic, info.features.subgroup_size,
                  info.features.cooperative_matrix);
  /* alignment: a power of two, at least 64 */
  g_assert_cmpuint (backend->alignment, >=, 64);
  g_assert_cmpuint (backend->alignment & (backend->alignment - 1), ==, 0);
  g_assert_cmpuint (backend->max_tensor_bytes, >, 0);
  g_assert_cmpuint (backend->max_tensor_bytes % 4, ==, 0);
}

static void
test_no_driver (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (EigmlContext) context = NULL;
      EigmlBackend *backend;
      char **devices;

      /* the loader reads these once, at the first instance: a fresh process */
      g_setenv ("VK_ICD_FILENAMES", "/nonexistent/eigml-test-icd.json", TRUE);
      g_setenv ("VK_DRIVER_FILES", "/nonexistent/eigml-test-icd.json", TRUE);
      /* validation stays on: the loader's complaints must not be warnings */

      backend = eigml_vulkan_backend_new (TRUE, NULL, &error);
      g_assert_null (backend);
      g_assert_error (error, EIGML_ERROR, EIGML_ERROR_NO_DEVICE);
      g_assert_nonnull (strstr (error->message, "no Vulkan device"));
      g_printerr ("no driver: %s\n", error->message);
      g_clear_error (&error);

      context = eigml_context_new (EIGML_BACKEND_VULKAN, NULL, &error);
      g_assert_null (context);
      g_assert_error (error, EIGML_ERROR, EIGML_ERROR_NO_DEVICE);
      g_clear_error (&error);

      /* auto falls back to the CPU backend */
      context = eigml_context_new (EIGML_BACKEND_AUTO, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpint (eigml_context_get_backend (context), ==, EIGML_BACKEND_CPU);

      devices = eigml_vulkan_list_devices (&error);
      g_assert_true (devices == NULL || devices[0] == NULL);
      g_strfreev (devices);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*no driver: no Vulkan device*");
}

static void
test_select (void)
{
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) devices = eigml_vulkan_list_devices (&error);
  g_autofree char *name0 = NULL;
  g_autofree char *upper = NULL;
  EigmlBackend *backend;
  gboolean all_software = TRUE;
  const char *open_paren;

  g_assert_no_error (error);
  g_assert_nonnull (devices);
  g_assert_nonnull (devices[0]);
  for (guint i = 0; devices[i] != NULL; i++)
    {
      g_autofree char *prefix = g_strdup_printf ("%u: ", i);
      g_test_message ("%s", devices[i]);
      g_assert_true (g_str_has_prefix (devices[i], prefix));
      g_assert_nonnull (strstr (devices[i], ", Vulkan "));
      if (strstr (devices[i], "(software, ") == NULL)
        all_software = FALSE;
    }

  /* by index */
  backend = eigml_vulkan_backend_new (TRUE, "0", &error);
  g_assert_no_error (error);
  g_assert_nonnull (backend);
  /* "0: NAME (type, Vulkan x.y.z)": the name is what the backend reports */
  open_paren = strrchr (devices[0], '(');
  name0 = g_strndup (devices[0] + 3, open_paren - devices[0] - 4);
  g_assert_cmpstr (backend->device_name, ==, name0);
  eigml_backend_free (backend);

  /* by a case-insensitive part of the name */
  upper = g_ascii_strup (name0, MIN (strlen (name0), 5));
  backend = eigml_vulkan_backend_new (TRUE, upper, &error);
  g_assert_no_error (error);
  g_assert_nonnull (backend);
  g_assert_true (g_ascii_strncasecmp (backend->device_name, upper, strlen (upper)) == 0 ||
                 strstr (backend->device_name, name0) != NULL);
  eigml_backend_free (backend);

  /* a selector that matches nothing lists what there is */
  backend = eigml_vulkan_backend_new (TRUE, "no-such-device-xyz", &error);
  g_assert_null (backend);
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_NO_DEVICE);
  g_assert_nonnull (strstr (error->message, "no-such-device-xyz"));
  g_assert_nonnull (strstr (error->message, name0));
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  backend = eigml_vulkan_backend_new (TRUE, "99", &error);
  g_assert_null (backend);
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_NO_DEVICE);
  g_clear_error (&error);

  /* through the context and EIGML_VULKAN_DEVICE */
  {
    const char *env[] = { "EIGML_VULKAN_DEVICE", "no-such-device-xyz", NULL };
    g_autoptr (EigmlContext) context = vulkan_context_with_env (env, &error);
    g_assert_null (context);
    g_assert_error (error, EIGML_ERROR, EIGML_ERROR_NO_DEVICE);
    g_clear_error (&error);
  }

  /* software devices only when asked for */
  backend = eigml_vulkan_backend_new (FALSE, NULL, &error);
  if (all_software)
    {
      g_assert_null (backend);
      g_assert_error (error, EIGML_ERROR, EIGML_ERROR_NO_DEVICE);
      g_assert_nonnull (strstr (error->message, "software"));
      g_assert_nonnull (strstr (error->message, name0));
      g_test_message ("%s", error->message);
      g_clear_error (&error);
    }
  else
    {
      g_assert_no_error (error);
      g_assert_false (backend->is_software);
      eigml_backend_free (backend);
    }
}

/* ---- buffers ------------------------------------------------------------- */

static void
check_round_trip (EigmlBackend *backend,
                  GRand *rand,
                  gsize size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlBuffer) buffer = eigml_buffer_new (backend, size, &error);
  g_autofree guint8 *data = g_malloc (size);
  g_autofree guint8 *back = g_malloc0 (size);
  gsize part = MIN (size / 2, 1000) & ~(gsize) 3;

  g_assert_no_error (error);
  g_assert_nonnull (buffer);
  g_assert_cmpuint (buffer->size, ==, size);
  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) g_rand_int (rand);

  g_assert_true (eigml_buffer_write (buffer, 0, data, size, &error));
  g_assert_no_error (error);
  g_assert_true (eigml_buffer_read (buffer, 0, back, size, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (back, size, data, size);

  /* an inner range, at an unaligned offset */
  if (part > 8)
    {
      memset (back, 0, size);
      g_assert_true (eigml_buffer_write (buffer, 3, data + 100, part, &error));
      g_assert_true (eigml_buffer_read (buffer, 3, back, part, &error));
      g_assert_no_error (error);
      g_assert_cmpmem (back, part, data + 100, part);
    }

  /* fill, then read the filled words and their neighbours */
  g_assert_true (eigml_buffer_fill (buffer, 4, size / 2 & ~(gsize) 3, 0x7fc00000u, &error));
  g_assert_no_error (error);
  g_assert_true (eigml_buffer_read (buffer, 0, back, size, &error));
  for (gsize i = 4; i + 4 <= 4 + (size / 2 & ~(gsize) 3); i += 4)
    {
      guint32 w;
      memcpy (&w, back + i, 4);
      g_assert_cmphex (w, ==, 0x7fc00000u);
    }
  g_assert_cmpmem (back, 3, data, 3);
}

static void
run_buffer_tests (gboolean staging)
{
  const char *env[] = {
    "EIGML_VULKAN_BLOCK_SIZE", "1048576",
    "EIGML_VULKAN_FORCE_STAGING", staging ? "1" : "0",
    NULL
  };
  g_autoptr (EigmlContext) context = vulkan_context (env);
  EigmlBackend *backend = eigml_context_get_backend_impl (context);
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  EigmlVulkanInfo info = backend_info (context);
  EigmlBuffer *small[12];
  guint blocks_before;
  g_autoptr (GError) error = NULL;

  g_assert_cmpuint (info.block_size, ==, 1048576);
  if (staging)
    g_assert_true (info.uses_staging);
  blocks_before = info.n_blocks;

  check_round_trip (backend, rand, 4);
  check_round_trip (backend, rand, 1000);
  check_round_trip (backend, rand, 65536);

  /* sub-allocation: twelve 200 KB buffers take three 1 MiB blocks */
  for (guint i = 0; i < G_N_ELEMENTS (small); i++)
    {
      small[i] = eigml_buffer_new (backend, 200000, &error);
      g_assert_no_error (error);
      g_assert_true ((small[i]->host_ptr == NULL) == info.uses_staging);
      {
        guint32 v = i * 1000u + 1;
        g_assert_true (eigml_buffer_fill (small[i], 0, 200000, v, &error));
      }
    }
  info = backend_info (context);
  g_assert_cmpuint (info.n_blocks, >=, blocks_before + 2);
  g_assert_cmpuint (info.n_blocks, <=, blocks_before + 4);
  /* neighbours kept their own contents */
  for (guint i = 0; i < G_N_ELEMENTS (small); i++)
    {
      guint32 first, last;
      g_assert_true (eigml_buffer_read (small[i], 0, &first, 4, &error));
      g_assert_true (eigml_buffer_read (small[i], 200000 - 4, &last, 4, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (first, ==, i * 1000u + 1);
      g_assert_cmpuint (last, ==, i * 1000u + 1);
    }

  /* larger than a block: a dedicated block, freed with the buffer; larger
   * than the 8 MiB staging buffer: transferred in chunks */
  {
    guint n_with_small;
    info = backend_info (context);
    n_with_small = info.n_blocks;
    check_round_trip (backend, rand, 9u << 20);
    info = backend_info (context);
    g_assert_cmpuint (info.n_blocks, ==, n_with_small);
  }

  for (guint i = 0; i < G_N_ELEMENTS (small); i++)
    eigml_buffer_free (small[i]);
  info = backend_info (context);
  /* one empty block is kept for reuse */
  g_assert_cmpuint (info.n_blocks, <=, blocks_before + 1);
}

static void
test_buffers (void)
{
  run_buffer_tests (FALSE);
}

static void
test_buffers_staging (void)
{
  run_buffer_tests (TRUE);
}

/* ---- graphs -------------------------------------------------------------- */

/* y = scale(x, 2) -> y2 = scale(y, 3) chain or two independent branches */
static void
test_barriers (void)
{
  g_autoptr (EigmlContext) context = vulkan_context (NULL);
  g_autoptr (GError) error = NULL;
  gint64 shape[1] = { 1000 };
  float x[1000];
  EigmlVulkanGraphStats stats;

  for (guint i = 0; i < 1000; i++)
    x[i] = (float) i;

  /* two independent ops: no barrier */
  {
    g_autoptr (EigmlGraph) g = eigml_graph_new (context);
    EigmlNode *in = eigml_graph_input (g, "x", EIGML_DTYPE_F32, 1, shape);
    EigmlNode *a = eigml_op_scale (g, in, 2.0f, 0.0f);
    EigmlNode *b = eigml_op_scale (g, in, 3.0f, 1.0f);
    g_autofree float *ya = NULL;
    g_autofree float *yb = NULL;

    eigml_graph_mark_output (g, a);
    eigml_graph_mark_output (g, b);
    g_assert_true (eigml_graph_set_input_floats (g, in, x, 1000, &error));
    g_assert_true (eigml_graph_compute (g, &error));
    g_assert_no_error (error);
    g_assert_true (eigml_vulkan_graph_get_stats (g, &stats));
    g_assert_cmpuint (stats.n_dispatches, ==, 2);
    g_assert_cmpuint (stats.n_barriers, ==, 0);
    ya = eigml_graph_dup_floats (g, a, &error);
    yb = eigml_graph_dup_floats (g, b, &error);
    g_assert_no_error (error);
    for (guint i = 0; i < 1000; i++)
      {
        g_assert_cmpfloat (ya[i], ==, 2.0f * x[i]);
        g_assert_cmpfloat (yb[i], ==, 3.0f * x[i] + 1.0f);
      }
  }

  /* a chain of three: one barrier per dependency */
  {
    g_autoptr (EigmlGraph) g = eigml_graph_new (context);
    EigmlNode *in = eigml_graph_input (g, "x", EIGML_DTYPE_F32, 1, shape);
    EigmlNode *y = eigml_op_scale (g, eigml_op_scale (g, eigml_op_scale (g, in, 2.0f, 0.0f),
                                                      2.0f, 0.0f), 2.0f, 1.0f);
    g_autofree float *out = NULL;

    eigml_graph_mark_output (g, y);
    g_assert_true (eigml_graph_set_input_floats (g, in, x, 1000, &error));
    g_assert_true (eigml_graph_compute (g, &error));
    g_assert_no_error (error);
    g_assert_true (eigml_vulkan_graph_get_stats (g, &stats));
    g_assert_cmpuint (stats.n_dispatches, ==, 3);
    g_assert_cmpuint (stats.n_barriers, ==, 2);
    out = eigml_graph_dup_floats (g, y, &error);
    g_assert_no_error (error);
    for (guint i = 0; i < 1000; i++)
      g_assert_cmpfloat (out[i], ==, 8.0f * x[i] + 1.0f);
  }

  /* two independent chains, recorded level by level: a1 b1 | a2 b2 */
  for (guint reorder = 0; reorder < 2; reorder++)
    {
      const char *env[] = { "EIGML_VULKAN_NO_REORDER", reorder ? "0" : "1", NULL };
      g_autoptr (EigmlContext) ctx = vulkan_context (env);
      g_autoptr (EigmlGraph) g = eigml_graph_new (ctx);
      EigmlNode *xa = eigml_graph_input (g, "a", EIGML_DTYPE_F32, 1, shape);
      EigmlNode *xb = eigml_graph_input (g, "b", EIGML_DTYPE_F32, 1, shape);
      EigmlNode *a = eigml_op_scale (g, eigml_op_scale (g, xa, 2.0f, 0.0f), 2.0f, 0.0f);
      EigmlNode *b = eigml_op_scale (g, eigml_op_scale (g, xb, 3.0f, 0.0f), 3.0f, 0.0f);
      g_autofree float *ya = NULL;
      g_autofree float *yb = NULL;

      eigml_graph_mark_output (g, a);
      eigml_graph_mark_output (g, b);
      g_assert_true (eigml_graph_set_input_floats (g, xa, x, 1000, &error));
      g_assert_true (eigml_graph_set_input_floats (g, xb, x, 1000, &error));
      g_assert_true (eigml_graph_compute (g, &error));
      g_assert_no_error (error);
      g_assert_true (eigml_vulkan_graph_get_stats (g, &stats));
      g_assert_cmpuint (stats.n_dispatches, ==, 4);
      g_assert_cmpuint (stats.n_barriers, ==, reorder ? 1 : 2);
      ya = eigml_graph_dup_floats (g, a, &error);
      yb = eigml_graph_dup_floats (g, b, &error);
      for (guint i = 0; i < 1000; i++)
        {
          g_assert_cmpfloat (ya[i], ==, 4.0f * x[i]);
          g_assert_cmpfloat (yb[i], ==, 9.0f * x[i]);
        }
    }

  /* a diamond: two independent ops, then one that joins them */
  {
    g_autoptr (EigmlGraph) g = eigml_graph_new (context);
    EigmlNode *in = eigml_graph_input (g, "x", EIGML_DTYPE_F32, 1, shape);
    EigmlNode *y = eigml_op_add (g, eigml_op_scale (g, in, 2.0f, 0.0f),
                                 eigml_op_scale (g, in, 3.0f, 0.0f));

    eigml_graph_mark_output (g, y);
    g_assert_true (eigml_graph_set_input_floats (g, in, x, 1000, &error));
    g_assert_true (eigml_graph_compute (g, &error));
    g_assert_no_error (error);
    g_assert_true (eigml_vulkan_graph_get_stats (g, &stats));
    g_assert_cmpuint (stats.n_dispatches, ==, 3);
    g_assert_cmpuint (stats.n_barriers, ==, 1);
  }
}

/* A graph that touches most kernel families, for comparisons. */
static EigmlNode *
build_mixed_graph (EigmlGraph *g,
                   EigmlNode **x_out,
                   EigmlNode **w_out)
{
  gint64 xs[3] = { 2, 37, 48 }, ws[2] = { 40, 48 };
  EigmlNode *x = eigml_graph_input (g, "x", EIGML_DTYPE_F32, 3, xs);
  EigmlNode *w = eigml_graph_input (g, "w", EIGML_DTYPE_F32, 2, ws);
  EigmlNode *h = eigml_op_matmul (g, x, w, FALSE, TRUE);           /* [2, 37, 40] */
  EigmlNode *s = eigml_op_softmax (g, eigml_op_gelu (g, h), NULL, 0.5f);
  EigmlNode *n = eigml_op_layer_norm (g, eigml_op_transpose (g, s, 1, 2), NULL, NULL, 1e-5f);
  EigmlNode *r = eigml_op_sum (g, eigml_op_tanh (g, n), 1, FALSE);  /* [2, 37] */

  *x_out = x;
  *w_out = w;
  return eigml_op_add (g, r, eigml_op_max (g, h, 2, FALSE));
}

static float *
run_mixed_graph (EigmlContext *context,
                 const float *x,
                 const float *w,
                 EigmlVulkanGraphStats *stats,
                 gsize *n_out)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlGraph) g = eigml_graph_new (context);
  EigmlNode *xn, *wn;
  EigmlNode *y = build_mixed_graph (g, &xn, &wn);
  float *out;

  eigml_graph_mark_output (g, y);
  g_assert_true (eigml_graph_poison (g, &error));
  g_assert_true (eigml_graph_set_input_floats (g, xn, x, 2 * 37 * 48, &error));
  g_assert_true (eigml_graph_set_input_floats (g, wn, w, 40 * 48, &error));
  g_assert_true (eigml_graph_compute (g, &error));
  g_assert_no_error (error);
  if (stats != NULL)
    g_assert_true (eigml_vulkan_graph_get_stats (g, stats));
  out = eigml_graph_dup_floats (g, y, &error);
  g_assert_no_error (error);
  *n_out = (gsize) y->n_elements;
  return out;
}

static void
test_push_descriptor_fallback (void)
{
  const char *env_pool[] = { "EIGML_VULKAN_NO_PUSH_DESCRIPTORS", "1", NULL };
  g_autoptr (EigmlContext) push = vulkan_context (NULL);
  g_autoptr (EigmlContext) pool = vulkan_context (env_pool);
  g_autoptr (EigmlContext) cpu = eigml_context_new (EIGML_BACKEND_CPU, NULL, NULL);
  g_autoptr (GRand) rand = g_rand_new_with_seed (11);
  g_autofree float *x = random_floats (rand, 2 * 37 * 48, -1, 1);
  g_autofree float *w = random_floats (rand, 40 * 48, -1, 1);
  g_autofree float *y_push = NULL;
  g_autofree float *y_pool = NULL;
  g_autofree float *y_cpu = NULL;
  EigmlVulkanGraphStats s_push, s_pool;
  gsize n, n2, n3;
  double max_ref = 0.0, max_err = 0.0;

  g_assert_false (backend_info (pool).uses_push_descriptors);
  y_push = run_mixed_graph (push, x, w, &s_push, &n);
  y_pool = run_mixed_graph (pool, x, w, &s_pool, &n2);
  y_cpu = run_mixed_graph (cpu, x, w, NULL, &n3);
  g_assert_cmpuint (n, ==, n2);
  g_assert_cmpuint (n, ==, n3);
  /* same shaders, same inputs: bit for bit */
  g_assert_cmpmem (y_push, n * sizeof (float), y_pool, n * sizeof (float));
  g_assert_cmpuint (s_pool.n_descriptor_sets, ==, s_pool.n_dispatches);
  if (backend_info (push).uses_push_descriptors)
    g_assert_cmpuint (s_push.n_descriptor_sets, ==, 0);
  g_assert_cmpuint (s_push.n_dispatches, ==, s_pool.n_dispatches);
  g_assert_cmpuint (s_push.n_barriers, ==, s_pool.n_barriers);
  for (gsize i = 0; i < n; i++)
    {
      max_ref = MAX (max_ref, fabs (y_cpu[i]));
      max_err = MAX (max_err, fabs (y_cpu[i] - y_push[i]));
    }
  g_assert_cmpfloat (max_err, <=, 1e-5 * max_ref);
}

/* staging: inputs uploaded and outputs downloaded by the graph's own
 * command buffer, over several runs */
static void
test_staging_graph (void)
{
  const char *env[] = { "EIGML_VULKAN_FORCE_STAGING", "1", NULL };
  g_autoptr (EigmlContext) context = vulkan_context (env);
  g_autoptr (EigmlGraph) g = eigml_graph_new (context);
  g_autoptr (GError) error = NULL;
  gint64 shape[2] = { 3, 50 };
  EigmlNode *x = eigml_graph_input (g, "x", EIGML_DTYPE_F32, 2, shape);
  EigmlNode *y = eigml_op_mul (g, x, eigml_op_scale (g, x, 1.0f, 1.0f));
  EigmlNode *s = eigml_op_sum (g, y, 1, FALSE);
  EigmlVulkanGraphStats stats;
  float xs[150], back[150];

  eigml_graph_mark_output (g, y);
  eigml_graph_mark_output (g, s);
  for (guint run = 0; run < 3; run++)
    {
      g_autofree float *yv = NULL;
      g_autofree float *sv = NULL;

      for (guint i = 0; i < 150; i++)
        xs[i] = (float) (i % 50) * 0.5f + (float) run;
      g_assert_true (eigml_graph_set_input_floats (g, x, xs, 150, &error));
      /* an input reads back before the run (from its mirror) */
      g_assert_true (eigml_graph_read (g, x, back, sizeof back, &error));
      g_assert_no_error (error);
      g_assert_cmpmem (back, sizeof back, xs, sizeof xs);
      g_assert_true (eigml_graph_poison (g, &error));
      g_assert_true (eigml_graph_compute (g, &error));
      g_assert_no_error (error);
      yv = eigml_graph_dup_floats (g, y, &error);
      sv = eigml_graph_dup_floats (g, s, &error);
      g_assert_no_error (error);
      for (guint r = 0; r < 3; r++)
        {
          double sum = 0.0;
          for (guint i = 0; i < 50; i++)
            {
              float v = xs[r * 50 + i];
              g_assert_cmpfloat (yv[r * 50 + i], ==, v * (v + 1.0f));
              sum += yv[r * 50 + i];
            }
          g_assert_cmpfloat_with_epsilon (sv[r], sum, 1e-6 * fabs (sum) + 1e-6);
        }
    }
  g_assert_true (eigml_vulkan_graph_get_stats (g, &stats));
  g_assert_cmpuint (stats.n_uploads, ==, 1);
  g_assert_cmpuint (stats.n_downloads, ==, 2);

  /* poisoning after a run makes the outputs' mirrors stale: reads see it */
  g_assert_true (eigml_graph_poison (g, &error));
  {
    g_autofree float *yv = eigml_graph_dup_floats (g, y, &error);
    g_assert_no_error (error);
    g_assert_true (isnan (yv[0]));
  }
}

/* dropout masks: bit-identical on the CPU and on Vulkan */
static float *
run_dropout (EigmlContext *context,
             const float *x,
             gint64 n,
             float p,
             guint64 seed,
             guint64 offset)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlGraph) g = eigml_graph_new (context);
  EigmlNode *in = eigml_graph_input (g, "x", EIGML_DTYPE_F32, 1, &n);
  EigmlNode *a = eigml_op_dropout (g, in, p);
  EigmlNode *b = eigml_op_dropout (g, in, p);   /* another stream */
  EigmlNode *y = eigml_op_concat (g, (EigmlNode *[]) { a, b }, 2, 0);
  float *out;

  eigml_graph_mark_output (g, y);
  g_assert_true (eigml_graph_set_input_floats (g, in, x, (gsize) n, &error));
  g_assert_true (eigml_graph_set_rng (g, seed, offset, &error));
  g_assert_true (eigml_graph_compute (g, &error));
  g_assert_no_error (error);
  out = eigml_graph_dup_floats (g, y, &error);
  g_assert_no_error (error);
  return out;
}

static void
test_dropout_bits (void)
{
  g_autoptr (EigmlContext) vk = vulkan_context (NULL);
  g_autoptr (EigmlContext) cpu = eigml_context_new (EIGML_BACKEND_CPU, NULL, NULL);
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);
  const gint64 sizes[] = { 1, 7, 1001, 65539 };
  const float probs[] = { 0.1f, 0.5f, 0.9f };

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    for (guint q = 0; q < G_N_ELEMENTS (probs); q++)
      {
        g_autofree float *x = random_floats (rand, sizes[s], -2, 2);
        guint64 seed = g_rand_int (rand) | ((guint64) g_rand_int (rand) << 32);
        guint64 offset = ((guint64) 1 << 32) + s * 3 + q;
        g_autofree float *yc = run_dropout (cpu, x, sizes[s], probs[q], seed, offset);
        g_autofree float *yv = run_dropout (vk, x, sizes[s], probs[q], seed, offset);
        gsize bytes = 2 * sizes[s] * sizeof (float);
        guint kept = 0;

        g_assert_cmpmem (yv, bytes, yc, bytes);
        for (gint64 i = 0; i < 2 * sizes[s]; i++)
          kept += yc[i] != 0.0f;
        g_test_message ("dropout n=%" G_GINT64_FORMAT " p=%.1f: kept %u of %" G_GINT64_FORMAT,
                        sizes[s], probs[q], kept, 2 * sizes[s]);
      }
}

/* one output over millions of inputs: several workgroups, then partials */
static void
test_large_reduce (void)
{
  g_autoptr (EigmlContext) context = vulkan_context (NULL);
  g_autoptr (EigmlGraph) g = eigml_graph_new (context);
  g_autoptr (GError) error = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);
  gint64 n = 3000017;
  g_autofree float *x = random_floats (rand, n, -1, 1);
  EigmlNode *in = eigml_graph_input (g, "x", EIGML_DTYPE_F32, 1, &n);
  EigmlNode *sum = eigml_op_sum_all (g, in);
  EigmlNode *mx = eigml_op_max (g, in, 0, FALSE);
  EigmlNode *ss = eigml_op_reduce (g, EIGML_REDUCE_SUMSQ, in, 1, FALSE);
  EigmlVulkanGraphStats stats;
  double ref_sum = 0.0, ref_ss = 0.0;
  float ref_max = -INFINITY, got;

  eigml_graph_mark_output (g, sum);
  eigml_graph_mark_output (g, mx);
  eigml_graph_mark_output (g, ss);
  g_assert_true (eigml_graph_set_input_floats (g, in, x, (gsize) n, &error));
  g_assert_true (eigml_graph_compute (g, &error));
  g_assert_no_error (error);
  for (gint64 i = 0; i < n; i++)
    {
      ref_sum += x[i];
      ref_ss += (double) x[i] * x[i];
      ref_max = MAX (ref_max, x[i]);
    }
  g_assert_true (eigml_graph_read (g, sum, &got, 4, &error));
  g_assert_cmpfloat_with_epsilon (got, ref_sum, 1e-6 * sqrt ((double) n));
  g_assert_true (eigml_graph_read (g, ss, &got, 4, &error));
  g_assert_cmpfloat_with_epsilon (got, ref_ss, 1e-6 * ref_ss);
  g_assert_true (eigml_graph_read (g, mx, &got, 4, &error));
  g_assert_cmpfloat (got, ==, ref_max);
  g_assert_no_error (error);
  g_assert_true (eigml_vulkan_graph_get_stats (g, &stats));
  /* each reduction is (at least) a partial pass and a final one */
  g_assert_cmpuint (stats.n_dispatches, >=, 6);
  g_assert_cmpuint (stats.scratch_bytes, >, 0);
}

/* ---- comparisons with the CPU backend ------------------------------------ */

typedef struct
{
  guint n_dims;
  gint64 shape[4];
} InputShape;

typedef EigmlNode *(*BuildFunc) (EigmlGraph *g,
                                 EigmlNode **x,
                                 gconstpointer data);

static float *
run_built (EigmlContext *context,
           guint n_in,
           const InputShape *shapes,
           float **values,
           BuildFunc build,
           gconstpointer data,
           gsize *n_out,
           EigmlVulkanGraphStats *stats)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlGraph) g = eigml_graph_new (context);
  EigmlNode *x[6], *y;
  float *out;

  for (guint i = 0; i < n_in; i++)
    x[i] = eigml_graph_input (g, NULL, EIGML_DTYPE_F32, shapes[i].n_dims, shapes[i].shape);
  y = build (g, x, data);
  eigml_graph_mark_output (g, y);
  eigml_graph_poison (g, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < n_in; i++)
    g_assert_true (eigml_graph_set_input_floats (g, x[i], values[i], x[i]->n_elements, &error));
  g_assert_true (eigml_graph_compute (g, &error));
  g_assert_no_error (error);
  if (stats != NULL)
    g_assert_true (eigml_vulkan_graph_get_stats (g, stats));
  out = eigml_graph_dup_floats (g, y, &error);
  g_assert_no_error (error);
  *n_out = (gsize) y->n_elements;
  return out;
}

static EigmlVulkanGraphStats
compare_values (EigmlContext *vk,
                guint n_in,
                const InputShape *shapes,
                float **values,
                BuildFunc build,
                gconstpointer data,
                double tol)
{
  g_autoptr (EigmlContext) cpu = eigml_context_new (EIGML_BACKEND_CPU, NULL, NULL);
  g_autofree float *yc = NULL;
  g_autofree float *yv = NULL;
  gsize nc, nv;
  double max_ref = 0.0, max_err = 0.0;
  EigmlVulkanGraphStats stats;

  yc = run_built (cpu, n_in, shapes, values, build, data, &nc, NULL);
  yv = run_built (vk, n_in, shapes, values, build, data, &nv, &stats);
  g_assert_cmpuint (nc, ==, nv);
  for (gsize i = 0; i < nc; i++)
    {
      /* both non-finite in the same way is agreement */
      if (!isfinite (yc[i]) || !isfinite (yv[i]))
        {
          g_assert_true (memcmp (&yc[i], &yv[i], 4) == 0 || (isnan (yc[i]) && isnan (yv[i])));
          continue;
        }
      max_ref = MAX (max_ref, fabs (yc[i]));
      max_err = MAX (max_err, fabs ((double) yc[i] - yv[i]));
    }
  if (!(max_err <= tol * MAX (max_ref, 1e-30)))
    g_error ("Vulkan differs from the CPU: max error %.3g, max |cpu| %.3g", max_err, max_ref);
  return stats;
}

/* random inputs in [-1, 1]; max |vk - cpu| / max |cpu| <= tol; returns the
 * Vulkan graph's counts */
static EigmlVulkanGraphStats
compare_with_cpu (EigmlContext *vk,
                  guint n_in,
                  const InputShape *shapes,
                  BuildFunc build,
                  gconstpointer data,
                  double tol)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (n_in * 1000 + (guint) shapes[0].shape[0]);
  float *values[6];
  EigmlVulkanGraphStats stats;

  for (guint i = 0; i < n_in; i++)
    {
      gint64 n = 1;
      for (guint d = 0; d < shapes[i].n_dims; d++)
        n *= shapes[i].shape[d];
      values[i] = random_floats (rand, n, -1, 1);
    }
  stats = compare_values (vk, n_in, shapes, values, build, data, tol);
  for (guint i = 0; i < n_in; i++)
    g_free (values[i]);
  return stats;
}

typedef struct
{
  gboolean ta, tb;
} MatmulFlags;

static EigmlNode *
build_matmul (EigmlGraph *g,
              EigmlNode **x,
              gconstpointer data)
{
  const MatmulFlags *f = data;
  return eigml_op_matmul (g, x[0], x[1], f->ta, f->tb);
}

/* tiles that do not divide the sizes, transposes, shared operands (batch
 * stride 0), split-K */
static void
test_matmul_shapes (void)
{
  g_autoptr (EigmlContext) vk = vulkan_context (NULL);
  static const struct
  {
    InputShape a, b;
    MatmulFlags f;
    gboolean split;
  } cases[] = {
    { { 2, { 1, 1 } }, { 2, { 1, 1 } }, { FALSE, FALSE }, FALSE },
    { { 2, { 1, 33 } }, { 2, { 33, 257 } }, { FALSE, FALSE }, FALSE },
    { { 2, { 65, 70 } }, { 2, { 1, 70 } }, { FALSE, TRUE }, FALSE },
    { { 2, { 129, 67 } }, { 2, { 45, 129 } }, { TRUE, TRUE }, FALSE },
    { { 2, { 129, 67 } }, { 2, { 129, 45 } }, { TRUE, FALSE }, FALSE },
    { { 3, { 3, 19, 17 } }, { 2, { 19, 23 } }, { TRUE, FALSE }, FALSE },   /* b shared */
    { { 2, { 17, 19 } }, { 3, { 3, 23, 19 } }, { FALSE, TRUE }, FALSE },   /* a shared */
    { { 4, { 2, 3, 9, 70 } }, { 4, { 2, 3, 70, 5 } }, { FALSE, FALSE }, FALSE },
    { { 2, { 300, 70 } }, { 2, { 130, 70 } }, { FALSE, TRUE }, FALSE },    /* 128 x 64 tiles */
    { { 3, { 2, 70, 150 } }, { 3, { 2, 70, 100 } }, { TRUE, FALSE }, FALSE },
    { { 2, { 31, 2048 } }, { 2, { 2048, 33 } }, { FALSE, FALSE }, TRUE },   /* split-K */
    { { 2, { 2050, 40 } }, { 2, { 2050, 24 } }, { TRUE, FALSE }, TRUE },    /* dW = dY^T X */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      InputShape shapes[2] = { cases[i].a, cases[i].b };
      EigmlVulkanGraphStats stats = compare_with_cpu (vk, 2, shapes, build_matmul, &cases[i].f,
                                                      1e-5);
      if (cases[i].split)
        {
          /* partial products, then their sum */
          g_assert_cmpuint (stats.n_dispatches, ==, 2);
          g_assert_cmpuint (stats.n_barriers, ==, 1);
          g_assert_cmpuint (stats.scratch_bytes, >, 0);
        }
    }
}

static EigmlNode *
build_grid_mix (EigmlGraph *g,
                EigmlNode **x,
                gconstpointer data)
{
  /* x0 [70, 40, 8], x1 [70, 8, 300] */
  EigmlNode *p = eigml_op_matmul (g, x[0], x[1], FALSE, FALSE);    /* [70, 40, 300] */
  EigmlNode *s = eigml_op_softmax (g, eigml_op_slice (g, p, 0, 0, 5), NULL, 1.0f);
  EigmlNode *r = eigml_op_sum (g, eigml_op_tanh (g, s), 2, FALSE); /* [5, 40] */
  return eigml_op_add (g, r, eigml_op_mean (g, eigml_op_slice (g, p, 0, 65, 5), 2, FALSE));
}

static EigmlNode *
build_wide (EigmlGraph *g,
            EigmlNode **x,
            gconstpointer data)
{
  /* [8, 8] x [8, 4200] */
  return eigml_op_log_softmax (g, eigml_op_matmul (g, x[0], x[1], FALSE, FALSE), NULL, 1.0f);
}

/* small workgroup-count limits: 2-d grids for elementwise and row kernels,
 * matmul grids cut into based dispatches */
static void
test_grid_limits (void)
{
  const char *env[] = { "EIGML_VULKAN_MAX_GROUP_COUNT", "64", NULL };
  g_autoptr (EigmlContext) vk = vulkan_context (env);
  InputShape batched[2] = { { 3, { 70, 40, 8 } }, { 3, { 70, 8, 300 } } };
  InputShape wide[2] = { { 2, { 8, 8 } }, { 2, { 8, 4200 } } };
  EigmlVulkanGraphStats stats;

  /* 70 batches: 64 + 6 */
  stats = compare_with_cpu (vk, 2, batched, build_grid_mix, NULL, 1e-5);
  g_assert_cmpuint (stats.n_dispatches, >=, 2 + 6);
  /* 132 column tiles of 32 (M = 8 takes the small tile): 64 + 64 + 4, then
   * the softmax */
  stats = compare_with_cpu (vk, 2, wide, build_wide, NULL, 1e-5);
  g_assert_cmpuint (stats.n_dispatches, ==, 4);
}

static EigmlNode *
build_masked_softmax (EigmlGraph *g,
                      EigmlNode **x,
                      gconstpointer data)
{
  /* x [2, 3, 5], mask [3, 5] with a fully masked row */
  return eigml_op_softmax (g, x[0], x[1], 0.7f);
}

static EigmlNode *
build_kl (EigmlGraph *g,
          EigmlNode **x,
          gconstpointer data)
{
  return eigml_op_kl_div (g, x[0], x[1]);
}

/* L = sum(max(x, axis) * w): its gradient shares dL/dmax among ties */
static EigmlNode *
build_max_grad (EigmlGraph *g,
                EigmlNode **x,
                gconstpointer data)
{
  gint axis = GPOINTER_TO_INT (data);
  EigmlNode *m = eigml_op_max (g, x[0], axis, FALSE);
  EigmlNode *loss;

  eigml_node_set_requires_grad (x[0], TRUE);
  loss = eigml_op_sum_all (g, eigml_op_mul (g, m, x[1]));
  g_assert_true (eigml_graph_backward (g, loss, NULL));
  return eigml_graph_get_grad (g, x[0]);
}

/* The CPU kernels' edge cases, on Vulkan. */
static void
test_edge_cases (void)
{
  g_autoptr (EigmlContext) vk = vulkan_context (NULL);
  const float inf = INFINITY;

  /* softmax: a fully masked row gives zeros, a partly masked one ignores -inf */
  {
    InputShape shapes[2] = { { 3, { 2, 3, 5 } }, { 2, { 3, 5 } } };
    float x[30], mask[15] = {
      0, 0, 0, 0, 0,
      -inf, -inf, -inf, -inf, -inf,
      -inf, 0, -1e4f, 0, -inf,
    };
    float *values[2] = { x, mask };
    for (guint i = 0; i < 30; i++)
      x[i] = (float) i * 0.1f - 1.0f;
    compare_values (vk, 2, shapes, values, build_masked_softmax, NULL, 1e-6);
  }
  /* KL: exp(-inf) = 0 contributes 0, not NaN */
  {
    InputShape shapes[2] = { { 2, { 2, 4 } }, { 2, { 2, 4 } } };
    float lp[8] = { -inf, -0.5f, -1.2f, -2.0f, -1.0f, -1.0f, -inf, -inf };
    float lq[8] = { -1.0f, -inf, -2.0f, -0.3f, -2.0f, -0.7f, -1.0f, -inf };
    float *values[2] = { lp, lq };
    compare_values (vk, 2, shapes, values, build_kl, NULL, 1e-6);
  }
  /* reduce-max backward: ties share the gradient, along the inner axis
   * (workgroup per output) and along the outer one (invocation per output) */
  for (gint axis = 0; axis < 2; axis++)
    {
      InputShape shapes[2] = { { 2, { 70, 90 } }, { 1, { axis == 0 ? 90 : 70 } } };
      g_autofree float *x = g_new (float, 70 * 90);
      float w[90];
      float *values[2] = { x, w };
      for (guint i = 0; i < 70 * 90; i++)
        x[i] = (float) ((i * 7) % 5);     /* many ties at 4 */
      for (guint i = 0; i < 90; i++)
        w[i] = (float) i - 40.0f;
      compare_values (vk, 2, shapes, values, build_max_grad, GINT_TO_POINTER (axis), 1e-6);
    }
}

/* Every op case of test-ops.c again, through the other paths: tensors not
 * host-mapped (staging mirrors) and descriptor pools, in graph order. */
static void
test_ops_other_paths (void)
{
  EigmlContext *vk;
  const HarnessFamily *sets[] = { op_cases_math, op_cases_nn };
  guint n_cases = 0;

  /* the harness makes its Vulkan context once, here */
  g_setenv ("EIGML_VULKAN_FORCE_STAGING", "1", TRUE);
  g_setenv ("EIGML_VULKAN_NO_PUSH_DESCRIPTORS", "1", TRUE);
  g_setenv ("EIGML_VULKAN_NO_REORDER", "1", TRUE);
  vk = harness_context (EIGML_BACKEND_VULKAN);
  g_unsetenv ("EIGML_VULKAN_FORCE_STAGING");
  g_unsetenv ("EIGML_VULKAN_NO_PUSH_DESCRIPTORS");
  g_unsetenv ("EIGML_VULKAN_NO_REORDER");
  g_assert_nonnull (vk);
  g_assert_true (backend_info (vk).uses_staging);
  g_assert_false (backend_info (vk).uses_push_descriptors);

  for (guint k = 0; k < G_N_ELEMENTS (sets); k++)
    for (guint f = 0; sets[k][f].name != NULL; f++)
      for (guint v = 0; v < sets[k][f].n_variants; v++)
        {
          /* the seeds of test-ops.c */
          g_autoptr (GRand) rand = g_rand_new_with_seed (g_str_hash (sets[k][f].name) * 31u + v);
          HarnessCase c = { 0 };

          sets[k][f].gen (rand, v, &c);
          harness_check_vulkan (&c);
          n_cases++;
        }
  g_test_message ("%u op cases through staging and descriptor pools", n_cases);
}

/* ---- pipeline cache ------------------------------------------------------ */

static void
run_small_graph (EigmlContext *context)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlGraph) g = eigml_graph_new (context);
  gint64 shape[2] = { 4, 8 };
  float x[32] = { 0 };
  EigmlNode *in = eigml_graph_input (g, "x", EIGML_DTYPE_F32, 2, shape);
  EigmlNode *y = eigml_op_softmax (g, eigml_op_relu (g, in), NULL, 1.0f);
  g_autofree float *out = NULL;

  eigml_graph_mark_output (g, y);
  g_assert_true (eigml_graph_set_input_floats (g, in, x, 32, &error));
  g_assert_true (eigml_graph_compute (g, &error));
  g_assert_no_error (error);
  out = eigml_graph_dup_floats (g, y, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (out[0], 0.125f, 1e-6f);
}

static void
test_pipeline_cache (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("eigml-vk-cache-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "sub", "pipelines.bin", NULL);
  const char *env[] = { "EIGML_VULKAN_PIPELINE_CACHE", path, NULL };
  const char *env_none[] = { "EIGML_VULKAN_PIPELINE_CACHE", "none", NULL };
  g_autofree char *contents = NULL;
  gsize length = 0;

  g_assert_no_error (error);

  /* first run: no file; written at backend free */
  {
    g_autoptr (EigmlContext) context = vulkan_context (env);
    EigmlVulkanInfo info = backend_info (context);
    g_assert_cmpint (info.cache_status, ==, EIGML_VULKAN_CACHE_ABSENT);
    g_assert_cmpstr (info.cache_path, ==, path);
    run_small_graph (context);
    g_assert_cmpuint (backend_info (context).n_pipelines, >=, 2);
  }
  g_assert_true (g_file_get_contents (path, &contents, &length, &error));
  g_assert_cmpuint (length, >, 80);
  g_assert_cmpmem (contents, 8, "EIGMLVPC", 8);

  /* second run: loaded */
  {
    g_autoptr (EigmlContext) context = vulkan_context (env);
    g_assert_cmpint (backend_info (context).cache_status, ==, EIGML_VULKAN_CACHE_LOADED);
    run_small_graph (context);
  }

  /* a corrupted payload: ignored with a debug message, rewritten at exit */
  contents[length - 5] ^= 0x5a;
  g_assert_true (g_file_set_contents (path, contents, length, &error));
  g_test_expect_message ("Eigml", G_LOG_LEVEL_DEBUG, "*pipeline cache*ignored*checksum*");
  {
    g_autoptr (EigmlContext) context = vulkan_context (env);
    g_test_assert_expected_messages ();
    g_assert_cmpint (backend_info (context).cache_status, ==, EIGML_VULKAN_CACHE_REJECTED);
    run_small_graph (context);
  }
  {
    g_autoptr (EigmlContext) context = vulkan_context (env);
    g_assert_cmpint (backend_info (context).cache_status, ==, EIGML_VULKAN_CACHE_LOADED);
  }

  /* truncated, garbage, another device's header */
  g_assert_true (g_file_set_contents (path, contents, 40, &error));
  {
    g_autoptr (EigmlContext) context = vulkan_context (env);
    g_assert_cmpint (backend_info (context).cache_status, ==, EIGML_VULKAN_CACHE_REJECTED);
  }
  g_assert_true (g_file_set_contents (path, "not a pipeline cache at all, just text", -1,
                                      &error));
  {
    g_autoptr (EigmlContext) context = vulkan_context (env);
    g_assert_cmpint (backend_info (context).cache_status, ==, EIGML_VULKAN_CACHE_REJECTED);
  }
  g_clear_pointer (&contents, g_free);
  g_assert_true (g_file_get_contents (path, &contents, &length, &error));
  if (length > 80)
    {
      contents[12] ^= 0x01;   /* vendor id */
      g_assert_true (g_file_set_contents (path, contents, length, &error));
      g_test_expect_message ("Eigml", G_LOG_LEVEL_DEBUG, "*ignored*another device*");
      {
        g_autoptr (EigmlContext) context = vulkan_context (env);
        g_test_assert_expected_messages ();
        g_assert_cmpint (backend_info (context).cache_status, ==, EIGML_VULKAN_CACHE_REJECTED);
      }
    }

  /* disabled */
  {
    g_autoptr (EigmlContext) context = vulkan_context (env_none);
    EigmlVulkanInfo info = backend_info (context);
    g_assert_cmpint (info.cache_status, ==, EIGML_VULKAN_CACHE_DISABLED);
    g_assert_null (info.cache_path);
    run_small_graph (context);
  }

  g_assert_cmpint (g_unlink (path), ==, 0);
  {
    g_autofree char *sub = g_path_get_dirname (path);
    g_assert_cmpint (g_rmdir (sub), ==, 0);
  }
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

/* ---- timeouts ------------------------------------------------------------ */

static void
test_timeout (void)
{
  if (g_test_subprocess ())
    {
      const char *env[] = { "EIGML_VULKAN_TIMEOUT_MS", "1", NULL };
      /* enough work for lavapipe, then enough for any GPU (2 TFLOP) */
      const gint64 sizes[2] = { 512, 4096 };
      const guint chains[2] = { 8, 16 };
      g_autoptr (EigmlContext) context = NULL;

      /* the timeout leaves pending work behind: no validation here */
      g_unsetenv ("EIGML_VULKAN_VALIDATION");
      context = vulkan_context (env);
      for (guint attempt = 0; attempt < 2; attempt++)
        {
          g_autoptr (GError) error = NULL;
          g_autoptr (EigmlGraph) g = eigml_graph_new (context);
          gint64 n = sizes[attempt], shape[2] = { n, n };
          g_autofree float *x = g_new0 (float, n * n);
          EigmlNode *a = eigml_graph_input (g, "a", EIGML_DTYPE_F32, 2, shape);
          EigmlNode *y = eigml_op_matmul (g, a, a, FALSE, FALSE);
          gint64 t0;

          for (guint i = 0; i < chains[attempt]; i++)
            y = eigml_op_matmul (g, y, a, FALSE, TRUE);
          eigml_graph_mark_output (g, y);
          g_assert_true (eigml_graph_set_input_floats (g, a, x, n * n, &error));
          g_assert_no_error (error);
          t0 = g_get_monotonic_time ();
          if (eigml_graph_compute (g, &error))
            continue;
          g_assert_error (error, EIGML_ERROR, EIGML_ERROR_DEVICE);
          g_printerr ("after %.1f ms: %s\n", (g_get_monotonic_time () - t0) / 1000.0,
                      error->message);
          g_clear_error (&error);
          /* later work fails at once instead of hanging or crashing */
          g_assert_false (eigml_graph_compute (g, &error));
          g_assert_error (error, EIGML_ERROR, EIGML_ERROR_DEVICE);
          return;
        }
      g_assert_not_reached ();
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*did not finish the graph within 1 ms*");
}

/* ---- performance (-m perf) ----------------------------------------------- */

static void
test_matmul_perf (void)
{
  g_autoptr (EigmlContext) context = vulkan_context (NULL);
  g_autoptr (GRand) rand = g_rand_new_with_seed (9);
  const gint64 sizes[] = { 256, 512 };

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (EigmlGraph) g = eigml_graph_new (context);
      gint64 n = sizes[s], shape[2] = { n, n };
      g_autofree float *x = random_floats (rand, n * n, -1, 1);
      EigmlNode *a = eigml_graph_input (g, "a", EIGML_DTYPE_F32, 2, shape);
      EigmlNode *b = eigml_graph_input (g, "b", EIGML_DTYPE_F32, 2, shape);
      EigmlNode *y = eigml_op_matmul (g, a, b, FALSE, TRUE);
      double best = G_MAXDOUBLE;

      eigml_graph_mark_output (g, y);
      g_assert_true (eigml_graph_set_input_floats (g, a, x, n * n, &error));
      g_assert_true (eigml_graph_set_input_floats (g, b, x, n * n, &error));
      g_assert_true (eigml_graph_compute (g, &error));   /* warm-up */
      for (guint r = 0; r < 3; r++)
        {
          gint64 t0 = g_get_monotonic_time ();
          g_assert_true (eigml_graph_compute (g, &error));
          best = MIN (best, (g_get_monotonic_time () - t0) / 1e6);
        }
      g_assert_no_error (error);
      g_test_message ("matmul %" G_GINT64_FORMAT ": %.2f ms, %.2f GFLOP/s", n, best * 1e3,
                      2.0 * n * n * n / best / 1e9);
      g_test_minimized_result (best, "matmul %" G_GINT64_FORMAT ": %.2f GFLOP/s", n,
                               2.0 * n * n * n / best / 1e9);
    }
}

int
main (int argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/vulkan-backend/context", test_context);
  g_test_add_func ("/vulkan-backend/no-driver", test_no_driver);
  g_test_add_func ("/vulkan-backend/select", test_select);
  g_test_add_func ("/vulkan-backend/buffers", test_buffers);
  g_test_add_func ("/vulkan-backend/buffers-staging", test_buffers_staging);
  g_test_add_func ("/vulkan-backend/barriers", test_barriers);
  g_test_add_func ("/vulkan-backend/push-descriptor-fallback", test_push_descriptor_fallback);
  g_test_add_func ("/vulkan-backend/staging-graph", test_staging_graph);
  g_test_add_func ("/vulkan-backend/dropout-bits", test_dropout_bits);
  g_test_add_func ("/vulkan-backend/large-reduce", test_large_reduce);
  g_test_add_func ("/vulkan-backend/matmul-shapes", test_matmul_shapes);
  g_test_add_func ("/vulkan-backend/grid-limits", test_grid_limits);
  g_test_add_func ("/vulkan-backend/edge-cases", test_edge_cases);
  g_test_add_func ("/vulkan-backend/ops-staging-pools", test_ops_other_paths);
  g_test_add_func ("/vulkan-backend/pipeline-cache", test_pipeline_cache);
  g_test_add_func ("/vulkan-backend/timeout", test_timeout);
  if (g_test_perf ())
    g_test_add_func ("/vulkan-backend/matmul-perf", test_matmul_perf);
  return g_test_run ();
}
