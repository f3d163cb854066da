/*
 * test_sources.c — the row sources (src/executor/sources/) read without a
 * server: each test plans a statement over a fixture file
 * (tests/fixtures/sources/, or a gzip file made here), opens its source
 * with bql_source_open and reads every row, comparing a transcript of what
 * the source gave (code, row number, line, reason, document) with the
 * expected one. The transcript is exact: a changed reason, line or value
 * fails the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "bulkql/bulkql.h"
#include "buf.h"
#include "file.h"
#include "source.h"

#ifndef BQL_FIXTURES
#error "BQL_FIXTURES must name tests/fixtures/sources"
#endif

static char tmpdir[256];

/* ---- helpers ---- */

typedef struct {
   bql_script_t *script;
   bql_plan_t *plan;
} planned_t;

/* Plan the first statement of sql, relative paths resolved in dir, for
 * a machine of cores cores (bql_plan_options_t.cores; 0: this one's). */
static planned_t
plan_cores (const char *dir, const char *sql, int cores)
{
   planned_t p = {0};
   bql_error_t err;
   bql_error_clear (&err);
   if (!bql_parse (sql, strlen (sql), NULL, &p.script, &err)) {
      fail_msg ("parse: %s", err.message);
   }
   bql_plan_options_t opts = {
      .size = sizeof opts, .database = "test", .now_ms = 1700000000000, .base_dir = dir, .cores = cores};
   if (!bql_plan_new (p.script, 0, &opts, &p.plan, &err)) {
      fail_msg ("plan: %s", err.message);
   }
   return p;
}

/* Plan the first statement of sql, relative paths resolved in dir. */
static planned_t
plan_in (const char *dir, const char *sql)
{
   return plan_cores (dir, sql, 0);
}

static planned_t
plan_of (const char *sql)
{
   return plan_in (BQL_FIXTURES, sql);
}

static void
planned_free (planned_t *p)
{
   bql_plan_destroy (p->plan);
   bql_script_destroy (p->script);
}

/* Every row of src, one line each: "OK|FAILED <rownum> @<line> [reason |]
 * <document as relaxed Extended JSON>", then "END", or "ERROR failed:
 * <message>" / "ERROR cancelled: <message>". canonical: canonical
 * Extended JSON, which shows the BSON types. */
static char *
transcript (bql_source_t *src, bool canonical)
{
   bql_buf_t out;
   bql_buf_init (&out);
   for (int guard = 0; guard < 1000000; guard++) {
      bson_t doc = BSON_INITIALIZER;
      int64_t rownum = -1;
      const char *why = NULL;
      bql_row_rc_t rc = bql_source_next (src, &doc, &rownum, &why);
      if (rc == BQL_ROW_END) {
         bql_buf_puts (&out, "END\n");
         bson_destroy (&doc);
         break;
      }
      if (rc == BQL_ROW_ERROR) {
         bql_buf_printf (&out, "ERROR %s: %s\n", bql_source_failed (src) ? "failed" : "cancelled",
                         bql_source_error (src)->message);
         bson_destroy (&doc);
         break;
      }
      char *json =
         canonical ? bson_as_canonical_extended_json (&doc, NULL) : bson_as_relaxed_extended_json (&doc, NULL);
      bql_buf_printf (&out, "%s %lld @%lld ", rc == BQL_ROW_OK ? "OK" : "FAILED", (long long) rownum,
                      (long long) bql_source_line (src));
      if (rc == BQL_ROW_FAILED) {
         bql_buf_printf (&out, "%s | ", why);
      }
      bql_buf_printf (&out, "%s\n", json);
      bson_free (json);
      bson_destroy (&doc);
   }
   return bql_buf_steal (&out, NULL);
}

/* How a source is read: on one thread, or on parse threads with chunks
 * of about chunk bytes (tiny chunks cut the small fixtures at every
 * possible place: a CSV record that spans lines, a quote, a CRLF). */
typedef struct {
   int threads;
   size_t chunk;
} read_mode_t;

static const read_mode_t read_modes[] = {{1, 0}, {4, 0}, {4, 1}, {2, 5}, {3, 17}, {4, 64}};

/* For a line of 64 MiB, where a tiny chunk does not cut anything the
 * 64-byte one does not and costs a step of the chunker per 1, 5 or 17
 * bytes (test_parse_threads_oversize_lines says why): one thread, the
 * default chunks, and 64-byte chunks. */
static const read_mode_t big_input_modes[] = {{1, 0}, {4, 0}, {4, 64}};

/* Open sql's source with io and cancel, read it all, compare; in each of
 * the nmodes read modes, each of which must give the same transcript (a
 * stream in io is read again from its start). */
static void
expect_rows_in_modes (const char *sql, const bql_source_io_t *io, const volatile int *cancel, bool canonical,
                      const char *expected, const read_mode_t *read_modes, size_t nmodes)
{
   /* rows from next_row are read once, on one thread */
   size_t modes = io && io->next_row ? 1 : nmodes;
   for (size_t m = 0; m < modes; m++) {
      planned_t p = plan_of (sql);
      p.plan->opts.parse_threads = read_modes[m].threads;
      bql_source_io_t mio = {0};
      if (io) {
         mio = *io;
         if (io->stdin_stream) {
            rewind (io->stdin_stream);
         }
      }
      mio.parse_chunk = read_modes[m].chunk;
      bql_error_t err;
      bql_error_clear (&err);
      bql_source_t *src = bql_source_open (p.plan, &mio, cancel, &err);
      if (!src) {
         fail_msg ("open: %s", err.message);
      }
      char *got = transcript (src, canonical);
      if (strcmp (got, expected) != 0) {
         /* the first line that differs, then the whole */
         size_t at = 0, line = 0;
         for (size_t i = 0; got[i] && got[i] == expected[i]; i++) {
            if (got[i] == '\n') {
               at = i + 1;
               line++;
            }
         }
         print_error ("parse_threads = %d, chunks of %zu bytes: line %zu of the transcript is\n%.300s\nnot\n%.300s\n",
                      read_modes[m].threads, read_modes[m].chunk, line + 1, got + at, expected + at);
      }
      assert_string_equal (got, expected);
      free (got);
      bql_source_close (src);
      planned_free (&p);
   }
}

/* expect_rows_in_modes in every read mode. */
static void
expect_rows_io (const char *sql, const bql_source_io_t *io, const volatile int *cancel, bool canonical,
                const char *expected)
{
   expect_rows_in_modes (sql, io, cancel, canonical, expected, read_modes, sizeof read_modes / sizeof read_modes[0]);
}

static void
expect_rows (const char *sql, const char *expected)
{
   expect_rows_io (sql, NULL, NULL, false, expected);
}

/* The source of sql cannot be opened: its error, rendered as
 * "<code>@<offset>+<length>: <message>". */
static void
expect_open_error_io (const char *dir, const char *sql, const bql_source_io_t *io, const char *expected)
{
   planned_t p = plan_in (dir, sql);
   bql_error_t err;
   bql_error_clear (&err);
   bql_source_t *src = bql_source_open (p.plan, io, NULL, &err);
   assert_null (src);
   char got[800];
   snprintf (got, sizeof got, "%s@%lld+%lld: %s", err.code == BQL_ERR_IO ? "IO" : "other", (long long) err.offset,
             (long long) err.length, err.message);
   assert_string_equal (got, expected);
   planned_free (&p);
}

static void
expect_open_error (const char *dir, const char *sql, const char *expected)
{
   expect_open_error_io (dir, sql, NULL, expected);
}

/* A file in tmpdir with the given bytes; its path in path. */
static void
write_file (const char *name, const void *data, size_t len, char *path, size_t size)
{
   snprintf (path, size, "%s/%s", tmpdir, name);
   FILE *fp = fopen (path, "wb");
   assert_non_null (fp);
   assert_int_equal (fwrite (data, 1, len, fp), len);
   assert_int_equal (fclose (fp), 0);
}

