/* image-npy.c: the NumPy .npy format, as StickerChat stores its stickers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A .npy file is the magic "\x93NUMPY", a version (major, minor byte), the
 * header length (uint16 little-endian in version 1.0, uint32 in 2.0 and
 * 3.0), then that many bytes of header: a Python dict literal such as
 *
 *   {'descr': '|u1', 'fortran_order': False, 'shape': (128, 128, 3), }
 *
 * padded with spaces and ended by a newline, then the raw data. Only the
 * literals numpy writes are understood: strings, True/False and tuples of
 * decimal integers (an "L" suffix from Python 2 is accepted). Stickers must
 * be uint8 ('|u1'), C order, shape (H, W, 3), and the file must hold exactly
 * H * W * 3 bytes of data after the header.
 */
#include "config.h"

#include <string.h>

#include "eigml-error.h"
#include "image.h"

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_MAX_DIMS 8

typedef struct
{
  const char *name;     /* the file, for messages */
  const char *start;    /* the header text */
  const char *p;
  const char *end;
  gsize base;           /* file offset of start */
  const char *field;    /* the key whose value is being read, or NULL */
} NpyLexer;

typedef enum
{
  NPY_VALUE_STRING,
  NPY_VALUE_BOOL,
  NPY_VALUE_TUPLE,
} NpyValueKind;

typedef struct
{
  NpyValueKind kind;
  char *string;
  gboolean boolean;
  guint64 dims[NPY_MAX_DIMS];
  guint n_dims;
} NpyValue;

gboolean
eigml_image_is_npy (const guint8 *data,
                    gsize size)
{
  return size >= NPY_MAGIC_LEN && memcmp (data, NPY_MAGIC, NPY_MAGIC_LEN) == 0;
}

/* A printable form of the text at the cursor, for "got ..." in messages. */
static char *
lexer_got (NpyLexer *lx)
{
  gsize n = MIN ((gsize) (lx->end - lx->p), 12);
  g_autofree char *raw = NULL;
  g_autofree char *escaped = NULL;

  if (n == 0)
    return g_strdup ("the end of the header");
  raw = g_strndup (lx->p, n);
  escaped = g_strescape (raw, NULL);
  return g_strdup_printf ("'%s'", escaped);
}

G_GNUC_PRINTF (3, 4) static gboolean
lexer_fail (NpyLexer *lx,
            GError **error,
            const char *format,
            ...)
{
  g_autofree char *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
               "%s: .npy header at byte %" G_GSIZE_FORMAT "%s%s%s: %s", lx->name,
               lx->base + (gsize) (lx->p - lx->start), lx->field ? " (value of '" : "",
               lx->field ? lx->field : "", lx->field ? "')" : "", what);
  return FALSE;
}

static void
lexer_skip_space (NpyLexer *lx)
{
  while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\n' || *lx->p == '\r'))
    lx->p++;
}

static gboolean
lexer_accept (NpyLexer *lx,
              char c)
{
  lexer_skip_space (lx);
  if (lx->p < lx->end && *lx->p == c)
    {
      lx->p++;
      return TRUE;
    }
  return FALSE;
}

static gboolean
lexer_expect (NpyLexer *lx,
              char c,
              const char *where,
              GError **error)
{
  g_autofree char *got = NULL;

  if (lexer_accept (lx, c))
    return TRUE;
  got = lexer_got (lx);
  return lexer_fail (lx, error, "expected '%c' %s, got %s", c, where, got);
}

static gboolean
lexer_string (NpyLexer *lx,
              char **out,
              GError **error)
{
  char quote;
  const char *begin;

  lexer_skip_space (lx);
  if (lx->p >= lx->end || (*lx->p != '\'' && *lx->p != '"'))
    {
      g_autofree char *got = lexer_got (lx);
      return lexer_fail (lx, error, "expected a quoted string, got %s", got);
    }
  quote = *lx->p++;
  begin = lx->p;
  while (lx->p < lx->end && *lx->p != quote)
    {
      /* numpy never escapes inside descr or keys; refuse rather than guess */
      if (*lx->p == '\\' || (guchar) *lx->p < 0x20 || (guchar) *lx->p >= 0x7f)
        return lexer_fail (lx, error, "expected a plain ASCII string, got byte 0x%02x",
                           (guchar) *lx->p);
      lx->p++;
    }
  if (lx->p >= lx->end)
    return lexer_fail (lx, error, "expected the closing %c of a string, got the end of the header",
                       quote);
  *out = g_strndup (begin, (gsize) (lx->p - begin));
  lx->p++;
  return TRUE;
}

