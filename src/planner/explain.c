/*
 * explain.c — EXPLAIN: a plan as the commands it will send. The document
 * names the statement and namespace, lists every option that applies with
 * its resolved value, describes the row source, and gives the steps in
 * order with the exact command documents (insert/update/delete/find with
 * their filters, update operators, upsert flags, ordered, writeConcern and
 * bypassDocumentValidation). Rows written with VALUES are shown batch by
 * batch; what is known only at run time appears as a "<...>" placeholder.
 * The JSON form is canonical Extended JSON, indented for reading.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "columns.h"
#include "json_pretty.h"
#include "planner.h"

void
bql_plan_write_options (const bql_plan_t *plan, bool ordered, bson_t *cmd)
{
   BSON_APPEND_BOOL (cmd, "ordered", ordered);
   if (!bson_empty (&plan->opts.write_concern)) {
      BSON_APPEND_DOCUMENT (cmd, "writeConcern", &plan->opts.write_concern);
   }
   if (plan->opts.bypass_validation) {
      BSON_APPEND_BOOL (cmd, "bypassDocumentValidation", true);
   }
}

typedef struct {
   bson_t *steps;
   uint32_t n;
} steps_t;

static void
add_step (steps_t *s, const bson_t *step)
{
   char kb[16];
   const char *k;
   bson_uint32_to_string (s->n++, &k, kb, sizeof kb);
   bson_append_document (s->steps, k, -1, step);
}

static void
add_command_step (steps_t *s, const char *what, const bson_t *command, int64_t first_row, int64_t last_row)
{
   bson_t step = BSON_INITIALIZER;
   BSON_APPEND_UTF8 (&step, "step", what);
   if (first_row > 0) {
      BSON_APPEND_INT64 (&step, "firstRow", first_row);
      BSON_APPEND_INT64 (&step, "lastRow", last_row);
   }
   BSON_APPEND_DOCUMENT (&step, "command", command);
   add_step (s, &step);
   bson_destroy (&step);
}

/* Iterate the plan's VALUES rows. */
typedef struct {
   const bql_rows_t *rows;
   size_t off;
   size_t i;
} rows_iter_t;

static bool
rows_next (rows_iter_t *it, bson_t *doc, int64_t *rownum)
{
   if (it->i >= it->rows->count) {
      return false;
   }
   uint32_t len;
   memcpy (&len, it->rows->data + it->off, 4);
   len = BSON_UINT32_FROM_LE (len);
   bson_init_static (doc, it->rows->data + it->off, len);
   *rownum = it->rows->rownum[it->i];
   it->off += len;
   it->i++;
   return true;
}

static int32_t
batch_size (const bql_plan_t *plan)
{
   return bql_options_batch (&plan->opts);
}

/* INSERT ... VALUES: insert commands of batch_size rows. */
static void
insert_batches (const bql_plan_t *plan, steps_t *s, bool ordered)
{
   rows_iter_t it = {&plan->rows, 0, 0};
   bson_t doc;
   int64_t rownum;
   bool more = rows_next (&it, &doc, &rownum);
   while (more) {
      bson_t cmd = BSON_INITIALIZER, docs;
      BSON_APPEND_UTF8 (&cmd, "insert", plan->collection);
      bql_plan_write_options (plan, ordered, &cmd);
      bson_append_array_begin (&cmd, "documents", -1, &docs);
      int64_t first = rownum, last = rownum;
      for (int32_t i = 0; more && i < batch_size (plan); i++) {
         char kb[16];
         const char *k;
         bson_uint32_to_string ((uint32_t) i, &k, kb, sizeof kb);
         bson_append_document (&docs, k, -1, &doc);
         last = rownum;
         more = rows_next (&it, &doc, &rownum);
      }
      bson_append_array_end (&cmd, &docs);
      add_command_step (s, "insert", &cmd, first, last);
      bson_destroy (&cmd);
   }
}

/* Per-row writes (UPSERT, UPDATE ... FROM, upsert_mode) of VALUES rows:
 * update commands of batch_size statements. */
