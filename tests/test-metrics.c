/* test-metrics.c: EigmlMetrics on hand-computed cases, the tie rule,
 * errors, merging, the DSTC10 scorer, the predictions file and the JSON
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The comparison with a numpy implementation of docs/metrics.md on random
 * scores is tests/reference/test_metrics.py.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "eigml.h"

#define N_CANDIDATES 10

static char *tmpdir;

/* Scores for ten candidates such that candidate c ranks at ranks[c]
 * (1-based, no ties); the candidates are deliberately not in rank order. */
static void
scores_for_ranks (const guint ranks[N_CANDIDATES],
                  float scores[N_CANDIDATES])
{
  for (guint c = 0; c < N_CANDIDATES; c++)
    scores[c] = 1.0f - 0.05f * (float) ranks[c];
}

static const guint shuffled_ranks[N_CANDIDATES] = { 4, 9, 1, 7, 3, 10, 2, 6, 8, 5 };

/* The candidate that shuffled_ranks puts at @rank */
static guint
candidate_at (guint rank)
{
  for (guint c = 0; c < N_CANDIDATES; c++)
    if (shuffled_ranks[c] == rank)
      return c;
  g_assert_not_reached ();
}

static void
add_one_positive_at (EigmlMetrics *metrics,
                     const char *id,
                     guint rank)
{
  g_autoptr (GError) error = NULL;
  float scores[N_CANDIDATES];

  scores_for_ranks (shuffled_ranks, scores);
  g_assert_true (eigml_metrics_add_positive (metrics, id, scores, N_CANDIDATES,
                                             candidate_at (rank), &error));
  g_assert_no_error (error);
}

static void
add_positives_at (EigmlMetrics *metrics,
                  const char *id,
                  const guint *ranks,
                  guint n_ranks)
{
  g_autoptr (GError) error = NULL;
  float scores[N_CANDIDATES];
  gboolean labels[N_CANDIDATES] = { FALSE };

  scores_for_ranks (shuffled_ranks, scores);
  for (guint i = 0; i < n_ranks; i++)
    labels[candidate_at (ranks[i])] = TRUE;
  g_assert_true (eigml_metrics_add (metrics, id, scores, labels, N_CANDIDATES, &error));
  g_assert_no_error (error);
}

static void
test_one_positive (void)
{
  g_autoptr (EigmlMetrics) metrics = eigml_metrics_new (EIGML_METRICS_STANDARD);
  g_autofree guint *ranking = NULL;
  guint n = 0;

  g_assert_true (isnan (eigml_metrics_get_map (metrics)));
  add_one_positive_at (metrics, "r1", 1);
  add_one_positive_at (metrics, "r3", 3);
  add_one_positive_at (metrics, "r10", 10);

  g_assert_cmpuint (eigml_metrics_get_n_examples (metrics), ==, 3);
  /* AP = 1/rank: (1 + 1/3 + 1/10) / 3 */
  g_assert_cmpfloat_with_epsilon (eigml_metrics_get_map (metrics), (1.0 + 1.0 / 3 + 0.1) / 3,
                                  1e-15);
  g_assert_cmpfloat_with_epsilon (eigml_metrics_get_mrr (metrics), (1.0 + 1.0 / 3 + 0.1) / 3,
                                  1e-15);
  g_assert_cmpfloat_with_epsilon (eigml_metrics_get_recall (metrics, 1), 1.0 / 3, 1e-15);
  g_assert_cmpfloat_with_epsilon (eigml_metrics_get_recall (metrics, 2), 1.0 / 3, 1e-15);
  g_assert_cmpfloat_with_epsilon (eigml_metrics_get_recall (metrics, 3), 2.0 / 3, 1e-15);
  g_assert_cmpfloat_with_epsilon (eigml_metrics_get_recall (metrics, 5), 2.0 / 3, 1e-15);
  g_assert_cmpfloat (eigml_metrics_get_recall (metrics, 10), ==, 1.0);
  g_assert_cmpfloat (eigml_metrics_get_recall (metrics, 11), ==, 1.0);

  ranking = eigml_metrics_get_ranking (metrics, "r3", &n);
  g_assert_cmpuint (n, ==, N_CANDIDATES);
  for (guint r = 0; r < N_CANDIDATES; r++)
    g_assert_cmpuint (ranking[r], ==, candidate_at (r + 1));
  g_assert_null (eigml_metrics_get_ranking (metrics, "r4", &n));
  g_assert_cmpuint (n, ==, 0);
}

