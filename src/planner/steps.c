/*
 * steps.c — the one place that knows how a statement runs: it turns a
 * plan into its ordered steps (steps.h), each with the command template it
 * sends and the flow that feeds it. The executor (steps_run.c) interprets
 * these steps and EXPLAIN (explain.c) prints them, so the two cannot
 * disagree. For VALUES rows, bql_steps_expand_values() gives the exact
 * command of each batch, cut as the executor cuts them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "planner.h"
#include "steps.h"

/* ---- the list ---- */

static bql_step_t *
push (bql_steps_t *s, bql_step_kind_t kind, bql_step_flow_t flow, const char *what, const bson_t *command)
{
   if (s->n == s->cap) {
      /* a bson_t that has grown points into itself: moved with the
       * array (realloc), it would point into the old one. Copied. */
      size_t cap = s->cap ? s->cap * 2 : 16;
      bql_step_t *items = bson_malloc (sizeof *items * cap);
      for (size_t i = 0; i < s->n; i++) {
         items[i] = s->items[i];
         bson_copy_to (&s->items[i].command, &items[i].command);
         bson_destroy (&s->items[i].command);
      }
      bson_free (s->items);
      s->items = items;
      s->cap = cap;
   }
   bql_step_t *st = &s->items[s->n++];
   memset (st, 0, sizeof *st);
   st->kind = kind;
   st->flow = flow;
   st->what = bson_strdup (what);
   bson_init (&st->command);
   if (command) {
      bson_concat (&st->command, command);
   }
   return st;
}

/* Does any element of the array at key of cmd hold field (at its top
 * level)? With is_array, only when that field is an array. */
static bool
any_element_has (const bson_t *cmd, const char *key, const char *field, bool is_array)
{
   bson_iter_t it, ai, ei;
   if (!bson_iter_init_find (&it, cmd, key) || !BSON_ITER_HOLDS_ARRAY (&it) || !bson_iter_recurse (&it, &ai)) {
      return false;
   }
   while (bson_iter_next (&ai)) {
      if (BSON_ITER_HOLDS_DOCUMENT (&ai) && bson_iter_recurse (&ai, &ei) && bson_iter_find (&ei, field) &&
          (!is_array || BSON_ITER_HOLDS_ARRAY (&ei))) {
         return true;
      }
   }
   return false;
}

unsigned
bql_step_needs (const bql_step_t *st)
{
   bson_iter_t it;
   if (!bson_iter_init (&it, &st->command) || !bson_iter_next (&it)) {
      return 0;
   }
   const char *name = bson_iter_key (&it);
   unsigned needs = 0;
   if (!strcmp (name, "update") && any_element_has (&st->command, "updates", "u", true)) {
      needs |= BQL_NEEDS_PIPELINE_UPDATES;
   } else if (!strcmp (name, "createIndexes") && any_element_has (&st->command, "indexes", "expireAfterSeconds", false)) {
      needs |= BQL_NEEDS_TTL;
   } else if (!strcmp (name, "aggregate") && any_element_has (&st->command, "pipeline", "$merge", false)) {
      needs |= BQL_NEEDS_MERGE;
   }
   if (!strcmp (name, "aggregate") || (needs & BQL_NEEDS_PIPELINE_UPDATES)) {
      /* operators of the pipeline's expressions */
      bson_iter_t p;
      bson_t sub;
      const char *key = !strcmp (name, "aggregate") ? "pipeline" : "updates";
      if (bson_iter_init_find (&p, &st->command, key) && bql_iter_sub (&p, &sub)) {
         needs |= bql_doc_has_key (&sub, "$dateTrunc") ? BQL_NEEDS_DATE_TRUNC : 0;
         needs |= bql_doc_has_key (&sub, "$dateToParts") ? BQL_NEEDS_DATE_PARTS : 0;
      }
   }
   return needs;
}

static void
copy_step (bql_steps_t *s, const bql_step_t *from)
{
   bql_step_t *st = push (s, from->kind, from->flow, from->what, &from->command);
   st->first_row = from->first_row;
   st->last_row = from->last_row;
   st->ordered = from->ordered;
   st->one_per_command = from->one_per_command;
   st->if_counts_lost = from->if_counts_lost;
   st->if_lost_note = from->if_lost_note;
   st->if_id_lookup_scans = from->if_id_lookup_scans;
   st->if_scans_note = from->if_scans_note;
   st->if_server_has_merge = from->if_server_has_merge;
   st->if_date_trunc = from->if_date_trunc;
}

void
bql_steps_cleanup (bql_steps_t *steps)
{
   if (!steps) {
      return;
   }
   for (size_t i = 0; i < steps->n; i++) {
      bson_free (steps->items[i].what);
      bson_destroy (&steps->items[i].command);
   }
   bson_free (steps->items);
   memset (steps, 0, sizeof *steps);
}

const char *
bql_step_kind_name (bql_step_kind_t kind)
{
   static const char *const names[] = {"drop",          "count",         "count guard",   "count rows guard",
                                       "ensure index",  "scan ids",      "match rows",    "archive batch", "archive replace",
                                       "delete batch",  "update batch",  "insert rows",   "read all ids", "read existing ids",
                                       "insert new ids", "upsert rows",   "read stored ids",
                                       "update rows",   "duplicate-key follow-up",        "write error record",
                                       "write metrics", "aggregate",   "merge", "open operation", "mark in flight",
                                       "checkpoint", "check operation", "heartbeat", "finish operation"};
   return (size_t) kind < sizeof names / sizeof names[0] ? names[kind] : "?";
}

const bql_step_t *
bql_steps_find (const bql_steps_t *steps, bql_step_kind_t k)
{
   for (size_t i = 0; i < steps->n; i++) {
      if (steps->items[i].kind == k) {
         return &steps->items[i];
      }
   }
   return NULL;
}

static void
fill_into (bson_t *out, const bson_t *in, bql_step_fill_fn fill, void *ctx, bool array)
{
   bson_iter_t it;
   uint32_t i = 0;
   bson_iter_init (&it, in);
   while (bson_iter_next (&it)) {
      char kb[16];
      const char *key = bson_iter_key (&it);
      if (array) {
         bson_uint32_to_string (i, &key, kb, sizeof kb);
      }
      i++;
      bson_t sub, child;
      if (BSON_ITER_HOLDS_UTF8 (&it) && bson_iter_utf8 (&it, NULL)[0] == '<' &&
          fill (ctx, bson_iter_utf8 (&it, NULL), out, key)) {
         continue;
      }
      if ((BSON_ITER_HOLDS_DOCUMENT (&it) || BSON_ITER_HOLDS_ARRAY (&it)) && bql_iter_sub (&it, &sub)) {
         bool is_array = BSON_ITER_HOLDS_ARRAY (&it);
         if (is_array) {
            bson_append_array_begin (out, key, -1, &child);
         } else {
            bson_append_document_begin (out, key, -1, &child);
         }
         fill_into (&child, &sub, fill, ctx, is_array);
         if (is_array) {
            bson_append_array_end (out, &child);
         } else {
            bson_append_document_end (out, &child);
         }
      } else {
         bson_append_iter (out, key, -1, &it);
      }
   }
}

void
bql_step_fill (const bson_t *template_doc, bql_step_fill_fn fill, void *ctx, bson_t *out)
{
   bson_init (out);
   fill_into (out, template_doc, fill, ctx, false);
}

/* bql_step_instantiate's fill: the one placeholder, by value */
typedef struct {
   const char *placeholder;
   const bson_value_t *value;
} instantiate_ctx_t;

static bool
instantiate_one (void *ctx, const char *placeholder, bson_t *dst, const char *key)
{
   const instantiate_ctx_t *c = ctx;
   return !strcmp (placeholder, c->placeholder) && bson_append_value (dst, key, -1, c->value);
}

void
bql_step_instantiate (const bson_t *template_doc, const char *placeholder, const bson_value_t *value, bson_t *out)
{
   instantiate_ctx_t c = {placeholder, value};
   bql_step_fill (template_doc, instantiate_one, &c, out);
}

bool
bql_step_sub (const bql_step_t *step, const char *path, bson_t *out)
{
   bson_iter_t it, d;
   return bson_iter_init (&it, &step->command) && bson_iter_find_descendant (&it, path, &d) && bql_iter_sub (&d, out);
}

/* ---- command templates ---- */

static void mark_in_flight_step (const bql_plan_t *plan, bql_steps_t *s, bql_step_flow_t flow);

void
bql_plan_write_options (const bql_plan_t *plan, bool ordered, bson_t *cmd)
{
   /* in the order libmongoc sends them: ordered, bypassDocumentValidation,
    * writeConcern {w, j, wtimeout} (mongoc_write_concern_t's order) */
   BSON_APPEND_BOOL (cmd, "ordered", ordered);
   if (plan->opts.bypass_validation) {
      BSON_APPEND_BOOL (cmd, "bypassDocumentValidation", true);
   }
   if (!bson_empty (&plan->opts.write_concern)) {
      static const char *const order[] = {"w", "j", "wtimeout"};
      bson_t wc;
      bson_iter_t it;
      bson_append_document_begin (cmd, "writeConcern", -1, &wc);
      for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
         if (bson_iter_init_find (&it, &plan->opts.write_concern, order[i])) {
            bson_append_iter (&wc, NULL, 0, &it);
         }
      }
      bson_append_document_end (cmd, &wc);
   }
}

static int32_t
batch_size (const bql_plan_t *plan)
{
   return bql_options_batch (&plan->opts);
}

/* one update statement {q, u, upsert, multi} appended to the array ups at
 * index i */
