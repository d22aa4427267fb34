/* test-trainer.c: EigmlTrainer on a small JSON lines dataset written here:
 * config files, training with validation and the best model, resume after
 * a cancel equals an uninterrupted run (with and without gradient
 * accumulation), the async API and its signals, refusals.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "op-harness.h"
#include <eigml/eigml.h>
#include "test-images-fixtures.h"
#include "eigml-trainer-private.h"
#include "model/model-private.h"
#include "train/trainer-private.h"

#include <glib/gstdio.h>
#include <math.h>

#define N_STICKERS 12

static const char *const words[] = { "red", "green", "blue", "cat", "dog", "sun", "rain", "happy",
                                      "sad", "tea", "owl", "fish" };

/* a dataset whose dialogue names the sticker's word: learnable */
static char *
make_fixture (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("eigml-trainer-XXXXXX", &error);
  g_autofree char *stickers = g_build_filename (dir, "stickers", NULL);
  GString *vocab = g_string_new ("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n;\nto\n");
  GString *train = g_string_new (NULL), *val = g_string_new (NULL);

  g_assert_no_error (error);
  g_mkdir (stickers, 0755);
  for (guint s = 0; s < N_STICKERS; s++)
    {
      /* a flat colour per sticker: crops keep it, so a tiny model can learn it */
      g_autofree guint8 *px = g_new (guint8, 16 * 16 * 3);
      for (guint k = 0; k < 16 * 16; k++)
        {
          px[3 * k] = (guint8) (s & 1 ? 230 : 20) + (guint8) (s * 3);
          px[3 * k + 1] = (guint8) (s & 2 ? 230 : 20) + (guint8) (s * 5);
          px[3 * k + 2] = (guint8) (s & 4 ? 230 : 20) + (guint8) (s & 8 ? 90 : 0);
        }
      g_autoptr (GBytes) png = fixture_pixbuf_save (px, 16, 16, 3, "png", NULL);
      g_autofree char *name = g_strdup_printf ("s%02u.png", s);
      g_free (fixture_write (stickers, name, png));
    }
  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    g_string_append_printf (vocab, "%s\n", words[i]);
  for (guint i = 0; i < 40; i++)
    {
      guint s = i % N_STICKERS;
      GString *out = i < 32 ? train : val;

      g_string_append_printf (out,
                              "{\"id\": \"e%u\", \"dialogue\": [{\"speaker\": \"A\", \"text\": \"%s %s\"},"
                              " {\"speaker\": \"B\", \"text\": \"%s\"}], \"sticker\": \"stickers/s%02u.png\","
                              " \"emotion\": \"%s\", \"intent\": {\"xIntent\": [\"to %s\"]}}\n",
                              i, words[(i * 7) % 12], words[(i * 5 + 1) % 12], words[s], s,
                              i % 3 == 0 ? "乐" : "哀", words[s]);
    }
  {
    g_autoptr (GBytes) v = g_bytes_new (vocab->str, vocab->len);
    g_autoptr (GBytes) t = g_bytes_new (train->str, train->len);
    g_autoptr (GBytes) va = g_bytes_new (val->str, val->len);
    g_autoptr (GBytes) te = g_bytes_new (val->str, val->len);
    g_autoptr (GBytes) cfg = NULL;
    const char *config =
      "{\"model\": {\"text_encoder\": {\"hidden_size\": 32, \"num_hidden_layers\": 1,"
      " \"num_attention_heads\": 2, \"intermediate_size\": 64, \"vocab_size\": 40,"
      " \"max_position_embeddings\": 24}, \"vision_encoder\": {\"hidden_size\": 32,"
      " \"num_hidden_layers\": 1, \"num_attention_heads\": 2, \"intermediate_size\": 64,"
      " \"image_size\": 16, \"patch_size\": 8}, \"max_len\": 12, \"knowledge_len\": 6,"
      " \"n_candidates\": 4, \"proj_dim\": 16, \"fusion_heads\": 2, \"fusion_ffn\": 48},"
      " \"vocab\": \"vocab.txt\","
      " \"data\": {\"path\": \".\", \"format\": \"jsonl\", \"train\": \"train\", \"validation\": \"val\"},"
      " \"train\": {\"lr\": 0.002, \"epochs\": 2, \"batch_size\": 4, \"warmup_steps\": 2,"
      " \"log_every\": 1},"
      " \"output\": \"run\"}";

    cfg = g_bytes_new_static (config, strlen (config));
    g_free (fixture_write (dir, "vocab.txt", v));
    g_free (fixture_write (dir, "train.jsonl", t));
    g_free (fixture_write (dir, "val.jsonl", va));
    g_free (fixture_write (dir, "test.jsonl", te));
    g_free (fixture_write (dir, "config.json", cfg));
  }
  g_string_free (vocab, TRUE);
  g_string_free (train, TRUE);
  g_string_free (val, TRUE);
  return dir;
}

