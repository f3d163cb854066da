/*
 * write_rows.c — one write per incoming row: BULK UPSERT (updateOne with
 * upsert), BULK UPDATE ... FROM (updateOne matched through the WHERE join)
 * and INSERT with upsert_mode (upsert on _id). A batch of rows becomes one
 * libmongoc bulk operation of update statements.
 *
 * Upserted documents are tied back to their rows by _id, not by the
 * reply's upserted[].index: each upsert carries its _id (the row's, or a
 * new ObjectId in $setOnInsert), which keeps the mapping exact on servers
 * that number upserts differently (FerretDB counts among upserts only).
 */
#include <string.h>

#include "executor.h"

/* A small map from _id values to batch positions. */
typedef struct {
   uint64_t *hash;
   size_t *pos;
   bson_value_t *ids;
   size_t cap;
} id_map_t;

static uint64_t
value_hash (const bson_value_t *v)
{
   bson_t tmp = BSON_INITIALIZER;
   bson_append_value (&tmp, "", 0, v);
   const uint8_t *p = bson_get_data (&tmp);
   uint64_t h = 1469598103934665603ULL;
   for (uint32_t i = 4; i < tmp.len; i++) {
      h = (h ^ p[i]) * 1099511628211ULL;
   }
   bson_destroy (&tmp);
   return h | 1; /* 0 marks a free slot */
}

static bool
value_equal (const bson_value_t *a, const bson_value_t *b)
{
   bson_t x = BSON_INITIALIZER, y = BSON_INITIALIZER;
   bson_append_value (&x, "", 0, a);
   bson_append_value (&y, "", 0, b);
   bool eq = bson_equal (&x, &y);
   bson_destroy (&x);
   bson_destroy (&y);
   return eq;
}

static void
id_map_init (id_map_t *m, size_t n)
{
   m->cap = 16;
   while (m->cap < n * 2) {
      m->cap *= 2;
   }
   m->hash = bson_malloc0 (sizeof *m->hash * m->cap);
   m->pos = bson_malloc0 (sizeof *m->pos * m->cap);
   m->ids = bson_malloc0 (sizeof *m->ids * m->cap);
}

static void
id_map_put (id_map_t *m, const bson_value_t *id, size_t pos)
{
   uint64_t h = value_hash (id);
   size_t i = h & (m->cap - 1);
   while (m->hash[i]) {
      i = (i + 1) & (m->cap - 1);
   }
   m->hash[i] = h;
   m->pos[i] = pos;
   bson_value_copy (id, &m->ids[i]);
}

static bool
id_map_get (const id_map_t *m, const bson_value_t *id, size_t *pos)
{
   uint64_t h = value_hash (id);
   size_t i = h & (m->cap - 1);
   while (m->hash[i]) {
      if (m->hash[i] == h && value_equal (&m->ids[i], id)) {
         *pos = m->pos[i];
         return true;
      }
      i = (i + 1) & (m->cap - 1);
   }
   return false;
}

static void
id_map_cleanup (id_map_t *m)
{
   for (size_t i = 0; i < m->cap; i++) {
      if (m->hash[i]) {
         bson_value_destroy (&m->ids[i]);
      }
   }
   bson_free (m->hash);
   bson_free (m->pos);
   bson_free (m->ids);
}

/* The _id an upsert of (q, u) will give a new document, if known. */
static bool
upsert_id (const bson_t *q, const bson_t *u, bson_value_t *out)
{
   bson_iter_t it, sub;
   if (bson_iter_init_find (&it, q, "_id")) {
      if (BSON_ITER_HOLDS_DOCUMENT (&it) && bson_iter_recurse (&it, &sub) && bson_iter_find (&sub, "$eq")) {
         bson_value_copy (bson_iter_value (&sub), out);
         return true;
      }
   }
   if (bson_iter_init_find (&it, u, "$setOnInsert") && BSON_ITER_HOLDS_DOCUMENT (&it) && bson_iter_recurse (&it, &sub) &&
       bson_iter_find (&sub, "_id")) {
      bson_value_copy (bson_iter_value (&sub), out);
      return true;
   }
   return false;
}

/* Give an upsert without a known _id one in $setOnInsert. */
static void
add_new_id (bson_t *u)
{
   bson_t out = BSON_INITIALIZER;
   bson_iter_t it;
   bool done = false;
   bson_oid_t oid;
   bson_oid_init (&oid, NULL);
   bson_iter_init (&it, u);
   while (bson_iter_next (&it)) {
      if (!strcmp (bson_iter_key (&it), "$setOnInsert") && BSON_ITER_HOLDS_DOCUMENT (&it)) {
         uint32_t len;
         const uint8_t *data;
         bson_iter_document (&it, &len, &data);
         bson_t old, soi;
         bson_init_static (&old, data, len);
         bson_append_document_begin (&out, "$setOnInsert", -1, &soi);
         BSON_APPEND_OID (&soi, "_id", &oid);
         bson_concat (&soi, &old);
         bson_append_document_end (&out, &soi);
         done = true;
      } else {
         bson_append_iter (&out, NULL, 0, &it);
      }
   }
   if (!done) {
      bson_t soi;
      bson_append_document_begin (&out, "$setOnInsert", -1, &soi);
      BSON_APPEND_OID (&soi, "_id", &oid);
      bson_append_document_end (&out, &soi);
   }
   bson_reinit (u);
   bson_concat (u, &out);
   bson_destroy (&out);
}

