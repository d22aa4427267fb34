/* eigml-error.h: the Eigml error domain
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(__EIGML_H_INSIDE__) && !defined(EIGML_COMPILATION)
#error "Only <eigml/eigml.h> can be included directly."
#endif

#include <glib.h>
#include <eigml/eigml-version-macros.h>
#include <eigml/eigml-types.h>

G_BEGIN_DECLS

/**
 * EIGML_ERROR:
 *
 * The error domain of Eigml; codes are #EigmlError values.
 *
 * Since: 1.0
 */
#define EIGML_ERROR (eigml_error_quark ())

EIGML_AVAILABLE_IN_ALL
GQuark eigml_error_quark (void);

EIGML_AVAILABLE_IN_ALL
const char *eigml_dtype_get_name (EigmlDType dtype);

EIGML_AVAILABLE_IN_ALL
gsize eigml_dtype_get_size (EigmlDType dtype);

G_END_DECLS
