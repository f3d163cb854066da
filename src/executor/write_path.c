/*
 * write_path.c — the one routine that sends a write command and settles
 * it (see write_path.h for how it relates to libmongoc's retryWrites),
 * and what the steps share to read a reply: writeErrors,
 * writeConcernErrors, the errors the retryable-writes specification
 * retries, and the backoff between retries.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
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

bool
bql_write_not_sent (const bson_error_t *e)
{
   if (e->domain == MONGOC_ERROR_SERVER_SELECTION) {
      return true; /* no server was selected to send it to */
   }
   if (e->domain != MONGOC_ERROR_STREAM) {
      return false;
   }
   if (e->code == MONGOC_ERROR_STREAM_NAME_RESOLUTION || e->code == MONGOC_ERROR_STREAM_CONNECT ||
       e->code == MONGOC_ERROR_STREAM_NOT_ESTABLISHED) {
      return true; /* no connection to send it on */
   }
   if (e->code != MONGOC_ERROR_STREAM_SOCKET) {
      return false;
   }
   /* libmongoc 1.23 (mongoc-cluster.c, mongoc_cluster_run_opmsg) gives a
    * failed write of the request and a failed read of the reply the same
    * domain and code, and decorates both as 'Failed to send "CMD"
    * command with database "DB": WHY'. WHY tells them apart: the
    * stream's writev errors (mongoc-stream.c) mean the request did not
    * leave whole, so the server never ran it (a message cut short is
    * never parsed); "connection closed" is the check of an idle
    * connection before anything is sent. Anything else (a failed or
    * timed-out read: "socket error or timeout", "Failed to read ...")
    * may have come after the server ran the command. */
   static const char *const before_sending[] = {"Failure during socket delivery", "Failure to send all requested bytes",
                                                "Failed to write rpc bytes"};
   if (!strcmp (e->message, "connection closed")) {
      return true;
   }
   const char *why = strstr (e->message, "\": ");
   why = why ? why + 3 : e->message;
   for (size_t i = 0; i < sizeof before_sending / sizeof before_sending[0]; i++) {
      if (!strncmp (why, before_sending[i], strlen (before_sending[i]))) {
         return true;
      }
   }
   /* the failure was in a command of the connection's handshake or
    * check (hello, ping, ...), before the write command was sent */
   static const char *const writes[] = {"Failed to send \"insert\"", "Failed to send \"update\"",
                                        "Failed to send \"delete\"", "Failed to send \"findAndModify\""};
   if (!strncmp (e->message, "Failed to send \"", 16)) {
      for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++) {
         if (!strncmp (e->message, writes[i], strlen (writes[i]))) {
            return false;
         }
      }
      return true;
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
   /* doubled per attempt up to 5 s (or retry_backoff_ms when larger) */
   int64_t cap = o->retry_backoff_ms > 5000 ? o->retry_backoff_ms : 5000;
   int64_t ms = o->retry_backoff_ms;
   for (int i = 1; i < attempt && ms < cap; i++) {
      ms *= 2;
   }
   return ms > cap ? cap : ms;
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
   return !(cancel && *cancel);
}

/* Sleep ms like bql_retry_sleep, calling the statement's progress about
 * every 500 ms with the pending retry (a writer on the statement's
 * thread). */
static bool
retry_sleep_progress (bql_writer_t *w, int attempt, int64_t ms)
{
   if (!w->stmt) {
      return bql_retry_sleep (w->xo->cancel, ms);
   }
   int64_t until = bson_get_monotonic_time () + ms * 1000;
   for (;;) {
      int64_t left_us = until - bson_get_monotonic_time ();
      bql_exec_progress_waiting (w->stmt, 0, 0, attempt, ms);
      if (left_us <= 0) {
         return !(w->xo->cancel && *w->xo->cancel);
      }
      if (!bql_retry_sleep (w->xo->cancel, left_us > 500000 ? 500 : (left_us + 999) / 1000)) {
         return false;
      }
   }
}