static void
append_update (bson_t *ups, uint32_t i, const bson_t *q, const bson_t *u, bool pipe, bool upsert, bool multi)
{
   char kb[16];
   const char *k;
   bson_t one;
   bson_uint32_to_string (i, &k, kb, sizeof kb);
   bson_append_document_begin (ups, k, -1, &one);
   BSON_APPEND_DOCUMENT (&one, "q", q);
   if (pipe) {
      BSON_APPEND_ARRAY (&one, "u", u);
   } else {
      BSON_APPEND_DOCUMENT (&one, "u", u);
   }
   BSON_APPEND_BOOL (&one, "upsert", upsert);
   BSON_APPEND_BOOL (&one, "multi", multi);
   bson_append_document_end (ups, &one);
}

/* {$and: [{_id: {$in: ids}}, filter]} */
static void
ids_and (bson_t *q, const char *ids, const bson_t *filter)
{
   bson_t and, a0, a1, in;
   bson_append_array_begin (q, "$and", -1, &and);
   bson_append_document_begin (&and, "0", -1, &a0);
   bson_append_document_begin (&a0, "_id", -1, &in);
   BSON_APPEND_UTF8 (&in, "$in", ids);
   bson_append_document_end (&a0, &in);
   bson_append_document_end (&and, &a0);
   bson_append_document_begin (&and, "1", -1, &a1);
   bson_concat (&a1, filter);
   bson_append_document_end (&and, &a1);
   bson_append_array_end (q, &and);
}

/* How a per-row write runs on a server whose update command loses its
 * counts when a statement fails (steps.h), and what EXPLAIN says of it. */
static bql_if_counts_lost_t
row_write_if_lost (const bql_plan_t *plan, bool upsert, const char **note)
{
   if (!bql_plan_idempotent (plan)) {
      *note = "on a server whose update command loses its counts when a statement fails: one statement per command "
              "(the update is not idempotent, so a failed batch could not be sent again to learn which rows it "
              "applied)";
      return BQL_LOST_ONE_PER_COMMAND;
   }
   if (upsert && plan->replace) {
      bson_t q = BSON_INITIALIZER, u = BSON_INITIALIZER;
      bson_value_t id;
      bool pipe, is_new;
      bql_error_t scratch;
      bool known = bql_plan_row_write (plan, NULL, &q, &u, &pipe, &scratch) &&
                   bql_plan_upsert_id (&q, &u, true, &id, &is_new);
      if (known) {
         bson_value_destroy (&id);
      }
      bson_destroy (&q);
      bson_destroy (&u);
      if (!known) {
         *note = "on a server whose update command loses its counts when a statement fails: one statement per "
                 "command (a replacement without _id gets its _id from the server, which such a server's reply "
                 "ties to the statement only in a command of one statement)";
         return BQL_LOST_ONE_PER_COMMAND;
      }
   }
   *note = upsert && plan->replace
              ? "on a server whose update command loses its counts when a statement fails: the batch as one "
                "command; a batch with a failed statement is settled by the step that reads which _ids are "
                "stored, then its rows whose outcome is still unknown are sent again one statement per "
                "command up to the first that fails, and the rows after that one as one command (a batch "
                "holding a replacement without _id goes one statement per command)"
           : upsert ? "on a server whose update command loses its counts when a statement fails: the batch as one "
                    "command; a batch with a failed statement is settled by the step that reads which _ids are "
                    "stored, then its rows whose outcome is still unknown are sent again one statement per "
                    "command up to the first that fails, and the rows after that one as one command"
                  : "on a server whose update command loses its counts when a statement fails: the batch as one "
                    "command; after a failed statement its rows are sent again one statement per command up to "
                    "the first that fails, and the rows after that one as one command";
   return BQL_LOST_SETTLE_FAILED;
}

/* The per-row write of rows read at run time: one update statement with
 * "<row.col>" placeholders. An error still leaves the step (empty). */
static bool
row_write_step (const bql_plan_t *plan, bql_steps_t *s, bql_step_kind_t kind, bql_step_flow_t flow, const char *what,
                bool upsert, bool ordered, bql_error_t *error)
{
   bson_t q = BSON_INITIALIZER, u = BSON_INITIALIZER, cmd = BSON_INITIALIZER, ups;
   bool pipe;
   bool ok = bql_plan_row_write (plan, NULL, &q, &u, &pipe, error);
   if (ok) {
      BSON_APPEND_UTF8 (&cmd, "update", plan->collection);
      bql_plan_write_options (plan, ordered, &cmd);
      bson_append_array_begin (&cmd, "updates", -1, &ups);
      append_update (&ups, 0, &q, &u, pipe, upsert, false);
      BSON_APPEND_UTF8 (&ups, "1", plan->replace ? "<one replacement per row>" : "<one statement per row>");
      bson_append_array_end (&cmd, &ups);
   }
   bql_step_t *st = push (s, kind, flow, what, &cmd);
   st->ordered = ordered;
   st->one_per_command = ok && !upsert && bql_plan_update_reads_filter (plan, &q);
   st->if_counts_lost = row_write_if_lost (plan, upsert, &st->if_lost_note);
   bson_destroy (&cmd);
   bson_destroy (&q);
   bson_destroy (&u);
   return ok;
}

/* find {_id: {$in: <_ids the batch's rows name>}}, projection {_id: 1} */
static bql_step_t *
ids_find_step (const bql_plan_t *plan, bql_steps_t *s, bql_step_kind_t kind, bql_step_flow_t flow, const char *what)
{
   bson_t cmd = BSON_INITIALIZER, f, in, proj;
   BSON_APPEND_UTF8 (&cmd, "find", plan->collection);
   bson_append_document_begin (&cmd, "filter", -1, &f);
   bson_append_document_begin (&f, "_id", -1, &in);
   BSON_APPEND_UTF8 (&in, "$in", BQL_PH_UPSERT_IDS);
   bson_append_document_end (&f, &in);
   bson_append_document_end (&cmd, &f);
   bson_append_document_begin (&cmd, "projection", -1, &proj);
   BSON_APPEND_INT32 (&proj, "_id", 1);
   bson_append_document_end (&cmd, &proj);
   bql_step_t *st = push (s, kind, flow, what, &cmd);
   bson_destroy (&cmd);
   return st;
}

/* Before a batch of upserts: which of the _ids its rows name exist
 * already, so that after a lost command the server can be asked what the
 * command did (write_rows.c). When a lost command may be retried
 * (retry_attempts > 0), and on a server whose update command loses its
 * counts when a statement fails, for a batch with a failed statement to
 * be settled (an upsert on a given _id whose document is stored after
 * it created it only if it did not exist before); run only for the
 * batch's rows that name an _id. */
static bool
needs_existing_ids (const bql_plan_t *plan)
{
   const char *note;
   bool settle = row_write_if_lost (plan, true, &note) == BQL_LOST_SETTLE_FAILED;
   return !plan->opts.dry_run && (plan->opts.retry_attempts > 0 || settle);
}

static void
existing_ids_step (const bql_plan_t *plan, bql_steps_t *s)
{
   if (!needs_existing_ids (plan)) {
      return;
   }
   bool retry = plan->opts.retry_attempts > 0;
   bql_step_t *st = ids_find_step (plan, s, BQL_STEP_READ_EXISTING_IDS, BQL_FLOW_EACH_ROW_BATCH,
                                   retry ? "read which _ids named by the batch's rows exist (retry_attempts > 0: a "
                                           "lost command is then checked against them)"
                                         : "read which _ids named by the batch's rows exist (a batch with a failed "
                                           "statement is then checked against them)");
   if (!retry) {
      st->if_counts_lost = BQL_LOST_ONLY;
      st->if_lost_note = "only on a server whose update command loses its counts when a statement fails";
   }
   st->if_id_lookup_scans = BQL_SCANS_UNKNOWN_IDS;
   st->if_scans_note = "on a server whose _id $in lookup reads the whole collection: only for the rows whose _id "
                       "the statement's record of stored _ids cannot answer (named by an earlier row whose outcome "
                       "is unknown), and for every row once that record is given up (over its share of "
                       "memory_limit); none for an _id named by a row of a batch still in flight (parallel_workers): "
                       "it counts as unknown";
}

/* Before the first batch of upserts whose rows name an _id, on a server
 * whose _id $in lookup reads the whole collection (so that a read per
 * batch costs a scan per batch): every stored _id, once, for the
 * statement's record of stored _ids, which its own writes then keep up
 * to date (write_rows.c runs it, so after the drop of drop = true). */
static void
all_ids_step (const bql_plan_t *plan, bql_steps_t *s)
{
   if (!needs_existing_ids (plan)) {
      return;
   }
   bson_t cmd = BSON_INITIALIZER, f, proj;
   BSON_APPEND_UTF8 (&cmd, "find", plan->collection);
   bson_append_document_begin (&cmd, "filter", -1, &f);
   bson_append_document_end (&cmd, &f);
   bson_append_document_begin (&cmd, "projection", -1, &proj);
   BSON_APPEND_INT32 (&proj, "_id", 1);
   bson_append_document_end (&cmd, &proj);
   bql_step_t *st = push (s, BQL_STEP_READ_ALL_IDS, BQL_FLOW_ONCE,
                          "read every stored _id once, before the first batch whose rows name an _id is sent, into "
                          "the statement's record of stored _ids, which its own writes keep up to date: the batches' "
                          "rows are checked against it instead of a read per batch",
                          &cmd);
   st->if_id_lookup_scans = BQL_SCANS_ONLY;
   st->if_scans_note = "only on a server whose _id $in lookup reads the whole collection (one such read per statement "
                       "instead of one per batch); when more _ids are stored than a quarter of memory_limit holds "
                       "(192 bytes each), the read stops there and every batch reads its own";
   bson_destroy (&cmd);
}

