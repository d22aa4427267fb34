/* eigml-metrics-private.h: an accumulator's examples as bytes, to gather
 * the shards of a distributed evaluation on one rank
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "eigml-metrics.h"

G_BEGIN_DECLS

/* Every example (id, scores, positives), in host byte order. */
GBytes *eigml_metrics_pack (EigmlMetrics *self);
/* Adds the examples of eigml_metrics_pack() output, as eigml_metrics_add(). */
gboolean eigml_metrics_add_packed (EigmlMetrics *self, GBytes *packed, GError **error);

G_END_DECLS