static void
remove_all (const char *path)
{
  if (g_getenv ("EIGML_TEST_KEEP") != NULL)
    {
      g_test_message ("kept %s", path);
      return;
    }
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_all (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static EigmlTrainer *
trainer_for (const char *dir,
             const char *const *extra)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *config = g_build_filename (dir, "config.json", NULL);
  EigmlTrainer *t = eigml_trainer_new_from_config (harness_context (EIGML_BACKEND_CPU), config,
                                                   extra, &error);

  g_assert_no_error (error);
  g_assert_nonnull (t);
  return t;
}

static float *
all_weights (EigmlModel *model,
             gsize *n)
{
  GPtrArray *params = eigml_param_store_get_params (eigml_model_get_store (model));
  GArray *all = g_array_new (FALSE, FALSE, sizeof (float));

  for (guint i = 0; i < params->len; i++)
    {
      EigmlParam *p = g_ptr_array_index (params, i);
      g_autofree float *v = eigml_param_dup (p, EIGML_LEAF_PARAM, NULL);
      g_array_append_vals (all, v, p->n_elements);
    }
  *n = all->len;
  return (float *) g_array_free (all, FALSE);
}

static void
cancel_at (EigmlTrainer *trainer,
           guint epoch,
           guint64 step,
           guint64 total,
           double loss,
           gpointer data)
{
  GCancellable *c = data;
  guint64 at = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (c), "at"));

  g_assert_true (isfinite (loss));
  if (step == at)
    g_cancellable_cancel (c);
}

