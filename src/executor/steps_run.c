/*
 * steps_run.c — the step interpreter: bql_execute() hands it the plan's
 * steps (steps.c) and it runs them in order, each by its kind, feeding
 * each what its flow says: ONCE steps run as they come; a SCAN_IDS step
 * reads the batches its EACH_ID_BATCH steps write (where.c); a run of
 * EACH_ROW_BATCH and REFUSED_ROWS steps is fed the batches of the row
 * pipeline (rows.c) from VALUES, the file or STDIN, or from the cursor of
 * the AGGREGATE step before them (INSERT/UPSERT ... SELECT); FAILED_BATCH records
 * are written as batches finish (log.c); END steps run after the reply is
 * made. This is the only place in the executor that decides what runs.
 * It calls downward only: to the steps' runners (where.c, insert.c,
 * write_rows.c, rows.c, log.c), which write through the write path
 * (write_path.c) on a writer (writer.c): the statement's thread's one,
 * made here for the whole statement, so that its connection's
 * capabilities (caps.c) are probed at most once, or a worker's (rows.c).
 */
#include <string.h>

#include "operation.h"

/* COUNT (dry_run of a WHERE): what would be written, and whether
 * max_delete_count would refuse the delete. */
static bool
run_count (bql_exec_t *x, bql_writer_t *w, const bql_step_t *st)
{
   const bql_options_t *o = x->opts;
   int64_t n;
   if (!bql_exec_count_step (w, st, &n)) {
      return false;
   }
   x->n_matched = n;
   x->rows_total = n;
   x->rows_done = n;
   if (x->plan->steps.deletes && o->max_delete_count >= 0 && n > o->max_delete_count) {
      return bql_exec_fail (x, BQL_ERR_REFUSED, 0,
                            "%lld documents match but max_delete_count is %lld: the delete would be refused "
                            "(dry run: nothing was written to the collection)",
                            (long long) n, (long long) o->max_delete_count);
   }
   return true;
}

/* COUNT_GUARD: refuse, writing nothing, above max_delete_count. */
static bool
run_count_guard (bql_exec_t *x, bql_writer_t *w, const bql_step_t *st)
{
   const bql_options_t *o = x->opts;
   int64_t n;
   if (!bql_exec_count_step (w, st, &n)) {
      return false;
   }
   if (n > o->max_delete_count) {
      return bql_exec_fail (x, BQL_ERR_REFUSED, 0, "%lld documents match but max_delete_count is %lld: nothing was deleted",
                            (long long) n, (long long) o->max_delete_count);
   }
   return true;
}

/* One batch of rows through the run of row steps on writer w (a
 * bql_batch_writer_t; may run on a worker thread: it reads the writer's
 * copy of the run, w->row_steps, only). */
static bool
row_batch (bql_writer_t *w, const bql_batch_t *b, bql_batch_info_t *info, bql_row_errors_t *errs)
{
   bool ok = true;
   if (w->id_record) {
      bql_exec_read_all_ids (w, b); /* the READ_ALL_IDS step before the run, once */
   }
   for (size_t i = 0; ok && i < w->n_row_steps; i++) {
      const bql_step_t *st = &w->row_steps[i];
      switch (st->kind) {
      case BQL_STEP_INSERT_ROWS:
         ok = bql_exec_insert_batch (w, b, st->ordered, info, errs);
         break;
      case BQL_STEP_DUPLICATE_KEY_UPDATE:
         ok = bql_exec_update_refused (w, b, info, errs);
         break;
      case BQL_STEP_UPSERT_ROWS:
      case BQL_STEP_UPDATE_ROWS:
         ok = bql_exec_write_rows (w, b, info, errs);
         break;
      case BQL_STEP_MATCH_ROWS: {
         /* the find of the batch, then its ARCHIVE_BATCH and DELETE_BATCH */
         const bql_step_t *archive = NULL, *del = NULL;
         for (size_t j = i + 1; j < w->n_row_steps; j++) {
            if (w->row_steps[j].kind == BQL_STEP_ARCHIVE_BATCH) {
               archive = &w->row_steps[j];
            } else if (w->row_steps[j].kind == BQL_STEP_DELETE_BATCH) {
               del = &w->row_steps[j];
            }
         }
         ok = bql_exec_match_rows_batch (w, archive, del, b, info, errs);
         i = w->n_row_steps;
         break;
      }
      case BQL_STEP_READ_EXISTING_IDS:
      case BQL_STEP_INSERT_NEW_IDS:
         break; /* run by the upserts' step after it (write_rows.c) */
      case BQL_STEP_MARK_IN_FLIGHT:
         ok = bql_operation_mark_rows (w, b); /* before the batch's write */
         break;
      default:
         break; /* run by the MATCH_ROWS step before it */
      }
   }
   return ok;
}

