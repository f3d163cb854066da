/*
 * update.c — SET lists as MongoDB update documents (SPEC §1 lowering):
 * x = value → $set, x = x + n → $inc, x = x * n → $mul, REMOVE x → $unset,
 * x = JSON_ARRAY_APPEND(x, '$', v) → $push, x = CURRENT_TIMESTAMP →
 * $currentDate, and anything else that reads stored fields → one
 * aggregation-pipeline update [{$set: {...}}] in which every item is
 * rewritten with the same meaning ($inc as $add on $ifNull(x, 0), REMOVE
 * as $$REMOVE, ...). Values that depend only on constants and the
 * incoming row are computed on the client.
 */
#include <string.h>
#include <strings.h>

#include "functions.h"

static bool
same_field (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *e, const char *path)
{
   char buf[600];
   const char *p = bql_field_path (pl, rc, e, buf, sizeof buf);
   return p && !strcmp (p, path);
}

/* The update operator a function call may become (functions.c), or
 * BQL_SET_EXPR. */
static bql_set_op_t
func_set_op (const bql_node_t *e)
{
   const bql_function_t *fn = bql_is (e, FuncCall) ? bql_function_lookup (bql_cast (FuncCall, e)->name) : NULL;
   return fn ? fn->set_op : BQL_SET_EXPR;
}

/* CURRENT_TIMESTAMP, or a call that is $currentDate with no arguments
 * (NOW()). */
static bool
is_now (const bql_node_t *e)
{
   return (bql_is (e, SpecialValue) && bql_cast (SpecialValue, e)->kind == BQL_SV_CURRENT_TIMESTAMP) ||
          (func_set_op (e) == BQL_SET_NOW && !bql_cast (FuncCall, e)->args);
}

/* One prefix of the other, at a dot: "a" and "a.b" conflict. */
static bool
paths_conflict (const char *a, const char *b)
{
   size_t la = strlen (a), lb = strlen (b);
   size_t n = la < lb ? la : lb;
   if (strncmp (a, b, n) != 0) {
      return false;
   }
   return la == lb || (la < lb ? b[la] == '.' : a[lb] == '.');
}

static bool
check_path (bql_planner_t *pl, const bql_node_t *at, const char *path)
{
   for (const char *p = path; p; p = strchr (p, '.') ? strchr (p, '.') + 1 : NULL) {
      if (*p == '$') {
         return bql_plan_error (pl, at, BQL_ERR_VALUE, NULL, "field path \"%s\" has a part starting with '$'", path);
      }
   }
   return true;
}

