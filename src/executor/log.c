/*
 * log.c — accounting for failures (SPEC §3): every batch with an error
 * writes exactly one document to error_collection {operationId, statement,
 * batchIndex, batchSize, firstRow, startedAt, errorCode, errorMessage,
 * writeErrors: [{row, line?, code, errmsg}], writeConcernError, sampleDocument};
 * every failed row is appended to failed_records_file as one NDJSON line
 * {row, line?, code, error, document} (line: where the row starts in its
 * file); every statement writes one document to bulk_operation_metrics
 * unless metrics = false. A dry run writes none of these: what it would
 * have written is returned in the reply ("metrics", "errorRecords",
 * "failedRecords"; bulkql prints them). Writing these
 * records never hides the original error: a failure to log is collected in
 * the reply's logFailures. The records are inserted through the write
 * path (write_path.c) as the WRITE_ERROR_RECORD and WRITE_METRICS steps:
 * a lost insert is recovered by looking up the record's _id (made here,
 * an ObjectId) and sent again only when it is not stored.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "write_path.h"

#define METRICS_COLLECTION "bulk_operation_metrics"

/* Statement text kept in error and metrics records, in bytes: a statement
 * with its VALUES can be far larger than a document may be (16 MB). */
#define STATEMENT_MAX 4096

/* The VALUES rows of the statement, or NULL. */
static const bql_list_t *
values_rows (const bql_node_t *stmt)
{
   const bql_node_t *src = NULL;
   if (bql_is (stmt, InsertStmt)) {
      src = bql_cast (InsertStmt, stmt)->source;
   } else if (bql_is (stmt, UpsertStmt)) {
      src = bql_cast (UpsertStmt, stmt)->source;
   } else if (bql_is (stmt, UpdateStmt)) {
      src = bql_cast (UpdateStmt, stmt)->from;
   }
   return src && bql_is (src, ValuesSource) ? bql_cast (ValuesSource, src)->rows : NULL;
}

/* The statement's text for error and metrics records (malloc'd): with
 * VALUES rows, the first row is kept as a sample and the others are
 * elided ("VALUES (1, 'a') /" "* ... 11,999 more rows elided *" "/"), so
 * that the records do not copy the data (which may be secret) and stay
 * small. */
static char *
statement_for_records (const bql_plan_t *plan)
{
   const char *text = plan->statement_text;
   const bql_node_t *stmt = plan->stmt;
   const bql_list_t *rows = stmt ? values_rows (stmt) : NULL;
   size_t len = strlen (text);
   if (!rows || rows->length < 2 || stmt->location < 0) {
      return bson_strdup (text);
   }
   const bql_node_t *first = rows->items[0], *last = rows->items[rows->length - 1];
   int64_t a = (int64_t) first->location + first->length - stmt->location;
   int64_t b = (int64_t) last->location + last->length - stmt->location;
   if (a < 0 || b < a || (size_t) b > len) {
      return bson_strdup (text);
   }
   char more[32];
   int64_t n = rows->length - 1, k = 0;
   char digits[24];
   int nd = snprintf (digits, sizeof digits, "%lld", (long long) n);
   for (int i = 0; i < nd; i++) {
      more[k++] = digits[i];
      if ((nd - i - 1) % 3 == 0 && i < nd - 1) {
         more[k++] = ',';
      }
   }
   more[k] = '\0';
   return bson_strdup_printf ("%.*s /* ... %s more row%s elided */%s", (int) a, text, more, n == 1 ? "" : "s",
                              text + b);
}

/* Append the statement's text (statement_for_records) as "statement", cut
 * to STATEMENT_MAX bytes (at a UTF-8 character boundary) with its full
 * length when longer. */
