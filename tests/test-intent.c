/* test-intent.c: EigmlIntentSource and EigmlIntents: sidecars (parsing,
 * lookup, errors with file:line), the offline fallback on hand-written
 * Chinese and English turns, its determinism, and the wiring into the
 * batcher, the ranker and a trainer config on a tiny model.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "op-harness.h"
#include <eigml/eigml.h>
#include "test-images-fixtures.h"
#include "data/intent-private.h"
#include "engine/params.h"
#include "model/model-private.h"
#include "train/batcher.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#define STRV(...) ((const char *const[]) { __VA_ARGS__, NULL })
#define NONE ((const char *const[]) { NULL })

static char *
make_dir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("eigml-intent-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static char *
put_file (const char *dir,
          const char *name,
          const char *text)
{
  g_autoptr (GBytes) bytes = g_bytes_new (text, strlen (text));

  return fixture_write (dir, name, bytes);
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
assert_intents (EigmlIntents *intents,
                const char *const *x_intent,
                const char *const *x_need,
                const char *const *x_want,
                const char *const *x_effect)
{
  g_assert_nonnull (intents);
  g_assert_cmpstrv (eigml_intents_get (intents, "xIntent"), x_intent);
  g_assert_cmpstrv (eigml_intents_get (intents, "xNeed"), x_need);
  g_assert_cmpstrv (eigml_intents_get (intents, "xWant"), x_want);
  g_assert_cmpstrv (eigml_intents_get (intents, "xEffect"), x_effect);
}

/* ---- EigmlIntents -------------------------------------------------------- */

static void
test_intents_boxed (void)
{
  g_autoptr (EigmlIntents) a = eigml_intents_new (STRV ("to joke"), NULL, STRV ("a laugh", "fun"),
                                                  STRV ("smiles"));
  g_autoptr (EigmlIntents) b = eigml_intents_new (STRV ("to joke"), NONE, STRV ("a laugh", "fun"),
                                                  STRV ("smiles"));
  g_autoptr (EigmlIntents) c = eigml_intents_new (STRV ("to joke"), NONE, STRV ("fun", "a laugh"),
                                                  STRV ("smiles"));
  g_autoptr (EigmlIntents) empty = eigml_intents_new (NULL, NULL, NULL, NULL);
  g_autoptr (EigmlIntents) ref = eigml_intents_ref (a);
  g_autofree char *json = eigml_intents_to_json (a, "val:7");
  g_autofree char *bare = eigml_intents_to_json (empty, NULL);

  assert_intents (a, STRV ("to joke"), NONE, STRV ("a laugh", "fun"), STRV ("smiles"));
  g_assert_cmpstrv (eigml_intents_get_nth (a, 2), STRV ("a laugh", "fun"));
  g_assert_cmpstrv (eigml_intents_get_relation_names (),
                    STRV ("xIntent", "xNeed", "xWant", "xEffect"));
  g_assert_true (eigml_intents_equal (a, b));
  g_assert_false (eigml_intents_equal (a, c));
  g_assert_false (eigml_intents_is_empty (a));
  g_assert_true (eigml_intents_is_empty (empty));
  g_assert_true (ref == a);
  g_assert_cmpstr (json, ==, "{\"id\":\"val:7\",\"xIntent\":[\"to joke\"],\"xNeed\":[],"
                   "\"xWant\":[\"a laugh\",\"fun\"],\"xEffect\":[\"smiles\"]}");
  g_assert_cmpstr (bare, ==, "{\"xIntent\":[],\"xNeed\":[],\"xWant\":[],\"xEffect\":[]}");
  g_assert_true (G_TYPE_IS_BOXED (EIGML_TYPE_INTENTS));
  eigml_intents_unref (g_steal_pointer (&ref));
}

/* ---- sidecars ------------------------------------------------------------ */

static void
test_sidecar_lookup (void)
{
  g_autofree char *dir = make_dir ();
  g_autofree char *path = put_file (dir, "comet.jsonl",
    "{\"id\": \"train:1\", \"xIntent\": [\"to joke\"], \"xNeed\": [],"
    " \"xWant\": [\"a laugh\", \"fun\"],"
    " \"xEffect\": [\"smiles\"]}\n"
    "\n"
    "{\"xWant\": [\"想知道答案\"], \"id\": 12}\r\n"
    "   \n"
    "{\"id\": \"val:3\", \"xEffect\": []}");
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlIntentSource) source = eigml_intent_source_new_from_sidecar (path, &error);
  g_autoptr (EigmlIntentSource) fallback = eigml_intent_source_new_fallback ();
  g_autoptr (EigmlIntents) i1 = NULL, i12 = NULL, i3 = NULL, missing = NULL, none = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (eigml_intent_source_get_kind (source), ==, EIGML_INTENT_SOURCE_SIDECAR);
  g_assert_cmpstr (eigml_intent_source_get_path (source), ==, path);
  g_assert_cmpuint (eigml_intent_source_get_n_ids (source), ==, 3);
  g_assert_false (eigml_intent_source_get_fallback_on_missing (source));

  i1 = eigml_intent_source_lookup (source, "train:1", &error);
  g_assert_no_error (error);
  assert_intents (i1, STRV ("to joke"), NONE, STRV ("a laugh", "fun"), STRV ("smiles"));
  /* an integer id is looked up by its decimal text; missing relations are empty */
  i12 = eigml_intent_source_lookup (source, "12", &error);
  g_assert_no_error (error);
  assert_intents (i12, NONE, NONE, STRV ("想知道答案"), NONE);
  i3 = eigml_intent_source_lookup (source, "val:3", &error);
  g_assert_no_error (error);
  g_assert_true (eigml_intents_is_empty (i3));
  missing = eigml_intent_source_lookup (source, "val:4", &error);
  g_assert_no_error (error);
  g_assert_null (missing);
  /* the fallback knows no ids */
  none = eigml_intent_source_lookup (fallback, "train:1", &error);
  g_assert_no_error (error);
  g_assert_null (none);
  g_assert_cmpuint (eigml_intent_source_get_n_ids (fallback), ==, 0);
  g_assert_null (eigml_intent_source_get_path (fallback));
  remove_all (dir);
}

