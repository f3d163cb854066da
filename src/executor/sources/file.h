/*
 * file.h — the parts of the file source (FROM 'path', FROM STDIN), shared
 * by the files that implement it and by nothing else:
 *
 *   input.c   bytes: a descriptor or the caller's stream, gzip, waiting
 *             for input, cancel and max_execution_time, lines;
 *   csv.c     CSV and TSV records through libcsv, the header, the type
 *             inference sample;
 *   json.c    NDJSON lines, JSON array elements, JSON stream documents,
 *             next_row documents, each parsed by bql_json_parse_document;
 *   parallel.c parse threads: the input cut into chunks at record
 *             boundaries, parsed on threads, given in order;
 *   typing.c  a row's values converted to the column types (the
 *             planner's column conversion), field names, size, CHECK;
 *   file.c    the source itself: opening, next, close, EXPLAIN's sniff.
 *
 * Calls go downward only: file.c → parallel.c → csv.c, json.c → typing.c (and the
 * reason of a failed row, bql_file_why) → input.c (errors), then the
 * planner's columns.c, json_doc.c and eval.c.
 */
#ifndef BQL_SOURCES_FILE_H
#define BQL_SOURCES_FILE_H

#include <csv.h>
#include <zlib.h>

#include "buf.h"
#include "json_fast.h"
#include "source.h"

#define BQL_SRC_CHUNK (1 << 20)
#define BQL_SRC_PAD 64                     /* readable bytes after the chunk buffer (BQL_JSON_FAST_PAD) */
#define BQL_SRC_MAX_RECORD (64 << 20)      /* a line or element larger than this fails */
#define BQL_SRC_MAX_DOC (16 * 1024 * 1024) /* maxBsonObjectSize */
#define BQL_SRC_MAX_DEPTH 100              /* nesting libbson's JSON reader accepts */

/* ---- input.c: the bytes of the input ---- */

struct bql_gz_thread;

typedef struct bql_input {
   bql_source_status_t *st; /* failed, cancelled, error, stop, bytes_read */
   const bql_plan_t *plan;  /* errors are located at its FROM clause */
   char name[512];          /* the path, or "<stdin>": errors name it */
   const volatile int *cancel;
   int64_t max_execution_ms;
   int64_t start_us;

   int fd;
   bool fd_borrowed;   /* stdin: not ours to close */
   FILE *stream;       /* bql_source_io_t.stdin_stream: read with fread */
   bool gzip_required; /* COMPRESSION GZIP, or a name ending in .gz */
   char *buf;
   size_t len, pos;
   size_t buf_readable; /* bytes of buf that may be read (at least len): records
                           lying in buf are parsed in place when BQL_SRC_PAD of
                           them follow the record; 0 (unknown) copies them */
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
   size_t line_at;     /* where the line last cut starts in buf (when not carried) */
   const _Atomic bool *stop; /* the source's stop (st may be another's: parallel.c) */

   /* parse threads (parallel.c): buf is a chunk of whole lines cut from
    * the input, borrowed; when it is spent, feed (if set) gives the next
    * one (buf, len, pos, more, oversize_next) or returns false */
   bool mem;
   bool (*feed) (void *ctx, struct bql_input *in);
   void *feed_ctx;
   bool more;          /* mem: the input goes on after this chunk */
   bool oversize_next; /* mem: the next line was longer than BQL_SRC_MAX_RECORD (dropped) */

   struct bql_gz_thread *gz; /* gzip: inflated on a thread of its own */
} bql_input_t;

/* Set up in (zeroed by the caller) for the plan's file: opens path (or
 * takes stdin, or io's stream) and, for a regular file, reads its first
 * bytes to know whether it is gzip. False with st->error set (and
 * st->failed unless cancelled before the first read). */
bool bql_input_open (bql_input_t *in, bql_source_status_t *st, const bql_plan_t *plan, const bql_source_io_t *io,
                     const volatile int *cancel, bool gzip_required);
void bql_input_cleanup (bql_input_t *in);
/* A statement-level error about the input at line: "<file>:<line>: msg",
 * located at the statement's FROM clause; the first one stands. Returns
 * false. */
bool bql_input_fatal (bql_input_t *in, int64_t line, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));
/* Refill buf (len, pos); false at the end, on error (st->failed) or when
 * cancelled or out of time while reading (st->cancelled). */
bool bql_input_fill (bql_input_t *in);
/* The next line without its line ending (LF or CRLF), in buf or carry
 * (valid until the next read). *oversize is set (and the line's bytes
 * dropped) for a line longer than BQL_SRC_MAX_RECORD. False at the end of
 * input or on a fatal error. */
