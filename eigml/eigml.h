/* eigml.h: the single public header of libeigml
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#define __EIGML_H_INSIDE__

#include <eigml/eigml-version-macros.h>
#include <eigml/eigml-version.h>
#include <eigml/eigml-types.h>
#include <eigml/eigml-enum-types.h>
#include <eigml/eigml-error.h>
#include <eigml/eigml-context.h>
#include <eigml/eigml-dataset.h>
#include <eigml/eigml-emotion-annotator.h>
#include <eigml/eigml-tensor.h>
#include <eigml/eigml-encoder.h>
#include <eigml/eigml-text-encoder.h>
#include <eigml/eigml-image-encoder.h>
#include <eigml/eigml-image-processor.h>
#include <eigml/eigml-intent-source.h>
#include <eigml/eigml-model.h>
#include <eigml/eigml-sticker-library.h>
#include <eigml/eigml-selection.h>
#include <eigml/eigml-ranker.h>
#include <eigml/eigml-trainer.h>
#include <eigml/eigml-metrics.h>
#include <eigml/eigml-tokenizer.h>
#include <eigml/eigml-weights.h>

#undef __EIGML_H_INSIDE__
