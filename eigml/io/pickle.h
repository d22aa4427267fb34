/* pickle.h: a restricted unpickler for PyTorch state dicts
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A pickle is a program for a small stack machine. This one runs only the
 * opcodes a torch.save state dict uses and knows only the globals such a
 * dict names (OrderedDict, the tensor rebuild functions, storage types,
 * torch.Size); every other opcode or global is an error that names it.
 * Nothing is ever looked up or called in a Python sense: each allowed
 * global is a tag that this file interprets itself, so a hostile pickle
 * can at worst produce an error.
 *
 * Values live in an arena owned by the EigmlPickle and die with it, which
 * also makes reference cycles (legal in pickles) harmless.
 */
#pragma once

#include <glib.h>
#include "source-tensor.h"

G_BEGIN_DECLS

/* Largest pickle accepted (a BERT-base state dict's data.pkl is ~20 KiB). */
#define EIGML_PICKLE_MAX_SIZE (64u << 20)

typedef enum
{
  EIGML_PICKLE_NONE,
  EIGML_PICKLE_BOOL,
  EIGML_PICKLE_INT,
  EIGML_PICKLE_BIGINT,   /* LONG1 wider than 64 bits: raw little-endian bytes */
  EIGML_PICKLE_FLOAT,
  EIGML_PICKLE_STRING,
  EIGML_PICKLE_TUPLE,
  EIGML_PICKLE_LIST,
  EIGML_PICKLE_DICT,
  EIGML_PICKLE_GLOBAL,
  EIGML_PICKLE_STORAGE,  /* what the persistent-id callback returned */
  EIGML_PICKLE_TENSOR,   /* a rebuilt tensor: a strided view of a storage */
} EigmlPickleKind;

typedef enum
{
  EIGML_PICKLE_GLOBAL_ORDERED_DICT,
  EIGML_PICKLE_GLOBAL_REBUILD_TENSOR,
  EIGML_PICKLE_GLOBAL_REBUILD_TENSOR_V2,
  EIGML_PICKLE_GLOBAL_REBUILD_PARAMETER,
  EIGML_PICKLE_GLOBAL_REBUILD_PARAMETER_WITH_STATE,
  EIGML_PICKLE_GLOBAL_TORCH_SIZE,
  EIGML_PICKLE_GLOBAL_STORAGE_TYPE,
} EigmlPickleGlobal;

typedef struct _EigmlPickleValue EigmlPickleValue;

/* A rebuilt tensor: a strided view of a storage (kept apart from the value,
 * which stays small for the many ints and strings of a pickle). */
typedef struct
{
  EigmlPickleValue *storage;
  gint64 offset;
  guint n_dims;
  gint64 shape[EIGML_SOURCE_MAX_DIMS];
  gint64 strides[EIGML_SOURCE_MAX_DIMS];
} EigmlPickleTensor;

struct _EigmlPickleValue
{
  EigmlPickleKind kind;
  union
  {
    gboolean boolean;
    gint64 integer;
    double real;
    struct
    {
      char *data;        /* NUL-terminated; UTF-8 for strings */
      gsize len;
    } str;
    struct
    {
      EigmlPickleValue **items;
      guint n_items;
    } tuple;
    GPtrArray *list;
    struct
    {
      GPtrArray *keys;
      GPtrArray *values;
      GHashTable *index;  /* canonical key -> position + 1 */
    } dict;
    struct
    {
      EigmlPickleGlobal id;
      EigmlSourceDType dtype;  /* for storage types */
      const char *qualname;    /* static */
    } global;
    struct
    {
      gpointer data;           /* the callback's, not owned */
      EigmlSourceDType dtype;
    } storage;
    EigmlPickleTensor *tensor;
  };
};

typedef struct _EigmlPickle EigmlPickle;

/* Turns a persistent id (any value) into a value, usually a storage made
 * with eigml_pickle_new_storage(). */
typedef EigmlPickleValue *(*EigmlPicklePersistentLoad) (EigmlPickle *pickle,
                                                        EigmlPickleValue *pid,
                                                        gpointer user_data,
                                                        GError **error);

EigmlPickle *eigml_pickle_new (const char *file,
                               const char *member);
void eigml_pickle_free (EigmlPickle *pickle);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EigmlPickle, eigml_pickle_free)

EigmlPickleValue *eigml_pickle_load (EigmlPickle *pickle,
                                     const guint8 *data,
                                     gsize size,
                                     gsize *consumed,
                                     EigmlPicklePersistentLoad persistent_load,
                                     gpointer user_data,
                                     GError **error);
EigmlPickleValue *eigml_pickle_new_storage (EigmlPickle *pickle,
                                            gpointer data,
                                            EigmlSourceDType dtype);
EigmlPickleValue *eigml_pickle_dict_lookup (EigmlPickleValue *dict,
                                            const char *key);
const char *eigml_pickle_kind_name (EigmlPickleKind kind);

G_END_DECLS
