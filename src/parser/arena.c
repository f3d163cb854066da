/*
 * arena.c — a bump allocator in growing blocks (see arena.h): the slow
 * paths, which take a new block. Requests larger than a quarter of the
 * next block size get a block of their own so big source copies do not
 * waste a half-empty block.
 *
 * With the default allocator, blocks of 2 MiB and more (those of big
 * scripts: the source copy and the blocks that hold the rows of a long
 * VALUES) are anonymous mappings of whole, aligned 2 MiB pages with the
 * huge-page advice. A big script touches hundreds of megabytes of fresh
 * memory, and taking it in 4 KiB pages costs a page fault each: on the
 * 2-core VM of bench/RESULTS.md about 3-5 us a page, a quarter of the
 * parse time of a 1M-row VALUES, and munmap of the freed blocks costs
 * about a third of that again. In huge pages, filling the same memory
 * took a quarter of the time and unmapping it almost none; where the
 * kernel grants no huge page the mapping just has small pages.
 */
#include "arena.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#if defined(MAP_ANONYMOUS) && defined(MADV_HUGEPAGE)
#define ARENA_MAP_BLOCKS 1
#define HUGE_PAGE ((size_t) 2 * 1024 * 1024)
#define MAP_MIN_BLOCK HUGE_PAGE
#endif

#define BLOCK_ALIGN 16
#define ARENA_FIRST_BLOCK (16 * 1024)
#define ARENA_MAX_BLOCK (4 * 1024 * 1024)

struct bql_arena_block {
   struct bql_arena_block *next;
   size_t size;   /* usable bytes after the header */
   size_t mapped; /* bytes of the mapping holding the block, 0 if from alloc */
   /* data follows, aligned */
};

#define BLOCK_HEADER ((sizeof (bql_arena_block_t) + BLOCK_ALIGN - 1) & ~(size_t) (BLOCK_ALIGN - 1))
#define BLOCK_DATA(b) ((char *) (b) + BLOCK_HEADER)

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
   arena->lo = arena->hi = NULL;
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
   bql_arena_block_t *b = arena->head;
   while (b) {
      bql_arena_block_t *next = b->next;
#ifdef ARENA_MAP_BLOCKS
      if (b->mapped) {
         munmap (b, b->mapped);
         b = next;
         continue;
      }
#endif
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

#ifdef ARENA_MAP_BLOCKS
/* A block of at least size usable bytes in whole, aligned huge pages, or
 * NULL if the mapping fails. */
static bql_arena_block_t *
map_block (size_t size)
{
   if (size > SIZE_MAX - BLOCK_HEADER - 2 * HUGE_PAGE) {
      return NULL;
   }
   size_t total = (BLOCK_HEADER + size + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
   /* Map a huge page more than needed and cut the ends off to align. */
   char *raw = mmap (NULL, total + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
   if (raw == MAP_FAILED) {
      return NULL;
   }
   char *start = (char *) (((uintptr_t) raw + HUGE_PAGE - 1) & ~(uintptr_t) (HUGE_PAGE - 1));
   if (start > raw) {
      munmap (raw, (size_t) (start - raw));
   }
   if (raw + HUGE_PAGE > start) {
      munmap (start + total, (size_t) (raw + HUGE_PAGE - start));
   }
   (void) madvise (start, total, MADV_HUGEPAGE); /* advice: failure is harmless */
   bql_arena_block_t *b = (bql_arena_block_t *) (void *) start;
   b->size = total - BLOCK_HEADER;
   b->mapped = total;
   return b;
}
#endif

static bql_arena_block_t *
new_block (bql_arena_t *arena, size_t size)
{
   if (size > SIZE_MAX - BLOCK_HEADER) {
      return NULL;
   }
#ifdef ARENA_MAP_BLOCKS
   if (arena->alloc.malloc_fn == libc_malloc && BLOCK_HEADER + size >= MAP_MIN_BLOCK) {
      bql_arena_block_t *b = map_block (size);
      if (b) {
         return b;
      }
      /* no mapping: fall back on malloc */
   }
#endif
   bql_arena_block_t *b = arena->alloc.malloc_fn (BLOCK_HEADER + size, arena->alloc.ctx);
   if (!b) {
      return NULL;
   }
   b->size = size;
   b->mapped = 0;
   return b;
}

/* Room for size bytes: a block of its own for a request larger than a
 * quarter of the next block size (kept behind the current block, whose
 * free space stays usable), else a fresh current block. Returns the
 * dedicated block's data, or NULL with the new current block installed
 * (the caller then takes the bytes from it), or NULL on OOM (*oom). */
static char *
make_room (bql_arena_t *arena, size_t size, bool *oom)
{
   *oom = false;
   if (size > arena->next_size / 4) {
      bql_arena_block_t *big = new_block (arena, size ? size : 1);
      if (!big) {
         *oom = true;
         return NULL;
      }
      if (arena->head) {
         big->next = arena->head->next;
         arena->head->next = big;
      } else {
         /* no current block yet: an empty one, so that lo/hi stay its own */
         big->next = NULL;
         arena->head = big;
         arena->lo = arena->hi = BLOCK_DATA (big) + big->size;
      }
      return BLOCK_DATA (big);
   }
   /* header included, so that a block is a power of two (whole pages) */
   bql_arena_block_t *nb = new_block (arena, arena->next_size - BLOCK_HEADER);
   if (!nb) {
      *oom = true;
      return NULL;
   }
   if (arena->next_size < ARENA_MAX_BLOCK) {
      arena->next_size *= 2;
   }
   nb->next = arena->head;
   arena->head = nb;
   arena->lo = BLOCK_DATA (nb);
   arena->hi = arena->lo + nb->size;
   return NULL;
}

void
bql_arena_expect (bql_arena_t *arena, size_t bytes)
{
   while (arena->next_size < bytes && arena->next_size < ARENA_MAX_BLOCK) {
      arena->next_size *= 2;
   }
}

void *
bql_arena_alloc_slow (bql_arena_t *arena, size_t size)
{
   size_t rounded = (size + BQL_ARENA_ALIGN - 1) & ~(size_t) (BQL_ARENA_ALIGN - 1);
   if (rounded < size) {
      return NULL;
   }
   bool oom;
   char *p = make_room (arena, rounded, &oom);
   if (p || oom) {
      return p;
   }
   p = arena->lo;
   arena->lo += rounded;
   return p;
}

char *
bql_arena_bytes_slow (bql_arena_t *arena, size_t size)
{
   bool oom;
   char *p = make_room (arena, size, &oom);
   if (p || oom) {
      return p;
   }
   arena->hi -= size;
   return arena->hi;
}
