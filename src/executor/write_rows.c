/*
 * write_rows.c — one write per incoming row: BULK UPSERT (updateOne with
 * upsert; replaceOne with upsert for ON CONFLICT DO REPLACE, whose upserted
 * _id, when the row has none, comes from the reply), BULK UPDATE ... FROM (updateOne matched through the WHERE join),
 * INSERT with upsert_mode (upsert on _id) and the follow-up updates of
 * INSERT ... ON DUPLICATE KEY UPDATE (updateOne on _id or the key columns).
 *
 * Every row ends in exactly one state: matched, matched nothing, upserted,
 * inserted, failed (with its row number and reason, including "may or may
 * not have been written" when that cannot be known), or not attempted
 * (after an ordered stop or a fatal error).
 *
 * How a batch is sent. As one update command (one libmongoc bulk
 * operation, which libmongoc may split further): MongoDB's reply names the
 * failing statements (writeErrors[].index) and gives exact totals, and
 * upserted documents are tied back to their rows by _id, not by the
 * reply's upserted[].index (each upsert carries its _id: the row's, or in
 * $setOnInsert the deterministic ObjectId of its operation and row,
 * new_row_oid), which keeps the mapping exact on servers that number
 * upserts differently, and a row's document single when two attempts of
 * it run at once. The step (steps.h) says where else:
 *  - on a server whose reply to an update command with a failing
 *    statement loses the account of the command (writeErrors [{index: 0}]
 *    with no counts, whichever statement failed, after having applied the
 *    statements before it and none after it; a capability of the
 *    connection, asked once: caps.h bql_caps_update_keeps_counts): when
 *    the statement's writes are idempotent (BQL_LOST_SETTLE_FAILED), the
 *    batch still goes as one command, and only a batch that failed is
 *    settled row by row (settle_lost_batch: which rows it applied is read
 *    back through their _ids, and the rows whose outcome is still unknown
 *    are sent again one statement per command up to the failing one, the
 *    rows after it as one command). Whether the rows it had applied
 *    modified their documents is lost with its account: they count as
 *    matched, in nModifiedUnknown rather than nModified. When the writes
 *    are not idempotent ($inc: a failed batch could not be sent again), or
 *    a replacement without _id gets its _id from the server, one command
 *    per row (BQL_LOST_ONE_PER_COMMAND): a command of one statement is
 *    always exact.
 *  - for UPDATE ... FROM and the ON DUPLICATE KEY follow-ups when the SET
 *    list writes a field the row's filter reads (the step's
 *    one_per_command, on every server): libmongoc's reply gives only the
 *    total nMatched, and which rows matched nothing is then found by
 *    asking, after the batch, which rows' filters match no document
 *    (find_unmatched) — exact only when the batch's own updates cannot
 *    change what a filter matches.
 *
 * Each command goes through the write path (write_path.h). A batch lost
 * to a retryable error (network, not-primary, ...) is retried with
 * backoff; before a row is sent again, the server is asked what the
 * lost attempt did: an upsert whose new _id is stored now was applied by
 * it (counted as upserted, not sent again); an upsert on _id whose
 * document did not exist before the batch and still does not exist was
 * not applied (sent again, even when not idempotent); any other row is
 * sent again only when its update is idempotent, and is otherwise reported
 * as failed with an unknown outcome. For upserts on _id this needs to know
 * which _ids existed before the batch: one find on _id per batch, made
 * only when retry_attempts > 0 (or to settle a failed batch, above).
 *
 * Which _ids existed, on a server whose find of {_id: {$in: [...]}} reads
 * the whole collection (caps.h id_lookup_scans: a find per batch would
 * cost a scan of the collection per batch): the statement reads every
 * stored _id once, before the first batch whose rows name an _id (the
 * READ_ALL_IDS step), into its record of stored _ids (executor.h
 * bql_id_record_t), which its own writes keep up to date; a batch's rows
 * are answered from it (existing_from_record): held as stored (read, or
 * upserted or matched by an earlier row of the statement) existed; not
 * held did not; held by a row whose outcome is unknown is read from the
 * server before the batch, for those _ids only; held in flight by another
 * batch (parallel_workers) is unknown (-1: a failed batch holding such a
 * row cannot be settled, so on a server that loses counts the batch goes
 * one statement per command). Over its bound (a quarter of memory_limit)
 * the record is given up and every batch reads its own _ids again.
 * Semantics with other clients: the per-batch read saw the collection at
 * the start of its batch, the record sees it at the statement's read plus
 * the statement's own writes; in both, the settling of a lost or failed
 * batch is exact when no other client creates or deletes the same _ids
 * meanwhile (a document created by another client after the read looks
 * created by the batch). README "Cancelling, retries and in doubt" says
 * so.
 *
 * New _ids as inserts (the INSERT_NEW_IDS step: ON CONFLICT (_id) DO
 * REPLACE, on a server whose _id $in lookup reads the whole collection,
 * where each upsert statement reads it too and an insert does not): a
 * row whose _id the record does not hold at all goes as an insert of its
 * replacement, when that stores exactly the document its upsert would
 * create (insert_is_upsert); a later row of the batch naming the same
 * _id goes as its upsert, as does a row the record cannot answer.
 * Ordered, the batch goes as runs in row order (send_rows): an insert
 * command for each run of at least BQL_INSERT_RUN_MIN such rows, upsert
 * commands between them (a shorter run goes as upserts among them), so
 * that a failed row still stops the rows after it; unordered, its
 * inserts as one command, then its upserts as one. An insert refused as
 * a duplicate key (11000: another client created the _id, a lost attempt
 * of the same insert was applied after all, or another unique index)
 * goes as its upsert, before the rows after it when ordered, once a find
 * of {_id: {$eq: v}} has read whether its _id is stored now (existed).
 * Such rows count as their upserts would: upserted when the insert
 * applied, and in the upserted list; never inserted. An insert command
 * keeps its account on every server (settle_lost_batch is for update
 * commands only); a lost one is settled as lost upserts of _ids absent
 * before the batch (rows_recover: a stored _id was inserted by it).
 */
#include <string.h>

#include "hash.h"
#include "write_path.h"


/* ---- the writes of a batch ---- */

/* RW_AS_UPSERT: sent as an insert (as_insert) and refused as a duplicate
 * key; pending again, as its upsert (account). RW_WRITTEN_BEFORE: a row
 * whose new document has its deterministic _id (new_row_oid), refused as
 * a duplicate key on that _id, which is stored: another attempt of this
 * operation created the document (account counts it upserted, or
 * inserted). */
typedef enum {
   RW_PENDING,
   RW_MATCHED,
   RW_UNMATCHED,
   RW_UPSERTED,
   RW_INSERTED,
   RW_FAILED,
   RW_AS_UPSERT,
   RW_WRITTEN_BEFORE
} rw_state_t;

typedef struct {
   size_t pos;         /* position in the batch */
   bson_t q, u;        /* filter and update; for an insert, u is the document */
   bool insert;        /* upsert_mode row without _id: inserted with a new _id */
   bool replace;       /* ON CONFLICT DO REPLACE: u is the replacement */
   bool upsert;
   bool pipeline;      /* u is an aggregation pipeline */
   bool has_id;        /* the _id a new document gets is known */
   bson_value_t id;
   bool id_new;        /* that _id is an ObjectId made for this row */
   int existed;        /* upsert on a given _id: a document with it existed
                          before the batch (1), did not (0), unknown (-1) */
   bool as_insert;     /* the upsert goes as an insert of u (the INSERT_NEW_IDS
                          step: insert_is_upsert); cleared when the insert is
                          refused as a duplicate key, and it goes as its upsert */
   rw_state_t state;
} row_write_t;

