/* eigml-error.c: the Eigml error domain and dtype helpers
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "eigml-error.h"

/**
 * eigml_error_quark:
 *
 * Returns: the quark of the %EIGML_ERROR domain
 *
 * Since: 1.0
 */
G_DEFINE_QUARK (eigml-error-quark, eigml_error)

/**
 * eigml_dtype_get_name:
 * @dtype: an element type
 *
 * Returns: (transfer none): the short name of @dtype ("f32", "f16", "i32")
 *
 * Since: 1.0
 */
const char *
eigml_dtype_get_name (EigmlDType dtype)
{
  switch (dtype)
    {
    case EIGML_DTYPE_F32:
      return "f32";
    case EIGML_DTYPE_F16:
      return "f16";
    case EIGML_DTYPE_I32:
      return "i32";
    default:
      return "invalid";
    }
}

/**
 * eigml_dtype_get_size:
 * @dtype: an element type
 *
 * Returns: the size of one element of @dtype in bytes, or 0 if @dtype is invalid
 *
 * Since: 1.0
 */
gsize
eigml_dtype_get_size (EigmlDType dtype)
{
  switch (dtype)
    {
    case EIGML_DTYPE_F32:
    case EIGML_DTYPE_I32:
      return 4;
    case EIGML_DTYPE_F16:
      return 2;
    default:
      return 0;
    }
}
