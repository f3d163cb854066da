/*
 * columns.h — column lists, column types and row assembly (columns.c).
 * Used by the planner for VALUES rows and by the file readers.
 */
#ifndef BQL_COLUMNS_H
#define BQL_COLUMNS_H

#include <bson/bson.h>

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
   BQL_COL_JSON
} bql_coltype_t;

typedef struct bql_column {
   char *path;              /* dotted name */
   bql_coltype_t type;
   const bql_node_t *node;  /* the ColumnDef, NULL for header columns */
} bql_column_t;

/* A tree of names: leaves hold a column index, inner nodes nest. */
typedef struct bql_layout {
   char *key;
   int col;                 /* -1 for an inner node */
   struct bql_layout *kids;
   size_t nkids;
} bql_layout_t;

typedef struct bql_columns {
   bql_column_t *cols;
   size_t n;
   bql_layout_t root;
} bql_columns_t;

const char *bql_coltype_name (bql_coltype_t t);

/* Columns of a ColumnDef list (may be NULL: no columns). Errors at the
 * column: unknown type (with the nearest name), '$' in a name, a column
 * given twice or overlapping another ("a" and "a.b"). */
bool bql_columns_init (bql_planner_t *pl, const bql_list_t *defs, bql_columns_t *c);
/* Add one column (file headers); false with a message in err. */
bool bql_columns_add (bql_columns_t *c, const char *path, bql_coltype_t type, char *err, size_t errlen);
void bql_columns_cleanup (bql_columns_t *c);

/* Append the row vals[0..n) to doc in column order, nesting dotted names.
 * A value of type BSON_TYPE_EOD leaves its column out. */
bool bql_columns_emit (const bql_columns_t *c, bson_t *doc, const bson_value_t *vals);

/* Text s[0..len) as a value of type t (AUTO = string). The value is owned
 * by the caller (bson_value_destroy). False with a message in err. */
bool bql_convert_text (bql_coltype_t t, const char *s, size_t len, bson_value_t *out, char *err, size_t errlen);
/* Convert *v in place to type t (numbers widen, strings parse). */
bool bql_convert_value (bql_coltype_t t, bson_value_t *v, char *err, size_t errlen);

#endif
