/*
 * bql_plan.c — a test tool: parse a file and print the EXPLAIN document of
 * each statement, or the rendered error and exit 1. The clock is fixed at
 * 2024-01-15T10:30:00Z so plans are reproducible. Used by the golden tests:
 * bql_plan FILE [PARAMS_JSON].
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulkql/bulkql.h"

#define FIXED_NOW_MS 1705314600000LL

int
main (int argc, char **argv)
{
   if (argc < 2) {
      fprintf (stderr, "usage: bql_plan FILE [PARAMS_JSON]\n");
      return 2;
   }
   FILE *f = fopen (argv[1], "rb");
   if (!f) {
      perror (argv[1]);
      return 2;
   }
   char *text = NULL;
   size_t len = 0, cap = 0, r;
   char chunk[65536];
   while ((r = fread (chunk, 1, sizeof chunk, f)) > 0) {
      if (len + r > cap) {
         cap = (len + r) * 2;
         text = realloc (text, cap);
      }
      memcpy (text + len, chunk, r);
      len += r;
   }
   fclose (f);

   bson_t params = BSON_INITIALIZER;
   if (argc > 2) {
      bson_error_t berr;
      bson_destroy (&params);
      if (!bson_init_from_json (&params, argv[2], -1, &berr)) {
         fprintf (stderr, "bad params: %s\n", berr.message);
         return 2;
      }
   }

   bql_parse_options_t po = {.size = sizeof (bql_parse_options_t), .filename = argv[1]};
   bql_script_t *script;
   bql_error_t error;
   int rc = 0;
   if (!bql_parse (text, len, &po, &script, &error)) {
      char *msg = bql_error_render (&error, argv[1], text, len);
      fputs (msg, stdout);
      bql_free (msg);
      free (text);
      bson_destroy (&params);
      return 1;
   }
   bql_plan_options_t opts = {.size = sizeof (bql_plan_options_t), .database = "test", .params = &params, .now_ms = FIXED_NOW_MS};
   for (size_t i = 0; i < bql_script_statement_count (script); i++) {
      bql_plan_t *plan;
      char *out = NULL;
      if (bql_plan_new (script, i, &opts, &plan, &error)) {
         out = bql_plan_explain_json (plan, &error);
         bql_plan_destroy (plan);
      }
      if (out) {
         fputs (out, stdout);
         bql_free (out);
      } else {
         char *msg = bql_error_render (&error, argv[1], text, len);
         fputs (msg, stdout);
         bql_free (msg);
         rc = 1;
         break;
      }
   }
   bql_script_destroy (script);
   bson_destroy (&params);
   free (text);
   return rc;
}
