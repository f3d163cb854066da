/*
 * rows.c — the loop shared by every statement that writes incoming rows
 * (INSERT, UPSERT, UPDATE ... FROM): it pulls batch_size input rows from a
 * source (VALUES rows or a file), hands the good ones to the statement's
 * batch writer, and accounts for every row: written, refused by the server
 * (with its row number), or failed on input (unreadable, unconvertible,
 * failing CHECK). The sources themselves are in sources/.
 *
 * Reading and writing overlap: a reader thread fills the next batches
 * while the current one is on the wire, and with parallel_workers > 1
 * (unordered statements) that many threads write batches at once, each
 * on a client of a pool. Each thread that writes has its own writer
 * (executor.h: bql_writer_t) — the statement's thread when there are no
 * workers — and each batch its own tally, which the statement's thread
 * adds to the statement when it accounts for the batch, in the batches'
 * order (counts, error records, callbacks). The batches
 * live in a ring of slots whose documents together stay under
 * memory_limit, so the client's memory is bounded whatever the size of
 * the input.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "hash.h"
#include "operation.h"
#include "write_path.h"

/* Append doc to the batch's bytes at *len (growing *buf by doubling, up
 * to limit), giving it an ObjectId _id first (as the server would) when
 * add_id and it has none (has_id: 1 it has one, 0 none, -1 unknown:
 * looked for),
 * so that the executor knows every document's _id: a batch lost to a
 * network error can then be checked against the server and retried
 * without writing a row twice (libmongoc would add one anyway). The _id
 * is the deterministic one of row `row` of the operation whose _ids
 * start with oid_prefix (hash.h: bql_row_oid_bytes), so that a resumed operation sends the same
 * documents. It is written in place: one copy of the document, no
 * allocation. */
static void
append_doc (uint8_t **buf, size_t *len, size_t *cap, size_t limit, const bson_t *doc, bool add_id, int has_id,
            const uint8_t oid_prefix[7], int64_t row)
{
   bson_iter_t it;
   bool with_id = add_id && (has_id >= 0 ? !has_id : !bson_iter_init_find (&it, doc, "_id"));
   /* 0x07 "_id" NUL, then the 12 bytes of the ObjectId */
   size_t extra = with_id ? 1 + 4 + 12 : 0;
   size_t n = doc->len + extra;
   if (*len + n > *cap) {
      /* double, but not far past the batch's limit: the batch ends at
       * the first document that reaches it */
      size_t want = (*len + n) * 2;
      size_t most = limit > *len + n ? limit : *len + n;
      *cap = want < most ? want : most;
      *buf = bson_realloc (*buf, *cap);
   }
   uint8_t *out = *buf + *len;
   const uint8_t *data = bson_get_data (doc);
   if (with_id) {
      uint32_t le = BSON_UINT32_TO_LE ((uint32_t) n);
      memcpy (out, &le, 4);
      memcpy (out + 4, "\x07_id", 5);
      bql_row_oid_at (oid_prefix, row, out + 9);
      memcpy (out + 21, data + 4, doc->len - 4);
   } else {
      memcpy (out, data, doc->len);
   }
   *len += n;
}

static bool
has_decimal (const bson_t *doc, int depth)
{
   bson_iter_t it;
   if (depth > 100 || !bson_iter_init (&it, doc)) {
      return false;
   }
   while (bson_iter_next (&it)) {
      if (BSON_ITER_HOLDS_DECIMAL128 (&it)) {
         return true;
      }
      bson_t sub;
      if (bql_iter_sub (&it, &sub) && has_decimal (&sub, depth + 1)) {
         return true;
      }
   }
   return false;
}

/* Does a batch hold a Decimal128 value? (Said when the server hung up.) */
static bool
batch_has_decimal (const bql_batch_t *b)
{
   for (size_t i = 0; i < b->n; i++) {
      if (has_decimal (b->docs[i], 0)) {
         return true;
      }
   }
   return false;
}

