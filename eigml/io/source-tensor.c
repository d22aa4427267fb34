/* source-tensor.c: bounds checks and conversion of stored tensors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "source-tensor.h"
#include "eigml-error.h"
#include "eigml-tensor-private.h"
#include "engine/half.h"

#include <string.h>

typedef struct
{
  const char *safetensors_name;
  const char *description;
  guint8 size;
  gboolean supported;
  EigmlDType target;
} SourceDTypeInfo;

static const SourceDTypeInfo source_dtypes[EIGML_SOURCE_N_TYPES] = {
  [EIGML_SOURCE_F32] = { "F32", "float32", 4, TRUE, EIGML_DTYPE_F32 },
  [EIGML_SOURCE_F16] = { "F16", "float16", 2, TRUE, EIGML_DTYPE_F32 },
  [EIGML_SOURCE_BF16] = { "BF16", "bfloat16", 2, TRUE, EIGML_DTYPE_F32 },
  [EIGML_SOURCE_F64] = { "F64", "float64", 8, FALSE, EIGML_DTYPE_F32 },
  [EIGML_SOURCE_I64] = { "I64", "int64", 8, TRUE, EIGML_DTYPE_I32 },
  [EIGML_SOURCE_I32] = { "I32", "int32", 4, TRUE, EIGML_DTYPE_I32 },
  [EIGML_SOURCE_I16] = { "I16", "int16", 2, TRUE, EIGML_DTYPE_I32 },
  [EIGML_SOURCE_I8] = { "I8", "int8", 1, TRUE, EIGML_DTYPE_I32 },
  [EIGML_SOURCE_U8] = { "U8", "uint8", 1, TRUE, EIGML_DTYPE_I32 },
  [EIGML_SOURCE_BOOL] = { "BOOL", "bool", 1, TRUE, EIGML_DTYPE_I32 },
  [EIGML_SOURCE_U16] = { "U16", "uint16", 2, TRUE, EIGML_DTYPE_I32 },
  [EIGML_SOURCE_U32] = { "U32", "uint32", 4, FALSE, EIGML_DTYPE_I32 },
  [EIGML_SOURCE_U64] = { "U64", "uint64", 8, FALSE, EIGML_DTYPE_I32 },
  [EIGML_SOURCE_F8_E4M3] = { "F8_E4M3", "float8_e4m3fn", 1, FALSE, EIGML_DTYPE_F32 },
  [EIGML_SOURCE_F8_E5M2] = { "F8_E5M2", "float8_e5m2", 1, FALSE, EIGML_DTYPE_F32 },
};

gsize
eigml_source_dtype_size (EigmlSourceDType dtype)
{
  g_return_val_if_fail (dtype < EIGML_SOURCE_N_TYPES, 0);
  return source_dtypes[dtype].size;
}

const char *
eigml_source_dtype_safetensors_name (EigmlSourceDType dtype)
{
  g_return_val_if_fail (dtype < EIGML_SOURCE_N_TYPES, "?");
  return source_dtypes[dtype].safetensors_name;
}

gboolean
eigml_source_dtype_from_safetensors (const char *name,
                                     EigmlSourceDType *dtype)
{
  for (guint i = 0; i < EIGML_SOURCE_N_TYPES; i++)
    if (strcmp (name, source_dtypes[i].safetensors_name) == 0)
      {
        *dtype = i;
        return TRUE;
      }
  return FALSE;
}

void
eigml_source_tensor_set_contiguous (EigmlSourceTensor *view)
{
  gint64 stride = 1;

  for (guint i = view->n_dims; i-- > 0;)
    {
      view->strides[i] = stride;
      /* Overflow is caught by the bounds check, which sees an impossible
       * extent; saturate so the product stays defined. */
      if (view->shape[i] > 0 && stride > G_MAXINT64 / view->shape[i])
        stride = G_MAXINT64;
      else
        stride *= MAX (view->shape[i], 1);
    }
}

