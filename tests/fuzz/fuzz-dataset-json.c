/* fuzz-dataset-json.c: libFuzzer target for the JSON text checks and the
 * typed reads of the dataset readers (eigml/data/dataset-json.c)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The input is one JSON text, as a line of a dataset or a whole MOD
 * document. It either parses, and then every typed read of the members the
 * readers use succeeds or fails with EIGML_ERROR_FORMAT naming the file;
 * or it fails with EIGML_ERROR_FORMAT naming the file. A crash, an
 * over-read, a GError of another kind or a leak is a finding. Dictionary:
 * dataset.dict.
 */
#include "config.h"

#include <stdint.h>

#include "data/dataset-private.h"
#include "eigml-error.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_error (GError **error)
{
  g_assert_true (g_error_matches (*error, EIGML_ERROR, EIGML_ERROR_FORMAT));
  g_assert_nonnull (g_strstr_len ((*error)->message, -1, "fuzz.json"));
  g_clear_error (error);
}

/* The reads the readers make of an object's members. */
static void
read_members (JsonObject *object,
              const EigmlJsonLoc *loc)
{
  static const char *const members[] = { "id", "text", "txt", "from_id", "sticker_id",
                                          "img_id", "speaker" };
  char **intents[EIGML_INTENT_N_RELATIONS] = { NULL };
  float emotion[EIGML_EMOTION_N_CATEGORIES];
  GError *error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (members); i++)
    {
      JsonNode *node = eigml_json_member (object, members[i]);
      char *id = NULL;
      const char *text = NULL;

      if (eigml_json_read_id (node, loc, members[i], &id, &error))
        {
          if (!eigml_dataset_check_name (id, loc, members[i], &error))
            check_error (&error);
          g_free (id);
        }
      else
        check_error (&error);
      if (eigml_json_read_text (node, loc, members[i], TRUE, &text, &error))
        g_free (eigml_dataset_join_cjk (text ? text : ""));
      else
        check_error (&error);
    }
  if (!eigml_json_read_emotion (eigml_json_member (object, "emotion"), loc, "emotion", emotion,
                                &error))
    check_error (&error);
  if (eigml_json_read_intents (object, loc, EIGML_RELATIONS_OTHERS_IGNORED, intents, &error))
    eigml_relation_lists_clear (intents);
  else
    check_error (&error);
  if (eigml_json_read_array (eigml_json_member (object, "context"), loc, "context", &error) == NULL)
    check_error (&error);
  if (eigml_json_read_object (eigml_json_member (object, "current"), loc, "current", &error) ==
      NULL)
    check_error (&error);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t size)
{
  EigmlJsonLoc loc = { "fuzz.json", 0, NULL };
  EigmlJsonLines lines;
  GError *error = NULL;
  JsonNode *root;

  eigml_json_lines_init (&lines);
  root = eigml_json_parse (NULL, (const char *) data, size, &loc, &lines, &error);
  if (root == NULL)
    check_error (&error);
  else
    {
      g_assert_no_error (error);
      g_assert_cmpuint (lines.depth2->len, ==, lines.depth2_parent->len);
      for (guint i = 0; i < lines.depth1->len; i++)
        g_assert_cmpuint (g_array_index (lines.depth1, guint32, i), >=, 1);
      if (JSON_NODE_HOLDS_OBJECT (root))
        read_members (json_node_get_object (root), &loc);
      else if (JSON_NODE_HOLDS_ARRAY (root))
        {
          JsonArray *array = json_node_get_array (root);

          for (guint i = 0; i < json_array_get_length (array) && i < 8; i++)
            {
              JsonNode *item = json_array_get_element (array, i);

              if (JSON_NODE_HOLDS_OBJECT (item))
                read_members (json_node_get_object (item), &loc);
            }
        }
      json_node_unref (root);
    }
  eigml_json_lines_clear (&lines);
  return 0;
}
