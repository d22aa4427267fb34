/* eigml.c: the eigml command line
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "eigml-tool.h"
#include "engine/backend.h"
#include <eigml/eigml.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct
{
  const char *name;
  int (*run) (int argc, char **argv);
  const char *summary;
} Command;

static const Command commands[] = {
  { "info", eigml_tool_info, "show the version, the backends and the Vulkan devices" },
  { "demo", eigml_tool_demo, "train a small transformer for a few steps on each backend" },
  { "bench", eigml_tool_bench, "measure matmul and a BERT-base layer against OpenBLAS and PyTorch" },
  { "vocab", eigml_tool_vocab, "build a WordPiece vocabulary; tokenize text with one" },
  { "encode", eigml_tool_encode, "encode a dialogue (BERT) or an image (ViT); print a summary" },
  { "convert", eigml_tool_convert, "convert a PyTorch checkpoint or HF folder to safetensors" },
  { "train", eigml_tool_train, "train the EIGML model from a config file" },
  { "eval", eigml_tool_eval, "evaluate a checkpoint (or a random model) on a dataset split" },
  { "select", eigml_tool_select, "rank a folder of stickers for a dialogue" },
};

static void
usage (FILE *out)
{
  fprintf (out, "Usage: eigml COMMAND [OPTION...]\n\nCommands:\n");
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-8s %s\n", commands[i].name, commands[i].summary);
  fprintf (out, "\nRun 'eigml COMMAND --help' for the options of a command.\n"
                "Environment: EIGML_BACKEND=auto|cpu|vulkan, EIGML_VULKAN_DEVICE=index|name.\n");
}

int
eigml_tool_fail (const char *command,
                 const GError *error)
{
  fprintf (stderr, "eigml %s: %s\n", command, error ? error->message : "failed");
  return 1;
}

int
main (int argc,
      char **argv)
{
  eigml_cpu_blas_reexec_if_generic (argv);
  setlocale (LC_ALL, "");
  if (argc < 2 || g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h") ||
      g_str_equal (argv[1], "help"))
    {
      usage (argc < 2 ? stderr : stdout);
      return argc < 2 ? 2 : 0;
    }
  if (g_str_equal (argv[1], "--version"))
    {
      printf ("eigml %s\n", EIGML_VERSION_S);
      return 0;
    }
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (argv[1], commands[i].name))
      return commands[i].run (argc - 1, argv + 1);
  fprintf (stderr, "eigml: unknown command '%s'\n\n", argv[1]);
  usage (stderr);
  return 2;
}
