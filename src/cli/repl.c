/*
 * repl.c — the interactive prompt of bulkql (SPEC §5), on libedit's
 * readline interface: line editing, persistent history in
 * ~/.bulkql_history, statements over several lines (the library says when
 * the text so far ends a statement, as sqlite3_complete does for the
 * sqlite3 shell), Tab completion of keywords, option names and the
 * connected server's collection names, and backslash meta-commands.
 * Ctrl-C cancels the running statement after the batch in flight, or
 * clears the line at the prompt; Ctrl-D exits.
 */
#include <ctype.h>
#include <editline/readline.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static cli_t *repl_cli;
static sigjmp_buf prompt_jmp;
static volatile sig_atomic_t at_prompt;

/* ---- completion ---- */

static char **completion_words;
static size_t ncompletion_words;

static void
add_word (const char *w)
{
   for (size_t i = 0; i < ncompletion_words; i++) {
      if (!strcmp (completion_words[i], w)) {
         return;
      }
   }
   completion_words = realloc (completion_words, sizeof *completion_words * (ncompletion_words + 1));
   completion_words[ncompletion_words++] = strdup (w);
}

static void
free_words (void)
{
   for (size_t i = 0; i < ncompletion_words; i++) {
      free (completion_words[i]);
   }
   free (completion_words);
   completion_words = NULL;
   ncompletion_words = 0;
}

/* Keywords, option names, group names and the current database's
 * collections (when connected). */
static void
load_words (cli_t *cli)
{
   free_words ();
   const char *kw[256];
   size_t n = bql_keyword_names (kw, 256);
   for (size_t i = 0; i < n; i++) {
      add_word (kw[i]);
   }
   const char *opts[64];
   n = bql_option_names (opts, 64);
   for (size_t i = 0; i < n; i++) {
      add_word (opts[i]);
   }
   static const char *const extra[] = {"BULK_OPTIONS", "BATCH_CONFIG", "DELETE_OPTIONS", "ARCHIVAL_STRATEGY", "OPTIONS",
                                       "CSV", "TSV", "NDJSON", "JSON", "GZIP", "COALESCE", "CONCAT", "LOWER", "UPPER",
                                       "NOW", "OBJECTID", "JSON_OBJECT", "JSON_ARRAY", "JSON_EXTRACT",
                                       "JSON_ARRAY_APPEND", "EXCLUDED"};
   for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
      add_word (extra[i]);
   }
   if (cli->client) {
      mongoc_database_t *db = mongoc_client_get_database (cli->client, cli->database);
      bson_error_t berr;
      char **names = mongoc_database_get_collection_names_with_opts (db, NULL, &berr);
      for (size_t i = 0; names && names[i]; i++) {
         add_word (names[i]);
      }
      bson_strfreev (names);
      mongoc_database_destroy (db);
   }
}

static char *
complete_word (const char *text, int state)
{
   static size_t i, len;
   static bool upper;
   if (state == 0) {
      i = 0;
      len = strlen (text);
      upper = len > 0 && isupper ((unsigned char) text[0]);
   }
   while (i < ncompletion_words) {
      const char *w = completion_words[i++];
      if (!strncasecmp (w, text, len)) {
         char *m = strdup (w);
         /* keywords follow the case the user started typing */
         bool is_kw = true;
         for (const char *p = w; *p; p++) {
            if (islower ((unsigned char) *p)) {
               is_kw = false;
            }
         }
         if (is_kw && !upper) {
            for (char *p = m; *p; p++) {
               *p = (char) tolower ((unsigned char) *p);
            }
         }
         return m;
      }
   }
   return NULL;
}

static char **
complete (const char *text, int start, int end)
{
   (void) start;
   (void) end;
   if (!ncompletion_words) {
      /* no jump out of libmongoc: Ctrl-C waits for the list */
      at_prompt = 0;
      load_words (repl_cli);
      at_prompt = 1;
   }
   return rl_completion_matches (text, complete_word);
}

/* ---- meta-commands ---- */

