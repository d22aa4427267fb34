/* test-library.c: EigmlStickerLibrary (files, folders, errors, atomic save,
 * fingerprints) and whole-library retrieval through EigmlRanker (the
 * embedding cache and its invalidation; two stages equal exhaustive
 * scoring when the first stage keeps everything; adding one sticker to a
 * ranker's library).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "op-harness.h"
#include "test-images-fixtures.h"
#include <eigml/eigml.h>
#include "eigml-trainer-private.h"

#include <glib/gstdio.h>
#include <math.h>

#define N_STICKERS 40

#define TINY_MODEL \
  "{\"text_encoder\": {\"hidden_size\": 32, \"num_hidden_layers\": 1, \"num_attention_heads\": 2," \
  " \"intermediate_size\": 64, \"vocab_size\": 40, \"max_position_embeddings\": 24}," \
  " \"vision_encoder\": {\"hidden_size\": 32, \"num_hidden_layers\": 1, \"num_attention_heads\": 2," \
  " \"intermediate_size\": 64, \"image_size\": 16, \"patch_size\": 8}," \
  " \"max_len\": 12, \"knowledge_len\": 6, \"n_candidates\": 4, \"proj_dim\": 16," \
  " \"fusion_heads\": 2, \"fusion_ffn\": 48}"

static char *
make_library (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("eigml-library-XXXXXX", &error);
  g_autofree char *img = g_build_filename (dir, "img", NULL);
  GString *lines = g_string_new (NULL);

  g_assert_no_error (error);
  g_mkdir (img, 0755);
  for (guint s = 0; s < N_STICKERS; s++)
    {
      g_autofree guint8 *px = fixture_pattern (16, 16, 3, 500 + s);
      g_autoptr (GBytes) png = fixture_pixbuf_save (px, 16, 16, 3, "png", NULL);
      g_autofree char *name = g_strdup_printf ("s%02u.png", s);

      g_free (fixture_write (img, name, png));
      g_string_append_printf (lines, "{\"id\": \"s%02u\", \"file\": \"img/s%02u.png\", \"label\": "
                              "{\"en\": \"sticker %u\", \"zh\": \"贴纸%u\"}, \"emotion\": %s, "
                              "%s\"extra\": [1, 2]}\n", s, s, s, s,
                              s % 4 == 0 ? "\"乐\"" : s % 4 == 1 ? "\"哀\"" : "null",
                              s == 7 ? "\"keywords\": {\"en\": [\"rocket\", \"launch\"], "
                                       "\"zh\": [\"火箭\"]}, "
                              : s == 13 ? "\"keywords\": {\"zh\": [\"咖啡\", \"热饮\"]}, " : "");
    }
  {
    g_autoptr (GBytes) b = g_bytes_new (lines->str, lines->len);
    g_free (fixture_write (dir, "library.jsonl", b));
  }
  {
    const char *vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhappy\nsad\ncat\n";
    g_autoptr (GBytes) v = g_bytes_new_static (vocab, strlen (vocab));
    g_free (fixture_write (dir, "vocab.txt", v));
  }
  g_string_free (lines, TRUE);
  return dir;
}

static void
remove_all (const char *path)
{
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

static void
write_text (const char *dir,
            const char *name,
            const char *text)
{
  g_autoptr (GBytes) b = g_bytes_new (text, strlen (text));
  g_free (fixture_write (dir, name, b));
}

static void
test_library_file (void)
{
  g_autofree char *dir = make_library ();
  g_autofree char *file = g_build_filename (dir, "library.jsonl", NULL);
  g_autofree char *copy = g_build_filename (dir, "copy.jsonl", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlStickerLibrary) lib = eigml_sticker_library_new_from_file (file, &error);
  g_autoptr (EigmlStickerLibrary) back = NULL;
  g_autofree char *fp1 = NULL, *fp2 = NULL;
  guint index = 0;

  g_assert_no_error (error);
  g_assert_cmpuint (eigml_sticker_library_get_n_stickers (lib), ==, N_STICKERS);
  g_assert_cmpstr (eigml_sticker_library_get_id (lib, 5), ==, "s05");
  g_assert_true (g_str_has_suffix (eigml_sticker_library_get_path (lib, 5), "/img/s05.png"));
  g_assert_cmpstr (eigml_sticker_library_get_label (lib, 5, "zh"), ==, "贴纸5");
  g_assert_cmpstr (eigml_sticker_library_get_label (lib, 5, "en"), ==, "sticker 5");
  g_assert_cmpstr (eigml_sticker_library_get_emotion (lib, 4), ==, "乐");
  g_assert_cmpstr (eigml_sticker_library_get_emotion (lib, 5), ==, "哀");
  g_assert_null (eigml_sticker_library_get_emotion (lib, 6));
  g_assert_true (eigml_sticker_library_lookup (lib, "s17", &index));
  g_assert_cmpuint (index, ==, 17);
  g_assert_false (eigml_sticker_library_lookup (lib, "nope", NULL));

  /* add and save atomically; the reloaded library is the same plus one */
  {
    g_autofree char *img = g_build_filename (dir, "img", "s03.png", NULL);
    g_assert_true (eigml_sticker_library_add (lib, "new", img, "new one", NULL, "惊", &error));
    g_assert_no_error (error);
    g_assert_false (eigml_sticker_library_add (lib, "new", img, NULL, NULL, NULL, &error));
    g_assert_nonnull (strstr (error->message, "twice"));
    g_clear_error (&error);
    g_assert_false (eigml_sticker_library_add (lib, "x", "/nonexistent.png", NULL, NULL, NULL,
                                               &error));
    g_clear_error (&error);
    g_assert_false (eigml_sticker_library_add (lib, "y", img, NULL, NULL, "happy", &error));
    g_assert_nonnull (strstr (error->message, "not one of"));
    g_clear_error (&error);
  }
  g_assert_true (eigml_sticker_library_save (lib, copy, &error));
  back = eigml_sticker_library_new_from_file (copy, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (eigml_sticker_library_get_n_stickers (back), ==, N_STICKERS + 1);
  g_assert_cmpstr (eigml_sticker_library_get_emotion (back, N_STICKERS), ==, "惊");
  g_assert_cmpstr (eigml_sticker_library_get_path (back, 3), ==,
                   eigml_sticker_library_get_path (lib, 3));

  /* the fingerprint follows ids and images */
  fp1 = eigml_sticker_library_get_fingerprint (back);
  {
    g_autofree char *img = g_build_filename (dir, "img", "s07.png", NULL);
    g_autofree guint8 *px = fixture_pattern (16, 16, 3, 999);
    g_autoptr (GBytes) png = fixture_pixbuf_save (px, 16, 16, 3, "png", NULL);
    g_autoptr (EigmlStickerLibrary) again = NULL;
    g_autofree char *other = g_build_filename (dir, "img", NULL);

    g_autofree char *same = eigml_sticker_library_get_fingerprint (back);

    g_assert_cmpstr (fp1, ==, same);
    g_free (fixture_write (other, "s07.png", png));
    g_usleep (G_USEC_PER_SEC / 100);
    again = eigml_sticker_library_new_from_file (copy, &error);
    g_assert_no_error (error);
    fp2 = eigml_sticker_library_get_fingerprint (again);
  }
  g_assert_cmpstr (fp1, !=, fp2);
  remove_all (dir);
}

