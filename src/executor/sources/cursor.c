/*
 * cursor.c — the rows of INSERT/UPSERT ... SELECT: the documents of the
 * cursor of the plan's AGGREGATE step (its pipeline was made by the
 * planner's select.c), in cursor order, numbered by their position in the
 * cursor. The one source that reads from a server: it is given a
 * connection of its own (made by the executor as the statement's others
 * are, with the caller's TLS options), since the row pipeline reads its
 * source on a thread of its own and a mongoc_client_t is used by one
 * thread at a time.
 *
 * The cursor is iterated on a fetch thread of its own, which puts the
 * documents it reads in a queue (bounded by bytes); the reader takes them
 * from there. So every wait on the server (the aggregate's first reply,
 * each getMore) is a wait on the queue that checks the cancel flag,
 * bql_source_stop and max_execution_time every 50 ms: a cancel ends it
 * within that, as it ends a write waiting on its reply (write_path.c).
 * A source closed while its fetch thread waits on the server abandons
 * it: the thread frees the cursor and its connection when the server
 * answers (or the socket times out); bql_source_cursors_abandoned_wait
 * waits for those (bql_execute_abandoned_wait).
 *
 * The aggregate runs and its first reply is waited for when the source is
 * opened, so that a server that refuses the pipeline (a stage or operator
 * it lacks) fails the statement before anything is written.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "source.h"

/* The queue of the fetch thread holds about this many bytes of documents
 * at most (and one more document), or memory_limit / 8 when smaller. */
#define QUEUE_MAX_BYTES ((size_t) 16 * 1024 * 1024)
/* How often a wait on the fetch thread checks the cancel flag. */
#define POLL_MS 50

/* What the fetch thread and the reader share, under mu. */
typedef struct fetch {
   pthread_mutex_t mu;
   pthread_cond_t cv;
   pthread_t tid;
   mongoc_client_t *client; /* the fetch thread's while it runs */
   mongoc_collection_t *coll;
   mongoc_cursor_t *cursor;
   uint8_t *buf;            /* documents read, not yet taken */
   size_t len, cap, max_bytes;
   bool done;               /* the cursor ended (or failed): no more */
   bool failed;             /* ... with berr */
   bson_error_t berr;
   bool finished;           /* the fetch thread has returned */
   bool abandoned;          /* the source was closed first: the fetch
                               thread frees everything */
} fetch_t;

typedef struct {
   const bql_plan_t *plan;
   fetch_t *f;
   bool started;            /* the fetch thread runs */
   uint8_t *buf;            /* documents taken from the queue */
   size_t len, cap, pos;
   int64_t n;               /* documents returned */
   const volatile int *cancel;
   bql_source_io_t io;
   bql_source_status_t *st;
} cursor_source_t;

/* Fetch threads of closed sources still waiting on the server. */
static pthread_mutex_t abandoned_mu = PTHREAD_MUTEX_INITIALIZER;
static int abandoned_n;

static void
fetch_free (fetch_t *f)
{
   mongoc_cursor_destroy (f->cursor);
   mongoc_collection_destroy (f->coll);
   mongoc_client_destroy (f->client);
   pthread_mutex_destroy (&f->mu);
   pthread_cond_destroy (&f->cv);
   bson_free (f->buf);
   bson_free (f);
}

static void *
fetch_main (void *arg)
{
   fetch_t *f = arg;
   for (;;) {
      pthread_mutex_lock (&f->mu);
      while (!f->abandoned && f->len >= f->max_bytes) {
         pthread_cond_wait (&f->cv, &f->mu);
      }
      bool stop = f->abandoned;
      pthread_mutex_unlock (&f->mu);
      if (stop) {
         break;
      }
      const bson_t *doc;
      bool ok = mongoc_cursor_next (f->cursor, &doc);
      pthread_mutex_lock (&f->mu);
      if (ok) {
         if (f->len + doc->len > f->cap) {
            f->cap = (f->len + doc->len) * 2;
            f->buf = bson_realloc (f->buf, f->cap);
         }
         memcpy (f->buf + f->len, bson_get_data (doc), doc->len);
         f->len += doc->len;
      } else {
         f->done = true;
         f->failed = mongoc_cursor_error (f->cursor, &f->berr);
      }
      pthread_cond_broadcast (&f->cv);
      pthread_mutex_unlock (&f->mu);
      if (!ok) {
         break;
      }
   }
   pthread_mutex_lock (&f->mu);
   f->finished = true;
   bool abandoned = f->abandoned;
   pthread_mutex_unlock (&f->mu);
   if (abandoned) {
      fetch_free (f); /* killCursors, when the cursor is still open */
      pthread_mutex_lock (&abandoned_mu);
      abandoned_n--;
      pthread_mutex_unlock (&abandoned_mu);
   }
   return NULL;
}

