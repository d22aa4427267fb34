/* cpu-shape.c: permute, slice, pad, concat, embedding gather and its
 * scatter-add gradient, reductions
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Copies move 32-bit words, so they serve f32 and i32 alike.
 */
#include "config.h"

#include "cpu-private.h"

#include <math.h>
#include <omp.h>
#include <string.h>

void
eigml_cpu_permute (const EigmlNode *node)
{
  const guint32 *x = (const guint32 *) CPU_PTR (node->src[0]);
  guint32 *y = (guint32 *) CPU_PTR (node);
  gint64 shape[4], xshape[4], xs[4], s[4];

  eigml_node_shape4 (node, shape);
  eigml_node_shape4 (node->src[0], xshape);
  cpu_strides4 (xshape, xs);
  /* stride in x of each output axis */
  for (int i = 0; i < 4; i++)
    s[i] = xs[node->ip[i]];

#pragma omp parallel for collapse(3) schedule(static) if (node->n_elements > CPU_PARALLEL_MIN)
  for (gint64 i0 = 0; i0 < shape[0]; i0++)
    for (gint64 i1 = 0; i1 < shape[1]; i1++)
      for (gint64 i2 = 0; i2 < shape[2]; i2++)
        {
          gint64 oy = ((i0 * shape[1] + i1) * shape[2] + i2) * shape[3];
          const guint32 *r = x + i0 * s[0] + i1 * s[1] + i2 * s[2];
          for (gint64 i3 = 0; i3 < shape[3]; i3++)
            y[oy + i3] = r[i3 * s[3]];
        }
}

/* Copies the block of @outer rows of @inner words between two tensors that
 * differ along one axis: out rows of length len_out, in rows of len_in. */
static void
copy_along_axis (guint32 *dst,
                 gint64 dst_row,
                 gint64 dst_start,
                 const guint32 *src,
                 gint64 src_row,
                 gint64 src_start,
                 gint64 outer,
                 gint64 count)
{
#pragma omp parallel for schedule(static) if (outer * count > CPU_PARALLEL_MIN)
  for (gint64 o = 0; o < outer; o++)
    memcpy (dst + o * dst_row + dst_start, src + o * src_row + src_start,
            (gsize) count * sizeof (guint32));
}

/* outer = product of axes before @axis, inner = product after it */
static void
axis_split (const EigmlNode *node,
            int axis4,
            gint64 *outer,
            gint64 *inner)
{
  gint64 shape[4];

  eigml_node_shape4 (node, shape);
  *outer = 1;
  *inner = 1;
  for (int i = 0; i < axis4; i++)
    *outer *= shape[i];
  for (int i = axis4 + 1; i < 4; i++)
    *inner *= shape[i];
}

static gint64
dim4 (const EigmlNode *node,
      int axis4)
{
  gint64 shape[4];

  eigml_node_shape4 (node, shape);
  return shape[axis4];
}

void
eigml_cpu_slice (const EigmlNode *node)
{
  const EigmlNode *x = node->src[0];
  int axis = node->ip[0];
  gint64 outer, inner, start = node->ip[1];
  gint64 len_out = dim4 (node, axis), len_in = dim4 (x, axis);

  axis_split (node, axis, &outer, &inner);
  copy_along_axis ((guint32 *) CPU_PTR (node), len_out * inner, 0,
                   (const guint32 *) CPU_PTR (x), len_in * inner, start * inner, outer,
                   len_out * inner);
}

void
eigml_cpu_pad (const EigmlNode *node)
{
  const EigmlNode *x = node->src[0];
  int axis = node->ip[0];
  gint64 outer, inner, start = node->ip[1];
  gint64 len_out = dim4 (node, axis), len_in = dim4 (x, axis);

  memset (CPU_PTR (node), 0, eigml_node_nbytes (node));
  axis_split (node, axis, &outer, &inner);
  copy_along_axis ((guint32 *) CPU_PTR (node), len_out * inner, start * inner,
                   (const guint32 *) CPU_PTR (x), len_in * inner, 0, outer, len_in * inner);
}

void
eigml_cpu_concat (const EigmlNode *node)
{
  int axis = node->ip[0];
  gint64 outer, inner, at = 0;
  gint64 len_out = dim4 (node, axis);

  axis_split (node, axis, &outer, &inner);
  for (guint i = 0; i < node->n_src; i++)
    {
      const EigmlNode *x = node->src[i];
      gint64 len_in = dim4 (x, axis);
      copy_along_axis ((guint32 *) CPU_PTR (node), len_out * inner, at * inner,
                       (const guint32 *) CPU_PTR (x), len_in * inner, 0, outer, len_in * inner);
      at += len_in;
    }
}

