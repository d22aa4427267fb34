/* eigml-bench.c: `eigml bench`, measurements against peers in the same run
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * matmul at each size: raw OpenBLAS cblas_sgemm, the CPU backend and the
 * Vulkan backend (through a graph, as models run); one BERT-base encoder
 * layer forward + backward on the CPU backend and in PyTorch
 * (tools/bench/torch_bert_layer.py under /usr/bin/python3); the encoders'
 * forward passes; one training step of the whole EIGML model and the
 * ranking of 10 candidates (tools/bench/torch_eigml.py). Every time is
 * the best of several runs after a warm-up; ratio = peer time / Eigml time,
 * so above 1 means Eigml is faster.
 */
#include "config.h"

#include "eigml-tool.h"
#include "eigml-context-private.h"
#include "engine/graph.h"
#include "nn/nn.h"
#include "model/model-private.h"
#include "eigml-tensor-private.h"
#include <eigml/eigml.h>

#include <cblas.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>

typedef struct
{
  gboolean json;
  double min_seconds;
  int min_repeat;
} BenchOptions;

static void
report (const BenchOptions *o,
        const char *name,
        double eigml_ms,
        const char *peer,
        double peer_ms,
        double gflop)
{
  double ratio = peer_ms > 0 ? peer_ms / eigml_ms : NAN;

  if (o->json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonGenerator) gen = json_generator_new ();
      g_autoptr (JsonNode) root = NULL;
      g_autofree char *text = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, name);
      json_builder_set_member_name (b, "eigml_ms");
      json_builder_add_double_value (b, eigml_ms);
      json_builder_set_member_name (b, "peer");
      if (peer)
        json_builder_add_string_value (b, peer);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "peer_ms");
      if (peer_ms > 0)
        json_builder_add_double_value (b, peer_ms);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "ratio");
      if (isfinite (ratio))
        json_builder_add_double_value (b, ratio);
      else
        json_builder_add_null_value (b);
      if (gflop > 0)
        {
          json_builder_set_member_name (b, "eigml_gflops");
          json_builder_add_double_value (b, gflop / (eigml_ms / 1000.0));
          if (peer_ms > 0)
            {
              json_builder_set_member_name (b, "peer_gflops");
              json_builder_add_double_value (b, gflop / (peer_ms / 1000.0));
            }
        }
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      json_generator_set_root (gen, root);
      text = json_generator_to_data (gen, NULL);
      printf ("%s\n", text);
    }
  else if (peer_ms > 0)
    printf ("%-28s eigml %10.2f ms %8.1f GFLOP/s | %-16s %10.2f ms | ratio %.2f\n", name, eigml_ms,
            gflop > 0 ? gflop / (eigml_ms / 1000.0) : 0.0, peer, peer_ms, ratio);
  else
    printf ("%-28s eigml %10.2f ms %8.1f GFLOP/s | %s\n", name, eigml_ms,
            gflop > 0 ? gflop / (eigml_ms / 1000.0) : 0.0, peer ? peer : "no peer");
  fflush (stdout);
}

/* best time of at least min_repeat runs or min_seconds, after one warm-up */
#define TIME_BEST(o, out_ms, body)                                             \
  G_STMT_START {                                                               \
    gint64 start_all;                                                          \
    int runs = 0;                                                              \
    double best = INFINITY;                                                    \
    body;                                                                      \
    start_all = g_get_monotonic_time ();                                       \
    do                                                                         \
      {                                                                        \
        gint64 t0 = g_get_monotonic_time ();                                   \
        body;                                                                  \
        best = MIN (best, (g_get_monotonic_time () - t0) / 1000.0);            \
        runs++;                                                                \
      }                                                                        \
    while (runs < (o)->min_repeat ||                                           \
           (g_get_monotonic_time () - start_all) < (o)->min_seconds * 1e6);    \
    (out_ms) = best;                                                           \
  } G_STMT_END

static void
fill_random (float *x,
             gsize n,
             guint32 seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);

  for (gsize i = 0; i < n; i++)
    x[i] = (float) g_rand_double_range (rand, -1.0, 1.0);
}

/* The graph product and the raw cblas_sgemm are timed in alternation, so
 * that load from elsewhere on the machine affects both alike. */
