/* graph.h: the static computation graph, its nodes and the op builders
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A graph records nodes in creation order, which is a topological order
 * because an op can only take nodes that already exist. Builders check
 * shapes and dtypes; the first failure is kept in the graph (a "sticky"
 * error, as cairo does) and every later builder that receives NULL returns
 * NULL, so model code can build a whole pass and check once, at
 * eigml_graph_prepare().
 */
#pragma once

#include <glib.h>
#include "eigml-types.h"
#include "eigml-tensor.h"
#include "backend.h"

G_BEGIN_DECLS

#define EIGML_MAX_DIMS EIGML_TENSOR_MAX_DIMS
#define EIGML_MAX_SRC 6

typedef struct _EigmlContext EigmlContext;
typedef struct _EigmlParam EigmlParam;
typedef struct _EigmlParamStore EigmlParamStore;

typedef enum
{
  EIGML_OP_LEAF,                 /* input, parameter, constant: not computed */
  EIGML_OP_VIEW,                 /* reshape: aliases src[0]'s storage */
  EIGML_OP_FILL,                 /* y = f[0] */
  EIGML_OP_MATMUL,               /* y = op(a) op(b); i[0] trans_a, i[1] trans_b */
  EIGML_OP_BINARY,               /* y = a (+ - * /) b with broadcasting; i[0] kind */
  EIGML_OP_SCALE,                /* y = x * f[0] + f[1] */
  EIGML_OP_UNARY,                /* y = f(x); i[0] kind */
  EIGML_OP_UNARY_BACKWARD,       /* dx from (x or y, dy); i[0] kind */
  EIGML_OP_SOFTMAX,              /* y = (log)softmax(x * f[0] + mask); i[0] log */
  EIGML_OP_SOFTMAX_BACKWARD,     /* dx from (y, dy); f[0] scale; i[0] log */
  EIGML_OP_LAYER_NORM,           /* y = (x - mean) / sqrt(var + f[0]) (* gamma + beta) */
  EIGML_OP_LAYER_NORM_BACKWARD,  /* dx from (x, dy, gamma?); f[0] eps */
  EIGML_OP_L2_NORM,              /* y = x / max(||x||, f[0]) along the last axis */
  EIGML_OP_L2_NORM_BACKWARD,     /* dx from (x, dy); f[0] eps */
  EIGML_OP_EMBEDDING,            /* y[..., :] = table[ids[...], :] */
  EIGML_OP_EMBEDDING_BACKWARD,   /* dtable[v, :] = sum over ids == v of dy */
  EIGML_OP_DROPOUT,              /* Philox mask; src[1] rng state; f[0] p, f[1] 1/(1-p); i[0] stream */
  EIGML_OP_PERMUTE,              /* copy with axes permuted; i[0..3] perm */
  EIGML_OP_SLICE,                /* i[0] axis, i[1] start */
  EIGML_OP_PAD,                  /* zero-padded placement along i[0] at i[1] (slice backward) */
  EIGML_OP_CONCAT,               /* along i[0] */
  EIGML_OP_BROADCAST,            /* repeat src[0] (size-1 axes) to the output shape */
  EIGML_OP_REDUCE,               /* keepdim reduction over the axes in bitmask i[1]; i[0] kind */
  EIGML_OP_REDUCE_MAX_BACKWARD,  /* dx from (x, y, dy); i[1] axes */
  EIGML_OP_CROSS_ENTROPY,        /* per-row loss from (logits, targets); target < 0 is ignored */
  EIGML_OP_CROSS_ENTROPY_BACKWARD, /* dlogits from (logits, targets, dy) */
  EIGML_OP_BCE_LOGITS,           /* elementwise loss from (x, t) */
  EIGML_OP_BCE_LOGITS_BACKWARD,  /* dx from (x, t, dy) */
  EIGML_OP_KL_DIV,               /* per-row sum exp(lp) (lp - lq) from (lp, lq) */
  EIGML_OP_KL_DIV_BACKWARD,      /* d/dlp (i[0] = 0) or d/dlq (i[0] = 1) from (lp, lq, dy) */
  EIGML_OP_ACC,                  /* src[0] += src[1] (in place) */
  EIGML_OP_CLIP_SCALE,           /* y = min(1, max_norm / (sqrt(src[0]) + 1e-6)); max_norm = src[1][7] */
  EIGML_OP_ADAMW,                /* in place on (param, grad, m, v); src[4] hyper; src[5] clip scale */
  EIGML_OP_COUNT
} EigmlOp;

