/*
 * where.c — the steps on stored documents (steps.h), run as the step
 * interpreter (steps_run.c) hands them over, each command built from its
 * step's template: COUNT and COUNT_GUARD (the template's aggregate),
 * ENSURE_INDEX (the template as is), SCAN_IDS with its ARCHIVE_BATCH,
 * UPDATE_BATCH and DELETE_BATCH, and DELETE ... USING's COUNT_ROWS_GUARD
 * and MATCH_ROWS.
 *
 * UPDATE ... WHERE and DELETE ... WHERE on stored documents go in
 * _id-ordered batches of batch_size (SPEC §1): one cursor reads the
 * matching documents sorted by _id, and every batch_size of them is
 * updated or deleted with {$and: [{_id: {$in: batch}}, filter]}, so a
 * document that stopped matching in between is left alone. A cursor on
 * the _id index returns each document once even though the documents it
 * returned are being changed, and it handles collections whose _ids mix
 * types (a "_id > last" query would stop at the first type boundary).
 *
 * Archival (ARCHIVAL_STRATEGY): per batch, the whole documents are written
 * to the archive first: inserted, and those the archive refuses as
 * duplicate keys (archived by a run that was interrupted) replaced, keyed
 * by _id (so a re-run after a crash writes no duplicate); only the _ids
 * the archive acknowledged are deleted. At every instant each original document is in
 * the source or in the archive.
 *
 * DELETE ... USING source AS v (delete by file): the rows come through
 * the row pipeline (rows.c); per batch of rows one find reads the
 * documents their filters match (their $or, or one $in when they differ
 * in one equality), each row is told matched or unmatched, and the same
 * archive-then-delete runs on exactly the documents read. With
 * max_delete_count a first pass over the input counts before anything is
 * written (FROM STDIN is kept in memory for the second pass).
 */
#include <stdio.h>
#include <string.h>

#include "executor.h"

#define CURSOR_NOT_FOUND 43

bool
bql_exec_count_step (bql_exec_t *x, const bql_step_t *st, int64_t *n)
{
   bson_t pipeline;
   bson_error_t berr;
   *n = 0;
   if (!bql_step_sub (st, "pipeline", &pipeline)) {
      return bql_exec_fail (x, BQL_ERR_INVALID_ARG, 0, "the count step has no pipeline");
   }
   bson_t wrapped = BSON_INITIALIZER;
   BSON_APPEND_ARRAY (&wrapped, "pipeline", &pipeline);
   mongoc_cursor_t *cur = mongoc_collection_aggregate (x->coll, MONGOC_QUERY_NONE, &wrapped, NULL, NULL);
   bson_destroy (&wrapped);
   const bson_t *doc;
   if (mongoc_cursor_next (cur, &doc)) {
      bson_iter_t it;
      if (bson_iter_init_find (&it, doc, "n")) {
         *n = bson_iter_as_int64 (&it);
      }
   }
   bool ok = true;
   if (mongoc_cursor_error (cur, &berr)) {
      ok = bql_exec_connection_or_server_error (x, &berr, -1);
   }
   mongoc_cursor_destroy (cur);
   return ok;
}

/* The q of the batch write st for the batch's _ids (NULL: the template's
 * q as it is, the unbatched write): the template with its _ids placeholder
 * replaced by ids, and, when filter is given (DELETE ... USING), the
 * template's row filter replaced by the batch's. */
static void
batch_query (const bql_step_t *st, const bson_t *filter, const bson_t *ids, bson_t *q)
{
   bson_t tq;
   bool found = bql_step_sub (st, "updates.0.q", &tq) || bql_step_sub (st, "deletes.0.q", &tq);
   BSON_ASSERT (found);
   if (!ids) {
      bson_init (q);
      bson_concat (q, &tq);
      return;
   }
   bson_value_t v;
   v.value_type = BSON_TYPE_ARRAY;
   v.value.v_doc.data = (uint8_t *) bson_get_data (ids);
   v.value.v_doc.data_len = ids->len;
   bson_t inst;
   bql_step_instantiate (&tq, BQL_PH_BATCH_IDS, &v, &inst);
   bson_t inst2, inst3;
   bql_step_instantiate (&inst, BQL_PH_ARCHIVED_IDS, &v, &inst2);
   bql_step_instantiate (&inst2, BQL_PH_READ_IDS, &v, &inst3);
   bson_destroy (&inst);
   bson_destroy (&inst2);
   if (!filter) {
      bson_steal (q, &inst3);
      return;
   }
   /* {$and: [{_id: {$in: ids}}, <the rows' filter>]} */
   bson_iter_t it, and;
   bson_init (q);
   bson_t qa, a1;
   bson_append_array_begin (q, "$and", -1, &qa);
   if (bson_iter_init_find (&it, &inst3, "$and") && bson_iter_recurse (&it, &and) && bson_iter_next (&and)) {
      bson_append_iter (&qa, "0", 1, &and);
   }
   bson_append_document_begin (&qa, "1", 1, &a1);
   bson_concat (&a1, filter);
   bson_append_document_end (&qa, &a1);
   bson_append_array_end (q, &qa);
   bson_destroy (&inst3);
}

/* Add the name of a server feature to an error the server gave. */
static bool
server_refused (bql_exec_t *x, const bson_error_t *berr, int64_t batch, const char *feature)
{
   if (feature && !bql_exec_is_connection_error (berr)) {
      return bql_exec_fail (x, BQL_ERR_SERVER, (int32_t) berr->code,
                            "the server does not support %s: %s", feature, berr->message);
   }
   return bql_exec_connection_or_server_error (x, berr, batch);
}

/* Is st's command an update (UPDATE ... WHERE, soft_delete) rather than
 * a delete? */
static bool
is_update (const bql_step_t *st)
{
   bson_iter_t it;
   return bson_iter_init (&it, &st->command) && bson_iter_next (&it) && !strcmp (bson_iter_key (&it), "update");
}

/* Add the write of st (its template's u, or a delete) of the documents
 * matching q. */
