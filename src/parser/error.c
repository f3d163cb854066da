/*
 * error.c — clearing and rendering bql_error_t. Rendering follows the
 * compilers' layout: "file:line:col: error: message", the source line with
 * a gutter, a caret line under the span, then detail and hint lines. Tabs
 * in the source are kept in the caret line and UTF-8 sequences count as
 * one column, so the carets line up under the offending text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "bulkql/error.h"
#include "parse_internal.h"

void
bql_error_clear (bql_error_t *error)
{
   if (error) {
      memset (error, 0, sizeof *error);
      error->offset = -1;
   }
}

void
bql_free (void *ptr)
{
   free (ptr);
}

/* Show the character at s[0..n) in the source line of an error (into b
 * unless NULL): a UTF-8 character as it is, one column wide; a NUL byte
 * as \0 and a byte that is not UTF-8 as \xNN, so that the line is
 * printable and a NUL does not cut the message. Returns the bytes used;
 * *width is the columns shown. */
static size_t
shown_char (bql_buf_t *b, const char *s, size_t n, size_t *width)
{
   unsigned char c = (unsigned char) s[0];
   size_t len = 1;
   if (c >= 0x80) {
      size_t bad_len;
      len = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
      if (bql_utf8_check (s, len < n ? len : n, &bad_len) == 0) {
         len = 0; /* not UTF-8 from its first byte */
      }
   }
   if (c == 0) {
      if (b) {
         bql_buf_puts (b, "\\0");
      }
      *width = 2;
      return 1;
   }
   if (len == 0) {
      if (b) {
         bql_buf_printf (b, "\\x%02X", (unsigned) c);
      }
      *width = 4;
      return 1;
   }
   if (b) {
      bql_buf_append (b, s, len);
   }
   *width = 1;
   return len;
}

#define LINE_SHOWN_MAX 160   /* bytes of a longer source line shown */
#define LINE_SHOWN_BEFORE 60 /* ... of which before the error's column */

char *
bql_error_render (const bql_error_t *error, const char *filename, const char *source, size_t source_len)
{
   bql_buf_t b;
   bql_buf_init (&b);
   if (!filename) {
      filename = "<input>";
   }
   bool located = error && error->offset >= 0 && error->line > 0;
   if (located) {
      bql_buf_printf (&b, "%s:%d:%d: error: %s\n", filename, (int) error->line, (int) error->column, error->message);
   } else {
      bql_buf_printf (&b, "%s: error: %s\n", filename, error ? error->message : "unknown error");
   }

   if (located && source && (size_t) error->offset <= source_len) {
      size_t off = (size_t) error->offset;
      size_t ls = off;
      while (ls > 0 && source[ls - 1] != '\n') {
         ls--;
      }
      size_t le = off;
      while (le < source_len && source[le] != '\n') {
         le++;
      }
      /* drop a trailing CR of CRLF files */
      size_t shown_end = le;
      if (shown_end > ls && source[shown_end - 1] == '\r') {
         shown_end--;
      }
      /* A long line (a generated statement, 100,000 NOTs) is shown in a
       * window around the error's column, cut between characters and
       * marked "..." where cut; the line:column above stays the whole
       * line's. */
      size_t from = ls, to = shown_end;
      bool cut_left = false, cut_right = false;
      if (shown_end - ls > LINE_SHOWN_MAX) {
         if (off - ls > LINE_SHOWN_BEFORE) {
            from = off - LINE_SHOWN_BEFORE;
            while (from > ls && ((unsigned char) source[from] & 0xC0) == 0x80) {
               from--;
            }
            cut_left = from > ls;
         }
         if (shown_end - from > LINE_SHOWN_MAX) {
            to = from + LINE_SHOWN_MAX;
            while (to > off + 1 && ((unsigned char) source[to] & 0xC0) == 0x80) {
               to--;
            }
            cut_right = true;
         }
      }
      ls = from;
      shown_end = to;
      bql_buf_printf (&b, "%5d | %s", (int) error->line, cut_left ? "..." : "");
      for (size_t i = ls; i < shown_end;) {
         size_t w;
         size_t n = shown_char (&b, source + i, shown_end - i, &w);
         i += n;
      }
      bql_buf_printf (&b, "%s\n      | %s", cut_right ? "..." : "", cut_left ? "   " : "");
      for (size_t i = ls; i < off && i < shown_end;) {
         size_t w;
         size_t n = shown_char (NULL, source + i, shown_end - i, &w);
         if (source[i] == '\t') {
            bql_buf_putc (&b, '\t');
         } else {
            for (size_t k = 0; k < w; k++) {
               bql_buf_putc (&b, ' ');
            }
         }
         i += n;
      }
      size_t end = off + (size_t) (error->length > 0 ? error->length : 0);
      if (end > shown_end) {
         end = shown_end;
      }
      size_t carets = 0;
      for (size_t i = off; i < end;) {
         size_t w;
         i += shown_char (NULL, source + i, end - i, &w);
         carets += w;
      }
      if (carets == 0) {
         carets = 1;
      }
      for (size_t i = 0; i < carets; i++) {
         bql_buf_putc (&b, '^');
      }
      bql_buf_putc (&b, '\n');
   }
   if (error && error->detail[0]) {
      bql_buf_printf (&b, "detail: %s\n", error->detail);
   }
   if (error && error->hint[0]) {
      bql_buf_printf (&b, "hint: %s\n", error->hint);
   }
   return bql_buf_steal (&b, NULL);
}

const char *
bql_errstr (bql_error_code_t code)
{
   static const char *const names[] = {
      "BQL_ERR_OK",          "BQL_ERR_SYNTAX",  "BQL_ERR_LEXICAL",    "BQL_ERR_UNSUPPORTED", "BQL_ERR_OPTION",
      "BQL_ERR_TYPE",        "BQL_ERR_UNTRANSLATABLE", "BQL_ERR_VALUE", "BQL_ERR_PARAM",       "BQL_ERR_TOO_LARGE",
      "BQL_ERR_NOMEM",       "BQL_ERR_CONNECTION", "BQL_ERR_SERVER",  "BQL_ERR_WRITE",       "BQL_ERR_REFUSED",
      "BQL_ERR_ABORTED",     "BQL_ERR_IO",      "BQL_ERR_INVALID_ARG",
   };
   _Static_assert (sizeof names / sizeof names[0] == BQL_ERR_INVALID_ARG + 1, "a name for every error code");
   if ((unsigned) code >= sizeof names / sizeof names[0]) {
      return "BQL_ERR_UNKNOWN";
   }
   return names[code];
}
