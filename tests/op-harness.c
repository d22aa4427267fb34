/* op-harness.c: running an op case on a backend and checking it
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "op-harness.h"

#include <math.h>
#include <omp.h>
#include <string.h>

#define FD_MAX_ELEMENTS 40
#define RNG_SEED 0x5eed1234u
#define RNG_OFFSET 7u

/* ---- shapes -------------------------------------------------------------- */

void
harness_shape4 (guint n_dims,
                const gint64 *shape,
                gint64 out[4])
{
  guint pad = 4 - n_dims;

  for (guint i = 0; i < 4; i++)
    out[i] = i < pad ? 1 : shape[i - pad];
}

void
harness_strides4 (const gint64 shape4[4],
                  gint64 strides[4])
{
  strides[3] = 1;
  for (int i = 2; i >= 0; i--)
    strides[i] = strides[i + 1] * shape4[i + 1];
}

void
harness_bstrides4 (guint n_dims,
                   const gint64 *shape,
                   const gint64 out4[4],
                   gint64 strides[4])
{
  gint64 s4[4];

  harness_shape4 (n_dims, shape, s4);
  harness_strides4 (s4, strides);
  for (int i = 0; i < 4; i++)
    if (s4[i] == 1 && out4[i] != 1)
      strides[i] = 0;
}

gint64
harness_numel (guint n_dims,
               const gint64 *shape)
{
  gint64 n = 1;

  for (guint i = 0; i < n_dims; i++)
    n *= shape[i];
  return n;
}

/* Sizes that are not multiples of any tile, plus 1 (batch 1, length 1). */
gint64
harness_dim (GRand *rand)
{
  static const gint64 dims[] = { 1, 2, 3, 5, 7, 9, 13, 17, 31, 33, 47, 65 };

  return dims[g_rand_int_range (rand, 0, G_N_ELEMENTS (dims))];
}

void
harness_random_shape (GRand *rand,
                      guint n_dims,
                      gint64 *shape,
                      gint64 max_numel)
{
  do
    for (guint i = 0; i < n_dims; i++)
      shape[i] = harness_dim (rand);
  while (harness_numel (n_dims, shape) > max_numel);
}

void
harness_input_f32 (HarnessInput *in,
                   guint n_dims,
                   const gint64 *shape,
                   gboolean grad)
{
  memset (in, 0, sizeof *in);
  in->dtype = EIGML_DTYPE_F32;
  in->n_dims = n_dims;
  memcpy (in->shape, shape, n_dims * sizeof (gint64));
  in->lo = -1.0;
  in->hi = 1.0;
  in->grad = grad;
}

/* ---- contexts ------------------------------------------------------------ */

static EigmlContext *contexts[3];

/* Drops the shared contexts, so that leak checkers see only real leaks. */
void
harness_cleanup (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (contexts); i++)
    g_clear_object (&contexts[i]);
}

EigmlContext *
harness_context (EigmlBackendKind kind)
{

  if (contexts[kind] == NULL)
    {
      g_autoptr (GError) error = NULL;
      contexts[kind] = eigml_context_new (kind, NULL, &error);
      if (contexts[kind] == NULL)
        {
          if (kind == EIGML_BACKEND_VULKAN && g_getenv ("EIGML_TEST_ALLOW_NO_VULKAN") != NULL)
            return NULL;
          g_error ("cannot create the %s context: %s (set EIGML_TEST_ALLOW_NO_VULKAN=1 to skip "
                   "Vulkan tests on a machine without any Vulkan device)",
                   eigml_backend_kind_to_string (kind), error->message);
        }
      g_test_message ("%s backend: %s", eigml_backend_kind_to_string (kind),
                      eigml_context_get_device_name (contexts[kind]));
    }
  return contexts[kind];
}

/* ---- data ---------------------------------------------------------------- */

typedef struct
{
  gsize n[HARNESS_MAX_IN];
  float *f[HARNESS_MAX_IN];      /* f32 inputs */
  gint32 *i[HARNESS_MAX_IN];     /* i32 inputs */
} HarnessData;

