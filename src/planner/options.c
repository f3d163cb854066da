/*
 * options.c — the WITH options (SPEC §2) from one table. Each row of
 * option_table gives an option's name, group, type and range, default,
 * the bql_options_t field it sets and its help line (options.h); the
 * defaults (bql_options_init), the checks (bql_options_resolve, for the
 * statement's WITH groups and the caller's opts document), EXPLAIN's
 * "options" (bql_options_append), the help text (bql_options_help), the
 * REPL's completion (bql_option_names, bql_option_group_names) and the man
 * page's option list (tests/tools/bql_options, scripts/man-options) all
 * read it. The grammar accepts any name = value; this file gives unknown,
 * repeated, mistyped and out-of-range options an error at their own span
 * with the nearest valid name (as mongo-c-driver checks opts against a
 * table and names unknown keys). Rules between options (check_rules) and
 * bql_options_batch (batch_size's default for the batches the client
 * still cuts) are the only code that names options; no code reads an
 * option by its position or assumes a field's width.
 */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "options.h"

/* The field an option sets: its offset, and its C type checked against
 * the declared one (a _Generic with no matching association does not
 * compile), so no field is written through the wrong width. */
#define FIELD(kind, ctype, f)                                                                                         \
   .field = kind, .offset = offsetof (bql_options_t, f) + 0 * sizeof (_Generic (((bql_options_t *) 0)->f, ctype : 1))
#define FIELD_I32(f) FIELD (BQL_FIELD_I32, int32_t, f)
#define FIELD_I64(f) FIELD (BQL_FIELD_I64, int64_t, f)
#define FIELD_BOOL(f) FIELD (BQL_FIELD_BOOL, bool, f)
#define FIELD_TRI(f) FIELD (BQL_FIELD_TRI, int, f)
#define FIELD_STR(f) FIELD (BQL_FIELD_STR, char *, f)
#define FIELD_WC FIELD (BQL_FIELD_WC, bson_t, write_concern)
#define FIELD_WC_J FIELD (BQL_FIELD_WC_J, bson_t, write_concern)

#define K_ALL BQL_OPT_K_ALL
#define K_DELETE BQL_OPT_K_DELETE
#define MB ((int64_t) 1 << 20)

static const char *const failed_records_modes[] = {"append", "overwrite", NULL};