/* ON CONFLICT (_id) DO REPLACE (the key is _id alone), after the
 * READ_ALL_IDS step: on a server whose _id $in lookup reads the whole
 * collection, each upsert statement costs such a read as well, and an
 * insert does not. A row whose _id the statement's record of stored _ids
 * does not hold creates its document, and the document a replacement
 * upsert creates is the replacement itself, _id included (placed first,
 * as an insert places it): so such a row goes as an insert of its
 * document (write_rows.c), and one refused as a duplicate key (11000:
 * another client created the _id meanwhile, or a lost attempt of the
 * same insert was applied) goes again as its upsert. Only for DO
 * REPLACE: an update's operators ($set, $setOnInsert: DO UPDATE SET, DO
 * NOTHING, upsert_mode) build the new document from the filter's _id
 * and then their fields in lexicographic order (MongoDB 5.0 on), not in
 * the row's order, so an insert of the row would store another document.
 * A row whose _id is named by an earlier row of the batch, whose outcome
 * is unknown, or that a batch in flight names goes as its upsert. */
_Static_assert (BQL_INSERT_RUN_MIN == 16, "the INSERT_NEW_IDS step's text says 16");

static void
insert_new_ids_step (const bql_plan_t *plan, bql_steps_t *s, bool ordered)
{
   bool on_id = !plan->keys || (plan->keys->length == 1 &&
                                !strcmp (bql_cast (ColumnRef, plan->keys->items[0])->path, "_id"));
   if (!plan->replace || !on_id || !bql_steps_find (s, BQL_STEP_READ_ALL_IDS)) {
      return;
   }
   bson_t cmd = BSON_INITIALIZER;
   BSON_APPEND_UTF8 (&cmd, "insert", plan->collection);
   bql_plan_write_options (plan, ordered, &cmd);
   BSON_APPEND_UTF8 (&cmd, "documents", "<the batch's rows whose _id the statement's record of stored _ids does not "
                                        "hold: each row's document, as its replacement>");
   bql_step_t *st = push (s, BQL_STEP_INSERT_NEW_IDS, BQL_FLOW_EACH_ROW_BATCH,
                          ordered ? "insert each row whose _id is not stored (the document its upsert would create "
                                    "is the row), in row order between the upsert commands of the step after it, as "
                                    "runs of at least 16 consecutive such rows: a shorter "
                                    "run goes as upserts in the upsert command around it, so that a batch of n rows "
                                    "goes as at most 2 * ceil(n / 16) + 1 commands, not one per row; a row refused "
                                    "as a duplicate key (11000) goes as its upsert (a command of its own when "
                                    "ordered, two more commands for the batch), once a "
                                    "find of {_id: {$eq: <its _id>}} has read whether that _id is stored now"
                                  : "insert each row whose _id is not stored (the document its upsert would create "
                                    "is the row), as one command before the upserts of the step after it; a row "
                                    "refused as a duplicate key (11000) goes as its upsert, once a find of {_id: "
                                    "{$eq: <its _id>}} has read whether that _id is stored now",
                          &cmd);
   st->ordered = ordered;
   st->if_id_lookup_scans = BQL_SCANS_ONLY;
   st->if_scans_note = "only on a server whose _id $in lookup reads the whole collection (where an upsert "
                       "statement reads it too, and an insert does not), for the rows the statement's record of "
                       "stored _ids does not hold; a row whose _id an earlier row of the batch names, whose "
                       "outcome is unknown, or that a batch in flight names (parallel_workers) goes as its "
                       "upsert, as does every row once the record is given up";
   bson_destroy (&cmd);
}

/* After a batch of upserts with a failed statement, on a server whose
 * update command then loses its counts: which of the _ids the batch's
 * rows name are stored now (write_rows.c settles the batch with them). */
static void
stored_ids_step (const bql_plan_t *plan, bql_steps_t *s)
{
   const bql_step_t *w = &s->items[s->n - 1];
   if (plan->opts.dry_run || w->if_counts_lost != BQL_LOST_SETTLE_FAILED) {
      return;
   }
   bql_step_t *st = ids_find_step (plan, s, BQL_STEP_READ_STORED_IDS, BQL_FLOW_FAILED_BATCH,
                                   "for every batch with failed rows, on a server whose update command then loses "
                                   "its counts: read which _ids named by the batch's rows are stored");
   st->if_counts_lost = BQL_LOST_ONLY;
   st->if_lost_note = "only on a server whose update command loses its counts when a statement fails";
}

/* the insert of rows read at run time */
static void
insert_step (const bql_plan_t *plan, bql_steps_t *s, bool ordered)
{
   bson_t cmd = BSON_INITIALIZER;
   BSON_APPEND_UTF8 (&cmd, "insert", plan->collection);
   bql_plan_write_options (plan, ordered, &cmd);
   char *docs = bson_strdup_printf (plan->select ? "<up to %d rows of the cursor per command>"
                                                 : "<up to %d rows of the file per command>",
                                    (int) batch_size (plan));
   BSON_APPEND_UTF8 (&cmd, "documents", docs);
   bson_free (docs);
   bql_step_t *st = push (s, BQL_STEP_INSERT_ROWS, BQL_FLOW_EACH_ROW_BATCH, "insert (repeated until the input ends)", &cmd);
   st->ordered = ordered;
   bson_destroy (&cmd);
}

/* INSERT/UPSERT ... SELECT: the aggregate whose cursor gives the rows
 * (select.c made the pipeline), batch_size documents per reply; it runs
 * on the source's database ($db). otherwise: after a MERGE step the
 * server may choose. date: 0 for a pipeline without $dateTrunc; 1 the
 * pipeline with $dateTrunc, -1 the same from $dateToParts (a pair: the
 * server's $dateTrunc chooses). */
static void
aggregate_step (const bql_plan_t *plan, bql_steps_t *s, bool otherwise, int date)
{
   static const char *const what[2][3] = {
      {"otherwise (the server has no $dateTrunc, probed when the statement runs): the same pipeline with DATE and "
       "DATE_TRUNC lowered to $dateToParts and $dateFromParts",
       "run the SELECT's pipeline; the documents of its cursor are the rows of the steps below, numbered by their "
       "position in the cursor",
       "when the server has $dateTrunc (probed when the statement runs): run the SELECT's pipeline; the documents of "
       "its cursor are the rows of the steps below, numbered by their position in the cursor"},
      {"otherwise (the server has neither $merge nor $dateTrunc): the same pipeline with DATE and DATE_TRUNC lowered "
       "to $dateToParts and $dateFromParts",
       "otherwise (the server has no $merge): run the SELECT's pipeline; the documents of its cursor are the rows of "
       "the steps below, numbered by their position in the cursor",
       "otherwise (the server has no $merge), when it has $dateTrunc: run the SELECT's pipeline; the documents of its "
       "cursor are the rows of the steps below, numbered by their position in the cursor"}};
   bson_t cmd = BSON_INITIALIZER, cursor;
   BSON_APPEND_UTF8 (&cmd, "aggregate", plan->select_collection);
   BSON_APPEND_ARRAY (&cmd, "pipeline", date < 0 ? &plan->select_pipeline_parts : &plan->select_pipeline);
   bson_append_document_begin (&cmd, "cursor", -1, &cursor);
   BSON_APPEND_INT32 (&cursor, "batchSize", batch_size (plan));
   bson_append_document_end (&cmd, &cursor);
   BSON_APPEND_UTF8 (&cmd, "$db", plan->select_database);
   bql_step_t *st = push (s, BQL_STEP_AGGREGATE, BQL_FLOW_ONCE, what[otherwise][date + 1], &cmd);
   st->if_date_trunc = date;
   bson_destroy (&cmd);
}

/* INSERT/UPSERT ... SELECT on the server: the pipeline, the row template
 * as a $project, then $merge into the target (the plan's keys as on, its
 * conflict action as whenMatched). probe: only when the server has
 * $merge, the cursor path after it being the other choice. */
static bool
merge_step (const bql_plan_t *plan, bql_steps_t *s, bool probe, int date, bql_error_t *error)
{
   bson_t cmd = BSON_INITIALIZER, pipe, stage, body, cursor;
   bson_iter_t it;
   uint32_t n = 0;
   char kb[16];
   const char *k;
   BSON_APPEND_UTF8 (&cmd, "aggregate", plan->select_collection);
   bson_append_array_begin (&cmd, "pipeline", -1, &pipe);
   bson_iter_init (&it, date < 0 ? &plan->select_pipeline_parts : &plan->select_pipeline);
   while (bson_iter_next (&it)) {
      bson_uint32_to_string (n++, &k, kb, sizeof kb);
      bson_append_iter (&pipe, k, -1, &it);
   }
   bson_t project = BSON_INITIALIZER;
   if (bql_select_project (plan, &project)) {
      bson_uint32_to_string (n++, &k, kb, sizeof kb);
      bson_append_document_begin (&pipe, k, -1, &stage);
      BSON_APPEND_DOCUMENT (&stage, "$project", &project);
      bson_append_document_end (&pipe, &stage);
   }
   bson_destroy (&project);
   bson_uint32_to_string (n++, &k, kb, sizeof kb);
   bson_append_document_begin (&pipe, k, -1, &stage);
   bson_append_document_begin (&stage, "$merge", -1, &body);
   bool ok = bql_plan_merge_spec (plan, date < 0, &body, error);
   bson_append_document_end (&stage, &body);
   bson_append_document_end (&pipe, &stage);
   bson_append_array_end (&cmd, &pipe);
   bson_append_document_begin (&cmd, "cursor", -1, &cursor);
   bson_append_document_end (&cmd, &cursor);
   if (!bson_empty (&plan->opts.write_concern)) {
      BSON_APPEND_DOCUMENT (&cmd, "writeConcern", &plan->opts.write_concern);
   }
   if (plan->opts.bypass_validation) {
      BSON_APPEND_BOOL (&cmd, "bypassDocumentValidation", true);
   }
   BSON_APPEND_UTF8 (&cmd, "$db", plan->select_database);
   static const char *const what[2][3] = {
      {"otherwise (the server has no $dateTrunc): the same, with DATE and DATE_TRUNC lowered to $dateToParts and "
       "$dateFromParts",
       "run the whole statement on the server (server_side = true): the pipeline ending with $merge into the target",
       "when the server has $dateTrunc (probed when the statement runs): run the whole statement on the server "
       "(server_side = true), the pipeline ending with $merge into the target"},
      {"when the server has $merge but not $dateTrunc: the same, with DATE and DATE_TRUNC lowered to $dateToParts "
       "and $dateFromParts; the steps below are then skipped",
       "when the server has $merge (probed when the statement runs): run the whole statement on the server, the "
       "pipeline ending with $merge into the target; the steps below are then skipped",
       "when the server has $merge and $dateTrunc (probed when the statement runs): run the whole statement on the "
       "server, the pipeline ending with $merge into the target; the steps below are then skipped"}};
   bql_step_t *st = push (s, BQL_STEP_MERGE, BQL_FLOW_ONCE, what[probe][date + 1], &cmd);
   st->if_server_has_merge = probe;
   st->if_date_trunc = date;
   bson_destroy (&cmd);
   return ok;
}

