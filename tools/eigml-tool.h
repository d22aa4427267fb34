/* eigml-tool.h: subcommands of the eigml command line
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

int eigml_tool_info (int argc, char **argv);
int eigml_tool_demo (int argc, char **argv);
int eigml_tool_bench (int argc, char **argv);
int eigml_tool_vocab (int argc, char **argv);
int eigml_tool_encode (int argc, char **argv);
int eigml_tool_convert (int argc, char **argv);
int eigml_tool_train (int argc, char **argv);
int eigml_tool_eval (int argc, char **argv);
int eigml_tool_select (int argc, char **argv);

/* prints "eigml CMD: message" to stderr and returns 1 */
int eigml_tool_fail (const char *command, const GError *error);

G_END_DECLS
