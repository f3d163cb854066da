/*
 * test_json_fast.c — the differential test of the JSON fast path
 * (json_fast.h: simdjson + bson_append_*) against the reference,
 * bql_json_parse_document (json_doc.c over libbson's reader). Every
 * record of a corpus is parsed both ways and must give the same outcome:
 * both documents bson_equal (byte for byte: types, -0, key order), or
 * both refused with the same error code, offset and message. The corpus:
 * tests/fixtures/json_fast/corpus.ndjson (every Extended JSON type
 * libbson reads, numbers at every boundary, unicode and escapes, empty
 * objects and arrays, field names given twice, invalid JSON), records
 * built here (nesting around the 98-level limit, wide objects, invalid
 * UTF-8, control characters, pretty-printed records, large records) and
 * a few thousand random documents. Each record is parsed where it lies
 * with padding of junk after it and, again, with none (the parser's own
 * copy). Records that the fast path must build itself (not hand to
 * libbson) are listed, so that the comparison cannot pass by the fast
 * path declining everything. The same for JSON column values:
 * bql_json_value_parse against bql_json_parse_value on the corpus, values
 * of every type, nesting around the limit and random values. The facts
 * of what the fast path built are checked by walks of their own
 * (json_fast_check.h); and since the writer skips libmongoc's checks of a
 * document to insert when the source says its field names are valid
 * (insert.c), every document read here whose names are all valid is
 * handed to libmongoc's own checks (mongoc_bulk_operation_insert_with_opts
 * without options, as insert.c calls it for any other row), which must
 * take it; test_libmongoc_insert_checks pins what libmongoc refuses, with
 * its messages. Links the static library (internal functions).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <mongoc/mongoc.h>

#include "json_doc.h"
#include "json_fast.h"
#include "json_fast_check.h"

static bql_json_fast_t *fast;
static size_t n_records, n_fast;
static char *shown (const char *text, size_t len);
static mongoc_client_t *client; /* never connected: libmongoc's checks of a document run before any command */
static mongoc_collection_t *coll;
static size_t n_libmongoc;

/* Does libmongoc refuse doc as a document to insert, as insert.c hands it
 * a row without BQL_ROW_NAMES_VALID (no options)? Its message in msg. */
static bool
libmongoc_refuses (const bson_t *doc, char *msg, size_t len)
{
   mongoc_bulk_operation_t *bulk = mongoc_collection_create_bulk_operation_with_opts (coll, NULL);
   bson_error_t err;
   bool ok = mongoc_bulk_operation_insert_with_opts (bulk, doc, NULL, &err);
   snprintf (msg, len, "%s", ok ? "" : err.message);
   mongoc_bulk_operation_destroy (bulk);
   n_libmongoc++;
   return !ok;
}

/* A document whose field names are all valid is taken by libmongoc's
 * checks: what lets insert.c skip them for such a row. */
static void
check_names_valid_taken (const char *what, const char *text, size_t len, const bson_t *doc)
{
   char msg[512];
   if (bql_test_names_valid (doc) && libmongoc_refuses (doc, msg, sizeof msg)) {
      fail_msg ("%s: libmongoc refuses a document whose field names are all valid (%s): %s", what, msg,
                shown (text, len));
   }
}

static char *
shown (const char *text, size_t len)
{
   static char out[200];
   size_t o = 0;
   for (size_t i = 0; i < len && o + 8 < sizeof out; i++) {
      unsigned char c = (unsigned char) text[i];
      o += (size_t) (c >= 0x20 && c < 0x7f ? snprintf (out + o, sizeof out - o, "%c", c)
                                           : snprintf (out + o, sizeof out - o, "\\x%02x", c));
   }
   out[o] = '\0';
   return out;
}

static void
compare_docs (const char *what, const char *text, size_t len, const bson_t *ref, const bson_t *got)
{
   if (!bson_equal (ref, got)) {
      char *a = bson_as_canonical_extended_json (ref, NULL);
      char *b = bson_as_canonical_extended_json (got, NULL);
      fail_msg ("%s: %s\n  libbson: %s\n  fast:    %s", what, shown (text, len), a, b);
   }
}