static void
test_sidecar_errors (void)
{
  static const struct
  {
    const char *text;
    const char *message;
  } cases[] = {
    { "{\"id\": \"a\", \"xIntent\": []}\n{\"id\": \"b\", \"xIntent\": [}\n",
      "comet.jsonl:2:" },
    { "{\"id\": \"a\", \"xintent\": [\"x\"]}\n",
      "comet.jsonl:1: field 'xintent': not a COMET relation (expected id, xIntent, xNeed, xWant "
      "or xEffect)" },
    { "{\"id\": \"a\", \"xIntent\": [], \"emotion\": \"乐\"}\n",
      "comet.jsonl:1: field 'emotion': not a COMET relation" },
    { "\n{\"id\": \"a\", \"xWant\": [\"x\", 3]}\n",
      "comet.jsonl:2: field 'xWant': item 1: expected a string, got" },
    { "{\"id\": \"a\", \"xNeed\": \"x\"}\n",
      "comet.jsonl:1: field 'xNeed': expected an array" },
    { "{\"id\": \"a\", \"xIntent\": []}\n{\"id\": \"b\", \"xIntent\": []}\n"
      "{\"id\": \"a\", \"xWant\": []}\n",
      "comet.jsonl:3: field 'id': 'a' is already given on line 1" },
    { "{\"id\": 7, \"xIntent\": []}\n{\"id\": \"7\", \"xIntent\": []}\n",
      "comet.jsonl:2: field 'id': '7' is already given on line 1" },
    { "[\"xIntent\"]\n", "comet.jsonl:1: expected an object, got an array" },
    { "{\"xIntent\": [\"x\"]}\n", "comet.jsonl:1: missing field 'id'" },
    { "{\"id\": \"a\"}\n", "comet.jsonl:1: expected at least one of the fields xIntent" },
  };
  g_autofree char *dir = make_dir ();
  g_autofree char *absent = g_build_filename (dir, "absent.jsonl", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlIntentSource) none = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = put_file (dir, "comet.jsonl", cases[i].text);
      g_autoptr (EigmlIntentSource) source = eigml_intent_source_new_from_sidecar (path, &error);

      g_assert_null (source);
      g_assert_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT);
      if (strstr (error->message, cases[i].message) == NULL)
        g_error ("case %u: \"%s\" does not contain \"%s\"", i, error->message, cases[i].message);
      g_clear_error (&error);
    }
  none = eigml_intent_source_new_from_sidecar (absent, &error);
  g_assert_null (none);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  remove_all (dir);
}

static void
count_notify (GObject *object,
              GParamSpec *pspec,
              gpointer data)
{
  (*(guint *) data)++;
}

