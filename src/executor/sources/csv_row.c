/*
 * csv_row.c — a CSV/TSV row straight to its document. csv.c cuts the row
 * into fields (libcsv); here the fields are converted in the order of the
 * document (the column layout of columns.c, flattened once into a list of
 * steps: open a nested document or array, append a field, close) and
 * appended at once with bson_append_*: no bson_value_t in between, key
 * lengths known, each nested document (address.geo.lat, address.geo.lon)
 * opened once. Numbers are read by bql_parse_int64 and bql_number_fast
 * (fast_float, json_fast.cpp), JSON columns appended by the JSON fast path
 * (bql_json_value_append), which also checks their field names, so that
 * bql_typing_check_row does not walk the document again.
 *
 * The document is exactly the one of csv.c's general path (bql_typing_field
 * for each column in column order, then bql_columns_emit_row): a field of
 * a type or a form this file does not convert itself (an inferred column,
 * a FORMAT, DECIMAL, OBJECTID, BINARY, an empty field, null_string) is
 * converted by bql_typing_field; and a field this file cannot convert (text
 * its readings refuse: bad text, but also the nan and inf spellings that a
 * DOUBLE column takes; a JSON value the fast path declines; a value left
 * out inside an array) gives the row up: csv.c then builds it the general
 * way, which gives the row's value or error, the same as before, in column
 * order.
 */
#include <string.h>

#include "datetime.h"
#include "file.h"

typedef enum {
   OP_OPEN_DOC,   /* open the nested document key */
   OP_OPEN_ARRAY, /* open the nested array key */
   OP_CLOSE,      /* close the innermost */
   OP_FIELD       /* append column col as key */
} op_kind_t;

/* How a field's text becomes its value. */
typedef enum {
   CONV_GENERAL, /* bql_typing_field */
   CONV_INT,
   CONV_BIGINT,
   CONV_DOUBLE,
   CONV_STRING,
   CONV_BOOL,
   CONV_DATE, /* DATE and TIMESTAMP without FORMAT: ISO 8601 */
   CONV_JSON
} conv_t;

struct bql_csv_op {
   op_kind_t kind;
   conv_t conv;
   int col;
   const char *key; /* the layout's, which outlives the plan */
   int klen;
   bool root_id;    /* the top-level field "_id" */
};

static conv_t
conv_of (const bql_column_t *col)
{
   if (col->inferred && col->type != BQL_COL_STRING) {
      return CONV_GENERAL; /* checked against the inferred type, widened */
   }
   switch (col->type) {
   case BQL_COL_INT:
      return CONV_INT;
   case BQL_COL_BIGINT:
      return CONV_BIGINT;
   case BQL_COL_DOUBLE:
      return CONV_DOUBLE;
   case BQL_COL_AUTO:
   case BQL_COL_STRING:
      return CONV_STRING;
   case BQL_COL_BOOL:
      return CONV_BOOL;
   case BQL_COL_DATE:
   case BQL_COL_TIMESTAMP:
      return col->format ? CONV_GENERAL : CONV_DATE;
   case BQL_COL_JSON:
      return CONV_JSON;
   default:
      return CONV_GENERAL;
   }
}

static void
add_op (bql_csv_t *cs, op_kind_t kind, const bql_layout_t *l, conv_t conv, bool root)
{
   if (cs->nops == cs->ops_cap) {
      cs->ops_cap = cs->ops_cap ? cs->ops_cap * 2 : 32;
      cs->ops = bson_realloc (cs->ops, sizeof *cs->ops * cs->ops_cap);
   }
   bql_csv_op_t *op = &cs->ops[cs->nops++];
   memset (op, 0, sizeof *op);
   op->kind = kind;
   op->conv = conv;
   op->col = l ? l->col : -1;
   op->key = l ? l->key : NULL;
   op->klen = l ? (int) strlen (l->key) : 0;
   op->root_id = root && l && !strcmp (l->key, "_id");
   if (l && !bql_field_name_valid (l->key, (size_t) op->klen)) {
      cs->ops_names_valid = false;
   }
}

