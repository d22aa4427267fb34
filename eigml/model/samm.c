/* samm.c: similarity-adjusted matching, eq 17–19, and the matching loss
 * L_itm of eq 1 (docs/model.md)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "model-build.h"

#define BCE_EPS 1e-6f

gboolean
eigml_model_samm_active (const EigmlModelConfig *c)
{
  return eigml_model_has (c, EIGML_COMPONENT_SAMM) &&
         (eigml_model_has (c, EIGML_COMPONENT_EMOTION) ||
          eigml_model_has (c, EIGML_COMPONENT_INTENTION));
}

void
eigml_samm_build (EigmlModelPass *p)
{
  EigmlGraph *g = p->g;
  const EigmlModelConfig *c = p->config;
  const EigmlHeads *h = p->heads;
  EigmlModelGraph *o = p->out;
  EigmlNode *p_vl, *s_emo = NULL, *s_int = NULL, *s_ei, *p_final, *pt, *y, *loss;

  if (!p->train)
    {
      /* the parts of the score, reported by the ranker (eq 17) */
      if (p->e_t != NULL && p->e_v != NULL)
        o->s_emo = eigml_mo_cos01 (g, eigml_mo_expand (g, p->e_t, p->C), p->e_v);
      if (p->i_bar != NULL && p->i_v != NULL)
        o->s_int = eigml_mo_cos01 (g, eigml_mo_expand (g, p->i_bar, p->C), p->i_v);
    }
  if (!eigml_model_samm_active (c))
    {
      o->scores = eigml_op_sigmoid (g, p->p_vl_logit);
      o->p_vl = o->scores;
      if (p->train)
        o->loss[EIGML_LOSS_ITM] = eigml_op_mean_all (g, eigml_op_bce_with_logits (g, p->p_vl_logit,
                                                                                  o->labels));
      return;
    }

  p_vl = o->p_vl = eigml_op_sigmoid (g, p->p_vl_logit);
  if (eigml_model_has (c, EIGML_COMPONENT_EMOTION))
    s_emo = o->s_emo != NULL ? o->s_emo
                             : eigml_mo_cos01 (g, eigml_mo_expand (g, p->e_t, p->C), p->e_v);
  if (eigml_model_has (c, EIGML_COMPONENT_INTENTION))
    s_int = o->s_int != NULL ? o->s_int
                             : eigml_mo_cos01 (g, eigml_mo_expand (g, p->i_bar, p->C), p->i_v);
  if (s_emo != NULL && s_int != NULL)
    {
      /* eq 18: α s_emo + (1 − α) s_int = s_int + α (s_emo − s_int) */
      EigmlNode *alpha = eigml_op_sigmoid (g, eigml_graph_param (g, h->alpha));
      s_ei = eigml_op_add (g, s_int, eigml_op_mul (g, alpha, eigml_op_sub (g, s_emo, s_int)));
    }
  else
    s_ei = s_emo != NULL ? s_emo : s_int;
  /* eq 19: β p_vl + (1 − β) s_EI */
  {
    EigmlNode *beta = eigml_op_sigmoid (g, eigml_graph_param (g, h->beta));
    p_final = eigml_op_add (g, s_ei, eigml_op_mul (g, beta, eigml_op_sub (g, p_vl, s_ei)));
  }
  o->scores = p_final;
  if (!p->train)
    return;

  /* eq 1 on a probability: p̃ = ε + (1 − 2ε) p */
  y = o->labels;
  pt = eigml_op_scale (g, p_final, 1.0f - 2.0f * BCE_EPS, BCE_EPS);
  loss = eigml_op_add (g, eigml_op_mul (g, y, eigml_op_unary (g, EIGML_UNARY_LOG, pt)),
                       eigml_op_mul (g, eigml_op_scale (g, y, -1.0f, 1.0f),
                                     eigml_op_unary (g, EIGML_UNARY_LOG,
                                                     eigml_op_scale (g, pt, -1.0f, 1.0f))));
  o->loss[EIGML_LOSS_ITM] = eigml_op_scale (g, eigml_op_mean_all (g, loss), -1.0f, 0.0f);
}
