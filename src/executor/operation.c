/*
 * operation.c — the operation a statement is (SPEC §3; operation.h): its
 * document in bulkql_operations, from the templates of the plan's
 * operation steps (steps.c), so that what EXPLAIN shows is what is sent.
 *
 *   OPEN_OPERATION    insert, state Open, before anything is written
 *   MARK_IN_FLIGHT    writes that are not idempotent: before a batch is
 *                     sent, its rows (or _ids) in the checkpoint's inFlight
 *   CHECKPOINT        after every checkpoint_interval completed batches:
 *                     state InProgress, counters, checkpoint, heartbeat
 *   CHECK_OPERATION   the state and holder: when a write matched nothing
 *                     (why), and with checkpoint_interval > 1 after the
 *                     batches without a checkpoint
 *   HEARTBEAT         heartbeatAt while a batch waits (every 10 s at most)
 *   FINISH_OPERATION  Complete, Failed (reason) or Aborted (reason)
 *
 * Every update's filter is {_id, state: {$in: [Open, InProgress]},
 * resumes: <the claim of this process>}: one that matches nothing means
 * that this process no longer holds the operation — another process
 * marked it Aborted (bulkql --abort), or resumed it (resume.c's claim
 * sets resumes to its own number, so that a write of a killed process
 * that lands after the claim changes nothing) — and the statement stops
 * as after a cancel, saying which (CHECK_OPERATION's read). After an
 * abort the last counts and checkpoint are still recorded, in the
 * Aborted document, with the abort's reason kept.
 * The commands go through the write path (write_path.c) on a writer of
 * the operation's own, so that a lost one is retried within the
 * statement's retry policy; a failure to write is reported in the
 * reply's logFailures (log.c) and never hides the statement's own
 * error — except before a batch whose writes are not idempotent: that
 * batch is not sent unless its record in inFlight is written.
 */
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"
#include "operation.h"
#include "resume.h"
#include "write_path.h"

/* ---- row ranges ---- */

static void
ranges_reserve (bql_ranges_t *r)
{
   if (r->n == r->cap) {
      r->cap = r->cap ? r->cap * 2 : 8;
      r->items = bson_realloc (r->items, sizeof *r->items * r->cap);
   }
}

void
bql_ranges_add (bql_ranges_t *r, int64_t first, int64_t last)
{
   /* the first range that ends at or after first - 1 (may touch it) */
   size_t i = 0;
   while (i < r->n && r->items[i].last < first - 1) {
      i++;
   }
   /* ... and the ranges from i that overlap or touch first..last merge */
   size_t j = i;
   while (j < r->n && r->items[j].first <= last + 1) {
      if (r->items[j].first < first) {
         first = r->items[j].first;
      }
      if (r->items[j].last > last) {
         last = r->items[j].last;
      }
      j++;
   }
   if (j == i) {
      ranges_reserve (r);
      memmove (&r->items[i + 1], &r->items[i], sizeof *r->items * (r->n - i));
      r->n++;
   } else if (j > i + 1) {
      memmove (&r->items[i + 1], &r->items[j], sizeof *r->items * (r->n - j));
      r->n -= j - i - 1;
   }
   r->items[i].first = first;
   r->items[i].last = last;
}

void
bql_ranges_push (bql_ranges_t *r, int64_t first, int64_t last)
{
   size_t i = r->n;
   while (i > 0 && r->items[i - 1].first > first) {
      i--;
   }
   ranges_reserve (r);
   memmove (&r->items[i + 1], &r->items[i], sizeof *r->items * (r->n - i));
   r->n++;
   r->items[i].first = first;
   r->items[i].last = last;
}

void
bql_ranges_remove_within (bql_ranges_t *r, int64_t first, int64_t last)
{
   size_t k = 0;
   for (size_t i = 0; i < r->n; i++) {
      if (!(r->items[i].first >= first && r->items[i].last <= last)) {
         r->items[k++] = r->items[i];
      }
   }
   r->n = k;
}

void
bql_ranges_append (const bql_ranges_t *r, bson_t *doc, const char *key)
{
   /* documents, not [first, last] pairs: servers without nested arrays
    * (FerretDB) store these too */
   bson_t arr, pair;
   bson_append_array_begin (doc, key, -1, &arr);
   for (size_t i = 0; i < r->n; i++) {
      char kb[16];
      const char *k;
      bson_uint32_to_string ((uint32_t) i, &k, kb, sizeof kb);
      bson_append_document_begin (&arr, k, -1, &pair);
      BSON_APPEND_INT64 (&pair, "first", r->items[i].first);
      BSON_APPEND_INT64 (&pair, "last", r->items[i].last);
      bson_append_document_end (&arr, &pair);
   }
   bson_append_array_end (doc, &arr);
}

void
bql_ranges_cleanup (bql_ranges_t *r)
{
   bson_free (r->items);
   memset (r, 0, sizeof *r);
}

/* ---- the operation ---- */

