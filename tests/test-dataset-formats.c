/* test-dataset-formats.c: DSTC10-MOD (task 2 and training dialogues),
 * JSONL and the emotion and intent sidecars (part of test-dataset)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "eigml.h"
#include "test-dataset-fixtures.h"

static void
test_mod_task2 (void)
{
  const char *task2 =
    "[\n"
    "  {\n"
    "    \"history\": [\n"
    "      {\"speaker_id\": \"[speaker1]\", \"emotion_id\": 5, \"img_id\": \"030\", \"txt\": \"今天 下雨\"},\n"
    "      {\"speaker_id\": \"[speaker2]\", \"img_id\": \"007\"},\n"
    "      {\"speaker_id\": \"[speaker1]\", \"txt\": \"\"},\n"
    "      {\"speaker_id\": \"[speaker2]\", \"txt\": \"明天呢？\"}\n"
    "    ],\n"
    "    \"candidate\": {\"speaker_id\": \"[speaker1]\", \"set\": [\"001\", \"2\", 3, \"004\", \"005\", \"006\", \"007\", \"008\", \"009\", \"010\", \"011\"]},\n"
    "    \"answer\": {\"speaker_id\": \"[speaker1]\", \"img_id\": \"009\"}\n"
    "  },\n"
    "  {\"history\": [], \"candidate\": {\"set\": [\"000\", \"012\", \"013\"]}, \"answer\": {\"img_id\": 12}}\n"
    "]\n";
  g_autofree char *dir = make_dir ();
  g_autofree char *path = NULL;
  g_autoptr (EigmlDataset) dataset = NULL;
  g_autoptr (EigmlExample) e0 = NULL;
  g_autoptr (EigmlExample) e1 = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *set0 = NULL;
  g_autofree char *set1 = NULL;
  g_autoptr (GBytes) rgb = NULL;
  guint w = 0, h = 0;

  put_memes (dir, 31);
  path = put_file (dir, "c_val_task2.json", task2, -1);
  /* the dialogue file of the same split is not read when task 2 exists */
  g_free (put_file (dir, "c_val.json", "not JSON", -1));
  dataset = open_dataset (dir, EIGML_DATASET_FORMAT_MOD, "val", NULL);
  g_assert_cmpuint (eigml_dataset_get_n_examples (dataset), ==, 2);
  g_assert_cmpuint (eigml_dataset_get_n_stickers (dataset), ==, 31);
  g_assert_cmpstr (eigml_dataset_get_file (dataset), ==, path);

  e0 = get_example (dataset, 0);
  g_assert_cmpstr (eigml_example_get_id (e0), ==, "val:0");
  g_assert_cmpuint (eigml_example_get_source_line (e0), ==, 2);
  /* turns with text only, as written (no space removal) */
  g_assert_cmpuint (eigml_example_get_n_turns (e0), ==, 2);
  g_assert_cmpstr (eigml_example_get_turn_text (e0, 0), ==, "今天 下雨");
  g_assert_cmpstr (eigml_example_get_turn_speaker (e0, 1), ==, "[speaker2]");
  g_assert_cmpstr (eigml_example_get_turn_text (e0, 1), ==, "明天呢？");
  /* the given set, as img2id.json spells the ids */
  g_assert_cmpuint (eigml_example_get_n_candidates (e0), ==, 11);
  set0 = candidate_set (e0);
  g_assert_cmpstr (set0, ==, "001 002 003 004 005 006 007 008 009 010 011");
  g_assert_cmpstr (positive_id (e0), ==, "009");

  e1 = get_example (dataset, 1);
  g_assert_cmpstr (eigml_example_get_id (e1), ==, "val:1");
  g_assert_cmpuint (eigml_example_get_source_line (e1), ==, 12);
  g_assert_cmpuint (eigml_example_get_n_turns (e1), ==, 0);
  set1 = candidate_set (e1);
  g_assert_cmpstr (set1, ==, "000 012 013");
  g_assert_cmpstr (positive_id (e1), ==, "012");
  /* meme 000 is the animated GIF; it decodes (first frame) */
  for (guint c = 0; c < 3; c++)
    if (g_strcmp0 (eigml_example_get_candidate_id (e1, c), "000") == 0)
      rgb = eigml_image_decode_file (eigml_example_get_candidate_path (e1, c), &w, &h, &error);
  g_assert_no_error (error);
  g_assert_nonnull (rgb);
  g_assert_cmpuint (w, ==, 2);
  remove_tree (dir);
}

