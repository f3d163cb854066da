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
#include <inttypes.h>
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
static char *last_statement; /* the last statement run, for \e */
static sigjmp_buf prompt_jmp;
static volatile sig_atomic_t at_prompt;

/* ---- completion ---- */

/* The statement typed on the lines before the current one (the REPL's
 * accumulator), for completion that follows context; NULL at a new
 * statement. */
static const char *completion_prefix;

static char **completion_words;
static size_t ncompletion_words;
static char **collection_words; /* the current database's collections */
static size_t ncollection_words;
static bool words_loaded;

static void
add_to (char ***list, size_t *n, const char *w)
{
   for (size_t i = 0; i < *n; i++) {
      if (!strcmp ((*list)[i], w)) {
         return;
      }
   }
   *list = realloc (*list, sizeof **list * (*n + 1));
   (*list)[(*n)++] = strdup (w);
}

static void
add_word (const char *w)
{
   add_to (&completion_words, &ncompletion_words, w);
}

static void
free_list (char ***list, size_t *n)
{
   for (size_t i = 0; i < *n; i++) {
      free ((*list)[i]);
   }
   free (*list);
   *list = NULL;
   *n = 0;
}

static void
free_words (void)
{
   free_list (&completion_words, &ncompletion_words);
   free_list (&collection_words, &ncollection_words);
   words_loaded = false;
}

/* Keywords that the grammar knows only to refuse them with a hint:
 * never offered. */
static bool
unsupported_keyword (const char *w)
{
   return !strcmp (w, "SELECT") || !strcmp (w, "CREATE");
}

/* The column types of a column list, aliases included (SPEC §3). */
static const char *const column_types[] = {"INT",     "INTEGER", "INT32",    "BIGINT",     "LONG",     "INT64",
                                           "DOUBLE",  "FLOAT",   "REAL",     "DECIMAL",    "NUMERIC",  "DECIMAL128",
                                           "STRING",  "TEXT",    "VARCHAR",  "BOOL",       "BOOLEAN",  "DATE",
                                           "TIMESTAMP", "DATETIME", "OBJECTID", "JSON",     "DOCUMENT", "BINARY"};

/* Keywords, option names, group names, column types and the current
 * database's collections (when connected). */
static void
load_words (cli_t *cli)
{
   free_words ();
   words_loaded = true;
   const char *kw[256];
   size_t n = bql_keyword_names (kw, 256);
   for (size_t i = 0; i < n; i++) {
      if (!unsupported_keyword (kw[i])) {
         add_word (kw[i]);
      }
   }
   /* option and group names from the option table */
   const char *opts[64];
   n = bql_option_names (opts, 64);
   for (size_t i = 0; i < n && i < 64; i++) {
      add_word (opts[i]);
   }
   n = bql_option_group_names (opts, 64);
   for (size_t i = 0; i < n && i < 64; i++) {
      add_word (opts[i]);
   }
   static const char *const extra[] = {"CSV", "TSV", "NDJSON", "GZIP", "EXCLUDED"};
   for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
      add_word (extra[i]);
   }
   const char *funcs[64];
   n = bql_function_names (funcs, 64);
   for (size_t i = 0; i < n && i < 64; i++) {
      add_word (funcs[i]);
   }
   for (size_t i = 0; i < sizeof column_types / sizeof column_types[0]; i++) {
      add_word (column_types[i]);
   }
   if (cli->client) {
      mongoc_database_t *db = mongoc_client_get_database (cli->client, cli->database);
      bson_error_t berr;
      char **names = mongoc_database_get_collection_names_with_opts (db, NULL, &berr);
      for (size_t i = 0; names && names[i]; i++) {
         add_word (names[i]);
         add_to (&collection_words, &ncollection_words, names[i]);
      }
      bson_strfreev (names);
      mongoc_database_destroy (db);
   }
}

