/*
 * test_json_doc.c — cmocka unit tests of the JSON text to BSON function
 * shared by files, JSON literals and JSON columns (json_doc.c), and of the
 * one ISO 8601 date parser (bql_parse_iso8601, datetime.c), without a server.
 * Each case gives a text and the exact outcome: the document as canonical
 * Extended JSON, or the error code, offset and message. Links the static
 * planner library for the internal functions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json_doc.h"
#include "planner.h"

static void value_bad (const char *text, bql_json_code_t code, size_t offset, const char *message);

/* ---- bql_parse_iso8601 ---- */

static void
test_iso8601_accepts_every_documented_form (void **state)
{
   (void) state;
   static const struct {
      const char *text;
      int64_t ms;
   } cases[] = {
      {"2024-01-15", 1705276800000},
      {"2024-01-15T10:30:00Z", 1705314600000},
      {"2024-01-15t10:30:00z", 1705314600000},
      {"2024-01-15 10:30:00", 1705314600000},
      {"2024-01-15T10:30Z", 1705314600000},
      {"2024-01-15T10:30", 1705314600000},
      {"2024-01-15T10:30:00+01:00", 1705311000000},
      {"2024-01-15T10:30:00+0100", 1705311000000},
      {"2024-01-15T10:30:00+01", 1705311000000},
      {"2024-01-15T10:30:00-05:30", 1705334400000},
      {"2024-01-15T10:30:00-0530", 1705334400000},
      {"2024-01-15T10:30:00.1Z", 1705314600100},
      {"2024-01-15T10:30:00.12Z", 1705314600120},
      {"2024-01-15T10:30:00.123Z", 1705314600123},
      {"2024-01-15T10:30:00.1239Z", 1705314600123},
      {"2024-01-15T10:30:00.999999999Z", 1705314600999}, /* truncated, not rounded */
      {"2024-01-15T10:30:00,5+01:00", 1705311000500},
      {"2024-02-29T23:59:59.999+01:00", 1709247599999},
      {"1970-01-01T00:00:00Z", 0},
      {"1969-12-31T23:59:59.9999Z", -1},
      {"0001-01-01", -62135596800000},
      {"9999-12-31T23:59:59.999Z", 253402300799999},
   };
   for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      int64_t ms = 42;
      if (!bql_parse_iso8601 (cases[i].text, strlen (cases[i].text), &ms)) {
         fail_msg ("%s: refused", cases[i].text);
      }
      if (ms != cases[i].ms) {
         fail_msg ("%s: %lld, expected %lld", cases[i].text, (long long) ms, (long long) cases[i].ms);
      }
   }
}

static void
test_iso8601_refuses_everything_else (void **state)
{
   (void) state;
   static const char *const bad[] = {
      "",
      "2024",
      "2024-01",
      "2024-1-15",
      "24-01-15",
      "2024-13-01",
      "2024-00-10",
      "2024-01-32",
      "2023-02-29",
      "2024-02-30",
      " 2024-01-15",
      "2024-01-15 ",
      "2024-01-15T",
      "2024-01-15T10",
      "2024-01-15T10:3",
      "2024-01-15T24:00:00Z",
      "2024-01-15T10:60:00Z",
      "2024-01-15T10:30:61Z",
      "2024-01-15T10:30:00.Z",
      "2024-01-15T10:30:00.1234567891Z", /* 10 fraction digits */
      "2024-01-15T10:30.5Z",
      "2024-01-15T10:30:00+",
      "2024-01-15T10:30:00+1",
      "2024-01-15T10:30:00+01:",
      "2024-01-15T10:30:00+01:0",
      "2024-01-15T10:30:00+013",
      "2024-01-15T10:30:00+24:00",
      "2024-01-15T10:30:00+01:60",
      "2024-01-15T10:30:00ZZ",
      "2024-01-15T10:30:00 Z",
      "2024-01-15Z",
      "2024-01-15X10:30:00",
      "yesterday",
      "2024-01-15T10:30:00\0Z",
   };
   for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
      int64_t ms = 42;
      size_t len = strlen (bad[i]);
      if (!strcmp (bad[i], "2024-01-15T10:30:00")) {
         len += 2; /* the NUL case */
      }
      if (bql_parse_iso8601 (bad[i], len, &ms)) {
         fail_msg ("\"%s\": accepted as %lld", bad[i], (long long) ms);
      }
      assert_int_equal (ms, 42);
   }
   /* the text need not end with NUL: only len bytes are read */
   int64_t ms;
   assert_true (bql_parse_iso8601 ("2024-01-15xyz", 10, &ms));
   assert_int_equal (ms, 1705276800000);
}

