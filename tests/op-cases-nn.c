/* op-cases-nn.c: op cases for softmax, normalisation, embedding, dropout
 * and the losses
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "op-cases.h"
#include "engine/philox.h"

#include <math.h>
#include <string.h>

static gint64
last_dim (const HarnessInput *in)
{
  return in->shape[in->n_dims - 1];
}

/* ---- softmax -------------------------------------------------------------- */

/* ip[0] log, ip[1] has mask (in[1]), fp[0] scale */
static EigmlNode *
build_softmax (EigmlGraph *g,
               EigmlNode **x,
               const HarnessCase *c)
{
  EigmlNode *mask = c->ip[1] ? x[1] : NULL;

  if (c->ip[0])
    return eigml_op_log_softmax (g, x[0], mask, (float) c->fp[0]);
  return eigml_op_softmax (g, x[0], mask, (float) c->fp[0]);
}

static void
ref_softmax (const HarnessCase *c,
             double *const *x,
             double *y,
             guint y_dims,
             const gint64 *y_shape)
{
  gint64 o4[4], sm[4] = { 0 };
  gint64 C = y_shape[y_dims - 1], rows = harness_numel (y_dims, y_shape) / C;
  double scale = (float) c->fp[0];

  harness_shape4 (y_dims, y_shape, o4);
  if (c->ip[1])
    harness_bstrides4 (c->in[1].n_dims, c->in[1].shape, o4, sm);
  for (gint64 r = 0; r < rows; r++)
    {
      gint64 i2 = r % o4[2], i1 = (r / o4[2]) % o4[1], i0 = r / (o4[2] * o4[1]);
      double max = -INFINITY, sum = 0.0;
      for (gint64 j = 0; j < C; j++)
        {
          double v = x[0][r * C + j] * scale;
          if (c->ip[1])
            v += x[1][i0 * sm[0] + i1 * sm[1] + i2 * sm[2] + j];
          y[r * C + j] = v;
          max = MAX (max, v);
        }
      if (max == -INFINITY)
        {
          for (gint64 j = 0; j < C; j++)
            y[r * C + j] = 0.0;
          continue;
        }
      for (gint64 j = 0; j < C; j++)
        sum += exp (y[r * C + j] - max);
      for (gint64 j = 0; j < C; j++)
        y[r * C + j] = c->ip[0] ? y[r * C + j] - max - log (sum) : exp (y[r * C + j] - max) / sum;
    }
}

static void
gen_softmax (GRand *rand,
             guint variant,
             HarnessCase *c)
{
  guint n_dims = (guint) g_rand_int_range (rand, 1, 5);
  gint64 shape[4];

  harness_random_shape (rand, n_dims, shape, 20000);
  if (variant < 2)
    {
      n_dims = 1;
      shape[0] = 1;
    }
  c->ip[0] = variant & 1;
  c->ip[1] = variant >= 4 && (variant & 2);
  c->fp[0] = variant < 4 ? 1.0 : 0.125 * (1 + variant % 7);
  c->n_in = 1;
  harness_input_f32 (&c->in[0], n_dims, shape, TRUE);
  c->in[0].lo = -3.0;
  c->in[0].hi = 3.0;
  if (c->ip[1])
    {
      /* an attention-style mask: [.., 1, T] broadcast over rows */
      gint64 mshape[4];
      memcpy (mshape, shape, sizeof mshape);
      for (guint i = 0; i + 1 < n_dims; i++)
        if (g_rand_boolean (rand))
          mshape[i] = 1;
      harness_input_f32 (&c->in[1], n_dims, mshape, FALSE);
      c->in[1].lo = -2.0;
      c->in[1].hi = 0.0;
      c->n_in = 2;
    }
  c->build = build_softmax;
  c->ref = ref_softmax;
  c->tol = 1e-5;
  g_snprintf (c->name, sizeof c->name, "softmax/%s%s-%u-%" G_GINT64_FORMAT,
              c->ip[0] ? "log" : "plain", c->ip[1] ? "-masked" : "", variant, shape[n_dims - 1]);
}

/* A mask with -inf entries, one row entirely hidden: rows stay finite. */
static EigmlNode *
build_softmax_inf (EigmlGraph *g,
                   EigmlNode **x,
                   const HarnessCase *c)
{
  gint64 rows = x[0]->shape[0], cols = x[0]->shape[1];
  g_autofree float *m = g_new (float, rows * cols);
  EigmlNode *mask;

  for (gint64 r = 0; r < rows; r++)
    for (gint64 j = 0; j < cols; j++)
      m[r * cols + j] = (r == 1 || (j % 3 == 2)) ? -INFINITY : 0.0f;
  mask = eigml_graph_constant (g, "mask", 2, x[0]->shape, m);
  if (c->ip[0])
    return eigml_op_log_softmax (g, x[0], mask, 1.0f);
  return eigml_op_softmax (g, x[0], mask, 1.0f);
}

