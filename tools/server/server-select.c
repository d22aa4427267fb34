/* server-select.c: POST /v1/select — validated on the main loop, scored in
 * batches on a worker thread, answered on the main loop
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "server.h"
#include "data/dataset-private.h"

#include <math.h>
#include <string.h>

typedef struct
{
  EigmlServer *server;
  SoupServerMessage *msg;   /* paused while the job waits */
  gulong finished_id;
  gboolean finished;        /* libsoup gave up on it (client gone) */
  GStrv turns;
  GStrv candidates;         /* NULL: the whole library */
  guint top_k;
  gint64 start_us;
  /* the answer, made on the worker thread */
  guint status;
  char *body;
} Job;

struct _ServerBatcher
{
  EigmlServer *server;
  GThread *thread;
  GMutex lock;
  GCond cond;
  GQueue queue;             /* Job* */
  gboolean stopping;
};

static void
job_free (Job *job)
{
  if (job->finished_id != 0)
    g_signal_handler_disconnect (job->msg, job->finished_id);
  g_clear_object (&job->msg);
  g_strfreev (job->turns);
  g_strfreev (job->candidates);
  g_free (job->body);
  g_free (job);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Job, job_free)

static void
on_job_message_finished (SoupServerMessage *msg,
                         Job *job)
{
  job->finished = TRUE;
}

/* ---- the answer --------------------------------------------------------- */

static void
add_float (JsonBuilder *b,
           const char *name,
           float value)
{
  json_builder_set_member_name (b, name);
  if (isfinite (value))
    json_builder_add_double_value (b, value);
  else
    json_builder_add_null_value (b);
}

static char *
selection_body (EigmlServer *server,
                EigmlSelection *sel,
                gint64 start_us)
{
  static const char *const relations[] = { "xIntent", "xNeed", "xWant", "xEffect" };
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  EigmlEmotion emotion = eigml_selection_get_emotion (sel);
  EigmlIntents *intents = eigml_selection_get_intents (sel);
  const float *dist;
  gsize n_dist = 0;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "results");
  json_builder_begin_array (b);
  for (guint r = 0; r < eigml_selection_get_n_results (sel); r++)
    {
      guint index = eigml_selection_get_sticker_index (sel, r);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "sticker_id");
      json_builder_add_string_value (b, eigml_selection_get_sticker_id (sel, r));
      add_float (b, "score", eigml_selection_get_score (sel, r));
      add_float (b, "s_emo", eigml_selection_get_s_emo (sel, r));
      add_float (b, "s_int", eigml_selection_get_s_int (sel, r));
      add_float (b, "p_vl", eigml_selection_get_p_vl (sel, r));
      json_builder_set_member_name (b, "lexical_rank");
      if (eigml_selection_get_lexical_rank (sel, r) > 0)
        json_builder_add_int_value (b, eigml_selection_get_lexical_rank (sel, r));
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "sticker");
      server_add_sticker_json (b, server->library, index);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "emotion");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "label");
  if (emotion < EIGML_EMOTION_N_CATEGORIES)
    json_builder_add_string_value (b, eigml_emotion_get_name (emotion, TRUE));
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "label_en");
  if (emotion < EIGML_EMOTION_N_CATEGORIES)
    json_builder_add_string_value (b, eigml_emotion_get_name (emotion, FALSE));
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "distribution");
  json_builder_begin_object (b);
  dist = eigml_selection_get_emotion_distribution (sel, &n_dist);
  for (gsize k = 0; k < n_dist && k < EIGML_EMOTION_N_CATEGORIES; k++)
    add_float (b, eigml_emotion_get_name ((EigmlEmotion) k, TRUE), dist[k]);
  json_builder_end_object (b);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "intent");
  json_builder_begin_object (b);
  for (guint k = 0; k < G_N_ELEMENTS (relations); k++)
    {
      const char *const *items = intents ? eigml_intents_get (intents, relations[k]) : NULL;

      json_builder_set_member_name (b, relations[k]);
      json_builder_begin_array (b);
      for (guint j = 0; items != NULL && items[j] != NULL; j++)
        json_builder_add_string_value (b, items[j]);
      json_builder_end_array (b);
    }
  json_builder_end_object (b);

  json_builder_set_member_name (b, "took_ms");
  json_builder_add_double_value (b, (g_get_monotonic_time () - start_us) / 1000.0);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