static bool
add_write (const bql_step_t *st, mongoc_bulk_operation_t *bulk, const bson_t *q, bson_error_t *berr)
{
   bson_t u;
   if (is_update (st) && bql_step_sub (st, "updates.0.u", &u)) {
      return mongoc_bulk_operation_update_many_with_opts (bulk, q, &u, NULL, berr);
   }
   return mongoc_bulk_operation_remove_many_with_opts (bulk, q, NULL, berr);
}

/* The bulk operation of st with its template's ordered, writeConcern and
 * bypassDocumentValidation (a delete's template carries none: see
 * steps.c). */
static mongoc_bulk_operation_t *
new_write_bulk (bql_exec_t *x, const bql_step_t *st)
{
   mongoc_bulk_operation_t *bulk = bql_exec_new_bulk (x, x->coll, st->ordered);
   mongoc_bulk_operation_set_bypass_document_validation (bulk, bson_has_field (&st->command, "bypassDocumentValidation"));
   return bulk;
}

/* A batch of stored documents failed: one error for the batch (not tied
 * to a row) in errs, and its documents the server did not report as
 * written counted as failed. */
static void
batch_failed (const bql_step_t *st, bql_batch_info_t *info, int64_t n, int64_t written, int32_t code, const char *what,
              const char *errmsg, bql_row_errors_t *errs)
{
   char msg[900];
   const char *verb = is_update (st) ? "updated" : "deleted";
   if (n > 0 && strncmp (what, "not written", 11) != 0) {
      snprintf (msg, sizeof msg, "%s: %s (of the batch's %lld documents, %lld were reported %s)", what, errmsg,
                (long long) n, (long long) written, verb);
   } else {
      snprintf (msg, sizeof msg, "%s: %s", what, errmsg);
   }
   bql_row_errors_add (errs, (size_t) -1, 0, code, msg);
   if (n > written) {
      info->n_failed += n - written;
   }
}

/* One update or delete command over a batch — the n documents whose _ids
 * are ids and that filter still matches — or over the whole filter when
 * ids is NULL. filter is the statement's (or, for DELETE ... USING, the
 * $or of the batch's row filters). Counts go to info.
 * Whatever goes wrong writes one error of the batch to errs (and so its
 * error record), and the batch's documents the server did not report as
 * written count as failed; continue_on_error and max_errors then decide
 * whether the statement goes on. A batch lost to a retryable error is
 * sent again when the statement's writes are idempotent. False when the
 * statement must stop (recorded in x): the server is lost, retries ran
 * out, the server lacks a feature the statement needs, or the single
 * unbatched command failed. */
static bool
write_batch (bql_exec_t *x, const bql_step_t *st, const bson_t *filter, const bson_t *ids, int64_t n,
             bql_batch_info_t *info, bql_row_errors_t *errs)
{
   const bql_plan_t *plan = x->plan;
   bson_t q;
   batch_query (st, filter, ids, &q);
   const char *feature = st->kind == BQL_STEP_UPDATE_BATCH && plan->pipeline ? BQL_FEATURE_PIPELINE_UPDATES : NULL;
   bool ok = true;
   for (int attempt = 0;; attempt++) {
      mongoc_bulk_operation_t *bulk = new_write_bulk (x, st);
      bson_error_t berr;
      if (!add_write (st, bulk, &q, &berr)) {
         /* refused by libmongoc's checks: every batch would be */
         batch_failed (st, info, n, 0, (int32_t) berr.code, "the batch could not be sent", berr.message, errs);
         mongoc_bulk_operation_destroy (bulk);
         ok = bql_exec_fail (x, BQL_ERR_SERVER, (int32_t) berr.code, "%s", berr.message);
         break;
      }
      bson_t reply;
      uint32_t server = mongoc_bulk_operation_execute (bulk, &reply, &berr);
      mongoc_bulk_operation_destroy (bulk);
      bql_row_errors_t found = {0};
      size_t zero = 0;
      int64_t norow = 0;
      bql_exec_collect_write_errors (&reply, &zero, 1, &norow, &found);
      size_t wc_from = errs->n;
      bql_exec_collect_wc_errors (&reply, errs);
      bool wc_errors = errs->n > wc_from;
      bool retryable = !server && bql_exec_is_retryable (&berr, &reply);
      if (!server && found.n == 0 && !wc_errors && retryable &&
          attempt < x->opts->retry_attempts && bql_exec_idempotent (x)) {
         /* lost: the same command again is safe (deletes, $set) */
         bql_row_errors_cleanup (&found);
         bson_destroy (&reply);
         if (bql_exec_backoff (x, attempt + 1)) {
            continue;
         }
         batch_failed (st, info, n, 0, (int32_t) berr.code, "cancelled while waiting to retry the lost batch",
                       berr.message, errs);
         ok = bql_exec_connection_or_server_error (x, &berr, info->batch_index);
         break;
      }
      bson_iter_t it;
      int64_t written = 0;
      if (bson_iter_init_find (&it, &reply, "nMatched")) {
         info->n_matched += bson_iter_as_int64 (&it);
         written += bson_iter_as_int64 (&it);
      }
      if (bson_iter_init_find (&it, &reply, "nModified")) {
         info->n_modified += bson_iter_as_int64 (&it);
      }
      if (bson_iter_init_find (&it, &reply, "nRemoved")) {
         info->n_removed += bson_iter_as_int64 (&it);
         written += bson_iter_as_int64 (&it);
      }
      bson_destroy (&reply);
      const char *what = is_update (st)
                            ? "the server refused the update of this batch; documents before the one that failed may "
                              "have been updated"
                            : "the server refused the delete of this batch; documents before the one that failed may "
                              "have been deleted";
      if (found.n) {
         /* write errors: the update or delete failed at a document */
         for (size_t e = 0; e < found.n; e++) {
            batch_failed (st, info, e ? 0 : n, written, found.items[e].code, what, found.items[e].errmsg, errs);
         }
         if (!ids) {
            ok = bql_exec_fail (x, BQL_ERR_SERVER, found.items[0].code, "%s: %s", what, found.items[0].errmsg);
         }
      } else if (!server && !wc_errors) {
         if (feature && !bql_exec_is_connection_error (&berr) && (berr.code == 14 || berr.code == 9)) {
            char msg[300];
            snprintf (msg, sizeof msg, "not written: the server does not support %s", feature);
            batch_failed (st, info, n, 0, (int32_t) berr.code, msg, berr.message, errs);
            ok = server_refused (x, &berr, info->batch_index, feature);
         } else if (retryable || bql_exec_is_connection_error (&berr)) {
            /* lost: retries ran out, or it was not safe to send again */
            bool idem = bql_exec_idempotent (x);
            const char *lost =
               bql_exec_is_connection_error (&berr) ? "the connection was lost" : "the server failed the batch";
            char what_lost[400];
            if (!retryable) {
               snprintf (what_lost, sizeof what_lost, "%s; documents of this batch may or may not have been written",
                         lost);
            } else if (idem) {
               char tries[64];
               snprintf (what_lost, sizeof what_lost, "%s%s; documents of this batch may or may not have been written",
                         lost, bql_exec_retries_ran_out (x, attempt, tries, sizeof tries));
            } else {
               snprintf (what_lost, sizeof what_lost,
                         "%s; documents of this batch may or may not have been written, and the batch was not sent "
                         "again because its update is not idempotent ($inc, $mul, $push or a pipeline)",
                         lost);
            }
            batch_failed (st, info, n, 0, (int32_t) berr.code, what_lost, berr.message, errs);
            ok = bql_exec_connection_or_server_error (x, &berr, info->batch_index);
            bql_exec_note_retries (x, attempt);
            if (retryable && !idem) {
               size_t len = strlen (x->error->message);
               snprintf (x->error->message + len, sizeof x->error->message - len,
                         "; the batch's update may or may not have been applied, and it was not sent again because it "
                         "is not idempotent ($inc, $mul, $push or a pipeline)");
            }
         } else {
            batch_failed (st, info, n, 0, (int32_t) berr.code, what, berr.message, errs);
            if (!ids) {
               ok = bql_exec_connection_or_server_error (x, &berr, info->batch_index);
            }
         }
      }
      bql_row_errors_cleanup (&found);
      break;
   }
   bson_destroy (&q);
   return ok;
}

