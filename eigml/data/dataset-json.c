/* dataset-json.c: JSON text checked before json-glib parses it, and typed
 * reads of the values with messages that name the file, line and field
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * json-glib 1.6 is lenient where the datasets need it strict: an integer
 * beyond 64 bits wraps around silently (StickerChat's ids can be that
 * large), "\u0000" cuts a string short, text after the first value may be
 * ignored, single-quoted strings and comments pass, and nesting is only
 * limited by the stack. So every JSON text is first walked here: it must be
 * UTF-8 (a leading byte-order mark is dropped), nest at most
 * EIGML_DATASET_MAX_DEPTH levels, hold one value, no comments and no
 * single-quoted strings, and no string may hold U+0000. An integer literal outside the 64-bit range is
 * put in quotes before parsing, so it reaches the readers as the string of
 * its digits; an id can then be read exactly, and any other field reports
 * it as a string.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "eigml-error.h"
#include "dataset-private.h"

void
eigml_json_lines_init (EigmlJsonLines *lines)
{
  lines->depth1 = g_array_new (FALSE, FALSE, sizeof (guint32));
  lines->depth2 = g_array_new (FALSE, FALSE, sizeof (guint32));
  lines->depth2_parent = g_array_new (FALSE, FALSE, sizeof (guint32));
}

void
eigml_json_lines_clear (EigmlJsonLines *lines)
{
  g_clear_pointer (&lines->depth1, g_array_unref);
  g_clear_pointer (&lines->depth2, g_array_unref);
  g_clear_pointer (&lines->depth2_parent, g_array_unref);
}

void
eigml_dataset_set_error (GError **error,
                         const EigmlJsonLoc *loc,
                         const char *format,
                         ...)
{
  g_autofree char *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  if (loc->line > 0)
    g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT, "%s:%u: %s", loc->file, loc->line, what);
  else
    g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT, "%s: %s", loc->file, what);
}

/* The state of the walk over a JSON text. */
typedef struct
{
  const char *text;
  gsize length;
  const EigmlJsonLoc *loc;
  EigmlJsonLines *lines;
  guint line;           /* line of the text at i, from loc->line (or 1) */
  gsize line_start;     /* offset where that line starts */
  GString *rewritten;   /* NULL until an integer needs quotes */
  gsize copied;         /* text[0, copied) is in rewritten */
  guint32 n_depth1;
} Walk;

G_GNUC_PRINTF (4, 5) static gboolean
walk_fail (Walk *w,
           gsize at,
           GError **error,
           const char *format,
           ...)
{
  EigmlJsonLoc loc = *w->loc;
  g_autofree char *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  loc.line = w->line;
  eigml_dataset_set_error (error, &loc, "not valid JSON (column %" G_GSIZE_FORMAT "): %s",
                           at - w->line_start + 1, what);
  return FALSE;
}

static void
walk_record_value (Walk *w,
                   guint depth)
{
  guint32 line = w->line;

  if (w->lines == NULL)
    return;
  if (depth == 1)
    {
      g_array_append_val (w->lines->depth1, line);
      w->n_depth1++;
    }
  else if (depth == 2 && w->n_depth1 > 0)
    {
      guint32 parent = w->n_depth1 - 1;

      g_array_append_val (w->lines->depth2, line);
      g_array_append_val (w->lines->depth2_parent, parent);
    }
}

/* Whether the digits text[start, end) (no sign) exceed the int64 range. */
static gboolean
digits_exceed_int64 (const char *digits,
                     gsize n,
                     gboolean negative)
{
  const char *limit = negative ? "9223372036854775808" : "9223372036854775807";

  while (n > 1 && *digits == '0')
    {
      digits++;
      n--;
    }
  if (n != 19)
    return n > 19;
  return memcmp (digits, limit, 19) > 0;
}

static void
walk_quote (Walk *w,
            gsize start,
            gsize end)
{
  if (w->rewritten == NULL)
    w->rewritten = g_string_sized_new (w->length + 16);
  g_string_append_len (w->rewritten, w->text + w->copied, start - w->copied);
  g_string_append_c (w->rewritten, '"');
  g_string_append_len (w->rewritten, w->text + start, end - start);
  g_string_append_c (w->rewritten, '"');
  w->copied = end;
}

