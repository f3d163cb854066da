/*
 * functions.c — the SQL functions, one row each in bql_functions[]
 * (functions.h), with their client evaluators and their lowerings to
 * aggregation expressions and query filters. What a function means on
 * the client and on the server is written side by side here: CONCAT
 * skips NULLs and $concat of {$ifNull: [{$toString: x}, ""]} does too;
 * LOWER and UPPER map ASCII only, as $toLower and $toUpper do.
 *
 * To add a function: write its evaluator (strict functions get their
 * arguments evaluated; lazy ones evaluate what they need), its lowering
 * if the server can compute it over stored fields, and add its row.
 * The evaluator (eval.c), the translators (agg.c, filter.c, update.c),
 * the unknown-function hint and the REPL's completion take it from there.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "functions.h"
#include "values.h"

static bql_eval_rc_t
fail (bql_planner_t *pl, const bql_node_t *n, bql_error_code_t code, const char *hint, const char *msg)
{
   bql_plan_error (pl, n, code, hint, "%s", msg);
   return BQL_EVAL_ERROR;
}

/* ---- JSON paths ---- */

/* JSON_EXTRACT's path '$.a.b[0]' as a dotted path "a.b.0"; false if it is
 * not of that form. */
static bool
json_path_to_dotted (const char *jp, char *out, size_t size)
{
   size_t o = 0;
   if (jp[0] != '$') {
      return false;
   }
   const char *p = jp + 1;
   while (*p) {
      const char *seg;
      size_t n;
      if (*p == '.') {
         p++;
         if (*p == '"') {
            seg = ++p;
            while (*p && *p != '"') {
               p++;
            }
            if (!*p) {
               return false;
            }
            n = (size_t) (p - seg);
            p++;
         } else {
            seg = p;
            while (*p && *p != '.' && *p != '[') {
               p++;
            }
            n = (size_t) (p - seg);
         }
      } else if (*p == '[') {
         seg = ++p;
         while (isdigit ((unsigned char) *p)) {
            p++;
         }
         n = (size_t) (p - seg);
         if (*p != ']' || n == 0) {
            return false;
         }
         p++;
      } else {
         return false;
      }
      if (n == 0 || memchr (seg, '$', 1) || o + n + 2 > size) {
         return false;
      }
      if (o) {
         out[o++] = '.';
      }
      memcpy (out + o, seg, n);
      o += n;
   }
   out[o] = '\0';
   return true;
}

/* Navigate a document or array value by a JSON path '$.a.b[0]'. */
static bql_eval_rc_t
json_extract (bql_planner_t *pl, const bql_node_t *at, const bql_val_t *doc, const char *jpath, bql_val_t *out)
{
   char dotted[512];
   bql_val_init_null (out);
   if (!json_path_to_dotted (jpath, dotted, sizeof dotted)) {
      return fail (pl, at, BQL_ERR_VALUE, "Paths look like '$.a.b' or '$.items[0].price'.", "invalid JSON path");
   }
   if (bql_val_is_null (doc)) {
      return BQL_EVAL_OK;
   }
   if (!dotted[0]) {
      bql_val_from_bson (out, &doc->v);
      return BQL_EVAL_OK;
   }
   if (!bql_val_is_type (doc, BSON_TYPE_DOCUMENT) && !bql_val_is_type (doc, BSON_TYPE_ARRAY)) {
      return BQL_EVAL_OK; /* MySQL: NULL when the path does not exist */
   }
   bson_t d;
   bson_iter_t it, child;
   bson_init_static (&d, doc->v.value.v_doc.data, doc->v.value.v_doc.data_len);
   if (bson_iter_init (&it, &d) && bson_iter_find_descendant (&it, dotted, &child)) {
      bql_val_from_bson (out, bson_iter_value (&child));
   }
   return BQL_EVAL_OK;
}

/* JSON_OBJECT's keys (vals[0], vals[2], ... of n values): the index of the
 * first key equal to an earlier one, or -1. Keys that are not strings are
 * skipped (they are refused on their own). Sorting the keys' indices makes
 * this O(n log n) where a lookup in the document built so far was O(n^2):
 * 40,000 pairs took 30 s (issue 12). */
typedef struct {
   const bql_val_t *v;
   int32_t index;
} key_ref_t;

static int
key_ref_cmp (const void *a, const void *b)
{
   const key_ref_t *x = a, *y = b;
   uint32_t lx = x->v->v.value.v_utf8.len, ly = y->v->v.value.v_utf8.len;
   int c = memcmp (x->v->v.value.v_utf8.str, y->v->v.value.v_utf8.str, lx < ly ? lx : ly);
   if (c == 0 && lx != ly) {
      c = lx < ly ? -1 : 1;
   }
   if (c == 0) {
      c = x->index < y->index ? -1 : x->index > y->index;
   }
   return c;
}

static int32_t
first_duplicate_key (const bql_val_t *vals, int32_t n)
{
   key_ref_t *keys = bson_malloc (sizeof *keys * (size_t) (n / 2 + 1));
   size_t nk = 0;
   for (int32_t i = 0; i + 1 < n; i += 2) {
      if (bql_val_is_type (&vals[i], BSON_TYPE_UTF8)) {
         keys[nk++] = (key_ref_t) {&vals[i], i};
      }
   }
   qsort (keys, nk, sizeof *keys, key_ref_cmp);
   int32_t first = -1;
   for (size_t k = 1; k < nk; k++) {
      const bson_value_t *a = &keys[k - 1].v->v, *b = &keys[k].v->v;
      if (a->value.v_utf8.len == b->value.v_utf8.len &&
          !memcmp (a->value.v_utf8.str, b->value.v_utf8.str, a->value.v_utf8.len) &&
          (first < 0 || keys[k].index < first)) {
         first = keys[k].index;
      }
   }
   bson_free (keys);
   return first;
}

