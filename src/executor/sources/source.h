/*
 * source.h — row sources: where the rows of INSERT, UPSERT, UPDATE ...
 * FROM and DELETE ... USING come from (SPEC §4). A source gives one row
 * at a time as a BSON document with its row number: the plan's VALUES
 * rows (values.c), the plan's FROM 'path' / FROM STDIN read as CSV, TSV,
 * NDJSON or JSON (file.c with input.c, csv.c, json.c and typing.c), or
 * rows kept in memory to be read again (replay.c), or the documents of an
 * aggregate cursor (cursor.c: INSERT/UPSERT ... SELECT, the one source
 * that reads from a server, on a connection of its own). bql_source_open
 * (open.c) picks the plan's; all are built on the source object of
 * source.c, which calls none of them (the order of the files is listed in
 * ../executor.h).
 *
 * A source is opened with the plan, the I/O options of the run, the
 * caller's cancel flag and an error; it knows nothing of the statement
 * that reads it (no libmongoc, no counters), so it can be read and
 * tested without a server (but for the cursor). Internal to the executor.
 */
#ifndef BQL_SOURCE_H
#define BQL_SOURCE_H

#include <stdatomic.h>
#include <stdio.h>

#include <mongoc/mongoc.h>

#include "bulkql/exec.h"
#include "columns.h"
#include "planner.h"

typedef enum {
   BQL_ROW_OK,     /* a row */
   BQL_ROW_FAILED, /* a row that could not be read, converted, or failed CHECK */
   BQL_ROW_END,    /* no more rows */
   BQL_ROW_ERROR   /* the input cannot be read on: bql_source_error() */
} bql_row_rc_t;

/* An open source. Opaque: read it with bql_source_next, ask it with the
 * accessors below, free it with bql_source_close. A source is read by one
 * thread at a time, which need not be the thread that opened it (rows.c
 * reads on a thread of its own); bql_source_stop may be called from any
 * thread. */
typedef struct bql_source bql_source_t;

/* The I/O options of a run (from bql_exec_options_t and the statement's
 * resolved options): all may be zero. Borrowed for the source's life. */
typedef struct bql_source_io {
   /* FROM STDIN reads this stream with fread(3) (not closed); NULL reads
    * file descriptor 0 with read(2), waiting with poll(2) */
   FILE *stdin_stream;
   /* FROM STDIN FORMAT NDJSON/JSON takes its rows from next_row instead
    * (bql_exec_options_t.next_row), each document one record */
   bql_row_fn next_row;
   void *next_row_ctx;
   /* max_execution_time: reading stops (as cancelled) once
    * max_execution_ms milliseconds have passed since start_us
    * (bson_get_monotonic_time, microseconds); 0 = no limit */
   int64_t max_execution_ms;
   int64_t start_us;
   /* parse threads (parse_threads): the bytes of a chunk, about; 0 = the
    * default (256 KiB). Tests make it small to cut tiny files often. */
   size_t parse_chunk;
} bql_source_io_t;

/* The rows of the plan (open.c): its VALUES rows when plan->has_rows,
 * else its FROM 'path' / FROM STDIN (bql_source_file_open). io and cancel may be
 * NULL; cancel, when set non-zero by any thread or a signal handler, ends
 * a read that waits for input (the source then reports cancelled). plan,
 * io and cancel must outlive the source. NULL when the input cannot be
 * opened (cannot be opened, a directory, not gzip although it must be,
 * bad file options), with *error set (domain EXECUTE, code IO, located at
 * the FROM clause; ABORTED when cancelled before the first read). */
bql_source_t *bql_source_open (const bql_plan_t *plan,
                               const bql_source_io_t *io,
                               const volatile int *cancel,
                               bql_error_t *error);

/* The plan's VALUES rows in row order, with the rows that failed CHECK
 * at planning (plan->failed) in their place as FAILED rows. Never NULL. */
bql_source_t *bql_source_values_open (const bql_plan_t *plan);

/* The plan's FROM 'path' / FROM STDIN (plan->file), as bql_source_open. */
bql_source_t *bql_source_file_open (const bql_plan_t *plan,
                                    const bql_source_io_t *io,
                                    const volatile int *cancel,
                                    bql_error_t *error);

/* INSERT/UPSERT ... SELECT: the documents of the cursor of step (the
 * plan's AGGREGATE step: {aggregate, pipeline, cursor: {batchSize},
 * $db}), read on client, a connection of the source's own (it takes it,
 * even on failure; NULL fails with CONNECTION), on a thread of its own,
 * numbered 1, 2, ... in cursor order (cursor.c). The aggregate runs now
 * and its first reply is waited for: NULL with *error set (domain
 * EXECUTE, code SERVER with the server's code and message when the
 * server refuses the pipeline, CONNECTION when it cannot be reached,
 * ABORTED when cancel, bql_source_stop or max_execution_time ended the
 * wait, within 50 ms; located at the SELECT). io (max_execution_time)
 * and cancel as for bql_source_open: every later wait on the server ends
 * as cancelled the same way. */
bql_source_t *bql_source_cursor_open (const bql_plan_t *plan,
                                      mongoc_client_t *client,
                                      const bql_step_t *step,
                                      const bql_source_io_t *io,
                                      const volatile int *cancel,
                                      bql_error_t *error);

/* Wait at most timeout_ms milliseconds (0: do not wait) until the fetch
 * threads of cursor sources closed while they waited on the server have
 * ended (they free their cursor and connection when the server answers
 * or the socket times out). Returns how many are left. Thread-safe. */
int bql_source_cursors_abandoned_wait (int64_t timeout_ms);

