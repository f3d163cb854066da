/*
 * plan.c — statements to plans (SPEC §1's lowering table). For each kind
 * of statement this file resolves the target namespace, the column list,
 * the row source (VALUES rows are computed here, CHECK included, so that
 * bad literals are errors before anything is written), the WHERE filter,
 * the SET list and the options, and keeps what the executor needs to build
 * the exact commands. The per-row filter and update of UPSERT, UPDATE ...
 * FROM and ON DUPLICATE KEY are built by bql_plan_row_write() for both the
 * executor and EXPLAIN.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <unistd.h>

#include "columns.h"
#include "planner.h"

void
bql_rows_append (bql_rows_t *rows, const bson_t *doc, int64_t rownum)
{
   if (rows->len + doc->len > rows->cap) {
      size_t cap = rows->cap ? rows->cap : 4096;
      while (cap < rows->len + doc->len) {
         cap *= 2;
      }
      rows->data = bson_realloc (rows->data, cap);
      rows->cap = cap;
   }
   memcpy (rows->data + rows->len, bson_get_data (doc), doc->len);
   rows->len += doc->len;
   if ((rows->count & (rows->count - 1)) == 0) {
      size_t ncap = rows->count ? rows->count * 2 : 1;
      rows->rownum = bson_realloc (rows->rownum, sizeof *rows->rownum * ncap);
   }
   rows->rownum[rows->count++] = rownum;
}

void
bql_rows_cleanup (bql_rows_t *rows)
{
   bson_free (rows->data);
   bson_free (rows->rownum);
   memset (rows, 0, sizeof *rows);
}

static int64_t
wall_clock_ms (void)
{
   struct timeval tv;
   gettimeofday (&tv, NULL);
   return (int64_t) tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static bool
set_relation (bql_planner_t *pl, const bql_node_t *rel, const char *default_db)
{
   const bql_RangeVar_t *r = bql_cast (RangeVar, rel);
   const char *db = r->database ? r->database : (default_db ? default_db : "test");
   if (!bql_plan_check_relation (pl, rel, db, r->collection)) {
      return false;
   }
   pl->building->database = bson_strdup (db);
   pl->building->collection = bson_strdup (r->collection);
   return true;
}

/* Compute the rows of VALUES into plan->rows, with CHECK. */
static bool
param_walk_enter (const bql_node_t *node, int depth, void *ctx)
{
   (void) depth;
   bool *found = ctx;
   *found = *found || bql_is (node, ParamRef);
   return !*found;
}

/* Does e hold a bound parameter? Its documents are data the planner has
 * not seen (literals and JSON_OBJECT keys are checked as they are read). */
static bool
has_param (const bql_node_t *e)
{
   bool found = false;
   bql_node_walk (e, param_walk_enter, NULL, &found);
   return found;
}

static bool
compute_rows (bql_planner_t *pl, const bql_ValuesSource_t *vs, const bql_columns_t *cols, bool need_columns)
{
   bql_plan_t *plan = pl->building;
   const bql_list_t *rows = vs->rows;
   size_t ncols = cols->n;
   bson_value_t *vals = bson_malloc0 (sizeof *vals * (ncols ? ncols : 1));
   bson_t doc;
   bool ok = true;

   if (ncols == 0 && need_columns) {
      bson_free (vals);
      return bql_plan_error (pl, &vs->node, BQL_ERR_VALUE, "Name the columns of the rows: AS v(sku, price).",
                             "the VALUES rows need a column list");
   }
   for (int32_t r = 0; ok && r < rows->length; r++) {
      const bql_Row_t *row = bql_cast (Row, rows->items[r]);
      int64_t rownum = r + 1;
      bson_init (&doc);
      if (ncols == 0) {
         /* no column list: each row is one document */
         if (row->values->length != 1) {
            ok = bql_plan_error (pl, &row->node, BQL_ERR_VALUE,
                                 "Give a column list, as in BULK INSERT INTO c (a, b) VALUES (1, 2), or one document per row: VALUES ({a: 1}).",
                                 "without a column list each row must be one document, not %d values",
                                 (int) row->values->length);
            bson_destroy (&doc);
            break;
         }
         bql_val_t v;
         const bql_node_t *e = row->values->items[0];
         bql_eval_rc_t rc = bql_eval (pl, NULL, e, &v);
         if (rc == BQL_EVAL_FIELD) {
            ok = bql_plan_error (pl, e, BQL_ERR_VALUE, "Rows hold values; stored fields are read by BULK UPDATE.",
                                 "a VALUES row cannot refer to a field");
         } else if (rc == BQL_EVAL_ERROR) {
            ok = false;
         } else if (v.is_interval || v.v.value_type != BSON_TYPE_DOCUMENT) {
            ok = bql_plan_error (pl, e, BQL_ERR_TYPE, "Give a column list, or one document per row: VALUES ({a: 1}).",
                                 "without a column list each row must be a document, not %s", bql_val_type_name (&v));
            bql_val_destroy (&v);
         } else {
            bson_t sub;
            bson_init_static (&sub, v.v.value.v_doc.data, v.v.value.v_doc.data_len);
            ok = !has_param (e) || bql_check_keys (pl, e, &sub, "a bound parameter");
            bson_concat (&doc, &sub);
            bql_val_destroy (&v);
         }
      } else {
         if ((size_t) row->values->length != ncols) {
            ok = bql_plan_error (pl, &row->node, BQL_ERR_VALUE, NULL, "VALUES row %lld has %d value%s but the column list has %d",
                                 (long long) rownum, (int) row->values->length, row->values->length == 1 ? "" : "s",
                                 (int) ncols);
            bson_destroy (&doc);
            break;
         }
         size_t got = 0;
         for (size_t c = 0; ok && c < ncols; c++) {
            const bql_node_t *e = row->values->items[c];
            bql_val_t v;
            bql_eval_rc_t rc = bql_eval (pl, NULL, e, &v);
            if (rc == BQL_EVAL_FIELD) {
               ok = bql_plan_error (pl, e, BQL_ERR_VALUE, "Rows hold values; stored fields are read by BULK UPDATE.",
                                    "a VALUES row cannot refer to a field");
               break;
            }
            if (rc == BQL_EVAL_ERROR) {
               ok = false;
               break;
            }
            if (v.is_interval) {
               ok = bql_append_val (pl, e, &doc, "x", &v);
               break;
            }
            vals[c] = v.v; /* take ownership */
            got++;
            if ((v.v.value_type == BSON_TYPE_DOCUMENT || v.v.value_type == BSON_TYPE_ARRAY) && has_param (e)) {
               bson_t sub;
               bson_init_static (&sub, v.v.value.v_doc.data, v.v.value.v_doc.data_len);
               if (!bql_check_keys (pl, e, &sub, "a bound parameter")) {
                  ok = false;
                  break;
               }
            }
            char err[300];
            if (!bql_column_convert_value (&cols->cols[c], &vals[c], err, sizeof err)) {
               ok = bql_plan_error (pl, e, BQL_ERR_TYPE, NULL, "column %s: %s", cols->cols[c].path, err);
            }
         }
         if (ok) {
            bql_columns_emit (cols, &doc, vals);
         }
         for (size_t c = 0; c < got; c++) {
            bson_value_destroy (&vals[c]);
            memset (&vals[c], 0, sizeof vals[c]);
         }
      }
      if (ok && plan->check) {
         bql_row_ctx_t rc = {.row = &doc, .bare_is_row = true, .missing_is_null = true};
         bool pass, is_null;
         if (bql_eval_condition (pl, &rc, plan->check, &pass, &is_null) != BQL_EVAL_OK) {
            ok = false;
         } else if (!pass && !is_null) {
            /* a failed row: counted and reported when the statement runs */
            char key[16];
            const char *k;
            bson_uint32_to_string ((uint32_t) plan->nfailed++, &k, key, sizeof key);
            bson_t f;
            bson_append_document_begin (&plan->failed, k, -1, &f);
            BSON_APPEND_INT64 (&f, "row", rownum);
            char *text = bson_strndup (pl->source + plan->check->location, (size_t) plan->check->length);
            char *msg = bson_strdup_printf ("CHECK (%s) failed", text);
            BSON_APPEND_UTF8 (&f, "errmsg", msg);
            bson_free (msg);
            bson_free (text);
            BSON_APPEND_DOCUMENT (&f, "document", &doc);
            bson_append_document_end (&plan->failed, &f);
            bson_destroy (&doc);
            continue;
         }
      }
      if (ok) {
         bql_rows_append (&plan->rows, &doc, rownum);
      }
      bson_destroy (&doc);
   }
   bson_free (vals);
   plan->has_rows = ok;
   return ok;
}

