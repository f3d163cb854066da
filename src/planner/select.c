/*
 * select.c — the SELECT of BULK INSERT/UPSERT ... SELECT as one
 * aggregation pipeline on the source collection (SPEC §1, issue 17).
 * A query lowers, in SQL's order of evaluation, to:
 *   $match      WHERE (the filter translator, filter.c)
 *   $group      GROUP BY keys as _id.k0, k1, ... and one accumulator per
 *               aggregate call (a0, a1, ...); aggregates without GROUP BY
 *               make one group (_id: null); SELECT DISTINCT groups by the
 *               select list
 *   $set        what an accumulator needs after $group (the $size of
 *               COUNT(DISTINCT x)'s set)
 *   $match      HAVING, over the $group output
 *   $sort, $limit   before $project when ORDER BY names source fields,
 *               after it when it names columns of the select list
 *   $project    (or $set after $group) what the select list computes
 *               with operators, as fields __c0, __c1, ...; without
 *               $group, with the fields the columns read (_id left out
 *               unless read)
 *   $sort, $limit
 * The columns of a row are then picked from each document of the cursor
 * by the row template (plan->select_row): a column is a field of the
 * document ("$_id.k0", "$a0", "$__c0", "$price"), a constant
 * ({$literal: v}) or, for JSON_OBJECT, a document of such columns. So
 * the server computes everything and the client only picks and names
 * fields; a server whose $project cannot compute ("$f" read as a string)
 * can still run plain columns and GROUP BY summaries.
 * A WITH query named in FROM is lowered first and the outer query's
 * stages follow it, reading its columns through its row template.
 * Expressions are lowered by agg.c; the row context's hook maps a WITH
 * query's columns to their fields, and after $group aggregate calls and
 * group keys to the fields that hold them (a field that is neither is an
 * error at its span).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "functions.h"

typedef struct {
   const bql_FuncCall_t *call;
   char name[16]; /* its field in $group's output: "a0" */
} agg_t;

/* One query of the statement being lowered (the outer SELECT or a WITH
 * query). */
typedef struct query {
   bql_planner_t *pl;
   const bql_SelectSource_t *q;
   const bql_node_t **keys; /* GROUP BY (or DISTINCT) expressions */
   char **key_paths;        /* their fields after $group: "_id.k0" */
   size_t nkeys;
   agg_t *aggs;
   size_t naggs;
   char **out; /* the names of its columns */
   size_t nout;
   bool grouped;
   bson_t row;       /* the row template: {"v0": column, ...} by position */
   bson_t computed;  /* {__cN: expression} for $project / $set */
   bson_t include;   /* {path: 1} the columns and ORDER BY read (no $group) */
   const struct query *from_query; /* FROM a WITH query: it */
   const char *from_name;
   struct lower *lw;
} query_t;

typedef struct lower {
   bql_planner_t *pl;
   const bql_list_t *ctes;
   bool date_parts; /* DATE and DATE_TRUNC from $dateToParts (bql_row_ctx_t) */
   bson_t stages; /* the pipeline, an array */
   uint32_t nstages;
   uint32_t ncomputed;
   char path_buf[600];
} lower_t;

static void
query_cleanup (query_t *qs)
{
   bson_free (qs->keys);
   for (size_t i = 0; qs->key_paths && i < qs->nkeys; i++) {
      bson_free (qs->key_paths[i]);
   }
   bson_free (qs->key_paths);
   bson_free (qs->aggs);
   for (size_t i = 0; i < qs->nout; i++) {
      bson_free (qs->out[i]);
   }
   bson_free (qs->out);
   bson_destroy (&qs->row);
   bson_destroy (&qs->computed);
   bson_destroy (&qs->include);
   memset (qs, 0, sizeof *qs);
}

/* ---- matching expressions by their text ---- */

/* Are the source texts of a and b the same expression: equal but for
 * blanks and the case of letters outside quotes? (GROUP BY DATE(ts) and
 * SELECT date(ts) name one key.) */
static bool
same_text (const bql_planner_t *pl, const bql_node_t *a, const bql_node_t *b)
{
   const char *p = pl->source + a->location, *pe = p + a->length;
   const char *q = pl->source + b->location, *qe = q + b->length;
   char quote = 0;
   for (;;) {
      while (!quote && p < pe && isspace ((unsigned char) *p)) {
         p++;
      }
      while (!quote && q < qe && isspace ((unsigned char) *q)) {
         q++;
      }
      if (p == pe || q == qe) {
         return p == pe && q == qe;
      }
      char c = *p, d = *q;
      if (quote ? c != d : tolower ((unsigned char) c) != tolower ((unsigned char) d)) {
         return false;
      }
      if (c == '\'' || c == '"' || c == '`') {
         quote = quote == c ? 0 : quote ? quote : c;
      }
      p++;
      q++;
   }
}

static const bql_function_t *
aggregate_fn (const bql_node_t *e)
{
   if (!bql_is (e, FuncCall)) {
      return NULL;
   }
   const bql_function_t *fn = bql_function_lookup (bql_cast (FuncCall, e)->name);
   return fn && fn->accumulator ? fn : NULL;
}

typedef struct {
   query_t *qs;
   bool found;
} agg_walk_t;

/* Collect the aggregate calls under a node (not inside one: an aggregate
 * of an aggregate is an error when its argument is lowered). */
static bool
agg_walk_enter (const bql_node_t *node, int depth, void *ctx)
{
   (void) depth;
   agg_walk_t *w = ctx;
   if (!aggregate_fn (node)) {
      return true;
   }
   w->found = true;
   if (w->qs) {
      query_t *qs = w->qs;
      for (size_t i = 0; i < qs->naggs; i++) {
         if (same_text (qs->pl, &qs->aggs[i].call->node, node)) {
            return false;
         }
      }
      qs->aggs = bson_realloc (qs->aggs, sizeof *qs->aggs * (qs->naggs + 1));
      agg_t *a = &qs->aggs[qs->naggs];
      a->call = bql_cast (FuncCall, node);
      snprintf (a->name, sizeof a->name, "a%zu", qs->naggs);
      qs->naggs++;
   }
   return false;
}

