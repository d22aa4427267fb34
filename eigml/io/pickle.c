/* pickle.c: a restricted unpickler for PyTorch state dicts
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The machine follows CPython's Lib/pickle.py for the opcodes it accepts
 * (stack, mark stack, memo). Protection against hostile input:
 *  - every argument is bounds-checked against the bytes left;
 *  - the memo is a hash table, so a huge memo index costs nothing;
 *  - every allocation is charged to a budget proportional to the pickle's
 *    size, so no sequence of opcodes can make memory grow faster than
 *    a small constant times the input;
 *  - the machine never recurses; canonical dict keys recurse only into
 *    tuples, to a fixed depth.
 */
#include "config.h"

#include "pickle-private.h"
#include "eigml-error.h"

#include <string.h>

#define MAX_GLOBAL_LINE 256

struct _EigmlPickle
{
  char *file;
  char *member;
  GPtrArray *arena;   /* every value, freed with the pickle */
  gsize budget;
  gsize used;
  EigmlPickleValue *none, *yes, *no;
};

const char *
eigml_pickle_kind_name (EigmlPickleKind kind)
{
  static const char *names[] = {
    "None", "bool", "int", "int (wider than 64 bits)", "float", "str", "tuple", "list", "dict",
    "global", "storage", "tensor",
  };
  return kind < G_N_ELEMENTS (names) ? names[kind] : "?";
}

static void
value_free (gpointer data)
{
  EigmlPickleValue *v = data;

  switch (v->kind)
    {
    case EIGML_PICKLE_STRING:
    case EIGML_PICKLE_BIGINT:
      g_free (v->str.data);
      break;
    case EIGML_PICKLE_TUPLE:
      g_free (v->tuple.items);
      break;
    case EIGML_PICKLE_LIST:
      g_ptr_array_unref (v->list);
      break;
    case EIGML_PICKLE_DICT:
      g_ptr_array_unref (v->dict.keys);
      g_ptr_array_unref (v->dict.values);
      g_hash_table_unref (v->dict.index);
      break;
    case EIGML_PICKLE_TENSOR:
      g_free (v->tensor);
      break;
    default:
      break;
    }
  g_free (v);
}

static EigmlPickleValue *
arena_new (EigmlPickle *pickle,
           EigmlPickleKind kind)
{
  EigmlPickleValue *v = g_new0 (EigmlPickleValue, 1);

  v->kind = kind;
  g_ptr_array_add (pickle->arena, v);
  return v;
}

/**
 * eigml_pickle_new:
 * @file: the display name of the file, for messages
 * @member: the part of the file holding the pickle ("archive/data.pkl"), or %NULL
 */
EigmlPickle *
eigml_pickle_new (const char *file,
                  const char *member)
{
  EigmlPickle *pickle = g_new0 (EigmlPickle, 1);

  pickle->file = g_strdup (file);
  pickle->member = g_strdup (member);
  pickle->arena = g_ptr_array_new_with_free_func (value_free);
  pickle->none = arena_new (pickle, EIGML_PICKLE_NONE);
  pickle->yes = arena_new (pickle, EIGML_PICKLE_BOOL);
  pickle->yes->boolean = TRUE;
  pickle->no = arena_new (pickle, EIGML_PICKLE_BOOL);
  return pickle;
}

void
eigml_pickle_free (EigmlPickle *pickle)
{
  if (pickle == NULL)
    return;
  g_ptr_array_unref (pickle->arena);
  g_free (pickle->file);
  g_free (pickle->member);
  g_free (pickle);
}

EigmlPickleValue *
eigml_pickle_new_storage (EigmlPickle *pickle,
                          gpointer data,
                          EigmlSourceDType dtype)
{
  EigmlPickleValue *v = arena_new (pickle, EIGML_PICKLE_STORAGE);

  v->storage.data = data;
  v->storage.dtype = dtype;
  return v;
}

void
eigml_pickle_vm_error (EigmlPickleMachine *vm,
                       GError **error,
                       const char *format,
                       ...)
{
  g_autofree char *message = NULL;
  gint code = EIGML_ERROR_FORMAT;
  va_list args;

  /* refusals (opcodes, globals) are UNSUPPORTED; a leading '!' marks them */
  if (format[0] == '!')
    {
      code = EIGML_ERROR_UNSUPPORTED;
      format++;
    }
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, EIGML_ERROR, code, "%s: %s%spickle at byte %" G_GSIZE_FORMAT ": %s",
               vm->pickle->file, vm->pickle->member ? vm->pickle->member : "",
               vm->pickle->member ? ": " : "", vm->op_offset, message);
}

