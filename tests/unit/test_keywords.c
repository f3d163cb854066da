/*
 * test_keywords.c — cmocka unit tests of the keyword table (keywords.c)
 * against its lookup and the grammar. Everything is derived from the
 * table itself, so that a misplaced, misspelt or miscategorised entry
 * fails: the names must be strictly sorted (the lookup searches them),
 * their tokens must be the grammar's keyword tokens, each once and in
 * the same order (parser.y declares them in the table's order, AND to
 * WITH), each must be found whatever its case, and each keyword flagged
 * unreserved must be accepted by the parser where a field or collection
 * name goes, and each reserved one refused there (and accepted quoted).
 * Links the static parser library for the internal table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bql_grammar.h"
#include "bulkql/parser.h"
#include "parse_internal.h"

/* The name in lower case, into buf[64]. */
static const char *
lower (const char *name, char *buf)
{
   size_t i = 0;
   for (; name[i] && i < 63; i++) {
      buf[i] = name[i] >= 'A' && name[i] <= 'Z' ? (char) (name[i] + ('a' - 'A')) : name[i];
   }
   buf[i] = '\0';
   return buf;
}

/* Parse text, which must succeed; return its AST JSON (malloc'd). */
static char *
parse_ok (const char *text)
{
   bql_script_t *script;
   bql_error_t err;
   if (!bql_parse (text, strlen (text), NULL, &script, &err)) {
      fail_msg ("%s\nfailed: %s (%s)", text, err.message, err.detail);
   }
   char *json = bql_script_to_json (script, NULL);
   bql_script_destroy (script);
   return json;
}

static void
assert_contains (const char *text, const char *json, const char *needle)
{
   if (!strstr (json, needle)) {
      fail_msg ("%s\nparsed to\n%s\nwithout\n%s", text, json, needle);
   }
}

/* Parse text, which must fail with a syntax error at offset. */
static void
parse_fails_at (const char *text, int64_t offset)
{
   bql_script_t *script = NULL;
   bql_error_t err;
   if (bql_parse (text, strlen (text), NULL, &script, &err)) {
      bql_script_destroy (script);
      fail_msg ("%s\nparsed, but its keyword is reserved", text);
   }
   assert_int_equal (err.domain, BQL_ERROR_SYNTAX);
   assert_int_equal (err.code, BQL_ERR_SYNTAX);
   if (err.offset != offset) {
      fail_msg ("%s\nfailed at offset %lld, not %lld: %s", text, (long long) err.offset, (long long) offset,
                err.message);
   }
}

static void
test_table_is_strictly_sorted (void **state)
{
   (void) state;
   assert_true (bql_keyword_count > 1);
   for (size_t i = 1; i < bql_keyword_count; i++) {
      if (strcmp (bql_keywords[i - 1].name, bql_keywords[i].name) >= 0) {
         fail_msg ("keyword %zu \"%s\" is not before keyword %zu \"%s\"", i - 1, bql_keywords[i - 1].name, i,
                   bql_keywords[i].name);
      }
   }
}

static void
test_tokens_are_the_keyword_tokens_in_order (void **state)
{
   (void) state;
   assert_int_equal (bql_keywords[0].token, AND);
   assert_int_equal (bql_keywords[bql_keyword_count - 1].token, WITH);
   assert_int_equal (bql_keyword_count, WITH - AND + 1);
   for (size_t i = 1; i < bql_keyword_count; i++) {
      if (bql_keywords[i].token != bql_keywords[i - 1].token + 1) {
         fail_msg ("keyword \"%s\" has token %d, not the one after \"%s\"'s", bql_keywords[i].name,
                   bql_keywords[i].token, bql_keywords[i - 1].name);
      }
   }
}

static void
test_names_are_upper_case_words_of_their_length (void **state)
{
   (void) state;
   for (size_t i = 0; i < bql_keyword_count; i++) {
      const bql_keyword_t *kw = &bql_keywords[i];
      size_t n = strlen (kw->name);
      assert_int_equal (kw->len, n);
      if (n < BQL_KEYWORD_MIN_LEN || n > BQL_KEYWORD_MAX_LEN) {
         fail_msg ("\"%s\" is outside BQL_KEYWORD_MIN_LEN..BQL_KEYWORD_MAX_LEN", kw->name);
      }
      for (size_t j = 0; j < n; j++) {
         char c = kw->name[j];
         if (!((c >= 'A' && c <= 'Z') || (c == '_' && j > 0))) {
            fail_msg ("\"%s\" is not an upper-case word", kw->name);
         }
      }
      assert_true (kw->category == BQL_KW_RESERVED || kw->category == BQL_KW_UNRESERVED);
   }
}