static void
test_library_errors (void)
{
  g_autofree char *dir = make_library ();
  struct
  {
    const char *text;
    const char *message;
  } cases[] = {
    { "{\"id\": \"a\", \"file\": \"img/s00.png\"}\n{\"id\": \"a\", \"file\": \"img/s01.png\"}\n",
      "bad.jsonl:2: sticker id \"a\" is there twice" },
    { "{\"id\": \"a\", \"file\": \"img/none.png\"}\n", "bad.jsonl:1: image" },
    { "\n\n{\"id\": \"a\", \"file\": 3}\n", "bad.jsonl:3: field 'file'" },
    { "{\"id\": \"a\", \"file\": \"img/s00.png\", \"emotion\": 2}\n", "bad.jsonl:1: field 'emotion'" },
    { "{\"id\": \"a\", \"file\": \"img/s00.png\", \"emotion\": \"joy\"}\n", "not one of" },
    { "{\"id\": \"a\", \"file\": \"img/s00.png\"\n", "bad.jsonl:1:" },
    { "[1]\n", "bad.jsonl:1: expected an object" },
    { "{\"file\": \"img/s00.png\"}\n", "bad.jsonl:1: a sticker needs a non-empty id" },
    { "\xff\xfe\n", "not UTF-8" },
    { "{\"id\": \"a\", \"file\": \"img/s00.png\", \"keywords\": {\"en\": \"owl\"}}\n",
      "bad.jsonl:1: field 'keywords'" },
    { "{\"id\": \"a\", \"file\": \"img/s00.png\", \"keywords\": {\"zh\": [1]}}\n",
      "bad.jsonl:1: field 'keywords'" },
    { "{\"id\": \"a\", \"file\": \"img/s00.png\", \"keywords\": [\"owl\"]}\n",
      "bad.jsonl:1: field 'keywords'" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *file = g_build_filename (dir, "bad.jsonl", NULL);
      g_autoptr (EigmlStickerLibrary) lib = NULL;

      write_text (dir, "bad.jsonl", cases[i].text);
      lib = eigml_sticker_library_new_from_file (file, &error);
      g_assert_null (lib);
      g_assert_nonnull (error);
      if (strstr (error->message, cases[i].message) == NULL)
        g_error ("case %u: \"%s\" lacks \"%s\"", i, error->message, cases[i].message);
    }
  {
    g_autoptr (GError) error = NULL;
    g_autofree char *img = g_build_filename (dir, "img", NULL);
    g_autoptr (EigmlStickerLibrary) lib = eigml_sticker_library_new_from_folder (img, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (eigml_sticker_library_get_n_stickers (lib), ==, N_STICKERS);
    g_assert_cmpstr (eigml_sticker_library_get_id (lib, 0), ==, "s00");
    {
      g_autofree char *empty = g_build_filename (dir, "empty", NULL);
      g_mkdir (empty, 0755);
      g_assert_null (eigml_sticker_library_new_from_folder (empty, &error));
      g_assert_nonnull (strstr (error->message, "no sticker images"));
    }
  }
  remove_all (dir);
}

static EigmlModel *
tiny_model (guint64 seed)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlModelConfig) c = eigml_model_config_new_from_data (TINY_MODEL, -1, &error);
  EigmlModel *m;

  g_assert_no_error (error);
  m = eigml_model_new (harness_context (EIGML_BACKEND_CPU), c, seed, &error);
  g_assert_no_error (error);
  return m;
}

