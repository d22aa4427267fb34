/* cpu-elementwise.c: fill, broadcasting binary ops, scale, activations,
 * their derivatives, accumulate, dropout, broadcast
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "cpu-private.h"
#include "cpu-vecmath.h"
#include "engine/philox.h"

#include <math.h>

void
eigml_cpu_fill (const EigmlNode *node)
{
  float *y = CPU_F32 (node);
  float v = node->fp[0];
  gint64 n = node->n_elements;

#pragma omp parallel for schedule(static) if (n > CPU_PARALLEL_MIN)
  for (gint64 i = 0; i < n; i++)
    y[i] = v;
}

static inline float
binary_apply (EigmlBinaryKind kind,
              float a,
              float b)
{
  switch (kind)
    {
    case EIGML_BINARY_ADD:
      return a + b;
    case EIGML_BINARY_SUB:
      return a - b;
    case EIGML_BINARY_MUL:
      return a * b;
    case EIGML_BINARY_DIV:
    default:
      return a / b;
    }
}

void
eigml_cpu_binary (const EigmlNode *node)
{
  const EigmlNode *na = node->src[0], *nb = node->src[1];
  const float *a = CPU_F32 (na), *b = CPU_F32 (nb);
  float *y = CPU_F32 (node);
  EigmlBinaryKind kind = node->ip[0];
  gint64 n = node->n_elements;
  gint64 shape[4], sa[4], sb[4];

  if (na->n_elements == n && nb->n_elements == n)
    {
      switch (kind)
        {
        case EIGML_BINARY_ADD:
#pragma omp parallel for schedule(static) if (n > CPU_PARALLEL_MIN)
          for (gint64 i = 0; i < n; i++)
            y[i] = a[i] + b[i];
          break;
        case EIGML_BINARY_MUL:
#pragma omp parallel for schedule(static) if (n > CPU_PARALLEL_MIN)
          for (gint64 i = 0; i < n; i++)
            y[i] = a[i] * b[i];
          break;
        default:
#pragma omp parallel for schedule(static) if (n > CPU_PARALLEL_MIN)
          for (gint64 i = 0; i < n; i++)
            y[i] = binary_apply (kind, a[i], b[i]);
          break;
        }
      return;
    }

  /* a row vector over rows (bias add, per-feature scale) */
  if (na->n_elements == n && nb->n_dims >= 1 && node->n_dims >= 1 &&
      nb->n_elements == nb->shape[nb->n_dims - 1] &&
      nb->n_elements == node->shape[node->n_dims - 1])
    {
      gint64 cols = nb->n_elements, rows = n / cols;
#pragma omp parallel for schedule(static) if (n > CPU_PARALLEL_MIN)
      for (gint64 r = 0; r < rows; r++)
        {
          const float *ra = a + r * cols;
          float *ry = y + r * cols;
          switch (kind)
            {
            case EIGML_BINARY_ADD:
              for (gint64 j = 0; j < cols; j++)
                ry[j] = ra[j] + b[j];
              break;
            case EIGML_BINARY_MUL:
              for (gint64 j = 0; j < cols; j++)
                ry[j] = ra[j] * b[j];
              break;
            default:
              for (gint64 j = 0; j < cols; j++)
                ry[j] = binary_apply (kind, ra[j], b[j]);
              break;
            }
        }
      return;
    }

  eigml_node_shape4 (node, shape);
  cpu_broadcast_strides4 (na, shape, sa);
  cpu_broadcast_strides4 (nb, shape, sb);

#pragma omp parallel for collapse(3) schedule(static) if (n > CPU_PARALLEL_MIN)
  for (gint64 i0 = 0; i0 < shape[0]; i0++)
    for (gint64 i1 = 0; i1 < shape[1]; i1++)
      for (gint64 i2 = 0; i2 < shape[2]; i2++)
        {
          gint64 oy = ((i0 * shape[1] + i1) * shape[2] + i2) * shape[3];
          const float *ra = a + i0 * sa[0] + i1 * sa[1] + i2 * sa[2];
          const float *rb = b + i0 * sb[0] + i1 * sb[1] + i2 * sb[2];
          for (gint64 i3 = 0; i3 < shape[3]; i3++)
            y[oy + i3] = binary_apply (kind, ra[i3 * sa[3]], rb[i3 * sb[3]]);
        }
}

void
eigml_cpu_scale (const EigmlNode *node)
{
  const float *x = CPU_F32 (node->src[0]);
  float *y = CPU_F32 (node);
  float s = node->fp[0], c = node->fp[1];
  gint64 n = node->n_elements;

#pragma omp parallel for schedule(static) if (n > CPU_PARALLEL_MIN)
  for (gint64 i = 0; i < n; i++)
    y[i] = x[i] * s + c;
}