/* text gzip-compressed (one member) into buf; its length. */
static size_t
gzip_bytes (const char *text, unsigned char *buf, size_t cap)
{
   z_stream zs;
   memset (&zs, 0, sizeof zs);
   assert_int_equal (deflateInit2 (&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
   zs.next_in = (Bytef *) text;
   zs.avail_in = (uInt) strlen (text);
   zs.next_out = buf;
   zs.avail_out = (uInt) cap;
   assert_int_equal (deflate (&zs, Z_FINISH), Z_STREAM_END);
   size_t n = cap - zs.avail_out;
   deflateEnd (&zs);
   return n;
}

/* ---- CSV ---- */

static void
test_csv_quotes_and_newlines (void **state)
{
   (void) state;
   /* a quoted field spans lines: the row's line is where it starts, the
    * next row's line counts the lines before it; "" is a quote; a blank
    * line is no row; lines are cut at LF and lose their CR, so a CRLF
    * inside quotes is read as LF */
   expect_rows ("BULK INSERT INTO t FROM 'quotes.csv'",
                "OK 1 @2 { \"id\" : 1, \"name\" : \"Smith, Jo\", \"note\" : \"said \\\"hi\\\"\" }\n"
                "OK 2 @3 { \"id\" : 2, \"name\" : \"two\\nlines\", \"note\" : \"plain\" }\n"
                "OK 3 @6 { \"id\" : 3, \"name\" : \"x\", \"note\" : \"a \\\"quoted\\\"\\nand more\" }\n"
                "END\n");
}

static void
test_csv_typed_columns_and_check (void **state)
{
   (void) state;
   /* the header gives the order, the column list the types; a value that
    * does not convert fails its row (what was read is kept as text); CHECK
    * fails a row that converts; row numbers count failed rows */
   expect_rows_io (
      "BULK INSERT INTO t (id INT, price DOUBLE, ok BOOL) FROM 'typed.csv' CHECK (price > 0)", NULL, NULL, true,
      "OK 1 @2 { \"id\" : { \"$numberInt\" : \"1\" }, \"price\" : { \"$numberDouble\" : \"2.5\" }, \"ok\" : true }\n"
      "FAILED 2 @3 line 3: column id: \"x\" is not an integer | { \"id\" : \"x\", \"price\" : \"1\", \"ok\" : "
      "\"false\" }\n"
      "FAILED 3 @4 line 4: column price: \"abc\" is not a number | { \"id\" : \"3\", \"price\" : \"abc\", \"ok\" : "
      "\"true\" }\n"
      "FAILED 4 @5 line 5: CHECK (price > 0) failed | { \"id\" : { \"$numberInt\" : \"4\" }, \"price\" : { "
      "\"$numberDouble\" : \"-1.0\" }, \"ok\" : true }\n"
      "OK 5 @6 { \"id\" : { \"$numberInt\" : \"5\" }, \"price\" : { \"$numberDouble\" : \"7.0\" }, \"ok\" : false "
      "}\n"
      "END\n");
}

static void
test_csv_inferred_types (void **state)
{
   (void) state;
   /* infer_rows = 2: n is INT from "1" and "2"; "1.5" then fails its row
    * with the hint; the sample rows are given first, in order */
   expect_rows_io ("BULK INSERT INTO t FROM 'infer.csv' (infer_rows = 2)", NULL, NULL, true,
                   "OK 1 @2 { \"n\" : { \"$numberInt\" : \"1\" }, \"s\" : \"a\" }\n"
                   "OK 2 @3 { \"n\" : { \"$numberInt\" : \"2\" }, \"s\" : \"b\" }\n"
                   "FAILED 3 @4 line 4: column n: \"1.5\" is not an INT (the type inferred from the first 2 rows); "
                   "give the column a type in a column list, e.g. (n DOUBLE), or raise infer_rows | { \"n\" : "
                   "\"1.5\", \"s\" : \"c\" }\n"
                   "OK 4 @5 { \"n\" : { \"$numberInt\" : \"4\" }, \"s\" : \"d\" }\n"
                   "END\n");
}

/* The text of a fixture file (malloc'd). */
static char *
fixture_text (const char *name)
{
   char path[512];
   snprintf (path, sizeof path, "%s/%s", BQL_FIXTURES, name);
   FILE *fp = fopen (path, "rb");
   if (!fp) {
      fail_msg ("cannot open %s", path);
   }
   bql_buf_t b;
   bql_buf_init (&b);
   char chunk[4096];
   size_t n;
   while ((n = fread (chunk, 1, sizeof chunk, fp)) > 0) {
      bql_buf_append (&b, chunk, n);
   }
   fclose (fp);
   return bql_buf_steal (&b, NULL);
}

static void
test_csv_typed_tricky_values (void **state)
{
   (void) state;
   /* every column type csv_row.c converts itself, with the texts at the
    * edges of each reading (signs, leading zeros, int32 and int64 limits,
    * subnormals, 17+ digits, overflow, hexadecimal, spaces, inf, bad
    * dates, JSON with '$' names, duplicate names or Extended JSON the
    * fast path leaves to libbson), nested documents and an array
    * (array_index_fields), a row of blanks, too many and too few fields;
    * with each blanks mode and null_string. The transcripts (canonical
    * Extended JSON: the BSON types) are those of the general path
    * (bql_typing_field per column), as before csv_row.c. */
   static const struct {
      const char *options;
      const char *expected;
   } cases[] = {
      {"array_index_fields = true", "typed_tricky.expected"},
      {"array_index_fields = true, blanks = 'omit', null_string = 'NULL'", "typed_tricky_omit.expected"},
      {"array_index_fields = true, blanks = 'empty'", "typed_tricky_empty.expected"},
   };
   for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      char sql[1024];
      snprintf (sql, sizeof sql,
                "BULK INSERT INTO t (_id INT, i INT, b BIGINT, d DOUBLE, s STRING, t TIMESTAMP, ok BOOL, j JSON, "
                "a.x DOUBLE, a.y.z STRING, a.y.w INT, n.0 STRING, n.1 STRING) FROM 'typed_tricky.csv' (%s)",
                cases[i].options);
      char *expected = fixture_text (cases[i].expected);
      expect_rows_io (sql, NULL, NULL, true, expected);
      free (expected);
   }
   /* the same file with every type inferred */
   char *expected = fixture_text ("typed_tricky_inferred.expected");
   expect_rows_io ("BULK INSERT INTO t FROM 'typed_tricky.csv' (array_index_fields = true, infer_rows = 3)", NULL,
                   NULL, true, expected);
   free (expected);
}

static void
test_csv_skip_lines_and_no_header (void **state)
{
   (void) state;
   expect_rows ("BULK INSERT INTO t FROM 'skip.csv' (skip_lines = 2)",
                "OK 1 @4 { \"id\" : 1, \"v\" : \"a\" }\n"
                "OK 2 @5 { \"id\" : 2, \"v\" : \"b\" }\n"
                "END\n");
   /* without a header the column list names the fields; a row with
    * another number of fields fails, its fields kept as "fields" */
   expect_rows ("BULK INSERT INTO t (n INT, s STRING) FROM 'noheader.csv' (header = false)",
                "OK 1 @1 { \"n\" : 1, \"s\" : \"a\" }\n"
                "FAILED 2 @2 line 2: 3 fields, expected 2 | { \"fields\" : [ \"2\", \"b\", \"extra\" ] }\n"
                "OK 3 @3 { \"n\" : 3, \"s\" : \"c\" }\n"
                "END\n");
}

/* sql's source over text written to a file named name in tmpdir ("%s"
 * in sql is its path). */
static void
expect_text (const char *name, const char *text, const char *sql_fmt, const char *expected_fmt)
{
   char path[512], sql[800], expected[2000];
   write_file (name, text, strlen (text), path, sizeof path);
   snprintf (sql, sizeof sql, sql_fmt, path);
   snprintf (expected, sizeof expected, expected_fmt, path);
   expect_rows (sql, expected);
}

static void
test_csv_options_and_header_errors (void **state)
{
   (void) state;
   /* TSV; a byte order mark is dropped; null_string; blanks = 'omit' */
   expect_text ("t.tsv", "\xEF\xBB\xBF" "a\tb\n1\tNA\n\t2\n", "BULK INSERT INTO t FROM '%s' (null_string = 'NA')",
                "OK 1 @2 { \"a\" : 1, \"b\" : null }\n"
                "OK 2 @3 { \"a\" : null, \"b\" : 2 }\n"
                "END\n");
   expect_text ("b.csv", "a,b\n,x\n", "BULK INSERT INTO t FROM '%s' (blanks = 'omit')",
                "OK 1 @2 { \"b\" : \"x\" }\nEND\n");
   /* a header that cannot name the columns is fatal */
   expect_text ("h1.csv", "a,,c\n1,2,3\n", "BULK INSERT INTO t FROM '%s'",
                "ERROR failed: %s:1: column 2 of the header has no name\n");
   expect_text ("h2.csv", "a,b\n1,2\n", "BULK INSERT INTO t (c INT) FROM '%s'",
                "ERROR failed: %s:1: column \"c\" of the column list is not in the header\n");
   expect_text ("h3.csv", "1,2\n", "BULK INSERT INTO t FROM '%s' (header = false)",
                "ERROR failed: %s:1: a CSV file without a header needs a column list\n");
   /* bad quoting fails the row; a quote never closed fails the last */
   expect_text ("q.csv", "a,b\n1,x\"y\n2,\"open\n", "BULK INSERT INTO t FROM '%s'",
                "FAILED 1 @2 line 2: bad quoting: a quote inside an unquoted field, or text after a closing quote "
                "(RFC 4180) | { }\n"
                "FAILED 2 @3 line 3: a quoted field opened on this line is not closed at the end of the input | { }\n"
                "END\n");
}

static void
test_csv_bad_utf8 (void **state)
{
   (void) state;
   /* text that is not UTF-8 fails its row and is left out of what is kept */
   expect_rows ("BULK INSERT INTO t (id INT, name STRING) FROM 'badutf8.csv'",
                "OK 1 @2 { \"id\" : 1, \"name\" : \"ok\" }\n"
                "FAILED 2 @3 line 3: column name: not valid UTF-8 | { \"id\" : \"2\", \"name\" : null "
                "}\n"
                "OK 3 @4 { \"id\" : 3, \"name\" : \"fine\" }\n"
                "END\n");
}

/* ---- csv_row.c's text_ok: STRING's UTF-8 check, a word at a time ---- */

/* A STRING field's bytes, for text_ok's edges. */
typedef struct {
   char s[12];
   size_t len;
} text_case_t;

/* Add to c[*n] the n bytes of 'a' with the bytes of ins at p. */
static void
text_case_add (text_case_t *c, size_t *n, size_t len, size_t p, const char *ins, size_t ilen)
{
   if (p + ilen > len) {
      return;
   }
   text_case_t *t = &c[(*n)++];
   memset (t->s, 'a', len);
   memcpy (t->s + p, ins, ilen);
   t->len = len;
}

/* What the general path gives for a STRING field s of row k (line k + 1)
 * of a file whose columns are id INT, [pad STRING,] s STRING: the row
 * with exactly those bytes when libbson's bson_utf8_validate (allow_null
 * false) takes them, else the failed row with typing.c's reason (a NUL
 * first) and the fields as read, s null. */
static void
text_case_expect (bql_buf_t *out, int k, const char *pad, const text_case_t *t)
{
   bool ok = bson_utf8_validate (t->s, t->len, false);
   bson_t doc = BSON_INITIALIZER;
   char id[16];
   snprintf (id, sizeof id, "%d", k);
   if (ok) {
      BSON_APPEND_INT32 (&doc, "id", k);
   } else {
      BSON_APPEND_UTF8 (&doc, "id", id);
   }
   if (pad) {
      BSON_APPEND_UTF8 (&doc, "pad", pad);
   }
   if (ok) {
      bson_append_utf8 (&doc, "s", 1, t->s, (int) t->len);
   } else {
      BSON_APPEND_NULL (&doc, "s");
   }
   char *json = bson_as_relaxed_extended_json (&doc, NULL);
   if (ok) {
      bql_buf_printf (out, "OK %d @%d %s\n", k, k + 1, json);
   } else {
      bql_buf_printf (out, "FAILED %d @%d line %d: column s: %s | %s\n", k, k + 1, k + 1,
                      memchr (t->s, '\0', t->len) ? "the value contains a NUL byte" : "not valid UTF-8", json);
   }
   bson_free (json);
   bson_destroy (&doc);
}

static void
test_csv_text_ok_edges (void **state)
{
   (void) state;
   /* STRING fields of 1 to 9 bytes (a word and one more: the words
    * overlap, and text_ok's last word, or a short field's one masked
    * word, holds the tail) with, at every offset: a NUL, a lone 0x80, "é"
    * (2 bytes), "€" (3), U+1D11E (4), all of them across the 8-byte
    * boundary at some offset, an overlong '/' (C0 AF, E0 80 AF), a
    * surrogate (ED A0 80); at the very end, a 2- and a 3-byte sequence
    * cut short. Each is what libbson's bson_utf8_validate says (the
    * general path: typing.c and convert_text). */
   static const struct {
      const char *bytes;
      bool at_end_only;
   } ins[] = {
      {"", false},          {"\0", false},           {"\x80", false},         {"\xC3\xA9", false},
      {"\xE2\x82\xAC", false}, {"\xF0\x9D\x84\x9E", false}, {"\xC0\xAF", false}, {"\xE0\x80\xAF", false},
      {"\xED\xA0\x80", false}, {"\xC3", true},          {"\xE2\x82", true},
   };
   static const size_t ins_len[] = {0, 1, 1, 2, 3, 4, 2, 3, 3, 1, 2};
   text_case_t cases[1000];
   size_t ncases = 0;
   for (size_t len = 1; len <= 9; len++) {
      for (size_t j = 0; j < sizeof ins / sizeof ins[0]; j++) {
         for (size_t p = 0; p < len; p++) {
            if (ins[j].at_end_only) {
               p = len >= ins_len[j] ? len - ins_len[j] : len;
            }
            text_case_add (cases, &ncases, len, p, ins[j].bytes, ins_len[j]);
            if (ins[j].at_end_only || ins_len[j] == 0) {
               break;
            }
         }
      }
   }
   assert_true (ncases > 200 && ncases <= sizeof cases / sizeof cases[0]);
   size_t nvalid = 0;
   for (size_t i = 0; i < ncases; i++) {
      nvalid += bson_utf8_validate (cases[i].s, cases[i].len, false);
   }
   assert_true (nvalid > 50 && nvalid < ncases - 50);

   /* every case a row, s at the end of its line; the last row without a
    * newline at the end of the file */
   bql_buf_t file, want;
   bql_buf_init (&file);
   bql_buf_init (&want);
   bql_buf_puts (&file, "id,s\n");
   for (size_t i = 0; i < ncases; i++) {
      bql_buf_printf (&file, "%zu,", i + 1);
      bql_buf_append (&file, cases[i].s, cases[i].len);
      if (i + 1 < ncases) {
         bql_buf_putc (&file, '\n');
      }
      text_case_expect (&want, (int) i + 1, NULL, &cases[i]);
   }
   bql_buf_puts (&want, "END\n");
   char path[512], sql[800];
   write_file ("text_ok.csv", file.data, file.len, path, sizeof path);
   snprintf (sql, sizeof sql, "BULK INSERT INTO t (id INT, s STRING) FROM '%s'", path);
   expect_rows (sql, want.data);

   /* each case as the last field of a long line, the line longer each
    * row: fields_buf is 256 bytes until a row needs more, so s ends
    * ever nearer its end, until fewer than 8 bytes after s's start are
    * readable (text_ok reads a short field byte by byte); the file's
    * last row has no newline */
   char pad[300];
   for (size_t i = 0; i < ncases; i++) {
      bql_buf_reset (&file);
      bql_buf_reset (&want);
      bql_buf_puts (&file, "id,pad,s\n");
      int k = 0;
      for (size_t plen = 228; plen <= 252; plen++) {
         k++;
         memset (pad, 'p', plen);
         pad[plen] = '\0';
         bql_buf_printf (&file, "%s%d,%s,", k > 1 ? "\n" : "", k, pad);
         bql_buf_append (&file, cases[i].s, cases[i].len);
         text_case_expect (&want, k, pad, &cases[i]);
      }
      bql_buf_puts (&want, "END\n");
      write_file ("text_ok_long.csv", file.data, file.len, path, sizeof path);
      snprintf (sql, sizeof sql, "BULK INSERT INTO t (id INT, pad STRING, s STRING) FROM '%s'", path);
      expect_rows (sql, want.data);
   }
   bql_buf_cleanup (&file);
   bql_buf_cleanup (&want);
}

/* ---- gzip ---- */

static const char *gz_csv = "id,v\n1,a\n2,b\n";

static void
test_gzip (void **state)
{
   (void) state;
   unsigned char gz[512];
   size_t n = gzip_bytes (gz_csv, gz, sizeof gz);
   char path[512], sql[800];
   /* known by its magic whatever the name; two members are one stream */
   unsigned char two[1024];
   memcpy (two, gz, n);
   memcpy (two + n, gz, n);
   write_file ("two.data", two, 2 * n, path, sizeof path);
   snprintf (sql, sizeof sql, "BULK INSERT INTO t FROM '%s' FORMAT CSV", path);
   planned_t p = plan_of (sql);
   bql_error_t err;
   bql_error_clear (&err);
   bql_source_t *src = bql_source_open (p.plan, NULL, NULL, &err);
   assert_non_null (src);
   assert_int_equal (bql_source_bytes_total (src), (int64_t) (2 * n));
   char *got = transcript (src, false);
   /* the second member's header is a row like any other, and its text
    * makes id a STRING column (the sample holds every row) */
   assert_string_equal (got, "OK 1 @2 { \"id\" : \"1\", \"v\" : \"a\" }\n"
                             "OK 2 @3 { \"id\" : \"2\", \"v\" : \"b\" }\n"
                             "OK 3 @4 { \"id\" : \"id\", \"v\" : \"v\" }\n"
                             "OK 4 @5 { \"id\" : \"1\", \"v\" : \"a\" }\n"
                             "OK 5 @6 { \"id\" : \"2\", \"v\" : \"b\" }\n"
                             "END\n");
   assert_int_equal (bql_source_bytes_read (src), (int64_t) (2 * n));
   free (got);
   bql_source_close (src);
   planned_free (&p);
}

static void
test_gzip_trailing_garbage (void **state)
{
   (void) state;
   unsigned char gz[512];
   size_t n = gzip_bytes (gz_csv, gz, sizeof gz);
   memcpy (gz + n, "garbage\n", 8);
   char path[512], sql[800], expected[1400];
   write_file ("garbage.csv.gz", gz, n + 8, path, sizeof path);
   snprintf (sql, sizeof sql, "BULK INSERT INTO t FROM '%s'", path);
   /* the rows before are rows; the error names the file, the line after
    * the last one read, and the byte offset of the garbage */
   snprintf (expected, sizeof expected,
             "OK 1 @2 { \"id\" : 1, \"v\" : \"a\" }\n"
             "OK 2 @3 { \"id\" : 2, \"v\" : \"b\" }\n"
             "ERROR failed: %s:4: trailing garbage after the gzip stream at byte offset %zu of the compressed input "
             "(not the start of another gzip member)\n",
             path, n);
   expect_rows (sql, expected);

   /* the error is located at the FROM clause */
   planned_t p = plan_of (sql);
   bql_error_t err;
   bql_error_clear (&err);
   bql_source_t *src = bql_source_open (p.plan, NULL, NULL, &err);
   free (transcript (src, false));
   assert_true (bql_source_failed (src));
   const bql_error_t *e = bql_source_error (src);
   assert_int_equal (e->code, BQL_ERR_IO);
   assert_int_equal (e->offset, (int64_t) (strstr (sql, "FROM") - sql));
   assert_int_equal (e->line, 1);
   bql_source_close (src);
   planned_free (&p);

   /* cut short */
   write_file ("cut.csv.gz", gz, n - 6, path, sizeof path);
   snprintf (sql, sizeof sql, "BULK INSERT INTO t FROM '%s'", path);
   snprintf (expected, sizeof expected,
             "OK 1 @2 { \"id\" : 1, \"v\" : \"a\" }\n"
             "OK 2 @3 { \"id\" : 2, \"v\" : \"b\" }\n"
             "ERROR failed: %s:4: the gzip stream is truncated (unexpected end of file)\n",
             path);
   expect_rows (sql, expected);
}

static void
test_open_errors (void **state)
{
   (void) state;
   char path[512];
   write_file ("plain.gz", gz_csv, strlen (gz_csv), path, sizeof path);
   char sql[800], expected[1200];
   snprintf (sql, sizeof sql, "BULK INSERT INTO t FROM 'plain.gz' FORMAT CSV");
   snprintf (expected, sizeof expected, "IO@19+26: '%s/plain.gz' is not gzip-compressed (its name ends in .gz)",
             tmpdir);
   expect_open_error (tmpdir, sql, expected);
   snprintf (expected, sizeof expected, "IO@19+15: cannot open '%s/none.csv': No such file or directory", tmpdir);
   expect_open_error (tmpdir, "BULK INSERT INTO t FROM 'none.csv'", expected);
   snprintf (sql, sizeof sql, "BULK INSERT INTO t FROM '%s' FORMAT CSV", BQL_FIXTURES);
   snprintf (expected, sizeof expected, "IO@19+%zu: cannot read '%s': it is a directory", strlen (sql) - 19,
             BQL_FIXTURES);
   expect_open_error (tmpdir, sql, expected);
}

/* ---- JSON ---- */

static void
test_ndjson (void **state)
{
   (void) state;
   /* one document per line: a blank line is no row, a bad line fails
    * (with its line and column) and the next is read; '$' names fail */
   expect_rows ("BULK INSERT INTO t FROM 'rows.ndjson'",
                "OK 1 @1 { \"a\" : 1 }\n"
                "OK 2 @3 { \"a\" : 2, \"b\" : \"x\" }\n"
                "FAILED 3 @4 line 4: invalid JSON: Incomplete JSON | { }\n"
                "FAILED 4 @5 line 5, column 10: text after the document | { }\n"
                "FAILED 5 @6 line 6: column \"$bad\": a field name cannot start with '$' | { }\n"
                "OK 6 @7 { \"a\" : 4 }\n"
                "END\n");
}

static void
test_json_array_and_stream (void **state)
{
   (void) state;
   /* array elements over several lines: each row is on the line where
    * its element starts; a bad element fails alone */
   expect_rows ("BULK INSERT INTO t FROM 'array.json'",
                "OK 1 @2 { \"a\" : 1 }\n"
                "OK 2 @3 { \"a\" : 2, \"b\" : [ 1, 2 ] }\n"
                "FAILED 3 @5 line 5: invalid JSON: Got parse error at \"}\", position 6: \"VALUE_EXPECTED\" | { }\n"
                "OK 4 @6 { \"a\" : 4 }\n"
                "END\n");
   /* documents one after another, pretty-printed or on one line */
   expect_rows ("BULK INSERT INTO t FROM 'stream.json'",
                "OK 1 @1 { \"a\" : 1 }\n"
                "OK 2 @2 { \"a\" : 2 }\n"
                "OK 3 @4 { \"a\" : 3 }\n"
                "END\n");
   /* an array never closed: its rows, then the error at the last element */
   char expected[1200];
   snprintf (expected, sizeof expected,
             "OK 1 @1 { \"a\" : 1 }\n"
             "OK 2 @2 { \"a\" : 2 }\n"
             "ERROR failed: %s/unclosed.json:2: the JSON array is not closed: no ']' after the element that starts "
             "on this line\n",
             BQL_FIXTURES);
   expect_rows ("BULK INSERT INTO t FROM 'unclosed.json'", expected);
}

/* FORMAT JSON whose structure is broken: the rows before, then a fatal
 * error naming the line. */
static void
test_json_structure (void **state)
{
   (void) state;
   static const struct {
      const char *text;
      const char *expected; /* after the rows, "ERROR failed: <path>:" is followed by this */
   } cases[] = {
      {"[{\"a\": 1}] x", "OK 1 @1 { \"a\" : 1 }\n|1: text after the end of the JSON array\n"},
      {"[{\"a\": 1},\n]", "OK 1 @1 { \"a\" : 1 }\n|2: a ',' before the ']' that closes the JSON array\n"},
      {"[\n,{\"a\": 1}]", "|2: an empty element in the JSON array\n"},
      {"{\"a\": 1}\n 5 {}", "OK 1 @1 { \"a\" : 1 }\n|2: '5' between the JSON documents: each must start with '{'\n"},
      {"\n\x01", "|2: a JSON file must hold an array of documents or documents one after another, not start with the "
                  "byte 0x01 (for one document per line use FORMAT NDJSON)\n"},
      {"[{\"a\": [1}]", "|1: '}' does not close what is open in the JSON array element that starts on line 1\n"},
      {"[{\"a\": 1},\n {\"a\": \"x\n\"}]",
       "OK 1 @1 { \"a\" : 1 }\n|2: a string in the JSON array element that starts on this line runs past the end of "
       "line 2\n"},
      {"{\"a\": 1}\n{\"a\":\n", "OK 1 @1 { \"a\" : 1 }\n|2: the JSON document that starts on this line is not "
                                "closed at the end of the input\n"},
      {"[\n", "|2: the JSON array is not closed at the end of the input\n"},
      {" [ ] ", "END\n"},
      {"", "END\n"},
   };
   for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      char path[512], sql[800], expected[1400];
      write_file ("structure.json", cases[i].text, strlen (cases[i].text), path, sizeof path);
      snprintf (sql, sizeof sql, "BULK INSERT INTO t FROM '%s'", path);
      const char *bar = strchr (cases[i].expected, '|');
      if (bar) {
         snprintf (expected, sizeof expected, "%.*sERROR failed: %s:%s", (int) (bar - cases[i].expected),
                   cases[i].expected, path, bar + 1);
      } else {
         snprintf (expected, sizeof expected, "%s", cases[i].expected);
      }
      expect_rows (sql, expected);
   }
}