typedef enum
{
  EIGML_BINARY_ADD,
  EIGML_BINARY_SUB,
  EIGML_BINARY_MUL,
  EIGML_BINARY_DIV,
} EigmlBinaryKind;

typedef enum
{
  EIGML_UNARY_GELU,     /* erf form: x/2 (1 + erf(x / sqrt 2)) */
  EIGML_UNARY_TANH,
  EIGML_UNARY_SIGMOID,
  EIGML_UNARY_RELU,
  EIGML_UNARY_EXP,
  EIGML_UNARY_LOG,
  EIGML_UNARY_SQUARE,
  EIGML_UNARY_SQRT,
} EigmlUnaryKind;

typedef enum
{
  EIGML_REDUCE_SUM,
  EIGML_REDUCE_MEAN,
  EIGML_REDUCE_MAX,
  EIGML_REDUCE_SUMSQ,
} EigmlReduceKind;

typedef enum
{
  EIGML_LEAF_INPUT = 1,
  EIGML_LEAF_CONSTANT,
  EIGML_LEAF_PARAM,        /* a parameter's value */
  EIGML_LEAF_PARAM_GRAD,   /* a parameter's gradient accumulator */
  EIGML_LEAF_PARAM_M,      /* AdamW first moment */
  EIGML_LEAF_PARAM_V,      /* AdamW second moment */
  EIGML_LEAF_GRAD_ALL,     /* a window of a store's flat gradient buffer (ip[0..1]: byte offset) */
} EigmlLeafKind;

typedef enum
{
  EIGML_NODE_NEEDS_GRAD = 1 << 0,  /* a gradient flows to this node */
  EIGML_NODE_OUTPUT = 1 << 1,      /* read after compute: never reused */
  EIGML_NODE_WRITES_SRC = 1 << 2,  /* updates some sources in place (ACC, ADAMW) */
  EIGML_NODE_RNG = 1 << 3,         /* the graph's RNG state input */
  EIGML_NODE_CHECK_IDS = 1 << 4,   /* i32 input of ids or targets: range-checked when set */
  EIGML_NODE_IDS_NONNEG = 1 << 5,  /* ... and negative ids are errors (embedding) */
  EIGML_NODE_INPUT_SET = 1 << 6,   /* input written at least once */
  EIGML_NODE_NO_GRAD = 1 << 7,     /* a constant of the backward pass: no gradient flows through it */
} EigmlNodeFlags;

struct _EigmlNode
{
  guint id;                 /* index in graph->nodes */
  EigmlOp op;
  EigmlLeafKind leaf;
  EigmlDType dtype;
  guint flags;
  guint n_dims;
  gint64 shape[EIGML_MAX_DIMS];
  gint64 n_elements;
  guint n_src;
  EigmlNode *src[EIGML_MAX_SRC];
  gint32 ip[8];
  float fp[4];
  char *name;

  EigmlParam *param;        /* PARAM* leaves */
  EigmlParamStore *store;   /* GRAD_ALL leaf */
  const float *const_data;  /* CONSTANT leaves (owned by the graph) */
  gint32 id_limit;          /* CHECK_IDS inputs: valid ids are [0, id_limit) */

  EigmlNode *grad;          /* during backward: accumulated gradient */

  /* memory placement, set by the planner */
  EigmlBuffer *buffer;
  gsize offset;
  gsize n_bytes;
};

/* After node @node_id (its index in graph->nodes) has been computed. */
typedef void (*EigmlGraphNodeHook) (EigmlGraph *graph,
                                    guint node_id,
                                    gpointer user_data);