/* One batch of the ring. The reader owns a slot from FREE until it is
 * FILLED; then the statement's thread (or, with parallel_workers > 1, the
 * worker that claims it: WRITING, WRITTEN) until it is FREE again. */
typedef enum { SLOT_FREE, SLOT_FILLED, SLOT_WRITING, SLOT_WRITTEN } slot_state_t;

typedef struct {
   slot_state_t state;
   int64_t index;          /* batch number, from 0 */
   bson_t *docs;           /* the good rows: docs[0..n) are read-only
                              views of bytes, set when the batch is full */
   uint8_t *bytes;         /* the good rows' BSON, one after the other */
   size_t nbytes, cap;
   size_t *offs;           /* where each row starts in bytes */
   size_t rows_cap;        /* of ptrs, rows, lines, offs and facts */
   size_t docs_cap;
   const bson_t **ptrs;
   int64_t *rows;
   int64_t *lines;         /* line of each row in its file */
   uint8_t *facts;         /* what the source knew of each row
                              (bql_source_row_facts) */
   size_t n;
   int64_t input;          /* rows read into this batch, failed ones too */
   int64_t skipped;        /* of them, rows a resumed operation had done */
   int64_t first_row;
   int64_t bytes_read;     /* of the source, when the batch was complete */
   int64_t started_at_ms;
   bool end;               /* the source ended after this batch */
   bql_row_errors_t errs;  /* rows that failed on input, then refused */
   /* what the write gave, for the statement's thread to add up */
   bql_batch_info_t info;
   bool write_ok;
   bql_write_tally_t tally;
} slot_t;

typedef struct pipeline pipeline_t;

/* A thread of parallel_workers, with its writer on a pooled client. */
typedef struct {
   pipeline_t *p;
   pthread_t tid;
   bool started;
   mongoc_client_t *client; /* popped from the pool, pushed back at the end */
   bql_writer_t writer;
} worker_t;

/* Shared by the threads of bql_exec_rows: the slots' states, next_claim,
 * stop and batches_done are read and written under mu only; a slot's
 * other fields belong to the thread its state gives it to. */
struct pipeline {
   bql_exec_t *x;
   bql_writer_t *own;      /* the statement's thread's writer (no workers):
                              the caller's, so that its connection's
                              capabilities are probed once */
   bql_source_t *src;
   bql_batch_writer_t write;
   int32_t batch_size;
   size_t max_bytes;       /* documents of one batch, at most */
   slot_t *slots;
   size_t nslots;
   pthread_mutex_t mu;
   pthread_cond_t cv;
   bool stop;              /* the statement is done: reader and workers end */
   int64_t next_claim;     /* the next batch a worker takes */
   int64_t batches_done;   /* the statement's completed batches, copied
                              by its thread when it frees a slot */
   bson_t row;             /* the reader's row, before it joins a batch */
   /* a resumed operation: its rows in doubt are sent again (idempotent
    * writes), or reported in doubt and not sent */
   const bql_resume_t *resume;
   bool resend_in_doubt;
};

/* Room for more rows in s's arrays: they grow with the batches read (a
 * large batch_size with small memory_limit needs few). */
static void
grow_rows (slot_t *s, int32_t batch_size)
{
   size_t cap = s->rows_cap ? s->rows_cap * 2 : 256;
   if (cap > (size_t) batch_size) {
      cap = (size_t) batch_size;
   }
   s->ptrs = bson_realloc (s->ptrs, sizeof *s->ptrs * cap);
   s->rows = bson_realloc (s->rows, sizeof *s->rows * cap);
   s->lines = bson_realloc (s->lines, sizeof *s->lines * cap);
   s->offs = bson_realloc (s->offs, sizeof *s->offs * cap);
   s->facts = bson_realloc (s->facts, sizeof *s->facts * cap);
   s->rows_cap = cap;
}

/* Read one batch into s: batch_size input rows, fewer at the end of the
 * input or when the documents reach max_bytes. */
