/*
 * keywords.c — the keyword table: every BulkQL keyword, sorted, with its
 * token and whether it is reserved. The scanner looks identifiers up here
 * (binary search, case-insensitive) instead of having a flex rule per
 * keyword. Unreserved keywords remain usable as field and collection
 * names; the grammar lists them in unreserved_keyword. Option names and
 * option-group names are not keywords.
 */
#include <string.h>

#include "parse_internal.h"
#include "bql_grammar.h"

#define R BQL_KW_RESERVED
#define U BQL_KW_UNRESERVED

const bql_keyword_t bql_keywords[] = {
   {"AND", AND, R},
   {"AS", AS, R},
   {"BETWEEN", BETWEEN, R},
   {"BULK", BULK, U},
   {"CASE", CASE, R},
   {"CHECK", CHECK, R},
   {"COMPRESSION", COMPRESSION, U},
   {"CONFLICT", CONFLICT, U},
   {"CREATE", CREATE, U},
   {"CURRENT_DATE", CURRENT_DATE, R},
   {"CURRENT_TIMESTAMP", CURRENT_TIMESTAMP, R},
   {"DATE", DATE, U},
   {"DECIMAL", DECIMAL, U},
   {"DELETE", DELETE, U},
   {"DO", DO, U},
   {"DUPLICATE", DUPLICATE, U},
   {"ELSE", ELSE, R},
   {"END", END_P, R},
   {"EXISTS", EXISTS, R},
   {"EXPLAIN", EXPLAIN, U},
   {"FALSE", FALSE_P, R},
   {"FORMAT", FORMAT, U},
   {"FROM", FROM, R},
   {"IN", IN_P, R},
   {"INSERT", INSERT, U},
   {"INTERVAL", INTERVAL, U},
   {"INTO", INTO, R},
   {"IS", IS, R},
   {"KEY", KEY, U},
   {"LIKE", LIKE, R},
   {"NOT", NOT, R},
   {"NOTHING", NOTHING, U},
   {"NULL", NULL_P, R},
   {"ON", ON, R},
   {"OR", OR, R},
   {"REMOVE", REMOVE, U},
   {"SELECT", SELECT, R},
   {"SET", SET, R},
   {"STDIN", STDIN, R},
   {"THEN", THEN, R},
   {"TIMESTAMP", TIMESTAMP, U},
   {"TRUE", TRUE_P, R},
   {"UPDATE", UPDATE, U},
   {"UPSERT", UPSERT, U},
   {"VALUES", VALUES, R},
   {"WHEN", WHEN, R},
   {"WHERE", WHERE, R},
   {"WITH", WITH, R},
};

const size_t bql_keyword_count = sizeof bql_keywords / sizeof bql_keywords[0];

/* Compare text[0..len), folded to ASCII upper case, with a table name, as
 * strcmp would compare the folded text with it. Folding on the fly saves
 * copying the word; most comparisons end at the first or second byte.
 * A text holding a NUL never compares equal. */
static int
word_cmp (const char *text, size_t len, const char *name)
{
   for (size_t i = 0; i < len; i++) {
      int c = (unsigned char) text[i];
      int k = (unsigned char) name[i];
      if (c >= 'a' && c <= 'z') {
         c -= 'a' - 'A';
      }
      if (c != k) {
         return c - k;
      }
      if (k == 0) {
         return 1;
      }
   }
   return -(int) (unsigned char) name[len];
}

/* ASCII case-insensitive, whatever the locale: toupper would turn "i"
 * into a dotted capital I under a Turkish locale and miss INSERT. */
const bql_keyword_t *
bql_keyword_lookup (const char *text, size_t len)
{
   if (len < BQL_KEYWORD_MIN_LEN || len > BQL_KEYWORD_MAX_LEN) {
      return NULL;
   }
   size_t lo = 0, hi = bql_keyword_count;
   while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      int c = word_cmp (text, len, bql_keywords[mid].name);
      if (c == 0) {
         return &bql_keywords[mid];
      }
      if (c < 0) {
         hi = mid;
      } else {
         lo = mid + 1;
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
