/*
 * test_options.c — cmocka unit tests of the WITH option table
 * (src/planner/options.c, options.h), without a server: every row is
 * complete and its default lies in its range (or, for a "none" default,
 * outside it); bql_options_init gives each field its row's default;
 * out-of-range values render exactly (line:column, the source line and
 * the caret under the value); unknown names get the nearest valid name;
 * the help text lists every option. Links the static planner library for
 * the internal table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "options.h"

/* The rendered error of planning text (file name "opts.sql"), or NULL
 * when it plans. Freed with free. */
static char *
plan_error (const char *text)
{
   bql_parse_options_t po = {.size = sizeof po, .filename = "opts.sql"};
   bql_script_t *script = NULL;
   bql_error_t error;
   char *out = NULL;
   if (!bql_parse (text, strlen (text), &po, &script, &error)) {
      fail_msg ("%s: does not parse: %s", text, error.message);
   }
   bql_plan_t *plan = NULL;
   if (!bql_plan_new (script, 0, NULL, &plan, &error)) {
      char *r = bql_error_render (&error, "opts.sql", text, strlen (text));
      out = strdup (r);
      bql_free (r);
   }
   bql_plan_destroy (plan);
   bql_script_destroy (script);
   return out;
}

static void
expect_error (const char *text, const char *rendered)
{
   char *got = plan_error (text);
   if (!got) {
      fail_msg ("%s: planned, expected\n%s", text, rendered);
   }
   if (strcmp (got, rendered)) {
      fail_msg ("%s:\ngot:\n%s\nexpected:\n%s", text, got, rendered);
   }
   free (got);
}

static bool
in_range (const bql_opt_def_t *d, int64_t v)
{
   return v >= d->min && v <= d->max;
}

/* ---- the table ---- */

static void
test_every_row_is_complete_and_its_default_in_range (void **state)
{
   (void) state;
   size_t n, ng;
   const bql_opt_def_t *t = bql_opt_defs (&n);
   const bql_opt_group_t *groups = bql_opt_groups (&ng);
   assert_true (n > 20 && n <= 64);
   for (size_t i = 0; i < n; i++) {
      const bql_opt_def_t *d = &t[i];
      if (i > 0 && strcmp (t[i - 1].name, d->name) >= 0) {
         fail_msg ("%s: the table is not sorted by name (after %s)", d->name, t[i - 1].name);
      }
      bool group = false;
      for (size_t g = 0; g < ng; g++) {
         group = group || !strcmp (d->group, groups[g].name);
      }
      if (!group) {
         fail_msg ("%s: group %s is not an option group", d->name, d->group);
      }
      if (!d->help || !*d->help || d->help[strlen (d->help) - 1] == '.' || strchr (d->help, '\n') || !d->syntax ||
          !*d->syntax) {
         fail_msg ("%s: needs a syntax and a one-line help without a final period", d->name);
      }
      if (!(d->kinds & BQL_OPT_K_ALL) || (d->kinds & ~BQL_OPT_K_ALL)) {
         fail_msg ("%s: applies to no statement", d->name);
      }
      if (d->doc && d->doc[strlen (d->doc) - 1] != '\n') {
         fail_msg ("%s: the man text must end with a newline", d->name);
      }
      bool none = (d->flags & BQL_OPTF_NONE_DEFAULT) != 0;
      if (none && !d->def_text) {
         fail_msg ("%s: a \"none\" default needs def_text", d->name);
      }
      switch (d->type) {
      case BQL_OPT_INT:
      case BQL_OPT_SIZE:
      case BQL_OPT_SECONDS:
      case BQL_OPT_INTERVAL:
         if (d->field != BQL_FIELD_I32 && d->field != BQL_FIELD_I64) {
            fail_msg ("%s: a number needs an int32_t or int64_t field", d->name);
         }
         if (d->min > d->max || (d->field == BQL_FIELD_I32 && (d->min < INT32_MIN || d->max > INT32_MAX))) {
            fail_msg ("%s: range %lld..%lld does not fit its field", d->name, (long long) d->min, (long long) d->max);
         }
         if (none ? in_range (d, d->def) : !in_range (d, d->def)) {
            fail_msg ("%s: default %lld %s range %lld..%lld", d->name, (long long) d->def,
                      none ? "(none) must lie outside its" : "is outside its", (long long) d->min, (long long) d->max);
         }
         break;
      case BQL_OPT_BOOL:
         if (d->field == BQL_FIELD_WC_J) {
            assert_true (none);
         } else if (d->field == BQL_FIELD_TRI) {
            assert_true (none && d->def == -1);
         } else if (d->field != BQL_FIELD_BOOL || none || (d->def != 0 && d->def != 1)) {
            fail_msg ("%s: a bool needs a bool field and the default true or false", d->name);
         }
         break;
      case BQL_OPT_STRING:
         assert_int_equal (d->field, BQL_FIELD_STR);
         if (d->def_str && !*d->def_str) {
            fail_msg ("%s: an empty default (use NULL)", d->name);
         }
         break;
      case BQL_OPT_ENUM: {
         assert_int_equal (d->field, BQL_FIELD_STR);
         assert_non_null (d->values);
         assert_non_null (d->values[0]);
         bool found = d->def_str == NULL;
         for (size_t k = 0; d->values[k]; k++) {
            found = found || !strcmp (d->values[k], d->def_str);
         }
         if (!found) {
            fail_msg ("%s: default '%s' is not one of its values", d->name, d->def_str);
         }
         if (!d->def_str && !d->def_text) {
            fail_msg ("%s: say what no value means (def_text)", d->name);
         }
         break;
      }
      case BQL_OPT_WRITE_CONCERN:
         assert_int_equal (d->field, BQL_FIELD_WC);
         assert_true (none);
         break;
      }
      assert_ptr_equal (bql_opt_find (d->name), d);
   }
   assert_null (bql_opt_find ("no_such_option"));
}

