/* eigml-encode.c: `eigml encode` and `eigml convert`
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "eigml-tool.h"
#include <eigml/eigml.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

/* a model folder's file, or NULL */
static char *
in_folder (const char *folder,
           const char *name)
{
  char *path = g_build_filename (folder, name, NULL);

  if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return path;
  g_free (path);
  return NULL;
}

static void
print_vector_summary (const char *what,
                      const float *v,
                      gint64 n)
{
  double sum = 0.0, sumsq = 0.0;

  for (gint64 i = 0; i < n; i++)
    {
      sum += v[i];
      sumsq += (double) v[i] * v[i];
    }
  printf ("%s: %" G_GINT64_FORMAT " values, L2 norm %.4f, mean %.4f, std %.4f\n  [", what, n,
          sqrt (sumsq), sum / n, sqrt (MAX (0.0, sumsq / n - (sum / n) * (sum / n))));
  for (gint64 i = 0; i < MIN (n, 8); i++)
    printf ("%s%.4f", i ? ", " : "", v[i]);
  printf ("%s]\n", n > 8 ? ", ..." : "");
}

static gboolean
load_checkpoint (EigmlEncoder *encoder,
                 const char *path,
                 const char *prefix,
                 GError **error)
{
  g_autoptr (EigmlWeights) weights = eigml_weights_load (path, error);
  g_auto (GStrv) missing = NULL, unexpected = NULL;

  if (weights == NULL)
    return FALSE;
  if (!eigml_encoder_load_weights (encoder, weights, prefix, &missing, &unexpected, error))
    {
      g_prefix_error (error, "%s: ", path);
      return FALSE;
    }
  printf ("weights: %s (%u tensors; %u parameters not in the checkpoint, %u checkpoint tensors "
          "unused)\n", path, eigml_weights_get_n_tensors (weights), g_strv_length (missing),
          g_strv_length (unexpected));
  for (guint i = 0; missing[i] != NULL && i < 5; i++)
    printf ("  missing: %s\n", missing[i]);
  for (guint i = 0; unexpected[i] != NULL && i < 5; i++)
    printf ("  unused: %s\n", unexpected[i]);
  return TRUE;
}

static int
encode_text (EigmlContext *ctx,
             char **texts,
             const char *model,
             const char *config_path,
             const char *vocab_path,
             const char *prefix,
             int max_length)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlEncoderConfig) config = NULL;
  g_autoptr (EigmlTokenizer) tokenizer = NULL;
  g_autoptr (EigmlTextEncoder) encoder = NULL;
  g_autoptr (EigmlTensor) packed = NULL, ids = NULL, mask = NULL, types = NULL, hidden = NULL;
  g_autoptr (EigmlTensor) pooled = NULL;
  g_autofree char *config_file = NULL, *vocab_file = NULL, *weights_file = NULL;
  gboolean folder = model != NULL && g_file_test (model, G_FILE_TEST_IS_DIR);
  g_autofree gint32 *rows = NULL;
  gsize n_rows;
  gint64 len, n_tokens = 0;
  gint64 shape[2];

  config_file = g_strdup (config_path ? config_path : (folder ? in_folder (model, "config.json")
                                                              : NULL));
  vocab_file = g_strdup (vocab_path ? vocab_path : (folder ? in_folder (model, "vocab.txt")
                                                           : NULL));
  if (vocab_file == NULL)
    {
      fprintf (stderr, "eigml encode: a text needs a vocabulary: --model FOLDER (with vocab.txt) "
                       "or --vocab FILE\n");
      return 2;
    }
  config = config_file ? eigml_encoder_config_new_from_json (EIGML_ENCODER_TEXT, config_file,
                                                             &error)
                       : eigml_encoder_config_new (EIGML_ENCODER_TEXT);
  if (config == NULL)
    return eigml_tool_fail ("encode", error);
  tokenizer = folder && vocab_path == NULL ? eigml_tokenizer_new_from_folder (model, &error)
                                           : eigml_tokenizer_new_from_file (vocab_file, &error);
  if (tokenizer == NULL)
    return eigml_tool_fail ("encode", error);
  if (eigml_tokenizer_get_vocab_size (tokenizer) > config->vocab_size)
    {
      fprintf (stderr, "eigml encode: the vocabulary has %u tokens, the model %u\n",
               eigml_tokenizer_get_vocab_size (tokenizer), config->vocab_size);
      return 1;
    }
  encoder = eigml_text_encoder_new (ctx, config, &error);
  if (encoder == NULL)
    return eigml_tool_fail ("encode", error);
  if (model != NULL)
    {
      weights_file = folder ? in_folder (model, "model.safetensors") : g_strdup (model);
      if (weights_file == NULL && folder)
        weights_file = in_folder (model, "pytorch_model.bin");
      if (weights_file == NULL)
        {
          fprintf (stderr, "eigml encode: %s has neither model.safetensors nor "
                           "pytorch_model.bin\n", model);
          return 1;
        }
      if (!load_checkpoint (EIGML_ENCODER (encoder), weights_file, prefix, &error))
        return eigml_tool_fail ("encode", error);
    }
  else
    printf ("weights: none given, so random (the embedding says nothing yet)\n");

  len = MIN ((gint64) max_length, (gint64) config->max_positions);
  packed = eigml_tokenizer_encode_dialogue (tokenizer, (const char *const *) texts, NULL,
                                            (guint) len, EIGML_TRUNCATION_KEEP_RECENT, &error);
  if (packed == NULL)
    return eigml_tool_fail ("encode", error);
  rows = eigml_tensor_dup_ints (packed, &n_rows, &error);
  if (rows == NULL)
    return eigml_tool_fail ("encode", error);
  /* only the tokens: no padding for a single dialogue */
  while (n_tokens < len && rows[2 * len + n_tokens] != 0)
    n_tokens++;
  shape[0] = 1;
  shape[1] = n_tokens;
  ids = eigml_tensor_new_from_ints (shape, 2, rows, n_tokens, &error);
  types = eigml_tensor_new_from_ints (shape, 2, rows + len, n_tokens, &error);
  if (ids == NULL || types == NULL)
    return eigml_tool_fail ("encode", error);
  printf ("tokens (%" G_GINT64_FORMAT "):", n_tokens);
  for (gint64 i = 0; i < n_tokens && i < 40; i++)
    printf (" %s", eigml_tokenizer_id_to_token (tokenizer, rows[i]));
  printf ("%s\n", n_tokens > 40 ? " ..." : "");

  hidden = eigml_text_encoder_encode (encoder, ids, NULL, types, &pooled, &error);
  if (hidden == NULL)
    return eigml_tool_fail ("encode", error);
  {
    g_autofree char *desc = eigml_tensor_describe (hidden);
    gsize n;
    g_autofree float *h = eigml_tensor_dup_floats (hidden, &n, &error);
    printf ("hidden states: %s on %s\n", desc, eigml_context_get_device_name (ctx));
    print_vector_summary ("[CLS] state", h, config->hidden);
    if (pooled != NULL)
      {
        g_autofree float *p = eigml_tensor_dup_floats (pooled, &n, &error);
        print_vector_summary ("pooled", p, (gint64) n);
      }
  }
  return 0;
}

