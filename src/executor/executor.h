/*
 * executor.h — the state of one running statement and of the threads
 * that write for it, shared by the executor's files. Internal.
 *
 * Layers. The executor's files, top to bottom: a file calls functions of
 * the files below it only, never of one above it, so no two files call
 * each other, even through others. Files under sources/ are opened with
 * the plan, I/O options and a cancel flag, never the executor's state;
 * below all of them are the planner (conversion, values) and the parser,
 * which call nothing here. tests/unit/test_layers.py reads this list and
 * checks it against the calls in the built object files (nm).
 *   op_admin.c          bql_operations_list, bql_operation_get, bql_operation_abort
 *   resume.c            bql_operation_resume: reads and checks an operation, runs it on
 *   exec.c              bql_execute: sets up the statement, makes its reply
 *   steps_run.c         the step interpreter: runs the plan's steps in order
 *   where.c             steps of a WHERE: count, scan ids, write each id batch
 *   insert.c            the insert batch step and its refused rows
 *   write_rows.c        one write per row: upserts, UPDATE ... FROM, follow-ups
 *   rows.c              the row pipeline: reader thread, batches, workers
 *   operation.c         the operation's document in bulkql_operations: open,
 *                       checkpoints, in-flight marks, abort, finish
 *   log.c               failed_records_file, error records, the metrics document
 *   write_path.c        send / collect write errors / retry / recover a lost reply
 *   writer.c            one thread's writer state and a batch's tally
 *   caps.c              the connection's capabilities, probed once
 *   statement.c         the statement's error, write errors, after-batch checks,
 *                       row-error lists, has-step, the _id map
 *   resume_rows.c       a resumed operation's checkpoint: done and in-doubt rows
 *   sources/open.c      bql_source_open: picks the plan's source
 *   sources/cursor.c    INSERT/UPSERT ... SELECT: the documents of an aggregate cursor
 *   sources/file.c      FROM 'path' / FROM STDIN: csv or json over input
 *   sources/values.c    the planned rows of VALUES
 *   sources/replay.c    rows kept in memory to be read again (DELETE ... USING STDIN)
 *   sources/parallel.c  parse threads: chunks cut at record boundaries, parsed in order
 *   sources/csv.c       CSV records through libcsv
 *   sources/csv_row.c   a CSV row's fields converted and appended in document order
 *   sources/json.c      NDJSON, array, stream
 *   sources/json_fast.cpp  a JSON record (or a JSON column's value) to BSON:
 *                       simdjson, else json_doc.c
 *   sources/typing.c    typing and CHECK through the planner's conversion
 *   sources/input.c     fd, gzip, poll, cancel; cutting lines
 *   sources/source.c    the source object: vtable, status, accessors
 *
 * Who owns what (the threads of one statement: the statement's thread,
 * the reader thread of rows.c, and with parallel_workers the workers):
 *  - bql_exec_t is the statement's: its counters, reply lists, stop
 *    state, failed_records_file and error are written by the statement's
 *    thread only (writers put their errors in their tally, added here
 *    by bql_exec_add_tally).
 *    Its plan, opts (run_opts) and xo are set before any other thread
 *    starts and never written after: every thread may read them.
 *  - bql_writer_t is one thread's: the statement's thread has its own
 *    (rows.c, where.c) and each worker has its own, on its own client.
 *    A writer reads only the fixed part of the statement (plan, opts,
 *    xo), never its counters.
 *  - bql_write_tally_t is one batch's: what the writes of the batch add
 *    up beyond bql_batch_info_t (upserted and unmatched rows, retries,
 *    the statement-level error). The writer that writes the batch fills
 *    it; the statement's thread adds it to the statement
 *    (bql_exec_add_tally) after the batch is handed back — with workers
 *    the hand-over is the slot's state change under the pipeline's mutex
 *    (rows.c), so no tally is touched by two threads at once.
 */
#ifndef BQL_EXECUTOR_H
#define BQL_EXECUTOR_H

#include <pthread.h>
#include <stdarg.h>
#include <mongoc/mongoc.h>
#include <stdatomic.h>

#include "bulkql/exec.h"
#include "caps.h"
#include "planner.h"
#include "resume.h"
#include "sources/source.h"
#include "steps.h"

/* Write errors (and upserted ids, unmatched rows) kept in the reply; the
 * rest are counted. */
#define BQL_REPLY_MAX_ERRORS 1000

/* The server feature an update needs when its SET list has an expression
 * over stored fields (SPEC §1), named in the error when a server lacks it. */
#define BQL_FEATURE_PIPELINE_UPDATES "aggregation-pipeline updates (MongoDB 4.2)"
/* ... a step that writes with $merge, and one that makes a TTL index */
#define BQL_FEATURE_MERGE "the $merge aggregation stage (MongoDB 4.2)"
#define BQL_FEATURE_TTL "TTL indexes (expireAfterSeconds)"
/* ... DATE and DATE_TRUNC: $dateTrunc, or on a server without it the
 * pipeline from $dateToParts and $dateFromParts */
