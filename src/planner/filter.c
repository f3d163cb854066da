/*
 * filter.c — WHERE conditions as MongoDB query filters, exactly or not at
 * all (SPEC §1 "fails closed"). A comparison of a field with a value
 * becomes a query operator ($eq, $gt, $in, $regex, ...), with the value
 * always behind an operator so that data never acts as one; comparisons
 * between fields and arithmetic on fields become $expr; parts that depend
 * only on constants and the incoming row are decided on the client. There
 * is no path that yields an empty filter for a condition it did not
 * understand: WHERE TRUE is the only way to match every document.
 *
 * Missing fields follow MongoDB's query rules: x IS NULL and x = NULL
 * match documents where x is null or missing; x <> v, NOT IN, NOT LIKE and
 * NOT BETWEEN match documents where x is missing.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "functions.h"

/* Helpers of tr() that must not be inlined into it: tr recurses once per
 * level of a condition (up to BQL_MAX_NESTING), and their locals (path
 * buffers, bson_t) would make every level's frame larger. */
#define NOINLINE __attribute__ ((noinline))

/* The filter that matches nothing: every stored document has an _id. */
static void
append_nothing (bson_t *f)
{
   bson_t sub;
   bson_append_document_begin (f, "_id", 3, &sub);
   BSON_APPEND_BOOL (&sub, "$exists", false);
   bson_append_document_end (f, &sub);
}

static bool tr (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *c, bson_t *f);

static const char *
query_op (int op)
{
   switch (op) {
   case BQL_OP_EQ:
      return "$eq";
   case BQL_OP_NE:
      return "$ne";
   case BQL_OP_LT:
      return "$lt";
   case BQL_OP_LE:
      return "$lte";
   case BQL_OP_GT:
      return "$gt";
   case BQL_OP_GE:
      return "$gte";
   default:
      return NULL;
   }
}

static int
flip (int op)
{
   switch (op) {
   case BQL_OP_LT:
      return BQL_OP_GT;
   case BQL_OP_LE:
      return BQL_OP_GE;
   case BQL_OP_GT:
      return BQL_OP_LT;
   case BQL_OP_GE:
      return BQL_OP_LE;
   default:
      return op;
   }
}

/* The whole condition is decided on the client. */
static NOINLINE bool
constant (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *c, bson_t *f)
{
   bool result, is_null;
   if (bql_eval_condition (pl, rc, c, &result, &is_null) != BQL_EVAL_OK) {
      return false;
   }
   if (!result || is_null) {
      append_nothing (f);
   }
   return true;
}

/* {$expr: <aggregation expression>} */
static NOINLINE bool
via_expr (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *c, bson_t *f)
{
   return bql_translate_agg (pl, rc, c, f, "$expr");
}

static NOINLINE bool
field_path (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *e, char *buf, size_t size, const char **out)
{
   *out = bql_field_path (pl, rc, e, buf, size);
   if (*out) {
      for (const char *p = *out; p; p = strchr (p, '.') ? strchr (p, '.') + 1 : NULL) {
         if (*p == '$') {
            return bql_plan_error (pl, e, BQL_ERR_VALUE, NULL, "field path \"%s\" has a part starting with '$'", *out);
         }
      }
   }
   return true;
}

/* Evaluate e on the client if it does not read stored fields. */
static bql_eval_rc_t
value_of (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *e, bql_val_t *v)
{
   bql_eval_rc_t r = bql_eval (pl, rc, e, v);
   if (r == BQL_EVAL_OK && v->is_interval) {
      bql_val_destroy (v);
      bql_plan_error (pl, e, BQL_ERR_TYPE, "Compare dates with dates: created_at < CURRENT_DATE - INTERVAL '7 days'.",
                      "an interval cannot be compared with a field");
      return BQL_EVAL_ERROR;
   }
   return r;
}

