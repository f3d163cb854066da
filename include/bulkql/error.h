/*
 * bulkql/error.h — the error struct every fallible BulkQL call fills in, and
 * the helper that renders it with the source line and a caret.
 *
 * Errors are caller-owned storage with nothing to free (as bson_error_t).
 * Positions are byte offsets into the script the error is about; line and
 * column are computed from them when the error is made. Needs only libc.
 *
 * Threads: every function here is thread-safe (no global state; an error
 * struct is used by one thread at a time).
 */
#ifndef BULKQL_ERROR_H
#define BULKQL_ERROR_H

#include <stddef.h>
#include <stdint.h>

#include "bulkql/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Which layer raised the error. */
typedef enum bql_error_domain {
   BQL_ERROR_NONE = 0,
   BQL_ERROR_SYNTAX,   /* lexer or grammar: the text is not BulkQL */
   BQL_ERROR_PLAN,     /* valid syntax the planner refuses (options, types,
                          untranslatable expressions, unsupported constructs) */
   BQL_ERROR_BIND,     /* parameter binding */
   BQL_ERROR_EXECUTE,  /* talking to the server */
   BQL_ERROR_INPUT,    /* reading a data file */
   BQL_ERROR_USAGE     /* a misuse of the API (NULL argument, wrong state) */
} bql_error_domain_t;

/* Error codes within a domain. */
typedef enum bql_error_code {
   BQL_ERR_OK = 0,
   BQL_ERR_SYNTAX,        /* syntax error */
   BQL_ERR_LEXICAL,       /* bad token: unterminated string or comment, ... */
   BQL_ERR_UNSUPPORTED,   /* a construct outside the BulkQL language */
   BQL_ERR_OPTION,        /* unknown, duplicate, mistyped or out-of-range option */
   BQL_ERR_TYPE,          /* a value of the wrong type */
   BQL_ERR_UNTRANSLATABLE,/* an expression the planner cannot lower exactly */
   BQL_ERR_VALUE,         /* a bad literal: date, ObjectId, JSON, number range */
   BQL_ERR_PARAM,         /* unbound or mistyped parameter */
   BQL_ERR_TOO_LARGE,     /* input above a hard limit */
   BQL_ERR_NOMEM,         /* allocation failed */
   BQL_ERR_CONNECTION,    /* cannot reach the server */
   BQL_ERR_SERVER,        /* the server refused a command */
   BQL_ERR_WRITE,         /* write errors in a batch */
   BQL_ERR_REFUSED,       /* a safety limit refused the statement (max_delete_count) */
   BQL_ERR_ABORTED,       /* stopped: max_errors, max_execution_time, cancel */
   BQL_ERR_IO,            /* reading or writing a file */
   BQL_ERR_INVALID_ARG    /* API misuse */
} bql_error_code_t;

/* Filled in by every fallible call. Zero-initialise it, or let the call do
 * it: a successful call leaves domain == BQL_ERROR_NONE. */
typedef struct bql_error {
   bql_error_domain_t domain;
   bql_error_code_t code;
   int32_t server_code;  /* MongoDB error code when domain is EXECUTE, else 0 */
   int64_t offset;       /* byte offset of the offending span, -1 if none */
   int64_t length;       /* byte length of the span (0 = a point) */
   int32_t line;         /* 1-based line of offset, 0 if unknown */
   int32_t column;       /* 1-based column (in bytes) of offset, 0 if unknown */
   char message[512];    /* primary message: short, factual, no capital, no period */
   char detail[512];     /* optional further facts, "" if none */
   char hint[256];       /* optional advice as a full sentence, "" if none */
} bql_error_t;

/* The name of an error code as spelled in this header ("BQL_ERR_WRITE"),
 * a static string; "BQL_ERR_UNKNOWN" for a value outside the enum.
 * Thread-safe. */
BQL_EXPORT const char *bql_errstr (bql_error_code_t code);

/* Reset *error to "no error". */
BQL_EXPORT void bql_error_clear (bql_error_t *error);

/* Render an error the way compilers do:
 *
 *     load.sql:3:24: error: syntax error at or near "WTIH"
 *         3 | BULK INSERT INTO users WTIH (ordered = true)
 *           |                        ^^^^
 *     detail: ...
 *     hint: Did you mean "WITH"?
 *
 * filename may be NULL (then "<input>" is used); source/source_len is the
 * text the offsets refer to and may be NULL (then no source line is shown).
 * A source line longer than 160 bytes is shown as the 160 bytes from 60
 * before the error's column, with "..." where it is cut.
 * Returns a NUL-terminated string allocated with malloc that the caller
 * frees with bql_free(); NULL only when out of memory. Never fails otherwise. */
BQL_EXPORT char *bql_error_render (const bql_error_t *error,
                                   const char *filename,
                                   const char *source,
                                   size_t source_len);

/* Free a string or buffer returned by any bql_ function documented as
 * "freed with bql_free". Accepts NULL. */
BQL_EXPORT void bql_free (void *ptr);

#ifdef __cplusplus
}
#endif

#endif /* BULKQL_ERROR_H */