gboolean
eigml_pickle_vm_charge (EigmlPickleMachine *vm,
                        gsize bytes,
                        GError **error)
{
  if (bytes > vm->pickle->budget - vm->pickle->used)
    {
      eigml_pickle_vm_error (vm, error, "%s: memory: expected at most %" G_GSIZE_FORMAT
                             " bytes for a pickle of %" G_GSIZE_FORMAT " bytes, it needs more "
                             "(a pickle bomb?)",
                             eigml_pickle_opcode_name (vm->start[vm->op_offset]),
                             vm->pickle->budget, (gsize) (vm->end - vm->start));
      return FALSE;
    }
  vm->pickle->used += bytes;
  return TRUE;
}

EigmlPickleValue *
eigml_pickle_vm_new (EigmlPickleMachine *vm,
                     EigmlPickleKind kind,
                     GError **error)
{
  if (!eigml_pickle_vm_charge (vm, sizeof (EigmlPickleValue) + 16, error))
    return NULL;
  return arena_new (vm->pickle, kind);
}

static gboolean
need (EigmlPickleMachine *vm,
      gsize n,
      GError **error)
{
  if ((gsize) (vm->end - vm->p) < n)
    {
      eigml_pickle_vm_error (vm, error, "%s: expected %" G_GSIZE_FORMAT " argument bytes, got %"
                             G_GSIZE_FORMAT " before the end of the data",
                             eigml_pickle_opcode_name (vm->start[vm->op_offset]), n,
                             (gsize) (vm->end - vm->p));
      return FALSE;
    }
  return TRUE;
}

static gboolean
push (EigmlPickleMachine *vm,
      EigmlPickleValue *v,
      GError **error)
{
  if (v == NULL || !eigml_pickle_vm_charge (vm, sizeof (gpointer) * 2, error))
    return FALSE;
  g_ptr_array_add (vm->stack, v);
  return TRUE;
}

static guint
current_mark (EigmlPickleMachine *vm)
{
  return vm->marks->len ? g_array_index (vm->marks, guint, vm->marks->len - 1) : 0;
}

static EigmlPickleValue *
pop (EigmlPickleMachine *vm,
     GError **error)
{
  if (vm->stack->len <= current_mark (vm))
    {
      eigml_pickle_vm_error (vm, error, "%s: expected a value on the stack, got %s",
                             eigml_pickle_opcode_name (vm->start[vm->op_offset]),
                             vm->stack->len ? "a mark" : "an empty stack");
      return NULL;
    }
  return g_ptr_array_steal_index (vm->stack, vm->stack->len - 1);
}

static EigmlPickleValue *
top (EigmlPickleMachine *vm,
     GError **error)
{
  if (vm->stack->len <= current_mark (vm))
    {
      eigml_pickle_vm_error (vm, error, "%s: expected a value on the stack, got %s",
                             eigml_pickle_opcode_name (vm->start[vm->op_offset]),
                             vm->stack->len ? "a mark" : "an empty stack");
      return NULL;
    }
  return vm->stack->pdata[vm->stack->len - 1];
}

/* Pops up to the last mark; the items stay valid (arena) in *first..n. */
static gboolean
pop_mark (EigmlPickleMachine *vm,
          guint *first,
          guint *n,
          GError **error)
{
  guint mark;

  if (vm->marks->len == 0)
    {
      eigml_pickle_vm_error (vm, error, "%s: expected a MARK before it, got none",
                             eigml_pickle_opcode_name (vm->start[vm->op_offset]));
      return FALSE;
    }
  mark = g_array_index (vm->marks, guint, vm->marks->len - 1);
  g_array_set_size (vm->marks, vm->marks->len - 1);
  *first = mark;
  *n = vm->stack->len - mark;
  return TRUE;
}