static bool
row_write_batches (const bql_plan_t *plan, steps_t *s, bool upsert, bool multi, bql_error_t *error)
{
   const char *what = plan->replace ? "replace (upsert)" : upsert ? "upsert" : "update";
   rows_iter_t it = {&plan->rows, 0, 0};
   bson_t doc;
   int64_t rownum;
   bool more = rows_next (&it, &doc, &rownum);
   while (more) {
      bson_t cmd = BSON_INITIALIZER, ups;
      BSON_APPEND_UTF8 (&cmd, "update", plan->collection);
      bql_plan_write_options (plan, plan->opts.ordered, &cmd);
      bson_append_array_begin (&cmd, "updates", -1, &ups);
      int64_t first = rownum, last = rownum;
      for (int32_t i = 0; more && i < batch_size (plan); i++) {
         bson_t q = BSON_INITIALIZER, u = BSON_INITIALIZER, one;
         bool pipe;
         if (!bql_plan_row_write (plan, &doc, &q, &u, &pipe, error)) {
            bson_destroy (&q);
            bson_destroy (&u);
            bson_destroy (&cmd);
            return false;
         }
         char kb[16];
         const char *k;
         bson_uint32_to_string ((uint32_t) i, &k, kb, sizeof kb);
         bson_append_document_begin (&ups, k, -1, &one);
         BSON_APPEND_DOCUMENT (&one, "q", &q);
         if (pipe) {
            BSON_APPEND_ARRAY (&one, "u", &u);
         } else {
            BSON_APPEND_DOCUMENT (&one, "u", &u);
         }
         BSON_APPEND_BOOL (&one, "upsert", upsert);
         BSON_APPEND_BOOL (&one, "multi", multi);
         bson_append_document_end (&ups, &one);
         bson_destroy (&q);
         bson_destroy (&u);
         last = rownum;
         more = rows_next (&it, &doc, &rownum);
      }
      bson_append_array_end (&cmd, &ups);
      add_command_step (s, what, &cmd, first, last);
      bson_destroy (&cmd);
   }
   return true;
}

/* A per-row write for rows read at run time (or as the template of ON
 * DUPLICATE KEY): one update statement with "<row.col>" placeholders. */
static bool
row_write_template (const bql_plan_t *plan, steps_t *s, const char *what, bool upsert, bool ordered,
                    bql_error_t *error)
{
   bson_t q = BSON_INITIALIZER, u = BSON_INITIALIZER;
   bool pipe;
   if (!bql_plan_row_write (plan, NULL, &q, &u, &pipe, error)) {
      bson_destroy (&q);
      bson_destroy (&u);
      return false;
   }
   bson_t cmd = BSON_INITIALIZER, ups, one;
   BSON_APPEND_UTF8 (&cmd, "update", plan->collection);
   bql_plan_write_options (plan, ordered, &cmd);
   bson_append_array_begin (&cmd, "updates", -1, &ups);
   bson_append_document_begin (&ups, "0", -1, &one);
   BSON_APPEND_DOCUMENT (&one, "q", &q);
   if (pipe) {
      BSON_APPEND_ARRAY (&one, "u", &u);
   } else {
      BSON_APPEND_DOCUMENT (&one, "u", &u);
   }
   BSON_APPEND_BOOL (&one, "upsert", upsert);
   BSON_APPEND_BOOL (&one, "multi", false);
   bson_append_document_end (&ups, &one);
   BSON_APPEND_UTF8 (&ups, "1", plan->replace ? "<one replacement per row>" : "<one statement per row>");
   bson_append_array_end (&cmd, &ups);
   add_command_step (s, what, &cmd, 0, 0);
   bson_destroy (&cmd);
   bson_destroy (&q);
   bson_destroy (&u);
   return true;
}

/* The columns of a CSV/TSV load with the types inferred from the file's
 * sample (sources/file.c; absent when only the planner library is linked,
 * then the plan shows the column list as written). */
