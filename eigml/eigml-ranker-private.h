/* eigml-ranker-private.h: sharded evaluation, for the data-parallel trainer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "eigml-ranker.h"

G_BEGIN_DECLS

gboolean eigml_ranker_evaluate_shard (EigmlRanker *self, EigmlDataset *dataset,
                                      EigmlMetrics *metrics, guint max_examples, guint shard,
                                      guint n_shards, GCancellable *cancellable, GError **error);

G_END_DECLS