static EigmlPickleValue *
new_tuple (EigmlPickleMachine *vm,
           EigmlPickleValue **items,
           guint n,
           GError **error)
{
  EigmlPickleValue *t;

  if (!eigml_pickle_vm_charge (vm, sizeof (gpointer) * n, error)
      || (t = eigml_pickle_vm_new (vm, EIGML_PICKLE_TUPLE, error)) == NULL)
    return NULL;
  t->tuple.items = n > 0 ? g_memdup2 (items, sizeof (gpointer) * n) : NULL;
  t->tuple.n_items = n;
  return t;
}

EigmlPickleValue *
eigml_pickle_vm_new_dict (EigmlPickleMachine *vm,
                          GError **error)
{
  EigmlPickleValue *d;

  /* two arrays and a hash table besides the value */
  if (!eigml_pickle_vm_charge (vm, 256, error)
      || (d = eigml_pickle_vm_new (vm, EIGML_PICKLE_DICT, error)) == NULL)
    return NULL;
  d->dict.keys = g_ptr_array_new ();
  d->dict.values = g_ptr_array_new ();
  d->dict.index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return d;
}

static gboolean
read_line (EigmlPickleMachine *vm,
           const char **line,
           gsize *len,
           GError **error)
{
  gsize left = (gsize) (vm->end - vm->p);
  const guint8 *nl = memchr (vm->p, '\n', MIN (left, MAX_GLOBAL_LINE));

  if (nl == NULL)
    {
      eigml_pickle_vm_error (vm, error,
                             "GLOBAL: expected a line of at most %d bytes ending in a newline",
                             MAX_GLOBAL_LINE);
      return FALSE;
    }
  *line = (const char *) vm->p;
  *len = (gsize) (nl - vm->p);
  vm->p = nl + 1;
  return TRUE;
}

static gboolean
read_string (EigmlPickleMachine *vm,
             gsize len_bytes,
             GError **error)
{
  guint64 len = 0;
  EigmlPickleValue *v;

  if (!need (vm, len_bytes, error))
    return FALSE;
  for (gsize i = 0; i < len_bytes; i++)
    len |= (guint64) vm->p[i] << (8 * i);
  vm->p += len_bytes;
  if (!need (vm, len, error))
    return FALSE;
  if (!g_utf8_validate_len ((const char *) vm->p, len, NULL))
    {
      eigml_pickle_vm_error (vm, error, "%s: expected UTF-8 text, got invalid bytes",
                             eigml_pickle_opcode_name (vm->start[vm->op_offset]));
      return FALSE;
    }
  if (!eigml_pickle_vm_charge (vm, len + 1, error)
      || (v = eigml_pickle_vm_new (vm, EIGML_PICKLE_STRING, error)) == NULL)
    return FALSE;
  v->str.data = g_malloc (len + 1);
  memcpy (v->str.data, vm->p, len);
  v->str.data[len] = '\0';
  v->str.len = len;
  vm->p += len;
  return push (vm, v, error);
}

static gboolean
push_int (EigmlPickleMachine *vm,
          gint64 value,
          GError **error)
{
  EigmlPickleValue *v = eigml_pickle_vm_new (vm, EIGML_PICKLE_INT, error);

  if (v == NULL)
    return FALSE;
  v->integer = value;
  return push (vm, v, error);
}

static gboolean
read_long1 (EigmlPickleMachine *vm,
            GError **error)
{
  guint n;
  EigmlPickleValue *v;

  if (!need (vm, 1, error))
    return FALSE;
  n = *vm->p++;
  if (!need (vm, n, error))
    return FALSE;
  if (n <= 8)
    {
      guint64 u = 0;
      for (guint i = 0; i < n; i++)
        u |= (guint64) vm->p[i] << (8 * i);
      if (n > 0 && n < 8 && (vm->p[n - 1] & 0x80))
        u |= ~(guint64) 0 << (8 * n); /* sign-extend */
      vm->p += n;
      return push_int (vm, (gint64) u, error);
    }
  if (!eigml_pickle_vm_charge (vm, n, error)
      || (v = eigml_pickle_vm_new (vm, EIGML_PICKLE_BIGINT, error)) == NULL)
    return FALSE;
  v->str.data = g_memdup2 (vm->p, n);
  v->str.len = n;
  vm->p += n;
  return push (vm, v, error);
}

static gboolean
memo_put (EigmlPickleMachine *vm,
          guint32 index,
          GError **error)
{
  EigmlPickleValue *v = top (vm, error);

  if (v == NULL)
    return FALSE;
  if (!g_hash_table_contains (vm->memo, GUINT_TO_POINTER (index))
      && !eigml_pickle_vm_charge (vm, 48, error))
    return FALSE;
  g_hash_table_insert (vm->memo, GUINT_TO_POINTER (index), v);
  return TRUE;
}

