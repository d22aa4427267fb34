/* checkpoint.c: training checkpoints — the model, its vocabulary, the
 * optimizer's moments and where training stands, written atomically
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A checkpoint is a folder OUTPUT/NAME holding config.json,
 * model.safetensors and vocab.txt (what eigml_model_new_from_checkpoint()
 * and `eigml eval` read) plus, for resuming, optimizer.safetensors
 * ("m.<param>", "v.<param>") and trainer-state.json. It is written into
 * OUTPUT/.NAME.tmp and renamed into place; OUTPUT/latest then names it. A
 * kill at any moment leaves either the old or the new checkpoint whole.
 */
#include "config.h"

#include "trainer-private.h"
#include "eigml-error.h"
#include "eigml-tensor-private.h"
#include "eigml-trainer-private.h"
#include "model/model-private.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#define STATE_FORMAT 1

gboolean
eigml_tokenizer_save_vocab (EigmlTokenizer *tokenizer,
                            const char *path,
                            GError **error)
{
  GString *s = g_string_new (NULL);
  guint n = eigml_tokenizer_get_vocab_size (tokenizer);
  gboolean ok;

  for (guint i = 0; i < n; i++)
    {
      const char *tok = eigml_tokenizer_id_to_token (tokenizer, (gint32) i);
      g_string_append (s, tok ? tok : "[unused]");
      g_string_append_c (s, '\n');
    }
  ok = g_file_set_contents (path, s->str, (gssize) s->len, error);
  g_string_free (s, TRUE);
  return ok;
}

static gboolean
remove_tree (const char *path,
             GError **error)
{
  g_autoptr (GDir) dir = NULL;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      dir = g_dir_open (path, 0, error);
      if (dir == NULL)
        return FALSE;
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          if (!remove_tree (child, error))
            return FALSE;
        }
      if (g_rmdir (path) != 0)
        goto fail;
      return TRUE;
    }
  if (g_unlink (path) == 0)
    return TRUE;
fail:
  {
    int saved = errno;
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "removing %s: %s", path,
                 g_strerror (saved));
  }
  return FALSE;
}

static JsonNode *
state_to_json (const EigmlTrainOptions *o,
               const EigmlTrainState *s)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
#define I(name, v) json_builder_set_member_name (b, name); json_builder_add_int_value (b, (gint64) (v))
#define D(name, v) json_builder_set_member_name (b, name); json_builder_add_double_value (b, (v))
  I ("format", STATE_FORMAT);
  I ("step", s->step);
  I ("epoch", s->epoch);
  I ("micro", s->micro);
  D ("best_map", s->best_map);
  I ("best_step", s->best_step);
  I ("n_train", s->n_train);
  I ("seed", o->seed);
  I ("batch_size", o->batch_size);
  I ("grad_accum", o->grad_accum);
  I ("ranks", MAX (o->n_ranks, 1));
  I ("epochs", o->epochs);
  D ("lr", o->lr);
#define S(name, v) if ((v) != NULL) { json_builder_set_member_name (b, name); json_builder_add_string_value (b, (v)); }
  S ("emotion_source", s->emotion_source);
  S ("intent_source", s->intent_source);
#undef S
#undef I
#undef D
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static gboolean
write_optimizer (EigmlModel *model,
                 const char *path,
                 GError **error)
{
  EigmlParamStore *store = eigml_model_get_store (model);
  g_autoptr (EigmlWeights) w = eigml_weights_new ();
  GPtrArray *params = eigml_param_store_get_params (store);

  if (!eigml_param_store_ensure_optimizer_state (store, error))
    return FALSE;
  for (guint i = 0; i < params->len; i++)
    {
      EigmlParam *p = g_ptr_array_index (params, i);

      for (guint k = 0; k < 2; k++)
        {
          g_autofree float *data = eigml_param_dup (p, k ? EIGML_LEAF_PARAM_V : EIGML_LEAF_PARAM_M,
                                                    error);
          g_autofree char *name = g_strconcat (k ? "v." : "m.", p->name, NULL);
          g_autoptr (EigmlTensor) t = NULL;

          if (data == NULL ||
              (t = eigml_tensor_new_from_floats (p->shape, p->n_dims, data, p->n_elements,
                                                 error)) == NULL)
            return FALSE;
          eigml_weights_insert (w, name, t);
        }
    }
  return eigml_weights_save_safetensors (w, path, error);
}