bool bql_file_sniff_columns (const bql_plan_t *plan, bql_columns_t *out) __attribute__ ((weak));

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

/* The _id-ordered read of UPDATE/DELETE ... WHERE: one cursor, whose
 * documents are taken batch_size at a time. */
static void
find_batch_step (const bql_plan_t *plan, steps_t *s, bool whole_documents)
{
   bson_t cmd = BSON_INITIALIZER, proj, sort;
   BSON_APPEND_UTF8 (&cmd, "find", plan->collection);
   BSON_APPEND_DOCUMENT (&cmd, "filter", &plan->filter);
   if (!whole_documents) {
      bson_append_document_begin (&cmd, "projection", -1, &proj);
      BSON_APPEND_INT32 (&proj, "_id", 1);
      bson_append_document_end (&cmd, &proj);
   }
   bson_append_document_begin (&cmd, "sort", -1, &sort);
   BSON_APPEND_INT32 (&sort, "_id", 1);
   bson_append_document_end (&cmd, &sort);
   if (plan->opts.batch_size > 0) {
      BSON_APPEND_INT32 (&cmd, "batchSize", plan->opts.batch_size);
   }
   add_command_step (s,
                     plan->opts.batch_size > 0
                        ? "read the matching documents in _id order; the steps below run for every batch_size of them"
                        : "read every matching document in _id order; the steps below run once for all of them",
                     &cmd, 0, 0);
   bson_destroy (&cmd);
}

/* {$and: [{_id: {$in: <batch>}}, filter]} */
static void
batch_filter (const bql_plan_t *plan, bson_t *q, const char *ids)
{
   bson_t and, a0, a1, in;
   bson_append_array_begin (q, "$and", -1, &and);
   bson_append_document_begin (&and, "0", -1, &a0);
   bson_append_document_begin (&a0, "_id", -1, &in);
   BSON_APPEND_UTF8 (&in, "$in", ids);
   bson_append_document_end (&a0, &in);
   bson_append_document_end (&and, &a0);
   bson_append_document_begin (&and, "1", -1, &a1);
   bson_concat (&a1, &plan->filter);
   bson_append_document_end (&and, &a1);
   bson_append_array_end (q, &and);
}

static void
count_step (const bql_plan_t *plan, steps_t *s, const char *what)
{
   /* as mongoc_collection_count_documents sends it */
   bson_t cmd = BSON_INITIALIZER, pipe, m, mm, g, gg, sum, cursor;
   BSON_APPEND_UTF8 (&cmd, "aggregate", plan->collection);
   bson_append_array_begin (&cmd, "pipeline", -1, &pipe);
   bson_append_document_begin (&pipe, "0", -1, &m);
   bson_append_document_begin (&m, "$match", -1, &mm);
   bson_concat (&mm, &plan->filter);
   bson_append_document_end (&m, &mm);
   bson_append_document_end (&pipe, &m);
   bson_append_document_begin (&pipe, "1", -1, &g);
   bson_append_document_begin (&g, "$group", -1, &gg);
   BSON_APPEND_INT32 (&gg, "_id", 1);
   bson_append_document_begin (&gg, "n", -1, &sum);
   BSON_APPEND_INT32 (&sum, "$sum", 1);
   bson_append_document_end (&gg, &sum);
   bson_append_document_end (&g, &gg);
   bson_append_document_end (&pipe, &g);
   bson_append_array_end (&cmd, &pipe);
   bson_append_document_begin (&cmd, "cursor", -1, &cursor);
   bson_append_document_end (&cmd, &cursor);
   add_command_step (s, what, &cmd, 0, 0);
   bson_destroy (&cmd);
}