/* A run of row steps steps[0..n): open the rows (the first pass's replay,
 * VALUES, or the file), drop the target when asked (once the input is
 * open: a missing file drops nothing), then feed every batch to the
 * steps. */
static bool
run_rows (bql_exec_t *x, bql_writer_t *w, const bql_step_t *steps, size_t n, const bql_step_t *drop,
          bql_source_t *src)
{
   /* set before the pipeline makes its writers (bql_writer_init copies it) */
   x->row_steps = steps;
   x->n_row_steps = n;
   w->row_steps = steps;
   w->n_row_steps = n;
   if (!src) {
      src = x->replay;
      x->replay = NULL;
   }
   if (!src) {
      src = bql_exec_open_source (x);
   }
   if (!src) {
      return false;
   }
   if (drop && !bql_exec_drop_step (x, w, drop)) {
      bql_source_close (src);
      return false;
   }
   bool ok = bql_exec_rows (x, w, src, row_batch);
   bql_source_close (src);
   if (steps[0].kind == BQL_STEP_MATCH_ROWS) {
      ok = bql_exec_match_rows_done (x, ok);
   }
   return ok;
}

/* What a step that runs once needs a server feature for, added to the
 * feature's name in messages. */
static const char *
feature_use (const bql_step_t *st, const char *feature)
{
   if (!strcmp (feature, BQL_FEATURE_DATE_TRUNC) || !strcmp (feature, BQL_FEATURE_DATE_PARTS)) {
      return st->if_date_trunc < 0 ? ", needed by DATE and DATE_TRUNC on a server without $dateTrunc"
                                   : ", needed by DATE and DATE_TRUNC";
   }
   return st->kind == BQL_STEP_ENSURE_INDEX ? ", needed by retention_period"
          : st->kind == BQL_STEP_MERGE      ? ", needed by server_side = true"
                                            : "";
}

/* Does st run on w's server? A MERGE step with if_server_has_merge only
 * when it has $merge (the cursor path after it is the other choice); a
 * step of a pair by if_date_trunc only when the server has $dateTrunc
 * (1) or has not (-1). By the probe (caps.c, once per connection). */
static bool
step_chosen (bql_writer_t *w, const bql_step_t *st)
{
   if (!st->if_server_has_merge && !st->if_date_trunc) {
      return true;
   }
   const bql_caps_t *c = bql_caps_get (&w->caps, w->client);
   if (st->if_server_has_merge && !c->merge) {
      return false;
   }
   return !st->if_date_trunc || (st->if_date_trunc > 0) == c->date_trunc;
}

/* Before any step runs: a step that runs once, is chosen for this server
 * (step_chosen) and needs a server feature the server lacks (by its
 * probe, caps.c) refuses the statement, with nothing written. (A step
 * that runs per batch asks before each batch's command, and fails that
 * batch: where.c, write_rows.c.) */
