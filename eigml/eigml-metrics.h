/* eigml-metrics.h: ranking metrics (MAP, MRR, R10@k) over scored candidates
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(__EIGML_H_INSIDE__) && !defined(EIGML_COMPILATION)
#error "Only <eigml/eigml.h> can be included directly."
#endif

#include <glib-object.h>
#include <eigml/eigml-version-macros.h>
#include <eigml/eigml-types.h>

G_BEGIN_DECLS

#define EIGML_TYPE_METRICS (eigml_metrics_get_type ())

EIGML_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EigmlMetrics, eigml_metrics, EIGML, METRICS, GObject)

/**
 * EIGML_METRICS_DEFAULT_SEED:
 *
 * The default of [property@Eigml.Metrics:seed].
 *
 * Since: 1.0
 */
#define EIGML_METRICS_DEFAULT_SEED 42

EIGML_AVAILABLE_IN_ALL
EigmlMetrics *eigml_metrics_new (EigmlMetricsKind kind);

EIGML_AVAILABLE_IN_ALL
EigmlMetricsKind eigml_metrics_get_kind (EigmlMetrics *self);
EIGML_AVAILABLE_IN_ALL
guint64 eigml_metrics_get_seed (EigmlMetrics *self);
EIGML_AVAILABLE_IN_ALL
void eigml_metrics_set_seed (EigmlMetrics *self,
                             guint64 seed);

EIGML_AVAILABLE_IN_ALL
gboolean eigml_metrics_add (EigmlMetrics *self,
                            const char *example_id,
                            const float *scores,
                            const gboolean *labels,
                            guint n_candidates,
                            GError **error);
EIGML_AVAILABLE_IN_ALL
gboolean eigml_metrics_add_checked (EigmlMetrics *self,
                                    const char *example_id,
                                    const float *scores,
                                    guint n_scores,
                                    const gboolean *labels,
                                    guint n_labels,
                                    GError **error);
EIGML_AVAILABLE_IN_ALL
gboolean eigml_metrics_add_positive (EigmlMetrics *self,
                                     const char *example_id,
                                     const float *scores,
                                     guint n_candidates,
                                     guint positive_index,
                                     GError **error);
EIGML_AVAILABLE_IN_ALL
gboolean eigml_metrics_merge (EigmlMetrics *self,
                              EigmlMetrics *other,
                              GError **error);

EIGML_AVAILABLE_IN_ALL
guint eigml_metrics_get_n_examples (EigmlMetrics *self);
EIGML_AVAILABLE_IN_ALL
double eigml_metrics_get_map (EigmlMetrics *self);
EIGML_AVAILABLE_IN_ALL
double eigml_metrics_get_mrr (EigmlMetrics *self);
EIGML_AVAILABLE_IN_ALL
double eigml_metrics_get_recall (EigmlMetrics *self,
                                 guint k);

EIGML_AVAILABLE_IN_ALL
guint *eigml_metrics_get_ranking (EigmlMetrics *self,
                                  const char *example_id,
                                  guint *n_candidates);

EIGML_AVAILABLE_IN_ALL
char *eigml_metrics_to_json (EigmlMetrics *self);
EIGML_AVAILABLE_IN_ALL
char *eigml_metrics_format_table (EigmlMetrics *self);
EIGML_AVAILABLE_IN_ALL
gboolean eigml_metrics_write_predictions (EigmlMetrics *self,
                                          const char *path,
                                          GError **error);

G_END_DECLS