static void
update_where (const bql_plan_t *plan, steps_t *s)
{
   if (plan->opts.dry_run) {
      count_step (plan, s, "count the documents that would be updated (dry_run: nothing is written)");
      return;
   }
   bson_t cmd = BSON_INITIALIZER, ups, one, q = BSON_INITIALIZER;
   if (plan->opts.batch_size > 0) {
      find_batch_step (plan, s, false);
      batch_filter (plan, &q, "<_ids of the batch>");
   } else {
      bson_concat (&q, &plan->filter);
   }
   BSON_APPEND_UTF8 (&cmd, "update", plan->collection);
   bql_plan_write_options (plan, plan->opts.ordered, &cmd);
   bson_append_array_begin (&cmd, "updates", -1, &ups);
   bson_append_document_begin (&ups, "0", -1, &one);
   BSON_APPEND_DOCUMENT (&one, "q", &q);
   if (plan->pipeline) {
      BSON_APPEND_ARRAY (&one, "u", &plan->update);
   } else {
      BSON_APPEND_DOCUMENT (&one, "u", &plan->update);
   }
   BSON_APPEND_BOOL (&one, "upsert", false);
   BSON_APPEND_BOOL (&one, "multi", true);
   bson_append_document_end (&ups, &one);
   bson_append_array_end (&cmd, &ups);
   add_command_step (s, plan->opts.batch_size > 0 ? "update the batch" : "update every matching document", &cmd, 0, 0);
   bson_destroy (&cmd);
   bson_destroy (&q);
}

static void ttl_step (const bql_plan_t *plan, steps_t *s);
static bool rows_or_filter_plain (const bql_plan_t *plan, const bson_t *const *rows, size_t n, bson_t *out,
                                  bql_error_t *error);
static void archive_step (const bql_plan_t *plan, steps_t *s);
static void delete_step (const bql_plan_t *plan, steps_t *s, const char *ids, const bson_t *or_filter, int64_t first,
                         int64_t last);

static void
delete_where (const bql_plan_t *plan, steps_t *s)
{
   const bql_options_t *o = &plan->opts;
   if (o->dry_run) {
      count_step (plan, s, "count the documents that would be deleted (dry_run: nothing is written)");
      return;
   }
   if (o->max_delete_count >= 0) {
      char what[160];
      snprintf (what, sizeof what, "count the matching documents; refuse, writing nothing, if more than %lld",
                (long long) o->max_delete_count);
      count_step (plan, s, what);
   }
   if (o->archive_collection && o->retention_seconds) {
      ttl_step (plan, s);
   }
   find_batch_step (plan, s, o->archive_collection != NULL);
   if (o->archive_collection) {
      archive_step (plan, s);
   }
   delete_step (plan, s, o->archive_collection ? "<_ids now in the archive>" : "<_ids of the batch>", NULL, 0, 0);
}

static void
ttl_step (const bql_plan_t *plan, steps_t *s)
{
   const bql_options_t *o = &plan->opts;
   {
      bson_t cmd = BSON_INITIALIZER, idx, one, key;
      BSON_APPEND_UTF8 (&cmd, "createIndexes", o->archive_collection);
      bson_append_array_begin (&cmd, "indexes", -1, &idx);
      bson_append_document_begin (&idx, "0", -1, &one);
      bson_append_document_begin (&one, "key", -1, &key);
      BSON_APPEND_INT32 (&key, "archivedAt", 1);
      bson_append_document_end (&one, &key);
      BSON_APPEND_UTF8 (&one, "name", "archivedAt_ttl");
      BSON_APPEND_INT64 (&one, "expireAfterSeconds", o->retention_seconds);
      bson_append_document_end (&idx, &one);
      bson_append_array_end (&cmd, &idx);
      add_command_step (s, "create the TTL index of the archive", &cmd, 0, 0);
      bson_destroy (&cmd);
   }
}

