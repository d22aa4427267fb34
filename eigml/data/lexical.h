/* lexical.h: a BM25 index over the stickers' labels and keywords, the
 * lexical half of whole-library retrieval's first stage
 * (docs/architecture.md, "The first stage is hybrid")
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _EigmlLexical EigmlLexical;

EigmlLexical *eigml_lexical_new (void);
void eigml_lexical_free (EigmlLexical *self);
/* Appends document number eigml_lexical_get_n_docs() (before the call). */
void eigml_lexical_add (EigmlLexical *self, const char *text);
guint eigml_lexical_get_n_docs (EigmlLexical *self);
/* BM25 (k1 1.2, b 0.75) of every document for @query into @scores
 * [n_docs]; returns how many are above zero. */
guint eigml_lexical_score (EigmlLexical *self, const char *query, float *scores);
/* The terms of @text: lowercased ASCII letter/digit runs but single
 * characters and English function words ("the", "to", "so", ...), and each
 * run of CJK ideographs as its characters and its character bigrams. The
 * words a negator governs (the next two characters after 不 没 别 未 无 莫
 * 勿; the words after "not", "no", "never", "don't", ... to the end of the
 * clause) are marked as negated: other terms than the same words plain. */
GPtrArray *eigml_lexical_terms (const char *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EigmlLexical, eigml_lexical_free)

G_END_DECLS
