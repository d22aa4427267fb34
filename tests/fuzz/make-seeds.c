/* make-seeds.c: writes the fuzz targets' seed corpora
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   make-seeds FILE...   each FILE's base name says what to write into it
 *
 * The seeds are the valid files the unit tests use (weights-testlib.c):
 * generated at build time, so no binary file is committed.
 */
#include "config.h"

#include "weights-testlib.h"

#include <stdio.h>
#include <string.h>

static GByteArray *
seed_for (const char *name)
{
  static const float floats[6] = { 1.5f, -2.25f, 3.0f, 0.125f, -0.5f, 1e-3f };
  static const guint8 mixed[] = {
    0x00, 0x3c, 0x00, 0xc0, 0x80, 0x3f, 0xa0, 0xc0, 0xf9, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0x01, 0x00, 0xff, 0x80,
  };

  if (strcmp (name, "seed-safetensors-f32.bin") == 0)
    return build_safetensors ("{\"__metadata__\":{\"format\":\"pt\"},"
                              "\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
                              "\"b\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[16,20]},"
                              "\"c\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[20,24]}}",
                              floats, sizeof floats);
  if (strcmp (name, "seed-safetensors-mixed.bin") == 0)
    return build_safetensors ("{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
                              "\"bf\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[4,8]},"
                              "\"l\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[8,16]},"
                              "\"b\":{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[16,18]},"
                              "\"u\":{\"dtype\":\"U8\",\"shape\":[2,1],\"data_offsets\":[18,20]}}",
                              mixed, sizeof mixed);
  if (strcmp (name, "seed-zip-checkpoint.bin") == 0)
    return build_reference_checkpoint_zip ();
  if (strcmp (name, "seed-zip-zip64.bin") == 0)
    return build_reference_checkpoint_zip64 ();
  if (strcmp (name, "seed-zip-legacy.bin") == 0)
    return build_reference_checkpoint_legacy ();
  if (strcmp (name, "seed-pickle-reference.pkl") == 0)
    return build_reference_pickle (FALSE);
  if (strcmp (name, "seed-pickle-protocol4.pkl") == 0)
    return build_protocol4_pickle ();
  return NULL;
}

int
main (int argc,
      char **argv)
{
  for (int i = 1; i < argc; i++)
    {
      g_autofree char *base = g_path_get_basename (argv[i]);
      g_autoptr (GByteArray) seed = seed_for (base);
      g_autoptr (GError) error = NULL;

      if (seed == NULL)
        {
          fprintf (stderr, "make-seeds: no seed called %s\n", base);
          return 1;
        }
      if (!g_file_set_contents (argv[i], (const char *) seed->data, seed->len, &error))
        {
          fprintf (stderr, "make-seeds: %s\n", error->message);
          return 1;
        }
    }
  return 0;
}
