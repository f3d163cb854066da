/*
 * test_complete.c — bql_statement_is_complete (bulkql/parser.h), the
 * question the REPL asks before it parses: does the typed text end a
 * statement? A table of texts covering every state the lexer knows
 * (strings with doubled quotes, quoted identifiers, line and block
 * comments, JSON literals with their own strings, nesting and errors),
 * and the proof that the answer allocates nothing: the test is linked
 * with --wrap for malloc, calloc, realloc, free, strdup, strndup and
 * mmap, and counts every call the parser library makes (bql_parse in the
 * same binary shows that the counter sees the library's allocations).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "bulkql/parser.h"

/* ---- the allocation counter (-Wl,--wrap=...) ---- */

static long allocations;

void *__real_malloc (size_t size);
void *__real_calloc (size_t n, size_t size);
void *__real_realloc (void *p, size_t size);
void __real_free (void *p);
char *__real_strdup (const char *s);
char *__real_strndup (const char *s, size_t n);
void *__real_mmap (void *addr, size_t len, int prot, int flags, int fd, off_t off);

void *
__wrap_malloc (size_t size)
{
   allocations++;
   return __real_malloc (size);
}

void *
__wrap_calloc (size_t n, size_t size)
{
   allocations++;
   return __real_calloc (n, size);
}

void *
__wrap_realloc (void *p, size_t size)
{
   allocations++;
   return __real_realloc (p, size);
}

void
__wrap_free (void *p)
{
   if (p) {
      allocations++;
   }
   __real_free (p);
}

char *
__wrap_strdup (const char *s)
{
   allocations++;
   return __real_strdup (s);
}

char *
__wrap_strndup (const char *s, size_t n)
{
   allocations++;
   return __real_strndup (s, n);
}

void *
__wrap_mmap (void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
   allocations++;
   return __real_mmap (addr, len, prot, flags, fd, off);
}

/* ---- the cases ---- */

typedef struct {
   const char *text;
   size_t len; /* 0: strlen (text) */
   bool complete;
} complete_case_t;

static const complete_case_t cases[] = {
   /* the statement and what may follow its semicolon */
   {"BULK DELETE FROM c WHERE TRUE;", 0, true},
   {"BULK DELETE FROM c WHERE TRUE; -- done\n", 0, true},
   {"BULK DELETE FROM c WHERE TRUE", 0, false},
   {"x;", 0, true},
   {";", 0, true},
   {"a;;", 0, true},
   {"a; ;", 0, true},
   {"a;\n\n  \t\r\f\v", 0, true},
   {"a;\r\n", 0, true},
   {"a; b", 0, false},
   {"a;@", 0, false},
   {"a;-", 0, false},
   {"a;/", 0, false},
   {"a;--", 0, true},
   {"a;-- x; y", 0, true},
   {":name;", 0, true},
   {"?;", 0, true},
   {"   ", 0, false},
   /* block comments (not nested) */
   {"a; /* c */", 0, true},
   {"a; /* c", 0, false},
   {"a /* ; */", 0, false},
   {"/* a */;", 0, true},
   {"/*/;", 0, false},
   {"/**/;", 0, true},
   {"a; /***/", 0, true},
   {"a; /* ** / */", 0, true},
   /* line comments */
   {"a -- ;\n", 0, false},
   {"a -- ;", 0, false},
   {"a -- x\n;", 0, true},
   /* strings: '' doubles the quote; a backslash is an ordinary byte */
   {"BULK INSERT INTO c VALUES ('a;", 0, false},
   {"'it''s;'", 0, false},
   {"'it''s';", 0, true},
   {"'';", 0, true},
   {"''';", 0, false},
   {"'a\\';'", 0, false},
   {"'a\\';", 0, true},
   {"'unterminated\n", 0, false},
   {"'a;\nb'", 0, false},
   {"'a;\nb';", 0, true},
   /* quoted identifiers, "..." and `...` */
   {"\"x;\"", 0, false},
   {"\"a\"\"b\";", 0, true},
   {"\"a\"\";", 0, false},
   {"\"\";", 0, true}, /* a zero-length identifier is an error, reported when parsed */
   {"`x;`", 0, false},
   {"`x`;", 0, true},
   {"`a``b;`", 0, false},
   {"`a``b`;", 0, true},
   /* JSON literals */
   {"BULK INSERT INTO c VALUES ({a: ';'", 0, false},
   {"{a: ';'};", 0, true},
   {"{a: \"};\"};", 0, true},
   {"{a: [1, {b: 2}]};", 0, true},
   {"{a: [1, {b: 2}];", 0, false},
   {"[1, 2];", 0, true},
   {"{a: 1}", 0, false},
   {"{a: 'x\\';'};", 0, true},
   {"{\"a\\\"};\"};", 0, true},
   {"{a: '--'};", 0, true},
   {"{a: 1 -- x\n};", 0, true},     /* no comments inside JSON */
   {"{a: '/*'};", 0, true},
   {"[1, /* ] */ 2];", 0, true},    /* the ] ends the literal */
   {"{a: 1];", 0, true},            /* mismatched: an error, the literal ends */
   {"{a: [1}];", 0, true},
   {"{a: 'x", 0, false},            /* a JSON string cut by the end */
   {"{a: \"x\\", 0, false},
   {"{\"a\n\"};", 0, false},        /* cut by a newline: an error at the quote,
                                       then "}; is a quoted identifier */
   {"{\"a\n};", 0, true},           /* cut by a newline: the statement ends and
                                       bql_parse reports the string */
   {"{\"a\\\n};", 0, true},
   /* RESUME OPERATION: complete at its semicolon, not inside its id */
   {"RESUME OPERATION '65a1f0c2e4b0a1b2c3d4e5f6';", 0, true},
   {"RESUME OPERATION '65a1f0c2e4b0a1b2c3d4e5f6'", 0, false},
   {"RESUME OPERATION '65a1f0c2e4b0;", 0, false},
   {"RESUME OPERATION\n  '65a1f0c2e4b0a1b2c3d4e5f6' -- go\n;", 0, true},
   {"RESUME OPERATION '65a1f0c2e4b0a1b2c3d4e5f6'; -- resumed", 0, true},
   /* a NUL byte is a character like any other */
   {"a;\0", 3, false},
   {"'a\0b';", 6, true},
   {"{a: '\0'};", 9, true},
};

