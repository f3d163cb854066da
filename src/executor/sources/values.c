/*
 * values.c — the rows of VALUES (...), (...): planned already (plan->rows,
 * each row a BSON document with its row number), given in row order with
 * the rows that failed at planning (plan->failed: a value that does not
 * convert, CHECK) in their place as FAILED rows, with the document that
 * was made of them.
 */
#include <string.h>

#include "source.h"

typedef struct {
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
values_next (void *impl, bql_source_status_t *st, bson_t *doc, int64_t *rownum, const char **why)
{
   (void) st;
   values_source_t *v = impl;
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
values_close (void *impl)
{
   bson_free (impl);
}

static const bql_source_vtable_t values_vtable = {"values", values_next, values_close};

bql_source_t *
bql_source_values_open (const bql_plan_t *plan)
{
   values_source_t *v = bson_malloc0 (sizeof *v);
   bql_source_status_t *st;
   bql_source_t *s = bql_source_new (&values_vtable, v, &st);
   st->rows_total = (int64_t) plan->rows.count + plan->nfailed;
   v->plan = plan;
   bson_iter_init (&v->failed, &plan->failed);
   values_peek_failed (v);
   return s;
}

