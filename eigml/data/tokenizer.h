/* tokenizer.h: the pieces behind EigmlTokenizer (private)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The text pipeline is Hugging Face's BERT pipeline, stage by stage:
 * BertNormalizer (tokenizer-normalize.c), BertPreTokenizer (same file),
 * WordPiece (eigml-tokenizer.c). The vocabulary and the optional
 * tokenizer_config.json are read in tokenizer-vocab.c, dialogue packing is in
 * tokenizer-dialogue.c. docs/tokenizer.md says which behaviour is matched.
 */
#pragma once

#include <glib.h>

#include "eigml-tokenizer.h"

G_BEGIN_DECLS

/* Hugging Face's limit: a longer word becomes the unknown token whole */
#define EIGML_WORDPIECE_MAX_INPUT_CHARS 100

/* Upper bounds on what a file may make Eigml allocate */
#define EIGML_VOCAB_MAX_FILE_SIZE (256 * 1024 * 1024)
#define EIGML_TOKENIZER_CONFIG_MAX_FILE_SIZE (16 * 1024 * 1024)
#define EIGML_TOKENIZER_MAX_LENGTH_LIMIT (1u << 20)

/* tokenizer-normalize.c: character classes, BertNormalizer, BertPreTokenizer */

gboolean eigml_bert_is_whitespace (gunichar c);
gboolean eigml_bert_is_control (gunichar c);
gboolean eigml_bert_is_punctuation (gunichar c);
gboolean eigml_bert_is_chinese_char (gunichar c);
/* The lower-case mapping of c; for U+0130, the first of its two characters */
gunichar eigml_bert_to_lower (gunichar c);
/* Appends the lower-case mapping of c (one or two characters) to out */
void eigml_bert_append_lowercase (GArray *out,
                                  gunichar c);

typedef struct
{
  gboolean lowercase;
  gboolean strip_accents;
  gboolean handle_chinese_chars;
} EigmlBertNormalizer;

/* Appends the normalized characters of text[0, len) (valid UTF-8, may hold
 * NUL bytes) to out, an array of gunichar. */
void eigml_bert_normalize (const EigmlBertNormalizer *normalizer,
                           const char *text,
                           gsize len,
                           GArray *out);

typedef struct
{
  guint start;
  guint end;
} EigmlSpan;

/* Appends to words (an array of EigmlSpan) the words of chars[first, n):
 * whitespace removed, each punctuation character a word of its own. */
void eigml_bert_pre_tokenize (const gunichar *chars,
                              guint first,
                              guint n,
                              GArray *words);

/* tokenizer-vocab.c: vocab.txt and tokenizer_config.json */

typedef struct _EigmlVocab EigmlVocab;

EigmlVocab *eigml_vocab_load (const char *path,
                              GError **error);
EigmlVocab *eigml_vocab_new_from_data (const char *data,
                                       gsize len,
                                       const char *name,
                                       GError **error);
void eigml_vocab_free (EigmlVocab *vocab);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EigmlVocab, eigml_vocab_free)

gboolean eigml_vocab_lookup (const EigmlVocab *vocab,
                             const char *piece,
                             gint32 *id);
const char *eigml_vocab_get_piece (const EigmlVocab *vocab,
                                   gint32 id);
guint eigml_vocab_get_size (const EigmlVocab *vocab);
guint eigml_vocab_get_max_piece_bytes (const EigmlVocab *vocab);
/* The number of lines whose piece was already on an earlier line */
guint eigml_vocab_get_n_duplicates (const EigmlVocab *vocab);
/* TRUE when lower-casing changes no character of any piece (markers such
 * as [CLS], [unused1] or <S> aside): the vocabulary was made from
 * lower-cased text. */
gboolean eigml_vocab_looks_uncased (const EigmlVocab *vocab);

typedef enum
{
  EIGML_SPECIAL_UNK,
  EIGML_SPECIAL_SEP,
  EIGML_SPECIAL_PAD,
  EIGML_SPECIAL_CLS,
  EIGML_SPECIAL_MASK,
  EIGML_N_SPECIAL,
} EigmlSpecialKind;