/* One record both ways; true when the fast path built it itself. */
static bool
check_record (const char *text, size_t len)
{
   n_records++;
   bson_t ref = BSON_INITIALIZER, got = BSON_INITIALIZER;
   bql_json_error_t eref, egot;
   memset (&eref, 0, sizeof eref);
   memset (&egot, 0, sizeof egot);
   bool ok_ref = bql_json_parse_document (text, len, &ref, &eref);

   /* where it lies, with junk in the padding after it */
   char *padded = malloc (len + BQL_JSON_FAST_PAD);
   assert_non_null (padded);
   memcpy (padded, text, len);
   memset (padded + len, '{', BQL_JSON_FAST_PAD);
   bql_json_facts_t facts;
   bool built = bql_json_fast_try (fast, padded, len, BQL_JSON_FAST_PAD, &got, &facts);
   if (built) {
      if (!ok_ref) {
         fail_msg ("the fast path built what libbson refuses (%s): %s", eref.message, shown (text, len));
      }
      compare_docs ("in place", text, len, &ref, &got);
      if (bql_test_has_dollar_key (&got)) {
         fail_msg ("the fast path built a '$' field name: %s", shown (text, len));
      }
      bson_iter_t it;
      if (!facts.built || facts.has_id != bson_iter_init_find (&it, &got, "_id")) {
         fail_msg ("the facts are wrong (built %d, has_id %d): %s", facts.built, facts.has_id, shown (text, len));
      }
      if (facts.names_valid != bql_test_names_valid (&got)) {
         fail_msg ("the facts are wrong (names_valid %d): %s", facts.names_valid, shown (text, len));
      }
      if (bql_test_has_unusual_number (&got)) {
         fail_msg ("the fast path built a NaN, Infinity or Decimal128: %s", shown (text, len));
      }
      n_fast++;
   }
   /* copied by the parser (no padding readable) */
   bson_t copy = BSON_INITIALIZER;
   bool built_copy = bql_json_fast_try (fast, text, len, 0, &copy, NULL);
   if (built_copy != built) {
      fail_msg ("the fast path built the record %s with padding and %s without: %s", built ? "" : "not",
                built_copy ? "" : "not", shown (text, len));
   }
   if (built_copy) {
      compare_docs ("copied", text, len, &ref, &copy);
   }
   bson_destroy (&copy);

   /* the entry point the source uses: the fast path, else libbson's */
   bool ok_got = bql_json_record_parse (fast, padded, len, BQL_JSON_FAST_PAD, &got, &egot, &facts);
   if (ok_got != ok_ref) {
      fail_msg ("libbson %s, bql_json_record_parse %s: %s (%s)", ok_ref ? "reads it" : "refuses it",
                ok_got ? "reads it" : "refuses it", shown (text, len), ok_ref ? egot.message : eref.message);
   }
   assert_true (facts.built == built);
   if (ok_ref) {
      compare_docs ("record", text, len, &ref, &got);
      check_names_valid_taken ("record", text, len, &ref);
   } else {
      if (egot.code != eref.code || egot.offset != eref.offset || strcmp (egot.message, eref.message)) {
         fail_msg ("different errors for %s:\n  libbson: %d at %zu: %s\n  record:  %d at %zu: %s", shown (text, len),
                   eref.code, eref.offset, eref.message, egot.code, egot.offset, egot.message);
      }
   }
   free (padded);
   bson_destroy (&ref);
   bson_destroy (&got);
   return built;
}

static bool
check_str (const char *s)
{
   return check_record (s, strlen (s));
}

/* ---- JSON column values: bql_json_value_parse against bql_json_parse_value ---- */

static size_t n_values, n_values_fast;

/* A value as the field "v" of a document, to compare values. */
static void
value_doc (const bson_value_t *v, bson_t *doc)
{
   bson_init (doc);
   assert_true (bson_append_value (doc, "v", 1, v));
}

/* One value both ways (the fast parser, and NULL: libbson only); true
 * when the fast path built it itself. */
static bool
check_value (const char *text, size_t len)
{
   n_values++;
   bson_value_t ref, got;
   memset (&ref, 0, sizeof ref);
   memset (&got, 0, sizeof got);
   bql_json_error_t eref, egot;
   memset (&eref, 0, sizeof eref);
   memset (&egot, 0, sizeof egot);
   bool ok_ref = bql_json_parse_value (text, len, &ref, &eref);
   bool built = false;
   for (int pass = 0; pass < 2; pass++) {
      bool b;
      bool ok_got = bql_json_value_parse (pass ? NULL : fast, text, len, &got, &egot, &b);
      if (pass == 0) {
         built = b;
      } else {
         assert_false (b);
      }
      if (ok_got != ok_ref) {
         fail_msg ("libbson %s the value, bql_json_value_parse %s it: %s (%s)", ok_ref ? "reads" : "refuses",
                   ok_got ? "reads" : "refuses", shown (text, len), ok_ref ? egot.message : eref.message);
      }
      if (b && !ok_ref) {
         fail_msg ("the fast path built a value libbson refuses: %s", shown (text, len));
      }
      if (ok_ref) {
         bson_t a, g;
         value_doc (&ref, &a);
         value_doc (&got, &g);
         compare_docs (pass ? "value, libbson only" : "value", text, len, &a, &g);
         bson_destroy (&a);
         bson_destroy (&g);
         bson_value_destroy (&got);
         memset (&got, 0, sizeof got);
      } else if (egot.code != eref.code || egot.offset != eref.offset || strcmp (egot.message, eref.message)) {
         fail_msg ("different errors for the value %s:\n  libbson: %d at %zu: %s\n  fast:    %d at %zu: %s",
                   shown (text, len), eref.code, eref.offset, eref.message, egot.code, egot.offset, egot.message);
      }
   }
   /* the CSV source's typed rows append the value in place
    * (bql_json_value_append): the bytes of bson_append_value of the
    * value, under a key of any length, exactly when the fast path builds
    * it */
   bson_t app = BSON_INITIALIZER, want = BSON_INITIALIZER;
   bson_append_int32 (&app, "before", 6, 1);
   bson_append_int32 (&want, "before", 6, 1);
   bool names_valid = false;
   bool appended = bql_json_value_append (fast, text, len, &app, "address.geo", 7, &names_valid);
   if (appended != built) {
      fail_msg ("bql_json_value_append %s the value the fast path %s: %s", appended ? "appends" : "declines",
                built ? "builds" : "declines", shown (text, len));
   }
   if (appended) {
      bson_t v;
      value_doc (&ref, &v); /* the name "v" is valid: the value's own decide */
      if (names_valid != bql_test_names_valid (&v) || bql_test_has_unusual_number (&v)) {
         fail_msg ("the facts of the value appended are wrong (names_valid %d): %s", names_valid, shown (text, len));
      }
      check_names_valid_taken ("value", text, len, &v);
      bson_destroy (&v);
      bson_append_value (&want, "address", 7, &ref);
      bson_append_int32 (&app, "after", 5, 2);
      bson_append_int32 (&want, "after", 5, 2);
      compare_docs ("value appended", text, len, &want, &app);
   }
   bson_destroy (&app);
   bson_destroy (&want);
   bson_t none = BSON_INITIALIZER;
   assert_false (bql_json_value_append (NULL, text, len, &none, "v", 1, NULL)); /* no parser: declined */
   bson_destroy (&none);
   if (ok_ref) {
      bson_value_destroy (&ref);
   }
   n_values_fast += built;
   return built;
}

