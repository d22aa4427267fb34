/* eigml-train.c: `eigml train`, `eigml eval` and `eigml select`
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "eigml-tool.h"
#include <eigml/eigml.h>
#include "eigml-trainer-private.h"
#include "train/dist.h"
#include "eigml-ranker-private.h"
#include "eigml-metrics-private.h"
#include "data/dataset-private.h"

#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static gboolean
make_context (const char *backend_name,
              EigmlContext **ctx,
              GError **error)
{
  EigmlBackendKind backend = EIGML_BACKEND_AUTO;

  if (backend_name != NULL && !eigml_backend_kind_from_string (backend_name, &backend, error))
    return FALSE;
  *ctx = eigml_context_new (backend, NULL, error);
  return *ctx != NULL;
}

/* ---- eigml train --------------------------------------------------------- */

/* Under mpirun: one rank per device. A rank takes the GPU of its local rank
 * (among this host's GPUs, not CPU devices) unless EIGML_VULKAN_DEVICE
 * says otherwise; without GPUs every rank runs the CPU backend. */
static void
choose_rank_device (EigmlDist *dist)
{
  g_auto (GStrv) devices = NULL;
  g_autoptr (GPtrArray) gpus = g_ptr_array_new ();
  const char *pick;

  if (g_getenv ("EIGML_VULKAN_DEVICE") != NULL)
    return;
  devices = eigml_list_vulkan_devices (NULL);
  for (guint i = 0; devices != NULL && devices[i] != NULL; i++)
    if (strstr (devices[i], "(software,") == NULL)   /* lavapipe: a CPU device */
      g_ptr_array_add (gpus, devices[i]);
  if (gpus->len == 0)
    return;
  pick = g_ptr_array_index (gpus, eigml_dist_get_local_rank (dist) % gpus->len);
  {
    /* "index: name (...)" */
    g_autofree char *index = g_strndup (pick, strcspn (pick, ":"));
    g_setenv ("EIGML_VULKAN_DEVICE", index, TRUE);
  }
  if (gpus->len < eigml_dist_get_local_size (dist))
    fprintf (stderr, "eigml train: rank %u: %u ranks share this host's %u GPU(s)\n",
             eigml_dist_get_rank (dist), eigml_dist_get_local_size (dist), gpus->len);
}

/* A failure on one rank ends the whole job at once (the others would wait
 * for it until their timeout). */
static int
train_fail (EigmlDist *dist,
            const GError *error)
{
  if (dist != NULL && eigml_dist_get_size (dist) > 1)
    eigml_dist_abort (dist, 1, "eigml train: %s", error ? error->message : "failed");
  eigml_dist_finalize (dist);
  return eigml_tool_fail ("train", error);
}

static int
eval_fail (EigmlDist *dist,
           const GError *error)
{
  if (dist != NULL && eigml_dist_get_size (dist) > 1)
    eigml_dist_abort (dist, 1, "eigml eval: %s", error ? error->message : "failed");
  eigml_dist_finalize (dist);
  return eigml_tool_fail ("eval", error);
}

typedef struct
{
  GMainLoop *loop;
  GCancellable *cancellable;
  GError *error;
  guint interrupts;
} TrainRun;

static gboolean
on_signal (gpointer data)
{
  TrainRun *run = data;

  if (++run->interrupts > 1)
    {
      fprintf (stderr, "\neigml train: interrupted twice; exiting without a checkpoint\n");
      _exit (130);
    }
  fprintf (stderr, "\neigml train: interrupted; saving a checkpoint after this step "
                   "(interrupt again to exit at once)\n");
  g_cancellable_cancel (run->cancellable);
  return G_SOURCE_CONTINUE;
}

static void
on_trained (GObject *source,
            GAsyncResult *result,
            gpointer data)
{
  TrainRun *run = data;

  eigml_trainer_train_finish (EIGML_TRAINER (source), result, &run->error);
  g_main_loop_quit (run->loop);
}