static void
test_mod_task2_bad (void)
{
  static const BadLine bad[] = {
    { "{\"history\": [], \"candidate\": {\"set\": [\"001\", \"002\"]}, \"answer\": {\"img_id\": \"003\"}}",
      "c_bad_task2.json:3: field '[1].candidate.set': the answer '003' is not in it" },
    { "{\"history\": [], \"candidate\": {\"set\": [\"001\", \"099\"]}, \"answer\": {\"img_id\": \"001\"}}",
      "c_bad_task2.json:3: field '[1].candidate.set[1]': '099' is not a meme" },
    { "{\"history\": [], \"candidate\": {\"set\": [\"001\", \"1\"]}, \"answer\": {\"img_id\": \"001\"}}",
      "field '[1].candidate.set[1]': '1' is already in the set" },
    { "{\"history\": [], \"answer\": {\"img_id\": \"031\"}}",
      "field '[1].answer.img_id': '031' is not a meme" },
    { "{\"history\": [{\"txt\": 3}], \"answer\": {\"img_id\": \"001\"}}",
      "field '[1].history[0].txt': expected a string, got an integer" },
    { "{\"history\": {}, \"answer\": {\"img_id\": \"001\"}}",
      "field '[1].history': expected an array, got an object" },
    { "{\"history\": []}", "missing field '[1].answer'" },
  };
  const char *good = "{\"history\": [{\"txt\": \"hi\"}], \"answer\": {\"img_id\": \"001\"}}";
  g_autofree char *dir = make_dir ();
  g_autoptr (GString) all = g_string_new ("[\n");
  g_autoptr (EigmlDataset) skipping = NULL;
  g_autoptr (EigmlExample) drawn = NULL;
  g_autofree char *drawn_set = NULL;

  put_memes (dir, 8);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *file = g_strdup_printf ("[\n%s,\n%s\n]\n", good, bad[i].line);
      g_autoptr (EigmlDataset) dataset = NULL;
      const char *needles[] = { bad[i].needle, NULL };

      g_free (put_file (dir, "c_bad_task2.json", file, -1));
      dataset = g_object_new (EIGML_TYPE_DATASET, "folder", dir, "split", "bad",
                              "format", EIGML_DATASET_FORMAT_MOD, NULL);
      assert_load_fails (dataset, needles);
      g_string_append_printf (all, "%s,\n%s,\n", good, bad[i].line);
    }
  g_string_append_printf (all, "%s\n]\n", good);
  g_free (put_file (dir, "c_bad_task2.json", all->str, -1));
  skipping = open_dataset (dir, EIGML_DATASET_FORMAT_MOD, "bad", "skip-bad", TRUE, NULL);
  g_assert_cmpuint (eigml_dataset_get_n_skipped (skipping), ==, G_N_ELEMENTS (bad));
  g_assert_cmpuint (eigml_dataset_get_n_examples (skipping), ==, G_N_ELEMENTS (bad) + 1);
  /* an item without "candidate": 9 negatives drawn from the 8 memes, so 7
   * of them and 2 padding */
  drawn = get_example (skipping, 1);
  g_assert_cmpstr (eigml_example_get_id (drawn), ==, "bad:2");
  drawn_set = candidate_set (drawn);
  g_assert_cmpstr (drawn_set, ==, "- - 000 001 002 003 004 005 006 007");

  /* a document that is neither a list nor an object */
  {
    g_autoptr (EigmlDataset) dataset = NULL;
    const char *needles[] = { "c_bad_task2.json: expected a list", NULL };

    g_free (put_file (dir, "c_bad_task2.json", "\"x\"", -1));
    dataset = g_object_new (EIGML_TYPE_DATASET, "folder", dir, "split", "bad",
                            "format", EIGML_DATASET_FORMAT_MOD, NULL);
    assert_load_fails (dataset, needles);
  }
  remove_tree (dir);
}

