/*
 * eval.c — computing expressions on the client: literals, parameters,
 * incoming-row values, arithmetic, dates and intervals, comparisons,
 * LIKE, CASE and three-valued conditions; function calls go through the
 * table of functions.c. Whatever depends only on constants and the
 * incoming row is computed here, once per statement or once per row; an
 * expression that reads a field of the stored document answers
 * BQL_EVAL_FIELD so the caller can lower it to a query operator, an
 * update operator or an aggregation expression instead. Also what the
 * translators ask about expressions: does it read the row or a stored
 * field, which field path does it name.
 *
 * Semantics: SQL NULL is BSON null and propagates through arithmetic and
 * comparisons (unknown); integers stay int32 while they fit, then int64,
 * and overflow is an error; "/" always divides as doubles (as MongoDB's
 * $divide); strings compare bytewise (MongoDB's simple collation).
 *
 * Depth: eval recurses once per level of an expression, which the parser
 * bounds (BQL_MAX_NESTING); what data decides is walked with loops: a
 * chain of AND or OR is one BoolExpr node evaluated in a loop, the lists
 * of IN and of a call's arguments in loops, LIKE patterns (values.c) and
 * documents (bql_check_keys) without recursion.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "datetime.h"
#include "functions.h"
#include "json_doc.h"
#include "values.h"

/* Helpers of eval() that must not be inlined into it: eval recurses once
 * per level of an expression (up to BQL_MAX_NESTING), and their locals
 * (message buffers, bson_t) would make every level's frame larger. */
#define NOINLINE __attribute__ ((noinline))

/* ---- row references ---- */

static bool
prefix_is (const char *path, const char *word, bool icase, const char **rest)
{
   size_t n = strlen (word);
   if ((icase ? strncasecmp (path, word, n) : strncmp (path, word, n)) == 0 && path[n] == '.' && path[n + 1]) {
      *rest = path + n + 1;
      return true;
   }
   return false;
}

const char *
bql_row_column (const bql_row_ctx_t *rc, const bql_node_t *expr)
{
   if (!rc) {
      return NULL;
   }
   const char *rest;
   if (bql_is (expr, ColumnRef)) {
      const char *path = bql_cast (ColumnRef, expr)->path;
      if (rc->bare_is_row) {
         return path;
      }
      if (rc->excluded && prefix_is (path, "EXCLUDED", true, &rest)) {
         return rest;
      }
      if (rc->alias && prefix_is (path, rc->alias, false, &rest)) {
         return rest;
      }
   }
   if (rc->excluded && bql_is (expr, FuncCall)) {
      const bql_function_t *fn = bql_function_lookup (bql_cast (FuncCall, expr)->name);
      const bql_list_t *args = bql_cast (FuncCall, expr)->args;
      if (!fn || !fn->row_column) {
         return NULL;
      }
      if (args && args->length == 1 && bql_is (args->items[0], ColumnRef)) {
         return bql_cast (ColumnRef, args->items[0])->path;
      }
   }
   return NULL;
}

typedef struct {
   const bql_row_ctx_t *rc;
   bool found;
} row_walk_t;

static bool
row_walk_enter (const bql_node_t *node, int depth, void *ctx)
{
   (void) depth;
   row_walk_t *w = ctx;
   if (bql_row_column (w->rc, node)) {
      w->found = true;
      return false;
   }
   return !w->found;
}

bool
bql_refers_to_row (const bql_row_ctx_t *rc, const bql_node_t *expr)
{
   if (!rc) {
      return false;
   }
   row_walk_t w = {rc, false};
   bql_node_walk (expr, row_walk_enter, NULL, &w);
   return w.found;
}


const char *
bql_field_path (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *expr, char *buf, size_t size)
{
   if (bql_row_column (rc, expr)) {
      return NULL;
   }
   if (rc && rc->grouped) {
      const char *g;
      int r = rc->grouped (rc->grouped_ctx, expr, &g);
      if (r < 0) {
         return NULL;
      }
      if (r > 0) {
         if (strlen (g) + 1 > size) {
            return NULL;
         }
         memcpy (buf, g, strlen (g) + 1);
         return buf;
      }
   }
   if (bql_is (expr, ColumnRef)) {
      const char *path = bql_cast (ColumnRef, expr)->path;
      const char *rest;
      if (rc && rc->select) {
         /* SELECT: the source's name or alias as a qualifier */
         for (int i = 0; i < 2; i++) {
            if (rc->qualifier[i] && prefix_is (path, rc->qualifier[i], false, &rest)) {
               path = rest;
               break;
            }
         }
      } else if (pl->plan && pl->plan->collection && prefix_is (path, pl->plan->collection, false, &rest)) {
         path = rest;
      }
      if (strlen (path) + 1 > size) {
         return NULL;
      }
      memcpy (buf, path, strlen (path) + 1);
      return buf;
   }
   if (bql_is (expr, FuncCall)) {
      const bql_function_t *fn = bql_function_lookup (bql_cast (FuncCall, expr)->name);
      if (fn && fn->field_path) {
         return fn->field_path (pl, rc, bql_cast (FuncCall, expr), buf, size);
      }
   }
   return NULL;
}