bool bql_input_next_line (bql_input_t *in, const char **line, size_t *len, bool *oversize);
/* in reads the chunk data[0 .. len) (borrowed; readable bytes of it may
 * be read, at least len, or 0 when only len) whose first line is line +
 * 1; more: the input goes on after it (its end is not the end of the
 * input); oversize: a line longer than BQL_SRC_MAX_RECORD comes first
 * (its bytes were dropped). in was set up by bql_input_mem_init. */
void bql_input_mem_chunk (bql_input_t *in, const char *data, size_t len, size_t readable, int64_t line, bool more,
                          bool oversize);
/* Set up in (zeroed by the caller) to read chunks in memory, reporting
 * to st, with like's name, plan and stop. */
void bql_input_mem_init (bql_input_t *in, bql_source_status_t *st, const bql_input_t *like);
/* Bytes consumed so far into st->bytes_read (not those read ahead). */
void bql_input_progress (bql_input_t *in);
/* Has the input stopped for good (a fatal error or a cancel)? */
bool bql_input_stopped (const bql_input_t *in);

/* ---- the file source ---- */

typedef struct {
   size_t off;
   size_t len;
   bool null;
} bql_field_t;

/* A field that counts as empty: an empty field, quoted or not. */
static inline bool
bql_field_blank (const bql_field_t *fd)
{
   return fd->null || fd->len == 0;
}

/* A CSV row of the type-inference sample, kept as read until the column
 * types are known: its fields (in sample_fields and sample_buf), or the
 * reason it failed. */
typedef struct {
   int rc;              /* csv_next_row(): 1 a row, -1 a bad row */
   int64_t line;
   size_t first, n;     /* its fields: sample_fields[first .. first + n) */
   size_t why_off;      /* rc -1: the reason in sample_buf */
   size_t why_text;     /* ... and its text after "line N: " */
} bql_sample_row_t;

/* One JSON record: its bytes (in in.buf or in.carry, valid until the next
 * record is cut) and where it starts. */
typedef struct {
   const char *data;
   size_t len;
   int64_t line;
   int64_t col;    /* 1-based column (UTF-8 characters) of its first byte */
   bool oversize;  /* longer than BQL_SRC_MAX_RECORD: its bytes were dropped */
} bql_record_t;

typedef struct bql_csv_op bql_csv_op_t; /* csv_row.c */
typedef struct bql_csv_run bql_csv_run_t; /* csv_row.c */

typedef struct bql_csv {
   struct csv_parser parser;
   bool ready;
   bql_buf_t fields_buf;
   bql_field_t *fields;
   size_t nfields, fields_cap;
   bool row_done;
   bool row_overflow;
   int64_t row_line;   /* line where the current CSV row started */
   bool in_row;
   bool header_pending;
   bool spaces_inner;  /* the parser has libcsv's own space test (csv_next_row) */

   /* type inference: the first infer_rows rows, buffered */
   bool sampled;        /* the sample was taken, or none is needed */
   bql_sample_row_t *sample;
   size_t nsample, sample_cap, sample_pos;
   bql_field_t *sample_fields;
   size_t nsample_fields, sample_fields_cap;
   bql_buf_t sample_buf;
   int64_t sample_rows; /* rows the types were inferred from */
   bool sample_stop;    /* the input stopped (fatal, cancel) in the sample */

   bson_value_t *vals;  /* a row's values, one per column (on the heap: a
                           header may name a million columns) */
   bool *borrowed;      /* vals[i] points into fields_buf (or is a constant
                           ""): not destroyed; vals_cap of them */
   size_t vals_cap;

   /* how fields are converted: STRING values borrowed from fields_buf,
    * JSON columns parsed by the JSON fast path (json_fast.h) */
   bql_convert_opts_t conv;
   struct bql_json_fast *json_fast; /* made with the first row when a column is JSON */

   /* a chunk of parallel.c */
   size_t row_at;       /* where the current row's first line starts in in.buf */
   bool tail;           /* the chunk ended inside a row (which starts at row_at) */

   /* csv_row.c: the steps that build a row's document, in its order,
    * planned with the first row (the columns are known by then) */
   bool ops_planned;
   bql_csv_op_t *ops;
   size_t nops, ops_cap;
   int ops_depth;       /* nesting of the layout */
   bson_t *ops_stack;   /* the open nested documents, ops_depth + 1 */
   bql_csv_run_t *runs; /* runs of fixed-size values, written through a template */
   size_t nruns;
   bool ops_keys_checked; /* no field name of a document built by the steps
                             starts with '$', and none nests too deep */
   bool ops_names_valid; /* every field name of the steps passes
                            bql_field_name_valid (json_fast.h) */
   /* the row just returned, when csv_row.c built it */
   int row_has_id;      /* it has a top-level _id: 1, 0, or -1 unknown */
   bool row_keys_checked; /* bql_typing_check_row's walk of field names is done */
   unsigned row_facts;  /* what bql_source_row_facts says of it (source.h) */
} bql_csv_t;