static void
test_mod_dialogues (void)
{
  const char *dialogues =
    "{\n"
    "  \"dialogue 1\": [\n"
    "    {\"speaker_id\": \"[speaker1]\", \"img_id\": \"003\", \"emotion_id\": 2},\n"
    "    {\"speaker_id\": \"[speaker2]\", \"txt\": \"你好\"},\n"
    "    {\"speaker_id\": \"[speaker1]\", \"img_id\": \"004\", \"txt\": \"看这个\"},\n"
    "    {\"speaker_id\": \"[speaker2]\", \"txt\": \"\"},\n"
    "    {\"speaker_id\": \"[speaker2]\", \"img_id\": 5}\n"
    "  ],\n"
    "  \"dialogue 2\": [{\"speaker_id\": \"[speaker1]\", \"txt\": \"only text\"}],\n"
    "  \"dialogue 3\": [\n"
    "    {\"speaker_id\": \"[speaker1]\", \"txt\": \"a\"},\n"
    "    {\"speaker_id\": \"[speaker2]\", \"txt\": 1}\n"
    "  ],\n"
    "  \"dialogue 4\": [{\"speaker_id\": \"[speaker1]\", \"txt\": \"b\", \"img_id\": \"777\"},\n"
    "                 {\"speaker_id\": \"[speaker2]\", \"img_id\": \"001\"}]\n"
    "}\n";
  g_autofree char *dir = make_dir ();
  g_autofree char *path = NULL;
  g_autoptr (EigmlDataset) dataset = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) messages = NULL;
  g_autoptr (EigmlExample) e0 = NULL;
  g_autoptr (EigmlExample) e1 = NULL;
  g_autoptr (EigmlExample) e2 = NULL;
  g_autoptr (EigmlExample) e3 = NULL;

  put_memes (dir, 12);
  path = put_file (dir, "c_train.json", dialogues, -1);
  {
    g_autoptr (EigmlDataset) strict = eigml_dataset_new (dir, EIGML_DATASET_FORMAT_MOD, "train",
                                                         &error);

    g_assert_null (strict);
    g_assert_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT);
    g_assert_nonnull (strstr (error->message, "c_train.json:12: "
                                              "field '\"dialogue 3\"[1].txt': expected a string"));
    g_clear_error (&error);
  }
  dataset = g_initable_new (EIGML_TYPE_DATASET, NULL, &error, "file", path,
                            "format", EIGML_DATASET_FORMAT_MOD, "skip-bad", TRUE, NULL);
  g_assert_no_error (error);
  g_assert_cmpstr (eigml_dataset_get_split (dataset), ==, "train");
  /* dialogue 3 (a bad turn) and dialogue 4's unknown meme are skipped */
  g_assert_cmpuint (eigml_dataset_get_n_skipped (dataset), ==, 2);
  messages = eigml_dataset_get_skipped_messages (dataset);
  g_assert_nonnull (strstr (messages[1], "c_train.json:14: field '\"dialogue 4\"[0].img_id': "
                                         "'777' is not a meme"));
  g_assert_cmpuint (eigml_dataset_get_n_examples (dataset), ==, 4);

  /* a meme that opens a dialogue: no history */
  e0 = get_example (dataset, 0);
  g_assert_cmpstr (eigml_example_get_id (e0), ==, "train:dialogue 1:0");
  g_assert_cmpuint (eigml_example_get_source_line (e0), ==, 3);
  g_assert_cmpuint (eigml_example_get_n_turns (e0), ==, 0);
  g_assert_cmpstr (positive_id (e0), ==, "003");
  g_assert_cmpuint (eigml_example_get_n_candidates (e0), ==, 10);
  g_free (candidate_set (e0));
  /* the meme turn's own text is not its history */
  e1 = get_example (dataset, 1);
  g_assert_cmpstr (eigml_example_get_id (e1), ==, "train:dialogue 1:2");
  g_assert_cmpuint (eigml_example_get_source_line (e1), ==, 5);
  g_assert_cmpuint (eigml_example_get_n_turns (e1), ==, 1);
  g_assert_cmpstr (eigml_example_get_turn_text (e1, 0), ==, "你好");
  g_assert_cmpstr (positive_id (e1), ==, "004");
  /* but later ones have it; empty texts are no turns */
  e2 = get_example (dataset, 2);
  g_assert_cmpstr (eigml_example_get_id (e2), ==, "train:dialogue 1:4");
  g_assert_cmpuint (eigml_example_get_n_turns (e2), ==, 2);
  g_assert_cmpstr (eigml_example_get_turn_text (e2, 1), ==, "看这个");
  g_assert_cmpstr (eigml_example_get_turn_speaker (e2, 1), ==, "[speaker1]");
  g_assert_cmpstr (positive_id (e2), ==, "005");
  e3 = get_example (dataset, 3);
  g_assert_cmpstr (eigml_example_get_id (e3), ==, "train:dialogue 4:1");
  g_assert_cmpuint (eigml_example_get_n_turns (e3), ==, 1);
  remove_tree (dir);
}

