/*
 * test_write_path.c — the write path's control flow (write_path.h) with
 * no server: a client whose server cannot be reached loses every
 * command to a retryable error (server selection), so the order of the
 * step's callbacks, the retry count, the on_retry calls, a cancel, and
 * a step without recover are exercised exactly. Also the pure parts:
 * which errors are retryable, the backoff doubling, and the capability
 * answer when the server cannot be asked.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "write_path.h"

/* A port nothing listens on; tryOnce fails fast. */
#define NOWHERE "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=50&connectTimeoutMS=50"

typedef struct {
   int adds, settles, recovers, give_ups;
   bql_give_up_t why;
   int give_up_retries;
   bql_recover_rc_t answer; /* what recover says */
   size_t nops;             /* what add adds */
   char order[64];          /* the callbacks, one letter each */
   volatile int *cancel_on_recover;
   volatile int *cancel_on_add;
} probe_t;

typedef struct {
   int calls;
   int attempts[8];
   int64_t backoff[8];
   int64_t batches_done[8];
} retries_seen_t;

static void
note (probe_t *p, char c)
{
   size_t n = strlen (p->order);
   if (n + 1 < sizeof p->order) {
      p->order[n] = c;
      p->order[n + 1] = '\0';
   }
}

static bool
probe_add (void *ctx, mongoc_bulk_operation_t *bulk, size_t *nops)
{
   probe_t *p = ctx;
   p->adds++;
   note (p, 'a');
   if (p->cancel_on_add) {
      *p->cancel_on_add = 1;
   }
   for (size_t i = 0; i < p->nops; i++) {
      bson_t doc = BSON_INITIALIZER;
      BSON_APPEND_INT64 (&doc, "_id", (int64_t) i);
      assert_true (mongoc_bulk_operation_insert_with_opts (bulk, &doc, NULL, NULL));
      bson_destroy (&doc);
   }
   *nops = p->nops;
   return true;
}

static bool
probe_settle (void *ctx, const bql_write_result_t *r)
{
   probe_t *p = ctx;
   (void) r;
   p->settles++;
   note (p, 's');
   return true;
}

static bql_recover_rc_t
probe_recover (void *ctx, const bql_write_result_t *r)
{
   probe_t *p = ctx;
   assert_true (r->retryable);
   assert_int_equal (r->error.domain, MONGOC_ERROR_SERVER_SELECTION);
   assert_false (bql_write_cancelled_in_flight (&r->error));
   p->recovers++;
   note (p, 'r');
   if (p->cancel_on_recover) {
      *p->cancel_on_recover = 1;
   }
   return p->answer;
}

static bool
probe_give_up (void *ctx, const bql_write_result_t *r, bql_give_up_t why, int retries)
{
   probe_t *p = ctx;
   assert_false (r->ran);
   p->give_ups++;
   p->why = why;
   p->give_up_retries = retries;
   note (p, 'g');
   return false;
}

static void
on_retry (const bql_retry_info_t *info, void *ctx)
{
   retries_seen_t *s = ctx;
   if (s->calls < 8) {
      s->attempts[s->calls] = info->attempt;
      s->backoff[s->calls] = info->backoff_ms;
      s->batches_done[s->calls] = info->batches_done;
   }
   s->calls++;
}

/* A writer on an unreachable server, with retry_attempts and 1 ms
 * backoff (doubled per retry). */
typedef struct {
   mongoc_client_t *client;
   bql_plan_t plan;
   bql_options_t opts;
   bql_exec_options_t xo;
   bql_writer_t w;
   bql_write_tally_t tally;
   retries_seen_t seen;
   volatile int cancel;
} fixture_t;

static void
fixture_init (fixture_t *f, int32_t retry_attempts)
{
   memset (f, 0, sizeof *f);
   f->client = mongoc_client_new (NOWHERE);
   assert_non_null (f->client);
   f->plan.kind = BQL_KIND_INSERT;
   f->plan.database = (char *) "db";
   bson_init (&f->opts.write_concern);
   f->opts.retry_attempts = retry_attempts;
   f->opts.retry_timeout_ms = 60000;
   f->opts.retry_backoff_ms = 1;
   f->xo.on_retry = on_retry;
   f->xo.retry_ctx = &f->seen;
   f->xo.cancel = &f->cancel;
   f->w.plan = &f->plan;
   f->w.opts = &f->opts;
   f->w.xo = &f->xo;
   f->w.client = f->client;
   f->w.coll = mongoc_client_get_collection (f->client, "db", "c");
   f->w.batches_done = 7;
   bql_caps_init (&f->w.caps);
   bql_write_tally_init (&f->tally);
   f->w.tally = &f->tally;
}

