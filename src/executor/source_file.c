/*
 * source_file.c — rows from FROM 'path' and FROM STDIN (SPEC §4): CSV and
 * TSV through libcsv, NDJSON and JSON arrays through libbson's streaming
 * JSON reader (Extended JSON accepted), each optionally gzip-compressed
 * (zlib). The input is read in chunks, so memory stays bounded whatever
 * the file size.
 *
 * Records are handed to the parsers one at a time (a line, or one element
 * of a JSON array), which gives every row its line number and lets a bad
 * record become a failed row while the next one is read normally. A row
 * that cannot be read or converted, or fails CHECK, is returned as FAILED
 * with the reason; a truncated gzip stream or an unreadable file is a
 * fatal error naming the line.
 */
#include <csv.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "columns.h"
#include "executor.h"

#define CHUNK (1 << 20)
#define MAX_RECORD (64 << 20) /* a single line or element larger than this fails */

typedef struct {
   size_t off;
   size_t len;
   bool null;
} field_t;

typedef struct {
   bql_source_t base;
   bql_exec_t *x;
   const bql_plan_t *plan;
   bql_file_opts_t fo;
   char name[512];

   /* input */
   int fd;
   FILE *fp;
   gzFile gz;
   char *buf;
   size_t len, pos;
   bool eof;
   bool stop;          /* cancelled while a read waited */
   int64_t read_total; /* bytes read into buf so far (not gzip) */
   bql_buf_t carry;    /* a line that spans chunks */
   int64_t line;       /* lines read so far */

   /* columns */
   bql_columns_t own_cols;
   const bql_columns_t *cols;
   bool header_pending;
   int64_t skip;

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

   /* JSON */
   bson_json_reader_t *jr;
   const char *feed;
   size_t feed_len;
   bool array_started, array_done;
   int64_t element;

   int64_t rownum;
   char why[1024];
   bql_row_ctx_t rc;
} file_source_t;

static bool
fatal (file_source_t *f, const char *fmt, const char *detail)
{
   char msg[1536];
   snprintf (msg, sizeof msg, fmt, detail);
   bql_exec_fail (f->x, BQL_ERR_IO, 0, "%s:%lld: %s", f->name, (long long) (f->line ? f->line : 1), msg);
   return false;
}

/* The caller cancelled while a read waited: stop the statement as after
 * a batch (x->stopped, reported as BQL_ERR_ABORTED), and end the input as
 * a fatal error does, so that the partial batch is not written. */
static bool
cancelled (file_source_t *f)
{
   f->x->stopped = true;
   f->stop = true;
   f->eof = true;
   snprintf (f->x->stop_reason, sizeof f->x->stop_reason, "cancelled while reading %.100s, after %lld batch%s", f->name,
             (long long) f->x->batches, f->x->batches == 1 ? "" : "es");
   return false;
}

/* Put "prefix" (formatted) in front of the reason in f->why. */
static void
prefix_why (file_source_t *f, const char *fmt, long long a, long long b)
{
   char prefix[96];
   int n = snprintf (prefix, sizeof prefix, fmt, a, b);
   if (n < 0 || (size_t) n >= sizeof prefix) {
      return;
   }
   size_t len = strlen (f->why);
   if (len + (size_t) n >= sizeof f->why) {
      len = sizeof f->why - (size_t) n - 1;
   }
   memmove (f->why + n, f->why, len);
   f->why[len + (size_t) n] = '\0';
   memcpy (f->why, prefix, (size_t) n);
}

/* ---- reading ---- */

/* Refill the chunk buffer; false at the end, on error (f->x->fatal) or
 * when cancelled while waiting (f->stop). */
