/* eigml-metrics.c: ranking metrics (MAP, MRR, R10@k) over scored candidates
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The definitions, the tie rule and the DSTC10 scorer are written out in
 * docs/metrics.md; tests/test-metrics.c checks hand-computed cases and
 * tests/reference/test_metrics.py an independent numpy implementation.
 */
#include "config.h"

#include "eigml-metrics.h"
#include "eigml-metrics-private.h"
#include "eigml-enum-types.h"
#include "eigml-error.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

/* The DSTC10 scorer counts the answer only within its top 5. */
#define DSTC10_MAP_CUTOFF 5

/**
 * EigmlMetrics:
 *
 * An accumulator of ranking metrics: for each example (a dialogue with its
 * candidate stickers) it takes one score per candidate and which candidates
 * are positives, ranks the candidates by score, and gives MAP, MRR and
 * recall at k (`R10@1`, `R10@2`, `R10@5` for ten candidates) over all the
 * examples added.
 *
 * With %EIGML_METRICS_STANDARD (StickerChat's and PBR's `metrics.py`), an
 * example's average precision is the mean, over its positives, of the
 * precision at the positive's rank; MAP is its mean over examples. Recall
 * at k is the share of an example's positives ranked in the top k, MRR the
 * mean of 1 / rank of the best-ranked positive. With one positive, AP is
 * 1 / rank and MAP equals MRR.
 *
 * %EIGML_METRICS_DSTC10 reproduces the DSTC10 Track 1 (MOD) scorer
 * (`task2_score.py` of the MOD dataset's supplementary material): one answer
 * per example, "MAP" counting 1 / rank only for ranks 1 to 5. Its MRR and
 * recall are the standard ones, which with one positive are what that
 * scorer's `recall_compute` gives.
 *
 * Ties: the candidates are first put in a seeded pseudo-random order that
 * depends only on [property@Eigml.Metrics:seed] and the example's id, then
 * sorted by score, descending, with a stable sort. Equal scores are thus
 * ordered at random, but reproducibly, and independently of the order in
 * which examples are added or how an evaluation is split into shards. The
 * permutation is specified in `docs/metrics.md`.
 *
 * Every example is kept (its scores, ranking and positives), so
 * [method@Eigml.Metrics.write_predictions] can write them and the results
 * are sums over the examples in the order of their ids: two accumulators
 * merged with [method@Eigml.Metrics.merge] give bit for bit the results of
 * one accumulator that saw all the examples, in any order.
 *
 * An accumulator is not safe to use from several threads at once.
 *
 * Since: 1.0
 */

typedef struct
{
  char *id;
  guint n_candidates;
  guint n_positives;
  float *scores;            /* n_candidates, as given */
  guint *ranking;           /* n_candidates candidate indices, best first */
  guint *positives;         /* n_positives candidate indices, ascending */
  guint *positive_ranks;    /* n_positives 1-based ranks, ascending */
  double ap;                /* the standard average precision */
} Example;

struct _EigmlMetrics
{
  GObject parent_instance;

  EigmlMetricsKind kind;
  guint64 seed;
  GPtrArray *examples;      /* of Example, sorted by id when sorted is set */
  GHashTable *by_id;        /* id (owned by the Example) -> Example */
  gboolean sorted;
};

