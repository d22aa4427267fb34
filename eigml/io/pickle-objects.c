/* pickle-objects.c: what the unpickler's opcodes build: dicts, globals, calls
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * GLOBAL and STACK_GLOBAL name a Python object; REDUCE calls it. Here the
 * name is only compared against a fixed list, and "calling" one of those
 * entries is a few lines of C that build a value: nothing is imported or
 * executed, and any other name is refused before the pickle goes on.
 */
#include "config.h"

#include "pickle-private.h"
#include "eigml-error.h"

#include <string.h>

#define MAX_KEY_DEPTH 4

const char *
eigml_pickle_opcode_name (guint8 op)
{
  switch (op)
    {
    case 0x80: return "PROTO";
    case 0x95: return "FRAME";
    case '.': return "STOP";
    case '(': return "MARK";
    case '}': return "EMPTY_DICT";
    case ']': return "EMPTY_LIST";
    case ')': return "EMPTY_TUPLE";
    case 'X': return "BINUNICODE";
    case 0x8c: return "SHORT_BINUNICODE";
    case 'J': return "BININT";
    case 'K': return "BININT1";
    case 'M': return "BININT2";
    case 0x8a: return "LONG1";
    case 'G': return "BINFLOAT";
    case 0x88: return "NEWTRUE";
    case 0x89: return "NEWFALSE";
    case 'N': return "NONE";
    case 't': return "TUPLE";
    case 0x85: return "TUPLE1";
    case 0x86: return "TUPLE2";
    case 0x87: return "TUPLE3";
    case 'l': return "LIST";
    case 'd': return "DICT";
    case 'a': return "APPEND";
    case 'e': return "APPENDS";
    case 's': return "SETITEM";
    case 'u': return "SETITEMS";
    case 'q': return "BINPUT";
    case 'r': return "LONG_BINPUT";
    case 'h': return "BINGET";
    case 'j': return "LONG_BINGET";
    case 0x94: return "MEMOIZE";
    case 'c': return "GLOBAL";
    case 0x93: return "STACK_GLOBAL";
    case 'R': return "REDUCE";
    case 'b': return "BUILD";
    case 'Q': return "BINPERSID";
    case '0': return "POP";
    case '1': return "POP_MARK";
    /* refused ones, named so that the error says what was tried */
    case 'P': return "PERSID";
    case 'i': return "INST";
    case 'o': return "OBJ";
    case 0x81: return "NEWOBJ";
    case 0x92: return "NEWOBJ_EX";
    case 0x82: return "EXT1";
    case 0x83: return "EXT2";
    case 0x84: return "EXT4";
    case 'I': return "INT";
    case 'L': return "LONG";
    case 'F': return "FLOAT";
    case 'S': return "STRING";
    case 'T': return "BINSTRING";
    case 'U': return "SHORT_BINSTRING";
    case 'V': return "UNICODE";
    case 'B': return "BINBYTES";
    case 'C': return "SHORT_BINBYTES";
    case 0x8e: return "BINBYTES8";
    case 0x8d: return "BINUNICODE8";
    case 0x8b: return "LONG4";
    case 'p': return "PUT";
    case 'g': return "GET";
    case '2': return "DUP";
    case 0x8f: return "EMPTY_SET";
    case 0x90: return "ADDITEMS";
    case 0x91: return "FROZENSET";
    case 0x96: return "BYTEARRAY8";
    case 0x97: return "NEXT_BUFFER";
    case 0x98: return "READONLY_BUFFER";
    default: return "unknown";
    }
}

typedef struct
{
  const char *module;
  const char *name;
  EigmlPickleGlobal id;
  EigmlSourceDType dtype;
  const char *qualname;
} AllowedGlobal;

