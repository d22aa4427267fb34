/* eigml-version-macros.h: symbol visibility and availability macros
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(__EIGML_H_INSIDE__) && !defined(EIGML_COMPILATION)
#error "Only <eigml/eigml.h> can be included directly."
#endif

#include <glib.h>

#ifndef _EIGML_EXTERN
# if defined(_WIN32) && defined(EIGML_COMPILATION)
#  define _EIGML_EXTERN __declspec(dllexport) extern
# elif defined(__GNUC__)
#  define _EIGML_EXTERN __attribute__((visibility ("default"))) extern
# else
#  define _EIGML_EXTERN extern
# endif
#endif

/**
 * EIGML_AVAILABLE_IN_ALL:
 *
 * Marks a symbol as part of the public ABI since the first release.
 */
#define EIGML_AVAILABLE_IN_ALL _EIGML_EXTERN

/**
 * EIGML_AVAILABLE_IN_1_0:
 *
 * Marks a symbol as available since Eigml 1.0.
 */
#define EIGML_AVAILABLE_IN_1_0 _EIGML_EXTERN
