/* iega.c: intention-emotion guided attention fusion, eq 14–16, and the
 * matching logit s_vl (docs/model.md)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>

#include "model-build.h"

gboolean
eigml_model_iega_active (const EigmlModelConfig *c)
{
  return eigml_model_has (c, EIGML_COMPONENT_IEGA) &&
         (eigml_model_has (c, EIGML_COMPONENT_EMOTION) ||
          eigml_model_has (c, EIGML_COMPONENT_INTENTION));
}

void
eigml_iega_build (EigmlModelPass *p)
{
  EigmlGraph *g = p->g;
  const EigmlModelConfig *c = p->config;
  const EigmlHeads *h = p->heads;
  gint64 B = p->B, C = p->C, N = p->N, H = p->H, nh = c->fusion_heads, d = H / nh;
  gint64 s_q[4] = { B, nh, 1, d };
  float scale = 1.0f / sqrtf ((float) d);
  EigmlNode *k, *v, *q_t, *e_fuse, *x;

  k = eigml_split_heads (g, eigml_linear_forward (g, &h->k_vis, p->f_v), nh);   /* [N, nh, P1, d] */
  v = eigml_split_heads (g, eigml_linear_forward (g, &h->v_vis, p->f_v), nh);
  q_t = eigml_op_reshape (g, eigml_linear_forward (g, &h->q_text, p->t), 4, s_q);  /* [B, nh, 1, d] */

  if (eigml_model_iega_active (c))
    {
      EigmlNode *parts[2], *mask_parts[2], *e_it, *q_ei, *att, *v_eiv, *a, *mask = NULL;
      guint n = 0, n_mask = 0;
      gint64 s_zero[2] = { B, 1 };

      if (eigml_model_has (c, EIGML_COMPONENT_INTENTION))
        {
          parts[n++] = p->i_t;
          if (p->keep != NULL)
            mask_parts[n_mask++] = eigml_op_scale (g, p->keep, 10000.0f, -10000.0f);
        }
      if (eigml_model_has (c, EIGML_COMPONENT_EMOTION))
        {
          gint64 s_b1h[3] = { B, 1, H };

          parts[n++] = eigml_op_reshape (g, p->e_t, 3, s_b1h);
          if (n_mask > 0)
            mask_parts[n_mask++] = eigml_op_fill (g, 2, s_zero, 0.0f);
        }
      e_it = n == 1 ? parts[0] : eigml_op_concat (g, parts, n, 1);   /* [B, Q, H] */
      if (n_mask > 0)
        {
          EigmlNode *m = n_mask == 1 ? mask_parts[0] : eigml_op_concat (g, mask_parts, n_mask, 1);
          gint64 s_m[4] = { B, 1, 1, m ? m->shape[1] : 1 };

          mask = eigml_op_reshape (g, m, 4, s_m);
        }
      q_ei = eigml_split_heads (g, eigml_linear_forward (g, &h->q_ei, e_it), nh);  /* [B, nh, Q, d] */
      /* eq 14: the knowledge and emotion tokens read each candidate */
      att = eigml_op_softmax (g, eigml_op_matmul (g, eigml_mo_expand (g, q_ei, C), k, FALSE, TRUE),
                              NULL, scale);
      v_eiv = eigml_op_matmul (g, att, v, FALSE, FALSE);                 /* [N, nh, Q, d] */
      /* eq 15: the dialogue's [CLS] reads them */
      a = eigml_op_softmax (g, eigml_op_matmul (g, q_t, q_ei, FALSE, TRUE), mask, scale);
      e_fuse = eigml_op_matmul (g, eigml_mo_expand (g, a, C), v_eiv, FALSE, FALSE);
    }
  else
    {
      EigmlNode *att = eigml_op_softmax (g, eigml_op_matmul (g, eigml_mo_expand (g, q_t, C), k,
                                                             FALSE, TRUE),
                                         NULL, scale);
      e_fuse = eigml_op_matmul (g, att, v, FALSE, FALSE);                /* [N, nh, 1, d] */
    }
  e_fuse = eigml_mo_reshape2 (g, e_fuse, N, H);

  /* eq 16: Z = f_fuse(LN(t + SD(E_fuse))), on the [CLS] row */
  if (p->train)
    {
      gint64 s_n1[2] = { N, 1 };
      EigmlNode *keep = eigml_mo_dropout (p, eigml_op_fill (g, 2, s_n1, 1.0f), c->drop_path,
                                          EIGML_MASK_DROP_PATH);
      e_fuse = eigml_op_mul (g, e_fuse, keep);
    }
  x = eigml_layer_norm_forward (g, &h->ln, eigml_op_add (g, eigml_mo_expand (g, p->t, C), e_fuse));
  x = eigml_linear_forward (g, &h->fuse2, eigml_op_gelu (g, eigml_linear_forward (g, &h->fuse1, x)));
  {
    gint64 n = N;
    p->p_vl_logit = eigml_op_reshape (g, eigml_linear_forward (g, &h->itm_head, x), 1, &n);
  }
}