static gboolean
walk_text (Walk *w,
           GError **error)
{
  const char *t = w->text;
  char stack[EIGML_DATASET_MAX_DEPTH];
  guint depth = 0;
  gboolean expect_value = TRUE;
  gboolean done = FALSE;
  gsize i = 0;

  while (i < w->length)
    {
      char c = t[i];

      if (c == '\n')
        {
          w->line++;
          w->line_start = ++i;
          continue;
        }
      if (c == ' ' || c == '\t' || c == '\r')
        {
          i++;
          continue;
        }
      if (done)
        return walk_fail (w, i, error, "text after the end of the value");
      if (expect_value && c != '}' && c != ']' && c != ',' && c != ':')
        walk_record_value (w, depth);

      if (c == '"')
        {
          for (i++; i < w->length && t[i] != '"'; i++)
            {
              if (t[i] == '\\')
                {
                  if (i + 5 < w->length && memcmp (t + i + 1, "u0000", 5) == 0)
                    return walk_fail (w, i, error, "a string holds U+0000 (\\u0000)");
                  i++;
                }
              else if (t[i] == '\n')
                {
                  w->line++;
                  w->line_start = i + 1;
                }
            }
          i++;
          expect_value = FALSE;
          done = depth == 0;
        }
      else if (c == '{' || c == '[')
        {
          if (depth == EIGML_DATASET_MAX_DEPTH)
            return walk_fail (w, i, error, "arrays and objects nested deeper than %d levels",
                              EIGML_DATASET_MAX_DEPTH);
          stack[depth++] = c;
          expect_value = c == '[';
          i++;
        }
      else if (c == '}' || c == ']')
        {
          if (depth > 0)
            depth--;
          expect_value = FALSE;
          done = depth == 0;
          i++;
        }
      else if (c == ',')
        {
          expect_value = depth > 0 && stack[depth - 1] == '[';
          i++;
        }
      else if (c == ':')
        {
          expect_value = TRUE;
          i++;
        }
      else if (c == '/')
        return walk_fail (w, i, error, "comments are not JSON");
      else if (c == '\'')
        return walk_fail (w, i, error, "single-quoted strings are not JSON");
      else if (c == '-' || g_ascii_isdigit (c))
        {
          gsize start = i, digits;
          gboolean integer = TRUE;

          if (c == '-')
            i++;
          digits = i;
          while (i < w->length && g_ascii_isdigit (t[i]))
            i++;
          while (i < w->length && (g_ascii_isdigit (t[i]) || t[i] == '.' || t[i] == 'e' ||
                                   t[i] == 'E' || t[i] == '+' || t[i] == '-'))
            {
              integer = FALSE;
              i++;
            }
          if (integer && i > digits && digits_exceed_int64 (t + digits, i - digits, c == '-'))
            walk_quote (w, start, i);
          expect_value = FALSE;
          done = depth == 0;
        }
      else
        {
          /* true, false, null; anything else is json-glib's to report */
          while (i < w->length && g_ascii_isalnum (t[i]))
            i++;
          if (i < w->length && !g_ascii_isalnum (t[i]) && !strchr (" \t\r\n,:]}", t[i]))
            i++;
          expect_value = FALSE;
          done = depth == 0;
        }
    }
  return TRUE;
}

/* json-glib says "<data>:LINE:COLUMN: Parse error: WHAT". */
static void
set_parse_error (GError **error,
                 const EigmlJsonLoc *loc,
                 const char *message)
{
  EigmlJsonLoc at = *loc;
  const char *p = message;
  guint64 line = 0, column = 0;
  char *end;

  if (g_str_has_prefix (p, "<data>:"))
    {
      line = g_ascii_strtoull (p + 7, &end, 10);
      if (*end == ':')
        {
          column = g_ascii_strtoull (end + 1, &end, 10);
          p = *end == ':' ? end + 1 : p;
        }
    }
  while (*p == ' ')
    p++;
  if (g_str_has_prefix (p, "Parse error: "))
    p += strlen ("Parse error: ");
  if (at.line == 0)
    at.line = (guint) line;
  else if (line > 1)
    at.line += (guint) line - 1;
  if (column > 0)
    eigml_dataset_set_error (error, &at, "not valid JSON (column %" G_GUINT64_FORMAT "): %s",
                             column, p);
  else
    eigml_dataset_set_error (error, &at, "not valid JSON: %s", p);
}

