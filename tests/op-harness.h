/* op-harness.h: the three-way op test harness
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every op case is checked three ways, as ggml's test-backend-ops does:
 *  1. the CPU backend against a naive float64 reference of the op;
 *  2. the analytic gradient (the engine's backward on the CPU backend) of
 *     L = sum(op(x) * W), W random, against central finite differences of
 *     the float64 reference (mean absolute asymmetry);
 *  3. the Vulkan backend against the CPU backend, forward and gradients;
 * and the CPU backend on one thread against the CPU backend on all of them.
 * Outputs are poisoned with NaN before every run, so an element a kernel
 * forgets to write fails the comparison.
 */
#pragma once

#include "eigml-context-private.h"
#include "eigml-error.h"
#include "engine/graph.h"
#include "engine/params.h"

#include <glib.h>

G_BEGIN_DECLS

#define HARNESS_MAX_IN 6

typedef struct
{
  EigmlDType dtype;
  guint n_dims;
  gint64 shape[EIGML_MAX_DIMS];
  double lo, hi;        /* uniform range (f32) or [lo, hi) integers (i32) */
  double min_abs;       /* keep |x| >= min_abs (kinks, divisions) */
  gboolean grad;        /* gradient checked */
} HarnessInput;

typedef struct _HarnessCase HarnessCase;

typedef EigmlNode *(*HarnessBuild) (EigmlGraph *g,
                                    EigmlNode **x,
                                    const HarnessCase *c);
/* y has the shape of the op's output, as the engine reports it */
typedef void (*HarnessRef) (const HarnessCase *c,
                            double *const *x,
                            double *y,
                            guint y_dims,
                            const gint64 *y_shape);

struct _HarnessCase
{
  char name[128];
  guint n_in;
  HarnessInput in[HARNESS_MAX_IN];
  gint32 ip[8];
  double fp[4];
  HarnessBuild build;
  HarnessRef ref;
  double tol;           /* forward and backend tolerance */
  double grad_tol;      /* mean absolute asymmetry; 0 means 1e-4 */
  double fd_step;       /* 0 means 1e-4 */
};

typedef void (*HarnessGen) (GRand *rand,
                            guint variant,
                            HarnessCase *c);

typedef struct
{
  const char *name;
  HarnessGen gen;
  guint n_variants;
} HarnessFamily;

/* shape helpers for references */
void harness_shape4 (guint n_dims, const gint64 *shape, gint64 out[4]);
void harness_strides4 (const gint64 shape4[4], gint64 strides[4]);
void harness_bstrides4 (guint n_dims, const gint64 *shape, const gint64 out4[4],
                        gint64 strides[4]);
gint64 harness_numel (guint n_dims, const gint64 *shape);

/* random shape helpers for generators */
gint64 harness_dim (GRand *rand);
void harness_random_shape (GRand *rand, guint n_dims, gint64 *shape, gint64 max_numel);
void harness_input_f32 (HarnessInput *in, guint n_dims, const gint64 *shape, gboolean grad);

/* the checks */
void harness_check_cpu (const HarnessCase *c);
void harness_check_vulkan (const HarnessCase *c);
EigmlContext *harness_context (EigmlBackendKind kind);
void harness_cleanup (void);


G_END_DECLS