/* The next row. OK: the row's fields are appended to doc (an initialised,
 * empty bson_t of the caller's). FAILED: *why says why (valid until the
 * next call) and doc may hold what was read of the row (for
 * failed_records_file). OK and FAILED set *rownum (1-based, counting
 * failed rows). END: no more rows. ERROR: the input stopped:
 * bql_source_failed() (a fatal error) or bql_source_cancelled(), with
 * bql_source_error() saying why; every later call returns ERROR or END. */
bql_row_rc_t bql_source_next (bql_source_t *s, bson_t *doc, int64_t *rownum, const char **why);

/* The line of its file where the row just returned starts (the n-th
 * document for next_row rows); 0 when rows have no lines (VALUES). */
int64_t bql_source_line (const bql_source_t *s);
/* Whether the row just returned (OK) has a top-level field "_id": 1 yes,
 * 0 no, -1 unknown (look). Known when the source learnt it while
 * building the row (the JSON fast path), so that the writer need not
 * walk the document for it. */
int bql_source_row_has_id (const bql_source_t *s);
/* What the source learnt of the row just returned (OK) while building it,
 * so that the writer need not walk the document for it: a set of the
 * BQL_ROW_* facts below, 0 when it knows none (VALUES, a cursor, libbson's
 * JSON path, a CSV row built the general way, a JSON row retyped). */
#define BQL_ROW_NAMES_VALID 0x1u /* every field name, at every level, passes
                                    bql_field_name_valid (json_fast.h: not
                                    empty, valid UTF-8), and it holds no code
                                    with scope: libmongoc's checks of a
                                    document to insert pass */
#define BQL_ROW_FINITE 0x2u      /* no NaN or ±Infinity double and no
                                    Decimal128, at any level */
unsigned bql_source_row_facts (const bql_source_t *s);
/* Bytes of the input consumed so far (compressed bytes for gzip). */
int64_t bql_source_bytes_read (const bql_source_t *s);
/* The input's size in bytes (a regular file), or -1 when unknown. */
int64_t bql_source_bytes_total (const bql_source_t *s);
/* The number of rows (VALUES, a replay), or -1 when unknown. */
int64_t bql_source_rows_total (const bql_source_t *s);
/* After ERROR: a fatal input error (bql_source_error has it, located at
 * the FROM clause, message "<file>:<line>: ..."). */
bool bql_source_failed (const bql_source_t *s);
/* After ERROR without failed: the cancel flag, bql_source_stop or
 * max_execution_time ended a read; bql_source_error()->message says what
 * was being read ("cancelled while reading <file>"). */
bool bql_source_cancelled (const bql_source_t *s);
const bql_error_t *bql_source_error (const bql_source_t *s);
/* The reader of the source is no longer wanted: a read waiting for input
 * ends (as cancelled). Thread-safe. */
void bql_source_stop (bql_source_t *s);
/* Free the source and everything it holds (closing a file it opened;
 * never stdin or the caller's stream). NULL is allowed. */
void bql_source_close (bql_source_t *s);

/* ---- implementing a source ---- */

/* What a source reports besides its rows: written by its next, read by
 * the accessors above (on the reading thread), stop by any thread. */
typedef struct bql_source_status {
   int64_t line;
   int row_id;          /* bql_source_row_has_id: set to -1 before each next */
   unsigned row_facts;  /* bql_source_row_facts: set to 0 before each next */
   int64_t bytes_read;
   int64_t bytes_total; /* -1 when unknown */
   int64_t rows_total;  /* -1 when unknown */
   bool failed;
   bool cancelled;
   bql_error_t error;
   _Atomic bool stop;
} bql_source_status_t;

/* The operations of one kind of source. next has bql_source_next's
 * contract (doc, rownum, why) and reports through st; close frees impl. */
typedef struct bql_source_vtable {
   const char *kind; /* "values", "file", "replay": for messages and tests */
   bql_row_rc_t (*next) (void *impl, bql_source_status_t *st, bson_t *doc, int64_t *rownum, const char **why);
   void (*close) (void *impl);
} bql_source_vtable_t;

/* A source of kind vt over impl (owned from now on: closed with it).
 * bytes_total and rows_total start at -1. *st, when st is not NULL, is
 * the status that next also gets (for an impl that reports outside next). */
bql_source_t *bql_source_new (const bql_source_vtable_t *vt, void *impl, bql_source_status_t **st);
/* The implementation given to bql_source_new. */
void *bql_source_impl (bql_source_t *s);
/* The vtable's kind of s. */
const char *bql_source_kind (const bql_source_t *s);

/* ---- a replay: rows kept in memory to be read again (replay.c) ---- */

/* An empty replay. Rows are added with bql_source_replay_add before the
 * first bql_source_next, then read back in the order added. */
bql_source_t *bql_source_replay_new (void);
/* Keep one row as read from another source: its row number, line, what
 * was read (doc, copied) and, for a FAILED row, why (NULL for a good one).
 * False when the rows kept take more than limit bytes (the row is kept). */
bool bql_source_replay_add (bql_source_t *replay, int64_t rownum, int64_t line, const bson_t *doc, const char *why,
                            int64_t limit);

/* ---- EXPLAIN ---- */

/* EXPLAIN's look at a CSV or TSV file (declared weak in explain.c, which
 * is also built without the file readers): the columns a load of this
 * plan reads, with the types inferred from the sample exactly as the load
 * infers them. Only a regular file that can be read now is read (never
 * STDIN, a FIFO or a device); nothing is written. out is initialised
 * here and owned by the caller (bql_columns_cleanup) when true is
 * returned; false when the source is not a readable CSV/TSV file or its
 * header cannot be read. */
bool bql_file_sniff_columns (const bql_plan_t *plan, bql_columns_t *out);

#endif /* BQL_SOURCE_H */