static const char help_text[] =
   "Statements (end each with ;):\n"
   "  BULK INSERT INTO coll [(col [type], ...)] VALUES (...), ... | FROM 'file' | FROM STDIN FORMAT f\n"
   "        [CHECK (condition)] [WITH group (...)] [ON DUPLICATE KEY [(cols)] UPDATE col = expr, ...]\n"
   "  BULK UPDATE coll SET path = expr | REMOVE path, ... | SET *\n"
   "        [FROM (VALUES ...) AS v(cols) | FROM 'file' AS v] WHERE condition [WITH group (...)]\n"
   "  BULK UPSERT INTO coll [(cols)] VALUES ... | FROM ... ON CONFLICT (cols)\n"
   "        DO UPDATE SET ... | DO UPDATE SET * | DO REPLACE | DO NOTHING\n"
   "  BULK DELETE FROM coll [USING 'file' AS v | USING (VALUES ...) AS v(cols)] WHERE condition\n"
   "        [WITH ARCHIVAL_STRATEGY (...)] [WITH DELETE_OPTIONS (...)]\n"
   "  EXPLAIN statement      print the plan; run nothing\n"
   "Option groups: BULK_OPTIONS, BATCH_CONFIG, DELETE_OPTIONS, ARCHIVAL_STRATEGY, OPTIONS\n"
   "Options:\n"
   "  batch_size = n          documents per round trip (1000)\n"
   "  ordered = bool          stop at the first write error (true)\n"
   "  continue_on_error = bool  go on after a batch with errors (false)\n"
   "  max_errors = n          stop once n rows have failed\n"
   "  write_concern = 'majority' | n | {w, j, wtimeout}\n"
   "  journal = bool          write concern j\n"
   "  bypass_validation = bool  bypassDocumentValidation\n"
   "  retry_attempts = n      retries of retryable errors (3)\n"
   "  retry_backoff_ms = n    first retry delay (100)\n"
   "  parallel_workers = n    batches in flight (unordered only)\n"
   "  max_execution_time = s  stop cleanly after s seconds\n"
   "  memory_limit = '256MB'  bound on buffered documents\n"
   "  drop = bool             drop the collection before an INSERT/UPSERT\n"
   "  dry_run = bool          count what would be written\n"
   "  max_delete_count = n    refuse a DELETE matching more\n"
   "  soft_delete = bool      DELETE sets deleted_at instead\n"
   "  archive_collection = 'name', archive_reason = 'text', retention_period = '2 years'\n"
   "  error_collection = 'name'  per-batch error records ('' = off)\n"
   "  metrics = bool          the bulk_operation_metrics document (true)\n"
   "  failed_records_file = 'path'  failed rows as NDJSON (a new file)\n"
   "  failed_records_mode = 'append' | 'overwrite'  use an existing file\n"
   "  allow_system = bool     may write into admin, local, config, system.*\n"
   "  checkpoint_interval = n  progress persisted every n rows\n"
   "  upsert_mode = bool      INSERT upserts on _id\n"
   "  progress = bool         progress line\n"
   "Meta-commands:\n"
   "  \\connect URI   connect to another server      \\use DB         change database\n"
   "  \\explain on|off  print plans instead of running \\timing on|off  show elapsed time\n"
   "  \\format table|json  result format             \\dryrun on|off  write nothing\n"
   "  \\i FILE        run a script file               \\help           this text\n"
   "  \\q             quit\n"
   "Keys: Tab completes keywords, options and collections; Up/Down recall ~/.bulkql_history;\n"
   "  Ctrl-C cancels the running statement after the batch in flight, or clears the line;\n"
   "  Ctrl-D at an empty prompt quits.\n";

static bool
on_off (const char *arg, bool *flag, const char *name)
{
   if (arg && !strcasecmp (arg, "on")) {
      *flag = true;
   } else if (arg && !strcasecmp (arg, "off")) {
      *flag = false;
   } else if (!arg) {
      *flag = !*flag;
   } else {
      fprintf (stderr, "\\%s takes on or off\n", name);
      return false;
   }
   printf ("%s is %s.\n", name, *flag ? "on" : "off");
   return true;
}