/* The whole allow-list; docs/weights.md repeats it. */
static const AllowedGlobal allowed_globals[] = {
  { "collections", "OrderedDict", EIGML_PICKLE_GLOBAL_ORDERED_DICT, 0, "collections.OrderedDict" },
  { "torch._utils", "_rebuild_tensor", EIGML_PICKLE_GLOBAL_REBUILD_TENSOR, 0,
    "torch._utils._rebuild_tensor" },
  { "torch._utils", "_rebuild_tensor_v2", EIGML_PICKLE_GLOBAL_REBUILD_TENSOR_V2, 0,
    "torch._utils._rebuild_tensor_v2" },
  { "torch._utils", "_rebuild_parameter", EIGML_PICKLE_GLOBAL_REBUILD_PARAMETER, 0,
    "torch._utils._rebuild_parameter" },
  { "torch._utils", "_rebuild_parameter_with_state",
    EIGML_PICKLE_GLOBAL_REBUILD_PARAMETER_WITH_STATE, 0,
    "torch._utils._rebuild_parameter_with_state" },
  { "torch", "Size", EIGML_PICKLE_GLOBAL_TORCH_SIZE, 0, "torch.Size" },
  { "torch", "FloatStorage", EIGML_PICKLE_GLOBAL_STORAGE_TYPE, EIGML_SOURCE_F32,
    "torch.FloatStorage" },
  { "torch", "HalfStorage", EIGML_PICKLE_GLOBAL_STORAGE_TYPE, EIGML_SOURCE_F16,
    "torch.HalfStorage" },
  { "torch", "BFloat16Storage", EIGML_PICKLE_GLOBAL_STORAGE_TYPE, EIGML_SOURCE_BF16,
    "torch.BFloat16Storage" },
  { "torch", "DoubleStorage", EIGML_PICKLE_GLOBAL_STORAGE_TYPE, EIGML_SOURCE_F64,
    "torch.DoubleStorage" },
  { "torch", "LongStorage", EIGML_PICKLE_GLOBAL_STORAGE_TYPE, EIGML_SOURCE_I64,
    "torch.LongStorage" },
  { "torch", "IntStorage", EIGML_PICKLE_GLOBAL_STORAGE_TYPE, EIGML_SOURCE_I32,
    "torch.IntStorage" },
  { "torch", "ShortStorage", EIGML_PICKLE_GLOBAL_STORAGE_TYPE, EIGML_SOURCE_I16,
    "torch.ShortStorage" },
  { "torch", "CharStorage", EIGML_PICKLE_GLOBAL_STORAGE_TYPE, EIGML_SOURCE_I8,
    "torch.CharStorage" },
  { "torch", "ByteStorage", EIGML_PICKLE_GLOBAL_STORAGE_TYPE, EIGML_SOURCE_U8,
    "torch.ByteStorage" },
  { "torch", "BoolStorage", EIGML_PICKLE_GLOBAL_STORAGE_TYPE, EIGML_SOURCE_BOOL,
    "torch.BoolStorage" },
};

EigmlPickleValue *
eigml_pickle_vm_resolve_global (EigmlPickleMachine *vm,
                                const char *module,
                                gsize module_len,
                                const char *name,
                                gsize name_len,
                                GError **error)
{
  g_autofree char *m = NULL, *n = NULL;
  g_autoptr (GString) allowed = NULL;
  EigmlPickleValue *v;

  for (guint i = 0; i < G_N_ELEMENTS (allowed_globals); i++)
    {
      const AllowedGlobal *g = &allowed_globals[i];
      if (strlen (g->module) == module_len && memcmp (g->module, module, module_len) == 0
          && strlen (g->name) == name_len && memcmp (g->name, name, name_len) == 0)
        {
          if ((v = eigml_pickle_vm_new (vm, EIGML_PICKLE_GLOBAL, error)) == NULL)
            return NULL;
          v->global.id = g->id;
          v->global.dtype = g->dtype;
          v->global.qualname = g->qualname;
          return v;
        }
    }
  /* refuse, naming the global printably and listing what is allowed */
  {
    g_autofree char *mc = g_strndup (module, module_len), *nc = g_strndup (name, name_len);
    m = g_strescape (mc, NULL);
    n = g_strescape (nc, NULL);
  }
  allowed = g_string_new (NULL);
  for (guint i = 0; i < G_N_ELEMENTS (allowed_globals); i++)
    if (allowed_globals[i].id != EIGML_PICKLE_GLOBAL_STORAGE_TYPE)
      g_string_append_printf (allowed, "%s, ", allowed_globals[i].qualname);
  g_string_append (allowed,
                   "torch.<Float|Half|BFloat16|Double|Long|Int|Short|Char|Byte|Bool>Storage");
  eigml_pickle_vm_error (vm, error,
                         "!%s: global '%s.%s' is not allowed; a state dict needs only %s",
                         eigml_pickle_opcode_name (vm->start[vm->op_offset]), m, n, allowed->str);
  return NULL;
}