/* The archive's copy of doc, from the archive step's template u
 * ({"<field>": "<every field of the document>", archivedAt: {$date:
 * "<time of the batch>"}, archiveReason, originalCollection}): every
 * field of doc but those the template sets, then the template's fields,
 * archivedAt being now. */
static void
archive_copy (const bson_t *tu, const bson_t *doc, int64_t now, bson_t *out)
{
   bson_iter_t f, t;
   bson_iter_init (&f, doc);
   while (bson_iter_next (&f)) {
      if (!bson_has_field (tu, bson_iter_key (&f))) {
         bson_append_iter (out, NULL, 0, &f);
      }
   }
   bson_iter_init (&t, tu);
   while (bson_iter_next (&t)) {
      const char *k = bson_iter_key (&t);
      if (k[0] == '<') {
         continue; /* the document's own fields, above */
      }
      if (BSON_ITER_HOLDS_DOCUMENT (&t)) {
         BSON_APPEND_DATE_TIME (out, k, now); /* {$date: "<time of the batch>"} */
      } else {
         bson_append_iter (out, k, -1, &t);
      }
   }
}

/* Run a bulk of archive writes; failed[i] marks the documents the archive
 * did not acknowledge, and dup[i] those refused as duplicate keys.
 * False when nothing is known (the whole command failed); *retryable then
 * says whether the drivers' retryable-writes rules allow sending it again. */
static bool
run_archive_bulk (mongoc_bulk_operation_t *bulk, const size_t *op_doc, size_t nops, bool *failed,
                  bool *dup, bql_row_errors_t *errs, bson_error_t *berr, bool *retryable)
{
   bson_t reply;
   uint32_t server = mongoc_bulk_operation_execute (bulk, &reply, berr);
   bool any_error = false;
   bson_iter_t ri, ai;
   if (bson_iter_init_find (&ri, &reply, "writeErrors") && BSON_ITER_HOLDS_ARRAY (&ri) && bson_iter_recurse (&ri, &ai)) {
      while (bson_iter_next (&ai)) {
         bson_iter_t ei;
         int64_t index = -1;
         int32_t code = 0;
         const char *msg = "";
         if (!BSON_ITER_HOLDS_DOCUMENT (&ai) || !bson_iter_recurse (&ai, &ei)) {
            continue;
         }
         while (bson_iter_next (&ei)) {
            if (!strcmp (bson_iter_key (&ei), "index")) {
               index = bson_iter_as_int64 (&ei);
            } else if (!strcmp (bson_iter_key (&ei), "code")) {
               code = (int32_t) bson_iter_as_int64 (&ei);
            } else if (!strcmp (bson_iter_key (&ei), "errmsg") && BSON_ITER_HOLDS_UTF8 (&ei)) {
               msg = bson_iter_utf8 (&ei, NULL);
            }
         }
         any_error = true;
         if (index >= 0 && (size_t) index < nops) {
            size_t d = op_doc[index];
            failed[d] = true;
            if (dup && code == 11000) {
               dup[d] = true;
            } else {
               bql_row_errors_add (errs, d, 0, code, msg);
            }
         }
      }
   }
   *retryable = !server && !any_error && bql_exec_is_retryable (berr, &reply);
   bson_destroy (&reply);
   if (!server && !any_error) {
      for (size_t k = 0; k < nops; k++) {
         failed[op_doc[k]] = true;
      }
      return false;
   }
   return true;
}

/* Write the batch's documents to the archive, then report in archived the
 * _ids the archive holds. Documents are inserted; one whose _id is in the
 * archive already (from a run that was interrupted after archiving it) is
 * written again as a replacement keyed by _id, so the archive never holds
 * a document twice and always holds its latest copy. */
