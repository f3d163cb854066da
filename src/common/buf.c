/*
 * buf.c — the growable byte buffer of buf.h.
 */
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
bql_buf_init (bql_buf_t *b)
{
   b->data = NULL;
   b->len = 0;
   b->cap = 0;
   b->oom = false;
}

void
bql_buf_cleanup (bql_buf_t *b)
{
   free (b->data);
   bql_buf_init (b);
}

void
bql_buf_reset (bql_buf_t *b)
{
   b->len = 0;
   if (b->data) {
      b->data[0] = '\0';
   }
}

bool
bql_buf_reserve (bql_buf_t *b, size_t extra)
{
   if (b->oom) {
      return false;
   }
   if (b->len + extra + 1 <= b->cap) {
      return true;
   }
   size_t cap = b->cap ? b->cap : 256;
   while (cap < b->len + extra + 1) {
      cap *= 2;
   }
   char *p = realloc (b->data, cap);
   if (!p) {
      b->oom = true;
      return false;
   }
   b->data = p;
   b->cap = cap;
   return true;
}

void
bql_buf_append (bql_buf_t *b, const void *data, size_t n)
{
   if (!bql_buf_reserve (b, n)) {
      return;
   }
   if (n) {
      memcpy (b->data + b->len, data, n);
   }
   b->len += n;
   b->data[b->len] = '\0';
}

void
bql_buf_puts (bql_buf_t *b, const char *s)
{
   bql_buf_append (b, s, strlen (s));
}

void
bql_buf_putc (bql_buf_t *b, char c)
{
   bql_buf_append (b, &c, 1);
}

void
bql_buf_vprintf (bql_buf_t *b, const char *fmt, va_list ap)
{
   va_list ap2;
   va_copy (ap2, ap);
   int n = vsnprintf (NULL, 0, fmt, ap2);
   va_end (ap2);
   if (n < 0 || !bql_buf_reserve (b, (size_t) n)) {
      b->oom = true;
      return;
   }
   vsnprintf (b->data + b->len, (size_t) n + 1, fmt, ap);
   b->len += (size_t) n;
}

void
bql_buf_printf (bql_buf_t *b, const char *fmt, ...)
{
   va_list ap;
   va_start (ap, fmt);
   bql_buf_vprintf (b, fmt, ap);
   va_end (ap);
}

void
bql_buf_json_string (bql_buf_t *b, const char *s, size_t n)
{
   static const char hex[] = "0123456789abcdef";
   bql_buf_putc (b, '"');
   size_t run = 0; /* start of the pending run of bytes needing no escape */
   for (size_t i = 0; i < n; i++) {
      unsigned char c = (unsigned char) s[i];
      const char *esc = NULL;
      char u[7];
      switch (c) {
      case '"': esc = "\\\""; break;
      case '\\': esc = "\\\\"; break;
      case '\n': esc = "\\n"; break;
      case '\r': esc = "\\r"; break;
      case '\t': esc = "\\t"; break;
      case '\b': esc = "\\b"; break;
      case '\f': esc = "\\f"; break;
      default:
         if (c < 0x20) {
            u[0] = '\\';
            u[1] = 'u';
            u[2] = '0';
            u[3] = '0';
            u[4] = hex[c >> 4];
            u[5] = hex[c & 15];
            u[6] = '\0';
            esc = u;
         }
      }
      if (esc) {
         bql_buf_append (b, s + run, i - run);
         bql_buf_puts (b, esc);
         run = i + 1;
      }
   }
   bql_buf_append (b, s + run, n - run);
   bql_buf_putc (b, '"');
}

char *
bql_buf_steal (bql_buf_t *b, size_t *len)
{
   if (b->oom) {
      bql_buf_cleanup (b);
      if (len) {
         *len = 0;
      }
      return NULL;
   }
   if (!b->data && !bql_buf_reserve (b, 0)) {
      return NULL;
   }
   if (b->len == 0) {
      b->data[0] = '\0';
   }
   char *p = b->data;
   if (len) {
      *len = b->len;
   }
   bql_buf_init (b);
   return p;
}