int
eigml_tool_train (int argc,
                  char **argv)
{
  g_autoptr (GOptionContext) options = g_option_context_new ("- train the EIGML model");
  g_autoptr (GError) error = NULL;
  g_autofree char *config = NULL, *backend_name = NULL, *output = NULL;
  g_auto (GStrv) overrides = NULL;
  gboolean resume = FALSE;
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config,
      "the training config (JSON; docs/training.md)", "FILE" },
    { "set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &overrides,
      "change the config, e.g. train.lr=1e-4 or model.components.eiks=false (repeatable)",
      "KEY=VALUE" },
    { "resume", 'r', 0, G_OPTION_ARG_NONE, &resume,
      "continue from the latest checkpoint of the output folder", NULL },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "the output folder (overrides the config)",
      "DIR" },
    { "backend", 'b', 0, G_OPTION_ARG_STRING, &backend_name, "auto, cpu or vulkan", "NAME" },
    { NULL }
  };
  g_autoptr (EigmlContext) ctx = NULL;
  g_autoptr (EigmlTrainer) trainer = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  TrainRun run = { loop, cancellable, NULL, 0 };
  g_autofree char *out_dir = NULL;
  guint sigint, sigterm;
  gboolean terminal = isatty (fileno (stderr));
  EigmlDist *dist = NULL;
  guint launched_size = 0;
  int rc = 0;

  g_option_context_set_description (options,
    "Progress goes to standard error: a bar on a terminal, JSON lines otherwise.\n"
    "Ctrl-C (or SIGTERM) saves a checkpoint and exits; --resume continues from it\n"
    "and ends with the same weights as an uninterrupted run.");
  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    return eigml_tool_fail ("train", error);
  if (config == NULL)
    {
      fprintf (stderr, "eigml train: --config FILE is required (see docs/training.md)\n");
      return 2;
    }
  if (eigml_dist_launched (&launched_size))
    {
      /* without MPI, a job of N would train N separate models: refuse */
      if (eigml_dist_available () || launched_size > 1)
        {
          dist = eigml_dist_init (&error);
          if (dist == NULL)
            return eigml_tool_fail ("train", error);
          choose_rank_device (dist);
        }
    }
  if (!make_context (backend_name, &ctx, &error))
    return train_fail (dist, error);
  trainer = eigml_trainer_new_from_config (ctx, config, (const char *const *) overrides, &error);
  if (trainer == NULL)
    return train_fail (dist, error);
  eigml_trainer_set_dist (trainer, dist);
  if (output != NULL)
    g_object_set (trainer, "output-dir", output, NULL);
  if (resume)
    g_object_set (trainer, "resume", TRUE, NULL);
  g_object_get (trainer, "output-dir", &out_dir, NULL);
  /* rank 0 logs; the others say only where they run */
  if (dist == NULL || eigml_dist_get_rank (dist) == 0)
    {
      eigml_trainer_set_log_stream (trainer, stderr, terminal);
      fprintf (stderr, "eigml train: %s model, %" G_GINT64_FORMAT " parameters, on %s; output %s\n",
               eigml_model_get_config (eigml_trainer_get_model (trainer))->components ==
                 EIGML_COMPONENTS_ALL ? "EIGML" : "ablated EIGML",
               eigml_model_get_n_parameters (eigml_trainer_get_model (trainer)),
               eigml_context_get_device_name (ctx), out_dir ? out_dir : "(none: no checkpoints)");
    }
  if (dist != NULL)
    fprintf (stderr, "eigml train: rank %u of %u (local %u, pid %d) on %s\n",
             eigml_dist_get_rank (dist), eigml_dist_get_size (dist),
             eigml_dist_get_local_rank (dist), (int) getpid (), eigml_context_get_device_name (ctx));

  sigint = g_unix_signal_add (SIGINT, on_signal, &run);
  sigterm = g_unix_signal_add (SIGTERM, on_signal, &run);
  eigml_trainer_train_async (trainer, cancellable, on_trained, &run);
  g_main_loop_run (loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);

  if (run.error != NULL)
    {
      if (g_error_matches (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          if (dist == NULL || eigml_dist_get_rank (dist) == 0)
            fprintf (stderr, "eigml train: stopped at step %" G_GUINT64_FORMAT "%s%s%s\n",
                     eigml_trainer_get_step (trainer),
                     out_dir ? "; checkpoint saved; resume with: eigml train --resume --config "
                             : "",
                     out_dir ? config : "", "");
          g_error_free (run.error);
          g_clear_object (&trainer);
          eigml_dist_finalize (dist);
          return 130;
        }
      error = run.error;
      return train_fail (dist, error);
    }
  if (dist != NULL && eigml_dist_get_rank (dist) != 0)
    ;
  else if (eigml_trainer_get_best_map (trainer) >= 0.0)
    printf ("trained %" G_GUINT64_FORMAT " steps; best validation MAP %.4f%s%s\n",
            eigml_trainer_get_step (trainer), eigml_trainer_get_best_map (trainer),
            out_dir ? "; best model in " : "", out_dir ? out_dir : "");
  else
    printf ("trained %" G_GUINT64_FORMAT " steps%s%s\n", eigml_trainer_get_step (trainer),
            out_dir ? "; checkpoints in " : "", out_dir ? out_dir : "");
  g_clear_object (&trainer);
  eigml_dist_finalize (dist);
  return rc;
}

/* ---- eigml eval ---------------------------------------------------------- */

/* A model for --config FILE --init random: FILE is a training config
 * (with "model" and "vocab") or a model config (with --vocab). */
static gboolean
random_model (EigmlContext *ctx,
              const char *config,
              const char *vocab,
              guint64 seed,
              EigmlModel **model,
              EigmlTokenizer **tokenizer,
              GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (EigmlModelConfig) mc = NULL;
  g_autofree char *dir = g_path_get_dirname (config);
  g_autofree char *vocab_path = vocab ? g_strdup (vocab) : NULL;
  JsonObject *obj;

  if (!json_parser_load_from_mapped_file (parser, config, error))
    return FALSE;
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT, "%s: not a JSON object", config);
      return FALSE;
    }
  obj = json_node_get_object (json_parser_get_root (parser));
  if (json_object_has_member (obj, "model") || json_object_has_member (obj, "data"))
    {
      JsonNode *m = json_object_get_member (obj, "model");

      if (m != NULL && JSON_NODE_HOLDS_OBJECT (m))
        {
          g_autofree char *text = json_to_string (m, FALSE);
          mc = eigml_model_config_new_from_data (text, -1, error);
        }
      else if (m != NULL && json_node_get_value_type (m) == G_TYPE_STRING)
        {
          g_autofree char *p = g_build_filename (dir, json_node_get_string (m), NULL);
          mc = eigml_model_config_new_from_json (p, error);
        }
      else
        g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT, "%s: no \"model\"", config);
      if (vocab_path == NULL && json_object_has_member (obj, "vocab"))
        {
          const char *v = json_object_get_string_member (obj, "vocab");
          vocab_path = v ? (g_path_is_absolute (v) ? g_strdup (v) : g_build_filename (dir, v, NULL))
                         : NULL;
        }
    }
  else
    mc = eigml_model_config_new_from_json (config, error);
  if (mc == NULL)
    return FALSE;
  if (vocab_path == NULL)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "--init random needs a vocabulary: --vocab FILE, or \"vocab\" in the config");
      return FALSE;
    }
  *tokenizer = eigml_tokenizer_new_from_file (vocab_path, error);
  if (*tokenizer == NULL)
    return FALSE;
  *model = eigml_model_new (ctx, mc, seed, error);
  return *model != NULL;
}