static bool
archive_batch (bql_exec_t *x, const bql_step_t *st, mongoc_collection_t *archive, const bson_t *docs, uint32_t n,
               bson_t *archived, bql_batch_info_t *info, bql_row_errors_t *batch_errs)
{
   bson_t tu;
   bool have_template = bql_step_sub (st, "documents.0", &tu);
   BSON_ASSERT (have_template);
   int64_t now = bql_wall_ms ();
   const bson_t **copies = bson_malloc0 (sizeof *copies * (n ? n : 1));
   bson_t *store = bson_malloc0 (sizeof *store * (n ? n : 1));
   bson_value_t *idv = bson_malloc0 (sizeof *idv * (n ? n : 1));
   size_t *op_doc = bson_malloc (sizeof *op_doc * (n ? n : 1));
   bool *failed = bson_malloc0 (sizeof *failed * (n ? n : 1));
   bool *dup = bson_malloc0 (sizeof *dup * (n ? n : 1));
   bql_row_errors_t errs = {0};
   bson_error_t berr;
   bool ok = true;

   bson_iter_t it;
   uint32_t i = 0;
   bson_iter_init (&it, docs);
   while (bson_iter_next (&it) && i < n) {
      uint32_t len;
      const uint8_t *data;
      bson_iter_document (&it, &len, &data);
      bson_t doc;
      bson_init_static (&doc, data, len);
      bson_iter_t idi;
      bson_iter_init_find (&idi, &doc, "_id");
      bson_value_copy (bson_iter_value (&idi), &idv[i]);
      bson_init (&store[i]);
      archive_copy (&tu, &doc, now, &store[i]);
      copies[i] = &store[i];
      i++;
   }

   /* Insert the copies. A lost command is sent again (retry_attempts):
    * what the lost attempt wrote comes back as duplicate keys and is
    * replaced below, so a retry never archives a document twice. */
   for (int attempt = 0;; attempt++) {
      bool retryable = false;
      bql_row_errors_truncate (&errs, 0);
      memset (failed, 0, sizeof *failed * (n ? n : 1));
      memset (dup, 0, sizeof *dup * (n ? n : 1));
      mongoc_bulk_operation_t *bulk = bql_exec_new_bulk (x, archive, false);
      size_t nops = 0;
      for (uint32_t k = 0; k < i; k++) {
         if (mongoc_bulk_operation_insert_with_opts (bulk, &store[k], NULL, &berr)) {
            op_doc[nops++] = k;
         } else {
            failed[k] = true;
            bql_row_errors_add (&errs, k, 0, (int32_t) berr.code, berr.message);
         }
      }
      bool known = !nops || run_archive_bulk (bulk, op_doc, nops, failed, dup, &errs, &berr, &retryable);
      mongoc_bulk_operation_destroy (bulk);
      if (known) {
         break;
      }
      if (!retryable || attempt >= x->opts->retry_attempts || !bql_exec_backoff (x, attempt + 1)) {
         ok = bql_exec_connection_or_server_error (x, &berr, info->batch_index);
         bql_exec_note_retries (x, attempt);
         break;
      }
   }

   /* documents archived by an interrupted run: replace them (a replacement
    * keyed by _id can be sent again) */
   for (int attempt = 0; ok; attempt++) {
      bool retryable = false;
      mongoc_bulk_operation_t *bulk = bql_exec_new_bulk (x, archive, false);
      size_t nops = 0;
      size_t errs_before = errs.n;
      for (uint32_t k = 0; k < i; k++) {
         if (!dup[k]) {
            continue;
         }
         bson_t q = BSON_INITIALIZER, opts = BSON_INITIALIZER;
         bson_append_value (&q, "_id", 3, &idv[k]);
         BSON_APPEND_BOOL (&opts, "upsert", true);
         if (mongoc_bulk_operation_replace_one_with_opts (bulk, &q, copies[k], &opts, &berr)) {
            op_doc[nops++] = k;
            failed[k] = false;
         } else {
            bql_row_errors_add (&errs, k, 0, (int32_t) berr.code, berr.message);
         }
         bson_destroy (&q);
         bson_destroy (&opts);
      }
      bool known = !nops || run_archive_bulk (bulk, op_doc, nops, failed, NULL, &errs, &berr, &retryable);
      mongoc_bulk_operation_destroy (bulk);
      if (known) {
         break;
      }
      bql_row_errors_truncate (&errs, errs_before);
      if (!retryable || attempt >= x->opts->retry_attempts || !bql_exec_backoff (x, attempt + 1)) {
         ok = bql_exec_connection_or_server_error (x, &berr, info->batch_index);
         bql_exec_note_retries (x, attempt);
         break;
      }
   }

   /* documents the archive refused stay in the source */
   for (size_t k = 0; k < errs.n; k++) {
      char msg[700];
      snprintf (msg, sizeof msg, "archiving failed, document kept: %s", errs.items[k].errmsg);
      bson_t kept = BSON_INITIALIZER;
      if (errs.items[k].index < i) {
         BSON_APPEND_VALUE (&kept, "_id", &idv[errs.items[k].index]);
      }
      bql_row_errors_add_doc (batch_errs, 0, errs.items[k].code, msg, &kept);
      bson_destroy (&kept);
   }
   uint32_t na = 0;
   for (uint32_t k = 0; k < i; k++) {
      if (!failed[k]) {
         char kb[16];
         const char *key;
         bson_uint32_to_string (na++, &key, kb, sizeof kb);
         bson_append_value (archived, key, -1, &idv[k]);
      }
      bson_value_destroy (&idv[k]);
      bson_destroy (&store[k]);
   }
   info->n_archived += na;
   bql_row_errors_cleanup (&errs);
   bson_free (copies);
   bson_free (store);
   bson_free (idv);
   bson_free (op_doc);
   bson_free (failed);
   bson_free (dup);
   return ok;
}

/* The read of the matching documents (find) failed. */
static bool
read_refused (bql_exec_t *x, const bson_error_t *berr)
{
   if (bql_exec_is_connection_error (berr)) {
      return bql_exec_fail (x, BQL_ERR_CONNECTION, (int32_t) berr->code, "lost the server while reading the matching documents: %s",
                            berr->message);
   }
   bson_iter_t it, child;
   if (bson_iter_init (&it, &x->plan->filter) && bson_iter_find_descendant (&it, "$expr", &child)) {
      return bql_exec_fail (x, BQL_ERR_SERVER, (int32_t) berr->code,
                            "the server does not support this $expr filter (a comparison between fields or arithmetic "
                            "in WHERE): %s",
                            berr->message);
   }
   return bql_exec_fail (x, BQL_ERR_SERVER, (int32_t) berr->code, "the server refused the read of the matching documents: %s",
                         berr->message);
}