static void
fixture_cleanup (fixture_t *f)
{
   bql_write_tally_cleanup (&f->tally);
   bql_writer_cleanup (&f->w);
   bson_destroy (&f->opts.write_concern);
   mongoc_client_destroy (f->client);
}

static bql_write_step_t
step_of (fixture_t *f, probe_t *p, bool with_recover)
{
   bql_write_step_t s = {.ctx = p,
                         .coll = f->w.coll,
                         .ordered = true,
                         .add = probe_add,
                         .settle = probe_settle,
                         .recover = with_recover ? probe_recover : NULL,
                         .give_up = probe_give_up};
   return s;
}

/* recover cannot ask the server: every retry asks again, none resends;
 * the retries run out after retry_attempts waits. */
static void
test_ask_again_runs_out (void **state)
{
   (void) state;
   fixture_t f;
   fixture_init (&f, 3);
   probe_t p = {.answer = BQL_RECOVER_ASK_AGAIN, .nops = 2};
   bql_write_step_t s = step_of (&f, &p, true);
   int retries = 0;
   assert_false (bql_write_path_run (&f.w, &s, &retries));
   assert_string_equal (p.order, "arrrg");
   assert_int_equal (p.why, BQL_GIVE_UP_RAN_OUT);
   assert_int_equal (p.give_up_retries, 3);
   assert_int_equal (retries, 3);
   assert_int_equal (f.tally.retries, 3);
   assert_int_equal (f.seen.calls, 3);
   assert_int_equal (f.seen.attempts[0], 1);
   assert_int_equal (f.seen.attempts[2], 3);
   assert_int_equal (f.seen.backoff[0], 1);
   assert_int_equal (f.seen.backoff[1], 2);
   assert_int_equal (f.seen.backoff[2], 4);
   assert_int_equal (f.seen.batches_done[0], 7);
   fixture_cleanup (&f);
}

/* recover says resend: each retry sends the command again; the count
 * goes on across the resends and across calls (a batch's budget). */
static void
test_resend_sends_again_within_the_budget (void **state)
{
   (void) state;
   fixture_t f;
   fixture_init (&f, 2);
   probe_t p = {.answer = BQL_RECOVER_RESEND, .nops = 1};
   bql_write_step_t s = step_of (&f, &p, true);
   int retries = 0;
   assert_false (bql_write_path_run (&f.w, &s, &retries));
   assert_string_equal (p.order, "ararag");
   assert_int_equal (p.why, BQL_GIVE_UP_RAN_OUT);
   assert_int_equal (p.give_up_retries, 2);
   /* a second command of the same batch has no retry left */
   probe_t q = {.answer = BQL_RECOVER_RESEND, .nops = 1};
   bql_write_step_t s2 = step_of (&f, &q, true);
   assert_false (bql_write_path_run (&f.w, &s2, &retries));
   assert_string_equal (q.order, "ag");
   assert_int_equal (q.why, BQL_GIVE_UP_RAN_OUT);
   assert_int_equal (f.seen.calls, 2);
   fixture_cleanup (&f);
}

/* A recover that empties what is pending settles the step: nothing is
 * sent again, and the path reports success. */
static bool
add_once (void *ctx, mongoc_bulk_operation_t *bulk, size_t *nops)
{
   probe_t *p = ctx;
   bool first = p->adds == 0;
   probe_add (ctx, bulk, nops);
   if (!first) {
      *nops = 0; /* recovered: nothing left to send */
   }
   return true;
}

static void
test_recovered_batch_needs_no_resend (void **state)
{
   (void) state;
   fixture_t f;
   fixture_init (&f, 5);
   probe_t p = {.answer = BQL_RECOVER_RESEND, .nops = 3};
   bql_write_step_t s = step_of (&f, &p, true);
   s.add = add_once;
   int retries = 0;
   assert_true (bql_write_path_run (&f.w, &s, &retries));
   assert_string_equal (p.order, "ara");
   assert_int_equal (retries, 1);
   assert_int_equal (p.give_ups, 0);
   fixture_cleanup (&f);
}