/* count as mongoc_collection_count_documents sends it */
static void
count_step (const bql_plan_t *plan, bql_steps_t *s, bql_step_kind_t kind, const char *what)
{
   bson_t cmd = BSON_INITIALIZER, pipe, m, mm, g, gg, sum, cursor;
   BSON_APPEND_UTF8 (&cmd, "aggregate", plan->collection);
   bson_append_array_begin (&cmd, "pipeline", -1, &pipe);
   bson_append_document_begin (&pipe, "0", -1, &m);
   bson_append_document_begin (&m, "$match", -1, &mm);
   bson_concat (&mm, &plan->filter);
   bson_append_document_end (&m, &mm);
   bson_append_document_end (&pipe, &m);
   bson_append_document_begin (&pipe, "1", -1, &g);
   bson_append_document_begin (&g, "$group", -1, &gg);
   BSON_APPEND_INT32 (&gg, "_id", 1);
   bson_append_document_begin (&gg, "n", -1, &sum);
   BSON_APPEND_INT32 (&sum, "$sum", 1);
   bson_append_document_end (&gg, &sum);
   bson_append_document_end (&g, &gg);
   bson_append_document_end (&pipe, &g);
   bson_append_array_end (&cmd, &pipe);
   bson_append_document_begin (&cmd, "cursor", -1, &cursor);
   bson_append_document_end (&cmd, &cursor);
   push (s, kind, BQL_FLOW_ONCE, what, &cmd);
   bson_destroy (&cmd);
}

static void
ttl_step (const bql_plan_t *plan, bql_steps_t *s)
{
   const bql_options_t *o = &plan->opts;
   bson_t cmd = BSON_INITIALIZER, idx, one, key;
   BSON_APPEND_UTF8 (&cmd, "createIndexes", o->archive_collection);
   bson_append_array_begin (&cmd, "indexes", -1, &idx);
   bson_append_document_begin (&idx, "0", -1, &one);
   bson_append_document_begin (&one, "key", -1, &key);
   BSON_APPEND_INT32 (&key, "archivedAt", 1);
   bson_append_document_end (&one, &key);
   BSON_APPEND_UTF8 (&one, "name", "archivedAt_ttl");
   BSON_APPEND_INT64 (&one, "expireAfterSeconds", o->retention_seconds);
   bson_append_document_end (&idx, &one);
   bson_append_array_end (&cmd, &idx);
   push (s, BQL_STEP_ENSURE_INDEX, BQL_FLOW_ONCE, "create the TTL index of the archive", &cmd);
   bson_destroy (&cmd);
}

/* The _id-ordered read of UPDATE/DELETE ... WHERE: one cursor, whose
 * documents are taken batch_size at a time. */
static void
scan_step (const bql_plan_t *plan, bql_steps_t *s, bool whole_documents)
{
   bson_t cmd = BSON_INITIALIZER, proj, sort;
   BSON_APPEND_UTF8 (&cmd, "find", plan->collection);
   BSON_APPEND_DOCUMENT (&cmd, "filter", &plan->filter);
   if (!whole_documents) {
      bson_append_document_begin (&cmd, "projection", -1, &proj);
      BSON_APPEND_INT32 (&proj, "_id", 1);
      bson_append_document_end (&cmd, &proj);
   }
   bson_append_document_begin (&cmd, "sort", -1, &sort);
   BSON_APPEND_INT32 (&sort, "_id", 1);
   bson_append_document_end (&cmd, &sort);
   if (plan->opts.batch_size > 0) {
      BSON_APPEND_INT32 (&cmd, "batchSize", plan->opts.batch_size);
   }
   push (s, BQL_STEP_SCAN_IDS, BQL_FLOW_ONCE,
         plan->opts.batch_size > 0
            ? "read the matching documents in _id order; the steps below run for every batch_size of them"
            : "read every matching document in _id order; the steps below run once for all of them",
         &cmd);
   bson_destroy (&cmd);
}

/* UPDATE ... WHERE: the batch's _ids and the filter, or (batch_size = 0)
 * the filter once. */
static void
update_batch_step (const bql_plan_t *plan, bql_steps_t *s, bool batched)
{
   bson_t cmd = BSON_INITIALIZER, ups, q = BSON_INITIALIZER;
   if (batched) {
      ids_and (&q, BQL_PH_BATCH_IDS, &plan->filter);
   } else {
      bson_concat (&q, &plan->filter);
   }
   BSON_APPEND_UTF8 (&cmd, "update", plan->collection);
   bql_plan_write_options (plan, plan->opts.ordered, &cmd);
   bson_append_array_begin (&cmd, "updates", -1, &ups);
   append_update (&ups, 0, &q, &plan->update, plan->pipeline, false, true);
   bson_append_array_end (&cmd, &ups);
   bql_step_t *st = push (s, BQL_STEP_UPDATE_BATCH, BQL_FLOW_EACH_ID_BATCH,
                          batched ? "update the batch" : "update every matching document", &cmd);
   st->ordered = plan->opts.ordered;
   bson_destroy (&cmd);
   bson_destroy (&q);
}

/* The archive's copy of a document: every field of it, then these. */
static void
archive_copy_template (const bql_plan_t *plan, bson_t *u)
{
   const bql_options_t *o = &plan->opts;
   bson_t set;
   BSON_APPEND_UTF8 (u, "<field>", "<every field of the document>");
   bson_append_document_begin (u, "archivedAt", -1, &set);
   BSON_APPEND_UTF8 (&set, "$date", "<time of the batch>");
   bson_append_document_end (u, &set);
   if (o->archive_reason) {
      BSON_APPEND_UTF8 (u, "archiveReason", o->archive_reason);
   } else {
      BSON_APPEND_NULL (u, "archiveReason");
   }
   BSON_APPEND_UTF8 (u, "originalCollection", plan->collection);
}

/* The archive writes of a batch of documents: the copies are inserted;
 * those the archive holds already (from a run that was interrupted after
 * archiving them) are refused as duplicate keys and replaced, keyed by
 * _id, so the archive never holds a document twice. */
static void
archive_step (const bql_plan_t *plan, bql_steps_t *s, bql_step_flow_t flow)
{
   const bql_options_t *o = &plan->opts;
   bson_t cmd = BSON_INITIALIZER, arr, one, q, u;
   BSON_APPEND_UTF8 (&cmd, "insert", o->archive_collection);
   bql_plan_write_options (plan, false, &cmd);
   bson_append_array_begin (&cmd, "documents", -1, &arr);
   bson_append_document_begin (&arr, "0", -1, &one);
   archive_copy_template (plan, &one);
   bson_append_document_end (&arr, &one);
   BSON_APPEND_UTF8 (&arr, "1", "<one copy per document of the batch>");
   bson_append_array_end (&cmd, &arr);
   bql_step_t *st = push (s, BQL_STEP_ARCHIVE_BATCH, flow, "archive the batch: insert a copy of each document", &cmd);
   st->ordered = false;
   bson_destroy (&cmd);

   bson_init (&cmd);
   BSON_APPEND_UTF8 (&cmd, "update", o->archive_collection);
   bql_plan_write_options (plan, false, &cmd);
   bson_append_array_begin (&cmd, "updates", -1, &arr);
   bson_append_document_begin (&arr, "0", -1, &one);
   bson_append_document_begin (&one, "q", -1, &q);
   BSON_APPEND_UTF8 (&q, "_id", "<_id of the document>");
   bson_append_document_end (&one, &q);
   bson_append_document_begin (&one, "u", -1, &u);
   archive_copy_template (plan, &u);
   bson_append_document_end (&one, &u);
   BSON_APPEND_BOOL (&one, "upsert", true);
   BSON_APPEND_BOOL (&one, "multi", false);
   bson_append_document_end (&arr, &one);
   BSON_APPEND_UTF8 (&arr, "1", "<one replacement per copy refused as a duplicate key>");
   bson_append_array_end (&cmd, &arr);
   st = push (s, BQL_STEP_ARCHIVE_REPLACE, flow,
              "replace the copies the archive held already (duplicate key 11000: an interrupted run archived them; "
              "idempotent, keyed by _id)",
              &cmd);
   st->ordered = false;
   bson_destroy (&cmd);
}

/* The delete (or soft_delete update) of a batch: {$and: [{_id: {$in:
 * ids}}, filter]}, the filter being the statement's, or with DELETE ...
 * USING the filter of the batch's rows. Without ids (batch_size = 0, no
 * archive) the filter alone, once. */