/* Sorted by name. */
static const bql_opt_def_t option_table[] = {
   {.name = "allow_system", .group = "BULK_OPTIONS", .type = BQL_OPT_BOOL, .kinds = K_ALL, .def = false,
    .flags = BQL_OPTF_SHOW_GIVEN, FIELD_BOOL (allow_system), .syntax = "bool",
    .help = "may write into admin, local, config, system.*",
    .doc = "That is the target, the archive or the error collection; without it such a statement is refused\n"
           "at plan time, so it is never an accident.\n"},
   {.name = "archive_collection", .group = "ARCHIVAL_STRATEGY", .type = BQL_OPT_STRING, .kinds = K_DELETE,
    FIELD_STR (archive_collection), .syntax = "'name'", .help = "DELETE copies each document here first",
    .doc = "DELETE first copies every document it deletes to the archive\n(keyed by\n.BR _id ,\nwith\n"
           ".BR archivedAt ,\n.B archiveReason\nand\n.BR originalCollection ),\n"
           "and deletes only what was archived.\n"},
   {.name = "archive_reason", .group = "ARCHIVAL_STRATEGY", .type = BQL_OPT_STRING, .kinds = K_DELETE,
    FIELD_STR (archive_reason), .syntax = "'text'", .help = "the reason recorded with each archived document"},
   {.name = "batch_size", .group = "BATCH_CONFIG", .type = BQL_OPT_INT, .min = 0, .max = 100000, .kinds = K_ALL,
    .def = 1000, FIELD_I32 (batch_size), .syntax = "n", .help = "documents per round trip",
    .doc = "UPDATE and DELETE count ids; 0 sends one unbatched UPDATE or DELETE command\n"
           "(INSERT and UPSERT need at least 1).\n"},
   {.name = "bypass_validation", .group = "BULK_OPTIONS", .type = BQL_OPT_BOOL, .kinds = K_ALL, .def = false,
    FIELD_BOOL (bypass_validation), .syntax = "bool", .help = "sets bypassDocumentValidation on every write"},
   {.name = "checkpoint_interval", .group = "BATCH_CONFIG", .type = BQL_OPT_INT, .min = 1, .max = INT64_MAX,
    .kinds = K_ALL, .def = 1, FIELD_I64 (checkpoint_interval), .syntax = "n",
    .help = "checkpoint every n completed batches",
    .doc = "The operation's checkpoint (see\n.BR \"OPERATIONS AND RESUME\" )\nis written to\n.B bulkql_operations\n"
           "after every n completed batches and whenever the statement stops; in\nbetween, the operation's "
           "state is still read after every batch, so an\n.B \\-\\-abort\nfrom another process stops the "
           "statement within one batch.\n"},
   {.name = "continue_on_error", .group = "BULK_OPTIONS", .type = BQL_OPT_BOOL, .kinds = K_ALL, .def = false,
    FIELD_BOOL (continue_on_error), .syntax = "bool", .help = "go on after a batch with errors"},
   {.name = "drop", .group = "BULK_OPTIONS", .type = BQL_OPT_BOOL, .kinds = BQL_OPT_K_INSERT | BQL_OPT_K_UPSERT,
    .def = false, FIELD_BOOL (drop), .syntax = "bool", .help = "drop the collection before an INSERT/UPSERT",
    .doc = "The collection is dropped before the first batch (as\n.BR \"mongoimport \\-\\-drop\" ;\n"
           "only the target collection, and not with\n.BR dry_run ).\n"},
   {.name = "dry_run", .group = "BULK_OPTIONS", .type = BQL_OPT_BOOL, .kinds = K_ALL, .def = false,
    FIELD_BOOL (dry_run), .syntax = "bool", .help = "count what would be written",
    .doc = "Nothing is written, not even the metrics document or error records (see\n.BR LOGGING ).\n"},
   {.name = "error_collection", .group = "BULK_OPTIONS", .type = BQL_OPT_STRING, .kinds = K_ALL,
    .def_str = "bulk_operation_errors", .flags = BQL_OPTF_EMPTY_OFF, FIELD_STR (error_collection),
    .syntax = "'name'", .help = "per-batch error records, '' = off",
    .doc = "A record that cannot be written because the server went away is sent\nagain within\n.B retry_timeout\n"
           "(and\n.BR retry_attempts ),\nso a batch lost to a server restart has its record once the server is\n"
           "back; if it still cannot be written, the result's\n.B logFailures\nentry names the batch\n"
           ".RB ( batchIndex )\nand its rows\n.RB ( firstRow \", \" lastRow ).\nA record's\n.B statement\n"
           "holds up to 4 KB of the statement's text; of VALUES rows only the first is\n"
           "kept, as a sample, and the others are elided\n"
           ".RB ( \"VALUES (1, 'a') /* ... 11,999 more rows elided */\" ),\nin the\n.B bulk_operation_metrics\n"
           "document too.\nA failed row the server would not store as it is (a dotted, empty or\n"
           "repeated key, NaN, \\(+-Infinity, a Decimal128 on a server that stores none) is kept\nin the record as canonical Extended JSON text,\n"
           ".BR sampleDocumentJson ,\nwith\n.B sampleDocument\nnull.\n"},
   {.name = "failed_records_file", .group = "BULK_OPTIONS", .type = BQL_OPT_STRING, .kinds = K_ALL,
    FIELD_STR (failed_records_file), .syntax = "'path'", .help = "failed rows as NDJSON (a new file)",
    .doc = "Every failed row is written with its row number and error.\n"
           "The file is created readable by its owner only (0600); a symbolic link is\n"
           "never followed (refused, a dangling one too), and an existing file is\nrefused unless\n"
           ".B failed_records_mode\nsays what to do with it.\n"
           "Rows that cannot be written (a full disk) are counted and reported, and\nthe statement fails.\n"},
   {.name = "failed_records_mode", .group = "BULK_OPTIONS", .type = BQL_OPT_ENUM, .values = failed_records_modes,
    .kinds = K_ALL, .def_text = "an existing file is refused", .flags = BQL_OPTF_SHOW_GIVEN,
    FIELD_STR (failed_records_mode), .syntax = "'append' | 'overwrite'",
    .help = "what to do with an existing failed_records_file",
    .range_hint = "Without failed_records_mode an existing file is refused; 'append' adds to it, 'overwrite' "
                  "replaces it.",
    .doc = ".B append\nadds to an existing\n.BR failed_records_file ,\n.B overwrite\nempties it first.\n"
           "Without it, an existing file is an error and nothing is written.\n"},
   {.name = "journal", .group = "BULK_OPTIONS", .type = BQL_OPT_BOOL, .kinds = K_ALL, .def_text = "the server's",
    .flags = BQL_OPTF_NONE_DEFAULT, FIELD_WC_J, .syntax = "bool", .help = "the write concern's j"},
   {.name = "max_delete_count", .group = "DELETE_OPTIONS", .type = BQL_OPT_INT, .min = 0, .max = INT64_MAX,
    .kinds = K_DELETE, .def = -1, .def_text = "no limit", .flags = BQL_OPTF_NONE_DEFAULT,
    FIELD_I64 (max_delete_count), .syntax = "n", .help = "refuse a DELETE matching more",
    .doc = "A DELETE that matches more documents writes nothing.\n"},
   {.name = "max_errors", .group = "BULK_OPTIONS", .type = BQL_OPT_INT, .min = 0, .max = INT64_MAX, .kinds = K_ALL,
    .def = -1, .def_text = "unlimited", .flags = BQL_OPTF_NONE_DEFAULT, FIELD_I64 (max_errors), .syntax = "n",
    .help = "stop once n rows have failed"},
   {.name = "max_execution_time", .group = "BATCH_CONFIG", .type = BQL_OPT_SECONDS, .min = 1,
    .max = (int64_t) 1000000000 * 1000, .kinds = K_ALL, .def = 0, .def_text = "no limit",
    .flags = BQL_OPTF_NONE_DEFAULT, FIELD_I64 (max_execution_ms), .syntax = "s",
    .help = "stop cleanly after s seconds",
    .doc = "The statement reports what was done.\n"
           "Reading is bounded too: an input that never ends\n.RB ( /dev/zero ,\n"
           "a pipe that stays open) stops at the limit; the batch being read is not\nwritten.\n"},
   {.name = "memory_limit", .group = "BATCH_CONFIG", .type = BQL_OPT_SIZE, .min = MB, .max = MB << 20,
    .kinds = K_ALL, .def = 256 * MB, FIELD_I64 (memory_limit), .syntax = "'size'",
    .help = "bound on buffered documents",
    .doc = "An upsert on a server whose\n.B _id\nlookups read the whole collection keeps a record of the\n"
           "stored\n.B _id\nvalues (about 192 bytes each) within a quarter of it;\nover that, each batch reads "
           "its own.\n"},
   {.name = "metrics", .group = "BULK_OPTIONS", .type = BQL_OPT_BOOL, .kinds = K_ALL, .def = true,
    .flags = BQL_OPTF_SHOW_GIVEN, FIELD_BOOL (metrics), .syntax = "bool",
    .help = "the bulk_operation_metrics document", .doc = "See\n.BR LOGGING .\n"},
   {.name = "operations_database", .group = "BULK_OPTIONS", .type = BQL_OPT_STRING, .kinds = K_ALL,
    .def_text = "the target's database", .flags = BQL_OPTF_SHOW_GIVEN, FIELD_STR (operations_database),
    .syntax = "'name'", .help = "where bulkql_operations is",
    .doc = "The database of the\n.B bulkql_operations\ncollection that tracks the statement (see\n"
           ".BR \"OPERATIONS AND RESUME\" );\nthe empty string is the target's database.\n"},
   {.name = "ordered", .group = "BULK_OPTIONS", .type = BQL_OPT_BOOL, .kinds = K_ALL, .def = true,
    FIELD_BOOL (ordered), .syntax = "bool", .help = "stop at the first write error",
    .doc = "Unordered batches try every document.\n"},
   {.name = "parallel_workers", .group = "BATCH_CONFIG", .type = BQL_OPT_INT, .min = 1, .max = 64, .kinds = K_ALL,
    .def = 1, FIELD_I32 (parallel_workers), .syntax = "n", .help = "batches in flight (unordered only)"},
   {.name = "parse_threads", .group = "BATCH_CONFIG", .type = BQL_OPT_INT, .min = 1, .max = 64, .kinds = K_ALL,
    .def = 0, .def_text = "the number of cores, within memory_limit", .flags = BQL_OPTF_NONE_DEFAULT,
    FIELD_I32 (parse_threads), .syntax = "n", .help = "threads that parse an NDJSON or CSV input",
    .doc = "The input is cut into chunks at record boundaries, parsed on that many\nthreads and read in order: "
           "row numbers, the lines of failed rows and\n.B ordered\nare as with one thread. The chunks take about "
           "2 MB per thread, within a\nquarter of\n.BR memory_limit ,\nwhich so bounds the threads too; 1 "
           "parses on the reading thread.\nJSON arrays and streams are parsed on one thread. A gzip input is\n"
           "inflated on a thread of its own.\nThe cores are counted when the statement is planned; EXPLAIN shows\n"
           "the threads a load runs as\n.BR source.parse_threads .\n"},
   {.name = "progress", .group = "BATCH_CONFIG", .type = BQL_OPT_BOOL, .kinds = K_ALL, .def = -1,
    .def_text = "on a terminal", .flags = BQL_OPTF_NONE_DEFAULT, FIELD_TRI (progress), .syntax = "bool",
    .help = "progress line",
    .doc = "True shows it and false hides it, whatever the terminal and\n.BR \\-\\-quiet .\n"},
   {.name = "retention_period", .group = "ARCHIVAL_STRATEGY", .type = BQL_OPT_INTERVAL, .min = 1, .max = INT64_MAX,
    .kinds = K_DELETE, .def = 0, .def_text = "forever", .flags = BQL_OPTF_NONE_DEFAULT,
    FIELD_I64 (retention_seconds), .syntax = "'2 years'", .help = "how long the archive keeps documents",
    .doc = "A TTL index on the archive's\n.BR archivedAt .\n"},
   {.name = "retry_attempts", .group = "BATCH_CONFIG", .type = BQL_OPT_INT, .min = 0, .max = 100, .kinds = K_ALL,
    .def = 20, FIELD_I32 (retry_attempts), .syntax = "n", .help = "retries of retryable errors",
    .doc = "A batch is sent again after a retryable error, with exponential backoff from\n"
           ".BR retry_backoff_ms ,\nwithin\n.BR retry_timeout ;\nthis is an upper bound on the retries of one "
           "command (the default was 3\nbefore\n.B retry_timeout\nexisted).\n"},
   {.name = "retry_backoff_ms", .group = "BATCH_CONFIG", .type = BQL_OPT_INT, .min = 0, .max = 600000,
    .kinds = K_ALL, .def = 100, FIELD_I32 (retry_backoff_ms), .syntax = "n", .help = "first retry delay"},
   {.name = "retry_timeout", .group = "BATCH_CONFIG", .type = BQL_OPT_SECONDS, .min = 0,
    .max = (int64_t) 86400 * 1000, .kinds = K_ALL, .def = 30000, FIELD_I64 (retry_timeout_ms), .syntax = "s",
    .help = "time budget for retrying a lost command",
    .doc = "A command lost to a retryable error (the server went away, restarted,\nstepped down) is sent "
           "again, with backoff from\n.BR retry_backoff_ms ,\nuntil the server answers or this many seconds "
           "have passed since it was\nlost (at most\n.B retry_attempts\nretries). The default rides through "
           "a server restart of 10 s and more.\n0 allows no retry.\n"},
   {.name = "server_side", .group = "BULK_OPTIONS", .type = BQL_OPT_BOOL, .kinds = BQL_OPT_K_INSERT | BQL_OPT_K_UPSERT,
    .def = -1, .def_text = "the server's capabilities decide", .flags = BQL_OPTF_NONE_DEFAULT | BQL_OPTF_SHOW_GIVEN,
    FIELD_TRI (server_side), .syntax = "bool", .help = "INSERT/UPSERT ... SELECT: $merge (true) or the cursor (false)",
    .doc = "True runs the whole statement on the server: the SELECT's pipeline ends\nwith\n.B $merge\n"
           "into the target (MongoDB 4.2); false streams the cursor's documents\ninto bulk writes. "
           "Unset, a server that has\n.B $merge\nruns it, unless an option needs the rows one by one\n"
           "(dry_run, failed_records_file, continue_on_error, max_errors,\nordered = false, parallel_workers, "
           "max_execution_time).\n"},
   {.name = "soft_delete", .group = "DELETE_OPTIONS", .type = BQL_OPT_BOOL, .kinds = K_DELETE, .def = false,
    FIELD_BOOL (soft_delete), .syntax = "bool", .help = "DELETE sets deleted_at instead"},
   {.name = "upsert_mode", .group = "BULK_OPTIONS", .type = BQL_OPT_BOOL, .kinds = BQL_OPT_K_INSERT, .def = false,
    FIELD_BOOL (upsert_mode), .syntax = "bool", .help = "INSERT upserts on _id"},
   {.name = "write_concern", .group = "BULK_OPTIONS", .type = BQL_OPT_WRITE_CONCERN, .kinds = K_ALL,
    .def_text = "the server's", .flags = BQL_OPTF_NONE_DEFAULT, FIELD_WC, .syntax = "'majority' | n | {w, j, wtimeout}",
    .help = "the write concern of every batch, and of the error records, metrics and operation document"},
};