static void
append_statement (bson_t *doc, const bql_plan_t *plan)
{
   char *owned = statement_for_records (plan);
   const char *text = owned;
   size_t len = strlen (text);
   if (len <= STATEMENT_MAX) {
      BSON_APPEND_UTF8 (doc, "statement", text);
      bson_free (owned);
      return;
   }
   size_t cut = STATEMENT_MAX;
   while (cut > 0 && ((unsigned char) text[cut] & 0xC0) == 0x80) {
      cut--; /* text[cut] continues a character: cut before it */
   }
   char *s = bson_strdup_printf ("%.*s... (%zu bytes)", (int) cut, text, len);
   BSON_APPEND_UTF8 (doc, "statement", s);
   bson_free (s);
   bson_free (owned);
}

/* An entry of the reply's logFailures: info (may be NULL) names the
 * batch whose record was lost and the rows it held, so that they can be
 * found again. */
void
bql_exec_log_failure (bql_exec_t *x, const bql_batch_info_t *info, const char *fmt, ...)
{
   char msg[1400]; /* the format, a name of up to 300 bytes and a reason of up to 600 */
   va_list ap;
   va_start (ap, fmt);
   vsnprintf (msg, sizeof msg, fmt, ap);
   va_end (ap);
   char kb[16];
   const char *k;
   bson_uint32_to_string (x->n_log_failures++, &k, kb, sizeof kb);
   bson_t one;
   bson_append_document_begin (&x->log_failures, k, -1, &one);
   if (info) {
      BSON_APPEND_INT64 (&one, "batchIndex", info->batch_index);
      if (info->first_row > 0 && info->size > 0) {
         BSON_APPEND_INT64 (&one, "firstRow", info->first_row);
         BSON_APPEND_INT64 (&one, "lastRow", info->first_row + info->size - 1);
      }
   }
   BSON_APPEND_UTF8 (&one, "errmsg", msg);
   bson_append_document_end (&x->log_failures, &one);
}

/* The writer of the statement's records (bql_exec_t.log): on the
 * statement's own connection (log_only: not a send client), with a
 * tally of its own, so that a record's retries are neither the batches'
 * retries nor announced as theirs. */
struct bql_log {
   bql_writer_t w;
   bql_write_tally_t tally;
};

static bql_writer_t *
log_writer (bql_exec_t *x)
{
   if (!x->log) {
      x->log = bson_malloc0 (sizeof *x->log);
      bql_writer_init (&x->log->w, x, x->client);
      bql_write_tally_init (&x->log->tally);
      x->log->w.tally = &x->log->tally;
      x->log->w.stmt = NULL;      /* no progress for a record */
      x->log->w.log_only = true;
   }
   return &x->log->w;
}

void
bql_exec_log_done (bql_exec_t *x)
{
   if (x->log) {
      bql_writer_cleanup (&x->log->w);
      bql_write_tally_cleanup (&x->log->tally);
      bson_free (x->log);
      x->log = NULL;
   }
}

/* One record (an error or metrics record) on the write path: the
 * WRITE_ERROR_RECORD and WRITE_METRICS steps' callbacks. */
typedef struct {
   mongoc_collection_t *coll; /* the record's collection, for recover */
   const bson_t *rec;         /* with its _id, made here (an ObjectId) */
   bool pending;              /* still to be sent */
   bool resent;               /* sent again after a lost attempt */
   bool written;
   char errmsg[600];          /* why it was not written */
} record_t;

static bool
record_add (void *ctx, mongoc_bulk_operation_t *bulk, size_t *nops)
{
   record_t *c = ctx;
   bson_error_t berr;
   if (!c->pending) {
      return true;
   }
   if (!mongoc_bulk_operation_insert_with_opts (bulk, c->rec, NULL, &berr)) {
      /* refused on the client by libmongoc's document checks */
      c->pending = false;
      snprintf (c->errmsg, sizeof c->errmsg, "%s", berr.message);
      return true;
   }
   *nops = 1;
   return true;
}

static bool
record_settle (void *ctx, const bql_write_result_t *r)
{
   record_t *c = ctx;
   c->pending = false;
   if (r->write_errors.n > 0) {
      if (c->resent && r->write_errors.items[0].code == 11000) {
         c->written = true; /* the lost attempt had written it after all */
      } else {
         snprintf (c->errmsg, sizeof c->errmsg, "%s", r->write_errors.items[0].errmsg);
      }
   } else if (r->wc_errors.n > 0) {
      snprintf (c->errmsg, sizeof c->errmsg, "%s", r->wc_errors.items[0].errmsg);
   } else {
      c->written = true;
   }
   return true;
}

