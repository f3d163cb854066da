/*
 * arena.h — the bump allocator that holds a parsed script: every node,
 * list, string and the source copy live in its blocks and are freed
 * together. Blocks come from the caller's bql_allocator_t. Internal.
 *
 * The current block is filled from both ends: aligned objects (nodes,
 * lists) from the bottom up, strings from the top down, so strings need
 * no padding and objects none after a string. The fast paths are inline;
 * a new block is taken out of line.
 */
#ifndef BQL_ARENA_H
#define BQL_ARENA_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bulkql/parser.h"

/* Alignment of bql_arena_alloc and bql_arena_alloc_raw: enough for every
 * AST field (pointers, int64_t, double). */
#define BQL_ARENA_ALIGN 8

typedef struct bql_arena_block bql_arena_block_t;

typedef struct bql_arena {
   char *lo; /* free space of the current block: [lo, hi); lo is aligned */
   char *hi;
   bql_allocator_t alloc;
   bql_arena_block_t *head; /* the current block, then older ones */
   size_t next_size;        /* size of the next ordinary block */
} bql_arena_t;

/* A new empty arena drawing on *alloc (copied; NULL = libc). NULL on OOM. */
bql_arena_t *bql_arena_new (const bql_allocator_t *alloc);
void bql_arena_destroy (bql_arena_t *arena);
/* The allocator the arena uses (for buffers kept beside it). */
const bql_allocator_t *bql_arena_allocator (const bql_arena_t *arena);

/* A hint that about bytes will be allocated: the next block is made big
 * enough for them (a power of two, at most the largest block size)
 * instead of growing there by doubling from a small one. */
void bql_arena_expect (bql_arena_t *arena, size_t bytes);

/* The out-of-line halves of the allocators below (a new block). */
void *bql_arena_alloc_slow (bql_arena_t *arena, size_t size);
char *bql_arena_bytes_slow (bql_arena_t *arena, size_t size);

/* Bytes left in the current block (0 before the first block). */
static inline size_t
bql_arena_free_space (const bql_arena_t *arena)
{
   return (size_t) ((uintptr_t) arena->hi - (uintptr_t) arena->lo);
}

/* size bytes aligned to BQL_ARENA_ALIGN, not zeroed. NULL on OOM. */
static inline void *
bql_arena_alloc_raw (bql_arena_t *arena, size_t size)
{
   size_t rounded = (size + BQL_ARENA_ALIGN - 1) & ~(size_t) (BQL_ARENA_ALIGN - 1);
   /* rounded - 1 < free space: rounded fits, and 0 goes the slow way */
   if (rounded >= size && rounded - 1 < bql_arena_free_space (arena)) {
      void *p = arena->lo;
      arena->lo += rounded;
      return p;
   }
   return bql_arena_alloc_slow (arena, size);
}

/* size bytes aligned to BQL_ARENA_ALIGN, zero-filled. NULL on OOM. */
static inline void *
bql_arena_alloc (bql_arena_t *arena, size_t size)
{
   void *p = bql_arena_alloc_raw (arena, size);
   if (p) {
      memset (p, 0, size);
   }
   return p;
}

/* size bytes without alignment (for strings), not zeroed. NULL on OOM. */
static inline char *
bql_arena_bytes (bql_arena_t *arena, size_t size)
{
   if (size - 1 < bql_arena_free_space (arena)) {
      arena->hi -= size;
      return arena->hi;
   }
   return bql_arena_bytes_slow (arena, size);
}

/* A NUL-terminated copy of s[0..n). NULL on OOM. */
static inline char *
bql_arena_strndup (bql_arena_t *arena, const char *s, size_t n)
{
   char *p = n + 1 > n ? bql_arena_bytes (arena, n + 1) : NULL;
   if (p) {
      memcpy (p, s, n);
      p[n] = '\0';
   }
   return p;
}

#endif