/* Checks that every element the view can address lies inside its storage. */
gboolean
eigml_source_tensor_check_bounds (const EigmlSourceTensor *view,
                                  GError **error)
{
  gsize esize = eigml_source_dtype_size (view->dtype);
  guint64 n_storage = view->data_size / esize;
  guint64 last = (guint64) view->offset;

  if (view->n_dims > EIGML_SOURCE_MAX_DIMS)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: tensor '%s': shape: expected at most %d dimensions, got %u",
                   view->file, view->name, EIGML_SOURCE_MAX_DIMS, view->n_dims);
      return FALSE;
    }
  if (view->offset < 0)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: tensor '%s': storage offset: expected >= 0, got %" G_GINT64_FORMAT,
                   view->file, view->name, view->offset);
      return FALSE;
    }
  for (guint i = 0; i < view->n_dims; i++)
    {
      if (view->shape[i] < 0)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s: tensor '%s': shape[%u]: expected >= 0, got %" G_GINT64_FORMAT,
                       view->file, view->name, i, view->shape[i]);
          return FALSE;
        }
      if (view->strides[i] < 0)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s: tensor '%s': stride[%u]: expected >= 0, got %" G_GINT64_FORMAT,
                       view->file, view->name, i, view->strides[i]);
          return FALSE;
        }
      if (view->shape[i] == 0)
        return TRUE; /* an empty view addresses nothing */
    }
  for (guint i = 0; i < view->n_dims; i++)
    {
      guint64 step;
      if (__builtin_mul_overflow ((guint64) (view->shape[i] - 1), (guint64) view->strides[i],
                                  &step)
          || __builtin_add_overflow (last, step, &last))
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s: tensor '%s': shape and strides overflow 64 bits at dimension %u",
                       view->file, view->name, i);
          return FALSE;
        }
    }
  if (last >= n_storage)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: tensor '%s': reaches element %" G_GUINT64_FORMAT
                   " of its storage; expected below the storage size %" G_GUINT64_FORMAT
                   " elements (%" G_GSIZE_FORMAT " bytes of %s)",
                   view->file, view->name, last, n_storage, view->data_size,
                   source_dtypes[view->dtype].description);
      return FALSE;
    }
  return TRUE;
}

/* Checks that the view can become an EigmlTensor and says how many bytes
 * that takes. A view may not hold more elements than its storage: that rules
 * out expanded (zero-stride) views, whose copies a hostile file could make
 * arbitrarily large. */
gboolean
eigml_source_tensor_output_size (const EigmlSourceTensor *view,
                                 gsize *n_bytes,
                                 GError **error)
{
  const SourceDTypeInfo *info = &source_dtypes[view->dtype];
  guint64 n = 1;
  guint64 n_storage = view->data_size / info->size;

  if (!info->supported)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_UNSUPPORTED,
                   "%s: tensor '%s': dtype %s (%s) is not supported; expected F32, F16, BF16 "
                   "(read as f32) or an integer type that fits i32",
                   view->file, view->name, info->safetensors_name, info->description);
      return FALSE;
    }
  if (view->n_dims > EIGML_TENSOR_MAX_DIMS)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE,
                   "%s: tensor '%s': expected at most %d dimensions, got %u",
                   view->file, view->name, EIGML_TENSOR_MAX_DIMS, view->n_dims);
      return FALSE;
    }
  for (guint i = 0; i < view->n_dims; i++)
    if (view->shape[i] == 0)
      {
        g_autofree char *shape = eigml_shape_to_string (view->shape, view->n_dims);
        g_set_error (error, EIGML_ERROR, EIGML_ERROR_UNSUPPORTED,
                     "%s: tensor '%s': shape %s has no elements; EigmlTensor cannot hold "
                     "an empty tensor", view->file, view->name, shape);
        return FALSE;
      }
  for (guint i = 0; i < view->n_dims; i++)
    {
      n *= (guint64) view->shape[i]; /* bounded by the storage check below */
      if (n > n_storage)
        break;
    }
  if (n > n_storage)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: tensor '%s': has more elements than its storage holds (%" G_GUINT64_FORMAT
                   "); expanded views that repeat elements are not supported",
                   view->file, view->name, n_storage);
      return FALSE;
    }
  *n_bytes = (gsize) n * eigml_dtype_get_size (info->target);
  return TRUE;
}

/* Converts @n elements @stride apart into @dst (f32 or i32), @index being
 * the position of the first one in the output, for messages. */