static void
on_eval_progress (EigmlRanker *ranker,
                  guint done,
                  guint total,
                  gpointer data)
{
  gboolean *terminal = data;

  if (*terminal)
    {
      fprintf (stderr, "\r\033[Kevaluating: %u/%u examples", done, total);
      if (done == total)
        fputc ('\n', stderr);
    }
}

static char *
model_files (const char *dir,
             const char *name)
{
  return g_build_filename (dir, name, NULL);
}

/* The baselines without a model (docs/results.md): "random" ties every
 * candidate, so the metrics' seeded tie order ranks them; "lexicon" scores
 * 1 when the sticker's emotion class (from the library) is the lexicon
 * annotator's label of the dialogue, else 0. */
static gboolean
evaluate_baseline (const char *baseline,
                   EigmlDataset *dataset,
                   const char *library_path,
                   EigmlMetrics *metrics,
                   guint max_examples,
                   GError **error)
{
  g_autoptr (EigmlStickerLibrary) library = NULL;
  g_autoptr (EigmlEmotionAnnotator) annotator = NULL;
  g_autoptr (GHashTable) emotion_of = NULL;
  gboolean lexicon = g_str_equal (baseline, "lexicon");
  guint n = eigml_dataset_get_n_examples (dataset);

  if (lexicon)
    {
      library = eigml_sticker_library_new_from_file (library_path, error);
      if (library == NULL || (annotator = eigml_emotion_annotator_new (error)) == NULL)
        return FALSE;
      /* candidates name images; the library knows their emotion by file */
      emotion_of = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      for (guint i = 0; i < eigml_sticker_library_get_n_stickers (library); i++)
        {
          g_autofree char *real = g_canonicalize_filename (eigml_sticker_library_get_path (library,
                                                                                          i), NULL);
          g_hash_table_insert (emotion_of, g_steal_pointer (&real),
                               (gpointer) eigml_sticker_library_get_emotion (library, i));
        }
    }
  if (max_examples > 0 && max_examples < n)
    n = max_examples;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (EigmlExample) ex = eigml_dataset_get_example (dataset, i, error);
      g_autofree float *scores = NULL;
      const char *label = NULL;
      guint C;

      if (ex == NULL)
        return FALSE;
      C = eigml_example_get_n_candidates (ex);
      scores = g_new0 (float, C);
      if (lexicon)
        {
          const char *const *turns = eigml_example_get_turn_texts (ex);
          const char *const none[1] = { NULL };
          g_autoptr (EigmlEmotionResult) r =
            eigml_emotion_annotator_annotate_dialogue (annotator, turns ? turns : none, error);
          EigmlEmotion e;

          if (r == NULL)
            return FALSE;
          e = eigml_emotion_result_get_label (r);
          label = e == EIGML_EMOTION_NONE ? NULL : eigml_emotion_get_name (e, TRUE);
          for (guint k = 0; k < C && label != NULL; k++)
            {
              const char *path = eigml_example_get_candidate_path (ex, k);
              g_autofree char *real = path ? g_canonicalize_filename (path, NULL) : NULL;
              const char *cls = real ? g_hash_table_lookup (emotion_of, real) : NULL;

              scores[k] = cls != NULL && g_str_equal (cls, label) ? 1.0f : 0.0f;
            }
        }
      if (!eigml_metrics_add_positive (metrics, eigml_example_get_id (ex), scores, C,
                                       eigml_example_get_positive (ex), error))
        return FALSE;
    }
  return TRUE;
}

/* --intent-source: none (the default) or fallback; FALSE after a message */
static gboolean
intent_source_option (const char *tool,
                      const char *name,
                      EigmlIntentSource **out)
{
  *out = NULL;
  if (name == NULL || g_str_equal (name, "none"))
    return TRUE;
  if (g_str_equal (name, "fallback"))
    {
      *out = eigml_intent_source_new_fallback ();
      return TRUE;
    }
  fprintf (stderr, "eigml %s: --intent-source is none or fallback, not \"%s\"\n", tool, name);
  return FALSE;
}

/* How CHECKPOINT was trained (its trainer-state.json records the dialogues'
 * emotion and knowledge sources since 1.0): *EMOTION "annotator" or
 * "dataset", *INTENT "none", "fallback", "sidecar" or "sidecar+fallback";
 * NULL when the folder records none (no trainer-state.json, e.g. a
 * converted model, or no such member). FALSE for a malformed file. */