/* Parses one JSON text. @loc->line is the line of a JSON lines file, or 0
 * for a whole document (errors then give the line within it). @lines, when
 * not NULL, receives the lines where values of depth 1 and 2 start. */
JsonNode *
eigml_json_parse (JsonParser *parser,
                  const char *text,
                  gsize length,
                  const EigmlJsonLoc *loc,
                  EigmlJsonLines *lines,
                  GError **error)
{
  g_autoptr (JsonParser) own_parser = NULL;
  g_autoptr (GError) local_error = NULL;
  const char *bad = NULL;
  Walk w = { text, length, loc, lines, loc->line ? loc->line : 1, 0, NULL, 0, 0 };
  EigmlJsonLoc at = *loc;
  JsonNode *root;

  /* a byte-order mark is not part of the text */
  if (length >= 3 && memcmp (text, "\xef\xbb\xbf", 3) == 0)
    {
      text += 3;
      length -= 3;
      w.text = text;
      w.length = length;
    }
  if (!g_utf8_validate_len (text, length, &bad))
    {
      for (gsize i = 0; i < (gsize) (bad - text); i++)
        if (text[i] == '\n')
          {
            w.line++;
            w.line_start = i + 1;
          }
      at.line = w.line;
      eigml_dataset_set_error (error, &at, "not valid UTF-8 (byte 0x%02x at column %" G_GSIZE_FORMAT
                               ")", (guchar) *bad, (gsize) (bad - text) - w.line_start + 1);
      return NULL;
    }
  if (!walk_text (&w, error))
    {
      if (w.rewritten != NULL)
        g_string_free (w.rewritten, TRUE);
      return NULL;
    }
  if (w.rewritten != NULL)
    g_string_append_len (w.rewritten, text + w.copied, length - w.copied);
  if (parser == NULL)
    parser = own_parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, w.rewritten ? w.rewritten->str : text,
                                   w.rewritten ? (gssize) w.rewritten->len : (gssize) length,
                                   &local_error))
    {
      set_parse_error (error, loc, local_error->message);
      if (w.rewritten != NULL)
        g_string_free (w.rewritten, TRUE);
      return NULL;
    }
  if (w.rewritten != NULL)
    g_string_free (w.rewritten, TRUE);
  root = json_parser_steal_root (parser);
  if (root == NULL)
    eigml_dataset_set_error (error, loc, "no JSON value");
  return root;
}

/* What a value is, for "got ..." in messages. */
const char *
eigml_json_kind (JsonNode *node)
{
  if (node == NULL)
    return "nothing";
  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      return "an object";
    case JSON_NODE_ARRAY:
      return "an array";
    case JSON_NODE_NULL:
      return "null";
    case JSON_NODE_VALUE:
    default:
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_INT64:
          return "an integer";
        case G_TYPE_DOUBLE:
          return "a non-integer number";
        case G_TYPE_BOOLEAN:
          return "a boolean";
        case G_TYPE_STRING:
          return "a string";
        default:
          return "an unknown value";
        }
    }
}

JsonNode *
eigml_json_member (JsonObject *object,
                   const char *member)
{
  return object ? json_object_get_member (object, member) : NULL;
}

static char *
field_path (const EigmlJsonLoc *loc,
            const char *member)
{
  if (loc->base == NULL)
    return g_strdup (member);
  return g_strconcat (loc->base, member[0] == '[' ? "" : ".", member, NULL);
}

G_GNUC_PRINTF (4, 5) static gboolean
field_fail (GError **error,
            const EigmlJsonLoc *loc,
            const char *member,
            const char *format,
            ...)
{
  g_autofree char *path = field_path (loc, member);
  g_autofree char *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  eigml_dataset_set_error (error, loc, "field '%s': %s", path, what);
  return FALSE;
}

static gboolean
missing (GError **error,
         const EigmlJsonLoc *loc,
         const char *member)
{
  g_autofree char *path = field_path (loc, member);

  eigml_dataset_set_error (error, loc, "missing field '%s'", path);
  return FALSE;
}

static gboolean
is_value (JsonNode *node,
          GType type)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

/* An id is a non-empty string, or an integer written in decimal; never a
 * double, so ids above 2^53 keep every digit. */