/* ---- client evaluators ---- */

static bql_eval_rc_t
eval_coalesce (const bql_func_call_t *c, bql_val_t *out)
{
   if (bql_refers_to_field (c->rc, &c->f->node)) {
      return BQL_EVAL_FIELD; /* the server picks: $ifNull */
   }
   for (int32_t i = 0; i < c->n; i++) {
      bql_eval_rc_t r = bql_eval (c->pl, c->rc, c->f->args->items[i], out);
      if (r != BQL_EVAL_OK || !bql_val_is_null (out)) {
         return r;
      }
   }
   return BQL_EVAL_OK;
}

static bql_eval_rc_t
eval_concat (const bql_func_call_t *c, bql_val_t *out)
{
   bql_eval_rc_t r = BQL_EVAL_OK;
   bql_buf_t b;
   bql_buf_init (&b);
   for (int32_t i = 0; i < c->n && r == BQL_EVAL_OK; i++) {
      if (bql_val_is_null (&c->args[i])) {
         continue; /* CONCAT skips NULLs (PostgreSQL) */
      }
      char *t;
      r = bql_val_text_or_error (c->pl, c->f->args->items[i], &c->args[i], &t) ? BQL_EVAL_OK : BQL_EVAL_ERROR;
      if (r == BQL_EVAL_OK) {
         bql_buf_puts (&b, t);
         bson_free (t);
      }
   }
   if (r == BQL_EVAL_OK) {
      size_t len;
      char *s = bql_buf_steal (&b, &len);
      bql_val_set_string_owned (out, bson_strndup (s, len), len);
      free (s);
   }
   bql_buf_cleanup (&b);
   return r;
}

/* LOWER and UPPER: ASCII only, as MongoDB's $toLower/$toUpper. */
static bql_eval_rc_t
map_case (const bql_func_call_t *c, bool up, bql_val_t *out)
{
   const bql_val_t *v = &c->args[0];
   if (bql_val_is_null (v)) {
      return BQL_EVAL_OK;
   }
   if (!bql_val_is_type (v, BSON_TYPE_UTF8)) {
      char msg[160];
      snprintf (msg, sizeof msg, "%s takes a string, not %s", c->f->name, bql_val_type_name (v));
      return fail (c->pl, c->f->args->items[0], BQL_ERR_TYPE, NULL, msg);
   }
   size_t len = v->v.value.v_utf8.len;
   char *s = bson_strndup (v->v.value.v_utf8.str, len);
   for (size_t i = 0; i < len; i++) {
      unsigned char ch = (unsigned char) s[i];
      if (ch < 0x80) {
         s[i] = (char) (up ? toupper (ch) : tolower (ch));
      }
   }
   bql_val_set_string_owned (out, s, len);
   return BQL_EVAL_OK;
}

static bql_eval_rc_t
eval_lower (const bql_func_call_t *c, bql_val_t *out)
{
   return map_case (c, false, out);
}

static bql_eval_rc_t
eval_upper (const bql_func_call_t *c, bql_val_t *out)
{
   return map_case (c, true, out);
}

static bql_eval_rc_t
eval_now (const bql_func_call_t *c, bql_val_t *out)
{
   bql_val_set_date (out, c->pl->plan->now_ms);
   return BQL_EVAL_OK;
}

static bql_eval_rc_t
eval_objectid (const bql_func_call_t *c, bql_val_t *out)
{
   if (c->n == 0) {
      out->v.value_type = BSON_TYPE_OID;
      bson_oid_init (&out->v.value.v_oid, NULL);
      return BQL_EVAL_OK;
   }
   bql_val_t arg;
   bql_eval_rc_t r = bql_eval (c->pl, c->rc, c->f->args->items[0], &arg);
   if (r != BQL_EVAL_OK) {
      return r;
   }
   bool ok = bql_val_is_type (&arg, BSON_TYPE_UTF8) && arg.v.value.v_utf8.len == 24 &&
             bson_oid_is_valid (arg.v.value.v_utf8.str, 24);
   if (ok) {
      out->v.value_type = BSON_TYPE_OID;
      bson_oid_init_from_string (&out->v.value.v_oid, arg.v.value.v_utf8.str);
   }
   bql_val_destroy (&arg);
   if (!ok) {
      return fail (c->pl, c->f->args->items[0], BQL_ERR_VALUE, NULL, "OBJECTID needs 24 hexadecimal digits");
   }
   return BQL_EVAL_OK;
}

