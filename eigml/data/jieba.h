/* jieba.h: Chinese word segmentation compatible with jieba's default
 * `jieba.cut (text)` (private)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A reimplementation, written from jieba 0.42.1's behaviour, of its
 * accurate mode with the HMM on: text is cut into blocks of "Chinese"
 * characters (U+4E00–U+9FD5, ASCII letters and digits, `+#&._%-`) and the
 * rest; each block takes the most probable path through the word graph of
 * jieba's prefix dictionary, and runs of single characters that form no
 * dictionary word go through the B/M/E/S hidden Markov model. It reads
 * jieba's own data at run time (dict.txt and finalseg/prob_*.py of
 * Debian's python3-jieba). See docs/emotion.md.
 *
 * jieba-dict.c: the prefix dictionary; jieba-hmm.c: the HMM tables (a
 * reader of Python dict literals) and Viterbi; jieba.c: the cut and a
 * process-wide cache of loaded data.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Where Debian's python3-jieba puts its data. */
#define EIGML_JIEBA_DEBIAN_DIR "/usr/lib/python3/dist-packages/jieba"

/* A token: the bytes [start, start + len) of the text that was cut. */
typedef struct
{
  gsize start;
  gsize len;
} EigmlJiebaToken;

/* ---- the prefix dictionary (jieba-dict.c) ---- */

typedef struct _EigmlJiebaDict EigmlJiebaDict;

EigmlJiebaDict *eigml_jieba_dict_load (const char *path,
                                       GError **error);
void eigml_jieba_dict_free (EigmlJiebaDict *dict);
/* Whether @word (@len bytes) is a word or a prefix of one; *freq is its
 * frequency, 0 for a prefix that is no word. */
gboolean eigml_jieba_dict_lookup (const EigmlJiebaDict *dict,
                                  const char *word,
                                  gsize len,
                                  guint64 *freq);
/* The sum of the frequencies of all lines. */
guint64 eigml_jieba_dict_get_total (const EigmlJiebaDict *dict);
guint eigml_jieba_dict_get_n_entries (const EigmlJiebaDict *dict);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EigmlJiebaDict, eigml_jieba_dict_free)

/* ---- the HMM (jieba-hmm.c) ---- */

typedef struct _EigmlJiebaHmm EigmlJiebaHmm;

/* Reads prob_start.py, prob_trans.py and prob_emit.py in @finalseg_dir. */
EigmlJiebaHmm *eigml_jieba_hmm_load (const char *finalseg_dir,
                                     GError **error);
void eigml_jieba_hmm_free (EigmlJiebaHmm *hmm);
/* Cuts @n characters, all in U+4E00–U+9FD5, as finalseg's __cut does:
 * each word ends where *ends says (ends[i]: the word holding character i
 * ends after it). */
void eigml_jieba_hmm_cut (const EigmlJiebaHmm *hmm,
                          const gunichar *chars,
                          gsize n,
                          gboolean *ends);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EigmlJiebaHmm, eigml_jieba_hmm_free)

/* A reader of the Python literals in jieba's HMM tables, for the tests.
 * Parses `P = <dict>` (after `from`/`import` lines) into a GVariant of type
 * a{sv} whose values are doubles (d) or nested a{sv}. */
GVariant *eigml_jieba_parse_python_dict (const char *path,
                                         const char *text,
                                         gsize len,
                                         GError **error);

/* ---- segmentation (jieba.c) ---- */

typedef struct _EigmlJieba EigmlJieba;

/* @dir when not NULL, else $EIGML_JIEBA_DIR when set, else Debian's
 * folder. */
char *eigml_jieba_resolve_dir (const char *dir);
/* Loads the data of @dir (resolved as above), sharing it with every other
 * user of the same folder in the process. */
EigmlJieba *eigml_jieba_get (const char *dir,
                             GError **error);
EigmlJieba *eigml_jieba_ref (EigmlJieba *jieba);
void eigml_jieba_unref (EigmlJieba *jieba);
const char *eigml_jieba_get_dir (const EigmlJieba *jieba);
const EigmlJiebaDict *eigml_jieba_get_dict (const EigmlJieba *jieba);

/* Appends the tokens of @text (@len bytes, UTF-8) to @tokens, an array of
 * EigmlJiebaToken: jieba.lcut (text). FALSE when @text is not UTF-8. */
gboolean eigml_jieba_cut (const EigmlJieba *jieba,
                          const char *text,
                          gsize len,
                          GArray *tokens,
                          GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EigmlJieba, eigml_jieba_unref)

G_END_DECLS