/* A lost insert of a record: is the document with its _id stored? Then
 * the lost attempt wrote it; else it is sent again. */
static bql_recover_rc_t
record_recover (void *ctx, const bql_write_result_t *r)
{
   record_t *c = ctx;
   (void) r;
   bson_iter_t it;
   bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER, proj;
   bson_iter_init_find (&it, c->rec, "_id");
   bson_append_iter (&filter, "_id", 3, &it);
   BSON_APPEND_INT64 (&opts, "limit", 1);
   bson_append_document_begin (&opts, "projection", -1, &proj);
   BSON_APPEND_INT32 (&proj, "_id", 1);
   bson_append_document_end (&opts, &proj);
   mongoc_cursor_t *cur = mongoc_collection_find_with_opts (c->coll, &filter, &opts, NULL);
   const bson_t *doc;
   bool found = mongoc_cursor_next (cur, &doc);
   bson_error_t berr;
   bool asked = !mongoc_cursor_error (cur, &berr);
   mongoc_cursor_destroy (cur);
   bson_destroy (&filter);
   bson_destroy (&opts);
   if (!asked) {
      return BQL_RECOVER_ASK_AGAIN;
   }
   if (found) {
      c->pending = false;
      c->written = true;
   } else {
      c->resent = true;
   }
   return BQL_RECOVER_RESEND;
}

/* Not written: refused as a whole, or lost with its retries run out (or
 * cancelled): a failure to log, never the statement's error. */
static bool
record_give_up (void *ctx, const bql_write_result_t *r, bql_give_up_t why, int retries)
{
   record_t *c = ctx;
   (void) why;
   (void) retries;
   c->pending = false;
   snprintf (c->errmsg, sizeof c->errmsg, "%s", r->error.message);
   return true;
}

/* Insert rec (an error or metrics record, which has its _id) into the
 * collection coll_name of the statement's database, through the write
 * path (insert command, ordered, the statement's writeConcern: the
 * records are the account of its rows, as durable as the rows
 * themselves; no bypassDocumentValidation). A writeConcernError is a
 * failure to log (the record may be stored, but not as durably as asked). A record whose batch was lost to a server
 * that went away is written once the server is back: a lost insert is
 * sent again within the statement's retry policy (retry_timeout,
 * retry_backoff_ms, retry_attempts, counted for this record alone), so a
 * server restart within retry_timeout loses no record; before each
 * resend the record's _id is looked up, so no second copy is written.
 * False with why it was not written in errmsg (n bytes). */
static bool
insert_record (bql_exec_t *x, const char *coll_name, const bson_t *rec, char *errmsg, size_t n)
{
   bql_writer_t *w = log_writer (x);
   record_t c = {.rec = rec, .pending = true};
   c.coll = mongoc_client_get_collection (x->client, x->plan->database, coll_name);
   bql_write_step_t step = {.ctx = &c,
                            .coll = c.coll,
                            .ordered = true,
                            .no_bypass = true,
                            .add = record_add,
                            .settle = record_settle,
                            .recover = record_recover,
                            .give_up = record_give_up};
   int retries = 0;
   if (!bql_write_path_run (w, &step, &retries) && w->tally->failed) {
      snprintf (c.errmsg, sizeof c.errmsg, "%s", w->tally->error.message);
   }
   bql_write_tally_reset (w->tally);
   mongoc_collection_destroy (c.coll);
   if (!c.written) {
      snprintf (errmsg, n, "%s", c.errmsg[0] ? c.errmsg : "not written");
   }
   return c.written;
}

/* The line in its file where a failed row starts, 0 when unknown. */
static int64_t
error_line (const bql_row_error_t *e, const bql_batch_t *b)
{
   if (e->line > 0) {
      return e->line;
   }
   return b && b->lines && e->index < b->n ? b->lines[e->index] : 0;
}

