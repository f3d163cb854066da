/*
 * write_path.c — the one routine that sends a write command and settles
 * it (see write_path.h for how it relates to libmongoc's retryWrites),
 * and what the steps share to read a reply: writeErrors,
 * writeConcernErrors, the errors the retryable-writes specification
 * retries, and the backoff between retries.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "write_path.h"

/* ---- reading a reply ---- */

bool
bql_exec_is_connection_error (const bson_error_t *e)
{
   return e->domain == MONGOC_ERROR_STREAM || e->domain == MONGOC_ERROR_SERVER_SELECTION ||
          (e->domain == MONGOC_ERROR_CLIENT && e->code == MONGOC_ERROR_CLIENT_AUTHENTICATE);
}

bool
bql_exec_is_retryable (const bson_error_t *e, const bson_t *reply)
{
   /* the codes the drivers' retryable-writes specification retries */
   static const uint32_t codes[] = {6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436};
   if (e->domain == MONGOC_ERROR_STREAM || e->domain == MONGOC_ERROR_SERVER_SELECTION) {
      return true;
   }
   if (e->domain == MONGOC_ERROR_SERVER || e->domain == MONGOC_ERROR_QUERY || e->domain == MONGOC_ERROR_WRITE_CONCERN) {
      for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
         if (e->code == codes[i]) {
            return true;
         }
      }
   }
   bson_iter_t it, ai;
   if (reply && bson_iter_init_find (&it, reply, "errorLabels") && BSON_ITER_HOLDS_ARRAY (&it) &&
       bson_iter_recurse (&it, &ai)) {
      while (bson_iter_next (&ai)) {
         if (BSON_ITER_HOLDS_UTF8 (&ai) && !strcmp (bson_iter_utf8 (&ai, NULL), "RetryableWriteError")) {
            return true;
         }
      }
   }
   return false;
}

/* writeErrors [{index, code, errmsg}] of a bulk reply into errs, each
 * with the operation's index in the command ((size_t) -1 when out of
 * [0, nops)) and row 0 (the step maps operations to rows). */
static void
collect_write_errors (const bson_t *reply, size_t nops, bql_row_errors_t *errs)
{
   bson_iter_t it, ai;
   if (!bson_iter_init_find (&it, reply, "writeErrors") || !BSON_ITER_HOLDS_ARRAY (&it) || !bson_iter_recurse (&it, &ai)) {
      return;
   }
   while (bson_iter_next (&ai)) {
      bson_iter_t ei;
      int64_t index = -1;
      int32_t code = 0;
      const char *msg = "";
      if (!BSON_ITER_HOLDS_DOCUMENT (&ai) || !bson_iter_recurse (&ai, &ei)) {
         continue;
      }
      while (bson_iter_next (&ei)) {
         const char *k = bson_iter_key (&ei);
         if (!strcmp (k, "index")) {
            index = bson_iter_as_int64 (&ei);
         } else if (!strcmp (k, "code")) {
            code = (int32_t) bson_iter_as_int64 (&ei);
         } else if (!strcmp (k, "errmsg") && BSON_ITER_HOLDS_UTF8 (&ei)) {
            msg = bson_iter_utf8 (&ei, NULL);
         }
      }
      bql_row_errors_add (errs, index >= 0 && (size_t) index < nops ? (size_t) index : (size_t) -1, 0, code, msg);
   }
}

/* writeConcernErrors of a bulk reply, as errors not tied to a row. */
static void
collect_wc_errors (const bson_t *reply, bql_row_errors_t *errs)
{
   bson_iter_t it, ai;
   if (!bson_iter_init_find (&it, reply, "writeConcernErrors") || !BSON_ITER_HOLDS_ARRAY (&it) ||
       !bson_iter_recurse (&it, &ai)) {
      return;
   }
   while (bson_iter_next (&ai)) {
      bson_iter_t ei;
      int32_t code = 0;
      const char *msg = "write concern error";
      if (!BSON_ITER_HOLDS_DOCUMENT (&ai) || !bson_iter_recurse (&ai, &ei)) {
         continue;
      }
      while (bson_iter_next (&ei)) {
         if (!strcmp (bson_iter_key (&ei), "code")) {
            code = (int32_t) bson_iter_as_int64 (&ei);
         } else if (!strcmp (bson_iter_key (&ei), "errmsg") && BSON_ITER_HOLDS_UTF8 (&ei)) {
            msg = bson_iter_utf8 (&ei, NULL);
         }
      }
      char full[600];
      snprintf (full, sizeof full, "write concern error: %s", msg);
      bql_row_errors_add (errs, (size_t) -1, 0, code, full);
      errs->items[errs->n - 1].write_concern = true;
   }
}

/* ---- retries ---- */

int64_t
bql_retry_backoff_ms (const bql_options_t *o, int attempt)
{
   int64_t ms = o->retry_backoff_ms;
   for (int i = 1; i < attempt && ms < 30000; i++) {
      ms *= 2;
   }
   return ms > 30000 ? 30000 : ms;
}

bool
bql_retry_sleep (const volatile int *cancel, int64_t ms)
{
   int64_t until = bson_get_monotonic_time () + ms * 1000;
   while (bson_get_monotonic_time () < until) {
      if (cancel && *cancel) {
         return false;
      }
      struct timespec ts = {0, 20 * 1000 * 1000};
      nanosleep (&ts, NULL);
   }
   return true;
}