bool
bql_write_path_wait (bql_writer_t *w, int *retries, bool *cancelled)
{
   *cancelled = false;
   w->budget_spent = false;
   int64_t now = bson_get_monotonic_time ();
   if (w->lost_since_us == 0) {
      w->lost_since_us = now;
   }
   int64_t left_ms = w->opts->retry_timeout_ms - (now - w->lost_since_us) / 1000;
   if (*retries >= w->opts->retry_attempts) {
      return false;
   }
   if (left_ms <= 0) {
      w->budget_spent = true;
      return false;
   }
   int attempt = ++*retries;
   int64_t ms = bql_retry_backoff_ms (w->opts, attempt);
   if (ms > left_ms) {
      ms = left_ms; /* the last try at the end of the budget */
   }
   if (!w->log_only) {
      w->tally->retries++;
   }
   if (w->xo->on_retry && !w->log_only) {
      bql_retry_info_t ri = {.attempt = attempt,
                             .max_attempts = (int) w->opts->retry_attempts,
                             .backoff_ms = ms,
                             .batches_done = w->batches_done};
      w->xo->on_retry (&ri, w->xo->retry_ctx);
   }
   if (!retry_sleep_progress (w, attempt, ms)) {
      *cancelled = true;
      return false;
   }
   return true;
}

bool
bql_write_path_again (bql_writer_t *w, const bson_error_t *berr, const bson_t *reply, int *retries)
{
   if (*retries == 0) {
      w->lost_since_us = 0; /* retry_timeout counts from this command's loss */
   }
   bool cancelled;
   return bql_exec_is_retryable (berr, reply) && bql_write_path_wait (w, retries, &cancelled);
}

bool
bql_writer_idempotent (const bql_writer_t *w)
{
   /* deleting again, or setting deleted_at again, is safe: a DELETE has
    * no SET list (the planner's rule, which EXPLAIN's steps follow) */
   return bql_plan_idempotent (w->plan);
}

bool
bql_writer_connection_or_server_error (bql_writer_t *w, const bson_error_t *berr, int64_t batch_index)
{
   if (bql_write_cancelled_in_flight (berr)) {
      return bql_writer_fail (w, BQL_ERR_ABORTED, 0,
                              "cancelled while batch %lld was in flight: the server did not answer, so its "
                              "outcome is unknown; its rows are in doubt (counted as failed, not acknowledged)",
                              (long long) batch_index + 1);
   }
   if (bql_exec_is_connection_error (berr)) {
      return bql_writer_fail (w, BQL_ERR_CONNECTION, (int32_t) berr->code, "lost the server during batch %lld: %s",
                              (long long) batch_index + 1, berr->message);
   }
   return bql_writer_fail (w, BQL_ERR_SERVER, (int32_t) berr->code, "the server refused batch %lld: %s",
                           (long long) batch_index + 1, berr->message);
}

const char *
bql_write_gave_up_what (const bson_error_t *e, bql_give_up_t why)
{
   if (why == BQL_GIVE_UP_CANCELLED && !bql_write_cancelled_in_flight (e)) {
      return "cancelled while waiting to retry the lost batch";
   }
   return bql_write_lost_what (e);
}

