/*
 * test_threads.c — reentrancy test of the parser and the planner. Every
 * .sql file at any depth under GOLDEN_DIR (tests/golden) is a case: those
 * under parse/ give their AST JSON, all others their EXPLAIN plans or
 * rendered error, exactly as the golden test computes them with
 * golden_output(). Each case is first run single-threaded, then from 16
 * threads at once, each thread walking the whole list in an order of its
 * own, for several rounds. Every output (and whether it was an error)
 * must be byte-identical to the single-threaded one. The same binary runs
 * under helgrind (see tests/threads.cmake) with fewer rounds to look for
 * data races.
 *
 * Usage: test_threads GOLDEN_DIR [ROUNDS]
 * ROUNDS (default 20, or BQL_THREAD_ROUNDS from the environment) is the
 * number of passes over the list each thread makes.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "golden.h"

#define N_THREADS 16
#define DEFAULT_ROUNDS 20
/* Mismatches reported in detail per thread; the rest are only counted. */
#define MAX_REPORTS 4

typedef struct {
   char *path;
   golden_kind_t kind;
   char *expected; /* single-threaded golden_output() */
   bool failed;    /* ... and whether it was an error */
} thread_case_t;

typedef struct {
   int id;
   pthread_barrier_t *start;
   size_t runs;
   size_t mismatches;
   char *reports[MAX_REPORTS];
} worker_t;

static const char *golden_dir;
static int rounds = DEFAULT_ROUNDS;
static thread_case_t *cases;
static size_t n_cases;

/* ---- collecting the cases ---- */

static int
by_path (const void *a, const void *b)
{
   return strcmp (((const thread_case_t *) a)->path, ((const thread_case_t *) b)->path);
}

static bool
ends_with (const char *s, const char *suffix)
{
   size_t n = strlen (s), m = strlen (suffix);
   return n >= m && strcmp (s + n - m, suffix) == 0;
}

/* Add every *.sql below dir; top is the first directory level under
 * GOLDEN_DIR ("parse", "plan", ...), which decides the kind. */
static void
collect (const char *dir, const char *top)
{
   DIR *d = opendir (dir);
   if (!d) {
      fail_msg ("cannot open %s: %s", dir, strerror (errno));
   }
   struct dirent *e;
   while ((e = readdir (d))) {
      if (e->d_name[0] == '.') {
         continue;
      }
      size_t len = strlen (dir) + strlen (e->d_name) + 2;
      char *path = malloc (len);
      assert_non_null (path);
      snprintf (path, len, "%s/%s", dir, e->d_name);
      struct stat st;
      if (stat (path, &st) != 0) {
         fail_msg ("cannot stat %s: %s", path, strerror (errno));
      }
      if (S_ISDIR (st.st_mode)) {
         collect (path, top ? top : e->d_name);
         free (path);
         continue;
      }
      if (!S_ISREG (st.st_mode) || !ends_with (e->d_name, ".sql")) {
         free (path);
         continue;
      }
      cases = realloc (cases, sizeof *cases * (n_cases + 1));
      assert_non_null (cases);
      thread_case_t *c = &cases[n_cases++];
      memset (c, 0, sizeof *c);
      c->path = path;
      c->kind = top && strcmp (top, "parse") == 0 ? GOLDEN_PARSE : GOLDEN_PLAN;
   }
   closedir (d);
}

/* ---- the threads ---- */

/* xorshift64*: a private generator per thread (rand() is not reentrant). */
static uint64_t
next_random (uint64_t *s)
{
   *s ^= *s >> 12;
   *s ^= *s << 25;
   *s ^= *s >> 27;
   return *s * 2685821657736338717ULL;
}

static void
report (worker_t *w, const thread_case_t *c, int round, const char *got, bool failed)
{
   w->mismatches++;
   for (size_t i = 0; i < MAX_REPORTS; i++) {
      if (!w->reports[i]) {
         size_t len = strlen (c->path) + strlen (c->expected) + strlen (got) + 200;
         char *msg = malloc (len);
         if (msg) {
            snprintf (msg, len, "thread %d, round %d, %s: %s\n--- single-threaded (%s)\n%s--- this thread (%s)\n%s",
                      w->id, round, c->path, failed != c->failed ? "error status differs" : "output differs",
                      c->failed ? "error" : "ok", c->expected, failed ? "error" : "ok", got);
         }
         w->reports[i] = msg;
         return;
      }
   }
}