static void
check_resume (const char *const *extra,
              guint64 stop_at)
{
  g_autofree char *dir = make_fixture ();
  g_autoptr (GError) error = NULL;
  g_autofree float *a = NULL, *b = NULL;
  gsize na = 0, nb = 0;
  g_autofree char *out_a = g_build_filename (dir, "a", NULL);
  g_autofree char *out_b = g_build_filename (dir, "b", NULL);
  g_autofree char *set_a = g_strconcat ("output=", out_a, NULL);
  g_autofree char *set_b = g_strconcat ("output=", out_b, NULL);
  const char *args_a[8] = { set_a }, *args_b[8] = { set_b };

  for (guint i = 0; extra && extra[i]; i++)
    args_a[i + 1] = args_b[i + 1] = extra[i];

  /* uninterrupted */
  {
    g_autoptr (EigmlTrainer) t = trainer_for (dir, args_a);
    g_assert_true (eigml_trainer_train (t, NULL, &error));
    g_assert_no_error (error);
    a = all_weights (eigml_trainer_get_model (t), &na);
  }
  /* cancelled at @stop_at, then resumed by a new trainer */
  {
    g_autoptr (EigmlTrainer) t = trainer_for (dir, args_b);
    g_autoptr (GCancellable) c = g_cancellable_new ();
    g_autofree char *latest = NULL;

    g_object_set_data (G_OBJECT (c), "at", GSIZE_TO_POINTER (stop_at));
    g_signal_connect (t, "progress", G_CALLBACK (cancel_at), c);
    g_assert_false (eigml_trainer_train (t, c, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error (&error);
    g_assert_cmpuint (eigml_trainer_get_step (t), ==, stop_at);
    g_assert_true (eigml_checkpoint_find_latest (out_b, &latest, &error));
    g_assert_true (g_str_has_suffix (latest, "checkpoint-00000005") || stop_at != 5);
  }
  {
    g_autoptr (EigmlTrainer) t = trainer_for (dir, args_b);
    g_object_set (t, "resume", TRUE, NULL);
    g_assert_true (eigml_trainer_train (t, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (eigml_trainer_get_step (t), ==, eigml_trainer_get_total_steps (t));
    b = all_weights (eigml_trainer_get_model (t), &nb);
  }
  g_assert_cmpuint (na, ==, nb);
  g_assert_cmpmem (a, na * sizeof (float), b, nb * sizeof (float));
  remove_all (dir);
}

static void
test_resume (void)
{
  check_resume (NULL, 5);
}

static void
test_resume_accumulation (void)
{
  const char *extra[] = { "train.grad_accum=2", "train.batch_size=2", NULL };
  check_resume (extra, 3);
}

static void
count_validation (EigmlTrainer *t,
                  guint64 step,
                  EigmlMetrics *metrics,
                  gpointer data)
{
  guint *n = data;

  g_assert_cmpuint (eigml_metrics_get_n_examples (metrics), ==, 8);
  g_assert_true (isfinite (eigml_metrics_get_map (metrics)));
  (*n)++;
}

static void
track_loss (EigmlTrainer *t,
            guint epoch,
            guint64 step,
            guint64 total,
            double loss,
            gpointer data)
{
  double *losses = data;

  if (step == 1)
    losses[0] = loss;
  if (step > total - 8)
    losses[1] += loss;
}

/* Five epochs of 8 steps: the loss falls, every epoch validates, the best
 * model and the newest checkpoints are on disk. (Learning itself is
 * tests/test-model.c's overfit test: 32 examples are too few to show
 * generalisation within a test's time.) */
static void
test_train_validate (void)
{
  g_autofree char *dir = make_fixture ();
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlTrainer) t = NULL;
  g_autofree char *best = g_build_filename (dir, "run", "best", NULL);
  g_autofree char *best_cfg = g_build_filename (best, "config.json", NULL);
  g_autofree char *last = g_build_filename (dir, "run", "checkpoint-00000040", NULL);
  g_autofree char *opt = g_build_filename (last, "optimizer.safetensors", NULL);
  const char *extra[] = { "train.epochs=5", NULL };
  double losses[2] = { 0.0, 0.0 };
  guint validations = 0;
  g_autoptr (EigmlModel) reloaded = NULL;

  t = trainer_for (dir, extra);
  g_signal_connect (t, "validated", G_CALLBACK (count_validation), &validations);
  g_signal_connect (t, "progress", G_CALLBACK (track_loss), losses);
  g_assert_true (eigml_trainer_train (t, NULL, &error));
  g_assert_no_error (error);
  g_test_message ("best validation MAP %.4f; loss %.4f at step 1, %.4f in the last epoch",
                  eigml_trainer_get_best_map (t), losses[0], losses[1] / 8.0);
  g_assert_cmpfloat (losses[1] / 8.0, <, 0.8 * losses[0]);
  g_assert_cmpuint (eigml_trainer_get_step (t), ==, 40);
  g_assert_cmpuint (validations, ==, 5);
  g_assert_cmpfloat (eigml_trainer_get_best_map (t), >=, 0.0);
  g_assert_cmpfloat (eigml_trainer_get_best_map (t), <=, 1.0);
  g_assert_true (g_file_test (best_cfg, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (opt, G_FILE_TEST_IS_REGULAR));
  reloaded = eigml_model_new_from_checkpoint (harness_context (EIGML_BACKEND_CPU), best, &error);
  g_assert_no_error (error);
  {
    /* keep-checkpoints 2: only the two newest step checkpoints remain */
    g_autofree char *old = g_build_filename (dir, "run", "checkpoint-00000008", NULL);
    g_assert_false (g_file_test (old, G_FILE_TEST_EXISTS));
  }
  remove_all (dir);
}

static void
count_progress (EigmlTrainer *t,
                guint epoch,
                guint64 step,
                guint64 total,
                double loss,
                gpointer data)
{
  GThread **main_thread = data;

  g_assert_true (g_thread_self () == main_thread[0]);
  main_thread[1] = GSIZE_TO_POINTER (GPOINTER_TO_SIZE (main_thread[1]) + 1);
}

static void
on_done (GObject *source,
         GAsyncResult *result,
         gpointer data)
{
  GError **error = data;

  eigml_trainer_train_finish (EIGML_TRAINER (source), result, error);
  *(gboolean *) g_object_get_data (source, "done") = TRUE;
}

static void
test_async (void)
{
  g_autofree char *dir = make_fixture ();
  g_autoptr (EigmlTrainer) t = trainer_for (dir, NULL);
  GError *error = NULL;
  gpointer thread_and_count[2] = { g_thread_self (), NULL };
  gboolean done = FALSE;

  g_object_set_data (G_OBJECT (t), "done", &done);
  g_signal_connect (t, "progress", G_CALLBACK (count_progress), thread_and_count);
  eigml_trainer_train_async (t, NULL, on_done, &error);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (error);
  /* every step's signal ran in this thread */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (GPOINTER_TO_SIZE (thread_and_count[1]), ==, 16);
  remove_all (dir);
}

static void
test_refusals (void)
{
  g_autofree char *dir = make_fixture ();
  g_autofree char *config = g_build_filename (dir, "config.json", NULL);
  EigmlContext *ctx = harness_context (EIGML_BACKEND_CPU);
  struct
  {
    const char *set;
    const char *message;
  } cases[] = {
    { "train.lr=\"fast\"", "train.lr: expected a number" },
    { "train.epochs=-1", "train.epochs" },
    { "train.learning_rate=0.1", "train.learning_rate is not a trainer option" },
    { "extra=1", "unknown member \"extra\"" },
    { "model.components.eiks=3", "components.eiks must be true or false" },
    { "data.format=csv", "data.format" },
    { "vocab=missing.txt", "missing.txt" },
    { "data.train=nosuch", "nosuch" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      const char *set[] = { cases[i].set, NULL };
      g_autoptr (EigmlTrainer) t = eigml_trainer_new_from_config (ctx, config, set, &error);

      g_assert_null (t);
      g_assert_nonnull (error);
      if (strstr (error->message, cases[i].message) == NULL)
        g_error ("--set %s: \"%s\" lacks \"%s\"", cases[i].set, error->message, cases[i].message);
    }
  /* model selection on the test split is refused */
  {
    g_autoptr (GError) error = NULL;
    const char *set[] = { "data.validation=test", NULL };
    g_autoptr (EigmlTrainer) t = trainer_for (dir, set);
    g_assert_false (eigml_trainer_train (t, NULL, &error));
    g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (error->message, "test split"));
  }
  /* more examples per step than the data has */
  {
    g_autoptr (GError) error = NULL;
    const char *set[] = { "train.batch_size=64", NULL };
    g_autoptr (EigmlTrainer) t = trainer_for (dir, set);
    g_assert_false (eigml_trainer_train (t, NULL, &error));
    g_assert_nonnull (strstr (error->message, "fewer than one step"));
  }
  remove_all (dir);
}

/* init.text_encoder / init.vision_encoder load pretrained encoders (saved
 * here from standalone encoders of the same sizes) under the model's heads;
 * init.checkpoint loads a whole model. */
static void
test_init (void)
{
  g_autofree char *dir = make_fixture ();
  EigmlContext *ctx = harness_context (EIGML_BACKEND_CPU);
  g_autoptr (GError) error = NULL;
  g_autofree char *text_path = g_build_filename (dir, "bert.safetensors", NULL);
  g_autofree char *vit_path = g_build_filename (dir, "vit.safetensors", NULL);
  g_autofree char *set_t = g_strconcat ("init.text_encoder=", text_path, NULL);
  g_autofree char *set_v = g_strconcat ("init.vision_encoder=", vit_path, NULL);
  const char *sets[] = { set_t, set_v, NULL };
  g_autoptr (EigmlTrainer) t = NULL;
  g_autoptr (EigmlWeights) tw = NULL, vw = NULL;
  EigmlModel *model;

  {
    g_autoptr (EigmlTrainer) base = trainer_for (dir, NULL);
    const EigmlModelConfig *c = eigml_model_get_config (eigml_trainer_get_model (base));
    g_autoptr (EigmlTextEncoder) bert = eigml_text_encoder_new (ctx, c->text, &error);
    g_autoptr (EigmlImageEncoder) vit = eigml_image_encoder_new (ctx, c->vision, &error);

    g_assert_no_error (error);
    tw = eigml_encoder_dup_weights (EIGML_ENCODER (bert), &error);
    vw = eigml_encoder_dup_weights (EIGML_ENCODER (vit), &error);
    g_assert_no_error (error);
    g_assert_true (eigml_weights_save_safetensors (tw, text_path, &error));
    g_assert_true (eigml_weights_save_safetensors (vw, vit_path, &error));
    g_assert_no_error (error);
  }
  t = trainer_for (dir, sets);
  model = eigml_trainer_get_model (t);
  for (guint e = 0; e < 2; e++)
    {
      EigmlWeights *w = e == 0 ? tw : vw;
      g_auto (GStrv) names = eigml_weights_get_names (w);
      guint checked = 0;

      for (guint i = 0; names[i] != NULL; i++)
        {
          g_autofree char *full = g_strconcat (e == 0 ? "text_encoder." : "visual_encoder.",
                                               names[i], NULL);
          EigmlParam *p = eigml_param_store_lookup (eigml_model_get_store (model), full);
          g_autofree float *got = NULL, *want = NULL;
          gsize n = 0;

          if (p == NULL)
            continue;   /* the BERT pooler: the model has none */
          got = eigml_param_dup (p, EIGML_LEAF_PARAM, NULL);
          want = eigml_tensor_dup_floats (eigml_weights_lookup (w, names[i]), &n, NULL);
          g_assert_cmpuint (n, ==, p->n_elements);
          g_assert_cmpmem (got, n * sizeof (float), want, n * sizeof (float));
          checked++;
        }
      g_assert_cmpuint (checked, >, 10);
    }
  /* a checkpoint: the model and vocabulary come from it */
  {
    g_autofree char *ckpt = g_build_filename (dir, "ck", NULL);
    g_autofree char *vocab = g_build_filename (ckpt, "vocab.txt", NULL);
    g_autofree char *set_c = g_strconcat ("init={\"checkpoint\": \"", ckpt, "\"}", NULL);
    const char *ck_sets[] = { "model=null", set_c, NULL };
    g_autoptr (EigmlTrainer) t2 = NULL;
    g_autoptr (EigmlWeights) a = NULL, b = NULL;
    g_auto (GStrv) names = NULL;

    g_assert_true (eigml_model_save (model, ckpt, &error));
    g_assert_true (eigml_tokenizer_save_vocab (eigml_trainer_get_tokenizer (t), vocab, &error));
    g_assert_no_error (error);
    g_autofree char *config = g_build_filename (dir, "config.json", NULL);

    t2 = eigml_trainer_new_from_config (ctx, config, ck_sets, &error);
    /* "model": null is not a model config */
    g_assert_null (t2);
    g_assert_nonnull (strstr (error->message, "\"model\""));
    g_clear_error (&error);
    ck_sets[0] = set_c;
    ck_sets[1] = NULL;
    t2 = trainer_for (dir, ck_sets);
    a = eigml_model_dup_weights (model, &error);
    b = eigml_model_dup_weights (eigml_trainer_get_model (t2), &error);
    names = eigml_weights_get_names (a);
    for (guint i = 0; names[i] != NULL; i++)
      {
        gsize na = 0, nb = 0;
        g_autofree float *x = eigml_tensor_dup_floats (eigml_weights_lookup (a, names[i]), &na, NULL);
        g_autofree float *y = eigml_tensor_dup_floats (eigml_weights_lookup (b, names[i]), &nb, NULL);
        g_assert_cmpmem (x, na * sizeof (float), y, nb * sizeof (float));
      }
  }
  remove_all (dir);
}

int
main (int argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cpu/trainer/refusals", test_refusals);
  g_test_add_func ("/cpu/trainer/train-validate", test_train_validate);
  g_test_add_func ("/cpu/trainer/resume", test_resume);
  g_test_add_func ("/cpu/trainer/resume-accumulation", test_resume_accumulation);
  g_test_add_func ("/cpu/trainer/async", test_async);
  g_test_add_func ("/cpu/trainer/init", test_init);
  {
    int status = g_test_run ();
    harness_cleanup ();
    return status;
  }
}
