/* eigml-tensor.c: host tensors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "eigml-tensor.h"
#include "eigml-error.h"
#include "eigml-tensor-private.h"
#include "eigml-enum-types.h"
#include "engine/half.h"

#include <string.h>

/**
 * EigmlTensor:
 *
 * A dense, row-major (C order) array of numbers held in host memory.
 *
 * Tensors carry data into and out of Eigml: inputs of a model, weights read
 * from a checkpoint, embeddings returned to the caller. The element type is an
 * #EigmlDType; data moves in and out as #GBytes or as float arrays, so that
 * bindings can use them without pointer arithmetic.
 *
 * Since: 1.0
 */
struct _EigmlTensor
{
  GObject parent_instance;

  EigmlDType dtype;
  guint n_dims;
  gint64 shape[EIGML_TENSOR_MAX_DIMS];
  gint64 n_elements;
  guint8 *data;
};

G_DEFINE_FINAL_TYPE (EigmlTensor, eigml_tensor, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_DTYPE,
  PROP_N_DIMS,
  PROP_N_ELEMENTS,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

static void
eigml_tensor_finalize (GObject *object)
{
  EigmlTensor *self = EIGML_TENSOR (object);

  g_free (self->data);
  G_OBJECT_CLASS (eigml_tensor_parent_class)->finalize (object);
}

static void
eigml_tensor_get_property (GObject *object,
                           guint prop_id,
                           GValue *value,
                           GParamSpec *pspec)
{
  EigmlTensor *self = EIGML_TENSOR (object);

  switch (prop_id)
    {
    case PROP_DTYPE:
      g_value_set_enum (value, self->dtype);
      break;
    case PROP_N_DIMS:
      g_value_set_uint (value, self->n_dims);
      break;
    case PROP_N_ELEMENTS:
      g_value_set_int64 (value, self->n_elements);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eigml_tensor_class_init (EigmlTensorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = eigml_tensor_finalize;
  object_class->get_property = eigml_tensor_get_property;

  /**
   * EigmlTensor:dtype:
   *
   * The element type.
   *
   * Since: 1.0
   */
  props[PROP_DTYPE] = g_param_spec_enum ("dtype", NULL, NULL,
                                         EIGML_TYPE_DTYPE, EIGML_DTYPE_F32,
                                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * EigmlTensor:n-dims:
   *
   * The number of dimensions.
   *
   * Since: 1.0
   */
  props[PROP_N_DIMS] = g_param_spec_uint ("n-dims", NULL, NULL,
                                          0, EIGML_TENSOR_MAX_DIMS, 0,
                                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * EigmlTensor:n-elements:
   *
   * The number of elements (the product of the shape).
   *
   * Since: 1.0
   */
  props[PROP_N_ELEMENTS] = g_param_spec_int64 ("n-elements", NULL, NULL,
                                               0, G_MAXINT64, 0,
                                               G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
eigml_tensor_init (EigmlTensor *self)
{
}

/* Shared by every constructor and by the engine: validates a shape. */
gboolean
eigml_shape_validate (const gint64 *shape,
                      guint n_dims,
                      gint64 *n_elements_out,
                      GError **error)
{
  gint64 n = 1;

  if (n_dims > EIGML_TENSOR_MAX_DIMS)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE,
                   "tensor has %u dimensions; at most %d are supported",
                   n_dims, EIGML_TENSOR_MAX_DIMS);
      return FALSE;
    }
  if (n_dims > 0 && shape == NULL)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE,
                   "tensor shape is missing for %u dimensions", n_dims);
      return FALSE;
    }
  for (guint i = 0; i < n_dims; i++)
    {
      if (shape[i] <= 0)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE,
                       "tensor dimension %u is %" G_GINT64_FORMAT "; dimensions must be positive",
                       i, shape[i]);
          return FALSE;
        }
      if (n > G_MAXINT64 / 16 / shape[i])
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE,
                       "tensor shape is too large (overflow at dimension %u)", i);
          return FALSE;
        }
      n *= shape[i];
    }
  if (n_elements_out)
    *n_elements_out = n;
  return TRUE;
}

static EigmlTensor *
tensor_alloc (EigmlDType dtype,
              const gint64 *shape,
              guint n_dims,
              GError **error)
{
  EigmlTensor *self;
  gint64 n;

  if (eigml_dtype_get_size (dtype) == 0)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_DTYPE, "invalid dtype %d", (int) dtype);
      return NULL;
    }
  if (!eigml_shape_validate (shape, n_dims, &n, error))
    return NULL;

  self = g_object_new (EIGML_TYPE_TENSOR, NULL);
  self->dtype = dtype;
  self->n_dims = n_dims;
  for (guint i = 0; i < n_dims; i++)
    self->shape[i] = shape[i];
  self->n_elements = n;
  self->data = g_try_malloc0 (MAX (1, (gsize) n * eigml_dtype_get_size (dtype)));
  if (self->data == NULL)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_OUT_OF_MEMORY,
                   "cannot allocate %" G_GINT64_FORMAT " elements of %s",
                   n, eigml_dtype_get_name (dtype));
      g_object_unref (self);
      return NULL;
    }
  return self;
}

