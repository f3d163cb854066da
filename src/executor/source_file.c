/*
 * source_file.c — rows from FROM 'path' and FROM STDIN (SPEC §4): CSV and
 * TSV through libcsv; NDJSON, JSON arrays and streams of JSON documents
 * (Extended JSON) through bql_json_parse_document (json_doc.h); each
 * optionally gzip-compressed (zlib's inflate, member after member; gzip
 * is known by its magic bytes whatever the name). The input is read in
 * chunks, so memory stays bounded whatever the file size, and every read
 * checks the caller's cancel and max_execution_time, so an input that
 * never ends stops.
 *
 * Records are cut by this file (a line, a CSV row, one element of a JSON
 * array, one document of a JSON stream), which gives every row the line
 * it starts on and lets a bad record become a failed row while the next
 * one is read normally. Each JSON record is parsed whole and on its own:
 * nothing of one record's parse carries over to the next. A row that
 * cannot be read or converted, or fails CHECK, is returned as FAILED with
 * the reason ("line N: ..."); input that cannot be read on (a truncated
 * or corrupt gzip stream, a JSON array or stream whose structure is
 * broken, an unusable header) is a fatal error naming the file and the
 * line, located at the FROM clause of the statement.
 *
 * CSV and TSV columns without a type get one per column, inferred from a
 * sample: the first infer_rows rows are read and kept as text, the types
 * chosen (columns.c: bql_infer_text), and then those rows and the rest are
 * converted; a later value that does not fit is a failed row. The sample
 * is read once, so STDIN and gzip work the same.
 */
#include <csv.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "columns.h"
#include "executor.h"
#include "json_doc.h"

#define CHUNK (1 << 20)
#define MAX_RECORD (64 << 20)        /* a line or element larger than this fails */
#define MAX_DOC (16 * 1024 * 1024)   /* maxBsonObjectSize */
#define MAX_DEPTH 100                /* nesting libbson's JSON reader accepts */

typedef struct {
   size_t off;
   size_t len;
   bool null;
} field_t;

/* A CSV row of the type-inference sample, kept as read until the column
 * types are known: its fields (in sample_fields and sample_buf), or the
 * reason it failed. */
typedef struct {
   int rc;              /* csv_next_row(): 1 a row, -1 a bad row */
   int64_t line;
   size_t first, n;     /* its fields: sample_fields[first .. first + n) */
   size_t why_off;      /* rc -1: the reason in sample_buf */
   size_t why_text;     /* ... and its text after "line N: " */
} sample_row_t;

/* One JSON record: its bytes (in f->buf or f->carry, valid until the
 * next record is cut) and where it starts. */
typedef struct {
   const char *data;
   size_t len;
   int64_t line;
   int64_t col;    /* 1-based column (UTF-8 characters) of its first byte */
   bool oversize;  /* longer than MAX_RECORD: its bytes were dropped */
} record_t;

typedef struct {
   bql_source_t base;
   bql_exec_t *x;
   const bql_plan_t *plan;
   bql_file_opts_t fo;
   char name[512];

   /* input */
   int fd;
   bool fd_borrowed;   /* stdin: not ours to close */
   FILE *stream;       /* bql_exec_options_t.stdin_stream: read with fread */
   bool rows_cb;       /* FROM STDIN with bql_exec_options_t.next_row */
   char *buf;
   size_t len, pos;
   bool eof;
   bool waits;         /* fd is a pipe or a terminal: reads may block */
   int64_t read_total; /* bytes read into buf so far (not gzip) */

   /* the input as read (raw): compressed bytes, or the first bytes of a
    * plain input read to look for the gzip magic */
   bool detected;      /* gzip or not is decided */
   bool gzip;          /* the input is a gzip stream: inflated into buf */
   unsigned char *raw;
   size_t raw_len;     /* plain input: bytes of raw not yet moved to buf */
   bool raw_eof;       /* the input has no more bytes */
   int64_t raw_total;  /* bytes read from the input so far */
   z_stream zs;
   bool zs_ready;
   bool member_end;    /* a gzip member ended: another, or the end, next */
   bool started;       /* the first chunk was read (a BOM is dropped) */
   bql_buf_t carry;    /* a line or element that spans chunks */
   int64_t line;       /* NDJSON/CSV: lines cut so far; JSON: newlines seen */
   int64_t skip;

   /* columns */
   bql_columns_t own_cols;
   const bql_columns_t *cols;
   bool header_pending;
   bool typed;         /* some listed column has a type */
   bool json_cols;     /* some listed column is of type JSON */

   /* CSV */
   struct csv_parser csv;
   bool csv_ready;
   bql_buf_t fields_buf;
   field_t *fields;
   size_t nfields, fields_cap;
   bool row_done;
   bool row_overflow;
   int64_t row_line;   /* line where the current CSV row started */
   bool in_row;

   /* type inference (CSV/TSV): the first infer_rows rows, buffered */
   bool sampled;        /* the sample was taken, or none is needed */
   sample_row_t *sample;
   size_t nsample, sample_cap, sample_pos;
   field_t *sample_fields;
   size_t nsample_fields, sample_fields_cap;
   bql_buf_t sample_buf;
   int64_t sample_rows; /* rows the types were inferred from */
   bool sample_stop;    /* the input stopped (fatal, cancel) in the sample */

   /* JSON */
   record_t cur;       /* the record being parsed */
   bool input_done;
   char shape;         /* FORMAT JSON: '[' an array, '{' a stream of documents, 0 not seen yet */
   bool array_done;
   int64_t elements;   /* elements cut so far */
   int64_t unclosed;   /* the input ended after the element on this line */
   int64_t col;        /* FORMAT JSON: characters of the current line before buf[col_pos] */
   size_t col_pos;

   bson_value_t *vals; /* a row's values, one per column (on the heap: a
                          header may name a million columns) */
   size_t vals_cap;

   int64_t rownum;
   int64_t rowline;    /* line of the row just returned */
   char why[1024];
   const char *why_text; /* the reason in why, after "line N: " */
   bql_row_ctx_t rc;
} file_source_t;

/* ---- errors ---- */

/* A statement-level error about the input at line: "<file>:<line>: msg",
 * located at the statement's FROM clause. Returns false. */
