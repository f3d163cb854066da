/*
 * bulkql/exec.h — running plans on a MongoDB server through libmongoc:
 * batches, ordered and unordered bulk writes, retries of retryable errors,
 * archive-before-delete, per-batch error records and statement metrics
 * (bulkql(1) "OUTPUT" and "LOGGING"), with callbacks for progress and
 * per-batch results. README "Embedding" shows a program that uses it.
 */
#ifndef BULKQL_EXEC_H
#define BULKQL_EXEC_H

#include <mongoc/mongoc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "bulkql/error.h"
#include "bulkql/export.h"
#include "bulkql/plan.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What one batch did, passed to on_batch after the batch's reply. */
typedef struct bql_batch_info {
   int64_t batch_index; /* 0-based */
   int64_t first_row;   /* row number (1-based, in the statement's input) of
                           the batch's first row; 0 when the batch is of
                           stored documents (UPDATE/DELETE ... WHERE) */
   int64_t size;        /* rows or documents in the batch */
   int64_t n_inserted;
   int64_t n_matched;
   int64_t n_modified;
   int64_t n_upserted;
   int64_t n_removed;
   int64_t n_archived;
   int64_t n_failed;
   /* {writeErrors: [{row, code, errmsg}], writeConcernError?} of this
    * batch; valid during the call only */
   const bson_t *errors;
} bql_batch_info_t;

/* Progress of a statement, passed to progress after every batch. */
typedef struct bql_progress {
   int64_t rows_done;   /* rows (or documents) written, failed or counted */
   int64_t rows_total;  /* -1 when unknown (files, WHERE) */
   int64_t bytes_read;  /* of the input file, 0 for other sources */
   int64_t bytes_total; /* size of the input file, -1 when unknown */
   double elapsed_ms;
   /* While a batch written on the thread that called bql_execute waits
    * for the server (progress is then called about every 500 ms): the
    * rows of the batch sent, and how long its command has waited, in
    * milliseconds; 0 otherwise. */
   int64_t batch_rows_sent;
   double batch_wait_ms;
   /* While that batch waits to be retried: the retry's number (1-based)
    * and its wait in milliseconds; 0 otherwise. */
   int retry_attempt;
   int64_t retry_backoff_ms;
} bql_progress_t;

/* A retry of a batch lost to a retryable error (retry_attempts,
 * retry_backoff_ms), passed to on_retry just before its backoff wait. */
typedef struct bql_retry_info {
   int attempt;          /* 1-based: the n-th retry of this batch */
   int max_attempts;     /* the statement's retry_attempts */
   int64_t backoff_ms;   /* the wait before the attempt, milliseconds */
   int64_t batches_done; /* batches completed before this retry */
} bql_retry_info_t;

/* The operation's checkpoint, passed to on_checkpoint each time it was
 * written to bulkql_operations (bulkql(1) "OPERATIONS AND RESUME"): after every
 * checkpoint_interval completed batches. */
typedef struct bql_checkpoint_info {
   const char *operation_id; /* 24 hex characters; valid during the call */
   int64_t batches;          /* batches completed (their outcome known) */
   int64_t rows_done;        /* rows (or documents) written, failed or counted */
   int64_t n_inserted;
   int64_t n_matched;
   int64_t n_modified;
   int64_t n_upserted;
   int64_t n_removed;
   int64_t n_archived;
   int64_t n_failed;
} bql_checkpoint_info_t;

/* Return false to stop the statement after this batch (as a cancel). */
typedef bool (*bql_batch_fn) (const bql_batch_info_t *info, void *ctx);
typedef void (*bql_progress_fn) (const bql_progress_t *progress, void *ctx);
typedef void (*bql_retry_fn) (const bql_retry_info_t *info, void *ctx);
typedef void (*bql_checkpoint_fn) (const bql_checkpoint_info_t *info, void *ctx);

/* A row source of the embedding program's own (see next_row below).
 * Called on BulkQL's reader thread during bql_execute to get the next
 * row: on a row, initialise nothing (row is an empty, initialised
 * bson_t owned by BulkQL), append the row's fields to row and return
 * true; at the end of the rows return false leaving error untouched; on
 * a failure of the source return false with error->domain set (the
 * statement then fails with that error, BQL_ERR_IO when code is 0). */
typedef bool (*bql_row_fn) (void *ctx, bson_t *row, bql_error_t *error);