/**
 * eigml_tensor_new:
 * @dtype: the element type
 * @shape: (array length=n_dims): the size of each dimension, outermost first
 * @n_dims: the number of dimensions (0 for a scalar, at most 4)
 * @error: return location for a #GError
 *
 * Creates a tensor filled with zeros.
 *
 * Returns: (transfer full) (nullable): a new tensor, or %NULL if the shape is invalid
 *
 * Since: 1.0
 */
EigmlTensor *
eigml_tensor_new (EigmlDType dtype,
                  const gint64 *shape,
                  guint n_dims,
                  GError **error)
{
  return tensor_alloc (dtype, shape, n_dims, error);
}

/**
 * eigml_tensor_new_from_floats:
 * @shape: (array length=n_dims): the size of each dimension
 * @n_dims: the number of dimensions
 * @data: (array length=n_data): the elements in row-major order
 * @n_data: the number of elements in @data; must equal the product of @shape
 * @error: return location for a #GError
 *
 * Creates an f32 tensor holding a copy of @data.
 *
 * Returns: (transfer full) (nullable): a new tensor
 *
 * Since: 1.0
 */
EigmlTensor *
eigml_tensor_new_from_floats (const gint64 *shape,
                              guint n_dims,
                              const float *data,
                              gsize n_data,
                              GError **error)
{
  g_autoptr (EigmlTensor) self = tensor_alloc (EIGML_DTYPE_F32, shape, n_dims, error);

  if (self == NULL)
    return NULL;
  if (!eigml_tensor_set_floats (self, data, n_data, error))
    return NULL;
  return g_steal_pointer (&self);
}

/**
 * eigml_tensor_new_from_ints:
 * @shape: (array length=n_dims): the size of each dimension
 * @n_dims: the number of dimensions
 * @data: (array length=n_data): the elements in row-major order
 * @n_data: the number of elements in @data; must equal the product of @shape
 * @error: return location for a #GError
 *
 * Creates an i32 tensor holding a copy of @data.
 *
 * Returns: (transfer full) (nullable): a new tensor
 *
 * Since: 1.0
 */
EigmlTensor *
eigml_tensor_new_from_ints (const gint64 *shape,
                            guint n_dims,
                            const gint32 *data,
                            gsize n_data,
                            GError **error)
{
  g_autoptr (EigmlTensor) self = tensor_alloc (EIGML_DTYPE_I32, shape, n_dims, error);

  if (self == NULL)
    return NULL;
  if ((gint64) n_data != self->n_elements)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE,
                   "got %" G_GSIZE_FORMAT " values for a tensor of %" G_GINT64_FORMAT " elements",
                   n_data, self->n_elements);
      return NULL;
    }
  if (n_data > 0)
    memcpy (self->data, data, n_data * sizeof (gint32));
  return g_steal_pointer (&self);
}

/**
 * eigml_tensor_new_from_bytes:
 * @dtype: the element type
 * @shape: (array length=n_dims): the size of each dimension
 * @n_dims: the number of dimensions
 * @bytes: the elements in row-major order, in host byte order
 * @error: return location for a #GError
 *
 * Creates a tensor holding a copy of @bytes, whose size must be the number of
 * elements times the size of @dtype.
 *
 * Returns: (transfer full) (nullable): a new tensor
 *
 * Since: 1.0
 */
EigmlTensor *
eigml_tensor_new_from_bytes (EigmlDType dtype,
                             const gint64 *shape,
                             guint n_dims,
                             GBytes *bytes,
                             GError **error)
{
  g_autoptr (EigmlTensor) self = tensor_alloc (dtype, shape, n_dims, error);

  if (self == NULL)
    return NULL;
  if (!eigml_tensor_set_bytes (self, bytes, error))
    return NULL;
  return g_steal_pointer (&self);
}

/**
 * eigml_tensor_get_dtype:
 * @self: a tensor
 *
 * Returns: the element type of @self
 *
 * Since: 1.0
 */
EigmlDType
eigml_tensor_get_dtype (EigmlTensor *self)
{
  g_return_val_if_fail (EIGML_IS_TENSOR (self), EIGML_DTYPE_F32);
  return self->dtype;
}

/**
 * eigml_tensor_get_n_dims:
 * @self: a tensor
 *
 * Returns: the number of dimensions of @self
 *
 * Since: 1.0
 */