static void
delete_step (const bql_plan_t *plan, bql_steps_t *s, bql_step_flow_t flow, const char *ids, const bson_t *filter)
{
   const bql_options_t *o = &plan->opts;
   bson_t cmd = BSON_INITIALIZER, arr, one, q = BSON_INITIALIZER;
   if (ids) {
      ids_and (&q, ids, filter);
   } else {
      bson_concat (&q, filter);
   }
   const char *what;
   if (o->soft_delete) {
      bson_t u = BSON_INITIALIZER, set;
      BSON_APPEND_UTF8 (&cmd, "update", plan->collection);
      bql_plan_write_options (plan, o->ordered, &cmd);
      bson_append_array_begin (&cmd, "updates", -1, &arr);
      bson_append_document_begin (&u, "$set", -1, &set);
      BSON_APPEND_DATE_TIME (&set, "deleted_at", plan->now_ms);
      bson_append_document_end (&u, &set);
      append_update (&arr, 0, &q, &u, false, false, true);
      bson_append_array_end (&cmd, &arr);
      bson_destroy (&u);
      what = ids ? "mark the batch deleted (soft_delete)" : "mark every matching document deleted (soft_delete)";
   } else {
      /* no bypassDocumentValidation: there is nothing to validate, and
       * servers that check the delete command's fields strictly refuse
       * the whole command for it */
      BSON_APPEND_UTF8 (&cmd, "delete", plan->collection);
      bson_t opts = BSON_INITIALIZER;
      bql_plan_write_options (plan, o->ordered, &opts);
      bson_copy_to_excluding_noinit (&opts, &cmd, "bypassDocumentValidation", NULL);
      bson_destroy (&opts);
      bson_append_array_begin (&cmd, "deletes", -1, &arr);
      bson_append_document_begin (&arr, "0", -1, &one);
      BSON_APPEND_DOCUMENT (&one, "q", &q);
      BSON_APPEND_INT32 (&one, "limit", 0);
      bson_append_document_end (&arr, &one);
      bson_append_array_end (&cmd, &arr);
      what = ids ? "delete the batch" : "delete every matching document";
   }
   bql_step_t *st = push (s, BQL_STEP_DELETE_BATCH, flow, what, &cmd);
   st->ordered = o->ordered;
   bson_destroy (&cmd);
   bson_destroy (&q);
}

/* ---- DELETE ... USING: the filter of a batch of rows ---- */

static bool
rows_or_filter_plain (const bql_plan_t *plan, const bson_t *const *rows, size_t n, bson_t *out, bql_error_t *error)
{
   bson_t arr;
   bson_append_array_begin (out, "$or", -1, &arr);
   bool ok = true;
   for (size_t i = 0; ok && i < (rows ? n : 1); i++) {
      bson_t q = BSON_INITIALIZER, u = BSON_INITIALIZER;
      bool pipe;
      ok = bql_plan_row_write (plan, rows ? rows[i] : NULL, &q, &u, &pipe, error);
      char kb[16];
      const char *k;
      bson_uint32_to_string ((uint32_t) i, &k, kb, sizeof kb);
      bson_append_document (&arr, k, -1, &q);
      bson_destroy (&q);
      bson_destroy (&u);
   }
   if (!rows) {
      BSON_APPEND_UTF8 (&arr, "1", "<the filter of every row of the batch>");
   }
   bson_append_array_end (out, &arr);
   return ok;
}

/* The filter of a batch of rows (as the executor's batch_filter_of): the
 * rows' filters merged into one $in (bql_plan_merge_row_filters), else
 * their $or. Without rows (a batch read at run time), the template: the
 * merged form when the filter has one equality on a row value and
 * conditions on constants, else the $or. */
static bool
rows_or_filter (const bql_plan_t *plan, const bson_t *const *rows, size_t n, bson_t *out, bql_error_t *error)
{
   bson_t **q = bson_malloc0 (sizeof *q * (rows ? n : 2));
   bool *good = bson_malloc0 (sizeof *good * (rows ? n : 2));
   bool ok = true;
   size_t m = rows ? n : 1;
   for (size_t i = 0; ok && i < m; i++) {
      bson_t u = BSON_INITIALIZER;
      bool pipe;
      q[i] = bson_new ();
      ok = good[i] = bql_plan_row_write (plan, rows ? rows[i] : NULL, q[i], &u, &pipe, error);
      bson_destroy (&u);
   }
   bool merged = false;
   if (ok && rows) {
      const char *path;
      merged = bql_plan_merge_row_filters ((const bson_t *const *) q, good, n, out, &path);
   } else if (ok) {
      /* the template: one key holding {$eq: "<row.col>"}, the others
       * constants */
      bson_iter_t it, op;
      int nrow = 0;
      bool only_eq = true;
      bson_iter_init (&it, q[0]);
      while (bson_iter_next (&it)) {
         if (bson_iter_key (&it)[0] == '$' || !BSON_ITER_HOLDS_DOCUMENT (&it)) {
            only_eq = false;
            continue;
         }
         bson_iter_recurse (&it, &op);
         if (bson_iter_next (&op) && !strcmp (bson_iter_key (&op), "$eq") && BSON_ITER_HOLDS_UTF8 (&op) &&
             !strncmp (bson_iter_utf8 (&op, NULL), "<row.", 5)) {
            nrow++;
         }
      }
      if (only_eq && nrow == 1) {
         merged = true;
         bson_iter_init (&it, q[0]);
         while (bson_iter_next (&it)) {
            bson_iter_recurse (&it, &op);
            if (bson_iter_next (&op) && BSON_ITER_HOLDS_UTF8 (&op) && !strncmp (bson_iter_utf8 (&op, NULL), "<row.", 5)) {
               bson_t in;
               const char *col = bson_iter_utf8 (&op, NULL) + 1; /* "row.c>" */
               char *ph = bson_strdup_printf ("<%.*s of every row of the batch>", (int) strlen (col) - 1, col);
               bson_append_document_begin (out, bson_iter_key (&it), -1, &in);
               BSON_APPEND_UTF8 (&in, "$in", ph);
               bson_append_document_end (out, &in);
               bson_free (ph);
            } else {
               bson_append_iter (out, NULL, 0, &it);
            }
         }
      }
   }
   for (size_t i = 0; i < m; i++) {
      bson_destroy (q[i]);
   }
   bson_free (q);
   bson_free (good);
   if (!ok || merged) {
      return ok;
   }
   return rows_or_filter_plain (plan, rows, n, out, error);
}

static void
match_step (const bql_plan_t *plan, bql_steps_t *s, bql_step_kind_t kind, bql_step_flow_t flow, const char *what,
            const bson_t *filter, bool ids_only)
{
   bson_t cmd = BSON_INITIALIZER, proj;
   BSON_APPEND_UTF8 (&cmd, "find", plan->collection);
   BSON_APPEND_DOCUMENT (&cmd, "filter", filter);
   if (ids_only) {
      bson_append_document_begin (&cmd, "projection", -1, &proj);
      BSON_APPEND_INT32 (&proj, "_id", 1);
      bson_append_document_end (&cmd, &proj);
   }
   push (s, kind, flow, what, &cmd);
   bson_destroy (&cmd);
}

/* The steps of one batch of DELETE ... USING rows, filter being the
 * batch's (a template, or a batch of VALUES rows). */
static void
using_batch_steps (const bql_plan_t *plan, bql_steps_t *s, const bson_t *filter)
{
   const bql_options_t *o = &plan->opts;
   match_step (plan, s, BQL_STEP_MATCH_ROWS, BQL_FLOW_EACH_ROW_BATCH,
               o->dry_run ? "read the documents the batch's rows match (dry_run: they are counted, nothing is "
                            "written); a row is looked up alone (find with limit 1) only when they do not "
                            "show whether it matched"
                          : "read the documents the batch's rows match; a row is looked up alone (find with "
                            "limit 1) only when they do not show whether it matched",
               filter, false);
   if (o->dry_run) {
      return;
   }
   if (o->archive_collection) {
      archive_step (plan, s, BQL_FLOW_EACH_ROW_BATCH);
   }
   delete_step (plan, s, BQL_FLOW_EACH_ROW_BATCH, o->archive_collection ? BQL_PH_ARCHIVED_IDS : BQL_PH_READ_IDS,
                filter);
}

/* ---- the statements ---- */

static bool
delete_using (const bql_plan_t *plan, bql_steps_t *s, bql_error_t *error)
{
   const bql_options_t *o = &plan->opts;
   bson_t orf = BSON_INITIALIZER;
   bool ok = rows_or_filter (plan, NULL, 0, &orf, error);
   if (o->max_delete_count >= 0 && !o->dry_run) {
      char what[240];
      snprintf (what, sizeof what,
                "first pass over the input: count the distinct documents the rows match, batch_size rows per "
                "find; refuse, writing nothing, if more than %lld",
                (long long) o->max_delete_count);
      match_step (plan, s, BQL_STEP_COUNT_ROWS_GUARD, BQL_FLOW_ONCE, what, &orf, true);
   }
   if (o->archive_collection && o->retention_seconds && !o->dry_run) {
      ttl_step (plan, s);
   }
   using_batch_steps (plan, s, &orf);
   bson_destroy (&orf);
   return ok;
}