static int
encode_image (EigmlContext *ctx,
              const char *image,
              const char *model,
              const char *config_path,
              const char *prefix)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlEncoderConfig) config = NULL;
  g_autoptr (EigmlImageEncoder) encoder = NULL;
  g_autoptr (EigmlImageProcessor) processor = NULL;
  g_autoptr (EigmlTensor) pixels = NULL, batch = NULL, hidden = NULL;
  gint64 shape[4];
  gsize n;

  config = config_path ? eigml_encoder_config_new_from_json (EIGML_ENCODER_IMAGE, config_path,
                                                             &error)
                       : eigml_encoder_config_new (EIGML_ENCODER_IMAGE);
  if (config == NULL)
    return eigml_tool_fail ("encode", error);
  encoder = eigml_image_encoder_new (ctx, config, &error);
  if (encoder == NULL)
    return eigml_tool_fail ("encode", error);
  if (model != NULL)
    {
      if (!load_checkpoint (EIGML_ENCODER (encoder), model, prefix, &error))
        return eigml_tool_fail ("encode", error);
    }
  else
    printf ("weights: none given, so random (the embedding says nothing yet)\n");
  processor = eigml_image_processor_new (config->image_size);
  pixels = eigml_image_processor_load_file (processor, image, &error);
  if (pixels == NULL)
    return eigml_tool_fail ("encode", error);
  shape[0] = 1;
  shape[1] = config->channels;
  shape[2] = config->image_size;
  shape[3] = config->image_size;
  {
    g_autofree float *data = eigml_tensor_dup_floats (pixels, &n, &error);
    if (data == NULL)
      return eigml_tool_fail ("encode", error);
    batch = eigml_tensor_new_from_floats (shape, 4, data, n, &error);
    if (batch == NULL)
      return eigml_tool_fail ("encode", error);
  }
  hidden = eigml_image_encoder_encode (encoder, batch, &error);
  if (hidden == NULL)
    return eigml_tool_fail ("encode", error);
  {
    g_autofree char *desc = eigml_tensor_describe (hidden);
    g_autofree float *h = eigml_tensor_dup_floats (hidden, &n, &error);
    printf ("image: %s at %ux%u\nhidden states: %s on %s\n", image, config->image_size,
            config->image_size, desc, eigml_context_get_device_name (ctx));
    print_vector_summary ("[CLS] state", h, config->hidden);
  }
  return 0;
}