static const char *const file_formats[] = {"CSV", "TSV", "NDJSON", "JSON"};

static bool
plan_file (bql_planner_t *pl, const bql_FileSource_t *fs)
{
   if (fs->format) {
      bool known = false;
      for (size_t i = 0; i < sizeof file_formats / sizeof file_formats[0]; i++) {
         if (!strcasecmp (fs->format, file_formats[i])) {
            known = true;
         }
      }
      if (!known) {
         return bql_plan_error (pl, &fs->node, BQL_ERR_UNSUPPORTED, "Formats are CSV, TSV, NDJSON and JSON.",
                                "not supported: file format %s", fs->format);
      }
   }
   if (fs->compression && strcasecmp (fs->compression, "GZIP") && strcasecmp (fs->compression, "NONE")) {
      return bql_plan_error (pl, &fs->node, BQL_ERR_UNSUPPORTED, "Compression is GZIP or NONE.",
                             "not supported: compression %s", fs->compression);
   }
   if (!fs->format && fs->is_stdin) {
      bool del = pl->plan->kind == BQL_KIND_DELETE;
      return bql_plan_error (pl, &fs->node, BQL_ERR_VALUE,
                             del ? "Say what comes on standard input: USING STDIN FORMAT CSV."
                                 : "Say what comes on standard input: FROM STDIN FORMAT CSV.",
                             "%s STDIN needs a FORMAT", del ? "USING" : "FROM");
   }
   if (!bql_file_options_check (pl, fs)) {
      return false;
   }
   pl->building->file = fs;
   return true;
}

static bool
plan_columns (bql_planner_t *pl, const bql_list_t *defs)
{
   pl->building->cols = bson_malloc0 (sizeof (bql_columns_t));
   return bql_columns_init (pl, defs, pl->building->cols);
}

typedef struct {
   bql_planner_t *pl;
   const bql_columns_t *cols;
   bool ok;
} check_walk_t;

/* path names column col, a field inside it, or a document holding it */
static bool
path_meets_column (const char *path, const char *col)
{
   size_t p = strlen (path), c = strlen (col);
   size_t n = p < c ? p : c;
   return !strncmp (path, col, n) && (p == c || (p > c ? path[c] : col[p]) == '.');
}

static bool
check_walk_enter (const bql_node_t *node, int depth, void *ctx)
{
   (void) depth;
   check_walk_t *w = ctx;
   if (!w->ok || !bql_is (node, ColumnRef)) {
      return w->ok;
   }
   const char *path = bql_cast (ColumnRef, node)->path;
   for (size_t c = 0; c < w->cols->n; c++) {
      if (path_meets_column (path, w->cols->cols[c].path)) {
         return true;
      }
   }
   w->ok = bql_plan_error (w->pl, node, BQL_ERR_VALUE, "CHECK reads the columns of the column list.",
                           "CHECK refers to \"%s\", which is not in the column list", path);
   return false;
}

/* With a column list, every name in CHECK must be one of its columns: a
 * misspelt name would read as NULL and pass every row. */
static bool
check_columns (bql_planner_t *pl, const bql_node_t *check)
{
   check_walk_t w = {pl, pl->plan->cols, true};
   if (check && w.cols && w.cols->n) {
      bql_node_walk (check, check_walk_enter, NULL, &w);
   }
   return w.ok;
}

/* Keys of ON CONFLICT / ON DUPLICATE KEY: columns of the incoming row. */
static bool
plan_keys (bql_planner_t *pl, const bql_list_t *keys)
{
   bql_plan_t *plan = pl->building;
   for (int32_t i = 0; keys && i < keys->length; i++) {
      const char *k = bql_cast (ColumnRef, keys->items[i])->path;
      if (plan->select && !plan->select->star && !bql_plan_select_has_column (plan, k)) {
         return bql_plan_error (pl, keys->items[i], BQL_ERR_VALUE, "Key columns come from the select list.",
                                "key column \"%s\" is not a column of the SELECT", k);
      }
      if (plan->cols && plan->cols->n) {
         bool found = false;
         for (size_t c = 0; c < plan->cols->n; c++) {
            if (!strcmp (plan->cols->cols[c].path, k)) {
               found = true;
            }
         }
         if (!found) {
            return bql_plan_error (pl, keys->items[i], BQL_ERR_VALUE, "Key columns come from the column list.",
                                   "key column \"%s\" is not in the column list", k);
         }
      }
      for (int32_t j = 0; j < i; j++) {
         if (!strcmp (bql_cast (ColumnRef, keys->items[j])->path, k)) {
            return bql_plan_error (pl, keys->items[i], BQL_ERR_VALUE, NULL, "key column \"%s\" given twice", k);
         }
      }
   }
   plan->keys = keys;
   return true;
}

/* The rows of INSERT/UPSERT ... SELECT: the SELECT lowered to a
 * pipeline (select.c). CHECK does not apply (WHERE filters the rows). */
static bool
plan_select_source (bql_planner_t *pl, const bql_node_t *source, const bql_list_t *columns, const bql_node_t *check)
{
   if (check) {
      return bql_plan_error (pl, check, BQL_ERR_UNSUPPORTED, "Filter the rows with the SELECT's WHERE.",
                             "not supported: CHECK with rows from SELECT");
   }
   return bql_plan_select (pl, bql_cast (SelectSource, source), columns);
}

static bool
plan_insert (bql_planner_t *pl, const bql_InsertStmt_t *s, const bql_plan_options_t *o)
{
   bql_plan_t *plan = pl->building;
   plan->kind = BQL_KIND_INSERT;
   if (!set_relation (pl, s->relation, o ? o->database : NULL)) {
      return false;
   }
   if (bql_is (s->source, SelectSource) && !plan_select_source (pl, s->source, s->columns, s->check)) {
      return false;
   }
   if (!plan_columns (pl, plan->select ? NULL : s->columns)) {
      return false;
   }
   plan->check = s->check;
   if (!check_columns (pl, s->check)) {
      return false;
   }
   if (s->on_duplicate) {
      const bql_OnDuplicateKey_t *od = bql_cast (OnDuplicateKey, s->on_duplicate);
      plan->on_duplicate = true;
      if (!plan_keys (pl, od->keys)) {
         return false;
      }
      bql_row_ctx_t rc = {.excluded = true};
      if (!bql_plan_set_list (pl, od->set_clause, &rc)) {
         return false;
      }
   }
   if (plan->select) {
      return true;
   }
   if (bql_is (s->source, ValuesSource)) {
      return compute_rows (pl, bql_cast (ValuesSource, s->source), plan->cols, false);
   }
   return plan_file (pl, bql_cast (FileSource, s->source));
}

static bool
plan_upsert (bql_planner_t *pl, const bql_UpsertStmt_t *s, const bql_plan_options_t *o)
{
   bql_plan_t *plan = pl->building;
   plan->kind = BQL_KIND_UPSERT;
   if (!set_relation (pl, s->relation, o ? o->database : NULL)) {
      return false;
   }
   if (bql_is (s->source, SelectSource) && !plan_select_source (pl, s->source, s->columns, s->check)) {
      return false;
   }
   if (!plan_columns (pl, plan->select ? NULL : s->columns)) {
      return false;
   }
   plan->check = s->check;
   if (!check_columns (pl, s->check)) {
      return false;
   }
   const bql_OnConflict_t *oc = bql_cast (OnConflict, s->on_conflict);
   if (!plan_keys (pl, oc->keys)) {
      return false;
   }
   plan->do_nothing = oc->action == BQL_CONFLICT_NOTHING;
   plan->replace = oc->action == BQL_CONFLICT_REPLACE;
   plan->set_all = oc->set_all;
   if (!plan->do_nothing && !plan->replace && !plan->set_all) {
      bql_row_ctx_t rc = {.excluded = true};
      if (!bql_plan_set_list (pl, oc->set_clause, &rc)) {
         return false;
      }
      /* a SET item that needs a pipeline makes the upsert a pipeline
       * upsert (upsert_pipeline below) */
   }
   if (plan->select) {
      return true;
   }
   if (bql_is (s->source, ValuesSource)) {
      return compute_rows (pl, bql_cast (ValuesSource, s->source), plan->cols, false);
   }
   return plan_file (pl, bql_cast (FileSource, s->source));
}