static void
test_lookup_finds_every_keyword_in_any_case (void **state)
{
   (void) state;
   for (size_t i = 0; i < bql_keyword_count; i++) {
      const bql_keyword_t *kw = &bql_keywords[i];
      char lo[64], mixed[64], longer[64];
      lower (kw->name, lo);
      snprintf (mixed, sizeof mixed, "%s", kw->name);
      for (size_t j = 0; mixed[j]; j += 2) {
         mixed[j] = lo[j];
      }
      assert_ptr_equal (bql_keyword_lookup (kw->name, kw->len), kw);
      assert_ptr_equal (bql_keyword_lookup (lo, kw->len), kw);
      assert_ptr_equal (bql_keyword_lookup (mixed, kw->len), kw);
      /* not a prefix, an extension or a near miss of it */
      snprintf (longer, sizeof longer, "%sX", kw->name);
      const bql_keyword_t *other = bql_keyword_lookup (longer, kw->len + 1);
      assert_true (other == NULL || strcmp (other->name, longer) == 0);
      other = bql_keyword_lookup (kw->name, kw->len - 1);
      assert_true (other == NULL || (other->len == kw->len - 1 && strncmp (other->name, kw->name, other->len) == 0));
      longer[kw->len - 1] = longer[kw->len - 1] == 'Z' ? 'Y' : 'Z';
      other = bql_keyword_lookup (longer, kw->len);
      assert_true (other == NULL || (other->len == kw->len && strncmp (other->name, longer, kw->len) == 0));
   }
   assert_null (bql_keyword_lookup ("users", 5));
   assert_null (bql_keyword_lookup ("", 0));
}

static void
test_unreserved_keywords_are_names (void **state)
{
   (void) state;
   size_t n = 0;
   for (size_t i = 0; i < bql_keyword_count; i++) {
      const bql_keyword_t *kw = &bql_keywords[i];
      if (kw->category != BQL_KW_UNRESERVED) {
         continue;
      }
      n++;
      char w[64], text[512], want[256];
      lower (kw->name, w);

      /* a column, and a collection and database */
      snprintf (text, sizeof text, "BULK INSERT INTO %s.%s (%s, x.%s) VALUES (1, 2)", w, w, w, w);
      char *json = parse_ok (text);
      snprintf (want, sizeof want, "{\"RangeVar\":{\"database\":\"%s\",\"collection\":\"%s\"", w, w);
      assert_contains (text, json, want);
      snprintf (want, sizeof want, "{\"ColumnDef\":{\"name\":\"%s\"", w);
      assert_contains (text, json, want);
      snprintf (want, sizeof want, "{\"ColumnDef\":{\"name\":\"x.%s\"", w);
      assert_contains (text, json, want);
      free (json);

      /* an assigned field and a field read in an expression */
      snprintf (text, sizeof text, "BULK UPDATE c SET %s = 1 WHERE %s = 2", kw->name, w);
      json = parse_ok (text);
      snprintf (want, sizeof want, "{\"SetItem\":{\"path\":\"%s\"", kw->name);
      assert_contains (text, json, want);
      snprintf (want, sizeof want, "{\"ColumnRef\":{\"path\":\"%s\"", w);
      assert_contains (text, json, want);
      free (json);
   }
   assert_true (n > 0);
}

static void
test_reserved_keywords_are_not_names (void **state)
{
   (void) state;
   size_t n = 0;
   for (size_t i = 0; i < bql_keyword_count; i++) {
      const bql_keyword_t *kw = &bql_keywords[i];
      if (kw->category != BQL_KW_RESERVED) {
         continue;
      }
      n++;
      char w[64], text[512], want[256];
      lower (kw->name, w);

      /* refused where only a name can go: a column and an assigned field */
      snprintf (text, sizeof text, "BULK INSERT INTO c (%s) VALUES (1)", w);
      parse_fails_at (text, (int64_t) strlen ("BULK INSERT INTO c ("));
      snprintf (text, sizeof text, "BULK UPDATE c SET %s = 1 WHERE TRUE", kw->name);
      parse_fails_at (text, (int64_t) strlen ("BULK UPDATE c SET "));

      /* quoted, it is a name like any other; after a dot, a word */
      snprintf (text, sizeof text, "BULK INSERT INTO c (\"%s\", x.%s) VALUES (1, 2)", w, w);
      char *json = parse_ok (text);
      snprintf (want, sizeof want, "{\"ColumnDef\":{\"name\":\"%s\"", w);
      assert_contains (text, json, want);
      snprintf (want, sizeof want, "{\"ColumnDef\":{\"name\":\"x.%s\"", w);
      assert_contains (text, json, want);
      free (json);
   }
   assert_true (n > 0);
}

int
main (void)
{
   const struct CMUnitTest tests[] = {
      cmocka_unit_test (test_table_is_strictly_sorted),
      cmocka_unit_test (test_tokens_are_the_keyword_tokens_in_order),
      cmocka_unit_test (test_names_are_upper_case_words_of_their_length),
      cmocka_unit_test (test_lookup_finds_every_keyword_in_any_case),
      cmocka_unit_test (test_unreserved_keywords_are_names),
      cmocka_unit_test (test_reserved_keywords_are_not_names),
   };
   return cmocka_run_group_tests (tests, NULL, NULL);
}
