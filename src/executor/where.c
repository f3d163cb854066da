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
 *
 * Every update, delete and archive command goes through the write path
 * (write_path.h) on a writer: the statement's thread's own for WHERE,
 * the row pipeline's (a worker's with parallel_workers) for USING. A lost
 * update or delete is sent again as it is when the statement's writes are
 * idempotent; a lost archive command is sent again as it is (duplicates
 * come back as duplicate keys and are replaced). The cursor of WHERE,
 * when lost, is opened again from the start within the same retry budget
 * (bql_write_path_wait).
 */
#include <stdio.h>
#include <string.h>

#include "operation.h"
#include "write_path.h"

#define CURSOR_NOT_FOUND 43

bool
bql_exec_count_step (bql_writer_t *w, const bql_step_t *st, int64_t *n)
{
   bson_t pipeline;
   bson_error_t berr;
   *n = 0;
   if (!bql_step_sub (st, "pipeline", &pipeline)) {
      return bql_writer_fail (w, BQL_ERR_INVALID_ARG, 0, "the count step has no pipeline");
   }
   bson_t wrapped = BSON_INITIALIZER;
   BSON_APPEND_ARRAY (&wrapped, "pipeline", &pipeline);
   mongoc_cursor_t *cur = mongoc_collection_aggregate (w->coll, MONGOC_QUERY_NONE, &wrapped, NULL, NULL);
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
      ok = bql_writer_connection_or_server_error (w, &berr, -1);
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
server_refused (bql_writer_t *w, const bson_error_t *berr, int64_t batch, const char *feature)
{
   if (feature && !bql_exec_is_connection_error (berr)) {
      return bql_writer_fail (w, BQL_ERR_SERVER, (int32_t) berr->code, "the server does not support %s: %s", feature,
                              berr->message);
   }
   return bql_writer_connection_or_server_error (w, berr, batch);
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

/* A batch of stored documents failed: one error for the batch (not tied
 * to a row) in errs, and its documents the server did not report as
 * written counted as failed. The message says how many of the batch's n
 * documents were written, unless nothing was (with_counts false). */
static void
batch_failed (const bql_step_t *st, bql_batch_info_t *info, int64_t n, int64_t written, int32_t code,
              const char *what, const char *errmsg, bql_row_errors_t *errs, bool with_counts)
{
   const char *verb = is_update (st) ? "updated" : "deleted";
   /* allocated: the server's message is kept whole */
   char *msg = n > 0 && with_counts
                  ? bson_strdup_printf ("%s: %s (of the batch's %lld documents, %lld were reported %s)", what, errmsg,
                                        (long long) n, (long long) written, verb)
                  : bson_strdup_printf ("%s: %s", what, errmsg);
   bql_row_errors_add (errs, (size_t) -1, 0, code, msg);
   bson_free (msg);
   if (n > written) {
      info->n_failed += n - written;
   }
}

/* The update or delete command of one batch, on the write path. */
typedef struct {
   bql_writer_t *w;
   const bql_step_t *st; /* the UPDATE_BATCH or DELETE_BATCH */
   const bson_t *q;
   bool whole;  /* no batch: the single command over the whole filter */
   const bson_t *ids; /* the batch's _ids (NULL when whole) */
   int64_t n;
   bql_batch_info_t *info;
   bql_row_errors_t *errs;
   bool in_doubt; /* the batch's documents were reported in doubt, each
                     by its _id: it is settled, nothing more is sent */
} where_cmd_t;

static bool
where_add (void *ctx, mongoc_bulk_operation_t *bulk, size_t *nops)
{
   where_cmd_t *c = ctx;
   bson_error_t berr;
   if (c->in_doubt) {
      *nops = 0;
      return true;
   }
   if (!add_write (c->st, bulk, c->q, &berr)) {
      /* refused by libmongoc's checks: every batch would be */
      batch_failed (c->st, c->info, c->n, 0, (int32_t) berr.code, "the batch could not be sent", berr.message, c->errs,
                    true);
      return bql_writer_fail (c->w, BQL_ERR_SERVER, (int32_t) berr.code, "%s", berr.message);
   }
   *nops = 1;
   return true;
}

/* The counts of the reply; the documents it reports written. */
static int64_t
where_counts (where_cmd_t *c, const bson_t *reply)
{
   bson_iter_t it;
   int64_t written = 0;
   if (bson_iter_init_find (&it, reply, "nMatched")) {
      c->info->n_matched += bson_iter_as_int64 (&it);
      written += bson_iter_as_int64 (&it);
   }
   if (bson_iter_init_find (&it, reply, "nModified")) {
      c->info->n_modified += bson_iter_as_int64 (&it);
   }
   if (bson_iter_init_find (&it, reply, "nRemoved")) {
      c->info->n_removed += bson_iter_as_int64 (&it);
      written += bson_iter_as_int64 (&it);
   }
   return written;
}

static const char *
where_refused_what (const where_cmd_t *c)
{
   return is_update (c->st)
             ? "the server refused the update of this batch; documents before the one that failed may have been "
               "updated"
             : "the server refused the delete of this batch; documents before the one that failed may have been "
               "deleted";
}

static bool
where_settle (void *ctx, const bql_write_result_t *r)
{
   where_cmd_t *c = ctx;
   for (size_t e = 0; e < r->wc_errors.n; e++) {
      bql_row_errors_append (c->errs, &r->wc_errors.items[e]);
   }
   int64_t written = where_counts (c, &r->reply);
   const bql_row_errors_t *found = &r->write_errors;
   if (found->n == 0) {
      return true;
   }
   /* write errors: the update or delete failed at a document */
   const char *what = where_refused_what (c);
   for (size_t e = 0; e < found->n; e++) {
      batch_failed (c->st, c->info, e ? 0 : c->n, written, found->items[e].code, what, found->items[e].errmsg, c->errs,
                    true);
   }
   if (c->whole) {
      return bql_writer_fail (c->w, BQL_ERR_SERVER, found->items[0].code, "%s: %s", what, found->items[0].errmsg);
   }
   return true;
}

/* A lost command of an idempotent statement: the same command again is
 * safe (deletes, $set); nothing to ask. */
static bql_recover_rc_t
where_recover (void *ctx, const bql_write_result_t *r)
{
   (void) ctx;
   (void) r;
   return BQL_RECOVER_RESEND;
}

/* The batch's update, not idempotent, was lost after it may have reached
 * the server: each of its documents is reported in doubt by its _id
 * (code IN_DOUBT: in the reply, the error record and
 * failed_records_file), and the batch is not sent again. */
static void
report_batch_in_doubt (where_cmd_t *c, const bson_error_t *lost, const char *what)
{
   char msg[700];
   snprintf (msg, sizeof msg,
             "in doubt: %s (%s): this document may or may not have been updated, and the batch was not sent again "
             "because its update is not idempotent ($inc, $mul, $push or a pipeline)",
             what, lost->message);
   bson_iter_t it;
   if (bson_iter_init (&it, c->ids)) {
      while (bson_iter_next (&it)) {
         bson_t doc = BSON_INITIALIZER;
         bson_append_iter (&doc, "_id", 3, &it);
         bql_row_errors_add_doc (c->errs, 0, BQL_CODE_IN_DOUBT, msg, &doc);
         bson_destroy (&doc);
      }
   }
   c->in_doubt = true;
}

/* A lost command of a statement that is not idempotent ($inc, ...),
 * after the path's wait: one that never reached the server is sent
 * again; otherwise its documents are in doubt, and the statement goes
 * on with the next batch. */
static bql_recover_rc_t
where_recover_in_doubt (void *ctx, const bql_write_result_t *r)
{
   where_cmd_t *c = ctx;
   if (!bql_write_not_sent (&r->error)) {
      report_batch_in_doubt (c, &r->error, bql_write_lost_what (&r->error));
   }
   return BQL_RECOVER_RESEND;
}

static bool
where_give_up (void *ctx, const bql_write_result_t *r, bql_give_up_t why, int retries)
{
   where_cmd_t *c = ctx;
   bql_writer_t *w = c->w;
   const bson_error_t *berr = &r->error;
   if (c->ids && !bql_writer_idempotent (w) && (why != BQL_GIVE_UP_REFUSED || r->retryable) &&
       !bql_write_not_sent (berr)) {
      /* lost after it may have reached the server, and not to be sent
       * again: in doubt; the statement stops (cancelled, or the server
       * stayed away) */
      char what[300];
      char tries[64];
      snprintf (what, sizeof what, "%s%s", bql_write_gave_up_what (berr, why),
                bql_writer_retries_ran_out (w, retries, tries, sizeof tries));
      report_batch_in_doubt (c, berr, what);
      return bql_writer_gave_up (w, berr, why, c->info->batch_index, retries);
   }
   if (why == BQL_GIVE_UP_CANCELLED) {
      batch_failed (c->st, c->info, c->n, 0, (int32_t) berr->code,
                    bql_write_cancelled_in_flight (berr) ? "cancelled while the batch was in flight: documents of "
                                                           "this batch may or may not have been written (in doubt)"
                                                         : "cancelled while waiting to retry the lost batch",
                    berr->message, c->errs, true);
      return bql_writer_gave_up (w, berr, why, c->info->batch_index, 0);
   }
   where_counts (c, &r->reply);
   /* refused although the probe said the server has the feature */
   const char *feature =
      bql_step_needs (c->st) & BQL_NEEDS_PIPELINE_UPDATES ? BQL_FEATURE_PIPELINE_UPDATES : NULL;
   if (feature && !bql_exec_is_connection_error (berr) && (berr->code == 14 || berr->code == 9)) {
      char msg[300];
      snprintf (msg, sizeof msg, "not written: the server does not support %s", feature);
      batch_failed (c->st, c->info, c->n, 0, (int32_t) berr->code, msg, berr->message, c->errs, false);
      return server_refused (w, berr, c->info->batch_index, feature);
   }
   if (r->retryable || bql_exec_is_connection_error (berr)) {
      /* lost: retries ran out, or it was not safe to send again */
      bool idem = bql_writer_idempotent (w);
      /* (not idempotent and lost after it may have reached the server:
       * in doubt, above) */
      bool not_sent = !idem && bql_write_not_sent (berr);
      const char *lost =
         bql_write_lost_what (berr);
      char what_lost[400];
      if (not_sent) {
         char tries[64];
         snprintf (what_lost, sizeof what_lost, "not written: %s%s", lost,
                   bql_writer_retries_ran_out (w, retries, tries, sizeof tries));
      } else if (!r->retryable) {
         snprintf (what_lost, sizeof what_lost, "%s; documents of this batch may or may not have been written", lost);
      } else if (idem) {
         char tries[64];
         snprintf (what_lost, sizeof what_lost, "%s%s; documents of this batch may or may not have been written", lost,
                   bql_writer_retries_ran_out (w, retries, tries, sizeof tries));
      } else {
         snprintf (what_lost, sizeof what_lost,
                   "%s; documents of this batch may or may not have been written, and the batch was not sent "
                   "again because its update is not idempotent ($inc, $mul, $push or a pipeline)",
                   lost);
      }
      batch_failed (c->st, c->info, c->n, 0, (int32_t) berr->code, what_lost, berr->message, c->errs, true);
      bool ok = bql_writer_connection_or_server_error (w, berr, c->info->batch_index);
      bql_writer_note_retries (w, retries);
      if (r->retryable && !idem && !not_sent) {
         bql_error_t *e = &w->tally->error;
         size_t len = strlen (e->message);
         snprintf (e->message + len, sizeof e->message - len,
                   "; the batch's update may or may not have been applied, and it was not sent again because it "
                   "is not idempotent ($inc, $mul, $push or a pipeline)");
      }
      return ok;
   }
   batch_failed (c->st, c->info, c->n, 0, (int32_t) berr->code, where_refused_what (c), berr->message, c->errs, true);
   return c->whole ? bql_writer_connection_or_server_error (w, berr, c->info->batch_index) : true;
}

/* One update or delete command over a batch — the n documents whose _ids
 * are ids and that filter still matches — or over the whole filter when
 * ids is NULL. filter is the statement's (or, for DELETE ... USING, the
 * $or of the batch's row filters). Counts go to info.
 * Whatever goes wrong writes one error of the batch to errs (and so its
 * error record), and the batch's documents the server did not report as
 * written count as failed; continue_on_error and max_errors then decide
 * whether the statement goes on. A batch lost to a retryable error is
 * sent again (write path) when the statement's writes are idempotent.
 * False when the statement must stop (recorded in w's tally): the server
 * is lost, retries ran out, the server lacks a feature the statement
 * needs, or the single unbatched command failed. */
static bool
write_batch (bql_writer_t *w, const bql_step_t *st, const bson_t *filter, const bson_t *ids, int64_t n,
             bql_batch_info_t *info, bql_row_errors_t *errs, bool *in_doubt)
{
   const char *why;
   const char *feature = bql_writer_lacks (w, bql_step_needs (st), &why);
   if (feature) {
      /* the server lacks what the command needs (its probe): not sent */
      char what[300], reason[300];
      snprintf (what, sizeof what, "not written: the server does not support %s", feature);
      snprintf (reason, sizeof reason, "%s, so the %s was not sent", why, is_update (st) ? "update" : "delete");
      batch_failed (st, info, n, 0, 0, what, reason, errs, false);
      return bql_writer_fail (w, BQL_ERR_SERVER, 0, "the server does not support %s: %s", feature, reason);
   }
   bson_t q;
   batch_query (st, filter, ids, &q);
   where_cmd_t c = {.w = w, .st = st, .q = &q, .whole = ids == NULL, .ids = ids, .n = n, .info = info, .errs = errs};
   /* the template's ordered and bypassDocumentValidation (a delete's
    * carries none: there is nothing to validate, and servers that check
    * the delete command's fields strictly refuse the whole command for
    * it; see steps.c) */
   bql_write_step_t step = {.ctx = &c,
                            .coll = w->coll,
                            .ordered = st->ordered,
                            .no_bypass = !bson_has_field (&st->command, "bypassDocumentValidation"),
                            .add = where_add,
                            .settle = where_settle,
                            .recover = bql_writer_idempotent (w) ? where_recover
                                       : ids                     ? where_recover_in_doubt
                                                                 : NULL,
                            .give_up = where_give_up};
   int retries = 0;
   bool ok = bql_write_path_run (w, &step, &retries);
   bson_destroy (&q);
   if (in_doubt) {
      *in_doubt = c.in_doubt;
   }
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

/* The archive writes of one batch, on the write path: the copies
 * (store), and per copy whether the archive failed to acknowledge it and
 * whether it was refused as a duplicate key. */
typedef struct {
   bql_writer_t *w;
   bql_batch_info_t *info;
   const bson_t *store; /* the copies, n of them */
   const bson_value_t *idv;
   uint32_t n;
   size_t *op_doc;      /* the copy of each operation of the command */
   size_t nops;
   bool *failed;
   bool *dup;
   bql_row_errors_t *errs; /* the copies the archive refused */
   bool replace;        /* second pass: replace the duplicates */
   size_t errs_before;  /* errs of earlier passes and attempts */
} archive_cmd_t;

static bool
archive_add (void *ctx, mongoc_bulk_operation_t *bulk, size_t *nops)
{
   archive_cmd_t *c = ctx;
   bson_error_t berr;
   c->nops = 0;
   if (!c->replace) {
      /* the inserts: an attempt starts afresh */
      bql_row_errors_truncate (c->errs, 0);
      memset (c->failed, 0, sizeof *c->failed * (c->n ? c->n : 1));
      memset (c->dup, 0, sizeof *c->dup * (c->n ? c->n : 1));
      for (uint32_t k = 0; k < c->n; k++) {
         if (mongoc_bulk_operation_insert_with_opts (bulk, &c->store[k], NULL, &berr)) {
            c->op_doc[c->nops++] = k;
         } else {
            c->failed[k] = true;
            bql_row_errors_add (c->errs, k, 0, (int32_t) berr.code, berr.message);
         }
      }
   } else {
      c->errs_before = c->errs->n;
      for (uint32_t k = 0; k < c->n; k++) {
         if (!c->dup[k]) {
            continue;
         }
         bson_t q = BSON_INITIALIZER, opts = BSON_INITIALIZER;
         bson_append_value (&q, "_id", 3, &c->idv[k]);
         BSON_APPEND_BOOL (&opts, "upsert", true);
         if (mongoc_bulk_operation_replace_one_with_opts (bulk, &q, &c->store[k], &opts, &berr)) {
            c->op_doc[c->nops++] = k;
            c->failed[k] = false;
         } else {
            bql_row_errors_add (c->errs, k, 0, (int32_t) berr.code, berr.message);
         }
         bson_destroy (&q);
         bson_destroy (&opts);
      }
   }
   *nops = c->nops;
   return true;
}

/* failed marks the copies the archive did not acknowledge, and (first
 * pass) dup those refused as duplicate keys. */
static bool
archive_settle (void *ctx, const bql_write_result_t *r)
{
   archive_cmd_t *c = ctx;
   for (size_t e = 0; e < r->write_errors.n; e++) {
      const bql_row_error_t *we = &r->write_errors.items[e];
      if (we->index < c->nops) {
         size_t d = c->op_doc[we->index];
         c->failed[d] = true;
         if (!c->replace && we->code == 11000) {
            c->dup[d] = true;
         } else {
            bql_row_errors_add (c->errs, d, 0, we->code, we->errmsg);
         }
      }
   }
   return true;
}

/* Nothing is known of a lost command: every copy it held is unacknowledged. */
static void
archive_unknown (archive_cmd_t *c)
{
   for (size_t k = 0; k < c->nops; k++) {
      c->failed[c->op_doc[k]] = true;
   }
   if (c->replace) {
      bql_row_errors_truncate (c->errs, c->errs_before);
   }
}

/* A lost archive command is sent again as it is: what the lost attempt
 * wrote comes back as duplicate keys (inserts) or is replaced again
 * (replacements keyed by _id). */
static bql_recover_rc_t
archive_recover (void *ctx, const bql_write_result_t *r)
{
   (void) r;
   archive_unknown (ctx);
   return BQL_RECOVER_RESEND;
}

static bool
archive_give_up (void *ctx, const bql_write_result_t *r, bql_give_up_t why, int retries)
{
   archive_cmd_t *c = ctx;
   archive_unknown (c);
   return bql_writer_gave_up (c->w, &r->error, why, c->info->batch_index, retries);
}

/* Write the batch's documents to the archive, then report in archived the
 * _ids the archive holds. Documents are inserted; one whose _id is in the
 * archive already (from a run that was interrupted after archiving it) is
 * written again as a replacement keyed by _id, so the archive never holds
 * a document twice and always holds its latest copy. */
static bool
archive_batch (bql_writer_t *w, const bql_step_t *st, mongoc_collection_t *archive, const bson_t *docs, uint32_t n,
               bson_t *archived, bql_batch_info_t *info, bql_row_errors_t *batch_errs)
{
   bson_t tu;
   bool have_template = bql_step_sub (st, "documents.0", &tu);
   BSON_ASSERT (have_template);
   int64_t now = bql_wall_ms ();
   bson_t *store = bson_malloc0 (sizeof *store * (n ? n : 1));
   bson_value_t *idv = bson_malloc0 (sizeof *idv * (n ? n : 1));
   bql_row_errors_t errs = {0};

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
      i++;
   }
   archive_cmd_t c = {.w = w, .info = info, .store = store, .idv = idv, .n = i, .errs = &errs};
   c.op_doc = bson_malloc (sizeof *c.op_doc * (n ? n : 1));
   c.failed = bson_malloc0 (sizeof *c.failed * (n ? n : 1));
   c.dup = bson_malloc0 (sizeof *c.dup * (n ? n : 1));
   /* A copy whose writeConcern failed is not known to be durable: its
    * document must not be deleted, so such a reply is no account. */
   bql_write_step_t step = {.ctx = &c,
                            .coll = archive,
                            .ordered = false,
                            .wc_error_is_lost = true,
                            .add = archive_add,
                            .settle = archive_settle,
                            .recover = archive_recover,
                            .give_up = archive_give_up};
   /* Insert the copies; then replace the documents archived by an
    * interrupted run (a replacement keyed by _id can be sent again). */
   int retries = 0;
   bool ok = bql_write_path_run (w, &step, &retries);
   if (ok) {
      c.replace = true;
      retries = 0;
      ok = bql_write_path_run (w, &step, &retries);
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
      if (!c.failed[k]) {
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
   bson_free (store);
   bson_free (idv);
   bson_free (c.op_doc);
   bson_free (c.failed);
   bson_free (c.dup);
   return ok;
}

/* The read of the matching documents (find) failed. */
static bool
read_refused (bql_writer_t *w, const bson_error_t *berr)
{
   if (bql_exec_is_connection_error (berr)) {
      return bql_writer_fail (w, BQL_ERR_CONNECTION, (int32_t) berr->code, "lost the server while reading the matching documents: %s",
                            berr->message);
   }
   bson_iter_t it, child;
   if (bson_iter_init (&it, &w->plan->filter) && bson_iter_find_descendant (&it, "$expr", &child)) {
      return bql_writer_fail (w, BQL_ERR_SERVER, (int32_t) berr->code,
                            "the server does not support this $expr filter (a comparison between fields or arithmetic "
                            "in WHERE): %s",
                            berr->message);
   }
   return bql_writer_fail (w, BQL_ERR_SERVER, (int32_t) berr->code, "the server refused the read of the matching documents: %s",
                         berr->message);
}

bool
bql_exec_command_step (bql_writer_t *w, const bql_step_t *st, const char *feature)
{
   mongoc_database_t *db = mongoc_client_get_database (w->client, w->plan->database);
   bson_t reply;
   bson_error_t berr;
   bool ok = mongoc_database_write_command_with_opts (db, &st->command, NULL, &reply, &berr);
   if (!ok) {
      ok = server_refused (w, &berr, -1, feature);
   }
   bson_destroy (&reply);
   mongoc_database_destroy (db);
   return ok;
}

bool
bql_exec_write_all (bql_exec_t *x, bql_writer_t *w, const bql_step_t *st)
{
   bql_batch_info_t info = {0};
   bql_row_errors_t errs = {0};
   int64_t started_at = bql_wall_ms ();
   w->batches_done = x->batches;
   bool ok = write_batch (w, st, NULL, NULL, 0, &info, &errs, NULL);
   bql_exec_add_tally (x, w->tally);
   bql_exec_finish_batch (x, &info, NULL, &errs, started_at);
   bql_row_errors_cleanup (&errs);
   return ok;
}

/* A resumed operation whose writes are not idempotent: the _ids of its
 * batch in flight (checkpoint.inFlightIds) are reported in doubt, as a
 * batch of their own, and never written again. False when the statement
 * must stop. */
static bool
report_in_doubt_ids (bql_exec_t *x)
{
   bson_iter_t it;
   bql_row_errors_t errs = {0};
   bql_batch_info_t info = {0};
   if (!bson_iter_init (&it, &x->resume->in_flight_ids)) {
      return true;
   }
   while (bson_iter_next (&it)) {
      bson_t doc = BSON_INITIALIZER;
      bson_append_iter (&doc, "_id", 3, &it);
      bql_row_errors_add_doc (&errs, 0, BQL_CODE_IN_DOUBT,
                              "in doubt: in the batch in flight when the operation was interrupted, its outcome is "
                              "unknown, and the update is not idempotent: not written again",
                              &doc);
      bson_destroy (&doc);
      info.size++;
   }
   if (errs.n == 0) {
      return true;
   }
   info.batch_index = x->resume->carried.batches;
   bool go_on = bql_exec_finish_batch (x, &info, NULL, &errs, bql_wall_ms ());
   bql_row_errors_cleanup (&errs);
   /* reported: the scan goes on after the last of them (they were the
    * next batch in _id order), and they leave inFlightIds */
   bson_iter_t last, li;
   bool have_last = false;
   if (bson_iter_init (&li, &x->resume->in_flight_ids)) {
      while (bson_iter_next (&li)) {
         last = li;
         have_last = true;
      }
   }
   return bql_operation_batch_done (x, 0, 0, have_last ? bson_iter_value (&last) : NULL, true, go_on) && go_on;
}

/* The filter of a read started again after a lost one: filter, and when
 * last is given, only the _ids after it (in the server's order across
 * BSON types, as a resume's), into out (initialised here). */
static void
after_last_written (const bson_t *filter, const bson_value_t *last, bson_t *out)
{
   if (!last) {
      bson_init (out);
      bson_concat (out, filter);
      return;
   }
   bql_resume_t r;
   bql_resume_init (&r);
   bson_append_value (&r.last_id, "", 0, last);
   r.has_last_id = true;
   bql_resume_scan_filter (&r, filter, false, out);
   bql_resume_cleanup (&r);
}

bool
bql_exec_scan_ids (bql_exec_t *x, bql_writer_t *w, const bql_step_t *scan, const bql_step_t *steps, size_t nsteps)
{
   const bql_plan_t *plan = x->plan;
   const bql_step_t *archive_step = NULL, *write_step = NULL, *mark_step = NULL;
   for (size_t i = 0; i < nsteps; i++) {
      if (steps[i].kind == BQL_STEP_ARCHIVE_BATCH) {
         archive_step = &steps[i];
      } else if (steps[i].kind == BQL_STEP_MARK_IN_FLIGHT) {
         mark_step = &steps[i];
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
      archive = mongoc_client_get_collection (w->client, plan->database, bson_iter_utf8 (&it, NULL));
   }
   /* the find of the template: its filter, and the rest as options */
   bson_t template_filter, filter, opts = BSON_INITIALIZER;
   bool have_filter = bql_step_sub (scan, "filter", &template_filter);
   BSON_ASSERT (have_filter);
   /* a resumed operation scans on after its checkpoint's lastId, and
    * leaves out the _ids of its batch in flight when its writes are not
    * idempotent: those are in doubt */
   bool idempotent = bql_writer_idempotent (w);
   bql_resume_scan_filter (x->resume, &template_filter, !idempotent, &filter);
   if (x->resume && !idempotent && !report_in_doubt_ids (x)) {
      bson_destroy (&filter);
      bson_destroy (&opts);
      if (archive) {
         mongoc_collection_destroy (archive);
      }
      return false;
   }
   bson_copy_to_excluding_noinit (&scan->command, &opts, "find", "filter", NULL);
   bson_iter_t bi;
   int32_t bs = bson_iter_init_find (&bi, &opts, "batchSize") ? bson_iter_int32 (&bi) : 0;
   mongoc_cursor_t *cursor = mongoc_collection_find_with_opts (w->coll, &filter, &opts, NULL);
   int cursor_retries = 0;
   bool ok = true;

   const bson_t *doc;
   bson_t ids = BSON_INITIALIZER, docs = BSON_INITIALIZER;
   uint32_t n = 0;
   int64_t batch = 0;
   int64_t batch_started = bql_wall_ms ();
   bool more = true;
   bson_value_t last_written; /* the last _id of the batches written, when not idempotent */
   bool have_written = false;
   while (ok && more) {
      w->batches_done = x->batches;
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
             * lose it when a write's connection was lost. When the writes
             * are not idempotent, the read starts again after the last
             * _id of the batches written (the scan is in _id order), so
             * no document is updated twice. */
            bool lost = bql_exec_is_retryable (&berr, err_reply) || berr.code == CURSOR_NOT_FOUND;
            bool cancelled;
            if (lost && bql_write_path_wait (w, &cursor_retries, &cancelled)) {
               restart = true;
            } else {
               ok = read_refused (w, &berr);
               break;
            }
         }
         if (n > 0) {
            bql_batch_info_t info = {0};
            bql_row_errors_t errs = {0};
            bool in_doubt = false;
            info.batch_index = batch++;
            info.size = n;
            if (mark_step && !bql_operation_mark_ids (w, &ids)) {
               /* not sent: its record in inFlightIds could not be written */
               bql_exec_add_tally (x, w->tally);
               ok = false;
               break;
            }
            if (archive) {
               bson_t archived = BSON_INITIALIZER;
               ok = archive_batch (w, archive_step, archive, &docs, n, &archived, &info, &errs);
               if (ok && !bson_empty (&archived)) {
                  ok = write_batch (w, write_step, NULL, &archived, bson_count_keys (&archived), &info, &errs, NULL);
               }
               bson_destroy (&archived);
            } else {
               ok = write_batch (w, write_step, NULL, &ids, n, &info, &errs, &in_doubt);
            }
            bql_exec_add_tally (x, w->tally);
            x->rows_done += n;
            bool go_on = bql_exec_finish_batch (x, &info, NULL, &errs, batch_started);
            /* the scan is in _id order: the batch's last _id is its highest */
            bson_iter_t li;
            char lk[16];
            const char *lkey;
            bson_uint32_to_string (n - 1, &lkey, lk, sizeof lk);
            bool have_last = bson_iter_init_find (&li, &ids, lkey);
            /* a batch reported in doubt is settled: its documents are
             * listed, and a resume does not report them again */
            go_on = bql_operation_batch_done (x, 0, 0, have_last ? bson_iter_value (&li) : NULL, ok || in_doubt,
                                              go_on && ok) &&
                    go_on;
            if (have_last && !idempotent) {
               if (have_written) {
                  bson_value_destroy (&last_written);
               }
               bson_value_copy (bson_iter_value (&li), &last_written);
               have_written = true;
            }
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
            bson_t again;
            after_last_written (&filter, have_written && !idempotent ? &last_written : NULL, &again);
            cursor = mongoc_collection_find_with_opts (w->coll, &again, &opts, NULL);
            bson_destroy (&again);
         } else if (!have) {
            more = false;
         }
      }
   }
   bson_destroy (&opts);
   bson_destroy (&filter);
   bson_destroy (&ids);
   bson_destroy (&docs);
   if (have_written) {
      bson_value_destroy (&last_written);
   }
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
row_matches_any (bql_writer_t *w, const bson_t *q, bool *found)
{
   bson_t opts = BSON_INITIALIZER, proj;
   bson_append_document_begin (&opts, "projection", -1, &proj);
   BSON_APPEND_INT32 (&proj, "_id", 1);
   bson_append_document_end (&opts, &proj);
   BSON_APPEND_INT64 (&opts, "limit", 1);
   mongoc_cursor_t *cur = mongoc_collection_find_with_opts (w->coll, q, &opts, NULL);
   const bson_t *doc;
   *found = mongoc_cursor_next (cur, &doc);
   bson_error_t berr;
   bool ok = *found || !mongoc_cursor_error (cur, &berr) || read_refused (w, &berr);
   mongoc_cursor_destroy (cur);
   bson_destroy (&opts);
   return ok;
}

/* The filters of the batch's rows: q[i] for each row, {$or: [...]} of the
 * good ones in orf. Rows whose filter cannot be built (a missing join
 * column, a value of the wrong type, a value the server cannot take) are
 * failed rows in errs. Returns the number of good rows. */
static size_t
using_filters (bql_writer_t *w, const bql_batch_t *b, bson_t **q, bool *good, bson_t *orf, bql_row_errors_t *errs)
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
      good[i] = bql_plan_row_write (w->plan, b->docs[i], q[i], &u, &pipe, &rerr);
      bson_destroy (&u);
      const bson_t *sent = q[i];
      if (good[i] && bql_writer_refuses_row (w, b->docs[i], &sent, 1, rerr.message, sizeof rerr.message)) {
         good[i] = false; /* a value the server cannot take (NaN, ±Infinity) */
      }
      if (!good[i]) {
         if (errs) {
            bql_row_errors_add (errs, i, b->rows[i], 0, rerr.message);
            stop = w->opts->ordered;
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

/* MATCH_ROWS (one batch of DELETE ... USING rows, on the row pipeline's
 * writer w): read the documents the rows' filters match (one find of
 * their $or), tell each row whether it matched (evidently from the
 * documents read, else by a find of its own filter with limit 1), then,
 * with a delete_step, run archive_step when given on the documents read
 * and delete_step on exactly those (that still match): {$and: [{_id:
 * {$in: ids}}, {$or: filters}]}. nMatched counts the rows that matched;
 * the rows that matched nothing are listed as unmatched. Without a
 * delete_step (dry_run) the distinct documents are counted (nWouldWrite). */
bool
bql_exec_match_rows_batch (bql_writer_t *w, const bql_step_t *archive_step, const bql_step_t *delete_step,
                           const bql_batch_t *b, bql_batch_info_t *info, bql_row_errors_t *errs)
{
   const bql_plan_t *plan = w->plan;
   const bql_options_t *o = w->opts;
   bson_t **q = bson_malloc0 (sizeof *q * (b->n ? b->n : 1));
   bool *good = bson_malloc0 (sizeof *good * (b->n ? b->n : 1));
   bool *matched = bson_malloc0 (sizeof *matched * (b->n ? b->n : 1));
   bson_t orf = BSON_INITIALIZER, docs = BSON_INITIALIZER, ids = BSON_INITIALIZER;
   size_t ngood = using_filters (w, b, q, good, &orf, errs);
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
      mongoc_cursor_t *cur = mongoc_collection_find_with_opts (w->coll, &orf, NULL, NULL);
      const bson_t *doc;
      size_t bytes = 0;
      while (ok && mongoc_cursor_next (cur, &doc)) {
         bson_iter_t it;
         if (!bson_iter_init_find (&it, doc, "_id")) {
            continue;
         }
         bytes += doc->len;
         if ((int64_t) bytes > o->memory_limit) {
            ok = bql_writer_fail (w, BQL_ERR_REFUSED, 0,
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
         ok = read_refused (w, &berr);
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
         ok = row_matches_any (w, q[i], &matched[i]);
      }
   }
   if (!ok) {
      /* the read failed (recorded): nothing of this batch was written,
       * and its rows count as not attempted */
   } else if (!delete_step) {
      /* dry_run: count the distinct documents */
      if (!w->seen) {
         w->seen = bson_malloc0 (sizeof *w->seen); /* freed with the writer */
         bql_id_map_init (w->seen, 1024);
      }
      bson_iter_t it;
      bson_iter_init (&it, &ids);
      while (bson_iter_next (&it)) {
         if (!bql_id_map_get (w->seen, bson_iter_value (&it), NULL)) {
            bql_id_map_put (w->seen, bson_iter_value (&it), 0);
            w->tally->n_would_write++;
         }
      }
   } else if (nids > 0) {
      size_t errs_before = errs->n;
      int64_t failed_before = info->n_failed;
      if (archive_step) {
         bson_iter_t ai;
         bson_iter_init_find (&ai, &archive_step->command, "insert");
         mongoc_collection_t *archive =
            mongoc_client_get_collection (w->client, plan->database, bson_iter_utf8 (&ai, NULL));
         bson_t archived = BSON_INITIALIZER;
         ok = archive_batch (w, archive_step, archive, &docs, nids, &archived, info, errs);
         errs_before = errs->n; /* documents the archive refused stay, each reported */
         failed_before = info->n_failed;
         if (ok && !bson_empty (&archived)) {
            ok = write_batch (w, delete_step, &orf, &archived, bson_count_keys (&archived), info, errs, NULL);
         }
         bson_destroy (&archived);
         mongoc_collection_destroy (archive);
      } else {
         ok = write_batch (w, delete_step, &orf, &ids, nids, info, errs, NULL);
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
            w->tally->n_unmatched++;
            bql_writer_note_unmatched (w, b->rows[i]);
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
count_using (bql_exec_t *x, bql_writer_t *w, bql_source_t *src, bql_source_t *replay)
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
         bql_batch_t b = {ptrs, rows, n, NULL, NULL};
         bson_t **q = bson_malloc0 (sizeof *q * n);
         bool *good = bson_malloc0 (sizeof *good * n);
         bson_t orf = BSON_INITIALIZER, opts = BSON_INITIALIZER, proj;
         size_t ngood = using_filters (w, &b, q, good, &orf, NULL);
         const char *path;
         bool merged;
         if (ngood > 0) {
            batch_filter_of (q, good, n, &orf, &path, &merged);
         }
         bson_append_document_begin (&opts, "projection", -1, &proj);
         BSON_APPEND_INT32 (&proj, "_id", 1);
         bson_append_document_end (&opts, &proj);
         if (ngood > 0) {
            mongoc_cursor_t *cur = mongoc_collection_find_with_opts (w->coll, &orf, &opts, NULL);
            const bson_t *doc;
            while (mongoc_cursor_next (cur, &doc)) {
               bson_iter_t it;
               if (bson_iter_init_find (&it, doc, "_id")) {
                  bql_id_map_put (&seen, bson_iter_value (&it), 0);
               }
            }
            bson_error_t berr;
            if (mongoc_cursor_error (cur, &berr)) {
               ok = read_refused (w, &berr);
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
bql_exec_count_rows_guard (bql_exec_t *x, bql_writer_t *w, const bql_step_t *st)
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
   bool ok = count_using (x, w, first, replay);
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
   if (ok && o->dry_run && o->max_delete_count >= 0 && x->n_would_write > o->max_delete_count) {
      return bql_exec_fail (x, BQL_ERR_REFUSED, 0,
                            "%lld documents match but max_delete_count is %lld: the delete would be refused (dry run: "
                            "nothing was written to the collection)",
                            (long long) x->n_would_write, (long long) o->max_delete_count);
   }
   return ok;
}
