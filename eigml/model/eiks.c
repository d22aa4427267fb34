/* eiks.c: emotion-guided intention knowledge selection, eq 11–13
 * (docs/model.md), and the dialogue's intention vector ī
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "model-build.h"

gboolean
eigml_model_eiks_active (const EigmlModelConfig *c)
{
  return eigml_model_has (c, EIGML_COMPONENT_EIKS | EIGML_COMPONENT_EMOTION |
                             EIGML_COMPONENT_INTENTION);
}

void
eigml_eiks_build (EigmlModelPass *p)
{
  EigmlGraph *g = p->g;
  const EigmlModelConfig *c = p->config;
  const EigmlHeads *h = p->heads;
  EigmlModelGraph *o = p->out;
  gint64 B = p->B, R = EIGML_N_RELATIONS, E = c->n_emotions, H = p->H;
  gint64 s_b1e[3] = { B, 1, E }, s_b11[3] = { B, 1, 1 }, s_br1[3] = { B, R, 1 };
  gint64 s_b1h[3] = { B, 1, H };
  EigmlNode *lq, *q, *e3, *loss_r, *excluded, *w_prime, *diff, *guide, *keep3, *gbar, *delta;
  EigmlNode *delta3, *i_ke, *gate;

  if (!eigml_model_eiks_active (c))
    {
      p->keep = NULL;
      p->i_bar = eigml_op_mean (g, p->i_t, 1, FALSE);
      return;
    }

  /* L'_emo on the dialogue */
  o->loss[EIGML_LOSS_EMO_PRIME] = eigml_mo_soft_ce (g, eigml_linear_forward (g, &h->emo_head_t,
                                                                             p->t),
                                                    o->emo_dist);

  /* eq 11: the relation whose knowledge explains the emotion worst */
  {
    EigmlNode *z = eigml_linear_forward (g, &h->emo_head_t, p->i_t);   /* [B, R, E] */
    lq = eigml_mo_log_softmax (g, z);
    q = eigml_op_softmax (g, z, NULL, 1.0f);
  }
  e3 = eigml_op_reshape (g, o->emo_dist, 3, s_b1e);
  loss_r = eigml_op_scale (g, eigml_op_sum (g, eigml_op_mul (g, e3, lq), -1, FALSE), -1.0f, 0.0f);
  excluded = eigml_mo_argmax_share (g, loss_r, 1);
  /* m_r = 1 − has_emo · x_r: no gradient (inputs and a NO_GRAD node) */
  p->keep = eigml_op_scale (g, eigml_op_mul (g, excluded, o->has_emo), -1.0f, 1.0f);

  if (h->delta1.weight == NULL)
    {
      /* nothing downstream reads I'_t: only L'_emo and the exclusion remain */
      keep3 = eigml_op_reshape (g, p->keep, 3, s_br1);
      p->i_bar = eigml_op_div (g, eigml_op_sum (g, eigml_op_mul (g, p->i_t, keep3), 1, FALSE),
                               eigml_op_sum (g, p->keep, 1, TRUE));
      return;
    }

  /* the guidance matrix G_r = (q_r Σe − e) W' = ∂ℓ_r/∂I_t^r */
  w_prime = eigml_graph_param (g, h->emo_head_t.weight);                 /* [E, H] */
  diff = eigml_op_sub (g, eigml_op_mul (g, q, eigml_op_reshape (g, eigml_op_sum (g, o->emo_dist,
                                                                                -1, TRUE),
                                                                3, s_b11)),
                       e3);
  guide = eigml_op_matmul (g, diff, w_prime, FALSE, FALSE);              /* [B, R, H] */
  keep3 = eigml_op_reshape (g, p->keep, 3, s_br1);
  gbar = eigml_op_div (g, eigml_op_sum (g, eigml_op_mul (g, guide, keep3), 1, FALSE),
                       eigml_op_sum (g, p->keep, 1, TRUE));               /* [B, H] */

  /* δ = f_δ(Ḡ); I_ke = I_t + δ; eq 12–13 gate */
  delta = eigml_linear_forward (g, &h->delta2,
                                eigml_op_gelu (g, eigml_linear_forward (g, &h->delta1, gbar)));
  delta3 = eigml_op_reshape (g, delta, 3, s_b1h);
  i_ke = eigml_op_add (g, p->i_t, delta3);
  {
    EigmlNode *both[2] = { p->i_t, i_ke };
    gate = eigml_op_sigmoid (g, eigml_linear_forward (g, &h->gate,
                                                      eigml_op_concat (g, both, 2, 2)));
  }
  /* I'_t = w ⊙ I_ke + (1 − w) ⊙ I_t = I_t + w ⊙ δ */
  p->i_t = eigml_op_add (g, p->i_t, eigml_op_mul (g, gate, delta3));

  /* ī: the mean of the kept relations */
  p->i_bar = eigml_op_div (g, eigml_op_sum (g, eigml_op_mul (g, p->i_t, keep3), 1, FALSE),
                           eigml_op_sum (g, p->keep, 1, TRUE));
}
