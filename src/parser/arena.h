/*
 * arena.h — the bump allocator that holds a parsed script: every node,
 * list, string and the source copy live in its blocks and are freed
 * together. Blocks come from the caller's bql_allocator_t. Internal.
 */
#ifndef BQL_ARENA_H
#define BQL_ARENA_H

#include <stddef.h>

#include "bulkql/parser.h"

typedef struct bql_arena bql_arena_t;

/* A new empty arena drawing on *alloc (copied; NULL = libc). NULL on OOM. */
bql_arena_t *bql_arena_new (const bql_allocator_t *alloc);
void bql_arena_destroy (bql_arena_t *arena);
/* size bytes aligned to 16, zero-filled. NULL on OOM. */
void *bql_arena_alloc (bql_arena_t *arena, size_t size);
/* size bytes aligned to 16, not zeroed. NULL on OOM. */
void *bql_arena_alloc_raw (bql_arena_t *arena, size_t size);
/* A NUL-terminated copy of s[0..n). NULL on OOM. */
char *bql_arena_strndup (bql_arena_t *arena, const char *s, size_t n);
/* The allocator the arena uses (for buffers kept beside it). */
const bql_allocator_t *bql_arena_allocator (const bql_arena_t *arena);

#endif