static gboolean
read_int_tuple (EigmlPickleMachine *vm,
                const char *callee,
                const char *what,
                EigmlPickleValue *value,
                gint64 *out,
                guint *n_out,
                GError **error)
{
  if (value->kind != EIGML_PICKLE_TUPLE)
    {
      eigml_pickle_vm_error (vm, error, "%s: %s: expected a tuple of ints, got %s", callee, what,
                             eigml_pickle_kind_name (value->kind));
      return FALSE;
    }
  if (value->tuple.n_items > EIGML_SOURCE_MAX_DIMS)
    {
      eigml_pickle_vm_error (vm, error, "%s: %s: expected at most %d dimensions, got %u", callee,
                             what, EIGML_SOURCE_MAX_DIMS, value->tuple.n_items);
      return FALSE;
    }
  for (guint i = 0; i < value->tuple.n_items; i++)
    {
      EigmlPickleValue *item = value->tuple.items[i];
      if (item->kind != EIGML_PICKLE_INT)
        {
          eigml_pickle_vm_error (vm, error, "%s: %s[%u]: expected an int, got %s", callee, what, i,
                                 eigml_pickle_kind_name (item->kind));
          return FALSE;
        }
      out[i] = item->integer;
    }
  *n_out = value->tuple.n_items;
  return TRUE;
}

/* _rebuild_tensor(storage, storage_offset, size, stride, ...): a view. */
static EigmlPickleValue *
rebuild_tensor (EigmlPickleMachine *vm,
                const char *callee,
                EigmlPickleValue **args,
                GError **error)
{
  EigmlPickleValue *tensor;
  guint n_strides;

  if (args[0]->kind != EIGML_PICKLE_STORAGE)
    {
      eigml_pickle_vm_error (vm, error, "%s: argument 1 (storage): expected a storage from a "
                             "persistent id, got %s", callee,
                             eigml_pickle_kind_name (args[0]->kind));
      return NULL;
    }
  if (args[1]->kind != EIGML_PICKLE_INT)
    {
      eigml_pickle_vm_error (vm, error, "%s: argument 2 (storage_offset): expected an int, got %s",
                             callee, eigml_pickle_kind_name (args[1]->kind));
      return NULL;
    }
  if (!eigml_pickle_vm_charge (vm, sizeof (EigmlPickleTensor), error)
      || (tensor = eigml_pickle_vm_new (vm, EIGML_PICKLE_TENSOR, error)) == NULL)
    return NULL;
  tensor->tensor = g_new0 (EigmlPickleTensor, 1);
  tensor->tensor->storage = args[0];
  tensor->tensor->offset = args[1]->integer;
  if (!read_int_tuple (vm, callee, "argument 3 (size)", args[2], tensor->tensor->shape,
                       &tensor->tensor->n_dims, error)
      || !read_int_tuple (vm, callee, "argument 4 (stride)", args[3], tensor->tensor->strides,
                          &n_strides, error))
    return NULL;
  if (n_strides != tensor->tensor->n_dims)
    {
      eigml_pickle_vm_error (vm, error, "%s: stride: expected %u values (one per dimension of "
                             "size), got %u", callee, tensor->tensor->n_dims, n_strides);
      return NULL;
    }
  return tensor;
}

/**
 * eigml_pickle_vm_reduce:
 * @vm: the machine
 * @callable: what REDUCE found below the arguments
 * @args: the arguments
 * @error: return location for a #GError
 *
 * "Calls" one of the allowed globals: builds the value it would return.
 */