static void
fill (pipeline_t *p, slot_t *s)
{
   bql_exec_t *x = p->x;
   /* an insert gives every row its _id (append_doc) */
   bool ids = false;
   for (size_t i = 0; i < x->n_row_steps; i++) {
      ids = ids || x->row_steps[i].kind == BQL_STEP_INSERT_ROWS;
   }
   bson_t *doc = &p->row;
   /* the operation's part of the rows' _ids, once (bql_row_oid_bytes) */
   uint8_t oid_prefix[7];
   bql_row_oid_prefix (x->operation_oid.bytes, oid_prefix);
   s->n = 0;
   s->nbytes = 0;
   s->input = 0;
   s->skipped = 0;
   s->first_row = 0;
   s->started_at_ms = bql_wall_ms ();
   while (s->input < p->batch_size && s->nbytes < p->max_bytes) {
      int64_t rownum = 0;
      const char *why = NULL;
      bson_reinit (doc);
      bql_row_rc_t rc = bql_source_next (p->src, doc, &rownum, &why);
      if (rc == BQL_ROW_END || rc == BQL_ROW_ERROR) {
         s->end = true; /* an error is in the source */
         break;
      }
      if (!s->first_row) {
         s->first_row = rownum;
      }
      s->input++;
      bql_resume_row_t rs = bql_resume_row (p->resume, rownum);
      if (rs == BQL_RESUME_ROW_DONE) {
         /* written (or failed) before the operation was interrupted: read
          * for its number only */
         s->skipped++;
         continue;
      }
      if (rs == BQL_RESUME_ROW_IN_DOUBT && !p->resend_in_doubt && rc != BQL_ROW_FAILED) {
         /* sent before, outcome unknown, and not safe to apply twice */
         bql_row_errors_add_doc (&s->errs, rownum, BQL_CODE_IN_DOUBT,
                                 "in doubt: sent before the operation was interrupted, its outcome is unknown, and "
                                 "its write is not idempotent: not sent again",
                                 doc);
         s->errs.items[s->errs.n - 1].line = bql_source_line (p->src);
         continue;
      }
      if (rc == BQL_ROW_FAILED) {
         bql_row_errors_add_doc (&s->errs, rownum, 0, why ? why : "row failed", doc);
         s->errs.items[s->errs.n - 1].line = bql_source_line (p->src);
         continue;
      }
      if (s->n == s->rows_cap) {
         grow_rows (s, p->batch_size);
      }
      s->offs[s->n] = s->nbytes;
      append_doc (&s->bytes, &s->nbytes, &s->cap, p->max_bytes, doc, ids, bql_source_row_has_id (p->src),
                  oid_prefix, rownum);
      s->rows[s->n] = rownum;
      s->lines[s->n] = bql_source_line (p->src);
      s->facts[s->n] = (uint8_t) bql_source_row_facts (p->src);
      s->n++;
   }
   /* the views, now that the bytes no longer move (bson_t is declared
    * 128-byte aligned) */
   if (s->n > s->docs_cap) {
      bson_free (s->docs);
      s->docs = bson_aligned_alloc (BSON_ALIGNOF (bson_t), sizeof (bson_t) * s->rows_cap);
      s->docs_cap = s->rows_cap;
   }
   for (size_t i = 0; i < s->n; i++) {
      uint32_t len;
      memcpy (&len, s->bytes + s->offs[i], 4);
      bson_init_static (&s->docs[i], s->bytes + s->offs[i], BSON_UINT32_FROM_LE (len));
      s->ptrs[i] = &s->docs[i];
   }
   s->bytes_read = bql_source_bytes_read (p->src);
}

