/*
 * planner.h — what the planner's files share: values with SQL NULL and
 * intervals, the evaluation context, the resolved option set, the plan
 * struct the executor runs, and the translators from expressions to
 * filters, update documents and aggregation expressions. Internal to the
 * planner and executor (which runs plans); needs libbson. Of the parser
 * it uses the public headers and span.h only.
 */
#ifndef BQL_PLANNER_H
#define BQL_PLANNER_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

#include "bulkql/ast.h"
#include "bulkql/parser.h"
#include "bulkql/plan.h"
#include "buf.h"
#include "datetime.h"
#include "edit_distance.h"
#include "span.h" /* the parser's one internal header for the planner */
#include "steps.h"

/* ---- values ---- */

/* A value computed on the client: a BSON value (owned), or an interval
 * (which BSON cannot hold; it only ever meets dates). */
typedef struct bql_val {
   bool is_interval;
   bson_value_t v; /* BSON_TYPE_NULL for SQL NULL; owned (bson_value_destroy) */
   int32_t months; /* interval: calendar months */
   int64_t ms;     /* interval: milliseconds */
} bql_val_t;

void bql_val_init_null (bql_val_t *v);
void bql_val_destroy (bql_val_t *v);
/* Deep copy of a BSON value into an owned bql_val_t. */
void bql_val_from_bson (bql_val_t *out, const bson_value_t *src);
bool bql_val_is_null (const bql_val_t *v);
/* A short English name of the value's type ("string", "integer", ...). */
const char *bql_val_type_name (const bql_val_t *v);

/* ---- resolved options (SPEC §2) ---- */

typedef struct bql_options {
   int32_t batch_size;        /* 1..100000, 0 = one unbatched command */
   bool ordered;
   bool continue_on_error;
   int64_t max_errors;        /* -1 = unlimited */
   bson_t write_concern;      /* {w, j, wtimeout}; empty = server default */
   bool bypass_validation;
   int32_t retry_attempts;
   int32_t retry_backoff_ms;
   int64_t retry_timeout_ms;  /* retry budget of a lost command, ms */
   int32_t parallel_workers;
   int32_t parse_threads;     /* 0 = the number of cores, within memory_limit */
   int64_t max_execution_ms;  /* 0 = no limit */
   int64_t memory_limit;      /* bytes */
   bool dry_run;
   int64_t max_delete_count;  /* -1 = no limit */
   bool soft_delete;
   char *archive_collection;  /* NULL = no archival */
   char *archive_reason;
   int64_t retention_seconds; /* 0 = no TTL index */
   char *error_collection;    /* NULL = error records off */
   char *failed_records_file;
   int64_t checkpoint_interval; /* batches between checkpoints */
   char *operations_database;  /* NULL or '' = the statement's */
   bool upsert_mode;
   bool drop;                 /* drop the collection before the load */
   int progress;              /* -1 = on a terminal, 0 off, 1 on */
   bool allow_system;         /* may write into admin/local/config, system.* */
   char *failed_records_mode; /* NULL (refuse an existing file), "append", "overwrite" */
   bool metrics;              /* write the bulk_operation_metrics document */
   int server_side;           /* INSERT/UPSERT ... SELECT: -1 the server's
                                 capabilities decide, 0 the cursor, 1 $merge */
   /* which options were given, by table index */
   uint64_t given;
} bql_options_t;

/* ---- the plan ---- */

typedef enum {
   BQL_KIND_INSERT,
   BQL_KIND_UPDATE,
   BQL_KIND_UPSERT,
   BQL_KIND_DELETE
} bql_kind_t;

/* Rows computed at plan time (VALUES): BSON documents back to back, with
 * the 1-based row number of each in the statement's input. */
typedef struct bql_rows {
   uint8_t *data;
   size_t len;
   size_t cap;
   size_t count;
   int64_t *rownum;
} bql_rows_t;

void bql_rows_append (bql_rows_t *rows, const bson_t *doc, int64_t rownum);
void bql_rows_cleanup (bql_rows_t *rows);

struct bql_columns;