/* Run a meta-command line; false means quit. */
static bool
meta (cli_t *cli, char *line)
{
   char *cmd = line + 1;
   char *arg = cmd + strcspn (cmd, " \t");
   if (*arg) {
      *arg++ = '\0';
      arg += strspn (arg, " \t");
      char *end = arg + strlen (arg);
      while (end > arg && isspace ((unsigned char) end[-1])) {
         *--end = '\0';
      }
   }
   if (!*arg) {
      arg = NULL;
   }
   if (!strcmp (cmd, "q") || !strcmp (cmd, "quit")) {
      return false;
   } else if (!strcmp (cmd, "help") || !strcmp (cmd, "h") || !strcmp (cmd, "?")) {
      fputs (help_text, stdout);
   } else if (!strcmp (cmd, "connect") || !strcmp (cmd, "c")) {
      if (!arg) {
         fprintf (stderr, "\\connect needs a URI\n");
      } else {
         cli_secrets_add_uri (arg);
         char *old = cli->uri_string;
         mongoc_client_t *old_client = cli->client;
         cli->uri_string = strdup (arg);
         cli->client = NULL;
         if (cli_connect (cli)) {
            free (old);
            if (old_client) {
               mongoc_client_destroy (old_client);
            }
            mongoc_uri_t *u = mongoc_uri_new (arg);
            if (u && mongoc_uri_get_database (u) && !cli->db_given) {
               free (cli->database);
               cli->database = strdup (mongoc_uri_get_database (u));
            }
            mongoc_uri_destroy (u);
            char *shown = cli_redact_uri (arg);
            printf ("Connected to %s, database %s.\n", shown, cli->database);
            free (shown);
            free_words ();
         } else {
            free (cli->uri_string);
            cli->uri_string = old;
            cli->client = old_client;
         }
      }
   } else if (!strcmp (cmd, "use")) {
      if (!arg) {
         printf ("Database is %s.\n", cli->database);
      } else {
         char why[400];
         if (!bql_database_name_check (arg, why, sizeof why)) {
            /* at once, not at the next statement */
            fprintf (stderr, "\\use: %s\n", why);
            return true;
         }
         free (cli->database);
         cli->database = strdup (arg);
         printf ("Database is %s.\n", cli->database);
         free_words ();
      }
   } else if (!strcmp (cmd, "explain")) {
      on_off (arg, &cli->explain, "explain");
   } else if (!strcmp (cmd, "timing")) {
      on_off (arg, &cli->timing, "timing");
   } else if (!strcmp (cmd, "dryrun")) {
      on_off (arg, &cli->dry_run, "dryrun");
   } else if (!strcmp (cmd, "format")) {
      if (arg && !strcmp (arg, "table")) {
         cli->format = CLI_FORMAT_TABLE;
      } else if (arg && !strcmp (arg, "json")) {
         cli->format = CLI_FORMAT_JSON;
      } else {
         fprintf (stderr, "\\format takes table or json\n");
         return true;
      }
      printf ("format is %s.\n", arg);
   } else if (!strcmp (cmd, "i")) {
      if (!arg) {
         fprintf (stderr, "\\i needs a file name\n");
      } else {
         size_t len;
         char *text = cli_read_file (arg, &len);
         if (!text && errno == EFBIG) {
            fprintf (stderr, "\\i: %s: the script is larger than %s, the limit; load big data with FROM 'file'\n",
                     arg, cli_script_max_text ());
         } else if (!text) {
            fprintf (stderr, "\\i: cannot read %s: %s\n", arg, strerror (errno));
         } else {
            cli_run_script (cli, arg, text, len);
            free (text);
         }
      }
   } else {
      fprintf (stderr, "unknown meta-command \\%s; \\help lists them\n", cmd);
   }
   return true;
}

/* ---- the loop ---- */

/* SIGINT for the whole session: at the prompt, jump back out of
 * readline (the line is dropped, as psql does); otherwise cancel the
 * running statement (cli_on_sigint). */
static void
on_repl_sigint (int sig)
{
   if (at_prompt) {
      if (sig == SIGTERM) {
         repl_cli->terminate = 1; /* the session ends */
      }
      siglongjmp (prompt_jmp, 1);
   }
   cli_on_sigint (sig);
}

/* One line from libedit. Ctrl-C while it waits jumps back here: the
 * line typed so far is dropped and *interrupted is set. Kept apart from
 * the loop so that no variable of the loop lives across sigsetjmp. */
static char *
read_line (const char *prompt, bool *interrupted)
{
   *interrupted = false;
   if (sigsetjmp (prompt_jmp, 1)) {
      at_prompt = 0;
      rl_reset_after_signal ();
      *interrupted = true;
      return NULL;
   }
   at_prompt = 1;
   char *line = readline (prompt);
   at_prompt = 0;
   return line;
}

/* The history entry of the meta-command line (starting at its
 * backslash): \connect and \c with their URI redacted (malloc'd), NULL
 * for any other (kept as typed). */
