/*
 * embed_cases.c — a program linked against the installed BulkQL, as an
 * embedding program is, that test_embed.py builds (pkg-config) and runs
 * one case at a time: FROM STDIN through a caller's FILE* (with bytes in
 * its stdio buffer, without a file descriptor, gzip-compressed), rows
 * from a next_row callback, the opts documents of planning and executing,
 * the size field of the options structs, bql_errstr(),
 * bql_script_params() and bql_operation_resume(). Each case prints what the test compares; the test
 * reads the server's documents back itself.
 *
 * Usage: embed_cases CASE URI DATABASE [ARG]
 */
#include <bulkql/bulkql.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static mongoc_client_t *client;
static const char *database;

/* on_checkpoint: what each checkpoint said */
static void
on_checkpoint (const bql_checkpoint_info_t *ci, void *ctx)
{
   (void) ctx;
   printf ("checkpoint %zu: batches %lld rows %lld inserted %lld\n", strlen (ci->operation_id), (long long) ci->batches,
           (long long) ci->rows_done, (long long) ci->n_inserted);
}

/* Parse and plan the one statement sql with the given plan opts, run it
 * with xo and print "ok"/"error: ..." and the reply's counts. */
static int
run (const char *sql, const bson_t *plan_opts, const bql_exec_options_t *xo)
{
   bql_error_t error;
   bql_script_t *script = NULL;
   bql_parse_options_t po = {.size = sizeof po, .filename = "case.sql"};
   if (!bql_parse (sql, strlen (sql), &po, &script, &error)) {
      printf ("parse error: %s\n", error.message);
      return 1;
   }
   bql_plan_options_t plo = {.size = sizeof plo, .database = database, .opts = plan_opts};
   bql_plan_t *plan = NULL;
   if (!bql_plan_new (script, 0, &plo, &plan, &error)) {
      printf ("plan error: %s: %s\n", bql_errstr (error.code), error.message);
      if (error.hint[0]) {
         printf ("hint: %s\n", error.hint);
      }
      bql_script_destroy (script);
      return 1;
   }
   char *explain = bql_plan_explain_json (plan, &error);
   bson_t reply;
   bool ok = bql_execute (client, plan, xo, &reply, &error);
   bson_iter_t it;
   printf ("%s", ok ? "ok" : "error");
   if (!ok) {
      printf (": %s: %s", bql_errstr (error.code), error.message);
   }
   printf ("\n");
   static const char *const counts[] = {"nInserted", "nFailed", "nRows", "nWouldWrite"};
   for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
      if (bson_iter_init_find (&it, &reply, counts[i])) {
         printf ("%s %lld\n", counts[i], (long long) bson_iter_as_int64 (&it));
      }
   }
   bson_iter_t ei;
   if (bson_iter_init_find (&it, &reply, "writeErrors") && bson_iter_recurse (&it, &ei)) {
      while (bson_iter_next (&ei)) {
         bson_iter_t f;
         if (bson_iter_recurse (&ei, &f) && bson_iter_find (&f, "errmsg")) {
            printf ("writeError: %s\n", bson_iter_utf8 (&f, NULL));
         }
      }
   }
   if (bson_iter_init_find (&it, &reply, "metrics")) {
      printf ("reply has metrics\n");
   }
   const char *bs = explain && plan_opts ? strstr (explain, "\"batch_size\": ") : NULL;
   if (bs) {
      printf ("plan: %.*s\n", (int) strcspn (bs, ",\n"), bs);
   }
   bql_free (explain);
   bson_destroy (&reply);
   bql_plan_destroy (plan);
   bql_script_destroy (script);
   return ok ? 0 : 1;
}

/* ---- next_row: rows from an array in memory ---- */

typedef struct {
   const char *const *json; /* one document per row, as JSON */
   size_t i, n;
} rows_t;

static bool
next_row (void *ctx, bson_t *row, bql_error_t *error)
{
   rows_t *r = ctx;
   (void) error;
   if (r->i == r->n) {
      return false;
   }
   bson_error_t berr;
   bson_t *doc = bson_new_from_json ((const uint8_t *) r->json[r->i], -1, &berr);
   r->i++;
   bson_concat (row, doc);
   bson_destroy (doc);
   return true;
}

static bool
must_not_be_called (void *ctx, bson_t *row, bql_error_t *error)
{
   (void) ctx, (void) row, (void) error;
   fprintf (stderr, "next_row was read past the caller's size\n");
   abort ();
}

