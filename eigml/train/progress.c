/* progress.c: training progress on a terminal or as JSON lines
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * On a terminal (isatty on the stream, or forced) one line per epoch is
 * redrawn in place with '\r', at most once per redraw interval (100 ms by
 * default), and drawn a last time and ended at the end of the epoch:
 *
 *   epoch 1/3 step 150/400 [#######-------------] loss 0.6931 itm 0.1234  12.50 it/s  ETA 0:01:23
 *
 * The bar and "step s/S" are the current epoch's; the rate and the ETA
 * are the whole run's. Otherwise (a log file, a pipe) every log_every
 * steps one JSON object is written per line:
 *
 *   {"epoch":1,"step":150,"total_steps":1200,"it_per_s":12.5,"eta_s":84.0,
 *    "loss":{"loss":0.6931,"itm":0.1234},"time":"2026-01-31T12:00:00.000000Z"}
 *
 * where "step" counts steps over the whole run. The rate is an exponential
 * moving average (weight 0.3 on the newest) of the steps and the seconds
 * between samples taken at least 100 ms apart, the ratio of the two
 * averages; the ETA is the steps left over that rate. Unknown values (no
 * sample yet) are null in JSON and "?" on the terminal.
 *
 * eigml_progress_message() prints a line of text above the bar (blanking
 * the bar, printing, drawing the bar again), or a {"message":…,"time":…}
 * object in JSON mode. The clock is a parameter so that tests can run on
 * a fake one.
 */
#include "config.h"

#include "progress.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#define BAR_WIDTH 20
#define DEFAULT_LOG_EVERY 10
#define DEFAULT_REDRAW_INTERVAL_US (G_USEC_PER_SEC / 10)
#define RATE_SAMPLE_INTERVAL_US (G_USEC_PER_SEC / 10)
#define RATE_SMOOTHING 0.3

struct _EigmlProgress
{
  FILE *stream;
  guint n_epochs;
  guint64 total_steps;
  EigmlProgressClock clock;
  gpointer clock_data;
  gboolean terminal;
  guint64 log_every;
  gint64 redraw_interval;

  /* where the run is */
  gboolean started;
  guint epoch;
  guint64 step;
  guint64 n_steps;
  guint64 epoch_base;          /* steps of the epochs before this one */
  guint64 global_step;

  /* rate: averages of the steps and seconds between samples */
  gint64 sample_time;
  guint64 sample_step;
  gboolean have_rate;
  double mean_steps;
  double mean_seconds;

  /* terminal */
  GString *line;               /* the bar of the last update */
  gsize drawn_length;          /* of the unfinished line on screen; 0 if none */
  gint64 last_draw;

  /* JSON */
  guint64 last_logged;
  char *pending_json;          /* the last update's object, if not written */
};

static gint64
monotonic_clock (gpointer user_data)
{
  return g_get_monotonic_time ();
}

EigmlProgress *
eigml_progress_new (FILE *stream,
                    guint n_epochs,
                    guint64 total_steps)
{
  EigmlProgress *progress = g_new0 (EigmlProgress, 1);
  int fd = fileno (stream);

  progress->stream = stream;
  progress->n_epochs = n_epochs;
  progress->total_steps = total_steps;
  progress->clock = monotonic_clock;
  progress->terminal = fd >= 0 && isatty (fd);
  progress->log_every = DEFAULT_LOG_EVERY;
  progress->redraw_interval = DEFAULT_REDRAW_INTERVAL_US;
  progress->line = g_string_new (NULL);
  return progress;
}

void
eigml_progress_free (EigmlProgress *progress)
{
  if (progress == NULL)
    return;
  g_string_free (progress->line, TRUE);
  g_free (progress->pending_json);
  g_free (progress);
}

void
eigml_progress_set_clock (EigmlProgress *progress,
                          EigmlProgressClock clock,
                          gpointer user_data)
{
  progress->clock = clock != NULL ? clock : monotonic_clock;
  progress->clock_data = user_data;
}

void
eigml_progress_set_terminal (EigmlProgress *progress,
                             gboolean terminal)
{
  progress->terminal = terminal;
}

gboolean
eigml_progress_get_terminal (EigmlProgress *progress)
{
  return progress->terminal;
}

void
eigml_progress_set_log_every (EigmlProgress *progress,
                              guint64 log_every)
{
  progress->log_every = MAX (log_every, 1);
}

void
eigml_progress_set_redraw_interval (EigmlProgress *progress,
                                    gint64 microseconds)
{
  progress->redraw_interval = MAX (microseconds, 0);
}

guint64
eigml_progress_get_global_step (EigmlProgress *progress)
{
  return progress->global_step;
}