/* How a SET item lowers. */
typedef enum {
   BQL_SET_VALUE,   /* $set: value */
   BQL_SET_INC,     /* $inc: n */
   BQL_SET_MUL,     /* $mul: n */
   BQL_SET_UNSET,   /* $unset */
   BQL_SET_PUSH,    /* $push: value */
   BQL_SET_NOW,     /* $currentDate */
   BQL_SET_EXPR     /* an expression over stored fields: pipeline only */
} bql_set_op_t;

typedef struct bql_set_item {
   const char *path;
   bql_set_op_t op;
   const bql_node_t *value; /* the operand (n of x + n, v of append, value) */
   bool negate;             /* x - n: $inc by -n */
   const bql_node_t *node;  /* the SetItem, for errors */
} bql_set_item_t;

struct bql_plan {
   bql_kind_t kind;
   bool explain;                /* an EXPLAIN statement: print, do not run */
   bool placeholders;           /* only explained (EXPLAIN, or explain_only):
                                   an unbound parameter is a placeholder */
   bool explain_only;           /* bql_plan_options_t.explain_only (an
                                   --explain run): EXPLAIN adds "records" */
   const bql_script_t *script;  /* the AST the plan refers to */
   const bql_node_t *stmt;      /* the statement (inside EXPLAIN) */
   char *database;
   char *collection;
   char *statement_text;        /* the statement's source text */
   char *ns;                    /* "db.collection", made on demand */
   int64_t now_ms;              /* CURRENT_TIMESTAMP of the statement */
   int cores;                   /* bql_plan_options_t.cores, or the processors
                                   online at planning (at least 1): what
                                   parse_threads left out counts */
   bson_t params;               /* bound parameters (copied) */
   bql_options_t opts;

   /* the row source (INSERT, UPSERT, UPDATE ... FROM) */
   bool has_rows;               /* VALUES rows computed into rows */
   bql_rows_t rows;
   const bql_FileSource_t *file;/* FROM 'file' / STDIN */
   char *file_path;             /* file's path resolved against the
                                   options' base_dir (NULL for STDIN) */
   struct bql_columns *cols;    /* the column list of the statement or alias */
   const char *row_alias;       /* UPDATE ... FROM ... AS v */
   const bql_node_t *check;     /* CHECK (condition) */
   bson_t failed;               /* rows that failed CHECK at plan time:
                                   [{row, error}] */
   int64_t nfailed;

   /* WHERE of UPDATE / DELETE; the filter is computed when it does not
    * depend on the incoming row */
   const bql_node_t *where;
   bool filter_per_row;
   bson_t filter;

   /* SET list (UPDATE, ON CONFLICT DO UPDATE, ON DUPLICATE KEY UPDATE) */
   bql_set_item_t *set;
   size_t nset;
   bool pipeline;               /* SET needs an aggregation-pipeline update */
   bool update_per_row;         /* SET refers to the incoming row */
   bool set_all;                /* SET *: $set every column of the row */
   bson_t update;               /* computed update document or pipeline */

   /* INSERT/UPSERT ... SELECT (select.c): rows read from a cursor on
    * the aggregation pipeline over select_database.select_collection;
    * select_columns are the names of the row's columns (the select
    * list's, or the statement's column list) */
   const bql_SelectSource_t *select;
   char *select_database;
   char *select_collection;
   bson_t select_pipeline;      /* an array of stages */
   bson_t select_pipeline_parts;/* the same for a server without $dateTrunc
                                   (DATE and DATE_TRUNC from $dateToParts);
                                   empty when the pipeline has no $dateTrunc */
   bson_t select_row;           /* the row template: how a row's columns are
                                   picked from a document of the cursor
                                   (select.c); empty for SELECT *: the
                                   document is the row */
   char **select_columns;
   size_t nselect_columns;

   /* UPSERT / ON DUPLICATE KEY */
   const bql_list_t *keys;      /* ColumnRef list; NULL = _id */
   bool do_nothing;
   bool replace;                /* ON CONFLICT DO REPLACE: replaceOne upsert */
   bool on_duplicate;

   /* DELETE ... USING source AS v: the rows name the documents to delete */
   bool delete_using;

   /* what runs (steps.c), built last by bql_plan_new: the executor
    * interprets these steps and EXPLAIN prints them. steps_ok false: a
    * row template could not be built (steps_error says why; EXPLAIN
    * fails with it, the executor builds each row's write itself) */
   bql_steps_t steps;
   bool steps_ok;
   bql_error_t steps_error;
};

