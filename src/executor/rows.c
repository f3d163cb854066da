/*
 * rows.c — the loop shared by every statement that writes incoming rows
 * (INSERT, UPSERT, UPDATE ... FROM): it pulls batch_size input rows from a
 * source (VALUES rows or a file), hands the good ones to the statement's
 * batch writer, and accounts for every row: written, refused by the server
 * (with its row number), or failed on input (unreadable, unconvertible,
 * failing CHECK). Also the VALUES source.
 */
#include <stdlib.h>
#include <string.h>

#include "executor.h"

typedef struct {
   bql_source_t base;
   const bql_plan_t *plan;
   size_t off;        /* in plan->rows.data */
   size_t next_good;  /* index into plan->rows */
   bson_iter_t failed;
   bool have_failed;
   int64_t failed_row;
   char why[600];
} values_source_t;

static void
values_peek_failed (values_source_t *v)
{
   v->have_failed = false;
   while (bson_iter_next (&v->failed)) {
      bson_iter_t f;
      if (BSON_ITER_HOLDS_DOCUMENT (&v->failed) && bson_iter_recurse (&v->failed, &f) && bson_iter_find (&f, "row")) {
         v->failed_row = bson_iter_as_int64 (&f);
         v->have_failed = true;
         return;
      }
   }
}

static bql_row_rc_t
values_next (bql_source_t *s, bson_t *doc, int64_t *rownum, const char **why)
{
   values_source_t *v = (values_source_t *) s;
   const bql_rows_t *rows = &v->plan->rows;
   int64_t good_row = v->next_good < rows->count ? rows->rownum[v->next_good] : INT64_MAX;
   if (v->have_failed && v->failed_row < good_row) {
      bson_iter_t f;
      *rownum = v->failed_row;
      snprintf (v->why, sizeof v->why, "row failed");
      if (bson_iter_recurse (&v->failed, &f) && bson_iter_find (&f, "errmsg") && BSON_ITER_HOLDS_UTF8 (&f)) {
         snprintf (v->why, sizeof v->why, "%s", bson_iter_utf8 (&f, NULL));
      }
      if (bson_iter_recurse (&v->failed, &f) && bson_iter_find (&f, "document") && BSON_ITER_HOLDS_DOCUMENT (&f)) {
         uint32_t len;
         const uint8_t *data;
         bson_iter_document (&f, &len, &data);
         bson_t sample;
         bson_init_static (&sample, data, len);
         bson_concat (doc, &sample);
      }
      *why = v->why;
      values_peek_failed (v);
      return BQL_ROW_FAILED;
   }
   if (v->next_good >= rows->count) {
      return BQL_ROW_END;
   }
   uint32_t len;
   memcpy (&len, rows->data + v->off, 4);
   len = BSON_UINT32_FROM_LE (len);
   bson_t row;
   bson_init_static (&row, rows->data + v->off, len);
   bson_concat (doc, &row);
   *rownum = good_row;
   v->off += len;
   v->next_good++;
   return BQL_ROW_OK;
}

static void
values_destroy (bql_source_t *s)
{
   bson_free (s);
}

bql_source_t *
bql_source_values_new (const bql_plan_t *plan)
{
   values_source_t *v = bson_malloc0 (sizeof *v);
   v->base.next = values_next;
   v->base.destroy = values_destroy;
   v->base.bytes_total = -1;
   v->base.rows_total = (int64_t) plan->rows.count + plan->nfailed;
   v->plan = plan;
   bson_iter_init (&v->failed, &plan->failed);
   values_peek_failed (v);
   return &v->base;
}

/* Give a row to insert an ObjectId _id (first, as the server would) when
 * it has none, so that the executor knows every document's _id: a batch
 * lost to a network error can then be checked against the server and
 * retried without writing a row twice (libmongoc would add one anyway). */
static void
ensure_id (bson_t *doc)
{
   bson_iter_t it;
   if (bson_iter_init_find (&it, doc, "_id")) {
      return;
   }
   bson_t with = BSON_INITIALIZER;
   bson_oid_t oid;
   bson_oid_init (&oid, NULL);
   BSON_APPEND_OID (&with, "_id", &oid);
   bson_concat (&with, doc);
   bson_reinit (doc);
   bson_concat (doc, &with);
   bson_destroy (&with);
}

bool
bql_exec_rows (bql_exec_t *x, bql_source_t *src, bql_batch_writer_t write)
{
   int32_t bs = x->opts->batch_size > 0 ? x->opts->batch_size : 1000;
   /* bson_t is declared 128-byte aligned; malloc gives 16 */
   bson_t *docs = aligned_alloc (BSON_ALIGNOF (bson_t), sizeof *docs * (size_t) bs);
   BSON_ASSERT (docs);
   const bson_t **ptrs = bson_malloc (sizeof *ptrs * (size_t) bs);
   int64_t *rows = bson_malloc (sizeof *rows * (size_t) bs);
   bool ok = true, more = true;
   x->rows_total = src->rows_total;
   x->row_based = true;
   x->bytes_total = src->bytes_total;

   for (int64_t batch = 0; more && ok; batch++) {
      bql_row_errors_t errs = {0};
      int64_t started_at = bql_wall_ms ();
      size_t n = 0;
      int64_t input = 0, first_row = 0;
      while (input < bs) {
         int64_t rownum = 0;
         const char *why = NULL;
         bson_init (&docs[n]);
         bql_row_rc_t rc = src->next (src, &docs[n], &rownum, &why);
         if (rc == BQL_ROW_END || rc == BQL_ROW_ERROR) {
            bson_destroy (&docs[n]);
            more = false;
            ok = rc == BQL_ROW_END;
            break;
         }
         if (!first_row) {
            first_row = rownum;
         }
         input++;
         if (rc == BQL_ROW_FAILED) {
            bql_row_errors_add_doc (&errs, rownum, 0, why ? why : "row failed", &docs[n]);
            bson_destroy (&docs[n]);
            continue;
         }
         if (x->plan->kind == BQL_KIND_INSERT && !x->opts->upsert_mode) {
            ensure_id (&docs[n]);
         }
         ptrs[n] = &docs[n];
         rows[n] = rownum;
         n++;
      }
      x->bytes_read = src->bytes_read;
      if (input == 0) {
         break;
      }
      if (!ok && x->stopped && !x->fatal) {
         /* cancelled while the source waited for input: the rows read
          * for this batch are not written (they count as not attempted)
          * and no batch is counted */
         x->rows_done += input;
         for (size_t i = 0; i < n; i++) {
            bson_destroy (&docs[i]);
         }
         bql_row_errors_cleanup (&errs);
         ok = true;
         break;
      }
      bql_batch_info_t info = {0};
      info.batch_index = batch;
      info.first_row = first_row;
      info.size = input;
      bql_batch_t b = {ptrs, rows, n};
      if (n > 0 && ok) {
         if (x->opts->dry_run) {
            /* dry_run: the rows are read, converted and checked, and
             * counted; nothing is sent */
            x->n_would_write += (int64_t) n;
         } else {
            ok = write (x, &b, &info, &errs);
         }
      }
      x->rows_done += input;
      bool go_on = bql_exec_finish_batch (x, &info, &b, &errs, started_at);
      if (!go_on) {
         more = false;
      }
      for (size_t i = 0; i < n; i++) {
         bson_destroy (&docs[i]);
      }
      bql_row_errors_cleanup (&errs);
   }
   free (docs);
   bson_free (ptrs);
   bson_free (rows);
   return ok;
}