/* ---- the evaluator ---- */

static bql_eval_rc_t eval (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *e, bql_val_t *out);

static NOINLINE bql_eval_rc_t
fail (bql_planner_t *pl, const bql_node_t *n, bql_error_code_t code, const char *hint, const char *msg)
{
   bql_plan_error (pl, n, code, hint, "%s", msg);
   return BQL_EVAL_ERROR;
}

static NOINLINE bql_eval_rc_t
eval_const (bql_planner_t *pl, const bql_Const_t *c, bql_val_t *out)
{
   const bql_node_t *n = &c->node;
   bql_val_init_null (out);
   switch ((bql_const_type) c->type) {
   case BQL_CONST_STRING: {
      size_t len = strlen (c->value);
      if (!bson_utf8_validate (c->value, len, false)) {
         return fail (pl, n, BQL_ERR_VALUE, NULL, "string literal is not valid UTF-8");
      }
      bql_val_set_string_owned (out, bson_strndup (c->value, len), len);
      return BQL_EVAL_OK;
   }
   case BQL_CONST_INTEGER: {
      errno = 0;
      long long v = strtoll (c->value, NULL, 10);
      if (errno == ERANGE) {
         return fail (pl, n, BQL_ERR_VALUE, "Use DECIMAL '...' for numbers beyond 64 bits.", "integer out of range");
      }
      bql_val_set_int (out, v);
      return BQL_EVAL_OK;
   }
   case BQL_CONST_FLOAT: {
      double d = strtod (c->value, NULL);
      if (!isfinite (d)) {
         return fail (pl, n, BQL_ERR_VALUE, "Use DECIMAL '...' for very large numbers.", "number out of range");
      }
      bql_val_set_double (out, d);
      return BQL_EVAL_OK;
   }
   case BQL_CONST_DECIMAL: {
      bson_decimal128_t dec;
      if (!bson_decimal128_from_string (c->value, &dec)) {
         return fail (pl, n, BQL_ERR_VALUE, NULL, "invalid DECIMAL literal");
      }
      out->v.value_type = BSON_TYPE_DECIMAL128;
      out->v.value.v_decimal128 = dec;
      return BQL_EVAL_OK;
   }
   case BQL_CONST_BOOLEAN:
      bql_val_set_bool (out, strcmp (c->value, "true") == 0);
      return BQL_EVAL_OK;
   case BQL_CONST_NULL:
      return BQL_EVAL_OK;
   case BQL_CONST_DATE:
   case BQL_CONST_TIMESTAMP: {
      int64_t ms;
      size_t len = strlen (c->value);
      bool date_only = c->type == BQL_CONST_DATE;
      if ((date_only && len != 10) || !bql_parse_iso8601 (c->value, len, &ms)) {
         return fail (pl, n, BQL_ERR_VALUE,
                      date_only ? "Write dates as DATE 'YYYY-MM-DD'."
                                : "Write timestamps in ISO 8601: TIMESTAMP '2024-01-15T10:30:00Z'.",
                      date_only ? "invalid DATE literal" : "invalid TIMESTAMP literal");
      }
      bql_val_set_date (out, ms);
      return BQL_EVAL_OK;
   }
   case BQL_CONST_INTERVAL:
      out->is_interval = true;
      if (!bql_parse_interval (c->value, &out->months, &out->ms)) {
         out->is_interval = false;
         return fail (pl, n, BQL_ERR_VALUE, "Write intervals as INTERVAL '7 days' or INTERVAL '1 year 2 months'.",
                      "invalid INTERVAL literal");
      }
      return BQL_EVAL_OK;
   case BQL_CONST_JSON: {
      /* One value, Extended JSON scalars ({"$date": ...}) typed, by the
       * rules of JSON in files (json_doc.h): a field name given twice, a
       * "$date" that is not ISO 8601 are errors; integers beyond int64
       * are doubles. */
      bql_json_error_t jerr;
      if (!bql_json_parse_value (c->value, strlen (c->value), &out->v, &jerr)) {
         char msg[700];
         const char *why = jerr.message;
         if ((jerr.code == BQL_JSON_INVALID || jerr.code == BQL_JSON_TOO_DEEP) && !strncmp (why, "invalid JSON: ", 14)) {
            why += 14;
         }
         snprintf (msg, sizeof msg, "invalid JSON literal: %s", why);
         bql_val_init_null (out);
         return fail (pl, n, BQL_ERR_VALUE,
                      jerr.code == BQL_JSON_BAD_DATE ? "Write dates in ISO 8601: {\"$date\": \"2024-01-15T10:30:00Z\"}."
                                                     : NULL,
                      msg);
      }
      if (out->v.value_type == BSON_TYPE_DOCUMENT || out->v.value_type == BSON_TYPE_ARRAY) {
         bson_t sub;
         bson_init_static (&sub, out->v.value.v_doc.data, out->v.value.v_doc.data_len);
         if (!bql_check_keys (pl, n, &sub, "a JSON literal")) {
            bql_val_destroy (out);
            return BQL_EVAL_ERROR;
         }
      }
      return BQL_EVAL_OK;
   }
   }
   return fail (pl, n, BQL_ERR_UNSUPPORTED, NULL, "unknown literal");
}