static gboolean
bench_matmul (const BenchOptions *o,
              EigmlContext *ctx,
              gint64 n,
              double *out_ms,
              double *out_blas_ms,
              GError **error)
{
  g_autoptr (EigmlGraph) g = eigml_graph_new (ctx);
  gint64 shape[2] = { n, n };
  EigmlNode *a = eigml_graph_input (g, "a", EIGML_DTYPE_F32, 2, shape);
  EigmlNode *b = eigml_graph_input (g, "b", EIGML_DTYPE_F32, 2, shape);
  g_autofree float *da = g_new (float, n * n);
  g_autofree float *db = g_new (float, n * n);
  g_autofree float *dc = g_new (float, n * n);
  gboolean software = eigml_context_get_is_software (ctx);
  double best = INFINITY, best_blas = INFINITY;
  gint64 start;
  int runs = 0;

  eigml_graph_mark_output (g, eigml_op_matmul (g, a, b, FALSE, FALSE));
  fill_random (da, n * n, 3);
  fill_random (db, n * n, 4);
  if (!eigml_graph_set_input_floats (g, a, da, n * n, error) ||
      !eigml_graph_set_input_floats (g, b, db, n * n, error) ||
      !eigml_graph_compute (g, error))
    return FALSE;
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, da, n, db, n, 0.0f, dc, n);
  start = g_get_monotonic_time ();
  do
    {
      gint64 t0 = g_get_monotonic_time ();
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, da, n, db, n, 0.0f,
                   dc, n);
      best_blas = MIN (best_blas, (g_get_monotonic_time () - t0) / 1000.0);
      t0 = g_get_monotonic_time ();
      if (!eigml_graph_compute (g, error))
        return FALSE;
      best = MIN (best, (g_get_monotonic_time () - t0) / 1000.0);
      runs++;
    }
  /* a software Vulkan device takes seconds per product: one timed run */
  while (!software && (runs < o->min_repeat ||
                       (g_get_monotonic_time () - start) < o->min_seconds * 1e6));
  *out_ms = best;
  *out_blas_ms = best_blas;
  return TRUE;
}

/* tools/bench/NAME in the source tree, else where it is installed;
 * EIGML_BENCH_DIR overrides */
static char *
find_torch_script (const char *name)
{
  const char *env = g_getenv ("EIGML_BENCH_DIR");
  g_autofree char *in_env = env ? g_build_filename (env, name, NULL) : NULL;
  g_autofree char *in_source = g_build_filename (EIGML_SOURCE_DIR, "tools", "bench", name, NULL);
  g_autofree char *installed = g_build_filename (EIGML_DATADIR, "bench", name, NULL);
  const char *candidates[] = { in_env, in_source, installed };

  for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
    if (candidates[i] != NULL && g_file_test (candidates[i], G_FILE_TEST_IS_REGULAR))
      return g_strdup (candidates[i]);
  return NULL;
}

/* The PyTorch peer, started once in --serve mode: each "step" line makes
 * it run one step and answer with its time, so its steps alternate with
 * Eigml's and load from elsewhere on the machine affects both alike. */
typedef struct
{
  GSubprocess *process;
  GOutputStream *in;
  GDataInputStream *out;
  char *name;
} TorchPeer;

static void
torch_peer_free (TorchPeer *peer)
{
  if (peer == NULL)
    return;
  if (peer->in != NULL)
    g_output_stream_close (peer->in, NULL, NULL);
  if (peer->process != NULL)
    g_subprocess_wait (peer->process, NULL, NULL);
  g_clear_object (&peer->out);
  g_clear_object (&peer->process);
  g_free (peer->name);
  g_free (peer);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TorchPeer, torch_peer_free)