static bool
check_value_str (const char *s)
{
   return check_value (s, strlen (s));
}

/* ---- the corpus file ---- */

static void
test_corpus_file (void **state)
{
   (void) state;
   FILE *fp = fopen (BQL_FIXTURES "/corpus.ndjson", "rb");
   assert_non_null (fp);
   char *line = NULL;
   size_t cap = 0;
   ssize_t n;
   size_t lines = 0, built = 0;
   while ((n = getline (&line, &cap, fp)) >= 0) {
      if (n && line[n - 1] == '\n') {
         n--;
      }
      lines++;
      built += check_record (line, (size_t) n);
      check_value (line, (size_t) n); /* a record is a JSON column's value too */
   }
   free (line);
   fclose (fp);
   assert_true (lines > 150);
   /* most of the corpus is refused or Extended JSON, but the plain part
    * is built by the fast path */
   if (built < 60) {
      fail_msg ("the fast path built only %zu of the %zu corpus records", built, lines);
   }
}

/* ---- records the fast path must build itself ---- */

static void
test_fast_path_builds_plain_records (void **state)
{
   (void) state;
   static const char *const must[] = {
      "{}",
      " {\"a\":1} \r",
      "{\"seq\":1,\"name\":\"Sofia Ivanova\",\"active\":true,\"age\":30,\"score\":30.05,\"balance\":-2813.49,"
      "\"created\":{\"$date\":\"2021-07-02T12:58:02.301Z\"},\"address\":{\"city\":\"Lagos\",\"zip\":\"57263\","
      "\"geo\":{\"lat\":-63.193474,\"lon\":-179.001388}},\"tags\":[\"gold\",\"gold\",\"blue\"]}",
      "{\"a\":{},\"b\":[],\"c\":[[],{}]}",
      "{\"a\":-0,\"b\":-0.0,\"c\":2147483648,\"d\":-2147483649,\"e\":9223372036854775808,\"f\":18446744073709551615}",
      "{\"a\":1e-400,\"b\":4.9e-324,\"c\":1.7976931348623157e308,\"d\":1E2}",
      "{\"é\":\"日本語😀\",\"b\":\"\\ud83d\\ude00\\u00e9\\\"\\n\",\"c\":\"x\\u0000y\"}",
      "{\"a\":{\"$oid\":\"5f1a2b3c4d5e6f7a8b9c0d1e\"},\"b\":[{\"$date\":\"2020-01-01\"}]}",
      "{\"a.b\":1,\"\":2}",
      "{\"_id\":1,\"b\":{\"_id\":2}}",
      "{\"b\":{\"_id\":2},\"_idx\":1,\"_i\":2}",
      "{\"a\":1,\"_id\":{\"$oid\":\"5f1a2b3c4d5e6f7a8b9c0d1e\"}}",
      "{\"a\":{\"$numberLong\":\"-9223372036854775808\"},\"b\":{\"$numberInt\":\"-2147483648\"},"
      "\"c\":{\"$numberInt\":\"0\"},\"d\":{\"$numberLong\":\"9223372036854775807\"}}",
      "{\"a\":{\"$date\":{\"$numberLong\":\"-62135596800000\"}},\"b\":{\"$date\":1625230682301},"
      "\"c\":{\"$date\":-1}}",
   };
   for (size_t i = 0; i < sizeof must / sizeof must[0]; i++) {
      if (!check_str (must[i])) {
         fail_msg ("the fast path declined %s", must[i]);
      }
   }
   /* and hands these to libbson */
   static const char *const declined[] = {
      "{\"a\":1,\"a\":2}",
      "{\"a\":{\"$numberLong\":\"01\"}}",
      "{\"a\":{\"$numberLong\":\"-0\"}}",
      "{\"a\":{\"$numberInt\":\"2147483648\"}}",
      "{\"a\":{\"$date\":{\"$numberLong\":\"+1\"}}}",
      "{\"a\":{\"$date\":9223372036854775808}}",
      "{\"a\":{\"$numberDouble\":\"1.5\"}}",
      "{\"$set\":1}",
      "{\"a\\u0000\":1}",
      "{\"a\":{\"$date\":\"\\u0032021-07-02\"}}",
      "{\"a\":18446744073709551616}",
      "{\"a\":1} x",
      "[1]",
   };
   for (size_t i = 0; i < sizeof declined / sizeof declined[0]; i++) {
      if (check_str (declined[i])) {
         fail_msg ("the fast path built %s", declined[i]);
      }
   }
}