static void
test_two_positives (void)
{
  g_autoptr (EigmlMetrics) metrics = eigml_metrics_new (EIGML_METRICS_STANDARD);
  const guint at_2_4[] = { 2, 4 };
  const guint at_1_3[] = { 1, 3 };
  const guint at_6_7_9[] = { 6, 7, 9 };

  add_positives_at (metrics, "a", at_2_4, 2);
  /* AP = (1/2 + 2/4) / 2 */
  g_assert_cmpfloat_with_epsilon (eigml_metrics_get_map (metrics), 0.5, 1e-15);
  g_assert_cmpfloat_with_epsilon (eigml_metrics_get_mrr (metrics), 0.5, 1e-15);
  g_assert_cmpfloat (eigml_metrics_get_recall (metrics, 1), ==, 0.0);
  g_assert_cmpfloat (eigml_metrics_get_recall (metrics, 2), ==, 0.5);
  g_assert_cmpfloat (eigml_metrics_get_recall (metrics, 5), ==, 1.0);

  add_positives_at (metrics, "b", at_1_3, 2);
  add_positives_at (metrics, "c", at_6_7_9, 3);
  /* AP: 0.5; (1 + 2/3) / 2; (1/6 + 2/7 + 3/9) / 3 */
  g_assert_cmpfloat_with_epsilon (eigml_metrics_get_map (metrics),
                                  (0.5 + (1.0 + 2.0 / 3) / 2 + (1.0 / 6 + 2.0 / 7 + 3.0 / 9) / 3) / 3,
                                  1e-15);
  g_assert_cmpfloat_with_epsilon (eigml_metrics_get_mrr (metrics),
                                  (0.5 + 1.0 + 1.0 / 6) / 3, 1e-15);
  g_assert_cmpfloat_with_epsilon (eigml_metrics_get_recall (metrics, 1), (0 + 0.5 + 0) / 3, 1e-15);
  g_assert_cmpfloat_with_epsilon (eigml_metrics_get_recall (metrics, 2), (0.5 + 0.5 + 0) / 3,
                                  1e-15);
  g_assert_cmpfloat_with_epsilon (eigml_metrics_get_recall (metrics, 5), (1.0 + 1.0 + 0) / 3,
                                  1e-15);
  g_assert_cmpfloat_with_epsilon (eigml_metrics_get_recall (metrics, 7), (1.0 + 1.0 + 2.0 / 3) / 3,
                                  1e-15);
}

/* Infinite scores rank first or last; only NaN is refused. */
static void
test_infinities (void)
{
  g_autoptr (EigmlMetrics) metrics = eigml_metrics_new (EIGML_METRICS_STANDARD);
  g_autoptr (GError) error = NULL;
  g_autofree guint *ranking = NULL;
  const float scores[] = { -INFINITY, 0.5f, INFINITY, -1e30f };

  g_assert_true (eigml_metrics_add_positive (metrics, "inf", scores, 4, 0, &error));
  g_assert_no_error (error);
  ranking = eigml_metrics_get_ranking (metrics, "inf", NULL);
  g_assert_cmpuint (ranking[0], ==, 2);
  g_assert_cmpuint (ranking[1], ==, 1);
  g_assert_cmpuint (ranking[2], ==, 3);
  g_assert_cmpuint (ranking[3], ==, 0);
  g_assert_cmpfloat (eigml_metrics_get_map (metrics), ==, 0.25);
}

/* The permutations of docs/metrics.md ("Ties"), computed from the text by
 * tests/reference/test_metrics.py's own implementation. */
