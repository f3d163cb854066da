/*
 * test_parser.c — cmocka unit tests of the scanner and grammar: literal
 * forms, comments, spans, precedence, and the exact rendering of syntax
 * errors (with line, column, caret, expected tokens and hints). The
 * broader corpus lives in tests/golden; these pin down the mechanics.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bulkql/parser.h"

/* Parse text; return the AST JSON of the first statement (malloc'd). */
static char *
first_json (const char *text)
{
   bql_script_t *script;
   bql_error_t err;
   if (!bql_parse (text, strlen (text), NULL, &script, &err)) {
      fail_msg ("unexpected error: %s", err.message);
   }
   char *json = bql_node_to_json (bql_script_statement (script, 0), NULL);
   bql_script_destroy (script);
   return json;
}

/* Parse text that must fail; return the rendered error (malloc'd). */
static char *
rendered_error (const char *text)
{
   bql_script_t *script = (bql_script_t *) 1;
   bql_error_t err;
   bql_parse_options_t po = {.size = sizeof (bql_parse_options_t), .filename = "t.sql"};
   assert_false (bql_parse (text, strlen (text), &po, &script, &err));
   assert_null (script);
   return bql_error_render (&err, "t.sql", text, strlen (text));
}

static void
assert_contains (const char *hay, const char *needle)
{
   if (!strstr (hay, needle)) {
      fail_msg ("expected\n%s\nto contain\n%s", hay, needle);
   }
}

static void
test_literals (void **state)
{
   (void) state;
   char *j = first_json ("BULK INSERT INTO c (a, b, c, d, e, f) VALUES ('it''s', 42, -7, 1.5e3, TRUE, NULL)");
   assert_contains (j, "{\"Const\":{\"type\":\"STRING\",\"value\":\"it's\",\"location\":46,\"length\":7}}");
   assert_contains (j, "{\"Const\":{\"type\":\"INTEGER\",\"value\":\"42\",\"location\":55,\"length\":2}}");
   assert_contains (j, "{\"Const\":{\"type\":\"INTEGER\",\"value\":\"-7\",\"location\":59,\"length\":2}}");
   assert_contains (j, "{\"Const\":{\"type\":\"FLOAT\",\"value\":\"1.5e3\",\"location\":63,\"length\":5}}");
   assert_contains (j, "{\"Const\":{\"type\":\"BOOLEAN\",\"value\":\"true\",\"location\":70,\"length\":4}}");
   assert_contains (j, "{\"Const\":{\"type\":\"NULL\",\"location\":76,\"length\":4}}");
   free (j);
}

static void
test_json_literal_is_normalised (void **state)
{
   (void) state;
   char *j = first_json ("BULK INSERT INTO c VALUES ({w: 'x\"y', \"n\": [1, {k: 2}]})");
   assert_contains (j, "\"value\":\"{\\\"w\\\": \\\"x\\\\\\\"y\\\", \\\"n\\\": [1, {\\\"k\\\": 2}]}\"");
   free (j);
}

static void
test_comments_and_case_insensitive_keywords (void **state)
{
   (void) state;
   char *j = first_json ("-- a comment\n/* block\ncomment */ bulk Insert into c (x) values (1) -- trailing");
   assert_contains (j, "\"InsertStmt\"");
   assert_contains (j, "\"location\":33,\"length\":33}}");
   free (j);
}

static void
test_quoted_identifiers_and_paths (void **state)
{
   (void) state;
   char *j = first_json ("BULK UPDATE db1.\"my coll\" SET `a b`.c = 1, items.0.price = 2 WHERE \"select\" = 1");
   assert_contains (j, "\"database\":\"db1\",\"collection\":\"my coll\"");
   assert_contains (j, "\"path\":\"a b.c\"");
   assert_contains (j, "\"path\":\"items.0.price\"");
   assert_contains (j, "{\"ColumnRef\":{\"path\":\"select\"");
   free (j);
}