static gboolean
convert_run (const EigmlSourceTensor *view,
             const guint8 *src,
             gint64 stride,
             gint64 n,
             void *dst,
             gint64 index,
             GError **error)
{
  gsize step = (gsize) stride * source_dtypes[view->dtype].size;
  float *f = dst;
  gint32 *d = dst;

  switch (view->dtype)
    {
    case EIGML_SOURCE_F32:
    case EIGML_SOURCE_I32:
      if (stride == 1 && G_BYTE_ORDER == G_LITTLE_ENDIAN)
        {
          memcpy (dst, src, (gsize) n * 4);
          return TRUE;
        }
      for (gint64 i = 0; i < n; i++, src += step)
        {
          guint32 v;
          memcpy (&v, src, 4);
          v = GUINT32_FROM_LE (v);
          memcpy (&d[i], &v, 4);
        }
      return TRUE;
    case EIGML_SOURCE_F16:
      for (gint64 i = 0; i < n; i++, src += step)
        {
          guint16 h;
          memcpy (&h, src, 2);
          f[i] = eigml_half_to_float (GUINT16_FROM_LE (h));
        }
      return TRUE;
    case EIGML_SOURCE_BF16:
      for (gint64 i = 0; i < n; i++, src += step)
        {
          guint16 h;
          guint32 bits;
          memcpy (&h, src, 2);
          bits = (guint32) GUINT16_FROM_LE (h) << 16;
          memcpy (&f[i], &bits, 4);
        }
      return TRUE;
    case EIGML_SOURCE_I64:
      for (gint64 i = 0; i < n; i++, src += step)
        {
          guint64 u;
          gint64 v;
          memcpy (&u, src, 8);
          v = (gint64) GUINT64_FROM_LE (u);
          if (v < G_MININT32 || v > G_MAXINT32)
            {
              g_set_error (error, EIGML_ERROR, EIGML_ERROR_OUT_OF_RANGE,
                           "%s: tensor '%s': element %" G_GINT64_FORMAT ": expected a value in "
                           "the i32 range [%d, %d], got %" G_GINT64_FORMAT
                           " (int64 tensors are read as i32 only when every value fits)",
                           view->file, view->name, index + i, G_MININT32, G_MAXINT32, v);
              return FALSE;
            }
          d[i] = (gint32) v;
        }
      return TRUE;
    case EIGML_SOURCE_I16:
      for (gint64 i = 0; i < n; i++, src += step)
        {
          guint16 u;
          memcpy (&u, src, 2);
          d[i] = (gint16) GUINT16_FROM_LE (u);
        }
      return TRUE;
    case EIGML_SOURCE_U16:
      for (gint64 i = 0; i < n; i++, src += step)
        {
          guint16 u;
          memcpy (&u, src, 2);
          d[i] = GUINT16_FROM_LE (u);
        }
      return TRUE;
    case EIGML_SOURCE_I8:
      for (gint64 i = 0; i < n; i++, src += step)
        d[i] = (gint8) *src;
      return TRUE;
    case EIGML_SOURCE_U8:
      for (gint64 i = 0; i < n; i++, src += step)
        d[i] = *src;
      return TRUE;
    case EIGML_SOURCE_BOOL:
      for (gint64 i = 0; i < n; i++, src += step)
        d[i] = *src != 0;
      return TRUE;
    default:
      g_assert_not_reached ();
    }
}

/**
 * eigml_source_tensor_materialize:
 * @view: a view whose @data stays valid during the call
 * @error: return location for a #GError
 *
 * Copies the view into a new contiguous tensor: floating types become f32,
 * integer types i32. Every bound is checked before anything is read.
 */
EigmlTensor *
eigml_source_tensor_materialize (const EigmlSourceTensor *view,
                                 GError **error)
{
  const SourceDTypeInfo *info = &source_dtypes[view->dtype];
  g_autoptr (EigmlTensor) tensor = NULL;
  g_autoptr (GError) local_error = NULL;
  gsize out_bytes, out_esize;
  gint64 idx[EIGML_TENSOR_MAX_DIMS] = { 0 };
  gint64 inner, inner_stride, n_rows = 1;
  guint8 *dst;
  guint outer_dims;

  if (!eigml_source_tensor_check_bounds (view, error)
      || !eigml_source_tensor_output_size (view, &out_bytes, error))
    return NULL;

  tensor = eigml_tensor_new (info->target, view->shape, view->n_dims, &local_error);
  if (tensor == NULL)
    {
      g_set_error (error, local_error->domain, local_error->code, "%s: tensor '%s': %s",
                   view->file, view->name, local_error->message);
      return NULL;
    }
  dst = eigml_tensor_peek_data_mutable (tensor);
  out_esize = eigml_dtype_get_size (info->target);

  /* Collapse to rows along the innermost axis; a scalar is one row of one. */
  if (view->n_dims == 0)
    {
      inner = 1;
      inner_stride = 1;
      outer_dims = 0;
    }
  else
    {
      inner = view->shape[view->n_dims - 1];
      inner_stride = view->strides[view->n_dims - 1];
      outer_dims = view->n_dims - 1;
    }
  for (guint i = 0; i < outer_dims; i++)
    n_rows *= view->shape[i];

  for (gint64 row = 0; row < n_rows; row++)
    {
      gint64 src_offset = view->offset;
      for (guint i = 0; i < outer_dims; i++)
        src_offset += idx[i] * view->strides[i];
      if (!convert_run (view, view->data + (gsize) src_offset * info->size, inner_stride, inner,
                        dst + (gsize) (row * inner) * out_esize, row * inner, error))
        return NULL;
      /* advance the outer index, last outer axis fastest */
      for (guint i = outer_dims; i-- > 0;)
        {
          if (++idx[i] < view->shape[i])
            break;
          idx[i] = 0;
        }
    }
  return g_steal_pointer (&tensor);
}
