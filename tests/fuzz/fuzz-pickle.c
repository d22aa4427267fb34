/* fuzz-pickle.c: libFuzzer target for the restricted unpickler
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The input is a data.pkl. Storages named by its persistent ids are served
 * from a zeroed buffer (up to 1 MiB), so that the whole path runs: opcodes,
 * globals, tensor rebuilds, the state-dict choice, bounds checks and the
 * conversion of every tensor.
 */
#include "config.h"

#include "io/torch.h"

#include <stdint.h>

#define MAX_STORAGE (1u << 20)

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static gboolean
resolve (const char *key,
         EigmlSourceDType dtype,
         gint64 numel,
         const guint8 **data,
         gsize *size,
         gpointer user_data,
         GError **error)
{
  static guint8 zeros[MAX_STORAGE];
  gsize esize = eigml_source_dtype_size (dtype);

  if (numel < 0 || (guint64) numel > MAX_STORAGE / esize)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOMEM, "storage '%s' too large for the fuzzer",
                   key);
      return FALSE;
    }
  *data = zeros;
  *size = (gsize) numel * esize;
  return TRUE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) tensors = NULL;

  tensors = eigml_torch_load_pickle (data, size, "fuzz", "data.pkl", resolve, NULL,
                                     16u << 20, &error);
  g_assert ((tensors == NULL) == (error != NULL));
  return 0;
}
