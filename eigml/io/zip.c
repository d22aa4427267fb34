/* zip.c: a read-only zip directory over mapped bytes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Written here rather than with libzip because a checkpoint's storages must
 * be read in place from the mapped file: libzip copies every member through
 * zip_fread and does not expose where a member's data lies, so loading a
 * multi-GB checkpoint would hold it twice. Only the directory is parsed; no
 * decompression is done (torch.save stores its members uncompressed).
 * Every offset and length is checked against the file before use.
 */
#include "config.h"

#include "zip.h"
#include "eigml-error.h"

#include <string.h>
#include <zlib.h>

#define SIG_LOCAL 0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_EOCD 0x06054b50u
#define SIG_EOCD64 0x06064b50u
#define SIG_EOCD64_LOCATOR 0x07064b50u

#define EOCD_SIZE 22
#define EOCD64_SIZE 56
#define LOCATOR_SIZE 20
#define CENTRAL_SIZE 46
#define LOCAL_SIZE 30

struct _EigmlZipArchive
{
  const guint8 *data;
  gsize size;
  char *file;
  GPtrArray *members;     /* of EigmlZipMember */
  GHashTable *by_name;    /* name -> EigmlZipMember */
};

static guint16
rd16 (const guint8 *p)
{
  return (guint16) (p[0] | (p[1] << 8));
}

static guint32
rd32 (const guint8 *p)
{
  return (guint32) p[0] | ((guint32) p[1] << 8) | ((guint32) p[2] << 16) | ((guint32) p[3] << 24);
}

static guint64
rd64 (const guint8 *p)
{
  return (guint64) rd32 (p) | ((guint64) rd32 (p + 4) << 32);
}

static void
member_free (gpointer data)
{
  EigmlZipMember *member = data;

  g_free (member->name);
  g_free (member);
}

void
eigml_zip_free (EigmlZipArchive *zip)
{
  if (zip == NULL)
    return;
  g_clear_pointer (&zip->by_name, g_hash_table_unref);
  g_clear_pointer (&zip->members, g_ptr_array_unref);
  g_free (zip->file);
  g_free (zip);
}

gboolean
eigml_zip_is_candidate (const guint8 *data,
                        gsize size)
{
  return size >= 4 && data[0] == 'P' && data[1] == 'K'
         && ((data[2] == 3 && data[3] == 4) || (data[2] == 5 && data[3] == 6));
}

/* Finds the end of central directory record: the last signature whose
 * comment ends exactly at the end of the file. */
static gboolean
find_eocd (EigmlZipArchive *zip,
           gsize *eocd,
           GError **error)
{
  gsize lowest;

  if (zip->size < EOCD_SIZE)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: zip end of central directory: expected at least %d bytes, got a file "
                   "of %" G_GSIZE_FORMAT " bytes", zip->file, EOCD_SIZE, zip->size);
      return FALSE;
    }
  lowest = zip->size > EOCD_SIZE + 0xffff ? zip->size - EOCD_SIZE - 0xffff : 0;
  for (gsize pos = zip->size - EOCD_SIZE + 1; pos-- > lowest;)
    {
      if (rd32 (zip->data + pos) == SIG_EOCD
          && pos + EOCD_SIZE + rd16 (zip->data + pos + 20) == zip->size)
        {
          *eocd = pos;
          return TRUE;
        }
    }
  g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
               "%s: zip end of central directory: expected its signature in the last %"
               G_GSIZE_FORMAT " bytes, found none (not a zip archive, or truncated)",
               zip->file, zip->size - lowest);
  return FALSE;
}

/* Reads the directory's location, from the zip64 record where the classic
 * one says so. */