#define BQL_FEATURE_DATE_TRUNC "the $dateTrunc aggregation operator (MongoDB 5.0)"
#define BQL_FEATURE_DATE_PARTS "the $dateToParts and $dateFromParts aggregation operators (MongoDB 3.6)"
/* ... doubles a row holds (bql_writer_refuses_row) */
#define BQL_FEATURE_NAN "NaN doubles"
#define BQL_FEATURE_INFINITY "infinite doubles (Infinity, -Infinity)"
/* ... Decimal128 values a row or a statement holds */
#define BQL_FEATURE_DECIMAL128 "Decimal128"

/* A dry run keeps in its reply at most this many of the error records and
 * of the failed_records_file lines it would have written. */
#define BQL_WOULD_LOG_MAX 100

typedef struct bql_operation bql_operation_t;

typedef struct bql_exec {
   mongoc_client_t *client;
   const bql_plan_t *plan;
   const bql_options_t *opts;  /* &run_opts */
   bql_options_t run_opts;     /* the plan's, with bql_exec_options_t.opts
                                  applied: a shallow copy, not cleaned up */
   bson_t would_log;           /* dry run: the metrics document not written */
   bson_t would_errors;        /* dry run: the error records not written
                                  (the first BQL_WOULD_LOG_MAX) */
   int64_t n_would_errors;
   bson_t would_failed;        /* dry run: the failed_records_file lines
                                  not written (the first BQL_WOULD_LOG_MAX) */
   int64_t n_would_failed;
   bql_exec_options_t xo;
   mongoc_collection_t *coll;
   bql_error_t *error;

   char operation_id[25];
   bson_oid_t operation_oid; /* the same, as an ObjectId (the deterministic
                                _ids of rows.c): set before any thread starts */
   bql_operation_t *op;      /* its document (operation.c) */
   int64_t start_us;
   int64_t started_at_ms;   /* wall clock */

   int64_t n_inserted, n_matched, n_modified, n_upserted, n_removed, n_archived, n_failed;
   int64_t n_unmatched;     /* UPDATE ... FROM rows that matched nothing */
   int64_t n_modified_unknown; /* matched rows whose modification is unknown
                                  (write_rows.c: a lost account) */
   int64_t n_would_write;   /* dry_run: rows that would be written */
   bool row_based;          /* rows come from VALUES or a file */
   int64_t rows_done;
   int64_t rows_total;
   int64_t bytes_read, bytes_total;
   int64_t batches;
   int64_t retries;         /* batches sent again after a retryable error */
   bool merged;             /* the MERGE step ran: the server wrote the rows
                               of INSERT/UPSERT ... SELECT ($merge, no counts) */

   bson_t write_errors;     /* [{row, code, errmsg}] for the reply */
   uint32_t n_write_errors;
   char first_errmsg[300];  /* the first write error's message */
   bson_t upserted;         /* [{row, _id}] */
   uint32_t n_upserted_ids;
   bson_t unmatched;        /* UPDATE ... FROM: [{row}] of the rows that matched nothing */
   uint32_t n_unmatched_rows;
   /* the run of row steps (EACH_ROW_BATCH, REFUSED_ROWS) the row pipeline
    * feeds (steps_run.c): set by the statement's thread before the rows
    * are read and any writer is made for them, read-only after */
   const bql_step_t *row_steps;
   size_t n_row_steps;
   struct bql_source *replay; /* DELETE ... USING STDIN with max_delete_count:
                                 the rows of the first pass, for the second
                                 (the statement's thread) */

   FILE *failed_fp;         /* failed_records_file, opened on the first failure
                               (at the start with failed_records_mode = 'overwrite') */
   bool failed_fp_broken;   /* it could not be opened: no more tries */
   int64_t failed_lost;     /* failed rows that could not be written to it */
   char failed_errmsg[300]; /* why, the first time */
   bson_t log_failures;     /* [{batchIndex?, errmsg}]: error records or
                               metrics that could not be written */
   uint32_t n_log_failures;
   /* a resumed operation (resume.h), or NULL: its checkpoint says which
    * rows are done or in doubt; its counters were carried over into the
    * counts above when the statement started */
   const bql_resume_t *resume;
   int64_t n_skipped;       /* resume: rows of completed batches, read, not sent */
   int64_t n_already_written; /* resume: in-doubt inserts found stored
                                 (in n_inserted too) */
   int64_t n_in_doubt;      /* rows (or stored documents) in doubt, not sent
                               again (counted in n_failed too) */
   int64_t batch_in_doubt;  /* of them, in the batch being accounted for */
   bson_t in_doubt;         /* [{row} | {_id}] of them */
   uint32_t n_in_doubt_listed;
   bool stopped;            /* stopped early (not a completed statement) */
   char stop_reason[200];
   /* error already recorded in *error (the first one stands; atomic so
    * that any thread may record one) */
   _Atomic bool fatal;
   bool fatal_logged;       /* ... and in error_collection, for its batch */
   /* called (the statement's thread) while a batch of its own waits on
    * the server: the operation's heartbeat (set by exec.c; a pointer, so
    * that statement.c, at the bottom, calls nothing above it) */
   void (*wait_hook) (struct bql_exec *x);
   /* the statement's record of stored _ids (READ_ALL_IDS; see
    * bql_id_record_t), or NULL: made before any other thread starts,
    * freed after they end; its own lock */
   struct bql_id_record *id_record;
   /* the writer of error records and metrics (log.c): made when first
    * needed, on the statement's client; the statement's thread only;
    * freed by bql_exec_log_done */
   struct bql_log *log;
} bql_exec_t;