/* The steps of node l's kids (depth: levels above them). */
static void
plan_node (bql_file_source_t *f, const bql_layout_t *l, int depth)
{
   bql_csv_t *cs = &f->csv;
   for (size_t i = 0; i < l->nkids; i++) {
      const bql_layout_t *k = &l->kids[i];
      if (k->col >= 0) {
         const bql_column_t *col = &f->cols->cols[k->col];
         conv_t conv = conv_of (col);
         if (conv == CONV_JSON && depth + 1 + BQL_JSON_MAX_LEVELS - 2 > BQL_SRC_MAX_DEPTH) {
            /* its value may nest past the depth bql_typing_check_row's
             * walk refuses: that walk must run */
            cs->ops_keys_checked = false;
         }
         add_op (cs, OP_FIELD, k, conv, depth == 0);
      } else {
         add_op (cs, k->array ? OP_OPEN_ARRAY : OP_OPEN_DOC, k, CONV_GENERAL, depth == 0);
         plan_node (f, k, depth + 1);
         add_op (cs, OP_CLOSE, NULL, CONV_GENERAL, false);
      }
      cs->ops_depth = depth + 1 > cs->ops_depth ? depth + 1 : cs->ops_depth;
   }
}

static void
plan (bql_file_source_t *f)
{
   bql_csv_t *cs = &f->csv;
   cs->ops_planned = true;
   cs->ops_keys_checked = true;
   cs->ops_names_valid = true;
   cs->ops_depth = 0;
   plan_node (f, &f->cols->root, 0);
   cs->ops_stack = bson_malloc (sizeof (bson_t) * (size_t) (cs->ops_depth + 1));
}

/* bson_utf8_validate (s, len, false), as convert_text checks a STRING
 * value: ASCII without NUL (most text) is seen a word at a time. */
