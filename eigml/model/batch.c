/* batch.c: a batch's host arrays into a model pass's inputs
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "model-build.h"
#include "eigml-error.h"

#include <string.h>

void
eigml_model_batch_init (EigmlModelBatch *b,
                        gint64 B,
                        gint64 C,
                        gint64 T,
                        gint64 Tk,
                        guint n_emotions)
{
  gint64 R = EIGML_N_RELATIONS;

  memset (b, 0, sizeof *b);
  b->batch = B;
  b->n_candidates = C;
  b->max_len = T;
  b->knowledge_len = Tk;
  b->text_ids = g_new0 (gint32, B * T);
  b->text_types = g_new0 (gint32, B * T);
  b->text_mask = g_new0 (float, B * T);
  b->know_ids = g_new0 (gint32, B * R * Tk);
  b->know_types = g_new0 (gint32, B * R * Tk);
  b->know_mask = g_new0 (float, B * R * Tk);
  b->labels = g_new0 (float, B * C);
  b->positive = g_new0 (gint32, B);
  b->emo_dist = g_new0 (float, B * n_emotions);
}

void
eigml_model_batch_clear (EigmlModelBatch *b)
{
  g_clear_pointer (&b->text_ids, g_free);
  g_clear_pointer (&b->text_types, g_free);
  g_clear_pointer (&b->text_mask, g_free);
  g_clear_pointer (&b->know_ids, g_free);
  g_clear_pointer (&b->know_types, g_free);
  g_clear_pointer (&b->know_mask, g_free);
  g_clear_object (&b->patches);
  g_clear_pointer (&b->features, g_free);
  g_clear_pointer (&b->labels, g_free);
  g_clear_pointer (&b->positive, g_free);
  g_clear_pointer (&b->emo_dist, g_free);
}

/* The label of a distribution: its first maximum in category order, or
 * @n_emotions ("no emotion") when it is all zero. */
gint32
eigml_emotion_label (const float *dist,
                     guint n_emotions,
                     float *has_emo)
{
  gint32 best = -1;
  float best_v = 0.0f;

  for (guint c = 0; dist != NULL && c < n_emotions; c++)
    if (dist[c] > best_v)
      {
        best_v = dist[c];
        best = (gint32) c;
      }
  if (has_emo != NULL)
    *has_emo = best >= 0 ? 1.0f : 0.0f;
  return best >= 0 ? best : (gint32) n_emotions;
}

gboolean
eigml_model_graph_set_batch (EigmlGraph *g,
                             const EigmlModelGraph *mg,
                             const EigmlModelBatch *b,
                             guint n_emotions,
                             GError **error)
{
  gint64 B = mg->batch, C = mg->n_candidates, N = B * C;
  g_autofree gint32 *label = g_new (gint32, B);
  g_autofree float *has = g_new (float, B);
  g_autofree float *select = NULL;
  g_autofree gint32 *pos_index = NULL, *diag = NULL;

  if (b->batch != B || b->n_candidates != C)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE,
                   "batch of %" G_GINT64_FORMAT " x %" G_GINT64_FORMAT " for a pass built for %"
                   G_GINT64_FORMAT " x %" G_GINT64_FORMAT, b->batch, b->n_candidates, B, C);
      return FALSE;
    }
  if (!eigml_graph_set_input_ints (g, mg->text_ids, b->text_ids, B * b->max_len, error) ||
      !eigml_graph_set_input_ints (g, mg->text_types, b->text_types, B * b->max_len, error) ||
      !eigml_graph_set_input_floats (g, mg->text_mask, b->text_mask, B * b->max_len, error))
    return FALSE;
  if (mg->vision_features != NULL)
    {
      if (b->features == NULL)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                       "the pass takes vision features and the batch has none");
          return FALSE;
        }
      if (!eigml_graph_set_input_floats (g, mg->vision_features, b->features,
                                         eigml_node_nbytes (mg->vision_features) / sizeof (float),
                                         error))
        return FALSE;
    }
  else if (!eigml_graph_set_input_tensor (g, mg->patches, b->patches, error))
    return FALSE;
  if (mg->know_ids != NULL)
    {
      gsize n = (gsize) B * EIGML_N_RELATIONS * b->knowledge_len;

      if (b->know_ids == NULL)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                       "the model uses intention knowledge but the batch has none");
          return FALSE;
        }
      if (!eigml_graph_set_input_ints (g, mg->know_ids, b->know_ids, n, error) ||
          !eigml_graph_set_input_ints (g, mg->know_types, b->know_types, n, error) ||
          !eigml_graph_set_input_floats (g, mg->know_mask, b->know_mask, n, error))
        return FALSE;
    }
  for (gint64 i = 0; i < B; i++)
    label[i] = eigml_emotion_label (b->emo_dist ? b->emo_dist + i * n_emotions : NULL,
                                    n_emotions, &has[i]);
  if (mg->emo_label != NULL && !eigml_graph_set_input_ints (g, mg->emo_label, label, B, error))
    return FALSE;
  if (mg->emo_dist != NULL)
    {
      g_autofree float *zeros = b->emo_dist ? NULL : g_new0 (float, B * n_emotions);

      if (!eigml_graph_set_input_floats (g, mg->emo_dist, b->emo_dist ? b->emo_dist : zeros,
                                         B * n_emotions, error) ||
          !eigml_graph_set_input_floats (g, mg->has_emo, has, B, error))
        return FALSE;
    }
  if (mg->labels == NULL)
    return TRUE;

  select = g_new0 (float, B * N);
  pos_index = g_new (gint32, B);
  diag = g_new (gint32, B);
  for (gint64 i = 0; i < B; i++)
    {
      if (b->positive[i] < 0 || b->positive[i] >= C)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_OUT_OF_RANGE,
                       "dialogue %" G_GINT64_FORMAT " of the batch: positive %d is not among its %"
                       G_GINT64_FORMAT " candidates", i, b->positive[i], C);
          return FALSE;
        }
      pos_index[i] = (gint32) (i * C + b->positive[i]);
      select[i * N + pos_index[i]] = 1.0f;
      diag[i] = (gint32) i;
    }
  return eigml_graph_set_input_floats (g, mg->labels, b->labels, N, error) &&
         eigml_graph_set_input_floats (g, mg->pos_select, select, B * N, error) &&
         eigml_graph_set_input_ints (g, mg->pos_index, pos_index, B, error) &&
         eigml_graph_set_input_ints (g, mg->diag, diag, B, error);
}
