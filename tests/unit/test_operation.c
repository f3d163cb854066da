/*
 * test_operation.c — the checkpoint's row ranges (completed batches are
 * merged, batches in flight are kept apart), the deterministic
 * ObjectIds of rows without _id and the error of a failed command about
 * bulkql_operations (operation.h), without a server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hash.h"
#include "operation.h"

static void
expect_ranges (const bql_ranges_t *r, const int64_t *pairs, size_t n)
{
   assert_int_equal (r->n, n);
   for (size_t i = 0; i < n; i++) {
      assert_int_equal (r->items[i].first, pairs[2 * i]);
      assert_int_equal (r->items[i].last, pairs[2 * i + 1]);
   }
}

static void
test_ranges_merge_adjacent_and_overlapping (void **state)
{
   (void) state;
   bql_ranges_t r = {0};
   bql_ranges_add (&r, 5, 6);
   bql_ranges_add (&r, 1, 2);
   expect_ranges (&r, (int64_t[]) {1, 2, 5, 6}, 2);
   bql_ranges_add (&r, 3, 4); /* touches both: one range */
   expect_ranges (&r, (int64_t[]) {1, 6}, 1);
   bql_ranges_add (&r, 10, 20);
   bql_ranges_add (&r, 30, 31);
   bql_ranges_add (&r, 8, 8);
   expect_ranges (&r, (int64_t[]) {1, 6, 8, 8, 10, 20, 30, 31}, 4);
   bql_ranges_add (&r, 15, 30); /* overlaps 10-20, touches nothing else but 30-31 */
   expect_ranges (&r, (int64_t[]) {1, 6, 8, 8, 10, 31}, 3);
   bql_ranges_add (&r, 2, 3); /* already held */
   expect_ranges (&r, (int64_t[]) {1, 6, 8, 8, 10, 31}, 3);
   bql_ranges_add (&r, 0, 100); /* covers every range */
   expect_ranges (&r, (int64_t[]) {0, 100}, 1);
   bql_ranges_cleanup (&r);
}

static void
test_ranges_out_of_order_batches (void **state)
{
   (void) state;
   /* parallel workers complete batches out of order: 1000-row batches */
   bql_ranges_t r = {0};
   const int64_t order[] = {3, 1, 4, 0, 2, 6};
   for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
      bql_ranges_add (&r, order[i] * 1000 + 1, order[i] * 1000 + 1000);
   }
   expect_ranges (&r, (int64_t[]) {1, 5000, 6001, 7000}, 2);
   bql_ranges_cleanup (&r);
}

static void
test_in_flight_kept_apart (void **state)
{
   (void) state;
   bql_ranges_t r = {0};
   bql_ranges_push (&r, 11, 20);
   bql_ranges_push (&r, 1, 10);
   bql_ranges_push (&r, 21, 30);
   expect_ranges (&r, (int64_t[]) {1, 10, 11, 20, 21, 30}, 3);
   bql_ranges_remove_within (&r, 11, 20);
   expect_ranges (&r, (int64_t[]) {1, 10, 21, 30}, 2);
   bql_ranges_remove_within (&r, 5, 25); /* neither lies within */
   expect_ranges (&r, (int64_t[]) {1, 10, 21, 30}, 2);
   bql_ranges_remove_within (&r, 1, 30);
   expect_ranges (&r, NULL, 0);
   bql_ranges_cleanup (&r);
}

static void
test_ranges_as_documents (void **state)
{
   (void) state;
   bql_ranges_t r = {0};
   bql_ranges_add (&r, 1, 2);
   bql_ranges_add (&r, 7, 9);
   bson_t doc = BSON_INITIALIZER;
   bql_ranges_append (&r, &doc, "completed");
   char *json = bson_as_relaxed_extended_json (&doc, NULL);
   assert_string_equal (json, "{ \"completed\" : [ { \"first\" : 1, \"last\" : 2 }, { \"first\" : 7, \"last\" : 9 } ] }");
   bson_free (json);
   bson_destroy (&doc);
   bql_ranges_cleanup (&r);
}

static void
test_fnv1a64 (void **state)
{
   (void) state;
   /* the published FNV-1a 64 values */
   assert_true (bql_fnv1a64_add (BQL_FNV1A64_INIT, "", 0) == UINT64_C (0xcbf29ce484222325));
   assert_true (bql_fnv1a64_add (BQL_FNV1A64_INIT, "a", 1) == UINT64_C (0xaf63dc4c8601ec8c));
}

static void
test_row_oid_formula (void **state)
{
   (void) state;
   bson_oid_t op, oid, again;
   for (int i = 0; i < 12; i++) {
      op.bytes[i] = (uint8_t) i;
   }
   /* 00010203 | low 24 bits of fnv1a64(00..0b) = 0x2d7d4819416d7fb9 | the row, 40 bits */
   bql_row_oid_bytes (op.bytes, INT64_C (0x0102030405), oid.bytes);
   char hex[25];
   bson_oid_to_string (&oid, hex);
   assert_string_equal (hex, "000102036d7fb90102030405");
   bql_row_oid_bytes (op.bytes, 1, oid.bytes);
   bson_oid_to_string (&oid, hex);
   assert_string_equal (hex, "000102036d7fb90000000001");
   /* the same operation and row: the same _id; another row: another */
   bql_row_oid_bytes (op.bytes, 1, again.bytes);
   assert_int_equal (bson_oid_compare (&oid, &again), 0);
   bql_row_oid_bytes (op.bytes, 2, again.bytes);
   assert_int_not_equal (bson_oid_compare (&oid, &again), 0);
}

/* One helper for op_admin.c and resume.c: a lost server is a connection
 * error without a server code, a refused command keeps the server's. */
static void
test_operation_server_error (void **state)
{
   (void) state;
   bql_error_t e;
   bson_error_t berr;
   bson_set_error (&berr, MONGOC_ERROR_STREAM, MONGOC_ERROR_STREAM_SOCKET, "socket error");
   memset (&e, 0x5a, sizeof e);
   assert_false (bql_operation_server_error (&e, &berr, "list the operations"));
   assert_int_equal (e.domain, BQL_ERROR_EXECUTE);
   assert_int_equal (e.code, BQL_ERR_CONNECTION);
   assert_int_equal (e.server_code, 0);
   assert_string_equal (e.message, "cannot list the operations: socket error");
   assert_string_equal (e.hint, "");

   bson_set_error (&berr, MONGOC_ERROR_SERVER, 13, "not authorized");
   assert_false (bql_operation_server_error (&e, &berr, "mark the operation InProgress"));
   assert_int_equal (e.code, BQL_ERR_SERVER);
   assert_int_equal (e.server_code, 13);
   assert_string_equal (e.message, "cannot mark the operation InProgress: not authorized");
}

int
main (void)
{
   const struct CMUnitTest tests[] = {
      cmocka_unit_test (test_ranges_merge_adjacent_and_overlapping),
      cmocka_unit_test (test_ranges_out_of_order_batches),
      cmocka_unit_test (test_in_flight_kept_apart),
      cmocka_unit_test (test_ranges_as_documents),
      cmocka_unit_test (test_fnv1a64),
      cmocka_unit_test (test_row_oid_formula),
      cmocka_unit_test (test_operation_server_error),
   };
   return cmocka_run_group_tests (tests, NULL, NULL);
}