EigmlPickleValue *
eigml_pickle_vm_reduce (EigmlPickleMachine *vm,
                        EigmlPickleValue *callable,
                        EigmlPickleValue *args,
                        GError **error)
{
  const char *callee;
  EigmlPickleValue **a;
  guint n;

  if (callable->kind != EIGML_PICKLE_GLOBAL)
    {
      eigml_pickle_vm_error (vm, error, "!REDUCE: expected an allowed global to call, got %s",
                             eigml_pickle_kind_name (callable->kind));
      return NULL;
    }
  callee = callable->global.qualname;
  if (args->kind != EIGML_PICKLE_TUPLE)
    {
      eigml_pickle_vm_error (vm, error, "REDUCE: %s: expected a tuple of arguments, got %s",
                             callee, eigml_pickle_kind_name (args->kind));
      return NULL;
    }
  a = args->tuple.items;
  n = args->tuple.n_items;

  switch (callable->global.id)
    {
    case EIGML_PICKLE_GLOBAL_ORDERED_DICT:
      if (n != 0)
        break;
      return eigml_pickle_vm_new_dict (vm, error);
    case EIGML_PICKLE_GLOBAL_TORCH_SIZE:
      if (n != 1)
        break;
      {
        gint64 dims[EIGML_SOURCE_MAX_DIMS];
        guint n_dims;
        if (!read_int_tuple (vm, callee, "argument 1", a[0], dims, &n_dims, error))
          return NULL;
      }
      return a[0];
    case EIGML_PICKLE_GLOBAL_REBUILD_TENSOR:
      if (n != 4)
        break;
      return rebuild_tensor (vm, callee, a, error);
    case EIGML_PICKLE_GLOBAL_REBUILD_TENSOR_V2:
      /* (storage, offset, size, stride, requires_grad, backward_hooks[, metadata]) */
      if (n != 6 && n != 7)
        break;
      return rebuild_tensor (vm, callee, a, error);
    case EIGML_PICKLE_GLOBAL_REBUILD_PARAMETER:
    case EIGML_PICKLE_GLOBAL_REBUILD_PARAMETER_WITH_STATE:
      /* (data, requires_grad, backward_hooks[, state]): the parameter is its data */
      if (n != (callable->global.id == EIGML_PICKLE_GLOBAL_REBUILD_PARAMETER ? 3u : 4u))
        break;
      if (a[0]->kind != EIGML_PICKLE_TENSOR)
        {
          eigml_pickle_vm_error (vm, error, "%s: argument 1 (data): expected a tensor, got %s",
                                 callee, eigml_pickle_kind_name (a[0]->kind));
          return NULL;
        }
      return a[0];
    case EIGML_PICKLE_GLOBAL_STORAGE_TYPE:
      eigml_pickle_vm_error (vm, error, "!REDUCE: %s may only tag a persistent id, not be called",
                             callee);
      return NULL;
    }
  eigml_pickle_vm_error (vm, error, "REDUCE: %s: unexpected number of arguments: %u", callee, n);
  return NULL;
}

/**
 * eigml_pickle_vm_build:
 *
 * BUILD sets an object's state. The only object of a state dict that gets
 * one is the OrderedDict itself (its _metadata attribute: per-module
 * versions), which carries no tensors and is dropped.
 */
gboolean
eigml_pickle_vm_build (EigmlPickleMachine *vm,
                       EigmlPickleValue *object,
                       EigmlPickleValue *state,
                       GError **error)
{
  if (object->kind == EIGML_PICKLE_DICT)
    return TRUE;
  eigml_pickle_vm_error (vm, error, "!BUILD: setting the state of a %s is not allowed",
                         eigml_pickle_kind_name (object->kind));
  return FALSE;
}

