/*
 * test_functions.c — the table of SQL functions (src/planner/functions.c)
 * row by row, without a server: for each function the arity error of a
 * call with the wrong number of arguments (the exact message of
 * bql_plan_new), the value the client computes, the aggregation
 * expression a call over stored fields lowers to, and the query filter
 * of the call as a condition, each as canonical Extended JSON or as the
 * exact error; then the update operators (NOW() is $currentDate,
 * JSON_ARRAY_APPEND(x, '$', v) is $push), the row column of VALUES(col),
 * the unknown-function hint and the names offered for completion. A row
 * added to the table without a case here fails test_every_row_has_a_case.
 * Links the static planner library for the internal functions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "functions.h"
#include "planner.h"

#define NOW_MS INT64_C (1700000000000)

typedef struct {
   const char *name;
   const char *arity_expr;   /* a call with a wrong number of arguments; NULL: any number is valid */
   const char *arity_error;
   const char *eval_expr;    /* computed on the client */
   const char *eval_json;    /* {"v": value} */
   const char *field_expr;   /* a call over stored fields; NULL: not for this function */
   const char *agg_json;     /* {"x": lowering}, or NULL: refused with agg_error */
   const char *agg_error;
   const char *filter_json;  /* WHERE field_expr, or NULL: refused with filter_error */
   const char *filter_error;
} func_case_t;

