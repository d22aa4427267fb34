/* test-progress.c: the training progress reporter, on a fake clock: JSON
 * lines parsed back, the terminal line, throttling, the rate and the ETA
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "train/progress.h"

typedef struct
{
  gint64 now;
} FakeClock;

static gint64
fake_clock (gpointer user_data)
{
  FakeClock *clock = user_data;

  return clock->now;
}

typedef struct
{
  char *data;
  size_t size;
  FILE *stream;
} MemStream;

static void
mem_stream_open (MemStream *mem)
{
  mem->data = NULL;
  mem->size = 0;
  mem->stream = open_memstream (&mem->data, &mem->size);
  g_assert_nonnull (mem->stream);
}

/* What was written so far */
static const char *
mem_stream_text (MemStream *mem)
{
  fflush (mem->stream);
  return mem->data;
}

static void
mem_stream_close (MemStream *mem)
{
  fclose (mem->stream);
  g_free (mem->data);
}

static guint
count_char (const char *text,
            char c)
{
  guint n = 0;

  for (; *text != '\0'; text++)
    n += *text == c;
  return n;
}

static const char * const term_names[] = { "loss", "itm" };

static JsonObject *
parse_line (JsonParser *parser,
            const char *line)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (json_parser_load_from_data (parser, line, -1, &error));
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (parser));
}

static void
assert_time (JsonObject *object)
{
  g_autoptr (GDateTime) time = NULL;

  time = g_date_time_new_from_iso8601 (json_object_get_string_member (object, "time"), NULL);
  g_assert_nonnull (time);
}

static void
test_json (void)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_auto (GStrv) lines = NULL;
  FakeClock clock = { 0 };
  MemStream mem;
  EigmlProgress *progress;
  static const guint64 logged[] = { 5, 10, 15, 20 };
  guint line = 0;

  mem_stream_open (&mem);
  progress = eigml_progress_new (mem.stream, 2, 20);
  g_assert_false (eigml_progress_get_terminal (progress));
  eigml_progress_set_clock (progress, fake_clock, &clock);
  eigml_progress_set_log_every (progress, 5);

  for (guint epoch = 1; epoch <= 2; epoch++)
    {
      for (guint64 step = 1; step <= 10; step++)
        {
          guint64 global = (epoch - 1) * 10 + step;
          double values[] = { 1.0 / (double) global, 0.5 };

          clock.now += G_USEC_PER_SEC / 2;
          eigml_progress_update (progress, epoch, step, 10, term_names, values, 2);
          g_assert_cmpuint (eigml_progress_get_global_step (progress), ==, global);
        }
      if (epoch == 1)
        eigml_progress_message (progress, "checkpoint %d saved", 1);
    }
  eigml_progress_finish (progress);
  eigml_progress_free (progress);

  lines = g_strsplit (mem_stream_text (&mem), "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 6);
  g_assert_cmpstr (lines[5], ==, "");
  for (guint i = 0; i < 5; i++)
    {
      JsonObject *object = parse_line (parser, lines[i]);
      JsonObject *loss;
      guint64 step;

      g_test_message ("%s", lines[i]);
      assert_time (object);
      if (i == 2)
        {
          g_assert_cmpstr (json_object_get_string_member (object, "message"), ==,
                           "checkpoint 1 saved");
          continue;
        }
      step = logged[line++];
      g_assert_cmpint (json_object_get_int_member (object, "epoch"), ==, step <= 10 ? 1 : 2);
      g_assert_cmpint (json_object_get_int_member (object, "step"), ==, step);
      g_assert_cmpint (json_object_get_int_member (object, "total_steps"), ==, 20);
      /* two steps a second */
      g_assert_cmpfloat_with_epsilon (json_object_get_double_member (object, "it_per_s"), 2.0,
                                      1e-9);
      g_assert_cmpfloat_with_epsilon (json_object_get_double_member (object, "eta_s"),
                                      (20.0 - step) / 2, 1e-9);
      loss = json_object_get_object_member (object, "loss");
      g_assert_cmpuint (json_object_get_size (loss), ==, 2);
      g_assert_cmpfloat (json_object_get_double_member (loss, "loss"), ==, 1.0 / step);
      g_assert_cmpfloat (json_object_get_double_member (loss, "itm"), ==, 0.5);
    }
  mem_stream_close (&mem);
}