static gboolean
read_directory_location (EigmlZipArchive *zip,
                         gsize eocd,
                         guint64 *n_entries,
                         guint64 *cd_offset,
                         guint64 *cd_size,
                         guint64 *cd_limit,
                         GError **error)
{
  const guint8 *p = zip->data + eocd;
  guint64 loc_offset;
  const guint8 *z;

  *n_entries = rd16 (p + 10);
  *cd_size = rd32 (p + 12);
  *cd_offset = rd32 (p + 16);
  *cd_limit = eocd;

  if (*n_entries != 0xffff && *cd_size != 0xffffffffu && *cd_offset != 0xffffffffu)
    {
      if (rd16 (p + 4) != 0 || rd16 (p + 6) != 0 || rd16 (p + 8) != rd16 (p + 10))
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_UNSUPPORTED,
                       "%s: zip end of central directory: expected a single-disk archive, got "
                       "disk %u of a multi-disk one", zip->file, rd16 (p + 4));
          return FALSE;
        }
      return TRUE;
    }

  if (eocd < LOCATOR_SIZE || rd32 (zip->data + eocd - LOCATOR_SIZE) != SIG_EOCD64_LOCATOR)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: zip64 end of central directory locator: expected at byte %" G_GSIZE_FORMAT
                   " (the classic record holds 0xffff markers), found none",
                   zip->file, eocd >= LOCATOR_SIZE ? eocd - LOCATOR_SIZE : 0);
      return FALSE;
    }
  loc_offset = rd64 (zip->data + eocd - LOCATOR_SIZE + 8);
  if (loc_offset > eocd - LOCATOR_SIZE || eocd - LOCATOR_SIZE - loc_offset < EOCD64_SIZE)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: zip64 end of central directory: expected its offset at most %"
                   G_GSIZE_FORMAT ", got %" G_GUINT64_FORMAT, zip->file,
                   eocd >= LOCATOR_SIZE + EOCD64_SIZE ? eocd - LOCATOR_SIZE - EOCD64_SIZE : 0,
                   loc_offset);
      return FALSE;
    }
  z = zip->data + loc_offset;
  if (rd32 (z) != SIG_EOCD64)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: zip64 end of central directory at byte %" G_GUINT64_FORMAT
                   ": expected signature 0x%08x, got 0x%08x",
                   zip->file, loc_offset, SIG_EOCD64, rd32 (z));
      return FALSE;
    }
  if (rd32 (z + 16) != 0 || rd32 (z + 20) != 0 || rd64 (z + 24) != rd64 (z + 32))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_UNSUPPORTED,
                   "%s: zip64 end of central directory: expected a single-disk archive",
                   zip->file);
      return FALSE;
    }
  *n_entries = rd64 (z + 32);
  *cd_size = rd64 (z + 40);
  *cd_offset = rd64 (z + 48);
  *cd_limit = loc_offset;
  return TRUE;
}

/* Applies the zip64 extended information extra field (id 1): 64-bit values
 * for exactly those fields whose classic value is all ones, in this order. */
static gboolean
apply_zip64_extra (EigmlZipArchive *zip,
                   EigmlZipMember *member,
                   const guint8 *extra,
                   gsize extra_len,
                   gboolean offset_marked,
                   GError **error)
{
  gboolean usize_marked = member->uncompressed_size == 0xffffffffu;
  gboolean csize_marked = member->compressed_size == 0xffffffffu;

  for (gsize pos = 0; pos + 4 <= extra_len;)
    {
      guint16 id = rd16 (extra + pos);
      guint16 len = rd16 (extra + pos + 2);
      const guint8 *field = extra + pos + 4;
      gsize need = 8 * (usize_marked + csize_marked + offset_marked);

      if (pos + 4 + len > extra_len)
        break; /* reported below if the values were needed */
      if (id == 1)
        {
          if (len < need)
            {
              g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                           "%s: zip member '%s': zip64 extra field: expected %" G_GSIZE_FORMAT
                           " bytes, got %u", zip->file, member->name, need, len);
              return FALSE;
            }
          if (usize_marked)
            member->uncompressed_size = rd64 (field), field += 8;
          if (csize_marked)
            member->compressed_size = rd64 (field), field += 8;
          if (offset_marked)
            member->local_offset = rd64 (field);
          return TRUE;
        }
      pos += 4 + (gsize) len;
    }
  if (usize_marked || csize_marked || offset_marked)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: zip member '%s': expected a zip64 extra field for its 0xffffffff sizes "
                   "or offset, found none", zip->file, member->name);
      return FALSE;
    }
  return TRUE;
}