enum { N_COUNTERS = 11 };
static const char *const counter_names[N_COUNTERS] = {"nInserted", "nMatched", "nModified", "nUpserted",
                                                     "nRemoved",  "nArchived", "nFailed",  "nInDoubt",
                                                     "nAlreadyWritten", "rowsDone", "batches"};

struct bql_operation {
   pthread_mutex_t mu;
   const bql_plan_t *plan;
   const bql_options_t *opts;
   char id[25];
   bool active;                /* its document was written (Open) */
   _Atomic bool abort_seen;    /* a write matched nothing: no longer held */
   int32_t resumes;            /* the claim this process holds it by */
   /* why it is no longer held (lost_read: the statement's thread, once
    * abort_seen) */
   enum { LOST_UNKNOWN, LOST_ABORTED, LOST_TAKEN_OVER, LOST_ENDED } lost;
   bool lost_read;
   char lost_reason[400];      /* LOST_ABORTED: the abort's reason; LOST_ENDED: the state */
   char taken_host[256];
   int64_t taken_pid;
   /* the writer of its commands (its own connection; no progress, no
    * on_retry: these are not the statement's batches) */
   bql_exec_options_t xo;
   bql_options_t once;         /* the statement's options, no retry: the
                                  heartbeat's (a shallow copy) */
   bql_writer_t w;
   bql_write_tally_t tally;
   mongoc_collection_t *coll;
   const char *database;
   const bql_step_t *mark, *checkpoint, *check, *heartbeat;
   /* the checkpoint (mu) */
   bql_ranges_t completed, in_flight;
   int64_t sent_through;
   int64_t batches;            /* completed */
   int64_t since_checkpoint;   /* batches accounted for since the last one */
   bool where;                 /* stored documents: lastId, inFlightIds */
   bson_value_t last_id;
   bool has_last_id;
   bson_t in_flight_ids;
   bool in_flight_all;         /* one write over the whole filter in flight */
   int64_t counters[N_COUNTERS];
   /* the counts of batches not completed (a batch abandoned on a cancel,
    * lost for good): x counted them, the document does not, since a
    * resume handles their rows again; and x's counts at the last
    * batch_done (the statement's thread) */
   int64_t excluded[N_COUNTERS];
   int64_t last_x[N_COUNTERS];
   int64_t heartbeat_us;       /* monotonic time of the last write */
   /* its commands sent again after a retryable error, not yet added to
    * the statement's retries (the reply's: a server restart that hits a
    * checkpoint rather than a batch is ridden through all the same) */
   _Atomic int64_t retries;
   /* the source's identity (OPEN_OPERATION) */
   char *file_path;
   int64_t file_size;
   int64_t file_mtime_ms;
   uint64_t file_head;
   bool file_known;
};

void
bql_operation_new (bql_exec_t *x)
{
   bql_operation_t *op = bson_malloc0 (sizeof *op);
   pthread_mutex_init (&op->mu, NULL);
   op->plan = x->plan;
   op->opts = x->opts;
   bson_oid_to_string (&x->operation_oid, op->id);
   bson_init (&op->in_flight_ids);
   x->op = op;
}

void
bql_operation_free (bql_exec_t *x)
{
   bql_operation_t *op = x->op;
   if (!op) {
      return;
   }
   if (op->coll) {
      mongoc_collection_destroy (op->coll);
      bql_writer_cleanup (&op->w);
      bql_write_tally_cleanup (&op->tally);
   }
   bql_ranges_cleanup (&op->completed);
   bql_ranges_cleanup (&op->in_flight);
   if (op->has_last_id) {
      bson_value_destroy (&op->last_id);
   }
   bson_destroy (&op->in_flight_ids);
   bson_free (op->file_path);
   pthread_mutex_destroy (&op->mu);
   bson_free (op);
   x->op = NULL;
}

/* The counters of x, for the next write (the statement's thread). */
static void
counts_of (const bql_exec_t *x, int64_t c[N_COUNTERS])
{
   const int64_t v[N_COUNTERS] = {x->n_inserted, x->n_matched, x->n_modified,       x->n_upserted,
                                  x->n_removed,  x->n_archived, x->n_failed,        x->n_in_doubt,
                                  x->n_already_written, x->rows_done, x->batches};
   memcpy (c, v, sizeof v);
}

static void
snapshot (bql_operation_t *op, const bql_exec_t *x)
{
   int64_t c[N_COUNTERS];
   counts_of (x, c);
   for (int i = 0; i < N_COUNTERS; i++) {
      op->counters[i] = c[i] - op->excluded[i];
   }
}

/* ---- filling a template ---- */

typedef struct {
   bql_operation_t *op;
   int64_t now_ms;
   const char *state;
   const char *reason;
} fill_ctx_t;

