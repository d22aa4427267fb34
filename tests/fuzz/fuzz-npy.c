/* fuzz-npy.c: libFuzzer target for the .npy header parser
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Any input either parses to a shape whose data fills the rest of the input
 * exactly, or fails with an EIGML_ERROR_FORMAT / OUT_OF_RANGE error that
 * names the file; anything else (a crash, an over-read caught by ASan, a
 * GError in another domain, a leak) is a finding. Dictionary: npy.dict.
 */
#include "config.h"

#include <stdint.h>

#include "data/image.h"
#include "eigml-error.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t size)
{
  GError *error = NULL;
  guint width = 0, height = 0;
  gsize offset = 0;

  if (eigml_image_npy_parse (data, size, "fuzz.npy", &width, &height, &offset, &error))
    {
      g_assert_no_error (error);
      g_assert_true (width > 0 && height > 0);
      g_assert_true (width <= EIGML_IMAGE_MAX_SIDE && height <= EIGML_IMAGE_MAX_SIDE);
      g_assert_true (offset <= size);
      g_assert_true (size - offset == (gsize) width * height * 3);
    }
  else
    {
      g_assert_nonnull (error);
      g_assert_true (g_error_matches (error, EIGML_ERROR, EIGML_ERROR_FORMAT) ||
                     g_error_matches (error, EIGML_ERROR, EIGML_ERROR_OUT_OF_RANGE));
      g_assert_nonnull (g_strstr_len (error->message, -1, "fuzz.npy"));
      g_clear_error (&error);
    }
  return 0;
}
