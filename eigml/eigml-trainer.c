/* eigml-trainer.c: training the EIGML model
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "eigml-trainer.h"
#include "eigml-trainer-private.h"
#include "eigml-enum-types.h"
#include "eigml-error.h"
#include "eigml-metrics.h"
#include "eigml-ranker.h"
#include "eigml-ranker-private.h"
#include "eigml-metrics-private.h"
#include "train/dist.h"
#include "train/batcher.h"
#include "train/progress.h"
#include "train/schedule.h"
#include "train/trainer-private.h"

#include <math.h>
#include <string.h>

/**
 * EigmlTrainer:
 *
 * Trains an #EigmlModel on a dataset with the losses of docs/model.md:
 * AdamW (PyTorch's update, decoupled weight decay), a warm-up then cosine
 * (or linear, or constant) learning rate, global-norm gradient clipping,
 * gradient accumulation, batches of dialogues with all their candidates.
 * Defaults are the paper's: lr 5e-5, 5 epochs, batch 16, seed 42.
 *
 * Every epoch visits the training examples in a seeded random order and
 * drops the last incomplete batch. Dropout masks, stochastic depth and
 * image crops are functions of the seed and the position in training, so
 * a run resumed from a checkpoint ends with the same weights as one that
 * was never interrupted. Checkpoints go to
 * [property@Eigml.Trainer:output-dir] every
 * [property@Eigml.Trainer:checkpoint-every] steps, at the end of each epoch
 * and at the end; cancelling saves one and stops. Model selection uses the
 * validation dataset only (a dataset whose split is "test" is refused):
 * the best model by validation MAP is kept in `OUTPUT/best`.
 *
 * docs/training.md describes the config file, the folders and resuming.
 *
 * Since: 1.0
 */
struct _EigmlTrainer
{
  GObject parent_instance;

  EigmlModel *model;
  EigmlTokenizer *tokenizer;
  EigmlDataset *train;
  EigmlDataset *validation;
  EigmlEmotionAnnotator *annotator;
  EigmlIntentSource *intent_source;
  EigmlTrainOptions o;
  EigmlTrainState state;
  guint64 total_steps;
  FILE *log;
  gboolean log_terminal;
  GMainContext *signal_context;   /* where ::progress is emitted (train_async) */
  EigmlProgress *progress;        /* while training, with a log stream */
  EigmlRanker *validator;         /* validation passes, kept across validations */
  EigmlDist *dist;                /* data-parallel ranks (docs/scaling.md), or NULL */
};

