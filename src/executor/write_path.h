/*
 * write_path.h — the one way the executor sends a write command: build
 * it, send it, collect its writeErrors and writeConcernErrors, and when
 * it was lost, wait, find out what it did and send again what is still
 * to be sent (write_path.c). Every step that writes goes through
 * bql_write_path_run: the batch inserts (insert.c), the per-row updates
 * and upserts (write_rows.c), the updates and deletes of stored documents
 * and their archive copies (where.c), the statement's error records and
 * metrics (log.c). A step gives what differs as
 * callbacks: which operations to add, how to read an account of the
 * command, what "recover" means for it, and what a command that will not
 * be sent again leaves behind. Internal.
 *
 * Retries and libmongoc's retryWrites. libmongoc retries a write once by
 * itself when the URI allows retryable writes (retryWrites, on by
 * default) and the deployment supports them: a replica set or sharded
 * cluster with sessions. It resends the same command, with the same
 * transaction number, so the server applies it at most once; it does so
 * within mongoc_bulk_operation_execute, and we see its final outcome.
 * libmongoc does not retry on a standalone server (no transaction
 * numbers), nor more than once, nor after a wait, nor a multi-document
 * update or delete (updateMany, deleteMany: not retryable writes). Our
 * path retries what libmongoc gave up on or did not try: a command whose
 * outcome is still lost (a network error, a not-primary or shutdown code,
 * or the RetryableWriteError label) when mongoc_bulk_operation_execute
 * returns. Before sending again it asks the server what the lost attempt
 * did (the step's recover), because without transaction numbers a blind
 * resend could apply a write twice. There is no double retry: our retry
 * starts only after libmongoc's own has ended in failure, and each of
 * ours is one new mongoc_bulk_operation_execute, which libmongoc may
 * itself retry once more as part of that attempt (retry_attempts counts
 * our attempts, not libmongoc's).
 */
#ifndef BQL_WRITE_PATH_H
#define BQL_WRITE_PATH_H

#include "executor.h"

/* The outcome of one command, as the callbacks see it. */
typedef struct bql_write_result {
   bool ran;                     /* mongoc_bulk_operation_execute succeeded */
   bson_t reply;                 /* its reply (counts, writeErrors, ...) */
   bson_error_t error;           /* when !ran */
   bql_row_errors_t write_errors;/* writeErrors; index = the operation's
                                    position in the command, (size_t) -1
                                    when the reply gives none in range */
   bql_row_errors_t wc_errors;   /* writeConcernErrors (write_concern set) */
   bool retryable;               /* no account, and the error is one the
                                    retryable-writes rules retry */
   size_t nops;                  /* operations sent */
} bql_write_result_t;

/* What recover found. */
typedef enum {
   BQL_RECOVER_RESEND,   /* the operations still pending are to be sent
                            again (none: the command is settled) */
   BQL_RECOVER_ASK_AGAIN /* the server could not be asked: wait, ask again */
} bql_recover_rc_t;

/* Why a command without an account is not sent again. */
typedef enum {
   BQL_GIVE_UP_REFUSED,   /* not retryable (or the step has no recover):
                             refused as a whole, or lost for good */
   BQL_GIVE_UP_RAN_OUT,   /* retry_attempts were used up */
   BQL_GIVE_UP_CANCELLED  /* cancelled while waiting to retry, or while
                             the command was in flight (the error's
                             domain is then BQL_CANCEL_DOMAIN) */
} bql_give_up_t;

typedef struct bql_write_step {
   void *ctx;
   /* The command's collection (of database, or when NULL of the
    * statement's), and its ordered. */
   mongoc_collection_t *coll;
   const char *database;
   bool ordered;
   /* No bypassDocumentValidation (a delete: nothing to validate). */
   bool no_bypass;
   /* A writeConcernError alone is no account of the command: the step
    * treats it as lost (the archive, which must not delete a document
    * whose copy is not known to be durable). */
   bool wc_error_is_lost;
   /* A command refused as a whole (an error with no account, not
    * retryable) may have applied part of its operations: a server that
    * is not transactional applies the operations before the one it
    * cannot store, then fails the command (FerretDB on PostgreSQL and a
    * string with a NUL byte). Before give_up, recover is asked once what
    * was applied (without a wait), so that what is stored is counted, and
    * only what is still pending is given up. */
   bool recover_refused;
   /* Add the operations still to send to bulk, counting them in *nops
    * (0: nothing to send, the step is done). Operations libmongoc refuses
    * on the client are the step's to report. False when the statement
    * must stop (recorded). */
   bool (*add) (void *ctx, mongoc_bulk_operation_t *bulk, size_t *nops);
   /* The server gave an account of the command (it ran, or reported
    * writeErrors or writeConcernErrors): count and settle every
    * operation. False when the statement must stop. */
   bool (*settle) (void *ctx, const bql_write_result_t *r);
   /* The command was lost to a retryable error, and the path has waited
    * (retry_backoff_ms): find out what the lost attempt applied, and keep
    * pending only what is to be sent again. NULL: a lost command is not
    * sent again (give_up with BQL_GIVE_UP_REFUSED). */
   bql_recover_rc_t (*recover) (void *ctx, const bql_write_result_t *r);
   /* No account, and the command will not be sent again: settle what is
    * pending. retries: the waits made for it so far (the one cut short by
    * a cancel included). False when the statement must stop. */
   bool (*give_up) (void *ctx, const bql_write_result_t *r, bql_give_up_t why, int retries);
} bql_write_step_t;