static const func_case_t cases[] = {
   {"COALESCE", "COALESCE()", "COALESCE takes at least 1 argument", "COALESCE(NULL, 2, 3)",
    "{ \"v\" : { \"$numberInt\" : \"2\" } }", "COALESCE(flag, FALSE)",
    "{ \"x\" : { \"$ifNull\" : [ \"$flag\", false ] } }", NULL,
    "{ \"$expr\" : { \"$ifNull\" : [ \"$flag\", false ] } }", NULL},
   {"CONCAT", NULL, NULL, "CONCAT('a', NULL, 1, 2.5, TRUE, DATE '2024-01-15')",
    "{ \"v\" : \"a12.5true2024-01-15T00:00:00.000Z\" }", "CONCAT(a, '-')",
    "{ \"x\" : { \"$concat\" : [ { \"$ifNull\" : [ { \"$toString\" : \"$a\" }, \"\" ] }, { \"$ifNull\" : [ { "
    "\"$toString\" : { \"$literal\" : \"-\" } }, \"\" ] } ] } }",
    NULL, NULL, "this expression does not give a condition"},
   {"LOWER", "LOWER('a', 'b')", "LOWER takes 1 argument, not 2", "LOWER('AbÇ')", "{ \"v\" : \"abÇ\" }", "lower(a)",
    "{ \"x\" : { \"$toLower\" : \"$a\" } }", NULL, NULL, "this expression does not give a condition"},
   {"UPPER", "UPPER()", "UPPER takes 1 argument, not 0", "UPPER('aBç')", "{ \"v\" : \"ABç\" }", "UPPER(a)",
    "{ \"x\" : { \"$toUpper\" : \"$a\" } }", NULL, NULL, "this expression does not give a condition"},
   {"NOW", "NOW(1)", "NOW takes 0 arguments, not 1", "NOW()",
    "{ \"v\" : { \"$date\" : { \"$numberLong\" : \"1700000000000\" } } }", NULL, NULL, NULL, NULL, NULL},
   {"OBJECTID", "OBJECTID('a', 'b')", "OBJECTID takes 0 to 1 arguments, not 2", "OBJECTID('65a1b2c3d4e5f60718293a4b')",
    "{ \"v\" : { \"$oid\" : \"65a1b2c3d4e5f60718293a4b\" } }", "OBJECTID(a)", NULL,
    "cannot translate OBJECTID over stored fields", NULL, "cannot translate OBJECTID over stored fields"},
   {"JSON_OBJECT", "JSON_OBJECT('k')", "JSON_OBJECT takes key, value pairs", "JSON_OBJECT('k', 1, 'm', 'x')",
    "{ \"v\" : { \"k\" : { \"$numberInt\" : \"1\" }, \"m\" : \"x\" } }", "JSON_OBJECT('k', a)",
    "{ \"x\" : { \"k\" : \"$a\" } }", NULL, NULL, "this expression does not give a condition"},
   {"JSON_ARRAY", NULL, NULL, "JSON_ARRAY(1, 'a')", "{ \"v\" : [ { \"$numberInt\" : \"1\" }, \"a\" ] }",
    "JSON_ARRAY(a, 1)", "{ \"x\" : [ \"$a\", { \"$numberInt\" : \"1\" } ] }", NULL, NULL,
    "this expression does not give a condition"},
   {"JSON_EXTRACT", "JSON_EXTRACT(a)", "JSON_EXTRACT takes 2 arguments, not 1",
    "JSON_EXTRACT({a: {b: [1, 2]}}, '$.a.b[1]')", "{ \"v\" : { \"$numberInt\" : \"2\" } }",
    "JSON_EXTRACT(details, '$.on')", "{ \"x\" : \"$details.on\" }", NULL,
    "{ \"details.on\" : { \"$eq\" : true } }", NULL},
   {"JSON_ARRAY_APPEND", "JSON_ARRAY_APPEND(a, '$')", "JSON_ARRAY_APPEND takes 3 arguments, not 2",
    "JSON_ARRAY_APPEND([1], '$', 2)", "{ \"v\" : [ { \"$numberInt\" : \"1\" }, { \"$numberInt\" : \"2\" } ] }",
    "JSON_ARRAY_APPEND(tags, '$', 'n')",
    "{ \"x\" : { \"$concatArrays\" : [ \"$tags\", [ { \"$literal\" : \"n\" } ] ] } }", NULL, NULL,
    "this expression does not give a condition"},
   /* aggregates (select.c lowers them into $group): elsewhere an error */
   {"GREATEST", "GREATEST()", "GREATEST takes at least 1 argument", "GREATEST(1, NULL, 2.5, 2)",
    "{ \"v\" : { \"$numberDouble\" : \"2.5\" } }", "GREATEST(a, 0)",
    "{ \"x\" : { \"$max\" : [ \"$a\", { \"$numberInt\" : \"0\" } ] } }", NULL, NULL,
    "this expression does not give a condition"},
   {"LEAST", "LEAST()", "LEAST takes at least 1 argument", "LEAST('b', NULL, 'a')", "{ \"v\" : \"a\" }",
    "LEAST(a, 0)", "{ \"x\" : { \"$min\" : [ \"$a\", { \"$numberInt\" : \"0\" } ] } }", NULL, NULL,
    "this expression does not give a condition"},
   {"DATE", "DATE(a, b)", "DATE takes 1 argument, not 2", "DATE(TIMESTAMP '2024-01-15T10:30:00Z')",
    "{ \"v\" : { \"$date\" : { \"$numberLong\" : \"1705276800000\" } } }", "DATE(ts)",
    "{ \"x\" : { \"$dateTrunc\" : { \"date\" : \"$ts\", \"unit\" : \"day\" } } }", NULL, NULL,
    "this expression does not give a condition"},
   {"DATE_TRUNC", "DATE_TRUNC('day')", "DATE_TRUNC takes 2 arguments, not 1",
    "DATE_TRUNC('month', TIMESTAMP '2024-01-15T10:30:00Z')",
    "{ \"v\" : { \"$date\" : { \"$numberLong\" : \"1704067200000\" } } }", "DATE_TRUNC('week', ts)",
    "{ \"x\" : { \"$dateTrunc\" : { \"date\" : \"$ts\", \"unit\" : \"week\", \"startOfWeek\" : \"monday\" } } }",
    NULL, NULL, "this expression does not give a condition"},
   {"COUNT", "COUNT(a, b)", "COUNT takes 1 argument, not 2", NULL, NULL, "COUNT(a)", NULL, "aggregate function COUNT is not allowed here", NULL, "aggregate function COUNT is not allowed here"},
   {"SUM", "SUM(a, b)", "SUM takes 1 argument, not 2", NULL, NULL, "SUM(a)", NULL, "aggregate function SUM is not allowed here", NULL, "aggregate function SUM is not allowed here"},
   {"AVG", "AVG(a, b)", "AVG takes 1 argument, not 2", NULL, NULL, "AVG(a)", NULL, "aggregate function AVG is not allowed here", NULL, "aggregate function AVG is not allowed here"},
   {"MIN", "MIN(a, b)", "MIN takes 1 argument, not 2", NULL, NULL, "MIN(a)", NULL, "aggregate function MIN is not allowed here", NULL, "aggregate function MIN is not allowed here"},
   {"MAX", "MAX(a, b)", "MAX takes 1 argument, not 2", NULL, NULL, "MAX(a)", NULL, "aggregate function MAX is not allowed here", NULL, "aggregate function MAX is not allowed here"},
   {"ARRAY_AGG", "ARRAY_AGG(a, b)", "ARRAY_AGG takes 1 argument, not 2", NULL, NULL, "ARRAY_AGG(a)", NULL, "aggregate function ARRAY_AGG is not allowed here", NULL, "aggregate function ARRAY_AGG is not allowed here"},
   {"JSON_ARRAYAGG", "JSON_ARRAYAGG(a, b)", "JSON_ARRAYAGG takes 1 argument, not 2", NULL, NULL, "JSON_ARRAYAGG(a)", NULL, "aggregate function JSON_ARRAYAGG is not allowed here", NULL, "aggregate function JSON_ARRAYAGG is not allowed here"},
   /* VALUES(col) has its own test below: it needs the incoming row */
   {"VALUES", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};

/* ---- helpers ---- */

static bql_script_t *
parse (const char *text)
{
   bql_script_t *script = NULL;
   bql_error_t err;
   if (!bql_parse (text, strlen (text), NULL, &script, &err)) {
      fail_msg ("parse \"%s\": %s", text, err.message);
   }
   return script;
}

/* The plan of text, NULL with *err filled. */
static bql_plan_t *
plan_of (bql_script_t *script, bql_error_t *err)
{
   bql_plan_options_t o = {.size = sizeof o, .now_ms = NOW_MS};
   bql_plan_t *plan = NULL;
   bql_plan_new (script, 0, &o, &plan, err);
   return plan;
}

/* The expression x = <expr> of "BULK UPDATE c SET x = <expr> WHERE TRUE". */
static const bql_node_t *
set_value (const bql_script_t *script)
{
   const bql_UpdateStmt_t *u = bql_cast (UpdateStmt, bql_script_statement (script, 0));
   return bql_cast (SetItem, u->set_clause->items[0])->value;
}

typedef struct {
   bql_script_t *base_script; /* BULK DELETE FROM c WHERE TRUE: the plan the evaluations read */
   bql_plan_t *base;
   bql_script_t *script;      /* the expression's statement */
   bql_error_t err;
   bql_planner_t pl;
} fixture_t;

static void
fixture_open (fixture_t *f, const char *expr)
{
   memset (f, 0, sizeof *f);
   f->base_script = parse ("BULK DELETE FROM c WHERE TRUE;");
   f->base = plan_of (f->base_script, &f->err);
   assert_non_null (f->base);
   char text[512];
   snprintf (text, sizeof text, "BULK UPDATE c SET x = %s WHERE TRUE;", expr);
   f->script = parse (text);
   size_t len;
   const char *src = bql_script_source (f->script, &len);
   bql_error_clear (&f->err);
   f->pl = (bql_planner_t) {f->base, src, len, &f->err, NULL};
}

static void
fixture_close (fixture_t *f)
{
   bql_plan_destroy (f->base);
   bql_script_destroy (f->base_script);
   bql_script_destroy (f->script);
}

static void
assert_json (const bson_t *doc, const char *want, const char *what)
{
   char *got = bson_as_canonical_extended_json (doc, NULL);
   if (strcmp (got, want) != 0) {
      fail_msg ("%s:\n  want %s\n  got  %s", what, want, got);
   }
   bson_free (got);
}

/* ---- the rows ---- */

static void
test_every_row_has_a_case (void **state)
{
   (void) state;
   assert_int_equal (bql_function_count, sizeof cases / sizeof cases[0]);
   for (size_t i = 0; i < bql_function_count; i++) {
      const bql_function_t *fn = &bql_functions[i];
      assert_string_equal (cases[i].name, fn->name);
      assert_ptr_equal (bql_function_lookup (fn->name), fn);
      /* any case */
      char lower[32];
      snprintf (lower, sizeof lower, "%s", fn->name);
      for (char *p = lower; *p; p++) {
         *p = (char) (*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
      }
      assert_ptr_equal (bql_function_lookup (lower), fn);
      assert_non_null (fn->eval);
      assert_true (fn->min_args <= fn->max_args);
      assert_true (fn->synopsis && !strncmp (fn->synopsis, fn->name, strlen (fn->name)));
      assert_true (fn->help && fn->help[0]);
   }
   assert_null (bql_function_lookup ("FOO"));
   assert_null (bql_function_lookup (NULL));
}

static void
test_arity (void **state)
{
   (void) state;
   for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      const func_case_t *c = &cases[i];
      if (!c->arity_expr) {
         continue;
      }
      char text[256];
      snprintf (text, sizeof text, "BULK UPDATE c SET x = %s WHERE TRUE;", c->arity_expr);
      bql_script_t *script = parse (text);
      bql_error_t err;
      bql_plan_t *plan = plan_of (script, &err);
      assert_null (plan);
      assert_int_equal (err.code, BQL_ERR_TYPE);
      assert_string_equal (err.message, c->arity_error);
      /* at the call */
      assert_int_equal (err.offset, (int64_t) strlen ("BULK UPDATE c SET x = "));
      assert_int_equal (err.length, (int64_t) strlen (c->arity_expr));
      bql_script_destroy (script);
   }
}

static void
test_client_evaluation (void **state)
{
   (void) state;
   for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      const func_case_t *c = &cases[i];
      if (!c->eval_expr) {
         continue;
      }
      fixture_t f;
      fixture_open (&f, c->eval_expr);
      bql_val_t v;
      bql_eval_rc_t r = bql_eval (&f.pl, NULL, set_value (f.script), &v);
      if (r != BQL_EVAL_OK) {
         fail_msg ("%s: rc %d: %s", c->eval_expr, (int) r, f.err.message);
      }
      bson_t doc = BSON_INITIALIZER;
      assert_true (bql_append_val (&f.pl, NULL, &doc, "v", &v));
      assert_json (&doc, c->eval_json, c->eval_expr);
      bson_destroy (&doc);
      bql_val_destroy (&v);
      fixture_close (&f);
   }
}

