/* eigml-intent-source.c: intention knowledge for dialogues, from a sidecar
 * file or from an offline fallback
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "eigml-intent-source.h"
#include "eigml-enum-types.h"
#include "eigml-error.h"
#include "data/dataset-private.h"
#include "data/intent-private.h"

/**
 * EigmlIntentSource:
 *
 * Where a dialogue's intention knowledge comes from. The paper derives it
 * with COMET (eq 6: C_r = COMET(T, r) for the relations xIntent, xNeed,
 * xWant and xEffect); there is no COMET model here, so a source is one of:
 *
 * - a **sidecar** ([ctor@Eigml.IntentSource.new_from_sidecar]): inferences
 *   computed elsewhere (e.g. by COMET-ATOMIC 2020), one JSON line per
 *   example id, `{"id": "train:12", "xIntent": ["to joke"], "xNeed": [],
 *   "xWant": ["a laugh"], "xEffect": ["smiles"]}`. Loading checks every
 *   line and keeps where each id's line is (the file is read again for
 *   each lookup, as [class@Eigml.Dataset] does); a malformed line, a
 *   member other than "id" and the four relations, a non-string item or
 *   an id given twice is an %EIGML_ERROR_FORMAT error naming the file and
 *   line. A missing relation is an empty list.
 * - the **fallback** ([ctor@Eigml.IntentSource.new_fallback]): a small,
 *   deterministic keyword heuristic that finds dialogue acts (questions,
 *   greetings, thanks, apologies, requests, complaints, jokes,
 *   invitations...) in the last turn, in Chinese or English, and writes
 *   fixed phrases for them and for the dialogue's emotion category, in the
 *   turn's language. It knows nothing about most situations and is much
 *   weaker than COMET; `docs/intent.md` lists its rules.
 *
 * [method@Eigml.IntentSource.infer] gives the knowledge of a dialogue in
 * either case. A source does not change after construction (but for
 * [property@Eigml.IntentSource:fallback-on-missing]), so several threads
 * can use it at once.
 *
 * Since: 1.0
 */
struct _EigmlIntentSource
{
  GObject parent_instance;

  EigmlIntentSourceKind kind;
  char *path;
  gboolean fallback_on_missing;
  gboolean loaded;

  /* sidecar */
  EigmlLineFile file;
  GArray *entries;          /* EigmlLineEntry */
  GHashTable *index;        /* id (in @ids) -> position in @entries + 1 */
  GStringChunk *ids;
};

G_STATIC_ASSERT (EIGML_INTENT_N_RELATIONS == EIGML_INTENTS_N_RELATIONS);

static void eigml_intent_source_initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (EigmlIntentSource, eigml_intent_source, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      eigml_intent_source_initable_iface_init))

