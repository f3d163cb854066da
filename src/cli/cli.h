/*
 * cli.h — what the bulkql command's files share: its settings, the
 * connection, and the functions that run scripts and print results. The
 * CLI uses only the public headers of the library.
 */
#ifndef BQL_CLI_H
#define BQL_CLI_H

#include <bulkql/bulkql.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

typedef enum { CLI_FORMAT_TABLE, CLI_FORMAT_JSON } cli_format_t;

typedef struct cli {
   char *uri_string;     /* as given (may hold a password: never print it) */
   char *database;       /* current database */
   bool db_given;
   bool explain;         /* print plans instead of running */
   bool dry_run;
   bool continue_on_error;
   bool quiet;
   bool timing;          /* REPL \timing */
   bool color;           /* colour on stdout: a terminal and no NO_COLOR */
   bool color_err;       /* the same for stderr */
   bool interactive;
   cli_format_t format;
   mongoc_client_t *client;
   /* Set by SIGINT (cli_on_sigint): the running statement stops after
    * the batch in flight and the rest of the script is not run. Cleared
    * by the REPL before each line; never cleared in script mode. */
   volatile int cancel;
   volatile sig_atomic_t running; /* a script is running (cli_run_script) */
   volatile sig_atomic_t terminate; /* SIGTERM came: the REPL ends after the statement */
   bool progress_tty;    /* stderr is a terminal */
   bool script_on_stdin; /* the statements are read from standard input */
   bson_t *params;       /* -v / \set parameters (params.c), or NULL */
   bool verbose;         /* --verbose / \verbose: each batch on stderr */
   /* the script being run (for errors located in it), or NULL */
   const char *script_name;
   const char *script_text;
   size_t script_len;
   int statement_line; /* 1-based line of the running statement, 0 if none */
   /* --resume ID with -f or -c: the one statement given is run as the
    * continuation of this operation (bql_operation_resume); NULL if not */
   const char *resume_id;
   /* the RESUME statement was made from --resume ID (errors name no
    * script line) */
   bool resume_from_option;
   /* a resume is to run (--resume, RESUME OPERATION): a server that does
    * not answer the connect's ping is not an error yet, since the
    * resume's own commands wait for it within the retry policy
    * (bql_operation_resume), as batches do */
   bool connect_waits;
} cli_t;

/* One script given to the command (-f FILE, -f -, -c STATEMENT, standard
 * input, \i): its text, parsed and planned by cli_input_prepare before
 * any input runs. The caller owns name, text and base_dir and keeps them
 * alive until cli_input_cleanup. */
typedef struct cli_input {
   const char *name;     /* in messages: the path, "<stdin>", "<command>" */
   const char *text;
   size_t len;
   const char *base_dir; /* folder of relative FROM paths; NULL = cwd */
   bql_script_t *script; /* set by cli_input_prepare */
   bql_plan_t **plans;
   size_t n;
   bool need_server;     /* a statement writes (not EXPLAIN, not --explain) */
   int show;             /* the input is SHOW COLLECTIONS (1) or SHOW
                            DATABASES (2) alone (cli_show_statement) */
} cli_input_t;

/* Whether text[0..len) is SHOW COLLECTIONS (or TABLES) or SHOW DATABASES
 * (or DBS, as mongosh) alone (any case and blanks, -- comments around
 * it): 1 and 2, else 0. The ';' is
 * required when need_semicolon (at the prompt), optional otherwise
 * (-c, -f). These read the server's catalogue and plan no bulk write,
 * so they are recognised before the parser (repl.c). */
int cli_show_statement (const char *text, size_t len, bool need_semicolon);

/* \d and SHOW COLLECTIONS: the current database's collections (the
 * listCollections command) with their document counts (count, as
 * estimatedDocumentCount), in name order; \l and SHOW DATABASES: the
 * server's databases (listDatabases). A table on stdout, or one JSON
 * line with --format json. False (said on stderr) when the server
 * cannot be reached or refuses. */
bool cli_list_collections (cli_t *cli);
bool cli_list_databases (cli_t *cli);

/* The folder of a script path, for its relative FROM paths (malloc'd):
 * "dir/a.sql" -> "dir", "/a.sql" -> "/", and NULL for "a.sql" (the
 * current directory). */
char *cli_script_dir (const char *path);

