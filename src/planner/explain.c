/*
 * explain.c — EXPLAIN: a plan as the commands it will send. The document
 * names the statement and namespace, lists every option that applies with
 * its resolved value, describes the row source, and prints the plan's
 * steps (steps.c: the same list the executor interprets) in order with
 * their command templates. Rows written with VALUES are shown batch by
 * batch (bql_steps_expand_values); what is known only at run time appears
 * as a "<...>" placeholder. This file knows nothing of how a statement
 * runs. The JSON form is canonical Extended JSON, indented for reading.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "columns.h"
#include "json_pretty.h"
#include "planner.h"
#include "steps.h"

/* One step as EXPLAIN prints it: what it does, the VALUES rows of its
 * batch, the command (template), how it runs on a server whose update
 * command loses its counts, and on one whose _id $in lookup reads the
 * whole collection. */
static void
append_step (bson_t *arr, uint32_t i, const bql_step_t *st)
{
   char kb[16];
   const char *k;
   bson_t step;
   bson_uint32_to_string (i, &k, kb, sizeof kb);
   bson_append_document_begin (arr, k, -1, &step);
   BSON_APPEND_UTF8 (&step, "step", st->what);
   if (st->first_row > 0) {
      BSON_APPEND_INT64 (&step, "firstRow", st->first_row);
      BSON_APPEND_INT64 (&step, "lastRow", st->last_row);
   }
   BSON_APPEND_DOCUMENT (&step, "command", &st->command);
   if (st->one_per_command) {
      BSON_APPEND_UTF8 (&step, "oneStatementPerCommand",
                        "the SET list writes a field the row's filter reads: which rows matched nothing is known "
                        "only from a command of one statement");
   } else if (st->if_counts_lost != BQL_LOST_SAME) {
      BSON_APPEND_UTF8 (&step, "ifUpdateCountsLost", st->if_lost_note);
   }
   if (st->if_id_lookup_scans != BQL_SCANS_SAME) {
      BSON_APPEND_UTF8 (&step, "ifIdLookupScans", st->if_scans_note);
   }
   bson_append_document_end (arr, &step);
}

/* The columns of a CSV/TSV load with the types inferred from the file's
 * sample (sources/file.c; absent when only the planner library is linked,
 * then the plan shows the column list as written). */
bool bql_file_sniff_columns (const bql_plan_t *plan, bql_columns_t *out) __attribute__ ((weak));

/* The threads that parse the plan's input of a format (sources/parallel.c,
 * which a load calls: 1 for a JSON array or stream, else parse_threads or
 * the plan's cores, within memory_limit; weak as above: absent, the plan
 * shows none). */
int bql_parallel_threads (const bql_plan_t *plan, bql_format_t format) __attribute__ ((weak));

static void
append_columns (bson_t *src, const bql_columns_t *cols, bool sniffed)
{
   bson_t arr;
   bson_append_array_begin (src, "columns", -1, &arr);
   for (size_t i = 0; i < cols->n; i++) {
      char kb[16];
      const char *k;
      bson_uint32_to_string ((uint32_t) i, &k, kb, sizeof kb);
      bson_t c;
      bson_append_document_begin (&arr, k, -1, &c);
      BSON_APPEND_UTF8 (&c, "name", cols->cols[i].path);
      BSON_APPEND_UTF8 (&c, "type", bql_coltype_name (cols->cols[i].type));
      if (cols->cols[i].format) {
         BSON_APPEND_UTF8 (&c, "format", cols->cols[i].format);
      }
      if (sniffed) {
         BSON_APPEND_BOOL (&c, "inferred", cols->cols[i].inferred);
      }
      bson_append_document_end (&arr, &c);
   }
   bson_append_array_end (src, &arr);
}