/* ---- nesting around the limit ---- */

static char *
nested (int levels, char open, char close, const char *inner)
{
   /* the document itself is the first level: {"a": x} with x nested
    * levels - 1 deep */
   size_t cap = (size_t) levels * 8 + strlen (inner) + 16;
   char *s = malloc (cap);
   size_t o = 0;
   o += (size_t) snprintf (s + o, cap - o, "{\"a\":");
   for (int i = 1; i < levels; i++) {
      o += (size_t) snprintf (s + o, cap - o, open == '{' ? "{\"a\":" : "[");
   }
   o += (size_t) snprintf (s + o, cap - o, "%s", inner);
   for (int i = 1; i < levels; i++) {
      s[o++] = close;
   }
   s[o++] = '}';
   s[o] = '\0';
   return s;
}

static void
test_nesting_near_the_limit (void **state)
{
   (void) state;
   for (int levels = 94; levels <= 102; levels++) {
      const char *inners[] = {"1",
                              "{}",
                              "[]",
                              "{\"$date\":\"2020-01-01\"}",
                              "{\"$date\":{\"$numberLong\":\"5\"}}",
                              "{\"$date\":5}",
                              "{\"$numberLong\":\"5\"}",
                              "{\"$oid\":\"5f1a2b3c4d5e6f7a8b9c0d1e\"}",
                              "\"x\""};
      for (size_t k = 0; k < sizeof inners / sizeof inners[0]; k++) {
         char *o = nested (levels, '{', '}', inners[k]);
         char *a = nested (levels, '[', ']', inners[k]);
         /* an inner "1" inside objects needs a key: {"a":{"a":1}} */
         check_str (o);
         check_str (a);
         free (o);
         free (a);
      }
   }
   char *o = nested (BQL_JSON_MAX_LEVELS - 1, '{', '}', "1");
   assert_true (check_str (o));
   free (o);
}

/* ---- JSON column values ---- */

static void
test_values (void **state)
{
   (void) state;
   static const char *const must[] = {
      "[\"gold\",\"gold\",\"blue\"]",
      " [] ",
      "{}",
      "{\"a\":[1,{\"b\":null}]}",
      "\"x\"",
      "\"\"",
      "\"\\u00e9\\n\"",
      "1",
      "-0",
      "-0.0",
      "2147483648",
      "-9223372036854775808",
      "18446744073709551615",
      "1.5e300",
      "true",
      "false",
      "null",
      "{\"$date\":\"2021-07-02T12:58:02.301Z\"}",
      "{\"$oid\":\"5f1a2b3c4d5e6f7a8b9c0d1e\"}",
      "[{\"$date\":\"2020-01-01\"}]",
      "{\"_id\":1}",
      "{\"$numberLong\":\"1\"}",
      "{\"$date\":{\"$numberLong\":\"1\"}}",
   };
   for (size_t i = 0; i < sizeof must / sizeof must[0]; i++) {
      if (!check_value_str (must[i])) {
         fail_msg ("the fast path declined the value %s", must[i]);
      }
   }
   static const char *const declined[] = {
      "",
      "  ",
      "[1] x",
      "1 2",
      "{\"a\":1,\"a\":2}",
      "[{\"a\":1,\"a\":2}]",
      "{\"$numberLong\":\"01\"}",
      "{\"$numberDouble\":\"1.5\"}",
      "{\"$date\":\"nope\"}",
      "{\"$date\":\"2021-02-30\"}",
      "{\"$set\":1}",
      "{\"a\":{\"$x\":1}}",
      "18446744073709551616",
      "1e400",
      "[1,",
      "tru",
      "'x'",
      "{\"a\\u0000\":1}",
      "\"\xff\"",
   };
   for (size_t i = 0; i < sizeof declined / sizeof declined[0]; i++) {
      if (check_value_str (declined[i])) {
         fail_msg ("the fast path built the value %s", declined[i]);
      }
   }
   /* nesting around the limit: a value is a level deeper than a record */
   for (int levels = 94; levels <= 102; levels++) {
      const char *inners[] = {"1", "{}", "[]", "{\"$date\":\"2020-01-01\"}"};
      for (size_t k = 0; k < sizeof inners / sizeof inners[0]; k++) {
         char *o = nested (levels, '{', '}', inners[k]);
         char *a = nested (levels, '[', ']', inners[k]);
         check_value_str (o);
         check_value_str (a);
         free (o);
         free (a);
      }
   }
   char *o = nested (BQL_JSON_MAX_LEVELS - 2, '{', '}', "1");
   assert_true (check_value_str (o));
   free (o);
}

