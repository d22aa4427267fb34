/* intent-fallback.c: the offline fallback of EigmlIntentSource, a keyword
 * heuristic (docs/intent.md)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * COMET is a trained model; this is not. It looks for a few dialogue acts
 * ("cues": a question, thanks, an apology, an invitation...) in the last
 * turn with short keyword lists written for this file, and writes for each
 * cue found a fixed phrase per relation, in the language of the turn, then
 * a phrase for the dialogue's emotion category when one is given. A turn
 * with no cue gets the phrases of a plain statement. It knows nothing else
 * about a situation: every turn with the same cues gets the same words.
 *
 * Matching:
 * - substrings are looked for as they are, anywhere in the text (Chinese
 *   keywords, punctuation, a few emoji);
 * - word patterns are matched against the text's ASCII words, lowercased
 *   (a word is a run of ASCII letters, digits, "'" and "’"): pattern words
 *   are separated by spaces, "^" before the first anchors it at the first
 *   ASCII word of the turn, "*" after a word matches any word starting
 *   with it;
 * - a match right after a negation (不 没 别; not, no, never, don't...) is
 *   dropped, so 不好的 is not agreement and "not funny" is not a joke;
 * - where matches overlap, the longest wins (then the earliest, then the
 *   earlier rule): "no problem" is agreement rather than a refusal, 为什么
 *   asks for a reason rather than 什么 for a thing.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "eigml-dataset.h"
#include "intent-private.h"

enum
{
  XINTENT,
  XNEED,
  XWANT,
  XEFFECT,
};

enum
{
  ZH,
  EN,
  N_LANGUAGES
};

enum
{
  CUE_GREETING,
  CUE_FAREWELL,
  CUE_THANKS,
  CUE_APOLOGY,
  CUE_CONGRATULATION,
  CUE_ASK_REASON,       /* the kinds of question before the question itself, */
  CUE_ASK_METHOD,       /* so that their more precise phrases come first */
  CUE_ASK_TIME,
  CUE_ASK_PLACE,
  CUE_ASK_PERSON,
  CUE_QUESTION,
  CUE_REQUEST,
  CUE_INVITATION,
  CUE_AGREEMENT,
  CUE_REFUSAL,
  CUE_COMPLAINT,
  CUE_DISTRESS,
  CUE_JOKE,
  CUE_PRAISE,
  CUE_AFFECTION,
  CUE_SURPRISE,
  CUE_STATEMENT,        /* no keywords: the phrases of a turn without a cue */
  N_CUES
};

/* the cue also makes the turn a question */
#define IMPLIES_QUESTION (1u << 0)

typedef struct
{
  const char *name;
  guint flags;
  const char *const *substrings;
  const char *const *words;
  /* xIntent, xNeed, xWant, xEffect; NULL: nothing for that relation */
  const char *phrases[N_LANGUAGES][EIGML_INTENTS_N_RELATIONS];
} Rule;

#define LIST(...) ((const char *const[]) { __VA_ARGS__, NULL })

