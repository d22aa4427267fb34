/* eigml-sticker-library.h: a collection of stickers with labels
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(__EIGML_H_INSIDE__) && !defined(EIGML_COMPILATION)
#error "Only <eigml/eigml.h> can be included directly."
#endif

#include <gio/gio.h>
#include <eigml/eigml-version-macros.h>

G_BEGIN_DECLS

#define EIGML_TYPE_STICKER_LIBRARY (eigml_sticker_library_get_type ())

EIGML_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (EigmlStickerLibrary, eigml_sticker_library, EIGML, STICKER_LIBRARY,
                      GObject)

EIGML_AVAILABLE_IN_ALL
EigmlStickerLibrary *eigml_sticker_library_new (void);
EIGML_AVAILABLE_IN_ALL
EigmlStickerLibrary *eigml_sticker_library_new_from_file (const char *path,
                                                          GError **error);
EIGML_AVAILABLE_IN_ALL
EigmlStickerLibrary *eigml_sticker_library_new_from_folder (const char *folder,
                                                            GError **error);
EIGML_AVAILABLE_IN_ALL
guint eigml_sticker_library_get_n_stickers (EigmlStickerLibrary *self);
EIGML_AVAILABLE_IN_ALL
const char *eigml_sticker_library_get_id (EigmlStickerLibrary *self,
                                          guint index);
EIGML_AVAILABLE_IN_ALL
const char *eigml_sticker_library_get_path (EigmlStickerLibrary *self,
                                            guint index);
EIGML_AVAILABLE_IN_ALL
const char *eigml_sticker_library_get_label (EigmlStickerLibrary *self,
                                             guint index,
                                             const char *language);
EIGML_AVAILABLE_IN_ALL
const char * const *eigml_sticker_library_get_keywords (EigmlStickerLibrary *self,
                                                       guint index,
                                                       const char *language);
EIGML_AVAILABLE_IN_ALL
const char *eigml_sticker_library_get_emotion (EigmlStickerLibrary *self,
                                               guint index);
EIGML_AVAILABLE_IN_ALL
gboolean eigml_sticker_library_lookup (EigmlStickerLibrary *self,
                                       const char *id,
                                       guint *index);
EIGML_AVAILABLE_IN_ALL
gboolean eigml_sticker_library_add (EigmlStickerLibrary *self,
                                    const char *id,
                                    const char *path,
                                    const char *label_en,
                                    const char *label_zh,
                                    const char *emotion,
                                    GError **error);
EIGML_AVAILABLE_IN_ALL
gboolean eigml_sticker_library_save (EigmlStickerLibrary *self,
                                     const char *path,
                                     GError **error);
EIGML_AVAILABLE_IN_ALL
char *eigml_sticker_library_get_fingerprint (EigmlStickerLibrary *self);

G_END_DECLS