/* on the main loop */
static gboolean
respond (gpointer data)
{
  g_autoptr (Job) job = data;

  if (!job->finished)
    {
      gsize length = strlen (job->body);

      soup_server_message_set_status (job->msg, job->status, NULL);
      soup_server_message_set_response (job->msg, "application/json; charset=utf-8",
                                        SOUP_MEMORY_TAKE, g_steal_pointer (&job->body), length);
      soup_server_message_unpause (job->msg);
    }
  return G_SOURCE_REMOVE;
}

/* ---- the worker ---------------------------------------------------------- */

static void
run_batch (ServerBatcher *self,
           Job **jobs,
           guint n)
{
  EigmlServer *server = self->server;
  g_autofree EigmlSelectRequest *requests = g_new0 (EigmlSelectRequest, n);
  g_autoptr (GPtrArray) selections = NULL;
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < n; i++)
    {
      requests[i].turns = (const char *const *) jobs[i]->turns;
      requests[i].candidates = (const char *const *) jobs[i]->candidates;
      requests[i].top_k = jobs[i]->top_k;
    }
  server_metrics_batch (server->metrics, n);
  selections = eigml_ranker_select_many (server->ranker, requests, n, &error);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (EigmlSelection) alone = NULL;
      EigmlSelection *sel = selections ? g_ptr_array_index (selections, i) : NULL;

      /* the batch failed as a whole: each request alone, so one request
       * that fails does not fail the others */
      if (sel == NULL)
        {
          g_autoptr (GError) local = NULL;

          if (n == 1)
            local = g_error_copy (error);
          else
            sel = alone = eigml_ranker_select (server->ranker, requests[i].turns,
                                               requests[i].candidates, requests[i].top_k,
                                               &local);
          if (sel == NULL)
            {
              g_warning ("select: %s", local->message);
              jobs[i]->status = SOUP_STATUS_INTERNAL_SERVER_ERROR;
              jobs[i]->body = server_error_body (jobs[i]->status, NULL, local->message);
            }
        }
      if (sel != NULL)
        {
          jobs[i]->status = SOUP_STATUS_OK;
          jobs[i]->body = selection_body (server, sel, jobs[i]->start_us);
        }
      /* never g_main_context_invoke(): from a thread that could acquire
       * the context it would answer here, off the main loop */
      {
        GSource *source = g_idle_source_new ();

        g_source_set_callback (source, respond, jobs[i], NULL);
        g_source_attach (source, server->main_context);
        g_source_unref (source);
      }
    }
}

static gpointer
worker (gpointer data)
{
  ServerBatcher *self = data;
  guint max_batch = self->server->max_batch;
  gint64 wait_us = (gint64) self->server->batch_wait_ms * G_TIME_SPAN_MILLISECOND;
  g_autofree Job **jobs = g_new (Job *, max_batch);

  for (;;)
    {
      gint64 deadline;
      guint n = 0;

      g_mutex_lock (&self->lock);
      while (self->queue.length == 0 && !self->stopping)
        g_cond_wait (&self->cond, &self->lock);
      if (self->queue.length == 0)
        {
          g_mutex_unlock (&self->lock);
          break;   /* stopping, and nothing left */
        }
      /* the first request waits a little for company: one pass for many
       * dialogues costs far less than one pass each */
      deadline = g_get_monotonic_time () + wait_us;
      while (self->queue.length < max_batch && !self->stopping &&
             g_cond_wait_until (&self->cond, &self->lock, deadline))
        ;
      while (n < max_batch && self->queue.length > 0)
        jobs[n++] = g_queue_pop_head (&self->queue);
      g_mutex_unlock (&self->lock);
      run_batch (self, jobs, n);
    }
  return NULL;
}