static void
test_jsonl (void)
{
  const char *lines =
    "{\"id\": \"d1\", \"dialogue\": [{\"speaker\": \"A\", \"text\": \"I like it\"}, "
    "{\"speaker\": \"B\", \"text\": \"我 也 是\"}], \"sticker\": \"stickers/cat.png\", "
    "\"candidates\": [\"stickers/dog.png\", \"stickers/cat.png\", \"stickers/owl.png\"], "
    "\"emotion\": [2, 0, 0, 0, 0, 1, 1], \"intent\": {\"xIntent\": [\"to share\"], "
    "\"xWant\": [\"a reply\", \"fun\"]}}\n"
    "{\"dialogue\": [], \"sticker\": \"stickers/owl.png\", \"emotion\": \"惊\"}\n"
    "{\"id\": 42, \"dialogue\": [{\"text\": \"hi\"}], \"sticker\": \"%s\"}\n";
  g_autofree char *dir = make_dir ();
  g_autofree char *bird = NULL;
  g_autofree char *text = NULL;
  g_autoptr (EigmlDataset) dataset = NULL;
  g_autoptr (EigmlExample) e0 = NULL;
  g_autoptr (EigmlExample) e1 = NULL;
  g_autoptr (EigmlExample) e2 = NULL;
  g_autofree char *set0 = NULL;
  g_autofree char *set1 = NULL;
  const float *emotion;
  gsize n_values = 99;

  g_free (put_file (dir, "stickers/cat.png", "x", -1));
  g_free (put_file (dir, "stickers/dog.png", "x", -1));
  g_free (put_file (dir, "stickers/owl.png", "x", -1));
  bird = put_file (dir, "elsewhere/bird.png", "x", -1);
  text = g_strdup_printf (lines, bird);
  g_free (put_file (dir, "dev.jsonl", text, -1));
  dataset = open_dataset (dir, EIGML_DATASET_FORMAT_JSONL, "dev", "n-candidates", 3, NULL);
  g_assert_cmpuint (eigml_dataset_get_n_examples (dataset), ==, 3);
  g_assert_cmpuint (eigml_dataset_get_n_stickers (dataset), ==, 4);

  e0 = get_example (dataset, 0);
  g_assert_cmpstr (eigml_example_get_id (e0), ==, "d1");
  g_assert_cmpstr (eigml_example_get_turn_text (e0, 1), ==, "我 也 是");
  g_assert_cmpstr (eigml_example_get_turn_speaker (e0, 0), ==, "A");
  set0 = candidate_set (e0);
  g_assert_cmpstr (set0, ==, "stickers/cat.png stickers/dog.png stickers/owl.png");
  g_assert_cmpstr (positive_id (e0), ==, "stickers/cat.png");
  emotion = eigml_example_get_emotion (e0, &n_values);
  g_assert_cmpuint (n_values, ==, 7);
  g_assert_cmpfloat_with_epsilon (emotion[0], 0.5f, 1e-6);
  g_assert_cmpfloat_with_epsilon (emotion[5], 0.25f, 1e-6);
  g_assert_cmpstrv (eigml_example_get_intents (e0, "xIntent"), ((const char *[]) { "to share", NULL }));
  g_assert_cmpstrv (eigml_example_get_intents (e0, "xWant"), ((const char *[]) { "a reply", "fun", NULL }));
  g_assert_cmpstrv (eigml_example_get_intents (e0, "xNeed"), ((const char *[]) { NULL }));

  e1 = get_example (dataset, 1);
  g_assert_cmpstr (eigml_example_get_id (e1), ==, "dev.jsonl:2");
  g_assert_cmpuint (eigml_example_get_n_turns (e1), ==, 0);
  emotion = eigml_example_get_emotion (e1, NULL);
  g_assert_cmpfloat (emotion[6], ==, 1.0f);
  g_assert_cmpfloat (emotion[0], ==, 0.0f);
  g_assert_null (eigml_example_get_intents (e1, "xEffect"));
  g_assert_false (eigml_example_has_intents (e1));
  g_assert_true (eigml_example_has_intents (e0));
  g_assert_true (eigml_example_has_emotion (e1));
  /* drawn from the stickers the file names: 3 candidates, owl once */
  g_assert_cmpuint (eigml_example_get_n_candidates (e1), ==, 3);
  set1 = candidate_set (e1);
  g_assert_nonnull (strstr (set1, "stickers/owl.png"));
  g_assert_cmpstr (positive_id (e1), ==, "stickers/owl.png");

  e2 = get_example (dataset, 2);
  g_assert_cmpstr (eigml_example_get_id (e2), ==, "42");
  g_assert_cmpstr (eigml_example_get_turn_speaker (e2, 0), ==, "");
  g_assert_cmpstr (positive_id (e2), ==, bird);
  g_assert_cmpstr (eigml_example_get_candidate_path (e2, eigml_example_get_positive (e2)), ==,
                   bird);
  remove_tree (dir);
}