double
eigml_progress_get_rate (EigmlProgress *progress)
{
  if (!progress->have_rate || progress->mean_seconds <= 0.0)
    return NAN;
  return progress->mean_steps / progress->mean_seconds;
}

double
eigml_progress_get_eta (EigmlProgress *progress)
{
  double rate = eigml_progress_get_rate (progress);
  guint64 left;

  if (progress->global_step >= progress->total_steps)
    return 0.0;
  if (isnan (rate) || rate <= 0.0)
    return NAN;
  left = progress->total_steps - progress->global_step;
  return (double) left / rate;
}

/* h:mm:ss, hours unbounded; "-:--:--" when unknown */
char *
eigml_progress_format_duration (double seconds)
{
  guint64 total;

  if (!isfinite (seconds) || seconds < 0.0 || seconds >= (double) G_MAXUINT64 / 2)
    return g_strdup ("-:--:--");
  total = (guint64) (seconds + 0.5);
  return g_strdup_printf ("%" G_GUINT64_FORMAT ":%02u:%02u", total / 3600,
                          (guint) (total / 60 % 60), (guint) (total % 60));
}

/* Moves to (epoch, step); the steps of the earlier epochs are counted
 * from the epochs seen, or as full epochs of n_steps when the run starts
 * (or resumes) in the middle. */
static void
advance (EigmlProgress *progress,
         guint epoch,
         guint64 step,
         guint64 n_steps)
{
  if (!progress->started || epoch != progress->epoch)
    {
      if (progress->started && epoch == progress->epoch + 1)
        progress->epoch_base += progress->n_steps;
      else
        progress->epoch_base = (guint64) (epoch > 0 ? epoch - 1 : 0) * n_steps;
    }
  progress->epoch = epoch;
  progress->step = step;
  progress->n_steps = n_steps;
  progress->global_step = progress->epoch_base + step;
}

static void
sample_rate (EigmlProgress *progress,
             gint64 now)
{
  double steps, seconds;

  if (!progress->started || progress->global_step < progress->sample_step)
    {
      /* the first update, or a restart: a new origin */
      progress->sample_time = now;
      progress->sample_step = progress->global_step;
      progress->have_rate = FALSE;
      return;
    }
  if (now - progress->sample_time < RATE_SAMPLE_INTERVAL_US ||
      progress->global_step == progress->sample_step)
    return;

  steps = (double) (progress->global_step - progress->sample_step);
  seconds = (double) (now - progress->sample_time) / G_USEC_PER_SEC;
  if (!progress->have_rate)
    {
      progress->mean_steps = steps;
      progress->mean_seconds = seconds;
      progress->have_rate = TRUE;
    }
  else
    {
      progress->mean_steps = RATE_SMOOTHING * steps + (1.0 - RATE_SMOOTHING) * progress->mean_steps;
      progress->mean_seconds = RATE_SMOOTHING * seconds +
                               (1.0 - RATE_SMOOTHING) * progress->mean_seconds;
    }
  progress->sample_time = now;
  progress->sample_step = progress->global_step;
}