/* ---- the planning context ---- */

/* What planning and evaluation read: the plan (only read), the script's
 * source for error spans, the error to fill; and, only while
 * bql_plan_new builds the plan, the same plan to write (NULL when a
 * finished plan evaluates per-row expressions: bql_plan_row_write,
 * EXPLAIN, the executor). */
typedef struct bql_planner {
   const bql_plan_t *plan;
   const char *source;
   size_t source_len;
   bql_error_t *error;
   bql_plan_t *building;
} bql_planner_t;

/* names.c: the target's database and collection names (MongoDB's
 * rules; bql_database_name_check, bql_collection_name_check), an error
 * at rel's span when one is invalid. */
bool bql_plan_check_relation (bql_planner_t *pl, const bql_node_t *rel, const char *database, const char *collection);
/* names.c, after the options: refuses (BQL_ERR_REFUSED) a target in the
 * admin, local or config database or a system.* collection unless
 * allow_system = true, and checks archive_collection and error_collection
 * as collection names of the statement's database (at the option's
 * value). groups are the statement's WITH groups. */
bool bql_plan_check_names (bql_planner_t *pl, const bql_node_t *stmt, const bql_list_t *groups);
/* True for the admin, local and config databases (database not NULL) or
 * a system.* collection (collection not NULL). */
bool bql_name_is_system (const char *database, const char *collection);

/* errors.c: record a plan error at node's span (domain PLAN); the first
 * one wins. Returns false. */
bool bql_plan_error (bql_planner_t *pl,
                     const bql_node_t *node,
                     bql_error_code_t code,
                     const char *hint,
                     const char *fmt,
                     ...) __attribute__ ((format (printf, 5, 6)));
/* Same, at an explicit span. */
bool bql_plan_error_at (bql_planner_t *pl,
                        int64_t offset,
                        int64_t length,
                        bql_error_code_t code,
                        const char *hint,
                        const char *fmt,
                        ...) __attribute__ ((format (printf, 6, 7)));

/* ---- evaluation (eval.c; values in values.c, dates in datetime.c,
 * functions in functions.c) ---- */

/* The document or array it points at as sub (static, valid as long as
 * it's document); false when it holds neither, or malformed BSON. */
static inline bool
bql_iter_sub (const bson_iter_t *it, bson_t *sub)
{
   uint32_t len;
   const uint8_t *data;
   if (BSON_ITER_HOLDS_DOCUMENT (it)) {
      bson_iter_document (it, &len, &data);
   } else if (BSON_ITER_HOLDS_ARRAY (it)) {
      bson_iter_array (it, &len, &data);
   } else {
      return false;
   }
   return bson_init_static (sub, data, len);
}

/* -d: Decimal128 keeps its sign in the top bit of the high word (IEEE
 * 754-2008 decimal interchange format), for every value including NaN. */
static inline void
bql_decimal128_negate (bson_decimal128_t *d)
{
   d->high ^= UINT64_C (1) << 63;
}

/* Where values of the incoming row come from. */
typedef struct bql_row_ctx {
   const bson_t *row;       /* the incoming row by column name, or NULL */
   const char *alias;       /* alias of UPDATE ... FROM, or NULL */
   bool excluded;           /* EXCLUDED.x and VALUES(x) name the row */
   bool bare_is_row;        /* CHECK: bare names are columns of the row */
   bool missing_is_null;    /* a column missing from the row reads as NULL */
   /* The query of INSERT/UPSERT ... SELECT (select.c): fields are those
    * of the source collection, named bare or qualified by its name or
    * alias (qualifier, dropped; the target's name is not); aggregate
    * calls may appear (aggregates); after GROUP BY, grouped maps an
    * expression (an aggregate call, a group key) to the field of the
    * $group output that holds its value: 1 with *path set, 0 when e is
    * not such an expression, -1 with an error recorded (a field that is
    * neither grouped nor aggregated). */
   bool select;
   const char *qualifier[2];
   /* $merge's whenMatched pipeline: the incoming row's columns are
    * "$$<row_variable>.col" ("new") */
   const char *row_variable;
   bool aggregates;
   int (*grouped) (void *ctx, const bql_node_t *e, const char **path);
   void *grouped_ctx;
   /* DATE(ts) and DATE_TRUNC lower to $dateToParts and $dateFromParts
    * (MongoDB 3.6) instead of $dateTrunc (5.0): the pipeline for servers
    * without $dateTrunc (functions.c) */
   bool date_parts;
} bql_row_ctx_t;