/* Build the bulk operation of one batch: one write per row. */
static mongoc_bulk_operation_t *
build_bulk (bql_exec_t *x, const bql_batch_t *b, id_map_t *ids, size_t *sent, size_t *nsent, bql_row_errors_t *errs)
{
   const bql_plan_t *plan = x->plan;
   bool upsert = plan->kind == BQL_KIND_UPSERT || plan->kind == BQL_KIND_INSERT;
   bool ordered = x->opts->ordered;
   mongoc_bulk_operation_t *bulk = bql_exec_new_bulk (x, x->coll, ordered);
   *nsent = 0;
   for (size_t i = 0; i < b->n; i++) {
      bson_t q = BSON_INITIALIZER, u = BSON_INITIALIZER, opts = BSON_INITIALIZER;
      bool pipe;
      bql_error_t rerr;
      bson_error_t berr;
      bool added = false;
      if (plan->kind == BQL_KIND_INSERT && !bson_has_field (b->docs[i], "_id")) {
         /* upsert_mode: a row without _id is a new document */
         added = mongoc_bulk_operation_insert_with_opts (bulk, b->docs[i], NULL, &berr);
         if (!added) {
            bql_row_errors_add (errs, i, b->rows[i], (int32_t) berr.code, berr.message);
         }
      } else if (!bql_plan_row_write (plan, b->docs[i], &q, &u, &pipe, &rerr)) {
         bql_row_errors_add (errs, i, b->rows[i], 0, rerr.message);
      } else {
         if (upsert) {
            bson_value_t id;
            if (!upsert_id (&q, &u, &id)) {
               add_new_id (&u);
               upsert_id (&q, &u, &id);
            }
            id_map_put (ids, &id, i);
            bson_value_destroy (&id);
            BSON_APPEND_BOOL (&opts, "upsert", true);
         }
         added = mongoc_bulk_operation_update_one_with_opts (bulk, &q, &u, &opts, &berr);
         if (!added) {
            bql_row_errors_add (errs, i, b->rows[i], (int32_t) berr.code, berr.message);
         }
      }
      bson_destroy (&q);
      bson_destroy (&u);
      bson_destroy (&opts);
      if (added) {
         sent[(*nsent)++] = i;
      } else if (ordered) {
         break; /* ordered: nothing after a failed row */
      }
   }
   return bulk;
}

/* Add {row, _id} to the statement's upserted list (its first
 * BQL_REPLY_MAX_ERRORS entries are kept; all are counted). */
static void
note_upserted (bql_exec_t *x, int64_t row, const bson_iter_t *id)
{
   if (x->n_upserted_ids < BQL_REPLY_MAX_ERRORS) {
      char kb[16];
      const char *k;
      bson_uint32_to_string (x->n_upserted_ids, &k, kb, sizeof kb);
      bson_t one;
      bson_append_document_begin (&x->upserted, k, -1, &one);
      BSON_APPEND_INT64 (&one, "row", row);
      bson_append_iter (&one, "_id", 3, id);
      bson_append_document_end (&x->upserted, &one);
   }
   x->n_upserted_ids++;
}

/* Did an update reply count any statement as matched or upserted? */
static bool
reply_counts_any (const bson_t *reply)
{
   bson_iter_t it;
   return (bson_iter_init_find (&it, reply, "nMatched") && bson_iter_as_int64 (&it) > 0) ||
          (bson_iter_init_find (&it, reply, "nUpserted") && bson_iter_as_int64 (&it) > 0) ||
          (bson_iter_init_find (&it, reply, "nInserted") && bson_iter_as_int64 (&it) > 0);
}

/* A batch the server refused as a whole (a command error, not write
 * errors). When the statement's update is idempotent, each row is sent
 * again in a command of its own, so that every row ends up written or
 * reported with its own error; a row applied by the refused command is
 * then matched and not modified again. Otherwise no row is sent twice:
 * each row of the batch is reported as failed with an unknown outcome. */