gboolean
eigml_json_read_id (JsonNode *node,
                    const EigmlJsonLoc *loc,
                    const char *member,
                    char **out,
                    GError **error)
{
  *out = NULL;
  if (node == NULL)
    return missing (error, loc, member);
  if (is_value (node, G_TYPE_INT64))
    {
      *out = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
      return TRUE;
    }
  if (is_value (node, G_TYPE_STRING))
    {
      const char *s = json_node_get_string (node);

      if (*s == '\0')
        return field_fail (error, loc, member, "expected a non-empty string or an integer, "
                           "got an empty string");
      *out = g_strdup (s);
      return TRUE;
    }
  return field_fail (error, loc, member, "expected a string or integer, got %s",
                     eigml_json_kind (node));
}

/* As eigml_json_read_id(), but a missing field or null gives NULL. */
gboolean
eigml_json_read_optional_id (JsonNode *node,
                             const EigmlJsonLoc *loc,
                             const char *member,
                             char **out,
                             GError **error)
{
  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  return eigml_json_read_id (node, loc, member, out, error);
}

/* A string; when @optional, a missing field or null gives NULL. */
gboolean
eigml_json_read_text (JsonNode *node,
                      const EigmlJsonLoc *loc,
                      const char *member,
                      gboolean optional,
                      const char **out,
                      GError **error)
{
  *out = NULL;
  if (optional && (node == NULL || JSON_NODE_HOLDS_NULL (node)))
    return TRUE;
  if (node == NULL)
    return missing (error, loc, member);
  if (!is_value (node, G_TYPE_STRING))
    return field_fail (error, loc, member, "expected a string, got %s", eigml_json_kind (node));
  *out = json_node_get_string (node);
  return TRUE;
}

JsonArray *
eigml_json_read_array (JsonNode *node,
                       const EigmlJsonLoc *loc,
                       const char *member,
                       GError **error)
{
  if (node == NULL)
    missing (error, loc, member);
  else if (!JSON_NODE_HOLDS_ARRAY (node))
    field_fail (error, loc, member, "expected an array, got %s", eigml_json_kind (node));
  else
    return json_node_get_array (node);
  return NULL;
}

JsonObject *
eigml_json_read_object (JsonNode *node,
                        const EigmlJsonLoc *loc,
                        const char *member,
                        GError **error)
{
  if (node == NULL)
    missing (error, loc, member);
  else if (!JSON_NODE_HOLDS_OBJECT (node))
    field_fail (error, loc, member, "expected an object, got %s", eigml_json_kind (node));
  else
    return json_node_get_object (node);
  return NULL;
}

/* An emotion: EIGML_EMOTION_N_CATEGORIES non-negative numbers (counts or
 * probabilities, normalised here to sum 1), or the name of one category
 * (a one-hot distribution). */
