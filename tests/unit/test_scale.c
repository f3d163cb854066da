/*
 * test_scale.c — issue 12's sizes for the parser and the planner: long
 * AND / OR / + chains, deep NOT and parenthesis nesting, a JSON_OBJECT of
 * 400,000 pairs and a column list of 400,000 columns. Each statement is
 * parsed and every statement that parses is planned and explained, as the
 * CLI and the library do; each must plan, or be refused with the nesting
 * error, and never overflow the stack. The deepest statements allowed
 * (BQL_MAX_NESTING) are also planned in a thread with a small stack
 * (THREAD_STACK), as a program embedding the library may run it. Each
 * case prints its time; the ctest TIMEOUT (tests/CMakeLists.txt) bounds
 * the whole run generously, so that this is a benchmark that fails on a
 * quadratic path, not a timing assertion.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "bulkql/parser.h"
#include "bulkql/plan.h"

#define FIXED_NOW_MS 1705314600000LL
/* The stack of the thread that plans the deepest statements allowed:
 * glibc's default (RLIMIT_STACK, 8 MB here), set explicitly so that the
 * test does not depend on ulimit -s. */
#ifndef THREAD_STACK
#define THREAD_STACK (8u * 1024u * 1024u)
#endif

typedef struct {
   char *p;
   size_t len, cap;
} text_t;

static void
put (text_t *t, const char *fmt, ...)
{
   for (;;) {
      va_list ap;
      va_start (ap, fmt);
      int n = vsnprintf (t->p + t->len, t->cap - t->len, fmt, ap);
      va_end (ap);
      if ((size_t) n < t->cap - t->len) {
         t->len += (size_t) n;
         return;
      }
      t->cap = t->cap * 2 + (size_t) n + 64;
      t->p = realloc (t->p, t->cap);
      assert_non_null (t->p);
   }
}