/* Starts /usr/bin/python3 tools/bench/SCRIPT ARGS... --threads N */
static TorchPeer *
torch_peer_start (const char *script_name,
                  const char *const *args,
                  int threads,
                  GError **error)
{
  g_autoptr (TorchPeer) peer = g_new0 (TorchPeer, 1);
  g_autofree char *script = find_torch_script (script_name);
  g_autofree char *threads_s = g_strdup_printf ("%d", threads);
  g_autofree char *line = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();

  if (script == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "tools/bench/%s not found (set EIGML_BENCH_DIR)", script_name);
      return NULL;
    }
  g_ptr_array_add (argv, (gpointer) "/usr/bin/python3");
  g_ptr_array_add (argv, script);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, (gpointer) "--threads");
  g_ptr_array_add (argv, threads_s);
  g_ptr_array_add (argv, NULL);
  peer->process = g_subprocess_newv ((const char *const *) argv->pdata,
                                     G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                                     error);
  if (peer->process == NULL)
    return NULL;
  peer->in = g_subprocess_get_stdin_pipe (peer->process);
  peer->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (peer->process));
  line = g_data_input_stream_read_line_utf8 (peer->out, NULL, NULL, error);
  if (line == NULL || !g_str_has_prefix (line, "ready "))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                     "the PyTorch peer did not start (is python3-torch installed?)");
      return NULL;
    }
  if (json_parser_load_from_data (parser, line + 6, -1, NULL) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    peer->name = g_strdup (json_object_get_string_member_with_default (
                             json_node_get_object (json_parser_get_root (parser)), "peer",
                             "pytorch"));
  else
    peer->name = g_strdup ("pytorch");
  return g_steal_pointer (&peer);
}

static double
torch_peer_step (TorchPeer *peer,
                 GError **error)
{
  g_autofree char *line = NULL;

  if (!g_output_stream_write_all (peer->in, "step\n", 5, NULL, NULL, error) ||
      !g_output_stream_flush (peer->in, NULL, error))
    return -1.0;
  line = g_data_input_stream_read_line_utf8 (peer->out, NULL, NULL, error);
  if (line == NULL)
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the PyTorch peer stopped");
      return -1.0;
    }
  return g_ascii_strtod (line, NULL);
}

typedef gboolean (*BenchStep) (gpointer data, GError **error);

/* Eigml's step and the peer's step in alternation, the best of each. */
static gboolean
alternate (const BenchOptions *o,
           BenchStep step,
           gpointer data,
           TorchPeer *torch,
           double *ms,
           double *peer_ms,
           GError **error)
{
  double best = INFINITY, best_peer = INFINITY;
  gint64 start = g_get_monotonic_time ();
  int runs = 0;

  do
    {
      gint64 t0 = g_get_monotonic_time ();
      if (!step (data, error))
        return FALSE;
      best = MIN (best, (g_get_monotonic_time () - t0) / 1000.0);
      if (torch != NULL)
        {
          double t;
          /* let the other process's spinning worker threads fall asleep
           * (OpenMP and OpenBLAS spin for a while after each region) */
          g_usleep (G_USEC_PER_SEC / 2);
          t = torch_peer_step (torch, error);
          g_usleep (G_USEC_PER_SEC / 2);
          if (t < 0)
            return FALSE;
          best_peer = MIN (best_peer, t);
        }
      runs++;
    }
  while (runs < o->min_repeat || (g_get_monotonic_time () - start) < o->min_seconds * 1e6);
  *ms = best;
  *peer_ms = torch != NULL ? best_peer : -1.0;
  return TRUE;
}

static gboolean
compute_step (gpointer data,
              GError **error)
{
  return eigml_graph_compute (data, error);
}