static void
ref_softmax_inf (const HarnessCase *c,
                 double *const *x,
                 double *y,
                 guint y_dims,
                 const gint64 *y_shape)
{
  gint64 rows = y_shape[0], cols = y_shape[1];

  for (gint64 r = 0; r < rows; r++)
    {
      double max = -INFINITY, sum = 0.0;
      if (r == 1)
        {
          for (gint64 j = 0; j < cols; j++)
            y[r * cols + j] = 0.0;
          continue;
        }
      for (gint64 j = 0; j < cols; j++)
        if (j % 3 != 2)
          max = MAX (max, x[0][r * cols + j]);
      for (gint64 j = 0; j < cols; j++)
        if (j % 3 != 2)
          sum += exp (x[0][r * cols + j] - max);
      for (gint64 j = 0; j < cols; j++)
        {
          double v = x[0][r * cols + j];
          if (j % 3 == 2)
            y[r * cols + j] = c->ip[0] ? -INFINITY : 0.0;
          else
            y[r * cols + j] = c->ip[0] ? v - max - log (sum) : exp (v - max) / sum;
        }
    }
}

static void
gen_softmax_inf (GRand *rand,
                 guint variant,
                 HarnessCase *c)
{
  gint64 shape[2] = { 4, 7 + 13 * variant };

  c->ip[0] = 0; /* log-softmax of -inf is -inf: its loss weight would be NaN */
  c->n_in = 1;
  harness_input_f32 (&c->in[0], 2, shape, TRUE);
  c->build = build_softmax_inf;
  c->ref = ref_softmax_inf;
  c->tol = 1e-5;
  g_snprintf (c->name, sizeof c->name, "softmax/inf-mask-%u", variant);
}

/* ---- layer norm and l2 ---------------------------------------------------- */

/* ip[0] 0 layer norm / 1 l2; ip[1] has gamma (in[1]); ip[2] has beta; fp[0] eps */
static EigmlNode *
build_norm (EigmlGraph *g,
            EigmlNode **x,
            const HarnessCase *c)
{
  if (c->ip[0] == 1)
    return eigml_op_l2_normalize (g, x[0], (float) c->fp[0]);
  return eigml_op_layer_norm (g, x[0], c->ip[1] ? x[1] : NULL,
                              c->ip[2] ? x[c->ip[1] ? 2 : 1] : NULL, (float) c->fp[0]);
}

static void
ref_norm (const HarnessCase *c,
          double *const *x,
          double *y,
          guint y_dims,
          const gint64 *y_shape)
{
  gint64 C = y_shape[y_dims - 1], rows = harness_numel (y_dims, y_shape) / C;
  double eps = (float) c->fp[0];
  const double *gamma = c->ip[1] ? x[1] : NULL;
  const double *beta = c->ip[2] ? x[c->ip[1] ? 2 : 1] : NULL;

  for (gint64 r = 0; r < rows; r++)
    {
      const double *xr = x[0] + r * C;
      if (c->ip[0] == 1)
        {
          double ss = 0.0;
          for (gint64 j = 0; j < C; j++)
            ss += xr[j] * xr[j];
          for (gint64 j = 0; j < C; j++)
            y[r * C + j] = xr[j] / MAX (sqrt (ss), eps);
        }
      else
        {
          double mean = 0.0, var = 0.0;
          for (gint64 j = 0; j < C; j++)
            mean += xr[j];
          mean /= C;
          for (gint64 j = 0; j < C; j++)
            var += (xr[j] - mean) * (xr[j] - mean);
          var /= C;
          for (gint64 j = 0; j < C; j++)
            {
              double v = (xr[j] - mean) / sqrt (var + eps);
              y[r * C + j] = v * (gamma ? gamma[j] : 1.0) + (beta ? beta[j] : 0.0);
            }
        }
    }
}

