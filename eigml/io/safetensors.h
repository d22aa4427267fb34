/* safetensors.h: the safetensors format, read and written
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A safetensors file is an 8-byte little-endian header length N, N bytes of
 * JSON (an object mapping tensor names to {dtype, shape, data_offsets}, plus
 * an optional "__metadata__" object of strings), then the data section;
 * data_offsets are [begin, end) relative to the data section.
 */
#pragma once

#include <glib.h>
#include "source-tensor.h"

G_BEGIN_DECLS

/* Largest JSON header accepted, as in the reference implementation. */
#define EIGML_SAFETENSORS_MAX_HEADER 100000000

typedef struct
{
  char *name;
  EigmlSourceDType dtype;
  guint n_dims;
  gint64 shape[EIGML_SOURCE_MAX_DIMS];
  guint64 begin; /* relative to the data section */
  guint64 end;
} EigmlSafetensorsEntry;

typedef struct
{
  GPtrArray *entries;    /* of EigmlSafetensorsEntry, in file order */
  GHashTable *metadata;  /* string -> string; empty when the file has none */
  gsize data_start;      /* 8 + header length */
} EigmlSafetensorsHeader;

void eigml_safetensors_header_free (EigmlSafetensorsHeader *header);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EigmlSafetensorsHeader, eigml_safetensors_header_free)

EigmlSafetensorsHeader *eigml_safetensors_parse_header (const guint8 *data,
                                                        gsize size,
                                                        const char *file,
                                                        GError **error);
gboolean eigml_safetensors_is_candidate (const guint8 *data,
                                         gsize size);
GHashTable *eigml_safetensors_load_data (const guint8 *data,
                                         gsize size,
                                         const char *file,
                                         GError **error);
GHashTable *eigml_safetensors_load (const char *path,
                                    GError **error);
gboolean eigml_safetensors_save (const char *path,
                                 GHashTable *tensors,
                                 GError **error);

G_END_DECLS
