/*
 * bulkql/plan.h — AST to plan: bind parameters, resolve the WITH options,
 * lower a statement to the MongoDB commands it will send (bulkql(1)
 * "STATEMENTS", README "Usage"), and
 * print that plan (EXPLAIN) as canonical Extended JSON. Needs libbson; no
 * server is contacted.
 *
 * Threads: every function here may be called from several threads at
 * once; bql_plan_new only reads the script, so threads may plan from one
 * script that none destroys meanwhile, each its own plan. A plan is read
 * by bql_plan_explain*() and bql_execute(), never changed after
 * bql_plan_new; destroy it from one thread when no other uses it.
 *
 * The planner fails closed: a WHERE, SET or CHECK it cannot translate
 * exactly is an error at that expression's span, never an empty filter or
 * a dropped clause.
 */
#ifndef BULKQL_PLAN_H
#define BULKQL_PLAN_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulkql/error.h"
#include "bulkql/export.h"
#include "bulkql/parser.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bql_plan bql_plan_t;

typedef struct bql_plan_options {
   /* sizeof (bql_plan_options_t) as the caller was compiled: fields past
    * it are taken as zero, so fields can be added without breaking
    * programs built against an older header. 0 is taken as this header's
    * size (for source compatibility); always set it. */
   size_t size;
   /* Database for collections named without "db."; NULL means "test"
    * (as mongosh). Copied. */
   const char *database;
   /* Bound parameters, or NULL. A positional parameter ? (the n-th in its
    * statement, 1-based) takes the value under the key "n"; a named one
    * :name takes the value under "name". Values are copied. */
   const bson_t *params;
   /* The statement's CURRENT_TIMESTAMP in milliseconds since the Unix
    * epoch; 0 means the clock at planning time. Set it to make plans
    * reproducible. */
   int64_t now_ms;
   /* Force dry_run = true whatever the statement says (bulkql --dry-run). */
   bool dry_run;
   /* The folder a relative FROM 'path' is resolved against (the folder of
    * the script that holds the statement, as psql's \ir); NULL or "" means
    * the current directory. An absolute path and FROM STDIN are unchanged;
    * failed_records_file and other output paths are not affected. Copied.
    * The plan, EXPLAIN ("source.file") and the input's error messages use
    * the resolved path. */
   const char *base_dir;
   /* A libmongoc-style options document, or NULL (README "Embedding"):
    * its keys are WITH option names (bulkql(1) "OPTIONS") with BSON values
    * of the option's type (bool, int, string; max_execution_time in
    * seconds, write_concern as a document) and override what the
    * statement says; under "defaults", a document of the same keys gives
    * values the statement's WITH overrides. For example
    *   {"metrics": false, "error_collection": "",
    *    "max_execution_time": 30, "defaults": {"batch_size": 500}}
    * switches off the metrics and error-record writes, sets a timeout of
    * 30 s and a batch size the statement may change. An unknown key is
    * refused by name (BQL_ERR_OPTION, "opts: unknown option ..."), as
    * are a value of the wrong type and an option that does not apply to
    * the statement's kind (only for the top-level keys: "defaults" may
    * hold options for other kinds). Copied. */
   const bson_t *opts;
   /* The plan will only be explained (bulkql --explain): as in an EXPLAIN
    * statement, a parameter without a bound value is planned as the
    * placeholder string ":name" or "?n" instead of failing with
    * BQL_ERR_PARAM. Such a plan must not be executed. Its EXPLAIN
    * (bql_plan_explain) ends with "records": [{to, when, fields}], what
    * running the statement would write besides its rows (the metrics
    * document, error records, failed_records_file lines; none with
    * dry_run). */
   bool explain_only;
   /* The number of cores that parse_threads left out counts (bulkql(1)
    * "WITH options": the number of cores, within memory_limit); 0 means
    * this machine's, the processors online when the plan is made
    * (sysconf(_SC_NPROCESSORS_ONLN)). The plan keeps it: its EXPLAIN shows
    * the parse threads a load of it runs ("source.parse_threads") and
    * bql_execute runs that many (at most 64, and within memory_limit). A
    * negative value is taken as 0. Logical processors online, not the
    * process's CPU affinity or a cgroup's CPU quota: set it where those
    * are smaller, or to make plans reproducible. 64-bit so that it lies
    * past the size of the options before it, padding included (64 bytes
    * on LP64): a caller built against that older header passes that size,
    * and its padding is not read. */
   int64_t cores;
} bql_plan_options_t;

/* Plan statement i (0-based) of script.
 *
 * On success returns true and stores in *plan a plan the caller frees with
 * bql_plan_destroy(). The plan refers to the script's AST: destroy the plan
 * before the script. For an EXPLAIN statement the plan is that of the
 * statement inside, marked by bql_plan_is_explain().
 *
 * On failure returns false, stores NULL and fills *error (domain
 * BQL_ERROR_PLAN, with the span of the offending option or expression):
 *   BQL_ERR_OPTION          unknown option or group name (with the nearest
 *                           valid name as a hint), an option given twice, of
 *                           the wrong type, out of range, or not valid for
 *                           this statement (parallel_workers with ordered);
 *   BQL_ERR_UNTRANSLATABLE  a WHERE, SET or CHECK expression that cannot be
 *                           lowered exactly;
 *   BQL_ERR_UNSUPPORTED     a function or construct BulkQL does not have;
 *   BQL_ERR_TYPE, BQL_ERR_VALUE  a bad literal or an operation on values of
 *                           the wrong type (date arithmetic on a string,
 *                           integer out of range, malformed date, ObjectId
 *                           or JSON, a field name starting with '$');
 *   BQL_ERR_VALUE           also: a database or collection name (the
 *                           target, archive_collection, error_collection)
 *                           MongoDB would refuse (bql_database_name_check,
 *                           bql_collection_name_check), at the name;
 *   BQL_ERR_REFUSED         writing into the admin, local or config
 *                           database or a system.* collection without
 *                           allow_system = true;
 *   BQL_ERR_PARAM           a parameter without a bound value;
 *   BQL_ERR_INVALID_ARG     script NULL or i out of range (domain USAGE). */
