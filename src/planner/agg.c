/*
 * agg.c — expressions as MongoDB aggregation expressions, for pipeline
 * updates ([{$set: ...}]) and for $expr filters (comparisons between
 * fields, arithmetic in WHERE). Parts that do not read stored fields are
 * computed on the client and embedded as literals ({$literal: ...} for
 * strings, documents and arrays, so that data never acts as an operator or
 * a field path). Every construct either has an exact translation here or
 * is an error at its span.
 */
#include <string.h>
#include <strings.h>

#include "functions.h"

/* Helpers of tr() that must not be inlined into it: tr recurses once per
 * level of an expression (up to BQL_MAX_NESTING), and their locals would
 * make every level's frame larger. */
#define NOINLINE __attribute__ ((noinline))

char *
bql_like_to_regex (const char *p, size_t len)
{
   bql_buf_t b;
   bql_buf_init (&b);
   bql_buf_putc (&b, '^');
   for (size_t i = 0; i < len; i++) {
      char c = p[i];
      if (c == '%') {
         bql_buf_puts (&b, ".*");
      } else if (c == '_') {
         bql_buf_putc (&b, '.');
      } else {
         if (c == '\\' && i + 1 < len) {
            c = p[++i];
         }
         if (strchr ("\\.^$|?*+()[]{}/", c)) {
            bql_buf_putc (&b, '\\');
         }
         bql_buf_putc (&b, c);
      }
   }
   bql_buf_putc (&b, '$');
   size_t n;
   char *s = bql_buf_steal (&b, &n);
   char *r = s ? bson_strndup (s, n) : NULL;
   free (s);
   return r;
}

static bool tr (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *e, bson_t *doc, const char *key);

/* Append a client value as an aggregation literal. */
static NOINLINE bool
append_literal (bql_planner_t *pl, const bql_node_t *at, bson_t *doc, const char *key, const bql_val_t *v)
{
   if (v->is_interval) {
      return bql_plan_error (pl, at, BQL_ERR_TYPE, "Add the interval to a date: d + INTERVAL '1 day'.",
                             "an interval is not a value");
   }
   bson_type_t t = v->v.value_type;
   if (t == BSON_TYPE_UTF8 || t == BSON_TYPE_DOCUMENT || t == BSON_TYPE_ARRAY) {
      bson_t lit;
      bson_append_document_begin (doc, key, -1, &lit);
      bson_append_value (&lit, "$literal", -1, &v->v);
      bson_append_document_end (doc, &lit);
      return true;
   }
   return bson_append_value (doc, key, -1, &v->v);
}

bool
bql_agg_field_ref (bql_planner_t *pl, const bql_node_t *at, bson_t *doc, const char *key, const char *path)
{
   const char *p = path;
   while (p) {
      if (*p == '$') {
         return bql_plan_error (pl, at, BQL_ERR_VALUE, NULL, "field path \"%s\" has a part starting with '$'", path);
      }
      p = strchr (p, '.');
      if (p) {
         p++;
      }
   }
   char *ref = bson_strdup_printf ("$%s", path);
   BSON_APPEND_UTF8 (doc, key, ref);
   bson_free (ref);
   return true;
}

/* {op: [a, b]} */
static NOINLINE bool
binary (bql_planner_t *pl, const bql_row_ctx_t *rc, bson_t *doc, const char *key, const char *op,
        const bql_node_t *a, const bql_node_t *b)
{
   bson_t o, arr;
   bson_append_document_begin (doc, key, -1, &o);
   bson_append_array_begin (&o, op, -1, &arr);
   bool ok = tr (pl, rc, a, &arr, "0") && tr (pl, rc, b, &arr, "1");
   bson_append_array_end (&o, &arr);
   bson_append_document_end (doc, &o);
   return ok;
}

