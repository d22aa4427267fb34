/* dataset-lines.c: JSON lines files read once to index them, then one line
 * at a time
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A scan reads the file in 1 MiB blocks and hands each line to the reader
 * where it lies in the block (a line across two blocks is copied once), so
 * loading holds one block and one line, whatever the file's size. Reading
 * an example later is one pread(2) of its byte range: no file position is
 * shared, so several threads can read examples at once.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "eigml-error.h"
#include "dataset-private.h"

#define SCAN_BLOCK (1u << 20)
#define CANCEL_EVERY 4096

gboolean
eigml_line_file_open (EigmlLineFile *file,
                      const char *path,
                      GError **error)
{
  int saved;

  file->fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (file->fd < 0)
    {
      saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "%s: %s", path,
                   g_strerror (saved));
      return FALSE;
    }
  file->path = g_strdup (path);
  file->name = g_path_get_basename (path);
  return TRUE;
}

void
eigml_line_file_close (EigmlLineFile *file)
{
  if (file->fd >= 0)
    g_close (file->fd, NULL);
  file->fd = -1;
  g_clear_pointer (&file->path, g_free);
  g_clear_pointer (&file->name, g_free);
}

static gboolean
read_error (EigmlLineFile *file,
            GError **error)
{
  int saved = errno;

  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s", file->path,
               g_strerror (saved));
  return FALSE;
}

static gboolean
is_blank (const char *text,
          gsize length)
{
  for (gsize i = 0; i < length; i++)
    if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r')
      return FALSE;
  return TRUE;
}

typedef struct
{
  EigmlLineFile *file;
  EigmlDatasetCore *core;
  EigmlLineFunc func;
  gpointer user_data;
  GByteArray *pending;      /* the start of a line that crosses blocks */
  guint64 line_bytes;       /* bytes of the current line so far */
  guint64 line_offset;      /* where the current line starts */
  guint32 line;
} Scan;

/* One whole line (without its '\n'); @text is NULL when it was too long to
 * keep. */
static gboolean
scan_line (Scan *s,
           const char *text,
           gsize length,
           GError **error)
{
  EigmlLineEntry entry = { s->line_offset, 0, s->line };
  gboolean ok = TRUE;

  if (text == NULL)
    {
      EigmlJsonLoc loc = { s->file->name, s->line, NULL };
      GError *reason = NULL;

      eigml_dataset_set_error (&reason, &loc, "line of %" G_GUINT64_FORMAT " bytes (at most %u "
                               "are read)", s->line_bytes, EIGML_DATASET_MAX_LINE);
      if (s->core != NULL)
        ok = eigml_dataset_core_reject (s->core, reason, error);
      else
        {
          g_propagate_error (error, reason);
          ok = FALSE;
        }
    }
  else
    {
      if (length > 0 && text[length - 1] == '\r')
        length--;
      entry.length = (guint32) length;
      if (!is_blank (text, length))
        ok = s->func (text, length, &entry, s->user_data, error);
    }
  s->line_offset += s->line_bytes + 1;
  s->line_bytes = 0;
  s->line++;
  g_byte_array_set_size (s->pending, 0);
  return ok;
}

/* Appends the part of a line that ends a block. */
static void
scan_keep (Scan *s,
           const char *text,
           gsize length)
{
  if (s->line_bytes + length <= EIGML_DATASET_MAX_LINE)
    g_byte_array_append (s->pending, (const guint8 *) text, (guint) length);
  else
    g_byte_array_set_size (s->pending, 0);
  s->line_bytes += length;
}

/* Calls @func for each non-blank line of @file (lines end with "\n" or
 * "\r\n"; the last one may lack it). A line longer than
 * EIGML_DATASET_MAX_LINE is a bad record of @core (an error when @core is
 * NULL). */
gboolean
eigml_line_file_scan (EigmlLineFile *file,
                      EigmlDatasetCore *core,
                      EigmlLineFunc func,
                      gpointer user_data,
                      GCancellable *cancellable,
                      GError **error)
{
  g_autofree char *block = g_malloc (SCAN_BLOCK);
  g_autoptr (GByteArray) pending = g_byte_array_new ();
  Scan s = { file, core, func, user_data, pending, 0, 0, 1 };
  guint64 position = 0;

  for (;;)
    {
      gssize n = pread (file->fd, block, SCAN_BLOCK, (off_t) position);
      const char *p = block, *end;

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return read_error (file, error);
      if (n == 0)
        break;
      position += (guint64) n;
      end = block + n;
      while (p < end)
        {
          const char *nl = memchr (p, '\n', (gsize) (end - p));

          if (nl == NULL)
            {
              scan_keep (&s, p, (gsize) (end - p));
              break;
            }
          if (s.line_bytes == 0)
            {
              s.line_bytes = (guint64) (nl - p);
              if (!scan_line (&s, s.line_bytes <= EIGML_DATASET_MAX_LINE ? p : NULL,
                              (gsize) (nl - p), error))
                return FALSE;
            }
          else
            {
              gboolean kept;

              scan_keep (&s, p, (gsize) (nl - p));
              kept = s.line_bytes <= EIGML_DATASET_MAX_LINE;
              if (!scan_line (&s, kept ? (const char *) pending->data : NULL, pending->len, error))
                return FALSE;
            }
          p = nl + 1;
          if (s.line % CANCEL_EVERY == 0 &&
              g_cancellable_set_error_if_cancelled (cancellable, error))
            return FALSE;
        }
    }
  if (s.line_bytes > 0)
    return scan_line (&s, s.line_bytes <= EIGML_DATASET_MAX_LINE ? (const char *) pending->data
                                                                 : NULL,
                      pending->len, error);
  return !g_cancellable_set_error_if_cancelled (cancellable, error);
}

/* The text of one indexed line, NUL-terminated. */
char *
eigml_line_file_read (EigmlLineFile *file,
                      const EigmlLineEntry *entry,
                      GError **error)
{
  g_autofree char *text = g_malloc ((gsize) entry->length + 1);
  gsize done = 0;

  while (done < entry->length)
    {
      gssize n = pread (file->fd, text + done, entry->length - done,
                        (off_t) (entry->offset + done));

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          read_error (file, error);
          return NULL;
        }
      if (n == 0)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s:%u: the file is shorter than when the dataset was loaded",
                       file->name, entry->line);
          return NULL;
        }
      done += (gsize) n;
    }
  text[entry->length] = '\0';
  return g_steal_pointer (&text);
}

/* The position in @index (EigmlLineEntry, by increasing line) of @line,
 * or -1. */
gssize
eigml_line_index_find (GArray *index,
                       guint line)
{
  gsize lo = 0, hi = index->len;

  while (lo < hi)
    {
      gsize mid = lo + (hi - lo) / 2;
      guint32 at = g_array_index (index, EigmlLineEntry, mid).line;

      if (at == line)
        return (gssize) mid;
      if (at < line)
        lo = mid + 1;
      else
        hi = mid;
    }
  return -1;
}