/* Open failed_records_file with flags (O_CREAT | O_NOFOLLOW | O_CLOEXEC |
 * O_WRONLY and the mode's) and 0600: created readable by its owner only
 * (failed rows are data). NULL with errno on failure. */
static FILE *
open_failed_file (const char *path, int flags)
{
   int fd = open (path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | flags, 0600);
   if (fd < 0) {
      return NULL;
   }
   FILE *f = fdopen (fd, "a");
   if (!f) {
      int saved = errno;
      close (fd);
      errno = saved;
   }
   return f;
}

/* The open flags of failed_records_mode: a new file only (O_EXCL, which
 * also refuses any symbolic link), append, or truncate. A resumed
 * operation always appends: the file holds the failed rows of the run it
 * goes on from (whatever the mode, which the interrupted run applied). */
static int
failed_mode_flags (const bql_exec_t *x)
{
   const bql_options_t *o = x->opts;
   if (x->resume) {
      return O_APPEND;
   }
   if (!o->failed_records_mode) {
      return O_EXCL;
   }
   return !strcmp (o->failed_records_mode, "overwrite") ? O_TRUNC : O_APPEND;
}

static void
failed_open_error (bql_exec_t *x, const char *path, int err)
{
   if (err == ELOOP || err == EMLINK) {
      snprintf (x->failed_errmsg, sizeof x->failed_errmsg,
                "failed_records_file %s is a symbolic link; it is not followed", path);
   } else if (err == EEXIST) {
      snprintf (x->failed_errmsg, sizeof x->failed_errmsg,
                "failed_records_file %s exists; set failed_records_mode = 'append' or 'overwrite' to use it", path);
   } else {
      snprintf (x->failed_errmsg, sizeof x->failed_errmsg, "cannot open failed_records_file %s: %s", path,
                strerror (err));
   }
}

bool
bql_exec_open_failed_records (bql_exec_t *x)
{
   const char *path = x->opts->failed_records_file;
   if (!path || x->opts->dry_run) {
      return true;
   }
   struct stat st;
   if (lstat (path, &st) == 0) {
      int err = 0;
      if (S_ISLNK (st.st_mode)) {
         err = ELOOP;
      } else if (!x->opts->failed_records_mode && !x->resume) {
         err = EEXIST; /* a resume appends (failed_mode_flags) */
      }
      if (err) {
         failed_open_error (x, path, err);
         return bql_exec_fail (x, BQL_ERR_IO, 0, "%s; nothing was written", x->failed_errmsg);
      }
   }
   if (!x->resume && x->opts->failed_records_mode && !strcmp (x->opts->failed_records_mode, "overwrite")) {
      x->failed_fp = open_failed_file (path, O_TRUNC);
      if (!x->failed_fp) {
         failed_open_error (x, path, errno);
         return bql_exec_fail (x, BQL_ERR_IO, 0, "%s; nothing was written", x->failed_errmsg);
      }
   }
   return true;
}

/* Count a failed row that did not reach failed_records_file; the first
 * reason is kept and reported (logFailures, the statement's error). */
static void
failed_row_lost (bql_exec_t *x, const char *path, int err)
{
   x->failed_lost++;
   if (!x->failed_errmsg[0]) {
      snprintf (x->failed_errmsg, sizeof x->failed_errmsg, "cannot write failed_records_file %s: %s", path,
                strerror (err));
   }
}

void
bql_exec_close_failed_records (bql_exec_t *x)
{
   if (x->failed_fp) {
      if (fclose (x->failed_fp) != 0) {
         failed_row_lost (x, x->opts->failed_records_file, errno);
      }
      x->failed_fp = NULL;
   }
   if (x->failed_lost > 0) {
      char msg[400];
      snprintf (msg, sizeof msg, "%s (%lld failed row%s not written)", x->failed_errmsg, (long long) x->failed_lost,
                x->failed_lost == 1 ? "" : "s");
      bql_exec_log_failure (x, NULL, "%s", msg);
   }
}