/* ---- bql_json_parse_document ---- */

/* text must parse; its document as canonical Extended JSON must be want. */
static void
doc_ok (const char *text, const char *want)
{
   bson_t doc = BSON_INITIALIZER;
   bson_append_int32 (&doc, "stale", -1, 1); /* reinitialised by the call */
   bql_json_error_t err;
   if (!bql_json_parse_document (text, strlen (text), &doc, &err)) {
      fail_msg ("%s: refused: %s", text, err.message);
   }
   char *got = bson_as_canonical_extended_json (&doc, NULL);
   if (strcmp (got, want) != 0) {
      fail_msg ("%s\ngave  %s\nwanted %s", text, got, want);
   }
   bson_free (got);
   bson_destroy (&doc);
}

/* text must be refused with code, offset and message; doc left empty. */
static void
doc_bad (const char *text, bql_json_code_t code, size_t offset, const char *message)
{
   bson_t doc = BSON_INITIALIZER;
   bql_json_error_t err;
   if (bql_json_parse_document (text, strlen (text), &doc, &err)) {
      char *got = bson_as_canonical_extended_json (&doc, NULL);
      fail_msg ("%s: accepted as %s", text, got);
   }
   if (err.code != code || strcmp (err.message, message) != 0 || err.offset != offset) {
      fail_msg ("%s\ngave   %d @%zu %s\nwanted %d @%zu %s", text, err.code, err.offset, err.message, code, offset,
                message);
   }
   assert_int_equal (doc.len, 5);
   bson_destroy (&doc);
}

static void
test_document_one_and_only_one (void **state)
{
   (void) state;
   doc_ok ("{\"a\": 1}", "{ \"a\" : { \"$numberInt\" : \"1\" } }");
   doc_ok (" \t{\"a\": 1} \t\r\n", "{ \"a\" : { \"$numberInt\" : \"1\" } }");
   doc_ok ("{}", "{ }");
   doc_ok ("{\"s\": \"} { ] [ \\\" \\\\\", \"t\": \"\\\\\"}",
           "{ \"s\" : \"} { ] [ \\\" \\\\\", \"t\" : \"\\\\\" }");
   doc_bad ("{\"a\": 1},", BQL_JSON_TRAILING, 8, "text after the document");
   doc_bad ("{\"a\": 1} {\"b\": 2}", BQL_JSON_TRAILING, 9, "text after the document");
   doc_bad ("{\"a\": 1}}", BQL_JSON_TRAILING, 8, "text after the document");
   doc_bad ("{\"a\": 1}\n x", BQL_JSON_TRAILING, 10, "text after the document");
   doc_bad ("{\"a\": 1}\"", BQL_JSON_TRAILING, 8, "text after the document");
   /* the document's own fault first */
   doc_bad ("{\"a\": tru} x", BQL_JSON_INVALID, 0,
            "invalid JSON: Got parse error at \"}\", position 9: \"SPECIAL_INCOMPLETE\"");
   doc_bad ("[1]", BQL_JSON_NOT_DOCUMENT, 0, "not a JSON document (an object in braces)");
   doc_bad ("\"x\"", BQL_JSON_NOT_DOCUMENT, 0, "not a JSON document (an object in braces)");
   doc_bad ("", BQL_JSON_NOT_DOCUMENT, 0, "not a JSON document (an object in braces)");
   doc_bad ("  ", BQL_JSON_NOT_DOCUMENT, 0, "not a JSON document (an object in braces)");
   doc_bad ("{\"a\": 1", BQL_JSON_INVALID, 0, "invalid JSON: Incomplete JSON");
   doc_bad ("{\"a\": [1}", BQL_JSON_INVALID, 0, "invalid JSON: Got parse error at \"}\", position 8: \"BRACKET_MISMATCH\"");
   doc_bad ("{\"a\":\n tru\n}", BQL_JSON_INVALID, 0,
            "invalid JSON: Got parse error at \"\\n\", position 10: \"SPECIAL_INCOMPLETE\"");
   doc_bad ("{\"a\\u0000b\": 1}", BQL_JSON_NUL_KEY, 0, "column \"a\\u0000b\": a field name cannot contain NUL");
   doc_ok ("{\"a\": \"\\u0000\"}", "{ \"a\" : \"\\u0000\" }");
}

