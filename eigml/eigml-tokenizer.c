/* eigml-tokenizer.c: BERT WordPiece tokenizer
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "eigml-tokenizer.h"
#include "eigml-enum-types.h"
#include "eigml-error.h"
#include "eigml-tensor-private.h"
#include "data/tokenizer.h"

#include <string.h>

/**
 * EigmlTokenizer:
 *
 * BERT's WordPiece tokenizer, giving the same ids as Hugging Face's
 * `BertTokenizerFast` for the same `vocab.txt` and settings.
 *
 * Text goes through Hugging Face's BERT pipeline: special tokens written in
 * the text (`[CLS]`, `[SEP]`, `[PAD]`, `[UNK]`, `[MASK]` and any additional
 * special tokens of the model folder) are found first and never split; the
 * rest is cleaned (NUL, U+FFFD and control and format characters dropped,
 * every whitespace character made a space), Chinese characters are split
 * one per token, accents are stripped and letters lower-cased when the
 * vocabulary is uncased, words are split at whitespace and at each
 * punctuation character, and each word is cut into the longest pieces of the
 * vocabulary from its start, later pieces written with a `##` prefix. A word
 * of more than 100 characters, or one that cannot be cut so, becomes
 * `[UNK]`.
 *
 * For a dialogue, [method@Eigml.Tokenizer.encode_dialogue] packs the turns
 * into one sequence of a fixed length, keeping the most recent turns when
 * they do not all fit.
 *
 * Encoding reads the tokenizer and never changes it, so one tokenizer can
 * serve several threads at once (changing its properties meanwhile cannot).
 *
 * Since: 1.0
 */
struct _EigmlTokenizer
{
  GObject parent_instance;

  EigmlWordPiece wp;
  gboolean ready;                   /* FALSE for a bare g_object_new() */
  guint max_length;
};

