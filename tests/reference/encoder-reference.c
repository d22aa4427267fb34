/* encoder-reference.c: Eigml's side of tests/reference/test_encoders.py
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   encoder-reference text|image CONFIG.json WEIGHTS INPUTS OUT BACKEND
 *     loads the encoder and the checkpoint (safetensors or torch.save),
 *     reads the inputs (safetensors: ids, mask?, types?, upstream,
 *     upstream_pooled? | pixels, upstream), runs forward and backward of
 *     L = sum(hidden * upstream) (+ sum(pooled * upstream_pooled)) and writes
 *     hidden, pooled, grad.<parameter> and grad.pixels to OUT.
 *   encoder-reference interpolate IN OUT
 *     resizes "pos" [1, 1 + n * n, c] to the grid "size" as the ViT loader
 *     does, writing "pos".
 */
#include "config.h"

#include <eigml/eigml.h>
#include "eigml-tensor-private.h"
#include "nn/encoder-private.h"

#include <stdio.h>
#include <string.h>

static EigmlTensor *
need (EigmlWeights *w,
      const char *name)
{
  EigmlTensor *t = eigml_weights_lookup (w, name);

  if (t == NULL)
    {
      fprintf (stderr, "encoder-reference: the inputs have no '%s'\n", name);
      exit (1);
    }
  return t;
}

static void
die (const char *what,
     GError *error)
{
  fprintf (stderr, "encoder-reference: %s: %s\n", what, error ? error->message : "failed");
  exit (1);
}

static EigmlNode *
input_from (EigmlGraph *g,
            const char *name,
            EigmlTensor *t)
{
  guint n_dims;
  const gint64 *shape = eigml_tensor_get_shape (t, &n_dims);

  return eigml_graph_input (g, name, eigml_tensor_get_dtype (t), n_dims, shape);
}

static int
interpolate (const char *in_path,
             const char *out_path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlWeights) in = eigml_weights_load (in_path, &error);
  g_autoptr (EigmlWeights) out = eigml_weights_new ();
  EigmlTensor *pos, *size;
  gint64 c, n, g0, g;
  g_autofree float *src = NULL, *dst = NULL;
  gsize n_src;
  g_autoptr (EigmlTensor) result = NULL;
  gint64 shape[3];

  if (in == NULL)
    die (in_path, error);
  pos = need (in, "pos");
  size = need (in, "size");
  c = eigml_tensor_get_dim (pos, 2);
  n = eigml_tensor_get_dim (pos, 1) - 1;
  for (g0 = 1; g0 * g0 < n; g0++)
    ;
  g = ((const gint32 *) eigml_tensor_peek_data (size))[0];
  src = eigml_tensor_dup_floats (pos, &n_src, &error);
  dst = g_new (float, (1 + g * g) * c);
  memcpy (dst, src, c * sizeof (float));
  eigml_interpolate_bicubic (src + c, g0, g0, c, dst + c, g, g);
  shape[0] = 1;
  shape[1] = 1 + g * g;
  shape[2] = c;
  result = eigml_tensor_new_from_floats (shape, 3, dst, (1 + g * g) * c, &error);
  if (result == NULL)
    die ("result", error);
  eigml_weights_insert (out, "pos", result);
  if (!eigml_weights_save_safetensors (out, out_path, &error))
    die (out_path, error);
  return 0;
}

/* [B, P, C p p] patch gradients back to [B, C, S, S] pixels */
static EigmlTensor *
unpatchify (EigmlTensor *patches,
            gint64 channels,
            gint64 side,
            gint64 patch)
{
  gint64 b = eigml_tensor_get_dim (patches, 0), gs = side / patch;
  gint64 shape[4] = { b, channels, side, side };
  EigmlTensor *out = eigml_tensor_new (EIGML_DTYPE_F32, shape, 4, NULL);
  const float *src = eigml_tensor_peek_data (patches);
  float *dst = eigml_tensor_peek_data_mutable (out);

  for (gint64 i = 0; i < b; i++)
    for (gint64 py = 0; py < gs; py++)
      for (gint64 px = 0; px < gs; px++)
        for (gint64 c = 0; c < channels; c++)
          for (gint64 ky = 0; ky < patch; ky++)
            for (gint64 kx = 0; kx < patch; kx++)
              dst[((i * channels + c) * side + py * patch + ky) * side + px * patch + kx] =
                src[((i * gs + py) * gs + px) * channels * patch * patch + (c * patch + ky) * patch +
                    kx];
  return out;
}