bool
bql_plan_set_list (bql_planner_t *pl, const bql_list_t *set_clause, const bql_row_ctx_t *rc)
{
   bql_plan_t *plan = pl->building;
   int32_t n = set_clause ? set_clause->length : 0;
   plan->set = bson_malloc0 (sizeof *plan->set * (size_t) (n ? n : 1));
   plan->nset = 0;
   for (int32_t i = 0; i < n; i++) {
      const bql_SetItem_t *si = bql_cast (SetItem, set_clause->items[i]);
      bql_set_item_t *it = &plan->set[plan->nset];
      const char *path = si->path;
      const char *rest;
      /* SET products.price = ... names the target's field */
      size_t cl = strlen (plan->collection);
      if (!strncmp (path, plan->collection, cl) && path[cl] == '.' && path[cl + 1]) {
         rest = path + cl + 1;
         path = rest;
      }
      if (!check_path (pl, &si->node, path)) {
         return false;
      }
      if (!strcmp (path, "_id") || !strncmp (path, "_id.", 4)) {
         return bql_plan_error (pl, &si->node, BQL_ERR_VALUE, "An _id cannot change; insert a new document instead.",
                                "SET cannot assign _id");
      }
      for (size_t j = 0; j < plan->nset; j++) {
         if (paths_conflict (plan->set[j].path, path)) {
            return bql_plan_error (pl, &si->node, BQL_ERR_VALUE, "Assign each field once, and not a field together with a part of it.",
                                   "SET assigns \"%s\" and \"%s\" in one statement", plan->set[j].path, path);
         }
      }
      it->path = path;
      it->node = &si->node;
      it->value = si->value;
      plan->nset++;

      if (si->remove) {
         it->op = BQL_SET_UNSET;
         continue;
      }
      const bql_node_t *v = si->value;
      if (is_now (v)) {
         it->op = BQL_SET_NOW;
         continue;
      }
      if (!bql_refers_to_field (rc, v)) {
         it->op = BQL_SET_VALUE;
      } else if (bql_is (v, BinaryExpr)) {
         const bql_BinaryExpr_t *b = bql_cast (BinaryExpr, v);
         it->op = BQL_SET_EXPR;
         if (b->op == BQL_OP_ADD || b->op == BQL_OP_MUL) {
            if (same_field (pl, rc, b->left, path) && !bql_refers_to_field (rc, b->right)) {
               it->op = b->op == BQL_OP_ADD ? BQL_SET_INC : BQL_SET_MUL;
               it->value = b->right;
            } else if (same_field (pl, rc, b->right, path) && !bql_refers_to_field (rc, b->left)) {
               it->op = b->op == BQL_OP_ADD ? BQL_SET_INC : BQL_SET_MUL;
               it->value = b->left;
            }
         } else if (b->op == BQL_OP_SUB && same_field (pl, rc, b->left, path) && !bql_refers_to_field (rc, b->right)) {
            it->op = BQL_SET_INC;
            it->negate = true;
            it->value = b->right;
         }
      } else if (func_set_op (v) == BQL_SET_PUSH) {
         /* x = F(x, '$', v) with v not reading stored fields: $push */
         const bql_list_t *a = bql_cast (FuncCall, v)->args;
         it->op = BQL_SET_EXPR;
         if (a && a->length == 3 && same_field (pl, rc, a->items[0], path) && !bql_refers_to_field (rc, a->items[1]) &&
             !bql_refers_to_field (rc, a->items[2])) {
            bql_val_t p;
            bql_eval_rc_t r = bql_eval (pl, rc, a->items[1], &p);
            if (r == BQL_EVAL_ERROR) {
               return false;
            }
            if (r == BQL_EVAL_OK && !p.is_interval && p.v.value_type == BSON_TYPE_UTF8 && !strcmp (p.v.value.v_utf8.str, "$")) {
               it->op = BQL_SET_PUSH;
               it->value = a->items[2];
            }
            if (r == BQL_EVAL_OK) {
               bql_val_destroy (&p);
            }
         }
      } else {
         it->op = BQL_SET_EXPR;
      }
      if (it->op == BQL_SET_EXPR) {
         plan->pipeline = true;
      }
   }
   for (size_t j = 0; j < plan->nset; j++) {
      if (plan->set[j].op != BQL_SET_UNSET && bql_refers_to_row (rc, plan->set[j].value)) {
         plan->update_per_row = true;
      }
   }
   return true;
}

/* The operand of $inc / $mul: a number, computed on the client. */
static bool
numeric_operand (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_set_item_t *it, bql_val_t *v)
{
   bql_eval_rc_t r = bql_eval (pl, rc, it->value, v);
   if (r == BQL_EVAL_ERROR) {
      return false;
   }
   if (r == BQL_EVAL_FIELD) {
      /* a row value known only at run time (EXPLAIN of a file) */
      return true;
   }
   bson_type_t t = v->is_interval ? BSON_TYPE_EOD : v->v.value_type;
   if (t != BSON_TYPE_INT32 && t != BSON_TYPE_INT64 && t != BSON_TYPE_DOUBLE && t != BSON_TYPE_DECIMAL128) {
      bool ok = bql_plan_error (pl, it->value, BQL_ERR_TYPE, NULL, "%s needs a number, not %s",
                                it->op == BQL_SET_INC ? "x = x + n" : "x = x * n", bql_val_type_name (v));
      bql_val_destroy (v);
      return ok;
   }
   if (it->negate) {
      if (t == BSON_TYPE_INT32) {
         if (v->v.value.v_int32 == INT32_MIN) {
            v->v.value_type = BSON_TYPE_INT64;
            v->v.value.v_int64 = -(int64_t) INT32_MIN;
         } else {
            v->v.value.v_int32 = -v->v.value.v_int32;
         }
      } else if (t == BSON_TYPE_INT64) {
         if (v->v.value.v_int64 == INT64_MIN) {
            bql_val_destroy (v);
            return bql_plan_error (pl, it->value, BQL_ERR_VALUE, NULL, "integer out of range");
         }
         v->v.value.v_int64 = -v->v.value.v_int64;
      } else if (t == BSON_TYPE_DOUBLE) {
         v->v.value.v_double = -v->v.value.v_double;
      } else if (t == BSON_TYPE_DECIMAL128) {
         bql_decimal128_negate (&v->v.value.v_decimal128);
      }
   }
   return true;
}