gboolean
eigml_json_read_emotion (JsonNode *node,
                         const EigmlJsonLoc *loc,
                         const char *member,
                         float out[EIGML_EMOTION_N_CATEGORIES],
                         GError **error)
{
  double values[EIGML_EMOTION_N_CATEGORIES];
  double sum = 0;
  JsonArray *array;

  if (node == NULL)
    return missing (error, loc, member);
  if (is_value (node, G_TYPE_STRING))
    {
      const char *name = json_node_get_string (node);

      for (guint c = 0; c < EIGML_EMOTION_N_CATEGORIES; c++)
        {
          out[c] = 0;
          if (strcmp (name, eigml_emotion_names[c]) == 0)
            sum = out[c] = 1;
        }
      if (sum == 0)
        return field_fail (error, loc, member, "expected a category of 好 乐 哀 怒 惧 恶 惊, "
                           "got '%s'", name);
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return field_fail (error, loc, member, "expected %d numbers or a category name, got %s",
                       EIGML_EMOTION_N_CATEGORIES, eigml_json_kind (node));
  array = json_node_get_array (node);
  if (json_array_get_length (array) != EIGML_EMOTION_N_CATEGORIES)
    return field_fail (error, loc, member, "expected %d numbers (好 乐 哀 怒 惧 恶 惊), got %u",
                       EIGML_EMOTION_N_CATEGORIES, json_array_get_length (array));
  for (guint c = 0; c < EIGML_EMOTION_N_CATEGORIES; c++)
    {
      JsonNode *v = json_array_get_element (array, c);

      if (is_value (v, G_TYPE_INT64))
        values[c] = (double) json_node_get_int (v);
      else if (is_value (v, G_TYPE_DOUBLE))
        values[c] = json_node_get_double (v);
      else
        return field_fail (error, loc, member, "value %u: expected a number, got %s", c,
                           eigml_json_kind (v));
      if (!isfinite (values[c]) || values[c] < 0)
        return field_fail (error, loc, member, "value %u: expected a finite number >= 0, "
                           "got %g", c, values[c]);
      sum += values[c];
    }
  if (!(sum > 0) || !isfinite (sum))
    return field_fail (error, loc, member, "the values sum to %g (expected a positive sum)", sum);
  for (guint c = 0; c < EIGML_EMOTION_N_CATEGORIES; c++)
    out[c] = (float) (values[c] / sum);
  return TRUE;
}

void
eigml_relation_lists_clear (char **intents[EIGML_INTENT_N_RELATIONS])
{
  for (guint r = 0; r < EIGML_INTENT_N_RELATIONS; r++)
    g_clear_pointer (&intents[r], g_strfreev);
}

static gboolean
read_strv (JsonNode *node,
           const EigmlJsonLoc *loc,
           const char *member,
           char ***out,
           GError **error)
{
  JsonArray *array = eigml_json_read_array (node, loc, member, error);
  g_autoptr (GStrvBuilder) builder = NULL;

  if (array == NULL)
    return FALSE;
  builder = g_strv_builder_new ();
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *v = json_array_get_element (array, i);

      if (!is_value (v, G_TYPE_STRING))
        return field_fail (error, loc, member, "item %u: expected a string, got %s", i,
                           eigml_json_kind (v));
      g_strv_builder_add (builder, json_node_get_string (v));
    }
  *out = g_strv_builder_end (builder);
  return TRUE;
}

/* The COMET relations of @object; @members says what else it may hold
 * (another member is an error). At least one relation must be there;
 * missing ones are empty lists. */
gboolean
eigml_json_read_intents (JsonObject *object,
                         const EigmlJsonLoc *loc,
                         EigmlRelationMembers members,
                         char **out[EIGML_INTENT_N_RELATIONS],
                         GError **error)
{
  char **intents[EIGML_INTENT_N_RELATIONS] = { NULL };
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;
  gboolean any = FALSE;

  json_object_iter_init_ordered (&iter, object);
  while (json_object_iter_next_ordered (&iter, &name, &value))
    {
      guint r;

      for (r = 0; r < EIGML_INTENT_N_RELATIONS; r++)
        if (strcmp (name, eigml_intent_relations[r]) == 0)
          break;
      if (r == EIGML_INTENT_N_RELATIONS)
        {
          if (members == EIGML_RELATIONS_OTHERS_IGNORED ||
              (members == EIGML_RELATIONS_AND_ID && strcmp (name, "id") == 0))
            continue;
          eigml_relation_lists_clear (intents);
          return field_fail (error, loc, name, "not a COMET relation (expected %sxIntent, xNeed, "
                             "xWant or xEffect)", members == EIGML_RELATIONS_AND_ID ? "id, " : "");
        }
      g_clear_pointer (&intents[r], g_strfreev);
      if (!read_strv (value, loc, name, &intents[r], error))
        {
          eigml_relation_lists_clear (intents);
          return FALSE;
        }
      any = TRUE;
    }
  if (!any)
    {
      if (loc->base != NULL)
        eigml_dataset_set_error (error, loc, "field '%s': expected at least one of xIntent, "
                                 "xNeed, xWant, xEffect", loc->base);
      else
        eigml_dataset_set_error (error, loc, "expected at least one of the fields xIntent, xNeed, "
                               "xWant, xEffect");
      return FALSE;
    }
  for (guint r = 0; r < EIGML_INTENT_N_RELATIONS; r++)
    out[r] = intents[r] ? intents[r] : g_new0 (char *, 1);
  return TRUE;
}

/* An id used as a file or folder name: no '/', not "." or "..". */
gboolean
eigml_dataset_check_name (const char *name,
                          const EigmlJsonLoc *loc,
                          const char *member,
                          GError **error)
{
  if (strchr (name, '/') == NULL && strcmp (name, ".") != 0 && strcmp (name, "..") != 0)
    return TRUE;
  return field_fail (error, loc, member, "'%s' cannot name a file (expected no '/', and not "
                     "'.' or '..')", name);
}
