/* server-routes.c: eigml-server's routes (docs/server.md)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "server.h"

#include <errno.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

/* a sticker image's validator: a strong ETag from its bytes, kept while
 * the file's size and modification time stay */
typedef struct
{
  char *etag;
  goffset size;
  gint64 mtime_us;
} ImageTag;

static void
image_tag_free (gpointer data)
{
  ImageTag *tag = data;

  g_free (tag->etag);
  g_free (tag);
}

static char *
strong_etag (GBytes *bytes)
{
  g_autofree char *sum = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);

  return g_strdup_printf ("\"%.32s\"", sum);
}

static const char *
content_type_for (const char *name)
{
  static const struct
  {
    const char *suffix, *type;
  } types[] = {
    { ".png", "image/png" }, { ".jpg", "image/jpeg" }, { ".jpeg", "image/jpeg" },
    { ".gif", "image/gif" }, { ".webp", "image/webp" }, { ".html", "text/html; charset=utf-8" },
    { ".js", "text/javascript; charset=utf-8" }, { ".css", "text/css; charset=utf-8" },
    { ".json", "application/json" }, { ".svg", "image/svg+xml" },
  };
  g_autofree char *lower = g_ascii_strdown (name, -1);

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    if (g_str_has_suffix (lower, types[i].suffix))
      return types[i].type;
  return "application/octet-stream";
}

/* TRUE when If-None-Match names @etag (or is *) */
static gboolean
etag_matches (SoupServerMessage *msg,
              const char *etag)
{
  const char *header = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                     "If-None-Match");
  g_auto (GStrv) tags = NULL;

  if (header == NULL)
    return FALSE;
  tags = g_strsplit (header, ",", -1);
  for (guint i = 0; tags[i] != NULL; i++)
    {
      const char *t = g_strstrip (tags[i]);

      if (g_str_has_prefix (t, "W/"))
        t += 2;
      if (g_str_equal (t, "*") || g_str_equal (t, etag))
        return TRUE;
    }
  return FALSE;
}

/* answers bytes with an ETag, or 304 when the client has them */
static void
respond_bytes (SoupServerMessage *msg,
               GBytes *bytes,
               const char *content_type,
               const char *etag,
               const char *cache_control)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_message_headers_replace (headers, "ETag", etag);
  soup_message_headers_replace (headers, "Cache-Control", cache_control);
  if (etag_matches (msg, etag))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_MODIFIED, NULL);
      return;
    }
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (headers, content_type, NULL);
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg), bytes);
}

/* ---- stickers ------------------------------------------------------------ */

void
server_add_sticker_json (JsonBuilder *b,
                         EigmlStickerLibrary *library,
                         guint index)
{
  const char *id = eigml_sticker_library_get_id (library, index);
  const char *emotion = eigml_sticker_library_get_emotion (library, index);
  const char *labels[] = { "en", "zh" };
  g_autofree char *escaped = g_uri_escape_string (id, NULL, FALSE);
  g_autofree char *image = g_strdup_printf ("/v1/stickers/%s/image", escaped);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, id);
  for (guint i = 0; i < G_N_ELEMENTS (labels); i++)
    {
      const char *label = eigml_sticker_library_get_label (library, index, labels[i]);
      g_autofree char *name = g_strconcat ("label_", labels[i], NULL);

      json_builder_set_member_name (b, name);
      if (label != NULL)
        json_builder_add_string_value (b, label);
      else
        json_builder_add_null_value (b);
    }
  json_builder_set_member_name (b, "emotion");
  if (emotion != NULL)
    json_builder_add_string_value (b, emotion);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "image");
  json_builder_add_string_value (b, image);
  json_builder_end_object (b);
}

/* a query parameter as a count, or FALSE after answering 400 */
static gboolean
query_uint (SoupServerMessage *msg,
            GHashTable *query,
            const char *name,
            guint fallback,
            guint max,
            guint *value)
{
  const char *text = query ? g_hash_table_lookup (query, name) : NULL;
  guint64 v = 0;

  *value = fallback;
  if (text == NULL)
    return TRUE;
  if (!g_ascii_string_to_unsigned (text, 10, 0, max, &v, NULL))
    {
      server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, name,
                            "%s must be a whole number from 0 to %u", name, max);
      return FALSE;
    }
  *value = (guint) v;
  return TRUE;
}

