/* fuzz-safetensors.c: libFuzzer target for the safetensors reader
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The input is a whole file: header length, JSON header, data. Every input
 * must give tensors or a GError; a crash, a hang, an out-of-bounds access
 * (ASan) or an allocation above -malloc_limit_mb fails the run.
 */
#include "config.h"

#include "io/safetensors.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) tensors = NULL;
  g_autoptr (EigmlSafetensorsHeader) header = NULL;

  header = eigml_safetensors_parse_header (data, size, "fuzz", &error);
  g_assert ((header == NULL) == (error != NULL));
  g_clear_error (&error);
  tensors = eigml_safetensors_load_data (data, size, "fuzz", &error);
  g_assert ((tensors == NULL) == (error != NULL));
  /* what parses must also survive being written out */
  if (tensors != NULL && header != NULL)
    g_assert (g_hash_table_size (tensors) == header->entries->len);
  return 0;
}