int
main (int argc, char **argv)
{
   if (argc < 4) {
      fprintf (stderr, "usage: %s CASE URI DATABASE [ARG]\n", argv[0]);
      return 2;
   }
   const char *c = argv[1];
   database = argv[3];
   if (!strcmp (c, "errstr")) {
      printf ("%s %s %s %s\n", bql_errstr (BQL_ERR_OK), bql_errstr (BQL_ERR_WRITE), bql_errstr (BQL_ERR_INVALID_ARG),
              bql_errstr ((bql_error_code_t) 999));
      return 0;
   }
   if (!strcmp (c, "params")) {
      const char *sql = "BULK UPDATE t SET a = ?, b = :who WHERE c = ? AND d = :who;";
      bql_script_t *s;
      bql_error_t e;
      if (!bql_parse (sql, strlen (sql), NULL, &s, &e)) {
         return 1;
      }
      bql_param_info_t p[8];
      size_t n = bql_script_params (s, 0, p, 8);
      printf ("%zu params:", n);
      for (size_t i = 0; i < n; i++) {
         printf (" %s@%lld", p[i].name ? p[i].name : (p[i].number == 1 ? "?1" : p[i].number == 3 ? "?3" : "?"), (long long) p[i].offset);
      }
      printf ("\n%zu with max 0\n", bql_script_params (s, 0, NULL, 0));
      bql_script_destroy (s);
      return 0;
   }

   mongoc_init ();
   client = mongoc_client_new (argv[2]);
   int rc = 0;
   bql_exec_options_t xo = {.size = sizeof xo};
   if (!strcmp (c, "stream-buffered")) {
      /* 1,001 lines: a header and 1,000 rows, one character already read
       * through stdio (and put back) */
      FILE *f = tmpfile ();
      fprintf (f, "n,name\n");
      for (int i = 1; i <= 1000; i++) {
         fprintf (f, "%d,row-%d\n", i, i);
      }
      rewind (f);
      int ch = fgetc (f);
      ungetc (ch, f);
      xo.stdin_stream = f;
      rc = run ("BULK INSERT INTO buffered (n INT, name) FROM STDIN FORMAT CSV;", NULL, &xo);
      fclose (f);
   } else if (!strcmp (c, "stream-fmemopen")) {
      static char text[] = "{\"n\": 1}\n{\"n\": 2}\n{\"n\": 3}\n";
      FILE *f = fmemopen (text, strlen (text), "r");
      xo.stdin_stream = f;
      rc = run ("BULK INSERT INTO mem (n INT) FROM STDIN FORMAT NDJSON;", NULL, &xo);
      fclose (f);
   } else if (!strcmp (c, "stream-gzip")) {
      /* argv[4]: a gzip file; its first byte is read and put back */
      FILE *f = fopen (argv[4], "rb");
      int ch = fgetc (f);
      ungetc (ch, f);
      xo.stdin_stream = f;
      rc = run ("BULK INSERT INTO gz (n INT) FROM STDIN FORMAT NDJSON COMPRESSION GZIP;", NULL, &xo);
      fclose (f);
   } else if (!strcmp (c, "rows")) {
      static const char *const json[] = {
         "{\"sku\": \"A-1\", \"qty\": \"5\", \"extra\": true}",
         "{\"sku\": \"B-2\", \"qty\": \"many\"}",
         "{\"sku\": \"C-3\", \"qty\": -1}",
         "{\"sku\": \"D-4\", \"qty\": 9}",
      };
      rows_t r = {json, 0, 4};
      xo.next_row = next_row;
      xo.next_row_ctx = &r;
      rc = run ("BULK INSERT INTO items (sku, qty INT) FROM STDIN FORMAT NDJSON CHECK (qty >= 0) "
                "WITH (continue_on_error = true, ordered = false);",
                NULL, &xo);
   } else if (!strcmp (c, "rows-csv")) {
      static const char *const json[] = {"{\"a\": 1}"};
      rows_t r = {json, 0, 1};
      xo.next_row = next_row;
      xo.next_row_ctx = &r;
      rc = run ("BULK INSERT INTO items (a) FROM STDIN FORMAT CSV;", NULL, &xo);
   } else if (!strcmp (c, "old-size")) {
      /* a program built when the struct ended before next_row: the
       * fields past its size are not read */
      static char text[] = "{\"n\": 1}\n";
      FILE *f = fmemopen (text, strlen (text), "r");
      xo.size = offsetof (bql_exec_options_t, next_row);
      xo.stdin_stream = f;
      xo.next_row = must_not_be_called;
      rc = run ("BULK INSERT INTO old (n INT) FROM STDIN FORMAT NDJSON;", NULL, &xo);
      fclose (f);
   } else if (!strcmp (c, "old-parse-size")) {
      /* a program built when bql_parse_options_t ended after filename:
       * the bytes after its struct (here a pointer that must not be used
       * as the allocator) are not read */
      struct {
         size_t size;
         const char *filename;
         const void *junk[4];
      } old = {offsetof (bql_parse_options_t, allocator), "old.sql", {(void *) 1, (void *) 1, (void *) 1, (void *) 1}};
      const char *sql = "BULK INSERT INTO op (a) VALUES (1);";
      bql_script_t *script = NULL;
      bql_error_t error;
      if (!bql_parse (sql, strlen (sql), (const bql_parse_options_t *) (const void *) &old, &script, &error)) {
         printf ("parse error: %s\n", error.message);
         return 1;
      }
      printf ("parsed %s\n", bql_script_filename (script));
      /* and an old bql_plan_options_t that ends after dry_run: base_dir,
       * opts and explain_only past it are garbage that must not be read */
      union {
         bql_plan_options_t o;
         unsigned char bytes[sizeof (bql_plan_options_t)];
      } u;
      memset (u.bytes, 0xff, sizeof u.bytes);
      u.o.size = offsetof (bql_plan_options_t, base_dir);
      u.o.database = database;
      u.o.params = NULL;
      u.o.now_ms = 0;
      u.o.dry_run = false;
      bql_plan_t *plan = NULL;
      if (!bql_plan_new (script, 0, &u.o, &plan, &error)) {
         printf ("plan error: %s\n", error.message);
         rc = 1;
      } else {
         bson_t reply;
         bool ok = bql_execute (client, plan, &xo, &reply, &error);
         bson_iter_t it;
         printf ("%s nInserted %lld\n", ok ? "ok" : error.message,
                 bson_iter_init_find (&it, &reply, "nInserted") ? (long long) bson_iter_as_int64 (&it) : -1LL);
         bson_destroy (&reply);
         bql_plan_destroy (plan);
      }
      bql_script_destroy (script);
   } else if (!strcmp (c, "plan-opts")) {
      /* defaults the statement overrides, overrides it cannot */
      bson_t *o = BCON_NEW ("metrics", BCON_BOOL (false), "error_collection", BCON_UTF8 (""), "defaults", "{",
                            "batch_size", BCON_INT32 (7), "max_delete_count", BCON_INT32 (1), "}");
      rc = run ("BULK INSERT INTO po (a) VALUES (1), (2), (3);", o, &xo);
      rc |= run ("BULK INSERT INTO po (a) VALUES (4) WITH (batch_size = 3);", o, &xo);
      bson_destroy (o);
      o = BCON_NEW ("metrics", BCON_BOOL (false), "batch_size", BCON_INT32 (3));
      rc |= run ("BULK INSERT INTO po (a) VALUES (5) WITH (batch_size = 100, metrics = true);", o, &xo);
      bson_destroy (o);
   } else if (!strcmp (c, "plan-opts-bad")) {
      bson_t *o = BCON_NEW ("batch_sise", BCON_INT32 (7));
      run ("BULK INSERT INTO po (a) VALUES (1);", o, &xo);
      bson_destroy (o);
      o = BCON_NEW ("metrics", BCON_UTF8 ("no"));
      run ("BULK INSERT INTO po (a) VALUES (1);", o, &xo);
      bson_destroy (o);
      o = BCON_NEW ("max_delete_count", BCON_INT32 (1));
      run ("BULK INSERT INTO po (a) VALUES (1);", o, &xo);
      bson_destroy (o);
   } else if (!strcmp (c, "checkpoints")) {
      /* on_checkpoint: once per checkpoint written, between batches */
      xo.on_checkpoint = on_checkpoint;
      rc = run ("BULK INSERT INTO cp (_id) VALUES (1), (2), (3), (4), (5) WITH (batch_size = 2);", NULL, &xo);
      rc |= run ("BULK INSERT INTO cp (_id) VALUES (6), (7), (8) WITH (batch_size = 1, checkpoint_interval = 2);",
                 NULL, &xo);
      rc |= run ("BULK INSERT INTO cp (_id) VALUES (9) WITH (dry_run = true);", NULL, &xo);
   } else if (!strcmp (c, "operations-api")) {
      /* list, get, abort (ARG: an operation id of the database) */
      const char *arg = argc > 4 ? argv[4] : "";
      bql_operations_options_t oo = {.size = sizeof oo, .database = database, .reason = "by the embedding test"};
      bson_t reply;
      bql_error_t error;
      bson_iter_t it, ai;
      if (!bql_operations_list (client, &oo, &reply, &error)) {
         printf ("list error: %s: %s\n", bql_errstr (error.code), error.message);
         rc = 1;
      } else if (bson_iter_init_find (&it, &reply, "operations") && bson_iter_recurse (&it, &ai)) {
         while (bson_iter_next (&ai)) {
            bson_iter_t f, g;
            bson_iter_recurse (&ai, &f);
            bson_iter_recurse (&ai, &g);
            printf ("listed %s %s\n", bson_iter_find (&f, "_id") ? bson_iter_utf8 (&f, NULL) : "?",
                    bson_iter_find (&g, "shownState") ? bson_iter_utf8 (&g, NULL) : "?");
         }
      }
      bson_destroy (&reply);
      bson_t doc;
      if (bql_operation_get (client, arg, &oo, &doc, &error) && bson_iter_init_find (&it, &doc, "state")) {
         printf ("got %s\n", bson_iter_utf8 (&it, NULL));
      } else {
         printf ("get error: %s: %s\n", bql_errstr (error.code), error.message);
      }
      bson_destroy (&doc);
      bool ok = bql_operation_abort (client, arg, &oo, NULL, &error);
      printf ("abort %s\n", ok ? "ok" : error.message);
      ok = bql_operation_abort (client, arg, &oo, NULL, &error);
      printf ("abort again: %s: %s\n", bql_errstr (error.code), error.message);
      ok = bql_operation_get (client, "not-an-id", &oo, &doc, &error);
      printf ("bad id: %s: %s\n", bql_errstr (error.code), error.message);
      bson_destroy (&doc);
      /* an options struct of an older, smaller size: the defaults after it */
      bql_operations_options_t old = {.size = offsetof (bql_operations_options_t, limit), .database = database};
      if (bql_operations_list (client, &old, &reply, &error)) {
         printf ("old size ok\n");
      }
      bson_destroy (&reply);
   } else if (!strcmp (c, "exec-opts")) {
      bson_t *o = BCON_NEW ("metrics", BCON_BOOL (false), "errorRecords", BCON_BOOL (false), "maxTimeMS",
                            BCON_INT64 (60000));
      xo.opts = o;
      rc = run ("BULK INSERT INTO xo (_id) VALUES (1), (1) WITH (continue_on_error = true, ordered = false);", NULL,
                &xo);
      bson_destroy (o);
      o = BCON_NEW ("metric", BCON_BOOL (false));
      xo.opts = o;
      run ("BULK INSERT INTO xo (_id) VALUES (2);", NULL, &xo);
      bson_destroy (o);
   } else if (!strcmp (c, "tls")) {
      /* URI: a TLS server (tests/lib/tlsproxy.py) whose certificate only
       * argv[4], a CA file, trusts: set in code on the client, as a
       * program does; argv[5] "give" also gives them to bql_execute
       * (ssl_opts), "keep" does not. Three statements, each needing a
       * connection BulkQL makes itself: INSERT ... SELECT (the cursor's),
       * VALUES (the send connection), parallel_workers (the pool). */
      mongoc_ssl_opt_t ssl = *mongoc_ssl_opt_get_default ();
      ssl.ca_file = argc > 4 ? argv[4] : NULL;
      mongoc_client_set_ssl_opts (client, &ssl);
      if (argc > 5 && !strcmp (argv[5], "give")) {
         xo.ssl_opts = &ssl;
      }
      int r1 = run ("BULK INSERT INTO tls_copy SELECT _id, v FROM tls_src WITH (retry_attempts = 0);", NULL, &xo);
      int r2 = run ("BULK INSERT INTO tls_values (_id) VALUES (1), (2) WITH (retry_attempts = 0);", NULL, &xo);
      int r3 = run ("BULK INSERT INTO tls_workers (_id) VALUES (1), (2), (3), (4) WITH (parallel_workers = 2, "
                    "ordered = false, batch_size = 1, retry_attempts = 0);",
                    NULL, &xo);
      rc = r1 || r2 || r3;
   } else if (!strcmp (c, "resume")) {
      /* argv[4]: an operation id; resumed with its stored statement,
       * looked for in the test's database first */
      bql_resume_options_t ro = {.size = sizeof ro, .database = database};
      bson_t reply;
      bql_error_t error;
      bool ok = bql_operation_resume (client, argc > 4 ? argv[4] : NULL, &ro, &xo, &reply, &error);
      printf ("%s", ok ? "ok" : "error");
      if (!ok) {
         printf (": %s: %s", bql_errstr (error.code), error.message);
      }
      printf ("\n");
      static const char *const counts[] = {"nInserted", "nSkipped", "nAlreadyWritten", "resumes"};
      bson_iter_t it;
      for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
         if (bson_iter_init_find (&it, &reply, counts[i])) {
            printf ("%s %lld\n", counts[i], (long long) bson_iter_as_int64 (&it));
         }
      }
      if (bson_iter_init_find (&it, &reply, "operationId")) {
         printf ("operationId %s\n", bson_iter_utf8 (&it, NULL));
      }
      bson_destroy (&reply);
      rc = ok ? 0 : 1;
   } else {
      fprintf (stderr, "unknown case %s\n", c);
      rc = 2;
   }
   mongoc_client_destroy (client);
   mongoc_cleanup ();
   return rc;
}