static bool
fill (file_source_t *f)
{
   if (f->eof) {
      return false;
   }
   ssize_t n;
   if (f->gz) {
      n = gzread (f->gz, f->buf, CHUNK);
      if (n < 0 && errno == EINTR && f->x->xo.cancel && *f->x->xo.cancel) {
         return cancelled (f);
      }
      if (n < 0 || (n == 0 && !gzeof (f->gz))) {
         int err;
         const char *m = gzerror (f->gz, &err);
         return fatal (f, "cannot read the gzip stream: %s", m);
      }
      if (n == 0) {
         /* gzread reports a truncated stream at its end */
         int err;
         const char *m = gzerror (f->gz, &err);
         if (err != Z_OK && err != Z_STREAM_END) {
            return fatal (f, "truncated or corrupt gzip stream: %s", m);
         }
      }
      f->base.bytes_read = (int64_t) gzoffset (f->gz);
   } else {
      /* A signal interrupts a read that waits (a terminal or a pipe):
       * when it was the caller's cancel (Ctrl-C in bulkql), the statement
       * stops here, before the rows read so far are written; any other
       * signal just restarts the read. */
      while ((n = read (f->fd, f->buf, CHUNK)) < 0 && errno == EINTR) {
         if (f->x->xo.cancel && *f->x->xo.cancel) {
            return cancelled (f);
         }
      }
      if (n < 0) {
         return fatal (f, "cannot read: %s", strerror (errno));
      }
      f->read_total += n;
   }
   if (n == 0) {
      f->eof = true;
      return false;
   }
   f->len = (size_t) n;
   f->pos = 0;
   return true;
}

/* The next line without its line ending; false at the end of input or on
 * a fatal error. */