static void
test_precedence (void **state)
{
   (void) state;
   /* a = 1 OR b = 2 AND NOT c: OR at the top, AND below it */
   char *j = first_json ("BULK DELETE FROM c WHERE a = 1 OR b = 2 AND NOT c");
   assert_contains (j, "\"where\":{\"BoolExpr\":{\"op\":\"OR\",\"args\":[{\"BinaryExpr\":{\"op\":\"=\"");
   assert_contains (j, "{\"BoolExpr\":{\"op\":\"AND\",\"args\":[{\"BinaryExpr\":{\"op\":\"=\"");
   free (j);
   /* 1 + 2 * 3: * binds tighter */
   j = first_json ("BULK UPDATE c SET x = 1 + 2 * 3 WHERE TRUE");
   assert_contains (j, "{\"BinaryExpr\":{\"op\":\"+\",\"left\":{\"Const\"");
   assert_contains (j, "\"right\":{\"BinaryExpr\":{\"op\":\"*\"");
   free (j);
   /* BETWEEN keeps its AND; the next AND joins conditions */
   j = first_json ("BULK DELETE FROM c WHERE x BETWEEN 1 AND 5 AND y NOT IN (1, 2)");
   assert_contains (j, "{\"BoolExpr\":{\"op\":\"AND\",\"args\":[{\"BetweenExpr\"");
   assert_contains (j, "{\"InExpr\":{\"expr\":{\"ColumnRef\":{\"path\":\"y\"");
   assert_contains (j, "\"negated\":true");
   free (j);
}

static void
test_statements_and_semicolons (void **state)
{
   (void) state;
   bql_script_t *s;
   bql_error_t err;
   const char *text = ";; BULK DELETE FROM a WHERE TRUE;;BULK DELETE FROM b WHERE FALSE ;";
   assert_true (bql_parse (text, strlen (text), NULL, &s, &err));
   assert_int_equal (bql_script_statement_count (s), 2);
   const bql_node_t *n = bql_script_statement (s, 1);
   assert_int_equal (n->location, 34);
   assert_int_equal (n->length, 30);
   bql_script_destroy (s);
   assert_true (bql_parse ("  -- nothing\n", 13, NULL, &s, &err));
   assert_int_equal (bql_script_statement_count (s), 0);
   bql_script_destroy (s);
}

static void
test_parameters_are_numbered_per_statement (void **state)
{
   (void) state;
   bql_script_t *s;
   bql_error_t err;
   const char *text = "BULK DELETE FROM a WHERE x = ? AND y = :name; BULK DELETE FROM b WHERE z = ?";
   assert_true (bql_parse (text, strlen (text), NULL, &s, &err));
   assert_int_equal (bql_script_param_count (s, 0), 2);
   assert_int_equal (bql_script_param_count (s, 1), 1);
   char *j = bql_node_to_json (bql_script_statement (s, 1), NULL);
   assert_contains (j, "{\"ParamRef\":{\"number\":1,");
   free (j);
   bql_script_destroy (s);
}

/* bql_script_params: every occurrence in the order of the text, even
 * where the tree's order differs (SET before WHERE; a :name twice). */
static void
test_parameters_are_listed_in_text_order (void **state)
{
   (void) state;
   bql_script_t *s;
   bql_error_t err;
   const char *text = "BULK UPDATE t SET a = ?, b = :who WHERE c = ? AND d = :who; BULK DELETE FROM x WHERE TRUE";
   assert_true (bql_parse (text, strlen (text), NULL, &s, &err));
   bql_param_info_t p[4];
   assert_int_equal (bql_script_params (s, 0, p, 4), 4);
   assert_int_equal (p[0].number, 1);
   assert_null (p[0].name);
   assert_int_equal (p[0].offset, 22);
   assert_string_equal (p[1].name, "who");
   assert_int_equal (p[1].number, 0);
   assert_int_equal (p[2].number, 3); /* the third parameter of the statement */
   assert_string_equal (p[3].name, "who");
   assert_int_equal (p[3].offset, 54);
   /* fewer slots than parameters: the first ones, and the count */
   assert_int_equal (bql_script_params (s, 0, p, 1), 4);
   assert_int_equal (p[0].offset, 22);
   assert_int_equal (bql_script_params (s, 1, p, 4), 0);
   assert_int_equal (bql_script_params (s, 2, p, 4), 0);
   assert_int_equal (bql_script_params (NULL, 0, p, 4), 0);
   bql_script_destroy (s);
}

static void
test_errstr_names_every_code (void **state)
{
   (void) state;
   assert_string_equal (bql_errstr (BQL_ERR_OK), "BQL_ERR_OK");
   assert_string_equal (bql_errstr (BQL_ERR_UNTRANSLATABLE), "BQL_ERR_UNTRANSLATABLE");
   assert_string_equal (bql_errstr (BQL_ERR_WRITE), "BQL_ERR_WRITE");
   assert_string_equal (bql_errstr (BQL_ERR_INVALID_ARG), "BQL_ERR_INVALID_ARG");
   assert_string_equal (bql_errstr ((bql_error_code_t) 99), "BQL_ERR_UNKNOWN");
   assert_string_equal (bql_errstr ((bql_error_code_t) -1), "BQL_ERR_UNKNOWN");
}

