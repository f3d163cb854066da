/*
 * json_fast_check.h — what the differential test of the JSON fast path
 * (test_json_fast.c) and its fuzz target (tests/fuzz/fuzz_json_fast.c)
 * both check of a document the fast path built: no field name starting
 * with '$' at any level (the fast path hands every such record to
 * libbson's path, and the row checks rely on it).
 */
#ifndef BQL_JSON_FAST_CHECK_H
#define BQL_JSON_FAST_CHECK_H

#include <bson/bson.h>
#include <stdbool.h>

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
      uint32_t len;
      const uint8_t *data = NULL;
      if (BSON_ITER_HOLDS_DOCUMENT (&it)) {
         bson_iter_document (&it, &len, &data);
      } else if (BSON_ITER_HOLDS_ARRAY (&it)) {
         bson_iter_array (&it, &len, &data);
      }
      bson_t sub;
      if (bson_iter_key (&it)[0] == '$' ||
          (data && (!bson_init_static (&sub, data, len) || bql_test_has_dollar_key (&sub)))) {
         return true;
      }
   }
   return false;
}

#endif