static gboolean
trained_sources (const char *checkpoint,
                 char **emotion,
                 char **intent,
                 GError **error)
{
  g_autofree char *path = g_build_filename (checkpoint, "trainer-state.json", NULL);
  g_autoptr (JsonParser) parser = NULL;
  static const char *const members[] = { "emotion_source", "intent_source" };
  char **out[] = { emotion, intent };
  JsonNode *root;

  *emotion = *intent = NULL;
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  parser = json_parser_new ();
  if (!json_parser_load_from_mapped_file (parser, path, error))
    {
      g_prefix_error (error, "%s: ", path);
      return FALSE;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "%s: expected a JSON object, got %s", path, eigml_json_kind (root));
      return FALSE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (members); i++)
    {
      JsonNode *node = json_object_get_member (json_node_get_object (root), members[i]);

      if (node == NULL)
        continue;
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                       "%s: \"%s\": expected a string, got %s", path, members[i],
                       eigml_json_kind (node));
          return FALSE;
        }
      *out[i] = g_strdup (json_node_get_string (node));
    }
  return TRUE;
}

/* The defaults of --intent-source (and, for eval, --emotion-source): as
 * CHECKPOINT was trained, said on stderr; FALSE after a message. */
static gboolean
default_sources (const char *tool,
                 const char *checkpoint,
                 char **emotion_source,
                 char **intent_source_name)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *emotion = NULL, *intent = NULL;

  if (checkpoint == NULL || (*intent_source_name != NULL &&
                             (emotion_source == NULL || *emotion_source != NULL)))
    return TRUE;
  if (!trained_sources (checkpoint, &emotion, &intent, &error))
    {
      fprintf (stderr, "eigml %s: %s\n", tool, error->message);
      return FALSE;
    }
  if (*intent_source_name == NULL && intent != NULL && g_str_has_suffix (intent, "fallback"))
    {
      *intent_source_name = g_strdup ("fallback");
      fprintf (stderr, "eigml %s: knowledge: the offline fallback, as %s was trained "
                       "(--intent-source none for none)\n", tool, checkpoint);
    }
  if (emotion_source != NULL && *emotion_source == NULL && g_strcmp0 (emotion, "annotator") == 0)
    {
      *emotion_source = g_strdup ("annotator");
      fprintf (stderr, "eigml %s: emotion: the lexicon annotator's, as %s was trained "
                       "(--emotion-source dataset for the dataset's)\n", tool, checkpoint);
    }
  return TRUE;
}

