/* eigml-emotion-annotator.c: cnsenti's emotion counting, on a
 * jieba-compatible segmentation
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "eigml-emotion-annotator.h"
#include "eigml-error.h"
#include "data/emotion.h"
#include "data/jieba.h"

/* Lexicon files the default constructor loads, in this order */
static const char *const default_lexicons[] = { "emotion-zh.tsv", "emotion-en.tsv" };

/**
 * EigmlEmotionAnnotator:
 *
 * Labels the emotion of a text or dialogue as the paper does (eq 4) with
 * cnsenti (Deng 2019): the text is segmented as jieba's `jieba.lcut (text)`
 * segments it, each token found in the emotion lexicon counts once for its
 * category, and the distribution e_t is the counts normalised to sum 1.
 * There is no negation or intensity handling.
 *
 * - A word listed under several categories counts for the first of them in
 *   DUTIR order 好 乐 哀 怒 惧 恶 惊 (cnsenti tests the categories in that
 *   order), whichever lexicon or line listed it first.
 * - The label is the category with the most tokens, the first in DUTIR
 *   order among equal counts; a text without a lexicon word (the empty
 *   text too) has the all-zero distribution and %EIGML_EMOTION_NONE.
 * - A dialogue counts the tokens of all its turns together.
 * - English: consecutive tokens made only of ASCII characters (and ’) are
 *   joined and cut into English words instead (runs of ASCII letters, with
 *   apostrophes between letters kept: `don't`), so apostrophes do not split
 *   words. Lookups ignore ASCII case and read ’ as '. Chinese tokens are
 *   jieba's, unchanged.
 *
 * The segmentation is a C reimplementation of jieba 0.42.1 (accurate mode,
 * HMM on) that reads jieba's own dictionary and HMM tables, by default from
 * Debian's python3-jieba (see [property@Eigml.EmotionAnnotator:jieba-dir]);
 * they are loaded on first use and shared by every annotator of the
 * process that uses the same folder. See `docs/emotion.md`.
 *
 * Annotating and segmenting read the annotator and never change it, so one
 * annotator can serve several threads at once; loading lexicons or adding
 * words meanwhile cannot.
 *
 * Since: 1.0
 */
struct _EigmlEmotionAnnotator
{
  GObject parent_instance;

  char *jieba_dir;              /* resolved */
  GMutex jieba_lock;
  EigmlJieba *jieba;            /* loaded on first use */
  GHashTable *words;            /* normalised word → mask of categories */
};

