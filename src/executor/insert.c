/*
 * insert.c — BULK INSERT: rows in batches of batch_size through libmongoc
 * bulk inserts, ordered or unordered. With ON DUPLICATE KEY UPDATE the
 * batch is inserted unordered and exactly the rows the server rejected
 * with duplicate key error 11000 are then updated with the SET list,
 * matched on _id or on the listed key columns (SPEC §1).
 */
#include <string.h>

#include "write_path.h"

#define DUPLICATE_KEY 11000

/* The insert option {validate: false}: libmongoc skips its checks of the
 * document (mongoc_bulk_operation_insert_with_opts). Without options,
 * libmongoc 1.23 walks every document with bson_validate_with_error
 * (its default insert flags), which refuses a document whose field names
 * are not all non-empty and valid UTF-8 ("invalid document for insert:
 * empty key", "... corrupt BSON"), and nothing else that our sources build:
 * names starting with '$' or holding '.' pass, and so does a string that
 * is not valid UTF-8. A row whose source built it with every name
 * checked the same way (BQL_ROW_NAMES_VALID: bql_field_name_valid) is
 * never refused by that walk, so it is skipped for such a row only; any
 * other row is checked by libmongoc as before, with the same message.
 * The option itself is not sent to the server.
 * tests/unit/test_json_fast.c holds libmongoc's verdicts against
 * bql_field_name_valid. (insert_add builds it once per command.) */

/* One batch insert on the write path: the positions of the batch still
 * to send, and what the last command sent. */
typedef struct {
   bql_writer_t *w;
   const bql_batch_t *b;
   bool ordered;
   bool dup_update; /* ON DUPLICATE KEY UPDATE follows the insert */
   bql_batch_info_t *info;
   bql_row_errors_t *errs;
   size_t *todo; /* positions in the batch still to send */
   size_t ntodo;
   size_t *sent; /* positions sent, in the order of the command */
   size_t nsent;
} insert_t;

static bool
insert_add (void *ctx, mongoc_bulk_operation_t *bulk, size_t *nops)
{
   insert_t *c = ctx;
   bson_t no_validate = BSON_INITIALIZER;
   BSON_APPEND_BOOL (&no_validate, "validate", false);
   const uint8_t *facts = c->b->facts;
   c->nsent = 0;
   for (size_t j = 0; j < c->ntodo; j++) {
      size_t i = c->todo[j];
      bson_error_t berr;
      const bson_t *opts = facts && (facts[i] & BQL_ROW_NAMES_VALID) ? &no_validate : NULL;
      if (!mongoc_bulk_operation_insert_with_opts (bulk, c->b->docs[i], opts, &berr)) {
         /* refused on the client by libmongoc's document checks */
         bql_row_errors_add (c->errs, i, c->b->rows[i], (int32_t) berr.code, berr.message);
         if (c->ordered) {
            break; /* ordered: nothing after a refused row is attempted */
         }
         continue;
      }
      c->sent[c->nsent++] = i;
   }
   bson_destroy (&no_validate);
   /* what is pending now is what was sent: a refused row is settled */
   memcpy (c->todo, c->sent, sizeof *c->todo * c->nsent);
   c->ntodo = c->nsent;
   *nops = c->nsent;
   return true;
}

/* A duplicate key on the deterministic _id this operation gives row i
 * (a row without its own _id) in a resumed operation: the interrupted
 * run wrote exactly that row, so it is already written, never a failed
 * row or a second copy (issue 15), where the lookup of rows in doubt
 * (check_stored, up to resume_bound) did not see it: past the bound, or
 * applied by the server after the lookup (a server finishes a command
 * whose client was killed). Unordered batches
 * only: in an ordered one the server stopped at that row and the rows
 * after it were not attempted, so the duplicate stays a failed row and
 * the statement stops there, to be resumed again. */
static bool
already_ours (const insert_t *c, size_t i, int32_t code)
{
   bson_iter_t it;
   return code == DUPLICATE_KEY && c->w->resume && !c->ordered && bson_iter_init_find (&it, c->b->docs[i], "_id") &&
          bql_resume_id_is_ours (c->w->resume, c->b->rows[i], bson_iter_value (&it));
}

