/* weights-convert.c: the C side of tests/reference/test_weights.py
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   weights-convert IN OUT.safetensors
 *     loads IN with eigml_weights_load () and writes every tensor with
 *     eigml_weights_save_safetensors (); the script reads OUT with its own
 *     parser and compares it with what PyTorch holds, bit for bit.
 *   weights-convert --expect-error TEXT IN
 *     succeeds only if loading IN fails with an EIGML_ERROR containing TEXT.
 *   weights-convert --write-test-checkpoints DIR
 *     writes the checkpoints the C tests build byte by byte
 *     (tests/weights-testlib.c: zip, zip64, legacy) into DIR, for the
 *     script to check that torch.load reads them as the C tests expect.
 */
#include "config.h"

#include "eigml.h"
#include "weights-testlib.h"

#include <stdio.h>
#include <string.h>

int
main (int argc,
      char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlWeights) weights = NULL;

  if (argc == 4 && strcmp (argv[1], "--expect-error") == 0)
    {
      weights = eigml_weights_load (argv[3], &error);
      if (weights != NULL)
        {
          fprintf (stderr, "%s: loaded, but an error containing '%s' was expected\n", argv[3],
                   argv[2]);
          return 1;
        }
      printf ("%s\n", error->message);
      if (error->domain != EIGML_ERROR || strstr (error->message, argv[2]) == NULL)
        {
          fprintf (stderr, "expected an EIGML_ERROR containing '%s'\n", argv[2]);
          return 1;
        }
      return 0;
    }
  if (argc == 3 && strcmp (argv[1], "--write-test-checkpoints") == 0)
    {
      struct
      {
        const char *name;
        GByteArray *(*build) (void);
      } files[] = {
        { "c-zip.pt", build_reference_checkpoint_zip },
        { "c-zip64.pt", build_reference_checkpoint_zip64 },
        { "c-legacy.pt", build_reference_checkpoint_legacy },
      };
      for (guint i = 0; i < G_N_ELEMENTS (files); i++)
        {
          g_autoptr (GByteArray) bytes = files[i].build ();
          g_autofree char *path = g_build_filename (argv[2], files[i].name, NULL);
          if (!g_file_set_contents (path, (const char *) bytes->data, bytes->len, &error))
            {
              fprintf (stderr, "%s\n", error->message);
              return 1;
            }
        }
      return 0;
    }
  if (argc != 3)
    {
      fprintf (stderr, "usage: %s IN OUT.safetensors | --expect-error TEXT IN | "
               "--write-test-checkpoints DIR\n", argv[0]);
      return 2;
    }
  weights = eigml_weights_load (argv[1], &error);
  if (weights == NULL || !eigml_weights_save_safetensors (weights, argv[2], &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  printf ("%u tensors\n", eigml_weights_get_n_tensors (weights));
  return 0;
}