typedef struct bql_json {
   struct bql_json_fast *fast; /* the fast parser (json_fast.h), made on the first record */
   bql_json_facts_t facts; /* of the record just parsed (json_fast.h) */
   bql_row_fn next_row; /* rows from the program, not from the input */
   void *next_row_ctx;
   bql_record_t cur;    /* the record being parsed */
   bool input_done;
   char shape;          /* FORMAT JSON: '[' an array, '{' a stream of documents, 0 not seen yet */
   bool array_done;
   int64_t elements;    /* elements cut so far */
   int64_t unclosed;    /* the input ended after the element on this line */
   int64_t col;         /* FORMAT JSON: characters of the current line before buf[col_pos] */
   size_t col_pos;
} bql_json_t;

typedef struct bql_parallel bql_parallel_t;

typedef struct bql_file_source {
   bql_source_status_t *st;
   const bql_plan_t *plan;
   bql_file_opts_t fo;
   bql_input_t in;
   int64_t skip;       /* skip_lines still to skip */

   /* columns */
   bql_columns_t own_cols;
   const bql_columns_t *cols;
   bool typed;         /* some listed column has a type */
   bool json_cols;     /* some listed column is of type JSON */

   bql_csv_t csv;
   bql_json_t json;

   int64_t rownum;
   int64_t rowline;    /* line of the row just returned */
   char why[1024];
   const char *why_text; /* the reason in why, after "line N: " */
   bql_row_ctx_t rc;   /* CHECK's row context */

   /* parse threads (parallel.c) */
   int parse_threads;  /* > 1: start them once the reading is between records */
   size_t parse_chunk; /* a chunk's bytes (0: the default) */
   bql_parallel_t *par;
} bql_file_source_t;

/* csv.c (called by file.c) */
/* Set up f->csv for f->fo's delimiter, quote and header. */
void bql_csv_init (bql_file_source_t *f);
/* Free what f->csv holds (a zeroed bql_csv_t too). */
void bql_csv_cleanup (bql_csv_t *c);
/* The next CSV/TSV row as a document (header, sample and types first). */
bql_row_rc_t bql_csv_next (bql_file_source_t *f, bson_t *doc);
/* EXPLAIN: read the header (if any) and the type-inference sample, so
 * that f->cols holds the columns a load reads. False on an error. */
bool bql_csv_sniff (bql_file_source_t *f);
/* Is f between two rows, with the header, skip_lines and the sample
 * behind it and its columns known (the rest may be read in chunks)? */
bool bql_csv_between_rows (const bql_file_source_t *f);
/* Whether libcsv 3.0.3, given line (len bytes, then the end of the line)
 * with its own test for spaces (space and tab, which it strips around
 * fields) instead of one that says no byte is a space (RFC 4180), cuts
 * the same fields and rows with the same counts, states and errors: true
 * when every space or tab that is not the delimiter has neighbours on
 * both sides in the line that are neither the delimiter, the quote, CR
 * nor LF. Why that is enough: libcsv never takes the delimiter for a
 * space; inside quotes it does not look; a space after a byte of text
 * is kept either way, only counted as "maybe trailing", and the count is
 * cleared by the next byte of text, which comes before the field ends;
 * it differs only for a space at the start of a field, or before its end
 * or after a closing quote, and those have such a neighbour. A quote
 * that is a space or a tab: false. test_sources checks it against
 * libcsv on random lines. */
bool bql_csv_spaces_inner (const char *line, size_t len, unsigned char delim, unsigned char quote);
/* Set up f->csv of a parse thread's copy f of the source from: past the
 * header and the sample, with from's sample size (for messages). */
void bql_csv_init_copy (bql_file_source_t *f, const bql_file_source_t *from);
/* A new chunk starts, at a row boundary: a fresh parser, no row. */
void bql_csv_chunk_start (bql_file_source_t *f);

/* The facts (bql_source_row_facts) of the row that f just built, json
 * or CSV: csv_row.c's, or the JSON fast path's when typing did not change
 * the document; 0 for any other row. */
static inline unsigned
bql_file_row_facts (const bql_file_source_t *f, bool json)
{
   if (!json) {
      return f->csv.row_facts;
   }
   if (!f->json.facts.built || f->typed) {
      return 0;
   }
   return BQL_ROW_FINITE | (f->json.facts.names_valid ? BQL_ROW_NAMES_VALID : 0u);
}