struct _EigmlGraph
{
  gint ref_count;
  EigmlContext *context;
  EigmlBackend *backend;
  GPtrArray *nodes;          /* EigmlNode*, creation (= topological) order */
  GPtrArray *inputs;         /* INPUT leaves */
  GPtrArray *constants;      /* CONSTANT leaves */
  GPtrArray *params;         /* EigmlParamStore* referenced, with refs */
  GError *error;             /* first builder failure */
  EigmlNode *rng;            /* lazily made I32[4] RNG state input */
  guint next_stream;         /* dropout streams */
  EigmlNode *loss;
  gboolean has_backward;
  gboolean prepared;
  gboolean check_finite;
  guint64 run_count;

  EigmlBuffer *arena;        /* activations */
  gsize arena_size;
  gsize arena_static_size;   /* inputs and constants come first */
  gsize arena_peak_naive;    /* sum of all node sizes, for statistics */
  gpointer backend_data;

  /* called after each computed node by backends that run nodes one by one
   * on the host (the CPU backend); see eigml_graph_set_node_hook() */
  EigmlGraphNodeHook node_hook;
  gpointer node_hook_data;
};

/* life cycle */
EigmlGraph *eigml_graph_new (EigmlContext *context);
EigmlGraph *eigml_graph_ref (EigmlGraph *graph);
void eigml_graph_unref (EigmlGraph *graph);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EigmlGraph, eigml_graph_unref)

/* leaves */
EigmlNode *eigml_graph_input (EigmlGraph *graph,
                              const char *name,
                              EigmlDType dtype,
                              guint n_dims,
                              const gint64 *shape);
EigmlNode *eigml_graph_constant (EigmlGraph *graph,
                                 const char *name,
                                 guint n_dims,
                                 const gint64 *shape,
                                 const float *data);
EigmlNode *eigml_graph_param (EigmlGraph *graph,
                              EigmlParam *param);
EigmlNode *eigml_graph_param_leaf (EigmlGraph *graph,
                                   EigmlParam *param,
                                   EigmlLeafKind kind);
void eigml_node_set_requires_grad (EigmlNode *node,
                                   gboolean requires_grad);
void eigml_graph_mark_output (EigmlGraph *graph,
                              EigmlNode *node);
EigmlNode *eigml_graph_find (EigmlGraph *graph,
                             const char *name);

/* errors */
gboolean eigml_graph_failed (EigmlGraph *graph);
const GError *eigml_graph_get_error (EigmlGraph *graph);
gboolean eigml_graph_propagate_error (EigmlGraph *graph,
                                      GError **error);
void eigml_graph_set_error (EigmlGraph *graph,
                            EigmlError code,
                            const char *format,
                            ...) G_GNUC_PRINTF (3, 4);

/* autodiff and optimisation */
gboolean eigml_graph_backward (EigmlGraph *graph,
                               EigmlNode *loss,
                               GError **error);
EigmlNode *eigml_graph_get_grad (EigmlGraph *graph,
                                 EigmlNode *node);

typedef struct
{
  float lr;
  float beta1;
  float beta2;
  float eps;
  float weight_decay;
  float max_grad_norm;     /* <= 0: no clipping */
} EigmlAdamWConfig;

void eigml_adamw_config_init_default (EigmlAdamWConfig *config);
gboolean eigml_graph_add_adamw (EigmlGraph *graph,
                                EigmlParamStore *store,
                                GError **error);
gboolean eigml_graph_set_adamw_step (EigmlGraph *graph,
                                     const EigmlAdamWConfig *config,
                                     float lr,
                                     guint64 step,
                                     GError **error);
EigmlNode *eigml_graph_get_grad_norm (EigmlGraph *graph);

/* execution */
gboolean eigml_graph_prepare (EigmlGraph *graph,
                              GError **error);
void eigml_graph_set_check_finite (EigmlGraph *graph,
                                   gboolean check);
gboolean eigml_graph_set_input (EigmlGraph *graph,
                                EigmlNode *node,
                                const void *data,
                                gsize n_bytes,
                                GError **error);
gboolean eigml_graph_set_input_floats (EigmlGraph *graph,
                                       EigmlNode *node,
                                       const float *data,
                                       gsize n,
                                       GError **error);
gboolean eigml_graph_set_input_ints (EigmlGraph *graph,
                                     EigmlNode *node,
                                     const gint32 *data,
                                     gsize n,
                                     GError **error);
