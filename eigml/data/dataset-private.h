/* dataset-private.h: what EigmlDataset and its format readers share
 * (private)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A reader turns one dataset file into examples. Line formats (StickerChat,
 * JSONL) keep only an index of byte ranges and parse a line again for each
 * example; DSTC10-MOD, one JSON document, is parsed once into compact
 * records. Readers report a bad record through eigml_dataset_core_reject(),
 * which either stops the load or, with skip-bad, counts it.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "eigml-dataset.h"

G_BEGIN_DECLS

/* The longest line of a JSON lines file (dataset or sidecar), in bytes. */
#define EIGML_DATASET_MAX_LINE (64u << 20)
/* The largest DSTC10-MOD file (one JSON document) and img2id.json. */
#define EIGML_DATASET_MAX_DOCUMENT (1u << 30)
/* The deepest nesting of arrays and objects accepted in JSON text. */
#define EIGML_DATASET_MAX_DEPTH 64
/* How many skipped-record messages a dataset keeps. */
#define EIGML_DATASET_MAX_MESSAGES 100
/* The largest n-candidates. */
#define EIGML_DATASET_MAX_CANDIDATES 4096

/* The four COMET relations, in the order of EigmlExample's intents. */
#define EIGML_INTENT_N_RELATIONS 4
extern const char *const eigml_intent_relations[EIGML_INTENT_N_RELATIONS];
/* The seven DUTIR category names, in the order of an emotion vector. */
extern const char *const eigml_emotion_names[EIGML_EMOTION_N_CATEGORIES];

/* ---- examples (eigml-example.c) ---- */

struct _EigmlExample
{
  gatomicrefcount ref_count;
  char *id;
  char *source_file;
  guint source_line;
  GPtrArray *texts;             /* char *, NULL-terminated once finished */
  GPtrArray *speakers;          /* char *, NULL-terminated once finished */
  GPtrArray *candidate_ids;     /* char * or NULL (padding) */
  GPtrArray *candidate_paths;   /* char * or NULL (padding) */
  guint positive;
  gboolean has_emotion;
  float emotion[EIGML_EMOTION_N_CATEGORIES];
  char **intents[EIGML_INTENT_N_RELATIONS];   /* all NULL: no intents */
};

/* splitmix64 (Steele, Lea and Flood 2014): see docs/datasets.md */
typedef struct
{
  guint64 state;
} EigmlRandom;

void eigml_random_init (EigmlRandom *rng,
                        guint64 seed,
                        guint64 index);
guint64 eigml_random_next (EigmlRandom *rng);
guint64 eigml_random_below (EigmlRandom *rng,
                            guint64 n);
guint eigml_random_pick_others (EigmlRandom *rng,
                                guint n_universe,
                                guint exclude,
                                guint k,
                                guint *out);

EigmlExample *eigml_example_new (char *id,
                                 const char *source_file,
                                 guint source_line);
void eigml_example_add_turn (EigmlExample *self,
                             const char *speaker,
                             char *text);
void eigml_example_add_candidate (EigmlExample *self,
                                  const char *id,
                                  char *path);
void eigml_example_finish (EigmlExample *self,
                           guint pad_to,
                           EigmlRandom *rng);
void eigml_example_set_emotion (EigmlExample *self,
                                const float *emotion);
void eigml_example_take_intents (EigmlExample *self,
                                 char **intents[EIGML_INTENT_N_RELATIONS]);

char *eigml_dataset_join_cjk (const char *text);

/* ---- JSON text (dataset-json.c) ---- */

/* Where a value was read, for messages: "file:line: field 'base.member'" */
typedef struct
{
  const char *file;     /* the file's base name */
  guint line;           /* 1-based; 0: unknown */
  const char *base;     /* path of the enclosing value, or NULL */
} EigmlJsonLoc;

/* The lines where values start at depth 1 and 2 of a document (MOD). */
typedef struct
{
  GArray *depth1;           /* guint32 line of each depth-1 value */
  GArray *depth2;           /* guint32 line of each depth-2 value */
  GArray *depth2_parent;    /* guint32 ordinal of its depth-1 value */
} EigmlJsonLines;

void eigml_json_lines_init (EigmlJsonLines *lines);
void eigml_json_lines_clear (EigmlJsonLines *lines);

G_GNUC_PRINTF (3, 4)
void eigml_dataset_set_error (GError **error,
                              const EigmlJsonLoc *loc,
                              const char *format,
                              ...);
JsonNode *eigml_json_parse (JsonParser *parser,
                            const char *text,
                            gsize length,
                            const EigmlJsonLoc *loc,
                            EigmlJsonLines *lines,
                            GError **error);
const char *eigml_json_kind (JsonNode *node);
JsonNode *eigml_json_member (JsonObject *object,
                             const char *member);
gboolean eigml_json_read_id (JsonNode *node,
                             const EigmlJsonLoc *loc,
                             const char *member,
                             char **out,
                             GError **error);
gboolean eigml_json_read_optional_id (JsonNode *node,
                                      const EigmlJsonLoc *loc,
                                      const char *member,
                                      char **out,
                                      GError **error);
gboolean eigml_json_read_text (JsonNode *node,
                               const EigmlJsonLoc *loc,
                               const char *member,
                               gboolean optional,
                               const char **out,
                               GError **error);
JsonArray *eigml_json_read_array (JsonNode *node,
                                  const EigmlJsonLoc *loc,
                                  const char *member,
                                  GError **error);
JsonObject *eigml_json_read_object (JsonNode *node,
                                    const EigmlJsonLoc *loc,
                                    const char *member,
                                    GError **error);