static bool
has_aggregate (const bql_node_t *e)
{
   agg_walk_t w = {NULL, false};
   if (e) {
      bql_node_walk (e, agg_walk_enter, NULL, &w);
   }
   return w.found;
}

/* ---- the grouped hook: aggregates and keys after $group ---- */

static char *
key_path (size_t i)
{
   return bson_strdup_printf ("_id.k%zu", i);
}

static int
grouped (void *ctx, const bql_node_t *e, const char **path)
{
   query_t *qs = ctx;
   if (aggregate_fn (e)) {
      for (size_t i = 0; i < qs->naggs; i++) {
         if (same_text (qs->pl, &qs->aggs[i].call->node, e)) {
            *path = qs->aggs[i].name;
            return 1;
         }
      }
   }
   for (size_t i = 0; i < qs->nkeys; i++) {
      if (same_text (qs->pl, qs->keys[i], e)) {
         *path = qs->key_paths[i];
         return 1;
      }
   }
   if (bql_is (e, ColumnRef)) {
      const char *name = bql_cast (ColumnRef, e)->path;
      /* a column of the select list named in HAVING or ORDER BY */
      for (int32_t i = 0; qs->q->targets && i < qs->q->targets->length; i++) {
         const bql_SelectTarget_t *t = bql_cast (SelectTarget, qs->q->targets->items[i]);
         if (t->alias && !strcmp (t->alias, name) && !bql_is (t->expr, ColumnRef)) {
            int r = grouped (ctx, t->expr, path);
            if (r) {
               return r;
            }
         }
      }
      bql_plan_error (qs->pl, e, BQL_ERR_UNTRANSLATABLE,
                      "Name it in GROUP BY, or aggregate it: MIN(x), MAX(x), ARRAY_AGG(x).",
                      "\"%s\" is neither in GROUP BY nor inside an aggregate function", name);
      return -1;
   }
   return 0;
}

/* ---- stages ---- */

static void
stage_begin (lower_t *lw, const char *op, bson_t *stage, bson_t *body)
{
   char kb[16];
   const char *k;
   bson_uint32_to_string (lw->nstages++, &k, kb, sizeof kb);
   bson_append_document_begin (&lw->stages, k, -1, stage);
   bson_append_document_begin (stage, op, -1, body);
}

static void
stage_end (lower_t *lw, bson_t *stage, bson_t *body)
{
   bson_append_document_end (stage, body);
   bson_append_document_end (&lw->stages, stage);
}

static void
stage_doc (lower_t *lw, const char *op, const bson_t *doc)
{
   bson_t stage, body;
   stage_begin (lw, op, &stage, &body);
   bson_concat (&body, doc);
   stage_end (lw, &stage, &body);
}

static void
limit_stage (lower_t *lw, int64_t n)
{
   bson_t stage;
   char kb[16];
   const char *k;
   bson_uint32_to_string (lw->nstages++, &k, kb, sizeof kb);
   bson_append_document_begin (&lw->stages, k, -1, &stage);
   if (n <= INT32_MAX) {
      BSON_APPEND_INT32 (&stage, "$limit", (int32_t) n);
   } else {
      BSON_APPEND_INT64 (&stage, "$limit", n);
   }
   bson_append_document_end (&lw->stages, &stage);
}

/* ---- the columns ---- */

/* The name of a select-list column: its alias, a field's path (without
 * the source's qualifier), an aggregate or function's name in lower case
 * ("count"); another expression needs an alias. NULL with an error. */
static char *
column_name (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_SelectTarget_t *t)
{
   const char *name = t->alias;
   char buf[600];
   if (!name && bql_is (t->expr, ColumnRef)) {
      /* the field's name, not where a WITH query keeps it */
      bql_row_ctx_t plain = *rc;
      plain.grouped = NULL;
      name = bql_field_path (pl, &plain, t->expr, buf, sizeof buf);
   }
   if (!name && bql_is (t->expr, FuncCall)) {
      char *n = bson_strdup (bql_cast (FuncCall, t->expr)->name);
      for (char *c = n; *c; c++) {
         *c = (char) tolower ((unsigned char) *c);
      }
      return n;
   }
   if (!name) {
      bql_plan_error (pl, &t->node, BQL_ERR_VALUE, "Name the column: expression AS name.",
                      "this column of the select list needs a name");
      return NULL;
   }
   for (const char *p = name; p; p = strchr (p, '.') ? strchr (p, '.') + 1 : NULL) {
      if (*p == '$' || *p == '.' || *p == '\0') {
         bql_plan_error (pl, &t->node, BQL_ERR_VALUE, NULL,
                         "column name \"%s\" has an empty part or a part starting with '$'", name);
         return NULL;
      }
   }
   return bson_strdup (name);
}

/* The names of q's columns into qs->out: the select list's, renamed by
 * the statement's column list (columns, outer query only). */
static bool
column_names (query_t *qs, const bql_row_ctx_t *rc, const bql_list_t *columns)
{
   bql_planner_t *pl = qs->pl;
   const bql_list_t *targets = qs->q->targets;
   int32_t n = targets ? targets->length : 0;
   if (columns && !targets) {
      return bql_plan_error (pl, columns->items[0], BQL_ERR_VALUE, "Name the columns in the select list.",
                             "a column list needs a select list, not SELECT *");
   }
   if (columns && columns->length != n) {
      return bql_plan_error (pl, &qs->q->node, BQL_ERR_VALUE, NULL,
                             "the select list has %d column%s but the column list has %d", (int) n,
                             n == 1 ? "" : "s", (int) columns->length);
   }
   qs->out = bson_malloc0 (sizeof *qs->out * (size_t) (n ? n : 1));
   for (int32_t i = 0; i < n; i++) {
      const bql_SelectTarget_t *t = bql_cast (SelectTarget, targets->items[i]);
      if (columns) {
         const bql_ColumnDef_t *c = bql_cast (ColumnDef, columns->items[i]);
         if (c->type_name) {
            return bql_plan_error (pl, columns->items[i], BQL_ERR_VALUE,
                                   "The server's values are written as they are: name the columns only.",
                                   "a column type does not apply to rows from SELECT");
         }
         qs->out[i] = bson_strdup (c->name);
      } else if (!(qs->out[i] = column_name (pl, rc, t))) {
         return false;
      }
      qs->nout++;
      for (size_t j = 0; j + 1 < qs->nout; j++) {
         if (!strcmp (qs->out[j], qs->out[i])) {
            return bql_plan_error (pl, columns ? columns->items[i] : &t->node, BQL_ERR_VALUE,
                                   "Name it differently with AS.", "column \"%s\" given twice", qs->out[i]);
         }
      }
   }
   return true;
}

