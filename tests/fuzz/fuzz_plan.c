/*
 * fuzz_plan.c — the second libFuzzer target: expressions, parsed and
 * planned. Issue 12's crash was in the planner, on conditions that parse;
 * fuzz_parser spends most inputs on statements that do not parse, so this
 * target puts the input where an expression goes in one of a few
 * statements (its first byte chooses which: a WHERE condition of DELETE,
 * a SET value of UPDATE over a field, a VALUES value of INSERT, a CHECK
 * condition) and so spends every input on the expression grammar, the
 * nesting limit and the planner's walks (eval, the filter and aggregation
 * translations). Each statement that parses is planned (bql_plan_new,
 * database "test", the clock fixed) and explained as JSON; everything is
 * freed, so leaks show up. Outputs are not checked: the target looks for
 * crashes, sanitizer reports, leaks and hangs. Built by
 * tests/fuzz/CMakeLists.txt; run with scripts/fuzz (seeds:
 * tests/fuzz/expr-seeds).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulkql/parser.h"
#include "bulkql/plan.h"

#define FIXED_NOW_MS 1705314600000LL

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const char *const templates[][2] = {
   {"BULK DELETE FROM c WHERE ", ""},
   {"BULK UPDATE c SET x = ", " WHERE id = 1"},
   {"BULK INSERT INTO c (a, b) VALUES (1, ", ")"},
   {"BULK INSERT INTO c (a INTEGER, b TEXT) VALUES (1, 'x') CHECK (", ")"},
};

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
   if (size == 0) {
      return 0;
   }
   const char *const *t = templates[data[0] % (sizeof templates / sizeof templates[0])];
   size_t hl = strlen (t[0]), tl = strlen (t[1]), el = size - 1;
   char *text = malloc (hl + el + tl + 1);
   if (!text) {
      return 0;
   }
   memcpy (text, t[0], hl);
   memcpy (text + hl, data + 1, el);
   memcpy (text + hl + el, t[1], tl);
   size_t len = hl + el + tl;
   text[len] = '\0';

   bql_parse_options_t po = {.filename = "fuzz.sql"};
   bql_script_t *script = NULL;
   bql_error_t error;
   memset (&error, 0, sizeof error);
   if (!bql_parse (text, len, &po, &script, &error)) {
      free (text);
      return 0;
   }
   bql_plan_options_t opts = {.database = "test", .now_ms = FIXED_NOW_MS};
   size_t n = bql_script_statement_count (script);
   for (size_t i = 0; i < n; i++) {
      bql_plan_t *plan = NULL;
      memset (&error, 0, sizeof error);
      if (!bql_plan_new (script, i, &opts, &plan, &error)) {
         char *msg = bql_error_render (&error, "fuzz.sql", text, len);
         bql_free (msg);
         continue;
      }
      char *explain = bql_plan_explain_json (plan, &error);
      bql_free (explain);
      bql_plan_destroy (plan);
   }
   bql_script_destroy (script);
   free (text);
   return 0;
}
