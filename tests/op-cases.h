/* op-cases.h: the op case families
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "op-harness.h"

extern const HarnessFamily op_cases_math[];
extern const HarnessFamily op_cases_nn[];