NOINLINE bql_eval_rc_t
bql_eval_row_column (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *e, const char *column, bql_val_t *out)
{
   bql_val_init_null (out);
   if (!rc->row) {
      /* planning without a row (EXPLAIN of a file source): the value is
       * known only at run time */
      return BQL_EVAL_FIELD;
   }
   bson_iter_t it, child;
   if (bson_iter_init (&it, rc->row) && bson_iter_find_descendant (&it, column, &child)) {
      bql_val_from_bson (out, bson_iter_value (&child));
      return BQL_EVAL_OK;
   }
   if (rc->missing_is_null) {
      return BQL_EVAL_OK;
   }
   char msg[300];
   snprintf (msg, sizeof msg, "the incoming row has no column \"%s\"", column);
   return fail (pl, e, BQL_ERR_VALUE, NULL, msg);
}

static NOINLINE bql_eval_rc_t
arith (bql_planner_t *pl, const bql_node_t *e, int op, const bql_val_t *a, const bql_val_t *b, bql_val_t *out)
{
   bql_val_init_null (out);
   if (bql_val_is_null (a) || bql_val_is_null (b)) {
      return BQL_EVAL_OK;
   }
   /* dates and intervals */
   if (bql_val_is_type (a, BSON_TYPE_DATE_TIME) && b->is_interval && (op == BQL_OP_ADD || op == BQL_OP_SUB)) {
      int s = op == BQL_OP_ADD ? 1 : -1;
      bql_val_set_date (out, bql_date_add (a->v.value.v_datetime, s * b->months, s * b->ms));
      return BQL_EVAL_OK;
   }
   if (a->is_interval && bql_val_is_type (b, BSON_TYPE_DATE_TIME) && op == BQL_OP_ADD) {
      bql_val_set_date (out, bql_date_add (b->v.value.v_datetime, a->months, a->ms));
      return BQL_EVAL_OK;
   }
   if (bql_val_is_type (a, BSON_TYPE_DATE_TIME) && bql_val_is_type (b, BSON_TYPE_DATE_TIME) && op == BQL_OP_SUB) {
      out->is_interval = true;
      out->ms = a->v.value.v_datetime - b->v.value.v_datetime;
      return BQL_EVAL_OK;
   }
   if (a->is_interval && b->is_interval && (op == BQL_OP_ADD || op == BQL_OP_SUB)) {
      int s = op == BQL_OP_ADD ? 1 : -1;
      out->is_interval = true;
      out->months = a->months + s * b->months;
      out->ms = a->ms + s * b->ms;
      return BQL_EVAL_OK;
   }
   if (bql_val_is_type (a, BSON_TYPE_DECIMAL128) || bql_val_is_type (b, BSON_TYPE_DECIMAL128)) {
      return fail (pl, e, BQL_ERR_UNSUPPORTED, "Compute with doubles, or let the server compute on stored fields.",
                   "not supported: arithmetic on DECIMAL values on the client");
   }
   if (!bql_val_is_number (a) || !bql_val_is_number (b)) {
      char msg[200];
      snprintf (msg, sizeof msg, "cannot apply \"%s\" to %s and %s", bql_binary_op_name (op), bql_val_type_name (a),
                bql_val_type_name (b));
      return fail (pl, e, BQL_ERR_TYPE, NULL, msg);
   }
   if (op == BQL_OP_DIV) {
      if (bql_val_double (b) == 0) {
         return fail (pl, e, BQL_ERR_VALUE, NULL, "division by zero");
      }
      bql_val_set_double (out, bql_val_double (a) / bql_val_double (b));
      return BQL_EVAL_OK;
   }
   if (bql_val_is_int (a) && bql_val_is_int (b)) {
      int64_t x = bql_val_int (a), y = bql_val_int (b), r = 0;
      bool overflow = false;
      switch (op) {
      case BQL_OP_ADD:
         overflow = __builtin_add_overflow (x, y, &r);
         break;
      case BQL_OP_SUB:
         overflow = __builtin_sub_overflow (x, y, &r);
         break;
      case BQL_OP_MUL:
         overflow = __builtin_mul_overflow (x, y, &r);
         break;
      case BQL_OP_MOD:
         if (y == 0) {
            return fail (pl, e, BQL_ERR_VALUE, NULL, "division by zero");
         }
         r = (y == -1) ? 0 : x % y;
         break;
      default:
         break;
      }
      if (overflow) {
         return fail (pl, e, BQL_ERR_VALUE, NULL, "integer out of range");
      }
      bql_val_set_int (out, r);
      return BQL_EVAL_OK;
   }
   double x = bql_val_double (a), y = bql_val_double (b), r = 0;
   switch (op) {
   case BQL_OP_ADD:
      r = x + y;
      break;
   case BQL_OP_SUB:
      r = x - y;
      break;
   case BQL_OP_MUL:
      r = x * y;
      break;
   case BQL_OP_MOD:
      if (y == 0) {
         return fail (pl, e, BQL_ERR_VALUE, NULL, "division by zero");
      }
      r = fmod (x, y);
      break;
   default:
      break;
   }
   if (!isfinite (r)) {
      return fail (pl, e, BQL_ERR_VALUE, NULL, "number out of range");
   }
   bql_val_set_double (out, r);
   return BQL_EVAL_OK;
}