static void
gen_norm (GRand *rand,
          guint variant,
          HarnessCase *c)
{
  guint n_dims = (guint) g_rand_int_range (rand, 1, 4);
  gint64 shape[4];
  gboolean l2 = variant % 4 == 3;

  harness_random_shape (rand, n_dims, shape, 20000);
  if (shape[n_dims - 1] < 3)
    shape[n_dims - 1] = 3; /* with 2 features LayerNorm is constant: no gradient to check */
  c->ip[0] = l2;
  c->ip[1] = !l2 && (variant % 4 != 2);
  c->ip[2] = !l2 && (variant % 4 == 0 || variant % 4 == 2);
  c->fp[0] = l2 ? 1e-12 : (variant % 2 ? 1e-6 : 1e-12);
  c->n_in = 1;
  harness_input_f32 (&c->in[0], n_dims, shape, TRUE);
  c->in[0].lo = -2.0;
  c->in[0].hi = 3.0;
  if (c->ip[1])
    {
      harness_input_f32 (&c->in[c->n_in], 1, &shape[n_dims - 1], TRUE);
      c->in[c->n_in].lo = 0.5;
      c->in[c->n_in++].hi = 1.5;
    }
  if (c->ip[2])
    harness_input_f32 (&c->in[c->n_in++], 1, &shape[n_dims - 1], TRUE);
  c->build = build_norm;
  c->ref = ref_norm;
  c->tol = 1e-5;
  g_snprintf (c->name, sizeof c->name, "norm/%s%s%s-%u-%" G_GINT64_FORMAT,
              l2 ? "l2" : "layernorm", c->ip[1] ? "-gamma" : "", c->ip[2] ? "-beta" : "", variant,
              shape[n_dims - 1]);
}

/* ---- embedding ------------------------------------------------------------ */

static EigmlNode *
build_embedding (EigmlGraph *g,
                 EigmlNode **x,
                 const HarnessCase *c)
{
  return eigml_op_embedding (g, x[0], x[1]);
}

static void
ref_embedding (const HarnessCase *c,
               double *const *x,
               double *y,
               guint y_dims,
               const gint64 *y_shape)
{
  gint64 d = c->in[0].shape[1];
  gint64 n = harness_numel (c->in[1].n_dims, c->in[1].shape);

  for (gint64 i = 0; i < n; i++)
    for (gint64 j = 0; j < d; j++)
      y[i * d + j] = x[0][(gint64) x[1][i] * d + j];
}

static void
gen_embedding (GRand *rand,
               guint variant,
               HarnessCase *c)
{
  gint64 table[2] = { variant == 0 ? 1 : harness_dim (rand) + 3, variant == 0 ? 1 : harness_dim (rand) };
  guint id_dims = (guint) g_rand_int_range (rand, 1, 4);
  gint64 ids[3];

  harness_random_shape (rand, id_dims, ids, 200);
  c->n_in = 2;
  harness_input_f32 (&c->in[0], 2, table, TRUE);
  memset (&c->in[1], 0, sizeof c->in[1]);
  c->in[1].dtype = EIGML_DTYPE_I32;
  c->in[1].n_dims = id_dims;
  memcpy (c->in[1].shape, ids, sizeof ids);
  c->in[1].lo = 0;
  c->in[1].hi = (double) table[0]; /* repeated ids: the gradient must sum them */
  c->build = build_embedding;
  c->ref = ref_embedding;
  c->tol = 1e-6;
  g_snprintf (c->name, sizeof c->name, "embedding/%u-v%" G_GINT64_FORMAT "-d%" G_GINT64_FORMAT,
              variant, table[0], table[1]);
}

/* ---- dropout -------------------------------------------------------------- */

/* fp[0] p; the graph's RNG is (0x5eed1234, 7) as op-harness.c sets it */
static EigmlNode *
build_dropout (EigmlGraph *g,
               EigmlNode **x,
               const HarnessCase *c)
{
  return eigml_op_dropout (g, x[0], (float) c->fp[0]);
}

static void
ref_dropout (const HarnessCase *c,
             double *const *x,
             double *y,
             guint y_dims,
             const gint64 *y_shape)
{
  gint64 n = harness_numel (y_dims, y_shape);
  float p = (float) c->fp[0];
  float scale = 1.0f / (1.0f - p);

  for (gint64 i = 0; i < n; i++)
    {
      guint32 w = eigml_philox_word (0x5eed1234u, 7u, 0, (guint64) i);
      y[i] = eigml_philox_uniform (w) >= p ? x[0][i] * (double) scale : 0.0;
    }
}

static void
gen_dropout (GRand *rand,
             guint variant,
             HarnessCase *c)
{
  guint n_dims = (guint) g_rand_int_range (rand, 1, 5);
  gint64 shape[4];

  harness_random_shape (rand, n_dims, shape, 30000);
  c->fp[0] = (double) (float) (0.1 + 0.2 * (variant % 4));
  c->n_in = 1;
  harness_input_f32 (&c->in[0], n_dims, shape, TRUE);
  c->build = build_dropout;
  c->ref = ref_dropout;
  c->tol = 1e-6;
  g_snprintf (c->name, sizeof c->name, "dropout/%u-p%.1f-%" G_GINT64_FORMAT, variant, c->fp[0],
              harness_numel (n_dims, shape));
}

/* ---- losses --------------------------------------------------------------- */

/* ip[0]: 0 cross-entropy (in[1] targets), 1 BCE (in[1] targets), 2 KL of
 * log_softmax(in[0]) || log_softmax(in[1]) */
