/*
 * executor.h — the state of one running statement, shared by the
 * executor's files: counters, the write errors of the reply, stop
 * conditions, and the helpers that run a batch through libmongoc and
 * account for every row of it. Internal.
 */
#ifndef BQL_EXECUTOR_H
#define BQL_EXECUTOR_H

#include <mongoc/mongoc.h>
#include <stdatomic.h>

#include "bulkql/exec.h"
#include "caps.h"
#include "planner.h"
#include "sources/source.h"
#include "steps.h"

/* Write errors (and upserted ids, unmatched rows) kept in the reply; the
 * rest are counted. */
#define BQL_REPLY_MAX_ERRORS 1000

/* The server feature an update needs when its SET list has an expression
 * over stored fields (SPEC §1), named in the error when a server lacks it. */
#define BQL_FEATURE_PIPELINE_UPDATES "aggregation-pipeline updates (MongoDB 4.2)"


typedef struct bql_exec {
   mongoc_client_t *client;
   const bql_plan_t *plan;
   const bql_options_t *opts;  /* &run_opts */
   bql_options_t run_opts;     /* the plan's, with bql_exec_options_t.opts
                                  applied: a shallow copy, not cleaned up */
   bson_t would_log;           /* dry run: the metrics document not written */
   bql_exec_options_t xo;
   mongoc_collection_t *coll;
   bql_error_t *error;

   char operation_id[25];
   int64_t start_us;
   int64_t started_at_ms;   /* wall clock */

   int64_t n_inserted, n_matched, n_modified, n_upserted, n_removed, n_archived, n_failed;
   int64_t n_unmatched;     /* UPDATE ... FROM rows that matched nothing */
   int64_t n_would_write;   /* dry_run: rows that would be written */
   bool row_based;          /* rows come from VALUES or a file */
   int64_t rows_done;
   int64_t rows_total;
   int64_t bytes_read, bytes_total;
   int64_t batches;
   int64_t retries;         /* batches sent again after a retryable error */

   bson_t write_errors;     /* [{row, code, errmsg}] for the reply */
   uint32_t n_write_errors;
   char first_errmsg[300];  /* the first write error's message */
   bson_t upserted;         /* [{row, _id}] */
   uint32_t n_upserted_ids;
   bson_t unmatched;        /* UPDATE ... FROM: [{row}] of the rows that matched nothing */
   uint32_t n_unmatched_rows;
   struct bql_id_map *seen; /* DELETE ... USING with dry_run: the _ids
                               counted so far (the statement's thread) */
   bql_caps_t caps;         /* the server's capabilities (caps.c), probed
                               on first use (bql_exec_caps) by the thread
                               that owns this state: the statement, or a
                               worker on its view with its own client */
   bool caps_probed;
   /* the run of row steps (EACH_ROW_BATCH, REFUSED_ROWS) the row pipeline
    * feeds (steps_run.c): set before the rows are read, read-only after */
   const bql_step_t *row_steps;
   size_t n_row_steps;
   struct bql_source *replay; /* DELETE ... USING STDIN with max_delete_count:
                                 the rows of the first pass, for the second */

   FILE *failed_fp;         /* failed_records_file, opened on the first failure
                               (at the start with failed_records_mode = 'overwrite') */
   bool failed_fp_broken;   /* it could not be opened: no more tries */
   int64_t failed_lost;     /* failed rows that could not be written to it */
   char failed_errmsg[300]; /* why, the first time */
   bson_t log_failures;     /* [{batchIndex?, errmsg}]: error records or
                               metrics that could not be written */
   uint32_t n_log_failures;
   bool stopped;            /* stopped early (not a completed statement) */
   char stop_reason[200];
   /* error already recorded in *error (the first one stands; atomic so
    * that any thread may record one) */
   _Atomic bool fatal;
   bool fatal_logged;       /* ... and in error_collection, for its batch */
} bql_exec_t;

/* One batch of rows to write: documents and their row numbers. */
typedef struct bql_batch {
   const bson_t **docs;
   const int64_t *rows;
   size_t n;
   const int64_t *lines; /* line of each row in its file, or NULL */
} bql_batch_t;

/* Record a statement-level error (server, connection, I/O). The first
 * error stands: later ones are dropped. Thread-safe. Returns false. */
bool bql_exec_fail (bql_exec_t *x, bql_error_code_t code, int32_t server_code, const char *fmt, ...)
   __attribute__ ((format (printf, 4, 5)));
/* The same with an error already made (a row source's). Returns false. */
bool bql_exec_fail_with (bql_exec_t *x, const bql_error_t *error);

/* Add one failed row to the reply (row 0 = not tied to a row). */
void bql_exec_add_write_error (bql_exec_t *x, bson_t *batch_errors, int64_t row, int32_t code, const char *errmsg);

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
} bql_row_error_t;

