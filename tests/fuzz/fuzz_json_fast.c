/*
 * fuzz_json_fast.c — the fourth libFuzzer target: the JSON fast path
 * (json_fast.h, simdjson + bson_append_*) against libbson's path
 * (bql_json_parse_document, json_doc.c), differentially. The input is one
 * record. Both parsers must agree: when the fast path builds a document,
 * libbson's path reads the record too and gives a bson_equal document
 * (byte for byte: types, -0, key order) with no field name starting with
 * '$'; bql_json_record_parse (the fast path, else libbson's) gives exactly
 * libbson's outcome — the same document, or the same error code, offset
 * and message. The record is parsed where it lies with junk padding
 * after it and, again, copied (no padding readable); both must build the
 * same. A disagreement aborts (a crash for libFuzzer, saved by
 * scripts/fuzz). Seeds: tests/fuzz/json-seeds (every Extended JSON type,
 * numbers at the boundaries, unicode, escapes, deep nesting); dictionary
 * tests/fuzz/json.dict. Built by tests/fuzz/CMakeLists.txt; run with
 * scripts/fuzz.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_doc.h"
#include "json_fast.h"
#include "json_fast_check.h"

static bql_json_fast_t *fast;

static void
disagree (const char *what, const bson_t *ref, const bson_t *got)
{
   char *a = ref ? bson_as_canonical_extended_json (ref, NULL) : NULL;
   char *b = got ? bson_as_canonical_extended_json (got, NULL) : NULL;
   fprintf (stderr, "fuzz_json_fast: %s\n  libbson: %s\n  fast:    %s\n", what, a ? a : "-", b ? b : "-");
   bson_free (a);
   bson_free (b);
   abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
   if (!fast) {
      fast = bql_json_fast_new ();
   }
   const char *text = (const char *) data;
   bson_t ref = BSON_INITIALIZER, got = BSON_INITIALIZER, copy = BSON_INITIALIZER;
   bql_json_error_t eref, egot;
   memset (&eref, 0, sizeof eref);
   memset (&egot, 0, sizeof egot);
   bool ok_ref = bql_json_parse_document (text, size, &ref, &eref);

   char *padded = malloc (size + BQL_JSON_FAST_PAD);
   if (!padded) {
      return 0;
   }
   memcpy (padded, data, size);
   memset (padded + size, size % 2 ? '"' : '{', BQL_JSON_FAST_PAD);
   bql_json_facts_t facts;
   bool built = bql_json_fast_try (fast, padded, size, BQL_JSON_FAST_PAD, &got, &facts);
   if (built) {
      if (!ok_ref) {
         disagree (eref.message, NULL, &got);
      }
      if (!bson_equal (&ref, &got)) {
         disagree ("different documents", &ref, &got);
      }
      if (bql_test_has_dollar_key (&got)) {
         disagree ("a '$' field name built", &ref, &got);
      }
      bson_iter_t it;
      if (!facts.built || facts.has_id != bson_iter_init_find (&it, &got, "_id")) {
         disagree ("wrong facts (built, has_id)", &ref, &got);
      }
      if (facts.names_valid != bql_test_names_valid (&got) || bql_test_has_unusual_number (&got)) {
         disagree ("wrong facts (names_valid, or a NaN, Infinity or Decimal128 built)", &ref, &got);
      }
   }
   bool built_copy = bql_json_fast_try (fast, text, size, 0, &copy, NULL);
   if (built_copy != built || (built && !bson_equal (&got, &copy))) {
      disagree ("built differently with and without padding", &got, &copy);
   }

   bool ok_got = bql_json_record_parse (fast, padded, size, BQL_JSON_FAST_PAD, &got, &egot, &facts);
   if (ok_got != ok_ref || facts.built != built) {
      disagree (ok_ref ? "bql_json_record_parse refused it" : "bql_json_record_parse read it", &ref, &got);
   }
   if (ok_ref && !bson_equal (&ref, &got)) {
      disagree ("bql_json_record_parse: different documents", &ref, &got);
   }
   if (!ok_ref && (egot.code != eref.code || egot.offset != eref.offset || strcmp (egot.message, eref.message))) {
      fprintf (stderr, "libbson: %s\nrecord:  %s\n", eref.message, egot.message);
      disagree ("different errors", NULL, NULL);
   }
   free (padded);
   bson_destroy (&ref);
   bson_destroy (&got);
   bson_destroy (&copy);
   return 0;
}
