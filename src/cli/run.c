/*
 * run.c — running a script in the bulkql command: parse the whole text,
 * plan every statement (so a syntax or planning error anywhere means
 * nothing is written), connect only when something must run, then run or
 * explain the statements in order and print each result, with a progress
 * line while each runs. Also the SIGINT handler the REPL and script mode
 * share: it only sets cli->cancel (the executor stops after the batch in
 * flight; nothing after it runs) and says so on stderr.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

size_t
cli_script_max (void)
{
   const char *env = getenv ("BULKQL_SCRIPT_MAX_BYTES");
   if (env && *env) {
      char *end;
      unsigned long long v = strtoull (env, &end, 10);
      if (!*end && v > 0 && v <= CLI_SCRIPT_MAX_DEFAULT) {
         return (size_t) v;
      }
   }
   return CLI_SCRIPT_MAX_DEFAULT;
}

const char *
cli_script_max_text (void)
{
   static char text[32];
   size_t max = cli_script_max ();
   if (max == CLI_SCRIPT_MAX_DEFAULT) {
      return "1 GiB";
   }
   snprintf (text, sizeof text, "%zu bytes", max);
   return text;
}

char *
cli_read_stream (FILE *f, size_t *len)
{
   size_t cap = 65536, n = 0;
   size_t max = cli_script_max ();
   char *buf = malloc (cap);
   size_t r;
   /* stop at an error too: a read interrupted by Ctrl-C returns what it
    * got with the error set, and must not be retried */
   while (buf && (r = fread (buf + n, 1, cap - n - 1, f)) > 0 && !ferror (f)) {
      n += r;
      if (n > max) {
         /* bounded: "-f /dev/zero" must not take all memory */
         free (buf);
         errno = EFBIG;
         return NULL;
      }
      if (n + 1 >= cap) {
         cap = cap * 2 > max + 2 ? max + 2 : cap * 2;
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

/* The driver's message msg without the URI's secrets, into out. */
static void
redact_into (char *out, size_t size, const char *msg)
{
   char *r = cli_redact_text (msg);
   snprintf (out, size, "%s", r);
   free (r);
}

bool
cli_connect (cli_t *cli)
{
   if (cli->client) {
      return true;
   }
   bson_error_t berr;
   char *shown = cli_redact_uri (cli->uri_string);
   char why[sizeof berr.message + 64];
   cli_secrets_add_uri (cli->uri_string);
   mongoc_uri_t *uri = mongoc_uri_new_with_error (cli->uri_string, &berr);
   if (!uri) {
      redact_into (why, sizeof why, berr.message);
      fprintf (stderr, "bulkql: invalid URI %s: %s\n", shown, why);
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
      redact_into (why, sizeof why, berr.message);
      fprintf (stderr, "bulkql: cannot use %s: %s\n", shown, why);
      free (shown);
      return false;
   }
   mongoc_client_set_appname (client, "bulkql");
   bson_t ping = BSON_INITIALIZER;
   BSON_APPEND_INT32 (&ping, "ping", 1);
   bool ok = mongoc_client_command_simple (client, "admin", &ping, NULL, NULL, &berr);
   bson_destroy (&ping);
   if (!ok && berr.domain == MONGOC_ERROR_SERVER_SELECTION) {
      /* no server answered: say so plainly, not in the driver's terms */
      char hosts[512] = "";
      const mongoc_host_list_t *h = mongoc_uri_get_hosts (mongoc_client_get_uri (client));
      for (; h; h = h->next) {
         size_t used = strlen (hosts);
         snprintf (hosts + used, sizeof hosts - used, "%s%s", used ? ", " : "", h->host_and_port);
      }
      fprintf (stderr, "bulkql: cannot connect to %s: is the server running at %s?\n", shown,
               hosts[0] ? hosts : "the URI's host");
      mongoc_client_destroy (client);
      free (shown);
      return false;
   }
   if (!ok) {
      redact_into (why, sizeof why, berr.message);
      fprintf (stderr, "bulkql: cannot connect to %s: %s\n", shown, why);
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
   char *shown = cli_redact_text (msg ? msg : "error\n");
   fputs (shown, stderr);
   free (shown);
   bql_free (msg);
}

static cli_t *volatile sigint_cli;

void
cli_sigint_target (cli_t *cli)
{
   sigint_cli = cli;
}

/* write(2) all of s; only async-signal-safe calls. */
static void
say (const char *s)
{
   size_t n = strlen (s);
   while (n > 0) {
      ssize_t w = write (STDERR_FILENO, s, n);
      if (w <= 0) {
         return;
      }
      s += w;
      n -= (size_t) w;
   }
}

void
cli_on_sigint (int sig)
{
   cli_t *cli = sigint_cli;
   if (!cli) {
      return;
   }
   int saved = errno;
   if (cli->cancel) {
      if (!cli->interactive || sig == SIGTERM) {
         /* a second Ctrl-C in a script: quit now (SIGINT is blocked in
          * this handler, so it arrives, with the default action, when the
          * handler returns) */
         signal (sig, SIG_DFL);
         raise (sig);
      }
      errno = saved;
      return;
   }
   cli->cancel = 1;
   if (sig == SIGTERM) {
      cli->terminate = 1;
   }
   if (cli->running) {
      if (cli->progress_tty) {
         say ("\r\033[K"); /* over the progress line and the echoed ^C */
      }
      if (sig == SIGTERM) {
         say ("bulkql: terminating (SIGTERM): the statement stops after the batch in flight "
              "(SIGTERM again to quit at once)\n");
      } else {
         say (cli->interactive ? "bulkql: cancelling: the statement stops after the batch in flight\n"
                               : "bulkql: cancelling: the statement stops after the batch in flight "
                                 "(Ctrl-C again to quit at once)\n");
      }
   }
   errno = saved;
}

static double
wall_ms (void)
{
   struct timespec ts;
   clock_gettime (CLOCK_MONOTONIC, &ts);
   return (double) ts.tv_sec * 1000.0 + (double) ts.tv_nsec / 1e6;
}

static void
print_timing (const cli_t *cli, double start_ms)
{
   if (cli->timing) {
      printf ("Time: %.3f ms\n", wall_ms () - start_ms);
   }
}

/* After a cancel: say what was not run (statements first..n-1). */
static void
report_cancel (size_t first, size_t n)
{
   size_t left = n - first;
   if (first == 0) {
      fprintf (stderr, "bulkql: cancelled; nothing was run\n");
   } else if (left > 0) {
      fprintf (stderr, "bulkql: cancelled; %zu statement%s not run\n", left, left == 1 ? "" : "s");
   }
}

int
cli_run_script (cli_t *cli, const char *name, const char *text, size_t len)
{
   cli->running = 1;
   bql_parse_options_t po = {.filename = name};
   bql_script_t *script;
   bql_error_t error;
   if (cli->cancel) {
      report_cancel (0, 1);
      cli->running = 0;
      return 1;
   }
   double start = wall_ms ();
   if (!bql_parse (text, len, &po, &script, &error)) {
      cli_print_error (cli, &error, name, text, len);
      cli->running = 0;
      return 1;
   }
   size_t n = bql_script_statement_count (script);
   bql_plan_t **plans = calloc (n ? n : 1, sizeof *plans);
   bql_plan_options_t opts = {.database = cli->database, .dry_run = cli->dry_run, .params = cli->params,
                              .explain_only = cli->explain};
   int rc = 0;
   bool need_server = false;
   for (size_t i = 0; i < n && !cli->cancel; i++) {
      if (!bql_plan_new (script, i, &opts, &plans[i], &error)) {
         cli_print_error (cli, &error, name, text, len);
         rc = 1;
         goto done;
      }
      if (!cli->explain && !bql_plan_is_explain (plans[i])) {
         need_server = true;
      }
   }
   if (!cli->cancel && need_server && !cli_connect (cli)) {
      rc = 2;
      goto done;
   }
   for (size_t i = 0; i < n; i++) {
      if (cli->cancel) {
         report_cancel (i, n);
         rc = 1;
         break;
      }
      if (i > 0) {
         start = wall_ms ();
      }
      if (cli->explain || bql_plan_is_explain (plans[i])) {
         char *json = bql_plan_explain_json (plans[i], &error);
         if (!json) {
            if (!error.message[0]) {
               /* never "error:" alone */
               snprintf (error.message, sizeof error.message, "the plan cannot be printed as Extended JSON");
            }
            cli_print_error (cli, &error, name, text, len);
            rc = 1;
            if (!cli->continue_on_error) {
               break;
            }
            continue;
         }
         fputs (json, stdout);
         bql_free (json);
         print_timing (cli, start);
         continue;
      }
      bson_t reply;
      cli_progress_t progress;
      cli_progress_begin (&progress, cli, bql_plan_progress (plans[i]));
      bql_exec_options_t xo = {
         .cancel = &cli->cancel,
         .progress = cli_progress_update,
         .progress_ctx = &progress,
         .on_batch = cli->verbose ? cli_verbose_batch : NULL,
         .batch_ctx = cli,
         .on_retry = cli->verbose ? cli_verbose_retry : NULL,
         .retry_ctx = cli,
      };
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
      } else if (cli->interactive && bql_plan_reads_stdin (plans[i])) {
         /* at the prompt: the rows are typed after the statement */
         FILE *rows = cli_repl_read_rows (cli);
         if (!rows) {
            fflush (stdout);
            rc = 1;
            break; /* cancelled: nothing written, nothing after it runs */
         }
         start = wall_ms ();
         xo.stdin_stream = rows;
         ok = bql_execute (cli->client, plans[i], &xo, &reply, &error);
         fclose (rows);
      } else {
         ok = bql_execute (cli->client, plans[i], &xo, &reply, &error);
      }
      cli_progress_clear (&progress);
      cli->script_name = name;
      cli->script_text = text;
      cli->script_len = len;
      cli_print_result (cli, &reply, ok, &error);
      cli->script_text = NULL;
      bson_destroy (&reply);
      print_timing (cli, start);
      if (!ok) {
         rc = error.code == BQL_ERR_CONNECTION ? 2 : 1;
         if (cli->cancel) {
            report_cancel (i + 1, n);
            break;
         }
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
   cli->running = 0;
   return rc;
}