gboolean
eigml_checkpoint_save (const char *output_dir,
                       const char *name,
                       EigmlModel *model,
                       EigmlTokenizer *tokenizer,
                       gboolean with_optimizer,
                       const EigmlTrainOptions *options,
                       const EigmlTrainState *state,
                       GError **error)
{
  g_autofree char *tmp_name = g_strconcat (".", name, ".tmp", NULL);
  g_autofree char *tmp = g_build_filename (output_dir, tmp_name, NULL);
  g_autofree char *final = g_build_filename (output_dir, name, NULL);
  g_autofree char *old_name = g_strconcat (".", name, ".old", NULL);
  g_autofree char *old = g_build_filename (output_dir, old_name, NULL);
  g_autofree char *vocab = g_build_filename (tmp, "vocab.txt", NULL);
  g_autofree char *state_path = g_build_filename (tmp, "trainer-state.json", NULL);
  g_autofree char *opt_path = g_build_filename (tmp, "optimizer.safetensors", NULL);
  g_autofree char *latest = g_build_filename (output_dir, "latest", NULL);
  g_autoptr (JsonNode) root = state_to_json (options, state);
  g_autofree char *json = json_to_string (root, TRUE);

  if (!remove_tree (tmp, error) || !eigml_model_save (model, tmp, error) ||
      !eigml_tokenizer_save_vocab (tokenizer, vocab, error) ||
      !g_file_set_contents (state_path, json, -1, error) ||
      (with_optimizer && !write_optimizer (model, opt_path, error)))
    {
      g_prefix_error (error, "checkpoint %s: ", final);
      return FALSE;
    }
  /* the old copy moves aside, the new one in, then the old one goes */
  if (!remove_tree (old, error))
    return FALSE;
  if (g_file_test (final, G_FILE_TEST_EXISTS) && g_rename (final, old) != 0)
    goto fail;
  if (g_rename (tmp, final) != 0)
    goto fail;
  if (!remove_tree (old, error))
    return FALSE;
  if (with_optimizer && !g_file_set_contents (latest, name, -1, error))
    return FALSE;
  return TRUE;

fail:
  {
    int saved = errno;
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "checkpoint %s: %s", final,
                 g_strerror (saved));
  }
  return FALSE;
}

gboolean
eigml_checkpoint_find_latest (const char *output_dir,
                              char **path,
                              GError **error)
{
  g_autofree char *latest = g_build_filename (output_dir, "latest", NULL);
  g_autofree char *name = NULL;

  *path = NULL;
  if (!g_file_test (latest, G_FILE_TEST_EXISTS))
    return FALSE;
  if (!g_file_get_contents (latest, &name, NULL, error))
    return FALSE;
  g_strstrip (name);
  if (*name == '\0' || strchr (name, '/') != NULL || name[0] == '.')
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: expected the name of a checkpoint folder, got \"%s\"", latest, name);
      return FALSE;
    }
  *path = g_build_filename (output_dir, name, NULL);
  return TRUE;
}

static gboolean
state_uint (JsonObject *obj,
            const char *path,
            const char *member,
            guint64 *out,
            GError **error)
{
  JsonNode *n = json_object_get_member (obj, member);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64 ||
      json_node_get_int (n) < 0)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                   "%s: \"%s\" must be a non-negative integer", path, member);
      return FALSE;
    }
  *out = (guint64) json_node_get_int (n);
  return TRUE;
}

