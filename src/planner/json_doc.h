/*
 * json_doc.h — one JSON text (a record of a file, a JSON literal of a
 * statement, a JSON column of a CSV row) to BSON, with the rules every
 * reader of JSON in BulkQL shares (SPEC §2 literals, §4 files): the text
 * holds exactly one document or value and nothing after it but blanks;
 * a field name given twice is refused at every level; an integer beyond
 * int64 is a double (relaxed Extended JSON); a {"$date": "..."} string is
 * read by bql_parse_iso8601, the parser of TIMESTAMP columns and
 * literals; an Extended JSON value libbson would silently store as
 * something else is refused. Extended JSON is read by libbson (bson_json_reader_t), on a
 * reader made for each text: nothing carries over from one text to the
 * next. Internal to the planner and executor; needs only libbson.
 */
#ifndef BQL_JSON_DOC_H
#define BQL_JSON_DOC_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stddef.h>

/* The most levels of objects and arrays one document may nest, itself
 * included: libbson's JSON reader refuses 99 levels that hold a value
 * (MongoDB would store 100). A
 * value (a JSON literal, a JSON column) is stored in a document, so it
 * nests at most one level less. Deeper text is refused by the scan that
 * precedes libbson, with the offset of the bracket one level too deep. */
#define BQL_JSON_MAX_LEVELS 98

typedef enum {
   BQL_JSON_OK = 0,
   BQL_JSON_INVALID,      /* libbson refused the text: "invalid JSON: <its reason>" */
   BQL_JSON_NOT_DOCUMENT, /* a document was asked for and the text is not '{...}' */
   BQL_JSON_TRAILING,     /* text after the document or value, at offset */
   BQL_JSON_DUPLICATE,    /* a field name given twice in one object */
   BQL_JSON_NUL_KEY,      /* a field name holding NUL (\u0000) */
   BQL_JSON_BAD_DATE,     /* a {"$date": "..."} string that is not ISO 8601, at offset */
   BQL_JSON_TOO_DEEP,     /* objects and arrays nested deeper than BQL_JSON_MAX_LEVELS, at offset */
   BQL_JSON_BAD_VALUE     /* an Extended JSON value libbson would store as something else
                             ({"$numberDouble": "abc"}, {"$oid": "...g"}, a $timestamp
                             beyond 32 bits...), at offset */
} bql_json_code_t;

typedef struct bql_json_error {
   bql_json_code_t code;
   size_t offset;      /* TRAILING, TOO_DEEP, BAD_DATE, BAD_VALUE: byte offset in the text of the stray text / the value */
   char message[600];  /* the reason in English, without a position: "text after the document",
                          "duplicate field name \"a.b\"", "invalid JSON: Incomplete JSON", ... */
} bql_json_error_t;

/* Parse text[0..len) as one JSON document (an object, Extended JSON
 * accepted) into doc: a record of an NDJSON file, an element of a JSON
 * array, a document of a JSON stream (SPEC §4). doc must be initialised
 * by the caller, who keeps owning it: it is reinitialised and filled. Blanks (space, tab, CR, LF) may come before and after the
 * document, nothing else. Integers beyond int64 become doubles; "$date"
 * strings are read as ISO 8601 / RFC 3339 (bql_parse_iso8601: offsets
 * Z, +hh:mm, +hhmm, +hh; 1 to 9 fraction digits, truncated to
 * milliseconds; a date alone; 'T' or a space). False with *error filled
 * (and doc empty) when the text is not exactly one valid document, holds
 * a field name twice or holding NUL, a bad "$date" string, or an Extended
 * JSON value that libbson would store as something else instead of
 * refusing it ($numberDouble, $numberDecimal, $oid, the subtype of
 * $binary, the options of a regular expression, $timestamp's t and i):
 * the text is never half-read. The text need not be NUL-terminated. */
bool bql_json_parse_document (const char *text, size_t len, bson_t *doc, bql_json_error_t *error);

/* Parse text[0..len) as one JSON value of any type (a document, an array,
 * a string, a number, true, false, null, or an Extended JSON value such as
 * {"$date": ...}) into *value, owned by the caller (bson_value_destroy):
 * a JSON literal of a statement (SPEC §2) or a JSON column (SPEC §4).
 * The same rules as bql_json_parse_document; a "$date" object at the top
 * is a date. libbson's error positions count from the text with {"v":
 * before it (the value is read as the field v of a document). False with
 * *error filled (value left untouched). */
bool bql_json_parse_value (const char *text, size_t len, bson_value_t *value, bql_json_error_t *error);

/* Number of UTF-8 characters in s[0..len) (bytes that do not continue a
 * multi-byte sequence; invalid bytes count as characters): the 1-based
 * column of s[len] is this plus one when s starts a line. For the column
 * of an error in a file or a JSON column. */
size_t bql_utf8_chars (const char *s, size_t len);

#endif