/* A run stopped before its end: finish() writes the last step; unknown
 * values and non-finite losses are null. */
static void
test_json_finish (void)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_auto (GStrv) lines = NULL;
  FakeClock clock = { 0 };
  MemStream mem;
  EigmlProgress *progress;
  JsonObject *object;
  double values[] = { NAN };

  mem_stream_open (&mem);
  progress = eigml_progress_new (mem.stream, 1, 100);
  eigml_progress_set_clock (progress, fake_clock, &clock);
  eigml_progress_set_log_every (progress, 5);
  eigml_progress_update (progress, 1, 1, 100, term_names, values, 1);
  g_assert_cmpstr (mem_stream_text (&mem), ==, "");
  for (guint64 step = 2; step <= 7; step++)
    {
      clock.now += G_USEC_PER_SEC;
      eigml_progress_update (progress, 1, step, 100, NULL, NULL, 0);
    }
  eigml_progress_finish (progress);
  eigml_progress_free (progress);

  lines = g_strsplit (mem_stream_text (&mem), "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  object = parse_line (parser, lines[0]);
  g_assert_cmpint (json_object_get_int_member (object, "step"), ==, 5);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (object, "it_per_s"), 1.0, 1e-9);
  object = parse_line (parser, lines[1]);
  g_assert_cmpint (json_object_get_int_member (object, "step"), ==, 7);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (object, "eta_s"), 93.0, 1e-9);
  g_assert_cmpuint (json_object_get_size (json_object_get_object_member (object, "loss")), ==, 0);
  mem_stream_close (&mem);

  /* no rate before a second sample; NaN loss as null */
  mem_stream_open (&mem);
  progress = eigml_progress_new (mem.stream, 1, 1);
  eigml_progress_set_clock (progress, fake_clock, &clock);
  eigml_progress_update (progress, 1, 1, 1, term_names, values, 1);
  eigml_progress_free (progress);
  object = parse_line (parser, mem_stream_text (&mem));
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (object, "it_per_s")));
  g_assert_cmpfloat (json_object_get_double_member (object, "eta_s"), ==, 0.0);
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (
                   json_object_get_object_member (object, "loss"), "loss")));
  mem_stream_close (&mem);
}

/* The text after the last '\r' */
static const char *
last_draw (const char *text)
{
  const char *cr = strrchr (text, '\r');

  g_assert_nonnull (cr);
  return cr + 1;
}

static void
test_terminal (void)
{
  FakeClock clock = { 0 };
  MemStream mem;
  EigmlProgress *progress;
  g_autofree char *before_message = NULL;
  g_autofree char *expected = NULL;
  const char *text;
  double values[] = { 0.693147, 12345.678 };
  double short_values[] = { 1.0, 2.0 };
  const char *line4 =
    "epoch 1/2 step 4/10 [########------------] loss 0.6931 itm 1.235e+04  2.00 it/s  ETA 0:00:08";

  mem_stream_open (&mem);
  progress = eigml_progress_new (mem.stream, 2, 20);
  eigml_progress_set_terminal (progress, TRUE);
  eigml_progress_set_clock (progress, fake_clock, &clock);

  clock.now = G_USEC_PER_SEC;
  eigml_progress_update (progress, 1, 1, 10, term_names, values, 2);
  g_assert_cmpstr (mem_stream_text (&mem), ==,
                   "\repoch 1/2 step 1/10 [##------------------] loss 0.6931 itm 1.235e+04"
                   "  ? it/s  ETA -:--:--");
  for (guint64 step = 2; step <= 4; step++)
    {
      clock.now += G_USEC_PER_SEC / 2;
      eigml_progress_update (progress, 1, step, 10, term_names, values, 2);
    }
  text = mem_stream_text (&mem);
  g_assert_cmpuint (count_char (text, '\r'), ==, 4);
  g_assert_cmpuint (count_char (text, '\n'), ==, 0);
  g_assert_cmpstr (last_draw (text), ==, line4);

  /* a message: bar blanked, message, bar again */
  before_message = g_strdup (text);
  eigml_progress_message (progress, "saved %s", "ckpt-4");
  text = mem_stream_text (&mem);
  expected = g_strdup_printf ("%s\r%*s\rsaved ckpt-4\n\r%s", before_message, (int) strlen (line4),
                              "", line4);
  g_assert_cmpstr (text, ==, expected);

  /* a shorter line blanks the end of the longer one */
  clock.now += G_USEC_PER_SEC / 2;
  eigml_progress_update (progress, 1, 5, 10, term_names, short_values, 2);
  text = last_draw (mem_stream_text (&mem));
  g_assert_cmpuint (strlen (text), ==, strlen (line4));
  g_assert_true (g_str_has_prefix (text, "epoch 1/2 step 5/10 [##########----------] loss 1 itm 2 "));
  g_assert_nonnull (strstr (text, "  2.00 it/s  ETA 0:00:0"));
  g_assert_true (g_str_has_suffix (text, "     "));

  /* the end of an epoch ends its line */
  for (guint64 step = 6; step <= 10; step++)
    {
      clock.now += G_USEC_PER_SEC / 2;
      eigml_progress_update (progress, 1, step, 10, term_names, short_values, 2);
    }
  text = mem_stream_text (&mem);
  g_assert_true (g_str_has_suffix (text, "step 10/10 [####################] loss 1 itm 2"
                                         "  2.00 it/s  ETA 0:00:05\n"));
  clock.now += G_USEC_PER_SEC / 2;
  eigml_progress_update (progress, 2, 1, 10, NULL, NULL, 0);
  text = mem_stream_text (&mem);
  /* 4.5 s left */
  g_assert_true (g_str_has_suffix (text, "\n\repoch 2/2 step 1/10 [##------------------]"
                                         "  2.00 it/s  ETA 0:00:05"));
  eigml_progress_finish (progress);
  text = mem_stream_text (&mem);
  g_assert_true (g_str_has_suffix (text, "ETA 0:00:05\repoch 2/2 step 1/10 [##------------------]"
                                         "  2.00 it/s  ETA 0:00:05\n"));
  eigml_progress_free (progress);
  mem_stream_close (&mem);
}