enum
{
  PROP_0,
  PROP_KIND,
  PROP_PATH,
  PROP_FALLBACK_ON_MISSING,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

static void
unload (EigmlIntentSource *self)
{
  eigml_line_file_close (&self->file);
  g_clear_pointer (&self->entries, g_array_unref);
  g_clear_pointer (&self->index, g_hash_table_destroy);
  g_clear_pointer (&self->ids, g_string_chunk_free);
  self->loaded = FALSE;
}

static void
eigml_intent_source_finalize (GObject *object)
{
  EigmlIntentSource *self = EIGML_INTENT_SOURCE (object);

  unload (self);
  g_free (self->path);
  G_OBJECT_CLASS (eigml_intent_source_parent_class)->finalize (object);
}

static void
eigml_intent_source_get_property (GObject *object,
                                  guint prop_id,
                                  GValue *value,
                                  GParamSpec *pspec)
{
  EigmlIntentSource *self = EIGML_INTENT_SOURCE (object);

  switch (prop_id)
    {
    case PROP_KIND:
      g_value_set_enum (value, self->kind);
      break;
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_FALLBACK_ON_MISSING:
      g_value_set_boolean (value, self->fallback_on_missing);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eigml_intent_source_set_property (GObject *object,
                                  guint prop_id,
                                  const GValue *value,
                                  GParamSpec *pspec)
{
  EigmlIntentSource *self = EIGML_INTENT_SOURCE (object);

  switch (prop_id)
    {
    case PROP_KIND:
      self->kind = g_value_get_enum (value);
      break;
    case PROP_PATH:
      g_free (self->path);
      self->path = g_value_dup_string (value);
      break;
    case PROP_FALLBACK_ON_MISSING:
      eigml_intent_source_set_fallback_on_missing (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
eigml_intent_source_class_init (EigmlIntentSourceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                G_PARAM_STATIC_STRINGS;

  object_class->finalize = eigml_intent_source_finalize;
  object_class->get_property = eigml_intent_source_get_property;
  object_class->set_property = eigml_intent_source_set_property;

  /**
   * EigmlIntentSource:kind:
   *
   * Whether the source reads a sidecar or runs the fallback.
   *
   * Since: 1.0
   */
  props[PROP_KIND] = g_param_spec_enum ("kind", NULL, NULL, EIGML_TYPE_INTENT_SOURCE_KIND,
                                        EIGML_INTENT_SOURCE_FALLBACK, construct);
  /**
   * EigmlIntentSource:path:
   *
   * The sidecar file (JSON lines); %NULL for the fallback.
   *
   * Since: 1.0
   */
  props[PROP_PATH] = g_param_spec_string ("path", NULL, NULL, NULL, construct);
  /**
   * EigmlIntentSource:fallback-on-missing:
   *
   * Whether [method@Eigml.IntentSource.infer] on a sidecar source runs the
   * fallback for a dialogue without an id, or whose id the sidecar lacks,
   * instead of failing. Off by default: a sidecar that misses examples is
   * more often a mistake than a wish. Set it before sharing the source
   * between threads.
   *
   * Since: 1.0
   */
  props[PROP_FALLBACK_ON_MISSING] =
    g_param_spec_boolean ("fallback-on-missing", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
eigml_intent_source_init (EigmlIntentSource *self)
{
  self->kind = EIGML_INTENT_SOURCE_FALLBACK;
  self->file.fd = -1;
}

static gboolean
load_line (const char *text,
           gsize length,
           const EigmlLineEntry *entry,
           gpointer user_data,
           GError **error)
{
  EigmlIntentSource *self = user_data;
  EigmlJsonLoc loc = { self->file.name, entry->line, NULL };
  char **intents[EIGML_INTENT_N_RELATIONS] = { NULL };
  g_autofree char *id = NULL;
  gpointer found;

  if (!eigml_sidecar_parse_intents (text, length, &loc, EIGML_RELATIONS_AND_ID, &id, intents,
                                    error))
    return FALSE;
  eigml_relation_lists_clear (intents);
  found = g_hash_table_lookup (self->index, id);
  if (found != NULL)
    {
      const EigmlLineEntry *first = &g_array_index (self->entries, EigmlLineEntry,
                                                    GPOINTER_TO_UINT (found) - 1);

      eigml_dataset_set_error (error, &loc, "field 'id': '%s' is already given on line %u", id,
                               first->line);
      return FALSE;
    }
  g_array_append_val (self->entries, *entry);
  g_hash_table_insert (self->index, g_string_chunk_insert (self->ids, id),
                       GUINT_TO_POINTER (self->entries->len));
  return TRUE;
}

static gboolean
eigml_intent_source_initable_init (GInitable *initable,
                                   GCancellable *cancellable,
                                   GError **error)
{
  EigmlIntentSource *self = EIGML_INTENT_SOURCE (initable);

  if (self->loaded)
    return TRUE;
  if (self->kind == EIGML_INTENT_SOURCE_FALLBACK)
    {
      if (self->path != NULL)
        {
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                       "%s: the fallback intent source reads no file", self->path);
          return FALSE;
        }
      self->loaded = TRUE;
      return TRUE;
    }
  if (self->path == NULL)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "a sidecar intent source needs a path");
      return FALSE;
    }
  unload (self);
  self->entries = g_array_new (FALSE, FALSE, sizeof (EigmlLineEntry));
  self->index = g_hash_table_new (g_str_hash, g_str_equal);
  self->ids = g_string_chunk_new (4096);
  if (!eigml_line_file_open (&self->file, self->path, error) ||
      !eigml_line_file_scan (&self->file, NULL, load_line, self, cancellable, error))
    {
      unload (self);
      return FALSE;
    }
  self->loaded = TRUE;
  return TRUE;
}

static void
eigml_intent_source_initable_iface_init (GInitableIface *iface)
{
  iface->init = eigml_intent_source_initable_init;
}

/**
 * eigml_intent_source_new_from_sidecar:
 * @path: (type filename): a JSON lines file of COMET inferences keyed by
 *   example id (docs/intent.md)
 * @error: return location for a #GError
 *
 * Loads a sidecar: reads every line once, checks it and indexes its id.
 *
 * Returns: (transfer full) (nullable): the source, or %NULL when the file
 *   cannot be read or a line is bad
 *
 * Since: 1.0
 */
EigmlIntentSource *
eigml_intent_source_new_from_sidecar (const char *path,
                                      GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_initable_new (EIGML_TYPE_INTENT_SOURCE, NULL, error, "kind",
                         EIGML_INTENT_SOURCE_SIDECAR, "path", path, NULL);
}

/**
 * eigml_intent_source_new_fallback:
 *
 * The offline fallback: a keyword heuristic, not a model (see
 * #EigmlIntentSource and docs/intent.md).
 *
 * Returns: (transfer full): the source
 *
 * Since: 1.0
 */
EigmlIntentSource *
eigml_intent_source_new_fallback (void)
{
  EigmlIntentSource *self = g_initable_new (EIGML_TYPE_INTENT_SOURCE, NULL, NULL, "kind",
                                            EIGML_INTENT_SOURCE_FALLBACK, NULL);

  g_assert (self != NULL);
  return self;
}

/**
 * eigml_intent_source_get_kind:
 * @self: a source
 *
 * Returns: whether @self reads a sidecar or runs the fallback
 *
 * Since: 1.0
 */
EigmlIntentSourceKind
eigml_intent_source_get_kind (EigmlIntentSource *self)
{
  g_return_val_if_fail (EIGML_IS_INTENT_SOURCE (self), EIGML_INTENT_SOURCE_FALLBACK);
  return self->kind;
}

/**
 * eigml_intent_source_get_path:
 * @self: a source
 *
 * Returns: (type filename) (nullable): the sidecar file, or %NULL for the
 *   fallback
 *
 * Since: 1.0
 */
const char *
eigml_intent_source_get_path (EigmlIntentSource *self)
{
  g_return_val_if_fail (EIGML_IS_INTENT_SOURCE (self), NULL);
  return self->path;
}

/**
 * eigml_intent_source_get_n_ids:
 * @self: a source
 *
 * Returns: how many example ids the sidecar gives (0 for the fallback)
 *
 * Since: 1.0
 */
guint
eigml_intent_source_get_n_ids (EigmlIntentSource *self)
{
  g_return_val_if_fail (EIGML_IS_INTENT_SOURCE (self), 0);
  return self->entries != NULL ? self->entries->len : 0;
}

/**
 * eigml_intent_source_get_fallback_on_missing:
 * @self: a source
 *
 * Returns: the value of [property@Eigml.IntentSource:fallback-on-missing]
 *
 * Since: 1.0
 */
gboolean
eigml_intent_source_get_fallback_on_missing (EigmlIntentSource *self)
{
  g_return_val_if_fail (EIGML_IS_INTENT_SOURCE (self), FALSE);
  return self->fallback_on_missing;
}

/**
 * eigml_intent_source_set_fallback_on_missing:
 * @self: a source
 * @fallback_on_missing: run the fallback for dialogues the sidecar lacks
 *
 * Sets [property@Eigml.IntentSource:fallback-on-missing].
 *
 * Since: 1.0
 */
void
eigml_intent_source_set_fallback_on_missing (EigmlIntentSource *self,
                                             gboolean fallback_on_missing)
{
  g_return_if_fail (EIGML_IS_INTENT_SOURCE (self));

  fallback_on_missing = !!fallback_on_missing;
  if (self->fallback_on_missing == fallback_on_missing)
    return;
  self->fallback_on_missing = fallback_on_missing;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_FALLBACK_ON_MISSING]);
}

/**
 * eigml_intent_source_lookup:
 * @self: a source
 * @id: an example id
 * @error: return location for a #GError
 *
 * Gives the sidecar's inferences for one example. The fallback knows no
 * ids and always returns %NULL.
 *
 * Returns: (transfer full) (nullable): the intents, or %NULL without an
 *   error when the sidecar has no line for @id, or %NULL with an error when
 *   the line cannot be read again (the file changed since it was loaded)
 *
 * Since: 1.0
 */
EigmlIntents *
eigml_intent_source_lookup (EigmlIntentSource *self,
                            const char *id,
                            GError **error)
{
  char **intents[EIGML_INTENT_N_RELATIONS] = { NULL };
  const EigmlLineEntry *entry;
  g_autofree char *text = NULL;
  g_autofree char *found_id = NULL;
  gpointer position;

  g_return_val_if_fail (EIGML_IS_INTENT_SOURCE (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (self->index == NULL || (position = g_hash_table_lookup (self->index, id)) == NULL)
    return NULL;
  entry = &g_array_index (self->entries, EigmlLineEntry, GPOINTER_TO_UINT (position) - 1);
  text = eigml_line_file_read (&self->file, entry, error);
  if (text != NULL)
    {
      EigmlJsonLoc loc = { self->file.name, entry->line, NULL };

      if (!eigml_sidecar_parse_intents (text, entry->length, &loc, EIGML_RELATIONS_AND_ID,
                                        &found_id, intents, error))
        return NULL;
      if (strcmp (found_id, id) != 0)
        {
          eigml_relation_lists_clear (intents);
          g_set_error (error, EIGML_ERROR, EIGML_ERROR_FORMAT,
                       "%s:%u: the file changed since it was loaded (id '%s', expected '%s')",
                       self->file.name, entry->line, found_id, id);
          return NULL;
        }
      return eigml_intents_new_take (intents);
    }
  return NULL;
}

static gboolean
emotion_index (const char *emotion,
               int *index,
               GError **error)
{
  *index = -1;
  if (emotion == NULL)
    return TRUE;
  for (guint c = 0; c < EIGML_EMOTION_N_CATEGORIES; c++)
    if (strcmp (emotion, eigml_emotion_names[c]) == 0)
      {
        *index = (int) c;
        return TRUE;
      }
  g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
               "emotion: expected a category of 好 乐 哀 怒 惧 恶 惊, got '%s'", emotion);
  return FALSE;
}

/**
 * eigml_intent_source_infer:
 * @self: a source
 * @turns: (array zero-terminated=1) (nullable): the dialogue's turns,
 *   oldest first
 * @emotion: (nullable): the dialogue's emotion category, one of 好 乐 哀 怒
 *   惧 恶 惊 (e.g. from an emotion annotator), or %NULL for none
 * @id: (nullable): the dialogue's example id, or %NULL when it has none
 * @error: return location for a #GError
 *
 * Gives the four relations for a dialogue. A sidecar source looks @id up;
 * a dialogue without an id, or whose id the sidecar lacks, is an
 * %EIGML_ERROR_INVALID_ARGUMENT error unless
 * [property@Eigml.IntentSource:fallback-on-missing] is set, in which case
 * the fallback infers them. The fallback reads the last turn that is not
 * blank and @emotion, and ignores @id; it always gives the same intents for
 * the same arguments.
 *
 * Returns: (transfer full) (nullable): the intents
 *
 * Since: 1.0
 */
EigmlIntents *
eigml_intent_source_infer (EigmlIntentSource *self,
                           const char * const *turns,
                           const char *emotion,
                           const char *id,
                           GError **error)
{
  char **intents[EIGML_INTENT_N_RELATIONS] = { NULL };
  int category;

  g_return_val_if_fail (EIGML_IS_INTENT_SOURCE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!emotion_index (emotion, &category, error))
    return NULL;
  if (self->kind == EIGML_INTENT_SOURCE_SIDECAR && !self->loaded)
    {
      g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                   "the sidecar intent source is not loaded (g_initable_init() was not called)");
      return NULL;
    }
  if (self->kind == EIGML_INTENT_SOURCE_SIDECAR)
    {
      GError *local = NULL;
      EigmlIntents *found = id != NULL ? eigml_intent_source_lookup (self, id, &local) : NULL;

      if (found != NULL)
        return found;
      if (local != NULL)
        {
          g_propagate_error (error, local);
          return NULL;
        }
      if (!self->fallback_on_missing)
        {
          if (id == NULL)
            g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                         "%s: intents are looked up by example id, and the dialogue has none "
                         "(set fallback-on-missing to infer them)", self->file.name);
          else
            g_set_error (error, EIGML_ERROR, EIGML_ERROR_INVALID_ARGUMENT,
                         "%s: no intents for the example id '%s' (set fallback-on-missing to "
                         "infer them)", self->file.name, id);
          return NULL;
        }
    }
  eigml_intent_fallback_infer (turns, category, intents);
  return eigml_intents_new_take (intents);
}
