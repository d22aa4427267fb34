/* test-images-fixtures.h: small image files written by hand for the image
 * tests (.npy, GIF, PNG header patches) and through gdk-pixbuf and the
 * webp tools (PNG, JPEG, WebP)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A deterministic pattern: width * height * channels bytes. With
 * channels == 4 the alpha covers 0, 255 and values between. */
guint8 *fixture_pattern (guint width,
                         guint height,
                         guint channels,
                         guint seed);

/* A smooth pattern (gradients) that JPEG and lossy WebP keep close. */
guint8 *fixture_smooth (guint width,
                        guint height);

/* The pixel a decoder must produce for RGBA over white. */
guint8 fixture_over_white (guint8 c,
                           guint8 a);

/* .npy with the given header dict text (padded to 64 bytes with spaces and
 * a newline, as numpy does) and data; major 1 (uint16 length) or 2, 3. */
GBytes *fixture_npy (guint major,
                     const char *dict,
                     const guint8 *data,
                     gsize n_data);

/* PNG, JPEG or WebP through gdk-pixbuf's savers ("png", "jpeg", "webp"),
 * with an optional quality option. */
GBytes *fixture_pixbuf_save (const guint8 *pixels,
                             guint width,
                             guint height,
                             guint channels,
                             const char *type,
                             const char *quality);

/* GIF89a with a global palette (n_colors <= 128) and one image per frame
 * (width * height palette indices each); transparent < 0 for none. */
GBytes *fixture_gif (guint screen_width,
                     guint screen_height,
                     guint width,
                     guint height,
                     const guint8 *palette,
                     guint n_colors,
                     int transparent,
                     guint n_frames,
                     const guint8 *const *frames);

/* A copy of a PNG with IHDR's width and height replaced (CRC fixed). */
GBytes *fixture_png_resize_header (GBytes *png,
                                   guint32 width,
                                   guint32 height);

/* A copy of a baseline JPEG with the SOF0 dimensions replaced. */
GBytes *fixture_jpeg_resize_header (GBytes *jpeg,
                                    guint16 width,
                                    guint16 height);

/* A copy of data[0, length) with byte i ^= mask where mask != 0. */
GBytes *fixture_mutate (GBytes *data,
                        gsize length,
                        gsize flip_at,
                        guint8 mask);

/* An independent float64 bicubic resize of RGB8 (a = -0.5, the support
 * stretched when shrinking, taps normalised), one pass per axis without
 * rounding; dst holds dw * dh * 3 doubles. */
void fixture_reference_resize (const guint8 *src,
                               guint sw,
                               guint sh,
                               double *dst,
                               guint dw,
                               guint dh);

/* Runs a program (argv[0] looked up in PATH); fails the test when it is
 * missing or fails. */
void fixture_run_tool (const char *const *argv);

/* Writes data to dir/name and returns the path. */
char *fixture_write (const char *dir,
                     const char *name,
                     GBytes *data);

G_END_DECLS
