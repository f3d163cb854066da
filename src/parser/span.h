/*
 * span.h — source spans, the one internal header of the parser that the
 * planner and the executor include (besides the public headers under bulkql/): the
 * grammar's location type and the line and column of a byte offset.
 * Nodes carry their spans as byte offsets (bql_node_t.location, -1 when
 * unknown, and length); lines and columns are computed only when an
 * error is rendered. Needs libc only; implemented in parse.c.
 */
#ifndef BQL_SPAN_H
#define BQL_SPAN_H

#include <stddef.h>
#include <stdint.h>

/* A byte span [start, end) in the source; the grammar's location type. */
typedef struct bql_loc {
   int32_t start;
   int32_t end;
} bql_loc_t;

/* The 1-based line and column (in bytes) of offset in src[0..len)
 * (offset past the end counts as the end); 0 and 0 when offset < 0 or
 * src is NULL. Reads src; allocates nothing. */
void bql_locate (const char *src, size_t len, int64_t offset, int32_t *line, int32_t *column);

#endif /* BQL_SPAN_H */