/* Locates the data from the local header, which must agree with the
 * directory, and checks that it lies before the directory. */
static gboolean
resolve_local_header (EigmlZipArchive *zip,
                      EigmlZipMember *member,
                      guint64 cd_offset,
                      GError **error)
{
  const guint8 *p;
  guint64 name_len, extra_len, end;

  if (member->local_offset > cd_offset || cd_offset - member->local_offset < LOCAL_SIZE)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: zip member '%s': local header offset: expected at most %" G_GUINT64_FORMAT
                   " (before the central directory), got %" G_GUINT64_FORMAT, zip->file,
                   member->name, cd_offset >= LOCAL_SIZE ? cd_offset - LOCAL_SIZE : 0,
                   member->local_offset);
      return FALSE;
    }
  p = zip->data + member->local_offset;
  if (rd32 (p) != SIG_LOCAL)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: zip member '%s': local header at byte %" G_GUINT64_FORMAT
                   ": expected signature 0x%08x, got 0x%08x", zip->file, member->name,
                   member->local_offset, SIG_LOCAL, rd32 (p));
      return FALSE;
    }
  name_len = rd16 (p + 26);
  extra_len = rd16 (p + 28);
  member->data_offset = member->local_offset + LOCAL_SIZE + name_len + extra_len;
  if (member->data_offset > cd_offset)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: zip member '%s': local header: name and extra fields end at byte %"
                   G_GUINT64_FORMAT ", past the central directory at %" G_GUINT64_FORMAT,
                   zip->file, member->name, member->data_offset, cd_offset);
      return FALSE;
    }
  if (name_len != strlen (member->name) || memcmp (p + LOCAL_SIZE, member->name, name_len) != 0)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: zip member '%s': local header name: expected the directory's name, got "
                   "a different one", zip->file, member->name);
      return FALSE;
    }
  if (__builtin_add_overflow (member->data_offset, member->compressed_size, &end)
      || end > cd_offset)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: zip member '%s': data [%" G_GUINT64_FORMAT ", +%" G_GUINT64_FORMAT
                   "): expected to end by byte %" G_GUINT64_FORMAT
                   " (the central directory), it runs past it", zip->file, member->name,
                   member->data_offset, member->compressed_size, cd_offset);
      return FALSE;
    }
  return TRUE;
}

static EigmlZipMember *
parse_central_entry (EigmlZipArchive *zip,
                     guint64 *pos,
                     guint64 cd_end,
                     guint64 index,
                     GError **error)
{
  const guint8 *p = zip->data + *pos;
  g_autoptr (GError) local_error = NULL;
  EigmlZipMember *member;
  guint64 name_len, extra_len, comment_len;
  gboolean offset_marked;

  if (cd_end - *pos < CENTRAL_SIZE || rd32 (p) != SIG_CENTRAL)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: zip central directory entry %" G_GUINT64_FORMAT " at byte %"
                   G_GUINT64_FORMAT ": expected signature 0x%08x within the directory, got %s",
                   zip->file, index, *pos, SIG_CENTRAL,
                   cd_end - *pos < CENTRAL_SIZE ? "its end" : "other bytes");
      return NULL;
    }
  name_len = rd16 (p + 28);
  extra_len = rd16 (p + 30);
  comment_len = rd16 (p + 32);
  if (cd_end - *pos - CENTRAL_SIZE < name_len + extra_len + comment_len)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: zip central directory entry %" G_GUINT64_FORMAT ": name, extra and "
                   "comment lengths (%" G_GUINT64_FORMAT ") run past the directory's end",
                   zip->file, index, name_len + extra_len + comment_len);
      return NULL;
    }
  if (name_len == 0 || memchr (p + CENTRAL_SIZE, 0, name_len) != NULL)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: zip central directory entry %" G_GUINT64_FORMAT
                   ": name: expected a non-empty name without NUL bytes", zip->file, index);
      return NULL;
    }
  if (rd16 (p + 34) != 0 && rd16 (p + 34) != 0xffff)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_UNSUPPORTED,
                   "%s: zip central directory entry %" G_GUINT64_FORMAT
                   ": expected disk 0, got disk %u", zip->file, index, rd16 (p + 34));
      return NULL;
    }

  member = g_new0 (EigmlZipMember, 1);
  member->name = g_strndup ((const char *) p + CENTRAL_SIZE, name_len);
  member->flags = rd16 (p + 8);
  member->method = rd16 (p + 10);
  member->crc32 = rd32 (p + 16);
  member->compressed_size = rd32 (p + 20);
  member->uncompressed_size = rd32 (p + 24);
  member->local_offset = rd32 (p + 42);
  offset_marked = member->local_offset == 0xffffffffu;
  if (!apply_zip64_extra (zip, member, p + CENTRAL_SIZE + name_len, extra_len, offset_marked,
                          error))
    {
      member_free (member);
      return NULL;
    }
  *pos += CENTRAL_SIZE + name_len + extra_len + comment_len;
  return member;
}