static double
now_s (void)
{
   struct timespec ts;
   clock_gettime (CLOCK_MONOTONIC, &ts);
   return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* Parse text and plan and explain its statements. Returns true when every
 * statement planned; false with *err (the first error) otherwise. */
static bool
parse_and_plan (const char *text, bql_error_t *err)
{
   bql_script_t *script = NULL;
   if (!bql_parse (text, strlen (text), NULL, &script, err)) {
      return false;
   }
   bool ok = true;
   bql_plan_options_t opts = {.database = "test", .now_ms = FIXED_NOW_MS};
   for (size_t i = 0; ok && i < bql_script_statement_count (script); i++) {
      bql_plan_t *plan = NULL;
      ok = bql_plan_new (script, i, &opts, &plan, err);
      if (ok) {
         char *json = bql_plan_explain_json (plan, err);
         ok = json != NULL;
         bql_free (json);
         bql_plan_destroy (plan);
      }
   }
   bql_script_destroy (script);
   return ok;
}

static void
expect_plans (const char *what, text_t *t)
{
   double t0 = now_s ();
   bql_error_t err;
   bool ok = parse_and_plan (t->p, &err);
   printf ("# %s: %zu bytes, %.2f s\n", what, t->len, now_s () - t0);
   if (!ok) {
      fail_msg ("%s: %s", what, err.message);
   }
   free (t->p);
   memset (t, 0, sizeof *t);
}

static void
expect_too_deep (const char *what, text_t *t)
{
   double t0 = now_s ();
   bql_error_t err;
   bool ok = parse_and_plan (t->p, &err);
   printf ("# %s: %zu bytes, %.2f s\n", what, t->len, now_s () - t0);
   assert_false (ok);
   assert_int_equal (err.domain, BQL_ERROR_SYNTAX);
   assert_int_equal (err.code, BQL_ERR_TOO_LARGE);
   assert_string_equal (err.hint, "Split the expression or statement.");
   free (t->p);
   memset (t, 0, sizeof *t);
}

/* WHERE a = 1 AND a = 1 ... (100,000 terms), the OR chain of a generated
 * statement (id = 0 OR id = 1 ...), and AND over distinct fields (merged
 * into one filter document): each plans. */
static void
test_long_and_or_chains_plan (void **state)
{
   (void) state;
   text_t t = {0};
   put (&t, "BULK DELETE FROM c WHERE a = 1");
   for (int i = 1; i < 100000; i++) {
      put (&t, " AND a = 1");
   }
   expect_plans ("100,000-term AND", &t);
   put (&t, "BULK DELETE FROM c WHERE id = 0");
   for (int i = 1; i < 100000; i++) {
      put (&t, " OR id = %d", i);
   }
   expect_plans ("100,000-term OR", &t);
   put (&t, "BULK UPDATE c SET x = 1 WHERE c0 = 0");
   for (int i = 1; i < 100000; i++) {
      put (&t, " AND c%d = %d", i, i);
   }
   expect_plans ("100,000-term AND over distinct fields", &t);
}

/* 100,000-term + chains (a constant one and one over a field), 100,000
 * NOTs, unary minuses and parentheses: refused with the nesting error. */
static void
test_deep_expressions_are_refused (void **state)
{
   (void) state;
   text_t t = {0};
   put (&t, "BULK DELETE FROM c WHERE a = 1");
   for (int i = 1; i < 100000; i++) {
      put (&t, " + 1");
   }
   expect_too_deep ("100,000-term + of constants", &t);
   put (&t, "BULK UPDATE c SET x = x");
   for (int i = 1; i < 100000; i++) {
      put (&t, " + x");
   }
   put (&t, " WHERE TRUE");
   expect_too_deep ("100,000-term + of fields", &t);
   put (&t, "BULK DELETE FROM c WHERE ");
   for (int i = 0; i < 100000; i++) {
      put (&t, "NOT ");
   }
   put (&t, "a = 1");
   expect_too_deep ("100,000 NOTs", &t);
   put (&t, "BULK DELETE FROM c WHERE a = ");
   for (int i = 0; i < 100000; i++) {
      put (&t, "- ");
   }
   put (&t, "b");
   expect_too_deep ("100,000 unary minuses", &t);
   put (&t, "BULK DELETE FROM c WHERE a = ");
   for (int i = 0; i < 100000; i++) {
      put (&t, "(");
   }
   put (&t, "1");
   for (int i = 0; i < 100000; i++) {
      put (&t, ")");
   }
   expect_too_deep ("100,000 parentheses", &t);
   put (&t, "BULK DELETE FROM c WHERE a = ");
   for (int i = 0; i < 100000; i++) {
      put (&t, "(b + ");
   }
   put (&t, "1");
   for (int i = 0; i < 100000; i++) {
      put (&t, ")");
   }
   expect_too_deep ("100,000 nested (b + ...)", &t);
}

/* The deepest statements allowed, each kind of nesting the planner
 * recurses on: NOT in a filter, - in a value, f(f(...)), nested
 * CASE, a + (b + ...) over a field (a server-side expression),
 * JSON_ARRAY(JSON_ARRAY(...)). depth counts the nodes down to the leaf. */
static char *
deepest (int kind)
{
   text_t t = {0};
   int n;
   switch (kind) {
   case 0: /* DeleteStmt > NOT x n > = > leaves */
      n = BQL_MAX_NESTING - 2;
      put (&t, "BULK DELETE FROM c WHERE ");
      for (int i = 0; i < n; i++) {
         put (&t, "NOT ");
      }
      put (&t, "a = 1");
      break;
   case 1: /* UpdateStmt > SetItem > - x n > ColumnRef */
      n = BQL_MAX_NESTING - 2;
      put (&t, "BULK UPDATE c SET x = ");
      for (int i = 0; i < n; i++) {
         put (&t, "- ");
      }
      put (&t, "y WHERE TRUE");
      break;
   case 2: /* UpdateStmt > SetItem > LOWER x n > ColumnRef */
      n = BQL_MAX_NESTING - 2;
      put (&t, "BULK UPDATE c SET x = ");
      for (int i = 0; i < n; i++) {
         put (&t, "LOWER(");
      }
      put (&t, "y");
      for (int i = 0; i < n; i++) {
         put (&t, ")");
      }
      put (&t, " WHERE TRUE");
      break;
   case 3: /* UpdateStmt > SetItem > (CaseExpr > CaseWhen) x n > > > */
      n = (BQL_MAX_NESTING - 4) / 2;
      put (&t, "BULK UPDATE c SET x = ");
      for (int i = 0; i < n; i++) {
         put (&t, "CASE WHEN y > %d THEN ", i);
      }
      put (&t, "1");
      for (int i = 0; i < n; i++) {
         put (&t, " END");
      }
      put (&t, " WHERE TRUE");
      break;
   case 4: /* DeleteStmt > = > + x n > ColumnRef */
      n = BQL_MAX_NESTING - 2;
      put (&t, "BULK DELETE FROM c WHERE a = ");
      for (int i = 0; i < n; i++) {
         put (&t, "(b + ");
      }
      put (&t, "1");
      for (int i = 0; i < n; i++) {
         put (&t, ")");
      }
      break;
   case 5: /* InsertStmt > ValuesSource > row > JSON_ARRAY x n */
      n = BQL_MAX_NESTING - 4;
      put (&t, "BULK INSERT INTO c (a) VALUES (");
      for (int i = 0; i < n; i++) {
         put (&t, "JSON_ARRAY(");
      }
      put (&t, "1");
      for (int i = 0; i < n; i++) {
         put (&t, ")");
      }
      put (&t, ")");
      break;
   default:
      return NULL;
   }
   return t.p;
}

typedef struct {
   int kind;
   bool parsed;
   bql_error_t err;
} deep_job_t;

static void *
plan_deepest (void *arg)
{
   deep_job_t *job = arg;
   memset (&job->err, 0, sizeof job->err);
   char *text = deepest (job->kind);
   bql_script_t *script = NULL;
   job->parsed = bql_parse (text, strlen (text), NULL, &script, &job->err);
   if (job->parsed) {
      bql_plan_options_t opts = {.database = "test", .now_ms = FIXED_NOW_MS};
      bql_plan_t *plan = NULL;
      if (bql_plan_new (script, 0, &opts, &plan, &job->err)) {
         bql_free (bql_plan_explain_json (plan, &job->err));
         bql_plan_destroy (plan);
      }
      bql_script_destroy (script);
   }
   free (text);
   return NULL;
}

/* Each deepest statement allowed parses (planning may refuse it for its
 * own reasons, a plan error is fine) and neither step overflows a stack
 * of THREAD_STACK bytes. */
static void
test_deepest_allowed_in_a_small_thread (void **state)
{
   (void) state;
   for (int kind = 0; kind < 6; kind++) {
      deep_job_t job = {.kind = kind};
      pthread_attr_t attr;
      pthread_attr_init (&attr);
      assert_int_equal (pthread_attr_setstacksize (&attr, THREAD_STACK), 0);
      pthread_t th;
      double t0 = now_s ();
      assert_int_equal (pthread_create (&th, &attr, plan_deepest, &job), 0);
      pthread_join (th, NULL);
      pthread_attr_destroy (&attr);
      printf ("# deepest allowed, kind %d: %.2f s\n", kind, now_s () - t0);
      if (!job.parsed) {
         fail_msg ("kind %d: %s", kind, job.err.message);
      }
      if (job.err.domain != BQL_ERROR_NONE) {
         printf ("#   (planning refused it: %s)\n", job.err.message);
      }
   }
}

/* JSON_OBJECT of 400,000 pairs (40,000 took 30 s) and a column list of
 * 400,000 columns (40,000 took 6 s): each plans. */
static void
test_wide_object_and_column_list_plan (void **state)
{
   (void) state;
   text_t t = {0};
   put (&t, "BULK INSERT INTO c (a) VALUES (JSON_OBJECT('k0', 0");
   for (int i = 1; i < 400000; i++) {
      put (&t, ", 'k%d', %d", i, i);
   }
   put (&t, "))");
   expect_plans ("JSON_OBJECT of 400,000 pairs", &t);
   put (&t, "BULK INSERT INTO c (c0");
   for (int i = 1; i < 400000; i++) {
      put (&t, ", c%d", i);
   }
   put (&t, ") VALUES (0");
   for (int i = 1; i < 400000; i++) {
      put (&t, ", %d", i);
   }
   put (&t, ")");
   expect_plans ("400,000 columns", &t);
   /* nested names share their parents: a.c0, a.c1, ... */
   put (&t, "BULK INSERT INTO c (a.c0");
   for (int i = 1; i < 400000; i++) {
      put (&t, ", a.c%d", i);
   }
   put (&t, ") VALUES (0");
   for (int i = 1; i < 400000; i++) {
      put (&t, ", %d", i);
   }
   put (&t, ")");
   expect_plans ("400,000 columns under one name", &t);
}

int
main (void)
{
   const struct CMUnitTest tests[] = {
      cmocka_unit_test (test_long_and_or_chains_plan),
      cmocka_unit_test (test_deep_expressions_are_refused),
      cmocka_unit_test (test_deepest_allowed_in_a_small_thread),
      cmocka_unit_test (test_wide_object_and_column_list_plan),
   };
   return cmocka_run_group_tests (tests, NULL, NULL);
}
