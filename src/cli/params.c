/*
 * params.c — the statement parameters of the bulkql command, as psql's
 * variables: "-v name=value" on the command line and "\set name value" at
 * the prompt bind :name (and "-v 1=value" the first ?) for every
 * statement planned after it (bql_plan_options_t.params). A value is
 * bound as the SQL literal it reads as: an integer (int32, else int64), a
 * decimal or exponent number (double), true, false, null, a 'quoted'
 * string ('' for a quote), else the text as given (a string, as psql
 * binds text).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

/* A valid parameter name: an identifier (:name) or a positive number
 * (the n-th ?). */
static bool
valid_name (const char *name)
{
   if (!*name) {
      return false;
   }
   if (isdigit ((unsigned char) name[0])) {
      for (const char *p = name; *p; p++) {
         if (!isdigit ((unsigned char) *p)) {
            return false;
         }
      }
      return strtol (name, NULL, 10) > 0;
   }
   if (!isalpha ((unsigned char) name[0]) && name[0] != '_') {
      return false;
   }
   for (const char *p = name; *p; p++) {
      if (!isalnum ((unsigned char) *p) && *p != '_') {
         return false;
      }
   }
   return true;
}

/* Append value under name to doc, typed as the literal it reads as. */
static void
append_typed (bson_t *doc, const char *name, const char *value)
{
   size_t len = strlen (value);
   char *end;
   if (len && (isdigit ((unsigned char) value[0]) ||
               ((value[0] == '-' || value[0] == '+') && isdigit ((unsigned char) value[1])))) {
      errno = 0;
      long long i = strtoll (value, &end, 10);
      if (!*end && errno == 0) {
         if (i >= INT32_MIN && i <= INT32_MAX) {
            BSON_APPEND_INT32 (doc, name, (int32_t) i);
         } else {
            BSON_APPEND_INT64 (doc, name, (int64_t) i);
         }
         return;
      }
      errno = 0;
      double d = strtod (value, &end);
      if (!*end && errno == 0 && strspn (value, "+-0123456789.eE") == len) {
         BSON_APPEND_DOUBLE (doc, name, d);
         return;
      }
   }
   if (!strcasecmp (value, "true") || !strcasecmp (value, "false")) {
      BSON_APPEND_BOOL (doc, name, !strcasecmp (value, "true"));
      return;
   }
   if (!strcasecmp (value, "null")) {
      BSON_APPEND_NULL (doc, name);
      return;
   }
   if (len >= 2 && value[0] == '\'' && value[len - 1] == '\'') {
      /* 'text' with '' for a quote */
      char *s = malloc (len);
      size_t n = 0;
      for (size_t i = 1; i + 1 < len; i++) {
         s[n++] = value[i];
         if (value[i] == '\'' && value[i + 1] == '\'' && i + 2 < len) {
            i++;
         }
      }
      s[n] = '\0';
      BSON_APPEND_UTF8 (doc, name, s);
      free (s);
      return;
   }
   BSON_APPEND_UTF8 (doc, name, value);
}

bool
cli_param_set (cli_t *cli, const char *name, const char *value, char *why, size_t size)
{
   if (!valid_name (name)) {
      snprintf (why, size, "invalid parameter name '%s' (a name as :name, or n > 0 for the n-th ?)", name);
      return false;
   }
   if (!bson_utf8_validate (value, strlen (value), false)) {
      snprintf (why, size, "the value of parameter '%s' is not valid UTF-8", name);
      return false;
   }
   bson_t *next = bson_new ();
   if (cli->params) {
      bson_copy_to_excluding_noinit (cli->params, next, name, NULL);
      bson_destroy (cli->params);
   }
   append_typed (next, name, value);
   cli->params = next;
   return true;
}

bool
cli_param_unset (cli_t *cli, const char *name)
{
   bson_iter_t it;
   if (!cli->params || !bson_iter_init_find (&it, cli->params, name)) {
      return false;
   }
   bson_t *next = bson_new ();
   bson_copy_to_excluding_noinit (cli->params, next, name, NULL);
   bson_destroy (cli->params);
   cli->params = next;
   return true;
}

void
cli_params_print (const cli_t *cli, FILE *out)
{
   bson_iter_t it;
   size_t n = 0;
   if (cli->params && bson_iter_init (&it, cli->params)) {
      while (bson_iter_next (&it)) {
         const bson_value_t *v = bson_iter_value (&it);
         const char *key = bson_iter_key (&it);
         bool positional = isdigit ((unsigned char) key[0]);
         fprintf (out, "%s%s = ", positional ? "?" : ":", key);
         switch (v->value_type) {
         case BSON_TYPE_INT32:
            fprintf (out, "%" PRId32 " (int)\n", v->value.v_int32);
            break;
         case BSON_TYPE_INT64:
            fprintf (out, "%" PRId64 " (bigint)\n", v->value.v_int64);
            break;
         case BSON_TYPE_DOUBLE:
            fprintf (out, "%.17g (double)\n", v->value.v_double);
            break;
         case BSON_TYPE_BOOL:
            fprintf (out, "%s (bool)\n", v->value.v_bool ? "true" : "false");
            break;
         case BSON_TYPE_NULL:
            fprintf (out, "null\n");
            break;
         default:
            fprintf (out, "'%s' (string)\n", v->value.v_utf8.str);
            break;
         }
         n++;
      }
   }
   if (n == 0) {
      fprintf (out, "No parameters are set.\n");
   }
}

void
cli_params_free (cli_t *cli)
{
   if (cli->params) {
      bson_destroy (cli->params);
      cli->params = NULL;
   }
}