typedef struct {
   bql_writer_t *wr;
   const bql_batch_t *b;
   row_write_t *w;
   size_t n;
   bool ordered;
   bool follow_up;              /* ON DUPLICATE KEY: a row matching nothing failed */
   const char *const *dup_msgs; /* follow_up: the duplicate key error of each row */
   bql_batch_info_t *info;
   bql_row_errors_t *errs;
   bql_id_map_t upserted_ids;       /* _ids this batch has upserted */
   int attempts;                /* retries used by this batch */
   bool settle_lost;            /* a command of several rows that loses its account
                                   (a failed statement, on a server that then gives
                                   no counts) is settled row by row (settle_lost_batch) */
   bool stop;                   /* ordered stop, or fatal: send nothing more */
   bool fatal;
} batch_t;

static void
fail_row (batch_t *c, row_write_t *w, int32_t code, const char *errmsg)
{
   w->state = RW_FAILED;
   bql_row_errors_add (c->errs, w->pos, c->b->rows[w->pos], code, errmsg);
}

/* Add {row, _id} to the batch's upserted list (its first
 * BQL_REPLY_MAX_ERRORS entries are kept; all are counted). */
static void
note_upserted (bql_writer_t *w, int64_t row, const bson_value_t *id)
{
   bql_write_tally_t *t = w->tally;
   if (t->n_upserted_ids < BQL_REPLY_MAX_ERRORS) {
      char kb[16];
      const char *k;
      bson_uint32_to_string (t->n_upserted_ids, &k, kb, sizeof kb);
      bson_t one;
      bson_append_document_begin (&t->upserted, k, -1, &one);
      BSON_APPEND_INT64 (&one, "row", row);
      bson_append_value (&one, "_id", 3, id);
      bson_append_document_end (&t->upserted, &one);
   }
   t->n_upserted_ids++;
}

static void
mark_upserted (batch_t *c, row_write_t *w)
{
   w->state = RW_UPSERTED;
   bql_id_map_put (&c->upserted_ids, &w->id, w->pos);
   note_upserted (c->wr, c->b->rows[w->pos], &w->id);
}

/* Does w's write send a value the server cannot take (a NaN, ±Infinity:
 * bql_writer_refuses_row)? Then the row fails, and true when the rows
 * after it are not attempted (ordered). */
static bool
refused_value (batch_t *c, row_write_t *w)
{
   const bson_t *sent[2] = {&w->u, &w->q};
   char msg[700];
   if (!bql_writer_refuses_row (c->wr, c->b->docs[w->pos], sent, w->insert ? 1 : 2, msg, sizeof msg)) {
      return false;
   }
   fail_row (c, w, 0, msg);
   return c->ordered;
}

/* The _id a new document of the batch's row i gets: the deterministic
 * ObjectId of the statement's operation and the row's number (hash.h
 * bql_row_oid_bytes, as rows.c gives an inserted row without _id), the
 * same on every attempt of the row and on a resume. So two attempts of
 * one row that both create its document (a resume sends a batch again
 * while the server still runs the interrupted process's command, which
 * a server finishes after its client is gone) cannot store it twice:
 * the second is refused as a duplicate key on that _id (rows_settle). */
static void
new_row_oid (const batch_t *c, size_t i, bson_oid_t *oid)
{
   bql_row_oid_bytes (c->wr->operation_oid.bytes, c->b->rows[i], oid->bytes);
}

/* Build the write of each row at pos[0..npos). A row whose write cannot be
 * built (a row value of the wrong type, a missing key column), or that
 * sends a value the server cannot take, fails; when ordered, the rows
 * after it are not attempted. */
static void
build_writes (batch_t *c, const size_t *pos, size_t npos)
{
   const bql_plan_t *plan = c->wr->plan;
   bool upsert = !c->follow_up && bql_writer_has_step (c->wr, BQL_STEP_UPSERT_ROWS);
   c->w = bson_malloc0 (sizeof *c->w * (npos ? npos : 1));
   c->n = 0;
   for (size_t k = 0; k < npos; k++) {
      size_t i = pos[k];
      row_write_t *w = &c->w[c->n++];
      w->pos = i;
      w->existed = -1;
      bson_init (&w->q);
      bson_init (&w->u);
      if (upsert && c->wr->opts->upsert_mode && !bson_has_field (c->b->docs[i], "_id")) {
         /* upsert_mode: a row without _id is a new document; it gets its
          * _id here, so that a lost attempt can be checked: the
          * deterministic one of its operation and row (new_row_oid) */
         bson_oid_t oid;
         new_row_oid (c, i, &oid);
         BSON_APPEND_OID (&w->u, "_id", &oid);
         bson_concat (&w->u, c->b->docs[i]);
         w->insert = true;
         w->has_id = w->id_new = true;
         w->id.value_type = BSON_TYPE_OID;
         bson_oid_copy (&oid, &w->id.value.v_oid);
         if (refused_value (c, w)) {
            break; /* ordered: nothing after a failed row */
         }
         continue;
      }
      bql_error_t rerr;
      if (!bql_plan_row_write (plan, c->b->docs[i], &w->q, &w->u, &w->pipeline, &rerr)) {
         fail_row (c, w, 0, rerr.message);
         if (c->ordered) {
            break; /* ordered: nothing after a failed row */
         }
         continue;
      }
      if (refused_value (c, w)) {
         break;
      }
      if (upsert) {
         w->upsert = true;
         w->replace = plan->replace; /* ON CONFLICT DO REPLACE */
         bool is_new = false;
         if (bql_plan_upsert_id (&w->q, &w->u, w->replace, &w->id, &is_new)) {
            w->has_id = true;
         } else if (!w->replace) {
            bson_oid_t oid;
            new_row_oid (c, i, &oid);
            bql_plan_add_new_id (&w->u, &oid);
            bql_plan_upsert_id (&w->q, &w->u, false, &w->id, &is_new);
            is_new = true;
            w->has_id = true;
         }
         /* a replacement without _id keeps the _id of the document it
          * replaces, and a new document gets the server's: its _id is
          * known from the reply only */
         w->id_new = is_new;
      }
   }
}

static void
writes_cleanup (batch_t *c)
{
   for (size_t k = 0; k < c->n; k++) {
      bson_destroy (&c->w[k].q);
      bson_destroy (&c->w[k].u);
      if (c->w[k].has_id) {
         bson_value_destroy (&c->w[k].id);
      }
   }
   bson_free (c->w);
   bql_id_map_cleanup (&c->upserted_ids);
}

/* Which of the _ids of rows set[0..m) are stored? found maps each stored
 * _id. False when the server could not be asked. */
static bool
find_ids (batch_t *c, const size_t *set, size_t m, bool (*want) (const row_write_t *), bql_id_map_t *found)
{
   bson_t filter = BSON_INITIALIZER, id, in;
   bson_append_document_begin (&filter, "_id", 3, &id);
   bson_append_array_begin (&id, "$in", 3, &in);
   uint32_t nin = 0;
   for (size_t k = 0; k < m; k++) {
      const row_write_t *w = &c->w[set[k]];
      if (w->has_id && want (w)) {
         char kb[16];
         const char *key;
         bson_uint32_to_string (nin++, &key, kb, sizeof kb);
         bson_append_value (&in, key, -1, &w->id);
      }
   }
   bson_append_array_end (&id, &in);
   bson_append_document_end (&filter, &id);
   bql_id_map_init (found, nin);
   if (nin == 0) {
      bson_destroy (&filter);
      return true;
   }
   bson_t opts = BSON_INITIALIZER, proj;
   bson_append_document_begin (&opts, "projection", -1, &proj);
   BSON_APPEND_INT32 (&proj, "_id", 1);
   bson_append_document_end (&opts, &proj);
   mongoc_cursor_t *cur = mongoc_collection_find_with_opts (c->wr->coll, &filter, &opts, NULL);
   const bson_t *doc;
   while (mongoc_cursor_next (cur, &doc)) {
      bson_iter_t it;
      if (bson_iter_init_find (&it, doc, "_id")) {
         bql_id_map_put (found, bson_iter_value (&it), 0);
      }
   }
   bson_error_t berr;
   bool ok = !mongoc_cursor_error (cur, &berr);
   mongoc_cursor_destroy (cur);
   bson_destroy (&filter);
   bson_destroy (&opts);
   return ok;
}