#define N_OPTIONS (sizeof option_table / sizeof option_table[0])
_Static_assert (N_OPTIONS <= 64, "bql_options_t.given has one bit per option");

static const bql_opt_group_t group_table[] = {
   {"BULK_OPTIONS", "how rows are written and failures kept"},
   {"BATCH_CONFIG", "batches, retries, limits and progress"},
   {"DELETE_OPTIONS", "the limits of a BULK DELETE"},
   {"ARCHIVAL_STRATEGY", "what a BULK DELETE keeps"},
   {"OPTIONS", "any option"},
};

#define N_GROUPS (sizeof group_table / sizeof group_table[0])

static const char *const kind_names[] = {"BULK INSERT", "BULK UPDATE", "BULK UPSERT", "BULK DELETE"};


const bql_opt_def_t *
bql_opt_defs (size_t *n)
{
   *n = N_OPTIONS;
   return option_table;
}

const bql_opt_group_t *
bql_opt_groups (size_t *n)
{
   *n = N_GROUPS;
   return group_table;
}

static size_t
index_of (const char *name)
{
   for (size_t i = 0; i < N_OPTIONS; i++) {
      if (!strcasecmp (name, option_table[i].name)) {
         return i;
      }
   }
   return N_OPTIONS;
}

const bql_opt_def_t *
bql_opt_find (const char *name)
{
   size_t i = index_of (name);
   return i < N_OPTIONS ? &option_table[i] : NULL;
}

const char *
bql_opt_size_text (int64_t bytes, char *buf, size_t size)
{
   static const char *const units[] = {"TB", "GB", "MB", "KB"};
   for (int u = 0; u < 4; u++) {
      int64_t unit = (int64_t) 1 << (10 * (4 - u));
      if (bytes >= unit && bytes % unit == 0) {
         snprintf (buf, size, "%" PRId64 "%s", bytes / unit, units[u]);
         return buf;
      }
   }
   snprintf (buf, size, "%" PRId64 "B", bytes);
   return buf;
}

const char *
bql_opt_default_text (const bql_opt_def_t *d, char *buf, size_t size)
{
   char tmp[32];
   if (d->def_text) {
      snprintf (buf, size, "%s", d->def_text);
      return buf;
   }
   switch (d->type) {
   case BQL_OPT_INT:
      snprintf (buf, size, "%" PRId64, d->def);
      break;
   case BQL_OPT_BOOL:
      snprintf (buf, size, "%s", d->def ? "true" : "false");
      break;
   case BQL_OPT_SIZE:
      snprintf (buf, size, "'%s'", bql_opt_size_text (d->def, tmp, sizeof tmp));
      break;
   case BQL_OPT_SECONDS:
      snprintf (buf, size, "%g", (double) d->def / 1000.0);
      break;
   case BQL_OPT_INTERVAL:
      snprintf (buf, size, "%" PRId64 " seconds", d->def);
      break;
   case BQL_OPT_STRING:
   case BQL_OPT_ENUM:
   case BQL_OPT_WRITE_CONCERN:
      snprintf (buf, size, "%s", d->def_str ? d->def_str : "none");
      break;
   }
   return buf;
}