static void
test_error_rendering (void **state)
{
   (void) state;
   char *e = rendered_error ("BULK INSERT INTO users\n  VALUES (1) WTIH (ordered = true)");
   assert_string_equal (e,
                        "t.sql:2:14: error: syntax error at or near \"WTIH\"\n"
                        "    2 |   VALUES (1) WTIH (ordered = true)\n"
                        "      |              ^^^^\n"
                        "detail: expected end of input, CHECK, ON, WITH, \";\" or \",\"\n"
                        "hint: Did you mean \"WITH\"?\n");
   free (e);
}

static void
test_error_at_end_of_input (void **state)
{
   (void) state;
   char *e = rendered_error ("BULK DELETE FROM c WHERE");
   assert_string_equal (e,
                        "t.sql:1:25: error: syntax error at end of input\n"
                        "    1 | BULK DELETE FROM c WHERE\n"
                        "      |                         ^\n"
                        "detail: expected an expression\n");
   free (e);
}

static void
test_lexical_errors (void **state)
{
   (void) state;
   char *e = rendered_error ("BULK INSERT INTO c (a) VALUES ('never closed)");
   assert_string_equal (e,
                        "t.sql:1:32: error: unterminated quoted string\n"
                        "    1 | BULK INSERT INTO c (a) VALUES ('never closed)\n"
                        "      |                                ^^^^^^^^^^^^^^\n");
   free (e);
   e = rendered_error ("BULK INSERT INTO c (a) VALUES (12abc)");
   assert_contains (e, "error: trailing junk after numeric literal");
   free (e);
   e = rendered_error ("BULK INSERT INTO c (a) VALUES (1) # x");
   assert_contains (e, "t.sql:1:35: error: unexpected character");
   free (e);
   e = rendered_error ("BULK INSERT INTO c VALUES ({a: [1, 2})");
   assert_contains (e, "error: mismatched \"}\" in JSON literal");
   free (e);
   e = rendered_error ("BULK INSERT INTO c VALUES (1) /* open");
   assert_contains (e, "t.sql:1:31: error: unterminated /* comment");
   free (e);
}

static void
test_tabs_and_utf8_align_the_caret (void **state)
{
   (void) state;
   char *e = rendered_error ("BULK\tINSERT INTO \"čaj\" VALUES (1) WTIH");
   assert_string_equal (e,
                        "t.sql:1:36: error: syntax error at or near \"WTIH\"\n"
                        "    1 | BULK\tINSERT INTO \"čaj\" VALUES (1) WTIH\n"
                        "      |     \t                             ^^^^\n"
                        "detail: expected end of input, CHECK, ON, WITH, \";\" or \",\"\n"
                        "hint: Did you mean \"WITH\"?\n");
   free (e);
}

static void
test_hints (void **state)
{
   (void) state;
   char *e = rendered_error ("INSERT INTO c VALUES (1)");
   assert_contains (e, "hint: BulkQL statements start with BULK, as in BULK INSERT.");
   free (e);
   e = rendered_error ("BULK UPDATE c SET select = 1 WHERE TRUE");
   assert_contains (e, "hint: \"select\" is a reserved word; quote it (\"select\") to use it as a name.");
   free (e);
   e = rendered_error ("BULK DELETE FROM c");
   assert_contains (e, "error: BULK DELETE requires a WHERE clause");
   assert_contains (e, "hint: Add WHERE TRUE to delete every document.");
   free (e);
}

static void
test_statement_completeness (void **state)
{
   (void) state;
   assert_true (bql_statement_is_complete ("BULK DELETE FROM c WHERE TRUE;", 30));
   assert_true (bql_statement_is_complete ("BULK DELETE FROM c WHERE TRUE; -- done\n", 39));
   assert_false (bql_statement_is_complete ("BULK DELETE FROM c WHERE TRUE", 29));
   assert_false (bql_statement_is_complete ("BULK INSERT INTO c VALUES ('a;", 30));
   assert_false (bql_statement_is_complete ("BULK INSERT INTO c VALUES ({a: ';'", 34));
   assert_false (bql_statement_is_complete ("BULK INSERT /* ; */ INTO", 24));
   assert_false (bql_statement_is_complete ("", 0));
}

