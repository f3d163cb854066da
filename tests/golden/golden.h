/*
 * golden.h — producing the output of a golden case (golden.c).
 */
#ifndef BQL_GOLDEN_H
#define BQL_GOLDEN_H

#include <stdbool.h>
#include <stddef.h>

#include "bulkql/bulkql.h"

typedef enum { GOLDEN_PARSE, GOLDEN_PLAN } golden_kind_t;

/* The output of the case at sql_path (malloc'd): AST JSON for
 * GOLDEN_PARSE, the EXPLAIN documents for GOLDEN_PLAN, or the rendered
 * error (then *failed is set). Safe to call from several threads. */
char *golden_output (golden_kind_t kind, const char *sql_path, bool *failed);

/* A whole file (malloc'd), NULL if unreadable. */
char *golden_read (const char *path, size_t *len);

#endif