enum
{
  PROP_0,
  PROP_LR,
  PROP_MIN_LR,
  PROP_WEIGHT_DECAY,
  PROP_MAX_GRAD_NORM,
  PROP_WARMUP_RATIO,
  PROP_WARMUP_STEPS,
  PROP_SEED,
  PROP_CHECKPOINT_EVERY,
  PROP_EVAL_EVERY,
  PROP_MAX_STEPS,
  PROP_LOG_EVERY,
  PROP_EPOCHS,
  PROP_BATCH_SIZE,
  PROP_GRAD_ACCUM,
  PROP_KEEP_CHECKPOINTS,
  PROP_VALIDATION_EXAMPLES,
  PROP_SCHEDULE,
  PROP_OUTPUT_DIR,
  PROP_RESUME,
  PROP_TRUNCATION,
  PROP_INTENT_SOURCE,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

enum
{
  SIGNAL_PROGRESS,
  SIGNAL_VALIDATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (EigmlTrainer, eigml_trainer, G_TYPE_OBJECT)

static void
eigml_trainer_finalize (GObject *object)
{
  EigmlTrainer *self = EIGML_TRAINER (object);

  g_clear_object (&self->model);
  g_clear_object (&self->tokenizer);
  g_clear_object (&self->train);
  g_clear_object (&self->validation);
  g_clear_object (&self->validator);
  g_clear_object (&self->annotator);
  g_clear_object (&self->intent_source);
  g_free (self->o.schedule);
  g_free (self->o.output_dir);
  G_OBJECT_CLASS (eigml_trainer_parent_class)->finalize (object);
}

#define OPT_DOUBLE(id, field) case id: g_value_set_double (value, self->o.field); break
#define OPT_UINT64(id, field) case id: g_value_set_uint64 (value, self->o.field); break
#define OPT_UINT(id, field) case id: g_value_set_uint (value, self->o.field); break

static void
eigml_trainer_get_property (GObject *object,
                            guint prop_id,
                            GValue *value,
                            GParamSpec *pspec)
{
  EigmlTrainer *self = EIGML_TRAINER (object);

  switch (prop_id)
    {
      OPT_DOUBLE (PROP_LR, lr);
      OPT_DOUBLE (PROP_MIN_LR, min_lr);
      OPT_DOUBLE (PROP_WEIGHT_DECAY, weight_decay);
      OPT_DOUBLE (PROP_MAX_GRAD_NORM, max_grad_norm);
      OPT_DOUBLE (PROP_WARMUP_RATIO, warmup_ratio);
      OPT_UINT64 (PROP_WARMUP_STEPS, warmup_steps);
      OPT_UINT64 (PROP_SEED, seed);
      OPT_UINT64 (PROP_CHECKPOINT_EVERY, checkpoint_every);
      OPT_UINT64 (PROP_EVAL_EVERY, eval_every);
      OPT_UINT64 (PROP_MAX_STEPS, max_steps);
      OPT_UINT64 (PROP_LOG_EVERY, log_every);
      OPT_UINT (PROP_EPOCHS, epochs);
      OPT_UINT (PROP_BATCH_SIZE, batch_size);
      OPT_UINT (PROP_GRAD_ACCUM, grad_accum);
      OPT_UINT (PROP_KEEP_CHECKPOINTS, keep_checkpoints);
      OPT_UINT (PROP_VALIDATION_EXAMPLES, validation_examples);
    case PROP_SCHEDULE:
      g_value_set_string (value, self->o.schedule);
      break;
    case PROP_OUTPUT_DIR:
      g_value_set_string (value, self->o.output_dir);
      break;
    case PROP_RESUME:
      g_value_set_boolean (value, self->o.resume);
      break;
    case PROP_TRUNCATION:
      g_value_set_enum (value, self->o.truncation);
      break;
    case PROP_INTENT_SOURCE:
      g_value_set_object (value, self->intent_source);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

#undef OPT_DOUBLE
#undef OPT_UINT64
#undef OPT_UINT
#define OPT_DOUBLE(id, field) case id: self->o.field = g_value_get_double (value); break
#define OPT_UINT64(id, field) case id: self->o.field = g_value_get_uint64 (value); break
#define OPT_UINT(id, field) case id: self->o.field = g_value_get_uint (value); break

static void
eigml_trainer_set_property (GObject *object,
                            guint prop_id,
                            const GValue *value,
                            GParamSpec *pspec)
{
  EigmlTrainer *self = EIGML_TRAINER (object);

  switch (prop_id)
    {
      OPT_DOUBLE (PROP_LR, lr);
      OPT_DOUBLE (PROP_MIN_LR, min_lr);
      OPT_DOUBLE (PROP_WEIGHT_DECAY, weight_decay);
      OPT_DOUBLE (PROP_MAX_GRAD_NORM, max_grad_norm);
      OPT_DOUBLE (PROP_WARMUP_RATIO, warmup_ratio);
      OPT_UINT64 (PROP_WARMUP_STEPS, warmup_steps);
      OPT_UINT64 (PROP_SEED, seed);
      OPT_UINT64 (PROP_CHECKPOINT_EVERY, checkpoint_every);
      OPT_UINT64 (PROP_EVAL_EVERY, eval_every);
      OPT_UINT64 (PROP_MAX_STEPS, max_steps);
      OPT_UINT64 (PROP_LOG_EVERY, log_every);
      OPT_UINT (PROP_EPOCHS, epochs);
      OPT_UINT (PROP_BATCH_SIZE, batch_size);
      OPT_UINT (PROP_GRAD_ACCUM, grad_accum);
      OPT_UINT (PROP_KEEP_CHECKPOINTS, keep_checkpoints);
      OPT_UINT (PROP_VALIDATION_EXAMPLES, validation_examples);
    case PROP_SCHEDULE:
      g_free (self->o.schedule);
      self->o.schedule = g_value_dup_string (value);
      break;
    case PROP_OUTPUT_DIR:
      g_free (self->o.output_dir);
      self->o.output_dir = g_value_dup_string (value);
      break;
    case PROP_RESUME:
      self->o.resume = g_value_get_boolean (value);
      break;
    case PROP_TRUNCATION:
      self->o.truncation = g_value_get_enum (value);
      break;
    case PROP_INTENT_SOURCE:
      if (g_set_object (&self->intent_source, g_value_get_object (value)))
        g_object_notify_by_pspec (object, pspec);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eigml_trainer_class_init (EigmlTrainerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = eigml_trainer_finalize;
  object_class->get_property = eigml_trainer_get_property;
  object_class->set_property = eigml_trainer_set_property;

  /**
   * EigmlTrainer:lr:
   *
   * The peak learning rate (after warm-up).
   *
   * Since: 1.0
   */
  props[PROP_LR] = g_param_spec_double ("lr", NULL, NULL, 0.0, 10.0, 5e-5, rw);
  /**
   * EigmlTrainer:min-lr:
   *
   * Where linear and cosine decay end.
   *
   * Since: 1.0
   */
  props[PROP_MIN_LR] = g_param_spec_double ("min-lr", NULL, NULL, 0.0, 10.0, 0.0, rw);
  /**
   * EigmlTrainer:weight-decay:
   *
   * AdamW's decoupled weight decay (not on biases, LayerNorm and α, β).
   *
   * Since: 1.0
   */
  props[PROP_WEIGHT_DECAY] = g_param_spec_double ("weight-decay", NULL, NULL, 0.0, 10.0, 0.01, rw);
  /**
   * EigmlTrainer:max-grad-norm:
   *
   * Clip the global gradient norm to this (0: no clipping).
   *
   * Since: 1.0
   */
  props[PROP_MAX_GRAD_NORM] = g_param_spec_double ("max-grad-norm", NULL, NULL, 0.0, 1e6, 1.0, rw);
  /**
   * EigmlTrainer:warmup-ratio:
   *
   * Warm-up as a share of all steps, used when
   * [property@Eigml.Trainer:warmup-steps] is 0.
   *
   * Since: 1.0
   */
  props[PROP_WARMUP_RATIO] = g_param_spec_double ("warmup-ratio", NULL, NULL, 0.0, 1.0, 0.1, rw);
  /**
   * EigmlTrainer:warmup-steps:
   *
   * Steps of linear warm-up (0: use [property@Eigml.Trainer:warmup-ratio]).
   *
   * Since: 1.0
   */
  props[PROP_WARMUP_STEPS] = g_param_spec_uint64 ("warmup-steps", NULL, NULL, 0, G_MAXUINT64, 0,
                                                  rw);
  /**
   * EigmlTrainer:seed:
   *
   * Seeds the data order, dropout and crops.
   *
   * Since: 1.0
   */
  props[PROP_SEED] = g_param_spec_uint64 ("seed", NULL, NULL, 0, G_MAXUINT64, 42, rw);
  /**
   * EigmlTrainer:checkpoint-every:
   *
   * Save a checkpoint every this many steps (0: only at the end of epochs).
   *
   * Since: 1.0
   */
  props[PROP_CHECKPOINT_EVERY] = g_param_spec_uint64 ("checkpoint-every", NULL, NULL, 0,
                                                      G_MAXUINT64, 0, rw);
  /**
   * EigmlTrainer:eval-every:
   *
   * Validate every this many steps (0: at the end of each epoch).
   *
   * Since: 1.0
   */
  props[PROP_EVAL_EVERY] = g_param_spec_uint64 ("eval-every", NULL, NULL, 0, G_MAXUINT64, 0, rw);
  /**
   * EigmlTrainer:max-steps:
   *
   * Stop after this many steps (0: train all epochs).
   *
   * Since: 1.0
   */
  props[PROP_MAX_STEPS] = g_param_spec_uint64 ("max-steps", NULL, NULL, 0, G_MAXUINT64, 0, rw);
  /**
   * EigmlTrainer:log-every:
   *
   * Write a JSON log line every this many steps when not on a terminal.
   *
   * Since: 1.0
   */
  props[PROP_LOG_EVERY] = g_param_spec_uint64 ("log-every", NULL, NULL, 1, G_MAXUINT64, 10, rw);
  /**
   * EigmlTrainer:epochs:
   *
   * Passes over the training data.
   *
   * Since: 1.0
   */
  props[PROP_EPOCHS] = g_param_spec_uint ("epochs", NULL, NULL, 1, G_MAXUINT, 5, rw);
  /**
   * EigmlTrainer:batch-size:
   *
   * Dialogues per micro-batch (each with all its candidates).
   *
   * Since: 1.0
   */
  props[PROP_BATCH_SIZE] = g_param_spec_uint ("batch-size", NULL, NULL, 2, 65536, 16, rw);
  /**
   * EigmlTrainer:grad-accum:
   *
   * Micro-batches whose gradients add up to one optimizer step.
   *
   * Since: 1.0
   */
  props[PROP_GRAD_ACCUM] = g_param_spec_uint ("grad-accum", NULL, NULL, 1, 65536, 1, rw);
  /**
   * EigmlTrainer:keep-checkpoints:
   *
   * How many of the newest step checkpoints to keep.
   *
   * Since: 1.0
   */
  props[PROP_KEEP_CHECKPOINTS] = g_param_spec_uint ("keep-checkpoints", NULL, NULL, 1, G_MAXUINT,
                                                    2, rw);
  /**
   * EigmlTrainer:validation-examples:
   *
   * Validate on the first this many examples (0: all).
   *
   * Since: 1.0
   */
  props[PROP_VALIDATION_EXAMPLES] = g_param_spec_uint ("validation-examples", NULL, NULL, 0,
                                                       G_MAXUINT, 0, rw);
  /**
   * EigmlTrainer:schedule:
   *
   * "cosine", "linear" or "constant", each after the warm-up.
   *
   * Since: 1.0
   */
  props[PROP_SCHEDULE] = g_param_spec_string ("schedule", NULL, NULL, "cosine", rw);
  /**
   * EigmlTrainer:output-dir:
   *
   * Where checkpoints go (%NULL: nowhere).
   *
   * Since: 1.0
   */
  props[PROP_OUTPUT_DIR] = g_param_spec_string ("output-dir", NULL, NULL, NULL, rw);
  /**
   * EigmlTrainer:resume:
   *
   * Continue from the latest checkpoint in the output folder, if any.
   *
   * Since: 1.0
   */
  props[PROP_RESUME] = g_param_spec_boolean ("resume", NULL, NULL, FALSE, rw);
  /**
   * EigmlTrainer:truncation:
   *
   * Which turns of a long dialogue are kept.
   *
   * Since: 1.0
   */
  props[PROP_TRUNCATION] = g_param_spec_enum ("truncation", NULL, NULL, EIGML_TYPE_TRUNCATION,
                                              EIGML_TRUNCATION_KEEP_RECENT, rw);
  /**
   * EigmlTrainer:intent-source:
   *
   * Where training and validation examples that their dataset gives no
   * intents get their intention knowledge (%NULL: they have none, the
   * default); see [method@Eigml.Ranker.set_intent_source]. A config's
   * `data.intent_source: "fallback"` sets the offline fallback.
   *
   * Since: 1.0
   */
  props[PROP_INTENT_SOURCE] = g_param_spec_object ("intent-source", NULL, NULL,
                                                   EIGML_TYPE_INTENT_SOURCE, rw);
  g_object_class_install_properties (object_class, N_PROPS, props);

  /**
   * EigmlTrainer::progress:
   * @self: the trainer
   * @epoch: the epoch (from 0)
   * @step: optimizer steps done
   * @total_steps: all the run's steps
   * @loss: this step's total loss
   *
   * Emitted after every optimizer step: in the calling thread by
   * eigml_trainer_train(), in the thread-default main context of the caller
   * of eigml_trainer_train_async().
   *
   * Since: 1.0
   */
  signals[SIGNAL_PROGRESS] = g_signal_new ("progress", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
                                           4, G_TYPE_UINT, G_TYPE_UINT64, G_TYPE_UINT64,
                                           G_TYPE_DOUBLE);
  /**
   * EigmlTrainer::validated:
   * @self: the trainer
   * @step: optimizer steps done
   * @metrics: the validation metrics
   *
   * Emitted after each validation, where ::progress is.
   *
   * Since: 1.0
   */
  signals[SIGNAL_VALIDATED] = g_signal_new ("validated", G_TYPE_FROM_CLASS (klass),
                                            G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
                                            2, G_TYPE_UINT64, EIGML_TYPE_METRICS);
}

static void
eigml_trainer_init (EigmlTrainer *self)
{
  self->o.lr = 5e-5;
  self->o.weight_decay = 0.01;
  self->o.max_grad_norm = 1.0;
  self->o.warmup_ratio = 0.1;
  self->o.seed = 42;
  self->o.log_every = 10;
  self->o.epochs = 5;
  self->o.batch_size = 16;
  self->o.grad_accum = 1;
  self->o.keep_checkpoints = 2;
  self->o.schedule = g_strdup ("cosine");
  self->o.truncation = EIGML_TRUNCATION_KEEP_RECENT;
  self->o.n_ranks = 1;
  self->state.best_map = -1.0;
}

/**
 * eigml_trainer_new:
 * @model: the model to train (its parameters change)
 * @tokenizer: the model's tokenizer
 * @train: the training examples
 * @validation: (nullable): examples for model selection
 *
 * Returns: (transfer full): a trainer with the paper's defaults
 *
 * Since: 1.0
 */
EigmlTrainer *
eigml_trainer_new (EigmlModel *model,
                   EigmlTokenizer *tokenizer,
                   EigmlDataset *train,
                   EigmlDataset *validation)
{
  EigmlTrainer *self;

  g_return_val_if_fail (EIGML_IS_MODEL (model), NULL);
  g_return_val_if_fail (EIGML_IS_TOKENIZER (tokenizer), NULL);
  g_return_val_if_fail (EIGML_IS_DATASET (train), NULL);
  g_return_val_if_fail (validation == NULL || EIGML_IS_DATASET (validation), NULL);

  self = g_object_new (EIGML_TYPE_TRAINER, NULL);
  self->model = g_object_ref (model);
  self->tokenizer = g_object_ref (tokenizer);
  self->train = g_object_ref (train);
  self->validation = validation ? g_object_ref (validation) : NULL;
  return self;
}

/**
 * eigml_trainer_get_model:
 * @self: a trainer
 *
 * Returns: (transfer none): the model being trained
 *
 * Since: 1.0
 */
EigmlModel *
eigml_trainer_get_model (EigmlTrainer *self)
{
  g_return_val_if_fail (EIGML_IS_TRAINER (self), NULL);
  return self->model;
}

/**
 * eigml_trainer_get_tokenizer:
 * @self: a trainer
 *
 * Returns: (transfer none): the tokenizer
 *
 * Since: 1.0
 */
EigmlTokenizer *
eigml_trainer_get_tokenizer (EigmlTrainer *self)
{
  g_return_val_if_fail (EIGML_IS_TRAINER (self), NULL);
  return self->tokenizer;
}

/**
 * eigml_trainer_get_emotion_annotator:
 * @self: a trainer
 *
 * Returns: (transfer none) (nullable): the annotator of dialogue emotions
 *
 * Since: 1.0
 */
EigmlEmotionAnnotator *
eigml_trainer_get_emotion_annotator (EigmlTrainer *self)
{
  g_return_val_if_fail (EIGML_IS_TRAINER (self), NULL);
  return self->annotator;
}

/**
 * eigml_trainer_set_emotion_annotator:
 * @self: a trainer
 * @annotator: (nullable): an annotator
 *
 * With an annotator, every dialogue's emotion e_t (training and
 * validation) is the annotator's on its turns, as the paper derives it with
 * cnsenti, and the datasets' `emotion` fields are not read. (Config files:
 * `data.emotion_source: "annotator"`.)
 *
 * Since: 1.0
 */
void
eigml_trainer_set_emotion_annotator (EigmlTrainer *self,
                                     EigmlEmotionAnnotator *annotator)
{
  g_return_if_fail (EIGML_IS_TRAINER (self));
  g_set_object (&self->annotator, annotator);
}

/**
 * eigml_trainer_get_step:
 * @self: a trainer
 *
 * Returns: optimizer steps done
 *
 * Since: 1.0
 */
guint64
eigml_trainer_get_step (EigmlTrainer *self)
{
  g_return_val_if_fail (EIGML_IS_TRAINER (self), 0);
  return self->state.step;
}

/**
 * eigml_trainer_get_total_steps:
 * @self: a trainer
 *
 * Returns: the steps of the whole run (known once training started)
 *
 * Since: 1.0
 */
guint64
eigml_trainer_get_total_steps (EigmlTrainer *self)
{
  g_return_val_if_fail (EIGML_IS_TRAINER (self), 0);
  return self->total_steps;
}

/**
 * eigml_trainer_get_best_map:
 * @self: a trainer
 *
 * Returns: the best validation MAP so far, or -1 before any validation
 *
 * Since: 1.0
 */
double
eigml_trainer_get_best_map (EigmlTrainer *self)
{
  g_return_val_if_fail (EIGML_IS_TRAINER (self), -1.0);
  return self->state.best_map;
}

void
eigml_trainer_set_dist (EigmlTrainer *self,
                        EigmlDist *dist)
{
  self->dist = dist;
  self->o.n_ranks = dist != NULL ? eigml_dist_get_size (dist) : 1;
}

/* rank 0 writes checkpoints and logs */
static gboolean
is_root (EigmlTrainer *self)
{
  return self->dist == NULL || eigml_dist_get_rank (self->dist) == 0;
}

static gboolean
is_parallel (EigmlTrainer *self)
{
  return self->o.n_ranks > 1;
}

void
eigml_trainer_set_log_stream (EigmlTrainer *self,
                              FILE *stream,
                              gboolean terminal)
{
  self->log = stream;
  self->log_terminal = terminal;
}

/* ---- signals from the training thread ------------------------------------ */

typedef struct
{
  EigmlTrainer *self;
  guint epoch;
  guint64 step, total;
  double loss;
  EigmlMetrics *metrics;
} Emission;

static gboolean
emit_now (gpointer data)
{
  Emission *e = data;

  if (e->metrics != NULL)
    g_signal_emit (e->self, signals[SIGNAL_VALIDATED], 0, e->step, e->metrics);
  else
    g_signal_emit (e->self, signals[SIGNAL_PROGRESS], 0, e->epoch, e->step, e->total, e->loss);
  return G_SOURCE_REMOVE;
}

static void
emission_free (gpointer data)
{
  Emission *e = data;

  g_object_unref (e->self);
  g_clear_object (&e->metrics);
  g_free (e);
}

static void
emit (EigmlTrainer *self,
      guint epoch,
      guint64 step,
      double loss,
      EigmlMetrics *metrics)
{
  Emission *e = g_new0 (Emission, 1);

  e->self = g_object_ref (self);
  e->epoch = epoch;
  e->step = step;
  e->total = self->total_steps;
  e->loss = loss;
  e->metrics = metrics ? g_object_ref (metrics) : NULL;
  if (self->signal_context == NULL)
    {
      emit_now (e);
      emission_free (e);
    }
  else
    g_main_context_invoke_full (self->signal_context, G_PRIORITY_DEFAULT, emit_now, e,
                                emission_free);
}

/* ---- training ------------------------------------------------------------ */

/* A seeded permutation of 0..n-1 for @epoch (Fisher–Yates on SplitMix64). */
static guint64
splitmix64 (guint64 *x)
{
  guint64 z = (*x += 0x9E3779B97F4A7C15ull);

  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static guint *
epoch_order (guint n,
             guint64 seed,
             guint epoch)
{
  guint *order = g_new (guint, n);
  guint64 state = seed * 0x100000001B3ull + epoch + 1;

  for (guint i = 0; i < n; i++)
    order[i] = i;
  for (guint i = n; i > 1; i--)
    {
      guint j = (guint) (splitmix64 (&state) % i);
      guint t = order[i - 1];
      order[i - 1] = order[j];
      order[j] = t;
    }
  return order;
}

/* The all-reduce's bucket size: PyTorch DDP's default, big enough that a
 * bucket's latency is small beside its transfer, small enough that the
 * first buckets go out early in backward. */
#define GRAD_BUCKET_BYTES (25u << 20)

typedef struct
{
  EigmlGraph *micro;       /* forward + backward (+ AdamW when no accumulation) */
  EigmlGraph *optim;       /* AdamW alone, with accumulation */
  EigmlModelGraph mg;
  EigmlAdamWConfig adamw;
  EigmlLrSchedule schedule;
  EigmlGradSync *sync;     /* with several ranks */
} Graphs;

static void
graphs_clear (Graphs *g)
{
  g_clear_pointer (&g->micro, eigml_graph_unref);
  g_clear_pointer (&g->optim, eigml_graph_unref);
  g_clear_pointer (&g->sync, eigml_grad_sync_free);
}

static gboolean
build_graphs (EigmlTrainer *self,
              Graphs *gr,
              GError **error)
{
  EigmlContext *ctx = eigml_model_get_context (self->model);
  const EigmlModelConfig *c = eigml_model_get_config (self->model);
  EigmlParamStore *store = eigml_model_get_store (self->model);
  EigmlNode *loss;

  gr->micro = eigml_graph_new (ctx);
  if (!eigml_model_build (self->model, gr->micro, self->o.batch_size, c->n_candidates,
                          EIGML_MODEL_GRAPH_TRAIN, &gr->mg, error))
    return FALSE;
  loss = gr->mg.loss[EIGML_LOSS_TOTAL];
  /* the gradient of a step is the mean over its micro-batches, on every
   * rank (ranks sum theirs in the all-reduce) */
  if (self->o.grad_accum * self->o.n_ranks > 1)
    loss = eigml_op_scale (gr->micro, loss,
                           1.0f / (float) (self->o.grad_accum * self->o.n_ranks), 0.0f);
  if (!eigml_graph_backward (gr->micro, loss, error))
    return FALSE;
  if (self->o.grad_accum == 1 && !is_parallel (self))
    {
      if (!eigml_graph_add_adamw (gr->micro, store, error))
        return FALSE;
    }
  else
    {
      gr->optim = eigml_graph_new (ctx);
      if (!eigml_graph_add_adamw (gr->optim, store, error) ||
          !eigml_graph_prepare (gr->optim, error))
        return FALSE;
    }
  if (!eigml_graph_prepare (gr->micro, error))
    return FALSE;
  if (is_parallel (self))
    gr->sync = eigml_grad_sync_new (self->dist, store, gr->micro, GRAD_BUCKET_BYTES);
  eigml_adamw_config_init_default (&gr->adamw);
  gr->adamw.lr = (float) self->o.lr;
  gr->adamw.weight_decay = (float) self->o.weight_decay;
  gr->adamw.max_grad_norm = (float) self->o.max_grad_norm;
  return TRUE;
}

/* Each rank scores its shard of the validation batches; rank 0 gathers
 * the examples' scores and computes the metrics as one process would. */
static gboolean
validate_sharded (EigmlTrainer *self,
                  EigmlRanker *ranker,
                  EigmlMetrics *metrics,
                  GCancellable *cancellable,
                  GError **error)
{
  g_autoptr (EigmlMetrics) mine = eigml_metrics_new (EIGML_METRICS_STANDARD);
  g_autoptr (GBytes) packed = NULL;
  g_autofree char *what = g_strdup_printf ("the validation of step %" G_GUINT64_FORMAT,
                                           self->state.step);
  GBytes **all;
  gboolean ok = TRUE;

  if (!eigml_ranker_evaluate_shard (ranker, self->validation, mine, self->o.validation_examples,
                                    eigml_dist_get_rank (self->dist), self->o.n_ranks,
                                    cancellable, error))
    {
      g_prefix_error (error, "validation: ");
      return FALSE;
    }
  packed = eigml_metrics_pack (mine);
  all = eigml_dist_gather (self->dist, packed, what);
  if (all == NULL)
    return TRUE;
  for (guint r = 0; r < self->o.n_ranks; r++)
    {
      if (ok && !eigml_metrics_add_packed (metrics, all[r], error))
        {
          g_prefix_error (error, "validation: rank %u's scores: ", r);
          ok = FALSE;
        }
      g_bytes_unref (all[r]);
    }
  g_free (all);
  return ok;
}

static gboolean
validate (EigmlTrainer *self,
          guint epoch,
          GCancellable *cancellable,
          GError **error)
{
  EigmlRanker *ranker;
  g_autoptr (EigmlMetrics) metrics = NULL;
  double map;

  if (self->validation == NULL)
    return TRUE;
  /* one ranker for the run: its inference passes are built once */
  if (self->validator == NULL)
    self->validator = eigml_ranker_new (self->model, self->tokenizer);
  ranker = self->validator;
  eigml_ranker_set_batch_size (ranker, self->o.batch_size);
  eigml_ranker_set_truncation (ranker, self->o.truncation);
  eigml_ranker_set_emotion_annotator (ranker, self->annotator);
  eigml_ranker_set_intent_source (ranker, self->intent_source);
  metrics = eigml_metrics_new (EIGML_METRICS_STANDARD);
  if (!is_parallel (self))
    {
      if (!eigml_ranker_evaluate (ranker, self->validation, metrics, self->o.validation_examples,
                                  cancellable, error))
        {
          g_prefix_error (error, "validation: ");
          return FALSE;
        }
    }
  else if (!validate_sharded (self, ranker, metrics, cancellable, error))
    return FALSE;
  map = eigml_metrics_get_map (metrics);
  if (is_parallel (self))
    {
      g_autofree char *what = g_strdup_printf ("the validation of step %" G_GUINT64_FORMAT,
                                               self->state.step);
      /* only rank 0 has the metrics: the others follow its decision */
      eigml_dist_bcast (self->dist, &map, sizeof map, what);
    }
  if (self->progress != NULL)
    {
      g_autofree char *json = eigml_metrics_to_json (metrics);

      eigml_progress_message (self->progress, "validation at step %" G_GUINT64_FORMAT
                              " (epoch %u): %s", self->state.step, epoch + 1, json);
    }
  if (is_root (self))
    emit (self, epoch, self->state.step, 0.0, metrics);
  if (map > self->state.best_map)
    {
      self->state.best_map = map;
      self->state.best_step = self->state.step;
      if (self->o.output_dir != NULL && is_root (self) &&
          !eigml_checkpoint_save (self->o.output_dir, "best", self->model, self->tokenizer, FALSE,
                                  &self->o, &self->state, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
save_checkpoint (EigmlTrainer *self,
                 GError **error)
{
  g_autofree char *name = NULL;

  if (self->o.output_dir == NULL)
    return TRUE;
  if (is_parallel (self))
    {
      /* same gradients and the same AdamW on every rank give the same
       * weights: check it where they are saved */
      EigmlParamStore *store = eigml_model_get_store (self->model);
      g_autofree char *what = g_strdup_printf ("the weights of step %" G_GUINT64_FORMAT,
                                               self->state.step);
      guint64 hash;

      if (!eigml_dist_hash_buffer (eigml_param_store_get_buffer (store, EIGML_LEAF_PARAM),
                                   eigml_param_store_get_total_bytes (store), &hash, error) ||
          !eigml_dist_check_same (self->dist, hash, what, error))
        return FALSE;
      if (!is_root (self))
        return TRUE;
    }
  name = g_strdup_printf ("checkpoint-%08" G_GUINT64_FORMAT, self->state.step);
  if (!eigml_checkpoint_save (self->o.output_dir, name, self->model, self->tokenizer, TRUE,
                              &self->o, &self->state, error))
    return FALSE;
  eigml_checkpoint_prune (self->o.output_dir, self->o.keep_checkpoints);
  return TRUE;
}

static gboolean
check_setup (EigmlTrainer *self,
             guint64 *micro_per_epoch,
             GError **error)
{
  guint n = eigml_dataset_get_n_examples (self->train);
  guint64 per_step = (guint64) self->o.batch_size * self->o.grad_accum * self->o.n_ranks;
  const char *vsplit = self->validation ? eigml_dataset_get_split (self->validation) : NULL;
  EigmlLrScheduleKind kind;

  if (vsplit != NULL && g_ascii_strcasecmp (vsplit, "test") == 0)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "the validation data is the test split: models are selected on the "
                   "validation split only, so that test results stay unbiased");
      return FALSE;
    }
  if (n < per_step)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "%u training examples are fewer than one step needs (batch size %u x "
                   "gradient accumulation %u x %u ranks)", n, self->o.batch_size,
                   self->o.grad_accum, self->o.n_ranks);
      return FALSE;
    }
  if (!eigml_lr_schedule_kind_from_string (self->o.schedule, &kind))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "schedule \"%s\": expected cosine, linear or constant", self->o.schedule);
      return FALSE;
    }
  /* micro-batches of the whole job: a step has grad_accum x n_ranks */
  *micro_per_epoch = (n / per_step) * self->o.grad_accum * self->o.n_ranks;
  self->total_steps = (guint64) self->o.epochs * (n / per_step);
  if (self->o.max_steps > 0 && self->o.max_steps < self->total_steps)
    self->total_steps = self->o.max_steps;
  self->state.n_train = n;
  self->state.emotion_source = self->annotator != NULL ? "annotator" : "dataset";
  if (self->intent_source == NULL)
    self->state.intent_source = "none";
  else if (eigml_intent_source_get_path (self->intent_source) == NULL)
    self->state.intent_source = "fallback";
  else if (eigml_intent_source_get_fallback_on_missing (self->intent_source))
    self->state.intent_source = "sidecar+fallback";
  else
    self->state.intent_source = "sidecar";
  return TRUE;
}

static void
report (EigmlTrainer *self,
        EigmlProgress *progress,
        guint epoch,
        guint64 step_in_epoch,
        guint64 steps_per_epoch,
        const double *sums,
        const EigmlModelGraph *mg)
{
  const char *names[EIGML_LOSS_N_TERMS];
  double values[EIGML_LOSS_N_TERMS];
  guint n = 0;

  for (guint i = 0; i < EIGML_LOSS_N_TERMS; i++)
    if (mg->loss[i] != NULL)
      {
        names[n] = eigml_loss_term_name (i);
        values[n] = sums[i] / (self->o.grad_accum * self->o.n_ranks);
        n++;
      }
  if (progress != NULL)
    eigml_progress_update (progress, epoch + 1, step_in_epoch, steps_per_epoch, names, values, n);
  emit (self, epoch, self->state.step,
        sums[EIGML_LOSS_TOTAL] / (self->o.grad_accum * self->o.n_ranks), NULL);
}

/* One micro-batch: its examples (positions mb x batch_size ... of the
 * epoch's @order), forward and backward; its loss terms add to @sums. */
static gboolean
run_micro (EigmlTrainer *self,
           Graphs *gr,
           const EigmlBatcher *batcher,
           const guint *order,
           guint epoch,
           guint64 mb,
           guint64 global_micro,
           double *sums,
           GError **error)
{
  const EigmlModelConfig *c = eigml_model_get_config (self->model);
  g_autofree EigmlExample **examples = g_new0 (EigmlExample *, self->o.batch_size);
  g_autofree guint64 *indices = g_new (guint64, self->o.batch_size);
  EigmlModelBatch batch;
  gboolean filled;

  for (guint i = 0; i < self->o.batch_size; i++)
    {
      indices[i] = order[mb * self->o.batch_size + i];
      examples[i] = eigml_dataset_get_example (self->train, (guint) indices[i], error);
      if (examples[i] == NULL)
        {
          for (guint k = 0; k < i; k++)
            eigml_example_unref (examples[k]);
          return FALSE;
        }
    }
  filled = eigml_batcher_fill (batcher, examples, self->o.batch_size, indices, epoch,
                               c->n_candidates, &batch, error);
  for (guint i = 0; i < self->o.batch_size; i++)
    eigml_example_unref (examples[i]);
  if (!filled)
    return FALSE;
  /* dropout and stochastic depth are keyed by the micro-batch's place in
   * the whole job, so a rank draws what one process would */
  if (!eigml_model_graph_set_batch (gr->micro, &gr->mg, &batch, c->n_emotions, error) ||
      !eigml_graph_set_rng (gr->micro, self->o.seed, global_micro, error))
    {
      eigml_model_batch_clear (&batch);
      return FALSE;
    }
  eigml_model_batch_clear (&batch);
  if (gr->optim == NULL && gr->sync == NULL &&
      !eigml_graph_set_adamw_step (gr->micro, &gr->adamw,
                                   eigml_lr_schedule (&gr->schedule, self->state.step),
                                   self->state.step + 1, error))
    return FALSE;
  if (!eigml_graph_compute (gr->micro, error))
    {
      g_prefix_error (error, "step %" G_GUINT64_FORMAT ": ", self->state.step + 1);
      return FALSE;
    }
  for (guint i = 0; i < EIGML_LOSS_N_TERMS; i++)
    if (gr->mg.loss[i] != NULL)
      {
        float v;
        if (!eigml_graph_read (gr->micro, gr->mg.loss[i], &v, sizeof v, error))
          return FALSE;
        sums[i] += v;
      }
  return TRUE;
}

static gboolean
check_loss (EigmlTrainer *self,
            const double *sums,
            GError **error)
{
  if (isfinite (sums[EIGML_LOSS_TOTAL]))
    return TRUE;
  g_set_error (error, EIGML_ERROR, EIGML_ERROR_NON_FINITE,
               "step %" G_GUINT64_FORMAT ": the loss is not finite (%g); lower the "
               "learning rate or check the data", self->state.step + 1, sums[EIGML_LOSS_TOTAL]);
  return FALSE;
}

/**
 * eigml_trainer_train:
 * @self: a trainer
 * @cancellable: (nullable): cancels training after the current step, with
 *   a checkpoint saved
 * @error: return location for a #GError
 *
 * Trains until the last epoch (or [property@Eigml.Trainer:max-steps]),
 * validating and checkpointing as configured. With
 * [property@Eigml.Trainer:resume] set, it first continues from the latest
 * checkpoint of the output folder.
 *
 * Returns: %TRUE when training finished; %FALSE with %G_IO_ERROR_CANCELLED
 *   when cancelled (a checkpoint was saved), or another error
 *
 * Since: 1.0
 */
gboolean
eigml_trainer_train (EigmlTrainer *self,
                     GCancellable *cancellable,
                     GError **error)
{
  const EigmlModelConfig *c;
  g_autoptr (EigmlImageProcessor) images = NULL;
  g_autoptr (EigmlProgress) progress = NULL;
  Graphs gr = { 0 };
  EigmlBatcher batcher;
  guint64 micro_per_epoch, steps_per_epoch, warmup, per_step;
  guint rank;
  gboolean ok = FALSE, done = FALSE;
  double sums[EIGML_LOSS_N_TERMS + 1] = { 0 };
  g_autofree char *resumed_from = NULL;
  guint accum_before;

  g_return_val_if_fail (EIGML_IS_TRAINER (self), FALSE);

  c = eigml_model_get_config (self->model);
  self->o.n_ranks = self->dist != NULL ? eigml_dist_get_size (self->dist) : 1;
  rank = self->dist != NULL ? eigml_dist_get_rank (self->dist) : 0;
  if (!check_setup (self, &micro_per_epoch, error))
    return FALSE;
  accum_before = self->o.grad_accum;
  /* rank 0 reads the checkpoint; the others get it from rank 0 below, so
   * that only rank 0 needs the output folder */
  if (self->o.resume && self->o.output_dir != NULL && is_root (self))
    {
      g_autofree char *latest = NULL;
      g_autoptr (GError) local = NULL;

      if (eigml_checkpoint_find_latest (self->o.output_dir, &latest, &local))
        {
          if (!eigml_checkpoint_restore (latest, self->model, &self->o, &self->state, error))
            {
              g_prefix_error (error, "resuming from %s: ", latest);
              return FALSE;
            }
          resumed_from = g_strdup (latest);
        }
      else if (local != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
    }
  if (is_parallel (self))
    {
      eigml_dist_bcast (self->dist, &self->state, sizeof self->state, "the trainer state");
      eigml_dist_bcast (self->dist, &self->o.grad_accum, sizeof self->o.grad_accum,
                        "the trainer state");
    }
  /* another number of ranks than the checkpoint's: the accumulation changed */
  if (self->o.grad_accum != accum_before && !check_setup (self, &micro_per_epoch, error))
    return FALSE;
  per_step = (guint64) self->o.grad_accum * self->o.n_ranks;
  steps_per_epoch = micro_per_epoch / per_step;

  images = eigml_image_processor_new (c->vision->image_size);
  eigml_image_processor_set_train (images, TRUE);
  eigml_image_processor_set_seed (images, self->o.seed);
  batcher.tokenizer = self->tokenizer;
  batcher.images = images;
  batcher.config = c;
  batcher.truncation = self->o.truncation;
  batcher.annotator = self->annotator;
  batcher.intent_source = self->intent_source;

  if (!build_graphs (self, &gr, error))
    goto out;
  if (is_parallel (self))
    {
      /* every rank starts from rank 0's weights and moments: the same
       * update on the same gradients then keeps them equal */
      EigmlParamStore *store = eigml_model_get_store (self->model);
      gsize bytes = eigml_param_store_get_total_bytes (store);

      if (!eigml_dist_bcast_buffer (self->dist, eigml_param_store_get_buffer (store, EIGML_LEAF_PARAM),
                                    bytes, "the initial weights", error) ||
          !eigml_dist_bcast_buffer (self->dist,
                                    eigml_param_store_get_buffer (store, EIGML_LEAF_PARAM_M),
                                    bytes, "the initial weights", error) ||
          !eigml_dist_bcast_buffer (self->dist,
                                    eigml_param_store_get_buffer (store, EIGML_LEAF_PARAM_V),
                                    bytes, "the initial weights", error))
        goto out;
    }
  warmup = self->o.warmup_steps > 0 ? self->o.warmup_steps
                                    : (guint64) ceil (self->o.warmup_ratio * self->total_steps);
  eigml_lr_schedule_init (&gr.schedule, EIGML_LR_COSINE, self->o.lr, warmup, self->total_steps);
  eigml_lr_schedule_kind_from_string (self->o.schedule, &gr.schedule.kind);
  gr.schedule.min_lr = self->o.min_lr;
  if (!eigml_lr_schedule_check (&gr.schedule, error))
    goto out;
  if (self->log != NULL && is_root (self))
    {
      progress = eigml_progress_new (self->log, self->o.epochs, self->total_steps);
      eigml_progress_set_terminal (progress, self->log_terminal);
      eigml_progress_set_log_every (progress, self->o.log_every);
      self->progress = progress;
      if (resumed_from != NULL)
        eigml_progress_message (progress, "resuming from %s at step %" G_GUINT64_FORMAT,
                                resumed_from, self->state.step);
      if (self->o.grad_accum != accum_before)
        eigml_progress_message (progress, "the checkpoint's effective batch is kept on %u "
                                "rank(s): gradient accumulation %u instead of %u",
                                self->o.n_ranks, self->o.grad_accum, accum_before);
      if (is_parallel (self))
        eigml_progress_message (progress, "%u ranks x batch %u x accumulation %u: %" G_GUINT64_FORMAT
                                " dialogues per step; gradients all-reduced in %u bucket(s)%s",
                                self->o.n_ranks, self->o.batch_size, self->o.grad_accum,
                                per_step * self->o.batch_size,
                                eigml_grad_sync_get_n_buckets (gr.sync),
                                eigml_grad_sync_overlaps (gr.sync)
                                  ? ", overlapping backward" : " after backward");
    }

  for (guint epoch = self->state.epoch; epoch < self->o.epochs && !done; epoch++)
    {
      guint n = eigml_dataset_get_n_examples (self->train);
      g_autofree guint *order = epoch_order (n, self->o.seed, epoch);

      self->state.epoch = epoch;
      /* step by step: micro-batch k of a step (k = rank x grad_accum + a)
       * reads positions (first + k) x batch_size ... of the epoch's order,
       * which is the whole job's; one process with grad_accum x ranks
       * micro-batches reads the same (docs/scaling.md) */
      for (guint64 first = self->state.micro; first < micro_per_epoch; first += per_step)
        {
          gboolean stop = FALSE;

          for (guint a = 0; a < self->o.grad_accum; a++)
            {
              guint64 mb = first + (guint64) rank * self->o.grad_accum + a;
              gboolean last = a + 1 == self->o.grad_accum;

              if (!is_parallel (self) && g_cancellable_is_cancelled (cancellable))
                {
                  if (save_checkpoint (self, error))
                    g_cancellable_set_error_if_cancelled (cancellable, error);
                  goto out;
                }
              if (last && gr.sync != NULL)
                eigml_grad_sync_begin (gr.sync, self->state.step + 1);
              if (!run_micro (self, &gr, &batcher, order, epoch, mb,
                              (guint64) epoch * micro_per_epoch + mb, sums, error))
                goto out;
              if (!is_parallel (self) && !check_loss (self, sums, error))
                goto out;
            }
          if (gr.sync != NULL)
            {
              /* the loss terms and a stop request travel with the gradients,
               * so every rank logs the same loss and stops at the same step */
              sums[EIGML_LOSS_N_TERMS] = g_cancellable_is_cancelled (cancellable) ? 1.0 : 0.0;
              if (!eigml_grad_sync_finish (gr.sync, sums, EIGML_LOSS_N_TERMS + 1, error) ||
                  !check_loss (self, sums, error))
                goto out;
              stop = sums[EIGML_LOSS_N_TERMS] > 0.0;
            }
          if (gr.optim != NULL &&
              (!eigml_graph_set_adamw_step (gr.optim, &gr.adamw,
                                            eigml_lr_schedule (&gr.schedule, self->state.step),
                                            self->state.step + 1, error) ||
               !eigml_graph_compute (gr.optim, error)))
            goto out;

          self->state.step++;
          self->state.micro = first + per_step;
          report (self, progress, epoch, self->state.micro / per_step, steps_per_epoch, sums,
                  &gr.mg);
          memset (sums, 0, sizeof sums);
          if (stop)
            {
              if (save_checkpoint (self, error))
                g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                             "training was stopped (on some rank)");
              goto out;
            }
          done = self->o.max_steps > 0 && self->state.step >= self->o.max_steps;
          if (self->o.eval_every > 0 && self->state.step % self->o.eval_every == 0 &&
              !validate (self, epoch, cancellable, error))
            goto out;
          if ((done || (self->o.checkpoint_every > 0 &&
                        self->state.step % self->o.checkpoint_every == 0)) &&
              !save_checkpoint (self, error))
            goto out;
          if (done)
            break;
        }
      if (done)
        break;
      /* the epoch is over: the next starts at its first batch */
      self->state.epoch = epoch + 1;
      self->state.micro = 0;
      if (self->o.eval_every == 0 && !validate (self, epoch, cancellable, error))
        goto out;
      if (!save_checkpoint (self, error))
        goto out;
    }
  ok = TRUE;

out:
  if (progress != NULL)
    eigml_progress_finish (progress);
  self->progress = NULL;
  graphs_clear (&gr);
  return ok;
}

static void
train_thread (GTask *task,
              gpointer source,
              gpointer task_data,
              GCancellable *cancellable)
{
  EigmlTrainer *self = source;
  GError *error = NULL;

  if (eigml_trainer_train (self, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/**
 * eigml_trainer_train_async:
 * @self: a trainer
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when training ends
 * @user_data: data for @callback
 *
 * Trains in a worker thread; ::progress and ::validated are emitted in
 * the thread-default main context of the caller.
 *
 * Since: 1.0
 */
void
eigml_trainer_train_async (EigmlTrainer *self,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (EIGML_IS_TRAINER (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, eigml_trainer_train_async);
  self->signal_context = g_main_context_ref_thread_default ();
  g_task_set_task_data (task, self->signal_context, (GDestroyNotify) g_main_context_unref);
  g_task_run_in_thread (task, train_thread);
}

/**
 * eigml_trainer_train_finish:
 * @self: a trainer
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: as eigml_trainer_train()
 *
 * Since: 1.0
 */
gboolean
eigml_trainer_train_finish (EigmlTrainer *self,
                            GAsyncResult *result,
                            GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  self->signal_context = NULL;
  return g_task_propagate_boolean (G_TASK (result), error);
}