/* Parse len bytes of text: true when it parses; else *err holds why. */
static bool
parses (const char *text, size_t len, bql_error_t *err)
{
   bql_script_t *script;
   bool ok = bql_parse (text, len, NULL, &script, err);
   bql_script_destroy (script);
   return ok;
}

static void
test_nul_bytes_and_utf8 (void **state)
{
   (void) state;
   bql_error_t err;
   /* the scanner sees every byte: a NUL inside a quoted name, a string or
    * a JSON literal is an error at the token, never a shorter name */
   /* a literal with its length: the NUL inside does not end it */
#define TEXT(s) s, sizeof s - 1
   static const struct {
      const char *text;
      size_t len;
      int64_t offset, length;
      const char *message;
   } nul[] = {
      {TEXT ("BULK DELETE FROM \"v\0x\" WHERE TRUE;"), 17, 5, "a quoted identifier must not hold a NUL byte (\\0)"},
      {TEXT ("BULK UPDATE c SET `a\0` = 1 WHERE TRUE;"), 18, 4, "a quoted identifier must not hold a NUL byte (\\0)"},
      {TEXT ("BULK INSERT INTO c (a) VALUES ('x\0');"), 31, 4, "a string literal must not hold a NUL byte (\\0)"},
      {TEXT ("BULK INSERT INTO c (a) VALUES ('x''\0');"), 31, 6, "a string literal must not hold a NUL byte (\\0)"},
      {TEXT ("BULK INSERT INTO c VALUES ({\"a\0\": 1});"), 30, 1, "a JSON literal must not hold a NUL byte (\\0)"},
      {TEXT ("BULK INSERT INTO c (a) VALUES (1)\0;"), 33, 1, "unexpected NUL byte (\\0)"},
   };
#undef TEXT
   for (size_t i = 0; i < sizeof nul / sizeof nul[0]; i++) {
      assert_false (parses (nul[i].text, nul[i].len, &err));
      assert_string_equal (err.message, nul[i].message);
      assert_int_equal (err.offset, nul[i].offset);
      assert_int_equal (err.length, nul[i].length);
   }
   /* well-formed UTF-8 at the edges of each range parses */
   static const char *const good[] = {
      "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbf",
      "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf",
   };
   for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
      char text[64];
      int n = snprintf (text, sizeof text, "BULK INSERT INTO c (\"%s\") VALUES ('%s');", good[i], good[i]);
      assert_true (parses (text, (size_t) n, &err));
   }
   /* and what is not UTF-8 fails at its first byte, with its length */
   static const struct {
      const char *bytes;
      int64_t length;
      const char *message;
   } bad[] = {
      {"\x80", 1, "invalid UTF-8: byte 0x80"},          /* a lone continuation */
      {"\xc0\xaf", 1, "invalid UTF-8: byte 0xC0"},      /* overlong */
      {"\xe0\x9f\xbf", 1, "invalid UTF-8: byte 0xE0"},  /* overlong */
      {"\xed\xa0\x80", 1, "invalid UTF-8: byte 0xED"},  /* a surrogate */
      {"\xf4\x90\x80\x80", 1, "invalid UTF-8: byte 0xF4"}, /* above U+10FFFF */
      {"\xf5\x80\x80\x80", 1, "invalid UTF-8: byte 0xF5"},
      {"\xe2\x82", 2, "invalid UTF-8: bytes 0xE2 0x82"}, /* cut short */
      {"\xf0\x9f\x98", 3, "invalid UTF-8: bytes 0xF0 0x9F 0x98"},
   };
   for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
      char text[64];
      int n = snprintf (text, sizeof text, "BULK INSERT INTO c (a) VALUES ('%s');", bad[i].bytes);
      assert_false (parses (text, (size_t) n, &err));
      assert_string_equal (err.message, bad[i].message);
      assert_int_equal (err.offset, 32);
      assert_int_equal (err.length, bad[i].length);
      assert_int_equal (err.line, 1);
      assert_int_equal (err.column, 33);
   }
   /* cut at the very end of the input */
   assert_false (parses ("-- \xc3", 4, &err));
   assert_int_equal (err.offset, 3);
}