G_DEFINE_FINAL_TYPE (EigmlMetrics, eigml_metrics, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_KIND,
  PROP_SEED,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

static void
example_free (gpointer data)
{
  Example *ex = data;

  g_free (ex->id);
  g_free (ex->scores);
  g_free (ex->ranking);
  g_free (ex->positives);
  g_free (ex->positive_ranks);
  g_free (ex);
}

static Example *
example_copy (const Example *src)
{
  Example *ex = g_new0 (Example, 1);

  ex->id = g_strdup (src->id);
  ex->n_candidates = src->n_candidates;
  ex->n_positives = src->n_positives;
  ex->scores = g_memdup2 (src->scores, sizeof (float) * src->n_candidates);
  ex->ranking = g_memdup2 (src->ranking, sizeof (guint) * src->n_candidates);
  ex->positives = g_memdup2 (src->positives, sizeof (guint) * src->n_positives);
  ex->positive_ranks = g_memdup2 (src->positive_ranks, sizeof (guint) * src->n_positives);
  ex->ap = src->ap;
  return ex;
}

static void
eigml_metrics_finalize (GObject *object)
{
  EigmlMetrics *self = EIGML_METRICS (object);

  g_clear_pointer (&self->by_id, g_hash_table_unref);
  g_clear_pointer (&self->examples, g_ptr_array_unref);
  G_OBJECT_CLASS (eigml_metrics_parent_class)->finalize (object);
}

static void
eigml_metrics_get_property (GObject *object,
                            guint prop_id,
                            GValue *value,
                            GParamSpec *pspec)
{
  EigmlMetrics *self = EIGML_METRICS (object);

  switch (prop_id)
    {
    case PROP_KIND:
      g_value_set_enum (value, self->kind);
      break;
    case PROP_SEED:
      g_value_set_uint64 (value, self->seed);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eigml_metrics_set_property (GObject *object,
                            guint prop_id,
                            const GValue *value,
                            GParamSpec *pspec)
{
  EigmlMetrics *self = EIGML_METRICS (object);

  switch (prop_id)
    {
    case PROP_KIND:
      self->kind = g_value_get_enum (value);
      break;
    case PROP_SEED:
      eigml_metrics_set_seed (self, g_value_get_uint64 (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eigml_metrics_class_init (EigmlMetricsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = eigml_metrics_finalize;
  object_class->get_property = eigml_metrics_get_property;
  object_class->set_property = eigml_metrics_set_property;

  /**
   * EigmlMetrics:kind:
   *
   * Which definitions the accumulator computes.
   *
   * Since: 1.0
   */
  props[PROP_KIND] =
    g_param_spec_enum ("kind", NULL, NULL, EIGML_TYPE_METRICS_KIND, EIGML_METRICS_STANDARD,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * EigmlMetrics:seed:
   *
   * The seed of the order in which tied candidates are ranked (see
   * `docs/metrics.md`). It can only change while no example has been added.
   *
   * Since: 1.0
   */
  props[PROP_SEED] =
    g_param_spec_uint64 ("seed", NULL, NULL, 0, G_MAXUINT64, EIGML_METRICS_DEFAULT_SEED,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
eigml_metrics_init (EigmlMetrics *self)
{
  self->seed = EIGML_METRICS_DEFAULT_SEED;
  self->examples = g_ptr_array_new_with_free_func (example_free);
  self->by_id = g_hash_table_new (g_str_hash, g_str_equal);
  self->sorted = TRUE;
}

/**
 * eigml_metrics_new:
 * @kind: which definitions to compute
 *
 * Creates an empty accumulator with the default seed
 * (%EIGML_METRICS_DEFAULT_SEED).
 *
 * Returns: (transfer full): a new #EigmlMetrics
 *
 * Since: 1.0
 */
EigmlMetrics *
eigml_metrics_new (EigmlMetricsKind kind)
{
  return g_object_new (EIGML_TYPE_METRICS, "kind", kind, NULL);
}

/**
 * eigml_metrics_get_kind:
 * @self: an #EigmlMetrics
 *
 * Returns: the definitions @self computes
 *
 * Since: 1.0
 */
EigmlMetricsKind
eigml_metrics_get_kind (EigmlMetrics *self)
{
  g_return_val_if_fail (EIGML_IS_METRICS (self), EIGML_METRICS_STANDARD);

  return self->kind;
}

/**
 * eigml_metrics_get_seed:
 * @self: an #EigmlMetrics
 *
 * Returns: the seed of the tie order
 *
 * Since: 1.0
 */
guint64
eigml_metrics_get_seed (EigmlMetrics *self)
{
  g_return_val_if_fail (EIGML_IS_METRICS (self), 0);

  return self->seed;
}

/**
 * eigml_metrics_set_seed:
 * @self: an #EigmlMetrics
 * @seed: the seed of the tie order
 *
 * Sets the seed of the order in which tied candidates are ranked. It must
 * be set before the first example is added.
 *
 * Since: 1.0
 */
void
eigml_metrics_set_seed (EigmlMetrics *self,
                        guint64 seed)
{
  g_return_if_fail (EIGML_IS_METRICS (self));
  g_return_if_fail (self->examples->len == 0);

  if (self->seed == seed)
    return;
  self->seed = seed;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_SEED]);
}

/* The tie order (docs/metrics.md, "Ties"): FNV-1a over the id's bytes,
 * mixed with the seed, drives SplitMix64 through a Fisher-Yates shuffle. */
#define GOLDEN_GAMMA G_GUINT64_CONSTANT (0x9e3779b97f4a7c15)

static guint64
fnv1a_64 (const char *text)
{
  guint64 hash = G_GUINT64_CONSTANT (0xcbf29ce484222325);

  for (const guchar *p = (const guchar *) text; *p != '\0'; p++)
    {
      hash ^= *p;
      hash *= G_GUINT64_CONSTANT (0x100000001b3);
    }
  return hash;
}

static guint64
splitmix64_next (guint64 *state)
{
  guint64 z;

  *state += GOLDEN_GAMMA;
  z = *state;
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static void
shuffled_order (guint64 seed,
                const char *id,
                guint n,
                guint *order)
{
  guint64 state = fnv1a_64 (id) ^ (seed * GOLDEN_GAMMA);

  for (guint i = 0; i < n; i++)
    order[i] = i;
  for (guint i = n - 1; i > 0; i--)
    {
      guint j = (guint) (splitmix64_next (&state) % ((guint64) i + 1));
      guint tmp = order[i];

      order[i] = order[j];
      order[j] = tmp;
    }
}

static int
compare_score_descending (gconstpointer a,
                          gconstpointer b,
                          gpointer user_data)
{
  const float *scores = user_data;
  float sa = scores[*(const guint *) a];
  float sb = scores[*(const guint *) b];

  return (sa < sb) - (sa > sb);
}

static gboolean
check_example (EigmlMetrics *self,
               const char *example_id,
               const float *scores,
               guint n_candidates,
               GError **error)
{
  if (!g_utf8_validate (example_id, -1, NULL))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "Example id is not valid UTF-8");
      return FALSE;
    }
  if (g_hash_table_contains (self->by_id, example_id))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "Example “%s” was already added", example_id);
      return FALSE;
    }
  if (n_candidates == 0)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "Example “%s” has no candidates", example_id);
      return FALSE;
    }
  if (n_candidates > G_MAXINT)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_OUT_OF_RANGE,
                   "Example “%s” has %u candidates, more than %d", example_id, n_candidates,
                   G_MAXINT);
      return FALSE;
    }
  for (guint i = 0; i < n_candidates; i++)
    if (isnan (scores[i]))
      {
        g_set_error (error, EIGML_ERROR, EIGML_ERROR_NON_FINITE,
                     "Example “%s”: the score of candidate %u is NaN", example_id, i);
        return FALSE;
      }
  return TRUE;
}

static const char *
scorer_name (EigmlMetricsKind kind)
{
  return kind == EIGML_METRICS_DSTC10 ? "dstc10" : "standard";
}

static void
store_example (EigmlMetrics *self,
               Example *ex)
{
  g_ptr_array_add (self->examples, ex);
  g_hash_table_insert (self->by_id, ex->id, ex);
  self->sorted = FALSE;
}

/**
 * eigml_metrics_add: (skip)
 * @self: an #EigmlMetrics
 * @example_id: the example's id: unique within the accumulator, valid UTF-8
 * @scores: (array length=n_candidates): one score per candidate, higher is
 *   better; NaN is an error, infinities are allowed
 * @labels: (array length=n_candidates): whether each candidate is a positive
 * @n_candidates: how many candidates the example has
 * @error: return location for a #GError
 *
 * Ranks one example's candidates and adds it to the accumulator.
 *
 * Errors, in the %EIGML_ERROR domain, leave the accumulator as it was:
 * %EIGML_ERROR_INVALID_ARGUMENT for no candidates, no positive, a
 * duplicated or invalid id, or (with %EIGML_METRICS_DSTC10) more than one
 * positive; %EIGML_ERROR_NON_FINITE for a NaN score.
 *
 * Bindings call [method@Eigml.Metrics.add_checked] under this name: it
 * checks that both arrays have the same length.
 *
 * Returns: %TRUE when the example was added
 *
 * Since: 1.0
 */
gboolean
eigml_metrics_add (EigmlMetrics *self,
                   const char *example_id,
                   const float *scores,
                   const gboolean *labels,
                   guint n_candidates,
                   GError **error)
{
  Example *ex;
  guint n_positives = 0;
  guint j;
  double precision_sum = 0.0;

  g_return_val_if_fail (EIGML_IS_METRICS (self), FALSE);
  g_return_val_if_fail (example_id != NULL, FALSE);
  g_return_val_if_fail (scores != NULL || n_candidates == 0, FALSE);
  g_return_val_if_fail (labels != NULL || n_candidates == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_example (self, example_id, scores, n_candidates, error))
    return FALSE;
  for (guint i = 0; i < n_candidates; i++)
    n_positives += labels[i] ? 1 : 0;
  if (n_positives == 0)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "Example “%s” has no positive among its %u candidates",
                   example_id, n_candidates);
      return FALSE;
    }
  if (self->kind == EIGML_METRICS_DSTC10 && n_positives != 1)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "Example “%s” has %u positives; the DSTC10 scorer takes exactly one",
                   example_id, n_positives);
      return FALSE;
    }

  ex = g_new0 (Example, 1);
  ex->id = g_strdup (example_id);
  ex->n_candidates = n_candidates;
  ex->n_positives = n_positives;
  ex->scores = g_memdup2 (scores, sizeof (float) * n_candidates);
  ex->ranking = g_new (guint, n_candidates);
  ex->positives = g_new (guint, n_positives);
  ex->positive_ranks = g_new (guint, n_positives);

  shuffled_order (self->seed, example_id, n_candidates, ex->ranking);
  /* g_qsort_with_data() is a stable sort */
  g_qsort_with_data (ex->ranking, (gint) n_candidates, sizeof (guint),
                     compare_score_descending, ex->scores);

  j = 0;
  for (guint i = 0; i < n_candidates; i++)
    if (labels[i])
      ex->positives[j++] = i;
  j = 0;
  for (guint r = 0; r < n_candidates; r++)
    if (labels[ex->ranking[r]])
      {
        ex->positive_ranks[j] = r + 1;
        /* precision at this positive: (positives so far) / rank */
        precision_sum += (double) (j + 1) / (double) (r + 1);
        j++;
      }
  ex->ap = precision_sum / (double) n_positives;

  store_example (self, ex);
  return TRUE;
}