/* Append the value of an item (client-computed, or a row placeholder). */
static bool
append_value (bql_planner_t *pl, const bql_row_ctx_t *rc, bson_t *doc, const char *key, const bql_node_t *e)
{
   bql_val_t v;
   bql_eval_rc_t r = bql_eval (pl, rc, e, &v);
   if (r == BQL_EVAL_ERROR) {
      return false;
   }
   if (r == BQL_EVAL_FIELD) {
      const char *col = bql_row_column (rc, e);
      char *ph = bson_strdup_printf ("<row.%s>", col ? col : "?");
      BSON_APPEND_UTF8 (doc, key, ph);
      bson_free (ph);
      return true;
   }
   bool ok = bql_append_val (pl, e, doc, key, &v);
   if (ok && (v.v.value_type == BSON_TYPE_DOCUMENT || v.v.value_type == BSON_TYPE_ARRAY)) {
      bson_t sub;
      bson_init_static (&sub, v.v.value.v_doc.data, v.v.value.v_doc.data_len);
      ok = bql_check_keys (pl, e, &sub, "a SET value");
   }
   bql_val_destroy (&v);
   return ok;
}

static bool
classic (bql_planner_t *pl, const bql_row_ctx_t *rc, bson_t *update)
{
   static const bql_set_op_t order[] = {BQL_SET_VALUE, BQL_SET_UNSET, BQL_SET_INC, BQL_SET_MUL, BQL_SET_PUSH, BQL_SET_NOW};
   static const char *const names[] = {"$set", "$unset", "$inc", "$mul", "$push", "$currentDate"};
   const bql_plan_t *plan = pl->plan;
   for (size_t o = 0; o < sizeof order / sizeof order[0]; o++) {
      bool any = false;
      bson_t group;
      for (size_t i = 0; i < plan->nset; i++) {
         const bql_set_item_t *it = &plan->set[i];
         if (it->op != order[o]) {
            continue;
         }
         if (!any) {
            bson_append_document_begin (update, names[o], -1, &group);
            any = true;
         }
         bool ok = true;
         switch (it->op) {
         case BQL_SET_VALUE:
         case BQL_SET_PUSH:
            ok = append_value (pl, rc, &group, it->path, it->value);
            break;
         case BQL_SET_UNSET:
            BSON_APPEND_UTF8 (&group, it->path, "");
            break;
         case BQL_SET_INC:
         case BQL_SET_MUL: {
            bql_val_t v;
            bql_val_init_null (&v);
            ok = numeric_operand (pl, rc, it, &v);
            if (ok && bql_val_is_null (&v)) {
               ok = append_value (pl, rc, &group, it->path, it->value);
            } else if (ok) {
               bson_append_value (&group, it->path, -1, &v.v);
               bql_val_destroy (&v);
            }
            break;
         }
         case BQL_SET_NOW: {
            bson_t t;
            bson_append_document_begin (&group, it->path, -1, &t);
            BSON_APPEND_UTF8 (&t, "$type", "date");
            bson_append_document_end (&group, &t);
            break;
         }
         default:
            break;
         }
         if (!ok) {
            bson_append_document_end (update, &group);
            return false;
         }
      }
      if (any) {
         bson_append_document_end (update, &group);
      }
   }
   return true;
}