int
eigml_tool_eval (int argc,
                 char **argv)
{
  g_autoptr (GOptionContext) options = g_option_context_new ("- evaluate a model on a dataset");
  g_autoptr (GError) error = NULL;
  g_autofree char *data = NULL, *format_name = NULL, *split = NULL, *file = NULL;
  g_autofree char *checkpoint = NULL, *config = NULL, *init = NULL, *vocab = NULL;
  g_autofree char *predictions = NULL, *backend_name = NULL, *scorer = NULL;
  g_autofree char *emotion_file = NULL, *intent_file = NULL, *emotion_source = NULL;
  g_autofree char *baseline = NULL, *library_path = NULL;
  g_autofree char *intent_source_name = NULL;
  gboolean json = FALSE, skip_bad = FALSE;
  gint batch_size = 16, max_examples = 0, n_candidates = 10;
  gint64 seed = 42;
  GOptionEntry entries[] = {
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data, "the dataset folder", "DIR" },
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format_name, "stickerchat, mod or jsonl", "NAME" },
    { "split", 's', 0, G_OPTION_ARG_STRING, &split, "the split (default test)", "NAME" },
    { "file", 0, 0, G_OPTION_ARG_FILENAME, &file, "one data file instead of --data/--split",
      "FILE" },
    { "checkpoint", 'k', 0, G_OPTION_ARG_FILENAME, &checkpoint,
      "a checkpoint folder (config.json, model.safetensors, vocab.txt)", "DIR" },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config,
      "with --init random: a training or model config", "FILE" },
    { "init", 0, 0, G_OPTION_ARG_STRING, &init, "random: an untrained model (a baseline)", "KIND" },
    { "baseline", 0, 0, G_OPTION_ARG_STRING, &baseline,
      "no model: random (every candidate tied: the seeded tie order) or lexicon (1 when the "
      "sticker's emotion class is the annotator's label of the dialogue; needs --library)",
      "NAME" },
    { "library", 0, 0, G_OPTION_ARG_FILENAME, &library_path,
      "the sticker library (JSON lines) whose emotion classes --baseline lexicon reads", "FILE" },
    { "vocab", 0, 0, G_OPTION_ARG_FILENAME, &vocab, "the vocabulary for --init random", "FILE" },
    { "predictions", 'p', 0, G_OPTION_ARG_FILENAME, &predictions,
      "per-example predictions, JSON lines (default: predictions-SPLIT.jsonl in the checkpoint, "
      "or here with --init random)", "FILE" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "print the metrics as one JSON object", NULL },
    { "scorer", 0, 0, G_OPTION_ARG_STRING, &scorer, "standard (default) or dstc10", "NAME" },
    { "batch-size", 0, 0, G_OPTION_ARG_INT, &batch_size, "dialogues per pass (16)", "N" },
    { "max-examples", 0, 0, G_OPTION_ARG_INT, &max_examples, "only the first N examples", "N" },
    { "n-candidates", 0, 0, G_OPTION_ARG_INT, &n_candidates,
      "candidates per example where the dataset builds them (10)", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "the candidate order and tie seed (42)", "N" },
    { "emotion-file", 0, 0, G_OPTION_ARG_FILENAME, &emotion_file, "emotion sidecar", "FILE" },
    { "emotion-source", 0, 0, G_OPTION_ARG_STRING, &emotion_source,
      "dataset (the examples' emotion) or annotator (the lexicon annotator on the dialogue); "
      "default: as the checkpoint was trained (data.emotion_source), else dataset", "NAME" },
    { "intent-file", 0, 0, G_OPTION_ARG_FILENAME, &intent_file, "intent sidecar", "FILE" },
    { "intent-source", 0, 0, G_OPTION_ARG_STRING, &intent_source_name,
      "knowledge for examples without intents: none or fallback (docs/intent.md); default: as "
      "the checkpoint was trained (data.intent_source), else none",
      "NAME" },
    { "skip-bad", 0, 0, G_OPTION_ARG_NONE, &skip_bad, "skip and count malformed examples", NULL },
    { "backend", 'b', 0, G_OPTION_ARG_STRING, &backend_name, "auto, cpu or vulkan", "NAME" },
    { NULL }
  };
  g_autoptr (EigmlContext) ctx = NULL;
  g_autoptr (EigmlModel) model = NULL;
  g_autoptr (EigmlTokenizer) tokenizer = NULL;
  g_autoptr (EigmlIntentSource) intent_source = NULL;
  g_autoptr (EigmlDataset) dataset = NULL;
  g_autoptr (EigmlRanker) ranker = NULL;
  g_autoptr (EigmlMetrics) metrics = NULL;
  EigmlDatasetFormat format;
  EigmlMetricsKind kind = EIGML_METRICS_STANDARD;
  gboolean terminal = isatty (fileno (stderr));
  EigmlDist *dist = NULL;

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    return eigml_tool_fail ("eval", error);
  if ((data == NULL && file == NULL) || format_name == NULL)
    {
      fprintf (stderr, "eigml eval: --data DIR (or --file FILE) and --format NAME are required\n");
      return 2;
    }
  if ((checkpoint != NULL) + (init != NULL) + (baseline != NULL) != 1)
    {
      fprintf (stderr, "eigml eval: give --checkpoint DIR, --config FILE --init random, or "
                       "--baseline random|lexicon\n");
      return 2;
    }
  if (baseline != NULL && !g_str_equal (baseline, "random") &&
      !(g_str_equal (baseline, "lexicon") && library_path != NULL))
    {
      fprintf (stderr, "eigml eval: --baseline is random, or lexicon with --library FILE\n");
      return 2;
    }
  if (init != NULL && (g_strcmp0 (init, "random") != 0 || config == NULL))
    {
      fprintf (stderr, "eigml eval: --init takes \"random\" and needs --config FILE\n");
      return 2;
    }
  if (scorer != NULL && g_strcmp0 (scorer, "dstc10") == 0)
    kind = EIGML_METRICS_DSTC10;
  else if (scorer != NULL && g_strcmp0 (scorer, "standard") != 0)
    {
      fprintf (stderr, "eigml eval: --scorer is standard or dstc10, not \"%s\"\n", scorer);
      return 2;
    }
  if (!default_sources ("eval", checkpoint, &emotion_source, &intent_source_name))
    return 1;
  if (!intent_source_option ("eval", intent_source_name, &intent_source))
    return 2;
  if (batch_size < 1 || max_examples < 0 || n_candidates < 2 || seed < 0)
    {
      fprintf (stderr, "eigml eval: --batch-size >= 1, --n-candidates >= 2, --max-examples and "
                       "--seed >= 0\n");
      return 2;
    }
  if (!eigml_dataset_format_from_string (format_name, &format, &error))
    return eigml_tool_fail ("eval", error);
  {
    guint launched_size = 0;

    /* under mpirun: every rank scores its shard, rank 0 reports */
    if (eigml_dist_launched (&launched_size) &&
        (eigml_dist_available () || launched_size > 1))
      {
        dist = eigml_dist_init (&error);
        if (dist == NULL)
          return eigml_tool_fail ("eval", error);
        choose_rank_device (dist);
      }
  }
  if (!make_context (backend_name, &ctx, &error))
    return eval_fail (dist, error);
  if (split == NULL)
    split = g_strdup ("test");

  if (baseline != NULL)
    ;
  else if (checkpoint != NULL)
    {
      g_autofree char *vocab_file = model_files (checkpoint, "vocab.txt");

      model = eigml_model_new_from_checkpoint (ctx, checkpoint, &error);
      if (model == NULL)
        return eigml_tool_fail ("eval", error);
      tokenizer = eigml_tokenizer_new_from_file (vocab ? vocab : vocab_file, &error);
    }
  else if (!random_model (ctx, config, vocab, (guint64) seed, &model, &tokenizer, &error))
    return eigml_tool_fail ("eval", error);
  if (baseline == NULL && tokenizer == NULL)
    return eigml_tool_fail ("eval", error);

  if (file != NULL)
    dataset = g_initable_new (EIGML_TYPE_DATASET, NULL, &error, "file", file, "format", format,
                              "n-candidates", (guint) n_candidates, "seed", (guint64) seed,
                              "skip-bad", skip_bad, "emotion-file", emotion_file, "intent-file",
                              intent_file, NULL);
  else
    dataset = g_initable_new (EIGML_TYPE_DATASET, NULL, &error, "folder", data, "format", format,
                              "split", split, "n-candidates", (guint) n_candidates, "seed",
                              (guint64) seed, "skip-bad", skip_bad, "emotion-file", emotion_file,
                              "intent-file", intent_file, NULL);
  if (dataset == NULL)
    return eigml_tool_fail ("eval", error);
  if (eigml_dataset_get_n_skipped (dataset) > 0)
    fprintf (stderr, "eigml eval: skipped %u malformed examples\n",
             eigml_dataset_get_n_skipped (dataset));

  metrics = eigml_metrics_new (kind);
  eigml_metrics_set_seed (metrics, (guint64) seed);
  if (baseline != NULL)
    {
      if (!evaluate_baseline (baseline, dataset, library_path, metrics, (guint) max_examples,
                              &error))
        return eigml_tool_fail ("eval", error);
      goto report;
    }

  ranker = eigml_ranker_new (model, tokenizer);
  eigml_ranker_set_batch_size (ranker, (guint) batch_size);
  if (emotion_source != NULL && g_str_equal (emotion_source, "annotator"))
    {
      g_autoptr (EigmlEmotionAnnotator) annotator = eigml_emotion_annotator_new (&error);

      if (annotator == NULL)
        return eigml_tool_fail ("eval", error);
      eigml_ranker_set_emotion_annotator (ranker, annotator);
    }
  else if (emotion_source != NULL && !g_str_equal (emotion_source, "dataset"))
    {
      fprintf (stderr, "eigml eval: --emotion-source is dataset or annotator\n");
      return 2;
    }
  eigml_ranker_set_intent_source (ranker, intent_source);
  if (dist == NULL || eigml_dist_get_rank (dist) == 0)
    g_signal_connect (ranker, "progress", G_CALLBACK (on_eval_progress), &terminal);
  if (dist != NULL && eigml_dist_get_size (dist) > 1)
    {
      /* rank r scores every size-th batch; rank 0 gathers the examples'
       * scores: the metrics (and the predictions, written in id order)
       * equal one process's */
      guint size = eigml_dist_get_size (dist), rank = eigml_dist_get_rank (dist);
      g_autoptr (EigmlMetrics) mine = eigml_metrics_new (kind);
      g_autoptr (GBytes) packed = NULL;
      GBytes **all;

      eigml_metrics_set_seed (mine, (guint64) seed);
      if (!eigml_ranker_evaluate_shard (ranker, dataset, mine, (guint) max_examples, rank, size,
                                        NULL, &error))
        return eval_fail (dist, error);
      packed = eigml_metrics_pack (mine);
      all = eigml_dist_gather (dist, packed, "the evaluation's scores");
      if (all == NULL)
        {
          /* not rank 0: done */
          eigml_dist_finalize (dist);
          return 0;
        }
      for (guint r = 0; r < size; r++)
        {
          if (error == NULL && !eigml_metrics_add_packed (metrics, all[r], &error))
            g_prefix_error (&error, "rank %u's scores: ", r);
          g_bytes_unref (all[r]);
        }
      g_free (all);
      if (error != NULL)
        return eval_fail (dist, error);
    }
  else if (!eigml_ranker_evaluate (ranker, dataset, metrics, (guint) max_examples, NULL, &error))
    return eval_fail (dist, error);