/* ---- wide objects: names given twice beyond the first 32 ---- */

static void
test_wide_objects (void **state)
{
   (void) state;
   for (int n = 30; n <= 70; n += 4) {
      for (int dup = -1; dup < n; dup += (dup < 0 ? 1 : 7)) {
         char buf[4096];
         size_t o = 0;
         o += (size_t) snprintf (buf + o, sizeof buf - o, "{");
         for (int i = 0; i < n; i++) {
            o += (size_t) snprintf (buf + o, sizeof buf - o, "%s\"k%d\":%d", i ? "," : "", i, i);
         }
         if (dup >= 0) {
            o += (size_t) snprintf (buf + o, sizeof buf - o, ",\"k%d\":0", dup);
         }
         snprintf (buf + o, sizeof buf - o, "}");
         bool built = check_str (buf);
         assert_true (built == (dup < 0));
      }
   }
}

/* ---- bytes: invalid UTF-8, control characters, pretty-printed ---- */

static void
test_bytes (void **state)
{
   (void) state;
   static const char *const cases[] = {
      "{\"a\":\"\xff\"}",
      "{\"\xc3\":1}",
      "{\"a\":\"\xc0\xaf\"}",
      "{\"a\":\"\xed\xa0\x80\"}",
      "{\"a\":\"\xf4\x90\x80\x80\"}",
      "{\"a\":\"\xf4\x8f\xbf\xbf\"}",
      "{\"a\":\"\xe2\x82\"}",
      "{\"a\":\"x\x01y\"}",
      "{\"a\":\"x\x1fy\"}",
      "{\"a\":\"x\x7fy\"}",
      "{\"a\":\n1}",
      "{\r\n  \"a\": 1,\r\n  \"b\": [\r\n    2\r\n  ]\r\n}\r\n",
      "{\n\t\"a\" : { \"$date\" : \"2020-01-01\" } ,\n\t\"b\":\"c\"\n}",
      "\xef\xbb\xbf{\"a\":1}",
      "{\"a\":1}\x00",
      "{\"a\":1\x00}",
      "\x00{\"a\":1}",
      "{\"a\x00\":1}",
      "{\"a\":\"\x00\"}",
      "{\"a\":1}\f",
      "{\"a\":1}\v",
   };
   static const size_t lens[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 8, 8, 7, 9, 0, 0};
   for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      check_record (cases[i], lens[i] ? lens[i] : strlen (cases[i]));
   }
   check_record ("", 0);
}

/* ---- large records ---- */

static void
test_large_records (void **state)
{
   (void) state;
   size_t sizes[] = {1000, 100000, BQL_JSON_FAST_MAX - 20, BQL_JSON_FAST_MAX + 20};
   for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
      size_t n = sizes[k];
      char *s = malloc (n + 16);
      memcpy (s, "{\"a\":\"", 6);
      for (size_t i = 6; i < n - 2; i++) {
         s[i] = (char) ('a' + i % 26);
      }
      memcpy (s + n - 2, "\"}", 2);
      bool built = check_record (s, n);
      assert_true (built == (n <= BQL_JSON_FAST_MAX));
      free (s);
   }
   /* an array of 20,000 numbers */
   size_t cap = 200000, o = 0;
   char *s = malloc (cap);
   o += (size_t) snprintf (s, cap, "{\"a\":[");
   for (int i = 0; i < 20000; i++) {
      o += (size_t) snprintf (s + o, cap - o, "%s%d", i ? "," : "", i * 7919 - 50000000);
   }
   o += (size_t) snprintf (s + o, cap - o, "]}");
   assert_true (check_record (s, o));
   free (s);
}

/* ---- random documents ---- */

static uint64_t rng = 0x9E3779B97F4A7C15u;

static uint64_t
next_rand (void)
{
   uint64_t z = (rng += UINT64_C (0x9E3779B97F4A7C15));
   z = (z ^ (z >> 30)) * UINT64_C (0xBF58476D1CE4E5B9);
   z = (z ^ (z >> 27)) * UINT64_C (0x94D049BB133111EB);
   return z ^ (z >> 31);
}

static void
put (char *s, size_t cap, size_t *o, const char *fmt, ...) __attribute__ ((format (printf, 4, 5)));

static void
put (char *s, size_t cap, size_t *o, const char *fmt, ...)
{
   if (*o >= cap) {
      return;
   }
   va_list ap;
   va_start (ap, fmt);
   int n = vsnprintf (s + *o, cap - *o, fmt, ap);
   va_end (ap);
   *o += n > 0 ? (size_t) n : 0;
   if (*o > cap) {
      *o = cap;
   }
}