/* The archive writes of a batch of documents (where.c's archive_batch). */
static void
archive_step (const bql_plan_t *plan, steps_t *s)
{
   const bql_options_t *o = &plan->opts;
   {
      bson_t cmd = BSON_INITIALIZER, ups, one, q, u, set;
      BSON_APPEND_UTF8 (&cmd, "update", o->archive_collection);
      bql_plan_write_options (plan, false, &cmd);
      bson_append_array_begin (&cmd, "updates", -1, &ups);
      bson_append_document_begin (&ups, "0", -1, &one);
      bson_append_document_begin (&one, "q", -1, &q);
      BSON_APPEND_UTF8 (&q, "_id", "<_id of the document>");
      bson_append_document_end (&one, &q);
      bson_append_document_begin (&one, "u", -1, &u);
      BSON_APPEND_UTF8 (&u, "<field>", "<every field of the document>");
      bson_append_document_begin (&u, "archivedAt", -1, &set);
      BSON_APPEND_UTF8 (&set, "$date", "<time of the batch>");
      bson_append_document_end (&u, &set);
      if (o->archive_reason) {
         BSON_APPEND_UTF8 (&u, "archiveReason", o->archive_reason);
      } else {
         BSON_APPEND_NULL (&u, "archiveReason");
      }
      BSON_APPEND_UTF8 (&u, "originalCollection", plan->collection);
      bson_append_document_end (&one, &u);
      BSON_APPEND_BOOL (&one, "upsert", true);
      BSON_APPEND_BOOL (&one, "multi", false);
      bson_append_document_end (&ups, &one);
      BSON_APPEND_UTF8 (&ups, "1", "<one replacement per document of the batch>");
      bson_append_array_end (&cmd, &ups);
      add_command_step (s, "archive the batch (idempotent: keyed by _id)", &cmd, 0, 0);
      bson_destroy (&cmd);
   }
}

/* The delete (or soft_delete update) of a batch: {$and: [{_id: {$in:
 * ids}}, filter]}, the filter being the statement's, or with DELETE ...
 * USING the $or of the batch's row filters (or_filter). */
static void
delete_step (const bql_plan_t *plan, steps_t *s, const char *ids, const bson_t *or_filter, int64_t first,
             int64_t last)
{
   const bql_options_t *o = &plan->opts;
   bson_t cmd = BSON_INITIALIZER, arr, one, q = BSON_INITIALIZER;
   if (or_filter) {
      bson_t and, a0, a1, in;
      bson_append_array_begin (&q, "$and", -1, &and);
      bson_append_document_begin (&and, "0", -1, &a0);
      bson_append_document_begin (&a0, "_id", -1, &in);
      BSON_APPEND_UTF8 (&in, "$in", ids);
      bson_append_document_end (&a0, &in);
      bson_append_document_end (&and, &a0);
      bson_append_document_begin (&and, "1", -1, &a1);
      bson_concat (&a1, or_filter);
      bson_append_document_end (&and, &a1);
      bson_append_array_end (&q, &and);
   } else {
      batch_filter (plan, &q, ids);
   }
   if (o->soft_delete) {
      bson_t u, set;
      BSON_APPEND_UTF8 (&cmd, "update", plan->collection);
      bql_plan_write_options (plan, plan->opts.ordered, &cmd);
      bson_append_array_begin (&cmd, "updates", -1, &arr);
      bson_append_document_begin (&arr, "0", -1, &one);
      BSON_APPEND_DOCUMENT (&one, "q", &q);
      bson_append_document_begin (&one, "u", -1, &u);
      bson_append_document_begin (&u, "$set", -1, &set);
      BSON_APPEND_DATE_TIME (&set, "deleted_at", plan->now_ms);
      bson_append_document_end (&u, &set);
      bson_append_document_end (&one, &u);
      BSON_APPEND_BOOL (&one, "upsert", false);
      BSON_APPEND_BOOL (&one, "multi", true);
      bson_append_document_end (&arr, &one);
      bson_append_array_end (&cmd, &arr);
      add_command_step (s, "mark the batch deleted (soft_delete)", &cmd, first, last);
   } else {
      BSON_APPEND_UTF8 (&cmd, "delete", plan->collection);
      bql_plan_write_options (plan, plan->opts.ordered, &cmd);
      bson_append_array_begin (&cmd, "deletes", -1, &arr);
      bson_append_document_begin (&arr, "0", -1, &one);
      BSON_APPEND_DOCUMENT (&one, "q", &q);
      BSON_APPEND_INT32 (&one, "limit", 0);
      bson_append_document_end (&arr, &one);
      bson_append_array_end (&cmd, &arr);
      add_command_step (s, "delete the batch", &cmd, first, last);
   }
   bson_destroy (&cmd);
   bson_destroy (&q);
}

