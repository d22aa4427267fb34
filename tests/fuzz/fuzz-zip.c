/* fuzz-zip.c: libFuzzer target for the zip directory and torch.save archives
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The input is a whole file. The directory is parsed, every member's data
 * read (with its CRC checked), then the file is loaded as a checkpoint
 * (data.pkl, storages, tensors), so the zip layer and what follows it are
 * both exercised. Legacy (non-zip) torch.save inputs reach that loader too.
 */
#include "config.h"

#include "io/torch.h"
#include "io/zip.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlZipArchive) zip = eigml_zip_open (data, size, "fuzz", &error);
  g_autoptr (GHashTable) tensors = NULL;

  g_assert ((zip == NULL) == (error != NULL));
  g_clear_error (&error);
  for (guint i = 0; zip != NULL && i < eigml_zip_get_n_members (zip); i++)
    {
      const EigmlZipMember *member = eigml_zip_get_member (zip, i);
      const guint8 *bytes;
      gsize n;
      if (eigml_zip_member_data (zip, member, TRUE, &bytes, &n, &error))
        {
          /* touch every byte, so ASan sees any read past the input */
          volatile guint8 sum = 0;
          for (gsize b = 0; b < n; b++)
            sum ^= bytes[b];
          g_assert (eigml_zip_lookup (zip, member->name) == member);
        }
      g_clear_error (&error);
    }
  if (eigml_torch_is_candidate (data, size))
    {
      tensors = eigml_torch_load_data (data, size, "fuzz", &error);
      g_assert ((tensors == NULL) == (error != NULL));
    }
  return 0;
}