static void
append_checkpoint (bql_operation_t *op, bson_t *dst, const char *key)
{
   bson_t cp;
   bson_append_document_begin (dst, key, -1, &cp);
   bql_ranges_append (&op->completed, &cp, "completed");
   bql_ranges_append (&op->in_flight, &cp, "inFlight");
   BSON_APPEND_INT64 (&cp, "sentThrough", op->sent_through);
   if (op->where) {
      if (op->has_last_id) {
         BSON_APPEND_VALUE (&cp, "lastId", &op->last_id);
      } else {
         BSON_APPEND_NULL (&cp, "lastId");
      }
      BSON_APPEND_ARRAY (&cp, "inFlightIds", &op->in_flight_ids);
      if (op->in_flight_all) {
         BSON_APPEND_BOOL (&cp, "inFlightAll", true);
      }
   }
   BSON_APPEND_INT64 (&cp, "batches", op->batches);
   bson_append_document_end (dst, &cp);
}

/* The statement's text, cut to BQL_OPERATION_STATEMENT_MAX bytes on a
 * UTF-8 character boundary. */
static void
append_statement (const bql_plan_t *plan, bson_t *dst, const char *key)
{
   const char *text = plan->statement_text ? plan->statement_text : "";
   size_t len = strlen (text);
   if (len > BQL_OPERATION_STATEMENT_MAX) {
      len = BQL_OPERATION_STATEMENT_MAX;
      while (len > 0 && ((unsigned char) text[len] & 0xC0) == 0x80) {
         len--; /* text[len] continues a character: cut before it */
      }
   }
   bson_append_utf8 (dst, key, -1, text, (int) len);
}

static bool
fill (void *ctx, const char *ph, bson_t *dst, const char *key)
{
   fill_ctx_t *f = ctx;
   bql_operation_t *op = f->op;
   if (!strcmp (ph, BQL_PH_OPERATION_ID)) {
      bson_append_utf8 (dst, key, -1, op->id, -1);
   } else if (!strcmp (ph, BQL_PH_NOW)) {
      bson_append_date_time (dst, key, -1, f->now_ms);
   } else if (!strcmp (ph, BQL_PH_STATEMENT)) {
      append_statement (op->plan, dst, key);
   } else if (!strcmp (ph, BQL_PH_HOST)) {
      char host[256] = "";
      if (gethostname (host, sizeof host - 1) != 0) {
         host[0] = '\0';
      }
      bson_append_utf8 (dst, key, -1, host, -1);
   } else if (!strcmp (ph, BQL_PH_PID)) {
      bson_append_int32 (dst, key, -1, (int32_t) getpid ());
   } else if (!strcmp (ph, BQL_PH_FILE_PATH)) {
      bson_append_utf8 (dst, key, -1, op->file_path ? op->file_path : "", -1);
   } else if (!strcmp (ph, BQL_PH_FILE_SIZE)) {
      if (op->file_known) {
         bson_append_int64 (dst, key, -1, op->file_size);
      } else {
         bson_append_null (dst, key, -1);
      }
   } else if (!strcmp (ph, BQL_PH_FILE_MTIME)) {
      if (op->file_known) {
         bson_append_date_time (dst, key, -1, op->file_mtime_ms);
      } else {
         bson_append_null (dst, key, -1);
      }
   } else if (!strcmp (ph, BQL_PH_FILE_HEAD)) {
      if (op->file_known) {
         char hex[17];
         snprintf (hex, sizeof hex, "%016llx", (unsigned long long) op->file_head);
         bson_append_utf8 (dst, key, -1, hex, -1);
      } else {
         bson_append_null (dst, key, -1);
      }
   } else if (!strcmp (ph, BQL_PH_FILTER)) {
      char *json = bson_as_canonical_extended_json (&op->plan->filter, NULL);
      bson_append_utf8 (dst, key, -1, json ? json : "", -1);
      bson_free (json);
   } else if (!strcmp (ph, BQL_PH_COUNTERS)) {
      bson_t c;
      bson_append_document_begin (dst, key, -1, &c);
      for (int i = 0; i < N_COUNTERS; i++) {
         BSON_APPEND_INT64 (&c, counter_names[i], op->counters[i]);
      }
      bson_append_document_end (dst, &c);
   } else if (!strcmp (ph, BQL_PH_CHECKPOINT)) {
      append_checkpoint (op, dst, key);
   } else if (!strcmp (ph, BQL_PH_END_STATE) && f->state) {
      bson_append_utf8 (dst, key, -1, f->state, -1);
   } else if (!strcmp (ph, BQL_PH_RESUMES)) {
      bson_append_int32 (dst, key, -1, op->resumes);
   } else if (!strcmp (ph, BQL_PH_STATES)) {
      if (op->abort_seen) {
         bson_append_utf8 (dst, key, -1, "Aborted", -1); /* to record the counts only */
      } else {
         bson_t in, states;
         bson_append_document_begin (dst, key, -1, &in);
         bson_append_array_begin (&in, "$in", -1, &states);
         BSON_APPEND_UTF8 (&states, "0", "Open");
         BSON_APPEND_UTF8 (&states, "1", "InProgress");
         bson_append_array_end (&in, &states);
         bson_append_document_end (dst, &in);
      }
   } else if (!strcmp (ph, BQL_PH_REASON)) {
      if (f->reason) {
         bson_append_utf8 (dst, key, -1, f->reason, -1);
      } else {
         bson_append_null (dst, key, -1);
      }
   } else {
      return false;
   }
   return true;
}

