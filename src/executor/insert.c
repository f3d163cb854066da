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

/* After a lost batch: which of the documents to send are on the server
 * already? Those stored exactly as sent were written by the lost attempt
 * and count as inserted; a different document under the same _id is a
 * duplicate key error for that row. Returns false when the server cannot
 * be asked (the caller retries); *todo keeps the rows still to send. */
static bool
recover (bql_exec_t *x, const bql_batch_t *b, bool ordered, size_t *todo, size_t *ntodo, bql_batch_info_t *info,
         bql_row_errors_t *errs)
{
   bson_t filter = BSON_INITIALIZER, id, in;
   bson_append_document_begin (&filter, "_id", 3, &id);
   bson_append_array_begin (&id, "$in", 3, &in);
   for (size_t j = 0; j < *ntodo; j++) {
      bson_iter_t it;
      char kb[16];
      const char *k;
      bson_uint32_to_string ((uint32_t) j, &k, kb, sizeof kb);
      bson_iter_init_find (&it, b->docs[todo[j]], "_id");
      bson_append_iter (&in, k, -1, &it);
   }
   bson_append_array_end (&id, &in);
   bson_append_document_end (&filter, &id);
   mongoc_cursor_t *cur = mongoc_collection_find_with_opts (x->coll, &filter, NULL, NULL);
   bson_destroy (&filter);
   bson_t found = BSON_INITIALIZER; /* stored documents, in the order read */
   const bson_t *doc;
   uint32_t nfound = 0;
   while (mongoc_cursor_next (cur, &doc)) {
      char kb[16];
      const char *k;
      bson_uint32_to_string (nfound++, &k, kb, sizeof kb);
      bson_append_document (&found, k, -1, doc);
   }
   bson_error_t berr;
   bool ok = !mongoc_cursor_error (cur, &berr);
   mongoc_cursor_destroy (cur);
   if (!ok) {
      bson_destroy (&found);
      return false;
   }
   size_t keep = 0;
   bool stop = false;
   for (size_t j = 0; j < *ntodo; j++) {
      size_t i = todo[j];
      if (stop) {
         continue; /* ordered: nothing after a failed row */
      }
      bson_iter_t mine, fi;
      bson_iter_init_find (&mine, b->docs[i], "_id");
      const bson_value_t *want = bson_iter_value (&mine);
      bool exists = false, same = false;
      bson_iter_init (&fi, &found);
      while (bson_iter_next (&fi)) {
         uint32_t len;
         const uint8_t *data;
         bson_iter_document (&fi, &len, &data);
         bson_t stored;
         bson_init_static (&stored, data, len);
         bson_iter_t si;
         if (bson_iter_init_find (&si, &stored, "_id")) {
            bson_t a = BSON_INITIALIZER, c = BSON_INITIALIZER;
            bson_append_value (&a, "", 0, want);
            bson_append_iter (&c, "", 0, &si);
            bool eq = bson_equal (&a, &c);
            bson_destroy (&a);
            bson_destroy (&c);
            if (eq) {
               exists = true;
               same = bson_equal (&stored, b->docs[i]);
               break;
            }
         }
      }
      if (!exists) {
         todo[keep++] = i;
      } else if (same) {
         info->n_inserted++;
      } else {
         bql_row_errors_add (errs, i, b->rows[i], DUPLICATE_KEY,
                             "duplicate key: another document with this _id is stored (found when retrying)");
         stop = ordered;
      }
   }
   *ntodo = keep;
   bson_destroy (&found);
   return true;
}