bool
bql_write_path_wait (bql_writer_t *w, int *retries, bool *cancelled)
{
   *cancelled = false;
   if (*retries >= w->opts->retry_attempts) {
      return false;
   }
   int attempt = ++*retries;
   int64_t ms = bql_retry_backoff_ms (w->opts, attempt);
   w->tally->retries++;
   if (w->xo->on_retry) {
      bql_retry_info_t ri = {.attempt = attempt,
                             .max_attempts = (int) w->opts->retry_attempts,
                             .backoff_ms = ms,
                             .batches_done = w->batches_done};
      w->xo->on_retry (&ri, w->xo->retry_ctx);
   }
   if (!bql_retry_sleep (w->xo->cancel, ms)) {
      *cancelled = true;
      return false;
   }
   return true;
}

bool
bql_writer_idempotent (const bql_writer_t *w)
{
   /* deleting again, or setting deleted_at again, is safe: a DELETE has
    * no SET list */
   const bql_plan_t *p = w->plan;
   if (p->pipeline) {
      return false;
   }
   for (size_t i = 0; i < p->nset; i++) {
      if (p->set[i].op == BQL_SET_INC || p->set[i].op == BQL_SET_MUL || p->set[i].op == BQL_SET_PUSH) {
         return false;
      }
   }
   return true;
}

bool
bql_writer_connection_or_server_error (bql_writer_t *w, const bson_error_t *berr, int64_t batch_index)
{
   if (bql_exec_is_connection_error (berr)) {
      return bql_writer_fail (w, BQL_ERR_CONNECTION, (int32_t) berr->code, "lost the server during batch %lld: %s",
                              (long long) batch_index + 1, berr->message);
   }
   return bql_writer_fail (w, BQL_ERR_SERVER, (int32_t) berr->code, "the server refused batch %lld: %s",
                           (long long) batch_index + 1, berr->message);
}

void
bql_writer_note_retries (bql_writer_t *w, int retries)
{
   if (retries <= 0) {
      return;
   }
   bql_error_t *e = &w->tally->error;
   size_t len = strlen (e->message);
   snprintf (e->message + len, sizeof e->message - len, " (after %d retr%s; retry_attempts = %d)", retries,
             retries == 1 ? "y" : "ies", (int) w->opts->retry_attempts);
}

const char *
bql_writer_retries_ran_out (const bql_writer_t *w, int retries, char *buf, size_t n)
{
   if (retries > 0) {
      snprintf (buf, n, " and %d retr%s ran out", retries, retries == 1 ? "y" : "ies");
   } else if (w->opts->retry_attempts <= 0) {
      snprintf (buf, n, " (retry_attempts = 0)");
   } else {
      snprintf (buf, n, "%s", "");
   }
   return buf;
}

/* ---- the path ---- */

/* A bulk operation on coll with the statement's writeConcern and, unless
 * no_bypass, bypassDocumentValidation. */
static mongoc_bulk_operation_t *
new_bulk (const bql_writer_t *w, const bql_write_step_t *step)
{
   bson_t opts = BSON_INITIALIZER;
   BSON_APPEND_BOOL (&opts, "ordered", step->ordered);
   if (!bson_empty (&w->opts->write_concern)) {
      BSON_APPEND_DOCUMENT (&opts, "writeConcern", &w->opts->write_concern);
   }
   mongoc_bulk_operation_t *bulk = mongoc_collection_create_bulk_operation_with_opts (step->coll, &opts);
   bson_destroy (&opts);
   if (w->opts->bypass_validation) {
      mongoc_bulk_operation_set_bypass_document_validation (bulk, true);
   }
   if (step->no_bypass) {
      mongoc_bulk_operation_set_bypass_document_validation (bulk, false);
   }
   return bulk;
}

static void
result_cleanup (bql_write_result_t *r)
{
   bson_destroy (&r->reply);
   bql_row_errors_cleanup (&r->write_errors);
   bql_row_errors_cleanup (&r->wc_errors);
}

bool
bql_write_path_run (bql_writer_t *w, const bql_write_step_t *step, int *retries)
{
   for (;;) {
      mongoc_bulk_operation_t *bulk = new_bulk (w, step);
      size_t nops = 0;
      if (!step->add (step->ctx, bulk, &nops)) {
         mongoc_bulk_operation_destroy (bulk);
         return false;
      }
      if (nops == 0) {
         mongoc_bulk_operation_destroy (bulk);
         return true;
      }
      bql_write_result_t r;
      memset (&r, 0, sizeof r);
      r.nops = nops;
      r.ran = mongoc_bulk_operation_execute (bulk, &r.reply, &r.error) != 0;
      mongoc_bulk_operation_destroy (bulk);
      collect_write_errors (&r.reply, nops, &r.write_errors);
      collect_wc_errors (&r.reply, &r.wc_errors);
      bool account = r.ran || r.write_errors.n > 0 || (r.wc_errors.n > 0 && !step->wc_error_is_lost);
      bool ok;
      if (account) {
         ok = step->settle (step->ctx, &r);
         result_cleanup (&r);
         return ok;
      }
      r.retryable = bql_exec_is_retryable (&r.error, &r.reply);
      if (!r.retryable || !step->recover) {
         ok = step->give_up (step->ctx, &r, BQL_GIVE_UP_REFUSED, *retries);
         result_cleanup (&r);
         return ok;
      }
      /* lost: wait, ask what the lost attempt did, send the rest again */
      bool resend = false, cancelled = false;
      while (bql_write_path_wait (w, retries, &cancelled)) {
         if (step->recover (step->ctx, &r) == BQL_RECOVER_RESEND) {
            resend = true;
            break;
         }
      }
      if (!resend) {
         ok = step->give_up (step->ctx, &r, cancelled ? BQL_GIVE_UP_CANCELLED : BQL_GIVE_UP_RAN_OUT, *retries);
         result_cleanup (&r);
         return ok;
      }
      result_cleanup (&r);
   }
}