static NOINLINE bool
comparison (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_BinaryExpr_t *b, bson_t *f)
{
   char lbuf[600], rbuf[600];
   const char *lpath, *rpath;
   if (!field_path (pl, rc, b->left, lbuf, sizeof lbuf, &lpath) ||
       !field_path (pl, rc, b->right, rbuf, sizeof rbuf, &rpath)) {
      return false;
   }
   const char *path = NULL;
   const bql_node_t *other = NULL;
   int op = b->op;
   if (lpath && !rpath) {
      path = lpath;
      other = b->right;
   } else if (rpath && !lpath) {
      path = rpath;
      other = b->left;
      op = flip (op);
   }
   if (path) {
      bql_val_t v;
      bql_eval_rc_t r = value_of (pl, rc, other, &v);
      if (r == BQL_EVAL_ERROR) {
         return false;
      }
      if (r == BQL_EVAL_OK) {
         if (bql_val_is_null (&v) && op != BQL_OP_EQ && op != BQL_OP_NE) {
            /* x < NULL is unknown: no document */
            append_nothing (f);
         } else {
            bson_t sub;
            bson_append_document_begin (f, path, -1, &sub);
            bson_append_value (&sub, query_op (op), -1, &v.v);
            bson_append_document_end (f, &sub);
         }
         bql_val_destroy (&v);
         return true;
      }
      if (rc && !rc->row && bql_refers_to_row (rc, other) && !bql_refers_to_field (rc, other)) {
         /* EXPLAIN of a file source: a value of the row known only at run
          * time, where it is compared just as above */
         const char *col = bql_row_column (rc, other);
         char *ph = col ? bson_strdup_printf ("<row.%s>", col) : bson_strdup ("<value from the row>");
         bson_t sub;
         bson_append_document_begin (f, path, -1, &sub);
         BSON_APPEND_UTF8 (&sub, query_op (op), ph);
         bson_append_document_end (f, &sub);
         bson_free (ph);
         return true;
      }
   }
   return via_expr (pl, rc, &b->node, f);
}

/* Filters of the operands of a chain of AND (or OR), flattened. */
static bool
collect (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *c, int op, bson_t *arr, uint32_t *n)
{
   if (bql_is (c, BoolExpr) && (int) bql_cast (BoolExpr, c)->op == op) {
      /* a nested chain of the same operator, a AND (b AND c), joins too */
      const bql_BoolExpr_t *b = bql_cast (BoolExpr, c);
      for (int32_t i = 0; i < b->args->length; i++) {
         if (!collect (pl, rc, b->args->items[i], op, arr, n)) {
            return false;
         }
      }
      return true;
   }
   char kb[16];
   const char *k;
   bson_uint32_to_string ((*n)++, &k, kb, sizeof kb);
   bson_t sub;
   bson_append_document_begin (arr, k, -1, &sub);
   bool ok = tr (pl, rc, c, &sub);
   bson_append_document_end (arr, &sub);
   return ok;
}

static bool
is_nothing (const bson_t *f)
{
   bson_t expect = BSON_INITIALIZER;
   append_nothing (&expect);
   bool r = bson_equal (f, &expect);
   bson_destroy (&expect);
   return r;
}