/* At most one redraw per 100 ms, and the last state at the end of the
 * epoch and at finish() */
static void
test_throttle (void)
{
  FakeClock clock = { 0 };
  MemStream mem;
  EigmlProgress *progress;
  const char *text;

  mem_stream_open (&mem);
  progress = eigml_progress_new (mem.stream, 1, 1000);
  eigml_progress_set_terminal (progress, TRUE);
  eigml_progress_set_clock (progress, fake_clock, &clock);

  /* 100 updates 10 ms apart: drawn at 10, 110, ..., 910 ms */
  for (guint64 step = 1; step <= 100; step++)
    {
      clock.now += 10000;
      eigml_progress_update (progress, 1, step, 1000, NULL, NULL, 0);
    }
  text = mem_stream_text (&mem);
  g_assert_cmpuint (count_char (text, '\r'), ==, 10);
  g_assert_true (strstr (last_draw (text), "step 91/1000") != NULL);
  eigml_progress_finish (progress);
  text = mem_stream_text (&mem);
  g_assert_cmpuint (count_char (text, '\r'), ==, 11);
  g_assert_true (strstr (last_draw (text), "step 100/1000") != NULL);
  g_assert_true (g_str_has_suffix (text, "\n"));
  eigml_progress_free (progress);
  mem_stream_close (&mem);

  /* an epoch's last step is drawn even within the interval */
  mem_stream_open (&mem);
  progress = eigml_progress_new (mem.stream, 1, 100);
  eigml_progress_set_terminal (progress, TRUE);
  eigml_progress_set_clock (progress, fake_clock, &clock);
  for (guint64 step = 1; step <= 100; step++)
    {
      clock.now += 10000;
      eigml_progress_update (progress, 1, step, 100, NULL, NULL, 0);
    }
  text = mem_stream_text (&mem);
  g_assert_cmpuint (count_char (text, '\r'), ==, 11);
  g_assert_cmpuint (count_char (text, '\n'), ==, 1);
  g_assert_true (g_str_has_prefix (last_draw (text), "epoch 1/1 step 100/100"));
  eigml_progress_finish (progress);
  g_assert_cmpuint (count_char (mem_stream_text (&mem), '\n'), ==, 1);
  eigml_progress_free (progress);
  mem_stream_close (&mem);
}

