/* model-build.h: small graph helpers and the component builders of EIGML
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "model-private.h"

G_BEGIN_DECLS

/* What the components hand each other while one pass is built. */
typedef struct
{
  EigmlGraph *g;
  const EigmlModelConfig *config;
  const EigmlHeads *heads;
  EigmlModelGraph *out;
  gboolean train;
  gint64 B, C, N, H;
  EigmlNode *f_t, *t;              /* [B, T, H], [B, H] */
  EigmlNode *f_v, *v, *v_pos;      /* [N, P+1, H], [N, H], [B, H] */
  EigmlNode *i_t;                  /* [B, R, H] knowledge, then I'_t after EIKS */
  EigmlNode *keep;                 /* [B, R] m_r (no gradient) or NULL: keep all */
  EigmlNode *i_bar;                /* [B, H] the dialogue's intention vector */
  EigmlNode *e_t;                  /* [B, H] E_t */
  EigmlNode *e_v;                  /* [N, H] E_v */
  EigmlNode *i_v;                  /* [N, H] I_v */
  EigmlNode *p_vl_logit;           /* [N] s_vl */
} EigmlModelPass;

gboolean eigml_model_has (const EigmlModelConfig *c, EigmlComponents what);
/* a component that is on and has what it needs (docs/model.md) */
gboolean eigml_model_eiks_active (const EigmlModelConfig *c);
gboolean eigml_model_iega_active (const EigmlModelConfig *c);
gboolean eigml_model_samm_active (const EigmlModelConfig *c);
/* Parts that some loss or the score reaches (a part nothing reaches has
 * no parameters: a checkpoint holds exactly what a config trains). */
gboolean eigml_model_needs_e_v (const EigmlModelConfig *c);
gboolean eigml_model_needs_i_v (const EigmlModelConfig *c);
gboolean eigml_model_needs_e_t (const EigmlModelConfig *c);
gboolean eigml_model_needs_eiks_refine (const EigmlModelConfig *c);

EigmlNode *eigml_mo_cls (EigmlGraph *g, EigmlNode *x);
EigmlNode *eigml_mo_reshape2 (EigmlGraph *g, EigmlNode *x, gint64 rows, gint64 cols);
EigmlNode *eigml_mo_expand (EigmlGraph *g, EigmlNode *x, gint64 c);
EigmlNode *eigml_mo_infonce (EigmlGraph *g, EigmlNode *a, EigmlNode *b, EigmlNode *targets,
                             float tau);
EigmlNode *eigml_mo_kl_mean (EigmlGraph *g, EigmlNode *lp, EigmlNode *lq);
EigmlNode *eigml_mo_log_softmax (EigmlGraph *g, EigmlNode *x);
EigmlNode *eigml_mo_soft_ce (EigmlGraph *g, EigmlNode *logits, EigmlNode *dist);
EigmlNode *eigml_mo_cos01 (EigmlGraph *g, EigmlNode *a, EigmlNode *b);
EigmlNode *eigml_mo_normalize (EigmlGraph *g, EigmlNode *x);
EigmlNode *eigml_mo_argmax_share (EigmlGraph *g, EigmlNode *x, gint axis);
EigmlNode *eigml_mo_dropout (EigmlModelPass *p, EigmlNode *x, float prob, EigmlMaskKind kind);
EigmlNode *eigml_mo_scalar (EigmlGraph *g, EigmlNode *x);

/* dlcf.c: eq 2–10 */
void eigml_dlcf_inter (EigmlModelPass *p);
void eigml_dlcf_intra (EigmlModelPass *p);
/* eiks.c: eq 11–13 and ī */
void eigml_eiks_build (EigmlModelPass *p);
/* iega.c: eq 14–16 and s_vl */
void eigml_iega_build (EigmlModelPass *p);
/* samm.c: eq 17–19 and the matching loss, eq 1 */
void eigml_samm_build (EigmlModelPass *p);

G_END_DECLS