void
eigml_cpu_embedding (const EigmlNode *node)
{
  const EigmlNode *nt = node->src[0];
  const float *table = CPU_F32 (nt);
  const gint32 *ids = CPU_I32 (node->src[1]);
  float *y = CPU_F32 (node);
  gint64 v = nt->shape[0], d = nt->shape[1], n = node->n_elements / d;

#pragma omp parallel for schedule(static) if (node->n_elements > CPU_PARALLEL_MIN)
  for (gint64 i = 0; i < n; i++)
    {
      gint32 id = ids[i];
      if (id >= 0 && id < v)
        memcpy (y + i * d, table + (gint64) id * d, (gsize) d * sizeof (float));
      else
        memset (y + i * d, 0, (gsize) d * sizeof (float));
    }
}

/* Threads split the columns; each sums its columns over the ids in order. */
void
eigml_cpu_embedding_backward (const EigmlNode *node)
{
  const gint32 *ids = CPU_I32 (node->src[0]);
  const float *dy = CPU_F32 (node->src[1]);
  float *dt = CPU_F32 (node);
  gint64 v = node->shape[0], d = node->shape[1];
  gint64 n = node->src[0]->n_elements;

  memset (dt, 0, eigml_node_nbytes (node));
#pragma omp parallel if (n * d > CPU_PARALLEL_MIN)
  {
    int nt = omp_get_num_threads (), t = omp_get_thread_num ();
    gint64 c0 = d * t / nt, c1 = d * (t + 1) / nt;
    for (gint64 i = 0; i < n; i++)
      {
        gint32 id = ids[i];
        if (id < 0 || id >= v)
          continue;
        for (gint64 j = c0; j < c1; j++)
          dt[(gint64) id * d + j] += dy[i * d + j];
      }
  }
}

/* For each output element: the input offsets it reduces over are
 * base + sum over reduced axes a of k_a * stride_a. */
typedef struct
{
  gint64 shape[4];      /* output (keepdim) */
  gint64 xs[4];         /* input strides */
  gint64 red_n[4];      /* sizes of the reduced axes */
  gint64 red_s[4];      /* their input strides */
  int n_red;
  gint64 count;         /* elements reduced per output */
} ReducePlan;

static void
reduce_plan (const EigmlNode *node,
             const EigmlNode *x,
             guint mask4,
             ReducePlan *p)
{
  gint64 xshape[4];

  eigml_node_shape4 (node, p->shape);
  eigml_node_shape4 (x, xshape);
  cpu_strides4 (xshape, p->xs);
  p->n_red = 0;
  p->count = 1;
  for (int a = 0; a < 4; a++)
    if ((mask4 >> a) & 1)
      {
        p->red_n[p->n_red] = xshape[a];
        p->red_s[p->n_red] = p->xs[a];
        p->n_red++;
        p->count *= xshape[a];
      }
}

static inline gint64
reduce_base (const ReducePlan *p,
             gint64 o)
{
  gint64 i3 = o % p->shape[3], i2 = (o / p->shape[3]) % p->shape[2];
  gint64 i1 = (o / (p->shape[3] * p->shape[2])) % p->shape[1];
  gint64 i0 = o / (p->shape[3] * p->shape[2] * p->shape[1]);

  /* reduced axes have output size 1, so their index is 0 here */
  return i0 * p->xs[0] + i1 * p->xs[1] + i2 * p->xs[2] + i3 * p->xs[3];
}

static inline gint64
reduce_offset (const ReducePlan *p,
               gint64 k)
{
  gint64 off = 0;

  for (int a = p->n_red - 1; a >= 0; a--)
    {
      off += (k % p->red_n[a]) * p->red_s[a];
      k /= p->red_n[a];
    }
  return off;
}

static inline double
reduce_step (EigmlReduceKind kind,
             double acc,
             double v)
{
  switch (kind)
    {
    case EIGML_REDUCE_MAX:
      return v > acc ? v : acc;
    case EIGML_REDUCE_SUMSQ:
      return acc + v * v;
    default:
      return acc + v;
    }
}

/* The input seen as [outer, reduced, inner] when the reduced axes are
 * adjacent (after dropping size-1 axes): the common cases of bias and
 * LayerNorm gradients (reduce the leading axes) and of row sums (the last). */
static gboolean
reduce_as_block (const EigmlNode *x,
                 guint mask4,
                 gint64 *outer,
                 gint64 *count,
                 gint64 *inner)
{
  gint64 shape[4];
  int first = -1, last = -1;

  eigml_node_shape4 (x, shape);
  for (int a = 0; a < 4; a++)
    if (((mask4 >> a) & 1) && shape[a] > 1)
      {
        if (first < 0)
          first = a;
        last = a;
      }
  if (first < 0)
    {
      *outer = x->n_elements;
      *count = 1;
      *inner = 1;
      return TRUE;
    }
  for (int a = first; a <= last; a++)
    if (!((mask4 >> a) & 1) && shape[a] > 1)
      return FALSE;
  *outer = *count = *inner = 1;
  for (int a = 0; a < 4; a++)
    {
      if (a < first)
        *outer *= shape[a];
      else if (a <= last)
        *count *= shape[a];
      else
        *inner *= shape[a];
    }
  /* size-1 axes inside the kept range are harmless */
  return TRUE;
}

