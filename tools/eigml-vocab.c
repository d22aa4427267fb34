/* eigml-vocab.c: `eigml vocab build` and `eigml vocab tokenize`
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "eigml-tool.h"
#include "data/tokenizer.h"
#include <eigml/eigml.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_SIZE 30000
#define DEFAULT_MIN_COUNT 2

static void
usage (FILE *out)
{
  fprintf (out,
           "Usage:\n"
           "  eigml vocab build --corpus FILE [--size N] [--min-count K] [--cased]\n"
           "                    [--special TOKEN]... --output vocab.txt\n"
           "  eigml vocab tokenize (--vocab FILE | --folder DIR) [--mode ids|pieces|words|decode]\n"
           "                       [--special-tokens] [--json-input] [--lowercase yes|no]\n"
           "\n"
           "build     writes a WordPiece vocabulary for a corpus (one text per line): the\n"
           "          special tokens, every CJK character and punctuation mark seen, the\n"
           "          other characters seen at least K times (alone and as ##c), then the\n"
           "          word pieces covering the most word occurrences, up to N entries.\n"
           "tokenize  reads one text per line on standard input (with --json-input, one\n"
           "          JSON string per line; with --mode decode, one JSON array of ids) and\n"
           "          prints one JSON value per line: the ids, the pieces, the words before\n"
           "          WordPiece, or the decoded text.\n");
}

/* JSON string escaping, everything above U+001F written as UTF-8 */
static void
append_json_string (GString *out,
                    const char *s)
{
  g_string_append_c (out, '"');
  for (const char *p = s; *p; p++)
    {
      guchar c = *p;

      if (c == '"' || c == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, c);
        }
      else if (c < 0x20)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_c (out, c);
    }
  g_string_append_c (out, '"');
}

/* tokenize */

typedef enum
{
  MODE_IDS,
  MODE_PIECES,
  MODE_WORDS,
  MODE_DECODE,
} Mode;

static gboolean
tokenize_line (EigmlTokenizer *tokenizer,
               Mode mode,
               gboolean special_tokens,
               const char *text,
               gsize len,
               GString *out,
               GError **error)
{
  if (mode == MODE_IDS)
    {
      gsize n = 0;
      g_autofree gint32 *ids = eigml_tokenizer_encode_len (tokenizer, text, len, special_tokens,
                                                           &n, error);

      if (ids == NULL)
        return FALSE;
      g_string_append_c (out, '[');
      for (gsize i = 0; i < n; i++)
        g_string_append_printf (out, "%s%d", i ? "," : "", ids[i]);
      g_string_append_c (out, ']');
    }
  else
    {
      g_auto (GStrv) strings = mode == MODE_WORDS
                                 ? eigml_tokenizer_pre_tokenize_len (tokenizer, text, len, error)
                                 : eigml_tokenizer_tokenize_len (tokenizer, text, len, error);

      if (strings == NULL)
        return FALSE;
      g_string_append_c (out, '[');
      for (guint i = 0; strings[i] != NULL; i++)
        {
          if (i > 0)
            g_string_append_c (out, ',');
          append_json_string (out, strings[i]);
        }
      g_string_append_c (out, ']');
    }
  return TRUE;
}

static gboolean
decode_line (EigmlTokenizer *tokenizer,
             gboolean skip_special,
             const char *line,
             GString *out,
             GError **error)
{
  g_autoptr (JsonNode) node = json_from_string (line, error);
  g_autofree gint32 *ids = NULL;
  g_autofree char *text = NULL;
  JsonArray *array;
  guint n;

  if (node == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT, "expected a JSON array of ids");
      return FALSE;
    }
  array = json_node_get_array (node);
  n = json_array_get_length (array);
  ids = g_new (gint32, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    {
      JsonNode *e = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_INT64 ||
          json_node_get_int (e) < G_MININT32 || json_node_get_int (e) > G_MAXINT32)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "element %u: expected a 32-bit integer id", i);
          return FALSE;
        }
      ids[i] = (gint32) json_node_get_int (e);
    }
  text = eigml_tokenizer_decode (tokenizer, ids, n, skip_special, error);
  if (text == NULL)
    return FALSE;
  append_json_string (out, text);
  return TRUE;
}