ServerBatcher *
server_batcher_new (EigmlServer *server)
{
  ServerBatcher *self = g_new0 (ServerBatcher, 1);

  self->server = server;
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->queue);
  self->thread = g_thread_new ("eigml-select", worker, self);
  return self;
}

/* answers everything queued, then ends the worker */
void
server_batcher_stop (ServerBatcher *self)
{
  if (self->thread == NULL)
    return;
  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->lock);
  g_thread_join (g_steal_pointer (&self->thread));
}

void
server_batcher_free (ServerBatcher *self)
{
  server_batcher_stop (self);
  g_queue_clear_full (&self->queue, (GDestroyNotify) job_free);
  g_cond_clear (&self->cond);
  g_mutex_clear (&self->lock);
  g_free (self);
}

guint
server_batcher_get_depth (ServerBatcher *self)
{
  guint depth;

  g_mutex_lock (&self->lock);
  depth = self->queue.length;
  g_mutex_unlock (&self->lock);
  return depth;
}

/* FALSE when the queue is full */
static gboolean
push (ServerBatcher *self,
      Job *job)
{
  gboolean ok;

  g_mutex_lock (&self->lock);
  ok = self->queue.length < self->server->queue_size && !self->stopping;
  if (ok)
    {
      g_queue_push_tail (&self->queue, job);
      g_cond_signal (&self->cond);
    }
  g_mutex_unlock (&self->lock);
  return ok;
}

/* ---- the request --------------------------------------------------------- */

static gboolean
holds_string (JsonNode *node)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING;
}

/* the dialogue's turns, or NULL after answering 400 */
static GStrv
parse_dialogue (SoupServerMessage *msg,
                JsonObject *obj)
{
  JsonNode *node = json_object_get_member (obj, "dialogue");
  g_autoptr (GStrvBuilder) turns = g_strv_builder_new ();
  JsonArray *array;
  guint n;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "dialogue",
                            "dialogue is required: an array of {\"speaker\", \"text\"} turns, "
                            "oldest first");
      return NULL;
    }
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "dialogue",
                            "dialogue must be an array of turns, not %s", eigml_json_kind (node));
      return NULL;
    }
  array = json_node_get_array (node);
  n = json_array_get_length (array);
  if (n == 0 || n > SERVER_MAX_TURNS)
    {
      server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "dialogue",
                            "dialogue must have 1 to %u turns, not %u", SERVER_MAX_TURNS, n);
      return NULL;
    }
  for (guint i = 0; i < n; i++)
    {
      JsonNode *turn = json_array_get_element (array, i);
      JsonNode *text, *speaker;
      g_autofree char *field = NULL;
      const char *s;
      glong chars;

      if (!JSON_NODE_HOLDS_OBJECT (turn))
        {
          field = g_strdup_printf ("dialogue[%u]", i);
          server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, field,
                                "%s must be an object {\"speaker\", \"text\"}, not %s", field,
                                eigml_json_kind (turn));
          return NULL;
        }
      speaker = json_object_get_member (json_node_get_object (turn), "speaker");
      if (speaker != NULL && !JSON_NODE_HOLDS_NULL (speaker) && !holds_string (speaker))
        {
          field = g_strdup_printf ("dialogue[%u].speaker", i);
          server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, field,
                                "%s must be a string, not %s", field, eigml_json_kind (speaker));
          return NULL;
        }
      text = json_object_get_member (json_node_get_object (turn), "text");
      field = g_strdup_printf ("dialogue[%u].text", i);
      if (text == NULL)
        {
          server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, field,
                                "%s is required: the turn's words", field);
          return NULL;
        }
      if (!holds_string (text))
        {
          server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, field,
                                "%s must be a string, not %s", field, eigml_json_kind (text));
          return NULL;
        }
      s = json_node_get_string (text);
      chars = g_utf8_strlen (s, -1);
      if (chars > SERVER_MAX_TURN_CHARS)
        {
          server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, field,
                                "%s has %ld characters; at most %u", field, chars,
                                SERVER_MAX_TURN_CHARS);
          return NULL;
        }
      g_strv_builder_add (turns, s);
    }
  return g_strv_builder_end (turns);
}