static void
handle_stickers (EigmlServer *server,
                 SoupServerMessage *msg,
                 GHashTable *query)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  guint n = eigml_sticker_library_get_n_stickers (server->library);
  guint offset, limit;

  if (!query_uint (msg, query, "offset", 0, G_MAXINT, &offset) ||
      !query_uint (msg, query, "limit", SERVER_DEFAULT_PAGE, SERVER_MAX_PAGE, &limit))
    return;
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "total");
  json_builder_add_int_value (b, n);
  json_builder_set_member_name (b, "offset");
  json_builder_add_int_value (b, offset);
  json_builder_set_member_name (b, "limit");
  json_builder_add_int_value (b, limit);
  json_builder_set_member_name (b, "stickers");
  json_builder_begin_array (b);
  for (guint i = offset; i < n && i - offset < limit; i++)
    server_add_sticker_json (b, server->library, i);
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  server_respond_json (msg, SOUP_STATUS_OK, root);
}

static gboolean
lookup_sticker (EigmlServer *server,
                SoupServerMessage *msg,
                const char *id,
                guint *index)
{
  if (eigml_sticker_library_lookup (server->library, id, index))
    return TRUE;
  server_respond_error (msg, SOUP_STATUS_NOT_FOUND, "id", "no sticker \"%s\" in the library", id);
  return FALSE;
}

static void
handle_sticker (EigmlServer *server,
                SoupServerMessage *msg,
                const char *id)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  guint index;

  if (!lookup_sticker (server, msg, id, &index))
    return;
  server_add_sticker_json (b, server->library, index);
  root = json_builder_get_root (b);
  server_respond_json (msg, SOUP_STATUS_OK, root);
}

static void
handle_sticker_image (EigmlServer *server,
                      SoupServerMessage *msg,
                      const char *id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autofree char *data = NULL;
  const char *path;
  GStatBuf st;
  ImageTag *tag;
  gsize length = 0;
  guint index;

  if (!lookup_sticker (server, msg, id, &index))
    return;
  path = eigml_sticker_library_get_path (server->library, index);
  if (g_stat (path, &st) != 0 || !g_file_get_contents (path, &data, &length, &error))
    {
      g_warning ("sticker %s: %s", id, error ? error->message : "cannot read its image");
      server_respond_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, NULL,
                            "sticker \"%s\": its image cannot be read", id);
      return;
    }
  bytes = g_bytes_new_take (g_steal_pointer (&data), length);
  tag = g_hash_table_lookup (server->image_tags, id);
  if (tag == NULL || tag->size != st.st_size ||
      tag->mtime_us != (gint64) st.st_mtim.tv_sec * G_USEC_PER_SEC + st.st_mtim.tv_nsec / 1000)
    {
      tag = g_new0 (ImageTag, 1);
      tag->etag = strong_etag (bytes);
      tag->size = st.st_size;
      tag->mtime_us = (gint64) st.st_mtim.tv_sec * G_USEC_PER_SEC + st.st_mtim.tv_nsec / 1000;
      g_hash_table_replace (server->image_tags, g_strdup (id), tag);
    }
  respond_bytes (msg, bytes, content_type_for (path), tag->etag, "public, max-age=3600");
}

/* ---- POST /v1/stickers ----------------------------------------------------- */

typedef struct
{
  EigmlServer *server;
  SoupServerMessage *msg;
  char *id;
  char *label_en;
  char *label_zh;
  char *emotion;
  GBytes *image;
  /* the answer */
  guint status;
  char *field;
  char *message;
  guint index;
} AddJob;

static void
add_job_free (AddJob *job)
{
  g_clear_object (&job->msg);
  g_free (job->id);
  g_free (job->label_en);
  g_free (job->label_zh);
  g_free (job->emotion);
  g_clear_pointer (&job->image, g_bytes_unref);
  g_free (job->field);
  g_free (job->message);
  g_free (job);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AddJob, add_job_free)

