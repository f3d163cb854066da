/*
 * log.c — accounting for failures (SPEC §3): every batch with an error
 * writes exactly one document to error_collection {operationId, statement,
 * batchIndex, batchSize, firstRow, startedAt, errorCode, errorMessage,
 * writeErrors: [{row, line?, code, errmsg}], writeConcernError, sampleDocument};
 * every failed row is appended to failed_records_file as one NDJSON line
 * {row, line?, code, error, document} (line: where the row starts in its
 * file); every statement writes one document to bulk_operation_metrics (a
 * dry run too, marked dryRun: it writes nothing else). Writing these
 * records never hides the original error: a failure to log is collected in
 * the reply's logFailures.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "executor.h"

#define METRICS_COLLECTION "bulk_operation_metrics"

/* Statement text kept in error and metrics records, in bytes: a statement
 * with its VALUES can be far larger than a document may be (16 MB). */
#define STATEMENT_MAX 4096

/* Append the statement's text as "statement", cut to STATEMENT_MAX bytes
 * (at a UTF-8 character boundary) with its full length when longer. */
static void
append_statement (bson_t *doc, const char *text)
{
   size_t len = strlen (text);
   if (len <= STATEMENT_MAX) {
      BSON_APPEND_UTF8 (doc, "statement", text);
      return;
   }
   size_t cut = STATEMENT_MAX;
   while (cut > 0 && ((unsigned char) text[cut] & 0xC0) == 0x80) {
      cut--; /* text[cut] continues a character: cut before it */
   }
   char *s = bson_strdup_printf ("%.*s... (%zu bytes)", (int) cut, text, len);
   BSON_APPEND_UTF8 (doc, "statement", s);
   bson_free (s);
}