static void
test_jsonl_bad (void)
{
  static const BadLine bad[] = {
    { "{\"id\": \"a\", \"dialogue\": [], \"sticker\": \"s.png\"}", "field 'id': 'a' is already the id of line 1" },
    { "{\"dialogue\": [], \"sticker\": \"nope.png\"}", "field 'sticker': sticker 'nope.png': no file" },
    { "{\"dialogue\": [], \"sticker\": \"s.png\", \"candidates\": [\"t.png\"]}", "the sticker 's.png' is not among them" },
    { "{\"dialogue\": [], \"sticker\": \"s.png\", \"candidates\": [\"s.png\", \"s.png\"]}", "'s.png' is already a candidate" },
    { "{\"dialogue\": [], \"sticker\": \"s.png\", \"emotion\": [1, 2]}", "field 'emotion': expected 7 numbers" },
    { "{\"dialogue\": [], \"sticker\": \"s.png\", \"emotion\": \"happy\"}", "got 'happy'" },
    { "{\"dialogue\": [], \"sticker\": \"s.png\", \"emotion\": [0, 0, 0, 0, 0, 0, 0]}", "positive sum" },
    { "{\"dialogue\": [], \"sticker\": \"s.png\", \"emotion\": [1, -1, 0, 0, 0, 0, 0]}", "value 1: expected a finite number >= 0" },
    { "{\"dialogue\": [], \"sticker\": \"s.png\", \"intent\": {\"xintent\": []}}", "field 'intent.xintent': not a COMET relation" },
    { "{\"dialogue\": [], \"sticker\": \"s.png\", \"intent\": {\"xNeed\": [1]}}", "field 'intent.xNeed': item 0: expected a string" },
    { "{\"dialogue\": [{\"speaker\": \"A\"}], \"sticker\": \"s.png\"}", "missing field 'dialogue[0].text'" },
    { "{\"dialogue\": [], \"sticker\": \"\"}", "field 'sticker': expected a sticker" },
  };
  const char *good = "{\"id\": \"a\", \"dialogue\": [], \"sticker\": \"s.png\"}";
  g_autofree char *dir = make_dir ();

  g_free (put_file (dir, "s.png", "x", -1));
  g_free (put_file (dir, "t.png", "x", -1));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *file = g_strconcat (good, "\n", bad[i].line, "\n", NULL);
      g_autoptr (EigmlDataset) dataset = NULL;
      const char *needles[] = { "bad.jsonl:2: ", bad[i].needle, NULL };

      g_free (put_file (dir, "bad.jsonl", file, -1));
      dataset = g_object_new (EIGML_TYPE_DATASET, "folder", dir, "split", "bad",
                              "format", EIGML_DATASET_FORMAT_JSONL, NULL);
      assert_load_fails (dataset, needles);
    }
  remove_tree (dir);
}