bool
bql_exec_command_step (bql_exec_t *x, const bql_step_t *st, const char *feature)
{
   mongoc_database_t *db = mongoc_client_get_database (x->client, x->plan->database);
   bson_t reply;
   bson_error_t berr;
   bool ok = mongoc_database_write_command_with_opts (db, &st->command, NULL, &reply, &berr);
   if (!ok) {
      ok = server_refused (x, &berr, -1, feature);
   }
   bson_destroy (&reply);
   mongoc_database_destroy (db);
   return ok;
}

bool
bql_exec_write_all (bql_exec_t *x, const bql_step_t *st)
{
   bql_batch_info_t info = {0};
   bql_row_errors_t errs = {0};
   int64_t started_at = bql_wall_ms ();
   bool ok = write_batch (x, st, NULL, NULL, 0, &info, &errs);
   bql_exec_finish_batch (x, &info, NULL, &errs, started_at);
   bql_row_errors_cleanup (&errs);
   return ok;
}

bool
bql_exec_scan_ids (bql_exec_t *x, const bql_step_t *scan, const bql_step_t *steps, size_t nsteps)
{
   const bql_plan_t *plan = x->plan;
   const bql_options_t *o = x->opts;
   const bql_step_t *archive_step = NULL, *write_step = NULL;
   for (size_t i = 0; i < nsteps; i++) {
      if (steps[i].kind == BQL_STEP_ARCHIVE_BATCH) {
         archive_step = &steps[i];
      } else if (steps[i].kind != BQL_STEP_ARCHIVE_REPLACE) {
         write_step = &steps[i]; /* the replacements are archive_batch's */
      }
   }
   if (!write_step) {
      return bql_exec_fail (x, BQL_ERR_INVALID_ARG, 0, "the scan step has no write after it");
   }
   mongoc_collection_t *archive = NULL;
   if (archive_step) {
      bson_iter_t it;
      bson_iter_init_find (&it, &archive_step->command, "insert");
      archive = mongoc_client_get_collection (x->client, plan->database, bson_iter_utf8 (&it, NULL));
   }
   /* the find of the template: its filter, and the rest as options */
   bson_t filter, opts = BSON_INITIALIZER;
   bool have_filter = bql_step_sub (scan, "filter", &filter);
   BSON_ASSERT (have_filter);
   bson_copy_to_excluding_noinit (&scan->command, &opts, "find", "filter", NULL);
   bson_iter_t bi;
   int32_t bs = bson_iter_init_find (&bi, &opts, "batchSize") ? bson_iter_int32 (&bi) : 0;
   mongoc_cursor_t *cursor = mongoc_collection_find_with_opts (x->coll, &filter, &opts, NULL);
   int cursor_retries = 0;
   bool ok = true;
   const bson_t *doc;
   bson_t ids = BSON_INITIALIZER, docs = BSON_INITIALIZER;
   uint32_t n = 0;
   int64_t batch = 0;
   int64_t batch_started = bql_wall_ms ();
   bool more = true;
   while (ok && more) {
      bool have = mongoc_cursor_next (cursor, &doc);
      if (have) {
         char kb[16];
         const char *k;
         bson_uint32_to_string (n, &k, kb, sizeof kb);
         bson_iter_t it;
         if (bson_iter_init_find (&it, doc, "_id")) {
            bson_append_iter (&ids, k, -1, &it);
            if (archive) {
               bson_append_document (&docs, k, -1, doc);
            }
            n++;
         }
      }
      bool restart = false;
      if (!have || (bs > 0 && n == (uint32_t) bs)) {
         bson_error_t berr;
         const bson_t *err_reply = NULL;
         if (!have && mongoc_cursor_error_document (cursor, &berr, &err_reply)) {
            /* The read was lost. Reading again from the start is safe when
             * the writes are idempotent: documents already deleted are
             * gone, documents already $set are set again to the same. */
            /* CursorNotFound: servers that tie a cursor to its connection
             * lose it when a write's connection was lost */
            bool lost = bql_exec_is_retryable (&berr, err_reply) || berr.code == CURSOR_NOT_FOUND;
            if (lost && bql_exec_idempotent (x) && cursor_retries < o->retry_attempts &&
                bql_exec_backoff (x, ++cursor_retries)) {
               restart = true;
            } else {
               ok = read_refused (x, &berr);
               break;
            }
         }
         if (n > 0) {
            bql_batch_info_t info = {0};
            bql_row_errors_t errs = {0};
            info.batch_index = batch++;
            info.size = n;
            if (archive) {
               bson_t archived = BSON_INITIALIZER;
               ok = archive_batch (x, archive_step, archive, &docs, n, &archived, &info, &errs);
               if (ok && !bson_empty (&archived)) {
                  ok = write_batch (x, write_step, NULL, &archived, bson_count_keys (&archived), &info, &errs);
               }
               bson_destroy (&archived);
            } else {
               ok = write_batch (x, write_step, NULL, &ids, n, &info, &errs);
            }
            x->rows_done += n;
            bool go_on = bql_exec_finish_batch (x, &info, NULL, &errs, batch_started);
            bql_row_errors_cleanup (&errs);
            bson_reinit (&ids);
            bson_reinit (&docs);
            n = 0;
            batch_started = bql_wall_ms ();
            if (ok && !go_on) {
               more = false;
            }
         }
         if (restart && more) {
            mongoc_cursor_destroy (cursor);
            cursor = mongoc_collection_find_with_opts (x->coll, &filter, &opts, NULL);
         } else if (!have) {
            more = false;
         }
      }
   }
   bson_destroy (&opts);
   bson_destroy (&ids);
   bson_destroy (&docs);
   mongoc_cursor_destroy (cursor);
   if (archive) {
      mongoc_collection_destroy (archive);
   }
   return ok;
}

/* ---- DELETE ... USING ---- */

/* Does doc evidently match q? Only when q is a conjunction of equalities
 * {path: {$eq: value}, ...} and doc holds exactly each value (same BSON
 * type and value) at its path; *simple says whether q had that form.
 * False never means "does not match": the server is asked then. */
