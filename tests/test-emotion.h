/* test-emotion.h: what the emotion tests share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "eigml.h"

G_BEGIN_DECLS

/* The folder the tests write in, removed at the end */
extern char *emotion_tmpdir;

/* Writes emotion_tmpdir/name (folders made as needed); returns its path. */
char *emotion_write_file (const char *name,
                          const char *contents,
                          gssize len);
/* Segments @text and checks the tokens, and that they join into @text. */
void emotion_assert_segments (EigmlEmotionAnnotator *annotator,
                              const char *text,
                              const char *const *expected);

/* A prob_emit.py with two characters (test-emotion-jieba.c) */
extern const char emotion_small_emit[];

void emotion_add_jieba_tests (void);

G_END_DECLS