/* True when cond, read as a conjunction, has a conjunct `field = v.col` (or
 * `v.col = field`): the join that ties each incoming row to its documents.
 * Without one, updateOne per row would change an arbitrary matching
 * document, which is not what the statement says. */
static bool
has_row_join (const bql_row_ctx_t *rc, const bql_node_t *cond)
{
   if (bql_is (cond, BoolExpr) && bql_cast (BoolExpr, cond)->op == BQL_OP_AND) {
      const bql_BoolExpr_t *and = bql_cast (BoolExpr, cond);
      for (int32_t i = 0; i < and->args->length; i++) {
         if (has_row_join (rc, and->args->items[i])) {
            return true;
         }
      }
      return false;
   }
   if (!bql_is (cond, BinaryExpr)) {
      return false;
   }
   const bql_BinaryExpr_t *b = bql_cast (BinaryExpr, cond);
   if (b->op != BQL_OP_EQ) {
      return false;
   }
   const bql_node_t *row = bql_row_column (rc, b->left) ? b->left : b->right;
   const bql_node_t *field = row == b->left ? b->right : b->left;
   return bql_row_column (rc, row) && bql_is (field, ColumnRef) && !bql_row_column (rc, field);
}

/* The aliased row source of UPDATE ... FROM and DELETE ... USING. */
static bool
plan_aliased_source (bql_planner_t *pl, const bql_node_t *from, bql_row_ctx_t *rc)
{
   bql_plan_t *plan = pl->building;
   if (bql_is (from, ValuesSource)) {
      const bql_ValuesSource_t *vs = bql_cast (ValuesSource, from);
      plan->row_alias = vs->alias;
      if (!plan_columns (pl, vs->alias_columns) || !compute_rows (pl, vs, plan->cols, true)) {
         return false;
      }
   } else {
      const bql_FileSource_t *fs = bql_cast (FileSource, from);
      plan->row_alias = fs->alias;
      if (!plan_columns (pl, fs->alias_columns) || !plan_file (pl, fs)) {
         return false;
      }
   }
   if (!strcmp (plan->row_alias, plan->collection)) {
      return bql_plan_error (pl, from, BQL_ERR_VALUE, "Name the incoming row differently: AS v.",
                             "the alias \"%s\" is also the collection's name", plan->row_alias);
   }
   rc->alias = plan->row_alias;
   return true;
}

static bool
plan_update (bql_planner_t *pl, const bql_UpdateStmt_t *s, const bql_plan_options_t *o)
{
   bql_plan_t *plan = pl->building;
   plan->kind = BQL_KIND_UPDATE;
   if (!set_relation (pl, s->relation, o ? o->database : NULL)) {
      return false;
   }
   bql_row_ctx_t rc = {0};
   if (s->from && !plan_aliased_source (pl, s->from, &rc)) {
      return false;
   }
   plan->set_all = s->set_all;
   if (plan->set_all) {
      /* SET *: $set every column of the incoming row but _id */
      plan->update_per_row = true;
   } else if (!bql_plan_set_list (pl, s->set_clause, &rc)) {
      return false;
   }
   plan->where = s->where;
   if (s->from && !has_row_join (&rc, s->where)) {
      return bql_plan_error (pl, s->where, BQL_ERR_UNTRANSLATABLE,
                             "Match each incoming row to its documents with an equality, for example WHERE _id = v.id.",
                             "BULK UPDATE ... FROM needs a WHERE condition that joins a field to a column of \"%s\"",
                             rc.alias);
   }
   plan->filter_per_row = s->from && bql_refers_to_row (&rc, s->where);
   if (!plan->filter_per_row && !bql_translate_filter (pl, &rc, s->where, &plan->filter)) {
      return false;
   }
   if (!plan->update_per_row) {
      bool pipe;
      if (!bql_build_update (pl, &rc, &plan->update, &pipe)) {
         return false;
      }
   }
   return true;
}

static bool
plan_delete (bql_planner_t *pl, const bql_DeleteStmt_t *s, const bql_plan_options_t *o)
{
   bql_plan_t *plan = pl->building;
   plan->kind = BQL_KIND_DELETE;
   if (!set_relation (pl, s->relation, o ? o->database : NULL)) {
      return false;
   }
   plan->where = s->where;
   if (!s->using_source) {
      return bql_translate_filter (pl, NULL, s->where, &plan->filter);
   }
   /* DELETE ... USING: each row's filter comes from the WHERE join */
   bql_row_ctx_t rc = {0};
   if (!plan_aliased_source (pl, s->using_source, &rc)) {
      return false;
   }
   plan->delete_using = true;
   if (!has_row_join (&rc, s->where)) {
      return bql_plan_error (pl, s->where, BQL_ERR_UNTRANSLATABLE,
                             "Match each incoming row to its documents with an equality, for example WHERE sku = v.sku.",
                             "BULK DELETE ... USING needs a WHERE condition that joins a field to a column of \"%s\"",
                             rc.alias);
   }
   plan->filter_per_row = true;
   /* the filter of a row is built when the row is read; build one now
    * (with placeholders) so that an untranslatable WHERE is an error
    * before anything runs */
   bson_t q = BSON_INITIALIZER;
   bool ok = bql_translate_filter (pl, &rc, s->where, &q);
   bson_destroy (&q);
   return ok;
}

static const bql_list_t *
statement_options (const bql_node_t *stmt)
{
   switch (stmt->kind) {
   case BQL_T_InsertStmt:
      return bql_cast (InsertStmt, stmt)->options;
   case BQL_T_UpdateStmt:
      return bql_cast (UpdateStmt, stmt)->options;
   case BQL_T_UpsertStmt:
      return bql_cast (UpsertStmt, stmt)->options;
   case BQL_T_DeleteStmt:
      return bql_cast (DeleteStmt, stmt)->options;
   default:
      return NULL;
   }
}

/* server_side = true|false: only for rows from SELECT; true only when
 * $merge can honour the statement's options. Errors at the option. */
static bool
check_server_side (bql_planner_t *pl, const bql_node_t *stmt)
{
   const bql_plan_t *plan = pl->plan;
   const bql_list_t *groups = statement_options (stmt);
   const bql_node_t *at = stmt;
   for (int32_t g = 0; groups && g < groups->length; g++) {
      const bql_list_t *opts = bql_cast (OptionGroup, groups->items[g])->options;
      for (int32_t k = 0; opts && k < opts->length; k++) {
         if (!strcmp (bql_cast (Option, opts->items[k])->name, "server_side")) {
            at = opts->items[k];
         }
      }
   }
   if (!plan->select) {
      return bql_plan_error (pl, at, BQL_ERR_OPTION, "It chooses how BULK INSERT/UPSERT ... SELECT runs.",
                             "server_side applies to rows from SELECT");
   }
   const char *blocker = plan->opts.server_side == 1 ? bql_plan_merge_blocker (plan) : NULL;
   if (blocker) {
      return bql_plan_error (pl, at, BQL_ERR_OPTION,
                             "Leave server_side unset or false: the rows then go through bulk writes, one by one.",
                             "server_side = true cannot honour %s", blocker);
   }
   return true;
}

