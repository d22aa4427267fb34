/* eigml-intents.c: the four COMET relations of one dialogue
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>
#include <json-glib/json-glib.h>

#include "eigml-intent-source.h"
#include "data/intent-private.h"

/**
 * EigmlIntents:
 *
 * Intention knowledge about a dialogue: for each of the four COMET
 * relations of the paper's eq 6 (xIntent, xNeed, xWant, xEffect) a list of
 * short texts, e.g. xWant: "to know the answer". The model encodes each
 * relation as one text, its strings joined by "; " (docs/model.md).
 *
 * Intents come from an [class@Eigml.IntentSource] or are built with
 * [ctor@Eigml.Intents.new]. They are immutable and reference counted, and
 * can be passed between threads.
 *
 * Since: 1.0
 */

G_DEFINE_BOXED_TYPE (EigmlIntents, eigml_intents, eigml_intents_ref, eigml_intents_unref)

static const char *const relation_names[EIGML_INTENTS_N_RELATIONS + 1] = {
  "xIntent", "xNeed", "xWant", "xEffect", NULL,
};

EigmlIntents *
eigml_intents_new_take (char **relations[EIGML_INTENTS_N_RELATIONS])
{
  EigmlIntents *self = g_new0 (EigmlIntents, 1);

  g_atomic_ref_count_init (&self->ref_count);
  for (guint r = 0; r < EIGML_INTENTS_N_RELATIONS; r++)
    self->relations[r] = relations[r] ? g_steal_pointer (&relations[r]) : g_new0 (char *, 1);
  return self;
}

/**
 * eigml_intents_new:
 * @x_intent: (array zero-terminated=1) (nullable): why the speaker says it
 * @x_need: (array zero-terminated=1) (nullable): what the speaker needed first
 * @x_want: (array zero-terminated=1) (nullable): what the speaker wants next
 * @x_effect: (array zero-terminated=1) (nullable): what it does to the speaker
 *
 * Builds intents from four lists; %NULL is an empty list.
 *
 * Returns: (transfer full): the intents
 *
 * Since: 1.0
 */
EigmlIntents *
eigml_intents_new (const char * const *x_intent,
                   const char * const *x_need,
                   const char * const *x_want,
                   const char * const *x_effect)
{
  char **relations[EIGML_INTENTS_N_RELATIONS] = {
    g_strdupv ((char **) x_intent), g_strdupv ((char **) x_need),
    g_strdupv ((char **) x_want), g_strdupv ((char **) x_effect),
  };

  return eigml_intents_new_take (relations);
}

/**
 * eigml_intents_ref:
 * @self: intents
 *
 * Returns: (transfer full): @self, with one more reference
 *
 * Since: 1.0
 */
EigmlIntents *
eigml_intents_ref (EigmlIntents *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * eigml_intents_unref:
 * @self: (transfer full): intents
 *
 * Drops a reference; the last one frees @self.
 *
 * Since: 1.0
 */
void
eigml_intents_unref (EigmlIntents *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  for (guint r = 0; r < EIGML_INTENTS_N_RELATIONS; r++)
    g_strfreev (self->relations[r]);
  g_free (self);
}

static int
relation_index (const char *relation)
{
  for (guint r = 0; r < EIGML_INTENTS_N_RELATIONS; r++)
    if (strcmp (relation, relation_names[r]) == 0)
      return (int) r;
  return -1;
}

/**
 * eigml_intents_get:
 * @self: intents
 * @relation: a COMET relation: `"xIntent"`, `"xNeed"`, `"xWant"` or
 *   `"xEffect"`
 *
 * Returns: (transfer none) (array zero-terminated=1): the relation's
 *   texts (possibly none)
 *
 * Since: 1.0
 */
const char * const *
eigml_intents_get (EigmlIntents *self,
                   const char *relation)
{
  int r;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (relation != NULL, NULL);

  r = relation_index (relation);
  g_return_val_if_fail (r >= 0, NULL);
  return (const char * const *) self->relations[r];
}

/**
 * eigml_intents_get_nth:
 * @self: intents
 * @index: a relation's index, below %EIGML_INTENTS_N_RELATIONS, in the
 *   order of [func@Eigml.Intents.get_relation_names]
 *
 * Returns: (transfer none) (array zero-terminated=1): the relation's
 *   texts (possibly none)
 *
 * Since: 1.0
 */
const char * const *
eigml_intents_get_nth (EigmlIntents *self,
                       guint index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < EIGML_INTENTS_N_RELATIONS, NULL);

  return (const char * const *) self->relations[index];
}

/**
 * eigml_intents_is_empty:
 * @self: intents
 *
 * Returns: whether every relation's list is empty
 *
 * Since: 1.0
 */
gboolean
eigml_intents_is_empty (EigmlIntents *self)
{
  g_return_val_if_fail (self != NULL, TRUE);

  for (guint r = 0; r < EIGML_INTENTS_N_RELATIONS; r++)
    if (self->relations[r][0] != NULL)
      return FALSE;
  return TRUE;
}

/**
 * eigml_intents_equal:
 * @a: intents
 * @b: intents
 *
 * Returns: whether @a and @b hold the same texts in the same order
 *
 * Since: 1.0
 */
gboolean
eigml_intents_equal (EigmlIntents *a,
                     EigmlIntents *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  for (guint r = 0; r < EIGML_INTENTS_N_RELATIONS; r++)
    if (!g_strv_equal ((const char * const *) a->relations[r],
                       (const char * const *) b->relations[r]))
      return FALSE;
  return TRUE;
}

/**
 * eigml_intents_to_json:
 * @self: intents
 * @id: (nullable): an example id
 *
 * Writes @self as one line of an intent sidecar (docs/intent.md):
 * `{"id": ID, "xIntent": [...], "xNeed": [...], "xWant": [...],
 * "xEffect": [...]}`, without "id" when @id is %NULL (the form of a JSON
 * lines dataset's `intent` member). Texts are written as UTF-8.
 *
 * Returns: (transfer full): one line of JSON, without a newline
 *
 * Since: 1.0
 */
char *
eigml_intents_to_json (EigmlIntents *self,
                       const char *id)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  json_builder_begin_object (builder);
  if (id != NULL)
    {
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, id);
    }
  for (guint r = 0; r < EIGML_INTENTS_N_RELATIONS; r++)
    {
      json_builder_set_member_name (builder, relation_names[r]);
      json_builder_begin_array (builder);
      for (guint i = 0; self->relations[r][i] != NULL; i++)
        json_builder_add_string_value (builder, self->relations[r][i]);
      json_builder_end_array (builder);
    }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

/**
 * eigml_intents_get_relation_names:
 *
 * Returns: (transfer none) (array zero-terminated=1): the four COMET
 *   relations, `xIntent`, `xNeed`, `xWant`, `xEffect`, in the order of the
 *   model's knowledge rows
 *
 * Since: 1.0
 */
const char * const *
eigml_intents_get_relation_names (void)
{
  return relation_names;
}