gboolean
eigml_checkpoint_restore (const char *path,
                          EigmlModel *model,
                          EigmlTrainOptions *options,
                          EigmlTrainState *state,
                          GError **error)
{
  g_autofree char *state_path = g_build_filename (path, "trainer-state.json", NULL);
  g_autofree char *weights_path = g_build_filename (path, "model.safetensors", NULL);
  g_autofree char *opt_path = g_build_filename (path, "optimizer.safetensors", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (EigmlWeights) weights = NULL, opt = NULL;
  EigmlParamStore *store = eigml_model_get_store (model);
  GPtrArray *params;
  JsonObject *obj;
  guint64 format, step, epoch, micro, best_step, n_train, seed, batch, accum, ranks;
  guint n_ranks;

  if (!json_parser_load_from_mapped_file (parser, state_path, error))
    {
      g_prefix_error (error, "%s: ", state_path);
      return FALSE;
    }
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT, "%s: not a JSON object", state_path);
      return FALSE;
    }
  obj = json_node_get_object (json_parser_get_root (parser));
  if (!state_uint (obj, state_path, "format", &format, error) ||
      !state_uint (obj, state_path, "step", &step, error) ||
      !state_uint (obj, state_path, "epoch", &epoch, error) ||
      !state_uint (obj, state_path, "micro", &micro, error) ||
      !state_uint (obj, state_path, "best_step", &best_step, error) ||
      !state_uint (obj, state_path, "n_train", &n_train, error) ||
      !state_uint (obj, state_path, "seed", &seed, error) ||
      !state_uint (obj, state_path, "batch_size", &batch, error) ||
      !state_uint (obj, state_path, "grad_accum", &accum, error))
    return FALSE;
  if (format != STATE_FORMAT)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_UNSUPPORTED,
                   "%s: state format %" G_GUINT64_FORMAT " (this Eigml reads %d)", state_path,
                   format, STATE_FORMAT);
      return FALSE;
    }
  /* The data order is a function of these: resuming with others would
   * silently train on another sequence of batches. A step reads
   * ranks x grad_accum micro-batches of the epoch's order (docs/scaling.md),
   * so another number of ranks keeps the order when gradient accumulation
   * makes up the difference; it is adjusted here when it can be. */
  ranks = (guint64) json_object_get_int_member_with_default (obj, "ranks", 1);
  n_ranks = MAX (options->n_ranks, 1);
  if (seed == options->seed && batch == options->batch_size && n_train == state->n_train &&
      ranks != n_ranks && accum * ranks != (guint64) options->grad_accum * n_ranks &&
      (accum * ranks) % n_ranks == 0)
    options->grad_accum = (guint) (accum * ranks / n_ranks);
  if (seed != options->seed || batch != options->batch_size ||
      accum * ranks != (guint64) options->grad_accum * n_ranks || n_train != state->n_train)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "%s: the run used seed %" G_GUINT64_FORMAT ", batch size %" G_GUINT64_FORMAT
                   ", gradient accumulation %" G_GUINT64_FORMAT " on %" G_GUINT64_FORMAT
                   " rank(s) and %" G_GUINT64_FORMAT " training examples; this one has %"
                   G_GUINT64_FORMAT ", %u, %u on %u and %" G_GUINT64_FORMAT ": resuming would "
                   "change the data order (start a new output folder instead)", state_path,
                   seed, batch, accum, ranks, n_train, options->seed, options->batch_size,
                   options->grad_accum, n_ranks, state->n_train);
      return FALSE;
    }
  state->step = step;
  state->epoch = (guint) epoch;
  state->micro = micro;
  state->best_step = best_step;
  state->best_map = json_object_get_double_member_with_default (obj, "best_map", -1.0);

  weights = eigml_weights_load (weights_path, error);
  if (weights == NULL || !eigml_model_load_weights (model, weights, TRUE, error))
    return FALSE;
  opt = eigml_weights_load (opt_path, error);
  if (opt == NULL || !eigml_param_store_ensure_optimizer_state (store, error))
    return FALSE;
  params = eigml_param_store_get_params (store);
  for (guint i = 0; i < params->len; i++)
    {
      EigmlParam *p = g_ptr_array_index (params, i);

      for (guint k = 0; k < 2; k++)
        {
          g_autofree char *name = g_strconcat (k ? "v." : "m.", p->name, NULL);
          EigmlTensor *t = eigml_weights_lookup (opt, name);
          g_autofree float *data = NULL;
          gsize n = 0;

          if (t == NULL || eigml_tensor_get_n_elements (t) != p->n_elements)
            {
              g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                           "%s: '%s' is %s", opt_path, name, t ? "of the wrong size" : "missing");
              return FALSE;
            }
          data = eigml_tensor_dup_floats (t, &n, error);
          if (data == NULL ||
              !eigml_param_write (p, k ? EIGML_LEAF_PARAM_V : EIGML_LEAF_PARAM_M, data, n, error))
            return FALSE;
        }
    }
  return eigml_param_store_zero_grads (store, error);
}

static gint
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

/* Deletes all but the @keep newest checkpoint-* folders. */
void
eigml_checkpoint_prune (const char *output_dir,
                        guint keep)
{
  g_autoptr (GDir) dir = g_dir_open (output_dir, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, "checkpoint-"))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);   /* zero-padded steps sort in order */
  for (guint i = 0; i + keep < names->len; i++)
    {
      g_autofree char *path = g_build_filename (output_dir, g_ptr_array_index (names, i), NULL);
      g_autoptr (GError) error = NULL;

      if (!remove_tree (path, &error))
        g_warning ("could not remove an old checkpoint: %s", error->message);
    }
}
