/* eigml-context.h: a compute backend and its device
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(__EIGML_H_INSIDE__) && !defined(EIGML_COMPILATION)
#error "Only <eigml/eigml.h> can be included directly."
#endif

#include <gio/gio.h>
#include <eigml/eigml-version-macros.h>
#include <eigml/eigml-types.h>

G_BEGIN_DECLS

#define EIGML_TYPE_CONTEXT (eigml_context_get_type ())

EIGML_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EigmlContext, eigml_context, EIGML, CONTEXT, GObject)

EIGML_AVAILABLE_IN_ALL
EigmlContext *eigml_context_new (EigmlBackendKind backend,
                                 GCancellable *cancellable,
                                 GError **error);

EIGML_AVAILABLE_IN_ALL
EigmlBackendKind eigml_context_get_backend (EigmlContext *self);
EIGML_AVAILABLE_IN_ALL
const char *eigml_context_get_device_name (EigmlContext *self);
EIGML_AVAILABLE_IN_ALL
gboolean eigml_context_get_is_software (EigmlContext *self);

EIGML_AVAILABLE_IN_ALL
char **eigml_list_vulkan_devices (GError **error);

EIGML_AVAILABLE_IN_ALL
const char *eigml_backend_kind_to_string (EigmlBackendKind kind);
EIGML_AVAILABLE_IN_ALL
gboolean eigml_backend_kind_from_string (const char *name,
                                         EigmlBackendKind *kind,
                                         GError **error);

G_END_DECLS