NOINLINE bool
bql_agg_nary (bql_planner_t *pl, const bql_row_ctx_t *rc, bson_t *doc, const char *key, const char *op, const bql_list_t *args,
      bool concat_args)
{
   bson_t o, arr;
   bson_append_document_begin (doc, key, -1, &o);
   bson_append_array_begin (&o, op, -1, &arr);
   bool ok = true;
   for (int32_t i = 0; ok && args && i < args->length; i++) {
      char kb[16];
      const char *k;
      bson_uint32_to_string ((uint32_t) i, &k, kb, sizeof kb);
      if (concat_args) {
         /* CONCAT skips NULLs and turns values into text */
         bson_t ifn, ifa, ts;
         bson_append_document_begin (&arr, k, -1, &ifn);
         bson_append_array_begin (&ifn, "$ifNull", -1, &ifa);
         bson_append_document_begin (&ifa, "0", -1, &ts);
         ok = tr (pl, rc, args->items[i], &ts, "$toString");
         bson_append_document_end (&ifa, &ts);
         BSON_APPEND_UTF8 (&ifa, "1", "");
         bson_append_array_end (&ifn, &ifa);
         bson_append_document_end (&arr, &ifn);
      } else {
         ok = tr (pl, rc, args->items[i], &arr, k);
      }
   }
   bson_append_array_end (&o, &arr);
   bson_append_document_end (doc, &o);
   return ok;
}

NOINLINE bool
bql_agg_unary (bql_planner_t *pl, const bql_row_ctx_t *rc, bson_t *doc, const char *key, const char *op, const bql_node_t *a)
{
   bson_t o;
   bson_append_document_begin (doc, key, -1, &o);
   bool ok = tr (pl, rc, a, &o, op);
   bson_append_document_end (doc, &o);
   return ok;
}

static const char *
cmp_name (int op)
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
   case BQL_OP_ADD:
      return "$add";
   case BQL_OP_SUB:
      return "$subtract";
   case BQL_OP_MUL:
      return "$multiply";
   case BQL_OP_DIV:
      return "$divide";
   case BQL_OP_MOD:
      return "$mod";
   case BQL_OP_AND:
      return "$and";
   case BQL_OP_OR:
      return "$or";
   default:
      return NULL;
   }
}

/* d +/- a constant interval: {$dateAdd: {startDate, unit, amount}} */
static NOINLINE bool
date_add (bql_planner_t *pl, const bql_row_ctx_t *rc, bson_t *doc, const char *key, const bql_node_t *date,
          const bql_val_t *iv, int sign)
{
   bson_t outer, inner;
   bool ok;
   if (iv->months && iv->ms) {
      /* both parts: months first, then milliseconds */
      bson_append_document_begin (doc, key, -1, &outer);
      bson_append_document_begin (&outer, "$dateAdd", -1, &inner);
      bql_val_t months = *iv;
      months.ms = 0;
      ok = date_add (pl, rc, &inner, "startDate", date, &months, sign);
      BSON_APPEND_UTF8 (&inner, "unit", "millisecond");
      BSON_APPEND_INT64 (&inner, "amount", sign * iv->ms);
      bson_append_document_end (&outer, &inner);
      bson_append_document_end (doc, &outer);
      return ok;
   }
   bson_append_document_begin (doc, key, -1, &outer);
   bson_append_document_begin (&outer, "$dateAdd", -1, &inner);
   ok = tr (pl, rc, date, &inner, "startDate");
   if (iv->months) {
      BSON_APPEND_UTF8 (&inner, "unit", "month");
      BSON_APPEND_INT64 (&inner, "amount", (int64_t) sign * iv->months);
   } else {
      BSON_APPEND_UTF8 (&inner, "unit", "millisecond");
      BSON_APPEND_INT64 (&inner, "amount", sign * iv->ms);
   }
   bson_append_document_end (&outer, &inner);
   bson_append_document_end (doc, &outer);
   return ok;
}

/* A function call over stored fields: the function's lowering from the
 * table (functions.c). A function without one (NOW, OBJECTID) or an
 * unknown one was refused by the evaluator with a precise message; ask
 * it again to get that message. */
static NOINLINE bool
tr_func (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_FuncCall_t *f, bson_t *doc, const char *key)
{
   const bql_node_t *e = &f->node;
   const bql_function_t *fn = bql_function_lookup (f->name);
   if (fn && fn->agg) {
      return fn->agg (pl, rc, f, doc, key);
   }
   bql_val_t v;
   if (bql_eval (pl, rc, e, &v) == BQL_EVAL_OK) {
      bool ok = append_literal (pl, e, doc, key, &v);
      bql_val_destroy (&v);
      return ok;
   }
   if (pl->error && pl->error->domain != BQL_ERROR_NONE) {
      return false;
   }
   return bql_plan_error (pl, e, BQL_ERR_UNTRANSLATABLE, NULL, "cannot translate %s over stored fields", f->name);
}

