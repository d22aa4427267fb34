/* batcher.c: dataset examples into the host arrays of a model pass
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "batcher.h"
#include "eigml-error.h"
#include "eigml-tensor-private.h"
#include "data/dataset-private.h"
#include "nn/encoder-private.h"

#include <string.h>

const char *const eigml_relation_names[EIGML_N_RELATIONS] = {
  "xIntent", "xNeed", "xWant", "xEffect",
};

G_STATIC_ASSERT (EIGML_N_RELATIONS == EIGML_INTENTS_N_RELATIONS);

const char *
eigml_batcher_emotion_category (const float *emotion,
                                gsize n_emotion)
{
  guint best = 0;

  if (emotion == NULL || n_emotion != EIGML_EMOTION_N_CATEGORIES)
    return NULL;
  for (guint c = 1; c < EIGML_EMOTION_N_CATEGORIES; c++)
    if (emotion[c] > emotion[best])
      best = c;
  return emotion[best] > 0 ? eigml_emotion_names[best] : NULL;
}

void
eigml_batcher_intents_rows (EigmlIntents *intents,
                            const char *const *rows[EIGML_N_RELATIONS])
{
  for (guint r = 0; r < EIGML_N_RELATIONS; r++)
    rows[r] = intents != NULL ? eigml_intents_get_nth (intents, r) : NULL;
}

static gboolean
encode_text (const EigmlBatcher *self,
             const char *const *turns,
             guint length,
             EigmlTruncation truncation,
             gint32 *ids,
             gint32 *types,
             float *mask,
             GError **error)
{
  g_autofree gint32 *attention = g_new (gint32, length);

  if (!eigml_tokenizer_encode_dialogue_into (self->tokenizer, turns, NULL, length, truncation,
                                             ids, types, attention, error))
    return FALSE;
  for (guint k = 0; k < length; k++)
    mask[k] = attention[k] ? 0.0f : -10000.0f;
  return TRUE;
}

/* one relation's knowledge as one text: its inferences joined by "; " */
static gboolean
encode_knowledge (const EigmlBatcher *self,
                  const char *const *strings,
                  gint32 *ids,
                  gint32 *types,
                  float *mask,
                  GError **error)
{
  g_autofree char *joined = strings ? g_strjoinv ("; ", (char **) strings) : g_strdup ("");
  const char *turns[2] = { joined, NULL };

  return encode_text (self, turns, self->config->knowledge_len, EIGML_TRUNCATION_KEEP_BEGINNING,
                      ids, types, mask, error);
}

static void
alloc_batch (const EigmlBatcher *self,
             gint64 B,
             gint64 C,
             EigmlModelBatch *out)
{
  const EigmlModelConfig *c = self->config;

  eigml_model_batch_init (out, B, C, c->max_len, c->knowledge_len, c->n_emotions);
}

/* [N, 3, S, S] pixels of @paths (NULL: grey 127) -> patches */
static EigmlTensor *
load_patches (const EigmlBatcher *self,
              const char *const *paths,
              const guint64 *crop_index,
              guint n,
              guint64 epoch,
              GError **error)
{
  guint S = self->config->vision->image_size;
  gsize plane = (gsize) S * S, image = 3 * plane;
  g_autoptr (GPtrArray) real = g_ptr_array_new ();
  g_autoptr (GArray) real_index = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_autoptr (EigmlTensor) loaded = NULL, pixels = NULL;
  g_autofree float *all = g_new (float, (gsize) n * image);
  const float *mean = eigml_image_processor_get_mean (self->images, NULL);
  const float *std = eigml_image_processor_get_std (self->images, NULL);
  g_autofree float *src = NULL;
  gint64 shape[4] = { n, 3, S, S };
  guint r = 0;

  for (guint i = 0; i < n; i++)
    if (paths[i] != NULL)
      {
        g_ptr_array_add (real, (gpointer) paths[i]);
        g_array_append_val (real_index, crop_index[i]);
      }
  if (real->len > 0)
    {
      gsize n_src = 0;

      loaded = eigml_image_processor_load_batch (self->images, (const char *const *) real->pdata,
                                                 real->len, (const guint64 *) real_index->data,
                                                 real_index->len, epoch, error);
      if (loaded == NULL)
        return NULL;
      src = eigml_tensor_dup_floats (loaded, &n_src, error);
      if (src == NULL)
        return NULL;
    }
  for (guint i = 0; i < n; i++)
    {
      float *dst = all + (gsize) i * image;

      if (paths[i] != NULL)
        {
          memcpy (dst, src + (gsize) r * image, image * sizeof (float));
          r++;
          continue;
        }
      for (guint ch = 0; ch < 3; ch++)
        {
          float v = (127.0f / 255.0f - mean[ch]) / std[ch];
          for (gsize k = 0; k < plane; k++)
            dst[ch * plane + k] = v;
        }
    }
  pixels = eigml_tensor_new_from_floats (shape, 4, all, (gsize) n * image, error);
  if (pixels == NULL)
    return NULL;
  return eigml_image_patchify (pixels, self->config->vision->patch_size, error);
}