int
bql_source_cursors_abandoned_wait (int64_t timeout_ms)
{
   int64_t until = bson_get_monotonic_time () + timeout_ms * 1000;
   for (;;) {
      pthread_mutex_lock (&abandoned_mu);
      int n = abandoned_n;
      pthread_mutex_unlock (&abandoned_mu);
      if (n == 0 || bson_get_monotonic_time () >= until) {
         return n;
      }
      struct timespec ts = {0, 20 * 1000 * 1000};
      nanosleep (&ts, NULL);
   }
}

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

static bool
over_time (const cursor_source_t *c)
{
   return c->io.max_execution_ms > 0 && bson_get_monotonic_time () - c->io.start_us >= c->io.max_execution_ms * 1000;
}

/* Should a wait stop: the caller's cancel, bql_source_stop, or
 * max_execution_time? */
static bool
cancelled (const cursor_source_t *c)
{
   return (c->cancel && *c->cancel) || atomic_load (&c->st->stop) || over_time (c);
}

/* Take what the fetch thread has read into c's buffer, waiting for it
 * (checking cancelled() every POLL_MS). 1: documents taken; 0: the
 * cursor ended (c->st->failed, with the error, when it failed); -1: the
 * wait was cancelled. */
static int
take (cursor_source_t *c)
{
   fetch_t *f = c->f;
   int r;
   pthread_mutex_lock (&f->mu);
   for (;;) {
      if (f->len > 0) {
         /* swap the buffers: the queue gets the emptied one */
         uint8_t *b = c->buf;
         size_t cap = c->cap;
         c->buf = f->buf;
         c->cap = f->cap;
         c->len = f->len;
         c->pos = 0;
         f->buf = b;
         f->cap = cap;
         f->len = 0;
         pthread_cond_broadcast (&f->cv);
         r = 1;
         break;
      }
      if (f->done) {
         r = 0;
         break;
      }
      if (cancelled (c)) {
         r = -1;
         break;
      }
      struct timespec ts;
      clock_gettime (CLOCK_REALTIME, &ts);
      ts.tv_nsec += POLL_MS * 1000 * 1000;
      if (ts.tv_nsec >= 1000000000L) {
         ts.tv_sec++;
         ts.tv_nsec -= 1000000000L;
      }
      pthread_cond_timedwait (&f->cv, &f->mu, &ts);
   }
   bool failed = r == 0 && f->failed;
   bson_error_t berr = f->berr;
   pthread_mutex_unlock (&f->mu);
   if (failed) {
      c->st->failed = true;
      if (berr.domain != MONGOC_ERROR_SERVER && berr.domain != MONGOC_ERROR_QUERY) {
         cursor_error (c->plan, &c->st->error, BQL_ERR_CONNECTION, (int32_t) berr.code,
                       c->n ? "lost the server while reading the SELECT's cursor: %s"
                            : "cannot run the SELECT's aggregation pipeline: %s",
                       berr.message);
      } else {
         cursor_error (c->plan, &c->st->error, BQL_ERR_SERVER, (int32_t) berr.code,
                       "the server refused the SELECT's aggregation pipeline: %s", berr.message);
      }
   }
   return r;
}

/* The source stops as cancelled, while doing what ("reading the
 * SELECT's cursor"): by max_execution_time, or by a cancel. */
static void
set_cancelled (cursor_source_t *c, const char *what)
{
   bql_source_status_t *st = c->st;
   st->cancelled = true;
   bql_error_clear (&st->error);
   st->error.domain = BQL_ERROR_EXECUTE;
   st->error.code = BQL_ERR_ABORTED;
   if (!(c->cancel && *c->cancel) && !atomic_load (&st->stop) && over_time (c)) {
      snprintf (st->error.message, sizeof st->error.message, "stopped after %.1f s (max_execution_time) while %s",
                (double) c->io.max_execution_ms / 1000.0, what);
   } else {
      snprintf (st->error.message, sizeof st->error.message, "cancelled while %s", what);
   }
}

