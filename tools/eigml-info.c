/* eigml-info.c: `eigml info`
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "eigml-tool.h"
#include <eigml/eigml.h>

#include <stdio.h>

int
eigml_tool_info (int argc,
                 char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EigmlContext) cpu = NULL;
  g_autoptr (EigmlContext) chosen = NULL;
  g_auto (GStrv) devices = NULL;

  if (argc > 1)
    {
      fprintf (stderr, "Usage: eigml info\n");
      return 2;
    }
  printf ("Eigml %s\n", EIGML_VERSION_S);
  cpu = eigml_context_new (EIGML_BACKEND_CPU, NULL, &error);
  if (cpu == NULL)
    return eigml_tool_fail ("info", error);
  printf ("CPU backend: %s\n", eigml_context_get_device_name (cpu));

  devices = eigml_list_vulkan_devices (&error);
  if (devices == NULL)
    {
      printf ("Vulkan devices: none (%s)\n", error->message);
      g_clear_error (&error);
    }
  else
    {
      printf ("Vulkan devices:%s\n", devices[0] ? "" : " none");
      for (guint i = 0; devices[i] != NULL; i++)
        printf ("  %s\n", devices[i]);
    }

  chosen = eigml_context_new (EIGML_BACKEND_AUTO, NULL, &error);
  if (chosen == NULL)
    return eigml_tool_fail ("info", error);
  printf ("Backend chosen by 'auto': %s on %s%s\n",
          eigml_backend_kind_to_string (eigml_context_get_backend (chosen)),
          eigml_context_get_device_name (chosen),
          eigml_context_get_is_software (chosen) ? " (software)" : "");
  return 0;
}
