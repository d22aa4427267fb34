/* progress.h: training progress on a terminal (a redrawn bar) or as JSON
 * lines for logs
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <stdio.h>
#include <glib.h>

G_BEGIN_DECLS

/* A monotonic clock in microseconds, as g_get_monotonic_time() */
typedef gint64 (*EigmlProgressClock) (gpointer user_data);

typedef struct _EigmlProgress EigmlProgress;

EigmlProgress *eigml_progress_new (FILE *stream,
                                   guint n_epochs,
                                   guint64 total_steps);
void eigml_progress_free (EigmlProgress *progress);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EigmlProgress, eigml_progress_free)

void eigml_progress_set_clock (EigmlProgress *progress,
                               EigmlProgressClock clock,
                               gpointer user_data);
void eigml_progress_set_terminal (EigmlProgress *progress,
                                  gboolean terminal);
gboolean eigml_progress_get_terminal (EigmlProgress *progress);
void eigml_progress_set_log_every (EigmlProgress *progress,
                                   guint64 log_every);
void eigml_progress_set_redraw_interval (EigmlProgress *progress,
                                         gint64 microseconds);

void eigml_progress_update (EigmlProgress *progress,
                            guint epoch,
                            guint64 step,
                            guint64 n_steps,
                            const char * const *term_names,
                            const double *term_values,
                            guint n_terms);
void eigml_progress_message (EigmlProgress *progress,
                             const char *format,
                             ...) G_GNUC_PRINTF (2, 3);
void eigml_progress_finish (EigmlProgress *progress);

guint64 eigml_progress_get_global_step (EigmlProgress *progress);
double eigml_progress_get_rate (EigmlProgress *progress);
double eigml_progress_get_eta (EigmlProgress *progress);
char *eigml_progress_format_duration (double seconds);

G_END_DECLS