static void
file_source (const bql_plan_t *plan, bson_t *out)
{
   const bql_FileSource_t *fs = plan->file;
   bql_file_opts_t fo;
   bql_error_t e;
   bql_error_clear (&e);
   size_t source_len;
   const char *source = bql_script_source (plan->script, &source_len);
   bql_planner_t pl = {plan, source, source_len, &e, NULL};
   bson_t src;
   bson_append_document_begin (out, "source", -1, &src);
   if (fs->is_stdin) {
      BSON_APPEND_UTF8 (&src, "file", "<standard input>");
   } else {
      BSON_APPEND_UTF8 (&src, "file", plan->file_path ? plan->file_path : fs->path);
   }
   if (bql_file_options_resolve (&pl, fs, &fo)) {
      static const char *const fmts[] = {"CSV", "TSV", "NDJSON", "JSON"};
      BSON_APPEND_UTF8 (&src, "format", fmts[fo.format]);
      BSON_APPEND_UTF8 (&src, "compression", fo.gzip ? "GZIP" : "NONE");
      if (fo.format == BQL_FMT_CSV || fo.format == BQL_FMT_TSV) {
         char d[2] = {fo.delimiter, 0}, q[2] = {fo.quote, 0};
         BSON_APPEND_BOOL (&src, "header", fo.header);
         BSON_APPEND_UTF8 (&src, "delimiter", d);
         BSON_APPEND_UTF8 (&src, "quote", q);
         if (fo.null_string) {
            BSON_APPEND_UTF8 (&src, "null_string", fo.null_string);
         }
         static const char *const blanks[] = {"null", "omit", "empty"};
         BSON_APPEND_UTF8 (&src, "blanks", blanks[fo.blanks]);
         BSON_APPEND_INT64 (&src, "infer_rows", fo.infer_rows);
         if (fo.array_index_fields) {
            BSON_APPEND_BOOL (&src, "array_index_fields", true);
         }
      }
      if (fo.skip_lines) {
         BSON_APPEND_INT64 (&src, "skip_lines", fo.skip_lines);
      }
      /* the threads a load runs to parse the input (the option is null
       * when left out: this is the number it comes to) */
      if (bql_parallel_threads) {
         BSON_APPEND_INT32 (&src, "parse_threads", bql_parallel_threads (plan, fo.format));
      }
      bql_file_opts_cleanup (&fo);
   }
   bql_columns_t sniffed;
   if (bql_file_sniff_columns && bql_file_sniff_columns (plan, &sniffed)) {
      append_columns (&src, &sniffed, true);
      bql_columns_cleanup (&sniffed);
   } else if (plan->cols && plan->cols->n) {
      append_columns (&src, plan->cols, false);
   }
   if (plan->check) {
      char *text = bson_strndup (bql_script_source (plan->script, NULL) + plan->check->location, (size_t) plan->check->length);
      BSON_APPEND_UTF8 (&src, "check", text);
      bson_free (text);
   }
   bson_append_document_end (out, &src);
}

static void
values_source (const bql_plan_t *plan, bson_t *out)
{
   bson_t src;
   bson_append_document_begin (out, "source", -1, &src);
   BSON_APPEND_INT64 (&src, "values", (int64_t) plan->rows.count + plan->nfailed);
   if (plan->check) {
      char *text = bson_strndup (bql_script_source (plan->script, NULL) + plan->check->location, (size_t) plan->check->length);
      BSON_APPEND_UTF8 (&src, "check", text);
      bson_free (text);
   }
   if (plan->nfailed) {
      BSON_APPEND_ARRAY (&src, "failedRows", &plan->failed);
   }
   bson_append_document_end (out, &src);
}

/* INSERT/UPSERT ... SELECT: where the rows are read, and how each row's
 * columns are picked from a document of the AGGREGATE step's cursor
 * (select.c's row template). */
static void
select_source (const bql_plan_t *plan, bson_t *out)
{
   bson_t src;
   bson_append_document_begin (out, "source", -1, &src);
   char *from = bson_strdup_printf ("%s.%s", plan->select_database, plan->select_collection);
   BSON_APPEND_UTF8 (&src, "select", from);
   bson_free (from);
   if (bson_empty (&plan->select_row)) {
      BSON_APPEND_UTF8 (&src, "row", "<each document of the cursor as it is>");
   } else {
      BSON_APPEND_DOCUMENT (&src, "row", &plan->select_row);
   }
   bson_append_document_end (out, &src);
}

static void explain_records (const bql_plan_t *plan, bson_t *out);

bool
bql_plan_explain (const bql_plan_t *plan, bson_t *out, bql_error_t *error)
{
   bson_init (out);
   bql_error_t scratch;
   if (!error) {
      error = &scratch;
   }
   bql_error_clear (error);
   if (!plan) {
      error->domain = BQL_ERROR_USAGE;
      error->code = BQL_ERR_INVALID_ARG;
      snprintf (error->message, sizeof error->message, "bql_plan_explain: NULL plan");
      return false;
   }
   BSON_APPEND_UTF8 (out, "statement", bql_plan_statement_kind (plan));
   BSON_APPEND_UTF8 (out, "namespace", bql_plan_namespace (plan));
   bson_t opts;
   bson_append_document_begin (out, "options", -1, &opts);
   bql_options_append (&plan->opts, plan->kind, &opts);
   bson_append_document_end (out, &opts);
   if (plan->has_rows) {
      values_source (plan, out);
   } else if (plan->file) {
      file_source (plan, out);
   } else if (plan->select) {
      select_source (plan, out);
   }
   if (plan->opts.dry_run) {
      BSON_APPEND_BOOL (out, "dryRun", true);
   }
   if (plan->pipeline) {
      /* u is an aggregation pipeline ([{$set: ...}]), not update operators */
      BSON_APPEND_BOOL (out, "pipelineUpdate", true);
   }

   bql_steps_t steps = {0}; /* cleaned up even when the plan has no steps */
   bool ok = plan->steps_ok;
   if (!ok) {
      *error = plan->steps_error;
   }
   ok = ok && bql_steps_expand_values (plan, &plan->steps, &steps, error);
   bson_t steps_doc;
   bson_append_array_begin (out, "steps", -1, &steps_doc);
   for (size_t i = 0; ok && i < steps.n; i++) {
      append_step (&steps_doc, (uint32_t) i, &steps.items[i]);
   }
   bql_steps_cleanup (&steps);
   bson_append_array_end (out, &steps_doc);
   if (plan->explain_only) {
      explain_records (plan, out);
   }
   return ok;
}