static void
test_ties_documented_order (void)
{
  static const guint tie_seed42[N_CANDIDATES] = { 3, 5, 1, 2, 8, 4, 0, 6, 7, 9 };
  static const guint tie_seed43[N_CANDIDATES] = { 2, 1, 9, 7, 4, 8, 3, 0, 6, 5 };
  const float equal[N_CANDIDATES] = { 0.25f, 0.25f, 0.25f, 0.25f, 0.25f,
                                      0.25f, 0.25f, 0.25f, 0.25f, 0.25f };
  /* "partial", seed 42, five candidates: the shuffle gives 2 0 4 1 3 */
  const float partial[5] = { 1.0f, 2.0f, 2.0f, 2.0f, 0.0f };
  static const guint partial_ranking[5] = { 2, 1, 3, 0, 4 };
  g_autoptr (EigmlMetrics) seed42 = eigml_metrics_new (EIGML_METRICS_STANDARD);
  g_autoptr (EigmlMetrics) seed43 = g_object_new (EIGML_TYPE_METRICS, "seed", (guint64) 43, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree guint *ranking42 = NULL;
  g_autofree guint *ranking43 = NULL;
  g_autofree guint *ranking_partial = NULL;
  guint64 seed = 0;

  g_assert_cmpuint (eigml_metrics_get_seed (seed42), ==, 42);
  g_object_get (seed43, "seed", &seed, NULL);
  g_assert_cmpuint (seed, ==, 43);

  g_assert_true (eigml_metrics_add_positive (seed42, "tie", equal, N_CANDIDATES, 0, &error));
  g_assert_true (eigml_metrics_add_positive (seed43, "tie", equal, N_CANDIDATES, 0, &error));
  g_assert_true (eigml_metrics_add_positive (seed42, "partial", partial, 5, 4, &error));
  g_assert_no_error (error);

  ranking42 = eigml_metrics_get_ranking (seed42, "tie", NULL);
  ranking43 = eigml_metrics_get_ranking (seed43, "tie", NULL);
  ranking_partial = eigml_metrics_get_ranking (seed42, "partial", NULL);
  for (guint r = 0; r < N_CANDIDATES; r++)
    {
      g_assert_cmpuint (ranking42[r], ==, tie_seed42[r]);
      g_assert_cmpuint (ranking43[r], ==, tie_seed43[r]);
    }
  for (guint r = 0; r < 5; r++)
    g_assert_cmpuint (ranking_partial[r], ==, partial_ranking[r]);
  /* candidate 0 is 7th with seed 42 and 8th with seed 43 */
  g_assert_cmpfloat (eigml_metrics_get_mrr (seed43), ==, 1.0 / 8);
}

/* Partial ties keep the order of the all-tied shuffle within each group of
 * equal scores. */
static void
test_ties_partial (void)
{
  g_autoptr (EigmlMetrics) metrics = eigml_metrics_new (EIGML_METRICS_STANDARD);
  g_autoptr (GError) error = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  const float equal[N_CANDIDATES] = { 0 };

  for (guint e = 0; e < 200; e++)
    {
      g_autofree char *id = g_strdup_printf ("ex%u", e);
      g_autofree guint *shuffle = NULL;
      g_autofree guint *ranking = NULL;
      float scores[N_CANDIDATES];
      guint position[N_CANDIDATES];

      for (guint c = 0; c < N_CANDIDATES; c++)
        scores[c] = (float) g_rand_int_range (rand, 0, 3);
      g_assert_true (eigml_metrics_add_positive (metrics, id, scores, N_CANDIDATES, 0, &error));
      g_assert_no_error (error);
      ranking = eigml_metrics_get_ranking (metrics, id, NULL);

      /* the pure shuffle for this id: all scores equal, under another
       * accumulator so the id can be reused */
      {
        g_autoptr (EigmlMetrics) tied = eigml_metrics_new (EIGML_METRICS_STANDARD);

        g_assert_true (eigml_metrics_add_positive (tied, id, equal, N_CANDIDATES, 0, &error));
        shuffle = eigml_metrics_get_ranking (tied, id, NULL);
      }
      for (guint p = 0; p < N_CANDIDATES; p++)
        position[shuffle[p]] = p;
      for (guint r = 1; r < N_CANDIDATES; r++)
        {
          float prev = scores[ranking[r - 1]];
          float cur = scores[ranking[r]];

          g_assert_cmpfloat (prev, >=, cur);
          if (prev == cur)
            g_assert_cmpuint (position[ranking[r - 1]], <, position[ranking[r]]);
        }
    }
}

/* Tie outcomes depend on the seed and the id only: reproducible with the
 * same seed whatever the order of addition, different with another seed. */
static void
test_ties_seed (void)
{
  g_autoptr (EigmlMetrics) a = eigml_metrics_new (EIGML_METRICS_STANDARD);
  g_autoptr (EigmlMetrics) b = eigml_metrics_new (EIGML_METRICS_STANDARD);
  g_autoptr (EigmlMetrics) c = eigml_metrics_new (EIGML_METRICS_STANDARD);
  g_autoptr (GError) error = NULL;
  const float equal[N_CANDIDATES] = { 0 };
  guint n_differ = 0;

  eigml_metrics_set_seed (c, 1234);
  for (guint e = 0; e < 100; e++)
    {
      g_autofree char *id = g_strdup_printf ("dialogue-%u", e);
      g_autofree char *id_reverse = g_strdup_printf ("dialogue-%u", 99 - e);

      g_assert_true (eigml_metrics_add_positive (a, id, equal, N_CANDIDATES, e % 10, &error));
      g_assert_true (eigml_metrics_add_positive (b, id_reverse, equal, N_CANDIDATES,
                                                 (99 - e) % 10, &error));
      g_assert_true (eigml_metrics_add_positive (c, id, equal, N_CANDIDATES, e % 10, &error));
      g_assert_no_error (error);
    }
  for (guint e = 0; e < 100; e++)
    {
      g_autofree char *id = g_strdup_printf ("dialogue-%u", e);
      g_autofree guint *ra = eigml_metrics_get_ranking (a, id, NULL);
      g_autofree guint *rb = eigml_metrics_get_ranking (b, id, NULL);
      g_autofree guint *rc = eigml_metrics_get_ranking (c, id, NULL);

      g_assert_cmpmem (ra, sizeof (guint) * N_CANDIDATES, rb, sizeof (guint) * N_CANDIDATES);
      n_differ += memcmp (ra, rc, sizeof (guint) * N_CANDIDATES) != 0;
    }
  g_assert_cmpuint (n_differ, >, 90);
  g_assert_cmpfloat (eigml_metrics_get_map (a), ==, eigml_metrics_get_map (b));
  g_assert_cmpfloat (eigml_metrics_get_map (a), !=, eigml_metrics_get_map (c));
}

/* All-equal scores are a random ranking: R10@1 = 1/10, MAP = H(10)/10. */
static void
test_ties_expected_values (void)
{
  g_autoptr (EigmlMetrics) metrics = eigml_metrics_new (EIGML_METRICS_STANDARD);
  g_autoptr (GError) error = NULL;
  const float equal[N_CANDIDATES] = { 0 };
  double harmonic = 0.0;

  for (guint e = 0; e < 10000; e++)
    {
      char id[32];

      g_snprintf (id, sizeof id, "%u", e);
      g_assert_true (eigml_metrics_add_positive (metrics, id, equal, N_CANDIDATES, 0, &error));
      g_assert_no_error (error);
    }
  for (guint r = 1; r <= N_CANDIDATES; r++)
    harmonic += 1.0 / r;
  g_test_message ("all tied: R10@1 %.4f R10@2 %.4f R10@5 %.4f MAP %.4f",
                  eigml_metrics_get_recall (metrics, 1), eigml_metrics_get_recall (metrics, 2),
                  eigml_metrics_get_recall (metrics, 5), eigml_metrics_get_map (metrics));
  g_assert_cmpfloat_with_epsilon (eigml_metrics_get_recall (metrics, 1), 0.1, 0.01);
  g_assert_cmpfloat_with_epsilon (eigml_metrics_get_recall (metrics, 2), 0.2, 0.015);
  g_assert_cmpfloat_with_epsilon (eigml_metrics_get_recall (metrics, 5), 0.5, 0.02);
  g_assert_cmpfloat_with_epsilon (eigml_metrics_get_map (metrics), harmonic / 10, 0.01);
}

static void
test_errors (void)
{
  g_autoptr (EigmlMetrics) metrics = eigml_metrics_new (EIGML_METRICS_STANDARD);
  g_autoptr (EigmlMetrics) dstc10 = eigml_metrics_new (EIGML_METRICS_DSTC10);
  g_autoptr (GError) error = NULL;
  const float scores[4] = { 0.1f, 0.2f, 0.3f, 0.4f };
  const float with_nan[4] = { 0.1f, NAN, 0.3f, 0.4f };
  const gboolean none[4] = { FALSE, FALSE, FALSE, FALSE };
  const gboolean two[4] = { TRUE, FALSE, FALSE, TRUE };

  g_assert_false (eigml_metrics_add (metrics, "none", scores, none, 4, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "“none”"));
  g_clear_error (&error);

  g_assert_false (eigml_metrics_add_positive (metrics, "nan", with_nan, 4, 0, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_NON_FINITE);
  g_assert_nonnull (strstr (error->message, "candidate 1"));
  g_clear_error (&error);

  g_assert_false (eigml_metrics_add (metrics, "empty", scores, none, 0, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (eigml_metrics_add_positive (metrics, "empty", NULL, 0, 0, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_assert_false (eigml_metrics_add_positive (metrics, "range", scores, 4, 4, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_OUT_OF_RANGE);
  g_clear_error (&error);

  g_assert_false (eigml_metrics_add_checked (metrics, "lengths", scores, 4, two, 3, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE);
  g_clear_error (&error);

  g_assert_false (eigml_metrics_add_positive (metrics, "bad\xff", scores, 4, 0, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_assert_false (eigml_metrics_add (dstc10, "two", scores, two, 4, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* nothing was added by the failures */
  g_assert_cmpuint (eigml_metrics_get_n_examples (metrics), ==, 0);
  g_assert_cmpuint (eigml_metrics_get_n_examples (dstc10), ==, 0);

  g_assert_true (eigml_metrics_add_checked (metrics, "ok", scores, 4, two, 4, &error));
  g_assert_no_error (error);
  g_assert_false (eigml_metrics_add_positive (metrics, "ok", scores, 4, 0, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "already"));
  g_clear_error (&error);
  g_assert_cmpuint (eigml_metrics_get_n_examples (metrics), ==, 1);
  /* ranks 4 and 1: AP = (1/1 + 2/4) / 2 */
  g_assert_cmpfloat (eigml_metrics_get_map (metrics), ==, 0.75);
}

/* Random examples, ties included (scores on a coarse grid), 1 to 3
 * positives among 2 to 12 candidates. */
static void
add_random_examples (EigmlMetrics **shards,
                     guint n_shards,
                     EigmlMetrics *single,
                     guint n_examples)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (2024);
  g_autoptr (GError) error = NULL;

  for (guint e = 0; e < n_examples; e++)
    {
      g_autofree char *id = g_strdup_printf ("example-%04u", g_rand_int_range (rand, 0, 100000));
      guint n = (guint) g_rand_int_range (rand, 2, 13);
      guint n_positives = (guint) g_rand_int_range (rand, 1, MIN (n, 3) + 1);
      float scores[12];
      gboolean labels[12] = { FALSE };
      EigmlMetrics *shard = shards[g_rand_int_range (rand, 0, (gint32) n_shards)];
      g_autofree guint *seen = eigml_metrics_get_ranking (single, id, NULL);

      if (seen != NULL)
        continue;
      for (guint c = 0; c < n; c++)
        scores[c] = (float) g_rand_int_range (rand, 0, 8) * 0.125f;
      for (guint p = 0; p < n_positives;)
        {
          guint c = (guint) g_rand_int_range (rand, 0, (gint32) n);

          if (!labels[c])
            {
              labels[c] = TRUE;
              p++;
            }
        }
      g_assert_true (eigml_metrics_add (single, id, scores, labels, n, &error));
      g_assert_true (eigml_metrics_add (shard, id, scores, labels, n, &error));
      g_assert_no_error (error);
    }
}

static void
test_merge (void)
{
  g_autoptr (EigmlMetrics) single = eigml_metrics_new (EIGML_METRICS_STANDARD);
  g_autoptr (EigmlMetrics) merged = eigml_metrics_new (EIGML_METRICS_STANDARD);
  g_autoptr (EigmlMetrics) merged_reverse = eigml_metrics_new (EIGML_METRICS_STANDARD);
  g_autoptr (EigmlMetrics) other_kind = eigml_metrics_new (EIGML_METRICS_DSTC10);
  g_autoptr (EigmlMetrics) other_seed = eigml_metrics_new (EIGML_METRICS_STANDARD);
  g_autoptr (GError) error = NULL;
  EigmlMetrics *shards[3];
  g_autofree char *json_single = NULL;
  g_autofree char *json_merged = NULL;
  g_autofree char *json_reverse = NULL;
  guint n_merged = 0;

  for (guint s = 0; s < G_N_ELEMENTS (shards); s++)
    shards[s] = eigml_metrics_new (EIGML_METRICS_STANDARD);
  add_random_examples (shards, G_N_ELEMENTS (shards), single, 3000);

  for (guint s = 0; s < G_N_ELEMENTS (shards); s++)
    {
      g_assert_true (eigml_metrics_merge (merged, shards[s], &error));
      g_assert_true (eigml_metrics_merge (merged_reverse, shards[G_N_ELEMENTS (shards) - 1 - s],
                                          &error));
      g_assert_no_error (error);
      n_merged += eigml_metrics_get_n_examples (shards[s]);
    }
  g_assert_cmpuint (n_merged, ==, eigml_metrics_get_n_examples (single));
  g_assert_cmpuint (eigml_metrics_get_n_examples (merged), ==, n_merged);
  g_test_message ("%u examples in 3 shards", n_merged);

  /* bit for bit */
  g_assert_cmpfloat (eigml_metrics_get_map (merged), ==, eigml_metrics_get_map (single));
  g_assert_cmpfloat (eigml_metrics_get_mrr (merged), ==, eigml_metrics_get_mrr (single));
  g_assert_cmpfloat (eigml_metrics_get_map (merged_reverse), ==, eigml_metrics_get_map (single));
  for (guint k = 1; k <= 12; k++)
    {
      g_assert_cmpfloat (eigml_metrics_get_recall (merged, k), ==,
                         eigml_metrics_get_recall (single, k));
      g_assert_cmpfloat (eigml_metrics_get_recall (merged_reverse, k), ==,
                         eigml_metrics_get_recall (single, k));
    }
  json_single = eigml_metrics_to_json (single);
  json_merged = eigml_metrics_to_json (merged);
  json_reverse = eigml_metrics_to_json (merged_reverse);
  g_assert_cmpstr (json_merged, ==, json_single);
  g_assert_cmpstr (json_reverse, ==, json_single);

  /* refused, leaving the target as it was */
  g_assert_false (eigml_metrics_merge (merged, shards[0], &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (eigml_metrics_merge (merged, merged, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (eigml_metrics_merge (merged, other_kind, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  eigml_metrics_set_seed (other_seed, 7);
  g_assert_false (eigml_metrics_merge (merged, other_seed, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_cmpuint (eigml_metrics_get_n_examples (merged), ==, n_merged);

  for (guint s = 0; s < G_N_ELEMENTS (shards); s++)
    g_object_unref (shards[s]);
}

/* The DSTC10 MOD scorer: "MAP" counts 1/rank up to rank 5 only. */
static void
test_dstc10 (void)
{
  g_autoptr (EigmlMetrics) metrics = eigml_metrics_new (EIGML_METRICS_DSTC10);
  g_autoptr (EigmlMetrics) standard = eigml_metrics_new (EIGML_METRICS_STANDARD);
  g_autofree char *json = NULL;
  const guint ranks[] = { 1, 3, 5, 6, 10 };

  g_assert_cmpint (eigml_metrics_get_kind (metrics), ==, EIGML_METRICS_DSTC10);
  for (guint i = 0; i < G_N_ELEMENTS (ranks); i++)
    {
      g_autofree char *id = g_strdup_printf ("rank%u", ranks[i]);

      add_one_positive_at (metrics, id, ranks[i]);
      add_one_positive_at (standard, id, ranks[i]);
    }
  g_assert_cmpfloat_with_epsilon (eigml_metrics_get_map (metrics),
                                  (1.0 + 1.0 / 3 + 1.0 / 5 + 0 + 0) / 5, 1e-15);
  g_assert_cmpfloat_with_epsilon (eigml_metrics_get_map (standard),
                                  (1.0 + 1.0 / 3 + 1.0 / 5 + 1.0 / 6 + 1.0 / 10) / 5, 1e-15);
  g_assert_cmpfloat (eigml_metrics_get_mrr (metrics), ==, eigml_metrics_get_mrr (standard));
  g_assert_cmpfloat (eigml_metrics_get_mrr (metrics), ==, eigml_metrics_get_map (standard));
  g_assert_cmpfloat_with_epsilon (eigml_metrics_get_recall (metrics, 1), 1.0 / 5, 1e-15);
  g_assert_cmpfloat_with_epsilon (eigml_metrics_get_recall (metrics, 2), 1.0 / 5, 1e-15);
  g_assert_cmpfloat_with_epsilon (eigml_metrics_get_recall (metrics, 5), 3.0 / 5, 1e-15);

  json = eigml_metrics_to_json (metrics);
  g_assert_nonnull (strstr (json, "\"scorer\":\"dstc10\""));
}

static JsonObject *
parse_object (JsonParser *parser,
              const char *text)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (json_parser_load_from_data (parser, text, -1, &error));
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_node_get_object (json_parser_get_root (parser));
}

static void
assert_members (JsonObject *object,
                const char * const *names)
{
  g_autoptr (GList) members = json_object_get_members (object);
  GList *l = members;

  for (guint i = 0; names[i] != NULL; i++, l = l->next)
    {
      g_assert_nonnull (l);
      g_assert_cmpstr (l->data, ==, names[i]);
    }
  g_assert_null (l);
}

static void
test_json (void)
{
  static const char * const standard_keys[] = { "MAP", "MRR", "R10@1", "R10@2", "R10@5",
                                                "examples", NULL };
  static const char * const dstc10_keys[] = { "MAP", "MRR", "R10@1", "R10@2", "R10@5",
                                              "examples", "scorer", NULL };
  g_autoptr (EigmlMetrics) metrics = eigml_metrics_new (EIGML_METRICS_STANDARD);
  g_autoptr (EigmlMetrics) dstc10 = eigml_metrics_new (EIGML_METRICS_DSTC10);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *empty = NULL;
  g_autofree char *json = NULL;
  g_autofree char *json_dstc10 = NULL;
  g_autofree char *table = NULL;
  JsonObject *object;

  empty = eigml_metrics_to_json (metrics);
  object = parse_object (parser, empty);
  assert_members (object, standard_keys);
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (object, "MAP")));
  g_assert_cmpint (json_object_get_int_member (object, "examples"), ==, 0);

  add_one_positive_at (metrics, "r1", 1);
  add_one_positive_at (metrics, "r3", 3);
  add_one_positive_at (metrics, "r10", 10);
  add_one_positive_at (dstc10, "r3", 3);

  json = eigml_metrics_to_json (metrics);
  g_test_message ("%s", json);
  object = parse_object (parser, json);
  assert_members (object, standard_keys);
  g_assert_cmpfloat (json_object_get_double_member (object, "MAP"), ==,
                     eigml_metrics_get_map (metrics));
  g_assert_cmpfloat (json_object_get_double_member (object, "MRR"), ==,
                     eigml_metrics_get_mrr (metrics));
  g_assert_cmpfloat (json_object_get_double_member (object, "R10@1"), ==,
                     eigml_metrics_get_recall (metrics, 1));
  g_assert_cmpfloat (json_object_get_double_member (object, "R10@2"), ==,
                     eigml_metrics_get_recall (metrics, 2));
  g_assert_cmpfloat (json_object_get_double_member (object, "R10@5"), ==,
                     eigml_metrics_get_recall (metrics, 5));
  g_assert_cmpint (json_object_get_int_member (object, "examples"), ==, 3);

  json_dstc10 = eigml_metrics_to_json (dstc10);
  object = parse_object (parser, json_dstc10);
  assert_members (object, dstc10_keys);
  g_assert_cmpstr (json_object_get_string_member (object, "scorer"), ==, "dstc10");

  table = eigml_metrics_format_table (metrics);
  g_test_message ("\n%s", table);
  g_assert_nonnull (strstr (table, "MAP         47.78\n"));
  g_assert_nonnull (strstr (table, "R10@1       33.33\n"));
  g_assert_nonnull (strstr (table, "R10@5       66.67\n"));
  g_assert_nonnull (strstr (table, "3 examples, standard scorer\n"));
}

static void
test_predictions (void)
{
  g_autoptr (EigmlMetrics) metrics = eigml_metrics_new (EIGML_METRICS_DSTC10);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (tmpdir, "predictions.jsonl", NULL);
  g_autofree char *missing = g_build_filename (tmpdir, "no-such-dir", "p.jsonl", NULL);
  g_autofree char *contents = NULL;
  g_auto (GStrv) lines = NULL;
  const float scores[4] = { 0.1f, 0.7f, -INFINITY, 0.3f };
  static const char * const ids[] = { "a\"quote", "b", "c-über" };

  add_one_positive_at (metrics, "c-über", 6);
  add_one_positive_at (metrics, "b", 2);
  g_assert_true (eigml_metrics_add_positive (metrics, "a\"quote", scores, 4, 3, &error));
  g_assert_no_error (error);

  g_assert_true (g_file_set_contents (path, "old contents\n", -1, &error));
  g_assert_true (eigml_metrics_write_predictions (metrics, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &contents, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_str_has_suffix (contents, "}\n"));
  lines = g_strsplit (contents, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 4);
  g_assert_cmpstr (lines[3], ==, "");

  for (guint i = 0; i < 3; i++)
    {
      JsonObject *object = parse_object (parser, lines[i]);
      JsonArray *json_scores = json_object_get_array_member (object, "scores");
      JsonArray *ranking = json_object_get_array_member (object, "ranking");
      JsonArray *positives = json_object_get_array_member (object, "positives");
      g_autofree guint *expected = eigml_metrics_get_ranking (metrics, ids[i], NULL);
      guint n = json_array_get_length (ranking);

      /* in the order of the ids */
      g_assert_cmpstr (json_object_get_string_member (object, "id"), ==, ids[i]);
      g_assert_cmpuint (json_array_get_length (json_scores), ==, n);
      for (guint r = 0; r < n; r++)
        g_assert_cmpint (json_array_get_int_element (ranking, r), ==, expected[r]);
      g_assert_cmpuint (json_array_get_length (positives), ==, 1);
      if (i == 0)
        {
          /* scores come back exactly; infinities as null */
          g_assert_cmpuint (n, ==, 4);
          g_assert_cmpfloat ((float) json_array_get_double_element (json_scores, 0), ==, 0.1f);
          g_assert_cmpfloat ((float) json_array_get_double_element (json_scores, 1), ==, 0.7f);
          g_assert_true (JSON_NODE_HOLDS_NULL (json_array_get_element (json_scores, 2)));
          g_assert_cmpfloat ((float) json_array_get_double_element (json_scores, 3), ==, 0.3f);
          g_assert_cmpint (json_array_get_int_element (positives, 0), ==, 3);
          g_assert_cmpint (json_object_get_int_member (object, "rank"), ==, 2);
          g_assert_cmpfloat (json_object_get_double_member (object, "ap"), ==, 0.5);
          g_assert_cmpfloat (json_object_get_double_member (object, "dstc10_map"), ==, 0.5);
        }
      else if (i == 2)
        {
          g_assert_cmpint (json_object_get_int_member (object, "rank"), ==, 6);
          g_assert_cmpint (json_array_get_int_element (positives, 0), ==, candidate_at (6));
          g_assert_cmpfloat (json_object_get_double_member (object, "ap"), ==, 1.0 / 6);
          g_assert_cmpfloat (json_object_get_double_member (object, "dstc10_map"), ==, 0.0);
        }
    }

  g_assert_false (eigml_metrics_write_predictions (metrics, missing, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_clear_error (&error);
  g_unlink (path);
}

int
main (int argc,
      char **argv)
{
  g_autoptr (GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("eigml-metrics-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/cpu/metrics/one-positive", test_one_positive);
  g_test_add_func ("/cpu/metrics/two-positives", test_two_positives);
  g_test_add_func ("/cpu/metrics/infinities", test_infinities);
  g_test_add_func ("/cpu/metrics/ties/documented-order", test_ties_documented_order);
  g_test_add_func ("/cpu/metrics/ties/partial", test_ties_partial);
  g_test_add_func ("/cpu/metrics/ties/seed", test_ties_seed);
  g_test_add_func ("/cpu/metrics/ties/expected-values", test_ties_expected_values);
  g_test_add_func ("/cpu/metrics/errors", test_errors);
  g_test_add_func ("/cpu/metrics/merge", test_merge);
  g_test_add_func ("/cpu/metrics/dstc10", test_dstc10);
  g_test_add_func ("/cpu/metrics/json", test_json);
  g_test_add_func ("/cpu/metrics/predictions", test_predictions);

  status = g_test_run ();
  g_rmdir (tmpdir);
  g_free (tmpdir);
  return status;
}
