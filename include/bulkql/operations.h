/*
 * bulkql/operations.h — operations: every statement that writes is an
 * operation, a document in bulkql_operations with its state, counters
 * and checkpoint (bulkql(1) "OPERATIONS AND RESUME", README "Operations
 * and resume"). This header lists operations, reads one, aborts one
 * (another process running it stops within one batch) and resumes an
 * interrupted one. The document's fields are described in bulkql(1)
 * "OPERATIONS AND RESUME".
 *
 * Threads: the functions here may run in several threads at once, each
 * with its own client (a mongoc_client_t runs one command at a time);
 * they keep no state between calls.
 */
#ifndef BULKQL_OPERATIONS_H
#define BULKQL_OPERATIONS_H

#include <mongoc/mongoc.h>
#include <stdbool.h>
#include <stddef.h>

#include "bulkql/error.h"
#include "bulkql/exec.h"
#include "bulkql/export.h"
#include "bulkql/plan.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An Open or InProgress operation whose heartbeatAt is older than this
 * (milliseconds) is listed as Interrupted: its process is gone, or has
 * been cut off from the server for this long (a running one moves its
 * heartbeat at least every 10 s). */
#define BQL_OPERATION_STALE_MS 60000

/* Where operations are read, and how (bql_operations_list,
 * bql_operation_get, bql_operation_abort). */
typedef struct bql_operations_options {
   /* sizeof (bql_operations_options_t) as the caller was compiled:
    * fields past it are taken as zero. 0 is taken as this header's
    * size; always set it. */
   size_t size;
   /* The database whose bulkql_operations is read (the statements'
    * operations_database, or their target's database). NULL: "test".
    * bql_operation_get and bql_operation_abort look in every database's
    * when the operation is not there. Copied. */
   const char *database;
   /* bql_operations_list: at most this many operations, the most
    * recently started first. 0: 100. */
   int64_t limit;
   /* The heartbeat age, in milliseconds, from which an Open or
    * InProgress operation shows as Interrupted. 0: BQL_OPERATION_STALE_MS. */
   int64_t stale_ms;
   /* bql_operation_abort: the reason recorded. NULL: "aborted by
    * bql_operation_abort". Copied. */
   const char *reason;
} bql_operations_options_t;

/* The operations of options->database's bulkql_operations (a find,
 * sorted by startedAt descending, limit options->limit). options may be
 * NULL (the defaults above).
 *
 * reply is initialised by this call even on failure (bson_destroy it)
 * and holds {database, operations: [doc, ...]}: each stored document as
 * it is, with two fields added: shownState (its state, or "Interrupted"
 * for an Open or InProgress one whose heartbeat is stale_ms old or
 * older) and heartbeatAgeMs (now - heartbeatAt, in milliseconds, by this
 * machine's clock; absent without heartbeatAt). No collection: an empty
 * list.
 *
 * Returns false with *error (domain BQL_ERROR_EXECUTE) when the server
 * cannot be asked: BQL_ERR_CONNECTION, or BQL_ERR_SERVER with its code;
 * BQL_ERR_INVALID_ARG (domain USAGE) for a NULL client or reply. */
BQL_EXPORT bool bql_operations_list (mongoc_client_t *client,
                                     const bql_operations_options_t *options,
                                     bson_t *reply,
                                     bql_error_t *error);

/* The document of operation operation_id (24 hex digits, either case):
 * a find by _id on options->database's bulkql_operations, then on every
 * database's (listDatabases). doc is initialised by this call even on
 * failure (bson_destroy it) and holds the stored document with
 * shownState, heartbeatAgeMs (as bql_operations_list) and
 * operationsDatabase (the database whose bulkql_operations holds it)
 * added.
 *
 * Returns false with *error: BQL_ERR_REFUSED (domain EXECUTE) when no
 * database holds it; BQL_ERR_CONNECTION or BQL_ERR_SERVER when the
 * server cannot be asked; BQL_ERR_INVALID_ARG (domain USAGE) for NULL
 * arguments or a malformed id. */
BQL_EXPORT bool bql_operation_get (mongoc_client_t *client,
                                   const char *operation_id,
                                   const bql_operations_options_t *options,
                                   bson_t *doc,
                                   bql_error_t *error);

/* Mark operation operation_id Aborted (bulkql --abort ID): found as
 * bql_operation_get finds it, then one update with the filter {_id,
 * state: {$in: ["Open", "InProgress", "Failed"]}} that sets state
 * "Aborted", reason (options->reason), updatedAt and finishedAt. A
 * process running the operation finds its next checkpoint (or state
 * read) matching nothing and stops as after a cancel, within one batch;
 * an Aborted operation is final: it is never resumed. doc (may be NULL)
 * is initialised by this call and holds the document as it was before
 * the mark (as bql_operation_get gives it).
 *
 * Returns false with *error, nothing written: BQL_ERR_REFUSED (domain
 * EXECUTE) when no database holds it, or when it is Complete or Aborted
 * already (final states; the message says which); BQL_ERR_CONNECTION or
 * BQL_ERR_SERVER when the server cannot be asked or refuses the update;
 * BQL_ERR_INVALID_ARG (domain USAGE) for NULL arguments or a malformed
 * id. */