static void
test_too_deep_nesting_is_an_error (void **state)
{
   (void) state;
   size_t depth = 20000;
   char *text = malloc (depth * 2 + 64);
   strcpy (text, "BULK UPDATE c SET x = ");
   size_t n = strlen (text);
   memset (text + n, '(', depth);
   text[n + depth] = '1';
   memset (text + n + depth + 1, ')', depth);
   strcpy (text + n + 2 * depth + 1, " WHERE TRUE");
   bql_script_t *s;
   bql_error_t err;
   assert_false (bql_parse (text, strlen (text), NULL, &s, &err));
   assert_int_equal (err.code, BQL_ERR_TOO_LARGE);
   assert_string_equal (err.message, "statement nested too deeply: the parser holds at most 10000 open parentheses, "
                                      "operators and clauses (an expression nests at most 256 levels)");
   free (text);
}

/* A long source line is shown in a window of 160 bytes from 60 before
 * the error, "..." where cut, the carets still under the span and the
 * line:column the whole line's (issue 12: 100,000 NOTs printed a line of
 * 400 KB and a caret line of 40,000 spaces). */
static void
test_long_line_is_shown_around_the_error (void **state)
{
   (void) state;
   const char *head = "BULK DELETE FROM c WHERE ";
   size_t hl = strlen (head), nots = 300;
   char *text = malloc (hl + nots * 4 + 16);
   strcpy (text, head);
   for (size_t i = 0; i < nots; i++) {
      strcpy (text + hl + i * 4, "NOT ");
   }
   strcpy (text + hl + nots * 4, "a = 1");
   char *out = rendered_error (text);
   size_t off = hl + 256 * 4; /* the 257th NOT: level 257 */
   char want[1024];
   int n = snprintf (want, sizeof want,
                     "t.sql:1:%zu: error: expression nested too deeply (the limit is 256 levels)\n    1 | ...%.160s...\n"
                     "      |    %60s",
                     off + 1, text + off - 60, "");
   memset (want + n, '^', 100); /* to the end of the window */
   strcpy (want + n + 100, "\nhint: Split the expression or statement.\n");
   assert_string_equal (out, want);
   bql_free (out);
   free (text);
}

/* A statement of n copies of unit joined by sep between head and tail. */
static char *
repeat (const char *head, const char *unit, const char *sep, size_t n, const char *tail)
{
   size_t ul = strlen (unit), sl = strlen (sep);
   char *text = malloc (strlen (head) + n * (ul + sl) + strlen (tail) + 1);
   char *p = text;
   p += sprintf (p, "%s", head);
   for (size_t i = 0; i < n; i++) {
      if (i) {
         memcpy (p, sep, sl);
         p += sl;
      }
      memcpy (p, unit, ul);
      p += ul;
   }
   strcpy (p, tail);
   return text;
}

/* AND and OR chains are one BoolExpr of all their terms, in order, with
 * the span of the whole chain; a parenthesised chain of the same operator
 * on the left joins, one of the other operator does not. */
static void
test_and_or_chains_are_flat (void **state)
{
   (void) state;
   char *j = first_json ("BULK DELETE FROM c WHERE a AND b AND (c AND d) AND (e OR f)");
   assert_contains (j, "\"where\":{\"BoolExpr\":{\"op\":\"AND\",\"args\":[{\"ColumnRef\":{\"path\":\"a\"");
   assert_contains (j, "{\"ColumnRef\":{\"path\":\"b\",\"location\":31,\"length\":1}},"
                       "{\"BoolExpr\":{\"op\":\"AND\",\"args\":[{\"ColumnRef\":{\"path\":\"c\"");
   assert_contains (j, "{\"BoolExpr\":{\"op\":\"OR\",\"args\":[{\"ColumnRef\":{\"path\":\"e\"");
   assert_contains (j, "\"location\":25,\"length\":34}},\"location\":0");
   free (j);
   j = first_json ("BULK DELETE FROM c WHERE (a OR b) OR c");
   assert_contains (j, "\"where\":{\"BoolExpr\":{\"op\":\"OR\",\"args\":[{\"ColumnRef\":{\"path\":\"a\"");
   assert_contains (j, "{\"ColumnRef\":{\"path\":\"c\",\"location\":37,\"length\":1}}],\"location\":25,\"length\":13}}");
   free (j);
}

/* 100,000-term AND and OR chains parse into one node each (issue 12: they
 * overflowed the stack of the planner). */
static void
test_long_chains_parse (void **state)
{
   (void) state;
   const char *seps[] = {" AND ", " OR "};
   for (int k = 0; k < 2; k++) {
      char *text = repeat ("BULK DELETE FROM c WHERE ", "a = 1", seps[k], 100000, "");
      bql_script_t *s;
      bql_error_t err;
      assert_true (bql_parse (text, strlen (text), NULL, &s, &err));
      const bql_DeleteStmt_t *d = bql_cast (DeleteStmt, bql_script_statement (s, 0));
      assert_true (bql_is (d->where, BoolExpr));
      assert_int_equal (bql_cast (BoolExpr, d->where)->args->length, 100000);
      bql_script_destroy (s);
      free (text);
   }
}

