/*
 * main.c — the bulkql command: options, where the statements come from
 * (-f files, -c strings, standard input, or the interactive prompt), and
 * the exit code: 0 when every statement succeeded, 1 when one failed, 2 on
 * a usage or connection error.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char usage_text[] =
   "Usage: bulkql [OPTION]... [-f FILE]... [-c STATEMENT]...\n"
   "Run BulkQL statements (BULK INSERT, UPDATE, UPSERT, DELETE, EXPLAIN, RESUME) against MongoDB.\n"
   "With no -f or -c, read statements from standard input, or start the\n"
   "interactive prompt when standard input is a terminal. Every input is\n"
   "parsed and planned before the first write: a bad one writes nothing.\n"
   "\n"
   "  -f, --file FILE          run the statements in FILE (repeatable; - is\n"
   "                           standard input); its FROM paths are relative\n"
   "                           to FILE's folder\n"
   "  -c, --command STATEMENT  run STATEMENT (repeatable)\n"
   "      --uri URI            server to connect to (default: $MONGODB_URI,\n"
   "                           else mongodb://127.0.0.1:27017); other users\n"
   "                           see --uri in ps: give a password in MONGODB_URI\n"
   "      --db NAME            database for collections named without one\n"
   "                           (default: the URI's database, else \"test\")\n"
   "      --explain            print each statement's plan; connect to nothing\n"
   "      --dry-run            count what would be written; write nothing\n"
   "      --format FORMAT      result format: table (default) or json\n"
   "      --stop-on-error      stop at the first failed statement (default)\n"
   "      --continue-on-error  run the remaining statements after a failure\n"
   "      --resume ID          resume the interrupted operation ID: its stored\n"
   "                           statement, or the one -f or -c gives (the same\n"
   "                           text); rows it completed are not written again\n"
   "      --operations         list the operations of the database (--db):\n"
   "                           state, progress, rate, age; then exit\n"
   "      --abort ID           mark operation ID Aborted (a bulkql running it\n"
   "                           stops within one batch); then exit\n"
   "  -v, --variable NAME=VALUE  bind :NAME (or the NAME-th ?) to VALUE, typed as\n"
   "                           the literal it reads as: 42, 1.5, true, null,\n"
   "                           'text'; other text is a string (repeatable)\n"
   "  -q, --quiet              print only errors and EXPLAIN output\n"
   "      --verbose            every batch and retry as it happens, on stderr\n"
   "      --version            print the version and exit\n"
   "  -h, --help               print this help and exit\n"
   "\n"
   "On a terminal a long statement shows a progress line on stderr, and\n"
   "results are in colour unless NO_COLOR is set. Ctrl-C (or SIGTERM) stops\n"
   "the running statement after the batch in flight and runs nothing after it;\n"
   "a batch with no reply half a second later is abandoned and reported in\n"
   "doubt. A second Ctrl-C (or SIGTERM) quits at once (exit 130, or 143).\n"
   "A script (-f, standard input) may hold up to 1 GiB; load bigger data with\n"
   "FROM 'file'. Passwords and secret URI options are shown as ****.\n"
   "\n"
   "Exit status: 0 if every statement succeeded, 1 if one failed or was\n"
   "cancelled, 2 on a usage or connection error.\n"
   "\n"
   "Statements, options, meta-commands and examples: man bulkql.\n";

static void
usage_error (const char *fmt, const char *arg)
{
   fprintf (stderr, "bulkql: ");
   fprintf (stderr, fmt, arg);
   fprintf (stderr, "\nTry 'bulkql --help' for more information.\n");
}

typedef struct {
   bool is_file;
   const char *value;
} input_t;

/* 24 hexadecimal digits (--resume, --abort), as operationId shows them. */
static bool
operation_id_ok (const char *id)
{
   size_t n = strlen (id);
   bool hex = n == 24;
   for (size_t i = 0; hex && i < n; i++) {
      hex = strchr ("0123456789abcdefABCDEF", id[i]) != NULL;
   }
   return hex;
}

/* libmongoc logs warnings such as "Couldn't send endSessions" (servers
 * without sessions) on stderr; the tool shows errors only, unless
 * BULKQL_DRIVER_LOG is set. */
static void
driver_log (mongoc_log_level_t level, const char *domain, const char *message, void *data)
{
   (void) data;
   if (level <= MONGOC_LOG_LEVEL_ERROR || getenv ("BULKQL_DRIVER_LOG")) {
      /* the driver's messages may echo the URI or its password */
      char *shown = cli_redact_text (message ? message : "");
      fprintf (stderr, "bulkql: driver: %s: %s\n", domain, shown);
      free (shown);
   }
}

