/*
 * file.c — the file source: the rows of FROM 'path' and FROM STDIN (SPEC
 * §4) as CSV or TSV (csv.c), NDJSON or JSON (json.c), each optionally
 * gzip-compressed (input.c), typed and checked (typing.c). A row that
 * cannot be read or converted, or fails CHECK, is returned as FAILED with
 * the reason ("line N: ..."); input that cannot be read on (a truncated
 * or corrupt gzip stream, a JSON array or stream whose structure is
 * broken, an unusable header) is a fatal error naming the file and the
 * line, located at the FROM clause of the statement. Also EXPLAIN's look
 * at the columns of a CSV file (bql_file_sniff_columns).
 */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"

static bool
is_csv (const bql_file_source_t *f)
{
   return f->fo.format == BQL_FMT_CSV || f->fo.format == BQL_FMT_TSV;
}

static bql_row_rc_t
file_next (void *impl, bql_source_status_t *st, bson_t *doc, int64_t *rownum, const char **reason)
{
   bql_file_source_t *f = impl;
   bool json = !is_csv (f);
   if (f->parse_threads > 1 && !bql_input_stopped (&f->in) && !f->in.eof &&
       (json ? f->skip == 0 : bql_csv_between_rows (f))) {
      /* the rest on parse threads (the header, skip_lines and the CSV
       * sample are read here first) */
      f->par = bql_parallel_start (f, f->parse_threads, f->parse_chunk);
      f->parse_threads = 0;
   }
   if (f->par) {
      bql_row_rc_t rc = bql_parallel_next (f->par, doc);
      *rownum = f->rownum;
      *reason = f->why;
      st->line = f->rowline;
      return rc;
   }
   bql_row_rc_t rc = json ? bql_json_next (f, doc) : bql_csv_next (f, doc);
   *rownum = f->rownum;
   *reason = f->why;
   st->line = f->rowline;
   if (json && f->json.facts.built && !f->typed) {
      st->row_id = f->json.facts.has_id; /* known from the fast path's build */
   } else if (!json) {
      st->row_id = f->csv.row_has_id; /* known when csv_row.c built the row */
   }
   st->row_facts = bql_file_row_facts (f, json);
   bql_input_progress (&f->in);
   return rc == BQL_ROW_OK ? bql_typing_check_row (f, doc, json) : rc;
}

static void
file_close (void *impl)
{
   bql_file_source_t *f = impl;
   bql_parallel_close (f->par);
   bql_input_cleanup (&f->in);
   bql_csv_cleanup (&f->csv);
   bql_json_cleanup (&f->json);
   bql_columns_cleanup (&f->own_cols);
   bql_file_opts_cleanup (&f->fo);
   bson_free (f);
}

static const bql_source_vtable_t file_vtable = {"file", file_next, file_close};

/* The error of a source that cannot be opened: msg, located at the FROM
 * clause, into *error. */
static void
open_error (const bql_plan_t *plan, const char *msg, bql_error_t *error)
{
   bql_error_clear (error);
   error->domain = BQL_ERROR_EXECUTE;
   error->code = BQL_ERR_IO;
   snprintf (error->message, sizeof error->message, "%s", msg);
   const bql_FileSource_t *fs = plan->file;
   if (fs && fs->node.location >= 0 && plan->script) {
      error->offset = fs->node.location;
      error->length = fs->node.length;
      size_t source_len;
      const char *source = bql_script_source (plan->script, &source_len);
      bql_error_locate (error, source, source_len);
   }
}

/* The columns: the plan's column list, if any. */
static void
set_columns (bql_file_source_t *f)
{
   const bql_plan_t *plan = f->plan;
   if (plan->cols && plan->cols->n) {
      f->cols = plan->cols;
      for (size_t i = 0; i < plan->cols->n; i++) {
         if (plan->cols->cols[i].type != BQL_COL_AUTO) {
            f->typed = true;
         }
         if (plan->cols->cols[i].type == BQL_COL_JSON) {
            f->json_cols = true;
         }
      }
   }
}

bql_source_t *
bql_source_file_open (const bql_plan_t *plan, const bql_source_io_t *io, const volatile int *cancel,
                      bql_error_t *error)
{
   const bql_FileSource_t *fsn = plan->file;
   bql_file_source_t *f = bson_malloc0 (sizeof *f);
   bql_source_status_t *st;
   bql_source_t *s = bql_source_new (&file_vtable, f, &st);
   f->st = st;
   f->plan = plan;
   f->in.fd = -1;

   bql_error_t perr;
   bql_error_clear (&perr);
   size_t source_len;
   const char *source = bql_script_source (plan->script, &source_len);
   bql_planner_t pl = {plan, source, source_len, &perr, NULL};
   if (!bql_file_options_resolve (&pl, fsn, &f->fo)) {
      open_error (plan, perr.message, error);
      bql_source_close (s);
      return NULL;
   }
   bool rows_cb = fsn->is_stdin && io && io->next_row;
   if (rows_cb && f->fo.format != BQL_FMT_NDJSON && f->fo.format != BQL_FMT_JSON) {
      open_error (plan, "rows from next_row are documents: write FROM STDIN FORMAT NDJSON", error);
      bql_source_close (s);
      return NULL;
   }
   if (rows_cb) {
      /* rows from the program (bql_exec_options_t.next_row) */
      f->json.next_row = io->next_row;
      f->json.next_row_ctx = io->next_row_ctx;
   }
   if (!bql_input_open (&f->in, st, plan, io, cancel, f->fo.gzip)) {
      *error = st->error;
      bql_source_close (s);
      return NULL;
   }
   f->skip = f->fo.skip_lines;
   set_columns (f);
   if (!rows_cb) {
      /* rows from the program (next_row) stay on one thread (parse_threads
       * 0), whatever EXPLAIN of the plan shows: next_row is not the plan's */
      f->parse_threads = bql_parallel_threads (plan, f->fo.format);
      f->parse_chunk = io ? io->parse_chunk : 0;
   }
   if (is_csv (f)) {
      bql_csv_init (f);
   }
   bql_plan_row_ctx (plan, NULL, &f->rc);
   f->rc.bare_is_row = true;
   f->rc.missing_is_null = true;
   return s;
}

bool
bql_file_sniff_columns (const bql_plan_t *plan, bql_columns_t *out)
{
   memset (out, 0, sizeof *out);
   out->root.col = -1;
   struct stat st;
   if (!plan || !plan->file || plan->file->is_stdin || !plan->file->path || stat (plan->file->path, &st) != 0 ||
       !S_ISREG (st.st_mode) || access (plan->file->path, R_OK) != 0) {
      return false; /* a FIFO or a device could keep EXPLAIN waiting */
   }
   bql_error_t err;
   bql_error_clear (&err);
   bql_source_t *s = bql_source_file_open (plan, NULL, NULL, &err);
   bql_file_source_t *f = s ? bql_source_impl (s) : NULL;
   bool ok = f && is_csv (f) && bql_csv_sniff (f);
   for (size_t i = 0; ok && i < f->cols->n; i++) {
      const bql_column_t *c = &f->cols->cols[i];
      char e[300];
      ok = bql_columns_add (out, c->path, c->type, e, sizeof e);
      if (ok) {
         out->cols[i].inferred = c->inferred;
         out->cols[i].node = c->node;
         out->cols[i].format = c->format ? bson_strdup (c->format) : NULL;
      }
   }
   bql_source_close (s);
   if (!ok) {
      bql_columns_cleanup (out);
   }
   return ok;
}
