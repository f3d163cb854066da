/*
 * values.c — client values (planner.h, values.h): a BSON value with SQL
 * NULL, or an interval. Constructors, type names, the text form of ||
 * and CONCAT, three-valued comparison and truth, LIKE matching, appending
 * a value to a document, and the check that keys of documents that are
 * data never start with '$'.
 *
 * Semantics: SQL NULL is BSON null (undefined reads as NULL too);
 * integers compare with doubles by value; strings compare bytewise
 * (MongoDB's simple collation); documents and arrays compare for
 * equality only, byte for byte.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datetime.h"
#include "values.h"

/* ---- values ---- */

void
bql_val_init_null (bql_val_t *v)
{
   memset (v, 0, sizeof *v);
   v->v.value_type = BSON_TYPE_NULL;
}

void
bql_val_destroy (bql_val_t *v)
{
   if (!v->is_interval) {
      bson_value_destroy (&v->v);
   }
   bql_val_init_null (v);
}

void
bql_val_from_bson (bql_val_t *out, const bson_value_t *src)
{
   bql_val_init_null (out);
   bson_value_copy (src, &out->v);
}

bool
bql_val_is_null (const bql_val_t *v)
{
   return !v->is_interval && (v->v.value_type == BSON_TYPE_NULL || v->v.value_type == BSON_TYPE_UNDEFINED);
}

const char *
bql_val_type_name (const bql_val_t *v)
{
   if (v->is_interval) {
      return "an interval";
   }
   switch (v->v.value_type) {
   case BSON_TYPE_NULL:
      return "NULL";
   case BSON_TYPE_UTF8:
      return "a string";
   case BSON_TYPE_INT32:
   case BSON_TYPE_INT64:
      return "an integer";
   case BSON_TYPE_DOUBLE:
      return "a number";
   case BSON_TYPE_DECIMAL128:
      return "a decimal";
   case BSON_TYPE_BOOL:
      return "a boolean";
   case BSON_TYPE_DATE_TIME:
      return "a date";
   case BSON_TYPE_DOCUMENT:
      return "a document";
   case BSON_TYPE_ARRAY:
      return "an array";
   case BSON_TYPE_OID:
      return "an ObjectId";
   default:
      return "a BSON value";
   }
}

void
bql_val_set_bool (bql_val_t *v, bool b)
{
   bql_val_init_null (v);
   v->v.value_type = BSON_TYPE_BOOL;
   v->v.value.v_bool = b;
}

void
bql_val_set_int (bql_val_t *v, int64_t i)
{
   bql_val_init_null (v);
   if (i >= INT32_MIN && i <= INT32_MAX) {
      v->v.value_type = BSON_TYPE_INT32;
      v->v.value.v_int32 = (int32_t) i;
   } else {
      v->v.value_type = BSON_TYPE_INT64;
      v->v.value.v_int64 = i;
   }
}

void
bql_val_set_double (bql_val_t *v, double d)
{
   bql_val_init_null (v);
   v->v.value_type = BSON_TYPE_DOUBLE;
   v->v.value.v_double = d;
}

void
bql_val_set_date (bql_val_t *v, int64_t ms)
{
   bql_val_init_null (v);
   v->v.value_type = BSON_TYPE_DATE_TIME;
   v->v.value.v_datetime = ms;
}

void
bql_val_set_string_owned (bql_val_t *v, char *s, size_t len)
{
   bql_val_init_null (v);
   v->v.value_type = BSON_TYPE_UTF8;
   v->v.value.v_utf8.str = s;
   v->v.value.v_utf8.len = (uint32_t) len;
}

void
bql_val_set_doc (bql_val_t *v, bson_t *doc, bool is_array)
{
   bql_val_init_null (v);
   uint32_t len;
   uint8_t *data = bson_destroy_with_steal (doc, true, &len);
   v->v.value_type = is_array ? BSON_TYPE_ARRAY : BSON_TYPE_DOCUMENT;
   v->v.value.v_doc.data = data;
   v->v.value.v_doc.data_len = len;
}

/* ---- key checks ---- */