static void
delete_where (const bql_plan_t *plan, bql_steps_t *s)
{
   const bql_options_t *o = &plan->opts;
   if (o->dry_run) {
      count_step (plan, s, BQL_STEP_COUNT, "count the documents that would be deleted (dry_run: nothing is written)");
      return;
   }
   if (o->max_delete_count >= 0) {
      char what[160];
      snprintf (what, sizeof what, "count the matching documents; refuse, writing nothing, if more than %lld",
                (long long) o->max_delete_count);
      count_step (plan, s, BQL_STEP_COUNT_GUARD, what);
   }
   if (o->archive_collection && o->retention_seconds) {
      ttl_step (plan, s);
   }
   if (o->batch_size == 0 && !o->archive_collection) {
      /* one unbatched command over the filter */
      delete_step (plan, s, BQL_FLOW_EACH_ID_BATCH, NULL, &plan->filter);
      return;
   }
   scan_step (plan, s, o->archive_collection != NULL);
   if (o->archive_collection) {
      archive_step (plan, s, BQL_FLOW_EACH_ID_BATCH);
   }
   delete_step (plan, s, BQL_FLOW_EACH_ID_BATCH, o->archive_collection ? BQL_PH_ARCHIVED_IDS : BQL_PH_BATCH_IDS,
                &plan->filter);
}

static void
update_where (const bql_plan_t *plan, bql_steps_t *s)
{
   if (plan->opts.dry_run) {
      count_step (plan, s, BQL_STEP_COUNT, "count the documents that would be updated (dry_run: nothing is written)");
      return;
   }
   if (plan->opts.batch_size > 0) {
      scan_step (plan, s, false);
   }
   mark_in_flight_step (plan, s, BQL_FLOW_EACH_ID_BATCH);
   update_batch_step (plan, s, plan->opts.batch_size > 0);
}

/* ---- the operation's document (SPEC §3; operation.c writes it) ---- */

const char *
bql_plan_operations_database (const bql_plan_t *plan)
{
   const char *db = plan->opts.operations_database;
   return db && *db ? db : plan->database;
}

/* The time of the write under key (a date; a plain placeholder string,
 * so that EXPLAIN stays valid Extended JSON) */
static void
now_template (bson_t *doc, const char *key)
{
   BSON_APPEND_UTF8 (doc, key, BQL_PH_NOW);
}

/* The command's name on coll, and the write options of BulkQL's own
 * writes (the operation's document, the log's records): ordered, the
 * statement's writeConcern (the records are the account of its rows: as
 * durable as the rows), no bypassDocumentValidation (the documents are
 * BulkQL's own). */
static void
own_command (const bql_plan_t *plan, const char *name, const char *coll, bson_t *cmd)
{
   bson_t opts = BSON_INITIALIZER;
   BSON_APPEND_UTF8 (cmd, name, coll);
   bql_plan_write_options (plan, true, &opts);
   bson_copy_to_excluding_noinit (&opts, cmd, "bypassDocumentValidation", NULL);
   bson_destroy (&opts);
}

static void
operation_command (const bql_plan_t *plan, const char *name, bson_t *cmd)
{
   own_command (plan, name, BQL_OPERATIONS_COLLECTION, cmd);
}

/* The insert of a record of the statement's log (an error record, the
 * metrics) into coll; documents says what is inserted. */
static void
log_command (const bql_plan_t *plan, const char *coll, const char *documents, bson_t *cmd)
{
   own_command (plan, "insert", coll, cmd);
   BSON_APPEND_UTF8 (cmd, "documents", documents);
}

/* The statement's source, as the operation records it (a resume checks
 * that it did not change). */
static void
operation_source (const bql_plan_t *plan, const char *hash, bson_t *doc)
{
   bson_t src;
   bson_append_document_begin (doc, "source", -1, &src);
   if (plan->file && plan->file->is_stdin) {
      BSON_APPEND_UTF8 (&src, "type", "stdin");
   } else if (plan->file) {
      BSON_APPEND_UTF8 (&src, "type", "file");
      BSON_APPEND_UTF8 (&src, "path", BQL_PH_FILE_PATH);
      BSON_APPEND_UTF8 (&src, "size", BQL_PH_FILE_SIZE);
      BSON_APPEND_UTF8 (&src, "mtime", BQL_PH_FILE_MTIME);
      BSON_APPEND_UTF8 (&src, "headHash", BQL_PH_FILE_HEAD);
   } else if (plan->has_rows) {
      BSON_APPEND_UTF8 (&src, "type", "values");
      BSON_APPEND_UTF8 (&src, "hash", hash);
   } else if (plan->select) {
      /* rows numbered by their position in the pipeline's cursor */
      char *json = bson_as_canonical_extended_json (&plan->select_pipeline, NULL);
      BSON_APPEND_UTF8 (&src, "type", "select");
      BSON_APPEND_UTF8 (&src, "database", plan->select_database);
      BSON_APPEND_UTF8 (&src, "collection", plan->select_collection);
      BSON_APPEND_UTF8 (&src, "pipeline", json ? json : "");
      bson_free (json);
   } else {
      /* as canonical Extended JSON text (the filter's operators are
       * keys no stored document may have), made when the statement runs
       * (the filter is the scan's: its dates may be the clock's) */
      BSON_APPEND_UTF8 (&src, "type", "where");
      BSON_APPEND_UTF8 (&src, "filter", BQL_PH_FILTER);
   }
   bson_append_document_end (doc, &src);
}

/* OPEN_OPERATION: the operation's document, state Open, inserted before
 * anything is written. */
static void
open_operation_step (const bql_plan_t *plan, bql_steps_t *s)
{
   static const char *const kinds[] = {"insert", "update", "upsert", "delete"};
   static const char *const counters[] = {"nInserted", "nMatched", "nModified", "nUpserted", "nRemoved", "nArchived",
                                          "nFailed", "nInDoubt", "nAlreadyWritten", "rowsDone", "batches"};
   const char *text = plan->statement_text ? plan->statement_text : "";
   size_t len = strlen (text);
   char hash[17];
   snprintf (hash, sizeof hash, "%016llx",
             (unsigned long long) bql_fnv1a64_add (BQL_FNV1A64_INIT, text, len));
   bson_t cmd = BSON_INITIALIZER, docs, doc, sub;
   operation_command (plan, "insert", &cmd);
   bson_append_array_begin (&cmd, "documents", -1, &docs);
   bson_append_document_begin (&docs, "0", -1, &doc);
   BSON_APPEND_UTF8 (&doc, "_id", BQL_PH_OPERATION_ID);
   BSON_APPEND_UTF8 (&doc, "statement", BQL_PH_STATEMENT);
   BSON_APPEND_BOOL (&doc, "statementTruncated", len > BQL_OPERATION_STATEMENT_MAX);
   BSON_APPEND_UTF8 (&doc, "statementHash", hash);
   BSON_APPEND_UTF8 (&doc, "kind", kinds[plan->kind]);
   BSON_APPEND_UTF8 (&doc, "database", plan->database);
   BSON_APPEND_UTF8 (&doc, "collection", plan->collection);
   bson_append_document_begin (&doc, "options", -1, &sub);
   bql_options_append_given (&plan->opts, plan->kind, &sub);
   bson_append_document_end (&doc, &sub);
   operation_source (plan, hash, &doc);
   BSON_APPEND_UTF8 (&doc, "state", "Open");
   now_template (&doc, "startedAt");
   now_template (&doc, "updatedAt");
   now_template (&doc, "heartbeatAt");
   BSON_APPEND_UTF8 (&doc, "host", BQL_PH_HOST);
   BSON_APPEND_UTF8 (&doc, "pid", BQL_PH_PID);
   BSON_APPEND_INT32 (&doc, "resumes", 0);
   bson_append_document_begin (&doc, "counters", -1, &sub);
   for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++) {
      BSON_APPEND_INT64 (&sub, counters[i], 0);
   }
   bson_append_document_end (&doc, &sub);
   BSON_APPEND_UTF8 (&doc, "checkpoint", BQL_PH_CHECKPOINT);
   bson_append_document_end (&docs, &doc);
   bson_append_array_end (&cmd, &docs);
   char *what = bson_strdup_printf ("before anything is written: record the operation in %s.%s (state Open)",
                                    bql_plan_operations_database (plan), BQL_OPERATIONS_COLLECTION);
   bql_step_t *st = push (s, BQL_STEP_OPEN_OPERATION, BQL_FLOW_ONCE, what, &cmd);
   st->ordered = true;
   bson_free (what);
   bson_destroy (&cmd);
}

/* An update of the operation's document, in state Open or InProgress
 * (FINISH_OPERATION: the states placeholder) and held by this process's
 * claim (resumes: 0 for the run that opened it, the number of the resume
 * that claimed it after), setting the fields of set (a template). None
 * matched: another process aborted it, or resumed it (a write of a
 * process that was killed, landing after the resume's claim, changes
 * nothing). */
static void
operation_update_step (const bql_plan_t *plan, bql_steps_t *s, bql_step_kind_t kind, bql_step_flow_t flow,
                       const char *what, const bson_t *set)
{
   bson_t cmd = BSON_INITIALIZER, ups, one, q, in, states, u;
   operation_command (plan, "update", &cmd);
   bson_append_array_begin (&cmd, "updates", -1, &ups);
   bson_append_document_begin (&ups, "0", -1, &one);
   bson_append_document_begin (&one, "q", -1, &q);
   BSON_APPEND_UTF8 (&q, "_id", BQL_PH_OPERATION_ID);
   if (kind == BQL_STEP_FINISH_OPERATION) {
      BSON_APPEND_UTF8 (&q, "state", BQL_PH_STATES);
   } else {
      bson_append_document_begin (&q, "state", -1, &in);
      bson_append_array_begin (&in, "$in", -1, &states);
      BSON_APPEND_UTF8 (&states, "0", "Open");
      BSON_APPEND_UTF8 (&states, "1", "InProgress");
      bson_append_array_end (&in, &states);
      bson_append_document_end (&q, &in);
   }
   BSON_APPEND_UTF8 (&q, "resumes", BQL_PH_RESUMES);
   bson_append_document_end (&one, &q);
   bson_append_document_begin (&one, "u", -1, &u);
   BSON_APPEND_DOCUMENT (&u, "$set", set);
   bson_append_document_end (&one, &u);
   BSON_APPEND_BOOL (&one, "upsert", false);
   BSON_APPEND_BOOL (&one, "multi", false);
   bson_append_document_end (&ups, &one);
   bson_append_array_end (&cmd, &ups);
   bql_step_t *st = push (s, kind, flow, what, &cmd);
   st->ordered = true;
   bson_destroy (&cmd);
}

