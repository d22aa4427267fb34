/* schedule.c: learning-rate schedules
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The factors are Hugging Face transformers' LambdaLR lambdas, evaluated
 * in the same order of operations so that they agree to the last bit:
 *
 *   warm-up (step < W):  step / max(1, W)
 *   constant:            1
 *   linear:              max(0, (T - step) / max(1, T - W))
 *   cosine:              max(0, 0.5 * (1 + cos(pi * 0.5 * 2 * p))),
 *                        p = (step - W) / max(1, T - W)
 *
 * with W = warmup_steps and T = total_steps. "step" is the number of
 * optimizer steps already taken, as LambdaLR's last_epoch: the first step
 * (0) has lr 0 when there is a warm-up, as in HF. A min_lr above 0 mixes
 * the decay factor as HF's get_cosine_with_min_lr_schedule_with_warmup
 * does (factor * (1 - min_lr / lr) + min_lr / lr), for linear too. The one
 * departure: past T, cosine stays at min_lr, where HF's curve climbs back
 * up (it is not meant to be used there).
 */
#include "config.h"

#include "schedule.h"
#include "eigml-error.h"

#include <math.h>

void
eigml_lr_schedule_init (EigmlLrSchedule *schedule,
                        EigmlLrScheduleKind kind,
                        double lr,
                        guint64 warmup_steps,
                        guint64 total_steps)
{
  schedule->kind = kind;
  schedule->lr = lr;
  schedule->min_lr = 0.0;
  schedule->warmup_steps = warmup_steps;
  schedule->total_steps = total_steps;
}

static const char * const kind_names[] = { "constant", "linear", "cosine" };

const char *
eigml_lr_schedule_kind_to_string (EigmlLrScheduleKind kind)
{
  g_return_val_if_fail ((guint) kind < G_N_ELEMENTS (kind_names), NULL);

  return kind_names[kind];
}

gboolean
eigml_lr_schedule_kind_from_string (const char *name,
                                    EigmlLrScheduleKind *kind)
{
  for (guint i = 0; i < G_N_ELEMENTS (kind_names); i++)
    if (g_strcmp0 (name, kind_names[i]) == 0)
      {
        *kind = (EigmlLrScheduleKind) i;
        return TRUE;
      }
  return FALSE;
}

gboolean
eigml_lr_schedule_check (const EigmlLrSchedule *schedule,
                         GError **error)
{
  if ((guint) schedule->kind >= G_N_ELEMENTS (kind_names))
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "Unknown learning-rate schedule %d", (int) schedule->kind);
      return FALSE;
    }
  if (!isfinite (schedule->lr) || schedule->lr < 0.0)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "Learning rate %g is not a finite number ≥ 0", schedule->lr);
      return FALSE;
    }
  if (!isfinite (schedule->min_lr) || schedule->min_lr < 0.0 || schedule->min_lr > schedule->lr)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "Minimum learning rate %g is not between 0 and the learning rate %g",
                   schedule->min_lr, schedule->lr);
      return FALSE;
    }
  if (schedule->kind != EIGML_LR_CONSTANT && schedule->total_steps == 0)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "A %s learning-rate schedule needs the total number of steps",
                   kind_names[schedule->kind]);
      return FALSE;
    }
  if (schedule->kind != EIGML_LR_CONSTANT && schedule->warmup_steps > schedule->total_steps)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "%" G_GUINT64_FORMAT " warm-up steps are more than the %" G_GUINT64_FORMAT
                   " steps of training", schedule->warmup_steps, schedule->total_steps);
      return FALSE;
    }
  return TRUE;
}

/* HF's factor * (1 - rate) + rate, where rate = min_lr / lr */
static double
mix_min_lr (const EigmlLrSchedule *schedule,
            double factor)
{
  double rate;

  if (schedule->min_lr <= 0.0 || schedule->lr <= 0.0)
    return factor;
  rate = schedule->min_lr / schedule->lr;
  return MAX (0.0, factor * (1.0 - rate) + rate);
}

double
eigml_lr_schedule_factor (const EigmlLrSchedule *schedule,
                          guint64 step)
{
  /* Python's integers: T - W may be negative, max(1, T - W) is not */
  gint64 decay_steps = MAX (1, (gint64) schedule->total_steps - (gint64) schedule->warmup_steps);

  if (step < schedule->warmup_steps)
    return (double) step / (double) MAX (G_GUINT64_CONSTANT (1), schedule->warmup_steps);

  switch (schedule->kind)
    {
    case EIGML_LR_CONSTANT:
      return 1.0;
    case EIGML_LR_LINEAR:
      {
        double remaining = (double) ((gint64) schedule->total_steps - (gint64) step);

        return mix_min_lr (schedule, MAX (0.0, remaining / (double) decay_steps));
      }
    case EIGML_LR_COSINE:
      {
        double progress = (double) (step - schedule->warmup_steps) / (double) decay_steps;

        progress = MIN (progress, 1.0);
        return mix_min_lr (schedule, MAX (0.0, 0.5 * (1.0 + cos (G_PI * 0.5 * 2.0 * progress))));
      }
    default:
      g_return_val_if_reached (0.0);
    }
}

float
eigml_lr_schedule (const EigmlLrSchedule *schedule,
                   guint64 step)
{
  return (float) (schedule->lr * eigml_lr_schedule_factor (schedule, step));
}