/* ---- accumulators ---- */

/* {$cond: [filter, then, else]} of an aggregate's FILTER (WHERE ...) */
static bool
cond_of (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *filter, bson_t *doc, const char *key,
         const bql_node_t *then_expr, const char *then_str, int32_t then_int, const char *else_str, int32_t else_int)
{
   bson_t o, arr;
   bson_append_document_begin (doc, key, -1, &o);
   bson_append_array_begin (&o, "$cond", -1, &arr);
   bool ok = bql_translate_agg (pl, rc, filter, &arr, "0");
   if (then_expr) {
      ok = ok && bql_translate_agg (pl, rc, then_expr, &arr, "1");
   } else if (then_str) {
      BSON_APPEND_UTF8 (&arr, "1", then_str);
   } else {
      BSON_APPEND_INT32 (&arr, "1", then_int);
   }
   if (else_str) {
      BSON_APPEND_UTF8 (&arr, "2", else_str);
   } else {
      BSON_APPEND_INT32 (&arr, "2", else_int);
   }
   bson_append_array_end (&o, &arr);
   bson_append_document_end (doc, &o);
   return ok;
}

/* The accumulator of one aggregate call under key of $group; *finish
 * gets what $set must make of it after $group (COUNT, SUM and AVG of
 * DISTINCT: of the set), or stays empty. */
static bool
accumulator (bql_planner_t *pl, const bql_row_ctx_t *rc, const agg_t *a, bson_t *group, bson_t *finish)
{
   const bql_FuncCall_t *f = a->call;
   const bql_function_t *fn = bql_function_lookup (f->name);
   const bql_node_t *x = f->args ? f->args->items[0] : NULL;
   bool is_count = !strcasecmp (fn->name, "COUNT");
   bool distinct = f->distinct && strcmp (fn->accumulator, "$min") && strcmp (fn->accumulator, "$max");
   bson_t acc;
   bool ok = true;
   if (f->star && !is_count) {
      return bql_plan_error (pl, &f->node, BQL_ERR_VALUE, "Only COUNT(*) counts rows.", "%s(*) is not a function",
                             f->name);
   }
   if (f->star && f->distinct) {
      return bql_plan_error (pl, &f->node, BQL_ERR_VALUE, NULL, "COUNT(DISTINCT *) is not a function");
   }
   if (!f->star && (!f->args || f->args->length != 1)) {
      return bql_plan_error (pl, &f->node, BQL_ERR_VALUE, is_count ? "Write COUNT(*) to count rows." : NULL,
                             "%s takes 1 argument, not %d", f->name, f->args ? (int) f->args->length : 0);
   }
   if (x && has_aggregate (x)) {
      return bql_plan_error (pl, x, BQL_ERR_UNTRANSLATABLE, NULL, "an aggregate function cannot take an aggregate");
   }
   if (f->filter && has_aggregate (f->filter)) {
      return bql_plan_error (pl, f->filter, BQL_ERR_UNTRANSLATABLE, NULL, "FILTER (WHERE ...) cannot hold an aggregate");
   }
   bson_append_document_begin (group, a->name, -1, &acc);
   if (is_count && !x) {
      /* COUNT(*) */
      if (f->filter) {
         ok = cond_of (pl, rc, f->filter, &acc, "$sum", NULL, NULL, 1, NULL, 0);
      } else {
         BSON_APPEND_INT32 (&acc, "$sum", 1);
      }
   } else if (is_count && !distinct) {
      /* COUNT(x): the rows where x is not NULL */
      bson_t o, arr, cond, gt, gta;
      bson_append_document_begin (&acc, "$sum", -1, &o);
      bson_append_array_begin (&o, "$cond", -1, &arr);
      bson_append_document_begin (&arr, "0", -1, &cond);
      if (f->filter) {
         bson_t and;
         bson_append_array_begin (&cond, "$and", -1, &and);
         ok = bql_translate_agg (pl, rc, f->filter, &and, "0");
         bson_append_document_begin (&and, "1", -1, &gt);
         bson_append_array_begin (&gt, "$gt", -1, &gta);
         ok = ok && bql_translate_agg (pl, rc, x, &gta, "0");
         BSON_APPEND_NULL (&gta, "1");
         bson_append_array_end (&gt, &gta);
         bson_append_document_end (&and, &gt);
         bson_append_array_end (&cond, &and);
      } else {
         bson_append_array_begin (&cond, "$gt", -1, &gta);
         ok = bql_translate_agg (pl, rc, x, &gta, "0");
         BSON_APPEND_NULL (&gta, "1");
         bson_append_array_end (&cond, &gta);
      }
      bson_append_document_end (&arr, &cond);
      BSON_APPEND_INT32 (&arr, "1", 1);
      BSON_APPEND_INT32 (&arr, "2", 0);
      bson_append_array_end (&o, &arr);
      bson_append_document_end (&acc, &o);
   } else {
      const char *op = distinct ? "$addToSet" : fn->accumulator;
      if (f->filter) {
         ok = cond_of (pl, rc, f->filter, &acc, op, x, NULL, 0, "$$REMOVE", 0);
      } else {
         ok = bql_translate_agg (pl, rc, x, &acc, op);
      }
      if (distinct && strcmp (fn->accumulator, "$push") != 0) {
         /* the set of distinct values, then: COUNT its non-NULL
          * members, SUM or AVG them */
         char *field = bson_strdup_printf ("$%s", a->name);
         bson_t o;
         bson_append_document_begin (finish, a->name, -1, &o);
         if (is_count) {
            bson_t flt, fb, ne;
            bson_append_document_begin (&o, "$size", -1, &flt);
            bson_append_document_begin (&flt, "$filter", -1, &fb);
            BSON_APPEND_UTF8 (&fb, "input", field);
            bson_append_document_begin (&fb, "cond", -1, &ne);
            bson_t nea;
            bson_append_array_begin (&ne, "$ne", -1, &nea);
            BSON_APPEND_UTF8 (&nea, "0", "$$this");
            BSON_APPEND_NULL (&nea, "1");
            bson_append_array_end (&ne, &nea);
            bson_append_document_end (&fb, &ne);
            bson_append_document_end (&flt, &fb);
            bson_append_document_end (&o, &flt);
         } else {
            BSON_APPEND_UTF8 (&o, fn->accumulator, field);
         }
         bson_append_document_end (finish, &o);
         bson_free (field);
      }
   }
   bson_append_document_end (group, &acc);
   return ok;
}