static void
resolve_refused_batch (bql_exec_t *x,
                       const bql_batch_t *b,
                       const size_t *sent,
                       size_t nsent,
                       const bson_error_t *refusal,
                       bql_batch_info_t *info,
                       bql_row_errors_t *errs)
{
   const bql_plan_t *plan = x->plan;
   if (!bql_exec_idempotent (x)) {
      char msg[700];
      snprintf (msg, sizeof msg,
                "%s; this row may or may not have been written, and it was not "
                "sent again because its update is not idempotent ($inc, $mul, $push or a pipeline)",
                refusal->message);
      for (size_t k = 0; k < nsent; k++) {
         bql_row_errors_add (errs, sent[k], b->rows[sent[k]], (int32_t) refusal->code, msg);
      }
      return;
   }
   bool ordered = x->opts->ordered;
   bool upsert = plan->kind == BQL_KIND_UPSERT || plan->kind == BQL_KIND_INSERT;
   for (size_t k = 0; k < nsent; k++) {
      size_t i = sent[k];
      bson_t q = BSON_INITIALIZER, u = BSON_INITIALIZER, opts = BSON_INITIALIZER, reply;
      bool pipe;
      bql_error_t rerr;
      bson_error_t berr;
      bool row_ok = bql_plan_row_write (plan, b->docs[i], &q, &u, &pipe, &rerr);
      if (!row_ok) {
         bql_row_errors_add (errs, i, b->rows[i], 0, rerr.message);
      } else {
         mongoc_bulk_operation_t *one = bql_exec_new_bulk (x, x->coll, true);
         if (upsert) {
            BSON_APPEND_BOOL (&opts, "upsert", true);
         }
         row_ok = mongoc_bulk_operation_update_one_with_opts (one, &q, &u, &opts, &berr) &&
                  mongoc_bulk_operation_execute (one, &reply, &berr);
         if (row_ok || !bson_empty0 (&reply)) {
            bson_iter_t it;
            int64_t matched = bson_iter_init_find (&it, &reply, "nMatched") ? bson_iter_as_int64 (&it) : 0;
            info->n_matched += matched;
            if (bson_iter_init_find (&it, &reply, "nModified")) {
               info->n_modified += bson_iter_as_int64 (&it);
            }
            if (bson_iter_init_find (&it, &reply, "nUpserted")) {
               info->n_upserted += bson_iter_as_int64 (&it);
            }
            bson_iter_t ai, ui;
            if (bson_iter_init_find (&it, &reply, "upserted") && BSON_ITER_HOLDS_ARRAY (&it) &&
                bson_iter_recurse (&it, &ai) && bson_iter_next (&ai) && BSON_ITER_HOLDS_DOCUMENT (&ai) &&
                bson_iter_recurse (&ai, &ui) && bson_iter_find (&ui, "_id")) {
               note_upserted (x, b->rows[i], &ui);
            }
            if (row_ok && plan->kind == BQL_KIND_UPDATE && matched == 0) {
               x->n_unmatched++;
            }
         }
         if (!row_ok) {
            bql_row_errors_add (errs, i, b->rows[i], (int32_t) berr.code, berr.message);
         }
         bson_destroy (&reply);
         mongoc_bulk_operation_destroy (one);
      }
      bson_destroy (&q);
      bson_destroy (&u);
      bson_destroy (&opts);
      if (!row_ok && ordered) {
         break; /* ordered: nothing after the failed row */
      }
   }
}