static void
test_json_bad_utf8 (void **state)
{
   (void) state;
   expect_rows ("BULK INSERT INTO t FROM 'badutf8.ndjson'",
                "OK 1 @1 { \"s\" : \"ok\" }\n"
                "FAILED 2 @2 line 2: invalid JSON: invalid bytes in UTF8 string | { }\n"
                "OK 3 @3 { \"s\" : \"fine\" }\n"
                "END\n");
}

static void
test_json_typed_columns (void **state)
{
   (void) state;
   /* listed columns of a document are converted in place; the rest stay */
   char path[512];
   const char *text = "{\"a\": \"5\", \"b\": {\"c\": 2}, \"z\": true}\n{\"a\": \"x\"}\n";
   write_file ("typed.ndjson", text, strlen (text), path, sizeof path);
   char sql[800];
   snprintf (sql, sizeof sql, "BULK INSERT INTO t (a INT, b.c DOUBLE) FROM '%s'", path);
   expect_rows_io (sql, NULL, NULL, true,
                   "OK 1 @1 { \"a\" : { \"$numberInt\" : \"5\" }, \"b\" : { \"c\" : { \"$numberDouble\" : "
                   "\"2.0\" } }, \"z\" : true }\n"
                   "FAILED 2 @2 line 2: column a: \"x\" is not an integer | { \"a\" : \"x\" }\n"
                   "END\n");
}

