/*
 * run.c — running a script in the bulkql command: parse the whole text,
 * plan every statement (so a syntax or planning error anywhere means
 * nothing is written), connect only when something must run, then run or
 * explain the statements in order and print each result.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

char *
cli_redact_uri (const char *uri)
{
   char *out = strdup (uri ? uri : "");
   char *scheme = strstr (out, "://");
   if (!scheme) {
      return out;
   }
   char *userinfo = scheme + 3;
   char *at = strchr (userinfo, '@');
   char *slash = strchr (userinfo, '/');
   if (!at || (slash && slash < at)) {
      return out;
   }
   char *colon = memchr (userinfo, ':', (size_t) (at - userinfo));
   if (!colon) {
      return out;
   }
   size_t keep = (size_t) (colon + 1 - out);
   char *red = malloc (keep + 4 + strlen (at) + 1);
   memcpy (red, out, keep);
   memcpy (red + keep, "****", 4);
   strcpy (red + keep + 4, at);
   free (out);
   return red;
}

char *
cli_read_stream (FILE *f, size_t *len)
{
   size_t cap = 65536, n = 0;
   char *buf = malloc (cap);
   size_t r;
   while (buf && (r = fread (buf + n, 1, cap - n - 1, f)) > 0) {
      n += r;
      if (n + 1 >= cap) {
         cap *= 2;
         char *nb = realloc (buf, cap);
         if (!nb) {
            free (buf);
            return NULL;
         }
         buf = nb;
      }
   }
   if (buf && ferror (f)) {
      free (buf);
      return NULL;
   }
   if (buf) {
      buf[n] = '\0';
   }
   *len = n;
   return buf;
}

char *
cli_read_file (const char *path, size_t *len)
{
   FILE *f = fopen (path, "rb");
   if (!f) {
      return NULL;
   }
   char *text = cli_read_stream (f, len);
   int saved = errno;
   fclose (f);
   errno = saved;
   return text;
}

bool
cli_connect (cli_t *cli)
{
   if (cli->client) {
      return true;
   }
   bson_error_t berr;
   char *shown = cli_redact_uri (cli->uri_string);
   mongoc_uri_t *uri = mongoc_uri_new_with_error (cli->uri_string, &berr);
   if (!uri) {
      fprintf (stderr, "bulkql: invalid URI %s: %s\n", shown, berr.message);
      free (shown);
      return false;
   }
   /* A command-line tool should not hang for the driver's default 30 s. */
   if (!mongoc_uri_has_option (uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS)) {
      mongoc_uri_set_option_as_int32 (uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, 5000);
   }
   mongoc_client_t *client = mongoc_client_new_from_uri_with_error (uri, &berr);
   mongoc_uri_destroy (uri);
   if (!client) {
      fprintf (stderr, "bulkql: cannot use %s: %s\n", shown, berr.message);
      free (shown);
      return false;
   }
   mongoc_client_set_appname (client, "bulkql");
   bson_t ping = BSON_INITIALIZER;
   BSON_APPEND_INT32 (&ping, "ping", 1);
   bool ok = mongoc_client_command_simple (client, "admin", &ping, NULL, NULL, &berr);
   bson_destroy (&ping);
   if (!ok) {
      fprintf (stderr, "bulkql: cannot connect to %s: %s\n", shown, berr.message);
      mongoc_client_destroy (client);
      free (shown);
      return false;
   }
   free (shown);
   cli->client = client;
   return true;
}

void
cli_disconnect (cli_t *cli)
{
   if (cli->client) {
      mongoc_client_destroy (cli->client);
      cli->client = NULL;
   }
}

void
cli_print_error (cli_t *cli, const bql_error_t *error, const char *name, const char *text, size_t len)
{
   (void) cli;
   char *msg = bql_error_render (error, name, text, len);
   fputs (msg ? msg : "error\n", stderr);
   bql_free (msg);
}

static cli_t *sigint_target;

static void
on_sigint (int sig)
{
   (void) sig;
   if (sigint_target) {
      sigint_target->cancel = 1;
   }
}

int
cli_run_script (cli_t *cli, const char *name, const char *text, size_t len)
{
   bql_parse_options_t po = {.filename = name};
   bql_script_t *script;
   bql_error_t error;
   if (!bql_parse (text, len, &po, &script, &error)) {
      cli_print_error (cli, &error, name, text, len);
      return 1;
   }
   size_t n = bql_script_statement_count (script);
   bql_plan_t **plans = calloc (n ? n : 1, sizeof *plans);
   bql_plan_options_t opts = {.database = cli->database, .dry_run = cli->dry_run};
   int rc = 0;
   bool need_server = false;
   for (size_t i = 0; i < n; i++) {
      if (!bql_plan_new (script, i, &opts, &plans[i], &error)) {
         cli_print_error (cli, &error, name, text, len);
         rc = 1;
         goto done;
      }
      if (!cli->explain && !bql_plan_is_explain (plans[i])) {
         need_server = true;
      }
   }
   if (need_server && !cli_connect (cli)) {
      rc = 2;
      goto done;
   }
   for (size_t i = 0; i < n; i++) {
      if (cli->explain || bql_plan_is_explain (plans[i])) {
         char *json = bql_plan_explain_json (plans[i], &error);
         if (!json) {
            cli_print_error (cli, &error, name, text, len);
            rc = 1;
            if (!cli->continue_on_error) {
               break;
            }
            continue;
         }
         fputs (json, stdout);
         bql_free (json);
         continue;
      }
      bson_t reply;
      bql_exec_options_t xo = {.cancel = &cli->cancel};
      cli->cancel = 0;
      sigint_target = cli;
      struct sigaction sa, old;
      memset (&sa, 0, sizeof sa);
      sa.sa_handler = on_sigint;
      sigaction (SIGINT, &sa, &old);
      bool ok;
      if (cli->script_on_stdin && bql_plan_reads_stdin (plans[i])) {
         /* standard input holds the statements, read to the end already */
         bson_init (&reply);
         bql_error_clear (&error);
         error.domain = BQL_ERROR_USAGE;
         error.code = BQL_ERR_INVALID_ARG;
         snprintf (error.message, sizeof error.message,
                   "FROM STDIN cannot read standard input here: it holds the statements; give them with -f or -c");
         ok = false;
      } else {
         ok = bql_execute (cli->client, plans[i], &xo, &reply, &error);
      }
      sigaction (SIGINT, &old, NULL);
      sigint_target = NULL;
      cli->script_name = name;
      cli->script_text = text;
      cli->script_len = len;
      cli_print_result (cli, &reply, ok, &error);
      cli->script_text = NULL;
      bson_destroy (&reply);
      if (!ok) {
         rc = error.code == BQL_ERR_CONNECTION ? 2 : 1;
         if (!cli->continue_on_error || error.code == BQL_ERR_CONNECTION) {
            break;
         }
      }
   }
done:
   for (size_t i = 0; i < n; i++) {
      bql_plan_destroy (plans[i]);
   }
   free (plans);
   bql_script_destroy (script);
   fflush (stdout);
   return rc;
}