/* One entry of "records": to (a namespace or "file PATH"), when, and the
 * fields of each document (a NULL-terminated list). */
static void
record_entry (bson_t *arr, uint32_t i, const char *to, const char *when, const char *const *fields)
{
   char kb[16];
   const char *key;
   bson_uint32_to_string (i, &key, kb, sizeof kb);
   bson_t e, f;
   bson_append_document_begin (arr, key, -1, &e);
   BSON_APPEND_UTF8 (&e, "to", to);
   BSON_APPEND_UTF8 (&e, "when", when);
   bson_append_array_begin (&e, "fields", -1, &f);
   for (uint32_t k = 0; fields[k]; k++) {
      bson_uint32_to_string (k, &key, kb, sizeof kb);
      BSON_APPEND_UTF8 (&f, key, fields[k]);
   }
   bson_append_array_end (&e, &f);
   bson_append_document_end (arr, &e);
}

/* An --explain run (explain_only) runs and writes nothing: "records" says
 * what running the statement would write besides its rows (bulkql(1)
 * "LOGGING"), none with dry_run. */
static void
explain_records (const bql_plan_t *plan, bson_t *out)
{
   static const char *const metrics[] = {"_id", "operationId", "kind", "collection", "statement", "startedAt",
                                         "elapsedMs", "nInserted", "nMatched", "nModified", "nUpserted", "nRemoved",
                                         "nArchived", "nFailed", "nUnmatched", "nRows", "batches", "docsPerSec",
                                         "errorRate", "status", NULL};
   static const char *const errors[] = {"_id", "operationId", "statement", "batchIndex", "batchSize", "firstRow",
                                        "startedAt", "errorCode", "errorMessage", "writeErrors",
                                        "writeConcernError", "sampleDocument", NULL};
   static const char *const failed[] = {"operationId", "row", "line", "code", "error", "document", NULL};
   const bql_options_t *o = &plan->opts;
   bson_t arr;
   uint32_t n = 0;
   bson_append_array_begin (out, "records", -1, &arr);
   /* the metrics and error records: where the plan's WRITE_METRICS and
    * WRITE_ERROR_RECORD steps send them (a dry run has neither) */
   const bql_step_kind_t kinds[] = {BQL_STEP_WRITE_METRICS, BQL_STEP_WRITE_ERROR_RECORD};
   const char *const when[] = {"one document when the statement ends", "one document per batch with failed rows"};
   const char *const *fields[] = {metrics, errors};
   for (size_t k = 0; k < 2; k++) {
      const bql_step_t *st = bql_steps_find (&plan->steps, kinds[k]);
      bson_iter_t it;
      if (st && bson_iter_init_find (&it, &st->command, "insert") && BSON_ITER_HOLDS_UTF8 (&it)) {
         char *to = bson_strdup_printf ("%s.%s", plan->database, bson_iter_utf8 (&it, NULL));
         record_entry (&arr, n++, to, when[k], fields[k]);
         bson_free (to);
      }
   }
   /* the operation's document: where the OPEN_OPERATION step inserts it,
    * with the fields of its template */
   const bql_step_t *open = bql_steps_find (&plan->steps, BQL_STEP_OPEN_OPERATION);
   bson_t doc;
   bson_iter_t it;
   if (open && bql_step_sub (open, "documents.0", &doc) && bson_iter_init (&it, &doc)) {
      const char *names[64];
      size_t nf = 0;
      while (nf < 63 && bson_iter_next (&it)) {
         names[nf++] = bson_iter_key (&it);
      }
      names[nf] = NULL;
      char *to = bson_strdup_printf ("%s.%s", bql_plan_operations_database (plan), BQL_OPERATIONS_COLLECTION);
      record_entry (&arr, n++, to, "one document per statement, updated at its checkpoints and when it ends", names);
      bson_free (to);
   }
   if (!o->dry_run && o->failed_records_file) {
      char *to = bson_strdup_printf ("file %s", o->failed_records_file);
      record_entry (&arr, n++, to, "one NDJSON line per failed row", failed);
      bson_free (to);
   }
   bson_append_array_end (out, &arr);
}

char *
bql_plan_explain_json (const bql_plan_t *plan, bql_error_t *error)
{
   bson_t doc;
   if (!bql_plan_explain (plan, &doc, error)) {
      bson_destroy (&doc);
      return NULL;
   }
   char *json = bson_as_canonical_extended_json (&doc, NULL);
   bson_destroy (&doc);
   char *out = json ? bql_json_pretty (json) : NULL;
   bson_free (json);
   return out;
}