/* One batch of rows to write: documents and their row numbers. */
typedef struct bql_batch {
   const bson_t **docs;
   const int64_t *rows;
   size_t n;
   const int64_t *lines; /* line of each row in its file, or NULL */
   const uint8_t *facts; /* what the source knew of each row's document
                            (bql_source_row_facts: BQL_ROW_*), or NULL
                            (nothing known) */
} bql_batch_t;

/* ---- the statement's accounting (statement.c) ---- */

/* Record a statement-level error (server, connection, I/O). The first
 * error stands: later ones are dropped. The statement's thread calls it
 * (a writer records its errors in its tally: bql_writer_fail); `fatal`
 * is atomic so that a first error stays first from any thread. Returns
 * false. */
/* Set e (cleared first) to an execution error: code, the server's code
 * (0 when none) and the message formatted from fmt and ap, cut to the
 * size of e->message. Used by bql_exec_fail and bql_writer_fail. */
void bql_exec_error_setv (bql_error_t *e, bql_error_code_t code, int32_t server_code, const char *fmt, va_list ap);
bool bql_exec_fail (bql_exec_t *x, bql_error_code_t code, int32_t server_code, const char *fmt, ...)
   __attribute__ ((format (printf, 4, 5)));
/* The same with an error already made (a row source's). Returns false. */
bool bql_exec_fail_with (bql_exec_t *x, const bql_error_t *error);

/* Run plan as bql_execute does, as the continuation of the operation
 * resume describes when it is not NULL (exec.c; bql_operation_resume
 * calls it): the same operation id, its counters carried over, its
 * checkpoint's done rows skipped and in-doubt rows handled by kind. */
bool bql_exec_statement (mongoc_client_t *client, const bql_plan_t *plan, const bql_exec_options_t *options,
                         const bql_resume_t *resume, bson_t *reply, bql_error_t *error);

/* Append "code" to doc: code as an int32, or "IN_DOUBT" for
 * BQL_CODE_IN_DOUBT. */
void bql_exec_append_code (bson_t *doc, int32_t code);

/* A row (row > 0) or stored document (its _id in id) found in doubt:
 * counted and listed in the reply's inDoubt (the statement's thread). */
void bql_exec_note_in_doubt (bql_exec_t *x, int64_t row, const bson_value_t *id);

/* Add one failed row to the reply (row 0 = not tied to a row; then id,
 * when not NULL, is the _id of the stored document it is about). */
void bql_exec_add_write_error (bql_exec_t *x, bson_t *batch_errors, int64_t row, const bson_value_t *id, int32_t code,
                               const char *errmsg);

/* After a batch: callbacks, stop conditions (continue_on_error,
 * max_errors, max_execution_time, cancel). Returns false when the
 * statement must stop. */
bool bql_exec_after_batch (bql_exec_t *x, const bql_batch_info_t *info);

/* A row the server (or libmongoc) refused within a batch. */
typedef struct bql_row_error {
   size_t index;   /* position in the batch, (size_t) -1 if none */
   int64_t row;    /* 0 when the error is not about one row */
   int64_t line;   /* line of a row that failed on input, else 0 */
   int32_t code;
   char *errmsg;   /* bson_malloc'd */
   bson_t *doc;    /* what was read of a row that failed on input, or NULL */
   bool write_concern; /* a writeConcernError of the reply (row 0): the
                          writes were applied, their writeConcern was not
                          satisfied */
} bql_row_error_t;

typedef struct bql_row_errors {
   bql_row_error_t *items;
   size_t n;
   size_t cap;
} bql_row_errors_t;