static int
vocab_tokenize (int argc,
                char **argv)
{
  g_autofree char *vocab = NULL;
  g_autofree char *folder = NULL;
  g_autofree char *mode_name = NULL;
  g_autofree char *lowercase = NULL;
  gboolean special_tokens = FALSE;
  gboolean json_input = FALSE;
  const GOptionEntry entries[] = {
    { "vocab", 0, 0, G_OPTION_ARG_FILENAME, &vocab, "vocab.txt to use", "FILE" },
    { "folder", 0, 0, G_OPTION_ARG_FILENAME, &folder, "Hugging Face model folder", "DIR" },
    { "mode", 0, 0, G_OPTION_ARG_STRING, &mode_name,
      "ids (default), pieces, words or decode", "MODE" },
    { "special-tokens", 0, 0, G_OPTION_ARG_NONE, &special_tokens,
      "ids: add [CLS] and [SEP]; decode: keep special tokens", NULL },
    { "json-input", 0, 0, G_OPTION_ARG_NONE, &json_input,
      "each input line is a JSON string", NULL },
    { "lowercase", 0, 0, G_OPTION_ARG_STRING, &lowercase, "override do-lower-case", "yes|no" },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("- tokenize standard input");
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlTokenizer) tokenizer = NULL;
  g_autoptr (GString) out = g_string_new (NULL);
  Mode mode = MODE_IDS;
  char *line = NULL;
  size_t cap = 0;
  ssize_t got;
  guint line_no = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return eigml_tool_fail ("vocab tokenize", error);
  if ((vocab == NULL) == (folder == NULL))
    {
      fprintf (stderr, "eigml vocab tokenize: give one of --vocab and --folder\n");
      return 2;
    }
  if (mode_name == NULL || g_str_equal (mode_name, "ids"))
    mode = MODE_IDS;
  else if (g_str_equal (mode_name, "pieces"))
    mode = MODE_PIECES;
  else if (g_str_equal (mode_name, "words"))
    mode = MODE_WORDS;
  else if (g_str_equal (mode_name, "decode"))
    mode = MODE_DECODE;
  else
    {
      fprintf (stderr, "eigml vocab tokenize: --mode is '%s'; "
               "expected ids, pieces, words or decode\n", mode_name);
      return 2;
    }
  if (lowercase != NULL && !g_str_equal (lowercase, "yes") && !g_str_equal (lowercase, "no"))
    {
      fprintf (stderr, "eigml vocab tokenize: --lowercase is '%s'; expected yes or no\n",
               lowercase);
      return 2;
    }

  tokenizer = vocab ? eigml_tokenizer_new_from_file (vocab, &error)
                    : eigml_tokenizer_new_from_folder (folder, &error);
  if (tokenizer == NULL)
    return eigml_tool_fail ("vocab tokenize", error);
  if (lowercase != NULL)
    eigml_tokenizer_set_do_lower_case (tokenizer, g_str_equal (lowercase, "yes"));

  while ((got = getline (&line, &cap, stdin)) >= 0)
    {
      gsize len = got;
      gboolean ok;

      line_no++;
      if (len > 0 && line[len - 1] == '\n')
        line[--len] = '\0';
      g_string_truncate (out, 0);
      if (mode == MODE_DECODE)
        ok = decode_line (tokenizer, !special_tokens, line, out, &error);
      else if (json_input)
        {
          g_autoptr (JsonNode) node = json_from_string (line, &error);

          if (node != NULL && (!JSON_NODE_HOLDS_VALUE (node) ||
                               json_node_get_value_type (node) != G_TYPE_STRING))
            g_set_error (&error, EIGML_ERROR, EIGML_ERROR_FORMAT, "expected a JSON string");
          ok = error == NULL &&
               tokenize_line (tokenizer, mode, special_tokens, json_node_get_string (node),
                              strlen (json_node_get_string (node)), out, &error);
        }
      else
        ok = tokenize_line (tokenizer, mode, special_tokens, line, len, out, &error);
      if (!ok)
        {
          fprintf (stderr, "eigml vocab tokenize: <stdin>:%u: %s\n", line_no, error->message);
          free (line);
          return 1;
        }
      g_string_append_c (out, '\n');
      fwrite (out->str, 1, out->len, stdout);
    }
  free (line);
  return ferror (stdout) || fflush (stdout) != 0 ? 1 : 0;
}