bool
bql_plan_new (const bql_script_t *script, size_t i, const bql_plan_options_t *o, bql_plan_t **out, bql_error_t *error)
{
   if (error) {
      bql_error_clear (error);
   }
   bql_error_t scratch;
   if (!error) {
      error = &scratch;
      bql_error_clear (error);
   }
   if (!out || !script || i >= bql_script_statement_count (script)) {
      error->domain = BQL_ERROR_USAGE;
      error->code = BQL_ERR_INVALID_ARG;
      snprintf (error->message, sizeof error->message, "bql_plan_new: no statement %zu", i);
      if (out) {
         *out = NULL;
      }
      return false;
   }
   *out = NULL;
   /* the fields the caller knows of (size), the rest zero. A caller built
    * before cores passes the size of the options then, padding included
    * (planner.h: bql_plan_options_v1_t; 64 on LP64, 36 on i386): a field
    * added later must start at or past it, or that padding is read */
   _Static_assert (offsetof (bql_plan_options_t, cores) >= sizeof (bql_plan_options_v1_t),
                   "bql_plan_options_t.cores lies in the padding of older options");
   bql_plan_options_t known;
   memset (&known, 0, sizeof known);
   if (o) {
      size_t n = o->size && o->size < sizeof known ? o->size : sizeof known;
      memcpy (&known, o, n);
      o = &known;
   }
   const bql_node_t *stmt = bql_script_statement (script, i);
   bql_plan_t *plan = bson_malloc0 (sizeof *plan);
   plan->script = script;
   bql_options_init (&plan->opts);
   bson_init (&plan->params);
   bson_init (&plan->filter);
   bson_init (&plan->update);
   bson_init (&plan->failed);
   bson_init (&plan->select_pipeline);
   bson_init (&plan->select_pipeline_parts);
   bson_init (&plan->select_row);
   if (bql_is (stmt, ExplainStmt)) {
      plan->explain = true;
      stmt = bql_cast (ExplainStmt, stmt)->statement;
   }
   plan->stmt = stmt;
   plan->placeholders = plan->explain || (o && o->explain_only);
   plan->explain_only = o && o->explain_only;
   plan->now_ms = o && o->now_ms ? o->now_ms : wall_clock_ms ();
   if (o && o->cores > 0) {
      plan->cores = o->cores < INT32_MAX ? (int) o->cores : INT32_MAX;
   } else {
      long online = sysconf (_SC_NPROCESSORS_ONLN);
      plan->cores = online > 0 ? (online < INT32_MAX ? (int) online : INT32_MAX) : 1;
   }
   if (o && o->params) {
      bson_copy_to_excluding_noinit (o->params, &plan->params, "", NULL);
   }
   size_t source_len;
   const char *source = bql_script_source (script, &source_len);
   plan->statement_text = bson_strndup (source + stmt->location, (size_t) stmt->length);

   bql_planner_t pl = {plan, source, source_len, error, plan};
   bool ok;
   switch (stmt->kind) {
   case BQL_T_InsertStmt:
      ok = plan_insert (&pl, bql_cast (InsertStmt, stmt), o);
      break;
   case BQL_T_UpsertStmt:
      ok = plan_upsert (&pl, bql_cast (UpsertStmt, stmt), o);
      break;
   case BQL_T_UpdateStmt:
      ok = plan_update (&pl, bql_cast (UpdateStmt, stmt), o);
      break;
   case BQL_T_DeleteStmt:
      ok = plan_delete (&pl, bql_cast (DeleteStmt, stmt), o);
      break;
   case BQL_T_ResumeStmt:
      /* its statement is stored on the server: read, checked and planned
       * there by bql_operation_resume (operations.h) */
      ok = bql_plan_error (&pl, stmt, BQL_ERR_UNSUPPORTED,
                           "Run it with bql_operation_resume (bulkql runs it as it comes in a script).",
                           "RESUME OPERATION is not planned: the statement it resumes is stored on the server");
      break;
   default:
      ok = bql_plan_error (&pl, stmt, BQL_ERR_UNSUPPORTED, NULL, "not a BULK statement");
      break;
   }
   /* Options last, so that a construct outside the language is reported
    * before a consequence of it. */
   ok = ok && bql_options_resolve (&pl, statement_options (stmt), plan->kind, o ? o->opts : NULL, &plan->opts);
   ok = ok && bql_plan_check_names (&pl, stmt, statement_options (stmt));
   if (ok && plan->file && !plan->file->is_stdin) {
      const char *path = plan->file->path ? plan->file->path : "";
      const char *base = o ? o->base_dir : NULL;
      if (base && *base && path[0] != '/') {
         size_t bl = strlen (base);
         plan->file_path = bson_strdup_printf ("%s%s%s", base, base[bl - 1] == '/' ? "" : "/", path);
      } else {
         plan->file_path = bson_strdup (path);
      }
   }
   if (ok && plan->opts.server_side >= 0) {
      ok = check_server_side (&pl, stmt);
   }
   if (ok && plan->opts.upsert_mode && plan->on_duplicate) {
      ok = bql_plan_error (&pl, stmt, BQL_ERR_OPTION, "Use one of them.",
                           "upsert_mode and ON DUPLICATE KEY UPDATE exclude each other");
   }
   if (ok && o && o->dry_run) {
      plan->opts.dry_run = true;
   }
   if (ok) {
      plan->steps_ok = bql_steps_build (plan, &plan->steps, &plan->steps_error);
   }
   if (!ok) {
      if (error->domain == BQL_ERROR_NONE) {
         error->domain = BQL_ERROR_PLAN;
         error->code = BQL_ERR_NOMEM;
         snprintf (error->message, sizeof error->message, "planning failed");
      }
      bql_plan_destroy (plan);
      return false;
   }
   /* made here, not on demand: a plan is read by several threads */
   plan->ns = bson_strdup_printf ("%s.%s", plan->database, plan->collection);
   *out = plan;
   return true;
}

void
bql_plan_destroy (bql_plan_t *plan)
{
   if (!plan) {
      return;
   }
   bql_steps_cleanup (&plan->steps);
   bql_options_cleanup (&plan->opts);
   bson_destroy (&plan->params);
   bson_destroy (&plan->filter);
   bson_destroy (&plan->update);
   bson_destroy (&plan->failed);
   bson_destroy (&plan->select_pipeline);
   bson_destroy (&plan->select_pipeline_parts);
   bson_destroy (&plan->select_row);
   for (size_t i = 0; i < plan->nselect_columns; i++) {
      bson_free (plan->select_columns[i]);
   }
   bson_free (plan->select_columns);
   bson_free (plan->select_database);
   bson_free (plan->select_collection);
   bql_rows_cleanup (&plan->rows);
   if (plan->cols) {
      bql_columns_cleanup (plan->cols);
      bson_free (plan->cols);
   }
   bson_free (plan->set);
   bson_free (plan->database);
   bson_free (plan->collection);
   bson_free (plan->statement_text);
   bson_free (plan->ns);
   bson_free (plan->file_path);
   bson_free (plan);
}

bool
bql_plan_is_explain (const bql_plan_t *plan)
{
   return plan && plan->explain;
}

const char *
bql_plan_statement_kind (const bql_plan_t *plan)
{
   static const char *const names[] = {"BULK INSERT", "BULK UPDATE", "BULK UPSERT", "BULK DELETE"};
   return plan ? names[plan->kind] : NULL;
}

const char *
bql_plan_namespace (const bql_plan_t *plan)
{
   if (!plan) {
      return NULL;
   }
   return plan->ns;
}

int64_t
bql_plan_row_count (const bql_plan_t *plan)
{
   return plan && plan->has_rows ? (int64_t) (plan->rows.count + (size_t) plan->nfailed) : 0;
}

bool
bql_plan_reads_stdin (const bql_plan_t *plan)
{
   return plan && plan->file && plan->file->is_stdin && !plan->explain;
}

int
bql_plan_progress (const bql_plan_t *plan)
{
   return plan ? plan->opts.progress : -1;
}

/* ---- per-row writes ---- */

void
bql_plan_row_ctx (const bql_plan_t *plan, const bson_t *row, bql_row_ctx_t *rc)
{
   memset (rc, 0, sizeof *rc);
   rc->row = row;
   if (plan->kind == BQL_KIND_UPDATE || plan->kind == BQL_KIND_DELETE) {
      rc->alias = plan->row_alias;
   } else {
      rc->excluded = true;
   }
   rc->missing_is_null = plan->file != NULL || plan->select != NULL;
}

/* $setOnInsert: the row's fields except those the SET list assigns (a
 * document that holds an assigned path is descended into). */
