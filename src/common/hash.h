/*
 * hash.h — FNV-1a 64 (the statement and file hashes of an operation's
 * document) and the deterministic ObjectId of a row without _id, which
 * uses it. Internal; header only, for the planner and the executor.
 */
#ifndef BQL_HASH_H
#define BQL_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define BQL_FNV1A64_INIT UINT64_C (0xcbf29ce484222325)

/* Continue the hash h over n bytes of p (start with BQL_FNV1A64_INIT). */
static inline uint64_t
bql_fnv1a64_add (uint64_t h, const void *p, size_t n)
{
   const unsigned char *b = p;
   for (size_t i = 0; i < n; i++) {
      h ^= b[i];
      h *= UINT64_C (0x100000001b3);
   }
   return h;
}

/* The first 7 bytes of every row ObjectId of the operation whose id's
 * bytes are op (bql_row_oid_bytes): bytes 0-3 are op's (its timestamp),
 * 4-6 the low 24 bits of FNV-1a 64 over op's 12 bytes (big-endian). Made
 * once for many rows (bql_row_oid_at). */
static inline void
bql_row_oid_prefix (const uint8_t op[12], uint8_t prefix[7])
{
   uint64_t h = bql_fnv1a64_add (BQL_FNV1A64_INIT, op, 12);
   memcpy (prefix, op, 4);
   prefix[4] = (uint8_t) (h >> 16);
   prefix[5] = (uint8_t) (h >> 8);
   prefix[6] = (uint8_t) h;
}

/* The 12 bytes of the ObjectId of row `row` (bql_row_oid_bytes) from
 * its operation's prefix (bql_row_oid_prefix). */
static inline void
bql_row_oid_at (const uint8_t prefix[7], int64_t row, uint8_t out[12])
{
   uint64_t n = (uint64_t) row;
   memcpy (out, prefix, 7);
   for (int i = 0; i < 5; i++) {
      out[11 - i] = (uint8_t) (n >> (8 * i));
   }
}

/* The 12 bytes of the ObjectId of row `row` (1-based, at most 2^40 - 1)
 * without _id, of the operation whose id's bytes are op: bytes 0-3 are
 * op's (its timestamp), 4-6 the low 24 bits of FNV-1a 64 over op's 12
 * bytes (big-endian), 7-11 the row number, 40 bits big-endian. The same
 * operation and row always give the same _id (a resumed insert sends the
 * same documents). */
static inline void
bql_row_oid_bytes (const uint8_t op[12], int64_t row, uint8_t out[12])
{
   uint8_t prefix[7];
   bql_row_oid_prefix (op, prefix);
   bql_row_oid_at (prefix, row, out);
}

#endif
