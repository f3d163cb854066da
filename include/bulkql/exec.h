/*
 * bulkql/exec.h — running plans on a MongoDB server through libmongoc:
 * batches, ordered and unordered bulk writes, retries of retryable errors,
 * archive-before-delete, per-batch error records and statement metrics
 * (SPEC §3), with callbacks for progress and per-batch results.
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
} bql_progress_t;

/* A retry of a batch lost to a retryable error (retry_attempts,
 * retry_backoff_ms), passed to on_retry just before its backoff wait. */
typedef struct bql_retry_info {
   int attempt;          /* 1-based: the n-th retry of this batch */
   int max_attempts;     /* the statement's retry_attempts */
   int64_t backoff_ms;   /* the wait before the attempt, milliseconds */
   int64_t batches_done; /* batches completed before this retry */
} bql_retry_info_t;

/* Return false to stop the statement after this batch (as a cancel). */
typedef bool (*bql_batch_fn) (const bql_batch_info_t *info, void *ctx);
typedef void (*bql_progress_fn) (const bql_progress_t *progress, void *ctx);
typedef void (*bql_retry_fn) (const bql_retry_info_t *info, void *ctx);

typedef struct bql_exec_options {
   bql_progress_fn progress; /* may be NULL */
   void *progress_ctx;
   bql_batch_fn on_batch;    /* may be NULL */
   void *batch_ctx;
   /* When *cancel becomes non-zero (say, from a SIGINT handler) the
    * statement stops after the batch in flight and reports what it did.
    * May be NULL. */
   const volatile int *cancel;
   /* Batches in flight at once (parallel_workers > 1) are written on
    * clients popped from this pool, one per worker, pushed back when the
    * statement ends; when NULL, a pool is made for the statement from
    * client's URI (mongoc_client_get_uri) and destroyed after it. */
   mongoc_client_pool_t *pool;
   /* The input of FROM STDIN; NULL means the process's stdin. */
   FILE *stdin_stream;
   /* Called before each retry's backoff (from the thread that retries:
    * with parallel_workers, a worker thread); may be NULL. */
   bql_retry_fn on_retry;
   void *retry_ctx;
} bql_exec_options_t;

/* Run plan on client (not thread-safe: one statement per client at a
 * time; pass a pool for parallel batches). options may be NULL.
 *
 * reply is initialised by this call even on failure (bson_destroy it) and
 * holds the statement's result with the driver's names: operationId,
 * statement, namespace, nInserted, nMatched, nModified, nUpserted,
 * nRemoved, nArchived, nFailed, upserted [{row, _id}], writeErrors [{row,
 * code, errmsg}] (at most 1000; writeErrorsTruncated when more), batches,
 * elapsedMs, docsPerSec, and dryRun / stopped when they apply; for UPDATE
 * ... FROM also nUnmatched and unmatched [{row}] (the rows that matched no
 * document, at most 1000); logFailures [{batchIndex?, errmsg}] when an
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
 *                       (max_delete_count);
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

#ifdef __cplusplus
}
#endif

#endif /* BULKQL_EXEC_H */