typedef enum {
   BQL_EVAL_OK,        /* *out holds the value */
   BQL_EVAL_FIELD,     /* refers to a field of the stored document */
   BQL_EVAL_ERROR      /* error recorded */
} bql_eval_rc_t;

/* Evaluate expr on the client. Field references give BQL_EVAL_FIELD
 * (nothing recorded); anything invalid records an error at its span. */
bql_eval_rc_t bql_eval (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *expr, bql_val_t *out);

/* Evaluate a condition on the client (CHECK, constant WHERE). *result is
 * true, false, or unknown (SQL NULL: *is_null set). */
bql_eval_rc_t bql_eval_condition (bql_planner_t *pl,
                                  const bql_row_ctx_t *rc,
                                  const bql_node_t *cond,
                                  bool *result,
                                  bool *is_null);

/* Append a client value to a document; intervals are refused. */
bool bql_append_val (bql_planner_t *pl, const bql_node_t *at, bson_t *doc, const char *key, const bql_val_t *v);

/* Does expr (or any part) read a field of the stored document? */
bool bql_refers_to_field (const bql_row_ctx_t *rc, const bql_node_t *expr);
/* Does expr (or any part) reference the incoming row? */
bool bql_refers_to_row (const bql_row_ctx_t *rc, const bql_node_t *expr);
/* Is expr a reference to the incoming row; its column name if so. */
const char *bql_row_column (const bql_row_ctx_t *rc, const bql_node_t *expr);
/* If expr names a field of the stored document, its dotted path (the
 * target collection's name as a qualifier is dropped); else NULL. */
const char *bql_field_path (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *expr, char *buf, size_t size);

/* values.c: check that no key of doc (at any depth) starts with '$' or holds a NUL;
 * records an error naming the key at node. */
bool bql_check_keys (bql_planner_t *pl, const bql_node_t *node, const bson_t *doc, const char *what);

/* ---- translation (filter.c, update.c, agg.c) ---- */

/* WHERE condition -> query filter, exactly or not at all. */
bool bql_translate_filter (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *cond, bson_t *filter);
/* LIKE pattern -> anchored regular expression (bson_malloc'd). */
char *bql_like_to_regex (const char *pattern, size_t len);
/* Expression -> aggregation expression appended under key. */
bool bql_translate_agg (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *expr, bson_t *doc, const char *key);
/* Classify the SET list into plan->set / pipeline flags. */
bool bql_plan_set_list (bql_planner_t *pl, const bql_list_t *set_clause, const bql_row_ctx_t *rc);
/* Build the update document (or pipeline) for one row (rc may be NULL). */
bool bql_build_update (bql_planner_t *pl, const bql_row_ctx_t *rc, bson_t *update, bool *is_pipeline);
/* The SET list as an aggregation pipeline whatever it holds ([{$set: ...}],
 * $inc and the like as expressions): $merge's whenMatched. */
bool bql_build_pipeline_update (bql_planner_t *pl, const bql_row_ctx_t *rc, bson_t *update);

/* ---- INSERT/UPSERT ... SELECT (select.c) ---- */

/* Lower the statement's SELECT (with its WITH queries) to one
 * aggregation pipeline on the source collection: plan->select_* are set.
 * columns is the statement's column list (may be NULL): names for the
 * select list's columns, one each. Errors at the construct's span. */
bool bql_plan_select (bql_planner_t *pl, const bql_SelectSource_t *sel, const bql_list_t *columns);
/* The row of one document of the SELECT's cursor (plan->select_row
 * applied to doc), appended to out. */
void bql_select_row (const bql_plan_t *plan, const bson_t *doc, bson_t *out);
/* $merge of INSERT/UPSERT ... SELECT: the option or clause the
 * server-side path cannot honour ("dry_run", "ordered = false", ...), or
 * NULL when it can run the statement (plan.c). */
