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
   if (!ok && cli->connect_waits &&
       (berr.domain == MONGOC_ERROR_SERVER_SELECTION || berr.domain == MONGOC_ERROR_STREAM)) {
      ok = true; /* a resume waits for the server itself (a restart) */
   }
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
   if (cli->format == CLI_FORMAT_JSON) {
      /* stdout says it too: a consumer of the JSON lines sees the failure */
      cli_print_json_error (cli, error, name);
   }
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
      if (!cli->interactive || cli->running || sig == SIGTERM) {
         /* a second Ctrl-C while a statement stops: quit now (SIGINT is
          * blocked in this handler, so it arrives, with the default
          * action, when the handler returns: the shell sees 130, or 143
          * for SIGTERM) */
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
      /* the batch in flight: its reply is waited for half a second,
       * then it is abandoned and reported in doubt (write_path.c) */
      if (sig == SIGTERM) {
         say ("bulkql: terminating (SIGTERM): the statement stops after the batch in flight "
              "(SIGTERM again to quit at once)\n");
      } else {
         say ("bulkql: cancelling: the statement stops after the batch in flight "
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

/* As psql's \timing: "Time: 812.345 ms", and from one second on the
 * same with minutes and seconds: "Time: 1262303.200 ms (21:02.303)". */
static void
print_timing (const cli_t *cli, double start_ms)
{
   if (!cli->timing) {
      return;
   }
   double ms = wall_ms () - start_ms;
   if (ms < 1000.0) {
      printf ("Time: %.3f ms\n", ms);
      return;
   }
   double seconds = ms / 1000.0;
   double minutes = (double) (long long) (seconds / 60.0);
   seconds -= 60.0 * minutes;
   if (minutes < 60.0) {
      printf ("Time: %.3f ms (%02d:%06.3f)\n", ms, (int) minutes, seconds);
      return;
   }
   double hours = (double) (long long) (minutes / 60.0);
   minutes -= 60.0 * hours;
   printf ("Time: %.3f ms (%02d:%02d:%06.3f)\n", ms, (int) hours, (int) minutes, seconds);
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

char *
cli_script_dir (const char *path)
{
   const char *slash = path ? strrchr (path, '/') : NULL;
   if (!slash) {
      return NULL; /* a name in the current directory */
   }
   if (slash == path) {
      return strdup ("/");
   }
   return strndup (path, (size_t) (slash - path));
}

bool
cli_input_prepare (cli_t *cli, cli_input_t *in)
{
   bql_parse_options_t po = {.size = sizeof (bql_parse_options_t), .filename = in->name};
   bql_error_t error;
   in->script = NULL;
   in->plans = NULL;
   in->n = 0;
   in->need_server = false;
   in->show = cli_show_statement (in->text, in->len, false);
   if (in->show) {
      /* SHOW COLLECTIONS / DATABASES alone: a catalogue read, no plan */
      in->need_server = !cli->explain;
      return true;
   }
   if (!bql_parse (in->text, in->len, &po, &in->script, &error)) {
      in->script = NULL;
      if (error.offset >= 0 && (size_t) error.offset + 4 <= in->len && !strncasecmp (in->text + error.offset, "SHOW", 4) &&
          !error.hint[0]) {
         snprintf (error.hint, sizeof error.hint,
                   "SHOW COLLECTIONS and SHOW DATABASES are given alone: a -c or a file of their own, or at the prompt.");
      }
      cli_print_error (cli, &error, in->name, in->text, in->len);
      return false;
   }
   size_t n = bql_script_statement_count (in->script);
   in->plans = calloc (n ? n : 1, sizeof *in->plans);
   if (!in->plans) {
      fprintf (stderr, "bulkql: %s: out of memory\n", in->name);
      return false;
   }
   in->n = n;
   bql_plan_options_t opts = {.size = sizeof (bql_plan_options_t), .database = cli->database, .dry_run = cli->dry_run, .base_dir = in->base_dir,
                              .params = cli->params, .explain_only = cli->explain};
   const bql_node_t *first = n ? bql_script_statement (in->script, 0) : NULL;
   bool bulk = bql_is (first, InsertStmt) || bql_is (first, UpdateStmt) || bql_is (first, UpsertStmt) ||
               bql_is (first, DeleteStmt);
   cli->connect_waits = cli->connect_waits || cli->resume_id;
   if (cli->resume_id && (n != 1 || !bulk)) {
      fprintf (stderr, "bulkql: %s: --resume runs one BULK statement, the operation's own; this holds %s\n", in->name,
               n == 1 ? "another kind of statement" : "several statements");
      return false;
   }
   for (size_t i = 0; i < n; i++) {
      if (cli->cancel) {
         return false;
      }
      const bql_node_t *stmt = bql_script_statement (in->script, i);
      if (bql_is (stmt, ResumeStmt)) {
         /* run by bql_operation_resume: its statement is on the server */
         if (cli->explain || cli->dry_run) {
            bql_error_clear (&error);
            error.domain = BQL_ERROR_USAGE;
            error.code = BQL_ERR_UNSUPPORTED;
            error.offset = stmt->location;
            error.length = stmt->length;
            bql_error_locate (&error, in->text, in->len);
            snprintf (error.message, sizeof error.message, "%s cannot run RESUME OPERATION: the statement to resume is "
                      "stored on the server, and a resume writes", cli->explain ? "--explain" : "--dry-run");
            cli_print_error (cli, &error, in->name, in->text, in->len);
            return false;
         }
         in->need_server = true;
         cli->connect_waits = true;
         continue;
      }
      if (!bql_plan_new (in->script, i, &opts, &in->plans[i], &error)) {
         cli_print_error (cli, &error, in->name, in->text, in->len);
         return false;
      }
      if (!cli->explain && !bql_plan_is_explain (in->plans[i])) {
         in->need_server = true;
      }
   }
   return true;
}

void
cli_input_cleanup (cli_input_t *in)
{
   for (size_t i = 0; in->plans && i < in->n; i++) {
      bql_plan_destroy (in->plans[i]);
   }
   free (in->plans);
   in->plans = NULL;
   in->n = 0;
   bql_script_destroy (in->script);
   in->script = NULL;
}

/* The 1-based line of the statement i of in. */
static int
statement_line (const cli_input_t *in, size_t i)
{
   const bql_node_t *stmt = bql_script_statement (in->script, i);
   int line = 1;
   for (int32_t k = 0; stmt && k < stmt->location && (size_t) k < in->len; k++) {
      line += in->text[k] == '\n';
   }
   return line;
}

/* The options of a run: the cancel flag, the progress line, and with
 * --verbose the batches and retries. */
static bql_exec_options_t
exec_options (cli_t *cli, cli_progress_t *progress)
{
   bql_exec_options_t xo = {
      .size = sizeof (bql_exec_options_t),
      .cancel = &cli->cancel,
      .progress = cli_progress_update,
      .progress_ctx = progress,
      .on_batch = cli->verbose ? cli_verbose_batch : NULL,
      .batch_ctx = cli,
      .on_retry = cli->verbose ? cli_verbose_retry : NULL,
      .retry_ctx = cli,
   };
   return xo;
}

/* Run RESUME OPERATION 'id', statement i of in, and print its result.
 * A refusal is shown at the statement, with its hint. */
static bool
run_resume (cli_t *cli, cli_input_t *in, size_t i, const char *id)
{
   bson_t reply;
   bql_error_t error;
   cli_progress_t progress;
   cli_progress_begin (&progress, cli, -1);
   bql_exec_options_t xo = exec_options (cli, &progress);
   bql_resume_options_t ro = {.size = sizeof ro, .database = cli->database, .params = cli->params};
   bool ok = bql_operation_resume (cli->client, id, &ro, &xo, &reply, &error);
   cli_progress_clear (&progress);
   const bql_node_t *stmt = bql_script_statement (in->script, i);
   bson_iter_t it;
   if (!ok && !bson_iter_init_find (&it, &reply, "statement") && error.offset < 0 && !cli->resume_from_option) {
      /* refused before anything ran: at the RESUME statement */
      error.offset = stmt->location;
      error.length = stmt->length;
      bql_error_locate (&error, in->text, in->len);
   }
   cli->script_name = in->name;
   cli->script_text = cli->resume_from_option ? NULL : in->text;
   cli->script_len = in->len;
   cli->statement_line = cli->resume_from_option ? 0 : statement_line (in, i);
   cli_print_result (cli, &reply, ok, &error);
   if (!ok && cli->script_text == NULL && error.hint[0] && cli->format != CLI_FORMAT_JSON) {
      fprintf (stderr, "hint: %s\n", error.hint);
   }
   cli->script_text = NULL;
   cli->statement_line = 0;
   bson_destroy (&reply);
   return ok;
}

int
cli_input_run (cli_t *cli, cli_input_t *in)
{
   int rc = 0;
   bql_error_t error;
   cli->running = 1;
   if (in->need_server && !cli->cancel && !cli_connect (cli)) {
      cli->running = 0;
      return 2;
   }
   if (in->show) {
      /* --explain: what it would send, as a plan of its own */
      if (cli->explain) {
         printf ("{\n  \"statement\": \"%s\",\n  \"steps\": [\n"
                 "    {\"step\": \"%s\", \"command\": {\"%s\": 1, \"nameOnly\": true}}%s\n",
                 in->show == 1 ? "SHOW COLLECTIONS" : "SHOW DATABASES",
                 in->show == 1 ? "list the database's collections" : "list the databases",
                 in->show == 1 ? "listCollections" : "listDatabases", in->show == 1 ? "," : "");
         if (in->show == 1) {
            printf ("    {\"step\": \"count each collection's documents (its metadata)\", "
                    "\"command\": {\"count\": \"<each collection>\"}}\n");
         }
         printf ("  ]\n}\n");
      }
      bool ok = cli->explain || (in->show == 1 ? cli_list_collections (cli) : cli_list_databases (cli));
      fflush (stdout);
      cli->running = 0;
      return ok ? 0 : 1;
   }
   size_t n = in->n;
   for (size_t i = 0; i < n; i++) {
      if (cli->cancel) {
         report_cancel (i, n);
         rc = 1;
         break;
      }
      double start = wall_ms ();
      if (!in->plans[i]) {
         /* RESUME OPERATION 'id' */
         bool ok = run_resume (cli, in, i, bql_cast (ResumeStmt, bql_script_statement (in->script, i))->operation_id);
         print_timing (cli, start);
         if (!ok) {
            rc = 1;
            if (cli->cancel) {
               report_cancel (i + 1, n);
               break;
            }
            if (!cli->continue_on_error) {
               break;
            }
         }
         continue;
      }
      if (cli->explain || bql_plan_is_explain (in->plans[i])) {
         char *json = bql_plan_explain_json (in->plans[i], &error);
         if (!json) {
            if (!error.message[0]) {
               /* never "error:" alone */
               snprintf (error.message, sizeof error.message, "the plan cannot be printed as Extended JSON");
            }
            cli_print_error (cli, &error, in->name, in->text, in->len);
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
      cli_progress_begin (&progress, cli, bql_plan_progress (in->plans[i]));
      bql_exec_options_t xo = exec_options (cli, &progress);
      bool ok;
      if (cli->resume_id) {
         /* --resume ID with this statement: checked against the
          * operation's, then run as its continuation */
         bql_resume_options_t ro = {.size = sizeof ro, .database = cli->database, .plan = in->plans[i]};
         ok = bql_operation_resume (cli->client, cli->resume_id, &ro, &xo, &reply, &error);
      } else if (cli->script_on_stdin && bql_plan_reads_stdin (in->plans[i])) {
         /* standard input holds the statements, read to the end already */
         bson_init (&reply);
         bql_error_clear (&error);
         error.domain = BQL_ERROR_USAGE;
         error.code = BQL_ERR_INVALID_ARG;
         snprintf (error.message, sizeof error.message,
                   "FROM STDIN cannot read standard input here: it holds the statements; give them with -f or -c");
         ok = false;
      } else if (cli->interactive && bql_plan_reads_stdin (in->plans[i])) {
         /* at the prompt: the rows are typed after the statement */
         FILE *rows = cli_repl_read_rows (cli);
         if (!rows) {
            fflush (stdout);
            rc = 1;
            break; /* cancelled: nothing written, nothing after it runs */
         }
         start = wall_ms ();
         xo.stdin_stream = rows;
         ok = bql_execute (cli->client, in->plans[i], &xo, &reply, &error);
         fclose (rows);
      } else {
         ok = bql_execute (cli->client, in->plans[i], &xo, &reply, &error);
      }
      cli_progress_clear (&progress);
      cli->script_name = in->name;
      cli->script_text = in->text;
      cli->script_len = in->len;
      cli->statement_line = statement_line (in, i);
      cli_print_result (cli, &reply, ok, &error);
      if (!ok && cli->resume_id && error.line <= 0 && error.hint[0] && cli->format != CLI_FORMAT_JSON) {
         fprintf (stderr, "hint: %s\n", error.hint); /* a resume refused */
      }
      cli->script_text = NULL;
      cli->statement_line = 0;
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
   fflush (stdout);
   cli->running = 0;
   return rc;
}

int
cli_run_script (cli_t *cli, const char *name, const char *text, size_t len)
{
   cli->running = 1;
   if (cli->cancel) {
      report_cancel (0, 1);
      cli->running = 0;
      return 1;
   }
   /* "<stdin>", "<command>": not a file; FROM paths are as given */
   char *dir = name[0] == '<' ? NULL : cli_script_dir (name);
   cli_input_t in = {.name = name, .text = text, .len = len, .base_dir = dir};
   int rc;
   if (!cli_input_prepare (cli, &in)) {
      if (cli->cancel) {
         report_cancel (0, 1);
      }
      rc = 1;
   } else {
      rc = cli_input_run (cli, &in);
   }
   cli_input_cleanup (&in);
   free (dir);
   fflush (stdout);
   cli->running = 0;
   return rc;
}