static gboolean
bench_bert_layer (const BenchOptions *o,
                  EigmlContext *ctx,
                  gint64 batch,
                  gint64 seq,
                  gboolean with_torch,
                  GError **error)
{
  g_autoptr (EigmlParamStore) store = eigml_param_store_new (ctx, 1);
  g_autoptr (EigmlGraph) g = eigml_graph_new (ctx);
  EigmlTransformerConfig cfg = { .hidden = 768, .heads = 12, .ffn = 3072, .eps = 1e-12f,
                                 .dropout = 0.1f, .attn_dropout = 0.1f, .pre_ln = FALSE };
  EigmlTransformerBlock block;
  gint64 xs[3] = { batch, seq, 768 }, ms_shape[4] = { batch, 1, 1, seq };
  EigmlNode *x, *mask, *y, *w, *loss;
  g_autofree float *xd = g_new (float, batch * seq * 768);
  g_autofree float *md = g_new0 (float, batch * seq);
  double ms, peer_ms = -1.0;
  g_autoptr (TorchPeer) torch = NULL;
  g_autofree char *name = g_strdup_printf ("bert-layer-fwd-bwd-%s", eigml_backend_kind_to_string (
                                             eigml_context_get_backend (ctx)));
  /* forward GEMMs: 4 h^2 + 2 h f per token, attention 2 t h per token; backward twice that */
  double gflop = 3.0 * 2.0 * batch * seq * (4.0 * 768 * 768 + 2.0 * 768 * 3072 + 2.0 * seq * 768) / 1e9;

  if (!eigml_transformer_block_init (&block, store, "encoder.layer.0", &cfg, error))
    return FALSE;
  x = eigml_graph_input (g, "x", EIGML_DTYPE_F32, 3, xs);
  eigml_node_set_requires_grad (x, TRUE);
  mask = eigml_graph_input (g, "mask", EIGML_DTYPE_F32, 4, ms_shape);
  y = eigml_transformer_block_forward (g, &block, x, mask, TRUE);
  fill_random (xd, batch * seq * 768, 5);
  w = eigml_graph_constant (g, "w", 3, xs, xd);
  loss = eigml_op_sum_all (g, eigml_op_mul (g, y, w));
  if (!eigml_graph_backward (g, loss, error) || !eigml_graph_prepare (g, error))
    return FALSE;
  fill_random (xd, batch * seq * 768, 6);
  if (!eigml_graph_set_input_floats (g, x, xd, batch * seq * 768, error) ||
      !eigml_graph_set_input_floats (g, mask, md, batch * seq, error) ||
      !eigml_graph_set_rng (g, 1, 0, error))
    return FALSE;
  if (with_torch)
    {
      g_autoptr (GError) peer_error = NULL;
      g_autofree char *batch_s = g_strdup_printf ("%" G_GINT64_FORMAT, batch);
      g_autofree char *seq_s = g_strdup_printf ("%" G_GINT64_FORMAT, seq);
      const char *args[] = { "--serve", "--batch", batch_s, "--seq", seq_s, NULL };
      torch = torch_peer_start ("torch_bert_layer.py", args, omp_get_max_threads (), &peer_error);
      if (torch == NULL)
        fprintf (stderr, "eigml bench: no PyTorch measurement: %s\n", peer_error->message);
    }
  if (!eigml_graph_compute (g, error))  /* warm-up */
    return FALSE;
  {
    BenchOptions five = *o;
    five.min_repeat = MAX (o->min_repeat, 5);
    if (!alternate (&five, compute_step, g, torch, &ms, &peer_ms, error))
      return FALSE;
  }
  report (o, name, ms, torch ? torch->name : (with_torch ? "pytorch (failed)" : NULL), peer_ms,
          gflop);
  return TRUE;
}

/* ---- encoders: the paper's batch, inference --------------------------------- */

typedef struct
{
  EigmlTextEncoder *text;
  EigmlImageEncoder *image;
  EigmlTensor *input;
} EncoderStep;

static gboolean
encoder_step (gpointer data,
              GError **error)
{
  EncoderStep *s = data;
  g_autoptr (EigmlTensor) out = NULL;

  if (s->text != NULL)
    out = eigml_text_encoder_encode (s->text, s->input, NULL, NULL, NULL, error);
  else
    out = eigml_image_encoder_encode (s->image, s->input, error);
  return out != NULL;
}

/* forward FLOPs of a transformer encoder over @tokens tokens in sequences of @seq */
static double
encoder_gflop (double tokens,
               double seq,
               double layers,
               double hidden,
               double ffn)
{
  return 2.0 * tokens * layers * (4.0 * hidden * hidden + 2.0 * hidden * ffn + 2.0 * seq * hidden) /
         1e9;
}

