/*
 * output.c — how the bulkql command shows a statement's result: a short
 * table of the driver's counters (the ones the statement kind produces,
 * and any other that is not zero), elapsed time and docs/s, and the failed
 * rows with their row numbers (the first 10, then "... N more"), and the
 * row numbers of UPDATE ... FROM rows that matched nothing; or, with
 * --format json, the whole reply as one line of relaxed Extended JSON.
 * In table mode, records that could not be logged (the reply's
 * logFailures) are printed on stderr as warnings.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define SHOWN_ERRORS 10

static int64_t
get_int (const bson_t *reply, const char *key)
{
   bson_iter_t it;
   return bson_iter_init_find (&it, reply, key) && BSON_ITER_HOLDS_NUMBER (&it) ? bson_iter_as_int64 (&it) : 0;
}

static double
get_double (const bson_t *reply, const char *key)
{
   bson_iter_t it;
   return bson_iter_init_find (&it, reply, key) && BSON_ITER_HOLDS_NUMBER (&it) ? bson_iter_as_double (&it) : 0;
}

static const char *
get_str (const bson_t *reply, const char *key)
{
   bson_iter_t it;
   return bson_iter_init_find (&it, reply, key) && BSON_ITER_HOLDS_UTF8 (&it) ? bson_iter_utf8 (&it, NULL) : NULL;
}

/* ---- --format json: relaxed Extended JSON, with doubles in their
 * shortest form that reads back to the same value (18.139, not
 * 18.138999999999999346 as bson_as_relaxed_extended_json prints) ---- */

static void
json_string (bson_string_t *out, const char *s, size_t len)
{
   bson_string_append_c (out, '"');
   for (size_t i = 0; i < len; i++) {
      unsigned char c = (unsigned char) s[i];
      if (c == '"' || c == '\\') {
         bson_string_append_c (out, '\\');
         bson_string_append_c (out, (char) c);
      } else if (c < 0x20) {
         bson_string_append_printf (out, "\\u%04x", c);
      } else {
         bson_string_append_c (out, (char) c);
      }
   }
   bson_string_append_c (out, '"');
}