/* ---- sending one command through the write path ---- */

typedef enum { SENT, NOT_MATCHED, NOT_WRITTEN } sent_t;

typedef struct {
   bool insert;
   bson_t doc;  /* insert: the document */
   bson_t q, u; /* update */
   int sends;
   bool done;
   sent_t result;
   char errmsg[600];
} op_cmd_t;

static bool
cmd_add (void *ctx, mongoc_bulk_operation_t *bulk, size_t *nops)
{
   op_cmd_t *c = ctx;
   *nops = 0;
   if (c->done) {
      return true;
   }
   bson_error_t e;
   bool added = c->insert ? mongoc_bulk_operation_insert_with_opts (bulk, &c->doc, NULL, &e)
                          : mongoc_bulk_operation_update_one_with_opts (bulk, &c->q, &c->u, NULL, &e);
   if (!added) {
      c->done = true;
      c->result = NOT_WRITTEN;
      snprintf (c->errmsg, sizeof c->errmsg, "%s", e.message);
      return true;
   }
   c->sends++;
   *nops = 1;
   return true;
}

static bool
cmd_settle (void *ctx, const bql_write_result_t *r)
{
   op_cmd_t *c = ctx;
   c->done = true;
   bson_iter_t it;
   if (r->write_errors.n > 0) {
      const bql_row_error_t *e = &r->write_errors.items[0];
      if (c->insert && e->code == 11000 && c->sends > 1) {
         c->result = SENT; /* the lost attempt had written it */
         return true;
      }
      c->result = NOT_WRITTEN;
      snprintf (c->errmsg, sizeof c->errmsg, "%s", e->errmsg);
      return true;
   }
   const char *count = c->insert ? "nInserted" : "nMatched";
   int64_t n = bson_iter_init_find (&it, &r->reply, count) ? bson_iter_as_int64 (&it) : 0;
   c->result = n > 0 ? SENT : NOT_MATCHED;
   return true;
}

static bql_recover_rc_t
cmd_recover (void *ctx, const bql_write_result_t *r)
{
   (void) ctx;
   (void) r;
   /* a $set of the same values, or an insert whose _id makes a second
    * copy impossible: sent again as it is */
   return BQL_RECOVER_RESEND;
}

static bool
cmd_give_up (void *ctx, const bql_write_result_t *r, bql_give_up_t why, int retries)
{
   op_cmd_t *c = ctx;
   (void) retries;
   c->done = true;
   c->result = NOT_WRITTEN;
   snprintf (c->errmsg, sizeof c->errmsg, "%.60s: %.500s",
             why == BQL_GIVE_UP_RAN_OUT ? "its retries ran out" : bql_write_gave_up_what (&r->error, why),
             r->error.message);
   return true;
}

/* Send step st's command, filled, on the operation's writer (op->mu
 * held). The reason for NOT_WRITTEN in errmsg. */
static sent_t
send_step (bql_operation_t *op, const bql_step_t *st, const char *state, const char *reason, char *errmsg,
           size_t errlen)
{
   fill_ctx_t f = {op, bql_wall_ms (), state, reason};
   bson_t cmd;
   bql_step_fill (&st->command, fill, &f, &cmd);
   op_cmd_t c;
   memset (&c, 0, sizeof c);
   bson_iter_t it, d;
   c.insert = bson_iter_init_find (&it, &cmd, "insert");
   bool have;
   if (c.insert) {
      have = bson_iter_init (&it, &cmd) && bson_iter_find_descendant (&it, "documents.0", &d) &&
             bql_iter_sub (&d, &c.doc);
   } else {
      have = bson_iter_init (&it, &cmd) && bson_iter_find_descendant (&it, "updates.0.q", &d) &&
             bql_iter_sub (&d, &c.q) && bson_iter_init (&it, &cmd) &&
             bson_iter_find_descendant (&it, "updates.0.u", &d) && bql_iter_sub (&d, &c.u);
   }
   BSON_ASSERT (have); /* steps.c made the template */
   bql_write_step_t step = {.ctx = &c,
                            .coll = op->coll,
                            .database = op->database,
                            .ordered = true,
                            .no_bypass = true,
                            .add = cmd_add,
                            .settle = cmd_settle,
                            .recover = cmd_recover,
                            .give_up = cmd_give_up};
   int retries = 0;
   op->tally.failed = false;
   bql_error_clear (&op->tally.error);
   bql_write_path_run (&op->w, &step, &retries);
   op->retries += op->tally.retries;
   if (!c.done) {
      /* the path failed before sending (no client, no memory) */
      c.result = NOT_WRITTEN;
      snprintf (c.errmsg, sizeof c.errmsg, "%s", op->tally.error.message);
   }
   bql_write_tally_reset (&op->tally);
   bson_destroy (&cmd);
   op->heartbeat_us = bson_get_monotonic_time ();
   if (c.result == NOT_WRITTEN && errmsg) {
      snprintf (errmsg, errlen, "%.590s", c.errmsg);
   }
   return c.result;
}

