/*
 * resume.c — bql_operation_resume (bulkql/operations.h): RESUME
 * OPERATION 'id' and bulkql --resume ID. It finds the operation's
 * document in bulkql_operations, refuses (writing nothing) what must not
 * be resumed — an unknown id, a final state, a process still holding it,
 * a source that cannot be read again or has changed, a statement that
 * differs — plans the stored statement (or checks the caller's), marks
 * the operation InProgress again with one conditional update, and runs
 * the plan through exec.c as the same operation, with its checkpoint
 * (resume_rows.c) telling the writers which rows are done and which in
 * doubt.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulkql/operations.h"
#include "executor.h"
#include "operation.h"
#include "write_path.h"

#define OPERATIONS_COLLECTION "bulkql_operations"

/* An InProgress (or Open) operation whose heartbeat is younger than
 * BQL_OPERATION_STALE_MS (the age from which listings call it
 * Interrupted) is taken to be running in another process, and is not
 * resumed. */

/* The head of a file that its headHash covers. */
#define HEAD_BYTES ((size_t) 1 << 20)

static bool refuse (bql_error_t *e, bql_error_code_t code, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

static bool
refuse (bql_error_t *e, bql_error_code_t code, const char *fmt, ...)
{
   bql_error_clear (e);
   e->domain = code == BQL_ERR_INVALID_ARG ? BQL_ERROR_USAGE : BQL_ERROR_EXECUTE;
   e->code = code;
   va_list ap;
   va_start (ap, fmt);
   vsnprintf (e->message, sizeof e->message, fmt, ap);
   va_end (ap);
   return false;
}

static void
hint (bql_error_t *e, const char *text)
{
   snprintf (e->hint, sizeof e->hint, "%s", text);
}

/* The document of operation id in db's bulkql_operations: true with doc
 * set (initialised) when found; false with *found false when not there,
 * or with the error set when the server could not be asked. A server
 * that went away is waited for within w's retry policy (w NULL: one
 * attempt). */
static bool
find_in (mongoc_client_t *client, struct bql_writer *w, const char *db, const char *id, bson_t *doc, bool *failed,
         bql_error_t *error)
{
   mongoc_collection_t *coll = mongoc_client_get_collection (client, db, OPERATIONS_COLLECTION);
   bson_t filter = BSON_INITIALIZER;
   BSON_APPEND_UTF8 (&filter, "_id", id);
   bool found;
   bson_error_t berr;
   int retries = 0;
   for (;;) {
      mongoc_cursor_t *cur = mongoc_collection_find_with_opts (coll, &filter, NULL, NULL);
      const bson_t *d;
      found = mongoc_cursor_next (cur, &d);
      if (found) {
         bson_copy_to (d, doc);
      }
      const bson_t *reply = NULL;
      *failed = !found && mongoc_cursor_error_document (cur, &berr, &reply);
      bool again = *failed && w && bql_write_path_again (w, &berr, reply, &retries);
      mongoc_cursor_destroy (cur);
      if (!again) {
         break;
      }
   }
   if (*failed) {
      char what[200], tries[96] = "";
      if (w) {
         bql_writer_retries_ran_out (w, retries, tries, sizeof tries);
      }
      snprintf (what, sizeof what, "read %s.%s%s", db, OPERATIONS_COLLECTION, tries);
      bql_operation_server_error (error, &berr, what);
   }
   bson_destroy (&filter);
   mongoc_collection_destroy (coll);
   return found;
}

bool
bql_operation_find (mongoc_client_t *client, struct bql_writer *w, const char *first, const char *id, bson_t *doc,
                    char **db, bql_error_t *error)
{
   bool failed = false;
   if (first && find_in (client, w, first, id, doc, &failed, error)) {
      *db = bson_strdup (first);
      return true;
   }
   if (failed) {
      return false;
   }
   bson_error_t berr;
   /* (libmongoc asks for nameOnly itself) */
   char **names;
   int retries = 0;
   while (!(names = mongoc_client_get_database_names_with_opts (client, NULL, &berr)) && w &&
          bql_write_path_again (w, &berr, NULL, &retries)) {
   }
   if (!names) {
      return bql_operation_server_error (error, &berr, "list the databases to find the operation");
   }
   bool found = false;
   for (size_t i = 0; names[i] && !found && !failed; i++) {
      if (first && !strcmp (names[i], first)) {
         continue;
      }
      if (find_in (client, w, names[i], id, doc, &failed, error)) {
         *db = bson_strdup (names[i]);
         found = true;
      }
   }
   bson_strfreev (names);
   if (!found && !failed) {
      refuse (error, BQL_ERR_REFUSED, "no operation %s: no database's %s holds it", id, OPERATIONS_COLLECTION);
      hint (error, "bulkql --operations lists the operations of a database (--db).");
   }
   return found;
}

/* doc's string field key, or NULL. */
static const char *
str_field (const bson_t *doc, const char *key)
{
   bson_iter_t it;
   return bson_iter_init_find (&it, doc, key) && BSON_ITER_HOLDS_UTF8 (&it) ? bson_iter_utf8 (&it, NULL) : NULL;
}

/* doc's date (or number) field at a dotted path in milliseconds; false
 * when missing. */
static bool
ms_field (const bson_t *doc, const char *path, int64_t *ms)
{
   bson_iter_t it, d;
   if (!bson_iter_init (&it, doc) || !bson_iter_find_descendant (&it, path, &d)) {
      return false;
   }
   if (BSON_ITER_HOLDS_DATE_TIME (&d)) {
      *ms = bson_iter_date_time (&d);
      return true;
   }
   if (BSON_ITER_HOLDS_INT32 (&d) || BSON_ITER_HOLDS_INT64 (&d) || BSON_ITER_HOLDS_DOUBLE (&d)) {
      *ms = bson_iter_as_int64 (&d);
      return true;
   }
   return false;
}

/* A date in milliseconds as "2026-12-06T21:40:00.000Z" (UTC). */
static void
iso_ms (int64_t ms, char *out, size_t n)
{
   time_t t = (time_t) (ms / 1000);
   struct tm tm;
   gmtime_r (&t, &tm);
   char day[24];
   if (strftime (day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
      day[0] = '\0';
   }
   snprintf (out, n, "%.23s.%03dZ", day, (int) ((ms % 1000 + 1000) % 1000));
}

/* Is the process that held the operation known to be gone: on this
 * host, and no process has its pid? (Another host's process, or a pid
 * in use, is taken to be alive while its heartbeat is fresh.) */
static bool
holder_is_gone (const char *host, int64_t pid)
{
   char mine[256] = "";
   if (!host || pid <= 0 || pid > INT32_MAX || gethostname (mine, sizeof mine - 1) != 0 || strcmp (mine, host) != 0) {
      return false;
   }
   if ((pid_t) pid == getpid ()) {
      return true; /* this process: resumed after its own run stopped */
   }
   return kill ((pid_t) pid, 0) != 0 && errno == ESRCH;
}

/* May an operation in this state, with this heartbeat, be resumed? */
static bool
check_state (const bson_t *doc, const char *id, bql_error_t *error)
{
   const char *state = str_field (doc, "state");
   if (!state) {
      return refuse (error, BQL_ERR_VALUE, "operation %s has no state: its document is not one of BulkQL's", id);
   }
   if (!strcmp (state, "Complete")) {
      refuse (error, BQL_ERR_REFUSED, "operation %s is Complete: there is nothing to resume", id);
      return false;
   }
   if (!strcmp (state, "Aborted")) {
      const char *reason = str_field (doc, "reason");
      refuse (error, BQL_ERR_REFUSED, "operation %s was Aborted%s%s%s: an aborted operation is final and cannot be resumed",
              id, reason ? " (" : "", reason ? reason : "", reason ? ")" : "");
      hint (error, "Run the statement again as a new operation if it is still wanted.");
      return false;
   }
   if (strcmp (state, "Open") && strcmp (state, "InProgress") && strcmp (state, "Failed")) {
      return refuse (error, BQL_ERR_VALUE, "operation %s has the unknown state \"%s\"", id, state);
   }
   int64_t beat;
   if (strcmp (state, "Failed") != 0 && ms_field (doc, "heartbeatAt", &beat)) {
      int64_t age = bql_wall_ms () - beat;
      const char *host = str_field (doc, "host");
      bson_iter_t it;
      int64_t pid = bson_iter_init_find (&it, doc, "pid") && (BSON_ITER_HOLDS_INT32 (&it) || BSON_ITER_HOLDS_INT64 (&it))
                       ? bson_iter_as_int64 (&it)
                       : 0;
      if (age < BQL_OPERATION_STALE_MS && !holder_is_gone (host, pid)) {
         refuse (error, BQL_ERR_REFUSED,
                 "operation %s is %s in another process (pid %lld on %s): its heartbeat is %.1f s old", id, state,
                 (long long) pid, host ? host : "an unknown host", age > 0 ? (double) age / 1000.0 : 0.0);
         hint (error, "A running operation cannot be resumed. If that process is gone, resume once its heartbeat is "
                      "60 s old (listed as Interrupted).");
         return false;
      }
   }
   return true;
}

/* The statement to run: the caller's plan (checked against the
 * document), or the stored statement parsed and planned into *script
 * and *plan (the caller destroys them). */
static bool
statement_plan (const bson_t *doc, const char *id, const bql_resume_options_t *o, bql_script_t **script,
                bql_plan_t **owned, const bql_plan_t **plan, bql_error_t *error)
{
   const char *hash = str_field (doc, "statementHash");
   const char *text = str_field (doc, "statement");
   const char *database = str_field (doc, "database");
   const char *collection = str_field (doc, "collection");
   bson_iter_t it;
   bool truncated = bson_iter_init_find (&it, doc, "statementTruncated") && BSON_ITER_HOLDS_BOOL (&it) &&
                    bson_iter_bool (&it);
   if (!hash || !text || !database || !collection) {
      return refuse (error, BQL_ERR_VALUE,
                     "operation %s's document lacks its statement, statementHash, database or collection", id);
   }
   if (o->plan) {
      const char *given = o->plan->statement_text ? o->plan->statement_text : "";
      char h[17];
      bql_fnv1a64_hex (given, strlen (given), h);
      if (strcmp (h, hash) != 0) {
         refuse (error, BQL_ERR_REFUSED,
                 "the statement given is not operation %s's: its hash is %s, the operation's statementHash is %s", id,
                 h, hash);
         hint (error, "A resume runs the operation's own statement, with the same text: give it unchanged, or "
                      "give none to run the one stored.");
         return false;
      }
      *plan = o->plan;
   } else if (truncated) {
      refuse (error, BQL_ERR_REFUSED,
              "operation %s's statement is longer than the 4096 bytes stored (statementTruncated): give the "
              "statement with -f or -c",
              id);
      hint (error, "bulkql --resume ID -f FILE runs FILE's statement once its text is checked against the "
                   "operation's statementHash.");
      return false;
   } else {
      bql_parse_options_t po = {.size = sizeof po, .filename = id};
      if (!bql_parse (text, strlen (text), &po, script, error)) {
         snprintf (error->detail, sizeof error->detail, "in the statement stored in operation %s", id);
         return false;
      }
      if (bql_script_statement_count (*script) != 1) {
         return refuse (error, BQL_ERR_VALUE, "operation %s's statement is not one statement", id);
      }
      bql_plan_options_t plo = {.size = sizeof plo, .database = database, .params = o->params};
      if (!bql_plan_new (*script, 0, &plo, owned, error)) {
         snprintf (error->detail, sizeof error->detail, "in the statement stored in operation %s", id);
         return false;
      }
      *plan = *owned;
      char h[17];
      bql_fnv1a64_hex ((*owned)->statement_text, strlen ((*owned)->statement_text), h);
      if (strcmp (h, hash) != 0) {
         return refuse (error, BQL_ERR_VALUE,
                        "operation %s's statement does not hash to its statementHash (%s): the document was changed",
                        id, hash);
      }
   }
   const bql_plan_t *p = *plan;
   if (p->explain || p->opts.dry_run) {
      return refuse (error, BQL_ERR_INVALID_ARG, "a resume writes: its plan cannot be an EXPLAIN or a dry run");
   }
   if (strcmp (p->database, database) != 0 || strcmp (p->collection, collection) != 0) {
      return refuse (error, BQL_ERR_REFUSED, "the statement given writes to %s.%s, operation %s wrote to %s.%s",
                     p->database, p->collection, id, database, collection);
   }
   return true;
}

/* FNV-1a 64 of the first MiB of f, as 16 hex digits. */
static bool
head_hash (FILE *f, char hex[17])
{
   uint64_t h = UINT64_C (0xcbf29ce484222325);
   char buf[65536];
   size_t total = 0, n;
   while (total < HEAD_BYTES && (n = fread (buf, 1, sizeof buf, f)) > 0) {
      if (total + n > HEAD_BYTES) {
         n = HEAD_BYTES - total;
      }
      for (size_t i = 0; i < n; i++) {
         h ^= (unsigned char) buf[i];
         h *= UINT64_C (0x100000001b3);
      }
      total += n;
   }
   snprintf (hex, 17, "%016llx", (unsigned long long) h);
   return !ferror (f);
}

/* The source the operation read: may it be read again, unchanged? For a
 * file, *path is the stored absolute path (the run reads it). */
static bool
check_source (const bson_t *doc, const char *id, const bql_plan_t *plan, const char **path, bql_error_t *error)
{
   bson_iter_t it, si;
   *path = NULL;
   if (plan->select) {
      /* a second run of the aggregate may give other rows, or the same
       * ones in another order: the checkpoint's row numbers would not
       * name the same rows */
      refuse (error, BQL_ERR_REFUSED,
              "operation %s read its rows from a SELECT: a second run of its pipeline may give other rows, so it "
              "cannot be resumed",
              id);
      hint (error, "Run the statement again as a new operation: an UPSERT keyed on the rows' columns updates what "
                   "the first run wrote.");
      return false;
   }
   if (!bson_iter_init_find (&it, doc, "source") || !BSON_ITER_HOLDS_DOCUMENT (&it) || !bson_iter_recurse (&it, &si)) {
      return refuse (error, BQL_ERR_VALUE, "operation %s's document has no source", id);
   }
   bson_t src;
   uint32_t len;
   const uint8_t *data;
   bson_iter_document (&it, &len, &data);
   bson_init_static (&src, data, len);
   const char *type = str_field (&src, "type");
   if (!type) {
      return refuse (error, BQL_ERR_VALUE, "operation %s's source has no type", id);
   }
   if (!strcmp (type, "stdin")) {
      refuse (error, BQL_ERR_REFUSED, "operation %s read FROM STDIN: its rows cannot be read again, so it cannot be resumed",
              id);
      hint (error, "Load the rest from a file as a new operation (rows after the last one written).");
      return false;
   }
   if (strcmp (type, "file") != 0) {
      return true; /* VALUES: the statement's hash says it all; WHERE: the stored documents */
   }
   const char *stored = str_field (&src, "path");
   bson_iter_t sz;
   int64_t mtime;
   const char *head = str_field (&src, "headHash");
   if (!stored || !bson_iter_init_find (&sz, &src, "size") ||
       !(BSON_ITER_HOLDS_INT32 (&sz) || BSON_ITER_HOLDS_INT64 (&sz) || BSON_ITER_HOLDS_DOUBLE (&sz)) ||
       !ms_field (&src, "mtime", &mtime) || !head) {
      return refuse (error, BQL_ERR_VALUE, "operation %s's source lacks its path, size, mtime or headHash", id);
   }
   int64_t size = bson_iter_as_int64 (&sz);
   if (plan->file_path) {
      /* the caller's statement must read the same file */
      char abs[PATH_MAX];
      const char *mine = realpath (plan->file_path, abs) ? abs : plan->file_path;
      if (strcmp (mine, stored) != 0) {
         return refuse (error, BQL_ERR_REFUSED, "the statement reads %s, operation %s read %s", mine, id, stored);
      }
   }
   FILE *f = fopen (stored, "rb");
   struct stat sb;
   if (!f || fstat (fileno (f), &sb) != 0) {
      int err = errno;
      if (f) {
         fclose (f);
      }
      return refuse (error, BQL_ERR_REFUSED, "operation %s read %s, which cannot be read now: %s", id, stored,
                     strerror (err));
   }
   int64_t now_mtime = (int64_t) sb.st_mtim.tv_sec * 1000 + sb.st_mtim.tv_nsec / 1000000;
   char now_head[17];
   bool read = head_hash (f, now_head);
   fclose (f);
   char then[48], now[48];
   if ((int64_t) sb.st_size != size) {
      refuse (error, BQL_ERR_REFUSED,
              "%s changed since operation %s read it: its size was %lld bytes, it is %lld now", stored, id,
              (long long) size, (long long) sb.st_size);
   } else if (now_mtime != mtime) {
      iso_ms (mtime, then, sizeof then);
      iso_ms (now_mtime, now, sizeof now);
      refuse (error, BQL_ERR_REFUSED, "%s changed since operation %s read it: it was modified at %s, now at %s",
              stored, id, then, now);
   } else if (!read || strcmp (now_head, head) != 0) {
      refuse (error, BQL_ERR_REFUSED,
              "%s changed since operation %s read it: the hash of its first MiB was %s, it is %s now", stored, id,
              head, read ? now_head : "unreadable");
   } else {
      *path = stored;
      return true;
   }
   hint (error, "A resume reads the same rows again to number them: the file must be the one the operation read.");
   return false;
}

/* The claim of an operation (claim): one conditional update, sent
 * through the write path so that a server restart is ridden through as
 * for a batch. */
typedef struct {
   mongoc_client_t *client;
   const char *db, *id;
   int32_t resumes;     /* the claim's number: the document's resumes + 1 */
   bson_t filter, update;
   int sends;
   bool done, claimed;
   bool unknown;        /* lost, and the server could not be asked */
} claim_t;

/* Does the document say this process holds the operation with this
 * claim (resumes, host and pid)? -1 when it could not be read. */
static int
claimed_by_me (claim_t *c)
{
   bson_t found = BSON_INITIALIZER;
   bool failed = false;
   bql_error_t scratch;
   int mine = 0;
   if (find_in (c->client, NULL, c->db, c->id, &found, &failed, &scratch)) {
      bson_iter_t it;
      char host[256] = "";
      gethostname (host, sizeof host - 1);
      const char *h = str_field (&found, "host");
      mine = bson_iter_init_find (&it, &found, "resumes") && BSON_ITER_HOLDS_INT32 (&it) &&
             bson_iter_int32 (&it) == c->resumes && bson_iter_init_find (&it, &found, "pid") &&
             BSON_ITER_HOLDS_INT32 (&it) && bson_iter_int32 (&it) == (int32_t) getpid () && h && !strcmp (h, host);
   } else if (failed) {
      mine = -1;
   }
   bson_destroy (&found);
   return mine;
}

static bool
claim_add (void *ctx, mongoc_bulk_operation_t *bulk, size_t *nops)
{
   claim_t *c = ctx;
   *nops = 0;
   if (c->done) {
      return true;
   }
   bson_error_t e;
   if (!mongoc_bulk_operation_update_one_with_opts (bulk, &c->filter, &c->update, NULL, &e)) {
      c->done = true;
      return true;
   }
   c->sends++;
   *nops = 1;
   return true;
}

static bool
claim_settle (void *ctx, const bql_write_result_t *r)
{
   claim_t *c = ctx;
   bson_iter_t it;
   c->done = true;
   c->claimed = r->write_errors.n == 0 && bson_iter_init_find (&it, &r->reply, "nMatched") && bson_iter_as_int64 (&it) == 1;
   if (!c->claimed && c->sends > 1) {
      /* sent again after a lost reply: the lost attempt may have claimed it */
      int mine = claimed_by_me (c);
      c->claimed = mine == 1;
      c->unknown = mine < 0;
   }
   return true;
}

static bql_recover_rc_t
claim_recover (void *ctx, const bql_write_result_t *r)
{
   claim_t *c = ctx;
   (void) r;
   int mine = claimed_by_me (c);
   if (mine < 0) {
      return BQL_RECOVER_ASK_AGAIN;
   }
   if (mine == 1) {
      c->done = c->claimed = true; /* the lost attempt claimed it */
   }
   return BQL_RECOVER_RESEND;
}

static bool
claim_give_up (void *ctx, const bql_write_result_t *r, bql_give_up_t why, int retries)
{
   claim_t *c = ctx;
   (void) r;
   (void) why;
   (void) retries;
   c->done = true;
   c->unknown = true;
   return true;
}

/* Mark the operation InProgress again, for this process: one update
 * conditioned on the state, heartbeat and claim (resumes) read, so that
 * of two processes resuming it at once one only does. It sets resumes to
 * the claim's number: every later update of the document (operation.c)
 * has it in its filter, so that a write of the process it was taken from
 * that lands after the claim (sent before that process was killed)
 * matches nothing. Sent through the write path (w): a lost reply is
 * resolved by reading the document, and the server is waited for within
 * the statement's retry policy. */
static bool
claim (mongoc_client_t *client, bql_writer_t *w, const char *db, const bson_t *doc, const char *id, int32_t resumes,
       bql_error_t *error)
{
   mongoc_collection_t *coll = mongoc_client_get_collection (client, db, OPERATIONS_COLLECTION);
   claim_t c = {.client = client, .db = db, .id = id, .resumes = resumes};
   bson_init (&c.filter);
   bson_init (&c.update);
   bson_t set;
   bson_iter_t it;
   BSON_APPEND_UTF8 (&c.filter, "_id", id);
   if (bson_iter_init_find (&it, doc, "state")) {
      bson_append_iter (&c.filter, "state", 5, &it);
   }
   if (bson_iter_init_find (&it, doc, "heartbeatAt")) {
      bson_append_iter (&c.filter, "heartbeatAt", 11, &it);
   }
   if (bson_iter_init_find (&it, doc, "resumes")) {
      bson_append_iter (&c.filter, "resumes", 7, &it);
   }
   char host[256] = "";
   gethostname (host, sizeof host - 1);
   int64_t now = bql_wall_ms ();
   bson_append_document_begin (&c.update, "$set", 4, &set);
   BSON_APPEND_UTF8 (&set, "state", "InProgress");
   BSON_APPEND_DATE_TIME (&set, "updatedAt", now);
   BSON_APPEND_DATE_TIME (&set, "heartbeatAt", now);
   BSON_APPEND_UTF8 (&set, "host", host);
   BSON_APPEND_INT32 (&set, "pid", (int32_t) getpid ());
   BSON_APPEND_INT32 (&set, "resumes", resumes);
   bson_append_document_end (&c.update, &set);
   bson_append_document_begin (&c.update, "$unset", 6, &set);
   BSON_APPEND_UTF8 (&set, "reason", "");
   BSON_APPEND_UTF8 (&set, "finishedAt", "");
   bson_append_document_end (&c.update, &set);
   bql_write_step_t step = {.ctx = &c,
                            .coll = coll,
                            .database = db,
                            .ordered = true,
                            .no_bypass = true,
                            .add = claim_add,
                            .settle = claim_settle,
                            .recover = claim_recover,
                            .give_up = claim_give_up};
   int retries = 0;
   bool ran = bql_write_path_run (w, &step, &retries);
   bool ok = ran && c.claimed;
   if (!ran) {
      *error = w->tally->error;
   } else if (c.unknown) {
      char tries[96];
      refuse (error, BQL_ERR_CONNECTION,
              "cannot mark operation %s InProgress%s: the server could not be reached; nothing was written to its "
              "collection",
              id, bql_writer_retries_ran_out (w, retries, tries, sizeof tries));
   } else if (!c.claimed) {
      refuse (error, BQL_ERR_REFUSED,
              "operation %s changed while it was being resumed (another process resumed or aborted it)", id);
   }
   bson_destroy (&c.filter);
   bson_destroy (&c.update);
   mongoc_collection_destroy (coll);
   return ok;
}

bool
bql_operation_resume (mongoc_client_t *client, const char *operation_id, const bql_resume_options_t *options,
                      const bql_exec_options_t *exec_options, bson_t *reply, bql_error_t *error)
{
   bql_error_t scratch;
   if (!error) {
      error = &scratch;
   }
   bql_error_clear (error);
   if (reply) {
      bson_init (reply);
   }
   if (!client || !operation_id || !reply) {
      return refuse (error, BQL_ERR_INVALID_ARG, "bql_operation_resume: NULL argument");
   }
   char id[25];
   size_t n = strlen (operation_id);
   bool hex = n == 24;
   for (size_t i = 0; hex && i < n; i++) {
      hex = isxdigit ((unsigned char) operation_id[i]) != 0;
      id[i] = (char) tolower ((unsigned char) operation_id[i]);
   }
   if (!hex) {
      return refuse (error, BQL_ERR_INVALID_ARG, "invalid operation id \"%.40s\": expected 24 hexadecimal digits",
                     operation_id);
   }
   id[24] = '\0';
   bql_resume_options_t o;
   memset (&o, 0, sizeof o);
   if (options) {
      size_t k = options->size && options->size < sizeof o ? options->size : sizeof o;
      memcpy (&o, options, k);
   }
   bson_t doc = BSON_INITIALIZER;
   char *db = NULL;
   bql_script_t *script = NULL;
   bql_plan_t *owned = NULL;
   const bql_plan_t *plan = NULL;
   bql_resume_t r;
   bql_resume_init (&r);
   bool ok = false;
   const char *path;
   /* the resume's own commands wait for a server that went away, as a
    * batch does: before the statement is known, within the default
    * retry policy; the claim within the statement's */
   bql_exec_options_t xo;
   memset (&xo, 0, sizeof xo);
   if (exec_options) {
      size_t k = exec_options->size && exec_options->size < sizeof xo ? exec_options->size : sizeof xo;
      memcpy (&xo, exec_options, k);
   }
   xo.on_retry = NULL; /* (not a batch's) */
   bql_options_t defaults;
   bql_options_init (&defaults);
   bql_write_tally_t tally;
   bql_write_tally_init (&tally);
   bql_writer_t w;
   bql_writer_init_bare (&w, NULL, &defaults, &xo, client, &tally);
   if (!bql_operation_find (client, &w, o.database ? o.database : "test", id, &doc, &db, error) ||
       !check_state (&doc, id, error) || !statement_plan (&doc, id, &o, &script, &owned, &plan, error) ||
       !check_source (&doc, id, plan, &path, error) || !bql_resume_load (&r, &doc, error)) {
      goto done;
   }
   if (r.in_flight_all && !bql_plan_idempotent (plan)) {
      refuse (error, BQL_ERR_REFUSED,
              "operation %s's one update over the whole filter (batch_size = 0) was in flight when it was "
              "interrupted, and it is not idempotent: every matching document is in doubt, and it cannot be "
              "resumed without applying it twice",
              id);
      hint (error, "Check the documents by hand; with batch_size > 0 a resume knows which batch was in flight.");
      goto done;
   }
   if (path && owned && (!owned->file_path || strcmp (owned->file_path, path) != 0)) {
      /* the stored statement's FROM path may be relative (to its script's
       * folder): the run reads the file the operation read */
      bson_free (owned->file_path);
      owned->file_path = bson_strdup (path);
   }
   w.opts = &plan->opts;
   if (!claim (client, &w, db, &doc, id, r.resumes, error)) {
      goto done;
   }
   bson_destroy (reply);
   ok = bql_exec_statement (client, plan, exec_options, &r, reply, error);
   goto out;
done:
   if (!ok && error->domain == BQL_ERROR_NONE) {
      refuse (error, BQL_ERR_NOMEM, "cannot resume operation %s", id);
   }
out:
   bql_writer_cleanup (&w);
   bql_write_tally_cleanup (&tally);
   bql_options_cleanup (&defaults);
   bql_resume_cleanup (&r);
   bql_plan_destroy (owned);
   bql_script_destroy (script);
   bson_destroy (&doc);
   bson_free (db);
   return ok;
}