const char *
bql_opt_range_text (const bql_opt_def_t *d, char *buf, size_t size)
{
   char lo[32], hi[32];
   buf[0] = '\0';
   switch (d->type) {
   case BQL_OPT_INT:
      if (d->max == INT64_MAX) {
         snprintf (buf, size, "at least %" PRId64, d->min);
      } else {
         snprintf (buf, size, "%" PRId64 " to %" PRId64, d->min, d->max);
      }
      break;
   case BQL_OPT_SIZE:
      snprintf (buf, size, "%s to %s", bql_opt_size_text (d->min, lo, sizeof lo), bql_opt_size_text (d->max, hi, sizeof hi));
      break;
   case BQL_OPT_SECONDS:
      snprintf (buf, size, "%g to %.0f seconds", (double) d->min / 1000.0, (double) d->max / 1000.0);
      break;
   case BQL_OPT_INTERVAL:
      snprintf (buf, size, "at least %" PRId64 " second%s", d->min, d->min == 1 ? "" : "s");
      break;
   case BQL_OPT_ENUM: {
      size_t n = 0, len = 0;
      while (d->values[n]) {
         n++;
      }
      for (size_t i = 0; i < n && len < size; i++) {
         len += (size_t) snprintf (buf + len, size - len, "%s'%s'", i == 0 ? "" : i + 1 == n ? " or " : ", ",
                                   d->values[i]);
      }
      break;
   }
   case BQL_OPT_BOOL:
   case BQL_OPT_STRING:
   case BQL_OPT_WRITE_CONCERN:
      break;
   }
   return buf;
}

const char *
bql_opt_kinds_text (const bql_opt_def_t *d, char *buf, size_t size)
{
   if ((d->kinds & BQL_OPT_K_ALL) == BQL_OPT_K_ALL) {
      snprintf (buf, size, "every statement");
      return buf;
   }
   size_t len = 0;
   buf[0] = '\0';
   for (int q = 0; q < 4 && len < size; q++) {
      if (d->kinds & (1u << q)) {
         len += (size_t) snprintf (buf + len, size - len, "%s%s", len ? ", " : "", kind_names[q]);
      }
   }
   return buf;
}

/* ---- defaults ---- */

void
bql_options_init (bql_options_t *o)
{
   memset (o, 0, sizeof *o);
   bson_init (&o->write_concern);
   for (size_t i = 0; i < N_OPTIONS; i++) {
      const bql_opt_def_t *d = &option_table[i];
      void *field = (char *) o + d->offset;
      switch (d->field) {
      case BQL_FIELD_I32:
         *(int32_t *) field = (int32_t) d->def;
         break;
      case BQL_FIELD_I64:
         *(int64_t *) field = d->def;
         break;
      case BQL_FIELD_BOOL:
         *(bool *) field = d->def != 0;
         break;
      case BQL_FIELD_TRI:
         *(int *) field = (int) d->def;
         break;
      case BQL_FIELD_STR:
         *(char **) field = d->def_str ? bson_strdup (d->def_str) : NULL;
         break;
      case BQL_FIELD_WC:
      case BQL_FIELD_WC_J:
         break; /* the server's */
      }
   }
}

void
bql_options_cleanup (bql_options_t *o)
{
   bson_destroy (&o->write_concern);
   for (size_t i = 0; i < N_OPTIONS; i++) {
      if (option_table[i].field == BQL_FIELD_STR) {
         bson_free (*(char **) ((char *) o + option_table[i].offset));
      }
   }
   memset (o, 0, sizeof *o);
}

int32_t
bql_options_batch (const bql_options_t *o)
{
   return o->batch_size > 0 ? o->batch_size : (int32_t) option_table[index_of ("batch_size")].def;
}

/* ---- checks ---- */

static const char *
nearest (const char *word, const char *const *names, size_t n, size_t stride)
{
   const char *best = NULL;
   int best_d = 99;
   size_t wl = strlen (word);
   for (size_t i = 0; i < n; i++) {
      const char *name = *(const char *const *) ((const char *) names + i * stride);
      int d = bql_edit_distance (word, wl, name, strlen (name));
      if (d < best_d) {
         best_d = d;
         best = name;
      }
   }
   int limit = wl <= 4 ? 1 : (wl <= 8 ? 2 : 3);
   return best_d <= limit ? best : NULL;
}

static bool
type_error (bql_planner_t *pl, const bql_node_t *at, const bql_opt_def_t *d, const char *want, const bql_val_t *v)
{
   return bql_plan_error (pl, at, BQL_ERR_OPTION, NULL, "option \"%s\" takes %s, not %s", d->name, want,
                          bql_val_type_name (v));
}

static bool
as_int (const bql_val_t *v, int64_t *out)
{
   if (v->is_interval) {
      return false;
   }
   switch (v->v.value_type) {
   case BSON_TYPE_INT32:
      *out = v->v.value.v_int32;
      return true;
   case BSON_TYPE_INT64:
      *out = v->v.value.v_int64;
      return true;
   default:
      return false;
   }
}

static bool
as_number (const bql_val_t *v, double *out)
{
   int64_t i;
   if (as_int (v, &i)) {
      *out = (double) i;
      return true;
   }
   if (!v->is_interval && v->v.value_type == BSON_TYPE_DOUBLE) {
      *out = v->v.value.v_double;
      return true;
   }
   return false;
}

static const char *
as_string (const bql_val_t *v)
{
   return !v->is_interval && v->v.value_type == BSON_TYPE_UTF8 ? v->v.value.v_utf8.str : NULL;
}

/* '64MB' -> bytes; false if not a size. */
static bool
parse_size (const char *s, int64_t *out)
{
   char *end;
   double n = strtod (s, &end);
   if (end == s || n < 0 || !isfinite (n)) {
      return false;
   }
   while (*end == ' ') {
      end++;
   }
   double mult = 1;
   if (*end) {
      char unit[8];
      size_t i = 0;
      for (; end[i] && i < sizeof unit - 1; i++) {
         unit[i] = (char) toupper ((unsigned char) end[i]);
      }
      unit[i] = '\0';
      if (end[i]) {
         return false;
      }
      if (!strcmp (unit, "B")) {
         mult = 1;
      } else if (!strcmp (unit, "KB") || !strcmp (unit, "K") || !strcmp (unit, "KIB")) {
         mult = 1024.0;
      } else if (!strcmp (unit, "MB") || !strcmp (unit, "M") || !strcmp (unit, "MIB")) {
         mult = 1024.0 * 1024;
      } else if (!strcmp (unit, "GB") || !strcmp (unit, "G") || !strcmp (unit, "GIB")) {
         mult = 1024.0 * 1024 * 1024;
      } else if (!strcmp (unit, "TB") || !strcmp (unit, "T") || !strcmp (unit, "TIB")) {
         mult = 1024.0 * 1024 * 1024 * 1024;
      } else {
         return false;
      }
   }
   double bytes = n * mult;
   if (bytes > 9.0e18) {
      return false;
   }
   *out = (int64_t) bytes;
   return true;
}

/* An interval or interval text in whole seconds (months count 30 days,
 * as TTL indexes need a fixed number of seconds). */