static NOINLINE bql_eval_rc_t
concat2 (bql_planner_t *pl, const bql_node_t *e, const bql_val_t *a, const bql_val_t *b, bql_val_t *out)
{
   bql_val_init_null (out);
   if (bql_val_is_null (a) || bql_val_is_null (b)) {
      return BQL_EVAL_OK;
   }
   char *x, *y;
   if (!bql_val_text_or_error (pl, e, a, &x)) {
      return BQL_EVAL_ERROR;
   }
   if (!bql_val_text_or_error (pl, e, b, &y)) {
      bson_free (x);
      return BQL_EVAL_ERROR;
   }
   char *s = bson_strdup_printf ("%s%s", x, y);
   bql_val_set_string_owned (out, s, strlen (s));
   bson_free (x);
   bson_free (y);
   return BQL_EVAL_OK;
}

/* Result of a comparison operator as a three-valued boolean. */
static NOINLINE bql_eval_rc_t
cmp_op (bql_planner_t *pl, const bql_node_t *e, int op, const bql_val_t *a, const bql_val_t *b, bql_val_t *out)
{
   bql_val_init_null (out);
   int c = bql_val_compare (a, b);
   if (c == 2) {
      return BQL_EVAL_OK;
   }
   if (c == 4 && (op == BQL_OP_EQ || op == BQL_OP_NE)) {
      bql_val_set_bool (out, op == BQL_OP_NE);
      return BQL_EVAL_OK;
   }
   if (c >= 3) {
      char msg[200];
      snprintf (msg, sizeof msg, "cannot compare %s with %s", bql_val_type_name (a), bql_val_type_name (b));
      return fail (pl, e, BQL_ERR_TYPE, NULL, msg);
   }
   bool r = false;
   switch (op) {
   case BQL_OP_EQ:
      r = c == 0;
      break;
   case BQL_OP_NE:
      r = c != 0;
      break;
   case BQL_OP_LT:
      r = c < 0;
      break;
   case BQL_OP_LE:
      r = c <= 0;
      break;
   case BQL_OP_GT:
      r = c > 0;
      break;
   case BQL_OP_GE:
      r = c >= 0;
      break;
   default:
      break;
   }
   bql_val_set_bool (out, r);
   return BQL_EVAL_OK;
}

static NOINLINE bql_eval_rc_t
need_bool (bql_planner_t *pl, const bql_node_t *at, const bql_val_t *v, int *t)
{
   *t = bql_val_truth (v);
   if (*t == -2) {
      char msg[160];
      snprintf (msg, sizeof msg, "expected a condition, found %s", bql_val_type_name (v));
      return fail (pl, at, BQL_ERR_TYPE, NULL, msg);
   }
   return BQL_EVAL_OK;
}

static bql_eval_rc_t
eval_list (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_list_t *l, bql_val_t *vals)
{
   int32_t n = l ? l->length : 0;
   for (int32_t i = 0; i < n; i++) {
      bql_val_init_null (&vals[i]);
   }
   for (int32_t i = 0; i < n; i++) {
      bql_eval_rc_t r = eval (pl, rc, l->items[i], &vals[i]);
      if (r != BQL_EVAL_OK) {
         for (int32_t j = 0; j < i; j++) {
            bql_val_destroy (&vals[j]);
         }
         return r;
      }
   }
   return BQL_EVAL_OK;
}

static void
destroy_vals (bql_val_t *vals, int32_t n)
{
   for (int32_t i = 0; i < n; i++) {
      bql_val_destroy (&vals[i]);
   }
}

typedef struct {
   const bql_row_ctx_t *rc;
   bool found;
} field_walk_t;

static bool
field_walk_enter (const bql_node_t *node, int depth, void *ctx)
{
   (void) depth;
   field_walk_t *w = ctx;
   if (w->found) {
      return false;
   }
   if (bql_row_column (w->rc, node)) {
      return false;
   }
   if (bql_is (node, ColumnRef)) {
      w->found = true;
      return false;
   }
   return true;
}

/* Does e read a field of the stored document? (CASE and COALESCE are
 * evaluated lazily, so they ask before evaluating anything.) */
