/* eigml-context-private.h
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "eigml-context.h"
#include "engine/backend.h"

G_BEGIN_DECLS

EigmlBackend *eigml_context_get_backend_impl (EigmlContext *self);

G_END_DECLS