bool
bql_exec_insert_batch (bql_exec_t *x, const bql_batch_t *b, bool ordered, bql_batch_info_t *info, bql_row_errors_t *errs)
{
   /* todo: positions in the batch still to send */
   size_t *todo = bson_malloc (sizeof *todo * (b->n ? b->n : 1));
   size_t *sent = bson_malloc (sizeof *sent * (b->n ? b->n : 1));
   size_t ntodo = 0;
   for (size_t i = 0; i < b->n; i++) {
      todo[ntodo++] = i;
   }
   bool ok = true;
   int attempt = 0;
   for (;;) {
      mongoc_bulk_operation_t *bulk = bql_exec_new_bulk (x, x->coll, ordered);
      size_t nsent = 0;
      bson_error_t berr;
      for (size_t j = 0; j < ntodo; j++) {
         size_t i = todo[j];
         if (!mongoc_bulk_operation_insert_with_opts (bulk, b->docs[i], NULL, &berr)) {
            /* refused on the client by libmongoc's document checks */
            bql_row_errors_add (errs, i, b->rows[i], (int32_t) berr.code, berr.message);
            if (ordered) {
               break; /* ordered: nothing after a refused row is attempted */
            }
            continue;
         }
         sent[nsent++] = i;
      }
      if (nsent == 0) {
         mongoc_bulk_operation_destroy (bulk);
         break;
      }
      bson_t reply;
      size_t before = errs->n;
      uint32_t server = mongoc_bulk_operation_execute (bulk, &reply, &berr);
      mongoc_bulk_operation_destroy (bulk);
      bson_iter_t it;
      int64_t inserted = bson_iter_init_find (&it, &reply, "nInserted") ? bson_iter_as_int64 (&it) : 0;
      bql_exec_collect_write_errors (&reply, sent, nsent, b->rows, errs);
      bql_exec_collect_wc_errors (&reply, errs);
      if (server || errs->n > before) {
         info->n_inserted += inserted;
         bson_destroy (&reply);
         break;
      }
      /* The batch was lost. Retry a retryable error; every document has
       * its _id, so what the lost attempt wrote is found and not sent
       * twice. */
      bool retryable = bql_exec_is_retryable (&berr, &reply);
      bson_destroy (&reply);
      ntodo = nsent;
      memcpy (todo, sent, sizeof *todo * nsent);
      bool recovered = false;
      while (retryable && attempt < x->opts->retry_attempts) {
         attempt++;
         if (!bql_exec_backoff (x, attempt)) {
            break;
         }
         if (recover (x, b, ordered, todo, &ntodo, info, errs)) {
            recovered = true;
            break;
         }
      }
      if (!recovered) {
         /* every row still in doubt is a failed row of this batch (and so
          * in its error record), then the statement stops */
         char msg[700], tries[64];
         if (retryable || bql_exec_is_connection_error (&berr)) {
            snprintf (msg, sizeof msg, "%s%s: this row may or may not have been written (%s)",
                      bql_exec_is_connection_error (&berr) ? "the connection was lost" : "the server failed the batch",
                      bql_exec_retries_ran_out (x, attempt, tries, sizeof tries), berr.message);
         } else {
            snprintf (msg, sizeof msg, "the server refused the batch: %s", berr.message);
         }
         for (size_t j = 0; j < ntodo; j++) {
            bql_row_errors_add (errs, todo[j], b->rows[todo[j]], (int32_t) berr.code, msg);
         }
         ok = bql_exec_connection_or_server_error (x, &berr, info->batch_index);
         bql_exec_note_retries (x, attempt);
         break;
      }
      if (ntodo == 0) {
         break;
      }
   }
   bson_free (todo);
   bson_free (sent);
   return ok;
}

/* The rows rejected as duplicates (11000), updated with the SET list,
 * matched on _id or the key columns. A row whose update matches nothing
 * was refused by another unique index than its key's, and fails. */
bool
bql_exec_update_refused (bql_exec_t *x, const bql_batch_t *b, bql_batch_info_t *info, bql_row_errors_t *errs)
{
   bql_row_errors_t keep = {0};
   size_t *dup = bson_malloc (sizeof *dup * (errs->n ? errs->n : 1));
   const char **msgs = bson_malloc (sizeof *msgs * (errs->n ? errs->n : 1));
   size_t ndup = 0;
   for (size_t i = 0; i < errs->n; i++) {
      bql_row_error_t *e = &errs->items[i];
      if (e->code == DUPLICATE_KEY && e->index < b->n) {
         msgs[ndup] = e->errmsg;
         dup[ndup++] = e->index;
      } else {
         bql_row_errors_add (&keep, e->index, e->row, e->code, e->errmsg);
         if (e->doc) {
            keep.items[keep.n - 1].doc = bson_copy (e->doc);
         }
      }
   }
   bool ok = true;
   if (ndup) {
      ok = bql_exec_update_rows (x, b, dup, ndup, x->opts->ordered, msgs, info, &keep);
   }
   bson_free (dup);
   bson_free (msgs);
   bql_row_errors_cleanup (errs);
   *errs = keep;
   return ok;
}
