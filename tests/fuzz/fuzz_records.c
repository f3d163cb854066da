/*
 * fuzz_records.c — the third libFuzzer target: data rows, read, typed and
 * built into documents. fuzz_parser and fuzz_plan reach the statement;
 * this target reaches what a statement reads: its first byte chooses one
 * of a few BULK INSERT ... FROM STDIN statements (NDJSON, a JSON array or
 * stream, CSV with a header, CSV with typed columns, array_index_fields
 * and blanks, TSV with inference and skip_lines, a CHECK, CSV without a
 * header and with its own delimiter, quote and null string), the rest is
 * the statement's standard input (a memory stream, gzip inflated when it
 * starts with gzip's magic bytes). The statement is planned with dry_run
 * forced (bql_plan_options_t.dry_run, as bulkql --dry-run) and run with
 * bql_execute: the input layer, the row readers, the typing of columns,
 * the layout of dotted names, the building of each document, CHECK and
 * the failed-row accounting all run, and nothing is sent: a dry run of an
 * INSERT writes nothing and reads nothing from the server, so the client
 * points at a closed port and is never used (an input that made it
 * connect would show as a slow unit: serverSelectionTimeoutMS is 50).
 * batch_size is 7 so that batch boundaries are crossed. The reply and
 * error are freed, so leaks show up. Outputs are not checked: the target
 * looks for crashes, sanitizer reports, leaks and hangs (issue 12: a CSV
 * header of 200,000 dotted parts overflowed the stack; a row refused by
 * libbson inside a nested object left the next row's document open).
 * Built by tests/fuzz/CMakeLists.txt; run with scripts/fuzz (seeds:
 * tests/fuzz/record-seeds, whose first byte is the statement's index).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mongoc/mongoc.h>

#include "bulkql/exec.h"
#include "bulkql/parser.h"
#include "bulkql/plan.h"

#define FIXED_NOW_MS 1705314600000LL
#define WITH " WITH (ordered = false, batch_size = 7);"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const char *const statements[] = {
   "BULK INSERT INTO c FROM STDIN FORMAT NDJSON" WITH,
   "BULK INSERT INTO c FROM STDIN FORMAT JSON" WITH,
   "BULK INSERT INTO c FROM STDIN FORMAT CSV" WITH,
   "BULK INSERT INTO c (_id INT, a STRING, b.c DOUBLE, b.d BIGINT, e JSON, f DATE FORMAT '%d/%m/%Y', g BOOL, "
   "h OBJECTID, i BINARY FORMAT 'hex', j DECIMAL, k TIMESTAMP) FROM STDIN FORMAT CSV (header = TRUE)" WITH,
   "BULK INSERT INTO c (_id INT, a.b DOUBLE, e JSON, f DATE, g BOOL, h OBJECTID, j DECIMAL, i BINARY) "
   "FROM STDIN FORMAT NDJSON" WITH,
   "BULK INSERT INTO c FROM STDIN FORMAT CSV (array_index_fields = true, blanks = 'omit')" WITH,
   "BULK INSERT INTO c FROM STDIN FORMAT TSV (infer_rows = 5, blanks = 'empty', skip_lines = 1)" WITH,
   "BULK INSERT INTO c (a INT, b) FROM STDIN FORMAT JSON CHECK (a > 0 AND b IS NOT NULL)" WITH,
   "BULK INSERT INTO c (id INT, name) FROM STDIN FORMAT CSV (delimiter = ';', quote = '''', null_string = 'NA', "
   "header = FALSE)" WITH,
};
#define NSTATEMENTS (sizeof statements / sizeof statements[0])

static bql_script_t *scripts[NSTATEMENTS]; /* the plans point into them */
static bql_plan_t *plans[NSTATEMENTS];
static mongoc_client_t *client;

/* Once per process: the client (never connected) and the plans, each
 * parsed and planned with dry_run forced; a template that does not plan
 * is a defect of this file, reported and fatal. */
int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
   (void) argc;
   (void) argv;
   mongoc_init ();
   client = mongoc_client_new ("mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=50&connectTimeoutMS=50");
   if (!client) {
      fprintf (stderr, "fuzz_records: no client\n");
      abort ();
   }
   for (size_t i = 0; i < NSTATEMENTS; i++) {
      bql_script_t *script = NULL;
      bql_error_t error;
      memset (&error, 0, sizeof error);
      bql_parse_options_t po = {.size = sizeof po, .filename = "fuzz_records"};
      if (!bql_parse (statements[i], strlen (statements[i]), &po, &script, &error)) {
         fprintf (stderr, "fuzz_records: statement %zu does not parse: %s\n", i, error.message);
         abort ();
      }
      bql_plan_options_t opts = {.size = sizeof opts, .database = "test", .now_ms = FIXED_NOW_MS, .dry_run = true};
      if (!bql_plan_new (script, 0, &opts, &plans[i], &error)) {
         fprintf (stderr, "fuzz_records: statement %zu does not plan: %s\n", i, error.message);
         abort ();
      }
      scripts[i] = script; /* kept for the process's life, as the plan */
   }
   return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
   if (size == 0) {
      return 0;
   }
   const bql_plan_t *plan = plans[data[0] % NSTATEMENTS];
   /* fmemopen refuses a buffer of 0 bytes: one byte, not read past */
   static const uint8_t none[1];
   size_t n = size - 1;
   FILE *in = fmemopen ((void *) (n ? data + 1 : none), n ? n : 1, "r");
   if (!in) {
      return 0;
   }
   if (!n) {
      fgetc (in); /* at the end: no input */
   }
   bql_exec_options_t xo = {.size = sizeof xo, .stdin_stream = in};
   bson_t reply;
   bql_error_t error;
   (void) bql_execute (client, plan, &xo, &reply, &error);
   bson_destroy (&reply);
   fclose (in);
   return 0;
}