static void *
worker (void *arg)
{
   worker_t *w = arg;
   size_t *order = malloc (sizeof *order * n_cases);
   if (!order) {
      w->mismatches++;
      return NULL;
   }
   for (size_t i = 0; i < n_cases; i++) {
      order[i] = i;
   }
   uint64_t seed = 0x9E3779B97F4A7C15ULL * (uint64_t) (w->id + 1);
   pthread_barrier_wait (w->start);
   for (int r = 0; r < rounds; r++) {
      /* A fresh order each round: Fisher-Yates over the thread's generator;
       * thread 0 walks the list forwards and thread 1 backwards. */
      if (w->id == 0 || w->id == 1) {
         for (size_t i = 0; i < n_cases; i++) {
            order[i] = w->id == 0 ? i : n_cases - 1 - i;
         }
      } else {
         for (size_t i = n_cases; i > 1; i--) {
            size_t j = (size_t) (next_random (&seed) % i);
            size_t t = order[i - 1];
            order[i - 1] = order[j];
            order[j] = t;
         }
      }
      for (size_t k = 0; k < n_cases; k++) {
         const thread_case_t *c = &cases[order[k]];
         bool failed;
         char *got = golden_output (c->kind, c->path, &failed);
         w->runs++;
         if (!got || failed != c->failed || strcmp (got, c->expected) != 0) {
            report (w, c, r, got ? got : "(null)\n", failed);
         }
         free (got);
      }
   }
   free (order);
   return NULL;
}

/* ---- the tests ---- */

static void
test_collect (void **state)
{
   (void) state;
   collect (golden_dir, NULL);
   qsort (cases, n_cases, sizeof *cases, by_path);
   size_t parse = 0;
   for (size_t i = 0; i < n_cases; i++) {
      parse += cases[i].kind == GOLDEN_PARSE;
   }
   print_message ("%zu golden cases (%zu parse, %zu plan), %d threads, %d rounds\n", n_cases, parse,
                  n_cases - parse, N_THREADS, rounds);
   assert_true (parse > 0);
   assert_true (n_cases - parse > 0);
}

static void
test_single_threaded (void **state)
{
   (void) state;
   assert_true (n_cases > 0);
   for (size_t i = 0; i < n_cases; i++) {
      cases[i].expected = golden_output (cases[i].kind, cases[i].path, &cases[i].failed);
      assert_non_null (cases[i].expected);
      /* the same call twice in a row gives the same thing */
      bool failed;
      char *again = golden_output (cases[i].kind, cases[i].path, &failed);
      assert_non_null (again);
      assert_int_equal (failed, cases[i].failed);
      assert_string_equal (again, cases[i].expected);
      free (again);
   }
}

static void
test_threads_match (void **state)
{
   (void) state;
   assert_true (n_cases > 0);
   assert_non_null (cases[0].expected);
   pthread_barrier_t start;
   assert_int_equal (pthread_barrier_init (&start, NULL, N_THREADS), 0);
   worker_t workers[N_THREADS];
   pthread_t threads[N_THREADS];
   memset (workers, 0, sizeof workers);
   for (int t = 0; t < N_THREADS; t++) {
      workers[t].id = t;
      workers[t].start = &start;
      assert_int_equal (pthread_create (&threads[t], NULL, worker, &workers[t]), 0);
   }
   size_t runs = 0, mismatches = 0;
   for (int t = 0; t < N_THREADS; t++) {
      assert_int_equal (pthread_join (threads[t], NULL), 0);
      runs += workers[t].runs;
      mismatches += workers[t].mismatches;
      for (size_t i = 0; i < MAX_REPORTS; i++) {
         if (workers[t].reports[i]) {
            print_error ("%s\n", workers[t].reports[i]);
            free (workers[t].reports[i]);
         }
      }
   }
   pthread_barrier_destroy (&start);
   print_message ("%zu runs from %d threads, %zu mismatches\n", runs, N_THREADS, mismatches);
   assert_int_equal (runs, (size_t) N_THREADS * (size_t) rounds * n_cases);
   assert_int_equal (mismatches, 0);
}

static int
parse_rounds (const char *s)
{
   char *end;
   long v = strtol (s, &end, 10);
   if (*s == '\0' || *end != '\0' || v < 1 || v > 100000) {
      fprintf (stderr, "test_threads: bad round count \"%s\"\n", s);
      exit (2);
   }
   return (int) v;
}

int
main (int argc, char **argv)
{
   if (argc < 2 || argc > 3) {
      fprintf (stderr, "usage: test_threads GOLDEN_DIR [ROUNDS]\n");
      return 2;
   }
   golden_dir = argv[1];
   const char *env = getenv ("BQL_THREAD_ROUNDS");
   if (argc > 2) {
      rounds = parse_rounds (argv[2]);
   } else if (env && *env) {
      rounds = parse_rounds (env);
   }
   const struct CMUnitTest tests[] = {
      cmocka_unit_test (test_collect),
      cmocka_unit_test (test_single_threaded),
      cmocka_unit_test (test_threads_match),
   };
   int rc = cmocka_run_group_tests_name ("threads", tests, NULL, NULL);
   for (size_t i = 0; i < n_cases; i++) {
      free (cases[i].path);
      free (cases[i].expected);
   }
   free (cases);
   return rc;
}
