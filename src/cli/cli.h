/*
 * cli.h — what the bulkql command's files share: its settings, the
 * connection, and the functions that run scripts and print results. The
 * CLI uses only the public headers of the library.
 */
#ifndef BQL_CLI_H
#define BQL_CLI_H

#include <bulkql/bulkql.h>
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
   bool color;
   bool interactive;
   cli_format_t format;
   mongoc_client_t *client;
   volatile int cancel;  /* set by SIGINT while a statement runs */
   bool progress_tty;    /* stderr is a terminal */
   bool script_on_stdin; /* the statements are read from standard input */
   /* the script being run (for errors located in it), or NULL */
   const char *script_name;
   const char *script_text;
   size_t script_len;
} cli_t;

/* The URI with any password replaced by "****" (malloc'd). */
char *cli_redact_uri (const char *uri);

/* Connect (if not yet) and check the server with ping. Prints the error
 * and returns false when it cannot. */
bool cli_connect (cli_t *cli);
void cli_disconnect (cli_t *cli);

/* Parse, plan and run text as a script. name is used in messages. Returns
 * 0 when every statement succeeded, 1 when one failed (or the script is
 * invalid), 2 on a connection error. Stops at the first failed statement
 * unless continue_on_error. */
int cli_run_script (cli_t *cli, const char *name, const char *text, size_t len);

/* Print a statement's result (table or JSON) on stdout. */
void cli_print_result (cli_t *cli, const bson_t *reply, bool ok, const bql_error_t *error);

/* Print an error as file:line:col with the source line and caret. */
void cli_print_error (cli_t *cli, const bql_error_t *error, const char *name, const char *text, size_t len);

/* The interactive loop (repl.c). Returns the exit code. */
int cli_repl (cli_t *cli);

/* Read a whole stream or file; NULL with errno on failure. */
char *cli_read_file (const char *path, size_t *len);
char *cli_read_stream (FILE *f, size_t *len);

#endif