gboolean eigml_graph_set_input_tensor (EigmlGraph *graph,
                                       EigmlNode *node,
                                       EigmlTensor *tensor,
                                       GError **error);
gboolean eigml_graph_set_rng (EigmlGraph *graph,
                              guint64 seed,
                              guint64 offset,
                              GError **error);
/* @hook runs after every node where the backend computes node by node on
 * the host (CPU); a backend that records the graph into one command buffer
 * (Vulkan) never calls it. Returns whether this graph's backend calls it. */
gboolean eigml_graph_set_node_hook (EigmlGraph *graph,
                                    EigmlGraphNodeHook hook,
                                    gpointer user_data);
gboolean eigml_graph_compute (EigmlGraph *graph,
                              GError **error);
gboolean eigml_graph_read (EigmlGraph *graph,
                           EigmlNode *node,
                           void *data,
                           gsize n_bytes,
                           GError **error);
float *eigml_graph_dup_floats (EigmlGraph *graph,
                               EigmlNode *node,
                               GError **error);
EigmlTensor *eigml_graph_dup_tensor (EigmlGraph *graph,
                                     EigmlNode *node,
                                     GError **error);
gboolean eigml_graph_poison (EigmlGraph *graph,
                             GError **error);
gboolean eigml_graph_check_finite (EigmlGraph *graph,
                                   EigmlNode *node,
                                   GError **error);
char *eigml_graph_describe (EigmlGraph *graph);

/* node helpers shared by ops, planner and backends */
const char *eigml_op_get_name (EigmlOp op);
gsize eigml_node_nbytes (const EigmlNode *node);
void eigml_node_shape4 (const EigmlNode *node,
                        gint64 shape4[EIGML_MAX_DIMS]);
char *eigml_node_describe (const EigmlNode *node);
gboolean eigml_node_same_shape (const EigmlNode *a,
                                const EigmlNode *b);
EigmlNode *eigml_graph_new_node (EigmlGraph *graph,
                                 EigmlOp op,
                                 EigmlDType dtype,
                                 guint n_dims,
                                 const gint64 *shape);
void eigml_node_add_src (EigmlNode *node,
                         EigmlNode *src);
gboolean eigml_op_writes_in_place (const EigmlNode *node,
                                   guint src_index);
gboolean eigml_op_is_elementwise (EigmlOp op);

/* op builders (ops-*.c) */
EigmlNode *eigml_op_matmul (EigmlGraph *g, EigmlNode *a, EigmlNode *b,
                            gboolean trans_a, gboolean trans_b);
EigmlNode *eigml_op_binary (EigmlGraph *g, EigmlBinaryKind kind, EigmlNode *a, EigmlNode *b);
EigmlNode *eigml_op_add (EigmlGraph *g, EigmlNode *a, EigmlNode *b);
EigmlNode *eigml_op_sub (EigmlGraph *g, EigmlNode *a, EigmlNode *b);
EigmlNode *eigml_op_mul (EigmlGraph *g, EigmlNode *a, EigmlNode *b);
EigmlNode *eigml_op_div (EigmlGraph *g, EigmlNode *a, EigmlNode *b);
EigmlNode *eigml_op_bias_add (EigmlGraph *g, EigmlNode *x, EigmlNode *bias);
EigmlNode *eigml_op_scale (EigmlGraph *g, EigmlNode *x, float scale, float shift);
EigmlNode *eigml_op_fill (EigmlGraph *g, guint n_dims, const gint64 *shape, float value);
EigmlNode *eigml_op_unary (EigmlGraph *g, EigmlUnaryKind kind, EigmlNode *x);
EigmlNode *eigml_op_gelu (EigmlGraph *g, EigmlNode *x);
EigmlNode *eigml_op_tanh (EigmlGraph *g, EigmlNode *x);
EigmlNode *eigml_op_sigmoid (EigmlGraph *g, EigmlNode *x);
EigmlNode *eigml_op_relu (EigmlGraph *g, EigmlNode *x);
EigmlNode *eigml_op_softmax (EigmlGraph *g, EigmlNode *x, EigmlNode *mask, float scale);
EigmlNode *eigml_op_log_softmax (EigmlGraph *g, EigmlNode *x, EigmlNode *mask, float scale);
EigmlNode *eigml_op_layer_norm (EigmlGraph *g, EigmlNode *x, EigmlNode *gamma, EigmlNode *beta,
                                float eps);
