/*
 * exec.c — bql_execute(): runs a plan on a server. It sets up the
 * statement's state, has its steps interpreted (steps_run.c), and finishes the
 * reply (SPEC §3) with the driver's names. What every kind of statement
 * shares (the statement's error, its reply's write errors, the lists of a
 * batch's refused rows, the checks made after every batch) is in
 * statement.c. Commands that write are sent by write_path.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "operation.h"

/* ---- the statement ---- */

static void
finish_reply (bql_exec_t *x, bson_t *reply)
{
   const bql_plan_t *plan = x->plan;
   double ms = bql_exec_elapsed_ms (x);
   BSON_APPEND_UTF8 (reply, "operationId", x->operation_id);
   BSON_APPEND_UTF8 (reply, "statement", bql_plan_statement_kind (plan));
   BSON_APPEND_UTF8 (reply, "namespace", bql_plan_namespace (plan));
   BSON_APPEND_INT64 (reply, "nInserted", x->n_inserted);
   BSON_APPEND_INT64 (reply, "nMatched", x->n_matched);
   BSON_APPEND_INT64 (reply, "nModified", x->n_modified);
   if (x->n_modified_unknown) {
      /* matched rows of a batch whose account the server lost (write_rows.c) */
      BSON_APPEND_INT64 (reply, "nModifiedUnknown", x->n_modified_unknown);
   }
   BSON_APPEND_INT64 (reply, "nUpserted", x->n_upserted);
   BSON_APPEND_INT64 (reply, "nRemoved", x->n_removed);
   BSON_APPEND_INT64 (reply, "nArchived", x->n_archived);
   BSON_APPEND_INT64 (reply, "nFailed", x->n_failed);
   if (bql_exec_has_step (x, BQL_STEP_UPDATE_ROWS) || bql_exec_has_step (x, BQL_STEP_MATCH_ROWS)) {
      BSON_APPEND_INT64 (reply, "nUnmatched", x->n_unmatched);
      BSON_APPEND_ARRAY (reply, "unmatched", &x->unmatched);
      if (x->n_unmatched_rows > BQL_REPLY_MAX_ERRORS) {
         BSON_APPEND_BOOL (reply, "unmatchedTruncated", true);
      }
   }
   if (x->row_based) {
      /* every input row is accounted for: written, failed, or not
       * attempted (after an ordered stop, or rows never read because the
       * statement stopped) */
      int64_t rows = x->rows_total >= 0 ? x->rows_total : x->rows_done;
      /* (nAlreadyWritten: in-doubt rows of a resume found stored, counted
       * in nInserted too) */
      int64_t accounted = x->n_inserted + x->n_upserted + x->n_matched + x->n_unmatched + x->n_failed + x->n_would_write;
      if (bql_exec_has_step (x, BQL_STEP_UPSERT_ROWS) && !x->opts->dry_run) {
         accounted = x->n_upserted + x->n_matched + x->n_failed + x->n_inserted;
      }
      if (bql_exec_has_step (x, BQL_STEP_MATCH_ROWS)) {
         /* a row matched documents (nMatched), matched none, or failed;
          * nRemoved and nWouldWrite count documents */
         accounted = x->n_matched + x->n_unmatched + x->n_failed;
      }
      BSON_APPEND_INT64 (reply, "nRows", rows);
      if (x->opts->dry_run) {
         BSON_APPEND_INT64 (reply, "nWouldWrite", x->n_would_write);
      }
      if (rows > accounted) {
         BSON_APPEND_INT64 (reply, "nNotAttempted", rows - accounted);
      }
   }
   if (x->resume) {
      /* what this run of a resumed operation found: rows done before,
       * in-doubt inserts already stored; the counts above are the
       * operation's, carried over */
      BSON_APPEND_INT32 (reply, "resumes", x->resume->resumes);
      if (x->row_based) {
         BSON_APPEND_INT64 (reply, "nSkipped", x->n_skipped);
      }
      BSON_APPEND_INT64 (reply, "nAlreadyWritten", x->n_already_written);
   }
   if (x->resume || x->n_in_doubt) {
      BSON_APPEND_INT64 (reply, "nInDoubt", x->n_in_doubt);
      BSON_APPEND_ARRAY (reply, "inDoubt", &x->in_doubt);
      if (x->n_in_doubt_listed > BQL_REPLY_MAX_ERRORS) {
         BSON_APPEND_BOOL (reply, "inDoubtTruncated", true);
      }
   }
   BSON_APPEND_ARRAY (reply, "upserted", &x->upserted);
   BSON_APPEND_ARRAY (reply, "writeErrors", &x->write_errors);
   if (x->n_write_errors > BQL_REPLY_MAX_ERRORS) {
      BSON_APPEND_BOOL (reply, "writeErrorsTruncated", true);
   }
   BSON_APPEND_INT64 (reply, "batches", x->batches);
   if (x->retries) {
      BSON_APPEND_INT64 (reply, "retries", x->retries);
   }
   BSON_APPEND_DOUBLE (reply, "elapsedMs", ms);
   int64_t docs = x->n_inserted + x->n_modified + x->n_upserted + x->n_removed;
   if (x->resume) {
      /* this run's rate: without the counts carried over */
      const bql_op_counters_t *c = &x->resume->carried;
      docs -= c->n_inserted + c->n_modified + c->n_upserted + c->n_removed;
   }
   BSON_APPEND_DOUBLE (reply, "docsPerSec", ms > 0 ? (double) docs * 1000.0 / ms : 0.0);
   if (x->opts->dry_run) {
      BSON_APPEND_BOOL (reply, "dryRun", true);
   }
   if (x->stopped) {
      BSON_APPEND_UTF8 (reply, "stopped", x->stop_reason);
   }
   if (x->merged) {
      BSON_APPEND_UTF8 (reply, "serverSide", "$merge: the server wrote the rows and reports no counts");
   }
}