static bool
insert_settle (void *ctx, const bql_write_result_t *r)
{
   insert_t *c = ctx;
   bson_iter_t it;
   c->info->n_inserted += bson_iter_init_find (&it, &r->reply, "nInserted") ? bson_iter_as_int64 (&it) : 0;
   for (size_t e = 0; e < r->write_errors.n; e++) {
      const bql_row_error_t *we = &r->write_errors.items[e];
      if (we->index < c->nsent) {
         size_t i = c->sent[we->index];
         if (already_ours (c, i, we->code)) {
            /* written by the interrupted run, as a run without the
             * interruption would count it */
            c->w->tally->n_already_written++;
            c->info->n_inserted++;
            continue;
         }
         bql_row_errors_add (c->errs, i, c->b->rows[i], we->code, we->errmsg);
      } else {
         bql_row_errors_add (c->errs, (size_t) -1, 0, we->code, we->errmsg);
      }
   }
   for (size_t e = 0; e < r->wc_errors.n; e++) {
      bql_row_errors_append (c->errs, &r->wc_errors.items[e]);
   }
   return true;
}

/* Which of the documents to send (todo) are on the server already?
 * Every document has its _id (rows.c gives one). After a lost command,
 * or one the server refused as a whole (recover_refused: the rows not
 * found are then failed rows), with resuming false, those stored
 * exactly as sent were written by that command and count as inserted.
 * For the rows in doubt of a resumed operation (resuming true), those
 * stored as sent, or under this operation's deterministic _id for the
 * row, count as already written;
 * with ON DUPLICATE KEY UPDATE a different document stays to be sent
 * (its update follows). Otherwise a different document under the same
 * _id is a duplicate key error for that row. ASK_AGAIN when the server
 * cannot be asked; todo keeps the rows still to send. */
static bql_recover_rc_t
check_stored (insert_t *c, bool resuming)
{
   const bql_batch_t *b = c->b;
   bson_t filter = BSON_INITIALIZER, id, in;
   bson_append_document_begin (&filter, "_id", 3, &id);
   bson_append_array_begin (&id, "$in", 3, &in);
   for (size_t j = 0; j < c->ntodo; j++) {
      bson_iter_t it;
      char kb[16];
      const char *k;
      bson_uint32_to_string ((uint32_t) j, &k, kb, sizeof kb);
      bson_iter_init_find (&it, b->docs[c->todo[j]], "_id");
      bson_append_iter (&in, k, -1, &it);
   }
   bson_append_array_end (&id, &in);
   bson_append_document_end (&filter, &id);
   mongoc_cursor_t *cur = mongoc_collection_find_with_opts (c->w->coll, &filter, NULL, NULL);
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
      return BQL_RECOVER_ASK_AGAIN;
   }
   size_t keep = 0;
   bool stop = false;
   for (size_t j = 0; j < c->ntodo; j++) {
      size_t i = c->todo[j];
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
            bson_t a = BSON_INITIALIZER, o = BSON_INITIALIZER;
            bson_append_value (&a, "", 0, want);
            bson_append_iter (&o, "", 0, &si);
            bool eq = bson_equal (&a, &o);
            bson_destroy (&a);
            bson_destroy (&o);
            if (eq) {
               exists = true;
               same = bson_equal (&stored, b->docs[i]);
               break;
            }
         }
      }
      if (resuming && exists && (same || bql_resume_id_is_ours (c->w->resume, b->rows[i], want))) {
         /* written by the interrupted run: inserted by this operation,
          * as a run without the interruption would count it */
         c->w->tally->n_already_written++;
         c->info->n_inserted++;
      } else if (!exists || (resuming && c->dup_update)) {
         c->todo[keep++] = i;
      } else if (same) {
         c->info->n_inserted++;
      } else {
         bql_row_errors_add (c->errs, i, b->rows[i], DUPLICATE_KEY,
                             resuming ? "duplicate key: another document with this _id is stored (found when "
                                        "resuming: the row was in doubt)"
                                      : "duplicate key: another document with this _id is stored (found when retrying)");
         stop = c->ordered;
      }
   }
   c->ntodo = keep;
   bson_destroy (&found);
   return BQL_RECOVER_RESEND;
}