static gboolean
memo_get (EigmlPickleMachine *vm,
          guint32 index,
          GError **error)
{
  EigmlPickleValue *v = g_hash_table_lookup (vm->memo, GUINT_TO_POINTER (index));

  if (v == NULL)
    {
      eigml_pickle_vm_error (vm, error, "%s: memo index %u: expected a stored value, got none",
                             eigml_pickle_opcode_name (vm->start[vm->op_offset]), index);
      return FALSE;
    }
  return push (vm, v, error);
}

static guint32
read_le (EigmlPickleMachine *vm,
         guint n)
{
  guint32 v = 0;

  for (guint i = 0; i < n; i++)
    v |= (guint32) vm->p[i] << (8 * i);
  vm->p += n;
  return v;
}

/* TUPLE, LIST, DICT, APPENDS, SETITEMS: the items above the last mark. */
static gboolean
collect_marked (EigmlPickleMachine *vm,
                guint8 op,
                GError **error)
{
  EigmlPickleValue **items;
  EigmlPickleValue *target = NULL;
  guint first, n;

  if (!pop_mark (vm, &first, &n, error))
    return FALSE;
  /* no items: the stack may be empty, with no array to point into */
  items = n > 0 ? (EigmlPickleValue **) vm->stack->pdata + first : NULL;
  if (op == 'e' || op == 'u')
    {
      if (vm->stack->len - n <= current_mark (vm))
        {
          eigml_pickle_vm_error (vm, error, "%s: expected a %s below the mark, got nothing",
                                 eigml_pickle_opcode_name (op), op == 'e' ? "list" : "dict");
          return FALSE;
        }
      target = vm->stack->pdata[first - 1];
    }
  switch (op)
    {
    case 't':
      {
        EigmlPickleValue *t = new_tuple (vm, items, n, error);
        g_ptr_array_set_size (vm->stack, first);
        return push (vm, t, error);
      }
    case 'l':
    case 'e':
      if (op == 'l' && (target = eigml_pickle_vm_new (vm, EIGML_PICKLE_LIST, error)) == NULL)
        return FALSE;
      if (op == 'l')
        target->list = g_ptr_array_new ();
      if (target->kind != EIGML_PICKLE_LIST)
        {
          eigml_pickle_vm_error (vm, error, "APPENDS: expected a list below the mark, got %s",
                                 eigml_pickle_kind_name (target->kind));
          return FALSE;
        }
      if (!eigml_pickle_vm_charge (vm, sizeof (gpointer) * 2 * n, error))
        return FALSE;
      for (guint i = 0; i < n; i++)
        g_ptr_array_add (target->list, items[i]);
      g_ptr_array_set_size (vm->stack, first);
      return op == 'l' ? push (vm, target, error) : TRUE;
    case 'd':
    case 'u':
      if (n % 2 != 0)
        {
          eigml_pickle_vm_error (vm, error, "%s: expected key-value pairs, got %u items",
                                 eigml_pickle_opcode_name (op), n);
          return FALSE;
        }
      if (op == 'd' && (target = eigml_pickle_vm_new_dict (vm, error)) == NULL)
        return FALSE;
      for (guint i = 0; i < n; i += 2)
        if (!eigml_pickle_vm_dict_set (vm, target, items[i], items[i + 1], error))
          return FALSE;
      g_ptr_array_set_size (vm->stack, first);
      return op == 'd' ? push (vm, target, error) : TRUE;
    default:
      g_assert_not_reached ();
    }
}