typedef struct bql_exec_options {
   /* sizeof (bql_exec_options_t) as the caller was compiled: fields past
    * it are taken as zero, so fields can be added without breaking
    * programs built against an older header. 0 is taken as this header's
    * size (for source compatibility); always set it. */
   size_t size;
   bql_progress_fn progress; /* may be NULL */
   void *progress_ctx;
   bql_batch_fn on_batch;    /* may be NULL */
   void *batch_ctx;
   /* When *cancel becomes non-zero (say, from a SIGINT handler) the
    * statement stops after the batch in flight and reports what it did,
    * within about a second: a backoff wait is cut short, and a command
    * whose reply has not come half a second after the cancel is
    * abandoned (its rows are then in doubt: counted as failed, with "in
    * doubt" in their message, and the batch named in the error). An abandoned command is left to finish on an internal
    * thread with a connection of its own, which it closes when the
    * server answers or its socket times out (socketTimeoutMS).
    * May be NULL. */
   const volatile int *cancel;
   /* Batches in flight at once (parallel_workers > 1) are written on
    * clients popped from this pool, one per worker, pushed back when the
    * statement ends; when NULL, a pool is made for the statement from
    * client's URI (mongoc_client_get_uri) and destroyed after it. */
   mongoc_client_pool_t *pool;
   /* The input of FROM STDIN, read with fread(3) (so bytes already in its
    * stdio buffer are read, and a stream without a file descriptor, such
    * as fmemopen's, works); it is read to its end and not closed. A read
    * blocks until a chunk (1 MiB) is read or the stream ends; a cancel
    * takes effect when the read returns. NULL means the process's
    * standard input, read from file descriptor 0 with read(2): bytes a
    * program already read into the stdio buffer of stdin are not seen
    * then (pass stdin_stream = stdin to read through it). */
   FILE *stdin_stream;
   /* Rows from memory (README "Embedding", "Rows from your program"):
    * when next_row is set, a FROM STDIN FORMAT NDJSON (or JSON) statement
    * takes its rows from next_row (called with next_row_ctx) instead of
    * reading stdin_stream: each document is one record, exactly as if it
    * were one line of NDJSON. The column list types and picks fields,
    * CHECK applies and failed rows are counted, logged and reported as
    * for a file; the n-th document is "line n" in a failed row's reason.
    * FROM STDIN FORMAT CSV or TSV with next_row set is refused (the rows
    * are documents). These rows are taken on one thread: parse_threads
    * does not apply, whatever the plan's EXPLAIN shows as
    * source.parse_threads (the plan does not know of next_row). The
    * callback runs on BulkQL's internal reader
    * thread (not the thread that called bql_execute), one call at a time,
    * and only during bql_execute; so does the reading of stdin_stream. */
   bql_row_fn next_row;
   void *next_row_ctx;
   /* A libmongoc-style options document, or NULL; its keys override the
    * plan's resolved WITH options for this run (unknown keys are refused
    * by name, BQL_ERR_OPTION in domain USAGE, before anything is sent):
    *   metrics       bool: false writes no bulk_operation_metrics document
    *   errorRecords  bool: false writes no error_collection documents
    *   maxTimeMS     int: stop the statement after this many ms
    *                 (as max_execution_time; 0 removes the limit)
    * Copied during the call. */
   const bson_t *opts;
   /* Called before each retry's backoff, on the thread that writes the
    * batch: the thread that called bql_execute, or with parallel_workers
    * > 1 one of the internal worker threads (so calls may be concurrent
    * then); may be NULL. */
   bql_retry_fn on_retry;
   void *retry_ctx;
   /* Called after each checkpoint of the operation was written (not
    * when writing it failed, and never in a dry run, which writes no
    * operation), on the thread that called bql_execute, between batches,
    * never concurrently with progress or on_batch; may be NULL. */
   bql_checkpoint_fn on_checkpoint;
   void *checkpoint_ctx;
   /* The TLS options the program gave client with
    * mongoc_client_set_ssl_opts() (libmongoc cannot tell them from the
    * client), or NULL. BulkQL makes connections of its own to client's
    * server, from client's URI: the one each write is sent on (so that a
    * cancel can abandon a write that waits on its reply), the SELECT's
    * cursor of INSERT/UPSERT ... SELECT (read on another thread), and the
    * pool of parallel_workers when pool is NULL. Each of them gets these
    * options (mongoc_client_set_ssl_opts, mongoc_client_pool_set_ssl_opts)
    * as client has them; without them they take their TLS options from
    * the URI only (tls=true, tlsCAFile=..., as mongoc_client_new_from_uri
    * does). Borrowed during the call, its strings too. With a libmongoc
    * built without TLS, setting it fails the statement with
    * BQL_ERR_CONNECTION. */
   const mongoc_ssl_opt_t *ssl_opts;
} bql_exec_options_t;