static void
data_make (const HarnessCase *c,
           HarnessData *d)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (g_str_hash (c->name));

  memset (d, 0, sizeof *d);
  for (guint k = 0; k < c->n_in; k++)
    {
      const HarnessInput *in = &c->in[k];
      gsize n = harness_numel (in->n_dims, in->shape);

      d->n[k] = n;
      if (in->dtype == EIGML_DTYPE_I32)
        {
          d->i[k] = g_new (gint32, MAX (n, 1));
          for (gsize j = 0; j < n; j++)
            d->i[k][j] = g_rand_int_range (rand, (gint32) in->lo, (gint32) in->hi);
        }
      else
        {
          d->f[k] = g_new (float, MAX (n, 1));
          for (gsize j = 0; j < n; j++)
            {
              double v;
              do
                v = g_rand_double_range (rand, in->lo, in->hi);
              while (fabs (v) < in->min_abs);
              d->f[k][j] = (float) v;
            }
        }
    }
}

static void
data_clear (HarnessData *d)
{
  for (guint k = 0; k < HARNESS_MAX_IN; k++)
    {
      g_free (d->f[k]);
      g_free (d->i[k]);
    }
}

/* ---- running on a backend ------------------------------------------------ */

typedef struct
{
  guint y_dims;
  gint64 y_shape[EIGML_MAX_DIMS];
  gsize y_n;
  float *y;
  float *w;                      /* the loss weights */
  float *grad[HARNESS_MAX_IN];   /* NULL where no gradient */
} HarnessResult;

static void
result_clear (HarnessResult *r)
{
  g_free (r->y);
  g_free (r->w);
  for (guint k = 0; k < HARNESS_MAX_IN; k++)
    g_free (r->grad[k]);
}

static gboolean
any_grad (const HarnessCase *c)
{
  for (guint k = 0; k < c->n_in; k++)
    if (c->in[k].grad)
      return TRUE;
  return FALSE;
}

static void
run_case (const HarnessCase *c,
          EigmlContext *ctx,
          const HarnessData *d,
          HarnessResult *r)
{
  g_autoptr (EigmlGraph) g = eigml_graph_new (ctx);
  g_autoptr (GError) error = NULL;
  EigmlNode *x[HARNESS_MAX_IN], *y, *loss = NULL, *w;
  g_autoptr (GRand) rand = g_rand_new_with_seed (g_str_hash (c->name) ^ 0xabcdu);

  memset (r, 0, sizeof *r);
  for (guint k = 0; k < c->n_in; k++)
    {
      char name[16];
      g_snprintf (name, sizeof name, "x%u", k);
      x[k] = eigml_graph_input (g, name, c->in[k].dtype, c->in[k].n_dims, c->in[k].shape);
      eigml_node_set_requires_grad (x[k], c->in[k].grad);
    }
  y = c->build (g, x, c);
  g_assert_no_error (eigml_graph_get_error (g));
  g_assert_nonnull (y);
  eigml_graph_mark_output (g, y);

  r->y_dims = y->n_dims;
  memcpy (r->y_shape, y->shape, sizeof r->y_shape);
  r->y_n = y->n_elements;
  r->w = g_new (float, r->y_n);
  for (gsize j = 0; j < r->y_n; j++)
    r->w[j] = (float) g_rand_double_range (rand, -1.0, 1.0);

  if (any_grad (c))
    {
      w = eigml_graph_constant (g, "w", y->n_dims, y->shape, r->w);
      loss = eigml_op_sum_all (g, eigml_op_mul (g, y, w));
      eigml_graph_backward (g, loss, &error);
      g_assert_no_error (error);
    }

  eigml_graph_prepare (g, &error);
  g_assert_no_error (error);
  /* twice: the second run proves nothing depends on a first-run state */
  for (int run = 0; run < 2; run++)
    {
      eigml_graph_poison (g, &error);
      g_assert_no_error (error);
      for (guint k = 0; k < c->n_in; k++)
        {
          if (c->in[k].dtype == EIGML_DTYPE_I32)
            eigml_graph_set_input_ints (g, x[k], d->i[k], d->n[k], &error);
          else
            eigml_graph_set_input_floats (g, x[k], d->f[k], d->n[k], &error);
          g_assert_no_error (error);
        }
      eigml_graph_set_rng (g, RNG_SEED, RNG_OFFSET, &error);
      g_assert_no_error (error);
      eigml_graph_compute (g, &error);
      g_assert_no_error (error);
    }

  r->y = eigml_graph_dup_floats (g, y, &error);
  g_assert_no_error (error);
  for (guint k = 0; k < c->n_in; k++)
    if (c->in[k].grad)
      {
        EigmlNode *gx = eigml_graph_get_grad (g, x[k]);
        if (gx == NULL)
          {
            /* no path from the loss: the gradient is zero */
            r->grad[k] = g_new0 (float, MAX (d->n[k], 1));
            continue;
          }
        r->grad[k] = eigml_graph_dup_floats (g, gx, &error);
        g_assert_no_error (error);
      }
}