/* Parse and plan every statement of in (no server is contacted). On an
 * error prints it (file:line:col and a caret; with --format json also a
 * JSON line on stdout) and returns false; cli_input_cleanup frees what was
 * made either way. */
bool cli_input_prepare (cli_t *cli, cli_input_t *in);

/* Run (or explain) the prepared statements of in, connecting first when
 * one writes. Returns 0, 1 (a statement failed or was cancelled) or 2 (a
 * connection error); stops at the first failure unless continue_on_error. */
int cli_input_run (cli_t *cli, cli_input_t *in);
void cli_input_cleanup (cli_input_t *in);

/* --format json: an error that stopped an input before it ran (syntax,
 * plan) as one JSON line on stdout: {"ok": false, "file", "line",
 * "column", "error"}. */
void cli_print_json_error (cli_t *cli, const bql_error_t *error, const char *name);

/* doc as one JSON line on stdout (--format json): relaxed Extended JSON
 * with doubles in their shortest form. */
void cli_print_json (const bson_t *doc);

/* The state of one statement's progress line (progress.c). */
typedef struct cli_progress {
   bool enabled;   /* the statement shows progress */
   bool tty;       /* redraw in place (stderr is a terminal) */
   bool shown;     /* a line is on the screen and must be erased */
   double start_ms, last_ms; /* monotonic clock, milliseconds */
} cli_progress_t;

/* Set p up for one statement. option is the statement's progress option
 * (bql_plan_progress: 1 on, 0 off, -1 unset); unset means on when stderr
 * is a terminal and the CLI is not --quiet. */
void cli_progress_begin (cli_progress_t *p, const cli_t *cli, int option);

/* A bql_progress_fn (ctx is a cli_progress_t): draws the line on stderr,
 * at most four times a second on a terminal (once a second otherwise),
 * and not in the statement's first 250 ms. */
void cli_progress_update (const bql_progress_t *progress, void *ctx);

/* Erase the line if one is shown; call before printing the result. */
void cli_progress_clear (cli_progress_t *p);

/* The text of a progress line, without a line ending, into out (at most
 * size bytes, always terminated): "12,000 of 50,000 rows (24%),
 * 8,100 rows/s, 1.2 MiB of 4.8 MiB read, ETA 0:05"; the parts that are
 * unknown are left out. */
void cli_progress_format (char *out, size_t size, const bql_progress_t *progress);

/* A result's elapsed time ms (milliseconds) for people, into out (at
 * most size bytes, always terminated): "812.4 ms" and "41234.5 ms" under
 * a minute, then "21 min 2.3 s", and from an hour "5 h 02 min 03 s". */
void cli_format_elapsed (char *out, size_t size, double ms);

/* Make cli the target of cli_on_sigint. Call once, before installing it. */
void cli_sigint_target (cli_t *cli);

/* The SIGINT and SIGTERM handler of the command (async-signal-safe): sets
 * cli->cancel and, while a script runs, says on stderr that the statement
 * stops after the batch in flight. A second SIGINT in script mode
 * terminates the process at once (by the default action). Installed
 * without SA_RESTART, so that a read that waits (FROM STDIN) returns. */
void cli_on_sigint (int sig);

/* secrets.c: the URI with its password and the values of secret query
 * options (tlsCertificateKeyFilePassword, authMechanismProperties,
 * *password*, *token*, *secret*) replaced by "****" (malloc'd). The
 * password may hold an unescaped '@', '/' or ':'. */
char *cli_redact_uri (const char *uri);

/* Remember the secrets of uri (raw and percent-decoded) for
 * cli_redact_text; kept for the rest of the process. */
void cli_secrets_add_uri (const char *uri);

/* text (not NULL) with every mongodb:// URI redacted and every secret
 * remembered by cli_secrets_add_uri (of 3 bytes or more) replaced by
 * "****" (malloc'd). For text the command did not write itself: the
 * driver's messages, errors. */
char *cli_redact_text (const char *text);

/* Connect (if not yet) and check the server with ping. Prints the error
 * and returns false when it cannot. */
bool cli_connect (cli_t *cli);
void cli_disconnect (cli_t *cli);

