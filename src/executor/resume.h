/*
 * resume.h — a resumed operation as the statement's writers see it: what
 * its checkpoint in bulkql_operations says is done, what is in doubt, and
 * the counters carried over (resume_rows.c); and the internal entry that
 * runs a plan as the continuation of an operation (exec.c), which
 * bql_operation_resume (resume.c) calls. Internal.
 *
 * Rows (INSERT, UPSERT, UPDATE ... FROM, DELETE ... USING) are numbered
 * as in the first run: every row is read again, and a row of
 * checkpoint.completed is neither sent nor counted again (nSkipped). A
 * row not completed but sent (at most checkpoint.sentThrough, or in
 * checkpoint.inFlight) is in doubt: sent again when the statement's
 * writes are idempotent (an insert first asks whether its _id is
 * stored), else reported with code IN_DOUBT and not sent. WHERE
 * statements scan on after checkpoint.lastId; the _ids of
 * checkpoint.inFlightIds are in doubt when the writes are not idempotent.
 */
#ifndef BQL_RESUME_H
#define BQL_RESUME_H

#include <bson/bson.h>
#include <mongoc/mongoc.h>
#include <stdbool.h>
#include <stdint.h>

#include "bulkql/error.h"

/* The code of a row (or stored document) in doubt, in bql_row_error_t:
 * written as "code": "IN_DOUBT" in the reply's writeErrors, the error
 * record and failed_records_file. */
#define BQL_CODE_IN_DOUBT (-15)
#define BQL_CODE_IN_DOUBT_NAME "IN_DOUBT"

/* An inclusive range of row numbers. */
typedef struct bql_row_range {
   int64_t first, last;
} bql_row_range_t;

/* The counters of an operation document (ops-design.md "counters"). */
typedef struct bql_op_counters {
   int64_t n_inserted, n_matched, n_modified, n_upserted, n_removed, n_archived, n_failed;
   int64_t n_in_doubt, n_already_written, rows_done, batches;
} bql_op_counters_t;

typedef struct bql_resume {
   char operation_id[25];
   bson_oid_t oid;              /* operation_id's bytes */
   int32_t resumes;             /* after this resume (the document's + 1) */
   bql_row_range_t *completed;  /* sorted, merged */
   size_t n_completed;
   bql_row_range_t *in_flight;  /* sorted */
   size_t n_in_flight;
   int64_t sent_through;        /* highest row handed to a writer, 0: none */
   bool has_last_id;
   bson_t last_id;              /* {"": <_id>} when has_last_id */
   bson_t in_flight_ids;        /* an array of _ids (WHERE), may be empty */
   bool in_flight_all;          /* the one write over the whole filter
                                   (batch_size = 0) was in flight */
   bql_op_counters_t carried;   /* the document's counters */
} bql_resume_t;

/* What a resumed run does with a row. */
typedef enum {
   BQL_RESUME_ROW_NEW,      /* never sent: as in any run */
   BQL_RESUME_ROW_DONE,     /* in a completed batch: read, not sent, not counted */
   BQL_RESUME_ROW_IN_DOUBT  /* sent, outcome unknown */
} bql_resume_row_t;

/* Empty state (no ranges, no ids); bql_resume_cleanup frees it. */
void bql_resume_init (bql_resume_t *r);
void bql_resume_cleanup (bql_resume_t *r);

/* Read the checkpoint and counters of an operation document (doc) into
 * r (initialised): false with *error (BQL_ERR_VALUE, domain EXECUTE)
 * naming the field that does not follow the schema. */
bool bql_resume_load (bql_resume_t *r, const bson_t *doc, bql_error_t *error);

/* What happens to row (1-based) in the resumed run; r may be NULL (not a
 * resumed run: every row is new). */
bql_resume_row_t bql_resume_row (const bql_resume_t *r, int64_t row);

/* Is id (a stored document's _id) the ObjectId this operation gives row
 * when the row has none (deterministic _ids: bytes 0-3 the operation
 * id's, 4-6 the low 24 bits of fnv1a64 over its 12 bytes, 7-11 the row
 * number, big-endian)? */
bool bql_resume_id_is_ours (const bql_resume_t *r, int64_t row, const bson_value_t *id);

/* The filter of a resumed scan: {$and: [filter, after lastId, not in
 * inFlightIds]} into out (initialised here), or filter as it is when r
 * says nothing. "After lastId" is in the server's _id order across BSON
 * types: _id > lastId within its type bracket, or any type that sorts
 * after it. */
void bql_resume_scan_filter (const bql_resume_t *r, const bson_t *filter, bool exclude_in_flight, bson_t *out);

/* Find operation id: in first's bulkql_operations (first may be NULL),
 * then in every database's. True with doc (initialised) and its
 * database (*db, bson_malloc'd); false with *error: BQL_ERR_REFUSED
 * when no database holds it, BQL_ERR_CONNECTION / BQL_ERR_SERVER when
 * the server could not be asked. With w (a writer, executor.h), a
 * server that went away is waited for within w's retry policy
 * (write_path.h bql_write_path_again); NULL: one attempt. (resume.c) */
struct bql_writer;
bool bql_operation_find (mongoc_client_t *client, struct bql_writer *w, const char *first, const char *id,
                         bson_t *doc, char **db, bql_error_t *error);

/* fnv1a64 of data[0..len), and as 16 lowercase hex digits into hex[17]. */
uint64_t bql_fnv1a64 (const void *data, size_t len);
void bql_fnv1a64_hex (const void *data, size_t len, char hex[17]);

#endif
