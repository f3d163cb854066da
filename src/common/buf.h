/*
 * buf.h — a growable byte buffer on malloc, used to build JSON text,
 * rendered errors and other output strings. A failed allocation sets
 * `oom` and turns later appends into no-ops, so callers check once at the
 * end. Internal to BulkQL; needs only libc.
 */
#ifndef BQL_BUF_H
#define BQL_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct bql_buf {
   char *data; /* NUL-terminated when len > 0 and !oom */
   size_t len;
   size_t cap;
   bool oom;
} bql_buf_t;

void bql_buf_init (bql_buf_t *b);
void bql_buf_cleanup (bql_buf_t *b);
void bql_buf_reset (bql_buf_t *b);
bool bql_buf_reserve (bql_buf_t *b, size_t extra);
void bql_buf_append (bql_buf_t *b, const void *data, size_t n);
void bql_buf_puts (bql_buf_t *b, const char *s);
void bql_buf_putc (bql_buf_t *b, char c);
void bql_buf_printf (bql_buf_t *b, const char *fmt, ...)
   __attribute__ ((format (printf, 2, 3)));
void bql_buf_vprintf (bql_buf_t *b, const char *fmt, va_list ap);
/* Append s[0..n) as a JSON string literal with quotes (RFC 8259 escapes;
 * bytes >= 0x80 are copied as they are). */
void bql_buf_json_string (bql_buf_t *b, const char *s, size_t n);
/* Hand the data to the caller (malloc'd, NUL-terminated; "" when empty) and
 * reset the buffer. NULL when an allocation failed. */
char *bql_buf_steal (bql_buf_t *b, size_t *len);

#endif