/* A string that equal Python keys share: kind tag + payload. */
static gboolean
append_canonical_key (GString *out,
                      EigmlPickleValue *key,
                      guint depth)
{
  switch (key->kind)
    {
    case EIGML_PICKLE_STRING:
      g_string_append_c (out, 's');
      for (gsize i = 0; i < key->str.len; i++)
        {
          char c = key->str.data[i];
          if (c == '\0' || c == '\\' || c == ',' || c == ')')
            g_string_append_printf (out, "\\%02x", (guchar) c);
          else
            g_string_append_c (out, c);
        }
      return TRUE;
    case EIGML_PICKLE_INT:
      g_string_append_printf (out, "i%" G_GINT64_FORMAT, key->integer);
      return TRUE;
    case EIGML_PICKLE_BOOL:
      g_string_append_printf (out, "i%d", key->boolean ? 1 : 0);
      return TRUE;
    case EIGML_PICKLE_NONE:
      g_string_append_c (out, 'n');
      return TRUE;
    case EIGML_PICKLE_FLOAT:
      /* the range first: casting an out-of-range double is undefined */
      if (key->real > -9.2e18 && key->real < 9.2e18 && key->real == (double) (gint64) key->real)
        g_string_append_printf (out, "i%" G_GINT64_FORMAT, (gint64) key->real);
      else
        g_string_append_printf (out, "f%a", key->real);
      return TRUE;
    case EIGML_PICKLE_BIGINT:
      g_string_append_c (out, 'b');
      for (gsize i = 0; i < key->str.len; i++)
        g_string_append_printf (out, "%02x", (guchar) key->str.data[i]);
      return TRUE;
    case EIGML_PICKLE_TUPLE:
      if (depth >= MAX_KEY_DEPTH)
        return FALSE;
      g_string_append (out, "t(");
      for (guint i = 0; i < key->tuple.n_items; i++)
        {
          if (!append_canonical_key (out, key->tuple.items[i], depth + 1))
            return FALSE;
          g_string_append_c (out, ',');
        }
      g_string_append_c (out, ')');
      return TRUE;
    default:
      return FALSE;
    }
}

gboolean
eigml_pickle_vm_dict_set (EigmlPickleMachine *vm,
                          EigmlPickleValue *dict,
                          EigmlPickleValue *key,
                          EigmlPickleValue *value,
                          GError **error)
{
  g_autoptr (GString) canon = g_string_new (NULL);
  gpointer pos;

  if (dict->kind != EIGML_PICKLE_DICT)
    {
      eigml_pickle_vm_error (vm, error, "%s: expected a dict to set an item in, got %s",
                             eigml_pickle_opcode_name (vm->start[vm->op_offset]),
                             eigml_pickle_kind_name (dict->kind));
      return FALSE;
    }
  if (!append_canonical_key (canon, key, 0))
    {
      eigml_pickle_vm_error (vm, error, "!%s: dict key of type %s is not supported",
                             eigml_pickle_opcode_name (vm->start[vm->op_offset]),
                             eigml_pickle_kind_name (key->kind));
      return FALSE;
    }
  if (!eigml_pickle_vm_charge (vm, canon->len + 64, error))
    return FALSE;
  pos = g_hash_table_lookup (dict->dict.index, canon->str);
  if (pos != NULL)
    {
      /* Python keeps the first key and the last value */
      dict->dict.values->pdata[GPOINTER_TO_UINT (pos) - 1] = value;
      return TRUE;
    }
  g_ptr_array_add (dict->dict.keys, key);
  g_ptr_array_add (dict->dict.values, value);
  g_hash_table_insert (dict->dict.index, g_string_free (g_steal_pointer (&canon), FALSE),
                       GUINT_TO_POINTER (dict->dict.keys->len));
  return TRUE;
}

/**
 * eigml_pickle_dict_lookup:
 * @dict: a dict value
 * @key: a string key
 *
 * Returns: (nullable): the value stored under the string @key
 */
EigmlPickleValue *
eigml_pickle_dict_lookup (EigmlPickleValue *dict,
                          const char *key)
{
  g_autoptr (GString) canon = g_string_new (NULL);
  EigmlPickleValue k = { .kind = EIGML_PICKLE_STRING };
  gpointer pos;

  g_return_val_if_fail (dict->kind == EIGML_PICKLE_DICT, NULL);
  k.str.data = (char *) key;
  k.str.len = strlen (key);
  append_canonical_key (canon, &k, 0);
  pos = g_hash_table_lookup (dict->dict.index, canon->str);
  return pos ? dict->dict.values->pdata[GPOINTER_TO_UINT (pos) - 1] : NULL;
}

