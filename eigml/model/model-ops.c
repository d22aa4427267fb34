/* model-ops.c: small graph helpers shared by the EIGML components
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "model-build.h"

gboolean
eigml_model_has (const EigmlModelConfig *c,
                 EigmlComponents what)
{
  return (c->components & what) == what;
}

static gboolean
reached (const EigmlModelConfig *c,
         gboolean by_iega)
{
  return eigml_model_has (c, EIGML_COMPONENT_INTER) || eigml_model_samm_active (c) ||
         (by_iega && eigml_model_iega_active (c));
}

/* E_v: L_emo, the intra emotion terms, s_emo */
gboolean
eigml_model_needs_e_v (const EigmlModelConfig *c)
{
  return eigml_model_has (c, EIGML_COMPONENT_EMOTION) &&
         (reached (c, FALSE) || eigml_model_has (c, EIGML_COMPONENT_INTRA));
}

/* I_v = f_int(v): L_int, the intra intention terms, s_int */
gboolean
eigml_model_needs_i_v (const EigmlModelConfig *c)
{
  return eigml_model_has (c, EIGML_COMPONENT_INTENTION) &&
         (reached (c, FALSE) || eigml_model_has (c, EIGML_COMPONENT_INTRA));
}

/* E_t: L_emo, IEGA's emotion token, s_emo */
gboolean
eigml_model_needs_e_t (const EigmlModelConfig *c)
{
  return eigml_model_has (c, EIGML_COMPONENT_EMOTION) && reached (c, TRUE);
}

/* EIKS' δ and gate: I'_t reaches L_int, IEGA or s_int */
gboolean
eigml_model_needs_eiks_refine (const EigmlModelConfig *c)
{
  return eigml_model_eiks_active (c) && reached (c, TRUE);
}

/* [B, T, H] -> [B, H], the [CLS] row */
EigmlNode *
eigml_mo_cls (EigmlGraph *g,
              EigmlNode *x)
{
  EigmlNode *s = eigml_op_slice (g, x, 1, 0, 1);

  if (s == NULL)
    return NULL;
  return eigml_mo_reshape2 (g, s, x->shape[0], x->shape[x->n_dims - 1]);
}

EigmlNode *
eigml_mo_reshape2 (EigmlGraph *g,
                   EigmlNode *x,
                   gint64 rows,
                   gint64 cols)
{
  gint64 shape[2] = { rows, cols };

  return eigml_op_reshape (g, x, 2, shape);
}

/* [B, rest...] -> [B * c, rest...]: row i repeated c times (row i * c + k) */
EigmlNode *
eigml_mo_expand (EigmlGraph *g,
                 EigmlNode *x,
                 gint64 c)
{
  gint64 rest = 1, shape3[3], out[EIGML_MAX_DIMS];
  guint n_dims;

  if (x == NULL)
    return NULL;
  n_dims = x->n_dims;
  out[0] = x->shape[0] * c;
  for (guint i = 1; i < n_dims; i++)
    {
      rest *= x->shape[i];
      out[i] = x->shape[i];
    }
  shape3[0] = x->shape[0];
  shape3[1] = 1;
  shape3[2] = rest;
  x = eigml_op_reshape (g, x, 3, shape3);
  shape3[1] = c;
  x = eigml_op_broadcast_to (g, x, 3, shape3);
  return eigml_op_reshape (g, x, n_dims, out);
}

EigmlNode *
eigml_mo_normalize (EigmlGraph *g,
                    EigmlNode *x)
{
  return eigml_op_l2_normalize (g, x, 1e-12f);
}

EigmlNode *
eigml_mo_log_softmax (EigmlGraph *g,
                      EigmlNode *x)
{
  return eigml_op_log_softmax (g, x, NULL, 1.0f);
}

