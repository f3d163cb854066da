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

void
cli_print_result (cli_t *cli, const bson_t *reply, bool ok, const bql_error_t *error)
{
   if (cli->format == CLI_FORMAT_JSON) {
      bson_t out = BSON_INITIALIZER;
      bson_concat (&out, reply);
      BSON_APPEND_BOOL (&out, "ok", ok);
      if (!ok && error->message[0]) {
         char *msg = cli_redact_text (error->message);
         BSON_APPEND_UTF8 (&out, "error", msg);
         free (msg);
      }
      char *json = bson_as_relaxed_extended_json (&out, NULL);
      puts (json);
      bson_free (json);
      bson_destroy (&out);
      fflush (stdout);
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
         {"nUnmatched", ""},
         {"nUpserted", "BULK UPSERT"},
         {"nRemoved", "BULK DELETE"},
         {"nArchived", ""},
         {"nFailed", "BULK INSERT BULK UPDATE BULK UPSERT BULK DELETE"},
         {"nWouldWrite", ""},
         {"nNotAttempted", ""},
      };
      bson_iter_t it;
      for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++) {
         int64_t v = get_int (reply, counters[i].key);
         bool always = strstr (counters[i].kinds, kind) != NULL;
         if (always || v != 0 || (!strcmp (counters[i].key, "nUnmatched") && bson_iter_init_find (&it, reply, "nUnmatched"))) {
            const char *color = !strcmp (counters[i].key, "nFailed") && v ? paint (cli, "\033[31m") : "";
            printf ("  %-11s %s%lld%s\n", counters[i].key, color, (long long) v, *color ? paint (cli, "\033[0m") : "");
         }
      }
      printf ("  %-11s %lld\n", "batches", (long long) get_int (reply, "batches"));
      printf ("  %-11s %.1f ms (%.0f docs/s)\n", "elapsed", get_double (reply, "elapsedMs"),
              get_double (reply, "docsPerSec"));
      if (bson_iter_init_find (&it, reply, "dryRun")) {
         printf ("  dry run: nothing was written to the collection\n");
      }
   }
   bson_iter_t it, ai;
   if (!cli->quiet && bson_iter_init_find (&it, reply, "unmatched") && BSON_ITER_HOLDS_ARRAY (&it) &&
       bson_iter_recurse (&it, &ai)) {
      /* UPDATE ... FROM rows that matched no document */
      int64_t shown = 0;
      while (bson_iter_next (&ai) && shown < SHOWN_ERRORS) {
         bson_t e;
         uint32_t len;
         const uint8_t *data;
         if (!BSON_ITER_HOLDS_DOCUMENT (&ai)) {
            continue;
         }
         bson_iter_document (&ai, &len, &data);
         bson_init_static (&e, data, len);
         printf ("%s%lld", shown++ ? ", " : "  unmatched rows: ", (long long) get_int (&e, "row"));
      }
      int64_t rest = get_int (reply, "nUnmatched") - shown;
      if (shown && rest > 0) {
         printf (" ... %lld more", (long long) rest);
      }
      if (shown) {
         printf ("\n");
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
         char *msg = cli_redact_text (get_str (&e, "errmsg") ? get_str (&e, "errmsg") : "");
         if (nerr == 1) {
            printf ("  %swrite errors:%s\n", paint (cli, "\033[31m"), paint (cli, "\033[0m"));
         }
         if (row > 0) {
            printf ("    row %lld: %s (code %lld)\n", (long long) row, msg ? msg : "", (long long) get_int (&e, "code"));
         } else {
            printf ("    %s (code %lld)\n", msg ? msg : "", (long long) get_int (&e, "code"));
         }
         free (msg);
      }
   }
   int64_t failed = get_int (reply, "nFailed");
   int64_t listed = nerr < SHOWN_ERRORS ? nerr : SHOWN_ERRORS;
   /* rows: every failed row has its error, of which the reply keeps the
    * first 1000; stored documents (WHERE) fail by batch, one error each */
   bool rows = bson_iter_init_find (&it, reply, "nRows");
   int64_t more = (rows && failed > nerr ? failed : nerr) - listed;
   if (more > 0) {
      printf ("    ... %lld more\n", (long long) more);
   }
   fflush (stdout);
   if (!ok && error->line > 0 && cli->script_text) {
      /* an error about a part of the statement (an input file at its
       * FROM clause): shown with the statement's line and a caret */
      cli_print_error (cli, error, cli->script_name, cli->script_text, cli->script_len);
   } else if (!ok) {
      print_error_message (cli, error->message);
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