/* Without recover a lost command is given up at once, with no wait. */
static void
test_no_recover_gives_up_at_once (void **state)
{
   (void) state;
   fixture_t f;
   fixture_init (&f, 3);
   probe_t p = {.nops = 1};
   bql_write_step_t s = step_of (&f, &p, false);
   int retries = 0;
   assert_false (bql_write_path_run (&f.w, &s, &retries));
   assert_string_equal (p.order, "ag");
   assert_int_equal (p.why, BQL_GIVE_UP_REFUSED);
   assert_int_equal (p.give_up_retries, 0);
   assert_int_equal (f.seen.calls, 0);
   assert_int_equal (f.tally.retries, 0);
   fixture_cleanup (&f);
}

/* A cancel during the wait: given up as cancelled, the cut wait counted. */
static void
test_cancel_while_waiting (void **state)
{
   (void) state;
   fixture_t f;
   fixture_init (&f, 5);
   f.opts.retry_backoff_ms = 200;
   probe_t p = {.answer = BQL_RECOVER_ASK_AGAIN, .nops = 1, .cancel_on_recover = &f.cancel};
   bql_write_step_t s = step_of (&f, &p, true);
   int retries = 0;
   assert_false (bql_write_path_run (&f.w, &s, &retries));
   assert_string_equal (p.order, "arg");
   assert_int_equal (p.why, BQL_GIVE_UP_CANCELLED);
   assert_int_equal (p.give_up_retries, 2);
   fixture_cleanup (&f);
}

/* Nothing to send: no command, success. */
static void
test_nothing_to_send (void **state)
{
   (void) state;
   fixture_t f;
   fixture_init (&f, 1);
   probe_t p = {.nops = 0};
   bql_write_step_t s = step_of (&f, &p, true);
   int retries = 0;
   assert_true (bql_write_path_run (&f.w, &s, &retries));
   assert_string_equal (p.order, "a");
   fixture_cleanup (&f);
}

static void
test_retryable_errors (void **state)
{
   (void) state;
   bson_error_t e = {0};
   e.domain = MONGOC_ERROR_STREAM;
   assert_true (bql_exec_is_retryable (&e, NULL));
   e.domain = MONGOC_ERROR_SERVER;
   e.code = 11600; /* InterruptedAtShutdown */
   assert_true (bql_exec_is_retryable (&e, NULL));
   e.code = 11000; /* a duplicate key is an answer, not a loss */
   assert_false (bql_exec_is_retryable (&e, NULL));
   bson_t reply = BSON_INITIALIZER, labels;
   bson_append_array_begin (&reply, "errorLabels", -1, &labels);
   BSON_APPEND_UTF8 (&labels, "0", "RetryableWriteError");
   bson_append_array_end (&reply, &labels);
   e.code = 1;
   assert_true (bql_exec_is_retryable (&e, &reply));
   bson_destroy (&reply);
}

/* bql_write_not_sent on the errors libmongoc 1.23 gives (its messages,
 * as mongoc-cluster.c and mongoc-stream.c word them). */
