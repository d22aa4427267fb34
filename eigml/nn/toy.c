/* toy.c: a small transformer token classifier and its toy task
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Used by `eigml demo`, by the training test (loss must halve in 30 AdamW
 * steps and agree between backends) and by the bench.
 */
#include "config.h"

#include "nn.h"
#include "engine/philox.h"
#include "eigml-error.h"

gboolean
eigml_toy_model_init (EigmlToyModel *self,
                      EigmlParamStore *store,
                      gint64 vocab,
                      gint64 max_len,
                      guint n_layers,
                      const EigmlTransformerConfig *block,
                      GError **error)
{
  gint64 tok_shape[2] = { vocab, block->hidden };
  gint64 pos_shape[2] = { max_len, block->hidden };

  self->vocab = vocab;
  self->max_len = max_len;
  self->block = *block;
  self->n_layers = n_layers;
  self->tok_embed = eigml_param_store_add (store, "embeddings.word_embeddings.weight", 2,
                                           tok_shape, EIGML_INIT_NORMAL, 0.02f, TRUE, error);
  if (self->tok_embed == NULL)
    return FALSE;
  self->pos_embed = eigml_param_store_add (store, "embeddings.position_embeddings.weight", 2,
                                           pos_shape, EIGML_INIT_NORMAL, 0.02f, TRUE, error);
  if (self->pos_embed == NULL)
    return FALSE;
  if (!eigml_layer_norm_init (&self->ln_embed, store, "embeddings.LayerNorm", block->hidden,
                              block->eps, error))
    return FALSE;
  self->layers = g_new0 (EigmlTransformerBlock, n_layers);
  for (guint i = 0; i < n_layers; i++)
    {
      g_autofree char *prefix = g_strdup_printf ("encoder.layer.%u", i);
      if (!eigml_transformer_block_init (&self->layers[i], store, prefix, block, error))
        return FALSE;
    }
  return eigml_linear_init (&self->head, store, "classifier", block->hidden, vocab, TRUE, 0.02f,
                            error);
}

void
eigml_toy_model_clear (EigmlToyModel *self)
{
  g_clear_pointer (&self->layers, g_free);
}

EigmlNode *
eigml_toy_model_train_graph (EigmlGraph *g,
                             const EigmlToyModel *self,
                             EigmlParamStore *store,
                             gint64 batch,
                             gint64 len,
                             GError **error)
{
  gint64 ids_shape[2] = { batch, len };
  EigmlNode *tokens, *targets, *positions, *x, *logits, *loss;

  if (len > self->max_len)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_SHAPE,
                   "sequence length %" G_GINT64_FORMAT " exceeds the model's %" G_GINT64_FORMAT,
                   len, self->max_len);
      return NULL;
    }
  tokens = eigml_graph_input (g, "tokens", EIGML_DTYPE_I32, 2, ids_shape);
  targets = eigml_graph_input (g, "targets", EIGML_DTYPE_I32, 2, ids_shape);
  positions = eigml_op_slice (g, eigml_graph_param (g, self->pos_embed), 0, 0, len);

  x = eigml_op_add (g, eigml_op_embedding (g, eigml_graph_param (g, self->tok_embed), tokens),
                    positions);
  x = eigml_layer_norm_forward (g, &self->ln_embed, x);
  x = eigml_op_dropout (g, x, self->block.dropout);
  for (guint i = 0; i < self->n_layers; i++)
    x = eigml_transformer_block_forward (g, &self->layers[i], x, NULL, TRUE);
  logits = eigml_linear_forward (g, &self->head, x);
  loss = eigml_op_mean_all (g, eigml_op_cross_entropy (g, logits, targets));
  if (!eigml_graph_backward (g, loss, error))
    return NULL;
  if (!eigml_graph_add_adamw (g, store, error))
    return NULL;
  return loss;
}

void
eigml_toy_model_make_batch (guint64 seed,
                            guint64 step,
                            gint64 vocab,
                            gint64 batch,
                            gint64 len,
                            gint32 *tokens,
                            gint32 *targets)
{
  for (gint64 i = 0; i < batch * len; i++)
    {
      guint32 w = eigml_philox_word (seed, step, 0xda7au, (guint64) i);
      tokens[i] = (gint32) (w % (guint32) vocab);
      targets[i] = (gint32) ((tokens[i] + 1) % vocab);
    }
}

gboolean
eigml_toy_model_train_step (EigmlGraph *g,
                            const EigmlToyModel *self,
                            EigmlNode *loss,
                            const EigmlAdamWConfig *adamw,
                            guint64 seed,
                            guint64 step,
                            float *loss_out,
                            GError **error)
{
  EigmlNode *tokens = eigml_graph_find (g, "tokens");
  EigmlNode *targets = eigml_graph_find (g, "targets");
  gint64 batch, len;
  g_autofree gint32 *tok = NULL, *tgt = NULL;

  if (tokens == NULL || targets == NULL)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "not a graph of eigml_toy_model_train_graph()");
      return FALSE;
    }
  batch = tokens->shape[0];
  len = tokens->shape[1];
  tok = g_new (gint32, batch * len);
  tgt = g_new (gint32, batch * len);
  eigml_toy_model_make_batch (seed, step, self->vocab, batch, len, tok, tgt);
  return eigml_graph_set_input_ints (g, tokens, tok, batch * len, error) &&
         eigml_graph_set_input_ints (g, targets, tgt, batch * len, error) &&
         eigml_graph_set_rng (g, seed, step, error) &&
         eigml_graph_set_adamw_step (g, adamw, adamw->lr, step + 1, error) &&
         eigml_graph_compute (g, error) &&
         eigml_graph_read (g, loss, loss_out, sizeof *loss_out, error);
}