static gboolean
lexer_integer (NpyLexer *lx,
               guint64 *out,
               GError **error)
{
  guint64 value = 0;
  const char *begin;

  lexer_skip_space (lx);
  begin = lx->p;
  if (lx->p < lx->end && *lx->p == '-')
    return lexer_fail (lx, error, "expected a positive dimension, got a negative number");
  while (lx->p < lx->end && g_ascii_isdigit (*lx->p))
    {
      guint digit = (guint) (*lx->p - '0');

      if (value > (G_MAXUINT64 - digit) / 10)
        return lexer_fail (lx, error, "expected a dimension that fits in 64 bits, got '%.*s...'",
                           (int) MIN (lx->end - begin, 24), begin);
      value = value * 10 + digit;
      lx->p++;
    }
  if (lx->p == begin)
    {
      g_autofree char *got = lexer_got (lx);
      return lexer_fail (lx, error, "expected an integer, got %s", got);
    }
  if (lx->p < lx->end && (*lx->p == 'L' || *lx->p == 'l'))
    lx->p++;
  *out = value;
  return TRUE;
}

static gboolean
lexer_value (NpyLexer *lx,
             NpyValue *value,
             GError **error)
{
  lexer_skip_space (lx);
  if (lx->p < lx->end && (*lx->p == '\'' || *lx->p == '"'))
    {
      value->kind = NPY_VALUE_STRING;
      return lexer_string (lx, &value->string, error);
    }
  if (lx->end - lx->p >= 4 && memcmp (lx->p, "True", 4) == 0)
    {
      value->kind = NPY_VALUE_BOOL;
      value->boolean = TRUE;
      lx->p += 4;
      return TRUE;
    }
  if (lx->end - lx->p >= 5 && memcmp (lx->p, "False", 5) == 0)
    {
      value->kind = NPY_VALUE_BOOL;
      value->boolean = FALSE;
      lx->p += 5;
      return TRUE;
    }
  if (lexer_accept (lx, '('))
    {
      value->kind = NPY_VALUE_TUPLE;
      value->n_dims = 0;
      while (!lexer_accept (lx, ')'))
        {
          if (value->n_dims == NPY_MAX_DIMS)
            return lexer_fail (lx, error, "expected at most %d dimensions in a shape", NPY_MAX_DIMS);
          if (!lexer_integer (lx, &value->dims[value->n_dims], error))
            return FALSE;
          value->n_dims++;
          if (!lexer_accept (lx, ','))
            {
              if (!lexer_expect (lx, ')', "or ',' in a tuple", error))
                return FALSE;
              break;
            }
        }
      return TRUE;
    }
  {
    g_autofree char *got = lexer_got (lx);
    return lexer_fail (lx, error, "expected a string, True, False or a tuple, got %s", got);
  }
}

static char *
shape_to_string (const NpyValue *shape)
{
  GString *s = g_string_new ("(");

  for (guint i = 0; i < shape->n_dims; i++)
    g_string_append_printf (s, "%s%" G_GUINT64_FORMAT, i ? ", " : "", shape->dims[i]);
  g_string_append (s, shape->n_dims == 1 ? ",)" : ")");
  return g_string_free (s, FALSE);
}

/* Reads the dict; each of the three keys exactly once, nothing else. */
static gboolean
parse_header_dict (NpyLexer *lx,
                   NpyValue values[3],
                   GError **error)
{
  static const char *const keys[3] = { "descr", "fortran_order", "shape" };
  gboolean seen[3] = { FALSE, FALSE, FALSE };

  if (!lexer_expect (lx, '{', "at the start of the header dict", error))
    return FALSE;
  while (!lexer_accept (lx, '}'))
    {
      g_autofree char *key = NULL;
      const char *key_at = NULL;
      int k;

      lexer_skip_space (lx);
      key_at = lx->p;
      if (!lexer_string (lx, &key, error))
        return FALSE;
      for (k = 0; k < 3; k++)
        if (g_str_equal (key, keys[k]))
          break;
      if (k == 3 || seen[k])
        {
          lx->p = key_at;
          return lexer_fail (lx, error, "expected one of the keys 'descr', 'fortran_order', "
                             "'shape' once each, got %s'%s'", k == 3 ? "" : "a second ", key);
        }
      seen[k] = TRUE;
      if (!lexer_expect (lx, ':', "after a key", error))
        return FALSE;
      lx->field = keys[k];
      if (!lexer_value (lx, &values[k], error))
        return FALSE;
      lx->field = NULL;
      if (!lexer_accept (lx, ','))
        {
          if (!lexer_expect (lx, '}', "or ',' after a value", error))
            return FALSE;
          break;
        }
    }
  lexer_skip_space (lx);
  if (lx->p != lx->end)
    {
      g_autofree char *got = lexer_got (lx);
      return lexer_fail (lx, error, "expected only spaces after the header dict, got %s", got);
    }
  for (int k = 0; k < 3; k++)
    if (!seen[k])
      return lexer_fail (lx, error, "expected a '%s' key in the header dict, got none", keys[k]);
  return TRUE;
}