static void
test_document_duplicate_field_names (void **state)
{
   (void) state;
   doc_bad ("{\"a\": 1, \"a\": 2}", BQL_JSON_DUPLICATE, 0, "duplicate field name \"a\"");
   doc_bad ("{\"a\": 1, \"b\": {\"c\": 1, \"c\": 1}}", BQL_JSON_DUPLICATE, 0, "duplicate field name \"b.c\"");
   doc_bad ("{\"l\": [0, [{\"x\": 1, \"y\": 1, \"x\": 1}]]}", BQL_JSON_DUPLICATE, 0, "duplicate field name \"l.1.0.x\"");
   doc_ok ("{\"a\": {\"a\": {\"a\": 1}}, \"l\": [{\"a\": 1}, {\"a\": 1}]}",
           "{ \"a\" : { \"a\" : { \"a\" : { \"$numberInt\" : \"1\" } } }, \"l\" : [ { \"a\" : { \"$numberInt\" : \"1\" } }, "
           "{ \"a\" : { \"$numberInt\" : \"1\" } } ] }");
   /* many fields: found by sorting */
   char big[4096];
   size_t n = 0;
   n += (size_t) snprintf (big + n, sizeof big - n, "{");
   for (int i = 0; i < 100; i++) {
      n += (size_t) snprintf (big + n, sizeof big - n, "\"f%d\": %d, ", i, i);
   }
   snprintf (big + n, sizeof big - n, "\"f99\": 0}");
   doc_bad (big, BQL_JSON_DUPLICATE, 0, "duplicate field name \"f99\"");
   /* keys that share a prefix are different */
   doc_ok ("{\"ab\": 1, \"a\": 2, \"abc\": 3}",
           "{ \"ab\" : { \"$numberInt\" : \"1\" }, \"a\" : { \"$numberInt\" : \"2\" }, \"abc\" : { \"$numberInt\" : \"3\" } }");
}