static void
test_cases (void **state)
{
   (void) state;
   int failures = 0;
   for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      const complete_case_t *c = &cases[i];
      size_t len = c->len ? c->len : strlen (c->text);
      bool got = bql_statement_is_complete (c->text, len);
      if (got != c->complete) {
         print_error ("case %zu: \"%s\": expected %s, got %s\n", i, c->text,
                      c->complete ? "complete" : "incomplete", got ? "complete" : "incomplete");
         failures++;
      }
   }
   assert_int_equal (failures, 0);
   assert_false (bql_statement_is_complete (NULL, 5));
   assert_false (bql_statement_is_complete ("", 0));
   assert_false (bql_statement_is_complete ("a;", 0));
   /* len bounds the text: the semicolon past it does not count */
   assert_false (bql_statement_is_complete ("a;", 1));
}

/* JSON literals nest at most BQL_JSON_MAX_DEPTH (97) levels, what
 * libbson reads of a value stored in a document: the 98th opening bracket
 * is an error and ends the literal, as in the lexer. */
static void
test_json_depth (void **state)
{
   (void) state;
   char text[256];
   memset (text, '[', 97);
   memset (text + 97, ']', 97);
   text[194] = ';';
   assert_true (bql_statement_is_complete (text, 195));
   assert_false (bql_statement_is_complete (text, 150)); /* still open */
   memset (text, '[', 98);
   text[98] = ';';
   assert_true (bql_statement_is_complete (text, 99));
}

static void
test_allocates_nothing (void **state)
{
   (void) state;
   /* the counter sees the parser's allocations */
   bql_script_t *script = NULL;
   bql_error_t err;
   long before = allocations;
   assert_true (bql_parse ("BULK DELETE FROM c WHERE TRUE;", 30, NULL, &script, &err));
   bql_script_destroy (script);
   assert_true (allocations > before);

   /* a big text (the old answer parsed it into an arena: mmap) */
   size_t big = 4u << 20;
   char *text = __real_malloc (big + 64);
   memset (text, 'x', big);
   static const char tail[] = " {a: [';']} '' \"\" `` /* */ -- \n;";
   memcpy (text + big, tail, sizeof tail - 1);
   before = allocations;
   assert_true (bql_statement_is_complete (text, big + sizeof tail - 1));
   for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      const complete_case_t *c = &cases[i];
      (void) bql_statement_is_complete (c->text, c->len ? c->len : strlen (c->text));
   }
   assert_int_equal (allocations, before);
   __real_free (text);
}

int
main (void)
{
   const struct CMUnitTest tests[] = {
      cmocka_unit_test (test_cases),
      cmocka_unit_test (test_json_depth),
      cmocka_unit_test (test_allocates_nothing),
   };
   return cmocka_run_group_tests (tests, NULL, NULL);
}