static void
test_sidecars (void)
{
  g_autofree char *dir = make_dir ();
  g_autofree char *l1 = sc_line ("[{\"text\": \"a\"}]", "1", "\"s0\"");
  g_autofree char *l2 = sc_line ("[{\"text\": \"b\"}]", "1", "\"s1\"");
  g_autofree char *data = g_strconcat (l1, "\n", l2, "\n", l1, "\n", NULL);
  g_autofree char *emotions = NULL;
  g_autofree char *intents = NULL;
  g_autoptr (EigmlDataset) dataset = NULL;
  g_autoptr (EigmlExample) e0 = NULL;
  g_autoptr (EigmlExample) e1 = NULL;
  g_autoptr (EigmlExample) e2 = NULL;
  const float *emotion;

  put_set (dir, "1", 3, NULL);
  g_free (put_file (dir, "release_val.json", data, -1));
  emotions = put_file (dir, "emotion.jsonl",
                       "{\"id\": \"val:3\", \"emotion\": \"怒\"}\n"
                       "{\"id\": \"train:1\", \"emotion\": \"乐\"}\n"
                       "{\"id\": \"val:1\", \"emotion\": [0, 1, 1, 0, 0, 0, 2.0]}\n", -1);
  intents = put_file (dir, "intent.jsonl",
                      "{\"id\": \"val:2\", \"xIntent\": [\"to greet\"], \"xNeed\": [], "
                      "\"xWant\": [\"an answer\"], \"xEffect\": [\"smiles\"], \"source\": \"comet\"}\n",
                      -1);
  dataset = open_dataset (dir, EIGML_DATASET_FORMAT_STICKERCHAT, "val", "emotion-file", emotions,
                          "intent-file", intents, NULL);
  e0 = get_example (dataset, 0);
  emotion = eigml_example_get_emotion (e0, NULL);
  g_assert_nonnull (emotion);
  g_assert_cmpfloat_with_epsilon (emotion[6], 0.5f, 1e-6);
  g_assert_cmpfloat_with_epsilon (emotion[1], 0.25f, 1e-6);
  g_assert_null (eigml_example_get_intents (e0, "xIntent"));
  e1 = get_example (dataset, 1);
  g_assert_null (eigml_example_get_emotion (e1, NULL));
  g_assert_false (eigml_example_has_emotion (e1));
  g_assert_cmpstrv (eigml_example_get_intents (e1, "xIntent"), ((const char *[]) { "to greet", NULL }));
  g_assert_cmpstrv (eigml_example_get_intents (e1, "xNeed"), ((const char *[]) { NULL }));
  g_assert_cmpstrv (eigml_example_get_intents (e1, "xEffect"), ((const char *[]) { "smiles", NULL }));
  e2 = get_example (dataset, 2);
  g_assert_cmpfloat (eigml_example_get_emotion (e2, NULL)[3], ==, 1.0f);

  /* a duplicate id and a malformed line are errors naming the sidecar */
  {
    const char *needles[] = { "emotion.jsonl:2: field 'id': 'val:1' is already given on line 1",
                              NULL };
    g_autoptr (EigmlDataset) bad = NULL;

    g_free (put_file (dir, "emotion.jsonl", "{\"id\": \"val:1\", \"emotion\": \"乐\"}\n"
                                            "{\"id\": \"val:1\", \"emotion\": \"哀\"}\n", -1));
    bad = g_object_new (EIGML_TYPE_DATASET, "folder", dir, "split", "val", "emotion-file",
                        emotions, "skip-bad", TRUE, NULL);
    assert_load_fails (bad, needles);
  }
  {
    const char *needles[] = { "intent.jsonl:1: field 'xWant': expected an array, got a string",
                              NULL };
    g_autoptr (EigmlDataset) bad = NULL;

    g_free (put_file (dir, "intent.jsonl", "{\"id\": \"val:1\", \"xWant\": \"x\"}\n", -1));
    bad = g_object_new (EIGML_TYPE_DATASET, "folder", dir, "split", "val", "intent-file",
                        intents, NULL);
    assert_load_fails (bad, needles);
  }
  remove_tree (dir);
}

void
test_dataset_add_format_tests (void)
{
  g_test_add_func ("/cpu/dataset/mod/task2", test_mod_task2);
  g_test_add_func ("/cpu/dataset/mod/task2-bad", test_mod_task2_bad);
  g_test_add_func ("/cpu/dataset/mod/dialogues", test_mod_dialogues);
  g_test_add_func ("/cpu/dataset/jsonl/examples", test_jsonl);
  g_test_add_func ("/cpu/dataset/jsonl/bad-lines", test_jsonl_bad);
  g_test_add_func ("/cpu/dataset/sidecars", test_sidecars);
}