static void
log_failure (bql_exec_t *x, int64_t batch_index, const char *fmt, const char *a, const char *b)
{
   char msg[800];
   snprintf (msg, sizeof msg, fmt, a, b);
   char kb[16];
   const char *k;
   bson_uint32_to_string (x->n_log_failures++, &k, kb, sizeof kb);
   bson_t one;
   bson_append_document_begin (&x->log_failures, k, -1, &one);
   if (batch_index >= 0) {
      BSON_APPEND_INT64 (&one, "batchIndex", batch_index);
   }
   BSON_APPEND_UTF8 (&one, "errmsg", msg);
   bson_append_document_end (&x->log_failures, &one);
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

/* One NDJSON line per failed row: {operationId, row, line?, code, error,
 * document}. */
static void
write_failed_record (bql_exec_t *x, const bql_row_error_t *e, int64_t line, const bson_t *doc)
{
   const char *path = x->opts->failed_records_file;
   if (!path || e->row <= 0) {
      return;
   }
   if (!x->failed_fp) {
      x->failed_fp = fopen (path, "a");
      if (!x->failed_fp) {
         if (x->n_log_failures < 100) {
            log_failure (x, -1, "cannot open failed_records_file %s: %s", path, strerror (errno));
         }
         return;
      }
   }
   bson_t rec = BSON_INITIALIZER;
   BSON_APPEND_UTF8 (&rec, "operationId", x->operation_id);
   BSON_APPEND_INT64 (&rec, "row", e->row);
   if (line > 0) {
      BSON_APPEND_INT64 (&rec, "line", line);
   }
   BSON_APPEND_INT32 (&rec, "code", e->code);
   BSON_APPEND_UTF8 (&rec, "error", e->errmsg);
   if (doc) {
      BSON_APPEND_DOCUMENT (&rec, "document", doc);
   } else {
      BSON_APPEND_NULL (&rec, "document");
   }
   char *json = bson_as_relaxed_extended_json (&rec, NULL);
   if (!json || fprintf (x->failed_fp, "%s\n", json) < 0) {
      if (x->n_log_failures < 100) {
         log_failure (x, -1, "cannot write failed_records_file %s: %s", path, strerror (errno));
      }
   }
   bson_free (json);
   bson_destroy (&rec);
}

static void
write_error_record (bql_exec_t *x, const bql_batch_info_t *info, const bql_batch_t *b, const bql_row_errors_t *errs,
                    int64_t started_at_ms)
{
   const char *coll_name = x->opts->error_collection;
   /* a batch that ended the statement (the server lost after the retries,
    * a command refused as a whole) has its record too, with the
    * statement's error when no row error says more */
   bool fatal_here = x->fatal && !x->fatal_logged;
   if (!coll_name || (errs->n == 0 && !fatal_here) || x->opts->dry_run) {
      return;
   }
   if (fatal_here) {
      x->fatal_logged = true;
   }
   bson_t rec = BSON_INITIALIZER, we;
   BSON_APPEND_UTF8 (&rec, "operationId", x->operation_id);
   append_statement (&rec, x->plan->statement_text);
   BSON_APPEND_INT64 (&rec, "batchIndex", info->batch_index);
   BSON_APPEND_INT64 (&rec, "batchSize", info->size);
   if (info->first_row > 0) {
      BSON_APPEND_INT64 (&rec, "firstRow", info->first_row);
   } else {
      BSON_APPEND_NULL (&rec, "firstRow");
   }
   BSON_APPEND_DATE_TIME (&rec, "startedAt", started_at_ms);
   BSON_APPEND_INT32 (&rec, "errorCode", errs->n ? errs->items[0].code : x->error->server_code);
   BSON_APPEND_UTF8 (&rec, "errorMessage", errs->n ? errs->items[0].errmsg : x->error->message);
   bson_append_array_begin (&rec, "writeErrors", -1, &we);
   const bql_row_error_t *wce = NULL;
   const bson_t *sample = NULL;
   uint32_t k = 0;
   for (size_t i = 0; i < errs->n; i++) {
      const bql_row_error_t *e = &errs->items[i];
      if (e->row <= 0 && !strncmp (e->errmsg, "write concern error", 19)) {
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
      BSON_APPEND_INT32 (&one, "code", e->code);
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
   if (sample) {
      BSON_APPEND_DOCUMENT (&rec, "sampleDocument", sample);
   } else {
      BSON_APPEND_NULL (&rec, "sampleDocument");
   }
   mongoc_collection_t *coll = mongoc_client_get_collection (x->client, x->plan->database, coll_name);
   bson_error_t berr;
   if (!mongoc_collection_insert_one (coll, &rec, NULL, NULL, &berr)) {
      char where[300];
      snprintf (where, sizeof where, "%s.%s", x->plan->database, coll_name);
      log_failure (x, info->batch_index, "cannot write the error record to %s: %s", where, berr.message);
   }
   mongoc_collection_destroy (coll);
   bson_destroy (&rec);
}

bool
bql_exec_finish_batch (bql_exec_t *x, bql_batch_info_t *info, const bql_batch_t *b, const bql_row_errors_t *errs,
                       int64_t started_at_ms)
{
   bson_t batch_errors = BSON_INITIALIZER;
   for (size_t i = 0; i < errs->n; i++) {
      const bql_row_error_t *e = &errs->items[i];
      bql_exec_add_write_error (x, &batch_errors, e->row, e->code, e->errmsg);
      /* a row, or a stored document (archival), failed; a write concern
       * error is about the batch and fails no row by itself */
      if (e->row > 0 || e->doc) {
         info->n_failed++;
      }
      if (e->row > 0) {
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
   /* a dry run writes this document too (marked dryRun) and nothing else */
   bson_t m = BSON_INITIALIZER;
   bson_iter_t it;
   BSON_APPEND_UTF8 (&m, "operationId", x->operation_id);
   BSON_APPEND_UTF8 (&m, "kind", bql_plan_statement_kind (x->plan));
   BSON_APPEND_UTF8 (&m, "collection", bql_plan_namespace (x->plan));
   append_statement (&m, x->plan->statement_text);
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
   if (x->plan->kind == BQL_KIND_DELETE) {
      attempted = x->n_removed + x->n_modified + x->n_failed;
   }
   BSON_APPEND_DOUBLE (&m, "errorRate", attempted > 0 ? (double) x->n_failed / (double) attempted : 0.0);
   BSON_APPEND_UTF8 (&m, "status", x->fatal ? "Failed" : x->stopped ? "Aborted" : x->n_failed ? "CompleteWithErrors" : "Complete");
   mongoc_collection_t *coll = mongoc_client_get_collection (x->client, x->plan->database, METRICS_COLLECTION);
   bson_error_t berr;
   if (!mongoc_collection_insert_one (coll, &m, NULL, NULL, &berr)) {
      log_failure (x, -1, "cannot write the metrics record to %s: %s", METRICS_COLLECTION, berr.message);
   }
   mongoc_collection_destroy (coll);
   bson_destroy (&m);
}