/* mean over rows of CE(a bᵀ / tau, targets) */
EigmlNode *
eigml_mo_infonce (EigmlGraph *g,
                  EigmlNode *a,
                  EigmlNode *b,
                  EigmlNode *targets,
                  float tau)
{
  EigmlNode *logits = eigml_op_scale (g, eigml_op_matmul (g, a, b, FALSE, TRUE), 1.0f / tau, 0.0f);

  return eigml_op_mean_all (g, eigml_op_cross_entropy (g, logits, targets));
}

/* mean over rows of KL(p ‖ q) from log-probabilities */
EigmlNode *
eigml_mo_kl_mean (EigmlGraph *g,
                  EigmlNode *lp,
                  EigmlNode *lq)
{
  return eigml_op_mean_all (g, eigml_op_kl_div (g, lp, lq));
}

/* mean over rows of −Σ dist · log softmax(logits) */
EigmlNode *
eigml_mo_soft_ce (EigmlGraph *g,
                  EigmlNode *logits,
                  EigmlNode *dist)
{
  EigmlNode *s = eigml_op_sum_all (g, eigml_op_mul (g, dist, eigml_mo_log_softmax (g, logits)));

  if (s == NULL)
    return NULL;
  return eigml_op_scale (g, s, -1.0f / (float) logits->shape[0], 0.0f);
}

/* (1 + cos(a, b)) / 2 along the last axis: [M, H] x [M, H] -> [M] */
EigmlNode *
eigml_mo_cos01 (EigmlGraph *g,
                EigmlNode *a,
                EigmlNode *b)
{
  EigmlNode *dot = eigml_op_sum (g, eigml_op_mul (g, eigml_mo_normalize (g, a),
                                                  eigml_mo_normalize (g, b)), -1, FALSE);

  return eigml_op_scale (g, dot, 0.5f, 0.5f);
}

/* 1 at the maximum along @axis (ties share 1 equally), as the gradient of
 * max() with an upstream of ones; a constant of the backward pass. */
EigmlNode *
eigml_mo_argmax_share (EigmlGraph *g,
                       EigmlNode *x,
                       gint axis)
{
  EigmlNode *mx = eigml_op_max (g, x, axis, TRUE);
  EigmlNode *ones, *node;

  if (mx == NULL)
    return NULL;
  ones = eigml_op_fill (g, mx->n_dims, mx->shape, 1.0f);
  node = eigml_graph_new_node (g, EIGML_OP_REDUCE_MAX_BACKWARD, EIGML_DTYPE_F32, x->n_dims,
                               x->shape);
  if (node == NULL || ones == NULL)
    return NULL;
  eigml_node_add_src (node, x);
  eigml_node_add_src (node, mx);
  eigml_node_add_src (node, ones);
  node->ip[1] = mx->ip[1];   /* the reduction's axes, as the backends index them */
  node->flags |= EIGML_NODE_NO_GRAD;
  return node;
}

static const char *const mask_names[EIGML_N_MASKS] = {
  "mask.intra_t1", "mask.intra_t2", "mask.intra_v1", "mask.intra_v2", "mask.drop_path",
};

/* Dropout in a training pass: the engine's Philox mask, or (for the
 * reference test) a mask given as an input of x's shape. */
EigmlNode *
eigml_mo_dropout (EigmlModelPass *p,
                  EigmlNode *x,
                  float prob,
                  EigmlMaskKind kind)
{
  if (x == NULL || !p->train)
    return x;
  if (p->out->flags & EIGML_MODEL_GRAPH_EXTERNAL_MASKS)
    {
      EigmlNode *m = p->out->masks[kind];

      if (m == NULL)
        m = p->out->masks[kind] = eigml_graph_input (p->g, mask_names[kind], EIGML_DTYPE_F32,
                                                     x->n_dims, x->shape);
      return eigml_op_mul (p->g, x, m);
    }
  if (prob <= 0.0f)
    return x;
  return eigml_op_dropout (p->g, x, prob);
}

/* a loss as a [1] tensor */
EigmlNode *
eigml_mo_scalar (EigmlGraph *g,
                 EigmlNode *x)
{
  gint64 one = 1;

  if (x == NULL)
    return NULL;
  return eigml_op_reshape (g, x, 1, &one);
}