static bool
tr (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *e, bson_t *doc, const char *key)
{
   if (rc && rc->grouped) {
      /* after GROUP BY: an aggregate or a group key is a field of $group's output */
      const char *g;
      int r = rc->grouped (rc->grouped_ctx, e, &g);
      if (r < 0) {
         return false;
      }
      if (r > 0) {
         return bql_agg_field_ref (pl, e, doc, key, g);
      }
   }
   /* What the client can compute becomes a literal. */
   bql_val_t v;
   bql_eval_rc_t r = bql_eval (pl, rc, e, &v);
   if (r == BQL_EVAL_ERROR) {
      return false;
   }
   if (r == BQL_EVAL_OK) {
      bool ok = append_literal (pl, e, doc, key, &v);
      bql_val_destroy (&v);
      return ok;
   }
   const char *col = bql_row_column (rc, e);
   if (col && rc->row_variable) {
      /* $merge's whenMatched: the incoming document is $$new */
      char *ref = bson_strdup_printf ("$$%s.%s", rc->row_variable, col);
      BSON_APPEND_UTF8 (doc, key, ref);
      bson_free (ref);
      return true;
   }
   if (col) {
      /* a row value known only at run time (EXPLAIN of a file source) */
      char *ph = bson_strdup_printf ("<row.%s>", col);
      bson_t lit;
      bson_append_document_begin (doc, key, -1, &lit);
      BSON_APPEND_UTF8 (&lit, "$literal", ph);
      bson_append_document_end (doc, &lit);
      bson_free (ph);
      return true;
   }

   switch (e->kind) {
   case BQL_T_ColumnRef: {
      char buf[600];
      const char *path = bql_field_path (pl, rc, e, buf, sizeof buf);
      if (!path) {
         return bql_plan_error (pl, e, BQL_ERR_UNTRANSLATABLE, NULL, "field path too long");
      }
      return bql_agg_field_ref (pl, e, doc, key, path);
   }
   case BQL_T_BinaryExpr: {
      const bql_BinaryExpr_t *b = bql_cast (BinaryExpr, e);
      if (b->op == BQL_OP_CONCAT) {
         /* || is NULL when either side is NULL: $concat of $toString */
         bson_t o, arr, s0, s1;
         bson_append_document_begin (doc, key, -1, &o);
         bson_append_array_begin (&o, "$concat", -1, &arr);
         bson_append_document_begin (&arr, "0", -1, &s0);
         bool ok = tr (pl, rc, b->left, &s0, "$toString");
         bson_append_document_end (&arr, &s0);
         bson_append_document_begin (&arr, "1", -1, &s1);
         ok = ok && tr (pl, rc, b->right, &s1, "$toString");
         bson_append_document_end (&arr, &s1);
         bson_append_array_end (&o, &arr);
         bson_append_document_end (doc, &o);
         return ok;
      }
      if (b->op == BQL_OP_ADD || b->op == BQL_OP_SUB) {
         /* date +/- constant interval */
         bql_val_t iv;
         bql_eval_rc_t ri = bql_eval (pl, rc, b->right, &iv);
         if (ri == BQL_EVAL_ERROR) {
            return false;
         }
         if (ri == BQL_EVAL_OK && iv.is_interval) {
            return date_add (pl, rc, doc, key, b->left, &iv, b->op == BQL_OP_ADD ? 1 : -1);
         }
         if (ri == BQL_EVAL_OK) {
            bql_val_destroy (&iv);
         }
         if (b->op == BQL_OP_ADD) {
            ri = bql_eval (pl, rc, b->left, &iv);
            if (ri == BQL_EVAL_ERROR) {
               return false;
            }
            if (ri == BQL_EVAL_OK && iv.is_interval) {
               return date_add (pl, rc, doc, key, b->right, &iv, 1);
            }
            if (ri == BQL_EVAL_OK) {
               bql_val_destroy (&iv);
            }
         }
      }
      return binary (pl, rc, doc, key, cmp_name (b->op), b->left, b->right);
   }
   case BQL_T_BoolExpr: {
      /* a chain of AND (OR): one {$and: [...]} ({$or: [...]}) of its operands */
      const bql_BoolExpr_t *b = bql_cast (BoolExpr, e);
      return bql_agg_nary (pl, rc, doc, key, cmp_name (b->op), b->args, false);
   }
   case BQL_T_UnaryExpr: {
      const bql_UnaryExpr_t *u = bql_cast (UnaryExpr, e);
      if (u->op == BQL_UOP_NOT) {
         bson_t o, arr;
         bson_append_document_begin (doc, key, -1, &o);
         bson_append_array_begin (&o, "$not", -1, &arr);
         bool ok = tr (pl, rc, u->arg, &arr, "0");
         bson_append_array_end (&o, &arr);
         bson_append_document_end (doc, &o);
         return ok;
      }
      if (u->op == BQL_UOP_PLUS) {
         return tr (pl, rc, u->arg, doc, key);
      }
      bson_t o, arr;
      bson_append_document_begin (doc, key, -1, &o);
      bson_append_array_begin (&o, "$multiply", -1, &arr);
      BSON_APPEND_INT32 (&arr, "0", -1);
      bool ok = tr (pl, rc, u->arg, &arr, "1");
      bson_append_array_end (&o, &arr);
      bson_append_document_end (doc, &o);
      return ok;
   }
   case BQL_T_FuncCall:
      return tr_func (pl, rc, bql_cast (FuncCall, e), doc, key);
   case BQL_T_CaseExpr: {
      const bql_CaseExpr_t *c = bql_cast (CaseExpr, e);
      bson_t o, sw, branches;
      bool ok = true;
      bson_append_document_begin (doc, key, -1, &o);
      bson_append_document_begin (&o, "$switch", -1, &sw);
      bson_append_array_begin (&sw, "branches", -1, &branches);
      for (int32_t i = 0; ok && i < c->whens->length; i++) {
         const bql_CaseWhen_t *w = bql_cast (CaseWhen, c->whens->items[i]);
         char kb[16];
         const char *k;
         bson_uint32_to_string ((uint32_t) i, &k, kb, sizeof kb);
         bson_t br;
         bson_append_document_begin (&branches, k, -1, &br);
         if (c->arg) {
            ok = binary (pl, rc, &br, "case", "$eq", c->arg, w->condition);
         } else {
            ok = tr (pl, rc, w->condition, &br, "case");
         }
         ok = ok && tr (pl, rc, w->result, &br, "then");
         bson_append_document_end (&branches, &br);
      }
      bson_append_array_end (&sw, &branches);
      if (ok) {
         if (c->default_result) {
            ok = tr (pl, rc, c->default_result, &sw, "default");
         } else {
            BSON_APPEND_NULL (&sw, "default");
         }
      }
      bson_append_document_end (&o, &sw);
      bson_append_document_end (doc, &o);
      return ok;
   }
   case BQL_T_InExpr: {
      const bql_InExpr_t *in = bql_cast (InExpr, e);
      bson_t o, arr, list, neg, nega;
      bson_t *target = doc;
      const char *tkey = key;
      if (in->negated) {
         bson_append_document_begin (doc, key, -1, &neg);
         bson_append_array_begin (&neg, "$not", -1, &nega);
         target = &nega;
         tkey = "0";
      }
      bson_append_document_begin (target, tkey, -1, &o);
      bson_append_array_begin (&o, "$in", -1, &arr);
      bool ok = tr (pl, rc, in->expr, &arr, "0");
      bson_append_array_begin (&arr, "1", -1, &list);
      for (int32_t i = 0; ok && i < in->list->length; i++) {
         char kb[16];
         const char *k;
         bson_uint32_to_string ((uint32_t) i, &k, kb, sizeof kb);
         ok = tr (pl, rc, in->list->items[i], &list, k);
      }
      bson_append_array_end (&arr, &list);
      bson_append_array_end (&o, &arr);
      bson_append_document_end (target, &o);
      if (in->negated) {
         bson_append_array_end (&neg, &nega);
         bson_append_document_end (doc, &neg);
      }
      return ok;
   }
   case BQL_T_BetweenExpr: {
      const bql_BetweenExpr_t *bt = bql_cast (BetweenExpr, e);
      bson_t o, arr, neg, nega;
      bson_t *target = doc;
      const char *tkey = key;
      if (bt->negated) {
         bson_append_document_begin (doc, key, -1, &neg);
         bson_append_array_begin (&neg, "$not", -1, &nega);
         target = &nega;
         tkey = "0";
      }
      bson_append_document_begin (target, tkey, -1, &o);
      bson_append_array_begin (&o, "$and", -1, &arr);
      bool ok = binary (pl, rc, &arr, "0", "$gte", bt->expr, bt->low) &&
                binary (pl, rc, &arr, "1", "$lte", bt->expr, bt->high);
      bson_append_array_end (&o, &arr);
      bson_append_document_end (target, &o);
      if (bt->negated) {
         bson_append_array_end (&neg, &nega);
         bson_append_document_end (doc, &neg);
      }
      return ok;
   }
   case BQL_T_LikeExpr: {
      const bql_LikeExpr_t *lk = bql_cast (LikeExpr, e);
      bql_val_t p;
      bql_eval_rc_t rp = bql_eval (pl, rc, lk->pattern, &p);
      if (rp == BQL_EVAL_ERROR) {
         return false;
      }
      if (rp != BQL_EVAL_OK || p.is_interval || p.v.value_type != BSON_TYPE_UTF8) {
         if (rp == BQL_EVAL_OK) {
            bql_val_destroy (&p);
         }
         return bql_plan_error (pl, lk->pattern, BQL_ERR_UNTRANSLATABLE, NULL, "the LIKE pattern must be a string value");
      }
      char *re = bql_like_to_regex (p.v.value.v_utf8.str, p.v.value.v_utf8.len);
      bql_val_destroy (&p);
      bson_t o, rm, neg, nega;
      bson_t *target = doc;
      const char *tkey = key;
      if (lk->negated) {
         bson_append_document_begin (doc, key, -1, &neg);
         bson_append_array_begin (&neg, "$not", -1, &nega);
         target = &nega;
         tkey = "0";
      }
      bson_append_document_begin (target, tkey, -1, &o);
      bson_append_document_begin (&o, "$regexMatch", -1, &rm);
      bool ok = tr (pl, rc, lk->expr, &rm, "input");
      BSON_APPEND_UTF8 (&rm, "regex", re);
      BSON_APPEND_UTF8 (&rm, "options", "s");
      bson_append_document_end (&o, &rm);
      bson_append_document_end (target, &o);
      if (lk->negated) {
         bson_append_array_end (&neg, &nega);
         bson_append_document_end (doc, &neg);
      }
      bson_free (re);
      return ok;
   }
   case BQL_T_NullTest: {
      /* missing or null: {$eq: [{$ifNull: [x, null]}, null]} */
      const bql_NullTest_t *nt = bql_cast (NullTest, e);
      bson_t o, arr, ifn, ifa;
      bson_append_document_begin (doc, key, -1, &o);
      bson_append_array_begin (&o, nt->negated ? "$ne" : "$eq", -1, &arr);
      bson_append_document_begin (&arr, "0", -1, &ifn);
      bson_append_array_begin (&ifn, "$ifNull", -1, &ifa);
      bool ok = tr (pl, rc, nt->expr, &ifa, "0");
      BSON_APPEND_NULL (&ifa, "1");
      bson_append_array_end (&ifn, &ifa);
      bson_append_document_end (&arr, &ifn);
      BSON_APPEND_NULL (&arr, "1");
      bson_append_array_end (&o, &arr);
      bson_append_document_end (doc, &o);
      return ok;
   }
   case BQL_T_ExistsExpr: {
      const bql_ExistsExpr_t *ex = bql_cast (ExistsExpr, e);
      bson_t o, arr, ty;
      bson_append_document_begin (doc, key, -1, &o);
      bson_append_array_begin (&o, "$ne", -1, &arr);
      bson_append_document_begin (&arr, "0", -1, &ty);
      bool ok = tr (pl, rc, ex->path, &ty, "$type");
      bson_append_document_end (&arr, &ty);
      BSON_APPEND_UTF8 (&arr, "1", "missing");
      bson_append_array_end (&o, &arr);
      bson_append_document_end (doc, &o);
      return ok;
   }
   default:
      return bql_plan_error (pl, e, BQL_ERR_UNTRANSLATABLE, NULL, "cannot translate %s to a server-side expression",
                             bql_node_kind_name (e->kind));
   }
}

bool
bql_translate_agg (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *expr, bson_t *doc, const char *key)
{
   return tr (pl, rc, expr, doc, key);
}