static bql_eval_rc_t
eval_json_object (const bql_func_call_t *c, bql_val_t *out)
{
   bql_eval_rc_t r = BQL_EVAL_OK;
   const bql_val_t *vals = c->args;
   bson_t doc = BSON_INITIALIZER;
   int32_t dup_at = first_duplicate_key (vals, c->n);
   for (int32_t i = 0; i + 1 < c->n && r == BQL_EVAL_OK; i += 2) {
      const bql_node_t *kn = c->f->args->items[i];
      if (!bql_val_is_type (&vals[i], BSON_TYPE_UTF8)) {
         r = fail (c->pl, kn, BQL_ERR_TYPE, NULL, "JSON_OBJECT keys must be strings");
      } else if (vals[i].v.value.v_utf8.str[0] == '$') {
         r = fail (c->pl, kn, BQL_ERR_VALUE, "Values are data: rename the key.", "JSON_OBJECT key starts with '$'");
      } else if (strlen (vals[i].v.value.v_utf8.str) != vals[i].v.value.v_utf8.len) {
         r = fail (c->pl, kn, BQL_ERR_VALUE, NULL, "JSON_OBJECT key contains a NUL character");
      } else if (i == dup_at) {
         r = fail (c->pl, kn, BQL_ERR_VALUE, NULL, "JSON_OBJECT key given twice");
      } else if (!bql_append_val (c->pl, c->f->args->items[i + 1], &doc, vals[i].v.value.v_utf8.str, &vals[i + 1])) {
         r = BQL_EVAL_ERROR;
      }
   }
   if (r == BQL_EVAL_OK) {
      bql_val_set_doc (out, &doc, false);
   } else {
      bson_destroy (&doc);
   }
   return r;
}

static bql_eval_rc_t
eval_json_array (const bql_func_call_t *c, bql_val_t *out)
{
   bson_t arr = BSON_INITIALIZER;
   for (int32_t i = 0; i < c->n; i++) {
      char key[16];
      const char *k;
      bson_uint32_to_string ((uint32_t) i, &k, key, sizeof key);
      if (!bql_append_val (c->pl, c->f->args->items[i], &arr, k, &c->args[i])) {
         bson_destroy (&arr);
         return BQL_EVAL_ERROR;
      }
   }
   bql_val_set_doc (out, &arr, true);
   return BQL_EVAL_OK;
}

static bql_eval_rc_t
eval_json_extract (const bql_func_call_t *c, bql_val_t *out)
{
   if (!bql_val_is_type (&c->args[1], BSON_TYPE_UTF8)) {
      return fail (c->pl, c->f->args->items[1], BQL_ERR_TYPE, "Write the path as a string: '$.a.b'.",
                   "JSON_EXTRACT needs a path string");
   }
   return json_extract (c->pl, c->f->args->items[1], &c->args[0], c->args[1].v.value.v_utf8.str, out);
}

static bql_eval_rc_t
eval_json_array_append (const bql_func_call_t *c, bql_val_t *out)
{
   const bql_val_t *vals = c->args;
   if (!bql_val_is_type (&vals[1], BSON_TYPE_UTF8) || strcmp (vals[1].v.value.v_utf8.str, "$") != 0) {
      return fail (c->pl, c->f->args->items[1], BQL_ERR_UNSUPPORTED,
                   "Append to the array itself: JSON_ARRAY_APPEND(tags, '$', 'new').",
                   "not supported: JSON_ARRAY_APPEND with a path other than '$'");
   }
   if (bql_val_is_null (&vals[0])) {
      return BQL_EVAL_OK;
   }
   if (!bql_val_is_type (&vals[0], BSON_TYPE_ARRAY)) {
      char msg[160];
      snprintf (msg, sizeof msg, "JSON_ARRAY_APPEND needs an array, not %s", bql_val_type_name (&vals[0]));
      return fail (c->pl, c->f->args->items[0], BQL_ERR_TYPE, NULL, msg);
   }
   if (vals[2].is_interval) {
      return fail (c->pl, c->f->args->items[2], BQL_ERR_TYPE, NULL, "an interval is not a value that can be stored");
   }
   bson_t old, arr = BSON_INITIALIZER;
   bson_init_static (&old, vals[0].v.value.v_doc.data, vals[0].v.value.v_doc.data_len);
   uint32_t count = 0;
   bson_iter_t it;
   bson_iter_init (&it, &old);
   while (bson_iter_next (&it)) {
      char key[16];
      const char *k;
      bson_uint32_to_string (count++, &k, key, sizeof key);
      bson_append_iter (&arr, k, -1, &it);
   }
   char key[16];
   const char *k;
   bson_uint32_to_string (count, &k, key, sizeof key);
   bson_append_value (&arr, k, -1, &vals[2].v);
   bql_val_set_doc (out, &arr, true);
   return BQL_EVAL_OK;
}

/* MySQL's VALUES(col) in ON DUPLICATE KEY UPDATE (and ON CONFLICT): the
 * incoming row's column. */
static bql_eval_rc_t
eval_values (const bql_func_call_t *c, bql_val_t *out)
{
   const char *col = bql_row_column (c->rc, &c->f->node);
   if (!col) {
      return fail (c->pl, &c->f->node, BQL_ERR_UNSUPPORTED,
                   "VALUES(col) names the incoming row in ON DUPLICATE KEY UPDATE and ON CONFLICT.",
                   "VALUES(col) is not valid here");
   }
   return bql_eval_row_column (c->pl, c->rc, &c->f->node, col, out);
}

/* ---- lowerings to aggregation expressions ---- */

static bool
agg_coalesce (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_FuncCall_t *f, bson_t *doc, const char *key)
{
   if (f->args->length == 1) {
      return bql_translate_agg (pl, rc, f->args->items[0], doc, key);
   }
   return bql_agg_nary (pl, rc, doc, key, "$ifNull", f->args, false);
}

static bool
agg_concat (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_FuncCall_t *f, bson_t *doc, const char *key)
{
   return bql_agg_nary (pl, rc, doc, key, "$concat", f->args, true);
}

static bool
agg_lower (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_FuncCall_t *f, bson_t *doc, const char *key)
{
   return bql_agg_unary (pl, rc, doc, key, "$toLower", f->args->items[0]);
}