static bool
interval_seconds (const bql_val_t *v, double *out)
{
   int32_t months;
   int64_t ms;
   if (v->is_interval) {
      months = v->months;
      ms = v->ms;
   } else if (as_string (v)) {
      if (!bql_parse_interval (as_string (v), &months, &ms)) {
         return false;
      }
   } else {
      return false;
   }
   *out = (double) months * 30 * 86400 + (double) ms / 1000.0;
   return true;
}

static bool
set_write_concern (bql_planner_t *pl, const bql_node_t *at, const bql_opt_def_t *d, const bql_val_t *v, bson_t *wc)
{
   int64_t w;
   const char *s = as_string (v);
   bson_t keep;
   bson_init (&keep);
   /* keep a j set by journal = ... */
   bson_iter_t it;
   if (bson_iter_init_find (&it, wc, "j")) {
      bson_append_iter (&keep, "j", 1, &it);
   }
   bson_reinit (wc);
   if (s) {
      if (strcmp (s, "majority") != 0) {
         bson_destroy (&keep);
         return bql_plan_error (pl, at, BQL_ERR_OPTION, "Use 'majority', a number of members, or {w: ..., j: ..., wtimeout: ...}.",
                                "write_concern '%s' is not a write concern", s);
      }
      BSON_APPEND_UTF8 (wc, "w", "majority");
   } else if (as_int (v, &w)) {
      if (w < 1 || w > 50) {
         bson_destroy (&keep);
         return bql_plan_error (pl, at, BQL_ERR_OPTION,
                                w == 0 ? "BulkQL counts every row, so it needs acknowledged writes (w >= 1)." : NULL,
                                "write_concern w must be between 1 and 50, not %lld", (long long) w);
      }
      BSON_APPEND_INT32 (wc, "w", (int32_t) w);
   } else if (!v->is_interval && v->v.value_type == BSON_TYPE_DOCUMENT) {
      bson_t doc;
      bson_init_static (&doc, v->v.value.v_doc.data, v->v.value.v_doc.data_len);
      bson_iter_init (&it, &doc);
      while (bson_iter_next (&it)) {
         const char *k = bson_iter_key (&it);
         if (!strcmp (k, "w")) {
            if (BSON_ITER_HOLDS_UTF8 (&it) && !strcmp (bson_iter_utf8 (&it, NULL), "majority")) {
               BSON_APPEND_UTF8 (wc, "w", "majority");
            } else if (BSON_ITER_HOLDS_NUMBER (&it) && bson_iter_as_int64 (&it) >= 1 && bson_iter_as_int64 (&it) <= 50) {
               BSON_APPEND_INT32 (wc, "w", (int32_t) bson_iter_as_int64 (&it));
            } else if (BSON_ITER_HOLDS_UTF8 (&it)) {
               /* a tag set name */
               BSON_APPEND_UTF8 (wc, "w", bson_iter_utf8 (&it, NULL));
            } else {
               bson_destroy (&keep);
               return bql_plan_error (pl, at, BQL_ERR_OPTION,
                                      "BulkQL counts every row, so it needs acknowledged writes (w >= 1).",
                                      "write_concern w must be 'majority', a tag name or 1..50");
            }
         } else if (!strcmp (k, "j")) {
            if (!BSON_ITER_HOLDS_BOOL (&it)) {
               bson_destroy (&keep);
               return bql_plan_error (pl, at, BQL_ERR_OPTION, NULL, "write_concern j must be true or false");
            }
            bson_destroy (&keep);
            bson_init (&keep);
            BSON_APPEND_BOOL (&keep, "j", bson_iter_bool (&it));
         } else if (!strcmp (k, "wtimeout") || !strcmp (k, "wtimeoutMS")) {
            if (!BSON_ITER_HOLDS_NUMBER (&it) || bson_iter_as_int64 (&it) < 0) {
               bson_destroy (&keep);
               return bql_plan_error (pl, at, BQL_ERR_OPTION, NULL, "write_concern wtimeout must be a number of milliseconds");
            }
            BSON_APPEND_INT64 (wc, "wtimeout", bson_iter_as_int64 (&it));
         } else {
            bson_destroy (&keep);
            return bql_plan_error (pl, at, BQL_ERR_OPTION, "A write concern has the fields w, j and wtimeout.",
                                   "unknown write_concern field \"%s\"", k);
         }
      }
   } else {
      bson_destroy (&keep);
      return type_error (pl, at, d, "'majority', a number or a document {w, j, wtimeout}", v);
   }
   if (!bson_empty (&keep) && !bson_has_field (wc, "j")) {
      bson_concat (wc, &keep);
   }
   bson_destroy (&keep);
   return true;
}

/* The typed setter: store an integer (already in range) in the row's field. */
static void
store_int (const bql_opt_def_t *d, int64_t i, bql_options_t *o)
{
   void *field = (char *) o + d->offset;
   switch (d->field) {
   case BQL_FIELD_I32:
      *(int32_t *) field = (int32_t) i;
      break;
   case BQL_FIELD_I64:
      *(int64_t *) field = i;
      break;
   case BQL_FIELD_BOOL:
      *(bool *) field = i != 0;
      break;
   case BQL_FIELD_TRI:
      *(int *) field = i ? 1 : 0;
      break;
   case BQL_FIELD_STR:
   case BQL_FIELD_WC:
   case BQL_FIELD_WC_J:
      BSON_ASSERT (false); /* a row whose type and field do not agree: test_options checks every row */
   }
}

/* Store an owned copy of s (or NULL) in the row's string field. */
static void
store_str (const bql_opt_def_t *d, const char *s, bql_options_t *o)
{
   char **field = (char **) ((char *) o + d->offset);
   bson_free (*field);
   *field = s ? bson_strdup (s) : NULL;
}

static bool
range_error (bql_planner_t *pl, const bql_node_t *at, const bql_opt_def_t *d, const char *fmt, ...)
   BSON_GNUC_PRINTF (4, 5);

/* An out-of-range error: "option "x" " followed by the formatted text,
 * with the row's range hint. */
static bool
range_error (bql_planner_t *pl, const bql_node_t *at, const bql_opt_def_t *d, const char *fmt, ...)
{
   char what[256];
   va_list ap;
   va_start (ap, fmt);
   vsnprintf (what, sizeof what, fmt, ap);
   va_end (ap);
   return bql_plan_error (pl, at, BQL_ERR_OPTION, d->range_hint, "option \"%s\" %s", d->name, what);
}