static void
format_line (EigmlProgress *progress,
             const char * const *term_names,
             const double *term_values,
             guint n_terms)
{
  GString *line = progress->line;
  double rate = eigml_progress_get_rate (progress);
  g_autofree char *eta = eigml_progress_format_duration (eigml_progress_get_eta (progress));
  guint filled = 0;

  if (progress->n_steps > 0)
    filled = (guint) (MIN (progress->step, progress->n_steps) * BAR_WIDTH / progress->n_steps);

  g_string_truncate (line, 0);
  g_string_append_printf (line, "epoch %u/%u step %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " [",
                          progress->epoch, progress->n_epochs, progress->step, progress->n_steps);
  for (guint i = 0; i < BAR_WIDTH; i++)
    g_string_append_c (line, i < filled ? '#' : '-');
  g_string_append_c (line, ']');
  for (guint i = 0; i < n_terms; i++)
    g_string_append_printf (line, " %s %.4g", term_names[i], term_values[i]);
  if (isnan (rate))
    g_string_append (line, "  ? it/s");
  else
    g_string_append_printf (line, "  %.2f it/s", rate);
  g_string_append_printf (line, "  ETA %s", eta);
}

static void
draw_line (EigmlProgress *progress)
{
  fputc ('\r', progress->stream);
  fputs (progress->line->str, progress->stream);
  /* blank what is left of a longer line */
  for (gsize i = progress->line->len; i < progress->drawn_length; i++)
    fputc (' ', progress->stream);
  progress->drawn_length = MAX (progress->line->len, 1);
  fflush (progress->stream);
}

static void
end_line (EigmlProgress *progress)
{
  fputc ('\n', progress->stream);
  fflush (progress->stream);
  progress->drawn_length = 0;
}

static void
clear_line (EigmlProgress *progress)
{
  if (progress->drawn_length == 0)
    return;
  fputc ('\r', progress->stream);
  for (gsize i = 0; i < progress->drawn_length; i++)
    fputc (' ', progress->stream);
  fputc ('\r', progress->stream);
}

static void
add_number_or_null (JsonBuilder *builder,
                    const char *name,
                    double value)
{
  json_builder_set_member_name (builder, name);
  if (isfinite (value))
    json_builder_add_double_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static char *
json_line_end (JsonBuilder *builder)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *time = g_date_time_format_iso8601 (now);

  json_builder_set_member_name (builder, "time");
  json_builder_add_string_value (builder, time);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

static char *
format_json (EigmlProgress *progress,
             const char * const *term_names,
             const double *term_values,
             guint n_terms)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "epoch");
  json_builder_add_int_value (builder, progress->epoch);
  json_builder_set_member_name (builder, "step");
  json_builder_add_int_value (builder, (gint64) progress->global_step);
  json_builder_set_member_name (builder, "total_steps");
  json_builder_add_int_value (builder, (gint64) progress->total_steps);
  add_number_or_null (builder, "it_per_s", eigml_progress_get_rate (progress));
  add_number_or_null (builder, "eta_s", eigml_progress_get_eta (progress));
  json_builder_set_member_name (builder, "loss");
  json_builder_begin_object (builder);
  for (guint i = 0; i < n_terms; i++)
    add_number_or_null (builder, term_names[i], term_values[i]);
  json_builder_end_object (builder);
  return json_line_end (builder);
}

static void
write_json (EigmlProgress *progress,
            const char *text)
{
  fputs (text, progress->stream);
  fputc ('\n', progress->stream);
  fflush (progress->stream);
}

void
eigml_progress_update (EigmlProgress *progress,
                       guint epoch,
                       guint64 step,
                       guint64 n_steps,
                       const char * const *term_names,
                       const double *term_values,
                       guint n_terms)
{
  gint64 now = progress->clock (progress->clock_data);

  g_return_if_fail (n_terms == 0 || (term_names != NULL && term_values != NULL));

  advance (progress, epoch, step, n_steps);
  sample_rate (progress, now);
  progress->started = TRUE;

  if (progress->terminal)
    {
      gboolean end_of_epoch = step >= n_steps || progress->global_step >= progress->total_steps;

      format_line (progress, term_names, term_values, n_terms);
      if (progress->drawn_length == 0 || end_of_epoch ||
          now - progress->last_draw >= progress->redraw_interval)
        {
          draw_line (progress);
          progress->last_draw = now;
        }
      /* each finished epoch keeps its line */
      if (end_of_epoch)
        end_line (progress);
      return;
    }

  g_clear_pointer (&progress->pending_json, g_free);
  progress->pending_json = format_json (progress, term_names, term_values, n_terms);
  if (progress->global_step < progress->last_logged)
    progress->last_logged = 0;
  /* a line each time the step count passes a multiple of log_every, and
   * at the last step */
  if (progress->global_step / progress->log_every > progress->last_logged / progress->log_every ||
      (progress->global_step >= progress->total_steps &&
       progress->global_step != progress->last_logged))
    {
      write_json (progress, progress->pending_json);
      g_clear_pointer (&progress->pending_json, g_free);
      progress->last_logged = progress->global_step;
    }
}

void
eigml_progress_message (EigmlProgress *progress,
                        const char *format,
                        ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  if (progress->terminal)
    {
      gboolean bar_open = progress->drawn_length > 0;

      clear_line (progress);
      fputs (text, progress->stream);
      fputc ('\n', progress->stream);
      progress->drawn_length = 0;
      if (bar_open)
        draw_line (progress);
      fflush (progress->stream);
    }
  else
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autofree char *json = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "message");
      json_builder_add_string_value (builder, text);
      json = json_line_end (builder);
      write_json (progress, json);
    }
}

void
eigml_progress_finish (EigmlProgress *progress)
{
  if (!progress->started)
    return;
  if (progress->terminal)
    {
      if (progress->drawn_length > 0)
        {
          /* the last state, which throttling may have skipped */
          draw_line (progress);
          end_line (progress);
        }
    }
  else if (progress->pending_json != NULL)
    {
      write_json (progress, progress->pending_json);
      progress->last_logged = progress->global_step;
      g_clear_pointer (&progress->pending_json, g_free);
    }
  fflush (progress->stream);
}