static void
test_aggregation_lowering (void **state)
{
   (void) state;
   for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      const func_case_t *c = &cases[i];
      if (!c->field_expr) {
         continue;
      }
      fixture_t f;
      fixture_open (&f, c->field_expr);
      bson_t doc = BSON_INITIALIZER;
      bool ok = bql_translate_agg (&f.pl, NULL, set_value (f.script), &doc, "x");
      if (c->agg_json) {
         if (!ok) {
            fail_msg ("%s: %s", c->field_expr, f.err.message);
         }
         assert_json (&doc, c->agg_json, c->field_expr);
      } else {
         assert_false (ok);
         assert_string_equal (f.err.message, c->agg_error);
      }
      bson_destroy (&doc);
      fixture_close (&f);
   }
}

static void
test_filter_lowering (void **state)
{
   (void) state;
   for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      const func_case_t *c = &cases[i];
      if (!c->field_expr) {
         continue;
      }
      fixture_t f;
      fixture_open (&f, c->field_expr);
      bson_t filter = BSON_INITIALIZER;
      bool ok = bql_translate_filter (&f.pl, NULL, set_value (f.script), &filter);
      if (c->filter_json) {
         if (!ok) {
            fail_msg ("%s: %s", c->field_expr, f.err.message);
         }
         assert_json (&filter, c->filter_json, c->field_expr);
      } else {
         assert_false (ok);
         assert_string_equal (f.err.message, c->filter_error);
      }
      bson_destroy (&filter);
      fixture_close (&f);
   }
}