static void
test_document_integers_beyond_int64_are_doubles (void **state)
{
   (void) state;
   doc_ok ("{\"a\": 2147483647, \"b\": 2147483648, \"c\": 9223372036854775807, \"d\": -9223372036854775808}",
           "{ \"a\" : { \"$numberInt\" : \"2147483647\" }, \"b\" : { \"$numberLong\" : \"2147483648\" }, \"c\" : { "
           "\"$numberLong\" : \"9223372036854775807\" }, \"d\" : { \"$numberLong\" : \"-9223372036854775808\" } }");
   doc_ok ("{\"a\": 9223372036854775808, \"b\": -9223372036854775809}",
           "{ \"a\" : { \"$numberDouble\" : \"9223372036854775808.0\" }, \"b\" : { \"$numberDouble\" : "
           "\"-9223372036854775808.0\" } }");
   doc_ok ("{\"a\": 99999999999999999999999, \"b\": 18446744073709551616, \"c\": [1, -100000000000000000000]}",
           "{ \"a\" : { \"$numberDouble\" : \"9.9999999999999991611e+22\" }, \"b\" : { \"$numberDouble\" : \"18446744073709551616.0\" }, "
           "\"c\" : [ { \"$numberInt\" : \"1\" }, { \"$numberDouble\" : \"-1e+20\" } ] }");
   doc_ok ("{\"a\": 1.5, \"b\": 1e3, \"c\": \"99999999999999999999\"}",
           "{ \"a\" : { \"$numberDouble\" : \"1.5\" }, \"b\" : { \"$numberDouble\" : \"1000.0\" }, \"c\" : "
           "\"99999999999999999999\" }");
   doc_bad ("{\"a\": {\"$numberLong\": \"99999999999999999999\"}}", BQL_JSON_INVALID, 0,
            "invalid JSON: Number \"99999999999999999999\" is out of range");
   doc_bad ("{\"a\": 1e400}", BQL_JSON_INVALID, 0, "invalid JSON: Number \"1e400\" is out of range");
}

static void
test_document_dates (void **state)
{
   (void) state;
   doc_ok ("{\"d\": {\"$date\": \"2024-01-15T10:30:00+01:00\"}}", "{ \"d\" : { \"$date\" : { \"$numberLong\" : \"1705311000000\" } } }");
   doc_ok ("{\"d\": {\"$date\" : \"2024-01-15T10:30:00.123456789Z\"}}",
           "{ \"d\" : { \"$date\" : { \"$numberLong\" : \"1705314600123\" } } }");
   doc_ok ("{\"d\": {\"$date\": \"1969-12-31T23:59:59.9999Z\"}, \"e\": {\"$date\": \"1970-01-01\"}, \"f\": {\"$date\": "
           "\"0001-01-01\"}}",
           "{ \"d\" : { \"$date\" : { \"$numberLong\" : \"-1\" } }, \"e\" : { \"$date\" : { \"$numberLong\" : \"0\" } }, "
           "\"f\" : { \"$date\" : { \"$numberLong\" : \"-62135596800000\" } } }");
   doc_ok ("{\"d\": [{\"$date\":\"2024-01-15\"}]}", "{ \"d\" : [ { \"$date\" : { \"$numberLong\" : \"1705276800000\" } } ] }");
   doc_ok ("{\"d\": {\"$date\": {\"$numberLong\": \"5\"}}, \"e\": {\"$date\": 7}}",
           "{ \"d\" : { \"$date\" : { \"$numberLong\" : \"5\" } }, \"e\" : { \"$date\" : { \"$numberLong\" : \"7\" } } }");
   /* "$date" as a string value or a field of the document is not a date */
   doc_ok ("{\"k\": \"$date\", \"l\": [\"$date\", \"2024-01-15\"]}",
           "{ \"k\" : \"$date\", \"l\" : [ \"$date\", \"2024-01-15\" ] }");
   doc_ok ("{\"$date\": \"x\"}", "{ \"$date\" : \"x\" }");
   doc_bad ("{\"d\": {\"$date\": \"2024-01-15T10:30:00+01:\"}}", BQL_JSON_BAD_DATE, 16,
            "$date: \"2024-01-15T10:30:00+01:\" is not an ISO 8601 date");
   doc_bad ("{\"d\": {\"$date\": \"\"}}", BQL_JSON_BAD_DATE, 16, "$date: \"\" is not an ISO 8601 date");
   doc_bad ("{\"d\": {\"$date\": \"2024-01-15\\u0054\"}}", BQL_JSON_BAD_DATE, 16,
            "$date: \"2024-01-15\\u0054\" is not an ISO 8601 date");
   doc_bad ("{\"d\": {\"$date\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}}", BQL_JSON_BAD_DATE, 16,
            "$date: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\" is not an ISO 8601 date");
}

