/*
 * arena.c — a bump allocator in growing blocks (see arena.h). Requests
 * larger than a quarter of the current block size get a block of their
 * own so big source copies do not waste a half-empty block.
 */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 16
#define ARENA_FIRST_BLOCK (16 * 1024)
#define ARENA_MAX_BLOCK (4 * 1024 * 1024)

typedef struct block {
   struct block *next;
   size_t size; /* usable bytes after the header */
   size_t used;
   /* data follows, aligned */
} block_t;

#define BLOCK_HEADER ((sizeof (block_t) + ARENA_ALIGN - 1) & ~(size_t) (ARENA_ALIGN - 1))

struct bql_arena {
   bql_allocator_t alloc;
   block_t *head;
   size_t next_size;
};

static void *
libc_malloc (size_t size, void *ctx)
{
   (void) ctx;
   return malloc (size);
}

static void *
libc_realloc (void *ptr, size_t size, void *ctx)
{
   (void) ctx;
   return realloc (ptr, size);
}

static void
libc_free (void *ptr, void *ctx)
{
   (void) ctx;
   free (ptr);
}

bql_arena_t *
bql_arena_new (const bql_allocator_t *alloc)
{
   bql_allocator_t a = {libc_malloc, libc_realloc, libc_free, NULL};
   if (alloc) {
      a = *alloc;
   }
   bql_arena_t *arena = a.malloc_fn (sizeof *arena, a.ctx);
   if (!arena) {
      return NULL;
   }
   arena->alloc = a;
   arena->head = NULL;
   arena->next_size = ARENA_FIRST_BLOCK;
   return arena;
}

void
bql_arena_destroy (bql_arena_t *arena)
{
   if (!arena) {
      return;
   }
   block_t *b = arena->head;
   while (b) {
      block_t *next = b->next;
      arena->alloc.free_fn (b, arena->alloc.ctx);
      b = next;
   }
   arena->alloc.free_fn (arena, arena->alloc.ctx);
}

const bql_allocator_t *
bql_arena_allocator (const bql_arena_t *arena)
{
   return &arena->alloc;
}

static block_t *
new_block (bql_arena_t *arena, size_t size)
{
   block_t *b = arena->alloc.malloc_fn (BLOCK_HEADER + size, arena->alloc.ctx);
   if (!b) {
      return NULL;
   }
   b->size = size;
   b->used = 0;
   return b;
}

static void *
arena_alloc (bql_arena_t *arena, size_t size, size_t align)
{
   block_t *b = arena->head;
   if (b) {
      size_t start = (b->used + align - 1) & ~(align - 1);
      if (start <= b->size && b->size - start >= size) {
         b->used = start + size;
         return (char *) b + BLOCK_HEADER + start;
      }
   }
   if (size > arena->next_size / 4) {
      /* A block of its own, kept behind the current head so the head's
       * free space stays usable. */
      block_t *big = new_block (arena, size ? size : 1);
      if (!big) {
         return NULL;
      }
      big->used = big->size;
      if (b) {
         big->next = b->next;
         b->next = big;
      } else {
         big->next = NULL;
         arena->head = big;
      }
      return (char *) big + BLOCK_HEADER;
   }
   block_t *nb = new_block (arena, arena->next_size);
   if (!nb) {
      return NULL;
   }
   if (arena->next_size < ARENA_MAX_BLOCK) {
      arena->next_size *= 2;
   }
   nb->next = arena->head;
   arena->head = nb;
   nb->used = size;
   return (char *) nb + BLOCK_HEADER;
}

void *
bql_arena_alloc_raw (bql_arena_t *arena, size_t size)
{
   return arena_alloc (arena, size, ARENA_ALIGN);
}

void *
bql_arena_alloc (bql_arena_t *arena, size_t size)
{
   void *p = bql_arena_alloc_raw (arena, size);
   if (p) {
      memset (p, 0, size);
   }
   return p;
}

char *
bql_arena_strndup (bql_arena_t *arena, const char *s, size_t n)
{
   char *p = arena_alloc (arena, n + 1, 1);
   if (!p) {
      return NULL;
   }
   memcpy (p, s, n);
   p[n] = '\0';
   return p;
}
