/*
 * csv.c — CSV and TSV records (RFC 4180) through libcsv: a record is cut
 * from the input's lines (input.c), so a quoted field may span lines and
 * every row knows the line it starts on; a line break inside quotes is
 * given to libcsv as LF, so a quoted CRLF is stored as LF (as mongoimport
 * stores it) while a CR alone inside quotes is kept; a bad record (bad quoting, a
 * carriage return outside quotes, a quoted field never closed) becomes a
 * failed row and the next record is read normally. The header line names
 * the columns (with a column list too, the header gives the order and the
 * list the types).
 *
 * Columns without a type get one per column, inferred from a sample: the
 * first infer_rows rows are read and kept as text, the types chosen
 * (columns.c: bql_infer_text), and then those rows and the rest are
 * converted (typing.c); a later value that does not fit is a failed row.
 * The sample is read once, so STDIN and gzip work the same.
 */
#include <string.h>

#include "file.h"

static void
csv_field (void *s, size_t len, void *data)
{
   bql_file_source_t *f = data;
   bql_csv_t *cs = &f->csv;
   if (cs->nfields == cs->fields_cap) {
      cs->fields_cap = cs->fields_cap ? cs->fields_cap * 2 : 32;
      cs->fields = bson_realloc (cs->fields, sizeof *cs->fields * cs->fields_cap);
   }
   bql_field_t *fd = &cs->fields[cs->nfields++];
   bql_buf_t *b = &cs->fields_buf;
   fd->off = b->len;
   fd->len = len;
   fd->null = s == NULL;
   /* the field and a NUL after it (bql_buf_append and bql_buf_putc, in
    * one step: this runs for every field; the room is most often there) */
   if (b->len + len + 2 > b->cap && !bql_buf_reserve (b, len + 1)) {
      /* oom: fd's bytes were never written; fields_buf.oom is looked at
       * by the row's reader after csv_parse (csv_next_row: fields_oom),
       * which stops the read before any field is read */
      return;
   }
   if (len <= 16 && s && b->len + 18 <= b->cap &&
       (unsigned char *) s + 16 <= cs->parser.entry_buf + cs->parser.entry_size) {
      /* a short field (most are): 16 bytes at once, without a call (the
       * bytes after it are libcsv's buffer's, and overwritten next) */
      memcpy (b->data + b->len, s, 16);
   } else if (s) {
      memcpy (b->data + b->len, s, len);
   }
   b->len += len + 1;
   b->data[b->len - 1] = '\0';
   b->data[b->len] = '\0';
}

static void
csv_row (int c, void *data)
{
   (void) c;
   bql_file_source_t *f = data;
   bql_csv_t *cs = &f->csv;
   if (cs->row_done) {
      cs->row_overflow = true; /* a CR inside a line ended a second row */
   }
   cs->row_done = true;
}

/* RFC 4180: spaces are part of a field (libcsv strips them by default).
 * libcsv calls this for every byte of an unquoted field, through a
 * pointer; a line whose spaces and tabs all sit inside fields' text
 * (bql_csv_spaces_inner: "Sofia Ivanova", not " x" or "x ,y") is cut the
 * same by libcsv's own test, inline, which csv_next_row then gives it. */
static int
csv_no_space (unsigned char c)
{
   (void) c;
   return 0;
}

/* Is the byte at s[i] (of a line of len bytes) one that libcsv treats
 * the same with its own test for spaces as with csv_no_space? Only a
 * space or a tab that is not the delimiter differs, and only at a
 * field's edge: one of its neighbours the delimiter, the quote, CR, LF
 * or the line's end (bql_csv_spaces_inner). */
static inline bool
same_either_way (const unsigned char *s, size_t i, size_t len, unsigned char delim, unsigned char quote)
{
   unsigned char c = s[i];
   if ((c != ' ' && c != '\t') || c == delim) {
      return true;
   }
   if (i == 0 || i + 1 >= len) {
      return false;
   }
   unsigned char l = s[i - 1], r = s[i + 1];
   return l != delim && l != quote && l != '\r' && l != '\n' && r != delim && r != quote && r != '\r' && r != '\n';
}