static gboolean
bench_encoders (const BenchOptions *o,
                EigmlContext *ctx,
                gboolean with_torch,
                GError **error)
{
  const gint64 dialogues = 16, tokens = 128, stickers = 160;

  /* BERT-base (bert-base-chinese's sizes) on 16 dialogues of 128 tokens */
  {
    g_autoptr (EigmlEncoderConfig) c = eigml_encoder_config_new (EIGML_ENCODER_TEXT);
    g_autoptr (EigmlTextEncoder) enc = eigml_text_encoder_new (ctx, c, error);
    g_autoptr (EigmlTensor) ids = NULL;
    g_autoptr (TorchPeer) torch = NULL;
    g_autofree gint32 *data = g_new (gint32, dialogues * tokens);
    gint64 shape[2] = { dialogues, tokens };
    EncoderStep step = { 0 };
    double ms, peer_ms;

    if (enc == NULL)
      return FALSE;
    for (gint64 i = 0; i < dialogues * tokens; i++)
      data[i] = (gint32) ((i * 7919) % c->vocab_size);
    ids = eigml_tensor_new_from_ints (shape, 2, data, dialogues * tokens, error);
    if (ids == NULL)
      return FALSE;
    step.text = enc;
    step.input = ids;
    if (with_torch)
      {
        g_autoptr (GError) peer_error = NULL;
        const char *args[] = { "--model", "bert", "--batch", "16", "--seq", "128", NULL };
        torch = torch_peer_start ("torch_encoders.py", args, omp_get_max_threads (), &peer_error);
        if (torch == NULL)
          fprintf (stderr, "eigml bench: no PyTorch measurement: %s\n", peer_error->message);
      }
    if (!encoder_step (&step, error) || !alternate (o, encoder_step, &step, torch, &ms, &peer_ms,
                                                    error))
      return FALSE;
    report (o, "bert-base-forward-16x128-cpu", ms, torch ? torch->name : NULL, peer_ms,
            encoder_gflop (dialogues * tokens, tokens, 12, 768, 3072));
  }

  /* ViT-B/16 on 160 stickers at 128 x 128 (16 dialogues x 10 candidates) */
  {
    g_autoptr (EigmlEncoderConfig) c = eigml_encoder_config_new (EIGML_ENCODER_IMAGE);
    g_autoptr (EigmlImageEncoder) enc = eigml_image_encoder_new (ctx, c, error);
    g_autoptr (EigmlTensor) pixels = NULL;
    g_autoptr (TorchPeer) torch = NULL;
    gint64 shape[4] = { stickers, 3, 128, 128 };
    EncoderStep step = { 0 };
    double ms, peer_ms;
    gint64 patches = (128 / 16) * (128 / 16) + 1;

    if (enc == NULL)
      return FALSE;
    pixels = eigml_tensor_new (EIGML_DTYPE_F32, shape, 4, error);
    if (pixels == NULL)
      return FALSE;
    fill_random (eigml_tensor_peek_data_mutable (pixels), stickers * 3 * 128 * 128, 9);
    step.image = enc;
    step.input = pixels;
    if (with_torch)
      {
        g_autoptr (GError) peer_error = NULL;
        const char *args[] = { "--model", "vit", "--batch", "160", "--image", "128", NULL };
        torch = torch_peer_start ("torch_encoders.py", args, omp_get_max_threads (), &peer_error);
        if (torch == NULL)
          fprintf (stderr, "eigml bench: no PyTorch measurement: %s\n", peer_error->message);
      }
    if (!encoder_step (&step, error) || !alternate (o, encoder_step, &step, torch, &ms, &peer_ms,
                                                    error))
      return FALSE;
    report (o, "vit-b16-forward-160x128px-cpu", ms, torch ? torch->name : NULL, peer_ms,
            encoder_gflop (stickers * patches, patches, 12, 768, 3072));
  }
  return TRUE;
}

/* ---- the whole EIGML model ----------------------------------------------- */

typedef struct
{
  EigmlGraph *graph;
  EigmlAdamWConfig adamw;
  guint64 step;
  gboolean train;
} ModelStep;

static gboolean
model_step (gpointer data,
            GError **error)
{
  ModelStep *s = data;

  if (s->train && (!eigml_graph_set_rng (s->graph, 42, s->step, error) ||
                   !eigml_graph_set_adamw_step (s->graph, &s->adamw, s->adamw.lr, s->step + 1,
                                                error)))
    return FALSE;
  s->step++;
  return eigml_graph_compute (s->graph, error);
}

/* A batch of B dialogues of full length with C random candidate images. */
static void
model_batch (const EigmlModelConfig *c,
             gint64 B,
             gint64 C,
             EigmlModelBatch *b)
{
  gint64 T = c->max_len, Tk = c->knowledge_len, R = EIGML_N_RELATIONS, N = B * C;
  gint64 grid = c->vision->image_size / c->vision->patch_size;
  gint64 pd = 3 * (gint64) c->vision->patch_size * c->vision->patch_size;
  gint64 shape[3] = { N, grid * grid, pd };

  eigml_model_batch_init (b, B, C, T, Tk, c->n_emotions);
  for (gint64 i = 0; i < B * T; i++)
    b->text_ids[i] = (gint32) ((i * 7919) % c->text->vocab_size);
  for (gint64 i = 0; i < B * R * Tk; i++)
    b->know_ids[i] = (gint32) ((i * 104729) % c->text->vocab_size);
  for (gint64 i = 0; i < B; i++)
    {
      b->positive[i] = (gint32) ((i * 3) % C);
      b->labels[i * C + b->positive[i]] = 1.0f;
      b->emo_dist[i * c->n_emotions + i % c->n_emotions] = 1.0f;
    }
  b->patches = eigml_tensor_new (EIGML_DTYPE_F32, shape, 3, NULL);
  fill_random (eigml_tensor_peek_data_mutable (b->patches), N * grid * grid * pd, 11);
}