static const Rule rules[N_CUES] = {
  [CUE_GREETING] = {
    "greeting", 0,
    LIST ("你好", "您好", "早上好", "早安", "中午好", "下午好", "晚上好", "嗨", "哈喽", "哈啰",
          "在吗", "在不在", "好久不见"),
    LIST ("hello", "hi", "hey", "hiya", "howdy", "good morning", "good afternoon",
          "good evening", "how are you", "how's it going", "what's up", "whats up",
          "long time no see", "nice to meet you"),
    { { "和对方打招呼", "见到对方", "开始聊天", "得到对方的问候" },
      { "to greet someone", "to see a friend", "to start a conversation", "gets greeted back" } },
  },
  [CUE_FAREWELL] = {
    "farewell", 0,
    LIST ("再见", "拜拜", "晚安", "回头见", "下次见", "明天见", "先走了", "先撤了", "下线了",
          "去睡了"),
    LIST ("bye", "goodbye", "see you", "see ya", "good night", "goodnight", "gotta go",
          "talk later", "talk to you later", "ttyl", "88"),
    { { "结束聊天", "有事要离开", "下次再聊", "离开了聊天" },
      { "to end the conversation", "to have to go", "to talk again later", "leaves the chat" } },
  },
  [CUE_THANKS] = {
    "thanks", 0,
    LIST ("谢谢", "多谢", "感谢", "谢啦", "谢了", "辛苦了", "感激"),
    LIST ("thank*", "thx", "ty", "appreciate*", "grateful"),
    { { "表达感谢", "得到了对方的帮助", "回报对方", "心怀感激" },
      { "to show gratitude", "to have been helped", "to return the favor", "feels grateful" } },
  },
  [CUE_APOLOGY] = {
    "apology", 0,
    LIST ("对不起", "抱歉", "不好意思", "我的错", "原谅我", "怪我"),
    LIST ("sorry", "apologi*", "my bad", "my fault", "forgive me"),
    { { "向对方道歉", "做错了事", "得到原谅", "感到内疚" },
      { "to apologize", "to have made a mistake", "to be forgiven", "feels guilty" } },
  },
  [CUE_CONGRATULATION] = {
    "congratulation", 0,
    LIST ("恭喜", "祝贺", "生日快乐", "新年快乐", "节日快乐", "祝你"),
    LIST ("congrat*", "happy birthday", "happy new year", "best wishes", "well deserved"),
    { { "祝贺对方", "听到好消息", "一起庆祝", "为对方高兴" },
      { "to congratulate someone", "to hear good news", "to celebrate together",
        "feels happy for them" } },
  },
  [CUE_ASK_REASON] = {
    "ask-reason", IMPLIES_QUESTION,
    LIST ("为什么", "为啥", "怎么会", "干嘛", "干吗"),
    LIST ("^why", "^how come", "why do", "why does", "why did", "why is", "why are", "why would"),
    { { NULL, "不明白其中的原因", "想知道原因", NULL },
      { NULL, "to not understand something", "to know why", NULL } },
  },
  [CUE_ASK_METHOD] = {
    "ask-method", IMPLIES_QUESTION,
    LIST ("怎么办", "怎么做", "怎么弄", "怎么用", "如何", "怎样"),
    LIST ("^how do", "^how does", "^how did", "^how can", "^how could", "^how should", "how to"),
    { { NULL, "遇到了难题", "想知道该怎么做", NULL },
      { NULL, "to be stuck on something", "to know how to do it", NULL } },
  },
  [CUE_ASK_TIME] = {
    "ask-time", IMPLIES_QUESTION,
    LIST ("什么时候", "几点", "多久", "哪天"),
    LIST ("^when", "what time", "how long"),
    { { NULL, NULL, "想知道时间", NULL },
      { NULL, NULL, "to know when", NULL } },
  },
  [CUE_ASK_PLACE] = {
    "ask-place", IMPLIES_QUESTION,
    LIST ("哪里", "哪儿", "在哪"),
    LIST ("^where"),
    { { NULL, NULL, "想知道在哪里", NULL },
      { NULL, NULL, "to know where", NULL } },
  },
  [CUE_ASK_PERSON] = {
    "ask-person", IMPLIES_QUESTION,
    LIST ("是谁", "谁"),
    LIST ("^who", "^whose"),
    { { NULL, NULL, "想知道是谁", NULL },
      { NULL, NULL, "to know who", NULL } },
  },
  [CUE_QUESTION] = {
    "question", 0,
    LIST ("？", "?", "吗", "什么", "请问", "是不是", "有没有", "会不会", "对不对", "好不好",
          "行不行", "多少", "怎么"),
    LIST ("^what", "^which", "^is", "^are", "^am", "^was", "^were", "^do", "^does", "^did",
          "^can", "^could", "^will", "^would", "^should", "^shall", "^may", "^have", "^has",
          "^anyone", "^any"),
    { { "得到答案", "心里有疑问", "想知道答案", "等待对方回答" },
      { "to get an answer", "to have a question", "to know the answer", "waits for an answer" } },
  },
  [CUE_REQUEST] = {
    "request", 0,
    LIST ("请", "帮我", "帮忙", "麻烦你", "能不能", "可不可以", "可以帮", "给我", "求你", "求求"),
    LIST ("please", "pls", "plz", "could you", "can you", "would you", "help me", "give me",
          "let me know", "i need", "do me a favor"),
    { { "请对方帮忙", "需要别人的帮助", "把事情办成", "等待对方答应" },
      { "to get help", "to need something done", "to get it done", "waits for a yes" } },
  },
  [CUE_INVITATION] = {
    "invitation", 0,
    LIST ("一起", "要不要", "走吧", "来吧", "咱们", "约吗", "约个", "出来玩", "去不去", "来不来",
          "邀请"),
    LIST ("let's", "lets", "shall we", "wanna", "join me", "join us", "come with",
          "how about we", "why don't we", "hang out"),
    { { "邀请对方", "有一个计划", "一起做点什么", "等对方答应" },
      { "to invite someone", "to have a plan", "to do something together",
        "waits for an answer" } },
  },
  [CUE_AGREEMENT] = {
    "agreement", 0,
    LIST ("好的", "好吧", "好哒", "好嘞", "嗯嗯", "行啊", "行吧", "没问题", "同意", "当然",
          "收到", "可以啊", "就这么定了"),
    LIST ("^ok", "^okay", "^sure", "^yes", "^yeah", "^yep", "^yup", "^alright", "^deal",
          "agreed", "sounds good", "of course", "no problem"),
    { { "表示同意", "听到对方的提议", "照着做", "达成一致" },
      { "to agree", "to hear a proposal", "to go along with it", "reaches an agreement" } },
  },
  [CUE_REFUSAL] = {
    "refusal", 0,
    LIST ("不要", "不行", "不用了", "算了", "不想", "拒绝", "没空", "不去"),
    LIST ("^no", "^nope", "^nah", "no thanks", "not now", "i can't", "i cannot", "i won't",
          "i don't want", "rather not"),
    { { "拒绝对方", "有拒绝的理由", "不去做这件事", "回绝了" },
      { "to say no", "to have a reason to refuse", "to avoid doing it", "turns it down" } },
  },
  [CUE_COMPLAINT] = {
    "complaint", 0,
    LIST ("烦死", "好烦", "真烦", "烦人", "心烦", "烦躁", "讨厌", "受不了", "气死", "累死",
          "无语", "郁闷", "凭什么", "倒霉", "崩溃", "吐槽", "服了", "😡", "😤"),
    LIST ("annoying", "annoyed", "hate", "sick of", "tired of", "fed up", "ugh", "terrible",
          "awful", "unfair", "worst", "sucks"),
    { { "抱怨一下", "遇到了不顺心的事", "得到理解", "感到烦躁" },
      { "to complain", "to have had a bad experience", "to be understood",
        "feels frustrated" } },
  },
  [CUE_DISTRESS] = {
    "distress", 0,
    LIST ("难过", "伤心", "想哭", "哭了", "好累", "心累", "孤单", "孤独", "失恋", "心碎",
          "委屈", "好惨", "😭", "😢", "💔"),
    LIST ("sad", "upset", "depressed", "lonely", "crying", "cried", "heartbroken", "miserable",
          "exhausted"),
    { { "寻求安慰", "经历了难过的事", "得到安慰", "情绪低落" },
      { "to seek comfort", "to have had a hard time", "to be comforted", "feels down" } },
  },
  [CUE_JOKE] = {
    "joke", 0,
    LIST ("哈哈", "嘿嘿", "嘻嘻", "笑死", "开玩笑", "逗你", "搞笑", "段子", "好笑", "😂", "🤣",
          "😆"),
    LIST ("haha*", "hehe*", "lol", "lmao", "rofl", "kidding", "joking", "just a joke", "funny",
          "xd", "233*"),
    { { "逗对方开心", "想到好笑的事", "一起乐一乐", "笑了" },
      { "to make someone laugh", "to think of something funny", "to share a laugh",
        "laughs" } },
  },
  [CUE_PRAISE] = {
    "praise", 0,
    LIST ("厉害", "真棒", "好棒", "太棒", "很棒", "牛逼", "真牛", "太牛", "赞", "优秀", "佩服",
          "漂亮", "好看", "👍"),
    LIST ("great", "awesome", "amazing", "well done", "good job", "cool", "nice", "brilliant",
          "impressive", "beautiful", "666*"),
    { { "称赞对方", "看到了出色的表现", "鼓励对方", "感到佩服" },
      { "to praise someone", "to see something good", "to encourage them", "feels impressed" } },
  },
  [CUE_AFFECTION] = {
    "affection", 0,
    LIST ("爱你", "想你", "抱抱", "亲亲", "么么哒", "喜欢你", "宝贝", "❤", "😘", "🥰"),
    LIST ("love you", "love u", "miss you", "hug*", "xoxo", "kiss*"),
    { { "表达爱意", "在乎对方", "和对方更亲近", "心里暖暖的" },
      { "to show affection", "to care about someone", "to be close to them",
        "feels warm inside" } },
  },
  [CUE_SURPRISE] = {
    "surprise", 0,
    LIST ("哇", "天哪", "天啊", "真的假的", "不会吧", "卧槽", "竟然", "居然", "没想到", "😮",
          "😱"),
    LIST ("wow", "whoa", "omg", "oh my god", "no way", "^really", "what the", "unbelievable"),
    { { "表达惊讶", "听到意外的消息", "了解更多", "感到惊讶" },
      { "to express surprise", "to hear something unexpected", "to find out more",
        "is surprised" } },
  },
  [CUE_STATEMENT] = {
    "statement", 0, NULL, NULL,
    { { "分享自己的想法", "有话想说", "得到回应", "等待回复" },
      { "to share a thought", "to have something to say", "to get a reply",
        "waits for a reply" } },
  },
};