/* A record a dry run would have written, appended to the array *arr
 * (which holds *n of them) while it has fewer than BQL_WOULD_LOG_MAX. */
static void
would_write (bson_t *arr, int64_t *n, const bson_t *rec)
{
   if (*n < BQL_WOULD_LOG_MAX) {
      char kb[24];
      const char *key;
      bson_uint32_to_string ((uint32_t) *n, &key, kb, sizeof kb);
      BSON_APPEND_DOCUMENT (arr, key, rec);
   }
   (*n)++;
}

/* One NDJSON line per failed row: {operationId, row, line?, code, error,
 * document}. Each line is flushed and checked: a row that cannot be
 * written is counted as lost, never dropped silently. A dry run opens
 * no file: the line goes into the reply. */
static void
write_failed_record (bql_exec_t *x, const bql_row_error_t *e, int64_t line, const bson_t *doc)
{
   const char *path = x->opts->failed_records_file;
   /* a row, or a stored document in doubt (by its _id) */
   bool by_id = e->row <= 0 && e->code == BQL_CODE_IN_DOUBT && doc;
   if (!path || (e->row <= 0 && !by_id)) {
      return;
   }
   if (!x->failed_fp && !x->failed_fp_broken && !x->opts->dry_run) {
      x->failed_fp = open_failed_file (path, failed_mode_flags (x));
      if (!x->failed_fp) {
         x->failed_fp_broken = true;
         failed_open_error (x, path, errno);
      }
   }
   if (!x->failed_fp && !x->opts->dry_run) {
      x->failed_lost++;
      return;
   }
   bson_t rec = BSON_INITIALIZER;
   BSON_APPEND_UTF8 (&rec, "operationId", x->operation_id);
   bson_iter_t id;
   if (by_id && bson_iter_init_find (&id, doc, "_id")) {
      bson_append_iter (&rec, "_id", 3, &id);
   } else {
      BSON_APPEND_INT64 (&rec, "row", e->row);
   }
   if (line > 0) {
      BSON_APPEND_INT64 (&rec, "line", line);
   }
   bql_exec_append_code (&rec, e->code);
   BSON_APPEND_UTF8 (&rec, "error", e->errmsg);
   if (doc) {
      BSON_APPEND_DOCUMENT (&rec, "document", doc);
   } else {
      BSON_APPEND_NULL (&rec, "document");
   }
   if (x->opts->dry_run) {
      /* nothing is written: the line goes into the reply */
      would_write (&x->would_failed, &x->n_would_failed, &rec);
      bson_destroy (&rec);
      return;
   }
   char *json = bson_as_relaxed_extended_json (&rec, NULL);
   if (!json) {
      failed_row_lost (x, path, EINVAL);
   } else if (fprintf (x->failed_fp, "%s\n", json) < 0 || fflush (x->failed_fp) != 0) {
      failed_row_lost (x, path, errno);
      clearerr (x->failed_fp);
   }
   bson_free (json);
   bson_destroy (&rec);
}