/* Report a failure to write the operation's document (the statement's
 * thread: the reply's logFailures). */
static void
report (bql_exec_t *x, const char *what, const char *errmsg)
{
   bql_exec_log_failure (x, NULL, "cannot %s in %s.%s: %s", what, x->op->database, BQL_OPERATIONS_COLLECTION,
                         errmsg);
}

/* ---- the steps ---- */

/* The file's identity: absolute path, size, mtime, FNV-1a of its first
 * MiB. */
static void
file_identity (bql_operation_t *op)
{
   const bql_plan_t *plan = op->plan;
   if (!plan->file || plan->file->is_stdin) {
      return;
   }
   const char *path = plan->file_path ? plan->file_path : "";
   char abs[PATH_MAX];
   op->file_path = bson_strdup (realpath (path, abs) ? abs : path);
   struct stat sb;
   FILE *f = fopen (path, "rb");
   if (!f || fstat (fileno (f), &sb) != 0) {
      if (f) {
         fclose (f);
      }
      return;
   }
   op->file_known = true;
   op->file_size = (int64_t) sb.st_size;
   op->file_mtime_ms = (int64_t) sb.st_mtim.tv_sec * 1000 + sb.st_mtim.tv_nsec / 1000000;
   uint64_t h = BQL_FNV1A64_INIT;
   char buf[65536];
   size_t total = 0, n;
   while (total < ((size_t) 1 << 20) && (n = fread (buf, 1, sizeof buf, f)) > 0) {
      if (total + n > ((size_t) 1 << 20)) {
         n = ((size_t) 1 << 20) - total;
      }
      h = bql_fnv1a64_add (h, buf, n);
      total += n;
   }
   op->file_head = h;
   fclose (f);
}

/* The checkpoint a resumed operation's document held. */
static void
take_over (bql_operation_t *op, const bql_resume_t *r)
{
   for (size_t i = 0; i < r->n_completed; i++) {
      bql_ranges_add (&op->completed, r->completed[i].first, r->completed[i].last);
   }
   for (size_t i = 0; i < r->n_in_flight; i++) {
      bql_ranges_push (&op->in_flight, r->in_flight[i].first, r->in_flight[i].last);
   }
   op->sent_through = r->sent_through;
   op->batches = r->carried.batches;
   bson_iter_t it;
   if (r->has_last_id && bson_iter_init (&it, &r->last_id) && bson_iter_next (&it)) {
      bson_value_copy (bson_iter_value (&it), &op->last_id);
      op->has_last_id = true;
   }
   bson_concat (&op->in_flight_ids, &r->in_flight_ids);
}

void
bql_operation_open (bql_exec_t *x, const bql_step_t *st)
{
   bql_operation_t *op = x->op;
   const bql_steps_t *steps = &x->plan->steps;
   op->database = bql_plan_operations_database (x->plan);
   op->mark = bql_steps_find (steps, BQL_STEP_MARK_IN_FLIGHT);
   op->checkpoint = bql_steps_find (steps, BQL_STEP_CHECKPOINT);
   op->check = bql_steps_find (steps, BQL_STEP_CHECK_OPERATION);
   op->heartbeat = bql_steps_find (steps, BQL_STEP_HEARTBEAT);
   op->where = !x->plan->has_rows && !x->plan->file && !x->plan->select;
   op->xo = x->xo;
   op->xo.progress = NULL;
   op->xo.on_batch = NULL;
   op->xo.on_retry = NULL;
   bql_writer_init (&op->w, x, x->client);
   op->once = *x->opts;
   op->once.retry_attempts = 0;
   op->w.xo = &op->xo;
   op->w.stmt = NULL;
   op->w.op = NULL;
   bql_write_tally_init (&op->tally);
   op->w.tally = &op->tally;
   op->coll = mongoc_client_get_collection (x->client, op->database, BQL_OPERATIONS_COLLECTION);
   counts_of (x, op->last_x); /* a resume's carried counts */
   op->resumes = x->resume ? x->resume->resumes : 0;
   if (x->resume) {
      /* a resumed operation (resume.c): its document is there, marked
       * InProgress for this process; its checkpoint goes on from where
       * the document's left it */
      take_over (op, x->resume);
      op->active = true;
      return;
   }
   file_identity (op);
   char errmsg[600];
   pthread_mutex_lock (&op->mu);
   sent_t r = send_step (op, st, NULL, NULL, errmsg, sizeof errmsg);
   pthread_mutex_unlock (&op->mu);
   x->retries += atomic_exchange (&op->retries, 0);
   if (r == SENT) {
      op->active = true;
   } else {
      report (x, "record the operation", r == NOT_MATCHED ? "the insert was not applied" : errmsg);
   }
}