static EigmlNode *
build_loss (EigmlGraph *g,
            EigmlNode **x,
            const HarnessCase *c)
{
  switch (c->ip[0])
    {
    case 0:
      return eigml_op_cross_entropy (g, x[0], x[1]);
    case 1:
      return eigml_op_bce_with_logits (g, x[0], x[1]);
    default:
      return eigml_op_kl_div (g, eigml_op_log_softmax (g, x[0], NULL, 1.0f),
                              eigml_op_log_softmax (g, x[1], NULL, 1.0f));
    }
}

static void
log_softmax_rows (const double *x,
                  double *y,
                  gint64 rows,
                  gint64 C)
{
  for (gint64 r = 0; r < rows; r++)
    {
      double max = -INFINITY, sum = 0.0;
      for (gint64 j = 0; j < C; j++)
        max = MAX (max, x[r * C + j]);
      for (gint64 j = 0; j < C; j++)
        sum += exp (x[r * C + j] - max);
      for (gint64 j = 0; j < C; j++)
        y[r * C + j] = x[r * C + j] - max - log (sum);
    }
}

static void
ref_loss (const HarnessCase *c,
          double *const *x,
          double *y,
          guint y_dims,
          const gint64 *y_shape)
{
  gint64 C = last_dim (&c->in[0]);
  gint64 n = harness_numel (c->in[0].n_dims, c->in[0].shape);
  gint64 rows = n / C;

  switch (c->ip[0])
    {
    case 0:
      {
        g_autofree double *lp = g_new (double, n);
        log_softmax_rows (x[0], lp, rows, C);
        for (gint64 r = 0; r < rows; r++)
          {
            gint64 t = (gint64) x[1][r];
            y[r] = t < 0 ? 0.0 : -lp[r * C + t];
          }
      }
      break;
    case 1:
      for (gint64 i = 0; i < n; i++)
        {
          double v = x[0][i], t = x[1][i];
          y[i] = MAX (v, 0.0) - v * t + log1p (exp (-fabs (v)));
        }
      break;
    default:
      {
        g_autofree double *lp = g_new (double, n);
        g_autofree double *lq = g_new (double, n);
        log_softmax_rows (x[0], lp, rows, C);
        log_softmax_rows (x[1], lq, rows, C);
        for (gint64 r = 0; r < rows; r++)
          {
            double s = 0.0;
            for (gint64 j = 0; j < C; j++)
              s += exp (lp[r * C + j]) * (lp[r * C + j] - lq[r * C + j]);
            y[r] = s;
          }
      }
      break;
    }
}

static void
gen_loss (GRand *rand,
          guint variant,
          HarnessCase *c)
{
  static const char *names[] = { "cross_entropy", "bce_with_logits", "kl_div" };
  guint kind = variant % 3;
  guint n_dims = (guint) g_rand_int_range (rand, 1, 4);
  gint64 shape[4];

  harness_random_shape (rand, n_dims, shape, 20000);
  if (variant < 3)
    {
      n_dims = 1;
      shape[0] = kind == 1 ? 1 : 2;
    }
  c->ip[0] = kind;
  c->n_in = 2;
  harness_input_f32 (&c->in[0], n_dims, shape, TRUE);
  c->in[0].lo = -3.0;
  c->in[0].hi = 3.0;
  switch (kind)
    {
    case 0:
      memset (&c->in[1], 0, sizeof c->in[1]);
      c->in[1].dtype = EIGML_DTYPE_I32;
      c->in[1].n_dims = n_dims - 1;
      memcpy (c->in[1].shape, shape, sizeof shape);
      c->in[1].lo = -1; /* -1: ignored rows */
      c->in[1].hi = (double) shape[n_dims - 1];
      break;
    case 1:
      harness_input_f32 (&c->in[1], n_dims, shape, TRUE);
      c->in[1].lo = 0.0;
      c->in[1].hi = 1.0;
      break;
    default:
      harness_input_f32 (&c->in[1], n_dims, shape, TRUE);
      c->in[1].lo = -3.0;
      c->in[1].hi = 3.0;
      break;
    }
  c->build = build_loss;
  c->ref = ref_loss;
  c->tol = 1e-5;
  g_snprintf (c->name, sizeof c->name, "loss/%s-%u-%" G_GINT64_FORMAT, names[kind], variant,
              harness_numel (n_dims, shape));
}

const HarnessFamily op_cases_nn[] = {
  { "softmax", gen_softmax, 16 },
  { "softmax-inf", gen_softmax_inf, 3 },
  { "norm", gen_norm, 16 },
  { "embedding", gen_embedding, 8 },
  { "dropout", gen_dropout, 8 },
  { "loss", gen_loss, 15 },
  { NULL, NULL, 0 },
};