/* xWant and xEffect for each DUTIR category, 好 乐 哀 怒 惧 恶 惊 */
static const char *const emotion_phrases[EIGML_EMOTION_N_CATEGORIES][N_LANGUAGES][2] = {
  { { "表达喜爱", "心生好感" }, { "to show their liking", "feels fond of it" } },
  { { "分享快乐", "感到开心" }, { "to share the joy", "feels happy" } },
  { { "得到安慰", "感到难过" }, { "to be comforted", "feels sad" } },
  { { "发泄怒气", "感到生气" }, { "to let off steam", "feels angry" } },
  { { "获得安全感", "感到害怕" }, { "to feel safe", "feels scared" } },
  { { "远离讨厌的东西", "感到厌恶" }, { "to stay away from it", "feels disgusted" } },
  { { "弄清楚发生了什么", "感到惊讶" }, { "to find out what happened", "is surprised" } },
};

static const char *const negation_words[] = {
  "not", "no", "never", "don't", "dont", "doesn't", "didn't", "isn't", "wasn't", "aren't",
  "won't", "can't", "cannot", NULL,
};
static const char *const negation_chars[] = { "不", "没", "别", NULL };

G_STATIC_ASSERT (G_N_ELEMENTS (rules) <= 32);

typedef struct
{
  gsize start, end;     /* bytes of the text */
  char *word;           /* lowercased, "’" as "'" */
} Word;

