/* cpu-elementwise.c: fill, broadcasting binary ops, scale, activations,
 * their derivatives, accumulate, dropout, broadcast
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "cpu-private.h"
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

static inline float
gelu (float x)
{
  return 0.5f * x * (1.0f + erff (x * (float) M_SQRT1_2));
}

static inline float
gelu_grad (float x)
{
  float cdf = 0.5f * (1.0f + erff (x * (float) M_SQRT1_2));
  float pdf = expf (-0.5f * x * x) * (float) (0.5 * M_2_SQRTPI * M_SQRT1_2);
  return cdf + x * pdf;
}

static inline float
sigmoid (float x)
{
  /* stable for large |x| */
  if (x >= 0.0f)
    return 1.0f / (1.0f + expf (-x));
  {
    float e = expf (x);
    return e / (1.0f + e);
  }
}

void
eigml_cpu_unary (const EigmlNode *node)
{
  const float *x = CPU_F32 (node->src[0]);
  float *y = CPU_F32 (node);
  gint64 n = node->n_elements;

  switch ((EigmlUnaryKind) node->ip[0])
    {
    case EIGML_UNARY_GELU:
#pragma omp parallel for schedule(static) if (n > CPU_PARALLEL_MIN / 4)
      for (gint64 i = 0; i < n; i++)
        y[i] = gelu (x[i]);
      break;
    case EIGML_UNARY_TANH:
#pragma omp parallel for schedule(static) if (n > CPU_PARALLEL_MIN / 4)
      for (gint64 i = 0; i < n; i++)
        y[i] = tanhf (x[i]);
      break;
    case EIGML_UNARY_SIGMOID:
#pragma omp parallel for schedule(static) if (n > CPU_PARALLEL_MIN / 4)
      for (gint64 i = 0; i < n; i++)
        y[i] = sigmoid (x[i]);
      break;
    case EIGML_UNARY_RELU:
#pragma omp parallel for schedule(static) if (n > CPU_PARALLEL_MIN)
      for (gint64 i = 0; i < n; i++)
        y[i] = x[i] > 0.0f ? x[i] : 0.0f;
      break;
    case EIGML_UNARY_EXP:
#pragma omp parallel for schedule(static) if (n > CPU_PARALLEL_MIN / 4)
      for (gint64 i = 0; i < n; i++)
        y[i] = expf (x[i]);
      break;
    case EIGML_UNARY_LOG:
#pragma omp parallel for schedule(static) if (n > CPU_PARALLEL_MIN / 4)
      for (gint64 i = 0; i < n; i++)
        y[i] = logf (x[i]);
      break;
    case EIGML_UNARY_SQUARE:
#pragma omp parallel for schedule(static) if (n > CPU_PARALLEL_MIN)
      for (gint64 i = 0; i < n; i++)
        y[i] = x[i] * x[i];
      break;
    case EIGML_UNARY_SQRT:
#pragma omp parallel for schedule(static) if (n > CPU_PARALLEL_MIN / 4)
      for (gint64 i = 0; i < n; i++)
        y[i] = sqrtf (x[i]);
      break;
    }
}

/* src[0] is x (GELU, RELU, LOG, SQUARE) or y (TANH, SIGMOID, EXP, SQRT). */
void
eigml_cpu_unary_backward (const EigmlNode *node)
{
  const float *r = CPU_F32 (node->src[0]);
  const float *dy = CPU_F32 (node->src[1]);
  float *dx = CPU_F32 (node);
  gint64 n = node->n_elements;
  EigmlUnaryKind kind = node->ip[0];

#pragma omp parallel for schedule(static) if (n > CPU_PARALLEL_MIN / 4)
  for (gint64 i = 0; i < n; i++)
    {
      float v = r[i], d;
      switch (kind)
        {
        case EIGML_UNARY_GELU:
          d = gelu_grad (v);
          break;
        case EIGML_UNARY_TANH:
          d = 1.0f - v * v;
          break;
        case EIGML_UNARY_SIGMOID:
          d = v * (1.0f - v);
          break;
        case EIGML_UNARY_RELU:
          d = v > 0.0f ? 1.0f : 0.0f;
          break;
        case EIGML_UNARY_EXP:
          d = v;
          break;
        case EIGML_UNARY_LOG:
          d = 1.0f / v;
          break;
        case EIGML_UNARY_SQUARE:
          d = 2.0f * v;
          break;
        case EIGML_UNARY_SQRT:
        default:
          d = 0.5f / v;
          break;
        }
      dx[i] = dy[i] * d;
    }
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

void
eigml_cpu_dropout (const EigmlNode *node)
{
  const float *x = CPU_F32 (node->src[0]);
  const guint32 *state = (const guint32 *) CPU_PTR (node->src[1]);
  float *y = CPU_F32 (node);
  gint64 n = node->n_elements;
  guint32 key[2] = { state[0], state[1] };
  guint32 stream = (guint32) node->ip[0];
  float p = node->fp[0], scale = node->fp[1];

#pragma omp parallel for schedule(static) if (n > CPU_PARALLEL_MIN / 4)
  for (gint64 g = 0; g < (n + 3) / 4; g++)
    {
      guint32 counter[4] = { (guint32) g, stream, state[2], state[3] };
      guint32 words[4];
      eigml_philox4x32_10 (counter, key, words);
      for (gint64 j = 0; j < 4 && g * 4 + j < n; j++)
        {
          gint64 i = g * 4 + j;
          y[i] = eigml_philox_uniform (words[j]) >= p ? x[i] * scale : 0.0f;
        }
    }
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