/* One opcode; *stop is set by STOP. */
static gboolean
step (EigmlPickleMachine *vm,
      gboolean *stop,
      GError **error)
{
  guint8 op;
  EigmlPickleValue *a, *b, *c;

  vm->op_offset = (gsize) (vm->p - vm->start);
  op = *vm->p++;
  switch (op)
    {
    case 0x80: /* PROTO */
      if (!need (vm, 1, error))
        return FALSE;
      if (*vm->p < 2 || *vm->p > 5)
        {
          eigml_pickle_vm_error (vm, error, "!PROTO: expected protocol 2 to 5, got %u", *vm->p);
          return FALSE;
        }
      vm->p++;
      return TRUE;
    case 0x95: /* FRAME: a length hint; checked, then ignored */
      {
        guint64 len = 0;
        if (!need (vm, 8, error))
          return FALSE;
        for (guint i = 0; i < 8; i++)
          len |= (guint64) vm->p[i] << (8 * i);
        vm->p += 8;
        return need (vm, len, error);
      }
    case '.':
      *stop = TRUE;
      return TRUE;
    case '(':
      if (!eigml_pickle_vm_charge (vm, sizeof (guint), error))
        return FALSE;
      g_array_append_val (vm->marks, vm->stack->len);
      return TRUE;
    case '}':
      return push (vm, eigml_pickle_vm_new_dict (vm, error), error);
    case ']':
      if ((a = eigml_pickle_vm_new (vm, EIGML_PICKLE_LIST, error)) == NULL)
        return FALSE;
      a->list = g_ptr_array_new ();
      return push (vm, a, error);
    case ')':
      return push (vm, new_tuple (vm, NULL, 0, error), error);
    case 'X':
      return read_string (vm, 4, error);
    case 0x8c:
      return read_string (vm, 1, error);
    case 'J':
      return need (vm, 4, error) && push_int (vm, (gint32) read_le (vm, 4), error);
    case 'K':
      return need (vm, 1, error) && push_int (vm, read_le (vm, 1), error);
    case 'M':
      return need (vm, 2, error) && push_int (vm, read_le (vm, 2), error);
    case 0x8a:
      return read_long1 (vm, error);
    case 'G':
      {
        guint64 bits = 0;
        if (!need (vm, 8, error)
            || (a = eigml_pickle_vm_new (vm, EIGML_PICKLE_FLOAT, error)) == NULL)
          return FALSE;
        for (guint i = 0; i < 8; i++)
          bits = (bits << 8) | vm->p[i]; /* big-endian */
        vm->p += 8;
        memcpy (&a->real, &bits, 8);
        return push (vm, a, error);
      }
    case 0x88:
      return push (vm, vm->pickle->yes, error);
    case 0x89:
      return push (vm, vm->pickle->no, error);
    case 'N':
      return push (vm, vm->pickle->none, error);
    case 't':
    case 'l':
    case 'd':
    case 'e':
    case 'u':
      return collect_marked (vm, op, error);
    case 0x85:
    case 0x86:
    case 0x87:
      {
        guint n = op - 0x84;
        EigmlPickleValue *items[3];
        for (guint i = n; i-- > 0;)
          if ((items[i] = pop (vm, error)) == NULL)
            return FALSE;
        return push (vm, new_tuple (vm, items, n, error), error);
      }
    case 'a':
      if ((a = pop (vm, error)) == NULL || (b = top (vm, error)) == NULL)
        return FALSE;
      if (b->kind != EIGML_PICKLE_LIST)
        {
          eigml_pickle_vm_error (vm, error, "APPEND: expected a list, got %s",
                                 eigml_pickle_kind_name (b->kind));
          return FALSE;
        }
      if (!eigml_pickle_vm_charge (vm, sizeof (gpointer) * 2, error))
        return FALSE;
      g_ptr_array_add (b->list, a);
      return TRUE;
    case 's':
      if ((a = pop (vm, error)) == NULL || (b = pop (vm, error)) == NULL
          || (c = top (vm, error)) == NULL)
        return FALSE;
      return eigml_pickle_vm_dict_set (vm, c, b, a, error);
    case 'q':
      return need (vm, 1, error) && memo_put (vm, read_le (vm, 1), error);
    case 'r':
      return need (vm, 4, error) && memo_put (vm, read_le (vm, 4), error);
    case 0x94:
      return memo_put (vm, g_hash_table_size (vm->memo), error);
    case 'h':
      return need (vm, 1, error) && memo_get (vm, read_le (vm, 1), error);
    case 'j':
      return need (vm, 4, error) && memo_get (vm, read_le (vm, 4), error);
    case 'c':
      {
        const char *module, *name;
        gsize module_len, name_len;
        if (!read_line (vm, &module, &module_len, error)
            || !read_line (vm, &name, &name_len, error))
          return FALSE;
        return push (vm, eigml_pickle_vm_resolve_global (vm, module, module_len, name, name_len,
                                                         error), error);
      }
    case 0x93:
      if ((b = pop (vm, error)) == NULL || (a = pop (vm, error)) == NULL)
        return FALSE;
      if (a->kind != EIGML_PICKLE_STRING || b->kind != EIGML_PICKLE_STRING)
        {
          eigml_pickle_vm_error (vm, error, "STACK_GLOBAL: expected two strings, got %s and %s",
                                 eigml_pickle_kind_name (a->kind),
                                 eigml_pickle_kind_name (b->kind));
          return FALSE;
        }
      return push (vm, eigml_pickle_vm_resolve_global (vm, a->str.data, a->str.len, b->str.data,
                                                       b->str.len, error), error);
    case 'R':
      if ((b = pop (vm, error)) == NULL || (a = pop (vm, error)) == NULL)
        return FALSE;
      return push (vm, eigml_pickle_vm_reduce (vm, a, b, error), error);
    case 'b':
      if ((b = pop (vm, error)) == NULL || (a = top (vm, error)) == NULL)
        return FALSE;
      return eigml_pickle_vm_build (vm, a, b, error);
    case 'Q':
      if ((a = pop (vm, error)) == NULL)
        return FALSE;
      if (vm->persistent_load == NULL)
        {
          eigml_pickle_vm_error (vm, error, "!BINPERSID: no persistent ids are expected here");
          return FALSE;
        }
      return push (vm, vm->persistent_load (vm->pickle, a, vm->user_data, error), error);
    case '0':
      return pop (vm, error) != NULL;
    case '1':
      {
        guint first, n;
        if (!pop_mark (vm, &first, &n, error))
          return FALSE;
        g_ptr_array_set_size (vm->stack, first);
        return TRUE;
      }
    default:
      eigml_pickle_vm_error (vm, error, "!opcode 0x%02x (%s) is not allowed in a state dict",
                             op, eigml_pickle_opcode_name (op));
      return FALSE;
    }
}