/* Apply bql_exec_options_t.opts to x->run_opts; false with *error (domain
 * USAGE, BQL_ERR_OPTION) on an unknown key or a value of the wrong type. */
static bool
apply_exec_opts (bql_options_t *o, const bson_t *opts, bql_error_t *error)
{
   bson_iter_t it;
   if (!opts) {
      return true;
   }
   const char *bad = NULL, *want = NULL;
   if (!bson_iter_init (&it, opts)) {
      bad = "(document)";
      want = "valid BSON";
   }
   while (!bad && bson_iter_next (&it)) {
      const char *k = bson_iter_key (&it);
      if (!strcmp (k, "metrics")) {
         if (!BSON_ITER_HOLDS_BOOL (&it)) {
            bad = k, want = "a bool";
         } else {
            o->metrics = bson_iter_bool (&it);
         }
      } else if (!strcmp (k, "errorRecords")) {
         if (!BSON_ITER_HOLDS_BOOL (&it)) {
            bad = k, want = "a bool";
         } else if (!bson_iter_bool (&it)) {
            o->error_collection = NULL;
         }
      } else if (!strcmp (k, "maxTimeMS")) {
         if (!(BSON_ITER_HOLDS_INT32 (&it) || BSON_ITER_HOLDS_INT64 (&it)) || bson_iter_as_int64 (&it) < 0) {
            bad = k, want = "a number of milliseconds (an integer >= 0)";
         } else {
            o->max_execution_ms = bson_iter_as_int64 (&it);
         }
      } else {
         error->domain = BQL_ERROR_USAGE;
         error->code = BQL_ERR_OPTION;
         snprintf (error->message, sizeof error->message, "bql_execute opts: unknown option \"%s\"", k);
         snprintf (error->hint, sizeof error->hint, "%s",
                   "The run's options are metrics, errorRecords and maxTimeMS; WITH options go to bql_plan_new.");
         return false;
      }
   }
   if (bad) {
      error->domain = BQL_ERROR_USAGE;
      error->code = BQL_ERR_OPTION;
      snprintf (error->message, sizeof error->message, "bql_execute opts: \"%s\" must be %s", bad, want);
      return false;
   }
   return true;
}