report:
  if (dist != NULL && eigml_dist_get_rank (dist) != 0)
    {
      /* a baseline under mpirun: rank 0 alone reports it */
      eigml_dist_finalize (dist);
      return 0;
    }

  if (predictions == NULL)
    {
      g_autofree char *name = baseline != NULL
                                ? g_strdup_printf ("predictions-%s-%s.jsonl", baseline,
                                                   file ? "file" : split)
                                : g_strdup_printf ("predictions-%s.jsonl", file ? "file" : split);
      predictions = checkpoint ? g_build_filename (checkpoint, name, NULL) : g_strdup (name);
    }
  if (!eigml_metrics_write_predictions (metrics, predictions, &error))
    return eval_fail (dist, error);
  eigml_dist_finalize (g_steal_pointer (&dist));
  if (json)
    {
      g_autofree char *text = eigml_metrics_to_json (metrics);
      printf ("%s\n", text);
    }
  else
    {
      g_autofree char *table = eigml_metrics_format_table (metrics);
      printf ("%s%s", table, g_str_has_suffix (table, "\n") ? "" : "\n");
      printf ("predictions: %s\n", predictions);
    }
  return 0;
}

/* ---- eigml select -------------------------------------------------------- */

static gboolean
is_image (const char *name)
{
  static const char *const ext[] = { ".png", ".jpg", ".jpeg", ".gif", ".webp", ".npy", NULL };
  g_autofree char *lower = g_ascii_strdown (name, -1);

  for (guint i = 0; ext[i] != NULL; i++)
    if (g_str_has_suffix (lower, ext[i]))
      return TRUE;
  return FALSE;
}

static gint
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

/* rank, score, sticker (and its id, emotion and labels from a library);
 * @scores are indexed by @order[i] unless @scores_in_order; @lex (with a
 * library, in order): the stickers' lexical ranks, 0 for no match */
