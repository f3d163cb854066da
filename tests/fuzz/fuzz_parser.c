/*
 * fuzz_parser.c — the libFuzzer target for the parser and the planner.
 *
 * Each input is parsed as a BulkQL script with bql_parse(). When parsing
 * succeeds the script is printed as JSON and every statement is planned
 * (bql_plan_new with database "test", the clock fixed at
 * 2024-01-15T10:30:00Z and no bound parameters) and explained as JSON;
 * when it fails the error is rendered against the input. Everything is
 * freed, so leaks show up under LeakSanitizer. The outputs are not
 * checked: the target looks for crashes, sanitizer reports, leaks and
 * hangs. Built by tests/fuzz/CMakeLists.txt (BULKQL_FUZZ=ON); run it with
 * scripts/fuzz.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bulkql/parser.h"
#include "bulkql/plan.h"

#define FIXED_NOW_MS 1705314600000LL

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Touch every byte of a result so that an unterminated or short string
 * is reported by ASan here, next to the call that produced it. */
static size_t
consume (const char *s)
{
   return s ? strlen (s) : 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
   const char *text = (const char *) data;
   bql_parse_options_t po = {.size = sizeof (bql_parse_options_t), .filename = "fuzz.sql"};
   bql_script_t *script = NULL;
   bql_error_t error;
   memset (&error, 0, sizeof error);

   if (!bql_parse (text, size, &po, &script, &error)) {
      char *msg = bql_error_render (&error, "fuzz.sql", text, size);
      consume (msg);
      bql_free (msg);
      return 0;
   }

   size_t json_len = 0;
   char *json = bql_script_to_json (script, &json_len);
   consume (json);
   bql_free (json);

   bql_plan_options_t opts = {.size = sizeof (bql_plan_options_t), .database = "test", .now_ms = FIXED_NOW_MS};
   size_t n = bql_script_statement_count (script);
   for (size_t i = 0; i < n; i++) {
      bql_plan_t *plan = NULL;
      memset (&error, 0, sizeof error);
      if (!bql_plan_new (script, i, &opts, &plan, &error)) {
         size_t src_len;
         const char *src = bql_script_source (script, &src_len);
         char *msg = bql_error_render (&error, bql_script_filename (script), src, src_len);
         consume (msg);
         bql_free (msg);
         continue;
      }
      char *explain = bql_plan_explain_json (plan, &error);
      consume (explain);
      bql_free (explain);
      bql_plan_destroy (plan);
   }
   bql_script_destroy (script);
   return 0;
}