static void
json_double (bson_string_t *out, double d)
{
   if (d != d || d > 1.7976931348623157e308 || d < -1.7976931348623157e308) {
      /* NaN, Infinity: as relaxed Extended JSON says */
      bson_string_append_printf (out, "{ \"$numberDouble\" : \"%s\" }",
                                 d != d ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
      return;
   }
   char buf[40];
   for (int prec = 1; prec <= 17; prec++) {
      snprintf (buf, sizeof buf, "%.*g", prec, d);
      if (strtod (buf, NULL) == d) {
         break;
      }
   }
   bson_string_append (out, buf);
   if (!strpbrk (buf, ".eE")) {
      bson_string_append (out, ".0"); /* stays a double when read back */
   }
}

static void json_document (bson_string_t *out, const bson_t *doc, bool array);

/* One value: containers and doubles here, the rest as libbson writes
 * relaxed Extended JSON (from a one-field document). */
static void
json_value (bson_string_t *out, const bson_iter_t *it)
{
   if (BSON_ITER_HOLDS_DOUBLE (it)) {
      json_double (out, bson_iter_double (it));
      return;
   }
   if (BSON_ITER_HOLDS_DOCUMENT (it) || BSON_ITER_HOLDS_ARRAY (it)) {
      uint32_t len;
      const uint8_t *data;
      bson_t sub;
      if (BSON_ITER_HOLDS_DOCUMENT (it)) {
         bson_iter_document (it, &len, &data);
      } else {
         bson_iter_array (it, &len, &data);
      }
      if (bson_init_static (&sub, data, len)) {
         json_document (out, &sub, BSON_ITER_HOLDS_ARRAY (it));
      }
      return;
   }
   bson_t one = BSON_INITIALIZER;
   bson_append_iter (&one, "v", 1, it);
   size_t n;
   char *j = bson_as_relaxed_extended_json (&one, &n);
   /* "{ "v" : VALUE }" */
   if (j && n > 10) {
      bson_string_append_printf (out, "%.*s", (int) (n - 10), j + 8);
   } else {
      bson_string_append (out, "null");
   }
   bson_free (j);
   bson_destroy (&one);
}

static void
json_document (bson_string_t *out, const bson_t *doc, bool array)
{
   bson_iter_t it;
   bool first = true;
   bson_string_append (out, array ? "[ " : "{ ");
   if (bson_iter_init (&it, doc)) {
      while (bson_iter_next (&it)) {
         bson_string_append (out, first ? "" : ", ");
         first = false;
         if (!array) {
            json_string (out, bson_iter_key (&it), bson_iter_key_len (&it));
            bson_string_append (out, " : ");
         }
         json_value (out, &it);
      }
   }
   bson_string_append (out, first ? (array ? "]" : "}") : (array ? " ]" : " }"));
}

void
cli_print_json (const bson_t *doc)
{
   bson_string_t *out = bson_string_new (NULL);
   json_document (out, doc, false);
   puts (out->str);
   bson_string_free (out, true);
   fflush (stdout);
}

void
cli_print_json_error (cli_t *cli, const bql_error_t *error, const char *name)
{
   (void) cli;
   bson_t out = BSON_INITIALIZER;
   BSON_APPEND_BOOL (&out, "ok", false);
   BSON_APPEND_UTF8 (&out, "file", name ? name : "<input>");
   if (error->line > 0) {
      BSON_APPEND_INT32 (&out, "line", error->line);
      BSON_APPEND_INT32 (&out, "column", error->column);
   }
   char *msg = cli_redact_text (error->message[0] ? error->message : "error");
   BSON_APPEND_UTF8 (&out, "error", msg);
   free (msg);
   cli_print_json (&out);
   bson_destroy (&out);
}

/* code when stdout is coloured, else "" */
static const char *
paint (const cli_t *cli, const char *code)
{
   return cli->color ? code : "";
}

/* code when stderr is coloured, else "" */
static const char *
paint_err (const cli_t *cli, const char *code)
{
   return cli->color_err ? code : "";
}

/* "bulkql: error: message" on stderr, without the URI's secrets (a
 * connection error may quote the driver). */
static void
print_error_message (cli_t *cli, const char *message)
{
   char *msg = cli_redact_text (message);
   fprintf (stderr, "%sbulkql: error:%s %s\n", paint_err (cli, "\033[1;31m"), paint_err (cli, "\033[0m"), msg);
   free (msg);
}

/* The same, naming the statement that failed and where it is in a
 * script: "bulkql: error: 1 row failed (BULK INSERT test.people at
 * load.sql:3)". At the prompt the statement is the one just typed: the
 * message alone. */
static void
print_statement_error (cli_t *cli, const char *kind, const char *ns, const char *message)
{
   if (cli->interactive || !cli->script_name || cli->statement_line <= 0) {
      print_error_message (cli, message);
      return;
   }
   char *msg = cli_redact_text (message);
   fprintf (stderr, "%sbulkql: error:%s %s (%s%s%s at %s:%d)\n", paint_err (cli, "\033[1;31m"), paint_err (cli, "\033[0m"),
            msg, kind, ns ? " " : "", ns ? ns : "", cli->script_name, cli->statement_line);
   free (msg);
}

/* The documents of reply's array key, one relaxed Extended JSON line
 * each (secrets masked), under "  would TITLE (n ...):"; at most
 * SHOWN_ERRORS, then how many more there were (total). */
static void
print_would_records (cli_t *cli, const bson_t *reply, const char *key, const char *title, const char *noun,
                     int64_t total)
{
   bson_iter_t it, ai;
   if (!bson_iter_init_find (&it, reply, key) || !BSON_ITER_HOLDS_ARRAY (&it) || !bson_iter_recurse (&it, &ai)) {
      return;
   }
   printf ("  %swould %s%s", paint (cli, "\033[33m"), title, paint (cli, "\033[0m"));
   if (noun) {
      printf (" (%lld %s%s)", (long long) total, noun, total == 1 ? "" : "s");
   }
   printf (":\n");
   int64_t shown = 0;
   while (bson_iter_next (&ai) && shown < SHOWN_ERRORS) {
      bson_t d;
      uint32_t len;
      const uint8_t *data;
      if (!BSON_ITER_HOLDS_DOCUMENT (&ai)) {
         continue;
      }
      bson_iter_document (&ai, &len, &data);
      bson_init_static (&d, data, len);
      bson_string_t *json = bson_string_new (NULL);
      json_document (json, &d, false); /* shortest doubles, as --format json */
      char *masked = cli_redact_text (json->str);
      printf ("    %s\n", masked);
      free (masked);
      bson_string_free (json, true);
      shown++;
   }
   if (total > shown) {
      printf ("    ... %lld more\n", (long long) (total - shown));
   }
}

/* A dry run writes nothing: what it would have written (the reply's
 * metrics, errorRecords and failedRecords, see bql_execute), on stdout. */
static void
print_would_log (cli_t *cli, const bson_t *reply)
{
   bson_iter_t it;
   if (!bson_iter_init_find (&it, reply, "dryRun")) {
      return;
   }
   const char *db = get_str (reply, "namespace"); /* "db.collection" */
   if (bson_iter_init_find (&it, reply, "metrics") && BSON_ITER_HOLDS_DOCUMENT (&it)) {
      /* {kind, collection, ...}: a one-element array for the printer */
      bson_t arr = BSON_INITIALIZER;
      bson_append_iter (&arr, "0", 1, &it);
      bson_t one = BSON_INITIALIZER;
      BSON_APPEND_ARRAY (&one, "m", &arr);
      char title[600];
      /* the target database: the namespace up to its first '.' */
      const char *ns = db ? db : "";
      snprintf (title, sizeof title, "log to %.*s.bulk_operation_metrics", (int) strcspn (ns, "."), ns);
      print_would_records (cli, &one, "m", title, NULL, 1);
      bson_destroy (&one);
      bson_destroy (&arr);
   }
   if (bson_iter_init_find (&it, reply, "errorRecords")) {
      char title[600];
      snprintf (title, sizeof title, "log to %s", get_str (reply, "errorCollection") ? get_str (reply, "errorCollection") : "?");
      print_would_records (cli, reply, "errorRecords", title, "record", get_int (reply, "nErrorRecords"));
   }
   if (bson_iter_init_find (&it, reply, "failedRecords")) {
      char *path = cli_redact_text (get_str (reply, "failedRecordsFile") ? get_str (reply, "failedRecordsFile") : "?");
      char title[600];
      snprintf (title, sizeof title, "write to %s", path);
      free (path);
      print_would_records (cli, reply, "failedRecords", title, "line", get_int (reply, "nFailedRecords"));
   }
}

void
cli_print_result (cli_t *cli, const bson_t *reply, bool ok, const bql_error_t *error)
{
   if (cli->format == CLI_FORMAT_JSON) {
      bson_t out = BSON_INITIALIZER;
      bson_concat (&out, reply);
      if (cli->script_name) {
         BSON_APPEND_UTF8 (&out, "file", cli->script_name);
      }
      if (cli->statement_line > 0) {
         BSON_APPEND_INT32 (&out, "line", cli->statement_line);
      }
      BSON_APPEND_BOOL (&out, "ok", ok);
      if (!ok && error->message[0]) {
         char *msg = cli_redact_text (error->message);
         BSON_APPEND_UTF8 (&out, "error", msg);
         free (msg);
      }
      cli_print_json (&out);
      bson_destroy (&out);
      return;
   }
   const char *kind = get_str (reply, "statement");
   const char *ns = get_str (reply, "namespace");
   if (!kind) {
      /* nothing ran: only the error */
      if (error->line > 0 && cli->script_text) {
         cli_print_error (cli, error, cli->script_name, cli->script_text, cli->script_len);
      } else {
         print_error_message (cli, error->message);
      }
      return;
   }
   if (!cli->quiet) {
      printf ("%s%s %s%s\n", paint (cli, "\033[1m"), kind, ns ? ns : "", paint (cli, "\033[0m"));
      static const struct {
         const char *key;
         const char *kinds; /* statements that always show it */
      } counters[] = {
         {"nInserted", "BULK INSERT"},
         {"nMatched", "BULK UPDATE BULK UPSERT"},
         {"nModified", "BULK UPDATE BULK UPSERT"},
         {"nModifiedUnknown", ""},
         {"nUnmatched", ""},
         {"nUpserted", "BULK UPSERT"},
         {"nRemoved", "BULK DELETE"},
         {"nArchived", ""},
         {"nFailed", "BULK INSERT BULK UPDATE BULK UPSERT BULK DELETE"},
         {"nWouldWrite", ""},
         {"nNotAttempted", ""},
         {"nSkipped", ""},        /* a resume: rows done before */
         {"nAlreadyWritten", ""}, /* a resume: rows in doubt found stored */
         {"nInDoubt", ""},
      };
      enum { NCOUNTERS = sizeof counters / sizeof counters[0] };
      bson_iter_t it;
      bool shown[NCOUNTERS];
      int width = 11; /* "nInserted", "batches", "elapsed" and a space */
      for (size_t i = 0; i < NCOUNTERS; i++) {
         int64_t v = get_int (reply, counters[i].key);
         bool always = strstr (counters[i].kinds, kind) != NULL;
         shown[i] = always || v != 0 || (!strcmp (counters[i].key, "nUnmatched") && bson_iter_init_find (&it, reply, "nUnmatched"));
         if (shown[i] && (int) strlen (counters[i].key) > width) {
            width = (int) strlen (counters[i].key); /* nModifiedUnknown: the values stay in one column */
         }
      }
      for (size_t i = 0; i < NCOUNTERS; i++) {
         if (shown[i]) {
            int64_t v = get_int (reply, counters[i].key);
            const char *color = !strcmp (counters[i].key, "nFailed") && v ? paint (cli, "\033[31m") : "";
            printf ("  %-*s %s%lld%s\n", width, counters[i].key, color, (long long) v, *color ? paint (cli, "\033[0m") : "");
         }
      }
      char elapsed[64];
      cli_format_elapsed (elapsed, sizeof elapsed, get_double (reply, "elapsedMs"));
      printf ("  %-*s %lld\n", width, "batches", (long long) get_int (reply, "batches"));
      printf ("  %-*s %s (%.0f docs/s)\n", width, "elapsed", elapsed, get_double (reply, "docsPerSec"));
      if (bson_iter_init_find (&it, reply, "dryRun")) {
         printf ("  dry run: nothing was written to the collection\n");
      }
   }
   bson_iter_t it, ai;
   if (!cli->quiet && bson_iter_init_find (&it, reply, "unmatched") && BSON_ITER_HOLDS_ARRAY (&it) &&
       bson_iter_recurse (&it, &ai)) {
      /* UPDATE ... FROM rows that matched no document, by row number */
      int64_t shown = 0;
      int64_t total = get_int (reply, "nUnmatched");
      while (bson_iter_next (&ai) && shown < SHOWN_ERRORS) {
         bson_t e;
         uint32_t len;
         const uint8_t *data;
         if (!BSON_ITER_HOLDS_DOCUMENT (&ai)) {
            continue;
         }
         bson_iter_document (&ai, &len, &data);
         bson_init_static (&e, data, len);
         printf ("%s%lld", shown++ ? ", " : total > 1 ? "  matched nothing: rows " : "  matched nothing: row ",
                 (long long) get_int (&e, "row"));
      }
      int64_t rest = total - shown;
      if (shown && rest > 0) {
         printf (" ... %lld more", (long long) rest);
      }
      if (shown) {
         printf ("\n");
      }
   }
   /* With --quiet the failed rows go on stderr after the error line that
    * names the statement (stdout has no table for them to belong to). */
   FILE *rows_out = cli->quiet ? stderr : stdout;
   if (cli->quiet && !ok) {
      if (error->line > 0 && cli->script_text) {
         cli_print_error (cli, error, cli->script_name, cli->script_text, cli->script_len);
      } else {
         print_statement_error (cli, kind, ns, error->message);
      }
   }
   int64_t nerr = 0;
   if (bson_iter_init_find (&it, reply, "writeErrors") && BSON_ITER_HOLDS_ARRAY (&it) && bson_iter_recurse (&it, &ai)) {
      while (bson_iter_next (&ai)) {
         if (nerr++ >= SHOWN_ERRORS) {
            continue;
         }
         bson_t e;
         uint32_t len;
         const uint8_t *data;
         bson_iter_document (&ai, &len, &data);
         bson_init_static (&e, data, len);
         int64_t row = get_int (&e, "row");
         int64_t code = get_int (&e, "code");
         char *msg = cli_redact_text (get_str (&e, "errmsg") ? get_str (&e, "errmsg") : "");
         char code_text[40] = "";
         if (get_str (&e, "code")) {
            snprintf (code_text, sizeof code_text, " (%s)", get_str (&e, "code")); /* IN_DOUBT */
         } else if (code != 0) {
            /* a server's error code; a row refused before it was sent
             * (conversion, CHECK) has none */
            snprintf (code_text, sizeof code_text, " (code %lld)", (long long) code);
         }
         bson_iter_t idi;
         char *id_text = NULL;
         if (row <= 0 && bson_iter_init_find (&idi, &e, "_id")) {
            /* a stored document, by its _id */
            bson_t one = BSON_INITIALIZER;
            bson_append_iter (&one, "_id", 3, &idi);
            id_text = bson_as_relaxed_extended_json (&one, NULL);
            bson_destroy (&one);
         }
         if (nerr == 1) {
            if (cli->quiet) {
               fprintf (rows_out, "  write errors:\n");
            } else {
               fprintf (rows_out, "  %swrite errors:%s\n", paint (cli, "\033[31m"), paint (cli, "\033[0m"));
            }
         }
         if (row > 0) {
            fprintf (rows_out, "    row %lld: %s%s\n", (long long) row, msg ? msg : "", code_text);
         } else if (id_text) {
            fprintf (rows_out, "    %s: %s%s\n", id_text, msg ? msg : "", code_text);
         } else {
            fprintf (rows_out, "    %s%s\n", msg ? msg : "", code_text);
         }
         free (msg);
         bson_free (id_text);
      }
   }
   int64_t failed = get_int (reply, "nFailed");
   int64_t listed = nerr < SHOWN_ERRORS ? nerr : SHOWN_ERRORS;
   /* rows: every failed row has its error, of which the reply keeps the
    * first 1000; stored documents (WHERE) fail by batch, one error each */
   bool rows = bson_iter_init_find (&it, reply, "nRows");
   int64_t more = (rows && failed > nerr ? failed : nerr) - listed;
   if (more > 0) {
      fprintf (rows_out, "    ... %lld more\n", (long long) more);
   }
   if (!cli->quiet) {
      print_would_log (cli, reply);
   }
   fflush (stdout);
   if (cli->quiet) {
      /* said above */
   } else if (!ok && error->line > 0 && cli->script_text) {
      /* an error about a part of the statement (an input file at its
       * FROM clause): shown with the statement's line and a caret */
      cli_print_error (cli, error, cli->script_name, cli->script_text, cli->script_len);
   } else if (!ok) {
      print_statement_error (cli, kind, ns, error->message);
   }
   /* error records, failed_records_file lines or the metrics document that
    * could not be written: never silent, even with --quiet */
   if (bson_iter_init_find (&it, reply, "logFailures") && BSON_ITER_HOLDS_ARRAY (&it) && bson_iter_recurse (&it, &ai)) {
      while (bson_iter_next (&ai)) {
         bson_t e;
         uint32_t len;
         const uint8_t *data;
         if (!BSON_ITER_HOLDS_DOCUMENT (&ai)) {
            continue;
         }
         bson_iter_document (&ai, &len, &data);
         bson_init_static (&e, data, len);
         char *msg = cli_redact_text (get_str (&e, "errmsg") ? get_str (&e, "errmsg") : "");
         bson_iter_t bi;
         if (bson_iter_init_find (&bi, &e, "batchIndex")) {
            fprintf (stderr, "%sbulkql: warning:%s batch %lld: %s\n", paint_err (cli, "\033[1;33m"), paint_err (cli, "\033[0m"),
                     (long long) bson_iter_as_int64 (&bi) + 1, msg ? msg : "");
         } else {
            fprintf (stderr, "%sbulkql: warning:%s %s\n", paint_err (cli, "\033[1;33m"), paint_err (cli, "\033[0m"),
                     msg ? msg : "");
         }
         free (msg);
      }
   }
}
