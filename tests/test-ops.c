/* test-ops.c: every op, checked three ways (see op-harness.h)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * /cpu/op/<family>/<case>: CPU against float64, gradients against finite
 * differences. /vulkan/op/<family>/<case>: Vulkan against CPU, forward and
 * gradients. Pass --cpu or --vulkan to register one half only (GLib's -p
 * does not descend into nested suites).
 */
#include "config.h"

#include "op-cases.h"

typedef struct
{
  const HarnessFamily *family;
  guint variant;
  gboolean vulkan;
} OpTest;

static void
run_op_test (gconstpointer data)
{
  const OpTest *t = data;
  g_autoptr (GRand) rand = g_rand_new_with_seed (g_str_hash (t->family->name) * 31u + t->variant);
  HarnessCase c = { 0 };

  t->family->gen (rand, t->variant, &c);
  g_test_message ("case %s", c.name);
  if (t->vulkan)
    harness_check_vulkan (&c);
  else
    harness_check_cpu (&c);
}

static void
add_families (const HarnessFamily *families,
              gboolean vulkan)
{
  for (guint f = 0; families[f].name != NULL; f++)
    for (guint v = 0; v < families[f].n_variants; v++)
      {
        OpTest *t = g_new0 (OpTest, 1);
        g_autofree char *path = NULL;

        t->family = &families[f];
        t->variant = v;
        t->vulkan = vulkan;
        path = g_strdup_printf ("/%s/op/%s/%u", vulkan ? "vulkan" : "cpu", families[f].name, v);
        g_test_add_data_func_full (path, t, run_op_test, g_free);
      }
}

int
main (int argc,
      char **argv)
{
  gboolean cpu = TRUE, vulkan = TRUE;
  int kept = 1;

  for (int i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--cpu"))
        vulkan = FALSE;
      else if (g_str_equal (argv[i], "--vulkan"))
        cpu = FALSE;
      else
        argv[kept++] = argv[i];
    }
  argc = kept;
  argv[argc] = NULL;

  g_test_init (&argc, &argv, NULL);
  if (cpu)
    {
      add_families (op_cases_math, FALSE);
      add_families (op_cases_nn, FALSE);
    }
  if (vulkan)
    {
      add_families (op_cases_math, TRUE);
      add_families (op_cases_nn, TRUE);
    }
  {
    int status = g_test_run ();
    harness_cleanup ();
    return status;
  }
}