static int
key_cmp (const void *a, const void *b)
{
   return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Whether a key is given twice at the top level of doc: the keys sorted,
 * O(n log n) (a scan per key took minutes for a row of 400,000 fields). */
static bool
has_duplicate_key (const bson_t *doc)
{
   uint32_t n = bson_count_keys (doc);
   if (n < 2) {
      return false;
   }
   const char **keys = bson_malloc (sizeof *keys * n);
   bson_iter_t it;
   uint32_t i = 0;
   if (bson_iter_init (&it, doc)) {
      while (i < n && bson_iter_next (&it)) {
         keys[i++] = bson_iter_key (&it); /* points into doc */
      }
   }
   qsort (keys, i, sizeof *keys, key_cmp);
   bool dup = false;
   for (uint32_t k = 1; k < i && !dup; k++) {
      dup = !strcmp (keys[k - 1], keys[k]);
   }
   bson_free (keys);
   return dup;
}

/* Whether every server stores doc as it is: no empty, dotted or
 * $-prefixed key, no key twice in one document, no NaN or ±Infinity,
 * nesting under 100 levels, and valid UTF-8. (MongoDB itself accepts
 * some of these; a server may not, and an error record must never fail
 * because of the row it describes.) */
static bool
storable (const bson_t *doc, int depth)
{
   bson_iter_t it;
   if (depth > 100 || !bson_iter_init (&it, doc)) {
      return false;
   }
   size_t offset;
   if (depth == 0 && !bson_validate (doc, BSON_VALIDATE_UTF8 | BSON_VALIDATE_DOLLAR_KEYS | BSON_VALIDATE_DOT_KEYS |
                                             BSON_VALIDATE_EMPTY_KEYS,
                                     &offset)) {
      return false; /* (bson_validate looks into every level) */
   }
   if (has_duplicate_key (doc)) {
      return false;
   }
   while (bson_iter_next (&it)) {
      if (BSON_ITER_HOLDS_DOUBLE (&it)) {
         double d = bson_iter_double (&it);
         if (d != d || d - d != 0.0) {
            return false; /* NaN, +Infinity, -Infinity */
         }
      } else if (BSON_ITER_HOLDS_DOCUMENT (&it) || BSON_ITER_HOLDS_ARRAY (&it)) {
         uint32_t len;
         const uint8_t *data;
         if (BSON_ITER_HOLDS_DOCUMENT (&it)) {
            bson_iter_document (&it, &len, &data);
         } else {
            bson_iter_array (&it, &len, &data);
         }
         bson_t sub;
         if (!bson_init_static (&sub, data, len) || !storable (&sub, depth + 1)) {
            return false;
         }
      }
   }
   return true;
}

static void
write_error_record (bql_exec_t *x, const bql_batch_info_t *info, const bql_batch_t *b, const bql_row_errors_t *errs,
                    int64_t started_at_ms)
{
   /* the plan's WRITE_ERROR_RECORD step names the collection; the run's
    * options (errorRecords = false) may turn it off. A dry run's plan has
    * no such step (it writes nothing): the record it would have written
    * to error_collection goes into the reply. */
   const bql_step_t *st = bql_steps_find (&x->plan->steps, BQL_STEP_WRITE_ERROR_RECORD);
   bson_iter_t ci;
   const char *coll_name = NULL;
   if (x->opts->dry_run) {
      coll_name = x->opts->error_collection;
   } else if (st && x->opts->error_collection && bson_iter_init_find (&ci, &st->command, "insert")) {
      coll_name = bson_iter_utf8 (&ci, NULL);
   }
   /* a batch that ended the statement (the server lost after the retries,
    * a command refused as a whole) has its record too, with the
    * statement's error when no row error says more */
   bool fatal_here = x->fatal && !x->fatal_logged;
   if (!coll_name || (errs->n == 0 && !fatal_here)) {
      return;
   }
   if (fatal_here) {
      x->fatal_logged = true;
   }
   bson_t rec = BSON_INITIALIZER, we;
   bson_oid_t id;
   bson_oid_init (&id, NULL);
   BSON_APPEND_OID (&rec, "_id", &id); /* a retry cannot write it twice */
   BSON_APPEND_UTF8 (&rec, "operationId", x->operation_id);
   append_statement (&rec, x->plan);
   BSON_APPEND_INT64 (&rec, "batchIndex", info->batch_index);
   BSON_APPEND_INT64 (&rec, "batchSize", info->size);
   if (info->first_row > 0) {
      BSON_APPEND_INT64 (&rec, "firstRow", info->first_row);
   } else {
      BSON_APPEND_NULL (&rec, "firstRow");
   }
   BSON_APPEND_DATE_TIME (&rec, "startedAt", started_at_ms);
   if (errs->n) {
      bson_t code = BSON_INITIALIZER;
      bson_iter_t ci;
      bql_exec_append_code (&code, errs->items[0].code);
      bson_iter_init_find (&ci, &code, "code");
      bson_append_iter (&rec, "errorCode", 9, &ci);
      bson_destroy (&code);
   } else {
      BSON_APPEND_INT32 (&rec, "errorCode", x->error->server_code);
   }
   BSON_APPEND_UTF8 (&rec, "errorMessage", errs->n ? errs->items[0].errmsg : x->error->message);
   bson_append_array_begin (&rec, "writeErrors", -1, &we);
   const bql_row_error_t *wce = NULL;
   const bson_t *sample = NULL;
   uint32_t k = 0;
   for (size_t i = 0; i < errs->n; i++) {
      const bql_row_error_t *e = &errs->items[i];
      if (e->write_concern) {
         if (!wce) {
            wce = e;
         }
         continue;
      }
      char kb[16];
      const char *key;
      bson_uint32_to_string (k++, &key, kb, sizeof kb);
      bson_t one;
      bson_append_document_begin (&we, key, -1, &one);
      if (e->row > 0) {
         BSON_APPEND_INT64 (&one, "row", e->row);
      }
      if (error_line (e, b) > 0) {
         BSON_APPEND_INT64 (&one, "line", error_line (e, b));
      }
      bson_iter_t id;
      if (e->row <= 0 && e->code == BQL_CODE_IN_DOUBT && e->doc && bson_iter_init_find (&id, e->doc, "_id")) {
         bson_append_iter (&one, "_id", 3, &id);
      }
      bql_exec_append_code (&one, e->code);
      BSON_APPEND_UTF8 (&one, "errmsg", e->errmsg);
      bson_append_document_end (&we, &one);
      if (!sample) {
         sample = e->doc ? e->doc : (b && e->index < b->n ? b->docs[e->index] : NULL);
      }
   }
   bson_append_array_end (&rec, &we);
   if (wce) {
      bson_t w;
      bson_append_document_begin (&rec, "writeConcernError", -1, &w);
      BSON_APPEND_INT32 (&w, "code", wce->code);
      BSON_APPEND_UTF8 (&w, "errmsg", wce->errmsg);
      bson_append_document_end (&rec, &w);
   } else {
      BSON_APPEND_NULL (&rec, "writeConcernError");
   }
   if (sample && storable (sample, 0)) {
      BSON_APPEND_DOCUMENT (&rec, "sampleDocument", sample);
   } else if (sample) {
      /* a row the server would refuse to store (the reason it failed,
       * perhaps): kept as canonical Extended JSON text instead, so that
       * the record itself is always written */
      BSON_APPEND_NULL (&rec, "sampleDocument");
      char *json = bson_as_canonical_extended_json (sample, NULL);
      if (json) {
         BSON_APPEND_UTF8 (&rec, "sampleDocumentJson", json);
      }
      bson_free (json);
   } else {
      BSON_APPEND_NULL (&rec, "sampleDocument");
   }
   if (x->opts->dry_run) {
      /* nothing is written: the record goes into the reply */
      would_write (&x->would_errors, &x->n_would_errors, &rec);
      bson_destroy (&rec);
      return;
   }
   char why[600];
   if (!insert_record (x, coll_name, &rec, why, sizeof why)) {
      char rows[80] = "";
      if (info->first_row > 0 && info->size > 0) {
         snprintf (rows, sizeof rows, ", rows %lld to %lld", (long long) info->first_row,
                   (long long) (info->first_row + info->size - 1));
      }
      bql_exec_log_failure (x, info, "cannot write the error record to %s.%s: %s (batch %lld%s)", x->plan->database, coll_name,
                   why, (long long) info->batch_index + 1, rows);
   }
   bson_destroy (&rec);
}

bool
bql_exec_finish_batch (bql_exec_t *x, bql_batch_info_t *info, const bql_batch_t *b, const bql_row_errors_t *errs,
                       int64_t started_at_ms)
{
   bson_t batch_errors = BSON_INITIALIZER;
   x->batch_in_doubt = 0;
   for (size_t i = 0; i < errs->n; i++) {
      const bql_row_error_t *e = &errs->items[i];
      /* a stored document in doubt is named by its _id */
      bson_iter_t it;
      bool by_id = e->row <= 0 && e->code == BQL_CODE_IN_DOUBT && e->doc && bson_iter_init_find (&it, e->doc, "_id");
      bql_exec_add_write_error (x, &batch_errors, e->row, by_id ? bson_iter_value (&it) : NULL, e->code, e->errmsg);
      if (e->code == BQL_CODE_IN_DOUBT) {
         bql_exec_note_in_doubt (x, e->row, by_id ? bson_iter_value (&it) : NULL);
         x->batch_in_doubt++;
      }
      /* a row, or a stored document (archival), failed; a write concern
       * error is about the batch and fails no row by itself */
      if (e->row > 0 || e->doc) {
         info->n_failed++;
      }
      if (e->row > 0 || e->code == BQL_CODE_IN_DOUBT) {
         write_failed_record (x, e, error_line (e, b), e->doc ? e->doc : (b && e->index < b->n ? b->docs[e->index] : NULL));
      }
   }
   info->errors = &batch_errors;
   x->n_inserted += info->n_inserted;
   x->n_matched += info->n_matched;
   x->n_modified += info->n_modified;
   x->n_upserted += info->n_upserted;
   x->n_removed += info->n_removed;
   x->n_archived += info->n_archived;
   x->n_failed += info->n_failed;
   write_error_record (x, info, b, errs, started_at_ms);
   bool go_on = bql_exec_after_batch (x, info);
   bson_destroy (&batch_errors);
   return go_on;
}

void
bql_exec_write_metrics (bql_exec_t *x, const bson_t *reply)
{
   if (!x->opts->metrics) {
      return; /* metrics = false */
   }
   /* a dry run writes nothing: the document goes into the reply */
   bson_t m = BSON_INITIALIZER;
   bson_iter_t it;
   bson_oid_t id;
   bson_oid_init (&id, NULL);
   BSON_APPEND_OID (&m, "_id", &id); /* a retry cannot write it twice */
   BSON_APPEND_UTF8 (&m, "operationId", x->operation_id);
   BSON_APPEND_UTF8 (&m, "kind", bql_plan_statement_kind (x->plan));
   BSON_APPEND_UTF8 (&m, "collection", bql_plan_namespace (x->plan));
   append_statement (&m, x->plan);
   BSON_APPEND_DATE_TIME (&m, "startedAt", x->started_at_ms);
   static const char *const copied[] = {"elapsedMs", "nInserted", "nMatched", "nModified", "nUpserted", "nRemoved",
                                        "nArchived", "nFailed", "nUnmatched", "nRows", "nNotAttempted", "nWouldWrite",
                                        "batches", "docsPerSec", "dryRun", "stopped"};
   for (size_t i = 0; i < sizeof copied / sizeof copied[0]; i++) {
      if (bson_iter_init_find (&it, reply, copied[i])) {
         bson_append_iter (&m, copied[i], -1, &it);
      }
   }
   int64_t attempted = x->n_inserted + x->n_upserted + x->n_matched + x->n_unmatched + x->n_failed;
   if (x->plan->steps.deletes) {
      attempted = x->n_removed + x->n_modified + x->n_failed;
   }
   if (x->opts->dry_run) {
      attempted += x->n_would_write; /* the rows counted instead of written */
   }
   BSON_APPEND_DOUBLE (&m, "errorRate", attempted > 0 ? (double) x->n_failed / (double) attempted : 0.0);
   BSON_APPEND_UTF8 (&m, "status", x->fatal ? "Failed" : x->stopped ? "Aborted" : x->n_failed ? "CompleteWithErrors" : "Complete");
   if (x->opts->dry_run) {
      bson_destroy (&x->would_log);
      bson_copy_to (&m, &x->would_log);
      bson_destroy (&m);
      return;
   }
   char why[600];
   if (!insert_record (x, METRICS_COLLECTION, &m, why, sizeof why)) {
      bql_exec_log_failure (x, NULL, "cannot write the metrics record to %s: %s", METRICS_COLLECTION, why);
   }
   bson_destroy (&m);
}