void bql_row_errors_add (bql_row_errors_t *e, size_t index, int64_t row, int32_t code, const char *errmsg);
/* A copy of e (its message, document and kind) at the end of dst. */
void bql_row_errors_append (bql_row_errors_t *dst, const bql_row_error_t *e);
/* A row that failed before it could be sent, with what was read of it. */
void bql_row_errors_add_doc (bql_row_errors_t *e, int64_t row, int32_t code, const char *errmsg, const bson_t *doc);
void bql_row_errors_cleanup (bql_row_errors_t *e);
/* Drop the errors after the first n. */
void bql_row_errors_truncate (bql_row_errors_t *e, size_t n);

/* Account for a finished batch (log.c): every error of errs goes to the
 * reply and, for rows, to failed_records_file; a batch with errors writes
 * one document to error_collection; the batch's counts are added to the
 * statement's; then bql_exec_after_batch. b (may be NULL) gives the
 * documents of refused rows. Returns false when the statement must stop. */
bool bql_exec_finish_batch (bql_exec_t *x, bql_batch_info_t *info, const bql_batch_t *b, const bql_row_errors_t *errs,
                            int64_t started_at_ms);

/* Add an entry to the reply's logFailures (log.c): {batchIndex?,
 * firstRow?, lastRow?, errmsg}; info (may be NULL) names the batch. The
 * statement's thread. */
void bql_exec_log_failure (bql_exec_t *x, const bql_batch_info_t *info, const char *fmt, ...)
   __attribute__ ((format (printf, 3, 4)));

/* Write the statement's document to bulk_operation_metrics (log.c). */
void bql_exec_write_metrics (bql_exec_t *x, const bson_t *reply);

/* Free what writing error records and metrics held (log.c): call once,
 * after the statement's last record. */
void bql_exec_log_done (bql_exec_t *x);

/* failed_records_file before the statement writes anything: refuses a
 * symbolic link (dangling too) and, unless failed_records_mode is 'append'
 * or 'overwrite', an existing file; with 'overwrite' the file is opened
 * (truncated) now. Returns false with the statement's error set (nothing
 * written). Without the option, true. */
bool bql_exec_open_failed_records (bql_exec_t *x);

/* Flush and close failed_records_file, checked: rows that did not reach
 * it (a full disk, /dev/full) are counted in x->failed_lost and reported
 * in logFailures. Call once, at the end of the statement. */
void bql_exec_close_failed_records (bql_exec_t *x);

/* The wall clock in milliseconds since the epoch (statement.c). */
int64_t bql_wall_ms (void);

/* ---- writers: the state of one thread that writes (see the top) ---- */

/* What the writes of one batch add up beyond its bql_batch_info_t. */
typedef struct bql_write_tally {
   bson_t upserted;           /* [{row, _id}]: the first BQL_REPLY_MAX_ERRORS */
   uint32_t n_upserted_ids;   /* all of them */
   bson_t unmatched;          /* [{row}] of UPDATE ... FROM and DELETE ...
                                 USING rows that matched nothing */
   uint32_t n_unmatched_rows;
   int64_t n_unmatched;       /* counted by the batch writers */
   int64_t n_modified_unknown; /* matched rows that ran in a command whose
                                  account the server lost: whether they
                                  modified their document is unknown, and
                                  nModified does not count them */
   int64_t n_would_write;     /* dry_run */
   int64_t retries;           /* backoff waits before a command was sent again */
   int64_t n_already_written; /* resume: in-doubt inserts found stored as sent */
   bool failed;               /* error holds a statement-level error */
   bql_error_t error;         /* the first one of the batch stands */
} bql_write_tally_t;

/* Empty lists and counts; bql_write_tally_cleanup frees them. */
void bql_write_tally_init (bql_write_tally_t *t);
/* Empty again, for the next batch (the lists keep their memory). */
void bql_write_tally_reset (bql_write_tally_t *t);
void bql_write_tally_cleanup (bql_write_tally_t *t);

/* Add what a batch's writes added up to the statement (its reply lists,
 * unmatched count, retries, and its error: the statement's first error
 * stands), then empty t. The statement's thread only. Returns false when
 * t held a statement-level error. */
bool bql_exec_add_tally (bql_exec_t *x, bql_write_tally_t *t);

/* One thread's writing state: its connection, the capabilities of the
 * server behind it, and the tally of the batch it is writing. Made by the
 * thread that starts the writer; used by one thread at a time. */