/**
 * eigml_metrics_add_checked: (rename-to eigml_metrics_add)
 * @self: an #EigmlMetrics
 * @example_id: the example's id: unique within the accumulator, valid UTF-8
 * @scores: (array length=n_scores): one score per candidate, higher is
 *   better; NaN is an error, infinities are allowed
 * @n_scores: the length of @scores
 * @labels: (array length=n_labels): whether each candidate is a positive
 * @n_labels: the length of @labels
 * @error: return location for a #GError
 *
 * [method@Eigml.Metrics.add] with a length for each array, for bindings
 * (where it is called `add`): lengths that differ are an
 * %EIGML_ERROR_SHAPE error.
 *
 * Returns: %TRUE when the example was added
 *
 * Since: 1.0
 */
gboolean
eigml_metrics_add_checked (EigmlMetrics *self,
                           const char *example_id,
                           const float *scores,
                           guint n_scores,
                           const gboolean *labels,
                           guint n_labels,
                           GError **error)
{
  g_return_val_if_fail (EIGML_IS_METRICS (self), FALSE);
  g_return_val_if_fail (example_id != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (n_scores != n_labels)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE,
                   "Example “%s” has %u scores but %u labels", example_id, n_scores, n_labels);
      return FALSE;
    }
  return eigml_metrics_add (self, example_id, scores, labels, n_scores, error);
}

