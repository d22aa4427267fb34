/* params.c: named parameters and their persistent storage
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "params.h"
#include "philox.h"
#include "eigml-context-private.h"
#include "eigml-error.h"
#include "eigml-tensor-private.h"

#include <math.h>
#include <string.h>

struct _EigmlParamStore
{
  gint ref_count;
  EigmlContext *context;
  guint64 seed;
  GPtrArray *params;
  GHashTable *by_name;
  gsize total_bytes;
  EigmlBuffer *values;
  EigmlBuffer *grads;
  EigmlBuffer *m;
  EigmlBuffer *v;
};

static void
param_free (gpointer data)
{
  EigmlParam *param = data;

  g_free (param->name);
  g_free (param);
}

EigmlParamStore *
eigml_param_store_new (EigmlContext *context,
                       guint64 seed)
{
  EigmlParamStore *store = g_new0 (EigmlParamStore, 1);

  store->ref_count = 1;
  store->context = g_object_ref (context);
  store->seed = seed;
  store->params = g_ptr_array_new_with_free_func (param_free);
  store->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  return store;
}

EigmlParamStore *
eigml_param_store_ref (EigmlParamStore *store)
{
  g_atomic_int_inc (&store->ref_count);
  return store;
}

void
eigml_param_store_unref (EigmlParamStore *store)
{
  if (store == NULL || !g_atomic_int_dec_and_test (&store->ref_count))
    return;
  g_clear_pointer (&store->values, eigml_buffer_free);
  g_clear_pointer (&store->grads, eigml_buffer_free);
  g_clear_pointer (&store->m, eigml_buffer_free);
  g_clear_pointer (&store->v, eigml_buffer_free);
  g_hash_table_unref (store->by_name);
  g_ptr_array_unref (store->params);
  g_object_unref (store->context);
  g_free (store);
}

EigmlParam *
eigml_param_store_add (EigmlParamStore *store,
                       const char *name,
                       guint n_dims,
                       const gint64 *shape,
                       EigmlInit init,
                       float init_arg,
                       gboolean decay,
                       GError **error)
{
  EigmlParam *param;
  gint64 n;
  gsize alignment = eigml_context_get_backend_impl (store->context)->alignment;

  g_return_val_if_fail (name != NULL, NULL);

  if (store->values != NULL)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "cannot add parameter '%s': the parameter store is already allocated", name);
      return NULL;
    }
  if (g_hash_table_contains (store->by_name, name))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "a parameter named '%s' already exists", name);
      return NULL;
    }
  if (!eigml_shape_validate (shape, n_dims, &n, error))
    {
      g_prefix_error (error, "parameter '%s': ", name);
      return NULL;
    }

  param = g_new0 (EigmlParam, 1);
  param->store = store;
  param->name = g_strdup (name);
  param->index = store->params->len;
  param->n_dims = n_dims;
  memcpy (param->shape, shape, n_dims * sizeof (gint64));
  param->n_elements = n;
  param->decay = decay;
  param->trainable = TRUE;
  param->init = init;
  param->init_arg = init_arg;
  param->offset = store->total_bytes;
  /* Keep padding between parameters: it stays zero in every buffer. */
  store->total_bytes += ((gsize) n * sizeof (float) + alignment - 1) & ~(alignment - 1);
  g_ptr_array_add (store->params, param);
  g_hash_table_insert (store->by_name, param->name, param);
  return param;
}

EigmlParam *
eigml_param_store_lookup (EigmlParamStore *store,
                          const char *name)
{
  return g_hash_table_lookup (store->by_name, name);
}

GPtrArray *
eigml_param_store_get_params (EigmlParamStore *store)
{
  return store->params;
}

EigmlContext *
eigml_param_store_get_context (EigmlParamStore *store)
{
  return store->context;
}

gsize
eigml_param_store_get_total_bytes (EigmlParamStore *store)
{
  return store->total_bytes;
}

gint64
eigml_param_store_count_elements (EigmlParamStore *store)
{
  gint64 n = 0;

  for (guint i = 0; i < store->params->len; i++)
    n += ((EigmlParam *) g_ptr_array_index (store->params, i))->n_elements;
  return n;
}

gboolean
eigml_param_store_is_allocated (EigmlParamStore *store)
{
  return store->values != NULL;
}

/* A normal sample from two Philox words (Box-Muller), truncated at 2 std by
 * redrawing with the next offset: the same values on every machine. */
static float
init_normal (guint64 seed,
             guint32 stream,
             guint64 index,
             float std)
{
  for (guint64 attempt = 0; attempt < 64; attempt++)
    {
      guint32 w0 = eigml_philox_word (seed, attempt, stream, 2 * index);
      guint32 w1 = eigml_philox_word (seed, attempt, stream, 2 * index + 1);
      double u1 = ((double) (w0 >> 8) + 0.5) / 16777216.0;
      double u2 = (double) (w1 >> 8) / 16777216.0;
      double z = sqrt (-2.0 * log (u1)) * cos (2.0 * G_PI * u2);

      if (fabs (z) <= 2.0)
        return (float) (z * std);
    }
  return 0.0f;
}