/* Is w's _id stored? 1, 0, or -1 when the server could not be asked. A
 * find of {_id: {$eq: v}}, which every server answers from its _id index
 * (a find of _id $in reads the whole collection on some: caps.h). */
static int
id_stored (batch_t *c, const row_write_t *w)
{
   bson_t filter = BSON_INITIALIZER, eq, opts = BSON_INITIALIZER, proj;
   bson_append_document_begin (&filter, "_id", 3, &eq);
   bson_append_value (&eq, "$eq", 3, &w->id);
   bson_append_document_end (&filter, &eq);
   bson_append_document_begin (&opts, "projection", -1, &proj);
   BSON_APPEND_INT32 (&proj, "_id", 1);
   bson_append_document_end (&opts, &proj);
   BSON_APPEND_INT64 (&opts, "limit", 1);
   mongoc_cursor_t *cur = mongoc_collection_find_with_opts (c->wr->coll, &filter, &opts, NULL);
   const bson_t *doc;
   bson_error_t berr;
   int stored = mongoc_cursor_next (cur, &doc) ? 1 : mongoc_cursor_error (cur, &berr) ? -1 : 0;
   mongoc_cursor_destroy (cur);
   bson_destroy (&filter);
   bson_destroy (&opts);
   return stored;
}

static bool
is_upsert_on_given_id (const row_write_t *w)
{
   return w->upsert && !w->id_new;
}

static bool
has_known_id (const row_write_t *w)
{
   return w->upsert || w->insert;
}

/* Read every stored _id into the statement's record (the READ_ALL_IDS
 * step's find, its template as is). Over the record's bound the read
 * stops and the record is given up; a read that fails gives it up too
 * (the batches then read their own _ids, as on any server). The caller
 * holds the record's lock. */
static void
read_all_ids (batch_t *c, bql_id_record_t *r)
{
   const bql_step_t *st = bql_steps_find (&c->wr->plan->steps, BQL_STEP_READ_ALL_IDS);
   bson_iter_t it;
   bson_t filter = BSON_INITIALIZER, opts = BSON_INITIALIZER;
   if (bson_iter_init_find (&it, &st->command, "filter") && BSON_ITER_HOLDS_DOCUMENT (&it)) {
      bson_t f;
      const uint8_t *data;
      uint32_t len;
      bson_iter_document (&it, &len, &data);
      if (bson_init_static (&f, data, len)) {
         bson_concat (&filter, &f);
      }
   }
   if (bson_iter_init_find (&it, &st->command, "projection")) {
      bson_append_iter (&opts, "projection", -1, &it);
   }
   mongoc_cursor_t *cur = mongoc_collection_find_with_opts (c->wr->coll, &filter, &opts, NULL);
   const bson_t *doc;
   bool held = true;
   while (held && mongoc_cursor_next (cur, &doc)) {
      if (bson_iter_init_find (&it, doc, "_id")) {
         held = bql_id_record_set (r, bson_iter_value (&it), BQL_ID_STORED);
      }
   }
   bson_error_t berr;
   if (held && mongoc_cursor_error (cur, &berr)) {
      bql_id_record_give_up (r);
   } else if (held) {
      r->state = BQL_IDS_HELD;
   }
   mongoc_cursor_destroy (cur);
   bson_destroy (&filter);
   bson_destroy (&opts);
}

/* Does an insert of w's replacement store exactly the document its
 * upsert would create, meeting the same checks on the way (the
 * INSERT_NEW_IDS step)? A replacement upsert whose filter is {_id:
 * {$eq: v}} alone and whose replacement holds that _id (the server
 * places _id first in both); v a plain value (not a document, array,
 * regex, null, ...: a filter matches those otherwise than a stored _id
 * compares, and the server refuses some of them differently in a filter
 * and in a document); no top-level key beginning with '$' (libmongoc
 * refuses such a replacement before sending it); no key, at any depth,
 * that libmongoc's checks of a document to insert might refuse (empty,
 * beginning with '$' or holding '.': the strictest set of its versions;
 * such a row goes as its upsert, and meets the replacement's checks); no
 * top-level empty timestamp (which the server fills in). */
static bool
insert_is_upsert (const row_write_t *w)
{
   bson_iter_t it;
   if (!w->upsert || !w->replace || !w->has_id || w->id_new || w->pipeline || bson_count_keys (&w->q) != 1 ||
       !bson_iter_init_find (&it, &w->q, "_id")) {
      return false;
   }
   switch (w->id.value_type) {
   case BSON_TYPE_DOUBLE:
   case BSON_TYPE_UTF8:
   case BSON_TYPE_BINARY:
   case BSON_TYPE_OID:
   case BSON_TYPE_BOOL:
   case BSON_TYPE_DATE_TIME:
   case BSON_TYPE_INT32:
   case BSON_TYPE_INT64:
   case BSON_TYPE_DECIMAL128:
      break;
   default:
      return false;
   }
   bool has_id = false;
   if (!bson_iter_init (&it, &w->u)) {
      return false;
   }
   while (bson_iter_next (&it)) {
      const char *k = bson_iter_key (&it);
      if (k[0] == '$') {
         return false;
      }
      if (BSON_ITER_HOLDS_TIMESTAMP (&it)) {
         uint32_t ts, inc;
         bson_iter_timestamp (&it, &ts, &inc);
         if (ts == 0 && inc == 0) {
            return false;
         }
      }
      has_id = has_id || !strcmp (k, "_id");
   }
   return has_id && bson_validate (&w->u,
                                   BSON_VALIDATE_UTF8 | BSON_VALIDATE_UTF8_ALLOW_NULL | BSON_VALIDATE_EMPTY_KEYS |
                                      BSON_VALIDATE_DOT_KEYS | BSON_VALIDATE_DOLLAR_KEYS,
                                   NULL);
}

/* The rows set[0..m) (pending upserts on a given _id), answered from the
 * statement's record of stored _ids (read first when it is not yet): a
 * row whose _id the record holds as stored existed before the batch; one
 * it does not hold did not (nor was it written by the statement: every
 * _id a row names is held from the batch on); one held in flight by
 * another batch is unknown (that batch may be writing it now); one held
 * in flight by this batch (an earlier row of it) did not exist before the
 * batch. Each _id is then held in flight by this batch, until
 * record_outcomes. Returns how many rows the record could not answer
 * (named by an earlier row whose outcome is unknown), moved to the front
 * of set: the server is asked about them. All m when the record is given
 * up (then no row is answered here). With inserts (the INSERT_NEW_IDS
 * step), a row whose _id the record does not hold at all goes as an
 * insert when that stores what its upsert would (insert_is_upsert); a
 * later row of the batch naming the same _id then goes as its upsert. */