/* Check v against row d (its type, then its range) and set the field. */
static bool
set_option (bql_planner_t *pl, const bql_node_t *at, const bql_opt_def_t *d, const bql_val_t *v, bql_options_t *o)
{
   int64_t i;
   double x;
   const char *s;
   char lo[32], hi[32];

   switch (d->type) {
   case BQL_OPT_INT:
      if (!as_int (v, &i)) {
         return type_error (pl, at, d, "an integer", v);
      }
      if (i < d->min || i > d->max) {
         return range_error (pl, at, d, "must be between %" PRId64 " and %" PRId64 ", not %" PRId64, d->min, d->max, i);
      }
      store_int (d, i, o);
      return true;
   case BQL_OPT_BOOL:
      if (v->is_interval || v->v.value_type != BSON_TYPE_BOOL) {
         return type_error (pl, at, d, "TRUE or FALSE", v);
      }
      if (d->field == BQL_FIELD_WC_J) {
         bson_iter_t it;
         if (bson_iter_init_find (&it, &o->write_concern, "j")) {
            return bql_plan_error (pl, at, BQL_ERR_OPTION, NULL, "%s given twice (also as write_concern j)", d->name);
         }
         BSON_APPEND_BOOL (&o->write_concern, "j", v->v.value.v_bool);
      } else {
         store_int (d, v->v.value.v_bool, o);
      }
      return true;
   case BQL_OPT_STRING:
   case BQL_OPT_ENUM:
      if (!(s = as_string (v))) {
         return type_error (pl, at, d, "a string", v);
      }
      if (!*s && (d->flags & BQL_OPTF_EMPTY_OFF)) {
         store_str (d, NULL, o);
         return true;
      }
      if (!*s) {
         store_str (d, NULL, o);
         return bql_plan_error (pl, at, BQL_ERR_OPTION, NULL, "option \"%s\" must not be empty", d->name);
      }
      if (d->type == BQL_OPT_ENUM) {
         size_t k = 0;
         while (d->values[k] && strcmp (s, d->values[k])) {
            k++;
         }
         if (!d->values[k]) {
            char values[160];
            store_str (d, NULL, o);
            return range_error (pl, at, d, "takes %s, not '%s'", bql_opt_range_text (d, values, sizeof values), s);
         }
      }
      store_str (d, s, o);
      return true;
   case BQL_OPT_SIZE:
      if (as_int (v, &i)) {
         /* bytes */
      } else if (!(s = as_string (v)) || !parse_size (s, &i)) {
         return bql_plan_error (pl, at, BQL_ERR_OPTION, "Write a size such as '64MB' or '1GB'.",
                                "option \"%s\" takes a size, not %s", d->name,
                                as_string (v) ? "that text" : bql_val_type_name (v));
      }
      if (i < d->min || i > d->max) {
         return range_error (pl, at, d, "must be between %s and %s", bql_opt_size_text (d->min, lo, sizeof lo),
                             bql_opt_size_text (d->max, hi, sizeof hi));
      }
      store_int (d, i, o);
      return true;
   case BQL_OPT_SECONDS:
      if (!as_number (v, &x) && !interval_seconds (v, &x)) {
         return bql_plan_error (pl, at, BQL_ERR_OPTION, "Give a number of seconds, or an interval such as '5 minutes'.",
                                "option \"%s\" takes seconds, not %s", d->name, bql_val_type_name (v));
      }
      if (!(x * 1000.0 >= (double) d->min && x * 1000.0 <= (double) d->max)) {
         return range_error (pl, at, d, "must be a positive number of seconds");
      }
      store_int (d, (int64_t) llround (x * 1000.0), o);
      return true;
   case BQL_OPT_INTERVAL:
      if (!interval_seconds (v, &x)) {
         return bql_plan_error (pl, at, BQL_ERR_OPTION, "Write a period such as '2 years' or '90 days'.",
                                "option \"%s\" takes a period of time", d->name);
      }
      if (!(x >= (double) d->min && x <= (double) d->max)) {
         return range_error (pl, at, d, "must be at least one second");
      }
      store_int (d, (int64_t) x, o);
      return true;
   case BQL_OPT_WRITE_CONCERN:
      return set_write_concern (pl, at, d, v, &o->write_concern);
   }
   return false;
}

/* The BSON value of an opts document as an option value: an interval
 * cannot be given there. */
static void
val_from_iter (const bson_iter_t *it, bql_val_t *v)
{
   bql_val_init_null (v);
   bson_iter_t at = *it; /* bson_iter_value takes a mutable iterator */
   bson_value_copy (bson_iter_value (&at), &v->v);
   if (v->v.value_type == BSON_TYPE_INT32) {
      int64_t i = v->v.value.v_int32;
      v->v.value_type = BSON_TYPE_INT64;
      v->v.value.v_int64 = i;
   }
}

/* "Did you mean ..." for an unknown option name, or fallback. */
static const char *
option_hint (const char *name, const char *fallback, char *hint, size_t size)
{
   const char *near = nearest (name, &option_table[0].name, N_OPTIONS, sizeof option_table[0]);
   if (!near) {
      return fallback;
   }
   snprintf (hint, size, "Did you mean \"%s\"?", near);
   return hint;
}

/* Apply an opts document (bql_plan_options_t.opts): with defaults, the
 * keys under "defaults" (options not given in the statement); else the
 * top-level keys (they override the statement). */
static bool
apply_opts_doc (bql_planner_t *pl, const bson_t *doc, bool defaults, bql_kind_t k, bql_options_t *o)
{
   bson_iter_t it;
   bson_t sub;
   if (!doc) {
      return true;
   }
   if (defaults) {
      if (!bson_iter_init_find (&it, doc, "defaults")) {
         return true;
      }
      uint32_t len;
      const uint8_t *data;
      if (!BSON_ITER_HOLDS_DOCUMENT (&it)) {
         return bql_plan_error (pl, NULL, BQL_ERR_OPTION, NULL, "opts: \"defaults\" must be a document");
      }
      bson_iter_document (&it, &len, &data);
      if (!bson_init_static (&sub, data, len)) {
         return bql_plan_error (pl, NULL, BQL_ERR_OPTION, NULL, "opts: \"defaults\" is not valid BSON");
      }
      doc = &sub;
   }
   if (!bson_iter_init (&it, doc)) {
      return bql_plan_error (pl, NULL, BQL_ERR_OPTION, NULL, "opts: not a valid BSON document");
   }
   while (bson_iter_next (&it)) {
      const char *key = bson_iter_key (&it);
      if (!defaults && !strcmp (key, "defaults")) {
         continue;
      }
      size_t idx = N_OPTIONS;
      for (size_t i = 0; i < N_OPTIONS; i++) {
         if (!strcmp (key, option_table[i].name)) {
            idx = i;
            break;
         }
      }
      if (idx == N_OPTIONS) {
         char hint[96];
         return bql_plan_error (pl, NULL, BQL_ERR_OPTION,
                                option_hint (key, "bql_option_names() lists the options.", hint, sizeof hint),
                                "opts: unknown option \"%s\"%s", key, defaults ? " in \"defaults\"" : "");
      }
      const bql_opt_def_t *d = &option_table[idx];
      if (!(d->kinds & (1u << k))) {
         if (defaults) {
            continue; /* a default for statements of another kind */
         }
         return bql_plan_error (pl, NULL, BQL_ERR_OPTION, NULL, "opts: option \"%s\" is not valid for %s", key,
                                kind_names[k]);
      }
      if (defaults && (o->given & ((uint64_t) 1 << idx))) {
         continue; /* the statement says */
      }
      bql_val_t v;
      val_from_iter (&it, &v);
      bool ok = set_option (pl, NULL, d, &v, o);
      bql_val_destroy (&v);
      if (!ok) {
         /* name where the value came from */
         char msg[sizeof pl->error->message];
         snprintf (msg, sizeof msg, "opts%s: %.480s", defaults ? " defaults" : "", pl->error->message);
         snprintf (pl->error->message, sizeof pl->error->message, "%s", msg);
         return false;
      }
      o->given |= (uint64_t) 1 << idx;
   }
   return true;
}