static int
compare_by_data_offset (gconstpointer a,
                        gconstpointer b)
{
  const EigmlZipMember *ma = *(EigmlZipMember **) a;
  const EigmlZipMember *mb = *(EigmlZipMember **) b;

  return ma->data_offset < mb->data_offset ? -1 : ma->data_offset > mb->data_offset;
}

/* Members may not share bytes (the classic zip bomb overlaps them). */
static gboolean
check_no_overlap (EigmlZipArchive *zip,
                  GError **error)
{
  g_autoptr (GPtrArray) sorted = g_ptr_array_sized_new (zip->members->len);

  /* not g_ptr_array_copy (), whose copy would free the members */
  for (guint i = 0; i < zip->members->len; i++)
    g_ptr_array_add (sorted, zip->members->pdata[i]);
  g_ptr_array_sort (sorted, compare_by_data_offset);
  for (guint i = 1; i < sorted->len; i++)
    {
      EigmlZipMember *prev = sorted->pdata[i - 1], *cur = sorted->pdata[i];
      /* a member's local header lies before its data: compare with it too */
      if (prev->data_offset + prev->compressed_size > cur->local_offset)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s: zip member '%s' (bytes %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT
                       "): expected no overlap with member '%s' starting at byte %"
                       G_GUINT64_FORMAT, zip->file, prev->name, prev->data_offset,
                       prev->data_offset + prev->compressed_size, cur->name, cur->local_offset);
          return FALSE;
        }
    }
  return TRUE;
}

/**
 * eigml_zip_open:
 * @data: the whole file (must outlive the archive)
 * @size: its size
 * @file: the file's display name, for messages
 * @error: return location for a #GError
 *
 * Parses and checks the whole directory: every member's local header is
 * read and its data located inside the file, before the directory.
 */
EigmlZipArchive *
eigml_zip_open (const guint8 *data,
                gsize size,
                const char *file,
                GError **error)
{
  g_autoptr (EigmlZipArchive) zip = g_new0 (EigmlZipArchive, 1);
  guint64 n_entries, cd_offset, cd_size, cd_limit, pos;
  gsize eocd;

  zip->data = data;
  zip->size = size;
  zip->file = g_strdup (file);
  zip->members = g_ptr_array_new_with_free_func (member_free);
  zip->by_name = g_hash_table_new (g_str_hash, g_str_equal);

  if (!find_eocd (zip, &eocd, error)
      || !read_directory_location (zip, eocd, &n_entries, &cd_offset, &cd_size, &cd_limit, error))
    return NULL;
  if (cd_offset > cd_limit || cd_size > cd_limit - cd_offset)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: zip central directory [%" G_GUINT64_FORMAT ", +%" G_GUINT64_FORMAT
                   "): expected to end by byte %" G_GUINT64_FORMAT " (its end record)",
                   zip->file, cd_offset, cd_size, cd_limit);
      return NULL;
    }
  if (n_entries > cd_size / CENTRAL_SIZE)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: zip entry count: expected at most %" G_GUINT64_FORMAT
                   " for a directory of %" G_GUINT64_FORMAT " bytes, got %" G_GUINT64_FORMAT,
                   zip->file, cd_size / CENTRAL_SIZE, cd_size, n_entries);
      return NULL;
    }

  pos = cd_offset;
  for (guint64 i = 0; i < n_entries; i++)
    {
      EigmlZipMember *member = parse_central_entry (zip, &pos, cd_offset + cd_size, i, error);
      if (member == NULL)
        return NULL;
      g_ptr_array_add (zip->members, member);
      if (!resolve_local_header (zip, member, cd_offset, error))
        return NULL;
      if (g_hash_table_contains (zip->by_name, member->name))
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s: zip member '%s': expected unique names, got it twice",
                       zip->file, member->name);
          return NULL;
        }
      g_hash_table_insert (zip->by_name, member->name, member);
    }
  if (!check_no_overlap (zip, error))
    return NULL;
  return g_steal_pointer (&zip);
}