static void
test_sidecar_infer (void)
{
  g_autofree char *dir = make_dir ();
  g_autofree char *path = put_file (dir, "comet.jsonl",
    "{\"id\": \"d1\", \"xIntent\": [\"to tease\"], \"xWant\": [\"to laugh\"]}\n");
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlIntentSource) source = eigml_intent_source_new_from_sidecar (path, &error);
  g_autoptr (EigmlIntentSource) fallback = eigml_intent_source_new_fallback ();
  g_autoptr (EigmlIntents) found = NULL, expected = NULL, got = NULL, no_id = NULL;
  const char *const *turns = STRV ("在吗", "谢谢你！");
  guint notified = 0;

  g_assert_no_error (error);
  found = eigml_intent_source_infer (source, turns, "乐", "d1", &error);
  g_assert_no_error (error);
  assert_intents (found, STRV ("to tease"), NONE, STRV ("to laugh"), NONE);

  /* by default a missing id is an error, and so is no id */
  g_assert_null (eigml_intent_source_infer (source, turns, NULL, "d2", &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "comet.jsonl: no intents for the example id 'd2'"));
  g_clear_error (&error);
  g_assert_null (eigml_intent_source_infer (source, turns, NULL, NULL, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* fallback-on-missing: the fallback's answer, once notified */
  g_signal_connect (source, "notify::fallback-on-missing", G_CALLBACK (count_notify), &notified);
  eigml_intent_source_set_fallback_on_missing (source, TRUE);
  eigml_intent_source_set_fallback_on_missing (source, TRUE);
  g_assert_cmpuint (notified, ==, 1);
  expected = eigml_intent_source_infer (fallback, turns, "乐", "d2", &error);
  g_assert_no_error (error);
  got = eigml_intent_source_infer (source, turns, "乐", "d2", &error);
  g_assert_no_error (error);
  g_assert_true (eigml_intents_equal (got, expected));
  no_id = eigml_intent_source_infer (source, turns, "乐", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (eigml_intents_equal (no_id, expected));
  /* an id the sidecar has still wins */
  g_clear_pointer (&found, eigml_intents_unref);
  found = eigml_intent_source_infer (source, turns, "乐", "d1", &error);
  assert_intents (found, STRV ("to tease"), NONE, STRV ("to laugh"), NONE);

  /* the emotion must be a DUTIR category */
  g_assert_null (eigml_intent_source_infer (fallback, turns, "happy", NULL, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "好 乐 哀 怒 惧 恶 惊"));
  g_clear_error (&error);
  remove_all (dir);
}

/* the same file, written by to_json(), read back by the source and as a
 * dataset's intent sidecar */
static void
test_sidecar_round_trip (void)
{
  g_autoptr (EigmlIntentSource) fallback = eigml_intent_source_new_fallback ();
  g_autofree char *dir = make_dir ();
  g_autofree char *sticker = NULL, *data = NULL, *path = NULL;
  g_autoptr (GString) lines = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlIntentSource) source = NULL;
  g_autoptr (EigmlDataset) dataset = NULL;
  const char *texts[] = { "你好", "Why did you leave?", "哈哈哈笑死我了", "今天天气不错" };
  EigmlIntents *made[G_N_ELEMENTS (texts)];

  sticker = put_file (dir, "s.png", "not read at load");
  data = put_file (dir, "train.jsonl",
                   "{\"id\": \"t0\", \"dialogue\": [{\"text\": \"你好\"}], \"sticker\": \"s.png\"}\n"
                   "{\"id\": \"t1\", \"dialogue\": [], \"sticker\": \"s.png\"}\n"
                   "{\"id\": \"t2\", \"dialogue\": [], \"sticker\": \"s.png\"}\n"
                   "{\"id\": \"t3\", \"dialogue\": [], \"sticker\": \"s.png\"}\n");
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autofree char *id = g_strdup_printf ("t%u", i);
      g_autofree char *line = NULL;

      made[i] = eigml_intent_source_infer (fallback, STRV (texts[i]), i == 2 ? "乐" : NULL, NULL,
                                           &error);
      g_assert_no_error (error);
      line = eigml_intents_to_json (made[i], id);
      g_string_append_printf (lines, "%s\n", line);
    }
  path = put_file (dir, "comet.jsonl", lines->str);
  source = eigml_intent_source_new_from_sidecar (path, &error);
  g_assert_no_error (error);
  dataset = g_initable_new (EIGML_TYPE_DATASET, NULL, &error, "file", data, "format",
                            EIGML_DATASET_FORMAT_JSONL, "n-candidates", 1, "intent-file", path,
                            NULL);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autofree char *id = g_strdup_printf ("t%u", i);
      g_autoptr (EigmlIntents) back = eigml_intent_source_lookup (source, id, &error);
      g_autoptr (EigmlExample) ex = eigml_dataset_get_example (dataset, i, &error);

      g_assert_no_error (error);
      g_assert_true (eigml_intents_equal (back, made[i]));
      g_assert_cmpstr (eigml_example_get_id (ex), ==, id);
      for (guint r = 0; r < EIGML_INTENTS_N_RELATIONS; r++)
        g_assert_cmpstrv (eigml_example_get_intents (ex, eigml_intents_get_relation_names ()[r]),
                          eigml_intents_get_nth (made[i], r));
      eigml_intents_unref (made[i]);
    }
  remove_all (dir);
}

/* ---- the fallback -------------------------------------------------------- */

typedef struct
{
  const char *text;
  EigmlFallbackLanguage language;
  const char *cues;         /* space-separated cue names, in rule order */
} CueCase;

#define L_ZH EIGML_FALLBACK_LANGUAGE_ZH
#define L_EN EIGML_FALLBACK_LANGUAGE_EN
#define L_NONE EIGML_FALLBACK_LANGUAGE_UNKNOWN