static void
test_document_extended_json_libbson_reads_leniently (void **state)
{
   (void) state;
   /* what is valid reads as before */
   doc_ok ("{\"a\": {\"$numberDouble\": \"1.5\"}, \"b\": {\"$numberDouble\": \"-Infinity\"}, \"c\": {\"$numberDouble\": \"1e5\"}}",
           "{ \"a\" : { \"$numberDouble\" : \"1.5\" }, \"b\" : { \"$numberDouble\" : \"-Infinity\" }, \"c\" : { "
           "\"$numberDouble\" : \"100000.0\" } }");
   doc_ok ("{\"o\": {\"$oid\": \"65a1b2c3d4e5f60718293a4B\"}, \"b\": {\"$binary\": {\"base64\": \"AA==\", \"subType\": \"80\"}}}",
           "{ \"o\" : { \"$oid\" : \"65a1b2c3d4e5f60718293a4b\" }, \"b\" : { \"$binary\" : { \"base64\" : \"AA==\", "
           "\"subType\" : \"80\" } } }");
   doc_ok ("{\"t\": {\"$timestamp\": {\"t\": 4294967295, \"i\": 0}}, \"r\": {\"$regularExpression\": {\"pattern\": "
           "\"a\", \"options\": \"xi\"}}}",
           "{ \"t\" : { \"$timestamp\" : { \"t\" : 4294967295, \"i\" : 0 } }, \"r\" : { \"$regularExpression\" : { "
           "\"pattern\" : \"a\", \"options\" : \"ix\" } } }");
   /* field names of plain documents are not Extended JSON */
   doc_ok ("{\"subType\": \"premium\", \"x\": {\"t\": 99999999999, \"options\": \"zz\", \"$oid\": \"g\"}}",
           "{ \"subType\" : \"premium\", \"x\" : { \"t\" : { \"$numberLong\" : \"99999999999\" }, \"options\" : "
           "\"zz\", \"$oid\" : \"g\" } }");
   /* what libbson would store as something else */
   doc_bad ("{\"a\": {\"$numberDouble\": \"abc\"}}", BQL_JSON_BAD_VALUE, 24,
            "$numberDouble: \"abc\" is not a number");
   doc_bad ("{\"a\": {\"$numberDouble\": \"1.5x\"}}", BQL_JSON_BAD_VALUE, 24,
            "$numberDouble: \"1.5x\" is not a number");
   doc_bad ("{\"a\": {\"$numberDecimal\": \"abc\"}}", BQL_JSON_BAD_VALUE, 25,
            "$numberDecimal: \"abc\" is not a decimal number (Decimal128)");
   doc_bad ("{\"a\": {\"$numberDecimal\": \"12345678901234567890123456789012345\"}}", BQL_JSON_BAD_VALUE, 25,
            "$numberDecimal: \"12345678901234567890123456789012345\" is not a decimal number (Decimal128)");
   doc_bad ("{\"a\": {\"$oid\": \"65a1b2c3d4e5f60718293a4g\"}}", BQL_JSON_BAD_VALUE, 15,
            "$oid: \"65a1b2c3d4e5f60718293a4g\" is not an ObjectId (24 hexadecimal digits)");
   doc_bad ("{\"a\": {\"$binary\": {\"base64\": \"AA==\", \"subType\": \"1ff\"}}}", BQL_JSON_BAD_VALUE, 48,
            "subType: \"1ff\" is not a binary subtype (one or two hexadecimal digits)");
   doc_bad ("{\"a\": {\"$type\": \"1ff\", \"$binary\": \"AA==\"}}", BQL_JSON_BAD_VALUE, 16,
            "$type: \"1ff\" is not a binary subtype (one or two hexadecimal digits)");
   doc_bad ("{\"a\": {\"$regex\": \"a\", \"$options\": \"zq\"}}", BQL_JSON_BAD_VALUE, 34,
            "$options: \"zq\" holds an option other than i, l, m, s, u and x");
   doc_bad ("{\"a\": {\"$regularExpression\": {\"options\": \"iz\", \"pattern\": \"a\"}}}", BQL_JSON_BAD_VALUE, 41,
            "options: \"iz\" holds an option other than i, l, m, s, u and x");
   doc_bad ("{\"a\": {\"$timestamp\": {\"i\": 4294967297, \"t\": 1}}}", BQL_JSON_BAD_VALUE, 27,
            "$timestamp: \"i\" must be an integer from 0 to 4294967295");
   doc_bad ("{\"a\": [{\"$timestamp\": {\"t\": 99999999999999999999, \"i\": 1}}]}", BQL_JSON_BAD_VALUE, 28,
            "$timestamp: \"t\" must be an integer from 0 to 4294967295");
}

