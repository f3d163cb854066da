/*
 * run_golden.c — the golden test: every case under tests/golden (see
 * golden.c for the kinds) is run and compared with its expected file, one
 * cmocka test per case. BQL_UPDATE_GOLDEN=1 rewrites the expected files
 * instead (review the diff before committing it). A case whose expected
 * file is missing fails. Usage: run_golden GOLDEN_DIR [SUBDIR...]
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "golden.h"

typedef struct {
   char sql[4096];
   char expected[4096];
   golden_kind_t kind;
   int must; /* 1 must succeed, -1 must fail, 0 either */
} golden_case_t;

static bool update;

static void
run_case (void **state)
{
   golden_case_t *c = *state;
   bool failed;
   char *got = golden_output (c->kind, c->sql, &failed);
   if (c->must > 0 && failed) {
      fail_msg ("%s should succeed but gave:\n%s", c->sql, got);
   }
   if (c->must < 0 && !failed) {
      fail_msg ("%s should fail but gave:\n%s", c->sql, got);
   }
   char expected_path[4200];
   snprintf (expected_path, sizeof expected_path, "%s", c->expected);
   if (c->must == 0 && failed) {
      /* reference cases: .err instead of .plan.json */
      size_t n = strlen (expected_path);
      snprintf (expected_path + n - strlen (".plan.json"), sizeof expected_path - n, ".err");
   }
   if (update) {
      FILE *f = fopen (expected_path, "wb");
      assert_non_null (f);
      fputs (got, f);
      fclose (f);
      if (c->must == 0) {
         /* drop the other kind of expected file */
         char other[4300];
         if (failed) {
            snprintf (other, sizeof other, "%s", c->expected);
         } else {
            snprintf (other, sizeof other, "%.*s.err", (int) (strlen (c->expected) - strlen (".plan.json")), c->expected);
         }
         remove (other);
      }
      free (got);
      return;
   }
   char *want = golden_read (expected_path, NULL);
   if (!want) {
      fail_msg ("missing %s (BQL_UPDATE_GOLDEN=1 writes it); output was:\n%s", expected_path, got);
   }
   if (strcmp (want, got) != 0) {
      fail_msg ("%s differs from %s\n--- expected\n%s--- got\n%s", c->sql, expected_path, want, got);
   }
   free (want);
   free (got);
}

static int
by_name (const void *a, const void *b)
{
   return strcmp (((const golden_case_t *) a)->sql, ((const golden_case_t *) b)->sql);
}

int
main (int argc, char **argv)
{
   if (argc < 2) {
      fprintf (stderr, "usage: run_golden GOLDEN_DIR [SUBDIR...]\n");
      return 2;
   }
   const char *env = getenv ("BQL_UPDATE_GOLDEN");
   update = env && *env && strcmp (env, "0") != 0;
   static const char *const all[] = {"parse", "plan", "errors", "reference"};
   const char *const *subdirs = argc > 2 ? (const char *const *) argv + 2 : all;
   int nsub = argc > 2 ? argc - 2 : 4;

   golden_case_t *cases = NULL;
   size_t n = 0;
   for (int s = 0; s < nsub; s++) {
      char dir[2048];
      snprintf (dir, sizeof dir, "%s/%s", argv[1], subdirs[s]);
      DIR *d = opendir (dir);
      if (!d) {
         fprintf (stderr, "run_golden: cannot open %s\n", dir);
         return 2;
      }
      struct dirent *e;
      while ((e = readdir (d))) {
         size_t l = strlen (e->d_name);
         if (l < 5 || strcmp (e->d_name + l - 4, ".sql") != 0) {
            continue;
         }
         cases = realloc (cases, sizeof *cases * (n + 1));
         golden_case_t *c = &cases[n++];
         snprintf (c->sql, sizeof c->sql, "%s/%s", dir, e->d_name);
         const char *sub = subdirs[s];
         c->kind = strcmp (sub, "parse") == 0 ? GOLDEN_PARSE : GOLDEN_PLAN;
         c->must = strcmp (sub, "errors") == 0 ? -1 : strcmp (sub, "reference") == 0 ? 0 : 1;
         const char *ext = strcmp (sub, "parse") == 0 ? ".json" : strcmp (sub, "errors") == 0 ? ".err" : ".plan.json";
         snprintf (c->expected, sizeof c->expected, "%s/%.*s%s", dir, (int) (l - 4), e->d_name, ext);
      }
      closedir (d);
   }
   qsort (cases, n, sizeof *cases, by_name);
   struct CMUnitTest *tests = calloc (n ? n : 1, sizeof *tests);
   for (size_t i = 0; i < n; i++) {
      tests[i].name = strstr (cases[i].sql, argv[1]) == cases[i].sql ? cases[i].sql + strlen (argv[1]) + 1 : cases[i].sql;
      tests[i].test_func = run_case;
      tests[i].initial_state = &cases[i];
   }
   int rc = _cmocka_run_group_tests ("golden", tests, n, NULL, NULL);
   free (tests);
   free (cases);
   return rc;
}