static int
str_ptr_cmp (const void *a, const void *b)
{
   return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* AND: merge the parts into one document when their keys are distinct
 * field names; otherwise $and. A part matching nothing makes the whole
 * match nothing; an empty part (TRUE) drops out. */
static NOINLINE bool
conjunction (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *c, bson_t *f)
{
   bson_t arr = BSON_INITIALIZER;
   uint32_t n = 0;
   if (!collect (pl, rc, c, BQL_OP_AND, &arr, &n)) {
      bson_destroy (&arr);
      return false;
   }
   bson_iter_t it;
   bool mergeable = true;
   bson_t merged = BSON_INITIALIZER;
   uint32_t kept = 0;
   /* the keys of all parts: pointers into arr, sorted below to find a
    * field named twice in O(n log n) */
   const char **keys = NULL;
   size_t nkeys = 0, keys_cap = 0;
   bson_iter_init (&it, &arr);
   while (bson_iter_next (&it)) {
      bson_t part;
      uint32_t len;
      const uint8_t *data;
      bson_iter_document (&it, &len, &data);
      bson_init_static (&part, data, len);
      if (is_nothing (&part)) {
         append_nothing (f);
         bson_destroy (&arr);
         bson_destroy (&merged);
         bson_free (keys);
         return true;
      }
      if (bson_empty (&part)) {
         continue;
      }
      kept++;
      bson_iter_t pi;
      bson_iter_init (&pi, &part);
      while (bson_iter_next (&pi)) {
         const char *k = bson_iter_key (&pi);
         if (k[0] == '$') {
            mergeable = false;
         }
         if (nkeys == keys_cap) {
            keys_cap = keys_cap ? keys_cap * 2 : 16;
            keys = bson_realloc (keys, sizeof *keys * keys_cap);
         }
         keys[nkeys++] = k;
         bson_append_iter (&merged, k, -1, &pi);
      }
   }
   /* a field named twice, "a.b" included (the same dotted key twice was
    * merged into one document with the key twice before) */
   if (mergeable && nkeys > 1) {
      qsort (keys, nkeys, sizeof *keys, str_ptr_cmp);
      for (size_t i = 1; i < nkeys && mergeable; i++) {
         if (!strcmp (keys[i - 1], keys[i])) {
            mergeable = false;
         }
      }
   }
   bson_free (keys);
   if (mergeable || kept <= 1) {
      bson_concat (f, &merged);
   } else {
      bson_t and;
      uint32_t i = 0;
      bson_append_array_begin (f, "$and", 4, &and);
      bson_iter_init (&it, &arr);
      while (bson_iter_next (&it)) {
         bson_t part;
         uint32_t len;
         const uint8_t *data;
         bson_iter_document (&it, &len, &data);
         bson_init_static (&part, data, len);
         if (bson_empty (&part)) {
            continue;
         }
         char kb[16];
         const char *k;
         bson_uint32_to_string (i++, &k, kb, sizeof kb);
         bson_append_document (&and, k, -1, &part);
      }
      bson_append_array_end (f, &and);
   }
   bson_destroy (&arr);
   bson_destroy (&merged);
   return true;
}

/* The path and value of a part that is exactly {path: {$eq: v}}, with
 * v a value that $in compares exactly as $eq does: not a regular
 * expression (which $in matches as a pattern), not an array and not a
 * document (compared as whole values by both, but kept out so that only
 * plain values are folded). */
static bool
plain_equality (const bson_t *part, const char **path, const bson_value_t **v)
{
   bson_iter_t it, sub;
   if (!bson_iter_init (&it, part) || !bson_iter_next (&it) || !BSON_ITER_HOLDS_DOCUMENT (&it)) {
      return false;
   }
   *path = bson_iter_key (&it);
   if ((*path)[0] == '$' || !bson_iter_recurse (&it, &sub) || !bson_iter_next (&sub) ||
       strcmp (bson_iter_key (&sub), "$eq") != 0) {
      return false;
   }
   *v = bson_iter_value (&sub);
   bson_type_t t = (*v)->value_type;
   if (t == BSON_TYPE_REGEX || t == BSON_TYPE_ARRAY || t == BSON_TYPE_DOCUMENT || t == BSON_TYPE_DBPOINTER ||
       t == BSON_TYPE_CODEWSCOPE) {
      return false;
   }
   return !bson_iter_next (&sub) && !bson_iter_next (&it);
}

/* The parts of an OR (the array or, two or more) when every one is
 * {path: {$eq: v}} on one path with a plain value: one
 * {path: {$in: [v, ...]}} appended to f, which matches the same documents
 * (a generated "id = 1 OR id = 2 OR ..." becomes one $in the server
 * answers from an index in one pass). False, and f untouched, otherwise. */
static bool
fold_in (const bson_t *or, bson_t *f)
{
   bson_iter_t it;
   const char *first = NULL;
   bson_iter_init (&it, or);
   while (bson_iter_next (&it)) {
      bson_t part;
      uint32_t len;
      const uint8_t *data;
      const char *path;
      const bson_value_t *v;
      bson_iter_document (&it, &len, &data);
      if (!bson_init_static (&part, data, len) || !plain_equality (&part, &path, &v) ||
          (first && strcmp (first, path) != 0)) {
         return false;
      }
      first = path;
   }
   bson_t sub, in;
   uint32_t i = 0;
   bson_append_document_begin (f, first, -1, &sub);
   bson_append_array_begin (&sub, "$in", 3, &in);
   bson_iter_init (&it, or);
   while (bson_iter_next (&it)) {
      bson_t part;
      uint32_t len;
      const uint8_t *data;
      const char *path;
      const bson_value_t *v;
      bson_iter_document (&it, &len, &data);
      bson_init_static (&part, data, len);
      plain_equality (&part, &path, &v);
      char kb[16];
      const char *k;
      bson_uint32_to_string (i++, &k, kb, sizeof kb);
      bson_append_value (&in, k, -1, v);
   }
   bson_append_array_end (&sub, &in);
   bson_append_document_end (f, &sub);
   return true;
}

/* OR: $or of the parts; a part matching everything makes the whole match
 * everything; parts matching nothing drop out. */
static NOINLINE bool
disjunction (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *c, bson_t *f)
{
   bson_t arr = BSON_INITIALIZER;
   uint32_t n = 0;
   if (!collect (pl, rc, c, BQL_OP_OR, &arr, &n)) {
      bson_destroy (&arr);
      return false;
   }
   bson_t or = BSON_INITIALIZER;
   uint32_t kept = 0;
   bson_iter_t it;
   bson_iter_init (&it, &arr);
   bool all = false;
   while (bson_iter_next (&it)) {
      bson_t part;
      uint32_t len;
      const uint8_t *data;
      bson_iter_document (&it, &len, &data);
      bson_init_static (&part, data, len);
      if (bson_empty (&part)) {
         all = true;
         break;
      }
      if (is_nothing (&part)) {
         continue;
      }
      char kb[16];
      const char *k;
      bson_uint32_to_string (kept++, &k, kb, sizeof kb);
      bson_append_document (&or, k, -1, &part);
   }
   if (all) {
      /* matches every document */
   } else if (kept > 1 && !(rc && !rc->row && bql_refers_to_row (rc, c)) && fold_in (&or, f)) {
      /* {path: {$in: [...]}} */
   } else if (kept == 0) {
      append_nothing (f);
   } else if (kept == 1) {
      bson_iter_init (&it, &or);
      bson_iter_next (&it);
      uint32_t len;
      const uint8_t *data;
      bson_iter_document (&it, &len, &data);
      bson_t one;
      bson_init_static (&one, data, len);
      bson_concat (f, &one);
   } else {
      bson_append_array (f, "$or", 3, &or);
   }
   bson_destroy (&arr);
   bson_destroy (&or);
   return true;
}

static bool
negation (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *arg, bson_t *f)
{
   bson_t sub = BSON_INITIALIZER;
   if (!tr (pl, rc, arg, &sub)) {
      bson_destroy (&sub);
      return false;
   }
   if (bson_empty (&sub)) {
      append_nothing (f); /* NOT TRUE */
   } else if (is_nothing (&sub)) {
      /* NOT FALSE: every document */
   } else {
      bson_t nor, one;
      bson_append_array_begin (f, "$nor", 4, &nor);
      bson_append_document_begin (&nor, "0", 1, &one);
      bson_concat (&one, &sub);
      bson_append_document_end (&nor, &one);
      bson_append_array_end (f, &nor);
   }
   bson_destroy (&sub);
   return true;
}

static NOINLINE bool
in_list (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_InExpr_t *in, bson_t *f)
{
   char buf[600];
   const char *path;
   if (!field_path (pl, rc, in->expr, buf, sizeof buf, &path)) {
      return false;
   }
   if (!path) {
      return via_expr (pl, rc, &in->node, f);
   }
   bson_t values = BSON_INITIALIZER;
   for (int32_t i = 0; i < in->list->length; i++) {
      bql_val_t v;
      bql_eval_rc_t r = value_of (pl, rc, in->list->items[i], &v);
      if (r == BQL_EVAL_ERROR) {
         bson_destroy (&values);
         return false;
      }
      if (r == BQL_EVAL_FIELD) {
         bson_destroy (&values);
         return via_expr (pl, rc, &in->node, f);
      }
      char kb[16];
      const char *k;
      bson_uint32_to_string ((uint32_t) i, &k, kb, sizeof kb);
      bson_append_value (&values, k, -1, &v.v);
      bql_val_destroy (&v);
   }
   bson_t sub;
   bson_append_document_begin (f, path, -1, &sub);
   bson_append_array (&sub, in->negated ? "$nin" : "$in", -1, &values);
   bson_append_document_end (f, &sub);
   bson_destroy (&values);
   return true;
}

static NOINLINE bool
between (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_BetweenExpr_t *bt, bson_t *f)
{
   char buf[600];
   const char *path;
   if (!field_path (pl, rc, bt->expr, buf, sizeof buf, &path)) {
      return false;
   }
   if (!path) {
      return via_expr (pl, rc, &bt->node, f);
   }
   bql_val_t lo, hi;
   bql_eval_rc_t r1 = value_of (pl, rc, bt->low, &lo);
   if (r1 == BQL_EVAL_ERROR) {
      return false;
   }
   bql_eval_rc_t r2 = value_of (pl, rc, bt->high, &hi);
   if (r2 == BQL_EVAL_ERROR) {
      if (r1 == BQL_EVAL_OK) {
         bql_val_destroy (&lo);
      }
      return false;
   }
   if (r1 != BQL_EVAL_OK || r2 != BQL_EVAL_OK) {
      if (r1 == BQL_EVAL_OK) {
         bql_val_destroy (&lo);
      }
      if (r2 == BQL_EVAL_OK) {
         bql_val_destroy (&hi);
      }
      return via_expr (pl, rc, &bt->node, f);
   }
   if (bql_val_is_null (&lo) || bql_val_is_null (&hi)) {
      bql_val_destroy (&lo);
      bql_val_destroy (&hi);
      if (bt->negated) {
         return bql_plan_error (pl, &bt->node, BQL_ERR_UNTRANSLATABLE, NULL, "NOT BETWEEN with a NULL bound is never true");
      }
      append_nothing (f);
      return true;
   }
   bson_t sub, range;
   bson_t *r = &sub;
   bson_append_document_begin (f, path, -1, &sub);
   if (bt->negated) {
      bson_append_document_begin (&sub, "$not", 4, &range);
      r = &range;
   }
   bson_append_value (r, "$gte", 4, &lo.v);
   bson_append_value (r, "$lte", 4, &hi.v);
   if (bt->negated) {
      bson_append_document_end (&sub, &range);
   }
   bson_append_document_end (f, &sub);
   bql_val_destroy (&lo);
   bql_val_destroy (&hi);
   return true;
}

static NOINLINE bool
like (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_LikeExpr_t *lk, bson_t *f)
{
   char buf[600];
   const char *path;
   if (!field_path (pl, rc, lk->expr, buf, sizeof buf, &path)) {
      return false;
   }
   bql_val_t p;
   bql_eval_rc_t r = value_of (pl, rc, lk->pattern, &p);
   if (r == BQL_EVAL_ERROR) {
      return false;
   }
   if (r != BQL_EVAL_OK) {
      return bql_plan_error (pl, lk->pattern, BQL_ERR_UNTRANSLATABLE, "Write the pattern as a string: name LIKE 'A%'.",
                             "the LIKE pattern must be a value, not a stored field");
   }
   if (!path) {
      bql_val_destroy (&p);
      return via_expr (pl, rc, &lk->node, f);
   }
   if (bql_val_is_null (&p)) {
      bql_val_destroy (&p);
      append_nothing (f);
      return true;
   }
   if (p.v.value_type != BSON_TYPE_UTF8) {
      bql_val_destroy (&p);
      return bql_plan_error (pl, lk->pattern, BQL_ERR_TYPE, NULL, "the LIKE pattern must be a string");
   }
   char *re = bql_like_to_regex (p.v.value.v_utf8.str, p.v.value.v_utf8.len);
   bql_val_destroy (&p);
   bson_t sub, neg;
   bson_append_document_begin (f, path, -1, &sub);
   if (lk->negated) {
      bson_append_document_begin (&sub, "$not", 4, &neg);
      BSON_APPEND_UTF8 (&neg, "$regex", re);
      BSON_APPEND_UTF8 (&neg, "$options", "s");
      bson_append_document_end (&sub, &neg);
   } else {
      BSON_APPEND_UTF8 (&sub, "$regex", re);
      BSON_APPEND_UTF8 (&sub, "$options", "s");
   }
   bson_append_document_end (f, &sub);
   bson_free (re);
   return true;
}

static bool
tr (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *c, bson_t *f)
{
   /* Decided on the client when it reads no stored field. */
   bql_val_t v;
   bql_eval_rc_t r = bql_eval (pl, rc, c, &v);
   if (r == BQL_EVAL_ERROR) {
      return false;
   }
   if (r == BQL_EVAL_OK) {
      bql_val_destroy (&v);
      return constant (pl, rc, c, f);
   }

   switch (c->kind) {
   case BQL_T_BinaryExpr: {
      const bql_BinaryExpr_t *b = bql_cast (BinaryExpr, c);
      switch (b->op) {
      case BQL_OP_EQ:
      case BQL_OP_NE:
      case BQL_OP_LT:
      case BQL_OP_LE:
      case BQL_OP_GT:
      case BQL_OP_GE:
         return comparison (pl, rc, b, f);
      default:
         return bql_plan_error (pl, c, BQL_ERR_UNTRANSLATABLE, "A condition compares values: price * qty > 100.",
                                "\"%s\" does not give a condition", bql_binary_op_name (b->op));
      }
   }
   case BQL_T_BoolExpr:
      return bql_cast (BoolExpr, c)->op == BQL_OP_AND ? conjunction (pl, rc, c, f) : disjunction (pl, rc, c, f);
   case BQL_T_UnaryExpr: {
      const bql_UnaryExpr_t *u = bql_cast (UnaryExpr, c);
      if (u->op == BQL_UOP_NOT) {
         return negation (pl, rc, u->arg, f);
      }
      return bql_plan_error (pl, c, BQL_ERR_UNTRANSLATABLE, NULL, "a number is not a condition");
   }
   case BQL_T_ColumnRef:
   case BQL_T_FuncCall: {
      char buf[600];
      const char *path;
      if (!field_path (pl, rc, c, buf, sizeof buf, &path)) {
         return false;
      }
      if (path) {
         /* a boolean field on its own: WHERE active */
         bson_t sub;
         bson_append_document_begin (f, path, -1, &sub);
         BSON_APPEND_BOOL (&sub, "$eq", true);
         bson_append_document_end (f, &sub);
         return true;
      }
      if (bql_is (c, FuncCall)) {
         const bql_function_t *fn = bql_function_lookup (bql_cast (FuncCall, c)->name);
         if (fn && fn->filter) {
            return fn->filter (pl, rc, bql_cast (FuncCall, c), f);
         }
         /* let the translator report unknown functions precisely */
         bson_t scratch = BSON_INITIALIZER;
         bool ok = bql_translate_agg (pl, rc, c, &scratch, "x");
         bson_destroy (&scratch);
         if (!ok) {
            return false;
         }
      }
      return bql_plan_error (pl, c, BQL_ERR_UNTRANSLATABLE, NULL, "this expression does not give a condition");
   }
   case BQL_T_InExpr:
      return in_list (pl, rc, bql_cast (InExpr, c), f);
   case BQL_T_BetweenExpr:
      return between (pl, rc, bql_cast (BetweenExpr, c), f);
   case BQL_T_LikeExpr:
      return like (pl, rc, bql_cast (LikeExpr, c), f);
   case BQL_T_NullTest: {
      const bql_NullTest_t *nt = bql_cast (NullTest, c);
      char buf[600];
      const char *path;
      if (!field_path (pl, rc, nt->expr, buf, sizeof buf, &path)) {
         return false;
      }
      if (!path) {
         return via_expr (pl, rc, c, f);
      }
      bson_t sub;
      bson_append_document_begin (f, path, -1, &sub);
      BSON_APPEND_NULL (&sub, nt->negated ? "$ne" : "$eq");
      bson_append_document_end (f, &sub);
      return true;
   }
   case BQL_T_ExistsExpr: {
      const bql_ExistsExpr_t *ex = bql_cast (ExistsExpr, c);
      char buf[600];
      const char *path;
      if (!field_path (pl, rc, ex->path, buf, sizeof buf, &path)) {
         return false;
      }
      if (!path) {
         return bql_plan_error (pl, ex->path, BQL_ERR_UNTRANSLATABLE, "EXISTS takes a field path: EXISTS(address.city).",
                                "EXISTS needs a field path");
      }
      bson_t sub;
      bson_append_document_begin (f, path, -1, &sub);
      BSON_APPEND_BOOL (&sub, "$exists", true);
      bson_append_document_end (f, &sub);
      return true;
   }
   case BQL_T_CaseExpr:
      return via_expr (pl, rc, c, f);
   default:
      return bql_plan_error (pl, c, BQL_ERR_UNTRANSLATABLE, NULL, "%s is not a condition", bql_node_kind_name (c->kind));
   }
}

bool
bql_translate_filter (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *cond, bson_t *filter)
{
   return tr (pl, rc, cond, filter);
}
