/*
 * json_fast.h — one JSON record (a line of NDJSON, an element of a JSON
 * array, a document of a JSON stream) to BSON, fast: json_fast.cpp
 * parses it with simdjson (Debian's libsimdjson, DOM API) and appends
 * the values with bson_append_* directly. The result is exactly that of
 * bql_json_parse_document (json_doc.h, over libbson's reader): the fast
 * path builds only what it is certain of and hands every other record to
 * bql_json_parse_document, whose document or error (message, line and
 * column) is the record's.
 *
 * What the fast path builds itself: an object holding strings, numbers,
 * true, false, null, objects and arrays, nested at most
 * BQL_JSON_MAX_LEVELS, no field name starting with '$' or given twice,
 * and, nested in it, the Extended JSON values {"$date": "<ISO 8601>"}
 * (read by bql_parse_iso8601, as json_doc.c reads them), {"$date":
 * {"$numberLong": "n"}}, {"$date": n}, {"$oid": "<24 hex digits>"},
 * {"$numberLong": "n"} and {"$numberInt": "n"} (n written canonically:
 * no sign but '-', no leading zero, in range). Integers are int32 when they fit, else
 * int64, else (beyond int64, up to 2^64 - 1) double, as json_doc.c types
 * them. Everything else — other Extended JSON, a backslash in a record
 * that holds a '$' field name, a field name given twice, a NUL in a field
 * name, a number simdjson cannot hold (beyond 2^64, 1e400), invalid JSON
 * or UTF-8, deeper nesting, trailing text, a record larger than
 * BQL_JSON_FAST_MAX — goes to libbson's path.
 *
 * C interface (extern "C") over the one C++17 translation unit of BulkQL;
 * internal to the executor's JSON source. Thread safety: a
 * bql_json_fast_t is used by one thread at a time (each thread that
 * parses has its own); there is no global state.
 */
#ifndef BQL_JSON_FAST_H
#define BQL_JSON_FAST_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stddef.h>