/* GELU (erf form) = x Phi(x); its derivative Phi(x) + x phi(x) */
static inline __attribute__ ((always_inline)) float
gelu (float x)
{
  return x * cpu_normal_cdf (x);
}

static inline __attribute__ ((always_inline)) float
gelu_grad (float x)
{
  return cpu_normal_cdf (x) + x * cpu_normal_pdf (x);
}

static inline __attribute__ ((always_inline)) float
sigmoid (float x)
{
  /* e = exp(-|x|) <= 1: stable for large |x| */
  float e = cpu_expf (x < 0.0f ? x : -x);
  return x >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
}

typedef struct
{
  const float *x;
  const float *dy;
  float *y;
  EigmlUnaryKind kind;
} UnaryArgs;

CPU_CLONES static void
unary_range (gint64 start,
             gint64 end,
             gpointer data)
{
  const UnaryArgs *u = data;
  const float *x = u->x;
  float *y = u->y;

  switch (u->kind)
    {
    case EIGML_UNARY_GELU:
#pragma omp simd
      for (gint64 i = start; i < end; i++)
        y[i] = gelu (x[i]);
      break;
    case EIGML_UNARY_TANH:
      for (gint64 i = start; i < end; i++)
        y[i] = tanhf (x[i]);
      break;
    case EIGML_UNARY_SIGMOID:
#pragma omp simd
      for (gint64 i = start; i < end; i++)
        y[i] = sigmoid (x[i]);
      break;
    case EIGML_UNARY_RELU:
#pragma omp simd
      for (gint64 i = start; i < end; i++)
        y[i] = x[i] > 0.0f ? x[i] : 0.0f;
      break;
    case EIGML_UNARY_EXP:
      for (gint64 i = start; i < end; i++)
        y[i] = expf (x[i]);
      break;
    case EIGML_UNARY_LOG:
      for (gint64 i = start; i < end; i++)
        y[i] = logf (x[i]);
      break;
    case EIGML_UNARY_SQUARE:
#pragma omp simd
      for (gint64 i = start; i < end; i++)
        y[i] = x[i] * x[i];
      break;
    case EIGML_UNARY_SQRT:
#pragma omp simd
      for (gint64 i = start; i < end; i++)
        y[i] = sqrtf (x[i]);
      break;
    }
}

void
eigml_cpu_unary (const EigmlNode *node)
{
  UnaryArgs u = { CPU_F32 (node->src[0]), NULL, CPU_F32 (node), node->ip[0] };

  cpu_parallel_ranges (node->n_elements, CPU_PARALLEL_MIN / 4, unary_range, &u);
}

/* x is x (GELU, RELU, LOG, SQUARE) or y (TANH, SIGMOID, EXP, SQRT). */
CPU_CLONES static void
unary_backward_range (gint64 start,
                      gint64 end,
                      gpointer data)
{
  const UnaryArgs *u = data;
  const float *r = u->x, *dy = u->dy;
  float *dx = u->y;

  switch (u->kind)
    {
    case EIGML_UNARY_GELU:
#pragma omp simd
      for (gint64 i = start; i < end; i++)
        dx[i] = dy[i] * gelu_grad (r[i]);
      break;
    case EIGML_UNARY_TANH:
#pragma omp simd
      for (gint64 i = start; i < end; i++)
        dx[i] = dy[i] * (1.0f - r[i] * r[i]);
      break;
    case EIGML_UNARY_SIGMOID:
#pragma omp simd
      for (gint64 i = start; i < end; i++)
        dx[i] = dy[i] * r[i] * (1.0f - r[i]);
      break;
    case EIGML_UNARY_RELU:
#pragma omp simd
      for (gint64 i = start; i < end; i++)
        dx[i] = r[i] > 0.0f ? dy[i] : 0.0f;
      break;
    case EIGML_UNARY_EXP:
#pragma omp simd
      for (gint64 i = start; i < end; i++)
        dx[i] = dy[i] * r[i];
      break;
    case EIGML_UNARY_LOG:
#pragma omp simd
      for (gint64 i = start; i < end; i++)
        dx[i] = dy[i] / r[i];
      break;
    case EIGML_UNARY_SQUARE:
#pragma omp simd
      for (gint64 i = start; i < end; i++)
        dx[i] = dy[i] * 2.0f * r[i];
      break;
    case EIGML_UNARY_SQRT:
#pragma omp simd
      for (gint64 i = start; i < end; i++)
        dx[i] = dy[i] * 0.5f / r[i];
      break;
    }
}