static bool
agg_upper (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_FuncCall_t *f, bson_t *doc, const char *key)
{
   return bql_agg_unary (pl, rc, doc, key, "$toUpper", f->args->items[0]);
}

/* {k1: v1, ...}: the keys must be constant strings that the server takes
 * as field names (no '$' start, no '.'). */
static bool
agg_json_object (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_FuncCall_t *f, bson_t *doc, const char *key)
{
   int32_t n = f->args ? f->args->length : 0;
   bson_t o;
   bson_append_document_begin (doc, key, -1, &o);
   bool ok = true;
   for (int32_t i = 0; ok && i < n; i += 2) {
      bql_val_t k;
      bql_eval_rc_t r = bql_eval (pl, rc, f->args->items[i], &k);
      if (r == BQL_EVAL_ERROR) {
         ok = false;
      } else if (r != BQL_EVAL_OK || k.is_interval || k.v.value_type != BSON_TYPE_UTF8) {
         ok = bql_plan_error (pl, f->args->items[i], BQL_ERR_UNTRANSLATABLE, NULL,
                              "JSON_OBJECT keys must be constant strings");
      } else if (k.v.value.v_utf8.str[0] == '$' || strchr (k.v.value.v_utf8.str, '.')) {
         ok = bql_plan_error (pl, f->args->items[i], BQL_ERR_VALUE, NULL,
                              "JSON_OBJECT key \"%s\" cannot start with '$' or contain '.' in a server-side expression",
                              k.v.value.v_utf8.str);
      } else {
         ok = bql_translate_agg (pl, rc, f->args->items[i + 1], &o, k.v.value.v_utf8.str);
      }
      if (r == BQL_EVAL_OK) {
         bql_val_destroy (&k);
      }
   }
   bson_append_document_end (doc, &o);
   return ok;
}

static bool
agg_json_array (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_FuncCall_t *f, bson_t *doc, const char *key)
{
   int32_t n = f->args ? f->args->length : 0;
   bson_t arr;
   bson_append_array_begin (doc, key, -1, &arr);
   bool ok = true;
   for (int32_t i = 0; ok && i < n; i++) {
      char kb[16];
      const char *k;
      bson_uint32_to_string ((uint32_t) i, &k, kb, sizeof kb);
      ok = bql_translate_agg (pl, rc, f->args->items[i], &arr, k);
   }
   bson_append_array_end (doc, &arr);
   return ok;
}

/* A field path: "$details.a.b". */
static bool
agg_json_extract (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_FuncCall_t *f, bson_t *doc, const char *key)
{
   char buf[600];
   const char *path = bql_field_path (pl, rc, &f->node, buf, sizeof buf);
   if (!path) {
      return bql_plan_error (pl, &f->node, BQL_ERR_UNTRANSLATABLE,
                             "JSON_EXTRACT reads a field path: JSON_EXTRACT(details, '$.a.b').",
                             "cannot translate JSON_EXTRACT of a computed value");
   }
   return bql_agg_field_ref (pl, &f->node, doc, key, path);
}

/* {$concatArrays: [a, [v]]} */
static bool
agg_json_array_append (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_FuncCall_t *f, bson_t *doc,
                       const char *key)
{
   bql_val_t p;
   bql_eval_rc_t r = bql_eval (pl, rc, f->args->items[1], &p);
   bool dollar = r == BQL_EVAL_OK && !p.is_interval && p.v.value_type == BSON_TYPE_UTF8 && !strcmp (p.v.value.v_utf8.str, "$");
   if (r == BQL_EVAL_OK) {
      bql_val_destroy (&p);
   }
   if (r == BQL_EVAL_ERROR) {
      return false;
   }
   if (!dollar) {
      return bql_plan_error (pl, f->args->items[1], BQL_ERR_UNSUPPORTED,
                             "Append to the array itself: JSON_ARRAY_APPEND(tags, '$', 'new').",
                             "not supported: JSON_ARRAY_APPEND with a path other than '$'");
   }
   bson_t o, arr, one;
   bson_append_document_begin (doc, key, -1, &o);
   bson_append_array_begin (&o, "$concatArrays", -1, &arr);
   bool ok = bql_translate_agg (pl, rc, f->args->items[0], &arr, "0");
   bson_append_array_begin (&arr, "1", -1, &one);
   ok = ok && bql_translate_agg (pl, rc, f->args->items[2], &one, "0");
   bson_append_array_end (&arr, &one);
   bson_append_array_end (&o, &arr);
   bson_append_document_end (doc, &o);
   return ok;
}

/* ---- lowerings to query filters ---- */

/* WHERE COALESCE(flag, default): {$expr: {$ifNull: [...]}} */
static bool
filter_via_expr (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_FuncCall_t *f, bson_t *filter)
{
   return bql_translate_agg (pl, rc, &f->node, filter, "$expr");
}

/* ---- names of stored fields ---- */

/* JSON_EXTRACT(path-of-a-field, '$.a.b') names the field "path.a.b". */
static const char *
path_json_extract (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_FuncCall_t *f, char *buf, size_t size)
{
   const bql_list_t *args = f->args;
   if (!args || args->length != 2 || !bql_is (args->items[1], Const) ||
       bql_cast (Const, args->items[1])->type != BQL_CONST_STRING) {
      return NULL;
   }
   char inner[512];
   const char *base = bql_field_path (pl, rc, args->items[0], inner, sizeof inner);
   char rest[512];
   if (!base || !json_path_to_dotted (bql_cast (Const, args->items[1])->value, rest, sizeof rest)) {
      return NULL;
   }
   int n = rest[0] ? snprintf (buf, size, "%s.%s", base, rest) : snprintf (buf, size, "%s", base);
   return n > 0 && (size_t) n < size ? buf : NULL;
}