static bql_recover_rc_t
insert_recover (void *ctx, const bql_write_result_t *r)
{
   (void) r;
   return check_stored (ctx, false);
}

/* A resumed operation: the rows of b that are stored already are not
 * sent again (check_stored); c->todo is left with the rows to send, in
 * the batch's order. An insert is not marked in flight before it is sent
 * (it need not be: its _id tells), so batches handed to a writer after
 * the last checkpoint, and with parallel_workers batches around a gap,
 * may be on the server too: every row the checkpoint does not say
 * completed is asked for, up to a bound past sentThrough. Between two
 * checkpoints a writer is handed at most checkpoint_interval +
 * parallel_workers batches (one per completed batch, and one per
 * worker); twice that many batches of batch_size rows, and one more, past
 * sentThrough (or the last range in flight) bound what the interrupted
 * run can have sent, so the rows after that bound are new and not asked
 * for (asking for every row to the end of the input made a resume
 * quadratic on a server whose _id $in lookup scans). batch_size = 0 (one
 * command): every row is asked for. False when the server could not be
 * asked (recorded). */
static int64_t
resume_bound (const insert_t *c)
{
   const bql_resume_t *r = c->w->resume;
   const bql_options_t *o = c->w->opts;
   if (o->batch_size <= 0) {
      return INT64_MAX;
   }
   int64_t base = r->sent_through;
   for (size_t i = 0; i < r->n_in_flight; i++) {
      if (r->in_flight[i].last > base) {
         base = r->in_flight[i].last;
      }
   }
   int64_t interval = o->checkpoint_interval > 0 ? o->checkpoint_interval : 1;
   int64_t workers = o->parallel_workers > 0 ? o->parallel_workers : 1;
   return base + (2 * (interval + workers) + 1) * (int64_t) o->batch_size;
}

static bool
resume_check (insert_t *c, int *retries)
{
   const bql_batch_t *b = c->b;
   bool *doubt = bson_malloc0 (sizeof *doubt * (b->n ? b->n : 1));
   size_t nd = 0;
   int64_t bound = resume_bound (c);
   for (size_t j = 0; j < c->ntodo; j++) {
      size_t i = c->todo[j]; /* (in order: nd <= j) */
      if (bql_resume_row (c->w->resume, b->rows[i]) != BQL_RESUME_ROW_DONE && b->rows[i] <= bound) {
         doubt[i] = true;
         c->todo[nd++] = i;
      }
   }
   bool ok = true;
   if (nd > 0) {
      c->ntodo = nd;
      /* a server that went away is waited for, as for a lost batch (the
       * same retry policy: retry_timeout, retry_attempts) */
      bool cancelled = false;
      c->w->lost_since_us = 0;
      while (check_stored (c, true) == BQL_RECOVER_ASK_AGAIN) {
         if (!bql_write_path_wait (c->w, retries, &cancelled)) {
            char tries[96];
            ok = bql_writer_fail (c->w, cancelled ? BQL_ERR_ABORTED : BQL_ERR_CONNECTION, 0,
                                  "%s the server which rows in doubt of batch %lld are stored already%s",
                                  cancelled ? "cancelled while waiting to ask" : "cannot ask",
                                  (long long) c->info->batch_index + 1,
                                  bql_writer_retries_ran_out (c->w, *retries, tries, sizeof tries));
            c->ntodo = 0; /* none is known to be stored: none is sent */
            break;
         }
      }
      for (size_t j = 0; j < c->ntodo; j++) {
         doubt[c->todo[j]] = false; /* to send after all */
      }
      c->ntodo = 0;
      bool stop = false;
      for (size_t i = 0; i < b->n && !stop; i++) {
         bool failed = false;
         for (size_t e = 0; e < c->errs->n; e++) {
            failed = failed || c->errs->items[e].index == i;
         }
         stop = failed && c->ordered; /* ordered: nothing after it */
         if (!failed && !doubt[i]) {
            c->todo[c->ntodo++] = i; /* not stored already, not failed */
         }
      }
   }
   bson_free (doubt);
   return ok;
}