/**
 * eigml_metrics_add_positive:
 * @self: an #EigmlMetrics
 * @example_id: the example's id: unique within the accumulator, valid UTF-8
 * @scores: (array length=n_candidates): one score per candidate, higher is
 *   better; NaN is an error, infinities are allowed
 * @n_candidates: how many candidates the example has
 * @positive_index: the one positive candidate
 * @error: return location for a #GError
 *
 * Adds an example with exactly one positive, as in StickerChat and DSTC10,
 * like [method@Eigml.Metrics.add]. A @positive_index that is not below
 * @n_candidates is an %EIGML_ERROR_OUT_OF_RANGE error.
 *
 * Returns: %TRUE when the example was added
 *
 * Since: 1.0
 */
gboolean
eigml_metrics_add_positive (EigmlMetrics *self,
                            const char *example_id,
                            const float *scores,
                            guint n_candidates,
                            guint positive_index,
                            GError **error)
{
  g_autofree gboolean *labels = NULL;

  g_return_val_if_fail (EIGML_IS_METRICS (self), FALSE);
  g_return_val_if_fail (example_id != NULL, FALSE);
  g_return_val_if_fail (scores != NULL || n_candidates == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (n_candidates > 0 && positive_index >= n_candidates)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_OUT_OF_RANGE,
                   "Example “%s”: positive candidate %u is out of range (%u candidates)",
                   example_id, positive_index, n_candidates);
      return FALSE;
    }
  labels = g_new0 (gboolean, MAX (n_candidates, 1));
  if (n_candidates > 0)
    labels[positive_index] = TRUE;
  return eigml_metrics_add (self, example_id, scores, labels, n_candidates, error);
}