static size_t
existing_from_record (batch_t *c, bql_id_record_t *r, size_t *set, size_t m, bool inserts)
{
   size_t token = BQL_ID_IN_FLIGHT (c->info->batch_index);
   size_t ask = 0;
   pthread_mutex_lock (&r->lock);
   if (r->state == BQL_IDS_UNREAD) {
      read_all_ids (c, r);
   }
   for (size_t k = 0; k < m && r->state == BQL_IDS_HELD; k++) {
      row_write_t *w = &c->w[set[k]];
      size_t e = token;
      if (!w->has_id) {
         continue; /* a replacement without _id: the server makes it */
      }
      bool held = bql_id_map_get (&r->ids, &w->id, &e);
      if (held && e == BQL_ID_STORED) {
         w->existed = 1;
         continue;
      }
      if (!held || e == token) {
         w->existed = 0; /* (held: an earlier row of the batch names it) */
         w->as_insert = !held && inserts && insert_is_upsert (w);
      } else if (e == BQL_ID_UNKNOWN) {
         set[ask++] = set[k];
      } else {
         w->existed = -1; /* another batch in flight names it */
      }
      bql_id_record_set (r, &w->id, token);
   }
   if (r->state != BQL_IDS_HELD) {
      /* given up (over its bound, or its read failed): every row is asked,
       * and goes as its upsert (also a row the record had sent as an
       * insert before it was given up: a lost insert could not be settled
       * without its "absent before") */
      for (size_t k = 0; k < m; k++) {
         c->w[set[k]].existed = -1;
         c->w[set[k]].as_insert = false;
      }
      ask = m;
   }
   pthread_mutex_unlock (&r->lock);
   return ask;
}

void
bql_exec_read_all_ids (bql_writer_t *w, const bql_batch_t *b)
{
   bql_id_record_t *r = w->id_record;
   if (!r || !bql_caps_id_lookup_scans (&w->caps, w->client)) {
      return;
   }
   bool names = false;
   for (size_t i = 0; i < b->n && !names; i++) {
      names = bson_has_field (b->docs[i], "_id");
   }
   if (names) {
      batch_t c = {.wr = w};
      pthread_mutex_lock (&r->lock);
      if (r->state == BQL_IDS_UNREAD) {
         read_all_ids (&c, r);
      }
      pthread_mutex_unlock (&r->lock);
   }
}

/* After the batch: the _ids its upserts on a given _id wrote are stored
 * now, and those of its rows that failed or were not attempted are
 * unknown (held in flight by this batch until now). */
static void
record_outcomes (batch_t *c)
{
   bql_id_record_t *r = c->wr->id_record;
   if (!r) {
      return;
   }
   size_t token = BQL_ID_IN_FLIGHT (c->info->batch_index);
   pthread_mutex_lock (&r->lock);
   for (size_t k = 0; k < c->n && r->state == BQL_IDS_HELD; k++) {
      const row_write_t *w = &c->w[k];
      size_t e;
      if (!w->has_id || !is_upsert_on_given_id (w)) {
         continue;
      }
      if (w->state == RW_UPSERTED || w->state == RW_MATCHED) {
         bql_id_record_set (r, &w->id, BQL_ID_STORED);
      } else if (bql_id_map_get (&r->ids, &w->id, &e) && e == token) {
         bql_id_record_set (r, &w->id, BQL_ID_UNKNOWN);
      }
   }
   pthread_mutex_unlock (&r->lock);
}

/* Upserts on a given _id: which _ids exist before the batch (for a lost
 * attempt to be checked against): on a server whose _id $in lookup reads
 * the whole collection, from the statement's record of stored _ids
 * (existing_from_record), else (and for the _ids the record cannot
 * answer) by a find of the batch's _ids. Left unknown when the server
 * cannot be asked: the write itself will meet the problem. */
static void
check_existing (batch_t *c)
{
   const bql_step_t *st = bql_steps_find (&c->wr->plan->steps, BQL_STEP_READ_EXISTING_IDS);
   bql_id_record_t *r = c->wr->id_record;
   /* the INSERT_NEW_IDS step goes by the record, where it is kept */
   bool inserts = r && bql_writer_has_step (c->wr, BQL_STEP_INSERT_NEW_IDS) &&
                  bql_caps_id_lookup_scans (&c->wr->caps, c->wr->client);
   bool existing = st && !(st->if_counts_lost == BQL_LOST_ONLY && !c->settle_lost);
   if (!inserts && !existing) {
      return; /* retry_attempts = 0: nothing is sent again */
   }
   size_t *set = bson_malloc (sizeof *set * (c->n ? c->n : 1));
   size_t m = 0;
   for (size_t k = 0; k < c->n; k++) {
      if (c->w[k].state == RW_PENDING && is_upsert_on_given_id (&c->w[k])) {
         set[m++] = k;
      }
   }
   if (m && r && bql_caps_id_lookup_scans (&c->wr->caps, c->wr->client)) {
      m = existing_from_record (c, r, set, m, inserts);
   }
   bql_id_map_t found;
   if (!existing) {
      m = 0; /* only the inserts asked for the record: the rows it cannot answer stay unknown */
   }
   if (m && find_ids (c, set, m, is_upsert_on_given_id, &found)) {
      for (size_t k = 0; k < m; k++) {
         c->w[set[k]].existed = bql_id_map_get (&found, &c->w[set[k]].id, NULL) ? 1 : 0;
      }
      bql_id_map_cleanup (&found);
   } else if (m) {
      bql_id_map_cleanup (&found);
   }
   bson_free (set);
}

/* Did the server refuse an aggregation-pipeline update as such (a server
 * without them refuses the command at parse time, code 14 TypeMismatch or
 * 9 FailedToParse)? */
static bool
pipeline_refused (const batch_t *c, const size_t *sent, size_t nsent, const bson_error_t *berr)
{
   if (bql_exec_is_connection_error (berr) || (berr->code != 14 && berr->code != 9)) {
      return false;
   }
   for (size_t k = 0; k < nsent; k++) {
      if (c->w[sent[k]].pipeline) {
         return true;
      }
   }
   return false;
}

/* ---- which rows matched nothing ---- */

/* Of the rows cand[0..m), which matched nothing? The reply said that
 * `unmatched` of them did (0 < unmatched < m); each row's filter is asked
 * for one document (exact when the statement's updates write no field
 * its filters read: bql_plan_update_reads_filter, the step's
 * one_per_command). */
static bool
find_unmatched (batch_t *c, const size_t *cand, size_t m)
{
   bson_t opts = BSON_INITIALIZER, proj;
   bson_append_document_begin (&opts, "projection", -1, &proj);
   BSON_APPEND_INT32 (&proj, "_id", 1);
   bson_append_document_end (&opts, &proj);
   BSON_APPEND_INT64 (&opts, "limit", 1);
   bool ok = true;
   for (size_t k = 0; k < m && ok; k++) {
      row_write_t *w = &c->w[cand[k]];
      mongoc_cursor_t *cur = mongoc_collection_find_with_opts (c->wr->coll, &w->q, &opts, NULL);
      const bson_t *doc;
      bool found = mongoc_cursor_next (cur, &doc);
      bson_error_t berr;
      if (!found && mongoc_cursor_error (cur, &berr)) {
         ok = bql_writer_connection_or_server_error (c->wr, &berr, c->info->batch_index);
      } else {
         w->state = found ? RW_MATCHED : RW_UNMATCHED;
      }
      mongoc_cursor_destroy (cur);
   }
   bson_destroy (&opts);
   return ok;
}

/* ---- sending ---- */

static bool send_rows (batch_t *c, const size_t *set, size_t m);

/* Read the reply of a command that ran: counts, upserted _ids, and the
 * state of every row sent (sent in the order sent). */
