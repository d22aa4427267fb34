/* eigml-trainer.h: training the EIGML model
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(__EIGML_H_INSIDE__) && !defined(EIGML_COMPILATION)
#error "Only <eigml/eigml.h> can be included directly."
#endif

#include <gio/gio.h>
#include <eigml/eigml-version-macros.h>
#include <eigml/eigml-model.h>
#include <eigml/eigml-tokenizer.h>
#include <eigml/eigml-dataset.h>
#include <eigml/eigml-emotion-annotator.h>

G_BEGIN_DECLS

#define EIGML_TYPE_TRAINER (eigml_trainer_get_type ())

EIGML_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EigmlTrainer, eigml_trainer, EIGML, TRAINER, GObject)

EIGML_AVAILABLE_IN_ALL
EigmlTrainer *eigml_trainer_new (EigmlModel *model,
                                 EigmlTokenizer *tokenizer,
                                 EigmlDataset *train,
                                 EigmlDataset *validation);
EIGML_AVAILABLE_IN_ALL
EigmlTrainer *eigml_trainer_new_from_config (EigmlContext *context,
                                             const char *path,
                                             const char * const *overrides,
                                             GError **error);
EIGML_AVAILABLE_IN_ALL
EigmlModel *eigml_trainer_get_model (EigmlTrainer *self);
EIGML_AVAILABLE_IN_ALL
EigmlTokenizer *eigml_trainer_get_tokenizer (EigmlTrainer *self);
EIGML_AVAILABLE_IN_ALL
EigmlEmotionAnnotator *eigml_trainer_get_emotion_annotator (EigmlTrainer *self);
EIGML_AVAILABLE_IN_ALL
void eigml_trainer_set_emotion_annotator (EigmlTrainer *self,
                                          EigmlEmotionAnnotator *annotator);
EIGML_AVAILABLE_IN_ALL
guint64 eigml_trainer_get_step (EigmlTrainer *self);
EIGML_AVAILABLE_IN_ALL
guint64 eigml_trainer_get_total_steps (EigmlTrainer *self);
EIGML_AVAILABLE_IN_ALL
double eigml_trainer_get_best_map (EigmlTrainer *self);

EIGML_AVAILABLE_IN_ALL
gboolean eigml_trainer_train (EigmlTrainer *self,
                              GCancellable *cancellable,
                              GError **error);
EIGML_AVAILABLE_IN_ALL
void eigml_trainer_train_async (EigmlTrainer *self,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data);
EIGML_AVAILABLE_IN_ALL
gboolean eigml_trainer_train_finish (EigmlTrainer *self,
                                     GAsyncResult *result,
                                     GError **error);

G_END_DECLS