/* bql_options_init gives each field the row's default, and EXPLAIN shows
 * it (null for a "none" default). */
static void
test_init_sets_every_default (void **state)
{
   (void) state;
   size_t n;
   const bql_opt_def_t *t = bql_opt_defs (&n);
   bql_options_t o;
   bql_options_init (&o);
   for (size_t i = 0; i < n; i++) {
      const bql_opt_def_t *d = &t[i];
      const void *f = (const char *) &o + d->offset;
      switch (d->field) {
      case BQL_FIELD_I32:
         assert_int_equal (*(const int32_t *) f, d->def);
         break;
      case BQL_FIELD_I64:
         assert_int_equal (*(const int64_t *) f, d->def);
         break;
      case BQL_FIELD_BOOL:
         assert_int_equal (*(const bool *) f, d->def);
         break;
      case BQL_FIELD_TRI:
         assert_int_equal (*(const int *) f, d->def);
         break;
      case BQL_FIELD_STR:
         if (d->def_str) {
            assert_string_equal (*(char *const *) f, d->def_str);
         } else {
            assert_null (*(char *const *) f);
         }
         break;
      case BQL_FIELD_WC:
      case BQL_FIELD_WC_J:
         assert_true (bson_empty ((const bson_t *) f));
         break;
      }
   }
   /* the values the executor relies on, spelled out */
   assert_int_equal (o.batch_size, 1000);
   assert_true (o.ordered);
   assert_int_equal (o.max_errors, -1);
   assert_int_equal (o.memory_limit, (int64_t) 256 << 20);
   assert_string_equal (o.error_collection, "bulk_operation_errors");
   assert_int_equal (o.progress, -1);
   assert_true (o.metrics);
   assert_int_equal (bql_options_batch (&o), 1000);
   o.batch_size = 0;
   assert_int_equal (bql_options_batch (&o), 1000);
   o.batch_size = 7;
   assert_int_equal (bql_options_batch (&o), 7);

   bson_t doc = BSON_INITIALIZER;
   o.batch_size = 1000;
   bql_options_append (&o, BQL_KIND_DELETE, &doc);
   char *json = bson_as_relaxed_extended_json (&doc, NULL);
   assert_string_equal (json, "{ \"archive_collection\" : null, \"archive_reason\" : null, \"batch_size\" : 1000, "
                              "\"bypass_validation\" : false, \"checkpoint_interval\" : 1, "
                              "\"continue_on_error\" : false, \"dry_run\" : false, "
                              "\"error_collection\" : \"bulk_operation_errors\", \"failed_records_file\" : null, "
                              "\"journal\" : null, \"max_delete_count\" : null, \"max_errors\" : null, "
                              "\"max_execution_time\" : null, \"memory_limit\" : 268435456, \"ordered\" : true, "
                              "\"parallel_workers\" : 1, \"parse_threads\" : null, \"progress\" : null, \"retention_period\" : null, "
                              "\"retry_attempts\" : 20, \"retry_backoff_ms\" : 100, \"retry_timeout\" : 30.0, "
                              "\"soft_delete\" : false, "
                              "\"write_concern\" : null }");
   bson_free (json);
   bson_destroy (&doc);
   bql_options_cleanup (&o);
}