/* Read every input (-f FILE, -f - or no input: standard input, -c), then
 * parse and plan all of them, and only then run them in order: a syntax
 * or planning error in any input, or one that cannot be read, means
 * nothing is written (whatever --continue-on-error says). A relative FROM
 * path in a file is resolved against the file's folder. Returns the exit
 * code. */
static int
run_inputs (cli_t *cli, const input_t *inputs, size_t ninputs)
{
   cli_input_t *in = calloc (ninputs, sizeof *in);
   char **texts = calloc (ninputs, sizeof *texts);
   char **dirs = calloc (ninputs, sizeof *dirs);
   int rc = 0;
   size_t loaded = 0;
   if (!in || !texts || !dirs) {
      fprintf (stderr, "bulkql: out of memory\n");
      rc = 2;
      goto out;
   }
   for (size_t i = 0; i < ninputs; i++, loaded++) {
      const char *v = inputs[i].value;
      if (!inputs[i].is_file) {
         in[i] = (cli_input_t) {.name = "<command>", .text = v, .len = strlen (v)};
         continue;
      }
      size_t len = 0;
      bool is_stdin = !strcmp (v, "-");
      const char *shown = is_stdin ? "the script" : v;
      if (is_stdin && cli->script_on_stdin) {
         fprintf (stderr, "bulkql: -f - is given twice: standard input holds one script\n");
         rc = 2;
         goto out;
      }
      texts[i] = is_stdin ? cli_read_stream (stdin, &len) : cli_read_file (v, &len);
      if (!texts[i] && cli->cancel) {
         fprintf (stderr, "bulkql: cancelled while reading %s; nothing was run\n", shown);
         rc = 1;
         goto out;
      } else if (!texts[i] && errno == EFBIG) {
         fprintf (stderr, "bulkql: %s: the script is larger than %s, the limit; load big data with FROM 'file'%s\n",
                  is_stdin ? "standard input" : v, cli_script_max_text (), is_stdin ? " or FROM STDIN" : "");
         rc = 2;
         goto out;
      } else if (!texts[i] && is_stdin) {
         perror ("bulkql: standard input");
         rc = 2;
         goto out;
      } else if (!texts[i]) {
         fprintf (stderr, "bulkql: cannot read %s: %s\n", v, strerror (errno));
         rc = 2;
         goto out;
      }
      if (is_stdin) {
         cli->script_on_stdin = true;
      } else {
         dirs[i] = cli_script_dir (v);
      }
      in[i] = (cli_input_t) {.name = is_stdin ? "<stdin>" : v, .text = texts[i], .len = len, .base_dir = dirs[i]};
   }
   /* every input is parsed and planned before the first write */
   bool need_server = false;
   for (size_t i = 0; i < ninputs; i++) {
      cli->running = 1;
      bool ok = cli_input_prepare (cli, &in[i]);
      cli->running = 0;
      if (!ok && cli->cancel) {
         fprintf (stderr, "bulkql: cancelled; nothing was run\n");
         rc = 1;
         goto out;
      }
      if (!ok) {
         rc = 1; /* go on: every input's error is shown */
      }
      need_server = need_server || in[i].need_server;
   }
   if (rc) {
      goto out;
   }
   if (need_server && !cli->cancel && !cli_connect (cli)) {
      rc = 2;
      goto out;
   }
   for (size_t i = 0; i < ninputs && (rc == 0 || (rc == 1 && (cli->continue_on_error || cli->cancel))); i++) {
      if (cli->cancel) {
         size_t left = ninputs - i;
         fprintf (stderr, "bulkql: cancelled; %zu more input%s (-f, -c) not run\n", left, left == 1 ? "" : "s");
         rc = rc ? rc : 1;
         break;
      }
      int r = cli_input_run (cli, &in[i]);
      if (r > rc) {
         rc = r;
      }
   }
out:
   for (size_t i = 0; in && i < loaded; i++) {
      cli_input_cleanup (&in[i]);
   }
   for (size_t i = 0; texts && dirs && i < ninputs; i++) {
      free (texts[i]);
      free (dirs[i]);
   }
   free (in);
   free (texts);
   free (dirs);
   return rc;
}

