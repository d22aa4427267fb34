/* jieba-hmm.c: jieba's B/M/E/S hidden Markov model (finalseg): its tables,
 * read from the Python sources that hold them, and Viterbi
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * finalseg/prob_start.py, prob_trans.py and prob_emit.py each assign a
 * dict literal to P: log probabilities of the first state, of each state
 * change, and of each character in each state. They are read here by a
 * small parser of the Python literals they use (dicts, strings with their
 * escapes, numbers with signs), so that Debian's files are used as shipped.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "jieba.h"
#include "eigml-error.h"

/* finalseg's MIN_FLOAT: the log probability of what the tables lack */
#define MIN_FLOAT (-3.14e100)

/* Viterbi only ever sees these characters (finalseg's re_han), so the
 * emission tables are dense over them; entries for other characters are
 * read but can never be used. */
#define HAN_FIRST 0x4E00
#define HAN_LAST 0x9FD5
#define N_HAN (HAN_LAST - HAN_FIRST + 1)

#define MAX_TABLE_SIZE (256u << 20)
#define MAX_NESTING 16

enum { STATE_B, STATE_M, STATE_E, STATE_S, N_STATES };
static const char state_names[N_STATES] = { 'B', 'M', 'E', 'S' };

struct _EigmlJiebaHmm
{
  double start[N_STATES];
  double trans[N_STATES][N_STATES];       /* [from][to] */
  double *emit[N_STATES];                 /* N_HAN each */
};

/* ---- a reader of Python literals ---- */

typedef struct
{
  const char *path;
  const char *start;
  const char *p;
  const char *end;
  guint depth;
} Reader;

static void
position (const Reader *r,
          const char *at,
          guint *line,
          guint *column)
{
  *line = 1;
  *column = 1;
  for (const char *q = r->start; q < at; q = g_utf8_next_char (q))
    {
      if (*q == '\n')
        {
          (*line)++;
          *column = 1;
        }
      else
        (*column)++;
    }
}

G_GNUC_PRINTF (4, 5)
static gboolean
fail_at (const Reader *r,
         const char *at,
         GError **error,
         const char *format,
         ...)
{
  g_autofree char *message = NULL;
  guint line, column;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  position (r, at, &line, &column);
  g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT, "%s:%u:%u: %s", r->path, line, column,
               message);
  return FALSE;
}

/* Skips blanks and comments; newlines too when @newlines (inside
 * brackets, where Python joins lines). */
static void
skip_space (Reader *r,
            gboolean newlines)
{
  while (r->p < r->end)
    {
      char c = *r->p;

      if (c == ' ' || c == '\t' || c == '\f' || (newlines && (c == '\n' || c == '\r')))
        r->p++;
      else if (c == '\\' && r->p + 1 < r->end && r->p[1] == '\n')
        r->p += 2;
      else if (c == '#')
        {
          while (r->p < r->end && *r->p != '\n')
            r->p++;
        }
      else
        break;
    }
}

static gboolean
is_ident_start (char c)
{
  return g_ascii_isalpha (c) || c == '_';
}

static gboolean
is_ident_char (char c)
{
  return g_ascii_isalnum (c) || c == '_';
}

static gboolean
read_hex (Reader *r,
          const char *escape,
          guint n_digits,
          gunichar *out,
          GError **error)
{
  gunichar v = 0;

  for (guint i = 0; i < n_digits; i++)
    {
      if (r->p >= r->end || !g_ascii_isxdigit (*r->p))
        return fail_at (r, escape, error, "a \\%c escape needs %u hexadecimal digits",
                        escape[1], n_digits);
      v = v * 16 + (gunichar) g_ascii_xdigit_value (*r->p++);
    }
  *out = v;
  return TRUE;
}