/* ---- what else the table says ---- */

/* set_op: NOW() is $currentDate, JSON_ARRAY_APPEND(x, '$', v) is $push;
 * other calls over stored fields need a pipeline. */
static void
test_update_operators (void **state)
{
   (void) state;
   static const struct {
      const char *text;
      bql_set_op_t op;
   } sets[] = {
      {"BULK UPDATE c SET x = NOW() WHERE TRUE;", BQL_SET_NOW},
      {"BULK UPDATE c SET x = now() WHERE TRUE;", BQL_SET_NOW},
      {"BULK UPDATE c SET tags = JSON_ARRAY_APPEND(tags, '$', 'n') WHERE TRUE;", BQL_SET_PUSH},
      {"BULK UPDATE c SET tags = JSON_ARRAY_APPEND(other, '$', 'n') WHERE TRUE;", BQL_SET_EXPR},
      {"BULK UPDATE c SET x = LOWER(x) WHERE TRUE;", BQL_SET_EXPR},
      {"BULK UPDATE c SET x = LOWER('A') WHERE TRUE;", BQL_SET_VALUE},
   };
   for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
      bql_script_t *script = parse (sets[i].text);
      bql_error_t err;
      bql_plan_t *plan = plan_of (script, &err);
      if (!plan) {
         fail_msg ("%s: %s", sets[i].text, err.message);
      }
      assert_int_equal (plan->nset, 1);
      if (plan->set[0].op != sets[i].op) {
         fail_msg ("%s: op %d, want %d", sets[i].text, (int) plan->set[0].op, (int) sets[i].op);
      }
      assert_int_equal (plan->pipeline, sets[i].op == BQL_SET_EXPR);
      bql_plan_destroy (plan);
      bql_script_destroy (script);
   }
}

