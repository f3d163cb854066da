/*
 * hash.h — FNV-1a, 64 bits (the statement and file hashes of an
 * operation's document, and the middle bytes of its deterministic
 * ObjectIds). Internal; header only.
 */
#ifndef BQL_HASH_H
#define BQL_HASH_H

#include <stddef.h>
#include <stdint.h>

#define BQL_FNV1A64_INIT UINT64_C (0xcbf29ce484222325)

/* Continue the hash h over n bytes of p (start with BQL_FNV1A64_INIT). */
static inline uint64_t
bql_fnv1a64 (uint64_t h, const void *p, size_t n)
{
   const unsigned char *b = p;
   for (size_t i = 0; i < n; i++) {
      h ^= b[i];
      h *= UINT64_C (0x100000001b3);
   }
   return h;
}

#endif