bool
bql_execute (mongoc_client_t *client, const bql_plan_t *plan, const bql_exec_options_t *options, bson_t *reply,
             bql_error_t *error)
{
   return bql_exec_statement (client, plan, options, NULL, reply, error);
}

/* The counts of a resumed operation's document, as if this run had
 * made them: the reply, the checkpoints and the metrics are the
 * operation's. */
static void
carry_over (bql_exec_t *x, const bql_resume_t *r)
{
   const bql_op_counters_t *c = &r->carried;
   x->n_inserted = c->n_inserted;
   x->n_matched = c->n_matched;
   x->n_modified = c->n_modified;
   x->n_upserted = c->n_upserted;
   x->n_removed = c->n_removed;
   x->n_archived = c->n_archived;
   x->n_failed = c->n_failed;
   x->n_already_written = c->n_already_written;
   x->n_in_doubt = c->n_in_doubt; /* (listed by the run that found them) */
   x->batches = c->batches;
   if (!x->plan->has_rows && !x->plan->file && !x->plan->select) {
      /* UPDATE/DELETE ... WHERE: the scan goes on after lastId, so the
       * documents done before are not counted again (rows read from an
       * input are: every row is read again, for its number) */
      x->rows_done = c->rows_done;
   }
}

bool
bql_exec_statement (mongoc_client_t *client, const bql_plan_t *plan, const bql_exec_options_t *options,
                    const bql_resume_t *resume, bson_t *reply, bql_error_t *error)
{
   bql_error_t scratch;
   if (reply) {
      bson_init (reply);
   }
   if (!error) {
      error = &scratch;
   }
   bql_error_clear (error);
   if (!client || !plan || !reply) {
      error->domain = BQL_ERROR_USAGE;
      error->code = BQL_ERR_INVALID_ARG;
      snprintf (error->message, sizeof error->message, "bql_execute: NULL argument");
      return false;
   }
   if (plan->explain) {
      error->domain = BQL_ERROR_USAGE;
      error->code = BQL_ERR_INVALID_ARG;
      snprintf (error->message, sizeof error->message, "an EXPLAIN statement is printed, not run");
      return false;
   }

   bql_exec_t x;
   memset (&x, 0, sizeof x);
   x.client = client;
   x.plan = plan;
   x.run_opts = plan->opts;
   x.opts = &x.run_opts;
   if (options) {
      /* the fields the caller knows of (size), the rest zero */
      size_t n = options->size && options->size < sizeof x.xo ? options->size : sizeof x.xo;
      memcpy (&x.xo, options, n);
   }
   if (!apply_exec_opts (&x.run_opts, x.xo.opts, error)) {
      return false;
   }
   if (x.xo.next_row && plan->file && plan->file->is_stdin && plan->file->compression) {
      error->domain = BQL_ERROR_USAGE;
      error->code = BQL_ERR_INVALID_ARG;
      snprintf (error->message, sizeof error->message, "%s",
                "rows from next_row are documents: FROM STDIN takes no COMPRESSION then");
      return false;
   }
   x.error = error;
   x.start_us = bson_get_monotonic_time ();
   x.started_at_ms = bql_wall_ms ();
   x.rows_total = -1;
   x.bytes_total = -1;
   if (resume) {
      /* the same operation id: the same deterministic _ids */
      x.resume = resume;
      snprintf (x.operation_id, sizeof x.operation_id, "%s", resume->operation_id);
      x.operation_oid = resume->oid;
      carry_over (&x, resume);
   } else {
      bson_oid_init (&x.operation_oid, NULL);
      bson_oid_to_string (&x.operation_oid, x.operation_id);
   }
   bson_init (&x.in_doubt);
   bql_operation_new (&x);
   x.wait_hook = bql_operation_heartbeat;
   bson_init (&x.write_errors);
   bson_init (&x.upserted);
   bson_init (&x.unmatched);
   bson_init (&x.log_failures);
   bson_init (&x.would_log);
   bson_init (&x.would_errors);
   bson_init (&x.would_failed);
   x.coll = mongoc_client_get_collection (client, plan->database, plan->collection);
   bql_id_record_t id_record;
   if (bql_exec_has_step (&x, BQL_STEP_READ_ALL_IDS)) {
      bql_id_record_init (&id_record, x.opts->memory_limit);
      x.id_record = &id_record;
   }

   bool ok = bql_exec_open_failed_records (&x) && bql_exec_run_steps (&x);

   bql_exec_close_failed_records (&x);
   finish_reply (&x, reply);
   bql_exec_run_end_steps (&x, reply);
   bql_exec_log_done (&x);
   if (x.n_log_failures) {
      BSON_APPEND_ARRAY (reply, "logFailures", &x.log_failures);
   }
   if (!bson_empty (&x.would_log)) {
      /* a dry run writes nothing: what it would have logged */
      BSON_APPEND_DOCUMENT (reply, "metrics", &x.would_log);
   }
   if (x.n_would_errors) {
      char *ns = bson_strdup_printf ("%s.%s", plan->database, x.opts->error_collection);
      BSON_APPEND_UTF8 (reply, "errorCollection", ns);
      bson_free (ns);
      BSON_APPEND_INT64 (reply, "nErrorRecords", x.n_would_errors);
      BSON_APPEND_ARRAY (reply, "errorRecords", &x.would_errors);
   }
   if (x.n_would_failed) {
      BSON_APPEND_UTF8 (reply, "failedRecordsFile", x.opts->failed_records_file);
      BSON_APPEND_INT64 (reply, "nFailedRecords", x.n_would_failed);
      BSON_APPEND_ARRAY (reply, "failedRecords", &x.would_failed);
   }
   if (!x.fatal && x.failed_lost > 0) {
      /* rows the file should hold are not in it: the statement fails */
      bql_exec_fail (&x, BQL_ERR_IO, 0, "%lld row%s failed; %lld of them could not be written: %s",
                     (long long) x.n_failed, x.n_failed == 1 ? "" : "s", (long long) x.failed_lost, x.failed_errmsg);
   } else if (!x.fatal && x.n_in_doubt > 0) {
      /* not sent again: applying them twice would be wrong */
      bql_exec_fail (&x, BQL_ERR_WRITE, 0,
                     "%lld %s%s failed, %lld of them in doubt: they may or may not have been written, and their "
                     "writes are not idempotent, so they were not sent again (inDoubt lists them)",
                     (long long) x.n_failed, x.row_based ? "row" : "document", x.n_failed == 1 ? "" : "s",
                     (long long) x.n_in_doubt);
   } else if (!x.fatal && x.n_failed > 0 && x.row_based) {
      bql_exec_fail (&x, BQL_ERR_WRITE, 0, "%lld row%s failed", (long long) x.n_failed, x.n_failed == 1 ? "" : "s");
   } else if (!x.fatal && x.n_failed > 0) {
      /* stored documents (UPDATE/DELETE ... WHERE): say what went wrong */
      bql_exec_fail (&x, BQL_ERR_WRITE, 0, "%lld document%s failed: %s", (long long) x.n_failed,
                     x.n_failed == 1 ? "" : "s", x.first_errmsg);
   } else if (!x.fatal && x.stopped) {
      bql_exec_fail (&x, BQL_ERR_ABORTED, 0, "%s", x.stop_reason);
   }
   ok = ok && !x.fatal;
   bql_operation_free (&x);
   if (x.id_record) {
      bql_id_record_cleanup (x.id_record);
   }
   mongoc_collection_destroy (x.coll);
   bson_destroy (&x.write_errors);
   bson_destroy (&x.upserted);
   bson_destroy (&x.unmatched);
   bson_destroy (&x.log_failures);
   bson_destroy (&x.would_log);
   bson_destroy (&x.would_errors);
   bson_destroy (&x.would_failed);
   bson_destroy (&x.in_doubt);
   return ok;
}