#include "json_doc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes that must be readable after a record for the fast path to parse
 * it where it lies (simdjson's SIMDJSON_PADDING); with fewer, it is
 * copied first into the parser's own padded buffer. Their contents do
 * not matter. */
#define BQL_JSON_FAST_PAD 64

/* Records larger than this go to libbson's path (the parser's buffers
 * grow to the largest record parsed and stay: this bounds them). */
#define BQL_JSON_FAST_MAX (1 << 20)

/* A parser's reusable buffers (simdjson's DOM parser). */
typedef struct bql_json_fast bql_json_fast_t;

/* What the fast path learnt of a document while building it, so that no
 * later step walks the document again for it. */
typedef struct bql_json_facts {
   bool built;  /* the fast path built the document: no field name in it,
                   at any level, starts with '$' (bql_typing_check_row's
                   check is done); and it holds no NaN, no ±Infinity and no
                   Decimal128 (simdjson reads finite numbers only, and the
                   Extended JSON built here is none of them) */
   bool has_id; /* built, and the document has a top-level field "_id" */
   bool names_valid; /* built, and every field name in it, at every level,
                        passes bql_field_name_valid (libmongoc's checks of a
                        document to insert, which the writer can then skip) */
} bql_json_facts_t;

/* A field name k[0..n) as libmongoc 1.23's checks of a document to
 * insert take it (mongoc_bulk_operation_insert_with_opts without opts:
 * bson_validate_with_error with BSON_VALIDATE_EMPTY_KEYS, whose walk
 * checks every field name with bson_utf8_validate (k, n, false)): not
 * empty, valid UTF-8, no NUL. ASCII (most names) is seen byte by byte;
 * anything else goes to bson_utf8_validate itself. A document whose field
 * names all pass, at every level, and that holds no code with scope, is
 * never refused by those checks (tests/unit/test_json_fast.c compares
 * with libmongoc). */
static inline bool
bql_field_name_valid (const char *k, size_t n)
{
   if (n == 0) {
      return false;
   }
   for (size_t i = 0; i < n; i++) {
      if ((unsigned char) k[i] >= 0x80 || k[i] == '\0') {
         return bson_utf8_validate (k, n, false);
      }
   }
   return true;
}

/* A new parser, owned by the caller (bql_json_fast_free); NULL when out
 * of memory (then pass NULL to bql_json_record_parse: libbson only). */
bql_json_fast_t *bql_json_fast_new (void);
/* Free a parser; NULL is allowed. */
void bql_json_fast_free (bql_json_fast_t *fast);

/* Parse text[0..len) as one JSON document into doc (initialised by the
 * caller, who keeps owning it; it is reinitialised and filled): exactly
 * bql_json_parse_document (json_doc.h) — the same document, or false
 * with the same *error — through the fast path when fast is not NULL and
 * the record is one it builds. readable_after: how many bytes after
 * text + len may be read (at least BQL_JSON_FAST_PAD lets the record be
 * parsed without a copy). *facts (may be NULL) says what the fast path
 * learnt (all false when libbson's path parsed the record). Does not keep
 * text. Thread-safe for distinct fast parsers. */
bool bql_json_record_parse (bql_json_fast_t *fast,
                            const char *text,
                            size_t len,
                            size_t readable_after,
                            bson_t *doc,
                            bql_json_error_t *error,
                            bql_json_facts_t *facts);

/* The fast path alone: true with doc built (and *facts, which may be
 * NULL) when the record is one it builds, false (doc reinitialised) when
 * it declines it. For the differential test and fuzz target, which
 * compare it with bql_json_parse_document. */
bool bql_json_fast_try (bql_json_fast_t *fast,
                        const char *text,
                        size_t len,
                        size_t readable_after,
                        bson_t *doc,
                        bql_json_facts_t *facts);

/* Parse text[0..len) as one JSON value of any type into *value, owned
 * by the caller (bson_value_destroy): a JSON column of a CSV row. Exactly
 * bql_json_parse_value (json_doc.h) — the same value, or false with the
 * same *error and *value untouched — through the fast path when fast is
 * not NULL and the value is one it builds (the rules above, the value
 * read as the field "v" of a document, as json_doc.c reads it). The text
 * is copied into the parser's padded buffer (a field is short). *built
 * (may be NULL): the fast path built it. Thread-safe for distinct fast
 * parsers. */
bool bql_json_value_parse (bql_json_fast_t *fast,
                           const char *text,
                           size_t len,
                           bson_value_t *value,
                           bql_json_error_t *error,
                           bool *built);

/* A JSON column's value text[0..len) appended to doc as the field
 * key[0..klen), through the fast path only (the CSV source's typed row,
 * csv_row.c): true when the fast path built it — exactly the value
 * bql_json_value_parse gives, appended as bson_append_value appends it,
 * with no field name starting with '$' in it, and no NaN, ±Infinity or
 * Decimal128 — and false when the fast path declines it (or fast is
 * NULL): then doc may hold part of the value and the caller discards doc.
 * *names_valid (may be NULL), when true is returned: every field name in
 * the value passes bql_field_name_valid (key is the caller's). Thread-safe
 * for distinct fast parsers. */
bool bql_json_value_append (bql_json_fast_t *fast, const char *text, size_t len, bson_t *doc, const char *key,
                            size_t klen, bool *names_valid);

/* A DOUBLE column's text s[0..len) (not NUL-terminated) as
 * bql_parse_number (columns.h) reads it — the same answer and, when
 * true, the bit-identical double in *out — but through fast_float
 * (Debian's libfast-float-dev, which rounds correctly, as glibc's strtod
 * does) when it takes the whole text; other texts ("+1", "1e", ...) go to
 * bql_parse_number itself. No error text: a caller that gets false gives
 * the one it gives for bql_parse_number's false. Thread-safe. */
bool bql_number_fast (const char *s, size_t len, double *out);

#ifdef __cplusplus
}
#endif

#endif /* BQL_JSON_FAST_H */
