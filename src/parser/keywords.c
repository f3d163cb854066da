/*
 * keywords.c — the keyword table: every BulkQL keyword, sorted, with its
 * token and whether it is reserved. The scanner looks identifiers up here
 * (binary search, ASCII case-insensitive) instead of having a flex rule
 * per keyword. Unreserved keywords remain usable as field and collection
 * names; the grammar lists them in unreserved_keyword. Option names and
 * option-group names are not keywords.
 */
#include <string.h>

#include "parse_internal.h"
#include "bql_grammar.h"

#define R BQL_KW_RESERVED
#define U BQL_KW_UNRESERVED
#define KW(name, token, category) {name, sizeof name - 1, token, category}

const bql_keyword_t bql_keywords[] = {
   KW ("AND", AND, R),
   KW ("AS", AS, R),
   KW ("ASC", ASC, U),
   KW ("BETWEEN", BETWEEN, R),
   KW ("BULK", BULK, U),
   KW ("BY", BY, U),
   KW ("CASE", CASE, R),
   KW ("CHECK", CHECK, R),
   KW ("COMPRESSION", COMPRESSION, U),
   KW ("CONFLICT", CONFLICT, U),
   KW ("CREATE", CREATE, U),
   KW ("CURRENT_DATE", CURRENT_DATE, R),
   KW ("CURRENT_TIMESTAMP", CURRENT_TIMESTAMP, R),
   KW ("DATE", DATE, U),
   KW ("DECIMAL", DECIMAL, U),
   KW ("DELETE", DELETE, U),
   KW ("DESC", DESC, U),
   KW ("DISTINCT", DISTINCT, R),
   KW ("DO", DO, U),
   KW ("DUPLICATE", DUPLICATE, U),
   KW ("ELSE", ELSE, R),
   KW ("END", END_P, R),
   KW ("EXISTS", EXISTS, R),
   KW ("EXPLAIN", EXPLAIN, U),
   KW ("FALSE", FALSE_P, R),
   KW ("FILTER", FILTER, U),
   KW ("FORMAT", FORMAT, U),
   KW ("FROM", FROM, R),
   KW ("GROUP", GROUP_P, U),
   KW ("HAVING", HAVING, U),
   KW ("IN", IN_P, R),
   KW ("INSERT", INSERT, U),
   KW ("INTERVAL", INTERVAL, U),
   KW ("INTO", INTO, R),
   KW ("IS", IS, R),
   KW ("JOIN", JOIN, U),
   KW ("KEY", KEY, U),
   KW ("LATERAL", LATERAL, U),
   KW ("LIKE", LIKE, R),
   KW ("LIMIT", LIMIT, U),
   KW ("NOT", NOT, R),
   KW ("NOTHING", NOTHING, U),
   KW ("NULL", NULL_P, R),
   KW ("ON", ON, R),
   KW ("OPERATION", OPERATION, U),
   KW ("OR", OR, R),
   KW ("ORDER", ORDER, U),
   KW ("OVER", OVER, U),
   KW ("REMOVE", REMOVE, U),
   KW ("REPLACE", REPLACE, U),
   KW ("RESUME", RESUME, U),
   KW ("SELECT", SELECT, R),
   KW ("SET", SET, R),
   KW ("STDIN", STDIN, R),
   KW ("THEN", THEN, R),
   KW ("TIMESTAMP", TIMESTAMP, U),
   KW ("TRUE", TRUE_P, R),
   KW ("UPDATE", UPDATE, U),
   KW ("UPSERT", UPSERT, U),
   KW ("USING", USING, U),
   KW ("VALUES", VALUES, R),
   KW ("WHEN", WHEN, R),
   KW ("WHERE", WHERE, R),
   KW ("WITH", WITH, R),
};

const size_t bql_keyword_count = sizeof bql_keywords / sizeof bql_keywords[0];

/* c in ASCII upper case (no branch: this runs once per byte looked up). */
static unsigned
fold (char c)
{
   unsigned u = (unsigned char) c;
   return u - ((unsigned) (u - 'a' < 26u) << 5);
}

/* ASCII case-insensitive, whatever the locale: toupper would turn "i"
 * into a dotted capital I under a Turkish locale and miss INSERT. A
 * binary search finds the first name with the word's first letter (the
 * table being sorted, those names are together), then the few names of
 * that letter are tried, by length first. */
const bql_keyword_t *
bql_keyword_lookup (const char *text, size_t len)
{
   if (len < BQL_KEYWORD_MIN_LEN || len > BQL_KEYWORD_MAX_LEN) {
      return NULL;
   }
   unsigned first = fold (text[0]);
   size_t lo = 0, hi = bql_keyword_count;
   while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      if ((unsigned char) bql_keywords[mid].name[0] < first) {
         lo = mid + 1;
      } else {
         hi = mid;
      }
   }
   for (size_t i = lo; i < bql_keyword_count && (unsigned char) bql_keywords[i].name[0] == first; i++) {
      const bql_keyword_t *kw = &bql_keywords[i];
      if (kw->len != len) {
         continue;
      }
      size_t j = 1;
      while (j < len && fold (text[j]) == (unsigned char) kw->name[j]) {
         j++;
      }
      if (j == len) {
         return kw;
      }
   }
   return NULL;
}

size_t
bql_keyword_names (const char **names, size_t max)
{
   size_t n = 0;
   for (; n < bql_keyword_count && n < max; n++) {
      names[n] = bql_keywords[n].name;
   }
   return n;
}