static const CueCase cue_cases[] = {
  /* Chinese */
  { "你好呀，好久不见", L_ZH, "greeting" },
  { "谢谢你的帮助！", L_ZH, "thanks" },
  { "对不起，我来晚了", L_ZH, "apology" },
  { "恭喜恭喜，生日快乐！", L_ZH, "congratulation" },
  { "你吃饭了吗？", L_ZH, "question" },
  { "为什么他不回我消息", L_ZH, "ask-reason question" },
  { "这个怎么办啊", L_ZH, "ask-method question" },
  { "我们什么时候出发？", L_ZH, "ask-time question" },
  { "能不能帮我带杯咖啡", L_ZH, "request" },
  { "周末一起去爬山吧", L_ZH, "invitation" },
  { "好的，没问题", L_ZH, "agreement" },
  { "算了，我不去了", L_ZH, "refusal" },
  { "烦死了，又加班", L_ZH, "complaint" },
  { "失恋了，好难过", L_ZH, "distress" },
  { "哈哈哈笑死我了", L_ZH, "joke" },
  { "你太厉害了！", L_ZH, "praise" },
  { "爱你哦😘", L_ZH, "affection" },
  { "哇，真的假的？", L_ZH, "question surprise" },
  { "晚安，明天见", L_ZH, "farewell" },
  { "要不要去不去", L_ZH, "invitation" },
  { "今天天气不错", L_ZH, "" },
  { "不好的", L_ZH, "" },              /* 好的 after 不 is not agreement */
  /* English */
  { "Hey, how are you?", L_EN, "greeting question" },
  { "Thank you so much!", L_EN, "thanks" },
  { "Sorry, my bad", L_EN, "apology" },
  { "Congrats on the new job!", L_EN, "congratulation" },
  { "Why did you leave?", L_EN, "ask-reason question" },
  { "Where are you", L_EN, "ask-place question" },
  { "Is it raining", L_EN, "question" },
  { "Could you please send me the file", L_EN, "request" },
  { "Let's grab dinner tonight", L_EN, "invitation" },
  { "No problem, sounds good", L_EN, "agreement" },   /* not "^no": the longest wins */
  { "Nope, not today", L_EN, "refusal" },
  { "Ugh, this traffic is terrible", L_EN, "complaint" },
  { "I\xe2\x80\x99m so sad today", L_EN, "distress" },
  { "lol that's hilarious", L_EN, "joke" },
  { "not funny", L_EN, "" },
  { "Good night, see you tomorrow", L_EN, "farewell" },
  { "Wow, no way!", L_EN, "surprise" },
  { "I went to the store today", L_EN, "" },
  { "This is a nice thing", L_EN, "praise" },
  { "this is thin", L_EN, "" },        /* "hi" is a word, not a substring */
  /* mixed, and neither */
  { "ok 好的", L_ZH, "agreement" },
  { "thanks 谢谢 so much", L_EN, "thanks" },
  { "666", L_NONE, "praise" },
  { "😂😂", L_NONE, "joke" },
  { "...", L_NONE, "" },
};

static char *
cue_names (guint32 cues)
{
  GString *s = g_string_new (NULL);

  for (guint c = 0; c < eigml_intent_fallback_get_n_cues (); c++)
    if (cues & (1u << c))
      g_string_append_printf (s, "%s%s", s->len ? " " : "", eigml_intent_fallback_cue_name (c));
  return g_string_free (s, FALSE);
}

static void
test_fallback_cues (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (cue_cases); i++)
    {
      EigmlFallbackLanguage language = 99;
      guint32 cues = eigml_intent_fallback_detect (cue_cases[i].text, &language);
      g_autofree char *names = cue_names (cues);

      if (strcmp (names, cue_cases[i].cues) != 0 || language != cue_cases[i].language)
        g_error ("\"%s\": cues \"%s\" (language %d), expected \"%s\" (language %d)",
                 cue_cases[i].text, names, language, cue_cases[i].cues, cue_cases[i].language);
    }
}