const char *bql_plan_merge_blocker (const bql_plan_t *plan);
/* The $merge stage's body for the plan: into, on (the key columns or
 * _id), whenMatched (fail for INSERT, keepExisting for DO NOTHING,
 * replace, merge for SET * and upsert_mode, or a pipeline of the SET list
 * with EXCLUDED.col as "$$new.col"), whenNotMatched insert; with
 * date_parts, DATE and DATE_TRUNC in the SET list lower to $dateToParts
 * (bql_row_ctx_t.date_parts). False with *error when the SET list
 * cannot be lowered. (plan.c) */
bool bql_plan_merge_spec (const bql_plan_t *plan, bool date_parts, bson_t *merge, bql_error_t *error);
/* Does doc hold key as the key of a field, at any depth (in documents and
 * arrays)? ("$dateTrunc" in a pipeline.) (plan.c) */
bool bql_doc_has_key (const bson_t *doc, const char *key);
/* The row template as the body of a $project (select.c): what the
 * $merge path computes on the server that the cursor path picks on the
 * client. False (nothing appended) for SELECT *. */
bool bql_select_project (const bql_plan_t *plan, bson_t *project);
/* Is name one of the SELECT's columns? */
bool bql_plan_select_has_column (const bql_plan_t *plan, const char *name);

/* ---- per-row writes (plan.c) ---- */

/* The row context of the plan's per-row expressions for row (NULL while
 * explaining a file source: row values show as "<row.col>"). */
void bql_plan_row_ctx (const bql_plan_t *plan, const bson_t *row, bql_row_ctx_t *rc);
/* The filter q and update u of one incoming row, for UPSERT, UPDATE ...
 * FROM, ON DUPLICATE KEY and upsert_mode; q and u are initialised by the
 * caller. With ON CONFLICT DO REPLACE u is the replacement document (the
 * row itself); for DELETE ... USING only q is built (the row's filter). An
 * error (a row value of the wrong type, a missing key column) is a failed
 * row, described in *error. row NULL gives the EXPLAIN template with
 * "<row.col>" placeholders. */
bool bql_plan_row_write (const bql_plan_t *plan, const bson_t *row, bson_t *q, bson_t *u, bool *pipeline,
                         bql_error_t *error);

/* Are the plan's writes safe to apply twice? ($set, $unset, $currentDate,
 * $setOnInsert, replacements, deletes; not $inc, $mul, $push, nor an
 * aggregation pipeline.) A write that is may be sent again after a
 * command that left its outcome unknown. */
bool bql_plan_idempotent (const bql_plan_t *plan);

/* Does an update of the plan (its SET list; SET *: every column but _id)
 * write a field the filter q reads (or may it: a filter that reads fields
 * through $expr, $where, ...)? Then which rows of a batch matched nothing
 * cannot be found after the batch by asking which filters match nothing:
 * UPDATE ... FROM and the ON DUPLICATE KEY follow-ups go one statement
 * per command. q: a row's filter, or the EXPLAIN template. */
bool bql_plan_update_reads_filter (const bql_plan_t *plan, const bson_t *q);

/* The _id an upsert of (q, u) gives a new document, if known (q's
 * {_id: {$eq: v}}, the replacement's _id when replace, or
 * $setOnInsert._id): a copy in *out (bson_value_destroy), *is_new false.
 * False when it is not known. */
bool bql_plan_upsert_id (const bson_t *q, const bson_t *u, bool replace, bson_value_t *out, bool *is_new);
/* Give an upsert without a known _id one: $setOnInsert._id = *oid first
 * (or, oid NULL, the placeholder "<new ObjectId>" of EXPLAIN). u is
 * rewritten in place. The executor and EXPLAIN both use this. */
void bql_plan_add_new_id (bson_t *u, const bson_oid_t *oid);

/* DELETE ... USING: the filter that matches what the filters q[i] of the
 * rows with good[i] match. When they are the same but for one path's
 * {$eq: v} (WHERE k = v.k [AND conditions on constants]) it is that filter
 * with {$in: [v, ...]} at the path (*path names it, pointing into q; NULL
 * when all the filters are the same) and true is returned; otherwise
 * (or when a value is a regular expression, which $in would match as a
 * pattern) false, and the caller uses {$or: [q...]}. out is initialised
 * by the caller; the executor and EXPLAIN both use this. */