static bool
check_once_steps (bql_exec_t *x, bql_writer_t *w)
{
   const bql_steps_t *s = &x->plan->steps;
   for (size_t i = 0; i < s->n; i++) {
      const bql_step_t *st = &s->items[i];
      const char *why;
      bool required = st->flow == BQL_FLOW_ONCE && bql_step_needs (st) && step_chosen (w, st);
      const char *feature = required ? bql_writer_lacks (w, bql_step_needs (st), &why) : NULL;
      if (feature) {
         return bql_exec_fail (x, BQL_ERR_SERVER, 0, "the server does not support %s%s: %s, so nothing was sent",
                               feature, feature_use (st, feature), why);
      }
      /* a constant of the statement (WHERE m = DECIMAL '1.10', SET x = x -
       * DECIMAL '0.10') the server cannot take: every command holding it
       * would be lost with the connection */
      feature = step_chosen (w, st) ? bql_writer_refuses_command (w, &st->command, &why) : NULL;
      if (feature) {
         return bql_exec_fail (x, BQL_ERR_SERVER, 0,
                               "the server does not support %s: the statement holds one (%s), so nothing was sent",
                               feature, why);
      }
   }
   return true;
}

/* The steps, on w (the statement's thread's writer, with its tally). */
static bool
run_steps (bql_exec_t *x, bql_writer_t *w)
{
   const bql_steps_t *s = &x->plan->steps;
   const bql_step_t *drop = NULL;
   bool ok = check_once_steps (x, w);
   for (size_t i = 0; ok && i < s->n; i++) {
      const bql_step_t *st = &s->items[i];
      size_t j = i + 1;
      switch (st->kind) {
      case BQL_STEP_DROP:
         /* run by the rows' step, once its input is open; not again by
          * a resumed operation that completed a batch or marked one in
          * flight: it dropped the target before, and a second drop would
          * lose the rows written since. One interrupted before that may
          * have been killed before its drop: it drops (again), and every
          * row it may have written is sent again (in doubt: found gone) */
         drop = x->resume && (x->resume->n_completed > 0 || x->resume->n_in_flight > 0 ||
                              !bson_empty (&x->resume->in_flight_ids))
                   ? NULL
                   : st;
         break;
      case BQL_STEP_COUNT:
         ok = run_count (x, w, st);
         break;
      case BQL_STEP_COUNT_GUARD:
         ok = run_count_guard (x, w, st);
         break;
      case BQL_STEP_COUNT_ROWS_GUARD:
         ok = bql_exec_count_rows_guard (x, w, st);
         break;
      case BQL_STEP_ENSURE_INDEX:
         /* a refusal of a server whose probe said it has the feature:
          * the server's message, with the feature named */
         ok = bql_exec_command_step (w, st, BQL_FEATURE_TTL ", needed by retention_period");
         break;
      case BQL_STEP_SCAN_IDS:
         while (j < s->n && s->items[j].flow == BQL_FLOW_EACH_ID_BATCH) {
            j++;
         }
         ok = bql_exec_scan_ids (x, w, st, st + 1, j - i - 1);
         i = j - 1;
         break;
      case BQL_STEP_UPDATE_BATCH:
      case BQL_STEP_DELETE_BATCH:
         /* without a scan before it: once, over the whole filter */
         ok = bql_exec_write_all (x, w, st);
         break;
      case BQL_STEP_OPEN_OPERATION:
         bql_operation_open (x, st);
         break;
      case BQL_STEP_MARK_IN_FLIGHT:
         if (st->flow != BQL_FLOW_EACH_ROW_BATCH) {
            /* before the one write over the whole filter (no scan) */
            ok = bql_operation_mark_ids (w, NULL);
            break;
         }
         /* fall through: the first of a run of row steps */
      case BQL_STEP_INSERT_ROWS:
      case BQL_STEP_READ_EXISTING_IDS:
      case BQL_STEP_INSERT_NEW_IDS:
      case BQL_STEP_UPSERT_ROWS:
      case BQL_STEP_UPDATE_ROWS:
      case BQL_STEP_MATCH_ROWS:
         while (j < s->n && (s->items[j].flow == BQL_FLOW_EACH_ROW_BATCH || s->items[j].flow == BQL_FLOW_REFUSED_ROWS)) {
            j++;
         }
         ok = run_rows (x, w, st, j - i, drop, NULL);
         drop = NULL;
         i = j - 1;
         break;
      case BQL_STEP_MERGE:
         if (!step_chosen (w, st)) {
            break; /* the other of its pair, or the cursor path after it */
         }
         if (drop && !bql_exec_drop_step (x, w, drop)) {
            ok = false;
            break;
         }
         drop = NULL;
         ok = bql_exec_merge_step (x, w, st);
         /* instead of the other of its pair and the cursor path */
         while (j < s->n && (s->items[j].kind == BQL_STEP_MERGE || s->items[j].kind == BQL_STEP_AGGREGATE ||
                             s->items[j].kind == BQL_STEP_READ_ALL_IDS ||
                             s->items[j].flow == BQL_FLOW_EACH_ROW_BATCH || s->items[j].flow == BQL_FLOW_REFUSED_ROWS)) {
            j++;
         }
         i = j - 1;
         break;
      case BQL_STEP_AGGREGATE: {
         if (!step_chosen (w, st)) {
            break; /* the other of its pair */
         }
         /* its cursor feeds the run of row steps after it (and after the
          * other of its pair) */
         while (j < s->n && s->items[j].kind == BQL_STEP_AGGREGATE) {
            j++;
         }
         size_t first = j;
         while (j < s->n && (s->items[j].flow == BQL_FLOW_EACH_ROW_BATCH || s->items[j].flow == BQL_FLOW_REFUSED_ROWS)) {
            j++;
         }
         bql_source_t *src = bql_exec_open_cursor (x, st);
         ok = src && run_rows (x, w, &s->items[first], j - first, drop, src);
         drop = NULL;
         i = j - 1;
         break;
      }
      case BQL_STEP_ARCHIVE_BATCH:
      case BQL_STEP_ARCHIVE_REPLACE:
      case BQL_STEP_DUPLICATE_KEY_UPDATE:
         /* always inside a scan or a run of row steps */
         ok = bql_exec_fail (x, BQL_ERR_INVALID_ARG, 0, "a %s step outside a batch", bql_step_kind_name (st->kind));
         break;
      case BQL_STEP_READ_STORED_IDS:
         break; /* run by the upserts' step before it, for a failed batch (write_rows.c) */
      case BQL_STEP_READ_ALL_IDS:
         break; /* run with the first batch whose rows name an _id (row_batch), before its row steps, on a
                   server whose _id lookups read the whole collection (write_rows.c) */
      case BQL_STEP_WRITE_ERROR_RECORD:
         /* written as batches finish (bql_exec_finish_batch) */
         break;
      case BQL_STEP_CHECKPOINT:
      case BQL_STEP_CHECK_OPERATION:
      case BQL_STEP_HEARTBEAT:
         /* beside the batches, as they complete (where.c, rows.c) or
          * wait (the statement's wait_hook) */
         break;
      case BQL_STEP_WRITE_METRICS:
      case BQL_STEP_FINISH_OPERATION:
         break; /* END: bql_exec_run_end_steps */
      }
      /* what the step's writes added up (its error among them) */
      ok = bql_exec_add_tally (x, w->tally) && ok;
   }
   if (x->replay) {
      bql_source_close (x->replay);
      x->replay = NULL;
   }
   return ok;
}

bool
bql_exec_run_steps (bql_exec_t *x)
{
   bql_writer_t w;
   bql_write_tally_t tally;
   bql_writer_init (&w, x, x->client);
   bql_write_tally_init (&tally);
   w.tally = &tally;
   bool ok = run_steps (x, &w);
   ok = bql_exec_add_tally (x, &tally) && ok;
   bql_write_tally_cleanup (&tally);
   bql_writer_cleanup (&w);
   return ok;
}

void
bql_exec_run_end_steps (bql_exec_t *x, const bson_t *reply)
{
   /* FINISH_OPERATION: how the statement ended, before its metrics */
   const bql_step_t *finish = bql_steps_find (&x->plan->steps, BQL_STEP_FINISH_OPERATION);
   if (finish) {
      bql_operation_finish (x, finish);
   }
   /* WRITE_METRICS. The plan has the step when its options ask for the
    * record; the run's options (bql_exec_options_t.opts "metrics") may
    * turn it on or off, and a dry run, which has no such step, returns
    * the record in the reply instead: bql_exec_write_metrics decides
    * from the run's options. */
   bql_exec_write_metrics (x, reply);
}