static char *
history_entry (const char *line)
{
   size_t n = strcspn (line + 1, " \t");
   if (!((n == 7 && !strncmp (line + 1, "connect", 7)) || (n == 1 && line[1] == 'c'))) {
      return NULL;
   }
   const char *arg = line + 1 + n;
   arg += strspn (arg, " \t");
   char *uri = strdup (arg);
   char *end = uri + strlen (uri);
   while (end > uri && isspace ((unsigned char) end[-1])) {
      *--end = '\0';
   }
   char *shown = cli_redact_uri (uri);
   size_t len = (size_t) (arg - line) + strlen (shown) + 1;
   char *entry = malloc (len);
   snprintf (entry, len, "%.*s%s", (int) (arg - line), line, shown);
   free (shown);
   free (uri);
   return entry;
}

/* Write the history to path, readable by its owner only (0600): the
 * statements may hold data that others should not read. */
static void
save_history (const char *path)
{
   int fd = open (path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
   if (fd >= 0) {
      fchmod (fd, 0600);
      close (fd);
   }
   write_history (path);
}

static char *
history_path (void)
{
   const char *home = getenv ("HOME");
   if (!home) {
      return NULL;
   }
   size_t n = strlen (home) + 32;
   char *p = malloc (n);
   snprintf (p, n, "%s/.bulkql_history", home);
   return p;
}

int
cli_repl (cli_t *cli)
{
   repl_cli = cli;
   rl_attempted_completion_function = complete;
   rl_basic_word_break_characters = " \t\n\"'`(),;=.";
   char *hist = history_path ();
   using_history ();
   if (hist) {
      read_history (hist);
   }
   /* for the whole session (a Ctrl-C while connecting waits for the
    * connection); no SA_RESTART: a read of FROM STDIN that waits returns
    * at Ctrl-C */
   struct sigaction sa, old;
   memset (&sa, 0, sizeof sa);
   sa.sa_handler = on_repl_sigint;
   sigemptyset (&sa.sa_mask);
   sigaction (SIGINT, &sa, &old);
   struct sigaction old_term;
   sigaction (SIGTERM, &sa, &old_term); /* as Ctrl-C, then the session ends */

   printf ("bulkql %s — type \\help for help, \\q to quit.\n", bql_version ());
   if (cli_connect (cli)) {
      char *shown = cli_redact_uri (cli->uri_string);
      printf ("Connected to %s, database %s.\n", shown, cli->database);
      free (shown);
   }

   char *acc = NULL;
   size_t acc_len = 0;
   int rc = 0;
   for (;;) {
      char prompt[160];
      snprintf (prompt, sizeof prompt, "%s%c ", cli->database, acc_len ? '-' : '>');
      bool interrupted;
      char *line = read_line (prompt, &interrupted);
      if (interrupted && cli->terminate) {
         printf ("\n");
         break; /* SIGTERM at the prompt */
      }
      if (interrupted) {
         /* Ctrl-C at the prompt: drop what was typed */
         printf ("\n");
         free (acc);
         acc = NULL;
         acc_len = 0;
         continue;
      }
      if (!line) {
         printf ("\n");
         break; /* Ctrl-D */
      }
      cli->cancel = 0;
      if (acc_len == 0) {
         char *p = line + strspn (line, " \t");
         if (*p == '\\') {
            /* \connect URI is kept with the URI's secrets masked */
            char *entry = history_entry (p);
            add_history (entry ? entry : line);
            free (entry);
            bool go_on = meta (cli, p);
            free (line);
            if (!go_on) {
               break;
            }
            continue;
         }
         if (!*p) {
            free (line);
            continue;
         }
      }
      size_t ll = strlen (line);
      acc = realloc (acc, acc_len + ll + 2);
      memcpy (acc + acc_len, line, ll);
      acc_len += ll;
      acc[acc_len++] = '\n';
      acc[acc_len] = '\0';
      free (line);
      if (!bql_statement_is_complete (acc, acc_len)) {
         continue;
      }
      /* history keeps the statement as one entry */
      char *entry = strdup (acc);
      if (acc_len && entry[acc_len - 1] == '\n') {
         entry[acc_len - 1] = '\0';
      }
      add_history (entry);
      free (entry);
      if (hist) {
         save_history (hist);
      }
      rc = cli_run_script (cli, "<stdin>", acc, acc_len);
      free (acc);
      acc = NULL;
      acc_len = 0;
      if (!ncompletion_words || cli->client) {
         free_words (); /* collections may have appeared */
      }
      if (cli->terminate) {
         break; /* SIGTERM: the statement stopped after its batch in flight */
      }
   }
   (void) rc;
   if (hist) {
      save_history (hist);
      free (hist);
   }
   sigaction (SIGINT, &old, NULL);
   sigaction (SIGTERM, &old_term, NULL);
   free (acc);
   free_words ();
   return cli->terminate ? 1 : 0;
}