void
bql_operation_sending (bql_writer_t *w, int64_t last_row)
{
   bql_operation_t *op = w->op;
   if (!op || !op->active) {
      return;
   }
   pthread_mutex_lock (&op->mu);
   if (last_row > op->sent_through) {
      op->sent_through = last_row;
   }
   pthread_mutex_unlock (&op->mu);
}

/* After a mark's write: false with the writer's error unless written. */
static bool
marked (bql_writer_t *w, bql_operation_t *op, sent_t r, const char *errmsg)
{
   if (r == NOT_MATCHED) {
      op->abort_seen = true;
      return bql_writer_fail (w, BQL_ERR_ABORTED, 0,
                              "operation %s is no longer this process's (aborted by bulkql --abort, or resumed by "
                              "another process): the next batch was not sent",
                              op->id);
   }
   if (r == NOT_WRITTEN) {
      return bql_writer_fail (w, BQL_ERR_CONNECTION, 0,
                              "cannot record the next batch in flight in %s.%s, so it was not sent (its writes are "
                              "not idempotent): %s",
                              op->database, BQL_OPERATIONS_COLLECTION, errmsg);
   }
   return true;
}

bool
bql_operation_mark_rows (bql_writer_t *w, const bql_batch_t *b)
{
   bql_operation_t *op = w->op;
   if (!op || !op->active || !op->mark || b->n == 0) {
      return true;
   }
   int64_t first = b->rows[0], last = b->rows[b->n - 1];
   char errmsg[600];
   pthread_mutex_lock (&op->mu);
   bql_ranges_push (&op->in_flight, first, last);
   if (last > op->sent_through) {
      op->sent_through = last;
   }
   sent_t r = send_step (op, op->mark, NULL, NULL, errmsg, sizeof errmsg);
   if (r != SENT) {
      bql_ranges_remove_within (&op->in_flight, first, last); /* not sent */
   }
   pthread_mutex_unlock (&op->mu);
   return marked (w, op, r, errmsg);
}

bool
bql_operation_mark_ids (bql_writer_t *w, const bson_t *ids)
{
   bql_operation_t *op = w->op;
   if (!op || !op->active || !op->mark) {
      return true;
   }
   char errmsg[600];
   pthread_mutex_lock (&op->mu);
   bson_reinit (&op->in_flight_ids);
   if (ids) {
      bson_concat (&op->in_flight_ids, ids);
   }
   op->in_flight_all = !ids;
   sent_t r = send_step (op, op->mark, NULL, NULL, errmsg, sizeof errmsg);
   if (r != SENT) {
      bson_reinit (&op->in_flight_ids);
      op->in_flight_all = false;
   }
   pthread_mutex_unlock (&op->mu);
   return marked (w, op, r, errmsg);
}

/* The operation's state and holder, read (CHECK_OPERATION): false when
 * this process no longer holds it — its state is not Open or InProgress,
 * another claim (resumes) holds it, or it is gone — with why in op->lost
 * (and lost_read set). A failed read says nothing (true). The
 * statement's thread. */
static bool
read_holder (bql_operation_t *op)
{
   bson_t filter, opts = BSON_INITIALIZER;
   fill_ctx_t f = {op, bql_wall_ms (), NULL, NULL};
   bson_t cmd;
   bql_step_fill (&op->check->command, fill, &f, &cmd);
   bson_iter_t it;
   bool have = bson_iter_init_find (&it, &cmd, "filter") && bql_iter_sub (&it, &filter);
   BSON_ASSERT (have);
   bson_copy_to_excluding_noinit (&cmd, &opts, "find", "filter", NULL);
   mongoc_collection_t *coll = mongoc_client_get_collection (op->w.client, op->database, BQL_OPERATIONS_COLLECTION);
   mongoc_cursor_t *cur = mongoc_collection_find_with_opts (coll, &filter, &opts, NULL);
   const bson_t *doc;
   bool held = true;
   if (mongoc_cursor_next (cur, &doc)) {
      const char *state = bson_iter_init_find (&it, doc, "state") && BSON_ITER_HOLDS_UTF8 (&it)
                             ? bson_iter_utf8 (&it, NULL)
                             : "";
      bool numbered = bson_iter_init_find (&it, doc, "resumes") &&
                      (BSON_ITER_HOLDS_INT32 (&it) || BSON_ITER_HOLDS_INT64 (&it) || BSON_ITER_HOLDS_DOUBLE (&it));
      int64_t resumes = numbered ? bson_iter_as_int64 (&it) : 0;
      if (!strcmp (state, "Aborted")) {
         op->lost = LOST_ABORTED;
         op->lost_reason[0] = '\0';
         if (bson_iter_init_find (&it, doc, "reason") && BSON_ITER_HOLDS_UTF8 (&it)) {
            snprintf (op->lost_reason, sizeof op->lost_reason, "%s", bson_iter_utf8 (&it, NULL));
         }
         held = false;
      } else if (resumes != op->resumes) {
         op->lost = LOST_TAKEN_OVER;
         snprintf (op->taken_host, sizeof op->taken_host, "%s",
                   bson_iter_init_find (&it, doc, "host") && BSON_ITER_HOLDS_UTF8 (&it) ? bson_iter_utf8 (&it, NULL)
                                                                                       : "an unknown host");
         op->taken_pid = bson_iter_init_find (&it, doc, "pid") && (BSON_ITER_HOLDS_INT32 (&it) || BSON_ITER_HOLDS_INT64 (&it))
                            ? bson_iter_as_int64 (&it)
                            : 0;
         held = false;
      } else if (strcmp (state, "Open") != 0 && strcmp (state, "InProgress") != 0) {
         op->lost = LOST_ENDED;
         snprintf (op->lost_reason, sizeof op->lost_reason, "%s", state);
         held = false;
      }
   } else {
      bson_error_t e;
      held = mongoc_cursor_error (cur, &e); /* gone: not held */
      if (!held) {
         op->lost = LOST_ENDED;
         snprintf (op->lost_reason, sizeof op->lost_reason, "%s", "gone");
      }
   }
   if (!held) {
      op->lost_read = true;
   }
   mongoc_cursor_destroy (cur);
   mongoc_collection_destroy (coll);
   bson_destroy (&opts);
   bson_destroy (&cmd);
   return held;
}