static void *
reader_main (void *arg)
{
   pipeline_t *p = arg;
   for (int64_t batch = 0;; batch++) {
      slot_t *s = &p->slots[batch % (int64_t) p->nslots];
      pthread_mutex_lock (&p->mu);
      while (s->state != SLOT_FREE && !p->stop) {
         pthread_cond_wait (&p->cv, &p->mu);
      }
      bool stop = p->stop;
      if (!stop) {
         s->index = batch;
      }
      pthread_mutex_unlock (&p->mu);
      if (stop) {
         return NULL;
      }
      fill (p, s);
      bool end = s->end;
      pthread_mutex_lock (&p->mu);
      s->state = SLOT_FILLED;
      pthread_cond_broadcast (&p->cv);
      pthread_mutex_unlock (&p->mu);
      if (end) {
         return NULL;
      }
   }
}

static void
release (pipeline_t *p, slot_t *s)
{
   s->n = 0;
   bql_row_errors_cleanup (&s->errs);
   memset (&s->errs, 0, sizeof s->errs);
   pthread_mutex_lock (&p->mu);
   s->state = SLOT_FREE;
   p->batches_done = p->x->batches;
   pthread_cond_broadcast (&p->cv);
   pthread_mutex_unlock (&p->mu);
}

/* A filled slot that no worker writes: the end of the input, or a batch
 * cut short by a cancel while the reader waited. */
static bool
ends_input (const pipeline_t *p, const slot_t *s)
{
   return s->input == 0 || (s->end && bql_source_cancelled (p->src));
}

/* The batch of s, before any of it is written: no counts yet. */
static void
start_info (slot_t *s)
{
   memset (&s->info, 0, sizeof s->info);
   s->info.batch_index = s->index;
   s->info.first_row = s->first_row;
   s->info.size = s->input;
}

/* Write the batch of s through w (the statement's thread's writer, or a
 * worker's): its counts go to s->info, its refused rows to s->errs, the
 * rest of what it adds up to s->tally; s->write_ok says whether the
 * statement may go on. */
static void
write_slot (pipeline_t *p, bql_writer_t *w, slot_t *s)
{
   start_info (s);
   w->tally = &s->tally;
   s->write_ok = true;
   if (s->n == 0) {
      return;
   }
   if (w->opts->dry_run && !w->plan->delete_using) {
      /* dry_run: the rows are read, converted and checked, and counted;
       * nothing is sent (DELETE ... USING reads what its rows match and
       * counts it) */
      s->tally.n_would_write += (int64_t) s->n;
      return;
   }
   bql_batch_t b = {s->ptrs, s->rows, s->n, s->lines, s->facts};
   bql_operation_sending (w, s->first_row + s->input - 1);
   s->write_ok = p->write (w, &b, &s->info, &s->errs);
   bql_error_t *e = &s->tally.error;
   if (!s->write_ok && s->tally.failed && e->code == BQL_ERR_CONNECTION && batch_has_decimal (&b)) {
      /* the writer's capabilities: probed by then, or now (one buildInfo) */
      size_t len = strlen (e->message);
      snprintf (e->message + len, sizeof e->message - len, "%s", bql_caps_decimal128_hangup_note (&w->caps, w->client));
   }
}

static void *
worker_main (void *arg)
{
   worker_t *w = arg;
   pipeline_t *p = w->p;
   for (;;) {
      pthread_mutex_lock (&p->mu);
      slot_t *s = &p->slots[p->next_claim % (int64_t) p->nslots];
      while (!p->stop && !(s->state == SLOT_FILLED && s->index == p->next_claim)) {
         pthread_cond_wait (&p->cv, &p->mu);
         s = &p->slots[p->next_claim % (int64_t) p->nslots];
      }
      if (p->stop || ends_input (p, s)) {
         pthread_mutex_unlock (&p->mu);
         return NULL;
      }
      s->state = SLOT_WRITING;
      p->next_claim++;
      w->writer.batches_done = p->batches_done;
      pthread_mutex_unlock (&p->mu);

      write_slot (p, &w->writer, s);

      pthread_mutex_lock (&p->mu);
      s->state = SLOT_WRITTEN;
      pthread_cond_broadcast (&p->cv);
      pthread_mutex_unlock (&p->mu);
   }
}