static gboolean
valid_id (const char *id)
{
  gsize n = strlen (id);

  if (n == 0 || n > 64 || id[0] == '.' || id[0] == '-')
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isalnum (id[i]) && id[i] != '_' && id[i] != '-' && id[i] != '.')
      return FALSE;
  return TRUE;
}

typedef struct
{
  gboolean prepared;
  gboolean too_big;
} ImageHeader;

static void
on_size_prepared (GdkPixbufLoader *loader,
                  int width,
                  int height,
                  gpointer data)
{
  ImageHeader *header = data;

  header->prepared = TRUE;
  header->too_big = width > 4096 || height > 4096;
}

/* the image's file extension when it is a PNG, JPEG, GIF or WebP that
 * decodes as the ranker will decode it, or NULL with a message; on a
 * worker thread */
static const char *
check_image (GBytes *image,
             char **message)
{
  g_autoptr (GdkPixbufLoader) loader = gdk_pixbuf_loader_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) pixels = NULL;
  gsize length = 0, chunk = 4096;
  const guint8 *data = g_bytes_get_data (image, &length);
  ImageHeader header = { FALSE, FALSE };
  GdkPixbufFormat *format;
  g_autofree char *name = NULL;
  const char *ext = NULL;
  guint width, height;

  /* the header alone, in pieces: the format, and a huge picture refused
   * before its pixels are allocated */
  g_signal_connect (loader, "size-prepared", G_CALLBACK (on_size_prepared), &header);
  for (gsize at = 0; at < length && !header.prepared && error == NULL; at += chunk)
    gdk_pixbuf_loader_write (loader, data + at, MIN (chunk, length - at), &error);
  /* a small file is held back until close, before its format is known */
  gdk_pixbuf_loader_close (loader, NULL);
  format = gdk_pixbuf_loader_get_format (loader);
  name = format ? gdk_pixbuf_format_get_name (format) : NULL;
  if (header.too_big)
    {
      *message = g_strdup ("image: larger than 4096×4096 pixels");
      return NULL;
    }
  if (g_strcmp0 (name, "png") == 0)
    ext = "png";
  else if (g_strcmp0 (name, "jpeg") == 0)
    ext = "jpg";
  else if (g_strcmp0 (name, "gif") == 0)
    ext = "gif";
  else if (g_strcmp0 (name, "webp") == 0)
    ext = "webp";
  if (ext == NULL)
    {
      *message = g_strdup_printf ("image: %s; expected PNG, JPEG, GIF or WebP",
                                  name ? name : "not an image");
      return NULL;
    }
  pixels = eigml_image_decode_bytes (image, "image", &width, &height, &error);
  if (pixels == NULL)
    {
      *message = g_strdup_printf ("image: does not decode (%s)", error->message);
      return NULL;
    }
  return ext;
}