/* After a write matched nothing: why (once; the statement's thread). */
static void
why_lost (bql_operation_t *op)
{
   if (op->abort_seen && !op->lost_read && op->check) {
      read_holder (op);
      op->lost_read = true; /* a failed read: LOST_UNKNOWN, not asked again */
   }
}

/* The caller's on_checkpoint, after a checkpoint was written. */
static void
call_on_checkpoint (bql_exec_t *x)
{
   if (!x->xo.on_checkpoint) {
      return;
   }
   bql_operation_t *op = x->op;
   bql_checkpoint_info_t ci = {.operation_id = op->id,
                               .batches = op->batches,
                               .rows_done = x->rows_done,
                               .n_inserted = x->n_inserted,
                               .n_matched = x->n_matched,
                               .n_modified = x->n_modified,
                               .n_upserted = x->n_upserted,
                               .n_removed = x->n_removed,
                               .n_archived = x->n_archived,
                               .n_failed = x->n_failed};
   x->xo.on_checkpoint (&ci, x->xo.checkpoint_ctx);
}

/* The statement stops as after a cancel, saying why (op->mu held). */
static bool
stop_aborted (bql_exec_t *x)
{
   bql_operation_t *op = x->op;
   why_lost (op);
   if (!x->stopped) {
      x->stopped = true;
      if (op->lost == LOST_TAKEN_OVER) {
         snprintf (x->stop_reason, sizeof x->stop_reason,
                   "operation %s was taken over by another process (pid %lld on %.48s): this one stopped "
                   "writing after batch %lld",
                   op->id, (long long) op->taken_pid, op->taken_host, (long long) x->batches);
      } else if (op->lost == LOST_ENDED) {
         snprintf (x->stop_reason, sizeof x->stop_reason,
                   "operation %s is no longer in progress (%.24s): this process stopped writing after batch %lld",
                   op->id, op->lost_reason, (long long) x->batches);
      } else if (op->lost == LOST_UNKNOWN) {
         snprintf (x->stop_reason, sizeof x->stop_reason,
                   "operation %s is no longer this process's (aborted by bulkql --abort, or resumed by another "
                   "process): it stopped writing after batch %lld",
                   op->id, (long long) x->batches);
      } else {
         snprintf (x->stop_reason, sizeof x->stop_reason,
                   "aborted by another process (bulkql --abort %s), after batch %lld", op->id, (long long) x->batches);
      }
   }
   return false;
}

bool
bql_operation_batch_done (bql_exec_t *x, int64_t first, int64_t last, const bson_value_t *last_id, bool completed,
                          bool go_on)
{
   bql_operation_t *op = x->op;
   if (!op || !op->active) {
      return go_on;
   }
   pthread_mutex_lock (&op->mu);
   int64_t c[N_COUNTERS];
   counts_of (x, c);
   for (int i = 0; i < N_COUNTERS; i++) {
      if (!completed) {
         op->excluded[i] += c[i] - op->last_x[i]; /* this batch's */
      }
      op->last_x[i] = c[i];
   }
   if (completed) {
      if (first > 0 && last >= first) {
         bql_ranges_remove_within (&op->in_flight, first, last);
         bql_ranges_add (&op->completed, first, last);
      }
      if (op->where) {
         if (last_id) {
            if (op->has_last_id) {
               bson_value_destroy (&op->last_id);
            }
            bson_value_copy (last_id, &op->last_id);
            op->has_last_id = true;
         }
         bson_reinit (&op->in_flight_ids);
         op->in_flight_all = false;
      }
      op->batches++;
   }
   snapshot (op, x);
   op->since_checkpoint++;
   bool written = false;
   char errmsg[600] = "";
   sent_t r = SENT;
   if (go_on && !op->abort_seen && op->checkpoint && op->since_checkpoint >= x->opts->checkpoint_interval) {
      r = send_step (op, op->checkpoint, NULL, NULL, errmsg, sizeof errmsg);
      op->since_checkpoint = 0;
      written = r == SENT;
      if (r == NOT_MATCHED) {
         op->abort_seen = true;
      }
   } else if (go_on && !op->abort_seen && op->check && x->opts->checkpoint_interval > 1 && !read_holder (op)) {
      op->abort_seen = true;
   }
   bool stop = op->abort_seen && !stop_aborted (x);
   pthread_mutex_unlock (&op->mu);
   x->retries += atomic_exchange (&op->retries, 0);
   if (r == NOT_WRITTEN) {
      report (x, "write the checkpoint", errmsg);
   }
   if (written) {
      call_on_checkpoint (x);
   }
   return stop ? false : go_on;
}