static void
print_ranked (gboolean json,
              GPtrArray *paths,
              const guint *order,
              const float *scores,
              gsize n,
              EigmlStickerLibrary *library,
              const guint *lex,
              gboolean scores_in_order)
{
  if (json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;
      g_autofree char *text = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "results");
      json_builder_begin_array (b);
      for (gsize i = 0; i < n; i++)
        {
          json_builder_begin_object (b);
          if (library != NULL)
            {
              json_builder_set_member_name (b, "id");
              json_builder_add_string_value (b, eigml_sticker_library_get_id (library, order[i]));
            }
          json_builder_set_member_name (b, "sticker");
          json_builder_add_string_value (b, g_ptr_array_index (paths, order[i]));
          json_builder_set_member_name (b, "score");
          json_builder_add_double_value (b, scores[scores_in_order ? i : order[i]]);
          if (lex != NULL)
            {
              json_builder_set_member_name (b, "lexical_rank");
              if (lex[i] > 0)
                json_builder_add_int_value (b, lex[i]);
              else
                json_builder_add_null_value (b);
            }
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      text = json_to_string (root, FALSE);
      printf ("%s\n", text);
      return;
    }
  printf (library ? "rank  score   words  sticker  emotion  label\n" : "rank  score   sticker\n");
  for (gsize i = 0; i < n; i++)
    {
      float score = scores[scores_in_order ? i : order[i]];

      if (library != NULL)
        {
          const char *emo = eigml_sticker_library_get_emotion (library, order[i]);
          const char *zh = eigml_sticker_library_get_label (library, order[i], "zh");
          const char *en = eigml_sticker_library_get_label (library, order[i], "en");

          g_autofree char *words = lex && lex[i] ? g_strdup_printf ("%u", lex[i]) : g_strdup ("-");

          printf ("%4" G_GSIZE_FORMAT "  %.4f  %5s  %s  %s  %s%s%s\n", i + 1, score, words,
                  eigml_sticker_library_get_id (library, order[i]), emo ? emo : "-",
                  zh ? zh : "", zh && en ? " / " : "", en ? en : "");
        }
      else
        printf ("%4" G_GSIZE_FORMAT "  %.4f  %s\n", i + 1, score,
                (const char *) g_ptr_array_index (paths, order[i]));
    }
}