/* Run plan on client. options may be NULL.
 *
 * Threads: bql_execute may run in several threads at once, each with its
 * own client and plan (a mongoc_client_t runs one statement at a time,
 * as libmongoc says; a pool may be shared). It uses internal threads,
 * all joined before it returns: a reader thread reads
 * the input rows (a file, stdin_stream, next_row, VALUES) into batches
 * while the previous batch is on the wire, and with parallel_workers > 1
 * that many worker threads write batches, each on a client popped from
 * pool. progress and on_batch are called on the thread that called
 * bql_execute, in batch order, never concurrently; next_row is called on
 * the reader thread. cancel may be set from any thread or a signal
 * handler.
 *
 * Writes besides the statement's (bulkql(1) "LOGGING"): one document per
 * statement in bulk_operation_metrics of the target database unless
 * metrics = false, one document per batch with errors in
 * error_collection unless it is '' (or opts errorRecords is false), one
 * NDJSON line per failed row in failed_records_file when it is set.
 * A dry run writes nothing at all, neither to the server nor to a file;
 * its reply holds what would have been written: "metrics" (the
 * document), "errorCollection" ("db.coll"), "nErrorRecords" and
 * "errorRecords" (the first 100 documents), "failedRecordsFile",
 * "nFailedRecords" and "failedRecords" (the first 100 lines, as
 * documents).
 *
 * reply is initialised by this call even on failure (bson_destroy it) and
 * holds the statement's result with the driver's names: operationId,
 * statement, namespace, nInserted, nMatched, nModified, nUpserted,
 * nRemoved, nArchived, nFailed, upserted [{row, _id}], writeErrors [{row,
 * code, errmsg}] (at most 1000; writeErrorsTruncated when more), batches,
 * elapsedMs, docsPerSec, and dryRun / stopped when they apply; for UPDATE
 * ... FROM and DELETE ... USING also nUnmatched and unmatched [{row}] (the
 * rows that matched no document, at most 1000; for DELETE ... USING
 * nMatched counts the rows that matched, nRemoved the documents, and
 * with dry_run nWouldWrite the distinct documents that would go); logFailures [{batchIndex?, errmsg}] when an
 * error record or the metrics document could not be written. Row numbers
 * are positions in the statement's input (1-based), across batches and
 * across libmongoc's own splitting of a batch.
 *
 * Returns true when every row was written (or counted, with dry_run).
 * Returns false with *error (domain BQL_ERROR_EXECUTE) when:
 *   BQL_ERR_WRITE       rows failed (the reply lists them);
 *   BQL_ERR_ABORTED     the statement stopped early: max_errors,
 *                       max_execution_time, a cancel, or on_batch;
 *   BQL_ERR_REFUSED     a safety limit refused it before writing
 *                       (max_delete_count), or the documents one batch
 *                       of DELETE ... USING rows match exceed
 *                       memory_limit;
 *   BQL_ERR_SERVER      the server refused a command (server_code holds
 *                       its code; a feature the server lacks is named);
 *   BQL_ERR_CONNECTION  the server could not be reached;
 *   BQL_ERR_IO          the input file could not be read.
 * EXPLAIN plans are not run: use bql_plan_explain_json(). */
BQL_EXPORT bool bql_execute (mongoc_client_t *client,
                             const bql_plan_t *plan,
                             const bql_exec_options_t *options,
                             bson_t *reply,
                             bql_error_t *error);

/* Wait at most timeout_ms milliseconds (0: do not wait) until every
 * write command abandoned on a cancel (bql_exec_options_t.cancel) has
 * ended, in this process. Returns how many are still in flight (0:
 * none; their threads, clients and memory are freed). A program should
 * not call mongoc_cleanup() while one is. Thread-safe. */
BQL_EXPORT int bql_execute_abandoned_wait (int64_t timeout_ms);

#ifdef __cplusplus
}
#endif

#endif /* BULKQL_EXEC_H */