/**
 * eigml_pickle_load:
 * @pickle: the unpickler (its arena keeps the values)
 * @data: the pickle
 * @size: its size
 * @consumed: (out) (optional): bytes up to and including STOP
 * @persistent_load: (nullable): resolves BINPERSID
 * @user_data: for @persistent_load
 * @error: return location for a #GError
 *
 * Runs one pickle, to its STOP. Can be called again on the same @pickle
 * for the next pickle in a stream (the legacy torch.save format).
 *
 * Returns: (transfer none): the pickled value, owned by @pickle
 */
EigmlPickleValue *
eigml_pickle_load (EigmlPickle *pickle,
                   const guint8 *data,
                   gsize size,
                   gsize *consumed,
                   EigmlPicklePersistentLoad persistent_load,
                   gpointer user_data,
                   GError **error)
{
  g_autoptr (GPtrArray) stack = g_ptr_array_new ();
  g_autoptr (GArray) marks = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GHashTable) memo = g_hash_table_new (NULL, NULL);
  EigmlPickleMachine vm = {
    .pickle = pickle, .start = data, .p = data, .end = data + size,
    .stack = stack, .marks = marks, .memo = memo,
    .persistent_load = persistent_load, .user_data = user_data,
  };
  gboolean stop = FALSE;

  /* @size may run on past the pickle (the legacy layout): only the first
   * EIGML_PICKLE_MAX_SIZE bytes may hold it */
  if (size > EIGML_PICKLE_MAX_SIZE)
    vm.end = data + EIGML_PICKLE_MAX_SIZE;
  /* what every later allocation is charged against: generous for real
   * state dicts (a few times their pickle), bounded for bombs */
  pickle->budget = pickle->used + (16u << 20) + 16 * (gsize) (vm.end - vm.start);

  while (!stop)
    {
      if (vm.p >= vm.end)
        {
          vm.op_offset = (gsize) (vm.end - vm.start);
          if (vm.end < data + size)
            eigml_pickle_vm_error (&vm, error, "expected a STOP opcode within %u bytes, got none",
                                   EIGML_PICKLE_MAX_SIZE);
          else
            eigml_pickle_vm_error (&vm, error, "expected a STOP opcode, got the end of the data");
          return NULL;
        }
      if (!step (&vm, &stop, error))
        return NULL;
    }
  if (consumed)
    *consumed = (gsize) (vm.p - vm.start);
  return pop (&vm, error);
}