/**
 * eigml_metrics_merge:
 * @self: an #EigmlMetrics
 * @other: another #EigmlMetrics of the same kind and seed
 * @error: return location for a #GError
 *
 * Adds copies of @other's examples to @self, for an evaluation split into
 * shards. The results are then bit for bit those of one accumulator that
 * was given all the examples, in any order: every result is summed over
 * the examples in the order of their ids.
 *
 * @other must have the same kind and seed as @self and no example id in
 * common with it, else an %EIGML_ERROR_INVALID_ARGUMENT error leaves @self
 * as it was.
 *
 * Returns: %TRUE when the examples were merged
 *
 * Since: 1.0
 */
gboolean
eigml_metrics_merge (EigmlMetrics *self,
                     EigmlMetrics *other,
                     GError **error)
{
  g_return_val_if_fail (EIGML_IS_METRICS (self), FALSE);
  g_return_val_if_fail (EIGML_IS_METRICS (other), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (other == self)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "Cannot merge metrics into themselves");
      return FALSE;
    }
  if (other->kind != self->kind)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "Cannot merge %s metrics into %s metrics",
                   scorer_name (other->kind), scorer_name (self->kind));
      return FALSE;
    }
  if (other->seed != self->seed)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "Cannot merge metrics with tie seed %" G_GUINT64_FORMAT
                   " into metrics with tie seed %" G_GUINT64_FORMAT,
                   other->seed, self->seed);
      return FALSE;
    }
  for (guint i = 0; i < other->examples->len; i++)
    {
      const Example *ex = g_ptr_array_index (other->examples, i);

      if (g_hash_table_contains (self->by_id, ex->id))
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                       "Cannot merge metrics: example “%s” is in both", ex->id);
          return FALSE;
        }
    }

  for (guint i = 0; i < other->examples->len; i++)
    store_example (self, example_copy (g_ptr_array_index (other->examples, i)));
  return TRUE;
}

static int
compare_example_ids (gconstpointer a,
                     gconstpointer b)
{
  const Example *ea = *(const Example * const *) a;
  const Example *eb = *(const Example * const *) b;

  return strcmp (ea->id, eb->id);
}

/* Results are summed in the order of the ids, so that they do not depend
 * on the order of addition or on merging. */
static void
ensure_sorted (EigmlMetrics *self)
{
  if (self->sorted)
    return;
  g_ptr_array_sort (self->examples, compare_example_ids);
  self->sorted = TRUE;
}

/**
 * eigml_metrics_get_n_examples:
 * @self: an #EigmlMetrics
 *
 * Returns: how many examples were added
 *
 * Since: 1.0
 */
guint
eigml_metrics_get_n_examples (EigmlMetrics *self)
{
  g_return_val_if_fail (EIGML_IS_METRICS (self), 0);

  return self->examples->len;
}

static double
example_map_term (EigmlMetricsKind kind,
                  const Example *ex)
{
  if (kind == EIGML_METRICS_DSTC10)
    return ex->positive_ranks[0] <= DSTC10_MAP_CUTOFF ? 1.0 / ex->positive_ranks[0] : 0.0;
  return ex->ap;
}

