/*
 * steps.h — a plan as an ordered list of steps (steps.c builds it, the
 * executor's steps_run.c interprets it, explain.c prints it). Each step
 * has a kind, the command template it sends, and a flow: when it runs and
 * what flows into it (nothing, the _ids of a batch of stored documents,
 * a batch of input rows, the rows a batch refused, the finished reply).
 * A template is the exact command but for what only the data decides,
 * which appears as a "<...>" placeholder string: the _ids of a batch, the
 * documents of a batch of rows, the time of a batch. Internal to the
 * planner and the executor; needs libbson.
 */
#ifndef BQL_STEPS_H
#define BQL_STEPS_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

#include "bulkql/error.h"

struct bql_plan;

typedef enum {
   BQL_STEP_DROP,                 /* drop the target first (drop = true) */
   BQL_STEP_COUNT,                /* dry_run of a WHERE: count what would be written */
   BQL_STEP_COUNT_GUARD,          /* max_delete_count: count the matching documents, refuse above it */
   BQL_STEP_COUNT_ROWS_GUARD,     /* DELETE ... USING max_delete_count: first pass over the rows */
   BQL_STEP_ENSURE_INDEX,         /* createIndexes (the archive's TTL index) */
   BQL_STEP_SCAN_IDS,             /* find in _id order; EACH_ID_BATCH steps run per batch read */
   BQL_STEP_MATCH_ROWS,           /* DELETE ... USING: find what a batch of rows matches */
   BQL_STEP_ARCHIVE_BATCH,        /* insert copies of the batch's documents into the archive */
   BQL_STEP_ARCHIVE_REPLACE,      /* copies the archive already held (11000, from an interrupted
                                     run): replacement upserts keyed by _id */
   BQL_STEP_DELETE_BATCH,         /* delete (or soft_delete update) of the batch's _ids */
   BQL_STEP_UPDATE_BATCH,         /* UPDATE ... WHERE: the batch's _ids, or every match once */
   BQL_STEP_INSERT_ROWS,          /* insert commands of batch_size rows */
   BQL_STEP_READ_ALL_IDS,         /* before the first batch of upserts, on a server whose _id
                                     $in lookup scans the collection: every stored _id, once */
   BQL_STEP_READ_EXISTING_IDS,    /* before upserts (retry_attempts > 0): which of the
                                     _ids the batch's rows name exist already */
   BQL_STEP_INSERT_NEW_IDS,       /* ON CONFLICT (_id) DO REPLACE, on a server whose _id $in
                                     lookup scans the collection: the rows whose _id the
                                     statement's record of stored _ids does not hold go as
                                     inserts (run by UPSERT_ROWS, in runs with its upserts) */
   BQL_STEP_UPSERT_ROWS,          /* one upsert (or replacement upsert) per row */
   BQL_STEP_READ_STORED_IDS,      /* after a batch of upserts with a failed row, on a server
                                     whose update command then loses its counts: which of
                                     the _ids its rows name are stored now */
   BQL_STEP_UPDATE_ROWS,          /* UPDATE ... FROM: one updateOne per row */
   BQL_STEP_DUPLICATE_KEY_UPDATE, /* ON DUPLICATE KEY: update the rows refused with 11000 */
   BQL_STEP_WRITE_ERROR_RECORD,   /* one document per batch with failed rows, in error_collection */
   BQL_STEP_WRITE_METRICS,        /* one document per statement, in bulk_operation_metrics */
   BQL_STEP_AGGREGATE,            /* INSERT/UPSERT ... SELECT: run the pipeline; the documents
                                     of its cursor are the rows of the EACH_ROW_BATCH steps
                                     after it, numbered by their position in the cursor */
   BQL_STEP_MERGE,                /* INSERT/UPSERT ... SELECT on the server: the pipeline
                                     ending with $merge into the target */
   /* the operation's document in bulkql_operations (operation.c) */
   BQL_STEP_OPEN_OPERATION,       /* insert it, state Open, before anything is written */
   BQL_STEP_MARK_IN_FLIGHT,       /* writes that are not idempotent: the batch's rows (or _ids)
                                     recorded in the checkpoint's inFlight before it is sent */
   BQL_STEP_CHECKPOINT,           /* the checkpoint, after every checkpoint_interval batches */
   BQL_STEP_CHECK_OPERATION,      /* checkpoint_interval > 1: the state read after the other batches */
   BQL_STEP_HEARTBEAT,            /* heartbeatAt moved while a batch waits on the server */
   BQL_STEP_FINISH_OPERATION      /* after the statement: its end state and last checkpoint */
} bql_step_kind_t;

#define BQL_PH_UPSERT_IDS "<_ids the batch's rows name>"