/* build */

typedef struct
{
  char *piece;
  guint64 score;
  gunichar c;          /* for single characters */
} Entry;

static gint
compare_entries (gconstpointer a,
                 gconstpointer b)
{
  const Entry *x = a;
  const Entry *y = b;

  if (x->score != y->score)
    return x->score > y->score ? -1 : 1;
  if (x->c != y->c)
    return x->c < y->c ? -1 : 1;
  return strcmp (x->piece, y->piece);
}

static void
add_score (GHashTable *table,
           const char *key,
           gsize len,
           guint64 count)
{
  g_autofree char *piece = g_strndup (key, len);
  gpointer old_key;
  gpointer old_value;

  if (g_hash_table_lookup_extended (table, piece, &old_key, &old_value))
    ((Entry *) old_value)->score += count;
  else
    {
      Entry *e = g_new0 (Entry, 1);

      e->piece = g_steal_pointer (&piece);
      e->score = count;
      g_hash_table_insert (table, e->piece, e);
    }
}

static void
entry_free (gpointer data)
{
  Entry *e = data;

  g_free (e->piece);
  g_free (e);
}

static gint
compare_entry_pointers (gconstpointer a,
                        gconstpointer b)
{
  return compare_entries (*(const Entry * const *) a, *(const Entry * const *) b);
}

/* The entries of table, best first; ties broken by code point, then by
 * bytes, so the order never depends on hashing */
static GPtrArray *
sorted_entries (GHashTable *table)
{
  GPtrArray *sorted = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (sorted, value);
  g_ptr_array_sort (sorted, compare_entry_pointers);
  return sorted;
}

typedef struct
{
  GHashTable *chars;       /* UTF-8 of one character -> Entry */
  GHashTable *words;       /* words of two characters or more -> Entry */
} Counts;

static gboolean
count_corpus (const char *path,
              gboolean cased,
              Counts *counts,
              guint64 *n_lines,
              GError **error)
{
  EigmlBertNormalizer normalizer = { !cased, !cased, TRUE };
  g_autoptr (GFile) file = g_file_new_for_commandline_arg (path);
  g_autoptr (GFileInputStream) raw = NULL;
  g_autoptr (GDataInputStream) in = NULL;
  g_autoptr (GArray) chars = g_array_new (FALSE, FALSE, sizeof (gunichar));
  g_autoptr (GArray) spans = g_array_new (FALSE, FALSE, sizeof (EigmlSpan));
  char *line;
  gsize len;
  GError *local_error = NULL;

  raw = g_file_read (file, NULL, error);
  if (raw == NULL)
    return FALSE;
  in = g_data_input_stream_new (G_INPUT_STREAM (raw));
  g_data_input_stream_set_newline_type (in, G_DATA_STREAM_NEWLINE_TYPE_ANY);
  *n_lines = 0;
  while ((line = g_data_input_stream_read_line (in, &len, NULL, &local_error)) != NULL)
    {
      g_autofree char *owned = line;
      const char *bad;

      (*n_lines)++;
      if (!g_utf8_validate (line, len, &bad))
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s:%" G_GUINT64_FORMAT ": not valid UTF-8 (bad byte 0x%02x at column %u)",
                       path, *n_lines, (guchar) *bad, (guint) (bad - line) + 1);
          return FALSE;
        }
      g_array_set_size (chars, 0);
      g_array_set_size (spans, 0);
      eigml_bert_normalize (&normalizer, line, len, chars);
      eigml_bert_pre_tokenize ((const gunichar *) chars->data, 0, chars->len, spans);
      for (guint i = 0; i < spans->len; i++)
        {
          const EigmlSpan *w = &g_array_index (spans, EigmlSpan, i);
          const gunichar *word = (const gunichar *) chars->data + w->start;
          guint n = w->end - w->start;
          g_autofree char *utf8 = g_ucs4_to_utf8 (word, n, NULL, NULL, NULL);

          for (guint k = 0; k < n; k++)
            {
              char one[8];
              gint m = g_unichar_to_utf8 (word[k], one);

              add_score (counts->chars, one, m, 1);
            }
          /* longer words end as [UNK] whatever the vocabulary holds */
          if (n >= 2 && n <= EIGML_WORDPIECE_MAX_INPUT_CHARS)
            add_score (counts->words, utf8, strlen (utf8), 1);
        }
    }
  if (local_error != NULL)
    {
      g_propagate_prefixed_error (error, local_error, "%s: ", path);
      return FALSE;
    }
  return TRUE;
}