/* The $set of a checkpoint: state, times, counters (not before a
 * batch is sent: they change as batches complete), checkpoint. */
static void
checkpoint_set (bson_t *set, const char *state, bool counters)
{
   BSON_APPEND_UTF8 (set, "state", state);
   now_template (set, "updatedAt");
   now_template (set, "heartbeatAt");
   if (counters) {
      BSON_APPEND_UTF8 (set, "counters", BQL_PH_COUNTERS);
   }
   BSON_APPEND_UTF8 (set, "checkpoint", BQL_PH_CHECKPOINT);
}

/* MARK_IN_FLIGHT, among a batch's steps, before its write: the writes
 * are not idempotent, so a batch whose outcome a crash leaves unknown
 * must be known as such (a resume reports its rows in doubt instead of
 * sending them again). */
static void
mark_in_flight_step (const bql_plan_t *plan, bql_steps_t *s, bql_step_flow_t flow)
{
   if (plan->opts.dry_run || bql_plan_idempotent (plan)) {
      return;
   }
   bson_t set = BSON_INITIALIZER;
   checkpoint_set (&set, "InProgress", false);
   operation_update_step (plan, s, BQL_STEP_MARK_IN_FLIGHT, flow,
                          flow == BQL_FLOW_EACH_ROW_BATCH
                             ? "before the batch is sent (its writes are not idempotent): record its rows in the "
                               "checkpoint's inFlight"
                             : "before the batch is sent (its writes are not idempotent): record its _ids in the "
                               "checkpoint's inFlightIds",
                          &set);
   bson_destroy (&set);
}

/* CHECKPOINT, CHECK_OPERATION and HEARTBEAT: beside the batches. */
static void
checkpoint_steps (const bql_plan_t *plan, bql_steps_t *s)
{
   if (plan->opts.dry_run) {
      return;
   }
   bson_t set = BSON_INITIALIZER;
   checkpoint_set (&set, "InProgress", true);
   char what[300];
   char every[64] = "every completed batch";
   if (plan->opts.checkpoint_interval > 1) {
      snprintf (every, sizeof every, "every %lld completed batches", (long long) plan->opts.checkpoint_interval);
   }
   snprintf (what, sizeof what,
             "after %s (checkpoint_interval): write the checkpoint; when it matches "
             "nothing, another process aborted the operation and the statement stops",
             every);
   operation_update_step (plan, s, BQL_STEP_CHECKPOINT, BQL_FLOW_CHECKPOINT, what, &set);
   bson_destroy (&set);
   /* the state and holder, read when a write matched nothing (and with
    * checkpoint_interval > 1, after the batches without a checkpoint) */
   bson_t cmd = BSON_INITIALIZER, f, proj;
   BSON_APPEND_UTF8 (&cmd, "find", BQL_OPERATIONS_COLLECTION);
   bson_append_document_begin (&cmd, "filter", -1, &f);
   BSON_APPEND_UTF8 (&f, "_id", BQL_PH_OPERATION_ID);
   bson_append_document_end (&cmd, &f);
   bson_append_document_begin (&cmd, "projection", -1, &proj);
   BSON_APPEND_INT32 (&proj, "state", 1);
   BSON_APPEND_INT32 (&proj, "reason", 1);
   BSON_APPEND_INT32 (&proj, "resumes", 1);
   BSON_APPEND_INT32 (&proj, "host", 1);
   BSON_APPEND_INT32 (&proj, "pid", 1);
   bson_append_document_end (&cmd, &proj);
   BSON_APPEND_INT64 (&cmd, "limit", 1);
   push (s, BQL_STEP_CHECK_OPERATION, BQL_FLOW_CHECKPOINT,
         plan->opts.checkpoint_interval > 1
            ? "after every other completed batch, and when a write of the operation matched nothing: read its state "
              "and holder (Aborted: another process aborted it; another resumes: another process resumed it; "
              "either way this process stops writing, as after a cancel)"
            : "when a write of the operation matched nothing: read its state and holder (Aborted: another process "
              "aborted it; another resumes: another process resumed it; either way this process stops writing, as "
              "after a cancel)",
         &cmd);
   bson_destroy (&cmd);
   bson_init (&set);
   now_template (&set, "heartbeatAt");
   operation_update_step (plan, s, BQL_STEP_HEARTBEAT, BQL_FLOW_CHECKPOINT,
                          "while a batch waits on the server: move the operation's heartbeat (at most every 10 s)",
                          &set);
   bson_destroy (&set);
}

/* FINISH_OPERATION: the end state, reason and last checkpoint. */
static void
finish_operation_step (const bql_plan_t *plan, bql_steps_t *s)
{
   bson_t set = BSON_INITIALIZER;
   checkpoint_set (&set, BQL_PH_END_STATE, true);
   BSON_APPEND_UTF8 (&set, "reason", BQL_PH_REASON);
   now_template (&set, "finishedAt");
   operation_update_step (plan, s, BQL_STEP_FINISH_OPERATION, BQL_FLOW_END,
                          "after the statement: record how it ended (Complete, Failed or Aborted) and its last "
                          "checkpoint; once another process aborted it, its counts and checkpoint, keeping the "
                          "abort's reason",
                          &set);
   bson_destroy (&set);
}

/* error records and metrics: the statement's own log (SPEC §3) */
static void
log_steps (const bql_plan_t *plan, bql_steps_t *s)
{
   const bql_options_t *o = &plan->opts;
   if (o->dry_run) {
      return; /* a dry run writes neither: the reply holds the metrics */
   }
   if (o->error_collection) {
      bson_t cmd = BSON_INITIALIZER;
      log_command (plan, o->error_collection, "<one record of the batch's failed rows>", &cmd);
      bql_step_t *st = push (s, BQL_STEP_WRITE_ERROR_RECORD, BQL_FLOW_FAILED_BATCH,
                             "for every batch with failed rows: record them (retried; keyed by _id)", &cmd);
      st->ordered = true;
      bson_destroy (&cmd);
   }
   finish_operation_step (plan, s);
   if (o->metrics) {
      bson_t cmd = BSON_INITIALIZER;
      log_command (plan, "bulk_operation_metrics", "<the statement's metrics record>", &cmd);
      bql_step_t *st =
         push (s, BQL_STEP_WRITE_METRICS, BQL_FLOW_END, "after the statement: record its metrics (unless metrics = false)", &cmd);
      st->ordered = true;
      bson_destroy (&cmd);
   }
}

bool
bql_steps_build (const bql_plan_t *plan, bql_steps_t *s, bql_error_t *error)
{
   memset (s, 0, sizeof *s);
   bql_error_t scratch;
   if (!error) {
      error = &scratch;
   }
   bql_error_clear (error);
   const bql_options_t *o = &plan->opts;
   bool ok = true, merge_ok = true;
   if (!o->dry_run) {
      open_operation_step (plan, s);
   }
   if (o->drop && !o->dry_run) {
      bson_t cmd = BSON_INITIALIZER;
      BSON_APPEND_UTF8 (&cmd, "drop", plan->collection);
      push (s, BQL_STEP_DROP, BQL_FLOW_ONCE, "drop the collection before the load (drop = true)", &cmd);
      bson_destroy (&cmd);
   }
   bool upserts = plan->kind == BQL_KIND_UPSERT || (plan->kind == BQL_KIND_INSERT && o->upsert_mode);
   if (plan->select) {
      /* $merge when server_side = true, or when the server has it
       * (server_side unset) and no option needs the rows one by one;
       * else (and otherwise) the cursor into the bulk writes below */
      int side = o->server_side;
      bool merge = side == 1 || (side < 0 && !bql_plan_merge_blocker (plan));
      if (merge) {
         /* a pair when DATE or DATE_TRUNC lower to $dateTrunc in the
          * pipeline or the SET list: the other from $dateToParts */
         size_t at = s->n;
         merge_ok = merge_step (plan, s, side < 0, 0, error);
         if (merge_ok && (bql_step_needs (&s->items[at]) & BQL_NEEDS_DATE_TRUNC)) {
            bson_free (s->items[at].what);
            s->n--;
            bson_destroy (&s->items[at].command);
            merge_ok = merge_step (plan, s, side < 0, 1, error) && merge_step (plan, s, side < 0, -1, error);
         }
      }
      if (side == 1) {
         log_steps (plan, s);
         return merge_ok;
      }
      if (upserts) {
         all_ids_step (plan, s);
      }
      if (bson_empty (&plan->select_pipeline_parts)) {
         aggregate_step (plan, s, merge, 0);
      } else {
         aggregate_step (plan, s, merge, 1);
         aggregate_step (plan, s, merge, -1);
      }
   } else if (upserts) {
      all_ids_step (plan, s);
   }
   switch (plan->kind) {
   case BQL_KIND_INSERT:
      mark_in_flight_step (plan, s, BQL_FLOW_EACH_ROW_BATCH);
      if (o->upsert_mode) {
         existing_ids_step (plan, s);
         ok = row_write_step (plan, s, BQL_STEP_UPSERT_ROWS, BQL_FLOW_EACH_ROW_BATCH, "upsert each row on _id", true,
                              o->ordered, error);
         stored_ids_step (plan, s);
      } else {
         insert_step (plan, s, plan->on_duplicate ? false : o->ordered);
         if (plan->on_duplicate) {
            ok = row_write_step (plan, s, BQL_STEP_DUPLICATE_KEY_UPDATE, BQL_FLOW_REFUSED_ROWS,
                                 "update each row rejected with duplicate key error 11000", false, o->ordered, error);
         }
      }
      break;
   case BQL_KIND_UPSERT:
      mark_in_flight_step (plan, s, BQL_FLOW_EACH_ROW_BATCH);
      existing_ids_step (plan, s);
      insert_new_ids_step (plan, s, o->ordered);
      ok = row_write_step (plan, s, BQL_STEP_UPSERT_ROWS, BQL_FLOW_EACH_ROW_BATCH,
                           plan->replace ? "replace each row's document (upsert)" : "upsert each row", true, o->ordered,
                           error);
      stored_ids_step (plan, s);
      break;
   case BQL_KIND_UPDATE:
      if (plan->has_rows || plan->file) {
         mark_in_flight_step (plan, s, BQL_FLOW_EACH_ROW_BATCH);
         ok = row_write_step (plan, s, BQL_STEP_UPDATE_ROWS, BQL_FLOW_EACH_ROW_BATCH, "update one document per row",
                              false, o->ordered, error);
      } else {
         update_where (plan, s);
      }
      break;
   case BQL_KIND_DELETE:
      s->deletes = true;
      if (plan->delete_using) {
         ok = delete_using (plan, s, error);
      } else {
         delete_where (plan, s);
      }
      break;
   }
   checkpoint_steps (plan, s);
   log_steps (plan, s);
   return ok && merge_ok;
}