static void
add_sticker_thread (GTask *task,
                    gpointer source,
                    gpointer data,
                    GCancellable *cancellable)
{
  AddJob *job = data;
  EigmlServer *server = job->server;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  const char *ext;

  ext = check_image (job->image, &job->message);
  if (ext == NULL)
    {
      job->status = SOUP_STATUS_BAD_REQUEST;
      job->field = g_strdup ("image");
      g_task_return_boolean (task, TRUE);
      return;
    }
  g_mutex_lock (&server->add_lock);
  if (eigml_sticker_library_lookup (server->library, job->id, NULL))
    {
      job->status = SOUP_STATUS_CONFLICT;
      job->field = g_strdup ("id");
      job->message = g_strdup_printf ("sticker \"%s\" is already in the library", job->id);
      goto out;
    }
  /* never over another sticker's image */
  for (guint k = 1; path == NULL || g_file_test (path, G_FILE_TEST_EXISTS); k++)
    {
      g_autofree char *name = k == 1 ? g_strdup_printf ("%s.%s", job->id, ext)
                                     : g_strdup_printf ("%s-%u.%s", job->id, k, ext);
      g_free (path);
      path = g_build_filename (server->sticker_dir, name, NULL);
    }
  if (g_mkdir_with_parents (server->sticker_dir, 0755) != 0 ||
      !g_file_set_contents_full (path, g_bytes_get_data (job->image, NULL),
                                 (gssize) g_bytes_get_size (job->image),
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0644, &error) ||
      !eigml_ranker_add_sticker (server->ranker, job->id, path, job->label_en, job->label_zh,
                                 job->emotion, &error))
    {
      g_unlink (path);
      job->status = SOUP_STATUS_INTERNAL_SERVER_ERROR;
      job->message = g_strdup_printf ("adding sticker \"%s\": %s", job->id,
                                      error ? error->message : g_strerror (errno));
      g_warning ("%s", job->message);
      goto out;
    }
  if (!eigml_sticker_library_save (server->library, server->library_path, &error))
    {
      /* it is in the running server; the file on disk lacks it */
      job->status = SOUP_STATUS_INTERNAL_SERVER_ERROR;
      job->message = g_strdup_printf ("sticker \"%s\" was added but the library could not be "
                                      "saved: %s", job->id, error->message);
      g_warning ("%s", job->message);
      goto out;
    }
  eigml_sticker_library_lookup (server->library, job->id, &job->index);
  job->status = SOUP_STATUS_CREATED;

out:
  g_mutex_unlock (&server->add_lock);
  g_task_return_boolean (task, TRUE);
}

static void
add_sticker_done (GObject *source,
                  GAsyncResult *result,
                  gpointer data)
{
  AddJob *job = g_task_get_task_data (G_TASK (result));
  SoupServerMessage *msg = job->msg;

  if (job->status == SOUP_STATUS_CREATED)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;
      g_autofree char *escaped = g_uri_escape_string (job->id, NULL, FALSE);
      g_autofree char *location = g_strdup_printf ("/v1/stickers/%s", escaped);

      server_add_sticker_json (b, job->server->library, job->index);
      root = json_builder_get_root (b);
      server_respond_json (msg, SOUP_STATUS_CREATED, root);
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Location",
                                    location);
    }
  else
    server_respond_error (msg, job->status, job->field, "%s", job->message);
  soup_server_message_unpause (msg);
}

/* a string member, or NULL; FALSE after answering 400 */
static gboolean
optional_string (SoupServerMessage *msg,
                 JsonObject *obj,
                 const char *name,
                 guint max_chars,
                 char **value)
{
  JsonNode *node = json_object_get_member (obj, name);

  *value = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, name, "%s must be a string", name);
      return FALSE;
    }
  if (g_utf8_strlen (json_node_get_string (node), -1) > max_chars)
    {
      server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, name, "%s is longer than %u "
                            "characters", name, max_chars);
      return FALSE;
    }
  *value = g_strdup (json_node_get_string (node));
  return TRUE;
}

/* multipart/form-data: fields id, label_en, label_zh, emotion, and the
 * file image; FALSE after answering 400 */
static gboolean
read_multipart (SoupServerMessage *msg,
                GBytes *body,
                AddJob *job)
{
  g_autoptr (SoupMultipart) multipart =
    soup_multipart_new_from_message (soup_server_message_get_request_headers (msg), body);

  if (multipart == NULL)
    {
      server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, NULL,
                            "the multipart/form-data body does not parse");
      return FALSE;
    }
  for (int i = 0; i < soup_multipart_get_length (multipart); i++)
    {
      SoupMessageHeaders *headers;
      GBytes *part;
      g_autoptr (GHashTable) params = NULL;
      const char *name;
      char **slot = NULL;

      if (!soup_multipart_get_part (multipart, i, &headers, &part) ||
          !soup_message_headers_get_content_disposition (headers, NULL, &params) ||
          (name = g_hash_table_lookup (params, "name")) == NULL)
        continue;
      if (g_str_equal (name, "image"))
        {
          g_clear_pointer (&job->image, g_bytes_unref);
          job->image = g_bytes_ref (part);
          continue;
        }
      if (g_str_equal (name, "id"))
        slot = &job->id;
      else if (g_str_equal (name, "label_en"))
        slot = &job->label_en;
      else if (g_str_equal (name, "label_zh"))
        slot = &job->label_zh;
      else if (g_str_equal (name, "emotion"))
        slot = &job->emotion;
      else
        continue;
      if (!g_utf8_validate_len (g_bytes_get_data (part, NULL), g_bytes_get_size (part), NULL) ||
          g_bytes_get_size (part) > 1024)
        {
          server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, name,
                                "%s must be UTF-8 text of at most 1024 bytes", name);
          return FALSE;
        }
      g_free (*slot);
      *slot = g_strndup (g_bytes_get_data (part, NULL), g_bytes_get_size (part));
    }
  return TRUE;
}