typedef enum {
   BQL_FLOW_ONCE,           /* once, before any row or document is written */
   BQL_FLOW_EACH_ID_BATCH,  /* per batch of _ids read by the SCAN_IDS step before it;
                               without one, once over the whole filter */
   BQL_FLOW_EACH_ROW_BATCH, /* per batch of input rows (VALUES, a file, STDIN) */
   BQL_FLOW_REFUSED_ROWS,   /* per batch: the rows the step before refused (11000) */
   BQL_FLOW_FAILED_BATCH,   /* per batch that has failed rows or a failed write */
   BQL_FLOW_CHECKPOINT,     /* beside the batches, as they complete (or wait): the
                               operation's checkpoint, state read and heartbeat */
   BQL_FLOW_END             /* once, after the statement, with its reply */
} bql_step_flow_t;

/* The placeholders a template holds where the data decides. */
#define BQL_PH_BATCH_IDS "<_ids of the batch>"
#define BQL_PH_ARCHIVED_IDS "<_ids now in the archive>"
#define BQL_PH_READ_IDS "<_ids read for the batch>"
/* ... and in the operation's document (operation.c fills them) */
#define BQL_PH_OPERATION_ID "<operationId>"
#define BQL_PH_NOW "<now (a date)>"
#define BQL_PH_STATEMENT "<the statement's text: its first 4096 bytes>"
#define BQL_PH_HOST "<host name>"
#define BQL_PH_PID "<process id>"
#define BQL_PH_FILE_PATH "<the file's absolute path>"
#define BQL_PH_FILE_SIZE "<the file's size in bytes>"
#define BQL_PH_FILE_MTIME "<the file's modification time (a date)>"
#define BQL_PH_FILE_HEAD "<fnv1a64 of the file's first MiB>"
#define BQL_PH_COUNTERS "<the statement's counters>"
#define BQL_PH_FILTER "<the statement's filter, as canonical Extended JSON text>"
#define BQL_PH_CHECKPOINT "<the checkpoint: completed and in-flight batches>"
#define BQL_PH_END_STATE "<Complete, Failed or Aborted>"
#define BQL_PH_REASON "<why it Failed or was Aborted; null when Complete>"
#define BQL_PH_RESUMES "<resumes: the claim this process holds the operation by>"
#define BQL_PH_STATES "<{$in: [Open, InProgress]}; Aborted once another process aborted it>"
/* The collection of the operation documents; the statement's database
 * unless operations_database names one. */
#define BQL_OPERATIONS_COLLECTION "bulkql_operations"
/* The statement text kept in the operation's document, in bytes. */
#define BQL_OPERATION_STATEMENT_MAX 4096

/* INSERT_NEW_IDS, ordered: the fewest consecutive rows that go as an
 * insert command between the upsert commands of a batch; a shorter run
 * of new rows goes as upserts in the upsert command around it, so that a
 * batch of n rows goes as at most 2 * ceil(n / BQL_INSERT_RUN_MIN) + 1
 * commands (write_rows.c; EXPLAIN says so). */
#define BQL_INSERT_RUN_MIN 16

/* How a step runs on a server whose update command loses its counts when
 * one of its statements fails (bql_caps_t.update_keeps_counts: it
 * applies the statements before the failing one and none after it, and
 * replies writeErrors [{index: 0}] with no counts). */
typedef enum {
   BQL_LOST_SAME,            /* as on any server */
   BQL_LOST_ONE_PER_COMMAND, /* UPSERT_ROWS, UPDATE_ROWS, DUPLICATE_KEY_UPDATE: the
                                batch goes one statement per command (its update is
                                not idempotent, or a new document's _id can be tied
                                to its row only through the reply of a command of
                                one statement): a failed batch could not be sent
                                again to learn which rows it applied */
   BQL_LOST_SETTLE_FAILED,   /* the same, idempotent: the batch goes as one command;
                                when a statement fails, the batch's rows are settled
                                by the READ_STORED_IDS step (upserts) and by sending
                                again, one statement per command, the rows whose
                                outcome is unknown up to the first that fails, then
                                the rows after it as one command */
   BQL_LOST_ONLY             /* the step runs only on such a server */
} bql_if_counts_lost_t;

/* How a step runs on a server whose find of {_id: {$in: [...]}} reads
 * the whole collection (bql_caps_t.id_lookup_scans). */
typedef enum {
   BQL_SCANS_SAME,         /* as on any server */
   BQL_SCANS_ONLY,         /* READ_ALL_IDS: the step runs only on such a server */
   BQL_SCANS_UNKNOWN_IDS   /* READ_EXISTING_IDS: there, only for the rows whose _id the
                              statement's record (the READ_ALL_IDS step's read, kept up
                              to date with the statement's own writes) cannot answer */
} bql_if_id_lookup_scans_t;