/* The bytes below 0x21 (space, tab, CR, LF, ...) of the 8 at p, each as
 * its high bit, the first byte lowest: every such byte is marked, and a
 * borrow from one may mark a '!' after it too. */
static inline uint64_t
low_bytes (const unsigned char *p)
{
   uint64_t v;
   memcpy (&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
   v = __builtin_bswap64 (v);
#endif
   return (v - 0x2121212121212121ull) & ~v & 0x8080808080808080ull;
}

/* Every byte marked in m (low_bytes of the 8 at s + at) passes
 * same_either_way (one marked only by a borrow is a '!', which passes). */
static inline bool
marked_pass (const unsigned char *s, size_t at, uint64_t m, size_t len, unsigned char delim, unsigned char quote)
{
   for (; m; m &= m - 1) {
      if (!same_either_way (s, at + ((size_t) __builtin_ctzll (m) >> 3), len, delim, quote)) {
         return false;
      }
   }
   return true;
}

bool
bql_csv_spaces_inner (const char *line, size_t len, unsigned char delim, unsigned char quote)
{
   if (quote == ' ' || quote == '\t') {
      return false; /* libcsv's own test would take the quote for a space */
   }
   const unsigned char *s = (const unsigned char *) line;
   if (len < 8) {
      for (size_t i = 0; i < len; i++) {
         if (!same_either_way (s, i, len, delim, quote)) {
            return false;
         }
      }
      return true;
   }
   /* 16 bytes at a time, then 8, then the last 8 (overlapping the bytes
    * before i, which are left out) */
   size_t i = 0;
   for (; i + 16 <= len; i += 16) {
      uint64_t m0 = low_bytes (s + i), m1 = low_bytes (s + i + 8);
      if ((m0 | m1) &&
          !(marked_pass (s, i, m0, len, delim, quote) && marked_pass (s, i + 8, m1, len, delim, quote))) {
         return false;
      }
   }
   if (i + 8 <= len) {
      if (!marked_pass (s, i, low_bytes (s + i), len, delim, quote)) {
         return false;
      }
      i += 8;
   }
   return i == len ||
          marked_pass (s, len - 8, low_bytes (s + len - 8) & (~0ull << ((i - (len - 8)) * 8)), len, delim, quote);
}

static void
csv_reset (bql_file_source_t *f)
{
   bql_csv_t *cs = &f->csv;
   if (cs->ready) {
      csv_free (&cs->parser);
   }
   csv_init (&cs->parser, CSV_STRICT | CSV_STRICT_FINI | CSV_EMPTY_IS_NULL);
   csv_set_delim (&cs->parser, (unsigned char) f->fo.delimiter);
   csv_set_quote (&cs->parser, (unsigned char) f->fo.quote);
   csv_set_space_func (&cs->parser, csv_no_space);
   cs->spaces_inner = false;
   /* libcsv grows a field's buffer by this much at a time (128 bytes by
    * default: quadratic on a field of megabytes) */
   csv_set_blk_size (&cs->parser, 1 << 20);
   cs->ready = true;
}

static void
clear_row (bql_file_source_t *f)
{
   bql_csv_t *cs = &f->csv;
   cs->nfields = 0;
   bql_buf_reset (&cs->fields_buf);
   cs->fields_buf.oom = false;
   cs->row_done = false;
   cs->row_overflow = false;
   cs->in_row = false;
}

/* After csv_parse or csv_fini: did the row's fields fail to fit in memory
 * (csv_field could not grow fields_buf, or libcsv its own field buffer)?
 * Then the fields point at bytes never written: the read stops with a
 * fatal "out of memory" at the row's line (as input.c's carry does), and
 * the row is dropped. */
static bool
fields_oom (bql_file_source_t *f)
{
   bql_csv_t *cs = &f->csv;
   if (!cs->fields_buf.oom && csv_error (&cs->parser) != CSV_ENOMEM) {
      return false;
   }
   bql_input_fatal (&f->in, cs->row_line, "out of memory");
   csv_reset (f);
   clear_row (f);
   return true;
}

/* Read one CSV row into cs->fields; 1 = a row, 0 = end, -1 = a bad row
 * (f->why), -2 = fatal (an input error, or out of memory). */
static int
csv_next_row (bql_file_source_t *f)
{
   bql_csv_t *cs = &f->csv;
   const char *line;
   size_t len;
   bool oversize;
   clear_row (f);
   while (!cs->row_done) {
      if (!bql_input_next_line (&f->in, &line, &len, &oversize)) {
         if (bql_input_stopped (&f->in)) {
            return -2;
         }
         if (f->in.mem && f->in.more) {
            cs->tail = cs->in_row; /* the end of a chunk, not of the input (parallel.c) */
            return 0;
         }
         if (cs->in_row) {
            int fini = csv_fini (&cs->parser, csv_field, csv_row, f);
            if (fields_oom (f)) {
               return -2;
            }
            if (fini != 0) {
               bql_file_why (f, cs->row_line,
                             "a quoted field opened on this line is not closed at the end of the input");
               csv_reset (f);
               clear_row (f);
               return -1;
            }
            csv_reset (f);
            if (cs->row_done) {
               return 1;
            }
         }
         return 0;
      }
      if (!cs->in_row) {
         if (f->skip > 0) {
            f->skip--;
            continue;
         }
         if (len == 0 && !oversize) {
            continue; /* blank line */
         }
         cs->row_line = f->in.line;
         cs->row_at = f->in.line_at;
         cs->in_row = true;
      }
      if (oversize || cs->fields_buf.len + len > BQL_SRC_MAX_RECORD) {
         bql_file_why (f, cs->row_line, "the row is longer than 64 MiB");
         csv_reset (f);
         clear_row (f);
         return -1;
      }
      /* the line ends the record's line for libcsv: with the LF that
       * follows it in the buffer in the same call when it has one (a line
       * that lost a CR, or was carried, gets its own "\n") */
      bool lf = line[len] == '\n';
      /* libcsv's own space test where it cuts the same (csv_no_space) */
      bool inner = bql_csv_spaces_inner (line, len, (unsigned char) f->fo.delimiter, (unsigned char) f->fo.quote);
      if (inner != cs->spaces_inner) {
         csv_set_space_func (&cs->parser, inner ? NULL : csv_no_space);
         cs->spaces_inner = inner;
      }
      size_t used = csv_parse (&cs->parser, line, len + lf, csv_field, csv_row, f);
      if (lf) {
         used = used == len + 1 ? len : len + 1;
      } else if (used == len) {
         used = csv_parse (&cs->parser, "\n", 1, csv_field, csv_row, f) == 1 ? len : len + 1;
      }
      if (fields_oom (f)) {
         return -2;
      }
      if (used != len || csv_error (&cs->parser) != CSV_SUCCESS) {
         int64_t at = f->in.line;
         csv_reset (f);
         clear_row (f);
         bql_file_why (f, at,
                       "bad quoting: a quote inside an unquoted field, or text after a closing quote (RFC 4180)");
         return -1;
      }
   }
   if (cs->row_overflow) {
      bql_file_why (f, cs->row_line, "a carriage return inside a line, outside quotes");
      clear_row (f);
      return -1;
   }
   return 1;
}

/* The header line names the columns. With a column list too, the header
 * gives the order and the list the types: every listed column must be in
 * the header; header columns that are not listed are inferred. */
static bool
setup_header (bql_file_source_t *f)
{
   bql_csv_t *cs = &f->csv;
   const bql_columns_t *listed = f->cols;
   int64_t line = cs->row_line;
   bool *seen = listed ? bson_malloc0 (sizeof *seen * (listed->n ? listed->n : 1)) : NULL;
   bool ok = true;
   f->own_cols.array_index = f->fo.array_index_fields;
   for (size_t i = 0; i < cs->nfields && ok; i++) {
      const char *name = cs->fields_buf.data + cs->fields[i].off;
      size_t nlen = cs->fields[i].len;
      char err[300], nm[200];
      bql_shown (name, nlen, nm, sizeof nm);
      if (cs->fields[i].null || nlen == 0) {
         ok = bql_input_fatal (&f->in, line, "column %zu of the header has no name", i + 1);
      } else if (memchr (name, '\0', nlen)) {
         ok = bql_input_fatal (&f->in, line, "column %zu of the header, \"%s\": a field name cannot contain NUL", i + 1,
                               nm);
      } else if (!bson_utf8_validate (name, nlen, false)) {
         ok = bql_input_fatal (&f->in, line, "column %zu of the header is not valid UTF-8", i + 1);
      } else {
         const bql_column_t *lc = NULL;
         int k = listed ? bql_columns_find (listed, name) : -1;
         if (k >= 0) {
            lc = &listed->cols[k];
            seen[k] = true;
         }
         if (!bql_columns_add (&f->own_cols, name, lc ? lc->type : BQL_COL_AUTO, err, sizeof err)) {
            ok = bql_input_fatal (&f->in, line, "column %zu of the header: %s", i + 1, err);
         } else if (lc) {
            bql_column_t *c = &f->own_cols.cols[f->own_cols.n - 1];
            c->node = lc->node;
            c->format = lc->format ? bson_strdup (lc->format) : NULL;
         }
      }
   }
   for (size_t k = 0; ok && listed && k < listed->n; k++) {
      if (!seen[k]) {
         ok = bql_input_fatal (&f->in, line, "column \"%s\" of the column list is not in the header",
                               listed->cols[k].path);
      }
   }
   bson_free (seen);
   f->cols = &f->own_cols;
   return ok;
}

/* Room for n values in cs->vals. */
static bson_value_t *
row_values (bql_file_source_t *f, size_t n)
{
   bql_csv_t *cs = &f->csv;
   if (n > cs->vals_cap) {
      cs->vals_cap = n;
      bson_free (cs->vals);
      bson_free (cs->borrowed);
      cs->vals = bson_malloc (sizeof *cs->vals * n);
      cs->borrowed = bson_malloc0 (sizeof *cs->borrowed * n);
   }
   return cs->vals;
}

/* What was read of a CSV row that failed, for failed_records_file: the
 * fields as text under their column names (by_name), or as the array
 * "fields" when they do not match the columns. Text that is not valid
 * UTF-8 is left out. */
static void
raw_fields (bql_file_source_t *f, bson_t *doc, bool by_name)
{
   bql_csv_t *cs = &f->csv;
   bson_reinit (doc);
   size_t n = cs->nfields;
   if (by_name) {
      bson_value_t *vals = row_values (f, n ? n : 1);
      for (size_t i = 0; i < n; i++) {
         const bql_field_t *fd = &cs->fields[i];
         const char *s = cs->fields_buf.data + fd->off;
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
      const bql_field_t *fd = &cs->fields[i];
      const char *s = cs->fields_buf.data + fd->off;
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
own_listed_columns (bql_file_source_t *f)
{
   const bql_columns_t *listed = f->cols;
   f->own_cols.root.col = -1;
   f->own_cols.array_index = f->fo.array_index_fields;
   for (size_t k = 0; k < listed->n; k++) {
      char err[300];
      if (!bql_columns_add (&f->own_cols, listed->cols[k].path, listed->cols[k].type, err, sizeof err)) {
         return bql_input_fatal (&f->in, 1, "%s", err);
      }
      bql_column_t *c = &f->own_cols.cols[f->own_cols.n - 1];
      c->node = listed->cols[k].node;
      c->format = listed->cols[k].format ? bson_strdup (listed->cols[k].format) : NULL;
   }
   f->cols = &f->own_cols;
   return true;
}

/* Keep the row just read (csv_next_row() returned r) in the sample. */
static void
sample_keep (bql_file_source_t *f, int r)
{
   bql_csv_t *cs = &f->csv;
   if (cs->nsample == cs->sample_cap) {
      cs->sample_cap = cs->sample_cap ? cs->sample_cap * 2 : 256;
      cs->sample = bson_realloc (cs->sample, sizeof *cs->sample * cs->sample_cap);
   }
   bql_sample_row_t *sr = &cs->sample[cs->nsample++];
   memset (sr, 0, sizeof *sr);
   sr->rc = r;
   sr->line = cs->row_line;
   if (r < 0) {
      sr->why_off = cs->sample_buf.len;
      sr->why_text = cs->sample_buf.len + (size_t) (f->why_text - f->why);
      bql_buf_append (&cs->sample_buf, f->why, strlen (f->why) + 1);
      return;
   }
   sr->first = cs->nsample_fields;
   sr->n = cs->nfields;
   size_t base = cs->sample_buf.len;
   bql_buf_append (&cs->sample_buf, cs->fields_buf.data ? cs->fields_buf.data : "", cs->fields_buf.len);
   for (size_t i = 0; i < cs->nfields; i++) {
      if (cs->nsample_fields == cs->sample_fields_cap) {
         cs->sample_fields_cap = cs->sample_fields_cap ? cs->sample_fields_cap * 2 : 1024;
         cs->sample_fields = bson_realloc (cs->sample_fields, sizeof *cs->sample_fields * cs->sample_fields_cap);
      }
      bql_field_t fd = cs->fields[i];
      fd.off += base;
      cs->sample_fields[cs->nsample_fields++] = fd;
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
take_sample (bql_file_source_t *f)
{
   bql_csv_t *cs = &f->csv;
   cs->sampled = true;
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
   while (cs->sample_rows < f->fo.infer_rows && (int64_t) cs->sample_buf.len < limit) {
      int r = csv_next_row (f);
      if (r == 0) {
         break;
      }
      if (r == -2) {
         /* an input error: the rows before it are still rows; a cancel
          * while the sample waits for input: no row was given yet, and
          * none is */
         cs->sample_stop = true;
         if (f->st->cancelled) {
            cs->nsample = 0;
         }
         break;
      }
      cs->sample_rows++;
      sample_keep (f, r);
      if (r < 0 || cs->nfields != ncols) {
         continue;
      }
      for (size_t i = 0; i < ncols; i++) {
         const bql_field_t *fd = &cs->fields[i];
         const char *s = cs->fields_buf.data + fd->off;
         if (cols->cols[i].type != BQL_COL_AUTO || bql_field_blank (fd) || memchr (s, '\0', fd->len) ||
             (f->fo.null_string && !strcmp (s, f->fo.null_string))) {
            continue;
         }
         vote[i] = bql_infer_join (vote[i], bql_infer_text (s, fd->len));
      }
   }
   if (cs->sample_buf.oom) {
      bson_free (vote);
      return bql_input_fatal (&f->in, f->in.line, "out of memory");
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
next_row (bql_file_source_t *f)
{
   bql_csv_t *cs = &f->csv;
   if (cs->sample_pos >= cs->nsample) {
      if (cs->nsample) {
         /* the sample is spent: free it */
         cs->nsample = cs->sample_pos = cs->nsample_fields = 0;
         bql_buf_cleanup (&cs->sample_buf);
         bql_buf_init (&cs->sample_buf);
      }
      if (cs->sample_stop) {
         return -2;
      }
      return csv_next_row (f);
   }
   const bql_sample_row_t *sr = &cs->sample[cs->sample_pos++];
   clear_row (f);
   cs->row_line = sr->line;
   if (sr->rc < 0) {
      snprintf (f->why, sizeof f->why, "%s", cs->sample_buf.data + sr->why_off);
      f->why_text = f->why + (sr->why_text - sr->why_off);
      return -1;
   }
   for (size_t i = 0; i < sr->n; i++) {
      const bql_field_t *src = &cs->sample_fields[sr->first + i];
      if (cs->nfields == cs->fields_cap) {
         cs->fields_cap = cs->fields_cap ? cs->fields_cap * 2 : 32;
         cs->fields = bson_realloc (cs->fields, sizeof *cs->fields * cs->fields_cap);
      }
      bql_field_t *fd = &cs->fields[cs->nfields++];
      fd->off = cs->fields_buf.len;
      fd->len = src->len;
      fd->null = src->null;
      bql_buf_append (&cs->fields_buf, cs->sample_buf.data + src->off, src->len + 1);
   }
   if (cs->fields_buf.oom) {
      /* the fields point at bytes never written (fields_oom) */
      bql_input_fatal (&f->in, sr->line, "out of memory");
      clear_row (f);
      return -2;
   }
   return 1;
}

bql_row_rc_t
bql_csv_next (bql_file_source_t *f, bson_t *doc)
{
   bql_csv_t *cs = &f->csv;
   cs->row_has_id = -1;
   cs->row_keys_checked = false;
   cs->row_facts = 0;
   for (;;) {
      if (!cs->header_pending && !cs->sampled && !take_sample (f)) {
         return BQL_ROW_ERROR;
      }
      int r = cs->header_pending ? csv_next_row (f) : next_row (f);
      f->rowline = cs->row_line;
      if (r == 0) {
         return BQL_ROW_END;
      }
      if (r == -2) {
         return BQL_ROW_ERROR;
      }
      if (cs->header_pending) {
         cs->header_pending = false;
         if (r < 0) {
            bql_input_fatal (&f->in, f->rowline ? f->rowline : f->in.line, "cannot read the header: %s", f->why_text);
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
         bql_input_fatal (&f->in, cs->row_line, "a CSV file without a header needs a column list");
         return BQL_ROW_ERROR;
      }
      size_t ncols = f->cols->n;
      if (cs->nfields != ncols) {
         bql_file_why (f, cs->row_line, "%zu field%s, expected %zu", cs->nfields, cs->nfields == 1 ? "" : "s", ncols);
         raw_fields (f, doc, false);
         return BQL_ROW_FAILED;
      }
      bson_value_t *vals = row_values (f, ncols ? ncols : 1);
      if (f->json_cols && !cs->json_fast) {
         cs->json_fast = bql_json_fast_new (); /* NULL (out of memory): libbson's path */
      }
      cs->conv.json_ctx = cs;
      if (bql_csv_row_fast (f, doc)) {
         return BQL_ROW_OK;
      }
      size_t made = 0;
      bool ok = true;
      for (size_t i = 0; i < ncols && ok; i++) {
         ok = bql_typing_field (f, i, &vals[i]);
         made += ok;
      }
      if (ok) {
         char err[300];
         ok = bql_columns_emit_row (f->cols, doc, vals, err, sizeof err);
         if (!ok) {
            bql_file_why (f, cs->row_line, "%s", err);
         }
      }
      for (size_t i = 0; i < made; i++) {
         if (!cs->borrowed[i]) {
            bson_value_destroy (&vals[i]);
         }
      }
      if (!ok) {
         raw_fields (f, doc, true);
      }
      return ok ? BQL_ROW_OK : BQL_ROW_FAILED;
   }
}


/* A JSON column's value through the fast path (bql_json_value_fn). */
static bool
json_value (void *ctx, const char *text, size_t len, bson_value_t *value, bql_json_error_t *error)
{
   bql_csv_t *cs = ctx;
   return bql_json_value_parse (cs->json_fast, text, len, value, error, NULL);
}

void
bql_csv_init (bql_file_source_t *f)
{
   bql_csv_t *cs = &f->csv;
   cs->conv.json = json_value;
   cs->conv.borrow_text = true;
   bql_buf_init (&cs->fields_buf);
   bql_buf_init (&cs->sample_buf);
   cs->header_pending = f->fo.header;
   csv_reset (f);
}

void
bql_csv_cleanup (bql_csv_t *c)
{
   if (c->ready) {
      csv_free (&c->parser);
   }
   bql_buf_cleanup (&c->fields_buf);
   bson_free (c->fields);
   bql_buf_cleanup (&c->sample_buf);
   bson_free (c->sample);
   bson_free (c->sample_fields);
   bson_free (c->vals);
   bson_free (c->borrowed);
   bql_json_fast_free (c->json_fast);
   bql_csv_row_cleanup (c);
}

bool
bql_csv_between_rows (const bql_file_source_t *f)
{
   const bql_csv_t *cs = &f->csv;
   return !cs->header_pending && cs->sampled && cs->sample_pos >= cs->nsample && !cs->sample_stop && f->cols &&
          f->skip == 0;
}

void
bql_csv_init_copy (bql_file_source_t *f, const bql_file_source_t *from)
{
   bql_csv_init (f);
   f->csv.header_pending = false;
   f->csv.sampled = true;
   f->csv.sample_rows = from->csv.sample_rows;
}

void
bql_csv_chunk_start (bql_file_source_t *f)
{
   csv_reset (f);
   clear_row (f);
   f->csv.tail = false;
}

bool
bql_csv_sniff (bql_file_source_t *f)
{
   bql_csv_t *cs = &f->csv;
   bool ok = true;
   if (cs->header_pending) {
      cs->header_pending = false;
      ok = csv_next_row (f) == 1 && setup_header (f);
   }
   return ok && take_sample (f) && f->cols;
}