/* What the write of s added up, into the statement (its thread). */
static bool
merge_slot (bql_exec_t *x, slot_t *s)
{
   bql_exec_add_tally (x, &s->tally);
   return s->write_ok;
}

/* Start parallel_workers threads, each with a client of xo.pool (or of a
 * pool made from the statement's client's URI, in *own). False, with the
 * error recorded, when none could be started. */
static bool
start_workers (pipeline_t *p, worker_t *workers, int n, mongoc_client_pool_t **pool, mongoc_client_pool_t **own)
{
   bql_exec_t *x = p->x;
   *pool = x->xo.pool;
   *own = NULL;
   if (!*pool) {
      const mongoc_uri_t *uri = mongoc_client_get_uri (x->client);
      *own = *pool = bql_exec_pool_new (&x->xo, uri);
      if (!*pool) {
         return bql_exec_fail (x, BQL_ERR_CONNECTION, 0, "parallel_workers: cannot make a client pool");
      }
      if (mongoc_uri_get_option_as_int32 (uri, MONGOC_URI_MAXPOOLSIZE, 100) < n) {
         mongoc_client_pool_max_size (*pool, (uint32_t) n);
      }
   }
   for (int i = 0; i < n; i++) {
      worker_t *w = &workers[i];
      w->p = p;
      /* the first waits for a client; the others run when the pool has
       * one to spare (a caller's pool may be smaller than the workers) */
      w->client = i == 0 ? mongoc_client_pool_pop (*pool) : mongoc_client_pool_try_pop (*pool);
      if (!w->client) {
         break;
      }
      bql_writer_init (&w->writer, x, w->client);
      w->started = pthread_create (&w->tid, NULL, worker_main, w) == 0;
   }
   return workers[0].started || bql_exec_fail (x, BQL_ERR_NOMEM, 0, "cannot start the worker threads");
}

static void
stop_workers (worker_t *workers, int n, mongoc_client_pool_t *pool, mongoc_client_pool_t *own)
{
   for (int i = 0; i < n; i++) {
      worker_t *w = &workers[i];
      if (w->started) {
         pthread_join (w->tid, NULL);
      }
      if (w->client) {
         bql_writer_cleanup (&w->writer);
         mongoc_client_pool_push (pool, w->client);
      }
   }
   if (own) {
      mongoc_client_pool_destroy (own);
   }
}

/* The statement stops as after a batch: the caller's cancel came while
 * the reader waited for input. */
static void
stop_cancelled (bql_exec_t *x, const bql_source_t *src)
{
   x->stopped = true;
   snprintf (x->stop_reason, sizeof x->stop_reason, "%.120s, after %lld batch%s", bql_source_error (src)->message,
             (long long) x->batches, x->batches == 1 ? "" : "es");
}

/* Wait until the batch of s can be accounted for: written by a worker,
 * or (with no workers, or at the end of the input) filled. */
static void
wait_for (pipeline_t *p, slot_t *s, int64_t batch, bool workers)
{
   pthread_mutex_lock (&p->mu);
   for (;;) {
      bool here = s->index == batch && s->state != SLOT_FREE;
      if (here && (s->state == SLOT_WRITTEN || (s->state == SLOT_FILLED && (!workers || ends_input (p, s))))) {
         break;
      }
      if (!workers) {
         pthread_cond_wait (&p->cv, &p->mu);
         continue;
      }
      /* the workers' batches are on the wire: the operation's heartbeat
       * moves meanwhile (every BQL_HEARTBEAT_MS at most) */
      struct timespec ts;
      clock_gettime (CLOCK_REALTIME, &ts);
      ts.tv_sec += 1;
      if (pthread_cond_timedwait (&p->cv, &p->mu, &ts) != 0) {
         pthread_mutex_unlock (&p->mu);
         bql_operation_heartbeat (p->x);
         pthread_mutex_lock (&p->mu);
      }
   }
   pthread_mutex_unlock (&p->mu);
}