typedef struct bql_writer {
   /* the statement's fixed part (set before any thread starts) */
   const bql_plan_t *plan;
   const bql_options_t *opts;
   const bql_exec_options_t *xo;
   mongoc_client_t *client;   /* not owned: the statement's or a pooled one */
   mongoc_collection_t *coll; /* owned: the plan's collection on client */
   bql_caps_t caps;           /* of client's server, asked when first needed */
   struct bql_id_map *seen;   /* DELETE ... USING with dry_run: the _ids
                                 counted so far (owned) */
   const bql_step_t *row_steps; /* the statement's run of row steps
                                   (bql_exec_t.row_steps), read-only */
   size_t n_row_steps;
   int64_t batches_done;      /* the statement's completed batches when this
                                 writer took its batch (for on_retry) */
   bql_write_tally_t *tally;  /* the batch being written: set by whoever
                                 hands the writer a batch, never NULL then */
   /* Commands are sent on a thread of their own with this client (made
    * from client's URI when first needed, owned), so that the writer's
    * thread can give up waiting on a cancel; an abandoned command takes
    * it with it (write_path.c). Not made for a log_only writer. */
   mongoc_client_t *send_client;
   /* The thread that sends them (write_path.c: started with the first
    * command, it runs one after another), or NULL; stopped by
    * bql_writer_cleanup through sender_stop. An abandoned command takes
    * the thread with it too. */
   void *sender;
   void (*sender_stop) (void *sender);
   int64_t lost_since_us;     /* monotonic time the command being retried
                                 was first lost (retry_timeout), 0: none */
   bool budget_spent;         /* the last retry wait ended on retry_timeout */
   /* The statement's log (log.c): its commands go on client itself, on
    * the writer's thread, as every other command of the statement's
    * connection (no send client: a record reaches the server on the
    * statement's connection even when the writes' own is lost, and a
    * cancel does not abandon it); its retries are its own, neither
    * counted in the tally nor announced (on_retry): those are batches'. */
   bool log_only;
   /* the statement, when this writer is on its thread (progress while a
    * command waits); NULL for a worker */
   struct bql_exec *stmt;
   /* the statement's operation (its own lock: any thread) */
   bql_operation_t *op;
   const bql_resume_t *resume; /* the statement's (read-only), or NULL */
   struct bql_id_record *id_record; /* the statement's (its own lock), or NULL */
   /* the statement's operation id (bql_exec_t.operation_oid): the
    * deterministic ObjectId a new document of row r gets is
    * bql_row_oid_bytes (operation_oid, r), on every attempt and resume */
   bson_oid_t operation_oid;
} bql_writer_t;

/* A connection of BulkQL's own to the server of uri (the statement's
 * client's): libmongoc's error API 2, appname "bulkql", and the caller's
 * TLS options (xo->ssl_opts) when it gave them, as its own client has
 * them (libmongoc cannot tell them from a client). Every connection the
 * executor makes is made here or by bql_exec_pool_new: the SELECT's
 * cursor, a writer's sending connection, the parallel_workers pool. NULL
 * when libmongoc cannot make it (or ssl_opts are given to a libmongoc
 * built without TLS). (writer.c) */
mongoc_client_t *bql_exec_client_new (const bql_exec_options_t *xo, const mongoc_uri_t *uri);
/* ... a pool, likewise (its clients take the TLS options). */
mongoc_client_pool_t *bql_exec_pool_new (const bql_exec_options_t *xo, const mongoc_uri_t *uri);

/* A writer for statement x on client (x->client for the statement's
 * thread, a pooled client for a worker). Reads x's plan, opts and xo
 * only. bql_writer_cleanup frees what it owns. */
void bql_writer_init (bql_writer_t *w, const bql_exec_t *x, mongoc_client_t *client);
/* Call progress (if any) for statement x with the state of its batch in
 * flight: rows sent, the wait so far, a pending retry (0: none). The
 * statement's thread only. */
void bql_exec_progress_waiting (bql_exec_t *x, int64_t rows_sent, double wait_ms, int retry_attempt,
                                int64_t retry_backoff_ms);
/* A writer of no statement, for the commands a resume sends before its
 * statement runs (resume.c: reading and claiming the operation), so that
 * they go through the write path and its retry policy (opts: retries,
 * backoff, retry_timeout; xo: cancel, on_retry) like a batch. plan may be
 * NULL (no collection of its own: every command names its own), tally
 * receives the error and the retries. */
void bql_writer_init_bare (bql_writer_t *w, const bql_plan_t *plan, const bql_options_t *opts,
                           const bql_exec_options_t *xo, mongoc_client_t *client, bql_write_tally_t *tally);
void bql_writer_cleanup (bql_writer_t *w);

/* Of the server features in needs (BQL_NEEDS_* bits of steps.h, as
 * bql_step_needs gives them), the first that the server behind w lacks
 * by its probe (caps.c: once per connection, and only when needs is not
 * 0): its name for messages (BQL_FEATURE_*), with the probe's reason in
 * *why (a static string). NULL when the server has them all or the probe
 * cannot tell: the command is then sent, and a refusal is the server's.
 * A step asks before it sends such a command, so that a server lacking
 * the feature is refused with nothing sent. (writer.c) */
