/*
 * csv_row.c — a CSV/TSV row straight to its document. csv.c cuts the row
 * into fields (libcsv); here the fields are converted in the order of the
 * document (the column layout of columns.c, flattened once into a list of
 * steps: open a nested document or array, append a field, close) and
 * appended at once with bson_append_*: no bson_value_t in between, key
 * lengths known, each nested document (address.geo.lat, address.geo.lon)
 * opened once; a run of fixed-size values (address.geo's two doubles; a
 * BOOL, an INT, two DOUBLEs and a TIMESTAMP side by side; a lone INT) is written over
 * the zeros of a template libbson built and appended with one bson_concat
 * (struct bql_csv_run below). Numbers are read by bql_parse_int64 and bql_number_fast
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
   int run;         /* the run that starts here (cs->runs), or -1 */
};

/* A run: consecutive steps at one level whose values all have a fixed
 * size (INT, BIGINT, DOUBLE, BOOL, DATE/TIMESTAMP, and nested documents or
 * arrays of such values only), one field or more. Its elements are built
 * once by libbson, with zeros, into a template; a row overwrites the
 * values in place (bson_iter_overwrite_*) and appends the template's
 * elements at once (bson_concat): the bytes the steps' bson_append_* give,
 * in one append instead of one for each value and two for each nested
 * document (a lone INT too: libbson's bson_concat costs about half of a
 * bson_append_int32, callgrind). A row whose run has a field the template cannot take (empty,
 * null_string, text the reading refuses, an INT out of range) runs the
 * steps one by one instead, as before. */