int
main (int argc, char **argv)
{
   enum {
      OPT_URI = 256, OPT_DB, OPT_EXPLAIN, OPT_DRY_RUN, OPT_FORMAT, OPT_STOP, OPT_CONTINUE, OPT_VERSION,
      OPT_VERBOSE, OPT_RESUME, OPT_OPERATIONS, OPT_ABORT
   };
   static const struct option longopts[] = {
      {"file", required_argument, NULL, 'f'},
      {"command", required_argument, NULL, 'c'},
      {"uri", required_argument, NULL, OPT_URI},
      {"db", required_argument, NULL, OPT_DB},
      {"explain", no_argument, NULL, OPT_EXPLAIN},
      {"dry-run", no_argument, NULL, OPT_DRY_RUN},
      {"format", required_argument, NULL, OPT_FORMAT},
      {"stop-on-error", no_argument, NULL, OPT_STOP},
      {"continue-on-error", no_argument, NULL, OPT_CONTINUE},
      {"quiet", no_argument, NULL, 'q'},
      {"variable", required_argument, NULL, 'v'},
      {"verbose", no_argument, NULL, OPT_VERBOSE},
      {"resume", required_argument, NULL, OPT_RESUME},
      {"operations", no_argument, NULL, OPT_OPERATIONS},
      {"abort", required_argument, NULL, OPT_ABORT},
      {"version", no_argument, NULL, OPT_VERSION},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
   };
   cli_t cli;
   memset (&cli, 0, sizeof cli);
   input_t *inputs = calloc ((size_t) argc + 1, sizeof *inputs);
   size_t ninputs = 0;
   const char *uri = NULL, *db = NULL;
   bool list_operations = false;
   const char *abort_id = NULL;
   int c;
   opterr = 0;
   while ((c = getopt_long (argc, argv, ":f:c:v:qh", longopts, NULL)) != -1) {
      switch (c) {
      case 'f':
         inputs[ninputs++] = (input_t) {true, optarg};
         break;
      case 'c':
         inputs[ninputs++] = (input_t) {false, optarg};
         break;
      case OPT_URI:
         uri = optarg;
         break;
      case OPT_DB:
         db = optarg;
         break;
      case OPT_EXPLAIN:
         cli.explain = true;
         break;
      case OPT_DRY_RUN:
         cli.dry_run = true;
         break;
      case OPT_FORMAT:
         if (!strcmp (optarg, "table")) {
            cli.format = CLI_FORMAT_TABLE;
         } else if (!strcmp (optarg, "json")) {
            cli.format = CLI_FORMAT_JSON;
         } else {
            usage_error ("unknown format '%s' (use table or json)", optarg);
            cli_params_free (&cli);
            free (inputs);
            return 2;
         }
         break;
      case OPT_STOP:
         cli.continue_on_error = false;
         break;
      case OPT_CONTINUE:
         cli.continue_on_error = true;
         break;
      case 'q':
         cli.quiet = true;
         break;
      case OPT_VERBOSE:
         cli.verbose = true;
         break;
      case OPT_RESUME:
         if (!operation_id_ok (optarg)) {
            usage_error ("--resume: invalid operation id '%s' (24 hexadecimal digits, as operationId shows it)", optarg);
            cli_params_free (&cli);
            free (inputs);
            return 2;
         }
         cli.resume_id = optarg;
         break;
      case OPT_OPERATIONS:
         list_operations = true;
         break;
      case OPT_ABORT:
         if (!operation_id_ok (optarg)) {
            usage_error ("--abort: invalid operation id '%s' (24 hexadecimal digits, as operationId shows it)", optarg);
            cli_params_free (&cli);
            free (inputs);
            return 2;
         }
         abort_id = optarg;
         break;
      case 'v': {
         /* -v name=value: binds :name (-v 1=value: the first ?) */
         const char *eq = strchr (optarg, '=');
         char why[300];
         char *name = eq ? strndup (optarg, (size_t) (eq - optarg)) : NULL;
         bool ok = name && cli_param_set (&cli, name, eq + 1, why, sizeof why);
         free (name);
         if (!ok) {
            usage_error ("-v: %s", eq ? why : "takes NAME=VALUE");
            cli_params_free (&cli);
            free (inputs);
            return 2;
         }
         break;
      }
      case OPT_VERSION:
         printf ("bulkql %s (libmongoc %s)\n", bql_version (), mongoc_get_version ());
         cli_params_free (&cli);
         free (inputs);
         return 0;
      case 'h':
         fputs (usage_text, stdout);
         cli_params_free (&cli);
         free (inputs);
         return 0;
      case ':':
         usage_error ("option '%s' needs an argument", argv[optind - 1]);
         cli_params_free (&cli);
         free (inputs);
         return 2;
      default:
         usage_error ("unknown option '%s'", argv[optind - 1]);
         cli_params_free (&cli);
         free (inputs);
         return 2;
      }
   }
   if ((list_operations || abort_id) && (ninputs > 0 || cli.resume_id || cli.explain || cli.dry_run ||
                                         (list_operations && abort_id))) {
      usage_error ("%s runs alone: no -f, -c, --resume, --explain or --dry-run with it",
                   list_operations && abort_id ? "--operations (or --abort)"
                   : list_operations          ? "--operations"
                                              : "--abort");
      cli_params_free (&cli);
      free (inputs);
      return 2;
   }
   char resume_stmt[64];
   if (cli.resume_id && (cli.explain || cli.dry_run)) {
      usage_error ("--resume writes: it cannot be combined with %s", cli.explain ? "--explain" : "--dry-run");
      cli_params_free (&cli);
      free (inputs);
      return 2;
   }
   if (cli.resume_id && ninputs > 1) {
      usage_error ("--resume runs one statement: give at most one -f or -c (%s)", "the operation's statement");
      cli_params_free (&cli);
      free (inputs);
      return 2;
   }
   if (cli.resume_id && ninputs == 0) {
      /* the operation's stored statement: as RESUME OPERATION 'ID' */
      snprintf (resume_stmt, sizeof resume_stmt, "RESUME OPERATION '%s'", cli.resume_id);
      inputs[ninputs++] = (input_t) {false, resume_stmt};
      cli.resume_id = NULL;
      cli.resume_from_option = true;
   }
   if (optind < argc) {
      usage_error ("unexpected argument '%s' (scripts are given with -f)", argv[optind]);
      cli_params_free (&cli);
      free (inputs);
      return 2;
   }

   if (!uri) {
      uri = getenv ("MONGODB_URI");
   }
   if (!uri || !*uri) {
      uri = "mongodb://127.0.0.1:27017";
   }
   cli_secrets_add_uri (uri);
   mongoc_log_set_handler (driver_log, NULL);
   mongoc_init ();
   bson_error_t berr;
   mongoc_uri_t *parsed = mongoc_uri_new_with_error (uri, &berr);
   if (!parsed) {
      char *shown = cli_redact_uri (uri);
      char *why = cli_redact_text (berr.message);
      fprintf (stderr, "bulkql: invalid URI %s: %s\n", shown, why);
      free (why);
      free (shown);
      cli_params_free (&cli);
      free (inputs);
      mongoc_cleanup ();
      return 2;
   }
   cli.uri_string = cli_uri_ask_password (uri); /* a user without a password */
   if (!cli.uri_string) {
      cli.uri_string = strdup (uri);
   }
   cli.db_given = db != NULL;
   if (!db) {
      db = mongoc_uri_get_database (parsed);
      if (!db || !*db) {
         db = "test";
      }
   }
   /* --db as given: --db '' is an error below, not "test" */
   cli.database = strdup (db);
   mongoc_uri_destroy (parsed);
   char why[400];
   if (!bql_database_name_check (cli.database, why, sizeof why)) {
      /* a usage error: caught here, never sent to the server */
      usage_error ("--db: %s", why);
      free (cli.uri_string);
      free (cli.database);
      cli_params_free (&cli);
      free (inputs);
      mongoc_cleanup ();
      return 2;
   }
   cli.color = isatty (STDOUT_FILENO) && !getenv ("NO_COLOR");
   cli.color_err = isatty (STDERR_FILENO) && !getenv ("NO_COLOR");
   cli.progress_tty = isatty (STDERR_FILENO);

   int rc = 0;
   if (list_operations || abort_id) {
      rc = list_operations ? cli_operations_list (&cli) : cli_operation_abort (&cli, abort_id);
      goto out;
   }
   cli_sigint_target (&cli);
   if (ninputs == 0 && isatty (STDIN_FILENO)) {
      cli.interactive = true;
      rc = cli_repl (&cli);
      goto out;
   }
   /* Script mode: Ctrl-C stops the statement after the batch in flight,
    * and nothing after it runs. */
   struct sigaction sa;
   memset (&sa, 0, sizeof sa);
   sa.sa_handler = cli_on_sigint;
   sigemptyset (&sa.sa_mask);
   sigaction (SIGINT, &sa, NULL);
   sigaction (SIGTERM, &sa, NULL); /* kill, systemd, a CI timeout: as Ctrl-C */
   if (ninputs == 0) {
      inputs[ninputs++] = (input_t) {true, "-"};
   }
   rc = run_inputs (&cli, inputs, ninputs);
out:
   cli_disconnect (&cli);
   free (cli.uri_string);
   free (cli.database);
   cli_params_free (&cli);
   free (inputs);
   /* a write abandoned on a cancel may still wait on its socket, in
    * libmongoc: end the process without the library's cleanup and exit
    * handlers, which would run under it */
   if (bql_execute_abandoned_wait (0) > 0) {
      fflush (NULL);
      _exit (rc);
   }
   mongoc_cleanup ();
   return rc;
}