BQL_EXPORT bool bql_plan_new (const bql_script_t *script,
                              size_t i,
                              const bql_plan_options_t *options,
                              bql_plan_t **plan,
                              bql_error_t *error);

/* The server's limits on names, in bytes with the terminating NUL: a
 * database name is at most 63 bytes, a namespace "db.coll" at most 254. */
#define BQL_DATABASE_NAME_MAX 64
#define BQL_NAMESPACE_MAX 255

/* Whether name is a database name MongoDB accepts: not empty, UTF-8,
 * none of / \ . " $ * < > : | ? or a space, under BQL_DATABASE_NAME_MAX
 * bytes.
 * On false, why (size bytes, always terminated) says which rule it breaks,
 * naming the character. No server is contacted. */
BQL_EXPORT bool bql_database_name_check (const char *name, char *why, size_t size);

/* Whether name is a collection name MongoDB accepts in database (which
 * may be NULL: then the namespace length is not checked): not empty,
 * UTF-8, no '$', and "database.name" under BQL_NAMESPACE_MAX bytes. On false, why
 * says which rule it breaks. (system.* names are valid; the planner asks
 * for allow_system = true to write into them.) */
BQL_EXPORT bool bql_collection_name_check (const char *database, const char *name, char *why, size_t size);

/* Free a plan. Accepts NULL. */
BQL_EXPORT void bql_plan_destroy (bql_plan_t *plan);

/* True when the statement was EXPLAIN ...: running it means printing it. */
BQL_EXPORT bool bql_plan_is_explain (const bql_plan_t *plan);

/* "BULK INSERT", "BULK UPDATE", "BULK UPSERT" or "BULK DELETE". Static. */
BQL_EXPORT const char *bql_plan_statement_kind (const bql_plan_t *plan);

/* The target as "database.collection"; owned by the plan. */
BQL_EXPORT const char *bql_plan_namespace (const bql_plan_t *plan);

/* Number of rows the plan computed from VALUES, 0 for other sources. */
BQL_EXPORT int64_t bql_plan_row_count (const bql_plan_t *plan);

/* True when the statement's rows come FROM STDIN: running it reads the
 * process's standard input (or bql_exec_options_t.stdin_stream, or calls
 * bql_exec_options_t.next_row). */
BQL_EXPORT bool bql_plan_reads_stdin (const bql_plan_t *plan);

/* The statement's progress option: 1 for progress = true, 0 for
 * progress = false, -1 when the statement does not say (the caller
 * decides, say, by whether it runs on a terminal). -1 for NULL. */
BQL_EXPORT int bql_plan_progress (const bql_plan_t *plan);

/* The plan as a document (initialised by this call with bson_init even
 * on failure; the caller calls bson_destroy): the statement kind, the
 * namespace, the resolved options and the steps with the exact commands
 * (insert/update/delete/find documents, filters, update operators, upsert
 * flags, ordered, writeConcern, bypassDocumentValidation) and, for rows
 * given with VALUES, the batch boundaries; for a file, "source" also says
 * how many threads a load parses it on ("parse_threads": the option, or
 * bql_plan_options_t.cores, within memory_limit; 1 for a JSON array or
 * stream; rows given by bql_exec_options_t.next_row are read on one
 * thread whatever it says). Parts that depend
 * on data read at run time (rows of a file, _ids of a batch) appear as "<...>"
 * placeholders. Fails only when a statement needs a per-row document that
 * cannot be built (errors as bql_plan_new). */
BQL_EXPORT bool bql_plan_explain (const bql_plan_t *plan, bson_t *out, bql_error_t *error);

/* bql_plan_explain() as canonical Extended JSON, indented for reading.
 * Returns a string freed with bql_free(), or NULL with *error set. */
BQL_EXPORT char *bql_plan_explain_json (const bql_plan_t *plan, bql_error_t *error);

/* The names of the WITH options (bulkql(1) "WITH options"), sorted (static strings): at
 * most max are stored in names; returns how many were stored (all of them
 * when max is at least 64). */
BQL_EXPORT size_t bql_option_names (const char **names, size_t max);

/* The names of the WITH option groups (BULK_OPTIONS, BATCH_CONFIG,
 * DELETE_OPTIONS, ARCHIVAL_STRATEGY, OPTIONS; static strings): at most max
 * are stored in names; returns how many were stored (all of them when max
 * is at least 16). Any group takes any option. */
BQL_EXPORT size_t bql_option_group_names (const char **names, size_t max);

/* The help text of the WITH options, from the option table: the groups,
 * then one line per option ("  batch_size = n" padded to 30 columns, the
 * help line, the default in parentheses), each line ending in a newline.
 * Written to buf (size bytes, always NUL-terminated when size > 0,
 * truncated when short); returns the length of the whole text, as
 * snprintf does, so a caller can size buf with a first call with size 0. */
BQL_EXPORT size_t bql_options_help (char *buf, size_t size);

/* The names of the SQL functions a shell offers for completion, in upper
 * case (static strings), in the order of the
 * planner's function table: at most max are stored in names; returns how
 * many there are. */
BQL_EXPORT size_t bql_function_names (const char **names, size_t max);

#ifdef __cplusplus
}
#endif

#endif /* BULKQL_PLAN_H */
