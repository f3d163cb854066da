/*
 * operation.h — the operation a running statement is (SPEC §3): its
 * document in bulkql_operations, written by the plan's operation steps
 * (steps.c: OPEN_OPERATION, MARK_IN_FLIGHT, CHECKPOINT, CHECK_OPERATION,
 * HEARTBEAT, FINISH_OPERATION) through the write path; the checkpoint
 * (completed row ranges, batches in flight, sentThrough, lastId); abort
 * detection. (The deterministic ObjectIds of rows without _id are
 * hash.h's bql_row_oid_bytes.) Internal (operation.c).
 *
 * Threads. The statement's thread opens, checkpoints and finishes the
 * operation; any thread that writes a batch (a worker with
 * parallel_workers) records what it sends (bql_operation_sending,
 * bql_operation_mark_rows). Everything of the operation is under its
 * mutex, and its document is written by one writer of its own (its own
 * connection), one command at a time, so that no older checkpoint is
 * written after a newer one.
 */
#ifndef BQL_OPERATION_H
#define BQL_OPERATION_H

#include "executor.h"

/* A heartbeat (heartbeatAt) at most this often while a batch waits. */
#define BQL_HEARTBEAT_MS 10000

/* ---- sets of row ranges (the checkpoint's completed and inFlight) ---- */

typedef struct bql_range {
   int64_t first, last; /* rows first..last, inclusive */
} bql_range_t;

typedef struct bql_ranges {
   bql_range_t *items; /* sorted by first; merged (bql_ranges_add) */
   size_t n, cap;
} bql_ranges_t;

/* Add rows first..last (first <= last), keeping the ranges sorted and
 * merging those that overlap or touch ([1,5] + [6,9] = [1,9]). */
void bql_ranges_add (bql_ranges_t *r, int64_t first, int64_t last);
/* Add first..last as a range of its own, unmerged (the batches in
 * flight), in order of first. */
void bql_ranges_push (bql_ranges_t *r, int64_t first, int64_t last);
/* Remove every range that lies within first..last. */
void bql_ranges_remove_within (bql_ranges_t *r, int64_t first, int64_t last);
/* [{first, last}, ...] as an array under key (documents rather than
 * [first, last] pairs: a server without nested arrays stores them). */
void bql_ranges_append (const bql_ranges_t *r, bson_t *doc, const char *key);
void bql_ranges_cleanup (bql_ranges_t *r);

/* ---- the operation of a statement ---- */

/* The operation of x (x->op), tracking nothing until OPEN_OPERATION runs
 * (a dry run has no such step: nothing is written). */
void bql_operation_new (bql_exec_t *x);
void bql_operation_free (bql_exec_t *x);

/* OPEN_OPERATION: insert the document, state Open. A failure to write
 * it is reported in the reply's logFailures and the statement runs on,
 * untracked. The statement's thread. */
void bql_operation_open (bql_exec_t *x, const bql_step_t *st);

/* A batch whose last input row is last_row is handed to writer w (any
 * thread): the checkpoint's sentThrough. */
void bql_operation_sending (bql_writer_t *w, int64_t last_row);

/* MARK_IN_FLIGHT before the batch b is sent (any thread writing it):
 * its rows (first..last good row) go into the checkpoint's inFlight, and
 * the checkpoint is written. False, with the writer's error, when that
 * could not be written or this process no longer holds the operation
 * (another process aborted or resumed it): the batch must not be sent. */
bool bql_operation_mark_rows (bql_writer_t *w, const bql_batch_t *b);
/* The same for a batch of stored documents: ids (an array), or NULL for
 * one write over the whole filter (batch_size = 0). */
bool bql_operation_mark_ids (bql_writer_t *w, const bson_t *ids);

/* After the statement's thread accounted for a batch: rows first..last
 * of the input (0, 0 for stored documents, whose highest _id is last_id,
 * may be NULL), completed when its outcome is known (written or
 * refused), go_on as the batch's checks said. Writes the checkpoint when
 * checkpoint_interval batches have completed since the last one, or else
 * (checkpoint_interval > 1) reads the state. Returns go_on, or false
 * when this process no longer holds the operation (another process
 * aborted it, or resumed it: every update's filter has this process's
 * resumes): the statement then stops as after a cancel (x->stopped,
 * "aborted by another process", or "was taken over"). */
bool bql_operation_batch_done (bql_exec_t *x, int64_t first, int64_t last, const bson_value_t *last_id,
                               bool completed, bool go_on);

/* While a command of a batch waits for its reply (the statement's
 * thread): heartbeatAt, at most every BQL_HEARTBEAT_MS, in one attempt
 * (no retry, a failure unreported: the next one will do). */
void bql_operation_heartbeat (bql_exec_t *x);

/* FINISH_OPERATION: the end state (Complete, or Failed with x's error or
 * stop's reason) and the last checkpoint; after another process aborted
 * it, the last counters and checkpoint in the Aborted document (its
 * reason kept); after another resumed it, nothing. */
void bql_operation_finish (bql_exec_t *x, const bql_step_t *st);

/* ---- seen from outside a statement (op_admin.c, resume.c) ---- */

/* Set e (cleared first) for a command about bulkql_operations that
 * failed with berr: BQL_ERR_CONNECTION (server_code 0) when the server
 * could not be reached, else BQL_ERR_SERVER with the server's code; the
 * message "cannot <what>: <berr's message>". Returns false. */
bool bql_operation_server_error (bql_error_t *e, const bson_error_t *berr, const char *what);

#endif