bool
bql_refers_to_field (const bql_row_ctx_t *rc, const bql_node_t *e)
{
   field_walk_t w = {rc, false};
   bql_node_walk (e, field_walk_enter, NULL, &w);
   return w.found;
}

/* A function call: looked up in the table (functions.c), its arity
 * checked, then its evaluator called, with its arguments evaluated first
 * unless it is lazy. */
static NOINLINE bql_eval_rc_t
eval_func (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_FuncCall_t *f, bql_val_t *out)
{
   bql_val_init_null (out);
   const bql_function_t *fn = bql_function_lookup (f->name);
   if (!fn) {
      bql_function_unknown (pl, f);
      return BQL_EVAL_ERROR;
   }
   if (!fn->accumulator && (f->star || f->distinct || f->filter)) {
      bql_plan_error (pl, &f->node, BQL_ERR_VALUE, NULL, "%s is not an aggregate function: %s applies to aggregates",
                      f->name, f->star ? "(*)" : f->distinct ? "DISTINCT" : "FILTER");
      return BQL_EVAL_ERROR;
   }
   if (f->star && strcasecmp (f->name, "COUNT") != 0) {
      bql_plan_error (pl, &f->node, BQL_ERR_VALUE, "Only COUNT(*) counts rows.", "%s(*) is not a function", f->name);
      return BQL_EVAL_ERROR;
   }
   if (!f->star && !bql_function_check_arity (pl, fn, f)) {
      return BQL_EVAL_ERROR;
   }
   bql_func_call_t call = {pl, rc, f, f->args ? f->args->length : 0, NULL};
   bql_eval_rc_t r;
   if (fn->lazy) {
      r = fn->eval (&call, out);
   } else {
      bql_val_t one;
      call.args = call.n <= 1 ? &one : bson_malloc (sizeof *call.args * (size_t) call.n);
      r = eval_list (pl, rc, f->args, call.args);
      if (r == BQL_EVAL_OK) {
         r = fn->eval (&call, out);
         destroy_vals (call.args, call.n);
      }
      if (call.args != &one) {
         bson_free (call.args);
      }
   }
   if (r != BQL_EVAL_OK) {
      bql_val_destroy (out);
   }
   return r;
}

/* A parameter: its bound value, or while only explaining the placeholder
 * ":name" or "?n". */
static NOINLINE bql_eval_rc_t
eval_param (bql_planner_t *pl, const bql_node_t *e, bql_val_t *out)
{
   const bql_ParamRef_t *p = bql_cast (ParamRef, e);
   char key[16];
   const char *name = p->name;
   if (!name) {
      snprintf (key, sizeof key, "%d", (int) p->number);
      name = key;
   }
   bson_iter_t it;
   if (!bson_iter_init_find (&it, &pl->plan->params, name) && pl->plan->placeholders) {
      /* EXPLAIN without a value: the plan shows the parameter as a
       * placeholder string ":name" or "?n" (it never runs) */
      char shown[140];
      snprintf (shown, sizeof shown, "%s%s", p->name ? ":" : "?", name);
      bson_value_t v = {.value_type = BSON_TYPE_UTF8};
      v.value.v_utf8.str = shown;
      v.value.v_utf8.len = (uint32_t) strlen (shown);
      bql_val_from_bson (out, &v);
      return BQL_EVAL_OK;
   }
   if (!bson_iter_init_find (&it, &pl->plan->params, name)) {
      char msg[200];
      if (p->name) {
         snprintf (msg, sizeof msg, "no value bound for parameter :%s", p->name);
      } else {
         snprintf (msg, sizeof msg, "no value bound for parameter %d (?)", (int) p->number);
      }
      return fail (pl, e, BQL_ERR_PARAM, NULL, msg);
   }
   bql_val_from_bson (out, bson_iter_value (&it));
   return BQL_EVAL_OK;
}

/* NOT x (three-valued), -x and +x. */
static NOINLINE bql_eval_rc_t
eval_unary (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *e, bql_val_t *out)
{
   const bql_UnaryExpr_t *u = bql_cast (UnaryExpr, e);
   bql_val_t a;
   bql_eval_rc_t r = eval (pl, rc, u->arg, &a);
   if (r != BQL_EVAL_OK) {
      return r;
   }
   if (u->op == BQL_UOP_NOT) {
      int t;
      r = need_bool (pl, u->arg, &a, &t);
      if (r == BQL_EVAL_OK && t >= 0) {
         bql_val_set_bool (out, !t);
      }
   } else if (bql_val_is_null (&a)) {
      /* NULL */
   } else if (a.is_interval) {
      *out = a;
      if (u->op == BQL_UOP_NEG) {
         out->months = -out->months;
         out->ms = -out->ms;
      }
      return BQL_EVAL_OK;
   } else if (bql_val_is_type (&a, BSON_TYPE_DECIMAL128)) {
      *out = a;
      if (u->op == BQL_UOP_NEG) {
         bql_decimal128_negate (&out->v.value.v_decimal128);
      }
      return BQL_EVAL_OK;
   } else if (!bql_val_is_number (&a)) {
      char msg[160];
      snprintf (msg, sizeof msg, "cannot negate %s", bql_val_type_name (&a));
      r = fail (pl, e, BQL_ERR_TYPE, NULL, msg);
   } else if (u->op == BQL_UOP_PLUS) {
      bql_val_from_bson (out, &a.v);
   } else if (bql_val_is_int (&a)) {
      if (bql_val_int (&a) == INT64_MIN) {
         r = fail (pl, e, BQL_ERR_VALUE, NULL, "integer out of range");
      } else {
         bql_val_set_int (out, -bql_val_int (&a));
      }
   } else {
      bql_val_set_double (out, -a.v.value.v_double);
   }
   bql_val_destroy (&a);
   return r;
}