struct bql_csv_run {
   bson_t *tmpl;
   size_t nops;        /* the steps it covers, from the one that starts it */
   size_t n;           /* its fields, in document order */
   size_t *field_ops;  /* each field's step */
   uint8_t *iters;     /* an iterator on each field's value in tmpl, every
                          ITER_STRIDE bytes (run_iter) */
   bool has_id;        /* it holds the top-level _id */
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
   op->run = -1;
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

/* bson_iter_t is declared with an alignment larger than its size: each
 * iterator of a run gets a slot of its own, aligned. */
#define ITER_STRIDE \
   ((sizeof (bson_iter_t) + BSON_ALIGNOF (bson_iter_t) - 1) / BSON_ALIGNOF (bson_iter_t) * BSON_ALIGNOF (bson_iter_t))

static inline bson_iter_t *
run_iter (const bql_csv_run_t *r, size_t k)
{
   return (bson_iter_t *) (void *) (r->iters + k * ITER_STRIDE);
}

static bool
fixed_size (conv_t conv)
{
   return conv == CONV_INT || conv == CONV_BIGINT || conv == CONV_DOUBLE || conv == CONV_BOOL || conv == CONV_DATE;
}

/* The end of the item at step i (a field, or a nested document from its
 * open to its close), and whether all its values have a fixed size. */
static size_t
item_end (const bql_csv_t *cs, size_t i, bool *fixed)
{
   const bql_csv_op_t *op = &cs->ops[i];
   if (op->kind == OP_FIELD) {
      *fixed = fixed_size (op->conv);
      return i + 1;
   }
   *fixed = true;
   size_t j = i + 1;
   while (cs->ops[j].kind != OP_CLOSE) {
      bool f;
      j = item_end (cs, j, &f);
      *fixed = *fixed && f;
   }
   return j + 1;
}

/* Open op's nested document or array in *b (the innermost open one) as
 * stack[*depth + 1], and close the innermost (stack[*depth], an array when
 * array[*depth]) into its parent (root at depth 1): *b and *depth follow.
 * False when libbson refuses. */
static bool
open_nested (const bql_csv_op_t *op, bson_t *stack, bool *array, int *depth, bson_t **b)
{
   bson_t *child = &stack[*depth + 1];
   bool is_array = op->kind == OP_OPEN_ARRAY;
   if (!(is_array ? bson_append_array_begin (*b, op->key, op->klen, child)
                  : bson_append_document_begin (*b, op->key, op->klen, child))) {
      return false;
   }
   array[++*depth] = is_array;
   *b = child;
   return true;
}

static bool
close_nested (bson_t *root, bson_t *stack, const bool *array, int *depth, bson_t **b)
{
   bson_t *parent = *depth == 1 ? root : &stack[*depth - 1];
   bool ok = array[*depth] ? bson_append_array_end (parent, *b) : bson_append_document_end (parent, *b);
   (*depth)--;
   *b = parent;
   return ok;
}

/* The template of the run of steps [from, to): its elements appended by
 * libbson with zero values, and an iterator on each field's value. */
static void
make_run (bql_csv_t *cs, size_t from, size_t to, size_t nfields)
{
   bql_csv_run_t *r = &cs->runs[cs->nruns];
   cs->ops[from].run = (int) cs->nruns++;
   r->tmpl = bson_new ();
   r->nops = to - from;
   r->n = 0;
   r->field_ops = bson_malloc (sizeof *r->field_ops * nfields);
   r->iters = bson_aligned_alloc (BSON_ALIGNOF (bson_iter_t), ITER_STRIDE * nfields);
   r->has_id = false;
   bson_t stack[BQL_MAX_PATH_PARTS + 2];
   bool array[BQL_MAX_PATH_PARTS + 2];
   bson_t *b = r->tmpl;
   int depth = 0;
   for (size_t i = from; i < to; i++) {
      const bql_csv_op_t *op = &cs->ops[i];
      r->has_id = r->has_id || op->root_id;
      if (op->kind == OP_OPEN_DOC || op->kind == OP_OPEN_ARRAY) {
         open_nested (op, stack, array, &depth, &b);
      } else if (op->kind == OP_CLOSE) {
         close_nested (r->tmpl, stack, array, &depth, &b);
      } else {
         r->field_ops[r->n++] = i;
         switch (op->conv) {
         case CONV_INT:
            bson_append_int32 (b, op->key, op->klen, 0);
            break;
         case CONV_BIGINT:
            bson_append_int64 (b, op->key, op->klen, 0);
            break;
         case CONV_DOUBLE:
            bson_append_double (b, op->key, op->klen, 0.0);
            break;
         case CONV_BOOL:
            bson_append_bool (b, op->key, op->klen, false);
            break;
         default: /* CONV_DATE */
            bson_append_date_time (b, op->key, op->klen, 0);
            break;
         }
      }
   }
}

/* Iterators on the values of the template t, depth first: the fields in
 * the order of the steps. */
static void
run_iters (bson_iter_t *it, bql_csv_run_t *r, size_t *k)
{
   while (bson_iter_next (it)) {
      bson_iter_t child;
      if ((BSON_ITER_HOLDS_DOCUMENT (it) || BSON_ITER_HOLDS_ARRAY (it)) && bson_iter_recurse (it, &child)) {
         run_iters (&child, r, k);
      } else {
         *run_iter (r, (*k)++) = *it;
      }
   }
}

/* The runs of the steps [from, to) at one level, and inside the nested
 * documents that are not whole runs themselves. */
static void
find_runs (bql_csv_t *cs, size_t from, size_t to)
{
   size_t i = from;
   while (i < to) {
      size_t start = i, nfields = 0;
      bool fixed = true;
      size_t end = i;
      while (end < to) {
         bool f;
         size_t e = item_end (cs, end, &f);
         if (!f) {
            break;
         }
         for (size_t j = end; j < e; j++) {
            nfields += cs->ops[j].kind == OP_FIELD;
         }
         end = e;
      }
      if (nfields >= 1) {
         make_run (cs, start, end, nfields);
      }
      if (end > i) {
         i = end;
         continue;
      }
      /* not fixed: a field (next), or a nested document (its inside) */
      size_t e = item_end (cs, i, &fixed);
      if (cs->ops[i].kind != OP_FIELD) {
         find_runs (cs, i + 1, e - 1);
      }
      i = e;
   }
}

static void
plan_runs (bql_csv_t *cs)
{
   cs->runs = bson_malloc0 (sizeof *cs->runs * (cs->nops ? cs->nops : 1));
   cs->nruns = 0;
   find_runs (cs, 0, cs->nops);
   for (size_t k = 0; k < cs->nruns; k++) {
      bql_csv_run_t *r = &cs->runs[k];
      bson_iter_t it;
      size_t n = 0;
      if (bson_iter_init (&it, r->tmpl)) {
         run_iters (&it, r, &n);
      }
      BSON_ASSERT (n == r->n);
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
   plan_runs (cs);
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
      /* finite: bql_number_fast reads no NaN or ±Infinity (those
       * spellings go the general way), so the facts keep BQL_ROW_FINITE */
      return bql_number_fast (s, len, &d) && bson_append_double (b, op->key, op->klen, d);
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

/* The run r's values read from the row's fields into its template: false
 * when a field is not one the template takes (then the steps run one by
 * one). Its values keep the row's facts (source.h): names checked when
 * planned, numbers finite. */
static bool
fill_run (bql_file_source_t *f, bql_csv_run_t *r)
{
   bql_csv_t *cs = &f->csv;
   const char *null_string = f->fo.null_string;
   for (size_t k = 0; k < r->n; k++) {
      const bql_csv_op_t *op = &cs->ops[r->field_ops[k]];
      const bql_field_t *fd = &cs->fields[op->col];
      const char *s = cs->fields_buf.data + fd->off;
      if (bql_field_blank (fd) || (null_string && !strcmp (s, null_string))) {
         return false;
      }
      bson_iter_t *it = run_iter (r, k);
      switch (op->conv) {
      case CONV_INT:
      case CONV_BIGINT: {
         int64_t i;
         if (!bql_parse_int64 (s, fd->len, &i)) {
            return false;
         }
         if (op->conv == CONV_BIGINT) {
            bson_iter_overwrite_int64 (it, i);
         } else if (i >= INT32_MIN && i <= INT32_MAX) {
            bson_iter_overwrite_int32 (it, (int32_t) i);
         } else {
            return false;
         }
         break;
      }
      case CONV_DOUBLE: {
         double d;
         if (!bql_number_fast (s, fd->len, &d)) {
            return false; /* (it reads finite values only: BQL_ROW_FINITE holds) */
         }
         bson_iter_overwrite_double (it, d);
         break;
      }
      case CONV_BOOL: {
         bool v;
         if (!bql_parse_bool (s, fd->len, &v)) {
            return false;
         }
         bson_iter_overwrite_bool (it, v);
         break;
      }
      default: { /* CONV_DATE */
         int64_t ms;
         if (!bql_parse_iso8601 (s, fd->len, &ms)) {
            return false;
         }
         bson_iter_overwrite_date_time (it, ms);
         break;
      }
      }
   }
   return true;
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
      if (op->run >= 0) {
         bql_csv_run_t *r = &cs->runs[op->run];
         if (fill_run (f, r)) {
            ok = bson_concat (b, r->tmpl);
            has_id |= r->has_id;
            i += r->nops - 1;
            continue;
         }
      }
      switch (op->kind) {
      case OP_OPEN_DOC:
      case OP_OPEN_ARRAY:
         ok = open_nested (op, stack, array, &depth, &b);
         has_id |= ok && op->root_id;
         break;
      case OP_CLOSE:
         ok = close_nested (doc, stack, array, &depth, &b);
         break;
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
      close_nested (doc, stack, array, &depth, &b);
   }
   bson_reinit (doc);
   return false;
}

void
bql_csv_row_cleanup (bql_csv_t *cs)
{
   bson_free (cs->ops);
   bson_free (cs->ops_stack);
   for (size_t k = 0; k < cs->nruns; k++) {
      bson_destroy (cs->runs[k].tmpl);
      bson_free (cs->runs[k].field_ops);
      bson_free (cs->runs[k].iters);
   }
   bson_free (cs->runs);
   cs->runs = NULL;
   cs->nruns = 0;
   cs->ops = NULL;
   cs->ops_stack = NULL;
   cs->nops = cs->ops_cap = 0;
   cs->ops_planned = false;
}
