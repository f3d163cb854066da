/*
 * functions.h — the SQL functions of BulkQL, from one table (functions.c)
 * in the manner of jq's function_list: each row gives the name, the
 * arity, the client evaluator, the aggregation-expression lowering, the
 * query-filter lowering, the update operator the function can become,
 * whether the REPL offers it, and a synopsis and help line. The
 * evaluator (eval.c), the translators (agg.c, filter.c, update.c) and
 * the REPL's completion (through bql_function_names) look functions up
 * here and nowhere else: adding a function is adding a row. Internal to
 * the planner; needs libbson.
 */
#ifndef BQL_FUNCTIONS_H
#define BQL_FUNCTIONS_H

#include "planner.h"

/* max_args of a function that takes any number of arguments */
#define BQL_ARGS_ANY INT32_MAX

/* One call being evaluated on the client. */
typedef struct bql_func_call {
   bql_planner_t *pl;
   const bql_row_ctx_t *rc;
   const bql_FuncCall_t *f; /* the call (its name as written, its args) */
   int32_t n;               /* number of arguments */
   bql_val_t *args;         /* the n evaluated arguments; NULL for a lazy
                               function, which evaluates its own */
} bql_func_call_t;

/* The client evaluator: *out (initialised to NULL by the caller) gets the
 * value; BQL_EVAL_FIELD when the call needs a stored field (only lazy
 * functions can say so: strict ones are not called then); BQL_EVAL_ERROR
 * with an error recorded at the offending argument. The arguments are
 * borrowed. */
typedef bql_eval_rc_t (*bql_func_eval_fn) (const bql_func_call_t *call, bql_val_t *out);

/* The aggregation-expression lowering (pipeline updates, $expr): append
 * the expression for f under key in doc; false with an error recorded.
 * Called only for calls whose value needs a stored field, with the arity
 * already checked. */
typedef bool (*bql_func_agg_fn) (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_FuncCall_t *f, bson_t *doc,
                                 const char *key);

/* The query-filter lowering of a call used as a condition (WHERE f(...)):
 * append to filter; false with an error recorded. */
typedef bool (*bql_func_filter_fn) (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_FuncCall_t *f,
                                    bson_t *filter);

/* A call that names a stored field (JSON_EXTRACT(details, '$.a.b')): its
 * dotted path written into buf (size bytes), or NULL when it names none. */
typedef const char *(*bql_func_path_fn) (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_FuncCall_t *f,
                                         char *buf, size_t size);

typedef struct bql_function {
   const char *name;           /* upper case; looked up case-insensitively */
   int32_t min_args;
   int32_t max_args;           /* BQL_ARGS_ANY: no upper bound */
   bool pairs;                 /* the arguments are key, value pairs */
   bool lazy;                  /* eval gets the unevaluated arguments */
   bql_func_eval_fn eval;      /* never NULL */
   bql_func_agg_fn agg;        /* NULL: computed on the client only */
   bql_func_filter_fn filter;  /* NULL: not a condition on its own */
   bql_func_path_fn field_path;/* NULL: names no stored field */
   bql_set_op_t set_op;        /* SET x = f(...) may become this update
                                  operator (BQL_SET_NOW: f() with no
                                  arguments is $currentDate; BQL_SET_PUSH:
                                  f(x, '$', v) is $push); BQL_SET_EXPR for
                                  none */
   bool row_column;            /* f(col) names the incoming row's column
                                  (MySQL's VALUES(col)) where EXCLUDED
                                  does */
   const char *accumulator;    /* an aggregate of SELECT: its $group
                                  accumulator ($sum, $avg, $min, $max,
                                  $push); NULL for a function of a row */
   bool listed;                /* in the unknown-function hint */
   bool complete;              /* offered by the REPL's completion */
   const char *synopsis;       /* "LOWER(s)" */
   const char *help;           /* one line: what it gives, and its lowering */
} bql_function_t;

/* The table, in the order of the hint and of bulkql(1), and its size. */
extern const bql_function_t bql_functions[];
extern const size_t bql_function_count;

/* The function called name (any case), or NULL. */
const bql_function_t *bql_function_lookup (const char *name);

/* Check f's number of arguments against fn's arity: false with the
 * error ("LOWER takes 1 argument, not 2") recorded at f. */
bool bql_function_check_arity (bql_planner_t *pl, const bql_function_t *fn, const bql_FuncCall_t *f);

/* The error for a call of a function that does not exist, at its name,
 * with the listed functions as the hint. Returns false. */
bool bql_function_unknown (bql_planner_t *pl, const bql_FuncCall_t *f);

/* ---- what the translators lend the lowerings (agg.c) ---- */

/* {op: [args...]}; with concat_args each argument is wrapped in
 * {$ifNull: [{$toString: arg}, ""]} (CONCAT). */
bool bql_agg_nary (bql_planner_t *pl, const bql_row_ctx_t *rc, bson_t *doc, const char *key, const char *op,
                   const bql_list_t *args, bool concat_args);
/* {op: a} */
bool bql_agg_unary (bql_planner_t *pl, const bql_row_ctx_t *rc, bson_t *doc, const char *key, const char *op,
                    const bql_node_t *a);
/* "$path" under key, refusing a path with a part that starts with '$'
 * (at at). */
bool bql_agg_field_ref (bql_planner_t *pl, const bql_node_t *at, bson_t *doc, const char *key, const char *path);

/* ---- what the evaluator lends the evaluators (eval.c) ---- */

/* The incoming row's column as a value (BQL_EVAL_FIELD while explaining
 * without a row; an error at e when the row has no such column). */
bql_eval_rc_t bql_eval_row_column (bql_planner_t *pl, const bql_row_ctx_t *rc, const bql_node_t *e, const char *column,
                                   bql_val_t *out);

#endif /* BQL_FUNCTIONS_H */