/* JSON: {"id", "image" (base64), "label_en", "label_zh", "emotion"} */
static gboolean
read_json (SoupServerMessage *msg,
           AddJob *job)
{
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *image = NULL;
  JsonObject *obj;
  gsize length = 0;
  guchar *decoded;

  root = server_parse_body (msg, SERVER_UPLOAD_MAX, &obj);
  if (root == NULL || !optional_string (msg, obj, "id", 64, &job->id) ||
      !optional_string (msg, obj, "label_en", 200, &job->label_en) ||
      !optional_string (msg, obj, "label_zh", 200, &job->label_zh) ||
      !optional_string (msg, obj, "emotion", 16, &job->emotion) ||
      !optional_string (msg, obj, "image", G_MAXINT, &image))
    return FALSE;
  if (image != NULL)
    {
      /* a data: URL too, as a browser's FileReader gives */
      char *comma = g_str_has_prefix (image, "data:") ? strchr (image, ',') : NULL;

      decoded = g_base64_decode_inplace (comma ? comma + 1 : image, &length);
      job->image = g_bytes_new (decoded, length);
    }
  return TRUE;
}

static void
handle_add_sticker (EigmlServer *server,
                    SoupServerMessage *msg)
{
  g_autoptr (AddJob) job = g_new0 (AddJob, 1);
  g_autoptr (GTask) task = NULL;
  const char *type = soup_message_headers_get_content_type (
    soup_server_message_get_request_headers (msg), NULL);
  g_autoptr (GBytes) body =
    soup_message_body_flatten (soup_server_message_get_request_body (msg));
  EigmlEmotion emotion;

  if (g_bytes_get_size (body) > SERVER_UPLOAD_MAX)
    {
      server_respond_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, NULL,
                            "the body is larger than %" G_GSIZE_FORMAT " bytes",
                            SERVER_UPLOAD_MAX);
      return;
    }
  if (type != NULL && g_ascii_strcasecmp (type, "multipart/form-data") == 0)
    {
      if (!read_multipart (msg, body, job))
        return;
    }
  else if (!read_json (msg, job))
    return;

  if (job->id == NULL || !valid_id (job->id))
    {
      server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "id",
                            "id is required: 1 to 64 letters, digits, '_', '-' or '.', not "
                            "starting with '.' or '-'");
      return;
    }
  if (job->image == NULL || g_bytes_get_size (job->image) == 0)
    {
      server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "image",
                            "image is required: a PNG, JPEG, GIF or WebP file");
      return;
    }
  if (job->emotion != NULL && *job->emotion != '\0')
    {
      if (!eigml_emotion_from_name (job->emotion, &emotion) ||
          emotion >= EIGML_EMOTION_N_CATEGORIES)
        {
          server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "emotion",
                                "emotion must be one of 好 乐 哀 怒 惧 恶 惊 (or their English "
                                "names), not \"%s\"", job->emotion);
          return;
        }
      g_free (job->emotion);
      job->emotion = g_strdup (eigml_emotion_get_name (emotion, TRUE));
    }
  else
    g_clear_pointer (&job->emotion, g_free);
  if (eigml_sticker_library_lookup (server->library, job->id, NULL))
    {
      server_respond_error (msg, SOUP_STATUS_CONFLICT, "id",
                            "sticker \"%s\" is already in the library", job->id);
      return;
    }

  job->server = server;
  job->msg = g_object_ref (msg);
  soup_server_message_pause (msg);
  task = g_task_new (NULL, NULL, add_sticker_done, NULL);
  g_task_set_source_tag (task, handle_add_sticker);
  g_task_set_task_data (task, g_steal_pointer (&job), (GDestroyNotify) add_job_free);
  g_task_run_in_thread (task, add_sticker_thread);
}