static void
random_string (char *s, size_t cap, size_t *o)
{
   static const char *const parts[] = {"a",      "b",     "key",    "é",      "日本", "😀",     "\\n",    "\\\"",
                                       "\\\\",   "\\/",   "\\u00e9", "\\ud83d\\ude00", " ", "$",      ".",      "\\u0000",
                                       "\\u0024", "\\t",  "x y",    "0",      "-",      "\\u001f", "\\b\\f", "\\r"};
   put (s, cap, o, "\"");
   int n = (int) (next_rand () % 4);
   for (int i = 0; i < n; i++) {
      put (s, cap, o, "%s", parts[next_rand () % (sizeof parts / sizeof parts[0])]);
   }
   put (s, cap, o, "\"");
}

static void
random_number (char *s, size_t cap, size_t *o)
{
   static const char *const fixed[] = {"0",  "-0", "-0.0", "2147483647", "2147483648", "-2147483648", "-2147483649",
                                       "9223372036854775807", "9223372036854775808", "-9223372036854775808",
                                       "-9223372036854775809", "18446744073709551615", "18446744073709551616",
                                       "1e308", "1e309", "1e-320", "1e-400", "5e-324", "0.1", "1.5E+3",
                                       "12345678901234567890.0", "123456789012345678901234567890"};
   switch (next_rand () % 4) {
   case 0:
      put (s, cap, o, "%s", fixed[next_rand () % (sizeof fixed / sizeof fixed[0])]);
      break;
   case 1: {
      int64_t v = (int64_t) next_rand ();
      int shift = (int) (next_rand () % 64);
      put (s, cap, o, "%lld", (long long) (v >> shift));
      break;
   }
   case 2: {
      uint64_t bits = next_rand ();
      double d;
      memcpy (&d, &bits, sizeof d);
      if (d != d || d - d != 0) {
         d = 1.25;
      }
      put (s, cap, o, "%.17g", d);
      break;
   }
   default: {
      /* one call per statement: the order of arguments is unspecified */
      int whole = (int) (next_rand () % 1000) - 500;
      int frac = (int) (next_rand () % 1000);
      int exp = (int) (next_rand () % 700) - 350;
      put (s, cap, o, "%d.%03de%d", whole, frac, exp);
      break;
   }
   }
}

static void random_value (char *s, size_t cap, size_t *o, int depth);

static void
random_object (char *s, size_t cap, size_t *o, int depth)
{
   put (s, cap, o, "{");
   int n = (int) (next_rand () % 5);
   for (int i = 0; i < n; i++) {
      if (i) {
         put (s, cap, o, ",");
      }
      if (next_rand () % 3 == 0) {
         static const char *const names[] = {"a", "b", "c", "$date", "$oid", "x.y", ""};
         put (s, cap, o, "\"%s\"", names[next_rand () % (sizeof names / sizeof names[0])]);
      } else {
         random_string (s, cap, o);
      }
      put (s, cap, o, ":");
      random_value (s, cap, o, depth + 1);
   }
   put (s, cap, o, "}");
}

static void
random_value (char *s, size_t cap, size_t *o, int depth)
{
   static const char *const wrappers[] = {
      "{\"$date\":\"2021-07-02T12:58:02.301Z\"}", "{\"$date\":\"2021-02-30\"}", "{\"$date\":\"2021-07-02\"}",
      "{\"$date\":{\"$numberLong\":\"5\"}}",     "{\"$oid\":\"5f1a2b3c4d5e6f7a8b9c0d1e\"}",
      "{\"$numberInt\":\"-12\"}",             "{\"$numberLong\":\"012\"}", "{\"$date\":-7}",
      "{\"$oid\":\"5f1a2b3c4d5e6f7a8b9c0d1\"}",  "{\"$numberLong\":\"7\"}", "{\"$numberDouble\":\"NaN\"}",
      "{\"$minKey\":1}",                          "{\"$x\":1}",
   };
   int r = (int) (next_rand () % (depth > 6 ? 6 : 9));
   switch (r) {
   case 0:
      random_string (s, cap, o);
      break;
   case 1:
   case 2:
      random_number (s, cap, o);
      break;
   case 3:
      put (s, cap, o, "%s", (const char *[]){"true", "false", "null"}[next_rand () % 3]);
      break;
   case 4:
   case 5:
      put (s, cap, o, "%s", wrappers[next_rand () % (sizeof wrappers / sizeof wrappers[0])]);
      break;
   case 6:
   case 7:
      random_object (s, cap, o, depth);
      break;
   default: {
      put (s, cap, o, "[");
      int n = (int) (next_rand () % 4);
      for (int i = 0; i < n; i++) {
         if (i) {
            put (s, cap, o, ",");
         }
         random_value (s, cap, o, depth + 1);
      }
      put (s, cap, o, "]");
      break;
   }
   }
}