/* What complete_word offers: set by complete before each completion. */
static const char *const *offer;
static size_t noffer;
static const char *const statement_words[] = {"BULK", "EXPLAIN", "RESUME"};
static const char *const resume_words[] = {"OPERATION"};
static const char *const bulk_words[] = {"INSERT", "UPDATE", "UPSERT", "DELETE"};
static const char *const meta_words[] = {"\\c",       "\\connect", "\\conninfo", "\\d",      "\\dryrun",
                                         "\\explain", "\\format",  "\\help",     "\\i",      "\\l",
                                         "\\q",       "\\timing",  "\\use",   "\\verbose", "\\set", "\\unset", "\\e",
                                         "\\operations", "\\operation"};
static char **collections_and_stdin;
static size_t ncollections_and_stdin;

static char *
complete_word (const char *text, int state)
{
   static size_t i, len;
   static bool upper;
   if (state == 0) {
      i = 0;
      len = strlen (text);
      upper = len == 0 || isupper ((unsigned char) text[0]);
   }
   while (i < noffer) {
      const char *w = offer[i++];
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

/* The last word of text[0..end) before a run of blanks, into word (at
 * most size bytes); the word before it into word2. Words are runs of
 * letters, digits, '_', '.' and '$'; anything else ends the search (so
 * "INTO coll (" has no previous word). */
static void
previous_words (const char *text, size_t end, char *word, size_t size, char *word2, size_t size2)
{
   word[0] = word2[0] = '\0';
   size_t p = end;
   for (int k = 0; k < 2; k++) {
      while (p > 0 && isspace ((unsigned char) text[p - 1])) {
         p--;
      }
      size_t e = p;
      while (p > 0 && (isalnum ((unsigned char) text[p - 1]) || strchr ("_.$", text[p - 1]))) {
         p--;
      }
      if (p == e) {
         if (k == 0 && p == 0) {
            strcpy (word, "^"); /* the start of the statement */
         }
         return;
      }
      char *out = k == 0 ? word : word2;
      size_t n = e - p < (k == 0 ? size : size2) - 1 ? e - p : (k == 0 ? size : size2) - 1;
      memcpy (out, text + p, n);
      out[n] = '\0';
      if (k == 1 && p == 0) {
         return;
      }
   }
}

/* The argument of \i: the whole path typed so far (word breaks such as
 * '.' do not end it); the matches are the file names that complete it,
 * cut to the part after text's start, since only text is replaced. */
static char **
complete_file (const char *arg, size_t cut)
{
   char **m = rl_completion_matches (arg, rl_filename_completion_function);
   /* one match (libedit: m[0] the common part, m[1] the match): a
    * directory goes on with '/', a file with a space */
   if (m && m[0] && (!m[1] || !m[2])) {
      struct stat st;
      size_t l = strlen (m[0]);
      if (l && m[0][l - 1] == '/') {
         rl_completion_append_character = '\0';
      } else if (stat (m[0], &st) == 0 && S_ISDIR (st.st_mode)) {
         rl_completion_append_character = '/';
      }
   }
   for (size_t i = 0; m && m[i]; i++) {
      if (cut > 0) {
         size_t l = strlen (m[i]);
         memmove (m[i], m[i] + (cut < l ? cut : l), l - (cut < l ? cut : l) + 1);
      }
   }
   return m;
}

static char **
complete (const char *text, int start, int end)
{
   (void) end;
   if (!words_loaded) {
      /* no jump out of libmongoc: Ctrl-C waits for the list */
      at_prompt = 0;
      load_words (repl_cli);
      at_prompt = 1;
   }
   rl_completion_append_character = ' '; /* a space after a completed word */
   const char *line = rl_line_buffer;
   size_t lead = strspn (line, " \t");
   if (!completion_prefix && line[lead] == '\\') {
      /* a meta-command */
      size_t cmd_end = lead + strcspn (line + lead, " \t");
      if ((size_t) start <= lead) {
         offer = meta_words;
         noffer = sizeof meta_words / sizeof meta_words[0];
         return rl_completion_matches (text, complete_word);
      }
      if (cmd_end - lead == 2 && line[lead + 1] == 'i') {
         size_t arg = cmd_end + strspn (line + cmd_end, " \t");
         char *path = strndup (line + arg, (size_t) end - arg);
         char **m = complete_file (path, (size_t) start - arg);
         free (path);
         rl_attempted_completion_over = 1;
         return m;
      }
      rl_attempted_completion_over = 1;
      return NULL;
   }
   /* the statement so far: the lines before and this one up to text */
   size_t plen = completion_prefix ? strlen (completion_prefix) : 0;
   char *before = malloc (plen + (size_t) start + 1);
   memcpy (before, completion_prefix ? completion_prefix : "", plen);
   memcpy (before + plen, line, (size_t) start);
   before[plen + (size_t) start] = '\0';
   char w1[64], w2[64];
   previous_words (before, plen + (size_t) start, w1, sizeof w1, w2, sizeof w2);
   free (before);
   offer = (const char *const *) completion_words;
   noffer = ncompletion_words;
   if (!strcmp (w1, "^")) {
      offer = statement_words;
      noffer = sizeof statement_words / sizeof statement_words[0];
   } else if (!strcasecmp (w1, "EXPLAIN")) {
      offer = statement_words; /* BULK */
      noffer = 1;
   } else if (!strcasecmp (w1, "RESUME")) {
      offer = resume_words;
      noffer = 1;
   } else if (!strcasecmp (w1, "BULK")) {
      offer = bulk_words;
      noffer = sizeof bulk_words / sizeof bulk_words[0];
   } else if (!strcasecmp (w1, "INTO") || !strcasecmp (w1, "FROM") ||
              (!strcasecmp (w1, "UPDATE") && strcasecmp (w2, "KEY") && strcasecmp (w2, "DO"))) {
      /* a collection (or STDIN after FROM) */
      free_list (&collections_and_stdin, &ncollections_and_stdin);
      for (size_t i = 0; i < ncollection_words; i++) {
         add_to (&collections_and_stdin, &ncollections_and_stdin, collection_words[i]);
      }
      if (!strcasecmp (w1, "FROM")) {
         add_to (&collections_and_stdin, &ncollections_and_stdin, "STDIN");
      }
      offer = (const char *const *) collections_and_stdin;
      noffer = ncollections_and_stdin;
   }
   rl_attempted_completion_over = 1; /* never file names for a statement */
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
   "  EXPLAIN statement           print the plan; run nothing\n"
   "  RESUME OPERATION 'id'       run what an interrupted operation did not finish\n";

/* after the options (bql_options_help) */
static const char help_meta[] =
   "Meta-commands:\n"
   "  \\connect [URI]              connect to another server (no URI: show the current one)\n"
   "  \\conninfo                   the current server and database (password masked)\n"
   "  \\use [DB]                   change database (no DB: show it)\n"
   "  \\d                          collections with their document counts (SHOW COLLECTIONS)\n"
   "  \\l                          databases (SHOW DATABASES)\n"
   "  \\operations                 the operations of the database (as bulkql --operations)\n"
   "  \\operation ID               one operation, every field of its document\n"
   "  \\explain on|off             print plans instead of running\n"
   "  \\timing on|off              show elapsed time\n"
   "  \\verbose on|off             every batch and retry on stderr\n"
   "  \\set [NAME VALUE]           bind :NAME (or the NAME-th ?), no argument: list\n"
   "  \\unset NAME                 drop a parameter\n"
   "  \\format [table|json]        result format (no argument: show it)\n"
   "  \\dryrun on|off              write nothing\n"
   "  \\i FILE                     run a script file\n"
   "  \\e                          edit the statement (or the last one) in $EDITOR,\n"
   "                              it runs when it ends with a semicolon\n"
   "  \\help [options]             this text, or the WITH options\n"
   "  \\q                          quit\n"
   "Column types: INT (INTEGER, INT32), BIGINT (LONG, INT64), DOUBLE (FLOAT, REAL),\n"
   "  DECIMAL (NUMERIC, DECIMAL128), STRING (TEXT, VARCHAR), BOOL (BOOLEAN), DATE,\n"
   "  TIMESTAMP (DATETIME), OBJECTID, JSON (DOCUMENT), BINARY\n"
   "FROM STDIN at the prompt: type the rows after the statement; end them with \\.\n"
   "  on a line by itself or Ctrl-D; Ctrl-C cancels the statement (nothing written).\n"
   "Keys: Tab completes keywords, options and collections; Up/Down recall ~/.bulkql_history;\n"
   "  Ctrl-C cancels the running statement after the batch in flight, or clears the line;\n"
   "  Ctrl-D at an empty prompt quits.\n";

/* The WITH options' help, from the library's option table. */
static void
print_options_help (void)
{
   size_t n = bql_options_help (NULL, 0);
   char *text = malloc (n + 1);
   if (text) {
      bql_options_help (text, n + 1);
      fputs (text, stdout);
      free (text);
   }
}

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

/* \conninfo (and \connect with no URI): the server and database, the
 * URI's password and secret options masked (cli_redact_uri). */
static void
conninfo (cli_t *cli)
{
   char *shown = cli_redact_uri (cli->uri_string);
   printf ("%s %s, database %s.\n", cli->client ? "Connected to" : "Not connected; the server is", shown,
           cli->database);
   free (shown);
}

static int
compare_names (const void *a, const void *b)
{
   return strcmp (*(char *const *) a, *(char *const *) b);
}

/* \d and SHOW COLLECTIONS (cli.h). */
bool
cli_list_collections (cli_t *cli)
{
   if (!cli_connect (cli)) {
      return false;
   }
   mongoc_database_t *db = mongoc_client_get_database (cli->client, cli->database);
   bson_error_t berr;
   char **names = mongoc_database_get_collection_names_with_opts (db, NULL, &berr);
   if (!names) {
      char *why = cli_redact_text (berr.message);
      fprintf (stderr, "bulkql: cannot list the collections of %s: %s\n", cli->database, why);
      free (why);
      mongoc_database_destroy (db);
      return false;
   }
   size_t n = 0, width = strlen ("collection");
   while (names[n]) {
      if (strlen (names[n]) > width) {
         width = strlen (names[n]);
      }
      n++;
   }
   qsort (names, n, sizeof *names, compare_names);
   bson_t out = BSON_INITIALIZER, arr;
   if (cli->format == CLI_FORMAT_JSON) {
      BSON_APPEND_UTF8 (&out, "database", cli->database);
      bson_append_array_begin (&out, "collections", -1, &arr);
   } else {
      printf ("Collections of %s:\n  %-*s  %12s\n", cli->database, (int) width, "collection", "documents");
   }
   for (size_t i = 0; i < n; i++) {
      mongoc_collection_t *coll = mongoc_database_get_collection (db, names[i]);
      int64_t count = mongoc_collection_estimated_document_count (coll, NULL, NULL, NULL, &berr);
      if (cli->format == CLI_FORMAT_JSON) {
         char kb[16];
         const char *key;
         bson_uint32_to_string ((uint32_t) i, &key, kb, sizeof kb);
         bson_t one;
         bson_append_document_begin (&arr, key, -1, &one);
         BSON_APPEND_UTF8 (&one, "name", names[i]);
         if (count < 0) {
            BSON_APPEND_NULL (&one, "documents");
         } else {
            BSON_APPEND_INT64 (&one, "documents", count);
         }
         bson_append_document_end (&arr, &one);
      } else if (count < 0) {
         printf ("  %-*s  %12s\n", (int) width, names[i], "?");
      } else {
         printf ("  %-*s  %12" PRId64 "\n", (int) width, names[i], count);
      }
      mongoc_collection_destroy (coll);
   }
   if (cli->format == CLI_FORMAT_JSON) {
      bson_append_array_end (&out, &arr);
      cli_print_json (&out);
   } else {
      printf ("(%zu collection%s)\n", n, n == 1 ? "" : "s");
   }
   bson_destroy (&out);
   fflush (stdout);
   bson_strfreev (names);
   mongoc_database_destroy (db);
   return true;
}

/* \l and SHOW DATABASES (cli.h). */
bool
cli_list_databases (cli_t *cli)
{
   if (!cli_connect (cli)) {
      return false;
   }
   bson_error_t berr;
   char **names = mongoc_client_get_database_names_with_opts (cli->client, NULL, &berr);
   if (!names) {
      char *why = cli_redact_text (berr.message);
      fprintf (stderr, "bulkql: cannot list the databases: %s\n", why);
      free (why);
      return false;
   }
   size_t n = 0;
   while (names[n]) {
      n++;
   }
   qsort (names, n, sizeof *names, compare_names);
   if (cli->format == CLI_FORMAT_JSON) {
      bson_t out = BSON_INITIALIZER, arr;
      bson_append_array_begin (&out, "databases", -1, &arr);
      for (size_t i = 0; i < n; i++) {
         char kb[16];
         const char *key;
         bson_uint32_to_string ((uint32_t) i, &key, kb, sizeof kb);
         BSON_APPEND_UTF8 (&arr, key, names[i]);
      }
      bson_append_array_end (&out, &arr);
      BSON_APPEND_UTF8 (&out, "current", cli->database);
      cli_print_json (&out);
      bson_destroy (&out);
   } else {
      printf ("Databases:\n");
      for (size_t i = 0; i < n; i++) {
         printf ("  %s%s\n", names[i], strcmp (names[i], cli->database) ? "" : "  (current)");
      }
      printf ("(%zu database%s)\n", n, n == 1 ? "" : "s");
   }
   fflush (stdout);
   bson_strfreev (names);
   return true;
}

/* Past blanks and -- comments from p (up to end). */
static const char *
skip_blanks (const char *p, const char *end)
{
   for (;;) {
      while (p < end && isspace ((unsigned char) *p)) {
         p++;
      }
      if (end - p >= 2 && p[0] == '-' && p[1] == '-') {
         while (p < end && *p != '\n') {
            p++;
         }
         continue;
      }
      return p;
   }
}

/* Whether the word w (upper case) is at p (any case), followed by a blank,
 * a ';', a '-' or the end. */
static bool
word_at (const char *p, const char *end, const char *w)
{
   size_t n = strlen (w);
   if ((size_t) (end - p) < n || strncasecmp (p, w, n)) {
      return false;
   }
   return p + n == end || isspace ((unsigned char) p[n]) || p[n] == ';' || p[n] == '-';
}

int
cli_show_statement (const char *text, size_t len, bool need_semicolon)
{
   const char *end = text + len;
   const char *p = skip_blanks (text, end);
   if (!word_at (p, end, "SHOW")) {
      return 0;
   }
   p = skip_blanks (p + 4, end);
   int which = 0;
   /* and mongosh's "show tables" and "show dbs" */
   static const struct {
      const char *word;
      int which;
   } words[] = {{"COLLECTIONS", 1}, {"TABLES", 1}, {"DATABASES", 2}, {"DBS", 2}};
   for (size_t i = 0; i < sizeof words / sizeof words[0] && !which; i++) {
      if (word_at (p, end, words[i].word)) {
         which = words[i].which;
         p += strlen (words[i].word);
      }
   }
   if (!which) {
      return 0;
   }
   p = skip_blanks (p, end);
   if (p < end && *p == ';') {
      p = skip_blanks (p + 1, end);
   } else if (need_semicolon) {
      return 0;
   }
   return p == end ? which : 0;
}

/* \e: text (the statement being typed, or else the last one run) in
 * $VISUAL or $EDITOR (else vi), through a private temporary file. The
 * edited text (malloc'd), or NULL when the editor failed (said on
 * stderr). */
static char *
edit_text (const char *text)
{
   const char *editor = getenv ("VISUAL");
   if (!editor || !*editor) {
      editor = getenv ("EDITOR");
   }
   if (!editor || !*editor) {
      editor = "vi";
   }
   const char *tmp = getenv ("TMPDIR");
   char path[512];
   snprintf (path, sizeof path, "%s/bulkql-edit-XXXXXX.sql", tmp && *tmp && !strchr (tmp, '\'') ? tmp : "/tmp");
   int fd = mkstemps (path, 4); /* 0600 */
   if (fd < 0) {
      fprintf (stderr, "\\e: cannot make a temporary file: %s\n", strerror (errno));
      return NULL;
   }
   size_t n = strlen (text);
   bool ok = write (fd, text, n) == (ssize_t) n;
   close (fd);
   char *edited = NULL;
   if (ok) {
      size_t len = strlen (editor) + strlen (path) + 8;
      char *cmd = malloc (len);
      snprintf (cmd, len, "%s '%s'", editor, path);
      int st = system (cmd);
      free (cmd);
      if (st != 0) {
         fprintf (stderr, "\\e: the editor (%s) failed; the statement is left as it was\n", editor);
      } else {
         edited = cli_read_file (path, &len);
         if (!edited) {
            fprintf (stderr, "\\e: cannot read %s back: %s\n", path, strerror (errno));
         }
      }
   } else {
      fprintf (stderr, "\\e: cannot write %s: %s\n", path, strerror (errno));
   }
   unlink (path);
   return edited;
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
      bool all = !arg || strcasecmp (arg, "options");
      if (all) {
         fputs (help_text, stdout);
      }
      print_options_help ();
      if (all) {
         fputs (help_meta, stdout);
      }
   } else if (!strcmp (cmd, "connect") || !strcmp (cmd, "c")) {
      if (!arg) {
         conninfo (cli);
      } else {
         cli_secrets_add_uri (arg);
         char *old = cli->uri_string;
         mongoc_client_t *old_client = cli->client;
         cli->uri_string = cli_uri_ask_password (arg); /* a user without a password */
         if (!cli->uri_string) {
            cli->uri_string = strdup (arg);
         }
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
   } else if (!strcmp (cmd, "conninfo")) {
      conninfo (cli);
   } else if (!strcmp (cmd, "d")) {
      cli_list_collections (cli);
   } else if (!strcmp (cmd, "l")) {
      cli_list_databases (cli);
   } else if (!strcmp (cmd, "operations")) {
      cli_operations_list (cli);
   } else if (!strcmp (cmd, "operation")) {
      if (!arg) {
         fprintf (stderr, "bulkql: \\operation needs an operation id (\\operations lists them)\n");
      } else {
         cli_operation_show (cli, arg);
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
   } else if (!strcmp (cmd, "verbose")) {
      on_off (arg, &cli->verbose, "verbose");
   } else if (!strcmp (cmd, "set")) {
      if (!arg) {
         cli_params_print (cli, stdout);
      } else {
         char *value = arg + strcspn (arg, " \t");
         if (*value) {
            *value++ = '\0';
            value += strspn (value, " \t");
         }
         char why[300];
         if (!cli_param_set (cli, arg, value, why, sizeof why)) {
            fprintf (stderr, "\\set: %s\n", why);
         }
      }
   } else if (!strcmp (cmd, "unset")) {
      if (!arg) {
         fprintf (stderr, "\\unset needs a parameter name\n");
      } else if (!cli_param_unset (cli, arg)) {
         fprintf (stderr, "\\unset: parameter %s is not set\n", arg);
      }
   } else if (!strcmp (cmd, "timing")) {
      on_off (arg, &cli->timing, "timing");
   } else if (!strcmp (cmd, "dryrun")) {
      on_off (arg, &cli->dry_run, "dryrun");
   } else if (!strcmp (cmd, "format")) {
      if (arg && !strcmp (arg, "table")) {
         cli->format = CLI_FORMAT_TABLE;
      } else if (arg && !strcmp (arg, "json")) {
         cli->format = CLI_FORMAT_JSON;
      } else if (arg) {
         fprintf (stderr, "\\format takes table or json\n");
         return true;
      }
      printf ("format is %s.\n", cli->format == CLI_FORMAT_JSON ? "json" : "table");
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

/* ---- the rows of FROM STDIN ---- */

FILE *
cli_repl_read_rows (cli_t *cli)
{
   (void) cli;
   FILE *rows = tmpfile ();
   if (!rows) {
      fprintf (stderr, "bulkql: FROM STDIN: cannot make a temporary file for the rows: %s\n", strerror (errno));
      return NULL;
   }
   printf ("Enter the rows of FROM STDIN, one per line.\n"
           "End with \\. on a line by itself, or Ctrl-D; Ctrl-C cancels the statement.\n");
   fflush (stdout);
   /* Tab is data in a row (TSV), not completion */
   rl_parse_and_bind ("bind ^I ed-insert");
   bool ok = true;
   for (;;) {
      bool interrupted;
      char *line = read_line (">> ", &interrupted);
      if (interrupted) {
         printf ("\n");
         fprintf (stderr, "bulkql: cancelled while reading the rows of FROM STDIN; nothing was written\n");
         ok = false;
         break;
      }
      if (!line) {
         printf ("\n"); /* Ctrl-D: the end of the rows */
         break;
      }
      if (!strcmp (line, "\\.")) {
         free (line);
         break;
      }
      size_t n = strlen (line);
      if (fwrite (line, 1, n, rows) != n || fputc ('\n', rows) == EOF) {
         fprintf (stderr, "bulkql: FROM STDIN: cannot keep the rows in a temporary file: %s\n", strerror (errno));
         free (line);
         ok = false;
         break;
      }
      free (line);
   }
   rl_parse_and_bind ("bind ^I rl_complete");
   if (ok && (fflush (rows) != 0 || fseek (rows, 0, SEEK_SET) != 0)) {
      fprintf (stderr, "bulkql: FROM STDIN: cannot read the rows back: %s\n", strerror (errno));
      ok = false;
   }
   if (!ok) {
      fclose (rows);
      return NULL;
   }
   return rows;
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
      completion_prefix = acc_len ? acc : NULL;
      char *line = read_line (prompt, &interrupted);
      completion_prefix = NULL;
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
      {
         char *p = line + strspn (line, " \t");
         if (p[0] == '\\' && p[1] == 'e' && (!p[2] || isspace ((unsigned char) p[2]))) {
            /* \e: edit the statement being typed, or else the last one;
             * run it when it ends with ';' (as psql) */
            add_history (line);
            free (line);
            const char *src = acc_len ? acc : (last_statement ? last_statement : "");
            char *edited = edit_text (src);
            if (!edited) {
               continue;
            }
            free (acc);
            acc = edited;
            acc_len = strlen (acc);
            size_t e = acc_len;
            while (e > 0 && isspace ((unsigned char) acc[e - 1])) {
               e--;
            }
            if (e == 0) {
               free (acc);
               acc = NULL;
               acc_len = 0;
               continue;
            }
            acc[e] = '\n';
            acc[e + 1] = '\0';
            acc_len = e + 1;
            fputs (acc, stdout);
            if (!bql_statement_is_complete (acc, acc_len)) {
               continue; /* typing goes on after it */
            }
            goto run;
         }
      }
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
   run:;
      free (last_statement);
      last_statement = strdup (acc);
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
      int show = cli_show_statement (acc, acc_len, true);
      if (show == 1) {
         cli_list_collections (cli);
      } else if (show == 2) {
         cli_list_databases (cli);
      } else {
         rc = cli_run_script (cli, "<stdin>", acc, acc_len);
      }
      free (acc);
      acc = NULL;
      acc_len = 0;
      free_words (); /* collections may have appeared */
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
   free_list (&collections_and_stdin, &ncollections_and_stdin);
   free (last_statement);
   last_statement = NULL;
   return cli->terminate ? 1 : 0;
}