typedef struct bql_row_errors {
   bql_row_error_t *items;
   size_t n;
   size_t cap;
} bql_row_errors_t;

void bql_row_errors_add (bql_row_errors_t *e, size_t index, int64_t row, int32_t code, const char *errmsg);
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

/* Write the statement's document to bulk_operation_metrics (log.c). */
void bql_exec_write_metrics (bql_exec_t *x, const bson_t *reply);

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

int64_t bql_wall_ms (void);

/* Insert one batch (bulk insert, ordered as given): adds the inserted
 * count to info and every refused row to errs (the caller decides what a
 * refusal means). False on a statement-level error (recorded). */
bool bql_exec_insert_batch (bql_exec_t *x, const bql_batch_t *b, bool ordered, bql_batch_info_t *info,
                            bql_row_errors_t *errs);

double bql_exec_elapsed_ms (const bql_exec_t *x);

/* ---- row sources (sources/source.h) ---- */

/* The statement's row source (bql_source_open): its VALUES rows or its
 * file, with the run's I/O options (stdin_stream, next_row,
 * max_execution_time from the statement's start) and cancel flag. NULL
 * with the error recorded in x when the input cannot be opened. The
 * caller closes it (bql_source_close). */
bql_source_t *bql_exec_open_source (bql_exec_t *x);

/* Writes one batch of good rows; refusals go to errs. */
typedef bool (*bql_batch_writer_t) (bql_exec_t *x, const bql_batch_t *b, bql_batch_info_t *info, bql_row_errors_t *errs);

/* Pull batch_size input rows at a time from src and hand the good ones to
 * write; account for every row (written, refused, failed on input). */
bool bql_exec_rows (bql_exec_t *x, bql_source_t *src, bql_batch_writer_t write);

/* Write rows pos[0..npos) of b one updateOne each (UPSERT, UPDATE ...
 * FROM, upsert_mode, and with dup_msgs the ON DUPLICATE KEY follow-ups,
 * dup_msgs[k] being row pos[k]'s duplicate key error), ordered or not,
 * through the update command (write_rows.c). Counts go to info, refused
 * and doubtful rows to errs (a follow-up that matches nothing is a failed
 * row); UPDATE ... FROM rows that match nothing are counted and listed in
 * the statement's reply. False when the statement must stop (recorded). */
bool bql_exec_update_rows (bql_exec_t *x, const bql_batch_t *b, const size_t *pos, size_t npos, bool ordered,
                           const char *const *dup_msgs, bql_batch_info_t *info, bql_row_errors_t *errs);
/* All the rows of b through bql_exec_update_rows: a bql_batch_writer_t. */
bool bql_exec_write_rows (bql_exec_t *x, const bql_batch_t *b, bql_batch_info_t *info, bql_row_errors_t *errs);

/* A bulk operation on coll with the statement's ordered, writeConcern and
 * bypassDocumentValidation. */
mongoc_bulk_operation_t *bql_exec_new_bulk (bql_exec_t *x, mongoc_collection_t *coll, bool ordered);
void bql_exec_collect_write_errors (const bson_t *reply, const size_t *sent, size_t nsent, const int64_t *rows,
                                    bql_row_errors_t *errs);
void bql_exec_collect_wc_errors (const bson_t *reply, bql_row_errors_t *errs);
bool bql_exec_is_connection_error (const bson_error_t *e);
/* An error the drivers' retryable-writes specification retries: network
 * errors, not-primary and shutdown codes, the RetryableWriteError label. */
bool bql_exec_is_retryable (const bson_error_t *e, const bson_t *reply);
/* Wait before retry number attempt (1-based): retry_backoff_ms doubled
 * each time, at most 30 s. False when cancelled while waiting. */
bool bql_exec_backoff (bql_exec_t *x, int attempt);
/* The wait before retry attempt (1-based): retry_backoff_ms doubled per
 * attempt, at most 30 s; in milliseconds. */
int64_t bql_exec_backoff_ms (const bql_exec_t *x, int attempt);
/* Sleep ms milliseconds in 20 ms steps; false as soon as the statement is
 * cancelled (bql_exec_options_t.cancel). */
bool bql_exec_sleep (const bql_exec_t *x, int64_t ms);
/* Are the statement's writes safe to apply twice? ($set, $unset,
 * $currentDate, $setOnInsert, deletes; not $inc, $mul, $push, pipelines.) */
bool bql_exec_idempotent (const bql_exec_t *x);
/* Record the failure of a command that was not about rows. Returns false. */
bool bql_exec_connection_or_server_error (bql_exec_t *x, const bson_error_t *berr, int64_t batch_index);
/* After the statement's error was just recorded for a batch that had been
 * sent again `retries` times: say so in the message (nothing when 0). */