guint
eigml_tensor_get_n_dims (EigmlTensor *self)
{
  g_return_val_if_fail (EIGML_IS_TENSOR (self), 0);
  return self->n_dims;
}

/**
 * eigml_tensor_get_shape:
 * @self: a tensor
 * @n_dims: (out) (optional): return location for the number of dimensions
 *
 * Returns: (array length=n_dims) (transfer none): the size of each dimension
 *
 * Since: 1.0
 */
const gint64 *
eigml_tensor_get_shape (EigmlTensor *self,
                        guint *n_dims)
{
  g_return_val_if_fail (EIGML_IS_TENSOR (self), NULL);
  if (n_dims)
    *n_dims = self->n_dims;
  return self->shape;
}

/**
 * eigml_tensor_get_dim:
 * @self: a tensor
 * @axis: a dimension index; negative values are not accepted
 *
 * Returns: the size of dimension @axis, or 0 if @axis is out of range
 *
 * Since: 1.0
 */
gint64
eigml_tensor_get_dim (EigmlTensor *self,
                      guint axis)
{
  g_return_val_if_fail (EIGML_IS_TENSOR (self), 0);
  if (axis >= self->n_dims)
    return 0;
  return self->shape[axis];
}

/**
 * eigml_tensor_get_n_elements:
 * @self: a tensor
 *
 * Returns: the number of elements of @self
 *
 * Since: 1.0
 */
gint64
eigml_tensor_get_n_elements (EigmlTensor *self)
{
  g_return_val_if_fail (EIGML_IS_TENSOR (self), 0);
  return self->n_elements;
}

/**
 * eigml_tensor_get_n_bytes:
 * @self: a tensor
 *
 * Returns: the size of the data of @self in bytes
 *
 * Since: 1.0
 */
gsize
eigml_tensor_get_n_bytes (EigmlTensor *self)
{
  g_return_val_if_fail (EIGML_IS_TENSOR (self), 0);
  return (gsize) self->n_elements * eigml_dtype_get_size (self->dtype);
}

/**
 * eigml_tensor_get_bytes:
 * @self: a tensor
 *
 * Returns: (transfer full): a copy of the data of @self, in host byte order
 *
 * Since: 1.0
 */
GBytes *
eigml_tensor_get_bytes (EigmlTensor *self)
{
  g_return_val_if_fail (EIGML_IS_TENSOR (self), NULL);
  return g_bytes_new (self->data, eigml_tensor_get_n_bytes (self));
}

/**
 * eigml_tensor_set_bytes:
 * @self: a tensor
 * @bytes: the new data; its size must be the size of @self
 * @error: return location for a #GError
 *
 * Replaces the data of @self.
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
eigml_tensor_set_bytes (EigmlTensor *self,
                        GBytes *bytes,
                        GError **error)
{
  gsize size;
  const void *data;

  g_return_val_if_fail (EIGML_IS_TENSOR (self), FALSE);
  g_return_val_if_fail (bytes != NULL, FALSE);

  data = g_bytes_get_data (bytes, &size);
  if (size != eigml_tensor_get_n_bytes (self))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE,
                   "got %" G_GSIZE_FORMAT " bytes for a %s tensor of %" G_GINT64_FORMAT
                   " elements (%" G_GSIZE_FORMAT " bytes expected)",
                   size, eigml_dtype_get_name (self->dtype), self->n_elements,
                   eigml_tensor_get_n_bytes (self));
      return FALSE;
    }
  if (size > 0)
    memcpy (self->data, data, size);
  return TRUE;
}

/**
 * eigml_tensor_dup_floats:
 * @self: a tensor
 * @n_data: (out): return location for the number of elements
 * @error: return location for a #GError
 *
 * Copies the elements out as 32-bit floats; f16 data is converted. An i32
 * tensor is an %EIGML_ERROR_DTYPE error (use eigml_tensor_dup_ints()).
 *
 * Returns: (array length=n_data) (transfer full) (nullable): the elements
 *
 * Since: 1.0
 */
float *
eigml_tensor_dup_floats (EigmlTensor *self,
                         gsize *n_data,
                         GError **error)
{
  float *out;

  g_return_val_if_fail (EIGML_IS_TENSOR (self), NULL);
  g_return_val_if_fail (n_data != NULL, NULL);

  *n_data = 0;
  if (self->dtype == EIGML_DTYPE_I32)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_DTYPE,
                   "tensor holds i32 values, not floats");
      return NULL;
    }
  out = g_new (float, MAX (1, self->n_elements));
  if (self->dtype == EIGML_DTYPE_F32)
    memcpy (out, self->data, (gsize) self->n_elements * sizeof (float));
  else
    {
      const guint16 *h = (const guint16 *) self->data;
      for (gint64 i = 0; i < self->n_elements; i++)
        out[i] = eigml_half_to_float (h[i]);
    }
  *n_data = self->n_elements;
  return out;
}