G_DEFINE_FINAL_TYPE (EigmlEmotionAnnotator, eigml_emotion_annotator, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_JIEBA_DIR,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

static void
eigml_emotion_annotator_finalize (GObject *object)
{
  EigmlEmotionAnnotator *self = EIGML_EMOTION_ANNOTATOR (object);

  g_clear_pointer (&self->jieba, eigml_jieba_unref);
  g_mutex_clear (&self->jieba_lock);
  g_hash_table_unref (self->words);
  g_free (self->jieba_dir);
  G_OBJECT_CLASS (eigml_emotion_annotator_parent_class)->finalize (object);
}

static void
eigml_emotion_annotator_get_property (GObject *object,
                                      guint prop_id,
                                      GValue *value,
                                      GParamSpec *pspec)
{
  EigmlEmotionAnnotator *self = EIGML_EMOTION_ANNOTATOR (object);

  switch (prop_id)
    {
    case PROP_JIEBA_DIR:
      g_value_set_string (value, self->jieba_dir);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eigml_emotion_annotator_set_property (GObject *object,
                                      guint prop_id,
                                      const GValue *value,
                                      GParamSpec *pspec)
{
  EigmlEmotionAnnotator *self = EIGML_EMOTION_ANNOTATOR (object);

  switch (prop_id)
    {
    case PROP_JIEBA_DIR:
      /* construct-only: resolved once, here */
      g_free (self->jieba_dir);
      self->jieba_dir = eigml_jieba_resolve_dir (g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eigml_emotion_annotator_class_init (EigmlEmotionAnnotatorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = eigml_emotion_annotator_finalize;
  object_class->get_property = eigml_emotion_annotator_get_property;
  object_class->set_property = eigml_emotion_annotator_set_property;

  /**
   * EigmlEmotionAnnotator:jieba-dir: (type filename)
   *
   * The folder holding jieba's data: `dict.txt` and
   * `finalseg/prob_start.py`, `prob_trans.py`, `prob_emit.py`, as in
   * jieba's Python package. Set at construction; %NULL there means
   * `$EIGML_JIEBA_DIR` when that is set, else Debian's
   * `/usr/lib/python3/dist-packages/jieba` (package python3-jieba).
   * Reading it gives the absolute folder chosen.
   *
   * Since: 1.0
   */
  props[PROP_JIEBA_DIR] =
    g_param_spec_string ("jieba-dir", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
eigml_emotion_annotator_init (EigmlEmotionAnnotator *self)
{
  g_mutex_init (&self->jieba_lock);
  self->words = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/**
 * eigml_emotion_annotator_new_empty:
 *
 * Creates an annotator without any lexicon word, segmenting with the jieba
 * data of `$EIGML_JIEBA_DIR` or Debian's python3-jieba; add words with
 * [method@Eigml.EmotionAnnotator.load_lexicon] or
 * [method@Eigml.EmotionAnnotator.add_word].
 *
 * Returns: (transfer full): the annotator
 *
 * Since: 1.0
 */
EigmlEmotionAnnotator *
eigml_emotion_annotator_new_empty (void)
{
  return g_object_new (EIGML_TYPE_EMOTION_ANNOTATOR, NULL);
}

/**
 * eigml_emotion_annotator_new_for_jieba_dir:
 * @jieba_dir: (type filename) (nullable): a folder holding jieba's data
 *   (see [property@Eigml.EmotionAnnotator:jieba-dir]), or %NULL for the
 *   default
 *
 * Creates an annotator without any lexicon word that segments with the
 * jieba data of @jieba_dir. The data are read on first use, so a folder
 * that lacks them makes the first segmentation fail, not this call.
 *
 * Returns: (transfer full): the annotator
 *
 * Since: 1.0
 */
EigmlEmotionAnnotator *
eigml_emotion_annotator_new_for_jieba_dir (const char *jieba_dir)
{
  return g_object_new (EIGML_TYPE_EMOTION_ANNOTATOR, "jieba-dir", jieba_dir, NULL);
}

/**
 * eigml_emotion_annotator_new:
 * @error: return location for a #GError
 *
 * Creates an annotator with Eigml's own lexicons (see
 * [method@Eigml.EmotionAnnotator.load_default_lexicons]), segmenting with
 * the jieba data of `$EIGML_JIEBA_DIR` or Debian's python3-jieba.
 *
 * Returns: (transfer full): the annotator, or %NULL when no lexicon is
 *   found or one cannot be read
 *
 * Since: 1.0
 */
EigmlEmotionAnnotator *
eigml_emotion_annotator_new (GError **error)
{
  g_autoptr (EigmlEmotionAnnotator) self = eigml_emotion_annotator_new_empty ();

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!eigml_emotion_annotator_load_default_lexicons (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

static void
add_normalized (EigmlEmotionAnnotator *self,
                char *word,
                EigmlEmotion emotion)
{
  gpointer mask;

  if (g_hash_table_lookup_extended (self->words, word, NULL, &mask))
    {
      g_hash_table_insert (self->words, word,
                           GUINT_TO_POINTER (GPOINTER_TO_UINT (mask) | (1u << emotion)));
      return;
    }
  g_hash_table_insert (self->words, word, GUINT_TO_POINTER (1u << emotion));
}

/**
 * eigml_emotion_annotator_load_lexicon:
 * @self: an annotator
 * @path: (type filename): a lexicon file
 * @error: return location for a #GError
 *
 * Adds the words of a lexicon file: UTF-8 text, one `word<TAB>category`
 * entry per line, the category being one of 好 乐 哀 怒 惧 恶 惊 or good,
 * joy, sadness, anger, fear, disgust, surprise (any ASCII case). Spaces
 * around the word and the category are ignored; blank lines and lines
 * whose first non-blank character is `#` are skipped; a `\r` before the
 * newline and a byte-order mark at the start are dropped.
 *
 * A word may be listed several times, under several categories, here or in
 * another lexicon: it counts for the first of its categories in DUTIR
 * order. Several lexicons (e.g. Chinese and English) can be loaded into one
 * annotator.
 *
 * A line that is not UTF-8, lacks the tab, has a second tab, an empty word
 * or an unknown category is an %EIGML_ERROR_FORMAT error naming the file
 * and line, and then no word of the file is added.
 *
 * Returns: whether the file was read
 *
 * Since: 1.0
 */
gboolean
eigml_emotion_annotator_load_lexicon (EigmlEmotionAnnotator *self,
                                      const char *path,
                                      GError **error)
{
  g_autoptr (GMappedFile) file = NULL;
  g_autoptr (GPtrArray) words = NULL;
  g_autoptr (GByteArray) emotions = NULL;
  gsize len;

  g_return_val_if_fail (EIGML_IS_EMOTION_ANNOTATOR (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  file = g_mapped_file_new (path, FALSE, error);
  if (file == NULL)
    return FALSE;
  len = g_mapped_file_get_length (file);
  if (len > EIGML_EMOTION_MAX_LEXICON_SIZE)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: %" G_GSIZE_FORMAT " bytes is too large for a lexicon (at most 256 MiB)",
                   path, len);
      return FALSE;
    }
  words = g_ptr_array_new_with_free_func (g_free);
  emotions = g_byte_array_new ();
  if (len > 0 && !eigml_emotion_lexicon_parse (path, g_mapped_file_get_contents (file), len, words,
                                    emotions, error))
    return FALSE;
  for (guint i = 0; i < words->len; i++)
    add_normalized (self, g_steal_pointer (&words->pdata[i]), emotions->data[i]);
  return TRUE;
}

/* $EIGML_DATA_DIR/lexicon alone when set, else the source tree's
 * data/lexicon, then the installed one */
static GPtrArray *
default_lexicon_dirs (void)
{
  const char *env = g_getenv ("EIGML_DATA_DIR");
  GPtrArray *dirs = g_ptr_array_new_with_free_func (g_free);

  if (env != NULL && *env != '\0')
    {
      g_ptr_array_add (dirs, g_build_filename (env, "lexicon", NULL));
      return dirs;
    }
  g_ptr_array_add (dirs, g_build_filename (EIGML_SOURCE_DIR, "data", "lexicon", NULL));
  g_ptr_array_add (dirs, g_build_filename (EIGML_DATADIR, "lexicon", NULL));
  return dirs;
}

/**
 * eigml_emotion_annotator_load_default_lexicons:
 * @self: an annotator
 * @error: return location for a #GError
 *
 * Loads the lexicons Eigml ships, `emotion-zh.tsv` and `emotion-en.tsv`
 * (whichever are there), from the first of these folders that holds at
 * least one: `$EIGML_DATA_DIR/lexicon` when the variable is set (then no
 * other), else `data/lexicon` of the source tree Eigml was built from (for
 * uninstalled runs), else `$datadir/eigml/lexicon` where Eigml is
 * installed.
 *
 * Returns: whether a lexicon was found and read; when none is found the
 *   error (%G_FILE_ERROR_NOENT) names the folders looked in
 *
 * Since: 1.0
 */
gboolean
eigml_emotion_annotator_load_default_lexicons (EigmlEmotionAnnotator *self,
                                               GError **error)
{
  g_autoptr (GPtrArray) dirs = default_lexicon_dirs ();
  g_autofree char *looked = NULL;

  g_return_val_if_fail (EIGML_IS_EMOTION_ANNOTATOR (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  for (guint d = 0; d < dirs->len; d++)
    {
      gboolean found = FALSE;

      for (guint i = 0; i < G_N_ELEMENTS (default_lexicons); i++)
        {
          g_autofree char *path = g_build_filename (dirs->pdata[d], default_lexicons[i], NULL);

          if (!g_file_test (path, G_FILE_TEST_EXISTS))
            continue;
          found = TRUE;
          if (!eigml_emotion_annotator_load_lexicon (self, path, error))
            return FALSE;
        }
      if (found)
        return TRUE;
    }
  g_ptr_array_add (dirs, NULL);
  looked = g_strjoinv (", ", (char **) dirs->pdata);
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
               "no emotion lexicon found: looked for %s and %s in %s (set EIGML_DATA_DIR to a "
               "folder holding lexicon/, or load a lexicon file yourself)",
               default_lexicons[0], default_lexicons[1], looked);
  return FALSE;
}

/**
 * eigml_emotion_annotator_add_word:
 * @self: an annotator
 * @word: a word (UTF-8, not empty)
 * @emotion: its category (not %EIGML_EMOTION_NONE)
 *
 * Adds one lexicon word, as a lexicon line would.
 *
 * Since: 1.0
 */
void
eigml_emotion_annotator_add_word (EigmlEmotionAnnotator *self,
                                  const char *word,
                                  EigmlEmotion emotion)
{
  char *normalized;

  g_return_if_fail (EIGML_IS_EMOTION_ANNOTATOR (self));
  g_return_if_fail (word != NULL && *word != '\0' && g_utf8_validate (word, -1, NULL));
  g_return_if_fail ((guint) emotion < EIGML_EMOTION_N_CATEGORIES);

  normalized = g_strdup (word);
  normalized[eigml_emotion_normalize (normalized, strlen (normalized))] = '\0';
  add_normalized (self, normalized, emotion);
}

static inline EigmlEmotion
mask_emotion (guint mask)
{
  /* the first category in DUTIR order */
  return mask == 0 ? EIGML_EMOTION_NONE : (EigmlEmotion) g_bit_nth_lsf (mask, -1);
}

/**
 * eigml_emotion_annotator_lookup:
 * @self: an annotator
 * @word: a token
 *
 * Gives the category a token counts for.
 *
 * Returns: the first category of @word in DUTIR order, or
 *   %EIGML_EMOTION_NONE when no lexicon lists it
 *
 * Since: 1.0
 */
EigmlEmotion
eigml_emotion_annotator_lookup (EigmlEmotionAnnotator *self,
                                const char *word)
{
  g_autofree char *normalized = NULL;

  g_return_val_if_fail (EIGML_IS_EMOTION_ANNOTATOR (self), EIGML_EMOTION_NONE);
  g_return_val_if_fail (word != NULL, EIGML_EMOTION_NONE);

  normalized = g_strdup (word);
  normalized[eigml_emotion_normalize (normalized, strlen (normalized))] = '\0';
  return mask_emotion (GPOINTER_TO_UINT (g_hash_table_lookup (self->words, normalized)));
}

/**
 * eigml_emotion_annotator_get_n_words:
 * @self: an annotator
 *
 * Returns: the number of distinct lexicon words (in their lookup form)
 *
 * Since: 1.0
 */
guint
eigml_emotion_annotator_get_n_words (EigmlEmotionAnnotator *self)
{
  g_return_val_if_fail (EIGML_IS_EMOTION_ANNOTATOR (self), 0);

  return g_hash_table_size (self->words);
}

/**
 * eigml_emotion_annotator_get_jieba_dir:
 * @self: an annotator
 *
 * Gets [property@Eigml.EmotionAnnotator:jieba-dir].
 *
 * Returns: (type filename): the folder jieba's data are read from
 *
 * Since: 1.0
 */
const char *
eigml_emotion_annotator_get_jieba_dir (EigmlEmotionAnnotator *self)
{
  g_return_val_if_fail (EIGML_IS_EMOTION_ANNOTATOR (self), NULL);

  return self->jieba_dir;
}

static EigmlJieba *
get_jieba (EigmlEmotionAnnotator *self,
           GError **error)
{
  EigmlJieba *jieba = g_atomic_pointer_get (&self->jieba);

  if (jieba != NULL)
    return jieba;
  g_mutex_lock (&self->jieba_lock);
  if (self->jieba == NULL)
    {
      jieba = eigml_jieba_get (self->jieba_dir, error);
      if (jieba != NULL)
        g_atomic_pointer_set (&self->jieba, jieba);
    }
  jieba = self->jieba;
  g_mutex_unlock (&self->jieba_lock);
  return jieba;
}

/**
 * eigml_emotion_annotator_load_jieba:
 * @self: an annotator
 * @error: return location for a #GError
 *
 * Loads jieba's data now rather than on the first segmentation, e.g. to
 * report a missing python3-jieba early. Loading is done once per folder
 * in a process; later calls return at once.
 *
 * Returns: whether the data could be read
 *
 * Since: 1.0
 */
gboolean
eigml_emotion_annotator_load_jieba (EigmlEmotionAnnotator *self,
                                    GError **error)
{
  g_return_val_if_fail (EIGML_IS_EMOTION_ANNOTATOR (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return get_jieba (self, error) != NULL;
}

/**
 * eigml_emotion_annotator_segment:
 * @self: an annotator
 * @text: UTF-8 text
 * @error: return location for a #GError
 *
 * Segments @text as jieba's `jieba.lcut (text)` does (accurate mode, HMM
 * on, jieba's default dictionary): the tokens, whitespace included, join
 * back into @text. These are the tokens the annotator counts (before its
 * English rule).
 *
 * Returns: (transfer full) (array zero-terminated=1): the tokens, or %NULL
 *   when @text is not UTF-8 or jieba's data cannot be read
 *
 * Since: 1.0
 */
char **
eigml_emotion_annotator_segment (EigmlEmotionAnnotator *self,
                                 const char *text,
                                 GError **error)
{
  g_autoptr (GArray) tokens = g_array_new (FALSE, FALSE, sizeof (EigmlJiebaToken));
  EigmlJieba *jieba;
  char **out;

  g_return_val_if_fail (EIGML_IS_EMOTION_ANNOTATOR (self), NULL);
  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  jieba = get_jieba (self, error);
  if (jieba == NULL || !eigml_jieba_cut (jieba, text, strlen (text), tokens, error))
    return NULL;
  out = g_new (char *, tokens->len + 1);
  for (guint i = 0; i < tokens->len; i++)
    {
      const EigmlJiebaToken *t = &g_array_index (tokens, EigmlJiebaToken, i);

      out[i] = g_strndup (text + t->start, t->len);
    }
  out[tokens->len] = NULL;
  return out;
}

/* One annotation under way */
typedef struct
{
  EigmlEmotionAnnotator *self;
  guint counts[EIGML_EMOTION_N_CATEGORIES];
  GPtrArray *words;
  GArray *emotions;
  GString *scratch;
  GString *english;
  GArray *tokens;
} Count;

static void
count_word (const char *word,
            gpointer user_data)
{
  Count *c = user_data;
  EigmlEmotion e = mask_emotion (GPOINTER_TO_UINT (g_hash_table_lookup (c->self->words, word)));

  if (e == EIGML_EMOTION_NONE)
    return;
  c->counts[e]++;
  g_ptr_array_add (c->words, g_strdup (word));
  g_array_append_val (c->emotions, e);
}

static void
count_english (Count *c,
               const char *text,
               gsize start,
               gsize end)
{
  if (start < end)
    eigml_emotion_english_words (text + start, end - start, c->english, count_word, c);
}

static gboolean
count_text (Count *c,
            EigmlJieba *jieba,
            const char *text,
            GError **error)
{
  gsize run_start = 0, run_end = 0;

  g_array_set_size (c->tokens, 0);
  if (!eigml_jieba_cut (jieba, text, strlen (text), c->tokens, error))
    return FALSE;
  for (guint i = 0; i < c->tokens->len; i++)
    {
      const EigmlJiebaToken *t = &g_array_index (c->tokens, EigmlJiebaToken, i);

      /* tokens are consecutive: a run of English ones is one stretch */
      if (eigml_emotion_is_english_run (text + t->start, t->len))
        {
          if (run_start == run_end)
            run_start = t->start;
          run_end = t->start + t->len;
          continue;
        }
      count_english (c, text, run_start, run_end);
      run_start = run_end = 0;
      g_string_truncate (c->scratch, 0);
      g_string_append_len (c->scratch, text + t->start, t->len);
      g_string_truncate (c->scratch, eigml_emotion_normalize (c->scratch->str, c->scratch->len));
      count_word (c->scratch->str, c);
    }
  count_english (c, text, run_start, run_end);
  return TRUE;
}

static EigmlEmotionResult *
annotate_turns (EigmlEmotionAnnotator *self,
                const char * const *turns,
                gboolean dialogue,
                GError **error)
{
  g_autoptr (GPtrArray) words = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) emotions = g_array_new (FALSE, FALSE, sizeof (EigmlEmotion));
  g_autoptr (GString) scratch = g_string_new (NULL);
  g_autoptr (GString) english = g_string_new (NULL);
  g_autoptr (GArray) tokens = g_array_new (FALSE, FALSE, sizeof (EigmlJiebaToken));
  Count c = { self, { 0 }, words, emotions, scratch, english, tokens };
  EigmlJieba *jieba;

  jieba = get_jieba (self, error);
  if (jieba == NULL)
    return NULL;
  for (guint i = 0; turns[i] != NULL; i++)
    if (!count_text (&c, jieba, turns[i], error))
      {
        if (dialogue)
          g_prefix_error (error, "turn %u: ", i);
        return NULL;
      }

  return eigml_emotion_result_new (c.counts, g_steal_pointer (&words),
                                   g_steal_pointer (&emotions));
}

/**
 * eigml_emotion_annotator_annotate:
 * @self: an annotator
 * @text: UTF-8 text
 * @error: return location for a #GError
 *
 * Counts the emotion words of @text (see #EigmlEmotionAnnotator).
 *
 * Returns: (transfer full): the counts, distribution and label, or %NULL
 *   when @text is not UTF-8 (%EIGML_ERROR_FORMAT) or jieba's data cannot
 *   be read
 *
 * Since: 1.0
 */
EigmlEmotionResult *
eigml_emotion_annotator_annotate (EigmlEmotionAnnotator *self,
                                  const char *text,
                                  GError **error)
{
  const char *turns[] = { text, NULL };

  g_return_val_if_fail (EIGML_IS_EMOTION_ANNOTATOR (self), NULL);
  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return annotate_turns (self, turns, FALSE, error);
}

/**
 * eigml_emotion_annotator_annotate_dialogue:
 * @self: an annotator
 * @turns: (array zero-terminated=1): the turns of a dialogue, UTF-8
 * @error: return location for a #GError
 *
 * Counts the emotion words of all the turns together: the paper's e_t "for
 * each dialogue". Each turn is segmented on its own, which gives the same
 * tokens as segmenting the turns joined by newlines, so this equals
 * cnsenti on that joined text.
 *
 * Returns: (transfer full): the counts, distribution and label (all zero
 *   and %EIGML_EMOTION_NONE for no turns), or %NULL when a turn is not
 *   UTF-8 (the error names the turn, from 0) or jieba's data cannot be
 *   read
 *
 * Since: 1.0
 */
EigmlEmotionResult *
eigml_emotion_annotator_annotate_dialogue (EigmlEmotionAnnotator *self,
                                           const char * const *turns,
                                           GError **error)
{
  g_return_val_if_fail (EIGML_IS_EMOTION_ANNOTATOR (self), NULL);
  g_return_val_if_fail (turns != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return annotate_turns (self, turns, TRUE, error);
}