static double
example_recall (const Example *ex,
                guint k)
{
  guint hits = 0;

  while (hits < ex->n_positives && ex->positive_ranks[hits] <= k)
    hits++;
  return (double) hits / (double) ex->n_positives;
}

/**
 * eigml_metrics_get_map:
 * @self: an #EigmlMetrics
 *
 * The mean over the examples of their average precision, or, with
 * %EIGML_METRICS_DSTC10, of 1 / rank of the answer when it ranks in the
 * top 5 (0 otherwise).
 *
 * Returns: MAP as a fraction in [0, 1]; NaN when no example was added
 *
 * Since: 1.0
 */
double
eigml_metrics_get_map (EigmlMetrics *self)
{
  double sum = 0.0;

  g_return_val_if_fail (EIGML_IS_METRICS (self), NAN);

  if (self->examples->len == 0)
    return NAN;
  ensure_sorted (self);
  for (guint i = 0; i < self->examples->len; i++)
    sum += example_map_term (self->kind, g_ptr_array_index (self->examples, i));
  return sum / self->examples->len;
}

/**
 * eigml_metrics_get_mrr:
 * @self: an #EigmlMetrics
 *
 * The mean over the examples of 1 / rank of their best-ranked positive.
 *
 * Returns: MRR as a fraction in [0, 1]; NaN when no example was added
 *
 * Since: 1.0
 */
double
eigml_metrics_get_mrr (EigmlMetrics *self)
{
  double sum = 0.0;

  g_return_val_if_fail (EIGML_IS_METRICS (self), NAN);

  if (self->examples->len == 0)
    return NAN;
  ensure_sorted (self);
  for (guint i = 0; i < self->examples->len; i++)
    {
      const Example *ex = g_ptr_array_index (self->examples, i);

      sum += 1.0 / ex->positive_ranks[0];
    }
  return sum / self->examples->len;
}

/**
 * eigml_metrics_get_recall:
 * @self: an #EigmlMetrics
 * @k: the cut-off rank, at least 1
 *
 * The mean over the examples of the share of their positives ranked in the
 * top @k (`R10@k` for ten candidates). A @k beyond an example's number of
 * candidates counts all its positives.
 *
 * Returns: recall at @k as a fraction in [0, 1]; NaN when no example was
 *   added
 *
 * Since: 1.0
 */
double
eigml_metrics_get_recall (EigmlMetrics *self,
                          guint k)
{
  double sum = 0.0;

  g_return_val_if_fail (EIGML_IS_METRICS (self), NAN);
  g_return_val_if_fail (k >= 1, NAN);

  if (self->examples->len == 0)
    return NAN;
  ensure_sorted (self);
  for (guint i = 0; i < self->examples->len; i++)
    sum += example_recall (g_ptr_array_index (self->examples, i), k);
  return sum / self->examples->len;
}

/**
 * eigml_metrics_get_ranking:
 * @self: an #EigmlMetrics
 * @example_id: the id of an example that was added
 * @n_candidates: (out) (optional): return location for the number of
 *   candidates
 *
 * Gives the order in which an example's candidates were ranked, ties
 * broken as described for #EigmlMetrics.
 *
 * Returns: (transfer full) (array length=n_candidates) (nullable): the
 *   candidate indices, best first, or %NULL when no example has that id
 *
 * Since: 1.0
 */
guint *
eigml_metrics_get_ranking (EigmlMetrics *self,
                           const char *example_id,
                           guint *n_candidates)
{
  const Example *ex;

  g_return_val_if_fail (EIGML_IS_METRICS (self), NULL);
  g_return_val_if_fail (example_id != NULL, NULL);

  if (n_candidates != NULL)
    *n_candidates = 0;
  ex = g_hash_table_lookup (self->by_id, example_id);
  if (ex == NULL)
    return NULL;
  if (n_candidates != NULL)
    *n_candidates = ex->n_candidates;
  return g_memdup2 (ex->ranking, sizeof (guint) * ex->n_candidates);
}

static const guint report_ks[] = { 1, 2, 5 };

static void
add_metric (JsonBuilder *builder,
            const char *name,
            double value)
{
  json_builder_set_member_name (builder, name);
  if (isnan (value))
    json_builder_add_null_value (builder);
  else
    json_builder_add_double_value (builder, value);
}