gboolean
eigml_batcher_annotate (EigmlEmotionAnnotator *annotator,
                        const char *const *turns,
                        float *dist,
                        guint n_emotions,
                        GError **error)
{
  g_autoptr (EigmlEmotionResult) r = NULL;
  const float *d;
  gsize n = 0;

  r = eigml_emotion_annotator_annotate_dialogue (annotator, turns, error);
  if (r == NULL)
    return FALSE;
  d = eigml_emotion_result_get_distribution (r, &n);
  if (n != n_emotions)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE,
                   "the annotator gives %" G_GSIZE_FORMAT " emotion categories; the model has %u",
                   n, n_emotions);
      return FALSE;
    }
  memcpy (dist, d, n * sizeof (float));
  return TRUE;
}

gboolean
eigml_batcher_fill (const EigmlBatcher *self,
                    EigmlExample **examples,
                    guint n,
                    const guint64 *indices,
                    guint64 epoch,
                    gint64 n_candidates,
                    EigmlModelBatch *out,
                    GError **error)
{
  const EigmlModelConfig *c = self->config;
  gint64 C = n_candidates, T = c->max_len, Tk = c->knowledge_len, R = EIGML_N_RELATIONS;
  gint64 E = c->n_emotions;
  g_autofree const char **paths = g_new0 (const char *, (gsize) n * C);
  g_autofree guint64 *crop = g_new (guint64, (gsize) n * C);

  alloc_batch (self, n, C, out);
  for (guint i = 0; i < n; i++)
    {
      EigmlExample *ex = examples[i];
      const char *const *turns = eigml_example_get_turn_texts (ex);
      const char *const no_turns[1] = { NULL };
      const char *const *knowledge[EIGML_N_RELATIONS];
      g_autoptr (EigmlIntents) inferred = NULL;
      const float *emotion;
      gsize n_emotion = 0;

      if (eigml_example_get_n_candidates (ex) != (guint) C)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE,
                       "%s:%u: example '%s' has %u candidates; this pass takes %" G_GINT64_FORMAT,
                       eigml_example_get_source_file (ex), eigml_example_get_source_line (ex),
                       eigml_example_get_id (ex), eigml_example_get_n_candidates (ex), C);
          goto fail;
        }
      if (!encode_text (self, turns ? turns : no_turns, (guint) T, self->truncation,
                        out->text_ids + i * T, out->text_types + i * T, out->text_mask + i * T,
                        error))
        goto fail_at;
      if (self->annotator != NULL)
        {
          /* e_t from the annotator on the turns, not the dataset's field */
          if (!eigml_batcher_annotate (self->annotator, turns ? turns : no_turns,
                                       out->emo_dist + i * E, (guint) E, error))
            goto fail_at;
          emotion = out->emo_dist + i * E;
          n_emotion = (gsize) E;
        }
      else
        emotion = eigml_example_get_emotion (ex, &n_emotion);
      /* knowledge from the dataset (its file or intent sidecar) first */
      if (self->intent_source != NULL && !eigml_example_has_intents (ex))
        {
          inferred = eigml_intent_source_infer (self->intent_source, turns,
                                                eigml_batcher_emotion_category (emotion,
                                                                                n_emotion),
                                                eigml_example_get_id (ex), error);
          if (inferred == NULL)
            goto fail_at;
          eigml_batcher_intents_rows (inferred, knowledge);
        }
      else
        for (gint64 r = 0; r < R; r++)
          knowledge[r] = eigml_example_get_intents (ex, eigml_relation_names[r]);
      for (gint64 r = 0; r < R; r++)
        {
          gint64 row = (i * R + r) * Tk;

          if (!encode_knowledge (self, knowledge[r], out->know_ids + row, out->know_types + row,
                                 out->know_mask + row, error))
            goto fail_at;
        }
      if (emotion != NULL)
        {
          if (n_emotion != (gsize) E)
            {
              g_set_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE,
                           "%s:%u: example '%s' has an emotion distribution of %" G_GSIZE_FORMAT
                           " values; the model has %" G_GINT64_FORMAT " categories",
                           eigml_example_get_source_file (ex), eigml_example_get_source_line (ex),
                           eigml_example_get_id (ex), n_emotion, E);
              goto fail;
            }
          if (emotion != out->emo_dist + i * E)
            memcpy (out->emo_dist + i * E, emotion, E * sizeof (float));
        }
      out->positive[i] = (gint32) eigml_example_get_positive (ex);
      out->labels[i * C + out->positive[i]] = 1.0f;
      for (gint64 k = 0; k < C; k++)
        {
          paths[i * C + k] = eigml_example_get_candidate_path (ex, (guint) k);
          crop[i * C + k] = (indices ? indices[i] : i) * (guint64) C + (guint64) k;
        }
      continue;