/* a op b: both sides evaluated, then compared, joined or computed. */
static NOINLINE bql_eval_rc_t
eval_binary (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *e, bql_val_t *out)
{
   const bql_BinaryExpr_t *b = bql_cast (BinaryExpr, e);
   bql_val_t l, rv;
   bql_eval_rc_t r = eval (pl, rc, b->left, &l);
   if (r != BQL_EVAL_OK) {
      return r;
   }
   r = eval (pl, rc, b->right, &rv);
   if (r != BQL_EVAL_OK) {
      bql_val_destroy (&l);
      return r;
   }
   switch (b->op) {
   case BQL_OP_AND:
   case BQL_OP_OR: {
      int x, y;
      r = need_bool (pl, b->left, &l, &x);
      if (r == BQL_EVAL_OK) {
         r = need_bool (pl, b->right, &rv, &y);
      }
      if (r == BQL_EVAL_OK) {
         if (b->op == BQL_OP_AND) {
            if (x == 0 || y == 0) {
               bql_val_set_bool (out, false);
            } else if (x == 1 && y == 1) {
               bql_val_set_bool (out, true);
            }
         } else {
            if (x == 1 || y == 1) {
               bql_val_set_bool (out, true);
            } else if (x == 0 && y == 0) {
               bql_val_set_bool (out, false);
            }
         }
      }
      break;
   }
   case BQL_OP_EQ:
   case BQL_OP_NE:
   case BQL_OP_LT:
   case BQL_OP_LE:
   case BQL_OP_GT:
   case BQL_OP_GE:
      r = cmp_op (pl, e, b->op, &l, &rv, out);
      break;
   case BQL_OP_CONCAT:
      r = concat2 (pl, e, &l, &rv, out);
      break;
   default:
      r = arith (pl, e, b->op, &l, &rv, out);
      break;
   }
   bql_val_destroy (&l);
   bql_val_destroy (&rv);
   return r;
}

/* three-valued AND / OR over the operands in order: every operand is
 * evaluated first (its error, or FIELD, comes before any "expected a
 * condition"), then each is read as a truth value. A loop, not a
 * recursion: a chain of 100,000 terms is one node. */
static NOINLINE bql_eval_rc_t
eval_bool (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *e, bql_val_t *out)
{
   const bql_BoolExpr_t *b = bql_cast (BoolExpr, e);
   int32_t n = b->args->length;
   bql_val_t *vals = bson_malloc0 (sizeof *vals * (size_t) n);
   bql_eval_rc_t r = eval_list (pl, rc, b->args, vals);
   if (r != BQL_EVAL_OK) {
      bson_free (vals);
      return r;
   }
   int acc = b->op == BQL_OP_AND ? 1 : 0; /* 1 true, 0 false, -1 NULL */
   for (int32_t i = 0; i < n && r == BQL_EVAL_OK; i++) {
      int t;
      r = need_bool (pl, b->args->items[i], &vals[i], &t);
      if (r != BQL_EVAL_OK) {
         break;
      }
      if (b->op == BQL_OP_AND) {
         acc = t == 0 || acc == 0 ? 0 : (t == -1 || acc == -1 ? -1 : 1);
      } else {
         acc = t == 1 || acc == 1 ? 1 : (t == -1 || acc == -1 ? -1 : 0);
      }
   }
   if (r == BQL_EVAL_OK && acc >= 0) {
      bql_val_set_bool (out, acc == 1);
   }
   destroy_vals (vals, n);
   bson_free (vals);
   return r;
}

/* CASE [arg] WHEN ... THEN ... [ELSE ...] END, lazily: only the branch
 * taken is evaluated; FIELD when any part reads a stored field. */