typedef struct
{
  gsize start, end;
  guint cue;
} Match;

static void
word_clear (gpointer data)
{
  g_free (((Word *) data)->word);
}

static gboolean
is_word_char (gunichar c)
{
  return (c < 0x80 && (g_ascii_isalnum ((char) c) || c == '\'')) || c == 0x2019;
}

/* The ASCII words of @text; *@n_han counts its Han characters. */
static GArray *
split_words (const char *text,
             guint *n_han)
{
  GArray *words = g_array_new (FALSE, FALSE, sizeof (Word));
  GString *current = NULL;
  gsize start = 0;

  g_array_set_clear_func (words, word_clear);
  *n_han = 0;
  for (const char *p = text;; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c != 0 && is_word_char (c))
        {
          if (current == NULL)
            {
              current = g_string_new (NULL);
              start = (gsize) (p - text);
            }
          g_string_append_c (current, c == 0x2019 ? '\'' : g_ascii_tolower ((char) c));
          continue;
        }
      if (current != NULL)
        {
          Word w = { start, (gsize) (p - text), g_string_free (current, FALSE) };

          g_array_append_val (words, w);
          current = NULL;
        }
      if (c == 0)
        break;
      if (g_unichar_get_script (c) == G_UNICODE_SCRIPT_HAN)
        (*n_han)++;
    }
  return words;
}

