/*
 * bulkql/parser.h — text to AST: parse a BulkQL script into statements,
 * print it as JSON, and ask whether typed input ends a statement.
 *
 * The parser is reentrant (a pure bison parser over a reentrant flex
 * scanner), keeps no global state and needs only libc: any number of
 * threads may parse at once. A parsed script owns one arena holding every
 * node, list and string, and a copy of the source so that spans stay valid;
 * bql_script_destroy() frees it all.
 */
#ifndef BULKQL_PARSER_H
#define BULKQL_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bulkql/ast.h"
#include "bulkql/error.h"
#include "bulkql/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Scripts longer than this (2 GiB - 1 bytes) are refused: spans are int32.
 * Load bigger data with FROM 'file'. */
#define BQL_SCRIPT_MAX_BYTES ((size_t) INT32_MAX - 2)

/* The deepest a statement's tree may be, counted in nodes from the
 * statement (depth 0) down to the deepest leaf: NOT NOT x, -(-(x)),
 * f(f(x)), CASE inside CASE and a + b + c ... (left-deep: one level per
 * operator) each add one per level; a chain a AND b AND ... or
 * a OR b OR ... is one level whatever its length. Deeper statements are
 * refused by bql_parse with BQL_ERR_TOO_LARGE at the first node past the
 * limit, so that the planner, whose walks over expressions are recursive,
 * needs at most about 1 MB of stack (4 MB under AddressSanitizer) and so
 * runs in any thread with the default 8 MB stack. */
#define BQL_MAX_NESTING 256

/* A caller-supplied allocator for the script's arena. Every function must
 * be set; ctx is passed through. realloc_fn is used for nothing but growing
 * arena-external buffers and may be the same as the C library's. */
typedef struct bql_allocator {
   void *(*malloc_fn) (size_t size, void *ctx);
   void *(*realloc_fn) (void *ptr, size_t size, void *ctx);
   void (*free_fn) (void *ptr, void *ctx);
   void *ctx;
} bql_allocator_t;

typedef struct bql_parse_options {
   /* sizeof (bql_parse_options_t) as the caller was compiled: fields past
    * it are taken as zero, so fields can be added without breaking
    * programs built against an older header. 0 is taken as this header's
    * size (for source compatibility); always set it. */
   size_t size;
   /* Shown in rendered errors ("load.sql:3:7: error: ..."); copied.
    * NULL means "<input>". */
   const char *filename;
   /* NULL means the C library's malloc/realloc/free, except that on Linux
    * the arena's blocks of 2 MiB and more (those of scripts of about half
    * a megabyte and more) are anonymous memory mappings with the huge-page
    * advice. The struct is copied; the functions must stay valid until
    * bql_script_destroy(). A caller's allocator gets every block. */
   const bql_allocator_t *allocator;
} bql_parse_options_t;

typedef struct bql_script bql_script_t;

/* Parse text[0..len) (need not be NUL-terminated; len bytes are copied)
 * into *script. options may be NULL.
 *
 * On success returns true and stores a script the caller frees with
 * bql_script_destroy(). On failure returns false, stores NULL in *script
 * and fills *error (domain BQL_ERROR_SYNTAX):
 *   BQL_ERR_SYNTAX       the first syntax error, at the offending token,
 *                        with what was expected (computed with LAC) in
 *                        detail and, for a near miss of a keyword, a hint;
 *   BQL_ERR_LEXICAL      an unterminated string, comment, quoted
 *                        identifier or JSON literal, or a stray character;
 *                        a NUL byte in a quoted identifier, a string or a
 *                        JSON literal (at the token) or between tokens;
 *                        text that is not UTF-8 anywhere in text, at its
 *                        first bad byte (checked before any token);
 *   BQL_ERR_UNSUPPORTED  a construct from SQL that BulkQL does not have
 *                        ("not supported: subquery"), at its span;
 *   BQL_ERR_TOO_LARGE    len > BQL_SCRIPT_MAX_BYTES; a statement nested
 *                        deeper than BQL_MAX_NESTING ("expression nested
 *                        too deeply"), at the first node past the limit,
 *                        or too deep for the parser's stack;
 *   BQL_ERR_NOMEM        the allocator failed.
 * An empty script (only blanks, comments and semicolons) is valid and has
 * no statements. */