/* ---- the row template ---- */

/* FROM a WITH query: a column of it (name, or name.sub inside a
 * JSON_OBJECT column or a document) as the field of the documents that
 * holds it, through the query's row template. */
static int
from_with (void *ctx, const bql_node_t *e, const char **path)
{
   query_t *qs = ctx;
   if (!bql_is (e, ColumnRef)) {
      return 0;
   }
   const char *p = bql_cast (ColumnRef, e)->path;
   const bql_SelectSource_t *q = qs->q;
   const char *quals[2] = {q->alias, bql_cast (RangeVar, q->from)->collection};
   for (int i = 0; i < 2; i++) {
      size_t n = quals[i] ? strlen (quals[i]) : 0;
      if (n && !strncmp (p, quals[i], n) && p[n] == '.' && p[n + 1]) {
         p += n + 1;
         break;
      }
   }
   const query_t *in = qs->from_query;
   for (size_t i = 0; i < in->nout; i++) {
      size_t n = strlen (in->out[i]);
      const char *rest;
      if (!strcmp (p, in->out[i])) {
         rest = "";
      } else if (!strncmp (p, in->out[i], n) && p[n] == '.') {
         rest = p + n + 1;
      } else {
         continue;
      }
      char key[24];
      snprintf (key, sizeof key, "v%zu", i);
      bson_iter_t it;
      bson_iter_init_find (&it, &in->row, key);
      /* into a JSON_OBJECT column, one part at a time */
      while (*rest && BSON_ITER_HOLDS_DOCUMENT (&it)) {
         bson_t sub;
         bql_iter_sub (&it, &sub);
         const char *dot = strchr (rest, '.');
         size_t len = dot ? (size_t) (dot - rest) : strlen (rest);
         bson_iter_t child;
         bool found = false;
         if (bson_iter_init (&child, &sub)) {
            while (bson_iter_next (&child)) {
               if (strlen (bson_iter_key (&child)) == len && !strncmp (bson_iter_key (&child), rest, len)) {
                  found = true;
                  break;
               }
            }
         }
         if (!found || (bson_iter_key (&child)[0] == '$')) {
            break;
         }
         it = child;
         rest = dot ? dot + 1 : "";
      }
      if (BSON_ITER_HOLDS_UTF8 (&it) && bson_iter_utf8 (&it, NULL)[0] == '$') {
         const char *field = bson_iter_utf8 (&it, NULL) + 1;
         if (*rest) {
            snprintf (qs->lw->path_buf, sizeof qs->lw->path_buf, "%s.%s", field, rest);
         } else {
            snprintf (qs->lw->path_buf, sizeof qs->lw->path_buf, "%s", field);
         }
         *path = qs->lw->path_buf;
         return 1;
      }
      bql_plan_error (qs->pl, e, BQL_ERR_UNSUPPORTED, "Read the fields of the WITH query's columns one by one.",
                      "not supported: reading \"%s\" of WITH query \"%s\", a constant or a whole JSON_OBJECT", p,
                      qs->from_name);
      return -1;
   }
   bql_plan_error (qs->pl, e, BQL_ERR_VALUE, NULL, "WITH query \"%s\" has no column \"%s\"", qs->from_name, p);
   return -1;
}

/* A field the documents must keep through $project (no $group). */
static void
include_path (query_t *qs, const char *path)
{
   if (!qs->grouped && !bson_has_field (&qs->include, path)) {
      bson_iter_t it;
      /* bson_has_field follows dots: look the key up as it is */
      bool dup = false;
      if (bson_iter_init (&it, &qs->include)) {
         while (bson_iter_next (&it)) {
            dup = dup || !strcmp (bson_iter_key (&it), path);
         }
      }
      if (!dup) {
         BSON_APPEND_INT32 (&qs->include, path, 1);
      }
   }
}

/* The template of expression e under key of dst: a field of the
 * documents ("$path"), a constant ({$literal: v}), a JSON_OBJECT of
 * such, or else e computed by the server as a new field __cN. */