/* ---- dates: DATE(ts), DATE_TRUNC(unit, ts) ---- */

static bql_eval_rc_t
trunc_to (const bql_func_call_t *c, const bql_val_t *d, const bql_node_t *at, const char *unit, bql_val_t *out)
{
   if (bql_val_is_null (d)) {
      return BQL_EVAL_OK;
   }
   int64_t ms;
   if (!bql_val_is_type (d, BSON_TYPE_DATE_TIME)) {
      bql_plan_error (c->pl, at, BQL_ERR_TYPE, NULL, "%s takes a date, not %s", c->f->name, bql_val_type_name (d));
      return BQL_EVAL_ERROR;
   }
   if (!bql_date_trunc (d->v.value.v_datetime, unit, &ms)) {
      return fail (c->pl, c->f->args->items[0], BQL_ERR_VALUE,
                   "Units are year, quarter, month, week, day, hour, minute and second.", "unknown DATE_TRUNC unit");
   }
   bql_val_set_date (out, ms);
   return BQL_EVAL_OK;
}

static bql_eval_rc_t
eval_date (const bql_func_call_t *c, bql_val_t *out)
{
   return trunc_to (c, &c->args[0], c->f->args->items[0], "day", out);
}

/* DATE_TRUNC's unit: a constant string naming a unit ("day"), or NULL
 * with the error recorded. */
static const char *
trunc_unit (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_FuncCall_t *f, char *buf, size_t size)
{
   static const char *const units[] = {"year", "quarter", "month", "week", "day", "hour", "minute", "second"};
   bql_val_t u;
   bql_eval_rc_t r = bql_eval (pl, rc, f->args->items[0], &u);
   if (r == BQL_EVAL_ERROR) {
      return NULL;
   }
   const char *found = NULL;
   if (r == BQL_EVAL_OK && bql_val_is_type (&u, BSON_TYPE_UTF8)) {
      for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
         if (!strcasecmp (u.v.value.v_utf8.str, units[i])) {
            found = units[i];
         }
      }
   }
   if (r == BQL_EVAL_OK) {
      bql_val_destroy (&u);
   }
   if (!found) {
      bql_plan_error (pl, f->args->items[0], BQL_ERR_VALUE,
                      "Units are 'year', 'quarter', 'month', 'week', 'day', 'hour', 'minute' and 'second'.",
                      "DATE_TRUNC takes a unit as a constant string");
      return NULL;
   }
   snprintf (buf, size, "%s", found);
   return buf;
}

static bql_eval_rc_t
eval_date_trunc (const bql_func_call_t *c, bql_val_t *out)
{
   char unit[16];
   if (!trunc_unit (c->pl, c->rc, c->f, unit, sizeof unit)) {
      return BQL_EVAL_ERROR;
   }
   return trunc_to (c, &c->args[1], c->f->args->items[1], unit, out);
}

/* "$$p.<part>" under key: a part of $dateToParts' output */
static void
date_part (bson_t *doc, const char *key, const char *part)
{
   char ref[32];
   snprintf (ref, sizeof ref, "$$p.%s", part);
   BSON_APPEND_UTF8 (doc, key, ref);
}

/* The same truncation as $dateTrunc (UTC, weeks from Monday), from
 * $dateToParts and $dateFromParts (MongoDB 3.6), for servers without
 * $dateTrunc:
 *   {$let: {vars: {p: {$dateToParts: {date: d[, iso8601: true]}}},
 *           in: {$dateFromParts: {<the parts down to unit>}}}}
 * year: year; quarter: year and month - (month - 1) % 3; month: year,
 * month; week: isoWeekYear and isoWeek (isoDayOfWeek defaults to 1,
 * Monday: the Monday 00:00 on or before d, as $dateTrunc's week with
 * startOfWeek monday); day, hour, minute, second: the calendar parts
 * down to the unit. The parts left out default to their first value.
 * A null or missing d gives null, as $dateTrunc: $dateToParts gives
 * null, and $dateFromParts of a missing part gives null. Not identical
 * outside the years 1 to 9999: there $dateFromParts refuses the year
 * (an error, never another value). */