static NOINLINE bql_eval_rc_t
eval_case (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *e, bql_val_t *out)
{
   const bql_CaseExpr_t *c = bql_cast (CaseExpr, e);
   if (bql_refers_to_field (rc, e)) {
      return BQL_EVAL_FIELD;
   }
   bql_val_t arg;
   bql_val_init_null (&arg);
   bql_eval_rc_t r = BQL_EVAL_OK;
   if (c->arg && (r = eval (pl, rc, c->arg, &arg)) != BQL_EVAL_OK) {
      return r;
   }
   for (int32_t i = 0; c->whens && i < c->whens->length; i++) {
      const bql_CaseWhen_t *w = bql_cast (CaseWhen, c->whens->items[i]);
      bql_val_t cond, test;
      if ((r = eval (pl, rc, w->condition, &cond)) != BQL_EVAL_OK) {
         break;
      }
      int t;
      if (c->arg) {
         r = cmp_op (pl, w->condition, BQL_OP_EQ, &arg, &cond, &test);
         bql_val_destroy (&cond);
         if (r != BQL_EVAL_OK) {
            break;
         }
         t = bql_val_truth (&test);
         bql_val_destroy (&test);
      } else {
         r = need_bool (pl, w->condition, &cond, &t);
         bql_val_destroy (&cond);
         if (r != BQL_EVAL_OK) {
            break;
         }
      }
      if (t == 1) {
         bql_val_destroy (&arg);
         return eval (pl, rc, w->result, out);
      }
   }
   bql_val_destroy (&arg);
   if (r != BQL_EVAL_OK) {
      return r;
   }
   if (c->default_result) {
      return eval (pl, rc, c->default_result, out);
   }
   return BQL_EVAL_OK;
}

/* x [NOT] IN (a, b, ...) = x = a OR x = b ..., three-valued. */
static NOINLINE bql_eval_rc_t
eval_in (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *e, bql_val_t *out)
{
   const bql_InExpr_t *in = bql_cast (InExpr, e);
   bql_val_t x;
   bql_eval_rc_t r = eval (pl, rc, in->expr, &x);
   if (r != BQL_EVAL_OK) {
      return r;
   }
   int32_t n = in->list->length;
   bql_val_t *vals = bson_malloc0 (sizeof *vals * (size_t) n);
   r = eval_list (pl, rc, in->list, vals);
   if (r == BQL_EVAL_OK) {
      /* x IN (a, b) = x = a OR x = b, three-valued */
      int result = 0;
      for (int32_t i = 0; i < n && r == BQL_EVAL_OK; i++) {
         bql_val_t t;
         r = cmp_op (pl, in->list->items[i], BQL_OP_EQ, &x, &vals[i], &t);
         if (r == BQL_EVAL_OK) {
            int tv = bql_val_truth (&t);
            if (tv == 1) {
               result = 1;
            } else if (tv == -1 && result == 0) {
               result = -1;
            }
            bql_val_destroy (&t);
         }
      }
      if (r == BQL_EVAL_OK && result >= 0) {
         bql_val_set_bool (out, in->negated ? !result : result);
      }
      destroy_vals (vals, n);
   }
   bson_free (vals);
   bql_val_destroy (&x);
   return r;
}

/* x [NOT] BETWEEN lo AND hi = x >= lo AND x <= hi, three-valued. */
static NOINLINE bql_eval_rc_t
eval_between (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *e, bql_val_t *out)
{
   const bql_BetweenExpr_t *bt = bql_cast (BetweenExpr, e);
   bql_val_t x, lo, hi, a, b;
   bql_eval_rc_t r = eval (pl, rc, bt->expr, &x);
   if (r != BQL_EVAL_OK) {
      return r;
   }
   if ((r = eval (pl, rc, bt->low, &lo)) != BQL_EVAL_OK) {
      bql_val_destroy (&x);
      return r;
   }
   if ((r = eval (pl, rc, bt->high, &hi)) != BQL_EVAL_OK) {
      bql_val_destroy (&x);
      bql_val_destroy (&lo);
      return r;
   }
   r = cmp_op (pl, e, BQL_OP_GE, &x, &lo, &a);
   if (r == BQL_EVAL_OK) {
      r = cmp_op (pl, e, BQL_OP_LE, &x, &hi, &b);
      if (r == BQL_EVAL_OK) {
         int ta = bql_val_truth (&a), tb = bql_val_truth (&b);
         if (ta == 0 || tb == 0) {
            bql_val_set_bool (out, bt->negated);
         } else if (ta == 1 && tb == 1) {
            bql_val_set_bool (out, !bt->negated);
         }
         bql_val_destroy (&b);
      }
      bql_val_destroy (&a);
   }
   bql_val_destroy (&x);
   bql_val_destroy (&lo);
   bql_val_destroy (&hi);
   return r;
}