const char *bql_writer_lacks (bql_writer_t *w, unsigned needs, const char **why);

/* Does the write of one row send a double the server behind w cannot
 * take (caps.h bql_caps_refuses_double: NaN on a server that closes the
 * connection on one, ±Infinity on one that stores none), or a Decimal128
 * on a server that stores none (bql_caps_refuses_decimal128), at any depth
 * of sent[0..nsent) (the documents of the row's write: the document
 * inserted, or the filter and the update)? Then true, with the row's
 * error in msg (len bytes), naming the missing feature, the field of row
 * (the row's own document, may be NULL) that holds the value and why:
 *   not written: the server does not support NaN doubles: x.y holds NaN
 *   (FerretDB closes the connection on one)
 *   not written: the server does not support Decimal128: field x.y holds
 *   a Decimal128 (FerretDB closes the connection on one)
 * Such a row is a failed row, not sent: a step asks before it adds the
 * row to a command. The first NaN asked about probes the server (once
 * per connection). (writer.c) */
bool bql_writer_refuses_row (bql_writer_t *w, const bson_t *row, const bson_t *const *sent, size_t nsent, char *msg,
                             size_t len);

/* Does command (a step's command, as the plan holds it: the statement's
 * own constants) hold a value the server behind w cannot take, at any
 * depth (as bql_writer_refuses_row: NaN, ±Infinity, Decimal128)? Then
 * the missing feature's name (BQL_FEATURE_*), with why in *why (a static
 * string: "FerretDB closes the connection on one"); else NULL. The
 * statement is then refused before anything is sent. (writer.c) */
const char *bql_writer_refuses_command (bql_writer_t *w, const bson_t *command, const char **why);

/* Record a statement-level error in the writer's tally (the first of the
 * batch stands). Returns false. */
bool bql_writer_fail (bql_writer_t *w, bql_error_code_t code, int32_t server_code, const char *fmt, ...)
   __attribute__ ((format (printf, 4, 5)));

/* Add {row} to the batch's list of UPDATE ... FROM or DELETE ... USING
 * rows that matched nothing (the first BQL_REPLY_MAX_ERRORS are kept;
 * all are counted). The caller counts tally->n_unmatched. */
void bql_writer_note_unmatched (bql_writer_t *w, int64_t row);

/* Insert one batch (bulk insert, ordered as given): adds the inserted
 * count to info and every refused row to errs (the caller decides what a
 * refusal means). False on a statement-level error (recorded in the
 * writer's tally). */
bool bql_exec_insert_batch (bql_writer_t *w, const bql_batch_t *b, bool ordered, bql_batch_info_t *info,
                            bql_row_errors_t *errs);

/* Milliseconds since the statement started (monotonic; statement.c). */
double bql_exec_elapsed_ms (const bql_exec_t *x);

/* ---- row sources (sources/source.h) ---- */

/* The statement's row source (bql_source_open): its VALUES rows or its
 * file, with the run's I/O options (stdin_stream, next_row,
 * max_execution_time from the statement's start) and cancel flag. NULL
 * with the error recorded in x when the input cannot be opened. The
 * caller closes it (bql_source_close). */
bql_source_t *bql_exec_open_source (bql_exec_t *x);

/* The rows of an AGGREGATE step (INSERT/UPSERT ... SELECT): its
 * cursor, on a connection of the source's own to x's server (rows.c).
 * NULL with the error recorded in x when the server refuses the pipeline
 * or cannot be reached. */
bql_source_t *bql_exec_open_cursor (bql_exec_t *x, const bql_step_t *st);

/* MERGE: the step's aggregate ending with $merge, on w's connection, to
 * the source's database (rows.c). A refusal names $merge (MongoDB 4.2)
 * with the server's message; recorded in x. */
bool bql_exec_merge_step (bql_exec_t *x, bql_writer_t *w, const bql_step_t *st);

/* Writes one batch of good rows on writer w; refusals go to errs. */
typedef bool (*bql_batch_writer_t) (bql_writer_t *w, const bql_batch_t *b, bql_batch_info_t *info,
                                    bql_row_errors_t *errs);

/* Pull batch_size input rows at a time from src and hand the good ones to
 * write; account for every row (written, refused, failed on input).
 * Without parallel_workers the batches are written on own, the statement's
 * thread's writer (its tally is handed back as it was); workers have
 * writers of their own. */
bool bql_exec_rows (bql_exec_t *x, bql_writer_t *own, bql_source_t *src, bql_batch_writer_t write);

/* Write rows pos[0..npos) of b one updateOne each (UPSERT, UPDATE ...
 * FROM, upsert_mode, and with dup_msgs the ON DUPLICATE KEY follow-ups,
 * dup_msgs[k] being row pos[k]'s duplicate key error), ordered or not,
 * through the update command (write_rows.c). Counts go to info, refused
 * and doubtful rows to errs (a follow-up that matches nothing is a failed
 * row); UPDATE ... FROM rows that match nothing are counted and listed in
 * the writer's tally. False when the statement must stop (recorded). */