static bool
agg_trunc_parts (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *date, const char *unit, bson_t *o)
{
   static const char *const down[] = {"year", "month", "day", "hour", "minute", "second"};
   bool week = !strcmp (unit, "week"), quarter = !strcmp (unit, "quarter");
   bson_t let, vars, p, dtp, in, dfp;
   bson_append_document_begin (o, "$let", -1, &let);
   bson_append_document_begin (&let, "vars", -1, &vars);
   bson_append_document_begin (&vars, "p", -1, &p);
   bson_append_document_begin (&p, "$dateToParts", -1, &dtp);
   bool ok = bql_translate_agg (pl, rc, date, &dtp, "date");
   if (week) {
      BSON_APPEND_BOOL (&dtp, "iso8601", true);
   }
   bson_append_document_end (&p, &dtp);
   bson_append_document_end (&vars, &p);
   bson_append_document_end (&let, &vars);
   bson_append_document_begin (&let, "in", -1, &in);
   bson_append_document_begin (&in, "$dateFromParts", -1, &dfp);
   if (week) {
      date_part (&dfp, "isoWeekYear", "isoWeekYear");
      date_part (&dfp, "isoWeek", "isoWeek");
   } else if (quarter) {
      /* the quarter's first month: month - (month - 1) % 3 */
      bson_t m, sub, mod, modargs, inner;
      date_part (&dfp, "year", "year");
      bson_append_document_begin (&dfp, "month", -1, &m);
      bson_append_array_begin (&m, "$subtract", -1, &sub);
      BSON_APPEND_UTF8 (&sub, "0", "$$p.month");
      bson_append_document_begin (&sub, "1", -1, &mod);
      bson_append_array_begin (&mod, "$mod", -1, &modargs);
      bson_append_document_begin (&modargs, "0", -1, &inner);
      bson_t ia;
      bson_append_array_begin (&inner, "$subtract", -1, &ia);
      BSON_APPEND_UTF8 (&ia, "0", "$$p.month");
      BSON_APPEND_INT32 (&ia, "1", 1);
      bson_append_array_end (&inner, &ia);
      bson_append_document_end (&modargs, &inner);
      BSON_APPEND_INT32 (&modargs, "1", 3);
      bson_append_array_end (&mod, &modargs);
      bson_append_document_end (&sub, &mod);
      bson_append_array_end (&m, &sub);
      bson_append_document_end (&dfp, &m);
   } else {
      for (size_t i = 0; i < sizeof down / sizeof down[0]; i++) {
         date_part (&dfp, down[i], down[i]);
         if (!strcmp (down[i], unit)) {
            break;
         }
      }
   }
   bson_append_document_end (&in, &dfp);
   bson_append_document_end (&let, &in);
   bson_append_document_end (o, &let);
   return ok;
}

/* {$dateTrunc: {date: d, unit: u}} (MongoDB 5.0); weeks start on Monday.
 * With rc->date_parts, the same from $dateToParts (agg_trunc_parts). */
static bool
agg_trunc (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *date, const char *unit, bson_t *doc,
           const char *key)
{
   bson_t o, dt;
   bson_append_document_begin (doc, key, -1, &o);
   bool ok;
   if (rc && rc->date_parts) {
      ok = agg_trunc_parts (pl, rc, date, unit, &o);
   } else {
      bson_append_document_begin (&o, "$dateTrunc", -1, &dt);
      ok = bql_translate_agg (pl, rc, date, &dt, "date");
      BSON_APPEND_UTF8 (&dt, "unit", unit);
      if (!strcmp (unit, "week")) {
         BSON_APPEND_UTF8 (&dt, "startOfWeek", "monday");
      }
      bson_append_document_end (&o, &dt);
   }
   bson_append_document_end (doc, &o);
   return ok;
}

static bool
agg_date (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_FuncCall_t *f, bson_t *doc, const char *key)
{
   return agg_trunc (pl, rc, f->args->items[0], "day", doc, key);
}

static bool
agg_date_trunc (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_FuncCall_t *f, bson_t *doc, const char *key)
{
   char unit[16];
   return trunc_unit (pl, rc, f, unit, sizeof unit) && agg_trunc (pl, rc, f->args->items[1], unit, doc, key);
}

/* ---- GREATEST, LEAST: NULLs are skipped (PostgreSQL), as $max and $min
 * of an array skip null and missing ---- */

static bql_eval_rc_t
extreme (const bql_func_call_t *c, int sign, bql_val_t *out)
{
   int32_t best = -1;
   for (int32_t i = 0; i < c->n; i++) {
      if (bql_val_is_null (&c->args[i])) {
         continue;
      }
      if (c->args[i].is_interval) {
         return fail (c->pl, c->f->args->items[i], BQL_ERR_TYPE, NULL, "an interval is not a value");
      }
      if (best >= 0) {
         int r = bql_val_compare (&c->args[i], &c->args[best]);
         if (r == 3 || r == 4) {
            bql_plan_error (c->pl, c->f->args->items[i], BQL_ERR_TYPE, NULL, "%s cannot compare %s with %s",
                            c->f->name, bql_val_type_name (&c->args[i]), bql_val_type_name (&c->args[best]));
            return BQL_EVAL_ERROR;
         }
         if (r != sign) {
            continue;
         }
      }
      best = i;
   }
   if (best >= 0) {
      bql_val_from_bson (out, &c->args[best].v);
   }
   return BQL_EVAL_OK;
}

static bql_eval_rc_t
eval_greatest (const bql_func_call_t *c, bql_val_t *out)
{
   return extreme (c, 1, out);
}

static bql_eval_rc_t
eval_least (const bql_func_call_t *c, bql_val_t *out)
{
   return extreme (c, -1, out);
}

static bool
agg_greatest (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_FuncCall_t *f, bson_t *doc, const char *key)
{
   return bql_agg_nary (pl, rc, doc, key, "$max", f->args, false);
}

static bool
agg_least (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_FuncCall_t *f, bson_t *doc, const char *key)
{
   return bql_agg_nary (pl, rc, doc, key, "$min", f->args, false);
}

/* ---- aggregates: their value comes from $group (select.c) ---- */

static bql_eval_rc_t
eval_aggregate (const bql_func_call_t *c, bql_val_t *out)
{
   (void) out;
   if (c->rc && c->rc->aggregates) {
      return BQL_EVAL_FIELD; /* computed by the server's $group */
   }
   bql_plan_error (c->pl, &c->f->node, BQL_ERR_UNTRANSLATABLE,
                   "Aggregates go in the select list, HAVING or ORDER BY of BULK INSERT/UPSERT ... SELECT.",
                   "aggregate function %s is not allowed here", c->f->name);
   return BQL_EVAL_ERROR;
}

