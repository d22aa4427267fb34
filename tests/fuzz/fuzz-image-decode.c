/* fuzz-image-decode.c: libFuzzer target for decoding images from memory
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The whole path of eigml_image_decode_bytes(): format sniffing, the
 * container checks, the size guard, gdk-pixbuf's PNG, JPEG, GIF and WebP
 * loaders (not instrumented unless built so, but run under ASan), alpha
 * compositing, and the .npy parser. Any input either decodes to exactly
 * width * height * 3 bytes within the limits or fails with an EIGML_ERROR
 * naming the data. Dictionary: image.dict.
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
  GBytes *bytes = g_bytes_new_static (data, size);
  GError *error = NULL;
  guint width = 0, height = 0;
  GBytes *rgb = eigml_image_decode (bytes, "fuzz-image", &width, &height, &error);

  if (rgb != NULL)
    {
      g_assert_no_error (error);
      g_assert_true (width > 0 && height > 0);
      g_assert_cmpuint ((guint64) width * height, <=, EIGML_IMAGE_MAX_PIXELS);
      g_assert_cmpuint (g_bytes_get_size (rgb), ==, (gsize) width * height * 3);
      g_bytes_unref (rgb);
    }
  else
    {
      g_assert_nonnull (error);
      g_assert_true (error->domain == EIGML_ERROR);
      g_assert_nonnull (g_strstr_len (error->message, -1, "fuzz-image"));
      g_clear_error (&error);
    }
  g_bytes_unref (bytes);
  return 0;
}
