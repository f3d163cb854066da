/*
 * json.c — the records of FORMAT NDJSON (one document per line) and
 * FORMAT JSON (the elements of one top-level array, or documents one
 * after another, concatenated or pretty-printed), and the documents of
 * bql_source_io_t.next_row. Records are cut here, from the input's bytes
 * (input.c), which gives every row the line (and column) it starts on and
 * lets a bad record become a failed row while the next one is read
 * normally; each record is then parsed whole and on its own, where it
 * lies (not copied), by bql_json_record_parse (json_fast.h: simdjson
 * builds the BSON of plain records, bql_json_parse_document over
 * libbson's reader every other Extended JSON record, with the same
 * result): nothing of one record's parse carries over to the next. A structure
 * that cannot be read on (brackets that do not match, an array never
 * closed) is a fatal error naming the line.
 */
#include <ctype.h>
#include <string.h>

#include "file.h"
#include "json_doc.h"

/* The next NDJSON line that is not blank or skipped: 1, 0 at the end,
 * -1 on a fatal error. The line is the record, whole: a document never
 * reads on into the next line. */
static int
ndjson_record (bql_file_source_t *f, bql_record_t *r)
{
   const char *line;
   size_t len;
   bool oversize;
   for (;;) {
      if (!bql_input_next_line (&f->in, &line, &len, &oversize)) {
         return bql_input_stopped (&f->in) ? -1 : 0;
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
      r->line = f->in.line;
      r->col = 1;
      r->oversize = oversize;
      return 1;
   }
}

/* FORMAT JSON: refill the chunk buffer, first counting the characters of
 * the current line that are still in it (for the column of a record). */
static bool
json_fill (bql_file_source_t *f)
{
   if (f->in.len > f->json.col_pos) {
      f->json.col += (int64_t) bql_utf8_chars (f->in.buf + f->json.col_pos, f->in.len - f->json.col_pos);
   }
   bool ok = bql_input_fill (&f->in);
   f->json.col_pos = f->in.pos;
   return ok;
}

/* FORMAT JSON: the 1-based column of buf[at], on the current line. */
static int64_t
json_column (bql_file_source_t *f, size_t at)
{
   f->json.col += (int64_t) bql_utf8_chars (f->in.buf + f->json.col_pos, at - f->json.col_pos);
   f->json.col_pos = at;
   return f->json.col + 1;
}

/* FORMAT JSON: skip_lines lines before the data. False at the end of
 * the input or on a fatal error. */
static bool
json_skip_lines (bql_file_source_t *f)
{
   while (f->skip > 0) {
      if (f->in.pos >= f->in.len && !json_fill (f)) {
         return false;
      }
      const char *nl = memchr (f->in.buf + f->in.pos, '\n', f->in.len - f->in.pos);
      if (!nl) {
         f->in.pos = f->in.len;
         continue;
      }
      f->in.pos = (size_t) (nl - f->in.buf) + 1;
      f->in.line++;
      f->json.col = 0;
      f->json.col_pos = f->in.pos;
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

/* FORMAT JSON: where the cutting of one record stands. */
typedef struct {
   char stack[BQL_SRC_MAX_DEPTH + 1]; /* the brackets open, innermost last */
   int depth;
   bool in_str, esc;
   bool started;       /* the record's first byte was seen */
   bool oversize;      /* longer than BQL_SRC_MAX_RECORD: its bytes are dropped */
   int64_t start_line, start_col;
   size_t seg;         /* where the bytes of the record not yet in carry start in buf */
   size_t stop;        /* where the record ends in buf */
   const char *what;   /* "JSON array element" or "JSON document", for messages */
} json_scan_t;

enum { SCAN_MORE, SCAN_RECORD, SCAN_END, SCAN_FATAL };

/* The chunk buffer is spent: keep the record's bytes so far in carry and
 * read the next chunk. At the end of the input: SCAN_END when no record
 * is open, SCAN_RECORD for an array element complete but for the ']'
 * (it is a row; the error comes next), else SCAN_FATAL (as on a read
 * error or a cancel). */
static int
scan_refill (bql_file_source_t *f, json_scan_t *sc)
{
   bql_input_t *in = &f->in;
   bql_json_t *js = &f->json;
   if (sc->started && !sc->oversize) {
      size_t n = in->len - sc->seg;
      if (in->carry.len + n > BQL_SRC_MAX_RECORD) {
         sc->oversize = true;
         bql_buf_reset (&in->carry);
      } else {
         bql_buf_append (&in->carry, in->buf + sc->seg, n);
      }
      sc->seg = in->len;
   }
   if (!json_fill (f)) {
      if (bql_input_stopped (in)) {
         return SCAN_FATAL;
      }
      if (js->shape == 0 || (js->shape == '[' && js->array_done) || (js->shape == '{' && !sc->started)) {
         return SCAN_END; /* empty input, or the end after the array or the last document */
      }
      if (sc->started && (sc->depth > 0 || js->shape == '{')) {
         bql_input_fatal (in, sc->start_line, "the %s that starts on this line is not closed at the end of the input",
                          sc->what);
      } else if (sc->started) {
         js->unclosed = sc->start_line;
         sc->stop = in->pos;
         js->elements++;
         return SCAN_RECORD;
      } else {
         bql_input_fatal (in, in->line + 1, "the JSON array is not closed at the end of the input");
      }
      return SCAN_FATAL;
   }
   sc->seg = in->pos;
   if (in->carry.oom) {
      bql_input_fatal (in, in->line + 1, "out of memory");
      return SCAN_FATAL;
   }
   return SCAN_MORE;
}

/* The first character that is not a blank decides the shape: '[' an
 * array, '{' a stream of documents; anything else is fatal. SCAN_MORE
 * when c is consumed, SCAN_RECORD when c ('{') starts the first record
 * (and is to be scanned as part of it). */
static int
scan_shape (bql_file_source_t *f, json_scan_t *sc, char c)
{
   if (isspace ((unsigned char) c)) {
      return SCAN_MORE;
   }
   if (c == '[') {
      f->json.shape = '[';
      sc->what = "JSON array element";
      return SCAN_MORE;
   }
   if (c != '{') {
      char shown_c[24];
      bql_input_fatal (&f->in, f->in.line + 1,
                       "a JSON file must hold an array of documents or documents one after another, not start with %s "
                       "(for one document per line use FORMAT NDJSON)",
                       shown_char (c, shown_c, sizeof shown_c));
      return SCAN_FATAL;
   }
   f->json.shape = '{';
   sc->what = "JSON document";
   return SCAN_RECORD;
}

/* One character outside strings, between records or in one: the array's
 * ',' and ']', the brackets that open and close, the start of a record.
 * SCAN_MORE, SCAN_RECORD (the record ends before or at c), SCAN_END (the
 * array is empty) or SCAN_FATAL (a broken structure, naming the line). */
static int
scan_structure (bql_file_source_t *f, json_scan_t *sc, char c)
{
   bql_input_t *in = &f->in;
   bql_json_t *js = &f->json;
   if (js->shape == '[' && js->array_done) {
      if (!isspace ((unsigned char) c)) {
         bql_input_fatal (in, in->line + 1, "text after the end of the JSON array");
         return SCAN_FATAL;
      }
      return SCAN_MORE;
   }
   if (isspace ((unsigned char) c)) {
      return SCAN_MORE;
   }
   if (js->shape == '{' && sc->depth == 0 && c != '{') {
      char shown_c[24];
      bql_input_fatal (in, in->line + 1, "%s between the JSON documents: each must start with '{'",
                       shown_char (c, shown_c, sizeof shown_c));
      return SCAN_FATAL;
   }
   if (js->shape == '[' && sc->depth == 0 && (c == ',' || c == ']')) {
      if (c == ']') {
         js->array_done = true;
         if (!sc->started) {
            if (js->elements > 0) {
               bql_input_fatal (in, in->line + 1, "a ',' before the ']' that closes the JSON array");
               return SCAN_FATAL;
            }
            return SCAN_END; /* [] */
         }
      } else if (!sc->started) {
         bql_input_fatal (in, in->line + 1, "an empty element in the JSON array");
         return SCAN_FATAL;
      }
      sc->stop = in->pos - 1; /* the ',' or ']' is not part of the element */
      js->elements++;
      return SCAN_RECORD;
   }
   if (!sc->started) {
      sc->started = true;
      sc->start_line = in->line + 1;
      sc->seg = in->pos - 1;
      sc->start_col = json_column (f, sc->seg);
   }
   if (c == '"') {
      sc->in_str = true;
   } else if (c == '{' || c == '[') {
      if (sc->depth < BQL_SRC_MAX_DEPTH) {
         sc->stack[sc->depth] = c;
      }
      sc->depth++;
   } else if (c == '}' || c == ']') {
      if (sc->depth == 0 || (sc->depth <= BQL_SRC_MAX_DEPTH && sc->stack[sc->depth - 1] != (c == '}' ? '{' : '['))) {
         bql_input_fatal (in, in->line + 1, "'%c' does not close what is open in the %s that starts on line %lld", c,
                          sc->what, (long long) sc->start_line);
         return SCAN_FATAL;
      }
      if (--sc->depth == 0 && js->shape == '{') {
         sc->stop = in->pos; /* the document is whole */
         return SCAN_RECORD;
      }
   }
   return SCAN_MORE;
}

/* The record cut: buf[seg..stop) after what carry holds, into r (not
 * copied when it lies in the chunk buffer). False on a fatal error. */
static bool
take_record (bql_file_source_t *f, json_scan_t *sc, bql_record_t *r)
{
   bql_input_t *in = &f->in;
   size_t n = sc->stop - sc->seg;
   if (!sc->oversize && in->carry.len + n > BQL_SRC_MAX_RECORD) {
      sc->oversize = true;
   }
   if (sc->oversize) {
      bql_buf_reset (&in->carry);
      r->data = "";
      r->len = 0;
   } else if (in->carry.len == 0) {
      r->data = in->buf + sc->seg;
      r->len = n;
   } else {
      bql_buf_append (&in->carry, in->buf + sc->seg, n);
      if (in->carry.oom) {
         return bql_input_fatal (in, sc->start_line, "out of memory");
      }
      r->data = in->carry.data;
      r->len = in->carry.len;
   }
   r->line = sc->start_line;
   r->col = sc->start_col;
   r->oversize = sc->oversize;
   return true;
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
json_record (bql_file_source_t *f, bql_record_t *r)
{
   bql_input_t *in = &f->in;
   bql_buf_reset (&in->carry);
   if (f->json.unclosed) {
      bql_input_fatal (in, f->json.unclosed,
                       "the JSON array is not closed: no ']' after the element that starts on this line");
      return -1;
   }
   if (f->skip > 0 && !json_skip_lines (f)) {
      return bql_input_stopped (in) ? -1 : 0;
   }
   json_scan_t sc = {.what = f->json.shape == '[' ? "JSON array element" : "JSON document"};
   int step = SCAN_MORE;
   while (step == SCAN_MORE) {
      if (in->pos >= in->len) {
         step = scan_refill (f, &sc);
         continue;
      }
      /* skip runs of plain bytes in a string at once */
      if (sc.in_str && !sc.esc) {
         const char *p = in->buf + in->pos, *end = in->buf + in->len, *q = p;
         while (q < end && *q != '"' && *q != '\\' && *q != '\n') {
            q++;
         }
         if (q > p) {
            in->pos += (size_t) (q - p);
            continue;
         }
      }
      char c = in->buf[in->pos++];
      if (c == '\n') {
         in->line++;
         f->json.col = 0;
         f->json.col_pos = in->pos;
      }
      if (sc.in_str) {
         if (c == '\n') {
            bql_input_fatal (in, sc.start_line,
                             "a string in the %s that starts on this line runs past the end of line %lld", sc.what,
                             (long long) in->line);
            return -1;
         }
         if (sc.esc) {
            sc.esc = false;
         } else if (c == '\\') {
            sc.esc = true;
         } else if (c == '"') {
            sc.in_str = false;
         }
         continue;
      }
      if (f->json.shape == 0 && (step = scan_shape (f, &sc, c)) != SCAN_RECORD) {
         continue;
      }
      step = scan_structure (f, &sc, c);
   }
   if (step != SCAN_RECORD) {
      return step == SCAN_END ? 0 : -1;
   }
   return take_record (f, &sc, r) ? 1 : -1;
}

/* The line and column of byte off of record r. */
static void
record_position (const bql_record_t *r, size_t off, int64_t *line, int64_t *col)
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

/* The program's next row (bql_source_io_t.next_row): each document is
 * one NDJSON record, the n-th "line n". A failure of the program's source
 * is the source's error (code IO unless the program gave one). */
static bql_row_rc_t
program_row (bql_file_source_t *f, bson_t *doc)
{
   bql_error_t e;
   bql_error_clear (&e);
   bson_reinit (doc);
   if (!f->json.next_row (f->json.next_row_ctx, doc, &e)) {
      if (e.domain == BQL_ERROR_NONE) {
         f->json.input_done = true;
         return BQL_ROW_END;
      }
      if (e.code == BQL_ERR_OK) {
         e.code = BQL_ERR_IO;
      }
      if (!e.message[0]) {
         snprintf (e.message, sizeof e.message, "next_row failed after row %lld", (long long) f->rownum);
      }
      f->st->failed = true;
      f->st->error = e;
      return BQL_ROW_ERROR;
   }
   f->rownum++;
   f->rowline = f->rownum;
   return BQL_ROW_OK;
}

/* How many bytes after record r may be read: to the end of what the
 * input's buffer allows (in.buf_readable) when it lies there, else none
 * (a record in carry, or in a buffer of unknown size, is copied by the
 * fast parser). */
static size_t
readable_after (const bql_file_source_t *f, const bql_record_t *r)
{
   uintptr_t buf = (uintptr_t) f->in.buf, at = (uintptr_t) r->data, end = at + r->len;
   if (buf && f->in.buf_readable && at >= buf && end <= buf + f->in.buf_readable) {
      return (size_t) (buf + f->in.buf_readable - end);
   }
   return 0;
}

void
bql_json_cleanup (bql_json_t *js)
{
   bql_json_fast_free (js->fast);
   js->fast = NULL;
}

bql_row_rc_t
bql_json_next (bql_file_source_t *f, bson_t *doc)
{
   f->json.facts.built = f->json.facts.has_id = f->json.facts.names_valid = false;
   if (bql_input_stopped (&f->in)) {
      return BQL_ROW_ERROR;
   }
   if (f->json.input_done) {
      return BQL_ROW_END;
   }
   if (f->json.next_row) {
      return program_row (f, doc);
   }
   int r = f->fo.format == BQL_FMT_NDJSON ? ndjson_record (f, &f->json.cur) : json_record (f, &f->json.cur);
   if (r < 0) {
      return BQL_ROW_ERROR;
   }
   if (r == 0) {
      f->json.input_done = true;
      return BQL_ROW_END;
   }
   f->rownum++;
   f->rowline = f->json.cur.line;
   if (f->json.cur.oversize) {
      bql_file_why (f, f->json.cur.line, "the %s is longer than 64 MiB",
                    f->fo.format == BQL_FMT_NDJSON ? "line" : f->json.shape == '[' ? "element" : "document");
      return BQL_ROW_FAILED;
   }
   if (!f->json.fast) {
      f->json.fast = bql_json_fast_new (); /* NULL (out of memory): libbson's path */
   }
   bql_json_error_t err;
   if (bql_json_record_parse (f->json.fast, f->json.cur.data, f->json.cur.len, readable_after (f, &f->json.cur), doc,
                              &err, &f->json.facts)) {
      return BQL_ROW_OK;
   }
   if (err.code == BQL_JSON_TRAILING || err.code == BQL_JSON_TOO_DEEP || err.code == BQL_JSON_BAD_DATE ||
       err.code == BQL_JSON_BAD_VALUE) {
      int64_t line, col;
      record_position (&f->json.cur, err.offset, &line, &col);
      int n = snprintf (f->why, sizeof f->why, "line %lld, column %lld: ", (long long) line, (long long) col);
      f->why_text = f->why + n;
      snprintf (f->why + n, sizeof f->why - (size_t) n, "%s", err.message);
   } else {
      bql_file_why (f, f->json.cur.line, "%s", err.message);
   }
   return BQL_ROW_FAILED;
}