bool
bql_writer_gave_up (bql_writer_t *w, const bson_error_t *berr, bql_give_up_t why, int64_t batch_index, int retries)
{
   if (why == BQL_GIVE_UP_CANCELLED && !bql_write_cancelled_in_flight (berr)) {
      return bql_writer_fail (w, BQL_ERR_ABORTED, (int32_t) berr->code,
                              "cancelled while waiting to retry batch %lld (lost: %s); its rows are in doubt "
                              "(counted as failed, not acknowledged)",
                              (long long) batch_index + 1, berr->message);
   }
   bool ok = bql_writer_connection_or_server_error (w, berr, batch_index);
   bql_writer_note_retries (w, retries);
   return ok;
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
   if (w->xo->cancel && *w->xo->cancel) {
      snprintf (buf, n, "%s", ""); /* cancelled: no retry ran out */
   } else if (retries > 0 && w->budget_spent) {
      snprintf (buf, n, " and %d retr%s in %g s ran out (retry_timeout)", retries, retries == 1 ? "y" : "ies",
                (double) w->opts->retry_timeout_ms / 1000.0);
   } else if (retries > 0) {
      snprintf (buf, n, " and %d retr%s ran out", retries, retries == 1 ? "y" : "ies");
   } else if (w->opts->retry_attempts <= 0) {
      snprintf (buf, n, " (retry_attempts = 0)");
   } else if (w->opts->retry_timeout_ms <= 0) {
      snprintf (buf, n, " (retry_timeout = 0)");
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

/* ---- sending a command so that the writer's thread can give up ---- */

/* One command in flight on the writer's sending thread. Until done, the
 * sending thread owns bulk, coll, reply and error; after done (under
 * send_mu) the writer's thread does, unless it abandoned the command
 * first: then the sending thread frees everything, client included, when
 * execute returns, and ends. One mutex and condition for every job and
 * sending thread of the process (none is ever destroyed under a thread
 * that may still hold it); the condition is broadcast, each waiter
 * checks its own job. */
static pthread_mutex_t send_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t send_cv = PTHREAD_COND_INITIALIZER;
static int send_detached; /* abandoned jobs not yet freed (send_mu) */

typedef struct send_job {
   bool done;
   bool abandoned;
   mongoc_client_t *client;       /* set when abandoned: the writer's
                                     send_client, now the job's */
   mongoc_collection_t *coll;     /* on the send client */
   mongoc_bulk_operation_t *bulk; /* on coll */
   bool ran;
   bson_t reply;
   bson_error_t error;
} send_job_t;

static void
send_job_free (send_job_t *j)
{
   mongoc_bulk_operation_destroy (j->bulk);
   mongoc_collection_destroy (j->coll);
   if (j->client) {
      mongoc_client_destroy (j->client);
   }
   bson_destroy (&j->reply);
   free (j);
}

static void *
send_main (void *arg)
{
   send_job_t *j = arg;
   bson_t reply;
   bson_error_t error;
   bool ran = mongoc_bulk_operation_execute (j->bulk, &reply, &error) != 0;
   pthread_mutex_lock (&send_mu);
   bson_steal (&j->reply, &reply);
   j->error = error;
   j->ran = ran;
   j->done = true;
   bool abandoned = j->abandoned;
   pthread_cond_broadcast (&send_cv);
   pthread_mutex_unlock (&send_mu);
   if (abandoned) {
      send_job_free (j); /* nobody else holds it */
      pthread_mutex_lock (&send_mu);
      send_detached--;
      pthread_cond_broadcast (&send_cv);
      pthread_mutex_unlock (&send_mu);
   }
   return NULL;
}

/* A writer's sending thread: it runs the jobs its writer hands it, one
 * at a time, until the writer stops it (quit) or abandons a job: then,
 * detached, it ends after that job and frees itself. One thread per
 * writer for the whole statement, not one per command: a thread started
 * per batch cost about a fifth of the client's CPU of a CSV load. The
 * fields are under send_mu. */
typedef struct sender {
   pthread_t tid;
   pthread_cond_t cv; /* its own: a job handed, quit or abandoned (send_cv
                         is left to the writers waiting for a reply) */
   send_job_t *job; /* handed, not yet taken */
   bool quit;       /* the writer is done: end when idle */
   bool abandoned;  /* the writer left with a job in flight: end after it */
} sender_t;

static void *
sender_main (void *arg)
{
   sender_t *s = arg;
   pthread_mutex_lock (&send_mu);
   for (;;) {
      while (!s->job && !s->quit && !s->abandoned) {
         pthread_cond_wait (&s->cv, &send_mu);
      }
      send_job_t *j = s->job;
      s->job = NULL;
      if (!j) {
         break;
      }
      pthread_mutex_unlock (&send_mu);
      send_main (j);
      pthread_mutex_lock (&send_mu);
      if (s->abandoned) {
         break;
      }
   }
   bool detached = s->abandoned;
   pthread_mutex_unlock (&send_mu);
   if (detached) {
      pthread_cond_destroy (&s->cv);
      free (s); /* nobody else holds it */
   }
   return NULL;
}

/* bql_writer_t.sender_stop: end an idle sending thread. */
static void
sender_stop (void *arg)
{
   sender_t *s = arg;
   pthread_mutex_lock (&send_mu);
   s->quit = true;
   pthread_cond_signal (&s->cv);
   pthread_mutex_unlock (&send_mu);
   pthread_join (s->tid, NULL);
   pthread_cond_destroy (&s->cv);
   free (s);
}

/* The writer's sending thread, started now if it has none; NULL when no
 * thread can be started. */
static sender_t *
sender_of (bql_writer_t *w)
{
   if (!w->sender) {
      sender_t *s = calloc (1, sizeof *s);
      if (!s) {
         return NULL;
      }
      pthread_cond_init (&s->cv, NULL);
      if (pthread_create (&s->tid, NULL, sender_main, s) != 0) {
         pthread_cond_destroy (&s->cv);
         free (s);
         return NULL;
      }
      w->sender = s;
      w->sender_stop = sender_stop;
   }
   return w->sender;
}

int
bql_execute_abandoned_wait (int64_t timeout_ms)
{
   int64_t start = bson_get_monotonic_time ();
   bql_write_path_drain (timeout_ms);
   pthread_mutex_lock (&send_mu);
   int n = send_detached;
   pthread_mutex_unlock (&send_mu);
   /* and the SELECT cursors abandoned while they waited on the server */
   int64_t left = timeout_ms - (bson_get_monotonic_time () - start) / 1000;
   return n + bql_source_cursors_abandoned_wait (left > 0 ? left : 0);
}

bool
bql_write_path_drain (int64_t timeout_ms)
{
   int64_t until = bson_get_monotonic_time () + timeout_ms * 1000;
   pthread_mutex_lock (&send_mu);
   while (send_detached > 0 && bson_get_monotonic_time () < until) {
      pthread_mutex_unlock (&send_mu);
      struct timespec ts = {0, 20 * 1000 * 1000};
      nanosleep (&ts, NULL);
      pthread_mutex_lock (&send_mu);
   }
   bool drained = send_detached == 0;
   pthread_mutex_unlock (&send_mu);
   return drained;
}

/* The writer's sending client, made from its client's URI (and the
 * caller's TLS options: bql_exec_client_new) when first needed. */
static mongoc_client_t *
send_client (bql_writer_t *w)
{
   if (!w->send_client) {
      w->send_client = bql_exec_client_new (w->xo, mongoc_client_get_uri (w->client));
   }
   return w->send_client;
}

/* Execute j's bulk on the writer's sending thread (sender_of) and wait
 * for it, about every 100 ms checking the cancel flag and, on the
 * statement's thread, about every 500 ms calling progress with the rows
 * sent. Once cancelled, the reply is waited for BQL_CANCEL_GRACE_MS
 * more. Returns false when the wait was cancelled: the command is
 * abandoned (the job, the writer's send client and its sending thread
 * belong to that thread from then on) and its outcome is unknown. True
 * with the job done (the caller frees it). When no thread can be
 * started the command runs here. */
static bool
send_and_wait (bql_writer_t *w, send_job_t *j, size_t nops)
{
   sender_t *s = sender_of (w);
   if (!s) {
      send_main (j);
      return true;
   }
   const volatile int *cancel = w->xo->cancel;
   int64_t start = bson_get_monotonic_time ();
   int64_t next_progress = start + 500000;
   int64_t cancelled_at = 0;
   pthread_mutex_lock (&send_mu);
   s->job = j;
   pthread_cond_signal (&s->cv);
   while (!j->done) {
      if (cancel && *cancel && !cancelled_at) {
         cancelled_at = bson_get_monotonic_time ();
      }
      /* a reply that comes within the grace settles the batch as usual */
      if (cancelled_at && bson_get_monotonic_time () - cancelled_at >= BQL_CANCEL_GRACE_MS * 1000) {
         j->abandoned = true;
         j->client = w->send_client;
         w->send_client = NULL;
         send_detached++;
         s->abandoned = true; /* it frees s after the job: s is not read after the unlock */
         w->sender = NULL;
         pthread_t tid = s->tid;
         pthread_mutex_unlock (&send_mu);
         pthread_detach (tid);
         return false;
      }
      int64_t now = bson_get_monotonic_time ();
      if (w->stmt && now >= next_progress) {
         pthread_mutex_unlock (&send_mu);
         bql_exec_progress_waiting (w->stmt, (int64_t) nops, (double) (now - start) / 1000.0, 0, 0);
         next_progress = now + 500000;
         pthread_mutex_lock (&send_mu);
         continue;
      }
      struct timespec ts;
      clock_gettime (CLOCK_REALTIME, &ts);
      ts.tv_nsec += 50 * 1000 * 1000;
      if (ts.tv_nsec >= 1000000000L) {
         ts.tv_sec++;
         ts.tv_nsec -= 1000000000L;
      }
      pthread_cond_timedwait (&send_cv, &send_mu, &ts);
   }
   pthread_mutex_unlock (&send_mu);
   return true;
}

bool
bql_write_cancelled_in_flight (const bson_error_t *e)
{
   return e->domain == BQL_CANCEL_DOMAIN;
}

const char *
bql_write_lost_what (const bson_error_t *e)
{
   if (bql_write_cancelled_in_flight (e)) {
      return "cancelled while the batch was in flight";
   }
   return bql_exec_is_connection_error (e) ? "the connection was lost" : "the server failed the batch";
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
   w->lost_since_us = 0; /* retry_timeout counts from this command's loss */
   for (;;) {
      mongoc_client_t *client = w->log_only ? w->client : send_client (w);
      if (!client) {
         return bql_writer_fail (w, BQL_ERR_CONNECTION, 0, "cannot make a second client on the statement's URI");
      }
      send_job_t *j = calloc (1, sizeof *j);
      if (!j) {
         return bql_writer_fail (w, BQL_ERR_SERVER, 0, "out of memory");
      }
      bson_init (&j->reply);
      j->coll = mongoc_client_get_collection (client, step->database ? step->database : w->plan->database,
                                              mongoc_collection_get_name (step->coll));
      bql_write_step_t on_send = *step;
      on_send.coll = j->coll;
      j->bulk = new_bulk (w, &on_send);
      size_t nops = 0;
      if (!step->add (step->ctx, j->bulk, &nops)) {
         send_job_free (j);
         return false;
      }
      if (nops == 0) {
         send_job_free (j);
         return true;
      }
      bql_write_result_t r;
      memset (&r, 0, sizeof r);
      r.nops = nops;
      bool ok;
      if (w->log_only) {
         send_main (j); /* here, on the writer's own client */
      } else if (!send_and_wait (w, j, nops)) {
         /* abandoned: what the server does with it is unknown */
         bson_init (&r.reply);
         bson_set_error (&r.error, BQL_CANCEL_DOMAIN, 1,
                         "no reply: the outcome is in doubt");
         r.retryable = true;
         ok = step->give_up (step->ctx, &r, BQL_GIVE_UP_CANCELLED, *retries);
         result_cleanup (&r);
         return ok;
      }
      r.ran = j->ran;
      r.error = j->error;
      bson_steal (&r.reply, &j->reply);
      bson_init (&j->reply);
      send_job_free (j);
      collect_write_errors (&r.reply, nops, &r.write_errors);
      collect_wc_errors (&r.reply, &r.wc_errors);
      bool account = r.ran || r.write_errors.n > 0 || (r.wc_errors.n > 0 && !step->wc_error_is_lost);
      if (account) {
         w->lost_since_us = 0;
         ok = step->settle (step->ctx, &r);
         result_cleanup (&r);
         return ok;
      }
      r.retryable = bql_exec_is_retryable (&r.error, &r.reply);
      if (!r.retryable && step->recover && step->recover_refused && !bql_exec_is_connection_error (&r.error)) {
         /* what the refused command applied before it failed: counted;
          * the server could not be asked (ASK_AGAIN): all still pending */
         step->recover (step->ctx, &r);
      }
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