int
eigml_tool_select (int argc,
                   char **argv)
{
  g_autoptr (GOptionContext) options = g_option_context_new ("- rank stickers for a dialogue");
  g_autoptr (GError) error = NULL;
  g_autofree char *checkpoint = NULL, *stickers = NULL, *backend_name = NULL, *emotion = NULL;
  g_autofree char *library_path = NULL, *order_name = NULL;
  g_autoptr (EigmlStickerLibrary) library = NULL;
  g_autofree char *intent_source_name = NULL;
  g_autoptr (GEnumClass) orders = g_type_class_ref (EIGML_TYPE_RANK_ORDER);
  GEnumValue *rank_order = NULL;
  g_auto (GStrv) turns = NULL;
  gint top = 10;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "checkpoint", 'k', 0, G_OPTION_ARG_FILENAME, &checkpoint, "a checkpoint folder", "DIR" },
    { "dialogue", 'd', 0, G_OPTION_ARG_STRING_ARRAY, &turns,
      "a turn of the dialogue, oldest first (repeat for several)", "TEXT" },
    { "stickers", 's', 0, G_OPTION_ARG_FILENAME, &stickers,
      "a folder of sticker images (PNG, JPEG, GIF, WebP, .npy)", "DIR" },
    { "library", 'l', 0, G_OPTION_ARG_FILENAME, &library_path,
      "a sticker library (JSON lines, e.g. data/demo/library.jsonl): ranks all of it in two "
      "stages (cached embeddings, then the full model on the nearest 64)", "FILE" },
    { "emotion", 'e', 0, G_OPTION_ARG_STRING, &emotion,
      "the dialogue's emotion: one of 好 乐 哀 怒 惧 恶 惊, or none (default: the lexicon "
      "annotator's)", "CATEGORY" },
    { "intent-source", 0, 0, G_OPTION_ARG_STRING, &intent_source_name,
      "the dialogue's intention knowledge: none or fallback (docs/intent.md); default: as the "
      "checkpoint was trained, else none", "NAME" },
    { "order", 0, 0, G_OPTION_ARG_STRING, &order_name,
      "with --library: lexical (default: the stickers whose words match first, then by score), "
      "fused (the two ranks fused) or model (by score)", "NAME" },
    { "top", 'n', 0, G_OPTION_ARG_INT, &top, "how many to print (10; 0: all)", "N" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "print JSON", NULL },
    { "backend", 'b', 0, G_OPTION_ARG_STRING, &backend_name, "auto, cpu or vulkan", "NAME" },
    { NULL }
  };
  static const char *const categories[] = { "好", "乐", "哀", "怒", "惧", "恶", "惊", NULL };
  g_autoptr (EigmlContext) ctx = NULL;
  g_autoptr (EigmlModel) model = NULL;
  g_autoptr (EigmlTokenizer) tokenizer = NULL;
  g_autoptr (EigmlRanker) ranker = NULL;
  g_autoptr (EigmlIntentSource) intent_source = NULL;
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GDir) dir = NULL;
  g_autofree float *scores = NULL;
  g_autofree guint *order = NULL;
  g_autofree char *vocab = NULL;
  float dist[7] = { 0 };
  gboolean has_emotion = FALSE;
  gsize n_scores = 0;
  const char *name;

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    return eigml_tool_fail ("select", error);
  if (checkpoint == NULL || turns == NULL || (stickers == NULL) == (library_path == NULL))
    {
      fprintf (stderr, "eigml select: --checkpoint DIR, --dialogue TEXT and one of --stickers DIR "
                       "or --library FILE are required\n");
      return 2;
    }
  rank_order = g_enum_get_value_by_nick (orders, order_name ? order_name : "lexical");
  if (rank_order == NULL || (order_name != NULL && library_path == NULL))
    {
      fprintf (stderr, "eigml select: --order is lexical, fused or model, with --library\n");
      return 2;
    }
  if (!default_sources ("select", checkpoint, NULL, &intent_source_name))
    return 1;
  if (!intent_source_option ("select", intent_source_name, &intent_source))
    return 2;
  if (emotion != NULL && g_str_equal (emotion, "none"))
    has_emotion = TRUE;   /* all zero: no emotion */
  else if (emotion != NULL)
    {
      for (guint i = 0; categories[i] != NULL && !has_emotion; i++)
        if (g_str_equal (emotion, categories[i]))
          {
            dist[i] = 1.0f;
            has_emotion = TRUE;
          }
      if (!has_emotion)
        {
          fprintf (stderr, "eigml select: --emotion is one of 好 乐 哀 怒 惧 恶 惊\n");
          return 2;
        }
    }
  if (library_path != NULL)
    {
      library = eigml_sticker_library_new_from_file (library_path, &error);
      if (library == NULL)
        return eigml_tool_fail ("select", error);
      for (guint i = 0; i < eigml_sticker_library_get_n_stickers (library); i++)
        g_ptr_array_add (paths, g_strdup (eigml_sticker_library_get_path (library, i)));
    }
  else if ((dir = g_dir_open (stickers, 0, &error)) == NULL)
    return eigml_tool_fail ("select", error);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (is_image (name))
      g_ptr_array_add (paths, g_build_filename (stickers, name, NULL));
  if (paths->len == 0)
    {
      fprintf (stderr, "eigml select: %s has no sticker images\n",
               stickers ? stickers : library_path);
      return 1;
    }
  if (library == NULL)
    g_ptr_array_sort (paths, compare_strings);
  g_ptr_array_add (paths, NULL);

  if (!make_context (backend_name, &ctx, &error))
    return eigml_tool_fail ("select", error);
  model = eigml_model_new_from_checkpoint (ctx, checkpoint, &error);
  if (model == NULL)
    return eigml_tool_fail ("select", error);
  vocab = g_build_filename (checkpoint, "vocab.txt", NULL);
  tokenizer = eigml_tokenizer_new_from_file (vocab, &error);
  if (tokenizer == NULL)
    return eigml_tool_fail ("select", error);
  if (has_emotion && eigml_model_get_config (model)->n_emotions != 7)
    {
      fprintf (stderr, "eigml select: the model has %u emotion categories, --emotion knows 7\n",
               eigml_model_get_config (model)->n_emotions);
      return 1;
    }
  ranker = eigml_ranker_new (model, tokenizer);
  eigml_ranker_set_intent_source (ranker, intent_source);
  eigml_ranker_set_order (ranker, (EigmlRankOrder) rank_order->value);
  if (!has_emotion)
    {
      g_autoptr (EigmlEmotionAnnotator) annotator = eigml_emotion_annotator_new (&error);
      g_autoptr (EigmlEmotionResult) r = NULL;

      if (annotator == NULL)
        return eigml_tool_fail ("select", error);
      r = eigml_emotion_annotator_annotate_dialogue (annotator, (const char *const *) turns,
                                                     &error);
      if (r == NULL)
        return eigml_tool_fail ("select", error);
      if (!json)
        printf ("emotion: %s\n", eigml_emotion_get_name (eigml_emotion_result_get_label (r), TRUE));
      eigml_ranker_set_emotion_annotator (ranker, annotator);
    }
  if (library != NULL)
    {
      g_autofree guint *idx = NULL, *lex = NULL;
      gsize n_res = 0;

      if (top <= 0)
        top = (gint) eigml_sticker_library_get_n_stickers (library);
      if (!eigml_ranker_set_library (ranker, library, NULL, NULL, &error) ||
          !eigml_ranker_rank_library (ranker, (const char *const *) turns,
                                      has_emotion ? dist : NULL, has_emotion ? 7 : 0, (guint) top,
                                      &idx, &scores, &lex, &n_res, &error))
        return eigml_tool_fail ("select", error);
      n_scores = n_res;
      order = g_new (guint, n_res);
      for (gsize i = 0; i < n_res; i++)
        {
          /* report library indices through the paths array */
          order[i] = idx[i];
        }
      print_ranked (json, paths, order, scores, n_res, library, lex, TRUE);
      return 0;
    }
  scores = eigml_ranker_score (ranker, (const char *const *) turns, has_emotion ? dist : NULL,
                               has_emotion ? 7 : 0, (const char *const *) paths->pdata, &n_scores,
                               &error);
  if (scores == NULL)
    return eigml_tool_fail ("select", error);

  order = g_new (guint, n_scores);
  for (guint i = 0; i < n_scores; i++)
    order[i] = i;
  /* best first; equal scores keep the files' name order */
  for (guint i = 1; i < n_scores; i++)
    for (guint j = i; j > 0 && scores[order[j]] > scores[order[j - 1]]; j--)
      {
        guint t = order[j];
        order[j] = order[j - 1];
        order[j - 1] = t;
      }
  if (top <= 0 || (gsize) top > n_scores)
    top = (gint) n_scores;
  print_ranked (json, paths, order, scores, (gsize) top, NULL, NULL, FALSE);
  return 0;
}