static bool
account (batch_t *c, const size_t *sent, size_t nsent, const bson_t *reply)
{
   bql_batch_info_t *info = c->info;
   bson_iter_t it, ai;
   int64_t matched = bson_iter_init_find (&it, reply, "nMatched") ? bson_iter_as_int64 (&it) : 0;
   info->n_matched += matched;
   if (bson_iter_init_find (&it, reply, "nModified")) {
      info->n_modified += bson_iter_as_int64 (&it);
   }
   if (bson_iter_init_find (&it, reply, "nUpserted")) {
      info->n_upserted += bson_iter_as_int64 (&it);
   }
   /* a command of rows sent as inserts for their upserts (as_insert):
    * each row that ran is counted as upserted, below */
   bool upsert_inserts = nsent > 0 && c->w[sent[0]].as_insert;
   if (!upsert_inserts && bson_iter_init_find (&it, reply, "nInserted")) {
      info->n_inserted += bson_iter_as_int64 (&it);
   }
   bql_id_map_t ids;
   bql_id_map_init (&ids, nsent);
   for (size_t k = 0; k < nsent; k++) {
      if (c->w[sent[k]].has_id && c->w[sent[k]].upsert) {
         bql_id_map_put (&ids, &c->w[sent[k]].id, sent[k]);
      }
   }
   if (bson_iter_init_find (&it, reply, "upserted") && BSON_ITER_HOLDS_ARRAY (&it) && bson_iter_recurse (&it, &ai)) {
      while (bson_iter_next (&ai)) {
         bson_iter_t ui;
         size_t at;
         if (BSON_ITER_HOLDS_DOCUMENT (&ai) && bson_iter_recurse (&ai, &ui) && bson_iter_find (&ui, "_id")) {
            const bson_value_t *id = bson_iter_value (&ui);
            bson_iter_t xi;
            int64_t index = bson_iter_recurse (&ai, &xi) && bson_iter_find (&xi, "index") ? bson_iter_as_int64 (&xi) : -1;
            row_write_t *by_index = index >= 0 && (size_t) index < nsent ? &c->w[sent[index]] : NULL;
            if (bql_id_map_get (&ids, id, &at) && c->w[at].state == RW_PENDING) {
               mark_upserted (c, &c->w[at]);
            } else if (by_index && by_index->state == RW_PENDING && by_index->upsert && !by_index->has_id) {
               /* a replacement without _id: the server made its _id, and
                * the reply's index names the statement (a command of one
                * statement on servers that number upserts otherwise) */
               bson_value_copy (id, &by_index->id);
               by_index->has_id = by_index->id_new = true;
               mark_upserted (c, by_index);
            } else {
               note_upserted (c->wr, 0, id);
            }
         }
      }
   }
   bql_id_map_cleanup (&ids);
   /* ordered: the statements after the first failing one did not run
    * (an insert refused as a duplicate key goes again as its upsert: the
    * statement goes on from it) */
   size_t ran = nsent;
   if (c->ordered) {
      for (size_t k = 0; k < nsent; k++) {
         rw_state_t st = c->w[sent[k]].state;
         if (st == RW_FAILED || st == RW_AS_UPSERT || st == RW_WRITTEN_BEFORE) {
            ran = k + 1;
            c->stop = st == RW_FAILED;
            break;
         }
      }
   }
   size_t *cand = bson_malloc (sizeof *cand * (nsent ? nsent : 1));
   size_t m = 0;
   for (size_t k = 0; k < ran; k++) {
      row_write_t *w = &c->w[sent[k]];
      if (w->state != RW_PENDING) {
         continue;
      }
      if (w->as_insert) {
         mark_upserted (c, w); /* the document its upsert would have created */
         info->n_upserted++;
      } else if (w->insert) {
         w->state = RW_INSERTED;
      } else if (w->upsert) {
         w->state = RW_MATCHED;
      } else {
         cand[m++] = sent[k];
      }
   }
   bool ok = true;
   int64_t unmatched = (int64_t) m - matched;
   if (unmatched <= 0) {
      for (size_t k = 0; k < m; k++) {
         c->w[cand[k]].state = RW_MATCHED;
      }
   } else if (unmatched >= (int64_t) m) {
      for (size_t k = 0; k < m; k++) {
         c->w[cand[k]].state = RW_UNMATCHED;
      }
   } else {
      ok = find_unmatched (c, cand, m);
   }
   bson_free (cand);
   for (size_t k = 0; k < nsent; k++) {
      row_write_t *w = &c->w[sent[k]];
      if (w->state == RW_WRITTEN_BEFORE && w->insert) {
         w->state = RW_INSERTED;
         info->n_inserted++;
      } else if (w->state == RW_WRITTEN_BEFORE) {
         mark_upserted (c, w);
         info->n_upserted++;
      }
      if (w->state == RW_AS_UPSERT) {
         /* as its upsert: whether its _id is stored now (by another
          * client, or by a lost attempt of this insert that the server
          * applied after all) or the duplicate is in another unique
          * index, as the upsert would have met it */
         w->state = RW_PENDING;
         w->as_insert = false;
         w->existed = id_stored (c, w);
      }
   }
   return ok;
}

/* One command of rows on the write path: the rows (indexes into c->w)
 * still to send, and those the last command sent. */
typedef struct {
   batch_t *c;
   size_t *set;
   size_t m;
   size_t *sent; /* in the order of the command */
   size_t nsent;
   bool lost;    /* settle_lost: a statement failed and the account of the
                    command is lost; its rows are still pending */
   bool partial; /* ... and the reply shows that libmongoc split the rows
                    into several commands (counts, or a failing statement
                    past the first) */
} rows_cmd_t;

static bool
rows_add (void *ctx, mongoc_bulk_operation_t *bulk, size_t *nops)
{
   rows_cmd_t *r = ctx;
   batch_t *c = r->c;
   r->nsent = 0;
   for (size_t k = 0; k < r->m; k++) {
      row_write_t *w = &c->w[r->set[k]];
      bson_error_t berr;
      bool added;
      if (w->insert || w->as_insert) {
         added = mongoc_bulk_operation_insert_with_opts (bulk, &w->u, NULL, &berr);
      } else {
         bson_t opts = BSON_INITIALIZER;
         if (w->upsert) {
            BSON_APPEND_BOOL (&opts, "upsert", true);
         }
         added = w->replace ? mongoc_bulk_operation_replace_one_with_opts (bulk, &w->q, &w->u, &opts, &berr)
                            : mongoc_bulk_operation_update_one_with_opts (bulk, &w->q, &w->u, &opts, &berr);
         bson_destroy (&opts);
      }
      if (added) {
         r->sent[r->nsent++] = r->set[k];
      } else {
         fail_row (c, w, (int32_t) berr.code, berr.message); /* refused by libmongoc's checks */
         if (c->ordered) {
            c->stop = true;
            break;
         }
      }
   }
   /* pending now: what was sent (a refused row is settled) */
   memcpy (r->set, r->sent, sizeof *r->set * r->nsent);
   r->m = r->nsent;
   *nops = r->nsent;
   return true;
}

/* Does the reply count any row (nMatched, nModified, nUpserted,
 * nInserted)? */
static bool
reply_counts_rows (const bson_t *reply)
{
   static const char *const counts[] = {"nMatched", "nModified", "nUpserted", "nInserted"};
   for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
      bson_iter_t it;
      if (bson_iter_init_find (&it, reply, counts[i]) && bson_iter_as_int64 (&it) > 0) {
         return true;
      }
   }
   return false;
}

static bool
rows_settle (void *ctx, const bql_write_result_t *res)
{
   rows_cmd_t *r = ctx;
   batch_t *c = r->c;
   for (size_t e = 0; e < res->wc_errors.n; e++) {
      bql_row_errors_append (c->errs, &res->wc_errors.items[e]);
   }
   if (c->settle_lost && r->nsent > 1 && res->write_errors.n > 0 && !c->w[r->sent[0]].as_insert) {
      /* no account of the rows: settle_lost_batch settles them (an
       * insert command keeps its account) */
      r->lost = true;
      r->partial = reply_counts_rows (&res->reply);
      for (size_t e = 0; e < res->write_errors.n; e++) {
         r->partial = r->partial || res->write_errors.items[e].index != 0;
      }
      return true;
   }
   for (size_t e = 0; e < res->write_errors.n; e++) {
      const bql_row_error_t *we = &res->write_errors.items[e];
      row_write_t *w = we->index < r->nsent ? &c->w[r->sent[we->index]] : NULL;
      if (w && we->code == 11000 && w->as_insert) {
         w->state = RW_AS_UPSERT; /* its _id is stored: as its upsert (account) */
      } else if (w && we->code == 11000 && w->id_new && (w->upsert || w->insert) && id_stored (c, w) == 1) {
         w->state = RW_WRITTEN_BEFORE; /* its own deterministic _id is stored (new_row_oid) */
      } else if (w) {
         fail_row (c, &c->w[r->sent[we->index]], we->code, we->errmsg);
      } else {
         bql_row_errors_add (c->errs, (size_t) -1, 0, we->code, we->errmsg);
      }
   }
   return account (c, r->sent, r->nsent, &res->reply);
}