/* One training step of the paper's model (BERT-base + ViT-B/16, 16
 * dialogues x 10 candidates at 128 x 128, text 128 tokens, knowledge 4 x
 * 32): forward, backward, AdamW; and ranking 10 candidates for one
 * dialogue. */
static gboolean
bench_eigml (const BenchOptions *o,
             EigmlContext *ctx,
             gboolean with_torch,
             GError **error)
{
  for (guint mode = 0; mode < 2; mode++)
    {
      gboolean train = mode == 0;
      gint64 B = train ? 16 : 1;
      g_autoptr (EigmlModelConfig) c = eigml_model_config_new ();
      g_autoptr (EigmlModel) model = eigml_model_new (ctx, c, 42, error);
      g_autoptr (EigmlGraph) g = NULL;
      g_autoptr (TorchPeer) torch = NULL;
      EigmlModelGraph mg;
      EigmlModelBatch batch;
      ModelStep step = { NULL, { 0 }, 0, train };
      double ms, unused, peer_ms = -1.0;

      if (model == NULL)
        return FALSE;
      g = eigml_graph_new (ctx);
      step.graph = g;
      if (!eigml_model_build (model, g, B, 10, train ? EIGML_MODEL_GRAPH_TRAIN : 0, &mg, error) ||
          (train && (!eigml_graph_backward (g, mg.loss[EIGML_LOSS_TOTAL], error) ||
                     !eigml_graph_add_adamw (g, eigml_model_get_store (model), error))) ||
          !eigml_graph_prepare (g, error))
        return FALSE;
      eigml_adamw_config_init_default (&step.adamw);
      step.adamw.lr = 5e-5f;
      step.adamw.max_grad_norm = 1.0f;
      model_batch (c, B, 10, &batch);
      if (!eigml_model_graph_set_batch (g, &mg, &batch, c->n_emotions, error))
        {
          eigml_model_batch_clear (&batch);
          return FALSE;
        }
      eigml_model_batch_clear (&batch);
      /* Eigml first, then the peer: both at once do not fit in 24 GiB (a
       * training step of this model holds ~12 GiB in either) */
      if (!model_step (&step, error) || !alternate (o, model_step, &step, NULL, &ms, &unused, error))
        return FALSE;
      g_clear_pointer (&g, eigml_graph_unref);
      g_clear_object (&model);
      if (with_torch)
        {
          g_autoptr (GError) peer_error = NULL;
          const char *args[] = { "--mode", train ? "train" : "rank", NULL };

          torch = torch_peer_start ("torch_eigml.py", args, omp_get_max_threads (), &peer_error);
          if (torch == NULL)
            fprintf (stderr, "eigml bench: no PyTorch measurement: %s\n", peer_error->message);
          for (int r = 0; torch != NULL && r < o->min_repeat; r++)
            {
              double t = torch_peer_step (torch, error);
              if (t < 0)
                return FALSE;
              peer_ms = r == 0 ? t : MIN (peer_ms, t);
            }
        }
      report (o, train ? "eigml-train-step-16x10-cpu" : "eigml-rank-1x10-cpu", ms,
              torch ? torch->name : NULL, peer_ms, 0.0);
    }
  return TRUE;
}

