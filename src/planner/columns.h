/*
 * columns.h — column lists, column types and row assembly (columns.c).
 * Used by the planner for VALUES rows and by the file readers.
 */
#ifndef BQL_COLUMNS_H
#define BQL_COLUMNS_H

#include <bson/bson.h>

#include "json_doc.h"
#include "planner.h"

typedef enum {
   BQL_COL_AUTO, /* as given (VALUES) or inferred (files) */
   BQL_COL_INT,
   BQL_COL_BIGINT,
   BQL_COL_DOUBLE,
   BQL_COL_DECIMAL,
   BQL_COL_STRING,
   BQL_COL_BOOL,
   BQL_COL_DATE,
   BQL_COL_TIMESTAMP,
   BQL_COL_OBJECTID,
   BQL_COL_JSON,
   BQL_COL_BINARY /* hex or base64 text → BSON binary, subtype 0 */
} bql_coltype_t;

/* The most parts a dotted column name may have: each part past the first
 * is one level of nesting, and MongoDB stores documents nested at most
 * 100 levels deep. The layout and the rows built from it are walked
 * recursively, one frame per part, so this also bounds that recursion
 * (a CSV header of 200,000 dotted parts overflowed the stack). */
#define BQL_MAX_PATH_PARTS 100

typedef struct bql_column {
   char *path;              /* dotted name */
   bql_coltype_t type;
   const bql_node_t *node;  /* the ColumnDef, NULL for header columns */
   char *format;            /* FORMAT: a strptime layout (DATE, TIMESTAMP)
                             * or "hex"/"base64" (BINARY); NULL = default */
   bool inferred;           /* the type was inferred from a sample */
} bql_column_t;

/* A tree of names: leaves hold a column index, inner nodes nest. */
typedef struct bql_layout {
   char *key;
   int col;                 /* -1 for an inner node */
   struct bql_layout *kids;
   size_t nkids;
   size_t kids_cap;         /* room in kids (grows by doubling) */
   size_t *index;           /* kids by key: open addressing, kid + 1, 0 free */
   size_t index_cap;        /* a power of two, at least twice nkids; 0: none */
   bool array;              /* array_index_fields: kids are "0", "1", ... */
} bql_layout_t;

typedef struct bql_columns {
   bql_column_t *cols;
   size_t n;
   bql_layout_t root;
   bool array_index;        /* array_index_fields: numeric parts index arrays */
} bql_columns_t;

const char *bql_coltype_name (bql_coltype_t t);

/* Columns of a ColumnDef list (may be NULL: no columns). Errors at the
 * column: unknown type (with the nearest name), '$' in a name, a column
 * given twice or overlapping another ("a" and "a.b"). */
bool bql_columns_init (bql_planner_t *pl, const bql_list_t *defs, bql_columns_t *c);
/* Add one column (file headers); false with a message in err (an empty
 * or '$' part, more than BQL_MAX_PATH_PARTS parts, a column given twice
 * or overlapping another). With
 * c->array_index set (the file option array_index_fields), a numeric part
 * of a dotted name is an array index, as mongoimport's
 * --useArrayIndexFields reads it: the indexes under one name must start
 * at 0 and increase by one in column order, and cannot be mixed with
 * field names; otherwise false with the reason in err. */
bool bql_columns_add (bql_columns_t *c, const char *path, bql_coltype_t type, char *err, size_t errlen);
void bql_columns_cleanup (bql_columns_t *c);
/* The kid of layout node l named key[0..len) (not NUL-terminated), or
 * NULL: a hash lookup when l has many kids, so that a header of n names
 * is laid out in O(n). The result points into l, valid until l changes. */
const bql_layout_t *bql_layout_find (const bql_layout_t *l, const char *key, size_t len);
/* The index of the column whose dotted path is path, or -1 (through the
 * layout: O(length of path)). */
int bql_columns_find (const bql_columns_t *c, const char *path);

/* Append the row vals[0..n) to doc in column order, nesting dotted names.
 * A value of type BSON_TYPE_EOD leaves its column out. */
bool bql_columns_emit (const bql_columns_t *c, bson_t *doc, const bson_value_t *vals);
/* bql_columns_emit() for rows whose values may be left out (blanks =
 * 'omit'): an array element left out before one that is given cannot be
 * stored at its index, and is an error naming the column in err. */
bool bql_columns_emit_row (const bql_columns_t *c, bson_t *doc, const bson_value_t *vals, char *err, size_t errlen);