/* A string literal, r->p at its prefix or quote; appends its value to @out */
static gboolean
read_string (Reader *r,
             GString *out,
             GError **error)
{
  const char *begin = r->p;
  gboolean raw = FALSE;
  char quote;

  while (r->p < r->end && (*r->p == 'u' || *r->p == 'U' || *r->p == 'r' || *r->p == 'R' ||
                           *r->p == 'b' || *r->p == 'B' || *r->p == 'f' || *r->p == 'F'))
    {
      char c = g_ascii_tolower (*r->p++);

      if (c == 'b' || c == 'f')
        return fail_at (r, begin, error, "%s literals are not supported here",
                        c == 'b' ? "bytes" : "f-string");
      raw |= c == 'r';
    }
  quote = *r->p++;
  if (r->p + 1 < r->end && r->p[0] == quote && r->p[1] == quote)
    return fail_at (r, begin, error, "triple-quoted strings are not supported here");
  for (;;)
    {
      const char *escape = r->p;
      gunichar c = 0;

      if (r->p >= r->end || *r->p == '\n')
        return fail_at (r, begin, error, "the string is not closed on its line");
      if (*r->p == quote)
        {
          r->p++;
          return TRUE;
        }
      if (*r->p != '\\' || raw)
        {
          if (raw && *r->p == '\\' && r->p + 1 < r->end && r->p[1] != '\n')
            g_string_append_c (out, *r->p++);
          g_string_append_c (out, *r->p++);
          continue;
        }
      r->p++;
      if (r->p >= r->end)
        return fail_at (r, begin, error, "the string is not closed");
      switch (*r->p++)
        {
        case '\n': continue;
        case '\\': c = '\\'; break;
        case '\'': c = '\''; break;
        case '"': c = '"'; break;
        case 'a': c = '\a'; break;
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        case 'n': c = '\n'; break;
        case 'r': c = '\r'; break;
        case 't': c = '\t'; break;
        case 'v': c = '\v'; break;
        case 'x':
          if (!read_hex (r, escape, 2, &c, error))
            return FALSE;
          break;
        case 'u':
          if (!read_hex (r, escape, 4, &c, error))
            return FALSE;
          break;
        case 'U':
          if (!read_hex (r, escape, 8, &c, error))
            return FALSE;
          break;
        case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
          c = (gunichar) (r->p[-1] - '0');
          for (guint i = 0; i < 2 && r->p < r->end && *r->p >= '0' && *r->p <= '7'; i++)
            c = c * 8 + (gunichar) (*r->p++ - '0');
          break;
        case 'N':
          return fail_at (r, escape, error, "\\N{...} escapes are not supported here");
        default:
          /* Python keeps an unknown escape as written */
          r->p--;
          g_string_append_c (out, '\\');
          continue;
        }
      if (c == 0 || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return fail_at (r, escape, error, "the escape gives U+%04X, which cannot be used here",
                        c);
      g_string_append_unichar (out, c);
    }
}

/* A number with optional signs: ints and floats in decimal */
static gboolean
read_number (Reader *r,
             double *out,
             GError **error)
{
  const char *begin = r->p;
  gboolean negative = FALSE;
  g_autofree char *text = NULL;
  const char *digits;
  char *parsed_end;

  while (r->p < r->end && (*r->p == '-' || *r->p == '+'))
    {
      negative ^= *r->p == '-';
      r->p++;
      skip_space (r, TRUE);
    }
  digits = r->p;
  while (r->p < r->end && (g_ascii_isdigit (*r->p) || *r->p == '.'))
    r->p++;
  if (r->p < r->end && (*r->p == 'e' || *r->p == 'E'))
    {
      r->p++;
      if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
        r->p++;
      while (r->p < r->end && g_ascii_isdigit (*r->p))
        r->p++;
    }
  if (r->p < r->end && (is_ident_char (*r->p) || *r->p == '.'))
    return fail_at (r, begin, error, "expected a decimal number (hexadecimal, complex and "
                    "underscored numbers are not supported here)");
  text = g_strndup (digits, r->p - digits);
  *out = g_ascii_strtod (text, &parsed_end);
  if (text[0] == '\0' || *parsed_end != '\0' || !(g_ascii_isdigit (text[0]) || text[0] == '.'))
    return fail_at (r, begin, error, "expected a number, got '%s'", text);
  if (negative)
    *out = -*out;
  return TRUE;
}

static gboolean read_value (Reader *r, GVariant **out, GError **error);

static gboolean
read_dict (Reader *r,
           GVariant **out,
           GError **error)
{
  const char *begin = r->p;
  g_auto (GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  if (++r->depth > MAX_NESTING)
    return fail_at (r, begin, error, "dicts nested more than %d deep", MAX_NESTING);
  r->p++;
  for (;;)
    {
      g_autoptr (GString) key = g_string_new (NULL);
      GVariant *value = NULL;
      const char *key_at;

      skip_space (r, TRUE);
      if (r->p < r->end && *r->p == '}')
        break;
      key_at = r->p;
      if (r->p >= r->end || !(*r->p == '\'' || *r->p == '"' || g_ascii_isalpha (*r->p)))
        return fail_at (r, r->p, error, "expected a string key or '}'");
      /* adjacent literals join: 'a' 'b' is 'ab' */
      while (r->p < r->end && (*r->p == '\'' || *r->p == '"' || g_ascii_isalpha (*r->p)))
        {
          const char *q = r->p;

          while (q < r->end && g_ascii_isalpha (*q))
            q++;
          if (q >= r->end || (*q != '\'' && *q != '"') || q - r->p > 2)
            return fail_at (r, r->p, error, "expected a string key");
          if (!read_string (r, key, error))
            return FALSE;
          skip_space (r, TRUE);
        }
      if (memchr (key->str, '\0', key->len) != NULL ||
          !g_utf8_validate_len (key->str, key->len, NULL))
        return fail_at (r, key_at, error, "the key is not valid UTF-8 text without NUL");
      if (r->p >= r->end || *r->p != ':')
        return fail_at (r, r->p, error, "expected ':' after the key");
      r->p++;
      skip_space (r, TRUE);
      if (!read_value (r, &value, error))
        return FALSE;
      g_variant_builder_add (&builder, "{sv}", key->str, value);
      skip_space (r, TRUE);
      if (r->p < r->end && *r->p == ',')
        {
          r->p++;
          continue;
        }
      if (r->p < r->end && *r->p == '}')
        break;
      return fail_at (r, r->p, error, "expected ',' or '}' in the dict");
    }
  r->p++;
  r->depth--;
  *out = g_variant_builder_end (&builder);
  return TRUE;
}

static gboolean
read_value (Reader *r,
            GVariant **out,
            GError **error)
{
  double number = 0.0;

  skip_space (r, TRUE);
  if (r->p >= r->end)
    return fail_at (r, r->p, error, "expected a value, got the end of the file");
  if (*r->p == '{')
    return read_dict (r, out, error);
  if (!(*r->p == '-' || *r->p == '+' || *r->p == '.' || g_ascii_isdigit (*r->p)))
    return fail_at (r, r->p, error, "expected a number or a dict");
  if (!read_number (r, &number, error))
    return FALSE;
  *out = g_variant_new_double (number);
  return TRUE;
}

GVariant *
eigml_jieba_parse_python_dict (const char *path,
                               const char *text,
                               gsize len,
                               GError **error)
{
  Reader r = { path, text, text, text + len, 0 };
  g_autoptr (GVariant) value = NULL;

  if (!g_utf8_validate_len (text, len, NULL))
    {
      const char *bad;

      g_utf8_validate_len (text, len, &bad);
      fail_at (&r, bad, error, "not valid UTF-8");
      return NULL;
    }
  /* statements: `from ... import ...`, `import ...`, then `P = <dict>` */
  for (;;)
    {
      const char *word = NULL;

      skip_space (&r, TRUE);
      if (r.p < r.end && is_ident_start (*r.p))
        {
          word = r.p;
          while (r.p < r.end && is_ident_char (*r.p))
            r.p++;
        }
      if (word != NULL && ((r.p - word == 4 && memcmp (word, "from", 4) == 0) ||
                           (r.p - word == 6 && memcmp (word, "import", 6) == 0)))
        {
          while (r.p < r.end && *r.p != '\n')
            r.p++;
          continue;
        }
      if (word != NULL && r.p - word == 1 && *word == 'P')
        {
          skip_space (&r, FALSE);
          if (r.p < r.end && *r.p == '=')
            break;
        }
      fail_at (&r, word ? word : r.p, error, "expected 'P = {...}'");
      return NULL;
    }
  r.p++;
  skip_space (&r, FALSE);
  if (r.p >= r.end || *r.p != '{')
    {
      fail_at (&r, r.p, error, "expected a dict after 'P ='");
      return NULL;
    }
  if (!read_value (&r, &value, error))
    return NULL;
  g_variant_ref_sink (value);
  skip_space (&r, TRUE);
  while (r.p < r.end && *r.p == ';')
    {
      r.p++;
      skip_space (&r, TRUE);
    }
  if (r.p < r.end)
    {
      fail_at (&r, r.p, error, "expected the end of the file after the dict");
      return NULL;
    }
  return g_steal_pointer (&value);
}

/* ---- the tables ---- */

static int
state_index (const char *name)
{
  for (int s = 0; s < N_STATES; s++)
    if (name[0] == state_names[s] && name[1] == '\0')
      return s;
  return -1;
}

static gboolean
table_fail (const char *path,
            GError **error,
            const char *what)
{
  g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT, "%s: %s", path, what);
  return FALSE;
}

/* @dict: a{sv} keyed by state. Checks every key is a state and every value
 * of @type; with @all, every state must be there. */
static gboolean
check_states (const char *path,
              GVariant *dict,
              const GVariantType *type,
              gboolean all,
              GError **error)
{
  GVariantIter iter;
  const char *key;
  GVariant *value;
  guint seen = 0;

  g_variant_iter_init (&iter, dict);
  while (g_variant_iter_loop (&iter, "{&sv}", &key, &value))
    {
      int s = state_index (key);

      if (s < 0)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s: '%s' is not a state (expected B, M, E or S)", path, key);
          g_variant_unref (value);
          return FALSE;
        }
      if (!g_variant_is_of_type (value, type))
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT, "%s: the value of '%s' should be %s",
                       path, key, g_variant_type_equal (type, G_VARIANT_TYPE_DOUBLE)
                       ? "a number" : "a dict");
          g_variant_unref (value);
          return FALSE;
        }
      seen |= 1u << s;
    }
  if (all && seen != (1u << N_STATES) - 1)
    return table_fail (path, error, "expected an entry for each of the states B, M, E and S");
  return TRUE;
}