static bool fatal (file_source_t *f, int64_t line, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

static void
locate_at_source (const bql_plan_t *plan, bql_error_t *e)
{
   const bql_FileSource_t *fs = plan->file;
   if (fs && fs->node.location >= 0 && plan->script) {
      e->offset = fs->node.location;
      e->length = fs->node.length;
      size_t source_len;
      const char *source = bql_script_source (plan->script, &source_len);
      bql_error_locate (e, source, source_len);
   }
}

static bool
fatal (file_source_t *f, int64_t line, const char *fmt, ...)
{
   if (f->base.failed) {
      return false;
   }
   f->base.failed = true;
   char msg[1200];
   va_list ap;
   va_start (ap, fmt);
   vsnprintf (msg, sizeof msg, fmt, ap);
   va_end (ap);
   bql_error_t *e = &f->base.error;
   bql_error_clear (e);
   e->domain = BQL_ERROR_EXECUTE;
   e->code = BQL_ERR_IO;
   snprintf (e->message, sizeof e->message, "%.200s:%lld: %.280s", f->name, (long long) (line > 0 ? line : 1), msg);
   locate_at_source (f->plan, e);
   return false;
}

/* The reason of a failed row: "line N: " and the formatted text. */
static void why (file_source_t *f, int64_t line, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

static void
why (file_source_t *f, int64_t line, const char *fmt, ...)
{
   int n = snprintf (f->why, sizeof f->why, "line %lld: ", (long long) line);
   f->why_text = f->why + n;
   va_list ap;
   va_start (ap, fmt);
   vsnprintf (f->why + n, sizeof f->why - (size_t) n, fmt, ap);
   va_end (ap);
}

/* A field name or text for a message: at most 60 bytes, NUL shown as \0. */
static void
shown (const char *s, size_t len, char *out, size_t size)
{
   size_t o = 0;
   for (size_t i = 0; i < len && o + 4 < size; i++) {
      if (i == 60) {
         memcpy (out + o, "...", 3);
         o += 3;
         break;
      }
      if (s[i] == '\0') {
         out[o++] = '\\';
         out[o++] = '0';
      } else {
         out[o++] = s[i];
      }
   }
   out[o] = '\0';
}

/* ---- reading ---- */

static bool
cancel_requested (file_source_t *f)
{
   return (f->x->xo.cancel && *f->x->xo.cancel) || atomic_load (&f->base.stop);
}

/* Has the statement run for max_execution_time (SPEC §3)? Reading is
 * bounded by it too: an input that never ends (/dev/zero, a pipe that
 * never closes) stops there. */
static bool
time_is_up (file_source_t *f)
{
   int64_t ms = f->x->opts ? f->x->opts->max_execution_ms : 0;
   return ms > 0 && bson_get_monotonic_time () - f->x->start_us >= ms * 1000;
}

/* The caller cancelled, or max_execution_time passed, while the input was
 * read: the input ends here (the source says cancelled; rows.c then
 * writes nothing of the partial batch and stops the statement as after a
 * batch, with this reason). Returns false. */
static bool
cancelled (file_source_t *f)
{
   f->base.cancelled = true;
   if (!cancel_requested (f) && time_is_up (f)) {
      snprintf (f->base.error.message, sizeof f->base.error.message,
                "stopped after %.1f s (max_execution_time) while reading %.200s",
                (double) f->x->opts->max_execution_ms / 1000.0, f->name);
   } else {
      snprintf (f->base.error.message, sizeof f->base.error.message, "cancelled while reading %.200s", f->name);
   }
   f->eof = true;
   return false;
}

static bool
must_stop (file_source_t *f)
{
   return cancel_requested (f) || time_is_up (f);
}

/* Wait until fd has input, checking for a cancel and max_execution_time
 * every 100 ms: a pipe or a terminal can keep a read waiting for ever,
 * and the cancel flag is set from a signal handler that may run on
 * another thread. False when the input must stop. */
static bool
wait_for_input (file_source_t *f, int fd)
{
   struct pollfd pfd = {.fd = fd, .events = POLLIN};
   for (;;) {
      if (must_stop (f)) {
         return false;
      }
      int r = poll (&pfd, 1, 100);
      if (r != 0 && !(r < 0 && errno == EINTR)) {
         return true; /* readable, at its end, or an error read() reports */
      }
   }
}

/* Read up to cap bytes of the caller's stream (stdin_stream) with
 * fread(3), so bytes already in its stdio buffer are read too and a
 * stream without a descriptor (fmemopen, fopencookie) works. A read
 * interrupted by a signal (EINTR) is retried unless cancelled. *n is 0 at
 * the end. False on a read error (fatal) or a cancel. */
static bool
read_stream (file_source_t *f, void *buf, size_t cap, ssize_t *n)
{
   size_t got = 0;
   for (;;) {
      got += fread ((char *) buf + got, 1, cap - got, f->stream);
      if (got == cap || feof (f->stream) || !ferror (f->stream)) {
         break;
      }
      if (errno != EINTR && errno != EAGAIN) {
         return fatal (f, f->line + 1, "cannot read: %s", strerror (errno));
      }
      clearerr (f->stream);
      if (cancel_requested (f)) {
         return cancelled (f);
      }
      if (got > 0) {
         break;
      }
   }
   *n = (ssize_t) got;
   return true;
}

/* Read up to n bytes of the input into dst: the count (0 at its end),
 * -1 on a read error (fatal, recorded), -2 when cancelled or out of time
 * (f->base.cancelled). Every read checks the cancel flag and
 * max_execution_time first, so an input that never ends stops. */
static ssize_t
read_input (file_source_t *f, void *dst, size_t n)
{
   if (f->stream) {
      ssize_t got = 0;
      if (must_stop (f)) {
         cancelled (f);
         return -2;
      }
      if (!read_stream (f, dst, n, &got)) {
         return f->base.cancelled ? -2 : -1;
      }
      f->raw_total += got;
      return got;
   }
   for (;;) {
      if (must_stop (f) || (f->waits && !wait_for_input (f, f->fd))) {
         cancelled (f);
         return -2;
      }
      ssize_t r = read (f->fd, dst, n);
      if (r >= 0) {
         f->raw_total += r;
         return r;
      }
      if (errno != EINTR) {
         fatal (f, f->line + 1, "cannot read: %s", strerror (errno));
         return -1;
      }
   }
}

/* Decide whether the input is gzip by its first two bytes (1f 8b, as
 * `zcat -f` does), read into f->raw: a gzip stream is inflated whatever
 * the name; an input that is not gzip while COMPRESSION GZIP or a name
 * ending in .gz says it is gives true with *not_gzip set (the caller
 * reports it). False when the read failed (f->base.failed) or stopped
 * (f->base.cancelled). */
static bool
detect_gzip (file_source_t *f, bool *not_gzip)
{
   *not_gzip = false;
   while (f->raw_len < 2 && !f->raw_eof) {
      ssize_t n = read_input (f, f->raw + f->raw_len, CHUNK - f->raw_len);
      if (n < 0) {
         return false;
      }
      f->raw_len += (size_t) n;
      f->raw_eof = n == 0;
   }
   f->detected = true;
   f->gzip = f->raw_len >= 2 && f->raw[0] == 0x1f && f->raw[1] == 0x8b;
   if (!f->gzip) {
      *not_gzip = f->fo.gzip;
      return true;
   }
   memset (&f->zs, 0, sizeof f->zs);
   if (inflateInit2 (&f->zs, 15 + 16) != Z_OK) { /* gzip members only */
      return fatal (f, 1, "cannot read the gzip stream: out of memory");
   }
   f->zs_ready = true;
   f->zs.next_in = f->raw;
   f->zs.avail_in = (uInt) f->raw_len;
   return true;
}

/* The message of an input that is not gzip although it must be. */
static void
not_gzip_message (file_source_t *f, char *out, size_t size)
{
   snprintf (out, size, "'%.200s' is not gzip-compressed%s", f->name,
             f->plan->file->compression ? " (COMPRESSION GZIP)" : " (its name ends in .gz)");
}

/* Inflate the next bytes of a gzip input into buf: the count, 0 at the
 * end of the last member, -1 on a fatal error or a stop. Members follow
 * one another (`cat a.gz b.gz` is one stream, RFC 1952); bytes after the
 * last member that do not start another are an error naming their offset
 * in the compressed input, as is a stream cut short. */
static ssize_t
inflate_chunk (file_source_t *f)
{
   z_stream *zs = &f->zs;
   zs->next_out = (Bytef *) f->buf;
   zs->avail_out = CHUNK;
   for (;;) {
      size_t made = CHUNK - zs->avail_out;
      if (f->member_end) {
         if (made > 0) {
            return (ssize_t) made; /* the end of the member first */
         }
         /* what follows the member: another, the end, or garbage */
         if (zs->avail_in < 2 && !f->raw_eof) {
            memmove (f->raw, zs->next_in, zs->avail_in);
            ssize_t n = read_input (f, f->raw + zs->avail_in, CHUNK - zs->avail_in);
            if (n < 0) {
               return -1;
            }
            f->raw_eof = n == 0;
            zs->next_in = f->raw;
            zs->avail_in += (uInt) n;
            continue;
         }
         if (zs->avail_in == 0) {
            return 0; /* the end of the last member */
         }
         int64_t at = f->raw_total - (int64_t) zs->avail_in;
         if (zs->avail_in < 2 || zs->next_in[0] != 0x1f || zs->next_in[1] != 0x8b) {
            fatal (f, f->line + 1,
                   "trailing garbage after the gzip stream at byte offset %lld of the compressed input "
                   "(not the start of another gzip member)",
                   (long long) at);
            return -1;
         }
         inflateReset (zs);
         f->member_end = false;
      }
      if (zs->avail_in == 0 && !f->raw_eof) {
         ssize_t n = read_input (f, f->raw, CHUNK);
         if (n < 0) {
            return -1;
         }
         f->raw_eof = n == 0;
         zs->next_in = f->raw;
         zs->avail_in = (uInt) n;
      }
      if (zs->avail_in == 0 && f->raw_eof) {
         if (made > 0) {
            return (ssize_t) made; /* the rows before; the error next */
         }
         fatal (f, f->line + 1, "the gzip stream is truncated (unexpected end of file)");
         return -1;
      }
      int rc = inflate (zs, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
         f->member_end = true;
         continue;
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
         fatal (f, f->line + 1, "cannot read the gzip stream: %s",
                zs->msg ? zs->msg : rc == Z_MEM_ERROR ? "out of memory" : "corrupt data");
         return -1;
      }
      if (zs->avail_out == 0) {
         return CHUNK;
      }
      if (must_stop (f)) {
         cancelled (f); /* a chunk that inflates to little for ever */
         return -1;
      }
   }
}

/* Refill the chunk buffer; false at the end, on error (f->base.failed) or
 * when cancelled or out of time while reading (f->base.cancelled). */
static bool
fill (file_source_t *f)
{
   if (f->eof) {
      return false;
   }
   if (!f->detected) {
      bool not_gzip;
      if (!detect_gzip (f, &not_gzip)) {
         f->eof = true;
         return false;
      }
      if (not_gzip && !f->base.failed) {
         f->base.failed = true;
         bql_error_t *e = &f->base.error;
         bql_error_clear (e);
         e->domain = BQL_ERROR_EXECUTE;
         e->code = BQL_ERR_IO;
         not_gzip_message (f, e->message, sizeof e->message);
         locate_at_source (f->plan, e);
      }
      if (not_gzip) {
         f->eof = true;
         return false;
      }
   }
   ssize_t n;
   if (f->gzip) {
      n = inflate_chunk (f);
      if (n < 0) {
         f->eof = true;
         return false;
      }
      f->base.bytes_read = f->raw_total - (int64_t) f->zs.avail_in;
   } else if (f->raw_len > 0) {
      /* the bytes read to look for the gzip magic */
      memcpy (f->buf, f->raw, f->raw_len);
      n = (ssize_t) f->raw_len;
      f->raw_len = 0;
      f->read_total += n;
   } else {
      n = read_input (f, f->buf, CHUNK);
      if (n < 0) {
         f->eof = true;
         return false;
      }
      f->read_total += n;
   }
   if (n == 0) {
      f->eof = true;
      return false;
   }
   f->len = (size_t) n;
   f->pos = 0;
   if (!f->started) {
      f->started = true;
      if (f->len >= 3 && !memcmp (f->buf, "\xEF\xBB\xBF", 3)) {
         f->pos = 3; /* a UTF-8 byte order mark */
      }
   }
   return true;
}

/* The next line without its line ending (LF or CRLF). *oversize is set
 * (and the line's bytes dropped) for a line longer than MAX_RECORD.
 * False at the end of input or on a fatal error. */
static bool
next_line (file_source_t *f, const char **line, size_t *len, bool *oversize)
{
   bql_buf_reset (&f->carry);
   bool carrying = false;
   *oversize = false;
   for (;;) {
      if (f->pos >= f->len) {
         if (!fill (f)) {
            if (f->base.failed || f->base.cancelled) {
               return false;
            }
            if (carrying) {
               break; /* last line without a newline */
            }
            return false;
         }
      }
      const char *start = f->buf + f->pos;
      const char *nl = memchr (start, '\n', f->len - f->pos);
      size_t n = nl ? (size_t) (nl - start) : f->len - f->pos;
      f->pos += nl ? n + 1 : n;
      if (!carrying && nl) {
         *line = start;
         *len = n;
         f->line++;
         if (*len && (*line)[*len - 1] == '\r') {
            (*len)--;
         }
         return true;
      }
      carrying = true;
      if (f->carry.len + n > MAX_RECORD) {
         *oversize = true;
         bql_buf_reset (&f->carry);
      }
      if (!*oversize) {
         bql_buf_append (&f->carry, start, n);
      }
      if (nl) {
         break;
      }
   }
   if (f->carry.oom) {
      return fatal (f, f->line + 1, "out of memory");
   }
   f->line++;
   *line = f->carry.data ? f->carry.data : "";
   *len = f->carry.len;
   if (*len && (*line)[*len - 1] == '\r') {
      (*len)--;
   }
   return true;
}

/* ---- checks on every row ---- */

/* Field names: none may start with '$' (Extended JSON is already read as
 * values) or be empty of a name that MongoDB would refuse. */
static bool
keys_ok (file_source_t *f, const bson_t *doc, char *path, size_t plen, int depth)
{
   bson_iter_t it;
   if (depth > MAX_DEPTH || !bson_iter_init (&it, doc)) {
      why (f, f->rowline, "not a valid document");
      return false;
   }
   while (bson_iter_next (&it)) {
      const char *k = bson_iter_key (&it);
      size_t klen = strlen (k);
      size_t n = plen;
      if (n && n < 400) {
         path[n++] = '.';
      }
      size_t room = 400 - n;
      size_t copy = klen < room ? klen : room;
      memcpy (path + n, k, copy);
      path[n + copy] = '\0';
      if (k[0] == '$') {
         why (f, f->rowline, "column \"%s\": a field name cannot start with '$'", path);
         return false;
      }
      bson_t sub;
      if (bql_iter_sub (&it, &sub) && !keys_ok (f, &sub, path, n + copy, depth + 1)) {
         return false;
      }
      path[plen] = '\0';
   }
   return true;
}

/* ---- CSV ---- */

static void
csv_field (void *s, size_t len, void *data)
{
   file_source_t *f = data;
   if (f->nfields == f->fields_cap) {
      f->fields_cap = f->fields_cap ? f->fields_cap * 2 : 32;
      f->fields = bson_realloc (f->fields, sizeof *f->fields * f->fields_cap);
   }
   field_t *fd = &f->fields[f->nfields++];
   fd->off = f->fields_buf.len;
   fd->len = len;
   fd->null = s == NULL;
   if (s) {
      bql_buf_append (&f->fields_buf, s, len);
   }
   bql_buf_putc (&f->fields_buf, '\0');
}

static void
csv_row (int c, void *data)
{
   (void) c;
   file_source_t *f = data;
   if (f->row_done) {
      f->row_overflow = true; /* a CR inside a line ended a second row */
   }
   f->row_done = true;
}

/* RFC 4180: spaces are part of a field (libcsv strips them by default). */
static int
csv_no_space (unsigned char c)
{
   (void) c;
   return 0;
}

static void
csv_reset (file_source_t *f)
{
   if (f->csv_ready) {
      csv_free (&f->csv);
   }
   csv_init (&f->csv, CSV_STRICT | CSV_STRICT_FINI | CSV_EMPTY_IS_NULL);
   csv_set_delim (&f->csv, (unsigned char) f->fo.delimiter);
   csv_set_quote (&f->csv, (unsigned char) f->fo.quote);
   csv_set_space_func (&f->csv, csv_no_space);
   /* libcsv grows a field's buffer by this much at a time (128 bytes by
    * default: quadratic on a field of megabytes) */
   csv_set_blk_size (&f->csv, 1 << 20);
   f->csv_ready = true;
}

static void
clear_row (file_source_t *f)
{
   f->nfields = 0;
   bql_buf_reset (&f->fields_buf);
   f->row_done = false;
   f->row_overflow = false;
   f->in_row = false;
}

/* Read one CSV row into f->fields; 1 = a row, 0 = end, -1 = a bad row
 * (f->why), -2 = fatal. */
static int
csv_next_row (file_source_t *f)
{
   const char *line;
   size_t len;
   bool oversize;
   clear_row (f);
   while (!f->row_done) {
      if (!next_line (f, &line, &len, &oversize)) {
         if (f->base.failed || f->base.cancelled) {
            return -2;
         }
         if (f->in_row) {
            if (csv_fini (&f->csv, csv_field, csv_row, f) != 0) {
               why (f, f->row_line, "a quoted field opened on this line is not closed at the end of the input");
               csv_reset (f);
               clear_row (f);
               return -1;
            }
            csv_reset (f);
            if (f->row_done) {
               return 1;
            }
         }
         return 0;
      }
      if (!f->in_row) {
         if (f->skip > 0) {
            f->skip--;
            continue;
         }
         if (len == 0 && !oversize) {
            continue; /* blank line */
         }
         f->row_line = f->line;
         f->in_row = true;
      }
      if (oversize || f->fields_buf.len + len > MAX_RECORD) {
         why (f, f->row_line, "the row is longer than 64 MiB");
         csv_reset (f);
         clear_row (f);
         return -1;
      }
      size_t used = csv_parse (&f->csv, line, len, csv_field, csv_row, f);
      if (used == len) {
         used = csv_parse (&f->csv, "\n", 1, csv_field, csv_row, f) == 1 ? len : len + 1;
      }
      if (used != len || csv_error (&f->csv) != CSV_SUCCESS) {
         int64_t at = f->line;
         csv_reset (f);
         clear_row (f);
         why (f, at, "bad quoting: a quote inside an unquoted field, or text after a closing quote (RFC 4180)");
         return -1;
      }
   }
   if (f->row_overflow) {
      why (f, f->row_line, "a carriage return inside a line, outside quotes");
      clear_row (f);
      return -1;
   }
   return 1;
}

/* The header line names the columns. With a column list too, the header
 * gives the order and the list the types: every listed column must be in
 * the header; header columns that are not listed are inferred. */
static bool
setup_header (file_source_t *f)
{
   const bql_columns_t *listed = f->cols;
   int64_t line = f->row_line;
   bool *seen = listed ? bson_malloc0 (sizeof *seen * (listed->n ? listed->n : 1)) : NULL;
   bool ok = true;
   f->own_cols.array_index = f->fo.array_index_fields;
   for (size_t i = 0; i < f->nfields && ok; i++) {
      const char *name = f->fields_buf.data + f->fields[i].off;
      size_t nlen = f->fields[i].len;
      char err[300], nm[200];
      shown (name, nlen, nm, sizeof nm);
      if (f->fields[i].null || nlen == 0) {
         ok = fatal (f, line, "column %zu of the header has no name", i + 1);
      } else if (memchr (name, '\0', nlen)) {
         ok = fatal (f, line, "column %zu of the header, \"%s\": a field name cannot contain NUL", i + 1, nm);
      } else if (!bson_utf8_validate (name, nlen, false)) {
         ok = fatal (f, line, "column %zu of the header is not valid UTF-8", i + 1);
      } else {
         const bql_column_t *lc = NULL;
         int k = listed ? bql_columns_find (listed, name) : -1;
         if (k >= 0) {
            lc = &listed->cols[k];
            seen[k] = true;
         }
         if (!bql_columns_add (&f->own_cols, name, lc ? lc->type : BQL_COL_AUTO, err, sizeof err)) {
            ok = fatal (f, line, "column %zu of the header: %s", i + 1, err);
         } else if (lc) {
            bql_column_t *c = &f->own_cols.cols[f->own_cols.n - 1];
            c->node = lc->node;
            c->format = lc->format ? bson_strdup (lc->format) : NULL;
         }
      }
   }
   for (size_t k = 0; ok && listed && k < listed->n; k++) {
      if (!seen[k]) {
         ok = fatal (f, line, "column \"%s\" of the column list is not in the header", listed->cols[k].path);
      }
   }
   bson_free (seen);
   f->cols = &f->own_cols;
   return ok;
}

/* What was read of a CSV row that failed, for failed_records_file: the
 * fields as text under their column names (by_name), or as the array
 * "fields" when they do not match the columns. Text that is not valid
 * UTF-8 is left out. */
/* Room for n values in f->vals. */
static bson_value_t *
row_values (file_source_t *f, size_t n)
{
   if (n > f->vals_cap) {
      f->vals_cap = n;
      bson_free (f->vals);
      f->vals = bson_malloc (sizeof *f->vals * n);
   }
   return f->vals;
}

static void
raw_fields (file_source_t *f, bson_t *doc, bool by_name)
{
   bson_reinit (doc);
   size_t n = f->nfields;
   if (by_name) {
      bson_value_t *vals = row_values (f, n ? n : 1);
      for (size_t i = 0; i < n; i++) {
         const field_t *fd = &f->fields[i];
         const char *s = f->fields_buf.data + fd->off;
         memset (&vals[i], 0, sizeof vals[i]);
         vals[i].value_type = BSON_TYPE_NULL;
         if (!fd->null && bson_utf8_validate (s, fd->len, false)) {
            vals[i].value_type = BSON_TYPE_UTF8;
            vals[i].value.v_utf8.str = (char *) s;
            vals[i].value.v_utf8.len = (uint32_t) fd->len;
         }
      }
      bql_columns_emit (f->cols, doc, vals);
      return;
   }
   bson_t arr;
   bson_append_array_begin (doc, "fields", 6, &arr);
   for (size_t i = 0; i < n; i++) {
      const field_t *fd = &f->fields[i];
      const char *s = f->fields_buf.data + fd->off;
      char kb[16];
      const char *k;
      bson_uint32_to_string ((uint32_t) i, &k, kb, sizeof kb);
      if (!fd->null && bson_utf8_validate (s, fd->len, false)) {
         bson_append_utf8 (&arr, k, -1, s, (int) fd->len);
      } else {
         bson_append_null (&arr, k, -1);
      }
   }
   bson_append_array_end (doc, &arr);
}

/* ---- type inference ---- */

/* Without a header: the column list, copied so that inferred types can be
 * set (and array_index_fields applied to its names). */
static bool
own_listed_columns (file_source_t *f)
{
   const bql_columns_t *listed = f->cols;
   f->own_cols.root.col = -1;
   f->own_cols.array_index = f->fo.array_index_fields;
   for (size_t k = 0; k < listed->n; k++) {
      char err[300];
      if (!bql_columns_add (&f->own_cols, listed->cols[k].path, listed->cols[k].type, err, sizeof err)) {
         return fatal (f, 1, "%s", err);
      }
      bql_column_t *c = &f->own_cols.cols[f->own_cols.n - 1];
      c->node = listed->cols[k].node;
      c->format = listed->cols[k].format ? bson_strdup (listed->cols[k].format) : NULL;
   }
   f->cols = &f->own_cols;
   return true;
}

/* A field that counts as empty: an empty field, quoted or not. */
static bool
blank (const field_t *fd)
{
   return fd->null || fd->len == 0;
}

/* Keep the row just read (csv_next_row() returned r) in the sample. */
static void
sample_keep (file_source_t *f, int r)
{
   if (f->nsample == f->sample_cap) {
      f->sample_cap = f->sample_cap ? f->sample_cap * 2 : 256;
      f->sample = bson_realloc (f->sample, sizeof *f->sample * f->sample_cap);
   }
   sample_row_t *sr = &f->sample[f->nsample++];
   memset (sr, 0, sizeof *sr);
   sr->rc = r;
   sr->line = f->row_line;
   if (r < 0) {
      sr->why_off = f->sample_buf.len;
      sr->why_text = f->sample_buf.len + (size_t) (f->why_text - f->why);
      bql_buf_append (&f->sample_buf, f->why, strlen (f->why) + 1);
      return;
   }
   sr->first = f->nsample_fields;
   sr->n = f->nfields;
   size_t base = f->sample_buf.len;
   bql_buf_append (&f->sample_buf, f->fields_buf.data ? f->fields_buf.data : "", f->fields_buf.len);
   for (size_t i = 0; i < f->nfields; i++) {
      if (f->nsample_fields == f->sample_fields_cap) {
         f->sample_fields_cap = f->sample_fields_cap ? f->sample_fields_cap * 2 : 1024;
         f->sample_fields = bson_realloc (f->sample_fields, sizeof *f->sample_fields * f->sample_fields_cap);
      }
      field_t fd = f->fields[i];
      fd.off += base;
      f->sample_fields[f->nsample_fields++] = fd;
   }
}

/* Read the first infer_rows rows (fewer when they would hold more than
 * a quarter of memory_limit, which the batches in flight share too) and
 * set the type of every column without one: the narrowest of BOOL, INT,
 * BIGINT, DOUBLE, TIMESTAMP and STRING that holds every non-empty value
 * (bql_infer_text, bql_infer_join); STRING when the column has no value.
 * Rows that fail on input or have the wrong number of fields do not vote;
 * they fail in their place when replayed. An input error ends the sample
 * (its rows are still given, then the error); a cancel while it waits
 * gives none. False on a fatal error. */
static bool
take_sample (file_source_t *f)
{
   f->sampled = true;
   if (!f->cols) {
      return true; /* no columns: the first row says so */
   }
   if (f->cols != &f->own_cols && !own_listed_columns (f)) {
      return false;
   }
   bql_columns_t *cols = &f->own_cols;
   size_t ncols = cols->n;
   bool any = false;
   for (size_t i = 0; i < ncols; i++) {
      any = any || cols->cols[i].type == BQL_COL_AUTO;
   }
   if (!any) {
      return true;
   }
   bql_coltype_t *vote = bson_malloc0 (sizeof *vote * ncols);
   int64_t limit = f->plan->opts.memory_limit > 0 ? f->plan->opts.memory_limit / 4 : INT64_MAX;
   while (f->sample_rows < f->fo.infer_rows && (int64_t) f->sample_buf.len < limit) {
      int r = csv_next_row (f);
      if (r == 0) {
         break;
      }
      if (r == -2) {
         /* an input error: the rows before it are still rows; a cancel
          * while the sample waits for input: no row was given yet, and
          * none is */
         f->sample_stop = true;
         if (f->base.cancelled) {
            f->nsample = 0;
         }
         break;
      }
      f->sample_rows++;
      sample_keep (f, r);
      if (r < 0 || f->nfields != ncols) {
         continue;
      }
      for (size_t i = 0; i < ncols; i++) {
         const field_t *fd = &f->fields[i];
         const char *s = f->fields_buf.data + fd->off;
         if (cols->cols[i].type != BQL_COL_AUTO || blank (fd) || memchr (s, '\0', fd->len) ||
             (f->fo.null_string && !strcmp (s, f->fo.null_string))) {
            continue;
         }
         vote[i] = bql_infer_join (vote[i], bql_infer_text (s, fd->len));
      }
   }
   if (f->sample_buf.oom) {
      bson_free (vote);
      return fatal (f, f->line, "out of memory");
   }
   for (size_t i = 0; i < ncols; i++) {
      if (cols->cols[i].type == BQL_COL_AUTO) {
         cols->cols[i].type = vote[i] == BQL_COL_AUTO ? BQL_COL_STRING : vote[i];
         cols->cols[i].inferred = true;
      }
   }
   bson_free (vote);
   clear_row (f);
   return true;
}

/* The next row: from the sample while it lasts, then from the input. */
static int
next_row (file_source_t *f)
{
   if (f->sample_pos >= f->nsample) {
      if (f->nsample) {
         /* the sample is spent: free it */
         f->nsample = f->sample_pos = f->nsample_fields = 0;
         bql_buf_cleanup (&f->sample_buf);
         bql_buf_init (&f->sample_buf);
      }
      if (f->sample_stop) {
         return -2;
      }
      return csv_next_row (f);
   }
   const sample_row_t *sr = &f->sample[f->sample_pos++];
   clear_row (f);
   f->row_line = sr->line;
   if (sr->rc < 0) {
      snprintf (f->why, sizeof f->why, "%s", f->sample_buf.data + sr->why_off);
      f->why_text = f->why + (sr->why_text - sr->why_off);
      return -1;
   }
   for (size_t i = 0; i < sr->n; i++) {
      const field_t *src = &f->sample_fields[sr->first + i];
      if (f->nfields == f->fields_cap) {
         f->fields_cap = f->fields_cap ? f->fields_cap * 2 : 32;
         f->fields = bson_realloc (f->fields, sizeof *f->fields * f->fields_cap);
      }
      field_t *fd = &f->fields[f->nfields++];
      fd->off = f->fields_buf.len;
      fd->len = src->len;
      fd->null = src->null;
      bql_buf_append (&f->fields_buf, f->sample_buf.data + src->off, src->len + 1);
   }
   return 1;
}

/* A column path as a column list spells it: each part that is not a
 * plain identifier in double quotes ("first name".x), at most size - 1
 * bytes. */
static void
path_in_sql (const char *path, char *out, size_t size)
{
   size_t o = 0;
   const char *p = path;
   while (*p && o + 8 < size) {
      size_t n = strcspn (p, ".");
      bool plain = n > 0 && (isalpha ((unsigned char) p[0]) || p[0] == '_');
      for (size_t i = 0; plain && i < n; i++) {
         plain = isalnum ((unsigned char) p[i]) || p[i] == '_';
      }
      if (!plain) {
         out[o++] = '"';
      }
      for (size_t i = 0; i < n && o + 6 < size; i++) {
         if (p[i] == '"') {
            out[o++] = '"';
         }
         out[o++] = p[i];
      }
      if (!plain) {
         out[o++] = '"';
      }
      p += n;
      if (*p == '.') {
         out[o++] = '.';
         p++;
      }
   }
   out[o] = '\0';
}

static const char *
article (bql_coltype_t t)
{
   return t == BQL_COL_INT || t == BQL_COL_OBJECTID ? "an" : "a";
}

/* One field of a row as the value of its column: null, left out (EOD),
 * the empty string, or the text converted to the column's type. False
 * with the reason of the failed row in f->why. */
static bool
field_value (file_source_t *f, size_t i, bson_value_t *v)
{
   const field_t *fd = &f->fields[i];
   const char *s = f->fields_buf.data + fd->off;
   const bql_column_t *col = &f->cols->cols[i];
   memset (v, 0, sizeof *v);
   if (!fd->null && f->fo.null_string && !strcmp (s, f->fo.null_string)) {
      v->value_type = BSON_TYPE_NULL;
      return true;
   }
   if (blank (fd)) {
      /* blanks = 'null': an empty field is null, "" the empty string in a
       * text column; 'omit': the field is left out; 'empty': the empty
       * string in a text column. A column of another type holds no empty
       * string: null. */
      bool text = col->type == BQL_COL_STRING || col->type == BQL_COL_AUTO;
      if (f->fo.blanks == BQL_BLANKS_OMIT) {
         v->value_type = BSON_TYPE_EOD;
      } else if (text && (f->fo.blanks == BQL_BLANKS_EMPTY || !fd->null)) {
         v->value_type = BSON_TYPE_UTF8;
         v->value.v_utf8.str = bson_strdup ("");
         v->value.v_utf8.len = 0;
      } else {
         v->value_type = BSON_TYPE_NULL;
      }
      return true;
   }
   if (memchr (s, '\0', fd->len)) {
      why (f, f->row_line, "column %s: the value contains a NUL byte", col->path);
      return false;
   }
   if (col->inferred && col->type != BQL_COL_STRING) { /* a STRING column takes any text */
      bql_coltype_t got = bql_infer_value (s, fd->len, v);
      bql_coltype_t fits = bql_infer_join (col->type, got);
      if (fits != col->type) {
         char shownv[80], sql[300];
         shown (s, fd->len, shownv, sizeof shownv);
         path_in_sql (col->path, sql, sizeof sql);
         why (f, f->row_line,
              "column %s: \"%s\" is not %s %s (the type inferred from the first %lld rows); give the column a type "
              "in a column list, e.g. (%s %s), or raise infer_rows",
              col->path, shownv, article (col->type), bql_coltype_name (col->type), (long long) f->sample_rows, sql,
              bql_coltype_name (fits));
         memset (v, 0, sizeof *v);
         return false;
      }
      /* widen to the column's type: INT → BIGINT, INT and BIGINT → DOUBLE
       * (a double rounds an int64 as strtod rounds its text) */
      if (col->type == BQL_COL_BIGINT && v->value_type == BSON_TYPE_INT32) {
         int64_t i = v->value.v_int32;
         v->value_type = BSON_TYPE_INT64;
         v->value.v_int64 = i;
      } else if (col->type == BQL_COL_DOUBLE && v->value_type != BSON_TYPE_DOUBLE) {
         double d = v->value_type == BSON_TYPE_INT32 ? (double) v->value.v_int32 : (double) v->value.v_int64;
         v->value_type = BSON_TYPE_DOUBLE;
         v->value.v_double = d;
      }
      return true;
   }
   char err[300];
   if (!bql_column_convert_text (col, s, fd->len, v, err, sizeof err)) {
      why (f, f->row_line, "column %s: %s", col->path, err);
      return false;
   }
   return true;
}

static bql_row_rc_t
csv_next (file_source_t *f, bson_t *doc)
{
   for (;;) {
      if (!f->header_pending && !f->sampled && !take_sample (f)) {
         return BQL_ROW_ERROR;
      }
      int r = f->header_pending ? csv_next_row (f) : next_row (f);
      f->rowline = f->row_line;
      if (r == 0) {
         return BQL_ROW_END;
      }
      if (r == -2) {
         return BQL_ROW_ERROR;
      }
      if (f->header_pending) {
         f->header_pending = false;
         if (r < 0) {
            fatal (f, f->rowline ? f->rowline : f->line, "cannot read the header: %s", f->why_text);
            return BQL_ROW_ERROR;
         }
         if (!setup_header (f)) {
            return BQL_ROW_ERROR;
         }
         continue;
      }
      f->rownum++;
      if (r < 0) {
         return BQL_ROW_FAILED;
      }
      if (!f->cols) {
         fatal (f, f->row_line, "a CSV file without a header needs a column list");
         return BQL_ROW_ERROR;
      }
      size_t ncols = f->cols->n;
      if (f->nfields != ncols) {
         why (f, f->row_line, "%zu field%s, expected %zu", f->nfields, f->nfields == 1 ? "" : "s", ncols);
         raw_fields (f, doc, false);
         return BQL_ROW_FAILED;
      }
      bson_value_t *vals = row_values (f, ncols ? ncols : 1);
      size_t made = 0;
      bool ok = true;
      for (size_t i = 0; i < ncols && ok; i++) {
         ok = field_value (f, i, &vals[i]);
         made += ok;
      }
      if (ok) {
         char err[300];
         ok = bql_columns_emit_row (f->cols, doc, vals, err, sizeof err);
         if (!ok) {
            why (f, f->row_line, "%s", err);
         }
      }
      for (size_t i = 0; i < made; i++) {
         bson_value_destroy (&vals[i]);
      }
      if (!ok) {
         raw_fields (f, doc, true);
      }
      return ok ? BQL_ROW_OK : BQL_ROW_FAILED;
   }
}

/* ---- JSON records ---- */

/* The next NDJSON line that is not blank or skipped: 1, 0 at the end,
 * -1 on a fatal error. The line is the record, whole: a document never
 * reads on into the next line. */
static int
ndjson_record (file_source_t *f, record_t *r)
{
   const char *line;
   size_t len;
   bool oversize;
   for (;;) {
      if (!next_line (f, &line, &len, &oversize)) {
         return f->base.failed || f->base.cancelled ? -1 : 0;
      }
      if (f->skip > 0) {
         f->skip--;
         continue;
      }
      size_t i = 0;
      while (i < len && isspace ((unsigned char) line[i])) {
         i++;
      }
      if (i == len && !oversize) {
         continue; /* blank line */
      }
      r->data = line;
      r->len = len;
      r->line = f->line;
      r->col = 1;
      r->oversize = oversize;
      return 1;
   }
}

/* FORMAT JSON: refill the chunk buffer, first counting the characters of
 * the current line that are still in it (for the column of a record). */
static bool
json_fill (file_source_t *f)
{
   if (f->len > f->col_pos) {
      f->col += (int64_t) bql_utf8_chars (f->buf + f->col_pos, f->len - f->col_pos);
   }
   bool ok = fill (f);
   f->col_pos = f->pos;
   return ok;
}

/* FORMAT JSON: the 1-based column of buf[at], on the current line. */
static int64_t
json_column (file_source_t *f, size_t at)
{
   f->col += (int64_t) bql_utf8_chars (f->buf + f->col_pos, at - f->col_pos);
   f->col_pos = at;
   return f->col + 1;
}

/* FORMAT JSON: skip_lines lines before the data. False at the end of
 * the input or on a fatal error. */
static bool
json_skip_lines (file_source_t *f)
{
   while (f->skip > 0) {
      if (f->pos >= f->len && !json_fill (f)) {
         return false;
      }
      const char *nl = memchr (f->buf + f->pos, '\n', f->len - f->pos);
      if (!nl) {
         f->pos = f->len;
         continue;
      }
      f->pos = (size_t) (nl - f->buf) + 1;
      f->line++;
      f->col = 0;
      f->col_pos = f->pos;
      f->skip--;
   }
   return true;
}

/* A character of the input for a message: 'c', or its byte in hex. */
static const char *
shown_char (char c, char *out, size_t size)
{
   if (c > ' ' && c < 0x7f) {
      snprintf (out, size, "'%c'", c);
   } else {
      snprintf (out, size, "the byte 0x%02X", (unsigned) (unsigned char) c);
   }
   return out;
}

/* FORMAT JSON: the next record — an element of the top-level array (cut
 * at the commas outside strings and brackets), or the next document of a
 * stream of documents (concatenated or pretty-printed, cut where its
 * braces close) — chosen by the first character that is not a blank: '['
 * or '{'. 1 = a record, 0 = end, -1 = fatal. The structure is checked
 * here: a broken one (brackets that do not match, a string that runs past
 * its line, an element or document not closed at the end, text between
 * the documents of a stream that is not a document) is fatal, naming the
 * line; what a well-delimited record holds is checked by the JSON parser
 * (a failed row). A record lying in the chunk buffer is not copied. */
static int
json_record (file_source_t *f, record_t *r)
{
   bql_buf_reset (&f->carry);
   if (f->unclosed) {
      fatal (f, f->unclosed, "the JSON array is not closed: no ']' after the element that starts on this line");
      return -1;
   }
   if (f->skip > 0 && !json_skip_lines (f)) {
      return f->base.failed || f->base.cancelled ? -1 : 0;
   }
   char stack[MAX_DEPTH + 1];
   int depth = 0;
   bool in_str = false, esc = false, started = false, oversize = false;
   int64_t start_line = 0, start_col = 0;
   size_t seg = 0;  /* where the bytes of the record not yet in carry start in buf */
   size_t stop = 0; /* where the record ends in buf */
   const char *what = f->shape == '[' ? "JSON array element" : "JSON document";
   for (;;) {
      if (f->pos >= f->len) {
         if (started && !oversize) {
            size_t n = f->len - seg;
            if (f->carry.len + n > MAX_RECORD) {
               oversize = true;
               bql_buf_reset (&f->carry);
            } else {
               bql_buf_append (&f->carry, f->buf + seg, n);
            }
            seg = f->len;
         }
         if (!json_fill (f)) {
            if (f->base.failed || f->base.cancelled) {
               return -1;
            }
            if (f->shape == 0 || (f->shape == '[' && f->array_done) || (f->shape == '{' && !started)) {
               return 0; /* empty input, or the end after the array or the last document */
            }
            if (started && (depth > 0 || f->shape == '{')) {
               fatal (f, start_line, "the %s that starts on this line is not closed at the end of the input", what);
            } else if (started) {
               /* a complete element: it is a row; the error comes next */
               f->unclosed = start_line;
               stop = f->pos;
               f->elements++;
               break;
            } else {
               fatal (f, f->line + 1, "the JSON array is not closed at the end of the input");
            }
            return -1;
         }
         seg = f->pos;
         if (f->carry.oom) {
            fatal (f, f->line + 1, "out of memory");
            return -1;
         }
      }
      /* skip runs of plain bytes in a string at once */
      if (in_str && !esc) {
         const char *p = f->buf + f->pos, *end = f->buf + f->len, *q = p;
         while (q < end && *q != '"' && *q != '\\' && *q != '\n') {
            q++;
         }
         if (q > p) {
            f->pos += (size_t) (q - p);
            continue;
         }
      }
      char c = f->buf[f->pos++];
      if (c == '\n') {
         f->line++;
         f->col = 0;
         f->col_pos = f->pos;
      }
      if (in_str) {
         if (c == '\n') {
            fatal (f, start_line, "a string in the %s that starts on this line runs past the end of line %lld", what,
                   (long long) f->line);
            return -1;
         }
         if (esc) {
            esc = false;
         } else if (c == '\\') {
            esc = true;
         } else if (c == '"') {
            in_str = false;
         }
         continue;
      }
      if (f->shape == 0) {
         if (isspace ((unsigned char) c)) {
            continue;
         }
         if (c == '[') {
            f->shape = '[';
            what = "JSON array element";
            continue;
         }
         if (c != '{') {
            char shown_c[24];
            fatal (f, f->line + 1,
                   "a JSON file must hold an array of documents or documents one after another, not start with %s "
                   "(for one document per line use FORMAT NDJSON)",
                   shown_char (c, shown_c, sizeof shown_c));
            return -1;
         }
         f->shape = '{';
         what = "JSON document";
      }
      if (f->shape == '[' && f->array_done) {
         if (!isspace ((unsigned char) c)) {
            fatal (f, f->line + 1, "text after the end of the JSON array");
            return -1;
         }
         continue;
      }
      if (isspace ((unsigned char) c)) {
         continue;
      }
      if (f->shape == '{' && depth == 0 && c != '{') {
         char shown_c[24];
         fatal (f, f->line + 1, "%s between the JSON documents: each must start with '{'",
                shown_char (c, shown_c, sizeof shown_c));
         return -1;
      }
      if (f->shape == '[' && depth == 0 && (c == ',' || c == ']')) {
         if (c == ']') {
            f->array_done = true;
            if (!started) {
               if (f->elements > 0) {
                  fatal (f, f->line + 1, "a ',' before the ']' that closes the JSON array");
                  return -1;
               }
               return 0; /* [] */
            }
         } else if (!started) {
            fatal (f, f->line + 1, "an empty element in the JSON array");
            return -1;
         }
         stop = f->pos - 1; /* the ',' or ']' is not part of the element */
         f->elements++;
         break;
      }
      if (!started) {
         started = true;
         start_line = f->line + 1;
         seg = f->pos - 1;
         start_col = json_column (f, seg);
      }
      if (c == '"') {
         in_str = true;
      } else if (c == '{' || c == '[') {
         if (depth < MAX_DEPTH) {
            stack[depth] = c;
         }
         depth++;
      } else if (c == '}' || c == ']') {
         if (depth == 0 || (depth <= MAX_DEPTH && stack[depth - 1] != (c == '}' ? '{' : '['))) {
            fatal (f, f->line + 1, "'%c' does not close what is open in the %s that starts on line %lld", c, what,
                   (long long) start_line);
            return -1;
         }
         if (--depth == 0 && f->shape == '{') {
            stop = f->pos; /* the document is whole */
            break;
         }
      }
   }
   /* the record: buf[seg..stop), after what carry holds */
   size_t n = stop - seg;
   if (!oversize && f->carry.len + n > MAX_RECORD) {
      oversize = true;
   }
   if (oversize) {
      bql_buf_reset (&f->carry);
      r->data = "";
      r->len = 0;
   } else if (f->carry.len == 0) {
      r->data = f->buf + seg;
      r->len = n;
   } else {
      bql_buf_append (&f->carry, f->buf + seg, n);
      if (f->carry.oom) {
         fatal (f, start_line, "out of memory");
         return -1;
      }
      r->data = f->carry.data;
      r->len = f->carry.len;
   }
   r->line = start_line;
   r->col = start_col;
   r->oversize = oversize;
   return 1;
}

/* The line and column of byte off of record r. */
static void
record_position (const record_t *r, size_t off, int64_t *line, int64_t *col)
{
   *line = r->line;
   size_t from = 0;
   for (size_t i = 0; i < off; i++) {
      if (r->data[i] == '\n') {
         (*line)++;
         from = i + 1;
      }
   }
   *col = (from == 0 ? r->col : 1) + (int64_t) bql_utf8_chars (r->data + from, off - from);
}

static bql_row_rc_t
json_next (file_source_t *f, bson_t *doc)
{
   if (f->base.failed || f->base.cancelled) {
      return BQL_ROW_ERROR;
   }
   if (f->input_done) {
      return BQL_ROW_END;
   }
   if (f->rows_cb) {
      /* the program's rows: each document is one NDJSON record */
      bql_error_t e;
      bql_error_clear (&e);
      bson_reinit (doc);
      if (!f->x->xo.next_row (f->x->xo.next_row_ctx, doc, &e)) {
         if (e.domain == BQL_ERROR_NONE) {
            f->input_done = true;
            return BQL_ROW_END;
         }
         if (e.code == BQL_ERR_OK) {
            e.code = BQL_ERR_IO;
         }
         if (!e.message[0]) {
            snprintf (e.message, sizeof e.message, "next_row failed after row %lld", (long long) f->rownum);
         }
         f->base.failed = true;
         f->base.error = e;
         return BQL_ROW_ERROR;
      }
      f->rownum++;
      f->rowline = f->rownum;
      return BQL_ROW_OK;
   }
   int r = f->fo.format == BQL_FMT_NDJSON ? ndjson_record (f, &f->cur) : json_record (f, &f->cur);
   if (r < 0) {
      return BQL_ROW_ERROR;
   }
   if (r == 0) {
      f->input_done = true;
      return BQL_ROW_END;
   }
   f->rownum++;
   f->rowline = f->cur.line;
   if (f->cur.oversize) {
      why (f, f->cur.line, "the %s is longer than 64 MiB",
           f->fo.format == BQL_FMT_NDJSON ? "line" : f->shape == '[' ? "element" : "document");
      return BQL_ROW_FAILED;
   }
   bql_json_error_t err;
   if (bql_json_parse_document (f->cur.data, f->cur.len, doc, &err)) {
      return BQL_ROW_OK;
   }
   if (err.code == BQL_JSON_TRAILING || err.code == BQL_JSON_BAD_DATE || err.code == BQL_JSON_BAD_VALUE) {
      int64_t line, col;
      record_position (&f->cur, err.offset, &line, &col);
      int n = snprintf (f->why, sizeof f->why, "line %lld, column %lld: ", (long long) line, (long long) col);
      f->why_text = f->why + n;
      snprintf (f->why + n, sizeof f->why - (size_t) n, "%s", err.message);
   } else {
      why (f, f->cur.line, "%s", err.message);
   }
   return BQL_ROW_FAILED;
}

/* Type the listed columns of a document read from JSON: the value at each
 * listed path is converted in place; other fields and the field order
 * stay as read. */
static bool
retype (file_source_t *f, const bson_t *src, bson_t *dst, const bql_layout_t *node)
{
   bson_iter_t it;
   if (!bson_iter_init (&it, src)) {
      return false;
   }
   while (bson_iter_next (&it)) {
      const char *k = bson_iter_key (&it);
      const bql_layout_t *kid = bql_layout_find (node, k, strlen (k));
      if (!kid) {
         bson_append_iter (dst, NULL, 0, &it);
      } else if (kid->col >= 0) {
         const bql_column_t *col = &f->cols->cols[kid->col];
         bson_value_t v;
         bson_value_copy (bson_iter_value (&it), &v);
         char err[300];
         if (!bql_column_convert_value (col, &v, err, sizeof err)) {
            why (f, f->rowline, "column %s: %s", col->path, err);
            bson_value_destroy (&v);
            return false;
         }
         bson_append_value (dst, k, -1, &v);
         bson_value_destroy (&v);
      } else if (BSON_ITER_HOLDS_DOCUMENT (&it)) {
         uint32_t len;
         const uint8_t *data;
         bson_iter_document (&it, &len, &data);
         bson_t sub, out;
         bson_init_static (&sub, data, len);
         bson_append_document_begin (dst, k, -1, &out);
         bool ok = retype (f, &sub, &out, kid);
         bson_append_document_end (dst, &out);
         if (!ok) {
            return false;
         }
      } else {
         bson_append_iter (dst, NULL, 0, &it); /* not a document: the path does not apply */
      }
   }
   return true;
}

static bool
type_json_columns (file_source_t *f, bson_t *doc)
{
   if (!f->typed) {
      return true;
   }
   bson_t out = BSON_INITIALIZER;
   bool ok = retype (f, doc, &out, &f->cols->root);
   if (ok) {
      bson_reinit (doc);
      bson_concat (doc, &out);
   }
   bson_destroy (&out);
   return ok;
}

/* ---- the source ---- */

static bql_row_rc_t
file_next (bql_source_t *s, bson_t *doc, int64_t *rownum, const char **reason)
{
   file_source_t *f = (file_source_t *) s;
   bql_row_rc_t rc;
   bool json = f->fo.format == BQL_FMT_NDJSON || f->fo.format == BQL_FMT_JSON;
   rc = json ? json_next (f, doc) : csv_next (f, doc);
   *rownum = f->rownum;
   *reason = f->why;
   f->base.line = f->rowline;
   if (!f->gzip) {
      /* the bytes consumed, not those read ahead into buf: progress */
      f->base.bytes_read = f->read_total - (int64_t) (f->len - f->pos);
   }
   if (rc != BQL_ROW_OK) {
      return rc;
   }
   if (json && !type_json_columns (f, doc)) {
      return BQL_ROW_FAILED;
   }
   char path[480];
   path[0] = '\0';
   if ((json || f->json_cols) && !keys_ok (f, doc, path, 0, 0)) {
      bson_reinit (doc); /* such a document cannot be logged either */
      return BQL_ROW_FAILED;
   }
   if (doc->len > MAX_DOC) {
      why (f, f->rowline, "the document is %u bytes, larger than the 16 MiB limit of the server (maxBsonObjectSize)",
           (unsigned) doc->len);
      bson_reinit (doc); /* too large to log */
      return BQL_ROW_FAILED;
   }
   if (f->plan->check) {
      bql_error_t err;
      bql_error_clear (&err);
      size_t source_len;
      const char *source = bql_script_source (f->plan->script, &source_len);
      bql_planner_t pl = {f->plan, source, source_len, &err, NULL};
      f->rc.row = doc;
      bool pass, is_null;
      if (bql_eval_condition (&pl, &f->rc, f->plan->check, &pass, &is_null) != BQL_EVAL_OK) {
         why (f, f->rowline, "CHECK: %s", err.message);
         return BQL_ROW_FAILED;
      }
      if (!pass && !is_null) {
         int len = (int) f->plan->check->length;
         why (f, f->rowline, "CHECK (%.*s) failed", len, bql_script_source (f->plan->script, NULL) + f->plan->check->location);
         return BQL_ROW_FAILED;
      }
   }
   return BQL_ROW_OK;
}

static void
file_destroy (bql_source_t *s)
{
   file_source_t *f = (file_source_t *) s;
   if (f->zs_ready) {
      inflateEnd (&f->zs);
   }
   if (f->fd >= 0 && !f->fd_borrowed) {
      close (f->fd);
   }
   bson_free (f->raw);
   if (f->csv_ready) {
      csv_free (&f->csv);
   }
   bql_columns_cleanup (&f->own_cols);
   bql_buf_cleanup (&f->carry);
   bql_buf_cleanup (&f->fields_buf);
   bson_free (f->fields);
   bql_buf_cleanup (&f->sample_buf);
   bson_free (f->sample);
   bson_free (f->sample_fields);
   bson_free (f->vals);
   bson_free (f->buf);
   bql_file_opts_cleanup (&f->fo);
   bson_free (f);
}

/* An error before the first row (the file cannot be opened or is not
 * what COMPRESSION says), located at the FROM clause. */
static bql_source_t *
open_failed (file_source_t *f, const char *fmt, const char *a, const char *b)
{
   bql_error_t *e = &f->base.error;
   bql_error_clear (e);
   e->domain = BQL_ERROR_EXECUTE;
   e->code = BQL_ERR_IO;
   snprintf (e->message, sizeof e->message, fmt, a, b);
   locate_at_source (f->plan, e);
   bql_exec_fail_with (f->x, e);
   file_destroy (&f->base);
   return NULL;
}

bql_source_t *
bql_source_file_new (bql_exec_t *x)
{
   const bql_plan_t *plan = x->plan;
   const bql_FileSource_t *fsn = plan->file;
   file_source_t *f = bson_malloc0 (sizeof *f);
   f->base.next = file_next;
   f->base.destroy = file_destroy;
   f->base.bytes_total = -1;
   f->base.rows_total = -1;
   f->x = x;
   f->plan = plan;
   f->fd = -1;
   bql_buf_init (&f->carry);
   bql_buf_init (&f->fields_buf);
   bql_buf_init (&f->sample_buf);
   /* the path resolved against the script's folder (bql_plan_options_t) */
   const char *path = plan->file_path ? plan->file_path : fsn->path;
   snprintf (f->name, sizeof f->name, "%s", fsn->is_stdin ? "<stdin>" : path);

   bql_error_t perr;
   bql_error_clear (&perr);
   size_t source_len;
   const char *source = bql_script_source (plan->script, &source_len);
   bql_planner_t pl = {plan, source, source_len, &perr, NULL};
   if (!bql_file_options_resolve (&pl, fsn, &f->fo)) {
      return open_failed (f, "%s%s", perr.message, "");
   }
   if (fsn->is_stdin && x->xo.next_row) {
      /* rows from the program (bql_exec_options_t.next_row) */
      if (f->fo.format != BQL_FMT_NDJSON && f->fo.format != BQL_FMT_JSON) {
         return open_failed (f, "%s%s", "rows from next_row are documents: write FROM STDIN FORMAT NDJSON", "");
      }
      f->rows_cb = true;
   } else if (fsn->is_stdin && x->xo.stdin_stream) {
      /* the caller's stream, read through stdio (not its descriptor) */
      f->stream = x->xo.stdin_stream;
   } else if (fsn->is_stdin) {
      f->fd = STDIN_FILENO;
      f->fd_borrowed = true;
      struct stat stt;
      f->waits = fstat (f->fd, &stt) != 0 || !S_ISREG (stt.st_mode);
   } else {
      f->fd = open (path, O_RDONLY | O_CLOEXEC);
      if (f->fd < 0) {
         return open_failed (f, "cannot open '%s': %s", path, strerror (errno));
      }
      struct stat stt;
      if (fstat (f->fd, &stt) == 0 && S_ISDIR (stt.st_mode)) {
         return open_failed (f, "cannot read '%s': %s", path, "it is a directory");
      }
      if (fstat (f->fd, &stt) == 0 && S_ISREG (stt.st_mode)) {
         f->base.bytes_total = (int64_t) stt.st_size;
      } else {
         f->waits = true; /* a FIFO, a device */
      }
   }
   f->buf = bson_malloc (CHUNK);
   f->raw = bson_malloc (CHUNK);
   if (!f->waits && !f->stream && !f->rows_cb) {
      /* a regular file: gzip or not is known now (a pipe or a terminal
       * is looked at when its first bytes come, on the reader's thread) */
      bool not_gzip;
      if (!detect_gzip (f, &not_gzip)) {
         bql_error_t e = f->base.error;
         if (!f->base.failed) {
            e.domain = BQL_ERROR_EXECUTE; /* cancelled before the first read */
            e.code = BQL_ERR_ABORTED;
            locate_at_source (f->plan, &e);
         }
         bql_exec_fail_with (f->x, &e);
         file_destroy (&f->base);
         return NULL;
      }
      if (not_gzip) {
         char msg[300];
         not_gzip_message (f, msg, sizeof msg);
         return open_failed (f, "%s%s", msg, "");
      }
   }
   f->skip = f->fo.skip_lines;
   if (plan->cols && plan->cols->n) {
      f->cols = plan->cols;
      for (size_t i = 0; i < plan->cols->n; i++) {
         if (plan->cols->cols[i].type != BQL_COL_AUTO) {
            f->typed = true;
         }
         if (plan->cols->cols[i].type == BQL_COL_JSON) {
            f->json_cols = true;
         }
      }
   }
   f->header_pending = (f->fo.format == BQL_FMT_CSV || f->fo.format == BQL_FMT_TSV) && f->fo.header;
   if (f->fo.format == BQL_FMT_CSV || f->fo.format == BQL_FMT_TSV) {
      csv_reset (f);
   }
   bql_plan_row_ctx (plan, NULL, &f->rc);
   f->rc.bare_is_row = true;
   f->rc.missing_is_null = true;
   return &f->base;
}

/* EXPLAIN's look at a CSV or TSV file (declared weak in explain.c, which
 * is also built without the file readers): the columns a load of this
 * plan reads, with the types inferred from the sample exactly as the load
 * infers them. Only a regular file that can be read now is read (never
 * STDIN, a FIFO or a device); nothing is written. out is initialised
 * here and owned by the caller (bql_columns_cleanup) when true is
 * returned; false when the source is not a readable CSV/TSV file or its
 * header cannot be read. */
bool bql_file_sniff_columns (const bql_plan_t *plan, bql_columns_t *out);

bool
bql_file_sniff_columns (const bql_plan_t *plan, bql_columns_t *out)
{
   memset (out, 0, sizeof *out);
   out->root.col = -1;
   struct stat st;
   if (!plan || !plan->file || plan->file->is_stdin || !plan->file->path || stat (plan->file->path, &st) != 0 ||
       !S_ISREG (st.st_mode) || access (plan->file->path, R_OK) != 0) {
      return false; /* a FIFO or a device could keep EXPLAIN waiting */
   }
   bql_error_t err;
   bql_error_clear (&err);
   bql_exec_t *x = bson_malloc0 (sizeof *x);
   x->plan = plan;
   x->error = &err;
   file_source_t *f = (file_source_t *) bql_source_file_new (x);
   bool ok = f && (f->fo.format == BQL_FMT_CSV || f->fo.format == BQL_FMT_TSV);
   if (ok && f->header_pending) {
      f->header_pending = false;
      ok = csv_next_row (f) == 1 && setup_header (f);
   }
   ok = ok && take_sample (f) && f->cols;
   for (size_t i = 0; ok && i < f->cols->n; i++) {
      const bql_column_t *c = &f->cols->cols[i];
      char e[300];
      ok = bql_columns_add (out, c->path, c->type, e, sizeof e);
      if (ok) {
         out->cols[i].inferred = c->inferred;
         out->cols[i].node = c->node;
         out->cols[i].format = c->format ? bson_strdup (c->format) : NULL;
      }
   }
   if (f) {
      file_destroy (&f->base);
   }
   bson_free (x);
   if (!ok) {
      bql_columns_cleanup (out);
   }
   return ok;
}