void bql_exec_note_retries (bql_exec_t *x, int retries);
/* How the retries of a lost command ended, for the message of a row or
 * batch whose outcome is unknown: " and N retries ran out", or
 * " (retry_attempts = 0)" when none were allowed, into buf (n bytes). */
const char *bql_exec_retries_ran_out (const bql_exec_t *x, int retries, char *buf, size_t n);

/* ---- a map from _id values to positions (write_rows.c) ---- */

typedef struct bql_id_map {
   uint64_t *hash;
   size_t *pos;
   bson_value_t *ids;
   size_t cap;
   size_t n; /* ids held */
} bql_id_map_t;

/* An empty map sized for about n ids; bql_id_map_cleanup frees it. */
void bql_id_map_init (bql_id_map_t *m, size_t n);
/* Is id held (by BSON type and value)? Its position in *pos if so. */
bool bql_id_map_get (const bql_id_map_t *m, const bson_value_t *id, size_t *pos);
/* Hold id (copied) at pos, unless held already (the first position wins). */
void bql_id_map_put (bql_id_map_t *m, const bson_value_t *id, size_t pos);
void bql_id_map_cleanup (bql_id_map_t *m);

/* Add {row} to the statement's (or a worker's view's) list of UPDATE ...
 * FROM or DELETE ... USING rows that matched nothing: the first
 * BQL_REPLY_MAX_ERRORS are kept, all are counted. The caller counts
 * n_unmatched. */
void bql_exec_note_unmatched (bql_exec_t *x, int64_t row);

/* ---- the steps (steps_run.c interprets them; where.c, insert.c,
 * write_rows.c run them) ---- */

/* Run the plan's steps up to the statement's end (every step but the END
 * ones). False when the statement failed (recorded in x). */
bool bql_exec_run_steps (bql_exec_t *x);
/* Run the END steps (the metrics record) with the statement's reply. */
void bql_exec_run_end_steps (bql_exec_t *x, const bson_t *reply);
/* The server's capabilities, probed on first use (statement's thread). */
const bql_caps_t *bql_exec_caps (bql_exec_t *x);
/* Does the statement have a step of kind k? */
bool bql_exec_has_step (const bql_exec_t *x, bql_step_kind_t k);

/* COUNT, COUNT_GUARD: run the step's aggregate (its template as is); *n
 * the count. False with the error recorded. (where.c) */
bool bql_exec_count_step (bql_exec_t *x, const bql_step_t *st, int64_t *n);
/* Send st's command as it is (createIndexes, drop) to the statement's
 * database; a refusal names feature when given. (where.c) */
bool bql_exec_command_step (bql_exec_t *x, const bql_step_t *st, const char *feature);
/* SCAN_IDS and the EACH_ID_BATCH steps after it (steps[0..nsteps): an
 * ARCHIVE_BATCH and the UPDATE_BATCH or DELETE_BATCH): read the find of
 * scan's template and run the batch steps on every batch it reads.
 * (where.c) */
bool bql_exec_scan_ids (bql_exec_t *x, const bql_step_t *scan, const bql_step_t *steps, size_t nsteps);
/* An UPDATE_BATCH or DELETE_BATCH without a scan: its template's q once
 * (batch_size = 0). (where.c) */
bool bql_exec_write_all (bql_exec_t *x, const bql_step_t *st);
/* COUNT_ROWS_GUARD: the first pass of DELETE ... USING over the rows
 * (FROM STDIN kept in x->replay for the second). (where.c) */
bool bql_exec_count_rows_guard (bql_exec_t *x, const bql_step_t *st);
/* MATCH_ROWS for one batch of rows, then archive_step (may be NULL) and
 * delete_step (NULL with dry_run: the documents are counted). (where.c) */
bool bql_exec_match_rows_batch (bql_exec_t *x, const bql_step_t *archive_step, const bql_step_t *delete_step,
                                const bql_batch_t *b, bql_batch_info_t *info, bql_row_errors_t *errs);
/* After the rows of MATCH_ROWS: the dry run's max_delete_count check. */
bool bql_exec_match_rows_done (bql_exec_t *x, bool ok);
/* DUPLICATE_KEY_UPDATE: the rows of b that errs holds as refused with
 * 11000 are updated (insert.c); errs keeps the other errors. */
bool bql_exec_update_refused (bql_exec_t *x, const bql_batch_t *b, bql_batch_info_t *info, bql_row_errors_t *errs);
/* DROP: the step's drop command; a collection that does not exist is not
 * an error. (rows.c) */
bool bql_exec_drop_step (bql_exec_t *x, const bql_step_t *st);

#endif