/* ---- the rest ------------------------------------------------------------ */

static void
handle_health (EigmlServer *server,
               SoupServerMessage *msg)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GFlagsClass) flags = g_type_class_ref (EIGML_TYPE_COMPONENTS);
  g_autofree char *name = g_path_get_basename (server->model_dir);
  EigmlComponents on = eigml_model_get_config (server->model)->components;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, server->draining ? "draining" : "ok");
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, name);
  json_builder_set_member_name (b, "model_path");
  json_builder_add_string_value (b, server->model_dir);
  json_builder_set_member_name (b, "backend");
  json_builder_add_string_value (b, eigml_backend_kind_to_string (
                                      eigml_context_get_backend (server->context)));
  json_builder_set_member_name (b, "device");
  json_builder_add_string_value (b, eigml_context_get_device_name (server->context));
  json_builder_set_member_name (b, "library_size");
  json_builder_add_int_value (b, eigml_sticker_library_get_n_stickers (server->library));
  json_builder_set_member_name (b, "version");
  json_builder_add_string_value (b, PACKAGE_VERSION);
  json_builder_set_member_name (b, "components");
  json_builder_begin_object (b);
  for (guint i = 0; i < flags->n_values; i++)
    {
      const GFlagsValue *v = &flags->values[i];

      /* single switches, not the NONE and ALL sets */
      if (v->value == 0 || (v->value & (v->value - 1)) != 0)
        continue;
      json_builder_set_member_name (b, g_str_has_prefix (v->value_nick, "component-")
                                         ? v->value_nick + strlen ("component-")
                                         : v->value_nick);
      json_builder_add_boolean_value (b, (on & v->value) != 0);
    }
  json_builder_end_object (b);
  json_builder_set_member_name (b, "adding_stickers");
  json_builder_add_boolean_value (b, server->token != NULL);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  server_respond_json (msg, SOUP_STATUS_OK, root);
}

static void
handle_static (SoupServerMessage *msg,
               const char *path)
{
  g_autofree char *resource = g_strconcat ("/org/eigml/server/web",
                                           g_str_equal (path, "/") ? "/index.html" : path, NULL);
  g_autoptr (GBytes) bytes = g_resources_lookup_data (resource, G_RESOURCE_LOOKUP_FLAGS_NONE,
                                                      NULL);
  g_autofree char *etag = NULL;

  if (bytes == NULL)
    {
      server_respond_error (msg, SOUP_STATUS_NOT_FOUND, NULL, "no page %s", path);
      return;
    }
  etag = strong_etag (bytes);
  /* the page changes with the server: revalidate every time */
  respond_bytes (msg, bytes, content_type_for (resource), etag, "no-cache");
}

static void
handle_metrics (EigmlServer *server,
                SoupServerMessage *msg)
{
  char *text = server_metrics_format (server->metrics, server);

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain; version=0.0.4; charset=utf-8",
                                    SOUP_MEMORY_TAKE, text, strlen (text));
}

/* Before the body is read: the route, the method, the body's size and the
 * token, so a refused upload is never read. */
