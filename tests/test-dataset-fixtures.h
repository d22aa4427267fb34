/* test-dataset-fixtures.h: dataset folders written by the dataset tests,
 * and checks they share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "eigml.h"

G_BEGIN_DECLS

/* A record that must fail, and a part of its message. */
typedef struct
{
  const char *line;
  const char *needle;
} BadLine;

/* A new temporary folder, and its removal with everything in it. */
char *make_dir (void);
void remove_tree (const char *path);

/* Writes dir/relative (folders made as needed); returns the full path. */
char *put_file (const char *dir,
                const char *relative,
                const char *contents,
                gssize length);

/* npy_stickers/<set>/<sticker>.npy, a 2 x 2 RGB sticker. */
void put_npy (const char *dir,
              const char *set,
              const char *sticker);

/* A StickerChat set with stickers s0 .. s<n-1>, and an emoji_mapping.txt
 * of @mapping (none when NULL). */
void put_set (const char *dir,
              const char *set,
              guint n,
              const char *mapping);

/* One StickerChat line; @context is the JSON list, @set and @sticker JSON
 * values. */
char *sc_line (const char *context,
               const char *set,
               const char *sticker);

/* DSTC10-MOD memes 000 .. n-1 in meme_set/ (000 an animated GIF, the
 * others PNG) and img2id.json naming them and one missing file. */
void put_memes (const char *dir,
                guint n);

/* Creates and loads a dataset of @dir with the property name/value pairs
 * after @split (NULL-terminated); fails the test on error. */
EigmlDataset *open_dataset (const char *dir,
                            EigmlDatasetFormat format,
                            const char *split,
                            const char *first_property,
                            ...);

/* Example @index; fails the test on error. */
EigmlExample *get_example (EigmlDataset *dataset,
                           guint index);

/* The candidate ids, sorted, padding as "-", joined by spaces; checks
 * there is one positive, no sticker twice, and an existing absolute path
 * for each real candidate. */
char *candidate_set (EigmlExample *example);

/* The positive's sticker id. */
const char *positive_id (EigmlExample *example);

/* Initialising @dataset fails with a message holding every needle. */
void assert_load_fails (EigmlDataset *dataset,
                        const char *const *needles);

/* in test-dataset-formats.c */
void test_dataset_add_format_tests (void);

G_END_DECLS