/* The filter of a batch of rows (where.c's batch_filter_of): the rows'
 * filters merged into one $in (bql_plan_merge_row_filters), else their
 * $or. Without rows (a batch read at run time), the template: the
 * merged form when the filter has one equality on a row value and
 * conditions on constants, else the $or. */
static bool
rows_or_filter (const bql_plan_t *plan, const bson_t *const *rows, size_t n, bson_t *out, bql_error_t *error)
{
   bson_t **q = bson_malloc0 (sizeof *q * (rows ? n : 2));
   bool *good = bson_malloc0 (sizeof *good * (rows ? n : 2));
   bool ok = true;
   size_t m = rows ? n : 1;
   for (size_t i = 0; ok && i < m; i++) {
      bson_t u = BSON_INITIALIZER;
      bool pipe;
      q[i] = bson_new ();
      ok = good[i] = bql_plan_row_write (plan, rows ? rows[i] : NULL, q[i], &u, &pipe, error);
      bson_destroy (&u);
   }
   bool merged = false;
   if (ok && rows) {
      const char *path;
      merged = bql_plan_merge_row_filters ((const bson_t *const *) q, good, n, out, &path);
   } else if (ok) {
      /* the template: one key holding {$eq: "<row.col>"}, the others
       * constants */
      bson_iter_t it, op;
      int nrow = 0;
      bool only_eq = true;
      bson_iter_init (&it, q[0]);
      while (bson_iter_next (&it)) {
         if (bson_iter_key (&it)[0] == '$' || !BSON_ITER_HOLDS_DOCUMENT (&it)) {
            only_eq = false;
            continue;
         }
         bson_iter_recurse (&it, &op);
         if (bson_iter_next (&op) && !strcmp (bson_iter_key (&op), "$eq") && BSON_ITER_HOLDS_UTF8 (&op) &&
             !strncmp (bson_iter_utf8 (&op, NULL), "<row.", 5)) {
            nrow++;
         }
      }
      if (only_eq && nrow == 1) {
         merged = true;
         bson_iter_init (&it, q[0]);
         while (bson_iter_next (&it)) {
            bson_iter_recurse (&it, &op);
            if (bson_iter_next (&op) && BSON_ITER_HOLDS_UTF8 (&op) && !strncmp (bson_iter_utf8 (&op, NULL), "<row.", 5)) {
               bson_t in;
               const char *col = bson_iter_utf8 (&op, NULL) + 1; /* "row.c>" */
               char *ph = bson_strdup_printf ("<%.*s of every row of the batch>", (int) strlen (col) - 1, col);
               bson_append_document_begin (out, bson_iter_key (&it), -1, &in);
               BSON_APPEND_UTF8 (&in, "$in", ph);
               bson_append_document_end (out, &in);
               bson_free (ph);
            } else {
               bson_append_iter (out, NULL, 0, &it);
            }
         }
      }
   }
   for (size_t i = 0; i < m; i++) {
      bson_destroy (q[i]);
   }
   bson_free (q);
   bson_free (good);
   if (!ok || merged) {
      return ok;
   }
   return rows_or_filter_plain (plan, rows, n, out, error);
}

static bool
rows_or_filter_plain (const bql_plan_t *plan, const bson_t *const *rows, size_t n, bson_t *out, bql_error_t *error)
{
   bson_t arr;
   bson_append_array_begin (out, "$or", -1, &arr);
   bool ok = true;
   for (size_t i = 0; ok && i < (rows ? n : 1); i++) {
      bson_t q = BSON_INITIALIZER, u = BSON_INITIALIZER;
      bool pipe;
      ok = bql_plan_row_write (plan, rows ? rows[i] : NULL, &q, &u, &pipe, error);
      char kb[16];
      const char *k;
      bson_uint32_to_string ((uint32_t) i, &k, kb, sizeof kb);
      bson_append_document (&arr, k, -1, &q);
      bson_destroy (&q);
      bson_destroy (&u);
   }
   if (!rows) {
      BSON_APPEND_UTF8 (&arr, "1", "<the filter of every row of the batch>");
   }
   bson_append_array_end (out, &arr);
   return ok;
}