static void
test_document_error_positions_are_in_the_text_as_given (void **state)
{
   (void) state;
   /* the date and the big integer before the fault are rewritten for
    * libbson: its position is counted back into the text */
   doc_bad ("{\"d\": {\"$date\": \"2024-01-15\"}, \"n\": 99999999999999999999, \"x\": tru}", BQL_JSON_INVALID, 0,
            "invalid JSON: Got parse error at \"}\", position 66: \"SPECIAL_INCOMPLETE\"");
   value_bad ("{\"d\": {\"$date\": \"2024-01-15\"}, \"x\": tru}", BQL_JSON_INVALID, 0,
              "invalid JSON: Got parse error at \"}\", position 44: \"SPECIAL_INCOMPLETE\"");
}

static void
test_document_nested_deeper_than_libbson_reads (void **state)
{
   (void) state;
   char deep[2000];
   size_t n = 0;
   for (int i = 0; i < 150; i++) {
      n += (size_t) snprintf (deep + n, sizeof deep - n, "{\"a\":");
   }
   n += (size_t) snprintf (deep + n, sizeof deep - n, "1");
   for (int i = 0; i < 150; i++) {
      deep[n++] = '}';
   }
   deep[n] = '\0';
   bson_t doc = BSON_INITIALIZER;
   bql_json_error_t err;
   assert_false (bql_json_parse_document (deep, n, &doc, &err));
   assert_int_equal (err.code, BQL_JSON_TOO_DEEP);
   assert_int_equal (err.offset, 98 * 5); /* the 99th '{' */
   assert_string_equal (err.message, "invalid JSON: objects and arrays nested more than 98 levels deep");
   assert_true (bson_empty (&doc));
   /* 98 levels read (libbson refuses 99 levels holding a value); in a
    * value (stored in a document) 97: k levels are the 6k + 1 bytes from
    * the (150 - k)th '{' */
   assert_true (bql_json_parse_document (deep + (150 - 98) * 5, 6 * 98 + 1, &doc, &err));
   bson_value_t v;
   assert_false (bql_json_parse_value (deep + (150 - 98) * 5, 6 * 98 + 1, &v, &err));
   assert_int_equal (err.code, BQL_JSON_TOO_DEEP);
   assert_string_equal (err.message, "invalid JSON: objects and arrays nested more than 97 levels deep");
   assert_true (bql_json_parse_value (deep + (150 - 97) * 5, 6 * 97 + 1, &v, &err));
   bson_value_destroy (&v);
   bson_destroy (&doc);
}

/* issue 12: 100,000 levels of arrays in a row are refused by the scan at
 * the 100th, with its offset, before libbson reads any of it */
static void
test_document_nested_100000_levels (void **state)
{
   (void) state;
   size_t levels = 100000, n = 0;
   char *deep = malloc (5 + 2 * levels + 2);
   memcpy (deep, "{\"a\":", 5);
   n = 5;
   memset (deep + n, '[', levels);
   n += levels;
   memset (deep + n, ']', levels);
   n += levels;
   deep[n++] = '}';
   bson_t doc = BSON_INITIALIZER;
   bql_json_error_t err;
   assert_false (bql_json_parse_document (deep, n, &doc, &err));
   assert_int_equal (err.code, BQL_JSON_TOO_DEEP);
   assert_int_equal (err.offset, 5 + 97);
   bson_destroy (&doc);
   free (deep);
}