/* A command without an account that is not sent again: every row still
 * in doubt is a failed row of this batch (and so in its error record),
 * then the statement stops. After a refusal the rows found stored
 * (insert_recover) were counted as inserted: the rest failed. */
static bool
insert_give_up (void *ctx, const bql_write_result_t *r, bql_give_up_t why, int retries)
{
   insert_t *c = ctx;
   const bson_error_t *berr = &r->error;
   char msg[700], tries[64];
   if (r->retryable || bql_exec_is_connection_error (berr)) {
      snprintf (msg, sizeof msg, "%s%s: this row may or may not have been written (%s)",
                bql_write_gave_up_what (berr, why),
                bql_writer_retries_ran_out (c->w, retries, tries, sizeof tries), berr->message);
   } else {
      snprintf (msg, sizeof msg, "the server refused the batch: %s", berr->message);
   }
   for (size_t j = 0; j < c->ntodo; j++) {
      bql_row_errors_add (c->errs, c->todo[j], c->b->rows[c->todo[j]], (int32_t) berr->code, msg);
   }
   return bql_writer_gave_up (c->w, berr, why, c->info->batch_index, retries);
}

bool
bql_exec_insert_batch (bql_writer_t *w, const bql_batch_t *b, bool ordered, bql_batch_info_t *info,
                       bql_row_errors_t *errs)
{
   insert_t c = {.w = w, .b = b, .ordered = ordered, .info = info, .errs = errs};
   c.todo = bson_malloc (sizeof *c.todo * (b->n ? b->n : 1));
   c.sent = bson_malloc (sizeof *c.sent * (b->n ? b->n : 1));
   for (size_t i = 0; i < b->n; i++) {
      char msg[700];
      /* a row the source built with finite numbers only needs no search */
      bool finite = b->facts && (b->facts[i] & BQL_ROW_FINITE);
      if (!finite && bql_writer_refuses_row (w, b->docs[i], &b->docs[i], 1, msg, sizeof msg)) {
         /* a value the server cannot take (NaN, ±Infinity): a failed row */
         bql_row_errors_add (errs, i, b->rows[i], 0, msg);
         if (ordered) {
            break; /* ordered: nothing after a failed row */
         }
         continue;
      }
      c.todo[c.ntodo++] = i;
   }
   c.dup_update = bql_writer_has_step (w, BQL_STEP_DUPLICATE_KEY_UPDATE);
   int retries = 0;
   if (w->resume && !resume_check (&c, &retries)) {
      bson_free (c.todo);
      bson_free (c.sent);
      return false;
   }
   if (c.ntodo == 0) {
      bson_free (c.todo);
      bson_free (c.sent);
      return true;
   }
   bql_write_step_t step = {.ctx = &c,
                            .coll = w->coll,
                            .ordered = ordered,
                            .recover_refused = true,
                            .add = insert_add,
                            .settle = insert_settle,
                            .recover = insert_recover,
                            .give_up = insert_give_up};
   bool ok = bql_write_path_run (w, &step, &retries);
   bson_free (c.todo);
   bson_free (c.sent);
   return ok;
}

/* The rows rejected as duplicates (11000), updated with the SET list,
 * matched on _id or the key columns. A row whose update matches nothing
 * was refused by another unique index than its key's, and fails. */
bool
bql_exec_update_refused (bql_writer_t *w, const bql_batch_t *b, bql_batch_info_t *info, bql_row_errors_t *errs)
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
         bql_row_errors_append (&keep, e);
      }
   }
   bool ok = true;
   if (ndup) {
      ok = bql_exec_update_rows (w, b, dup, ndup, w->opts->ordered, msgs, info, &keep);
   }
   bson_free (dup);
   bson_free (msgs);
   bql_row_errors_cleanup (errs);
   *errs = keep;
   return ok;
}