/* Parse, plan and run text as a script. name is used in messages; when
 * it is a path (not "<stdin>" or "<command>"), relative FROM paths are
 * resolved against its folder (cli_script_dir). Returns
 * 0 when every statement succeeded, 1 when one failed (or the script is
 * invalid, or it was cancelled), 2 on a connection error. Stops at the
 * first failed statement unless continue_on_error, and after a cancel
 * (cli->cancel) in any case. Each statement shows a progress line
 * (cli_progress_*); with cli->timing, its wall time follows its result. */
int cli_run_script (cli_t *cli, const char *name, const char *text, size_t len);

/* Print a statement's result (table or JSON) on stdout. */
void cli_print_result (cli_t *cli, const bson_t *reply, bool ok, const bql_error_t *error);

/* Print an error as file:line:col with the source line and caret. */
void cli_print_error (cli_t *cli, const bql_error_t *error, const char *name, const char *text, size_t len);

/* At the interactive prompt, the rows of a FROM STDIN statement, as
 * psql's COPY ... FROM STDIN reads them (repl.c): says how to end them,
 * reads lines with the prompt ">> " (echoed, edited by libedit, Tab is a
 * character) until a line "\." or Ctrl-D, and returns them in a rewound
 * temporary file (tmpfile; the caller fcloses it) to pass as
 * bql_exec_options_t.stdin_stream. NULL, said on stderr, when Ctrl-C
 * cancels the statement (then nothing is written) or the file fails. */
FILE *cli_repl_read_rows (cli_t *cli);

/* params.c: bind value to the parameter name (":name" in statements, or
 * "n" for the n-th ?) for every statement planned after it; the value is
 * typed as the literal it reads as (integer, double, true/false, null,
 * 'quoted' string, else the text as a string). False with a message in
 * why (size bytes) for an invalid name or a value that is not UTF-8. */
bool cli_param_set (cli_t *cli, const char *name, const char *value, char *why, size_t size);
/* Drop the parameter name; false when it was not set. */
bool cli_param_unset (cli_t *cli, const char *name);
/* List the parameters with their types on out, or say there are none. */
void cli_params_print (const cli_t *cli, FILE *out);
void cli_params_free (cli_t *cli);

/* verbose.c: the connected server's host:port list (comma-separated)
 * into out (size bytes), "" when not connected; the hosts that do not fit
 * whole are left out. */
void cli_server_hosts (const cli_t *cli, char *out, size_t size);
/* A bql_batch_fn (ctx is the cli_t): one line per batch on stderr;
 * always goes on. */
bool cli_verbose_batch (const bql_batch_info_t *info, void *ctx);
/* A bql_retry_fn (ctx is the cli_t): one line per retry on stderr. */
void cli_verbose_retry (const bql_retry_info_t *info, void *ctx);

/* password.c: when uri names a user and no password (and its
 * authMechanism takes one) and standard input is a terminal, ask for the
 * password on it without echo and return uri with it in (malloc'd; its
 * secrets remembered for masking); otherwise NULL (uri is used as it
 * is). */
char *cli_uri_ask_password (const char *uri);

/* The interactive loop (repl.c). Returns the exit code. */
int cli_repl (cli_t *cli);

/* bulkql --operations, \operations: the operations of cli->database
 * (bulkql/operations.h), a table or JSON; \operation ID: one, every
 * field; bulkql --abort ID: mark it Aborted. Each returns the exit
 * status: 0, 1 (unknown, final already, refused), 2 (no server).
 * (operations.c) */
int cli_operations_list (cli_t *cli);
int cli_operation_show (cli_t *cli, const char *id);
int cli_operation_abort (cli_t *cli, const char *id);
/* A duration in milliseconds as 45s, 2m10s, 3h05m or 2d04h. */
void cli_format_age (char *out, size_t size, int64_t ms);

/* The largest script read from -f, standard input or \i: 1 GiB, or
 * BULKQL_SCRIPT_MAX_BYTES when that is a smaller positive number. */
#define CLI_SCRIPT_MAX_DEFAULT ((size_t) 1 << 30)
size_t cli_script_max (void);
/* "1 GiB" or "N bytes": the limit for messages (static). */
const char *cli_script_max_text (void);

/* Read a whole stream or file; NULL with errno on failure (EFBIG: longer
 * than cli_script_max(), read no further). */
char *cli_read_file (const char *path, size_t *len);
char *cli_read_stream (FILE *f, size_t *len);

#endif