/* row_column: VALUES(col) reads the incoming row where EXCLUDED does,
 * and is an error anywhere else. */
static void
test_values_row_column (void **state)
{
   (void) state;
   fixture_t f;
   fixture_open (&f, "VALUES(a)");
   const bql_node_t *call = set_value (f.script);
   bson_t *row = BCON_NEW ("a", BCON_INT32 (5));
   bql_row_ctx_t rc = {.row = row, .excluded = true};
   assert_string_equal (bql_row_column (&rc, call), "a");
   bql_val_t v;
   assert_int_equal (bql_eval (&f.pl, &rc, call, &v), BQL_EVAL_OK);
   assert_true (v.v.value_type == BSON_TYPE_INT32 && v.v.value.v_int32 == 5);
   bql_val_destroy (&v);
   /* explaining a file source: known only at run time */
   rc.row = NULL;
   assert_int_equal (bql_eval (&f.pl, &rc, call, &v), BQL_EVAL_FIELD);
   /* not in ON DUPLICATE KEY UPDATE / ON CONFLICT */
   bql_row_ctx_t plain = {.row = row};
   assert_null (bql_row_column (&plain, call));
   assert_int_equal (bql_eval (&f.pl, &plain, call, &v), BQL_EVAL_ERROR);
   assert_string_equal (f.err.message, "VALUES(col) is not valid here");
   assert_int_equal (f.err.code, BQL_ERR_UNSUPPORTED);
   bson_destroy (row);
   fixture_close (&f);
}

/* field_path: JSON_EXTRACT over a field names the field, nested too. */
static void
test_field_path (void **state)
{
   (void) state;
   fixture_t f;
   fixture_open (&f, "JSON_EXTRACT(JSON_EXTRACT(d, '$.a'), '$.b[2].\"c d\"')");
   char buf[128];
   assert_string_equal (bql_field_path (&f.pl, NULL, set_value (f.script), buf, sizeof buf), "d.a.b.2.c d");
   fixture_close (&f);
   fixture_open (&f, "JSON_EXTRACT(LOWER(d), '$.a')");
   assert_null (bql_field_path (&f.pl, NULL, set_value (f.script), buf, sizeof buf));
   fixture_close (&f);
}

static void
test_unknown_function (void **state)
{
   (void) state;
   bql_script_t *script = parse ("BULK UPDATE c SET x = foo(1) WHERE TRUE;");
   bql_error_t err;
   assert_null (plan_of (script, &err));
   assert_int_equal (err.code, BQL_ERR_UNSUPPORTED);
   assert_string_equal (err.message, "not supported: function foo");
   assert_string_equal (err.hint, "The functions are COALESCE, CONCAT, LOWER, UPPER, NOW, OBJECTID, JSON_OBJECT, "
                                  "JSON_ARRAY, JSON_EXTRACT and JSON_ARRAY_APPEND.");
   assert_int_equal (err.offset, 22);
   assert_int_equal (err.length, 3);
   bql_script_destroy (script);
}

static void
test_completion_names (void **state)
{
   (void) state;
   static const char *const want[] = {"COALESCE",   "CONCAT",       "LOWER",       "UPPER",
                                      "NOW",        "JSON_OBJECT",  "JSON_ARRAY",  "JSON_EXTRACT",
                                      "JSON_ARRAY_APPEND", "GREATEST",    "LEAST",       "DATE_TRUNC",  "COUNT",       "SUM",
                                      "AVG",        "MIN",          "MAX",         "ARRAY_AGG"};
   const char *names[32];
   size_t n = bql_function_names (names, 32);
   assert_int_equal (n, sizeof want / sizeof want[0]);
   for (size_t i = 0; i < n; i++) {
      assert_string_equal (names[i], want[i]);
   }
   /* max bounds what is stored, not the count */
   assert_int_equal (bql_function_names (names, 2), n);
   assert_int_equal (bql_function_names (NULL, 0), n);
}

int
main (void)
{
   const struct CMUnitTest tests[] = {
      cmocka_unit_test (test_every_row_has_a_case),
      cmocka_unit_test (test_arity),
      cmocka_unit_test (test_client_evaluation),
      cmocka_unit_test (test_aggregation_lowering),
      cmocka_unit_test (test_filter_lowering),
      cmocka_unit_test (test_update_operators),
      cmocka_unit_test (test_values_row_column),
      cmocka_unit_test (test_field_path),
      cmocka_unit_test (test_unknown_function),
      cmocka_unit_test (test_completion_names),
   };
   return cmocka_run_group_tests (tests, NULL, NULL);
}
