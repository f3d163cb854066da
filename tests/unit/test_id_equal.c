/*
 * test_id_equal.c — MongoDB's equality of _id values (bql_id_equal) and
 * the hash consistent with it (bql_id_hash), on a table of cases: numbers
 * by value across int32/int64/double/decimal128, documents and arrays
 * element by element, everything else by type and bytes; and the _id map
 * (bql_id_map_*) finding an int64 5 stored under an int32 5.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "executor.h"

/* The value of the field "v" of the extended JSON json, in *out (valid
 * while *doc lives). */
static void
value_of (const char *json, bson_t *doc, bson_value_t *out)
{
   bson_error_t err;
   bson_iter_t it;
   assert_true (bson_init_from_json (doc, json, -1, &err));
   assert_true (bson_iter_init_find (&it, doc, "v"));
   *out = *bson_iter_value (&it);
}

typedef struct {
   const char *a, *b;
   bool equal;
} id_case_t;

static const id_case_t cases[] = {
   {"{\"v\": {\"$numberInt\": \"5\"}}", "{\"v\": {\"$numberLong\": \"5\"}}", true},
   {"{\"v\": {\"$numberInt\": \"5\"}}", "{\"v\": {\"$numberDouble\": \"5.0\"}}", true},
   {"{\"v\": {\"$numberInt\": \"5\"}}", "{\"v\": {\"$numberDecimal\": \"5\"}}", true},
   {"{\"v\": {\"$numberInt\": \"5\"}}", "{\"v\": {\"$numberDecimal\": \"5.000\"}}", true},
   {"{\"v\": {\"$numberLong\": \"5\"}}", "{\"v\": {\"$numberDecimal\": \"0.5E+1\"}}", true},
   {"{\"v\": {\"$numberInt\": \"5\"}}", "{\"v\": {\"$numberInt\": \"6\"}}", false},
   {"{\"v\": {\"$numberInt\": \"5\"}}", "{\"v\": {\"$numberDouble\": \"5.5\"}}", false},
   {"{\"v\": {\"$numberInt\": \"-7\"}}", "{\"v\": {\"$numberLong\": \"-7\"}}", true},
   {"{\"v\": {\"$numberInt\": \"-7\"}}", "{\"v\": {\"$numberLong\": \"7\"}}", false},
   /* 2^53 + 1 is no double: the nearest double (2^53) is not equal */
   {"{\"v\": {\"$numberLong\": \"9007199254740993\"}}", "{\"v\": {\"$numberDouble\": \"9007199254740992\"}}", false},
   {"{\"v\": {\"$numberLong\": \"9007199254740992\"}}", "{\"v\": {\"$numberDouble\": \"9007199254740992\"}}", true},
   {"{\"v\": {\"$numberLong\": \"9223372036854775807\"}}", "{\"v\": {\"$numberDouble\": \"9.223372036854775807E18\"}}", false},
   {"{\"v\": {\"$numberLong\": \"9223372036854775807\"}}", "{\"v\": {\"$numberDecimal\": \"9223372036854775807\"}}", true},
   {"{\"v\": {\"$numberLong\": \"-9223372036854775808\"}}", "{\"v\": {\"$numberDouble\": \"-9.223372036854775808E18\"}}", true},
   /* decimal 0.1 is not the double nearest 0.1; 0.5 is exactly 0.5 */
   {"{\"v\": {\"$numberDecimal\": \"0.1\"}}", "{\"v\": {\"$numberDouble\": \"0.1\"}}", false},
   {"{\"v\": {\"$numberDecimal\": \"0.5\"}}", "{\"v\": {\"$numberDouble\": \"0.5\"}}", true},
   {"{\"v\": {\"$numberDecimal\": \"1E+400\"}}", "{\"v\": {\"$numberDouble\": \"Infinity\"}}", false},
   {"{\"v\": {\"$numberDecimal\": \"Infinity\"}}", "{\"v\": {\"$numberDouble\": \"Infinity\"}}", true},
   {"{\"v\": {\"$numberDecimal\": \"-Infinity\"}}", "{\"v\": {\"$numberDouble\": \"Infinity\"}}", false},
   {"{\"v\": {\"$numberDouble\": \"NaN\"}}", "{\"v\": {\"$numberDouble\": \"NaN\"}}", true},
   {"{\"v\": {\"$numberDouble\": \"NaN\"}}", "{\"v\": {\"$numberDecimal\": \"NaN\"}}", true},
   {"{\"v\": {\"$numberDouble\": \"NaN\"}}", "{\"v\": {\"$numberInt\": \"0\"}}", false},
   {"{\"v\": {\"$numberDouble\": \"-0.0\"}}", "{\"v\": {\"$numberDouble\": \"0.0\"}}", true},
   {"{\"v\": {\"$numberDouble\": \"-0.0\"}}", "{\"v\": {\"$numberInt\": \"0\"}}", true},
   {"{\"v\": {\"$numberDecimal\": \"-0E-10\"}}", "{\"v\": {\"$numberLong\": \"0\"}}", true},
   {"{\"v\": {\"$numberDouble\": \"1e-300\"}}", "{\"v\": {\"$numberDouble\": \"1.000000000000001e-300\"}}", false},
   {"{\"v\": {\"$numberDouble\": \"1.7976931348623157e308\"}}", "{\"v\": {\"$numberDouble\": \"1.7976931348623157e308\"}}", true},
   /* documents and arrays: element by element, names must match */
   {"{\"v\": {\"a\": {\"$numberInt\": \"1\"}, \"b\": \"x\"}}", "{\"v\": {\"a\": {\"$numberLong\": \"1\"}, \"b\": \"x\"}}", true},
   {"{\"v\": {\"a\": {\"$numberInt\": \"1\"}}}", "{\"v\": {\"b\": {\"$numberInt\": \"1\"}}}", false},
   {"{\"v\": {\"a\": 1, \"b\": 2}}", "{\"v\": {\"b\": 2, \"a\": 1}}", false},
   {"{\"v\": {\"a\": 1}}", "{\"v\": {\"a\": 1, \"b\": 2}}", false},
   {"{\"v\": [1, {\"c\": [2.0]}]}", "{\"v\": [{\"$numberLong\": \"1\"}, {\"c\": [{\"$numberDecimal\": \"2\"}]}]}", true},
   {"{\"v\": [1, 2]}", "{\"v\": [1, 2, 3]}", false},
   {"{\"v\": [1]}", "{\"v\": {\"0\": 1}}", false},
   /* strings by bytes, no collation; types other than numbers differ */
   {"{\"v\": \"abc\"}", "{\"v\": \"abc\"}", true},
   {"{\"v\": \"abc\"}", "{\"v\": \"ABC\"}", false},
   {"{\"v\": \"5\"}", "{\"v\": 5}", false},
   {"{\"v\": true}", "{\"v\": 1}", false},
   {"{\"v\": null}", "{\"v\": 0}", false},
   {"{\"v\": {\"$oid\": \"5f0000000000000000000001\"}}", "{\"v\": {\"$oid\": \"5f0000000000000000000001\"}}", true},
   {"{\"v\": {\"$oid\": \"5f0000000000000000000001\"}}", "{\"v\": {\"$oid\": \"5f0000000000000000000002\"}}", false},
};