/* The number reading of a DOUBLE column (and of inferred numbers): decimal
 * notation with optional sign, digits before or after the point (".097",
 * "-.5", "1.", "+3") and an exponent ("1e5", "1E-3"); not "inf", "nan",
 * hexadecimal or spaces, and nothing that overflows a double. */
bool bql_parse_number (const char *s, size_t len, double *out);
/* The integer reading of INT and BIGINT columns (and of inferred
 * integers): an optional sign and decimal digits (leading zeros allowed),
 * within int64, fewer than 32 bytes; as strtoll read it before, text
 * after a NUL byte is not looked at (the CSV source refuses a NUL before
 * converting). */
bool bql_parse_int64 (const char *s, size_t len, int64_t *out);
/* The reading of BOOL columns: true, t, yes, y, 1 and false, f, no, n, 0,
 * in any case, as the whole text. */
bool bql_parse_bool (const char *s, size_t len, bool *out);

/* The type one non-empty text value suggests when types are inferred
 * (SPEC §4): BOOL for true/false (any case), INT for an integer that fits
 * int32, BIGINT for one that fits int64, DOUBLE for other numbers as
 * bql_parse_number() reads them, TIMESTAMP for an ISO 8601 date or
 * timestamp, STRING for anything else and for a number with a leading
 * zero ("00501", "-007"; "0", "0.5" are numbers) or an integer beyond
 * int64 (kept as written). */
bql_coltype_t bql_infer_text (const char *s, size_t len);
/* bql_infer_text() that also gives the value as that type in *out (an
 * int32, int64, double, bool or date; nothing for STRING: the caller
 * keeps the text). Nothing in *out needs to be freed. */
bql_coltype_t bql_infer_value (const char *s, size_t len, bson_value_t *out);
/* The type of a column holding values of types a and b (BQL_COL_AUTO: no
 * value yet): INT < BIGINT < DOUBLE widen; any other mix is STRING. */
bql_coltype_t bql_infer_join (bql_coltype_t a, bql_coltype_t b);

/* Text s[0..len) as a value of type t (AUTO = string). The value is owned
 * by the caller (bson_value_destroy). False with a message in err. A
 * DOUBLE reads what bql_parse_number() reads and, as mongoimport's
 * double() does, NaN and ±Infinity: "nan" in any case without a sign,
 * "inf" and "infinity" in any case with an optional sign (inferred
 * types never take them: bql_infer_text). */
bool bql_convert_text (bql_coltype_t t, const char *s, size_t len, bson_value_t *out, char *err, size_t errlen);
/* Parses a JSON column's value as bql_json_parse_value (json_doc.h) does,
 * with the same result and error; ctx is the parser's state. */
typedef bool (*bql_json_value_fn) (void *ctx, const char *text, size_t len, bson_value_t *value,
                                   bql_json_error_t *error);

/* How bql_column_convert_text_ex converts, for a reader that converts
 * many rows (the CSV source). */
typedef struct bql_convert_opts {
   bql_json_value_fn json; /* JSON columns: parse with this (NULL: bql_json_parse_value) */
   void *json_ctx;         /* ... given to it */
   bool borrow_text;       /* STRING columns: the value points into the text (which must be
                              NUL-terminated after len and outlive the value) instead of a copy */
} bql_convert_opts_t;

/* Convert *v in place to type t (numbers widen, strings parse). */
bool bql_convert_value (bql_coltype_t t, bson_value_t *v, char *err, size_t errlen);
/* The same for a column, with its FORMAT: a strptime layout for DATE and
 * TIMESTAMP (UTC unless the layout has %z; text left over after the
 * layout is an error), "hex" or "base64" (the default) for BINARY. */
bool bql_column_convert_text (const bql_column_t *col, const char *s, size_t len, bson_value_t *out, char *err,
                              size_t errlen);
/* bql_column_convert_text with opts (NULL: as bql_column_convert_text):
 * the same value (bson_equal) and the same error. *borrowed (not NULL)
 * is set true when *out points into s (opts->borrow_text, a STRING
 * value): then the caller must not bson_value_destroy it. */
bool bql_column_convert_text_ex (const bql_column_t *col, const char *s, size_t len, const bql_convert_opts_t *opts,
                                 bson_value_t *out, bool *borrowed, char *err, size_t errlen);
bool bql_column_convert_value (const bql_column_t *col, bson_value_t *v, char *err, size_t errlen);

#endif