/* Pattern word @pw (@pn bytes, maybe ending in '*') against @word. */
static gboolean
word_matches (const char *pw,
              gsize pn,
              const char *word)
{
  if (pn > 0 && pw[pn - 1] == '*')
    return strncmp (word, pw, pn - 1) == 0;
  return strlen (word) == pn && strncmp (word, pw, pn) == 0;
}

/* Whether @pattern matches the words from @i; *@last is its last word. */
static gboolean
pattern_matches_at (const char *pattern,
                    GArray *words,
                    guint i,
                    guint *last)
{
  const char *p = pattern;
  guint k = i;

  if (*p == '^')
    {
      if (i != 0)
        return FALSE;
      p++;
    }
  while (*p != '\0')
    {
      const char *space = strchr (p, ' ');
      gsize len = space ? (gsize) (space - p) : strlen (p);

      if (k >= words->len || !word_matches (p, len, g_array_index (words, Word, k).word))
        return FALSE;
      k++;
      p += len;
      if (*p == ' ')
        p++;
    }
  *last = k - 1;
  return k > i;
}

static gboolean
after_negation_char (const char *text,
                     const char *at)
{
  const char *prev = g_utf8_find_prev_char (text, at);

  if (prev == NULL)
    return FALSE;
  for (guint i = 0; negation_chars[i] != NULL; i++)
    if ((gsize) (at - prev) == strlen (negation_chars[i]) &&
        strncmp (prev, negation_chars[i], at - prev) == 0)
      return TRUE;
  return FALSE;
}

static void
find_substrings (const char *text,
                 guint cue,
                 GArray *matches)
{
  const char *const *list = rules[cue].substrings;

  for (guint s = 0; list != NULL && list[s] != NULL; s++)
    {
      gsize len = strlen (list[s]);
      /* punctuation ("？") is never negated */
      gboolean negatable = g_unichar_isalnum (g_utf8_get_char (list[s]));

      for (const char *hit = strstr (text, list[s]); hit != NULL;
           hit = strstr (g_utf8_next_char (hit), list[s]))
        {
          Match m = { (gsize) (hit - text), (gsize) (hit - text) + len, cue };

          if (!(negatable && after_negation_char (text, hit)))
            g_array_append_val (matches, m);
        }
    }
}

static void
find_words (GArray *words,
            guint cue,
            GArray *matches)
{
  const char *const *list = rules[cue].words;

  for (guint s = 0; list != NULL && list[s] != NULL; s++)
    for (guint i = 0; i < words->len; i++)
      {
        guint last;

        if (!pattern_matches_at (list[s], words, i, &last))
          continue;
        if (i > 0 && g_strv_contains (negation_words, g_array_index (words, Word, i - 1).word))
          continue;
        {
          Match m = { g_array_index (words, Word, i).start,
                      g_array_index (words, Word, last).end, cue };

          g_array_append_val (matches, m);
        }
      }
}

static int
compare_matches (gconstpointer a,
                 gconstpointer b)
{
  const Match *x = a, *y = b;
  gsize lx = x->end - x->start, ly = y->end - y->start;

  if (lx != ly)
    return lx > ly ? -1 : 1;
  if (x->start != y->start)
    return x->start < y->start ? -1 : 1;
  return (int) x->cue - (int) y->cue;
}

