/*
 * golden.c — what a golden case produces, shared by the golden test and
 * the reentrancy test:
 *   parse/NAME.sql      → the AST as JSON                      (NAME.json)
 *   plan/NAME.sql       → EXPLAIN of every statement           (NAME.plan.json)
 *   errors/NAME.sql     → the rendered error, which must occur (NAME.err)
 *   reference/NAME.sql  → the plan, or the rendered error       (NAME.plan.json | NAME.err)
 * Plans use database "test", the clock fixed at 2024-01-15T10:30:00Z and
 * 6 cores (bql_plan_options_t.cores);
 * NAME.params.json, when present, holds the bound parameters. Errors name
 * the file by its base name, so the files do not depend on where the tree is.
 */
#include "golden.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_pretty.h"

#define FIXED_NOW_MS 1705314600000LL
#define FIXED_CORES 6 /* what parse_threads left out counts (EXPLAIN's source.parse_threads) */

char *
golden_read (const char *path, size_t *len)
{
   FILE *f = fopen (path, "rb");
   if (!f) {
      return NULL;
   }
   size_t cap = 4096, n = 0, r;
   char *buf = malloc (cap);
   while ((r = fread (buf + n, 1, cap - n - 1, f)) > 0) {
      n += r;
      if (n + 1 >= cap) {
         cap *= 2;
         buf = realloc (buf, cap);
      }
   }
   fclose (f);
   buf[n] = '\0';
   if (len) {
      *len = n;
   }
   return buf;
}

static void
append (char **out, size_t *len, const char *s)
{
   size_t n = strlen (s);
   *out = realloc (*out, *len + n + 1);
   memcpy (*out + *len, s, n + 1);
   *len += n;
}

static char *
render (const bql_error_t *error, const char *base, const char *text, size_t len)
{
   char *msg = bql_error_render (error, base, text, len);
   char *copy = strdup (msg);
   bql_free (msg);
   return copy;
}

char *
golden_output (golden_kind_t kind, const char *sql_path, bool *failed)
{
   size_t len;
   char *text = golden_read (sql_path, &len);
   *failed = false;
   if (!text) {
      return strdup ("cannot read the case\n");
   }
   const char *base = strrchr (sql_path, '/');
   base = base ? base + 1 : sql_path;

   bql_parse_options_t po = {.size = sizeof (bql_parse_options_t), .filename = base};
   bql_script_t *script;
   bql_error_t error;
   char *out = NULL;
   size_t out_len = 0;
   if (!bql_parse (text, len, &po, &script, &error)) {
      *failed = true;
      out = render (&error, base, text, len);
      free (text);
      return out;
   }
   if (kind == GOLDEN_PARSE) {
      char *json = bql_script_to_json (script, NULL);
      out = bql_json_pretty (json);
      bql_free (json);
      bql_script_destroy (script);
      free (text);
      return out;
   }

   /* plans */
   char params_path[4096];
   snprintf (params_path, sizeof params_path, "%.*s.params.json", (int) (strlen (sql_path) - 4), sql_path);
   bson_t params = BSON_INITIALIZER;
   char *pj = golden_read (params_path, NULL);
   if (pj) {
      bson_error_t berr;
      bson_destroy (&params);
      if (!bson_init_from_json (&params, pj, -1, &berr)) {
         bson_init (&params);
         append (&out, &out_len, "bad params file\n");
      }
      free (pj);
   }
   bql_plan_options_t opts = {.size = sizeof (bql_plan_options_t), .database = "test", .params = &params, .now_ms = FIXED_NOW_MS,
                              .cores = FIXED_CORES};
   size_t n = bql_script_statement_count (script);
   for (size_t i = 0; i < n; i++) {
      bql_plan_t *plan;
      char *json = NULL;
      if (bql_plan_new (script, i, &opts, &plan, &error)) {
         json = bql_plan_explain_json (plan, &error);
         bql_plan_destroy (plan);
      }
      if (!json) {
         /* the first failing statement ends the case, as in the CLI */
         free (out);
         out = render (&error, base, text, len);
         *failed = true;
         break;
      }
      append (&out, &out_len, json);
      bql_free (json);
   }
   if (!out) {
      out = strdup ("");
   }
   bson_destroy (&params);
   bql_script_destroy (script);
   free (text);
   return out;
}
