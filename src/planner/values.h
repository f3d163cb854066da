/*
 * values.h — what the evaluator (eval.c) and the SQL functions
 * (functions.c) share about client values (values.c): constructors that
 * replace a bql_val_t (the old value must hold nothing: init_null or
 * destroyed), type tests, the text form of || and CONCAT, three-valued
 * comparison and truth. Internal to the planner; needs libbson.
 */
#ifndef BQL_VALUES_H
#define BQL_VALUES_H

#include "planner.h"

/* ---- constructors: *v is overwritten, and owns what it holds ---- */

void bql_val_set_bool (bql_val_t *v, bool b);
/* int32 while it fits, else int64 (SPEC: integers stay int32 while they fit). */
void bql_val_set_int (bql_val_t *v, int64_t i);
void bql_val_set_double (bql_val_t *v, double d);
/* A BSON datetime, ms since the epoch. */
void bql_val_set_date (bql_val_t *v, int64_t ms);
/* A string of len bytes; takes ownership of s (bson_malloc'd). */
void bql_val_set_string_owned (bql_val_t *v, char *s, size_t len);
/* A document (or an array, is_array); takes doc's buffer and leaves doc
 * destroyed. */
void bql_val_set_doc (bql_val_t *v, bson_t *doc, bool is_array);

/* ---- type tests ---- */

static inline bool
bql_val_is_type (const bql_val_t *v, bson_type_t t)
{
   return !v->is_interval && v->v.value_type == t;
}

static inline bool
bql_val_is_int (const bql_val_t *v)
{
   return bql_val_is_type (v, BSON_TYPE_INT32) || bql_val_is_type (v, BSON_TYPE_INT64);
}

/* The integer of an int32 or int64 value. */
static inline int64_t
bql_val_int (const bql_val_t *v)
{
   return v->v.value_type == BSON_TYPE_INT32 ? v->v.value.v_int32 : v->v.value.v_int64;
}

/* int32, int64 or double (Decimal128 is not computed with on the client). */
static inline bool
bql_val_is_number (const bql_val_t *v)
{
   return bql_val_is_int (v) || bql_val_is_type (v, BSON_TYPE_DOUBLE);
}

static inline double
bql_val_double (const bql_val_t *v)
{
   return bql_val_is_int (v) ? (double) bql_val_int (v) : v->v.value.v_double;
}

/* ---- text, comparison, truth ---- */

/* The text of a value for || and CONCAT (numbers as PostgreSQL prints
 * them, dates in ISO 8601 with milliseconds, booleans true/false, an
 * ObjectId as its 24 hex digits): bson_malloc'd, the caller frees it.
 * NULL for values with no text form (intervals, documents, arrays, ...). */
char *bql_val_text (const bql_val_t *v);

/* bql_val_text, or false with the error "cannot concatenate <type>"
 * recorded at at. */
bool bql_val_text_or_error (bql_planner_t *pl, const bql_node_t *at, const bql_val_t *v, char **out);

/* Compare a and b: -1, 0, 1; 2 when either is NULL (unknown); 3 when the
 * types cannot be compared; 4 for two documents or arrays that differ
 * (they compare for equality only). Numbers compare across int32, int64
 * and double; strings bytewise (MongoDB's simple collation). */
int bql_val_compare (const bql_val_t *a, const bql_val_t *b);

/* Three-valued truth: 1 true, 0 false, -1 unknown (NULL); -2 when v is
 * not a boolean. */
int bql_val_truth (const bql_val_t *v);

/* SQL LIKE of s[0..slen) against pattern p[0..plen): % any run, _ one
 * UTF-8 character, \ escapes the next pattern byte. Iterative (one
 * backtrack point, the last %), O(slen * plen) at worst whatever the
 * number of %, with no recursion: patterns are data. */
bool bql_like_match (const char *s, size_t slen, const char *p, size_t plen);

#endif /* BQL_VALUES_H */
