/*
 * json_pretty.c — re-indent one-line JSON (libbson's Extended JSON, the
 * AST writer's output) for people to read: nested containers on their own
 * lines, two spaces per level, short flat ones kept on one line.
 */
#include <stdbool.h>

#include "buf.h"
#include "json_pretty.h"

/* Re-indent libbson's one-line JSON: nested containers on their own
 * lines, short flat ones ({"$numberInt": "1"}) kept on one line. */
char *
bql_json_pretty (const char *json)
{
   bql_buf_t b;
   bql_buf_init (&b);
   int depth = 0;
   const char *p = json;
   while (*p) {
      char c = *p;
      if (c == ' ' || c == '\n' || c == '\t') {
         p++;
         continue;
      }
      if (c == '"') {
         const char *start = p++;
         while (*p && *p != '"') {
            p += (*p == '\\' && p[1]) ? 2 : 1;
         }
         if (*p) {
            p++;
         }
         bql_buf_append (&b, start, (size_t) (p - start));
         continue;
      }
      if (c == '{' || c == '[') {
         /* flat and short: one line */
         const char *q = p + 1;
         bool flat = true, in_str = false;
         int len = 0;
         while (*q && (in_str || (*q != '}' && *q != ']'))) {
            if (in_str) {
               if (*q == '\\' && q[1]) {
                  q++;
                  len++;
               } else if (*q == '"') {
                  in_str = false;
               }
            } else if (*q == '"') {
               in_str = true;
            } else if (*q == '{' || *q == '[') {
               flat = false;
               break;
            }
            q++;
            len++;
         }
         if (flat && len < 72) {
            bql_buf_putc (&b, c);
            p++;
            bool empty = true;
            in_str = false;
            while (*p && (in_str || (*p != '}' && *p != ']'))) {
               char d = *p;
               if (in_str) {
                  bql_buf_putc (&b, d);
                  if (d == '\\' && p[1]) {
                     bql_buf_putc (&b, *++p);
                  } else if (d == '"') {
                     in_str = false;
                  }
               } else if (d == '"') {
                  in_str = true;
                  empty = false;
                  bql_buf_putc (&b, d);
               } else if (d == ',') {
                  bql_buf_puts (&b, ", ");
               } else if (d == ':') {
                  bql_buf_puts (&b, ": ");
               } else if (d != ' ' && d != '\n') {
                  empty = false;
                  bql_buf_putc (&b, d);
               }
               p++;
            }
            (void) empty;
            if (*p) {
               bql_buf_putc (&b, *p++);
            }
            continue;
         }
         depth++;
         bql_buf_putc (&b, c);
         bql_buf_putc (&b, '\n');
         for (int i = 0; i < depth; i++) {
            bql_buf_puts (&b, "  ");
         }
         p++;
         continue;
      }
      if (c == '}' || c == ']') {
         depth--;
         bql_buf_putc (&b, '\n');
         for (int i = 0; i < depth; i++) {
            bql_buf_puts (&b, "  ");
         }
         bql_buf_putc (&b, c);
         p++;
         continue;
      }
      if (c == ',') {
         bql_buf_puts (&b, ",\n");
         for (int i = 0; i < depth; i++) {
            bql_buf_puts (&b, "  ");
         }
         p++;
         continue;
      }
      if (c == ':') {
         bql_buf_puts (&b, ": ");
         p++;
         continue;
      }
      bql_buf_putc (&b, c);
      p++;
   }
   bql_buf_putc (&b, '\n');
   return bql_buf_steal (&b, NULL);
}