static bool
shape (query_t *qs, const bql_row_ctx_t *rc, const bql_node_t *e, bson_t *dst, const char *key)
{
   bql_planner_t *pl = qs->pl;
   char buf[600];
   const char *path = NULL;
   if (rc->grouped) {
      int r = rc->grouped (rc->grouped_ctx, e, &path);
      if (r < 0) {
         return false;
      }
      if (r > 0) {
         snprintf (buf, sizeof buf, "%s", path);
         path = buf;
      }
   }
   if (!path && bql_is (e, ColumnRef)) {
      if (!(path = bql_field_path (pl, rc, e, buf, sizeof buf))) {
         return pl->error->domain != BQL_ERROR_NONE ? false
                                                    : bql_plan_error (pl, e, BQL_ERR_VALUE, NULL, "field path too long");
      }
      for (const char *p = path; p; p = strchr (p, '.') ? strchr (p, '.') + 1 : NULL) {
         if (*p == '$') {
            return bql_plan_error (pl, e, BQL_ERR_VALUE, NULL, "field path \"%s\" has a part starting with '$'", path);
         }
      }
   }
   if (path) {
      char *ref = bson_strdup_printf ("$%s", path);
      BSON_APPEND_UTF8 (dst, key, ref);
      bson_free (ref);
      include_path (qs, path);
      return true;
   }
   bql_val_t v;
   bql_eval_rc_t r = bql_eval (pl, rc, e, &v);
   if (r == BQL_EVAL_ERROR) {
      return false;
   }
   if (r == BQL_EVAL_OK) {
      bool ok = !v.is_interval || bql_plan_error (pl, e, BQL_ERR_TYPE, "Add the interval to a date: d + INTERVAL '1 day'.",
                                                  "an interval is not a value");
      if (ok) {
         bson_t lit;
         bson_append_document_begin (dst, key, -1, &lit);
         bson_append_value (&lit, "$literal", -1, &v.v);
         bson_append_document_end (dst, &lit);
      }
      bql_val_destroy (&v);
      return ok;
   }
   if (bql_is (e, FuncCall) && !strcasecmp (bql_cast (FuncCall, e)->name, "JSON_OBJECT")) {
      /* a document of columns: keys constant strings */
      const bql_list_t *args = bql_cast (FuncCall, e)->args;
      int32_t n = args ? args->length : 0;
      bool ok = n % 2 == 0 || bql_plan_error (pl, e, BQL_ERR_VALUE, NULL, "JSON_OBJECT takes key, value pairs");
      bson_t doc;
      bson_append_document_begin (dst, key, -1, &doc);
      for (int32_t i = 0; ok && i < n; i += 2) {
         bql_val_t k;
         bql_eval_rc_t rk = bql_eval (pl, rc, args->items[i], &k);
         if (rk == BQL_EVAL_ERROR) {
            ok = false;
         } else if (rk != BQL_EVAL_OK || k.is_interval || k.v.value_type != BSON_TYPE_UTF8) {
            ok = bql_plan_error (pl, args->items[i], BQL_ERR_UNTRANSLATABLE, NULL,
                                 "JSON_OBJECT keys must be constant strings");
         } else if (!k.v.value.v_utf8.str[0] || k.v.value.v_utf8.str[0] == '$' || strchr (k.v.value.v_utf8.str, '.')) {
            ok = bql_plan_error (pl, args->items[i], BQL_ERR_VALUE, "Values are data: rename the key.",
                                 "JSON_OBJECT key \"%s\" is empty, starts with '$' or contains '.'",
                                 k.v.value.v_utf8.str);
         } else if (bson_has_field (&doc, k.v.value.v_utf8.str)) {
            ok = bql_plan_error (pl, args->items[i], BQL_ERR_VALUE, NULL, "JSON_OBJECT key given twice");
         } else {
            ok = shape (qs, rc, args->items[i + 1], &doc, k.v.value.v_utf8.str);
         }
         if (rk == BQL_EVAL_OK) {
            bql_val_destroy (&k);
         }
      }
      bson_append_document_end (dst, &doc);
      return ok;
   }
   /* computed by the server */
   char name[24];
   snprintf (name, sizeof name, "__c%u", qs->lw->ncomputed++);
   if (!bql_translate_agg (pl, rc, e, &qs->computed, name)) {
      return false;
   }
   char *ref = bson_strdup_printf ("$%s", name);
   BSON_APPEND_UTF8 (dst, key, ref);
   bson_free (ref);
   return true;
}

/* The row of one cursor document by template t (see the top): appended
 * to out. A field the document lacks is left out of the row, as
 * $project leaves it out. */
static void
apply_template (const bson_t *t, const bson_t *doc, bson_t *out)
{
   bson_iter_t it;
   bson_iter_init (&it, t);
   while (bson_iter_next (&it)) {
      const char *key = bson_iter_key (&it);
      if (BSON_ITER_HOLDS_UTF8 (&it)) {
         bson_iter_t d, f;
         if (bson_iter_init (&d, doc) && bson_iter_find_descendant (&d, bson_iter_utf8 (&it, NULL) + 1, &f)) {
            bson_append_iter (out, key, -1, &f);
         }
         continue;
      }
      bson_t sub;
      bson_iter_t in;
      bql_iter_sub (&it, &sub);
      if (bson_iter_init (&in, &sub) && bson_iter_next (&in) && !strcmp (bson_iter_key (&in), "$literal")) {
         bson_append_iter (out, key, -1, &in);
         continue;
      }
      bson_t child;
      bson_append_document_begin (out, key, -1, &child);
      apply_template (&sub, doc, &child);
      bson_append_document_end (out, &child);
   }
}

void
bql_select_row (const bql_plan_t *plan, const bson_t *doc, bson_t *out)
{
   if (bson_empty (&plan->select_row)) {
      bson_concat (out, doc); /* SELECT *: the document */
   } else {
      apply_template (&plan->select_row, doc, out);
   }
}

/* The statement's row template: the columns idx[0..n) (positional v0,
 * v1, ... of qs->row) under their names (names[k] is column idx[k]'s, or
 * the rest of it below a first part), a dotted name nested
 * (metrics.total). */
static bool
nest_columns (bql_planner_t *pl, const query_t *qs, const bql_node_t *at, const char **names, const size_t *idx,
              size_t n, bson_t *out)
{
   bool ok = true;
   bool *done = bson_malloc0 (n ? n : 1);
   const char **sub_names = bson_malloc (sizeof *sub_names * (n ? n : 1));
   size_t *sub_idx = bson_malloc (sizeof *sub_idx * (n ? n : 1));
   for (size_t i = 0; ok && i < n; i++) {
      if (done[i]) {
         continue;
      }
      const char *dot = strchr (names[i], '.');
      size_t len = dot ? (size_t) (dot - names[i]) : strlen (names[i]);
      /* every column under the same first part */
      size_t m = 0;
      bool whole = false;
      for (size_t j = i; ok && j < n; j++) {
         if (!done[j] && !strncmp (names[j], names[i], len) && (names[j][len] == '.' || !names[j][len])) {
            done[j] = true;
            if (!names[j][len]) {
               whole = true;
            } else {
               sub_names[m] = names[j] + len + 1;
               sub_idx[m++] = idx[j];
            }
            if (whole && (m > 0 || j > i)) {
               ok = bql_plan_error (pl, at, BQL_ERR_VALUE, "Name the columns so that none is inside another.",
                                    "column \"%.*s\" and a column inside it", (int) len, names[i]);
            }
         }
      }
      if (ok && whole) {
         char key[24];
         bson_iter_t it;
         snprintf (key, sizeof key, "v%zu", idx[i]);
         if (bson_iter_init_find (&it, &qs->row, key)) {
            bson_append_iter (out, names[i], (int) len, &it);
         }
      } else if (ok) {
         /* the columns below this part, given their own lists */
         const char **names2 = bson_malloc (sizeof *names2 * (m ? m : 1));
         size_t *idx2 = bson_malloc (sizeof *idx2 * (m ? m : 1));
         memcpy (names2, sub_names, sizeof *names2 * m);
         memcpy (idx2, sub_idx, sizeof *idx2 * m);
         bson_t child;
         bson_append_document_begin (out, names[i], (int) len, &child);
         ok = nest_columns (pl, qs, at, names2, idx2, m, &child);
         bson_append_document_end (out, &child);
         bson_free (names2);
         bson_free (idx2);
      }
   }
   bson_free (sub_names);
   bson_free (sub_idx);
   bson_free (done);
   return ok;
}