/* ---- comparisons --------------------------------------------------------- */

/* max |a - b| / max |b|: the error relative to the tensor's scale */
static double
normalized_error (const float *a,
                  const double *b,
                  gsize n,
                  gsize *worst)
{
  double max_diff = 0.0, max_ref = 0.0;

  *worst = 0;
  for (gsize i = 0; i < n; i++)
    {
      double diff = fabs ((double) a[i] - b[i]);
      if (isnan (a[i]) != isnan (b[i]) || isinf (a[i]) != isinf (b[i]))
        diff = INFINITY;
      else if (isinf (a[i]) && a[i] == b[i])
        diff = 0.0;
      if (!(diff <= max_diff))
        {
          max_diff = diff;
          *worst = i;
        }
      if (isfinite (b[i]))
        max_ref = MAX (max_ref, fabs (b[i]));
    }
  if (max_diff == 0.0)
    return 0.0;
  return max_diff / MAX (max_ref, 1e-30);
}

static void
assert_close (const char *what,
              const char *case_name,
              const float *a,
              const double *b,
              gsize n,
              double tol)
{
  gsize worst;
  double err = normalized_error (a, b, n, &worst);

  if (!(err <= tol))
    g_error ("%s: %s differs: normalised error %.3g > %.3g (element %" G_GSIZE_FORMAT
             ": got %.9g, expected %.9g)", case_name, what, err, tol, worst,
             n ? a[worst] : 0.0, n ? b[worst] : 0.0);
}

static void
reference (const HarnessCase *c,
           const HarnessData *d,
           double *const *xd,
           const HarnessResult *r,
           double *y)
{
  c->ref (c, xd, y, r->y_dims, r->y_shape);
}

static double
reference_loss (const HarnessCase *c,
                double *const *xd,
                const HarnessResult *r,
                double *scratch)
{
  double l = 0.0;

  c->ref (c, xd, scratch, r->y_dims, r->y_shape);
  for (gsize j = 0; j < r->y_n; j++)
    l += scratch[j] * (double) r->w[j];
  return l;
}

