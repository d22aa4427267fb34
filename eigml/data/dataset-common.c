/* dataset-common.c: the seeded generator behind candidate order, the
 * StickerChat text clean-up and skip-bad bookkeeping
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "dataset-private.h"

const char *const eigml_emotion_names[EIGML_EMOTION_N_CATEGORIES] = {
  "好", "乐", "哀", "怒", "惧", "恶", "惊",
};

const char *const eigml_intent_relations[EIGML_INTENT_N_RELATIONS] = {
  "xIntent", "xNeed", "xWant", "xEffect",
};

#define GOLDEN_GAMMA G_GUINT64_CONSTANT (0x9e3779b97f4a7c15)

/* splitmix64's output function, a bijection of 64-bit words */
static guint64
mix64 (guint64 z)
{
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

/* One generator per (seed, example index), so an example's candidates do
 * not depend on which examples were read before it, or by which thread. */
void
eigml_random_init (EigmlRandom *rng,
                   guint64 seed,
                   guint64 index)
{
  rng->state = mix64 (seed ^ mix64 (index + GOLDEN_GAMMA));
}

guint64
eigml_random_next (EigmlRandom *rng)
{
  rng->state += GOLDEN_GAMMA;
  return mix64 (rng->state);
}

/* Uniform in [0, n) without modulo bias: draws below 2^64 mod n are
 * redrawn, so the accepted range is a whole multiple of n. */
guint64
eigml_random_below (EigmlRandom *rng,
                    guint64 n)
{
  guint64 threshold, r;

  g_assert (n > 0);
  threshold = (0 - n) % n;
  do
    r = eigml_random_next (rng);
  while (r < threshold);
  return r % n;
}

/* Draws min(k, others) distinct indices of [0, n_universe) other than
 * @exclude, in draw order: each draw is uniform over the whole universe
 * and redrawn when it is @exclude or already drawn. When the universe has
 * no more than k others, all of them are taken in index order. Returns
 * how many were written to @out. */
guint
eigml_random_pick_others (EigmlRandom *rng,
                          guint n_universe,
                          guint exclude,
                          guint k,
                          guint *out)
{
  guint others = n_universe - (exclude < n_universe ? 1 : 0);
  g_autofree guint8 *taken = NULL;
  guint n = 0;

  if (others <= k)
    {
      for (guint i = 0; i < n_universe; i++)
        if (i != exclude)
          out[n++] = i;
      return n;
    }
  taken = g_malloc0 (n_universe / 8 + 1);
  while (n < k)
    {
      guint i = (guint) eigml_random_below (rng, n_universe);

      if (i == exclude || (taken[i / 8] & (1u << (i % 8))) != 0)
        continue;
      taken[i / 8] |= (guint8) (1u << (i % 8));
      out[n++] = i;
    }
  return n;
}

/* StickerChat's text is word-segmented with spaces. A run of spaces
 * (U+0020) is dropped when the characters on both sides of it are
 * non-ASCII (Chinese, full-width punctuation, emoji), and kept otherwise,
 * so "我 喜欢 你" becomes "我喜欢你" and "I like 你" keeps its spaces.
 * @text is valid UTF-8, so a byte >= 0x80 belongs to a non-ASCII
 * character. */
char *
eigml_dataset_join_cjk (const char *text)
{
  gsize len = strlen (text);
  char *out = g_malloc (len + 1);
  gsize n = 0;

  for (gsize i = 0; i < len;)
    {
      gsize end = i;

      if (text[i] != ' ')
        {
          out[n++] = text[i++];
          continue;
        }
      while (end < len && text[end] == ' ')
        end++;
      if (!(n > 0 && (guchar) out[n - 1] >= 0x80 && end < len && (guchar) text[end] >= 0x80))
        {
          memcpy (out + n, text + i, end - i);
          n += end - i;
        }
      i = end;
    }
  out[n] = '\0';
  return out;
}

/* A bad record: with skip-bad, counts it, keeps its message and returns
 * TRUE (go on); otherwise passes @reason on and returns FALSE. */
gboolean
eigml_dataset_core_reject (EigmlDatasetCore *core,
                           GError *reason,
                           GError **error)
{
  if (!core->skip_bad)
    {
      g_propagate_error (error, reason);
      return FALSE;
    }
  core->n_skipped++;
  if (core->messages->len < EIGML_DATASET_MAX_MESSAGES)
    g_ptr_array_add (core->messages, g_strdup (reason->message));
  g_debug ("skipped: %s", reason->message);
  g_error_free (reason);
  return TRUE;
}