typedef struct bql_step {
   bql_step_kind_t kind;
   bql_step_flow_t flow;
   char *what;          /* what EXPLAIN says of it ("step"); owned */
   bson_t command;      /* the command template (or, for a batch of
                           VALUES rows, the exact command) */
   int64_t first_row;   /* a batch of VALUES rows: its first and last row */
   int64_t last_row;    /* numbers; 0 in a template */
   bool ordered;        /* the write's ordered */
   /* UPDATE_ROWS, DUPLICATE_KEY_UPDATE: one statement per command on
    * every server (the SET list writes a field the filter reads:
    * bql_plan_update_reads_filter) */
   bool one_per_command;
   /* how it runs on a server whose update command loses its counts after
    * a failed statement (bql_caps_t.update_keeps_counts) */
   bql_if_counts_lost_t if_counts_lost;
   const char *if_lost_note; /* what EXPLAIN says of it (a static string;
                                NULL with BQL_LOST_SAME) */
   /* how it runs on a server whose _id $in lookup scans the collection
    * (bql_caps_t.id_lookup_scans), and what EXPLAIN says of it (a static
    * string; NULL with BQL_SCANS_SAME) */
   bql_if_id_lookup_scans_t if_id_lookup_scans;
   const char *if_scans_note;
   /* MERGE: run only when the server has $merge (bql_caps_t.merge), and
    * then instead of the AGGREGATE step after it and its row steps;
    * without $merge this step is skipped (server_side unset) */
   bool if_server_has_merge;
   /* MERGE, AGGREGATE: 0 runs on any server; 1 only when the server has
    * $dateTrunc (bql_caps_t.date_trunc), -1 only when it has not (the
    * same pipeline with DATE and DATE_TRUNC from $dateToParts): the two
    * come as a pair, one after the other */
   int if_date_trunc;
} bql_step_t;

typedef struct bql_steps {
   bql_step_t *items;
   size_t n;
   size_t cap;
   /* the statement removes (or soft-deletes) stored documents: its
    * accounting counts documents, not rows */
   bool deletes;
} bql_steps_t;

/* Build the step templates of plan into steps (initialised here; free
 * with bql_steps_cleanup). The list depends on the plan and its options
 * only: no server is asked. False, with *error set, when a row template
 * cannot be built (the steps built so far are kept: the executor runs
 * them, building each row's write itself). */
bool bql_steps_build (const struct bql_plan *plan, bql_steps_t *steps, bql_error_t *error);

/* The steps as EXPLAIN shows them: the templates, with every run of
 * EACH_ROW_BATCH steps over VALUES rows replaced by the same steps for
 * each batch of the rows as the executor cuts them (batch_size input rows,
 * rows failing CHECK included), holding the exact commands. out is
 * initialised here. False with *error when a row's write cannot be built. */
bool bql_steps_expand_values (const struct bql_plan *plan, const bql_steps_t *templates, bql_steps_t *out,
                              bql_error_t *error);

void bql_steps_cleanup (bql_steps_t *steps);

/* Server features a step's command needs (a set of bits), found in its
 * template: the executor asks the server's capabilities (probed once per
 * connection) before it sends the command, and refuses with the
 * feature's name when the server lacks it. */
enum {
   BQL_NEEDS_PIPELINE_UPDATES = 1 << 0, /* an update whose u is a pipeline (MongoDB 4.2) */
   BQL_NEEDS_MERGE = 1 << 1,            /* an aggregate with a $merge stage (MongoDB 4.2) */
   BQL_NEEDS_TTL = 1 << 2,              /* createIndexes with expireAfterSeconds */
   BQL_NEEDS_DATE_TRUNC = 1 << 3,       /* an aggregation expression $dateTrunc (MongoDB 5.0) */
   BQL_NEEDS_DATE_PARTS = 1 << 4        /* $dateToParts and $dateFromParts (MongoDB 3.6) */
};

/* The BQL_NEEDS_* bits of st's command template (0: none). */
unsigned bql_step_needs (const bql_step_t *st);

/* A short name of the kind ("delete batch"), for messages and tests. */
const char *bql_step_kind_name (bql_step_kind_t kind);

/* The first step of kind k in steps, or NULL. Borrowed. */
const bql_step_t *bql_steps_find (const bql_steps_t *steps, bql_step_kind_t k);

/* Copy template into out (initialised here) with every string value equal
 * to placeholder replaced by value (an array of _ids, say) at any depth.
 * The executor instantiates the batch templates with it. */
void bql_step_instantiate (const bson_t *template_doc, const char *placeholder, const bson_value_t *value, bson_t *out);

/* Copy template into out (initialised here), each "<...>" placeholder
 * string value given to fill: fill appends the value under key to out's
 * level (dst) and returns true, or returns false to keep the template's
 * value. At any depth. */
typedef bool (*bql_step_fill_fn) (void *ctx, const char *placeholder, bson_t *dst, const char *key);
void bql_step_fill (const bson_t *template_doc, bql_step_fill_fn fill, void *ctx, bson_t *out);

/* The database of the operation documents: operations_database, or the
 * statement's. Borrowed from plan. */
const char *bql_plan_operations_database (const struct bql_plan *plan);

/* The document or array at the dotted path of a template (borrowed: valid
 * while the step lives), e.g. "updates.0.u"; false when absent. */
bool bql_step_sub (const bql_step_t *step, const char *path, bson_t *out);

#endif /* BQL_STEPS_H */