/* The rows of a lost command (retryable error, no reply), after the
 * path's wait: ask the server what the lost attempt did (see the top of
 * this file), and keep pending the rows to send again. */
static bql_recover_rc_t
rows_recover (void *ctx, const bql_write_result_t *res)
{
   rows_cmd_t *r = ctx;
   batch_t *c = r->c;
   const bson_error_t *lost = &res->error;
   if (bql_write_not_sent (lost)) {
      return BQL_RECOVER_RESEND; /* it never reached the server: nothing was applied */
   }
   bool idempotent = bql_writer_idempotent (c->wr);
   bql_id_map_t found;
   if (!find_ids (c, r->set, r->m, has_known_id, &found)) {
      bql_id_map_cleanup (&found);
      return BQL_RECOVER_ASK_AGAIN; /* the server is still away */
   }
   size_t keep = 0;
   for (size_t k = 0; k < r->m; k++) {
      row_write_t *w = &c->w[r->set[k]];
      bool stored = w->has_id && has_known_id (w) && bql_id_map_get (&found, &w->id, NULL);
      /* an upsert on a given _id whose document was absent before the
       * batch, and not created by an earlier row of the batch */
      bool absent_before = w->existed == 0 && !bql_id_map_get (&c->upserted_ids, &w->id, NULL);
      if (w->insert && stored) {
         w->state = RW_INSERTED; /* its new _id is stored: the lost attempt inserted it */
         c->info->n_inserted++;
      } else if (w->insert) {
         r->set[keep++] = r->set[k];
      } else if (w->upsert && stored && (w->id_new || absent_before)) {
         mark_upserted (c, w); /* the lost attempt created its document */
         c->info->n_upserted++;
      } else if ((w->upsert && !stored && absent_before) || idempotent) {
         r->set[keep++] = r->set[k]; /* not applied, or safe to apply again */
      } else {
         /* sent, outcome unknown, not safe to apply twice: in doubt */
         char msg[700];
         snprintf (msg, sizeof msg,
                   "in doubt: %s (%s): this row may or may not have been written, and it was not sent again because "
                   "its update is not idempotent ($inc, $mul, $push or a pipeline)",
                   bql_write_lost_what (lost), lost->message);
         fail_row (c, w, BQL_CODE_IN_DOUBT, msg);
      }
   }
   bql_id_map_cleanup (&found);
   r->m = keep;
   return BQL_RECOVER_RESEND;
}

/* A command of several rows the server refused as a whole (a command
 * error, not write errors): statements before the failing one may have
 * been applied. When the statement's update is idempotent, each row is
 * sent again in a command of its own, so that every row ends up written
 * or reported with its own error; otherwise no row is sent twice: each
 * is reported as failed with an unknown outcome. */
static bool
resolve_refused_batch (batch_t *c, const size_t *sent, size_t nsent, const bson_error_t *refusal)
{
   if (!bql_writer_idempotent (c->wr)) {
      char msg[700];
      snprintf (msg, sizeof msg,
                "the server refused the whole batch (%s); this row may or may not have been written, and it was not "
                "sent again because its update is not idempotent ($inc, $mul, $push or a pipeline)",
                refusal->message);
      for (size_t k = 0; k < nsent; k++) {
         fail_row (c, &c->w[sent[k]], (int32_t) refusal->code, msg);
      }
      c->stop = c->ordered;
      return true;
   }
   for (size_t k = 0; k < nsent && !c->stop; k++) {
      size_t one = sent[k];
      if (!send_rows (c, &one, 1)) {
         return false;
      }
   }
   return true;
}

/* A command with no account that is not sent again: refused as a whole
 * (the server lacks pipeline updates, the connection is gone, or the
 * command was refused), or lost with its retries run out. */
static bool
rows_give_up (void *ctx, const bql_write_result_t *res, bql_give_up_t why, int retries)
{
   rows_cmd_t *r = ctx;
   batch_t *c = r->c;
   const bson_error_t *berr = &res->error;
   char msg[700];
   if (why != BQL_GIVE_UP_REFUSED) {
      /* every row still in doubt is reported, and the statement stops */
      char tries[64];
      snprintf (msg, sizeof msg, "%s%s: this row may or may not have been written (%s)",
                bql_write_gave_up_what (berr, why),
                bql_writer_retries_ran_out (c->wr, retries, tries, sizeof tries), berr->message);
      /* rows the lost command may have applied, of an update that is not
       * idempotent, are in doubt (a resume does not send them again).
       * When it certainly never reached the server they were not
       * written: an earlier attempt that may have reached it was
       * settled by rows_recover, which keeps pending only the rows it
       * did not apply. (The rows of an idempotent update stay pending
       * after such an attempt: their outcome is unknown.) */
      bool idempotent = bql_writer_idempotent (c->wr);
      bool not_sent = !idempotent && bql_write_not_sent (berr);
      bool doubt = !idempotent && !not_sent;
      if (not_sent) {
         snprintf (msg, sizeof msg, "not written: %s%s (%s)", bql_write_gave_up_what (berr, why),
                   bql_writer_retries_ran_out (c->wr, retries, tries, sizeof tries), berr->message);
      }
      for (size_t k = 0; k < r->m; k++) {
         fail_row (c, &c->w[r->set[k]], doubt ? BQL_CODE_IN_DOUBT : (int32_t) berr->code, msg);
      }
      r->m = 0;
      c->fatal = c->stop = true;
      return bql_writer_gave_up (c->wr, berr, why, c->info->batch_index, retries);
   }
   if (pipeline_refused (c, r->sent, r->nsent, berr)) {
      snprintf (msg, sizeof msg, "not written: the server does not support %s: %s", BQL_FEATURE_PIPELINE_UPDATES,
                berr->message);
      for (size_t k = 0; k < r->nsent; k++) {
         fail_row (c, &c->w[r->sent[k]], (int32_t) berr->code, msg);
      }
      c->fatal = c->stop = true;
      return bql_writer_fail (c->wr, BQL_ERR_SERVER, (int32_t) berr->code, "the server does not support %s: %s",
                              BQL_FEATURE_PIPELINE_UPDATES, berr->message);
   }
   if (bql_exec_is_connection_error (berr)) {
      snprintf (msg, sizeof msg, "not written: %s", berr->message);
      for (size_t k = 0; k < r->nsent; k++) {
         fail_row (c, &c->w[r->sent[k]], (int32_t) berr->code, msg);
      }
      c->fatal = c->stop = true;
      return bql_writer_connection_or_server_error (c->wr, berr, c->info->batch_index);
   }
   if (c->settle_lost && r->nsent > 1 && !c->w[r->sent[0]].as_insert) {
      /* refused on a server that loses the account: as a failed statement */
      r->lost = true;
      r->partial = reply_counts_rows (&res->reply);
      return true;
   }
   if (r->nsent > 1) {
      return resolve_refused_batch (c, r->sent, r->nsent, berr);
   }
   /* a command of one statement refused: nothing was applied */
   fail_row (c, &c->w[r->sent[0]], (int32_t) berr->code, berr->message);
   c->stop = c->ordered;
   return true;
}