/* s [NOT] LIKE pattern, on the client (values.c). */
static NOINLINE bql_eval_rc_t
eval_like (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *e, bql_val_t *out)
{
   const bql_LikeExpr_t *lk = bql_cast (LikeExpr, e);
   bql_val_t s, p;
   bql_eval_rc_t r = eval (pl, rc, lk->expr, &s);
   if (r != BQL_EVAL_OK) {
      return r;
   }
   if ((r = eval (pl, rc, lk->pattern, &p)) != BQL_EVAL_OK) {
      bql_val_destroy (&s);
      return r;
   }
   if (bql_val_is_null (&s) || bql_val_is_null (&p)) {
      /* NULL */
   } else if (!bql_val_is_type (&s, BSON_TYPE_UTF8) || !bql_val_is_type (&p, BSON_TYPE_UTF8)) {
      r = fail (pl, e, BQL_ERR_TYPE, NULL, "LIKE compares strings");
   } else {
      bool m = bql_like_match (s.v.value.v_utf8.str, s.v.value.v_utf8.len, p.v.value.v_utf8.str,
                               p.v.value.v_utf8.len);
      bql_val_set_bool (out, lk->negated ? !m : m);
   }
   bql_val_destroy (&s);
   bql_val_destroy (&p);
   return r;
}

/* x IS [NOT] NULL */
static NOINLINE bql_eval_rc_t
eval_null_test (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *e, bql_val_t *out)
{
   const bql_NullTest_t *nt = bql_cast (NullTest, e);
   bql_val_t x;
   bql_eval_rc_t r = eval (pl, rc, nt->expr, &x);
   if (r != BQL_EVAL_OK) {
      return r;
   }
   bool isnull = bql_val_is_null (&x);
   bql_val_destroy (&x);
   bql_val_set_bool (out, nt->negated ? !isnull : isnull);
   return BQL_EVAL_OK;
}

/* EXISTS(path): on the client only for a column of the incoming row. */
static NOINLINE bql_eval_rc_t
eval_exists (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *e, bql_val_t *out)
{
   const bql_ExistsExpr_t *ex = bql_cast (ExistsExpr, e);
   const char *c = bql_row_column (rc, ex->path);
   if (!c) {
      if (bql_is (ex->path, ColumnRef) || bql_is (ex->path, FuncCall)) {
         return BQL_EVAL_FIELD;
      }
      return fail (pl, ex->path, BQL_ERR_TYPE, "EXISTS takes a field path: EXISTS(address.city).",
                   "EXISTS needs a field path");
   }
   if (!rc->row) {
      return BQL_EVAL_FIELD;
   }
   bson_iter_t it, child;
   bql_val_set_bool (out, bson_iter_init (&it, rc->row) && bson_iter_find_descendant (&it, c, &child));
   return BQL_EVAL_OK;
}

static bql_eval_rc_t
eval (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *e, bql_val_t *out)
{
   bql_val_init_null (out);
   const char *col = bql_row_column (rc, e);
   if (col && !bql_is (e, FuncCall)) {
      return bql_eval_row_column (pl, rc, e, col, out);
   }
   switch (e->kind) {
   case BQL_T_Const:
      return eval_const (pl, bql_cast (Const, e), out);
   case BQL_T_ColumnRef:
      return BQL_EVAL_FIELD;
   case BQL_T_ParamRef:
      return eval_param (pl, e, out);
   case BQL_T_SpecialValue:
      if (bql_cast (SpecialValue, e)->kind == BQL_SV_CURRENT_DATE) {
         bql_val_set_date (out, bql_date_floor_day (pl->plan->now_ms));
      } else {
         bql_val_set_date (out, pl->plan->now_ms);
      }
      return BQL_EVAL_OK;
   case BQL_T_FuncCall:
      return eval_func (pl, rc, bql_cast (FuncCall, e), out);
   case BQL_T_UnaryExpr:
      return eval_unary (pl, rc, e, out);
   case BQL_T_BinaryExpr:
      return eval_binary (pl, rc, e, out);
   case BQL_T_BoolExpr:
      return eval_bool (pl, rc, e, out);
   case BQL_T_CaseExpr:
      return eval_case (pl, rc, e, out);
   case BQL_T_InExpr:
      return eval_in (pl, rc, e, out);
   case BQL_T_BetweenExpr:
      return eval_between (pl, rc, e, out);
   case BQL_T_LikeExpr:
      return eval_like (pl, rc, e, out);
   case BQL_T_NullTest:
      return eval_null_test (pl, rc, e, out);
   case BQL_T_ExistsExpr:
      return eval_exists (pl, rc, e, out);
   default:
      bql_plan_error (pl, e, BQL_ERR_UNSUPPORTED, NULL, "%s is not an expression", bql_node_kind_name (e->kind));
      return BQL_EVAL_ERROR;
   }
}

bql_eval_rc_t
bql_eval (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *expr, bql_val_t *out)
{
   return eval (pl, rc, expr, out);
}

bql_eval_rc_t
bql_eval_condition (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *cond, bool *result, bool *is_null)
{
   bql_val_t v;
   bql_eval_rc_t r = eval (pl, rc, cond, &v);
   if (r != BQL_EVAL_OK) {
      return r;
   }
   int t;
   r = need_bool (pl, cond, &v, &t);
   bql_val_destroy (&v);
   if (r == BQL_EVAL_OK) {
      *result = t == 1;
      *is_null = t == -1;
   }
   return r;
}