/* ---- the caller's stream, next_row, cancel ---- */

static void
test_caller_stream (void **state)
{
   (void) state;
   /* a stream a program has already read from and pushed a byte back
    * into: fread sees the byte */
   char path[512];
   const char *text = "{\"a\": 1}\n{\"a\": 2}\n";
   write_file ("stream.ndjson", text, strlen (text), path, sizeof path);
   FILE *fp = fopen (path, "r");
   assert_non_null (fp);
   int c = getc (fp);
   assert_int_equal (c, '{');
   assert_int_equal (ungetc (c, fp), '{');
   bql_source_io_t io = {.stdin_stream = fp};
   expect_rows_io ("BULK INSERT INTO t FROM STDIN FORMAT NDJSON", &io, NULL, false,
                   "OK 1 @1 { \"a\" : 1 }\nOK 2 @2 { \"a\" : 2 }\nEND\n");
   fclose (fp);

   /* a stream without a descriptor; gzip on it too */
   unsigned char gz[512];
   size_t n = gzip_bytes ("x,y\n1,2\n", gz, sizeof gz);
   FILE *mem = fmemopen (gz, n, "r");
   assert_non_null (mem);
   io.stdin_stream = mem;
   expect_rows_io ("BULK INSERT INTO t FROM STDIN FORMAT CSV", &io, NULL, false,
                   "OK 1 @2 { \"x\" : 1, \"y\" : 2 }\nEND\n");
   fclose (mem);
}

typedef struct {
   int n;
} rows_ctx_t;

static bool
next_row (void *ctx, bson_t *row, bql_error_t *error)
{
   rows_ctx_t *c = ctx;
   if (c->n == 3) {
      error->domain = BQL_ERROR_EXECUTE;
      snprintf (error->message, sizeof error->message, "no more");
      return false;
   }
   c->n++;
   BSON_APPEND_INT32 (row, "a", c->n);
   if (c->n == 2) {
      BSON_APPEND_INT32 (row, "$x", 1);
   }
   return true;
}

static bool
next_row_fails (void *ctx, bson_t *row, bql_error_t *error)
{
   (void) row;
   int *n = ctx;
   if ((*n)++ == 0) {
      BSON_APPEND_INT32 (row, "a", 1);
      return true;
   }
   error->domain = BQL_ERROR_EXECUTE; /* no code, no message */
   return false;
}

static void
test_next_row (void **state)
{
   (void) state;
   rows_ctx_t ctx = {0};
   bql_source_io_t io = {.next_row = next_row, .next_row_ctx = &ctx};
   /* the n-th document is "line n"; a failure of the program's source
    * is the source's error, code IO */
   expect_rows_io ("BULK INSERT INTO t FROM STDIN FORMAT NDJSON CHECK (a < 3)", &io, NULL, false,
                   "OK 1 @1 { \"a\" : 1 }\n"
                   "FAILED 2 @2 line 2: column \"$x\": a field name cannot start with '$' | { }\n"
                   "FAILED 3 @3 line 3: CHECK (a < 3) failed | { \"a\" : 3 }\n"
                   "ERROR failed: no more\n");
   int n = 0;
   bql_source_io_t io2 = {.next_row = next_row_fails, .next_row_ctx = &n};
   planned_t p = plan_of ("BULK INSERT INTO t FROM STDIN FORMAT NDJSON");
   bql_error_t err;
   bql_error_clear (&err);
   bql_source_t *src = bql_source_open (p.plan, &io2, NULL, &err);
   char *got = transcript (src, false);
   assert_string_equal (got, "OK 1 @1 { \"a\" : 1 }\nERROR failed: next_row failed after row 1\n");
   assert_int_equal (bql_source_error (src)->code, BQL_ERR_IO);
   free (got);
   bql_source_close (src);
   planned_free (&p);
   expect_open_error_io (BQL_FIXTURES, "BULK INSERT INTO t FROM STDIN FORMAT CSV", &io,
                         "IO@19+21: rows from next_row are documents: write FROM STDIN FORMAT NDJSON");
}

