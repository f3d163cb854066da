/*
 * json_fast_check.h — what the differential test of the JSON fast path
 * (test_json_fast.c) and its fuzz target (tests/fuzz/fuzz_json_fast.c)
 * both check of a document the fast path built: no field name starting
 * with '$' at any level (the fast path hands every such record to
 * libbson's path, and the row checks rely on it); and its facts
 * (json_fast.h), each found here by a walk of its own: names_valid, and
 * no NaN, ±Infinity or Decimal128 in anything built.
 */
#ifndef BQL_JSON_FAST_CHECK_H
#define BQL_JSON_FAST_CHECK_H

#include <bson/bson.h>
#include <stdbool.h>
#include <string.h>

/* A nested document or array of it as sub: false for other values. */
static inline bool
bql_test_sub (const bson_iter_t *it, bson_t *sub)
{
   uint32_t len;
   const uint8_t *data = NULL;
   if (BSON_ITER_HOLDS_DOCUMENT (it)) {
      bson_iter_document (it, &len, &data);
   } else if (BSON_ITER_HOLDS_ARRAY (it)) {
      bson_iter_array (it, &len, &data);
   }
   return data && bson_init_static (sub, data, len);
}

/* Does doc hold a field name starting with '$', at any level (or is it
 * not valid BSON)? */
static inline bool
bql_test_has_dollar_key (const bson_t *doc)
{
   bson_iter_t it;
   if (!bson_iter_init (&it, doc)) {
      return true;
   }
   while (bson_iter_next (&it)) {
      bson_t sub;
      if (bson_iter_key (&it)[0] == '$' || (bql_test_sub (&it, &sub) && bql_test_has_dollar_key (&sub))) {
         return true;
      }
   }
   return false;
}

/* Is every field name of doc, at every level, not empty and valid UTF-8
 * without NUL (bql_field_name_valid's rule, walked independently)? */
static inline bool
bql_test_names_valid (const bson_t *doc)
{
   bson_iter_t it;
   if (!bson_iter_init (&it, doc)) {
      return false;
   }
   while (bson_iter_next (&it)) {
      const char *k = bson_iter_key (&it);
      bson_t sub;
      if (!k[0] || !bson_utf8_validate (k, strlen (k), false) || BSON_ITER_HOLDS_CODEWSCOPE (&it) ||
          (bql_test_sub (&it, &sub) && !bql_test_names_valid (&sub))) {
         return false;
      }
   }
   return true;
}

/* Does doc hold a NaN or ±Infinity double or a Decimal128, at any level? */
static inline bool
bql_test_has_unusual_number (const bson_t *doc)
{
   bson_iter_t it;
   if (!bson_iter_init (&it, doc)) {
      return true;
   }
   while (bson_iter_next (&it)) {
      bson_t sub;
      if (BSON_ITER_HOLDS_DECIMAL128 (&it) ||
          (BSON_ITER_HOLDS_DOUBLE (&it) && !(bson_iter_double (&it) - bson_iter_double (&it) == 0.0)) ||
          (bql_test_sub (&it, &sub) && bql_test_has_unusual_number (&sub))) {
         return true;
      }
   }
   return false;
}

#endif
