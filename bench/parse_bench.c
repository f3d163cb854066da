/*
 * parse_bench.c — the parser benchmark. For each row count (10k, 100k and
 * 1M by default) it generates in memory one statement
 *
 *     BULK INSERT INTO bench.events (a, b, c, d, e) VALUES
 *       (1, 'user_0000001', 0.37, TIMESTAMP '2024-01-01T00:00:07Z', NULL),
 *       (2, 'user_0000002', 0.74, TIMESTAMP '2024-01-01T00:00:14Z', 'note 2'),
 *       ...;
 *
 * with an integer, a string, a double, a TIMESTAMP literal and a NULL or a
 * string per row, and times with the monotonic clock (median of RUNS runs,
 * default 5):
 *   parse       bql_parse() alone (bql_script_destroy is not counted);
 *   plan        bql_plan_new() on the parsed script, which evaluates every
 *               row into a BSON document (bql_plan_destroy not counted);
 *   parse+plan  the sum of the two, measured in the same run.
 * It prints, per size, the medians in ms, ms per 100k rows and the parse
 * throughput in MB/s (10^6 bytes), then the linearity ratio: time per row
 * at the largest size over time per row at the smallest (1.0 = linear).
 * The target is a parse under 100 ms per 100k rows with linear growth
 * (ratio at most 1.15); the last line says whether it was met, and the
 * exit status is 1 when it was not and --check was given.
 *
 * Usage: parse_bench [--runs N] [--rows N[,N...]] [--markdown] [--check]
 *                    [--parse-only]
 * --markdown prints the table as Markdown for bench/RESULTS.md (written by
 * bench/run_parse_bench); --parse-only skips planning (plan columns show
 * 0), for profiling the parser alone under perf or callgrind.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bulkql/parser.h"
#include "bulkql/plan.h"

#define MAX_SIZES 16
#define MAX_RUNS 101
#define TARGET_MS_PER_100K 100.0
#define LINEAR_MAX_RATIO 1.15
#define FIXED_NOW_MS 1705314600000LL

typedef struct {
   long rows;
   size_t bytes;
   double parse_ms, plan_ms, total_ms; /* medians */
} result_t;