static void
test_cancel_and_time (void **state)
{
   (void) state;
   const char *text = "{\"a\": 1}\n";
   FILE *mem = fmemopen ((void *) text, strlen (text), "r");
   volatile int cancel = 1;
   bql_source_io_t io = {.stdin_stream = mem};
   expect_rows_io ("BULK INSERT INTO t FROM STDIN FORMAT NDJSON", &io, &cancel, false,
                   "ERROR cancelled: cancelled while reading <stdin>\n");
   rewind (mem);
   cancel = 0;
   io.max_execution_ms = 1500;
   io.start_us = bson_get_monotonic_time () - 2000000;
   expect_rows_io ("BULK INSERT INTO t FROM STDIN FORMAT NDJSON", &io, &cancel, false,
                   "ERROR cancelled: stopped after 1.5 s (max_execution_time) while reading <stdin>\n");
   fclose (mem);

   /* a regular file cancelled before its first read cannot be opened */
   planned_t p = plan_of ("BULK INSERT INTO t FROM 'stream.json'");
   bql_error_t err;
   bql_error_clear (&err);
   cancel = 1;
   assert_null (bql_source_open (p.plan, NULL, &cancel, &err));
   assert_int_equal (err.code, BQL_ERR_ABORTED);
   assert_string_equal (err.message, "cancelled while reading " BQL_FIXTURES "/stream.json");
   /* bql_source_stop: as a cancel */
   cancel = 0;
   bql_source_t *src = bql_source_open (p.plan, NULL, &cancel, &err);
   assert_non_null (src);
   bql_source_stop (src);
   /* the first chunk was read at the opening (to look for the gzip
    * magic): its rows still come, and the next read stops */
   char *got = transcript (src, false);
   assert_string_equal (got, "OK 1 @1 { \"a\" : 1 }\n"
                             "OK 2 @2 { \"a\" : 2 }\n"
                             "OK 3 @4 { \"a\" : 3 }\n"
                             "ERROR cancelled: cancelled while reading " BQL_FIXTURES "/stream.json\n");
   free (got);
   bql_source_close (src);
   planned_free (&p);
}

/* ---- parse threads ---- */

/* Scan text whole, and again in two pieces split at every byte: the
 * same boundaries. */
static bql_chunk_scan_t
scan_text (const char *text, char quote)
{
   size_t len = strlen (text);
   bql_chunk_scan_t whole = {0};
   bql_chunk_scan (&whole, text, len, quote);
   for (size_t split = 0; split <= len; split++) {
      bql_chunk_scan_t sc = {0};
      bql_chunk_scan (&sc, text, split, quote);
      bql_chunk_scan (&sc, text, len, quote);
      assert_memory_equal (&sc, &whole, sizeof sc);
   }
   return whole;
}

static void
test_chunk_boundaries (void **state)
{
   (void) state;
   /* NDJSON: every line end is a boundary, blank lines and CRLF too; a
    * last line without a newline is after the last boundary */
   bql_chunk_scan_t sc = scan_text ("{\"a\": \"x\\\"\"}\n\n{}\r\n{\"b\": 1}", 0);
   assert_int_equal (sc.cut, 18);
   assert_int_equal (sc.cut_lines, 3);
   assert_int_equal (sc.nl, 18);
   assert_int_equal (sc.lines, 3);
   /* CSV: a newline inside quotes is no boundary ("" is a quote in a
    * quoted field, a CRLF inside quotes neither); the CRLF after the
    * record is */
   sc = scan_text ("a,\"x\r\ny\"\"\nz\"\r\nb,c\n1,\"open\n", '"');
   assert_int_equal (sc.cut, 18);
   assert_int_equal (sc.cut_lines, 4);
   assert_int_equal (sc.nl, 26);
   assert_int_equal (sc.nl_lines, 5);
   assert_true (sc.quoted);
   /* another quote character; the double quote is then plain */
   sc = scan_text ("a,'x\ny'\nb\"c\n", '\'');
   assert_int_equal (sc.cut, 12);
   assert_int_equal (sc.cut_lines, 3);
   /* a line longer than any chunk: no boundary until its end */
   char *big = bson_malloc (300001);
   memset (big, 'x', 300000);
   big[0] = '"';
   big[299998] = '"';
   big[299999] = '\n';
   big[300000] = '\0';
   bql_chunk_scan_t whole = {0};
   bql_chunk_scan (&whole, big, 150000, '"');
   assert_int_equal (whole.cut, 0);
   bql_chunk_scan (&whole, big, 300000, '"');
   assert_int_equal (whole.cut, 300000);
   assert_int_equal (whole.cut_lines, 1);
   bson_free (big);
}

/* What one thread reads of sql's source, which each of the nmodes read
 * modes must give too (expect_rows_in_modes). */
static void
expect_same_in_modes (const char *sql, const read_mode_t *modes, size_t nmodes)
{
   planned_t p = plan_of (sql);
   p.plan->opts.parse_threads = 1;
   bql_error_t err;
   bql_error_clear (&err);
   bql_source_t *src = bql_source_open (p.plan, NULL, NULL, &err);
   if (!src) {
      fail_msg ("open: %s", err.message);
   }
   char *one = transcript (src, true);
   bql_source_close (src);
   planned_free (&p);
   expect_rows_in_modes (sql, NULL, NULL, true, one, modes, nmodes);
   free (one);
}

static void
expect_same_in_every_mode (const char *sql)
{
   expect_same_in_modes (sql, read_modes, sizeof read_modes / sizeof read_modes[0]);
}

/* Write text as name in tmpdir and check sql_fmt's source (its "%s" the
 * path) in every read mode. */
static void
expect_text_in_every_mode (const char *name, const char *text, size_t len, const char *sql_fmt)
{
   char path[512], sql[800];
   write_file (name, text, len, path, sizeof path);
   snprintf (sql, sizeof sql, sql_fmt, path);
   expect_same_in_every_mode (sql);
}

static void
test_parse_threads_cut_anywhere (void **state)
{
   (void) state;
   /* NDJSON: blank lines, CRLF, bad documents, CHECK, a last line
    * without a newline */
   const char *nd = "{\"a\": 1}\n\n\r\n{\"a\": 2}\r\n{\"a\": }\n{\"$b\": 1}\n   \n{\"a\": 9}\n{\"a\": \"x\\ny\"}\n"
                    "{\"a\": [1, {\"b\": 2}]}\n{\"a\": 4}";
   expect_text_in_every_mode ("pt.ndjson", nd, strlen (nd), "BULK INSERT INTO t FROM '%s' CHECK (a < 5)");
   /* CSV: quoted fields with newlines and CRLF, "" quotes, blank lines,
    * a typed column, bad quoting, a field count that is wrong, a CR
    * outside quotes, a quote never closed at the end */
   const char *csv = "id,name,n\r\n1,\"two\r\nlines\",3\r\n\r\n2,\"say \"\"hi\"\"\n\n\",4\n3,x\"y,5\n4,\"a,b\",x\n"
                     "5,\"q\n\"\"\n\",6\n6,a\rb,7\n7,only\n8,\"last\n";
   expect_text_in_every_mode ("pt.csv", csv, strlen (csv), "BULK INSERT INTO t (id INT, name, n INT) FROM '%s'");
   /* skip_lines and inferred types before the rest is cut */
   const char *skipped = "junk\n\"more\njunk\"\na,b\n1,x\n2,\"y\n\"\n3,z";
   expect_text_in_every_mode ("pt2.csv", skipped, strlen (skipped),
                              "BULK INSERT INTO t FROM '%s' (skip_lines = 1, infer_rows = 1)");
   skipped = "skip\n{\"a\": 1}\n{\"a\": 2}\n";
   expect_text_in_every_mode ("pt2.ndjson", skipped, strlen (skipped), "BULK INSERT INTO t FROM '%s' (skip_lines = 1)");
}

static void
test_parse_threads_broken_quotes (void **state)
{
   (void) state;
   /* quoting that misleads the count of quotes: after 1,x"y (a bad row,
    * then the next line starts afresh) the count says "inside quotes"
    * where one thread is not, and after 3,"q it says "outside" where one
    * thread is inside a field that spans lines: chunks cut there end
    * inside a record, and the reader parses on from it */
   bql_buf_t b;
   bql_buf_init (&b);
   bql_buf_puts (&b, "a,b\n");
   for (int i = 0; i < 200; i++) {
      bql_buf_printf (&b, "%d,x\"y\n%d,z\n%d,\"q\nw\"\"\n\"\n%d,v\n\n", i, i, i, i);
   }
   bql_buf_puts (&b, "end,\"never closed\nmore\n");
   expect_text_in_every_mode ("broken.csv", b.data, b.len, "BULK INSERT INTO t FROM '%s'");
   bql_buf_cleanup (&b);
}

static void
test_parse_threads_long_lines (void **state)
{
   (void) state;
   /* a line longer than a chunk (256 KiB, and the tiny test chunks):
    * the chunk grows to hold it */
   size_t n = 300 * 1024;
   bql_buf_t b;
   bql_buf_init (&b);
   bql_buf_puts (&b, "{\"a\": 1}\n{\"s\": \"");
   for (size_t i = 0; i < n; i++) {
      bql_buf_putc (&b, (char) ('a' + i % 26));
   }
   bql_buf_puts (&b, "\"}\n{\"a\": 2}\n");
   expect_text_in_every_mode ("long.ndjson", b.data, b.len, "BULK INSERT INTO t FROM '%s'");
   bql_buf_reset (&b);
   bql_buf_puts (&b, "a,s\n1,x\n2,\"");
   for (size_t i = 0; i < n; i++) {
      bql_buf_putc (&b, i % 1000 == 999 ? '\n' : (char) ('a' + i % 26));
   }
   bql_buf_puts (&b, "\"\n3,y");
   expect_text_in_every_mode ("long.csv", b.data, b.len, "BULK INSERT INTO t FROM '%s'");
   bql_buf_cleanup (&b);
}