static void
test_rate_and_eta (void)
{
  FakeClock clock = { 0 };
  MemStream mem;
  EigmlProgress *progress;
  g_autofree char *eta = NULL;

  mem_stream_open (&mem);
  progress = eigml_progress_new (mem.stream, 1, 10000);
  eigml_progress_set_clock (progress, fake_clock, &clock);
  eigml_progress_set_log_every (progress, 1000000);

  eigml_progress_update (progress, 1, 0, 10000, NULL, NULL, 0);
  g_assert_true (isnan (eigml_progress_get_rate (progress)));
  g_assert_true (isnan (eigml_progress_get_eta (progress)));
  /* four steps a second for 100 s */
  for (guint64 step = 1; step <= 400; step++)
    {
      clock.now += G_USEC_PER_SEC / 4;
      eigml_progress_update (progress, 1, step, 10000, NULL, NULL, 0);
    }
  g_assert_cmpfloat_with_epsilon (eigml_progress_get_rate (progress), 4.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (eigml_progress_get_eta (progress), 2400.0, 1e-6);
  eta = eigml_progress_format_duration (eigml_progress_get_eta (progress));
  g_assert_cmpstr (eta, ==, "0:40:00");

  /* slowing to two a second: the average moves by 0.3 of each sample */
  clock.now += G_USEC_PER_SEC / 2;
  eigml_progress_update (progress, 1, 401, 10000, NULL, NULL, 0);
  g_assert_cmpfloat_with_epsilon (eigml_progress_get_rate (progress),
                                  1.0 / (0.3 * 0.5 + 0.7 * 0.25), 1e-9);
  for (guint64 step = 402; step <= 500; step++)
    {
      clock.now += G_USEC_PER_SEC / 2;
      eigml_progress_update (progress, 1, step, 10000, NULL, NULL, 0);
    }
  g_assert_cmpfloat_with_epsilon (eigml_progress_get_rate (progress), 2.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (eigml_progress_get_eta (progress), 9500.0 / 2, 1e-6);

  /* updates 10 ms apart are sampled every 100 ms: 10 steps per sample */
  for (guint64 step = 501; step <= 1500; step++)
    {
      clock.now += 10000;
      eigml_progress_update (progress, 1, step, 10000, NULL, NULL, 0);
    }
  g_assert_cmpfloat_with_epsilon (eigml_progress_get_rate (progress), 100.0, 1e-6);
  eigml_progress_free (progress);

  /* resuming in epoch 3 of 5 counts the two epochs before as done */
  progress = eigml_progress_new (mem.stream, 5, 50);
  eigml_progress_set_clock (progress, fake_clock, &clock);
  eigml_progress_update (progress, 3, 5, 10, NULL, NULL, 0);
  g_assert_cmpuint (eigml_progress_get_global_step (progress), ==, 25);
  eigml_progress_update (progress, 3, 10, 10, NULL, NULL, 0);
  eigml_progress_update (progress, 4, 1, 10, NULL, NULL, 0);
  g_assert_cmpuint (eigml_progress_get_global_step (progress), ==, 31);
  eigml_progress_update (progress, 5, 10, 10, NULL, NULL, 0);
  g_assert_cmpuint (eigml_progress_get_global_step (progress), ==, 50);
  g_assert_cmpfloat (eigml_progress_get_eta (progress), ==, 0.0);
  eigml_progress_free (progress);
  mem_stream_close (&mem);
}

static void
test_format_duration (void)
{
  static const struct
  {
    double seconds;
    const char *text;
  } cases[] = {
    { 0.0, "0:00:00" }, { 59.4, "0:00:59" }, { 59.6, "0:01:00" }, { 3725.0, "1:02:05" },
    { 360000.0, "100:00:00" }, { NAN, "-:--:--" }, { INFINITY, "-:--:--" }, { -1.0, "-:--:--" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = eigml_progress_format_duration (cases[i].seconds);

      g_assert_cmpstr (text, ==, cases[i].text);
    }
}

int
main (int argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cpu/progress/json", test_json);
  g_test_add_func ("/cpu/progress/json-finish", test_json_finish);
  g_test_add_func ("/cpu/progress/terminal", test_terminal);
  g_test_add_func ("/cpu/progress/throttle", test_throttle);
  g_test_add_func ("/cpu/progress/rate-and-eta", test_rate_and_eta);
  g_test_add_func ("/cpu/progress/format-duration", test_format_duration);

  return g_test_run ();
}