BQL_EXPORT bool bql_parse (const char *text,
                           size_t len,
                           const bql_parse_options_t *options,
                           bql_script_t **script,
                           bql_error_t *error);

/* Free a script and everything it owns. Accepts NULL. */
BQL_EXPORT void bql_script_destroy (bql_script_t *script);

/* Number of statements (empty statements between semicolons not counted). */
BQL_EXPORT size_t bql_script_statement_count (const bql_script_t *script);

/* The i-th statement (0-based): an InsertStmt, UpdateStmt, UpsertStmt,
 * DeleteStmt or ExplainStmt node owned by the script; NULL when i is out of
 * range. Its span covers the statement without the closing semicolon. */
BQL_EXPORT const bql_node_t *bql_script_statement (const bql_script_t *script,
                                                   size_t i);

/* The script's copy of its source text (NUL-terminated) and its length in
 * *len when len is non-NULL. Owned by the script. */
BQL_EXPORT const char *bql_script_source (const bql_script_t *script, size_t *len);

/* The file name given at parse time, or "<input>". Owned by the script. */
BQL_EXPORT const char *bql_script_filename (const bql_script_t *script);

/* One parameter of a statement, in the order of the text. */
typedef struct bql_param_info {
   int32_t number;   /* ?: its 1-based position among the statement's
                        parameters, ? and :name alike (bind it under that
                        number as a key: "1", "3", ...); 0 for :name */
   const char *name; /* :name without the colon (bind it under "name"),
                        NULL for ?; owned by the script */
   int64_t offset;   /* byte offset in the script's text */
} bql_param_info_t;

/* The parameters of statement i in the order they appear (a :name used
 * twice is listed twice): at most max are stored in params (which may be
 * NULL when max is 0); returns how many there are, 0 when script is NULL
 * or i out of range. Thread-safe on a script no thread is destroying. */
BQL_EXPORT size_t bql_script_params (const bql_script_t *script,
                                     size_t i,
                                     bql_param_info_t *params,
                                     size_t max);

/* Number of parameters (? and :name occurrences) in statement i. */
BQL_EXPORT int32_t bql_script_param_count (const bql_script_t *script, size_t i);

/* 1-based line and column (in bytes) of a byte offset in the source. */
BQL_EXPORT void bql_script_position (const bql_script_t *script,
                                     int64_t offset,
                                     int32_t *line,
                                     int32_t *column);

/* The whole script as JSON: {"version": BQL_AST_VERSION, "statements":
 * [node, ...]} with nodes as bql_node_to_json() writes them. Returns a
 * malloc'd string freed with bql_free(), its length in *len when non-NULL;
 * NULL only when out of memory. */
BQL_EXPORT char *bql_script_to_json (const bql_script_t *script, size_t *len);

/* What a REPL asks before sending typed text to bql_parse (as
 * sqlite3_complete does): true when text[0..len) ends with a semicolon
 * that is outside any string, quoted identifier, comment or JSON literal,
 * with only blanks and comments after it. One pass over the bytes with
 * the scanner's states ('' "" `` doubling, -- and slash-star comments,
 * JSON literals with their backslash-escaped strings and nesting); what
 * the scanner would report as an error (a JSON string cut by a newline,
 * a bracket that does not match) ends that token as the scanner does,
 * and bql_parse reports it. Never fails, allocates nothing. */
BQL_EXPORT bool bql_statement_is_complete (const char *text, size_t len);

/* The keywords of the language, in upper case and sorted (static
 * strings): at most max are stored in names; returns how many there are.
 * For completion in editors and shells. */
BQL_EXPORT size_t bql_keyword_names (const char **names, size_t max);

/* Fill in error->line and error->column from error->offset and the source
 * the offset refers to (for callers that build errors against a script). */
BQL_EXPORT void bql_error_locate (bql_error_t *error, const char *source, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* BULKQL_PARSER_H */