/* ---- one query ---- */

static bool lower_query (lower_t *lw, const bql_SelectSource_t *q, int32_t visible, const bql_list_t *columns,
                         query_t *qs, char **db, char **coll);

/* The index of the WITH query FROM names (among the first visible), or -1. */
static int32_t
find_cte (const lower_t *lw, const bql_RangeVar_t *r, int32_t visible)
{
   for (int32_t i = 0; !r->database && lw->ctes && i < visible; i++) {
      if (!strcmp (bql_cast (CommonTable, lw->ctes->items[i])->name, r->collection)) {
         return i;
      }
   }
   return -1;
}

/* The field ORDER BY item si sorts on: a column of the select list (by
 * its name or expression), else the field or expression itself. */
static bool
sort_key (query_t *qs, const bql_row_ctx_t *rc, const bql_SortItem_t *si, bson_t *sort)
{
   bql_planner_t *pl = qs->pl;
   const bql_list_t *targets = qs->q->targets;
   bson_t tmp = BSON_INITIALIZER;
   bool ok = true, found = false;
   for (int32_t t = 0; targets && t < targets->length && !found; t++) {
      const bql_SelectTarget_t *st = bql_cast (SelectTarget, targets->items[t]);
      if ((bql_is (si->expr, ColumnRef) && !strcmp (bql_cast (ColumnRef, si->expr)->path, qs->out[t])) ||
          same_text (pl, st->expr, si->expr)) {
         char key[24];
         bson_iter_t it;
         snprintf (key, sizeof key, "v%d", (int) t);
         if (bson_iter_init_find (&it, &qs->row, key)) {
            bson_append_iter (&tmp, "s", 1, &it);
         }
         found = true;
      }
   }
   if (!found) {
      ok = shape (qs, rc, si->expr, &tmp, "s");
   }
   bson_iter_t it;
   if (ok && bson_iter_init_find (&it, &tmp, "s")) {
      if (BSON_ITER_HOLDS_UTF8 (&it) && bson_iter_utf8 (&it, NULL)[0] == '$') {
         BSON_APPEND_INT32 (sort, bson_iter_utf8 (&it, NULL) + 1, si->descending ? -1 : 1);
      } else if (BSON_ITER_HOLDS_DOCUMENT (&it)) {
         bson_t sub;
         bson_iter_t in;
         bql_iter_sub (&it, &sub);
         if (!(bson_iter_init (&in, &sub) && bson_iter_next (&in) && !strcmp (bson_iter_key (&in), "$literal"))) {
            ok = bql_plan_error (pl, si->expr, BQL_ERR_UNTRANSLATABLE, "Sort by a field of the document.",
                                 "ORDER BY cannot sort by a JSON_OBJECT");
         }
         /* a constant sorts nothing */
      }
   }
   bson_destroy (&tmp);
   return ok;
}