gboolean eigml_json_read_emotion (JsonNode *node,
                                  const EigmlJsonLoc *loc,
                                  const char *member,
                                  float out[EIGML_EMOTION_N_CATEGORIES],
                                  GError **error);
/* Which members an object of COMET relations may have besides them. */
typedef enum
{
  EIGML_RELATIONS_OTHERS_IGNORED,   /* a dataset sidecar line: "id", "emotion", anything */
  EIGML_RELATIONS_ONLY,             /* JSONL's "intent" object */
  EIGML_RELATIONS_AND_ID,           /* an EigmlIntentSource sidecar line */
} EigmlRelationMembers;

gboolean eigml_json_read_intents (JsonObject *object,
                                  const EigmlJsonLoc *loc,
                                  EigmlRelationMembers members,
                                  char **out[EIGML_INTENT_N_RELATIONS],
                                  GError **error);
void eigml_relation_lists_clear (char **intents[EIGML_INTENT_N_RELATIONS]);
gboolean eigml_dataset_check_name (const char *name,
                                   const EigmlJsonLoc *loc,
                                   const char *member,
                                   GError **error);

/* ---- JSON lines files (dataset-lines.c) ---- */

typedef struct
{
  guint64 offset;
  guint32 length;
  guint32 line;         /* 1-based */
} EigmlLineEntry;

typedef struct
{
  char *path;
  char *name;           /* base name, for messages */
  int fd;
} EigmlLineFile;

typedef struct _EigmlDatasetCore EigmlDatasetCore;

/* Called for each non-blank line; FALSE with @error stops the scan. */
typedef gboolean (*EigmlLineFunc) (const char *text,
                                   gsize length,
                                   const EigmlLineEntry *entry,
                                   gpointer user_data,
                                   GError **error);

gboolean eigml_line_file_open (EigmlLineFile *file,
                               const char *path,
                               GError **error);
void eigml_line_file_close (EigmlLineFile *file);
gboolean eigml_line_file_scan (EigmlLineFile *file,
                               EigmlDatasetCore *core,
                               EigmlLineFunc func,
                               gpointer user_data,
                               GCancellable *cancellable,
                               GError **error);
char *eigml_line_file_read (EigmlLineFile *file,
                            const EigmlLineEntry *entry,
                            GError **error);
gssize eigml_line_index_find (GArray *index,
                              guint line);

/* ---- the dataset and its readers (eigml-dataset.c, dataset-*.c) ---- */

typedef struct
{
  gboolean (*load) (EigmlDatasetCore *core,
                    GCancellable *cancellable,
                    GError **error);
  EigmlExample *(*get) (EigmlDatasetCore *core,
                        guint index,
                        GError **error);
  /* the index of the example with this id */
  gboolean (*find) (EigmlDatasetCore *core,
                    const char *id,
                    guint *index);
  /* bytes held per dataset, for tests of the memory behaviour */
  gsize (*index_bytes) (EigmlDatasetCore *core);
  void (*free) (gpointer data);
} EigmlDatasetReader;

struct _EigmlDatasetCore
{
  /* settings, fixed before loading */
  EigmlDatasetFormat format;
  char *folder;         /* absolute */
  char *file;           /* absolute */
  char *file_name;      /* base name of file, for messages */
  char *split;
  guint n_candidates;
  guint64 seed;
  gboolean skip_bad;

  /* what loading found */
  guint n_examples;
  guint n_stickers;
  guint n_skipped;
  GPtrArray *messages;  /* the first EIGML_DATASET_MAX_MESSAGES skips */
  const EigmlDatasetReader *reader;
  gpointer data;        /* the reader's */
};

gboolean eigml_dataset_core_resolve (EigmlDatasetCore *core,
                                     const char *folder,
                                     const char *file,
                                     const char *split,
                                     GError **error);
gboolean eigml_dataset_core_reject (EigmlDatasetCore *core,
                                    GError *reason,
                                    GError **error);

/* ---- sidecars (dataset-sidecar.c) ---- */

typedef struct
{
  EigmlDatasetCore *core;
  EigmlLineFile file;
  GArray *entries;      /* EigmlLineEntry per example; length 0: none */
  gboolean intents;     /* intents, else emotion */
} EigmlSidecar;

gboolean eigml_sidecar_load (EigmlSidecar *sidecar,
                             EigmlDatasetCore *core,
                             const char *path,
                             gboolean intents,
                             GCancellable *cancellable,
                             GError **error);
gboolean eigml_sidecar_apply (EigmlSidecar *sidecar,
                              guint index,
                              EigmlExample *example,
                              GError **error);
gsize eigml_sidecar_index_bytes (EigmlSidecar *sidecar);
gboolean eigml_sidecar_parse_intents (const char *text,
                                      gsize length,
                                      const EigmlJsonLoc *loc,
                                      EigmlRelationMembers members,
                                      char **id,
                                      char **intents[EIGML_INTENT_N_RELATIONS],
                                      GError **error);
void eigml_sidecar_clear (EigmlSidecar *sidecar);

extern const EigmlDatasetReader eigml_dataset_stickerchat_reader;
extern const EigmlDatasetReader eigml_dataset_mod_reader;
extern const EigmlDatasetReader eigml_dataset_jsonl_reader;

/* Private accessor for tests: bytes the dataset holds for its examples
 * (index, records, sidecar indices), not counting the sticker tables. */
gsize eigml_dataset_get_index_bytes (EigmlDataset *self);

G_END_DECLS