static bool
next_line (file_source_t *f, const char **line, size_t *len)
{
   bql_buf_reset (&f->carry);
   bool carrying = false;
   for (;;) {
      if (f->pos >= f->len) {
         if (!fill (f)) {
            if (f->x->fatal || f->stop) {
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
      if (nl) {
         size_t n = (size_t) (nl - start);
         f->pos += n + 1;
         if (!carrying) {
            *line = start;
            *len = n;
            f->line++;
            if (*len && (*line)[*len - 1] == '\r') {
               (*len)--;
            }
            return true;
         }
         bql_buf_append (&f->carry, start, n);
         break;
      }
      if (f->carry.len + (f->len - f->pos) > MAX_RECORD) {
         return fatal (f, "%s", "a line longer than 64 MiB");
      }
      bql_buf_append (&f->carry, start, f->len - f->pos);
      f->pos = f->len;
      carrying = true;
   }
   if (f->carry.oom) {
      return fatal (f, "%s", "out of memory");
   }
   f->line++;
   *line = f->carry.data ? f->carry.data : "";
   *len = f->carry.len;
   if (*len && (*line)[*len - 1] == '\r') {
      (*len)--;
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

static void
csv_reset (file_source_t *f)
{
   if (f->csv_ready) {
      csv_free (&f->csv);
   }
   csv_init (&f->csv, CSV_STRICT | CSV_STRICT_FINI | CSV_EMPTY_IS_NULL);
   csv_set_delim (&f->csv, (unsigned char) f->fo.delimiter);
   csv_set_quote (&f->csv, (unsigned char) f->fo.quote);
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
   clear_row (f);
   while (!f->row_done) {
      if (!next_line (f, &line, &len)) {
         if (f->x->fatal || f->stop) {
            return -2;
         }
         if (f->in_row) {
            if (csv_fini (&f->csv, csv_field, csv_row, f) != 0) {
               snprintf (f->why, sizeof f->why, "line %lld: unterminated quoted field at the end of the input",
                         (long long) f->row_line);
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
         if (len == 0) {
            continue; /* blank line */
         }
         f->row_line = f->line;
         f->in_row = true;
      }
      if (f->fields_buf.len + len > MAX_RECORD) {
         snprintf (f->why, sizeof f->why, "line %lld: row longer than 64 MiB", (long long) f->row_line);
         csv_reset (f);
         clear_row (f);
         return -1;
      }
      size_t used = csv_parse (&f->csv, line, len, csv_field, csv_row, f);
      if (used == len) {
         used = csv_parse (&f->csv, "\n", 1, csv_field, csv_row, f) == 1 ? len : len + 1;
      }
      if (used != len || csv_error (&f->csv) != CSV_SUCCESS) {
         snprintf (f->why, sizeof f->why, "line %lld: bad quoting (%s)", (long long) f->line,
                   csv_strerror (csv_error (&f->csv)));
         csv_reset (f);
         clear_row (f);
         return -1;
      }
   }
   if (f->row_overflow) {
      snprintf (f->why, sizeof f->why, "line %lld: a carriage return inside a line", (long long) f->row_line);
      clear_row (f);
      return -1;
   }
   return 1;
}

/* A text field of an untyped column: integers and decimals become
 * numbers; anything else (including "00123" or "1e5x") stays text. */
static bool
infer (const char *s, size_t len, bson_value_t *out)
{
   size_t i = 0;
   bool neg = len > 1 && (s[0] == '-' || s[0] == '+');
   if (neg) {
      i = 1;
   }
   size_t digits = 0;
   while (i < len && isdigit ((unsigned char) s[i])) {
      i++;
      digits++;
   }
   if (digits == 0 || (digits > 1 && s[neg ? 1 : 0] == '0')) {
      return false;
   }
   if (i == len) {
      char tmp[32];
      if (len >= sizeof tmp) {
         return false;
      }
      memcpy (tmp, s, len);
      tmp[len] = '\0';
      errno = 0;
      long long v = strtoll (tmp, NULL, 10);
      if (errno) {
         return false;
      }
      if (v >= INT32_MIN && v <= INT32_MAX) {
         out->value_type = BSON_TYPE_INT32;
         out->value.v_int32 = (int32_t) v;
      } else {
         out->value_type = BSON_TYPE_INT64;
         out->value.v_int64 = v;
      }
      return true;
   }
   if (s[i] != '.') {
      return false;
   }
   i++;
   size_t frac = 0;
   while (i < len && isdigit ((unsigned char) s[i])) {
      i++;
      frac++;
   }
   if (frac == 0 || i != len) {
      return false;
   }
   char tmp[64];
   if (len >= sizeof tmp) {
      return false;
   }
   memcpy (tmp, s, len);
   tmp[len] = '\0';
   out->value_type = BSON_TYPE_DOUBLE;
   out->value.v_double = strtod (tmp, NULL);
   return true;
}

static bool
setup_header (file_source_t *f)
{
   for (size_t i = 0; i < f->nfields; i++) {
      const char *name = f->fields_buf.data + f->fields[i].off;
      char err[300];
      if (f->fields[i].null || !*name) {
         snprintf (err, sizeof err, "column %zu of the header has no name", i + 1);
         return fatal (f, "%s", err);
      }
      if (!bson_utf8_validate (name, f->fields[i].len, false)) {
         return fatal (f, "%s", "the header is not valid UTF-8");
      }
      if (!bql_columns_add (&f->own_cols, name, BQL_COL_AUTO, err, sizeof err)) {
         return fatal (f, "header: %s", err);
      }
   }
   f->cols = &f->own_cols;
   return true;
}

static bql_row_rc_t
csv_next (file_source_t *f, bson_t *doc)
{
   for (;;) {
      int r = csv_next_row (f);
      if (r == 0) {
         return BQL_ROW_END;
      }
      if (r == -2) {
         return BQL_ROW_ERROR;
      }
      if (f->header_pending) {
         f->header_pending = false;
         if (r < 0) {
            fatal (f, "%s", f->why);
            return BQL_ROW_ERROR;
         }
         if (!f->cols) {
            if (!setup_header (f)) {
               return BQL_ROW_ERROR;
            }
         }
         continue;
      }
      f->rownum++;
      if (r < 0) {
         return BQL_ROW_FAILED;
      }
      if (!f->cols) {
         fatal (f, "%s", "a CSV file without a header needs a column list");
         return BQL_ROW_ERROR;
      }
      size_t ncols = f->cols->n;
      if (f->nfields != ncols) {
         snprintf (f->why, sizeof f->why, "line %lld: %zu field%s, expected %zu", (long long) f->row_line, f->nfields,
                   f->nfields == 1 ? "" : "s", ncols);
         return BQL_ROW_FAILED;
      }
      bson_value_t vals[ncols ? ncols : 1];
      size_t made = 0;
      bool ok = true;
      for (size_t i = 0; i < ncols && ok; i++) {
         const field_t *fd = &f->fields[i];
         const char *s = f->fields_buf.data + fd->off;
         bson_value_t *v = &vals[i];
         memset (v, 0, sizeof *v);
         if (fd->null || (f->fo.null_string && !strcmp (s, f->fo.null_string))) {
            v->value_type = BSON_TYPE_NULL;
         } else {
            bql_coltype_t t = f->cols->cols[i].type;
            char err[300];
            if (t == BQL_COL_AUTO && infer (s, fd->len, v)) {
               /* a number */
            } else if (!bql_convert_text (t, s, fd->len, v, err, sizeof err)) {
               snprintf (f->why, sizeof f->why, "line %lld, column %s: %s", (long long) f->row_line,
                         f->cols->cols[i].path, err);
               ok = false;
               break;
            }
         }
         made++;
      }
      if (ok) {
         bql_columns_emit (f->cols, doc, vals);
      }
      for (size_t i = 0; i < made; i++) {
         bson_value_destroy (&vals[i]);
      }
      return ok ? BQL_ROW_OK : BQL_ROW_FAILED;
   }
}

/* ---- JSON ---- */

static ssize_t
json_feed (void *handle, uint8_t *out, size_t len)
{
   file_source_t *f = handle;
   size_t n = f->feed_len < len ? f->feed_len : len;
   memcpy (out, f->feed, n);
   f->feed += n;
   f->feed_len -= n;
   return (ssize_t) n;
}

static void
json_reset (file_source_t *f)
{
   if (f->jr) {
      bson_json_reader_destroy (f->jr);
   }
   f->jr = bson_json_reader_new (f, json_feed, NULL, true, 64 * 1024);
}

/* Parse one record (a line, an array element) into doc. */
static bool
json_record (file_source_t *f, const char *rec, size_t len, bson_t *doc)
{
   bson_error_t err;
   f->feed = rec;
   f->feed_len = len;
   int r = bson_json_reader_read (f->jr, doc, &err);
   if (r == 1 && f->feed_len == 0) {
      /* a second document on the same record? */
      bson_t extra = BSON_INITIALIZER;
      int r2 = bson_json_reader_read (f->jr, &extra, &err);
      bson_destroy (&extra);
      if (r2 == 0) {
         return true;
      }
      snprintf (f->why, sizeof f->why, "more than one JSON document");
      json_reset (f);
      return false;
   }
   if (r == 1) {
      snprintf (f->why, sizeof f->why, "more than one JSON document");
   } else if (r == 0) {
      snprintf (f->why, sizeof f->why, "not a JSON document");
   } else {
      snprintf (f->why, sizeof f->why, "invalid JSON: %s", err.message);
   }
   json_reset (f);
   return false;
}

/* Type the listed columns of a document read from JSON. */
static bool
type_json_columns (file_source_t *f, bson_t *doc)
{
   if (!f->cols || !f->cols->n) {
      return true;
   }
   bool any = false;
   for (size_t i = 0; i < f->cols->n; i++) {
      if (f->cols->cols[i].type != BQL_COL_AUTO) {
         any = true;
      }
   }
   if (!any) {
      return true;
   }
   /* rebuild with converted values at the listed (top-level or dotted) paths */
   size_t n = f->cols->n;
   bson_value_t vals[n];
   bson_iter_t it, child;
   for (size_t i = 0; i < n; i++) {
      memset (&vals[i], 0, sizeof vals[i]);
      vals[i].value_type = BSON_TYPE_EOD;
      if (bson_iter_init (&it, doc) && bson_iter_find_descendant (&it, f->cols->cols[i].path, &child)) {
         bson_value_copy (bson_iter_value (&child), &vals[i]);
         char err[300];
         if (!bql_convert_value (f->cols->cols[i].type, &vals[i], err, sizeof err)) {
            snprintf (f->why, sizeof f->why, "line %lld, column %s: %s", (long long) f->line, f->cols->cols[i].path, err);
            for (size_t k = 0; k <= i; k++) {
               bson_value_destroy (&vals[k]);
            }
            return false;
         }
      }
   }
   bson_t out = BSON_INITIALIZER;
   bql_columns_emit (f->cols, &out, vals);
   /* keep the fields the column list does not name */
   bson_iter_init (&it, doc);
   while (bson_iter_next (&it)) {
      if (!bson_has_field (&out, bson_iter_key (&it))) {
         bson_append_iter (&out, NULL, 0, &it);
      }
   }
   for (size_t k = 0; k < n; k++) {
      bson_value_destroy (&vals[k]);
   }
   bson_reinit (doc);
   bson_concat (doc, &out);
   bson_destroy (&out);
   return true;
}

static bql_row_rc_t
ndjson_next (file_source_t *f, bson_t *doc)
{
   const char *line;
   size_t len;
   for (;;) {
      if (!next_line (f, &line, &len)) {
         return f->x->fatal || f->stop ? BQL_ROW_ERROR : BQL_ROW_END;
      }
      if (f->skip > 0) {
         f->skip--;
         continue;
      }
      size_t i = 0;
      while (i < len && isspace ((unsigned char) line[i])) {
         i++;
      }
      if (i == len) {
         continue; /* blank line */
      }
      f->rownum++;
      if (!json_record (f, line, len, doc)) {
         prefix_why (f, "line %lld: %.0lld", (long long) f->line, 0);
         return BQL_ROW_FAILED;
      }
      return BQL_ROW_OK;
   }
}

/* The next element of the top-level array, as bytes in f->carry. 1 = an
 * element, 0 = end, -2 = fatal. Elements are split at depth 0 commas,
 * outside strings. */
static int
array_element (file_source_t *f)
{
   bql_buf_reset (&f->carry);
   int depth = 0;
   bool in_str = false, esc = false, started = false;
   for (;;) {
      if (f->pos >= f->len && !fill (f)) {
         if (f->x->fatal || f->stop) {
            return -2;
         }
         if (!f->array_started) {
            return 0; /* empty input */
         }
         if (!f->array_done) {
            fatal (f, "%s", "the JSON array is not closed");
            return -2;
         }
         return 0;
      }
      char c = f->buf[f->pos++];
      if (c == '\n') {
         f->line++;
      }
      if (f->array_done) {
         if (!isspace ((unsigned char) c)) {
            fatal (f, "%s", "text after the end of the JSON array");
            return -2;
         }
         continue;
      }
      if (!f->array_started) {
         if (isspace ((unsigned char) c)) {
            continue;
         }
         if (c != '[') {
            fatal (f, "%s", "a JSON file must hold an array of documents (use FORMAT NDJSON for one per line)");
            return -2;
         }
         f->array_started = true;
         continue;
      }
      if (in_str) {
         bql_buf_putc (&f->carry, c);
         if (esc) {
            esc = false;
         } else if (c == '\\') {
            esc = true;
         } else if (c == '"') {
            in_str = false;
         }
         continue;
      }
      if (depth == 0 && (c == ',' || c == ']')) {
         if (c == ']') {
            f->array_done = true;
         }
         if (started) {
            return 1;
         }
         if (c == ',') {
            fatal (f, "%s", "an empty element in the JSON array");
            return -2;
         }
         return 0;
      }
      if (!started && isspace ((unsigned char) c)) {
         continue;
      }
      started = true;
      if (f->carry.len > MAX_RECORD) {
         fatal (f, "%s", "an element larger than 64 MiB");
         return -2;
      }
      bql_buf_putc (&f->carry, c);
      if (c == '"') {
         in_str = true;
      } else if (c == '{' || c == '[') {
         depth++;
      } else if (c == '}' || c == ']') {
         depth--;
      }
   }
}

static bql_row_rc_t
json_array_next (file_source_t *f, bson_t *doc)
{
   int r = array_element (f);
   if (r == 0) {
      return BQL_ROW_END;
   }
   if (r < 0) {
      return BQL_ROW_ERROR;
   }
   f->rownum++;
   if (f->carry.data[0] != '{') {
      snprintf (f->why, sizeof f->why, "element %lld (line %lld): not a JSON document", (long long) f->rownum,
                (long long) f->line);
      return BQL_ROW_FAILED;
   }
   if (!json_record (f, f->carry.data, f->carry.len, doc)) {
      prefix_why (f, "element %lld (line %lld): ", (long long) f->rownum, (long long) f->line);
      return BQL_ROW_FAILED;
   }
   return BQL_ROW_OK;
}

/* ---- the source ---- */

static bool
keys_ok (file_source_t *f, const bson_t *doc, int depth)
{
   bson_iter_t it;
   if (depth > 100 || !bson_iter_init (&it, doc)) {
      snprintf (f->why, sizeof f->why, "row %lld: not a valid document", (long long) f->rownum);
      return false;
   }
   while (bson_iter_next (&it)) {
      const char *k = bson_iter_key (&it);
      if (k[0] == '$') {
         snprintf (f->why, sizeof f->why, "row %lld, column %s: a field name cannot start with '$'", (long long) f->rownum, k);
         return false;
      }
      if (BSON_ITER_HOLDS_DOCUMENT (&it) || BSON_ITER_HOLDS_ARRAY (&it)) {
         uint32_t len;
         const uint8_t *data;
         if (BSON_ITER_HOLDS_DOCUMENT (&it)) {
            bson_iter_document (&it, &len, &data);
         } else {
            bson_iter_array (&it, &len, &data);
         }
         bson_t sub;
         if (!bson_init_static (&sub, data, len) || !keys_ok (f, &sub, depth + 1)) {
            return false;
         }
      }
   }
   return true;
}

static bql_row_rc_t
file_next (bql_source_t *s, bson_t *doc, int64_t *rownum, const char **why)
{
   file_source_t *f = (file_source_t *) s;
   bql_row_rc_t rc;
   switch (f->fo.format) {
   case BQL_FMT_CSV:
   case BQL_FMT_TSV:
      rc = csv_next (f, doc);
      break;
   case BQL_FMT_NDJSON:
      rc = ndjson_next (f, doc);
      break;
   default:
      rc = json_array_next (f, doc);
      break;
   }
   *rownum = f->rownum;
   *why = f->why;
   if (!f->gz) {
      /* the bytes consumed, not those read ahead into buf: progress */
      f->base.bytes_read = f->read_total - (int64_t) (f->len - f->pos);
   }
   if (rc == BQL_ROW_OK && (f->fo.format == BQL_FMT_NDJSON || f->fo.format == BQL_FMT_JSON)) {
      if (!keys_ok (f, doc, 0) || !type_json_columns (f, doc)) {
         rc = BQL_ROW_FAILED;
      }
   }
   if (rc == BQL_ROW_OK && doc->len > 16 * 1024 * 1024) {
      snprintf (f->why, sizeof f->why, "row %lld: the document is larger than 16 MiB", (long long) f->rownum);
      rc = BQL_ROW_FAILED;
   }
   if (rc == BQL_ROW_OK && f->plan->check) {
      bql_error_t err;
      bql_error_clear (&err);
      bql_planner_t pl = {(bql_plan_t *) f->plan, f->plan->script->source, f->plan->script->len, &err};
      f->rc.row = doc;
      bool pass, is_null;
      if (bql_eval_condition (&pl, &f->rc, f->plan->check, &pass, &is_null) != BQL_EVAL_OK) {
         snprintf (f->why, sizeof f->why, "row %lld: CHECK: %s", (long long) f->rownum, err.message);
         rc = BQL_ROW_FAILED;
      } else if (!pass && !is_null) {
         int len = (int) f->plan->check->length;
         snprintf (f->why, sizeof f->why, "row %lld: CHECK (%.*s) failed", (long long) f->rownum, len,
                   f->plan->script->source + f->plan->check->location);
         rc = BQL_ROW_FAILED;
      }
   }
   return rc;
}

static void
file_destroy (bql_source_t *s)
{
   file_source_t *f = (file_source_t *) s;
   if (f->gz) {
      gzclose (f->gz);
   } else if (f->fd >= 0 && !f->fp) {
      close (f->fd);
   }
   if (f->csv_ready) {
      csv_free (&f->csv);
   }
   if (f->jr) {
      bson_json_reader_destroy (f->jr);
   }
   bql_columns_cleanup (&f->own_cols);
   bql_buf_cleanup (&f->carry);
   bql_buf_cleanup (&f->fields_buf);
   bson_free (f->fields);
   bson_free (f->buf);
   bql_file_opts_cleanup (&f->fo);
   bson_free (f);
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
   snprintf (f->name, sizeof f->name, "%s", fsn->is_stdin ? "<stdin>" : fsn->path);

   bql_error_t perr;
   bql_error_clear (&perr);
   bql_planner_t pl = {(bql_plan_t *) plan, plan->script->source, plan->script->len, &perr};
   if (!bql_file_options_resolve (&pl, fsn, &f->fo)) {
      bql_exec_fail (x, BQL_ERR_IO, 0, "%s", perr.message);
      bson_free (f);
      return NULL;
   }
   if (fsn->is_stdin) {
      f->fp = x->xo.stdin_stream ? x->xo.stdin_stream : stdin;
      f->fd = fileno (f->fp);
   } else {
      f->fd = open (fsn->path, O_RDONLY | O_CLOEXEC);
      if (f->fd < 0) {
         bql_exec_fail (x, BQL_ERR_IO, 0, "cannot open '%s': %s", fsn->path, strerror (errno));
         file_destroy (&f->base);
         return NULL;
      }
      struct stat stt;
      if (fstat (f->fd, &stt) == 0 && S_ISREG (stt.st_mode)) {
         f->base.bytes_total = (int64_t) stt.st_size;
      }
   }
   if (f->fo.gzip) {
      int fd2 = f->fp ? dup (f->fd) : f->fd;
      f->gz = gzdopen (fd2, "rb");
      if (!f->gz) {
         bql_exec_fail (x, BQL_ERR_IO, 0, "cannot read '%s' as gzip", f->name);
         file_destroy (&f->base);
         return NULL;
      }
      gzbuffer (f->gz, 256 * 1024);
      f->fd = -1;
   }
   f->buf = bson_malloc (CHUNK);
   f->skip = f->fo.skip_lines;
   if (plan->cols && plan->cols->n) {
      f->cols = plan->cols;
   }
   f->header_pending = (f->fo.format == BQL_FMT_CSV || f->fo.format == BQL_FMT_TSV) && f->fo.header;
   if (f->fo.format == BQL_FMT_CSV || f->fo.format == BQL_FMT_TSV) {
      csv_reset (f);
   } else {
      json_reset (f);
   }
   bql_plan_row_ctx (plan, NULL, &f->rc);
   f->rc.bare_is_row = true;
   f->rc.missing_is_null = true;
   return &f->base;
}