/* drop = true: the DROP step drops the target collection before the
 * first batch (the drop command, as mongoimport --drop). Only the target:
 * the archive, error and metrics collections stay. A collection that does
 * not exist is not an error. A drop whose reply was lost (the server went
 * away) is sent again within the retry policy, on w: dropping is
 * idempotent in effect, and a drop that the lost attempt did finds the
 * collection gone. False when the server refused, or stayed away. */
bool
bql_exec_drop_step (bql_exec_t *x, bql_writer_t *w, const bql_step_t *st)
{
   mongoc_database_t *db = mongoc_client_get_database (x->client, x->plan->database);
   bson_error_t berr;
   bson_t reply;
   bool dropped;
   int retries = 0;
   for (;;) {
      dropped = mongoc_database_write_command_with_opts (db, &st->command, NULL, &reply, &berr);
      /* a collection that does not exist: NamespaceNotFound (26), from
       * every server libmongoc 1.23 connects to (MongoDB 3.6 on; 7.0 on
       * answers ok) */
      bool again = !dropped && berr.code != 26 && bql_write_path_again (w, &berr, &reply, &retries);
      bson_destroy (&reply);
      if (!again) {
         break;
      }
   }
   mongoc_database_destroy (db);
   if (!dropped && berr.code != 26) {
      char tries[96];
      bql_writer_retries_ran_out (w, retries, tries, sizeof tries);
      if (x->xo.cancel && *x->xo.cancel) {
         return bql_exec_fail (x, BQL_ERR_ABORTED, (int32_t) berr.code,
                               "cancelled while waiting to drop %s again (lost: %s); the load did not start",
                               bql_plan_namespace (x->plan), berr.message);
      }
      if (bql_exec_is_connection_error (&berr)) {
         return bql_exec_fail (x, BQL_ERR_CONNECTION, (int32_t) berr.code, "lost the server while dropping %s%s: %s",
                               bql_plan_namespace (x->plan), tries, berr.message);
      }
      return bql_exec_fail (x, BQL_ERR_SERVER, (int32_t) berr.code, "the server refused to drop %s (drop = true)%s: %s",
                            bql_plan_namespace (x->plan), tries, berr.message);
   }
   return true;
}

bql_source_t *
bql_exec_open_source (bql_exec_t *x)
{
   bql_source_io_t io = {
      .stdin_stream = x->xo.stdin_stream,
      .next_row = x->xo.next_row,
      .next_row_ctx = x->xo.next_row_ctx,
      .max_execution_ms = x->opts ? x->opts->max_execution_ms : 0,
      .start_us = x->start_us,
   };
   bql_error_t err;
   bql_error_clear (&err);
   bql_source_t *src = bql_source_open (x->plan, &io, x->xo.cancel, &err);
   if (!src) {
      bql_exec_fail_with (x, &err);
   }
   return src;
}

bql_source_t *
bql_exec_open_cursor (bql_exec_t *x, const bql_step_t *st)
{
   bql_source_io_t io = {
      .max_execution_ms = x->opts ? x->opts->max_execution_ms : 0,
      .start_us = x->start_us,
   };
   bql_error_t err;
   bql_error_clear (&err);
   mongoc_client_t *client = bql_exec_client_new (&x->xo, mongoc_client_get_uri (x->client));
   bql_source_t *src = bql_source_cursor_open (x->plan, client, st, &io, x->xo.cancel, &err);
   if (!src) {
      bql_exec_fail_with (x, &err);
   }
   return src;
}