static GVariant *
read_table (const char *dir,
            const char *name,
            char **path_out,
            GError **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *text = NULL;
  gsize len;
  GVariant *value;

  if (!g_file_get_contents (path, &text, &len, error))
    return NULL;
  if (len > MAX_TABLE_SIZE)
    {
      table_fail (path, error, "too large for an HMM table (at most 256 MiB)");
      return NULL;
    }
  value = eigml_jieba_parse_python_dict (path, text, len, error);
  if (value != NULL)
    *path_out = g_steal_pointer (&path);
  return value;
}

/* Each value of @dict must be a number; stores them by state */
static void
store_row (GVariant *dict,
           double *row)
{
  GVariantIter iter;
  const char *key;
  GVariant *value;

  g_variant_iter_init (&iter, dict);
  while (g_variant_iter_loop (&iter, "{&sv}", &key, &value))
    row[state_index (key)] = g_variant_get_double (value);
}

EigmlJiebaHmm *
eigml_jieba_hmm_load (const char *finalseg_dir,
                      GError **error)
{
  g_autoptr (EigmlJiebaHmm) hmm = g_new0 (EigmlJiebaHmm, 1);
  g_autoptr (GVariant) start = NULL, trans = NULL, emit = NULL;
  g_autofree char *start_path = NULL, *trans_path = NULL, *emit_path = NULL;
  GVariantIter iter;
  const char *key;
  GVariant *value;

  start = read_table (finalseg_dir, "prob_start.py", &start_path, error);
  if (start == NULL || !check_states (start_path, start, G_VARIANT_TYPE_DOUBLE, TRUE, error))
    return NULL;
  store_row (start, hmm->start);

  trans = read_table (finalseg_dir, "prob_trans.py", &trans_path, error);
  if (trans == NULL || !check_states (trans_path, trans, G_VARIANT_TYPE_VARDICT, TRUE, error))
    return NULL;
  g_variant_iter_init (&iter, trans);
  while (g_variant_iter_loop (&iter, "{&sv}", &key, &value))
    {
      double *row = hmm->trans[state_index (key)];

      if (!check_states (trans_path, value, G_VARIANT_TYPE_DOUBLE, FALSE, error))
        {
          g_variant_unref (value);
          return NULL;
        }
      /* a change the table lacks has jieba's default */
      for (int s = 0; s < N_STATES; s++)
        row[s] = MIN_FLOAT;
      store_row (value, row);
    }

  emit = read_table (finalseg_dir, "prob_emit.py", &emit_path, error);
  if (emit == NULL || !check_states (emit_path, emit, G_VARIANT_TYPE_VARDICT, TRUE, error))
    return NULL;
  for (int s = 0; s < N_STATES; s++)
    {
      hmm->emit[s] = g_new (double, N_HAN);
      for (guint i = 0; i < N_HAN; i++)
        hmm->emit[s][i] = MIN_FLOAT;
    }
  g_variant_iter_init (&iter, emit);
  while (g_variant_iter_loop (&iter, "{&sv}", &key, &value))
    {
      double *row = hmm->emit[state_index (key)];
      GVariantIter chars;
      const char *ch;
      GVariant *prob;

      g_variant_iter_init (&chars, value);
      while (g_variant_iter_loop (&chars, "{&sv}", &ch, &prob))
        {
          gunichar c = g_utf8_get_char (ch);

          if (ch[0] == '\0' || *g_utf8_next_char (ch) != '\0' ||
              !g_variant_is_of_type (prob, G_VARIANT_TYPE_DOUBLE))
            {
              g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                           "%s: state %s: expected one character mapped to a number, got '%s'",
                           emit_path, key, ch);
              g_variant_unref (prob);
              g_variant_unref (value);
              return NULL;
            }
          if (c >= HAN_FIRST && c <= HAN_LAST)
            row[c - HAN_FIRST] = g_variant_get_double (prob);
        }
    }
  return g_steal_pointer (&hmm);
}

