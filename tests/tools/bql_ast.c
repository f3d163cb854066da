/*
 * bql_ast.c — a test tool: parse a file (or stdin) and print its AST as
 * JSON, or the rendered error and exit 1. Used by the golden tests and for
 * looking at parse trees by hand: bql_ast FILE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bulkql/parser.h"

static char *
slurp (FILE *f, size_t *len)
{
   size_t cap = 4096, n = 0;
   char *buf = malloc (cap);
   size_t r;
   while (buf && (r = fread (buf + n, 1, cap - n, f)) > 0) {
      n += r;
      if (n == cap) {
         cap *= 2;
         char *nb = realloc (buf, cap);
         if (!nb) {
            free (buf);
            return NULL;
         }
         buf = nb;
      }
   }
   *len = n;
   return buf;
}

int
main (int argc, char **argv)
{
   const char *path = argc > 1 ? argv[1] : NULL;
   FILE *f = path ? fopen (path, "rb") : stdin;
   if (!f) {
      perror (path);
      return 2;
   }
   size_t len;
   char *text = slurp (f, &len);
   if (path) {
      fclose (f);
   }
   if (!text) {
      return 2;
   }
   bql_parse_options_t opts = {.size = sizeof (bql_parse_options_t), .filename = path ? path : "<stdin>"};
   bql_script_t *script;
   bql_error_t error;
   int rc = 0;
   if (bql_parse (text, len, &opts, &script, &error)) {
      char *json = bql_script_to_json (script, NULL);
      puts (json);
      bql_free (json);
      bql_script_destroy (script);
   } else {
      char *msg = bql_error_render (&error, opts.filename, text, len);
      fputs (msg, stdout);
      bql_free (msg);
      rc = 1;
   }
   free (text);
   return rc;
}