static void
test_parse_threads_oversize_lines (void **state)
{
   (void) state;
   /* lines longer than 64 MiB fail their rows (their bytes are dropped
    * as they are read), one after another and last without a newline */
   size_t n = ((size_t) 64 << 20) + 10;
   char *big = bson_malloc (n);
   memset (big, ' ', n);
   char path[512];
   snprintf (path, sizeof path, "%s/oversize.ndjson", tmpdir);
   FILE *fp = fopen (path, "wb");
   assert_non_null (fp);
   fputs ("{\"a\": 1}\n", fp);
   fwrite (big, 1, n, fp);
   fputs ("\n", fp);
   fwrite (big, 1, n, fp);
   fputs ("\n{\"a\": 2}\n", fp);
   fwrite (big, 1, n, fp);
   assert_int_equal (fclose (fp), 0);
   bson_free (big);
   char sql[800];
   snprintf (sql, sizeof sql, "BULK INSERT INTO t FROM '%s'", path);
   /* Not in every read mode: a line of 64 MiB cannot be made shorter,
    * and the chunker grows a chunk by at most its size a step, so 1-, 5-
    * and 17-byte chunks cost a hundred million steps (81 s under ASan)
    * for nothing the others do not check: the chunker cuts this input
    * the same way whatever the chunk size (a chunk ends at its last line
    * end once it holds its size; the short lines are 9 bytes): line 1
    * alone; line 2 dropped from a chunk that starts afresh, which ends
    * empty as line 3 passes 64 MiB; line 3 dropped first in the next,
    * with line 4 after it; line 5 dropped afresh up to the end of the
    * input, without a newline. The default chunks pass 64 MiB inside a
    * step of 256 KiB, the 64-byte ones within 64 bytes of it. */
   expect_rows_in_modes (sql, NULL, NULL, false,
                         "OK 1 @1 { \"a\" : 1 }\n"
                         "FAILED 2 @2 line 2: the line is longer than 64 MiB | { }\n"
                         "FAILED 3 @3 line 3: the line is longer than 64 MiB | { }\n"
                         "OK 4 @4 { \"a\" : 2 }\n"
                         "FAILED 5 @5 line 5: the line is longer than 64 MiB | { }\n"
                         "END\n",
                         big_input_modes, sizeof big_input_modes / sizeof big_input_modes[0]);
   unlink (path);
}

static void
test_parse_threads_gzip (void **state)
{
   (void) state;
   /* a gzip input of several inflated chunks, whole and cut short: the
    * error comes after the rows before it, at the same line */
   bql_buf_t b;
   bql_buf_init (&b);
   for (int i = 0; i < 60000; i++) {
      bql_buf_printf (&b, "{\"i\": %d, \"s\": \"%08x%08x\"}\n", i, (unsigned) i * 2654435761u, (unsigned) i);
   }
   size_t cap = b.len + 1024;
   unsigned char *gz = bson_malloc (cap);
   size_t n = gzip_bytes (b.data, gz, cap);
   char path[512], sql[800];
   write_file ("many.ndjson.gz", gz, n, path, sizeof path);
   /* Not in every read mode: the input must be several inflated chunks
    * (1 MiB each; about 2.3 MiB here), which 1- to 64-byte chunks cut
    * into one line a chunk (34 to 38 bytes), 60,000 chunks a read (49 s
    * under ASan, most of it threads waiting for each other). What the
    * test is about is in one thread, the default chunks (256 KiB: a few
    * an inflated chunk, ending inside them) and 1 KiB chunks (about a
    * thousand an inflated chunk, the ring of chunks going round many
    * times within each): in all, lines cross the inflated chunks' ends
    * and the cut input stops inside a line of a chunk being filled. */
   static const read_mode_t modes[] = {{1, 0}, {4, 0}, {3, 1024}};
   size_t nmodes = sizeof modes / sizeof modes[0];
   snprintf (sql, sizeof sql, "BULK INSERT INTO t FROM '%s' CHECK (i %% 1000 <> 7)", path);
   expect_same_in_modes (sql, modes, nmodes);
   write_file ("cut.ndjson.gz", gz, n / 2, path, sizeof path);
   snprintf (sql, sizeof sql, "BULK INSERT INTO t FROM '%s'", path);
   expect_same_in_modes (sql, modes, nmodes);
   bson_free (gz);
   bql_buf_cleanup (&b);
}

/* ---- issue 16's defaults: each test fails when its default is gone ---- */

/* How the rows of a source were read (with the plan's own options: no
 * parse_threads or chunk size set by the test). */
typedef struct {
   int64_t rows;       /* OK rows */
   int64_t fast;       /* ... with the JSON fast path's facts (below) */
   int64_t slow;       /* ... with no facts: libbson's reader built them */
   bool threads;       /* the rest was read on parse threads (parallel.c) */
   int workers;        /* ... by this many workers (1: on the reading thread) */
   int explained;      /* the plan's EXPLAIN: source.parse_threads (-1: none) */
   bool inflater;      /* the input was inflated on a thread of its own (input.c) */
} how_read_t;

/* Read every row of sql's source as a load with the plan's default
 * options reads it. A row built by the JSON fast path has the facts it
 * learns while building (bql_source_row_facts: BQL_ROW_FINITE |
 * BQL_ROW_NAMES_VALID for these plain documents) and whether it has an
 * _id (bql_source_row_has_id: 1); one built by libbson's reader has none
 * (0, and -1: unknown), as source.h says. Every row must be OK. */
/* What the plan's EXPLAIN shows as source.parse_threads (-1: nothing). */
static int
explained_threads (const bql_plan_t *planned)
{
   bson_t plan;
   bql_error_t err;
   assert_true (bql_plan_explain (planned, &plan, &err));
   bson_iter_t it;
   int n = bson_iter_init (&it, &plan) && bson_iter_find_descendant (&it, "source.parse_threads", &it) &&
                 BSON_ITER_HOLDS_INT32 (&it)
              ? bson_iter_int32 (&it)
              : -1;
   bson_destroy (&plan);
   return n;
}

static how_read_t
read_planned (const char *sql, int cores)
{
   how_read_t h = {0};
   planned_t p = plan_cores (BQL_FIXTURES, sql, cores);
   assert_int_equal (p.plan->opts.parse_threads, 0); /* the default */
   bql_error_t err;
   bql_error_clear (&err);
   bql_source_t *src = bql_source_open (p.plan, NULL, NULL, &err);
   if (!src) {
      fail_msg ("open: %s", err.message);
   }
   assert_string_equal (bql_source_kind (src), "file");
   bql_file_source_t *f = bql_source_impl (src);
   for (;;) {
      bson_t doc = BSON_INITIALIZER;
      int64_t rownum;
      const char *why;
      bql_row_rc_t rc = bql_source_next (src, &doc, &rownum, &why);
      bson_destroy (&doc);
      if (rc == BQL_ROW_END) {
         break;
      }
      if (rc != BQL_ROW_OK) {
         fail_msg ("row %lld: %s", (long long) h.rows + 1,
                   rc == BQL_ROW_FAILED ? why : bql_source_error (src)->message);
      }
      h.rows++;
      unsigned facts = bql_source_row_facts (src);
      int has_id = bql_source_row_has_id (src);
      if (facts == (BQL_ROW_FINITE | BQL_ROW_NAMES_VALID) && has_id == 1) {
         h.fast++;
      } else if (facts == 0 && has_id == -1) {
         h.slow++;
      } else {
         fail_msg ("row %lld: facts %u, has_id %d", (long long) h.rows, facts, has_id);
      }
   }
   /* what read the input, seen once it is all read (the reading thread
    * has taken every chunk: the chunker's writes happened before) */
   h.threads = f->par != NULL;
   h.workers = f->par ? bql_parallel_workers (f->par) : 1;
   h.inflater = f->in.gz != NULL;
   h.explained = explained_threads (p.plan);
   bql_source_close (src);
   planned_free (&p);
   return h;
}

/* read_planned on a plan made for this machine's cores. */
static how_read_t
read_by_default (const char *sql)
{
   return read_planned (sql, 0);
}

/* The threads bql_parallel_threads gives the plan of "BULK INSERT ...
 * FROM '<file>' WITH (<with>)" (no WITH when with is "") made for cores
 * cores (0: this machine's); *explained (when not NULL): what the plan's
 * EXPLAIN shows as source.parse_threads (-1: nothing). */
static int
threads_for (const char *file, const char *with, int cores, int *explained)
{
   char sql[300];
   snprintf (sql, sizeof sql, "BULK INSERT INTO t FROM '%s'%s%s%s", file, with[0] ? " WITH (" : "", with,
             with[0] ? ")" : "");
   planned_t p = plan_cores (BQL_FIXTURES, sql, cores);
   const char *dot = strrchr (file, '.');
   bql_format_t format = !strcmp (dot, ".json") ? BQL_FMT_JSON : !strcmp (dot, ".csv") ? BQL_FMT_CSV : BQL_FMT_NDJSON;
   int n = bql_parallel_threads (p.plan, format);
   if (explained) {
      *explained = explained_threads (p.plan);
   }
   planned_free (&p);
   return n;
}

/* The threads of "BULK INSERT INTO t FROM 'rows.ndjson' WITH (<with>)"
 * planned for this machine. */
static int
threads_with (const char *with)
{
   return threads_for ("rows.ndjson", with, 0, NULL);
}

/* n plain documents with an _id, as NDJSON lines (shape 'n'), the
 * elements of a JSON array ('['), or a stream of pretty-printed JSON
 * documents ('{'); with_decimals, every 1000th document holds
 * a $numberDecimal, Extended JSON the fast path hands to libbson's
 * reader. */
static void
json_docs (bql_buf_t *b, char shape, int n, bool with_decimals)
{
   if (shape == '[') {
      bql_buf_puts (b, "[\n");
   }
   for (int i = 0; i < n; i++) {
      bool slow = with_decimals && i % 1000 == 999;
      bql_buf_printf (b, "%s{\"_id\": %d,%s\"s\": \"%08x\", \"d\": {\"$date\": \"2024-01-%02dT10:00:00Z\"}, "
                         "\"a\": [%d, {\"x\": %s}]}%s",
                      shape == '[' && i ? ",\n" : "", i, shape == '{' ? "\n  " : " ",
                      (unsigned) i * 2654435761u, 1 + i % 28, i % 7,
                      slow ? "{\"$numberDecimal\": \"1.5\"}" : "true", shape == '[' ? "" : "\n");
   }
   if (shape == '[') {
      bql_buf_puts (b, "\n]\n");
   }
}