static bool
evident_match (const bson_t *q, const bson_t *doc, bool *simple)
{
   bson_iter_t it;
   *simple = true;
   if (!bson_iter_init (&it, q)) {
      *simple = false;
      return false;
   }
   while (bson_iter_next (&it)) {
      const char *path = bson_iter_key (&it);
      bson_iter_t op, d, dv;
      if (path[0] == '$' || !BSON_ITER_HOLDS_DOCUMENT (&it) || !bson_iter_recurse (&it, &op) || !bson_iter_next (&op) ||
          strcmp (bson_iter_key (&op), "$eq") != 0) {
         *simple = false;
         return false;
      }
      bson_value_t want;
      bson_value_copy (bson_iter_value (&op), &want);
      bool more_ops = bson_iter_next (&op);
      bool eq = !more_ops && bson_iter_init (&d, doc) && bson_iter_find_descendant (&d, path, &dv) &&
                bql_value_equal (bson_iter_value (&dv), &want);
      bson_value_destroy (&want);
      if (more_ops) {
         *simple = false;
         return false;
      }
      if (!eq) {
         return false;
      }
   }
   return true;
}

/* Does the filter of one row match any document? (find, limit 1) */
static bool
row_matches_any (bql_exec_t *x, const bson_t *q, bool *found)
{
   bson_t opts = BSON_INITIALIZER, proj;
   bson_append_document_begin (&opts, "projection", -1, &proj);
   BSON_APPEND_INT32 (&proj, "_id", 1);
   bson_append_document_end (&opts, &proj);
   BSON_APPEND_INT64 (&opts, "limit", 1);
   mongoc_cursor_t *cur = mongoc_collection_find_with_opts (x->coll, q, &opts, NULL);
   const bson_t *doc;
   *found = mongoc_cursor_next (cur, &doc);
   bson_error_t berr;
   bool ok = *found || !mongoc_cursor_error (cur, &berr) || read_refused (x, &berr);
   mongoc_cursor_destroy (cur);
   bson_destroy (&opts);
   return ok;
}

/* The filters of the batch's rows: q[i] for each row, {$or: [...]} of the
 * good ones in orf. Rows whose filter cannot be built (a missing join
 * column, a value of the wrong type) are failed rows in errs. Returns the
 * number of good rows. */
static size_t
using_filters (bql_exec_t *x, const bql_batch_t *b, bson_t **q, bool *good, bson_t *orf, bql_row_errors_t *errs)
{
   bson_t arr;
   size_t ngood = 0;
   bson_append_array_begin (orf, "$or", 3, &arr);
   bool stop = false;
   for (size_t i = 0; i < b->n; i++) {
      if (stop) {
         /* ordered: nothing after a failed row (not attempted) */
         q[i] = bson_new ();
         good[i] = false;
         continue;
      }
      bson_t u = BSON_INITIALIZER;
      bool pipe;
      bql_error_t rerr;
      q[i] = bson_new ();
      good[i] = bql_plan_row_write (x->plan, b->docs[i], q[i], &u, &pipe, &rerr);
      bson_destroy (&u);
      if (!good[i]) {
         if (errs) {
            bql_row_errors_add (errs, i, b->rows[i], 0, rerr.message);
            stop = x->opts->ordered;
         }
         continue;
      }
      char kb[16];
      const char *k;
      bson_uint32_to_string ((uint32_t) ngood++, &k, kb, sizeof kb);
      bson_append_document (&arr, k, -1, q[i]);
   }
   bson_append_array_end (orf, &arr);
   return ngood;
}

/* The value of v under MongoDB's numeric equality: integers and
 * integral doubles as int64 (exact, so 1, 1L and 1.0 are one value, as
 * for $eq), other values as they are (a shallow copy, not to be freed). */
static void
canonical_value (const bson_value_t *v, bson_value_t *out)
{
   *out = *v;
   if (v->value_type == BSON_TYPE_INT32) {
      out->value_type = BSON_TYPE_INT64;
      out->value.v_int64 = v->value.v_int32;
   } else if (v->value_type == BSON_TYPE_DOUBLE) {
      double d = v->value.v_double;
      if (d == d && d >= -9223372036854775808.0 && d < 9223372036854775808.0 && (double) (int64_t) d == d) {
         out->value_type = BSON_TYPE_INT64;
         out->value.v_int64 = (int64_t) d;
      }
   }
}

/* The filter of a batch: the merged one when the rows allow it, else the
 * $or of their filters. */
static void
batch_filter_of (bson_t **q, const bool *good, size_t n, bson_t *orf, const char **path, bool *merged)
{
   bson_t m = BSON_INITIALIZER;
   *merged = bql_plan_merge_row_filters ((const bson_t *const *) q, good, n, &m, path);
   if (*merged) {
      bson_reinit (orf);
      bson_concat (orf, &m);
   } else {
      *path = NULL;
   }
   bson_destroy (&m);
}