bool
bql_exec_merge_step (bql_exec_t *x, bql_writer_t *w, const bql_step_t *st)
{
   bson_t cmd = BSON_INITIALIZER, reply;
   bson_iter_t it;
   const char *db = x->plan->select_database;
   bson_iter_init (&it, &st->command);
   while (bson_iter_next (&it)) {
      if (!strcmp (bson_iter_key (&it), "$db")) {
         db = bson_iter_utf8 (&it, NULL);
      } else {
         bson_append_iter (&cmd, NULL, 0, &it);
      }
   }
   mongoc_database_t *d = mongoc_client_get_database (w->client, db);
   bson_error_t berr;
   bool ok = mongoc_database_write_command_with_opts (d, &cmd, NULL, &reply, &berr);
   mongoc_database_destroy (d);
   bson_destroy (&cmd);
   bson_destroy (&reply);
   if (!ok) {
      if (bql_exec_is_connection_error (&berr)) {
         return bql_exec_fail (x, BQL_ERR_CONNECTION, (int32_t) berr.code,
                               "lost the server while running the $merge into %s: %s", bql_plan_namespace (x->plan),
                               berr.message);
      }
      return bql_exec_fail (x, BQL_ERR_SERVER, (int32_t) berr.code,
                            "the server refused the $merge into %s (server_side; $merge needs MongoDB 4.2): %s",
                            bql_plan_namespace (x->plan), berr.message);
   }
   x->merged = true;
   return true;
}