void
harness_check_cpu (const HarnessCase *c)
{
  HarnessData d;
  HarnessResult r;
  double *xd[HARNESS_MAX_IN] = { NULL };
  g_autofree double *y_ref = NULL;
  g_autofree double *scratch = NULL;
  double h = c->fd_step > 0 ? c->fd_step : 1e-4;
  double grad_tol = c->grad_tol > 0 ? c->grad_tol : 1e-4;

  data_make (c, &d);
  run_case (c, harness_context (EIGML_BACKEND_CPU), &d, &r);

  for (guint k = 0; k < c->n_in; k++)
    {
      xd[k] = g_new (double, MAX (d.n[k], 1));
      for (gsize j = 0; j < d.n[k]; j++)
        xd[k][j] = c->in[k].dtype == EIGML_DTYPE_I32 ? (double) d.i[k][j] : (double) d.f[k][j];
    }

  /* 1. forward against float64 */
  y_ref = g_new (double, MAX (r.y_n, 1));
  reference (c, &d, xd, &r, y_ref);
  assert_close ("forward", c->name, r.y, y_ref, r.y_n, c->tol);

  /* 2. gradients against central differences of the float64 reference */
  scratch = g_new (double, MAX (r.y_n, 1));
  for (guint k = 0; k < c->n_in; k++)
    {
      g_autoptr (GRand) pick = NULL;
      double sum_asym = 0.0, grad_scale = 0.0;
      guint n_checked = 0;
      gsize n = d.n[k];

      if (!c->in[k].grad)
        continue;
      for (gsize j = 0; j < n; j++)
        grad_scale = MAX (grad_scale, fabs (r.grad[k][j]));
      pick = g_rand_new_with_seed (k + 17);
      for (guint t = 0; t < MIN (n, FD_MAX_ELEMENTS); t++)
        {
          gsize j = n <= FD_MAX_ELEMENTS ? t : (gsize) g_rand_int_range (pick, 0, (gint32) n);
          double saved = xd[k][j], lp, lm, num, ana = r.grad[k][j];

          xd[k][j] = saved + h;
          lp = reference_loss (c, xd, &r, scratch);
          xd[k][j] = saved - h;
          lm = reference_loss (c, xd, &r, scratch);
          xd[k][j] = saved;
          num = (lp - lm) / (2.0 * h);

          /* both essentially zero (masked, ignored): agreement */
          if (fabs (ana) + fabs (num) <= 1e-6 * MAX (grad_scale, 1.0))
            {
              n_checked++;
              continue;
            }
          if (g_getenv ("HARNESS_VERBOSE")) g_printerr ("  in%u[%zu] ana %.9g num %.9g\n", k, j, ana, num);
          sum_asym += fabs ((ana - num) / (fabs (ana) + fabs (num)));
          n_checked++;
          if (fabs (ana - num) > 1e-2 * MAX (grad_scale, 1e-3) + 1e-3 * fabs (num))
            g_error ("%s: gradient of input %u element %" G_GSIZE_FORMAT
                     ": analytic %.9g, finite differences %.9g", c->name, k, j, ana, num);
        }
      if (n_checked > 0 && !(sum_asym / n_checked <= grad_tol))
        g_error ("%s: gradient of input %u: mean absolute asymmetry %.3g > %.3g", c->name, k,
                 sum_asym / n_checked, grad_tol);
    }

  /* 3. the same on one thread: catches kernels whose threads race */
  {
    HarnessResult r1;
    int threads = omp_get_max_threads ();
    g_autofree double *y0 = g_new (double, MAX (r.y_n, 1));

    omp_set_num_threads (1);
    run_case (c, harness_context (EIGML_BACKEND_CPU), &d, &r1);
    omp_set_num_threads (threads);
    for (gsize j = 0; j < r.y_n; j++)
      y0[j] = r.y[j];
    assert_close ("one-thread forward", c->name, r1.y, y0, r.y_n, c->tol);
    for (guint k = 0; k < c->n_in; k++)
      {
        g_autofree double *g0 = NULL;
        if (!c->in[k].grad)
          continue;
        g0 = g_new (double, MAX (d.n[k], 1));
        for (gsize j = 0; j < d.n[k]; j++)
          g0[j] = r.grad[k][j];
        assert_close ("one-thread gradient", c->name, r1.grad[k], g0, d.n[k], c->tol);
      }
    result_clear (&r1);
  }

  for (guint k = 0; k < c->n_in; k++)
    g_free (xd[k]);
  result_clear (&r);
  data_clear (&d);
}

void
harness_check_vulkan (const HarnessCase *c)
{
  EigmlContext *vk = harness_context (EIGML_BACKEND_VULKAN);
  HarnessData d;
  HarnessResult rc, rv;

  if (vk == NULL)
    {
      g_test_skip ("no Vulkan device (EIGML_TEST_ALLOW_NO_VULKAN is set)");
      return;
    }
  data_make (c, &d);
  run_case (c, harness_context (EIGML_BACKEND_CPU), &d, &rc);
  run_case (c, vk, &d, &rv);

  {
    g_autofree double *yc = g_new (double, MAX (rc.y_n, 1));
    for (gsize j = 0; j < rc.y_n; j++)
      yc[j] = rc.y[j];
    assert_close ("vulkan forward", c->name, rv.y, yc, rc.y_n, c->tol);
  }
  for (guint k = 0; k < c->n_in; k++)
    {
      g_autofree double *gc = NULL;
      char what[64];
      if (!c->in[k].grad)
        continue;
      gc = g_new (double, MAX (d.n[k], 1));
      for (gsize j = 0; j < d.n[k]; j++)
        gc[j] = rc.grad[k][j];
      g_snprintf (what, sizeof what, "vulkan gradient of input %u", k);
      assert_close (what, c->name, rv.grad[k], gc, d.n[k], c->tol);
    }
  result_clear (&rc);
  result_clear (&rv);
  data_clear (&d);
}
