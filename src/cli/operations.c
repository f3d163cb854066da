/*
 * operations.c — the operations of a database, as bulkql shows them:
 * bulkql --operations and \operations (a table, or --format json), \operation
 * ID (one, every field), bulkql --abort ID (bulkql/operations.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "bulkql/bulkql.h"
#include "cli.h"

static int64_t
now_ms (void)
{
   struct timeval tv;
   gettimeofday (&tv, NULL);
   return (int64_t) tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* A duration in milliseconds, coarse: 45s, 2m10s, 3h05m, 2d04h. */
void
cli_format_age (char *out, size_t size, int64_t ms)
{
   long long s = (long long) (ms < 0 ? 0 : ms / 1000);
   if (s < 60) {
      snprintf (out, size, "%llds", s);
   } else if (s < 3600) {
      snprintf (out, size, "%lldm%02llds", s / 60, s % 60);
   } else if (s < 86400) {
      snprintf (out, size, "%lldh%02lldm", s / 3600, s % 3600 / 60);
   } else {
      snprintf (out, size, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
   }
}

static const char *
str_of (const bson_t *doc, const char *path)
{
   bson_iter_t it, d;
   if (bson_iter_init (&it, doc) && bson_iter_find_descendant (&it, path, &d) && BSON_ITER_HOLDS_UTF8 (&d)) {
      return bson_iter_utf8 (&d, NULL);
   }
   return "";
}

static int64_t
int_of (const bson_t *doc, const char *path)
{
   bson_iter_t it, d;
   if (bson_iter_init (&it, doc) && bson_iter_find_descendant (&it, path, &d) &&
       (BSON_ITER_HOLDS_INT32 (&d) || BSON_ITER_HOLDS_INT64 (&d) || BSON_ITER_HOLDS_DOUBLE (&d))) {
      return bson_iter_as_int64 (&d);
   }
   return 0;
}

/* A date field in ms; false when absent. */
static bool
date_of (const bson_t *doc, const char *key, int64_t *ms)
{
   bson_iter_t it;
   if (bson_iter_init_find (&it, doc, key) && BSON_ITER_HOLDS_DATE_TIME (&it)) {
      *ms = bson_iter_date_time (&it);
      return true;
   }
   return false;
}

/* "1,234,567" */
static void
grouped (char *out, size_t size, int64_t n)
{
   char digits[32];
   int nd = snprintf (digits, sizeof digits, "%lld", (long long) (n < 0 ? -n : n));
   size_t k = 0;
   if (n < 0 && k + 1 < size) {
      out[k++] = '-';
   }
   for (int i = 0; i < nd && k + 2 < size; i++) {
      out[k++] = digits[i];
      if ((nd - i - 1) % 3 == 0 && i < nd - 1) {
         out[k++] = ',';
      }
   }
   out[k] = '\0';
}

/* The columns of one operation in the table. */
typedef struct {
   char id[25];
   char state[16];
   char kind[8];
   char coll[260];
   char progress[160];
   char rate[48];
   char age[16];
   char updated[24];
} row_t;

static void
row_of (const bson_t *op, int64_t now, row_t *r)
{
   snprintf (r->id, sizeof r->id, "%s", str_of (op, "_id"));
   snprintf (r->state, sizeof r->state, "%s", str_of (op, "shownState"));
   snprintf (r->kind, sizeof r->kind, "%s", str_of (op, "kind"));
   snprintf (r->coll, sizeof r->coll, "%s.%s", str_of (op, "database"), str_of (op, "collection"));
   char rows[32], batches[32], failed[32];
   int64_t done = int_of (op, "counters.rowsDone"), nb = int_of (op, "counters.batches");
   int64_t nf = int_of (op, "counters.nFailed");
   grouped (rows, sizeof rows, done);
   grouped (batches, sizeof batches, nb);
   grouped (failed, sizeof failed, nf);
   if (nf > 0) {
      snprintf (r->progress, sizeof r->progress, "%s row%s (%s failed), %s batch%s", rows, done == 1 ? "" : "s",
                failed, batches, nb == 1 ? "" : "es");
   } else {
      snprintf (r->progress, sizeof r->progress, "%s row%s, %s batch%s", rows, done == 1 ? "" : "s", batches,
                nb == 1 ? "" : "es");
   }
   int64_t started = 0, updated = 0;
   bool has_started = date_of (op, "startedAt", &started), has_updated = date_of (op, "updatedAt", &updated);
   if (has_started && has_updated && updated > started && done > 0) {
      char n[32];
      grouped (n, sizeof n, (int64_t) ((double) done * 1000.0 / (double) (updated - started) + 0.5));
      snprintf (r->rate, sizeof r->rate, "%s rows/s", n);
   } else {
      snprintf (r->rate, sizeof r->rate, "-");
   }
   if (has_started) {
      cli_format_age (r->age, sizeof r->age, now - started);
   } else {
      snprintf (r->age, sizeof r->age, "-");
   }
   if (has_updated) {
      char a[16];
      cli_format_age (a, sizeof a, now - updated);
      snprintf (r->updated, sizeof r->updated, "%s ago", a);
   } else {
      snprintf (r->updated, sizeof r->updated, "-");
   }
}

static void
print_error (const char *what, const bql_error_t *e)
{
   char *why = cli_redact_text (e->message);
   fprintf (stderr, "bulkql: %s: %s\n", what, why);
   free (why);
}

/* The exit status of a failure: 2 when the server could not be reached. */
static int
failed_rc (const bql_error_t *e)
{
   return e->code == BQL_ERR_CONNECTION ? 2 : 1;
}

int
cli_operations_list (cli_t *cli)
{
   if (!cli_connect (cli)) {
      return 2;
   }
   bql_operations_options_t o = {.size = sizeof o, .database = cli->database};
   bson_t reply;
   bql_error_t error;
   if (!bql_operations_list (cli->client, &o, &reply, &error)) {
      print_error ("cannot list the operations", &error);
      bson_destroy (&reply);
      return failed_rc (&error);
   }
   if (cli->format == CLI_FORMAT_JSON) {
      cli_print_json (&reply);
      bson_destroy (&reply);
      return 0;
   }
   bson_iter_t it, ai;
   size_t n = 0;
   row_t *rows = NULL;
   int64_t now = now_ms ();
   if (bson_iter_init_find (&it, &reply, "operations") && bson_iter_recurse (&it, &ai)) {
      while (bson_iter_next (&ai)) {
         const uint8_t *data;
         uint32_t len;
         bson_t op;
         if (!BSON_ITER_HOLDS_DOCUMENT (&ai)) {
            continue;
         }
         bson_iter_document (&ai, &len, &data);
         if (!bson_init_static (&op, data, len)) {
            continue;
         }
         rows = realloc (rows, sizeof *rows * (n + 1));
         row_of (&op, now, &rows[n++]);
      }
   }
   static const char *const heads[] = {"id", "state", "kind", "collection", "progress", "rate", "age", "updated"};
   size_t w[8];
   for (int c = 0; c < 8; c++) {
      w[c] = strlen (heads[c]);
   }
   for (size_t i = 0; i < n; i++) {
      const char *cols[8] = {rows[i].id,       rows[i].state, rows[i].kind, rows[i].coll,
                             rows[i].progress, rows[i].rate,  rows[i].age,  rows[i].updated};
      for (int c = 0; c < 8; c++) {
         if (strlen (cols[c]) > w[c]) {
            w[c] = strlen (cols[c]);
         }
      }
   }
   printf ("Operations of %s (the most recent first):\n", cli->database);
   printf ("  %-*s  %-*s  %-*s  %-*s  %-*s  %*s  %*s  %*s\n", (int) w[0], heads[0], (int) w[1], heads[1], (int) w[2],
           heads[2], (int) w[3], heads[3], (int) w[4], heads[4], (int) w[5], heads[5], (int) w[6], heads[6], (int) w[7],
           heads[7]);
   for (size_t i = 0; i < n; i++) {
      const row_t *r = &rows[i];
      printf ("  %-*s  %-*s  %-*s  %-*s  %-*s  %*s  %*s  %*s\n", (int) w[0], r->id, (int) w[1], r->state, (int) w[2],
              r->kind, (int) w[3], r->coll, (int) w[4], r->progress, (int) w[5], r->rate, (int) w[6], r->age,
              (int) w[7], r->updated);
   }
   printf ("(%zu operation%s)\n", n, n == 1 ? "" : "s");
   fflush (stdout);
   free (rows);
   bson_destroy (&reply);
   return 0;
}

/* One field's value as \operation prints it: text as it is, numbers,
 * dates in UTC, documents and arrays as relaxed Extended JSON. */
static void
print_value (const bson_iter_t *it)
{
   switch (bson_iter_type (it)) {
   case BSON_TYPE_UTF8:
      printf ("%s", bson_iter_utf8 (it, NULL));
      break;
   case BSON_TYPE_INT32:
   case BSON_TYPE_INT64:
      printf ("%" PRId64, bson_iter_as_int64 (it));
      break;
   case BSON_TYPE_BOOL:
      printf ("%s", bson_iter_bool (it) ? "true" : "false");
      break;
   case BSON_TYPE_NULL:
      printf ("null");
      break;
   case BSON_TYPE_DATE_TIME: {
      int64_t ms = bson_iter_date_time (it);
      time_t t = (time_t) (ms / 1000);
      struct tm tm;
      char day[32];
      gmtime_r (&t, &tm);
      strftime (day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
      printf ("%s.%03dZ", day, (int) ((ms % 1000 + 1000) % 1000));
      break;
   }
   default: {
      bson_t one = BSON_INITIALIZER;
      bson_append_iter (&one, "v", 1, it);
      char *json = bson_as_relaxed_extended_json (&one, NULL);
      /* { "v" : VALUE } */
      size_t len = json ? strlen (json) : 0;
      if (len > 10) {
         printf ("%.*s", (int) (len - 10), json + 8);
      }
      bson_free (json);
      bson_destroy (&one);
   }
   }
}

int
cli_operation_show (cli_t *cli, const char *id)
{
   if (!cli_connect (cli)) {
      return 2;
   }
   bql_operations_options_t o = {.size = sizeof o, .database = cli->database};
   bson_t doc;
   bql_error_t error;
   if (!bql_operation_get (cli->client, id, &o, &doc, &error)) {
      print_error ("cannot show the operation", &error);
      bson_destroy (&doc);
      return failed_rc (&error);
   }
   if (cli->format == CLI_FORMAT_JSON) {
      cli_print_json (&doc);
      bson_destroy (&doc);
      return 0;
   }
   const char *state = str_of (&doc, "state"), *shown = str_of (&doc, "shownState");
   printf ("Operation %s in %s.%s: %s", str_of (&doc, "_id"), str_of (&doc, "operationsDatabase"), "bulkql_operations",
           shown);
   if (strcmp (state, shown) != 0) {
      char a[16];
      cli_format_age (a, sizeof a, int_of (&doc, "heartbeatAgeMs"));
      printf (" (state %s, its heartbeat %s old)", state, a);
   }
   printf ("\n");
   bson_iter_t it;
   size_t w = 0;
   bson_iter_init (&it, &doc);
   while (bson_iter_next (&it)) {
      if (strlen (bson_iter_key (&it)) > w) {
         w = strlen (bson_iter_key (&it));
      }
   }
   bson_iter_init (&it, &doc);
   while (bson_iter_next (&it)) {
      const char *k = bson_iter_key (&it);
      if (!strcmp (k, "shownState") || !strcmp (k, "heartbeatAgeMs") || !strcmp (k, "operationsDatabase")) {
         continue;
      }
      printf ("  %-*s  ", (int) w, k);
      print_value (&it);
      printf ("\n");
   }
   fflush (stdout);
   bson_destroy (&doc);
   return 0;
}

int
cli_operation_abort (cli_t *cli, const char *id)
{
   if (!cli_connect (cli)) {
      return 2;
   }
   bql_operations_options_t o = {.size = sizeof o, .database = cli->database, .reason = "aborted by bulkql --abort"};
   bson_t doc;
   bql_error_t error;
   bool ok = bql_operation_abort (cli->client, id, &o, &doc, &error);
   if (!ok) {
      print_error ("cannot abort the operation", &error);
      bson_destroy (&doc);
      return failed_rc (&error);
   }
   if (cli->format == CLI_FORMAT_JSON) {
      bson_t out = BSON_INITIALIZER;
      BSON_APPEND_BOOL (&out, "ok", true);
      BSON_APPEND_UTF8 (&out, "operationId", str_of (&doc, "_id"));
      BSON_APPEND_UTF8 (&out, "database", str_of (&doc, "operationsDatabase"));
      BSON_APPEND_UTF8 (&out, "was", str_of (&doc, "shownState"));
      BSON_APPEND_UTF8 (&out, "state", "Aborted");
      cli_print_json (&out);
      bson_destroy (&out);
   } else if (!cli->quiet) {
      const char *was = str_of (&doc, "shownState");
      printf ("Operation %s marked Aborted (it was %s)%s\n", str_of (&doc, "_id"), was,
              !strcmp (was, "InProgress") || !strcmp (was, "Open")
                 ? ": the bulkql running it stops within one batch."
                 : ": it will not be resumed.");
      fflush (stdout);
   }
   bson_destroy (&doc);
   return 0;
}