/* ---- the table ---- */

const bql_function_t bql_functions[] = {
   {.name = "COALESCE", .min_args = 1, .max_args = BQL_ARGS_ANY, .lazy = true, .eval = eval_coalesce,
    .agg = agg_coalesce, .filter = filter_via_expr, .set_op = BQL_SET_EXPR, .listed = true, .complete = true,
    .synopsis = "COALESCE(x, y, ...)", .help = "the first argument that is not NULL ($ifNull)"},
   {.name = "CONCAT", .min_args = 0, .max_args = BQL_ARGS_ANY, .eval = eval_concat, .agg = agg_concat,
    .set_op = BQL_SET_EXPR, .listed = true, .complete = true, .synopsis = "CONCAT(x, ...)",
    .help = "the texts of the arguments joined, NULLs skipped ($concat of $toString)"},
   {.name = "LOWER", .min_args = 1, .max_args = 1, .eval = eval_lower, .agg = agg_lower, .set_op = BQL_SET_EXPR,
    .listed = true, .complete = true, .synopsis = "LOWER(s)", .help = "s with ASCII letters in lower case ($toLower)"},
   {.name = "UPPER", .min_args = 1, .max_args = 1, .eval = eval_upper, .agg = agg_upper, .set_op = BQL_SET_EXPR,
    .listed = true, .complete = true, .synopsis = "UPPER(s)", .help = "s with ASCII letters in upper case ($toUpper)"},
   {.name = "NOW", .min_args = 0, .max_args = 0, .eval = eval_now, .set_op = BQL_SET_NOW, .listed = true,
    .complete = true, .synopsis = "NOW()",
    .help = "the statement's CURRENT_TIMESTAMP; SET x = NOW() is $currentDate"},
   /* offered by completion as a column type already */
   {.name = "OBJECTID", .min_args = 0, .max_args = 1, .lazy = true, .eval = eval_objectid, .set_op = BQL_SET_EXPR,
    .listed = true, .synopsis = "OBJECTID([hex])", .help = "a new ObjectId, or the one of 24 hexadecimal digits"},
   {.name = "JSON_OBJECT", .min_args = 0, .max_args = BQL_ARGS_ANY, .pairs = true, .eval = eval_json_object,
    .agg = agg_json_object, .set_op = BQL_SET_EXPR, .listed = true, .complete = true,
    .synopsis = "JSON_OBJECT(key, value, ...)", .help = "a document of the key, value pairs"},
   {.name = "JSON_ARRAY", .min_args = 0, .max_args = BQL_ARGS_ANY, .eval = eval_json_array, .agg = agg_json_array,
    .set_op = BQL_SET_EXPR, .listed = true, .complete = true, .synopsis = "JSON_ARRAY(value, ...)",
    .help = "an array of the values"},
   {.name = "JSON_EXTRACT", .min_args = 2, .max_args = 2, .eval = eval_json_extract, .agg = agg_json_extract,
    .field_path = path_json_extract, .set_op = BQL_SET_EXPR, .listed = true, .complete = true,
    .synopsis = "JSON_EXTRACT(doc, '$.a.b[0]')",
    .help = "the value at a JSON path, NULL when there is none; over a field, the field path \"doc.a.b.0\""},
   {.name = "JSON_ARRAY_APPEND", .min_args = 3, .max_args = 3, .eval = eval_json_array_append,
    .agg = agg_json_array_append, .set_op = BQL_SET_PUSH, .listed = true, .complete = true,
    .synopsis = "JSON_ARRAY_APPEND(array, '$', value)",
    .help = "the array with value appended ($concatArrays); SET x = JSON_ARRAY_APPEND(x, '$', v) is $push"},
   {.name = "GREATEST", .min_args = 1, .max_args = BQL_ARGS_ANY, .eval = eval_greatest, .agg = agg_greatest,
    .set_op = BQL_SET_EXPR, .complete = true, .synopsis = "GREATEST(x, y, ...)",
    .help = "the greatest argument that is not NULL ($max of an array)"},
   {.name = "LEAST", .min_args = 1, .max_args = BQL_ARGS_ANY, .eval = eval_least, .agg = agg_least,
    .set_op = BQL_SET_EXPR, .complete = true, .synopsis = "LEAST(x, y, ...)",
    .help = "the least argument that is not NULL ($min of an array)"},
   {.name = "DATE", .min_args = 1, .max_args = 1, .eval = eval_date, .agg = agg_date, .set_op = BQL_SET_EXPR,
    .synopsis = "DATE(ts)", .help = "the date ts at midnight UTC ($dateTrunc, unit day; $dateToParts on a server without it)"},
   {.name = "DATE_TRUNC", .min_args = 2, .max_args = 2, .eval = eval_date_trunc, .agg = agg_date_trunc,
    .set_op = BQL_SET_EXPR, .complete = true, .synopsis = "DATE_TRUNC('unit', ts)",
    .help = "ts truncated to a year, quarter, month, week (Monday), day, hour, minute or second ($dateTrunc; "
             "$dateToParts and $dateFromParts on a server without it)"},
   /* aggregates of BULK INSERT/UPSERT ... SELECT (select.c lowers them into $group) */
   {.name = "COUNT", .min_args = 1, .max_args = 1, .lazy = true, .eval = eval_aggregate, .accumulator = "$sum",
    .set_op = BQL_SET_EXPR, .complete = true, .synopsis = "COUNT(*), COUNT([DISTINCT] x)",
    .help = "aggregate: the rows, or the non-NULL (distinct) values of x ($sum, $addToSet)"},
   {.name = "SUM", .min_args = 1, .max_args = 1, .lazy = true, .eval = eval_aggregate, .accumulator = "$sum",
    .set_op = BQL_SET_EXPR, .complete = true, .synopsis = "SUM([DISTINCT] x)",
    .help = "aggregate: the sum of the numbers x ($sum)"},
   {.name = "AVG", .min_args = 1, .max_args = 1, .lazy = true, .eval = eval_aggregate, .accumulator = "$avg",
    .set_op = BQL_SET_EXPR, .complete = true, .synopsis = "AVG([DISTINCT] x)",
    .help = "aggregate: the mean of the numbers x ($avg)"},
   {.name = "MIN", .min_args = 1, .max_args = 1, .lazy = true, .eval = eval_aggregate, .accumulator = "$min",
    .set_op = BQL_SET_EXPR, .complete = true, .synopsis = "MIN(x)",
    .help = "aggregate: the least x that is not NULL ($min)"},
   {.name = "MAX", .min_args = 1, .max_args = 1, .lazy = true, .eval = eval_aggregate, .accumulator = "$max",
    .set_op = BQL_SET_EXPR, .complete = true, .synopsis = "MAX(x)",
    .help = "aggregate: the greatest x that is not NULL ($max)"},
   {.name = "ARRAY_AGG", .min_args = 1, .max_args = 1, .lazy = true, .eval = eval_aggregate, .accumulator = "$push",
    .set_op = BQL_SET_EXPR, .complete = true, .synopsis = "ARRAY_AGG([DISTINCT] x)",
    .help = "aggregate: an array of the values x ($push; DISTINCT: $addToSet)"},
   {.name = "JSON_ARRAYAGG", .min_args = 1, .max_args = 1, .lazy = true, .eval = eval_aggregate,
    .accumulator = "$push", .set_op = BQL_SET_EXPR, .synopsis = "JSON_ARRAYAGG([DISTINCT] x)",
    .help = "aggregate: ARRAY_AGG"},
   /* a keyword too: the grammar makes VALUES(col) a call with one column */
   {.name = "VALUES", .min_args = 0, .max_args = BQL_ARGS_ANY, .lazy = true, .eval = eval_values,
    .set_op = BQL_SET_EXPR, .row_column = true, .synopsis = "VALUES(col)",
    .help = "the incoming row's column in ON DUPLICATE KEY UPDATE and ON CONFLICT (as EXCLUDED.col)"},
};

