/*
 * json.c — the records of FORMAT NDJSON (one document per line) and
 * FORMAT JSON (the elements of one top-level array, or documents one
 * after another, concatenated or pretty-printed), and the documents of
 * bql_source_io_t.next_row. Records are cut here, from the input's bytes
 * (input.c), which gives every row the line (and column) it starts on and
 * lets a bad record become a failed row while the next one is read
 * normally; each record is then parsed whole and on its own as Extended
 * JSON by bql_json_parse_document (json_doc.h, over libbson's reader):
 * nothing of one record's parse carries over to the next. A structure
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
   bql_buf_reset (&f->in.carry);
   if (f->json.unclosed) {
      bql_input_fatal (&f->in, f->json.unclosed, "the JSON array is not closed: no ']' after the element that starts on this line");
      return -1;
   }
   if (f->skip > 0 && !json_skip_lines (f)) {
      return bql_input_stopped (&f->in) ? -1 : 0;
   }
   char stack[BQL_SRC_MAX_DEPTH + 1];
   int depth = 0;
   bool in_str = false, esc = false, started = false, oversize = false;
   int64_t start_line = 0, start_col = 0;
   size_t seg = 0;  /* where the bytes of the record not yet in carry start in buf */
   size_t stop = 0; /* where the record ends in buf */
   const char *what = f->json.shape == '[' ? "JSON array element" : "JSON document";
   for (;;) {
      if (f->in.pos >= f->in.len) {
         if (started && !oversize) {
            size_t n = f->in.len - seg;
            if (f->in.carry.len + n > BQL_SRC_MAX_RECORD) {
               oversize = true;
               bql_buf_reset (&f->in.carry);
            } else {
               bql_buf_append (&f->in.carry, f->in.buf + seg, n);
            }
            seg = f->in.len;
         }
         if (!json_fill (f)) {
            if (bql_input_stopped (&f->in)) {
               return -1;
            }
            if (f->json.shape == 0 || (f->json.shape == '[' && f->json.array_done) || (f->json.shape == '{' && !started)) {
               return 0; /* empty input, or the end after the array or the last document */
            }
            if (started && (depth > 0 || f->json.shape == '{')) {
               bql_input_fatal (&f->in, start_line, "the %s that starts on this line is not closed at the end of the input", what);
            } else if (started) {
               /* a complete element: it is a row; the error comes next */
               f->json.unclosed = start_line;
               stop = f->in.pos;
               f->json.elements++;
               break;
            } else {
               bql_input_fatal (&f->in, f->in.line + 1, "the JSON array is not closed at the end of the input");
            }
            return -1;
         }
         seg = f->in.pos;
         if (f->in.carry.oom) {
            bql_input_fatal (&f->in, f->in.line + 1, "out of memory");
            return -1;
         }
      }
      /* skip runs of plain bytes in a string at once */
      if (in_str && !esc) {
         const char *p = f->in.buf + f->in.pos, *end = f->in.buf + f->in.len, *q = p;
         while (q < end && *q != '"' && *q != '\\' && *q != '\n') {
            q++;
         }
         if (q > p) {
            f->in.pos += (size_t) (q - p);
            continue;
         }
      }
      char c = f->in.buf[f->in.pos++];
      if (c == '\n') {
         f->in.line++;
         f->json.col = 0;
         f->json.col_pos = f->in.pos;
      }
      if (in_str) {
         if (c == '\n') {
            bql_input_fatal (&f->in, start_line, "a string in the %s that starts on this line runs past the end of line %lld", what,
                   (long long) f->in.line);
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
      if (f->json.shape == 0) {
         if (isspace ((unsigned char) c)) {
            continue;
         }
         if (c == '[') {
            f->json.shape = '[';
            what = "JSON array element";
            continue;
         }
         if (c != '{') {
            char shown_c[24];
            bql_input_fatal (&f->in, f->in.line + 1,
                   "a JSON file must hold an array of documents or documents one after another, not start with %s "
                   "(for one document per line use FORMAT NDJSON)",
                   shown_char (c, shown_c, sizeof shown_c));
            return -1;
         }
         f->json.shape = '{';
         what = "JSON document";
      }
      if (f->json.shape == '[' && f->json.array_done) {
         if (!isspace ((unsigned char) c)) {
            bql_input_fatal (&f->in, f->in.line + 1, "text after the end of the JSON array");
            return -1;
         }
         continue;
      }
      if (isspace ((unsigned char) c)) {
         continue;
      }
      if (f->json.shape == '{' && depth == 0 && c != '{') {
         char shown_c[24];
         bql_input_fatal (&f->in, f->in.line + 1, "%s between the JSON documents: each must start with '{'",
                shown_char (c, shown_c, sizeof shown_c));
         return -1;
      }
      if (f->json.shape == '[' && depth == 0 && (c == ',' || c == ']')) {
         if (c == ']') {
            f->json.array_done = true;
            if (!started) {
               if (f->json.elements > 0) {
                  bql_input_fatal (&f->in, f->in.line + 1, "a ',' before the ']' that closes the JSON array");
                  return -1;
               }
               return 0; /* [] */
            }
         } else if (!started) {
            bql_input_fatal (&f->in, f->in.line + 1, "an empty element in the JSON array");
            return -1;
         }
         stop = f->in.pos - 1; /* the ',' or ']' is not part of the element */
         f->json.elements++;
         break;
      }
      if (!started) {
         started = true;
         start_line = f->in.line + 1;
         seg = f->in.pos - 1;
         start_col = json_column (f, seg);
      }
      if (c == '"') {
         in_str = true;
      } else if (c == '{' || c == '[') {
         if (depth < BQL_SRC_MAX_DEPTH) {
            stack[depth] = c;
         }
         depth++;
      } else if (c == '}' || c == ']') {
         if (depth == 0 || (depth <= BQL_SRC_MAX_DEPTH && stack[depth - 1] != (c == '}' ? '{' : '['))) {
            bql_input_fatal (&f->in, f->in.line + 1, "'%c' does not close what is open in the %s that starts on line %lld", c, what,
                   (long long) start_line);
            return -1;
         }
         if (--depth == 0 && f->json.shape == '{') {
            stop = f->in.pos; /* the document is whole */
            break;
         }
      }
   }
   /* the record: buf[seg..stop), after what carry holds */
   size_t n = stop - seg;
   if (!oversize && f->in.carry.len + n > BQL_SRC_MAX_RECORD) {
      oversize = true;
   }
   if (oversize) {
      bql_buf_reset (&f->in.carry);
      r->data = "";
      r->len = 0;
   } else if (f->in.carry.len == 0) {
      r->data = f->in.buf + seg;
      r->len = n;
   } else {
      bql_buf_append (&f->in.carry, f->in.buf + seg, n);
      if (f->in.carry.oom) {
         bql_input_fatal (&f->in, start_line, "out of memory");
         return -1;
      }
      r->data = f->in.carry.data;
      r->len = f->in.carry.len;
   }
   r->line = start_line;
   r->col = start_col;
   r->oversize = oversize;
   return 1;
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

bql_row_rc_t
bql_json_next (bql_file_source_t *f, bson_t *doc)
{
   if (bql_input_stopped (&f->in)) {
      return BQL_ROW_ERROR;
   }
   if (f->json.input_done) {
      return BQL_ROW_END;
   }
   if (f->json.next_row) {
      /* the program's rows: each document is one NDJSON record */
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
   bql_json_error_t err;
   if (bql_json_parse_document (f->json.cur.data, f->json.cur.len, doc, &err)) {
      return BQL_ROW_OK;
   }
   if (err.code == BQL_JSON_TRAILING || err.code == BQL_JSON_BAD_DATE || err.code == BQL_JSON_BAD_VALUE) {
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