/* A row libbson refuses inside a nested object leaves the caller's
 * document usable: the next row read into it (fuzz_records: the reader
 * left a child open, and the next append aborted in libbson) */
static void
test_document_refused_inside_a_child_leaves_the_document_usable (void **state)
{
   (void) state;
   bson_t doc = BSON_INITIALIZER;
   bql_json_error_t err;
   const char *bad = "{\"a\": {\"b\": [1, {\"c\": tru}]}}";
   assert_false (bql_json_parse_document (bad, strlen (bad), &doc, &err));
   assert_int_equal (err.code, BQL_JSON_INVALID);
   assert_true (bson_empty (&doc));
   BSON_APPEND_INT32 (&doc, "x", 1);
   const char *good = "{\"y\": {\"z\": 2}}";
   assert_true (bql_json_parse_document (good, strlen (good), &doc, &err));
   char *json = bson_as_relaxed_extended_json (&doc, NULL);
   assert_string_equal (json, "{ \"y\" : { \"z\" : 2 } }");
   bson_free (json);
   bson_destroy (&doc);
}

/* ---- bql_json_parse_value ---- */

static void
value_ok (const char *text, const char *want)
{
   bson_value_t v;
   bql_json_error_t err;
   if (!bql_json_parse_value (text, strlen (text), &v, &err)) {
      fail_msg ("%s: refused: %s", text, err.message);
   }
   bson_t doc = BSON_INITIALIZER;
   bson_append_value (&doc, "v", 1, &v);
   char *got = bson_as_canonical_extended_json (&doc, NULL);
   if (strcmp (got, want) != 0) {
      fail_msg ("%s\ngave  %s\nwanted %s", text, got, want);
   }
   bson_free (got);
   bson_destroy (&doc);
   bson_value_destroy (&v);
}

static void
value_bad (const char *text, bql_json_code_t code, size_t offset, const char *message)
{
   bson_value_t v;
   bql_json_error_t err;
   if (bql_json_parse_value (text, strlen (text), &v, &err)) {
      fail_msg ("%s: accepted", text);
   }
   if (err.code != code || strcmp (err.message, message) != 0 || err.offset != offset) {
      fail_msg ("%s\ngave   %d @%zu %s\nwanted %d @%zu %s", text, err.code, err.offset, err.message, code, offset,
                message);
   }
}

static void
test_values (void **state)
{
   (void) state;
   value_ok ("5", "{ \"v\" : { \"$numberInt\" : \"5\" } }");
   value_ok (" \"text\" ", "{ \"v\" : \"text\" }");
   value_ok ("null", "{ \"v\" : null }");
   value_ok ("[1, \"x\"]", "{ \"v\" : [ { \"$numberInt\" : \"1\" }, \"x\" ] }");
   value_ok ("99999999999999999999", "{ \"v\" : { \"$numberDouble\" : \"1e+20\" } }");
   value_ok ("{\"$date\": \"2024-01-15T10:30:00-05:30\"}", "{ \"v\" : { \"$date\" : { \"$numberLong\" : \"1705334400000\" } } }");
   value_ok ("[{\"$date\": \"2024-01-15\"}]", "{ \"v\" : [ { \"$date\" : { \"$numberLong\" : \"1705276800000\" } } ] }");
   value_ok ("{\"a\": {\"b\": 1}}", "{ \"v\" : { \"a\" : { \"b\" : { \"$numberInt\" : \"1\" } } } }");
   value_bad ("{\"a\": 1}} x", BQL_JSON_TRAILING, 8, "text after the JSON value");
   value_bad ("1 2", BQL_JSON_TRAILING, 2, "text after the JSON value");
   value_bad ("\"a\" \"b\"", BQL_JSON_TRAILING, 4, "text after the JSON value");
   value_bad ("{\"a\": 1, \"a\": 1}", BQL_JSON_DUPLICATE, 0, "duplicate field name \"a\"");
   value_bad ("[{\"b\": {\"a\": 1, \"a\": 1}}]", BQL_JSON_DUPLICATE, 0, "duplicate field name \"0.b.a\"");
   value_bad ("{\"$date\": \"2024-01-15T10:30:00+01:\"}", BQL_JSON_BAD_DATE, 10,
              "$date: \"2024-01-15T10:30:00+01:\" is not an ISO 8601 date");
   value_bad ("{\"a\": tru}", BQL_JSON_INVALID, 0,
              "invalid JSON: Got parse error at \"}\", position 14: \"SPECIAL_INCOMPLETE\"");
   value_bad ("", BQL_JSON_INVALID, 0, "invalid JSON: Got parse error at \"}\", position 5: \"VALUE_EXPECTED\"");
}