const size_t bql_function_count = sizeof bql_functions / sizeof bql_functions[0];

const bql_function_t *
bql_function_lookup (const char *name)
{
   for (size_t i = 0; name && i < bql_function_count; i++) {
      if (!strcasecmp (name, bql_functions[i].name)) {
         return &bql_functions[i];
      }
   }
   return NULL;
}

bool
bql_function_check_arity (bql_planner_t *pl, const bql_function_t *fn, const bql_FuncCall_t *f)
{
   int32_t n = f->args ? f->args->length : 0;
   int32_t min = fn->min_args, max = fn->max_args;
   if (n < min || n > max) {
      if (min == max) {
         return bql_plan_error (pl, &f->node, BQL_ERR_TYPE, NULL, "%s takes %d argument%s, not %d", f->name, min,
                                min == 1 ? "" : "s", n);
      }
      if (max == BQL_ARGS_ANY) {
         return bql_plan_error (pl, &f->node, BQL_ERR_TYPE, NULL, "%s takes at least %d argument%s", f->name, min,
                                min == 1 ? "" : "s");
      }
      return bql_plan_error (pl, &f->node, BQL_ERR_TYPE, NULL, "%s takes %d to %d arguments, not %d", f->name, min, max,
                             n);
   }
   if (fn->pairs && n % 2 != 0) {
      return bql_plan_error (pl, &f->node, BQL_ERR_TYPE, NULL, "%s takes key, value pairs", fn->name);
   }
   return true;
}

bool
bql_function_unknown (bql_planner_t *pl, const bql_FuncCall_t *f)
{
   /* "The functions are A, B and C." */
   char hint[sizeof pl->error->hint];
   size_t listed = 0, shown = 0;
   for (size_t i = 0; i < bql_function_count; i++) {
      listed += bql_functions[i].listed;
   }
   int o = snprintf (hint, sizeof hint, "The functions are ");
   for (size_t i = 0; i < bql_function_count && o > 0 && (size_t) o < sizeof hint; i++) {
      if (!bql_functions[i].listed) {
         continue;
      }
      shown++;
      const char *sep = shown == 1 ? "" : shown == listed ? " and " : ", ";
      o += snprintf (hint + o, sizeof hint - (size_t) o, "%s%s", sep, bql_functions[i].name);
   }
   if (o > 0 && (size_t) o < sizeof hint) {
      snprintf (hint + o, sizeof hint - (size_t) o, ".");
   }
   return bql_plan_error_at (pl, f->node.location, (int64_t) strlen (f->name), BQL_ERR_UNSUPPORTED, hint,
                             "not supported: function %s", f->name);
}

size_t
bql_function_names (const char **names, size_t max)
{
   size_t n = 0;
   for (size_t i = 0; i < bql_function_count; i++) {
      if (bql_functions[i].complete) {
         if (n < max) {
            names[n] = bql_functions[i].name;
         }
         n++;
      }
   }
   return n;
}