/* ---- range errors, rendered ---- */

static void
test_range_errors_render_exactly (void **state)
{
   (void) state;
   expect_error ("-- too large\nBULK INSERT INTO c (a) VALUES (1) WITH BATCH_CONFIG (batch_size = 100001);",
                 "opts.sql:2:67: error: option \"batch_size\" must be between 0 and 100000, not 100001\n"
                 "    2 | BULK INSERT INTO c (a) VALUES (1) WITH BATCH_CONFIG (batch_size = 100001);\n"
                 "      |                                                                   ^^^^^^\n");
   expect_error ("BULK UPDATE c SET a = 1 WHERE TRUE\n  WITH (retry_attempts = -1);",
                 "opts.sql:2:26: error: option \"retry_attempts\" must be between 0 and 100, not -1\n"
                 "    2 |   WITH (retry_attempts = -1);\n"
                 "      |                          ^^\n");
   expect_error ("BULK INSERT INTO c (a) VALUES (1) WITH (parallel_workers = 65, ordered = false);",
                 "opts.sql:1:60: error: option \"parallel_workers\" must be between 1 and 64, not 65\n"
                 "    1 | BULK INSERT INTO c (a) VALUES (1) WITH (parallel_workers = 65, ordered = false);\n"
                 "      |                                                            ^^\n");
   expect_error ("BULK INSERT INTO c (a) VALUES (1)\nWITH (memory_limit = '512KB');",
                 "opts.sql:2:22: error: option \"memory_limit\" must be between 1MB and 1TB\n"
                 "    2 | WITH (memory_limit = '512KB');\n"
                 "      |                      ^^^^^^^\n");
   expect_error ("BULK INSERT INTO c (a) VALUES (1)\nWITH (max_execution_time = 0);",
                 "opts.sql:2:28: error: option \"max_execution_time\" must be a positive number of seconds\n"
                 "    2 | WITH (max_execution_time = 0);\n"
                 "      |                            ^\n");
   expect_error ("BULK DELETE FROM c WHERE TRUE\nWITH ARCHIVAL_STRATEGY (archive_collection = 'a', retention_period = '0 days');",
                 "opts.sql:2:70: error: option \"retention_period\" must be at least one second\n"
                 "    2 | WITH ARCHIVAL_STRATEGY (archive_collection = 'a', retention_period = '0 days');\n"
                 "      |                                                                      ^^^^^^^^\n");
   expect_error ("BULK INSERT INTO c (a) VALUES (1)\nWITH (failed_records_file = 'f', failed_records_mode = 'truncate');",
                 "opts.sql:2:56: error: option \"failed_records_mode\" takes 'append' or 'overwrite', not 'truncate'\n"
                 "    2 | WITH (failed_records_file = 'f', failed_records_mode = 'truncate');\n"
                 "      |                                                        ^^^^^^^^^^\n"
                 "hint: Without failed_records_mode an existing file is refused; 'append' adds to it, 'overwrite' "
                 "replaces it.\n");
   /* a rule between options: batch_size 0 is for UPDATE and DELETE */
   expect_error ("BULK INSERT INTO c (a) VALUES (1)\nWITH (batch_size = 0);",
                 "opts.sql:2:20: error: option \"batch_size\" must be between 1 and 100000 for BULK INSERT\n"
                 "    2 | WITH (batch_size = 0);\n"
                 "      |                    ^\n"
                 "hint: batch_size = 0 (one unbatched command) is for BULK UPDATE and BULK DELETE.\n");
}

