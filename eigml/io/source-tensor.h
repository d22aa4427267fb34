/* source-tensor.h: a tensor as a weight file stores it, and its conversion
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Both weight readers (safetensors, PyTorch checkpoints) describe each
 * tensor as a strided view into bytes they have mapped: an element type as
 * the file spells it, a shape, strides and an offset, all in elements. One
 * function turns such a view into an EigmlTensor (f32 or i32), checking every
 * bound first, so the two readers share one conversion and one set of checks.
 */
#pragma once

#include <glib.h>
#include "eigml-tensor.h"

G_BEGIN_DECLS

/* Element types found in weight files; only some can become EigmlTensors. */
typedef enum
{
  EIGML_SOURCE_F32,
  EIGML_SOURCE_F16,
  EIGML_SOURCE_BF16,
  EIGML_SOURCE_F64,
  EIGML_SOURCE_I64,
  EIGML_SOURCE_I32,
  EIGML_SOURCE_I16,
  EIGML_SOURCE_I8,
  EIGML_SOURCE_U8,
  EIGML_SOURCE_BOOL,
  EIGML_SOURCE_U16,
  EIGML_SOURCE_U32,
  EIGML_SOURCE_U64,
  EIGML_SOURCE_F8_E4M3,
  EIGML_SOURCE_F8_E5M2,
  EIGML_SOURCE_N_TYPES
} EigmlSourceDType;

/* Most dimensions a source view may describe; EigmlTensor holds at most
 * EIGML_TENSOR_MAX_DIMS, and the conversion says so by name. */
#define EIGML_SOURCE_MAX_DIMS 16

typedef struct
{
  const char *file;        /* display name of the file, for messages */
  const char *name;        /* the tensor's name in the file */
  EigmlSourceDType dtype;
  const guint8 *data;      /* the storage the view reads */
  gsize data_size;         /* its size in bytes */
  guint n_dims;
  gint64 shape[EIGML_SOURCE_MAX_DIMS];
  gint64 strides[EIGML_SOURCE_MAX_DIMS]; /* in elements */
  gint64 offset;           /* in elements */
} EigmlSourceTensor;

gsize eigml_source_dtype_size (EigmlSourceDType dtype);
const char *eigml_source_dtype_safetensors_name (EigmlSourceDType dtype);
gboolean eigml_source_dtype_from_safetensors (const char *name,
                                              EigmlSourceDType *dtype);

void eigml_source_tensor_set_contiguous (EigmlSourceTensor *view);
gboolean eigml_source_tensor_check_bounds (const EigmlSourceTensor *view,
                                           GError **error);
gboolean eigml_source_tensor_output_size (const EigmlSourceTensor *view,
                                          gsize *n_bytes,
                                          GError **error);
EigmlTensor *eigml_source_tensor_materialize (const EigmlSourceTensor *view,
                                              GError **error);

G_END_DECLS