/* TRUE with *candidates NULL when absent; FALSE after answering */
static gboolean
parse_candidates (EigmlServer *server,
                  SoupServerMessage *msg,
                  JsonObject *obj,
                  GStrv *candidates)
{
  JsonNode *node = json_object_get_member (obj, "candidates");
  g_autoptr (GStrvBuilder) ids = g_strv_builder_new ();
  JsonArray *array;
  guint n;

  *candidates = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "candidates",
                            "candidates must be an array of sticker ids, not %s",
                            eigml_json_kind (node));
      return FALSE;
    }
  array = json_node_get_array (node);
  n = json_array_get_length (array);
  if (n == 0 || n > SERVER_MAX_CANDIDATES)
    {
      server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "candidates",
                            "candidates must have 1 to %u sticker ids, not %u (leave it out "
                            "to rank the whole library)", SERVER_MAX_CANDIDATES, n);
      return FALSE;
    }
  for (guint i = 0; i < n; i++)
    {
      JsonNode *id = json_array_get_element (array, i);
      g_autofree char *field = g_strdup_printf ("candidates[%u]", i);

      if (!holds_string (id))
        {
          server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, field,
                                "%s must be a sticker id (a string), not %s", field,
                                eigml_json_kind (id));
          return FALSE;
        }
      if (!eigml_sticker_library_lookup (server->library, json_node_get_string (id), NULL))
        {
          server_respond_error (msg, SOUP_STATUS_NOT_FOUND, field,
                                "%s: no sticker \"%s\" in the library", field,
                                json_node_get_string (id));
          return FALSE;
        }
      g_strv_builder_add (ids, json_node_get_string (id));
    }
  *candidates = g_strv_builder_end (ids);
  return TRUE;
}

static gboolean
parse_top_k (SoupServerMessage *msg,
             JsonObject *obj,
             guint *top_k)
{
  JsonNode *node = json_object_get_member (obj, "top_k");
  gint64 value;

  *top_k = SERVER_DEFAULT_TOP_K;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    {
      server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "top_k",
                            "top_k must be an integer from 1 to %u, not %s", SERVER_MAX_TOP_K,
                            eigml_json_kind (node));
      return FALSE;
    }
  value = json_node_get_int (node);
  if (value < 1 || value > SERVER_MAX_TOP_K)
    {
      server_respond_error (msg, SOUP_STATUS_BAD_REQUEST, "top_k",
                            "top_k must be from 1 to %u, not %" G_GINT64_FORMAT,
                            SERVER_MAX_TOP_K, value);
      return FALSE;
    }
  *top_k = (guint) value;
  return TRUE;
}

void
server_handle_select (EigmlServer *server,
                      SoupServerMessage *msg)
{
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (Job) job = g_new0 (Job, 1);
  JsonObject *obj;

  root = server_parse_body (msg, SERVER_BODY_MAX, &obj);
  if (root == NULL)
    return;
  job->turns = parse_dialogue (msg, obj);
  if (job->turns == NULL || !parse_candidates (server, msg, obj, &job->candidates) ||
      !parse_top_k (msg, obj, &job->top_k))
    return;

  job->server = server;
  job->msg = g_object_ref (msg);
  job->start_us = server_request_info (msg)->start_us;
  job->finished_id = g_signal_connect (msg, "finished", G_CALLBACK (on_job_message_finished),
                                       job);
  /* the answer comes through the main loop, so it cannot come before the
   * pause below */
  if (!push (server->batcher, job))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Retry-After", "1");
      server_respond_error (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, NULL,
                            "the select queue is full (%u requests waiting); retry shortly",
                            server->queue_size);
      return;
    }
  soup_server_message_pause (msg);
  g_steal_pointer (&job);   /* the worker's now */
}