guint32
eigml_intent_fallback_detect (const char *text,
                              EigmlFallbackLanguage *language)
{
  g_autoptr (GArray) words = NULL;
  g_autoptr (GArray) matches = g_array_new (FALSE, FALSE, sizeof (Match));
  g_autoptr (GArray) taken = g_array_new (FALSE, FALSE, sizeof (Match));
  guint n_han, n_latin = 0;
  guint32 cues = 0;

  g_return_val_if_fail (text != NULL, 0);

  words = split_words (text, &n_han);
  for (guint i = 0; i < words->len; i++)
    {
      const char *w = g_array_index (words, Word, i).word;

      for (; *w != '\0' && !g_ascii_isalpha (*w); w++)
        ;
      n_latin += *w != '\0';
    }
  if (language != NULL)
    *language = n_han == 0 && n_latin == 0 ? EIGML_FALLBACK_LANGUAGE_UNKNOWN
                : n_han >= n_latin        ? EIGML_FALLBACK_LANGUAGE_ZH
                                          : EIGML_FALLBACK_LANGUAGE_EN;
  for (guint cue = 0; cue < N_CUES; cue++)
    {
      find_substrings (text, cue, matches);
      find_words (words, cue, matches);
    }
  g_array_sort (matches, compare_matches);
  for (guint i = 0; i < matches->len; i++)
    {
      const Match *m = &g_array_index (matches, Match, i);
      gboolean overlaps = FALSE;

      for (guint k = 0; k < taken->len && !overlaps; k++)
        {
          const Match *t = &g_array_index (taken, Match, k);

          overlaps = m->start < t->end && t->start < m->end;
        }
      if (overlaps)
        continue;
      g_array_append_val (taken, *m);
      cues |= 1u << m->cue;
      if (rules[m->cue].flags & IMPLIES_QUESTION)
        cues |= 1u << CUE_QUESTION;
    }
  return cues;
}

guint
eigml_intent_fallback_get_n_cues (void)
{
  return N_CUES;
}

const char *
eigml_intent_fallback_cue_name (guint cue)
{
  g_return_val_if_fail (cue < N_CUES, NULL);
  return rules[cue].name;
}

static gboolean
is_blank (const char *text)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    if (!g_unichar_isspace (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}

static void
add_phrase (GPtrArray *list,
            const char *phrase,
            guint limit)
{
  if (phrase == NULL || list->len >= limit)
    return;
  for (guint i = 0; i < list->len; i++)
    if (strcmp (g_ptr_array_index (list, i), phrase) == 0)
      return;
  g_ptr_array_add (list, g_strdup (phrase));
}

void
eigml_intent_fallback_infer (const char * const *turns,
                             int emotion,
                             char **out[EIGML_INTENTS_N_RELATIONS])
{
  g_autofree char *last = NULL;
  EigmlFallbackLanguage language = EIGML_FALLBACK_LANGUAGE_UNKNOWN;
  guint n = turns != NULL ? g_strv_length ((char **) turns) : 0;
  guint32 cues = 0;
  int lang;

  g_return_if_fail (emotion >= -1 && emotion < EIGML_EMOTION_N_CATEGORIES);

  /* the last turn with text; invalid UTF-8 is repaired, not refused */
  for (guint i = n; i-- > 0;)
    {
      g_autofree char *text = g_utf8_make_valid (turns[i], -1);

      if (is_blank (text))
        continue;
      if (last == NULL)
        {
          last = g_steal_pointer (&text);
          cues = eigml_intent_fallback_detect (last, &language);
          if (cues == 0)
            cues = 1u << CUE_STATEMENT;
        }
      else
        eigml_intent_fallback_detect (text, &language);
      if (language != EIGML_FALLBACK_LANGUAGE_UNKNOWN)
        break;
    }
  /* StickerChat and DSTC10-MOD are Chinese: the language when none shows */
  lang = language == EIGML_FALLBACK_LANGUAGE_EN ? EN : ZH;
  for (guint r = 0; r < EIGML_INTENTS_N_RELATIONS; r++)
    {
      g_autoptr (GPtrArray) list = g_ptr_array_new ();

      for (guint cue = 0; cue < N_CUES; cue++)
        if (cues & (1u << cue))
          add_phrase (list, rules[cue].phrases[lang][r], EIGML_FALLBACK_MAX_STRINGS - 1);
      if (emotion >= 0 && (r == XWANT || r == XEFFECT))
        add_phrase (list, emotion_phrases[emotion][lang][r == XWANT ? 0 : 1],
                    EIGML_FALLBACK_MAX_STRINGS);
      g_ptr_array_add (list, NULL);
      out[r] = (char **) g_ptr_array_steal (list, NULL);
    }
}
