/* test-schedule.c: learning-rate schedules against hand-computed values and
 * the values PyTorch's LambdaLR gives with Hugging Face's lambdas
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>

#include "eigml.h"
#include "train/schedule.h"

typedef struct
{
  guint64 step;
  double lr;
} StepLr;

/* The optimizer's lr at each step from
 *   opt = SGD([p], lr); sched = LambdaLR(opt, hf_lambda)
 *   for step ...: read opt.param_groups[0]["lr"]; opt.step(); sched.step()
 * with transformers' lambdas for get_cosine_schedule_with_warmup (100, 1000),
 * get_linear_schedule_with_warmup (10, 50), get_constant_schedule_with_warmup (4)
 * and get_cosine_with_min_lr_schedule_with_warmup (100, 1000, min_lr_rate 0.1)
 * (PyTorch 1.13, printed with %.17g). */
static const StepLr hf_cosine[] = {
  { 0, 0 }, { 1, 5.0000000000000008e-07 }, { 50, 2.5000000000000001e-05 },
  { 99, 4.9500000000000004e-05 }, { 100, 5.0000000000000002e-05 },
  { 101, 4.9999847691444762e-05 }, { 337, 4.1921899242066519e-05 },
  { 550, 2.5000000000000001e-05 }, { 999, 1.5230855524017708e-10 }, { 1000, 0 },
};
static const StepLr hf_linear[] = {
  { 0, 0 }, { 3, 8.9999999999999992e-05 }, { 10, 0.00029999999999999997 },
  { 11, 0.00029249999999999995 }, { 30, 0.00014999999999999999 },
  { 49, 7.4999999999999993e-06 }, { 50, 0 },
};
static const StepLr hf_constant[] = {
  { 0, 0 }, { 1, 0.00025000000000000001 }, { 3, 0.00075000000000000002 }, { 4, 0.001 },
  { 100, 0.001 },
};
static const StepLr hf_cosine_min[] = {
  { 0, 0 }, { 100, 5.0000000000000002e-05 }, { 337, 4.2729709317859871e-05 },
  { 999, 5.0001370776997165e-06 }, { 1000, 5.0000000000000004e-06 },
};

static void
assert_hf (const EigmlLrSchedule *schedule,
           const StepLr *expected,
           gsize n)
{
  for (gsize i = 0; i < n; i++)
    {
      double lr = schedule->lr * eigml_lr_schedule_factor (schedule, expected[i].step);

      /* bit for bit, in double and once rounded to float */
      if (lr != expected[i].lr)
        g_error ("%s step %" G_GUINT64_FORMAT ": %.17g, HF %.17g",
                 eigml_lr_schedule_kind_to_string (schedule->kind), expected[i].step, lr,
                 expected[i].lr);
      g_assert_cmpfloat (eigml_lr_schedule (schedule, expected[i].step), ==,
                         (float) expected[i].lr);
    }
}

static void
test_hf_values (void)
{
  g_autoptr (GError) error = NULL;
  EigmlLrSchedule schedule;

  eigml_lr_schedule_init (&schedule, EIGML_LR_COSINE, 5e-5, 100, 1000);
  g_assert_true (eigml_lr_schedule_check (&schedule, &error));
  assert_hf (&schedule, hf_cosine, G_N_ELEMENTS (hf_cosine));

  eigml_lr_schedule_init (&schedule, EIGML_LR_LINEAR, 3e-4, 10, 50);
  g_assert_true (eigml_lr_schedule_check (&schedule, &error));
  assert_hf (&schedule, hf_linear, G_N_ELEMENTS (hf_linear));

  eigml_lr_schedule_init (&schedule, EIGML_LR_CONSTANT, 1e-3, 4, 0);
  g_assert_true (eigml_lr_schedule_check (&schedule, &error));
  assert_hf (&schedule, hf_constant, G_N_ELEMENTS (hf_constant));

  eigml_lr_schedule_init (&schedule, EIGML_LR_COSINE, 5e-5, 100, 1000);
  schedule.min_lr = 5e-6;
  g_assert_true (eigml_lr_schedule_check (&schedule, &error));
  assert_hf (&schedule, hf_cosine_min, G_N_ELEMENTS (hf_cosine_min));
  g_assert_no_error (error);
}

/* HF's cosine lambda written out, for every step of a few schedules */
static double
hf_cosine_lambda (gint64 step,
                  gint64 warmup,
                  gint64 total)
{
  double progress;

  if (step < warmup)
    return (double) step / (double) MAX (1, warmup);
  progress = (double) (step - warmup) / (double) MAX (1, total - warmup);
  return MAX (0.0, 0.5 * (1.0 + cos (G_PI * 0.5 * 2.0 * progress)));
}

static void
test_hf_formula (void)
{
  static const gint64 configs[][2] = { { 0, 1 }, { 0, 7 }, { 1, 2 }, { 3, 3 }, { 17, 300 } };

  for (gsize c = 0; c < G_N_ELEMENTS (configs); c++)
    {
      EigmlLrSchedule schedule;

      eigml_lr_schedule_init (&schedule, EIGML_LR_COSINE, 2e-5, (guint64) configs[c][0],
                              (guint64) configs[c][1]);
      for (gint64 step = 0; step <= configs[c][1]; step++)
        g_assert_cmpfloat (eigml_lr_schedule_factor (&schedule, (guint64) step), ==,
                           hf_cosine_lambda (step, configs[c][0], configs[c][1]));
    }
}