void
eigml_jieba_hmm_free (EigmlJiebaHmm *hmm)
{
  if (hmm == NULL)
    return;
  for (int s = 0; s < N_STATES; s++)
    g_free (hmm->emit[s]);
  g_free (hmm);
}

/* ---- Viterbi ---- */

/* The states a state can follow, in finalseg's order (PrevStatus) */
static const int prev_states[N_STATES][2] = {
  [STATE_B] = { STATE_E, STATE_S },
  [STATE_M] = { STATE_M, STATE_B },
  [STATE_S] = { STATE_S, STATE_E },
  [STATE_E] = { STATE_B, STATE_M },
};

/* Python's max () over (probability, state name) pairs: a later pair
 * wins only when greater, a tie in probability going to the greater
 * name. */
static inline gboolean
pair_greater (double p,
              int s,
              double best_p,
              int best_s)
{
  return p > best_p || (p == best_p && state_names[s] > state_names[best_s]);
}

void
eigml_jieba_hmm_cut (const EigmlJiebaHmm *hmm,
                     const gunichar *chars,
                     gsize n,
                     gboolean *ends)
{
  g_autofree guint8 *back = NULL;
  g_autofree guint8 *path = NULL;
  double v[N_STATES], next[N_STATES];
  int state;

  if (n == 0)
    return;
  back = g_new (guint8, n * N_STATES);
  path = g_new (guint8, n);
  for (int s = 0; s < N_STATES; s++)
    v[s] = hmm->start[s] + hmm->emit[s][chars[0] - HAN_FIRST];
  for (gsize t = 1; t < n; t++)
    {
      for (int s = 0; s < N_STATES; s++)
        {
          double em = hmm->emit[s][chars[t] - HAN_FIRST];
          int best_s = prev_states[s][0];
          double best_p = v[best_s] + hmm->trans[best_s][s] + em;
          int other = prev_states[s][1];
          double p = v[other] + hmm->trans[other][s] + em;

          if (pair_greater (p, other, best_p, best_s))
            {
              best_p = p;
              best_s = other;
            }
          next[s] = best_p;
          back[t * N_STATES + s] = (guint8) best_s;
        }
      memcpy (v, next, sizeof v);
    }
  state = STATE_E;
  if (pair_greater (v[STATE_S], STATE_S, v[STATE_E], STATE_E))
    state = STATE_S;
  for (gsize t = n; t-- > 0; )
    {
      path[t] = (guint8) state;
      if (t > 0)
        state = back[t * N_STATES + state];
    }

  /* finalseg's __cut: a word ends at each E and S, and whatever is left
   * open at the end is one word. (A word runs from the character after the
   * previous end: only B can follow E or S.) */
  for (gsize i = 0; i < n; i++)
    ends[i] = path[i] == STATE_E || path[i] == STATE_S;
  ends[n - 1] = TRUE;
}