bool
bql_exec_rows (bql_exec_t *x, bql_writer_t *own, bql_source_t *src, bql_batch_writer_t write)
{
   pipeline_t p = {.x = x, .own = own, .src = src, .write = write};
   bql_write_tally_t *own_tally = own->tally;
   p.batch_size = bql_options_batch (x->opts);
   /* parallel_workers > 1 (unordered statements: the planner refuses it
    * for ordered ones) writes batches on threads of their own; a dry run
    * has nothing to send */
   int nworkers = x->opts->parallel_workers > 1 && !x->opts->ordered && !x->opts->dry_run ? x->opts->parallel_workers
                                                                                          : 0;
   /* batches in flight on the workers (or one on the wire), one being
    * read and one ready: together under memory_limit */
   p.nslots = nworkers ? (size_t) nworkers + 2 : 2;
   p.max_bytes = (size_t) (x->opts->memory_limit / (int64_t) p.nslots);
   p.slots = bson_malloc0 (sizeof *p.slots * p.nslots);
   for (size_t i = 0; i < p.nslots; i++) {
      slot_t *s = &p.slots[i];
      s->index = -1;
      bql_write_tally_init (&s->tally);
   }
   pthread_mutex_init (&p.mu, NULL);
   pthread_cond_init (&p.cv, NULL);
   bson_init (&p.row);
   p.resume = x->resume;
   p.resend_in_doubt = bql_writer_idempotent (own);
   x->rows_total = bql_source_rows_total (src);
   x->row_based = true;
   x->bytes_total = bql_source_bytes_total (src);

   worker_t *workers = nworkers ? bson_malloc0 (sizeof *workers * (size_t) nworkers) : NULL;
   mongoc_client_pool_t *pool = NULL, *own_pool = NULL;
   bool ok = !nworkers || start_workers (&p, workers, nworkers, &pool, &own_pool);
   pthread_t reader;
   bool started = ok && pthread_create (&reader, NULL, reader_main, &p) == 0;
   ok = ok && (started || bql_exec_fail (x, BQL_ERR_NOMEM, 0, "cannot start the reader thread"));
   int64_t batch = 0;
   for (; ok; batch++) {
      /* every exit below breaks out with batch accounted for */
      slot_t *s = &p.slots[batch % (int64_t) p.nslots];
      wait_for (&p, s, batch, nworkers > 0);
      bool last = s->end;
      x->bytes_read = s->bytes_read;
      if (ends_input (&p, s)) {
         /* a batch cut short by a cancel while the reader waited for
          * input is not written: its good rows count as not attempted;
          * its rows that failed on input are failed rows, reported as in
          * any batch (and then the batch is counted) */
         x->rows_done += s->input;
         x->n_skipped += s->skipped;
         if (bql_source_cancelled (src)) {
            stop_cancelled (x, src); /* the reason, before anything else */
         }
         if (s->errs.n > 0) {
            start_info (s);
            bql_batch_t none = {s->ptrs, s->rows, 0, s->lines, s->facts};
            bql_exec_finish_batch (x, &s->info, &none, &s->errs, s->started_at_ms);
            /* not completed: its rows are left to a resume, so its counts
             * stay out of the operation's counters, as the checkpoint
             * leaves it out of its batches */
            bql_operation_batch_done (x, 0, 0, NULL, false, false);
         }
         release (&p, s);
         break;
      }
      if (s->skipped == s->input && s->errs.n == 0) {
         /* a batch a resumed operation had completed: nothing to write
          * or count (a worker that took it had no rows to send) */
         x->rows_done += s->input;
         x->n_skipped += s->skipped;
         release (&p, s);
         if (last) {
            break;
         }
         continue;
      }
      if (!nworkers) {
         p.own->batches_done = x->batches;
         write_slot (&p, p.own, s);
      }
      ok = merge_slot (x, s);
      x->rows_done += s->input;
      x->n_skipped += s->skipped;
      bql_batch_t b = {s->ptrs, s->rows, s->n, s->lines, s->facts};
      bool go_on = bql_exec_finish_batch (x, &s->info, &b, &s->errs, s->started_at_ms);
      go_on = bql_operation_batch_done (x, s->first_row, s->first_row + s->input - 1, NULL, s->write_ok, go_on) &&
              go_on;
      release (&p, s);
      if (!ok || !go_on || last) {
         break;
      }
   }
   /* a reader waiting on a pipe ends too */
   bql_source_stop (src);
   pthread_mutex_lock (&p.mu);
   p.stop = true;
   int64_t claimed = p.next_claim;
   pthread_cond_broadcast (&p.cv);
   pthread_mutex_unlock (&p.mu);
   /* batches the workers had taken are on the server, or on their way:
    * every one of their rows is accounted for */
   for (batch++; nworkers && batch < claimed; batch++) {
      /* (batch: the one the loop above ended on, accounted for) */
      slot_t *s = &p.slots[batch % (int64_t) p.nslots];
      wait_for (&p, s, batch, true);
      ok = merge_slot (x, s) && ok;
      x->rows_done += s->input;
      x->n_skipped += s->skipped;
      bql_batch_t b = {s->ptrs, s->rows, s->n, s->lines, s->facts};
      bql_exec_finish_batch (x, &s->info, &b, &s->errs, s->started_at_ms);
      bql_operation_batch_done (x, s->first_row, s->first_row + s->input - 1, NULL, s->write_ok, false);
      release (&p, s);
   }
   if (started) {
      pthread_join (reader, NULL);
   }
   if (nworkers) {
      stop_workers (workers, nworkers, pool, own_pool);
      bson_free (workers);
   }
   /* When the input could not be read on, the rows read before the error
    * were still written (they are good rows, and which of them shared the
    * last batch depends only on batch_size); the input's error is the
    * statement's, unless writing them failed too. */
   if (bql_source_failed (src)) {
      if (x->fatal) {
         snprintf (x->error->detail, sizeof x->error->detail, "Reading the input had failed too: %.400s",
                   bql_source_error (src)->message);
      } else {
         bql_exec_fail_with (x, bql_source_error (src));
      }
      ok = false;
   }
   for (size_t i = 0; i < p.nslots; i++) {
      slot_t *s = &p.slots[i];
      bql_row_errors_cleanup (&s->errs);
      bql_write_tally_cleanup (&s->tally);
      bson_free (s->bytes);
      bson_free (s->offs);
      bson_free (s->docs);
      bson_free (s->ptrs);
      bson_free (s->rows);
      bson_free (s->lines);
      bson_free (s->facts);
   }
   bson_free (p.slots);
   pthread_mutex_destroy (&p.mu);
   pthread_cond_destroy (&p.cv);
   bson_destroy (&p.row);
   own->tally = own_tally; /* the slots' tallies are gone */
   return ok;
}
