/* torch-private.h: from an unpickled checkpoint to tensors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * torch-state.c turns persistent ids into storages, picks the state dict
 * out of the unpickled object and converts its tensors; torch.c finds the
 * pickle and the storages' bytes in the two file layouts (zip, legacy).
 */
#pragma once

#include "torch.h"
#include "pickle.h"

G_BEGIN_DECLS

typedef struct _EigmlTorchStorage EigmlTorchStorage;

struct _EigmlTorchStorage
{
  char *key;
  EigmlSourceDType dtype;
  gint64 numel;
  gboolean resolved;
  const guint8 *data;          /* set once resolved */
  gsize data_size;
  EigmlTorchStorage *root;     /* legacy views: the storage this one slices */
  gint64 view_offset;          /* in elements of root */
};

typedef struct
{
  const char *file;
  const char *member;          /* the pickle's name inside the file, for messages */
  GHashTable *storages;        /* key -> EigmlTorchStorage */
  gboolean legacy;             /* persistent ids carry view metadata */
  EigmlTorchStorageResolver resolve;  /* NULL: data set by the caller (legacy) */
  gpointer resolve_data;
} EigmlTorchLoader;

void eigml_torch_loader_init (EigmlTorchLoader *loader,
                              const char *file,
                              const char *member,
                              gboolean legacy,
                              EigmlTorchStorageResolver resolve,
                              gpointer resolve_data);
void eigml_torch_loader_clear (EigmlTorchLoader *loader);
EigmlPickleValue *eigml_torch_persistent_load (EigmlPickle *pickle,
                                               EigmlPickleValue *pid,
                                               gpointer user_data,
                                               GError **error);
GHashTable *eigml_torch_collect_tensors (EigmlTorchLoader *loader,
                                         EigmlPickleValue *root,
                                         gsize output_cap,
                                         GError **error);

G_END_DECLS