static void
using_find_step (const bql_plan_t *plan, steps_t *s, const char *what, const bson_t *or_filter, bool ids_only,
                 int64_t first, int64_t last)
{
   bson_t cmd = BSON_INITIALIZER, proj;
   BSON_APPEND_UTF8 (&cmd, "find", plan->collection);
   BSON_APPEND_DOCUMENT (&cmd, "filter", or_filter);
   if (ids_only) {
      bson_append_document_begin (&cmd, "projection", -1, &proj);
      BSON_APPEND_INT32 (&proj, "_id", 1);
      bson_append_document_end (&cmd, &proj);
   }
   add_command_step (s, what, &cmd, first, last);
   bson_destroy (&cmd);
}

/* The steps of one batch of DELETE ... USING rows (where.c's
 * delete_rows_batch). */
static void
using_batch_steps (const bql_plan_t *plan, steps_t *s, const bson_t *or_filter, int64_t first, int64_t last)
{
   const bql_options_t *o = &plan->opts;
   using_find_step (plan, s,
                    o->dry_run ? "read the documents the batch's rows match (dry_run: they are counted, nothing is "
                                 "written); a row is looked up alone (find with limit 1) only when they do not "
                                 "show whether it matched"
                               : "read the documents the batch's rows match; a row is looked up alone (find with "
                                 "limit 1) only when they do not show whether it matched",
                    or_filter, false, first, last);
   if (o->dry_run) {
      return;
   }
   if (o->archive_collection) {
      archive_step (plan, s);
   }
   delete_step (plan, s, o->archive_collection ? "<_ids now in the archive>" : "<_ids read for the batch>", or_filter,
                first, last);
}

/* DELETE ... USING: per batch_size rows, read what their filters match,
 * archive it when asked, then delete exactly those documents. */
static bool
delete_using (const bql_plan_t *plan, steps_t *s, bql_error_t *error)
{
   const bql_options_t *o = &plan->opts;
   bool ok = true;
   if (o->max_delete_count >= 0 && !o->dry_run) {
      bson_t orf = BSON_INITIALIZER;
      ok = rows_or_filter (plan, NULL, 0, &orf, error);
      char what[240];
      snprintf (what, sizeof what,
                "first pass over the input: count the distinct documents the rows match, batch_size rows per "
                "find; refuse, writing nothing, if more than %lld",
                (long long) o->max_delete_count);
      using_find_step (plan, s, what, &orf, true, 0, 0);
      bson_destroy (&orf);
   }
   if (ok && o->archive_collection && o->retention_seconds && !o->dry_run) {
      ttl_step (plan, s);
   }
   if (!ok || !plan->has_rows) {
      if (ok) {
         bson_t orf = BSON_INITIALIZER;
         ok = rows_or_filter (plan, NULL, 0, &orf, error);
         using_batch_steps (plan, s, &orf, 0, 0);
         bson_destroy (&orf);
      }
      return ok;
   }
   rows_iter_t it = {&plan->rows, 0, 0};
   bson_t doc;
   int64_t rownum;
   bool more = rows_next (&it, &doc, &rownum);
   const bson_t **batch = bson_malloc (sizeof *batch * (size_t) batch_size (plan));
   bson_t **store = bson_malloc0 (sizeof *store * (size_t) batch_size (plan));
   while (ok && more) {
      int64_t first = rownum, last = rownum;
      size_t n = 0;
      for (int32_t i = 0; more && i < batch_size (plan); i++) {
         store[n] = bson_new_from_data (bson_get_data (&doc), doc.len);
         batch[n] = store[n];
         n++;
         last = rownum;
         more = rows_next (&it, &doc, &rownum);
      }
      bson_t orf = BSON_INITIALIZER;
      ok = rows_or_filter (plan, batch, n, &orf, error);
      if (ok) {
         using_batch_steps (plan, s, &orf, first, last);
      }
      bson_destroy (&orf);
      for (size_t i = 0; i < n; i++) {
         bson_destroy (store[i]);
      }
   }
   bson_free (batch);
   bson_free (store);
   return ok;
}