static bql_row_rc_t
cursor_next (void *impl, bql_source_status_t *st, bson_t *doc, int64_t *rownum, const char **why)
{
   (void) why;
   cursor_source_t *c = impl;
   if (st->failed || st->cancelled) {
      return BQL_ROW_ERROR;
   }
   if (cancelled (c)) {
      set_cancelled (c, "reading the SELECT's cursor");
      return BQL_ROW_ERROR;
   }
   if (c->pos >= c->len) {
      int r = take (c);
      if (r < 0) {
         set_cancelled (c, "waiting for the SELECT's cursor");
         return BQL_ROW_ERROR;
      }
      if (r == 0) {
         return st->failed ? BQL_ROW_ERROR : BQL_ROW_END;
      }
   }
   uint32_t len;
   memcpy (&len, c->buf + c->pos, 4);
   len = BSON_UINT32_FROM_LE (len);
   bson_t next;
   bson_init_static (&next, c->buf + c->pos, len);
   bql_select_row (c->plan, &next, doc);
   c->pos += len;
   *rownum = ++c->n;
   st->bytes_read += len;
   return BQL_ROW_OK;
}

static void
cursor_close (void *impl)
{
   cursor_source_t *c = impl;
   fetch_t *f = c->f;
   if (f && c->started) {
      pthread_t tid = f->tid; /* f may be freed by its thread once abandoned */
      pthread_mutex_lock (&f->mu);
      bool finished = f->finished;
      if (!finished) {
         /* still waiting on the server: it frees everything then */
         f->abandoned = true;
         pthread_cond_broadcast (&f->cv);
         pthread_mutex_lock (&abandoned_mu);
         abandoned_n++;
         pthread_mutex_unlock (&abandoned_mu);
      }
      pthread_mutex_unlock (&f->mu);
      if (finished) {
         pthread_join (tid, NULL);
         fetch_free (f);
      } else {
         pthread_detach (tid);
      }
   } else if (f) {
      fetch_free (f);
   }
   bson_free (c->buf);
   bson_free (c);
}

static const bql_source_vtable_t cursor_vtable = {"cursor", cursor_next, cursor_close};

bql_source_t *
bql_source_cursor_open (const bql_plan_t *plan,
                        mongoc_client_t *client,
                        const bql_step_t *step,
                        const bql_source_io_t *io,
                        const volatile int *cancel,
                        bql_error_t *error)
{
   bson_iter_t it;
   bson_t pipeline, opts = BSON_INITIALIZER;
   if (!client) {
      cursor_error (plan, error, BQL_ERR_CONNECTION, 0, "%s", "cannot make a connection for the SELECT's cursor");
      return NULL;
   }
   if (!bson_iter_init_find (&it, &step->command, "pipeline") || !bql_iter_sub (&it, &pipeline)) {
      mongoc_client_destroy (client);
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
   fetch_t *f = bson_malloc0 (sizeof *f);
   pthread_mutex_init (&f->mu, NULL);
   pthread_cond_init (&f->cv, NULL);
   f->client = client;
   f->coll = mongoc_client_get_collection (client, db, coll);
   /* no I/O yet: the fetch thread's first mongoc_cursor_next sends it */
   f->cursor = mongoc_collection_aggregate (f->coll, MONGOC_QUERY_NONE, &pipeline, &opts, NULL);
   bson_destroy (&opts);
   f->max_bytes = QUEUE_MAX_BYTES;
   if (plan->opts.memory_limit > 0 && (size_t) (plan->opts.memory_limit / 8) < f->max_bytes) {
      f->max_bytes = (size_t) (plan->opts.memory_limit / 8);
   }
   cursor_source_t *c = bson_malloc0 (sizeof *c);
   c->plan = plan;
   c->f = f;
   c->cancel = cancel;
   if (io) {
      c->io = *io;
   }
   bql_source_t *s = bql_source_new (&cursor_vtable, c, &c->st);
   c->started = pthread_create (&f->tid, NULL, fetch_main, f) == 0;
   if (!c->started) {
      bql_source_close (s);
      cursor_error (plan, error, BQL_ERR_NOMEM, 0, "%s", "cannot start the SELECT's cursor thread");
      return NULL;
   }
   /* the first reply: a refused pipeline fails the statement here */
   int r = take (c);
   if (r < 0) {
      set_cancelled (c, "waiting for the first batch of the SELECT's cursor (nothing was written)");
      cursor_error (plan, error, BQL_ERR_ABORTED, 0, "%s", c->st->error.message);
      bql_source_close (s);
      return NULL;
   }
   if (r == 0 && c->st->failed) {
      *error = c->st->error;
      bql_source_close (s);
      return NULL;
   }
   return s;
}
