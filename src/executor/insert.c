/*
 * insert.c — BULK INSERT: rows in batches of batch_size through libmongoc
 * bulk inserts, ordered or unordered. With ON DUPLICATE KEY UPDATE the
 * batch is inserted unordered and exactly the rows the server rejected
 * with duplicate key error 11000 are then updated with the SET list,
 * matched on _id or on the listed key columns (SPEC §1).
 */
#include <string.h>

#include "executor.h"

#define DUPLICATE_KEY 11000

/* The rows rejected as duplicates, updated one statement each. */
static bool
update_duplicates (bql_exec_t *x, const bql_batch_t *b, bql_batch_info_t *info, bql_row_errors_t *errs)
{
   bql_row_errors_t keep = {0};
   size_t *dup = bson_malloc (sizeof *dup * (errs->n ? errs->n : 1));
   size_t ndup = 0;
   for (size_t i = 0; i < errs->n; i++) {
      bql_row_error_t *e = &errs->items[i];
      if (e->code == DUPLICATE_KEY && e->index < b->n) {
         dup[ndup++] = e->index;
      } else {
         bql_row_errors_add (&keep, e->index, e->row, e->code, e->errmsg);
      }
   }
   bool ok = true;
   if (ndup) {
      mongoc_bulk_operation_t *bulk = bql_exec_new_bulk (x, x->coll, x->opts->ordered);
      size_t *sent = bson_malloc (sizeof *sent * ndup);
      size_t nsent = 0;
      for (size_t i = 0; i < ndup; i++) {
         size_t at = dup[i];
         bson_t q = BSON_INITIALIZER, u = BSON_INITIALIZER, opts = BSON_INITIALIZER;
         bool pipe;
         bql_error_t rerr;
         bson_error_t berr;
         if (!bql_plan_row_write (x->plan, b->docs[at], &q, &u, &pipe, &rerr)) {
            bql_row_errors_add (&keep, at, b->rows[at], 0, rerr.message);
         } else if (!mongoc_bulk_operation_update_one_with_opts (bulk, &q, &u, &opts, &berr)) {
            bql_row_errors_add (&keep, at, b->rows[at], (int32_t) berr.code, berr.message);
         } else {
            sent[nsent++] = at;
         }
         bson_destroy (&q);
         bson_destroy (&u);
         bson_destroy (&opts);
      }
      if (nsent) {
         bson_t reply;
         bson_error_t berr;
         size_t before = keep.n;
         uint32_t server = mongoc_bulk_operation_execute (bulk, &reply, &berr);
         bson_iter_t it;
         int64_t matched = bson_iter_init_find (&it, &reply, "nMatched") ? bson_iter_as_int64 (&it) : 0;
         info->n_matched += matched;
         if (bson_iter_init_find (&it, &reply, "nModified")) {
            info->n_modified += bson_iter_as_int64 (&it);
         }
         bql_exec_collect_write_errors (&reply, sent, nsent, b->rows, &keep);
         bql_exec_collect_wc_errors (&reply, &keep);
         if (!server && keep.n == before) {
            ok = bql_exec_connection_or_server_error (x, &berr, info->batch_index);
         }
         bson_destroy (&reply);
      }
      bson_free (sent);
      mongoc_bulk_operation_destroy (bulk);
   }
   bson_free (dup);
   bql_row_errors_cleanup (errs);
   *errs = keep;
   return ok;
}

static bool
write_insert (bql_exec_t *x, const bql_batch_t *b, bql_batch_info_t *info, bql_row_errors_t *errs)
{
   bool on_dup = x->plan->on_duplicate;
   bool ok = bql_exec_insert_batch (x, b, on_dup ? false : x->opts->ordered, info, errs);
   if (ok && on_dup) {
      ok = update_duplicates (x, b, info, errs);
   }
   return ok;
}

bool bql_exec_write_rows (bql_exec_t *x, const bql_batch_t *b, bql_batch_info_t *info, bql_row_errors_t *errs);

bool
bql_exec_insert (bql_exec_t *x)
{
   bql_source_t *src = x->plan->has_rows ? bql_source_values_new (x->plan) : bql_source_file_new (x);
   if (!src) {
      return false;
   }
   bool ok = bql_exec_rows (x, src, x->opts->upsert_mode ? bql_exec_write_rows : write_insert);
   src->destroy (src);
   return ok;
}