bool
bql_exec_match_rows_batch (bql_exec_t *x, const bql_step_t *archive_step, const bql_step_t *delete_step,
                           const bql_batch_t *b, bql_batch_info_t *info, bql_row_errors_t *errs)
{
   const bql_plan_t *plan = x->plan;
   const bql_options_t *o = x->opts;
   bson_t **q = bson_malloc0 (sizeof *q * (b->n ? b->n : 1));
   bool *good = bson_malloc0 (sizeof *good * (b->n ? b->n : 1));
   bool *matched = bson_malloc0 (sizeof *matched * (b->n ? b->n : 1));
   bson_t orf = BSON_INITIALIZER, docs = BSON_INITIALIZER, ids = BSON_INITIALIZER;
   size_t ngood = using_filters (x, b, q, good, &orf, errs);
   bool ok = true;
   uint32_t nids = 0;
   const char *path = NULL;
   bool merged = false;
   /* merged filters: rows by the (numerically canonical) value of the
    * varying path, a row standing for the later ones with its value */
   bql_id_map_t by_value;
   size_t *group = bson_malloc0 (sizeof *group * (b->n ? b->n : 1));
   bool exact = true; /* every document read shows plainly whom it matches */
   bql_id_map_init (&by_value, b->n);
   if (ngood > 0) {
      batch_filter_of (q, good, b->n, &orf, &path, &merged);
   }
   for (size_t i = 0; merged && path && i < b->n; i++) {
      bson_iter_t f, op;
      group[i] = i;
      if (good[i] && bson_iter_init_find (&f, q[i], path) && bson_iter_recurse (&f, &op) && bson_iter_next (&op)) {
         bson_value_t cv;
         canonical_value (bson_iter_value (&op), &cv);
         bql_id_map_put (&by_value, &cv, i);
         bql_id_map_get (&by_value, &cv, &group[i]);
      }
   }

   if (ngood > 0) {
      /* the documents the rows match */
      mongoc_cursor_t *cur = mongoc_collection_find_with_opts (x->coll, &orf, NULL, NULL);
      const bson_t *doc;
      size_t bytes = 0;
      while (ok && mongoc_cursor_next (cur, &doc)) {
         bson_iter_t it;
         if (!bson_iter_init_find (&it, doc, "_id")) {
            continue;
         }
         bytes += doc->len;
         if ((int64_t) bytes > o->memory_limit) {
            ok = bql_exec_fail (x, BQL_ERR_REFUSED, 0,
                                "the rows of batch %lld match more documents than memory_limit (%lld bytes) holds: "
                                "lower batch_size; nothing of this batch was deleted",
                                (long long) info->batch_index + 1, (long long) o->memory_limit);
            break;
         }
         char kb[16];
         const char *k;
         bson_uint32_to_string (nids++, &k, kb, sizeof kb);
         bson_append_iter (&ids, k, -1, &it);
         if (archive_step) {
            bson_append_document (&docs, k, -1, doc);
         }
         if (merged && !path) {
            /* every row has the same filter, which this document matches */
            for (size_t i = 0; i < b->n; i++) {
               matched[i] = good[i];
            }
         } else if (merged) {
            bson_iter_t d, dv;
            size_t at;
            if (bson_iter_init (&d, doc) && bson_iter_find_descendant (&d, path, &dv) && !BSON_ITER_HOLDS_ARRAY (&dv) &&
                !BSON_ITER_HOLDS_DECIMAL128 (&dv)) {
               bson_value_t cv;
               canonical_value (bson_iter_value (&dv), &cv);
               if (bql_id_map_get (&by_value, &cv, &at)) {
                  matched[at] = true;
               } else {
                  exact = false;
               }
            } else {
               exact = false; /* an array, a path through one, a Decimal128: ask */
            }
         } else {
            exact = false;
            for (size_t i = 0; i < b->n; i++) {
               bool simple;
               if (good[i] && !matched[i] && evident_match (q[i], doc, &simple)) {
                  matched[i] = true;
               }
            }
         }
      }
      bson_error_t berr;
      if (ok && mongoc_cursor_error (cur, &berr)) {
         ok = read_refused (x, &berr);
      }
      mongoc_cursor_destroy (cur);
   }
   for (size_t i = 0; merged && path && i < b->n; i++) {
      matched[i] = good[i] && matched[group[i]];
   }
   bql_id_map_cleanup (&by_value);
   bson_free (group);
   /* rows no document read evidently matches: ask the server, unless every
    * document read showed whom it matches */
   for (size_t i = 0; ok && !exact && i < b->n; i++) {
      if (good[i] && !matched[i] && nids > 0) {
         ok = row_matches_any (x, q[i], &matched[i]);
      }
   }
   if (!ok) {
      /* the read failed (recorded): nothing of this batch was written,
       * and its rows count as not attempted */
   } else if (!delete_step) {
      /* dry_run: count the distinct documents */
      if (!x->seen) {
         x->seen = bson_malloc0 (sizeof *x->seen);
         bql_id_map_init (x->seen, 1024);
      }
      bson_iter_t it;
      bson_iter_init (&it, &ids);
      while (bson_iter_next (&it)) {
         if (!bql_id_map_get (x->seen, bson_iter_value (&it), NULL)) {
            bql_id_map_put (x->seen, bson_iter_value (&it), 0);
            x->n_would_write++;
         }
      }
   } else if (nids > 0) {
      size_t errs_before = errs->n;
      int64_t failed_before = info->n_failed;
      if (archive_step) {
         bson_iter_t ai;
         bson_iter_init_find (&ai, &archive_step->command, "insert");
         mongoc_collection_t *archive = mongoc_client_get_collection (x->client, plan->database, bson_iter_utf8 (&ai, NULL));
         bson_t archived = BSON_INITIALIZER;
         ok = archive_batch (x, archive_step, archive, &docs, nids, &archived, info, errs);
         errs_before = errs->n; /* documents the archive refused stay, each reported */
         failed_before = info->n_failed;
         if (ok && !bson_empty (&archived)) {
            ok = write_batch (x, delete_step, &orf, &archived, bson_count_keys (&archived), info, errs);
         }
         bson_destroy (&archived);
         mongoc_collection_destroy (archive);
      } else {
         ok = write_batch (x, delete_step, &orf, &ids, nids, info, errs);
      }
      if (errs->n > errs_before) {
         /* the delete of the batch failed: its rows that matched are
          * failed rows, with the server's message */
         char *msg = bson_strdup (errs->items[errs_before].errmsg);
         int32_t code = errs->items[errs_before].code;
         bql_row_errors_truncate (errs, errs_before);
         info->n_failed = failed_before;
         for (size_t i = 0; i < b->n; i++) {
            if (good[i] && matched[i]) {
               matched[i] = false;
               good[i] = false;
               bql_row_errors_add (errs, i, b->rows[i], code, msg);
            }
         }
         bson_free (msg);
      }
   }
   for (size_t i = 0; i < b->n; i++) {
      if (good[i] && ok) {
         if (matched[i]) {
            info->n_matched++;
         } else {
            x->n_unmatched++;
            bql_exec_note_unmatched (x, b->rows[i]);
         }
      }
      bson_destroy (q[i]);
   }
   bson_destroy (&orf);
   bson_destroy (&docs);
   bson_destroy (&ids);
   bson_free (q);
   bson_free (good);
   bson_free (matched);
   return ok;
}