BQL_EXPORT bool bql_operation_abort (mongoc_client_t *client,
                                     const char *operation_id,
                                     const bql_operations_options_t *options,
                                     bson_t *doc,
                                     bql_error_t *error);

/* How to resume (bql_operation_resume). */
typedef struct bql_resume_options {
   /* sizeof (bql_resume_options_t) as the caller was compiled: fields
    * past it are taken as zero. 0 is taken as this header's size; always
    * set it. */
   size_t size;
   /* The database whose bulkql_operations is searched first (the
    * statement's operations_database, or its target's database); when
    * the operation is not there, every database's bulkql_operations is.
    * NULL: "test". Copied. */
   const char *database;
   /* The statement to run, planned by the caller (bulkql --resume ID -f
    * FILE), or NULL to run the statement stored in the operation. A
    * given plan must be of the operation's statement: the same text
    * (its FNV-1a 64 hash equals the document's statementHash), target
    * and input file; it is only read, and must outlive the call. */
   const bql_plan_t *plan;
   /* Bound parameters of the stored statement (as bql_plan_options_t
    * params: the values the operation's first run had), or NULL.
    * Copied. Unused with plan. */
   const bson_t *params;
} bql_resume_options_t;

/* Resume the operation operation_id (24 hex digits, either case) on
 * client: run again what its checkpoint says is not done, as the same
 * operation (RESUME OPERATION 'id'; bulkql --resume ID).
 *
 * Reads the operation's document (a find on bulkql_operations, see
 * options->database), checks that it may be resumed, marks it
 * InProgress again (an update conditioned on the state and heartbeat
 * read, so that two processes cannot both resume it; resumes += 1,
 * host, pid, heartbeatAt) and runs its statement as bql_execute does,
 * with the same operation id (so the same deterministic _ids) and the
 * counters carried over:
 *   - rows of completed batches are read (for their numbers) and neither
 *     sent nor counted again (reply nSkipped);
 *   - rows sent but not completed (checkpoint sentThrough, inFlight) are
 *     in doubt: an insert asks the server for the _id of every row not
 *     completed (inserts are not marked in flight) and, stored
 *     as sent or under this operation's deterministic _id, counts as
 *     already written (nAlreadyWritten), with another document under
 *     that _id it is a duplicate key failure, else it is sent; $set
 *     updates, idempotent upserts, deletes and archive-then-delete are
 *     sent again; $inc, $mul, $push and pipeline updates are never sent
 *     again and are reported in doubt, row by row (or by _id for
 *     UPDATE ... WHERE): code "IN_DOUBT" in writeErrors, the error
 *     record and failed_records_file, and the reply's nInDoubt and
 *     inDoubt [{row} | {_id}];
 *   - UPDATE and DELETE ... WHERE scan on after checkpoint.lastId.
 * exec_options are bql_execute's (callbacks, cancel, pool), may be NULL.
 *
 * reply is initialised by this call even on failure (bson_destroy it)
 * and holds bql_execute's reply with the operation's counts, plus
 * resumes, nSkipped (row statements), nAlreadyWritten, nInDoubt and
 * inDoubt.
 *
 * Returns false with *error when it refuses, before anything is
 * written (domain BQL_ERROR_EXECUTE, code BQL_ERR_REFUSED), when:
 *   no database's bulkql_operations holds operation_id;
 *   the operation is Complete or Aborted (final states);
 *   it is InProgress or Open with a heartbeat younger than
 *   BQL_OPERATION_STALE_MS (not yet listed as Interrupted), held
 *   by another process that may be alive (one on this host whose pid
 *   no longer exists is known to be gone: its operation is resumed);
 *   it read FROM STDIN (its rows cannot be read again);
 *   its file changed (size, mtime or the hash of its first MiB), or is
 *   gone;
 *   the given plan's statement differs from the operation's
 *   (statementHash), or targets another collection or file;
 *   its statement was longer than the 4096 bytes stored
 *   (statementTruncated) and no plan is given;
 * with BQL_ERR_VALUE when the document does not follow the schema,
 * BQL_ERR_CONNECTION / BQL_ERR_SERVER when the server cannot be asked,
 * BQL_ERR_INVALID_ARG (domain USAGE) for NULL arguments, a malformed
 * id or a dry-run plan; the stored statement's parse and plan errors
 * as bql_parse and bql_plan_new give them (their offsets are in the
 * stored text); and otherwise as bql_execute fails. */
BQL_EXPORT bool bql_operation_resume (mongoc_client_t *client,
                                      const char *operation_id,
                                      const bql_resume_options_t *options,
                                      const bql_exec_options_t *exec_options,
                                      bson_t *reply,
                                      bql_error_t *error);

#ifdef __cplusplus
}
#endif

#endif /* BULKQL_OPERATIONS_H */