void
eigml_cpu_reduce (const EigmlNode *node)
{
  const float *x = CPU_F32 (node->src[0]);
  float *y = CPU_F32 (node);
  EigmlReduceKind kind = node->ip[0];
  double init = kind == EIGML_REDUCE_MAX ? -INFINITY : 0.0;
  gint64 outer, count, inner;
  ReducePlan p;
  gint64 n_out = node->n_elements;

  if (reduce_as_block (node->src[0], (guint) node->ip[1], &outer, &count, &inner))
    {
      gboolean big = node->src[0]->n_elements > CPU_PARALLEL_MIN;

      if (inner == 1 && outer < 4 && big)
        {
          /* few long rows: split each row across threads */
          for (gint64 o = 0; o < outer; o++)
            {
              const float *r = x + o * count;
              double acc = init;
              if (kind == EIGML_REDUCE_MAX)
                {
#pragma omp parallel for reduction(max:acc) schedule(static)
                  for (gint64 k = 0; k < count; k++)
                    acc = fmax (acc, r[k]);
                }
              else
                {
#pragma omp parallel for reduction(+:acc) schedule(static)
                  for (gint64 k = 0; k < count; k++)
                    acc += kind == EIGML_REDUCE_SUMSQ ? (double) r[k] * r[k] : (double) r[k];
                }
              y[o] = (float) (kind == EIGML_REDUCE_MEAN ? acc / (double) count : acc);
            }
          return;
        }
      if (inner == 1)
        {
#pragma omp parallel for schedule(static) if (big)
          for (gint64 o = 0; o < outer; o++)
            {
              const float *r = x + o * count;
              double acc = init;
              for (gint64 k = 0; k < count; k++)
                acc = reduce_step (kind, acc, r[k]);
              y[o] = (float) (kind == EIGML_REDUCE_MEAN ? acc / (double) count : acc);
            }
          return;
        }
      /* reduce over the middle axis: threads take column blocks, each sums
       * its columns over the rows in order (vectorised along the columns) */
#pragma omp parallel if (big)
      {
        int nt = omp_get_num_threads (), t = omp_get_thread_num ();
        gint64 work = outer * inner;
        gint64 w0 = work * t / nt, w1 = work * (t + 1) / nt;
        g_autofree double *acc = NULL;

        while (w0 < w1)
          {
            gint64 o = w0 / inner, j0 = w0 % inner;
            gint64 j1 = MIN (inner, j0 + (w1 - w0));
            const float *base = x + o * count * inner;

            if (acc == NULL)
              acc = g_new (double, inner);
            for (gint64 j = j0; j < j1; j++)
              acc[j] = init;
            for (gint64 k = 0; k < count; k++)
              {
                const float *r = base + k * inner;
                if (kind == EIGML_REDUCE_MAX)
                  for (gint64 j = j0; j < j1; j++)
                    acc[j] = r[j] > acc[j] ? r[j] : acc[j];
                else if (kind == EIGML_REDUCE_SUMSQ)
                  for (gint64 j = j0; j < j1; j++)
                    acc[j] += (double) r[j] * r[j];
                else
                  for (gint64 j = j0; j < j1; j++)
                    acc[j] += r[j];
              }
            for (gint64 j = j0; j < j1; j++)
              y[o * inner + j] = (float) (kind == EIGML_REDUCE_MEAN ? acc[j] / (double) count
                                                                    : acc[j]);
            w0 += j1 - j0;
          }
      }
      return;
    }

  reduce_plan (node, node->src[0], (guint) node->ip[1], &p);
#pragma omp parallel for schedule(static) if (node->src[0]->n_elements > CPU_PARALLEL_MIN)
  for (gint64 o = 0; o < n_out; o++)
    {
      gint64 base = reduce_base (&p, o);
      double acc = init;
      for (gint64 k = 0; k < p.count; k++)
        acc = reduce_step (kind, acc, x[base + reduce_offset (&p, k)]);
      y[o] = (float) (kind == EIGML_REDUCE_MEAN ? acc / (double) p.count : acc);
    }
}

/* The gradient goes to the maxima, shared equally among ties (as torch.amax). */
void
eigml_cpu_reduce_max_backward (const EigmlNode *node)
{
  const float *x = CPU_F32 (node->src[0]);
  const float *ymax = CPU_F32 (node->src[1]);
  const float *dy = CPU_F32 (node->src[2]);
  float *dx = CPU_F32 (node);
  ReducePlan p;
  gint64 n_out = node->src[1]->n_elements;

  reduce_plan (node->src[1], node->src[0], (guint) node->ip[1], &p);

#pragma omp parallel for schedule(static) if (node->n_elements > CPU_PARALLEL_MIN)
  for (gint64 o = 0; o < n_out; o++)
    {
      gint64 base = reduce_base (&p, o);
      gint64 ties = 0;
      for (gint64 k = 0; k < p.count; k++)
        if (x[base + reduce_offset (&p, k)] == ymax[o])
          ties++;
      for (gint64 k = 0; k < p.count; k++)
        {
          gint64 i = base + reduce_offset (&p, k);
          dx[i] = x[i] == ymax[o] ? dy[o] / (float) ties : 0.0f;
        }
    }
}