static bool
lower_query (lower_t *lw, const bql_SelectSource_t *q, int32_t visible, const bql_list_t *columns, query_t *qs,
             char **db, char **coll)
{
   bql_planner_t *pl = lw->pl;
   memset (qs, 0, sizeof *qs);
   qs->pl = pl;
   qs->q = q;
   qs->lw = lw;
   bson_init (&qs->row);
   bson_init (&qs->computed);
   bson_init (&qs->include);
   const bql_RangeVar_t *r = bql_cast (RangeVar, q->from);
   int32_t cte = find_cte (lw, r, visible);
   bql_row_ctx_t rc = {.select = true, .qualifier = {q->alias, r->collection}, .date_parts = lw->date_parts};
   query_t inner;
   memset (&inner, 0, sizeof inner);
   bool ok = true;
   if (cte >= 0) {
      /* a WITH query: its stages first (it sees the queries before it),
       * then its columns are read through its row template */
      const bql_CommonTable_t *ct = bql_cast (CommonTable, lw->ctes->items[cte]);
      ok = lower_query (lw, bql_cast (SelectSource, ct->query), cte, NULL, &inner, db, coll);
      qs->from_query = &inner;
      qs->from_name = ct->name;
      rc.grouped = from_with;
      rc.grouped_ctx = qs;
   } else {
      const char *d = r->database ? r->database : pl->plan->database;
      ok = bql_plan_check_relation (pl, q->from, d, r->collection);
      if (ok) {
         *db = bson_strdup (d);
         *coll = bson_strdup (r->collection);
      }
   }
   ok = ok && column_names (qs, &rc, columns);
   if (ok && q->star && cte >= 0) {
      /* SELECT * FROM a WITH query: its columns */
      qs->out = bson_realloc (qs->out, sizeof *qs->out * (inner.nout ? inner.nout : 1));
      for (size_t i = 0; i < inner.nout; i++) {
         qs->out[i] = bson_strdup (inner.out[i]);
      }
      qs->nout = inner.nout;
      bson_concat (&qs->row, &inner.row);
   }
   /* WHERE */
   if (ok && q->where) {
      bson_t f = BSON_INITIALIZER;
      ok = bql_translate_filter (pl, &rc, q->where, &f);
      if (ok && !bson_empty (&f)) {
         stage_doc (lw, "$match", &f);
      }
      bson_destroy (&f);
   }
   /* GROUP BY, aggregates, DISTINCT */
   bool any_agg = false;
   for (int32_t i = 0; q->targets && i < q->targets->length; i++) {
      any_agg = any_agg || has_aggregate (bql_cast (SelectTarget, q->targets->items[i])->expr);
   }
   any_agg = any_agg || has_aggregate (q->having);
   if (ok && q->having && !q->group_by && !any_agg) {
      ok = bql_plan_error (pl, q->having, BQL_ERR_UNTRANSLATABLE, "Filter rows with WHERE.",
                           "HAVING needs GROUP BY or an aggregate");
   }
   if (ok && q->star && (q->group_by || any_agg || q->distinct)) {
      ok = bql_plan_error (pl, &q->node, BQL_ERR_UNTRANSLATABLE, "Name the columns of the select list.",
                           "SELECT * cannot be grouped");
   }
   if (ok && q->distinct && (q->group_by || any_agg)) {
      ok = bql_plan_error (pl, &q->node, BQL_ERR_UNSUPPORTED, "GROUP BY the columns instead.",
                           "not supported: SELECT DISTINCT with GROUP BY or aggregates");
   }
   qs->grouped = q->group_by || any_agg || q->distinct;
   bql_row_ctx_t post = rc;
   if (ok && qs->grouped) {
      if (q->distinct) {
         qs->nkeys = (size_t) q->targets->length;
         qs->keys = bson_malloc (sizeof *qs->keys * qs->nkeys);
         for (size_t i = 0; i < qs->nkeys; i++) {
            qs->keys[i] = bql_cast (SelectTarget, q->targets->items[i])->expr;
         }
      } else if (q->group_by) {
         qs->nkeys = (size_t) q->group_by->length;
         qs->keys = bson_malloc (sizeof *qs->keys * qs->nkeys);
         for (size_t i = 0; ok && i < qs->nkeys; i++) {
            const bql_node_t *k = q->group_by->items[i];
            /* GROUP BY a column of the select list by its name */
            for (int32_t t = 0; bql_is (k, ColumnRef) && t < q->targets->length; t++) {
               const bql_SelectTarget_t *st = bql_cast (SelectTarget, q->targets->items[t]);
               if (st->alias && !strcmp (st->alias, bql_cast (ColumnRef, k)->path)) {
                  k = st->expr;
                  break;
               }
            }
            if (has_aggregate (k)) {
               ok = bql_plan_error (pl, q->group_by->items[i], BQL_ERR_UNTRANSLATABLE, NULL,
                                    "GROUP BY cannot hold an aggregate");
            }
            qs->keys[i] = k;
         }
      }
      qs->key_paths = bson_malloc0 (sizeof *qs->key_paths * (qs->nkeys ? qs->nkeys : 1));
      for (size_t i = 0; i < qs->nkeys; i++) {
         qs->key_paths[i] = key_path (i);
      }
      agg_walk_t w = {qs, false};
      for (int32_t i = 0; q->targets && i < q->targets->length; i++) {
         bql_node_walk (bql_cast (SelectTarget, q->targets->items[i])->expr, agg_walk_enter, NULL, &w);
      }
      if (q->having) {
         bql_node_walk (q->having, agg_walk_enter, NULL, &w);
      }
      for (int32_t i = 0; q->order_by && i < q->order_by->length; i++) {
         bql_node_walk (bql_cast (SortItem, q->order_by->items[i])->expr, agg_walk_enter, NULL, &w);
      }
      bson_t g = BSON_INITIALIZER, finish = BSON_INITIALIZER;
      if (qs->nkeys) {
         bson_t id;
         bson_append_document_begin (&g, "_id", -1, &id);
         for (size_t i = 0; ok && i < qs->nkeys; i++) {
            char key[24];
            snprintf (key, sizeof key, "k%zu", i);
            ok = bql_translate_agg (pl, &rc, qs->keys[i], &id, key);
         }
         bson_append_document_end (&g, &id);
      } else {
         BSON_APPEND_NULL (&g, "_id");
      }
      for (size_t i = 0; ok && i < qs->naggs; i++) {
         ok = accumulator (pl, &rc, &qs->aggs[i], &g, &finish);
      }
      if (ok) {
         stage_doc (lw, "$group", &g);
         if (!bson_empty (&finish)) {
            stage_doc (lw, "$set", &finish);
         }
      }
      bson_destroy (&g);
      bson_destroy (&finish);
      post.aggregates = true;
      post.grouped = grouped;
      post.grouped_ctx = qs;
      if (ok && q->having) {
         bson_t f = BSON_INITIALIZER;
         ok = bql_translate_filter (pl, &post, q->having, &f);
         if (ok) {
            stage_doc (lw, "$match", &f);
         }
         bson_destroy (&f);
      }
   }
   /* the columns */
   for (int32_t i = 0; ok && !q->star && i < q->targets->length; i++) {
      char key[24];
      snprintf (key, sizeof key, "v%d", (int) i);
      const bql_node_t *e = bql_cast (SelectTarget, q->targets->items[i])->expr;
      if (q->distinct) {
         char *ref = bson_strdup_printf ("$%s", qs->key_paths[i]);
         BSON_APPEND_UTF8 (&qs->row, key, ref);
         bson_free (ref);
      } else {
         ok = shape (qs, &post, e, &qs->row, key);
      }
   }
   bson_t sort = BSON_INITIALIZER;
   for (int32_t i = 0; ok && q->order_by && i < q->order_by->length; i++) {
      ok = sort_key (qs, &post, bql_cast (SortItem, q->order_by->items[i]), &sort);
   }
   int64_t limit = -1;
   if (ok && q->limit) {
      const char *v = bql_cast (Const, q->limit)->value;
      char *end;
      limit = strtoll (v, &end, 10);
      if (*end || limit < 1) {
         ok = bql_plan_error (pl, q->limit, BQL_ERR_VALUE, NULL, "LIMIT takes a number of rows from 1 to %lld",
                              (long long) INT64_MAX);
      }
   }
   /* what the server computes for the columns, and (without $group) the
    * fields they read, nothing more */
   if (ok && qs->grouped && !bson_empty (&qs->computed)) {
      stage_doc (lw, "$set", &qs->computed);
   } else if (ok && !qs->grouped && !q->star && (!bson_empty (&qs->include) || !bson_empty (&qs->computed))) {
      bson_t stage, body;
      bson_iter_t it;
      stage_begin (lw, "$project", &stage, &body);
      bool has_id = false;
      bson_iter_init (&it, &qs->include);
      while (bson_iter_next (&it)) {
         has_id = has_id || !strcmp (bson_iter_key (&it), "_id") || !strncmp (bson_iter_key (&it), "_id.", 4);
      }
      if (!has_id) {
         BSON_APPEND_INT32 (&body, "_id", 0);
      }
      /* a field inside another that is kept is kept with it */
      bson_iter_init (&it, &qs->include);
      while (bson_iter_next (&it)) {
         const char *k = bson_iter_key (&it);
         bool inside = false;
         bson_iter_t o;
         bson_iter_init (&o, &qs->include);
         while (bson_iter_next (&o)) {
            size_t n = strlen (bson_iter_key (&o));
            inside = inside || (strlen (k) > n && !strncmp (k, bson_iter_key (&o), n) && k[n] == '.');
         }
         if (!inside) {
            BSON_APPEND_INT32 (&body, k, 1);
         }
      }
      bson_concat (&body, &qs->computed);
      stage_end (lw, &stage, &body);
   }
   if (ok && !bson_empty (&sort)) {
      stage_doc (lw, "$sort", &sort);
   }
   if (ok && limit > 0) {
      limit_stage (lw, limit);
   }
   bson_destroy (&sort);
   if (cte >= 0) {
      query_cleanup (&inner);
   }
   qs->from_query = NULL;
   return ok;
}