static double
now_ms (void)
{
   struct timespec ts;
   clock_gettime (CLOCK_MONOTONIC, &ts);
   return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

static int
cmp_double (const void *a, const void *b)
{
   double x = *(const double *) a, y = *(const double *) b;
   return (x > y) - (x < y);
}

static double
median (double *v, int n)
{
   qsort (v, (size_t) n, sizeof *v, cmp_double);
   return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void *
xmalloc (size_t n)
{
   void *p = malloc (n);
   if (!p) {
      fprintf (stderr, "parse_bench: out of memory (%zu bytes)\n", n);
      exit (2);
   }
   return p;
}

/* The statement with rows rows (malloc'd), its length in *len. */
static char *
generate (long rows, size_t *len)
{
   static const char head[] = "BULK INSERT INTO bench.events (a, b, c, d, e) VALUES\n";
   size_t cap = sizeof head + (size_t) rows * 112 + 16;
   char *s = xmalloc (cap);
   size_t n = sizeof head - 1;
   memcpy (s, head, n);
   for (long i = 1; i <= rows; i++) {
      long t = i * 7; /* seconds after 2024-01-01T00:00:00Z */
      long day = 1 + (t / 86400) % 28, hh = (t / 3600) % 24, mm = (t / 60) % 60, ss = t % 60;
      long month = 1 + (t / (86400L * 28)) % 12;
      char e[32];
      if (i % 4 == 0) {
         snprintf (e, sizeof e, "NULL");
      } else {
         snprintf (e, sizeof e, "'note %ld'", i);
      }
      int w = snprintf (s + n, cap - n,
                        "  (%ld, 'user_%07ld', %ld.%02ld, TIMESTAMP '2024-%02ld-%02ldT%02ld:%02ld:%02ldZ', %s)%s\n", i,
                        i % 1000000, (i * 37) / 100, (i * 37) % 100, month, day, hh, mm, ss, e,
                        i == rows ? ";" : ",");
      if (w < 0 || (size_t) w >= cap - n) {
         fprintf (stderr, "parse_bench: row buffer too small\n");
         exit (2);
      }
      n += (size_t) w;
   }
   *len = n;
   return s;
}

static void
die (const char *what, const bql_error_t *error, const char *text, size_t len)
{
   char *msg = bql_error_render (error, "bench.sql", text, len > 4096 ? 4096 : len);
   fprintf (stderr, "parse_bench: %s failed:\n%s", what, msg ? msg : error->message);
   bql_free (msg);
   exit (2);
}

static bool parse_only;

static result_t
measure (long rows, int runs)
{
   result_t r = {.rows = rows};
   char *text = generate (rows, &r.bytes);
   double parse[MAX_RUNS], plan[MAX_RUNS], total[MAX_RUNS];
   bql_plan_options_t opts = {.size = sizeof (bql_plan_options_t), .database = "test", .now_ms = FIXED_NOW_MS};
   for (int k = 0; k < runs; k++) {
      bql_script_t *script;
      bql_plan_t *p;
      bql_error_t error;
      double t0 = now_ms ();
      if (!bql_parse (text, r.bytes, NULL, &script, &error)) {
         die ("bql_parse", &error, text, r.bytes);
      }
      double t1 = now_ms ();
      if (parse_only) {
         bql_script_destroy (script);
         parse[k] = total[k] = t1 - t0;
         plan[k] = 0;
         continue;
      }
      if (!bql_plan_new (script, 0, &opts, &p, &error)) {
         die ("bql_plan_new", &error, text, r.bytes);
      }
      double t2 = now_ms ();
      if (bql_plan_row_count (p) != rows) {
         fprintf (stderr, "parse_bench: plan has %lld rows, not %ld\n", (long long) bql_plan_row_count (p), rows);
         exit (2);
      }
      bql_plan_destroy (p);
      bql_script_destroy (script);
      parse[k] = t1 - t0;
      plan[k] = t2 - t1;
      total[k] = t2 - t0;
   }
   free (text);
   r.parse_ms = median (parse, runs);
   r.plan_ms = median (plan, runs);
   r.total_ms = median (total, runs);
   return r;
}

static void
usage (void)
{
   fprintf (stderr, "usage: parse_bench [--runs N] [--rows N[,N...]] [--markdown] [--check] [--parse-only]\n");
   exit (2);
}

/* "10k", "1M" or the number, in buf[32]. */
static const char *
rows_label (long rows, char *buf)
{
   if (rows % 1000000 == 0) {
      snprintf (buf, 32, "%ldM", rows / 1000000);
   } else if (rows % 1000 == 0) {
      snprintf (buf, 32, "%ldk", rows / 1000);
   } else {
      snprintf (buf, 32, "%ld", rows);
   }
   return buf;
}

int
main (int argc, char **argv)
{
   long sizes[MAX_SIZES] = {10000, 100000, 1000000};
   int n_sizes = 3, runs = 5;
   bool markdown = false, check = false;
   for (int i = 1; i < argc; i++) {
      if (strcmp (argv[i], "--runs") == 0 && i + 1 < argc) {
         runs = atoi (argv[++i]);
         if (runs < 1 || runs > MAX_RUNS) {
            usage ();
         }
      } else if (strcmp (argv[i], "--rows") == 0 && i + 1 < argc) {
         n_sizes = 0;
         for (char *p = argv[++i], *end; *p; p = end + (*end == ',')) {
            long v = strtol (p, &end, 10);
            if (end == p || v < 1 || n_sizes == MAX_SIZES || (*end != ',' && *end != '\0')) {
               usage ();
            }
            sizes[n_sizes++] = v;
         }
         if (n_sizes == 0) {
            usage ();
         }
      } else if (strcmp (argv[i], "--markdown") == 0) {
         markdown = true;
      } else if (strcmp (argv[i], "--parse-only") == 0) {
         parse_only = true;
      } else if (strcmp (argv[i], "--check") == 0) {
         check = true;
      } else {
         usage ();
      }
   }

   result_t res[MAX_SIZES];
   for (int i = 0; i < n_sizes; i++) {
      res[i] = measure (sizes[i], runs);
   }

   if (markdown) {
      printf ("| rows | input MB | parse ms | parse ms/100k rows | parse MB/s | plan ms | parse+plan ms | parse+plan ms/100k rows |\n");
      printf ("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
   } else {
      printf ("%8s %9s %10s %12s %9s %10s %12s %14s\n", "rows", "input MB", "parse ms", "ms/100k", "MB/s",
              "plan ms", "parse+plan", "p+p ms/100k");
   }
   for (int i = 0; i < n_sizes; i++) {
      const result_t *r = &res[i];
      double mb = (double) r->bytes / 1e6;
      double per = 1e5 / (double) r->rows;
      const char *fmt = markdown ? "| %s | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f |\n"
                                 : "%8s %9.1f %10.1f %12.1f %9.1f %10.1f %12.1f %14.1f\n";
      char label[32];
      printf (fmt, rows_label (r->rows, label), mb, r->parse_ms, r->parse_ms * per, mb / (r->parse_ms / 1e3), r->plan_ms,
              r->total_ms, r->total_ms * per);
   }

   const result_t *lo = &res[0], *hi = &res[n_sizes - 1];
   double parse_ratio = (hi->parse_ms / (double) hi->rows) / (lo->parse_ms / (double) lo->rows);
   double total_ratio = (hi->total_ms / (double) hi->rows) / (lo->total_ms / (double) lo->rows);
   double worst = 0;
   for (int i = 0; i < n_sizes; i++) {
      double v = res[i].parse_ms * 1e5 / (double) res[i].rows;
      worst = v > worst ? v : worst;
   }
   bool met = worst < TARGET_MS_PER_100K && (n_sizes < 2 || parse_ratio <= LINEAR_MAX_RATIO);
   const char *bullet = markdown ? "- " : "";
   char hi_label[32], lo_label[32];
   printf ("%s%slinearity (time per row, %s rows / %s rows): parse %.2f, parse+plan %.2f\n", markdown ? "\n" : "",
           bullet, rows_label (hi->rows, hi_label), rows_label (lo->rows, lo_label), parse_ratio, total_ratio);
   printf ("%starget (parse < %.0f ms per 100k rows at every size, linearity <= %.2f): %s (worst %.1f ms per 100k "
           "rows)\n",
           bullet, TARGET_MS_PER_100K, LINEAR_MAX_RATIO, met ? "met" : "MISSED", worst);
   return check && !met ? 1 : 0;
}