void
bql_operation_heartbeat (bql_exec_t *x)
{
   bql_operation_t *op = x->op;
   if (!op || !op->active || !op->heartbeat || op->abort_seen) {
      return;
   }
   if (pthread_mutex_trylock (&op->mu) != 0) {
      return; /* a worker is writing the document: that moves it too */
   }
   if (bson_get_monotonic_time () - op->heartbeat_us < (int64_t) BQL_HEARTBEAT_MS * 1000) {
      pthread_mutex_unlock (&op->mu);
      return;
   }
   /* one attempt: a heartbeat lost with the server is not worth the
    * statement's time (its batch is waiting meanwhile), the next one
    * will do */
   char errmsg[600];
   op->w.opts = &op->once;
   sent_t r = send_step (op, op->heartbeat, NULL, NULL, errmsg, sizeof errmsg);
   op->w.opts = op->opts;
   pthread_mutex_unlock (&op->mu);
   if (r == NOT_MATCHED) {
      op->abort_seen = true; /* the statement stops after the batch */
   }
}

void
bql_operation_finish (bql_exec_t *x, const bql_step_t *st)
{
   bql_operation_t *op = x->op;
   if (!op || !op->active) {
      return;
   }
   const char *state = "Complete", *reason = NULL;
   char why[700];
   pthread_mutex_lock (&op->mu);
   why_lost (op);
   if (op->abort_seen && op->lost != LOST_ABORTED) {
      /* another process holds it (or it ended, or is gone): nothing of
       * this one's is written any more */
      pthread_mutex_unlock (&op->mu);
      return;
   }
   /* Aborted is final (a resume refuses it): only bulkql --abort marks
    * it; once it did, this process records its last counts and
    * checkpoint in the Aborted document, with the abort's reason. A
    * statement that stopped (a cancel, max_execution_time, max_errors)
    * or failed can be resumed: Failed, with the reason. */
   if (op->abort_seen) {
      state = "Aborted";
      reason = op->lost_reason;
   } else if (x->fatal) {
      state = "Failed";
      reason = x->error->message;
   } else if (x->stopped) {
      state = "Failed";
      reason = x->stop_reason;
   } else if (x->n_failed > 0) {
      /* bql_execute fails the statement too (log.c's rows are recorded) */
      snprintf (why, sizeof why, "%lld %s failed", (long long) x->n_failed,
                x->row_based ? (x->n_failed == 1 ? "row" : "rows") : (x->n_failed == 1 ? "document" : "documents"));
      state = "Failed";
      reason = why;
   } else if (x->failed_lost > 0) {
      snprintf (why, sizeof why, "%lld failed rows could not be written to failed_records_file: %s",
                (long long) x->failed_lost, x->failed_errmsg);
      state = "Failed";
      reason = why;
   }
   char errmsg[600];
   snapshot (op, x);
   sent_t r = send_step (op, st, state, reason, errmsg, sizeof errmsg);
   pthread_mutex_unlock (&op->mu);
   if (r == NOT_WRITTEN) {
      report (x, "record the end of the operation", errmsg);
   }
}

/* ---- seen from outside a statement ---- */

static void set_error (bql_error_t *e, bql_error_code_t code, int32_t server_code, const char *fmt, ...)
   __attribute__ ((format (printf, 4, 5)));

static void
set_error (bql_error_t *e, bql_error_code_t code, int32_t server_code, const char *fmt, ...)
{
   va_list ap;
   va_start (ap, fmt);
   bql_exec_error_setv (e, code, server_code, fmt, ap);
   va_end (ap);
}

bool
bql_operation_server_error (bql_error_t *e, const bson_error_t *berr, const char *what)
{
   bool conn = bql_exec_is_connection_error (berr);
   set_error (e, conn ? BQL_ERR_CONNECTION : BQL_ERR_SERVER, conn ? 0 : (int32_t) berr->code, "cannot %s: %s", what,
              berr->message);
   return false;
}