static bool
text_ok (const char *s, size_t len)
{
   size_t i = 0;
   for (; i + 8 <= len; i += 8) {
      uint64_t w;
      memcpy (&w, s + i, 8);
      /* a byte >= 0x80, or a zero byte (the classic has-zero-byte test) */
      if ((w & 0x8080808080808080ULL) || ((w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL)) {
         return bson_utf8_validate (s, len, false);
      }
   }
   for (; i < len; i++) {
      if ((unsigned char) s[i] >= 0x80 || s[i] == '\0') {
         return bson_utf8_validate (s, len, false);
      }
   }
   return true;
}

/* A field of a type converted here: appended to b, or false. What it
 * appended clears the facts (source.h) it does not keep in *facts. */
static bool
append_field (bql_csv_t *cs, const bql_csv_op_t *op, const char *s, size_t len, bson_t *b, unsigned *facts)
{
   switch (op->conv) {
   case CONV_INT:
   case CONV_BIGINT: {
      int64_t i;
      if (!bql_parse_int64 (s, len, &i)) {
         return false;
      }
      if (op->conv == CONV_BIGINT) {
         return bson_append_int64 (b, op->key, op->klen, i);
      }
      return i >= INT32_MIN && i <= INT32_MAX && bson_append_int32 (b, op->key, op->klen, (int32_t) i);
   }
   case CONV_DOUBLE: {
      double d;
      if (!bql_number_fast (s, len, &d)) {
         return false;
      }
      if (!(d - d == 0.0)) {
         *facts &= ~BQL_ROW_FINITE; /* NaN or ±Infinity */
      }
      return bson_append_double (b, op->key, op->klen, d);
   }
   case CONV_STRING:
      return text_ok (s, len) && bson_append_utf8 (b, op->key, op->klen, s, (int) len);
   case CONV_BOOL: {
      bool v;
      return bql_parse_bool (s, len, &v) && bson_append_bool (b, op->key, op->klen, v);
   }
   case CONV_DATE: {
      int64_t ms;
      return bql_parse_iso8601 (s, len, &ms) && bson_append_date_time (b, op->key, op->klen, ms);
   }
   case CONV_JSON: {
      bool names_valid = false;
      if (!bql_json_value_append (cs->json_fast, s, len, b, op->key, (size_t) op->klen, &names_valid)) {
         return false;
      }
      if (!names_valid) {
         *facts &= ~BQL_ROW_NAMES_VALID;
      }
      return true; /* finite: the fast path builds no NaN, ±Infinity or Decimal128 */
   }
   case CONV_GENERAL:
      break;
   }
   return false;
}

/* A field through bql_typing_field, appended to b (or left out); false
 * when it fails or is left out of an array. The facts (source.h) of a
 * value not known to keep them are cleared in *facts: a document or an
 * array (its field names are not looked at), a Decimal128, a double that
 * is not finite. */
static bool
append_general (bql_file_source_t *f, const bql_csv_op_t *op, bson_t *b, bool in_array, bool *appended,
                unsigned *facts)
{
   bql_csv_t *cs = &f->csv;
   bson_value_t v;
   if (!bql_typing_field (f, (size_t) op->col, &v)) {
      return false;
   }
   switch (v.value_type) {
   case BSON_TYPE_DOCUMENT:
   case BSON_TYPE_ARRAY:
   case BSON_TYPE_CODEWSCOPE:
      *facts = 0;
      break;
   case BSON_TYPE_DECIMAL128:
      *facts &= ~BQL_ROW_FINITE;
      break;
   case BSON_TYPE_DOUBLE:
      if (!(v.value.v_double - v.value.v_double == 0.0)) {
         *facts &= ~BQL_ROW_FINITE;
      }
      break;
   default:
      break;
   }
   *appended = v.value_type != BSON_TYPE_EOD;
   bool ok = v.value_type == BSON_TYPE_EOD ? !in_array : bson_append_value (b, op->key, op->klen, &v);
   if (!cs->borrowed[op->col]) {
      bson_value_destroy (&v);
   }
   return ok;
}

bool
bql_csv_row_fast (bql_file_source_t *f, bson_t *doc)
{
   bql_csv_t *cs = &f->csv;
   if (!cs->ops_planned) {
      plan (f);
   }
   bson_t *stack = cs->ops_stack;
   bool array[BQL_MAX_PATH_PARTS + 2];
   int depth = 0;
   bson_t *b = doc;
   array[0] = false;
   int has_id = 0;
   unsigned facts = BQL_ROW_FINITE | (cs->ops_names_valid ? BQL_ROW_NAMES_VALID : 0u);
   bool ok = true;
   const char *null_string = f->fo.null_string;
   for (size_t i = 0; i < cs->nops && ok; i++) {
      const bql_csv_op_t *op = &cs->ops[i];
      switch (op->kind) {
      case OP_OPEN_DOC:
      case OP_OPEN_ARRAY: {
         bson_t *child = &stack[depth + 1];
         ok = op->kind == OP_OPEN_ARRAY ? bson_append_array_begin (b, op->key, op->klen, child)
                                        : bson_append_document_begin (b, op->key, op->klen, child);
         if (ok) {
            has_id |= op->root_id;
            depth++;
            array[depth] = op->kind == OP_OPEN_ARRAY;
            b = child;
         }
         break;
      }
      case OP_CLOSE: {
         bson_t *parent = depth == 1 ? doc : &stack[depth - 1];
         ok = array[depth] ? bson_append_array_end (parent, b) : bson_append_document_end (parent, b);
         depth--;
         b = parent;
         break;
      }
      case OP_FIELD: {
         const bql_field_t *fd = &cs->fields[op->col];
         const char *s = cs->fields_buf.data + fd->off;
         bool appended = true;
         if (op->conv == CONV_GENERAL || bql_field_blank (fd) || (null_string && !fd->null && !strcmp (s, null_string))) {
            ok = append_general (f, op, b, array[depth], &appended, &facts);
         } else {
            ok = append_field (cs, op, s, fd->len, b, &facts);
         }
         has_id |= ok && appended && op->root_id;
         break;
      }
      }
   }
   if (ok) {
      cs->row_has_id = has_id;
      cs->row_keys_checked = cs->ops_keys_checked;
      cs->row_facts = facts;
      return true;
   }
   /* given up: close what is open, and csv.c starts the row again */
   while (depth > 0) {
      bson_t *parent = depth == 1 ? doc : &stack[depth - 1];
      if (array[depth]) {
         bson_append_array_end (parent, b);
      } else {
         bson_append_document_end (parent, b);
      }
      depth--;
      b = parent;
   }
   bson_reinit (doc);
   return false;
}

void
bql_csv_row_cleanup (bql_csv_t *cs)
{
   bson_free (cs->ops);
   bson_free (cs->ops_stack);
   cs->ops = NULL;
   cs->ops_stack = NULL;
   cs->nops = cs->ops_cap = 0;
   cs->ops_planned = false;
}