/* Send the step's operations until every one is settled: one command
 * per round, with the statement's writeConcern and, unless no_bypass,
 * bypassDocumentValidation. *retries counts the retries of the caller's
 * unit (a batch) across calls; the path stops retrying when it reaches
 * retry_attempts. Returns what the last callback returned. */
bool bql_write_path_run (bql_writer_t *w, const bql_write_step_t *step, int *retries);

/* One more retry of the unit counted by *retries, if retry_attempts
 * allows: counts it (the tally's retries, on_retry) and waits
 * retry_backoff_ms doubled per retry. False when none is left
 * (*cancelled false) or the wait was cancelled (*cancelled true). Also
 * for a read to be restarted (where.c's cursor). */
bool bql_write_path_wait (bql_writer_t *w, int *retries, bool *cancelled);

/* A command of w that is not a batch's write (a read, a drop, a
 * resume's claim) failed with berr (and reply, may be NULL): when the
 * error is one the write path retries (bql_exec_is_retryable: the server
 * went away or is shutting down) and the statement's retry policy has a
 * retry left, count it, wait (bql_write_path_wait) and return true: the
 * caller sends the command again. *retries is 0 for the command's first
 * failure (retry_timeout counts from then). False: give up (the error
 * stands; a cancel while waiting also returns false). */
bool bql_write_path_again (bql_writer_t *w, const bson_error_t *berr, const bson_t *reply, int *retries);

/* The error domain of a command abandoned on a cancel while it waited
 * for the server's reply (bql_write_result_t.error, with give_up's
 * BQL_GIVE_UP_CANCELLED): its outcome is unknown, its operations are in
 * doubt. */
#define BQL_CANCEL_DOMAIN 0x4243 /* "BC" */

/* After a cancel, how long the reply of the command in flight is still
 * waited for (milliseconds): a batch that is merely running completes
 * and counts as usual; one stuck on a server that does not answer is
 * abandoned, so the statement stops within a second. */
#define BQL_CANCEL_GRACE_MS 500

/* Wait (at most timeout_ms milliseconds) until every command abandoned
 * on a cancel has ended and freed what it held (its client, its bulk).
 * True when none is left. For tests and tools that check for leaks and
 * races; a program need not call it (an abandoned command ends by
 * itself, by socketTimeoutMS at the latest). */
bool bql_write_path_drain (int64_t timeout_ms);

/* Did a lost command (bql_write_result_t.error) certainly not reach the
 * server, so that nothing of it was applied? True for a server
 * selection error, a connection that could not be made, a request that
 * libmongoc could not write whole, and a failure in the connection's
 * handshake before the command; false when the request may have been
 * received (a failed read of the reply) or the error is another. A
 * non-idempotent write ($inc, ...) lost with this true is sent again;
 * lost otherwise, it is in doubt (issue 15). */
bool bql_write_not_sent (const bson_error_t *e);

/* Was the command abandoned on a cancel while in flight? */
bool bql_write_cancelled_in_flight (const bson_error_t *e);

/* How a command without an account was lost, for a row's or batch's
 * message: "cancelled while the batch was in flight", "the connection
 * was lost" or "the server failed the batch" (static text). */
const char *bql_write_lost_what (const bson_error_t *e);

/* The same for a command given up for why: "cancelled while waiting to
 * retry the lost batch" for a cancel in a backoff wait. */
const char *bql_write_gave_up_what (const bson_error_t *e, bql_give_up_t why);

/* Record the statement's error for a command of batch batch_index that
 * is given up for why after retries retries: a cancel (in a backoff
 * wait, BQL_ERR_ABORTED; in flight, see BQL_CANCEL_DOMAIN), or else as
 * bql_writer_connection_or_server_error then bql_writer_note_retries.
 * Returns false. */
bool bql_writer_gave_up (bql_writer_t *w, const bson_error_t *berr, bql_give_up_t why, int64_t batch_index,
                         int retries);

/* Are the statement's writes safe to apply twice? ($set, $unset,
 * $currentDate, $setOnInsert, deletes; not $inc, $mul, $push, pipelines.) */
bool bql_writer_idempotent (const bql_writer_t *w);

/* Record the failure of a command that was not about rows: the
 * connection lost, or the server's refusal, for batch batch_index (-1:
 * none). Returns false. */
bool bql_writer_connection_or_server_error (bql_writer_t *w, const bson_error_t *berr, int64_t batch_index);

/* After the writer's error was just recorded for a batch that had been
 * sent again `retries` times: say so in the message (nothing when 0). */
void bql_writer_note_retries (bql_writer_t *w, int retries);

/* How the retries of a lost command ended, for the message of a row or
 * batch whose outcome is unknown: " and N retries ran out", or
 * " (retry_attempts = 0)" when none were allowed, into buf (n bytes). */
const char *bql_writer_retries_ran_out (const bql_writer_t *w, int retries, char *buf, size_t n);

#endif