/* Send the rows set[0..m) (indexes into c->w) through the write path
 * once: the reply, or a retry after a lost attempt, or the refusal of
 * the whole command. When its account is lost (settle_lost), *sent and
 * *nsent (bson_malloc'd, m at most) are the rows sent, still pending,
 * and *partial says whether libmongoc split them; otherwise *nsent is
 * 0. False when the statement must stop (recorded). */
static bool
send_once (batch_t *c, const size_t *set, size_t m, size_t **sent, size_t *nsent, bool *partial)
{
   bool pipeline = false;
   for (size_t k = 0; k < m && !pipeline; k++) {
      pipeline = c->w[set[k]].pipeline;
   }
   const char *why;
   const char *feature = pipeline ? bql_writer_lacks (c->wr, BQL_NEEDS_PIPELINE_UPDATES, &why) : NULL;
   if (feature) {
      /* the server lacks pipeline updates (its probe): the command is
       * not sent, and its rows fail as a refused command's would */
      char msg[400];
      snprintf (msg, sizeof msg, "not written: the server does not support %s: %s, so the update was not sent",
                feature, why);
      for (size_t k = 0; k < m; k++) {
         fail_row (c, &c->w[set[k]], 0, msg);
      }
      c->fatal = c->stop = true;
      *sent = NULL;
      *nsent = 0;
      *partial = false;
      return bql_writer_fail (c->wr, BQL_ERR_SERVER, 0, "the server does not support %s: %s, so the update was not sent",
                              feature, why);
   }
   rows_cmd_t r = {.c = c, .m = m};
   r.set = bson_malloc (sizeof *r.set * (m ? m : 1));
   r.sent = bson_malloc (sizeof *r.sent * (m ? m : 1));
   memcpy (r.set, set, sizeof *set * m);
   bql_write_step_t step = {.ctx = &r,
                            .coll = c->wr->coll,
                            .ordered = c->ordered,
                            .add = rows_add,
                            .settle = rows_settle,
                            .recover = rows_recover,
                            .give_up = rows_give_up};
   bool ok = bql_write_path_run (c->wr, &step, &c->attempts);
   bson_free (r.set);
   *nsent = r.lost ? r.nsent : 0;
   *partial = r.partial;
   *sent = r.sent;
   return ok && !c->fatal;
}

/* The rows sent[0..n) of a command whose account was lost: a statement
 * failed on a server that then replies writeErrors [{index: 0}] with no
 * counts, having applied the statements before the failing one and none
 * after it (caps.h), for a statement whose writes are idempotent (the
 * step's BQL_LOST_SETTLE_FAILED; its upserts on a given _id know
 * whether their document existed before the batch). Each row is settled
 * exactly:
 *  - the server is asked which of the rows' _ids are stored now
 *    (READ_STORED_IDS): an upsert whose new ObjectId, or whose given _id
 *    absent before the batch, is stored created its document (upserted),
 *    and an insert whose _id is stored was inserted; an upsert on a given
 *    _id absent before and after the batch, and an insert whose _id is
 *    not stored, did not run;
 *  - the rows before the last that created a document ran: an upsert
 *    among them matched (whether it modified its document is lost with
 *    the account: counted in nModifiedUnknown, not in nModified);
 *  - the other rows are sent again in order, one statement per command
 *    (each is idempotent), up to the first that fails, or up to the
 *    first known not to have run (one that matches without modifying
 *    may have been modified by the lost command: nModifiedUnknown); the
 *    rows after it did not run and go again as one command, settled the
 *    same way if it fails too.
 * When the reply shows that libmongoc split the rows into several
 * commands (partial), "none after the failing one" holds per command
 * only: no row is counted as run without being sent again. */
static bool
settle_lost_batch (batch_t *c, size_t *sent, size_t n, bool partial)
{
   bool ok = true;
   while (ok && n > 0) {
      size_t last_ran = n, first_unrun = n; /* n: none known */
      bool ask = bql_writer_has_step (c->wr, BQL_STEP_READ_STORED_IDS);
      bql_id_map_t found;
      if (!ask) {
         bql_id_map_init (&found, 0);
      } else if (!find_ids (c, sent, n, has_known_id, &found)) {
         bson_error_t berr;
         bson_set_error (&berr, MONGOC_ERROR_SERVER, 0, "the server failed the batch and then could not be asked "
                                                         "which of its rows it had written");
         for (size_t k = 0; k < n; k++) {
            fail_row (c, &c->w[sent[k]], 0,
                      "the server failed the batch, which loses its account on this server, and could not be asked "
                      "which rows it had written: this row may or may not have been written");
         }
         bql_id_map_cleanup (&found);
         c->fatal = c->stop = true;
         return bql_writer_connection_or_server_error (c->wr, &berr, c->info->batch_index);
      }
      for (size_t k = 0; k < n && ask; k++) {
         row_write_t *w = &c->w[sent[k]];
         if (w->state != RW_PENDING || !w->has_id || !has_known_id (w)) {
            continue;
         }
         bool stored = bql_id_map_get (&found, &w->id, NULL);
         bool absent_before = !w->id_new && w->existed == 0 && !bql_id_map_get (&c->upserted_ids, &w->id, NULL);
         if (!w->insert && !w->id_new && !absent_before) {
            continue; /* its document existed: it matched, if it ran */
         }
         if (stored && w->insert) {
            w->state = RW_INSERTED;
            c->info->n_inserted++;
            last_ran = k;
         } else if (stored) {
            mark_upserted (c, w);
            c->info->n_upserted++;
            last_ran = k;
         } else if (!w->id_new || w->insert) {
            first_unrun = first_unrun < k ? first_unrun : k;
         }
      }
      bql_id_map_cleanup (&found);
      if (last_ran < n && !partial && (first_unrun == n || first_unrun > last_ran)) {
         for (size_t k = 0; k < last_ran; k++) {
            row_write_t *w = &c->w[sent[k]];
            if (w->state == RW_PENDING && w->upsert) {
               w->state = RW_MATCHED; /* it ran and created nothing */
               c->info->n_matched++;
               c->wr->tally->n_modified_unknown++;
            }
         }
      }
      /* one by one, up to the first that fails (or that did not run) */
      size_t k = 0;
      while (ok && k < n && !c->stop) {
         size_t one = sent[k];
         bool stop_here = k >= first_unrun;
         k++;
         if (c->w[one].state != RW_PENDING) {
            continue;
         }
         size_t *none, nnone;
         bool part;
         int64_t modified = c->info->n_modified;
         ok = send_once (c, &one, 1, &none, &nnone, &part);
         bson_free (none);
         if (c->w[one].state == RW_MATCHED && c->info->n_modified == modified) {
            /* it may have run in the lost command: modified then or not */
            c->wr->tally->n_modified_unknown++;
         }
         if (c->w[one].state == RW_FAILED || stop_here) {
            break;
         }
      }
      /* the rows after it, as one command */
      size_t m = 0;
      for (; k < n; k++) {
         if (c->w[sent[k]].state == RW_PENDING) {
            sent[m++] = sent[k];
         }
      }
      if (!ok || c->stop || m == 0) {
         break;
      }
      size_t *again;
      ok = send_once (c, sent, m, &again, &n, &partial);
      memcpy (sent, again, sizeof *sent * n);
      bson_free (again);
   }
   return ok;
}

/* Send the rows set[0..m) through the write path and settle each (a lost
 * account with settle_lost_batch). False when the statement must stop
 * (recorded). */
static bool
send_set (batch_t *c, const size_t *set, size_t m)
{
   size_t *sent, nsent;
   bool partial;
   bool ok = send_once (c, set, m, &sent, &nsent, &partial);
   if (ok && nsent > 0) {
      ok = settle_lost_batch (c, sent, nsent, partial);
   }
   bson_free (sent);
   return ok && !c->fatal;
}