bool
bql_check_keys (bql_planner_t *pl, const bql_node_t *node, const bson_t *doc, const char *what)
{
   /* Depth-first with a stack of iterators, not a recursion: documents
    * are data. BSON nests at most 100 levels; deeper is not valid. */
   struct level {
      bson_iter_t it; /* in a struct: bson_iter_t's alignment exceeds its size */
   } stack[101];
   int depth = 0;
   if (!bson_iter_init (&stack[0].it, doc)) {
      return bql_plan_error (pl, node, BQL_ERR_VALUE, NULL, "%s is not a valid document", what);
   }
   while (depth >= 0) {
      bson_iter_t *it = &stack[depth].it;
      if (!bson_iter_next (it)) {
         depth--;
         continue;
      }
      const char *k = bson_iter_key (it);
      if (k[0] == '$') {
         return bql_plan_error (pl, node, BQL_ERR_VALUE, "Values are data: rename the field, or write Extended JSON for a typed value.",
                                "field name \"%s\" in %s starts with '$'", k, what);
      }
      bson_t sub;
      if (bql_iter_sub (it, &sub)) {
         if (depth + 1 > 100 || !bson_iter_init (&stack[depth + 1].it, &sub)) {
            return bql_plan_error (pl, node, BQL_ERR_VALUE, NULL, "%s is not a valid document", what);
         }
         depth++;
      }
   }
   return true;
}

/* ---- appending ---- */

bool
bql_append_val (bql_planner_t *pl, const bql_node_t *at, bson_t *doc, const char *key, const bql_val_t *v)
{
   if (v->is_interval) {
      return bql_plan_error (pl, at, BQL_ERR_TYPE, "Add the interval to a date: CURRENT_DATE - INTERVAL '7 days'.",
                             "an interval is not a value that can be stored");
   }
   return bson_append_value (doc, key, -1, &v->v);
}

/* ---- text forms ---- */

char *
bql_val_text (const bql_val_t *v)
{
   if (v->is_interval) {
      return NULL;
   }
   switch (v->v.value_type) {
   case BSON_TYPE_UTF8:
      return bson_strndup (v->v.value.v_utf8.str, v->v.value.v_utf8.len);
   case BSON_TYPE_INT32:
      return bson_strdup_printf ("%d", v->v.value.v_int32);
   case BSON_TYPE_INT64:
      return bson_strdup_printf ("%lld", (long long) v->v.value.v_int64);
   case BSON_TYPE_DOUBLE: {
      char b[40];
      snprintf (b, sizeof b, "%.15g", v->v.value.v_double);
      if (strtod (b, NULL) != v->v.value.v_double) {
         snprintf (b, sizeof b, "%.17g", v->v.value.v_double);
      }
      return bson_strdup (b);
   }
   case BSON_TYPE_BOOL:
      return bson_strdup (v->v.value.v_bool ? "true" : "false");
   case BSON_TYPE_DECIMAL128: {
      char b[BSON_DECIMAL128_STRING];
      bson_decimal128_to_string (&v->v.value.v_decimal128, b);
      return bson_strdup (b);
   }
   case BSON_TYPE_OID: {
      char b[25];
      bson_oid_to_string (&v->v.value.v_oid, b);
      return bson_strdup (b);
   }
   case BSON_TYPE_DATE_TIME: {
      char b[48];
      bql_format_iso8601 (v->v.value.v_datetime, b, sizeof b);
      return bson_strdup (b);
   }
   default:
      return NULL;
   }
}

bool
bql_val_text_or_error (bql_planner_t *pl, const bql_node_t *at, const bql_val_t *v, char **out)
{
   *out = bql_val_text (v);
   if (!*out) {
      return bql_plan_error (pl, at, BQL_ERR_TYPE, NULL, "cannot concatenate %s", bql_val_type_name (v));
   }
   return true;
}

/* ---- equality and comparison ---- */

/* BSON's own equality: both values as the one field of a document,
 * compared byte for byte (so 1 and 1.0, or two NaNs of other bits,
 * differ). */