/* Every integer row, just past each end of its range (taken from the
 * table), is refused at the value with the range in the message; each end
 * itself plans. */
static void
test_every_integer_range_is_checked (void **state)
{
   (void) state;
   size_t n;
   const bql_opt_def_t *t = bql_opt_defs (&n);
   int checked = 0;
   for (size_t i = 0; i < n; i++) {
      const bql_opt_def_t *d = &t[i];
      if (d->type != BQL_OPT_INT) {
         continue;
      }
      const char *head = (d->kinds & BQL_OPT_K_INSERT) ? "BULK INSERT INTO c (a) VALUES (1)\nWITH ("
                                                        : "BULK DELETE FROM c WHERE a = 1\nWITH (";
      /* parallel_workers > 1 needs ordered = false */
      const char *tail = (d->kinds & BQL_OPT_K_INSERT) ? ", ordered = false);" : ");";
      int64_t ends[2] = {d->min, d->max};
      for (int e = 0; e < 2; e++) {
         char text[256], want[512];
         if (e == 1 && d->max == INT64_MAX) {
            continue;
         }
         int64_t bad = e == 0 ? d->min - 1 : d->max + 1;
         if (!(e == 0 && d->min == 0 && !strcmp (d->name, "batch_size"))) {
            snprintf (text, sizeof text, "%s%s = %lld%s", head, d->name, (long long) ends[e], tail);
            char *err = plan_error (text);
            if (err) {
               fail_msg ("%s: the end of the range is refused:\n%s", text, err);
            }
         }
         snprintf (text, sizeof text, "%s%s = %lld%s", head, d->name, (long long) bad, tail);
         size_t col = strlen ("WITH (") + strlen (d->name) + strlen (" = ") + 1;
         int digits = snprintf (NULL, 0, "%lld", (long long) bad);
         char line2[160];
         snprintf (line2, sizeof line2, "WITH (%s = %lld%s", d->name, (long long) bad, tail);
         snprintf (want, sizeof want,
                   "opts.sql:2:%zu: error: option \"%s\" must be between %lld and %lld, not %lld\n"
                   "    2 | %s\n"
                   "      | %*s%.*s\n",
                   col, d->name, (long long) d->min, (long long) d->max, (long long) bad, line2, (int) (col - 1), "",
                   digits, "^^^^^^^^^^^^^^^^^^^^^^^^");
         expect_error (text, want);
         checked++;
      }
   }
   assert_true (checked >= 8);
}

/* ---- names ---- */