static void
file_insert_step (const bql_plan_t *plan, steps_t *s, bool ordered)
{
   bson_t cmd = BSON_INITIALIZER;
   BSON_APPEND_UTF8 (&cmd, "insert", plan->collection);
   bql_plan_write_options (plan, ordered, &cmd);
   char *docs = bson_strdup_printf ("<up to %d rows of the file per command>", (int) batch_size (plan));
   BSON_APPEND_UTF8 (&cmd, "documents", docs);
   bson_free (docs);
   add_command_step (s, "insert (repeated until the input ends)", &cmd, 0, 0);
   bson_destroy (&cmd);
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
   }
   if (plan->opts.dry_run) {
      BSON_APPEND_BOOL (out, "dryRun", true);
   }
   if (plan->pipeline) {
      /* u is an aggregation pipeline ([{$set: ...}]), not update operators */
      BSON_APPEND_BOOL (out, "pipelineUpdate", true);
   }

   bson_t steps_doc;
   bson_append_array_begin (out, "steps", -1, &steps_doc);
   steps_t s = {&steps_doc, 0};
   bool ok = true;
   const bql_options_t *o = &plan->opts;

   if (o->drop && !o->dry_run) {
      bson_t cmd = BSON_INITIALIZER;
      BSON_APPEND_UTF8 (&cmd, "drop", plan->collection);
      add_command_step (&s, "drop the collection before the load (drop = true)", &cmd, 0, 0);
      bson_destroy (&cmd);
   }
   switch (plan->kind) {
   case BQL_KIND_INSERT:
      if (o->upsert_mode) {
         ok = plan->has_rows ? row_write_batches (plan, &s, true, false, error)
                             : row_write_template (plan, &s, "upsert each row on _id", true, o->ordered, error);
      } else {
         bool ordered = plan->on_duplicate ? false : o->ordered;
         if (plan->has_rows) {
            insert_batches (plan, &s, ordered);
         } else {
            file_insert_step (plan, &s, ordered);
         }
         if (plan->on_duplicate) {
            ok = row_write_template (plan, &s, "update each row rejected with duplicate key error 11000", false,
                                     o->ordered, error);
         }
      }
      break;
   case BQL_KIND_UPSERT:
      ok = plan->has_rows ? row_write_batches (plan, &s, true, false, error)
                          : row_write_template (plan, &s,
                                                plan->replace ? "replace each row's document (upsert)" : "upsert each row",
                                                true, o->ordered, error);
      break;
   case BQL_KIND_UPDATE:
      if (plan->has_rows) {
         ok = row_write_batches (plan, &s, false, false, error);
      } else if (plan->file) {
         ok = row_write_template (plan, &s, "update one document per row", false, o->ordered, error);
      } else {
         update_where (plan, &s);
      }
      break;
   case BQL_KIND_DELETE:
      if (plan->delete_using) {
         ok = delete_using (plan, &s, error);
      } else {
         delete_where (plan, &s);
      }
      break;
   }
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
   if (!o->dry_run && o->metrics) {
      char *to = bson_strdup_printf ("%s.bulk_operation_metrics", plan->database);
      record_entry (&arr, n++, to, "one document when the statement ends", metrics);
      bson_free (to);
   }
   if (!o->dry_run && o->error_collection) {
      char *to = bson_strdup_printf ("%s.%s", plan->database, o->error_collection);
      record_entry (&arr, n++, to, "one document per batch with failed rows", errors);
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
