/* torch.h: PyTorch checkpoints (torch.save), read without Python
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>
#include "source-tensor.h"

G_BEGIN_DECLS

/* How many times the file's size the converted tensors may take in all
 * (f16 doubles, shared storages repeat): beyond it the file is refused. */
#define EIGML_TORCH_OUTPUT_FACTOR 8

/* Finds the bytes of storage @key (@numel elements of @dtype). */
typedef gboolean (*EigmlTorchStorageResolver) (const char *key,
                                               EigmlSourceDType dtype,
                                               gint64 numel,
                                               const guint8 **data,
                                               gsize *size,
                                               gpointer user_data,
                                               GError **error);

gboolean eigml_torch_is_candidate (const guint8 *data,
                                   gsize size);
GHashTable *eigml_torch_load_data (const guint8 *data,
                                   gsize size,
                                   const char *file,
                                   GError **error);
GHashTable *eigml_torch_load (const char *path,
                              GError **error);
GHashTable *eigml_torch_load_pickle (const guint8 *pickle,
                                     gsize size,
                                     const char *file,
                                     const char *member,
                                     EigmlTorchStorageResolver resolve,
                                     gpointer user_data,
                                     gsize output_cap,
                                     GError **error);

G_END_DECLS