static void
test_fallback_output (void)
{
  g_autoptr (EigmlIntentSource) source = eigml_intent_source_new_fallback ();
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlIntents) thanks = NULL, statement = NULL, only_emotion = NULL, nothing = NULL;
  g_autoptr (EigmlIntents) emoji = NULL, blank_last = NULL, many = NULL, asking = NULL;
  g_autoptr (EigmlIntents) bad_utf8 = NULL;

  thanks = eigml_intent_source_infer (source, STRV ("谢谢你！"), NULL, NULL, &error);
  g_assert_no_error (error);
  assert_intents (thanks, STRV ("表达感谢"), STRV ("得到了对方的帮助"), STRV ("回报对方"),
                  STRV ("心怀感激"));
  /* no cue: a plain statement, in the turn's language, then the emotion */
  statement = eigml_intent_source_infer (source, STRV ("I went to the store today"), "乐", NULL,
                                         &error);
  g_assert_no_error (error);
  assert_intents (statement, STRV ("to share a thought"), STRV ("to have something to say"),
                  STRV ("to get a reply", "to share the joy"),
                  STRV ("waits for a reply", "feels happy"));
  /* the kind of question comes before the question */
  asking = eigml_intent_source_infer (source, STRV ("为什么"), "怒", NULL, &error);
  g_assert_no_error (error);
  assert_intents (asking, STRV ("得到答案"), STRV ("不明白其中的原因", "心里有疑问"),
                  STRV ("想知道原因", "想知道答案", "发泄怒气"),
                  STRV ("等待对方回答", "感到生气"));
  /* no text: only the emotion, in Chinese */
  only_emotion = eigml_intent_source_infer (source, STRV ("", "  "), "惊", NULL, &error);
  g_assert_no_error (error);
  assert_intents (only_emotion, NONE, NONE, STRV ("弄清楚发生了什么"), STRV ("感到惊讶"));
  nothing = eigml_intent_source_infer (source, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (eigml_intents_is_empty (nothing));
  /* an emoji turn: its cue, in the language of the turn before */
  emoji = eigml_intent_source_infer (source, STRV ("That is hilarious", "😂😂"), NULL, NULL,
                                     &error);
  g_assert_no_error (error);
  assert_intents (emoji, STRV ("to make someone laugh"), STRV ("to think of something funny"),
                  STRV ("to share a laugh"), STRV ("laughs"));
  /* a blank last turn is passed over */
  blank_last = eigml_intent_source_infer (source, STRV ("Sorry!", " \t"), NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (eigml_intents_get (blank_last, "xIntent"), STRV ("to apologize"));
  /* many cues: at most 4 cue phrases, then the emotion's */
  many = eigml_intent_source_infer (source, STRV ("你好谢谢对不起恭喜哈哈厉害爱你哇"), "哀",
                                    NULL, &error);
  g_assert_no_error (error);
  for (guint r = 0; r < EIGML_INTENTS_N_RELATIONS; r++)
    g_assert_cmpuint (g_strv_length ((char **) eigml_intents_get_nth (many, r)), <=,
                      EIGML_FALLBACK_MAX_STRINGS);
  g_assert_cmpstrv (eigml_intents_get (many, "xIntent"),
                    STRV ("和对方打招呼", "表达感谢", "向对方道歉", "祝贺对方"));
  g_assert_cmpstrv (eigml_intents_get (many, "xEffect"),
                    STRV ("得到对方的问候", "心怀感激", "感到内疚", "为对方高兴", "感到难过"));
  /* invalid UTF-8 is repaired, not a crash */
  bad_utf8 = eigml_intent_source_infer (source, STRV ("thanks \xff\xfe"), NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstrv (eigml_intents_get (bad_utf8, "xIntent"), STRV ("to show gratitude"));
}

static const char *const emotions[] = { NULL, "好", "乐", "哀", "怒", "惧", "恶", "惊" };

/* every case with every emotion, as JSON lines */
static char *
fallback_transcript (EigmlIntentSource *source,
                     gboolean reverse)
{
  GString *s = g_string_new (NULL);

  for (guint k = 0; k < G_N_ELEMENTS (cue_cases); k++)
    for (guint e = 0; e < G_N_ELEMENTS (emotions); e++)
      {
        guint i = reverse ? G_N_ELEMENTS (cue_cases) - 1 - k : k;
        g_autoptr (EigmlIntents) intents = NULL;
        g_autofree char *line = NULL;
        g_autofree char *id = g_strdup_printf ("%u/%u", i, e);

        intents = eigml_intent_source_infer (source, STRV ("上一句", cue_cases[i].text),
                                             emotions[e], NULL, NULL);
        g_assert_nonnull (intents);
        line = eigml_intents_to_json (intents, id);
        g_string_append_printf (s, "%s\n", line);
      }
  return g_string_free (s, FALSE);
}

static gpointer
transcript_thread (gpointer data)
{
  return fallback_transcript (data, FALSE);
}

static int
compare_lines (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static void
test_fallback_determinism (void)
{
  g_autoptr (EigmlIntentSource) a = eigml_intent_source_new_fallback ();
  g_autoptr (EigmlIntentSource) b = eigml_intent_source_new_fallback ();
  g_autofree char *first = fallback_transcript (a, FALSE);
  g_autofree char *again = fallback_transcript (a, FALSE);
  g_autofree char *other = fallback_transcript (b, FALSE);
  g_autofree char *reversed = fallback_transcript (b, TRUE);
  char *threaded[2] = { NULL, NULL };
  GThread *threads[2];
  g_auto (GStrv) lines_first = NULL, lines_reversed = NULL;

  for (guint t = 0; t < 2; t++)
    threads[t] = g_thread_new ("intent", transcript_thread, a);
  for (guint t = 0; t < 2; t++)
    threaded[t] = g_thread_join (threads[t]);
  g_assert_cmpstr (first, ==, again);
  g_assert_cmpstr (first, ==, other);
  g_assert_cmpstr (first, ==, threaded[0]);
  g_assert_cmpstr (first, ==, threaded[1]);
  /* the order of calls does not matter */
  lines_first = g_strsplit (first, "\n", -1);
  lines_reversed = g_strsplit (reversed, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines_first), ==, g_strv_length (lines_reversed));
  qsort (lines_first, g_strv_length (lines_first), sizeof (char *), compare_lines);
  qsort (lines_reversed, g_strv_length (lines_reversed), sizeof (char *), compare_lines);
  g_assert_cmpstrv (lines_first, lines_reversed);
  g_free (threaded[0]);
  g_free (threaded[1]);
}

/* ---- wiring: batcher, ranker, trainer ------------------------------------ */

#define N_STICKERS 4

/* a JSONL dataset of 4 stickers: t0 has intents, t1 and t2 have none */
static char *
make_dataset (void)
{
  char *dir = make_dir ();
  GString *vocab = g_string_new ("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n;\nto\na\nan\nget\n"
                                 "answer\ngreet\nsomeone\nhello\nhow\nare\nyou\nshare\njoy\n"
                                 "feels\nsad\nthe\nknow\n谢\n你\n哈\n");
  g_autoptr (GBytes) v = NULL;

  for (guint s = 0; s < N_STICKERS; s++)
    {
      g_autofree guint8 *px = g_new (guint8, 16 * 16 * 3);
      g_autofree char *name = g_strdup_printf ("s%u.png", s);
      g_autoptr (GBytes) png = NULL;

      for (guint k = 0; k < 16 * 16 * 3; k++)
        px[k] = (guint8) (40 * s + 7 * (k % 3) + k / 48);
      png = fixture_pixbuf_save (px, 16, 16, 3, "png", NULL);
      g_free (fixture_write (dir, name, png));
    }
  v = g_bytes_new_take (vocab->str, vocab->len);
  g_string_free (vocab, FALSE);
  g_free (fixture_write (dir, "vocab.txt", v));
  g_free (put_file (dir, "train.jsonl",
    "{\"id\": \"t0\", \"dialogue\": [{\"text\": \"谢谢你\"}], \"sticker\": \"s0.png\","
    " \"intent\": {\"xIntent\": [\"to share\"]}}\n"
    "{\"id\": \"t1\", \"dialogue\": [{\"text\": \"hello , how are you ?\"}],"
    " \"sticker\": \"s1.png\"}\n"
    "{\"id\": \"t2\", \"dialogue\": [{\"text\": \"哈哈\"}, {\"text\": \"so sad\"}],"
    " \"sticker\": \"s2.png\", \"emotion\": \"哀\"}\n"
    "{\"id\": \"t3\", \"dialogue\": [{\"text\": \"the answer\"}], \"sticker\": \"s3.png\"}\n"));
  return dir;
}

#define TINY_MODEL \
  "{\"text_encoder\": {\"hidden_size\": 32, \"num_hidden_layers\": 1, \"num_attention_heads\": 2," \
  " \"intermediate_size\": 64, \"vocab_size\": 60, \"max_position_embeddings\": 16}," \
  " \"vision_encoder\": {\"hidden_size\": 32, \"num_hidden_layers\": 1," \
  " \"num_attention_heads\": 2," \
  " \"intermediate_size\": 64, \"image_size\": 16, \"patch_size\": 8}," \
  " \"max_len\": 9, \"knowledge_len\": 5, \"n_candidates\": 4, \"proj_dim\": 16," \
  " \"fusion_heads\": 2, \"fusion_ffn\": 48}"

typedef struct
{
  char *dir;
  EigmlTokenizer *tokenizer;
  EigmlDataset *dataset;
  EigmlModel *model;
  EigmlImageProcessor *images;
} Fixture;

static void
fixture_setup (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *vocab = NULL, *train = NULL;
  g_autoptr (EigmlModelConfig) config = NULL;

  f->dir = make_dataset ();
  vocab = g_build_filename (f->dir, "vocab.txt", NULL);
  train = g_build_filename (f->dir, "train.jsonl", NULL);
  f->tokenizer = eigml_tokenizer_new_from_file (vocab, &error);
  g_assert_no_error (error);
  f->dataset = g_initable_new (EIGML_TYPE_DATASET, NULL, &error, "file", train, "format",
                               EIGML_DATASET_FORMAT_JSONL, "n-candidates", 4, NULL);
  g_assert_no_error (error);
  config = eigml_model_config_new_from_data (TINY_MODEL, -1, &error);
  g_assert_no_error (error);
  f->model = eigml_model_new (harness_context (EIGML_BACKEND_CPU), config, 7, &error);
  g_assert_no_error (error);
  f->images = eigml_image_processor_new (16);
  eigml_image_processor_set_train (f->images, FALSE);
}

static void
fixture_teardown (Fixture *f)
{
  g_clear_object (&f->images);
  g_clear_object (&f->model);
  g_clear_object (&f->dataset);
  g_clear_object (&f->tokenizer);
  remove_all (f->dir);
  g_free (f->dir);
}

static void
fill (Fixture *f,
      EigmlIntentSource *source,
      EigmlModelBatch *batch)
{
  g_autoptr (GError) error = NULL;
  EigmlBatcher b = { f->tokenizer, f->images, eigml_model_get_config (f->model),
                     EIGML_TRUNCATION_KEEP_RECENT, NULL, source };
  EigmlExample *examples[3];

  for (guint i = 0; i < 3; i++)
    {
      examples[i] = eigml_dataset_get_example (f->dataset, i, &error);
      g_assert_no_error (error);
    }
  g_assert_true (eigml_batcher_fill (&b, examples, 3, NULL, 0, 4, batch, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 3; i++)
    eigml_example_unref (examples[i]);
}

/* the token ids of one relation's knowledge text, as the batcher makes them */
static void
encode_row (Fixture *f,
            const char *const *strings,
            gint32 *ids)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *joined = g_strjoinv ("; ", (char **) strings);
  gint32 types[5], mask[5];

  g_assert_true (eigml_tokenizer_encode_dialogue_into (f->tokenizer, STRV (joined), NULL, 5,
                                                       EIGML_TRUNCATION_KEEP_BEGINNING, ids,
                                                       types, mask, &error));
  g_assert_no_error (error);
}

static void
test_batcher (void)
{
  Fixture f = { 0 };
  g_autoptr (EigmlIntentSource) fallback = eigml_intent_source_new_fallback ();
  g_autoptr (GError) error = NULL;
  EigmlModelBatch none, with;
  const gint64 R = EIGML_N_RELATIONS, Tk = 5;
  const gint32 empty[5] = { 2, 3, 0, 0, 0 };    /* [CLS] [SEP] and padding */

  fixture_setup (&f);
  fill (&f, NULL, &none);
  fill (&f, fallback, &with);
  g_assert_cmpint (none.knowledge_len, ==, Tk);
  /* without a source: t0's own xIntent, and empty knowledge everywhere else */
  g_assert_cmpint (memcmp (none.know_ids, empty, sizeof empty), !=, 0);
  for (gint64 row = 1; row < 3 * R; row++)
    g_assert_cmpmem (none.know_ids + row * Tk, sizeof empty, empty, sizeof empty);
  /* with one: t0 keeps its own (the dataset first), t1 and t2 get the
   * fallback's text in every relation */
  g_assert_cmpmem (with.know_ids, R * Tk * sizeof (gint32), none.know_ids,
                   R * Tk * sizeof (gint32));
  for (guint i = 1; i < 3; i++)
    {
      g_autoptr (EigmlExample) ex = eigml_dataset_get_example (f.dataset, i, &error);
      g_autoptr (EigmlIntents) expected = NULL;
      const float *emotion = eigml_example_get_emotion (ex, NULL);

      expected = eigml_intent_source_infer (fallback, eigml_example_get_turn_texts (ex),
                                            emotion ? "哀" : NULL, NULL, &error);
      g_assert_no_error (error);
      for (gint64 r = 0; r < R; r++)
        {
          const gint32 *row = with.know_ids + (i * R + r) * Tk;
          gint32 ids[5];

          g_assert_cmpint (memcmp (row, empty, sizeof empty), !=, 0);
          encode_row (&f, eigml_intents_get_nth (expected, (guint) r), ids);
          g_assert_cmpmem (row, sizeof ids, ids, sizeof ids);
        }
    }
  /* t1: greeting and question, in English */
  {
    gint32 ids[5];

    encode_row (&f, STRV ("to greet someone", "to get an answer"), ids);
    g_assert_cmpmem (with.know_ids + 1 * R * Tk, sizeof ids, ids, sizeof ids);
  }
  /* everything else is the same batch */
  g_assert_cmpmem (with.text_ids, 3 * 9 * sizeof (gint32), none.text_ids, 3 * 9 * sizeof (gint32));
  g_assert_cmpmem (with.emo_dist, 3 * 7 * sizeof (float), none.emo_dist, 3 * 7 * sizeof (float));
  eigml_model_batch_clear (&none);
  eigml_model_batch_clear (&with);
  fixture_teardown (&f);
}

static gboolean
scores_differ (const float *a,
               const float *b,
               gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (fabsf (a[i] - b[i]) > 1e-6f)
      return TRUE;
  return FALSE;
}

static void
test_ranker (void)
{
  Fixture f = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlIntentSource) fallback = eigml_intent_source_new_fallback ();
  g_autoptr (EigmlIntentSource) sidecar = NULL;
  g_autoptr (EigmlRanker) ranker = NULL;
  g_autoptr (EigmlExample) own = NULL, bare = NULL;
  g_autoptr (EigmlMetrics) metrics = NULL;
  g_autofree char *s0 = NULL, *s1 = NULL, *s2 = NULL, *comet = NULL;
  g_autofree float *plain = NULL, *inferred = NULL, *via_sidecar = NULL;
  g_autofree float *own_plain = NULL, *own_with = NULL, *bare_plain = NULL, *bare_with = NULL;
  const char *const *turns = STRV ("hello", "how are you ?");
  const float joy[7] = { 0, 1, 0, 0, 0, 0, 0 };
  gsize n = 0;

  fixture_setup (&f);
  s0 = g_build_filename (f.dir, "s0.png", NULL);
  s1 = g_build_filename (f.dir, "s1.png", NULL);
  s2 = g_build_filename (f.dir, "s2.png", NULL);
  ranker = eigml_ranker_new (f.model, f.tokenizer);
  g_assert_null (eigml_ranker_get_intent_source (ranker));

  plain = eigml_ranker_score (ranker, turns, joy, 7, STRV (s0, s1, s2), &n, &error);
  g_assert_no_error (error);
  own = eigml_dataset_get_example (f.dataset, 0, &error);
  bare = eigml_dataset_get_example (f.dataset, 1, &error);
  own_plain = eigml_ranker_score_example (ranker, own, &n, &error);
  bare_plain = eigml_ranker_score_example (ranker, bare, &n, &error);
  g_assert_no_error (error);

  /* the knowledge reaches the score */
  eigml_ranker_set_intent_source (ranker, fallback);
  g_assert_true (eigml_ranker_get_intent_source (ranker) == fallback);
  inferred = eigml_ranker_score (ranker, turns, joy, 7, STRV (s0, s1, s2), &n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 3);
  g_assert_true (scores_differ (plain, inferred, 3));
  own_with = eigml_ranker_score_example (ranker, own, &n, &error);
  bare_with = eigml_ranker_score_example (ranker, bare, &n, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (own_with, 4 * sizeof (float), own_plain, 4 * sizeof (float));
  g_assert_true (scores_differ (bare_plain, bare_with, 4));
  metrics = eigml_metrics_new (EIGML_METRICS_STANDARD);
  g_assert_true (eigml_ranker_evaluate (ranker, f.dataset, metrics, 0, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (eigml_metrics_get_n_examples (metrics), ==, 4);

  /* a sidecar source: score() has no id to look up */
  comet = put_file (f.dir, "comet.jsonl", "{\"id\": \"t1\", \"xIntent\": [\"to greet\"]}\n");
  sidecar = eigml_intent_source_new_from_sidecar (comet, &error);
  g_assert_no_error (error);
  eigml_ranker_set_intent_source (ranker, sidecar);
  g_assert_null (eigml_ranker_score (ranker, turns, joy, 7, STRV (s0, s1, s2), &n, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  /* evaluate() stops at t2, which the sidecar lacks */
  g_clear_object (&metrics);
  metrics = eigml_metrics_new (EIGML_METRICS_STANDARD);
  g_assert_false (eigml_ranker_evaluate (ranker, f.dataset, metrics, 0, NULL, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "'t2'"));
  g_clear_error (&error);
  eigml_intent_source_set_fallback_on_missing (sidecar, TRUE);
  via_sidecar = eigml_ranker_score (ranker, turns, joy, 7, STRV (s0, s1, s2), &n, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (via_sidecar, 3 * sizeof (float), inferred, 3 * sizeof (float));

  /* and none again */
  eigml_ranker_set_intent_source (ranker, NULL);
  g_free (inferred);
  inferred = eigml_ranker_score (ranker, turns, joy, 7, STRV (s0, s1, s2), &n, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (inferred, 3 * sizeof (float), plain, 3 * sizeof (float));
  fixture_teardown (&f);
}

static float *
trained_weights (const char *config,
                 const char *const *overrides,
                 gsize *n)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlTrainer) trainer = NULL;
  GPtrArray *params;
  GArray *all = g_array_new (FALSE, FALSE, sizeof (float));

  trainer = eigml_trainer_new_from_config (harness_context (EIGML_BACKEND_CPU), config,
                                           overrides, &error);
  g_assert_no_error (error);
  g_assert_true (eigml_trainer_train (trainer, NULL, &error));
  g_assert_no_error (error);
  params = eigml_param_store_get_params (eigml_model_get_store (eigml_trainer_get_model (trainer)));
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
test_trainer_config (void)
{
  g_autofree char *dir = make_dataset ();
  g_autofree char *config = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree float *plain = NULL, *with = NULL;
  gsize n_plain = 0, n_with = 0;
  const char *fallback[] = { "data.intent_source=fallback", NULL };
  const char *none[] = { "data.intent_source=none", NULL };
  const char *bogus[] = { "data.intent_source=comet", NULL };

  config = put_file (dir, "config.json",
    "{\"model\": " TINY_MODEL ", \"vocab\": \"vocab.txt\","
    " \"data\": {\"path\": \".\", \"format\": \"jsonl\", \"train\": \"train\","
    " \"validation\": \"\"},"
    " \"train\": {\"batch_size\": 2, \"epochs\": 1, \"lr\": 0.01, \"warmup_steps\": 0}}");
  {
    g_autoptr (EigmlTrainer) t = eigml_trainer_new_from_config (
      harness_context (EIGML_BACKEND_CPU), config, fallback, &error);
    g_autoptr (EigmlIntentSource) source = NULL;

    g_assert_no_error (error);
    g_object_get (t, "intent-source", &source, NULL);
    g_assert_nonnull (source);
    g_assert_cmpint (eigml_intent_source_get_kind (source), ==, EIGML_INTENT_SOURCE_FALLBACK);
  }
  {
    g_autoptr (EigmlTrainer) t = eigml_trainer_new_from_config (
      harness_context (EIGML_BACKEND_CPU), config, none, &error);
    g_autoptr (EigmlIntentSource) source = NULL;

    g_assert_no_error (error);
    g_object_get (t, "intent-source", &source, NULL);
    g_assert_null (source);
  }
  {
    g_autoptr (EigmlTrainer) t = eigml_trainer_new_from_config (
      harness_context (EIGML_BACKEND_CPU), config, bogus, &error);

    g_assert_null (t);
    g_assert_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT);
    g_assert_nonnull (strstr (error->message, "data.intent_source: expected \"none\" or "
                              "\"fallback\", got \"comet\""));
    g_clear_error (&error);
  }
  /* training sees the knowledge: two steps end elsewhere with it */
  plain = trained_weights (config, NULL, &n_plain);
  with = trained_weights (config, fallback, &n_with);
  g_assert_cmpuint (n_plain, ==, n_with);
  g_assert_true (scores_differ (plain, with, n_plain));
  remove_all (dir);
}

int
main (int argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cpu/intent/intents", test_intents_boxed);
  g_test_add_func ("/cpu/intent/sidecar/lookup", test_sidecar_lookup);
  g_test_add_func ("/cpu/intent/sidecar/errors", test_sidecar_errors);
  g_test_add_func ("/cpu/intent/sidecar/infer", test_sidecar_infer);
  g_test_add_func ("/cpu/intent/sidecar/round-trip", test_sidecar_round_trip);
  g_test_add_func ("/cpu/intent/fallback/cues", test_fallback_cues);
  g_test_add_func ("/cpu/intent/fallback/output", test_fallback_output);
  g_test_add_func ("/cpu/intent/fallback/determinism", test_fallback_determinism);
  g_test_add_func ("/cpu/intent/batcher", test_batcher);
  g_test_add_func ("/cpu/intent/ranker", test_ranker);
  g_test_add_func ("/cpu/intent/trainer-config", test_trainer_config);
  return g_test_run ();
}