bool
bql_value_equal (const bson_value_t *a, const bson_value_t *b)
{
   bson_t x = BSON_INITIALIZER, y = BSON_INITIALIZER;
   bson_append_value (&x, "", 0, a);
   bson_append_value (&y, "", 0, b);
   bool eq = bson_equal (&x, &y);
   bson_destroy (&x);
   bson_destroy (&y);
   return eq;
}


int
bql_val_compare (const bql_val_t *a, const bql_val_t *b)
{
   if (bql_val_is_null (a) || bql_val_is_null (b)) {
      return 2;
   }
   if (bql_val_is_number (a) && bql_val_is_number (b)) {
      if (bql_val_is_int (a) && bql_val_is_int (b)) {
         int64_t x = bql_val_int (a), y = bql_val_int (b);
         return x < y ? -1 : x > y;
      }
      double x = bql_val_double (a), y = bql_val_double (b);
      return x < y ? -1 : x > y;
   }
   if (a->is_interval || b->is_interval) {
      if (a->is_interval && b->is_interval && a->months == b->months) {
         return a->ms < b->ms ? -1 : a->ms > b->ms;
      }
      return 3;
   }
   if (a->v.value_type != b->v.value_type) {
      return 3;
   }
   switch (a->v.value_type) {
   case BSON_TYPE_UTF8: {
      uint32_t la = a->v.value.v_utf8.len, lb = b->v.value.v_utf8.len;
      int c = memcmp (a->v.value.v_utf8.str, b->v.value.v_utf8.str, la < lb ? la : lb);
      if (c == 0) {
         c = la < lb ? -1 : la > lb;
      }
      return c < 0 ? -1 : c > 0;
   }
   case BSON_TYPE_BOOL:
      return (int) a->v.value.v_bool - (int) b->v.value.v_bool;
   case BSON_TYPE_DATE_TIME:
      return a->v.value.v_datetime < b->v.value.v_datetime ? -1 : a->v.value.v_datetime > b->v.value.v_datetime;
   case BSON_TYPE_OID: {
      int c = bson_oid_compare (&a->v.value.v_oid, &b->v.value.v_oid);
      return c < 0 ? -1 : c > 0;
   }
   case BSON_TYPE_DOCUMENT:
   case BSON_TYPE_ARRAY:
      /* equality only */
      if (a->v.value.v_doc.data_len == b->v.value.v_doc.data_len &&
          memcmp (a->v.value.v_doc.data, b->v.value.v_doc.data, a->v.value.v_doc.data_len) == 0) {
         return 0;
      }
      return 4;
   default:
      return 3;
   }
}

int
bql_val_truth (const bql_val_t *v)
{
   if (bql_val_is_null (v)) {
      return -1;
   }
   if (bql_val_is_type (v, BSON_TYPE_BOOL)) {
      return v->v.value.v_bool ? 1 : 0;
   }
   return -2;
}

/* ---- LIKE ---- */

bool
bql_like_match (const char *s, size_t slen, const char *p, size_t plen)
{
   const char *se = s + slen, *pe = p + plen;
   const char *star_p = NULL, *star_s = NULL; /* after the last %, and where its match ends */
   for (;;) {
      if (p < pe && *p == '%') {
         while (p < pe && *p == '%') {
            p++;
         }
         if (p == pe) {
            return true;
         }
         star_p = p;
         star_s = s;
         continue;
      }
      if (p == pe && s == se) {
         return true;
      }
      if (p < pe && s < se) {
         if (*p == '_') {
            /* one UTF-8 character: the byte and its continuation bytes */
            p++;
            s++;
            while (s < se && ((unsigned char) *s & 0xC0) == 0x80) {
               s++;
            }
            continue;
         }
         const char *q = p;
         if (*q == '\\' && q + 1 < pe) {
            q++;
         }
         if (*q == *s) {
            p = q + 1;
            s++;
            continue;
         }
      }
      /* a mismatch: the last % takes one byte more, and the rest of the
       * pattern is tried again from there (a later end of a % never
       * lets the text after it match more of the pattern) */
      if (!star_p || star_s >= se) {
         return false;
      }
      s = ++star_s;
      p = star_p;
   }
}
