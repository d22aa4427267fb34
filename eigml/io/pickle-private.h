/* pickle-private.h: the unpickler's machine, shared by its two files
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * pickle.c runs the opcodes; pickle-objects.c holds what they build: the
 * allow-list of globals, what calling one (REDUCE) or BUILD means, dicts.
 */
#pragma once

#include "pickle.h"

G_BEGIN_DECLS

typedef struct
{
  EigmlPickle *pickle;
  const guint8 *start, *p, *end;
  gsize op_offset;
  GPtrArray *stack;
  GArray *marks;       /* stack lengths at each MARK */
  GHashTable *memo;    /* index -> value */
  EigmlPicklePersistentLoad persistent_load;
  gpointer user_data;
} EigmlPickleMachine;

/* A format starting with '!' makes an EIGML_ERROR_UNSUPPORTED refusal;
 * otherwise the error is EIGML_ERROR_FORMAT. */
G_GNUC_PRINTF (3, 4)
void eigml_pickle_vm_error (EigmlPickleMachine *vm,
                            GError **error,
                            const char *format,
                            ...);
EigmlPickleValue *eigml_pickle_vm_new (EigmlPickleMachine *vm,
                                       EigmlPickleKind kind,
                                       GError **error);
EigmlPickleValue *eigml_pickle_vm_new_dict (EigmlPickleMachine *vm,
                                            GError **error);
const char *eigml_pickle_opcode_name (guint8 op);
gboolean eigml_pickle_vm_charge (EigmlPickleMachine *vm,
                                 gsize bytes,
                                 GError **error);
gboolean eigml_pickle_vm_dict_set (EigmlPickleMachine *vm,
                                   EigmlPickleValue *dict,
                                   EigmlPickleValue *key,
                                   EigmlPickleValue *value,
                                   GError **error);

EigmlPickleValue *eigml_pickle_vm_resolve_global (EigmlPickleMachine *vm,
                                                  const char *module,
                                                  gsize module_len,
                                                  const char *name,
                                                  gsize name_len,
                                                  GError **error);
EigmlPickleValue *eigml_pickle_vm_reduce (EigmlPickleMachine *vm,
                                          EigmlPickleValue *callable,
                                          EigmlPickleValue *args,
                                          GError **error);
gboolean eigml_pickle_vm_build (EigmlPickleMachine *vm,
                                EigmlPickleValue *object,
                                EigmlPickleValue *state,
                                GError **error);

G_END_DECLS
