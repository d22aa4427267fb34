/* half.h: IEEE 754 binary16 <-> binary32 conversion (round to nearest even)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>
#include <string.h>

static inline float
eigml_half_to_float (guint16 h)
{
  guint32 sign = (guint32) (h & 0x8000u) << 16;
  guint32 exp = (h >> 10) & 0x1fu;
  guint32 mant = h & 0x3ffu;
  guint32 bits;
  float f;

  if (exp == 0)
    {
      if (mant == 0)
        bits = sign;
      else
        {
          /* subnormal: normalise */
          int e = -1;
          do
            {
              e++;
              mant <<= 1;
            }
          while ((mant & 0x400u) == 0);
          mant &= 0x3ffu;
          bits = sign | ((guint32) (127 - 15 - e) << 23) | (mant << 13);
        }
    }
  else if (exp == 31)
    bits = sign | 0x7f800000u | (mant << 13);
  else
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  memcpy (&f, &bits, 4);
  return f;
}

static inline guint16
eigml_float_to_half (float f)
{
  guint32 x;
  guint32 sign, mant;
  gint32 exp;

  memcpy (&x, &f, 4);
  sign = (x >> 16) & 0x8000u;
  exp = (gint32) ((x >> 23) & 0xffu) - 127 + 15;
  mant = x & 0x7fffffu;

  if (((x >> 23) & 0xffu) == 0xffu)
    return (guint16) (sign | 0x7c00u | (mant ? 0x200u : 0));
  if (exp >= 31)
    return (guint16) (sign | 0x7c00u);
  if (exp <= 0)
    {
      guint32 shift, half_bit, rest;
      if (exp < -10)
        return (guint16) sign;
      mant |= 0x800000u;
      shift = (guint32) (14 - exp);
      half_bit = 1u << (shift - 1);
      rest = mant & ((1u << shift) - 1);
      mant >>= shift;
      if (rest > half_bit || (rest == half_bit && (mant & 1u)))
        mant++;
      return (guint16) (sign | mant);
    }
  {
    guint32 rest = mant & 0x1fffu;
    guint32 h = sign | ((guint32) exp << 10) | (mant >> 13);
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u)))
      h++; /* may carry into the exponent, which is the correct rounding */
    return (guint16) h;
  }
}