static void
test_random_documents (void **state)
{
   (void) state;
   char s[16384];
   size_t built = 0, total = 4000;
   for (size_t i = 0; i < total; i++) {
      size_t o = 0;
      random_object (s, sizeof s, &o, 1);
      if (o >= sizeof s) {
         continue;
      }
      if (next_rand () % 10 == 0 && o > 2) {
         size_t at = next_rand () % o;
         s[at] = (char) (next_rand () % 128); /* damage one byte */
      }
      built += check_record (s, o);
   }
   if (built < total / 10) {
      fail_msg ("the fast path built only %zu of %zu random documents", built, total);
   }
}

static void
test_random_values (void **state)
{
   (void) state;
   char s[16384];
   size_t built = 0, total = 4000;
   for (size_t i = 0; i < total; i++) {
      size_t o = 0;
      random_value (s, sizeof s, &o, 2);
      if (o >= sizeof s) {
         continue;
      }
      if (next_rand () % 10 == 0 && o > 1) {
         size_t at = next_rand () % o;
         s[at] = (char) (next_rand () % 128); /* damage one byte */
      }
      built += check_value (s, o);
   }
   if (built < total / 4) {
      fail_msg ("the fast path built only %zu of %zu random values", built, total);
   }
}

/* ---- what libmongoc's checks of a document to insert refuse ---- */

/* libmongoc 1.23's checks (mongoc_bulk_operation_insert_with_opts without
 * options), each case with its verdict: insert.c relies on them refusing
 * nothing whose field names are all valid (bql_field_name_valid), at every
 * level. '$' and '.' in names pass (MongoDB 5.0 takes them); so does a
 * string that is not valid UTF-8 (libbson's walk stops at it without an
 * error, and skips the rest of its level). A code with scope is never
 * built by the sources that set the fact. If a libmongoc ever refuses more,
 * this test fails and the fact must follow. */