static void
set_on_insert (const bql_plan_t *plan, const bson_t *doc, const char *prefix, bson_t *soi)
{
   bson_iter_t it;
   bson_iter_init (&it, doc);
   while (bson_iter_next (&it)) {
      char *path = prefix ? bson_strdup_printf ("%s.%s", prefix, bson_iter_key (&it)) : bson_strdup (bson_iter_key (&it));
      bool conflict = false, inside = false;
      size_t pl = strlen (path);
      for (size_t i = 0; i < plan->nset; i++) {
         const char *sp = plan->set[i].path;
         size_t sl = strlen (sp);
         if (!strcmp (sp, path) || (sl < pl && !strncmp (sp, path, sl) && path[sl] == '.')) {
            conflict = true;
         } else if (sl > pl && !strncmp (sp, path, pl) && sp[pl] == '.') {
            inside = true;
         }
      }
      if (!conflict && inside && BSON_ITER_HOLDS_DOCUMENT (&it)) {
         uint32_t len;
         const uint8_t *data;
         bson_iter_document (&it, &len, &data);
         bson_t sub;
         bson_init_static (&sub, data, len);
         set_on_insert (plan, &sub, path, soi);
      } else if (!conflict && !inside) {
         bson_append_iter (soi, path, -1, &it);
      }
      bson_free (path);
   }
}

static bool marks_new (const bql_plan_t *plan);

static bool
key_filter (bql_planner_t *pl, const bson_t *row, bson_t *q)
{
   const bql_plan_t *plan = pl->plan;
   int32_t n = plan->keys ? plan->keys->length : 1;
   for (int32_t i = 0; i < n; i++) {
      const char *k = plan->keys ? bql_cast (ColumnRef, plan->keys->items[i])->path : "_id";
      bson_iter_t it, child;
      if (!row) {
         bson_t sub;
         char *ph = bson_strdup_printf ("<row.%s>", k);
         bson_append_document_begin (q, k, -1, &sub);
         BSON_APPEND_UTF8 (&sub, "$eq", ph);
         bson_append_document_end (q, &sub);
         bson_free (ph);
         continue;
      }
      if (!bson_iter_init (&it, row) || !bson_iter_find_descendant (&it, k, &child)) {
         return bql_plan_error (pl, plan->keys ? plan->keys->items[i] : plan->stmt, BQL_ERR_VALUE, NULL,
                                "the row has no value for the key column \"%s\"", k);
      }
      bson_t sub;
      bson_append_document_begin (q, k, -1, &sub);
      bson_append_iter (&sub, "$eq", 3, &child);
      bson_append_document_end (q, &sub);
   }
   if (marks_new (plan)) {
      bson_t sub;
      if (row && bson_has_field (row, BQL_UPSERT_NEW_MARKER)) {
         return bql_plan_error (pl, plan->stmt, BQL_ERR_VALUE, NULL,
                                "the row has a column named \"%s\", which this upsert uses to tell a new document",
                                BQL_UPSERT_NEW_MARKER);
      }
      bson_append_document_begin (q, BQL_UPSERT_NEW_MARKER, -1, &sub);
      BSON_APPEND_NULL (&sub, "$eq");
      bson_append_document_end (q, &sub);
   }
   return true;
}

/* Is key one of the ON CONFLICT key columns? */
static bool
is_key_column (const bql_plan_t *plan, const char *key)
{
   for (int32_t i = 0; plan->keys && i < plan->keys->length; i++) {
      if (!strcmp (bql_cast (ColumnRef, plan->keys->items[i])->path, key)) {
         return true;
      }
   }
   return false;
}

/* SET *: {$set: every column of the row but _id (and, for an upsert, but
 * the key columns, which the filter's equalities give a new document)},
 * with those in $setOnInsert for an upsert. A row with nothing to $set is
 * an error for UPDATE ... FROM (an empty $set is not an update). */
static bool
set_all_update (bql_planner_t *pl, const bson_t *row, bool upsert, bson_t *u)
{
   const bql_plan_t *plan = pl->plan;
   bson_t set = BSON_INITIALIZER, soi = BSON_INITIALIZER;
   if (row) {
      bson_iter_t it;
      bson_iter_init (&it, row);
      while (bson_iter_next (&it)) {
         const char *k = bson_iter_key (&it);
         bool keep_out = !strcmp (k, "_id") || (upsert && is_key_column (plan, k));
         bson_append_iter (keep_out ? &soi : &set, NULL, 0, &it);
      }
   } else {
      BSON_APPEND_UTF8 (&set, "<field>",
                        upsert ? "<row value of every column but _id and the key columns>"
                               : "<row value of every column but _id>");
      if (upsert) {
         BSON_APPEND_UTF8 (&soi, "<field>", "<row value of _id and the key columns>");
      }
   }
   bool ok = true;
   if (!bson_empty (&set)) {
      BSON_APPEND_DOCUMENT (u, "$set", &set);
   } else if (!upsert) {
      ok = bql_plan_error (pl, plan->stmt, BQL_ERR_VALUE, NULL, "SET *: the row has no column to set besides _id");
   }
   if (upsert && !bson_empty (&soi)) {
      BSON_APPEND_DOCUMENT (u, "$setOnInsert", &soi);
   }
   bson_destroy (&set);
   bson_destroy (&soi);
   return ok;
}

typedef struct {
   bql_planner_t *pl;
   const bql_row_ctx_t *rc;
   bool ok;
} join_walk_t;

static bool
join_walk_enter (const bql_node_t *node, int depth, void *ctx)
{
   (void) depth;
   join_walk_t *w = ctx;
   const char *col = w->ok ? bql_row_column (w->rc, node) : NULL;
   if (!col) {
      return w->ok;
   }
   bson_iter_t it, child;
   bool found = bson_iter_init (&it, w->rc->row) && bson_iter_find_descendant (&it, col, &child);
   if (!found) {
      w->ok = bql_plan_error (w->pl, node, BQL_ERR_VALUE, NULL,
                              "the row has no value for the column \"%s\" of \"%s\": it names no document to delete",
                              col, w->rc->alias);
   } else if (BSON_ITER_HOLDS_NULL (&child)) {
      w->ok = bql_plan_error (w->pl, node, BQL_ERR_VALUE, NULL,
                              "the column \"%s\" of \"%s\" is NULL: it names no document to delete", col,
                              w->rc->alias);
   }
   return w->ok;
}

/* DELETE ... USING: every column of the row that WHERE reads must hold a
 * value. A missing or NULL key is a failed row: in MongoDB {k: {$eq:
 * null}} would match every document without k. */
static bool
check_delete_row (bql_planner_t *pl, const bql_row_ctx_t *rc)
{
   join_walk_t w = {pl, rc, true};
   if (rc->row) {
      bql_node_walk (pl->plan->where, join_walk_enter, NULL, &w);
   }
   return w.ok;
}

/* ---- does an update write a field its filter reads ---- */

/* Add the field paths the filter q reads to paths (a bson array of
 * strings). False when q reads fields in a way not listed ($expr,
 * $where, ...): then no path can be ruled out. */
static bool
filter_paths (const bson_t *q, const char *prefix, bson_t *paths, uint32_t *n)
{
   bson_iter_t it;
   bson_iter_init (&it, q);
   while (bson_iter_next (&it)) {
      const char *k = bson_iter_key (&it);
      if (!strcmp (k, "$and") || !strcmp (k, "$or") || !strcmp (k, "$nor")) {
         bson_iter_t ai;
         if (!BSON_ITER_HOLDS_ARRAY (&it) || !bson_iter_recurse (&it, &ai)) {
            return false;
         }
         while (bson_iter_next (&ai)) {
            uint32_t len;
            const uint8_t *data;
            if (!BSON_ITER_HOLDS_DOCUMENT (&ai)) {
               return false;
            }
            bson_iter_document (&ai, &len, &data);
            bson_t sub;
            bson_init_static (&sub, data, len);
            if (!filter_paths (&sub, prefix, paths, n)) {
               return false;
            }
         }
      } else if (k[0] == '$') {
         return prefix != NULL; /* an operator on a field: the field is listed */
      } else if (!prefix) {
         char kb[16];
         const char *key;
         bson_uint32_to_string ((*n)++, &key, kb, sizeof kb);
         BSON_APPEND_UTF8 (paths, key, k);
      }
   }
   return true;
}