fail_at:
      g_prefix_error (error, "%s:%u: example '%s': ", eigml_example_get_source_file (ex),
                      eigml_example_get_source_line (ex), eigml_example_get_id (ex));
      goto fail;
    }
  out->patches = load_patches (self, paths, crop, n * (guint) C, epoch, error);
  if (out->patches == NULL)
    goto fail;
  return TRUE;

fail:
  eigml_model_batch_clear (out);
  return FALSE;
}

gboolean
eigml_batcher_fill_dialogue (const EigmlBatcher *self,
                             const char *const *turns,
                             const float *emotion,
                             const char *const *const *intents,
                             const char *const *paths,
                             guint n_paths,
                             EigmlModelBatch *out,
                             GError **error)
{
  const EigmlModelConfig *c = self->config;
  g_autofree guint64 *crop = g_new (guint64, n_paths);

  alloc_batch (self, 1, n_paths, out);
  if (!encode_text (self, turns, c->max_len, self->truncation, out->text_ids, out->text_types,
                    out->text_mask, error))
    goto fail;
  for (guint r = 0; r < EIGML_N_RELATIONS; r++)
    {
      gint64 row = r * c->knowledge_len;

      if (!encode_knowledge (self, intents ? intents[r] : NULL, out->know_ids + row,
                             out->know_types + row, out->know_mask + row, error))
        goto fail;
    }
  if (emotion != NULL)
    memcpy (out->emo_dist, emotion, c->n_emotions * sizeof (float));
  else if (self->annotator != NULL &&
           !eigml_batcher_annotate (self->annotator, turns, out->emo_dist, c->n_emotions, error))
    goto fail;
  for (guint k = 0; k < n_paths; k++)
    crop[k] = k;
  out->patches = load_patches (self, paths, crop, n_paths, 0, error);
  if (out->patches == NULL)
    goto fail;
  return TRUE;

fail:
  eigml_model_batch_clear (out);
  return FALSE;
}

gboolean
eigml_batcher_fill_queries (const EigmlBatcher *self,
                            guint n,
                            const char *const *const *turns,
                            const float *emotion,
                            const char *const *const *const *intents,
                            guint n_candidates,
                            const char *const *paths,
                            float *features,
                            EigmlModelBatch *out,
                            GError **error)
{
  const EigmlModelConfig *c = self->config;
  gint64 T = c->max_len, Tk = c->knowledge_len, E = c->n_emotions;

  alloc_batch (self, n, n_candidates, out);
  out->features = features;
  for (guint b = 0; b < n; b++)
    {
      if (!encode_text (self, turns[b], T, self->truncation, out->text_ids + b * T,
                        out->text_types + b * T, out->text_mask + b * T, error))
        goto fail;
      for (guint r = 0; r < EIGML_N_RELATIONS; r++)
        {
          gint64 row = ((gint64) b * EIGML_N_RELATIONS + r) * Tk;

          if (!encode_knowledge (self, intents && intents[b] ? intents[b][r] : NULL,
                                 out->know_ids + row, out->know_types + row, out->know_mask + row,
                                 error))
            goto fail;
        }
      memcpy (out->emo_dist + b * E, emotion + b * E, E * sizeof (float));
    }
  if (features == NULL)
    {
      gsize N = (gsize) n * n_candidates;
      g_autofree guint64 *crop = g_new (guint64, N);

      for (gsize k = 0; k < N; k++)
        crop[k] = k;
      out->patches = load_patches (self, paths, crop, (guint) N, 0, error);
      if (out->patches == NULL)
        goto fail;
    }
  return TRUE;

fail:
  eigml_model_batch_clear (out);
  return FALSE;
}