static void
test_id_equal_table (void **state)
{
   (void) state;
   for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      bson_t da, db;
      bson_value_t a, b;
      value_of (cases[i].a, &da, &a);
      value_of (cases[i].b, &db, &b);
      if (bql_id_equal (&a, &b) != cases[i].equal || bql_id_equal (&b, &a) != cases[i].equal) {
         fail_msg ("case %zu: %s vs %s: expected %s", i, cases[i].a, cases[i].b, cases[i].equal ? "equal" : "different");
      }
      assert_true (bql_id_equal (&a, &a));
      assert_int_not_equal (bql_id_hash (&a), 0);
      if (cases[i].equal && bql_id_hash (&a) != bql_id_hash (&b)) {
         fail_msg ("case %zu: %s vs %s: equal but hashed differently", i, cases[i].a, cases[i].b);
      }
      bson_destroy (&da);
      bson_destroy (&db);
   }
}

/* The map holds int64 5 (a stored _id): the row's int32 5 and double 5.0
 * find it; int32 6 does not; a put of double 5.0 keeps the first. */
static void
test_id_map_across_types (void **state)
{
   (void) state;
   bql_id_map_t m;
   bql_id_map_init (&m, 0);
   bson_value_t v = {.value_type = BSON_TYPE_INT64, .value.v_int64 = 5};
   bql_id_map_put (&m, &v, 7);
   bson_value_t i5 = {.value_type = BSON_TYPE_INT32, .value.v_int32 = 5};
   bson_value_t d5 = {.value_type = BSON_TYPE_DOUBLE, .value.v_double = 5.0};
   bson_value_t i6 = {.value_type = BSON_TYPE_INT32, .value.v_int32 = 6};
   size_t pos = 0;
   assert_true (bql_id_map_get (&m, &i5, &pos));
   assert_int_equal (pos, 7);
   assert_true (bql_id_map_get (&m, &d5, &pos));
   assert_false (bql_id_map_get (&m, &i6, &pos));
   bql_id_map_put (&m, &d5, 9);
   assert_int_equal (m.n, 1);
   bql_id_map_set (&m, &i5, 11);
   assert_true (bql_id_map_get (&m, &v, &pos));
   assert_int_equal (pos, 11);
   assert_int_equal (m.n, 1);
   /* many ids, grown: each int32 finds its int64 */
   for (int32_t k = 0; k < 1000; k++) {
      bson_value_t x = {.value_type = BSON_TYPE_INT64, .value.v_int64 = k * 3};
      bql_id_map_set (&m, &x, (size_t) k);
   }
   for (int32_t k = 0; k < 1000; k++) {
      bson_value_t x = {.value_type = BSON_TYPE_INT32, .value.v_int32 = k * 3};
      assert_true (bql_id_map_get (&m, &x, &pos));
      assert_int_equal (pos, (size_t) k);
      bson_value_t y = {.value_type = BSON_TYPE_DOUBLE, .value.v_double = k * 3 + 1};
      assert_false (bql_id_map_get (&m, &y, &pos));
   }
   bql_id_map_cleanup (&m);
}

int
main (void)
{
   const struct CMUnitTest tests[] = {
      cmocka_unit_test (test_id_equal_table),
      cmocka_unit_test (test_id_map_across_types),
   };
   return cmocka_run_group_tests (tests, NULL, NULL);
}
