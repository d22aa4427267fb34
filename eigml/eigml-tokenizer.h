/* eigml-tokenizer.h: BERT WordPiece tokenizer
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
#include <eigml/eigml-tensor.h>

G_BEGIN_DECLS

#define EIGML_TYPE_TOKENIZER (eigml_tokenizer_get_type ())

EIGML_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EigmlTokenizer, eigml_tokenizer, EIGML, TOKENIZER, GObject)

EIGML_AVAILABLE_IN_ALL
EigmlTokenizer *eigml_tokenizer_new_from_file (const char *vocab_path,
                                               GError **error);
EIGML_AVAILABLE_IN_ALL
EigmlTokenizer *eigml_tokenizer_new_from_folder (const char *folder,
                                                 GError **error);

EIGML_AVAILABLE_IN_ALL
char **eigml_tokenizer_tokenize (EigmlTokenizer *self,
                                 const char *text,
                                 GError **error);
EIGML_AVAILABLE_IN_ALL
gint32 *eigml_tokenizer_encode (EigmlTokenizer *self,
                                const char *text,
                                gboolean add_special_tokens,
                                gsize *n_ids,
                                GError **error);
EIGML_AVAILABLE_IN_ALL
char *eigml_tokenizer_decode (EigmlTokenizer *self,
                              const gint32 *ids,
                              gsize n_ids,
                              gboolean skip_special_tokens,
                              GError **error);

EIGML_AVAILABLE_IN_ALL
EigmlTensor *eigml_tokenizer_encode_dialogue (EigmlTokenizer *self,
                                              const char * const *turns,
                                              const char * const *speakers,
                                              guint max_length,
                                              EigmlTruncation truncation,
                                              GError **error);
EIGML_AVAILABLE_IN_ALL
gboolean eigml_tokenizer_encode_dialogue_into (EigmlTokenizer *self,
                                               const char * const *turns,
                                               const char * const *speakers,
                                               guint max_length,
                                               EigmlTruncation truncation,
                                               gint32 *ids,
                                               gint32 *token_type_ids,
                                               gint32 *attention_mask,
                                               GError **error);

EIGML_AVAILABLE_IN_ALL
gint32 eigml_tokenizer_token_to_id (EigmlTokenizer *self,
                                    const char *token);
EIGML_AVAILABLE_IN_ALL
const char *eigml_tokenizer_id_to_token (EigmlTokenizer *self,
                                         gint32 id);
EIGML_AVAILABLE_IN_ALL
guint eigml_tokenizer_get_vocab_size (EigmlTokenizer *self);

EIGML_AVAILABLE_IN_ALL
gboolean eigml_tokenizer_get_do_lower_case (EigmlTokenizer *self);
EIGML_AVAILABLE_IN_ALL
void eigml_tokenizer_set_do_lower_case (EigmlTokenizer *self,
                                        gboolean do_lower_case);
EIGML_AVAILABLE_IN_ALL
guint eigml_tokenizer_get_max_length (EigmlTokenizer *self);
EIGML_AVAILABLE_IN_ALL
void eigml_tokenizer_set_max_length (EigmlTokenizer *self,
                                     guint max_length);

G_END_DECLS