/* A negative number with a leading zero is not JSON: refused at the
 * number (libbson alone would store "-012" as 0, and "-0000000000000000000001"
 * went through the beyond-int64 test as the double -1). "-0", "-0.5" and
 * "-0e1" are numbers. */
static void
test_negative_number_with_a_leading_zero_is_refused (void **state)
{
   (void) state;
   static const struct {
      const char *text;
      size_t offset;
      const char *message;
   } bad[] = {
      {"{\"a\":-012}", 5, "invalid JSON: a number with a leading zero (-012)"},
      {"{\"a\":-00}", 5, "invalid JSON: a number with a leading zero (-00)"},
      {"{\"a\": [1, -0012.5]}", 10, "invalid JSON: a number with a leading zero (-0012)"},
      {"{\"a\":-01e2}", 5, "invalid JSON: a number with a leading zero (-01)"},
      {"{\"a\":-0000000000000000000001}", 5, "invalid JSON: a number with a leading zero (-00000000000000000000)"},
   };
   for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
      bson_t doc = BSON_INITIALIZER;
      bql_json_error_t err;
      assert_false (bql_json_parse_document (bad[i].text, strlen (bad[i].text), &doc, &err));
      assert_int_equal (err.code, BQL_JSON_INVALID);
      assert_int_equal (err.offset, bad[i].offset);
      assert_string_equal (err.message, bad[i].message);
      bson_destroy (&doc);
   }
   static const char *const good[] = {"{\"a\":-0}", "{\"a\":-0.5}", "{\"a\":-0e1}", "{\"a\":-10}"};
   static const double want[] = {0.0, -0.5, -0.0, -10.0};
   for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
      bson_t doc = BSON_INITIALIZER;
      bql_json_error_t err;
      assert_true (bql_json_parse_document (good[i], strlen (good[i]), &doc, &err));
      bson_iter_t it;
      assert_true (bson_iter_init_find (&it, &doc, "a"));
      assert_true (bson_iter_as_double (&it) == want[i]);
      bson_destroy (&doc);
   }
}

int
main (void)
{
   const struct CMUnitTest tests[] = {
      cmocka_unit_test (test_iso8601_accepts_every_documented_form),
      cmocka_unit_test (test_iso8601_refuses_everything_else),
      cmocka_unit_test (test_document_one_and_only_one),
      cmocka_unit_test (test_document_duplicate_field_names),
      cmocka_unit_test (test_document_integers_beyond_int64_are_doubles),
      cmocka_unit_test (test_document_dates),
      cmocka_unit_test (test_document_extended_json_libbson_reads_leniently),
      cmocka_unit_test (test_document_error_positions_are_in_the_text_as_given),
      cmocka_unit_test (test_document_nested_deeper_than_libbson_reads),
      cmocka_unit_test (test_document_nested_100000_levels),
      cmocka_unit_test (test_document_refused_inside_a_child_leaves_the_document_usable),
      cmocka_unit_test (test_values),
      cmocka_unit_test (test_negative_number_with_a_leading_zero_is_refused),
   };
   return cmocka_run_group_tests (tests, NULL, NULL);
}