/**
 * eigml_metrics_to_json:
 * @self: an #EigmlMetrics
 *
 * Gives the results as one JSON object:
 * `{"MAP": …, "MRR": …, "R10@1": …, "R10@2": …, "R10@5": …, "examples": N}`,
 * the values being fractions in [0, 1] (not percentages), or `null` when
 * no example was added. With %EIGML_METRICS_DSTC10 the object has one more
 * member, `"scorer": "dstc10"`. The `R10@k` names are kept whatever the
 * number of candidates.
 *
 * Returns: (transfer full): the JSON text, on one line
 *
 * Since: 1.0
 */
char *
eigml_metrics_to_json (EigmlMetrics *self)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;

  g_return_val_if_fail (EIGML_IS_METRICS (self), NULL);

  json_builder_begin_object (builder);
  add_metric (builder, "MAP", eigml_metrics_get_map (self));
  add_metric (builder, "MRR", eigml_metrics_get_mrr (self));
  for (guint i = 0; i < G_N_ELEMENTS (report_ks); i++)
    {
      char name[16];

      g_snprintf (name, sizeof name, "R10@%u", report_ks[i]);
      add_metric (builder, name, eigml_metrics_get_recall (self, report_ks[i]));
    }
  json_builder_set_member_name (builder, "examples");
  json_builder_add_int_value (builder, self->examples->len);
  if (self->kind == EIGML_METRICS_DSTC10)
    {
      json_builder_set_member_name (builder, "scorer");
      json_builder_add_string_value (builder, scorer_name (self->kind));
    }
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

static void
append_percent_row (GString *out,
                    const char *name,
                    double value)
{
  if (isnan (value))
    g_string_append_printf (out, "%-8s %8s\n", name, "-");
  else
    g_string_append_printf (out, "%-8s %8.2f\n", name, 100.0 * value);
}

/**
 * eigml_metrics_format_table:
 * @self: an #EigmlMetrics
 *
 * Gives the results as a small table for people: MAP, MRR, R10@1, R10@2
 * and R10@5 in percent with two decimals, then the number of examples and
 * the scorer. Values are `-` when no example was added.
 *
 * Returns: (transfer full): the table, lines ending in a newline
 *
 * Since: 1.0
 */
char *
eigml_metrics_format_table (EigmlMetrics *self)
{
  GString *out;

  g_return_val_if_fail (EIGML_IS_METRICS (self), NULL);

  out = g_string_new (NULL);
  g_string_append_printf (out, "%-8s %8s\n", "metric", "%");
  append_percent_row (out, "MAP", eigml_metrics_get_map (self));
  append_percent_row (out, "MRR", eigml_metrics_get_mrr (self));
  for (guint i = 0; i < G_N_ELEMENTS (report_ks); i++)
    {
      char name[16];

      g_snprintf (name, sizeof name, "R10@%u", report_ks[i]);
      append_percent_row (out, name, eigml_metrics_get_recall (self, report_ks[i]));
    }
  g_string_append_printf (out, "%u examples, %s scorer\n",
                          self->examples->len, scorer_name (self->kind));
  return g_string_free (out, FALSE);
}

static void
add_uint_array (JsonBuilder *builder,
                const char *name,
                const guint *values,
                guint n)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (guint i = 0; i < n; i++)
    json_builder_add_int_value (builder, values[i]);
  json_builder_end_array (builder);
}

static void
append_prediction (GString *out,
                   EigmlMetricsKind kind,
                   const Example *ex)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, ex->id);
  json_builder_set_member_name (builder, "scores");
  json_builder_begin_array (builder);
  /* JSON has no infinities: they are written as null */
  for (guint i = 0; i < ex->n_candidates; i++)
    if (isfinite (ex->scores[i]))
      json_builder_add_double_value (builder, ex->scores[i]);
    else
      json_builder_add_null_value (builder);
  json_builder_end_array (builder);
  add_uint_array (builder, "ranking", ex->ranking, ex->n_candidates);
  add_uint_array (builder, "positives", ex->positives, ex->n_positives);
  json_builder_set_member_name (builder, "rank");
  json_builder_add_int_value (builder, ex->positive_ranks[0]);
  json_builder_set_member_name (builder, "ap");
  json_builder_add_double_value (builder, ex->ap);
  if (kind == EIGML_METRICS_DSTC10)
    {
      json_builder_set_member_name (builder, "dstc10_map");
      json_builder_add_double_value (builder, example_map_term (kind, ex));
    }
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_to_gstring (generator, out);
  g_string_append_c (out, '\n');
}