bool bql_exec_update_rows (bql_writer_t *w, const bql_batch_t *b, const size_t *pos, size_t npos, bool ordered,
                           const char *const *dup_msgs, bql_batch_info_t *info, bql_row_errors_t *errs);
/* READ_ALL_IDS, before batch b's row steps (its MARK_IN_FLIGHT among
 * them): on a server whose _id $in lookup reads the whole collection,
 * read every stored _id into the statement's record (w->id_record) if it
 * is not read yet and a row of b names an _id (write_rows.c). Reads the
 * record under its lock: any writer. */
void bql_exec_read_all_ids (bql_writer_t *w, const bql_batch_t *b);
/* All the rows of b through bql_exec_update_rows: a bql_batch_writer_t. */
bool bql_exec_write_rows (bql_writer_t *w, const bql_batch_t *b, bql_batch_info_t *info, bql_row_errors_t *errs);

bool bql_exec_is_connection_error (const bson_error_t *e);
/* An error the drivers' retryable-writes specification retries: network
 * errors, not-primary and shutdown codes, the RetryableWriteError label. */
bool bql_exec_is_retryable (const bson_error_t *e, const bson_t *reply);
/* The wait before retry attempt (1-based): retry_backoff_ms of o doubled
 * per attempt, at most 30 s; in milliseconds. */
int64_t bql_retry_backoff_ms (const bql_options_t *o, int attempt);
/* Sleep ms milliseconds in 20 ms steps; false as soon as *cancel (may be
 * NULL) is set. */
bool bql_retry_sleep (const volatile int *cancel, int64_t ms);

/* ---- a map from _id values to positions (statement.c) ---- */

/* MongoDB's equality of two _id values (the BSON comparison a query's
 * {_id: v} uses, without collation): numbers by value across int32,
 * int64, double and decimal128 (exactly: an int64 beyond 2^53 is not the
 * nearest double; NaN equals NaN; -0 equals 0); documents and arrays
 * element by element (same field names in the same order, values by
 * these rules); any other value by BSON type and bytes. */
bool bql_id_equal (const bson_value_t *a, const bson_value_t *b);
/* A hash of v consistent with bql_id_equal (equal values hash equal);
 * never 0. */
uint64_t bql_id_hash (const bson_value_t *v);

typedef struct bql_id_map {
   uint64_t *hash;
   size_t *pos;
   bson_value_t *ids;
   size_t cap;
   size_t n; /* ids held */
} bql_id_map_t;

/* An empty map sized for about n ids; bql_id_map_cleanup frees it. */
void bql_id_map_init (bql_id_map_t *m, size_t n);
/* Is id held (by MongoDB's equality, bql_id_equal)? Its position in
 * *pos if so. */
bool bql_id_map_get (const bql_id_map_t *m, const bson_value_t *id, size_t *pos);
/* Hold id (copied) at pos, unless held already (the first position wins). */
void bql_id_map_put (bql_id_map_t *m, const bson_value_t *id, size_t pos);
/* Hold id at pos, replacing the position it had. */
void bql_id_map_set (bql_id_map_t *m, const bson_value_t *id, size_t pos);
void bql_id_map_cleanup (bql_id_map_t *m);

/* ---- the statement's record of stored _ids (statement.c) ----
 *
 * On a server whose find of {_id: {$in: [...]}} reads the whole
 * collection (caps.h id_lookup_scans), the upserts' step (write_rows.c)
 * does not read, before each batch, which of its _ids exist: it reads
 * every stored _id once (the READ_ALL_IDS step, before the first batch
 * whose rows name an _id) into this record, and the statement's own
 * writes keep it up to date. Each _id held is stored (read, or written by
 * a settled row of the statement), unknown (named by a row whose outcome
 * is unknown: failed, or not attempted), or in flight (named by a row of
 * a batch being written: its token). One per statement, shared by its
 * writers (workers too) under its own lock; the statement's thread makes
 * and frees it before and after any other thread runs. */
enum { BQL_IDS_UNREAD, BQL_IDS_HELD, BQL_IDS_GIVEN_UP };
#define BQL_ID_STORED ((size_t) 0)
#define BQL_ID_UNKNOWN ((size_t) 1)
#define BQL_ID_IN_FLIGHT(token) ((size_t) (token) + 2)
/* What the record costs per _id held, counted against a quarter of
 * memory_limit: its map's slots (hash, position, value) at its lowest
 * load. A string _id counts its bytes too. */
#define BQL_ID_RECORD_BYTES 192