static gboolean
init_values (EigmlParamStore *store,
             EigmlParam *param,
             GError **error)
{
  g_autofree float *data = g_new (float, MAX (1, param->n_elements));
  /* The stream depends on the name only, so adding a parameter does not
   * change how the others are initialised. */
  guint32 stream = g_str_hash (param->name);

  for (gint64 i = 0; i < param->n_elements; i++)
    {
      switch (param->init)
        {
        case EIGML_INIT_ZEROS:
          data[i] = 0.0f;
          break;
        case EIGML_INIT_ONES:
          data[i] = 1.0f;
          break;
        case EIGML_INIT_CONSTANT:
          data[i] = param->init_arg;
          break;
        case EIGML_INIT_NORMAL:
          data[i] = init_normal (store->seed, stream, (guint64) i, param->init_arg);
          break;
        case EIGML_INIT_UNIFORM:
          data[i] = (2.0f * eigml_philox_uniform (eigml_philox_word (store->seed, 0, stream,
                                                                     (guint64) i)) - 1.0f) *
                    param->init_arg;
          break;
        default:
          g_assert_not_reached ();
        }
    }
  return eigml_buffer_write (store->values, param->offset, data,
                             (gsize) param->n_elements * sizeof (float), error);
}

static EigmlBuffer *
zeroed_buffer (EigmlBackend *backend,
               gsize size,
               GError **error)
{
  g_autoptr (EigmlBuffer) buffer = eigml_buffer_new (backend, MAX (size, 16), error);

  if (buffer == NULL)
    return NULL;
  if (!eigml_buffer_fill (buffer, 0, (MAX (size, 16) + 3) & ~(gsize) 3, 0, error))
    return NULL;
  return g_steal_pointer (&buffer);
}

gboolean
eigml_param_store_allocate (EigmlParamStore *store,
                            GError **error)
{
  EigmlBackend *backend = eigml_context_get_backend_impl (store->context);

  if (store->values != NULL)
    return TRUE;
  store->values = zeroed_buffer (backend, store->total_bytes, error);
  if (store->values == NULL)
    return FALSE;
  store->grads = zeroed_buffer (backend, store->total_bytes, error);
  if (store->grads == NULL)
    {
      g_clear_pointer (&store->values, eigml_buffer_free);
      return FALSE;
    }
  for (guint i = 0; i < store->params->len; i++)
    if (!init_values (store, g_ptr_array_index (store->params, i), error))
      return FALSE;
  return TRUE;
}

gboolean
eigml_param_store_ensure_optimizer_state (EigmlParamStore *store,
                                          GError **error)
{
  EigmlBackend *backend = eigml_context_get_backend_impl (store->context);

  if (!eigml_param_store_allocate (store, error))
    return FALSE;
  if (store->m == NULL)
    {
      store->m = zeroed_buffer (backend, store->total_bytes, error);
      if (store->m == NULL)
        return FALSE;
    }
  if (store->v == NULL)
    {
      store->v = zeroed_buffer (backend, store->total_bytes, error);
      if (store->v == NULL)
        return FALSE;
    }
  return TRUE;
}

EigmlBuffer *
eigml_param_store_get_buffer (EigmlParamStore *store,
                              EigmlLeafKind kind)
{
  switch (kind)
    {
    case EIGML_LEAF_PARAM:
      return store->values;
    case EIGML_LEAF_PARAM_GRAD:
    case EIGML_LEAF_GRAD_ALL:
      return store->grads;
    case EIGML_LEAF_PARAM_M:
      return store->m;
    case EIGML_LEAF_PARAM_V:
      return store->v;
    default:
      return NULL;
    }
}

static EigmlBuffer *
param_buffer (EigmlParam *param,
              EigmlLeafKind kind,
              gsize n,
              GError **error)
{
  EigmlBuffer *buffer;

  if (!eigml_param_store_allocate (param->store, error))
    return NULL;
  if ((gint64) n != param->n_elements)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE,
                   "parameter '%s' has %" G_GINT64_FORMAT " elements, got %" G_GSIZE_FORMAT,
                   param->name, param->n_elements, n);
      return NULL;
    }
  buffer = eigml_param_store_get_buffer (param->store, kind);
  if (buffer == NULL)
    g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                 "parameter '%s' has no optimizer state yet", param->name);
  return buffer;
}

gboolean
eigml_param_read (EigmlParam *param,
                  EigmlLeafKind kind,
                  float *out,
                  gsize n,
                  GError **error)
{
  EigmlBuffer *buffer = param_buffer (param, kind, n, error);

  return buffer != NULL &&
         eigml_buffer_read (buffer, param->offset, out, n * sizeof (float), error);
}

gboolean
eigml_param_write (EigmlParam *param,
                   EigmlLeafKind kind,
                   const float *data,
                   gsize n,
                   GError **error)
{
  EigmlBuffer *buffer = param_buffer (param, kind, n, error);

  return buffer != NULL &&
         eigml_buffer_write (buffer, param->offset, data, n * sizeof (float), error);
}

float *
eigml_param_dup (EigmlParam *param,
                 EigmlLeafKind kind,
                 GError **error)
{
  g_autofree float *out = g_new (float, MAX (1, param->n_elements));

  if (!eigml_param_read (param, kind, out, param->n_elements, error))
    return NULL;
  return g_steal_pointer (&out);
}

gboolean
eigml_param_store_zero_grads (EigmlParamStore *store,
                              GError **error)
{
  if (!eigml_param_store_allocate (store, error))
    return FALSE;
  return eigml_buffer_fill (store->grads, 0, store->total_bytes, 0, error);
}