EigmlNode *eigml_op_l2_normalize (EigmlGraph *g, EigmlNode *x, float eps);
EigmlNode *eigml_op_embedding (EigmlGraph *g, EigmlNode *table, EigmlNode *ids);
EigmlNode *eigml_op_dropout (EigmlGraph *g, EigmlNode *x, float p);
EigmlNode *eigml_op_reshape (EigmlGraph *g, EigmlNode *x, guint n_dims, const gint64 *shape);
EigmlNode *eigml_op_permute (EigmlGraph *g, EigmlNode *x, const guint *perm);
EigmlNode *eigml_op_transpose (EigmlGraph *g, EigmlNode *x, guint axis0, guint axis1);
EigmlNode *eigml_op_slice (EigmlGraph *g, EigmlNode *x, gint axis, gint64 start, gint64 length);
EigmlNode *eigml_op_concat (EigmlGraph *g, EigmlNode **xs, guint n, gint axis);
EigmlNode *eigml_op_broadcast_to (EigmlGraph *g, EigmlNode *x, guint n_dims, const gint64 *shape);
EigmlNode *eigml_op_reduce (EigmlGraph *g, EigmlReduceKind kind, EigmlNode *x, guint axes_mask,
                            gboolean keep_dims);
EigmlNode *eigml_op_sum (EigmlGraph *g, EigmlNode *x, gint axis, gboolean keep_dims);
EigmlNode *eigml_op_mean (EigmlGraph *g, EigmlNode *x, gint axis, gboolean keep_dims);
EigmlNode *eigml_op_max (EigmlGraph *g, EigmlNode *x, gint axis, gboolean keep_dims);
EigmlNode *eigml_op_sum_all (EigmlGraph *g, EigmlNode *x);
EigmlNode *eigml_op_mean_all (EigmlGraph *g, EigmlNode *x);
EigmlNode *eigml_op_sum_to_shape (EigmlGraph *g, EigmlNode *x, guint n_dims, const gint64 *shape);
EigmlNode *eigml_op_cross_entropy (EigmlGraph *g, EigmlNode *logits, EigmlNode *targets);
EigmlNode *eigml_op_bce_with_logits (EigmlGraph *g, EigmlNode *logits, EigmlNode *targets);
EigmlNode *eigml_op_kl_div (EigmlGraph *g, EigmlNode *log_p, EigmlNode *log_q);
EigmlNode *eigml_op_acc (EigmlGraph *g, EigmlNode *dst, EigmlNode *value);

/* backward rules, one per op family: given the node and the gradient of
 * its output, add the gradient of each source that needs one. */
typedef void (*EigmlBackwardFunc) (EigmlGraph *g, EigmlNode *node, EigmlNode *dy);
void eigml_graph_accumulate_grad (EigmlGraph *g, EigmlNode *node, EigmlNode *contribution);
EigmlBackwardFunc eigml_op_get_backward (EigmlOp op);

void eigml_backward_matmul (EigmlGraph *g, EigmlNode *node, EigmlNode *dy);
void eigml_backward_elementwise (EigmlGraph *g, EigmlNode *node, EigmlNode *dy);
void eigml_backward_softmax (EigmlGraph *g, EigmlNode *node, EigmlNode *dy);
void eigml_backward_norm (EigmlGraph *g, EigmlNode *node, EigmlNode *dy);
void eigml_backward_embedding (EigmlGraph *g, EigmlNode *node, EigmlNode *dy);
void eigml_backward_dropout (EigmlGraph *g, EigmlNode *node, EigmlNode *dy);
void eigml_backward_shape (EigmlGraph *g, EigmlNode *node, EigmlNode *dy);
void eigml_backward_reduce (EigmlGraph *g, EigmlNode *node, EigmlNode *dy);
void eigml_backward_loss (EigmlGraph *g, EigmlNode *node, EigmlNode *dy);

/* planner */
gboolean eigml_graph_plan_memory (EigmlGraph *graph,
                                  GError **error);

G_END_DECLS