/**
 * eigml_tensor_set_floats:
 * @self: a tensor
 * @data: (array length=n_data): the elements in row-major order
 * @n_data: the number of elements; must equal the number of elements of @self
 * @error: return location for a #GError
 *
 * Replaces the data of an f32 or f16 tensor (f16 is rounded to nearest even).
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
eigml_tensor_set_floats (EigmlTensor *self,
                         const float *data,
                         gsize n_data,
                         GError **error)
{
  g_return_val_if_fail (EIGML_IS_TENSOR (self), FALSE);

  if (self->dtype == EIGML_DTYPE_I32)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_DTYPE,
                   "cannot store floats in an i32 tensor");
      return FALSE;
    }
  if ((gint64) n_data != self->n_elements)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE,
                   "got %" G_GSIZE_FORMAT " values for a tensor of %" G_GINT64_FORMAT " elements",
                   n_data, self->n_elements);
      return FALSE;
    }
  if (self->dtype == EIGML_DTYPE_F32)
    {
      if (n_data > 0)
        memcpy (self->data, data, n_data * sizeof (float));
    }
  else
    {
      guint16 *h = (guint16 *) self->data;
      for (gsize i = 0; i < n_data; i++)
        h[i] = eigml_float_to_half (data[i]);
    }
  return TRUE;
}

/**
 * eigml_tensor_dup_ints:
 * @self: an i32 tensor
 * @n_data: (out): return location for the number of elements
 * @error: return location for a #GError
 *
 * Returns: (array length=n_data) (transfer full) (nullable): a copy of the elements
 *
 * Since: 1.0
 */
gint32 *
eigml_tensor_dup_ints (EigmlTensor *self,
                       gsize *n_data,
                       GError **error)
{
  g_return_val_if_fail (EIGML_IS_TENSOR (self), NULL);
  g_return_val_if_fail (n_data != NULL, NULL);

  *n_data = 0;
  if (self->dtype != EIGML_DTYPE_I32)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_DTYPE,
                   "tensor holds %s values, not i32", eigml_dtype_get_name (self->dtype));
      return NULL;
    }
  *n_data = self->n_elements;
  return g_memdup2 (self->data, MAX (1, (gsize) self->n_elements * sizeof (gint32)));
}

/**
 * eigml_tensor_reshape:
 * @self: a tensor
 * @shape: (array length=n_dims): the new shape
 * @n_dims: the number of dimensions
 * @error: return location for a #GError
 *
 * Gives @self a new shape with the same number of elements; the data is untouched.
 *
 * Returns: %TRUE on success
 *
 * Since: 1.0
 */
gboolean
eigml_tensor_reshape (EigmlTensor *self,
                      const gint64 *shape,
                      guint n_dims,
                      GError **error)
{
  gint64 n;

  g_return_val_if_fail (EIGML_IS_TENSOR (self), FALSE);
  if (!eigml_shape_validate (shape, n_dims, &n, error))
    return FALSE;
  if (n != self->n_elements)
    {
      g_autofree char *want = eigml_shape_to_string (shape, n_dims);
      g_autofree char *have = eigml_shape_to_string (self->shape, self->n_dims);
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE,
                   "cannot reshape %s (%" G_GINT64_FORMAT " elements) to %s (%" G_GINT64_FORMAT
                   " elements)", have, self->n_elements, want, n);
      return FALSE;
    }
  self->n_dims = n_dims;
  for (guint i = 0; i < n_dims; i++)
    self->shape[i] = shape[i];
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_N_DIMS]);
  return TRUE;
}

/**
 * eigml_tensor_describe:
 * @self: a tensor
 *
 * Returns: (transfer full): a short description such as "f32[2, 3]"
 *
 * Since: 1.0
 */
char *
eigml_tensor_describe (EigmlTensor *self)
{
  g_autofree char *shape = NULL;

  g_return_val_if_fail (EIGML_IS_TENSOR (self), NULL);
  shape = eigml_shape_to_string (self->shape, self->n_dims);
  return g_strdup_printf ("%s%s", eigml_dtype_get_name (self->dtype), shape);
}

char *
eigml_shape_to_string (const gint64 *shape,
                       guint n_dims)
{
  GString *s = g_string_new ("[");

  for (guint i = 0; i < n_dims; i++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i ? ", " : "", shape[i]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

const void *
eigml_tensor_peek_data (EigmlTensor *self)
{
  g_return_val_if_fail (EIGML_IS_TENSOR (self), NULL);
  return self->data;
}

void *
eigml_tensor_peek_data_mutable (EigmlTensor *self)
{
  g_return_val_if_fail (EIGML_IS_TENSOR (self), NULL);
  return self->data;
}