/* ---- VALUES rows, batch by batch ---- */

typedef struct {
   const bql_rows_t *rows;
   size_t off;
   size_t i;
} rows_iter_t;

static bool
rows_peek (rows_iter_t *it, bson_t *doc, int64_t *rownum)
{
   if (it->i >= it->rows->count) {
      return false;
   }
   uint32_t len;
   memcpy (&len, it->rows->data + it->off, 4);
   len = BSON_UINT32_FROM_LE (len);
   bson_init_static (doc, it->rows->data + it->off, len);
   *rownum = it->rows->rownum[it->i];
   return true;
}

static void
rows_skip (rows_iter_t *it, const bson_t *doc)
{
   it->off += doc->len;
   it->i++;
}

/* The good rows of the next batch, as the executor's row pipeline cuts
 * them: batch_size input rows (rows numbered 1..total, those failing
 * CHECK included but not written). *batch (n rows, pointing into the
 * plan's rows) and *first, *last (the batch's first and last input row).
 * False when no input rows are left. */
static bool
next_batch (const bql_plan_t *plan, rows_iter_t *it, int64_t *next_input, const bson_t ***batch, bson_t **store,
            size_t *n, int64_t *first, int64_t *last)
{
   int64_t total = (int64_t) plan->rows.count + plan->nfailed;
   if (*next_input > total) {
      return false;
   }
   /* batch_size = 0 reads rows bql_options_batch at a time (rows.c) */
   int64_t end = *next_input + batch_size (plan) - 1;
   if (end > total) {
      end = total;
   }
   *n = 0;
   *first = *last = 0;
   bson_t doc;
   int64_t rownum;
   while (rows_peek (it, &doc, &rownum) && rownum <= end) {
      bson_init_static (&(*store)[*n], bson_get_data (&doc), doc.len);
      (*batch)[*n] = &(*store)[*n];
      if (!*first) {
         *first = rownum;
      }
      *last = rownum;
      (*n)++;
      rows_skip (it, &doc);
   }
   *next_input = end + 1;
   return true;
}

/* INSERT ... VALUES batch: the documents as sent (an ObjectId _id first
 * where the row has none: "<new ObjectId>") */
static void
insert_batch_step (const bql_plan_t *plan, const bql_step_t *t, bql_steps_t *out, const bson_t *const *rows,
                   size_t n, int64_t first, int64_t last)
{
   bson_t cmd = BSON_INITIALIZER, docs;
   BSON_APPEND_UTF8 (&cmd, "insert", plan->collection);
   bql_plan_write_options (plan, t->ordered, &cmd);
   bson_append_array_begin (&cmd, "documents", -1, &docs);
   for (size_t i = 0; i < n; i++) {
      char kb[16];
      const char *k;
      bson_uint32_to_string ((uint32_t) i, &k, kb, sizeof kb);
      if (bson_has_field (rows[i], "_id")) {
         bson_append_document (&docs, k, -1, rows[i]);
      } else {
         bson_t d;
         bson_append_document_begin (&docs, k, -1, &d);
         BSON_APPEND_UTF8 (&d, "_id", "<new ObjectId>");
         bson_concat (&d, rows[i]);
         bson_append_document_end (&docs, &d);
      }
   }
   bson_append_array_end (&cmd, &docs);
   bql_step_t *st = push (out, t->kind, t->flow, "insert", &cmd);
   st->first_row = first;
   st->last_row = last;
   st->ordered = t->ordered;
   bson_destroy (&cmd);
}

static bool
row_write_batch_step (const bql_plan_t *plan, const bql_step_t *t, bql_steps_t *out, const bson_t *const *rows,
                      size_t n, int64_t first, int64_t last, bql_error_t *error)
{
   bool upsert = t->kind == BQL_STEP_UPSERT_ROWS;
   const char *what = plan->replace ? "replace (upsert)" : upsert ? "upsert" : "update";
   bson_t cmd = BSON_INITIALIZER, ups;
   BSON_APPEND_UTF8 (&cmd, "update", plan->collection);
   bql_plan_write_options (plan, t->ordered, &cmd);
   bson_append_array_begin (&cmd, "updates", -1, &ups);
   for (size_t i = 0; i < n; i++) {
      bson_t q = BSON_INITIALIZER, u = BSON_INITIALIZER;
      bool pipe;
      if (!bql_plan_row_write (plan, rows[i], &q, &u, &pipe, error)) {
         bson_destroy (&q);
         bson_destroy (&u);
         bson_destroy (&cmd);
         return false;
      }
      if (upsert) {
         /* an upsert without a known _id gets a new ObjectId (as the
          * executor's write_rows.c does) */
         bson_value_t id;
         bool is_new;
         if (bql_plan_upsert_id (&q, &u, plan->replace, &id, &is_new)) {
            bson_value_destroy (&id);
         } else if (!plan->replace) {
            bql_plan_add_new_id (&u, NULL);
         }
      }
      append_update (&ups, (uint32_t) i, &q, &u, pipe, upsert, false);
      bson_destroy (&q);
      bson_destroy (&u);
   }
   bson_append_array_end (&cmd, &ups);
   bql_step_t *st = push (out, t->kind, t->flow, what, &cmd);
   st->first_row = first;
   st->last_row = last;
   st->ordered = t->ordered;
   st->one_per_command = t->one_per_command;
   st->if_counts_lost = t->if_counts_lost;
   st->if_lost_note = t->if_lost_note;
   st->if_id_lookup_scans = t->if_id_lookup_scans;
   st->if_scans_note = t->if_scans_note;
   bson_destroy (&cmd);
   return true;
}

bool
bql_steps_expand_values (const bql_plan_t *plan, const bql_steps_t *t, bql_steps_t *out, bql_error_t *error)
{
   memset (out, 0, sizeof *out);
   bql_error_t scratch;
   if (!error) {
      error = &scratch;
   }
   bool ok = true;
   size_t cap = (size_t) batch_size (plan);
   const bson_t **batch = bson_malloc (sizeof *batch * cap);
   bson_t *store = bson_malloc (sizeof *store * cap);
   for (size_t i = 0; ok && i < t->n; i++) {
      const bql_step_t *st = &t->items[i];
      if (!plan->has_rows || st->flow != BQL_FLOW_EACH_ROW_BATCH) {
         copy_step (out, st);
         continue;
      }
      /* the run of EACH_ROW_BATCH steps from i, repeated per batch */
      size_t j = i;
      while (j < t->n && t->items[j].flow == BQL_FLOW_EACH_ROW_BATCH) {
         j++;
      }
      rows_iter_t it = {&plan->rows, 0, 0};
      int64_t next_input = 1, first, last;
      size_t n;
      while (ok && next_batch (plan, &it, &next_input, &batch, &store, &n, &first, &last)) {
         if (n == 0) {
            continue; /* every row of the batch failed CHECK: nothing is sent */
         }
         for (size_t k = i; ok && k < j; k++) {
            const bql_step_t *ks = &t->items[k];
            switch (ks->kind) {
            case BQL_STEP_INSERT_ROWS:
               insert_batch_step (plan, ks, out, batch, n, first, last);
               break;
            case BQL_STEP_UPSERT_ROWS:
            case BQL_STEP_UPDATE_ROWS:
               ok = row_write_batch_step (plan, ks, out, batch, n, first, last, error);
               break;
            case BQL_STEP_MATCH_ROWS: {
               /* the batch's filter, then the steps that use it */
               bson_t orf = BSON_INITIALIZER;
               bql_steps_t batch_steps = {0};
               ok = rows_or_filter (plan, batch, n, &orf, error);
               if (ok) {
                  using_batch_steps (plan, &batch_steps, &orf);
                  for (size_t b = 0; b < batch_steps.n; b++) {
                     batch_steps.items[b].first_row = first;
                     batch_steps.items[b].last_row = last;
                     copy_step (out, &batch_steps.items[b]);
                  }
               }
               bql_steps_cleanup (&batch_steps);
               bson_destroy (&orf);
               k = j; /* using_batch_steps made the batch's other steps */
               break;
            }
            case BQL_STEP_MARK_IN_FLIGHT:
               copy_step (out, ks);
               out->items[out->n - 1].first_row = first;
               out->items[out->n - 1].last_row = last;
               break;
            default:
               copy_step (out, ks);
               break;
            }
         }
      }
      i = j - 1;
   }
   bson_free (batch);
   bson_free (store);
   return ok;
}