bool
bql_plan_select (bql_planner_t *pl, const bql_SelectSource_t *sel, const bql_list_t *columns)
{
   bql_plan_t *plan = pl->building;
   lower_t lw = {.pl = pl, .ctes = sel->ctes};
   bson_init (&lw.stages);
   for (int32_t i = 0; sel->ctes && i < sel->ctes->length; i++) {
      const bql_CommonTable_t *c = bql_cast (CommonTable, sel->ctes->items[i]);
      for (int32_t j = 0; j < i; j++) {
         if (!strcmp (bql_cast (CommonTable, sel->ctes->items[j])->name, c->name)) {
            bson_destroy (&lw.stages);
            return bql_plan_error (pl, &c->node, BQL_ERR_VALUE, NULL, "WITH query \"%s\" given twice", c->name);
         }
      }
   }
   query_t qs;
   char *db = NULL, *coll = NULL;
   bool ok = lower_query (&lw, sel, sel->ctes ? sel->ctes->length : 0, columns, &qs, &db, &coll);
   if (ok && qs.nout && !bson_empty (&qs.row)) {
      const char **names = bson_malloc (sizeof *names * qs.nout);
      size_t *idx = bson_malloc (sizeof *idx * qs.nout);
      for (size_t i = 0; i < qs.nout; i++) {
         names[i] = qs.out[i];
         idx[i] = i;
      }
      ok = nest_columns (pl, &qs, &sel->node, names, idx, qs.nout, &plan->select_row);
      bson_free (names);
      bson_free (idx);
   }
   if (ok && bql_doc_has_key (&lw.stages, "$dateTrunc")) {
      /* the same query for a server without $dateTrunc */
      lower_t parts = {.pl = pl, .ctes = sel->ctes, .date_parts = true};
      query_t qp;
      char *db2 = NULL, *coll2 = NULL;
      bson_init (&parts.stages);
      ok = lower_query (&parts, sel, sel->ctes ? sel->ctes->length : 0, columns, &qp, &db2, &coll2);
      if (ok) {
         bson_destroy (&plan->select_pipeline_parts);
         bson_steal (&plan->select_pipeline_parts, &parts.stages);
      } else {
         bson_destroy (&parts.stages);
      }
      query_cleanup (&qp);
      bson_free (db2);
      bson_free (coll2);
   }
   if (ok) {
      plan->select = sel;
      plan->select_database = db;
      plan->select_collection = coll;
      bson_destroy (&plan->select_pipeline);
      bson_steal (&plan->select_pipeline, &lw.stages);
      plan->select_columns = qs.out;
      plan->nselect_columns = qs.nout;
      qs.out = NULL;
      qs.nout = 0;
      if (!strcmp (db, plan->database) && !strcmp (coll, plan->collection)) {
         ok = bql_plan_error (pl, sel->from, BQL_ERR_VALUE,
                              "Write into another collection: the cursor could read the rows the statement writes.",
                              "the SELECT reads the collection the statement writes (%s.%s)", db, coll);
      }
   } else {
      bson_free (db);
      bson_free (coll);
      bson_destroy (&lw.stages);
   }
   query_cleanup (&qs);
   return ok;
}

/* A template value as a $project expression: "$path" and {$literal}
 * stay, a document of columns is a document of such (an empty one a
 * {$literal: {}}). */
static void
project_value (const bson_iter_t *it, bson_t *out, const char *key)
{
   bson_t sub, child;
   bson_iter_t in;
   if (!BSON_ITER_HOLDS_DOCUMENT (it) || !bql_iter_sub (it, &sub)) {
      bson_append_iter (out, key, -1, it);
      return;
   }
   bool empty = !(bson_iter_init (&in, &sub) && bson_iter_next (&in));
   if (!empty && !strcmp (bson_iter_key (&in), "$literal")) {
      bson_append_iter (out, key, -1, it);
      return;
   }
   bson_append_document_begin (out, key, -1, &child);
   if (empty) {
      bson_t e = BSON_INITIALIZER;
      BSON_APPEND_DOCUMENT (&child, "$literal", &e);
   } else {
      do {
         project_value (&in, &child, bson_iter_key (&in));
      } while (bson_iter_next (&in));
   }
   bson_append_document_end (out, &child);
}

bool
bql_select_project (const bql_plan_t *plan, bson_t *project)
{
   if (bson_empty (&plan->select_row)) {
      return false;
   }
   bson_iter_t it;
   if (!bson_has_field (&plan->select_row, "_id")) {
      BSON_APPEND_INT32 (project, "_id", 0);
   }
   bson_iter_init (&it, &plan->select_row);
   while (bson_iter_next (&it)) {
      project_value (&it, project, bson_iter_key (&it));
   }
   return true;
}

bool
bql_plan_select_has_column (const bql_plan_t *plan, const char *name)
{
   for (size_t i = 0; i < plan->nselect_columns; i++) {
      if (!strcmp (plan->select_columns[i], name)) {
         return true;
      }
   }
   return false;
}
