/*
 * cursor.c — the rows of INSERT/UPSERT ... SELECT: the documents of the
 * cursor of the plan's AGGREGATE step (its pipeline was made by the
 * planner's select.c), in cursor order, numbered by their position in the
 * cursor. The one source that reads from a server: it is given the URI
 * of the statement's connection and makes a connection of its own, since
 * the row pipeline reads its source on a thread of its own and a
 * mongoc_client_t is used by one thread at a time. The aggregate runs and
 * its first reply is read when the source is opened, so that a server
 * that refuses the pipeline (a stage or operator it lacks) fails the
 * statement before anything is written.
 */
#include <string.h>

#include "source.h"

typedef struct {
   const bql_plan_t *plan;
   mongoc_client_t *client;
   mongoc_collection_t *coll;
   mongoc_cursor_t *cursor;
   const bson_t *next;      /* the document read ahead, owned by the cursor */
   bool have_next;
   bool done;
   int64_t n;               /* documents returned */
   const volatile int *cancel;
   bql_source_io_t io;
   bql_source_status_t *st;
} cursor_source_t;

/* The error of the source, located at the SELECT. */
static void
cursor_error (const bql_plan_t *plan, bql_error_t *error, bql_error_code_t code, int32_t server_code,
              const char *fmt, const char *detail)
{
   bql_error_clear (error);
   error->domain = BQL_ERROR_EXECUTE;
   error->code = code;
   error->server_code = server_code;
   /* made whole, then cut to the message's size (a server's message may
    * fill a bson_error_t's) */
   char *msg = bson_strdup_printf (fmt, detail);
   bson_strncpy (error->message, msg, sizeof error->message);
   bson_free (msg);
   if (plan->select && plan->script) {
      error->offset = plan->select->node.location;
      error->length = plan->select->node.length;
      size_t source_len;
      const char *source = bql_script_source (plan->script, &source_len);
      bql_error_locate (error, source, source_len);
   }
}

/* Read the next document ahead; false at the end or on an error
 * (c->st->failed, with the error, for an error). */
static bool
read_ahead (cursor_source_t *c, const bql_plan_t *plan)
{
   const bson_t *doc;
   if (mongoc_cursor_next (c->cursor, &doc)) {
      c->next = doc;
      c->have_next = true;
      return true;
   }
   c->have_next = false;
   bson_error_t berr;
   const bson_t *reply;
   if (mongoc_cursor_error_document (c->cursor, &berr, &reply)) {
      c->st->failed = true;
      cursor_error (plan, &c->st->error, BQL_ERR_SERVER, (int32_t) berr.code,
                    "the server refused the SELECT's aggregation pipeline: %s", berr.message);
   }
   c->done = true;
   return false;
}

static bql_row_rc_t
cursor_next (void *impl, bql_source_status_t *st, bson_t *doc, int64_t *rownum, const char **why)
{
   (void) why;
   cursor_source_t *c = impl;
   if (st->failed || st->cancelled) {
      return BQL_ROW_ERROR;
   }
   bool over_time = c->io.max_execution_ms > 0 &&
                    bson_get_monotonic_time () - c->io.start_us >= c->io.max_execution_ms * 1000;
   if ((c->cancel && *c->cancel) || atomic_load (&st->stop) || over_time) {
      st->cancelled = true;
      bql_error_clear (&st->error);
      st->error.domain = BQL_ERROR_EXECUTE;
      st->error.code = BQL_ERR_ABORTED;
      snprintf (st->error.message, sizeof st->error.message, "cancelled while reading the SELECT's cursor");
      return BQL_ROW_ERROR;
   }
   if (!c->have_next) {
      if (c->done || !read_ahead (c, c->plan)) {
         return st->failed ? BQL_ROW_ERROR : BQL_ROW_END;
      }
   }
   bql_select_row (c->plan, c->next, doc);
   c->have_next = false;
   *rownum = ++c->n;
   st->bytes_read += c->next->len;
   return BQL_ROW_OK;
}

static void
cursor_close (void *impl)
{
   cursor_source_t *c = impl;
   mongoc_cursor_destroy (c->cursor);
   mongoc_collection_destroy (c->coll);
   mongoc_client_destroy (c->client);
   bson_free (c);
}

static const bql_source_vtable_t cursor_vtable = {"cursor", cursor_next, cursor_close};

bql_source_t *
bql_source_cursor_open (const bql_plan_t *plan,
                        const mongoc_uri_t *uri,
                        const bql_step_t *step,
                        const bql_source_io_t *io,
                        const volatile int *cancel,
                        bql_error_t *error)
{
   bson_iter_t it;
   bson_t pipeline, opts = BSON_INITIALIZER;
   if (!bson_iter_init_find (&it, &step->command, "pipeline") || !bql_iter_sub (&it, &pipeline)) {
      cursor_error (plan, error, BQL_ERR_INVALID_ARG, 0, "%s", "an aggregate step without a pipeline");
      return NULL;
   }
   bson_iter_t b;
   if (bson_iter_init (&it, &step->command) && bson_iter_find_descendant (&it, "cursor.batchSize", &b)) {
      BSON_APPEND_INT32 (&opts, "batchSize", (int32_t) bson_iter_as_int64 (&b));
   }
   const char *db = plan->select_database, *coll = plan->select_collection;
   if (bson_iter_init_find (&it, &step->command, "$db") && BSON_ITER_HOLDS_UTF8 (&it)) {
      db = bson_iter_utf8 (&it, NULL);
   }
   if (bson_iter_init_find (&it, &step->command, "aggregate") && BSON_ITER_HOLDS_UTF8 (&it)) {
      coll = bson_iter_utf8 (&it, NULL);
   }
   cursor_source_t *c = bson_malloc0 (sizeof *c);
   c->client = mongoc_client_new_from_uri (uri);
   if (!c->client) {
      bson_free (c);
      bson_destroy (&opts);
      cursor_error (plan, error, BQL_ERR_CONNECTION, 0, "%s", "cannot make a connection for the SELECT's cursor");
      return NULL;
   }
   mongoc_client_set_error_api (c->client, MONGOC_ERROR_API_VERSION_2);
   mongoc_client_set_appname (c->client, "bulkql");
   c->coll = mongoc_client_get_collection (c->client, db, coll);
   c->cursor = mongoc_collection_aggregate (c->coll, MONGOC_QUERY_NONE, &pipeline, &opts, NULL);
   bson_destroy (&opts);
   c->cancel = cancel;
   if (io) {
      c->io = *io;
   }
   bql_source_t *s = bql_source_new (&cursor_vtable, c, &c->st);
   c->plan = plan;
   if (!read_ahead (c, plan) && c->st->failed) {
      *error = c->st->error;
      bson_error_t berr;
      if (mongoc_cursor_error (c->cursor, &berr) && berr.domain != MONGOC_ERROR_SERVER &&
          berr.domain != MONGOC_ERROR_QUERY) {
         error->code = BQL_ERR_CONNECTION;
      }
      bql_source_close (s);
      return NULL;
   }
   return s;
}