static void
test_json_fast_path_is_the_default (void **state)
{
   (void) state;
   /* NDJSON (some MB: several chunks, read on parse threads when the
    * machine has more than one core), a JSON array and a JSON stream,
    * with the default options: every plain document is built by the
    * fast path (json.c makes its parser with the first record), the
    * Extended JSON it declines by libbson's reader */
   static const struct {
      char shape;
      const char *name, *format;
   } forms[] = {{'n', "fast.ndjson", "NDJSON"}, {'[', "fast_array.json", "JSON"}, {'{', "fast_stream.json", "JSON"}};
   for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
      int n = forms[i].shape == 'n' ? 40000 : 5000;
      bql_buf_t b;
      bql_buf_init (&b);
      json_docs (&b, forms[i].shape, n, true);
      char path[512], sql[800];
      write_file (forms[i].name, b.data, b.len, path, sizeof path);
      bql_buf_cleanup (&b);
      snprintf (sql, sizeof sql, "BULK INSERT INTO t FROM '%s' FORMAT %s", path, forms[i].format);
      how_read_t h = read_by_default (sql);
      assert_int_equal (h.rows, n);
      assert_int_equal (h.slow, n / 1000);
      assert_int_equal (h.fast, n - n / 1000);
      /* NDJSON on parse threads when the default gives more than one */
      assert_int_equal (h.threads, forms[i].shape == 'n' && threads_with ("") > 1);
   }
}

static void
test_gzip_is_inflated_on_its_own_thread (void **state)
{
   (void) state;
   /* a gzip input (NDJSON of several inflated chunks of 1 MiB, read on
    * parse threads when the machine has more than one core; a JSON
    * array, read on one thread; CSV) with the default options: the
    * input starts the inflating thread (gz_start) with its first read
    * and inflates every chunk there */
   static const struct {
      char shape;
      const char *name, *format;
      int n;
   } forms[] = {{'n', "inflated.ndjson.gz", "NDJSON", 60000}, {'[', "inflated.json.gz", "JSON", 500},
                {'c', "inflated.csv.gz", "CSV", 500}};
   for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
      bql_buf_t b;
      bql_buf_init (&b);
      if (forms[i].shape == 'c') {
         bql_buf_puts (&b, "_id,s\n");
         for (int k = 0; k < forms[i].n; k++) {
            bql_buf_printf (&b, "%d,x%d\n", k, k);
         }
      } else {
         json_docs (&b, forms[i].shape, forms[i].n, false);
      }
      size_t cap = b.len + 1024;
      unsigned char *gz = bson_malloc (cap);
      size_t n = gzip_bytes (b.data, gz, cap);
      char path[512], sql[800];
      write_file (forms[i].name, gz, n, path, sizeof path);
      snprintf (sql, sizeof sql, "BULK INSERT INTO t FROM '%s' FORMAT %s", path, forms[i].format);
      how_read_t h = read_by_default (sql);
      assert_int_equal (h.rows, forms[i].n);
      assert_true (h.inflater);
      bson_free (gz);
      bql_buf_cleanup (&b);
   }
}

static void
test_parse_threads_default (void **state)
{
   (void) state;
   /* parse_threads left out is the number of cores (online), at most
    * one per 8 MB of memory_limit (2 MB of chunks a thread, a quarter of
    * memory_limit for them) and at most 64 */
   long online = sysconf (_SC_NPROCESSORS_ONLN);
   assert_true (online >= 1);
   int cores = online > 64 ? 64 : (int) online;
   planned_t p = plan_of ("BULK INSERT INTO t FROM 'rows.ndjson'");
   assert_int_equal (p.plan->opts.parse_threads, 0);
   assert_int_equal (p.plan->opts.memory_limit, 256 << 20);
   planned_free (&p);
   assert_int_equal (threads_with (""), cores < 32 ? cores : 32);     /* 256MB: 32 at most */
   assert_int_equal (threads_with ("memory_limit = '1TB'"), cores);   /* no cap but the cores */
   assert_int_equal (threads_with ("memory_limit = '1MB'"), 1);       /* less than one thread's share */
   assert_int_equal (threads_with ("memory_limit = '15MB'"), 1);      /* capped to 1 */
   assert_int_equal (threads_with ("memory_limit = '16MB'"), cores < 2 ? cores : 2); /* capped to 2 */
   assert_int_equal (threads_with ("memory_limit = '23MB'"), cores < 2 ? cores : 2);
   /* given: that many, whatever the cores, within memory_limit */
   assert_int_equal (threads_with ("parse_threads = 1"), 1);
   assert_int_equal (threads_with ("parse_threads = 3"), 3);
   assert_int_equal (threads_with ("parse_threads = 64"), 32);
   assert_int_equal (threads_with ("parse_threads = 64, memory_limit = '1TB'"), 64);
   assert_int_equal (threads_with ("parse_threads = 5, memory_limit = '16MB'"), 2);
   assert_int_equal (threads_with ("parse_threads = 5, memory_limit = '8MB'"), 1);
   assert_int_equal (threads_with ("parse_threads = 2, memory_limit = '1MB'"), 1);

   /* the cores are the plan's (bql_plan_options_t.cores, or counted when
    * it is made): its EXPLAIN shows the threads bql_parallel_threads
    * gives, and a load of it runs them (the plan is what runs) */
   static const struct {
      const char *file, *with;
      int cores, threads, explained;
   } planned[] = {
      {"rows.ndjson", "", 3, 3, 3},
      {"rows.ndjson", "", 1, 1, 1},
      {"rows.ndjson", "", 40, 32, 32},
      {"rows.ndjson", "memory_limit = '1TB'", 100, 64, 64},
      {"rows.ndjson", "memory_limit = '16MB'", 3, 2, 2},
      {"rows.ndjson", "memory_limit = '8MB'", 3, 1, 1},
      {"rows.ndjson", "parse_threads = 5", 1, 5, 5},
      {"rows.ndjson", "parse_threads = 5, memory_limit = '8MB'", 1, 1, 1},
      {"typed.csv", "", 5, 5, 5},
      {"array.json", "", 5, 1, 1}, /* a JSON array or stream: one thread */
      {"array.json", "parse_threads = 4", 5, 1, 1},
   };
   for (size_t i = 0; i < sizeof planned / sizeof planned[0]; i++) {
      int explained;
      assert_int_equal (threads_for (planned[i].file, planned[i].with, planned[i].cores, &explained),
                        planned[i].threads);
      assert_int_equal (explained, planned[i].explained);
   }
   /* a load of NDJSON of several chunks planned for 1 core reads on one
    * thread, for 3 cores on parse threads, whatever this machine has */
   bql_buf_t b;
   bql_buf_init (&b);
   json_docs (&b, 'n', 40000, false);
   char path[512], sql[800];
   write_file ("planned.ndjson", b.data, b.len, path, sizeof path);
   bql_buf_cleanup (&b);
   snprintf (sql, sizeof sql, "BULK INSERT INTO t FROM '%s'", path);
   how_read_t one = read_planned (sql, 1), three = read_planned (sql, 3);
   assert_int_equal (one.rows, 40000);
   assert_false (one.threads);
   assert_int_equal (one.explained, 1);
   assert_int_equal (three.rows, 40000);
   assert_true (three.threads);
   assert_int_equal (three.workers, 3); /* what its EXPLAIN shows */
   assert_int_equal (three.explained, 3);
   /* a JSON array planned for 5 cores: one thread, and EXPLAIN says so */
   bql_buf_init (&b);
   json_docs (&b, '[', 40000, false);
   write_file ("planned.json", b.data, b.len, path, sizeof path);
   bql_buf_cleanup (&b);
   snprintf (sql, sizeof sql, "BULK INSERT INTO t FROM '%s'", path);
   how_read_t array = read_planned (sql, 5);
   assert_int_equal (array.rows, 40000);
   assert_false (array.threads);
   assert_int_equal (array.explained, 1);
}

/* A program built against the header before bql_plan_options_t.cores
 * passes size 64 (that struct's sizeof, padding included): the bytes past
 * its last field are whatever its memory held, and must not be read as
 * cores. */
static void
test_plan_options_of_an_older_size (void **state)
{
   (void) state;
   const char *sql = "BULK INSERT INTO t FROM 'rows.ndjson'";
   bql_script_t *script;
   bql_error_t err;
   bql_error_clear (&err);
   assert_true (bql_parse (sql, strlen (sql), NULL, &script, &err));
   bql_plan_options_t opts;
   memset (&opts, 0x01, sizeof opts); /* the old struct's padding too */
   opts.size = sizeof (bql_plan_options_v1_t); /* 64 on LP64 */
   opts.database = "test";
   opts.params = NULL;
   opts.now_ms = 1700000000000;
   opts.dry_run = false;
   opts.base_dir = BQL_FIXTURES;
   opts.opts = NULL;
   opts.explain_only = false;
   bql_plan_t *plan;
   if (!bql_plan_new (script, 0, &opts, &plan, &err)) {
      fail_msg ("plan: %s", err.message);
   }
   long online = sysconf (_SC_NPROCESSORS_ONLN);
   assert_int_equal (plan->cores, online > 0 ? online : 1); /* this machine's */
   bql_plan_destroy (plan);
   bql_script_destroy (script);
}

/* ---- VALUES, replay, EXPLAIN's sniff ---- */

static void
test_values (void **state)
{
   (void) state;
   expect_rows ("BULK INSERT INTO t (a, b) VALUES (1, 'x'), (-2, 'y'), (3, 'z') CHECK (a > 0)",
                "OK 1 @0 { \"a\" : 1, \"b\" : \"x\" }\n"
                "FAILED 2 @0 CHECK (a > 0) failed | { \"a\" : -2, \"b\" : \"y\" }\n"
                "OK 3 @0 { \"a\" : 3, \"b\" : \"z\" }\n"
                "END\n");
   planned_t p = plan_of ("BULK INSERT INTO t (a) VALUES (1), (2)");
   bql_source_t *src = bql_source_values_open (p.plan);
   assert_string_equal (bql_source_kind (src), "values");
   assert_int_equal (bql_source_rows_total (src), 2);
   assert_int_equal (bql_source_bytes_total (src), -1);
   bql_source_close (src);
   planned_free (&p);
}