static void
test_libmongoc_insert_checks (void **state)
{
   (void) state;
   typedef struct {
      const char *what;
      bson_t doc;
      const char *refused; /* libmongoc's message, or NULL: taken */
   } case_t;
   case_t cases[24];
   size_t n = 0;
   bson_t c, d;
#define CASE(w, r) (cases[n].what = (w), cases[n].refused = (r), bson_init (&cases[n].doc), &cases[n++].doc)
   bson_t *b = CASE ("plain", NULL);
   BSON_APPEND_INT32 (b, "a", 1);
   BSON_APPEND_UTF8 (b, "é日本😀", "x");
   b = CASE ("empty name", "invalid document for insert: empty key");
   BSON_APPEND_INT32 (b, "a", 1);
   bson_append_int32 (b, "", 0, 1);
   b = CASE ("empty name, nested", "invalid document for insert: empty key");
   bson_append_document_begin (b, "a", 1, &c);
   bson_append_array_begin (&c, "b", 1, &d);
   bson_append_array_end (&c, &d); /* (an empty array) */
   bson_append_document_begin (&c, "c", 1, &d);
   bson_append_int32 (&d, "", 0, 1);
   bson_append_document_end (&c, &d);
   bson_append_document_end (b, &c);
   b = CASE ("empty name in an array's document", "invalid document for insert: empty key");
   bson_append_array_begin (b, "a", 1, &c);
   bson_append_document_begin (&c, "0", 1, &d);
   bson_append_int32 (&d, "", 0, 1);
   bson_append_document_end (&c, &d);
   bson_append_array_end (b, &c);
   b = CASE ("name not UTF-8", "invalid document for insert: corrupt BSON");
   bson_append_int32 (b, "\xff", 1, 1);
   b = CASE ("name overlong UTF-8", "invalid document for insert: corrupt BSON");
   bson_append_int32 (b, "\xc0\x80", 2, 1);
   b = CASE ("name a surrogate, nested", "invalid document for insert: corrupt BSON");
   bson_append_document_begin (b, "a", 1, &c);
   bson_append_int32 (&c, "\xed\xa0\x80", 3, 1);
   bson_append_document_end (b, &c);
   b = CASE ("name beyond U+10FFFF", "invalid document for insert: corrupt BSON");
   bson_append_int32 (b, "\xf4\x90\x80\x80", 4, 1);
   b = CASE ("'$' names", NULL);
   BSON_APPEND_INT32 (b, "$set", 1);
   bson_append_document_begin (b, "a", 1, &c);
   BSON_APPEND_INT32 (&c, "$x", 1);
   bson_append_document_end (b, &c);
   b = CASE ("'.' names", NULL);
   BSON_APPEND_INT32 (b, "a.b", 1);
   bson_append_document_begin (b, "c", 1, &c);
   BSON_APPEND_INT32 (&c, ".", 1);
   bson_append_document_end (b, &c);
   b = CASE ("a DBRef", NULL);
   bson_append_document_begin (b, "r", 1, &c);
   BSON_APPEND_UTF8 (&c, "$ref", "c");
   BSON_APPEND_INT32 (&c, "$id", 1);
   bson_append_document_end (b, &c);
   b = CASE ("string with NUL", NULL);
   bson_append_utf8 (b, "a", 1, "x\0y", 3);
   b = CASE ("string not UTF-8", NULL);
   bson_append_utf8 (b, "a", 1, "\xff", 1);
   b = CASE ("string not UTF-8, then an empty name (not seen)", NULL);
   bson_append_utf8 (b, "a", 1, "\xff", 1);
   bson_append_int32 (b, "", 0, 1);
   b = CASE ("nested string not UTF-8, then an empty name", "invalid document for insert: empty key");
   bson_append_document_begin (b, "a", 1, &c);
   bson_append_utf8 (&c, "s", 1, "\xff", 1);
   bson_append_document_end (b, &c);
   bson_append_int32 (b, "", 0, 1);
   b = CASE ("every other type", NULL);
   bson_oid_t oid;
   bson_oid_init_from_string (&oid, "5f1a2b3c4d5e6f7a8b9c0d1e");
   BSON_APPEND_OID (b, "o", &oid);
   BSON_APPEND_DOUBLE (b, "n", NAN);
   BSON_APPEND_DOUBLE (b, "i", INFINITY);
   bson_decimal128_t dec;
   bson_decimal128_from_string ("1.5", &dec);
   BSON_APPEND_DECIMAL128 (b, "m", &dec);
   BSON_APPEND_DATE_TIME (b, "t", 1);
   BSON_APPEND_BOOL (b, "b", true);
   BSON_APPEND_NULL (b, "z");
   BSON_APPEND_INT64 (b, "l", 1);
   BSON_APPEND_REGEX (b, "r", "a.*", "i");
   BSON_APPEND_CODE (b, "c", "x");
   BSON_APPEND_BINARY (b, "y", BSON_SUBTYPE_BINARY, (const uint8_t *) "ab", 2);
   BSON_APPEND_TIMESTAMP (b, "ts", 1, 2);
   BSON_APPEND_MINKEY (b, "mn");
   BSON_APPEND_MAXKEY (b, "mx");
   b = CASE ("code with scope with an empty name", "invalid document for insert: corrupt code-with-scope");
   bson_init (&c);
   bson_append_int32 (&c, "", 0, 1);
   BSON_APPEND_CODE_WITH_SCOPE (b, "c", "x", &c);
   bson_destroy (&c);
#undef CASE
   for (size_t i = 0; i < n; i++) {
      char msg[512];
      bool refused = libmongoc_refuses (&cases[i].doc, msg, sizeof msg);
      if (refused != (cases[i].refused != NULL) || (refused && strcmp (msg, cases[i].refused))) {
         fail_msg ("%s: libmongoc %s (%s), expected %s", cases[i].what, refused ? "refuses it" : "takes it", msg,
                   cases[i].refused ? cases[i].refused : "taken");
      }
      /* bql_field_name_valid's rule: valid names are never refused */
      if (bql_test_names_valid (&cases[i].doc) && refused) {
         fail_msg ("%s: refused although every name is valid", cases[i].what);
      }
      bson_destroy (&cases[i].doc);
   }
   /* the rule itself, name by name */
   assert_true (bql_field_name_valid ("a", 1));
   assert_true (bql_field_name_valid ("$a.b", 4));
   assert_true (bql_field_name_valid ("\xc3\xa9", 2));
   assert_false (bql_field_name_valid ("", 0));
   assert_false (bql_field_name_valid ("a\0b", 3));
   assert_false (bql_field_name_valid ("\xff", 1));
   assert_false (bql_field_name_valid ("\xc0\x80", 2));
   assert_false (bql_field_name_valid ("\xc3", 1));
}

static int
setup (void **state)
{
   (void) state;
   mongoc_init ();
   client = mongoc_client_new ("mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=1");
   coll = client ? mongoc_client_get_collection (client, "db", "coll") : NULL;
   fast = bql_json_fast_new ();
   return fast && coll ? 0 : -1;
}

static int
teardown (void **state)
{
   (void) state;
   bql_json_fast_free (fast);
   mongoc_collection_destroy (coll);
   mongoc_client_destroy (client);
   mongoc_cleanup ();
   printf ("# %zu records compared, %zu built by the fast path\n", n_records, n_fast);
   printf ("# %zu documents through libmongoc's insert checks\n", n_libmongoc);
   printf ("# %zu values compared, %zu built by the fast path\n", n_values, n_values_fast);
   return 0;
}

int
main (void)
{
   const struct CMUnitTest tests[] = {
      cmocka_unit_test (test_corpus_file),
      cmocka_unit_test (test_fast_path_builds_plain_records),
      cmocka_unit_test (test_nesting_near_the_limit),
      cmocka_unit_test (test_wide_objects),
      cmocka_unit_test (test_bytes),
      cmocka_unit_test (test_large_records),
      cmocka_unit_test (test_random_documents),
      cmocka_unit_test (test_values),
      cmocka_unit_test (test_random_values),
      cmocka_unit_test (test_libmongoc_insert_checks),
   };
   return cmocka_run_group_tests (tests, setup, teardown);
}
