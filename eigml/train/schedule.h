/* schedule.h: learning-rate schedules (warm-up, then constant, linear or
 * cosine decay), as Hugging Face's get_*_schedule_with_warmup
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  EIGML_LR_CONSTANT,   /* get_constant_schedule_with_warmup */
  EIGML_LR_LINEAR,     /* get_linear_schedule_with_warmup */
  EIGML_LR_COSINE,     /* get_cosine_schedule_with_warmup (half a cycle) */
} EigmlLrScheduleKind;

typedef struct
{
  EigmlLrScheduleKind kind;
  double lr;               /* the peak, reached at the end of warm-up */
  double min_lr;           /* where linear and cosine decay end; 0 as in HF */
  guint64 warmup_steps;
  guint64 total_steps;     /* where decay reaches min_lr */
} EigmlLrSchedule;

void eigml_lr_schedule_init (EigmlLrSchedule *schedule,
                             EigmlLrScheduleKind kind,
                             double lr,
                             guint64 warmup_steps,
                             guint64 total_steps);
gboolean eigml_lr_schedule_check (const EigmlLrSchedule *schedule,
                                  GError **error);
gboolean eigml_lr_schedule_kind_from_string (const char *name,
                                             EigmlLrScheduleKind *kind);
const char *eigml_lr_schedule_kind_to_string (EigmlLrScheduleKind kind);

double eigml_lr_schedule_factor (const EigmlLrSchedule *schedule,
                                 guint64 step);
float eigml_lr_schedule (const EigmlLrSchedule *schedule,
                         guint64 step);

G_END_DECLS