G_DEFINE_FINAL_TYPE (EigmlTokenizer, eigml_tokenizer, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_DO_LOWER_CASE,
  PROP_MAX_LENGTH,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

#define DEFAULT_MAX_LENGTH 512

static void
eigml_tokenizer_finalize (GObject *object)
{
  EigmlTokenizer *self = EIGML_TOKENIZER (object);

  eigml_wordpiece_clear (&self->wp);
  G_OBJECT_CLASS (eigml_tokenizer_parent_class)->finalize (object);
}

static void
eigml_tokenizer_get_property (GObject *object,
                              guint prop_id,
                              GValue *value,
                              GParamSpec *pspec)
{
  EigmlTokenizer *self = EIGML_TOKENIZER (object);

  switch (prop_id)
    {
    case PROP_DO_LOWER_CASE:
      g_value_set_boolean (value, self->wp.lowercase);
      break;
    case PROP_MAX_LENGTH:
      g_value_set_uint (value, self->max_length);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eigml_tokenizer_set_property (GObject *object,
                              guint prop_id,
                              const GValue *value,
                              GParamSpec *pspec)
{
  EigmlTokenizer *self = EIGML_TOKENIZER (object);

  switch (prop_id)
    {
    case PROP_DO_LOWER_CASE:
      eigml_tokenizer_set_do_lower_case (self, g_value_get_boolean (value));
      break;
    case PROP_MAX_LENGTH:
      eigml_tokenizer_set_max_length (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eigml_tokenizer_class_init (EigmlTokenizerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = eigml_tokenizer_finalize;
  object_class->get_property = eigml_tokenizer_get_property;
  object_class->set_property = eigml_tokenizer_set_property;

  /**
   * EigmlTokenizer:do-lower-case:
   *
   * Whether text is lower-cased before WordPiece (an uncased vocabulary).
   * Accents are stripped too, unless the model folder's
   * `tokenizer_config.json` sets `strip_accents`.
   *
   * Its initial value comes from `do_lower_case` in `tokenizer_config.json`
   * when the folder has one; otherwise the vocabulary is taken as uncased
   * when lower-casing changes none of its pieces (markers such as `[CLS]`
   * or `<S>` aside).
   *
   * Since: 1.0
   */
  props[PROP_DO_LOWER_CASE] =
    g_param_spec_boolean ("do-lower-case", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  /**
   * EigmlTokenizer:max-length:
   *
   * The sequence length [method@Eigml.Tokenizer.encode_dialogue] packs to
   * when it is given 0: `model_max_length` of `tokenizer_config.json` when
   * set, else 512.
   *
   * Since: 1.0
   */
  props[PROP_MAX_LENGTH] =
    g_param_spec_uint ("max-length", NULL, NULL, 2, EIGML_TOKENIZER_MAX_LENGTH_LIMIT,
                       DEFAULT_MAX_LENGTH,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
eigml_tokenizer_init (EigmlTokenizer *self)
{
  eigml_wordpiece_init (&self->wp);
  self->max_length = DEFAULT_MAX_LENGTH;
}

/* Takes the vocabulary; config may be NULL */
static EigmlTokenizer *
tokenizer_new (EigmlVocab *vocab,
               const char *name,
               const EigmlTokenizerConfig *config,
               GError **error)
{
  g_autoptr (EigmlTokenizer) self = g_object_new (EIGML_TYPE_TOKENIZER, NULL);

  if (!eigml_wordpiece_setup (&self->wp, vocab, name, config, error))
    return NULL;
  if (config != NULL && config->model_max_length >= 2)
    self->max_length = (guint) config->model_max_length;
  self->ready = TRUE;
  return g_steal_pointer (&self);
}

/**
 * eigml_tokenizer_new_from_file:
 * @vocab_path: (type filename): a `vocab.txt`: one piece per line, the id of
 *   a piece being its line's index from 0
 * @error: return location for a #GError
 *
 * Creates a tokenizer for a vocabulary file, with Hugging Face's defaults
 * for BERT: the special tokens `[UNK]`, `[SEP]`, `[PAD]`, `[CLS]` and
 * `[MASK]` (`[UNK]` must be in the file), Chinese characters split, and
 * lower-casing when the vocabulary has no upper-case letters (see
 * [property@Eigml.Tokenizer:do-lower-case]).
 *
 * A piece found on several lines takes the id of its last line, as in
 * Hugging Face's `load_vocab`; a trailing carriage return on a line is
 * dropped.
 *
 * Returns: (transfer full): the tokenizer, or %NULL when the file cannot be
 *   read or is not a vocabulary
 *
 * Since: 1.0
 */
EigmlTokenizer *
eigml_tokenizer_new_from_file (const char *vocab_path,
                               GError **error)
{
  EigmlVocab *vocab;

  g_return_val_if_fail (vocab_path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  vocab = eigml_vocab_load (vocab_path, error);
  if (vocab == NULL)
    return NULL;
  return tokenizer_new (vocab, vocab_path, NULL, error);
}

/**
 * eigml_tokenizer_new_from_folder:
 * @folder: (type filename): a Hugging Face model folder
 * @error: return location for a #GError
 *
 * Creates a tokenizer from a model folder: `vocab.txt` (required), and
 * when present `tokenizer_config.json` (`do_lower_case`, `strip_accents`,
 * `tokenize_chinese_chars`, `model_max_length`, the special tokens,
 * `additional_special_tokens`), then `special_tokens_map.json` (the special
 * tokens, which it overrides).
 *
 * Returns: (transfer full): the tokenizer, or %NULL on error
 *
 * Since: 1.0
 */
EigmlTokenizer *
eigml_tokenizer_new_from_folder (const char *folder,
                                 GError **error)
{
  static const char *const config_files[] = { "tokenizer_config.json", "special_tokens_map.json" };
  g_autofree char *vocab_path = NULL;
  EigmlTokenizerConfig config;
  EigmlVocab *vocab;
  EigmlTokenizer *self;

  g_return_val_if_fail (folder != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_file_test (folder, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR,
                   "%s: expected a model folder holding vocab.txt, got %s", folder,
                   g_file_test (folder, G_FILE_TEST_EXISTS) ? "a file" : "nothing");
      return NULL;
    }
  vocab_path = g_build_filename (folder, "vocab.txt", NULL);
  if (!g_file_test (vocab_path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                   "%s: the folder has no vocab.txt (a folder with only tokenizer.json "
                   "is not supported)", folder);
      return NULL;
    }

  eigml_tokenizer_config_init (&config);
  for (guint i = 0; i < G_N_ELEMENTS (config_files); i++)
    {
      g_autofree char *path = g_build_filename (folder, config_files[i], NULL);

      if (g_file_test (path, G_FILE_TEST_EXISTS) &&
          !eigml_tokenizer_config_load (&config, path, error))
        {
          eigml_tokenizer_config_clear (&config);
          return NULL;
        }
    }
  vocab = eigml_vocab_load (vocab_path, error);
  self = vocab ? tokenizer_new (vocab, vocab_path, &config, error) : NULL;
  eigml_tokenizer_config_clear (&config);
  return self;
}

const EigmlWordPiece *
eigml_tokenizer_get_wordpiece (EigmlTokenizer *self,
                               GError **error)
{
  g_return_val_if_fail (EIGML_IS_TOKENIZER (self), NULL);

  if (self->ready)
    return &self->wp;
  g_set_error_literal (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                       "tokenizer has no vocabulary: create it with "
                       "eigml_tokenizer_new_from_file() or eigml_tokenizer_new_from_folder()");
  return NULL;
}

static gboolean
need_special (const EigmlWordPiece *wp,
              EigmlSpecialKind kind,
              const char *what,
              GError **error)
{
  if (wp->special_id[kind] >= 0)
    return TRUE;
  g_set_error (error, EIGML_ERROR, EIGML_ERROR_UNSUPPORTED,
               "%s: %s needs the token '%s', which the vocabulary lacks",
               wp->name, what, wp->special[kind]);
  return FALSE;
}

gint32 *
eigml_tokenizer_encode_len (EigmlTokenizer *self,
                            const char *text,
                            gsize len,
                            gboolean add_special_tokens,
                            gsize *n_ids,
                            GError **error)
{
  const EigmlWordPiece *wp = eigml_tokenizer_get_wordpiece (self, error);
  g_autoptr (GArray) ids = NULL;

  g_return_val_if_fail (text != NULL || len == 0, NULL);
  g_return_val_if_fail (n_ids != NULL, NULL);

  *n_ids = 0;
  if (wp == NULL)
    return NULL;
  if (add_special_tokens &&
      (!need_special (wp, EIGML_SPECIAL_CLS, "adding special tokens", error) ||
       !need_special (wp, EIGML_SPECIAL_SEP, "adding special tokens", error)))
    return NULL;
  ids = g_array_sized_new (FALSE, FALSE, sizeof (gint32), 2 + len / 2);
  if (add_special_tokens)
    g_array_append_val (ids, wp->special_id[EIGML_SPECIAL_CLS]);
  if (!eigml_wordpiece_encode (wp, text, len, ids, NULL, error))
    return NULL;
  if (add_special_tokens)
    g_array_append_val (ids, wp->special_id[EIGML_SPECIAL_SEP]);
  *n_ids = ids->len;
  if (ids->len == 0)
    return g_new0 (gint32, 1);
  return (gint32 *) g_array_free (g_steal_pointer (&ids), FALSE);
}

char **
eigml_tokenizer_tokenize_len (EigmlTokenizer *self,
                              const char *text,
                              gsize len,
                              GError **error)
{
  g_autofree gint32 *ids = NULL;
  gsize n = 0;
  char **pieces;

  ids = eigml_tokenizer_encode_len (self, text, len, FALSE, &n, error);
  if (ids == NULL)
    return NULL;
  pieces = g_new (char *, n + 1);
  for (gsize i = 0; i < n; i++)
    pieces[i] = g_strdup (eigml_vocab_get_piece (self->wp.vocab, ids[i]));
  pieces[n] = NULL;
  return pieces;
}

char **
eigml_tokenizer_pre_tokenize_len (EigmlTokenizer *self,
                                  const char *text,
                                  gsize len,
                                  GError **error)
{
  const EigmlWordPiece *wp = eigml_tokenizer_get_wordpiece (self, error);
  g_autoptr (GPtrArray) words = NULL;

  if (wp == NULL)
    return NULL;
  words = g_ptr_array_new_with_free_func (g_free);
  if (!eigml_wordpiece_encode (wp, text, len, NULL, words, error))
    return NULL;
  g_ptr_array_add (words, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&words), FALSE);
}

/**
 * eigml_tokenizer_tokenize:
 * @self: a tokenizer
 * @text: UTF-8 text
 * @error: return location for a #GError
 *
 * Cuts @text into the pieces of the vocabulary, without `[CLS]` and
 * `[SEP]` around them: what Hugging Face's `tokenize()` returns.
 *
 * Returns: (transfer full) (array zero-terminated=1): the pieces, or %NULL
 *   when @text is not valid UTF-8
 *
 * Since: 1.0
 */
char **
eigml_tokenizer_tokenize (EigmlTokenizer *self,
                          const char *text,
                          GError **error)
{
  g_return_val_if_fail (EIGML_IS_TOKENIZER (self), NULL);
  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return eigml_tokenizer_tokenize_len (self, text, strlen (text), error);
}

/**
 * eigml_tokenizer_encode:
 * @self: a tokenizer
 * @text: UTF-8 text
 * @add_special_tokens: whether to put `[CLS]` before the ids and `[SEP]`
 *   after them
 * @n_ids: (out): return location for the number of ids
 * @error: return location for a #GError
 *
 * Converts @text to vocabulary ids, as Hugging Face's `encode()` without
 * truncation or padding.
 *
 * Returns: (transfer full) (array length=n_ids) (nullable): the ids, or
 *   %NULL when @text is not valid UTF-8 or the vocabulary lacks `[CLS]` or
 *   `[SEP]` and @add_special_tokens is set
 *
 * Since: 1.0
 */
gint32 *
eigml_tokenizer_encode (EigmlTokenizer *self,
                        const char *text,
                        gboolean add_special_tokens,
                        gsize *n_ids,
                        GError **error)
{
  g_return_val_if_fail (EIGML_IS_TOKENIZER (self), NULL);
  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return eigml_tokenizer_encode_len (self, text, strlen (text), add_special_tokens, n_ids, error);
}

/**
 * eigml_tokenizer_decode:
 * @self: a tokenizer
 * @ids: (array length=n_ids): vocabulary ids
 * @n_ids: the number of ids
 * @skip_special_tokens: whether to leave out special tokens such as
 *   `[CLS]`, `[SEP]` and `[PAD]`
 * @error: return location for a #GError
 *
 * Converts ids back to text as Hugging Face's `decode()` does with
 * `clean_up_tokenization_spaces`: the pieces joined with spaces, `##`
 * pieces glued to the piece before them, then no space before `.`, `?`,
 * `!` and `,`, and `'` glued in ` ' `, ` n't`, ` 'm`, ` 's`, ` 've`,
 * ` 're`. Lower-casing and stripped accents are not undone.
 *
 * Returns: (transfer full): the text, or %NULL when an id is outside the
 *   vocabulary
 *
 * Since: 1.0
 */
char *
eigml_tokenizer_decode (EigmlTokenizer *self,
                        const gint32 *ids,
                        gsize n_ids,
                        gboolean skip_special_tokens,
                        GError **error)
{
  static const char *const cleanup[][2] = {
    { " .", "." }, { " ?", "?" }, { " !", "!" }, { " ,", "," }, { " ' ", "'" },
    { " n't", "n't" }, { " 'm", "'m" }, { " 's", "'s" }, { " 've", "'ve" }, { " 're", "'re" },
  };
  const EigmlWordPiece *wp;
  g_autoptr (GString) out = NULL;
  gboolean first = TRUE;
  gsize lead;

  g_return_val_if_fail (EIGML_IS_TOKENIZER (self), NULL);
  g_return_val_if_fail (ids != NULL || n_ids == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  wp = eigml_tokenizer_get_wordpiece (self, error);
  if (wp == NULL)
    return NULL;
  out = g_string_new (NULL);
  for (gsize i = 0; i < n_ids; i++)
    {
      const char *piece = eigml_vocab_get_piece (wp->vocab, ids[i]);

      if (piece == NULL)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_OUT_OF_RANGE,
                       "id %d at position %" G_GSIZE_FORMAT " is outside the vocabulary of %s "
                       "(expected 0 to %u)", ids[i], i, wp->name,
                       eigml_vocab_get_size (wp->vocab) - 1);
          return NULL;
        }
      if (skip_special_tokens && eigml_wordpiece_is_special_id (wp, ids[i]))
        continue;
      if (!first)
        g_string_append_c (out, ' ');
      g_string_append (out, piece);
      first = FALSE;
    }
  /* convert_tokens_to_string, then clean_up_tokenization */
  g_string_replace (out, " ##", "", 0);
  for (lead = 0; lead < out->len && g_ascii_isspace (out->str[lead]); lead++)
    ;
  g_string_erase (out, 0, lead);
  while (out->len > 0 && g_ascii_isspace (out->str[out->len - 1]))
    g_string_truncate (out, out->len - 1);
  for (guint i = 0; i < G_N_ELEMENTS (cleanup); i++)
    g_string_replace (out, cleanup[i][0], cleanup[i][1], 0);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/**
 * eigml_tokenizer_token_to_id:
 * @self: a tokenizer
 * @token: a piece of the vocabulary, e.g. `"hello"`, `"##ing"` or `"[SEP]"`
 *
 * Looks a piece up in the vocabulary.
 *
 * Returns: its id, or -1 when the vocabulary lacks it
 *
 * Since: 1.0
 */
gint32
eigml_tokenizer_token_to_id (EigmlTokenizer *self,
                             const char *token)
{
  gint32 id;

  g_return_val_if_fail (EIGML_IS_TOKENIZER (self), -1);
  g_return_val_if_fail (token != NULL, -1);

  if (!self->ready || !eigml_vocab_lookup (self->wp.vocab, token, &id))
    return -1;
  return id;
}

/**
 * eigml_tokenizer_id_to_token:
 * @self: a tokenizer
 * @id: a vocabulary id
 *
 * Gives the piece on line @id of the vocabulary (counting from 0).
 *
 * Returns: (nullable) (transfer none): the piece, or %NULL when @id is
 *   outside the vocabulary
 *
 * Since: 1.0
 */
const char *
eigml_tokenizer_id_to_token (EigmlTokenizer *self,
                             gint32 id)
{
  g_return_val_if_fail (EIGML_IS_TOKENIZER (self), NULL);

  return self->ready ? eigml_vocab_get_piece (self->wp.vocab, id) : NULL;
}

/**
 * eigml_tokenizer_get_vocab_size:
 * @self: a tokenizer
 *
 * Gives the number of ids: the lines of the vocabulary file, which is the
 * number of rows a model's word embedding needs. (Hugging Face counts
 * distinct pieces instead; the two differ only when a piece is on several
 * lines.)
 *
 * Returns: the number of ids
 *
 * Since: 1.0
 */
guint
eigml_tokenizer_get_vocab_size (EigmlTokenizer *self)
{
  g_return_val_if_fail (EIGML_IS_TOKENIZER (self), 0);

  return self->ready ? eigml_vocab_get_size (self->wp.vocab) : 0;
}

/**
 * eigml_tokenizer_get_do_lower_case:
 * @self: a tokenizer
 *
 * Gets [property@Eigml.Tokenizer:do-lower-case].
 *
 * Returns: whether text is lower-cased
 *
 * Since: 1.0
 */
gboolean
eigml_tokenizer_get_do_lower_case (EigmlTokenizer *self)
{
  g_return_val_if_fail (EIGML_IS_TOKENIZER (self), FALSE);

  return self->wp.lowercase;
}

/**
 * eigml_tokenizer_set_do_lower_case:
 * @self: a tokenizer
 * @do_lower_case: whether to lower-case text
 *
 * Sets [property@Eigml.Tokenizer:do-lower-case].
 *
 * Since: 1.0
 */
void
eigml_tokenizer_set_do_lower_case (EigmlTokenizer *self,
                                   gboolean do_lower_case)
{
  g_return_if_fail (EIGML_IS_TOKENIZER (self));

  do_lower_case = !!do_lower_case;
  if (self->wp.lowercase == do_lower_case)
    return;
  self->wp.lowercase = do_lower_case;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_DO_LOWER_CASE]);
}

/**
 * eigml_tokenizer_get_max_length:
 * @self: a tokenizer
 *
 * Gets [property@Eigml.Tokenizer:max-length].
 *
 * Returns: the default length of a packed dialogue
 *
 * Since: 1.0
 */
guint
eigml_tokenizer_get_max_length (EigmlTokenizer *self)
{
  g_return_val_if_fail (EIGML_IS_TOKENIZER (self), 0);

  return self->max_length;
}

/**
 * eigml_tokenizer_set_max_length:
 * @self: a tokenizer
 * @max_length: the default length of a packed dialogue, from 2 to 1048576
 *
 * Sets [property@Eigml.Tokenizer:max-length].
 *
 * Since: 1.0
 */
void
eigml_tokenizer_set_max_length (EigmlTokenizer *self,
                                guint max_length)
{
  g_return_if_fail (EIGML_IS_TOKENIZER (self));
  g_return_if_fail (max_length >= 2 && max_length <= EIGML_TOKENIZER_MAX_LENGTH_LIMIT);

  if (self->max_length == max_length)
    return;
  self->max_length = max_length;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_MAX_LENGTH]);
}