/* What a Hugging Face model folder's tokenizer_config.json and
 * special_tokens_map.json may say; -1 (or NULL, or 0) where they are silent. */
typedef struct
{
  int do_lower_case;
  int strip_accents;
  int tokenize_chinese_chars;
  gint64 model_max_length;
  char *special[EIGML_N_SPECIAL];
  GPtrArray *additional_special;
} EigmlTokenizerConfig;

void eigml_tokenizer_config_init (EigmlTokenizerConfig *config);
void eigml_tokenizer_config_clear (EigmlTokenizerConfig *config);
gboolean eigml_tokenizer_config_load (EigmlTokenizerConfig *config,
                                      const char *path,
                                      GError **error);
const char *eigml_special_kind_default (EigmlSpecialKind kind);

/* tokenizer-wordpiece.c: the whole pipeline over one vocabulary */

typedef struct
{
  EigmlVocab *vocab;
  char *name;                       /* the vocabulary's file, for messages */
  gboolean lowercase;
  int strip_accents;                /* -1: follows lowercase */
  gboolean handle_chinese_chars;
  char *special[EIGML_N_SPECIAL];
  gint32 special_id[EIGML_N_SPECIAL];  /* -1: not in the vocabulary */
  /* the special tokens present in the vocabulary, longest first: matched
   * in raw text, never split */
  GPtrArray *never_split;
  GArray *never_split_ids;
  gboolean never_split_first_byte[256];
} EigmlWordPiece;

void eigml_wordpiece_init (EigmlWordPiece *wp);
void eigml_wordpiece_clear (EigmlWordPiece *wp);
/* Takes vocab; config may be NULL (Hugging Face's BERT defaults) */
gboolean eigml_wordpiece_setup (EigmlWordPiece *wp,
                                EigmlVocab *vocab,
                                const char *name,
                                const EigmlTokenizerConfig *config,
                                GError **error);
gboolean eigml_wordpiece_is_special_id (const EigmlWordPiece *wp,
                                        gint32 id);
/* Appends the ids of text[0, len) (UTF-8, may hold NUL bytes, which are
 * dropped) to ids; or, when words is not NULL, the words that WordPiece
 * would cut (normalized and pre-tokenized; a special token is a word). */
gboolean eigml_wordpiece_encode (const EigmlWordPiece *wp,
                                 const char *text,
                                 gsize len,
                                 GArray *ids,
                                 GPtrArray *words,
                                 GError **error);

/* eigml-tokenizer.c: entry points taking a length, for text that may hold
 * NUL characters (the eigml tool and the tests) */

gint32 *eigml_tokenizer_encode_len (EigmlTokenizer *self,
                                    const char *text,
                                    gsize len,
                                    gboolean add_special_tokens,
                                    gsize *n_ids,
                                    GError **error);
char **eigml_tokenizer_tokenize_len (EigmlTokenizer *self,
                                     const char *text,
                                     gsize len,
                                     GError **error);
char **eigml_tokenizer_pre_tokenize_len (EigmlTokenizer *self,
                                         const char *text,
                                         gsize len,
                                         GError **error);
/* NULL for an empty object made with g_object_new() */
const EigmlWordPiece *eigml_tokenizer_get_wordpiece (EigmlTokenizer *self,
                                                     GError **error);

/* tokenizer-dialogue.c */

typedef struct
{
  guint start;        /* first id of the turn in the flat array */
  guint n_speaker;    /* speaker ids at the start of the turn */
  guint n_text;       /* text ids after them; the [SEP] is not stored */
} EigmlPackedTurn;

/* Chooses which ids of each turn go into a sequence of max_length slots
 * ([CLS] and one [SEP] per kept turn included), and writes them. */
void eigml_dialogue_pack (const gint32 *flat,
                          const EigmlPackedTurn *turns,
                          guint n_turns,
                          guint max_length,
                          EigmlTruncation truncation,
                          gint32 cls_id,
                          gint32 sep_id,
                          gint32 pad_id,
                          gint32 *ids,
                          gint32 *token_type_ids,
                          gint32 *attention_mask);

G_END_DECLS
