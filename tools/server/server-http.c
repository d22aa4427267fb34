/* server-http.c: eigml-server's JSON answers, errors, routes and token
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "server.h"

#include <string.h>

static const struct
{
  const char *name;    /* the metrics label */
  const char *allow;   /* methods, for 405's Allow */
} routes[N_ROUTES] = {
  [ROUTE_INDEX] = { "/", "GET, HEAD" },
  [ROUTE_STATIC] = { "/static", "GET, HEAD" },
  [ROUTE_HEALTH] = { "/v1/health", "GET, HEAD" },
  [ROUTE_STICKERS] = { "/v1/stickers", "GET, HEAD, POST" },
  [ROUTE_STICKER] = { "/v1/stickers/{id}", "GET, HEAD" },
  [ROUTE_STICKER_IMAGE] = { "/v1/stickers/{id}/image", "GET, HEAD" },
  [ROUTE_SELECT] = { "/v1/select", "POST" },
  [ROUTE_METRICS] = { "/metrics", "GET, HEAD" },
  [ROUTE_OTHER] = { "other", NULL },
};

const char *
server_route_name (ServerRoute route)
{
  return routes[route].name;
}

const char *
server_route_allow (ServerRoute route)
{
  return routes[route].allow;
}

/* @path is libsoup's, already percent-decoded; @id gets the sticker id of
 * the two sticker routes */
ServerRoute
server_route_match (const char *path,
                    char **id)
{
  const char *rest;

  *id = NULL;
  if (g_str_equal (path, "/") || g_str_equal (path, "/index.html"))
    return ROUTE_INDEX;
  if (g_str_equal (path, "/v1/health"))
    return ROUTE_HEALTH;
  if (g_str_equal (path, "/v1/select"))
    return ROUTE_SELECT;
  if (g_str_equal (path, "/metrics"))
    return ROUTE_METRICS;
  if (g_str_equal (path, "/v1/stickers") || g_str_equal (path, "/v1/stickers/"))
    return ROUTE_STICKERS;
  if (g_str_has_prefix (path, "/v1/stickers/"))
    {
      rest = path + strlen ("/v1/stickers/");
      if (g_str_has_suffix (rest, "/image") && strlen (rest) > strlen ("/image"))
        {
          *id = g_strndup (rest, strlen (rest) - strlen ("/image"));
          return ROUTE_STICKER_IMAGE;
        }
      *id = g_strdup (rest);
      return ROUTE_STICKER;
    }
  if (!g_str_has_prefix (path, "/v1/") && strchr (path + 1, '/') == NULL)
    {
      g_autofree char *resource = g_strconcat ("/org/eigml/server/web", path, NULL);

      if (g_resources_get_info (resource, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL, NULL, NULL))
        return ROUTE_STATIC;
    }
  return ROUTE_OTHER;
}

RequestInfo *
server_request_info (SoupServerMessage *msg)
{
  RequestInfo *info = g_object_get_data (G_OBJECT (msg), "eigml-server-request");

  if (info == NULL)
    {
      info = g_new0 (RequestInfo, 1);
      info->route = ROUTE_OTHER;
      g_object_set_data_full (G_OBJECT (msg), "eigml-server-request", info, g_free);
    }
  return info;
}

void
server_respond_json (SoupServerMessage *msg,
                     guint status,
                     JsonNode *root)
{
  g_autofree char *text = json_to_string (root, FALSE);
  gsize length = strlen (text);

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json; charset=utf-8", SOUP_MEMORY_TAKE,
                                    g_steal_pointer (&text), length);
}

char *
server_error_body (guint status,
                   const char *field,
                   const char *message)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "error");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "code");
  json_builder_add_int_value (b, status);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  json_builder_set_member_name (b, "field");
  if (field != NULL)
    json_builder_add_string_value (b, field);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

/* {"error": {"code", "message", "field"}}; @field is the request's member
 * at fault (e.g. "dialogue[2].text"), or NULL */
void
server_respond_error (SoupServerMessage *msg,
                      guint status,
                      const char *field,
                      const char *format,
                      ...)
{
  g_autofree char *message = NULL;
  char *body;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  /* a message quoting the request must stay valid UTF-8 */
  if (!g_utf8_validate (message, -1, NULL))
    {
      char *valid = g_utf8_make_valid (message, -1);

      g_free (message);
      message = valid;
    }
  body = server_error_body (status, field, message);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json; charset=utf-8", SOUP_MEMORY_TAKE,
                                    body, strlen (body));
}

/* Compares the digests, so the time taken says nothing about how much of
 * @given matched, nor about the token's length. */
gboolean
server_token_equal (const char *expected,
                    const char *given)
{
  guint8 a[32], b[32];
  gsize la = sizeof a, lb = sizeof b;
  g_autoptr (GChecksum) ca = g_checksum_new (G_CHECKSUM_SHA256);
  g_autoptr (GChecksum) cb = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 diff = 0;

  if (expected == NULL || given == NULL)
    return FALSE;
  g_checksum_update (ca, (const guchar *) expected, -1);
  g_checksum_update (cb, (const guchar *) given, -1);
  g_checksum_get_digest (ca, a, &la);
  g_checksum_get_digest (cb, b, &lb);
  for (gsize i = 0; i < sizeof a; i++)
    diff |= a[i] ^ b[i];
  return diff == 0;
}

/* the deepest nesting of arrays and objects in a JSON text, strings
 * skipped; json-glib's parser recurses, so depth is checked before it runs */
guint
server_json_depth (const char *data,
                   gsize length)
{
  guint depth = 0, max = 0;
  gboolean in_string = FALSE;

  for (gsize i = 0; i < length; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if (c == '[' || c == '{')
        {
          depth++;
          max = MAX (max, depth);
        }
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
    }
  return max;
}

/* The request body as a JSON object, or NULL after answering 400 or 413. */
JsonNode *
server_parse_body (SoupServerMessage *msg,
                   gsize max,
                   JsonObject **object)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (GBytes) bytes = soup_message_body_flatten (body);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  gsize length = 0;
  const char *data = g_bytes_get_data (bytes, &length);
  JsonNode *root;

  *object = NULL;
  if (length > max)
    {
      server_respond_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, NULL,
                            "the body is larger than %" G_GSIZE_FORMAT " bytes", max);
      return NULL;
    }
  if (length == 0)
    {
      server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, NULL, "the body is empty; expected "
                            "a JSON object");
      return NULL;
    }
  if (!g_utf8_validate_len (data, length, NULL))
    {
      server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, NULL, "the body is not UTF-8 text");
      return NULL;
    }
  if (server_json_depth (data, length) > SERVER_MAX_JSON_DEPTH)
    {
      server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, NULL,
                            "the body nests arrays and objects deeper than %u levels",
                            SERVER_MAX_JSON_DEPTH);
      return NULL;
    }
  if (!json_parser_load_from_data (parser, data, (gssize) length, &error))
    {
      server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, NULL, "the body is not JSON: %s",
                            error->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, NULL,
                            "the body must be a JSON object");
      return NULL;
    }
  root = json_node_copy (root);
  *object = json_node_get_object (root);
  return root;
}