/* Does one of the paths a or b lie inside the other (or equal it)? */
static bool
paths_overlap (const char *a, const char *b)
{
   size_t la = strlen (a), lb = strlen (b);
   size_t l = la < lb ? la : lb;
   return !strncmp (a, b, l) && (la == lb || (la < lb ? b[l] : a[l]) == '.');
}

bool
bql_plan_update_reads_filter (const bql_plan_t *plan, const bson_t *q)
{
   bson_t paths = BSON_INITIALIZER;
   uint32_t n = 0;
   bool reads = !filter_paths (q, NULL, &paths, &n);
   bson_iter_t it;
   bson_iter_init (&it, &paths);
   while (!reads && bson_iter_next (&it)) {
      const char *path = bson_iter_utf8 (&it, NULL);
      for (size_t s = 0; s < plan->nset; s++) {
         reads = reads || paths_overlap (plan->set[s].path, path);
      }
      /* SET *: every column of the row but _id is set */
      reads = reads || (plan->set_all && !paths_overlap ("_id", path));
   }
   bson_destroy (&paths);
   return reads;
}

bool
bql_plan_idempotent (const bql_plan_t *plan)
{
   /* deleting again, or setting deleted_at again, is safe: a DELETE has
    * no SET list */
   if (plan->pipeline) {
      return false;
   }
   for (size_t i = 0; i < plan->nset; i++) {
      if (plan->set[i].op == BQL_SET_INC || plan->set[i].op == BQL_SET_MUL || plan->set[i].op == BQL_SET_PUSH) {
         return false;
      }
   }
   return true;
}

/* Does the pipeline upsert of plan tell a new document by the marker
 * BQL_UPSERT_NEW_MARKER? When _id is a key column (or the upsert is on
 * _id), a stored document holding only its key columns looks exactly
 * like the one an upsert that inserts starts from (the equality fields of
 * its filter), so the filter carries one more equality, the marker field
 * equal to null: it matches every stored document that lacks the field
 * (any document BulkQL wrote: the pipeline removes the marker as its
 * last stage), and an upsert that inserts starts from a document that
 * holds it, as null. */
static bool
marks_new (const bql_plan_t *plan)
{
   return plan->kind == BQL_KIND_UPSERT && plan->pipeline && !plan->do_nothing && !plan->replace && !plan->set_all &&
          (!plan->keys || is_key_column (plan, "_id"));
}

/* {$cond: [existed, ...]}'s test under key: did the document exist
 * before this upsert? An upsert that inserts starts from the equality
 * fields of its filter (the key columns) and gets its _id after the
 * update, so a stored document is the one with an _id, unless _id is a
 * key column: then the one without the marker field the filter puts in
 * a new one (marks_new; its type is "null" there, "missing" in any
 * document BulkQL stored). */
static void
existed_expr (const bql_plan_t *plan, bson_t *doc, const char *key)
{
   bool marked = marks_new (plan);
   bson_t o, arr, ty;
   bson_append_document_begin (doc, key, -1, &o);
   bson_append_array_begin (&o, "$ne", -1, &arr);
   bson_append_document_begin (&arr, "0", -1, &ty);
   BSON_APPEND_UTF8 (&ty, "$type", marked ? "$" BQL_UPSERT_NEW_MARKER : "$_id");
   bson_append_document_end (&arr, &ty);
   BSON_APPEND_UTF8 (&arr, "1", marked ? "null" : "missing");
   bson_append_array_end (&o, &arr);
   bson_append_document_end (doc, &o);
}

/* path: {$cond: [existed, on_update, on_insert]}, on_insert being the
 * iterator's value as a literal, or (NULL) $$REMOVE, or (ph) a
 * placeholder. */
static void
cond_field (const bql_plan_t *plan, bson_t *set, const char *path, const bson_iter_t *on_update, const char *keep,
            const bson_iter_t *on_insert, const char *ph)
{
   bson_t o, arr, lit;
   bson_append_document_begin (set, path, -1, &o);
   bson_append_array_begin (&o, "$cond", -1, &arr);
   existed_expr (plan, &arr, "0");
   if (on_update) {
      bson_append_iter (&arr, "1", 1, on_update);
   } else {
      char *ref = bson_strdup_printf ("$%s", keep);
      BSON_APPEND_UTF8 (&arr, "1", ref);
      bson_free (ref);
   }
   if (on_insert) {
      bson_append_document_begin (&arr, "2", 1, &lit);
      bson_append_iter (&lit, "$literal", -1, on_insert);
      bson_append_document_end (&arr, &lit);
   } else {
      BSON_APPEND_UTF8 (&arr, "2", ph ? ph : "$$REMOVE");
   }
   bson_append_array_end (&o, &arr);
   bson_append_document_end (set, &o);
}

/* An upsert whose SET reads the stored document (COALESCE(x, 0) + 1,
 * GREATEST(x, EXCLUDED.x)): one pipeline stage [{$set: ...}] in which
 * each field tells the two cases apart with {$cond: [existed, ...]}: a
 * stored document gets the SET list (and keeps its other fields), a new
 * one exactly the incoming columns (a SET path the row lacks is left
 * out). The row's columns that SET does not assign keep a stored
 * document's value. */
static bool
upsert_pipeline (bql_planner_t *pl, const bql_row_ctx_t *rc, const bson_t *row, bson_t *u, bool *pipeline)
{
   const bql_plan_t *plan = pl->plan;
   bson_t tmp = BSON_INITIALIZER, items, stage, set, soi = BSON_INITIALIZER;
   bool pipe;
   bson_iter_t top, it;
   bool ok = bql_build_update (pl, rc, &tmp, &pipe);
   if (ok && bson_iter_init (&top, &tmp) && bson_iter_find_descendant (&top, "0.$set", &it) && bql_iter_sub (&it, &items)) {
      bson_append_document_begin (u, "0", 1, &stage);
      bson_append_document_begin (&stage, "$set", 4, &set);
      bson_iter_t f;
      bson_iter_init (&f, &items);
      while (bson_iter_next (&f)) {
         const char *path = bson_iter_key (&f);
         bson_iter_t r, v;
         if (!row) {
            char *ph = bson_strdup_printf ("<row.%s, or $$REMOVE when the row has none>", path);
            cond_field (plan, &set, path, &f, NULL, NULL, ph);
            bson_free (ph);
         } else if (bson_iter_init (&r, row) && bson_iter_find_descendant (&r, path, &v)) {
            cond_field (plan, &set, path, &f, NULL, &v, NULL);
         } else {
            cond_field (plan, &set, path, &f, NULL, NULL, NULL);
         }
      }
      if (row) {
         set_on_insert (plan, row, NULL, &soi);
         bson_iter_init (&f, &soi);
         while (bson_iter_next (&f)) {
            cond_field (plan, &set, bson_iter_key (&f), NULL, bson_iter_key (&f), &f, NULL);
         }
      } else {
         BSON_APPEND_UTF8 (&set, "<field>",
                           "<every other column of the row: {$cond: [<the same test>, \"$<field>\", <row value>]}>");
      }
      bson_append_document_end (&stage, &set);
      bson_append_document_end (u, &stage);
      if (marks_new (plan)) {
         /* the marker a new document started from goes */
         bson_append_document_begin (u, "1", 1, &stage);
         BSON_APPEND_UTF8 (&stage, "$unset", BQL_UPSERT_NEW_MARKER);
         bson_append_document_end (u, &stage);
      }
      *pipeline = true;
   }
   bson_destroy (&tmp);
   bson_destroy (&soi);
   return ok;
}