/* An unknown group name: not supported, at the name (which follows WITH). */
static bool
group_error (bql_planner_t *pl, const bql_OptionGroup_t *grp)
{
   char hint[160];
   const char *near = nearest (grp->name, &group_table[0].name, N_GROUPS, sizeof group_table[0]);
   if (near) {
      snprintf (hint, sizeof hint, "Did you mean \"%s\"?", near);
   } else {
      size_t len = (size_t) snprintf (hint, sizeof hint, "Option groups are ");
      for (size_t i = 0; i < N_GROUPS && len < sizeof hint; i++) {
         len += (size_t) snprintf (hint + len, sizeof hint - len, "%s%s", group_table[i].name,
                                   i + 2 < N_GROUPS ? ", " : i + 2 == N_GROUPS ? " and " : ".");
      }
   }
   const char *src = pl->source + grp->node.location;
   const char *p = strstr (src, grp->name);
   int64_t off = p && p - src < grp->node.length ? grp->node.location + (p - src) : grp->node.location;
   return bql_plan_error_at (pl, off, (int64_t) strlen (grp->name), BQL_ERR_UNSUPPORTED, hint,
                             "not supported: option group %s", grp->name);
}

/* One option of a WITH group: known, once, valid for kind k, a constant
 * of the row's type and range. */
static bool
resolve_one (bql_planner_t *pl, const bql_Option_t *opt, bql_kind_t k, const bql_node_t **given_at, bql_options_t *o)
{
   size_t idx = index_of (opt->name);
   if (idx == N_OPTIONS) {
      char hint[96];
      return bql_plan_error_at (pl, opt->node.location, (int64_t) strlen (opt->name), BQL_ERR_OPTION,
                                option_hint (opt->name, "\\help options lists the options.", hint, sizeof hint),
                                "unknown option \"%s\"", opt->name);
   }
   const bql_opt_def_t *d = &option_table[idx];
   if (given_at[idx]) {
      int32_t line, col;
      bql_locate (pl->source, pl->source_len, given_at[idx]->location, &line, &col);
      bql_plan_error_at (pl, opt->node.location, (int64_t) strlen (opt->name), BQL_ERR_OPTION, NULL,
                         "option \"%s\" given twice", d->name);
      snprintf (pl->error->detail, sizeof pl->error->detail, "It was first given at line %d, column %d.", (int) line,
                (int) col);
      return false;
   }
   given_at[idx] = &opt->node;
   if (!(d->kinds & (1u << k))) {
      char kinds[96], hint[160];
      snprintf (hint, sizeof hint, "\"%s\" applies to %s.", d->name, bql_opt_kinds_text (d, kinds, sizeof kinds));
      return bql_plan_error_at (pl, opt->node.location, (int64_t) strlen (opt->name), BQL_ERR_OPTION, hint,
                                "option \"%s\" is not valid for %s", d->name, kind_names[k]);
   }

   /* Option values are constant expressions; a bare word is text. */
   bql_val_t v;
   bql_val_init_null (&v);
   bql_eval_rc_t rc;
   if (bql_is (opt->value, ColumnRef)) {
      v.v.value_type = BSON_TYPE_UTF8;
      v.v.value.v_utf8.str = bson_strdup (bql_cast (ColumnRef, opt->value)->path);
      v.v.value.v_utf8.len = (uint32_t) strlen (v.v.value.v_utf8.str);
      rc = BQL_EVAL_OK;
   } else {
      rc = bql_eval (pl, NULL, opt->value, &v);
   }
   if (rc == BQL_EVAL_FIELD) {
      return bql_plan_error (pl, opt->value, BQL_ERR_OPTION, NULL, "option \"%s\" needs a constant value", d->name);
   }
   if (rc == BQL_EVAL_ERROR) {
      return false;
   }
   bool ok = set_option (pl, opt->value, d, &v, o);
   bql_val_destroy (&v);
   if (ok) {
      o->given |= (uint64_t) 1 << idx;
   }
   return ok;
}

/* Where the option named name was given in the statement (the Option
 * node), or NULL. */
static const bql_node_t *
given_node (const bql_node_t *const *given_at, const char *name)
{
   return given_at[index_of (name)];
}

/* The value node of the option named name, or NULL. */
static const bql_node_t *
given_value (const bql_node_t *const *given_at, const char *name)
{
   const bql_node_t *at = given_node (given_at, name);
   return at ? bql_cast (Option, at)->value : NULL;
}

/* Rules between options, after every option is set: the only checks that
 * name options. */
static bool
check_rules (bql_planner_t *pl, const bql_list_t *groups, bql_kind_t k, const bql_node_t *const *given_at,
             bql_options_t *o)
{
   const bql_node_t *first = groups && groups->length ? groups->items[0] : NULL;
   if (o->batch_size == 0 && (k == BQL_KIND_INSERT || k == BQL_KIND_UPSERT)) {
      const bql_opt_def_t *d = bql_opt_find ("batch_size");
      return bql_plan_error (pl, given_value (given_at, "batch_size"), BQL_ERR_OPTION,
                             "batch_size = 0 (one unbatched command) is for BULK UPDATE and BULK DELETE.",
                             "option \"batch_size\" must be between 1 and %" PRId64 " for %s", d->max, kind_names[k]);
   }
   if (o->parallel_workers > 1 && o->ordered) {
      const bql_node_t *at = given_node (given_at, "ordered");
      if (!at) {
         at = given_node (given_at, "parallel_workers");
      }
      return bql_plan_error_at (pl, at ? at->location : -1, at ? (int64_t) strlen (bql_cast (Option, at)->name) : 0,
                                BQL_ERR_OPTION, "Add ordered = false: batches in flight at once cannot keep their order.",
                                "parallel_workers > 1 needs ordered = false");
   }
   if (o->archive_reason && !o->archive_collection) {
      return bql_plan_error (pl, first, BQL_ERR_OPTION, "Name the archive with archive_collection = '...'.",
                             "archive_reason needs archive_collection");
   }
   if (o->retention_seconds && !o->archive_collection) {
      return bql_plan_error (pl, first, BQL_ERR_OPTION, "Name the archive with archive_collection = '...'.",
                             "retention_period needs archive_collection");
   }
   if (o->archive_collection && pl->plan && pl->plan->collection && !strcmp (o->archive_collection, pl->plan->collection)) {
      /* archiving into the source: each document would be replaced by its
       * archive copy and then deleted, the archive with it */
      return bql_plan_error (pl, given_value (given_at, "archive_collection"), BQL_ERR_OPTION,
                             "Name another collection: the archive must survive the delete.",
                             "archive_collection \"%s\" is the collection being deleted from", o->archive_collection);
   }
   if (o->failed_records_mode && !o->failed_records_file) {
      return bql_plan_error (pl, first, BQL_ERR_OPTION, "Name the file with failed_records_file = '...'.",
                             "failed_records_mode needs failed_records_file");
   }
   if (o->soft_delete && o->archive_collection) {
      return bql_plan_error (pl, first, BQL_ERR_OPTION, NULL,
                             "soft_delete and archive_collection exclude each other: a soft delete keeps the document");
   }
   return true;
}