static void
test_not_sent (void **state)
{
   (void) state;
   static const struct {
      uint32_t domain, code;
      const char *message;
      bool not_sent;
   } cases[] = {
      {MONGOC_ERROR_SERVER_SELECTION, MONGOC_ERROR_SERVER_SELECTION_FAILURE,
       "No suitable servers found (`serverSelectionTryOnce` set): [connection refused calling hello on "
       "'127.0.0.1:1']",
       true},
      {MONGOC_ERROR_STREAM, MONGOC_ERROR_STREAM_CONNECT, "Failed to connect to target host: 127.0.0.1:1", true},
      {MONGOC_ERROR_STREAM, MONGOC_ERROR_STREAM_SOCKET, "connection closed", true},
      /* the request was not written whole: never parsed by the server */
      {MONGOC_ERROR_STREAM, MONGOC_ERROR_STREAM_SOCKET,
       "Failed to send \"update\" command with database \"d\": Failure during socket delivery: Broken pipe (32)", true},
      {MONGOC_ERROR_STREAM, MONGOC_ERROR_STREAM_SOCKET,
       "Failed to send \"insert\" command with database \"d\": Failure to send all requested bytes (only sent: "
       "10/100 in 5ms) during socket delivery",
       true},
      /* the connection's handshake, before the write */
      {MONGOC_ERROR_STREAM, MONGOC_ERROR_STREAM_SOCKET,
       "Failed to send \"hello\" command with database \"admin\": socket error or timeout", true},
      /* the reply was not read: the server may have run the command */
      {MONGOC_ERROR_STREAM, MONGOC_ERROR_STREAM_SOCKET,
       "Failed to send \"update\" command with database \"d\": Failed to read 4 bytes: socket error or timeout",
       false},
      {MONGOC_ERROR_STREAM, MONGOC_ERROR_STREAM_SOCKET,
       "Failed to send \"delete\" command with database \"d\": socket error or timeout", false},
      {MONGOC_ERROR_STREAM, MONGOC_ERROR_STREAM_SOCKET, "Failed to read 4 bytes: socket error or timeout", false},
      {MONGOC_ERROR_SERVER, 11600, "interrupted at shutdown", false},
      {BQL_CANCEL_DOMAIN, 1, "no reply: the outcome is in doubt", false},
   };
   for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      bson_error_t e;
      bson_set_error (&e, cases[i].domain, cases[i].code, "%s", cases[i].message);
      if (bql_write_not_sent (&e) != cases[i].not_sent) {
         fail_msg ("bql_write_not_sent (%s) is not %d", cases[i].message, cases[i].not_sent);
      }
   }
}

static void
test_backoff_doubles_up_to_5_s (void **state)
{
   (void) state;
   bql_options_t o;
   memset (&o, 0, sizeof o);
   o.retry_backoff_ms = 500;
   assert_int_equal (bql_retry_backoff_ms (&o, 1), 500);
   assert_int_equal (bql_retry_backoff_ms (&o, 2), 1000);
   assert_int_equal (bql_retry_backoff_ms (&o, 4), 4000);
   assert_int_equal (bql_retry_backoff_ms (&o, 5), 5000);
   assert_int_equal (bql_retry_backoff_ms (&o, 20), 5000);
   /* a first wait longer than 5 s is kept, not doubled */
   o.retry_backoff_ms = 20000;
   assert_int_equal (bql_retry_backoff_ms (&o, 1), 20000);
   assert_int_equal (bql_retry_backoff_ms (&o, 3), 20000);
}

/* retry_timeout: the waits stop when the budget is spent, the last one
 * cut to what is left, though retry_attempts would allow more. */
static void
test_retry_timeout_ends_the_retries (void **state)
{
   (void) state;
   fixture_t f;
   fixture_init (&f, 100);
   f.opts.retry_backoff_ms = 40;
   f.opts.retry_timeout_ms = 100;
   probe_t p = {.answer = BQL_RECOVER_ASK_AGAIN, .nops = 1};
   bql_write_step_t s = step_of (&f, &p, true);
   int retries = 0;
   int64_t t0 = bson_get_monotonic_time ();
   assert_false (bql_write_path_run (&f.w, &s, &retries));
   int64_t took_ms = (bson_get_monotonic_time () - t0) / 1000;
   /* 40 ms, then at most what is left of the 100 ms budget (60 ms when
    * the recover takes no time; less, or no second retry at all, when the
    * machine is slow), then the budget is spent: never a third retry,
    * never a full 80 ms second wait */
   size_t n = strlen (p.order);
   assert_true (strcmp (p.order, "arg") == 0 || strcmp (p.order, "arrg") == 0);
   assert_int_equal (p.why, BQL_GIVE_UP_RAN_OUT);
   assert_int_equal (f.seen.backoff[0], 40);
   int retried = (int) n - 2;
   if (retried == 2) {
      assert_in_range (f.seen.backoff[1], 1, 60);
   }
   assert_true (f.w.budget_spent);
   assert_in_range (took_ms, 100, 10000);
   char buf[96], want[96];
   snprintf (want, sizeof want, " and %d retr%s in 0.1 s ran out (retry_timeout)", retried, retried == 1 ? "y" : "ies");
   assert_string_equal (bql_writer_retries_ran_out (&f.w, retried, buf, sizeof buf), want);
   fixture_cleanup (&f);
}