static void
early_handler (SoupServer *soup,
               SoupServerMessage *msg,
               const char *path,
               GHashTable *query,
               gpointer data)
{
  EigmlServer *server = data;
  RequestInfo *info = server_request_info (msg);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *method = soup_server_message_get_method (msg);
  g_autofree char *id = NULL;
  const char *allow, *auth;
  gsize limit;

  info->start_us = g_get_monotonic_time ();
  info->route = server_route_match (path, &id);
  info->counted = TRUE;
  server->in_flight++;

  if (server->draining)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection",
                                    "close");
      server_respond_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, NULL,
                            "the server is shutting down");
      return;
    }
  if (info->route == ROUTE_OTHER)
    {
      server_respond_error (msg, SOUP_STATUS_NOT_FOUND, NULL, "no route %s (see docs/server.md)",
                            path);
      return;
    }
  allow = server_route_allow (info->route);
  if (!((g_str_equal (method, "HEAD") && strstr (allow, "HEAD")) ||
        (g_str_equal (method, "GET") && strstr (allow, "GET")) ||
        (g_str_equal (method, "POST") && strstr (allow, "POST"))))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow",
                                    allow);
      server_respond_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL,
                            "%s does not take %s; it takes %s", server_route_name (info->route),
                            method, allow);
      return;
    }
  if (info->route == ROUTE_STICKERS && g_str_equal (method, "POST"))
    {
      if (server->token == NULL)
        {
          server_respond_error (msg, SOUP_STATUS_FORBIDDEN, NULL,
                                "adding stickers is off: start the server with --token "
                                "(or EIGML_SERVER_TOKEN)");
          return;
        }
      auth = soup_message_headers_get_one (headers, "Authorization");
      if (auth == NULL || g_ascii_strncasecmp (auth, "Bearer ", 7) != 0 ||
          !server_token_equal (server->token, auth + 7))
        {
          soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                        "WWW-Authenticate", "Bearer realm=\"eigml\"");
          server_respond_error (msg, SOUP_STATUS_UNAUTHORIZED, "Authorization",
                                auth == NULL ? "adding stickers needs the header "
                                               "\"Authorization: Bearer TOKEN\""
                                             : "the token is wrong");
          return;
        }
      limit = SERVER_UPLOAD_MAX;
    }
  else
    limit = SERVER_BODY_MAX;
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      (gsize) soup_message_headers_get_content_length (headers) > limit)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection",
                                    "close");
      server_respond_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, NULL,
                            "the body is larger than %" G_GSIZE_FORMAT " bytes", limit);
      return;
    }
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CHUNKED)
    {
      /* a chunked body has no size to check before it is all read */
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection",
                                    "close");
      server_respond_error (msg, SOUP_STATUS_LENGTH_REQUIRED, NULL,
                            "send the body with a Content-Length, not chunked");
      return;
    }
}

static void
handler (SoupServer *soup,
         SoupServerMessage *msg,
         const char *path,
         GHashTable *query,
         gpointer data)
{
  EigmlServer *server = data;
  RequestInfo *info = server_request_info (msg);
  const char *method = soup_server_message_get_method (msg);
  g_autofree char *id = NULL;

  server_route_match (path, &id);
  switch (info->route)
    {
    case ROUTE_INDEX:
    case ROUTE_STATIC:
      handle_static (msg, path);
      break;
    case ROUTE_HEALTH:
      handle_health (server, msg);
      break;
    case ROUTE_STICKERS:
      if (g_str_equal (method, "POST"))
        handle_add_sticker (server, msg);
      else
        handle_stickers (server, msg, query);
      break;
    case ROUTE_STICKER:
      handle_sticker (server, msg, id);
      break;
    case ROUTE_STICKER_IMAGE:
      handle_sticker_image (server, msg, id);
      break;
    case ROUTE_SELECT:
      server_handle_select (server, msg);
      break;
    case ROUTE_METRICS:
      handle_metrics (server, msg);
      break;
    case ROUTE_OTHER:
    case N_ROUTES:
    default:
      server_respond_error (msg, SOUP_STATUS_NOT_FOUND, NULL, "no route %s", path);
      break;
    }
}

void
server_add_handlers (EigmlServer *server)
{
  server->image_tags = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, image_tag_free);
  soup_server_add_early_handler (server->soup, NULL, early_handler, server, NULL);
  soup_server_add_handler (server->soup, NULL, handler, server, NULL);
}