bool
bql_exec_write_rows (bql_exec_t *x, const bql_batch_t *b, bql_batch_info_t *info, bql_row_errors_t *errs)
{
   const bql_plan_t *plan = x->plan;
   bool ordered = x->opts->ordered;
   size_t *sent = bson_malloc (sizeof *sent * (b->n ? b->n : 1));
   size_t nsent = 0;
   id_map_t ids;
   bool ok = true;
   size_t errs_at_start = errs->n;

   for (int attempt = 0;; attempt++) {
      id_map_init (&ids, b->n);
      bql_row_errors_truncate (errs, errs_at_start); /* a retry rebuilds the batch */
      mongoc_bulk_operation_t *bulk = build_bulk (x, b, &ids, sent, &nsent, errs);
      if (nsent == 0) {
         mongoc_bulk_operation_destroy (bulk);
         id_map_cleanup (&ids);
         break;
      }
      bson_t reply;
      bson_error_t berr;
      size_t before = errs->n;
      uint32_t server = mongoc_bulk_operation_execute (bulk, &reply, &berr);
      mongoc_bulk_operation_destroy (bulk);
      bql_exec_collect_write_errors (&reply, sent, nsent, b->rows, errs);
      bql_exec_collect_wc_errors (&reply, errs);
      size_t failed_here = errs->n - before;
      if (failed_here == 1 && nsent > 1 && errs->items[before].index == sent[0] && !reply_counts_any (&reply)) {
         /* One write error, on the first statement, and nothing matched or
          * upserted: either the first statement failed (MongoDB, ordered)
          * or the server stopped at a later one and reported it as index 0
          * without counts (FerretDB does so, even unordered). The reply
          * cannot tell which rows were written: attribute the outcome row
          * by row, as for a batch refused as a whole. */
         bson_error_t refusal;
         memset (&refusal, 0, sizeof refusal);
         refusal.domain = MONGOC_ERROR_SERVER;
         refusal.code = (uint32_t) errs->items[before].code;
         bson_snprintf (refusal.message, sizeof refusal.message,
                        "the server reported a write error without saying which rows it wrote (%s)",
                        errs->items[before].errmsg);
         bql_row_errors_truncate (errs, before);
         bson_destroy (&reply);
         id_map_cleanup (&ids);
         resolve_refused_batch (x, b, sent, nsent, &refusal, info, errs);
         break;
      }
      if (!server && failed_here == 0) {
         /* The batch was lost: retry only what is safe to apply twice. */
         bool retryable = bql_exec_is_retryable (&berr, &reply);
         bson_destroy (&reply);
         id_map_cleanup (&ids);
         if (retryable && attempt < x->opts->retry_attempts && bql_exec_idempotent (x)) {
            if (bql_exec_backoff (x, attempt + 1)) {
               continue;
            }
         }
         if (retryable && !bql_exec_idempotent (x)) {
            for (size_t k = 0; k < nsent; k++) {
               bql_row_errors_add (errs, sent[k], b->rows[sent[k]], (int32_t) berr.code,
                                   "the connection was lost: this row may or may not have been written, and it was not "
                                   "retried because its update is not idempotent ($inc, $mul, $push or a pipeline)");
            }
         }
         if (!retryable && !bql_exec_is_connection_error (&berr) && nsent > 1 && plan->kind != BQL_KIND_INSERT) {
            /* The server refused the whole command instead of reporting
             * write errors (FerretDB does so for a unique-index violation
             * during an update); statements before the failing one may
             * have been applied. Attribute the outcome row by row. */
            bson_error_t refusal = berr;
            bson_snprintf (refusal.message, sizeof refusal.message, "the server refused the whole batch (%s)",
                           berr.message);
            resolve_refused_batch (x, b, sent, nsent, &refusal, info, errs);
            break;
         }
         ok = bql_exec_connection_or_server_error (x, &berr, info->batch_index);
         bql_exec_note_retries (x, attempt);
         break;
      }
      bson_iter_t it, ai;
      int64_t matched = bson_iter_init_find (&it, &reply, "nMatched") ? bson_iter_as_int64 (&it) : 0;
      info->n_matched += matched;
      if (bson_iter_init_find (&it, &reply, "nModified")) {
         info->n_modified += bson_iter_as_int64 (&it);
      }
      if (bson_iter_init_find (&it, &reply, "nUpserted")) {
         info->n_upserted += bson_iter_as_int64 (&it);
      }
      if (bson_iter_init_find (&it, &reply, "nInserted")) {
         info->n_inserted += bson_iter_as_int64 (&it);
      }
      if (bson_iter_init_find (&it, &reply, "upserted") && BSON_ITER_HOLDS_ARRAY (&it) && bson_iter_recurse (&it, &ai)) {
         while (bson_iter_next (&ai)) {
            bson_iter_t ui;
            size_t pos;
            if (BSON_ITER_HOLDS_DOCUMENT (&ai) && bson_iter_recurse (&ai, &ui) && bson_iter_find (&ui, "_id")) {
               note_upserted (x, id_map_get (&ids, bson_iter_value (&ui), &pos) ? b->rows[pos] : 0, &ui);
            }
         }
      }
      if (plan->kind == BQL_KIND_UPDATE) {
         /* rows whose join matched no document; after an ordered stop
          * only the statements up to the failing one ran */
         size_t ran = nsent;
         if (ordered && failed_here) {
            size_t first = b->n;
            for (size_t k = before; k < errs->n; k++) {
               if (errs->items[k].index < first) {
                  first = errs->items[k].index;
               }
            }
            ran = 0;
            for (size_t k = 0; k < nsent; k++) {
               if (sent[k] <= first) {
                  ran++;
               }
            }
         }
         int64_t unmatched = (int64_t) ran - (int64_t) failed_here - matched;
         if (unmatched > 0) {
            x->n_unmatched += unmatched;
         }
      }
      bson_destroy (&reply);
      id_map_cleanup (&ids);
      break;
   }
   bson_free (sent);
   return ok;
}

bool
bql_exec_upsert (bql_exec_t *x)
{
   bql_source_t *src = x->plan->has_rows ? bql_source_values_new (x->plan) : bql_source_file_new (x);
   if (!src) {
      return false;
   }
   bool ok = bql_exec_rows (x, src, bql_exec_write_rows);
   src->destroy (src);
   return ok;
}
