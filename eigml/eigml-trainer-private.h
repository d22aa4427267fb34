/* eigml-trainer-private.h: what the eigml tool sets on a trainer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <stdio.h>
#include "eigml-trainer.h"

G_BEGIN_DECLS

typedef struct _EigmlDist EigmlDist;

/* Data-parallel training (docs/scaling.md): this process is one rank of
 * @dist (not owned; it must outlive training). */
void eigml_trainer_set_dist (EigmlTrainer *self, EigmlDist *dist);

/* Progress goes to @stream: a bar when @terminal, else JSON lines. */
void eigml_trainer_set_log_stream (EigmlTrainer *self, FILE *stream, gboolean terminal);

/* Writes the vocabulary of @tokenizer as vocab.txt (one token per line, by id). */
gboolean eigml_tokenizer_save_vocab (EigmlTokenizer *tokenizer, const char *path, GError **error);

G_END_DECLS