int
eigml_tool_bench (int argc,
                  char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GOptionContext) options = g_option_context_new ("- measure Eigml against its peers");
  g_autoptr (EigmlContext) cpu = NULL;
  g_autoptr (EigmlContext) vk = NULL;
  BenchOptions o = { FALSE, 1.0, 3 };
  g_autofree char *sizes_s = g_strdup ("512,1024,2048");
  gboolean no_vulkan = FALSE, no_torch = FALSE, no_matmul = FALSE, no_bert = FALSE;
  gboolean no_encoders = FALSE, no_eigml = FALSE;
  int bert_batch = 8, bert_seq = 128;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &o.json, "one JSON object per line per measurement", NULL },
    { "sizes", 0, 0, G_OPTION_ARG_STRING, &sizes_s, "matmul sizes (default 512,1024,2048)", "LIST" },
    { "no-vulkan", 0, 0, G_OPTION_ARG_NONE, &no_vulkan, "skip the Vulkan backend", NULL },
    { "no-torch", 0, 0, G_OPTION_ARG_NONE, &no_torch, "skip the PyTorch peer", NULL },
    { "no-matmul", 0, 0, G_OPTION_ARG_NONE, &no_matmul, "skip the matmul measurements", NULL },
    { "no-bert", 0, 0, G_OPTION_ARG_NONE, &no_bert, "skip the BERT layer measurement", NULL },
    { "no-encoders", 0, 0, G_OPTION_ARG_NONE, &no_encoders,
      "skip the BERT-base and ViT-B/16 forward measurements", NULL },
    { "no-eigml", 0, 0, G_OPTION_ARG_NONE, &no_eigml,
      "skip the EIGML training step and ranking measurements", NULL },
    { "bert-batch", 0, 0, G_OPTION_ARG_INT, &bert_batch, "BERT layer batch (default 8)", "N" },
    { "bert-seq", 0, 0, G_OPTION_ARG_INT, &bert_seq, "BERT layer sequence length (default 128)", "N" },
    { "repeat", 0, 0, G_OPTION_ARG_INT, &o.min_repeat, "at least N timed runs (default 3)", "N" },
    { NULL }
  };
  g_auto (GStrv) sizes = NULL;

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    return eigml_tool_fail ("bench", error);
  if (o.min_repeat < 1 || bert_batch < 1 || bert_seq < 1 || bert_seq > 4096)
    {
      fprintf (stderr, "eigml bench: --repeat, --bert-batch and --bert-seq must be positive\n");
      return 2;
    }
  cpu = eigml_context_new (EIGML_BACKEND_CPU, NULL, &error);
  if (cpu == NULL)
    return eigml_tool_fail ("bench", error);
  if (!no_vulkan)
    {
      vk = eigml_context_new (EIGML_BACKEND_VULKAN, NULL, &error);
      if (vk == NULL)
        {
          fprintf (stderr, "eigml bench: no Vulkan measurement: %s\n", error->message);
          g_clear_error (&error);
        }
    }
  if (!o.json)
    {
      printf ("CPU backend: %s\n", eigml_context_get_device_name (cpu));
      if (vk)
        printf ("Vulkan backend: %s%s\n", eigml_context_get_device_name (vk),
                eigml_context_get_is_software (vk) ? " (software)" : "");
    }

  sizes = g_strsplit (sizes_s, ",", -1);
  for (guint i = 0; !no_matmul && sizes[i] != NULL; i++)
    {
      gint64 n = g_ascii_strtoll (sizes[i], NULL, 10);
      double blas_ms, ms;
      double gflop;
      char name[64];

      if (n <= 0 || n > 16384)
        {
          fprintf (stderr, "eigml bench: bad matmul size '%s'\n", sizes[i]);
          return 2;
        }
      gflop = 2.0 * n * n * n / 1e9;
      if (!bench_matmul (&o, cpu, n, &ms, &blas_ms, &error))
        return eigml_tool_fail ("bench", error);
      g_snprintf (name, sizeof name, "matmul-%" G_GINT64_FORMAT "-openblas", n);
      report (&o, name, blas_ms, NULL, -1, gflop);
      g_snprintf (name, sizeof name, "matmul-%" G_GINT64_FORMAT "-cpu", n);
      report (&o, name, ms, "openblas", blas_ms, gflop);
      if (vk != NULL)
        {
          if (!bench_matmul (&o, vk, n, &ms, &blas_ms, &error))
            return eigml_tool_fail ("bench", error);
          g_snprintf (name, sizeof name, "matmul-%" G_GINT64_FORMAT "-vulkan", n);
          report (&o, name, ms, "openblas", blas_ms, gflop);
        }
    }
  if (!no_bert && !bench_bert_layer (&o, cpu, bert_batch, bert_seq, !no_torch, &error))
    return eigml_tool_fail ("bench", error);
  if (!no_encoders && !bench_encoders (&o, cpu, !no_torch, &error))
    return eigml_tool_fail ("bench", error);
  if (!no_eigml && !bench_eigml (&o, cpu, !no_torch, &error))
    return eigml_tool_fail ("bench", error);
  return 0;
}