static void
test_replay (void **state)
{
   (void) state;
   bql_source_t *r = bql_source_replay_new ();
   bson_t a = BSON_INITIALIZER, b = BSON_INITIALIZER;
   BSON_APPEND_INT32 (&a, "a", 1);
   BSON_APPEND_UTF8 (&b, "b", "x");
   assert_true (bql_source_replay_add (r, 1, 2, &a, NULL, 1 << 20));
   assert_false (bql_source_replay_add (r, 3, 5, &b, "line 5: bad", 10)); /* over the limit, kept */
   assert_int_equal (bql_source_rows_total (r), 2);
   char *got = transcript (r, false);
   assert_string_equal (got, "OK 1 @2 { \"a\" : 1 }\nFAILED 3 @5 line 5: bad | { \"b\" : \"x\" }\nEND\n");
   free (got);
   bql_source_close (r);
   bson_destroy (&a);
   bson_destroy (&b);
}

static void
test_sniff_columns (void **state)
{
   (void) state;
   /* (an absolute path: the sniff looks at plan->file->path, not the
    * path resolved against base_dir) */
   planned_t p = plan_of ("BULK INSERT INTO t (price DOUBLE) FROM '" BQL_FIXTURES "/typed.csv'");
   bql_columns_t cols;
   assert_true (bql_file_sniff_columns (p.plan, &cols));
   assert_int_equal (cols.n, 3);
   assert_string_equal (cols.cols[0].path, "id");
   assert_int_equal (cols.cols[0].type, BQL_COL_STRING); /* "x" */
   assert_true (cols.cols[0].inferred);
   assert_int_equal (cols.cols[1].type, BQL_COL_DOUBLE);
   assert_false (cols.cols[1].inferred);
   assert_int_equal (cols.cols[2].type, BQL_COL_STRING); /* "no" */
   bql_columns_cleanup (&cols);
   planned_free (&p);
   p = plan_of ("BULK INSERT INTO t FROM 'rows.ndjson'");
   assert_false (bql_file_sniff_columns (p.plan, &cols));
   planned_free (&p);
}

/* ---- libcsv's own space test where it cuts the same fields ---- */

static int
never_space (unsigned char c)
{
   (void) c;
   return 0;
}

static void
log_field (void *s, size_t len, void *data)
{
   bql_buf_t *b = data;
   if (!s) {
      bql_buf_puts (b, "N|");
      return;
   }
   bql_buf_printf (b, "F%zu:", len);
   bql_buf_append (b, s, len);
   bql_buf_puts (b, "|");
}

static void
log_row (int c, void *data)
{
   bql_buf_printf (data, "R%d\n", c);
}

/* libcsv over lines, each with its LF, as csv.c gives them (strict,
 * empty fields NULL; a parse error starts a new parser): the fields,
 * rows, counts and errors it gives, with csv_no_space's test always, or
 * (choose) libcsv's own where bql_csv_spaces_inner says so (counted in
 * *inner when the line has a space or a tab). */
static char *
csv_transcript (char **lines, size_t n, unsigned char delim, unsigned char quote, bool choose, size_t *inner)
{
   bql_buf_t out;
   bql_buf_init (&out);
   struct csv_parser p;
   for (size_t i = 0; i <= n; i++) {
      if (i == 0 || csv_error (&p) != CSV_SUCCESS) {
         if (i > 0) {
            csv_free (&p);
         }
         csv_init (&p, CSV_STRICT | CSV_STRICT_FINI | CSV_EMPTY_IS_NULL);
         csv_set_delim (&p, delim);
         csv_set_quote (&p, quote);
      }
      if (i == n) {
         break;
      }
      size_t len = strlen (lines[i]) - 1; /* the LF */
      bool own = choose && bql_csv_spaces_inner (lines[i], len, delim, quote);
      if (own && strpbrk (lines[i], " \t")) {
         (*inner)++;
      }
      csv_set_space_func (&p, own ? NULL : never_space);
      size_t used = csv_parse (&p, lines[i], len + 1, log_field, log_row, &out);
      bql_buf_printf (&out, "U%zu E%d\n", used, csv_error (&p));
   }
   bql_buf_printf (&out, "FINI%d\n", csv_fini (&p, log_field, log_row, &out));
   csv_free (&p);
   return bql_buf_steal (&out, NULL);
}

static void
test_csv_spaces_inner (void **state)
{
   (void) state;
   struct {
      const char *line;
      char delim, quote;
      bool inner;
   } cases[] = {
      {"1,Sofia Ivanova,true", ',', '"', true},
      {"a\tb,c  d,e \t f", ',', '"', true},
      {"a, b", ',', '"', false},
      {"a ,b", ',', '"', false},
      {"\"a\" ,b", ',', '"', false},
      {"\"a b\",c", ',', '"', true},
      {"x,\" a\"", ',', '"', false},
      {" a", ',', '"', false},
      {"a ", ',', '"', false},
      {"a\t", ',', '"', false},
      {"a\r b", ',', '"', false},
      {"a\t b", '\t', '"', false},
      {"a\tb c\td", '\t', '"', true},
      {"a b c", ' ', '"', true},
      {"a\tb", ' ', '"', true},
      {"a b", ',', ' ', false},
      {"a b", ',', '\t', false},
      {"abcdefg h,ijklmnop qrstuvwxyz,0123456 789", ',', '"', true},
      {"abcdefgh ,x", ',', '"', false},
      {"abcdefghijklmnop ", ',', '"', false},
      {"abcdefghijklmnopq\t", ',', '"', false},
      {"abcdefghijklmno p", ',', '"', true},
      {"abcdefghijklmnop,\x01 x", ',', '"', true},
      {"abcdefghijklmnop,\x01,  ", ',', '"', false},
      {"", ',', '"', true},
   };
   for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      const char *l = cases[i].line;
      bool got = bql_csv_spaces_inner (l, strlen (l), (unsigned char) cases[i].delim, (unsigned char) cases[i].quote);
      if (got != cases[i].inner) {
         fail_msg ("case %zu \"%s\": %d", i, l, got);
      }
   }
   /* random lines of the bytes that matter: libcsv cuts the same either
    * way, line after line (a quoted field spans lines) */
   const char alphabet[] = "ab  \t\t,;\"\"'\rx\xc3\xa9";
   const char delims[] = ",\t; ", quotes[] = "\"' ";
   uint64_t r = 0x9E3779B97F4A7C15ull;
   size_t inner = 0;
   for (int round = 0; round < 60000; round++) {
      char *lines[4];
      r = r * 6364136223846793005ull + 1442695040888963407ull;
      size_t n = 1 + (size_t) (r >> 62);
      unsigned char delim = (unsigned char) delims[(r >> 40) % 4];
      unsigned char quote = (unsigned char) quotes[(r >> 50) % 3];
      for (size_t k = 0; k < n; k++) {
         r = r * 6364136223846793005ull + 1442695040888963407ull;
         size_t len = (size_t) (r >> 59); /* 0 to 31 */
         lines[k] = malloc (len + 2);
         for (size_t j = 0; j < len; j++) {
            r = r * 6364136223846793005ull + 1442695040888963407ull;
            lines[k][j] = alphabet[(r >> 33) % (sizeof alphabet - 1)];
         }
         lines[k][len] = '\n';
         lines[k][len + 1] = '\0';
      }
      size_t unused = 0;
      char *want = csv_transcript (lines, n, delim, quote, false, &unused);
      char *got = csv_transcript (lines, n, delim, quote, true, &inner);
      if (strcmp (want, got) != 0) {
         for (size_t k = 0; k < n; k++) {
            print_message ("line %zu: [%s]\n", k, lines[k]);
         }
         fail_msg ("delimiter %d quote %d: libcsv's own space test gave\n%s\ninstead of\n%s", delim, quote, got,
                   want);
      }
      free (want);
      free (got);
      for (size_t k = 0; k < n; k++) {
         free (lines[k]);
      }
   }
   /* the lines with a space or a tab inside a field took libcsv's test */
   assert_true (inner > 5000);
}

static int
setup (void **state)
{
   (void) state;
   snprintf (tmpdir, sizeof tmpdir, "/tmp/test_sources.XXXXXX");
   return mkdtemp (tmpdir) ? 0 : -1;
}

static int
teardown (void **state)
{
   (void) state;
   char cmd[300];
   snprintf (cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
   return system (cmd) == 0 ? 0 : -1;
}

int
main (void)
{
   const struct CMUnitTest tests[] = {
      cmocka_unit_test (test_csv_quotes_and_newlines),
      cmocka_unit_test (test_csv_typed_columns_and_check),
      cmocka_unit_test (test_csv_inferred_types),
      cmocka_unit_test (test_csv_typed_tricky_values),
      cmocka_unit_test (test_csv_skip_lines_and_no_header),
      cmocka_unit_test (test_csv_options_and_header_errors),
      cmocka_unit_test (test_csv_bad_utf8),
      cmocka_unit_test (test_csv_text_ok_edges),
      cmocka_unit_test (test_csv_spaces_inner),
      cmocka_unit_test (test_gzip),
      cmocka_unit_test (test_gzip_trailing_garbage),
      cmocka_unit_test (test_open_errors),
      cmocka_unit_test (test_ndjson),
      cmocka_unit_test (test_json_array_and_stream),
      cmocka_unit_test (test_json_structure),
      cmocka_unit_test (test_json_bad_utf8),
      cmocka_unit_test (test_json_typed_columns),
      cmocka_unit_test (test_caller_stream),
      cmocka_unit_test (test_next_row),
      cmocka_unit_test (test_cancel_and_time),
      cmocka_unit_test (test_chunk_boundaries),
      cmocka_unit_test (test_parse_threads_cut_anywhere),
      cmocka_unit_test (test_parse_threads_broken_quotes),
      cmocka_unit_test (test_parse_threads_long_lines),
      cmocka_unit_test (test_parse_threads_oversize_lines),
      cmocka_unit_test (test_parse_threads_gzip),
      cmocka_unit_test (test_json_fast_path_is_the_default),
      cmocka_unit_test (test_gzip_is_inflated_on_its_own_thread),
      cmocka_unit_test (test_parse_threads_default),
      cmocka_unit_test (test_plan_options_of_an_older_size),
      cmocka_unit_test (test_values),
      cmocka_unit_test (test_replay),
      cmocka_unit_test (test_sniff_columns),
   };
   return cmocka_run_group_tests (tests, setup, teardown);
}
