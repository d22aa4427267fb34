/* zip.h: a read-only zip directory over mapped bytes
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Enough of the zip format (APPNOTE 6.3) for torch.save archives: the end of
 * central directory record (and its zip64 form), the central directory, the
 * local headers, and the data of stored (uncompressed) members, which is
 * returned as a pointer into the caller's bytes, never copied.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  char *name;
  guint16 flags;
  guint16 method;          /* 0 stored, 8 deflate, ... */
  guint32 crc32;
  guint64 compressed_size;
  guint64 uncompressed_size;
  guint64 local_offset;    /* of the local header */
  guint64 data_offset;     /* of the member's data */
} EigmlZipMember;

typedef struct _EigmlZipArchive EigmlZipArchive;

EigmlZipArchive *eigml_zip_open (const guint8 *data,
                                 gsize size,
                                 const char *file,
                                 GError **error);
void eigml_zip_free (EigmlZipArchive *zip);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EigmlZipArchive, eigml_zip_free)

guint eigml_zip_get_n_members (EigmlZipArchive *zip);
const EigmlZipMember *eigml_zip_get_member (EigmlZipArchive *zip,
                                            guint index);
const EigmlZipMember *eigml_zip_lookup (EigmlZipArchive *zip,
                                        const char *name);
gboolean eigml_zip_member_data (EigmlZipArchive *zip,
                                const EigmlZipMember *member,
                                gboolean check_crc,
                                const guint8 **data,
                                gsize *size,
                                GError **error);
gboolean eigml_zip_is_candidate (const guint8 *data,
                                 gsize size);

G_END_DECLS