/* csv_row.c (called by csv.c) */
/* The CSV row just cut (f->csv.fields, as many as columns) as its
 * document in doc (empty): true when built, with f->csv.row_has_id and
 * row_keys_checked set; false (doc emptied) when the row needs the general
 * path (bql_typing_field per column, bql_columns_emit_row), which then
 * gives exactly the document or the error it gave before. f->csv.vals_cap
 * must cover the columns (csv.c's row_values). */
bool bql_csv_row_fast (bql_file_source_t *f, bson_t *doc);
/* Free the steps (a zeroed bql_csv_t too). */
void bql_csv_row_cleanup (bql_csv_t *cs);

/* json.c (called by file.c) */
/* The next NDJSON/JSON record (or next_row document) parsed. */
bql_row_rc_t bql_json_next (bql_file_source_t *f, bson_t *doc);
/* Free what f->json holds (a zeroed bql_json_t too). */
void bql_json_cleanup (bql_json_t *js);

/* parallel.c (called by file.c) */
/* How many threads parse plan's input of format (its resolved FORMAT):
 * 1 for a JSON array or stream (cut by a scan of its structure, on one
 * thread); for NDJSON, CSV and TSV parse_threads, or the plan's number of
 * cores (plan->cores, counted when it was made), at most what a quarter
 * of memory_limit holds chunks for (2 MB a thread), and 64. The one rule
 * for both: a load runs this many (file.c) and EXPLAIN shows it
 * (explain.c: "source.parse_threads"). */
int bql_parallel_threads (const bql_plan_t *plan, bql_format_t format);
/* Read the rest of f (NDJSON, or CSV/TSV past its header and sample, at
 * a record boundary) on threads: a chunker and threads workers, chunks
 * of about chunk_bytes (0: 256 KiB). NULL when the threads cannot be
 * started (f reads on as before). */
bql_parallel_t *bql_parallel_start (bql_file_source_t *f, int threads, size_t chunk_bytes);
/* The next row, as bql_csv_next/bql_json_next and then
 * bql_typing_check_row give it on one thread (f->rownum, f->rowline,
 * f->why, f->st). */
bql_row_rc_t bql_parallel_next (bql_parallel_t *p, bson_t *doc);
/* The worker threads of p that started (at most the threads asked for). */
int bql_parallel_workers (const bql_parallel_t *p);
/* Stop the threads and free p (NULL is allowed). */
void bql_parallel_close (bql_parallel_t *p);

/* Where chunks of an input may be cut: bql_chunk_scan reads data[at ..
 * len) on from where the last call stopped (a zeroed struct starts at a
 * record boundary) and keeps the last line end (nl) and the last one
 * outside quotes (cut), each with the newlines before it. quote is CSV's
 * quote character (a quote toggles "inside quotes"; "" inside a quoted
 * field toggles twice), 0 for NDJSON (every line end is a boundary). */
typedef struct bql_chunk_scan {
   size_t at;         /* bytes scanned */
   bool quoted;       /* inside quotes at `at` */
   int64_t lines;     /* newlines in data[0 .. at) */
   size_t nl;         /* just past the last newline (0: none) */
   int64_t nl_lines;  /* newlines in data[0 .. nl) */
   size_t cut;        /* just past the last newline outside quotes (0: none) */
   int64_t cut_lines; /* newlines in data[0 .. cut) */
} bql_chunk_scan_t;
void bql_chunk_scan (bql_chunk_scan_t *sc, const char *data, size_t len, char quote);

/* typing.c (called by file.c, csv.c, json.c) */
/* The reason of a failed row into f->why: "line N: " and the formatted
 * text (f->why_text points after "line N: "). */
void bql_file_why (bql_file_source_t *f, int64_t line, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));
/* A field name or text for a message: at most 60 bytes, NUL shown as \0. */
void bql_shown (const char *s, size_t len, char *out, size_t size);
/* Field i of the CSV row just read as the value of its column: null, left
 * out (EOD), the empty string, or the text converted to the column's
 * type. False with the reason of the failed row in f->why. */
bool bql_typing_field (bql_file_source_t *f, size_t i, bson_value_t *v);
/* The checks of every good row: the listed columns of a JSON document
 * typed in place, field names, the 16 MiB limit, CHECK. BQL_ROW_OK or
 * BQL_ROW_FAILED (f->why; doc emptied when it cannot be logged). */
bql_row_rc_t bql_typing_check_row (bql_file_source_t *f, bson_t *doc, bool json);

#endif /* BQL_SOURCES_FILE_H */