/* max_delete_count: a first pass over the input counts the distinct
 * documents its rows match (batch_size rows per find of their $or, _ids
 * only), and refuses — deleting nothing — as soon as more than
 * max_delete_count match. FROM STDIN cannot be read twice: its rows are
 * kept (within memory_limit) in *replay for the second pass. */
static bool
count_using (bql_exec_t *x, bql_source_t *src, bql_source_t *replay)
{
   const bql_options_t *o = x->opts;
   int32_t bs = bql_options_batch (o);
   bql_id_map_t seen;
   bql_id_map_init (&seen, 1024);
   bson_t **docs = bson_malloc0 (sizeof *docs * (size_t) bs);
   const bson_t **ptrs = bson_malloc0 (sizeof *ptrs * (size_t) bs);
   int64_t *rows = bson_malloc0 (sizeof *rows * (size_t) bs);
   bool ok = true, end = false;
   while (ok && !end) {
      size_t n = 0;
      if (x->xo.cancel && *x->xo.cancel) {
         ok = bql_exec_fail (x, BQL_ERR_ABORTED, 0,
                             "cancelled while counting the documents the rows match (max_delete_count): nothing was "
                             "deleted");
         break;
      }
      while (n < (size_t) bs) {
         bson_t doc = BSON_INITIALIZER;
         int64_t rownum = 0;
         const char *why = NULL;
         bql_row_rc_t rc = bql_source_next (src, &doc, &rownum, &why);
         if (rc == BQL_ROW_ERROR) {
            bson_destroy (&doc);
            ok = bql_source_failed (src) ? bql_exec_fail_with (x, bql_source_error (src))
                                         : bql_exec_fail (x, BQL_ERR_ABORTED, 0, "%s (nothing was deleted)",
                                                          bql_source_error (src)->message);
            break;
         }
         if (rc == BQL_ROW_END) {
            bson_destroy (&doc);
            end = true;
            break;
         }
         if (replay && !bql_source_replay_add (replay, rownum, bql_source_line (src), &doc,
                                               rc == BQL_ROW_FAILED ? why : NULL, o->memory_limit)) {
            bson_destroy (&doc);
            ok = bql_exec_fail (x, BQL_ERR_REFUSED, 0,
                                "max_delete_count with USING STDIN keeps the input in memory to read it twice, and it "
                                "is larger than memory_limit (%lld bytes): nothing was deleted; give a file, or raise "
                                "memory_limit",
                                (long long) o->memory_limit);
            break;
         }
         if (rc == BQL_ROW_FAILED) {
            bson_destroy (&doc);
            continue; /* reported in the second pass */
         }
         docs[n] = bson_copy (&doc); /* a bson_t is not copied by assignment */
         bson_destroy (&doc);
         ptrs[n] = docs[n];
         rows[n] = rownum;
         n++;
      }
      if (ok && n > 0) {
         bql_batch_t b = {ptrs, rows, n, NULL};
         bson_t **q = bson_malloc0 (sizeof *q * n);
         bool *good = bson_malloc0 (sizeof *good * n);
         bson_t orf = BSON_INITIALIZER, opts = BSON_INITIALIZER, proj;
         size_t ngood = using_filters (x, &b, q, good, &orf, NULL);
         const char *path;
         bool merged;
         if (ngood > 0) {
            batch_filter_of (q, good, n, &orf, &path, &merged);
         }
         bson_append_document_begin (&opts, "projection", -1, &proj);
         BSON_APPEND_INT32 (&proj, "_id", 1);
         bson_append_document_end (&opts, &proj);
         if (ngood > 0) {
            mongoc_cursor_t *cur = mongoc_collection_find_with_opts (x->coll, &orf, &opts, NULL);
            const bson_t *doc;
            while (mongoc_cursor_next (cur, &doc)) {
               bson_iter_t it;
               if (bson_iter_init_find (&it, doc, "_id")) {
                  bql_id_map_put (&seen, bson_iter_value (&it), 0);
               }
            }
            bson_error_t berr;
            if (mongoc_cursor_error (cur, &berr)) {
               ok = read_refused (x, &berr);
            }
            mongoc_cursor_destroy (cur);
         }
         if (ok && (int64_t) seen.n > o->max_delete_count) {
            ok = bql_exec_fail (x, BQL_ERR_REFUSED, 0,
                                "at least %lld documents match the rows but max_delete_count is %lld: nothing was "
                                "deleted",
                                (long long) seen.n, (long long) o->max_delete_count);
         }
         for (size_t i = 0; i < n; i++) {
            bson_destroy (q[i]);
         }
         bson_free (q);
         bson_free (good);
         bson_destroy (&orf);
         bson_destroy (&opts);
      }
      for (size_t i = 0; i < n; i++) {
         bson_destroy (docs[i]);
      }
   }
   bql_id_map_cleanup (&seen);
   bson_free (docs);
   bson_free (ptrs);
   bson_free (rows);
   return ok;
}

bool
bql_exec_count_rows_guard (bql_exec_t *x, const bql_step_t *st)
{
   (void) st; /* its find is the template of count_using's */
   bql_source_t *first = bql_exec_open_source (x);
   if (!first) {
      return false;
   }
   bql_source_t *replay = NULL;
   if (x->plan->file && x->plan->file->is_stdin) {
      replay = bql_source_replay_new ();
   }
   bool ok = count_using (x, first, replay);
   bql_source_close (first);
   if (!ok) {
      bql_source_close (replay);
      replay = NULL;
   }
   x->replay = replay;
   return ok;
}

bool
bql_exec_match_rows_done (bql_exec_t *x, bool ok)
{
   const bql_options_t *o = x->opts;
   if (x->seen) {
      bql_id_map_cleanup (x->seen);
      bson_free (x->seen);
      x->seen = NULL;
   }
   if (ok && o->dry_run && o->max_delete_count >= 0 && x->n_would_write > o->max_delete_count) {
      return bql_exec_fail (x, BQL_ERR_REFUSED, 0,
                            "%lld documents match but max_delete_count is %lld: the delete would be refused (dry run: "
                            "nothing was written to the collection)",
                            (long long) x->n_would_write, (long long) o->max_delete_count);
   }
   return ok;
}