static void
test_hand_values (void)
{
  EigmlLrSchedule schedule;

  /* warm-up over 10 steps to 1, cosine to 0 at 110 */
  eigml_lr_schedule_init (&schedule, EIGML_LR_COSINE, 1.0, 10, 110);
  g_assert_cmpfloat (eigml_lr_schedule (&schedule, 0), ==, 0.0f);
  g_assert_cmpfloat (eigml_lr_schedule (&schedule, 1), ==, 0.1f);
  g_assert_cmpfloat (eigml_lr_schedule (&schedule, 5), ==, 0.5f);
  g_assert_cmpfloat (eigml_lr_schedule (&schedule, 10), ==, 1.0f);
  g_assert_cmpfloat_with_epsilon (eigml_lr_schedule (&schedule, 35),
                                  0.5 * (1.0 + sqrt (0.5)), 1e-7);
  g_assert_cmpfloat (eigml_lr_schedule (&schedule, 60), ==, 0.5f);
  g_assert_cmpfloat_with_epsilon (eigml_lr_schedule (&schedule, 85),
                                  0.5 * (1.0 - sqrt (0.5)), 1e-7);
  g_assert_cmpfloat (eigml_lr_schedule (&schedule, 110), ==, 0.0f);
  /* past the end: stays at the floor (HF's curve would climb back) */
  g_assert_cmpfloat (eigml_lr_schedule (&schedule, 160), ==, 0.0f);
  g_assert_cmpfloat (eigml_lr_schedule (&schedule, G_MAXUINT64), ==, 0.0f);

  /* with a floor: min_lr + (lr - min_lr) * cosine */
  schedule.min_lr = 0.2;
  g_assert_cmpfloat (eigml_lr_schedule (&schedule, 5), ==, 0.5f);
  g_assert_cmpfloat_with_epsilon (eigml_lr_schedule (&schedule, 60), 0.6, 1e-7);
  g_assert_cmpfloat_with_epsilon (eigml_lr_schedule (&schedule, 110), 0.2, 1e-7);
  g_assert_cmpfloat_with_epsilon (eigml_lr_schedule (&schedule, 1000), 0.2, 1e-7);

  /* linear: warm-up over 4 to 2, then down to 0 at 12 */
  eigml_lr_schedule_init (&schedule, EIGML_LR_LINEAR, 2.0, 4, 12);
  g_assert_cmpfloat (eigml_lr_schedule (&schedule, 2), ==, 1.0f);
  g_assert_cmpfloat (eigml_lr_schedule (&schedule, 4), ==, 2.0f);
  g_assert_cmpfloat (eigml_lr_schedule (&schedule, 8), ==, 1.0f);
  g_assert_cmpfloat (eigml_lr_schedule (&schedule, 10), ==, 0.5f);
  g_assert_cmpfloat (eigml_lr_schedule (&schedule, 12), ==, 0.0f);
  g_assert_cmpfloat (eigml_lr_schedule (&schedule, 20), ==, 0.0f);
  schedule.min_lr = 0.5;
  g_assert_cmpfloat (eigml_lr_schedule (&schedule, 8), ==, 1.25f);
  g_assert_cmpfloat (eigml_lr_schedule (&schedule, 20), ==, 0.5f);

  /* no warm-up: the first step has the full rate */
  eigml_lr_schedule_init (&schedule, EIGML_LR_CONSTANT, 3e-4, 0, 0);
  g_assert_cmpfloat (eigml_lr_schedule (&schedule, 0), ==, 3e-4f);
  eigml_lr_schedule_init (&schedule, EIGML_LR_COSINE, 3e-4, 0, 100);
  g_assert_cmpfloat (eigml_lr_schedule (&schedule, 0), ==, 3e-4f);
}

static void
test_check (void)
{
  g_autoptr (GError) error = NULL;
  EigmlLrScheduleKind kind = EIGML_LR_CONSTANT;
  EigmlLrSchedule schedule;

  eigml_lr_schedule_init (&schedule, EIGML_LR_COSINE, 1e-4, 10, 0);
  g_assert_false (eigml_lr_schedule_check (&schedule, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  eigml_lr_schedule_init (&schedule, EIGML_LR_LINEAR, 1e-4, 11, 10);
  g_assert_false (eigml_lr_schedule_check (&schedule, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  eigml_lr_schedule_init (&schedule, EIGML_LR_COSINE, NAN, 1, 10);
  g_assert_false (eigml_lr_schedule_check (&schedule, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  eigml_lr_schedule_init (&schedule, EIGML_LR_COSINE, 1e-4, 1, 10);
  schedule.min_lr = 2e-4;
  g_assert_false (eigml_lr_schedule_check (&schedule, &error));
  g_assert_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  eigml_lr_schedule_init (&schedule, EIGML_LR_CONSTANT, 1e-4, 100, 0);
  g_assert_true (eigml_lr_schedule_check (&schedule, &error));
  g_assert_no_error (error);

  g_assert_true (eigml_lr_schedule_kind_from_string ("cosine", &kind));
  g_assert_cmpint (kind, ==, EIGML_LR_COSINE);
  g_assert_true (eigml_lr_schedule_kind_from_string ("linear", &kind));
  g_assert_cmpint (kind, ==, EIGML_LR_LINEAR);
  g_assert_false (eigml_lr_schedule_kind_from_string ("cosine_with_restarts", &kind));
  g_assert_cmpint (kind, ==, EIGML_LR_LINEAR);
  g_assert_cmpstr (eigml_lr_schedule_kind_to_string (EIGML_LR_CONSTANT), ==, "constant");
}

int
main (int argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cpu/schedule/hf-values", test_hf_values);
  g_test_add_func ("/cpu/schedule/hf-formula", test_hf_formula);
  g_test_add_func ("/cpu/schedule/hand-values", test_hand_values);
  g_test_add_func ("/cpu/schedule/check", test_check);

  return g_test_run ();
}
