/* trainer-private.h: the trainer's options, state and checkpoint files
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "eigml-trainer.h"
#include "engine/params.h"

G_BEGIN_DECLS

typedef struct
{
  double lr, min_lr, weight_decay, max_grad_norm, warmup_ratio;
  guint64 warmup_steps, seed, checkpoint_every, eval_every, max_steps, log_every;
  guint epochs, batch_size, grad_accum, keep_checkpoints, validation_examples;
  char *schedule;
  char *output_dir;
  gboolean resume;
  EigmlTruncation truncation;
  guint n_ranks;           /* data-parallel ranks (not an option: the job's size) */
} EigmlTrainOptions;

/* Where training stands: what a checkpoint stores besides the weights. */
typedef struct
{
  guint64 step;            /* optimizer steps done */
  guint epoch;             /* current epoch */
  guint64 micro;           /* micro-batches of the current epoch done */
  double best_map;         /* best validation MAP so far (-1: none) */
  guint64 best_step;
  guint64 n_train;         /* training examples (checked on resume) */
  /* what the dialogues' emotion and knowledge came from, recorded so that
   * `eigml select` and `eigml eval` use the same by default: "annotator"
   * or "dataset"; "none", "fallback", "sidecar" or "sidecar+fallback"
   * (static strings; NULL: not recorded) */
  const char *emotion_source;
  const char *intent_source;
} EigmlTrainState;

gboolean eigml_checkpoint_save (const char *output_dir, const char *name, EigmlModel *model,
                                EigmlTokenizer *tokenizer, gboolean with_optimizer,
                                const EigmlTrainOptions *options, const EigmlTrainState *state,
                                GError **error);
/* Reads output_dir/latest; FALSE without error when there is none. */
gboolean eigml_checkpoint_find_latest (const char *output_dir, char **path, GError **error);
/* May change options->grad_accum to keep the data order when the number
 * of ranks changed (docs/scaling.md). */
gboolean eigml_checkpoint_restore (const char *path, EigmlModel *model,
                                   EigmlTrainOptions *options, EigmlTrainState *state,
                                   GError **error);
void eigml_checkpoint_prune (const char *output_dir, guint keep);

G_END_DECLS