gboolean
eigml_image_npy_parse (const guint8 *data,
                       gsize size,
                       const char *name,
                       guint *width,
                       guint *height,
                       gsize *data_offset,
                       GError **error)
{
  NpyValue values[3] = { { 0 } };
  NpyLexer lx = { 0 };
  guint major, minor;
  gsize prefix, header_len, offset;
  guint64 needed = 0;
  gboolean overflow;
  gboolean ok = FALSE;

  if (size < 10 || !eigml_image_is_npy (data, size))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: magic: expected a .npy file starting with \\x93NUMPY and at least 10 bytes, "
                   "got %" G_GSIZE_FORMAT " bytes", name, size);
      return FALSE;
    }
  major = data[6];
  minor = data[7];
  if ((major != 1 && major != 2 && major != 3) || minor != 0)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: version: expected .npy format 1.0, 2.0 or 3.0, got %u.%u", name, major, minor);
      return FALSE;
    }
  if (major == 1)
    {
      prefix = 10;
      header_len = (gsize) data[8] | (gsize) data[9] << 8;
    }
  else
    {
      if (size < 12)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s: header length: expected 12 bytes of preamble for format %u.0, got %"
                       G_GSIZE_FORMAT, name, major, size);
          return FALSE;
        }
      prefix = 12;
      header_len = (gsize) data[8] | (gsize) data[9] << 8 | (gsize) data[10] << 16 |
                   (gsize) data[11] << 24;
    }
  if (header_len > size - prefix)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: header length: expected at most %" G_GSIZE_FORMAT " (the rest of the file), "
                   "got %" G_GSIZE_FORMAT, name, size - prefix, header_len);
      return FALSE;
    }

  lx.name = name;
  lx.start = (const char *) data + prefix;
  lx.p = lx.start;
  lx.end = lx.start + header_len;
  lx.base = prefix;
  if (!parse_header_dict (&lx, values, error))
    goto out;

  if (values[0].kind != NPY_VALUE_STRING || !g_str_equal (values[0].string, "|u1"))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: descr: expected '|u1' (uint8 pixels), got %s%s%s", name,
                   values[0].kind == NPY_VALUE_STRING ? "'" : "",
                   values[0].kind == NPY_VALUE_STRING ? values[0].string : "a value that is not a string",
                   values[0].kind == NPY_VALUE_STRING ? "'" : "");
      goto out;
    }
  if (values[1].kind != NPY_VALUE_BOOL || values[1].boolean)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: fortran_order: expected False (C order), got %s", name,
                   values[1].kind == NPY_VALUE_BOOL ? "True" : "a value that is not a boolean");
      goto out;
    }
  if (values[2].kind != NPY_VALUE_TUPLE || values[2].n_dims != 3 || values[2].dims[2] != 3 ||
      values[2].dims[0] == 0 || values[2].dims[1] == 0)
    {
      g_autofree char *got = values[2].kind == NPY_VALUE_TUPLE ? shape_to_string (&values[2])
                                                              : g_strdup ("a value that is not a tuple");
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: shape: expected (H, W, 3) with H, W > 0 (RGB), got %s", name, got);
      goto out;
    }

  offset = prefix + header_len;
  overflow = !g_uint64_checked_mul (&needed, values[2].dims[0], values[2].dims[1]) ||
             !g_uint64_checked_mul (&needed, needed, 3);
  if (overflow || needed != size - offset)
    {
      g_autofree char *shape = shape_to_string (&values[2]);
      g_autofree char *bytes = overflow ? g_strdup ("more than 2^64")
                                        : g_strdup_printf ("%" G_GUINT64_FORMAT, needed);
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: data: shape %s needs %s bytes after the header, got %" G_GSIZE_FORMAT
                   " (%s)", name, shape, bytes, size - offset,
                   overflow || size - offset < needed ? "truncated or a lying shape"
                                                      : "trailing bytes or a lying shape");
      goto out;
    }
  if (!eigml_image_check_dimensions (name, values[2].dims[1], values[2].dims[0], error))
    goto out;

  *height = (guint) values[2].dims[0];
  *width = (guint) values[2].dims[1];
  *data_offset = offset;
  ok = TRUE;

out:
  g_free (values[0].string);
  g_free (values[1].string);
  g_free (values[2].string);
  return ok;
}
