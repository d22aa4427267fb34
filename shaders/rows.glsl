/* rows.glsl: workgroup-wide reductions for kernels that give one workgroup
 * to each row
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A shared-memory tree over WG_SIZE (a power of two) entries: correct for
 * any subgroup size and any row length, including 1 and rows longer than
 * the workgroup (each invocation first folds its strided share). The
 * result is returned to every invocation; the trailing barrier makes the
 * scratch reusable at once.
 */

shared float row_red_a[WG_SIZE];
shared float row_red_b[WG_SIZE];

float
row_sum (float v)
{
  uint lid = gl_LocalInvocationID.x;

  row_red_a[lid] = v;
  barrier ();
  for (uint s = WG_SIZE / 2; s > 0; s >>= 1)
    {
      if (lid < s)
        row_red_a[lid] += row_red_a[lid + s];
      barrier ();
    }
  v = row_red_a[0];
  barrier ();
  return v;
}

vec2
row_sum2 (vec2 v)
{
  uint lid = gl_LocalInvocationID.x;

  row_red_a[lid] = v.x;
  row_red_b[lid] = v.y;
  barrier ();
  for (uint s = WG_SIZE / 2; s > 0; s >>= 1)
    {
      if (lid < s)
        {
          row_red_a[lid] += row_red_a[lid + s];
          row_red_b[lid] += row_red_b[lid + s];
        }
      barrier ();
    }
  v = vec2 (row_red_a[0], row_red_b[0]);
  barrier ();
  return v;
}

/* NaN-ignoring like the CPU's "v > max ? v : max" */
float
row_max (float v)
{
  uint lid = gl_LocalInvocationID.x;

  row_red_a[lid] = v;
  barrier ();
  for (uint s = WG_SIZE / 2; s > 0; s >>= 1)
    {
      if (lid < s)
        {
          float o = row_red_a[lid + s];
          if (o > row_red_a[lid])
            row_red_a[lid] = o;
        }
      barrier ();
    }
  v = row_red_a[0];
  barrier ();
  return v;
}