/**
 * eigml_metrics_write_predictions:
 * @self: an #EigmlMetrics
 * @path: (type filename): the file to write
 * @error: return location for a #GError
 *
 * Writes every example as one JSON object per line, in the order of their
 * ids: `{"id": …, "scores": […], "ranking": […], "positives": […],
 * "rank": r, "ap": …}` where `ranking` lists the candidate indices best
 * first, `positives` the positive candidate indices, `rank` is the 1-based
 * rank of the best-ranked positive and `ap` the example's average
 * precision. Infinite scores are written as `null`. With
 * %EIGML_METRICS_DSTC10 each object also has `"dstc10_map"`, the
 * example's term of that scorer's MAP.
 *
 * The file is replaced atomically: a reader sees the old file or the whole
 * new one.
 *
 * Returns: %TRUE when the file was written
 *
 * Since: 1.0
 */
gboolean
eigml_metrics_write_predictions (EigmlMetrics *self,
                                 const char *path,
                                 GError **error)
{
  g_autoptr (GString) out = NULL;

  g_return_val_if_fail (EIGML_IS_METRICS (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  ensure_sorted (self);
  out = g_string_new (NULL);
  for (guint i = 0; i < self->examples->len; i++)
    append_prediction (out, self->kind, g_ptr_array_index (self->examples, i));
  /* a temporary file renamed over @path */
  return g_file_set_contents_full (path, out->str, (gssize) out->len,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0666, error);
}

/* ---- shards of a distributed evaluation ---------------------------------- */

GBytes *
eigml_metrics_pack (EigmlMetrics *self)
{
  GByteArray *out = g_byte_array_new ();

  for (guint i = 0; i < self->examples->len; i++)
    {
      const Example *ex = g_ptr_array_index (self->examples, i);
      guint32 head[3] = { (guint32) strlen (ex->id), ex->n_candidates, ex->n_positives };

      g_byte_array_append (out, (const guint8 *) head, sizeof head);
      g_byte_array_append (out, (const guint8 *) ex->id, head[0]);
      g_byte_array_append (out, (const guint8 *) ex->scores, sizeof (float) * ex->n_candidates);
      for (guint k = 0; k < ex->n_positives; k++)
        {
          guint32 p = ex->positives[k];
          g_byte_array_append (out, (const guint8 *) &p, sizeof p);
        }
    }
  return g_byte_array_free_to_bytes (out);
}

gboolean
eigml_metrics_add_packed (EigmlMetrics *self,
                          GBytes *packed,
                          GError **error)
{
  gsize len = 0, at = 0;
  const guint8 *data = g_bytes_get_data (packed, &len);

  while (at < len)
    {
      guint32 head[3];
      g_autofree char *id = NULL;
      g_autofree float *scores = NULL;
      g_autofree gboolean *labels = NULL;

      if (len - at < sizeof head)
        goto bad;
      memcpy (head, data + at, sizeof head);
      at += sizeof head;
      if (head[1] == 0 || (len - at) < head[0] ||
          (len - at - head[0]) / sizeof (float) < (gsize) head[1] + head[2])
        goto bad;
      id = g_strndup ((const char *) data + at, head[0]);
      at += head[0];
      scores = g_memdup2 (data + at, sizeof (float) * head[1]);
      at += sizeof (float) * head[1];
      labels = g_new0 (gboolean, head[1]);
      for (guint k = 0; k < head[2]; k++)
        {
          guint32 p;
          memcpy (&p, data + at, sizeof p);
          at += sizeof p;
          if (p >= head[1])
            goto bad;
          labels[p] = TRUE;
        }
      if (!eigml_metrics_add (self, id, scores, labels, head[1], error))
        return FALSE;
    }
  return TRUE;

bad:
  g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
               "packed metrics: malformed at byte %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT, at, len);
  return FALSE;
}