/* Nesting past BQL_MAX_NESTING is refused at the first node too deep,
 * whatever builds it: NOT, unary minus, a + chain (left-deep), parentheses
 * around a + b, function calls. One level less parses. */
static void
test_nesting_limit (void **state)
{
   (void) state;
   /* n_ok: the most units that stay within the limit (the statement is
    * at depth 0, the leaf at BQL_MAX_NESTING) */
   struct {
      const char *head, *unit, *sep, *tail;
      size_t n_ok;
   } cases[] = {
      {"BULK DELETE FROM c WHERE ", "NOT", " ", " a", BQL_MAX_NESTING - 1},
      {"BULK DELETE FROM c WHERE a = ", "-", " ", " b", BQL_MAX_NESTING - 2},
      {"BULK DELETE FROM c WHERE a = ", "b", " + ", "", BQL_MAX_NESTING - 1},
      {"BULK DELETE FROM c WHERE a = ", "ABS(", "", "b", BQL_MAX_NESTING - 2},
   };
   for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
      for (int deeper = 0; deeper < 2; deeper++) {
         size_t n = cases[c].n_ok + (size_t) deeper;
         char *text = repeat (cases[c].head, cases[c].unit, cases[c].sep, n, cases[c].tail);
         if (c == 3) {
            /* close the calls */
            char *closed = repeat (text, ")", "", n, "");
            free (text);
            text = closed;
         }
         bql_script_t *s = NULL;
         bql_error_t err;
         bool ok = bql_parse (text, strlen (text), NULL, &s, &err);
         if (!deeper) {
            if (!ok) {
               fail_msg ("case %zu at the limit: %s", c, err.message);
            }
            bql_script_destroy (s);
         } else {
            assert_false (ok);
            assert_int_equal (err.code, BQL_ERR_TOO_LARGE);
            char want[100];
            snprintf (want, sizeof want, "expression nested too deeply (the limit is %d levels)", BQL_MAX_NESTING);
            assert_string_equal (err.message, want);
            assert_string_equal (err.hint, "Split the expression or statement.");
            assert_int_equal (err.line, 1);
         }
         free (text);
      }
   }
   /* 100,000 NOTs and 100,000 parentheses: refused, never a crash */
   const char *units[][2] = {{"NOT ", ""}, {"(", ")"}};
   for (int k = 0; k < 2; k++) {
      char *open = repeat ("BULK DELETE FROM c WHERE ", units[k][0], "", 100000, "a = 1");
      char *close = repeat (open, units[k][1], "", 100000, "");
      bql_script_t *s = NULL;
      bql_error_t err;
      assert_false (bql_parse (close, strlen (close), NULL, &s, &err));
      assert_int_equal (err.code, BQL_ERR_TOO_LARGE);
      free (open);
      free (close);
   }
}

int
main (void)
{
   const struct CMUnitTest tests[] = {
      cmocka_unit_test (test_literals),
      cmocka_unit_test (test_json_literal_is_normalised),
      cmocka_unit_test (test_comments_and_case_insensitive_keywords),
      cmocka_unit_test (test_quoted_identifiers_and_paths),
      cmocka_unit_test (test_precedence),
      cmocka_unit_test (test_statements_and_semicolons),
      cmocka_unit_test (test_parameters_are_numbered_per_statement),
      cmocka_unit_test (test_parameters_are_listed_in_text_order),
      cmocka_unit_test (test_errstr_names_every_code),
      cmocka_unit_test (test_error_rendering),
      cmocka_unit_test (test_error_at_end_of_input),
      cmocka_unit_test (test_lexical_errors),
      cmocka_unit_test (test_tabs_and_utf8_align_the_caret),
      cmocka_unit_test (test_nul_bytes_and_utf8),
      cmocka_unit_test (test_hints),
      cmocka_unit_test (test_statement_completeness),
      cmocka_unit_test (test_too_deep_nesting_is_an_error),
      cmocka_unit_test (test_long_line_is_shown_around_the_error),
      cmocka_unit_test (test_and_or_chains_are_flat),
      cmocka_unit_test (test_long_chains_parse),
      cmocka_unit_test (test_nesting_limit),
   };
   return cmocka_run_group_tests (tests, NULL, NULL);
}