/* Ordered: the pending rows of set[0..m) that would go as inserts but
 * stand in a run of fewer than BQL_INSERT_RUN_MIN such rows (consecutive
 * among the pending rows, in row order) go as their upserts instead, in
 * the upsert command around them: a batch of n rows then goes as at most
 * 2 * ceil(n / BQL_INSERT_RUN_MIN) + 1 commands, not one per row (as
 * it would when stored and new rows alternate), plus two for each insert
 * refused as a duplicate key (its upsert, then the rest of its run). */
static void
keep_long_insert_runs (batch_t *c, const size_t *set, size_t m)
{
   size_t k = 0;
   while (k < m) {
      if (c->w[set[k]].state != RW_PENDING || !c->w[set[k]].as_insert) {
         k++;
         continue;
      }
      size_t end = k;
      while (end < m && c->w[set[end]].state == RW_PENDING && c->w[set[end]].as_insert) {
         end++;
      }
      if (end - k < BQL_INSERT_RUN_MIN) {
         for (size_t j = k; j < end; j++) {
            c->w[set[j]].as_insert = false;
         }
      }
      k = end;
   }
}

/* Send the rows set[0..m) (in row order), the rows that go as inserts
 * (as_insert, the INSERT_NEW_IDS step) apart from the others: ordered,
 * as consecutive runs of one kind in row order (an upsert run, an insert
 * run of at least BQL_INSERT_RUN_MIN rows, an upsert run, ...), so that
 * the rows after a failed one are not sent; unordered, the inserts as
 * one command, then the others as one. A row whose insert was refused as
 * a duplicate key is pending again as its upsert (account) and goes in
 * the next run: ordered, before the rows after it; unordered, with the
 * other upserts, after the inserts (a row naming the _id of an earlier
 * row of the batch is never an insert). As send_set. */
static bool
send_rows (batch_t *c, const size_t *set, size_t m)
{
   size_t *run = bson_malloc (sizeof *run * (m ? m : 1));
   bool ok = true;
   while (ok && !c->stop) {
      if (c->ordered && m > 1) {
         keep_long_insert_runs (c, set, m); /* (a row alone is a command anyway) */
      }
      /* ordered: the kind of the first pending row; unordered: inserts
       * while any is pending */
      bool inserts = false;
      for (size_t k = 0; k < m; k++) {
         const row_write_t *w = &c->w[set[k]];
         if (w->state == RW_PENDING && (w->as_insert || c->ordered)) {
            inserts = w->as_insert;
            break;
         }
      }
      size_t n = 0;
      for (size_t k = 0; k < m; k++) {
         const row_write_t *w = &c->w[set[k]];
         if (w->state == RW_FAILED && c->ordered) {
            break; /* ordered: no row after a failed one is sent (one that
                      libmongoc refused while the command before was built
                      may follow rows that command did not run) */
         }
         if (w->state != RW_PENDING) {
            continue;
         }
         if (w->as_insert != inserts) {
            if (c->ordered) {
               break; /* the end of the run */
            }
            continue;
         }
         run[n++] = set[k];
      }
      if (n == 0) {
         break;
      }
      ok = send_set (c, run, n);
      /* every row of the run is settled, or pending as its upsert, or
       * (ordered) not sent after such a one: a row of the run still
       * pending as an insert before it would be a run sent for nothing */
      if (ok && c->w[run[0]].state == RW_PENDING && c->w[run[0]].as_insert == inserts) {
         break;
      }
   }
   bson_free (run);
   return ok && !c->fatal;
}

/* Can a failed batch of these rows be settled (settle_lost_batch)? Not
 * when an upsert on a given _id does not know whether its document
 * existed before the batch (the read failed), nor with a replacement
 * without _id (the server makes its _id, and a reply that numbers
 * upserts among upserts ties it to its row only in a command of one
 * statement). */
static bool
lost_batch_settleable (const batch_t *c)
{
   for (size_t k = 0; k < c->n; k++) {
      const row_write_t *w = &c->w[k];
      if (w->state == RW_PENDING && w->upsert && (!w->has_id || (!w->id_new && w->existed < 0))) {
         return false;
      }
   }
   return true;
}

bool
bql_exec_update_rows (bql_writer_t *wr, const bql_batch_t *b, const size_t *pos, size_t npos, bool ordered,
                      const char *const *dup_msgs, bql_batch_info_t *info, bql_row_errors_t *errs)
{
   batch_t c;
   memset (&c, 0, sizeof c);
   c.wr = wr;
   c.b = b;
   c.ordered = ordered;
   c.follow_up = dup_msgs != NULL;
   c.dup_msgs = dup_msgs;
   c.info = info;
   c.errs = errs;
   bql_id_map_init (&c.upserted_ids, npos);
   build_writes (&c, pos, npos);

   bool per_row_match = bql_writer_has_step (wr, BQL_STEP_UPDATE_ROWS) || c.follow_up;
   /* on a server whose reply loses the account of a command with a
    * failing statement: batches settled row by row when one fails, or
    * one command per row (the step says which; see the top of this file) */
   const bql_step_t *st = bql_steps_find (&wr->plan->steps, c.follow_up ? BQL_STEP_DUPLICATE_KEY_UPDATE
                                                            : bql_writer_has_step (wr, BQL_STEP_UPSERT_ROWS)
                                                               ? BQL_STEP_UPSERT_ROWS
                                                               : BQL_STEP_UPDATE_ROWS);
   bool lossy = !bql_caps_update_keeps_counts (&wr->caps, wr->client);
   c.settle_lost = lossy && st && st->if_counts_lost == BQL_LOST_SETTLE_FAILED;
   check_existing (&c);
   /* which rows matched nothing is found after a batch only when no
    * update writes a field a filter reads (find_unmatched) */
   bool one_by_one = (lossy && !(c.settle_lost && lost_batch_settleable (&c))) ||
                     (per_row_match && st && st->one_per_command);
   size_t *set = bson_malloc (sizeof *set * (c.n ? c.n : 1));
   size_t m = 0;
   bool ok = true;
   if (one_by_one) {
      for (size_t k = 0; k < c.n && ok && !c.stop; k++) {
         if (c.w[k].state == RW_PENDING) {
            set[0] = k;
            ok = send_rows (&c, set, 1);
         }
      }
   } else {
      bool stopped = false;
      for (size_t k = 0; k < c.n; k++) {
         if (c.w[k].state == RW_FAILED && ordered) {
            stopped = true;
         }
         if (c.w[k].state == RW_PENDING && !stopped) {
            set[m++] = k;
         }
      }
      ok = send_rows (&c, set, m);
   }
   bson_free (set);
   record_outcomes (&c);

   /* the rows that matched nothing */
   for (size_t k = 0; k < c.n; k++) {
      row_write_t *w = &c.w[k];
      if (w->state != RW_UNMATCHED) {
         continue;
      }
      if (c.follow_up) {
         char msg[900];
         snprintf (msg, sizeof msg,
                   "not written: the row was refused as a duplicate key (%s) but no document matches its key "
                   "columns, so another unique index refused it",
                   dup_msgs && dup_msgs[k] ? dup_msgs[k] : "E11000");
         fail_row (&c, w, 11000, msg);
      } else {
         wr->tally->n_unmatched++;
         bql_writer_note_unmatched (wr, b->rows[w->pos]);
      }
   }
   writes_cleanup (&c);
   return ok;
}

bool
bql_exec_write_rows (bql_writer_t *w, const bql_batch_t *b, bql_batch_info_t *info, bql_row_errors_t *errs)
{
   size_t *pos = bson_malloc (sizeof *pos * (b->n ? b->n : 1));
   for (size_t i = 0; i < b->n; i++) {
      pos[i] = i;
   }
   bool ok = bql_exec_update_rows (w, b, pos, b->n, w->opts->ordered, NULL, info, errs);
   bson_free (pos);
   return ok;
}