bool
bql_plan_row_write (const bql_plan_t *plan, const bson_t *row, bson_t *q, bson_t *u, bool *pipeline, bql_error_t *error)
{
   bql_error_clear (error);
   size_t source_len;
   const char *source = bql_script_source (plan->script, &source_len);
   bql_planner_t pl = {plan, source, source_len, error, NULL};
   bql_row_ctx_t rc;
   bql_plan_row_ctx (plan, row, &rc);
   *pipeline = false;

   switch (plan->kind) {
   case BQL_KIND_UPDATE:
      if (plan->filter_per_row) {
         if (!bql_translate_filter (&pl, &rc, plan->where, q)) {
            return false;
         }
      } else {
         bson_concat (q, &plan->filter);
      }
      if (plan->set_all) {
         return set_all_update (&pl, row, false, u);
      }
      if (plan->update_per_row) {
         return bql_build_update (&pl, &rc, u, pipeline);
      }
      bson_concat (u, &plan->update);
      *pipeline = plan->pipeline;
      return true;
   case BQL_KIND_INSERT:
      if (plan->on_duplicate) {
         return key_filter (&pl, row, q) && bql_build_update (&pl, &rc, u, pipeline);
      }
      /* upsert_mode: upsert on _id */
      {
         bson_iter_t it;
         if (!key_filter (&pl, row, q)) {
            return false;
         }
         bson_t set = BSON_INITIALIZER;
         if (row) {
            bson_iter_init (&it, row);
            while (bson_iter_next (&it)) {
               if (strcmp (bson_iter_key (&it), "_id") != 0) {
                  bson_append_iter (&set, NULL, 0, &it);
               }
            }
         } else {
            BSON_APPEND_UTF8 (&set, "<field>", "<row value of every field but _id>");
         }
         if (bson_empty (&set)) {
            bson_t soi;
            bson_append_document_begin (u, "$setOnInsert", -1, &soi);
            bson_iter_init_find (&it, row, "_id");
            bson_append_iter (&soi, "_id", 3, &it);
            bson_append_document_end (u, &soi);
         } else {
            BSON_APPEND_DOCUMENT (u, "$set", &set);
         }
         bson_destroy (&set);
         return true;
      }
   case BQL_KIND_DELETE:
      return check_delete_row (&pl, &rc) && bql_translate_filter (&pl, &rc, plan->where, q);
   case BQL_KIND_UPSERT: {
      if (!key_filter (&pl, row, q)) {
         return false;
      }
      if (plan->replace) {
         /* replaceOne(filter, row, upsert): the row is the whole new
          * document, its _id included when it has one (as mongoimport
          * --mode upsert) */
         if (row) {
            bson_concat (u, row);
         } else {
            BSON_APPEND_UTF8 (u, "<field>", "<row value of every column>");
         }
         return true;
      }
      if (plan->set_all) {
         return set_all_update (&pl, row, true, u);
      }
      if (plan->pipeline && !plan->do_nothing) {
         return upsert_pipeline (&pl, &rc, row, u, pipeline);
      }
      if (!plan->do_nothing && !bql_build_update (&pl, &rc, u, pipeline)) {
         return false;
      }
      bson_t soi = BSON_INITIALIZER;
      if (row) {
         set_on_insert (plan, row, NULL, &soi);
      } else {
         BSON_APPEND_UTF8 (&soi, "<field>", "<row value of every column not assigned by SET>");
      }
      if (!bson_empty (&soi)) {
         BSON_APPEND_DOCUMENT (u, "$setOnInsert", &soi);
      }
      bson_destroy (&soi);
      return true;
   }
   default:
      return false;
   }
}

/* The _id an upsert of (q, u) will give a new document, if known; u is
 * a replacement document when replace is set. */
bool
bql_plan_upsert_id (const bson_t *q, const bson_t *u, bool replace, bson_value_t *out, bool *is_new)
{
   bson_iter_t it, sub;
   if (replace && bson_iter_init_find (&it, u, "_id")) {
      bson_value_copy (bson_iter_value (&it), out);
      *is_new = false;
      return true;
   }
   if (bson_iter_init_find (&it, q, "_id")) {
      if (BSON_ITER_HOLDS_DOCUMENT (&it) && bson_iter_recurse (&it, &sub) && bson_iter_find (&sub, "$eq")) {
         bson_value_copy (bson_iter_value (&sub), out);
         *is_new = false;
         return true;
      }
   }
   if (bson_iter_init_find (&it, u, "$setOnInsert") && BSON_ITER_HOLDS_DOCUMENT (&it) && bson_iter_recurse (&it, &sub) &&
       bson_iter_find (&sub, "_id")) {
      bson_value_copy (bson_iter_value (&sub), out);
      *is_new = false;
      return true;
   }
   /* a pipeline upsert: {$set: {_id: {$cond: [existed, "$_id", {$literal: id}]}}} */
   if (bson_iter_init (&it, u) && bson_iter_find_descendant (&it, "0.$set._id.$cond.2.$literal", &sub)) {
      bson_value_copy (bson_iter_value (&sub), out);
      *is_new = false;
      return true;
   }
   return false;
}

void
bql_plan_add_new_id (bson_t *u, const bson_oid_t *oid)
{
   bson_t out = BSON_INITIALIZER;
   bson_iter_t it;
   bool done = false;
   if (bson_has_field (u, "0")) {
      /* a pipeline upsert (upsert_pipeline; _id is not a key column):
       * the new document's _id where the others are set */
      bson_t stage, set, o, arr, ne, ty, lit, old;
      bson_iter_t found;
      if (bson_iter_init (&it, u) && bson_iter_find_descendant (&it, "0.$set", &found) && bql_iter_sub (&found, &old)) {
         bson_append_document_begin (&out, "0", 1, &stage);
         bson_append_document_begin (&stage, "$set", 4, &set);
         bson_append_document_begin (&set, "_id", 3, &o);
         bson_append_array_begin (&o, "$cond", -1, &arr);
         bson_append_document_begin (&arr, "0", 1, &ne);
         bson_t nea;
         bson_append_array_begin (&ne, "$ne", -1, &nea);
         bson_append_document_begin (&nea, "0", 1, &ty);
         BSON_APPEND_UTF8 (&ty, "$type", "$_id");
         bson_append_document_end (&nea, &ty);
         BSON_APPEND_UTF8 (&nea, "1", "missing");
         bson_append_array_end (&ne, &nea);
         bson_append_document_end (&arr, &ne);
         BSON_APPEND_UTF8 (&arr, "1", "$_id");
         bson_append_document_begin (&arr, "2", 1, &lit);
         if (oid) {
            BSON_APPEND_OID (&lit, "$literal", oid);
         } else {
            BSON_APPEND_UTF8 (&lit, "$literal", "<new ObjectId>");
         }
         bson_append_document_end (&arr, &lit);
         bson_append_array_end (&o, &arr);
         bson_append_document_end (&set, &o);
         bson_concat (&set, &old);
         bson_append_document_end (&stage, &set);
         bson_append_document_end (&out, &stage);
         /* the stages after it, as they were */
         bson_iter_init (&it, u);
         while (bson_iter_next (&it)) {
            if (strcmp (bson_iter_key (&it), "0") != 0) {
               bson_append_iter (&out, NULL, 0, &it);
            }
         }
         bson_reinit (u);
         bson_concat (u, &out);
      }
      bson_destroy (&out);
      return;
   }
   bson_iter_init (&it, u);
   while (bson_iter_next (&it)) {
      if (!strcmp (bson_iter_key (&it), "$setOnInsert") && BSON_ITER_HOLDS_DOCUMENT (&it)) {
         uint32_t len;
         const uint8_t *data;
         bson_iter_document (&it, &len, &data);
         bson_t old, soi;
         bson_init_static (&old, data, len);
         bson_append_document_begin (&out, "$setOnInsert", -1, &soi);
         if (oid) {
            BSON_APPEND_OID (&soi, "_id", oid);
         } else {
            BSON_APPEND_UTF8 (&soi, "_id", "<new ObjectId>");
         }
         bson_concat (&soi, &old);
         bson_append_document_end (&out, &soi);
         done = true;
      } else {
         bson_append_iter (&out, NULL, 0, &it);
      }
   }
   if (!done) {
      bson_t soi;
      bson_append_document_begin (&out, "$setOnInsert", -1, &soi);
      if (oid) {
         BSON_APPEND_OID (&soi, "_id", oid);
      } else {
         BSON_APPEND_UTF8 (&soi, "_id", "<new ObjectId>");
      }
      bson_append_document_end (&out, &soi);
   }
   bson_reinit (u);
   bson_concat (u, &out);
   bson_destroy (&out);
}


