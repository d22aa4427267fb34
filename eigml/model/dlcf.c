/* dlcf.c: the dual-level contrastive framework, eq 2–10 (docs/model.md)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "model-build.h"

/* eq 2–3 semantic alignment; eq 4–5 L_emo; eq 7 L_int */
void
eigml_dlcf_inter (EigmlModelPass *p)
{
  EigmlGraph *g = p->g;
  const EigmlModelConfig *c = p->config;
  const EigmlHeads *h = p->heads;
  EigmlModelGraph *o = p->out;
  float tau = c->temperature;
  EigmlNode *t_hat, *v_hat, *v_hat_pos;

  t_hat = eigml_mo_normalize (g, eigml_linear_forward (g, &h->text_proj, p->t));
  v_hat = eigml_mo_normalize (g, eigml_linear_forward (g, &h->vision_proj, p->v));
  v_hat_pos = eigml_op_matmul (g, o->pos_select, v_hat, FALSE, FALSE);
  o->loss[EIGML_LOSS_I2T] = eigml_mo_infonce (g, v_hat_pos, t_hat, o->diag, tau);
  o->loss[EIGML_LOSS_T2I] = eigml_mo_infonce (g, t_hat, v_hat, o->pos_index, tau);

  if (!eigml_model_has (c, EIGML_COMPONENT_INTER))
    return;
  if (eigml_model_has (c, EIGML_COMPONENT_EMOTION))
    {
      EigmlNode *e_v_pos = eigml_op_matmul (g, o->pos_select, p->e_v, FALSE, FALSE);

      o->loss[EIGML_LOSS_EMO] = eigml_mo_kl_mean (g, eigml_mo_log_softmax (g, p->e_t),
                                                  eigml_mo_log_softmax (g, e_v_pos));
    }
  if (eigml_model_has (c, EIGML_COMPONENT_INTENTION))
    {
      EigmlNode *i_hat = eigml_mo_normalize (g, p->i_bar);
      EigmlNode *iv_hat = eigml_mo_normalize (g, p->i_v);
      EigmlNode *iv_hat_pos = eigml_op_matmul (g, o->pos_select, iv_hat, FALSE, FALSE);

      o->loss[EIGML_LOSS_INT] = eigml_op_add (g, eigml_mo_infonce (g, iv_hat_pos, i_hat, o->diag, tau),
                                              eigml_mo_infonce (g, i_hat, iv_hat, o->pos_index, tau));
    }
}

static EigmlNode *
sym_kl (EigmlGraph *g,
        const EigmlLinear *head,
        EigmlNode *u1,
        EigmlNode *u2)
{
  EigmlNode *l1 = eigml_mo_log_softmax (g, eigml_linear_forward (g, head, u1));
  EigmlNode *l2 = eigml_mo_log_softmax (g, eigml_linear_forward (g, head, u2));

  return eigml_op_scale (g, eigml_op_add (g, eigml_mo_kl_mean (g, l1, l2),
                                          eigml_mo_kl_mean (g, l2, l1)), 0.5f, 0.0f);
}

static EigmlNode *
instance_nce (EigmlModelPass *p,
              const EigmlLinear *head1,
              const EigmlLinear *head2,
              EigmlNode *u1,
              EigmlNode *u2)
{
  EigmlGraph *g = p->g;
  float tau = p->config->intra_temperature;
  EigmlNode *z1 = eigml_mo_normalize (g, eigml_linear_forward (g, head1, u1));
  EigmlNode *z2 = eigml_mo_normalize (g, eigml_linear_forward (g, head2, u2));

  return eigml_op_scale (g, eigml_op_add (g, eigml_mo_infonce (g, z1, z2, p->out->diag, tau),
                                          eigml_mo_infonce (g, z2, z1, p->out->diag, tau)),
                         0.5f, 0.0f);
}

/* eq 8–10: two dropout views of the [CLS] features of the dialogue and of
 * the positive sticker */
void
eigml_dlcf_intra (EigmlModelPass *p)
{
  EigmlGraph *g = p->g;
  const EigmlModelConfig *c = p->config;
  const EigmlHeads *h = p->heads;
  EigmlModelGraph *o = p->out;
  float prob = c->intra_dropout;
  EigmlNode *t1, *t2, *v1, *v2;

  if (!eigml_model_has (c, EIGML_COMPONENT_INTRA))
    return;
  t1 = eigml_mo_dropout (p, p->t, prob, EIGML_MASK_INTRA_T1);
  t2 = eigml_mo_dropout (p, p->t, prob, EIGML_MASK_INTRA_T2);
  v1 = eigml_mo_dropout (p, p->v_pos, prob, EIGML_MASK_INTRA_V1);
  v2 = eigml_mo_dropout (p, p->v_pos, prob, EIGML_MASK_INTRA_V2);
  if (eigml_model_has (c, EIGML_COMPONENT_EMOTION))
    {
      o->loss[EIGML_LOSS_INTRA_EMO_T] = sym_kl (g, &h->emo_head_t, t1, t2);
      o->loss[EIGML_LOSS_INTRA_EMO_V] = sym_kl (g, &h->emo_head_v, v1, v2);
    }
  if (eigml_model_has (c, EIGML_COMPONENT_INTENTION))
    {
      o->loss[EIGML_LOSS_INTRA_INT_T] = sym_kl (g, &h->int_head, t1, t2);
      o->loss[EIGML_LOSS_INTRA_INT_V] = sym_kl (g, &h->int_head, v1, v2);
    }
  o->loss[EIGML_LOSS_CON_T] = instance_nce (p, &h->intra[0], &h->intra[1], t1, t2);
  o->loss[EIGML_LOSS_CON_V] = instance_nce (p, &h->intra[2], &h->intra[3], v1, v2);
}