int
main (int argc,
      char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlContext) ctx = NULL;
  g_autoptr (EigmlEncoderConfig) config = NULL;
  g_autoptr (EigmlEncoder) encoder = NULL;
  g_autoptr (EigmlWeights) weights = NULL, inputs = NULL;
  g_autoptr (EigmlWeights) out = eigml_weights_new ();
  g_autoptr (EigmlGraph) g = NULL;
  g_auto (GStrv) missing = NULL, unexpected = NULL;
  EigmlBackendKind backend;
  gboolean text;
  EigmlNode *hidden, *pooled = NULL, *loss, *x = NULL, *ids = NULL, *mask = NULL, *types = NULL;
  EigmlParamStore *store;
  GPtrArray *params;

  if (argc == 4 && g_str_equal (argv[1], "interpolate"))
    return interpolate (argv[2], argv[3]);
  if (argc != 7 || (!g_str_equal (argv[1], "text") && !g_str_equal (argv[1], "image")))
    {
      fprintf (stderr, "usage: encoder-reference text|image CONFIG WEIGHTS INPUTS OUT BACKEND\n"
                       "       encoder-reference interpolate IN OUT\n");
      return 2;
    }
  text = g_str_equal (argv[1], "text");
  if (!eigml_backend_kind_from_string (argv[6], &backend, &error) ||
      (ctx = eigml_context_new (backend, NULL, &error)) == NULL)
    die ("context", error);
  config = eigml_encoder_config_new_from_json (text ? EIGML_ENCODER_TEXT : EIGML_ENCODER_IMAGE,
                                               argv[2], &error);
  if (config == NULL)
    die (argv[2], error);
  config->dropout = 0.0f;
  config->attention_dropout = 0.0f;
  encoder = text ? EIGML_ENCODER (eigml_text_encoder_new (ctx, config, &error))
                 : EIGML_ENCODER (eigml_image_encoder_new (ctx, config, &error));
  if (encoder == NULL)
    die ("encoder", error);
  weights = eigml_weights_load (argv[3], &error);
  if (weights == NULL)
    die (argv[3], error);
  if (!eigml_encoder_load_weights (encoder, weights, NULL, &missing, &unexpected, &error))
    die ("load", error);
  if (g_strv_length (missing) > 0 || g_strv_length (unexpected) > 0)
    {
      fprintf (stderr, "encoder-reference: %u missing (%s), %u unexpected (%s)\n",
               g_strv_length (missing), missing[0] ? missing[0] : "",
               g_strv_length (unexpected), unexpected[0] ? unexpected[0] : "");
      return 1;
    }
  inputs = eigml_weights_load (argv[4], &error);
  if (inputs == NULL)
    die (argv[4], error);

  g = eigml_graph_new (ctx);
  if (text)
    {
      EigmlTensor *tm = eigml_weights_lookup (inputs, "mask");
      ids = input_from (g, "ids", need (inputs, "ids"));
      types = input_from (g, "types", need (inputs, "types"));
      if (tm != NULL)
        {
          gint64 shape[4] = { eigml_tensor_get_dim (tm, 0), 1, 1, eigml_tensor_get_dim (tm, 1) };
          mask = eigml_graph_input (g, "mask", EIGML_DTYPE_F32, 4, shape);
        }
      hidden = eigml_text_encoder_build (EIGML_TEXT_ENCODER (encoder), g, ids, mask, types, FALSE,
                                         &pooled);
    }
  else
    {
      g_autoptr (EigmlTensor) patches = eigml_image_patchify (need (inputs, "pixels"),
                                                              config->patch_size, &error);
      if (patches == NULL)
        die ("patchify", error);
      x = input_from (g, "patches", patches);
      eigml_node_set_requires_grad (x, TRUE);
      hidden = eigml_image_encoder_build (EIGML_IMAGE_ENCODER (encoder), g, x, FALSE);
    }
  {
    EigmlNode *up = input_from (g, "upstream", need (inputs, "upstream"));
    loss = eigml_op_sum_all (g, eigml_op_mul (g, hidden, up));
    if (pooled != NULL && eigml_weights_lookup (inputs, "upstream_pooled") != NULL)
      {
        EigmlNode *upp = input_from (g, "upstream_pooled", need (inputs, "upstream_pooled"));
        loss = eigml_op_add (g, loss, eigml_op_sum_all (g, eigml_op_mul (g, pooled, upp)));
      }
  }
  eigml_graph_mark_output (g, hidden);
  eigml_graph_mark_output (g, pooled);
  if (!eigml_graph_backward (g, loss, &error) || !eigml_graph_prepare (g, &error))
    die ("graph", error);

  /* inputs */
  {
    const char *names[] = { "ids", "types", "upstream", "upstream_pooled", "patches", NULL };
    for (guint i = 0; names[i] != NULL; i++)
      {
        EigmlNode *node = eigml_graph_find (g, names[i]);
        if (node == NULL)
          continue;
        if (g_str_equal (names[i], "patches"))
          {
            g_autoptr (EigmlTensor) p = eigml_image_patchify (need (inputs, "pixels"),
                                                              config->patch_size, &error);
            if (!eigml_graph_set_input_tensor (g, node, p, &error))
              die (names[i], error);
          }
        else if (!eigml_graph_set_input_tensor (g, node, need (inputs, names[i]), &error))
          die (names[i], error);
      }
    if (mask != NULL)
      {
        EigmlTensor *tm = need (inputs, "mask");
        const gint32 *m = eigml_tensor_peek_data (tm);
        gint64 n = eigml_tensor_get_n_elements (tm);
        g_autofree float *add = g_new (float, n);
        for (gint64 i = 0; i < n; i++)
          add[i] = m[i] ? 0.0f : -10000.0f;
        if (!eigml_graph_set_input_floats (g, mask, add, n, &error))
          die ("mask", error);
      }
  }
  if (!eigml_graph_poison (g, &error) || !eigml_graph_compute (g, &error))
    die ("compute", error);

  /* outputs */
  {
    g_autoptr (EigmlTensor) h = eigml_graph_dup_tensor (g, hidden, &error);
    if (h == NULL)
      die ("hidden", error);
    eigml_weights_insert (out, "hidden", h);
    if (pooled != NULL)
      {
        g_autoptr (EigmlTensor) p = eigml_graph_dup_tensor (g, pooled, &error);
        if (p == NULL)
          die ("pooled", error);
        eigml_weights_insert (out, "pooled", p);
      }
    if (x != NULL)
      {
        g_autoptr (EigmlTensor) gp = eigml_graph_dup_tensor (g, eigml_graph_get_grad (g, x),
                                                            &error);
        g_autoptr (EigmlTensor) gpx = NULL;
        if (gp == NULL)
          die ("grad.patches", error);
        gpx = unpatchify (gp, config->channels, config->image_size, config->patch_size);
        eigml_weights_insert (out, "grad.pixels", gpx);
      }
  }
  store = eigml_encoder_get_store (encoder);
  params = eigml_param_store_get_params (store);
  for (guint i = 0; i < params->len; i++)
    {
      EigmlParam *p = g_ptr_array_index (params, i);
      g_autofree float *grad = eigml_param_dup (p, EIGML_LEAF_PARAM_GRAD, &error);
      g_autoptr (EigmlTensor) t = NULL;
      g_autofree char *name = NULL;

      if (grad == NULL)
        die (p->name, error);
      t = eigml_tensor_new_from_floats (p->shape, p->n_dims, grad, p->n_elements, &error);
      if (t == NULL)
        die (p->name, error);
      name = g_strconcat ("grad.", p->name, NULL);
      eigml_weights_insert (out, name, t);
    }
  if (!eigml_weights_save_safetensors (out, argv[5], &error))
    die (argv[5], error);
  return 0;
}