/* ---- INSERT/UPSERT ... SELECT on the server: $merge ---- */

static bool
iter_has_key (bson_iter_t *it, const char *key)
{
   while (bson_iter_next (it)) {
      bson_iter_t sub;
      if (!strcmp (bson_iter_key (it), key)) {
         return true;
      }
      if ((BSON_ITER_HOLDS_DOCUMENT (it) || BSON_ITER_HOLDS_ARRAY (it)) && bson_iter_recurse (it, &sub) &&
          iter_has_key (&sub, key)) {
         return true;
      }
   }
   return false;
}

bool
bql_doc_has_key (const bson_t *doc, const char *key)
{
   bson_iter_t it;
   return bson_iter_init (&it, doc) && iter_has_key (&it, key);
}

const char *
bql_plan_merge_blocker (const bql_plan_t *plan)
{
   const bql_options_t *o = &plan->opts;
   if (o->dry_run) {
      return "dry_run";
   }
   if (o->failed_records_file) {
      return "failed_records_file";
   }
   if (o->continue_on_error) {
      return "continue_on_error";
   }
   if (o->max_errors >= 0) {
      return "max_errors";
   }
   if (!o->ordered) {
      return "ordered = false";
   }
   if (o->parallel_workers > 1) {
      return "parallel_workers";
   }
   if (o->max_execution_ms > 0) {
      return "max_execution_time";
   }
   /* $merge inserts a new document as the row is; an upsert's SET list
    * applies to a new document too (x = x + 1 gives 1), which is the
    * same only when every item sets a column to the row's own value */
   if (plan->kind == BQL_KIND_UPSERT && !plan->pipeline && !plan->do_nothing && !plan->replace && !plan->set_all) {
      bql_row_ctx_t rc = {.excluded = true};
      for (size_t i = 0; i < plan->nset; i++) {
         const bql_set_item_t *it = &plan->set[i];
         const char *col = it->op == BQL_SET_VALUE ? bql_row_column (&rc, it->value) : NULL;
         if (!col || strcmp (col, it->path) != 0) {
            return "a SET item other than x = EXCLUDED.x (an upsert applies it to a new document too; $merge "
                   "inserts the row as it is)";
         }
      }
   }
   return NULL;
}

bool
bql_plan_merge_spec (const bql_plan_t *plan, bool date_parts, bson_t *merge, bql_error_t *error)
{
   bql_error_clear (error);
   size_t source_len;
   const char *source = bql_script_source (plan->script, &source_len);
   bql_planner_t pl = {plan, source, source_len, error, NULL};
   bson_t into, on;
   bson_append_document_begin (merge, "into", -1, &into);
   BSON_APPEND_UTF8 (&into, "db", plan->database);
   BSON_APPEND_UTF8 (&into, "coll", plan->collection);
   bson_append_document_end (merge, &into);
   bool keyed = plan->kind == BQL_KIND_UPSERT || plan->on_duplicate;
   if (keyed && plan->keys) {
      bson_append_array_begin (merge, "on", -1, &on);
      for (int32_t i = 0; i < plan->keys->length; i++) {
         char kb[16];
         const char *k;
         bson_uint32_to_string ((uint32_t) i, &k, kb, sizeof kb);
         BSON_APPEND_UTF8 (&on, k, bql_cast (ColumnRef, plan->keys->items[i])->path);
      }
      bson_append_array_end (merge, &on);
   } else {
      BSON_APPEND_UTF8 (merge, "on", "_id");
   }
   bool ok = true;
   if (plan->kind == BQL_KIND_INSERT && !plan->on_duplicate) {
      /* an insert: a document that exists already is an error (11000),
       * or with upsert_mode it takes the row's fields */
      BSON_APPEND_UTF8 (merge, "whenMatched", plan->opts.upsert_mode ? "merge" : "fail");
   } else if (plan->do_nothing) {
      BSON_APPEND_UTF8 (merge, "whenMatched", "keepExisting");
   } else if (plan->replace) {
      BSON_APPEND_UTF8 (merge, "whenMatched", "replace");
   } else if (plan->set_all) {
      BSON_APPEND_UTF8 (merge, "whenMatched", "merge");
   } else {
      /* the SET list over the stored document, the incoming one as $$new */
      bql_row_ctx_t rc = {.excluded = true, .row_variable = "new", .date_parts = date_parts};
      bson_t pipe;
      bson_append_array_begin (merge, "whenMatched", -1, &pipe);
      ok = bql_build_pipeline_update (&pl, &rc, &pipe);
      bson_append_array_end (merge, &pipe);
   }
   BSON_APPEND_UTF8 (merge, "whenNotMatched", "insert");
   return ok;
}

/* ---- DELETE ... USING: the filter of a batch of rows ---- */

/* When every good row's filter is the same but for one path's {$eq: v}
 * (WHERE k = v.k [AND conditions on constants]), the $or of the filters
 * is exactly that filter with {$in: [v, ...]} at the path: one condition
 * the server evaluates (or looks up in an index) once per document instead
 * of one branch per row. Not when a value is a regular expression ($in
 * matches those as patterns, $eq literally). On success out holds the
 * filter and *path the varying path (NULL when every filter is the same),
 * which points into q[first good row]. */
static bool
merge_row_filters (const bson_t *const *q, const bool *good, size_t n, bson_t *out, const char **path)
{
   size_t r0 = 0;
   while (r0 < n && !good[r0]) {
      r0++;
   }
   if (r0 == n) {
      return false;
   }
   int vary = -1;
   for (size_t r = r0 + 1; r < n; r++) {
      if (!good[r]) {
         continue;
      }
      bson_iter_t a, b;
      bson_iter_init (&a, q[r0]);
      bson_iter_init (&b, q[r]);
      int j = 0;
      for (;; j++) {
         bool ma = bson_iter_next (&a), mb = bson_iter_next (&b);
         if (ma != mb) {
            return false;
         }
         if (!ma) {
            break;
         }
         if (strcmp (bson_iter_key (&a), bson_iter_key (&b)) != 0) {
            return false;
         }
         if (!bql_value_equal (bson_iter_value (&a), bson_iter_value (&b))) {
            if (vary >= 0 && vary != j) {
               return false;
            }
            vary = j;
         }
      }
   }
   *path = NULL;
   bson_iter_t it;
   bson_iter_init (&it, q[r0]);
   for (int j = 0; bson_iter_next (&it); j++) {
      if (j != vary) {
         bson_append_iter (out, NULL, 0, &it);
         continue;
      }
      *path = bson_iter_key (&it);
      bson_t in, arr;
      uint32_t k = 0;
      bson_append_document_begin (out, *path, -1, &in);
      bson_append_array_begin (&in, "$in", 3, &arr);
      for (size_t r = r0; r < n; r++) {
         bson_iter_t f, op;
         if (!good[r]) {
            continue;
         }
         if (!bson_iter_init_find (&f, q[r], *path) || !BSON_ITER_HOLDS_DOCUMENT (&f) || !bson_iter_recurse (&f, &op) ||
             !bson_iter_next (&op) || strcmp (bson_iter_key (&op), "$eq") != 0 || BSON_ITER_HOLDS_REGEX (&op)) {
            return false;
         }
         char kb[16];
         const char *key;
         bson_uint32_to_string (k++, &key, kb, sizeof kb);
         bson_append_iter (&arr, key, -1, &op);
         if (bson_iter_next (&op)) {
            return false; /* more than $eq */
         }
      }
      bson_append_array_end (&in, &arr);
      bson_append_document_end (out, &in);
   }
   return true;
}

/* (out is appended to only when the filters merge: built apart first, so
 * a merge given up half-way leaves out as it was.) */
bool
bql_plan_merge_row_filters (const bson_t *const *q, const bool *good, size_t n, bson_t *out, const char **path)
{
   bson_t m = BSON_INITIALIZER;
   bool merged = merge_row_filters (q, good, n, &m, path);
   if (merged) {
      bson_concat (out, &m);
   }
   bson_destroy (&m);
   return merged;
}