/* Candidate pieces: each word scores its count for itself, for each of its
 * prefixes and for each of its "##" suffixes (two characters or more) */
static GHashTable *
score_pieces (GHashTable *words)
{
  GHashTable *pieces = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, entry_free);
  g_autoptr (GString) suffix = g_string_new (NULL);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, words);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      const Entry *w = value;
      glong n = g_utf8_strlen (w->piece, -1);
      const char *p = w->piece;

      add_score (pieces, w->piece, strlen (w->piece), w->score);
      for (glong i = 1; i < n; i++)
        {
          p = g_utf8_next_char (p);
          if (i >= 2)
            add_score (pieces, w->piece, p - w->piece, w->score);
          if (n - i >= 2)
            {
              g_string_assign (suffix, "##");
              g_string_append (suffix, p);
              add_score (pieces, suffix->str, suffix->len, w->score);
            }
        }
    }
  return pieces;
}

static void
add_piece (GPtrArray *vocab,
           GHashTable *seen,
           const char *piece)
{
  if (g_hash_table_contains (seen, piece))
    return;
  g_hash_table_add (seen, g_strdup (piece));
  g_ptr_array_add (vocab, g_strdup (piece));
}

static int
vocab_build (int argc,
             char **argv)
{
  static const char *const specials[] = { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" };
  g_autofree char *corpus = NULL;
  g_autofree char *output = NULL;
  g_auto (GStrv) extra = NULL;
  int size = DEFAULT_SIZE;
  int min_count = DEFAULT_MIN_COUNT;
  gboolean cased = FALSE;
  const GOptionEntry entries[] = {
    { "corpus", 0, 0, G_OPTION_ARG_FILENAME, &corpus, "UTF-8 text, one text per line", "FILE" },
    { "size", 0, 0, G_OPTION_ARG_INT, &size, "entries wanted (default 30000)", "N" },
    { "min-count", 0, 0, G_OPTION_ARG_INT, &min_count,
      "occurrences a piece or a non-CJK character needs (default 2)", "K" },
    { "cased", 0, 0, G_OPTION_ARG_NONE, &cased, "keep case and accents (default: uncased)", NULL },
    { "special", 0, 0, G_OPTION_ARG_STRING_ARRAY, &extra,
      "one more special token, e.g. [speaker1] (repeatable)", "TOKEN" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "the vocab.txt to write", "FILE" },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("- build a WordPiece vocabulary");
  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) chars = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, entry_free);
  g_autoptr (GHashTable) words = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, entry_free);
  g_autoptr (GHashTable) pieces = NULL;
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GPtrArray) vocab = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) sorted_chars = NULL;
  g_autoptr (GPtrArray) sorted_pieces = NULL;
  g_autoptr (GString) text = g_string_new (NULL);
  Counts counts = { chars, words };
  guint64 n_lines = 0;
  guint n_special;
  guint n_chars;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return eigml_tool_fail ("vocab build", error);
  if (corpus == NULL || output == NULL)
    {
      fprintf (stderr, "eigml vocab build: --corpus and --output are required\n");
      return 2;
    }
  if (size < 1 || min_count < 1)
    {
      fprintf (stderr, "eigml vocab build: --size and --min-count must be at least 1 "
               "(got %d and %d)\n", size, min_count);
      return 2;
    }
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    if (*extra[i] == '\0' || strpbrk (extra[i], "\r\n") != NULL ||
        !g_utf8_validate (extra[i], -1, NULL))
      {
        fprintf (stderr, "eigml vocab build: --special '%s' is not a one-line UTF-8 token\n",
                 extra[i]);
        return 2;
      }

  if (!count_corpus (corpus, cased, &counts, &n_lines, &error))
    return eigml_tool_fail ("vocab build", error);

  for (guint i = 0; i < G_N_ELEMENTS (specials); i++)
    add_piece (vocab, seen, specials[i]);
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    add_piece (vocab, seen, extra[i]);
  n_special = vocab->len;

  /* every CJK character and punctuation mark seen; other characters seen
   * often enough, alone and as a continuation */
  sorted_chars = sorted_entries (chars);
  for (guint i = 0; i < sorted_chars->len; i++)
    {
      Entry *e = g_ptr_array_index (sorted_chars, i);
      gunichar c = g_utf8_get_char (e->piece);

      if (eigml_bert_is_chinese_char (c) || eigml_bert_is_punctuation (c))
        add_piece (vocab, seen, e->piece);
      else if (e->score >= (guint64) min_count)
        {
          g_autofree char *cont = g_strconcat ("##", e->piece, NULL);

          add_piece (vocab, seen, e->piece);
          add_piece (vocab, seen, cont);
        }
    }
  n_chars = vocab->len - n_special;

  pieces = score_pieces (words);
  sorted_pieces = sorted_entries (pieces);
  for (guint i = 0; i < sorted_pieces->len && vocab->len < (guint) size; i++)
    {
      Entry *e = g_ptr_array_index (sorted_pieces, i);

      if (e->score < (guint64) min_count)
        break;
      add_piece (vocab, seen, e->piece);
    }

  for (guint i = 0; i < vocab->len; i++)
    {
      g_string_append (text, g_ptr_array_index (vocab, i));
      g_string_append_c (text, '\n');
    }
  if (!g_file_set_contents (output, text->str, text->len, &error))
    return eigml_tool_fail ("vocab build", error);
  printf ("%s: %u entries (%u special, %u characters, %u word pieces) from %" G_GUINT64_FORMAT
          " lines, %u distinct words, %s\n",
          output, vocab->len, n_special, n_chars, vocab->len - n_special - n_chars, n_lines,
          g_hash_table_size (words), cased ? "cased" : "uncased");
  if (n_special + n_chars > (guint) size)
    fprintf (stderr, "eigml vocab build: note: the %u special tokens and characters exceed "
             "--size %d; all were written\n", n_special + n_chars, size);
  return 0;
}

int
eigml_tool_vocab (int argc,
                  char **argv)
{
  if (argc < 2 || g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h"))
    {
      usage (argc < 2 ? stderr : stdout);
      return argc < 2 ? 2 : 0;
    }
  if (g_str_equal (argv[1], "build"))
    return vocab_build (argc - 1, argv + 1);
  if (g_str_equal (argv[1], "tokenize"))
    return vocab_tokenize (argc - 1, argv + 1);
  fprintf (stderr, "eigml vocab: unknown action '%s'\n\n", argv[1]);
  usage (stderr);
  return 2;
}