typedef struct bql_id_record {
   pthread_mutex_t lock;
   int state;         /* BQL_IDS_*: not read yet; held; given up (over
                         max_bytes, or its read failed): the batches
                         read their own again */
   bql_id_map_t ids;  /* _id -> BQL_ID_STORED, BQL_ID_UNKNOWN or
                         BQL_ID_IN_FLIGHT (the batch's token) */
   size_t bytes;      /* what the _ids held cost (BQL_ID_RECORD_BYTES each,
                         and a string's length) */
   size_t max_bytes;  /* a quarter of memory_limit */
} bql_id_record_t;

/* An empty record (state BQL_IDS_UNREAD) bounded by a quarter of
 * memory_limit bytes. */
void bql_id_record_init (bql_id_record_t *r, int64_t memory_limit);
void bql_id_record_cleanup (bql_id_record_t *r);
/* Hold id with entry (a BQL_ID_* value), replacing what it had. False,
 * and the record given up (its map freed, state BQL_IDS_GIVEN_UP), when
 * a new _id would take it over max_bytes. The caller holds the lock. */
bool bql_id_record_set (bql_id_record_t *r, const bson_value_t *id, size_t entry);
/* Give the record up (the caller holds the lock): its map freed. */
void bql_id_record_give_up (bql_id_record_t *r);

/* ---- the steps (steps_run.c interprets them; where.c, insert.c,
 * write_rows.c and rows.c run them, writing through a writer) ---- */

/* Run the plan's steps up to the statement's end (every step but the END
 * ones), on a writer of the statement's thread made for them. False when
 * the statement failed (recorded in x). */
bool bql_exec_run_steps (bql_exec_t *x);
/* Run the END steps (the metrics record) with the statement's reply. */
void bql_exec_run_end_steps (bql_exec_t *x, const bson_t *reply);
/* Does the statement have a step of kind k? Any thread (the plan is
 * read-only). (statement.c) */
bool bql_exec_has_step (const bql_exec_t *x, bql_step_kind_t k);
bool bql_writer_has_step (const bql_writer_t *w, bql_step_kind_t k);

/* COUNT, COUNT_GUARD: run the step's aggregate (its template as is) on
 * w's connection; *n the count. False with the error recorded in w's
 * tally. (where.c) */
bool bql_exec_count_step (bql_writer_t *w, const bql_step_t *st, int64_t *n);
/* Send st's command as it is (createIndexes) to the statement's database
 * on w's connection; a refusal names feature when given (error in w's
 * tally). (where.c) */
bool bql_exec_command_step (bql_writer_t *w, const bql_step_t *st, const char *feature);
/* SCAN_IDS and the EACH_ID_BATCH steps after it (steps[0..nsteps): an
 * ARCHIVE_BATCH and the UPDATE_BATCH or DELETE_BATCH): read the find of
 * scan's template and run the batch steps on every batch it reads, each
 * write on the write path through w; each batch's tally is added to x.
 * (where.c) */
bool bql_exec_scan_ids (bql_exec_t *x, bql_writer_t *w, const bql_step_t *scan, const bql_step_t *steps,
                        size_t nsteps);
/* An UPDATE_BATCH or DELETE_BATCH without a scan: its template's q once
 * (batch_size = 0), through w. (where.c) */
bool bql_exec_write_all (bql_exec_t *x, bql_writer_t *w, const bql_step_t *st);
/* COUNT_ROWS_GUARD: the first pass of DELETE ... USING over the rows
 * (FROM STDIN kept in x->replay for the second), its finds on w. (where.c) */
bool bql_exec_count_rows_guard (bql_exec_t *x, bql_writer_t *w, const bql_step_t *st);
/* MATCH_ROWS for one batch of rows on writer w, then archive_step (may be
 * NULL) and delete_step (NULL with dry_run: the documents are counted).
 * (where.c) */
bool bql_exec_match_rows_batch (bql_writer_t *w, const bql_step_t *archive_step, const bql_step_t *delete_step,
                                const bql_batch_t *b, bql_batch_info_t *info, bql_row_errors_t *errs);
/* After the rows of MATCH_ROWS: the dry run's max_delete_count check. */
bool bql_exec_match_rows_done (bql_exec_t *x, bool ok);
/* DUPLICATE_KEY_UPDATE: the rows of b that errs holds as refused with
 * 11000 are updated on w (insert.c); errs keeps the other errors. */
bool bql_exec_update_refused (bql_writer_t *w, const bql_batch_t *b, bql_batch_info_t *info, bql_row_errors_t *errs);
/* DROP: the step's drop command; a collection that does not exist is not
 * an error; a lost reply is sent again within the retry policy, on w's
 * retry state. (rows.c) */
bool bql_exec_drop_step (bql_exec_t *x, bql_writer_t *w, const bql_step_t *st);

#endif