static void
test_rank_library (void)
{
  g_autofree char *dir = make_library ();
  g_autofree char *file = g_build_filename (dir, "library.jsonl", NULL);
  g_autofree char *vocab = g_build_filename (dir, "vocab.txt", NULL);
  g_autofree char *cache = g_build_filename (dir, "cache", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlStickerLibrary) lib = eigml_sticker_library_new_from_file (file, &error);
  g_autoptr (EigmlTokenizer) tok = eigml_tokenizer_new_from_file (vocab, &error);
  g_autoptr (EigmlModel) model = tiny_model (3);
  g_autoptr (EigmlRanker) ranker = eigml_ranker_new (model, tok);
  const char *turns[] = { "happy cat", "sad", NULL };
  g_autofree guint *idx = NULL;
  g_autofree float *sc = NULL;
  gsize n = 0;

  g_assert_no_error (error);
  /* no library yet */
  g_assert_false (eigml_ranker_rank_library (ranker, turns, NULL, 0, 5, &idx, &sc, NULL, &n,
                                              &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_assert_true (eigml_ranker_set_library (ranker, lib, cache, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (eigml_ranker_get_library_from_cache (ranker));

  /* the first stage keeping every sticker: the result is exhaustive
   * scoring's top 5 */
  eigml_ranker_set_first_stage_size (ranker, N_STICKERS);
  g_assert_true (eigml_ranker_rank_library (ranker, turns, NULL, 0, 5, &idx, &sc, NULL, &n,
                                             &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 5);
  {
    g_autofree const char **paths = g_new0 (const char *, N_STICKERS + 1);
    g_autofree float *all = NULL;
    gsize n_all = 0;
    guint better = 0;

    for (guint i = 0; i < N_STICKERS; i++)
      paths[i] = eigml_sticker_library_get_path (lib, i);
    all = eigml_ranker_score (ranker, turns, NULL, 0, paths, &n_all, &error);
    g_assert_no_error (error);
    for (guint i = 0; i < 5; i++)
      {
        g_assert_cmpfloat (sc[i], ==, all[idx[i]]);
        if (i > 0)
          g_assert_cmpfloat (sc[i], <=, sc[i - 1]);
      }
    for (guint i = 0; i < N_STICKERS; i++)
      if (all[i] > sc[4])
        better++;
    g_assert_cmpuint (better, <=, 4);
  }
  g_clear_pointer (&idx, g_free);
  g_clear_pointer (&sc, g_free);

  /* a small first stage: scores are the full model's, best first */
  eigml_ranker_set_first_stage_size (ranker, 8);
  g_assert_true (eigml_ranker_rank_library (ranker, turns, NULL, 0, 3, &idx, &sc, NULL, &n,
                                             &error));
  g_assert_cmpuint (n, ==, 3);
  g_assert_true (sc[0] >= sc[1] && sc[1] >= sc[2]);
  {
    g_autofree guint *bad_idx = NULL;
    g_autofree float *bad_sc = NULL;
    gsize bad_n = 0;

    g_assert_false (eigml_ranker_rank_library (ranker, turns, NULL, 0, 0, &bad_idx, &bad_sc, NULL,
                                               &bad_n, &error));
    g_assert_nonnull (strstr (error->message, "top_k"));
    g_clear_error (&error);
  }

  /* a second ranker on the same model reads the cache; another model
   * (other weights) does not */
  {
    g_autoptr (EigmlRanker) r2 = eigml_ranker_new (model, tok);
    g_autoptr (EigmlModel) other = tiny_model (4);
    g_autoptr (EigmlRanker) r3 = eigml_ranker_new (other, tok);
    g_autofree guint *i2 = NULL;
    g_autofree float *s2 = NULL;
    gsize n2 = 0;

    g_assert_true (eigml_ranker_set_library (r2, lib, cache, NULL, &error));
    g_assert_true (eigml_ranker_get_library_from_cache (r2));
    eigml_ranker_set_first_stage_size (r2, 8);
    g_assert_true (eigml_ranker_rank_library (r2, turns, NULL, 0, 3, &i2, &s2, NULL, &n2, &error));
    g_assert_cmpmem (i2, n2 * sizeof (guint), idx, n * sizeof (guint));
    g_assert_cmpmem (s2, n2 * sizeof (float), sc, n * sizeof (float));
    g_assert_true (eigml_ranker_set_library (r3, lib, cache, NULL, &error));
    g_assert_false (eigml_ranker_get_library_from_cache (r3));
    g_assert_no_error (error);
  }
  remove_all (dir);
}

static float
weight_scalar (EigmlModel *model,
               const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlWeights) w = eigml_model_dup_weights (model, &error);
  gsize n = 0;
  g_autofree float *x = eigml_tensor_dup_floats (eigml_weights_lookup (w, name), &n, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 1);
  return x[0];
}

static void
assert_same_selection (EigmlSelection *a,
                       EigmlSelection *b)
{
  g_assert_cmpuint (eigml_selection_get_n_results (a), ==, eigml_selection_get_n_results (b));
  g_assert_cmpint (eigml_selection_get_emotion (a), ==, eigml_selection_get_emotion (b));
  for (guint r = 0; r < eigml_selection_get_n_results (a); r++)
    {
      g_assert_cmpstr (eigml_selection_get_sticker_id (a, r), ==,
                       eigml_selection_get_sticker_id (b, r));
      g_assert_cmpfloat_with_epsilon (eigml_selection_get_score (a, r),
                                      eigml_selection_get_score (b, r), 1e-5);
      g_assert_cmpfloat_with_epsilon (eigml_selection_get_s_int (a, r),
                                      eigml_selection_get_s_int (b, r), 1e-5);
    }
}

/* eigml_ranker_select and select_many: the scores of eigml_ranker_score,
 * the parts of eq 19, batching that changes nothing, clear errors */
static void
test_select (void)
{
  g_autofree char *dir = make_library ();
  g_autofree char *file = g_build_filename (dir, "library.jsonl", NULL);
  g_autofree char *vocab = g_build_filename (dir, "vocab.txt", NULL);
  g_autofree char *cache = g_build_filename (dir, "cache", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlStickerLibrary) lib = eigml_sticker_library_new_from_file (file, &error);
  g_autoptr (EigmlTokenizer) tok = eigml_tokenizer_new_from_file (vocab, &error);
  g_autoptr (EigmlModel) model = tiny_model (5);
  g_autoptr (EigmlRanker) ranker = eigml_ranker_new (model, tok);
  g_autoptr (EigmlEmotionAnnotator) annotator = eigml_emotion_annotator_new_empty ();
  g_autoptr (EigmlIntentSource) fallback = eigml_intent_source_new_fallback ();
  const char *turns[] = { "happy cat", "sad", NULL };
  g_autofree const char **ids = g_new0 (const char *, N_STICKERS + 1);
  g_autofree const char **paths = g_new0 (const char *, N_STICKERS + 1);
  g_autoptr (EigmlSelection) sel = NULL;
  g_autofree float *direct = NULL;
  gsize n_direct = 0, n_dist = 0;
  float alpha, beta;
  const float *dist;

  g_assert_no_error (error);
  g_assert_null (eigml_ranker_select (ranker, turns, NULL, 3, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "no library"));
  g_clear_error (&error);

  eigml_emotion_annotator_add_word (annotator, "sad", EIGML_EMOTION_SADNESS);
  eigml_ranker_set_emotion_annotator (ranker, annotator);
  eigml_ranker_set_intent_source (ranker, fallback);
  g_assert_true (eigml_ranker_set_library (ranker, lib, cache, NULL, &error));
  g_assert_no_error (error);

  /* every sticker as a candidate, in reverse order: the scores are
   * eigml_ranker_score's (which encodes the images; select reads the
   * image encoder's outputs kept by set_library), best first */
  for (guint i = 0; i < N_STICKERS; i++)
    {
      ids[i] = eigml_sticker_library_get_id (lib, N_STICKERS - 1 - i);
      paths[i] = eigml_sticker_library_get_path (lib, i);
    }
  sel = eigml_ranker_select (ranker, turns, ids, N_STICKERS, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (eigml_selection_get_n_results (sel), ==, N_STICKERS);
  g_assert_cmpint (eigml_selection_get_emotion (sel), ==, EIGML_EMOTION_SADNESS);
  dist = eigml_selection_get_emotion_distribution (sel, &n_dist);
  g_assert_cmpuint (n_dist, ==, 7);
  g_assert_cmpfloat (dist[EIGML_EMOTION_SADNESS], ==, 1.0f);
  g_assert_nonnull (eigml_selection_get_intents (sel));
  direct = eigml_ranker_score (ranker, turns, dist, n_dist, paths, &n_direct, &error);
  g_assert_no_error (error);
  alpha = 1.0f / (1.0f + expf (-weight_scalar (model, "samm.alpha")));
  beta = 1.0f / (1.0f + expf (-weight_scalar (model, "samm.beta")));
  for (guint r = 0; r < N_STICKERS; r++)
    {
      guint index = eigml_selection_get_sticker_index (sel, r);
      float score = eigml_selection_get_score (sel, r);
      float p_vl = eigml_selection_get_p_vl (sel, r);
      float s_emo = eigml_selection_get_s_emo (sel, r), s_int = eigml_selection_get_s_int (sel, r);

      g_assert_cmpstr (eigml_selection_get_sticker_id (sel, r), ==,
                       eigml_sticker_library_get_id (lib, index));
      g_assert_cmpfloat_with_epsilon (score, direct[index], 1e-5);
      if (r > 0)
        g_assert_cmpfloat (score, <=, eigml_selection_get_score (sel, r - 1));
      g_assert_true (p_vl > 0.0f && p_vl < 1.0f && s_emo >= 0.0f && s_emo <= 1.0f &&
                     s_int >= 0.0f && s_int <= 1.0f);
      /* eq 18-19 */
      g_assert_cmpfloat_with_epsilon (score, beta * p_vl +
                                               (1.0f - beta) * (alpha * s_emo +
                                                                (1.0f - alpha) * s_int), 1e-5);
    }

  /* the whole library, with a first stage that keeps every sticker: the
   * same stickers as the candidate list */
  eigml_ranker_set_first_stage_size (ranker, N_STICKERS);
  {
    g_autoptr (EigmlSelection) whole = eigml_ranker_select (ranker, turns, NULL, 5, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (eigml_selection_get_n_results (whole), ==, 5);
    for (guint r = 0; r < 5; r++)
      g_assert_cmpfloat_with_epsilon (eigml_selection_get_score (whole, r),
                                      eigml_selection_get_score (sel, r), 1e-5);
  }

  /* 20 requests (two passes of up to 16), mixed: each equals itself alone */
  eigml_ranker_set_first_stage_size (ranker, 6);
  {
    EigmlSelectRequest req[20];
    char *texts[20][2];
    const char *few[] = { "s01", "s03", "s02", NULL };
    g_autoptr (GPtrArray) many = NULL;

    for (guint i = 0; i < 20; i++)
      {
        texts[i][0] = g_strdup_printf (i % 3 ? "cat %u sad" : "dog %u", i);
        texts[i][1] = NULL;
        req[i].turns = (const char *const *) texts[i];
        req[i].candidates = i % 2 ? few : (i % 4 ? NULL : ids);
        req[i].top_k = 1 + i % 4;
      }
    many = eigml_ranker_select_many (ranker, req, 20, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (many->len, ==, 20);
    for (guint i = 0; i < 20; i++)
      {
        g_autoptr (EigmlSelection) alone = eigml_ranker_select (ranker, req[i].turns,
                                                                req[i].candidates,
                                                                req[i].top_k, &error);
        g_assert_no_error (error);
        g_assert_cmpuint (eigml_selection_get_n_results (alone), ==,
                          MIN (req[i].top_k, req[i].candidates == few ? 3u : (guint) N_STICKERS));
        assert_same_selection (g_ptr_array_index (many, i), alone);
      }
    for (guint i = 0; i < 20; i++)
      g_free (texts[i][0]);
  }

  /* errors name what is wrong */
  {
    const char *unknown[] = { "s01", "nope", NULL };
    const char *none[] = { NULL };

    g_assert_null (eigml_ranker_select (ranker, turns, unknown, 3, &error));
    g_assert_nonnull (strstr (error->message, "candidates[1]: no sticker \"nope\""));
    g_clear_error (&error);
    g_assert_null (eigml_ranker_select (ranker, turns, none, 3, &error));
    g_assert_nonnull (strstr (error->message, "empty candidate list"));
    g_clear_error (&error);
    g_assert_null (eigml_ranker_select (ranker, turns, NULL, 0, &error));
    g_assert_nonnull (strstr (error->message, "top_k"));
    g_clear_error (&error);
  }
  remove_all (dir);
}

/* a reader thread walks the library while stickers are added */
static gpointer
read_library (gpointer data)
{
  EigmlStickerLibrary *lib = data;
  guint seen = 0;

  for (guint round = 0; round < 2000; round++)
    {
      guint n = eigml_sticker_library_get_n_stickers (lib);

      g_assert_cmpuint (n, >=, N_STICKERS);
      g_assert_nonnull (eigml_sticker_library_get_id (lib, n - 1));
      g_assert_true (eigml_sticker_library_lookup (lib, "s00", NULL));
      seen = MAX (seen, n);
    }
  return GUINT_TO_POINTER (seen);
}

/* eigml_ranker_add_sticker: one sticker's embedding and features, equal
 * to a ranker that encodes the grown library from scratch; errors leave
 * everything as it was; the saved line is relative to the library */
static void
test_add_sticker (void)
{
  g_autofree char *dir = make_library ();
  g_autofree char *file = g_build_filename (dir, "library.jsonl", NULL);
  g_autofree char *vocab = g_build_filename (dir, "vocab.txt", NULL);
  g_autofree char *cache = g_build_filename (dir, "cache", NULL);
  g_autofree char *cache2 = g_build_filename (dir, "cache2", NULL);
  g_autofree char *saved = g_build_filename (dir, "saved.jsonl", NULL);
  g_autofree char *new_dir = g_build_filename (dir, "stickers", NULL);
  g_autofree char *new_png = NULL, *text = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlStickerLibrary) lib = eigml_sticker_library_new_from_file (file, &error);
  g_autoptr (EigmlTokenizer) tok = eigml_tokenizer_new_from_file (vocab, &error);
  g_autoptr (EigmlModel) model = tiny_model (6);
  g_autoptr (EigmlRanker) ranker = eigml_ranker_new (model, tok);
  g_autoptr (EigmlRanker) fresh = eigml_ranker_new (model, tok);
  g_autoptr (EigmlStickerLibrary) reread = NULL;
  const char *turns[] = { "happy cat", NULL };
  const char *cands[] = { "s03", "new", "s07", NULL };
  GThread *reader;

  g_assert_no_error (error);
  g_mkdir (new_dir, 0755);
  {
    g_autofree guint8 *px = fixture_pattern (16, 16, 3, 999);
    g_autoptr (GBytes) png = fixture_pixbuf_save (px, 16, 16, 3, "png", NULL);
    new_png = fixture_write (new_dir, "new.png", png);
  }

  /* no library yet */
  g_assert_false (eigml_ranker_add_sticker (ranker, "new", new_png, NULL, NULL, NULL, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_true (eigml_ranker_set_library (ranker, lib, cache, NULL, &error));
  g_assert_no_error (error);

  /* errors change nothing */
  g_assert_false (eigml_ranker_add_sticker (ranker, "s01", new_png, NULL, NULL, NULL, &error));
  g_assert_nonnull (strstr (error->message, "already"));
  g_clear_error (&error);
  g_assert_false (eigml_ranker_add_sticker (ranker, "new", "/nonexistent.png", NULL, NULL, NULL,
                                            &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_false (eigml_ranker_add_sticker (ranker, "new", new_png, NULL, NULL, "glad", &error));
  g_assert_nonnull (strstr (error->message, "glad"));
  g_clear_error (&error);
  g_assert_false (eigml_ranker_add_sticker (ranker, "", new_png, NULL, NULL, NULL, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_cmpuint (eigml_sticker_library_get_n_stickers (lib), ==, N_STICKERS);

  reader = g_thread_new ("reader", read_library, lib);
  g_assert_true (eigml_ranker_add_sticker (ranker, "new", new_png, "new one", "新的", "乐",
                                           &error));
  g_assert_no_error (error);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_thread_join (reader)), <=, N_STICKERS + 1);
  g_assert_cmpuint (eigml_sticker_library_get_n_stickers (lib), ==, N_STICKERS + 1);
  g_assert_cmpstr (eigml_sticker_library_get_id (lib, N_STICKERS), ==, "new");
  g_assert_cmpstr (eigml_sticker_library_get_label (lib, N_STICKERS, "zh"), ==, "新的");
  g_assert_cmpstr (eigml_sticker_library_get_emotion (lib, N_STICKERS), ==, "乐");

  /* the same selections as a ranker that encoded the grown library */
  g_assert_true (eigml_ranker_set_library (fresh, lib, cache2, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (eigml_ranker_get_library_from_cache (fresh));
  eigml_ranker_set_first_stage_size (ranker, N_STICKERS + 1);
  eigml_ranker_set_first_stage_size (fresh, N_STICKERS + 1);
  {
    g_autoptr (EigmlSelection) a = eigml_ranker_select (ranker, turns, cands, 3, &error);
    g_autoptr (EigmlSelection) b = eigml_ranker_select (fresh, turns, cands, 3, &error);
    g_autoptr (EigmlSelection) wa = eigml_ranker_select (ranker, turns, NULL, N_STICKERS + 1,
                                                         &error);
    g_autoptr (EigmlSelection) wb = eigml_ranker_select (fresh, turns, NULL, N_STICKERS + 1,
                                                         &error);
    gboolean found = FALSE;

    g_assert_no_error (error);
    assert_same_selection (a, b);
    assert_same_selection (wa, wb);
    for (guint r = 0; r < eigml_selection_get_n_results (wa); r++)
      found |= g_str_equal (eigml_selection_get_sticker_id (wa, r), "new");
    g_assert_true (found);
  }

  /* saved relative to the library's folder, and read back */
  g_assert_true (eigml_sticker_library_save (lib, saved, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (saved, &text, NULL, &error));
  g_assert_nonnull (strstr (text, "\"file\":\"stickers/new.png\""));
  reread = eigml_sticker_library_new_from_file (saved, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (eigml_sticker_library_get_n_stickers (reread), ==, N_STICKERS + 1);
  remove_all (dir);
}

static void
store_result (GObject *source,
              GAsyncResult *result,
              gpointer user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

/* set_library_async and select_async: the synchronous calls' results, in
 * the caller's main context; a request cancelled before it runs is not run */
static void
test_select_async (void)
{
  g_autofree char *dir = make_library ();
  g_autofree char *file = g_build_filename (dir, "library.jsonl", NULL);
  g_autofree char *vocab = g_build_filename (dir, "vocab.txt", NULL);
  g_autofree char *cache = g_build_filename (dir, "cache", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlStickerLibrary) lib = eigml_sticker_library_new_from_file (file, &error);
  g_autoptr (EigmlTokenizer) tok = eigml_tokenizer_new_from_file (vocab, &error);
  g_autoptr (EigmlModel) model = tiny_model (5);
  g_autoptr (EigmlRanker) ranker = eigml_ranker_new (model, tok);
  g_autoptr (GCancellable) cancelled = g_cancellable_new ();
  g_autoptr (EigmlSelection) sync = NULL, async = NULL;
  g_autoptr (GAsyncResult) r1 = NULL, r2 = NULL, r3 = NULL, r4 = NULL;
  const char *turns[] = { "happy cat", NULL };

  g_assert_no_error (error);
  eigml_ranker_set_library_async (ranker, lib, cache, NULL, store_result, &r1);
  g_assert_true (eigml_ranker_set_library_finish (ranker, wait_for (&r1), &error));
  g_assert_no_error (error);
  g_assert_true (eigml_ranker_get_library (ranker) == lib);

  sync = eigml_ranker_select (ranker, turns, NULL, 4, &error);
  g_assert_no_error (error);
  eigml_ranker_select_async (ranker, turns, NULL, 4, NULL, store_result, &r2);
  async = eigml_ranker_select_finish (ranker, wait_for (&r2), &error);
  g_assert_no_error (error);
  assert_same_selection (sync, async);

  g_cancellable_cancel (cancelled);
  eigml_ranker_select_async (ranker, turns, NULL, 4, cancelled, store_result, &r3);
  g_assert_null (eigml_ranker_select_finish (ranker, wait_for (&r3), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  /* errors come back through _finish */
  eigml_ranker_select_async (ranker, turns, NULL, 0, NULL, store_result, &r4);
  g_assert_null (eigml_ranker_select_finish (ranker, wait_for (&r4), &error));
  g_assert_nonnull (strstr (error->message, "top_k"));
  remove_all (dir);
}


/* the lexical half of the first stage: BM25 over labels and keywords */
static void
test_lexical_first_stage (void)
{
  g_autofree char *dir = make_library ();
  g_autofree char *file = g_build_filename (dir, "library.jsonl", NULL);
  g_autofree char *vocab = g_build_filename (dir, "vocab.txt", NULL);
  g_autofree char *cache = g_build_filename (dir, "cache", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlStickerLibrary) lib = eigml_sticker_library_new_from_file (file, &error);
  g_autoptr (EigmlTokenizer) tok = eigml_tokenizer_new_from_file (vocab, &error);
  g_autoptr (EigmlModel) model = tiny_model (8);
  g_autoptr (EigmlRanker) ranker = eigml_ranker_new (model, tok);
  const char *const *kw;
  const struct
  {
    const char *text;
    const char *want;
  } cases[] = {
    { "I want to LAUNCH a rocket!", "s07" },
    { "今天去看火箭发射", "s07" },
    { "来杯咖啡吧", "s13" },
    { "sticker 21 please", "s21" },
    { "给我贴纸35", "s35" },
  };

  g_assert_no_error (error);
  kw = eigml_sticker_library_get_keywords (lib, 7, "en");
  g_assert_cmpuint (g_strv_length ((char **) kw), ==, 2);
  g_assert_cmpstr (kw[0], ==, "rocket");
  g_assert_cmpstr (eigml_sticker_library_get_keywords (lib, 13, "zh")[1], ==, "热饮");
  g_assert_cmpuint (g_strv_length ((char **) eigml_sticker_library_get_keywords (lib, 3, "en")),
                    ==, 0);
  g_assert_null (eigml_sticker_library_get_keywords (lib, 3, "fr"));

  g_assert_true (eigml_ranker_set_library (ranker, lib, cache, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (eigml_ranker_get_lexical_share (ranker), ==, 64);
  /* a first stage of 2, both lexical: the sticker whose label or keyword
   * the dialogue says is among them, whatever the (untrained) model
   * thinks of the others */
  eigml_ranker_set_first_stage_size (ranker, 2);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *turns[] = { cases[i].text, NULL };
      g_autoptr (EigmlSelection) sel = eigml_ranker_select (ranker, turns, NULL, 2, &error);
      gboolean found = FALSE;
      g_autofree guint *idx = NULL;
      g_autofree float *sc = NULL;
      gsize n = 0;

      g_assert_no_error (error);
      g_assert_cmpuint (eigml_selection_get_n_results (sel), ==, 2);
      for (guint r = 0; r < 2; r++)
        found |= g_str_equal (eigml_selection_get_sticker_id (sel, r), cases[i].want);
      if (!found)
        g_error ("\"%s\": %s not in the lexical first stage", cases[i].text, cases[i].want);
      /* rank_library (eigml select) has the same first stage */
      g_assert_true (eigml_ranker_rank_library (ranker, turns, NULL, 0, 2, &idx, &sc, NULL, &n,
                                                 &error));
      g_assert_no_error (error);
      g_assert_true (g_str_equal (eigml_sticker_library_get_id (lib, idx[0]), cases[i].want) ||
                     g_str_equal (eigml_sticker_library_get_id (lib, idx[1]), cases[i].want));
    }
  /* no matching word: the contrastive space's nearest, as with share 0 */
  {
    const char *turns[] = { "happy cat", NULL };
    g_autoptr (EigmlSelection) a = eigml_ranker_select (ranker, turns, NULL, 2, &error);
    g_autoptr (EigmlSelection) b = NULL;

    eigml_ranker_set_lexical_share (ranker, 0);
    b = eigml_ranker_select (ranker, turns, NULL, 2, &error);
    g_assert_no_error (error);
    assert_same_selection (a, b);
  }
  /* added stickers are searchable */
  {
    g_autofree char *png_path = g_build_filename (dir, "img", "s05.png", NULL);
    const char *turns[] = { "a brand new owl", NULL };
    g_autoptr (EigmlSelection) sel = NULL;

    eigml_ranker_set_lexical_share (ranker, 2);
    g_assert_true (eigml_ranker_add_sticker (ranker, "owl", png_path, "owl", "猫头鹰", NULL,
                                             &error));
    g_assert_no_error (error);
    sel = eigml_ranker_select (ranker, turns, NULL, 2, &error);
    g_assert_no_error (error);
    g_assert_true (g_str_equal (eigml_selection_get_sticker_id (sel, 0), "owl") ||
                   g_str_equal (eigml_selection_get_sticker_id (sel, 1), "owl"));
  }
  remove_all (dir);
}

/* fused expected order: 1/(60 + model rank) + 1/(60 + lexical rank) */
typedef struct
{
  const char *id;
  guint model_rank, lex_rank;
  double fused;
} Expect;

static gint
compare_expect_fused (gconstpointer a,
                      gconstpointer b)
{
  const Expect *x = a, *y = b;

  if (x->fused != y->fused)
    return x->fused > y->fused ? -1 : 1;
  return (gint) x->model_rank - (gint) y->model_rank;
}

static gint
compare_expect_lexical (gconstpointer a,
                        gconstpointer b)
{
  const Expect *x = a, *y = b;

  if ((x->lex_rank != 0) != (y->lex_rank != 0))
    return x->lex_rank != 0 ? -1 : 1;
  if (x->lex_rank != y->lex_rank)
    return (gint) x->lex_rank - (gint) y->lex_rank;
  return (gint) x->model_rank - (gint) y->model_rank;
}

static void
assert_order (EigmlRanker *ranker,
              EigmlStickerLibrary *lib,
              const char *const *turns,
              EigmlSelection *sel,
              const Expect *want,
              guint n)
{
  g_autoptr (GError) error = NULL;
  g_autofree guint *idx = NULL, *lex = NULL;
  g_autofree float *sc = NULL;
  gsize n_res = 0;

  g_assert_cmpuint (eigml_selection_get_n_results (sel), ==, n);
  for (guint r = 0; r < n; r++)
    {
      g_assert_cmpstr (eigml_selection_get_sticker_id (sel, r), ==, want[r].id);
      g_assert_cmpuint (eigml_selection_get_lexical_rank (sel, r), ==, want[r].lex_rank);
    }
  /* rank_library (eigml select --library) orders the same way */
  g_assert_true (eigml_ranker_rank_library (ranker, turns, NULL, 0, n, &idx, &sc, &lex, &n_res,
                                             &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_res, ==, n);
  for (guint r = 0; r < n; r++)
    {
      g_assert_cmpstr (eigml_sticker_library_get_id (lib, idx[r]), ==, want[r].id);
      g_assert_cmpfloat_with_epsilon (sc[r], eigml_selection_get_score (sel, r), 1e-5);
      g_assert_cmpuint (lex[r], ==, want[r].lex_rank);
    }
}

/* the final order of a whole-library selection: the model's, fused with
 * the lexical match's, or the lexical match's first (the default); the
 * scores stay the model's; stop words and single letters match nothing */
static void
test_rank_order (void)
{
  g_autofree char *dir = make_library ();
  g_autofree char *file = g_build_filename (dir, "library.jsonl", NULL);
  g_autofree char *vocab = g_build_filename (dir, "vocab.txt", NULL);
  g_autofree char *cache = g_build_filename (dir, "cache", NULL);
  g_autofree char *png_path = g_build_filename (dir, "img", "s05.png", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlStickerLibrary) lib = eigml_sticker_library_new_from_file (file, &error);
  g_autoptr (EigmlTokenizer) tok = eigml_tokenizer_new_from_file (vocab, &error);
  g_autoptr (EigmlModel) model = tiny_model (9);
  g_autoptr (EigmlRanker) ranker = eigml_ranker_new (model, tok);
  /* two stickers match: s13 (咖啡: three terms, 咖 啡 咖啡) better than
   * s07 (launch, rocket) */
  const char *turns[] = { "happy cat", "let's launch the rocket, then 咖啡?", NULL };
  g_autoptr (EigmlSelection) by_model = NULL, fused = NULL, lexical = NULL;
  Expect want[N_STICKERS + 1];
  guint n, seen_lex = 0;

  g_assert_no_error (error);
  g_assert_true (eigml_ranker_set_library (ranker, lib, cache, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (eigml_ranker_get_order (ranker), ==, EIGML_RANK_ORDER_LEXICAL);
  n = eigml_sticker_library_get_n_stickers (lib);
  eigml_ranker_set_first_stage_size (ranker, n);

  eigml_ranker_set_order (ranker, EIGML_RANK_ORDER_MODEL);
  by_model = eigml_ranker_select (ranker, turns, NULL, n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (eigml_selection_get_n_results (by_model), ==, n);
  for (guint r = 0; r < n; r++)
    {
      const char *id = eigml_selection_get_sticker_id (by_model, r);
      guint lex = eigml_selection_get_lexical_rank (by_model, r);

      if (r > 0)
        g_assert_cmpfloat (eigml_selection_get_score (by_model, r - 1), >=,
                           eigml_selection_get_score (by_model, r));
      if (g_str_equal (id, "s13"))
        g_assert_cmpuint (lex, ==, 1);
      else if (g_str_equal (id, "s07"))
        g_assert_cmpuint (lex, ==, 2);
      else
        g_assert_cmpuint (lex, ==, 0);
      seen_lex += lex != 0;
      want[r] = (Expect) { id, r + 1, lex,
                           1.0 / (60.0 + r + 1) + (lex ? 1.0 / (60.0 + lex) : 0.0) };
    }
  g_assert_cmpuint (seen_lex, ==, 2);
  assert_order (ranker, lib, turns, by_model, want, n);

  /* fused: the matches rise, the scores are the model's */
  eigml_ranker_set_order (ranker, EIGML_RANK_ORDER_FUSED);
  fused = eigml_ranker_select (ranker, turns, NULL, n, &error);
  g_assert_no_error (error);
  qsort (want, n, sizeof (Expect), compare_expect_fused);
  /* a match's 1/(60 + lexical rank) beats any model rank alone */
  g_assert_true (want[0].lex_rank != 0 && want[1].lex_rank != 0);
  assert_order (ranker, lib, turns, fused, want, n);
  for (guint r = 0; r < n; r++)
    for (guint m = 0; m < n; m++)
      if (g_str_equal (eigml_selection_get_sticker_id (fused, r),
                       eigml_selection_get_sticker_id (by_model, m)))
        g_assert_cmpfloat (eigml_selection_get_score (fused, r), ==,
                           eigml_selection_get_score (by_model, m));

  eigml_ranker_set_order (ranker, EIGML_RANK_ORDER_LEXICAL);
  lexical = eigml_ranker_select (ranker, turns, NULL, n, &error);
  g_assert_no_error (error);
  qsort (want, n, sizeof (Expect), compare_expect_lexical);
  g_assert_cmpstr (want[0].id, ==, "s13");
  g_assert_cmpstr (want[1].id, ==, "s07");
  assert_order (ranker, lib, turns, lexical, want, n);

  /* given candidates: the model's order, no lexical ranks */
  {
    const char *cands[] = { "s13", "s07", "s02", "s03", NULL };
    g_autoptr (EigmlSelection) sel = eigml_ranker_select (ranker, turns, cands, 4, &error);

    g_assert_no_error (error);
    for (guint r = 0; r < 4; r++)
      {
        g_assert_cmpuint (eigml_selection_get_lexical_rank (sel, r), ==, 0);
        if (r > 0)
          g_assert_cmpfloat (eigml_selection_get_score (sel, r - 1), >=,
                             eigml_selection_get_score (sel, r));
      }
  }

  /* "to", "so" (flags' two-letter codes in emojibase) and single letters
   * are not terms; "tonga" is */
  g_assert_true (eigml_ranker_add_sticker (ranker, "tonga", png_path, "flag: Tonga TO SO i",
                                           NULL, NULL, &error));
  g_assert_no_error (error);
  eigml_ranker_set_first_stage_size (ranker, n + 1);
  for (guint k = 0; k < 2; k++)
    {
      const char *say[] = { k == 0 ? "I'm so happy to see you, i" : "Tonga!", NULL };
      g_autoptr (EigmlSelection) sel = eigml_ranker_select (ranker, say, NULL, n + 1, &error);
      gboolean found = FALSE;

      g_assert_no_error (error);
      for (guint r = 0; r < n + 1; r++)
        if (g_str_equal (eigml_selection_get_sticker_id (sel, r), "tonga"))
          {
            g_assert_cmpuint (eigml_selection_get_lexical_rank (sel, r), ==, k == 0 ? 0 : 1);
            found = TRUE;
          }
      g_assert_true (found);
    }

  /* negation: "好开心" is not "不开心", "so happy" is not "not happy" */
  g_assert_true (eigml_ranker_add_sticker (ranker, "glad", png_path, "happy face", "开心", NULL,
                                           &error));
  g_assert_true (eigml_ranker_add_sticker (ranker, "sulk", png_path, "not happy", "不开心", NULL,
                                           &error));
  g_assert_no_error (error);
  eigml_ranker_set_first_stage_size (ranker, n + 3);
  {
    const struct
    {
      const char *text, *matches, *not_matching;
    } negation[] = {
      { "今天好开心！", "glad", "sulk" },
      { "今天不开心", "sulk", "glad" },
      { "I'm so happy today", "glad", "sulk" },
      { "I am not happy. Really.", "sulk", "glad" },
      { "I don't feel happy", "sulk", "glad" },
    };

    for (guint k = 0; k < G_N_ELEMENTS (negation); k++)
      {
        const char *say[] = { negation[k].text, NULL };
        g_autoptr (EigmlSelection) sel = eigml_ranker_select (ranker, say, NULL, n + 3, &error);
        guint seen = 0;

        g_assert_no_error (error);
        g_assert_cmpuint (eigml_selection_get_n_results (sel), ==, n + 3);
        for (guint r = 0; r < n + 3; r++)
          {
            const char *id = eigml_selection_get_sticker_id (sel, r);
            guint lex = eigml_selection_get_lexical_rank (sel, r);

            if (g_str_equal (id, negation[k].matches))
              {
                if (lex != 1)
                  g_error ("\"%s\": %s has lexical rank %u, not 1", say[0], id, lex);
                seen++;
              }
            else if (g_str_equal (id, negation[k].not_matching))
              {
                if (lex != 0)
                  g_error ("\"%s\": %s matches (lexical rank %u)", say[0], id, lex);
                seen++;
              }
          }
        g_assert_cmpuint (seen, ==, 2);
      }
  }
  remove_all (dir);
}

int
main (int argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cpu/library/file", test_library_file);
  g_test_add_func ("/cpu/library/errors", test_library_errors);
  g_test_add_func ("/cpu/library/rank", test_rank_library);
  g_test_add_func ("/cpu/library/select", test_select);
  g_test_add_func ("/cpu/library/lexical", test_lexical_first_stage);
  g_test_add_func ("/cpu/library/order", test_rank_order);
  g_test_add_func ("/cpu/library/add-sticker", test_add_sticker);
  g_test_add_func ("/cpu/library/select-async", test_select_async);
  {
    int status = g_test_run ();
    harness_cleanup ();
    return status;
  }
}