bool
bql_options_resolve (bql_planner_t *pl, const bql_list_t *groups, bql_kind_t k, const bson_t *opts, bql_options_t *o)
{
   const bql_node_t *given_at[N_OPTIONS] = {0};

   for (int32_t g = 0; groups && g < groups->length; g++) {
      const bql_OptionGroup_t *grp = bql_cast (OptionGroup, groups->items[g]);
      if (grp->name) {
         bool known = false;
         for (size_t i = 0; i < N_GROUPS; i++) {
            known = known || !strcasecmp (grp->name, group_table[i].name);
         }
         if (!known) {
            return group_error (pl, grp);
         }
      }
      for (int32_t j = 0; grp->options && j < grp->options->length; j++) {
         if (!resolve_one (pl, bql_cast (Option, grp->options->items[j]), k, given_at, o)) {
            return false;
         }
      }
   }

   /* The caller's opts document: defaults where the statement says
    * nothing, then the overrides. */
   if (!apply_opts_doc (pl, opts, true, k, o) || !apply_opts_doc (pl, opts, false, k, o)) {
      return false;
   }
   return check_rules (pl, groups, k, given_at, o);
}

/* ---- EXPLAIN, names and help ---- */

/* The options of kind k into doc: every one that applies, or (given)
 * only those the statement gave. */
static void
append_options (const bql_options_t *o, bql_kind_t k, bson_t *doc, bool given)
{
   for (size_t i = 0; i < N_OPTIONS; i++) {
      const bql_opt_def_t *d = &option_table[i];
      if (!(d->kinds & (1u << k))) {
         continue;
      }
      if ((given || (d->flags & BQL_OPTF_SHOW_GIVEN)) && !(o->given & ((uint64_t) 1 << i))) {
         continue;
      }
      const void *field = (const char *) o + d->offset;
      bool none = false;
      int64_t n = 0;
      switch (d->field) {
      case BQL_FIELD_I32:
         n = *(const int32_t *) field;
         break;
      case BQL_FIELD_I64:
         n = *(const int64_t *) field;
         break;
      case BQL_FIELD_BOOL:
         n = *(const bool *) field;
         break;
      case BQL_FIELD_TRI:
         n = *(const int *) field;
         break;
      case BQL_FIELD_STR: {
         const char *s = *(char *const *) field;
         if (s) {
            BSON_APPEND_UTF8 (doc, d->name, s);
         } else {
            BSON_APPEND_NULL (doc, d->name);
         }
         continue;
      }
      case BQL_FIELD_WC_J: {
         bson_iter_t it;
         if (bson_iter_init_find (&it, &o->write_concern, "j")) {
            BSON_APPEND_BOOL (doc, d->name, bson_iter_bool (&it));
         } else {
            BSON_APPEND_NULL (doc, d->name);
         }
         continue;
      }
      case BQL_FIELD_WC: {
         bson_t w = BSON_INITIALIZER;
         bson_copy_to_excluding_noinit (&o->write_concern, &w, "j", NULL);
         if (bson_empty (&w)) {
            BSON_APPEND_NULL (doc, d->name);
         } else {
            BSON_APPEND_DOCUMENT (doc, d->name, &w);
         }
         bson_destroy (&w);
         continue;
      }
      }
      none = (d->flags & BQL_OPTF_NONE_DEFAULT) && n == d->def;
      if (none) {
         BSON_APPEND_NULL (doc, d->name);
      } else if (d->type == BQL_OPT_BOOL) {
         BSON_APPEND_BOOL (doc, d->name, n != 0);
      } else if (d->type == BQL_OPT_SECONDS) {
         BSON_APPEND_DOUBLE (doc, d->name, (double) n / 1000.0);
      } else if (d->field == BQL_FIELD_I32) {
         BSON_APPEND_INT32 (doc, d->name, (int32_t) n);
      } else {
         BSON_APPEND_INT64 (doc, d->name, n);
      }
   }
}

void
bql_options_append (const bql_options_t *o, bql_kind_t k, bson_t *doc)
{
   append_options (o, k, doc, false);
}

void
bql_options_append_given (const bql_options_t *o, bql_kind_t k, bson_t *doc)
{
   append_options (o, k, doc, true);
}

size_t
bql_option_names (const char **names, size_t max)
{
   size_t n = 0;
   for (; n < N_OPTIONS && n < max; n++) {
      names[n] = option_table[n].name;
   }
   return n;
}

size_t
bql_option_group_names (const char **names, size_t max)
{
   size_t n = 0;
   for (; n < N_GROUPS && n < max; n++) {
      names[n] = group_table[n].name;
   }
   return n;
}

/* Append to buf at *len (snprintf-like: *len counts what would be
 * written even when it does not fit). */
static void
help_append (char *buf, size_t size, size_t *len, const char *fmt, ...) BSON_GNUC_PRINTF (4, 5);

static void
help_append (char *buf, size_t size, size_t *len, const char *fmt, ...)
{
   va_list ap;
   va_start (ap, fmt);
   int n = vsnprintf (*len < size ? buf + *len : NULL, *len < size ? size - *len : 0, fmt, ap);
   va_end (ap);
   *len += n > 0 ? (size_t) n : 0;
}

size_t
bql_options_help (char *buf, size_t size)
{
   size_t len = 0;
   if (size) {
      buf[0] = '\0';
   }
   help_append (buf, size, &len, "Option groups:");
   for (size_t g = 0; g < N_GROUPS; g++) {
      help_append (buf, size, &len, "%s%s", g ? ", " : " ", group_table[g].name);
   }
   help_append (buf, size, &len, "\n  (any group takes any option; each is listed under the group it usually goes in)\n");
   for (size_t g = 0; g < N_GROUPS; g++) {
      help_append (buf, size, &len, "%s: %s\n", group_table[g].name, group_table[g].help);
      for (size_t i = 0; i < N_OPTIONS; i++) {
         const bql_opt_def_t *d = &option_table[i];
         if (strcmp (d->group, group_table[g].name)) {
            continue;
         }
         char left[96], def[64] = "";
         snprintf (left, sizeof left, "%s = %s", d->name, d->syntax);
         /* the default when it is a value */
         if (!d->def_text && !(d->flags & BQL_OPTF_NONE_DEFAULT) &&
             !((d->field == BQL_FIELD_STR) && !d->def_str)) {
            char text[48];
            snprintf (def, sizeof def, " (%s)", bql_opt_default_text (d, text, sizeof text));
         }
         if (strlen (left) < 28) {
            help_append (buf, size, &len, "  %-28s%s%s\n", left, d->help, def);
         } else {
            help_append (buf, size, &len, "  %s\n  %-28s%s%s\n", left, "", d->help, def);
         }
      }
   }
   return len;
}