bool bql_plan_merge_row_filters (const bson_t *const *q, const bool *good, size_t n, bson_t *out, const char **path);
/* values.c: are a and b the same BSON type and value (bytes equal, so
 * 1 and 1.0 differ)? Borrows both; allocates nothing that outlives the call. */
bool bql_value_equal (const bson_value_t *a, const bson_value_t *b);

/* ordered, writeConcern and bypassDocumentValidation of a write command,
 * as the executor sends them (explain.c). */
void bql_plan_write_options (const bql_plan_t *plan, bool ordered, bson_t *cmd);

/* ---- file sources (file_options.c) ---- */

typedef enum { BQL_FMT_CSV, BQL_FMT_TSV, BQL_FMT_NDJSON, BQL_FMT_JSON } bql_format_t;

/* bql_plan_options_t as released before its field cores: a caller built
 * then passes its sizeof (padding included) as size. Fields added to
 * bql_plan_options_t since must start at or past that size (plan.c
 * asserts it for cores). */
typedef struct {
   size_t size;
   const char *database;
   const bson_t *params;
   int64_t now_ms;
   bool dry_run;
   const char *base_dir;
   const bson_t *opts;
   bool explain_only;
} bql_plan_options_v1_t;

/* blanks = 'null' | 'omit' | 'empty': an empty CSV field is null, left
 * out of the document (mongoimport --ignoreBlanks), or the empty string. */
typedef enum { BQL_BLANKS_NULL, BQL_BLANKS_OMIT, BQL_BLANKS_EMPTY } bql_blanks_t;

/* The field a pipeline upsert keyed on _id puts in its filter (equal to
 * null) so that a new document starts with it and a stored one, which
 * lacks it, is told apart (plan.c, marks_new); the pipeline's last stage
 * removes it. */
#define BQL_UPSERT_NEW_MARKER "__bulkql_upsert_new"
#define BQL_INFER_ROWS_DEFAULT 10000

typedef struct bql_file_opts {
   bql_format_t format;
   bool gzip;             /* COMPRESSION GZIP, or a .gz name */
   bool header;           /* CSV/TSV: the first line names the columns */
   char delimiter;        /* CSV ',' TSV '\t' */
   char quote;            /* '"' */
   char *null_string;     /* a field equal to this is NULL; NULL = none */
   int64_t skip_lines;    /* lines skipped before the header or data */
   int64_t infer_rows;    /* CSV/TSV: rows sampled to infer column types */
   bql_blanks_t blanks;   /* CSV/TSV: what an empty field becomes */
   bool array_index_fields; /* CSV/TSV: "tags.0", "tags.1" build an array */
} bql_file_opts_t;

/* Resolve the format (from FORMAT or the file name), compression and the
 * (name = value) options of a file source. Errors at the option. */
bool bql_file_options_resolve (bql_planner_t *pl, const bql_FileSource_t *fs, bql_file_opts_t *out);
void bql_file_opts_cleanup (bql_file_opts_t *o);
/* Resolve and discard: the planner's check. */
bool bql_file_options_check (bql_planner_t *pl, const bql_FileSource_t *fs);

/* ---- options (options.c) ---- */
/* Every field to its default from the option table (options.h); the
 * caller's storage, freed by bql_options_cleanup. */
void bql_options_init (bql_options_t *o);
void bql_options_cleanup (bql_options_t *o);
/* Append every option that applies to kind k with its resolved value
 * (null when unset), in name order, for EXPLAIN. */
void bql_options_append (const bql_options_t *o, bql_kind_t k, bson_t *doc);
/* The same with only the options the statement gave (resolved). */
void bql_options_append_given (const bql_options_t *o, bql_kind_t k, bson_t *doc);
/* The rows per batch the client cuts (rows read, ids scanned): batch_size,
 * or the option table's default when batch_size is 0 (one unbatched
 * UPDATE or DELETE command). */
int32_t bql_options_batch (const bql_options_t *o);
/* Resolve the statement's WITH groups for a statement of kind k. */
bool bql_options_resolve (bql_planner_t *pl, const bql_list_t *groups, bql_kind_t k, const bson_t *opts,
                          bql_options_t *o);

#endif /* BQL_PLANNER_H */