void
eigml_cpu_unary_backward (const EigmlNode *node)
{
  UnaryArgs u = { CPU_F32 (node->src[0]), CPU_F32 (node->src[1]), CPU_F32 (node), node->ip[0] };

  cpu_parallel_ranges (node->n_elements, CPU_PARALLEL_MIN / 4, unary_backward_range, &u);
}

void
eigml_cpu_acc (const EigmlNode *node)
{
  float *dst = CPU_F32 (node->src[0]);
  const float *v = CPU_F32 (node->src[1]);
  gint64 n = node->n_elements;

#pragma omp parallel for schedule(static) if (n > CPU_PARALLEL_MIN)
  for (gint64 i = 0; i < n; i++)
    dst[i] += v[i];
}

typedef struct
{
  const float *x;
  float *y;
  gint64 n;
  guint32 state[4];
  guint32 stream;
  float p;
  float scale;
} DropoutArgs;

/* Philox for 16 counters at a time, lane by lane, so that the 32 x 32 -> 64
 * bit products vectorise; the words are those of eigml_philox_word(). */
CPU_CLONES static void
dropout_range (gint64 g_start,
               gint64 g_end,
               gpointer data)
{
  const DropoutArgs *d = data;

  for (gint64 gb = g_start; gb < g_end; gb += 16)
    {
      guint32 c0[16], c1[16], c2[16], c3[16];
      guint32 k0 = d->state[0], k1 = d->state[1];

      for (int l = 0; l < 16; l++)
        {
          c0[l] = (guint32) (gb + l);
          c1[l] = d->stream;
          c2[l] = d->state[2];
          c3[l] = d->state[3];
        }
      for (int round = 0; round < 10; round++)
        {
#pragma omp simd
          for (int l = 0; l < 16; l++)
            {
              guint64 p0 = (guint64) EIGML_PHILOX_M0 * c0[l];
              guint64 p1 = (guint64) EIGML_PHILOX_M1 * c2[l];
              guint32 n0 = (guint32) (p1 >> 32) ^ c1[l] ^ k0;
              guint32 n2 = (guint32) (p0 >> 32) ^ c3[l] ^ k1;
              c1[l] = (guint32) p1;
              c3[l] = (guint32) p0;
              c0[l] = n0;
              c2[l] = n2;
            }
          k0 += EIGML_PHILOX_W0;
          k1 += EIGML_PHILOX_W1;
        }
      {
        /* words in element order, then one vector pass over 64 elements */
        guint32 words[64];
        gint64 base = gb * 4;
        /* not past this range: with an in-place dropout, the next range's
         * thread may not have read its inputs yet */
        gint64 count = MIN (64, MIN (d->n, g_end * 4) - base);
        const float *x = d->x + base;
        float *y = d->y + base;
        float p = d->p, scale = d->scale;

        for (int l = 0; l < 16; l++)
          {
            words[4 * l] = c0[l];
            words[4 * l + 1] = c1[l];
            words[4 * l + 2] = c2[l];
            words[4 * l + 3] = c3[l];
          }
#pragma omp simd
        for (gint64 i = 0; i < count; i++)
          y[i] = (float) (words[i] >> 8) * (1.0f / 16777216.0f) >= p ? x[i] * scale : 0.0f;
      }
    }
}

void
eigml_cpu_dropout (const EigmlNode *node)
{
  const guint32 *state = (const guint32 *) CPU_PTR (node->src[1]);
  DropoutArgs d = { CPU_F32 (node->src[0]), CPU_F32 (node), node->n_elements,
                    { state[0], state[1], state[2], state[3] }, (guint32) node->ip[0],
                    node->fp[0], node->fp[1] };

  cpu_parallel_ranges ((node->n_elements + 3) / 4, CPU_PARALLEL_MIN / 16, dropout_range, &d);
}

void
eigml_cpu_broadcast (const EigmlNode *node)
{
  const float *x = CPU_F32 (node->src[0]);
  float *y = CPU_F32 (node);
  gint64 shape[4], sx[4];

  eigml_node_shape4 (node, shape);
  cpu_broadcast_strides4 (node->src[0], shape, sx);

#pragma omp parallel for collapse(3) schedule(static) if (node->n_elements > CPU_PARALLEL_MIN)
  for (gint64 i0 = 0; i0 < shape[0]; i0++)
    for (gint64 i1 = 0; i1 < shape[1]; i1++)
      for (gint64 i2 = 0; i2 < shape[2]; i2++)
        {
          gint64 oy = ((i0 * shape[1] + i1) * shape[2] + i2) * shape[3];
          const float *r = x + i0 * sx[0] + i1 * sx[1] + i2 * sx[2];
          for (gint64 i3 = 0; i3 < shape[3]; i3++)
            y[oy + i3] = r[i3 * sx[3]];
        }
}