static void
test_unknown_names_suggest_the_nearest (void **state)
{
   (void) state;
   expect_error ("BULK INSERT INTO c (a) VALUES (1) WITH (bacth_size = 10);",
                 "opts.sql:1:41: error: unknown option \"bacth_size\"\n"
                 "    1 | BULK INSERT INTO c (a) VALUES (1) WITH (bacth_size = 10);\n"
                 "      |                                         ^^^^^^^^^^\n"
                 "hint: Did you mean \"batch_size\"?\n");
   expect_error ("BULK DELETE FROM c WHERE TRUE WITH (Max_Delete_Cuont = 1);",
                 "opts.sql:1:37: error: unknown option \"Max_Delete_Cuont\"\n"
                 "    1 | BULK DELETE FROM c WHERE TRUE WITH (Max_Delete_Cuont = 1);\n"
                 "      |                                     ^^^^^^^^^^^^^^^^\n"
                 "hint: Did you mean \"max_delete_count\"?\n");
   expect_error ("BULK INSERT INTO c (a) VALUES (1) WITH (frobnicate = 1);",
                 "opts.sql:1:41: error: unknown option \"frobnicate\"\n"
                 "    1 | BULK INSERT INTO c (a) VALUES (1) WITH (frobnicate = 1);\n"
                 "      |                                         ^^^^^^^^^^\n"
                 "hint: \\help options lists the options.\n");
   expect_error ("BULK INSERT INTO c (a) VALUES (1) WITH BATCH_CONFG (batch_size = 1);",
                 "opts.sql:1:40: error: not supported: option group BATCH_CONFG\n"
                 "    1 | BULK INSERT INTO c (a) VALUES (1) WITH BATCH_CONFG (batch_size = 1);\n"
                 "      |                                        ^^^^^^^^^^^\n"
                 "hint: Did you mean \"BATCH_CONFIG\"?\n");
   expect_error ("BULK INSERT INTO c (a) VALUES (1) WITH SETTINGS (batch_size = 1);",
                 "opts.sql:1:40: error: not supported: option group SETTINGS\n"
                 "    1 | BULK INSERT INTO c (a) VALUES (1) WITH SETTINGS (batch_size = 1);\n"
                 "      |                                        ^^^^^^^^\n"
                 "hint: Option groups are BULK_OPTIONS, BATCH_CONFIG, DELETE_OPTIONS, ARCHIVAL_STRATEGY and OPTIONS.\n");
   /* every row's name is known, and a one-letter slip of it is suggested */
   size_t n;
   const bql_opt_def_t *t = bql_opt_defs (&n);
   for (size_t i = 0; i < n; i++) {
      char text[256], hint[128];
      snprintf (text, sizeof text, "BULK INSERT INTO c (a) VALUES (1) WITH (%sx = 1);", t[i].name);
      char *err = plan_error (text);
      assert_non_null (err);
      snprintf (hint, sizeof hint, "hint: Did you mean \"%s\"?\n", t[i].name);
      if (!strstr (err, hint)) {
         fail_msg ("%s: no suggestion of %s:\n%s", text, t[i].name, err);
      }
      free (err);
   }
   const char *names[64];
   assert_int_equal (bql_option_names (names, 64), n);
   for (size_t i = 0; i < n; i++) {
      assert_string_equal (names[i], t[i].name);
   }
   assert_int_equal (bql_option_group_names (names, 2), 2);
   assert_int_equal (bql_option_group_names (names, 16), 5);
   assert_string_equal (names[0], "BULK_OPTIONS");
   assert_string_equal (names[1], "BATCH_CONFIG");
}

/* ---- help ---- */

static void
test_help_lists_every_option_with_its_default (void **state)
{
   (void) state;
   size_t len = bql_options_help (NULL, 0);
   char *text = malloc (len + 1);
   assert_int_equal (bql_options_help (text, len + 1), len);
   assert_int_equal (strlen (text), len);
   assert_non_null (strstr (text, "\n  batch_size = n              documents per round trip (1000)\n"));
   assert_non_null (strstr (text, "\n  memory_limit = 'size'       bound on buffered documents ('256MB')\n"));
   assert_non_null (strstr (text, "\n  max_errors = n              stop once n rows have failed\n"));
   assert_non_null (strstr (text, "\n  failed_records_mode = 'append' | 'overwrite'\n"
                                  "                              what to do with an existing failed_records_file\n"));
   size_t n;
   const bql_opt_def_t *t = bql_opt_defs (&n);
   for (size_t i = 0; i < n; i++) {
      char line[128];
      snprintf (line, sizeof line, "\n  %s = %s", t[i].name, t[i].syntax);
      if (!strstr (text, line)) {
         fail_msg ("help has no line for %s", t[i].name);
      }
   }
   /* truncated, NUL-terminated, same length */
   char small[16];
   assert_int_equal (bql_options_help (small, sizeof small), len);
   assert_int_equal (strlen (small), sizeof small - 1);
   assert_memory_equal (small, text, sizeof small - 1);
   free (text);
}

int
main (void)
{
   const struct CMUnitTest tests[] = {
      cmocka_unit_test (test_every_row_is_complete_and_its_default_in_range),
      cmocka_unit_test (test_init_sets_every_default),
      cmocka_unit_test (test_range_errors_render_exactly),
      cmocka_unit_test (test_every_integer_range_is_checked),
      cmocka_unit_test (test_unknown_names_suggest_the_nearest),
      cmocka_unit_test (test_help_lists_every_option_with_its_default),
   };
   return cmocka_run_group_tests (tests, NULL, NULL);
}