int
eigml_tool_encode (int argc,
                   char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GOptionContext) options = g_option_context_new ("- encode a dialogue or an image");
  g_auto (GStrv) texts = NULL;
  g_autofree char *image = NULL, *model = NULL, *config = NULL, *vocab = NULL, *prefix = NULL;
  g_autofree char *backend_name = NULL;
  int max_length = 128;
  GOptionEntry entries[] = {
    { "text", 't', 0, G_OPTION_ARG_STRING_ARRAY, &texts,
      "a turn of the dialogue (repeat for several, oldest first)", "TEXT" },
    { "image", 'i', 0, G_OPTION_ARG_FILENAME, &image, "an image (PNG, JPEG, GIF, WebP, .npy)",
      "FILE" },
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model,
      "a Hugging Face BERT folder (config.json, vocab.txt, weights) or a checkpoint file "
      "(safetensors, .bin, .pth such as ALBEF.pth)", "PATH" },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "the encoder's config.json", "FILE" },
    { "vocab", 'v', 0, G_OPTION_ARG_FILENAME, &vocab, "the tokenizer's vocab.txt", "FILE" },
    { "prefix", 0, 0, G_OPTION_ARG_STRING, &prefix,
      "the encoder's prefix in the checkpoint (found by itself otherwise)", "PREFIX" },
    { "max-length", 0, 0, G_OPTION_ARG_INT, &max_length, "tokens at most (default 128)", "N" },
    { "backend", 'b', 0, G_OPTION_ARG_STRING, &backend_name, "auto, cpu or vulkan", "NAME" },
    { NULL }
  };
  EigmlBackendKind backend = EIGML_BACKEND_AUTO;
  g_autoptr (EigmlContext) ctx = NULL;

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    return eigml_tool_fail ("encode", error);
  if ((texts == NULL) == (image == NULL))
    {
      fprintf (stderr, "eigml encode: give --text (one or more) or --image, not both\n");
      return 2;
    }
  if (max_length < 2 || max_length > 4096)
    {
      fprintf (stderr, "eigml encode: --max-length must be between 2 and 4096\n");
      return 2;
    }
  if (backend_name != NULL && !eigml_backend_kind_from_string (backend_name, &backend, &error))
    return eigml_tool_fail ("encode", error);
  ctx = eigml_context_new (backend, NULL, &error);
  if (ctx == NULL)
    return eigml_tool_fail ("encode", error);
  if (texts != NULL)
    return encode_text (ctx, texts, model, config, vocab, prefix, max_length);
  return encode_image (ctx, image, model, config, prefix);
}

int
eigml_tool_convert (int argc,
                    char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GOptionContext) options = g_option_context_new (
    "INPUT OUTPUT.safetensors - convert a checkpoint to safetensors");
  g_autofree char *only = NULL;
  GOptionEntry entries[] = {
    { "only", 0, 0, G_OPTION_ARG_STRING, &only,
      "keep only the tensors whose name starts with PREFIX (e.g. visual_encoder.)", "PREFIX" },
    { NULL }
  };
  g_autoptr (EigmlWeights) weights = NULL;
  g_auto (GStrv) names = NULL;
  guint kept = 0;
  gint64 values = 0;

  g_option_context_set_description (options,
                                    "INPUT is a safetensors file, a torch.save checkpoint (.bin, "
                                    ".pth, .pt) or a Hugging Face folder. Tensor names are kept. "
                                    "The output is written atomically.");
  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    return eigml_tool_fail ("convert", error);
  if (argc != 3)
    {
      fprintf (stderr, "Usage: eigml convert [--only PREFIX] INPUT OUTPUT.safetensors\n");
      return 2;
    }
  weights = eigml_weights_load (argv[1], &error);
  if (weights == NULL)
    return eigml_tool_fail ("convert", error);
  names = eigml_weights_get_names (weights);
  for (guint i = 0; names[i] != NULL; i++)
    {
      if (only != NULL && !g_str_has_prefix (names[i], only))
        {
          eigml_weights_remove (weights, names[i]);
          continue;
        }
      kept++;
      values += eigml_tensor_get_n_elements (eigml_weights_lookup (weights, names[i]));
    }
  if (kept == 0)
    {
      fprintf (stderr, "eigml convert: no tensor%s%s%s in %s\n", only ? " starts with '" : "",
               only ? only : "", only ? "'" : "", argv[1]);
      return 1;
    }
  if (!eigml_weights_save_safetensors (weights, argv[2], &error))
    return eigml_tool_fail ("convert", error);
  printf ("%s: %u tensors, %" G_GINT64_FORMAT " values -> %s\n", argv[1], kept, values, argv[2]);
  return 0;
}