/* A command whose reply never comes (a listener that accepts and never
 * answers) is abandoned half a second after a cancel: given up as
 * cancelled with the in-doubt error, and the sending thread, which
 * now owns the send client, frees it once its connect times out. */
static void
test_cancel_in_flight_abandons_the_command (void **state)
{
   (void) state;
   int lfd = socket (AF_INET, SOCK_STREAM, 0);
   assert_true (lfd >= 0);
   struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
   a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
   assert_int_equal (bind (lfd, (struct sockaddr *) &a, sizeof a), 0);
   assert_int_equal (listen (lfd, 4), 0);
   socklen_t alen = sizeof a;
   assert_int_equal (getsockname (lfd, (struct sockaddr *) &a, &alen), 0);
   char uri[200];
   snprintf (uri, sizeof uri,
             "mongodb://127.0.0.1:%d/?serverSelectionTimeoutMS=1500&connectTimeoutMS=1500&socketTimeoutMS=1500",
             ntohs (a.sin_port));
   fixture_t f;
   fixture_init (&f, 3);
   mongoc_collection_destroy (f.w.coll);
   mongoc_client_destroy (f.client);
   f.client = f.w.client = mongoc_client_new (uri);
   f.w.coll = mongoc_client_get_collection (f.client, "db", "c");
   probe_t p = {.nops = 2, .cancel_on_add = &f.cancel};
   bql_write_step_t s = step_of (&f, &p, true);
   int retries = 0;
   int64_t t0 = bson_get_monotonic_time ();
   assert_false (bql_write_path_run (&f.w, &s, &retries));
   int64_t took_ms = (bson_get_monotonic_time () - t0) / 1000;
   /* the grace, and not the 1.5 s socket timeout (p.why below tells them
    * apart); the upper bound is loose for a loaded machine */
   assert_in_range (took_ms, BQL_CANCEL_GRACE_MS, BQL_CANCEL_GRACE_MS + 2500);
   assert_string_equal (p.order, "ag");
   assert_int_equal (p.why, BQL_GIVE_UP_CANCELLED);
   assert_null (f.w.send_client); /* the sending thread's now */
   fixture_cleanup (&f);
   /* the abandoned command ends by its timeout and frees what it holds */
   assert_false (bql_write_path_drain (0));
   assert_true (bql_write_path_drain (10000));
   close (lfd);
}

/* A server that cannot be asked keeps no counts: one command per row. */
static void
test_caps_unknown_server (void **state)
{
   (void) state;
   mongoc_client_t *client = mongoc_client_new (NOWHERE);
   bql_caps_t caps;
   bql_caps_init (&caps);
   assert_int_equal (caps.update_keeps_counts, -1);
   assert_false (bql_caps_update_keeps_counts (&caps, client));
   assert_int_equal (caps.update_keeps_counts, 0);
   /* probed once: the other answers are the defaults of a server that
    * could not be asked, and a lost Decimal128 batch names no server */
   assert_true (caps.decimal128);
   assert_true (caps.ttl);
   assert_false (caps.pipeline_updates);
   assert_string_equal (caps.server, "");
   assert_string_equal (bql_caps_decimal128_hangup_note (&caps, client), "");
   mongoc_client_destroy (client);
}

int
main (void)
{
   mongoc_init ();
   const struct CMUnitTest tests[] = {
      cmocka_unit_test (test_ask_again_runs_out),
      cmocka_unit_test (test_resend_sends_again_within_the_budget),
      cmocka_unit_test (test_recovered_batch_needs_no_resend),
      cmocka_unit_test (test_no_recover_gives_up_at_once),
      cmocka_unit_test (test_cancel_while_waiting),
      cmocka_unit_test (test_nothing_to_send),
      cmocka_unit_test (test_retryable_errors),
      cmocka_unit_test (test_not_sent),
      cmocka_unit_test (test_backoff_doubles_up_to_5_s),
      cmocka_unit_test (test_retry_timeout_ends_the_retries),
      cmocka_unit_test (test_cancel_in_flight_abandons_the_command),
      cmocka_unit_test (test_caps_unknown_server),
   };
   int rc = cmocka_run_group_tests (tests, NULL, NULL);
   mongoc_cleanup ();
   return rc;
}