/* {$op: [{$ifNull: ["$path", zero]}, operand]} */
static bool
pipeline_arith (bql_planner_t *pl, const bql_row_ctx_t *rc, bson_t *doc, const bql_set_item_t *it, const char *op)
{
   bson_t o, arr, ifn, ifa;
   bson_append_document_begin (doc, it->path, -1, &o);
   bson_append_array_begin (&o, op, -1, &arr);
   bson_append_document_begin (&arr, "0", -1, &ifn);
   bson_append_array_begin (&ifn, "$ifNull", -1, &ifa);
   char *ref = bson_strdup_printf ("$%s", it->path);
   BSON_APPEND_UTF8 (&ifa, "0", ref);
   bson_free (ref);
   BSON_APPEND_INT32 (&ifa, "1", 0);
   bson_append_array_end (&ifn, &ifa);
   bson_append_document_end (&arr, &ifn);
   bool ok;
   if (it->negate) {
      bson_t neg, na;
      bson_append_document_begin (&arr, "1", -1, &neg);
      bson_append_array_begin (&neg, "$multiply", -1, &na);
      BSON_APPEND_INT32 (&na, "0", -1);
      ok = bql_translate_agg (pl, rc, it->value, &na, "1");
      bson_append_array_end (&neg, &na);
      bson_append_document_end (&arr, &neg);
   } else {
      ok = bql_translate_agg (pl, rc, it->value, &arr, "1");
   }
   bson_append_array_end (&o, &arr);
   bson_append_document_end (doc, &o);
   return ok;
}

static bool
pipeline (bql_planner_t *pl, const bql_row_ctx_t *rc, bson_t *update)
{
   const bql_plan_t *plan = pl->plan;
   bson_t stage, set;
   bson_append_document_begin (update, "0", 1, &stage);
   bson_append_document_begin (&stage, "$set", 4, &set);
   bool ok = true;
   for (size_t i = 0; ok && i < plan->nset; i++) {
      const bql_set_item_t *it = &plan->set[i];
      switch (it->op) {
      case BQL_SET_VALUE:
      case BQL_SET_EXPR:
         ok = bql_translate_agg (pl, rc, it->value, &set, it->path);
         break;
      case BQL_SET_UNSET:
         BSON_APPEND_UTF8 (&set, it->path, "$$REMOVE");
         break;
      case BQL_SET_NOW:
         BSON_APPEND_UTF8 (&set, it->path, "$$NOW");
         break;
      case BQL_SET_INC:
         ok = pipeline_arith (pl, rc, &set, it, "$add");
         break;
      case BQL_SET_MUL:
         ok = pipeline_arith (pl, rc, &set, it, "$multiply");
         break;
      case BQL_SET_PUSH: {
         bson_t o, arr, ifn, ifa, empty, one;
         bson_append_document_begin (&set, it->path, -1, &o);
         bson_append_array_begin (&o, "$concatArrays", -1, &arr);
         bson_append_document_begin (&arr, "0", -1, &ifn);
         bson_append_array_begin (&ifn, "$ifNull", -1, &ifa);
         char *ref = bson_strdup_printf ("$%s", it->path);
         BSON_APPEND_UTF8 (&ifa, "0", ref);
         bson_free (ref);
         bson_append_array_begin (&ifa, "1", -1, &empty);
         bson_append_array_end (&ifa, &empty);
         bson_append_array_end (&ifn, &ifa);
         bson_append_document_end (&arr, &ifn);
         bson_append_array_begin (&arr, "1", -1, &one);
         ok = bql_translate_agg (pl, rc, it->value, &one, "0");
         bson_append_array_end (&arr, &one);
         bson_append_array_end (&o, &arr);
         bson_append_document_end (&set, &o);
         break;
      }
      }
   }
   bson_append_document_end (&stage, &set);
   bson_append_document_end (update, &stage);
   return ok;
}

bool
bql_build_pipeline_update (bql_planner_t *pl, const bql_row_ctx_t *rc, bson_t *update)
{
   return pipeline (pl, rc, update);
}

bool
bql_build_update (bql_planner_t *pl, const bql_row_ctx_t *rc, bson_t *update, bool *is_pipeline)
{
   *is_pipeline = pl->plan->pipeline;
   return pl->plan->pipeline ? pipeline (pl, rc, update) : classic (pl, rc, update);
}
