/* eigml-selection-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "eigml-selection.h"

G_BEGIN_DECLS

enum
{
  EIGML_SELECTION_SCORE,
  EIGML_SELECTION_P_VL,
  EIGML_SELECTION_S_EMO,
  EIGML_SELECTION_S_INT,
  EIGML_SELECTION_N_PARTS
};

EigmlSelection *eigml_selection_new_take (guint n, char **ids, guint *indices, float *parts,
                                          guint *lexical_ranks, EigmlEmotion emotion,
                                          float *distribution, gsize n_distribution,
                                          EigmlIntents *intents);

G_END_DECLS