guint
eigml_zip_get_n_members (EigmlZipArchive *zip)
{
  return zip->members->len;
}

const EigmlZipMember *
eigml_zip_get_member (EigmlZipArchive *zip,
                      guint index)
{
  g_return_val_if_fail (index < zip->members->len, NULL);
  return zip->members->pdata[index];
}

const EigmlZipMember *
eigml_zip_lookup (EigmlZipArchive *zip,
                  const char *name)
{
  return g_hash_table_lookup (zip->by_name, name);
}

/* CRC-32 of large members in 4 MiB pieces on all cores, joined with
 * crc32_combine (): a BERT-base checkpoint's 400 MB would otherwise cost
 * about as much as converting them. */
static guint32
crc32_of (const guint8 *data,
          gsize size)
{
  const gsize piece = 4u << 20;
  gsize n = (size + piece - 1) / piece;
  g_autofree guint32 *crcs = NULL;
  guint32 crc;

  if (n < 4)
    return (guint32) crc32_z (0, data, size);
  crcs = g_new (guint32, n);
#ifdef _OPENMP
#pragma omp parallel for schedule(static)
#endif
  for (gsize i = 0; i < n; i++)
    crcs[i] = (guint32) crc32_z (0, data + i * piece, MIN (piece, size - i * piece));
  crc = crcs[0];
  for (gsize i = 1; i < n; i++)
    crc = (guint32) crc32_combine (crc, crcs[i], (z_off_t) MIN (piece, size - i * piece));
  return crc;
}

/**
 * eigml_zip_member_data:
 * @zip: an archive
 * @member: one of its members
 * @check_crc: whether to verify the member's CRC-32
 * @data: (out): the member's bytes, inside the archive's data
 * @size: (out): their number
 * @error: return location for a #GError
 *
 * Only stored, unencrypted members can be read: torch.save writes nothing
 * else, and reading in place is what keeps a checkpoint mapped only once.
 */
gboolean
eigml_zip_member_data (EigmlZipArchive *zip,
                       const EigmlZipMember *member,
                       gboolean check_crc,
                       const guint8 **data,
                       gsize *size,
                       GError **error)
{
  if (member->flags & 1)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_UNSUPPORTED,
                   "%s: zip member '%s': expected an unencrypted member, got an encrypted one",
                   zip->file, member->name);
      return FALSE;
    }
  if (member->method != 0)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_UNSUPPORTED,
                   "%s: zip member '%s': compression method: expected 0 (stored, as torch.save "
                   "writes), got %u; re-save the checkpoint with torch.save",
                   zip->file, member->name, member->method);
      return FALSE;
    }
  if (member->compressed_size != member->uncompressed_size)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: zip member '%s': a stored member's sizes must agree, got %" G_GUINT64_FORMAT
                   " stored and %" G_GUINT64_FORMAT " uncompressed", zip->file, member->name,
                   member->compressed_size, member->uncompressed_size);
      return FALSE;
    }
  *data = zip->data + member->data_offset;
  *size = (gsize) member->compressed_size;
  if (check_crc)
    {
      guint32 crc = crc32_of (*data, *size);
      if (crc != member->crc32)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s: zip member '%s': CRC-32: expected 0x%08x, got 0x%08x (the data is "
                       "corrupt)", zip->file, member->name, member->crc32, crc);
          return FALSE;
        }
    }
  return TRUE;
}
